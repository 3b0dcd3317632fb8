"""Two researchers working through the queue at once, while the model retrains in the
background (issue 8, item 6): no lost write, no server error, no "database is locked"."""

from __future__ import annotations

import threading
import time
from collections import Counter

from workbench_helpers import add_user, signed_in_client
from workbench_queue_helpers import make_suggested_review, seed_decisions

from rapidreview import store

PASSWORD = "correct horse battery"
DECISIONS = 200  # per person


def work(server, name: str, decisions: list, problems: list) -> None:
    client = signed_in_client(server, name, PASSWORD)
    try:
        data = client.get("/-/workbench/queue.json").json()
        made = 0
        while made < DECISIONS:
            s = data["suggestion"]
            if s is None:
                problems.append(f"{name}: queue ran dry after {made}")
                return
            decision = "accept" if (s["id"] + made) % 3 else "reject"
            r = client.post("/-/workbench/queue/decide", json={"coding_id": s["id"], "decision": decision})
            if r.status_code >= 500 or "locked" in r.text:
                problems.append(f"{name}: {r.status_code} {r.text[:200]}")
                return
            data = r.json()
            if r.status_code == 200:
                decisions.append((s["id"], decision, name))
                made += 1
            elif r.status_code != 409:  # 409: the other person decided it first, and was told so
                problems.append(f"{name}: {r.status_code} {r.text[:200]}")
                return
    finally:
        client.close()


def test_two_people_and_a_retrain_lose_nothing(live_server, review_path):
    make_suggested_review(review_path, n=150)
    seed_decisions(review_path, "setup")  # the model can train from the start
    for name in ("alice", "bob"):
        add_user(review_path, name, PASSWORD, "coder")
    server = live_server(review_path, env={"RAPIDREVIEW_RETRAIN_EVERY": "60"})
    decisions, problems = [], []
    threads = [threading.Thread(target=work, args=(server, n, decisions, problems)) for n in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not problems
    assert Counter(name for _, _, name in decisions) == {"alice": DECISIONS, "bob": DECISIONS}

    # Let the last background run finish, then check every write is there.
    client = signed_in_client(server, "alice", PASSWORD)
    deadline = time.monotonic() + 180
    while client.get("/-/workbench/queue.json").json()["retrain"]["running"] and time.monotonic() < deadline:
        time.sleep(0.5)
    client.close()
    db = store.open_review(review_path, create=False)
    status = {"accept": "accepted", "reject": "rejected"}
    for coding_id, decision, name in decisions:
        assert db.execute("SELECT status, decided_by FROM codings WHERE id = ?", [coding_id]).fetchone() == (
            status[decision], name), coding_id
    logged = Counter(db.execute("SELECT actor FROM events WHERE action IN ('accept', 'reject') AND actor != 'setup'"
                                ).fetchall())
    assert logged == {("alice",): DECISIONS, ("bob",): DECISIONS}
    # How many retrains coalesce depends on the machine's speed; at least one ran meanwhile.
    assert db.execute("SELECT count(*) FROM events WHERE action = 'retrain'").fetchone()[0] >= 1
    assert db.execute("SELECT count(*) FROM models").fetchone()[0] >= 2
    failures = db.execute("SELECT payload FROM events WHERE action = 'retrain.failed'").fetchall()
    assert not failures, failures
