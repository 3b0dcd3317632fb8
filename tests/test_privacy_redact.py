"""The redaction layer: spans stored, text untouched, re-runs idempotent, people decide."""

from __future__ import annotations

import csv

import pytest

from rapidreview import privacy
from rapidreview.ingest import ImportOptions, import_files


def import_comments(db, tmp_path, rows, name="survey.csv", attrs=("Service",)):
    """rows: (respondent id, text, service)."""
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ID", "Service", "Comment"])
        w.writerows((rid, service, text) for rid, text, service in rows)
    import_files(db, [path], ImportOptions(text=["Comment"], id="ID", attrs=list(attrs)))
    return {r["respondent"]: r for r in privacy.respondents(db)}


def doc_id(db, text_start):
    for (i,) in db.execute("SELECT id FROM documents ORDER BY id"):
        if db.execute("SELECT text FROM documents WHERE id = ?", [i]).fetchone()[0].startswith(text_start):
            return i
    raise AssertionError(text_start)


ROWS = [
    ("R1", "Dr Patel saw my son Jack. Later Jack said Dr Patel was kind. Ring 07700 900123.", "GP"),
    ("R2", "Sarah Jones on Ward 7 was lovely, Sarah made us tea. NHS 943 476 5919.", "A&E"),
    ("R3", "Nothing to add, Leeds General Infirmary was great.", "A&E"),
]


def test_redact_stores_spans_and_keeps_text(db, tmp_path):
    import_comments(db, tmp_path, ROWS)
    before = [r[0] for r in db.execute("SELECT text FROM documents ORDER BY id")]
    result = privacy.redact(db)
    assert result.documents == 3 and result.added >= 7
    assert [r[0] for r in db.execute("SELECT text FROM documents ORDER BY id")] == before
    d1 = doc_id(db, "Dr Patel")
    assert privacy.redacted_text(db, d1) == (
        "Dr [NAME 1] saw my son [NAME 2]. Later [NAME 2] said Dr [NAME 1] was kind. Ring [PHONE].")
    d2 = doc_id(db, "Sarah Jones")
    assert privacy.redacted_text(db, d2) == (
        "[NAME 1] on Ward 7 was lovely, [NAME 1] made us tea. NHS [NHS NUMBER].")
    d3 = doc_id(db, "Nothing")
    assert privacy.redacted_text(db, d3) == ROWS[2][1]
    # a window into the text: a span crossing the edge is still hidden
    assert privacy.redacted_text(db, d1, 4, 20) == "[NAME 1] saw my son "
    assert privacy.redacted_text(db, d1, 0, 5) == "Dr [NAME 1]"


def test_rerun_is_idempotent(db, tmp_path):
    import_comments(db, tmp_path, ROWS)
    privacy.redact(db)
    snapshot = db.execute("SELECT * FROM redactions ORDER BY id").fetchall()
    again = privacy.redact(db)
    assert again.documents == 0 and again.added == 0
    forced = privacy.redact(db, rescan=True)
    assert forced.documents == 3 and forced.added == 0 and forced.removed == 0
    assert db.execute("SELECT * FROM redactions ORDER BY id").fetchall() == snapshot


def test_human_decisions_survive_rescan_and_new_config(db, tmp_path):
    import_comments(db, tmp_path, ROWS)
    privacy.redact(db)
    d1 = doc_id(db, "Dr Patel")
    spans = {}
    for s in privacy.spans(db, document_id=d1):
        spans.setdefault(s["text"], s)  # the first of each
    privacy.undo(db, spans["Jack"]["id"])  # a person says this "Jack" may stay
    privacy.confirm(db, spans["07700 900123"]["id"])
    manual = privacy.add_manual(db, d1, 0, 2, "title")
    text = privacy.redacted_text(db, d1)
    assert "my son Jack." in text and "[TITLE]" in text
    # a new config (allow-list Patel, phones off) changes the automatic spans, not the decided ones
    config = privacy.load_config(allow=["Patel"])
    config.detectors = tuple(d for d in config.detectors if d != "phone")
    privacy.redact(db, config)
    rows = {s["id"]: s for s in privacy.spans(db, document_id=d1)}
    assert rows[spans["Jack"]["id"]]["reviewed"] == "undone"
    assert rows[spans["07700 900123"]["id"]]["reviewed"] == "confirmed"
    assert rows[manual]["detector"] == "manual"
    text = privacy.redacted_text(db, d1)
    assert text.count("Patel") == 2  # allow-listed now: the automatic spans went
    assert "[PHONE]" in text and "my son Jack." in text
    events = [r[0] for r in db.execute("SELECT action FROM events")]
    assert {"redact", "redaction.undone", "redaction.confirmed", "redaction.manual"} <= set(events)


def test_unredacted_documents_and_assert(db, tmp_path):
    import_comments(db, tmp_path, ROWS)
    assert len(privacy.unredacted_documents(db)) == 3
    with pytest.raises(privacy.RedactionNeeded, match="rapidreview redact"):
        privacy.assert_redacted(db)
    privacy.redact(db)
    privacy.assert_redacted(db)
    import_comments(db, tmp_path, [("R9", "Call Amy on 07700 900555", "GP")], name="more.csv")
    assert len(privacy.unredacted_documents(db)) == 1
    privacy.redact(db)
    assert privacy.unredacted_documents(db) == []


def test_redacted_segments_and_manual_errors(db, tmp_path):
    import_comments(db, tmp_path, ROWS)
    privacy.redact(db)
    texts = dict(privacy.redacted_segments(db))
    assert all("07700" not in t and "Sarah" not in t and "943 476" not in t for t in texts.values())
    from rapidreview.errors import NotFound, RapidReviewError

    with pytest.raises(RapidReviewError, match="outside document"):
        privacy.add_manual(db, doc_id(db, "Dr Patel"), 5, 5000, "name")
    with pytest.raises(NotFound):
        privacy.confirm(db, 99999)


def test_trained_pipeline_entities_add_recall(db, tmp_path):
    """A pipeline with an entity recogniser adds PERSON spans the rules miss (here a
    rule-based stand-in named "ner", since no trained pipeline downloads offline)."""
    import spacy

    import_comments(db, tmp_path, [("R1", "Zebedee Quux helped me a lot at Ward 7.", "GP")])
    privacy.redact(db, use_model=False)
    assert privacy.redacted_text(db, 1).startswith("Zebedee Quux")
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="ner")
    ruler.add_patterns([{"label": "PERSON", "pattern": "Zebedee Quux"}, {"label": "PERSON", "pattern": "Ward 7"}])
    nlp.meta["name"] = "stand_in"
    result = privacy.redact(db, nlp=nlp)  # a new model is a new scan signature: scanned again
    assert result.documents == 1
    assert privacy.redacted_text(db, 1) == "[NAME 1] helped me a lot at Ward 7."  # allow-list still wins
