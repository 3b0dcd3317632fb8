"""Build public.db: what commissioners may see, and nothing else.

Rebuilt from scratch every time into a temporary file beside the target, then renamed
over it, so a reader never sees half a database and nothing from an earlier build
survives. What goes in:

- quotes: redacted text of publishable segments (consenting, not withdrawn, not
  interviewer turns, groups of at least `min_group`: by default the disclosure rule's
  threshold when attributes are published), with question, month, role, accepted
  codes, theme, sentiment and only the attributes named as publishable; each under a
  keyed quote number (quote_ids.py), never its segment id, and stored in quote-number
  order, so neither the numbers nor the file's layout give the review's order away;
- codebook: names and definitions; themes: redacted labels and key terms, with their
  representative quotes re-checked against today's consent and redaction;
- counts: themes and codes by question, month and each publishable attribute, under
  NHS disclosure control (1-7 suppressed, others rounded to 5, secondary suppression
  so totals give nothing back);
- the evidence ledger: recommendations, their themes and quotes, responses, outcomes;
- meta: when it was published, by which rapidreview and detectors, under which
  disclosure rule (the dashboard's recounts read it).

Every text that is not a quote (labels, key terms, code names and definitions, the
ledger, questions, attribute values) goes through `privacy.free_text_redactor(db)`:
the review's own privacy config and the names it knows, as its documents were read.

Never: original text, speaker names, respondent, document or segment ids, exact dates,
or an attribute nobody marked publishable.
"""

from __future__ import annotations

import contextlib
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

from .. import __version__, privacy, store
from ..codebook import codebook_from_db, codebook_names
from ..errors import RapidReviewError
from ..privacy import NHS_RULE, DisclosureRule
from ..privacy.quotes import MISSING, publishable_segment_batches
from ..privacy.redact import VERSION as DETECTOR_VERSION
from ..themes import get_run
from ..themes.context import SENTIMENT_WORDS
from . import config, ledger, quote_ids

QUOTE_COLUMNS = ["quote_id", "text", "question", "month", "role", "codes", "theme_number", "theme", "sentiment"]
# Copied into quote_codes beside each code: a code's quotes filtered by these (and the
# published attributes) are found in its own rows, without reading every quote of the code.
FILTER_COLUMNS = ["question", "month", "sentiment"]
RESERVED = {c.casefold() for c in [*QUOTE_COLUMNS, "segment_id"]}  # no attribute may take these names


class PublishError(RapidReviewError):
    """The review cannot be published as asked."""


@dataclass
class PublishOptions:
    publishable: list[str] = field(default_factory=list)  # attribute names that may appear
    # Withhold quotes from groups (by the publishable attributes) of fewer respondents than this.
    # None: the rule's threshold when attributes are published (privacy by default), else 0.
    min_group: int | None = None
    run_id: int | None = None  # theme run to publish; the latest by default
    rule: DisclosureRule = NHS_RULE
    title: str = "Rapid review"  # the rest: Datasette metadata
    description: str | None = None
    source: str | None = None
    source_url: str | None = None
    licence: str = "OGL-UK-3.0"
    metadata_path: str | None = None  # default: PUBLIC.metadata.json beside public.db

    def group_floor(self, attrs: list[str]) -> int:
        """The min_group publish applies: counts are counts of published quotes, so anyone
        can count a small group's quotes exactly; only withholding them protects it."""
        if self.min_group is not None:
            return self.min_group
        return self.rule.threshold if attrs else 0


