"""Quote safety: which words may leave the review, and in what form.

A quote leaves only (1) redacted, (2) from a respondent who consented and has not
withdrawn, and (3) optionally, only from groups (by an attribute such as service or
ethnicity) of at least `min_group` respondents, so that a quote cannot point to one of
three people in a small service. A withdrawn respondent disappears from everything
published: `excluded_respondents` and `publishable_documents` are what publish and
report use for counts as well as quotes.
"""

from __future__ import annotations

from collections import defaultdict

import sqlite_utils

from .. import store
from ..errors import NotFound, RapidReviewError
from .redact import _spans_for, apply, assert_redacted

MISSING = "(not given)"


# ---------------------------------------------------------------- consent and withdrawal


def _respondent_id(db, respondent: str | int) -> int:
    row = db.execute("SELECT id FROM respondents WHERE external_id = ?", [str(respondent)]).fetchone()
    if row is None and isinstance(respondent, int):
        row = db.execute("SELECT id FROM respondents WHERE id = ?", [respondent]).fetchone()
    if row is None:
        raise NotFound(f"respondent {respondent!r} is not in this review. List them with "
                       "`rapidreview respondents list REVIEW_DB`.")
    return row[0]


def withdraw(db: sqlite_utils.Database, respondent: str | int, *, reason: str | None = None,
             actor: str | None = None) -> None:
    """Withdraw a respondent: nothing of theirs is published from now on."""
    rid = _respondent_id(db, respondent)
    with store.transaction(db):
        db.execute("UPDATE respondents SET withdrawn = 1 WHERE id = ?", [rid])
        store.log_event(db, "respondent.withdraw", {"respondent_id": rid, "external_id": str(respondent),
                                                    "reason": reason}, actor)


def reinstate(db: sqlite_utils.Database, respondent: str | int, actor: str | None = None) -> None:
    """Undo a withdrawal recorded by mistake."""
    rid = _respondent_id(db, respondent)
    with store.transaction(db):
        db.execute("UPDATE respondents SET withdrawn = 0 WHERE id = ?", [rid])
        store.log_event(db, "respondent.reinstate", {"respondent_id": rid, "external_id": str(respondent)}, actor)


def set_consent(db: sqlite_utils.Database, respondent: str | int, consent: bool, actor: str | None = None) -> None:
    """Record whether a respondent agreed to their words being quoted and counted."""
    rid = _respondent_id(db, respondent)
    with store.transaction(db):
        db.execute("UPDATE respondents SET consent = ? WHERE id = ?", [int(bool(consent)), rid])
        store.log_event(db, "respondent.consent", {"respondent_id": rid, "external_id": str(respondent),
                                                   "consent": bool(consent)}, actor)


def respondents(db: sqlite_utils.Database, *, only_excluded: bool = False) -> list[dict]:
    sql = ("SELECT r.id, r.external_id, r.consent, r.withdrawn, count(d.id) FROM respondents r "
           "LEFT JOIN documents d ON d.respondent_id = r.id "
           + ("WHERE r.withdrawn = 1 OR r.consent = 0 " if only_excluded else "")
           + "GROUP BY r.id ORDER BY r.id")
    return [{"id": i, "respondent": e, "consent": bool(c), "withdrawn": bool(w), "documents": n}
            for i, e, c, w, n in db.execute(sql)]


def excluded_respondents(db: sqlite_utils.Database) -> set[int]:
    """Respondents whose words and answers must not be published."""
    return {r[0] for r in db.execute("SELECT id FROM respondents WHERE withdrawn = 1 OR consent = 0")}


def publishable_documents(db: sqlite_utils.Database) -> list[int]:
    """Answered documents from respondents who consented and did not withdraw (or with
    no respondent, such as a document imported on its own)."""
    return [r[0] for r in db.execute(
        "SELECT d.id FROM documents d LEFT JOIN respondents r ON r.id = d.respondent_id "
        "WHERE d.answered = 1 AND (r.id IS NULL OR (r.withdrawn = 0 AND r.consent = 1)) ORDER BY d.id")]


# ---------------------------------------------------------------- quotes


