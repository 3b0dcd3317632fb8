"""The review database: schema, migrations, connections and transactions.

This is the only module that knows the table layouts. Everything else asks it for
rows or hands it records. One SQLite file per review; WAL so the workbench can read
while an import writes; foreign keys on; every write in one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from .errors import StoreError

migrations = Migrations("rapidreview")

APP_ID = 0x52525631  # "RRV1": marks a file as a rapidreview database
PUBLIC_APP_ID = 0x52525050  # "RRPP": marks a public.db built by `rapidreview publish`


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------- connection


def open_review(path, *, create: bool = True, migrate: bool = True) -> sqlite_utils.Database:
    """Open (and create or migrate) a review database at `path`."""
    path = Path(path)
    exists = path.exists() and path.stat().st_size > 0
    if not exists and not create:
        raise StoreError(f"{path}: no such review database. Create one with `rapidreview import {path} FILE`.")
    if exists:
        _check_is_sqlite(path)
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    configure(db)
    if migrate:
        _migrate(db, path if exists else None)
    return db


def configure(db: sqlite_utils.Database) -> None:
    """Connection settings every connection to a review needs (CLI or Datasette)."""
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 30000")
    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")


def _check_is_sqlite(path: Path) -> None:
    # Ask SQLite, never open() the file: closing any Python handle on it drops the POSIX
    # locks this process's SQLite connections hold, and another process's close would then
    # delete the WAL under them (seen as "disk I/O error" in a server).
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
        return
    except sqlite3.DatabaseError:
        pass
    finally:
        conn.close()
    raise StoreError(f"{path} is not a SQLite database. Give a new file name or an existing review.db.")


def _migrate(db: sqlite_utils.Database, existing: Path | None) -> None:
    applied = migrations.applied(db) if existing else []
    pending = migrations.pending(db)
    if not pending:
        return
    known = {m.name for m in migrations._migrations}
    if any(m.name not in known for m in applied):
        raise StoreError("This review was written by a newer rapidreview. Upgrade rapidreview to open it.")
    if existing is not None and applied:
        # Taguette's habit: keep a copy before changing the schema of a user's file.
        backup = existing.with_name(existing.name + ".bak")
        with sqlite3.connect(str(backup)) as dest:
            db.conn.backup(dest)
        dest.close()
    migrations.apply(db)
    db.execute(f"PRAGMA application_id = {APP_ID}")


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database):
    """All or nothing. Outermost: BEGIN IMMEDIATE (takes the write lock up front, so
    two writers queue instead of failing); nested: a savepoint via `db.atomic()`."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")


@contextlib.contextmanager
def bulk_load(db: sqlite_utils.Database, tables: tuple[str, ...] = (), *, defer_indexes: bool = False):
    """A transaction for a loader that makes every reference it writes itself (an import):
    all or nothing like `transaction`, but SQLite does not look up each row's parents
    (a third of the cost of writing a survey), and with `defer_indexes` the plain indexes of
    `tables` are built once at the end instead of row by row (worth it when the load is
    large next to what the tables hold). Nested in another transaction, it is just that."""
    if db.conn.in_transaction:
        with transaction(db):
            yield db
        return
    db.execute("PRAGMA foreign_keys = OFF")  # SQLite ignores this inside a transaction
    try:
        with transaction(db):
            indexes = _drop_plain_indexes(db, tables) if defer_indexes else []
            yield db
            for sql in indexes:
                db.execute(sql)
    finally:
        db.execute("PRAGMA foreign_keys = ON")


def _drop_plain_indexes(db: sqlite_utils.Database, tables) -> list[str]:
    """Drop the non-unique indexes of `tables`; return the SQL that recreates them."""
    rows = db.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({','.join('?' * len(tables))})", list(tables)).fetchall()
    for name, _ in rows:
        db.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in rows]


def log_event(db: sqlite_utils.Database, action: str, payload: dict | None = None, actor: str | None = None) -> None:
    """Append to the event log: who did what, when. Never updated or deleted."""
    db.execute(
        "INSERT INTO events (at, actor, action, payload) VALUES (?, ?, ?, ?)",
        [now(), actor or default_actor(), action, json.dumps(payload or {}, ensure_ascii=False, default=str)],
    )


