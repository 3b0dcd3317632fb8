"""The workbench review queue (issue 8, item 3): the indexed order, per-person skips,
undo, background retraining, and the page in Chromium driven by the keyboard."""

from __future__ import annotations

import json
import time

import pytest
from workbench_helpers import XSS, add_user, sign_in, signed_in_client
from workbench_queue_helpers import make_suggested_review, seed_decisions

from rapidreview import store
from rapidreview.coding import background, queue

PASSWORD = "correct horse battery"


@pytest.fixture
def review(review_path):
    return make_suggested_review(review_path)


def _open(path):
    return store.open_review(path, create=False)


# ---------------------------------------------------------------- the library


def test_indexed_queue_has_the_terminal_order(review):
    db = _open(review)
    expected = [s.id for s in queue.queue(db)]
    assert len(expected) > 100
    assert [s.id for s in queue.next_suggestions(db, "alice", limit=10_000)] == expected
    # Decided suggestions drop out; the rest keep their order (no re-rank needed).
    for s in queue.queue(db)[:5]:
        queue.decide(db, s.id, "accept", actor="alice")
    assert [s.id for s in queue.next_suggestions(db, "alice", limit=10_000)] == [s.id for s in queue.queue(db)]
    # A code filter gives that code's part of the same order, as `rapidreview review --codes` does.
    code_id = queue.queue(db)[0].code_id
    filtered = queue.next_suggestions(db, "alice", queue.QueueFilter(codes={code_id}), limit=10_000)
    assert [s.id for s in filtered] == [s.id for s in queue.queue(db, codes={code_id})]
    assert queue.pending_count(db, "alice", queue.QueueFilter(codes={code_id})) == len(filtered)
    # The next suggestion is read by walking the stored order, never by sorting the suggestions.
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT c.id " + queue._walk(queue.QueueFilter()) + " ORDER BY o.rank LIMIT 1",
        [1, "alice"]))
    assert plan.startswith("SEARCH o USING PRIMARY KEY (generation=?)") and "TEMP B-TREE" not in plan
    one = queue.QueueFilter(codes={code_id})
    extra, params = one.sql()
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT c.id " + queue._walk(one) + extra + " ORDER BY o.rank LIMIT 1", [1, "alice", *params]))
    assert "queue_order_code (generation=? AND code_id=?)" in plan and "TEMP B-TREE" not in plan


def test_new_suggestions_wait_for_a_rank(review_path):
    make_suggested_review(review_path, rank=False)
    db = _open(review_path)
    assert queue.unranked(db) and queue.next_suggestions(db, "alice") == []
    assert queue.rank(db) == len(queue.queue(db))
    assert not queue.unranked(db) and queue.next_suggestions(db, "alice")
    assert queue.rank(db) and db.execute("SELECT count(DISTINCT generation) FROM queue_order").fetchone()[0] == 1


def test_skip_is_per_person_and_undo_restores(review):
    db = _open(review)
    first = queue.next_suggestions(db, "alice")[0]
    queue.skip(db, first.id, actor="alice")
    assert queue.next_suggestions(db, "alice")[0].id != first.id
    assert queue.next_suggestions(db, "bob")[0].id == first.id  # still in everyone else's queue
    queue.undo(db, first.id, actor="alice")
    assert queue.next_suggestions(db, "alice")[0].id == first.id
    queue.decide(db, first.id, "reject", actor="alice")
    with pytest.raises(queue.AlreadyDecided, match="already rejected by alice"):
        queue.decide(db, first.id, "accept", actor="bob", pending_only=True)
    with pytest.raises(Exception, match="no decision or skip"):
        queue.undo(db, first.id, actor="bob")  # only your own decisions
    queue.undo(db, first.id, actor="alice")
    row = db.execute("SELECT status, decided_by FROM codings WHERE id = ?", [first.id]).fetchone()
    assert row == ("suggested", None)
    actions = [r[0] for r in db.execute("SELECT action FROM events WHERE action IN ('skip', 'undo', 'reject') "
                                        "ORDER BY id")]
    assert actions == ["skip", "undo", "reject", "undo"]


def test_retrain_rescores_and_keeps_human_decisions(review):
    seed_decisions(review, "alice")
    db = _open(review)
    human = db.execute("SELECT id, status, decided_by FROM codings WHERE decided_by IS NOT NULL ORDER BY id").fetchall()
    result = background.retrain_and_rescore(db)
    assert result.trained and result.version and result.counts["added"] > 0
    assert db.execute("SELECT id, status, decided_by FROM codings WHERE decided_by IS NOT NULL ORDER BY id"
                      ).fetchall() == human
    versions = {r[0] for r in db.execute("SELECT DISTINCT model_version FROM codings WHERE origin = 'model'")}
    assert versions == {result.version}
    assert not queue.unranked(db)
    assert [s.id for s in queue.next_suggestions(db, "x", limit=100_000)] == [s.id for s in queue.queue(db)]
    logged = json.loads(db.execute("SELECT payload FROM events WHERE action = 'retrain'").fetchone()[0])
    assert logged["version"] == result.version


