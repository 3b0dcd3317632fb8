"""Waves: what changed between two rounds of the same review.

Teams who repeat a survey every quarter import each round with `--wave LABEL`; the label
is the source's batch. `compare` counts, per code (or theme), the distinct respondents
(documents, for material without a respondent such as transcripts) with an accepted
coding in each wave, out of those who answered in that wave, and tests the difference.

    from rapidreview import waves
    waves.wave_labels(db)                        # ['2025-Q1', '2025-Q2']
    result = waves.compare(db, "2025-Q1", "2025-Q2")
    for row in result.rows: print(row.name, row.shown_before, row.shown_after, row.change)

Counts are disclosure-controlled as publish controls them (NHS rule: 1-7 hidden, others
rounded to 5) and the change and p-value are computed from the counts as shown, so
nothing printed says more than the counts do. Pass `rule=NO_CONTROL` for true counts
(researchers only). Withdrawn and non-consenting respondents are left out, as publish
leaves them out (`privacy.publishable_documents`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import sqlite_utils

from . import privacy
from .errors import NotFound, RapidReviewError
from .privacy import NHS_RULE, DisclosureRule
from .privacy.disclosure import NO_CONTROL
from .suggest import unknown_message

BY = ("code", "theme")
MIN_EXPECTED = 5  # below this expected count the normal approximation is poor: Fisher's exact test instead

__all__ = ["wave_labels", "compare", "compare_groups", "WaveComparison", "WaveRow", "NO_CONTROL", "code_tree", "accepted_document_codes"]


@dataclass
class WaveRow:
    key: str  # code key, or theme number as text
    name: str  # code name, or the theme label (redacted)
    n_before: int | None  # None when suppressed
    denominator_before: int | None
    n_after: int | None
    denominator_after: int | None
    change: float | None  # share after minus share before, in percentage points
    p_value: float | None
    shown_before: str = ""  # the count as shown: a number, or '<8'
    shown_after: str = ""
    test: str = ""  # 'two-proportion z', 'Fisher exact', or '' when not tested
    note: str = ""  # why there is no p-value, or that numbers are small
    group: str = ""  # top-level code (codes only): the matrix sheet it belongs to

    @property
    def share_before(self) -> float | None:
        return _share(self.n_before, self.denominator_before)

    @property
    def share_after(self) -> float | None:
        return _share(self.n_after, self.denominator_after)


@dataclass
class WaveComparison:
    before: str
    after: str
    by: str
    rows: list[WaveRow] = field(default_factory=list)
    controlled: bool = True  # False only when a researcher asked for true counts
    run_id: int | None = None  # theme run, when by == 'theme'
    note: str = ""

    def to_dict(self) -> dict:
        return {"before": self.before, "after": self.after, "by": self.by, "controlled": self.controlled,
                "run_id": self.run_id, "note": self.note,
                "rows": [{**asdict(r), "share_before": r.share_before, "share_after": r.share_after}
                         for r in self.rows]}


# ---------------------------------------------------------------- waves


def wave_labels(db: sqlite_utils.Database) -> list[str]:
    """The waves in this review (source batch labels given with `import --wave`), in
    the order they were first imported."""
    return [r[0] for r in db.execute(
        "SELECT batch FROM sources WHERE batch IS NOT NULL AND batch != '' GROUP BY batch ORDER BY min(id)")]


def check_wave(db: sqlite_utils.Database, label: str, known: list[str] | None = None) -> str:
    known = wave_labels(db) if known is None else known
    if label in known:
        return label
    if not known:
        raise NotFound(f"no wave {label!r}: this review has no waves. Import each round with "
                       "`rapidreview import REVIEW_DB FILE --wave LABEL`.")
    raise NotFound(unknown_message("wave", label, known) + ". List them with `rapidreview waves REVIEW_DB`.")


def wave_documents(db: sqlite_utils.Database, waves: list[str]) -> dict[int, tuple[str, object]]:
    """document id -> (wave, unit) for publishable documents in these waves. A unit is a
    respondent, or the document itself when it has no respondent."""
    allowed = set(privacy.publishable_documents(db))
    marks = ",".join("?" * len(waves))
    out = {}
    for doc, respondent, wave in db.execute(
            f"SELECT d.id, d.respondent_id, s.batch FROM documents d JOIN sources s ON s.id = d.source_id "
            f"WHERE s.batch IN ({marks})", waves):
        if doc in allowed:
            out[doc] = (wave, respondent if respondent is not None else f"doc{doc}")
    return out


# ---------------------------------------------------------------- codes and themes


def code_tree(db: sqlite_utils.Database) -> list[dict]:
    """Non-archived codes in codebook order (depth first), each with its top-level
    ancestor: {id, key, name, codebook, group, depth, codable}."""
    rows = db.execute("SELECT c.id, c.key, c.name, c.parent_id, c.position, c.codable, b.name FROM codes c "
                      "JOIN codebooks b ON b.id = c.codebook_id WHERE c.archived = 0 "
                      "ORDER BY b.id, c.position, c.id").fetchall()
    children = defaultdict(list)
    ids = {r[0] for r in rows}
    for r in rows:
        children[r[3] if r[3] in ids else None].append(r)
    out = []

    def walk(row, group, depth):
        cid, key, name, _, _, codable, book = row
        out.append({"id": cid, "key": key, "name": name, "codebook": book, "group": group, "depth": depth,
                    "codable": bool(codable)})
        for child in children[cid]:
            walk(child, group, depth + 1)

    for root in children[None]:
        walk(root, root[2], 0)
    return out


# Accepted codings on participant turns, as publish counts them: a coding on a span counts
# for every segment it overlaps; a suggestion nobody accepted is not a finding.
ACCEPTED_SEGMENT_CODES = """
    SELECT s.id, s.document_id, c.code_id FROM codings c JOIN segments s ON s.document_id = c.document_id
    WHERE c.status = 'accepted' AND s.role = 'participant'
      AND (c.segment_id = s.id OR (c.segment_id IS NULL AND c.start < s."end" AND c."end" > s.start))"""


def accepted_document_codes(db: sqlite_utils.Database) -> set[tuple[int, int]]:
    """(document id, code id) pairs with at least one accepted coding."""
    return {(doc, code) for _, doc, code in db.execute(ACCEPTED_SEGMENT_CODES)}


def _code_pairs(db, docs: dict) -> tuple[list[dict], set]:
    items = [{"id": c["id"], "key": c["key"], "name": c["name"], "group": c["group"]} for c in code_tree(db)]
    return items, {(doc, code) for doc, code in accepted_document_codes(db) if doc in docs}


def _theme_pairs(db, docs: dict, run_id: int | None, labels: dict | None) -> tuple[list[dict], set, int]:
    from .themes import get_run

    run = get_run(db, run_id)
    labels = labels or published_theme_labels(db, run)
    items = [{"id": t["number"], "key": str(t["number"]), "name": labels[t["number"]], "group": t["kind"]}
             for t in run["themes"]]
    pairs = {(doc, number) for number, doc in db.execute(
        "SELECT t.number, s.document_id FROM theme_members m JOIN themes t ON t.id = m.theme_id "
        "JOIN segments s ON s.id = m.segment_id WHERE t.run_id = ? AND s.role = 'participant'", [run["id"]])
        if doc in docs}
    return items, pairs, run["id"]


def published_theme_labels(db: sqlite_utils.Database, run: dict) -> dict[int, str]:
    """Theme labels as publish shows them: redacted, and rebuilt from key terms when the
    model's label uses words that only withdrawn respondents said (reads every quote)."""
    from .privacy.quotes import publishable_segment_batches
    from .publish.build import Vocabulary, _theme_labels, _theme_phrases

    vocab = Vocabulary(_theme_phrases(run))
    for batch in publishable_segment_batches(db):
        vocab.update(s["text"] for s in batch)
    # The review's own redactor (its privacy config and known names), as publish uses: the
    # generic detectors alone miss a participant's name in a short label.
    return {t["number"]: t["label"] for t in _theme_labels(run, vocab, privacy.free_text_redactor(db))}


