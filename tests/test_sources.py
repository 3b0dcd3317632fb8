"""`rapidreview sources`: list, and remove one source with everything derived from it."""

from __future__ import annotations

import json
import sqlite3

import pytest

from rapidreview import ImportOptions, import_files, sources, store
from rapidreview.errors import NotFound

WAVE1 = """ID,Service,What was good?,What could be better?
R1,GP,Friendly receptionist,Parking is a nightmare
R2,GP,Quick appointment,Waiting on the phone for forty minutes
R3,Hospital,Kind nurses,Did not answer
"""
WAVE2 = """ID,Service,What could be better?,Codes
R1,GP,The hoverboard ramp was broken,Access
R9,Dentist,Xylophone music in the waiting room,Environment;Noise
"""


def build(tmp_path):
    (tmp_path / "wave1.csv").write_text(WAVE1, encoding="utf-8")
    (tmp_path / "wave2.csv").write_text(WAVE2, encoding="utf-8")
    db = store.open_review(tmp_path / "review.db")
    import_files(db, [tmp_path / "wave1.csv"], ImportOptions(
        text=["What was good?", "What could be better?"], id="ID", attrs=["Service"], wave="1"))
    import_files(db, [tmp_path / "wave2.csv"], ImportOptions(
        text=["What could be better?"], id="ID", attrs=["Service"], codes=["Codes"], wave="2"))
    return db


@pytest.fixture
def review(tmp_path):
    db = build(tmp_path)
    yield db
    db.conn.close()


def count(db, sql, params=()):
    return db.execute(sql, params).fetchone()[0]


def search(db, term):
    return [r[0] for r in db.execute("SELECT rowid FROM segments_fts WHERE segments_fts MATCH ?", [term])]


def add_derived_rows(db, source_id):
    """Rows later features create (theme members, redactions, memos) on every document of a source."""
    docs = [r[0] for r in db.execute("SELECT id FROM documents WHERE source_id = ?", [source_id])]
    segs = [r[0] for r in db.execute(
        "SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id WHERE d.source_id = ?", [source_id])]
    with store.transaction(db):
        run = db.execute("INSERT INTO theme_runs (created_at) VALUES ('2025-01-01')").lastrowid
        theme = db.execute("INSERT INTO themes (run_id, number, label) VALUES (?, 1, 'Access')", [run]).lastrowid
        for seg in segs:
            db.execute("INSERT INTO theme_members (theme_id, segment_id, weight) VALUES (?, ?, 1)", [theme, seg])
            db.execute("INSERT INTO memos (target, target_id, author, text, created_at) "
                       "VALUES ('segment', ?, 'amy', 'note', '2025-01-01')", [seg])
        for doc in docs:
            db.execute("INSERT INTO redactions (document_id, start, \"end\", kind, replacement, detector, created_at) "
                       "VALUES (?, 0, 1, 'name', '[NAME]', 'test', '2025-01-01')", [doc])
            db.execute("INSERT INTO memos (target, target_id, author, text, created_at) "
                       "VALUES ('document', ?, 'amy', 'note', '2025-01-01')", [doc])
        db.execute("INSERT INTO memos (target, target_id, author, text, created_at) "
                   "VALUES ('review', NULL, 'amy', 'keep me', '2025-01-01')")
    return len(docs), len(segs)


def test_list_sources(review):
    rows = sources.list_sources(review)
    assert [(r["id"], r["name"], r["format"], r["batch"], r["documents"]) for r in rows] == [
        (1, "wave1.csv", "csv", "1", 6), (2, "wave2.csv", "csv", "2", 2)]
    assert rows[0]["imported_at"]


