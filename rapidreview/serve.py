"""Datasette on a review database: the researchers' view of everything in it.

    from rapidreview import serve
    ds = serve.make_datasette(["review.db"])
    response = await ds.client.get("/review/segments.json?_search=parking")

`make_datasette` builds the Datasette object (metadata, settings, our plugin) so tests
and the CLI share it; the CLI runs it with uvicorn. The review is served mutable, never
immutable: an import may write to it while it is served (WAL lets both happen).
"""

from __future__ import annotations

import importlib
import importlib.util
import ipaddress
import socket
import sqlite3
import sys
from pathlib import Path

from . import store
from .errors import RapidReviewError, StoreError

PLUGIN_MODULE = "rapidreview_plugins"
PLUGIN_NAME = "rapidreview"
# Our three Datasette plugins (module -> name): shared hooks, the dashboard, the workbench.
PLUGINS = {PLUGIN_MODULE: PLUGIN_NAME, f"{PLUGIN_MODULE}.dashboard": "rapidreview_dashboard",
           f"{PLUGIN_MODULE}.workbench": "rapidreview_workbench"}
CHECKOUT_PLUGINS = Path(__file__).resolve().parent.parent / "plugins"

# Every table of the review (rapidreview/store.py): what it holds and what each column means.
# Shown on Datasette's table pages and at /-/metadata.json. Keep in step with store.py.
DESCRIPTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "sources": ("Each imported file: one row per import, with the options used to read it.", {
        "id": "Source number (used by `rapidreview sources remove`).",
        "path": "The file path as given to `rapidreview import`.",
        "name": "The file name.",
        "sha256": "Fingerprint of the file's bytes: the same file is never imported twice.",
        "format": "File format: csv, tsv, xlsx, txt, md, docx, vtt, srt...",
        "options": "The column mapping and options used to read the file (JSON).",
        "imported_at": "When it was imported (UTC).",
        "batch": "Wave or batch label given at import (--wave).",
        "n_documents": "Documents created from this file.",
    }),
    "respondents": ("People who answered a survey or took part in an interview or focus group.", {
        "id": "Respondent number inside this review.",
        "external_id": "The survey's respondent ID or the transcript participant.",
        "consent": "1 if consent to use their words is recorded.",
        "withdrawn": "1 if the respondent withdrew: their words must not be used.",
        "created_at": "When the respondent was first imported (UTC).",
    }),
    "documents": ("One survey answer or one transcript, with its full original text.", {
        "id": "Document number inside this review.",
        "source_id": "The file it came from.",
        "external_id": "The answer's or transcript's ID in the source file.",
        "respondent_id": "Who wrote or said it.",
        "question": "The survey question answered (empty for transcripts).",
        "date": "Date of the answer or interview (ISO 8601), where given.",
        "kind": "survey, transcript or document.",
        "title": "Transcript title, where there is one.",
        "text": "The text exactly as imported: every quote and coding is an offset into it.",
        "answered": "0 when empty or a placeholder such as 'Did not answer' (kept for denominators).",
        "row": "Row (survey) or line (transcript) in the source file.",
        "meta": "Other details from the source file (JSON).",
    }),
    "attributes": ("Respondent and document attributes: service, area, age band, wave... "
                   "(the 'cases and attributes' of qualitative analysis tools).", {
        "document_id": "The document it describes.",
        "name": "Attribute name, e.g. Service or Age group.",
        "value": "Attribute value, e.g. GP or 25-34.",
    }),
    "segments": ("The units that are coded, searched and clustered: a survey answer, a speaker turn, "
                 "or a sentence of a long turn. Full-text searchable.", {
        "id": "Segment number inside this review.",
        "document_id": "The document it is part of.",
        "seq": "Order within the document, from 0.",
        "speaker": "Who spoke (transcripts).",
        "role": "participant, interviewer, facilitator or other: interviewer turns are not participant voice.",
        "start": "Start offset (characters) in the document text.",
        "end": "End offset (characters) in the document text.",
        "t_start": "Start time in the recording, in seconds.",
        "t_end": "End time in the recording, in seconds.",
        "text": "The segment's text: documents.text[start:end].",
    }),
    "codebooks": ("Codebooks (coding frames) loaded into this review.", {
        "id": "Codebook number.",
        "name": "Codebook name ('imported' holds codes found in imported files).",
        "path": "The file it was loaded from.",
        "created_at": "When it was first loaded (UTC).",
        "description": "What the codebook is for.",
        "credit": "Who wrote the codebook, and its licence.",
    }),
    "codebook_versions": ("Each version of a codebook as loaded, kept for reproducibility.", {
        "id": "Version row number.",
        "codebook_id": "The codebook.",
        "version": "Version number, from 1.",
        "sha256": "Fingerprint of the codebook content.",
        "content": "The codebook as loaded (JSON).",
        "created_at": "When this version was loaded (UTC).",
        "label": "The file's own version label.",
        "changes": "What changed from the previous version (JSON).",
        "loaded_by": "Who loaded it.",
        "source": "The file loaded, or the operation (merge, split, archive).",
    }),
    "codes": ("Codes: the categories segments are coded with, in a hierarchy.", {
        "id": "Code number.",
        "codebook_id": "The codebook it belongs to.",
        "key": "Stable key: survives renames.",
        "name": "Code name.",
        "parent_id": "Parent code in the hierarchy.",
        "description": "What the code means.",
        "include": "When to apply it.",
        "exclude": "When not to apply it.",
        "examples": "Example quotes (JSON list).",
        "rules": "Patterns that suggest this code (JSON).",
        "colour": "Display colour.",
        "archived": "1 if retired: kept so old codings still make sense.",
        "group_name": "A label across the tree, e.g. sentiment.",
        "codable": "0 for a category heading that is not applied itself.",
        "position": "Order among its siblings.",
        "guid": "REFI-QDA identifier, stable for exchange with other tools.",
        "merged_into": "The code this one was merged into.",
        "created_version": "The codebook version that added it.",
    }),
    "codings": ("Codes applied to segments or exact spans, by a person, a rule, a model or an import.", {
        "id": "Coding number.",
        "document_id": "The document coded.",
        "segment_id": "The segment coded, when the coding covers a segment.",
        "start": "Start offset of the coded span in the document text.",
        "end": "End offset of the coded span in the document text.",
        "code_id": "The code applied.",
        "coder": "Who (or what) coded it.",
        "origin": "manual, rule, model or import.",
        "status": "suggested (automatic, not yet reviewed), accepted or rejected.",
        "confidence": "Model or rule confidence, 0 to 1.",
        "model_version": "Version of the model that suggested it.",
        "rule": "The rule that suggested it.",
        "created_at": "When it was coded (UTC).",
        "decided_by": "Who accepted or rejected the suggestion.",
        "decided_at": "When it was accepted or rejected (UTC).",
    }),
    "queue_order": ("The review queue's order, most uncertain suggestion first, so the workbench reads the next "
                    "one off an index.", {
        "generation": "Which ranking this row belongs to: each re-ranking writes a new one.",
        "rank": "Place in the queue, from 0.",
        "coding_id": "The suggestion.",
        "code_id": "The suggestion's code.",
    }),
    "queue_state": ("Bookkeeping for the review queue's order.", {
        "name": "generation (the ranking in use), ranked_to (the highest suggestion number ranked) or size "
                "(suggestions in that ranking).",
        "value": "Its value.",
    }),
    "queue_skips": ("Suggestions a person passed over in the review queue (for them only).", {
        "coding_id": "The suggestion skipped.",
        "coder": "Who skipped it.",
        "created_at": "When (UTC).",
    }),
    "coder_documents": ("Documents a coder has read in full: text they left uncoded is a decision too.", {
        "document_id": "The document.",
        "coder": "The coder.",
        "created_at": "When they finished it (UTC).",
    }),
    "models": ("Each trained coding model: its training set, settings and cross-validated scores.", {
        "id": "Model number.",
        "version": "Model version, recorded on every suggestion it makes (codings.model_version).",
        "created_at": "When it was trained (UTC).",
        "fingerprint": "Fingerprint of the training set (units, texts and codes).",
        "params": "Features and learner settings (JSON).",
        "codes": "Per code: examples, threshold, calibration and scores (JSON).",
        "refused": "Codes with too few examples to learn, and how many more each needs (JSON).",
        "scores": "Cross-validated micro and macro F1 (JSON).",
        "versions": "Library versions used (JSON).",
        "n_units": "Segments it was trained on.",
        "fit_seconds": "Training time in seconds.",
        "trained_by": "Who trained it.",
    }),
    "theme_runs": ("Each clustering run that found themes, with its parameters.", {
        "id": "Run number.",
        "created_at": "When it ran (UTC).",
        "params": "Parameters used (JSON): with the seed, rerunning gives the same themes.",
        "versions": "Library versions used (JSON).",
        "n_segments": "Segments clustered.",
        "label": "A name for the run.",
        "seed": "Random seed: the same seed and segments give the same themes.",
        "k": "Number of themes asked for or chosen.",
        "selection": "Which segments were clustered: question, filters, dates, wave (JSON).",
        "details": "How k was chosen, stability, exclusions, edits re-applied (JSON).",
        "actor": "Who ran it.",
    }),
    "themes": ("Themes found by a clustering run: label, key terms and representative quotes.", {
        "id": "Theme number.",
        "run_id": "The run that found it.",
        "number": "Theme number within the run.",
        "label": "Theme label.",
        "key_terms": "Terms that characterise it (JSON list).",
        "size": "Segments in the theme.",
        "quotes": "Representative quotes (JSON list).",
        "is_other": "1 for the catch-all 'other' group.",
        "kind": "theme, other (the catch-all group) or not-english.",
        "auto_label": "The label the model gave; label may be a person's edit.",
        "share": "Share of the run's segments in this theme.",
        "phrases": "Characteristic phrases (JSON list).",
        "details": "Sentiment mix, overlapping codes, breakdowns (JSON).",
        "origin": "model, merge or split.",
    }),
    "theme_edits": ("People's edits to themes (merge, split, rename), re-applied to later runs.", {
        "id": "Edit number.",
        "run_id": "The run that was edited.",
        "action": "merge, split or rename.",
        "members": "Segments of each theme involved, to find it again in later runs (JSON).",
        "value": "The new label (rename) or number of parts (split).",
        "actor": "Who edited.",
        "created_at": "When (UTC).",
    }),
    "theme_assignments": ("Which theme each segment is in, per run (a view).", {
        "run_id": "The run.",
        "theme": "Theme number within the run.",
        "label": "Theme label.",
        "kind": "theme, other or not-english.",
        "segment_id": "The segment.",
        "weight": "How central the segment is to the theme.",
        "document_id": "The segment's document.",
        "start": "Start offset in the document text.",
        "end": "End offset in the document text.",
    }),
    "theme_members": ("Which segments belong to which theme, and how strongly.", {
        "theme_id": "The theme.",
        "segment_id": "The segment.",
        "weight": "How central the segment is to the theme.",
    }),
    "redactions": ("Personal data found in documents and how it is replaced on publication. "
                   "The original text is never changed.", {
        "id": "Redaction number.",
        "document_id": "The document.",
        "start": "Start offset of the personal data in the document text.",
        "end": "End offset of the personal data in the document text.",
        "kind": "What it is: name, phone, email, address, date of birth...",
        "replacement": "What is published instead, e.g. [NAME].",
        "detector": "What found it (a rule, a model, or a person).",
        "reviewed": "Empty until checked; then confirmed or undone.",
        "created_at": "When it was found (UTC).",
    }),
    "events": ("Append-only log of every decision: who did what, when.", {
        "id": "Event number.",
        "at": "When (UTC).",
        "actor": "Who.",
        "action": "What: import, source.remove, coding changes...",
        "payload": "The details (JSON).",
    }),
    "memos": ("Researchers' notes on documents, segments, codes, themes or the review.", {
        "id": "Memo number.",
        "target": "What the note is about: document, segment, code, theme or review.",
        "target_id": "The number of the document, segment, code or theme.",
        "author": "Who wrote it.",
        "text": "The note.",
        "created_at": "When it was written (UTC).",
    }),
    "users": ("Researchers who may sign in to the workbench (`rapidreview users`). Not shown to anyone.", {
        "name": "User name, used as the coder on their codings.",
        "role": "coder (codes and reviews) or lead (also edits and merges codes).",
        "password": "A salted scrypt hash of the password, never the password.",
        "created_at": "When they were added (UTC).",
        "changed_at": "When their password was last set (UTC): sessions from before it are signed out.",
    }),
    "review_secrets": ("Secrets of this review, such as the key that signs sign-in cookies. Not shown to anyone.", {
        "name": "What the secret is for.",
        "value": "The secret.",
        "created_at": "When it was made (UTC).",
    }),
    "privacy_config": ("The privacy config the latest `rapidreview redact` used: theme labels, codebook text and "
                       "the ledger are redacted with it (and the review's known names) when they leave the review.", {
        "id": "Always 1: one config per review.",
        "config": "JSON: allow-list, your own patterns, listed names, detectors (as in privacy.yaml).",
        "saved_at": "When `redact` last ran with it (UTC).",
    }),
    "respondent_attributes": ("Attributes per respondent (a view over attributes and documents).", {
        "respondent_id": "The respondent.",
        "name": "Attribute name.",
        "value": "Attribute value.",
    }),
}

