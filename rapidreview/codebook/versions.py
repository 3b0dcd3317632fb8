"""Codebooks in the review: load as versions, diff, merge, split, archive, delete.

Codings point at code ids. A code row keeps its id and its key for life, so renaming or
moving a code in the file keeps every coding. Operations that would lose codings
(deleting a code that has them) are refused; merge and split move them explicitly.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

import sqlite_utils

from .. import store
from ..errors import NotFound
from ..suggest import nearest, unknown_message
from .model import KEY_RE, Code, Codebook, CodebookError, make_guid, unique_slug
from .schema import IMPORTED, check

STATUS_RANK = {"suggested": 0, "rejected": 1, "accepted": 2}  # which decision wins a collision
FIELDS = ("name", "description", "include", "exclude", "examples", "colour", "group", "codable", "guid", "rules")


# ---------------------------------------------------------------- diff


@dataclass
class Diff:
    added: list[dict] = field(default_factory=list)      # {key, name}
    removed: list[dict] = field(default_factory=list)    # {key, name}
    renamed: list[dict] = field(default_factory=list)    # {key, old, new}
    moved: list[dict] = field(default_factory=list)      # {key, old_parent, new_parent}
    changed: list[dict] = field(default_factory=list)    # {key, fields: {field: [old, new]}}
    book: dict = field(default_factory=dict)             # top-level fields: {field: [old, new]}

    def __bool__(self) -> bool:
        return any((self.added, self.removed, self.renamed, self.moved, self.changed, self.book))

    def as_dict(self) -> dict:
        return {"added": self.added, "removed": self.removed, "renamed": self.renamed, "moved": self.moved,
                "changed": self.changed, "book": self.book}

    def summary(self) -> dict:
        return {k: len(v) for k, v in self.as_dict().items() if v}

    def lines(self) -> list[str]:
        """Human-readable, one change per line."""
        out = [f"~ codebook {f}: {_short(a)} -> {_short(b)}" for f, (a, b) in self.book.items()]
        out += [f"+ {c['key']}: {c['name']}" for c in self.added]
        out += [f"- {c['key']}: {c['name']}" for c in self.removed]
        out += [f"~ {c['key']}: renamed {c['old']!r} -> {c['new']!r}" for c in self.renamed]
        out += [f"~ {c['key']}: moved from {c['old_parent'] or '(top)'} to {c['new_parent'] or '(top)'}"
                for c in self.moved]
        for c in self.changed:
            for f, (a, b) in c["fields"].items():
                out.append(f"~ {c['key']}: {f}: {_short(a)} -> {_short(b)}")
        return out


def _short(value, n: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= n else text[:n - 3] + "..."


def diff_books(old: Codebook | None, new: Codebook) -> Diff:
    """What changed from `old` to `new`, code by code (matched on key)."""
    diff = Diff()
    if old is None:
        diff.added = [{"key": c.key, "name": c.name} for c, _, _ in new.walk()]
        return diff
    for f in ("name", "version", "description", "credit"):
        if getattr(old, f) != getattr(new, f):
            diff.book[f] = [getattr(old, f), getattr(new, f)]
    before = {c.key: (c, p.key if p else None) for c, p, _ in old.walk()}
    after = {c.key: (c, p.key if p else None) for c, p, _ in new.walk()}
    for key, (code, parent) in after.items():
        if key not in before:
            diff.added.append({"key": key, "name": code.name})
            continue
        was, was_parent = before[key]
        if was.name != code.name:
            diff.renamed.append({"key": key, "old": was.name, "new": code.name})
        if was_parent != parent:
            diff.moved.append({"key": key, "old_parent": was_parent, "new_parent": parent})
        fields = {f: [getattr(was, f), getattr(code, f)] for f in FIELDS
                  if f not in ("name", "guid") and getattr(was, f) != getattr(code, f)}
        if fields:
            diff.changed.append({"key": key, "fields": fields})
    diff.removed = [{"key": k, "name": c.name} for k, (c, _) in before.items() if k not in after]
    return diff


# ---------------------------------------------------------------- reading the review


def codebook_names(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT name FROM codebooks ORDER BY id")]


def list_codebooks(db: sqlite_utils.Database) -> list[dict]:
    """One row per codebook: name, latest version, live and archived code counts, codings."""
    rows = db.execute("""
        SELECT b.id, b.name, b.path, b.description,
               (SELECT max(version) FROM codebook_versions v WHERE v.codebook_id = b.id) AS version,
               (SELECT count(*) FROM codes c WHERE c.codebook_id = b.id AND c.archived = 0) AS codes,
               (SELECT count(*) FROM codes c WHERE c.codebook_id = b.id AND c.archived = 1) AS archived,
               (SELECT count(*) FROM codings g JOIN codes c ON c.id = g.code_id WHERE c.codebook_id = b.id) AS codings
        FROM codebooks b ORDER BY b.id""").fetchall()
    cols = ["id", "name", "path", "description", "version", "codes", "archived", "codings"]
    return [dict(zip(cols, r)) for r in rows]


def _codebook_row(db, name: str | None) -> tuple[int, str]:
    """The codebook called `name`, or the only real one when no name is given."""
    rows = db.execute("SELECT id, name FROM codebooks ORDER BY id").fetchall()
    if name is None:
        real = [r for r in rows if r[1] != IMPORTED] or rows
        if len(real) == 1:
            return real[0]
        if not real:
            raise NotFound("this review has no codebook yet. Load one with `rapidreview codebook load REVIEW_DB FILE.yaml`.")
        raise NotFound("this review has several codebooks; say which with --codebook: "
                       + ", ".join(repr(r[1]) for r in real))
    for r in rows:
        if r[1].casefold() == name.casefold():
            return r
    raise NotFound(unknown_message("codebook", name, [r[1] for r in rows]))


def accepted_counts(db: sqlite_utils.Database, codebook: str) -> dict[str, int]:
    """Accepted codings per code key in one codebook."""
    return dict(db.execute("""SELECT c.key, count(g.id) FROM codes c JOIN codebooks b ON b.id = c.codebook_id
                              LEFT JOIN codings g ON g.code_id = c.id AND g.status = 'accepted'
                              WHERE b.name = ? GROUP BY c.key""", [codebook]).fetchall())


def codebook_from_db(db: sqlite_utils.Database, name: str | None = None, *, include_archived: bool = False) -> Codebook:
    """The codebook as it stands in the review (archived codes left out unless asked)."""
    book_id, book_name = _codebook_row(db, name)
    meta = db.execute("SELECT description, credit, path FROM codebooks WHERE id = ?", [book_id]).fetchone()
    label = db.execute("SELECT label FROM codebook_versions WHERE codebook_id = ? ORDER BY version DESC LIMIT 1",
                       [book_id]).fetchone()
    rows = db.execute("""SELECT id, parent_id, key, name, description, include, exclude, examples, colour,
                                group_name, codable, guid, rules, archived
                         FROM codes WHERE codebook_id = ? ORDER BY position, id""", [book_id]).fetchall()
    codes: dict[int, Code] = {}
    parents: dict[int, int | None] = {}
    for (cid, parent, key, cname, desc, inc, exc, examples, colour, group, codable, guid, rules, archived) in rows:
        if archived and not include_archived:
            continue
        codes[cid] = Code(key=key, name=cname, description=desc, include=inc, exclude=exc,
                          examples=json.loads(examples or "[]"), colour=colour, group=group,
                          codable=bool(codable), guid=guid, rules=json.loads(rules or "{}"))
        parents[cid] = parent
    top = []
    for cid, code in codes.items():
        parent = parents[cid]
        (codes[parent].children if parent in codes else top).append(code)
    return Codebook(name=book_name, codes=top, version=label[0] if label else None,
                    description=meta[0], credit=meta[1], path=meta[2])


def version_content(db, name: str | None, version: int | None = None) -> tuple[int, Codebook]:
    """(version number, codebook) of a stored version; the latest by default."""
    book_id, _ = _codebook_row(db, name)
    sql = "SELECT version, content FROM codebook_versions WHERE codebook_id = ?"
    row = (db.execute(sql + " AND version = ?", [book_id, version]).fetchone() if version is not None
           else db.execute(sql + " ORDER BY version DESC LIMIT 1", [book_id]).fetchone())
    if row is None:
        have = [r[0] for r in db.execute("SELECT version FROM codebook_versions WHERE codebook_id = ?", [book_id])]
        raise NotFound(f"no version {version} of this codebook; it has versions {have or 'none'}")
    return row[0], Codebook.from_dict(json.loads(row[1]))


def diff_versions(db, name: str | None = None, old: int | None = None, new: int | None = None) -> Diff:
    """Diff two stored versions: by default the one before the latest and the latest."""
    new_v, new_book = version_content(db, name, new)
    old_v = old if old is not None else new_v - 1
    if old_v < 1:
        return diff_books(None, new_book)
    return diff_books(version_content(db, name, old_v)[1], new_book)


def find_code(db: sqlite_utils.Database, ref, *, codebook: str | None = None, archived: bool = False) -> dict:
    """A code by id, key or name (case-insensitive), with 'did you mean' help."""
    where, args = "", []
    if codebook is not None:
        where, args = " AND c.codebook_id = ?", [_codebook_row(db, codebook)[0]]
    cols = "c.id, c.codebook_id, c.key, c.name, c.codable, c.archived, b.name"
    base = f"SELECT {cols} FROM codes c JOIN codebooks b ON b.id = c.codebook_id WHERE "
    ref = str(ref).strip()
    hits = []
    if ref.isdigit():
        hits = db.execute(base + "c.id = ?" + where, [int(ref)] + args).fetchall()
    if not hits:
        hits = db.execute(base + "c.key = ?" + where, [ref] + args).fetchall()
    if not hits:
        hits = db.execute(base + "c.name = ? COLLATE NOCASE" + where, [ref] + args).fetchall()
    if not archived:
        live = [h for h in hits if not h[5]]
        if hits and not live:
            raise NotFound(f"code {ref!r} is archived; unarchive it with `rapidreview codebook archive --undo`")
        hits = live
    if len(hits) > 1:
        raise NotFound(f"code {ref!r} is in several codebooks ({', '.join(h[6] for h in hits)}); say which with --codebook")
    if not hits:
        rows = db.execute("SELECT c.key, c.name FROM codes c WHERE c.archived = 0" + where, args).fetchall()
        by_name = {name.casefold(): key for key, name in rows}
        close = nearest(ref, [r[0] for r in rows] + [r[1] for r in rows])
        keys = list(dict.fromkeys(by_name.get(c.casefold(), c) for c in close))
        hint = f"; did you mean {' or '.join(map(repr, keys))}?" if keys else ""
        raise NotFound(f"unknown code {ref!r}{hint} List the codes with `rapidreview codebook show REVIEW_DB`.")
    h = hits[0]
    return {"id": h[0], "codebook_id": h[1], "key": h[2], "name": h[3], "codable": bool(h[4]),
            "archived": bool(h[5]), "codebook": h[6]}


def _count_codings(db, code_id: int) -> int:
    return db.execute("SELECT count(*) FROM codings WHERE code_id = ?", [code_id]).fetchone()[0]


# ---------------------------------------------------------------- load


@dataclass
class LoadResult:
    codebook: str
    version: int
    changed: bool
    diff: Diff
    adopted: list[str] = field(default_factory=list)          # imported code names now in this codebook
    unmatched: list[dict] = field(default_factory=list)       # imported codes that match nothing: {name, nearest}
    archived: list[str] = field(default_factory=list)         # keys archived because they left the file
    deleted: list[str] = field(default_factory=list)          # keys deleted (they had no codings)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"codebook": self.codebook, "version": self.version, "changed": self.changed,
                "diff": self.diff.as_dict(), "adopted": self.adopted, "unmatched": self.unmatched,
                "archived": self.archived, "deleted": self.deleted, "warnings": self.warnings}


def load_codebook(db: sqlite_utils.Database, book: Codebook, *, source: str | None = None,
                  archive_missing: bool = False, actor: str | None = None) -> LoadResult:
    """Load `book` into the review. Unchanged: nothing happens. Changed: a new version,
    codes upserted on key (renames keep codings), imported codes of the same name adopted.
    A code that left the file is deleted if it has no codings; with codings the load is
    refused unless `archive_missing`, which archives it instead."""
    problems = check(book.to_dict())
    if problems:
        raise CodebookError(problems, path=source or book.path)
    with store.transaction(db):
        return _Loader(db, book, source or book.path, archive_missing, actor).run()


class _Loader:
    def __init__(self, db, book: Codebook, source, archive_missing: bool, actor):
        self.db, self.book, self.source, self.archive_missing = db, book, source, archive_missing
        self.actor = actor or store.default_actor()

    def run(self) -> LoadResult:
        db, book = self.db, self.book
        row = db.execute("SELECT id FROM codebooks WHERE name = ? COLLATE NOCASE", [book.name]).fetchone()
        self.book_id = row[0] if row else None
        latest = None
        if self.book_id is not None:
            latest = db.execute("SELECT version, sha256, content FROM codebook_versions WHERE codebook_id = ? "
                                "ORDER BY version DESC LIMIT 1", [self.book_id]).fetchone()
        # Hash the codebook as it will be stored: a file without GUIDs and the same codebook
        # exported with its GUIDs are one version, not two.
        self.book = book = copy.deepcopy(book)
        stored = dict(db.execute("SELECT key, guid FROM codes WHERE codebook_id = ?", [self.book_id]).fetchall()
                      ) if self.book_id is not None else {}
        for code, _, _ in book.walk():
            code.guid = code.guid or stored.get(code.key) or make_guid(book.name, code.key)
        sha = book.sha256()
        if latest and latest[1] == sha:
            return LoadResult(book.name, latest[0], False, Diff())
        old = Codebook.from_dict(json.loads(latest[2])) if latest else None
        diff = diff_books(old, book)
        version = (latest[0] if latest else 0) + 1
        if self.book_id is None:
            self.book_id = db.execute(
                "INSERT INTO codebooks (name, path, created_at, description, credit) VALUES (?, ?, ?, ?, ?)",
                [book.name, self.source, store.now(), book.description, book.credit]).lastrowid
        else:
            db.execute("UPDATE codebooks SET name = ?, path = coalesce(?, path), description = ?, credit = ? "
                       "WHERE id = ?", [book.name, self.source, book.description, book.credit, self.book_id])
        result = LoadResult(book.name, version, True, diff)
        self._upsert(version, result)
        self._remove_missing(result)
        self._report_unmatched(result)
        db.execute("""INSERT INTO codebook_versions (codebook_id, version, sha256, content, created_at, label,
                          changes, loaded_by, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                   [self.book_id, version, sha, json.dumps(book.to_dict(), ensure_ascii=False), store.now(),
                    book.version, json.dumps(diff.summary()), self.actor, self.source])
        store.log_event(db, "codebook.load", {
            "codebook": book.name, "version": version, "source": self.source, "changes": diff.summary(),
            "adopted": result.adopted, "archived": result.archived, "deleted": result.deleted}, self.actor)
        return result

    def _upsert(self, version: int, result: LoadResult) -> None:
        db = self.db
        existing = {r[1]: (r[0], r[2], r[3], r[4]) for r in db.execute(
            "SELECT id, key, archived, merged_into, guid FROM codes WHERE codebook_id = ?", [self.book_id])}
        existing_guid = {r[1]: r[2] for r in db.execute("SELECT id, key, guid FROM codes WHERE codebook_id = ?",
                                                       [self.book_id])}
        imported = self._imported_codes()
        ids: dict[str, int] = {}
        for code, parent, position in self.book.walk():
            parent_id = ids[parent.key] if parent else None
            guid = code.guid or existing_guid.get(code.key) or make_guid(self.book.name, code.key)
            values = [code.name, parent_id, code.description, code.include, code.exclude,
                      json.dumps(code.examples, ensure_ascii=False), json.dumps(code.rules, ensure_ascii=False),
                      code.colour, code.group, int(code.codable), position, guid]
            sets = ("name = ?, parent_id = ?, description = ?, include = ?, exclude = ?, examples = ?, rules = ?, "
                    "colour = ?, group_name = ?, codable = ?, position = ?, guid = ?")
            if code.key in existing:
                code_id, archived, merged_into, _ = existing[code.key]
                if merged_into:
                    # Merged away: its codings now live on the target. Keep it archived.
                    result.warnings.append(f"code {code.key!r} was merged into another code; remove it from the "
                                           "file (`rapidreview codebook export` writes the current codebook)")
                    db.execute(f"UPDATE codes SET {sets} WHERE id = ?", values + [code_id])
                else:
                    if archived:
                        result.warnings.append(f"code {code.key!r} was archived and is in the file, so it is live "
                                               "again; remove it from the file to keep it archived")
                    db.execute(f"UPDATE codes SET {sets}, archived = 0 WHERE id = ?", values + [code_id])
            elif code.name.casefold() in imported:
                # Adopt the imported code: same row, so its codings come along.
                code_id = imported.pop(code.name.casefold())
                db.execute(f"UPDATE codes SET {sets}, codebook_id = ?, key = ?, archived = 0, created_version = ? "
                           "WHERE id = ?", values + [self.book_id, code.key, version, code_id])
                result.adopted.append(code.name)
            else:
                code_id = db.execute(
                    """INSERT INTO codes (name, parent_id, description, include, exclude, examples, rules, colour,
                           group_name, codable, position, guid, codebook_id, key, created_version)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    values + [self.book_id, code.key, version]).lastrowid
            ids[code.key] = code_id
        self.kept = ids
        self.imported_left = imported

    def _imported_codes(self) -> dict[str, int]:
        row = self.db.execute("SELECT id FROM codebooks WHERE name = ?", [IMPORTED]).fetchone()
        if row is None or row[0] == self.book_id:
            return {}
        self.imported_id = row[0]
        return {r[1].casefold(): r[0] for r in self.db.execute(
            "SELECT id, name FROM codes WHERE codebook_id = ? ORDER BY id DESC", [row[0]])}

    def _remove_missing(self, result: LoadResult) -> None:
        db = self.db
        gone = db.execute(
            f"SELECT id, key, name, archived FROM codes WHERE codebook_id = ? AND id NOT IN "
            f"({', '.join('?' * len(self.kept))}) ORDER BY id DESC", [self.book_id, *self.kept.values()]).fetchall()
        refused = []
        for code_id, key, name, archived in gone:
            n = _count_codings(db, code_id)
            memos = db.execute("SELECT count(*) FROM memos WHERE target = 'code' AND target_id = ?",
                               [code_id]).fetchone()[0]
            if archived:
                continue  # already archived: it stays in the review with its codings
            if n and not self.archive_missing:
                refused.append(f"{key} ({name!r}, {n} codings)")
            elif n or memos:
                db.execute("UPDATE codes SET archived = 1 WHERE id = ?", [code_id])
                result.archived.append(key)
            else:
                db.execute("UPDATE codes SET parent_id = NULL WHERE parent_id = ?", [code_id])
                db.execute("UPDATE codes SET merged_into = NULL WHERE merged_into = ?", [code_id])
                db.execute("DELETE FROM codes WHERE id = ?", [code_id])
                result.deleted.append(key)
        if refused:
            raise CodebookError(
                f"codes that have codings are missing from the file: {'; '.join(refused)}. Deleting them would "
                "lose those codings: put them back, load with --archive-missing to archive them, or merge them "
                "into another code first (`rapidreview codebook merge`)", path=self.source)
        # An archived parent's children that are still live move to the top level
        for child_id, in db.execute("""SELECT c.id FROM codes c JOIN codes p ON p.id = c.parent_id
                                       WHERE c.codebook_id = ? AND c.archived = 0 AND p.archived = 1""",
                                    [self.book_id]).fetchall():
            db.execute("UPDATE codes SET parent_id = NULL WHERE id = ?", [child_id])

    def _report_unmatched(self, result: LoadResult) -> None:
        left = getattr(self, "imported_left", {})
        if result.adopted and not left and getattr(self, "imported_id", None):
            self.db.execute("DELETE FROM codebooks WHERE id = ? AND NOT EXISTS "
                            "(SELECT 1 FROM codes WHERE codebook_id = ?)", [self.imported_id, self.imported_id])
        names = [c.name for c, _, _ in self.book.walk()]
        for folded, code_id in left.items():
            name = self.db.execute("SELECT name FROM codes WHERE id = ?", [code_id]).fetchone()[0]
            result.unmatched.append({"name": name, "nearest": nearest(name, names)})


# ---------------------------------------------------------------- operations


def _record_version(db, book_id: int, source: str, changes: dict, actor: str) -> int:
    """After an operation on codes: store the resulting codebook as a new version."""
    name = db.execute("SELECT name FROM codebooks WHERE id = ?", [book_id]).fetchone()[0]
    book = codebook_from_db(db, name)
    latest = db.execute("SELECT max(version) FROM codebook_versions WHERE codebook_id = ?", [book_id]).fetchone()[0]
    version = (latest or 0) + 1
    db.execute("""INSERT INTO codebook_versions (codebook_id, version, sha256, content, created_at, label, changes,
                      loaded_by, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
               [book_id, version, book.sha256(), json.dumps(book.to_dict(), ensure_ascii=False), store.now(),
                book.version, json.dumps(changes, ensure_ascii=False), actor, source])
    return version


def _move_codings(db, from_id: int, to_id: int) -> dict:
    """Re-point every coding of one code at another. Where the target already has a coding
    of the same span by the same coder, keep one row with the stronger decision."""
    moved = collided = 0
    rows = db.execute('SELECT id, document_id, start, "end", coder, status FROM codings WHERE code_id = ?',
                      [from_id]).fetchall()
    for cid, doc, start, end, coder, status in rows:
        other = db.execute('SELECT id, status FROM codings WHERE document_id = ? AND start = ? AND "end" = ? '
                           'AND code_id = ? AND coder = ?', [doc, start, end, to_id, coder]).fetchone()
        if other is None:
            db.execute("UPDATE codings SET code_id = ? WHERE id = ?", [to_id, cid])
            moved += 1
        else:
            if STATUS_RANK[status] > STATUS_RANK[other[1]]:
                db.execute("UPDATE codings SET status = ? WHERE id = ?", [status, other[0]])
            db.execute("DELETE FROM codings WHERE id = ?", [cid])
            collided += 1
    return {"moved": moved, "collided": collided}


def merge_codes(db: sqlite_utils.Database, sources: list[str], into: str, *, codebook: str | None = None,
                actor: str | None = None) -> dict:
    """Merge `sources` into `into`: their codings move to it, their children become its
    children, and they are archived with `merged_into` set. Returns counts."""
    actor = actor or store.default_actor()
    with store.transaction(db):
        target = find_code(db, into, codebook=codebook)
        book = target["codebook"]
        if book == IMPORTED:
            raise CodebookError("merge works on a loaded codebook; load one first (imported codes are adopted by name)")
        froms = [find_code(db, s, codebook=book) for s in sources]
        if any(f["id"] == target["id"] for f in froms):
            raise CodebookError(f"cannot merge {target['key']!r} into itself")
        totals = {"moved": 0, "collided": 0}
        for f in froms:
            counts = _move_codings(db, f["id"], target["id"])
            for k in totals:
                totals[k] += counts[k]
            db.execute("UPDATE codes SET parent_id = ? WHERE parent_id = ?", [target["id"], f["id"]])
            db.execute("UPDATE codes SET archived = 1, merged_into = ? WHERE id = ?", [target["id"], f["id"]])
        changes = {"merged": [f["key"] for f in froms], "into": target["key"], **totals}
        version = _record_version(db, target["codebook_id"], "merge", changes, actor)
        store.log_event(db, "codebook.merge", {"codebook": book, "version": version, **changes}, actor)
        return {"codebook": book, "version": version, **changes}


def split_code(db: sqlite_utils.Database, source: str, into: list[tuple[str, str]], *,
               codings_to: str | None = None, keep_parent: bool = False, codebook: str | None = None,
               actor: str | None = None) -> dict:
    """Split `source` into new codes `into` [(key, name), ...]. Its codings move to
    `codings_to` (default: the first new code), for coders to re-sort by hand. The source
    is archived, or with `keep_parent` becomes a category heading over the new codes."""
    actor = actor or store.default_actor()
    if not into:
        raise CodebookError("say what to split into: --into KEY:NAME (twice or more)")
    with store.transaction(db):
        src = find_code(db, source, codebook=codebook)
        book_id = src["codebook_id"]
        row = db.execute("SELECT parent_id, position, colour, group_name FROM codes WHERE id = ?", [src["id"]]).fetchone()
        parent_id = src["id"] if keep_parent else row[0]
        book_name = src["codebook"]
        keys = {r[0] for r in db.execute("SELECT key FROM codes WHERE codebook_id = ?", [book_id])}
        names = {r[0].casefold(): r[1] for r in db.execute("SELECT name, key FROM codes WHERE codebook_id = ? "
                                                            "AND archived = 0", [book_id])}
        new_ids: dict[str, int] = {}
        for i, (key, name) in enumerate(into):
            if not KEY_RE.match(key):
                raise CodebookError(f"{key!r} is not a valid key: use a lower-case slug such as staff-attitude")
            if key in keys or key in new_ids:
                raise CodebookError(f"key {key!r} is already taken in codebook {book_name!r}; choose another")
            if name.casefold() in names and names[name.casefold()] != src["key"]:
                raise CodebookError(f"name {name!r} clashes with code {names[name.casefold()]!r}; choose another")
            new_ids[key] = db.execute(
                """INSERT INTO codes (codebook_id, key, name, parent_id, colour, group_name, position, guid,
                                      description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [book_id, key, name, parent_id, row[2], row[3], (row[1] if not keep_parent else 0) + i + 1,
                 make_guid(book_name, key), f"Split from {src['name']!r}."]).lastrowid
        target_key = codings_to or into[0][0]
        if target_key not in new_ids:
            raise CodebookError(f"--codings-to {target_key!r} is not one of the new codes: "
                                + ", ".join(new_ids))
        counts = _move_codings(db, src["id"], new_ids[target_key])
        if keep_parent:
            db.execute("UPDATE codes SET codable = 0 WHERE id = ?", [src["id"]])
        else:
            db.execute("UPDATE codes SET parent_id = ? WHERE parent_id = ?", [row[0], src["id"]])
            db.execute("UPDATE codes SET archived = 1 WHERE id = ?", [src["id"]])
        changes = {"split": src["key"], "into": list(new_ids), "codings_to": target_key,
                   "kept_as_parent": keep_parent, **counts}
        version = _record_version(db, book_id, "split", changes, actor)
        store.log_event(db, "codebook.split", {"codebook": book_name, "version": version, **changes}, actor)
        return {"codebook": book_name, "version": version, **changes}


def archive_code(db: sqlite_utils.Database, ref: str, *, codebook: str | None = None, undo: bool = False,
                 actor: str | None = None) -> dict:
    """Archive a code and its descendants (codings kept, hidden from coding), or undo that."""
    actor = actor or store.default_actor()
    with store.transaction(db):
        code = find_code(db, ref, codebook=codebook, archived=True)
        ids = _descendants(db, code["id"])
        for code_id in ids:
            db.execute("UPDATE codes SET archived = ? WHERE id = ?", [0 if undo else 1, code_id])
        if undo:
            db.execute("UPDATE codes SET merged_into = NULL WHERE id = ?", [code["id"]])
        action = "unarchive" if undo else "archive"
        changes = {action: code["key"], "codes": len(ids)}
        version = _record_version(db, code["codebook_id"], action, changes, actor)
        store.log_event(db, f"codebook.{action}", {"codebook": code["codebook"], "version": version, **changes}, actor)
        return {"codebook": code["codebook"], "version": version, **changes}


def delete_code(db: sqlite_utils.Database, ref: str, *, codebook: str | None = None, actor: str | None = None) -> dict:
    """Delete a code that has no codings (nor its descendants). Refused otherwise."""
    actor = actor or store.default_actor()
    with store.transaction(db):
        code = find_code(db, ref, codebook=codebook, archived=True)
        ids = _descendants(db, code["id"])
        n = sum(_count_codings(db, i) for i in ids)
        if n:
            raise CodebookError(
                f"code {code['key']!r} ({code['name']!r}) has {n} codings; deleting it would lose them. Archive it "
                f"instead (`rapidreview codebook archive REVIEW_DB {code['key']}`) or merge it into another code")
        for code_id in reversed(ids):
            db.execute("UPDATE codes SET merged_into = NULL WHERE merged_into = ?", [code_id])
            db.execute("DELETE FROM codes WHERE id = ?", [code_id])
        version = _record_version(db, code["codebook_id"], "delete", {"deleted": code["key"]}, actor)
        store.log_event(db, "codebook.delete", {"codebook": code["codebook"], "version": version,
                                                "deleted": code["key"]}, actor)
        return {"codebook": code["codebook"], "version": version, "deleted": code["key"]}


def _descendants(db, code_id: int) -> list[int]:
    rows = db.execute("""WITH RECURSIVE t(id) AS (SELECT ? UNION ALL SELECT c.id FROM codes c JOIN t ON c.parent_id = t.id)
                         SELECT id FROM t""", [code_id]).fetchall()
    return [r[0] for r in rows]


def versions(db: sqlite_utils.Database, name: str | None = None) -> list[dict]:
    book_id, _ = _codebook_row(db, name)
    rows = db.execute("""SELECT version, label, created_at, loaded_by, source, changes FROM codebook_versions
                         WHERE codebook_id = ? ORDER BY version""", [book_id]).fetchall()
    return [{"version": r[0], "label": r[1], "created_at": r[2], "by": r[3], "source": r[4],
             "changes": json.loads(r[5] or "{}")} for r in rows]


__all__ = ["Diff", "LoadResult", "archive_code", "codebook_from_db", "codebook_names", "delete_code",
           "diff_books", "diff_versions", "find_code", "list_codebooks", "load_codebook", "merge_codes",
           "split_code", "unique_slug", "version_content", "versions"]
