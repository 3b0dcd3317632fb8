"""Framework matrix: cases by codes (or themes), each cell a summary of what that case said.

The framework method (Gale et al. 2013, BMC Med Res Methodol 13:117) charts data into a
matrix: one row per case, one column per code, each cell a short summary with references
back to the data. Here a case is a respondent (shown by a pseudonymous id, `R12` for
respondents.id 12; `D40` for a document with no respondent) or a group of respondents
sharing an attribute value (`by="Service"`); a cell holds the redacted quotes coded there,
shortened to a word budget, each followed by its segment id ("[s1234]"), and links to the
Trace sheet, which lists every charted segment once, grouped by case, with its codes (or
theme), wave, question and full redacted quote.

    from rapidreview import matrix
    m = matrix.build_matrix(db, matrix.MatrixOptions(by="Service"))
    matrix.write_xlsx(m, "matrix.xlsx")          # or write_csv(m, "matrix.csv"): one row per quote

Only redacted text, and only what publish would quote, read the way publish reads it
(`privacy.quotes.publishable_segment_batches`: participant turns of consenting respondents
who did not withdraw, every answer scanned for personal data); group values and theme labels
as publish shows them. The workbook is streamed (openpyxl write-only, each sheet closed when
done), and cells are kept as packed ints, so 100k segments never build a workbook of cell
objects in memory.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from . import __version__, privacy, store, waves
from .errors import RapidReviewError
from .privacy.quotes import MISSING, publishable_segment_batches

SUMMARIES = ("quotes", "first", "count")
COLUMNS = ("codes", "themes")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CELL_LIMIT = 32_000  # Excel refuses cells over 32,767 characters
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
TRACE = "Trace"
METHOD = ("Framework method (Gale et al. 2013): each row is a case, each column a code or theme; a cell "
          "summarises what that case said there. Quotes are redacted and shortened to a word budget; each is "
          "followed by its segment id in brackets, e.g. [s1234], which is segments.id in the review database. "
          "Click a cell to go to its rows on the Trace sheet, which lists every segment id with the full "
          "redacted quote. Only accepted codings count; suggestions nobody accepted do not. Respondents who "
          "withdrew or did not consent, and interviewer turns, are left out, as `rapidreview publish` leaves "
          "them out.")


class MatrixError(RapidReviewError):
    """The matrix cannot be built as asked."""


@dataclass
class MatrixOptions:
    columns: str = "codes"  # codes: one sheet per top-level code; themes: one sheet of a theme run's themes
    by: str | None = None  # an attribute: rows are its values; None: rows are respondents
    summary: str = "quotes"  # quotes | first | count
    words: int = 25  # word budget per quote
    max_quotes: int = 8  # per cell; the Trace sheet has the rest
    compare: tuple[str, str] | None = None  # two waves: adds sheets of what changed
    run_id: int | None = None  # theme run (themes columns); the latest by default
    min_group: int = 0  # as publish: leave out groups (by `by`) with fewer respondents than this

    def check(self) -> None:
        if self.columns not in COLUMNS:
            raise MatrixError(f"unknown columns {self.columns!r}: choose codes or themes.")
        if self.summary not in SUMMARIES:
            raise MatrixError(f"unknown summary {self.summary!r}: choose {', '.join(SUMMARIES)}.")
        if self.words < 1 or self.max_quotes < 1:
            raise MatrixError("the word budget and quotes per cell must be at least 1.")
        if self.min_group and not self.by:
            raise MatrixError("--min-group needs --by ATTRIBUTE: groups are the attribute's values.")


@dataclass
class Column:
    id: int  # code id, or theme number
    key: str
    name: str


@dataclass
class MatrixSheet:
    title: str
    columns: list[Column]
    # One int per quote in a cell: case index << 48 | column position << 32 | segment id,
    # sorted, so rows come out in order; a few bytes each where nested dicts took ~250.
    keys: list[int] = field(default_factory=list)

    def rows(self, cases: list):
        """(case, {column id: [segment ids]}) for each row with anything in it, in order."""
        current, row = None, {}
        for key in self.keys:
            case, pos, seg = key >> 48, (key >> 32) & 0xFFFF, key & 0xFFFFFFFF
            if case != current:
                if row:
                    yield cases[current], row
                current, row = case, {}
            row.setdefault(self.columns[pos].id, []).append(seg)
        if row:
            yield cases[current], row


@dataclass
class Matrix:
    options: MatrixOptions
    sheets: list[MatrixSheet]
    cases: list  # every case with any coded segment, in row order
    quotes: dict[int, str]  # segment id -> redacted text
    segment_info: dict[int, tuple]  # segment id -> (wave, question)
    about: list[tuple[str, object]]
    comparisons: list[tuple[str, list[str], list[list]]] = field(default_factory=list)  # (title, header, rows)
    unit_of: dict = field(default_factory=dict)  # segment id -> respondent (or document), for group counts
    n_quotable: int = 0  # publishable segments, coded or not

    def case_label(self, case) -> str:
        if isinstance(case, str):
            return case
        return f"R{case}" if case > 0 else f"D{-case}"


# ---------------------------------------------------------------- building the matrix (data)


def build_matrix(db: sqlite_utils.Database, options: MatrixOptions | None = None) -> Matrix:
    """The matrix as data: which segments go in which cell, and their redacted texts."""
    options = dataclasses.replace(options or MatrixOptions())  # resolved names below go on a copy
    options.check()
    privacy.assert_redacted(db)  # first: nothing else matters until every answer has been read for personal data
    by = options.by = _attribute(db, options.by) if options.by else None
    if options.compare:
        known = waves.wave_labels(db)
        options.compare = tuple(waves.check_wave(db, w, known) for w in options.compare)
    # Every text that is not a quote (code names, labels, group values, waves, questions)
    # goes through the review's own redactor: its privacy config and the names it knows.
    clean = privacy.free_text_redactor(db)
    if options.columns == "codes":
        sheets, run = _code_sheets(db, clean), None
        placed = _segment_codes(db, {c.id for s in sheets for c in s.columns})
    else:
        run = _run(db, options.run_id)
        sheets, placed = [MatrixSheet("Themes", [])], _segment_themes(db, run["id"])
    quotes, seg_doc, doc_case, vocab, n_quotable = _publishable(db, placed, by, run, options.min_group, clean)
    if run:
        sheets[0].columns = [Column(t["number"], str(t["number"]), t["label"]) for t in _theme_labels(run, vocab, clean)]
    cases = _place(sheets, placed, quotes, seg_doc, doc_case)
    m = Matrix(options, sheets, cases, quotes, _segment_info(db, seg_doc, clean), [], n_quotable=n_quotable)
    if options.summary == "count" and by:
        respondent = dict(db.execute("SELECT id, coalesce(respondent_id, 'doc' || id) FROM documents"))
        m.unit_of = {s: respondent[d] for s, d in seg_doc.items()}
    m.about = _about(db, m, run["id"] if run else None, clean)
    if options.compare:
        labels = {c.id: c.name for c in sheets[0].columns} if run else None
        m.comparisons = _comparisons(db, options, doc_case, run["id"] if run else None, labels, clean)
    return m


def _place(sheets: list[MatrixSheet], placed: dict, quotes: dict, seg_doc: dict, doc_case: dict) -> list:
    """Fill each sheet's keys; returns the cases in row order."""
    where = {c.id: (sheet, pos) for sheet in sheets for pos, c in enumerate(sheet.columns)}
    cases = sorted({doc_case[seg_doc[seg]] for seg in quotes}, key=_case_order)
    index = {case: i for i, case in enumerate(cases)}
    for seg in quotes:
        row = index[doc_case[seg_doc[seg]]] << 48
        for column in placed[seg]:
            if column in where:
                sheet, pos = where[column]
                sheet.keys.append(row | pos << 32 | seg)
    for sheet in sheets:
        sheet.keys.sort()
    return cases


