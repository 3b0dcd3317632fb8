"""Reading public.db for the commissioners' dashboard: themes with their counts, trends,
sentiment, quotes page by page, the codebook and the evidence ledger.

    from rapidreview.publish import explore
    f = explore.Filters.from_args({"attr.Service": "GP", "from": "2025-01"}, explore.attributes(conn))
    overview = explore.overview(conn, f)
    page = explore.quotes_page(conn, f, theme=3, after=1200)

Plain functions over a sqlite3 connection to a public.db, returning dicts ready for JSON
or a template; the Datasette plugin only renders them. Counts are never recomputed in a
way that could give a suppressed number back: with no filter (or one a published count
table answers) they come from `counts` as published; otherwise they are counts of
published quotes put through the same disclosure control before anyone sees them.
Quote lists are in quote-number order (keyed numbers: the order says nothing about who
said what) with keyset pagination (after/before a quote number) so page 1,000 costs what
page 1 does.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field, replace

from .. import store
from ..errors import RapidReviewError
from ..privacy import NHS_RULE, DisclosureRule, control_table
from ..privacy.quotes import MISSING
from .build import QUOTE_COLUMNS

PAGE_SIZE = 20
TREND_THEMES = 5  # lines drawn on the overview trend chart besides the total
COUNT_CAP = 10_000  # matching quotes counted exactly up to this, "more than" beyond (keeps a page fast)
SEARCH_COUNT_CAP = 20_000  # searches matching more are not counted by theme (~0.5 s per 20k matches at 1M quotes)
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class DashboardError(RapidReviewError):
    """A dashboard request that cannot be answered as asked (bad filter, unknown theme)."""


def is_public(conn: sqlite3.Connection) -> bool:
    """True for a public.db that `rapidreview publish` built."""
    return conn.execute("PRAGMA application_id").fetchone()[0] == store.PUBLIC_APP_ID


def attributes(conn: sqlite3.Connection) -> list[str]:
    """The publishable attribute columns of quotes (e.g. Service), in table order."""
    columns = [r[1] for r in conn.execute("PRAGMA table_info(quotes)")]
    if "quote_id" not in columns:  # numbered by segment id: a leak, not worth reading around
        raise DashboardError("this public.db was built by an older rapidreview, which numbered quotes in the "
                             "review's order: run `rapidreview publish` again.")
    return [c for c in columns if c not in QUOTE_COLUMNS]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------- filters


@dataclass
class Filters:
    question: str | None = None
    month_from: str | None = None
    month_to: str | None = None
    sentiment: str | None = None
    attrs: dict = field(default_factory=dict)  # publishable attribute -> value
    search: str | None = None

    @classmethod
    def from_args(cls, args, known_attrs: list[str]) -> Filters:
        """From query-string arguments: question, from, to, sentiment, q, and attr.NAME per attribute."""
        def get(name):
            value = (args.get(name) or "").strip()
            return value or None

        month_from, month_to = get("from"), get("to")
        for m in (month_from, month_to):
            if m and not MONTH.match(m):
                raise DashboardError(f"month {m!r} is not of the form YYYY-MM (e.g. 2025-03).")
        attrs = {}
        for key in args:
            if key.startswith("attr."):
                name = key[5:]
                if name not in known_attrs:
                    raise DashboardError(f"no published attribute {name!r}; these are: {', '.join(known_attrs)}.")
                if get(key):
                    attrs[name] = get(key)
        return cls(question=get("question"), month_from=month_from, month_to=month_to, sentiment=get("sentiment"),
                   attrs=attrs, search=get("q"))

    def args(self) -> dict:
        """The query-string arguments that give these filters back (empty ones left out)."""
        out = {"question": self.question, "from": self.month_from, "to": self.month_to,
               "sentiment": self.sentiment, "q": self.search,
               **{f"attr.{k}": v for k, v in self.attrs.items()}}
        return {k: v for k, v in out.items() if v}

    def is_empty(self) -> bool:
        return not self.args()

    def single_dimension(self) -> tuple[str, str] | None:
        """(dimension, value) when the filters are exactly one that public.db's counts table
        answers: one question, one month or one attribute value."""
        args = self.args()
        if len(args) == 1 and self.question:
            return "question", self.question
        if len(args) == 1 and len(self.attrs) == 1:
            return next(iter(self.attrs.items()))
        if set(args) == {"from", "to"} and self.month_from == self.month_to:
            return "month", self.month_from
        return None


def fts_query(text: str) -> str:
    """Words the user typed as an FTS5 query: each word quoted (so punctuation and
    operators are plain text) and all required; a trailing * keeps prefix search."""
    terms = []
    for word in text.split():
        star = word.endswith("*") and len(word) > 1
        word = word.rstrip("*").replace('"', '""')
        if word:
            terms.append(f'"{word}"' + ("*" if star else ""))
    if not terms:
        raise DashboardError("the search has no words in it.")
    return " ".join(terms)


@dataclass
class _Query:
    source: str  # FROM clause; quotes is always q
    key: str  # the quote number column that drives the scan, for keyset pagination
    where: list
    params: list


def _query(f: Filters, *, theme: int | None = None, code: str | None = None) -> _Query:
    """FROM and WHERE for quotes matching the filters. A search is driven by the full-text
    index, a code by quote_codes' primary key, otherwise by quotes' own indexes."""
    where, params = [], []
    if f.search:
        source, key = "quotes_fts JOIN quotes q ON q.quote_id = quotes_fts.rowid", "quotes_fts.rowid"
        where.append("quotes_fts MATCH ?")
        params.append(fts_query(f.search))
        if code is not None:
            where.append("EXISTS (SELECT 1 FROM quote_codes c WHERE c.code = ? AND c.quote_id = q.quote_id)")
            params.append(code)
    elif code is not None:
        source, key = "quote_codes c JOIN quotes q ON q.quote_id = c.quote_id", "c.quote_id"
        where.append("c.code = ?")
        params.append(code)
    elif theme is not None:
        # The theme's index holds every filter column: reading only it beats any index led by
        # one filter, which would then fetch each quote to check the others.
        source, key = "quotes q INDEXED BY quotes_theme", "q.quote_id"
    else:
        source, key = "quotes q", "q.quote_id"
    if theme is not None:
        where.append("q.theme_number = ?")
        params.append(theme)
    for column, op, value in [("question", "=", f.question), ("month", ">=", f.month_from),
                              ("month", "<=", f.month_to), ("sentiment", "=", f.sentiment),
                              *[(a, "=", v) for a, v in f.attrs.items()]]:
        if value is not None:
            where.append(f"q.{_ident(column)} {op} ?")
            params.append(value)
    return _Query(source, key, where, params)


def _where_sql(where: list) -> str:
    return (" WHERE " + " AND ".join(where)) if where else ""


# ---------------------------------------------------------------- counts


def describe(shown: str | None) -> str:
    """A controlled count in words, for people and screen readers."""
    if shown is None or shown == "":
        return "none"
    if shown.startswith("<"):
        return f"fewer than {shown[1:]}"
    if not shown.isdigit():
        return "hidden (so that a small number cannot be worked out)"
    return shown


def _cell(n, shown, suppressed) -> dict:
    return {"n": n, "shown": shown, "suppressed": bool(suppressed), "text": describe(shown)}


def disclosure_rule(conn: sqlite3.Connection) -> DisclosureRule:
    """The rule public.db's counts were built with (its meta table), so a recount is no
    finer than the published counts; NHS_RULE for a public.db published before meta."""
    try:
        row = conn.execute("SELECT threshold, round_to, suppress_zero, marker, secondary_marker FROM meta").fetchone()
    except sqlite3.OperationalError:
        return NHS_RULE
    if row is None:
        return NHS_RULE
    return DisclosureRule(threshold=row[0], round_to=row[1], suppress_zero=bool(row[2]), marker=row[3],
                          secondary_marker=row[4])


def rule_text(rule: DisclosureRule) -> str:
    """The disclosure rule in words, as the dashboard states it beside its counts: the rule
    public.db was published under (`disclosure_rule`), not NHS_RULE whatever was used."""
    low, high = (0 if rule.suppress_zero else 1), rule.threshold - 1
    if high < low:
        small = "no count hidden for being small"
    else:
        shown = describe(rule.marker) if rule.marker.startswith("<") else rule.marker
        small = f"{low} shown as “{shown}”" if high == low else f"{low} to {high} shown as “{shown}”"
    rounding = f"others rounded to the nearest {rule.round_to}" if rule.round_to > 1 else "others exact"
    hidden = ", and some hidden so that a small number cannot be worked out" if high >= low else ""
    return f"{small}, {rounding}{hidden}"


def _controlled(conn, table: dict, *, row_totals: bool, column_totals: bool) -> dict:
    rule = disclosure_rule(conn)
    out = control_table(table, rule, row_totals=row_totals, column_totals=column_totals) if table else {"rows": {}}
    conv = {r: {c: _cell(v.value, v.display, v.suppressed) for c, v in cells.items()}
            for r, cells in out["rows"].items()}
    if "totals" in out:
        conv["Total"] = {c: _cell(v.value, v.display, v.suppressed) for c, v in out["totals"].items()}
    return conv


def themes(conn: sqlite3.Connection) -> list[dict]:
    """Every published theme with its overall controlled size, biggest first."""
    rows = conn.execute("SELECT number, label, kind, key_terms, size, size_shown FROM themes "
                        "ORDER BY coalesce(size, 0) DESC, number").fetchall()
    return [{"number": n, "label": label, "kind": kind, "key_terms": _split(terms),
             "count": _cell(size, shown, size is None)} for n, label, kind, terms, size, shown in rows]


def _split(terms: str | None) -> list[str]:
    return [t for t in (terms or "").split("; ") if t]


def _published_counts(conn, measure: str, dimension: str, value: str) -> dict:
    """item -> cell, from the counts table as published."""
    rows = conn.execute("SELECT item, n, shown, suppressed FROM counts WHERE measure = ? AND dimension = ? "
                        "AND value = ?", [measure, dimension, value]).fetchall()
    return {item: _cell(n, shown, s) for item, n, shown, s in rows}


def recount(conn: sqlite3.Connection, f: Filters) -> list[tuple]:
    """Published quotes matching the filters, counted by (theme number, theme, sentiment,
    month) in one pass: the raw material of a filtered overview. Raw counts: never shown
    before `_controlled` has been applied to what is derived from them."""
    query = _query(f)
    # Labels come from the themes table, not each quote: the count then reads only the
    # filter's index (theme, sentiment and month are in it), never the quotes themselves.
    sql = (f"SELECT q.theme_number, q.sentiment, q.month, count(*) FROM {query.source}"
           f"{_where_sql(query.where)} GROUP BY q.theme_number, q.sentiment, q.month")
    labels = dict(conn.execute("SELECT number, label FROM themes"))
    return [(number, labels.get(number), sentiment, month, n)
            for number, sentiment, month, n in conn.execute(sql, query.params)]


def _sum(raw: list[tuple], key) -> dict:
    out: dict = {}
    for row in raw:
        k = key(row)
        if k is not None:
            out[k] = out.get(k, 0) + row[-1]
    return out


def theme_counts(conn: sqlite3.Connection, f: Filters, raw: list[tuple] | None = None) -> dict:
    """Each theme's count under the filters: {"source", "themes": [...], "total"}.
    `raw`: recount(conn, f) when the caller has it already."""
    all_themes = themes(conn)
    single = f.single_dimension()
    if f.is_empty() or single:
        dimension, value = single or ("all", "All")
        cells = _published_counts(conn, "theme", dimension, value)
        source = "published counts"
        total = cells.get("Total") or _cell(0, "0", 0)
    else:
        per_theme = _sum(raw if raw is not None else recount(conn, f), lambda r: r[0])
        labels = {t["number"]: t["label"] for t in all_themes}
        controlled = _controlled(conn, {labels[n]: {"Quotes": c} for n, c in per_theme.items() if n in labels},
                                 row_totals=False, column_totals=True)
        cells = {label: row["Quotes"] for label, row in controlled.items()}
        source = "published quotes matching the filters, disclosure-controlled"
        total = cells.pop("Total", _cell(0, "0", 0))
    out = []
    for t in all_themes:
        cell = cells.get(t["label"]) or _cell(0, "0", 0)
        out.append({**t, "count": cell})
    # Largest first; hidden counts (some people, how many not shown) after every number
    # but before the zeros, in theme order so the order gives nothing away.
    out.sort(key=lambda t: (t["count"]["n"] == 0, t["count"]["n"] is None, -(t["count"]["n"] or 0), t["number"]))
    return {"source": source, "themes": out, "total": total}


def sentiment_split(conn: sqlite3.Connection, f: Filters, raw: list[tuple] | None = None) -> dict:
    """Controlled counts of each sentiment within each theme (and overall) under the filters:
    {"sentiments": [...], "by_theme": bool, "rows": {theme label or "Total": {sentiment: cell, "Total": cell}}}."""
    if f.is_empty():
        # Published theme x sentiment counts where public.db has them; otherwise only the
        # overall split, one index range per sentiment: splitting every theme would be a
        # pass over every quote (seconds at a million).
        rows = conn.execute("SELECT item, value, n, shown, suppressed FROM counts WHERE measure = 'theme' "
                            "AND dimension = 'sentiment'").fetchall()
        if rows:
            published: dict = {}
            for item, value, n, shown, s in rows:
                published.setdefault(item, {})[value] = _cell(n, shown, s)
            return {"sentiments": sorted({v for _, v, *_ in rows if v not in ("Total", MISSING)}),
                    "by_theme": True, "rows": published}
        overall = {s: conn.execute("SELECT count(*) FROM quotes WHERE sentiment = ?", [s]).fetchone()[0]
                   for s in _distinct(conn, "sentiment")}
        controlled = _controlled(conn, {"Total": overall}, row_totals=True, column_totals=False) if overall else {}
        return {"sentiments": sorted(overall), "by_theme": False, "rows": controlled}
    table: dict = {}
    counts = _sum(raw if raw is not None else recount(conn, f), lambda r: (r[1] or "No theme", r[2]) if r[2] else None)
    for (label, sentiment), n in counts.items():
        table.setdefault(label, {})[sentiment] = n
    sentiments = sorted({s for row in table.values() for s in row})
    return {"sentiments": sentiments, "by_theme": True,
            "rows": _controlled(conn, table, row_totals=True, column_totals=True)}


def trend(conn: sqlite3.Connection, f: Filters, *, theme_labels: list[str] | None = None,
          raw: list[tuple] | None = None, theme: int | None = None) -> dict:
    """Controlled counts by month for some themes and for all themes together:
    {"months": [...], "series": [{"label", "points": [cell per month]}], "source"}.
    With `theme` (a theme's page) a filtered trend counts that theme's quotes only, and
    has no all-themes line: the theme's own index keeps it quick."""
    month_only = not f.question and not f.sentiment and not f.attrs and not f.search
    if not month_only and theme is not None:
        query = _query(f, theme=theme)
        label = conn.execute("SELECT label FROM themes WHERE number = ?", [theme]).fetchone()
        raw = [(theme, label[0] if label else None, None, month, n) for month, n in conn.execute(
            f"SELECT q.month, count(*) FROM {query.source}{_where_sql(query.where)} GROUP BY q.month",
            query.params)]
    if month_only:
        rows = conn.execute("SELECT item, value, n, shown, suppressed FROM counts WHERE measure = 'theme' "
                            "AND dimension = 'month'").fetchall()
        table: dict = {}
        for item, month, n, shown, s in rows:
            table.setdefault(item, {})[month] = _cell(n, shown, s)
        source = "published counts"
    else:
        by_month: dict = {}
        counts = _sum(raw if raw is not None else recount(conn, f), lambda r: (r[1], r[3]) if r[1] else None)
        for (label, month), n in counts.items():
            by_month.setdefault(label, {})[month] = n
        table = _controlled(conn, by_month, row_totals=False, column_totals=True)
        source = "published quotes matching the filters, disclosure-controlled"
    months = sorted({m for row in table.values() for m in row
                     if MONTH.match(m) and (not f.month_from or m >= f.month_from)
                     and (not f.month_to or m <= f.month_to)})
    labels = [label for label in (theme_labels or []) if label in table]
    series = [{"label": "All themes" if label == "Total" else label,
               "points": [table[label].get(m) or _cell(0, "0", 0) for m in months]}
              for label in ([] if theme is not None and not month_only else ["Total"]) + labels if label in table]
    return {"months": months, "series": series, "source": source}


def options(conn: sqlite3.Connection) -> dict:
    """The values each filter can take, read from the indexes (a loose index scan: one
    seek per distinct value, so it stays fast at a million quotes)."""
    return {"questions": _distinct(conn, "question"), "months": [m for m in _distinct(conn, "month") if m != MISSING],
            "sentiments": _distinct(conn, "sentiment"),
            "attributes": {a: _distinct(conn, a) for a in attributes(conn)}}


def _distinct(conn, column: str) -> list[str]:
    c = _ident(column)
    sql = (f"WITH RECURSIVE v(x) AS (SELECT min({c}) FROM quotes UNION ALL "
           f"SELECT (SELECT min({c}) FROM quotes WHERE {c} > v.x) FROM v WHERE v.x IS NOT NULL) "
           "SELECT x FROM v WHERE x IS NOT NULL")
    return [r[0] for r in conn.execute(sql)]


def overview(conn: sqlite3.Connection, f: Filters) -> dict:
    """Everything the dashboard's front page shows. A search matching more than
    SEARCH_COUNT_CAP quotes lists its quotes but is left out of the counts and charts
    ("search_counted": False): counting it by theme means reading every match."""
    counted = f
    if f.search and _fts_matches(conn, f.search) > SEARCH_COUNT_CAP:
        counted = replace(f, search=None)
    raw = None if counted.is_empty() else recount(conn, counted)  # one pass over the matching quotes
    counts = theme_counts(conn, counted, raw)
    top = [t["label"] for t in counts["themes"] if t["kind"] == "theme"][:TREND_THEMES]
    return {"filters": f.args(), "options": options(conn), "counts": counts, "search_counted": counted is f,
            "rule": rule_text(disclosure_rule(conn)),
            "sentiment": sentiment_split(conn, counted, raw), "trend": trend(conn, counted, theme_labels=top, raw=raw),
            "quotes": quotes_page(conn, f, size=5) if f.search else None}


def _fts_matches(conn, search: str) -> int:
    sql = "SELECT count(*) FROM (SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH ? LIMIT ?)"
    return conn.execute(sql, [fts_query(search), SEARCH_COUNT_CAP + 1]).fetchone()[0]


# ---------------------------------------------------------------- quotes


def quotes_page(conn: sqlite3.Connection, f: Filters, *, theme: int | None = None, code: str | None = None,
                after: int | None = None, before: int | None = None, size: int = PAGE_SIZE) -> dict:
    """One page of quote cards in quote-number order, after (or before) a quote number:
    {"quotes": [...], "next": id or None, "previous": id or None, "matching": cell}."""
    query = _query(f, theme=theme, code=code)
    where, params = list(query.where), list(query.params)
    if after is not None:
        where.append(f"{query.key} > ?")
        params.append(after)
    if before is not None:
        where.append(f"{query.key} < ?")
        params.append(before)
    attrs = attributes(conn)
    columns = ["quote_id", "text", "question", "month", "codes", "theme_number", "theme", "sentiment", *attrs]
    sql = (f"SELECT {', '.join('q.' + _ident(c) for c in columns)} FROM {query.source}{_where_sql(where)} "
           f"ORDER BY {query.key} {'DESC' if before is not None else ''} LIMIT ?")
    rows = conn.execute(sql, params + [size + 1]).fetchall()
    more = len(rows) > size
    rows = rows[:size]
    if before is not None:
        rows.reverse()
    quotes = []
    for row in rows:
        d = dict(zip(columns, row))
        quotes.append({**{k: d[k] for k in columns[:8]}, "codes": _split(d["codes"]),
                       "attributes": {a: d[a] for a in attrs}})
    ids = [q["quote_id"] for q in quotes]
    has_next = more if before is None else True
    has_previous = (after is not None) if before is None else more
    return {"quotes": quotes, "next": ids[-1] if ids and has_next else None,
            "previous": ids[0] if ids and has_previous else None, "matching": matching(conn, query)}


def matching(conn, query: _Query) -> dict:
    """How many quotes match, disclosure-controlled, counted up to COUNT_CAP."""
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {query.source}{_where_sql(query.where)} LIMIT ?)"
    n = conn.execute(sql, query.params + [COUNT_CAP + 1]).fetchone()[0]
    if n > COUNT_CAP:
        return {"n": None, "shown": f">{COUNT_CAP}", "suppressed": False, "text": f"more than {COUNT_CAP:,}"}
    cell = _controlled(conn, {"Quotes": {"n": n}}, row_totals=False, column_totals=False)["Quotes"]["n"]
    return cell


