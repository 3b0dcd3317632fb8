"""A synthetic review of N segments (default 1M) for measuring publish at scale, built
in about a minute straight through the store (no import, no NLP):

    python bench/make_big_review.py big/review.db [--n 1000000] [--seed 7]

Realistic in shape: respondents answering three survey questions, with consent (a few
withdrawn or refusing), Service (one tiny service), Age group and Area attributes, dates
over 2024-2025, accepted codes from the sample corpus's codebook, a theme run, and
redaction marked as run with its spans. The words come from the sample corpus: the demo
review (`rapidreview demo`) is built once, and each synthetic answer is one of its survey
answers chosen with a fixed seed, carrying that answer's theme, codes and redactions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidreview import store
from rapidreview.privacy.redact import VERSION

SCANNED_BY = f"v{VERSION}:synthetic"  # as the current detectors would mark a scan, so publish accepts it
SERVICES = {"GP practice": 30, "Hospital": 20, "A&E": 12, "Mental health": 10, "Community nursing": 8,
            "Pharmacy": 8, "Dental": 6, "Care home": 5, "Tiny clinic": 0.01}
AGES = ["18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+", "Prefer not to say"]
AREAS = ["North", "South", "East", "West", "Central", "Coast"]
CHUNK = 20_000


def demo_review(directory: Path) -> Path:
    # Always brought up to date (idempotent: a review redacted by older detectors is refused),
    # in a child process: benchmarks measure their children's peak RSS, which Linux carries
    # over from a parent that built the demo itself.
    subprocess.run([sys.executable, "-m", "rapidreview", "demo", "--no-serve", "--dir", str(directory), "--json"],
                   check=True, capture_output=True, cwd=ROOT)
    return directory / "review.db"


def answer_pool(demo_db: sqlite3.Connection) -> dict[str, list[tuple]]:
    """question -> [(text, theme number, code ids, redaction spans)] from the demo's survey answers."""
    run = demo_db.execute("SELECT max(id) FROM theme_runs").fetchone()[0]
    theme = dict(demo_db.execute("SELECT m.segment_id, t.number FROM theme_members m JOIN themes t "
                                 "ON t.id = m.theme_id WHERE t.run_id = ?", [run]))
    codes = defaultdict(set)
    for seg, code in demo_db.execute("SELECT segment_id, code_id FROM codings WHERE segment_id IS NOT NULL"):
        codes[seg].add(code)
    spans = defaultdict(list)
    for doc, s, e, kind, rep in demo_db.execute('SELECT document_id, start, "end", kind, replacement FROM redactions'):
        spans[doc].append((s, e, kind, rep))
    pool = defaultdict(list)
    for seg, doc, start, end, text, question in demo_db.execute(
            'SELECT s.id, s.document_id, s.start, s."end", d.text, d.question FROM segments s '
            "JOIN documents d ON d.id = s.document_id WHERE d.kind = 'survey' AND d.answered = 1 "
            "AND s.role = 'participant' ORDER BY s.id"):
        inside = [(s - start, e - start, k, r) for s, e, k, r in spans[doc] if s >= start and e <= end]
        pool[question].append((text[start:end], theme.get(seg), sorted(codes[seg]), inside))
    return dict(pool)


