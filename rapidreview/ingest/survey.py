"""Survey exports: CSV, TSV and XLSX, wide or long, read one row at a time.

Wide exports have one row per respondent and a column per question (each named with
`--text`); long exports have one row per answer and a column naming the question
(`--question-col`). Both become one DocumentRecord per answer.

    options = ImportOptions(text=["FFT answer"], id="Comment ID", respondent="Respondent ID",
                            question_col="FFT question", attrs=["Trust"], codes=["Not assigned.."])
    for record in read_delimited(Path("fft.csv"), options):
        print(record.external_id, record.answered, record.codes)

Nothing is loaded whole: the csv module reads a decoded text stream, openpyxl reads in
read-only mode, and the writer stores records in batches, so memory stays flat.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..suggest import nearest
from .placeholders import answer_check, placeholder_set
from .records import DocumentRecord, ImportOptions
from .safezip import check_office_file

__all__ = ["read_delimited", "read_xlsx", "detect_encoding", "parse_date"]

SAMPLE_BYTES = 1 << 20  # how much of a file the utf-8 test reads
DETECT_BYTES = 64 << 10  # how much charset-normalizer looks at
MAX_FIELD = 16 << 20  # a longer CSV field is an unbalanced quote swallowing the file
TRUE_VALUES = frozenset({"1", "1.0", "yes", "y", "true", "t", "x"})
FALSE_VALUES = frozenset({"0", "0.0", "no", "n", "false", "f"})
DELIMITERS = {"csv": ",", "tsv": "\t", "tab": "\t"}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
CACHE_SIZE = 4096  # distinct attribute values, dates and short answers remembered during one import
CACHED_ANSWER_CHARS = 40  # placeholders are short; longer answers are checked, not remembered


# ---------------------------------------------------------------- readers


def read_delimited(path: Path, options: ImportOptions) -> Iterator[DocumentRecord]:
    """CSV (comma or semicolon, sniffed), TSV and .tab files."""
    path = Path(path)
    if options.encoding:
        encoding, detected = given_encoding(path, options.encoding), False
    else:
        encoding, detected = detect_encoding(path), True
    delimiter = options.delimiter or _delimiter(path, encoding)
    rows = _delimited_rows(path, encoding, delimiter, detected)
    yield from _records(path, rows, options)


def read_xlsx(path: Path, options: ImportOptions) -> Iterator[DocumentRecord]:
    """Excel .xlsx, checked for bombs and encryption first; formulas are read as text, never run."""
    path = Path(path)
    check_office_file(path, "xlsx")
    yield from _records(path, _xlsx_rows(path, options.sheet), options)


# ---------------------------------------------------------------- encodings


def detect_encoding(path: Path) -> str:
    """BOM first, then UTF-8 if a sample decodes, then charset-normalizer; Windows-1252 last."""
    with open(path, "rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = _utf16_without_bom(sample[:4096])
    if utf16:
        return utf16
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SAMPLE_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample[:DETECT_BYTES]).best()
    if best is not None and best.encoding.startswith(("utf_16", "utf_32")):
        return best.encoding
    # Excel on Windows writes cp1252; charset-normalizer often names a look-alike code page
    # (cp1125, latin-1...) for short English text, so cp1252 wins whenever it decodes.
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return best.encoding if best is not None else "cp1252"


def _utf16_without_bom(head: bytes) -> str | None:
    """Mostly-ASCII UTF-16 has a NUL in every other byte."""
    if len(head) < 4 or b"\x00" not in head:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.6 * half and even < 0.1 * half:
        return "utf-16-le"
    if even > 0.6 * half and odd < 0.1 * half:
        return "utf-16-be"
    return None


def given_encoding(path: Path, name: str) -> str:
    """The codec for `--encoding NAME`; a UTF-8 BOM is skipped rather than read as text."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise InputError(f"unknown encoding {name!r}. Use utf-8, utf-16 or cp1252 (Windows/Excel).",
                         path=path) from None
    if codec == "utf-8":
        with open(path, "rb") as f:
            if f.read(3) == codecs.BOM_UTF8:
                return "utf-8-sig"
    return codec


def _undecodable(path: Path, encoding: str, detected: bool) -> InputError:
    line, bad = _locate_bad_bytes(path, encoding)
    how = "detected as" if detected else "read as"
    where = f"line {line}: " if line else ""
    others = [e for e in ("cp1252", "utf-8", "utf-16") if codecs.lookup(e).name != codecs.lookup(encoding).name]
    return InputError(
        f"{where}bytes {bad} cannot be decoded ({how} {encoding}). Give the file's encoding with "
        f"--encoding, e.g. {' or '.join('--encoding ' + e for e in others[:2])}, or re-save it as UTF-8.",
        path=path)