def theme(conn: sqlite3.Connection, number: int, f: Filters, *, after: int | None = None,
          before: int | None = None) -> dict:
    """A theme's page: label, key terms, representative quotes, its counts by question,
    month and attribute as published, and a page of its quotes under the filters."""
    row = conn.execute("SELECT number, label, kind, key_terms, size, size_shown FROM themes WHERE number = ?",
                       [number]).fetchone()
    if row is None:
        raise DashboardError(f"no theme {number} in this publication.")
    n, label, kind, terms, size, shown = row
    representative = [{"rank": r, "quote_id": s, "text": t} for r, s, t in conn.execute(
        "SELECT rank, quote_id, text FROM theme_quotes WHERE theme_number = ? ORDER BY rank", [number])]
    return {"number": n, "label": label, "kind": kind, "key_terms": _split(terms), "count": _cell(size, shown,
            size is None), "representative": representative, "breakdown": breakdown(conn, "theme", label),
            "filters": f.args(), "options": options(conn),
            "trend": trend(conn, f, theme_labels=[label], theme=number),
            "page": quotes_page(conn, f, theme=number, after=after, before=before)}


def breakdown(conn: sqlite3.Connection, measure: str, item: str) -> dict:
    """A theme's or code's published counts: {dimension: [{"value", **cell}]} (month in order)."""
    out: dict = {}
    for dimension, value, n, shown, s in conn.execute(
            "SELECT dimension, value, n, shown, suppressed FROM counts WHERE item = ? AND measure = ? "
            "AND dimension != 'all' ORDER BY dimension, value", [item, measure]):
        out.setdefault(dimension, []).append({"value": value, **_cell(n, shown, s)})
    return out


