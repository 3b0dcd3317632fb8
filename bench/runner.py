"""Shared by the benchmarks that run each task in a child process: tasks interleaved over
the repeats, so a noisy minute on a shared machine hits every task alike."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys


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