def default_actor() -> str:
    return os.environ.get("RAPIDREVIEW_USER") or os.environ.get("USER") or "unknown"


def insert_many(db: sqlite_utils.Database, table: str, columns: list[str], rows) -> int:
    """Fast path for bulk inserts: one prepared statement, executemany."""
    sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
        table, ", ".join(f'"{c}"' for c in columns), ", ".join("?" * len(columns))
    )
    cursor = db.conn.executemany(sql, rows)
    return cursor.rowcount


# ---------------------------------------------------------------- schema

SCHEMA_001 = """
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,             -- as given by the user
    name TEXT NOT NULL,             -- file name, for display
    sha256 TEXT NOT NULL UNIQUE,    -- same bytes => same source: imports are idempotent
    format TEXT NOT NULL,           -- csv, tsv, xlsx, txt, md, docx, vtt, srt, ...
    options TEXT NOT NULL DEFAULT '{}',  -- JSON: the column mapping and options used
    imported_at TEXT NOT NULL,
    batch TEXT,                     -- wave or batch label
    n_documents INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE respondents (
    id INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,  -- the survey's respondent id, or a transcript participant
    consent INTEGER NOT NULL DEFAULT 1,
    withdrawn INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    respondent_id INTEGER REFERENCES respondents(id),
    question TEXT,
    date TEXT,                      -- ISO 8601 date where one was given
    kind TEXT NOT NULL CHECK (kind IN ('survey', 'transcript', 'document')),
    title TEXT,
    text TEXT NOT NULL,             -- exactly as imported; everything else is offsets into it
    answered INTEGER NOT NULL DEFAULT 1,  -- 0: empty or a placeholder such as "Did not answer"
    row INTEGER,                    -- row or line in the source file
    meta TEXT NOT NULL DEFAULT '{}',
    UNIQUE (source_id, external_id)
);
CREATE INDEX documents_respondent ON documents(respondent_id);
CREATE INDEX documents_question ON documents(question);
CREATE INDEX documents_date ON documents(date);

CREATE TABLE attributes (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (document_id, name)
) WITHOUT ROWID;  -- one b-tree, not a table plus a unique index: imports write millions
CREATE INDEX attributes_name_value ON attributes(name, value);

CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    speaker TEXT,
    role TEXT NOT NULL DEFAULT 'participant' CHECK (role IN ('participant', 'interviewer', 'facilitator', 'other')),
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    t_start REAL,                   -- seconds from the start of a recording
    t_end REAL,
    text TEXT NOT NULL,             -- copy of documents.text[start:end], for search
    UNIQUE (document_id, seq),
    CHECK (start >= 0 AND "end" >= start)
);

CREATE VIRTUAL TABLE segments_fts USING fts5(text, content='segments', content_rowid='id', tokenize='porter unicode61');
CREATE TRIGGER segments_fts_delete AFTER DELETE ON segments BEGIN
    INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER segments_fts_update AFTER UPDATE OF text ON segments BEGIN
    INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO segments_fts(rowid, text) VALUES (new.id, new.text);
END;

CREATE TABLE codebooks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    path TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE codebook_versions (
    id INTEGER PRIMARY KEY,
    codebook_id INTEGER NOT NULL REFERENCES codebooks(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content TEXT NOT NULL,          -- the codebook as loaded (JSON)
    created_at TEXT NOT NULL,
    UNIQUE (codebook_id, version)
);

CREATE TABLE codes (
    id INTEGER PRIMARY KEY,
    codebook_id INTEGER NOT NULL REFERENCES codebooks(id) ON DELETE CASCADE,
    key TEXT NOT NULL,              -- stable across renames
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES codes(id),
    description TEXT,
    include TEXT,
    exclude TEXT,
    examples TEXT NOT NULL DEFAULT '[]',
    rules TEXT NOT NULL DEFAULT '{}',
    colour TEXT,
    archived INTEGER NOT NULL DEFAULT 0,
    UNIQUE (codebook_id, key)
);
CREATE INDEX codes_name ON codes(name);

CREATE TABLE codings (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    segment_id INTEGER REFERENCES segments(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    code_id INTEGER NOT NULL REFERENCES codes(id),
    coder TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('manual', 'rule', 'model', 'import')),
    status TEXT NOT NULL DEFAULT 'accepted' CHECK (status IN ('suggested', 'accepted', 'rejected')),
    confidence REAL,
    model_version TEXT,
    rule TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (document_id, start, "end", code_id, coder)
);
CREATE INDEX codings_code ON codings(code_id, status);
CREATE INDEX codings_segment ON codings(segment_id);

CREATE TABLE theme_runs (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    versions TEXT NOT NULL DEFAULT '{}',
    n_segments INTEGER,
    label TEXT
);

CREATE TABLE themes (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES theme_runs(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    label TEXT NOT NULL,
    key_terms TEXT NOT NULL DEFAULT '[]',
    size INTEGER NOT NULL DEFAULT 0,
    quotes TEXT NOT NULL DEFAULT '[]',
    is_other INTEGER NOT NULL DEFAULT 0,
    UNIQUE (run_id, number)
);

CREATE TABLE theme_members (
    theme_id INTEGER NOT NULL REFERENCES themes(id) ON DELETE CASCADE,
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    weight REAL,
    PRIMARY KEY (theme_id, segment_id)
);
CREATE INDEX theme_members_segment ON theme_members(segment_id);

CREATE TABLE redactions (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    kind TEXT NOT NULL,
    replacement TEXT NOT NULL,
    detector TEXT NOT NULL,
    reviewed TEXT,                  -- NULL, 'confirmed' or 'undone'
    created_at TEXT NOT NULL,
    UNIQUE (document_id, start, "end", kind)
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE memos (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL CHECK (target IN ('document', 'segment', 'code', 'theme', 'review')),
    target_id INTEGER,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE VIEW respondent_attributes AS
    SELECT DISTINCT d.respondent_id, a.name, a.value
    FROM attributes a JOIN documents d ON d.id = a.document_id
    WHERE d.respondent_id IS NOT NULL;
"""