@dataclass
class PublishResult:
    path: str
    metadata_path: str
    tables: dict
    seconds: float
    withheld_quotes: int = 0
    min_group: int = 0
    warnings: list[str] = field(default_factory=list)

    def message(self) -> str:
        parts = ", ".join(f"{n} {t}" for t, n in self.tables.items())
        withheld = (f"{self.withheld_quotes} quotes withheld (groups of fewer than {self.min_group} respondents)"
                    if self.min_group else "no small groups withheld")
        return f"Published {self.path} in {self.seconds:.1f}s: {parts}; {withheld}. Datasette metadata: {self.metadata_path}"


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
    quote_ids.ensure_key(db)  # a write: before the read snapshot
    min_group = options.group_floor(attrs)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=public_path.name + ".", suffix=".tmp", dir=public_path.parent)
    os.close(fd)
    try:
        with _snapshot(db):
            tables, content = write(Path(tmp), db, attrs, options)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; public.db is for a web server to read
        os.replace(tmp, public_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    meta_path = Path(options.metadata_path or public_path.with_suffix(".metadata.json"))
    clean = privacy.free_text_redactor(db)  # titles are typed by people: redacted as the report's are
    meta = config.metadata(public_path.stem, publishable=attrs, title=clean(options.title),
                           description=clean(options.description), source=clean(options.source),
                           source_url=options.source_url, licence=options.licence, n_quotes=tables["quotes"],
                           rule=options.rule)
    _write_atomic(meta_path, json.dumps(meta, indent=2, ensure_ascii=False))
    result = PublishResult(str(public_path), str(meta_path), tables, time.perf_counter() - t0, content["withheld"],
                           min_group, _warnings(attrs, min_group, options.rule))
    with store.transaction(db):
        store.log_event(db, "publish", {"path": str(public_path), "publishable": attrs,
                                        "min_group": min_group, "run_id": content["run_id"],
                                        "tables": tables}, actor)
    return result


def _warnings(attrs: list[str], min_group: int, rule: DisclosureRule) -> list[str]:
    """Said when small groups' quotes go out: only an explicit min_group below the rule's
    threshold does that (the default withholds them)."""
    if not attrs or min_group >= rule.threshold:
        return []
    return [f"quotes from groups of {max(min_group, 1)} to {rule.threshold - 1} respondents (by {', '.join(attrs)}) "
            f"are published (min_group {min_group}): anyone can count them exactly in quotes.csv. "
            f"Leave --min-group out to withhold them."]


@contextlib.contextmanager
def _snapshot(db):
    """One read transaction for the whole build: the review is read in many batches, and
    a withdrawal or import meanwhile must not leave counts and quotes disagreeing."""
    if db.conn.in_transaction:
        yield
        return
    db.execute("BEGIN")
    try:
        yield
    finally:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")  # nothing was written: ending the read


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
    clash = [a for a in requested if a.casefold() in RESERVED]
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
#
# The review is read in batches of segments (keyset on the segment id) and each batch is
# written out before the next is read: memory holds one batch, the counts (a cell per
# item and value) and the few quotes that themes and the ledger point to, never the
# whole review. Theme labels need the whole of the published text (a label word from a
# withdrawn respondent must not survive), so quotes are written with the labels as they
# would be if every word survived, and the rare theme whose label changes is updated.


def gather(db: sqlite_utils.Database, attrs: list[str], options: PublishOptions) -> dict:
    """Everything public.db will hold, as rows in memory (for reports of a review that fits
    in memory; `publish` streams the same rows into public.db with `stream`)."""
    quotes, codings = [], []

    def keep(rows, codes):
        quotes.extend(rows)
        codings.extend(codes)

    content = stream(db, attrs, options, keep)
    for r in quotes:
        r["theme"] = content["labels"].get(r["theme_number"])
    return {**content, "quotes": quotes, "quote_codes": codings}


def stream(db: sqlite_utils.Database, attrs: list[str], options: PublishOptions, write_quotes) -> dict:
    """Read the review batch by batch, calling `write_quotes(rows, codings)` with each
    batch's quotes (labelled provisionally: see above) and (segment id, code) pairs.
    Returns the rest: themes, final labels, codebook, counts, theme quotes, ledger."""
    run = _run(db, options.run_id)
    clean = privacy.free_text_redactor(db)  # labels, codebook, ledger: with the review's config and names
    codes = AcceptedCodes(db, clean)
    provisional = {t["number"]: t["label"] for t in _theme_labels(run, None, clean)} if run else {}
    recs = ledger.list_all(db)
    wanted = {q["segment_id"] for t in (run["themes"] if run else []) for q in t["quotes"] or []
              if q.get("segment_id")} | {seg for rec in recs for seg in rec["quotes"]}
    vocab = Vocabulary(_theme_phrases(run) if run else [])
    tally = Tally(["all", "question", "month", *attrs, "sentiment"])
    quoted_text, withheld = {}, 0  # quoted_text: only the quotes themes and the ledger point to
    for batch in publishable_segment_batches(db, group_attr=attrs, min_group=options.group_floor(attrs),
                                             include_withheld=True):
        rows, code_ids = _rows(db, batch, attrs, run, codes, provisional, clean)
        quoted = [r for r in rows if not r.pop("withheld")]
        # Counts cover the quotes and nothing else: a withheld group's answers counted under
        # disclosure control would still come back as counts minus the published quotes.
        tally.add(quoted, code_ids, codes.names)
        withheld += len(rows) - len(quoted)
        vocab.update(r["text"] for r in quoted)
        quoted_text.update((r["segment_id"], r["text"]) for r in quoted if r["segment_id"] in wanted)
        write_quotes(quoted, [(r["segment_id"], name) for r in quoted
                              for name in sorted({codes.names[c] for c in code_ids.get(r["segment_id"], ())})])
    themes = _themes(db, run, set(quoted_text), vocab, clean) if run else []
    labels = {t["number"]: t["label"] for t in themes}
    counts = tally.controlled(options.rule, labels)
    totals = {c["item"]: c for c in counts if c["measure"] == "theme" and c["dimension"] == "all"}
    for t in themes:
        c = totals.get(t["label"])
        t["size"], t["size_shown"] = (c["n"], c["shown"]) if c else (0, "0")
    return {"themes": themes, "labels": labels, "provisional": provisional, "codebook": _codebook(db, clean),
            "counts": counts, "theme_quotes": [q for t in themes for q in t.pop("quotes")],
            "ledger": _ledger(recs, run, labels, quoted_text, clean),
            "run_id": run["id"] if run else None, "withheld": withheld}


def _rows(db, batch: list[dict], attrs: list[str], run, codes: "AcceptedCodes", labels: dict, clean):
    """One batch of publishable segments as quotes rows (with `withheld`), and their code ids."""
    if not batch:
        return [], {}
    span = [batch[0]["segment_id"], batch[-1]["segment_id"]]
    docs = {s: (q, d) for s, q, d in db.execute(
        "SELECT s.id, d.question, d.date FROM segments s JOIN documents d ON d.id = s.document_id "
        "WHERE s.id BETWEEN ? AND ?", span)}
    theme_of = _theme_members(db, run["id"], span) if run else {}
    code_ids, sentiment = codes.between(*span)
    rows = []
    for s in batch:
        question, date = docs[s["segment_id"]]
        number = theme_of.get(s["segment_id"])
        rows.append({"segment_id": s["segment_id"], "text": s["text"], "question": clean(question) or MISSING,
                     "month": (date or "")[:7] or MISSING, "role": s["role"],
                     "codes": "; ".join(sorted({codes.names[c] for c in code_ids.get(s["segment_id"], ())})),
                     "theme_number": number, "theme": labels.get(number), "sentiment": sentiment.get(s["segment_id"]),
                     # Attribute values are chosen by the researcher, but a free-text column marked
                     # publishable by mistake must still not carry a phone number or a name.
                     **{a: clean(s["group"].get(a, MISSING)) for a in attrs}, "withheld": s["withheld"]})
    return rows, code_ids


class AcceptedCodes:
    """Accepted codings only (a suggestion nobody accepted is not a finding), read a range
    of segments at a time. Sentiment codes become the sentiment column, not codes."""

    def __init__(self, db, clean):
        self.db, self.names, self.sentiment_ids = db, {}, set()
        for cid, name, group, parent in db.execute(
                "SELECT c.id, c.name, c.group_name, p.name FROM codes c LEFT JOIN codes p ON p.id = c.parent_id "
                "WHERE c.archived = 0"):
            self.names[cid] = clean(name)  # as published: a code named after a person must not name them
            if "sentiment" in {(group or "").casefold(), (parent or "").casefold()} or \
                    name.casefold() in SENTIMENT_WORDS:
                self.sentiment_ids.add(cid)

    def between(self, first: int, last: int) -> tuple[dict, dict]:
        """(segment id -> code ids, segment id -> sentiment name) for segments first..last."""
        codes, sentiment = defaultdict(set), {}
        for seg, code in self.db.execute("""
                SELECT s.id, c.code_id FROM segments s JOIN codings c ON c.document_id = s.document_id
                WHERE s.id BETWEEN ? AND ? AND c.status = 'accepted'
                  AND (c.segment_id = s.id OR (c.segment_id IS NULL AND c.start < s."end" AND c."end" > s.start))
                ORDER BY s.id, c.id""", [first, last]):
            if code not in self.names:
                continue
            if code in self.sentiment_ids:
                sentiment[seg] = self.names[code]  # the latest accepted sentiment coding
            else:
                codes[seg].add(code)
        return codes, sentiment


class Tally:
    """Counts for the controlled tables, added to batch by batch: one cell per
    (dimension, measure, item, value), so its size grows with items, not segments."""

    def __init__(self, dimensions: list[str]):
        self.dimensions = dimensions
        self.cells: Counter = Counter()  # (dimension, measure, item, value) -> n, in order of first sight

    def add(self, rows: list[dict], code_ids: dict, names: dict) -> None:
        keys = []
        for r in rows:
            columns = [("all", "All")] + [(d, MISSING if r[d] is None else r[d]) for d in self.dimensions[1:]]
            if r["theme_number"] is not None:
                keys += [(d, "theme", r["theme_number"], c) for d, c in columns]
            for code in code_ids.get(r["segment_id"], ()):
                keys += [(d, "code", names[code], c) for d, c in columns]
        self.cells.update(keys)

    def controlled(self, rule, labels: dict) -> list[dict]:
        """Controlled two-way tables: (theme | code) x (all | question | month | attribute | sentiment)."""
        tables = {(d, m): defaultdict(dict) for d in self.dimensions for m in ("theme", "code")}
        for (d, measure, item, value), n in self.cells.items():
            tables[(d, measure)][item][value] = n
        out = []
        for d in self.dimensions:
            for measure in ("theme", "code"):
                table = tables[(d, measure)]
                if measure == "theme":  # themes are counted by number, published by label
                    table = {labels[n]: cells for n, cells in table.items() if n in labels}
                if not table:
                    continue
                # Rows and columns sorted: in the order first seen they would tell which
                # service or month the review's first answers came from.
                values = sorted({v for cells in table.values() for v in cells})
                table = {item: {v: table[item].get(v, 0) for v in values} for item in sorted(table)}
                controlled = privacy.control_table(table, rule, row_totals=d != "all")
                for item, cells in [*controlled["rows"].items(), ("Total", controlled["totals"])]:
                    for value, cell in cells.items():
                        out.append({"measure": measure, "item": item, "dimension": d, "value": value,
                                    "n": cell.value, "shown": cell.display, "suppressed": int(cell.suppressed)})
        return out


def _run(db, run_id):
    if run_id is None and db.execute("SELECT count(*) FROM theme_runs").fetchone()[0] == 0:
        return None  # no themes yet: publish quotes, codes and counts
    return get_run(db, run_id)


def _theme_members(db, run_id: int, span: list[int]) -> dict[int, int]:
    return dict(db.execute("SELECT m.segment_id, t.number FROM theme_members m JOIN themes t ON t.id = m.theme_id "
                           "WHERE t.run_id = ? AND m.segment_id BETWEEN ? AND ? ORDER BY m.weight",
                           [run_id, *span]).fetchall())


WORD = re.compile(r"\w+")


class Vocabulary:
    """The words (and 4-letter stems) of the published quotes, kept only for the words
    that theme labels and key terms use: enough to judge them, whatever the corpus size."""

    def __init__(self, phrases):
        self.wanted = {w for p in phrases for w in WORD.findall(p.casefold())}
        self.wanted_stems = {w[:4] for w in self.wanted if len(w) >= 4}
        self.words, self.stems = set(), set()

    def update(self, texts) -> None:
        found = set(WORD.findall(" ".join(texts).casefold()))
        self.words |= found & self.wanted
        self.stems |= {w[:4] for w in found if len(w) >= 4} & self.wanted_stems

    def has(self, phrase: str) -> bool:
        """True when every word of `phrase` (or its stem) occurs in the published quotes: a key
        term or label drawn from a respondent who has since withdrawn does not survive."""
        return all(w in self.words or (len(w) >= 4 and w[:4] in self.stems) for w in WORD.findall(phrase.casefold()))


def _theme_phrases(run: dict) -> list[str]:
    return [p for t in run["themes"] for p in [t["label"], t["auto_label"] or "", *(t["key_terms"] or [])]]


def _theme_labels(run: dict, vocab: Vocabulary | None, clean=None) -> list[dict]:
    """Each theme's published label and key terms, redacted with `clean` (the review's
    `privacy.free_text_redactor`; without one, the generic detectors only); with no
    vocabulary, as if every word of them were in the published quotes."""
    clean = clean or _generic
    out = []
    for t in run["themes"]:
        terms = [clean(k) for k in t["key_terms"] or [] if vocab is None or vocab.has(k)]
        label = t["label"]
        if label == t["auto_label"] and vocab is not None and not vocab.has(label) and t["kind"] == "theme":
            label = ", ".join(terms[:3]) or f"Theme {t['number']}"
        label = clean(label)
        if label in {o["label"] for o in out}:  # counts are keyed by label: keep labels distinct
            label = f"{label} (theme {t['number']})"
        out.append({"number": t["number"], "label": label, "kind": t["kind"], "key_terms": "; ".join(terms)})
    return out


def _generic(text):
    return privacy.redact_text(text)[0] if text else text


def _themes(db, run: dict, allowed: set, vocab: Vocabulary, clean) -> list[dict]:
    """Themes with their representative quotes that are still publishable (`allowed`)."""
    out = _theme_labels(run, vocab, clean)
    for theme, t in zip(out, run["themes"]):
        theme["quotes"] = []
        for q in t["quotes"] or []:
            if q.get("segment_id") in allowed:
                theme["quotes"].append({"theme_number": t["number"], "rank": len(theme["quotes"]) + 1,
                                        "segment_id": q["segment_id"],
                                        "text": privacy.quote(db, q["document_id"], q["start"], q["end"])})
    return out


def _codebook(db, clean) -> list[dict]:
    rows = []

    def walk(book, code, parent):
        rows.append({"codebook": book, "key": code.key, "name": clean(code.name), "parent": parent,
                     "definition": clean(code.description), "include": clean(code.include),
                     "exclude": clean(code.exclude), "group_name": clean(code.group)})
        for child in code.children:
            walk(book, child, clean(code.name))

    for name in codebook_names(db):
        for code in codebook_from_db(db, name).codes:
            walk(clean(name), code, None)
    return rows


def _ledger(recommendations: list[dict], run, labels: dict, quote_text: dict, clean) -> dict:
    recs, evidence = [], []
    for rec in recommendations:
        recs.append({"id": rec["id"], "recommendation": clean(rec["text"]), "status": rec["status"],
                     "response": clean(rec["response"]), "outcome": clean(rec["outcome"]),
                     "created": (rec["created_at"] or "")[:10], "responded": (rec["responded_at"] or "")[:10] or None})
        for t in rec["themes"]:
            same_run = run is not None and t["run"] == run["id"] and t["number"] in labels
            evidence.append({"recommendation_id": rec["id"], "theme_number": t["number"] if same_run else None,
                             "theme": labels[t["number"]] if same_run else clean(t["label"]),
                             "segment_id": None, "quote": None})
        for seg in rec["quotes"]:
            if seg in quote_text:  # a quote since withdrawn or withheld is not shown
                evidence.append({"recommendation_id": rec["id"], "theme_number": None, "theme": None,
                                 "segment_id": seg, "quote": quote_text[seg]})
    return {"recommendations": recs, "evidence": evidence}


# ---------------------------------------------------------------- writing public.db


def write(path: Path, db: sqlite_utils.Database, attrs: list[str], options: PublishOptions) -> tuple[dict, dict]:
    """Stream the review into a new public.db at `path`: (rows per table, what `stream` returned)."""
    numbers = quote_ids.QuoteNumbers(db)
    conn = create(path, attrs)
    try:
        content = stream(db, attrs, options, lambda rows, codes: insert_quotes(conn, attrs, rows, codes, numbers))
        insert_rest(conn, content, numbers)
        insert_meta(conn, options, options.group_floor(attrs))
        return finish(conn, attrs, relabel={n: label for n, label in content["labels"].items()
                                            if label != content["provisional"].get(n)}), content
    finally:
        conn.close()
        _stage_path(path).unlink(missing_ok=True)


def _stage_path(path: Path) -> Path:
    return path.with_name(path.name + ".stage.tmp")


def create(path: Path, attrs: list[str]) -> sqlite3.Connection:
    """An empty public.db (tables only: indexes are built once the rows are in), with a
    staging database attached as `stage` that quotes are written to as they are read."""
    conn = sqlite3.connect(path)
    # A temporary file, renamed into place only once complete: no journal needed.
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute(f"PRAGMA application_id = {store.PUBLIC_APP_ID}")
    conn.executescript(_schema(attrs))
    # Quotes arrive in the review's order; public.db must not keep it, not even in where a
    # row sits in its page. They wait in the stage (keyed by quote number) and are copied
    # into public.db in quote-number order at the end (`finish`).
    stage = _stage_path(path)
    stage.unlink(missing_ok=True)
    conn.execute("ATTACH DATABASE ? AS stage", [str(stage)])
    conn.execute("PRAGMA stage.journal_mode = OFF")
    conn.execute("PRAGMA stage.synchronous = OFF")
    conn.executescript(_quote_tables(attrs, "stage", keyed=False))
    conn.execute("BEGIN")
    return conn


def insert_quotes(conn, attrs: list[str], rows: list[dict], codings: list[tuple], numbers) -> None:
    """A batch of quotes (rows keyed by segment id, as `stream` reads them), and their
    (segment id, code) pairs with the quote's filter columns, into the stage under their
    quote numbers (`numbers.many`: segment ids -> quote numbers, as QuoteNumbers)."""
    for r, number in zip(rows, numbers.many([r["segment_id"] for r in rows])):
        r["quote_id"] = number
    _insert(conn, "quotes", QUOTE_COLUMNS + attrs, rows, schema="stage")
    by_id = {r["segment_id"]: r for r in rows}
    columns = ["quote_id", "code", *FILTER_COLUMNS, *attrs]
    conn.executemany(f"INSERT INTO stage.quote_codes ({', '.join(map(_ident, columns))}) "
                     f"VALUES ({', '.join('?' * len(columns))})",
                     ((by_id[seg]["quote_id"], code, *(by_id[seg][c] for c in columns[2:])) for seg, code in codings))


def insert_rest(conn, content: dict, numbers) -> None:
    """Everything but the quotes: small tables. Theme and ledger quotes by quote number."""
    def numbered(rows):
        ids = iter(numbers.many([r["segment_id"] for r in rows if r["segment_id"] is not None]))
        return [{**r, "quote_id": next(ids) if r["segment_id"] is not None else None} for r in rows]

    _insert(conn, "themes", ["number", "label", "kind", "key_terms", "size", "size_shown"], content["themes"])
    _insert(conn, "theme_quotes", ["theme_number", "rank", "quote_id", "text"], numbered(content["theme_quotes"]))
    _insert(conn, "codebook", ["codebook", "key", "name", "parent", "definition", "include", "exclude",
                               "group_name"], content["codebook"])
    _insert(conn, "counts", ["measure", "item", "dimension", "value", "n", "shown", "suppressed"], content["counts"])
    _insert(conn, "recommendations", ["id", "recommendation", "status", "response", "outcome", "created",
                                      "responded"], content["ledger"]["recommendations"])
    _insert(conn, "recommendation_evidence", ["recommendation_id", "theme_number", "theme", "quote_id", "quote"],
            numbered(content["ledger"]["evidence"]))


def insert_meta(conn, options: PublishOptions, min_group: int) -> None:
    """The one row saying how this public.db was made: the dashboard recounts filtered
    quotes under the same disclosure rule, and a reader can tell which rule that was."""
    rule = options.rule
    conn.execute("INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 [store.now(), __version__, DETECTOR_VERSION, rule.threshold, rule.round_to, int(rule.suppress_zero),
                  rule.marker, rule.secondary_marker, min_group])


