"""What the workbench shows, read from a review: pages of documents and survey answers,
one document with its turns, codings and attributes, and the code tree with counts.

Read-only; every list is paged by keyset (`after` the last id seen), so page 2,000 of a
100,000-answer review costs what page 1 does. The workbench runs these on Datasette's
read connections; the tests call them directly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import sqlite_utils

PAGE = 50
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]
HEX = re.compile(r"^#[0-9a-fA-F]{6}$|^#[0-9a-fA-F]{3}$")


def colour_of(code_id: int, colour: str | None) -> str:
    """The code's own colour when it is a plain hex colour (it goes into a style attribute), else one of ours."""
    return colour if colour and HEX.match(colour) else PALETTE[code_id % len(PALETTE)]


@dataclass
class Filters:
    source_id: int | None = None
    question: str | None = None
    kind: str | None = None
    coded: str | None = None        # "coded", "uncoded" (accepted codings), or None for all
    search: str | None = None       # words in the text (full-text search over segments)
    attribute: str | None = None    # "Name=Value"
    answered_only: bool = True
    after: int = 0
    limit: int = PAGE
    extra: dict = field(default_factory=dict)


def fts_query(text: str) -> str:
    """Words as FTS5 phrases: punctuation typed by a person never becomes FTS syntax."""
    words = re.findall(r"\w+", text or "")
    return " ".join(f'"{w}"' for w in words)


def _where(f: Filters) -> tuple[str, list]:
    sql, args = ["d.id > ?"], [f.after]
    if f.answered_only:
        sql.append("d.answered = 1")
    for column, value in (("source_id", f.source_id), ("question", f.question), ("kind", f.kind)):
        if value not in (None, ""):
            sql.append(f"d.{column} = ?")
            args.append(value)
    if f.coded in ("coded", "uncoded"):
        sql.append(("" if f.coded == "coded" else "NOT ") +
                   "EXISTS (SELECT 1 FROM codings g WHERE g.document_id = d.id AND g.status = 'accepted')")
    if f.attribute and "=" in f.attribute:
        name, value = f.attribute.split("=", 1)
        sql.append("EXISTS (SELECT 1 FROM attributes a WHERE a.document_id = d.id AND a.name = ? AND a.value = ?)")
        args += [name, value]
    match = fts_query(f.search or "")
    if match:
        sql.append("d.id IN (SELECT s.document_id FROM segments_fts JOIN segments s ON s.id = segments_fts.rowid "
                   "WHERE segments_fts MATCH ?)")
        args.append(match)
    return " AND ".join(sql), args


def documents_page(db: sqlite_utils.Database, f: Filters) -> dict:
    """{rows, next_after}: documents with a preview, their codings count, in id order."""
    where, args = _where(f)
    rows = db.execute(
        f"""SELECT d.id, d.external_id, d.kind, d.question, d.title, substr(d.text, 1, 240), d.source_id,
                   (SELECT count(*) FROM codings g WHERE g.document_id = d.id AND g.status = 'accepted')
            FROM documents d WHERE {where} ORDER BY d.id LIMIT ?""", args + [f.limit + 1]).fetchall()
    cols = ["id", "external_id", "kind", "question", "title", "preview", "source_id", "n_codings"]
    out = [dict(zip(cols, r)) for r in rows[:f.limit]]
    return {"rows": out, "next_after": out[-1]["id"] if len(rows) > f.limit else None}


def choices(db: sqlite_utils.Database) -> dict:
    """Filter choices: sources, questions, kinds, attribute names."""
    return {
        "sources": [{"id": i, "name": n} for i, n in db.execute("SELECT id, name FROM sources ORDER BY id")],
        "questions": _distinct(db, "documents", "question", 200),
        "attributes": _distinct(db, "attributes", "name", 50),
    }


def _distinct(db, table: str, column: str, limit: int) -> list:
    """Distinct values of an indexed column by hopping through the index (a loose index
    scan): milliseconds on 100k rows, where SELECT DISTINCT reads every entry."""
    sql = f"""WITH RECURSIVE v(x) AS (SELECT min({column}) FROM {table}
                  UNION ALL SELECT (SELECT min({column}) FROM {table} WHERE {column} > v.x) FROM v WHERE v.x IS NOT NULL)
              SELECT x FROM v WHERE x IS NOT NULL LIMIT ?"""
    return [r[0] for r in db.execute(sql, [limit])]