def test_failed_retrain_is_logged_and_the_queue_carries_on(review):
    retrainer = background.Retrainer(review, every=1)
    assert retrainer.decided()  # no human codings yet: the model has nothing to learn from
    retrainer.wait(120)
    assert retrainer.error and "nothing to learn" in retrainer.error
    db = _open(review)
    payload = json.loads(db.execute("SELECT payload FROM events WHERE action = 'retrain.failed'").fetchone()[0])
    assert "nothing to learn" in payload["error"]
    assert queue.next_suggestions(db, "alice")


def test_requests_coalesce_into_one_more_run(review_path):
    make_suggested_review(review_path, rank=False)
    retrainer = background.Retrainer(review_path, every=1000)
    for _ in range(5):
        retrainer.request("rank")
    retrainer.wait(120)
    assert retrainer.runs == 2 and retrainer.error is None  # the first, then one for the four that came meanwhile
    assert retrainer.last["ranked"] == len(queue.queue(_open(review_path)))
    assert not queue.unranked(_open(review_path))


# ---------------------------------------------------------------- HTTP


def test_queue_json_needs_sign_in_and_csrf_and_filters(live_server, review):
    add_user(review, "alice", PASSWORD, "coder")
    server = live_server(review)
    import httpx

    anonymous = httpx.get(server.url + "/-/workbench/queue.json")
    assert anonymous.status_code == 403
    client = signed_in_client(server, "alice", PASSWORD)
    everything = client.get("/-/workbench/queue.json").json()
    assert everything["more"] and everything["remaining"] == queue.COUNT_CAP  # counted up to a cap, then "100+"
    assert everything["ranked"] == len(queue.queue(_open(review)))
    parking = _open(review).execute("SELECT id FROM codes WHERE key = 'parking'").fetchone()[0]
    data = client.get(f"/-/workbench/queue.json?code={parking}").json()
    assert 0 < data["remaining"] < queue.COUNT_CAP and not data["more"]
    coding_id = data["suggestion"]["id"]
    no_token = client.http.post("/-/workbench/queue/decide", json={"coding_id": coding_id, "decision": "accept"})
    assert no_token.status_code == 403
    bad = client.post("/-/workbench/queue/decide", json={"coding_id": coding_id, "decision": "delete"})
    assert bad.status_code == 400 and "unknown decision" in bad.json()["error"]
    ok = client.post(f"/-/workbench/queue/decide?code={parking}", json={"coding_id": coding_id, "decision": "accept"})
    assert ok.status_code == 200 and ok.json()["outcome"]["status"] == "accepted"
    assert ok.json()["suggestion"]["id"] != coding_id
    assert ok.json()["remaining"] == data["remaining"] - 1
    again = client.post("/-/workbench/queue/decide", json={"coding_id": coding_id, "decision": "reject"})
    assert again.status_code == 409 and "already accepted by alice" in again.json()["outcome"]["error"]
    db = _open(review)
    assert db.execute("SELECT status, decided_by FROM codings WHERE id = ?", [coding_id]).fetchone() == (
        "accepted", "alice")
    # Filters: code, origin and question.
    code_id = db.execute("SELECT id FROM codes WHERE key = 'parking'").fetchone()[0]
    data = client.get(f"/-/workbench/queue.json?code={code_id}&origin=rule&question=What+could+be+better%3F").json()
    assert data["suggestion"]["code"]["key"] == "parking" and data["suggestion"]["origin"] == "rule"
    assert data["suggestion"]["question"] == "What could be better?"
    assert data["remaining"] == queue.pending_count(db, "alice", queue.QueueFilter(
        codes={code_id}, origin="rule", question="What could be better?"))
    assert client.get("/-/workbench/queue.json?code=x").status_code == 400
    client.close()


# ---------------------------------------------------------------- Chromium


def _current(page) -> int:
    page.wait_for_selector("#rr-suggestion:not([hidden])")
    return int(page.get_attribute("#rr-suggestion", "data-coding-id"))


def _press(page, key: str, before: int) -> int:
    page.keyboard.press(key)
    page.wait_for_function(
        "(before) => { const el = document.getElementById('rr-suggestion');"
        " return el.hidden || Number(el.dataset.codingId) !== before; }", arg=before)
    return _current(page)