# Facets shown by default on the table pages (suggested facets are off: they are slow on big reviews).
FACETS = {
    "sources": ["format", "batch"],
    "documents": ["question", "kind"],
    "attributes": ["name"],
    "segments": ["role"],
    "codings": ["origin", "status"],
    "redactions": ["kind", "reviewed"],
    "events": ["action"],
    "memos": ["target"],
}

# What Datasette shows for a row when another table points at it (default: a name or title column).
LABELS = {"documents": "external_id", "respondents": "external_id", "themes": "label", "theme_runs": "label"}

HIDDEN = ["users", "review_secrets", "_sqlite_migrations", "segments_fts", "segments_fts_data", "segments_fts_idx",
          "segments_fts_docsize", "segments_fts_config"]

SETTINGS = {"suggest_facets": False, "default_page_size": 50, "truncate_cells_html": 400}


def review_metadata(name: str) -> dict:
    """Descriptions of one review database called `name` (the file stem) and its tables."""
    return {
        "description": f"Review database {name}: sources, documents, segments, codings, themes.",
        "tables": {table: {"description": description, "columns": dict(columns)}
                   for table, (description, columns) in DESCRIPTIONS.items()},
    }


def review_table_config() -> dict:
    """How Datasette shows each table: facets, search, sort order, hidden tables.
    (Metadata in Datasette 0.65; `datasette.yaml` configuration in 1.0.)"""
    tables: dict[str, dict] = {table: {"facets": list(facets)} for table, facets in FACETS.items()}
    # segments_fts is an external-content index (content='segments'): Datasette does not
    # find it by itself, so name it, and the key it shares with segments.
    tables["segments"].update({"fts_table": "segments_fts", "fts_pk": "id"})
    tables["documents"]["sort"] = "id"
    for table, column in LABELS.items():
        tables.setdefault(table, {})["label_column"] = column
    tables.update({hidden: {"hidden": True} for hidden in HIDDEN})
    return tables


