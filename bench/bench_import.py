"""Import benchmark: rows/s, peak RSS and database size, as ratios to raw sqlite-utils.

    python bench/bench_import.py                 # 10k and 100k rows
    python bench/bench_import.py --sizes 10000   # quicker

Each measurement runs in a fresh subprocess so peak RSS is its own. The baseline is
`sqlite_utils` `insert_all` of the same CSV rows (read with the csv module) into a fresh
file, in the same run: the ratio is baseline time / our time (1.0 = as fast as a raw
insert of the rows, which does none of our work: encodings, attributes, segments,
full-text search, codings, one transaction). A second baseline inserts, just as raw, the
rows we store (a document per answer, its attributes, its segment), without indexes or
full-text search: `ratio_to_insert_all_of_stored_rows`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import gen_survey  # noqa: E402

FFT = ROOT.parent / "shared" / "data" / "nhs-fft" / "fft_dev.csv"
CORPUS = ROOT / "corpora" / "healthwatch-sample"

BASELINE = """
import csv, sqlite_utils, sys
db = sqlite_utils.Database(sys.argv[2])
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    db["rows"].insert_all(csv.DictReader(f), batch_size=2000)
"""

# The same rows we store (one per answer, its attributes, its segment), inserted raw: what a
# hand-rolled loader with sqlite-utils would write, with no checks, indexes or search.
BASELINE_STORED = """
import csv, sqlite_utils, sys
QUESTIONS = sys.argv[3].split("|")
ATTRS = ["Service", "Area", "Age group"]
db = sqlite_utils.Database(sys.argv[2])
def rows():
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        for n, row in enumerate(csv.DictReader(f)):
            for i, q in enumerate(QUESTIONS):
                yield n * len(QUESTIONS) + i, row, q
docs, attrs, segs = [], [], []
for doc_id, row, q in rows():
    docs.append({"id": doc_id, "respondent": row["Respondent ID"], "question": q, "text": row[q],
                 "date": row["Date submitted"]})
    attrs.extend({"document_id": doc_id, "name": a, "value": row[a]} for a in ATTRS)
    if row[q].strip():
        segs.append({"document_id": doc_id, "start": 0, "end": len(row[q]), "text": row[q]})
    if len(docs) >= 2000:
        db["documents"].insert_all(docs); db["attributes"].insert_all(attrs); db["segments"].insert_all(segs)
        docs, attrs, segs = [], [], []
db["documents"].insert_all(docs); db["attributes"].insert_all(attrs); db["segments"].insert_all(segs)
"""

# The floor: only the SQL our data model needs (the same rows as BASELINE_STORED, plus the
# respondents, the full-text index and the indexes, loaded as `store.bulk_load` does), from
# rows built before the clock starts. No reader, segmenter or checks can make an import
# faster than this: it bounds the ratio any implementation of the data model can reach.
SQL_FLOOR = """
import csv, sys, time
from rapidreview import open_review, store
QUESTIONS = sys.argv[3].split("|")
ATTRS = ["Service", "Area", "Age group"]
db = open_review(sys.argv[2])
respondents, docs, attrs, segs = [], [], [], []
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for n, row in enumerate(csv.DictReader(f), 1):
        respondents.append((n, row["Respondent ID"], "now"))
        for q in QUESTIONS:
            doc = len(docs) + 1
            docs.append((doc, 1, f"{n} | {q}", n, q, row["Date submitted"], "survey", row[q], n))
            attrs.extend((doc, a, row[a]) for a in ATTRS)
            if row[q].strip():
                segs.append((len(segs) + 1, doc, 0, 0, len(row[q]), row[q]))
start, cpu = time.perf_counter(), time.process_time()
with store.bulk_load(db, ("documents", "attributes", "segments"), defer_indexes=True):
    db.execute("INSERT INTO sources (id, path, name, sha256, format, imported_at) "
               "VALUES (1, 'x', 'x', 'x', 'csv', 'now')")
    store.insert_many(db, "respondents", ["id", "external_id", "created_at"], respondents)
    for i in range(0, len(docs), 6000):
        store.insert_many(db, "documents", ["id", "source_id", "external_id", "respondent_id", "question", "date",
                                            "kind", "text", "row"], docs[i:i + 6000])
        store.insert_many(db, "attributes", ["document_id", "name", "value"], attrs[i * 3:(i + 6000) * 3])
    for i in range(0, len(segs), 6000):
        batch = segs[i:i + 6000]
        store.insert_many(db, "segments", ["id", "document_id", "seq", "start", "end", "text"], batch)
        db.execute("INSERT INTO segments_fts (rowid, text) SELECT id, text FROM segments WHERE id BETWEEN ? AND ?",
                   [batch[0][0], batch[-1][0]])
