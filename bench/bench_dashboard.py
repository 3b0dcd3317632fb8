"""Dashboard latency: p50/p95 of every dashboard page through a real
`rapidreview serve PUBLIC_DB --public` on loopback, sequential requests, against two
baselines measured in the same run: Datasette's cheapest page (`/-/versions.json`) and a
plain Datasette table page of 20 quotes.

    python bench/bench_dashboard.py [PUBLIC_DB] [--repeat 40] [--rounds 3] [--json out.json]

With no PUBLIC_DB, one is built from the sample corpus (`rapidreview demo`, half the
suggestions accepted, published with Service and Age group). The theme, service, code and
search words requested are read from the database, several of each, so no single cached
answer is measured; a deep page is reached by keyset (after= a quote half-way through the
biggest theme), as a reader following Next would.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_publish_scale import Server  # noqa: E402  (rapidreview serve --public on a free loopback port)


def sample_public_db(directory: Path) -> Path:
    from test_dashboard import build_sample  # the same sample the tests use

    return build_sample(directory)


def timed_get(server, path: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    status, _ = server.get(path)
    return status, time.perf_counter() - t0


def pages(public_db: Path, variants: int = 5) -> list[tuple[str, list[str]]]:
    conn = sqlite3.connect(public_db.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        db = public_db.stem
        themes = [r[0] for r in conn.execute("SELECT number FROM themes ORDER BY coalesce(size, 0) DESC LIMIT ?",
                                             [variants])]
        attrs = [r[1] for r in conn.execute("PRAGMA table_info(quotes)")][9:]
        attr = attrs[0] if attrs else None
        values = [r[0] for r in conn.execute(
            f'SELECT DISTINCT "{attr}" FROM quotes WHERE "{attr}" != \'(not given)\' LIMIT ?', [variants])] if attr else []
        codes = [r[0] for r in conn.execute("SELECT item FROM counts WHERE measure = 'code' AND dimension = 'all' "
                                            "AND item != 'Total' ORDER BY n DESC LIMIT ?", [variants])]
        months = [r[0] for r in conn.execute("SELECT DISTINCT month FROM quotes WHERE month LIKE '____-__' "
                                             "ORDER BY 1")]
        big = themes[0]
        middle = conn.execute("SELECT quote_id FROM quotes WHERE theme_number = ? ORDER BY quote_id LIMIT 1 "
                              "OFFSET (SELECT count(*) / 2 FROM quotes WHERE theme_number = ?)", [big, big]).fetchone()
    finally:
        conn.close()
    words = ["staff", "parking", "appointment", "phone", "waiting"][:variants]
    by = (lambda i: {f"attr.{attr}": values[i % len(values)]}) if values else (lambda i: {})
    month_from = months[len(months) // 2] if months else None
    out = [
        ("baseline: /-/versions.json", ["/-/versions.json"]),
        ("baseline: Datasette quotes table, 20 rows", [f"/{db}/quotes?_size=20"]),
        ("overview", ["/-/dashboard"]),
        ("overview, one service (published counts)", ["/-/dashboard?" + urlencode(by(i)) for i in range(variants)]),
        ("overview, service + months (controlled recount)",
         ["/-/dashboard?" + urlencode({**by(i), "from": month_from or ""}) for i in range(variants)]),
        ("overview, search", ["/-/dashboard?" + urlencode({"q": w}) for w in words]),
        ("theme page 1", [f"/-/dashboard/theme/{t}" for t in themes]),
        ("theme deep page (keyset)", [f"/-/dashboard/theme/{big}?after={middle[0] if middle else 0}"]),
        ("theme, one service", [f"/-/dashboard/theme/{themes[i % len(themes)]}?" + urlencode(by(i))
                                for i in range(variants)]),
        ("quotes, search", ["/-/dashboard/quotes?" + urlencode({"q": w}) for w in words]),
        ("quotes for a code", ["/-/dashboard/quotes?" + urlencode({"code": c}) for c in codes]),
        ("codebook", ["/-/dashboard/codebook"]),
        ("recommendations", ["/-/dashboard/recommendations"]),
        ("overview .json", ["/-/dashboard.json"]),
    ]
    return [(name, [quote(p, safe="/?=&.%+") for p in paths]) for name, paths in out if paths]


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20, method="inclusive")[18] if len(xs) > 1 else xs[0]


def measure(server, paths: list[str], repeat: int) -> list[float]:
    for p in paths:  # warm: first request opens connections and fills SQLite's page cache
        status, _ = server.get(p)
        if status != 200:
            raise RuntimeError(f"{p}: HTTP {status}")
    return [timed_get(server, paths[i % len(paths)])[1] * 1000 for i in range(repeat)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("public_db", nargs="?", type=Path)
    ap.add_argument("--repeat", type=int, default=40, help="requests per page per round")
    ap.add_argument("--rounds", type=int, default=3, help="rounds over all pages (the range of p95 is reported)")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args(argv)
    tmp = None
    public_db = args.public_db
    if public_db is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-dashboard-")
        public_db = sample_public_db(Path(tmp.name))
    n_quotes = sqlite3.connect(public_db).execute("SELECT count(*) FROM quotes").fetchone()[0]
    print(f"{public_db}: {n_quotes:,} quotes; {args.rounds} rounds x {args.repeat} sequential requests per page",
          file=sys.stderr)
    server = Server(public_db)
    out = {"public_db": str(public_db), "quotes": n_quotes, "pages": {}}
    print(f"\n{'page':50} {'p50 ms':>8} {'p95 ms (range)':>22} {'x versions':>11} {'x table':>8}")
    try:
        base = table = None
        for name, paths in pages(public_db):
            rounds = []
            for _ in range(args.rounds):
                ms = measure(server, paths, args.repeat)
                rounds.append({"p50": statistics.median(ms), "p95": p95(ms)})
            p50 = statistics.median(r["p50"] for r in rounds)
            p95s = [r["p95"] for r in rounds]
            mid = statistics.median(p95s)
            base = base or mid  # the first page is /-/versions.json, the second the plain table page
            table = table or (mid if name.startswith("baseline: Datasette") else None)
            ratio_table = f"{mid / table:8.2f}" if table else f"{'':8}"
            print(f"{name:50} {p50:8.1f} {mid:8.1f} ({min(p95s):5.1f}-{max(p95s):5.1f}) {mid / base:11.1f} "
                  f"{ratio_table}", flush=True)
            out["pages"][name] = {"p50_ms": round(p50, 2), "p95_ms": round(mid, 2),
                                  "p95_range_ms": [round(min(p95s), 2), round(max(p95s), 2)],
                                  "ratio_versions": round(mid / base, 2),
                                  "ratio_table": round(mid / table, 2) if table else None}
    finally:
        server.stop()
        if tmp:
            tmp.cleanup()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