def _publishable(db, placed: dict, by: str | None, run, min_group: int, clean):
    """Stream the publishable segments (as publish reads them) and keep what the matrix
    needs: the redacted texts of segments with a code or theme, their documents, each
    document's case; and, for theme labels, the words of everything quotable."""
    vocab = None
    if run:
        from .publish.build import Vocabulary, _theme_phrases

        vocab = Vocabulary(_theme_phrases(run))
    quotes, seg_doc, doc_case, n = {}, {}, {}, 0
    respondent = {} if by else dict(db.execute("SELECT id, respondent_id FROM documents WHERE answered = 1"))
    for batch in publishable_segment_batches(db, group_attr=by, min_group=min_group):
        if vocab is not None:
            vocab.update(s["text"] for s in batch)
        n += len(batch)
        for s in batch:
            doc = s["document_id"]
            if doc not in doc_case:  # every quotable document: wave comparisons need whole groups
                doc_case[doc] = _case(doc, s, by, respondent, clean)
            if s["segment_id"] in placed:
                quotes[s["segment_id"]], seg_doc[s["segment_id"]] = s["text"], doc
    return quotes, seg_doc, doc_case, vocab, n


def _case(doc: int, segment: dict, by: str | None, respondent: dict, clean):
    """A redacted group value; or the respondent id, or minus the document id for a
    document with no respondent (ints: a tuple per document cost ~60 bytes each)."""
    if by:
        # As publish shows attribute values: a free-text attribute must not carry a phone number or a name.
        return clean(segment["group"].get(by) or MISSING)
    return respondent[doc] if respondent.get(doc) is not None else -doc


