"""Export codings to CSV or XLSX, keyed by each document's external id.

One row per document or per segment; codes as 0/1 columns or as one `; `-joined
`codes` column, with who coded (coders), how (origins) and the confidence of each
suggested code. The id column is named after the import's id column (e.g.
`Comment ID`) when every exported document came through the same one, so the file
joins back onto the original export.

    export_codings(db, "codings.csv", ExportOptions(fmt="csv", by="document"))
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from ..errors import RapidReviewError
from .units import HUMAN_ACCEPTED

SEP = "; "


@dataclass
class ExportOptions:
    fmt: str = "csv"  # csv | xlsx
    by: str = "document"  # document | segment
    codes_as: str = "joined"  # joined | columns
    suggestions: bool = False  # include undecided suggestions (with their confidence)
    coders: list[str] | None = None  # only these coders ('rules', 'model' or people)
    min_confidence: float | None = None  # drop suggestions below this confidence
    answered_only: bool = False


def _check(options: ExportOptions) -> None:
    for name, value, allowed in (("format", options.fmt, ("csv", "xlsx")), ("--by", options.by, ("document", "segment")),
                                 ("--codes-as", options.codes_as, ("joined", "columns"))):
        if value not in allowed:
            raise RapidReviewError(f"unknown {name} {value!r}: use {' or '.join(allowed)}.")


def id_header(db: sqlite_utils.Database) -> str:
    names = set()
    for (options,) in db.execute("SELECT options FROM sources"):
        try:
            names.add(json.loads(options or "{}").get("id"))
        except json.JSONDecodeError:
            names.add(None)
    return names.pop() if len(names) == 1 and None not in names else "id"


def rows(db: sqlite_utils.Database, options: ExportOptions | None = None) -> tuple[list[str], list[list]]:
    """(header, rows) of the export."""
    options = options or ExportOptions()
    _check(options)
    codable = "AND k.codable = 1" if "codable" in db["codes"].columns_dict else ""
    codes = [r for r in db.execute(f"""SELECT k.id, k.name FROM codes k JOIN codebooks b ON b.id = k.codebook_id
                                       WHERE k.archived = 0 {codable} ORDER BY b.id, k.id""")]
    index = {c[0]: j for j, c in enumerate(codes)}
    units = _units(db, options)
    by_unit: dict = {}
    for unit_key, code_id, coder, origin, confidence in _codings(db, options):
        if unit_key in units and code_id in index:
            by_unit.setdefault(unit_key, {}).setdefault(code_id, []).append((coder, origin, confidence))
    head = [id_header(db), "question"]
    head += ["segment", "start", "end", "text"] if options.by == "segment" else []
    if options.codes_as == "columns":
        head += [name for _, name in codes]
    else:
        head += ["codes", "confidence"]
    head += ["coders", "origins"]
    out = []
    for key, info in units.items():
        found = by_unit.get(key, {})
        ordered = sorted(found, key=lambda c: index[c])
        row = [info["external_id"], info["question"]]
        if options.by == "segment":
            row += [info["seq"], info["start"], info["end"], info["text"]]
        if options.codes_as == "columns":
            row += [1 if c[0] in found else 0 for c in codes]
        else:
            row += [SEP.join(codes[index[c]][1] for c in ordered),
                    SEP.join(_confidence(found[c]) for c in ordered)]
        row += [SEP.join(sorted({x[0] for c in ordered for x in found[c]})),
                SEP.join(sorted({x[1] for c in ordered for x in found[c]}))]
        out.append(row)
    return head, out


def _confidence(entries) -> str:
    values = [e[2] for e in entries if e[2] is not None]
    if not values or any(e[1] in ("manual", "import") for e in entries):
        return ""  # a person's coding has no confidence
    return f"{max(values):.3f}"


def _units(db, options: ExportOptions) -> dict:
    answered = "AND d.answered = 1" if options.answered_only else ""
    if options.by == "document":
        return {d: {"external_id": e, "question": q} for d, e, q in db.execute(
            f"SELECT d.id, d.external_id, d.question FROM documents d WHERE 1 {answered} ORDER BY d.id")}
    out = {}
    for doc, seg, seq, start, end, text, e, q in db.execute(
            f"""SELECT d.id, s.id, s.seq, s.start, s."end", s.text, d.external_id, d.question
                FROM segments s JOIN documents d ON d.id = s.document_id WHERE 1 {answered}
                ORDER BY d.id, s.seq"""):
        out[(doc, seg)] = {"external_id": e, "question": q, "seq": seq, "start": start, "end": end, "text": text}
    return out


def _codings(db, options: ExportOptions):
    status = f"({HUMAN_ACCEPTED} OR c.status = 'accepted'"
    status += " OR c.status = 'suggested')" if options.suggestions else ")"
    params: list = []
    where = ""
    if options.coders:
        where += f" AND (c.coder IN ({','.join('?' * len(options.coders))})"
        where += f" OR c.decided_by IN ({','.join('?' * len(options.coders))}))"
        params += list(options.coders) * 2
    if options.min_confidence is not None:
        where += " AND (c.status != 'suggested' OR c.confidence IS NULL OR c.confidence >= ?)"
        params.append(options.min_confidence)
    seg = """coalesce(c.segment_id, (SELECT s.id FROM segments s WHERE s.document_id = c.document_id
             AND s.start <= c.start AND c."end" <= s."end" ORDER BY s.seq LIMIT 1))"""
    for doc, segment, code_id, coder, decided_by, origin, confidence in db.execute(
            f"""SELECT c.document_id, {seg if options.by == 'segment' else 'NULL'}, c.code_id, c.coder, c.decided_by,
                       c.origin, c.confidence FROM codings c WHERE {status} {where}""", params):
        key = doc if options.by == "document" else (doc, segment)
        yield key, code_id, decided_by or coder, origin, confidence


def export_codings(db: sqlite_utils.Database, path, options: ExportOptions | None = None) -> int:
    """Write the export to `path`; returns the number of rows."""
    options = options or ExportOptions()
    head, data = rows(db, options)
    path = Path(path)
    if options.fmt == "csv":
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(head)
            writer.writerows(data)
    else:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("codings")
        ws.append(head)
        for row in data:
            ws.append([_safe_cell(v) for v in row])
        wb.save(path)
    return len(data)


def _safe_cell(value):
    # A cell starting with = + - @ would run as a formula in Excel: keep it text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
