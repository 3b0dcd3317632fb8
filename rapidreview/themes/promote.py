"""From theme to code: a theme becomes a code in the codebook, with its key terms as
starting rules and its members as suggested codings (origin 'model', coder 'themes').

Suggestions only: a person accepts or rejects them in the review queue, and nothing a
person decided is touched (codings are unique per span, code and coder).
"""

from __future__ import annotations

import sqlite_utils

from .. import store
from ..errors import RapidReviewError
from . import runs

CODER = "themes"
DEFAULT_CODEBOOK = "themes"


def promote(db: sqlite_utils.Database, number: int, key: str, *, run_id: int | None = None, name: str | None = None,
            codebook: str | None = None, parent: str | None = None) -> dict:
    """Add theme `number` of the run (newest by default) to the codebook as code `key`.
    Returns {code, codebook, version, suggested, keywords}."""
    from ..codebook.model import KEY_RE, Code, Codebook
    from ..codebook.versions import codebook_from_db, codebook_names, find_code, load_codebook

    run = runs.get_run(db, run_id)
    theme = runs.theme_by_number(run, number)
    if theme["kind"] != "theme":
        raise RapidReviewError(f"theme {number} is the {theme['kind']!r} bucket; promote a real theme.")
    if not KEY_RE.match(key):
        raise RapidReviewError(f"code key {key!r}: use lower-case letters, digits, '-' or '_' (e.g. 'waiting-times').")
    real = [n for n in codebook_names(db) if n != "imported"]
    book_name = codebook or (real[0] if len(real) == 1 else DEFAULT_CODEBOOK)
    if codebook is None and len(real) > 1:
        raise RapidReviewError("this review has several codebooks; say which with --codebook: "
                               + ", ".join(repr(n) for n in real))
    book = codebook_from_db(db, book_name) if book_name in codebook_names(db) else Codebook(name=book_name)
    if key in book.by_key():
        raise RapidReviewError(f"codebook {book.name!r} already has a code {key!r}; choose another --code key.")
    keywords = [t for t in theme["key_terms"] if t][:8]
    run_label = f"themes run {run['id']}, theme {number}"
    code = Code(key=key, name=name or theme["label"], description=f"From {run_label}: {theme['label']}.",
                examples=[q["text"] for q in theme["quotes"][:3]], rules={"keywords": keywords} if keywords else {})
    if parent:
        target = book.by_key().get(parent)
        if target is None:
            raise RapidReviewError(f"no code {parent!r} in codebook {book.name!r} to put the new code under.")
        target.children.append(code)
    else:
        book.codes.append(code)
    members = runs.members(db, run["id"]).get(number, [])
    with store.transaction(db):
        result = load_codebook(db, book, source=run_label)
        code_id = find_code(db, key, codebook=book.name)["id"]
        rows = db.execute("""SELECT s.id, s.document_id, s.start, s."end" FROM segments s
                              WHERE s.id IN (SELECT segment_id FROM theme_members m JOIN themes t ON t.id = m.theme_id
                                             WHERE t.run_id = ? AND t.number = ?)""", [run["id"], number]).fetchall()
        weights = dict(members)
        now = store.now()
        cur = db.conn.executemany(
            "INSERT OR IGNORE INTO codings (document_id, segment_id, start, \"end\", code_id, coder, origin, status, "
            "confidence, model_version, created_at) VALUES (?, ?, ?, ?, ?, ?, 'model', 'suggested', ?, ?, ?)",
            [(doc, seg, start, end, code_id, CODER, weights.get(seg), f"themes-run-{run['id']}", now)
             for seg, doc, start, end in rows])
        suggested = cur.rowcount
        store.log_event(db, "themes.promote", {"run_id": run["id"], "theme": number, "code": key,
                                               "codebook": book.name, "suggested": suggested, "keywords": keywords})
    return {"code": key, "name": code.name, "codebook": book.name, "version": result.version,
            "suggested": suggested, "keywords": keywords}
