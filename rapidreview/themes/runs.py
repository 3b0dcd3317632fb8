"""Theme runs in the review database: save, load, list. The only themes module that
reads or writes the theme tables (selection reads live in `select`)."""

from __future__ import annotations

import json

import sqlite_utils

from .. import store
from ..errors import NotFound


def versions() -> dict:
    import numpy
    import scipy
    import sklearn
    import spacy

    from .. import __version__

    return {"rapidreview": __version__, "numpy": numpy.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__, "spacy": spacy.__version__}


def create_run(db: sqlite_utils.Database, *, params: dict, selection: dict, seed: int, k: int,
               n_segments: int, details: dict, label: str | None = None) -> int:
    return db.execute(
        "INSERT INTO theme_runs (created_at, params, versions, n_segments, label, seed, k, selection, details, actor) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [store.now(), _dumps(params), _dumps(versions()), n_segments, label, seed, k, _dumps(selection),
         _dumps(details), store.default_actor()]).lastrowid


def write_themes(db: sqlite_utils.Database, run_id: int, themes: list[dict]) -> None:
    """Replace the run's themes and members with `themes` (dicts from `describe`)."""
    db.execute("DELETE FROM themes WHERE run_id = ?", [run_id])
    total = sum(t["size"] for t in themes) or 1
    for t in themes:
        theme_id = db.execute(
            "INSERT INTO themes (run_id, number, label, auto_label, key_terms, phrases, size, share, quotes, is_other, "
            "kind, details, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, t["number"], t["label"], t["auto_label"], _dumps(t["key_terms"]), _dumps(t["phrases"]),
             t["size"], round(t["size"] / total, 6), _dumps(t["quotes"]), int(t["kind"] != "theme"), t["kind"],
             _dumps(t["details"]), t.get("origin", "model")]).lastrowid
        store.insert_many(db, "theme_members", ["theme_id", "segment_id", "weight"],
                          ((theme_id, int(s), None if w is None else round(float(w), 6))
                           for s, w in zip(t["segment_ids"], t["weights"])))


def update_run_details(db, run_id: int, details: dict) -> None:
    db.execute("UPDATE theme_runs SET details = ? WHERE id = ?", [_dumps(details), run_id])


def latest_run_id(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT max(id) FROM theme_runs").fetchone()
    if row[0] is None:
        raise NotFound("this review has no theme runs yet. Run `rapidreview themes REVIEW_DB` first.")
    return row[0]


def get_run(db: sqlite_utils.Database, run_id: int | None = None) -> dict:
    """A run with its themes (members not included), newest when `run_id` is None."""
    run_id = latest_run_id(db) if run_id is None else run_id
    row = db.execute("SELECT id, created_at, params, versions, n_segments, label, seed, k, selection, details, actor "
                     "FROM theme_runs WHERE id = ?", [run_id]).fetchone()
    if row is None:
        known = [str(r[0]) for r in db.execute("SELECT id FROM theme_runs ORDER BY id")]
        raise NotFound(f"no theme run {run_id}. Runs in this review: {', '.join(known) or 'none'} "
                       "(list them with `rapidreview themes list REVIEW_DB`).")
    keys = ["id", "created_at", "params", "versions", "n_segments", "label", "seed", "k", "selection", "details",
            "actor"]
    run = dict(zip(keys, row))
    for key in ("params", "versions", "selection", "details"):
        run[key] = json.loads(run[key] or "{}")
    run["themes"] = [_theme(r) for r in db.execute(
        "SELECT id, number, label, auto_label, key_terms, phrases, size, share, quotes, kind, details, origin "
        "FROM themes WHERE run_id = ? ORDER BY kind != 'theme', number", [run_id])]
    return run


def _theme(row) -> dict:
    keys = ["id", "number", "label", "auto_label", "key_terms", "phrases", "size", "share", "quotes", "kind",
            "details", "origin"]
    t = dict(zip(keys, row))
    for key in ("key_terms", "phrases", "quotes", "details"):
        t[key] = json.loads(t[key] or "null")
    t["edited"] = t["label"] != t["auto_label"]
    return t


def list_runs(db: sqlite_utils.Database) -> list[dict]:
    rows = db.execute("""SELECT r.id, r.created_at, r.k, r.seed, r.n_segments, r.selection, r.label,
                                (SELECT count(*) FROM themes t WHERE t.run_id = r.id AND t.kind = 'theme')
                         FROM theme_runs r ORDER BY r.id""").fetchall()
    return [{"run": r[0], "created_at": r[1], "k": r[2], "seed": r[3], "segments": r[4],
             "selection": json.loads(r[5] or "{}"), "label": r[6], "themes": r[7]} for r in rows]


def members(db: sqlite_utils.Database, run_id: int) -> dict[int, list[tuple[int, float | None]]]:
    """theme number -> [(segment id, weight)] for every theme of the run."""
    out: dict[int, list] = {}
    for number, seg, weight in db.execute(
            "SELECT t.number, m.segment_id, m.weight FROM theme_members m JOIN themes t ON t.id = m.theme_id "
            "WHERE t.run_id = ? ORDER BY t.number, m.segment_id", [run_id]):
        out.setdefault(number, []).append((seg, weight))
    return out


def theme_by_number(run: dict, number: int) -> dict:
    for t in run["themes"]:
        if t["number"] == number:
            return t
    known = ", ".join(str(t["number"]) for t in run["themes"])
    raise NotFound(f"run {run['id']} has no theme {number}. Its themes: {known} (see `rapidreview themes show`).")


def record_edit(db, run_id: int, action: str, member_sets: list[list[int]], value: str | None) -> int:
    edit_id = db.execute(
        "INSERT INTO theme_edits (run_id, action, members, value, actor, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [run_id, action, json.dumps(member_sets), value, store.default_actor(), store.now()]).lastrowid
    return edit_id


def edits(db) -> list[dict]:
    return [{"id": r[0], "run_id": r[1], "action": r[2], "members": [set(m) for m in json.loads(r[3])], "value": r[4]}
            for r in db.execute("SELECT id, run_id, action, members, value FROM theme_edits ORDER BY id")]


def export_rows(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    """One row per segment of the run: its theme, weight, where it came from, and its text
    with the review's redactions applied (an export leaves the researcher's database)."""
    from .context import redactor

    show = redactor(db)
    rows = db.execute("""
        SELECT t.run_id, t.number, t.label, t.kind, m.weight, s.id, s.document_id, d.external_id, d.question,
               s.start, s."end", s.text
        FROM theme_members m JOIN themes t ON t.id = m.theme_id JOIN segments s ON s.id = m.segment_id
        JOIN documents d ON d.id = s.document_id
        WHERE t.run_id = ? ORDER BY s.id""", [run_id]).fetchall()
    return [{"run": r[0], "theme": r[1], "label": r[2], "kind": r[3], "weight": r[4], "segment_id": r[5],
             "document_id": r[6], "document": r[7], "question": r[8], "start": r[9], "end": r[10],
             "text": show(r[6], r[9], r[10], r[11])} for r in rows]


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