def metadata_for(paths: list[Path], title: str | None = None) -> dict:
    """Datasette 0.65 metadata for these reviews: descriptions and table configuration together."""
    databases = {}
    for path in paths:
        meta = review_metadata(path.stem)
        for table, config in review_table_config().items():
            meta["tables"].setdefault(table, {}).update(config)
        databases[path.stem] = meta
    return {
        "title": title or "rapidreview",
        "description": "A rapid qualitative review. Researchers only: this holds unredacted text.",
        "databases": databases,
    }


def make_datasette(paths, *, title: str | None = None, settings: dict | None = None, metadata: dict | None = None):
    """A Datasette serving these review databases (mutable), with our metadata and plugin."""
    paths = [Path(p) for p in paths]
    for path in paths:
        check_is_review(path)
        # Migrate and switch to WAL before Datasette opens its read-only connections.
        store.open_review(path, create=False).conn.close()
    secret = _session_secret(paths[0]) if paths else None
    register_plugin()
    from datasette.app import Datasette

    return Datasette(
        files=[str(p) for p in paths],
        metadata=metadata or metadata_for(paths, title),
        settings={**SETTINGS, **(settings or {})},
        cors=False,
        secret=secret,
    )


def _session_secret(path: Path) -> str:
    """The review's own cookie-signing key: sign-ins survive a restart and fit one review only."""
    from . import users

    db = store.open_review(path, create=False)
    try:
        return users.session_secret(db)
    finally:
        db.conn.close()


