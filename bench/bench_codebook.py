"""Codebook benchmark: validation and load times, FFT import adoption, manual coding
throughput, and how well the starter NHS codebook's rule keywords find the labellers' codes.

    python bench/bench_codebook.py

Baselines measured in the same run: `yaml.safe_load` of the same file (validation does
that plus line tracking, JSON Schema, duplicate checks and compiling every spaCy
pattern); a raw `INSERT` of the same codings (manual coding adds span checks, the event
log and one transaction per decision). Keyword quality uses the documented rules
contract (codebooks/README.md: PhraseMatcher on lower-cased lemmas, exclude vetoes,
min_matches) as a reference implementation; the product's rule coder lives elsewhere.
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FFT = ROOT.parent / "shared" / "data" / "nhs-fft" / "fft_dev.csv"
NHS = ROOT / "codebooks" / "nhs-patient-experience.yaml"

sys.path.insert(0, str(ROOT))
from rapidreview import codebook as cb  # noqa: E402
from rapidreview import store
from rapidreview.coding import manual  # noqa: E402
from rapidreview.nlp import get_nlp  # noqa: E402


def timed(fn, repeat: int = 5):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def validation():
    get_nlp()  # the pipeline is built once per process; not part of validation
    print("## Validation (best of 5)")
    for path in sorted((ROOT / "codebooks").glob("*.yaml")):
        base, _ = timed(lambda: yaml.safe_load(path.read_text()))
        ours, book = timed(lambda: cb.read(path))
        n = sum(1 for _ in book.walk())
        print(f"{path.name:36} {n:3} codes  validate {ours * 1000:6.1f} ms  yaml.safe_load {base * 1000:5.1f} ms"
              f"  ratio {ours / base:4.1f}x")


def loads(tmp: Path):
    print("\n## Loading into a review (NHS codebook)")
    db = store.open_review(tmp / "load.db")
    book = cb.read(NHS)
    t = time.perf_counter(); cb.load_codebook(db, book); first = time.perf_counter() - t
    t = time.perf_counter(); r = cb.load_codebook(db, book); same = time.perf_counter() - t
    assert not r.changed
    book.codes[0].children[0].name = "Organisation and efficiency"
    t = time.perf_counter(); r = cb.load_codebook(db, book); changed = time.perf_counter() - t
    print(f"first load {first * 1000:.1f} ms; unchanged {same * 1000:.1f} ms; one rename {changed * 1000:.1f} ms "
          f"(version {r.version})")
    db.conn.close()


def adoption(tmp: Path):
    if not FFT.exists():
        print("\n(FFT data absent: adoption skipped)")
        return
    from rapidreview import import_files
    from rapidreview.ingest import ImportOptions

    print("\n## FFT import with --codes, then loading the NHS codebook")
    db = store.open_review(tmp / "fft.db")
    import_files(db, [FFT], ImportOptions(text=["FFT answer"], id="Comment ID", respondent="Respondent ID",
                                          question_col="FFT question", codes=["Not assigned.."]))
    before = db.execute("SELECT count(*) FROM codings").fetchone()[0]
    imported = db.execute("SELECT count(*) FROM codes").fetchone()[0]
    t = time.perf_counter()
    result = cb.load_codebook(db, cb.read(NHS))
    took = time.perf_counter() - t
    after = db.execute("""SELECT count(*) FROM codings g JOIN codes c ON c.id = g.code_id
                          JOIN codebooks b ON b.id = c.codebook_id WHERE b.name = 'NHS patient experience'""").fetchone()[0]
    print(f"imported codes {imported}, adopted {len(result.adopted)}, unmatched {len(result.unmatched)}; "
          f"codings {before} before, {after} now under the NHS codebook; load {took * 1000:.0f} ms")
    manual_throughput(db)
    db.conn.close()


def manual_throughput(db):
    segs = db.execute('SELECT id, document_id, start, "end" FROM segments LIMIT 1000').fetchall()
    code = db.execute("SELECT id FROM codes WHERE key = 'timeliness-of-care'").fetchone()[0]
    t = time.perf_counter()
    for seg in segs:
        manual.apply_code(db, "timeliness-of-care", segment=seg[0], coder="bench")
    ours = time.perf_counter() - t
    t = time.perf_counter()
    with store.transaction(db):
        for seg in segs:
            db.execute('INSERT INTO codings (document_id, segment_id, start, "end", code_id, coder, origin, status, '
                       "created_at) VALUES (?, ?, ?, ?, ?, 'raw', 'manual', 'accepted', 'now')",
                       [seg[1], seg[0], seg[2], seg[3], code])
    base = time.perf_counter() - t
    print(f"\n## Manual coding: {len(segs)} applies, one transaction and event each: {len(segs) / ours:,.0f}/s "
          f"(raw INSERTs in one transaction: {len(segs) / base:,.0f}/s; ratio {ours / base:.0f}x)")


def keyword_quality():
    if not FFT.exists():
        return
    from spacy.matcher import PhraseMatcher

    print("\n## NHS codebook rule keywords on fft_dev (reference matcher; answered rows only)")
    nlp = get_nlp()
    book = cb.read(NHS)
    codes = [c for c, _, _ in book.walk() if c.codable and c.rules.get("keywords")]
    keep, veto = PhraseMatcher(nlp.vocab, attr="LEMMA"), PhraseMatcher(nlp.vocab, attr="LEMMA")
    for c in codes:
        keep.add(c.key, [nlp(k.lower()) for k in c.rules["keywords"]])
        if c.rules.get("exclude"):
            veto.add(c.key, [nlp(k.lower()) for k in c.rules["exclude"]])
    with open(FFT, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if (r["FFT answer"] or "").strip()]
    t = time.perf_counter()
    docs = list(nlp.pipe((r["FFT answer"].lower() for r in rows), batch_size=500))
    tp, fp, fn = Counter(), Counter(), Counter()
    for row, doc in zip(rows, docs):
        hits = Counter(nlp.vocab.strings[m] for m, _, _ in keep(doc))
        vetoed = {nlp.vocab.strings[m] for m, _, _ in veto(doc)}
        for c in codes:
            predicted = hits[c.key] >= c.rules.get("min_matches", 1) and c.key not in vetoed
            actual = (row.get(c.name) or "").strip() == "1"
            tp[c.key] += predicted and actual
            fp[c.key] += predicted and not actual
            fn[c.key] += actual and not predicted
    took = time.perf_counter() - t
    f1s, total = [], [0, 0, 0]
    print(f"{'code':40} {'n':>5} {'prec':>5} {'rec':>5} {'F1':>5}")
    for c in codes:
        n = tp[c.key] + fn[c.key]
        p = tp[c.key] / (tp[c.key] + fp[c.key]) if tp[c.key] + fp[c.key] else 0.0
        r = tp[c.key] / n if n else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        total = [total[0] + tp[c.key], total[1] + fp[c.key], total[2] + fn[c.key]]
        if n >= 5:
            f1s.append(f)
            print(f"{c.name[:40]:40} {n:5} {p:5.2f} {r:5.2f} {f:5.2f}")
    p, r = total[0] / (total[0] + total[1]), total[0] / (total[0] + total[2])
    print(f"keywords alone, codes with >= 5 examples: micro P {p:.2f} R {r:.2f} F1 {2 * p * r / (p + r):.2f}; "
          f"macro F1 {sum(f1s) / len(f1s):.2f}; {len(rows) / took:,.0f} answers/s incl. lemmatising")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        validation()
        loads(Path(tmp))
        adoption(Path(tmp))
        keyword_quality()