def _locate_bad_bytes(path: Path, encoding: str) -> tuple[int | None, str]:
    """Line number and bytes of the first undecodable sequence (only on the error path)."""
    if codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
        return None, "(an odd byte count or a broken surrogate pair)"
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as e:
                return number, " ".join(f"0x{b:02X}" for b in e.object[e.start:e.end])
    return None, "(at the end of the file)"


# ---------------------------------------------------------------- rows


def _delimiter(path: Path, encoding: str) -> str:
    ext = path.suffix.lower().lstrip(".")
    if ext != "csv":
        return DELIMITERS.get(ext, ",")
    # European Excel writes ';' in "CSV" files: count candidates outside quotes on the header line.
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        head = f.read(65536)
    counts, quoted = dict.fromkeys(",;\t|", 0), False
    for ch in head:
        if ch == '"':
            quoted = not quoted
        elif ch in "\r\n" and not quoted:
            if any(counts.values()):
                break
        elif ch in counts and not quoted:
            counts[ch] += 1
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def _delimited_rows(path: Path, encoding: str, delimiter: str, detected: bool):
    """Yield (row number, fields), numbered as a spreadsheet shows them (header = row 1)."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD))
    width = None
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, strict=True)
        number = 0
        while True:
            start_line = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise _undecodable(path, encoding, detected) from None
            except csv.Error as e:
                raise _csv_problem(path, e, number + 1, start_line, reader.line_num) from None
            number += 1
            if not any(fields):
                continue
            if width is None:
                width = len(fields)
            elif len(fields) != width and (len(fields) < width or any(fields[width:])):
                raise _ragged(path, fields, width, number, start_line, reader.line_num, delimiter)
            yield number, fields


def _csv_problem(path: Path, e: csv.Error, row: int, line: int, last_line: int) -> InputError:
    text = str(e)
    if "unexpected end of data" in text:
        return InputError(f"unbalanced quote: the quoted field that starts at row {row} (line {line}) never "
                          "ends. Close or remove the quote and import again.", path=path)
    if "field larger than field limit" in text:
        return InputError(f"a field starting at row {row} (line {line}) is longer than {MAX_FIELD >> 20} MB: "
                          "probably an unbalanced quote. Close or remove the quote and import again.", path=path)
    if "NUL" in text:
        return InputError(f"row {row} (line {line}) contains NUL bytes: the file is probably UTF-16 or not "
                          "text. Try --encoding utf-16, or re-save it as CSV UTF-8.", path=path)
    lines = f"lines {line}-{last_line}" if last_line > line else f"line {line}"
    return InputError(f"malformed quotes in row {row} ({lines}): {text}. A quoted field must end with a quote "
                      'before the next separator, and quotes inside it are doubled ("").', path=path)


def _ragged(path, fields, width, row, first_line, last_line, delimiter) -> InputError:
    name = DELIMITER_NAMES.get(delimiter, repr(delimiter))
    lines = f"lines {first_line}-{last_line}" if last_line > first_line else f"line {first_line}"
    hint = (" It spans several lines: probably an unbalanced quote." if last_line > first_line
            else f" Check for a stray {name} or quote in it.")
    return InputError(f"row {row} ({lines}) has {len(fields)} fields but the header has {width}.{hint} "
                      "Fix the row (or re-export the file) and import again.", path=path)


def _xlsx_rows(path: Path, sheet: str | None):
    import openpyxl

    try:
        # read_only streams the sheet XML; data_only=False returns formulas as their text, never evaluated.
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except InputError:
        raise
    except Exception as e:  # openpyxl raises many types on a damaged file
        raise InputError(f"cannot read this .xlsx ({type(e).__name__}: {e}). Open it in Excel, save it "
                         "again as .xlsx and import again.", path=path) from None
    try:
        ws = _sheet(book, sheet, path)
        ws.reset_dimensions()  # some writers record a wrong sheet size; read every row there is
        try:
            for number, values in enumerate(ws.iter_rows(min_row=1, min_col=1, values_only=True), start=1):
                if any(v is not None and v != "" for v in values):
                    yield number, list(values)
        except InputError:
            raise
        except Exception as e:
            raise InputError(f"cannot read sheet {ws.title!r} ({type(e).__name__}: {e}). Open it in Excel, "
                             "save it again as .xlsx and import again.", path=path) from None
    finally:
        book.close()


def _sheet(book, name: str | None, path: Path):
    sheets = book.worksheets
    if not sheets:
        raise InputError("the workbook has no worksheets.", path=path)
    if name is None:
        return sheets[0]
    titles = [s.title for s in sheets]
    for wanted in (name, name.strip().casefold()):
        for s in sheets:
            if s.title == wanted or s.title.strip().casefold() == wanted:
                return s
    raise InputError(_unknown("sheet", name, titles) + " Choose one with --sheet.", path=path)


# ---------------------------------------------------------------- columns


@dataclass
class _Layout:
    """Which column holds what, as indexes into a row."""

    header: list[str]
    text: list[tuple[int, str]] = field(default_factory=list)  # (index, question)
    id: int | None = None
    respondent: int | None = None
    question: int | None = None
    date: int | None = None
    attrs: list[tuple[int, str]] = field(default_factory=list)
    codes: list[tuple[int, str]] = field(default_factory=list)


def _layout(path: Path, header: list[str], options: ImportOptions) -> _Layout:
    find = _ColumnFinder(path, header)
    long = options.question_col is not None
    if not options.text:
        raise InputError(
            "name the free-text column" + (" (the answers)" if long else "s (one --text per question)")
            + " with --text. " + _available(header), path=path)
    if long and len(options.text) > 1:
        raise InputError(f"a long export (--question-col) has one answer column, but --text names "
                         f"{len(options.text)}. Give one --text, or drop --question-col for a wide export.",
                         path=path)
    if options.respondent and not long:
        raise InputError("--respondent is for long exports (with --question-col); in a wide export the --id "
                         "column names the respondent.", path=path)
    layout = _Layout(header)
    layout.text = [(i, label(header[i])) for i in dict.fromkeys(map(find, options.text))]
    layout.id = find(options.id) if options.id else None
    layout.respondent = find(options.respondent) if options.respondent else None
    layout.question = find(options.question_col) if long else None
    layout.date = find(options.date) if options.date else None
    layout.attrs = [(i, label(header[i])) for i in dict.fromkeys(map(find, options.attrs))]
    taken = {i for i in (layout.id, layout.respondent, layout.question, layout.date) if i is not None}
    taken |= {i for i, _ in layout.text + layout.attrs}
    codes = _code_columns(find, header, options.codes, taken)
    layout.codes = [(i, label(header[i])) for i in dict.fromkeys(codes)]
    if layout.codes and not long and len(layout.text) > 1:
        raise InputError("codes in a wide export with several --text columns cannot say which answer they "
                         "code. Import one question at a time (one --text) with its codes.", path=path)
    return layout


class _ColumnFinder:
    """Exact header match first, then ignoring case, non-breaking spaces and runs of spaces."""

    def __init__(self, path: Path, header: list[str]):
        self.path, self.header = path, header
        self.loose: dict[str, list[int]] = {}
        for i, name in enumerate(header):
            self.loose.setdefault(_key(name), []).append(i)

    def __call__(self, name: str) -> int:
        hits = [i for i, h in enumerate(self.header) if h == name] or self.loose.get(_key(name), [])
        if not hits or not _key(name):
            named = [h for h in self.header if h.strip()]
            raise InputError(_unknown("column", name, named) + " Column names are matched ignoring case and "
                             "spaces; copy one from the list.", path=self.path)
        if len(hits) > 1:
            where = ", ".join(_letter(i) for i in hits)
            raise InputError(f"column {name!r} appears {len(hits)} times in the header (columns {where}). "
                             "Rename the duplicates in the file and import again.", path=self.path)
        return hits[0]


def _code_columns(find: _ColumnFinder, header: list[str], entries: list[str], taken: set[int]):
    """Expand --codes entries: a column, 'First..' (to the last column) or 'First..Last'.
    A range skips unnamed columns and those already chosen as text, id, date or attribute."""
    for entry in entries:
        if ".." not in entry or any(h == entry or _key(h) == _key(entry) for h in header):
            yield find(entry)
            continue
        first, last = entry.split("..", 1)
        start = find(first)
        end = find(last) if last.strip() else len(header) - 1
        if end < start:
            raise InputError(f"--codes {entry!r}: {last!r} comes before {first!r} in the header. Give the "
                             "range as First..Last in column order.", path=find.path)
        yield from (i for i in range(start, end + 1) if header[i].strip() and i not in taken)


def _unknown(kind: str, name: str, choices: list[str]) -> str:
    """`unknown column 'Servce'; did you mean 'Service'? Available: ...`"""
    close = nearest(name, choices)
    guess = "; did you mean " + " or ".join(repr(c) for c in close) + "?" if close else "."
    shown = ", ".join(repr(c) for c in choices[:40])
    more = f" (and {len(choices) - 40} more)" if len(choices) > 40 else ""
    return f"unknown {kind} {name!r}{guess} Available: {shown}{more}."


def _available(header: list[str]) -> str:
    named = [h for h in header if h.strip()]
    shown = ", ".join(repr(h) for h in named[:40])
    return f"Available: {shown}" + (f" (and {len(named) - 40} more)" if len(named) > 40 else "")


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def label(value: str) -> str:
    """Header, question and attribute values with spaces tidied ("PTS\\xa0 - X" -> "PTS - X")."""
    return " ".join(value.split())


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# ---------------------------------------------------------------- records


def _records(path: Path, rows, options: ImportOptions) -> Iterator[DocumentRecord]:
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        raise InputError("the file is empty. Export the survey again, with a header row and data rows.",
                         path=path)
    header = [_text(v) for v in first[1]]
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    while header and not header[-1].strip():
        header.pop()
    if not header:
        raise InputError("the first row is empty: it should name the columns.", path=path)
    layout = _layout(path, header, options)
    placeholders = placeholder_set(options.placeholders)
    # Exports repeat the same few attribute values, dates and placeholder answers on every row:
    # each distinct one is worked out once. typed: 1, 1.0 and True are different Excel cells.
    cell_label = lru_cache(maxsize=CACHE_SIZE, typed=True)(_cell_label)
    read_date = lru_cache(maxsize=CACHE_SIZE, typed=True)(partial(_read_date, dayfirst=options.dayfirst))
    is_answer = answer_check(placeholders)
    short_answer = lru_cache(maxsize=CACHE_SIZE)(is_answer)
    code_kinds: dict[int, str] = {}  # column index -> "one-hot" | "list", decided by its first value
    pairs: dict[tuple[str, str], int] = {}  # (respondent, question) -> first row
    width, attrs, date_col = len(header), layout.attrs, layout.date
    by_pair = layout.respondent is not None
    n = 0
    for number, values in rows:
        if len(values) < width:
            values = list(values) + [None] * (width - len(values))
        meta: dict = {}
        attributes = {name: v for i, name in attrs if (v := cell_label(values[i]))}
        date = _date(values[date_col], read_date, options.dayfirst, path, number, header[date_col], meta) \
            if date_col is not None else None
        codes = _codes(values, layout, options.codes_sep, code_kinds, path, number) if layout.codes else []
        for record in _row_records(values, number, layout, attributes, date, codes, meta):
            text = record.text
            record.answered = short_answer(text) if len(text) <= CACHED_ANSWER_CHARS else is_answer(text)
            if by_pair and record.respondent:
                # Otherwise the question is part of the external id, and the writer finds repeats.
                _check_pair(pairs, record, path)
            n += 1
            yield record
    if n == 0:
        raise InputError("the file has a header row but no data rows.", path=path)


def _cell_label(value) -> str:
    return label(_text(value))


def _row_records(values, number: int, layout: _Layout, attributes: dict, date: str | None, codes: list,
                 meta: dict) -> list[DocumentRecord]:
    row_id = _text(values[layout.id]).strip() if layout.id is not None else ""
    if layout.question is not None:  # long: one answer per row
        (index, _), = layout.text
        question = label(_text(values[layout.question])) or None
        if layout.respondent is not None:
            respondent = _text(values[layout.respondent]).strip() or None
            external_id = row_id or f"row {number}"
        else:  # the id column names the respondent; the question makes the answer unique
            respondent = row_id or None
            external_id = f"{row_id or f'row {number}'} | {question or ''}"
        return [DocumentRecord(external_id=external_id, text=_text(values[index]), kind="survey",
                               respondent=respondent, question=question, row=number, attributes=attributes,
                               date=date, codes=codes, meta=meta)]
    respondent = row_id or None
    prefix = row_id or f"row {number}"
    # Wide: one answer per question column. They share the row's attributes, codes and meta
    # (nothing changes a record's in place: copying them was a tenth of the import's Python).
    # Positional, in DocumentRecord's field order: external_id, text, kind, respondent, question,
    # date, title, answered, attributes, turns, codes, row, meta.
    return [DocumentRecord(f"{prefix} | {question}", _text(values[index]), "survey", respondent, question,
                           date, None, True, attributes, (), codes, number, meta)
            for index, question in layout.text]


def _check_pair(pairs: dict, record: DocumentRecord, path: Path) -> None:
    key = (record.respondent, record.question or "")
    first = pairs.setdefault(key, record.row)
    if first != record.row:
        raise InputError(f"respondent {record.respondent!r} answers {record.question!r} twice (first at row "
                         f"{first}). Remove the duplicate row, or check the respondent and question columns.",
                         path=path, row=record.row)


def _codes(values, layout: _Layout, sep: str, kinds: dict, path: Path, number: int) -> list[str]:
    """Code names on a row: 1/yes/x in a one-hot column gives its name; a list column gives its items."""
    codes = []
    for i, name in layout.codes:
        raw = _text(values[i]).strip()
        if not raw:
            continue
        flag = raw.casefold()
        kind = kinds.setdefault(i, "one-hot" if flag in TRUE_VALUES or flag in FALSE_VALUES else "list")
        if kind == "list":
            codes.extend(c for part in raw.split(sep) if (c := label(part)))
        elif flag in TRUE_VALUES:
            codes.append(name)
        elif flag not in FALSE_VALUES:
            raise InputError(f"{raw!r} in a 0/1 code column (earlier rows hold 0/1 values). Use 1/0, yes/no or "
                             f"x/blank, or a list of code names separated by {sep!r} in every row.",
                             path=path, row=number, column=name)
    return codes


def _text(value) -> str:
    """A cell as text: CSV fields unchanged; Excel numbers as Excel shows them."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    return str(value)


