"""The review queue: most uncertain first, accept / reject / skip, every decision logged."""

from __future__ import annotations

import json

import pytest
from test_coding_model import CliRunnerSafe, make_review

from rapidreview import store
from rapidreview.coding import queue, suggest
from rapidreview.errors import RapidReviewError


@pytest.fixture
def coded(tmp_path, run):
    path = make_review(tmp_path, run)
    db = store.open_review(path)
    with store.transaction(db):
        db.execute("UPDATE codes SET rules = ? WHERE name = 'Waiting'", [json.dumps({"keywords": ["wait"]})])
    suggest.code(db)
    return path, db


def test_uncertain_order_puts_confidence_near_threshold_first(coded):
    _, db = coded
    items = queue.queue(db, order="margin")
    assert len(items) == db.execute("SELECT count(*) FROM codings WHERE status = 'suggested'").fetchone()[0]
    margins = [s.margin for s in items]
    assert margins == sorted(margins)
    thresholds = queue._thresholds(db)
    for s in items:
        if s.coder == "model":
            assert s.margin == pytest.approx(abs(s.confidence - thresholds[(s.model_version, s.code_id)]))
        elif s.confidence is None:
            assert s.margin == queue.RULE_MARGIN
    shuffled = queue.queue(db, order="random", seed=1)
    assert shuffled == queue.queue(db, order="random", seed=1)  # reproducible
    assert {s.id for s in shuffled} == {s.id for s in items}


def test_decisions_update_status_and_are_logged(coded):
    _, db = coded
    first, second, third = queue.queue(db)[:3]
    queue.decide(db, first.id, "accept", actor="alice")
    queue.decide(db, second.id, "reject", actor="alice")
    queue.skip(db, third.id, actor="alice")
    rows = dict(db.execute("SELECT id, status FROM codings WHERE id IN (?, ?, ?)",
                           [first.id, second.id, third.id]).fetchall())
    assert rows == {first.id: "accepted", second.id: "rejected", third.id: "suggested"}
    events = db.execute("SELECT actor, action, payload FROM events WHERE action IN ('accept', 'reject', 'skip') "
                        "ORDER BY id").fetchall()
    assert [(a, b) for a, b, _ in events] == [("alice", "accept"), ("alice", "reject"), ("alice", "skip")]
    assert json.loads(events[0][2])["coding_id"] == first.id
    remaining = {s.id for s in queue.queue(db)}
    assert first.id not in remaining and second.id not in remaining and third.id in remaining
    with pytest.raises(RapidReviewError, match="unknown decision"):
        queue.decide(db, third.id, "maybe")


def test_manual_codings_cannot_be_decided(coded):
    _, db = coded
    manual_id = db.execute("SELECT id FROM codings WHERE origin = 'import' LIMIT 1").fetchone()[0]
    with pytest.raises(RapidReviewError, match="not a suggestion"):
        queue.decide(db, manual_id, "reject", actor="alice")


def test_review_command_keys(coded, run):
    path, db = coded
    order = [s.id for s in queue.queue(db)]
    result = run("review", path, "--coder", "bob", input="arxsq")
    assert "1 accepted, 1 rejected, 1 skipped." in result.output
    status = dict(db.execute(f"SELECT id, status FROM codings WHERE id IN ({','.join('?' * 4)})", order[:4]).fetchall())
    assert [status[i] for i in order[:4]] == ["accepted", "rejected", "suggested", "suggested"]
    assert db.execute("SELECT decided_by FROM codings WHERE id = ?", [order[0]]).fetchone()[0] == "bob"
    listed = json.loads(run("review", path, "--list", "--json").output)
    assert [s["id"] for s in listed] == [i for i in order if i not in order[:2]]


def test_review_unknown_code_is_a_clear_error(coded, run):
    path, _ = coded
    result = CliRunnerSafe(run)("review", path, "--codes", "Wating")
    assert result.exit_code == 1 and "unknown code 'Wating'; did you mean 'Waiting'" in result.output