def publishable_segments(db: sqlite_utils.Database, *, min_group: int = 0, group_attr=None,
                         segment_ids=None, roles=("participant",)) -> list[dict]:
    """Segments that may be quoted, with redacted text only.

    min_group: withhold quotes from groups with fewer respondents than this, where a
    group is the respondents sharing the values of `group_attr` (a name or a list of
    names); with no `group_attr`, the whole review is one group. Raises RedactionNeeded
    if any answered document has not been scanned for personal data.
    """
    assert_redacted(db)
    attrs = [group_attr] if isinstance(group_attr, str) else list(group_attr or [])
    rows = _segment_rows(db, segment_ids, roles)
    groups = _group_of_documents(db, attrs, {r[1] for r in rows}) if attrs else {}
    allowed_groups = None
    if min_group > 0:
        sizes = _group_sizes(db, attrs)
        allowed_groups = {g for g, n in sizes.items() if n >= min_group}
    spans = _spans_for(db, {r[1] for r in rows})
    out = []
    for seg_id, doc_id, start, end, text, speaker_role, respondent in rows:
        group = groups.get(doc_id, (MISSING,) * len(attrs)) if attrs else ()
        if allowed_groups is not None and group not in allowed_groups:
            continue
        out.append({"segment_id": seg_id, "document_id": doc_id, "text": apply(text, spans.get(doc_id, []), start, end),
                    "group": dict(zip(attrs, group)), "role": speaker_role})
    return out


def quote(db: sqlite_utils.Database, document_id: int, start: int, end: int) -> str:
    """One redacted quote, refused if its respondent withdrew or did not consent."""
    row = db.execute("SELECT d.text, r.withdrawn, r.consent, s.document_id FROM documents d "
                     "LEFT JOIN respondents r ON r.id = d.respondent_id "
                     "LEFT JOIN redaction_scans s ON s.document_id = d.id WHERE d.id = ?", [document_id]).fetchone()
    if row is None:
        raise NotFound(f"document {document_id} does not exist.")
    text, withdrawn, consent, scanned = row
    if withdrawn or consent == 0:
        raise RapidReviewError(f"document {document_id} belongs to a respondent who withdrew or did not consent; "
                               "it cannot be quoted.")
    if scanned is None:
        raise RapidReviewError(f"document {document_id} has not been checked for personal data. "
                               "Run `rapidreview redact REVIEW_DB` first.")
    return apply(text, _spans_for(db, [document_id]).get(document_id, []), start, end)


def _segment_rows(db, segment_ids, roles):
    where = ["d.answered = 1", "(r.id IS NULL OR (r.withdrawn = 0 AND r.consent = 1))"]
    params: list = []
    if roles:
        where.append(f"s.role IN ({','.join('?' * len(roles))})")
        params += list(roles)
    sql = ('SELECT s.id, s.document_id, s.start, s."end", d.text, s.role, d.respondent_id FROM segments s '
           "JOIN documents d ON d.id = s.document_id LEFT JOIN respondents r ON r.id = d.respondent_id "
           "WHERE " + " AND ".join(where) + " ORDER BY s.id")
    rows = db.execute(sql, params).fetchall()
    if segment_ids is not None:
        wanted = set(segment_ids)
        rows = [r for r in rows if r[0] in wanted]
    return rows


def _group_of_documents(db, attrs: list[str], doc_ids) -> dict[int, tuple]:
    values: dict[int, dict] = defaultdict(dict)
    marks = ",".join("?" * len(attrs))
    for doc_id, name, value in db.execute(f"SELECT document_id, name, value FROM attributes WHERE name IN ({marks})",
                                          attrs):
        values[doc_id][name] = value
    # Respondent attributes hold for all their documents (a transcript has none of its own).
    for doc_id, name, value in db.execute(
            f"SELECT d.id, ra.name, ra.value FROM documents d JOIN respondent_attributes ra "
            f"ON ra.respondent_id = d.respondent_id WHERE ra.name IN ({marks})", attrs):
        values[doc_id].setdefault(name, value)
    return {d: tuple(v.get(a) or MISSING for a in attrs) for d, v in values.items() if d in doc_ids}


def _group_sizes(db, attrs: list[str]) -> dict[tuple, int]:
    """Distinct publishable respondents (or documents without one) per group."""
    docs = publishable_documents(db)
    groups = _group_of_documents(db, attrs, set(docs)) if attrs else {}
    respondent = dict(db.execute("SELECT id, respondent_id FROM documents").fetchall())
    members: dict[tuple, set] = defaultdict(set)
    for d in docs:
        key = groups.get(d, (MISSING,) * len(attrs)) if attrs else ()
        members[key].add(respondent.get(d) or f"doc{d}")
    return {g: len(m) for g, m in members.items()}
