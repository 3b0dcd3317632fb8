"""Export codings keyed by the document's external id: CSV and XLSX, by document or
segment, codes joined or as 0/1 columns, with coder, origin and confidence."""

from __future__ import annotations

import csv

import openpyxl
from test_coding_model import CliRunnerSafe, make_review

from rapidreview import store
from rapidreview.coding import queue, suggest


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_export_joined_by_document(tmp_path, run):
    path = make_review(tmp_path, run)
    out = tmp_path / "codings.csv"
    run("export", path, "--format", "csv", "-o", out)
    rows = read_csv(out)
    assert list(rows[0])[:2] == ["ID", "question"]  # named after the import's id column
    by_id = {r["ID"].split(" ")[0]: r for r in rows}
    assert by_id["R1"]["codes"] == "Waiting" and by_id["R1"]["coders"] == "import" and by_id["R1"]["origins"] == "import"
    assert by_id["R1"]["confidence"] == ""  # people's codings carry no confidence
    assert by_id["U25"]["codes"] == ""  # no accepted coding yet
    assert len(rows) == 30


def test_suggestions_and_accepted_suggestions(tmp_path, run):
    path = make_review(tmp_path, run)
    db = store.open_review(path)
    suggest.code(db, suggest.CodeOptions(rules=False, sentiment=False))
    first = queue.queue(db)[0]
    queue.decide(db, first.id, "accept", actor="alice")
    out = tmp_path / "accepted.csv"
    run("export", path, "-o", out)
    row = {r["ID"]: r for r in read_csv(out)}[first.external_id]
    assert row["codes"] == first.code and row["coders"] == "alice" and row["origins"] == "model"
    out2 = tmp_path / "all.csv"
    run("export", path, "-o", out2, "--suggestions", "--coder", "model")
    rows = read_csv(out2)
    suggested = [r for r in rows if r["ID"].startswith("U")]
    assert all(r["codes"] for r in suggested)
    assert all(0 < float(c) <= 1 for r in suggested for c in r["confidence"].split("; "))
    assert not any(r["codes"] for r in rows if r["ID"].startswith("R"))  # only the model's codings


def test_columns_by_segment_and_xlsx(tmp_path, run):
    path = make_review(tmp_path, run)
    out = tmp_path / "codings.xlsx"
    run("export", path, "--format", "xlsx", "-o", out, "--by", "segment", "--codes-as", "columns")
    sheet = openpyxl.load_workbook(out).active
    values = list(sheet.values)
    head = list(values[0])
    assert head[:6] == ["ID", "question", "segment", "start", "end", "text"]
    assert {"Waiting", "Staff attitude", "Parking"} <= set(head)
    first = dict(zip(head, values[1]))
    assert first["Waiting"] == 1 and first["Parking"] == 0 and first["text"].startswith("I waited")


def test_bad_export_options_are_refused(tmp_path, run):
    path = make_review(tmp_path, run)
    result = CliRunnerSafe(run)("export", path, "--format", "pdf", "-o", tmp_path / "x.pdf")
    assert result.exit_code == 2 and "pdf" in result.output
