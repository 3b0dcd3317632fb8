"""Which segments a theme run clusters: participants' answered segments, narrowed by
question, attribute values, dates, source, wave, or a code (`--within`).

Every name a user types is checked, and an unknown one gets "did you mean" help.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import sqlite_utils

from ..errors import NotFound, RapidReviewError
from ..suggest import unknown_message


@dataclass
class Selection:
    """What to cluster. Empty fields select everything."""

    questions: list[str] = field(default_factory=list)
    where: list[tuple[str, str]] = field(default_factory=list)  # (attribute, value): all must hold
    date_from: str | None = None  # ISO dates, inclusive
    date_to: str | None = None
    sources: list[str] = field(default_factory=list)  # source id or file name
    waves: list[str] = field(default_factory=list)  # the 'wave' attribute or the source batch
    within: str | None = None  # code key or name: sub-themes of that code

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], {})}

    @classmethod
    def from_dict(cls, data: dict) -> "Selection":
        data = dict(data)
        data["where"] = [tuple(w) for w in data.get("where", [])]
        return cls(**data)


@dataclass
class Segment:
    id: int
    document_id: int
    start: int
    end: int
    text: str
    question: str | None
    date: str | None
    external_id: str
    source_id: int


def parse_where(items) -> list[tuple[str, str]]:
    """["Service=111", "Age group=65+"] -> [("Service", "111"), ...]."""
    out = []
    for item in items or []:
        if "=" not in item:
            raise RapidReviewError(f"--where {item!r}: write ATTRIBUTE=VALUE, e.g. --where 'Service=111'.")
        name, value = item.split("=", 1)
        out.append((name.strip(), value.strip()))
    return out


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s or "").strip().casefold()


def resolve_code(db: sqlite_utils.Database, name: str) -> dict:
    """The code with this key or name (case-insensitive), or NotFound with the nearest names."""
    rows = db.execute(
        "SELECT id, key, name FROM codes WHERE archived = 0 AND (key = ? COLLATE NOCASE OR name = ? COLLATE NOCASE) "
        "ORDER BY id", [name, name]).fetchall()
    if not rows:
        choices = [r[0] for r in db.execute("SELECT DISTINCT name FROM codes WHERE archived = 0 ORDER BY name")]
        keys = [r[0] for r in db.execute("SELECT DISTINCT key FROM codes WHERE archived = 0 ORDER BY key")]
        if not choices:
            raise NotFound(f"--within {name!r}: this review has no codes yet. Load a codebook "
                           "(`rapidreview codebook load`) or import codes, or drop --within.")
        folded = {c.casefold() for c in choices}
        choices += [k for k in keys if k.casefold() not in folded]
        raise NotFound("--within: " + unknown_message("code", name, choices))
    return {"id": rows[0][0], "key": rows[0][1], "name": rows[0][2]}


def _descendants(db, code_id: int) -> list[int]:
    rows = db.execute("""WITH RECURSIVE tree(id) AS (
                             SELECT ? UNION SELECT c.id FROM codes c JOIN tree ON c.parent_id = tree.id)
                         SELECT id FROM tree""", [code_id]).fetchall()
    return [r[0] for r in rows]


def _resolve_questions(db, questions: list[str]) -> list[str]:
    known = [r[0] for r in db.execute("SELECT DISTINCT question FROM documents WHERE question IS NOT NULL")]
    by_norm = {}
    for q in known:
        by_norm.setdefault(_norm(q), []).append(q)
    out = []
    for q in questions:
        hits = by_norm.get(_norm(q)) or [k for k in known if _norm(q) in _norm(k)]
        if not hits:
            raise NotFound("--question: " + unknown_message("question", q, [_norm(k) for k in known]))
        out.extend(hits)
    return out


def _resolve_where(db, where) -> list[tuple[str, list[str]]]:
    """Each (attribute, value) as the stored name and the stored values it matches
    (ignoring case and runs of spaces: exports carry non-breaking spaces)."""
    names = [r[0] for r in db.execute("SELECT DISTINCT name FROM attributes ORDER BY name")]
    lowered = {n.casefold(): n for n in names}
    out = []
    for name, value in where:
        if name.casefold() not in lowered:
            raise NotFound("--where: " + unknown_message("attribute", name, names))
        real = lowered[name.casefold()]
        values = [r[0] for r in db.execute(
            "SELECT DISTINCT value FROM attributes WHERE name = ? AND value IS NOT NULL ORDER BY value", [real])]
        hits = [v for v in values if _norm(v) == _norm(value)]
        if not hits:
            raise NotFound(f"--where {name}={value}: " + unknown_message(f"value of {real!r}", value, values))
        out.append((real, hits))
    return out


def select_segments(db: sqlite_utils.Database, sel: Selection) -> tuple[list[Segment], dict]:
    """The segments to cluster, in id order, and what the selection resolved to."""
    clauses = ["d.answered = 1", "s.role = 'participant'", "coalesce(r.withdrawn, 0) = 0"]
    params: list = []
    resolved: dict = {}
    if sel.questions:
        qs = _resolve_questions(db, sel.questions)
        clauses.append(f"d.question IN ({', '.join('?' * len(qs))})")
        params += qs
        resolved["questions"] = qs
    if sel.where:
        for name, values in _resolve_where(db, sel.where):
            clauses.append("EXISTS (SELECT 1 FROM attributes a WHERE a.document_id = d.id AND a.name = ? "
                           f"AND a.value IN ({', '.join('?' * len(values))}))")
            params += [name, *values]
    if sel.date_from:
        clauses.append("d.date >= ?")
        params.append(sel.date_from)
    if sel.date_to:
        clauses.append("d.date <= ?")
        params.append(sel.date_to + "\uffff")  # inclusive of times on that day
    if sel.sources:
        ids = _resolve_sources(db, sel.sources)
        clauses.append(f"d.source_id IN ({', '.join('?' * len(ids))})")
        params += ids
    if sel.waves:
        marks = ", ".join("?" * len(sel.waves))
        clauses.append(f"(EXISTS (SELECT 1 FROM attributes a WHERE a.document_id = d.id "
                       f"AND a.name = 'wave' COLLATE NOCASE AND a.value IN ({marks})) "
                       f"OR d.source_id IN (SELECT id FROM sources WHERE batch IN ({marks})))")
        params += list(sel.waves) * 2
    if sel.within:
        code = resolve_code(db, sel.within)
        ids = _descendants(db, code["id"])
        resolved["within"] = code
        clauses.append(f"""EXISTS (SELECT 1 FROM codings c WHERE c.code_id IN ({', '.join('?' * len(ids))})
                           AND c.status != 'rejected' AND c.document_id = s.document_id
                           AND (c.segment_id = s.id OR (c.start < s."end" AND c."end" > s.start)))""")
        params += ids
    sql = f"""SELECT s.id, s.document_id, s.start, s."end", s.text, d.question, d.date, d.external_id, d.source_id
              FROM segments s JOIN documents d ON d.id = s.document_id
              LEFT JOIN respondents r ON r.id = d.respondent_id
              WHERE {' AND '.join(clauses)} ORDER BY s.id"""
    return [Segment(*row) for row in db.execute(sql, params)], resolved


def _resolve_sources(db, sources: list[str]) -> list[int]:
    rows = db.execute("SELECT id, name, path FROM sources").fetchall()
    out = []
    for s in sources:
        hits = [r[0] for r in rows if str(r[0]) == str(s) or r[1] == s or r[2] == s]
        if not hits:
            raise NotFound("--source: " + unknown_message("source", s, [r[1] for r in rows]))
        out += hits
    return out


def segments_by_id(db: sqlite_utils.Database, ids) -> list[Segment]:
    """The given segments, in id order (to rebuild a stored run)."""
    wanted = set(ids)
    rows = db.execute("""SELECT s.id, s.document_id, s.start, s."end", s.text, d.question, d.date, d.external_id,
                                d.source_id
                         FROM segments s JOIN documents d ON d.id = s.document_id ORDER BY s.id""")
    return [Segment(*row) for row in rows if row[0] in wanted]