# ---------------------------------------------------------------- dates

_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
_WORDY = ("%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y", "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y")


def parse_date(value, dayfirst: bool = True) -> str | None:
    """ISO date (YYYY-MM-DD) from a cell: dd/mm/yyyy (or mm/dd with dayfirst=False), ISO,
    "3 April 2024", an Excel date cell or an Excel serial number. None when blank; ValueError
    when unreadable."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(float(value))
    text = " ".join(str(value).split())
    if not text:
        return None
    if m := _ISO.fullmatch(text):
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    if m := _DMY.fullmatch(text):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        year += 0 if len(m[3]) == 4 else (2000 if year < 70 else 1900)
        day, month = (a, b) if dayfirst else (b, a)
        return dt.date(year, month, day).isoformat()
    if re.fullmatch(r"\d{8}", text):
        return dt.datetime.strptime(text, "%Y%m%d").date().isoformat()
    if re.fullmatch(r"\d{1,5}(\.\d+)?", text):
        return _serial(float(text))
    for fmt in _WORDY:
        try:
            return dt.datetime.strptime(text.replace(".", ""), fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(text)


def _serial(number: float) -> str:
    if not 1 <= number < 2958466:
        raise ValueError(str(number))
    from openpyxl.utils.datetime import from_excel

    return from_excel(number).date().isoformat()


def _read_date(value, dayfirst: bool) -> tuple[str | None, bool]:
    """(ISO date, read the other way round?); ValueError or OverflowError when unreadable either way."""
    try:
        return parse_date(value, dayfirst), False
    except (ValueError, OverflowError):
        pass
    # Exports mix orders (10/17/2021 among UK dates): a date impossible one way but valid
    # the other is read the other way, and the document says so in its meta.
    return parse_date(value, not dayfirst), True


def _date(value, read_date, dayfirst: bool, path: Path, number: int, column: str, meta: dict) -> str | None:
    """`read_date` is `_read_date` with `dayfirst` given (and remembered per distinct cell)."""
    try:
        date, swapped = read_date(value)
    except (ValueError, OverflowError):
        order = "31/01/2024 (day first)" if dayfirst else "01/31/2024 (month first)"
        raise InputError(f"cannot read the date {_text(value)!r}. Dates must look like {order}, 2024-01-31 or "
                         "be Excel dates. Fix the cell, or leave out --date.", path=path, row=number,
                         column=column) from None
    if swapped:
        meta["date_as_written"] = _text(value)
        meta.setdefault("notes", []).append("date read " + ("month-first" if dayfirst else "day-first"))
    return date
