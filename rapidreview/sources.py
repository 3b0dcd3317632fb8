"""The files imported into a review: list them, and remove one with everything derived from it.

    from rapidreview import sources
    sources.list_sources(db)
    plan = sources.removal_plan(db, "wave2.csv")   # what would go, to show before asking
    sources.remove_source(db, "wave2.csv")          # one transaction, logged, then verified

Removing a source deletes its documents; foreign keys cascade to their attributes,
segments (and, through a trigger, their full-text index rows), codings, redactions and
theme members. Respondents left with no documents and memos on the removed documents
or segments go too. The database is checked before the transaction commits, so a
removal that would leave it inconsistent changes nothing.
"""

from __future__ import annotations

import sqlite_utils

from . import store
from .errors import NotFound, StoreError
from .suggest import nearest


def list_sources(db: sqlite_utils.Database) -> list[dict]:
    sql = """
        SELECT s.id, s.name, s.format, s.imported_at, s.batch,
            (SELECT count(*) FROM documents d WHERE d.source_id = s.id) AS documents, s.path
        FROM sources s ORDER BY s.id
    """
    cursor = db.execute(sql)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def find_source(db: sqlite_utils.Database, id_or_name) -> dict:
    """A source by id, file name or path as imported. Names that match two sources are refused."""
    rows = list_sources(db)
    text = str(id_or_name).strip()
    if text.isdigit():
        hits = [r for r in rows if r["id"] == int(text)]
    else:
        hits = [r for r in rows if text in (r["name"], r["path"])] or \
               [r for r in rows if text.casefold() == r["name"].casefold()]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        ids = ", ".join(str(r["id"]) for r in hits)
        raise NotFound(f"{text!r} names {len(hits)} sources (ids {ids}); give the id instead.")
    if not rows:
        raise NotFound(f"no source {text!r}: this review has no sources yet.")
    close = nearest(text, [r["name"] for r in rows])
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise NotFound(f"no source {text!r}.{hint} List them with `rapidreview sources REVIEW_DB`.")


def removal_plan(db: sqlite_utils.Database, id_or_name) -> dict:
    """What removing a source would delete, counted (nothing is changed)."""
    source = find_source(db, id_or_name)
    sid = source["id"]
    one = lambda sql: db.execute(sql, [sid]).fetchone()[0] or 0  # noqa: E731
    docs = "SELECT id FROM documents WHERE source_id = ?1"
    segs = f"SELECT id FROM segments WHERE document_id IN ({docs})"
    counts = {
        "documents": one(f"SELECT count(*) FROM ({docs})"),
        "attributes": one(f"SELECT count(*) FROM attributes WHERE document_id IN ({docs})"),
        "segments": one(f"SELECT count(*) FROM ({segs})"),
        "codings": one(f"SELECT count(*) FROM codings WHERE document_id IN ({docs})"),
        "redactions": one(f"SELECT count(*) FROM redactions WHERE document_id IN ({docs})"),
        "theme_members": one(f"SELECT count(*) FROM theme_members WHERE segment_id IN ({segs})"),
        "memos": one(f"""SELECT count(*) FROM memos WHERE (target = 'document' AND target_id IN ({docs}))
                         OR (target = 'segment' AND target_id IN ({segs}))"""),
        "respondents": one("""
            SELECT count(DISTINCT d.respondent_id) FROM documents d WHERE d.source_id = ?1
            AND d.respondent_id IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM documents o WHERE o.respondent_id = d.respondent_id AND o.source_id != ?1)"""),
    }
    return {"source": {k: source[k] for k in ("id", "name", "path", "format", "batch")}, "removed": counts}


def remove_source(db: sqlite_utils.Database, id_or_name, actor: str | None = None) -> dict:
    """Remove one source and everything derived from it, in one transaction. Returns the plan."""
    with store.transaction(db):
        plan = removal_plan(db, id_or_name)
        sid = plan["source"]["id"]
        respondents = [r[0] for r in db.execute(
            "SELECT DISTINCT respondent_id FROM documents WHERE source_id = ? AND respondent_id IS NOT NULL", [sid])]
        # Memos point at their target by (kind, id) without a foreign key: delete them by hand.
        db.execute("""
            DELETE FROM memos WHERE (target = 'document' AND target_id IN (
                SELECT id FROM documents WHERE source_id = ?1))
            OR (target = 'segment' AND target_id IN (
                SELECT g.id FROM segments g JOIN documents d ON d.id = g.document_id WHERE d.source_id = ?1))
        """, [sid])
        db.execute("DELETE FROM sources WHERE id = ?", [sid])  # cascades through documents
        _delete_orphan_respondents(db, respondents)
        store.log_event(db, "source.remove", {**plan["source"], **plan["removed"]}, actor)
        problems = check_integrity(db)
        if problems:
            raise StoreError("removing the source would leave the review inconsistent, so nothing was removed: "
                             + "; ".join(problems[:5]))
    return plan


def _delete_orphan_respondents(db: sqlite_utils.Database, ids: list[int]) -> None:
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start:start + 500]
        db.execute(f"""
            DELETE FROM respondents WHERE id IN ({", ".join("?" * len(chunk))})
            AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.respondent_id = respondents.id)
        """, chunk)


def check_integrity(db: sqlite_utils.Database) -> list[str]:
    """Problems found by SQLite's integrity check, the foreign-key check and the FTS5 check
    of segments_fts against the segments it indexes. Empty when all is well."""
    problems = [r[0] for r in db.execute("PRAGMA integrity_check") if r[0] != "ok"]
    problems += [f"{r[0]} row {r[1]} points at a missing {r[2]}" for r in db.execute("PRAGMA foreign_key_check")]
    try:
        # rank = 1: also compare the index with the external content table (segments).
        db.execute("INSERT INTO segments_fts(segments_fts, rank) VALUES ('integrity-check', 1)")
    except Exception as e:  # sqlite3.DatabaseError: "database disk image is malformed"
        problems.append(f"full-text index of segments: {e}")
    return problems
