"""What is in a review: counts by source, question and attribute, respondents, dates, waves.

    from rapidreview import stats
    summary = stats.review_stats(db)              # plain dicts and lists, ready for JSON
    by_service = stats.attribute_breakdown(db, "Service")

Read only. Used by `rapidreview stats`, `rapidreview demo` and the Datasette plugin page.
"""

from __future__ import annotations

import sqlite_utils

from .errors import NotFound
from .suggest import unknown_message

WAVE_ATTRIBUTE = "wave"


def review_stats(db: sqlite_utils.Database, by: list[str] | tuple[str, ...] = ()) -> dict:
    """Everything `rapidreview stats` shows; `by` adds a per-value breakdown of those attributes."""
    return {
        "totals": totals(db),
        "dates": date_range(db),
        "waves": waves(db),
        "sources": by_source(db),
        "questions": by_question(db),
        "attributes": attribute_summary(db),
        "by": {resolve_attribute(db, name): attribute_breakdown(db, name) for name in by},
    }


def totals(db: sqlite_utils.Database) -> dict:
    one = lambda sql: db.execute(sql).fetchone()[0] or 0  # noqa: E731
    return {
        "sources": one("SELECT count(*) FROM sources"),
        "documents": one("SELECT count(*) FROM documents"),
        "answered": one("SELECT count(*) FROM documents WHERE answered"),
        "transcripts": one("SELECT count(*) FROM documents WHERE kind = 'transcript'"),
        "respondents": one("SELECT count(*) FROM respondents"),
        "segments": one("SELECT count(*) FROM segments"),
        "codings": one("SELECT count(*) FROM codings"),
        "codings_accepted": one("SELECT count(*) FROM codings WHERE status = 'accepted'"),
        "codings_suggested": one("SELECT count(*) FROM codings WHERE status = 'suggested'"),
        "codes": one("SELECT count(*) FROM codes WHERE NOT archived"),
    }


def date_range(db: sqlite_utils.Database) -> dict:
    first, last, dated = db.execute(
        "SELECT min(date), max(date), count(date) FROM documents WHERE date IS NOT NULL AND date != ''"
    ).fetchone()
    return {"first": first, "last": last, "dated_documents": dated}


def by_source(db: sqlite_utils.Database) -> list[dict]:
    """One row per source: documents, answered, segments, codings (each counted once)."""
    sql = """
        SELECT s.id, s.name, s.format, s.batch, s.imported_at,
            (SELECT count(*) FROM documents d WHERE d.source_id = s.id) AS documents,
            (SELECT count(*) FROM documents d WHERE d.source_id = s.id AND d.answered) AS answered,
            (SELECT count(*) FROM segments g JOIN documents d ON d.id = g.document_id
                WHERE d.source_id = s.id) AS segments,
            (SELECT count(*) FROM codings c JOIN documents d ON d.id = c.document_id
                WHERE d.source_id = s.id) AS codings
        FROM sources s ORDER BY s.id
    """
    return _dicts(db, sql)


def by_question(db: sqlite_utils.Database) -> list[dict]:
    """Asked (documents) and answered per question; transcripts have no question (None)."""
    sql = """
        SELECT question, count(*) AS asked, sum(answered) AS answered,
            count(DISTINCT respondent_id) AS respondents
        FROM documents GROUP BY question ORDER BY question IS NULL, min(id)
    """
    return _dicts(db, sql)


def attribute_summary(db: sqlite_utils.Database) -> list[dict]:
    """Per attribute name: how many distinct values, documents and respondents have one."""
    sql = """
        SELECT a.name, count(DISTINCT a.value) AS "values", count(*) AS documents,
            count(DISTINCT d.respondent_id) AS respondents
        FROM attributes a JOIN documents d ON d.id = a.document_id
        GROUP BY a.name ORDER BY a.name COLLATE NOCASE
    """
    return _dicts(db, sql)


def resolve_attribute(db: sqlite_utils.Database, name: str) -> str:
    """The attribute name as stored: exact match first, then ignoring case."""
    known = [r[0] for r in db.execute("SELECT DISTINCT name FROM attributes ORDER BY name")]
    match = next((k for k in known if k == name), None) or next(
        (k for k in known if k.casefold() == name.casefold()), None)
    if match is None:
        raise NotFound(unknown_message("attribute", name, known) if known
                       else f"unknown attribute {name!r}: this review has no attributes yet.")
    return match


def attribute_breakdown(db: sqlite_utils.Database, name: str) -> list[dict]:
    """Per value of one attribute: distinct respondents, documents, answered documents."""
    match = resolve_attribute(db, name)
    sql = """
        SELECT a.value, count(DISTINCT d.respondent_id) AS respondents, count(*) AS documents,
            sum(d.answered) AS answered
        FROM attributes a JOIN documents d ON d.id = a.document_id
        WHERE a.name = ? GROUP BY a.value ORDER BY count(*) DESC, a.value
    """
    return _dicts(db, sql, [match])


def waves(db: sqlite_utils.Database) -> list[dict]:
    """Waves from the 'wave' attribute (set by `import --wave` or a wave column), else source batches."""
    name = db.execute(
        "SELECT name FROM attributes WHERE name = ? COLLATE NOCASE LIMIT 1", [WAVE_ATTRIBUTE]).fetchone()
    if name:
        return [{"wave": r["value"], "respondents": r["respondents"], "documents": r["documents"]}
                for r in sorted(attribute_breakdown(db, name[0]), key=lambda r: str(r["value"]))]
    sql = """
        SELECT s.batch AS wave, count(DISTINCT d.respondent_id) AS respondents, count(d.id) AS documents
        FROM sources s JOIN documents d ON d.source_id = s.id
        WHERE s.batch IS NOT NULL GROUP BY s.batch ORDER BY s.batch
    """
    return _dicts(db, sql)


def _dicts(db: sqlite_utils.Database, sql: str, params=()) -> list[dict]:
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