def finish(conn, attrs: list[str], relabel: dict | None = None) -> dict:
    """Final theme labels, quotes copied from the stage in quote-number order, indexes,
    the full-text index; returns rows per table."""
    for number, label in (relabel or {}).items():
        conn.execute("UPDATE stage.quotes SET theme = ? WHERE theme_number = ?", [label, number])
    # One sort each (SQLite's external sorter: bounded memory) into public.db's key order.
    conn.execute("INSERT INTO main.quotes SELECT * FROM stage.quotes ORDER BY quote_id")
    conn.execute("INSERT INTO main.quote_codes SELECT * FROM stage.quote_codes ORDER BY code, quote_id")
    conn.commit()
    conn.execute("DETACH DATABASE stage")
    conn.executescript(_indexes(attrs))
    conn.execute("INSERT INTO quotes_fts (quotes_fts) VALUES ('rebuild')")
    conn.commit()
    # Indexes built after the rows leave little free space.
    free, pages = conn.execute("PRAGMA freelist_count").fetchone()[0], conn.execute("PRAGMA page_count").fetchone()[0]
    if free > pages // 10:
        conn.execute("VACUUM")
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in ("quotes", "themes", "codebook", "counts", "recommendations")}


def _insert(conn, table: str, columns: list[str], rows: list[dict], schema: str = "main") -> None:
    sql = 'INSERT INTO {}."{}" ({}) VALUES ({})'.format(schema, table, ", ".join(f'"{c}"' for c in columns),
                                                        ", ".join("?" * len(columns)))
    conn.executemany(sql, ([r.get(c) for c in columns] for r in rows))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_tables(attrs: list[str], schema: str = "main", keyed: bool = True) -> str:
    """quotes and quote_codes; unkeyed (heaps, for the stage: appending is cheap, sorting
    once at the end is cheaper than a b-tree insert in random key order per row)."""
    attr_cols = "".join(f",\n    {_ident(a)} TEXT" for a in attrs)
    key, codes_key = ("PRIMARY KEY", ",\n PRIMARY KEY (code, quote_id)) WITHOUT ROWID") if keyed else ("", ")")
    return f"""
CREATE TABLE {schema}.quotes (
    quote_id INTEGER {key},
    text TEXT NOT NULL,
    question TEXT,
    month TEXT,
    role TEXT,
    codes TEXT,
    theme_number INTEGER,
    theme TEXT,
    sentiment TEXT{attr_cols}
);
CREATE TABLE {schema}.quote_codes (quote_id INTEGER NOT NULL REFERENCES quotes(quote_id), code TEXT NOT NULL,
                                   question TEXT, month TEXT, sentiment TEXT{attr_cols}{codes_key};
"""


