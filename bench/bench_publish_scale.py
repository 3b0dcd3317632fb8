"""Publish at scale: time and peak memory of `publish` on synthetic reviews of 100k and 1M
segments, the size of public.db, and the latency of every canned query, table page and
dashboard page through a real `rapidreview serve public.db --public` on loopback.

    python bench/bench_publish_scale.py [--sizes 100000 1000000] [--dir /tmp/rr-scale]
                                        [--publish-repeat 2] [--repeat 40] [--json out.json]

Baselines measured in the same run: peak memory of a process that only imports
rapidreview and loads the redaction detectors (publish's floor); Datasette's cheapest page
(`/-/versions.json`) for latency; and, with `--baseline-code DIR` (a copy of an earlier
`rapidreview` package in DIR), publish by that code on the same review, alternating runs
with the current code, so a change's cost is a ratio measured under the same load. Each publish runs in a fresh subprocess that reports its
own peak RSS (getrusage), cross-checked by sampling it with psutil. Reviews come from
bench/make_big_review.py and are kept in --dir for the next run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import make_big_review  # noqa: E402

PUBLISHABLE = ["Service", "Age group"]
MIN_GROUP = 10

PUBLISH_CHILD = """
import json, resource, sys, time
from rapidreview import store
from rapidreview.publish import PublishOptions, publish
db = store.open_review(sys.argv[1])
t, c = time.perf_counter(), time.process_time()
r = publish(db, sys.argv[2], PublishOptions(publishable=json.loads(sys.argv[3]), min_group=int(sys.argv[4])))
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - c, "tables": r.tables,
                  "withheld": r.withheld_quotes, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