def _statements(script: str):
    """Split a schema script into statements (triggers contain ';' inside BEGIN...END)."""
    buf = []
    for line in script.splitlines():
        line_clean = line.split("--", 1)[0].rstrip() if not line.strip().startswith("INSERT") else line
        buf.append(line_clean)
        joined = "\n".join(buf).strip()
        if joined and sqlite3.complete_statement(joined):
            yield joined
            buf = []


SCHEMA_030 = """
ALTER TABLE codebooks ADD COLUMN description TEXT;
ALTER TABLE codebooks ADD COLUMN credit TEXT;
ALTER TABLE codebook_versions ADD COLUMN label TEXT;           -- the file's own `version:` label
ALTER TABLE codebook_versions ADD COLUMN changes TEXT NOT NULL DEFAULT '{}';  -- JSON summary of the diff
ALTER TABLE codebook_versions ADD COLUMN loaded_by TEXT;
ALTER TABLE codebook_versions ADD COLUMN source TEXT;          -- path or operation (merge, split, archive)
ALTER TABLE codes ADD COLUMN group_name TEXT;                  -- cross-tree label, e.g. 'sentiment'
ALTER TABLE codes ADD COLUMN codable INTEGER NOT NULL DEFAULT 1;  -- 0: a category heading only
ALTER TABLE codes ADD COLUMN position INTEGER NOT NULL DEFAULT 0; -- order among siblings
ALTER TABLE codes ADD COLUMN guid TEXT;                        -- REFI-QDA GUID, stable per code
ALTER TABLE codes ADD COLUMN merged_into INTEGER REFERENCES codes(id);
ALTER TABLE codes ADD COLUMN created_version INTEGER;          -- codebook version that added it
CREATE UNIQUE INDEX codes_guid ON codes(codebook_id, guid) WHERE guid IS NOT NULL;
CREATE INDEX codes_parent ON codes(parent_id);
"""



