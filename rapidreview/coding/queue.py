"""The review queue: suggestions to accept or reject, most uncertain first.

Active learning: a decision on a suggestion the model was unsure of teaches it the
most. The default order takes each code's suggestions in order of doubt (calibrated
confidence nearest 0.5 first; rule suggestions, whose precision nobody has measured,
count as fairly unsure) and lets the codes take turns in proportion to how many
suggestions each has, so no code's queue is starved (see `_stratified`). In the
simulation of bench/bench_coding.py it beat random order on micro and macro F1 on
four of four respondent splits; plain nearest-the-threshold order (`margin`) lost to
random on micro F1 on two. Every decision goes to the event log with who made it;
the coding keeps its origin and records `decided_by`.

    for s in queue(db, limit=20): decide(db, s.id, "accept", actor="alice")
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, replace
from typing import NamedTuple

import sqlite_utils

from .. import store
from ..errors import NotFound, RapidReviewError


class AlreadyDecided(RapidReviewError):
    """Someone else decided this suggestion first."""

RULE_MARGIN = 0.25  # where rule suggestions (no confidence) sit in the uncertainty order
DECISIONS = {"accept": "accepted", "reject": "rejected"}
ORDERS = ("uncertain", "margin", "random")


@dataclass
class Suggestion:
    id: int
    document_id: int
    external_id: str
    segment_id: int | None
    start: int
    end: int
    code_id: int
    code: str
    coder: str
    origin: str
    confidence: float | None
    rule: str | None
    model_version: str | None
    text: str  # the suggested span's text
    margin: float  # distance from the code's threshold: small is uncertain


def _thresholds(db) -> dict[tuple[str, int], float]:
    out = {}
    for version, codes in db.execute("SELECT version, codes FROM models"):
        for c in json.loads(codes):
            out[(version, c["id"])] = c["threshold"]
    return out


def queue(db: sqlite_utils.Database, *, order: str = "uncertain", codes: set[int] | None = None,
          limit: int | None = None, seed: int = 0) -> list[Suggestion]:
    """Undecided suggestions in review order: 'uncertain' (active learning, see
    `_stratified`), 'margin' (nearest its code's threshold first) or 'random'."""
    if order not in ORDERS:
        raise RapidReviewError(f"unknown queue order {order!r}: use {', '.join(map(repr, ORDERS))}.")
    thresholds = _thresholds(db)
    rows = db.execute("""
        SELECT c.id, c.document_id, d.external_id, c.segment_id, c.start, c."end", c.code_id, k.name, c.coder,
               c.origin, c.confidence, c.rule, c.model_version, substr(d.text, c.start + 1, c."end" - c.start),
               c.status = 'suggested' AND c.decided_by IS NULL
        FROM codings c JOIN documents d ON d.id = c.document_id JOIN codes k ON k.id = c.code_id
        WHERE c.origin IN ('rule', 'model') AND k.archived = 0""").fetchall()
    # Decided suggestions take part in the ordering, then drop out: the queue's order
    # stays the same as people work through it (a code's share does not shift).
    out, pending = [], set()
    for r in rows:
        if codes is not None and r[6] not in codes:
            continue
        out.append(Suggestion(*r[:-1], margin=_margin(r[10], thresholds.get((r[12], r[6])), r[11])))
        if r[-1]:
            pending.add(r[0])

    def tiebreak(s: Suggestion) -> str:
        return hashlib.sha256(f"{seed}:{s.id}".encode()).hexdigest()

    if order == "random":
        out.sort(key=tiebreak)
    elif order == "margin":
        out.sort(key=lambda s: (s.margin, tiebreak(s)))
    else:
        out = _stratified(out, tiebreak)
    out = [s for s in out if s.id in pending]
    return out[:limit] if limit else out


def _doubt(s: Suggestion) -> float:
    """How far the calibrated confidence is from a coin toss (rules: RULE_MARGIN)."""
    return RULE_MARGIN if s.confidence is None else abs(s.confidence - 0.5)


def _stratified(items: list[Suggestion], tiebreak) -> list[Suggestion]:
    """Per-code uncertainty, codes interleaved in proportion to their suggestions.

    Nearest-threshold-first (`margin`) showed mostly wrong suggestions (thresholds
    tuned for F1 sit well below 0.5 for rare codes) and did not beat random order.
    Here each code's suggestions are ranked by how close their calibrated confidence
    is to 0.5, and the codes take turns at the rate random order would show them:
    the i-th of a code's n suggestions sits at (i + 0.5) / n in the queue."""
    lanes: dict[int, list[Suggestion]] = {}
    for s in sorted(items, key=lambda s: (_doubt(s), tiebreak(s))):
        lanes.setdefault(s.code_id, []).append(s)
    ranked = [((i + 0.5) / len(lane), tiebreak(s), s) for lane in lanes.values() for i, s in enumerate(lane)]
    ranked.sort(key=lambda t: t[:2])
    return [s for _, _, s in ranked]


def _margin(confidence, threshold, rule) -> float:
    if confidence is None:
        return RULE_MARGIN
    if threshold is None:  # lexicon: confidence runs from 0.5 (unsure) to 1
        threshold = 0.5
    return abs(confidence - threshold)


def decide(db: sqlite_utils.Database, coding_id: int, decision: str, *, actor: str | None = None,
           pending_only: bool = False) -> dict:
    """Accept or reject a suggestion (changing an earlier decision is allowed and logged).
    `pending_only`: refuse (AlreadyDecided) if someone decided it meanwhile, so two people
    working through the queue at once never overwrite each other silently."""
    if decision not in DECISIONS:
        raise RapidReviewError(f"unknown decision {decision!r}: use accept or reject (or skip).")
    actor = actor or store.default_actor()
    with store.transaction(db):
        row = _row(db, coding_id)
        if row["origin"] not in ("rule", "model"):
            raise RapidReviewError(f"coding {coding_id} is a {row['origin']} coding, not a suggestion: "
                                   "remove or change it with manual coding instead.")
        if pending_only and row["status"] != "suggested":
            decided_by = db.execute("SELECT decided_by FROM codings WHERE id = ?", [coding_id]).fetchone()[0]
            raise AlreadyDecided(f"suggestion {coding_id} was already {row['status']} by {decided_by}: "
                                 "take the next one.")
        status = DECISIONS[decision]
        db.execute("UPDATE codings SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?",
                   [status, actor, store.now(), coding_id])
        store.log_event(db, decision, {**row, "previous": row["status"]}, actor)
    return {**row, "status": status, "decided_by": actor}


def skip(db: sqlite_utils.Database, coding_id: int, *, actor: str | None = None) -> None:
    """Pass over a suggestion for now (logged, nothing changes)."""
    actor = actor or store.default_actor()
    with store.transaction(db):
        row = _row(db, coding_id)
        # Remembered for this person only (the workbench queue leaves it out for them).
        db.execute("INSERT OR REPLACE INTO queue_skips (coding_id, coder, created_at) VALUES (?, ?, ?)",
                   [coding_id, actor, store.now()])
        store.log_event(db, "skip", {"coding_id": coding_id, "code": row["code"], "external_id": row["external_id"]},
                        actor)


def undo(db: sqlite_utils.Database, coding_id: int, *, actor: str | None = None) -> dict:
    """Take back your own decision or skip on a suggestion: it is back in the queue."""
    actor = actor or store.default_actor()
    with store.transaction(db):
        row = _row(db, coding_id)
        decided_by = db.execute("SELECT decided_by FROM codings WHERE id = ?", [coding_id]).fetchone()[0]
        undone = None
        if decided_by == actor and row["origin"] in ("rule", "model"):
            db.execute("UPDATE codings SET status = 'suggested', decided_by = NULL, decided_at = NULL WHERE id = ?",
                       [coding_id])
            undone = row["status"]
        skipped = db.execute("DELETE FROM queue_skips WHERE coding_id = ? AND coder = ?", [coding_id, actor]).rowcount
        if undone is None and not skipped:
            raise RapidReviewError(f"suggestion {coding_id}: you have no decision or skip on it to undo.")
        store.log_event(db, "undo", {**row, "undone": undone or "skip"}, actor)
    return {**row, "status": "suggested" if undone else row["status"], "undone": undone or "skip"}


def _row(db, coding_id: int) -> dict:
    row = db.execute("""SELECT c.id, c.document_id, d.external_id, c.start, c."end", c.code_id, k.name, c.coder,
                               c.origin, c.status, c.confidence, c.rule, c.model_version
                        FROM codings c JOIN documents d ON d.id = c.document_id JOIN codes k ON k.id = c.code_id
                        WHERE c.id = ?""", [coding_id]).fetchone()
    if row is None:
        raise NotFound(f"no coding {coding_id}. See the queue with `rapidreview review REVIEW_DB --list`.")
    keys = ["coding_id", "document_id", "external_id", "start", "end", "code_id", "code", "coder", "origin",
            "status", "confidence", "rule", "model_version"]
    return dict(zip(keys, row))


def mark_seen(db: sqlite_utils.Database, document_ids, coder: str) -> None:
    """Record that `coder` read these documents whole: for agreement, text they left
    uncoded there is a decision not to code it."""
    now = store.now()
    db.conn.executemany("INSERT OR IGNORE INTO coder_documents (document_id, coder, created_at) VALUES (?, ?, ?)",
                        [(d, coder, now) for d in document_ids])


# ---------------------------------------------------------------- the indexed queue (workbench)
# `queue()` sorts every suggestion on each call: fine for the terminal, far too slow per click
# on a big review. `rank` writes the 'uncertain' order once to `queue_order` (a narrow table
# keyed by rank), so `next_suggestions` walks it from the front and stops at the first
# suggestion still undecided: the same order as `queue(order="uncertain")`. Each ranking is a
# new generation, written in batches and switched to in one small transaction, so readers
# always see a complete order and writers never wait long.

RANK_BATCH = 10_000  # rows per transaction while writing a new order
COUNT_CAP = 100  # `pending_count` counts exactly up to here (counting 500k rows per click is too slow)


class _Ranked(NamedTuple):  # what `_stratified` needs of a suggestion
    id: int
    code_id: int
    confidence: float | None


def _state(db, name: str, default: int = 0) -> int:
    row = db.execute("SELECT value FROM queue_state WHERE name = ?", [name]).fetchone()
    return row[0] if row else default


def unranked(db: sqlite_utils.Database) -> bool:
    """Are there suggestions newer than the queue's order (`rapidreview code` ran since)?"""
    return db.execute("SELECT 1 FROM codings WHERE id > ? AND status = 'suggested' AND origin IN ('rule', 'model') "
                      "LIMIT 1", [_state(db, "ranked_to")]).fetchone() is not None


def rank(db: sqlite_utils.Database, *, seed: int = 0, batch: int = RANK_BATCH, pause: float = 0.0) -> int:
    """Write the queue's order afresh (undecided suggestions only); returns their number.
    `pause`: seconds between write batches, so people deciding meanwhile get the lock."""
    ranked_to = db.execute("SELECT coalesce(max(id), 0) FROM codings").fetchone()[0]
    rows = db.execute("""SELECT c.id, c.code_id, c.confidence, c.status = 'suggested' AND c.decided_by IS NULL
                         FROM codings c JOIN codes k ON k.id = c.code_id
                         WHERE c.origin IN ('rule', 'model') AND k.archived = 0 AND c.id <= ?""",
                      [ranked_to]).fetchall()
    pending = {r[0] for r in rows if r[3]}

    def tiebreak(s) -> str:
        return hashlib.sha256(f"{seed}:{s.id}".encode()).hexdigest()

    order = [(s.id, s.code_id) for s in _stratified([_Ranked(*r[:3]) for r in rows], tiebreak) if s.id in pending]
    current = _state(db, "generation")
    new = current + 1
    with store.transaction(db):  # the remains of a ranking that was interrupted
        db.execute("DELETE FROM queue_order WHERE generation > ?", [current])
    for i in range(0, len(order), batch):
        with store.transaction(db):
            db.conn.executemany("INSERT INTO queue_order (generation, rank, coding_id, code_id) VALUES (?, ?, ?, ?)",
                                [(new, i + j, cid, code) for j, (cid, code) in enumerate(order[i:i + batch])])
        time.sleep(pause)
    with store.transaction(db):
        db.conn.executemany("INSERT OR REPLACE INTO queue_state (name, value) VALUES (?, ?)",
                            [("generation", new), ("ranked_to", ranked_to), ("size", len(order))])
    _drop_generations(db, new, batch, pause)
    return len(order)


def _drop_generations(db, keep: int, batch: int, pause: float) -> None:
    while True:
        with store.transaction(db):
            gone = db.execute("""DELETE FROM queue_order WHERE (generation, rank) IN (
                                     SELECT generation, rank FROM queue_order WHERE generation < ? LIMIT ?)""",
                              [keep, batch]).rowcount
        if gone < batch:
            return
        time.sleep(pause)


@dataclass
class QueueFilter:
    codes: set[int] | None = None
    origin: str | None = None  # 'rule' or 'model'
    question: str | None = None
    code_column: str = "o.code_id"  # walking the order: its (generation, code, rank) index

    def sql(self) -> tuple[str, list]:
        where, params = [], []
        if self.codes is not None:
            ids = sorted(self.codes)
            where.append(f"{self.code_column} IN ({','.join('?' * len(ids))})")
            params += ids
        if self.origin:
            if self.origin not in ("rule", "model"):
                raise RapidReviewError(f"unknown origin {self.origin!r}: use rule or model.")
            where.append("c.origin = ?")
            params.append(self.origin)
        if self.question is not None:
            where.append("d.question = ?")
            params.append(self.question)
        return "".join(f" AND {w}" for w in where), params


# Walk the order from the front; decided, withdrawn and skipped suggestions are passed over.
_PENDING = """FROM queue_order o {index} JOIN codings c ON c.id = o.coding_id JOIN documents d ON d.id = c.document_id
    JOIN codes k ON k.id = c.code_id
    WHERE o.generation = ? AND c.status = 'suggested' AND c.decided_by IS NULL AND k.archived = 0
      AND NOT EXISTS (SELECT 1 FROM queue_skips q WHERE q.coding_id = c.id AND q.coder = ?)"""


def _walk(where: QueueFilter) -> str:
    # One code: walk that code's entries in rank order (sparse codes would make the
    # whole order's walk long). Several: the whole order (sorting their union per click is worse).
    one_code = where.codes is not None and len(where.codes) == 1
    return _PENDING.format(index="INDEXED BY queue_order_code" if one_code else "")


_COLUMNS = """c.id, c.document_id, d.external_id, c.segment_id, c.start, c."end", c.code_id, k.name, c.coder,
    c.origin, c.confidence, c.rule, c.model_version, substr(d.text, c.start + 1, c."end" - c.start)"""


def next_suggestions(db: sqlite_utils.Database, coder: str, where: QueueFilter | None = None, *,
                     limit: int = 1) -> list[Suggestion]:
    """The next undecided suggestions for `coder` in queue order (their skips left out)."""
    where = where or QueueFilter()
    extra, params = where.sql()
    rows = db.execute(f"SELECT {_COLUMNS} {_walk(where)} {extra} ORDER BY o.rank LIMIT ?",
                      [_state(db, "generation"), coder, *params, limit]).fetchall()
    return [_suggestion(db, r) for r in rows]


def pending(db: sqlite_utils.Database, coding_id: int) -> Suggestion | None:
    """One suggestion if it is undecided (e.g. just undone, whether or not it is ranked)."""
    row = db.execute(f"""SELECT {_COLUMNS} FROM codings c JOIN documents d ON d.id = c.document_id
                         JOIN codes k ON k.id = c.code_id
                         WHERE c.id = ? AND c.status = 'suggested' AND c.decided_by IS NULL
                           AND c.origin IN ('rule', 'model')""", [coding_id]).fetchone()
    return _suggestion(db, row) if row else None


def _suggestion(db, r) -> Suggestion:
    threshold = None
    if r[12] is not None and r[10] is not None:
        threshold = _thresholds_of(db, r[12]).get(r[6])
    return Suggestion(*r, margin=_margin(r[10], threshold, r[11]))


def queue_size(db: sqlite_utils.Database) -> dict:
    """How many suggestions the current order held when it was ranked, and up to which coding."""
    return {"ranked": _state(db, "size"), "generation": _state(db, "generation")}


def pending_count(db: sqlite_utils.Database, coder: str, where: QueueFilter | None = None, *,
                  cap: int | None = COUNT_CAP) -> int:
    """How many undecided, ranked suggestions are left for `coder`, counted up to `cap`
    (None: all of them, which takes a while on a big review)."""
    where = where or QueueFilter()
    extra, params = where.sql()
    limit = "" if cap is None else f"LIMIT {int(cap)}"
    if where.codes is not None:
        extra, params = replace(where, code_column="c.code_id").sql()
        # A rare code is sparse in the order: count its suggestions through the (code, status) index.
        documents = "JOIN documents d ON d.id = c.document_id" if where.question is not None else ""
        return db.execute(f"""SELECT count(*) FROM (SELECT 1 FROM codings c {documents} JOIN codes k ON k.id = c.code_id
                              WHERE c.status = 'suggested' AND c.decided_by IS NULL AND k.archived = 0
                                AND c.origin IN ('rule', 'model') AND c.id <= ?
                                AND NOT EXISTS (SELECT 1 FROM queue_skips q WHERE q.coding_id = c.id AND q.coder = ?)
                                {extra} {limit})""", [_state(db, "ranked_to"), coder, *params]).fetchone()[0]
    return db.execute(f"SELECT count(*) FROM (SELECT 1 {_walk(where)} {extra} ORDER BY o.rank {limit})",
                      [_state(db, "generation"), coder, *params]).fetchone()[0]


def _thresholds_of(db, version: str) -> dict[int, float]:
    row = db.execute("SELECT codes FROM models WHERE version = ?", [version]).fetchone()
    return {c["id"]: c["threshold"] for c in json.loads(row[0])} if row else {}


def context(db: sqlite_utils.Database, s: Suggestion, *, chars: int = 500) -> dict:
    """What a person needs to judge a suggestion: the text around it (the surrounding
    sentences or turns), the question or title, the speaker, the respondent's
    attributes, and the code's definition."""
    text, question, title, kind, date = db.execute(
        "SELECT text, question, title, kind, date FROM documents WHERE id = ?", [s.document_id]).fetchone()
    lo, hi = max(0, s.start - chars), min(len(text), s.end + chars)
    speaker = None
    if s.segment_id is not None:
        speaker = db.execute("SELECT speaker FROM segments WHERE id = ?", [s.segment_id]).fetchone()[0]
    code = db.execute("SELECT key, name, colour, description, include, exclude FROM codes WHERE id = ?",
                      [s.code_id]).fetchone()
    return {
        "before": ("…" if lo > 0 else "") + text[lo:s.start], "quote": text[s.start:s.end],
        "after": text[s.end:hi] + ("…" if hi < len(text) else ""),
        "question": question, "title": title, "kind": kind, "date": date, "speaker": speaker,
        "attributes": [list(r) for r in db.execute(
            "SELECT name, value FROM attributes WHERE document_id = ? ORDER BY name", [s.document_id])],
        "code": dict(zip(["key", "name", "colour", "description", "include", "exclude"], code)),
    }


def queue_filters(db: sqlite_utils.Database) -> dict:
    """What the queue can be narrowed to: the codes in use, and the questions asked."""
    codes = db.execute("""SELECT id, name, colour FROM codes WHERE archived = 0 AND codable = 1
                          ORDER BY name COLLATE NOCASE""").fetchall()
    questions = [r[0] for r in db.execute("SELECT DISTINCT question FROM documents WHERE question IS NOT NULL "
                                          "ORDER BY question")]
    return {"codes": [dict(zip(["id", "name", "colour"], r)) for r in codes], "questions": questions}