print("FLOOR", time.perf_counter() - start, time.process_time() - cpu, file=sys.stderr)
"""

OURS = """
import sys, json
from rapidreview import open_review, import_files, ImportOptions
db = open_review(sys.argv[2])
import_files(db, sys.argv[3:], ImportOptions.from_dict(json.loads(sys.argv[1])))
"""

SURVEY_OPTIONS = {"text": gen_survey.QUESTIONS, "id": "Respondent ID", "date": "Date submitted",
                  "attrs": ["Service", "Area", "Age group"]}
FFT_OPTIONS = {"text": ["FFT answer"], "id": "Comment ID", "respondent": "Respondent ID",
               "question_col": "FFT question", "date": "Date",
               "attrs": ["Trust", "Service type 1", "Service type 2", "FFT categorical answer", "Comment sentiment"],
               "codes": ["Not assigned.."]}


def measure(code: str, *args) -> dict:
    """Run `code` in a fresh interpreter; wall time and its own peak RSS (MB)."""
    wrapper = code + ("\nimport resource; u = resource.getrusage(resource.RUSAGE_SELF)"
                      "\nprint('MAXRSS', u.ru_maxrss, 'CPU', u.ru_utime + u.ru_stime, file=sys.stderr)\n")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", wrapper, *map(str, args)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    rss, cpu = proc.stderr.rsplit("MAXRSS", 1)[1].split()[0::2]
    extra = dict(zip(("floor", "floor_cpu"), map(float, proc.stderr.split("FLOOR", 1)[1].split()[:2]))) \
        if "FLOOR" in proc.stderr else {}
    return {**extra, "seconds": round(seconds, 2), "cpu_seconds": round(float(cpu), 2),
            "peak_rss_mb": round(int(rss) / 1024, 1)}


def startup() -> dict[str, float]:
    """Each side's interpreter + import time, subtracted from its own run so ratios compare
    the work (the baselines never import rapidreview)."""
    runs = {side: [measure(code) for _ in range(3)] for side, code in
            (("baseline", "import csv, sys, sqlite_utils"), ("ours", "import sys, rapidreview, sqlite_utils"))}
    return {side: {k: min(r[k] for r in rs) for k in ("seconds", "cpu_seconds")} for side, rs in runs.items()}


def _work(run: dict, startup: dict, key: str = "seconds") -> float:
    return run[key] - startup[key]


def bench_size(n: int, tmp: Path, overhead: dict[str, dict]) -> dict:
    csv_path = tmp / f"survey-{n}.csv"
    gen_survey.write_csv(csv_path, n)
    base = measure(BASELINE, csv_path, tmp / f"base-{n}.db")
    stored = measure(BASELINE_STORED, csv_path, tmp / f"stored-{n}.db", "|".join(gen_survey.QUESTIONS))
    ours = measure(OURS, json.dumps(SURVEY_OPTIONS), tmp / f"ours-{n}.db", csv_path)
    floor = measure(SQL_FLOOR, csv_path, tmp / f"floor-{n}.db", "|".join(gen_survey.QUESTIONS))
    base_work, our_work = _work(base, overhead["baseline"]), _work(ours, overhead["ours"])
    base_cpu, our_cpu = _work(base, overhead["baseline"], "cpu_seconds"), _work(ours, overhead["ours"], "cpu_seconds")
    return {
        "rows": n, "documents": n * len(gen_survey.QUESTIONS),
        "ours_seconds": ours["seconds"], "baseline_seconds": base["seconds"],
        "ours_cpu_seconds": ours["cpu_seconds"], "baseline_cpu_seconds": base["cpu_seconds"],
        "rows_per_s": round(n / our_work), "baseline_rows_per_s": round(n / base_work),
        "ratio_to_insert_all": round(base_work / our_work, 2),
        "ratio_to_insert_all_cpu": round(base_cpu / our_cpu, 2),  # steadier on a shared machine
        "stored_rows_baseline_seconds": stored["seconds"],
        "ratio_to_insert_all_of_stored_rows": round(_work(stored, overhead["baseline"]) / our_work, 2),
        "ratio_to_insert_all_of_stored_rows_cpu":
            round(_work(stored, overhead["baseline"], "cpu_seconds") / our_cpu, 2),
        "sql_floor_seconds": round(floor["floor"], 2), "sql_floor_cpu_seconds": round(floor["floor_cpu"], 2),
        "ratio_of_sql_floor_to_insert_all": round(base_work / floor["floor"], 2),
        "ratio_of_sql_floor_to_insert_all_cpu": round(base_cpu / floor["floor_cpu"], 2),
        "peak_rss_mb": ours["peak_rss_mb"], "baseline_peak_rss_mb": base["peak_rss_mb"],
        "db_mb": round((tmp / f"ours-{n}.db").stat().st_size / 1e6, 1),
        "csv_mb": round(csv_path.stat().st_size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        overhead = startup()
        results["startup"] = overhead
        results["survey"] = [bench_size(int(n), tmp, overhead) for n in args.sizes.split(",")]
        if FFT.exists():
            results["fft_dev"] = measure(OURS, json.dumps(FFT_OPTIONS), tmp / "fft.db", FFT)
        else:
            results["fft_dev"] = f"skipped: {FFT} absent"
        if CORPUS.exists():
            results["sample_corpus"] = measure(
                "import sys\nfrom rapidreview import demo, open_review\n"
                "demo.import_corpus(open_review(sys.argv[1]), demo.find_corpus(sys.argv[2]))", tmp / "demo.db", CORPUS)
        else:
            results["sample_corpus"] = f"skipped: {CORPUS} absent"
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
