"""Workbench review-queue figures on a big review, over HTTP on loopback: p50/p95 of
fetching the next suggestion and of a decision (which answers with the next one), against
Datasette's own /-/versions.json measured in the same run; the time to rank the queue and
to retrain and rescore; and the same latencies while a background retrain runs (and how long that retrain takes).

The review is built through the library as a user would: a generated survey of ~100k
answers imported, the Healthwatch codebook loaded, `rapidreview code --no-model` run.

    python bench/bench_workbench_queue.py [--respondents 38000] [--requests 300] [--rounds 3] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from gen_survey import QUESTIONS, write_csv  # noqa: E402

from rapidreview import codebook, store, users  # noqa: E402
from rapidreview.coding import queue, suggest  # noqa: E402
from rapidreview.ingest import ImportOptions, import_files  # noqa: E402

PASSWORD = "bench password 123"


def build(path: Path, respondents: int) -> dict:
    """The pristine big review (kept between runs: building it takes minutes)."""
    figures = {}
    csv_path = path.with_suffix(".csv")
    write_csv(csv_path, respondents)
    db = store.open_review(path)
    t0 = time.perf_counter()
    import_files(db, [csv_path], ImportOptions.from_dict(
        {"text": QUESTIONS, "id": "Respondent ID", "attrs": ["Service", "Age group", "Area"]}))
    figures["import_s"] = time.perf_counter() - t0
    book = ROOT / "codebooks" / "healthwatch-general.yaml"
    codebook.load_codebook(db, codebook.read(book), source=str(book))
    t0 = time.perf_counter()
    suggest.code(db, suggest.CodeOptions(model=False), actor="bench")
    figures["code_s"] = time.perf_counter() - t0
    db.conn.close()
    return figures


def seed(db, per_code: int = 15) -> int:
    """Human decisions the model can learn from: accept each keyword code's first
    suggestions in the queue, reject as many of the sentiment lexicon's."""
    taken: dict = {}
    n = 0
    for s in queue.next_suggestions(db, "setup", limit=20_000):
        kind = "accept" if s.rule and not s.rule.startswith("lexicon") else "reject"
        if taken.get((kind, s.code), 0) >= per_code:
            continue
        taken[(kind, s.code)] = taken.get((kind, s.code), 0) + 1
        queue.decide(db, s.id, kind, actor="setup")
        n += 1
    return n


