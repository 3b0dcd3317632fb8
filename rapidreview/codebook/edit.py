"""Editing one code's definition in place (description, when to apply it, rule keywords):
each edit stores the codebook as a new version, like merge and archive do, and logs the
old and new values so the edit can be undone."""

from __future__ import annotations

import json

import sqlite_utils

from .. import store
from ..errors import InputError
from .versions import _record_version, find_code

FIELDS = ("description", "include", "exclude")


def edit_code(db: sqlite_utils.Database, ref, *, description: str | None = None, include: str | None = None,
              exclude: str | None = None, keywords: list[str] | None = None, codebook: str | None = None,
              actor: str | None = None) -> dict:
    """Change the fields given (None: leave as is). No change: no new version."""
    actor = actor or store.default_actor()
    with store.transaction(db):
        code = find_code(db, ref, codebook=codebook, archived=True)
        row = db.execute("SELECT description, include, exclude, rules FROM codes WHERE id = ?", [code["id"]]).fetchone()
        old = {"description": row[0], "include": row[1], "exclude": row[2]}
        rules = json.loads(row[3] or "{}")
        new = dict(old)
        for name, value in (("description", description), ("include", include), ("exclude", exclude)):
            if value is not None:
                new[name] = value.strip() or None
        new_rules = dict(rules)
        if keywords is not None:
            words = [w.strip() for w in keywords if w and w.strip()]
            if any(len(w) > 200 for w in words):
                raise InputError("a keyword is longer than 200 characters")
            if words:
                new_rules["keywords"] = words
            else:
                new_rules.pop("keywords", None)
        if new == old and new_rules == rules:
            return {"code": code["key"], "changed": False, "version": None}
        db.execute("UPDATE codes SET description = ?, include = ?, exclude = ?, rules = ? WHERE id = ?",
                   [new["description"], new["include"], new["exclude"], json.dumps(new_rules, ensure_ascii=False),
                    code["id"]])
        changed = [k for k in FIELDS if new[k] != old[k]] + (["rules"] if new_rules != rules else [])
        version = _record_version(db, code["codebook_id"], "edit", {"edited": code["key"], "fields": changed}, actor)
        store.log_event(db, "codebook.edit", {"codebook": code["codebook"], "version": version, "code": code["key"],
                                              "code_id": code["id"], "fields": changed,
                                              "old": {**old, "rules": rules}, "new": {**new, "rules": new_rules}},
                        actor)
        return {"code": code["key"], "changed": True, "version": version, "fields": changed}


def restore_code(db: sqlite_utils.Database, code_id: int, values: dict, *, actor: str | None = None) -> dict:
    """Put back a code's description, criteria and rules as they were (undo of an edit)."""
    rules = values.get("rules") or {}
    return edit_code(db, code_id, description=values.get("description") or "", include=values.get("include") or "",
                     exclude=values.get("exclude") or "", keywords=list(rules.get("keywords") or []),
                     actor=actor)
