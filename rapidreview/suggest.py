"""'Did you mean' help for names a user typed (columns, codes, attributes)."""

from __future__ import annotations

import difflib


def nearest(name: str, choices, n: int = 3) -> list[str]:
    """The closest choices to `name`, case-insensitive, best first."""
    choices = list(choices)
    lowered = {c.casefold(): c for c in choices}
    hits = difflib.get_close_matches(name.casefold(), list(lowered), n=n, cutoff=0.5)
    return [lowered[h] for h in hits]


def unknown_message(kind: str, name: str, choices) -> str:
    """`unknown column 'Servce'; did you mean 'Service'? Available: ...`"""
    choices = list(choices)
    msg = f"unknown {kind} {name!r}"
    close = nearest(name, choices)
    if close:
        msg += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    shown = ", ".join(repr(c) for c in choices[:40])
    more = f" (and {len(choices) - 40} more)" if len(choices) > 40 else ""
    return f"{msg} Available: {shown}{more}"
