"""Themes benchmark: agreement with human codes, speed, stability, scale.

    python bench/bench_themes.py              # everything (about 2-3 minutes on 2 cores)
    python bench/bench_themes.py --quick      # skip the 100k scale runs

1. NMI between themes and the human codes on the single-label rows of
   ../shared/data/nhs-fft/fft_dev.csv (rows with exactly one code among the code columns
   after "Comment sentiment", "Not assigned" excluded, empty answers dropped), for
   ours (TF-IDF on lemmas + LSA + spherical k-means consensus) and the baseline
   TF-IDF + LSA(100) + KMeans(40) in the same run, 3 seeds each; unassigned share; time
   (and its ratio to the baseline and to BERTopic's quoted 75 s per 9.5k comments);
   ARI between the seeds. Two row sets: the protocol's (placeholder answers such as
   "Did not answer" kept, 22% of rows and one easy class) and the rows the tool clusters
   (importer placeholders removed).
2. The whole `find_themes` (select, vectorise, choose k, cluster, label, quote, store) on
   an imported FFT review.
3. 100k synthetic segments (FFT sentences recombined and perturbed): time and peak RSS
   at 25k / 50k / 100k, each in a fresh process, to show memory stays flat.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FFT = ROOT.parent / "shared" / "data" / "nhs-fft" / "fft_dev.csv"
BERTOPIC_S_PER_9500 = 75.0
BERTOPIC_NMI = 0.276
SEEDS = (0, 1, 2)


def single_label_rows(path=FFT):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    start = header.index("Comment sentiment") + 1
    cols = [j for j in range(start, len(header)) if header[j] != "Not assigned"]
    t = header.index("FFT answer")
    texts, labels = [], []
    for row in rows[1:]:
        text = row[t].strip()
        codes = [header[j] for j in cols if row[j].strip() in ("1", "1.0")]
        if text and len(codes) == 1:
            texts.append(text)
            labels.append(codes[0])
    return texts, labels


def ours(texts, k, seed):
    """The library's own path: the vectoriser and clusterer find_themes uses, with the
    'not English' and 'other' buckets counted as one extra label each."""
    from rapidreview.themes.cluster import SphericalKMeans, candidate_ks, choose_k
    from rapidreview.themes.vectorize import ThemeVectorizer, looks_non_english

    t0 = time.perf_counter()
    foreign = np.array([looks_non_english(x) for x in texts])
    Z = np.zeros((len(texts), 1), dtype=np.float32)
    keep = np.flatnonzero(~foreign)
    Zk = ThemeVectorizer(random_state=seed).fit_transform([texts[i] for i in keep])
    Z = np.zeros((len(texts), Zk.shape[1]), dtype=np.float32)
    Z[keep] = Zk
    labels = np.full(len(texts), -1)
    labels[foreign] = -2
    ok = keep[np.linalg.norm(Zk, axis=1) > 0]
    chosen = k
    if k == "auto":
        chosen, _ = choose_k(Z[ok], candidates=candidate_ks(len(ok)), random_state=seed)
    km = SphericalKMeans(chosen, random_state=seed).fit(Z[ok])
    labels[ok] = km.labels_
    return labels, time.perf_counter() - t0, chosen


def baseline(texts, k, seed):
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    t0 = time.perf_counter()
    M = TfidfVectorizer(stop_words="english").fit_transform(texts)
    Z = normalize(TruncatedSVD(100, random_state=seed).fit_transform(M))
    labels = KMeans(k, n_init=10, random_state=seed).fit_predict(Z)
    return labels, time.perf_counter() - t0, k


def score(name, fn, texts, y, k):
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    runs = [fn(texts, k, s) for s in SEEDS]
    nmis = [normalized_mutual_info_score(y, lab) for lab, _, _ in runs]
    aris = [adjusted_rand_score(a[0], b[0]) for a, b in itertools.combinations(runs, 2)]
    secs = [t for _, t, _ in runs]
    unassigned = np.mean([(lab < 0).mean() for lab, _, _ in runs])
    ks = sorted({c for _, _, c in runs})
    return {"method": name, "k": ks, "nmi": round(float(np.mean(nmis)), 4), "nmi_min": round(min(nmis), 4),
            "unassigned": round(float(unassigned), 4), "seconds": round(float(np.median(secs)), 2),
            "ari_seeds": round(float(np.mean(aris)), 4)}


def agreement():
    from rapidreview.ingest.placeholders import is_answer, placeholder_set

    texts, y = single_label_rows()
    ph = placeholder_set(None)
    answered = [i for i, t in enumerate(texts) if is_answer(t, ph)]
    sets = {"protocol rows (placeholders kept)": (texts, y),
            "rows the tool clusters (placeholders removed)": ([texts[i] for i in answered], [y[i] for i in answered])}
    out = {}
    for title, (xs, ys) in sets.items():
        rows = [score("baseline TF-IDF+LSA100+KMeans", baseline, xs, ys, 40),
                score("ours k=40", ours, xs, ys, 40),
                score("ours k=auto", ours, xs, ys, "auto")]
        base_t = rows[0]["seconds"]
        for r in rows:
            r["time_vs_baseline"] = round(r["seconds"] / base_t, 2)
            r["speedup_vs_bertopic"] = round(BERTOPIC_S_PER_9500 * len(xs) / 9500 / r["seconds"], 1)
            r["nmi_vs_baseline"] = round(r["nmi"] - rows[0]["nmi"], 4)
        out[title] = {"n": len(xs), "classes": len(set(ys)), "rows": rows}
    return out


def end_to_end():
    from rapidreview import store
    from rapidreview.ingest import ImportOptions, import_files
    from rapidreview.themes import Selection, ThemeOptions, find_themes, get_run

    with tempfile.TemporaryDirectory() as tmp:
        db = store.open_review(Path(tmp) / "fft.db")
        with open(FFT, newline="", encoding="utf-8") as f:
            header = next(csv.reader(f))
        first_code = header[header.index("Comment sentiment") + 1]
        import_files(db, [FFT], ImportOptions(text=["FFT answer"], id="Comment ID", respondent="Respondent ID",
                                              question_col="FFT question", date="Date",
                                              attrs=["Service type 1", "Comment sentiment"],
                                              codes=[f"{first_code}.."]))
        t0 = time.perf_counter()
        run_id = find_themes(db, Selection(), ThemeOptions(k="auto", seed=0))
        secs = time.perf_counter() - t0
        run = get_run(db, run_id)
        themes = [t for t in run["themes"] if t["kind"] == "theme"]
        buckets = sum(t["size"] for t in run["themes"] if t["kind"] != "theme")
        return {"segments": run["n_segments"], "k": run["k"], "seconds": round(secs, 2),
                "bucket_share": round(buckets / run["n_segments"], 4),
                "examples": [f"{t['label']} ({t['size']})" for t in themes[:8]]}


# ---------------------------------------------------------------- scale

WORD = re.compile(r"\S+")


def synthetic(n: int, seed: int = 0) -> list[str]:
    """FFT answers split into sentences, recombined in twos, with words dropped or swapped."""
    rng = random.Random(seed)
    texts, _ = single_label_rows()
    sentences = [s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) >= 2]
    out = []
    for _ in range(n):
        parts = [rng.choice(sentences) for _ in range(rng.choice((1, 1, 2)))]
        words = WORD.findall(" ".join(parts))
        words = [w for w in words if rng.random() > 0.1] or words
        if len(words) > 3 and rng.random() < 0.3:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        out.append(" ".join(words))
    return out


class PeakRSS:
    """Samples this process's resident memory every 10 ms: the peak during a block."""

    def __enter__(self):
        import threading

        import psutil

        self.proc, self.stop = psutil.Process(), threading.Event()
        self.start_mb = self.peak_mb = self.proc.memory_info().rss / 2**20

        def sample():
            while not self.stop.wait(0.01):
                self.peak_mb = max(self.peak_mb, self.proc.memory_info().rss / 2**20)

        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak_mb = max(self.peak_mb, self.proc.memory_info().rss / 2**20)


