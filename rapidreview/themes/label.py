"""Readable theme labels: the phrases that set a theme apart, and its key terms.

A label is up to three phrases ("waiting for an ambulance; long wait; hours") picked by
class-based TF-IDF (c-TF-IDF, as BERTopic uses it): how often a phrase occurs in the
theme's segments, times how rare it is across themes. Phrases are 1-4 words within a
clause, starting and ending with a content word (stop words allowed inside, so "staff
were kind" survives), and longer phrases get a bonus so labels read as phrases, not as
a bag of single words.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .vectorize import CLAUSE, is_content, stop_words, words

MAX_WORDS = 4
LENGTH_BONUS = 0.35  # score multiplier per extra word: (1 + 0.35 * (n - 1))
MIN_PHRASE_SHARE = 0.03
SAMPLE_PER_THEME = 400  # label from at most this many members per theme: flat cost at 100k


def phrases(text: str) -> set[str]:
    """Candidate phrases of one segment (each counted once per segment)."""
    out = set()
    for clause in CLAUSE.split(text[:5000]):
        ws = words(clause)
        content = [is_content(w) for w in ws]
        for i, w in enumerate(ws):
            if not content[i]:
                continue
            for j in range(i, min(i + MAX_WORDS, len(ws))):
                if content[j]:
                    out.add(" ".join(ws[i:j + 1]))
    return out


def theme_phrases(member_texts: list[list[str]], *, top: int = 10) -> list[list[tuple[str, float]]]:
    """For each theme (a list of its members' texts), its most distinctive phrases with
    scores, best first."""
    counts = [Counter(p for t in texts for p in phrases(t)) for texts in member_texts]
    sizes = [max(1, len(texts)) for texts in member_texts]
    total = Counter()
    for c, n in zip(counts, sizes):
        for p, f in c.items():
            total[p] += f / n  # per-theme rate, so large themes do not own every phrase
    out = []
    for c, n in zip(counts, sizes):
        # A phrase must recur: in 2 members, and longer phrases in at least 3% of the theme
        # (a label is what many say, not one vivid answer).
        min_count = 2 if n >= 6 else 1
        min_phrase = max(min_count, math.ceil(MIN_PHRASE_SHARE * n))
        scored = []
        for p, f in c.items():
            if f < (min_phrase if " " in p else min_count):
                continue
            tf = f / n
            score = tf * math.log(1 + 1 / total[p]) * (1 + LENGTH_BONUS * (p.count(" ")))
            scored.append((p, score))
        scored.sort(key=lambda ps: (-ps[1], ps[0]))
        out.append(scored[:top * 5])
    return out


def pick_label(scored: list[tuple[str, float]], *, n: int = 3) -> tuple[str, list[str]]:
    """The label (up to `n` phrases that do not repeat one another) and all phrases kept."""
    stop = stop_words()
    chosen: list[str] = []
    chosen_sets: list[set] = []
    for p, _ in scored:
        content = {w for w in p.split() if w not in stop}
        if any(content <= s or s <= content for s in chosen_sets):
            continue
        chosen.append(p)
        chosen_sets.append(content)
        if len(chosen) == n:
            break
    return "; ".join(chosen), chosen


def key_terms(tfidf, labels: np.ndarray, names: np.ndarray, k: int, *, top: int = 8) -> list[list[str]]:
    """Per theme, the vectorizer features (lemmas, lemma pairs) with the highest c-TF-IDF."""
    if tfidf is None or tfidf.shape[1] == 0:
        return [[] for _ in range(k)]
    import scipy.sparse as sp

    binary = (tfidf > 0).astype(np.float32)
    onehot = sp.csr_matrix((np.ones(len(labels), dtype=np.float32), (labels, np.arange(len(labels)))),
                           shape=(k, len(labels)))
    sizes = np.maximum(np.asarray(onehot.sum(axis=1)).ravel(), 1)
    rate = (onehot @ binary).toarray() / sizes[:, None]  # share of members with the term
    spread = rate.sum(axis=0) + 1e-9
    score = rate * np.log1p(1.0 / spread)[None, :]
    out = []
    for t in range(k):
        order = np.lexsort((names, -score[t]))[:top]
        out.append([str(names[i]) for i in order if rate[t, i] > 0])
    return out
