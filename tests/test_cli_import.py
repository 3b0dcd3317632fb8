"""`rapidreview import` on survey exports: bad input is refused with one clear line, exit 1,
no traceback and the review unchanged; good input lands exactly as written."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from conftest import snapshot

HEADER = ["Respondent ID", "Service", "Age group", "What was good?", "What could be better?"]
WIDE = ["--text", "What was good?", "--text", "What could be better?", "--id", "Respondent ID",
        "--attr", "Service", "--attr", "Age group"]


def write_csv(path: Path, rows, encoding="utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def survey_rows(ids=("R1", "R2", "R3"), good="Kind staff") -> list[list[str]]:
    return [list(HEADER)] + [[rid, "GP practice", "25-34", f"{good} ({rid})", "Shorter waits"] for rid in ids]


def write_xlsx(path: Path, rows) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def rezip(source: Path, target: Path, extra: dict[str, bytes], level: int = 6) -> Path:
    """Copy an .xlsx, replacing or adding parts."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED,
                                                          compresslevel=level) as new:
        for info in old.infolist():
            if info.filename not in extra:
                new.writestr(info, old.read(info))
        for name, data in extra.items():
            new.writestr(name, data)
    return target


@pytest.fixture
def review(run, tmp_path) -> Path:
    """A review that already holds one import, so 'unchanged' means something."""
    path = tmp_path / "review.db"
    first = write_csv(tmp_path / "wave1.csv", survey_rows())
    result = run("import", path, first, *WIDE)
    assert result.exit_code == 0, result.output
    return path


def refused(run, review: Path, *args) -> str:
    """Run an import that must fail; return its one output line after checking exit code and db."""
    before = snapshot(review)
    result = run("import", review, *args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.count("\n") == 1 and result.output.startswith("Error: "), result.output
    assert snapshot(review) == before
    return result.output.rstrip("\n")


def documents(review: Path, source: int | None = None) -> list[tuple]:
    conn = sqlite3.connect(review)
    try:
        sql = "SELECT external_id, text, answered FROM documents"
        sql += f" WHERE source_id = {int(source)} ORDER BY id" if source else " ORDER BY id"
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# ---------------------------------------------------------------- refused


def test_empty_file(run, review, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}: the file is empty. Export the survey again, with a header row and data rows.")


def test_blank_lines_only_is_empty(run, review, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\r\n\r\n")
    assert "the file is empty" in refused(run, review, path, *WIDE)


def test_header_only(run, review, tmp_path):
    path = write_csv(tmp_path / "header.csv", [HEADER])
    assert refused(run, review, path, *WIDE) == f"Error: {path}: the file has a header row but no data rows."


def test_header_only_xlsx(run, review, tmp_path):
    path = write_xlsx(tmp_path / "header.xlsx", [HEADER])
    assert refused(run, review, path, *WIDE) == f"Error: {path}: the file has a header row but no data rows."


def test_unknown_column_lists_available_and_suggests_nearest(run, review, tmp_path):
    path = write_csv(tmp_path / "wave2.csv", survey_rows(("R9",)))
    message = refused(run, review, path, *WIDE, "--attr", "Age grup")
    assert message == (
        f"Error: {path}: unknown column 'Age grup'; did you mean 'Age group'? Available: 'Respondent ID', "
        "'Service', 'Age group', 'What was good?', 'What could be better?'. Column names are matched ignoring "
        "case and spaces; copy one from the list.")


def test_unknown_sheet_lists_sheets(run, review, tmp_path):
    path = write_xlsx(tmp_path / "wave2.xlsx", survey_rows(("R9",)))
    assert refused(run, review, path, *WIDE, "--sheet", "Responses") == (
        f"Error: {path}: unknown sheet 'Responses'. Available: 'Sheet'. Choose one with --sheet.")


def test_no_text_column_named(run, review, tmp_path):
    path = write_csv(tmp_path / "wave2.csv", survey_rows(("R9",)))
    assert refused(run, review, path, "--id", "Respondent ID") == (
        f"Error: {path}: name the free-text columns (one --text per question) with --text. Available: "
        "'Respondent ID', 'Service', 'Age group', 'What was good?', 'What could be better?'")


def test_undecodable_bytes_given_encoding(run, review, tmp_path):
    path = write_csv(tmp_path / "wave2.csv", survey_rows(("R9",), good="Caf\u00e9 \u00a35"), encoding="cp1252")
    assert refused(run, review, path, *WIDE, "--encoding", "utf-8") == (
        f"Error: {path}: line 2: bytes 0xE9 cannot be decoded (read as utf-8). Give the file's encoding with "
        "--encoding, e.g. --encoding cp1252 or --encoding utf-16, or re-save it as UTF-8.")


def test_undecodable_bytes_after_the_detection_sample(run, review, tmp_path):
    """UTF-8 for the first MB, then a Windows-1252 pound sign: the line is named."""
    rows = survey_rows([f"R{i}" for i in range(2000)], good="Lovely " * 90) + [["R-last", "GP", "25-34",
                                                                                  "Cost \u00a35", "x"]]
    path = tmp_path / "mixed.csv"
    body = io.StringIO()
    csv.writer(body, lineterminator="\n").writerows(rows)
    path.write_bytes(body.getvalue().encode("cp1252"))
    assert path.stat().st_size > 1 << 20
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}: line 2002: bytes 0xA3 cannot be decoded (detected as utf-8). Give the file's encoding "
        "with --encoding, e.g. --encoding cp1252 or --encoding utf-16, or re-save it as UTF-8.")


