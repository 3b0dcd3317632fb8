"""The commissioners' dashboard, without a browser: explore.py's queries against a real
public.db built from the sample corpus, the SVG charts, and the .json pages through
Datasette. Browser tests are in test_dashboard_browser.py."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest

from rapidreview import demo, store
from rapidreview.coding.queue import decide
from rapidreview.privacy import NHS_RULE, control_table
from rapidreview.publish import PublishOptions, explore, ledger, publish, svg
from rapidreview.serve import make_public_datasette

PUBLISHABLE = ["Service", "Age group"]


def build_sample(base: Path) -> Path:
    """public.db from the sample corpus, with half the suggested codes accepted (so quotes
    carry codes and sentiment) and one recommendation; built once per test session."""
    public = base / "public.db"
    if public.exists():
        return public
    demo.build(base / "demo")
    db = store.open_review(base / "demo" / "review.db", create=False)
    try:
        for (cid,) in db.execute("SELECT id FROM codings WHERE status = 'suggested' AND id % 2 = 0").fetchall():
            decide(db, cid, "accept", actor="tester")
        seg = db.execute("SELECT min(segment_id) FROM theme_members").fetchone()[0]
        rec = ledger.add(db, "Offer evening appointments", themes=[1, 2], quotes=[seg])
        ledger.respond(db, rec, response="Pilot from April", outcome="Two clinics open late", status="accepted")
        publish(db, base / "public.tmp.db", PublishOptions(publishable=PUBLISHABLE, title="Sample review"))
    finally:
        db.conn.close()
    (base / "public.tmp.db").rename(public)
    (base / "public.tmp.metadata.json").rename(base / "public.metadata.json")
    return public


@pytest.fixture(scope="module")
def public_db(tmp_path_factory) -> Path:
    return build_sample(tmp_path_factory.getbasetemp() / "dashboard-sample")


@pytest.fixture
def conn(public_db):
    c = sqlite3.connect(public_db.resolve().as_uri() + "?mode=ro", uri=True)
    yield c
    c.close()


def controlled_shape(cell) -> bool:
    """What disclosure control lets out: 0, a multiple of 5 that is at least 8, '<8' or '*'."""
    if cell["suppressed"]:
        return cell["n"] is None and cell["shown"] in ("<8", "*")
    return cell["n"] == 0 or (cell["n"] % 5 == 0 and cell["n"] >= 8)


# ---------------------------------------------------------------- filters


def test_filters_parse_and_round_trip(conn):
    attrs = explore.attributes(conn)
    assert attrs == PUBLISHABLE
    args = {"question": "What could be better?", "from": "2025-02", "to": "2025-03", "attr.Service": "GP practice",
            "q": "parking", "after": "12"}
    f = explore.Filters.from_args(args, attrs)
    assert f.attrs == {"Service": "GP practice"} and f.month_from == "2025-02" and f.search == "parking"
    assert explore.Filters.from_args(f.args(), attrs) == f
    assert "after" not in f.args()


@pytest.mark.parametrize("args, message", [
    ({"from": "March"}, "YYYY-MM"), ({"to": "2025-13"}, "YYYY-MM"), ({"attr.Ethnicity": "x"}, "no published attribute"),
])
def test_bad_filters_are_refused_with_a_reason(conn, args, message):
    with pytest.raises(explore.DashboardError, match=message):
        explore.Filters.from_args(args, explore.attributes(conn))


def test_fts_query_treats_operators_as_words(conn):
    assert explore.fts_query('parking "free" OR car* -x') == '"parking" """free""" "OR" "car"* "-x"'
    # Punctuation that would be an FTS5 syntax error is searched as text instead.
    f = explore.Filters(search='"unbalanced AND (')
    assert explore.quotes_page(conn, f)["quotes"] == []
    with pytest.raises(explore.DashboardError):
        explore.fts_query("   ")


# ---------------------------------------------------------------- counts


def test_unfiltered_counts_are_the_published_ones(conn):
    out = explore.theme_counts(conn, explore.Filters())
    published = {label: shown for label, shown in conn.execute(
        "SELECT item, shown FROM counts WHERE measure = 'theme' AND dimension = 'all' AND value = 'All'")}
    assert out["source"] == "published counts"
    # A theme with no published quotes (all withheld, small groups) has no counts row: 0.
    assert {t["label"]: t["count"]["shown"] for t in out["themes"]} == {
        label: published.get(label, "0") for label, in conn.execute("SELECT label FROM themes")}
    assert set(published) - {"Total"} <= {t["label"] for t in out["themes"]}
    assert out["total"]["shown"] == published["Total"]
    sizes = [t["count"]["n"] for t in out["themes"] if t["count"]["n"] is not None]
    assert sizes == sorted(sizes, reverse=True)


def test_one_filter_uses_the_published_table_for_it(conn):
    service = explore.options(conn)["attributes"]["Service"][1]
    out = explore.theme_counts(conn, explore.Filters(attrs={"Service": service}))
    expected = dict(conn.execute("SELECT item, shown FROM counts WHERE measure = 'theme' AND dimension = 'Service' "
                                 "AND value = ? AND item != 'Total'", [service]))
    assert out["source"] == "published counts"
    assert {t["label"]: t["count"]["shown"] for t in out["themes"] if t["label"] in expected} == expected


def test_combined_filters_count_quotes_under_disclosure_control(conn):
    service = explore.options(conn)["attributes"]["Service"][1]
    f = explore.Filters(attrs={"Service": service}, month_from="2025-02")
    out = explore.theme_counts(conn, f)
    assert out["source"].startswith("published quotes")
    raw = dict(conn.execute('SELECT theme, count(*) FROM quotes WHERE "Service" = ? AND month >= ? '
                            "AND theme IS NOT NULL GROUP BY theme", [service, "2025-02"]))
    expected = control_table({k: {"Quotes": v} for k, v in raw.items()}, NHS_RULE, row_totals=False)
    got = {t["label"]: t["count"]["shown"] for t in out["themes"] if t["label"] in raw}
    assert got == {k: row["Quotes"].display for k, row in expected["rows"].items()}
    assert all(controlled_shape(t["count"]) for t in out["themes"])
    assert any(t["count"]["suppressed"] for t in out["themes"]), "the sample should have small cells to hide"
    # No suppressed count can be worked out from the total and the others.
    hidden = [t for t in out["themes"] if t["count"]["suppressed"]]
    assert len(hidden) != 1


def test_trend_and_sentiment_are_controlled(conn):
    f = explore.Filters(question="What could be better?", month_from="2025-01")
    tr = explore.trend(conn, f, theme_labels=[explore.themes(conn)[0]["label"]])
    assert tr["months"] == sorted(tr["months"]) and all(re.match(r"\d{4}-\d\d$", m) for m in tr["months"])
    assert tr["series"][0]["label"] == "All themes" and len(tr["series"]) == 2
    assert all(controlled_shape(p) for s in tr["series"] for p in s["points"])
    sent = explore.sentiment_split(conn, explore.Filters())
    assert set(sent["sentiments"]) == {r[0] for r in conn.execute(
        "SELECT DISTINCT sentiment FROM quotes WHERE sentiment IS NOT NULL")}
    assert sent["sentiments"], "accepted sentiment codings should reach public.db"
    published = conn.execute("SELECT item, value, shown FROM counts WHERE dimension = 'sentiment' "
                             "AND measure = 'theme'").fetchall()
    if published:  # unfiltered: public.db's own theme x sentiment counts
        assert sent["by_theme"]
        assert {(i, v, c["shown"]) for i, row in sent["rows"].items() for v, c in row.items()} == set(published)
    else:  # or, where an older public.db lacks them, the overall split only
        assert not sent["by_theme"] and set(sent["rows"]) == {"Total"}
        raw = dict(conn.execute("SELECT sentiment, count(*) FROM quotes WHERE sentiment IS NOT NULL GROUP BY 1"))
        assert {s: c["shown"] for s, c in sent["rows"]["Total"].items() if s != "Total"} == {
            s: c.display for s, c in control_table({"Total": raw}, NHS_RULE, column_totals=False)["rows"]["Total"].items()
            if s != "Total"}
    filtered = explore.sentiment_split(conn, f)
    assert filtered["by_theme"] and len(filtered["rows"]) > 2
    assert all(controlled_shape(c) for row in filtered["rows"].values() for c in row.values())


def test_a_themes_filtered_trend_counts_that_theme_only(conn):
    t = explore.themes(conn)[0]
    f = explore.Filters(question="What could be better?")
    tr = explore.trend(conn, f, theme_labels=[t["label"]], theme=t["number"])
    assert [s["label"] for s in tr["series"]] == [t["label"]]
    raw = dict(conn.execute("SELECT month, count(*) FROM quotes WHERE theme_number = ? AND question = ? "
                            "AND month != '(not given)' GROUP BY 1", [t["number"], f.question]))
    assert {m: p["shown"] for m, p in zip(tr["months"], tr["series"][0]["points"])} == {
        m: c.display for m, c in control_table({"x": raw}, NHS_RULE, row_totals=False)["rows"]["x"].items()}


def test_options_list_every_value(conn):
    opts = explore.options(conn)
    assert opts["questions"] == [r[0] for r in conn.execute("SELECT DISTINCT question FROM quotes ORDER BY 1")]
    assert opts["attributes"]["Age group"] == [r[0] for r in conn.execute(
        'SELECT DISTINCT "Age group" FROM quotes ORDER BY 1')]
    assert "(not given)" not in opts["months"]


# ---------------------------------------------------------------- quotes


def test_keyset_pages_walk_every_quote_of_a_theme_once(conn):
    number = explore.themes(conn)[0]["number"]
    expected = [r[0] for r in conn.execute("SELECT quote_id FROM quotes WHERE theme_number = ? ORDER BY 1",
                                           [number])]
    seen, after, pages = [], None, []
    while True:
        page = explore.quotes_page(conn, explore.Filters(), theme=number, after=after, size=7)
        seen += [q["quote_id"] for q in page["quotes"]]
        pages.append(page)
        if page["next"] is None:
            break
        after = page["next"]
    assert seen == expected and len(pages) == -(-len(expected) // 7)
    # Previous from page 3 gives page 2 back.
    back = explore.quotes_page(conn, explore.Filters(), theme=number, before=pages[2]["previous"], size=7)
    assert [q["quote_id"] for q in back["quotes"]] == [q["quote_id"] for q in pages[1]["quotes"]]
    assert pages[0]["previous"] is None and back["next"] == pages[1]["next"]


def test_quote_cards_carry_codes_and_attributes(conn):
    code, = conn.execute("SELECT code FROM quote_codes GROUP BY code ORDER BY count(*) DESC LIMIT 1").fetchone()
    page = explore.quotes_page(conn, explore.Filters(), code=code)
    expected = [r[0] for r in conn.execute("SELECT quote_id FROM quote_codes WHERE code = ? ORDER BY 1 LIMIT 20",
                                           [code])]
    assert [q["quote_id"] for q in page["quotes"]] == expected
    assert all(code in q["codes"] and set(q["attributes"]) == set(PUBLISHABLE) for q in page["quotes"])


def test_search_with_filters_matches_sqlite(conn):
    service = explore.options(conn)["attributes"]["Service"][1]
    f = explore.Filters(search="staff", attrs={"Service": service})
    page = explore.quotes_page(conn, f, size=1000)
    expected = [r[0] for r in conn.execute(
        'SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH \'"staff"\' AND rowid IN '
        '(SELECT quote_id FROM quotes WHERE "Service" = ?) ORDER BY rowid', [service])]
    assert expected and [q["quote_id"] for q in page["quotes"]] == expected
    assert page["matching"]["n"] is None or page["matching"]["n"] % 5 == 0


def test_theme_page_has_its_representative_quotes_and_breakdown(conn):
    t = explore.themes(conn)[0]
    page = explore.theme(conn, t["number"], explore.Filters())
    assert page["label"] == t["label"]
    assert [q["text"] for q in page["representative"]] == [r[0] for r in conn.execute(
        "SELECT text FROM theme_quotes WHERE theme_number = ? ORDER BY rank", [t["number"]])]
    assert set(page["breakdown"]) == {r[0] for r in conn.execute(
        "SELECT DISTINCT dimension FROM counts WHERE measure = 'theme' AND item = ? AND dimension != 'all'",
        [t["label"]])} >= {"question", "month", *PUBLISHABLE}
    month = page["breakdown"]["month"]
    assert [c["value"] for c in month] == sorted(c["value"] for c in month)
    assert all(controlled_shape(c) for cells in page["breakdown"].values() for c in cells)
    with pytest.raises(explore.DashboardError, match="no theme"):
        explore.theme(conn, 10_000, explore.Filters())


def test_codebook_tree_and_counts(conn):
    books = explore.codebook(conn)
    flat = []

    def walk(codes, parent):
        for c in codes:
            assert c["parent"] == parent
            flat.append(c)
            walk(c["children"], c["name"])

    for b in books:
        walk(b["codes"], None)
    assert len(flat) == conn.execute("SELECT count(*) FROM codebook").fetchone()[0]
    published = dict(conn.execute("SELECT item, shown FROM counts WHERE measure = 'code' AND dimension = 'all'"))
    assert any(c["count"]["shown"] == published[c["name"]] for c in flat if c["name"] in published)
    assert all(c["count"]["shown"] == published.get(c["name"], "0") for c in flat)


def test_recommendations_with_evidence(conn):
    recs = explore.recommendations(conn)
    assert recs[0]["recommendation"] == "Offer evening appointments" and recs[0]["status"] == "accepted"
    assert [t["number"] for t in recs[0]["themes"]] == [1, 2]
    assert recs[0]["quotes"] and recs[0]["quotes"][0]["text"] == conn.execute(
        "SELECT text FROM quotes WHERE quote_id = ?", [recs[0]["quotes"][0]["quote_id"]]).fetchone()[0]


# ---------------------------------------------------------------- every main query has an index


SMALL_TABLES = {"codebook", "recommendations", "themes", "theme_quotes", "meta"}  # hundreds of rows at most


def plans(conn, run) -> dict[str, list[str]]:
    statements = []
    conn.set_trace_callback(statements.append)
    try:
        run()
    finally:
        conn.set_trace_callback(None)
    out = {}
    for sql in statements:
        # FTS5's own statements on its shadow tables are its business, not ours.
        if sql.lstrip().upper().startswith(("SELECT", "WITH")) and "'main'." not in sql:
            out[sql] = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    return out


def test_main_queries_use_indexes(conn):
    attrs = explore.attributes(conn)
    service = explore.options(conn)["attributes"]["Service"][1]
    number = explore.themes(conn)[0]["number"]
    code, = conn.execute("SELECT code FROM quote_codes LIMIT 1").fetchone()
    runs = [
        lambda: explore.theme_counts(conn, explore.Filters()),
        lambda: explore.theme_counts(conn, explore.Filters(attrs={"Service": service})),
        lambda: explore.trend(conn, explore.Filters(), theme_labels=["x"]),
        lambda: explore.options(conn),
        lambda: explore.theme(conn, number, explore.Filters(), after=10),
        lambda: explore.quotes_page(conn, explore.Filters(attrs={"Service": service}), theme=number, after=50),
        lambda: explore.quotes_page(conn, explore.Filters(search="staff"), theme=number, before=5000),
        lambda: explore.quotes_page(conn, explore.Filters(), code=code, after=3),
        lambda: explore.codebook(conn),
        lambda: explore.recommendations(conn),
    ]
    assert attrs
    checked = 0
    for run in runs:
        for sql, plan in plans(conn, run).items():
            checked += 1
            for line in plan:
                table = re.match(r"SCAN (\w+)", line)
                if table and table.group(1) not in SMALL_TABLES | {"v"} and "INDEX" not in line \
                        and "VIRTUAL TABLE" not in line:
                    pytest.fail(f"full scan without an index: {line}\n{sql}")
                if table and table.group(1) in ("q", "quotes") and "COVERING INDEX" not in line:
                    pytest.fail(f"quotes read in full: {line}\n{sql}")
    assert checked >= 15


# ---------------------------------------------------------------- SVG


PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", '"><svg onload=x>']


def test_svg_escapes_every_label():
    from xml.dom.minidom import parseString

    rows = [{"label": p, "value": i * 10 or None, "text": p, "href": "/-/dashboard/theme/1"} for i, p in
            enumerate(PAYLOADS)]
    out = svg.bar_chart(rows, title=PAYLOADS[0])
    lines = svg.line_chart(PAYLOADS[:2], [{"label": p, "values": [5, None]} for p in PAYLOADS], title=PAYLOADS[1])
    for chart in (out, lines):
        dom = parseString(chart)  # well-formed: nothing broke out of an attribute or a text node
        elements = dom.getElementsByTagName("*")
        assert {e.tagName for e in elements} <= {"svg", "title", "text", "rect", "a", "g", "line", "polyline",
                                                 "circle"}
        assert not [a for e in elements for a in e.attributes.keys() if a.startswith("on")]
        text = "".join(n.data for e in elements for n in e.childNodes if n.nodeType == n.TEXT_NODE)
        for p in PAYLOADS[:2]:
            assert p in text  # shown as text


def test_svg_draws_suppressed_as_gaps_not_zero():
    out = svg.bar_chart([{"label": "a", "value": 40, "text": "40"}, {"label": "b", "value": None,
                                                                      "text": "fewer than 8"}], title="t")
    widths = [int(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="(\d+)"', out)]
    assert widths[0] > 0 and widths[1] == 0 and "fewer than 8" in out
    lines = svg.line_chart(["2025-01", "2025-02", "2025-03"], [{"label": "x", "values": [10, None, 20]}], title="t")
    assert "<polyline" not in lines  # each run has one point: no line across the hidden month
    assert lines.count('fill="#fff"') == 1


@pytest.mark.parametrize("url, ok", [
    ("/-/dashboard/theme/1", True), ("?q=x", True), ("https://example.org/a", True), ("http://x.y", True),
    ("javascript:alert(1)", False), ("JavaScript:alert(1)", False), (" javascript:alert(1)", False),
    ("data:text/html,x", False), ("//evil.example/x", False), ("vbscript:x", False), ("", False), (None, False),
])
def test_safe_href_allows_only_http_and_paths(url, ok):
    assert (svg.safe_href(url) is not None) == ok


# ---------------------------------------------------------------- the .json pages through Datasette


def run_async(coro):
    """asyncio.run in a thread of its own: Playwright's sync API (a browser test earlier in
    the session) leaves an event loop running in the main thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def get_json(public_db, path):
    async def go():
        ds = make_public_datasette(public_db)
        await ds.invoke_startup()
        response = await ds.client.get(path)
        return response.status_code, response.json()

    return run_async(go())


