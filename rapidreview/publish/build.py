"""Build public.db: what commissioners may see, and nothing else.

Rebuilt from scratch every time into a temporary file beside the target, then renamed
over it, so a reader never sees half a database and nothing from an earlier build
survives. What goes in:

- quotes: redacted text of publishable segments (consenting, not withdrawn, not
  interviewer turns, groups of at least `min_group`), with question, month, role,
  accepted codes, theme, sentiment and only the attributes named as publishable;
- codebook: names and definitions; themes: redacted labels and key terms, with their
  representative quotes re-checked against today's consent and redaction;
- counts: themes and codes by question, month and each publishable attribute, under
  NHS disclosure control (1-7 suppressed, others rounded to 5, secondary suppression
  so totals give nothing back);
- the evidence ledger: recommendations, their themes and quotes, responses, outcomes.

Never: original text, speaker names, respondent or document ids, exact dates, or an
attribute nobody marked publishable.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from .. import privacy, store
from ..codebook import codebook_from_db, codebook_names
from ..errors import RapidReviewError
from ..privacy import NHS_RULE, DisclosureRule
from ..privacy.quotes import MISSING
from ..themes import get_run
from ..themes.context import SENTIMENT_WORDS
from . import config, ledger

QUOTE_COLUMNS = ["segment_id", "text", "question", "month", "role", "codes", "theme_number", "theme", "sentiment"]


class PublishError(RapidReviewError):
    """The review cannot be published as asked."""


@dataclass
class PublishOptions:
    publishable: list[str] = field(default_factory=list)  # attribute names that may appear
    min_group: int = 0  # withhold quotes from groups (of publishable attributes) smaller than this
    run_id: int | None = None  # theme run to publish; the latest by default
    rule: DisclosureRule = NHS_RULE
    title: str = "Rapid review"  # the rest: Datasette metadata
    description: str | None = None
    source: str | None = None
    source_url: str | None = None
    licence: str = "OGL-UK-3.0"
    metadata_path: str | None = None  # default: PUBLIC.metadata.json beside public.db


@dataclass
class PublishResult:
    path: str
    metadata_path: str
    tables: dict
    seconds: float
    withheld_quotes: int = 0

    def message(self) -> str:
        parts = ", ".join(f"{n} {t}" for t, n in self.tables.items())
        return (f"Published {self.path} in {self.seconds:.1f}s: {parts}; {self.withheld_quotes} quotes withheld "
                f"(small groups). Datasette metadata: {self.metadata_path}")


# ---------------------------------------------------------------- entry point


def publish(db: sqlite_utils.Database, public_path, options: PublishOptions | None = None,
            actor: str | None = None) -> PublishResult:
    """Build the commissioners' database at `public_path` (replaced atomically)."""
    options = options or PublishOptions()
    t0 = time.perf_counter()
    public_path = Path(public_path)
    privacy.assert_redacted(db)
    attrs = check_publishable(db, options.publishable)
    _check_target(db, public_path)
    content = gather(db, attrs, options)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=public_path.name + ".", suffix=".tmp", dir=public_path.parent)
    os.close(fd)
    try:
        tables = write(Path(tmp), content, attrs)
        os.replace(tmp, public_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    meta_path = Path(options.metadata_path or public_path.with_suffix(".metadata.json"))
    meta = config.metadata(public_path.stem, publishable=attrs, title=options.title, description=options.description,
                           source=options.source, source_url=options.source_url, licence=options.licence,
                           n_quotes=tables["quotes"])
    _write_atomic(meta_path, json.dumps(meta, indent=2, ensure_ascii=False))
    result = PublishResult(str(public_path), str(meta_path), tables, time.perf_counter() - t0, content["withheld"])
    with store.transaction(db):
        store.log_event(db, "publish", {"path": str(public_path), "publishable": attrs,
                                        "min_group": options.min_group, "run_id": content["run_id"],
                                        "tables": tables}, actor)
    return result


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def check_publishable(db: sqlite_utils.Database, requested) -> list[str]:
    """The requested attribute names, refused if any does not exist in the review."""
    requested = list(dict.fromkeys(requested or []))
    known = [r[0] for r in db.execute("SELECT DISTINCT name FROM attributes ORDER BY name")]
    unknown = [a for a in requested if a not in known]
    if unknown:
        raise PublishError(f"no attribute named {', '.join(repr(a) for a in unknown)} in this review; "
                           f"attributes are: {', '.join(known) or 'none'} (names are case-sensitive).")
    clash = [a for a in requested if a.casefold() in {c.casefold() for c in QUOTE_COLUMNS}]
    if clash:
        raise PublishError(f"attribute {clash[0]!r} has the name of a built-in quotes column; it cannot be "
                           "published as a column of its own.")
    return requested


def _check_target(db, public_path: Path) -> None:
    review_file = db.execute("PRAGMA database_list").fetchone()[2]
    if review_file and public_path.exists() and os.path.samefile(review_file, public_path):
        raise PublishError("the public database must be a new file, not the review itself.")
    if public_path.exists() and public_path.stat().st_size:
        with open(public_path, "rb") as f:
            if f.read(16) != b"SQLite format 3\x00":
                raise PublishError(f"{public_path} exists and is not a SQLite database: give a new file name.")
        with sqlite3.connect(public_path) as conn:
            try:
                app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            except sqlite3.DatabaseError:
                app_id = None
        conn.close()
        if app_id == store.APP_ID:
            raise PublishError(f"{public_path} is a review database: refusing to overwrite it with a public one.")


# ---------------------------------------------------------------- reading the review


def gather(db: sqlite_utils.Database, attrs: list[str], options: PublishOptions) -> dict:
    """Everything public.db will hold, as rows: read from the review, redacted and controlled."""
    eligible = privacy.publishable_segments(db, group_attr=attrs)
    if options.min_group > 0:
        allowed = {s["segment_id"] for s in privacy.publishable_segments(db, min_group=options.min_group,
                                                                         group_attr=attrs)}
    else:
        allowed = {s["segment_id"] for s in eligible}
    docs = {d: (q, (date or "")[:7] or MISSING) for d, q, date in
            db.execute("SELECT id, question, date FROM documents WHERE answered = 1")}
    codes, sentiment, code_names = accepted_codes(db)
    run = _run(db, options.run_id)
    theme_of = _theme_members(db, run["id"]) if run else {}

    rows, codings = [], []
    for s in eligible:
        question, month = docs.get(s["document_id"], (None, MISSING))
        number = theme_of.get(s["segment_id"])
        row = {"segment_id": s["segment_id"], "text": s["text"], "question": question or MISSING, "month": month,
               "role": s["role"], "codes": "; ".join(sorted({code_names[c] for c in codes.get(s["segment_id"], ())})),
               "theme_number": number, "theme": None, "sentiment": sentiment.get(s["segment_id"]),
               **{a: _redact_value(s["group"].get(a, MISSING)) for a in attrs}}
        rows.append(row)
    quoted = [r for r in rows if r["segment_id"] in allowed]
    vocab = _vocabulary(r["text"] for r in quoted)
    themes = _themes(db, run, quoted, vocab) if run else []
    labels = {t["number"]: t["label"] for t in themes}
    for r in rows:
        r["theme"] = labels.get(r["theme_number"])
    for r in quoted:
        codings += [(r["segment_id"], name) for name in sorted({code_names[c] for c in codes.get(r["segment_id"], ())})]
    counts = _counts(rows, codes, code_names, attrs, options.rule, labels)
    totals = {(c["item"]): c for c in counts if c["measure"] == "theme" and c["dimension"] == "all"}
    for t in themes:
        c = totals.get(t["label"])
        t["size"], t["size_shown"] = (c["n"], c["shown"]) if c else (0, "0")
    return {"quotes": quoted, "quote_codes": codings, "themes": themes, "codebook": _codebook(db),
            "counts": counts, "theme_quotes": [q for t in themes for q in t.pop("quotes")],
            "ledger": _ledger(db, run, labels, {r["segment_id"]: r["text"] for r in quoted}),
            "run_id": run["id"] if run else None, "withheld": len(rows) - len(quoted)}


def accepted_codes(db) -> tuple[dict, dict, dict]:
    """(segment id -> code ids, segment id -> sentiment name, code id -> name), from
    accepted codings only: a suggestion nobody accepted is not a finding."""
    names, is_sentiment = {}, set()
    for cid, name, group, parent in db.execute(
            "SELECT c.id, c.name, c.group_name, p.name FROM codes c LEFT JOIN codes p ON p.id = c.parent_id "
            "WHERE c.archived = 0"):
        names[cid] = name
        if "sentiment" in {(group or "").casefold(), (parent or "").casefold()} or name.casefold() in SENTIMENT_WORDS:
            is_sentiment.add(cid)
    codes, sentiment = defaultdict(set), {}
    for seg, code in db.execute("""
            SELECT s.id, c.code_id FROM codings c JOIN segments s ON s.document_id = c.document_id
            WHERE c.status = 'accepted'
              AND (c.segment_id = s.id OR (c.segment_id IS NULL AND c.start < s."end" AND c."end" > s.start))"""):
        if code not in names:
            continue
        if code in is_sentiment:
            sentiment[seg] = names[code]
        else:
            codes[seg].add(code)
    return codes, sentiment, names


def _run(db, run_id):
    if run_id is None and db.execute("SELECT count(*) FROM theme_runs").fetchone()[0] == 0:
        return None  # no themes yet: publish quotes, codes and counts
    return get_run(db, run_id)


def _theme_members(db, run_id: int) -> dict[int, int]:
    return dict(db.execute("SELECT m.segment_id, t.number FROM theme_members m JOIN themes t ON t.id = m.theme_id "
                           "WHERE t.run_id = ? ORDER BY m.weight", [run_id]).fetchall())


WORD = re.compile(r"\w+")


def _vocabulary(texts) -> tuple[set, set]:
    words = {w for t in texts for w in WORD.findall(t.casefold())}
    return words, {w[:4] for w in words if len(w) >= 4}


def _in_published_text(phrase: str, vocab) -> bool:
    """True when every word of `phrase` (or its stem) occurs in the published quotes: a key
    term or label drawn from a respondent who has since withdrawn does not survive."""
    words, stems = vocab
    return all(w in words or (len(w) >= 4 and w[:4] in stems) for w in WORD.findall(phrase.casefold()))


def _redact(text):
    return privacy.redact_text(text)[0] if text else text


@functools.lru_cache(maxsize=4096)
def _redact_value(value):
    # Publishable attribute values are chosen by the researcher, but a free-text column
    # marked publishable by mistake must still not carry a phone number or a name.
    return _redact(value)


def _themes(db, run: dict, quoted: list[dict], vocab) -> list[dict]:
    allowed = {r["segment_id"] for r in quoted}
    out = []
    for t in run["themes"]:
        terms = [_redact(k) for k in t["key_terms"] or [] if _in_published_text(k, vocab)]
        label = t["label"]
        if label == t["auto_label"] and not _in_published_text(label, vocab) and t["kind"] == "theme":
            label = ", ".join(terms[:3]) or f"Theme {t['number']}"
        quotes = []
        for q in t["quotes"] or []:
            if q.get("segment_id") in allowed:
                quotes.append({"theme_number": t["number"], "rank": len(quotes) + 1, "segment_id": q["segment_id"],
                               "text": privacy.quote(db, q["document_id"], q["start"], q["end"])})
        label = _redact(label)
        if label in {o["label"] for o in out}:  # counts are keyed by label: keep labels distinct
            label = f"{label} (theme {t['number']})"
        out.append({"number": t["number"], "label": label, "kind": t["kind"],
                    "key_terms": "; ".join(terms), "quotes": quotes})
    return out


def _codebook(db) -> list[dict]:
    rows = []

    def walk(book, code, parent):
        rows.append({"codebook": book, "key": code.key, "name": code.name, "parent": parent,
                     "definition": _redact(code.description), "include": _redact(code.include),
                     "exclude": _redact(code.exclude), "group_name": code.group})
        for child in code.children:
            walk(book, child, code.name)

    for name in codebook_names(db):
        for code in codebook_from_db(db, name).codes:
            walk(name, code, None)
    return rows


def _counts(rows, codes, code_names, attrs, rule, labels) -> list[dict]:
    """Controlled two-way tables: (theme | code) x (all | question | month | attribute)."""
    out = []
    for dimension in ["all", "question", "month", *attrs]:
        for measure in ("theme", "code"):
            table: dict = defaultdict(Counter)
            for r in rows:
                column = "All" if dimension == "all" else r[dimension]
                if measure == "theme":
                    if r["theme_number"] in labels:
                        table[labels[r["theme_number"]]][column] += 1
                else:
                    for c in codes.get(r["segment_id"], ()):
                        table[code_names[c]][column] += 1
            if not table:
                continue
            controlled = privacy.control_table({k: dict(v) for k, v in sorted(table.items())}, rule,
                                               row_totals=dimension != "all")
            lines = list(controlled["rows"].items()) + [("Total", controlled["totals"])]
            for item, cells in lines:
                for value, cell in cells.items():
                    out.append({"measure": measure, "item": item, "dimension": dimension, "value": value,
                                "n": cell.value, "shown": cell.display, "suppressed": int(cell.suppressed)})
    return out


def _ledger(db, run, labels: dict, quote_text: dict) -> dict:
    recs, evidence = [], []
    for rec in ledger.list_all(db):
        recs.append({"id": rec["id"], "recommendation": _redact(rec["text"]), "status": rec["status"],
                     "response": _redact(rec["response"]), "outcome": _redact(rec["outcome"]),
                     "created": (rec["created_at"] or "")[:10], "responded": (rec["responded_at"] or "")[:10] or None})
        for t in rec["themes"]:
            same_run = run is not None and t["run"] == run["id"] and t["number"] in labels
            evidence.append({"recommendation_id": rec["id"], "theme_number": t["number"] if same_run else None,
                             "theme": labels[t["number"]] if same_run else _redact(t["label"]),
                             "segment_id": None, "quote": None})
        for seg in rec["quotes"]:
            if seg in quote_text:  # a quote since withdrawn or withheld is not shown
                evidence.append({"recommendation_id": rec["id"], "theme_number": None, "theme": None,
                                 "segment_id": seg, "quote": quote_text[seg]})
    return {"recommendations": recs, "evidence": evidence}


# ---------------------------------------------------------------- writing public.db


def write(path: Path, content: dict, attrs: list[str]) -> dict:
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA application_id = {store.PUBLIC_APP_ID}")
        conn.executescript(_schema(attrs))
        _insert(conn, "quotes", QUOTE_COLUMNS + attrs, content["quotes"])
        conn.executemany("INSERT INTO quote_codes (segment_id, code) VALUES (?, ?)", content["quote_codes"])
        _insert(conn, "themes", ["number", "label", "kind", "key_terms", "size", "size_shown"], content["themes"])
        _insert(conn, "theme_quotes", ["theme_number", "rank", "segment_id", "text"], content["theme_quotes"])
        _insert(conn, "codebook", ["codebook", "key", "name", "parent", "definition", "include", "exclude",
                                   "group_name"], content["codebook"])
        _insert(conn, "counts", ["measure", "item", "dimension", "value", "n", "shown", "suppressed"],
                content["counts"])
        _insert(conn, "recommendations", ["id", "recommendation", "status", "response", "outcome", "created",
                                          "responded"], content["ledger"]["recommendations"])
        _insert(conn, "recommendation_evidence", ["recommendation_id", "theme_number", "theme", "segment_id", "quote"],
                content["ledger"]["evidence"])
        conn.execute("INSERT INTO quotes_fts (quotes_fts) VALUES ('rebuild')")
        conn.commit()
        conn.execute("VACUUM")
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for t in ("quotes", "themes", "codebook", "counts", "recommendations")}
    finally:
        conn.close()


