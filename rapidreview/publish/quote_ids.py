"""Public quote numbers: how commissioners cite a quote without learning which quotes
came from the same person.

A review's segment ids run in import order, so neighbouring ids are usually one
respondent's answers to the next question, or a transcript's next turn: published as
they are, they let anyone put one person's words back together, with their month,
service and age group. A quote is published instead under a keyed number, an
HMAC-SHA256 of its segment id under a secret kept in the review (`review_secrets`),
truncated to 52 bits (exact in JavaScript and JSON). The same review gives the same
numbers in every publish (commissioners bookmark quotes); another review, even with
the same texts, gives others; and without the secret the numbers say nothing about
order or who said what.

    numbers = QuoteNumbers(db)        # after ensure_key(db), in any read transaction
    numbers(1204)                     # e.g. 2970212915331861
    numbers.segment_of(2970212915331861)  # 1204: for the researcher a commissioner cites

Two segments of a review may hash to one number (about 1 in 10,000 reviews of a million
segments): the lower segment id keeps it and the other is hashed again with a counter
until its number is free. Collisions are looked for over every segment of the review,
not only the published ones, so a quote keeps its number whatever else is published.
"""

from __future__ import annotations

import hmac
import secrets

import numpy as np
import sqlite_utils

from .. import store
from ..errors import NotFound

SECRET_NAME = "quote_numbers"  # the review_secrets row holding the key
BITS = 52  # 2**53 is the largest integer a JavaScript number holds exactly


def ensure_key(db: sqlite_utils.Database) -> None:
    """Make the review's quote-number key on first publish (a write: call it before
    publish's read snapshot)."""
    if _read_key(db) is None:
        with store.transaction(db):
            db.execute("INSERT OR IGNORE INTO review_secrets (name, value, created_at) VALUES (?, ?, ?)",
                       [SECRET_NAME, secrets.token_hex(32), store.now()])


def _read_key(db) -> bytes | None:
    row = db.execute("SELECT value FROM review_secrets WHERE name = ?", [SECRET_NAME]).fetchone()
    return bytes.fromhex(row[0]) if row else None


def keyed_number(key: bytes, segment_id: int, attempt: int = 0, bits: int = BITS) -> int:
    """The quote number of a segment: the top `bits` of HMAC-SHA256(key, its id)."""
    message = f"{segment_id}" if attempt == 0 else f"{segment_id}#{attempt}"
    digest = hmac.digest(key, message.encode("ascii"), "sha256")
    return int.from_bytes(digest[:8], "big") >> (64 - bits)


class QuoteNumbers:
    """segment id -> public quote number for one review, collisions resolved (see above).
    Holds every segment's number in two numpy arrays (16 bytes a segment)."""

    def __init__(self, db: sqlite_utils.Database, bits: int = BITS):
        key = _read_key(db)
        if key is None:
            raise RuntimeError("the review has no quote-number key yet: call quote_ids.ensure_key(db) first")
        self.key, self.bits = key, bits
        self.ids = np.fromiter((r[0] for r in db.execute("SELECT id FROM segments ORDER BY id")), dtype=np.int64)
        self.numbers = np.fromiter((keyed_number(key, int(s), bits=bits) for s in self.ids), dtype=np.uint64,
                                   count=len(self.ids))
        self.moved = self._resolve()
        for s, n in self.moved.items():
            self.numbers[np.searchsorted(self.ids, s)] = n

    def _resolve(self) -> dict[int, int]:
        """The few segments whose number a lower segment id already holds, with their own."""
        taken = np.sort(self.numbers)
        clashes = np.unique(taken[1:][taken[1:] == taken[:-1]])
        if not len(clashes):
            return {}
        holder, moved = set(), {}
        for i in np.flatnonzero(np.isin(self.numbers, clashes)):  # ascending ids: the lowest keeps its number
            s, n = int(self.ids[i]), int(self.numbers[i])
            if n not in holder:
                holder.add(n)
                continue
            attempt = 1
            while _holds(taken, n := keyed_number(self.key, s, attempt, self.bits)) or n in moved.values():
                attempt += 1
            moved[s] = n
        return moved

    def many(self, segment_ids) -> list[int]:
        """The numbers of many segments of the review at once."""
        wanted = np.asarray(segment_ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.ids, wanted), max(len(self.ids) - 1, 0))
        if len(wanted) and (not len(self.ids) or (self.ids[at] != wanted).any()):
            # Never a neighbour's number: a segment made since these numbers were read is an error.
            missing = sorted(set(wanted.tolist()) - set(self.ids[at].tolist()))
            raise KeyError(f"segments not numbered: {missing[:5]}")
        return self.numbers[at].tolist()

    def __call__(self, segment_id: int) -> int:
        return self.many([segment_id])[0]

    def segment_of(self, number: int) -> int | None:
        """The segment a published quote number stands for (None if none does)."""
        found = np.flatnonzero(self.numbers == np.uint64(number))
        return int(self.ids[found[0]]) if len(found) else None


def segments_of(db: sqlite_utils.Database, numbers) -> list[int]:
    """The review's segments behind published quote numbers, in order: what a commissioner
    cites ("Quote #2970212915331861"), traced back for the researcher."""
    if not numbers:
        return []
    if _read_key(db) is None:
        raise NotFound("this review has never been published, so it has no quote numbers. Quote numbers come "
                       "from the public.db that `rapidreview publish` made from this review.")
    found = QuoteNumbers(db)
    out = []
    for number in numbers:
        segment = found.segment_of(number)
        if segment is None:
            raise NotFound(f"no quote of this review is numbered {number}. Check the number (quotes.quote_id in "
                           "public.db) and that the public.db was published from this review.")
        out.append(segment)
    return out


def trace(db: sqlite_utils.Database, number: int) -> dict:
    """The quote behind a published number, as the review holds it (unredacted, for the researcher)."""
    [segment] = segments_of(db, [number])
    row = db.execute(
        """SELECT s.id, d.id, d.external_id, d.question, s.speaker, s.start, s."end", s.text, src.name
           FROM segments s JOIN documents d ON d.id = s.document_id JOIN sources src ON src.id = d.source_id
           WHERE s.id = ?""", [segment]).fetchone()
    keys = ["segment_id", "document_id", "document", "question", "speaker", "start", "end", "text", "source"]
    return {"quote_number": number, **dict(zip(keys, row))}


def _holds(ordered: np.ndarray, n: int) -> bool:
    i = int(np.searchsorted(ordered, np.uint64(n)))
    return i < len(ordered) and int(ordered[i]) == n