def scale_child(n: int, k) -> dict:
    """Runs in a fresh process: vectorise + choose k + cluster + label n segments."""
    from rapidreview.themes import label
    from rapidreview.themes.vectorize import (
        ThemeVectorizer,  # noqa: F401  (import cost outside the timing)
        word_log_probs,
    )

    word_log_probs()  # the language check's word table: a fixed cost, loaded once per process
    texts = synthetic(n)
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        labels, _, chosen = ours(texts, k, 0)
        t1 = time.perf_counter()
        rng = np.random.RandomState(0)
        groups = [np.flatnonzero(labels == c) for c in range(chosen)]
        samples = [[texts[i] for i in (g if len(g) <= 400 else rng.choice(g, 400, replace=False))] for g in groups]
        label.theme_phrases(samples)
        t2 = time.perf_counter()
    return {"n": n, "k": chosen, "cluster_s": round(t1 - t0, 2), "label_s": round(t2 - t1, 2),
            "total_s": round(t2 - t0, 2), "rss_before_mb": round(mem.start_mb, 1), "peak_rss_mb": round(mem.peak_mb, 1),
            "rss_growth_mb": round(mem.peak_mb - mem.start_mb, 1), "unassigned": round(float((labels < 0).mean()), 4)}


def scale(sizes=(25_000, 50_000, 100_000), k="auto"):
    out = []
    for n in sizes:
        res = subprocess.run([sys.executable, __file__, "--child", str(n), "--k", str(k)],
                             capture_output=True, text=True, check=True)
        out.append(json.loads(res.stdout.strip().splitlines()[-1]))
    return out


