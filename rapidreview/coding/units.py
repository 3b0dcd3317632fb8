"""The units we code: segments, and (where people code them) unanswered documents.

A unit is a segment; a document with no segments (an unanswered or placeholder answer)
is a unit of its own, spanning its whole text, but only when people have coded such
documents (some teams code "Did not answer" as a category; most never code it).
Human labels are the accepted codings people made: manual or imported codings, and
suggestions a person accepted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple

import sqlite_utils

# Codings that are human decisions to apply a code.
HUMAN_ACCEPTED = "(c.origin IN ('manual', 'import') OR c.decided_by IS NOT NULL) AND c.status = 'accepted'"
# Any human decision on a (span, code): applied, accepted or rejected.
HUMAN_DECIDED = "(c.origin IN ('manual', 'import') OR c.decided_by IS NOT NULL OR c.status != 'suggested')"
MACHINE_CODERS = ("rules", "model")


class Unit(NamedTuple):  # a tuple: 100k of them load in a fraction of a frozen dataclass's time
    document_id: int
    segment_id: int | None
    start: int
    end: int
    text: str
    question: str | None
    external_id: str
    # The document's attributes as sorted (name, value) pairs: the case data a coder sees
    # beside the answer (service, rating...). Filled only when asked (the model uses them).
    attributes: tuple = ()

    @property
    def key(self) -> tuple[int, int | None]:
        return (self.document_id, self.segment_id)


def load_units(db: sqlite_utils.Database, *, unanswered: bool = False, document_ids=None,
               attributes: bool = False) -> list[Unit]:
    """Every segment (in document order), plus unanswered documents when asked, with
    their documents' attributes when asked."""
    where, params = "", []
    if document_ids is not None:
        ids = sorted(set(document_ids))
        where = f" AND d.id IN ({','.join('?' * len(ids))})"
        params = ids
    extra = f", {_ATTRIBUTES_OF_D}" if attributes else ""
    rows = list(db.execute(
        f"""SELECT s.document_id, s.id, s.start, s."end", s.text, d.question, d.external_id {extra}
            FROM segments s JOIN documents d ON d.id = s.document_id WHERE 1 {where}
            ORDER BY s.document_id, s.seq""", params))
    if unanswered:
        rows += db.execute(
            f"""SELECT d.id, NULL, 0, length(d.text), d.text, d.question, d.external_id {extra} FROM documents d
                WHERE NOT EXISTS (SELECT 1 FROM segments s WHERE s.document_id = d.id)
                  AND trim(d.text) != '' {where} ORDER BY d.id""", params).fetchall()
    if not attributes:
        return [Unit._make((*row, ())) for row in rows]
    parse = _attribute_parser()
    return [Unit._make((*row[:7], parse(row[7]))) for row in rows]


# A document's attributes as one JSON array of [name, value] pairs, read with its units:
# a third of the time of reading the attributes table on its own and matching them up.
_ATTRIBUTES_OF_D = """(SELECT json_group_array(json_array(a.name, a.value)) FROM attributes a
                        WHERE a.document_id = d.id AND a.value IS NOT NULL AND a.value != '')"""


def _attribute_parser():
    """JSON pairs -> sorted tuple of (name, value), parsed once per distinct set (a review
    repeats the same few services and ratings on thousands of answers)."""
    seen: dict = {}

    def parse(text):
        if text not in seen:
            seen[text] = tuple(sorted((str(n), str(v)) for n, v in json.loads(text or "[]")))
        return seen[text]

    return parse


def with_attributes(db: sqlite_utils.Database, units: list[Unit]) -> list[Unit]:
    """The units with their documents' attributes filled in."""
    docs = sorted({u.document_id for u in units})
    parse, pairs = _attribute_parser(), {}
    for i in range(0, len(docs), 500):  # SQLite's limit on bound parameters
        chunk = docs[i:i + 500]
        pairs.update((doc, parse(text)) for doc, text in db.execute(
            f"SELECT d.id, {_ATTRIBUTES_OF_D} FROM documents d WHERE d.id IN ({','.join('?' * len(chunk))})", chunk))
    return [Unit._make((*u[:7], pairs.get(u.document_id, ()))) for u in units]


UNIT_OF_CODING = """coalesce(c.segment_id, (
    SELECT s.id FROM segments s WHERE s.document_id = c.document_id AND s.start <= c.start AND c."end" <= s."end"
    ORDER BY s.seq LIMIT 1))"""


@dataclass
class Labels:
    """What people decided on one unit. `complete`: a person coded the unit themselves
    (manual or imported codings, or read the document: `coder_documents`), so a code
    they did not apply is a no. Otherwise only the suggestions they accepted (yes) or
    rejected (no) are known; every other code is unknown, not a no."""

    positive: set
    negative: set
    complete: bool


def human_decisions(db: sqlite_utils.Database, code_ids=None) -> dict[tuple[int, int | None], Labels]:
    """(document_id, segment_id or None) -> Labels, for every unit a person decided on."""
    out: dict[tuple[int, int | None], Labels] = {}
    wanted = None if code_ids is None else set(code_ids)
    rows = db.execute(f"""
        SELECT c.document_id, {UNIT_OF_CODING} AS unit, c.code_id, c.status, c.origin IN ('manual', 'import'),
               EXISTS (SELECT 1 FROM segments s WHERE s.document_id = c.document_id) AS has_segments
        FROM codings c JOIN codes k ON k.id = c.code_id
        WHERE k.archived = 0 AND (c.origin IN ('manual', 'import') OR c.decided_by IS NOT NULL)""")
    for doc, unit, code, status, by_hand, has_segments in rows:
        if unit is None and has_segments:
            continue  # a whole-document coding on a document of several segments
        entry = out.setdefault((doc, unit), Labels(set(), set(), False))
        entry.complete |= bool(by_hand)
        if wanted is not None and code not in wanted:
            continue
        (entry.positive if status == "accepted" else entry.negative if status == "rejected" else set()).add(code)
    read = {r[0] for r in db.execute("SELECT DISTINCT document_id FROM coder_documents")}
    if read:
        for key, entry in out.items():
            entry.complete |= key[0] in read
    # A unit decided on only in ways that name none of the wanted codes says nothing.
    return {k: v for k, v in out.items() if v.positive or v.negative or v.complete}


def codes_unanswered_documents(db: sqlite_utils.Database) -> bool:
    """Do people code unanswered documents in this review? Then the model should too."""
    return db.execute(f"""SELECT 1 FROM codings c WHERE {HUMAN_ACCEPTED} AND NOT EXISTS
        (SELECT 1 FROM segments s WHERE s.document_id = c.document_id) LIMIT 1""").fetchone() is not None