class Server:
    def __init__(self, path: Path, env: dict):
        from conftest import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "rapidreview", "serve", str(path), "--port",
                                      str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, **env})
        import urllib.request

        for _ in range(300):
            try:
                urllib.request.urlopen(self.url + "/-/versions.json", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def pct(times: list[float], q: int) -> float:
    return statistics.quantiles(times, n=100)[q - 1] * 1000


def measure(client, n: int, query: str = "") -> dict:
    """n rounds of: baseline GET, fetch next, decide (accept / reject in turn)."""
    base, fetch, decide = [], [], []
    for i in range(n):
        t0 = time.perf_counter()
        client.get("/-/versions.json").raise_for_status()
        base.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        r = client.get("/-/workbench/queue.json" + query)
        fetch.append(time.perf_counter() - t0)
        s = r.json()["suggestion"]
        t0 = time.perf_counter()
        d = client.post("/-/workbench/queue/decide" + query,
                        json={"coding_id": s["id"], "decision": "accept" if i % 3 else "reject"})
        decide.append(time.perf_counter() - t0)
        if d.status_code != 200:
            raise RuntimeError(f"decision failed: {d.status_code} {d.text[:200]}")
    return {name: {"p50": pct(t, 50), "p95": pct(t, 95)} for name, t in
            (("baseline", base), ("fetch", fetch), ("decide", decide))}


def show(label: str, rounds: list[dict]) -> None:
    def rng(key, q):
        vals = [r[key][q] for r in rounds]
        return f"{min(vals):6.1f}-{max(vals):6.1f}" if len(vals) > 1 else f"{vals[0]:6.1f}"

    def ratio(key):
        vals = [r[key]["p95"] / r["baseline"]["p95"] for r in rounds]
        return f"{min(vals):.1f}-{max(vals):.1f}x" if len(vals) > 1 else f"{vals[0]:.1f}x"

    print(f"\n{label} (ms, range over {len(rounds)} rounds)")
    print(f"  {'':26}{'p50':>14}{'p95':>14}   p95 / baseline p95")
    for key, name in (("baseline", "GET /-/versions.json"), ("fetch", "fetch next suggestion"),
                      ("decide", "decision (+ next)")):
        print(f"  {name:26}{rng(key, 'p50'):>14}{rng(key, 'p95'):>14}   {ratio(key) if key != 'baseline' else ''}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=38_000, help="x3 questions: ~100k answered segments")
    parser.add_argument("--requests", type=int, default=300, help="fetch + decision pairs per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/rr-bench-workbench-queue"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    pristine = args.work / f"pristine-{args.respondents}.db"
    if not pristine.exists():
        print(f"building a review of {args.respondents} respondents x {len(QUESTIONS)} questions...", flush=True)
        print("  " + ", ".join(f"{k} {v:.0f}s" for k, v in build(pristine, args.respondents).items()))
    path = args.work / "review.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.copy(pristine, path)
    db = store.open_review(path, create=False)
    segments = db.execute("SELECT count(*) FROM segments").fetchone()[0]
    suggestions = db.execute("SELECT count(*) FROM codings WHERE status = 'suggested'").fetchone()[0]
    print(f"review: {segments:,} segments, {suggestions:,} suggestions; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    t0 = time.perf_counter()
    ranked = queue.rank(db)
    print(f"rank the queue (first time, {ranked:,} suggestions): {time.perf_counter() - t0:.1f}s")
    print(f"seeded {seed(db)} human decisions for the model")
    for name in ("alice", "bob"):
        users.add_user(db, name, PASSWORD, "coder", actor="bench")
    db.conn.close()

    from workbench_helpers import signed_in_client

    server = Server(path, {"RAPIDREVIEW_RETRAIN_EVERY": "1000000", "RAPIDREVIEW_RETRAIN_SECONDS": "1000000"})
    try:
        client = signed_in_client(server, "alice", PASSWORD)
        measure(client, 20)  # warm up
        show("whole queue", [measure(client, args.requests) for _ in range(args.rounds)])
        db = store.open_review(path, create=False)
        # The rarest code with enough suggestions for the rounds: sparse in the queue's order.
        code_id, name, n = db.execute("""SELECT k.id, k.name, count(*) AS n FROM codings c JOIN codes k
            ON k.id = c.code_id WHERE c.status = 'suggested' GROUP BY k.id HAVING n > ? ORDER BY n LIMIT 1""",
                                      [args.requests * args.rounds]).fetchone()
        db.conn.close()
        show(f"one rare code ({name}: {n:,} suggestions, {n / suggestions:.1%})",
             [measure(client, args.requests // 3, f"?code={code_id}") for _ in range(args.rounds)])
        show("one question", [measure(client, args.requests // 3, "?question=Anything+else%3F")
                              for _ in range(args.rounds)])
        client.close()
    finally:
        server.stop()

    # Latency while the background job (a niced child process) retrains.
    server = Server(path, {"RAPIDREVIEW_RETRAIN_EVERY": "10", "RAPIDREVIEW_RETRAIN_SECONDS": "1000000"})
    try:
        client = signed_in_client(server, "bob", PASSWORD)
        measure(client, 10)  # 10 decisions: starts a retrain
        t0 = time.perf_counter()
        during = []  # rounds of 30 while the retrain runs (at most 5)
        while client.get("/-/workbench/queue.json").json()["retrain"]["running"] and len(during) < 5:
            during.append(measure(client, 30))
        status = client.get("/-/workbench/queue.json").json()["retrain"]
        while status["running"]:
            time.sleep(1)
            status = client.get("/-/workbench/queue.json").json()["retrain"]
        last = status["last"] or {}
        print(f"\nbackground retrain + rescore + re-rank: {last.get('seconds')}s in the child process "
              f"(about {time.perf_counter() - t0:.0f}s seen from here; error: {status['error']}); "
              f"model {last.get('version')}, suggestions {last.get('counts')}, ranked {last.get('ranked', 0):,}")
        if during:
            show("while the background retrain runs", during)
        client.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
