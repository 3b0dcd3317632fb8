"""Manual coding: apply and remove a code on a segment or an exact span, per coder, logged."""

from __future__ import annotations

import csv
import json

import pytest

from rapidreview import codebook as cb
from rapidreview import import_files
from rapidreview.coding import manual
from rapidreview.errors import InputError, NotFound
from rapidreview.ingest import ImportOptions

BOOK = """\
name: Book
codes:
  - key: access
    name: Access
    codable: false
    children:
      - {key: waiting, name: Waiting}
  - {key: staff, name: Staff attitude}
"""
TEXT = "I waited four hours. The staff were rude. Then I waited again."


@pytest.fixture
def coded(db, tmp_path):
    path = tmp_path / "survey.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ID", "Answer"])
        w.writerow(["R1", TEXT])
        w.writerow(["R2", "Fine."])
    import_files(db, [path], ImportOptions(text=["Answer"], id="ID"))
    cb.load_codebook(db, cb.loads_yaml(BOOK))
    return db


def rows(db):
    return db.execute('SELECT c.key, g.coder, g.start, g."end", g.segment_id, g.origin, g.status '
                      "FROM codings g JOIN codes c ON c.id = g.code_id ORDER BY g.id").fetchall()


def events(db, action):
    return [json.loads(r[0]) | {"actor": r[1]} for r in
            db.execute("SELECT payload, actor FROM events WHERE action = ? ORDER BY id", [action])]


def test_apply_and_remove_on_a_segment_per_coder(coded):
    db = coded
    seg = db.execute("SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id "
                     "WHERE d.external_id = 'R1 | Answer'").fetchone()[0]
    a = manual.apply_code(db, "staff", segment=seg, coder="alice")
    b = manual.apply_code(db, "Staff attitude", segment=seg, coder="bob")
    assert (a["action"], b["action"]) == ("applied", "applied")
    assert a["text"] == TEXT and (a["start"], a["end"]) == (0, len(TEXT))
    again = manual.apply_code(db, "staff", segment=seg, coder="alice")
    assert again["action"] == "unchanged"
    assert rows(db) == [("staff", "alice", 0, len(TEXT), seg, "manual", "accepted"),
                        ("staff", "bob", 0, len(TEXT), seg, "manual", "accepted")]
    removed = manual.remove_code(db, "staff", segment=seg, coder="alice")
    assert removed["action"] == "removed"
    assert rows(db) == [("staff", "bob", 0, len(TEXT), seg, "manual", "accepted")]  # bob's stays
    with pytest.raises(NotFound, match="'alice' has not applied 'staff'"):
        manual.remove_code(db, "staff", segment=seg, coder="alice")
    applied = events(db, "coding.apply")
    assert [(e["actor"], e["code"], e["segment_id"]) for e in applied] == [("alice", "staff", seg), ("bob", "staff", seg)]
    assert events(db, "coding.remove")[0]["coder"] == "alice"


def test_apply_on_an_exact_span_checked_against_the_text(coded):
    db = coded
    start = TEXT.index("four hours")
    result = manual.apply_code(db, "waiting", document="R1", start=start, end=start + 10, coder="alice")
    assert result["text"] == "four hours"
    assert result["segment_id"] is not None  # inside the answer's one segment
    stored = db.execute('SELECT d.text, g.start, g."end" FROM codings g JOIN documents d ON d.id = g.document_id'
                        ).fetchone()
    assert stored[0][stored[1]:stored[2]] == "four hours"
    with pytest.raises(InputError, match=r"outside document 'R1 | Answer', whose text has 62 characters"):
        manual.apply_code(db, "waiting", document="R1", start=50, end=99, coder="alice")
    with pytest.raises(InputError, match="outside"):
        manual.apply_code(db, "waiting", document="R1", start=5, end=5, coder="alice")
    with pytest.raises(InputError, match="both --start and --end"):
        manual.apply_code(db, "waiting", document="R1", start=5, coder="alice")


def test_apply_by_quote_finds_offsets_and_asks_which_when_ambiguous(coded):
    db = coded
    with pytest.raises(InputError, match=r"appears 2 times .* --occurrence"):
        manual.apply_code(db, "waiting", document="R1", quote="waited", coder="alice")
    second = manual.apply_code(db, "waiting", document="R1", quote="waited", occurrence=2, coder="alice")
    assert second["start"] == TEXT.rindex("waited")
    with pytest.raises(InputError, match="different capitals"):
        manual.apply_code(db, "waiting", document="R1", quote="The Staff", coder="alice")


def test_whole_document_when_it_has_one_segment(coded):
    result = manual.apply_code(coded, "waiting", document="R2", coder="carol")
    assert result["text"] == "Fine."


def test_headings_archived_and_unknown_codes_refused(coded):
    db = coded
    with pytest.raises(InputError, match="category heading"):
        manual.apply_code(db, "access", document="R2", coder="alice")
    with pytest.raises(NotFound, match="did you mean 'waiting'"):
        manual.apply_code(db, "waitng", document="R2", coder="alice")
    with pytest.raises(NotFound, match="no document 'R9'"):
        manual.apply_code(db, "waiting", document="R9", coder="alice")
    cb.archive_code(db, "staff")
    with pytest.raises(NotFound, match="archived"):
        manual.apply_code(db, "staff", document="R2", coder="alice")


def test_a_suggestion_by_the_same_coder_becomes_accepted(coded):
    db = coded
    doc = db.execute("SELECT id FROM documents WHERE external_id = 'R2 | Answer'").fetchone()[0]
    code = db.execute("SELECT id FROM codes WHERE key = 'staff'").fetchone()[0]
    db.execute("INSERT INTO codings (document_id, start, \"end\", code_id, coder, origin, status, confidence, "
               "created_at) VALUES (?, 0, 5, ?, 'alice', 'model', 'suggested', 0.6, 'now')", [doc, code])
    result = manual.apply_code(db, "staff", document="R2", coder="alice")
    assert result["action"] == "accepted"
    assert rows(db)[-1][-2:] == ("manual", "accepted")


def test_cli_apply_and_unapply(coded, review_path, run):
    coded.conn.close()
    result = run("apply", review_path, "waiting", "--document", "R1", "--quote", "four hours", "--coder", "dan")
    assert result.exit_code == 0, result.output
    assert "Applied waiting (dan) on R1 | Answer 9-19: 'four hours'" in result.output
    result = run("apply", review_path, "waiting", "--document", "R1", "--start", "0", "--end", "999", "--coder", "dan")
    assert result.exit_code == 1
    assert "Error: span 0-999 is outside document 'R1 | Answer'" in result.output
    result = run("unapply", review_path, "waiting", "--document", "R1", "--start", "9", "--end", "19",
                 "--coder", "dan", "--json")
    assert json.loads(result.output)["action"] == "removed"
