"""Retrain the model in the background as people decide, and let the review queue follow.

The workbench counts decisions; after every `every` of them (or `seconds` after the last
retrain, at the next decision) a `Retrainer` runs `retrain_and_rescore` off the request
path: at most one run per review at a time, and requests that arrive meanwhile coalesce
into one more run. The run itself is a child process (`python -m rapidreview.coding.background
REVIEW`) watched by a worker thread: training is CPU-bound Python that would hold the
server's GIL for seconds, and a niced child keeps the clicks fast.

Safe by construction: predictions are computed outside any transaction, then written code
by code through `suggest.write_suggestions` (short transactions that read human decisions
under the write lock, so an accepted or rejected suggestion is never touched), then the
queue is re-ranked in batches. A failing run logs a `retrain.failed` event and the queue
keeps working on the scores it had.

    retrain_and_rescore(db)                          # in-process: the library call
    retrainer_for("review.db").decided()             # the workbench, after each decision
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlite_utils

from .. import store
from . import model as model_mod
from . import queue as queue_mod
from . import suggest

EVERY = 25  # decisions between retrains (RAPIDREVIEW_RETRAIN_EVERY)
SECONDS = 600.0  # or this long after the last retrain, at the next decision (RAPIDREVIEW_RETRAIN_SECONDS)
CODES_PER_WRITE = 1  # codes whose suggestions are rewritten per transaction
PAUSE = 0.05  # seconds between write transactions: a person's decision waiting for the lock gets it
ACTOR = "model"
LOGGED_FAILURE = 3  # the child's exit status when it failed and logged why


@dataclass
class RescoreResult:
    version: str | None = None
    trained: bool = False
    counts: dict = field(default_factory=dict)  # write_suggestions counts, summed over codes
    ranked: int = 0
    seconds: float = 0.0


def retrain_and_rescore(db: sqlite_utils.Database, *, actor: str = ACTOR, rank_only: bool = False,
                        pause: float = 0.0) -> RescoreResult:
    """Train on the decisions so far (if they changed), rescore the model's undecided
    suggestions, and re-rank the queue. `rank_only`: just re-rank."""
    t0 = time.perf_counter()
    result = RescoreResult()
    if not rank_only:
        _rescore(db, actor, result, pause)
    result.ranked = queue_mod.rank(db, pause=pause)
    result.seconds = round(time.perf_counter() - t0, 3)
    if not rank_only:
        with store.transaction(db):
            store.log_event(db, "retrain", asdict(result), actor)
    return result


def _rescore(db, actor: str, result: RescoreResult, pause: float) -> None:
    fitted, result.trained = model_mod.current_fitted(db, actor=actor)
    record = fitted.record
    result.version = record.version
    by_code: dict[int, list] = {}
    for unit, c, p in model_mod.predict(fitted, model_mod.units_to_code(db, record)):
        by_code.setdefault(c.id, []).append((unit, c.id, round(p, 4), record.version, None))
    # Codes this model no longer learns lose their undecided model suggestions too.
    scope = {c.id for c in record.codes} | {r[0] for r in db.execute(
        "SELECT DISTINCT code_id FROM codings WHERE coder = ? AND status = 'suggested'", [suggest.MODEL_CODER])}
    codes = sorted(scope)
    totals: dict = {}
    for i in range(0, len(codes), CODES_PER_WRITE):
        group = set(codes[i:i + CODES_PER_WRITE])
        hits = [h for code_id in sorted(group) for h in by_code.get(code_id, ())]
        counts = suggest.write_suggestions(db, suggest.MODEL_CODER, "model", hits, scope=group, actor=actor)
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
        time.sleep(pause)
    result.counts = totals


# ---------------------------------------------------------------- the coordinator


def _setting(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class Retrainer:
    """One per review file: counts decisions, runs at most one job at a time, coalesces."""

    def __init__(self, path, *, every: int | None = None, seconds: float | None = None, actor: str = ACTOR):
        self.path = Path(path)
        self.every = int(every or _setting("RAPIDREVIEW_RETRAIN_EVERY", EVERY))
        self.seconds = seconds if seconds is not None else _setting("RAPIDREVIEW_RETRAIN_SECONDS", SECONDS)
        self.actor = actor
        self.decisions = 0  # since the last retrain started
        self.last_started = time.monotonic()
        self.running: str | None = None  # 'retrain' or 'rank' while a job runs
        self.wanted: str | None = None  # the job to run after this one (coalesced requests)
        self.last: dict | None = None  # the last job's result
        self.error: str | None = None  # the last failure, until a job succeeds
        self.runs = 0  # jobs run so far
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def decided(self, n: int = 1) -> bool:
        """Count decisions; start a retrain when enough have accumulated. True if requested."""
        with self._lock:
            self.decisions += n
            due = self.decisions >= self.every or time.monotonic() - self.last_started >= self.seconds
        return self.request("retrain") if due else False

    def request(self, kind: str = "retrain") -> bool:
        with self._lock:
            if self.running:
                if self.wanted != "retrain":
                    self.wanted = kind
                return True
            self.running = kind
            self._thread = threading.Thread(target=self._loop, name=f"retrain {self.path.name}", daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        """Until no job runs (tests and benchmarks)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            thread = self._thread
            if thread is None or not thread.is_alive():
                if not self.running:
                    return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("the background retrain is still running")
            (thread.join(0.2) if thread else time.sleep(0.05))

    def status(self) -> dict:
        with self._lock:
            return {"running": self.running, "decisions": self.decisions, "every": self.every,
                    "last": self.last, "error": self.error, "runs": self.runs}

    def _loop(self) -> None:
        while True:
            kind = self.running
            if kind == "retrain":
                with self._lock:
                    self.decisions, self.last_started = 0, time.monotonic()
            self._job(kind)
            with self._lock:
                self.runs += 1
                if not self.wanted:
                    self.running = None
                    return
                self.running, self.wanted = self.wanted, None

    def _job(self, kind: str) -> None:
        args = [sys.executable, "-m", "rapidreview.coding.background", str(self.path), "--actor", self.actor]
        if kind == "rank":
            args.append("--rank-only")
        # One fitting process, and niced: the server keeps a core and stays quick meanwhile.
        env = {**os.environ, "RAPIDREVIEW_JOBS": "1"}
        logged = False
        try:
            done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=3600)
            if done.returncode != 0:
                logged = done.returncode == LOGGED_FAILURE  # the child logged `retrain.failed` itself
                raise RuntimeError((done.stderr.strip().splitlines() or ["exited with " + str(done.returncode)])[-1])
            last = json.loads(done.stdout)
            with self._lock:
                self.last, self.error = last, None
        except Exception as e:  # a failed retrain must never take the queue down: log it and carry on
            message = str(e) if isinstance(e, RuntimeError) else f"{type(e).__name__}: {e}"
            with self._lock:
                self.error = message.removeprefix("Error: ")
            if not logged:
                _log_failure(self.path, kind, message, self.actor)