def test_json_pages(public_db, conn):
    status, data = get_json(public_db, "/-/dashboard.json")
    assert status == 200 and data["database"] == "public"
    assert [t["number"] for t in data["counts"]["themes"]] == [t["number"] for t in
                                                                explore.theme_counts(conn, explore.Filters())["themes"]]
    assert data["links"]["quotes"]["csv"].startswith("/public/quotes.csv?")
    number = data["counts"]["themes"][0]["number"]
    status, theme = get_json(public_db, f"/-/dashboard/theme/{number}.json?attr.Service=Dentist")
    assert status == 200 and theme["filters"] == {"attr.Service": "Dentist"}
    assert all(q["attributes"]["Service"] == "Dentist" and q["theme_number"] == number for q in theme["page"]["quotes"])
    status, book = get_json(public_db, "/-/dashboard/codebook.json")
    assert status == 200 and book["codebooks"][0]["codes"]
    status, recs = get_json(public_db, "/-/dashboard/recommendations.json")
    assert recs["recommendations"][0]["outcome"] == "Two clinics open late"
    status, err = get_json(public_db, "/-/dashboard/quotes.json?from=2025-99")
    assert status == 400 and "YYYY-MM" in err["error"]
    status, err = get_json(public_db, "/-/dashboard/theme/9999.json")
    assert status == 404 and not err["ok"]
    status, err = get_json(public_db, "/-/dashboard/quotes.json?after=abc")
    assert status == 400