SCHEMA_020 = """
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    version TEXT NOT NULL UNIQUE,       -- recorded on every suggestion it makes (codings.model_version)
    created_at TEXT NOT NULL,
    fingerprint TEXT NOT NULL,          -- sha256 of the training set: units, texts and codes
    params TEXT NOT NULL DEFAULT '{}',  -- features and learner settings
    codes TEXT NOT NULL DEFAULT '[]',   -- per code: id, name, positives, threshold, calibration, CV scores
    refused TEXT NOT NULL DEFAULT '[]', -- codes with too few examples, and how many more each needs
    scores TEXT NOT NULL DEFAULT '{}',  -- cross-validated micro/macro F1
    versions TEXT NOT NULL DEFAULT '{}',
    n_units INTEGER NOT NULL DEFAULT 0,
    fit_seconds REAL,
    trained_by TEXT
);
ALTER TABLE codings ADD COLUMN decided_by TEXT;   -- who accepted or rejected a suggestion
ALTER TABLE codings ADD COLUMN decided_at TEXT;
CREATE TABLE coder_documents (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    coder TEXT NOT NULL,                -- this coder read the whole document: uncoded text is a decision
    created_at TEXT NOT NULL,
    PRIMARY KEY (document_id, coder)
);
CREATE INDEX codings_document ON codings(document_id, code_id);
"""



SCHEMA_040 = """
ALTER TABLE theme_runs ADD COLUMN seed INTEGER;
ALTER TABLE theme_runs ADD COLUMN k INTEGER;
ALTER TABLE theme_runs ADD COLUMN selection TEXT NOT NULL DEFAULT '{}';  -- JSON: question, where, dates, wave, within
ALTER TABLE theme_runs ADD COLUMN details TEXT NOT NULL DEFAULT '{}';    -- JSON: k choice, stability, excluded, edits re-applied
ALTER TABLE theme_runs ADD COLUMN actor TEXT;
ALTER TABLE themes ADD COLUMN kind TEXT NOT NULL DEFAULT 'theme' CHECK (kind IN ('theme', 'other', 'not-english'));
ALTER TABLE themes ADD COLUMN auto_label TEXT;                 -- the model's label; `label` may be a person's
ALTER TABLE themes ADD COLUMN share REAL;                      -- size / segments in the run
ALTER TABLE themes ADD COLUMN phrases TEXT NOT NULL DEFAULT '[]';
ALTER TABLE themes ADD COLUMN details TEXT NOT NULL DEFAULT '{}';  -- JSON: sentiment mix, overlapping codes, breakdowns
ALTER TABLE themes ADD COLUMN origin TEXT NOT NULL DEFAULT 'model';  -- model, merge, split
CREATE INDEX themes_run ON themes(run_id);

CREATE TABLE theme_edits (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES theme_runs(id) ON DELETE SET NULL,  -- the run a person edited
    action TEXT NOT NULL CHECK (action IN ('merge', 'split', 'rename')),
    members TEXT NOT NULL DEFAULT '[]',  -- JSON: segment ids of each theme involved, to find it again in later runs
    value TEXT,                          -- rename: the new label; split: the number of parts
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE VIEW theme_assignments AS
    SELECT t.run_id, t.number AS theme, t.label, t.kind, m.segment_id, m.weight, s.document_id, s.start, s."end"
    FROM theme_members m JOIN themes t ON t.id = m.theme_id JOIN segments s ON s.id = m.segment_id;
"""



SCHEMA_010 = """
CREATE TABLE redaction_scans (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    scanned_at TEXT NOT NULL,
    detectors TEXT NOT NULL,        -- version and config fingerprint of the scan
    n_spans INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX redactions_document ON redactions(document_id, start);
"""



