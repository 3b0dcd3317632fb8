"""The redaction layer: spans in the `redactions` table, never a rewrite of the text.

`redact(db)` runs the detectors over every answered document not yet scanned with the
current detectors and config, and reconciles what it finds with what is stored:
- automatic spans it no longer finds (detectors improved, allow-list grew) are removed;
- new ones are added, unless a person already decided that text (a confirmed or manual
  span overlapping it, or an undone span containing it);
- confirmed, undone and manual spans are never changed: people decide.
Running it twice changes nothing. Placeholders are typed and numbered per document for
names: the same person is `[NAME 1]` each time, another person `[NAME 2]`.

`redacted_text(db, document_id, start, end)` is the only way text should leave the
review: it applies every span that is not undone.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from typing import Callable, Iterable

import sqlite_utils

from .. import store
from ..errors import NotFound, RapidReviewError
from .config import DEFAULT_CONFIG, PrivacyConfig
from .detectors import PLACEHOLDERS, Span, detect, placeholder, resolve
from .known import review_config, save_config
from .names import TITLES

# Bump when the detectors change: every document is scanned again, and `redact` says why.
# 2: the review's known names (speakers, participants, config names), self-introductions,
#    appositions and sentence-initial names before a verb (issue 5).
VERSION = "2"
BATCH = 1000
MANUAL = "manual"


class RedactionNeeded(RapidReviewError):
    """Text would leave the review before the detectors have read it."""


@dataclass
class RedactResult:
    documents: int = 0  # documents scanned in this run
    added: int = 0
    removed: int = 0
    kept_human: int = 0  # spans a person decided, left as they were
    by_kind: Counter = field(default_factory=Counter)
    older_version: int = 0  # documents last scanned by older detectors, scanned again
    known_names: int = 0  # name words this review knows (speakers, participants, config)

    def message(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.by_kind.items())) or "nothing new"
        changed = (f"The detectors changed (now version {VERSION}): {self.older_version} documents scanned "
                   "before are scanned again. " if self.older_version else "")
        return (f"{changed}Scanned {self.documents} documents: {self.added} spans added ({kinds}), "
                f"{self.removed} removed, {self.kept_human} human decisions kept; "
                f"{self.known_names} known name words (speakers, participants, config).")

    def to_dict(self) -> dict:
        return {**self.__dict__, "by_kind": dict(self.by_kind)}


def scan_signature(config: PrivacyConfig, model=None) -> str:
    fingerprint = {**config.fingerprint(), "model": model.meta.get("name") if model is not None else None}
    blob = json.dumps(fingerprint, sort_keys=True, default=str)
    return f"v{VERSION}:{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def redact(db: sqlite_utils.Database, config: PrivacyConfig | None = None, *, rescan: bool = False,
           use_model: bool | None = None, nlp=None, actor: str | None = None,
           on_progress: Callable[[int, int], None] | None = None) -> RedactResult:
    """Scan documents and store their redaction spans. `on_progress(done, total)`.

    use_model: add PERSON entities from a trained spaCy pipeline (None: when
    RAPIDREVIEW_SPACY_MODEL names one); `nlp` passes a pipeline directly."""
    given = config or DEFAULT_CONFIG
    config = review_config(db, given)
    model = nlp if nlp is not None and use_model is not False else _model(use_model)
    signature = scan_signature(config, model)
    where = "d.answered = 1" if rescan else "d.answered = 1 AND (s.document_id IS NULL OR s.detectors != ?)"
    params = [] if rescan else [signature]
    todo = [r[0] for r in db.execute(
        f"SELECT d.id FROM documents d LEFT JOIN redaction_scans s ON s.document_id = d.id WHERE {where} "
        "ORDER BY d.id", params)]
    result = RedactResult(known_names=len(config.known))
    result.older_version = _outdated(db)
    with store.transaction(db):
        save_config(db, given)  # labels, codebook text and the ledger are redacted with it later (free_text.py)
        ids = iter(todo)
        while batch := list(islice(ids, BATCH)):
            marks = ",".join("?" * len(batch))
            docs = db.execute(f"SELECT id, text FROM documents WHERE id IN ({marks}) ORDER BY id", batch).fetchall()
            found = [detect(text, config) for _, text in docs]
            if model is not None:
                found = [resolve(spans + extra) for spans, extra in zip(found, _model_spans(model, docs, config))]
            for (doc_id, text), spans in zip(docs, found):
                _reconcile(db, doc_id, text, spans, result)
                db.execute("INSERT OR REPLACE INTO redaction_scans (document_id, scanned_at, detectors, n_spans) "
                           "VALUES (?, ?, ?, ?)", [doc_id, store.now(), signature, len(spans)])
            result.documents += len(docs)
            if on_progress:
                on_progress(result.documents, len(todo))
        if todo:
            store.log_event(db, "redact", {"signature": signature, **result.to_dict()}, actor)
    return result


def _reconcile(db, doc_id: int, text: str, spans: list[Span], result: RedactResult) -> None:
    rows = db.execute('SELECT id, start, "end", kind, detector, reviewed FROM redactions WHERE document_id = ?',
                      [doc_id]).fetchall()
    human = [r for r in rows if r[5] is not None or r[4] == MANUAL]
    auto = {(r[1], r[2], r[3]): r[0] for r in rows if r[5] is None and r[4] != MANUAL}
    result.kept_human += len(human)
    wanted = {}
    for s in spans:
        if any(_decided(s, r) for r in human):
            continue
        wanted[(s.start, s.end, s.kind)] = s
    stale = [rid for key, rid in auto.items() if key not in wanted]
    if stale:
        db.execute(f"DELETE FROM redactions WHERE id IN ({','.join('?' * len(stale))})", stale)
        result.removed += len(stale)
    now = store.now()
    new = [(doc_id, s.start, s.end, s.kind, "[" + placeholder(s.kind) + "]", s.detector, now)
           for key, s in wanted.items() if key not in auto]
    if new:
        store.insert_many(db, "redactions", ["document_id", "start", "end", "kind", "replacement", "detector",
                                             "created_at"], new)
        result.added += len(new)
        result.by_kind.update(s[3] for s in new)
    if new or stale:
        _number(db, doc_id, text)


def _decided(s: Span, row) -> bool:
    _, start, end, _, detector, reviewed = row
    if reviewed == "undone":
        return start <= s.start and s.end <= end  # the person said this text may stay
    return s.start < end and start < s.end  # confirmed or manual: already covered


def _number(db, doc_id: int, text: str) -> None:
    """Give each span its placeholder; names numbered by person, in order of appearance."""
    rows = db.execute('SELECT id, start, "end", kind, replacement FROM redactions WHERE document_id = ? '
                      "AND (reviewed IS NULL OR reviewed != 'undone') ORDER BY start", [doc_id]).fetchall()
    people: list[set[str]] = []
    for rid, start, end, kind, old in rows:
        if kind == "name":
            key = name_key(text[start:end])
            number = next((i for i, p in enumerate(people, 1) if key and (key <= p or p <= key)), None)
            if number is None:
                people.append(key)
                number = len(people)
            new = f"[NAME {number}]"
        else:
            new = "[" + placeholder(kind) + "]"
        if new != old:
            db.execute("UPDATE redactions SET replacement = ? WHERE id = ?", [new, rid])


def name_key(name: str) -> set[str]:
    """'Dr Sarah Jones' and "Sarah's" -> {'sarah', 'jones'} and {'sarah'}: the same person."""
    words = [w.strip(".,").lower() for w in name.replace("’", "'").split()]
    words = [w[:-2] if w.endswith("'s") else w for w in words]
    return {w for w in words if w and w not in TITLES}


# ---------------------------------------------------------------- reading redacted text


def apply(text: str, spans: Iterable[tuple[int, int, str]], start: int = 0, end: int | None = None) -> str:
    """`text[start:end]` with each (start, end, replacement) span replaced. A span that
    crosses the window's edge still hides all of its part inside the window."""
    end = len(text) if end is None else end
    out, pos = [], start
    for s, e, replacement in sorted(spans):
        if e <= start or s >= end or s < pos and e <= pos:
            continue
        s = max(s, pos)
        out.append(text[pos:s])
        out.append(replacement)
        pos = min(max(e, pos), end)
    out.append(text[pos:end])
    return "".join(out)


