"""How fast are `stats`, `sources remove` and `serve` on a real-sized review?

    python bench/inspect_serve.py [--copies 5] [--csv ../shared/data/nhs-fft/fft_dev.csv]

Imports fft_dev.csv (and COPIES-1 more copies, each a different file, so the review grows
like successive waves), then times, in the same run:
  - the import itself (the baseline the other figures are divided by),
  - review_stats (everything `rapidreview stats` shows),
  - removing the last source (with its integrity checks) and, separately, the checks alone,
  - Datasette start-up, full-text search on segments, and a faceted documents page.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidreview import ImportOptions, import_files, serve, sources, stats, store  # noqa: E402

FFT = ROOT.parent / "shared" / "data" / "nhs-fft" / "fft_dev.csv"
OPTIONS = dict(text=["FFT answer"], id="Comment ID", respondent="Respondent ID", question_col="FFT question",
               codes=["Not assigned.."], attrs=["Trust", "Service type 1"], date="Date")


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", type=Path, default=FFT)
    parser.add_argument("--copies", type=int, default=5)
    args = parser.parse_args()
    if not args.csv.exists():
        sys.exit(f"{args.csv} is missing")
    tmp = Path(tempfile.mkdtemp(prefix="rr-bench-"))
    try:
        files = []
        for i in range(args.copies):  # different bytes => a new source each time, like a new wave
            copy = tmp / f"wave{i + 1}.csv"
            copy.write_bytes(args.csv.read_bytes() + (b"\n" * i))
            files.append(copy)
        db = store.open_review(tmp / "review.db")
        import_s = 0.0
        for f in files:
            dt, _ = timed(import_files, db, [f], ImportOptions(**OPTIONS, wave=f.stem))
            import_s += dt
        per_import = import_s / len(files)
        totals = stats.totals(db)
        size_mb = (tmp / "review.db").stat().st_size / 1e6
        print(f"review: {len(files)} sources, {totals['documents']:,} documents, {totals['segments']:,} segments, "
              f"{totals['codings']:,} codings, {size_mb:.1f} MB")
        print(f"import (baseline): {per_import:.2f} s per source")

        stats_s = min(timed(stats.review_stats, db, ["Trust"])[0] for _ in range(3))
        print(f"review_stats --by Trust: {stats_s * 1000:.0f} ms  (ratio to one import: {stats_s / per_import:.2f})")

        check_s, problems = timed(sources.check_integrity, db)
        assert problems == [], problems
        print(f"integrity checks alone: {check_s * 1000:.0f} ms  (ratio: {check_s / per_import:.2f})")
        remove_s, plan = timed(sources.remove_source, db, files[-1].name)
        print(f"sources remove (1 of {len(files)}, {plan['removed']['documents']:,} documents, with checks): "
              f"{remove_s * 1000:.0f} ms  (ratio to its import: {remove_s / per_import:.2f})")
        db.conn.close()

        start_s, ds = timed(serve.make_datasette, [tmp / "review.db"])
        asyncio.run(bench_http(ds, start_s, per_import))
    finally:
        shutil.rmtree(tmp)


async def bench_http(ds, start_s: float, per_import: float) -> None:
    t = time.perf_counter()
    await ds.invoke_startup()
    first = await ds.client.get("/review/segments.json?_size=1")
    assert first.status_code == 200
    print(f"datasette start-up to first response: {(start_s + time.perf_counter() - t) * 1000:.0f} ms")
    for label, path in [
        ("FTS search 'parking' (json)", "/review/segments.json?_search=parking&_size=50"),
        ("FTS search 'staff rude' (html)", "/review/segments?_search=staff+rude"),
        ("documents page, facets question+kind", "/review/documents"),
        ("summary page /-/rapidreview", "/-/rapidreview"),
    ]:
        times = []
        for _ in range(5):
            t = time.perf_counter()
            r = await ds.client.get(path)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, (path, r.status_code)
        med = statistics.median(times)
        print(f"{label}: median {med * 1000:.0f} ms of 5  (ratio to one import: {med / per_import:.3f})")


if __name__ == "__main__":
    main()