# ---------------------------------------------------------------- codebook and ledger


def codebook(conn: sqlite3.Connection) -> list[dict]:
    """Each codebook as a tree: [{"codebook", "codes": [{..., "count", "children": [...]}]}]."""
    counts = _published_counts(conn, "code", "all", "All")
    books: dict = {}
    rows = conn.execute("SELECT codebook, key, name, parent, definition, include, exclude, group_name "
                        "FROM codebook ORDER BY codebook, rowid").fetchall()
    nodes = {}
    for book, key, name, parent, definition, include, exclude, group in rows:
        nodes[(book, name)] = {"key": key, "name": name, "parent": parent, "definition": definition,
                               "include": include, "exclude": exclude, "group": group,
                               "count": counts.get(name) or _cell(0, "0", 0), "children": []}
        books.setdefault(book, [])
    for (book, name), node in nodes.items():
        parent = nodes.get((book, node["parent"])) if node["parent"] else None
        (parent["children"] if parent else books[book]).append(node)
    return [{"codebook": book, "codes": codes} for book, codes in books.items()]


def code(conn: sqlite3.Connection, name: str, f: Filters, *, after: int | None = None,
         before: int | None = None) -> dict:
    """A code's page: its definition, published counts and a page of its quotes."""
    row = conn.execute("SELECT codebook, key, name, parent, definition, include, exclude, group_name FROM codebook "
                       "WHERE name = ? LIMIT 1", [name]).fetchone()
    counts = _published_counts(conn, "code", "all", "All")
    if row is None and name not in counts:
        raise DashboardError(f"no code named {name!r} in this publication.")
    keys = ["codebook", "key", "name", "parent", "definition", "include", "exclude", "group"]
    info = dict(zip(keys, row)) if row else {"name": name}
    return {**info, "count": counts.get(name) or _cell(0, "0", 0), "breakdown": breakdown(conn, "code", name),
            "filters": f.args(), "options": options(conn),
            "page": quotes_page(conn, f, code=name, after=after, before=before)}


def recommendations(conn: sqlite3.Connection) -> list[dict]:
    """The evidence ledger: each recommendation with its status, response, outcome,
    and the themes and quotes it rests on."""
    keys = ["id", "recommendation", "status", "response", "outcome", "created", "responded"]
    out = []
    for row in conn.execute(f"SELECT {', '.join(keys)} FROM recommendations ORDER BY id").fetchall():
        rec = {**dict(zip(keys, row)), "themes": [], "quotes": []}
        for number, label, quote_id, quote in conn.execute(
                "SELECT theme_number, theme, quote_id, quote FROM recommendation_evidence "
                "WHERE recommendation_id = ? ORDER BY rowid", [rec["id"]]):
            if quote is not None:
                rec["quotes"].append({"quote_id": quote_id, "text": quote})
            elif label is not None:
                rec["themes"].append({"number": number, "label": label})
        out.append(rec)
    return out