def neighbours(db: sqlite_utils.Database, document_id: int, f: Filters | None = None) -> dict:
    """The previous and next documents (same filters), for the reader's keys."""
    f = f or Filters()
    f_next = Filters(**{**f.__dict__, "after": document_id, "limit": 1})
    where, args = _where(f_next)
    nxt = db.execute(f"SELECT d.id FROM documents d WHERE {where} ORDER BY d.id LIMIT 1", args).fetchone()
    where, args = _where(Filters(**{**f.__dict__, "after": 0}))
    prev = db.execute(f"SELECT d.id FROM documents d WHERE {where} AND d.id < ? ORDER BY d.id DESC LIMIT 1",
                      args + [document_id]).fetchone()
    return {"previous": prev[0] if prev else None, "next": nxt[0] if nxt else None}


def document_view(db: sqlite_utils.Database, document_id: int) -> dict | None:
    """One document: its text cut into pieces at every segment and coding boundary, so each
    piece carries exactly the codings that cover it (overlaps included)."""
    row = db.execute("SELECT id, external_id, kind, question, title, text, date, respondent_id, source_id "
                     "FROM documents WHERE id = ?", [document_id]).fetchone()
    if row is None:
        return None
    doc = dict(zip(["id", "external_id", "kind", "question", "title", "text", "date", "respondent_id",
                    "source_id"], row))
    text = doc["text"]
    doc["attributes"] = [{"name": n, "value": v} for n, v in db.execute(
        "SELECT name, value FROM attributes WHERE document_id = ? ORDER BY name", [document_id])]
    doc["respondent"] = None
    if doc["respondent_id"] is not None:
        r = db.execute("SELECT external_id FROM respondents WHERE id = ?", [doc["respondent_id"]]).fetchone()
        doc["respondent"] = r[0] if r else None
    segments = [dict(zip(["id", "seq", "speaker", "role", "start", "end", "t_start", "t_end"], r)) for r in db.execute(
        'SELECT id, seq, speaker, role, start, "end", t_start, t_end FROM segments WHERE document_id = ? ORDER BY seq',
        [document_id])]
    codings = [dict(zip(["id", "start", "end", "code_id", "key", "name", "colour", "coder", "origin", "status",
                         "confidence"], r)) for r in db.execute(
        """SELECT g.id, g.start, g."end", g.code_id, c.key, c.name, c.colour, g.coder, g.origin, g.status,
                  g.confidence
           FROM codings g JOIN codes c ON c.id = g.code_id
           WHERE g.document_id = ? AND g.status != 'rejected' ORDER BY g.start, g."end", c.name""", [document_id])]
    for c in codings:
        c["colour"] = colour_of(c["code_id"], c["colour"])
        c["quote"] = text[c["start"]:c["end"]]
    if not segments:  # a document without segments is read whole
        segments = [{"id": None, "seq": 0, "speaker": None, "role": None, "start": 0, "end": len(text),
                     "t_start": None, "t_end": None}]
    for s in segments:
        s["time"] = timestamp(s["t_start"])
        s["pieces"] = pieces(text, s["start"], s["end"], codings)
    doc["segments"] = segments
    doc["codings"] = codings
    doc["length"] = len(text)
    return doc


def pieces(text: str, start: int, end: int, codings: list[dict]) -> list[dict]:
    """text[start:end] split at every coding boundary inside it: [{start, end, text, codings}]."""
    cuts = {start, end}
    for c in codings:
        if c["end"] > start and c["start"] < end:
            cuts.update(x for x in (c["start"], c["end"]) if start < x < end)
    edges = sorted(cuts)
    out = []
    for a, b in zip(edges, edges[1:]):
        over = [c for c in codings if c["start"] <= a and c["end"] >= b and c["end"] > c["start"]]
        out.append({"start": a, "end": b, "text": text[a:b], "codings": over})
    return out


def timestamp(seconds) -> str | None:
    if seconds is None:
        return None
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def offset_from_utf16(piece_text: str, units: int) -> int:
    """A browser's offset (UTF-16 code units) into a piece, as characters (code points):
    an emoji is 2 units in JavaScript and 1 character in Python. Mid-pair snaps forward."""
    count = 0
    for i, ch in enumerate(piece_text):
        if count >= units:
            return i
        count += 2 if ord(ch) > 0xFFFF else 1
    return len(piece_text)


def codes_list(db: sqlite_utils.Database) -> list[dict]:
    """Codable, live codes for the picker: id, key, name, path (parent names), colour."""
    rows = db.execute("""SELECT c.id, c.key, c.name, c.parent_id, c.colour, c.codable, b.name, c.description
                         FROM codes c JOIN codebooks b ON b.id = c.codebook_id
                         WHERE c.archived = 0 ORDER BY b.id, c.position, c.id""").fetchall()
    names = {r[0]: (r[2], r[3]) for r in rows}
    out = []
    for cid, key, name, parent, colour, codable, book, desc in rows:
        if not codable:
            continue
        path, p, seen = [], parent, set()
        while p in names and p not in seen:
            seen.add(p)
            path.insert(0, names[p][0])
            p = names[p][1]
        out.append({"id": cid, "key": key, "name": name, "path": " › ".join(path), "colour": colour_of(cid, colour),
                    "codebook": book, "description": desc or ""})
    return out


