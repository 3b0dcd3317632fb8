"""`rapidreview stats`: counts by source, question and attribute, checked against files we write."""

from __future__ import annotations

import json

import pytest

from rapidreview import ImportOptions, import_files, stats, store
from rapidreview.errors import NotFound

WAVE1 = """ID,Date,Service,Area,What was good?,What could be better?
R1,03/02/2025,GP,North,Friendly receptionist and a quick appointment,Parking is a nightmare
R2,10/02/2025,GP,South,Nothing,Waiting on the phone for forty minutes
R3,17/02/2025,Hospital,North,The nurses on the ward were kind,Did not answer
R4,24/02/2025,Social care,East,My carer listens to me,Personal budget paperwork is confusing
"""
# Wave 2: R1 again (same respondent, new documents), two new respondents, existing codes.
WAVE2 = """ID,Date,Service,Area,What could be better?,Codes
R1,05/05/2025,GP,North,Still no parking spaces,Access
R5,12/05/2025,Mental health,South,Discharge letter never arrived,Communication;Discharge
R6,19/05/2025,GP,East,N/A,
"""


def build_review(tmp_path):
    """Two waves of a small wide survey export, imported with the library."""
    (tmp_path / "wave1.csv").write_text(WAVE1, encoding="utf-8")
    (tmp_path / "wave2.csv").write_text(WAVE2, encoding="utf-8")
    db = store.open_review(tmp_path / "review.db")
    common = dict(id="ID", attrs=["Service", "Area"], date="Date")
    import_files(db, [tmp_path / "wave1.csv"],
                 ImportOptions(text=["What was good?", "What could be better?"], wave="2025-Q1", **common))
    import_files(db, [tmp_path / "wave2.csv"],
                 ImportOptions(text=["What could be better?"], codes=["Codes"], wave="2025-Q2", **common))
    return db


@pytest.fixture
def review(tmp_path):
    db = build_review(tmp_path)
    yield db
    db.conn.close()


def test_totals_match_the_files(review):
    t = stats.totals(review)
    # 4 respondents x 2 questions + 3 x 1; "Nothing", "Did not answer" and "N/A" are not answers.
    assert t["documents"] == 11
    assert t["answered"] == 8
    assert t["segments"] == 8
    assert t["respondents"] == 6  # R1 is one respondent across both waves
    assert t["codings"] == 3 and t["codings_accepted"] == 3
    assert t["sources"] == 2 and t["transcripts"] == 0


def test_by_source(review):
    rows = {r["name"]: r for r in stats.by_source(review)}
    assert {k: rows["wave1.csv"][k] for k in ("documents", "answered", "segments", "codings", "batch")} == \
        {"documents": 8, "answered": 6, "segments": 6, "codings": 0, "batch": "2025-Q1"}
    assert {k: rows["wave2.csv"][k] for k in ("documents", "answered", "segments", "codings", "batch")} == \
        {"documents": 3, "answered": 2, "segments": 2, "codings": 3, "batch": "2025-Q2"}


def test_by_question_asked_and_answered(review):
    rows = stats.by_question(review)
    assert [r["question"] for r in rows] == ["What was good?", "What could be better?"]
    good, better = rows
    assert (good["asked"], good["answered"], good["respondents"]) == (4, 3, 4)
    assert (better["asked"], better["answered"], better["respondents"]) == (7, 5, 6)


def test_attribute_breakdown_counts_distinct_respondents(review):
    rows = {r["value"]: r for r in stats.attribute_breakdown(review, "service")}  # case-insensitive
    # GP: R1 (3 documents over two waves), R2 (2), R6 (1).
    assert rows["GP"] == {"value": "GP", "respondents": 3, "documents": 6, "answered": 4}
    assert rows["Hospital"] == {"value": "Hospital", "respondents": 1, "documents": 2, "answered": 1}
    assert rows["Mental health"]["respondents"] == 1
    summary = {r["name"]: r for r in stats.attribute_summary(review)}
    assert summary["Service"]["values"] == 4 and summary["Area"]["values"] == 3
    assert summary["Service"]["respondents"] == 6


def test_waves_and_dates(review):
    assert stats.waves(review) == [
        {"wave": "2025-Q1", "respondents": 4, "documents": 8},
        {"wave": "2025-Q2", "respondents": 3, "documents": 3},
    ]
    assert stats.date_range(review) == {"first": "2025-02-03", "last": "2025-05-19", "dated_documents": 11}


def test_unknown_attribute_suggests_the_nearest(review):
    with pytest.raises(NotFound, match=r"unknown attribute 'Servce'; did you mean 'Service'"):
        stats.attribute_breakdown(review, "Servce")


def test_empty_review(db):
    summary = stats.review_stats(db)
    assert summary["totals"]["documents"] == 0
    assert summary["sources"] == [] and summary["waves"] == [] and summary["dates"]["first"] is None


def test_cli_json(tmp_path, run):
    build_review(tmp_path).conn.close()
    result = run("stats", tmp_path / "review.db", "--json", "--by", "Area")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["totals"]["documents"] == 11 and data["totals"]["respondents"] == 6
    assert {r["value"]: r["respondents"] for r in data["by"]["Area"]} == {"North": 2, "South": 2, "East": 2}


def test_cli_tables(tmp_path, run):
    build_review(tmp_path).conn.close()
    result = run("stats", tmp_path / "review.db", "--by", "service")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 sources, 11 documents (8 answered, 0 transcripts), 6 respondents" in out
    assert "dates 2025-02-03 to 2025-05-19" in out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("question"))
    row = next(line for line in lines if line.startswith("What could be better?"))
    # Aligned: each number sits under its column heading.
    assert row[header.index("asked"):].split()[:3] == ["7", "5", "6"]
    assert "By Service" in out and "Mental health" in out


def test_cli_errors(tmp_path, run):
    build_review(tmp_path).conn.close()
    result = run("stats", tmp_path / "review.db", "--by", "Aera")
    assert result.exit_code == 1
    assert "Error: unknown attribute 'Aera'; did you mean 'Area'" in result.output
    missing = run("stats", tmp_path / "nope.db")
    assert missing.exit_code == 1 and "no such review database" in missing.output
    assert not (tmp_path / "nope.db").exists()
