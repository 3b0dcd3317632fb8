"""Publish figures: time to build public.db from a redacted, themed review of N synthetic
comments (made from real FFT answers), its size, and p95 latency of every canned query
(SQLite directly, and through Datasette in-process), against a baseline measured in the
same run: reading the same segments' redacted text with `privacy.publishable_segments`.

    python bench/bench_publish.py [--n 20000] [--repeat 30] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidreview import privacy, store
from rapidreview.ingest import ImportOptions, import_files
from rapidreview.publish import SETTINGS, PublishOptions, publish
from rapidreview.themes import ThemeOptions, find_themes

FFT = ROOT.parent / "shared" / "data" / "nhs-fft" / "fft_dev.csv"
FALLBACK = ["Staff were kind", "Waited too long", "Parking was awful", "Lovely nurse", "Could not get through"]


def synthesise(path: Path, n: int) -> None:
    pool = FALLBACK
    if FFT.exists():
        with open(FFT, newline="", encoding="utf-8") as f:
            pool = [r["FFT answer"] for r in csv.DictReader(f) if len(r["FFT answer"].strip()) > 10]
    rng = random.Random(7)
    services = ["GP", "A&E", "Maternity", "Mental health", "Community", "Pharmacy", "Dental", "Tiny clinic"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ID", "Service", "Date", "Comment", "Codes"])
        for i in range(n):
            w.writerow([f"R{i}", rng.choice(services[:-1]) if i % 500 else services[-1],
                        f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", rng.choice(pool),
                        rng.choice(["Access", "Staff attitude", "Waiting", "Parking; Access"])])


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] * 1000 if len(times) > 1 else times[0] * 1000


def synthetic_public(path: Path, n: int) -> tuple[Path, float]:
    """public.db of n quotes written straight from synthetic rows (no review): for
    query latency and size at a scale where building the review would take minutes."""
    from rapidreview.privacy import control_table
    from rapidreview.publish import build, config, quote_ids

    rng = random.Random(7)
    pool = FALLBACK
    if FFT.exists():
        with open(FFT, newline="", encoding="utf-8") as f:
            pool = [r["FFT answer"] for r in csv.DictReader(f) if len(r["FFT answer"].strip()) > 10]
    services = ["GP", "A&E", "Maternity", "Mental health", "Community", "Pharmacy", "Dental"]
    codes = ["Access", "Staff attitude", "Waiting", "Parking", "Communication"]
    labels = {k: f"theme {k}" for k in range(1, 13)}
    quotes, quote_codes = [], []
    for i in range(1, n + 1):
        k = rng.randint(1, 12)
        cs = rng.sample(codes, rng.choice((1, 1, 2)))
        quotes.append({"segment_id": i, "text": rng.choice(pool), "question": rng.choice(("FFT Why?", "Better?")),
                       "month": f"2025-{rng.randint(1, 12):02d}", "role": "participant", "codes": "; ".join(cs),
                       "theme_number": k, "theme": labels[k], "sentiment": None, "Service": rng.choice(services)})
        quote_codes += [(i, c) for c in cs]
    counts = []
    for dim in ("question", "month", "Service"):
        table: dict = {}
        for q in quotes:
            table.setdefault(q["theme"], {}).setdefault(q[dim], 0)
            table[q["theme"]][q[dim]] += 1
        ct = control_table(table)
        for item, cells in [*ct["rows"].items(), ("Total", ct["totals"])]:
            counts += [{"measure": "theme", "item": item, "dimension": dim, "value": v, "n": c.value,
                        "shown": c.display, "suppressed": int(c.suppressed)} for v, c in cells.items()]
    content = {"codebook": [], "counts": counts,
               "themes": [{"number": k, "label": v, "kind": "theme", "key_terms": "", "size": n // 12,
                           "size_shown": str(n // 12)} for k, v in labels.items()],
               "theme_quotes": [], "ledger": {"recommendations": [], "evidence": []}}
    path.unlink(missing_ok=True)
    t = time.perf_counter()
    key = rng.randbytes(32)  # keyed quote numbers, as publish gives them

    numbers = SimpleNamespace(many=lambda ids: [quote_ids.keyed_number(key, s) for s in ids])

    conn = build.create(path, ["Service"])
    build.insert_quotes(conn, ["Service"], quotes, quote_codes, numbers)
    build.insert_rest(conn, content, numbers)
    build.finish(conn, ["Service"])
    conn.close()
    elapsed = time.perf_counter() - t
    meta = config.metadata(path.stem, publishable=["Service"], n_quotes=n)
    meta_path = path.with_suffix(".metadata.json")
    meta_path.write_text(json.dumps(meta))
    return meta_path, elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--synthetic-public", action="store_true",
                    help="Skip the review: write a public.db of --n quotes directly and time its queries.")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_publish_"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path, review, public = work / "survey.csv", work / "review.db", work / "public.db"
    for p in (review, public):
        p.unlink(missing_ok=True)
    if args.synthetic_public:
        meta_path, elapsed = synthetic_public(public, args.n)
        print(f"synthetic public.db: {args.n:,} quotes written in {elapsed:.1f}s, "
              f"{public.stat().st_size / 1e6:.0f} MB")
        return time_queries(public, json.loads(meta_path.read_text()), args.repeat)
    synthesise(csv_path, args.n)
    db = store.open_review(review)
    t = time.perf_counter()
    import_files(db, [csv_path], ImportOptions(text=["Comment"], id="ID", attrs=["Service"], date="Date",
                                               codes=["Codes"]))
    t_import = time.perf_counter() - t
    t = time.perf_counter()
    privacy.redact(db)
    t_redact = time.perf_counter() - t
    t = time.perf_counter()
    find_themes(db, options=ThemeOptions(k=8, seed=0, n_runs=2))
    t_themes = time.perf_counter() - t
    t = time.perf_counter()
    base = len(privacy.publishable_segments(db, group_attr=["Service"]))
    t_base = time.perf_counter() - t
    t = time.perf_counter()
    result = publish(db, public, PublishOptions(publishable=["Service"]))
    t_publish = time.perf_counter() - t
    print(f"segments {base}; import {t_import:.1f}s, redact {t_redact:.1f}s, themes {t_themes:.1f}s")
    print(f"publish {t_publish:.2f}s ({t_publish / t_base:.1f}x the baseline read of redacted segments, "
          f"{t_base:.2f}s); {base / t_publish:,.0f} segments/s")
    print(f"public.db {public.stat().st_size / 1e6:.1f} MB ({public.stat().st_size / review.stat().st_size:.2f}x "
          f"review.db {review.stat().st_size / 1e6:.1f} MB); tables {result.tables}")

    time_queries(public, json.loads(Path(result.metadata_path).read_text()), args.repeat)


def time_queries(public: Path, meta: dict, repeat: int) -> None:
    queries = meta["databases"]["public"]["queries"]
    conn = sqlite3.connect(public)
    label = conn.execute("SELECT label FROM themes WHERE kind = 'theme' LIMIT 1").fetchone()[0]
    code = conn.execute("SELECT code FROM quote_codes LIMIT 1").fetchone()[0]
    samples = {"theme": "1", "question": "", "month": "2025-03", "code": code, "dimension": "Service", "q": "staff"}
    params_of = {}
    for name, q in queries.items():
        params = {p: samples[p] for p in re.findall(r":(\w+)", q["sql"])}
        if name in ("theme_by_group", "trend_by_month"):
            params["theme"] = label
        params_of[name] = params
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            n = len(conn.execute(q["sql"], params).fetchall())
            times.append(time.perf_counter() - t)
        print(f"  sqlite    {name:16s} p95 {p95(times):7.2f} ms ({n} rows)")
    conn.close()

    from urllib.parse import urlencode

    from datasette.app import Datasette

    async def over_http():
        ds = Datasette(immutables=[str(public)], metadata=meta, settings=SETTINGS)
        await ds.invoke_startup()
        for name, params in params_of.items():
            url = f"/public/{name}?" + urlencode(params)
            await ds.client.get(url)  # warm-up: the first request introspects the database
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                r = await ds.client.get(url)
                times.append(time.perf_counter() - t)
            print(f"  datasette {name:16s} p95 {p95(times):7.2f} ms (HTML, status {r.status_code})")
        for url in ("/public/quotes", "/public/quotes?theme_number=3", "/public/quotes?_search=staff",
                    "/public/counts?dimension=month"):
            await ds.client.get(url)
            times = []
            for _ in range(max(5, repeat // 3)):
                t = time.perf_counter()
                r = await ds.client.get(url)
                times.append(time.perf_counter() - t)
            print(f"  datasette {url:40s} p95 {p95(times):7.2f} ms (table page, status {r.status_code})")

    asyncio.run(over_http())


if __name__ == "__main__":
    main()
