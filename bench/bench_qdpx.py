"""REFI-QDA project benchmark: export a review to .qdpx and import it into a fresh review,
for the demo review and a synthetic 100k-segment review (bench/make_big_review.py).

    python bench/bench_qdpx.py [--n 100000] [--repeat 3]

Each step runs in its own process, so its peak memory (max RSS) is its own. Baselines in
the same run: for export, writing the same documents' texts into a zip and nothing else
(the floor any .qdpx export pays); for import, `rapidreview import` of a CSV holding the
same texts, one row each (the same document writer, without the project's XML, codebook
and codings). Ratios are ours / baseline; ranges are min-max over the repeats.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from runner import peak_rss_mb  # noqa: E402

# ---------------------------------------------------------------- steps (each in a child process)


def step(name: str, args: list[str]) -> dict:
    from rapidreview import store

    t = time.perf_counter()
    if name == "export":
        from rapidreview.interchange import ExportOptions, export_project

        db = store.open_review(args[0], create=False)
        result = export_project(db, args[1], ExportOptions(suggestions=True, name="bench"))
        out = {"codings": result.counts["codings"], "sources": result.counts["sources"]}
    elif name == "zip-texts":
        db = store.open_review(args[0], create=False)
        with zipfile.ZipFile(args[1], "w", zipfile.ZIP_DEFLATED) as z:
            for doc_id, text in db.execute("SELECT id, text FROM documents ORDER BY id"):
                z.writestr(f"Sources/{doc_id}.txt", text.encode("utf-8"))
        out = {}
    elif name == "import":
        from rapidreview.ingest import ImportOptions, import_files

        db = store.open_review(args[1])
        options = ImportOptions(text=["Text"], id="ID") if args[0].endswith(".csv") else None
        [result] = import_files(db, [args[0]], options)
        out = {"documents": result.counts["documents"], "codings": result.counts["codings"]}
    else:
        raise SystemExit(f"unknown step {name}")
    out["seconds"] = time.perf_counter() - t
    out["max_rss_mb"] = peak_rss_mb()
    return out


def run(name: str, *args) -> dict:
    done = subprocess.run([sys.executable, __file__, "--step", name, *map(str, args)], check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the benchmark


def texts_csv(review: Path, out: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(review)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ID", "Text"])
        w.writerows((f"D{i}", text) for i, text in conn.execute("SELECT id, text FROM documents ORDER BY id"))
    conn.close()


def bench(label: str, review: Path, tmp: Path, repeat: int) -> None:
    qdpx, floor, baseline_csv = tmp / f"{label}.qdpx", tmp / f"{label}-texts.zip", tmp / f"{label}-texts.csv"
    texts_csv(review, baseline_csv)
    ours = [run("export", review, qdpx) for _ in range(repeat)]
    base = [run("zip-texts", review, floor) for _ in range(repeat)]
    imports, csv_imports = [], []
    for i in range(repeat):
        imports.append(run("import", qdpx, tmp / f"{label}-fresh-{i}.db"))
        csv_imports.append(run("import", baseline_csv, tmp / f"{label}-csv-{i}.db"))
    print(f"\n## {label}: {ours[0]['sources']} documents, {ours[0]['codings']} codings, "
          f".qdpx {qdpx.stat().st_size / 1e6:.1f} MB (texts alone zipped: {floor.stat().st_size / 1e6:.1f} MB)")
    for what, a, b, base_name in (("export", ours, base, "zip of the texts"),
                                  ("import", imports, csv_imports, "CSV import of the texts")):
        ta, tb = [r["seconds"] for r in a], [r["seconds"] for r in b]
        ratios = [x / y for x, y in zip(ta, tb)]
        print(f"{what:6}  {min(ta):6.2f}-{max(ta):6.2f} s   {base_name}: {min(tb):6.2f}-{max(tb):6.2f} s   "
              f"ratio {min(ratios):4.1f}-{max(ratios):4.1f}x   peak RSS {max(r['max_rss_mb'] for r in a):5.0f} MB "
              f"(baseline {max(r['max_rss_mb'] for r in b):5.0f} MB)")
    assert imports[0]["codings"] == ours[0]["codings"], "the import must bring back every coding"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="segments in the synthetic review")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        print(json.dumps(step(args.step[0], args.step[1:])))
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        from rapidreview import demo

        demo_dir = tmp / "demo"
        demo.build(demo_dir)
        bench("demo review", demo_dir / "review.db", tmp, args.repeat)
        big = HERE / "make_big_review.py"
        if big.exists():
            subprocess.run([sys.executable, str(big), str(tmp / "big.db"), "--n", str(args.n),
                            "--demo-dir", str(demo_dir)], check=True)
            bench(f"{args.n // 1000}k segments", tmp / "big.db", tmp, args.repeat)
        else:
            print(f"\n(no {big.name}: the large review is skipped)")


if __name__ == "__main__":
    main()