# ---------------------------------------------------------------- comparison


def compare(db: sqlite_utils.Database, before: str, after: str, by: str = "code", *,
            rule: DisclosureRule = NHS_RULE, run_id: int | None = None, include_empty: bool = False,
            documents=None, labels: dict | None = None) -> WaveComparison:
    """Per code (or theme of a run, the latest by default): respondents in each wave
    with it, out of those who answered in that wave; the change in share in percentage
    points and a two-proportion test. Codes nobody mentioned in either wave are left out
    unless `include_empty`. `documents` (ids) narrows everything, counts and
    denominators, to part of the review, e.g. one service. `labels`: theme number ->
    label, when the caller already has the published labels."""
    return compare_groups(db, before, after, by, {None: documents}, rule=rule, run_id=run_id,
                          include_empty=include_empty, labels=labels)[None]


def compare_groups(db: sqlite_utils.Database, before: str, after: str, by: str, groups: dict, *,
                   rule: DisclosureRule = NHS_RULE, run_id: int | None = None, include_empty: bool = False,
                   labels: dict | None = None) -> dict:
    """`compare` within each group of documents ({name: document ids, or None for all}),
    reading the review once: {name: WaveComparison}."""
    if by not in BY:
        raise RapidReviewError(f"cannot compare waves by {by!r}: choose 'code' or 'theme'.")
    known = wave_labels(db)
    before, after = check_wave(db, before, known), check_wave(db, after, known)
    if before == after:
        raise RapidReviewError(f"both waves are {before!r}: give two different waves to compare.")
    docs = wave_documents(db, [before, after])
    if by == "code":
        items, pairs = _code_pairs(db, docs)
        found_run = None
    else:
        items, pairs, found_run = _theme_pairs(db, docs, run_id, labels)
    out = {}
    for name, subset in groups.items():
        part = docs if subset is None else {d: docs[d] for d in set(subset) & docs.keys()}
        result = WaveComparison(before, after, by, controlled=rule != NO_CONTROL, run_id=found_run)
        denominators, hits = defaultdict(set), defaultdict(lambda: defaultdict(set))
        for wave, unit in part.values():
            denominators[wave].add(unit)
        for doc, item in pairs:
            if doc in part:
                wave, unit = part[doc]
                hits[item][wave].add(unit)
        if by == "theme":
            result.note = _run_coverage_note(hits, before, after)
        d_before = privacy.control_count(len(denominators[before]), rule)
        d_after = privacy.control_count(len(denominators[after]), rule)
        for item in items:
            n_b, n_a = len(hits[item["id"]][before]), len(hits[item["id"]][after])
            if n_b or n_a or include_empty:
                result.rows.append(_row(item, privacy.control_count(n_b, rule), d_before,
                                        privacy.control_count(n_a, rule), d_after, by))
        out[name] = result
    return out


