"""Memos on documents, codes, segments and the review: added, listed, deleted, logged."""

from __future__ import annotations

import csv
import json

import pytest

from rapidreview import codebook as cb
from rapidreview import import_files, memos
from rapidreview.errors import InputError, NotFound
from rapidreview.ingest import ImportOptions


@pytest.fixture
def review(db, tmp_path):
    path = tmp_path / "survey.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["ID", "Answer"], ["R1", "Waited ages."], ["R2", "Lovely staff."]])
    import_files(db, [path], ImportOptions(text=["Answer"], id="ID"))
    cb.load_codebook(db, cb.loads_yaml("name: B\ncodes:\n  - {key: waiting, name: Waiting}\n"))
    return db


def test_memos_on_documents_codes_and_the_review(review):
    db = review
    m1 = memos.add_memo(db, "document", "R1", "Check this against the complaint log.", author="alice")
    m2 = memos.add_memo(db, "code", "Waiting", "  Includes waits for transport.  ", author="bob")
    memos.add_memo(db, "review", None, "First pass done.", author="alice")
    assert (m1["about"], m2["about"], m2["text"]) == ("R1 | Answer", "waiting", "Includes waits for transport.")
    assert [m["text"] for m in memos.list_memos(db, "document", "R1")] == ["Check this against the complaint log."]
    assert [m["about"] for m in memos.list_memos(db, "code", "waiting")] == ["waiting"]
    assert len(memos.list_memos(db)) == 3
    assert [m["target"] for m in memos.list_memos(db, author="alice")] == ["document", "review"]
    memos.delete_memo(db, m1["id"], author="carol")
    assert len(memos.list_memos(db)) == 2
    logged = db.execute("SELECT action, actor, payload FROM events WHERE action LIKE 'memo.%' ORDER BY id").fetchall()
    assert [(a, b) for a, b, _ in logged] == [("memo.add", "alice"), ("memo.add", "bob"), ("memo.add", "alice"),
                                              ("memo.delete", "carol")]
    assert json.loads(logged[-1][2])["text"] == "Check this against the complaint log."


def test_memo_errors(review):
    db = review
    with pytest.raises(InputError, match="empty"):
        memos.add_memo(db, "document", "R1", "   ")
    with pytest.raises(NotFound, match="no document 'R7'"):
        memos.add_memo(db, "document", "R7", "x")
    with pytest.raises(NotFound, match="no segment"):
        memos.add_memo(db, "segment", 999, "x")
    with pytest.raises(InputError, match="one of"):
        memos.add_memo(db, "respondent", "R1", "x")


def test_memo_cli(review, review_path, run):
    review.conn.close()
    result = run("memo", "add", review_path, "Mentions a named nurse", "--document", "R2", "--author", "eve")
    assert result.exit_code == 0, result.output
    result = run("memo", "list", review_path, "--json")
    assert [(m["about"], m["author"]) for m in json.loads(result.output)] == [("R2 | Answer", "eve")]
    result = run("memo", "add", review_path, "x")
    assert result.exit_code == 2 and "say what the memo is about" in result.output
