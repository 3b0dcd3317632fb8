"""A theme run: select segments, vectorise, cluster, describe, re-apply hand edits, store.

    run_id = find_themes(db, Selection(questions=["What could be improved?"]), ThemeOptions(k="auto", seed=0))

Every selected segment ends up in exactly one theme of the run: a model theme, the
"other" bucket (no content words at all, e.g. "N/A", "...") or the "not English"
bucket (set aside and reported, never clustered as noise).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np
import sqlite_utils
from sklearn.utils import check_random_state

from .. import store
from ..errors import RapidReviewError
from . import context, label, quotes, runs
from .cluster import SphericalKMeans, candidate_ks, choose_k
from .select import Selection, select_segments
from .vectorize import ThemeVectorizer, looks_non_english

MIN_SEGMENTS = 6
MIN_PER_THEME = 3


class ThemeError(RapidReviewError):
    """A theme run that cannot be done as asked (too few segments, empty selection...)."""


@dataclass
class ThemeOptions:
    k: int | str = "auto"  # a number of themes, or "auto" (see cluster.choose_k)
    seed: int = 0
    n_components: int = 40  # LSA dimensions
    n_runs: int = 20  # k-means runs in the consensus
    n_quotes: int = 5
    reapply_edits: bool = True  # re-apply earlier merges, splits and renames where themes match
    label: str | None = None  # a name for the run

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Partition:
    """A run's segments, their vectors, and which theme each is in."""

    segments: list
    Z: np.ndarray  # LSA rows (zero rows for 'other' / 'not English')
    tfidf: object  # sparse TF-IDF rows or None
    names: np.ndarray  # TF-IDF feature names
    vectorizer: ThemeVectorizer
    groups: dict  # theme number -> np.ndarray of segment indices
    other: np.ndarray
    not_english: np.ndarray


def find_themes(db: sqlite_utils.Database, selection: Selection | None = None, options: ThemeOptions | None = None,
                on_progress=None) -> int:
    """Run, store and return the new run's id. `on_progress(step)` names each step."""
    selection, options = selection or Selection(), options or ThemeOptions()
    progress = on_progress or (lambda step: None)
    progress("selecting segments")
    segments, resolved = select_segments(db, selection)
    if not segments:
        raise ThemeError(f"no segments match the selection ({_describe_selection(selection)}). "
                         "Widen it (check names with `rapidreview stats REVIEW_DB`) or import answers first.")
    progress("vectorising")
    part = vectorize(segments, options)
    clusterable = np.setdiff1d(np.arange(len(segments)), np.concatenate([part.other, part.not_english]))
    k, k_table = _choose_k(part.Z[clusterable], options, len(segments), part)
    progress(f"clustering into {k} themes")
    km = SphericalKMeans(k, n_runs=options.n_runs, random_state=options.seed).fit(part.Z[clusterable])
    part.groups = {int(c): clusterable[km.labels_ == c] for c in range(k)}
    details = {"k_choice": k_table, "stability": round(km.stability_, 4), "resolved": resolved,
               "other": len(part.other), "not_english": len(part.not_english),
               "not_english_examples": [segments[i].text[:120] for i in part.not_english[:5]]}
    with store.transaction(db):
        applied = []
        if options.reapply_edits:
            from .edits import reapply

            progress("re-applying hand edits")
            applied = reapply(db, part, options.seed)
        _renumber(part)
        details["edits_reapplied"] = applied
        run_id = runs.create_run(db, params=options.to_dict(), selection=selection.to_dict(), seed=options.seed,
                                 k=len(part.groups), n_segments=len(segments), details=details, label=options.label)
        progress("describing themes")
        themes = describe(db, part, options)
        if options.reapply_edits:
            from .edits import reapply_renames

            details["edits_reapplied"] += reapply_renames(db, part, themes)
            runs.update_run_details(db, run_id, details)
        runs.write_themes(db, run_id, themes)
        store.log_event(db, "themes.run", {"run_id": run_id, "k": len(part.groups), "segments": len(segments),
                                           "selection": selection.to_dict(), "seed": options.seed,
                                           "edits_reapplied": len(details["edits_reapplied"])})
    return run_id