def test_sentiment_comes_from_published_counts_when_public_db_has_them(public_db, tmp_path):
    import shutil

    copy = tmp_path / "public.db"
    shutil.copy(public_db, copy)
    c = sqlite3.connect(copy)
    label = c.execute("SELECT label FROM themes ORDER BY number LIMIT 1").fetchone()[0]
    c.execute("DELETE FROM counts WHERE dimension = 'sentiment'")
    c.executemany("INSERT INTO counts VALUES ('theme', ?, 'sentiment', ?, ?, ?, ?)",
                  [(label, "Negative", 15, "15", 0), (label, "Positive", None, "<8", 1), (label, "Total", 20, "20", 0)])
    c.commit()
    out = explore.sentiment_split(c, explore.Filters())
    assert out["sentiments"] == ["Negative", "Positive"] and out["by_theme"]
    assert out["rows"][label]["Positive"]["text"] == "fewer than 8" and out["rows"][label]["Negative"]["n"] == 15
    # A filter recounts published quotes instead (the counts table has no theme x sentiment x filter).
    assert explore.sentiment_split(c, explore.Filters(question="What could be better?"))["rows"] != out["rows"]
    # Without them: the overall split from the sentiment index.
    c.execute("DELETE FROM counts WHERE dimension = 'sentiment'")
    overall = explore.sentiment_split(c, explore.Filters())
    assert not overall["by_theme"] and set(overall["rows"]) == {"Total"} and overall["sentiments"]
    c.close()


