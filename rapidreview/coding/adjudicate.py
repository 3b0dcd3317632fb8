"""Adjudication: a lead settles a disagreement between coders on one unit and one code.

The coders' own codings are left exactly as they made them (agreement is a measure of
what they did); the settled answer is the adjudicator's own coding: "keep" applies the
code as the lead (`manual.apply_code`), "drop" removes the lead's coding there if they
had one. Either way an `adjudicate` event records who settled what, between whom.

    adjudicate(db, segment=12, code="waiting", keep=True, between=["alice", "bob"], actor="lee")
"""

from __future__ import annotations

import json

import sqlite_utils

from .. import store
from ..errors import NotFound
from . import manual
from .units import MACHINE_CODERS


def coders(db: sqlite_utils.Database) -> list[str]:
    """The people who have coded in this review: by hand, by import, or by deciding suggestions."""
    rows = db.execute("""SELECT coder FROM codings WHERE origin IN ('manual', 'import')
                         UNION SELECT decided_by FROM codings WHERE decided_by IS NOT NULL""")
    return sorted({r[0] for r in rows if r[0] not in MACHINE_CODERS}, key=str.casefold)


def adjudicate(db: sqlite_utils.Database, *, code, keep: bool, between: list[str], actor: str,
               segment: int | None = None, document=None, start: int | None = None, end: int | None = None) -> dict:
    """Settle one (unit, code): keep it (the adjudicator applies it) or drop it."""
    where = {"segment": segment} if segment is not None else {"document": document, "start": start, "end": end}
    with store.transaction(db):
        if keep:
            done = manual.apply_code(db, code, coder=actor, **where)
        else:
            try:
                done = manual.remove_code(db, code, coder=actor, **where)
            except NotFound:  # the adjudicator had not coded it: nothing to remove, the decision stands
                span = manual.resolve_span(db, **where)
                done = {"action": "unchanged", "coder": actor, **span}
        payload = {"keep": keep, "code": code, "between": sorted(between), "segment_id": done.get("segment_id"),
                   "document_id": done.get("document_id"), "external_id": done.get("external_id"), "start": done.get("start"), "end": done.get("end"),
                   "coding": done.get("action")}
        store.log_event(db, "adjudicate", payload, actor)
    return payload


def settled(db: sqlite_utils.Database) -> dict[tuple, dict]:
    """The latest adjudication per (external_id, start, end, code): to mark them on the page."""
    out = {}
    for at, actor, payload in db.execute("SELECT at, actor, payload FROM events WHERE action = 'adjudicate' "
                                         "ORDER BY id"):
        p = json.loads(payload)
        out[(p.get("external_id"), p.get("start"), p.get("end"), str(p.get("code")))] = {"at": at, "by": actor, **p}
    return out
