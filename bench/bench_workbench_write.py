"""Workbench write latency on a big review, over HTTP on loopback: p50/p95 of applying a
code to a passage (POST /-/workbench/document/<id>/apply, signed in, with the CSRF token:
the library's apply_code inside Datasette's write thread, logged to events), against
Datasette's own /-/versions.json measured in the same run; and the reader, grid and
document-list pages a coder opens on the way.

The review is `bench/make_big_review.py`'s synthetic one (100k segments by default), kept
in --work between runs.

    python bench/bench_workbench_write.py [--n 100000] [--requests 300] [--rounds 3] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
import make_big_review  # noqa: E402
from workbench_helpers import SignedInClient  # noqa: E402

from rapidreview import store, users  # noqa: E402

PASSWORD = "bench password 123"
USER = "wb-bench"  # not a coder the synthetic review already has


class Server:
    def __init__(self, review: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "rapidreview", "serve", str(review), "--port",
                                      str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                if httpx.get(self.url + "/-/versions.json", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def timed(fn) -> float:
    t = time.perf_counter()
    r = fn()
    elapsed = (time.perf_counter() - t) * 1000
    if r.status_code != 200:
        raise RuntimeError(f"{r.status_code}: {r.text[:300]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="Segments in the synthetic review.")
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/rapidreview-bench-workbench"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    pristine = args.work / f"big-{args.n}.db"
    if not pristine.exists():
        t = time.perf_counter()
        make_big_review.build(pristine, args.n, 7, Path("/tmp/rapidreview-bench-demo"))
        print(f"built {pristine} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    review = args.work / "review.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(review) + suffix).unlink(missing_ok=True)
    shutil.copy(pristine, review)
    db = store.open_review(review)
    users.add_user(db, USER, PASSWORD, "coder", actor="bench")
    n_segments = db.execute("SELECT count(*) FROM segments").fetchone()[0]
    docs = db.execute("SELECT id, length(text) FROM documents WHERE answered = 1 AND length(text) > 20").fetchall()
    code_ids = [r[0] for r in db.execute("SELECT id FROM codes WHERE codable = 1 AND archived = 0")]
    db.conn.close()
    rng = random.Random(7)
    server = Server(review)
    try:
        client = SignedInClient(server, USER, PASSWORD)
        rounds = []
        for _ in range(args.rounds):
            base, apply, page, grid, home = [], [], [], [], []
            for i in range(args.requests):
                base.append(timed(lambda: client.get("/-/versions.json")))
                doc_id, length = rng.choice(docs)
                start = rng.randrange(0, length - 10)
                end = rng.randrange(start + 5, length + 1)
                apply.append(timed(lambda: client.post(f"/-/workbench/document/{doc_id}/apply",
                                                       json={"codes": [rng.choice(code_ids)], "start": start,
                                                             "end": end})))
                if i % 10 == 0:
                    page.append(timed(lambda: client.get(f"/-/workbench/document/{doc_id}")))
                    grid.append(timed(lambda: client.get(f"/-/workbench/grid?after={doc_id}")))
                    home.append(timed(lambda: client.get(f"/-/workbench?after={doc_id}&coded=uncoded")))
            rounds.append({"base": base, "apply": apply, "page": page, "grid": grid, "home": home})
        client.close()
    finally:
        server.stop()
    check = sqlite3.connect(review)
    n_codings = check.execute("SELECT count(*) FROM codings WHERE coder = ?", [USER]).fetchone()[0]
    n_events = check.execute("SELECT count(*) FROM events WHERE actor = ? AND action = 'coding.apply'", [USER]).fetchone()[0]
    check.close()
    print(f"review: {n_segments:,} segments, {len(docs):,} codable documents; {os.cpu_count()} CPUs")
    print(f"wrote {n_codings:,} codings by {USER} ({n_events:,} coding.apply events)")
    print("round  versions p50/p95   apply p50/p95   ratio p95   reader p95   grid p95   list p95   (ms)")
    for i, r in enumerate(rounds, 1):
        print(f"{i:>5}  {pct(r['base'], .5):7.1f}/{pct(r['base'], .95):5.1f}   {pct(r['apply'], .5):6.1f}/"
              f"{pct(r['apply'], .95):6.1f}   {pct(r['apply'], .95) / pct(r['base'], .95):8.1f}x   "
              f"{pct(r['page'], .95):9.1f}   {pct(r['grid'], .95):8.1f}   {pct(r['home'], .95):8.1f}")
    allp = [x for r in rounds for x in r["apply"]]
    print(f"apply over all rounds: p50 {statistics.median(allp):.1f} ms, p95 {pct(allp, .95):.1f} ms, "
          f"max {max(allp):.1f} ms (target p95 < 150 ms)")


if __name__ == "__main__":
    main()