def vectorize(segments, options: ThemeOptions) -> Partition:
    """Vectors for the segments; flags the 'not English' and 'other' ones."""
    texts = [s.text for s in segments]
    not_english = np.array([i for i, t in enumerate(texts) if looks_non_english(t)], dtype=np.int64)
    keep = np.setdiff1d(np.arange(len(texts)), not_english)
    vec = ThemeVectorizer(n_components=options.n_components, random_state=options.seed)
    tfidf, Zk = vec.fit_both([texts[i] for i in keep])
    Z = np.zeros((len(texts), Zk.shape[1]), dtype=np.float32)
    Z[keep] = Zk
    other = keep[np.linalg.norm(Zk, axis=1) == 0] if len(keep) else np.array([], dtype=np.int64)
    full_tfidf = None
    if tfidf is not None:
        import scipy.sparse as sp

        # Rows for every segment (zero rows for the not-English ones) so indices line up.
        pick = sp.csr_matrix((np.ones(len(keep)), (keep, np.arange(len(keep)))), shape=(len(texts), len(keep)))
        full_tfidf = (pick @ tfidf).tocsr()
    return Partition(segments, Z, full_tfidf, vec.feature_names(), vec, {}, other, not_english)


def _choose_k(Zc, options: ThemeOptions, n_selected: int, part: Partition):
    n = Zc.shape[0]
    excluded = n_selected - n
    why = (f" ({excluded} of {n_selected} selected are set aside: {len(part.other)} with no content words, "
           f"{len(part.not_english)} not in English)") if excluded else ""
    if n < MIN_SEGMENTS:
        raise ThemeError(f"only {n} segments can be clustered{why}; themes need at least {MIN_SEGMENTS}. "
                         "Widen the selection (fewer --where/--question filters) or code these answers by hand.")
    if options.k == "auto":
        return choose_k(Zc, candidates=candidate_ks(n), random_state=options.seed)
    k = int(options.k)
    if k < 2:
        raise ThemeError("--k must be at least 2 (or 'auto').")
    if n < k * MIN_PER_THEME:
        suggest = max(2, n // (MIN_PER_THEME * 2))
        raise ThemeError(f"{n} segments are too few for {k} themes{why}: each theme needs at least "
                         f"{MIN_PER_THEME} segments. Try --k {suggest} or --k auto, or widen the selection.")
    return k, [{"k": k, "chosen": True, "why": "given with --k"}]


def _renumber(part: Partition) -> None:
    """Themes numbered 1..k by size (largest first), ties by first segment: stable for a seed."""
    groups = [g for g in part.groups.values() if len(g)]
    groups.sort(key=lambda g: (-len(g), int(g.min())))
    part.groups = {i + 1: np.sort(g) for i, g in enumerate(groups)}


def describe(db, part: Partition, options: ThemeOptions, numbers=None) -> list[dict]:
    """Label, key terms, quotes, sentiment, codes and breakdowns for each theme (and the
    'other' / 'not English' buckets). `numbers`: only these themes (default all)."""
    segs = part.segments
    ids = [s.id for s in segs]
    rs = check_random_state(options.seed)
    order = sorted(part.groups)
    centroids = {n: _centroid(part.Z[part.groups[n]]) for n in order}
    samples = {n: _sample(part.groups[n], part.Z, centroids[n], rs) for n in order}
    show = context.redactor(db)
    # Labels are phrases people wrote: build them from redacted text, so a name that was
    # redacted can never become (part of) a theme label.
    scored = label.theme_phrases([[show(segs[i].document_id, segs[i].start, segs[i].end, segs[i].text)
                                   for i in samples[n]] for n in order])
    names = part.names
    labels_arr = np.full(len(segs), -1)
    for j, n in enumerate(order):
        labels_arr[part.groups[n]] = j
    clustered = labels_arr >= 0
    terms = label.key_terms(part.tfidf[clustered] if part.tfidf is not None else None, labels_arr[clustered],
                            names, len(order))
    hidden = context.redacted_words(db, {s.document_id for s in segs})
    if hidden:
        terms = [[t for t in ts if not set(t.split()) & hidden] for ts in terms]
    codes, sentiment, code_names = context.segment_codes(db, ids)
    base = Counter(c for s in ids for c in codes.get(s, ()))
    attrs = context.segment_attributes(db, segs)
    out = []
    for j, n in enumerate(order):
        idx = part.groups[n]
        sims = np.zeros(len(segs))
        sims[idx] = part.Z[idx] @ centroids[n]
        # Quotes: central in LSA space and in literal wording (TF-IDF), so the quotes
        # use the theme's words rather than merely sitting near it in the reduced space.
        central = sims.copy()
        if part.tfidf is not None:
            rows = part.tfidf[idx]
            mean = np.asarray(rows.mean(axis=0)).ravel()
            norm = np.linalg.norm(mean)
            if norm > 0:
                central[idx] = 0.5 * sims[idx] + 0.5 * (rows @ (mean / norm))
        auto_label, phrases = label.pick_label(scored[j])
        if not auto_label:
            auto_label = ", ".join(terms[j][:3]) or f"theme {n}"
        quote_idx = quotes.pick(idx, central, part.Z, [s.text for s in segs], n=options.n_quotes)
        out.append(_theme_dict(n, "theme", auto_label, terms[j], [p for p, _ in scored[j][:10]], idx, sims[idx],
                               [_quote(segs[i], centroids[n], part, show) for i in quote_idx],
                               segs, codes, sentiment, code_names, base, attrs))
    k = max(order, default=0)
    for kind, idx, name in (("other", part.other, "Other: no content words (e.g. 'N/A', '...')"),
                            ("not-english", part.not_english, "Not in English: set aside, not clustered")):
        if len(idx):
            k += 1
            qs = [_quote(segs[i], None, part, show) for i in idx[:options.n_quotes]]
            out.append(_theme_dict(k, kind, name, [], [], idx, None, qs, segs, codes, sentiment, code_names, base,
                                   attrs))
    if numbers is not None:
        out = [t for t in out if t["number"] in numbers]
    return out


def _theme_dict(number, kind, auto_label, terms, phrases, idx, weights, quote_list, segs, codes, sentiment,
                code_names, base, attrs) -> dict:
    member_ids = [segs[i].id for i in idx]
    n_total = len(segs)
    return {
        "number": number, "kind": kind, "label": auto_label, "auto_label": auto_label, "key_terms": terms,
        "phrases": phrases, "size": len(idx), "quotes": quote_list, "segment_ids": member_ids,
        "weights": list(weights) if weights is not None else [None] * len(idx),
        "details": {
            "sentiment": context.mix(member_ids, sentiment),
            "codes": context.overlapping_codes(member_ids, codes, code_names, base, n_total),
            "breakdown": {name: context.mix(member_ids, values) for name, values in attrs.items()},
        },
    }


def _centroid(Z) -> np.ndarray:
    c = Z.mean(axis=0)
    norm = np.linalg.norm(c)
    return c / norm if norm > 0 else c


def _sample(idx, Z, centroid, rs, size: int = label.SAMPLE_PER_THEME):
    """Members to label from: all of a small theme; else the most central half and a
    random half, so labels reflect the core without ignoring the spread."""
    if len(idx) <= size:
        return idx
    order = idx[np.argsort(-(Z[idx] @ centroid), kind="stable")]
    core = order[:size // 2]
    rest = rs.choice(order[size // 2:], size - size // 2, replace=False)
    return np.concatenate([core, np.sort(rest)])


def _quote(seg, centroid, part: Partition, show) -> dict:
    if centroid is not None and len(seg.text) > quotes.LONG_CHARS:
        a, b = quotes.central_span(seg.text, centroid, part.vectorizer)
    else:
        a, b = 0, len(seg.text)
    start, end = seg.start + a, seg.start + b
    return {"segment_id": seg.id, "document_id": seg.document_id, "document": seg.external_id,
            "start": start, "end": end, "text": show(seg.document_id, start, end, seg.text[a:b])}


def _describe_selection(sel: Selection) -> str:
    d = sel.to_dict()
    return ", ".join(f"{k}={v}" for k, v in d.items()) or "all participant segments"
