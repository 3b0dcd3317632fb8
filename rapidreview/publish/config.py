"""Datasette configuration for public.db: titles, descriptions, column descriptions,
source and licence, facets and canned queries; arbitrary SQL off for the public.

    meta = metadata("public", publishable=["Service"], title="GP access review 2026")
    datasette serve public.db --immutable public.db -m public.metadata.json

Decided: CSV and JSON downloads stay on (every row of public.db is already publishable,
and commissioners script against it); whole-database download stays on for the same
reason. What is off is arbitrary SQL: a canned query is the only SQL the public runs,
so every query has an index behind it and a time limit (see SETTINGS).
"""

from __future__ import annotations

from ..privacy import NHS_RULE, DisclosureRule

# Datasette settings to serve with (`--setting name value`, or settings.json in a config dir).
# suggest_facets off: at 1M quotes suggesting facets costs ~1 s a page; with it off a table page is ~25 ms.
SETTINGS = {"allow_download": True, "allow_csv_stream": True, "sql_time_limit_ms": 1000,
            "max_returned_rows": 1000, "default_page_size": 50, "suggest_facets": False}

FACET_LIMIT = 50_000  # quotes table page with 5 facets: ~220 ms at 83k quotes on this machine

COUNTS_NOTE = ("Counts follow NHS small-number practice: 1 to 7 shown as '<8', others rounded to the nearest 5, "
               "and further cells hidden ('*') where a total would give a small count away.")


SHOWN = "'<8' or '*'"  # what a hidden count shows under NHS_RULE (column descriptions)


def counts_note(rule: DisclosureRule = NHS_RULE) -> str:
    """COUNTS_NOTE for the rule public.db's counts were actually built with."""
    if rule == NHS_RULE:
        return COUNTS_NOTE
    small = (f"counts from 1 to {rule.threshold - 1} shown as '{rule.marker}'" if rule.threshold > 1
             else "no count hidden for being small")
    rounding = f"others rounded to the nearest {rule.round_to}" if rule.round_to > 1 else "others exact"
    return (f"Counts follow the disclosure rule in the meta table: {small}, {rounding}, and further cells hidden "
            f"('{rule.secondary_marker}') where a total would give a small count away.")

TABLES = {
    "quotes": ("Quotes", ("What people said, redacted: personal data replaced by placeholders such as [NAME 1]. "
                          "Only respondents who consented and did not withdraw; interviewer turns left out."), {
                   "quote_id": ("Quote number: the same in every publication of this review (cite it, "
                                "bookmark it), and no clue to who said what or in what order."),
                   "text": "The words, with personal data redacted.",
                   "question": "The survey question or interview this answers.",
                   "month": "Month of the response (YYYY-MM); exact dates are not published.",
                   "role": "Who was speaking (participant); never a name.",
                   "codes": "Codes from the review's codebook applied and accepted by a researcher.",
                   "theme_number": "Theme number (see themes).",
                   "theme": "Theme label.",
                   "sentiment": "Sentiment accepted by a researcher, where coded."}),
    "quote_codes": ("Codes by quote", "One row per accepted code on a quote: filter quotes by code.", {
        "quote_id": "Quote number (see quotes).", "code": "A code accepted by a researcher.",
        "question": "The quote's question (as in quotes).", "month": "The quote's month (as in quotes).",
        "sentiment": "The quote's sentiment (as in quotes)."}),
    "themes": ("Themes", "Themes found in what people said, with key terms. " + COUNTS_NOTE, {
        "number": "Theme number.", "label": "Short label (redacted).", "kind": "theme, or a small bucket: "
        "'other' (no content words) and 'not-english'.", "key_terms": "Words that characterise the theme.",
        "size": "Quotes in the theme, disclosure-controlled (empty when suppressed).",
        "size_shown": f"The size as shown: a number, {SHOWN}."}),
    "theme_quotes": ("Representative quotes", "Quotes central to each theme, redacted.", {
        "quote_id": "Quote number (see quotes)."}),
    "codebook": ("Codebook", "The codes researchers applied, with their definitions.", {
        "definition": "What the code means.", "include": "When to apply it.", "exclude": "When not to."}),
    "counts": ("Counts", "Themes and codes by question, month, published attributes and sentiment. " + COUNTS_NOTE, {
        "measure": "theme or code.", "item": "The theme label or code name ('Total' for the column totals).",
        "dimension": "What the counts are broken down by: all, question, month, an attribute or sentiment.",
        "value": "The value of the dimension ('Total' for the row total).",
        "n": "Controlled count: empty when suppressed.", "shown": f"The count as shown: a number, {SHOWN}.",
        "suppressed": "1 when the count is hidden."}),
    "recommendations": ("Evidence ledger", ("Recommendations made from this review, the provider's response "
                                            "and the outcome."), {}),
    "recommendation_evidence": ("Evidence behind each recommendation",
                                "The themes and quotes a recommendation rests on.", {
                                    "quote_id": "Quote number (see quotes)."}),
    "meta": ("About this publication", "When it was published, by which version of rapidreview and its "
             "personal-data detectors, and the disclosure rule every count follows (the dashboard's own "
             "recounts follow it too).", {
                 "published_at": "When `rapidreview publish` built this database (UTC).",
                 "rapidreview_version": "The rapidreview version that built it.",
                 "detector_version": "Version of the personal-data detectors every published text was read by.",
                 "threshold": "Counts from 1 to threshold - 1 are suppressed (not shown as a number).",
                 "round_to": "Other counts are rounded to the nearest multiple of this (1: exact).",
                 "suppress_zero": "1 when zero counts are suppressed too.",
                 "marker": "What a suppressed small count shows, e.g. '<8'.",
                 "secondary_marker": "What a cell hidden so that a small one cannot be worked out shows, e.g. '*'.",
                 "min_group": "Quotes from groups (by the published attributes) of fewer respondents than this "
                              "are withheld, and not counted. By default the threshold when attributes are "
                              "published; 0 (none withheld) only when the researcher chose it."}),
}


