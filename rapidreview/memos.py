"""Memos: a researcher's notes on documents, segments, codes, themes or the review itself.

Append-only in spirit: every memo carries its author and time, and adding or deleting one
is logged.
"""

from __future__ import annotations

import sqlite_utils

from . import store
from .errors import InputError, NotFound

TARGETS = ("document", "segment", "code", "theme", "review")


def _target_id(db, target: str, ref, codebook: str | None = None) -> tuple[int | None, str | None]:
    """(row id, label for people) of what a memo is about."""
    if target not in TARGETS:
        raise InputError(f"a memo is about one of: {', '.join(TARGETS)} (not {target!r})")
    if target == "review":
        return None, None
    if ref is None or str(ref).strip() == "":
        raise InputError(f"say which {target} the memo is about")
    if target == "document":
        from .coding.manual import resolve_document

        doc = resolve_document(db, ref)
        return doc["id"], doc["external_id"]
    if target == "code":
        from .codebook.versions import find_code

        code = find_code(db, ref, codebook=codebook, archived=True)
        return code["id"], code["key"]
    table = {"segment": "segments", "theme": "themes"}[target]
    if not str(ref).isdigit() or db.execute(f"SELECT 1 FROM {table} WHERE id = ?", [int(ref)]).fetchone() is None:
        raise NotFound(f"no {target} with id {ref!r}")
    return int(ref), str(ref)


def add_memo(db: sqlite_utils.Database, target: str, ref, text: str, *, author: str | None = None,
             codebook: str | None = None) -> dict:
    author = author or store.default_actor()
    text = (text or "").strip()
    if not text:
        raise InputError("the memo is empty")
    with store.transaction(db):
        target_id, label = _target_id(db, target, ref, codebook)
        memo_id = db.execute("INSERT INTO memos (target, target_id, author, text, created_at) VALUES (?, ?, ?, ?, ?)",
                             [target, target_id, author, text, store.now()]).lastrowid
        store.log_event(db, "memo.add", {"memo_id": memo_id, "target": target, "target_id": target_id,
                                         "about": label, "text": text[:200]}, author)
    return {"id": memo_id, "target": target, "target_id": target_id, "about": label, "author": author, "text": text}


def list_memos(db: sqlite_utils.Database, target: str | None = None, ref=None, *, author: str | None = None,
               codebook: str | None = None) -> list[dict]:
    sql = "SELECT id, target, target_id, author, text, created_at FROM memos WHERE 1 = 1"
    args: list = []
    if target:
        target_id, _ = _target_id(db, target, ref, codebook) if (ref is not None or target == "review") else (None, None)
        sql += " AND target = ?"
        args.append(target)
        if target_id is not None:
            sql += " AND target_id = ?"
            args.append(target_id)
    if author:
        sql += " AND author = ?"
        args.append(author)
    cols = ["id", "target", "target_id", "author", "text", "created_at"]
    rows = [dict(zip(cols, r)) for r in db.execute(sql + " ORDER BY id", args)]
    for r in rows:
        r["about"] = _label(db, r["target"], r["target_id"])
    return rows


def _label(db, target: str, target_id) -> str | None:
    if target_id is None:
        return None
    if target == "document":
        row = db.execute("SELECT external_id FROM documents WHERE id = ?", [target_id]).fetchone()
    elif target == "code":
        row = db.execute("SELECT key FROM codes WHERE id = ?", [target_id]).fetchone()
    else:
        row = (str(target_id),)
    return row[0] if row else f"(deleted {target} {target_id})"


def delete_memo(db: sqlite_utils.Database, memo_id: int, *, author: str | None = None) -> dict:
    author = author or store.default_actor()
    with store.transaction(db):
        row = db.execute("SELECT target, target_id, author, text FROM memos WHERE id = ?", [memo_id]).fetchone()
        if row is None:
            raise NotFound(f"no memo {memo_id}")
        db.execute("DELETE FROM memos WHERE id = ?", [memo_id])
        store.log_event(db, "memo.delete", {"memo_id": memo_id, "target": row[0], "target_id": row[1],
                                            "by": row[2], "text": row[3]}, author)
    return {"id": memo_id, "deleted": True}