def build(path: Path, n: int, seed: int, demo_dir: Path) -> dict:
    demo_path = demo_review(demo_dir)
    with sqlite3.connect(demo_path) as demo_db:
        pool = answer_pool(demo_db)
    demo_db.close()
    questions = sorted(pool)
    path.unlink(missing_ok=True)
    db = store.open_review(path)
    conn = db.conn
    # A bench file built in one go: no journal, big cache (put back to WAL at the end).
    conn.execute("PRAGMA journal_mode = DELETE")
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -262144", "foreign_keys = OFF"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("ATTACH DATABASE ? AS demo", [str(demo_path)])
    for table in ("codebooks", "codebook_versions", "codes", "theme_runs"):
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM demo.{table}")
    run_id = conn.execute("SELECT max(id) FROM theme_runs").fetchone()[0]
    conn.execute("INSERT INTO main.themes SELECT * FROM demo.themes WHERE run_id = ?", [run_id])
    conn.commit()
    conn.execute("DETACH DATABASE demo")
    theme_ids = dict(conn.execute("SELECT number, id FROM themes WHERE run_id = ?", [run_id]))
    now = store.now()
    conn.execute("INSERT INTO sources (id, path, name, sha256, format, imported_at, n_documents) "
                 "VALUES (1, 'synthetic.csv', 'synthetic.csv', ?, 'csv', ?, ?)", [f"synthetic-{n}-{seed}", now, n])

    rng = random.Random(seed)
    services, weights = list(SERVICES), list(SERVICES.values())
    start_day = dt.date(2024, 1, 1)
    quotes = defaultdict(list)  # theme number -> its first synthetic segments, for representative quotes

    def rows():
        """(document, respondent, question, date, attrs, text, theme, codes, spans) for ids 1..n."""
        person = None
        for i in range(1, n + 1):
            r = (i - 1) // len(questions) + 1
            if person is None or person[0] != r:
                person = (r, str(start_day + dt.timedelta(days=rng.randrange(731))),
                          rng.choices(services, weights)[0], rng.choice(AGES), rng.choice(AREAS))
            question = questions[(i - 1) % len(questions)]
            yield (i, r, question, person, *rng.choice(pool[question]))

    n_respondents = (n - 1) // len(questions) + 1
    conn.executemany("INSERT INTO respondents (id, external_id, consent, withdrawn, created_at) VALUES (?, ?, ?, ?, ?)",
                     ((r, f"S{r:07d}", int(r % 211 != 0), int(r % 199 == 0), now) for r in range(1, n_respondents + 1)))
    t = time.perf_counter()
    source = rows()
    while chunk := list(islice(source, CHUNK)):
        conn.executemany("INSERT INTO documents (id, source_id, external_id, respondent_id, question, date, kind, text, "
                         "answered, row) VALUES (?, 1, ?, ?, ?, ?, 'survey', ?, 1, ?)",
                         [(i, f"S{r:07d}|{q[:12]}", r, q, p[1], text, i) for i, r, q, p, text, *_ in chunk])
        conn.executemany("INSERT INTO attributes (document_id, name, value) VALUES (?, ?, ?)",
                         [(i, name, value) for i, r, q, p, *_ in chunk
                          for name, value in (("Service", p[2]), ("Age group", p[3]), ("Area", p[4]))])
        conn.executemany('INSERT INTO segments (id, document_id, seq, role, start, "end", text) '
                         "VALUES (?, ?, 0, 'participant', 0, ?, ?)",
                         [(i, i, len(text), text) for i, r, q, p, text, *_ in chunk])
        conn.executemany('INSERT INTO codings (document_id, segment_id, start, "end", code_id, coder, origin, status, '
                         "created_at) VALUES (?, ?, 0, ?, ?, 'bench', 'manual', 'accepted', ?)",
                         [(i, i, len(text), c, now) for i, r, q, p, text, theme, codes, spans in chunk for c in codes])
        conn.executemany("INSERT INTO theme_members (theme_id, segment_id, weight) VALUES (?, ?, 1.0)",
                         [(theme_ids[theme], i) for i, r, q, p, text, theme, *_ in chunk if theme in theme_ids])
        conn.executemany("INSERT INTO redaction_scans (document_id, scanned_at, detectors, n_spans) "
                         "VALUES (?, ?, ?, ?)", [(i, now, SCANNED_BY, len(spans)) for i, *_, spans in chunk])
        conn.executemany('INSERT INTO redactions (document_id, start, "end", kind, replacement, detector, created_at) '
                         "VALUES (?, ?, ?, ?, ?, 'synthetic', ?)",
                         [(i, s, e, k, rep, now) for i, *_, spans in chunk for s, e, k, rep in spans])
        for i, r, q, p, text, theme, *_ in chunk:
            if theme is not None and len(quotes[theme]) < 5 and r % 199 and r % 211:
                quotes[theme].append({"segment_id": i, "document_id": i, "start": 0, "end": len(text), "text": text})
        print(f"\r  {chunk[-1][0]:,} segments ({time.perf_counter() - t:.0f}s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    for number, picked in quotes.items():
        conn.execute("UPDATE themes SET quotes = ?, size = (SELECT count(*) FROM theme_members WHERE theme_id = ?) "
                     "WHERE id = ?", [json.dumps(picked), theme_ids[number], theme_ids[number]])
    conn.execute("UPDATE theme_runs SET n_segments = ? WHERE id = ?", [n, run_id])
    first = [q for qs in quotes.values() for q in qs][:3]
    conn.execute("INSERT INTO recommendations (id, text, status, actor, created_at) VALUES "
                 "(1, 'Offer evening appointments', 'accepted', 'bench', ?)", [now])
    conn.executemany("INSERT INTO recommendation_evidence (recommendation_id, run_id, theme_number, theme_label, "
                     "segment_id) VALUES (1, ?, ?, ?, ?)",
                     [(run_id, 1, "theme 1", None)] + [(None, None, None, q["segment_id"]) for q in first])
    store.log_event(db, "bench.synthetic", {"n": n, "seed": seed})
    conn.commit()
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    return {"segments": n, "respondents": n_respondents, "questions": len(questions), "themes": len(theme_ids)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("review", type=Path)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--demo-dir", type=Path, default=Path("/tmp/rapidreview-bench-demo"),
                    help="Where the demo review (the source of words) is built once and kept.")
    args = ap.parse_args()
    t = time.perf_counter()
    info = build(args.review, args.n, args.seed, args.demo_dir)
    print(f"{args.review}: {info} in {time.perf_counter() - t:.0f}s, "
          f"{args.review.stat().st_size / 1e6:.0f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