FLOOR_CHILD = """
import json, resource, sys
from rapidreview import privacy, store
from rapidreview.publish import publish
db = store.open_review(sys.argv[1])
privacy.redact_text("Dr Okonkwo rang 07700 900123")  # loads the detectors, as publish does
print(json.dumps({"maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(code: str, *args, package_dir: Path | None = None) -> dict:
    """Run `code` in a fresh interpreter (importing rapidreview from `package_dir` when
    given); its JSON line, plus the peak RSS psutil saw."""
    env = {**os.environ, "PYTHONPATH": str(package_dir)} if package_dir else None
    proc = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, text=True,
                            cwd=package_dir or ROOT, env=env)
    watcher, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            peak = max(peak, watcher.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"child failed ({proc.returncode}): {out}")
    result = json.loads(out.strip().splitlines()[-1])
    result["psutil_peak_mb"] = peak / 2**20
    return result


def span(values, fmt="{:.1f}") -> str:
    return fmt.format(min(values)) if len(values) == 1 else f"{fmt.format(min(values))}-{fmt.format(max(values))}"


def measure_publish(args) -> tuple[dict, Path]:
    figures, public = {}, None
    for n in args.sizes:
        review = args.dir / f"review-{n}.db"
        if not review.exists():
            t = time.perf_counter()
            make_big_review.build(review, n, 7, args.dir / "demo")
            print(f"built {review.name} in {time.perf_counter() - t:.0f}s", file=sys.stderr)
        public = args.dir / f"public-{n}.db"
        floor = run_child(FLOOR_CHILD, review)["maxrss_mb"]
        runs, before = [], []
        for _ in range(args.publish_repeat):  # alternating: both see the same load
            if args.baseline_code:
                before.append(run_child(PUBLISH_CHILD, review, args.dir / f"public-{n}-baseline.db",
                                        json.dumps(PUBLISHABLE), MIN_GROUP, package_dir=args.baseline_code))
            runs.append(run_child(PUBLISH_CHILD, review, public, json.dumps(PUBLISHABLE), MIN_GROUP))
        figures[n] = {"floor_mb": floor, "runs": runs, "public_mb": public.stat().st_size / 1e6,
                      "review_mb": review.stat().st_size / 1e6, "tables": runs[0]["tables"]}
        secs, cpu = [r["seconds"] for r in runs], [r["cpu"] for r in runs]
        rss = [r["maxrss_mb"] for r in runs]
        print(f"{n:>9,} segments: publish {span(secs)} s wall, {span(cpu)} s CPU "
              f"({n / max(secs):,.0f}-{n / min(secs):,.0f} segments/s); peak RSS {span(rss, '{:.0f}')} MB "
              f"(psutil {span([r['psutil_peak_mb'] for r in runs], '{:.0f}')} MB; floor {floor:.0f} MB: "
              f"+{span([r - floor for r in rss], '{:.0f}')} MB); public.db {figures[n]['public_mb']:.0f} MB "
              f"({figures[n]['public_mb'] / figures[n]['review_mb']:.2f}x review.db); {runs[0]['tables']}")
        if before:
            figures[n]["baseline_runs"] = before
            ratio = [a["seconds"] / b["seconds"] for a, b in zip(runs, before)]
            cpu_ratio = [a["cpu"] / b["cpu"] for a, b in zip(runs, before)]
            print(f"{'':>9s}  baseline code ({args.baseline_code}): publish {span([b['seconds'] for b in before])} s "
                  f"wall, {span([b['cpu'] for b in before])} s CPU, peak RSS "
                  f"{span([b['maxrss_mb'] for b in before], '{:.0f}')} MB; this code / baseline: wall "
                  f"x{span(ratio, '{:.2f}')}, CPU x{span(cpu_ratio, '{:.2f}')}, peak RSS "
                  f"{span([a['maxrss_mb'] - b['maxrss_mb'] for a, b in zip(runs, before)], '{:+.0f}')} MB")
    if len(args.sizes) > 1:
        small, big = min(args.sizes), max(args.sizes)
        per = {n: min(r["cpu"] for r in figures[n]["runs"]) / n for n in (small, big)}
        extra = {n: min(r["maxrss_mb"] for r in figures[n]["runs"]) - figures[n]["floor_mb"] for n in (small, big)}
        print(f"{big:,} vs {small:,}: CPU per segment x{per[big] / per[small]:.2f}; "
              f"peak RSS above the floor {extra[small]:.0f} MB -> {extra[big]:.0f} MB")
    return figures, public


# ---------------------------------------------------------------- serving


class Server:
    def __init__(self, public: Path):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen([sys.executable, "-m", "rapidreview", "serve", str(public), "--public",
                                      "--port", str(self.port)], cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.process = psutil.Process(self.proc.pid)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.get("/-/versions.json")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("server did not start")

    def get(self, path: str) -> tuple[int, int]:
        conn = getattr(self, "conn", None) or http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.conn = conn
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
        except (http.client.HTTPException, ConnectionError):
            self.conn = None
            raise OSError("connection dropped")
        return r.status, len(body)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def requests_for(public: Path) -> list[tuple[str, list[str]]]:
    """(name, [paths]): each canned query with realistic parameters (cycled), table pages,
    full-text search, and the dashboard's pages."""
    meta = json.loads(public.with_suffix(".metadata.json").read_text())
    name = public.stem
    conn = sqlite3.connect(public)
    themes = [r[0] for r in conn.execute("SELECT number FROM themes WHERE kind = 'theme' ORDER BY size DESC")]
    labels = [r[0] for r in conn.execute("SELECT label FROM themes WHERE kind = 'theme' ORDER BY size DESC")]
    codes = [r[0] for r in conn.execute("SELECT code FROM quote_codes GROUP BY code ORDER BY count(*) DESC")]
    questions = [r[0] for r in conn.execute("SELECT DISTINCT question FROM quotes")]
    months = [r[0] for r in conn.execute("SELECT DISTINCT month FROM quotes ORDER BY month")]
    services = [r[0] for r in conn.execute("SELECT DISTINCT Service FROM quotes")]
    pages = [r[0] for r in conn.execute("SELECT quote_id FROM quotes ORDER BY quote_id LIMIT 10 OFFSET 500")]
    conn.close()
    words = ["staff", "waiting", "parking", "appointment", "phone", "\"phone line\"", "nurse*", "rude OR kind",
             "receptionist", "discharge"]
    variants = 10

    def cycle(values, i, blank_every=0):
        return "" if blank_every and i % blank_every == 0 else values[i % len(values)]

    params = {
        "theme": lambda i: str(themes[i % len(themes)]), "question": lambda i: cycle(questions, i, 2),
        "month": lambda i: cycle(months, i * 7, 3), "code": lambda i: codes[i % len(codes)],
        "dimension": lambda i: ["Service", "month", "question", "Age group"][i % 4], "q": lambda i: words[i % 10],
    }
    out = [("baseline /-/versions.json", ["/-/versions.json"])]
    for query, spec in meta["databases"][name]["queries"].items():
        names = re.findall(r":(\w+)", spec["sql"])
        paths = []
        for i in range(variants):
            values = {p: params[p](i) for p in dict.fromkeys(names)}
            if query in ("theme_by_group", "trend_by_month") and "theme" in values:
                values["theme"] = "" if i % 3 == 0 else labels[i % len(labels)]
            paths.append(f"/{name}/{query}?" + urlencode(values))
        out.append((f"canned {query}", paths))
    out += [
        ("table quotes", [f"/{name}/quotes"]),
        ("table quotes filtered", [f"/{name}/quotes?" + urlencode({"Service": services[i % len(services)],
                                                                   "theme_number": themes[i % len(themes)]})
                                   for i in range(variants)]),
        ("table quotes FTS", [f"/{name}/quotes?_search=" + quote(words[i]) for i in range(variants)]),
        ("table counts filtered", [f"/{name}/counts?dimension=month&measure=theme"]),
        ("table quotes.json keyset page 2", [f"/{name}/quotes.json?_next={pages[i % len(pages)]}&_size=50"
                                             for i in range(variants)]),
    ]
    dash = [
        ("dashboard overview", ["/-/dashboard"]),
        ("dashboard overview filtered", ["/-/dashboard?" + urlencode({"attr.Service": services[i % len(services)],
                                                                      "from": months[i % 12], "to": months[-1]})
                                         for i in range(variants)]),
        ("dashboard theme", [f"/-/dashboard/theme/{themes[i % len(themes)]}" for i in range(variants)]),
        ("dashboard theme filtered", [f"/-/dashboard/theme/{themes[i % len(themes)]}?" +
                                      urlencode({"question": questions[i % len(questions)],
                                                 "attr.Service": services[i % len(services)]})
                                      for i in range(variants)]),
        ("dashboard quotes by code", ["/-/dashboard/quotes?" + urlencode({"code": codes[i % len(codes)]})
                                      for i in range(variants)]),
        ("dashboard search", ["/-/dashboard?" + urlencode({"q": words[i]}) for i in range(variants)]),
        ("dashboard codebook", ["/-/dashboard/codebook"]),
    ]
    return out, dash