def _schema(attrs: list[str]) -> str:
    return _quote_tables(attrs) + """
CREATE VIRTUAL TABLE quotes_fts USING fts5(text, content='quotes', content_rowid='quote_id',
                                           tokenize='porter unicode61');
CREATE TABLE themes (number INTEGER PRIMARY KEY, label TEXT NOT NULL, kind TEXT, key_terms TEXT, size INTEGER,
                     size_shown TEXT);
CREATE TABLE theme_quotes (theme_number INTEGER NOT NULL REFERENCES themes(number), rank INTEGER NOT NULL,
                           quote_id INTEGER REFERENCES quotes(quote_id), text TEXT NOT NULL,
                           PRIMARY KEY (theme_number, rank));
CREATE TABLE codebook (codebook TEXT, key TEXT, name TEXT NOT NULL, parent TEXT, definition TEXT, include TEXT,
                       exclude TEXT, group_name TEXT, PRIMARY KEY (codebook, key));
CREATE TABLE counts (measure TEXT NOT NULL, item TEXT NOT NULL, dimension TEXT NOT NULL, value TEXT,
                     n INTEGER, shown TEXT NOT NULL, suppressed INTEGER NOT NULL);
CREATE TABLE recommendations (id INTEGER PRIMARY KEY, recommendation TEXT NOT NULL, status TEXT, response TEXT,
                              outcome TEXT, created TEXT, responded TEXT);
CREATE TABLE recommendation_evidence (recommendation_id INTEGER NOT NULL REFERENCES recommendations(id),
                                      theme_number INTEGER, theme TEXT, quote_id INTEGER, quote TEXT);
CREATE TABLE meta (published_at TEXT NOT NULL, rapidreview_version TEXT NOT NULL, detector_version TEXT NOT NULL,
                   threshold INTEGER NOT NULL, round_to INTEGER NOT NULL, suppress_zero INTEGER NOT NULL,
                   marker TEXT NOT NULL, secondary_marker TEXT NOT NULL, min_group INTEGER NOT NULL);
"""