def _attribute(db, name: str) -> str:
    from .stats import resolve_attribute

    return resolve_attribute(db, name)


def _case_order(case):
    if isinstance(case, str):
        return (1, "", 0) if case == MISSING else (0, case, 0)
    return (0, "R" if case > 0 else "S", abs(case))  # respondents, then documents without one


def _code_sheets(db, clean) -> list[MatrixSheet]:
    """One sheet per top-level code, its columns the code and its descendants."""
    sheets: dict[int, MatrixSheet] = {}
    titles: set[str] = set()
    root_of: dict[str, int] = {}
    for code in waves.code_tree(db):
        if code["depth"] == 0:
            root_of[code["group"]] = code["id"]
            sheets[code["id"]] = MatrixSheet(_sheet_title(clean(code["group"]), titles), [])
        sheets[root_of[code["group"]]].columns.append(Column(code["id"], code["key"], clean(code["name"])))
    if not sheets:
        raise MatrixError("this review has no codebook yet. Load one with `rapidreview codebook load REVIEW_DB "
                          "FILE.yaml`, or use --columns themes.")
    return list(sheets.values())


def _segment_codes(db, wanted: set[int]) -> dict[int, list[int]]:
    placed = defaultdict(list)
    for seg, _, code in db.execute(waves.ACCEPTED_SEGMENT_CODES + " ORDER BY s.id, c.code_id"):
        if code in wanted and (not placed[seg] or placed[seg][-1] != code):  # two coders, one code: one quote
            placed[seg].append(code)
    return placed


def _run(db, run_id):
    from .themes import get_run

    return get_run(db, run_id)


def _segment_themes(db, run_id: int) -> dict[int, list[int]]:
    placed = defaultdict(list)
    for seg, number in db.execute("SELECT m.segment_id, t.number FROM theme_members m JOIN themes t "
                                  "ON t.id = m.theme_id WHERE t.run_id = ? ORDER BY m.segment_id", [run_id]):
        placed[seg].append(number)
    return placed


def _theme_labels(run, vocab, clean):
    # Labels exactly as publish shows them: redacted, and rebuilt from key terms when the
    # model's label uses words only a withdrawn respondent said.
    from .publish.build import _theme_labels as published_labels

    return published_labels(run, vocab, clean)


