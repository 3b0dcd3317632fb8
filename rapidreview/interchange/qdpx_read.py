"""Read a REFI-QDA project (.qdpx) into a review. See `qdpx` for what maps to what.

Leniently: unknown elements are ignored; PDF, picture, audio and video sources, sources
without plain text, codings of codes the project does not define and selections outside
their text are skipped and counted in the import's notes, never a failure. Hostile
files are refused whole: not a zip, zip bombs, DTDs and entities, paths that climb out
of the project. Nothing is read from outside the .qdpx, whatever a source's path says.

The project.qde is parsed as a stream, in step with the writer: each source becomes a
record as soon as its element ends, its text is read from the zip only then, and its
codings are written once the writer has stored its batch of documents (`after_batch`).
Memory holds a batch, not the project.
"""

from __future__ import annotations

import codecs
import datetime as dt
import posixpath
import sys
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from xml.parsers import expat

from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from .. import store
from ..codebook import Codebook
from ..codebook.refi import NS_PREFIX as QDC_NS_PREFIX
from ..codebook.refi import _read_code
from ..errors import InputError
from ..ingest.records import DocumentRecord, ImportOptions
from ..ingest.safezip import check_office_file
from ..ingest.transcript_formats.speakers import has_speakers, paragraphs, parse_plain
from ..ingest.transcripts import role_for
from ..ingest.write import IMPORT_CODER, IMPORTED_CODEBOOK
from .project_codes import load_codes
from .qdpx import CODEBOOK_MARK, FIELD_MARK, FIELDS, NS, NS_PREFIX, norm_guid

KINDS = ("survey", "transcript", "document")
PARKED_COLUMNS = ["document_id", "segment_id", "start", "end", "code_guid", "coder", "created_at"]
PARKED_TABLE = ("CREATE TEMP TABLE IF NOT EXISTS qdpx_parked_codings (document_id INTEGER, segment_id INTEGER, "
                'start INTEGER, "end" INTEGER, code_guid TEXT, coder TEXT, created_at TEXT)')
SKIPPED_KINDS = {"PDFSource": "PDF", "PictureSource": "picture", "AudioSource": "audio", "VideoSource": "video"}


@dataclass(slots=True)
class _Selection:
    start: int
    end: int
    codings: list = field(default_factory=list)  # (code guid, user guid, created)
    notes: list = field(default_factory=list)  # note guids


@dataclass(slots=True)
class _Source:
    guid: str
    name: str
    row: int  # position among the project's sources, for messages
    text_path: str | None = None
    text: str | None = None  # PlainTextContent, when the text is inline
    values: list = field(default_factory=list)  # (variable guid, value)
    selections: list = field(default_factory=list)
    codings: list = field(default_factory=list)  # codings of the whole source
    notes: list = field(default_factory=list)
    length: int = 0  # characters, once read


@lru_cache(maxsize=512)  # a project has a few dozen distinct tags and millions of elements
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# References repeat (every source points at the same variables, codes and users): one string
# object per GUID, not one per reference, keeps a large project's memory down.
_ref = lru_cache(maxsize=16384)(norm_guid)


