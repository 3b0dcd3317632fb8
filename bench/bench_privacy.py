"""Privacy figures: recall per kind and look-alikes lost on the privacy corpus, false
alarms on real FFT comments, known names (the sample corpus's speakers: left in redacted
segments; gold look-alikes lost if every given-name look-alike were a speaker), and
rule-detector throughput on 100k synthetic comments, against a baseline (one compiled
regular expression pass over the same texts).

    python bench/bench_privacy.py [--n 100000] [--corpus corpora/privacy] [--processes 2] [--repeat 3]
    python bench/bench_privacy.py --corpus corpora/privacy/holdout --n 1000   # the hand-written set
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidreview import demo, privacy, store  # noqa: E402
from rapidreview.privacy import PrivacyConfig, detect  # noqa: E402
from rapidreview.privacy.evaluate import load_corpus, score  # noqa: E402

FFT = ROOT.parent / "shared" / "data" / "nhs-fft" / "fft_dev.csv"

BASELINE = re.compile(
    r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b|(?:\+44\s?|0)\d(?:[ -]?\d){8,9}\b|[\w.+-]+@[\w-]+\.[\w.]+"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|https?://\S+|www\.\S+", re.I)


def synthesise(n: int, corpus: Path) -> list[str]:
    """Comments made from the corpus sentences and real FFT answers, shuffled and mixed."""
    docs, _ = load_corpus(corpus)
    pool = [line for text in docs.values() for line in text.splitlines() if len(line) > 20]
    if FFT.exists():
        with open(FFT, newline="", encoding="utf-8") as f:
            pool += [r["FFT answer"] for r in csv.DictReader(f) if r["FFT answer"].strip()]
    rng = random.Random(7)
    return [" ".join(rng.sample(pool, rng.choice((1, 1, 1, 2)))) for _ in range(n)]


def _chunk(texts):
    return sum(len(detect(t)) for t in texts)


def throughput(texts, processes: int) -> tuple[float, int]:
    detect("warm up the names list: Sarah")
    t = time.perf_counter()
    if processes > 1:
        size = len(texts) // (processes * 8) + 1
        with ProcessPoolExecutor(processes) as pool:
            found = sum(pool.map(_chunk, [texts[i:i + size] for i in range(0, len(texts), size)]))
    else:
        found = _chunk(texts)
    return time.perf_counter() - t, found


def baseline(texts) -> float:
    t = time.perf_counter()
    for text in texts:
        for _ in BASELINE.finditer(text):
            pass
    return time.perf_counter() - t


def false_alarms() -> None:
    if not FFT.exists():
        print("FFT dev set absent: skipping false alarms on real comments")
        return
    with open(FFT, newline="", encoding="utf-8") as f:
        texts = [r["FFT answer"] for r in csv.DictReader(f) if r["FFT answer"].strip()]
    counts: dict[str, int] = {}
    for text in texts:
        for s in detect(text):
            counts[s.kind] = counts.get(s.kind, 0) + 1
    print(f"\nReal FFT comments ({len(texts)}, few hold personal data): spans flagged by kind {counts}")


def known_names(corpus: Path) -> frozenset[str]:
    """The sample corpus's known names: speaker occurrences left after redaction, said names
    left, and the gold look-alikes lost if each given-name look-alike were a speaker too."""
    with tempfile.TemporaryDirectory() as tmp:
        db = store.open_review(Path(tmp) / "review.db")
        demo.import_corpus(db, demo.find_corpus())
        t = time.perf_counter()
        privacy.redact(db)
        took = time.perf_counter() - t
        known = privacy.known_names(db)
        pattern = re.compile(r"\b(?:" + "|".join(sorted(known)) + "|June|Precious|Frank|Paul)\\b")
        raw = sum(len(pattern.findall(text)) for (text,) in db.execute("SELECT text FROM segments"))
        left = [m.group() for _, text in privacy.redacted_segments(db) for m in pattern.finditer(text)]
        db.conn.close()
    print(f"\nSample corpus: {len(known)} known name words; {raw} occurrences of them and of 4 names said "
          f"in transcripts, {len(left)} left after redaction {sorted(set(left))}; redact took {took:.1f}s")
    gold = [json.loads(line) for line in (corpus / "gold.jsonl").read_text().splitlines() if line]
    given = sorted({g["text"] for g in gold if g["kind"] == "keep" and "F" in privacy.names.flags_of(g["text"])
                    and re.fullmatch(r"[A-Z][a-z]+", g["text"])})
    result = score(corpus, PrivacyConfig(names=given))
    print(f"Worst case, every given-name look-alike a speaker ({', '.join(given)}): names recall "
          f"{result.recall('name'):.3f}, look-alikes lost {result.lookalikes - result.kept}/{result.lookalikes}")
    return known


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--corpus", default=str(ROOT / "corpora" / "privacy"))
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    result = score(args.corpus)
    print(f"Privacy corpus {args.corpus}: {result.units} comments and transcript turns")
    print(f"{'kind':<15}{'planted':>8}{'found':>7}{'recall':>8}")
    for row in result.table()[:-1]:
        print(f"{row['kind']:<15}{row['planted']:>8}{row['found']:>7}{row['recall']:>8.3f}")
    lost = result.lookalikes - result.kept
    print(f"look-alikes: {result.lookalikes}, wrongly redacted {lost} ({result.lost_share:.1%})")
    for miss in result.missed:
        print("  missed:", miss[1], repr(miss[2]), "|", miss[3])
    for item in result.lost:
        print("  lost:", repr(item[1]), "|", item[2])

    false_alarms()
    known = known_names(Path(args.corpus)) if (Path(args.corpus) / "gold.jsonl").exists() else frozenset()

    texts = synthesise(args.n, Path(args.corpus))
    chars = sum(map(len, texts))
    # The machine is shared: interleave the runs and keep the best of each.
    base, ours, found = float("inf"), {}, 0
    for _ in range(args.repeat):
        base = min(base, baseline(texts))
        for processes in sorted({1, args.processes}):
            took, found = throughput(texts, processes)
            ours[processes] = min(ours.get(processes, float("inf")), took)
    print(f"\nThroughput on {len(texts)} synthetic comments ({chars / len(texts):.0f} chars on average), "
          f"best of {args.repeat}:")
    print(f"  baseline (one compiled regex pass): {len(texts) / base:,.0f} comments/s")
    for processes, took in ours.items():
        print(f"  rule detectors, {processes} process(es): {len(texts) / took:,.0f} comments/s "
              f"({found} spans; {took / base:.1f}x the baseline's time)")
    if known:  # the cost of a review's known names: one more set look-up per comment
        config = PrivacyConfig(known=known)
        took = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            for text in texts:
                detect(text, config)
            took = min(took, time.perf_counter() - t)
        print(f"  with the sample's {len(known)} known names, 1 process: {len(texts) / took:,.0f} comments/s")


if __name__ == "__main__":
    main()