def _sheet_title(name: str, taken: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique ignoring case."""
    base = SHEET_NAME.sub(" ", name).strip().strip("'")[:31] or "Codes"
    title, n = base, 2
    while title.casefold() in taken or title.casefold() in {"about", TRACE.casefold(), "history"}:
        title = f"{base[:27]} ({n})"
        n += 1
    taken.add(title.casefold())
    return title


def _segment_info(db, seg_doc: dict, clean) -> dict:
    """segment id -> (wave, question), redacted, for the Trace sheet."""
    doc_ids = set(seg_doc.values())
    info = {d: (clean(w), clean(q)) for d, w, q in db.execute(  # cached: one copy of each question's text
        "SELECT d.id, s.batch, d.question FROM documents d JOIN sources s ON s.id = d.source_id") if d in doc_ids}
    return {seg: info[doc] for seg, doc in seg_doc.items()}


def _about(db, m: Matrix, run_id, clean) -> list[tuple[str, object]]:
    o = m.options
    books = [clean(f"{r[0]} version {r[1]}" + (f" ({r[2]})" if r[2] else "")) for r in db.execute(
        "SELECT b.name, v.version, v.label FROM codebooks b JOIN codebook_versions v ON v.codebook_id = b.id "
        "WHERE v.version = (SELECT max(version) FROM codebook_versions WHERE codebook_id = b.id) ORDER BY b.id")]
    n_coded = sum(len(s.keys) for s in m.sheets)
    review = db.execute("PRAGMA database_list").fetchone()[2]
    rows = [("Framework matrix", Path(review).name if review else "review"),
            ("Method", METHOD),
            ("Rows", f"groups by the attribute {o.by!r} (values redacted)" if o.by else
             "respondents, by pseudonymous id: R12 is respondent 12 in the review database (D40: document 40, "
             "which has no respondent); names and survey ids are never shown"),
            ("Columns", "codes, one sheet per top-level code of the codebook" if o.columns == "codes"
             else f"themes of theme run {run_id}"),
            ("Cells", {"quotes": f"up to {o.max_quotes} quotes of at most {o.words} words each, with segment ids",
                       "first": f"the first quote (at most {o.words} words), its segment id and how many more",
                       "count": "respondents (groups: disclosure-controlled, 1-7 shown as <8, others rounded to 5)"
                                if o.by else "coded segments"}[o.summary]),
            ("Codebook", "; ".join(books) or "none"),
            ("Created", store.now()),
            ("rapidreview", __version__),
            ("Cases", len(m.cases)),
            ("Quotable segments", m.n_quotable),
            ("Segments charted", len(m.quotes)),
            ("Quotes in cells", n_coded),  # a segment with two codes is in two cells
            ("Sheets", ", ".join(s.title for s in m.sheets))]
    if o.min_group:
        rows.append(("Smallest group", f"groups of fewer than {o.min_group} respondents are left out"))
    if o.compare:
        rows.append(("Waves compared", f"{o.compare[0]} to {o.compare[1]}: counts are respondents, "
                                       "disclosure-controlled; change and p-value from the counts as shown"))
    return rows


# ---------------------------------------------------------------- waves


COMPARE_HEADER = ["Group", "Code", "Before", "Of", "Before %", "After", "Of", "After %", "Change (points)",
                  "p-value", "Test", "Note"]


def _comparisons(db, options: MatrixOptions, doc_case: dict, run_id, labels: dict | None, clean) -> list:
    before, after = options.compare
    by = "code" if options.columns == "codes" else "theme"
    header = [h if h != "Code" or by == "code" else "Label" for h in COMPARE_HEADER]
    header = header if by == "code" else ["Theme"] + header[1:]
    groups: dict = {None: None}
    if options.by:  # per case where cases are groups: the same comparison within each group
        for doc, case in doc_case.items():
            groups.setdefault(case, set()).add(doc)
    results = waves.compare_groups(db, before, after, by, groups, run_id=run_id, labels=labels)
    out = [(f"Waves by {by}", header, [_compare_row(r, by, clean) for r in results.pop(None).rows])]
    if options.by:
        rows = [[case] + _compare_row(r, by, clean) for case in sorted(results, key=_case_order)
                for r in results[case].rows]
        out.append((_sheet_title(f"Waves by {options.by}", set()), [options.by] + header, rows))
    return out


def _compare_row(r: waves.WaveRow, by: str, clean) -> list:
    # Counts as numbers where shown (they sort and sum), '<8' where hidden.
    before = r.shown_before if r.n_before is None else r.n_before
    after = r.shown_after if r.n_after is None else r.n_after
    # Theme labels come redacted (publish's); code and group names are redacted here.
    return [clean(r.group) if by == "code" else r.key, clean(r.name) if by == "code" else r.name, before, r.denominator_before, r.share_before,
            after, r.denominator_after, r.share_after, r.change,
            None if r.p_value is None else round(r.p_value, 4), r.test, r.note]


# ---------------------------------------------------------------- cell summaries


def shorten(text: str, words: int) -> str:
    """The first `words` words, with an ellipsis when cut."""
    parts = text.split()
    return " ".join(parts) if len(parts) <= words else " ".join(parts[:words]) + " …"


def cell_text(m: Matrix, segment_ids: list[int]):
    """What a cell shows: quotes with their ids, the first quote, or a count."""
    o = m.options
    if o.summary == "count":
        if not o.by:
            return len(segment_ids)
        # A group's count is of people, so it is controlled as publish controls counts.
        return privacy.control_count(len({m.unit_of[s] for s in segment_ids})).display
    shown = segment_ids[:1] if o.summary == "first" else segment_ids[:o.max_quotes]
    lines = [f"{shorten(m.quotes[s], o.words)} [s{s}]" for s in shown]
    rest = len(segment_ids) - len(shown)
    if rest:
        lines.append(f"(+{rest} more on the Trace sheet)")
    text = "\n".join(lines)
    return text if len(text) <= CELL_LIMIT else text[:CELL_LIMIT - 40] + " … (cut: see the Trace sheet)"


def safe_text(value):
    """Text that starts like a formula (= + - @ tab CR) must stay text in Excel and Calc."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


# ---------------------------------------------------------------- writing


def trace_order(m: Matrix):
    """The Trace sheet's rows, as (case, segment id, column names): every charted segment
    once, grouped by case (in row order) then by id, so a cell's segments sit in its
    case's block."""
    names = [c.name for sheet in m.sheets for c in sheet.columns]
    offsets, n = [], 0
    for sheet in m.sheets:
        offsets.append(n)
        n += len(sheet.columns)
    # Re-key every placement as case << 48 | segment << 16 | column: one sort puts them in Trace order.
    keys = sorted((k >> 48) << 48 | (k & 0xFFFFFFFF) << 16 | (offset + ((k >> 32) & 0xFFFF))
                  for sheet, offset in zip(m.sheets, offsets) for k in sheet.keys)
    current, columns = None, []
    for key in keys:
        at = key >> 16
        if at != current:
            if columns:
                yield m.cases[current >> 32], current & 0xFFFFFFFF, columns
            current, columns = at, []
        columns.append(names[key & 0xFFFF])
    if columns:
        yield m.cases[current >> 32], current & 0xFFFFFFFF, columns


def write_xlsx(m: Matrix, path) -> dict:
    """Stream the matrix to an XLSX workbook; returns {sheet title: rows}."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    wb = Workbook(write_only=True)
    about = wb.create_sheet("About")
    data_sheets = [(s, wb.create_sheet(s.title)) for s in m.sheets]
    compare_sheets = [(c, wb.create_sheet(c[0])) for c in m.comparisons]
    trace = wb.create_sheet(TRACE)
    styles: dict = {}

    def style(ws, font, align, quote: bool):
        # Built once per combination and shared: setting .font/.alignment on every cell
        # hashes the style objects each time, which dominated the time at 100k segments.
        key = (id(font), id(align), quote)
        if key not in styles:
            template = WriteOnlyCell(ws)
            if font:
                template.font = font
            if align:
                template.alignment = align
            template.quotePrefix = quote
            styles[key] = template._style
        return styles[key]

    def cell(ws, value, *, font=None, align=None, link=None):
        risky = safe_text(value)
        if not (risky or font or align or link):
            return value  # a plain value: openpyxl writes it without building a cell object
        c = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # never a formula, whatever the text starts with
        c._style = style(ws, font, align, risky)
        if link:
            c.hyperlink = Hyperlink(ref="", location=link)
        return c

    def widths(ws, values):
        for i, width in enumerate(values):
            ws.column_dimensions[_letter(i + 1)].width = width

    def done(ws):
        # Finish a sheet now: its rows and hyperlinks go to disk and the link objects are
        # freed, instead of every sheet's links waiting in memory for save().
        ws.close()
        ws._hyperlinks.clear()

    widths(about, (22, 100))
    for name, value in m.about:
        about.append([cell(about, name, font=bold, align=wrap), cell(about, value, align=wrap)])
    done(about)
    counts = {"About": len(m.about)}

    # The Trace sheet is written first (it is last in the workbook): cells link to its rows.
    trace.freeze_panes = "B2"
    widths(trace, (10, 14, 12, 40, 36, 90))
    what = "Codes" if m.options.columns == "codes" else "Theme"
    trace.append([cell(trace, h, font=bold) for h in ("Segment", "Case", "Wave", "Question", what,
                                                      "Quote (redacted)")])
    row_of = {}
    for case, seg, columns in trace_order(m):
        wave, question = m.segment_info.get(seg, (None, None))
        trace.append([seg, cell(trace, m.case_label(case)), cell(trace, wave), cell(trace, question),
                      cell(trace, "; ".join(columns)), cell(trace, m.quotes[seg])])
        row_of[seg] = len(row_of) + 2  # row 1 is the header
    done(trace)

    case_head = m.options.by or "Case"
    for sheet, ws in data_sheets:
        ws.freeze_panes = "B2"
        widths(ws, [24 if m.options.by else 10] + [14 if m.options.summary == "count" else 50] * len(sheet.columns))
        ws.append([cell(ws, case_head, font=bold, align=wrap)]
                  + [cell(ws, c.name, font=bold, align=wrap) for c in sheet.columns])
        n = 0
        for case, row in sheet.rows(m.cases):
            ws.append([cell(ws, m.case_label(case))]  # unstyled: one styled cell fewer per row counts at 100k
                      + [cell(ws, cell_text(m, row[c.id]), align=wrap, link=f"'{TRACE}'!A{row_of[row[c.id][0]]}")
                         if c.id in row else None for c in sheet.columns])
            n += 1
        done(ws)
        counts[sheet.title] = n
    for (title, header, rows), ws in compare_sheets:
        ws.freeze_panes = "C2"
        widths(ws, [22, 32] + [10] * (len(header) - 3) + [40])
        ws.append([cell(ws, h, font=bold, align=wrap) for h in header])
        for r in rows:
            ws.append([cell(ws, v) for v in r])
        counts[title] = len(rows)
    counts[TRACE] = len(row_of)
    wb.save(str(path))
    return counts


def _letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def write_csv(m: Matrix, path) -> int:
    """Long format, one row per charted quote (sheet, case, column, segment, quote): it
    sorts, filters and pivots in any tool. Returns the number of rows."""
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["sheet", "case", "column_key", "column", "segment_id", "wave", "question", "quote"])
        for sheet in m.sheets:
            for case, row in sheet.rows(m.cases):
                for column in sheet.columns:
                    for s in row.get(column.id, ()):
                        wave, question = m.segment_info.get(s, (None, None))
                        w.writerow([csv_safe(v) for v in (sheet.title, m.case_label(case), column.key, column.name,
                                                          s, wave, question, m.quotes[s])])
                        n += 1
    return n


def csv_safe(value):
    # CSV has no text type: a leading apostrophe keeps a formula-like cell text when opened in a spreadsheet.
    return "'" + value if safe_text(value) else value


def matrix(db: sqlite_utils.Database, output, options: MatrixOptions | None = None, actor: str | None = None
           ) -> dict:
    """Build and write the matrix to `output` (.xlsx or .csv); returns what was written."""
    output = Path(output)
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise MatrixError(f"{output}: write the matrix to a .xlsx workbook or a .csv file.")
    m = build_matrix(db, options)
    # Written beside the target and renamed: a failed run never leaves half a workbook.
    fd, tmp = tempfile.mkstemp(prefix=output.name + ".", suffix=".tmp", dir=output.parent)
    os.close(fd)
    try:
        if fmt == "csv":
            result = {"path": str(output), "format": "csv", "rows": write_csv(m, tmp), "cases": len(m.cases)}
        else:
            result = {"path": str(output), "format": "xlsx", "sheets": write_xlsx(m, tmp), "cases": len(m.cases)}
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    with store.transaction(db):
        store.log_event(db, "matrix", {"path": str(output), "columns": m.options.columns, "by": m.options.by,
                                       "summary": m.options.summary, "compare": m.options.compare,
                                       "cases": len(m.cases)}, actor)
    return result