def _insert(conn, table: str, columns: list[str], rows: list[dict]) -> None:
    sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(table, ", ".join(f'"{c}"' for c in columns),
                                                     ", ".join("?" * len(columns)))
    conn.executemany(sql, ([r.get(c) for c in columns] for r in rows))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _schema(attrs: list[str]) -> str:
    attr_cols = "".join(f",\n    {_ident(a)} TEXT" for a in attrs)
    attr_idx = "".join(f"CREATE INDEX {_ident('quotes_attr_' + str(i))} ON quotes({_ident(a)}, theme_number);\n"
                       for i, a in enumerate(attrs))
    return f"""
CREATE TABLE quotes (
    segment_id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    question TEXT,
    month TEXT,
    role TEXT,
    codes TEXT,
    theme_number INTEGER,
    theme TEXT,
    sentiment TEXT{attr_cols}
);
CREATE INDEX quotes_theme ON quotes(theme_number);  -- rowid order within a theme: ORDER BY free
CREATE INDEX quotes_question ON quotes(question);
CREATE INDEX quotes_month ON quotes(month);
CREATE INDEX quotes_sentiment ON quotes(sentiment);
{attr_idx}
CREATE VIRTUAL TABLE quotes_fts USING fts5(text, content='quotes', content_rowid='segment_id',
                                           tokenize='porter unicode61');
CREATE TABLE quote_codes (segment_id INTEGER NOT NULL REFERENCES quotes(segment_id), code TEXT NOT NULL,
                          PRIMARY KEY (code, segment_id)) WITHOUT ROWID;
CREATE TABLE themes (number INTEGER PRIMARY KEY, label TEXT NOT NULL, kind TEXT, key_terms TEXT, size INTEGER,
                     size_shown TEXT);
CREATE TABLE theme_quotes (theme_number INTEGER NOT NULL REFERENCES themes(number), rank INTEGER NOT NULL,
                           segment_id INTEGER REFERENCES quotes(segment_id), text TEXT NOT NULL,
                           PRIMARY KEY (theme_number, rank));
CREATE TABLE codebook (codebook TEXT, key TEXT, name TEXT NOT NULL, parent TEXT, definition TEXT, include TEXT,
                       exclude TEXT, group_name TEXT, PRIMARY KEY (codebook, key));
CREATE TABLE counts (measure TEXT NOT NULL, item TEXT NOT NULL, dimension TEXT NOT NULL, value TEXT,
                     n INTEGER, shown TEXT NOT NULL, suppressed INTEGER NOT NULL);
CREATE INDEX counts_lookup ON counts(measure, dimension, item, value);
CREATE INDEX counts_item ON counts(item, dimension);
CREATE TABLE recommendations (id INTEGER PRIMARY KEY, recommendation TEXT NOT NULL, status TEXT, response TEXT,
                              outcome TEXT, created TEXT, responded TEXT);
CREATE TABLE recommendation_evidence (recommendation_id INTEGER NOT NULL REFERENCES recommendations(id),
                                      theme_number INTEGER, theme TEXT, segment_id INTEGER, quote TEXT);
CREATE INDEX recommendation_evidence_rec ON recommendation_evidence(recommendation_id);
CREATE INDEX recommendation_evidence_theme ON recommendation_evidence(theme_number);
"""