def test_row_with_fewer_fields(run, review, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("Respondent ID,Service,Age group,What was good?,What could be better?\n"
                    "R7,GP,25-34,Fine,Nothing\nR8,GP,Fine,Nothing\n", encoding="utf-8")
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}: row 3 (line 3) has 4 fields but the header has 5. Check for a stray comma or quote in "
        "it. Fix the row (or re-export the file) and import again.")


def test_row_with_more_fields(run, review, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("Respondent ID,Service,Age group,What was good?,What could be better?\n"
                    "R7,GP,25-34,Fine, thanks,Nothing\n", encoding="utf-8")
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}: row 2 (line 2) has 6 fields but the header has 5. Check for a stray comma or quote in "
        "it. Fix the row (or re-export the file) and import again.")


def test_unbalanced_quote_names_the_row_it_starts_at(run, review, tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text("Respondent ID,Service,Age group,What was good?,What could be better?\n"
                    "R7,GP,25-34,Fine,Nothing\nR8,GP,25-34,\"The nurse,Nothing\nR9,GP,25-34,Good,Less\n",
                    encoding="utf-8")
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}: unbalanced quote: the quoted field that starts at row 3 (line 3) never ends. Close or "
        "remove the quote and import again.")


def test_unbalanced_quote_closed_later_is_a_ragged_multiline_row(run, review, tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text("Respondent ID,Service,Age group,What was good?,What could be better?\n"
                    "R8,GP,25-34,\"The nurse,Nothing\nR9,GP,25-34,Good,Less\"\n", encoding="utf-8")
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}: row 2 (lines 2-3) has 4 fields but the header has 5. It spans several lines: probably "
        "an unbalanced quote. Fix the row (or re-export the file) and import again.")


def test_not_a_zip_xlsx(run, review, tmp_path):
    path = tmp_path / "renamed.xlsx"
    path.write_text("Respondent ID,Service\nR1,GP\n")
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}: not a valid .xlsx file (it is not a zip archive; it may be corrupt or renamed). Open "
        "and re-save it, or export again.")


def test_truncated_xlsx(run, review, tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", survey_rows(("R9",)))
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(good.read_bytes()[:-200])
    assert "not a valid .xlsx file" in refused(run, review, path, *WIDE)


def test_encrypted_xlsx(run, review, tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)  # Office wraps encrypted files in OLE
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}: this .xlsx is password-protected or in the old binary format. Open it in Office, "
        "remove the password (or Save As .xlsx) and import again.")


def test_zip_without_workbook(run, review, tmp_path):
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}: cannot read this .xlsx (KeyError: \"There is no item named '[Content_Types].xml' in the "
        "archive\"). Open it in Excel, save it again as .xlsx and import again.")