def redact_text(text: str, config: PrivacyConfig | None = None) -> tuple[str, list[Span]]:
    """Redact a string that is not a stored document (a typed query, `privacy check`):
    the same detectors and numbered placeholders, nothing stored. Text of a review that
    leaves it (labels, codebook, ledger) goes through `free_text_redactor(db)` instead,
    which knows the review's config and names."""
    found = detect(text, config or DEFAULT_CONFIG)
    return placeholders(text, found), found


def placeholders(text: str, found: list[Span]) -> str:
    """`text` with each found span replaced by its placeholder, names numbered by person."""
    people: list[set[str]] = []
    spans = []
    for s in found:
        if s.kind == "name":
            key = name_key(text[s.start:s.end])
            number = next((i for i, p in enumerate(people, 1) if key and (key <= p or p <= key)), None)
            if number is None:
                people.append(key)
                number = len(people)
            spans.append((s.start, s.end, f"[NAME {number}]"))
        else:
            spans.append((s.start, s.end, "[" + placeholder(s.kind) + "]"))
    return apply(text, spans)


def redacted_text(db: sqlite_utils.Database, document_id: int, start: int = 0, end: int | None = None) -> str:
    """The document's text (or the part start:end) with placeholders applied."""
    row = db.execute("SELECT text FROM documents WHERE id = ?", [document_id]).fetchone()
    if row is None:
        raise NotFound(f"document {document_id} does not exist.")
    return apply(row[0], _active_spans(db, document_id), start, end)


