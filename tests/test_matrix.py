"""Framework matrix (rapidreview/matrix.py, `rapidreview matrix`): every workbook is read
back with openpyxl and checked against the review database."""

from __future__ import annotations

import csv
import re
import zipfile
from collections import defaultdict

import pytest
import test_waves
from click.testing import CliRunner
from openpyxl import load_workbook
from test_privacy_redact import import_comments
from test_waves import Q1, Q2, copy_review, published_labels

from rapidreview import privacy, waves
from rapidreview.cli import cli
from rapidreview.codebook import load_codebook, read
from rapidreview.coding.manual import apply_code
from rapidreview.demo import CODEBOOK
from rapidreview.matrix import CELL_LIMIT, MatrixOptions, build_matrix, matrix, shorten
from rapidreview.privacy import RedactionNeeded

IDS = re.compile(r"\[s(\d+)\]")
# Fixtures shared with test_waves: the two-wave review (built once a session) and a copy to change.
wave_review, wdb = test_waves.wave_review, test_waves.wdb


def write(db, tmp_path, name="m.xlsx", **options):
    out = tmp_path / name
    result = matrix(db, out, MatrixOptions(**options))
    return out, result


def segment_codes(db) -> dict[tuple[int, int], set[int]]:
    """(respondent id, code id) -> segment ids: accepted codings, read independently."""
    out = defaultdict(set)
    for resp, code, seg in db.execute(
            "SELECT d.respondent_id, c.code_id, s.id FROM codings c JOIN segments s ON s.id = c.segment_id "
            "JOIN documents d ON d.id = s.document_id JOIN respondents r ON r.id = d.respondent_id "
            "WHERE c.status = 'accepted' AND r.withdrawn = 0 AND r.consent = 1 AND d.answered = 1"):
        out[resp, code].add(seg)
    return out


def trace_rows(wb) -> list[tuple]:
    return list(wb["Trace"].iter_rows(min_row=2, values_only=True))


# ---------------------------------------------------------------- structure and traceability


def test_cells_trace_back_to_the_codings(wdb, tmp_path):
    out, result = write(wdb, tmp_path, max_quotes=1000)
    wb = load_workbook(out)
    tree = waves.code_tree(wdb)
    groups = [c["name"] for c in tree if c["depth"] == 0]
    assert wb.sheetnames == ["About", *groups, "Trace"]
    expected = segment_codes(wdb)
    name_to_id = {(c["group"], c["name"]): c["id"] for c in tree}
    trace = trace_rows(wb)
    redacted = dict(privacy.redacted_segments(wdb, [r[0] for r in trace]))
    trace_of = {r[0]: r for r in trace}
    checked = 0
    for group in groups:
        ws = wb[group]
        assert ws.freeze_panes == "B2"
        header = [c.value for c in ws[1]]
        assert header[1:] == [c["name"] for c in tree if c["group"] == group]
        seen = set()
        for row in ws.iter_rows(min_row=2):
            case = row[0].value
            assert re.fullmatch(r"R\d+", case)  # pseudonymous: never the survey's own id
            respondent = int(case[1:])
            for column, c in zip(header[1:], row[1:]):
                code_id = name_to_id[group, column]
                want = expected.get((respondent, code_id), set())
                if c.value is None:
                    assert not want
                    continue
                ids = [int(i) for i in IDS.findall(c.value)]
                assert set(ids) == want and len(ids) == len(want)
                # Each quote is the segment's redacted text within the word budget.
                for line in c.value.split("\n"):
                    seg = int(IDS.search(line)[1])
                    assert line == f"{shorten(redacted[seg], 25)} [s{seg}]"
                # The link goes to the Trace row of the cell's first segment; every segment of
                # the cell is on the Trace sheet under this case, with this code, and its full quote.
                target = int(c.hyperlink.location.split("!A")[1])
                assert trace[target - 2][0] == ids[0]
                for i in ids:
                    assert trace_of[i][1] == case and column in trace_of[i][4].split("; ")
                    assert trace_of[i][5] == redacted[i]
                checked += 1
            seen.add(respondent)
        assert seen == {r for (r, code), _ in expected.items() if code in
                        {c["id"] for c in tree if c["group"] == group}}
    assert checked > 300
    assert result["sheets"]["Trace"] == len(trace) == len(set().union(*expected.values()))
    # Grouped by case, then by segment id: a cell's segments sit together.
    keys = [(int(r[1][1:]), r[0]) for r in trace]
    assert keys == sorted(keys)