def test_damaged_sheet_xml(run, review, tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", survey_rows(("R9",)))
    path = rezip(good, tmp_path / "damaged.xlsx", {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row"})
    message = refused(run, review, path, *WIDE)
    assert message.startswith(f"Error: {path}: cannot read") and message.endswith(
        "Open it in Excel, save it again as .xlsx and import again.")


def test_zip_bomb_inside_xlsx_refused_quickly(run, review, tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", survey_rows(("R9",)))
    padding = b"<sst>" + b" " * (64 << 20) + b"</sst>"  # 64 MB of spaces compresses about 1000x
    path = rezip(good, tmp_path / "bomb.xlsx", {"xl/sharedStrings.xml": padding}, level=9)
    assert path.stat().st_size < 1 << 20
    info = zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml")
    started = time.perf_counter()
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}: refused: part 'xl/sharedStrings.xml' unpacks {info.file_size // info.compress_size}x "
        "(a zip bomb?). Re-save the file from Office.")
    assert time.perf_counter() - started < 2


LAUGHS = ('<?xml version="1.0"?>{pad}<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 or "")) * 10}">' for i in range(1, 10))
          + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
          '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')


@pytest.mark.parametrize("pad", ["", "<!--" + "x" * 20000 + "-->"], ids=["at-head", "after-20kb-comment"])
def test_billion_laughs_inside_xlsx_refused_quickly(run, review, tmp_path, pad):
    good = write_xlsx(tmp_path / "good.xlsx", survey_rows(("R9",)))
    path = rezip(good, tmp_path / "laughs.xlsx", {"xl/worksheets/sheet1.xml": LAUGHS.format(pad=pad).encode()})
    started = time.perf_counter()
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}: refused: XML part 'xl/worksheets/sheet1.xml' declares a DTD or entities, which Office "
        "never writes (an XML bomb?).")
    assert time.perf_counter() - started < 2


def test_duplicate_respondent_and_question_wide(run, review, tmp_path):
    path = write_csv(tmp_path / "dupes.csv", survey_rows(("R7", "R8", "R7")))
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}, row 4: respondent 'R7' answers question 'What was good?' twice (first at row 2). Each "
        "answer needs a unique id: check the id column or remove the duplicate row.")


def test_duplicate_far_apart_is_still_found(run, review, tmp_path):
    # The writer checks ids batch by batch (flat memory): a repeat 3,000 rows later is still caught.
    ids = [f"R{i}" for i in range(3000)] + ["R5"]
    path = write_csv(tmp_path / "far.csv", survey_rows(ids))
    assert refused(run, review, path, *WIDE) == (
        f"Error: {path}, row 3002: respondent 'R5' answers question 'What was good?' twice (first at row 7). Each "
        "answer needs a unique id: check the id column or remove the duplicate row.")


def test_duplicate_respondent_and_question_long(run, review, tmp_path):
    path = write_csv(tmp_path / "long.csv", [
        ["Comment ID", "Respondent ID", "Question", "Answer"],
        ["C1", "R7", "What was good?", "Staff"], ["C2", "R7", "What could be better?", "Parking"],
        ["C3", "R7", "What was good?", "Food"]])
    assert refused(run, review, path, "--text", "Answer", "--id", "Comment ID", "--respondent", "Respondent ID",
                   "--question-col", "Question") == (
        f"Error: {path}, row 4: respondent 'R7' answers 'What was good?' twice (first at row 2). Remove the "
        "duplicate row, or check the respondent and question columns.")


def test_duplicate_answer_id_long(run, review, tmp_path):
    path = write_csv(tmp_path / "long.csv", [
        ["Comment ID", "Respondent ID", "Question", "Answer"],
        ["C1", "R7", "What was good?", "Staff"], ["C1", "R8", "What was good?", "Parking"]])
    assert refused(run, review, path, "--text", "Answer", "--id", "Comment ID", "--respondent", "Respondent ID",
                   "--question-col", "Question") == (
        f"Error: {path}, row 3: id 'C1' appears twice (first at row 2). Each answer needs a unique id: check the "
        "id column or remove the duplicate row.")


def test_unreadable_date(run, review, tmp_path):
    rows = survey_rows(("R7", "R8"))
    rows[0].append("Date")
    rows[1].append("2025-02-01")
    rows[2].append("Febuary")
    path = write_csv(tmp_path / "dates.csv", rows)
    assert refused(run, review, path, *WIDE, "--date", "date") == (
        f"Error: {path}, row 3, column 'Date': cannot read the date 'Febuary'. Dates must look like 31/01/2024 "
        "(day first), 2024-01-31 or be Excel dates. Fix the cell, or leave out --date.")