def _row(item: dict, n_b, d_b, n_a, d_a, by: str) -> WaveRow:
    change = None
    if None not in (n_b.value, n_a.value) and d_b.value and d_a.value:
        change = round(100 * (n_a.value / d_a.value - n_b.value / d_b.value), 1)
    p, test, note = two_proportion_test(n_b.value, d_b.value, n_a.value, d_a.value)
    return WaveRow(key=item["key"], name=item["name"], n_before=n_b.value, denominator_before=d_b.value,
                   n_after=n_a.value, denominator_after=d_a.value, change=change, p_value=p,
                   shown_before=n_b.display, shown_after=n_a.display, test=test, note=note,
                   group=item["group"] if by == "code" else "")


def _run_coverage_note(hits, before: str, after: str) -> str:
    waves = {w for per_wave in hits.values() for w, units in per_wave.items() if units}
    missing = [w for w in (before, after) if w not in waves]
    if missing:
        return (f"the theme run has no members from wave {' or '.join(missing)}: run themes over both waves "
                "(`rapidreview themes REVIEW_DB --wave A --wave B`) to compare them.")
    return ""


def two_proportion_test(n1, d1, n2, d2) -> tuple[float | None, str, str]:
    """(p-value, test, note). Two-sided two-proportion z-test with a pooled proportion;
    Fisher's exact test when an expected count is under 5; no test on hidden counts."""
    if n1 is None or n2 is None:
        return None, "", "too few to test: a count is suppressed (under 8)"
    if not d1 or not d2 or n1 > d1 or n2 > d2:
        return None, "", "no respondents in a wave"
    pooled = (n1 + n2) / (d1 + d2)
    expected = min(d1 * pooled, d1 * (1 - pooled), d2 * pooled, d2 * (1 - pooled))
    if expected < MIN_EXPECTED:
        from scipy.stats import fisher_exact

        p = float(fisher_exact([[n1, d1 - n1], [n2, d2 - n2]])[1])
        return min(p, 1.0), "Fisher exact", "small numbers: Fisher's exact test"
    se = math.sqrt(pooled * (1 - pooled) * (1 / d1 + 1 / d2))
    z = (n2 / d2 - n1 / d1) / se
    return math.erfc(abs(z) / math.sqrt(2)), "two-proportion z", ""


def _share(n, d) -> float | None:
    return None if n is None or not d else round(100 * n / d, 1)


def wave_summary(db: sqlite_utils.Database) -> list[dict]:
    """Per wave: files, documents, and respondents who answered (true counts, for the
    researcher's own listing; `compare` is what controls counts for sharing)."""
    out = []
    for label in wave_labels(db):
        n_sources, n_docs, n_units = db.execute(
            "SELECT count(DISTINCT s.id), count(d.id), "
            "count(DISTINCT CASE WHEN d.answered = 1 THEN coalesce(d.respondent_id, 'doc' || d.id) END) "
            "FROM sources s LEFT JOIN documents d ON d.source_id = s.id WHERE s.batch = ?", [label]).fetchone()
        out.append({"wave": label, "files": n_sources, "documents": n_docs, "respondents": n_units})
    return out
