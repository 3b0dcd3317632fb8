"""`rapidreview code`: rule, lexicon and model suggestions, written safely.

People decide: a suggestion is a coding with status 'suggested'. Re-running is
idempotent and never touches a human decision: a suggestion someone accepted or
rejected keeps its status, and a code a person already applied (or rejected) on a
span is not suggested there again. Machine suggestions that no longer fire (the rules
or the model changed) are withdrawn, which is safe because nobody decided on them.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field

import sqlite_utils

from .. import store
from ..errors import RapidReviewError
from . import model as model_mod
from . import rules as rules_mod
from . import sentiment as sentiment_mod
from .units import HUMAN_DECIDED, load_units

RULES_CODER, MODEL_CODER = "rules", "model"


@dataclass
class CodeOptions:
    rules: bool = True
    model: bool = True
    sentiment: bool = True
    codes: list[str] | None = None  # names or keys; None: every code
    retrain: bool = True  # train first when the human codings changed since the last model


@dataclass
class CodeResult:
    counts: dict = field(default_factory=dict)  # pass -> {added, updated, unchanged, withdrawn, human}
    model_version: str | None = None
    trained: bool = False
    messages: list[str] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)

    def summary(self) -> str:
        lines = []
        for name, c in self.counts.items():
            lines.append(f"{name}: {c['added']} new suggestions, {c['updated']} updated, {c['unchanged']} unchanged, "
                         f"{c['withdrawn']} withdrawn, {c['human']} left to human decisions")
        return "\n".join(lines + self.messages)


def resolve_codes(db: sqlite_utils.Database, names) -> set[int] | None:
    """Code ids for names or keys typed by a user (None: all codes)."""
    if not names:
        return None
    from ..suggest import unknown_message

    out = set()
    all_codes = db.execute("SELECT id, name, key FROM codes WHERE archived = 0").fetchall()
    for name in names:
        hits = [c[0] for c in all_codes if name.casefold() in (c[1].casefold(), c[2].casefold())]
        if not hits:
            raise RapidReviewError(unknown_message("code", name, [c[1] for c in all_codes]))
        out.update(hits)
    return out


def code(db: sqlite_utils.Database, options: CodeOptions | None = None, *, actor: str | None = None) -> CodeResult:
    """Run the chosen passes over the review's units; one transaction per pass."""
    options = options or CodeOptions()
    result = CodeResult()
    wanted = resolve_codes(db, options.codes)
    snapshot = data_version(db)  # before reading the units and codes the passes write rows for
    sentiment_codes = sentiment_mod.group_codes(db, create=options.sentiment)
    units = load_units(db)
    model_covers: set[int] = set()
    if options.model:
        model_covers = _model_pass(db, options, wanted, result, actor)
    if options.rules:
        t0 = time.perf_counter()
        compiled = rules_mod.compile_rules(rules_mod.code_rules(db, wanted))
        hits = ((u, c, None, None, label) for u, c, label in rules_mod.match(compiled, units))
        result.counts["rules"] = write_suggestions(
            db, RULES_CODER, "rule", hits, scope=set(compiled.code_ids), rule_filter="rules", actor=actor,
            snapshot=snapshot)
        result.seconds["rules"] = round(time.perf_counter() - t0, 3)
    if options.sentiment and sentiment_codes:
        t0 = time.perf_counter()
        group = {p: c for p, c in sentiment_codes.items() if wanted is None or c in wanted}
        covered = set(group.values()) <= model_covers and len(group) > 1
        if covered:
            result.messages.append("sentiment: the model has learned your sentiment codes; lexicon suggestions "
                                   "withdrawn where nobody decided on them.")
        hits = () if covered else ((u, c, conf, None, sentiment_mod.RULE)
                                   for u, c, conf in sentiment_mod.suggest(units, group))
        result.counts["sentiment"] = write_suggestions(
            db, RULES_CODER, "rule", hits, scope=set(group.values()), rule_filter="lexicon", actor=actor,
            snapshot=snapshot)
        result.seconds["sentiment"] = round(time.perf_counter() - t0, 3)
    with store.transaction(db):
        store.log_event(db, "code", {"counts": result.counts, "model": result.model_version,
                                     "codes": sorted(wanted) if wanted else None}, actor)
    return result