def test_a_failing_file_keeps_the_others_out(run, review, tmp_path):
    good = write_csv(tmp_path / "good.csv", survey_rows(("R20",)))
    bad = write_csv(tmp_path / "bad.csv", [HEADER])
    assert refused(run, review, good, bad, *WIDE) == f"Error: {bad}: the file has a header row but no data rows."


# ---------------------------------------------------------------- accepted


def test_200kb_cell_is_kept_whole(run, review, tmp_path):
    long_text = ("The discharge letter went to the wrong GP, \"twice\",\nand nobody rang back. " * 2700)[:200_000]
    rows = survey_rows(("R7",))
    rows[1][3] = long_text
    path = write_csv(tmp_path / "long.csv", rows)
    assert run("import", review, path, *WIDE).exit_code == 0
    assert documents(review, 2)[0] == ("R7 | What was good?", long_text, 1)



def test_longest_xlsx_cell_is_kept_whole(run, review, tmp_path):
    longest = ("Waited \"four hours\"\nin A&E. " * 2000)[:32767]  # Excel's limit for one cell
    xlsx = write_xlsx(tmp_path / "long.xlsx", [HEADER, ["R8", "GP", "25-34", longest, "x"]])
    assert run("import", review, xlsx, *WIDE).exit_code == 0
    assert documents(review, 2)[0][1] == longest


def test_reimporting_the_same_file_changes_nothing_and_says_so(run, review, tmp_path):
    before = snapshot(review)
    result = run("import", review, tmp_path / "wave1.csv", *WIDE)
    assert result.exit_code == 0
    assert result.output == f"{tmp_path / 'wave1.csv'}: already imported as source 1; nothing changed.\n"
    assert snapshot(review) == before
    as_json = json.loads(run("import", review, tmp_path / "wave1.csv", *WIDE, "--json").stdout)
    assert as_json[0]["skipped"] is True and as_json[0]["source_id"] == 1


def test_second_wave_links_documents_to_the_same_respondents(run, review, tmp_path):
    path = write_csv(tmp_path / "wave2.csv", survey_rows(("R1", "R2", "R4"), good="Better now"))
    result = run("import", review, path, *WIDE, "--wave", "2")
    assert result.exit_code == 0
    assert "6 documents (6 answered), 6 segments, 1 new respondents" in result.output
    conn = sqlite3.connect(review)
    assert conn.execute("SELECT count(*) FROM respondents").fetchone()[0] == 4
    per_respondent = dict(conn.execute(
        "SELECT r.external_id, count(*) FROM documents d JOIN respondents r ON r.id = d.respondent_id GROUP BY 1"))
    assert per_respondent == {"R1": 4, "R2": 4, "R3": 2, "R4": 2}
    assert conn.execute("SELECT count(*) FROM attributes WHERE name = 'wave' AND value = '2'").fetchone()[0] == 6


