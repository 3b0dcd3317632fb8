"""Shared by the benchmarks that run each task in a child process: tasks interleaved over
the repeats, so a noisy minute on a shared machine hits every task alike."""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM starts afresh at exec; ru_maxrss of a child can carry
    its parent's peak from before the fork (a test that has just built a big review)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """median [min-max]"""
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def interleaved(script: str, tasks: list[str], repeat: int, *args: str) -> dict[str, list[dict]]:
    """Run `python script --child TASK *args` for each task, `repeat` times, interleaved;
    each child prints one JSON line with at least seconds and rss_mb."""
    results: dict[str, list[dict]] = {t: [] for t in tasks}
    for i in range(repeat):
        for task in tasks:
            out = subprocess.run([sys.executable, script, "--child", task, *args],
                                 check=True, capture_output=True, text=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            results[task].append(r)
            cpu = f" ({r['cpu']:.2f}s CPU)" if "cpu" in r else ""
            print(f"  run {i + 1} {task}: {r['seconds']:.2f}s{cpu}, {r['rss_mb']:.0f} MB", file=sys.stderr)
    return results


def main(doc: str, tasks: dict, default_dir, run_task, prepare):
    """The shared command line: in a child (`--child TASK REVIEW OUT`) run one task and print
    it as JSON; otherwise build the review and run the chosen tasks interleaved.
    Returns (args, results), or None in a child."""
    import argparse
    from pathlib import Path

    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="Segments in the synthetic review.")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=Path(default_dir))
    ap.add_argument("--demo-dir", type=Path, default=Path("/tmp/rapidreview-bench-demo"))
    ap.add_argument("--tasks", default=",".join(tasks))
    ap.add_argument("--child", nargs=3, metavar=("TASK", "REVIEW", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_task(*args.child)))
        return None
    args.dir.mkdir(parents=True, exist_ok=True)
    review = args.dir / f"review-{args.n}.db"
    prepare(review, args.n, args.demo_dir)
    return args, interleaved(sys.argv[0], args.tasks.split(","), args.repeat, str(review), str(args.dir))