class ProjectReader:
    """Iterate for DocumentRecords (one per text source); then `finish(db, writer)` writes the
    codebook, codings and memos against the documents the writer made."""

    def __init__(self, path, options: ImportOptions | None = None):
        self.path = Path(path)
        self.options = options or ImportOptions()
        self.users: dict[str, str] = {}  # guid -> name
        self.variables: dict[str, tuple] = {}  # guid -> (name, type, document field or None)
        self.cases: list[tuple] = []  # (name, [(variable guid, value)], [source guids])
        self.sources: list[_Source] = []  # parsed, not yet yielded
        self.n_sources = 0
        self.pending: list[tuple] = []  # (external id, source): yielded, not yet stored by the writer
        self.parked = 0  # codings waiting in a temporary table for their codes
        self.note_refs: list[tuple] = []  # (note guid, target, target id), in project order
        self.notes: dict[str, tuple] = {}  # guid -> (text, user guid, created)
        self.sets: list[tuple] = []  # (name, description, [code guids])
        self.project_notes: list[str] = []
        self.codebook_el = None
        self.skipped: dict[str, list] = {}  # note -> [count, first example]
        self.origin = ""
        self.name = self.path.stem
        self._open()

    # ------------------------------------------------------------ the container

    def _open(self) -> None:
        if not self.path.is_file():
            raise InputError("no such file.", path=self.path)
        check_office_file(self.path, "qdpx")  # not a zip, encrypted, zip bombs
        with zipfile.ZipFile(self.path) as z:
            self._zip = z  # open while parsing (notes may keep their text in files) and while iterating
            names = z.namelist()
            for name in names:
                parts = name.replace("\\", "/").split("/")
                if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                    raise InputError(f"refused: the project holds a file named {name!r}, which points outside "
                                     "it (a path-traversal attack?). Export the project again.", path=self.path)
            # Folder names differ between tools (Sources/, sources/, none): look texts up by lower-case path.
            self.members = {n.casefold(): n for n in names if not n.endswith("/")}
            qde = [n for n in names if n.casefold() == "project.qde"] or \
                [n for n in names if n.casefold().endswith(".qde") and "/" not in n.strip("/")]
            if not qde:
                raise InputError("this zip has no project.qde, so it is not a REFI-QDA project. Export the "
                                 "project again from its tool (File > Export > REFI-QDA project).", path=self.path)
            self.qde = qde[0]
            with z.open(self.qde) as f:  # hostile or broken XML is refused before anything is written
                self.repeated_names = self._parsing(lambda: _count_source_names(f))

    def _parsed_sources(self):
        """Feed project.qde to the parser a chunk at a time, yielding each source as it ends."""
        reader = _TreeReader(self)
        with self._zip.open(self.qde) as f:
            while chunk := f.read(1 << 16):
                self._parsing(lambda: reader.feed(chunk))
                yield from self._take_sources()
            self._parsing(reader.close)
        yield from self._take_sources()

    def _take_sources(self):
        sources, self.sources = self.sources, []
        return sources

    def _parsing(self, step):
        try:
            return step()
        except DefusedXmlException as e:
            raise InputError(f"refused: project.qde declares a DTD or entities ({type(e).__name__}), which REFI-QDA "
                             "projects never need (an XML bomb?).", path=self.path) from None
        except expat.ExpatError as e:
            raise InputError(f"project.qde is not well-formed XML ({expat.errors.messages[e.code]}, line {e.lineno}"
                             f"). Export the project again.", path=self.path) from None

    def _check_root(self, el) -> None:
        ns, _, tag = el.tag[1:].partition("}") if el.tag.startswith("{") else ("", "", el.tag)
        if ns.startswith(QDC_NS_PREFIX):
            raise InputError("this is a REFI-QDA codebook, not a project: load it with `rapidreview codebook "
                             "import`.", path=self.path)
        if tag != "Project" or not ns.startswith(NS_PREFIX):
            found = f"<{tag}> in namespace {ns!r}" if ns else f"<{tag}> with no namespace"
            raise InputError(f"not a REFI-QDA project: project.qde's root element is {found}; expected <Project "
                             f'xmlns="{NS}">. Export the project again.', path=self.path)
        self.origin = el.get("origin") or ""
        self.name = (el.get("name") or "").strip() or self.path.stem

    def _element(self, stack: list[str], el) -> None:
        """Called at the end of each element, with the tags of its ancestors."""
        depth, tag = len(stack), _local(el.tag)
        parent = stack[-1] if stack else None
        if depth == 2 and parent == "Users" and tag == "User":
            guid = norm_guid(el.get("guid"))
            if guid:
                self.users[guid] = (el.get("name") or el.get("id") or guid).strip()
        elif depth == 1 and tag == "CodeBook":
            self.codebook_el = el
            return  # kept whole until finish: codebooks are small
        elif depth == 2 and parent == "Variables" and tag == "Variable":
            self._variable(el)
        elif depth == 2 and parent == "Cases" and tag == "Case":
            self.cases.append((el.get("name") or "", self._values(el),
                               [norm_guid(r.get("targetGUID")) for r in el if _local(r.tag) == "SourceRef"]))
        elif depth == 2 and parent == "Sources":
            self._source(el, tag)
        elif depth == 2 and parent == "Notes" and tag == "Note":
            self._note(el)
        elif depth == 2 and parent == "Sets" and tag == "Set":
            self.sets.append((el.get("name") or "set", _child_text(el, "Description") or "",
                              [norm_guid(m.get("targetGUID") or m.get("guid")) for m in el
                               if _local(m.tag) == "MemberCode"]))
        elif depth == 1 and tag == "NoteRef":
            self.project_notes.append(norm_guid(el.get("targetGUID")))
        else:
            return
        el.clear()  # done with it: memory stays flat however many sources

    def _variable(self, el) -> None:
        guid = norm_guid(el.get("guid"))
        description = _child_text(el, "Description") or ""
        field_name = description[len(FIELD_MARK):].strip() if description.startswith(FIELD_MARK) else None
        if guid:
            self.variables[guid] = ((el.get("name") or "variable").strip(), el.get("typeOfVariable") or "Text",
                                    field_name if field_name in FIELDS else None)

    def _values(self, el) -> list[tuple]:
        out = []
        for vv in el:
            if _local(vv.tag) != "VariableValue":
                continue
            ref, value = None, None
            for child in vv:
                tag = _local(child.tag)
                if tag == "VariableRef":
                    ref = _ref(child.get("targetGUID"))
                elif tag.endswith("Value"):
                    value = child.text or ""
                    if tag != "TextValue":
                        value = value.strip()
            if ref:
                out.append((ref, sys.intern(value) if value else value))  # the same few values, many times
        return out

    def _source(self, el, tag: str) -> None:
        row = self.n_sources + sum(n for n, _ in self.skipped.values()) + 1
        name = (el.get("name") or "").strip()
        guid = norm_guid(el.get("guid"))
        if tag != "TextSource":
            kind = SKIPPED_KINDS.get(tag, tag)
            self._skip(f"{kind} sources skipped: rapidreview imports text sources only", name or guid)
            return
        if guid is None:
            self._skip("text sources skipped: no valid GUID", name)
            return
        source = _Source(guid=guid, name=name or guid, row=row, values=self._values(el))
        inline = [c for c in el if _local(c.tag) == "PlainTextContent"]
        if inline:
            source.text = inline[0].text or ""
        else:
            source.text_path = el.get("plainTextPath")
            if not source.text_path:
                self._skip("text sources skipped: no plain text (only rich text, which rapidreview cannot read "
                           "offsets from)", source.name)
                return
        for child in el:
            ctag = _local(child.tag)
            if ctag == "PlainTextSelection":
                try:
                    sel = _Selection(int(child.get("startPosition")), int(child.get("endPosition")))
                except (TypeError, ValueError):
                    self._skip("selections skipped: no numeric startPosition/endPosition", source.name)
                    continue
                sel.codings = _codings(child)
                sel.notes = _note_refs(child)
                source.selections.append(sel)
            elif ctag == "Coding":
                source.codings.extend(_codings(el, only=child))
            elif ctag == "NoteRef":
                source.notes.append(norm_guid(child.get("targetGUID")))
        self.sources.append(source)
        self.n_sources += 1

    def _note(self, el) -> None:
        guid = norm_guid(el.get("guid"))
        if guid is None:
            return
        inline = [c for c in el if _local(c.tag) == "PlainTextContent"]
        text = (inline[0].text or "") if inline else None
        if text is None and el.get("plainTextPath"):
            text = self._read_text(el.get("plainTextPath"), el.get("name") or guid)
        if text is None:
            text = _child_text(el, "Description") or el.get("name") or ""
        self.notes[guid] = (text, norm_guid(el.get("creatingUser")), el.get("creationDateTime"))

    def _skip(self, note: str, example) -> None:
        seen = self.skipped.setdefault(note, [0, example])
        seen[0] += 1

    # ------------------------------------------------------------ texts

    def _read_text(self, path: str, label: str) -> str | None:
        """A source's text from inside the .qdpx: internal://name, or an absolute or relative
        path whose file name is in the project's Sources folder. Never a file outside the zip."""
        target = path.replace("\\", "/")
        internal = target.casefold().startswith("internal://")
        name = target[len("internal://"):] if internal else posixpath.basename(target.split("://", 1)[-1])
        if ".." in name.split("/") or name.startswith("/"):
            raise InputError(f"refused: source {label!r} points outside the project ({path!r}), a path-traversal "
                             "attack? Export the project again.", path=self.path)
        member = None
        for candidate in (f"sources/{name}", name):
            member = self.members.get(candidate.casefold())
            if member:
                break
        if member is None:
            self._skip("text sources skipped: their text file is not in the .qdpx", label)
            return None
        text = _decode(self._zip.read(member), ours=self.ours)
        if text is None:
            self._skip("text sources skipped: their text file is not UTF-8", label)
        return text

    @property
    def ours(self) -> bool:
        return self.origin.startswith("rapidreview")

    # ------------------------------------------------------------ records

    def __iter__(self):
        respondents, case_values, taken = None, None, set()
        with zipfile.ZipFile(self.path) as self._zip:
            for source in self._parsed_sources():
                if respondents is None:  # cases come before sources in a project
                    respondents, case_values = self._case_maps()
                text = source.text if source.text is not None else self._read_text(source.text_path, source.name)
                if text is None:
                    continue
                source.length = len(text)
                record = self._record(source, text, respondents.get(source.guid), case_values.get(source.guid, []),
                                      source.name in self.repeated_names, taken)
                source.values, source.text = [], None  # written now: keep only what the codings need
                self.pending.append((record.external_id, source))
                yield record

    def _case_maps(self) -> tuple[dict, dict]:
        respondents, case_values = {}, {}
        for name, values, refs in self.cases:
            for ref in refs:
                respondents.setdefault(ref, name)
                case_values.setdefault(ref, values)
        return respondents, case_values

    def _record(self, source: _Source, text: str, respondent, case_values, repeated: bool, taken) -> DocumentRecord:
        fields, attributes = {}, {}
        for ref, value in source.values:
            name, _, field_name = self.variables.get(ref, (None, None, None))
            if field_name:
                fields[field_name] = value
            elif name:
                attributes[name] = value
        if not attributes and not self.ours:  # NVivo and others keep variables on cases
            attributes = {self.variables[ref][0]: v for ref, v in case_values
                          if ref in self.variables and not self.variables[ref][2]}
        external_id = source.name
        if repeated or external_id in taken:  # two sources of the same name (two waves of one survey)
            base = f"{source.name} ({fields['source_file']})" if fields.get("source_file") else source.name
            external_id, n = base, 1
            while external_id in taken:
                n += 1
                external_id = f"{base} ({n})"
        taken.add(external_id)
        kind = fields.get("kind") if fields.get("kind") in KINDS else None
        turns = []
        if kind != "survey":
            if has_speakers(text):
                names = {n.casefold().strip(): "interviewer" for n in self.options.interviewer}
                turns = parse_plain(text)
                for turn in turns:
                    if turn.speaker:
                        turn.role = role_for(turn.speaker, names)
                kind = kind or "transcript"
            else:
                turns = paragraphs(text)
                kind = kind or "document"
        meta = {"layout": "qdpx", "qdpx_guid": source.guid}
        if external_id != source.name:
            meta["qdpx_name"] = source.name
        if fields.get("source_file"):
            meta["source_file"] = fields["source_file"]
        return DocumentRecord(
            external_id=external_id, text=text, kind=kind, respondent=respondent or None,
            question=fields.get("question"), date=_date(fields.get("date")), title=fields.get("title"),
            answered=(fields.get("answered") or "true").casefold() not in ("false", "0"),
            attributes=attributes, turns=turns, row=source.row, meta=meta)

    # ------------------------------------------------------------ after the documents

    def after_batch(self, db, writer) -> None:
        """The writer has stored a batch of documents: park their codings (their codes are
        only known once the whole project is read: Sets, which say which codebook a code is
        in, come last) and resolve the notes on them."""
        pending, self.pending = self.pending, []
        documents = self._document_ids(db, writer.source_id, [ext for ext, _ in pending])
        batch = [(documents[ext], source) for ext, source in pending if ext in documents]
        if not batch:
            return
        lo, hi = min(d for d, _ in batch), max(d for d, _ in batch)
        segment_of = {(d, s, e): i for d, s, e, i in db.execute(
            'SELECT document_id, start, "end", id FROM segments WHERE document_id BETWEEN ? AND ?', [lo, hi])}
        db.execute(PARKED_TABLE)
        self.parked += store.insert_many(db, "qdpx_parked_codings", PARKED_COLUMNS,
                                         self._coding_rows(batch, segment_of))
        self.note_refs += self._source_note_refs(batch, segment_of)

    def finish(self, db, writer) -> list[str]:
        """Codebook, codings and memos, against the documents `writer` has written."""
        self.after_batch(db, writer)
        remarks = []
        code_ids, books = self._load_codes(db, remarks)
        users = sorted(set(self.users.values()))
        coded = self._codings(db, code_ids)
        memos = self._memos(db, code_ids)
        writer.counts["codings"] += coded
        writer.counts.update(codes=len(code_ids), users=len(users), memos=memos)
        if books:
            remarks.insert(0, f"{len(code_ids)} codes in {', '.join(books)}; {memos} memos; users (coders): "
                              f"{', '.join(users) or 'none'}")
        else:
            remarks.insert(0, f"no codes; {memos} memos; users (coders): {', '.join(users) or 'none'}")
        for note, (n, example) in self.skipped.items():
            remarks.append(f"{n} {note} (first: {example!r})")
        return remarks

    @staticmethod
    def _document_ids(db, source_id: int, external_ids: list[str]) -> dict[str, int]:
        out = {}
        for i in range(0, len(external_ids), 500):
            chunk = external_ids[i:i + 500]
            out.update(db.execute(f"SELECT external_id, id FROM documents WHERE source_id = ? AND external_id IN "
                                  f"({','.join('?' * len(chunk))})", [source_id, *chunk]))
        return out

    def _load_codes(self, db, remarks: list) -> tuple[dict, list]:
        """Project code GUID -> code id, after loading the project's codes as codebooks.

        Our own export says which codebook each top-level code belongs to (a Set marked as a
        codebook); codes from other tools go in one codebook named after the project. A
        codebook that is already in the review gains the codes it lacks (matched by GUID,
        then by name), so nothing in it changes or goes."""
        if self.codebook_el is None:
            return {}, []
        ns = self.codebook_el.tag[1:].partition("}")[0] if self.codebook_el.tag.startswith("{") else None
        codes_el = next((c for c in self.codebook_el if _local(c.tag) == "Codes"), None)
        if codes_el is None:
            return {}, []
        by_book: dict[str, list] = {}
        member_of = {}
        for name, description, members in self.sets:
            if description.startswith(CODEBOOK_MARK):
                member_of.update({m: name for m in members if m})
        groups = {}
        for name, description, members in self.sets:
            if not description.startswith(CODEBOOK_MARK):
                groups.update({m: name for m in members if m and m not in groups})
        default = self.name if self.name.casefold() != IMPORTED_CODEBOOK else f"{self.name} project"
        for el in codes_el:
            if _local(el.tag) == "Code":
                by_book.setdefault(member_of.get(norm_guid(el.get("guid")), default), []).append(el)
        code_ids: dict[str, int] = {}
        for book_name, elements in by_book.items():
            book = self._codebook(book_name, elements, ns, groups, remarks)
            code_ids.update(load_codes(db, book, str(self.path)))
        return code_ids, list(by_book)

    def _codebook(self, name: str, elements, ns, groups: dict, remarks: list) -> Codebook:
        taken: set[str] = set()
        problems: list = []
        by_guid: dict = {}
        codes = [_read_code(el, ns, name, taken, by_guid, problems) for el in elements]
        if problems:
            raise InputError(f"the project's codebook cannot be read: {problems[0]}"
                             + (f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""),
                             path=self.path)
        book = Codebook(name=name, codes=codes, credit=f"Imported from {self.origin}" if self.origin else None)
        names: set[str] = set()
        for code, _, _ in book.walk():
            code.group = code.group or groups.get(norm_guid(code.guid))
            if code.name.casefold() in names:  # names are unique in a codebook; other tools allow repeats
                base, n = code.name, 1
                while code.name.casefold() in names:
                    n += 1
                    code.name = f"{base} ({n})"
                remarks.append(f"code {base!r} appears twice in the project: the second is called {code.name!r}")
            names.add(code.name.casefold())
        return book

    def _coding_rows(self, batch, segment_of: dict):
        """(document, segment, start, end, code GUID, coder, created) for each coding in the batch."""
        now = store.now()
        for doc_id, source in batch:
            spans = [(sel.start, sel.end, sel.codings) for sel in source.selections]
            if source.codings:
                spans.append((0, source.length, source.codings))
            for start, end, codings in spans:
                if not 0 <= start < end <= source.length:
                    self._skip("selections skipped: outside their source's text "
                               "(positions count characters, from 0)", f"{source.name} {start}-{end} of "
                               f"{source.length} characters")
                    continue
                for code_guid, user_guid, created in codings:
                    coder = self.users.get(user_guid) or IMPORT_CODER
                    yield doc_id, segment_of.get((doc_id, start, end)), start, end, code_guid, coder, created or now

    def _codings(self, db, code_ids: dict) -> int:
        """Move the parked codings into the review, now that their codes exist. Returns how many were added."""
        if not self.parked:
            db.execute("DROP TABLE IF EXISTS temp.qdpx_parked_codings")
            return 0
        db.execute("CREATE TEMP TABLE qdpx_code_ids (guid TEXT PRIMARY KEY, id INTEGER) WITHOUT ROWID")
        store.insert_many(db, "qdpx_code_ids", ["guid", "id"], code_ids.items())
        unknown = db.execute("SELECT count(*), min(code_guid) FROM qdpx_parked_codings "
                             "WHERE code_guid NOT IN (SELECT guid FROM qdpx_code_ids)").fetchone()
        if unknown[0]:
            self.skipped["codings skipped: their code is not in the project's codebook"] = list(unknown)
        added = db.execute(
            'INSERT OR IGNORE INTO codings (document_id, segment_id, start, "end", code_id, coder, origin, status, '
            "created_at) SELECT p.document_id, p.segment_id, p.start, p.\"end\", c.id, p.coder, 'import', "
            "'accepted', p.created_at FROM qdpx_parked_codings p JOIN qdpx_code_ids c ON c.guid = p.code_guid "
            "ORDER BY p.rowid").rowcount
        known = self.parked - unknown[0]
        if added < known:
            self.skipped["codings skipped: the same code on the same text by the same coder twice"] = [
                known - added, f"{known - added} of {known}"]
        db.execute("DROP TABLE temp.qdpx_code_ids")
        db.execute("DROP TABLE temp.qdpx_parked_codings")
        self.parked = 0
        return added

    @staticmethod
    def _source_note_refs(batch, segment_of: dict) -> list[tuple]:
        """(note guid, target, target id) for notes on the batch's sources and selections."""
        refs = []
        for doc_id, source in batch:
            refs += [(n, "document", doc_id) for n in source.notes]
            for sel in source.selections:
                seg = segment_of.get((doc_id, sel.start, sel.end))
                refs += [(n, "segment", seg) if seg else (n, "document", doc_id) for n in sel.notes]
        return refs

    def _memos(self, db, code_ids: dict) -> int:
        """Notes become memos on what referenced them; unreferenced notes are memos on the review."""
        refs = list(self.note_refs)
        if self.codebook_el is not None:
            for el in self.codebook_el.iter():
                if _local(el.tag) == "Code" and norm_guid(el.get("guid")) in code_ids:
                    refs += [(n, "code", code_ids[norm_guid(el.get("guid"))]) for n in _note_refs(el)]
        refs += [(n, "review", None) for n in self.project_notes]
        used = {r[0] for r in refs}
        refs += [(n, "review", None) for n in self.notes if n not in used]
        rows = []
        for guid, target, target_id in refs:
            if guid not in self.notes:
                continue
            text, user, created = self.notes[guid]
            if text.strip():
                rows.append((target, target_id, self.users.get(user) or IMPORT_CODER, text, created or store.now()))
        store.insert_many(db, "memos", ["target", "target_id", "author", "text", "created_at"], rows)
        return len(rows)


