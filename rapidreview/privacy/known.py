"""The personal names a review already knows: its transcripts' speakers (interviewers
too), the participants its transcripts belong to, and the names the researcher lists
(`names:` in the privacy config). Each is a name wherever it stands capitalised in any
document of that review, with its first-name and surname parts on their own: "Pat",
"Denise" and "Harper" from the speaker labels "Pat" and "Denise Harper".

    config = review_config(db, config)    # the config with this review's known names
    config = review_config(db)            # the config `redact` last used, with them

`redact` stores the config it was given (allow-list, patterns, listed names) in the
review, so that text leaving it later, far from that command line (a theme label in
`publish`, a code name in a report), is redacted as its documents were.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace

import sqlite_utils

from .. import store
from .config import DEFAULT_CONFIG, PrivacyConfig
from .names import RELATIONS, ROLES, TITLES, normalise

# Words of speaker labels that say a role, not who: "Interviewer 2", "Jane (Healthwatch)".
ROLE_WORDS = frozenset("""interviewer interviewers interviewee researcher researchers facilitator facilitators
cofacilitator co-facilitator moderator participant participants respondent respondents speaker speakers unknown
healthwatch member members group all everyone several multiple voices voice audience chair note taker notetaker
note-taker host guest male female woman women men other others inaudible crosstalk unidentified person people
patient patients parent parents service user users staff team panel observer lead""".split())
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def name_words(label: str) -> set[str]:
    """'Denise Harper (Healthwatch)' -> {'Denise', 'Harper'}; 'Interviewer 2' -> set()."""
    out = set()
    for word in _WORD.findall(_BRACKETS.sub(" ", label or "")):
        low = word.lower()
        if len(word) < 2 or low in ROLE_WORDS or low in RELATIONS or low in ROLES or low in TITLES:
            continue
        out.add(normalise(word) if word.isupper() or word.islower() else word)
    return out


def speaker_labels(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT speaker FROM segments WHERE speaker IS NOT NULL")]


def participant_ids(db: sqlite_utils.Database) -> list[str]:
    """External ids of respondents with a transcript: for transcripts these are people's names."""
    return [r[0] for r in db.execute(
        "SELECT DISTINCT r.external_id FROM respondents r JOIN documents d ON d.respondent_id = r.id "
        "WHERE d.kind = 'transcript'")]


def known_names(db: sqlite_utils.Database, listed=()) -> frozenset[str]:
    """Every name word this review knows: speakers, transcript participants, `listed`."""
    out: set[str] = set()
    for label in [*speaker_labels(db), *participant_ids(db), *listed]:
        out |= name_words(label)
    return frozenset(out)


def review_config(db: sqlite_utils.Database, config: PrivacyConfig | None = None) -> PrivacyConfig:
    """`config` (default: the one `redact` last used here) with the review's known names
    added (the names it lists are kept)."""
    config = config if config is not None else stored_config(db)
    return replace(config, known=known_names(db, config.names))


def save_config(db: sqlite_utils.Database, config: PrivacyConfig) -> None:
    """Remember the config `redact` used (inside its transaction)."""
    db.execute("INSERT OR REPLACE INTO privacy_config (id, config, saved_at) VALUES (1, ?, ?)",
               [json.dumps(config.to_dict(), ensure_ascii=False), store.now()])


def stored_config(db: sqlite_utils.Database) -> PrivacyConfig:
    """The config `redact` last used; the defaults for a review redacted before it was kept."""
    try:
        row = db.execute("SELECT config FROM privacy_config WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # a review opened without migrating (read-only tools)
        row = None
    return PrivacyConfig.from_dict(json.loads(row[0])) if row else DEFAULT_CONFIG


__all__ = ["known_names", "name_words", "review_config", "save_config", "stored_config", "speaker_labels",
           "participant_ids", "ROLE_WORDS"]