def test_about_sheet_and_layout(wdb, tmp_path):
    out, result = write(wdb, tmp_path)
    wb = load_workbook(out)
    about = dict(wb["About"].iter_rows(values_only=True))
    version = wdb.execute("SELECT max(version) FROM codebook_versions").fetchone()[0]
    assert f"version {version}" in about["Codebook"] and "Gale" in about["Method"]
    assert about["Cases"] == result["cases"] and about["Segments charted"] == result["sheets"]["Trace"]
    assert about["Quotes in cells"] >= about["Segments charted"]
    ws = wb[wb.sheetnames[1]]
    assert ws.column_dimensions["B"].width == 50 and ws["B1"].font.b
    cell = next(c for row in ws.iter_rows(min_row=2) for c in row[1:] if c.value)
    assert cell.alignment.wrap_text


def test_word_budget_and_quote_limit(wdb, tmp_path):
    out, _ = write(wdb, tmp_path, by="Service", words=5, max_quotes=2)
    wb = load_workbook(out)
    cells = [c for s in wb.sheetnames[1:-1] for row in wb[s].iter_rows(min_row=2, min_col=2, values_only=True)
             for c in row if c]
    assert cells
    for value in cells:
        lines = value.split("\n")
        quotes = [line for line in lines if IDS.search(line)]
        assert len(quotes) <= 2
        assert all(len(IDS.sub("", q).replace(" …", "").split()) <= 5 for q in quotes)
        if len(lines) > 2:
            assert re.fullmatch(r"\(\+\d+ more on the Trace sheet\)", lines[-1])
    # No cell is ever over Excel's limit, however many quotes a group has.
    out, _ = write(wdb, tmp_path, name="big.xlsx", by="Service", words=10_000, max_quotes=100_000)
    wb = load_workbook(out, read_only=True)
    longest = max(len(c) for s in wb.sheetnames[1:-1] for row in wb[s].iter_rows(min_row=2, values_only=True)
                  for c in row if isinstance(c, str))
    assert 1000 < longest <= CELL_LIMIT


def test_rows_by_attribute(wdb, tmp_path):
    out, _ = write(wdb, tmp_path, by="service", max_quotes=1000)  # attribute names ignore case
    wb = load_workbook(out)
    service_of = dict(wdb.execute("SELECT s.id, a.value FROM segments s JOIN attributes a "
                                  "ON a.document_id = s.document_id AND a.name = 'Service'"))
    values = set(service_of.values())
    for sheet in wb.sheetnames[1:-1]:
        ws = wb[sheet]
        assert ws["A1"].value == "Service"
        for row in ws.iter_rows(min_row=2, values_only=True):
            assert row[0] in values
            for value in row[1:]:
                for seg in IDS.findall(value or ""):
                    assert service_of[int(seg)] == row[0]


def test_first_and_count_summaries(wdb, tmp_path):
    out, _ = write(wdb, tmp_path, summary="first")
    wb = load_workbook(out)
    for row in wb[wb.sheetnames[1]].iter_rows(min_row=2, min_col=2, values_only=True):
        for value in filter(None, row):
            assert len(IDS.findall(value)) == 1
    out, _ = write(wdb, tmp_path, name="count.xlsx", summary="count")
    wb = load_workbook(out)
    per_cell = defaultdict(int)
    for seg, case, wave, question, columns, quote in trace_rows(wb):
        for column in columns.split("; "):
            per_cell[case, column] += 1
    ws = wb[wb.sheetnames[1]]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2, values_only=True):
        for column, value in zip(header[1:], row[1:]):
            assert value == (per_cell.get((row[0], column)) or None)
    # Groups: respondents, disclosure-controlled.
    out, _ = write(wdb, tmp_path, name="group-count.xlsx", summary="count", by="Service")
    wb = load_workbook(out)
    people = defaultdict(set)
    resp = dict(wdb.execute("SELECT s.id, d.respondent_id FROM segments s JOIN documents d ON d.id = s.document_id"))
    for seg, case, wave, question, columns, quote in trace_rows(wb):
        for column in columns.split("; "):
            people[case, column].add(resp[seg])
    ws = wb[wb.sheetnames[1]]
    header = [c.value for c in ws[1]]
    shown = set()
    for row in ws.iter_rows(min_row=2, values_only=True):
        for column, value in zip(header[1:], row[1:]):
            if value is not None:
                assert value == privacy.control_count(len(people[row[0], column])).display
                shown.add(value)
    assert "<8" in shown