def _active_spans(db, document_id: int) -> list[tuple[int, int, str]]:
    return db.execute('SELECT start, "end", replacement FROM redactions WHERE document_id = ? '
                      "AND (reviewed IS NULL OR reviewed != 'undone')", [document_id]).fetchall()


def redacted_segments(db: sqlite_utils.Database, segment_ids: Iterable[int] | None = None):
    """Yield (segment_id, redacted text) for the given segments (all when None)."""
    if segment_ids is None:
        segment_ids = [r[0] for r in db.execute("SELECT id FROM segments ORDER BY id")]
    ids = iter(segment_ids)
    while batch := list(islice(ids, 900)):
        rows = db.execute(f'SELECT s.id, s.document_id, s.start, s."end", d.text FROM segments s '
                          f"JOIN documents d ON d.id = s.document_id WHERE s.id IN ({','.join('?' * len(batch))})",
                          batch).fetchall()
        spans = _spans_for(db, {r[1] for r in rows})
        by_id = {r[0]: r for r in rows}
        for sid in batch:
            if sid in by_id:
                _, doc_id, start, end, text = by_id[sid]
                yield sid, apply(text, spans.get(doc_id, []), start, end)


def _spans_for(db, doc_ids) -> dict[int, list]:
    out: dict[int, list] = {}
    ids = list(doc_ids)
    for i in range(0, len(ids), 900):
        part = ids[i:i + 900]
        for doc_id, s, e, rep in db.execute(
                f'SELECT document_id, start, "end", replacement FROM redactions WHERE document_id IN '
                f"({','.join('?' * len(part))}) AND (reviewed IS NULL OR reviewed != 'undone')", part):
            out.setdefault(doc_id, []).append((s, e, rep))
    return out


# ---------------------------------------------------------------- has everything been read?


def unredacted_documents(db: sqlite_utils.Database) -> list[int]:
    """Answered documents the detectors have never read."""
    return [r[0] for r in db.execute(
        "SELECT d.id FROM documents d LEFT JOIN redaction_scans s ON s.document_id = d.id "
        "WHERE d.answered = 1 AND s.document_id IS NULL ORDER BY d.id")]


def assert_redacted(db: sqlite_utils.Database) -> None:
    """Raise RedactionNeeded unless every answered document has been scanned, by the
    current detectors: older ones missed names these find (issue 5)."""
    missing = unredacted_documents(db)
    if missing:
        raise RedactionNeeded(
            f"{len(missing)} documents have not been checked for personal data (first: document {missing[0]}). "
            "Run `rapidreview redact REVIEW_DB` first.")
    outdated = _outdated(db)
    if outdated:
        raise RedactionNeeded(
            f"{outdated} documents were checked by older detectors (before version {VERSION}), which miss some "
            "names. Run `rapidreview redact REVIEW_DB` to check them again; your review decisions are kept.")


def _outdated(db) -> int:
    """Documents last scanned by an older detector version."""
    return db.execute("SELECT count(*) FROM redaction_scans WHERE detectors NOT LIKE ?",
                      [f"v{VERSION}:%"]).fetchone()[0]


# ---------------------------------------------------------------- review decisions


