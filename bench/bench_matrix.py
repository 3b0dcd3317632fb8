"""Framework matrix and wave comparison at scale: time and peak memory against a baseline
measured in the same run.

    python bench/bench_matrix.py [--n 100000] [--repeat 3]

The review comes from bench/make_big_review.py (synthetic, words from the sample corpus),
split into two waves here (the first half of respondents 'W1', the rest 'W2'). Each task
runs in its own process so its peak RSS is its own. The baseline is what any matrix must
do at least: read every publishable segment's redacted text, as publish reads them
(`privacy.quotes.publishable_segment_batches`); `list` is the all-in-memory reading
(`privacy.publishable_segments`). Tasks run interleaved, `--repeat` times, and each
figure is reported as median [min-max].
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from runner import main as runner_main
from runner import peak_rss_mb, spread

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TASKS = {
    "baseline": "read every redacted text (streamed, as publish does)",
    "baseline-list": "read every redacted text into one list (privacy.publishable_segments)",
    "matrix": "matrix.xlsx, rows respondents, codes, quotes",
    "matrix-by-service": "matrix.xlsx --by Service --compare W1 W2",
    "matrix-themes": "matrix.xlsx --columns themes --by Service --summary count",
    "matrix-csv": "matrix.csv (long)",
    "waves": "waves.compare W1 W2 by code",
}


def prepare(path: Path, n: int, demo_dir: Path) -> None:
    """Build the synthetic review once, and split it into two waves."""
    import sqlite3

    import make_big_review

    from rapidreview import store

    if not path.exists():
        make_big_review.build(path, n, 7, demo_dir)
    conn = sqlite3.connect(path)
    if conn.execute("SELECT count(*) FROM sources WHERE batch IS NOT NULL").fetchone()[0] < 2:
        half = conn.execute("SELECT max(id) / 2 FROM respondents").fetchone()[0]
        with conn:
            conn.execute("UPDATE sources SET batch = 'W1' WHERE id = 1")
            conn.execute("INSERT INTO sources (id, path, name, sha256, format, imported_at, batch) "
                         "VALUES (2, 'synthetic-2.csv', 'synthetic-2.csv', 'synthetic-w2', 'csv', ?, 'W2')",
                         [store.now()])
            conn.execute("UPDATE documents SET source_id = 2 WHERE respondent_id > ?", [half])
    conn.close()


def run_task(task: str, review: str, out_dir: str) -> dict:
    """In a child process: run one task, report seconds and peak RSS."""
    from rapidreview import matrix, privacy, store, waves
    from rapidreview.privacy.quotes import publishable_segment_batches

    db = store.open_review(review, create=False)
    t, cpu = time.perf_counter(), time.process_time()
    detail: dict = {}
    if task == "baseline":
        detail["chars"] = sum(len(s["text"]) for batch in publishable_segment_batches(db) for s in batch)
    elif task == "baseline-list":
        detail["chars"] = sum(len(s["text"]) for s in privacy.publishable_segments(db))
    elif task == "waves":
        detail["rows"] = len(waves.compare(db, "W1", "W2").rows)
    else:
        options = {"matrix": {}, "matrix-csv": {},
                   "matrix-by-service": {"by": "Service", "compare": ("W1", "W2")},
                   "matrix-themes": {"columns": "themes", "by": "Service", "summary": "count"}}[task]
        suffix = "csv" if task == "matrix-csv" else "xlsx"
        out = Path(out_dir) / f"{task}.{suffix}"
        result = matrix.matrix(db, out, matrix.MatrixOptions(**options), actor="bench")
        detail = {"cases": result["cases"], "MB": round(out.stat().st_size / 1e6, 1),
                  "rows": result.get("rows") or sum(result["sheets"].values())}
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    return {"task": task, "seconds": seconds, "cpu": cpu, "rss_mb": peak_rss_mb(),
            **detail}


def main() -> None:
    ran = runner_main(__doc__, TASKS, "/tmp/rapidreview-bench-matrix", run_task, prepare)
    if ran is None:
        return
    args, results = ran
    base_s = statistics.median(r["seconds"] for r in results["baseline"]) if "baseline" in results else None
    base_m = statistics.median(r["rss_mb"] for r in results["baseline"]) if "baseline" in results else None
    base_c = statistics.median(r["cpu"] for r in results["baseline"]) if "baseline" in results else None
    print(f"\n{args.n:,} segments; median [min-max] of {args.repeat} runs; ratios to the baseline's median")
    print("(wall seconds suffer most from other work on a shared machine; CPU seconds less so)")
    print(f"{'task':<18} {'wall s':<21} {'x base':>6} {'CPU s':<21} {'x base':>6} {'peak RSS MB':<14} {'x base':>6}"
          "  detail")
    for task, rs in results.items():
        secs, cpus, rss = [r["seconds"] for r in rs], [r["cpu"] for r in rs], [r["rss_mb"] for r in rs]
        detail = {k: v for k, v in rs[-1].items() if k not in ("task", "seconds", "cpu", "rss_mb")}
        ratio_s = f"{statistics.median(secs) / base_s:.1f}" if base_s else "-"
        ratio_c = f"{statistics.median(cpus) / base_c:.1f}" if base_c else "-"
        ratio_m = f"{statistics.median(rss) / base_m:.1f}" if base_m else "-"
        print(f"{task:<18} {spread(secs):<21} {ratio_s:>6} {spread(cpus):<21} {ratio_c:>6} "
              f"{spread(rss, '{:.0f}'):<14} {ratio_m:>6}  {detail}")


if __name__ == "__main__":
    main()