SCHEMA_060 = """
CREATE TABLE recommendations (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,                 -- what the review recommends
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'partly accepted', 'declined',
                                                          'implemented')),
    response TEXT,                      -- the provider's response, as they gave it
    outcome TEXT,                       -- what changed as a result
    responded_by TEXT,
    responded_at TEXT,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE recommendation_evidence (
    id INTEGER PRIMARY KEY,
    recommendation_id INTEGER NOT NULL REFERENCES recommendations(id) ON DELETE CASCADE,
    run_id INTEGER REFERENCES theme_runs(id) ON DELETE SET NULL,  -- a theme is a number within a run
    theme_number INTEGER,
    theme_label TEXT,                   -- the label when linked, should the run be deleted
    segment_id INTEGER REFERENCES segments(id) ON DELETE CASCADE, -- a quote
    CHECK (theme_number IS NOT NULL OR segment_id IS NOT NULL)
);
CREATE INDEX recommendation_evidence_rec ON recommendation_evidence(recommendation_id);
"""

SCHEMA_070 = """
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('coder', 'lead')),
    password TEXT NOT NULL,             -- scrypt$n$r$p$salt$hash (hex): never the password itself
    created_at TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE TABLE review_secrets (
    name TEXT PRIMARY KEY,              -- 'session': signs the workbench's sign-in cookies
    value TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""

SCHEMA_075 = """
CREATE TABLE queue_order (
    generation INTEGER NOT NULL,        -- each re-ranking writes a new generation, then drops the old one
    rank INTEGER NOT NULL,              -- place in the review queue, most uncertain first (coding/queue.py)
    coding_id INTEGER NOT NULL,         -- the suggestion (no foreign key: withdrawn ones simply drop out)
    code_id INTEGER NOT NULL,           -- its code: a queue filtered to one code walks only that code's entries
    PRIMARY KEY (generation, rank)
) WITHOUT ROWID;
CREATE INDEX queue_order_code ON queue_order(generation, code_id, rank);
CREATE TABLE queue_state (
    name TEXT PRIMARY KEY,              -- generation (the order in use), ranked_to (highest coding id ranked), size
    value INTEGER NOT NULL
);
CREATE TABLE queue_skips (
    coding_id INTEGER NOT NULL REFERENCES codings(id) ON DELETE CASCADE,
    coder TEXT NOT NULL,                -- skips are per person: the suggestion stays in everyone else's queue
    created_at TEXT NOT NULL,
    PRIMARY KEY (coding_id, coder)
) WITHOUT ROWID;
"""

SCHEMA_095 = """
CREATE TABLE privacy_config (
    id INTEGER PRIMARY KEY CHECK (id = 1),  -- one row: the config of the latest `redact`
    config TEXT NOT NULL,               -- JSON: allow-list, patterns, listed names, detectors (privacy/config.py)
    saved_at TEXT NOT NULL
);
"""

# Named migrations, applied in this order and recorded in the database. Append new ones at
# the end; never edit one that has shipped.
SCHEMA_100 = """
-- Only accepted codings: whether a document is coded is one probe here, not a walk over its
-- model suggestions (a 100k review holds millions; the workbench's "coded" filter went 50 -> 1 ms).
CREATE INDEX codings_accepted ON codings(document_id) WHERE status = 'accepted';
"""

MIGRATIONS = [
    ("001_initial", SCHEMA_001),
    ("010_privacy", SCHEMA_010),      # which documents the detectors have read
    ("020_coding", SCHEMA_020),       # models, decisions, documents a coder has read
    ("030_codebooks", SCHEMA_030),    # versions, hierarchy, REFI-QDA GUIDs
    ("040_themes", SCHEMA_040),       # run details, hand edits
    ("060_publish", SCHEMA_060),      # the evidence ledger
    ("070_users", SCHEMA_070),        # workbench sign-in
    ("075_queue", SCHEMA_075),        # the workbench's indexed review queue
    ("095_privacy_config", SCHEMA_095),  # the privacy config `redact` last used, for labels and codebook text
    ("100_accepted_codings", SCHEMA_100),  # "coded" / "uncoded" filters read a small index
]


def _script_migration(name: str, script: str) -> None:
    @migrations(name=name)
    def apply(db: sqlite_utils.Database) -> None:
        for statement in _statements(script):
            db.execute(statement)


for _name, _script in MIGRATIONS:
    _script_migration(_name, _script)
