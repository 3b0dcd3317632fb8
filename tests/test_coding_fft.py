"""On the real NHS FFT data (../shared): import with codes, train, import unseen
answers, code, export; the model beats a floor well under its benchmarked figure
(bench/bench_coding.py measures the real thing)."""

from __future__ import annotations

import csv
import hashlib

from rapidreview import store
from rapidreview.coding import export, suggest
from rapidreview.ingest import ImportOptions, import_files

OPTIONS = dict(text=["FFT answer"], id="Comment ID", respondent="Respondent ID", question_col="FFT question")


def test_fft_train_code_export(fft_dev, tmp_path):
    with open(fft_dev, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:2500]
    rid, s = header.index("Respondent ID"), header.index("Comment sentiment")
    test = [r for r in rows if int(hashlib.sha256(r[rid].encode()).hexdigest()[:2], 16) < 64]
    train = [r for r in rows if r not in test]

    def write(name, head, data):
        path = tmp_path / name
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([head, *data])
        return path

    db = store.open_review(tmp_path / "review.db")
    import_files(db, [write("train.csv", header, train)], ImportOptions(**OPTIONS, codes=["Not assigned.."]))
    import_files(db, [write("test.csv", header[:s], [r[:s] for r in test])], ImportOptions(**OPTIONS))
    result = suggest.code(db, suggest.CodeOptions(rules=False))
    assert result.trained and result.counts["model"]["added"] > len(test) // 2
    head, out = export.rows(db, export.ExportOptions(suggestions=True))
    predicted = {r[0]: set(filter(None, r[head.index("codes")].split("; "))) for r in out}
    labels = [j for j in range(s + 1, len(header)) if header[j] != "Not assigned"
              and sum(r[j].strip() == "1" for r in train) >= 5]
    tp = fp = fn = 0
    for r in test:
        truth = {header[j] for j in labels if r[j].strip() == "1"}
        if not r[header.index("FFT answer")].strip() or not truth:
            continue
        got = predicted[r[0]] & {header[j] for j in labels}
        tp, fp, fn = tp + len(got & truth), fp + len(got - truth), fn + len(truth - got)
    micro = 2 * tp / (2 * tp + fp + fn)
    assert micro > 0.6, micro
