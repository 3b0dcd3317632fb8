"""REFI-QDA projects (.qdpx): a zip of `project.qde` (XML, namespace urn:QDA-XML:project:1.0)
and the sources' plain text in `Sources/<guid>.txt`.

Export strictly (what we write validates against Project-mrt2019.xsd; see the tests),
import leniently (skip what we cannot hold, with a note, never a half import).

What maps to what:
- documents -> TextSource (name = the document's id; the text exactly, UTF-8, no BOM);
  question, date, kind, title, answered and the source file travel as Variables whose
  Description starts "rapidreview document field:", so they come back as fields.
- attributes -> source VariableValues (typed Integer or Date when every value is one);
  respondents -> Cases, with the attributes constant across their documents as the
  Case's variables (what NVivo calls a case classification).
- codes -> CodeBook (as in our .qdc: GUIDs, colours, hierarchy, criteria); codebooks and
  code groups -> Sets, told apart by their Description.
- codings -> PlainTextSelection startPosition/endPosition: offsets in Unicode code
  points (Python string indices, our own offsets), so text[start:end] is the quote
  even with emoji; one Coding per (code, coder), coder -> User.
- memos -> Notes, referenced from the TextSource, selection, code or project.

GUIDs are uuid5 of what a thing is (a document: its source file's sha256 and id; a user:
the name), so exporting the same review twice writes the same bytes, and importing that
file again is refused as already imported.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from ..codebook.model import GUID_NAMESPACE

NS = "urn:QDA-XML:project:1.0"
NS_PREFIX = "urn:QDA-XML:project:"
QDPX_NAMESPACE = uuid.uuid5(GUID_NAMESPACE, "qdpx")
FIELD_MARK = "rapidreview document field:"
CODEBOOK_MARK = "rapidreview codebook"
GROUP_MARK = "rapidreview code group"
GUID_RE = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
# Document fields that travel as variables: field -> the variable's name
FIELDS = {"question": "Question", "date": "Date", "kind": "Kind", "title": "Title", "answered": "Answered",
          "source_file": "Source file"}


def make_guid(*parts) -> str:
    """A GUID made from what a thing is: the same thing gets the same GUID in every export."""
    return str(uuid.uuid5(QDPX_NAMESPACE, "\x00".join(str(p) for p in parts))).upper()


def norm_guid(value) -> str | None:
    """'{ab-...}' or 'AB-...' -> 'ab-...' (tools disagree on braces and case); None if malformed."""
    m = GUID_RE.match((value or "").strip())
    return m.group(1).lower() if m else None


@dataclass
class ExportOptions:
    suggestions: bool = False  # also undecided suggestions (the format cannot say they are undecided)
    coders: list[str] | None = None  # only these coders' codings
    name: str | None = None  # the project's name; default: the review file's name


@dataclass
class ExportResult:
    path: str
    counts: dict = field(default_factory=dict)  # what was written: sources, codes, codings...
    left_out: dict = field(default_factory=dict)  # what the format cannot hold or we chose not to send

    def message(self) -> str:
        c = self.counts
        text = (f"Wrote {self.path}: {c['sources']} sources, {c['codes']} codes, {c['codings']} codings "
                f"({c['selections']} selections) by {c['users']} coders, {c['cases']} cases, "
                f"{c['variables']} variables, {c['notes']} notes")
        for what, n in self.left_out.items():
            if n:
                text += f"\n  left out: {n} {what}"
        return text


def export_project(db, path, options: ExportOptions | None = None) -> ExportResult:
    """Write the review as a REFI-QDA project (.qdpx) at `path` (replaced whole, or not at all)."""
    from .qdpx_write import export_project as _export

    return _export(db, path, options)


def read_project(path, options=None):
    """The project as the importer sees it: iterate for DocumentRecords, then `finish(db, writer)`
    writes its codebook, codings and memos (see `rapidreview.ingest.import_files`)."""
    from .qdpx_read import ProjectReader

    return ProjectReader(path, options)


def read_qdpx(path, options):
    """The ingest reader for .qdpx (named in `rapidreview.ingest.FORMATS`)."""
    return read_project(path, options)
