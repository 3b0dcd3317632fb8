"""Writing suggestions fast without losing safety: batched inserts, one read of the
existing rows, streamed matching from forked workers, and the queue's default
active-learning order (per-code doubt, codes interleaved in proportion)."""

from __future__ import annotations

import json

import pytest
from test_coding_model import make_review

from rapidreview import store
from rapidreview.coding import queue, rules, suggest
from rapidreview.coding.units import load_units


@pytest.fixture
def review(tmp_path, run):
    path = make_review(tmp_path, run)
    db = store.open_review(path)
    with store.transaction(db):
        db.execute("UPDATE codes SET rules = ? WHERE name = 'Waiting'", [json.dumps({"keywords": ["wait", "hour"]})])
        db.execute("UPDATE codes SET rules = ? WHERE name = 'Parking'", [json.dumps({"keywords": ["park"]})])
    return db


def rule_rows(db):
    return db.execute("""SELECT document_id, segment_id, start, "end", code_id, coder, origin, status, confidence,
                                model_version, rule FROM codings WHERE coder = 'rules' ORDER BY id""").fetchall()


def test_batched_writes_equal_one_batch_and_rerun_is_idempotent(review, monkeypatch):
    db = review
    options = suggest.CodeOptions(model=False, sentiment=False)
    first = suggest.code(db, options).counts["rules"]
    rows = rule_rows(db)
    assert first["added"] == len(rows) > 3
    with store.transaction(db):
        db.execute("DELETE FROM codings WHERE coder = 'rules'")
    monkeypatch.setattr(suggest, "INSERT_BATCH", 2)  # many small batches inside the one transaction
    assert suggest.code(db, options).counts["rules"]["added"] == len(rows)
    assert rule_rows(db) == rows  # same rows, same order, same values
    again = suggest.code(db, options).counts["rules"]
    assert again == {"added": 0, "updated": 0, "unchanged": len(rows), "withdrawn": 0, "human": first["human"]}
    assert first["human"] > 0  # imported codings on the same spans were left alone


def test_human_decisions_survive_and_stale_suggestions_go(review):
    db = review
    options = suggest.CodeOptions(model=False, sentiment=False)
    suggest.code(db, options)
    ids = [r[0] for r in db.execute("SELECT id FROM codings WHERE coder = 'rules' ORDER BY id")]
    queue.decide(db, ids[0], "accept", actor="ann")
    queue.decide(db, ids[1], "reject", actor="ann")
    decided = db.execute("SELECT * FROM codings WHERE id IN (?, ?) ORDER BY id", ids[:2]).fetchall()
    with store.transaction(db):  # the rules no longer fire anywhere
        db.execute("UPDATE codes SET rules = ? WHERE name IN ('Waiting', 'Parking')",
                   [json.dumps({"keywords": ["zzzz"]})])
    counts = suggest.code(db, options).counts["rules"]
    assert counts["withdrawn"] == len(ids) - 2 and counts["added"] == 0
    assert db.execute("SELECT * FROM codings WHERE coder = 'rules' ORDER BY id").fetchall() == decided


def test_lexicon_and_rule_passes_keep_apart(review):
    db = review
    suggest.code(db, suggest.CodeOptions(model=False))
    n_lex = db.execute("SELECT count(*) FROM codings WHERE rule LIKE 'lexicon:%'").fetchone()[0]
    n_rules = db.execute("SELECT count(*) FROM codings WHERE coder = 'rules'").fetchone()[0] - n_lex
    assert n_lex and n_rules
    result = suggest.code(db, suggest.CodeOptions(model=False))
    assert result.counts["rules"]["unchanged"] == n_rules and result.counts["rules"]["withdrawn"] == 0
    assert result.counts["sentiment"]["unchanged"] == n_lex and result.counts["sentiment"]["withdrawn"] == 0


def test_streamed_parallel_matching_equals_one_process(review, monkeypatch):
    db = review
    units = load_units(db) * 40  # enough units for several chunks
    compiled = rules.compile_rules(rules.code_rules(db))
    monkeypatch.setenv("RAPIDREVIEW_JOBS", "1")
    one = [(id(u), c, label) for u, c, label in rules.match(compiled, units)]
    monkeypatch.setenv("RAPIDREVIEW_JOBS", "2")
    monkeypatch.setattr(rules, "PARALLEL_MIN_UNITS", 10)
    monkeypatch.setattr(rules.workers.os, "cpu_count", lambda: 2)
    assert rules.workers.count(len(units), rules.PARALLEL_MIN_UNITS) == 2  # really forked
    two = [(id(u), c, label) for u, c, label in rules.match(compiled, units)]
    assert one and two == one


def fake(i, code_id, confidence):
    return queue.Suggestion(i, 1, "D", None, 0, 1, code_id, "c", "model", "model", confidence, None, "v", "t", 0.0)


def test_uncertain_order_is_per_code_doubt_interleaved_by_share():
    # code 1 has three suggestions, code 2 one: code 2 gets its turn halfway, not first or last
    items = [fake(1, 1, 0.95), fake(2, 1, 0.55), fake(3, 1, 0.7), fake(4, 2, 0.9)]
    got = [s.id for s in queue._stratified(items, lambda s: str(s.id))]
    assert got == [2, 3, 4, 1]  # code 1 at 1/6, 3/6, 5/6 (0.55 nearest 0.5 first), code 2 at 3/6


def test_uncertain_queue_order_is_stable_as_people_decide(review):
    db = review
    suggest.code(db, suggest.CodeOptions(model=False))
    order = [s.id for s in queue.queue(db)]
    assert len({s.code_id for s in queue.queue(db)}) > 1
    queue.decide(db, order[0], "accept", actor="ann")
    queue.decide(db, order[3], "reject", actor="ann")
    assert [s.id for s in queue.queue(db)] == [i for i in order if i not in (order[0], order[3])]
    assert [s.id for s in queue.queue(db, order="margin")] != []
    with pytest.raises(Exception, match="unknown queue order 'best'"):
        queue.queue(db, order="best")


def test_foreign_keys_skipped_only_when_nobody_else_wrote(review, tmp_path):
    import sqlite3

    db = review
    options = suggest.CodeOptions(model=False, sentiment=False)
    snapshot = suggest.data_version(db)
    units = load_units(db)
    compiled = rules.compile_rules(rules.code_rules(db))
    hits = [(u, c, None, None, label) for u, c, label in rules.match(compiled, units)]
    other = sqlite3.connect(db.conn.execute("PRAGMA database_list").fetchone()[2])
    with other:  # another connection deletes a document after we read the units
        other.execute("PRAGMA foreign_keys = ON")
        gone = hits[0][0].document_id
        other.execute("DELETE FROM documents WHERE id = ?", [gone])
    other.close()
    with pytest.raises(Exception, match="FOREIGN KEY"):  # checked row by row again: nothing orphaned
        suggest.write_suggestions(db, "rules", "rule", hits, scope=set(compiled.code_ids), snapshot=snapshot)
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert not db.conn.in_transaction
    suggest.code(db, options)  # fresh snapshot: no foreign-key check needed, all rows valid
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA foreign_key_check(codings)").fetchall() == []
    assert db.execute("SELECT count(*) FROM codings WHERE coder = 'rules'").fetchone()[0] > 0