def _model_pass(db, options: CodeOptions, wanted, result: CodeResult, actor) -> set[int]:
    t0 = time.perf_counter()
    try:
        record, trained = model_mod.current(db, actor=actor, retrain=options.retrain)
    except model_mod.ModelError as e:
        if not options.rules and not options.sentiment:
            raise
        result.messages.append(f"model: skipped: {e}")
        return set()
    result.model_version, result.trained = record.version, trained
    if trained:
        result.messages.append(f"model: trained {record.version} on {record.n_units} coded units "
                               f"({len(record.codes)} codes, cross-validated micro-F1 {record.scores['micro_f1']}).")
    result.messages += [f"model: not learned: {r['name']!r}: {r['reason']}" for r in record.refused]
    fitted = model_mod.fit_from_record(db, record)
    units = model_mod.units_to_code(db, record)
    hits = ((u, c.id, round(p, 4), record.version, None) for u, c, p in model_mod.predict(fitted, units)
            if wanted is None or c.id in wanted)
    scope = {c.id for c in record.codes if wanted is None or c.id in wanted}
    # Withdraw earlier model suggestions for codes this model no longer learns, too.
    scope |= {r[0] for r in db.execute("SELECT DISTINCT code_id FROM codings WHERE coder = ? AND status = 'suggested'",
                                       [MODEL_CODER]) if wanted is None or r[0] in wanted}
    result.counts["model"] = write_suggestions(db, MODEL_CODER, "model", hits, scope=scope, actor=actor)
    result.seconds["model"] = round(time.perf_counter() - t0, 3)
    return {c.id for c in record.codes}


INSERT_BATCH = 20_000  # suggestions per INSERT: written while the matcher works on the next units
# One statement per batch: the rows travel as one JSON array (doc, segment, start, end, code,
# confidence, model version, rule) and the constant columns are bound once, which costs a
# fraction of binding twelve parameters per row through executemany.
_INSERT = """INSERT INTO codings (document_id, segment_id, start, "end", code_id, coder, origin, status,
                                  confidence, model_version, rule, created_at)
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
           json_extract(value, '$[3]'), json_extract(value, '$[4]'), ?, ?, 'suggested',
           json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'), ?
    FROM json_each(?)"""


def write_suggestions(db: sqlite_utils.Database, coder: str, origin: str, hits, *, scope: set[int],
                      rule_filter: str | None = None, actor: str | None = None, snapshot: int | None = None) -> dict:
    """Write (unit, code_id, confidence, model_version, rule) suggestions for `coder`,
    within the codes in `scope`: insert new, refresh undecided, withdraw stale, and
    leave every human decision alone. `rule_filter` ('rules' or 'lexicon') keeps the
    rule pass and the lexicon pass, which share the coder 'rules', apart.

    One transaction: the human decisions and existing suggestions are read under the
    write lock (so a decision made meanwhile cannot be overwritten), then `hits` are
    consumed as they come and new rows inserted in batches. `snapshot`: the
    `data_version` when the units and codes behind `hits` were read (see `_writing`)."""
    counts = {"added": 0, "updated": 0, "unchanged": 0, "withdrawn": 0, "human": 0}
    if not scope:
        return counts
    now = store.now()
    with _writing(db, snapshot):
        human = _human_spans(db, scope)
        existing, taken = _existing(db, coder, scope, rule_filter)
        seen, batch, updates = set(), [], []
        remember, add = seen.add, batch.append  # the loop runs once per suggestion: keep it lean
        for unit, code_id, confidence, version, rule in hits:
            if code_id not in scope:
                continue
            doc, start, end = unit.document_id, unit.start, unit.end
            key = (doc, start, end, code_id)
            if key in seen:
                continue
            remember(key)
            if human and _overlaps(human.get((doc, code_id)), start, end):
                counts["human"] += 1
                continue
            row = existing.get(key) if existing else None
            if row is None:
                if taken and key in taken:  # held by the other pass of the same coder
                    counts["unchanged"] += 1
                    continue
                add((doc, unit.segment_id, start, end, code_id, confidence, version, rule))
                if len(batch) >= INSERT_BATCH:
                    counts["added"] += _insert(db, coder, origin, now, batch)
                    batch = []
                    add = batch.append
            elif row[5] == confidence and row[6] == version and row[7] == rule:
                counts["unchanged"] += 1
            else:
                updates.append((confidence, version, rule, row[4]))
        counts["added"] += _insert(db, coder, origin, now, batch)
        stale = [(row[4],) for key, row in existing.items() if key not in seen]
        db.conn.executemany("UPDATE codings SET confidence = ?, model_version = ?, rule = ? WHERE id = ?", updates)
        db.conn.executemany("DELETE FROM codings WHERE id = ? AND status = 'suggested' AND decided_by IS NULL", stale)
    counts.update(updated=len(updates), withdrawn=len(stale))
    return counts


