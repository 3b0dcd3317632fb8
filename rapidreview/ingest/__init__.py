"""Import files into a review: one reader per format, one writer for all.

    results = import_files(db, ["export.xlsx"], ImportOptions(text=["What was good?"], id="ID"))

Every call is one transaction: if any file fails, nothing from this call is kept.
Re-importing a file with the same bytes changes nothing and says so.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import sqlite_utils

from .. import store
from ..errors import InputError
from .records import DocumentRecord, ImportOptions, Turn
from .write import DocumentWriter

__all__ = ["import_files", "ImportOptions", "ImportResult", "DocumentRecord", "Turn", "detect_format", "FORMATS"]

# extension -> (module, reader function name)
FORMATS = {
    "csv": ("survey", "read_delimited"),
    "tsv": ("survey", "read_delimited"),
    "tab": ("survey", "read_delimited"),
    "xlsx": ("survey", "read_xlsx"),
    "txt": ("transcripts", "read_text"),
    "md": ("transcripts", "read_text"),
    "docx": ("transcripts", "read_docx"),
    "vtt": ("transcripts", "read_vtt"),
    "srt": ("transcripts", "read_srt"),
    "qdpx": (".interchange.qdpx", "read_qdpx"),  # a whole REFI-QDA project (rapidreview.interchange)
}


@dataclass
class ImportResult:
    path: str
    source_id: int | None
    format: str
    skipped: bool = False  # True: the same file was already imported
    counts: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)  # note -> {"documents": n, "first_row": row}, from record.meta
    remarks: list = field(default_factory=list)  # whole-file notes (a .qdpx: its codes, what it skipped)

    def message(self) -> str:
        if self.skipped:
            return f"{self.path}: already imported as source {self.source_id}; nothing changed."
        c = self.counts
        text = (f"{self.path}: {c['documents']} documents ({c['answered']} answered), {c['segments']} segments, "
                f"{c['respondents']} new respondents, {c['attributes']} attribute values, {c['codings']} codings")
        for note, seen in self.notes.items():
            text += f"\n  note: {seen['documents']} documents: {note} (first at row {seen['first_row']})"
        for remark in self.remarks:
            text += f"\n  note: {remark}"
        return text


def detect_format(path: Path) -> str:
    ext = path.suffix.lower().lstrip(".")
    if ext not in FORMATS:
        known = ", ".join(f".{e}" for e in FORMATS)
        raise InputError(f"unsupported file type {path.suffix or '(none)'!r}. rapidreview imports {known}.", path=path)
    return ext


def reader_for(fmt: str) -> Callable:
    import importlib

    module, func = FORMATS[fmt]
    return getattr(importlib.import_module(f".{module}", __name__), func)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def import_files(db: sqlite_utils.Database, paths, options: ImportOptions | None = None,
                 on_progress: Callable[[str, int], None] | None = None) -> list[ImportResult]:
    """Import each file; all in one transaction. `on_progress(path, documents_done)`."""
    options = options or ImportOptions()
    paths = _expand(paths)
    for path in paths:
        if not path.is_file():
            raise InputError("no such file. Check the path (quote names with spaces).", path=path)
        detect_format(path)
    results = []
    with store.bulk_load(db, LOADED_TABLES, defer_indexes=_large_next_to(db, paths)):
        for path in paths:
            results.append(_import_one(db, path, options, on_progress))
    return results


LOADED_TABLES = ("documents", "attributes", "segments")  # codings: a review may hold millions
BIG_LOAD_BYTES = 5_000_000
BYTES_PER_DOCUMENT = 100  # a survey answer with its row's share of attributes, at the least


def _large_next_to(db: sqlite_utils.Database, paths: list[Path]) -> bool:
    """Worth building the indexes once after the load rather than row by row: the files
    hold more documents than the review does (rebuilding costs a pass over both)."""
    size = sum(p.stat().st_size for p in paths)
    if size < BIG_LOAD_BYTES:
        return False
    held = db.execute("SELECT max(id) FROM documents").fetchone()[0] or 0
    return held < size // BYTES_PER_DOCUMENT


def _expand(paths) -> list[Path]:
    """A folder stands for the files in it that rapidreview can read (sorted, not recursive)."""
    out = []
    for path in map(Path, paths):
        if path.is_dir():
            out += sorted(f for f in path.iterdir() if f.is_file() and f.suffix.lower().lstrip(".") in FORMATS)
        else:
            out.append(path)
    return out


def _import_one(db, path: Path, options: ImportOptions, on_progress) -> ImportResult:
    fmt = detect_format(path)
    digest = sha256_of(path)
    existing = db.execute("SELECT id FROM sources WHERE sha256 = ?", [digest]).fetchone()
    if existing:
        return ImportResult(str(path), existing[0], fmt, skipped=True)
    source_id = db.execute(
        "INSERT INTO sources (path, name, sha256, format, options, imported_at, batch) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [str(path), path.name, digest, fmt, json.dumps(options.to_dict(), ensure_ascii=False), store.now(), options.wave],
    ).lastrowid
    writer = DocumentWriter(db, source_id, path)
    records = reader_for(fmt)(path, options)
    # A whole project (.qdpx) brings codes, codings and memos too: some written after each
    # batch of documents, the rest once all are in.
    after_batch, finish = getattr(records, "after_batch", None), getattr(records, "finish", None)
    if options.wave or options.set_attrs:
        records = _with_constant_attributes(records, options)
    notes: dict = {}
    records = _collect_notes(records, notes)
    for done in writer.write(records):
        if after_batch:
            after_batch(db, writer)
        if on_progress:
            on_progress(str(path), done)
    remarks = finish(db, writer) if finish else []
    if writer.counts["documents"] == 0 and not finish:
        raise InputError("no documents found: the file has no data rows or no text.", path=path)
    db.execute("UPDATE sources SET n_documents = ? WHERE id = ?", [writer.counts["documents"], source_id])
    store.log_event(db, "import", {"source_id": source_id, "path": str(path), "format": fmt, **writer.counts})
    return ImportResult(str(path), source_id, fmt, counts=dict(writer.counts), notes=notes,
                        remarks=remarks)


def _collect_notes(records, notes: dict):
    """Readers note what they had to interpret (a date read month-first...) in record.meta["notes"]."""
    for record in records:
        for note in record.meta.get("notes", ()):
            seen = notes.setdefault(note, {"documents": 0, "first_row": record.row})
            seen["documents"] += 1
        yield record


def _with_constant_attributes(records, options: ImportOptions):
    constant = dict(options.set_attrs)
    if options.wave:
        constant.setdefault("wave", options.wave)
    for record in records:
        record.attributes = {**constant, **record.attributes}
        yield record
