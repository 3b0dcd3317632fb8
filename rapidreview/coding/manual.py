"""Manual coding: a person applies or removes a code on a segment or an exact span.

Spans are character offsets into the document's text (never a copy of it), checked
against that text. Each coder has their own codings (unique per span, code and coder),
which is what makes agreement between coders computable. Every change is logged.
"""

from __future__ import annotations

import sqlite_utils

from .. import store
from ..codebook.versions import find_code
from ..errors import InputError, NotFound
from ..suggest import nearest

ORIGIN = "manual"


def resolve_document(db: sqlite_utils.Database, ref) -> dict:
    """A document by its external id (as in the source file) or its row id. An int is always
    the row id: the workbench knows exactly which document, even when waves share external ids."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        exact = db.execute("SELECT id, external_id, text FROM documents WHERE id = ?", [ref]).fetchone()
        if exact is None:
            raise NotFound(f"no document with row id {ref}")
        return {"id": exact[0], "external_id": exact[1], "text": exact[2]}
    ref = str(ref).strip()
    row = db.execute("SELECT id, external_id, text FROM documents WHERE external_id = ?", [ref]).fetchall()
    if not row:
        # A wide export's answers are "<respondent> | <question>": a respondent with one answer will do.
        row = db.execute("SELECT d.id, d.external_id, d.text FROM documents d JOIN respondents r "
                         "ON r.id = d.respondent_id WHERE r.external_id = ? ORDER BY d.id", [ref]).fetchall()
        if len(row) > 1:
            raise NotFound(f"respondent {ref!r} has {len(row)} answers; say which: "
                           + ", ".join(repr(r[1]) for r in row[:10]))
    if not row and ref.isdigit():
        row = db.execute("SELECT id, external_id, text FROM documents WHERE id = ?", [int(ref)]).fetchall()
    if len(row) > 1:
        raise NotFound(f"document id {ref!r} occurs in {len(row)} sources; give the row id instead "
                       f"({', '.join(str(r[0]) for r in row)})")
    if not row:
        sample = [r[0] for r in db.execute("SELECT external_id FROM documents LIMIT 2000")]
        close = nearest(ref, sample)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise NotFound(f"no document {ref!r}{hint} List them with `rapidreview documents REVIEW_DB`.")
    return {"id": row[0][0], "external_id": row[0][1], "text": row[0][2]}


def resolve_span(db: sqlite_utils.Database, *, segment=None, document=None, start=None, end=None,
                 quote: str | None = None, occurrence: int | None = None) -> dict:
    """Where a coding goes: {document_id, external_id, segment_id, start, end, text}."""
    if segment is not None:
        row = db.execute('SELECT id, document_id, start, "end" FROM segments WHERE id = ?', [int(segment)]).fetchone()
        if row is None:
            raise NotFound(f"no segment {segment}. Segment ids are shown by `rapidreview segments REVIEW_DB`.")
        doc = db.execute("SELECT id, external_id, text FROM documents WHERE id = ?", [row[1]]).fetchone()
        if document is not None and resolve_document(db, document)["id"] != row[1]:
            raise InputError(f"segment {segment} is not in document {document!r}")
        if start is not None or end is not None or quote is not None:
            raise InputError("give either a segment, or a document with --start/--end or --quote, not both")
        return _span(doc, row[0], row[2], row[3])
    if document is None:
        raise InputError("say where: --segment ID, or --document ID with --start and --end (or --quote)")
    doc = resolve_document(db, document)
    text = doc["text"]
    if quote is not None:
        if start is not None or end is not None:
            raise InputError("give --quote or --start/--end, not both")
        start, end = _find_quote(text, quote, occurrence, doc["external_id"])
    elif start is None and end is None:
        segs = db.execute('SELECT id, start, "end" FROM segments WHERE document_id = ? ORDER BY seq',
                          [doc["id"]]).fetchall()
        if len(segs) != 1:
            raise InputError(f"document {doc['external_id']!r} has {len(segs)} segments: say which with --segment, "
                             "or give --start and --end (or --quote)")
        return _span((doc["id"], doc["external_id"], text), *segs[0])
    if start is None or end is None:
        raise InputError("give both --start and --end (character offsets into the document text)")
    start, end = int(start), int(end)
    if not 0 <= start < end <= len(text):
        raise InputError(f"span {start}-{end} is outside document {doc['external_id']!r}, whose text has "
                         f"{len(text)} characters: need 0 <= start < end <= {len(text)}")
    seg = db.execute('SELECT id FROM segments WHERE document_id = ? AND start <= ? AND "end" >= ? '
                     'ORDER BY "end" - start LIMIT 1', [doc["id"], start, end]).fetchone()
    return _span((doc["id"], doc["external_id"], text), seg[0] if seg else None, start, end)


def _span(doc, segment_id, start, end) -> dict:
    doc_id, external_id, text = doc if not isinstance(doc, dict) else (doc["id"], doc["external_id"], doc["text"])
    return {"document_id": doc_id, "external_id": external_id, "segment_id": segment_id,
            "start": start, "end": end, "text": text[start:end]}


def _find_quote(text: str, quote: str, occurrence: int | None, external_id: str) -> tuple[int, int]:
    if not quote:
        raise InputError("the quote is empty")
    hits, at = [], text.find(quote)
    while at >= 0:
        hits.append(at)
        at = text.find(quote, at + 1)
    if not hits:
        folded = text.casefold().find(quote.casefold())
        hint = f" (it does appear with different capitals at {folded})" if folded >= 0 else ""
        raise InputError(f"the quote {quote!r} is not in document {external_id!r}{hint}; quote the text exactly")
    if occurrence is None:
        if len(hits) > 1:
            raise InputError(f"the quote {quote!r} appears {len(hits)} times in document {external_id!r} "
                             f"(at {', '.join(map(str, hits))}); say which with --occurrence N (from 1)")
        occurrence = 1
    if not 1 <= occurrence <= len(hits):
        raise InputError(f"--occurrence {occurrence}: the quote appears {len(hits)} time(s)")
    start = hits[occurrence - 1]
    return start, start + len(quote)


def _code_for_coding(db, code, codebook):
    found = find_code(db, code, codebook=codebook)
    if not found["codable"]:
        raise InputError(f"code {found['key']!r} ({found['name']!r}) is a category heading (codable: false); "
                         "apply one of its children")
    return found


def apply_code(db: sqlite_utils.Database, code, *, coder: str | None = None, codebook: str | None = None,
               **where) -> dict:
    """Apply `code` (key, name or id) where `where` says (see resolve_span), as `coder`.
    Applying again is a no-op; a suggestion or rejection by the same coder becomes accepted."""
    coder = coder or store.default_actor()
    with store.transaction(db):
        found = _code_for_coding(db, code, codebook)
        span = resolve_span(db, **where)
        row = db.execute('SELECT id, status, origin FROM codings WHERE document_id = ? AND start = ? AND "end" = ? '
                         'AND code_id = ? AND coder = ?',
                         [span["document_id"], span["start"], span["end"], found["id"], coder]).fetchone()
        if row and row[1] == "accepted":
            return _result("unchanged", found, span, coder, row[0])
        if row:
            db.execute("UPDATE codings SET status = 'accepted', origin = ?, confidence = NULL WHERE id = ?",
                       [ORIGIN, row[0]])
            coding_id, action = row[0], "accepted"
        else:
            coding_id = db.execute(
                'INSERT INTO codings (document_id, segment_id, start, "end", code_id, coder, origin, status, '
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'accepted', ?)",
                [span["document_id"], span["segment_id"], span["start"], span["end"], found["id"], coder, ORIGIN,
                 store.now()]).lastrowid
            action = "applied"
        result = _result(action, found, span, coder, coding_id)
        store.log_event(db, "coding.apply", _payload(result), coder)
        return result


def remove_code(db: sqlite_utils.Database, code, *, coder: str | None = None, codebook: str | None = None,
                **where) -> dict:
    """Remove `coder`'s own coding of `code` at that span. Other coders' codings are untouched."""
    coder = coder or store.default_actor()
    with store.transaction(db):
        found = find_code(db, code, codebook=codebook, archived=True)
        span = resolve_span(db, **where)
        row = db.execute('SELECT id, status FROM codings WHERE document_id = ? AND start = ? AND "end" = ? '
                         'AND code_id = ? AND coder = ?',
                         [span["document_id"], span["start"], span["end"], found["id"], coder]).fetchone()
        if row is None:
            have = [r[0] for r in db.execute(
                'SELECT DISTINCT c.key FROM codings g JOIN codes c ON c.id = g.code_id WHERE g.document_id = ? '
                'AND g.coder = ? AND g.start <= ? AND g."end" >= ?',
                [span["document_id"], coder, span["end"], span["start"]])]
            hint = f" Their codes here: {', '.join(have)}." if have else ""
            raise NotFound(f"{coder!r} has not applied {found['key']!r} to {span['external_id']!r} "
                           f"{span['start']}-{span['end']}.{hint}")
        db.execute("DELETE FROM codings WHERE id = ?", [row[0]])
        result = _result("removed", found, span, coder, row[0])
        result["was"] = row[1]
        store.log_event(db, "coding.remove", _payload(result), coder)
        return result


def remove_coding(db: sqlite_utils.Database, coding_id: int, document_id: int, *, coder: str | None = None) -> dict:
    """`remove_code` for a coding known by its id (the workbench's Remove button)."""
    row = db.execute('SELECT code_id, start, "end" FROM codings WHERE id = ? AND document_id = ?',
                     [coding_id, document_id]).fetchone()
    if row is None:
        raise NotFound(f"no coding {coding_id} in this document: reload the page")
    return remove_code(db, row[0], coder=coder, document=document_id, start=row[1], end=row[2])


def _result(action, code, span, coder, coding_id) -> dict:
    return {"action": action, "coding_id": coding_id, "code": code["key"], "code_name": code["name"],
            "code_id": code["id"], "coder": coder, **span}


def _payload(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "text"} | {"quote": result["text"][:200]}


def codings_for(db: sqlite_utils.Database, document, *, coder: str | None = None) -> list[dict]:
    """Every coding of one document, in text order."""
    doc = resolve_document(db, document)
    sql = ('SELECT g.id, g.segment_id, g.start, g."end", c.key, c.name, g.coder, g.origin, g.status, g.confidence '
           "FROM codings g JOIN codes c ON c.id = g.code_id WHERE g.document_id = ?")
    args = [doc["id"]]
    if coder:
        sql += " AND g.coder = ?"
        args.append(coder)
    cols = ["id", "segment_id", "start", "end", "code", "code_name", "coder", "origin", "status", "confidence"]
    rows = [dict(zip(cols, r)) for r in db.execute(sql + ' ORDER BY g.start, g."end", c.key, g.coder', args)]
    for r in rows:
        r["text"] = doc["text"][r["start"]:r["end"]]
    return rows