def measure_serving(public: Path, repeat: int, budget: float = 60) -> dict:
    requests, dash = requests_for(public)
    server = Server(public)
    try:
        if server.get("/-/dashboard")[0] == 200:
            requests += dash
        else:
            print("(no dashboard at /-/dashboard: its pages are not measured)", file=sys.stderr)
        results = {}
        for label, paths in requests:
            started = time.perf_counter()
            for p in paths[:3]:  # warm-up: Datasette introspects, SQLite reads the pages in
                server.get(p)
            times, statuses = [], set()
            cpu0 = sum(server.process.cpu_times()[:2])
            for i in range(repeat):
                if i >= 5 and time.perf_counter() - started > budget:  # a slow page: fewer samples
                    break
                t = time.perf_counter()
                status, _ = server.get(paths[i % len(paths)])
                times.append((time.perf_counter() - t) * 1000)
                statuses.add(status)
            q = statistics.quantiles(times, n=100)
            cpu = (sum(server.process.cpu_times()[:2]) - cpu0) * 1000 / len(times)
            results[label] = {"p50": q[49], "p95": q[94], "max": max(times), "cpu_ms": cpu, "n": len(times),
                              "status": sorted(statuses)}
            print(f"  {label}: p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms", file=sys.stderr)
        base = results["baseline /-/versions.json"]
        print(f"\nLatency over loopback, {repeat} requests each ({public.name}, "
              f"{public.stat().st_size / 1e6:.0f} MB); baseline /-/versions.json p95 {base['p95']:.1f} ms")
        print("(server CPU ms: the server process's own CPU time per request, which the load from other "
              "processes does not inflate)")
        print(f"{'request':40s} {'p50 ms':>8s} {'p95 ms':>8s} {'p95/base':>9s} {'CPU ms':>7s}  status")
        for label, r in results.items():
            flag = "" if r["p95"] < 100 else "  over 100 ms"
            print(f"{label:40s} {r['p50']:8.1f} {r['p95']:8.1f} {r['p95'] / base['p95']:9.1f} {r['cpu_ms']:7.1f}  "
                  f"{','.join(map(str, r['status']))} (n={r['n']}){flag}")
        return results
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/rr-scale"))
    ap.add_argument("--publish-repeat", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=40, help="Requests per measured page.")
    ap.add_argument("--serve-only", action="store_true", help="Skip publishing: serve the largest public db.")
    ap.add_argument("--baseline-code", type=Path, metavar="DIR",
                    help="A directory holding an earlier rapidreview package: publish with it too, alternating.")
    ap.add_argument("--json", type=Path, help="Also write every figure here.")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {os.getloadavg()}", file=sys.stderr)
    if args.serve_only:
        figures, public = {}, args.dir / f"public-{max(args.sizes)}.db"
    else:
        figures, public = measure_publish(args)
    latency = measure_serving(public, args.repeat)
    print(f"load average at end: {os.getloadavg()}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"publish": figures, "latency": latency}, indent=1))


if __name__ == "__main__":
    main()
