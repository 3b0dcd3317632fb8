"""Representative quotes: central to the theme and different from each other.

Maximal marginal relevance (MMR) over the members nearest the centroid: the first quote
is the most central; each next one trades closeness to the centroid against similarity
to the quotes already picked, so five quotes are not five copies of "Nothing.".
A quote is always a whole segment or, for a long segment, its most central sentence,
kept as offsets into the document (`text[start:end]`), and shown redacted where the
review has a redaction layer.
"""

from __future__ import annotations

import numpy as np

from ..nlp import sentence_spans
from .vectorize import content_lemmas

CANDIDATES = 60
LAMBDA = 0.7  # weight of centrality against novelty
LONG_CHARS = 300  # longer segments are quoted by their most central sentence
MIN_CONTENT = 2  # prefer quotes with two content words or more, when the theme has enough of them


def pick(member_idx: np.ndarray, sims: np.ndarray, Z: np.ndarray, texts: list[str], *, n: int = 5) -> list[int]:
    """Indices (into the run's segments) of up to `n` quotes for one theme."""
    if len(member_idx) == 0:
        return []
    order = member_idx[np.lexsort((member_idx, -sims[member_idx]))][:CANDIDATES * 3]
    wordy = [i for i in order if len(content_lemmas(texts[i][:2000])) >= MIN_CONTENT]
    pool = np.array((wordy if len(wordy) >= min(n, 3) else list(order))[:CANDIDATES])
    chosen: list[int] = []
    for _ in range(min(n, len(pool))):
        best, best_score = None, -np.inf
        for i in pool:
            if i in chosen:
                continue
            novelty = max((float(Z[i] @ Z[j]) for j in chosen), default=0.0)
            if chosen and (novelty > 0.97 or texts[i].strip().lower() in {texts[j].strip().lower() for j in chosen}):
                continue  # a near-copy of a quote we already have
            score = LAMBDA * sims[i] - (1 - LAMBDA) * novelty
            if score > best_score:
                best, best_score = int(i), score
        if best is None:
            break
        chosen.append(best)
    return chosen


def central_span(text: str, centroid: np.ndarray, vectorizer) -> tuple[int, int]:
    """(start, end) within `text`: the whole of it, or its sentence nearest the centroid."""
    if len(text) <= LONG_CHARS:
        return 0, len(text)
    spans = [s for s in next(iter(sentence_spans([text[:100_000]]))) if text[s[0]:s[1]].strip()]
    if len(spans) <= 1:
        return (spans[0] if spans else (0, len(text)))
    V = vectorizer.transform([text[a:b] for a, b in spans])
    return spans[int(np.argmax(V @ centroid))]