def test_theme_columns(wdb, tmp_path):
    out, _ = write(wdb, tmp_path, columns="themes", max_quotes=10_000)
    wb = load_workbook(out)
    assert wb.sheetnames == ["About", "Themes", "Trace"]
    run = wdb.execute("SELECT max(id) FROM theme_runs").fetchone()[0]
    members = defaultdict(set)
    for number, seg in wdb.execute("SELECT t.number, m.segment_id FROM theme_members m JOIN themes t "
                                   "ON t.id = m.theme_id WHERE t.run_id = ?", [run]):
        members[number].add(seg)
    header = [c.value for c in wb["Themes"][1]]
    published = published_labels(wdb, tmp_path)
    assert header[1:] == [published[n] for n in sorted(published)]
    trace = trace_rows(wb)
    assert trace
    for label in header[1:]:
        segs = {r[0] for r in trace if r[4] == label}
        if segs:  # all members of one theme, the one with this label
            theme = next(n for n, members_ in members.items() if min(segs) in members_)
            assert segs <= members[theme]
    assert f"theme run {run}" in dict(wb["About"].iter_rows(values_only=True))["Columns"]


def test_wave_comparison_sheets(wdb, tmp_path):
    out, _ = write(wdb, tmp_path, by="Service", compare=(Q1, Q2))
    wb = load_workbook(out)
    assert wb.sheetnames[-3:] == ["Waves by code", "Waves by Service", "Trace"]
    rows = list(wb["Waves by code"].iter_rows(min_row=2, values_only=True))
    expected = waves.compare(wdb, Q1, Q2).rows
    assert [(r[1], r[2], r[5], r[8]) for r in rows] == [(e.name, _shown(e.n_before, e.shown_before),
                                                         _shown(e.n_after, e.shown_after), e.change)
                                                        for e in expected]
    by_group = list(wb["Waves by Service"].iter_rows(min_row=2, values_only=True))
    gp = [r for r in by_group if r[0] == "GP practice"]
    gp_docs = {d for (d,) in wdb.execute("SELECT document_id FROM attributes WHERE name = 'Service' "
                                         "AND value = 'GP practice'")}
    part = waves.compare(wdb, Q1, Q2, documents=gp_docs).rows
    assert gp and [(r[2], r[4], r[7]) for r in gp] == [(p.name, p.denominator_before, p.denominator_after)
                                                       for p in part]


def _shown(n, shown):
    return n if n is not None else shown


# ---------------------------------------------------------------- privacy and escaping

PLANTED = [
    ("jane.doe@example.com", "Dr Patel saw my son Jack at the surgery. Ring 07700 900123 about the wait.", "GP"),
    ("R-0002", "Sarah Jones on Ward 7 was lovely. NHS 943 476 5919. Waiting was long.", "A&E"),
    ("R-0003", "=HYPERLINK(\"http://evil.example\",\"click\") the wait was long", "GP"),
    ("R-0004", "+44 waiting times for appointments are too long", "GP"),
    ("R-0005", "-waiting for the phone to be answered", "GP"),
    ("R-0006", "@SUM(1+1) the waiting room was cold", "GP"),
    ("R-0007", "Zebracorn said the waiting list was long, email zeb@example.org", "GP"),
]
RAW = ["Patel", "Jack", "07700 900123", "Sarah Jones", "943 476 5919", "jane.doe@example.com", "zeb@example.org",
       "Zebracorn", "R-0002", "R-0004"]


@pytest.fixture
def planted(db, tmp_path):
    import_comments(db, tmp_path, PLANTED)
    privacy.redact(db)
    load_codebook(db, read(CODEBOOK), source=str(CODEBOOK))
    key = next(c["key"] for c in waves.code_tree(db) if c["depth"] > 0)
    for (seg,) in db.execute("SELECT id FROM segments ORDER BY id").fetchall():
        apply_code(db, key, coder="tester", segment=seg)
    privacy.withdraw(db, "R-0007", reason="asked")
    return db


