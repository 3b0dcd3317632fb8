"""Answers that are not answers: "Did not answer", "N/A", "-", "nothing"...

They are kept as documents (the respondent was asked; denominators need them) but
marked unanswered, so they are not segmented, coded or clustered.
"""

from __future__ import annotations

DEFAULT_PLACEHOLDERS = [
    "did not answer", "no answer", "not answered", "n/a", "na", "n.a.", "-", "--", "---",
    ".", "..", "...", "?", "x", "nothing", "none", "nil", "no comment", "no comments",
    "not applicable", "prefer not to say", "blank", "null",
]

_PUNCT = "\"'.!,;:"


def normalise(text: str) -> str:
    return " ".join(_core(text).split())


def _core(text: str) -> str:
    # str.strip, not an end-anchored regex: that costs a scan per character (slow on long answers).
    text, before = text.casefold(), None
    while text != before:
        before, text = text, text.strip().strip(_PUNCT)
    return text


def placeholder_set(placeholders: list[str] | None) -> frozenset[str]:
    chosen = DEFAULT_PLACEHOLDERS if placeholders is None else placeholders
    # Punctuation-only placeholders ("-", "...") normalise to "" and are caught as empty.
    return frozenset(normalise(p) for p in chosen)


def is_answer(text: str, placeholders: frozenset[str]) -> bool:
    """False for empty text and placeholders (compared without case, spaces and end punctuation)."""
    norm = normalise(text)
    return bool(norm) and norm not in placeholders


def answer_check(placeholders: frozenset[str]):
    """`is_answer` with the placeholders fixed: the same answers, sooner for long ones.
    An answer with more words than any placeholder is one, without tidying all its spaces."""
    most_words = max((len(p.split()) for p in placeholders), default=0)

    def check(text: str) -> bool:
        core = _core(text)
        if not core:
            return False
        if len(core.split(None, most_words)) > most_words:
            return True
        return " ".join(core.split()) not in placeholders

    return check
