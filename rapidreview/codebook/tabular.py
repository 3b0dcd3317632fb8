"""Codebooks as a table (CSV or XLSX): one row per code, the hierarchy by a `parent` column.

What people keep in a spreadsheet: `code` (the name) is the only column needed.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .model import Code, Codebook, CodebookError, Problem, unique_slug
from .schema import check

COLUMNS = ["code", "key", "parent", "description", "include", "exclude", "examples", "colour", "group",
           "codable", "keywords", "exclude_terms", "patterns", "min_matches"]
ALIASES = {"name": "code", "code name": "code", "color": "colour", "parent code": "parent",
           "exclusions": "exclude", "inclusions": "include", "definition": "description"}


def read_table(path, *, name: str | None = None) -> Codebook:
    path = Path(path)
    if not path.exists():
        raise CodebookError("no such file", path=path)
    rows = _xlsx_rows(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(path)
    return rows_to_codebook(rows, name=name or path.stem, path=path)


def _csv_rows(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_rows(path: Path) -> list[list[str]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def rows_to_codebook(rows: list[list[str]], *, name: str, path=None) -> Codebook:
    if not rows:
        raise CodebookError("the table is empty; it needs a header row with a 'code' column", path=path)
    header = [ALIASES.get(h.strip().casefold(), h.strip().casefold()) for h in rows[0]]
    if "code" not in header:
        raise CodebookError(f"no 'code' column (the code's name); columns found: {', '.join(rows[0])}", path=path)
    unknown = [rows[0][i] for i, h in enumerate(header) if h and h not in COLUMNS]
    if unknown:
        raise CodebookError(f"unknown column(s) {', '.join(map(repr, unknown))}; known: {', '.join(COLUMNS)}",
                            path=path)
    problems: list[Problem] = []
    taken: set[str] = set()
    entries = []  # (row number, code, parent reference)
    for n, row in enumerate(rows[1:], start=2):
        cells = {h: (row[i].strip() if i < len(row) and row[i] is not None else "") for i, h in enumerate(header) if h}
        if not any(cells.values()):
            continue
        if not cells.get("code"):
            problems.append(Problem("the 'code' cell is empty", n, "code"))
            continue
        key = cells.get("key") or unique_slug(cells["code"], taken)
        taken.add(key)
        rules = _rules(cells, n, problems)
        code = Code(key=key, name=cells["code"], description=cells.get("description") or None,
                    include=cells.get("include") or None, exclude=cells.get("exclude") or None,
                    examples=[e.strip() for e in (cells.get("examples") or "").splitlines() if e.strip()],
                    colour=cells.get("colour") or None, group=cells.get("group") or None,
                    codable=(cells.get("codable") or "true").casefold() not in ("false", "0", "no", "n"),
                    rules=rules, line=n)
        entries.append((n, code, cells.get("parent") or None))
    by_ref = {}
    for _, code, _ in entries:
        by_ref.setdefault(code.key, code)
        by_ref.setdefault(code.name.casefold(), code)
    top = []
    for n, code, parent in entries:
        if parent is None:
            top.append(code)
            continue
        up = by_ref.get(parent) or by_ref.get(parent.casefold())
        if up is None:
            problems.append(Problem(f"parent {parent!r} is not a code in this table", n, "parent"))
        elif up is code or _is_below(up, code):
            problems.append(Problem(f"parent {parent!r} would make a loop", n, "parent"))
        else:
            up.children.append(code)
    if problems:
        raise CodebookError(_rows(problems), path=path)
    book = Codebook(name=name, codes=top, path=str(path) if path else None)
    rows_of = {code.key: code.line for code, _, _ in book.walk()}
    semantic = check(book.to_dict())
    if semantic:
        # Report by row: map 'codes[..]' paths back through the code's key in the label.
        for p in semantic:
            key = p.field.split("(", 1)[1].split(")", 1)[0] if p.field and "(" in p.field else None
            p.line = rows_of.get(key)
        raise CodebookError(_rows(semantic), path=path)
    return book


def _rows(problems: list[Problem]) -> list[Problem]:
    for p in problems:
        p.unit = "row"
    return problems


def _is_below(code: Code, ancestor: Code) -> bool:
    return any(c is code or _is_below(code, c) for c in ancestor.children)


def _rules(cells: dict, n: int, problems: list[Problem]) -> dict:
    rules: dict = {}
    for column, field in (("keywords", "keywords"), ("exclude_terms", "exclude")):
        terms = [t.strip() for t in (cells.get(column) or "").replace("\n", ";").split(";") if t.strip()]
        if terms:
            rules[field] = terms
    if cells.get("patterns"):
        try:
            patterns = json.loads(cells["patterns"])
            if not isinstance(patterns, list):
                raise ValueError
            rules["patterns"] = patterns
        except ValueError:
            problems.append(Problem('patterns must be a JSON list of token patterns, e.g. [[{"LEMMA": "wait"}]]',
                                    n, "patterns"))
    if cells.get("min_matches"):
        try:
            rules["min_matches"] = int(float(cells["min_matches"]))
        except ValueError:
            problems.append(Problem("min_matches must be a whole number", n, "min_matches"))
    return rules


def codebook_rows(book: Codebook) -> list[list]:
    """Header plus one row per code, parents before children."""
    out = [COLUMNS]
    for code, parent, _ in book.walk():
        rules = code.rules or {}
        out.append([
            code.name, code.key, parent.key if parent else "", code.description or "", code.include or "",
            code.exclude or "", "\n".join(code.examples), code.colour or "", code.group or "",
            "" if code.codable else "false", "; ".join(rules.get("keywords", [])),
            "; ".join(rules.get("exclude", [])),
            json.dumps(rules["patterns"], ensure_ascii=False) if rules.get("patterns") else "",
            rules.get("min_matches", ""),
        ])
    return out


def write_table(book: Codebook, path) -> None:
    path = Path(path)
    rows = codebook_rows(book)
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "codebook"[:31]
        for row in rows:
            ws.append(row)
        ws.freeze_panes = "A2"
        wb.save(path)
    else:
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)


__all__ = ["COLUMNS", "codebook_rows", "read_table", "rows_to_codebook", "write_table"]