def xlsx_text(path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def test_planted_identifiers_never_leave(planted, tmp_path):
    for options in [{}, {"by": "Service"}, {"summary": "first"}]:
        out, _ = write(planted, tmp_path, **options)
        text = xlsx_text(out)
        for raw in RAW:
            assert raw not in text, (raw, options)
        assert "[NAME" in text and "[PHONE]" in text or "[PHONE" in text
    out, _ = write(planted, tmp_path, name="m.csv")
    body = out.read_text(encoding="utf-8")
    assert not [raw for raw in RAW if raw in body] and "[NAME" in body


def test_withdrawn_respondent_is_absent(planted, tmp_path):
    rid = planted.execute("SELECT id FROM respondents WHERE external_id = 'R-0007'").fetchone()[0]
    segs = {s for (s,) in planted.execute("SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id "
                                          "WHERE d.respondent_id = ?", [rid])}
    out, _ = write(planted, tmp_path, max_quotes=100)
    wb = load_workbook(out)
    cases = {r[0] for s in wb.sheetnames[1:-1] for r in wb[s].iter_rows(min_row=2, values_only=True)}
    assert f"R{rid}" not in cases and len(cases) == len(PLANTED) - 1
    assert not segs & {r[0] for r in trace_rows(wb)}
    privacy.reinstate(planted, "R-0007")  # the test can fail: reinstated, they are back
    out, _ = write(planted, tmp_path, name="again.xlsx", max_quotes=100)
    assert segs <= {r[0] for r in trace_rows(load_workbook(out))}


def test_formula_like_text_stays_text(planted, tmp_path):
    out, _ = write(planted, tmp_path, words=100)
    wb = load_workbook(out)
    values = [c for s in wb.sheetnames[1:] for row in wb[s].iter_rows() for c in row if isinstance(c.value, str)]
    risky = [c for c in values if c.value[:1] in "=+-@"]
    assert {c.value[:1] for c in risky} >= {"=", "+", "-", "@"}
    for c in risky:
        assert c.data_type == "s" and c.quotePrefix, c.value
    assert any(c.value.startswith('=HYPERLINK(') for c in risky)
    # In the file itself: no formula anywhere, and the risky cells carry a quotePrefix style, which is
    # what Excel and LibreOffice Calc honour to keep text from being evaluated when a cell is edited.
    with zipfile.ZipFile(out) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        styles = z.read("xl/styles.xml").decode()
    assert not any("<f>" in s or "<f " in s for s in sheets)
    assert 'quotePrefix="1"' in styles
    # CSV has no text type: a leading apostrophe.
    out, _ = write(planted, tmp_path, name="m.csv")
    quotes = [r["quote"] for r in csv.DictReader(out.open(encoding="utf-8"))]
    assert any(q.startswith("'=HYPERLINK") for q in quotes) and not any(q[:1] in "=+-@" for q in quotes)


def test_refused_before_redaction(db, tmp_path):
    import_comments(db, tmp_path, PLANTED[:2])
    with pytest.raises(RedactionNeeded):
        write(db, tmp_path)
    assert not (tmp_path / "m.xlsx").exists()


# ---------------------------------------------------------------- CLI


def test_cli_matrix(wave_review, tmp_path):
    wave_review = copy_review(wave_review, tmp_path / "copy.db")  # the command logs the export
    runner = CliRunner()
    out = tmp_path / "m.xlsx"
    result = runner.invoke(cli, ["matrix", str(wave_review), "-o", str(out), "--compare", Q1, Q2], catch_exceptions=False)
    assert result.exit_code == 0 and out.exists()
    assert "Wrote" in result.output and "Waves by code" in load_workbook(out, read_only=True).sheetnames
    csv_out = tmp_path / "m.csv"
    assert runner.invoke(cli, ["matrix", str(wave_review), "-o", str(csv_out)]).exit_code == 0
    n_csv = sum(1 for _ in csv.reader(csv_out.open(encoding="utf-8"))) - 1
    assert n_csv == sum(len(r[4].split("; ")) for r in trace_rows(load_workbook(out)))
    for args, message in [(["-o", str(tmp_path / "m.pdf")], "Error: "),
                          (["-o", str(out), "--by", "Servce"], "did you mean 'Service'"),
                          (["-o", str(out), "--compare", "2025-Q3", Q2], "unknown wave '2025-Q3'"),
                          (["-o", str(out), "--min-group", "5"], "needs --by")]:
        result = runner.invoke(cli, ["matrix", str(wave_review), *args])
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_build_matrix_is_data(wdb):
    m = build_matrix(wdb, MatrixOptions())
    rows = [(sheet.title, case, row) for sheet in m.sheets for case, row in sheet.rows(m.cases)]
    assert rows and {case for _, case, _ in rows} == set(m.cases)
    for sheet in m.sheets:  # rows come out in case order, each case once per sheet
        order = [m.cases.index(case) for case, _ in sheet.rows(m.cases)]
        assert order == sorted(set(order))
    publishable = {s["segment_id"] for s in privacy.publishable_segments(wdb)}
    coded = {seg for _, _, row in rows for segs in row.values() for seg in segs}
    assert set(m.quotes) == coded and coded < publishable and m.n_quotable == len(publishable)
