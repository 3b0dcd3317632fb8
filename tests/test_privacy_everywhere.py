"""Known names everywhere text leaves a review (privacy follow-ups).

1. A participant's name that only the review's known names catch (the generic detectors
   miss it: checked first) is planted in a theme label, key terms, a code's name,
   definition, criteria and example, and the evidence ledger; a name listed only in the
   privacy config `redact` used goes into the ledger too. publish, the report (Markdown,
   HTML, every XML part of the DOCX) and the matrix (every XML part of the XLSX, and the
   CSV) must hold neither, while the planted texts themselves do arrive, redacted.
2. public.db's `meta` table records the disclosure rule, versions and time; the
   dashboard's recounts (through Datasette) follow that rule, and NHS_RULE without it.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from test_dashboard import get_json
from test_privacy_known_names import public_text

from rapidreview import __version__, demo, matrix, privacy, store, themes
from rapidreview.codebook import load_codebook, read
from rapidreview.coding.manual import apply_code
from rapidreview.ingest import ImportOptions, import_files
from rapidreview.privacy import NHS_RULE, DisclosureRule, control_table
from rapidreview.privacy.known import participant_ids, speaker_labels
from rapidreview.privacy.redact import VERSION as DETECTOR_VERSION
from rapidreview.publish import PublishOptions, explore, ledger, publish
from rapidreview.report import ReportConfig, make_report

LISTED = "Zebedee Quillfeather"  # a person named only in the privacy config given to `redact`
PARTICIPANT = "Yorrin Quenby"  # a transcript's participant: in no names list, so only known names catch it
TRANSCRIPT = f"""---
title: Discharge follow-up interview
date: 2025-04-02
Service: Hospital
---

Interviewer: Thanks for talking to us. How did the discharge go?

{PARTICIPANT}: The ward was kind but nobody rang back about the discharge letter for two weeks.

Interviewer: What would have helped?

{PARTICIPANT}: One phone call. The pharmacy had the wrong dose and I waited all afternoon.
"""


def participant_name(db) -> str:
    """A participant speaker's full name whose words the generic detectors miss in a label."""
    roles = dict(db.execute("SELECT speaker, role FROM segments WHERE speaker IS NOT NULL GROUP BY speaker"))
    for label in [*speaker_labels(db), *participant_ids(db)]:
        words = label.split()
        if roles.get(label, "participant") == "participant" and len(words) == 2 and all(w.isalpha() for w in words):
            if all(w in privacy.redact_text(f"Waiting for {w} and the letter")[0] for w in words):
                return label
    raise AssertionError("the sample corpus has no two-word participant name the generic detectors miss")


def planted_texts(person: str) -> dict[str, str]:
    first = person.split()[0]
    return {
        "label": f"Waiting for {first} and the discharge letter",
        "code": f"Follow-up with {first}",
        "description": f"When {person} or the team promised to ring back.",
        "include": f"Calls from {first} about the letter.",
        "exclude": f"Anything {person} did not arrange.",
        "example": f"{first} never rang me back",
        "recommendation": f"Ask {first} to ring back within a day",
        "response": f"{person} agreed to it",
        "outcome": f"Now {first} rings back the same day; so does {LISTED.split()[0]}",
    }


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The sample review, redacted with a privacy config that lists a name, with a
    participant's name planted in every kind of free text that leaves the review."""
    work = tmp_path_factory.mktemp("everywhere")
    db = store.open_review(work / "review.db")
    corpus = demo.find_corpus()
    config = work / "privacy.yaml"
    config.write_text(f"names: [{LISTED}]\n", encoding="utf-8")
    (work / "follow-up-interview.txt").write_text(TRANSCRIPT, encoding="utf-8")
    for name, step in demo.STEPS:
        if name == "import":
            step(db, corpus)
            import_files(db, [work / "follow-up-interview.txt"], ImportOptions())
        elif name == "redact":
            privacy.redact(db, privacy.load_config(config))
        elif name not in ("report", "publish"):
            step(db, corpus)
    person = participant_name(db)
    assert person == PARTICIPANT
    texts = planted_texts(person)
    run = themes.latest_run_id(db)
    themes.rename(db, run, 1, texts["label"])
    # Key terms are computed, never typed: no call sets them, so plant them as stored.
    db.execute("UPDATE themes SET key_terms = ? WHERE run_id = ? AND number = 2",
               [json.dumps([person.lower(), person.split()[0], "wait"]), run])
    db.conn.commit()
    book = work / "follow-up.yaml"
    book.write_text("\n".join([
        "name: Follow-up", "codes:", "  - key: follow-up", f"    name: {texts['code']}",
        f"    description: {texts['description']}", f"    include: {texts['include']}",
        f"    exclude: {texts['exclude']}", "    examples:", f"      - {texts['example']}", ""]), encoding="utf-8")
    load_codebook(db, read(book), source=str(book))
    segments = [r[0] for r in db.execute(
        "SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id WHERE s.role = 'participant' "
        "AND d.kind = 'survey' AND d.answered = 1 ORDER BY s.id LIMIT 12")]
    for seg in segments:
        apply_code(db, "follow-up", codebook="Follow-up", coder="tester", segment=seg)
    rec = ledger.add(db, texts["recommendation"], themes=[1, 2], quotes=segments[:1])
    ledger.respond(db, rec, response=texts["response"], outcome=texts["outcome"], status="accepted")
    yield db, person, texts, work
    db.conn.close()