def make_public_datasette(path, *, metadata_path=None):
    """A read-only Datasette for commissioners on a public.db that `rapidreview publish`
    built: immutable, with the metadata (canned queries, no arbitrary SQL) written beside it."""
    import json

    from datasette.app import Datasette

    from .publish import SETTINGS as PUBLIC_SETTINGS

    path = Path(path)
    if _application_id(path) == store.APP_ID:
        raise StoreError(f"{path} is a researcher's review with unredacted text: never serve it publicly. "
                         f"Build a public copy with `rapidreview publish {path} public.db`.")
    meta_path = Path(metadata_path) if metadata_path else path.with_suffix(".metadata.json")
    if not meta_path.is_file():
        raise StoreError(f"{meta_path}: no metadata beside {path.name}. Build both with `rapidreview publish`.")
    metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    return Datasette(immutables=[str(path)], metadata=metadata, settings=PUBLIC_SETTINGS, cors=False)


def _application_id(path: Path) -> int | None:
    """The file's SQLite application id, read without changing it; None if not SQLite."""
    if not path.is_file() or path.stat().st_size == 0:
        raise StoreError(f"{path}: no such file.")
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


def check_is_review(path: Path) -> None:
    """Refuse other SQLite files: opening them as a review would add our tables to them."""
    if not path.is_file() or path.stat().st_size == 0:
        raise StoreError(f"{path}: no such review database. Create one with `rapidreview import {path} FILE`.")
    # Read only (a URI with mode=ro): checking must not change the file, not even its journal mode.
    app_id = _application_id(path)
    if app_id is None:
        raise StoreError(f"{path} is not a SQLite database, so not a rapidreview review. "
                         "Give the review.db that `rapidreview import` made.")
    if app_id != store.APP_ID:
        raise StoreError(f"{path} is a SQLite database but not a rapidreview review. "
                         "Serve it with `datasette` itself, or give the review.db that `rapidreview import` made.")


def register_plugin():
    """Load our Datasette plugins whether or not the package is installed: from an installed
    wheel their entry points register them; from a source checkout we register them here, once."""
    # Importing datasette loads the plugins named by installed entry points, so from a
    # source checkout the package must be importable before datasette is imported.
    if importlib.util.find_spec(PLUGIN_MODULE) is None and CHECKOUT_PLUGINS.is_dir():
        sys.path.append(str(CHECKOUT_PLUGINS))
    from datasette.plugins import pm

    for module_name, name in PLUGINS.items():
        module = importlib.import_module(module_name)
        if not pm.is_registered(module):
            pm.register(module, name=name if pm.get_plugin(name) is None else module_name)
    return importlib.import_module(PLUGIN_MODULE)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.1, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_port(host: str, port: int) -> None:
    """Fail with a clear message, before Datasette starts, if the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as e:
            raise RapidReviewError(f"cannot listen on {host}:{port} ({e.strerror}). "
                                   "Pick another port with --port, or stop what is using it.") from None