class _TreeReader:
    """Streams project.qde into small ElementTree elements, handing each finished element
    near the top (a user, a source, a case...) to the project reader, which then drops it.

    Plain expat with defusedxml's guards (no DTD, no entities, no external references)
    rather than defusedxml's iterparse: four times faster on a large project."""

    def __init__(self, project: ProjectReader):
        self.project = project
        self.stack: list = []  # open elements
        self.tags: list[str] = []  # their local names
        self.parser = parser = _guarded_parser()
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text

    def feed(self, data: bytes) -> None:
        self.parser.Parse(data, False)

    def close(self) -> None:
        self.parser.Parse(b"", True)

    def _start(self, tag: str, attrs: dict) -> None:
        tag = "{" + tag if "}" in tag else tag
        el = ET.Element(tag, attrs)
        if self.stack:
            self.stack[-1].append(el)
        else:
            self.project._check_root(el)
        self.stack.append(el)
        self.tags.append(_local(tag))

    def _end(self, tag: str) -> None:
        el = self.stack.pop()
        self.tags.pop()
        if len(self.tags) < 3:  # deeper elements are read with their source, case or code
            self.project._element(self.tags, el)
            if len(self.tags) == 2 and self.tags[-1] != "CodeBook":
                del self.stack[-1][-1]  # read: its container (Sources, Cases...) need not keep it

    def _text(self, data: str) -> None:
        el = self.stack[-1] if self.stack else None
        if el is not None and not len(el):  # text in leaves only; the rest is layout
            el.text = data if el.text is None else el.text + data