def code_tree(db: sqlite_utils.Database) -> list[dict]:
    """Every codebook's live codes as a tree, with accepted codings per coder and suggestions."""
    counts: dict[int, dict] = {}
    for code_id, coder, status, n in db.execute(
            "SELECT code_id, coder, status, count(*) FROM codings GROUP BY code_id, coder, status"):
        c = counts.setdefault(code_id, {"accepted": 0, "suggested": 0, "by_coder": {}})
        if status == "accepted":
            c["accepted"] += n
            c["by_coder"][coder] = c["by_coder"].get(coder, 0) + n
        elif status == "suggested":
            c["suggested"] += n
    books = []
    for book_id, book_name in db.execute("SELECT id, name FROM codebooks ORDER BY id").fetchall():
        version = db.execute("SELECT max(version) FROM codebook_versions WHERE codebook_id = ?", [book_id]).fetchone()[0]
        rows = db.execute("""SELECT id, parent_id, key, name, description, include, exclude, colour, codable, rules
                             FROM codes WHERE codebook_id = ? AND archived = 0 ORDER BY position, id""",
                          [book_id]).fetchall()
        nodes = {}
        for cid, parent, key, name, desc, inc, exc, colour, codable, rules in rows:
            n = counts.get(cid, {"accepted": 0, "suggested": 0, "by_coder": {}})
            nodes[cid] = {"id": cid, "parent_id": parent, "key": key, "name": name, "description": desc or "",
                          "include": inc or "", "exclude": exc or "", "colour": colour_of(cid, colour),
                          "codable": bool(codable), "rules": json.loads(rules or "{}"), "children": [],
                          "accepted": n["accepted"], "suggested": n["suggested"],
                          "by_coder": sorted(n["by_coder"].items())}
        top = []
        for node in nodes.values():
            (nodes[node["parent_id"]]["children"] if node["parent_id"] in nodes else top).append(node)
        books.append({"id": book_id, "name": book_name, "version": version, "codes": top})
    return books


def code_segments(db: sqlite_utils.Database, code_id: int, *, after: int = 0, limit: int = PAGE) -> dict:
    """Every coded passage of one code (accepted and suggested), keyset-paged by coding id."""
    rows = db.execute("""SELECT g.id, g.document_id, d.external_id, g.start, g."end", substr(d.text, g.start + 1,
                                g."end" - g.start), g.coder, g.origin, g.status
                         FROM codings g JOIN documents d ON d.id = g.document_id
                         WHERE g.code_id = ? AND g.status != 'rejected' AND g.id > ? ORDER BY g.id LIMIT ?""",
                      [code_id, after, limit + 1]).fetchall()
    cols = ["id", "document_id", "external_id", "start", "end", "quote", "coder", "origin", "status"]
    out = [dict(zip(cols, r)) for r in rows[:limit]]
    return {"rows": out, "next_after": out[-1]["id"] if len(rows) > limit else None}


def grid_page(db: sqlite_utils.Database, f: Filters) -> dict:
    """Survey answers to one question, one per row: attributes and accepted codes beside each."""
    f = Filters(**{**f.__dict__, "kind": "survey"})
    page = documents_page(db, f)
    ids = [r["id"] for r in page["rows"]]
    if not ids:
        return {**page, "attribute_names": []}
    marks = ",".join("?" * len(ids))
    attrs: dict[int, dict] = {}
    for doc_id, name, value in db.execute(
            f"SELECT document_id, name, value FROM attributes WHERE document_id IN ({marks})", ids):
        attrs.setdefault(doc_id, {})[name] = value
    chips: dict[int, list] = {}
    for doc_id, gid, code_id, key, name, colour, coder, start, end in db.execute(
            f"""SELECT g.document_id, g.id, g.code_id, c.key, c.name, c.colour, g.coder, g.start, g."end"
                FROM codings g JOIN codes c ON c.id = g.code_id
                WHERE g.document_id IN ({marks}) AND g.status = 'accepted' ORDER BY c.name""", ids):
        chips.setdefault(doc_id, []).append({"coding_id": gid, "code_id": code_id, "key": key, "name": name,
                                             "colour": colour_of(code_id, colour), "coder": coder,
                                             "start": start, "end": end})
    texts = dict(db.execute(f"SELECT id, text FROM documents WHERE id IN ({marks})", ids).fetchall())
    names = sorted({n for a in attrs.values() for n in a})
    for r in page["rows"]:
        r["text"] = texts[r["id"]]
        r["attributes"] = attrs.get(r["id"], {})
        r["codes"] = chips.get(r["id"], [])
    return {**page, "attribute_names": names}
