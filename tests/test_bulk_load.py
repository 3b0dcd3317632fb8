"""Imports load in bulk: SQLite does not check each row's parents and, for a file bigger
than the review, builds the indexes once at the end. What must still hold: every
reference is sound, the indexes are all back, and a failed import changes nothing."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from conftest import ROOT, snapshot

from rapidreview import ImportOptions, demo, import_files, open_review
from rapidreview.errors import InputError
from rapidreview.ingest import BIG_LOAD_BYTES

sys.path.insert(0, str(ROOT / "bench"))
import gen_survey  # noqa: E402

CORPUS = ROOT / "corpora" / "healthwatch-sample"
SURVEY = ImportOptions(text=gen_survey.QUESTIONS, id="Respondent ID", attrs=["Service", "Area", "Age group"])


def _indexes(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'"))
    finally:
        conn.close()


def _foreign_key_violations(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()


def _big_survey(path: Path, rows: int = 12_000) -> Path:
    gen_survey.write_csv(path, rows, seed=3)
    assert path.stat().st_size > BIG_LOAD_BYTES, "too small to be loaded in bulk: raise the row count"
    return path


def test_every_reference_is_sound_after_imports_of_every_kind(run, tmp_path, fft_dev):
    review = tmp_path / "review.db"
    demo.import_corpus(open_review(review), demo.find_corpus(CORPUS))  # transcripts in every format, surveys
    fft = ["--text", "FFT answer", "--id", "Comment ID", "--respondent", "Respondent ID",
           "--question-col", "FFT question", "--attr", "Trust", "--codes", "Not assigned.."]
    assert run("import", review, fft_dev, *fft, "--silent").exit_code == 0  # codings from code columns
    db = open_review(review)
    import_files(db, [_big_survey(tmp_path / "big.csv")], SURVEY)
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1, "the connection must check references again"
    db.conn.close()
    assert _foreign_key_violations(review) == []
    counts = snapshot(review)
    assert counts["codings"] > 6000 and counts["segments"] > counts["documents"] / 2


def test_a_big_import_puts_back_every_index(tmp_path):
    fresh, loaded = tmp_path / "fresh.db", tmp_path / "loaded.db"
    open_review(fresh).conn.close()
    db = open_review(loaded)
    import_files(db, [_big_survey(tmp_path / "big.csv")], SURVEY)
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT document_id FROM attributes WHERE name = 'Service' AND value = 'GP practice'"))
    db.conn.close()
    assert _indexes(loaded) == _indexes(fresh)
    assert "attributes_name_value" in plan
    conn = sqlite3.connect(loaded)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_big_import_that_fails_late_changes_nothing(tmp_path):
    review = tmp_path / "review.db"
    db = open_review(review)
    demo.import_corpus(db, demo.find_corpus(CORPUS))
    before, indexes = snapshot(review), _indexes(review)
    big = _big_survey(tmp_path / "big.csv")
    lines = big.read_text(encoding="utf-8").splitlines(keepends=True)
    big.write_text("".join(lines + [lines[5]]), encoding="utf-8")  # the last row repeats a respondent
    try:
        import_files(db, [big], SURVEY)
    except InputError as e:
        assert "twice" in str(e)
    else:
        raise AssertionError("a repeated respondent was accepted")
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    db.conn.close()
    assert snapshot(review) == before
    assert _indexes(review) == indexes
