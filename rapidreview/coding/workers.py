"""Forked worker processes for the heavy loops (model fits, rule matching).

Forking shares the parent's memory (matchers, matrices) without pickling it, so a
worker costs milliseconds. We fork only where that is safe: no other threads in the
process (never inside a server), and enough work to be worth it.
"""

from __future__ import annotations

import multiprocessing
import os
import threading


def count(n_items: int, minimum: int) -> int:
    """How many processes to use: RAPIDREVIEW_JOBS (default 2, the cores we plan
    for), or 1 where forking is unsafe, unavailable or not worth it."""
    try:
        jobs = int(os.environ.get("RAPIDREVIEW_JOBS", "2"))
    except ValueError:
        jobs = 1
    if (jobs < 2 or n_items < minimum or threading.active_count() > 1
            or "fork" not in multiprocessing.get_all_start_methods()):
        return 1
    return max(1, min(jobs, os.cpu_count() or 1))


def fork_map(fn, tasks, jobs: int, chunksize: int = 1) -> list:
    """`[fn(t) for t in tasks]` on `jobs` forked processes, results in task order."""
    if jobs <= 1:
        return [fn(t) for t in tasks]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return pool.map(fn, tasks, chunksize=chunksize)
