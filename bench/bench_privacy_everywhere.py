"""What redacting free text with the review's own config and known names costs publish
(`privacy.free_text_redactor`), against a baseline measured in the same run: the same
publish with the generic detectors alone (what labels, codebook and ledger went through
before). Also the redactor's start-up (reading the review's speakers and participants).

    python bench/bench_privacy_everywhere.py REVIEW_DB [--repeat 5]

REVIEW_DB: e.g. the demo's (`rapidreview demo --no-serve --dir D`: D/review.db) or a
synthetic one (`python bench/make_big_review.py big/review.db --n 100000`). The review
is copied first: publish writes an event to it.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidreview import privacy, store  # noqa: E402
from rapidreview.publish import PublishOptions, publish  # noqa: E402


def generic(db, config=None):
    """The baseline: the generic detectors only, no review config, no known names; cached
    as publish cached attribute values before."""
    @functools.lru_cache(maxsize=4096)
    def clean(text):
        return privacy.redact_text(text)[0] if isinstance(text, str) and text else text
    return clean


def timed(fn) -> float:
    """CPU seconds: publish is one thread, and CPU time is steadier than wall time on a shared machine."""
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("review", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-everywhere-"))
    try:
        shutil.copy(args.review, work / "review.db")
        db = store.open_review(work / "review.db", create=False)
        attrs = [a for a in ("Service", "Age group") if db.execute(
            "SELECT 1 FROM attributes WHERE name = ? LIMIT 1", [a]).fetchone()]
        segments = db.execute("SELECT count(*) FROM segments").fetchone()[0]
        options = PublishOptions(publishable=attrs)
        real = privacy.free_text_redactor
        startup, base, new = [], [], []
        publish(db, work / "warm.db", options)  # detectors and names lists loaded once, outside the timings
        for _ in range(args.repeat):  # interleaved: the shared machine's noise falls on both alike
            startup.append(timed(lambda: real(db)))
            privacy.free_text_redactor = generic
            base.append(timed(lambda: publish(db, work / "base.db", options)))
            privacy.free_text_redactor = real
            new.append(timed(lambda: publish(db, work / "new.db", options)))
        ratios = sorted(n / b for n, b in zip(new, base))
        print(f"review: {args.review} ({segments:,} segments), {args.repeat} repeats, publishable {attrs}")
        print(f"redactor start-up: {min(startup) * 1000:.0f}-{max(startup) * 1000:.0f} ms CPU")
        print(f"publish, generic detectors (baseline): {min(base):.2f}-{max(base):.2f} s CPU "
              f"(median {statistics.median(base):.2f})")
        print(f"publish, review's config and names:    {min(new):.2f}-{max(new):.2f} s CPU "
              f"(median {statistics.median(new):.2f})")
        print(f"ratio new/baseline per repeat: {ratios[0]:.2f}-{ratios[-1]:.2f} "
              f"(median {statistics.median(ratios):.2f})")
        db.conn.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