@pytest.mark.browser
def test_accept_ten_by_keyboard_then_reject_skip_undo(live_server, page, review):
    add_user(review, "alice", PASSWORD, "coder")
    server = live_server(review, env={"RAPIDREVIEW_RETRAIN_EVERY": "1000"})
    sign_in(page, server, "alice", PASSWORD, next_path="/-/workbench/queue")
    page.goto(server.url + "/-/workbench/queue")
    shown = _current(page)
    assert page.inner_text("#rr-code-name") and "rule" in page.inner_text("#rr-source")
    assert "Service" in page.inner_text("#rr-attributes")
    accepted = []
    for _ in range(10):
        accepted.append(shown)
        shown = _press(page, "a", shown)
    assert "Decided this session: 10" in page.inner_text("#rr-progress")
    rejected = shown
    shown = _press(page, "r", shown)
    skipped = shown
    shown = _press(page, "s", shown)
    assert shown != skipped
    shown = _press(page, "u", shown)  # undo the skip: it comes back
    assert shown == skipped
    assert "Undone: skip" in page.inner_text("#rr-message")
    page.keyboard.press("?")
    assert page.is_visible("#rr-help")
    page.click("button[data-decision=accept]")  # the mouse works too
    page.wait_for_function(f"Number(document.getElementById('rr-suggestion').dataset.codingId) !== {skipped}")
    assert "Decided this session: 12" in page.inner_text("#rr-progress")

    db = _open(review)
    rows = dict(db.execute("SELECT id, status FROM codings WHERE decided_by = 'alice'").fetchall())
    assert {i for i, s in rows.items() if s == "accepted"} == set(accepted) | {skipped}
    assert rows[rejected] == "rejected" and len(rows) == 12
    events = db.execute("SELECT action, json_extract(payload, '$.coding_id') FROM events WHERE actor = 'alice' "
                        "AND action IN ('accept', 'reject', 'skip', 'undo') ORDER BY id").fetchall()
    assert events == ([("accept", i) for i in accepted] + [("reject", rejected), ("skip", skipped),
                                                           ("undo", skipped), ("accept", skipped)])
    assert db.execute("SELECT count(*) FROM queue_skips").fetchone()[0] == 0


@pytest.mark.browser
def test_background_retrain_after_n_decisions(live_server, page, review):
    seed_decisions(review, "alice")
    add_user(review, "bob", PASSWORD, "coder")
    server = live_server(review, env={"RAPIDREVIEW_RETRAIN_EVERY": "3"})
    sign_in(page, server, "bob", PASSWORD, next_path="/-/workbench/queue")
    page.goto(server.url + "/-/workbench/queue")
    shown = _current(page)
    before = {r[0] for r in _open(review).execute("SELECT id FROM models")}
    for key in "aar":
        shown = _press(page, key, shown)
    db = _open(review)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not db.execute("SELECT 1 FROM events WHERE action = 'retrain'").fetchone():
        time.sleep(0.5)
    model_id, version = db.execute("SELECT id, version FROM models ORDER BY id DESC LIMIT 1").fetchone()
    assert model_id not in before
    assert db.execute("SELECT count(*) FROM codings WHERE origin = 'model' AND model_version = ?",
                      [version]).fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM codings WHERE decided_by = 'bob'").fetchone()[0] == 3
    # The page says so after its next fetch.
    shown = _press(page, "s", shown)
    page.wait_for_function(f"document.getElementById('rr-model-status').textContent.includes('version {model_id}')")
    assert not queue.unranked(db)


@pytest.mark.browser
def test_payloads_in_text_attributes_and_code_names_are_inert(live_server, page, review_path):
    make_suggested_review(review_path, xss=True)
    add_user(review_path, "alice", PASSWORD, "coder")
    db = _open(review_path)
    code_id = db.execute("SELECT id FROM codes WHERE key = 'xss'").fetchone()[0]
    server = live_server(review_path)
    sign_in(page, server, "alice", PASSWORD, next_path="/-/workbench/queue")
    page.goto(f"{server.url}/-/workbench/queue?code={code_id}&question=What+was+good%3F")
    _current(page)
    assert page.inner_text("#rr-code-name") == XSS[0]
    assert XSS[1] in page.inner_text("#rr-definition")
    # The first answers carry a payload in their text and in their Service attribute.
    seen_text = seen_attr = False
    shown = _current(page)
    for _ in range(60):
        seen_text |= any(x in page.inner_text("#rr-context") for x in XSS)
        seen_attr |= any(x in page.inner_text("#rr-attributes") for x in XSS)
        if seen_text and seen_attr:
            break
        shown = _press(page, "s", shown)
    assert seen_text and seen_attr
    assert page.locator("#rr-queue img, #rr-queue script, select img").count() == 0
    assert XSS[0] in page.inner_text("select[name=code]")  # the filter lists it as text