def data_version(db: sqlite_utils.Database) -> int:
    """Changes whenever another connection commits to the file."""
    return db.execute("PRAGMA data_version").fetchone()[0]


@contextlib.contextmanager
def _writing(db: sqlite_utils.Database, snapshot: int | None):
    """`store.transaction`, without the per-row foreign-key checks when they cannot fail
    (`store.bulk_load`): every id we insert was read from this file at `snapshot`, and no
    other connection has written since (checked under the write lock). They cost a sixth
    of a big insert."""
    if snapshot is not None and not db.conn.in_transaction:
        with store.bulk_load(db):
            unchanged = data_version(db) == snapshot
            if unchanged:
                yield
                return
    with store.transaction(db):  # someone wrote meanwhile: check every row after all
        yield


def _insert(db, coder: str, origin: str, now: str, rows: list) -> int:
    if rows:
        db.conn.execute(_INSERT, (coder, origin, now, json.dumps(rows, separators=(",", ":"))))
    return len(rows)


def _human_spans(db, scope) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """(document, code) -> spans where a person applied, accepted or rejected that code."""
    out: dict[tuple[int, int], list[tuple[int, int]]] = {}
    ids = sorted(scope)
    for doc, code_id, start, end in db.execute(
            f"""SELECT c.document_id, c.code_id, c.start, c."end" FROM codings c
                WHERE {HUMAN_DECIDED} AND c.code_id IN ({','.join('?' * len(ids))})""", ids):
        out.setdefault((doc, code_id), []).append((start, end))
    return out


def _overlaps(spans, start: int, end: int) -> bool:
    return bool(spans) and any(s < end and start < e or (s == start and e == end) for s, e in spans)


def _existing(db, coder: str, scope, rule_filter) -> tuple[dict, set]:
    """Undecided suggestions of this coder, read once: those of this pass as
    key -> (doc, start, end, code, id, confidence, model_version, rule), and the keys
    held by the coder's other pass (see `rule_filter`)."""
    ids = sorted(scope)
    rows = db.execute(
        f"""SELECT document_id, start, "end", code_id, id, confidence, model_version, rule FROM codings
            WHERE coder = ? AND status = 'suggested' AND decided_by IS NULL
              AND code_id IN ({','.join('?' * len(ids))})""", [coder, *ids])
    if rule_filter is None:
        return {r[:4]: r for r in rows}, set()
    lexicon = rule_filter == "lexicon"
    mine, others = {}, set()
    for r in rows:
        if (r[7] is not None and r[7].startswith("lexicon:")) == lexicon:
            mine[r[:4]] = r
        else:
            others.add(r[:4])
    return mine, others
