"""Sentiment as a code group: positive, negative, mixed or neutral.

Out of the box: the VADER lexicon and rules (vaderSentiment, MIT licence: negation,
intensifiers, "but" clauses) with a few care-feedback words added from
`rapidreview/data/sentiment_care.tsv`, using VADER's documented cut-offs (compound
>= 0.05 positive, <= -0.05 negative, otherwise mixed or neutral). Its suggestions are
rule suggestions (coder 'rules', rule 'lexicon:vader').

Once people have coded sentiment, the model learns the group like any other code (as
one exclusive group: one sentiment per unit), and the lexicon steps aside.

The group is the codes whose `group_name` is 'sentiment'. Codes named Positive /
Negative / Mixed or neutral (an import's code columns, say) are adopted into the group;
where there are none, a small built-in codebook 'sentiment' is created.
"""

from __future__ import annotations

import functools
from importlib.resources import files

import sqlite_utils

from .. import store
from ..errors import RapidReviewError

GROUP = "sentiment"
CODEBOOK = "sentiment"
RULE = "lexicon:vader"
POSITIVE, NEGATIVE, MIXED = "positive", "negative", "mixed"
BUILT_IN = [  # key, name, polarity, colour
    ("sentiment-positive", "Positive", POSITIVE, "#2ca02c"),
    ("sentiment-negative", "Negative", NEGATIVE, "#d62728"),
    ("sentiment-mixed", "Mixed or neutral", MIXED, "#7f7f7f"),
]
NAMES = {"positive": POSITIVE, "negative": NEGATIVE, "mixed or neutral": MIXED, "neutral or mixed": MIXED,
         "neutral": MIXED, "mixed": MIXED}
CUTOFF = 0.05  # VADER's documented threshold on the compound score


def polarity_of(name: str) -> str:
    n = name.casefold().strip()
    if n in NAMES:
        return NAMES[n]
    return POSITIVE if n.startswith("pos") else NEGATIVE if n.startswith("neg") else MIXED


@functools.lru_cache(maxsize=1)
def analyser():
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        raise RapidReviewError("the sentiment lexicon needs the vaderSentiment package: pip install vaderSentiment "
                               "(or run `rapidreview code --no-sentiment`).") from None

    sia = SentimentIntensityAnalyzer()
    text = (files("rapidreview") / "data" / "sentiment_care.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            word, value = line.split("\t")
            sia.lexicon[word.strip()] = float(value)
    return sia


def scores(text: str) -> dict:
    """VADER's scores: neg, neu, pos (proportions) and compound (-1..1)."""
    return analyser().polarity_scores(text)


def classify(text: str) -> tuple[str, float]:
    """(polarity, confidence). Confidence grows with the strength of the compound score."""
    c = scores(text)["compound"]
    if c >= CUTOFF:
        return POSITIVE, round(0.5 + c / 2, 4)
    if c <= -CUTOFF:
        return NEGATIVE, round(0.5 - c / 2, 4)
    return MIXED, round(0.5 + (CUTOFF - abs(c)) / (2 * CUTOFF) * 0.2, 4)


def group_codes(db: sqlite_utils.Database, *, create: bool = True) -> dict[str, int]:
    """polarity -> code id for the sentiment group (adopting or creating it if asked)."""
    found = _group(db)
    if found or not create:
        return found
    with store.transaction(db):
        adopted = _adopt_by_name(db)
        if not adopted:
            _create_built_in(db)
    return _group(db)


def adopt(db: sqlite_utils.Database) -> dict[str, int]:
    """Adopt codes named Positive / Negative / Mixed or neutral into the group (before
    training, so the model treats them as one exclusive group). Creates nothing."""
    if _has(db, "group_name") and not _group(db):
        with store.transaction(db):
            _adopt_by_name(db)
    return _group(db)


def _has(db, column: str) -> bool:
    return column in db["codes"].columns_dict


def _group(db) -> dict[str, int]:
    if not _has(db, "group_name"):
        return {}
    codable = "AND codable = 1" if _has(db, "codable") else ""
    out: dict[str, int] = {}
    for code_id, name in db.execute(
            f"SELECT id, name FROM codes WHERE lower(group_name) = ? AND archived = 0 {codable} ORDER BY id", [GROUP]):
        out.setdefault(polarity_of(name), code_id)
    return out


def _adopt_by_name(db) -> bool:
    if not _has(db, "group_name"):
        return False
    rows = db.execute(f"""SELECT id, name FROM codes WHERE archived = 0 AND group_name IS NULL
        AND lower(name) IN ({','.join('?' * len(NAMES))})""", list(NAMES)).fetchall()
    polarities = {polarity_of(name) for _, name in rows}
    if not {POSITIVE, NEGATIVE} <= polarities:
        return False
    for code_id, name in rows:
        db.execute("UPDATE codes SET group_name = ? WHERE id = ?", [GROUP, code_id])
    store.log_event(db, "sentiment_adopt", {"codes": [name for _, name in rows]})
    return True


def _create_built_in(db) -> None:
    row = db.execute("SELECT id FROM codebooks WHERE name = ?", [CODEBOOK]).fetchone()
    book = row[0] if row else db.execute(
        "INSERT INTO codebooks (name, created_at) VALUES (?, ?)", [CODEBOOK, store.now()]).lastrowid
    heading = _insert_code(db, book, "sentiment", "Sentiment", None, None, codable=False)
    for position, (key, name, _, colour) in enumerate(BUILT_IN):
        _insert_code(db, book, key, name, heading, colour, position=position)
    store.log_event(db, "sentiment_codes", {"codebook": CODEBOOK, "codes": [b[1] for b in BUILT_IN]})


def _insert_code(db, book: int, key: str, name: str, parent, colour, *, codable=True, position=0) -> int:
    existing = db.execute("SELECT id FROM codes WHERE codebook_id = ? AND key = ?", [book, key]).fetchone()
    if existing:
        return existing[0]
    values = {"codebook_id": book, "key": key, "name": name, "parent_id": parent, "colour": colour,
              "description": f"Overall sentiment of the segment: {name.lower()}." if parent else
              "Overall sentiment: positive, negative, or mixed or neutral (one per segment)."}
    if _has(db, "group_name"):
        values.update(group_name=GROUP, codable=int(codable), position=position)
    cols = list(values)
    return db.execute(f"INSERT INTO codes ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                      [values[c] for c in cols]).lastrowid


def suggest(units, codes: dict[str, int]):
    """Yield (unit, code_id, confidence) from the lexicon, one per unit."""
    for unit in units:
        polarity, confidence = classify(unit.text)
        if polarity in codes:
            yield unit, codes[polarity], confidence
