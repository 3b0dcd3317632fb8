"""What every reader yields: one DocumentRecord per survey answer or transcript.

Readers know file formats; they never touch the database. The writer in
`rapidreview.ingest.write` turns records into rows, segments and codings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Turn:
    """A speaker turn in a transcript: offsets into the document text."""

    start: int
    end: int
    speaker: str | None = None
    role: str = "participant"  # participant | interviewer | facilitator | other
    t_start: float | None = None  # seconds
    t_end: float | None = None


@dataclass
class DocumentRecord:
    external_id: str
    text: str
    kind: str  # survey | transcript | document
    respondent: str | None = None
    question: str | None = None
    date: str | None = None  # ISO 8601
    title: str | None = None
    answered: bool = True
    attributes: dict[str, str] = field(default_factory=dict)
    turns: Sequence[Turn] = field(default_factory=list)  # empty: the whole text is one unit
    codes: list[str] = field(default_factory=list)  # existing human codes on the whole text
    row: int | None = None  # row or line in the source, for messages
    meta: dict = field(default_factory=dict)


@dataclass
class ImportOptions:
    """How to read a file. Saved with the source and reusable as a mapping file."""

    text: list[str] = field(default_factory=list)  # free-text question columns
    id: str | None = None  # respondent id column (wide) or answer id column (long)
    respondent: str | None = None  # respondent id column in a long export
    question_col: str | None = None  # long format: the column naming the question
    attrs: list[str] = field(default_factory=list)
    date: str | None = None
    dayfirst: bool = True  # UK dates: 03/04/2024 is 3 April
    codes: list[str] = field(default_factory=list)  # one-hot columns, a delimited column, or "A.." ranges
    codes_sep: str = ";"
    placeholders: list[str] | None = None  # None: the defaults in ingest.placeholders
    encoding: str | None = None  # None: detect
    sheet: str | None = None  # xlsx sheet name
    delimiter: str | None = None  # None: by extension / sniffed
    wave: str | None = None  # stored as the batch and as a 'wave' attribute
    set_attrs: dict[str, str] = field(default_factory=dict)  # constant attributes for every document
    interviewer: list[str] = field(default_factory=list)  # transcript speaker names to mark as interviewer

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return {k: v for k, v in asdict(self).items() if v not in (None, [], {})}

    @classmethod
    def from_dict(cls, data: dict) -> "ImportOptions":
        from dataclasses import fields

        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            from ..errors import RapidReviewError

            raise RapidReviewError(
                f"unknown mapping option(s): {', '.join(sorted(unknown))}. Known: {', '.join(sorted(known))}"
            )
        return cls(**data)
