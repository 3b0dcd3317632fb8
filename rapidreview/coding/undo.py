"""Undo: take back a person's last decision, driven by the event log.

The last event by this person that can be undone and has not been is reversed through
the same library function that made it (apply <-> remove, accept/reject -> as it was,
a code edit -> the old definition, a memo -> deleted, a merge made with `merge_undoably`
-> the codes apart again). The reversal is logged as an `undo` event naming the event it
undoes and the events it wrote, so a second undo goes one step further back rather than
undoing the undo. Merges made elsewhere (`rapidreview codebook merge`) did not record what
moved: split the code again instead (`rapidreview codebook split`).
"""

from __future__ import annotations

import json

import sqlite_utils

from .. import store
from ..errors import NotFound, RapidReviewError

UNDOABLE = ("coding.apply", "coding.remove", "accept", "reject", "codebook.edit", "memo.add", "codebook.merge.moved")


def last_undoable(db: sqlite_utils.Database, actor: str) -> dict | None:
    """The event undo_last would reverse, or None."""
    skip: set[int] = set()
    for (payload,) in db.execute("SELECT payload FROM events WHERE action = 'undo' AND actor = ?", [actor]):
        p = json.loads(payload)
        skip.add(p.get("undoes"))
        skip.update(p.get("events") or [])
    marks = ",".join("?" * len(UNDOABLE))
    for event_id, action, payload, at in db.execute(
            f"SELECT id, action, payload, at FROM events WHERE actor = ? AND action IN ({marks}) ORDER BY id DESC "
            "LIMIT 500", [actor, *UNDOABLE]):
        if event_id in skip:
            continue
        p = json.loads(payload)
        if action == "coding.apply" and p.get("action") == "unchanged":
            continue
        return {"id": event_id, "action": action, "payload": p, "at": at}
    return None


def undo_last(db: sqlite_utils.Database, actor: str) -> dict:
    """Reverse `actor`'s last undoable decision; {"undid": action, "event": id, ...}."""
    with store.transaction(db):
        event = last_undoable(db, actor)
        if event is None:
            raise NotFound(f"nothing to undo: {actor!r} has made no coding decision that is not already undone")
        before = db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
        detail = _reverse(db, event, actor)
        written = [r[0] for r in db.execute("SELECT id FROM events WHERE id > ?", [before])]
        store.log_event(db, "undo", {"undoes": event["id"], "action": event["action"], "events": written, **detail},
                        actor)
        return {"undid": event["action"], "event": event["id"], **detail}


def _reverse(db, event: dict, actor: str) -> dict:
    from . import manual

    p, action = event["payload"], event["action"]
    if action == "coding.apply":
        if p.get("action") != "applied":
            raise RapidReviewError("the last coding turned a suggestion into a coding: reject it in the review "
                                   "queue instead of undoing")
        manual.remove_code(db, p["code_id"], coder=actor, document=int(p["document_id"]), start=p["start"],
                           end=p["end"])
        return {"code": p["code"], "document_id": p["document_id"], "start": p["start"], "end": p["end"]}
    if action == "coding.remove":
        manual.apply_code(db, p["code_id"], coder=actor, document=int(p["document_id"]), start=p["start"],
                          end=p["end"])
        return {"code": p["code"], "document_id": p["document_id"], "start": p["start"], "end": p["end"]}
    if action in ("accept", "reject"):
        # Back to the status it had, and undecided: the decision functions only move forward.
        db.execute("UPDATE codings SET status = ?, decided_by = NULL, decided_at = NULL WHERE id = ?",
                   [p["previous"], p["coding_id"]])
        return {"coding_id": p["coding_id"], "status": p["previous"]}
    if action == "codebook.edit":
        from ..codebook.edit import restore_code

        result = restore_code(db, p["code_id"], p["old"], actor=actor)
        return {"code": p["code"], "version": result["version"]}
    if action == "memo.add":
        from ..memos import delete_memo

        delete_memo(db, p["memo_id"], author=actor)
        return {"memo_id": p["memo_id"]}
    if action == "codebook.merge.moved":
        return _unmerge(db, p, actor)
    raise RapidReviewError(f"cannot undo {action}")


def merge_undoably(db: sqlite_utils.Database, sources: list[str], into: str, *, actor: str | None = None) -> dict:
    """`merge_codes`, first noting which codings and child codes each source had, so that
    undo can put them back (the workbench merges this way)."""
    from ..codebook.versions import find_code, merge_codes

    actor = actor or store.default_actor()
    with store.transaction(db):
        target = find_code(db, into)
        moved = {}
        for ref in sources:
            code = find_code(db, ref, codebook=target["codebook"])
            moved[code["id"]] = {
                "codings": [r[0] for r in db.execute("SELECT id FROM codings WHERE code_id = ?", [code["id"]])],
                "children": [r[0] for r in db.execute("SELECT id FROM codes WHERE parent_id = ?", [code["id"]])]}
        result = merge_codes(db, sources, into, actor=actor)
        store.log_event(db, "codebook.merge.moved", {"into": target["id"], "codebook_id": target["codebook_id"],
                                                     "sources": moved, "version": result["version"]}, actor)
        return result


def _unmerge(db, p: dict, actor: str) -> dict:
    from ..codebook.versions import _record_version

    back = 0
    for source, was in p["sources"].items():
        source = int(source)
        db.execute("UPDATE codes SET archived = 0, merged_into = NULL WHERE id = ?", [source])
        for child in was["children"]:
            db.execute("UPDATE codes SET parent_id = ? WHERE id = ? AND parent_id = ?", [source, child, p["into"]])
        for coding in was["codings"]:  # those a collision removed are gone: the target's copy stays
            back += db.execute("UPDATE codings SET code_id = ? WHERE id = ? AND code_id = ?",
                               [source, coding, p["into"]]).rowcount
    changes = {"unmerged": sorted(int(s) for s in p["sources"]), "from": p["into"], "codings": back}
    version = _record_version(db, p["codebook_id"], "unmerge", changes, actor)
    store.log_event(db, "codebook.unmerge", {"version": version, **changes}, actor)
    return {"version": version, "codings": back}
