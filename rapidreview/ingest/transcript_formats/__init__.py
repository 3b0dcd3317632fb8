"""Transcript layouts, one module each: speaker lines in plain text (`speakers`),
caption cues in WebVTT and SubRip (`cues`), and Word exports from Teams and Zoom
(`office`). `rapidreview.ingest.transcripts` turns what they find into records.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..records import Turn


@dataclass
class Utterance:
    """Something said, before it is placed in a document text we compose."""

    speaker: str | None
    text: str
    t_start: float | None = None
    t_end: float | None = None
    role: str | None = None  # None: decided from the speaker's name later


def merge_same_speaker(utterances: list[Utterance], sep: str = " ") -> list[Utterance]:
    """Consecutive utterances of one speaker become one turn (first start, last end)."""
    out: list[Utterance] = []
    for u in utterances:
        prev = out[-1] if out else None
        if prev is not None and u.speaker == prev.speaker and u.role == prev.role:
            prev.text = f"{prev.text}{sep}{u.text}" if prev.text else u.text
            prev.t_end = u.t_end
        else:
            out.append(Utterance(u.speaker, u.text, u.t_start, u.t_end, u.role))
    return out


def compose(utterances: list[Utterance]) -> tuple[str, list[Turn]]:
    """A readable text ("Speaker: words", a blank line between turns) and the turns'
    offsets of the words in it."""
    parts, turns, pos = [], [], 0
    for u in utterances:
        words = u.text.strip()
        if not words:
            continue
        prefix = f"{u.speaker}: " if u.speaker else ""
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(prefix + words)
        start = pos + len(prefix)
        pos = start + len(words)
        turns.append(Turn(start, pos, u.speaker, u.role or "participant", u.t_start, u.t_end))
    return "".join(parts), turns
