"""Report generation at scale: time and peak memory for the Markdown, HTML and DOCX
reports of a synthetic review, against a baseline measured in the same run.

    python bench/bench_report.py [--n 100000] [--repeat 3]

The review comes from bench/make_big_review.py (words, codes and themes from the sample
corpus), split into two waves W1 and W2 as bench/bench_matrix.py splits it. Each task
runs in its own process so its peak RSS is its own, interleaved `--repeat` times; figures
are median [min-max]. The baseline is what any report must do at least: read every
publishable segment's redacted text (`privacy.quotes.publishable_segment_batches`, as
publish reads it). `publish-stream` is publish's whole reading of the review (codes,
themes, counts), which the report reuses: the rest of a report's time is its own.
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
    "baseline": "read every publishable segment's redacted text (streamed)",
    "publish-stream": "publish's reading of the review (publish.build.stream), which the report shares",
    "report-md": "report.md, all sections",
    "report-html": "report.html, all sections and charts",
    "report-docx": "report.docx, all sections and charts",
    "report-docx-compare": "report.docx with --compare W1 W2",
}


def prepare(path: Path, n: int, demo_dir: Path) -> None:
    from bench_matrix import prepare as split_into_waves  # builds with make_big_review, then two waves

    split_into_waves(path, n, demo_dir)


def run_task(task: str, review: str, out_dir: str) -> dict:
    """In a child process: run one task, report seconds and peak RSS."""
    from rapidreview import store
    from rapidreview.privacy.quotes import publishable_segment_batches
    from rapidreview.report import ReportConfig, make_report

    db = store.open_review(review, create=False)
    t = time.perf_counter()
    detail: dict = {}
    if task == "baseline":
        detail["chars"] = sum(len(s["text"]) for batch in publishable_segment_batches(db) for s in batch)
    elif task == "publish-stream":
        from rapidreview.publish import PublishOptions
        from rapidreview.publish.build import stream

        detail["themes"] = len(stream(db, [], PublishOptions(), lambda rows, codes: None)["themes"])
    else:
        fmt = task.split("-")[1]
        out = Path(out_dir) / f"{task}.{fmt}"
        config = ReportConfig(compare=["W1", "W2"] if task.endswith("compare") else None)
        result = make_report(db, out, config)
        detail = {"KB": round(out.stat().st_size / 1e3), "themes": result.themes, "charts": result.charts}
    seconds = time.perf_counter() - t
    return {"task": task, "seconds": seconds, "rss_mb": peak_rss_mb(),
            **detail}


def main() -> None:
    ran = runner_main(__doc__, TASKS, "/tmp/rapidreview-bench-report", run_task, prepare)
    if ran is None:
        return
    args, results = ran
    base = results.get("baseline")
    base_s = statistics.median(r["seconds"] for r in base) if base else None
    base_m = statistics.median(r["rss_mb"] for r in base) if base else None
    print(f"\n{args.n:,} segments; median [min-max] of {args.repeat} runs; ratios to the baseline's median")
    print(f"{'task':<22} {'seconds':<22} {'x base':>7} {'peak RSS MB':<20} {'x base':>7}  detail")
    for task, rs in results.items():
        secs, rss = [r["seconds"] for r in rs], [r["rss_mb"] for r in rs]
        detail = {k: v for k, v in rs[-1].items() if k not in ("task", "seconds", "rss_mb")}
        ratio_s = f"{statistics.median(secs) / base_s:.2f}" if base_s else "-"
        ratio_m = f"{statistics.median(rss) / base_m:.2f}" if base_m else "-"
        print(f"{task:<22} {spread(secs):<22} {ratio_s:>7} {spread(rss, '{:.0f}'):<20} {ratio_m:>7}  {detail}")


if __name__ == "__main__":
    main()
