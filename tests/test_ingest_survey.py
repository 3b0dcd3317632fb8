"""Survey readers: encodings, delimiters, wide and long layouts, dates, codes, XLSX cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest

from rapidreview.errors import InputError
from rapidreview.ingest import ImportOptions, import_files
from rapidreview.ingest.survey import detect_encoding, parse_date, read_delimited, read_xlsx

HEADER = ["Respondent ID", "Service", "What was good?", "What could be better?"]
ROWS = [["R1", "GP\u00a0 practice", "Kind staff", "Waiting times"],
        ["R2", "Hospital", "Did not answer", "Parking \u2013 \u00a35 a day, caf\u00e9 closed"]]


def write_csv(path: Path, rows, encoding="utf-8", delimiter=",") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows, sheet="Responses", strings=True) -> Path:
    """An .xlsx; strings=True stores every text as a string cell (even '=...')."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if strings and isinstance(value, str):
                cell.data_type = "s"
    book.save(path)
    return path


def wide(**kw) -> ImportOptions:
    return ImportOptions(text=["What was good?", "What could be better?"], id="Respondent ID",
                         attrs=["Service"], **kw)


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-16-be", "utf-16-be"),
    ("utf-16-le", "utf-16-le"), ("cp1252", "cp1252")])
def test_encodings_detected_and_text_round_trips(tmp_path, encoding, expected):
    path = write_csv(tmp_path / "survey.csv", [HEADER, *ROWS], encoding=encoding)
    if encoding == "utf-16-be":  # with a BOM, as Excel writes it
        path.write_bytes(b"\xfe\xff" + path.read_bytes())
        expected = "utf-16"
    assert detect_encoding(path) == expected
    records = list(read_delimited(path, wide()))
    assert [r.text for r in records] == ["Kind staff", "Waiting times", "Did not answer",
                                         "Parking \u2013 \u00a35 a day, caf\u00e9 closed"]
    assert records[0].attributes == {"Service": "GP practice"}  # NBSP tidied in the value only


def test_wide_layout_one_document_per_question(tmp_path):
    path = write_csv(tmp_path / "survey.csv", [HEADER, *ROWS])
    records = list(read_delimited(path, wide()))
    assert [(r.external_id, r.respondent, r.question, r.answered, r.row) for r in records] == [
        ("R1 | What was good?", "R1", "What was good?", True, 2),
        ("R1 | What could be better?", "R1", "What could be better?", True, 2),
        ("R2 | What was good?", "R2", "What was good?", False, 3),
        ("R2 | What could be better?", "R2", "What could be better?", True, 3)]


def test_wide_without_id_uses_row_numbers(tmp_path):
    path = write_csv(tmp_path / "survey.csv", [HEADER, *ROWS])
    records = list(read_delimited(path, ImportOptions(text=["What was good?"])))
    assert [(r.external_id, r.respondent) for r in records] == [("row 2 | What was good?", None),
                                                               ("row 3 | What was good?", None)]


def test_long_layout_with_and_without_respondent_column(tmp_path):
    rows = [["Answer ID", "Person", "Question", "Answer"],
            ["A1", "P1", "Good?", "Nice"], ["A2", "P1", "Better?", "Faster"], ["A3", "P2", "Good?", "N/A"]]
    path = write_csv(tmp_path / "long.csv", rows)
    records = list(read_delimited(path, ImportOptions(text=["Answer"], id="Answer ID", respondent="Person",
                                                      question_col="Question")))
    assert [(r.external_id, r.respondent, r.question, r.answered) for r in records] == [
        ("A1", "P1", "Good?", True), ("A2", "P1", "Better?", True), ("A3", "P2", "Good?", False)]
    records = list(read_delimited(path, ImportOptions(text=["Answer"], id="Person", question_col="Question")))
    assert [(r.external_id, r.respondent) for r in records] == [("P1 | Good?", "P1"), ("P1 | Better?", "P1"),
                                                               ("P2 | Good?", "P2")]


def test_semicolon_csv_sniffed_and_tsv_by_extension(tmp_path):
    rows = [["ID", "Comment"], ["1", "Good, very good; thanks"]]
    semi = write_csv(tmp_path / "euro.csv", rows, delimiter=";")
    tab = write_csv(tmp_path / "export.tab", rows, delimiter="\t")
    for path in (semi, tab):
        (record,) = read_delimited(path, ImportOptions(text=["Comment"], id="ID"))
        assert record.text == "Good, very good; thanks"