def test_remove_source_removes_everything_derived(review):
    n_docs, n_segs = add_derived_rows(review, 2)
    assert (n_docs, n_segs) == (2, 2)
    assert search(review, "xylophone") and search(review, "hoverboard")
    before_wave1 = count(review, "SELECT count(*) FROM documents WHERE source_id = 1")

    plan = sources.remove_source(review, "wave2.csv", actor="amy")

    assert plan["removed"] == {"documents": 2, "attributes": 4, "segments": 2, "codings": 3, "redactions": 2,
                               "theme_members": 2, "memos": 4, "respondents": 1}
    for table in ("codings", "redactions", "theme_members"):
        assert count(review, f"SELECT count(*) FROM {table}") == 0, table
    assert count(review, "SELECT count(*) FROM sources") == 1
    assert count(review, "SELECT count(*) FROM documents") == before_wave1 == 6
    # R9 answered only in wave 2 and is gone; R1 answered wave 1 too and stays.
    assert [r[0] for r in review.execute("SELECT external_id FROM respondents ORDER BY external_id")] == \
        ["R1", "R2", "R3"]
    assert [r[0] for r in review.execute("SELECT text FROM memos")] == ["keep me"]
    # The full-text index no longer finds the removed text, and still finds the rest.
    assert search(review, "xylophone") == [] and search(review, "hoverboard") == []
    assert len(search(review, "parking")) == 1
    assert sources.check_integrity(review) == []
    event = review.execute("SELECT actor, action, payload FROM events ORDER BY id DESC LIMIT 1").fetchone()
    assert event[:2] == ("amy", "source.remove")
    assert json.loads(event[2])["name"] == "wave2.csv" and json.loads(event[2])["segments"] == 2


def test_remove_then_reimport_gives_the_same_counts(review, tmp_path):
    before = count(review, "SELECT count(*) FROM segments")
    sources.remove_source(review, 2)
    import_files(review, [tmp_path / "wave2.csv"], ImportOptions(
        text=["What could be better?"], id="ID", attrs=["Service"], codes=["Codes"], wave="2"))
    assert count(review, "SELECT count(*) FROM segments") == before
    assert len(search(review, "xylophone")) == 1
    assert sources.check_integrity(review) == []


def test_integrity_checks_detect_a_stale_search_index(review):
    # Delete a segment behind the trigger's back: the FTS check must notice.
    review.execute("DROP TRIGGER segments_fts_delete")
    review.execute("DELETE FROM segments WHERE id = 1")
    problems = sources.check_integrity(review)
    assert problems and "full-text index" in problems[0]


def test_unknown_and_ambiguous_sources(review, tmp_path):
    with pytest.raises(NotFound, match=r"no source 'wave3.csv'\. Did you mean 'wave[12].csv' or 'wave[12].csv'"):
        sources.find_source(review, "wave3.csv")
    with pytest.raises(NotFound, match="no source '7'"):
        sources.find_source(review, 7)
    # The same file name from two folders: the name is ambiguous, the id is not.
    other = tmp_path / "other"
    other.mkdir()
    (other / "wave1.csv").write_text(WAVE1.replace("Friendly", "Helpful"), encoding="utf-8")
    import_files(review, [other / "wave1.csv"], ImportOptions(text=["What was good?"], id="ID"))
    with pytest.raises(NotFound, match=r"'wave1.csv' names 2 sources \(ids 1, 3\)"):
        sources.find_source(review, "wave1.csv")
    assert sources.find_source(review, str(other / "wave1.csv"))["id"] == 3


def test_cli_list_is_the_default(tmp_path, run):
    build(tmp_path).conn.close()
    plain = run("sources", tmp_path / "review.db")
    listed = run("sources", "list", tmp_path / "review.db")
    assert plain.exit_code == 0 and plain.output == listed.output
    assert plain.output.splitlines()[0].split() == ["id", "name", "format", "imported_at", "batch", "documents"]
    assert "wave2.csv" in plain.output
    data = json.loads(run("sources", "list", tmp_path / "review.db", "--json").output)
    assert [d["documents"] for d in data] == [6, 2]


def test_cli_remove_asks_first(tmp_path, run):
    build(tmp_path).conn.close()
    path = tmp_path / "review.db"
    declined = run("sources", "remove", path, "wave2.csv", input="n\n")
    assert declined.exit_code == 1  # click's Abort
    assert "2 documents" in declined.output and "3 codings" in declined.output
    assert count(sqlite3.connect(path), "SELECT count(*) FROM sources") == 2

    done = run("sources", "remove", path, "2", "--yes")
    assert done.exit_code == 0, done.output
    assert "Removed source 2 (wave2.csv): 2 documents" in done.output
    conn = sqlite3.connect(path)
    assert count(conn, "SELECT count(*) FROM sources") == 1
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    missing = run("sources", "remove", path, "wave2.csv", "--yes")
    assert missing.exit_code == 1 and "Error: no source 'wave2.csv'" in missing.output
