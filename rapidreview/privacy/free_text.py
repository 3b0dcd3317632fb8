"""Free text that leaves a review but is no stored document: theme labels and key terms,
code names and definitions, the evidence ledger, titles, file names, attribute values.

It is redacted as the review's documents are: with the privacy config the latest
`redact` used (allow-list, patterns, listed names) and the names the review knows
(speakers, transcript participants: known.py). The generic detectors alone miss a known
name in a short label ("Denise's discharge"); and theme labels and key terms are built
lower-case, so a known name that is not also an English word ("denise", never "pat" or
"june") is a name here in any case.

    clean = free_text_redactor(db)       # once per publish, report or matrix
    clean("Waiting for Denise")          # 'Waiting for [NAME 1]'; None and '' pass through
"""

from __future__ import annotations

import functools
import re
from typing import Callable

import sqlite_utils

from .config import PrivacyConfig
from .detectors import Span, detect, resolve
from .known import review_config
from .names import MONTHS, common_words, stop_words
from .redact import placeholders

KNOWN_ANY_CASE = "known-name"  # the detector recorded on spans found by `_any_case`


def free_text_redactor(db: sqlite_utils.Database, config: PrivacyConfig | None = None) -> Callable:
    """A function text -> redacted text for this review (cached: labels and attribute
    values repeat). `config`: instead of the one `redact` last used."""
    config = review_config(db, config)
    any_case = _any_case(config.known)

    @functools.lru_cache(maxsize=16384)
    def clean(text):
        if not text or not isinstance(text, str):
            return text
        found = detect(text, config)
        if any_case is not None:
            extra = [Span(m.start(), m.end(), "name", KNOWN_ANY_CASE) for m in any_case.finditer(text)]
            if extra:
                found = resolve(found + extra)
        return placeholders(text, found) if found else text

    return clean


def redact_free_text(db: sqlite_utils.Database, text: str | None) -> str | None:
    """One string (for many, keep a `free_text_redactor(db)`)."""
    return free_text_redactor(db)(text)


def _any_case(known: frozenset[str]) -> re.Pattern | None:
    """Known names that are never English words, matched in any case ("denise", "DENISE")."""
    words, stops, months = common_words(), stop_words(), {m.lower() for m in MONTHS}
    names = sorted({k.lower() for k in known if len(k) >= 3} - words - stops - months, key=len, reverse=True)
    if not names:
        return None
    one = "(?:" + "|".join(map(re.escape, names)) + ")"
    # "denise harper" is one person, as "Denise Harper" is to the detectors.
    return re.compile(r"(?<![\w'’])" + one + r"(?:[ \t]+" + one + r")*(?![\w])", re.I)


__all__ = ["free_text_redactor", "redact_free_text"]
