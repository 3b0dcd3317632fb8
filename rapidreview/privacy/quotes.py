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
BATCH = 2000  # segments per batch: bounded memory, few round trips


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
    if any answered document has not been scanned for personal data. For a large review
    use `publishable_segment_batches`, which holds one batch in memory at a time.
    """
    wanted = None if segment_ids is None else set(segment_ids)
    return [s for batch in publishable_segment_batches(db, min_group=min_group, group_attr=group_attr, roles=roles)
            for s in batch if wanted is None or s["segment_id"] in wanted]


def publishable_segment_batches(db: sqlite_utils.Database, *, min_group: int = 0, group_attr=None,
                                roles=("participant",), include_withheld: bool = False,
                                batch_size: int | None = None):
    """Yield lists of publishable segments in segment id order, `batch_size` at a time
    (keyset on the id, so memory stays flat however large the review). Each is a dict:
    segment_id, document_id, text (redacted), group ({attribute: value}), role. With
    `include_withheld`, segments of groups below `min_group` come too, marked
    `withheld: True` (publish counts them but does not quote them)."""
    assert_redacted(db)
    attrs = [group_attr] if isinstance(group_attr, str) else list(group_attr or [])
    allowed_groups = None
    if min_group > 0:
        allowed_groups = {g for g, n in _group_sizes(db, attrs).items() if n >= min_group}
    sql, params = _segment_query(attrs, roles)
    last = 0
    while rows := db.execute(sql, [*params, last, batch_size or BATCH]).fetchall():
        last = rows[-1][0]
        doc_ids = list({r[1] for r in rows})
        texts, spans = _document_texts(db, doc_ids), _spans_for(db, doc_ids)
        out = []
        for seg_id, doc_id, start, end, speaker_role, *group in rows:
            group = tuple(g or MISSING for g in group)
            withheld = allowed_groups is not None and group not in allowed_groups
            if withheld and not include_withheld:
                continue
            seg = {"segment_id": seg_id, "document_id": doc_id,
                   "text": apply(texts[doc_id], spans.get(doc_id, []), start, end),
                   "group": dict(zip(attrs, group)), "role": speaker_role}
            if include_withheld:
                seg["withheld"] = withheld
            out.append(seg)
        yield out


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


def _segment_query(attrs: list[str], roles) -> tuple[str, list]:
    """One page of publishable segments after a given id, with each one's group values."""
    where = ["d.answered = 1", "(r.id IS NULL OR (r.withdrawn = 0 AND r.consent = 1))"]
    params: list = []
    columns, group_params = _group_columns(attrs)
    if roles:
        where.append(f"s.role IN ({','.join('?' * len(roles))})")
        params += list(roles)
    sql = (f'SELECT s.id, s.document_id, s.start, s."end", s.role{columns} FROM segments s '
           "JOIN documents d ON d.id = s.document_id LEFT JOIN respondents r ON r.id = d.respondent_id "
           "WHERE " + " AND ".join(where) + " AND s.id > ? ORDER BY s.id LIMIT ?")
    return sql, group_params + params


def _group_columns(attrs: list[str]) -> tuple[str, list]:
    """SQL columns giving a document's value of each attribute: its own, or else its
    respondent's (a transcript has none of its own); '' for a document's own empty value,
    so that it does not fall through to the respondent's. Needs `d` (documents)."""
    columns, params = "", []
    for a in attrs:
        columns += (", coalesce((SELECT coalesce(a.value, '') FROM attributes a WHERE a.document_id = d.id "
                    "AND a.name = ?), (SELECT a.value FROM documents d2 JOIN attributes a ON a.document_id = d2.id "
                    "WHERE d2.respondent_id = d.respondent_id AND a.name = ? ORDER BY d2.id LIMIT 1))")
        params += [a, a]
    return columns, params


def _document_texts(db, doc_ids: list[int]) -> dict[int, str]:
    out = {}
    for i in range(0, len(doc_ids), 900):
        part = doc_ids[i:i + 900]
        out.update(db.execute(f"SELECT id, text FROM documents WHERE id IN ({','.join('?' * len(part))})", part))
    return out


def _group_sizes(db, attrs: list[str]) -> dict[tuple, int]:
    """Distinct publishable respondents (or documents without one) per group. Documents
    come in respondent order, so only the current respondent's groups are held."""
    columns, params = _group_columns(attrs)
    rows = db.execute(f"SELECT d.respondent_id{columns} FROM documents d "
                      "LEFT JOIN respondents r ON r.id = d.respondent_id "
                      "WHERE d.answered = 1 AND (r.id IS NULL OR (r.withdrawn = 0 AND r.consent = 1)) "
                      "ORDER BY d.respondent_id, d.id", params)
    sizes: dict[tuple, int] = defaultdict(int)
    current, seen = None, set()
    for respondent, *group in rows:
        key = tuple(g or MISSING for g in group)
        if respondent is None:  # a document on its own is its own member
            sizes[key] += 1
            continue
        if respondent != current:
            current, seen = respondent, set()
        if key not in seen:
            seen.add(key)
            sizes[key] += 1
    return dict(sizes)