def _indexes(attrs: list[str]) -> str:
    """Built after the rows are in (faster, and compact): one behind every canned query."""
    # Each filter column leads an index that also holds theme, sentiment and month, so the
    # dashboard counts a filtered overview from the index alone (15x faster at 1M quotes).
    attr_idx = "".join(f"CREATE INDEX {_ident('quotes_attr_' + str(i))} ON quotes({_ident(a)}, theme_number, "
                       "sentiment, month);\n" for i, a in enumerate(attrs))
    filters = "".join(f", {_ident(a)}" for a in attrs)
    # A theme's quotes in quote-number order (ORDER BY and keyset paging free), with every
    # filter column in the index: a rare question or month is found without reading rows.
    return f"""
CREATE INDEX quotes_theme ON quotes(theme_number, quote_id, question, month, sentiment{filters});
CREATE INDEX quotes_question ON quotes(question, theme_number, sentiment, month);
CREATE INDEX quotes_month ON quotes(month, theme_number, sentiment);
CREATE INDEX quotes_sentiment ON quotes(sentiment);
{attr_idx}
CREATE INDEX counts_lookup ON counts(measure, dimension, item, value);
CREATE INDEX counts_item ON counts(item, dimension);
CREATE INDEX recommendation_evidence_rec ON recommendation_evidence(recommendation_id);
CREATE INDEX recommendation_evidence_theme ON recommendation_evidence(theme_number);
"""
