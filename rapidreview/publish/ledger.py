"""The evidence ledger: recommendations, the themes and quotes behind them, and what
the provider said and did about each.

    rec = add(db, "Offer evening GP appointments", themes=[3], quotes=[1204])
    respond(db, rec, response="Pilot from April", outcome="Two evening clinics a week",
            status="accepted")

A theme is a number within a theme run (the latest unless `run_id` is given); its label
is kept too, so the link still reads well after the run is replaced. A quote is a segment.
"""

from __future__ import annotations

import sqlite_utils

from .. import store
from ..errors import NotFound, RapidReviewError
from ..themes import get_run

STATUSES = ("open", "accepted", "partly accepted", "declined", "implemented")


class LedgerError(RapidReviewError):
    """A recommendation that cannot be recorded as given."""


def add(db: sqlite_utils.Database, text: str, *, themes=(), quotes=(), run_id: int | None = None,
        actor: str | None = None) -> int:
    """Record a recommendation with the evidence behind it; returns its id."""
    if not text or not text.strip():
        raise LedgerError("a recommendation needs its text, e.g. \"Offer evening GP appointments\".")
    if not themes and not quotes:
        raise LedgerError("link the recommendation to its evidence: give at least one --theme or --quote.")
    linked = []
    if themes:
        run = get_run(db, run_id)
        labels = {t["number"]: t["label"] for t in run["themes"]}
        for number in themes:
            if number not in labels:
                raise NotFound(f"theme {number} is not in theme run {run['id']}; its themes are "
                               f"{', '.join(map(str, sorted(labels))) or 'none'} (see `rapidreview themes show`).")
            linked.append((run["id"], number, labels[number], None))
    for seg in quotes:
        if db.execute("SELECT 1 FROM segments WHERE id = ?", [seg]).fetchone() is None:
            raise NotFound(f"quote (segment) {seg} does not exist in this review.")
        linked.append((None, None, None, seg))
    actor = actor or store.default_actor()
    with store.transaction(db):
        rec_id = db.execute("INSERT INTO recommendations (text, actor, created_at) VALUES (?, ?, ?)",
                            [text.strip(), actor, store.now()]).lastrowid
        store.insert_many(db, "recommendation_evidence",
                          ["recommendation_id", "run_id", "theme_number", "theme_label", "segment_id"],
                          [(rec_id, *link) for link in linked])
        store.log_event(db, "recommendation.add", {"id": rec_id, "text": text.strip(), "themes": list(themes),
                                                   "quotes": list(quotes), "run_id": linked[0][0]}, actor)
    return rec_id


def respond(db: sqlite_utils.Database, rec_id: int, *, response: str | None = None, outcome: str | None = None,
            status: str | None = None, by: str | None = None, actor: str | None = None) -> dict:
    """Record the provider's response, the outcome and the status (only what is given changes)."""
    get(db, rec_id)
    if status is not None and status not in STATUSES:
        raise LedgerError(f"status {status!r} is not one of: {', '.join(STATUSES)}.")
    if response is None and outcome is None and status is None:
        raise LedgerError("nothing to record: give --response, --outcome or --status.")
    changes = {k: v for k, v in (("response", response), ("outcome", outcome), ("status", status),
                                 ("responded_by", by)) if v is not None}
    with store.transaction(db):
        sets = ", ".join(f"{k} = ?" for k in changes) + ", responded_at = ?"
        db.execute(f"UPDATE recommendations SET {sets} WHERE id = ?", [*changes.values(), store.now(), rec_id])
        store.log_event(db, "recommendation.respond", {"id": rec_id, **changes}, actor)
    return get(db, rec_id)


def get(db: sqlite_utils.Database, rec_id: int) -> dict:
    rows = list_all(db, ids=[rec_id])
    if not rows:
        raise NotFound(f"no recommendation {rec_id}. List them with `rapidreview recommend list REVIEW_DB`.")
    return rows[0]


def list_all(db: sqlite_utils.Database, ids=None) -> list[dict]:
    """Every recommendation with its evidence: themes as (run, number, label), quotes as segment ids."""
    where = f"WHERE id IN ({','.join('?' * len(ids))})" if ids else ""
    recs = [dict(zip(["id", "text", "status", "response", "outcome", "responded_by", "responded_at", "actor",
                      "created_at"], r))
            for r in db.execute("SELECT id, text, status, response, outcome, responded_by, responded_at, actor, "
                                f"created_at FROM recommendations {where} ORDER BY id", list(ids or []))]
    for rec in recs:
        rec["themes"], rec["quotes"] = [], []
        for run_id, number, label, seg in db.execute(
                "SELECT run_id, theme_number, theme_label, segment_id FROM recommendation_evidence "
                "WHERE recommendation_id = ? ORDER BY id", [rec["id"]]):
            if seg is not None:
                rec["quotes"].append(seg)
            else:
                rec["themes"].append({"run": run_id, "number": number, "label": label})
    return recs