def _log_failure(path: Path, kind: str, message: str, actor: str) -> None:
    """The child died without a word (killed, out of memory): log it from here. Through
    sqlite3 only: `store.open_review` reads the file with open(), and closing that would
    drop this process's SQLite locks on it (see /work/notes: POSIX lock semantics)."""
    import sqlite3

    try:
        conn = sqlite3.connect(str(path), timeout=30)
        try:
            db = sqlite_utils.Database(conn)
            db.execute("PRAGMA busy_timeout = 30000")
            with store.transaction(db):
                store.log_event(db, "retrain.failed", {"job": kind, "error": message[:2000]}, actor)
        finally:
            conn.close()
    except Exception:
        pass  # the review itself is unreachable: the status line still shows the error


_retrainers: dict[Path, Retrainer] = {}
_registry_lock = threading.Lock()


def retrainer_for(path) -> Retrainer:
    """The one Retrainer for this review file in this process."""
    key = Path(path).resolve()
    with _registry_lock:
        if key not in _retrainers:
            _retrainers[key] = Retrainer(key)
        return _retrainers[key]


def main(argv=None) -> int:
    import argparse

    from ..errors import RapidReviewError

    parser = argparse.ArgumentParser(prog="python -m rapidreview.coding.background",
                                     description="Retrain, rescore and re-rank one review (the workbench runs this).")
    parser.add_argument("review")
    parser.add_argument("--actor", default=ACTOR)
    parser.add_argument("--rank-only", action="store_true")
    args = parser.parse_args(argv)
    if hasattr(os, "nice"):
        os.nice(10)
    db = store.open_review(args.review, create=False, migrate=False)
    try:
        result = retrain_and_rescore(db, actor=args.actor, rank_only=args.rank_only, pause=PAUSE)
    except Exception as e:  # logged here, in the child: the server process never opens the file itself
        message = str(e) if isinstance(e, RapidReviewError) else f"{type(e).__name__}: {e}"
        with store.transaction(db):
            store.log_event(db, "retrain.failed", {"job": "rank" if args.rank_only else "retrain",
                                                   "error": message[:2000]}, args.actor)
        print(f"Error: {message}", file=sys.stderr)
        return LOGGED_FAILURE
    finally:
        db.conn.close()
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