def leaks(person: str):
    """Any word of the person's name or the listed name, in any case, as a whole word."""
    words = person.split() + LISTED.split()
    return re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, words)) + r")(?![\w])", re.I)


def zip_parts(path: Path) -> str:
    """Every XML (and other text) part of a DOCX or XLSX, joined."""
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                         if n.endswith((".xml", ".rels", ".txt")))


def test_the_planted_names_are_ones_only_the_review_knows(planted):
    db, person, texts, _ = planted
    for key, text in texts.items():
        assert leaks(person).search(text), key
        assert leaks(person).search(privacy.redact_text(text)[0]), f"the generic detectors already catch {key}"
    clean = privacy.free_text_redactor(db)
    assert not any(leaks(person).search(clean(t)) for t in texts.values())
    # `redact` kept the config it was given: the listed name is known without the file.
    stored = json.loads(db.execute("SELECT config FROM privacy_config").fetchone()[0])
    assert stored["names"] == [LISTED]
    assert privacy.review_config(db).known >= set(LISTED.split())
    # Lower-case key terms: a known name that is no English word is a name in any case.
    assert clean(person.lower()) == clean(person.upper()) == clean(person) == "[NAME 1]"
    assert clean("in june 2024, pat on the back") == "in june 2024, pat on the back"


def test_publish_lets_no_known_name_out(planted):
    db, person, texts, work = planted
    out = work / "public.db"
    publish(db, out, PublishOptions(publishable=["Service"], title=f"Follow-up with {person}"))
    found = [t for t in public_text(out).splitlines() if leaks(person).search(t)]
    assert not found, found[:5]
    metadata = (work / "public.metadata.json").read_text(encoding="utf-8")
    assert not leaks(person).search(metadata) and json.loads(metadata)["title"] == "Follow-up with [NAME 1]"
    conn = sqlite3.connect(out)
    try:
        # What was planted arrives, redacted: not dropped on the way.
        assert conn.execute("SELECT label FROM themes WHERE number = 1").fetchone()[0] == \
            "Waiting for [NAME 1] and the discharge letter"
        code = conn.execute("SELECT name, definition, include, exclude FROM codebook WHERE key = 'follow-up'").fetchone()
        assert code == ("Follow-up with [NAME 1]", "When [NAME 1] or the team promised to ring back.",
                        "Calls from [NAME 1] about the letter.", "Anything [NAME 1] did not arrange.")
        assert conn.execute("SELECT count(*) FROM quote_codes WHERE code = 'Follow-up with [NAME 1]'").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM counts WHERE item = 'Follow-up with [NAME 1]'").fetchone()[0]
        rec = conn.execute("SELECT recommendation, response, outcome FROM recommendations").fetchone()
        assert rec[0] == "Ask [NAME 1] to ring back within a day" and rec[1] == "[NAME 1] agreed to it"
        assert rec[2] == "Now [NAME 1] rings back the same day; so does [NAME 2]"
    finally:
        conn.close()


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_reports_let_no_known_name_out(planted, fmt):
    db, person, texts, work = planted
    out = work / f"report.{fmt}"
    make_report(db, out, ReportConfig(title="Follow-up review", compare=["2025-Q1", "2025-Q2"]))
    text = zip_parts(out) if fmt == "docx" else out.read_text(encoding="utf-8")
    assert not leaks(person).search(text), leaks(person).search(text)
    plain = re.sub(r"<[^>]+>", "", text) if fmt != "md" else text.replace("\\[", "[").replace("\\]", "]")
    plain = plain.replace("&#39;", "'")
    assert "Follow-up with [NAME 1]" in plain and "Ask [NAME 1] to ring back" in plain


@pytest.mark.parametrize("columns", ["codes", "themes"])
def test_the_matrix_lets_no_known_name_out(planted, columns):
    db, person, texts, work = planted
    xlsx, csv_path = work / f"matrix-{columns}.xlsx", work / f"matrix-{columns}.csv"
    options = matrix.MatrixOptions(columns=columns, by="Service", compare=("2025-Q1", "2025-Q2"))
    matrix.matrix(db, xlsx, options)
    matrix.matrix(db, csv_path, options)
    for text in (zip_parts(xlsx), csv_path.read_text(encoding="utf-8")):
        assert not leaks(person).search(text), leaks(person).search(text)
    expected = "Follow-up with [NAME 1]" if columns == "codes" else "Waiting for [NAME 1] and the discharge letter"
    assert expected in zip_parts(xlsx)


# ---------------------------------------------------------------- meta and the dashboard's rule

RULE = DisclosureRule(threshold=3, round_to=1, marker="<3")