def canned_queries(publishable: list[str]) -> dict:
    attr_cols = "".join(f', q."{a}"' for a in publishable)
    return {
        "top_themes": {"title": "Top themes", "sql": (
            "SELECT number, label, key_terms, size_shown AS quotes FROM themes WHERE kind = 'theme' "
            "ORDER BY coalesce(size, 0) DESC, number")},
        "theme_quotes": {"title": "Quotes for a theme", "description": "Leave question or month empty for all.",
                         "sql": (f"SELECT q.quote_id, q.text, q.question, q.month, q.codes, q.sentiment{attr_cols} "
                                 "FROM quotes q WHERE q.theme_number = :theme "
                                 "AND (:question = '' OR q.question = :question) "
                                 "AND (:month = '' OR q.month = :month) ORDER BY q.quote_id LIMIT 100")},
        # Filtered on quote_codes' own copies, in its key order: a rare month is found without
        # reading every quote of a common code.
        "code_quotes": {"title": "Quotes for a code", "description": "Leave question or month empty for all.",
                        "sql": (f"SELECT q.quote_id, q.text, q.question, q.month, q.theme, q.sentiment{attr_cols} "
                                "FROM quote_codes c JOIN quotes q ON q.quote_id = c.quote_id WHERE c.code = :code "
                                "AND (:question = '' OR c.question = :question) "
                                "AND (:month = '' OR c.month = :month) ORDER BY c.quote_id LIMIT 100")},
        "theme_by_group": {"title": "Themes by service or group",
                           "description": ("dimension: question, month, sentiment or a published attribute; "
                                           "theme empty for all."),
                           "sql": ("SELECT item AS theme, value, shown, n FROM counts WHERE measure = 'theme' "
                                   "AND dimension = :dimension AND (:theme = '' OR item = :theme) ORDER BY item, value")},
        "trend_by_month": {"title": "Trend by month", "description": "theme empty for all.",
                           "sql": ("SELECT item AS theme, value AS month, shown, n FROM counts WHERE measure = 'theme' "
                                   "AND dimension = 'month' AND value != 'Total' AND (:theme = '' OR item = :theme) "
                                   "ORDER BY item, value")},
        "good_vs_better": {"title": "What was good against what could be better",
                           "description": "Each theme's count under each question.",
                           "sql": ("SELECT item AS theme, value AS question, shown, n FROM counts "
                                   "WHERE measure = 'theme' AND dimension = 'question' AND item != 'Total' "
                                   "ORDER BY item, value")},
        # In quote order, not by rank: ranking sorts every match, too slow for common words at 1M quotes.
        "search_quotes": {"title": "Search quotes", "description": "Words, \"a phrase\", word*, a OR b.",
                          "sql": ("SELECT q.quote_id, q.text, q.question, q.month, q.theme, q.codes FROM quotes_fts "
                                  "JOIN quotes q ON q.quote_id = quotes_fts.rowid WHERE quotes_fts MATCH :q "
                                  "ORDER BY quotes_fts.rowid LIMIT 100")},
        "ledger": {"title": "Evidence ledger", "sql": (
            "SELECT r.id, r.recommendation, r.status, r.response, r.outcome, "
            "group_concat(e.theme, '; ') AS themes, count(e.quote_id) AS quotes "
            "FROM recommendations r LEFT JOIN recommendation_evidence e ON e.recommendation_id = r.id "
            "GROUP BY r.id ORDER BY r.id")},
    }


def metadata(database: str, *, publishable: list[str] = (), title: str = "Rapid review",
             description: str | None = None, source: str | None = None, source_url: str | None = None,
             licence: str = "OGL-UK-3.0",
             licence_url: str = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
             n_quotes: int = 0, rule: DisclosureRule = NHS_RULE) -> dict:
    """Datasette metadata for public.db served under the name `database` (its file stem).
    Above FACET_LIMIT quotes the quotes table opens without facets (each costs ~200 ms at
    1M rows); the counts table and canned queries answer the same questions from indexes."""
    publishable = list(publishable)
    tables = {}
    for name, (table_title, table_description, columns) in TABLES.items():
        shown = f"'{rule.marker}' or '{rule.secondary_marker}'"  # the rule public.db was built with
        tables[name] = {"title": table_title, "description": table_description.replace(COUNTS_NOTE, counts_note(rule)),
                        "columns": {c: d.replace(SHOWN, shown) for c, d in columns.items()}}
    for a in publishable:
        tables["quotes"]["columns"][a] = f"Respondent attribute '{a}', marked publishable by the researcher."
        tables["quote_codes"]["columns"][a] = f"The quote's '{a}' (as in quotes)."
    tables["quotes"].update({"fts_table": "quotes_fts", "fts_pk": "quote_id", "sort": "quote_id"})
    if n_quotes <= FACET_LIMIT:
        tables["quotes"]["facets"] = ["theme", "question", "month", "sentiment", *publishable]
    tables["counts"]["facets"] = ["measure", "dimension"]
    tables["codebook"]["facets"] = ["codebook"]
    tables["recommendations"]["facets"] = ["status"]
    return {
        "title": title,
        "description": description or ("What people told us, redacted and disclosure-controlled. "
                                       + counts_note(rule)),
        "license": licence, "license_url": licence_url,
        "source": source or "rapidreview", "source_url": source_url or "",
        "allow_sql": False,
        "databases": {database: {"tables": tables, "queries": canned_queries(publishable)}},
    }
