"""Everything a report says, gathered once from the review into plain dataclasses.

The renderers (Markdown, HTML, DOCX) and the user's own templates see only this
structure, never the database: it holds redacted text and disclosure-controlled counts
and nothing else, so no template can leak what the review does not let out. The
publishable material comes from the same code as `publish` (`publish.build.gather`:
consent, withdrawal, redaction, NHS small-number rule), so a report never says more than
public.db does.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlite_utils

from .. import privacy, stats, waves
from ..codebook.versions import list_codebooks
from ..codebook.versions import versions as codebook_versions
from ..coding.agreement import agreement
from ..errors import RapidReviewError
from ..privacy import NHS_RULE, DisclosureRule
from ..privacy.quotes import MISSING, publishable_segment_batches
from ..publish import PublishOptions
from ..publish.build import _snapshot as read_snapshot
from ..publish.build import stream
from .config import ReportConfig, ReportError

MAX_ATTRIBUTE_VALUES = 12  # attributes with more values (ids, free text) are not broken down by default


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class Chart:
    key: str
    title: str
    alt: str  # what the chart shows, in words, for screen readers and the DOCX
    png: bytes
    width: float  # inches, for the DOCX


@dataclass
class Theme:
    number: int
    label: str
    key_terms: list[str]
    count: str  # as shown: a rounded number, '<8' or '*'
    share: str  # of the denominator, e.g. '12%' ('' when the count is hidden)
    sentiment: list[tuple[str, str]]  # (sentiment, count as shown)
    quotes: list[str]


@dataclass
class CodeGroup:
    name: str
    count: str
    share: str
    codes: list[tuple[str, str, str]]  # (code, count, share)


@dataclass
class Recommendation:
    id: int
    text: str
    status: str
    response: str | None
    outcome: str | None
    themes: list[str]
    quotes: list[str]


@dataclass
class Method:
    sources: Table
    first_month: str | None
    last_month: str | None
    waves: list[str]
    codebooks: list[dict]  # name, version, loaded (date)
    coding: dict  # accepted by origin, suggested, rejected, coders
    agreement: Table | None
    alpha: float | None
    theme_run: dict | None
    excluded: str  # respondents left out (withdrawn or no consent), as shown
    min_group: int
    rule: str


@dataclass
class Changes:
    before: str
    after: str
    by: str
    table: Table
    note: str = ""


@dataclass
class Section:
    key: str
    title: str


@dataclass
class Report:
    title: str
    subtitle: str | None
    date: str
    sections: list[Section]
    denominator: str  # participant comments counted, as shown
    people: str  # respondents and transcripts, as shown
    method: Method
    participants: list[Table]
    themes: list[Theme]
    theme_note: str
    sentiment: Table | None
    code_groups: list[CodeGroup]
    recommendations: list[Recommendation]
    changes: Changes | None
    codebook: list[dict]
    charts: dict[str, Chart] = field(default_factory=dict)


# ---------------------------------------------------------------- entry point


def build_report(db: sqlite_utils.Database, config: ReportConfig | None = None, *,
                 rule: DisclosureRule = NHS_RULE, on_step=None) -> Report:
    """Gather the report's content: redacted, consented, disclosure-controlled. Read in
    one snapshot, so counts and quotes agree even if someone imports meanwhile."""
    config = (config or ReportConfig()).check()
    with read_snapshot(db):
        return _build(db, config, rule, on_step or (lambda name: None))


def _build(db, config: ReportConfig, rule: DisclosureRule, step) -> Report:
    attrs = _attributes(db, config.attributes)
    step("reading the review")
    # Every text that is not a quote goes through the review's own redactor (its privacy
    # config and known names), as publish's labels, codebook and ledger do.
    clean = privacy.free_text_redactor(db)
    # Code and group names as publish shows them: its codings and counts carry those.
    tally = RowTally([{**c, "name": clean(c["name"]), "group": clean(c["group"])} for c in waves.code_tree(db)])
    # publish's own reading: batches of publishable, redacted segments with accepted codes,
    # themes and sentiment; only the tallies are kept here, never every comment's text.
    found = stream(db, [], PublishOptions(run_id=config.run, rule=rule), tally.add)
    allowed = _quotable(db, config, attrs, found)
    denominator = privacy.control_count(tally.n, rule)
    step("counting")
    themes, theme_note = _themes(found, tally, allowed, config, denominator, rule)
    report = Report(
        title=clean(config.title), subtitle=clean(config.subtitle), date=date.today().isoformat(),
        sections=[Section(k, config.heading(k)) for k in config.sections if k != "changes" or config.compare],
        denominator=denominator.display, people="", method=_method(db, found, config, rule, clean),
        participants=[], themes=themes, theme_note=theme_note, sentiment=_sentiment_table(tally, themes, rule),
        code_groups=_code_groups(found, tally, denominator, rule), recommendations=_recommendations(found, allowed),
        changes=None, codebook=found["codebook"])
    step("who we heard from")
    shown = attrs if "participants" in config.sections else []  # the people count is needed anyway
    report.people, report.participants = _participants(db, shown, rule, clean)
    if config.compare:
        step("comparing waves")
        report.changes = _changes(db, config, rule, {str(t["number"]): t["label"] for t in found["themes"]}, clean)
    if config.charts:
        step("drawing charts")
        from .charts import draw_all

        report.charts = draw_all(report)
    return report


class RowTally:
    """What the report counts beyond publish's tables, added batch by batch: comments,
    sentiment per theme, and comments per code group (a comment with two codes of one
    group counts once for the group)."""

    def __init__(self, code_tree: list[dict]):
        self.tree = code_tree
        self.group_of = {c["name"]: c["group"] for c in code_tree}
        self.n = 0
        self.sentiment: Counter = Counter()  # (theme number, sentiment) -> comments
        self.groups: Counter = Counter()  # group -> comments

    def add(self, rows: list[dict], codings: list[tuple[int, str]]) -> None:
        self.n += len(rows)
        for r in rows:
            if r["theme_number"] is not None and r["sentiment"]:
                self.sentiment[(r["theme_number"], r["sentiment"])] += 1
        groups = defaultdict(set)
        for segment_id, name in codings:
            groups[segment_id].add(self.group_of.get(name, name))
        for found in groups.values():
            self.groups.update(found)


def _attributes(db, wanted) -> list[str]:
    # respondent_attributes is a view over these: its names and values are here too
    counts = dict(db.execute("SELECT name, count(DISTINCT value) FROM attributes GROUP BY name").fetchall())
    if wanted is None:
        return [a for a, n in sorted(counts.items(), key=lambda x: x[0].casefold())
                if 2 <= n <= MAX_ATTRIBUTE_VALUES]
    resolved = []
    for name in wanted:
        match = next((k for k in counts if k == name), None) or next(
            (k for k in counts if k.casefold() == str(name).casefold()), None)
        if match is None:
            raise ReportError(f"no attribute named {name!r} in this review; attributes are: "
                              f"{', '.join(sorted(counts)) or 'none'}.")
        resolved.append(match)
    return resolved


def _quotable(db, config: ReportConfig, attrs, found) -> set[int] | None:
    """Segments the report may quote (None: every publishable one): with `min_group`,
    only those from groups (by the report's attributes) of at least that many people."""
    if config.min_group <= 0:
        return None
    wanted = {q["segment_id"] for q in found["theme_quotes"]} | {
        e["segment_id"] for e in found["ledger"]["evidence"] if e["segment_id"]}
    return {s["segment_id"] for batch in publishable_segment_batches(db, min_group=config.min_group, group_attr=attrs)
            for s in batch if s["segment_id"] in wanted}


def share(count: privacy.Controlled, denominator: privacy.Controlled) -> str:
    """A percentage from the counts as shown, so it says no more than they do."""
    if count.value is None or not denominator.value:
        return ""
    pct = 100 * count.value / denominator.value
    return f"{pct:.0f}%" if pct >= 1 or pct == 0 else "<1%"


def _cells(counts: list[dict], measure: str) -> dict[str, privacy.Controlled]:
    """item -> controlled count over all comments, from publish's counts."""
    return {c["item"]: privacy.Controlled(c["n"], bool(c["suppressed"]), c["shown"]) for c in counts
            if c["measure"] == measure and c["dimension"] == "all" and c["item"] != "Total"}


# ---------------------------------------------------------------- themes and codes


def _themes(found, tally: RowTally, allowed, config, denominator, rule) -> tuple[list[Theme], str]:
    cells = _cells(found["counts"], "theme")
    quotes = defaultdict(list)
    for q in found["theme_quotes"]:
        if allowed is None or q["segment_id"] in allowed:
            quotes[q["theme_number"]].append(q["text"])
    sentiment = defaultdict(dict)
    for (number, name), n in tally.sentiment.items():
        sentiment[number][name] = n
    out, others = [], []
    for t in found["themes"]:
        count = cells.get(t["label"], privacy.control_count(0, rule))
        if t["kind"] != "theme":
            others.append(f"{t['label']} ({count.display})")
            continue
        controlled = privacy.control_counts(sentiment[t["number"]], rule)
        out.append(Theme(number=t["number"], label=t["label"],
                         key_terms=[k for k in (t["key_terms"] or "").split("; ") if k],
                         count=count.display, share=share(count, denominator),
                         sentiment=[(s, c.display) for s, c in sorted(controlled.items())],
                         quotes=quotes[t["number"]][:config.quotes_per_theme]))
    # Largest first by the count as shown (true sizes would rank the hidden ones).
    out.sort(key=lambda t: (-(int(t.count) if t.count.isdigit() else 0), t.number))
    note = ""
    if len(out) > config.max_themes:
        note = f"The {config.max_themes} largest of {len(out)} themes are shown. "
        out = out[:config.max_themes]
    if others:
        note += "Not in a theme: " + "; ".join(others) + "."
    return out, note


def _sentiment_table(tally: RowTally, themes: list[Theme], rule) -> Table | None:
    """Sentiment by theme, controlled as one table (secondary suppression across it)."""
    grid = defaultdict(dict)
    labels = {t.number: t.label for t in themes}
    for (number, name), n in tally.sentiment.items():
        if number in labels:
            grid[labels[number]][name] = n
    if not grid:
        return None
    columns = sorted({s for c in grid.values() for s in c})
    controlled = privacy.control_table({t.label: grid[t.label] for t in themes if t.label in grid}, rule)
    zero = privacy.control_count(0, rule)
    lines = [[label, *(cells.get(c, zero).display for c in columns), cells["Total"].display]
             for label, cells in controlled["rows"].items()]
    totals = controlled["totals"]
    lines.append(["Total", *(totals[c].display for c in columns), totals["Total"].display])
    return Table("Sentiment of comments in each theme (accepted sentiment codings)", ["Theme", *columns, "Total"],
                 lines)


def _code_groups(found, tally: RowTally, denominator, rule) -> list[CodeGroup]:
    """Codes under their top-level group: comments with each code and with any code of the group."""
    cells = _cells(found["counts"], "code")
    group_counts = privacy.control_table({g: {"All": n} for g, n in tally.groups.items()}, rule,
                                         row_totals=False)["rows"] if tally.groups else {}
    out = []
    for g in dict.fromkeys(c["group"] for c in tally.tree):
        if g not in group_counts:
            continue
        count = group_counts[g]["All"]
        codes = [(c["name"], cells[c["name"]].display, share(cells[c["name"]], denominator))
                 for c in tally.tree if c["group"] == g and c["name"] in cells and c["name"] != g]
        out.append(CodeGroup(g, count.display, share(count, denominator), codes))
    return out


def _recommendations(found, allowed) -> list[Recommendation]:
    evidence = defaultdict(lambda: ([], []))
    for e in found["ledger"]["evidence"]:
        themes, quotes = evidence[e["recommendation_id"]]
        if e["theme"]:
            themes.append(f"Theme {e['theme_number']}: {e['theme']}" if e["theme_number"] else e["theme"])
        if e["quote"] and (allowed is None or e["segment_id"] in allowed):
            quotes.append(e["quote"])
    return [Recommendation(r["id"], r["recommendation"], r["status"], r["response"], r["outcome"],
                           *evidence[r["id"]]) for r in found["ledger"]["recommendations"]]


# ---------------------------------------------------------------- who we heard from


def _participants(db, attrs: list[str], rule, clean) -> tuple[str, list[Table]]:
    """Respondents (or documents without one, such as transcripts) per attribute value,
    publishable ones only, each table controlled with its total as the denominator. A
    person counts once, under the value on their first answer (a respondent in two
    waves may have given two), so the rows add up to the total."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS report_documents (id INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM temp.report_documents")
    db.conn.executemany("INSERT INTO temp.report_documents (id) VALUES (?)",
                        ((d,) for d in privacy.publishable_documents(db)))
    try:
        n_people = db.execute("SELECT count(DISTINCT coalesce(d.respondent_id, -d.id)) FROM documents d "
                              "JOIN temp.report_documents t ON t.id = d.id").fetchone()[0]
        tables = [_people_table(db, a, n_people, rule, clean) for a in attrs]
    finally:
        db.execute("DROP TABLE temp.report_documents")
    return privacy.control_count(n_people, rule).display, tables


# Each person's value: their first publishable document's own (SQLite takes the bare
# `value` from the row holding min(doc)); else, for the few with none, the first of any of
# their documents (what the respondent_attributes view holds, reached through indexes).
FIRST_VALUES = """
    WITH pub AS (SELECT d.id, d.respondent_id AS rid, coalesce(d.respondent_id, -d.id) AS unit
                 FROM documents d JOIN temp.report_documents t ON t.id = d.id),
    own AS (SELECT p.unit, a.value, min(p.id) FROM pub p JOIN attributes a ON a.document_id = p.id AND a.name = :name
            WHERE a.value IS NOT NULL AND a.value != '' GROUP BY p.unit),
    rest AS (SELECT DISTINCT rid FROM pub WHERE rid IS NOT NULL AND rid NOT IN (SELECT unit FROM own)),
    fallback AS (SELECT r.rid AS unit, a.value, min(d.id) FROM rest r JOIN documents d ON d.respondent_id = r.rid
                 JOIN attributes a ON a.document_id = d.id AND a.name = :name
                 WHERE a.value IS NOT NULL AND a.value != '' GROUP BY r.rid)
    SELECT value, count(*) FROM (SELECT value FROM own UNION ALL SELECT value FROM fallback) GROUP BY value"""


def _people_table(db, attribute: str, n_people: int, rule, clean) -> Table:
    counts: Counter = Counter()
    for value, n in db.execute(FIRST_VALUES, {"name": attribute}):
        counts[clean(str(value))] += n  # counted after redaction: values that redact alike are one row
    if n_people > sum(counts.values()):
        counts[MISSING] += n_people - sum(counts.values())
    controlled = privacy.control_table({v: {"People": n} for v, n in sorted(
        counts.items(), key=lambda x: (x[0] == MISSING, -x[1], x[0]))}, rule, row_totals=False)
    total = controlled["totals"]["People"]
    lines = [[v, c["People"].display, share(c["People"], total)] for v, c in controlled["rows"].items()]
    lines.append(["Total", total.display, "100%" if total.value else ""])
    return Table(f"People by {clean(attribute)}", [clean(attribute), "People", "Share"], lines,
                 f"Out of {total.display} people who took part.")


# ---------------------------------------------------------------- method


def _method(db, found, config: ReportConfig, rule: DisclosureRule, clean) -> Method:
    # Titles, file names, wave labels and code names are typed by people: a phone
    # number or a name in one must not reach the report either.
    dates = stats.date_range(db)
    sources = [[clean(s["name"]), s["format"] or "", clean(s["batch"]) or "",
                privacy.control_count(s["answered"] or 0, rule).display] for s in stats.by_source(db)]
    agreement_table, alpha = _agreement(db, clean)
    excluded = privacy.control_count(len(privacy.excluded_respondents(db)), rule).display
    return Method(
        sources=Table("Sources", ["Source", "Format", "Wave", "Answers"], sources),
        first_month=(dates["first"] or "")[:7] or None, last_month=(dates["last"] or "")[:7] or None,
        waves=[clean(w) for w in waves.wave_labels(db)], codebooks=_codebooks(db, clean), coding=_coding(db),
        agreement=agreement_table, alpha=alpha, theme_run=_run_summary(db, found["run_id"]), excluded=excluded,
        min_group=config.min_group,
        rule=(f"counts of 1 to {rule.threshold - 1} are shown as \"{rule.marker}\", other counts are rounded "
              f"to the nearest {rule.round_to}, and cells marked \"{rule.secondary_marker}\" are hidden so that "
              "a small one cannot be worked out from the totals") if rule.threshold > 1 else "exact counts")


def _codebooks(db, clean) -> list[dict]:
    out = []
    for book in list_codebooks(db):
        latest = codebook_versions(db, book["name"])
        latest = latest[-1] if latest else {}
        if book["version"] is None:
            continue  # made by the coding step (sentiment), never loaded from a file
        out.append({"name": clean(book["name"]), "version": book["version"], "label": clean(latest.get("label")),
                    "loaded": (latest.get("created_at") or "")[:10], "codes": book["codes"]})
    return out


def _coding(db) -> dict:
    by = Counter()
    for origin, status, n in db.execute("SELECT origin, status, count(*) FROM codings GROUP BY origin, status"):
        by[(origin, status)] = n
    coders = _coders(db)
    return {"accepted": sum(n for (o, s), n in by.items() if s == "accepted"),
            "accepted_by_origin": {o: n for (o, s), n in sorted(by.items()) if s == "accepted"},
            "suggested": sum(n for (o, s), n in by.items() if s == "suggested"),
            "rejected": sum(n for (o, s), n in by.items() if s == "rejected"),
            "coders": len(coders)}


def _coders(db) -> list[str]:
    return [r[0] for r in db.execute(
        "SELECT coder FROM codings WHERE origin = 'manual' UNION SELECT decided_by FROM codings "
        "WHERE decided_by IS NOT NULL ORDER BY 1")]


def _agreement(db, clean) -> tuple[Table | None, float | None]:
    """Agreement between the people who coded, on what each of them saw; coders are
    numbered, not named."""
    coders = _coders(db)
    if len(coders) < 2:
        return None, None
    try:
        result = agreement(db, coders[:6])
    except RapidReviewError:
        return None, None
    alias = {c: f"Coder {i}" for i, c in enumerate(result.coders, 1)}
    pairs = list(result.units)
    rows = []
    for c in sorted(result.codes, key=lambda c: -c.units)[:20]:
        kappas = [("" if c.kappa.get(p) is None else f"{c.kappa[p]:.2f}") for p in pairs]
        rows.append([clean(c.code), str(c.units), *kappas, "" if c.alpha is None else f"{c.alpha:.2f}"])
    heads = [" and ".join(alias[x] for x in p.split("|")) for p in pairs]
    return Table("Agreement between coders per code (Cohen's kappa per pair, Krippendorff's alpha)",
                 ["Code", "Segments", *[f"kappa {h}" for h in heads], "alpha"], rows,
                 "Only segments both coders read count."), result.alpha


def _run_summary(db, run_id) -> dict | None:
    if run_id is None:
        return None
    row = db.execute("SELECT id, created_at, k, seed, n_segments, params, details FROM theme_runs WHERE id = ?",
                     [run_id]).fetchone()
    details = json.loads(row[6] or "{}")
    return {"id": row[0], "date": (row[1] or "")[:10], "k": row[2], "seed": row[3],
            "stability": details.get("stability"), "n_runs": json.loads(row[5] or "{}").get("n_runs")}


# ---------------------------------------------------------------- waves


def _changes(db, config: ReportConfig, rule: DisclosureRule, theme_labels: dict, clean) -> Changes:
    """Counts in each wave per code or theme. Themes go by publish's labels: a stored label
    may hold words of a respondent who has since withdrawn."""
    before, after = config.compare
    result = waves.compare(db, before, after, by=config.compare_by, rule=rule, run_id=config.run, include_empty=True)
    rows = []
    for r in result.rows:
        if r.shown_before == r.shown_after == "0":
            continue  # nobody in either wave
        change = "" if r.change is None else f"{r.change:+.1f}"
        name = theme_labels.get(r.key, f"Theme {r.key}") if config.compare_by == "theme" else clean(r.name)
        rows.append([name, r.shown_before, _pct(r.share_before), r.shown_after, _pct(r.share_after),
                     change, _significance(r)])
    sizes = {w: privacy.control_count(n, rule).display for w, n in _wave_sizes(db, [before, after]).items()}
    d_before, d_after = sizes.get(before, "0"), sizes.get(after, "0")
    what = "Code" if config.compare_by == "code" else "Theme"
    table = Table(f"People mentioning each {what.lower()} in {clean(before)} and {clean(after)}",
                  [what, f"{clean(before)} (of {d_before})", "%", f"{clean(after)} (of {d_after})", "%",
                   "Change (points)", "Is it a real change?"], rows,
                  "Counts are people (respondents) in each wave, disclosure-controlled; changes and tests use the "
                  "counts as shown.")
    return Changes(clean(before), clean(after), config.compare_by, table, clean(result.note) or "")


def _wave_sizes(db, labels: list[str]) -> dict[str, int]:
    """People (respondents, or documents without one) who answered in each wave: the
    denominators `waves.compare` uses."""
    units = defaultdict(set)
    for wave, unit in waves.wave_documents(db, labels).values():
        units[wave].add(unit)
    return {w: len(u) for w, u in units.items()}


def _pct(value) -> str:
    return "" if value is None else f"{value:.0f}%"


def _significance(row) -> str:
    if row.p_value is None:
        return row.note or "too few to tell"
    verdict = "likely a real change" if row.p_value < 0.05 else "could be chance"
    return f"{verdict} (p = {row.p_value:.3f})" + (f"; {row.note}" if row.note else "")