def _guarded_parser():
    """expat with defusedxml's guards: no DTD, no entities, no external references."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _forbid_dtd
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_entity
    parser.ExternalEntityRefHandler = _forbid_external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _forbid_dtd(name, sysid, pubid, has_internal_subset):
    raise DTDForbidden(name, sysid, pubid)


def _forbid_entity(name, *args):
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_external(context, base, sysid, pubid):
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def _count_source_names(f) -> set[str]:
    """The names two or more text sources share: a quick first pass over project.qde (the
    records of such sources get ids that tell them apart, the first one included), which
    also refuses hostile or broken XML before anything is written."""
    seen, repeated = set(), set()

    def start(tag, attrs):
        if tag.endswith("}TextSource") or tag == "TextSource":
            name = (attrs.get("name") or "").strip()
            if name:
                (repeated if name in seen else seen).add(name)

    parser = _guarded_parser()
    parser.StartElementHandler = start
    parser.ParseFile(f)
    return repeated


def _codings(el, only=None) -> list[tuple]:
    out = []
    for coding in [only] if only is not None else el:
        if _local(coding.tag) != "Coding":
            continue
        ref = next((c for c in coding if _local(c.tag) == "CodeRef"), None)
        if ref is not None:
            created = coding.get("creationDateTime")
            out.append((_ref(ref.get("targetGUID")), _ref(coding.get("creatingUser")), created))
    return out


def _note_refs(el) -> list:
    return [norm_guid(c.get("targetGUID")) for c in el if _local(c.tag) == "NoteRef"]


def _child_text(el, tag: str) -> str | None:
    child = next((c for c in el if _local(c.tag) == tag), None)
    return child.text if child is not None else None


def _decode(data: bytes, *, ours: bool) -> str | None:
    """UTF-8 as the standard says; a BOM from another tool is not part of the text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8" if ours else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _date(value) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None