def test_formula_looking_cells_stored_as_plain_text(run, review, tmp_path):
    cells = ['=HYPERLINK("http://example.invalid","click me")', "+44 7700 900123 rang twice",
             "-2 stars, rude on the phone", "@reception please call back", "=1+1"]
    rows = [HEADER] + [[f"F{i}", "GP", "25-34", cell, cell] for i, cell in enumerate(cells)]
    path = write_csv(tmp_path / "formulas.csv", rows)
    assert run("import", review, path, *WIDE).exit_code == 0
    assert [d[1] for d in documents(review, 2)] == [c for cell in cells for c in (cell, cell)]
    book = openpyxl.Workbook()
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            book.active.cell(row=r, column=c, value=value)  # '=...' becomes a formula cell: read as text
    book.active.cell(row=2, column=5).data_type = "s"  # and the same text as a string cell
    book.save(tmp_path / "formulas.xlsx")
    assert run("import", review, tmp_path / "formulas.xlsx", *WIDE).exit_code == 0
    assert [d[1] for d in documents(review, 3)] == [c for cell in cells for c in (cell, cell)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_encodings_round_trip_exactly(run, review, tmp_path, encoding):
    text = "Caf\u00e9 \u2018closed\u2019 \u2013 paid \u00a35 to park\u2026 na\u00efve r\u00e9sum\u00e9 \u20ac"
    path = write_csv(tmp_path / f"{encoding}.csv", survey_rows(("R5",), good=text), encoding=encoding)
    assert run("import", review, path, *WIDE).exit_code == 0
    assert documents(review, 2)[0] == ("R5 | What was good?", f"{text} (R5)", 1)
    conn = sqlite3.connect(review)
    names = [r[0] for r in conn.execute("SELECT DISTINCT name FROM attributes ORDER BY name")]
    assert names == ["Age group", "Service"]  # no BOM glued to a column name


def test_mapping_saved_and_reused_for_the_next_wave(run, tmp_path):
    review = tmp_path / "review.db"
    rows = [["Comment ID", "Respondent ID", "When", "Question", "Answer", "Area", "Parking", "Staff"],
            ["C1", "R1", "03/04/2025", "Good?", "Nice staff", "North", "", "1"],
            ["C2", "R2", "04/04/2025", "Good?", "N/A", "South", "1", ""]]
    wave1 = write_csv(tmp_path / "wave1.csv", rows)
    mapping = tmp_path / "survey.yaml"
    result = run("import", review, wave1, "--text", "Answer", "--id", "Comment ID", "--respondent",
                 "Respondent ID", "--question-col", "Question", "--date", "When", "--attr", "Area",
                 "--codes", "Parking..", "--wave", "1", "--save-mapping", mapping)
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load(mapping.read_text())
    assert saved == {"text": ["Answer"], "id": "Comment ID", "respondent": "Respondent ID",
                     "question_col": "Question", "attrs": ["Area"], "date": "When", "codes": ["Parking.."]}
    rows2 = [rows[0], ["C9", "R1", "01/10/2025", "Good?", "Still nice", "North", "1", "1"]]
    result = run("import", review, write_csv(tmp_path / "wave2.csv", rows2), "--mapping", mapping, "--wave", "2")
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(review)
    assert conn.execute("SELECT count(*) FROM respondents").fetchone()[0] == 2
    rows = conn.execute(
        "SELECT d.external_id, d.date, r.external_id, d.answered, group_concat(c.name, '+') "
        "FROM documents d JOIN respondents r ON r.id = d.respondent_id "
        "LEFT JOIN (SELECT codings.document_id, codes.name FROM codings JOIN codes ON codes.id = codings.code_id "
        "ORDER BY codes.name) c ON c.document_id = d.id GROUP BY d.id ORDER BY d.id").fetchall()
    assert rows == [("C1", "2025-04-03", "R1", 1, "Staff"), ("C2", "2025-04-04", "R2", 0, "Parking"),
                    ("C9", "2025-10-01", "R1", 1, "Parking+Staff")]
    waves = conn.execute("SELECT value FROM attributes WHERE name = 'wave' ORDER BY document_id").fetchall()
    assert waves == [("1",), ("1",), ("2",)]


def test_bad_mapping_option_is_refused(run, review, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("text: ['What was good?']\ncolumns: [x]\n")
    path = write_csv(tmp_path / "wave2.csv", survey_rows(("R9",)))
    message = refused(run, review, path, "--mapping", mapping)
    assert message.startswith("Error: unknown mapping option(s): columns. Known: ")
    mapping.write_text("text: [What was good?]\n")
    assert refused(run, review, path, "--mapping", mapping) == (
        f"Error: {mapping}: not valid YAML at line 1, column 21: expected ',' or ']', but got '?'. Put column "
        "names that contain ':', '?', '#' or brackets in quotes.")


def test_month_first_date_noted_in_output(run, review, tmp_path):
    rows = survey_rows(("R7", "R8"))
    rows[0].append("Date")
    rows[1].append("10/08/2021")
    rows[2].append("10/17/2021")
    path = write_csv(tmp_path / "dates.csv", rows)
    result = run("import", review, path, *WIDE, "--date", "Date")
    assert result.exit_code == 0
    assert result.output.endswith("\n  note: 2 documents: date read month-first (first at row 3)\n")
    conn = sqlite3.connect(review)
    assert [r[0] for r in conn.execute("SELECT date FROM documents WHERE source_id = 2 ORDER BY id")] == [
        "2021-08-10", "2021-08-10", "2021-10-17", "2021-10-17"]