@pytest.fixture(scope="module")
def ruled(planted):
    """public.db published under a finer rule than NHS_RULE: 1-2 hidden, nothing rounded."""
    db, _, _, work = planted
    out = work / "ruled" / "public.db"
    before = store.now()
    publish(db, out, PublishOptions(publishable=["Service"], rule=RULE, min_group=2))
    return out, before


def test_meta_records_how_public_db_was_made(ruled):
    out, before = ruled
    conn = sqlite3.connect(out)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM meta")]
    conn.close()
    assert len(rows) == 1
    row = rows[0]
    assert row["published_at"] >= before and row["rapidreview_version"] == __version__
    assert row["detector_version"] == DETECTOR_VERSION
    assert (row["threshold"], row["round_to"], row["suppress_zero"], row["marker"], row["secondary_marker"],
            row["min_group"]) == (3, 1, 0, "<3", "*", 2)
    metadata = json.loads(out.with_suffix(".metadata.json").read_text(encoding="utf-8"))
    tables = metadata["databases"]["public"]["tables"]
    assert "threshold" in tables["meta"]["columns"]
    assert "1 to 2 shown as '<3'" in tables["counts"]["description"] and "NHS" not in tables["counts"]["description"]
    assert "'<3' or '*'" in tables["counts"]["columns"]["shown"] and "'<8' or" not in json.dumps(metadata)


def small_cell(conn) -> tuple[dict, str, int]:
    """Filters (a question and a service: no published table answers both) under which a
    theme has 3-7 quotes, shown as a number by RULE and hidden by NHS_RULE."""
    opts = explore.options(conn)
    labels = dict(conn.execute("SELECT number, label FROM themes"))
    for question in opts["questions"]:
        for service in opts["attributes"]["Service"]:
            f = explore.Filters(question=question, attrs={"Service": service})
            per_theme: dict = {}
            for number, _, _, _, n in explore.recount(conn, f):
                per_theme[labels[number]] = per_theme.get(labels[number], 0) + n
            table = {label: {"Quotes": n} for label, n in per_theme.items()}
            fine, nhs = (control_table(table, rule, row_totals=False)["rows"] for rule in (RULE, NHS_RULE))
            for label, n in per_theme.items():
                if 3 <= n < 8 and not fine[label]["Quotes"].suppressed and nhs[label]["Quotes"].suppressed:
                    return {"question": question, "attr.Service": service}, label, n
    raise AssertionError("no theme with 3-7 quotes under a question and service in the sample")


def dashboard_cell(path: Path, args: dict, label: str) -> dict:
    query = "&".join(f"{k}={v}" for k, v in args.items()).replace(" ", "+").replace("?", "%3F")
    status, data = get_json(path, f"/-/dashboard.json?{query}")
    assert status == 200, data
    assert data["counts"]["source"].startswith("published quotes matching the filters")  # a recount
    return next(t["count"] for t in data["counts"]["themes"] if t["label"] == label)


def test_dashboard_recounts_follow_the_rule_in_meta(ruled, tmp_path):
    out, _ = ruled
    conn = sqlite3.connect(out)
    try:
        assert explore.disclosure_rule(conn) == RULE
        args, label, n = small_cell(conn)
    finally:
        conn.close()
    cell = dashboard_cell(out, args, label)
    assert cell["n"] == n and cell["shown"] == str(n) and not cell["suppressed"]
    # The same public.db without meta (published before it existed): NHS_RULE hides it.
    old = tmp_path / "public.db"
    shutil.copy(out, old)
    shutil.copy(out.with_suffix(".metadata.json"), old.with_suffix(".metadata.json"))
    c = sqlite3.connect(old)
    c.execute("DROP TABLE meta")
    c.commit()
    assert explore.disclosure_rule(c) == NHS_RULE
    c.close()
    cell = dashboard_cell(old, args, label)
    assert cell["n"] is None and cell["suppressed"] and cell["shown"] in ("<8", "*")


def test_the_stored_config_redacts_as_the_file_did(tmp_path):
    """What `redact` keeps in the review (allow-list, word and regex patterns, listed
    names, detectors) gives back a config that finds exactly what the file's did."""
    path = tmp_path / "privacy.yaml"
    path.write_text("allow: [Rowan Ward]\npatterns:\n  - {kind: name, words: [Bellamy]}\n"
                    "  - {kind: ward, regex: '\\bOak (?:Ward|Unit)\\b'}\nnames: [Ngaire Pettigrew]\n"
                    "detectors: [phone, name]\n", encoding="utf-8")
    given = privacy.load_config(path)
    back = privacy.PrivacyConfig.from_dict(json.loads(json.dumps(given.to_dict())))
    assert back.fingerprint() == given.fingerprint()
    text = "nurse bellamy on Rowan Ward and Oak Unit; Ngaire rang 07700 900123, ngaire@example.com"
    assert privacy.redact_text(text, back) == privacy.redact_text(text, given)
    assert privacy.redact_text(text, back)[0] == \
        "nurse [NAME 1] on Rowan Ward and [WARD]; [NAME 2] rang [PHONE], ngaire@example.com"
