"""The NHS Friends and Family Test export (../shared, long format, messy on purpose),
imported as a user would, checked against counts computed from the CSV itself."""

from __future__ import annotations

import csv
import sqlite3
import time
from collections import Counter

from rapidreview.ingest.placeholders import DEFAULT_PLACEHOLDERS, normalise

ATTRS = ["Trust", "Service type 1", "Service type 2", "FFT categorical answer", "Comment sentiment"]
OPTIONS = ["--text", "FFT answer", "--id", "Comment ID", "--respondent", "Respondent ID",
           "--question-col", "FFT question", "--date", "Date",
           *[a for name in ATTRS for a in ("--attr", name)], "--codes", "Not assigned.."]


def expected_counts(path) -> dict:
    """What the import should hold, from the file with the csv module alone."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, row)) for row in reader]
    code_columns = header[header.index("Not assigned"):]
    placeholders = {normalise(p) for p in DEFAULT_PLACEHOLDERS}
    tidy = lambda value: " ".join(value.split())  # noqa: E731  NBSP and double spaces in values
    return {
        "documents": len(rows),
        "answered": sum(1 for r in rows if normalise(r["FFT answer"]) not in placeholders | {""}),
        "respondents": len({r["Respondent ID"] for r in rows}),
        "attributes": {name: Counter(tidy(r[name]) for r in rows if tidy(r[name])) for name in ATTRS},
        "codings": {c: n for c in code_columns if (n := sum(r[c].strip() == "1" for r in rows))},
        "questions": Counter(tidy(r["FFT question"]) for r in rows),
        "month_first": sum(1 for r in rows if int(r["Date"].split("/")[1]) > 12),
    }


def test_fft_dev_imports_with_counts_matching_the_csv(run, tmp_path, fft_dev):
    review = tmp_path / "fft.db"
    started = time.perf_counter()
    result = run("import", review, fft_dev, *OPTIONS)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    print(f"\nfft_dev.csv import: {elapsed:.2f} s")
    want = expected_counts(fft_dev)
    conn = sqlite3.connect(review)
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    assert one("SELECT count(*) FROM documents") == want["documents"] == 4716
    assert one("SELECT sum(answered) FROM documents") == want["answered"]
    assert one("SELECT count(*) FROM segments") == want["answered"]  # one segment per real answer
    assert one("SELECT count(*) FROM respondents") == want["respondents"]
    assert one("SELECT count(DISTINCT respondent_id) FROM documents") == want["respondents"]
    for name, values in want["attributes"].items():
        got = Counter(dict(conn.execute("SELECT value, count(*) FROM attributes WHERE name = ? GROUP BY value",
                                        [name])))
        assert got == values, name
    assert "PTS - Patient Transport" in want["attributes"]["Service type 1"]  # was "PTS\xa0 - ..."
    codings = dict(conn.execute(
        "SELECT codes.name, count(*) FROM codings JOIN codes ON codes.id = codings.code_id "
        "WHERE coder = 'import' AND origin = 'import' AND status = 'accepted' GROUP BY codes.name"))
    assert codings == want["codings"]
    assert sum(codings.values()) == one("SELECT count(*) FROM codings") == 6207
    assert Counter(dict(conn.execute("SELECT question, count(*) FROM documents GROUP BY question"))) == \
        want["questions"]
    assert one("SELECT count(*) FROM documents WHERE date IS NULL") == 0
    assert one("SELECT count(*) FROM documents WHERE meta LIKE '%month-first%'") == want["month_first"]
    assert f"note: {want['month_first']} documents: date read month-first" in result.output
    # Text is stored exactly as in the file.
    with open(fft_dev, encoding="utf-8", newline="") as f:
        texts = {r["Comment ID"]: r["FFT answer"] for r in csv.DictReader(f)}
    assert dict(conn.execute("SELECT external_id, text FROM documents")) == texts
