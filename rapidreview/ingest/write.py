"""Turn a reader's DocumentRecords into rows: sources, respondents, documents,
attributes, segments (with full-text search) and imported codings.

Streams: records are written in batches, so memory stays flat however long the file.
The caller wraps the whole command in one transaction (all or nothing).
"""

from __future__ import annotations

import json
from itertools import islice

import sqlite_utils

from .. import store
from ..errors import InputError
from ..suggest import nearest
from .records import DocumentRecord

BATCH = 2000
LONG_TURN_CHARS = 500  # transcript turns longer than this are split into sentences
IMPORT_CODER = "import"
IMPORTED_CODEBOOK = "imported"


class DocumentWriter:
    """Writes the records of one source. `write(records)` yields counts as it goes."""

    def __init__(self, db: sqlite_utils.Database, source_id: int, path):
        self.db, self.source_id, self.path = db, source_id, path
        self.respondent_ids: dict[str, int] = {}  # this batch's respondents only: memory stays flat
        self.code_ids: dict[str, int] = {}
        self.created_at = store.now()
        self.next_doc_id = (db.execute("SELECT max(id) FROM documents").fetchone()[0] or 0) + 1
        self.next_seg_id = (db.execute("SELECT max(id) FROM segments").fetchone()[0] or 0) + 1
        self.counts = {"documents": 0, "answered": 0, "segments": 0, "attributes": 0, "codings": 0, "respondents": 0}

    def write(self, records):
        """Write all records, yielding the running document count after each batch."""
        records = iter(records)
        while batch := list(islice(records, BATCH)):
            self._write_batch(batch)
            yield self.counts["documents"]

    def _write_batch(self, batch: list[DocumentRecord]) -> None:
        docs, with_attrs, codings = [], [], []
        self._check_unique(batch)
        self._add_respondents(batch)
        segment_rows = self._segments(batch)
        source_id, respondent_ids, dumps = self.source_id, self.respondent_ids, json.dumps
        doc_id = self.next_doc_id
        seg_id = first_seg = self.next_seg_id
        seg_rows, answered = [], 0
        for record, doc_segments in zip(batch, segment_rows):
            respondent = record.respondent
            meta = record.meta
            docs.append((
                doc_id, source_id, record.external_id, respondent_ids[respondent] if respondent else None,
                record.question, record.date, record.kind, record.title, record.text,
                int(record.answered), record.row, dumps(meta, ensure_ascii=False) if meta else "{}",
            ))
            if record.attributes:
                with_attrs.append((doc_id, record.attributes))
            for seg in doc_segments:  # (seq, speaker, role, start, end, t_start, t_end, text)
                seg_rows.append((seg_id, doc_id, *seg))
                seg_id += 1
            if record.codes:
                codings.extend(self._codings(record, doc_id, doc_segments))
            answered += record.answered
            doc_id += 1
        self.next_doc_id, self.next_seg_id = doc_id, seg_id
        attrs = [(d, name, value) for d, a in with_attrs for name, value in a.items()]
        self.counts["answered"] += answered
        if codings:
            by_span = {(s[1], s[5], s[6]): s[0] for s in seg_rows}
            codings = [(by_span.get(c[:3]), *c) for c in codings]
        store.insert_many(self.db, "documents", [
            "id", "source_id", "external_id", "respondent_id", "question", "date", "kind",
            "title", "text", "answered", "row", "meta"], docs)
        store.insert_many(self.db, "attributes", ["document_id", "name", "value"], attrs)
        store.insert_many(self.db, "segments", [
            "id", "document_id", "seq", "speaker", "role", "start", "end", "t_start", "t_end", "text"], seg_rows)
        if seg_rows:  # SQLite copies the texts it has just stored: no second pass over them in Python
            self.db.execute("INSERT INTO segments_fts (rowid, text) SELECT id, text FROM segments "
                            "WHERE id BETWEEN ? AND ? ORDER BY id", [first_seg, seg_id - 1])
        if codings:
            store.insert_many(self.db, "codings", [
                "segment_id", "document_id", "start", "end", "code_id", "coder", "origin", "status", "created_at"],
                codings)
        for key, n in (("documents", len(docs)), ("attributes", len(attrs)),
                       ("segments", len(seg_rows)), ("codings", len(codings))):
            self.counts[key] += n

    def _check_unique(self, batch: list[DocumentRecord]) -> None:
        """Refuse an id seen earlier in this batch or already written from this file."""
        first_rows: dict[str, DocumentRecord] = {}
        for record in batch:
            if record.external_id in first_rows:
                raise self._duplicate(record, first_rows[record.external_id].row)
            first_rows[record.external_id] = record
        ids, earlier = list(first_rows), {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            earlier.update(self.db.execute(
                f"SELECT external_id, row FROM documents WHERE source_id = ? AND external_id IN "
                f"({','.join('?' * len(chunk))})", [self.source_id, *chunk]))
        for external_id in ids:  # in file order, so the message names the first repeat
            if external_id in earlier:
                raise self._duplicate(first_rows[external_id], earlier[external_id])

    def _duplicate(self, record: DocumentRecord, first_row: int | None) -> InputError:
        # Survey readers build ids as "respondent | question" unless the file has an answer id.
        by_pair = record.respondent and record.question and \
            record.external_id == f"{record.respondent} | {record.question}"
        what = (f"respondent {record.respondent!r} answers question {record.question!r} twice"
                if by_pair else f"id {record.external_id!r} appears twice")
        return InputError(
            f"{what} (first at row {first_row}). Each answer needs a unique id: check the id column "
            "or remove the duplicate row.", path=self.path, row=record.row)

    def _add_respondents(self, batch: list[DocumentRecord]) -> None:
        """Find or create the batch's respondents: one query per batch, not per row."""
        self.respondent_ids = {}
        # In first-seen order (a dict, not a set): respondent ids must not depend on hash seeds.
        wanted = list(dict.fromkeys(r.respondent for r in batch if r.respondent))
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            self.respondent_ids.update(self.db.execute(
                f"SELECT external_id, id FROM respondents WHERE external_id IN ({','.join('?' * len(chunk))})", chunk))
        new = [w for w in wanted if w not in self.respondent_ids]
        if new:
            first = (self.db.execute("SELECT max(id) FROM respondents").fetchone()[0] or 0) + 1
            ids = dict(zip(new, range(first, first + len(new))))
            store.insert_many(self.db, "respondents", ["id", "external_id", "created_at"],
                              ((i, w, self.created_at) for w, i in ids.items()))
            self.respondent_ids.update(ids)
            self.counts["respondents"] += len(new)

    def _segments(self, batch: list[DocumentRecord]) -> list[list[tuple]]:
        """Per record, its segment rows: (seq, speaker, role, start, end, t_start, t_end, text)."""
        out = []
        long_turns = []  # (record index, turn) pairs to split into sentences with spaCy
        for i, record in enumerate(batch):
            if not record.answered:
                out.append(())
                continue
            text = record.text
            if not record.turns:  # a survey answer: one segment, the text without surrounding space
                # str.strip drops exactly the characters str.isspace() accepts, as _strip does.
                start, end = len(text) - len(text.lstrip()), len(text.rstrip())
                out.append([(0, None, "participant", start, end, None, None, text[start:end])] if end > start else [])
                continue
            rows = []
            for turn in record.turns:
                start, end = _strip(text, turn.start, turn.end)
                if end <= start:
                    continue
                if end - start > LONG_TURN_CHARS:
                    long_turns.append((i, turn, start, end, len(rows)))
                rows.append(_segment_row(record, turn, start, end))
            out.append(rows)
        if long_turns:
            from ..nlp import sentence_spans  # spaCy takes 0.5 s to import; survey answers never need it

            texts = (batch[i].text[s:e] for i, _, s, e, _ in long_turns)
            splits = list(sentence_spans(texts))
            for (i, turn, s, e, pos), sents in reversed(list(zip(long_turns, splits))):
                rows = [_segment_row(batch[i], turn, *_strip(batch[i].text, s + a, s + b))
                        for a, b in sents if batch[i].text[s + a:s + b].strip()]
                out[i][pos:pos + 1] = rows
        for i, rows in enumerate(out):
            if len(rows) > 1:
                out[i] = [(seq, *row[1:]) for seq, row in enumerate(rows)]
        return out

    def _codings(self, record: DocumentRecord, doc_id: int, doc_segments):
        if not record.codes:
            return []
        # A whole-answer coding covers the answer's one segment, or the whole text.
        start, end = (doc_segments[0][3], doc_segments[0][4]) if len(doc_segments) == 1 else (0, len(record.text))
        return [(doc_id, start, end, self._code(name, record), IMPORT_CODER, "import", "accepted", self.created_at)
                for name in dict.fromkeys(record.codes)]

    def _code(self, name: str, record: DocumentRecord) -> int:
        if name not in self.code_ids:
            self.code_ids[name] = resolve_code(self.db, name, path=self.path, row=record.row)
        return self.code_ids[name]


def resolve_code(db: sqlite_utils.Database, name: str, *, path=None, row=None) -> int:
    """The id of the code called `name`. With no codebook loaded, codes found in an
    import are created in an 'imported' codebook; with one loaded, they must exist."""
    hit = db.execute(
        "SELECT id FROM codes WHERE name = ? COLLATE NOCASE AND archived = 0 ORDER BY id LIMIT 1", [name]
    ).fetchone()
    if hit:
        return hit[0]
    # The built-in sentiment group is not a user's codebook: it does not close the door to new codes.
    loaded = [r[0] for r in db.execute(
        "SELECT name FROM codebooks WHERE name NOT IN (?, ?)", [IMPORTED_CODEBOOK, "sentiment"])]
    if loaded:
        names = [r[0] for r in db.execute("SELECT name FROM codes WHERE archived = 0")]
        close = nearest(name, names)
        hint = f" Nearest: {', '.join(repr(c) for c in close)}." if close else ""
        raise InputError(
            f"code {name!r} is not in the loaded codebook ({', '.join(loaded)}).{hint} "
            "Add it to the codebook and load it again, or fix the name in the file.", path=path, row=row)
    book = db.execute("SELECT id FROM codebooks WHERE name = ?", [IMPORTED_CODEBOOK]).fetchone()
    if book is None:
        book = (db.execute("INSERT INTO codebooks (name, created_at) VALUES (?, ?)",
                           [IMPORTED_CODEBOOK, store.now()]).lastrowid,)
    key = _unique_key(db, book[0], name)
    return db.execute("INSERT INTO codes (codebook_id, key, name) VALUES (?, ?, ?)", [book[0], key, name]).lastrowid


def _unique_key(db, codebook_id: int, name: str) -> str:
    base = "".join(c if c.isalnum() else "-" for c in name.casefold()).strip("-")
    base = "-".join(filter(None, base.split("-"))) or "code"
    key, n = base, 1
    while db.execute("SELECT 1 FROM codes WHERE codebook_id = ? AND key = ?", [codebook_id, key]).fetchone():
        n += 1
        key = f"{base}-{n}"
    return key


def _segment_row(record: DocumentRecord, turn, start: int, end: int) -> tuple:
    # (seq, speaker, role, start, end, t_start, t_end, text); seq is numbered once the turn is split
    return (0, turn.speaker, turn.role, start, end, turn.t_start, turn.t_end, record.text[start:end])


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