def test_no_dashboard_without_a_public_db(tmp_path):
    from datasette.app import Datasette

    from rapidreview.serve import register_plugin

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    register_plugin()

    async def go():
        ds = Datasette([str(other)])
        page = await ds.client.get("/-/dashboard.json")
        home = await ds.client.get("/")
        return page.status_code, page.json(), home.text

    status, body, home = run_async(go())
    assert status == 404 and "rapidreview publish" in body["error"]
    assert "/-/dashboard" not in home  # no menu link


def test_a_very_common_search_is_listed_but_not_counted(conn, monkeypatch):
    f = explore.Filters(search="the")
    matches = conn.execute("SELECT count(*) FROM quotes_fts WHERE quotes_fts MATCH 'the'").fetchone()[0]
    assert matches > 10
    assert explore.overview(conn, f)["search_counted"]
    monkeypatch.setattr(explore, "SEARCH_COUNT_CAP", matches - 1)
    out = explore.overview(conn, f)
    assert not out["search_counted"]
    assert out["counts"] == explore.theme_counts(conn, explore.Filters())  # the search left out of the counts
    assert out["quotes"]["quotes"] and all("the" in q["text"].casefold() for q in out["quotes"]["quotes"])


def get_html(public_db, path) -> tuple[int, str]:
    async def go():
        ds = make_public_datasette(public_db)
        await ds.invoke_startup()
        response = await ds.client.get(path)
        return response.status_code, response.text

    return run_async(go())


def test_pages_state_the_rule_public_db_was_published_under(public_db, tmp_path):
    from rapidreview.privacy import DisclosureRule

    assert explore.rule_text(NHS_RULE) == ("1 to 7 shown as “fewer than 8”, others rounded to the nearest 5, "
                                           "and some hidden so that a small number cannot be worked out")
    status, page = get_html(public_db, "/-/dashboard")
    assert status == 200 and "1 to 7 shown as “fewer than 8”, others rounded to the nearest 5" in page
    db = store.open_review(public_db.parent / "demo" / "review.db", create=False)
    try:
        ruled = tmp_path / "public.db"
        publish(db, ruled, PublishOptions(publishable=PUBLISHABLE, min_group=0,
                                          rule=DisclosureRule(threshold=3, round_to=1, marker="<3")))
    finally:
        db.conn.close()
    for path in ("/-/dashboard", "/-/dashboard/codebook"):
        status, page = get_html(ruled, path)
        text = " ".join(page.split())
        assert status == 200 and "1 to 2 shown as “fewer than 3”, others exact" in text, path
        assert "fewer than 8" not in text and "nearest 5" not in text, path
