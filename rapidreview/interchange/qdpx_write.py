"""Write a review as a REFI-QDA project. See `qdpx` for what maps to what.

Streams: each TextSource (with its selections, codings and variable values) is written
as text on its own, and the sources' texts go straight into the zip, so memory stays flat
however big the review (116 MB peak for 100k segments). project.qde is checked for
well-formedness with expat before the zip is moved into place; the tests validate it
against Project-mrt2019.xsd.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from xml.parsers import expat

from ..codebook import codebook_names, dumps_qdc
from ..codebook.versions import codebook_from_db
from ..errors import RapidReviewError
from .qdpx import CODEBOOK_MARK, FIELD_MARK, FIELDS, GROUP_MARK, NS, ExportOptions, ExportResult, make_guid, norm_guid

QDC_NS = "urn:QDA-XML:codebook:1.0"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same review gives the same bytes
INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0, even escaped
INTEGER = re.compile(r"^-?(0|[1-9][0-9]{0,17})$")  # canonical, so the value comes back character for character
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def export_project(db, path, options: ExportOptions | None = None) -> ExportResult:
    options = options or ExportOptions()
    path = Path(path)
    if path.is_dir():
        raise RapidReviewError(f"{path} is a folder: give a file name such as review.qdpx")
    part = path.with_name(path.name + ".part")
    try:
        with tempfile.TemporaryFile() as qde, zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
            result = _Writer(db, z, qde, options).write()
            qde.seek(0)
            _check_well_formed(qde)
            qde.seek(0)
            with z.open(_info("project.qde"), "w") as out:
                while chunk := qde.read(1 << 20):
                    out.write(chunk)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    result.path = str(path)
    return result


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _check_well_formed(f) -> None:
    parser = expat.ParserCreate()
    try:
        parser.ParseFile(f)
    except expat.ExpatError as e:  # a bug here, never the user's data: say so plainly
        raise RapidReviewError(f"internal error: the project.qde written is not well-formed XML ({e}); "
                               "nothing was written. Please report this.") from None


def _clean(value) -> str:
    return INVALID_XML.sub("\ufffd", str(value))


def _el(tag: str, attrs: dict | None = None, parent=None, text=None):
    attrs = {k: _clean(v) for k, v in (attrs or {}).items() if v is not None}
    el = ET.Element(tag, attrs) if parent is None else ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = _clean(text)
    return el


def _datetime(value) -> str | None:
    """An xsd:dateTime, or None when the stored time is not one (the attribute is optional)."""
    return value if isinstance(value, str) and DATETIME.match(value) else None


def _is_date(value: str) -> bool:
    if not DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
        return True
    except ValueError:
        return False


def value_type(values) -> str:
    """The REFI typeOfVariable that holds every value exactly: Integer, Date, Boolean or Text."""
    values = [v for v in values if v is not None]
    if not values:
        return "Text"
    if all(v in ("true", "false") for v in values):
        return "Boolean"
    if all(INTEGER.match(v) for v in values):
        return "Integer"
    if all(_is_date(v) for v in values):
        return "Date"
    return "Text"


class _Writer:
    def __init__(self, db, z: zipfile.ZipFile, qde, options: ExportOptions):
        self.db, self.z, self.qde, self.options = db, z, qde, options
        self.counts = dict.fromkeys(("sources", "codes", "codings", "selections", "users", "cases", "variables",
                                     "notes"), 0)
        self.left_out = {}

    # ------------------------------------------------------------ the whole project

    def write(self) -> ExportResult:
        db = self.db
        self._choose_documents()
        self._choose_codings()
        self.users = {name: make_guid("user", name) for name in sorted(self._coders())}
        self.codebook_el, self.sets_el = self._codebook()
        self.variables = self._variables()
        self.notes = self._notes()
        name = self.options.name or _review_name(db)
        self._put(f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{NS}" name={_attr(name)} '
                  f'origin={_attr(_origin())}>\n')
        if self.users:
            users = _el("Users")
            for user, guid in self.users.items():
                _el("User", {"guid": guid, "name": user}, users)
            self._put_el(users)
        if self.codebook_el is not None:
            self._put_el(self.codebook_el)
        if self.variables:
            variables = _el("Variables")
            for name, (guid, kind, field) in self.variables.items():
                var = _el("Variable", {"guid": guid, "name": FIELDS.get(field, name), "typeOfVariable": kind},
                          variables)
                if field:
                    _el("Description", None, var, f"{FIELD_MARK} {field}")
            self._put_el(variables)
        self._cases()
        self._sources()
        self._notes_el()
        if self.sets_el is not None:
            self._put_el(self.sets_el)
        for guid in self.project_notes:
            self._put_el(_el("NoteRef", {"targetGUID": guid}))
        self._put("</Project>\n")
        self.counts["users"] = len(self.users)
        self.counts["variables"] = len(self.variables)
        return ExportResult("", self.counts, self.left_out)

    def _put(self, text: str) -> None:
        self.qde.write(text.encode("utf-8"))

    def _put_el(self, el, depth: int = 1) -> None:
        out: list[str] = []
        _serialize(el, out, depth)
        self.qde.write("".join(out).encode("utf-8"))

    # ------------------------------------------------------------ what goes in

    def _choose_documents(self) -> None:
        """Every document except those of respondents who withdrew: their words do not leave the review."""
        db = self.db
        withdrawn = db.execute("""SELECT count(*) FROM documents d JOIN respondents r ON r.id = d.respondent_id
                                  WHERE r.withdrawn = 1""").fetchone()[0]
        self.left_out["documents of withdrawn respondents"] = withdrawn
        self.doc_where = "coalesce((SELECT withdrawn FROM respondents r WHERE r.id = d.respondent_id), 0) = 0"
        self.doc_guids: dict[int, str] = {}
        self.came_from: dict[int, tuple] = {}  # a document imported from a project: (source file, name) there
        used = set()
        for doc_id, sha, external_id, meta in db.execute(
                f"""SELECT d.id, s.sha256, d.external_id, d.meta FROM documents d JOIN sources s ON s.id = d.source_id
                    WHERE {self.doc_where} ORDER BY d.id"""):
            # A document that came from a project keeps its GUID, name and source file from there.
            meta = _meta(meta)
            if meta.get("source_file") or meta.get("qdpx_name"):
                self.came_from[doc_id] = (meta.get("source_file"), meta.get("qdpx_name"))
            guid = norm_guid(meta.get("qdpx_guid"))
            guid = guid.upper() if guid and guid not in used else make_guid("document", sha, external_id)
            used.add(guid.lower())
            self.doc_guids[doc_id] = guid

    def _choose_codings(self) -> None:
        statuses = ("accepted", "suggested") if self.options.suggestions else ("accepted",)
        where = [f"g.status IN ({', '.join('?' * len(statuses))})"]
        args: list = list(statuses)
        if self.options.coders:
            where.append(f"g.coder IN ({', '.join('?' * len(self.options.coders))})")
            args += self.options.coders
        self.coding_where, self.coding_args = " AND ".join(where), args
        self.left_out["codings of archived codes"] = self.db.execute(
            f"SELECT count(*) FROM codings g JOIN codes c ON c.id = g.code_id WHERE c.archived = 1 AND "
            f"{self.coding_where}", args).fetchone()[0]
        if not self.options.suggestions:
            self.left_out["undecided suggestions (add --suggestions to include them)"] = self.db.execute(
                "SELECT count(*) FROM codings WHERE status = 'suggested'").fetchone()[0]

    def _coders(self) -> set[str]:
        coders = {r[0] for r in self.db.execute(
            f"SELECT DISTINCT g.coder FROM codings g WHERE {self.coding_where}", self.coding_args)}
        return coders | {r[0] for r in self.db.execute("SELECT DISTINCT author FROM memos")}

    # ------------------------------------------------------------ codes

    def _codebook(self):
        """CodeBook from each codebook's own .qdc (same GUIDs, colours, criteria), moved into the
        project namespace; each codebook and each code group becomes a Set."""
        self.code_guids: dict[int, str] = {}
        codes_el = _el("Codes")
        codebook_sets, group_sets = {}, {}
        used: set[str] = set()
        for book_name in codebook_names(self.db):
            book = codebook_from_db(self.db, book_name)
            if not book.codes:
                continue
            ids = dict(self.db.execute("SELECT c.key, c.id FROM codes c JOIN codebooks b ON b.id = c.codebook_id "
                                       "WHERE b.name = ?", [book_name]).fetchall())
            qdc = ET.fromstring(dumps_qdc(book))  # our own bytes, not user input
            top = qdc.find(f"{{{QDC_NS}}}Codes")
            for el in top.iter():
                el.tag = el.tag.split("}", 1)[1]
            members = codebook_sets.setdefault(book_name, [])
            for (code, _, _), el in zip(book.walk(), top.iter("Code")):
                if el.get("guid").lower() in used:  # the same .qdc loaded as two codebooks: keep GUIDs unique
                    el.set("guid", make_guid("code", book_name, code.key))
                used.add(el.get("guid").lower())
                self.code_guids[ids[code.key]] = el.get("guid")
                members.append(el.get("guid"))
                if code.group:
                    group_sets.setdefault(code.group, []).append(el.get("guid"))
            codes_el.extend(list(top))
        self.codes_by_guid = {el.get("guid"): el for el in codes_el.iter("Code")}
        self.counts["codes"] = len(self.code_guids)
        if not self.code_guids:
            return None, None
        codebook = _el("CodeBook")
        codebook.append(codes_el)
        sets = _el("Sets")
        for mark, kind, named in ((CODEBOOK_MARK, "codebook", codebook_sets), (GROUP_MARK, "group", group_sets)):
            for name, guids in named.items():
                set_el = _el("Set", {"guid": make_guid(kind, name), "name": name}, sets)
                _el("Description", None, set_el, mark)
                for guid in guids:
                    _el("MemberCode", {"targetGUID": guid}, set_el)
        return codebook, sets

    # ------------------------------------------------------------ variables and cases

    def _variables(self) -> dict:
        """name -> (guid, typeOfVariable, document field or None): fields first, then attributes."""
        db = self.db
        out = {}
        fields = {"question": "d.question", "date": "d.date", "kind": "d.kind", "title": "d.title",
                  "source_file": "s.name"}
        for field, column in fields.items():
            values = [r[0] for r in db.execute(
                f"SELECT DISTINCT {column} FROM documents d JOIN sources s ON s.id = d.source_id "
                f"WHERE {self.doc_where} AND {column} IS NOT NULL LIMIT 100001")]
            if values:
                out[f"\x00{field}"] = (make_guid("field", field), value_type(values), field)
        if db.execute(f"SELECT 1 FROM documents d WHERE answered = 0 AND {self.doc_where} LIMIT 1").fetchone():
            out["\x00answered"] = (make_guid("field", "answered"), "Boolean", "answered")
        values: dict[str, list] = {}
        for name, value in db.execute("SELECT DISTINCT name, value FROM attributes ORDER BY name"):
            values.setdefault(name, []).append(value)
        for name, vals in values.items():
            out[name] = (make_guid("variable", name), value_type(vals), None)
        return out

    def _value(self, out: list, pad: str, name: str, value) -> None:
        guid, kind, _ = self.variables[name]
        out.append(f'{pad}<VariableValue>\n{pad}  <VariableRef targetGUID="{guid}" />\n')
        if value is not None:  # no value element: the attribute is there but empty (NULL)
            out.append(f"{pad}  <{kind}Value>{_escape_text(_clean(value))}</{kind}Value>\n")
        out.append(f"{pad}</VariableValue>\n")

    def _cases(self) -> None:
        """A Case per respondent, with the attributes that are the same on all their documents."""
        db = self.db
        constant: dict[int, list] = {}
        for rid, name, value in db.execute("""
                SELECT d.respondent_id, a.name, min(a.value) FROM attributes a JOIN documents d ON d.id = a.document_id
                WHERE d.respondent_id IS NOT NULL GROUP BY d.respondent_id, a.name
                HAVING count(DISTINCT a.value) = 1 AND count(a.value) = count(*) ORDER BY d.respondent_id, a.name"""):
            constant.setdefault(rid, []).append((name, value))
        docs: dict[int, list] = {}
        for rid, doc_id in db.execute(f"SELECT respondent_id, id FROM documents d WHERE respondent_id IS NOT NULL "
                                      f"AND {self.doc_where} ORDER BY id"):
            docs.setdefault(rid, []).append(doc_id)
        if not docs:
            return
        self._put("  <Cases>\n")
        for rid, external_id in db.execute("SELECT id, external_id FROM respondents ORDER BY external_id, id"):
            if rid not in docs:
                continue
            out = [f'    <Case guid="{make_guid("respondent", external_id)}" name={_attr(external_id)}>\n']
            for name, value in constant.get(rid, ()):
                self._value(out, "      ", name, value)
            out += [f'      <SourceRef targetGUID="{self.doc_guids[doc_id]}" />\n' for doc_id in docs[rid]]
            out.append("    </Case>\n")
            self._put("".join(out))
            self.counts["cases"] += 1
        self._put("  </Cases>\n")

    def _put_el_nested(self, el) -> None:
        self._put_el(el, 2)

    # ------------------------------------------------------------ notes

    def _notes(self) -> dict:
        """Memos as Notes: guid -> Note element; and where each is referenced from."""
        db = self.db
        self.note_refs: dict[tuple, list[str]] = {}  # ("document", id) / ("segment", doc, start, end) / ("code", id)
        self.project_notes: list[str] = []
        notes = {}
        segments = {}
        rows = db.execute("SELECT id, target, target_id, author, text, created_at FROM memos ORDER BY id").fetchall()
        wanted = [r[2] for r in rows if r[1] == "segment" and r[2] is not None]
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            for seg_id, doc_id, start, end in db.execute(
                    f'SELECT id, document_id, start, "end" FROM segments WHERE id IN ({",".join("?" * len(chunk))})',
                    chunk):
                segments[seg_id] = (doc_id, start, end)
        skipped = 0
        for memo_id, target, target_id, author, text, created_at in rows:
            if target == "document":
                where = ("document", target_id) if target_id in self.doc_guids else None
            elif target == "segment":
                seg = segments.get(target_id)
                where = ("segment", *seg) if seg and seg[0] in self.doc_guids else None
            elif target == "code":
                where = ("code", target_id) if target_id in self.code_guids else None
            else:  # the review, or a theme (themes are not in the format): a project note
                where = ("project",)
            if where is None:
                skipped += 1
                continue
            # Made from what the memo is about, not row ids: the same memo has the same GUID in any review.
            about = {"document": lambda: self.doc_guids[where[1]], "code": lambda: self.code_guids[where[1]],
                     "segment": lambda: (self.doc_guids[where[1]], *where[2:])}.get(where[0], lambda: target)()
            guid = make_guid("memo", target, about, author, created_at, text)
            note = _el("Note", {"guid": guid, "name": text.strip().splitlines()[0][:60] if text.strip() else "memo",
                                "creatingUser": self.users.get(author), "creationDateTime": _datetime(created_at)})
            _el("PlainTextContent", None, note, text)
            notes[guid] = note
            if where == ("project",):
                self.project_notes.append(guid)
            else:
                self.note_refs.setdefault(where, []).append(guid)
        self.left_out["memos on withdrawn documents or archived codes"] = skipped
        self.segment_notes: dict[int, list] = {}  # document -> spans with a memo, coded or not
        for kind, *rest in self.note_refs:
            if kind == "segment":
                self.segment_notes.setdefault(rest[0], []).append((rest[1], rest[2]))
        for (kind, *rest), guids in self.note_refs.items():
            if kind == "code":
                code_el = self.codes_by_guid[self.code_guids[rest[0]]]
                at = 1 if len(code_el) and code_el[0].tag == "Description" else 0
                for guid in reversed(guids):
                    code_el.insert(at, _el("NoteRef", {"targetGUID": guid}))
        return notes

    def _notes_el(self) -> None:
        if not self.notes:
            return
        self._put("  <Notes>\n")
        for guid in sorted(self.notes, key=self._note_order):  # whatever order the memos were added in
            self._put_el_nested(self.notes[guid])
        self._put("  </Notes>\n")
        self.counts["notes"] = len(self.notes)

    def _note_order(self, guid: str) -> tuple:
        return (self.notes[guid].get("creationDateTime") or "", guid)

    # ------------------------------------------------------------ sources, selections, codings

    def _sources(self) -> None:
        db = self.db
        codings = db.execute(f"""SELECT g.document_id, g.start, g."end", g.code_id, g.coder, g.created_at
                                 FROM codings g WHERE {self.coding_where} ORDER BY g.document_id, g.start, g."end",
                                 g.code_id, g.coder""", self.coding_args)
        attributes = db.execute("SELECT document_id, name, value FROM attributes ORDER BY document_id, name")
        pending_coding, pending_attr = next(codings, None), next(attributes, None)
        docs = db.execute(f"""SELECT d.id, d.external_id, d.question, d.date, d.kind, d.title, d.answered, s.name,
                                     d.text FROM documents d JOIN sources s ON s.id = d.source_id
                              WHERE {self.doc_where} ORDER BY d.id""")
        started = False
        for doc_id, external_id, question, date, kind, title, answered, source_file, text in docs:
            mine = []
            while pending_coding is not None and pending_coding[0] <= doc_id:
                if pending_coding[0] == doc_id:
                    mine.append(pending_coding)
                pending_coding = next(codings, None)
            attrs = []
            while pending_attr is not None and pending_attr[0] <= doc_id:
                if pending_attr[0] == doc_id:
                    attrs.append(pending_attr[1:])
                pending_attr = next(attributes, None)
            if not started:
                self._put("  <Sources>\n")
                started = True
            guid = self.doc_guids[doc_id]
            if doc_id in self.came_from:
                source_file = self.came_from[doc_id][0] or source_file
                external_id = self.came_from[doc_id][1] or external_id
            self.z.writestr(_info(f"Sources/{guid}.txt"), text.encode("utf-8"))
            out = [f'    <TextSource guid="{guid}" name={_attr(external_id)} plainTextPath="internal://{guid}.txt">\n']
            self._selections(out, doc_id, guid, mine)
            out += [f'      <NoteRef targetGUID="{note}" />\n' for note in self.note_refs.get(("document", doc_id), ())]
            fields = {"question": question, "date": date, "kind": kind, "title": title,
                      "answered": None if answered else "false", "source_file": source_file}
            for field, value in fields.items():
                if value is not None and f"\x00{field}" in self.variables:
                    self._value(out, "      ", f"\x00{field}", value)
            for name, value in attrs:
                self._value(out, "      ", name, value)
            out.append("    </TextSource>\n")
            self._put("".join(out))
            self.counts["sources"] += 1
        if started:
            self._put("  </Sources>\n")
        else:
            self.counts["sources"] = 0

    def _selections(self, out: list, doc_id: int, doc_guid: str, codings: list) -> None:
        spans: dict[tuple, list] = {}
        for _, start, end, code_id, coder, created_at in codings:
            if code_id in self.code_guids:
                spans.setdefault((start, end), []).append((code_id, coder, created_at))
        for start, end in self.segment_notes.get(doc_id, ()):
            spans.setdefault((start, end), [])
        for (start, end), coded in sorted(spans.items()):
            sel_guid = make_guid("selection", doc_guid, start, end)
            out.append(f'      <PlainTextSelection guid="{sel_guid}" startPosition="{start}" endPosition="{end}"')
            notes = self.note_refs.get(("segment", doc_id, start, end), ())
            if not coded and not notes:
                out.append(" />\n")
                continue
            out.append(">\n")
            for code_id, coder, created_at in coded:
                code_guid = self.code_guids[code_id]
                when = _datetime(created_at)
                out.append(f'        <Coding guid="{make_guid("coding", sel_guid, code_guid, coder)}" '
                           f'creatingUser="{self.users[coder]}"'
                           + (f' creationDateTime="{when}">\n' if when else ">\n")
                           + f'          <CodeRef targetGUID="{code_guid}" />\n        </Coding>\n')
            out += [f'        <NoteRef targetGUID="{note}" />\n' for note in notes]
            out.append("      </PlainTextSelection>\n")
            self.counts["selections"] += 1
            self.counts["codings"] += len(coded)


def _serialize(el, out: list, depth: int) -> None:
    """Indented XML for our own small elements (leaves hold text, others only elements): five
    times faster than ElementTree's serialiser, which is most of the export's time otherwise."""
    pad = "  " * depth
    attrs = "".join(f' {k}="{_escape_attr(v)}"' for k, v in el.attrib.items())
    if len(el):
        out.append(f"{pad}<{el.tag}{attrs}>\n")
        for child in el:
            _serialize(child, out, depth + 1)
        out.append(f"{pad}</{el.tag}>\n")
    elif el.text is not None:
        out.append(f"{pad}<{el.tag}{attrs}>{_escape_text(el.text)}</{el.tag}>\n")
    else:
        out.append(f"{pad}<{el.tag}{attrs} />\n")


def _escape_text(text: str) -> str:
    # A raw carriage return would be read back as a line feed: keep it as a reference.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _escape_attr(text: str) -> str:
    return (_escape_text(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;"))


def _meta(text) -> dict:
    try:
        meta = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _attr(value: str) -> str:
    return f'"{_escape_attr(_clean(value))}"'


def _origin() -> str:
    from .. import __version__

    return f"rapidreview {__version__}"


def _review_name(db) -> str:
    row = db.execute("PRAGMA database_list").fetchone()
    return Path(row[2]).stem if row and row[2] else "review"