def test_columns_matched_loosely_and_unknown_named(tmp_path):
    path = write_csv(tmp_path / "survey.csv", [HEADER, *ROWS])
    options = ImportOptions(text=["what  was\u00a0GOOD?"], id="respondent id")
    assert len(list(read_delimited(path, options))) == 2
    with pytest.raises(InputError, match=r"unknown column 'Servce'; did you mean 'Service'\?"):
        list(read_delimited(path, ImportOptions(text=["What was good?"], attrs=["Servce"])))


@pytest.mark.parametrize("value,dayfirst,expected", [
    ("03/04/2024", True, "2024-04-03"), ("03/04/2024", False, "2024-03-04"), ("3/4/24", True, "2024-04-03"),
    ("2024-04-03", True, "2024-04-03"), ("2024-04-03 10:15:00", True, "2024-04-03"),
    ("03.04.2024", True, "2024-04-03"), ("3 April 2024", True, "2024-04-03"), ("3 Apr 2024", True, "2024-04-03"),
    (45385, True, "2024-04-03"), ("45385", True, "2024-04-03"), (45385.75, True, "2024-04-03"),
    (dt.datetime(2024, 4, 3, 9, 30), True, "2024-04-03"), ("", True, None), (None, True, None)])
def test_parse_date(value, dayfirst, expected):
    assert parse_date(value, dayfirst) == expected


@pytest.mark.parametrize("value", ["soon", "31/02/2024", "2024-13-01", "0"])
def test_parse_date_rejects(value):
    with pytest.raises(ValueError):
        parse_date(value)


def test_date_only_valid_month_first_is_read_so_and_noted(tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "Date", "A"], ["1", "10/08/2021", "x y"],
                                          ["2", "10/17/2021", "x y"]])
    records = list(read_delimited(path, ImportOptions(text=["A"], id="ID", date="Date")))
    assert [r.date for r in records] == ["2021-08-10", "2021-10-17"]
    assert records[1].meta == {"date_as_written": "10/17/2021", "notes": ["date read month-first"]}


def test_unreadable_date_names_row_and_column(tmp_path):
    path = write_csv(tmp_path / "d.csv", [["ID", "Date", "A"], ["1", "01/02/2021", "x"], ["2", "next week", "y"]])
    with pytest.raises(InputError) as e:
        list(read_delimited(path, ImportOptions(text=["A"], id="ID", date="Date")))
    assert str(e.value).startswith(f"{path}, row 3, column 'Date': cannot read the date 'next week'.")


def test_codes_one_hot_range_and_delimited(tmp_path):
    rows = [["ID", "Answer", "Tags", "Parking", "Staff", "Food"],
            ["1", "Car park full", "access; cost", "1", "", "0"],
            ["2", "Did not answer", "", "", "yes", "x"],
            ["3", "Lovely", "praise", "1.0", "TRUE", ""]]
    path = write_csv(tmp_path / "c.csv", rows)
    records = list(read_delimited(path, ImportOptions(text=["Answer"], id="ID", codes=["Tags", "Parking.."])))
    assert [r.codes for r in records] == [["access", "cost", "Parking"], ["Staff", "Food"],
                                          ["praise", "Parking", "Staff"]]
    assert records[1].answered is False  # codes on an unanswered row are still imported
    ranged = list(read_delimited(path, ImportOptions(text=["Answer"], id="ID", codes=["Parking..Staff"])))
    assert [r.codes for r in ranged] == [["Parking"], ["Staff"], ["Parking", "Staff"]]
    # A range skips the columns chosen for something else.
    skipping = list(read_delimited(path, ImportOptions(text=["Answer"], id="ID", attrs=["Tags", "Food"],
                                                       codes=["ID.."])))
    assert [r.codes for r in skipping] == [["Parking"], ["Staff"], ["Parking", "Staff"]]


def test_one_hot_column_with_a_name_in_it_is_an_error(tmp_path):
    path = write_csv(tmp_path / "c.csv", [["ID", "Answer", "Parking"], ["1", "a", "1"], ["2", "b", "maybe"]])
    with pytest.raises(InputError, match=r"row 3, column 'Parking': 'maybe' in a 0/1 code column"):
        list(read_delimited(path, ImportOptions(text=["Answer"], id="ID", codes=["Parking"])))