def spans(db: sqlite_utils.Database, *, document_id: int | None = None, reviewed: str | None = "any",
          kind: str | None = None, context: int = 40, limit: int | None = None) -> list[dict]:
    """Stored spans with their text and context, for review. reviewed: 'any', None
    (not yet reviewed), 'confirmed' or 'undone'."""
    where, params = [], []
    if document_id is not None:
        where.append("r.document_id = ?")
        params.append(document_id)
    if reviewed is None:
        where.append("r.reviewed IS NULL")
    elif reviewed != "any":
        where.append("r.reviewed = ?")
        params.append(reviewed)
    if kind:
        where.append("r.kind = ?")
        params.append(kind)
    sql = ('SELECT r.id, r.document_id, r.start, r."end", r.kind, r.replacement, r.detector, r.reviewed, d.text '
           "FROM redactions r JOIN documents d ON d.id = r.document_id"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY r.document_id, r.start")
    if limit:
        sql += f" LIMIT {int(limit)}"
    out = []
    for rid, doc_id, s, e, k, rep, det, rev, text in db.execute(sql, params):
        out.append({"id": rid, "document_id": doc_id, "start": s, "end": e, "kind": k, "replacement": rep,
                    "detector": det, "reviewed": rev, "text": text[s:e],
                    "before": text[max(0, s - context):s], "after": text[e:e + context]})
    return out


def _set_review(db, redaction_id: int, decision: str, actor) -> None:
    row = db.execute("SELECT document_id, reviewed FROM redactions WHERE id = ?", [redaction_id]).fetchone()
    if row is None:
        raise NotFound(f"redaction {redaction_id} does not exist. "
                       "List them with `rapidreview redact REVIEW_DB --list`.")
    with store.transaction(db):
        db.execute("UPDATE redactions SET reviewed = ? WHERE id = ?", [decision, redaction_id])
        text = db.execute("SELECT text FROM documents WHERE id = ?", [row[0]]).fetchone()[0]
        _number(db, row[0], text)
        store.log_event(db, f"redaction.{decision}", {"redaction_id": redaction_id, "document_id": row[0],
                                                       "was": row[1]}, actor)


def confirm(db: sqlite_utils.Database, redaction_id: int, actor: str | None = None) -> None:
    """A person agrees: this is personal data. Re-running `redact` keeps it."""
    _set_review(db, redaction_id, "confirmed", actor)


def undo(db: sqlite_utils.Database, redaction_id: int, actor: str | None = None) -> None:
    """A person says this text may stay. Re-running `redact` will not bring it back."""
    _set_review(db, redaction_id, "undone", actor)


def add_manual(db: sqlite_utils.Database, document_id: int, start: int, end: int, kind: str,
               actor: str | None = None) -> int:
    """Redact text the detectors missed; returns the new span's id."""
    row = db.execute("SELECT text FROM documents WHERE id = ?", [document_id]).fetchone()
    if row is None:
        raise NotFound(f"document {document_id} does not exist.")
    text = row[0]
    if not (0 <= start < end <= len(text)):
        raise RapidReviewError(f"span {start}:{end} is outside document {document_id} (0:{len(text)}).")
    kind = kind.strip().lower().replace(" ", "_")
    if not kind:
        raise RapidReviewError("give a kind for the span, for example name or phone.")
    with store.transaction(db):
        existing = db.execute(
            'SELECT id FROM redactions WHERE document_id = ? AND start = ? AND "end" = ? AND kind = ?',
            [document_id, start, end, kind]).fetchone()
        if existing:
            db.execute("UPDATE redactions SET reviewed = 'confirmed', detector = ? WHERE id = ?", [MANUAL, existing[0]])
            rid = existing[0]
        else:
            rid = db.execute(
                'INSERT INTO redactions (document_id, start, "end", kind, replacement, detector, reviewed, created_at) '
                "VALUES (?, ?, ?, ?, ?, ?, 'confirmed', ?)",
                [document_id, start, end, kind, "[" + placeholder(kind) + "]", MANUAL, store.now()]).lastrowid
        _number(db, document_id, text)
        store.log_event(db, "redaction.manual", {"redaction_id": rid, "document_id": document_id, "start": start,
                                                 "end": end, "kind": kind}, actor)
    return rid


def summary(db: sqlite_utils.Database) -> dict:
    """Counts for `rapidreview redact --status`: spans by kind and review state, coverage."""
    kinds = {}
    for kind, reviewed, n in db.execute("SELECT kind, coalesce(reviewed, 'unreviewed'), count(*) FROM redactions "
                                        "GROUP BY 1, 2 ORDER BY 1, 2"):
        kinds.setdefault(kind, {})[reviewed] = n
    answered = db.execute("SELECT count(*) FROM documents WHERE answered = 1").fetchone()[0]
    return {"documents": answered, "unscanned": len(unredacted_documents(db)), "outdated": _outdated(db),
            "kinds": kinds}


# ---------------------------------------------------------------- optional trained model


def _model(use_model: bool | None):
    """The trained spaCy pipeline when asked for (or, by default, when one is configured)."""
    if use_model is False:
        return None
    from ..nlp import get_nlp, has_trained_pipeline

    nlp = get_nlp()
    if has_trained_pipeline(nlp) and "ner" in nlp.pipe_names:
        return nlp
    if use_model:
        raise RapidReviewError("no trained spaCy pipeline with entities is installed; set RAPIDREVIEW_SPACY_MODEL "
                               "to one, or run without --model.")
    return None


def _model_spans(nlp, docs, config: PrivacyConfig):
    """PERSON entities from a trained pipeline: extra recall on top of the rules."""
    texts = (text for _, text in docs)
    for (_, text), doc in zip(docs, nlp.pipe(texts, batch_size=256)):
        protected = config.protected(text)
        yield [Span(e.start_char, e.end_char, "name", "spacy-ner") for e in doc.ents
               if e.label_ == "PERSON" and not any(a < e.end_char and e.start_char < b for a, b in protected)]


__all__ = ["redact", "redact_text", "redacted_text", "redacted_segments", "apply", "unredacted_documents",
           "assert_redacted",
           "confirm", "undo", "add_manual", "spans", "summary", "RedactResult", "RedactionNeeded", "PLACEHOLDERS"]
