"""A project's codes into the review's codebooks, without disturbing what is already there.

A codebook new to the review is loaded as a new codebook (a version, like `codebook load`).
One the review already has gains only the codes it lacks, under their matched parents, so
no code of the review changes or goes. Codes that another review's imports made (its
reserved 'imported' codebook) join this review's imported codes.
"""

from __future__ import annotations

from .. import store
from ..codebook import Codebook, CodebookError, codebook_from_db, load_codebook
from ..codebook.model import make_guid, unique_slug
from ..errors import InputError
from ..ingest.write import IMPORTED_CODEBOOK
from .qdpx import norm_guid


def load_codes(db, book: Codebook, source: str) -> dict[str, int]:
    """Load `book`, or add its new codes to the review's codebook of the same name. GUID -> id."""
    if book.name.casefold() == IMPORTED_CODEBOOK:
        return _load_imported(db, book)
    row = db.execute("SELECT id FROM codebooks WHERE name = ? COLLATE NOCASE", [book.name]).fetchone()
    mapping: dict[str, str] = {}  # project GUID -> the GUID of the code it became
    if row is not None:
        book, mapping = _merged(db, book)
    try:
        load_codebook(db, book, source=source)
    except CodebookError as e:
        raise InputError(f"the project's codebook cannot be loaded: {e}", path=source) from None
    book_id = db.execute("SELECT id FROM codebooks WHERE name = ? COLLATE NOCASE", [book.name]).fetchone()[0]
    ids = {norm_guid(g): i for g, i in db.execute("SELECT guid, id FROM codes WHERE codebook_id = ? AND guid IS NOT "
                                                  "NULL", [book_id])}
    out = {}
    for code, _, _ in book.walk():
        guid = norm_guid(code.guid)
        if guid in ids:
            out[guid] = ids[guid]
    for project_guid, own in mapping.items():
        if own in ids:
            out[project_guid] = ids[own]
    return out


def _load_imported(db, book: Codebook) -> dict[str, int]:
    """Codes another review's imports made (no codebook of their own): a live code of the same
    name takes their codings, as for any import; the rest join this review's 'imported' codes,
    which a codebook loaded later adopts by name."""
    out = {}
    ids: dict[str, int] = {}
    for code, parent, _ in book.walk():
        hit = db.execute("SELECT id FROM codes WHERE name = ? COLLATE NOCASE AND archived = 0 ORDER BY id LIMIT 1",
                         [code.name]).fetchone()
        if hit is None:
            row = db.execute("SELECT id FROM codebooks WHERE name = ?", [IMPORTED_CODEBOOK]).fetchone()
            book_id = row[0] if row else db.execute("INSERT INTO codebooks (name, created_at) VALUES (?, ?)",
                                                    [IMPORTED_CODEBOOK, store.now()]).lastrowid
            taken = {r[0] for r in db.execute("SELECT key FROM codes WHERE codebook_id = ?", [book_id])}
            hit = (db.execute("INSERT INTO codes (codebook_id, key, name, parent_id, description, colour, guid) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)",
                              [book_id, unique_slug(code.key, taken), code.name, ids.get(parent.key) if parent else None,
                               code.description, code.colour, code.guid]).lastrowid,)
        ids[code.key] = out[norm_guid(code.guid)] = hit[0]
    return out


def _merged(db, incoming: Codebook) -> tuple[Codebook, dict]:
    """The review's codebook plus the incoming codes it lacks, under their matched parents."""
    book = codebook_from_db(db, incoming.name)
    for code, _, _ in book.walk():  # as load_codebook will store them
        code.guid = code.guid or make_guid(book.name, code.key)
    by_guid = {norm_guid(c.guid): c for c, _, _ in book.walk() if c.guid}
    by_name = {c.name.casefold(): c for c, _, _ in book.walk()}
    taken = {c.key for c, _, _ in book.walk()}
    mapping = {}

    def visit(codes, parent):
        for code in codes:
            children, code.children = code.children, []
            match = by_guid.get(norm_guid(code.guid)) or by_name.get(code.name.casefold())
            if match is None:
                code.key = unique_slug(code.key, taken)
                (parent.children if parent else book.codes).append(code)
                by_name[code.name.casefold()] = match = code
            mapping[norm_guid(code.guid)] = norm_guid(match.guid) if match.guid else None
            visit(children, match)

    visit(incoming.codes, None)
    return book, mapping
