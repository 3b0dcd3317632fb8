"""The units we code: segments, and (where people code them) unanswered documents.

A unit is a segment; a document with no segments (an unanswered or placeholder answer)
is a unit of its own, spanning its whole text, but only when people have coded such
documents (some teams code "Did not answer" as a category; most never code it).
Human labels are the accepted codings people made: manual or imported codings, and
suggestions a person accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

# Codings that are human decisions to apply a code.
HUMAN_ACCEPTED = "(c.origin IN ('manual', 'import') OR c.decided_by IS NOT NULL) AND c.status = 'accepted'"
# Any human decision on a (span, code): applied, accepted or rejected.
HUMAN_DECIDED = "(c.origin IN ('manual', 'import') OR c.decided_by IS NOT NULL OR c.status != 'suggested')"
MACHINE_CODERS = ("rules", "model")


@dataclass(frozen=True)
class Unit:
    document_id: int
    segment_id: int | None
    start: int
    end: int
    text: str
    question: str | None
    external_id: str

    @property
    def key(self) -> tuple[int, int | None]:
        return (self.document_id, self.segment_id)


def load_units(db: sqlite_utils.Database, *, unanswered: bool = False, document_ids=None) -> list[Unit]:
    """Every segment (in document order), plus unanswered documents when asked."""
    where, params = "", []
    if document_ids is not None:
        ids = sorted(set(document_ids))
        where = f" AND d.id IN ({','.join('?' * len(ids))})"
        params = ids
    units = [Unit(*row) for row in db.execute(
        f"""SELECT s.document_id, s.id, s.start, s."end", s.text, d.question, d.external_id
            FROM segments s JOIN documents d ON d.id = s.document_id WHERE 1 {where}
            ORDER BY s.document_id, s.seq""", params)]
    if unanswered:
        units += [Unit(*row) for row in db.execute(
            f"""SELECT d.id, NULL, 0, length(d.text), d.text, d.question, d.external_id FROM documents d
                WHERE NOT EXISTS (SELECT 1 FROM segments s WHERE s.document_id = d.id)
                  AND trim(d.text) != '' {where} ORDER BY d.id""", params)]
    return units


UNIT_OF_CODING = """coalesce(c.segment_id, (
    SELECT s.id FROM segments s WHERE s.document_id = c.document_id AND s.start <= c.start AND c."end" <= s."end"
    ORDER BY s.seq LIMIT 1))"""


def human_labels(db: sqlite_utils.Database, code_ids=None) -> dict[tuple[int, int | None], set[int]]:
    """(document_id, segment_id or None) -> the codes people applied there.

    A coding inside a segment labels that segment; a whole-document coding labels the
    document's only segment, or the document itself when it has none. A whole-document
    coding on a document of several segments says nothing about which one: skipped.
    """
    labels: dict[tuple[int, int | None], set[int]] = {}
    rows = db.execute(f"""
        SELECT c.document_id, {UNIT_OF_CODING} AS unit, c.code_id,
               EXISTS (SELECT 1 FROM segments s WHERE s.document_id = c.document_id) AS has_segments
        FROM codings c JOIN codes k ON k.id = c.code_id
        WHERE {HUMAN_ACCEPTED} AND k.archived = 0""")
    wanted = None if code_ids is None else set(code_ids)
    for doc, unit, code, has_segments in rows:
        if wanted is not None and code not in wanted:
            continue
        if unit is None and has_segments:
            continue
        labels.setdefault((doc, unit), set()).add(code)
    return labels


def codes_unanswered_documents(db: sqlite_utils.Database) -> bool:
    """Do people code unanswered documents in this review? Then the model should too."""
    return db.execute(f"""SELECT 1 FROM codings c WHERE {HUMAN_ACCEPTED} AND NOT EXISTS
        (SELECT 1 FROM segments s WHERE s.document_id = c.document_id) LIMIT 1""").fetchone() is not None