def test_xlsx_cells_dates_numbers_and_formulas(tmp_path):
    rows = [["ID", "When", "Age", "Comment"],
            [101, dt.datetime(2024, 4, 3), 42, "=HYPERLINK(\"http://x\", \"click\")"],
            [102.0, 45386, 7.5, "+44 7700 900123"],
            [None, None, None, None],
            [103, "05/04/2024", None, "@everyone -not good"]]
    path = write_xlsx(tmp_path / "s.xlsx", rows)
    records = list(read_xlsx(path, ImportOptions(text=["Comment"], id="ID", date="When", attrs=["Age"])))
    assert [(r.external_id, r.date, r.attributes, r.text, r.row) for r in records] == [
        ("101 | Comment", "2024-04-03", {"Age": "42"}, "=HYPERLINK(\"http://x\", \"click\")", 2),
        ("102 | Comment", "2024-04-04", {"Age": "7.5"}, "+44 7700 900123", 3),
        ("103 | Comment", "2024-04-05", {}, "@everyone -not good", 5)]


def test_xlsx_formula_cell_read_as_its_text_not_run(tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", [["ID", "Comment"], ["1", "=1+1"], ["2", "=HYPERLINK(\"a\")"]],
                      strings=False)  # openpyxl stores '=...' as formulas
    assert [r.text for r in read_xlsx(path, ImportOptions(text=["Comment"], id="ID"))] == [
        "=1+1", "=HYPERLINK(\"a\")"]


def test_xlsx_sheet_choice(tmp_path):
    path = tmp_path / "two.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["nothing here"])
    data = book.create_sheet("Wave 2")
    data.append(["ID", "Comment"])
    data.append(["9", "Great"])
    book.save(path)
    (record,) = read_xlsx(path, ImportOptions(text=["Comment"], id="ID", sheet="wave 2"))
    assert record.text == "Great"
    with pytest.raises(InputError, match=r"unknown sheet 'Wave 3'; did you mean 'Wave 2'\? Available: 'Notes', "
                                         r"'Wave 2'\. Choose one with --sheet\."):
        list(read_xlsx(path, ImportOptions(text=["Comment"], sheet="Wave 3")))


def test_import_writes_survey_rows(db, tmp_path):
    path = write_csv(tmp_path / "survey.csv", [HEADER, *ROWS])
    (result,) = import_files(db, [path], wide(wave="2025-Q1"))
    assert result.counts == {"documents": 4, "answered": 3, "segments": 3, "attributes": 8, "codings": 0,
                             "respondents": 2}
    rows = db.execute("SELECT d.text, a.value FROM documents d JOIN attributes a ON a.document_id = d.id "
                      "WHERE a.name = 'wave' ORDER BY d.id").fetchall()
    assert [r[1] for r in rows] == ["2025-Q1"] * 4
    assert rows[3][0] == ROWS[1][3]


def _peak_reading(path: Path, n: int) -> int:
    import tracemalloc

    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ID", "Answer", "Service"])
        for i in range(n):
            w.writerow([f"R{i}", "The nurse was kind and explained everything clearly. " * 20, "GP"])
    tracemalloc.start()
    count = sum(1 for _ in read_delimited(path, ImportOptions(text=["Answer"], id="ID", attrs=["Service"])))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == n
    return peak


def test_memory_stays_flat_while_streaming(tmp_path):
    """Peak memory while reading does not grow with the file (only a bounded encoding sample)."""
    small = _peak_reading(tmp_path / "small.csv", 2_000)  # 2 MB
    large = _peak_reading(tmp_path / "large.csv", 8_000)  # 8.5 MB
    assert large < small * 1.2 + 100_000, (small, large)
    assert large < 3_000_000, large


def test_truncated_utf16_is_an_input_error(tmp_path):
    path = write_csv(tmp_path / "u16.csv", [HEADER, *ROWS], encoding="utf-16")
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(InputError, match=r"cannot be decoded \(detected as utf-16\)\. Give the file's encoding "
                                         r"with --encoding"):
        list(read_delimited(path, wide()))


def test_given_encoding_used_and_unknown_refused(tmp_path):
    path = write_csv(tmp_path / "w.csv", [HEADER, *ROWS], encoding="cp1252")
    texts = [r.text for r in read_delimited(path, wide(encoding="windows-1252"))]
    assert texts[-1] == ROWS[1][3]
    with pytest.raises(InputError, match=r"unknown encoding 'latin-9x'\. Use utf-8, utf-16 or cp1252"):
        list(read_delimited(path, wide(encoding="latin-9x")))


def test_given_delimiter_wins_over_sniffing(tmp_path):
    path = write_csv(tmp_path / "pipes.csv", [["ID", "Comment"], ["1", "a, b; c"]], delimiter="|")
    (record,) = read_delimited(path, ImportOptions(text=["Comment"], id="ID", delimiter="|"))
    assert record.text == "a, b; c"