def end_to_end_100k(n=100_000):
    """find_themes on a review holding n synthetic segments (written through the library)."""
    from rapidreview import store
    from rapidreview.ingest import ImportOptions, import_files
    from rapidreview.themes import Selection, ThemeOptions, find_themes

    texts = synthetic(n, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["ID", "Service", "Answer"])
            for i, t in enumerate(texts):
                w.writerow([i, ["111", "PTS", "A&E", "Community"][i % 4], t])
        db = store.open_review(Path(tmp) / "big.db")
        import_files(db, [path], ImportOptions(text=["Answer"], id="ID", attrs=["Service"], placeholders=[]))
        with PeakRSS() as mem:
            t0 = time.perf_counter()
            find_themes(db, Selection(), ThemeOptions(k="auto", seed=0))
            secs = time.perf_counter() - t0
        return {"segments": n, "seconds": round(secs, 2), "rss_before_mb": round(mem.start_mb, 1),
                "peak_rss_mb": round(mem.peak_mb, 1), "rss_growth_mb": round(mem.peak_mb - mem.start_mb, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="Skip the 100k scale runs.")
    ap.add_argument("--scale-only", action="store_true", help="Only the scale runs.")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--k", default="auto", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(scale_child(args.child, args.k if args.k == "auto" else int(args.k))))
        return
    if not FFT.exists():
        sys.exit(f"{FFT} is absent: the NHS FFT data lives in ../shared beside a project checkout")
    report = {} if args.scale_only else {"agreement": agreement(), "find_themes_fft": end_to_end()}
    if not args.quick:
        report["scale_cluster_and_label"] = scale()
        report["find_themes_100k"] = end_to_end_100k()
    print_report(report)
    print(json.dumps(report, indent=1), file=sys.stderr)


def print_report(report: dict) -> None:
    for title, block in report.get("agreement", {}).items():
        print(f"\nNMI vs human codes, {title}: {block['n']} rows, {block['classes']} classes "
              f"(BERTopic on unseen data: NMI {BERTOPIC_NMI}, 31% outliers)")
        cols = ["method", "k", "nmi", "nmi_min", "nmi_vs_baseline", "unassigned", "seconds", "time_vs_baseline",
                "speedup_vs_bertopic", "ari_seeds"]
        print("  " + " | ".join(cols))
        for r in block["rows"]:
            print("  " + " | ".join(str(r[c]) for c in cols))
    e = report.get("find_themes_fft")
    if e:
        print(f"\nfind_themes on the imported FFT review: {e['segments']} segments, k={e['k']} (auto), "
              f"{e['seconds']} s end to end, buckets {100 * e['bucket_share']:.1f}%")
        print("  " + "\n  ".join(e["examples"]))
    for r in report.get("scale_cluster_and_label", []):
        print(f"\nscale {r['n']}: k={r['k']}, cluster {r['cluster_s']} s + label {r['label_s']} s = {r['total_s']} s, "
              f"RSS {r['rss_before_mb']} MB before, peak {r['peak_rss_mb']} MB (+{r['rss_growth_mb']} MB), "
              f"unassigned {100 * r['unassigned']:.2f}%")
    if "find_themes_100k" in report:
        r = report["find_themes_100k"]
        print(f"\nfind_themes end to end on {r['segments']} segments: {r['seconds']} s, RSS {r['rss_before_mb']} MB "
              f"before, peak {r['peak_rss_mb']} MB (+{r['rss_growth_mb']} MB)")


if __name__ == "__main__":
    main()
