"""The commissioners' dashboard in real Chromium on `rapidreview serve public.db --public`:
open it, click a theme, read its quotes, filter by service, search, page on, open the
codebook and follow a code; and XSS payloads planted in quotes, attribute values, code
names, definitions, theme labels and the ledger are shown as text and never run.
Screenshots are kept in tests/artefacts/ by the `page` fixture, which also fails a test
on any JavaScript error or dialog (so an alert() from a payload fails it)."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from test_dashboard import build_sample

from rapidreview import codebook, privacy, store
from rapidreview.ingest import ImportOptions, import_files
from rapidreview.publish import PublishOptions, ledger, publish
from rapidreview.themes import ThemeOptions, find_themes
from rapidreview.themes.edits import rename

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def public_db(tmp_path_factory) -> Path:
    return build_sample(tmp_path_factory.getbasetemp() / "dashboard-sample")


@pytest.fixture(scope="module")
def server(public_db):
    # One server for the module's tests (the live_server fixture starts one per test).
    from conftest import LiveServer

    live = LiveServer(public_db, "--public")
    yield live
    live.stop()


def query(db: Path, sql: str, params=()):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def card_ids(page) -> list[int]:
    return [int(t.strip().lstrip("#")) for t in page.locator(".rr-card dt:text-is('Quote') + dd").all_inner_texts()]


def test_overview_theme_quotes_and_paging(server, public_db, page):
    page.goto(server.url + "/")
    page.locator("header details.nav-menu > summary").click()  # Datasette's menu
    page.get_by_role("link", name="Dashboard").click()  # our menu link (only when a public.db is served)
    assert urlsplit(page.url).path == "/-/dashboard"
    (number, label, shown), = query(public_db, "SELECT number, label, size_shown FROM themes "
                                    "ORDER BY coalesce(size, 0) DESC, number LIMIT 1")
    first_row = page.locator("table.rr-themes tbody tr").first
    assert first_row.locator("th").inner_text().startswith(label) and first_row.locator("td").first.inner_text() == shown
    assert page.locator("svg.rr-bars a").count() == query(public_db, "SELECT count(*) FROM themes "
                                                           "WHERE size_shown != '0'")[0][0]
    assert page.locator("svg.rr-lines").count() == 1

    page.get_by_role("link", name=label, exact=True).first.click()
    assert page.locator("h1").inner_text() == label
    terms = query(public_db, "SELECT key_terms FROM themes WHERE number = ?", [number])[0][0].split("; ")
    assert page.locator("ul.rr-terms li").all_inner_texts() == terms
    expected = [r[0] for r in query(public_db, "SELECT quote_id FROM quotes WHERE theme_number = ? "
                                    "ORDER BY quote_id LIMIT 40", [number])]
    assert card_ids(page) == expected[:20]
    first_text = query(public_db, "SELECT text FROM quotes WHERE quote_id = ?", [expected[0]])[0][0]
    assert page.locator(".rr-card blockquote").first.inner_text() == first_text

    page.get_by_role("link", name="Next").click()
    assert card_ids(page) == expected[20:40]
    page.get_by_role("link", name="Previous").click()
    assert card_ids(page) == expected[:20]


def test_filter_by_service_and_search(server, public_db, page):
    (service, n), = query(public_db, 'SELECT "Service", count(*) FROM quotes WHERE "Service" != \'(not given)\' '
                          'GROUP BY 1 ORDER BY 2 DESC LIMIT 1')
    page.goto(server.url + "/-/dashboard/quotes")
    page.get_by_label("Service").select_option(service)
    page.get_by_role("button", name="Apply filters").click()
    assert parse_qs(urlsplit(page.url).query)["attr.Service"] == [service]
    services = page.locator(".rr-card dt:text-is('Service') + dd").all_inner_texts()
    assert len(services) == 20 and set(services) == {service}
    assert card_ids(page) == [r[0] for r in query(public_db, 'SELECT quote_id FROM quotes WHERE "Service" = ? '
                                                  "ORDER BY quote_id LIMIT 20", [service])]
    # The filter stays selected, and search narrows within it.
    assert page.get_by_label("Service").input_value() == service
    page.get_by_label("Search quotes").fill("staff")
    page.get_by_role("button", name="Apply filters").click()
    expected = [r[0] for r in query(public_db, "SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH 'staff' AND rowid IN "
                                    '(SELECT quote_id FROM quotes WHERE "Service" = ?) ORDER BY rowid LIMIT 20',
                                    [service])]
    assert expected and card_ids(page) == expected
    assert all("staff" in t.casefold() for t in page.locator(".rr-card blockquote").all_inner_texts())
    # The same filters on the overview redraw the chart from controlled counts.
    page.get_by_role("link", name="Themes", exact=True).click()
    page.get_by_label("Search quotes").fill("staff")
    page.get_by_label("Service").select_option(service)
    page.get_by_role("button", name="Apply filters").click()
    assert "disclosure-controlled" in page.locator("#rr-themes-h + p").inner_text()
    for cell in page.locator("table.rr-themes tbody tr td:nth-child(2)").all_inner_texts():
        assert cell in ("0", "fewer than 8") or cell.startswith("hidden") or int(cell) % 5 == 0
    # The link to the Datasette table carries the same filters.
    href = page.get_by_role("link", name="table in Datasette").first.get_attribute("href")
    args = parse_qs(urlsplit(href).query)
    assert args["Service"] == [service] and args["_search"] == ["staff"]


def test_codebook_to_a_code_and_the_ledger(server, public_db, page):
    (code, shown), = query(public_db, "SELECT item, shown FROM counts WHERE measure = 'code' AND dimension = 'all' "
                           "AND item != 'Total' ORDER BY n DESC LIMIT 1")
    page.goto(server.url + "/-/dashboard")
    page.get_by_role("link", name="Codebook").first.click()
    names = page.locator("a.rr-code-link").all_inner_texts()
    assert len(names) == query(public_db, "SELECT count(*) FROM codebook")[0][0]
    link = page.locator("a.rr-code-link", has_text=code).first
    assert link.locator("xpath=..").locator(".rr-count").inner_text() == f"{shown} quotes"
    link.click()
    assert page.locator("h1").inner_text() == code
    expected = [r[0] for r in query(public_db, "SELECT quote_id FROM quote_codes WHERE code = ? ORDER BY 1 LIMIT 20",
                                    [code])]
    assert card_ids(page) == expected
    codes = page.locator(".rr-card").first.locator("ul.rr-codes li").all_inner_texts()
    assert code in codes
    page.get_by_role("link", name="Recommendations").first.click()
    (text, outcome), = query(public_db, "SELECT recommendation, outcome FROM recommendations")
    assert text in page.locator("h2").first.inner_text() and outcome in page.content()


def test_keyboard_only(server, public_db, page):
    page.goto(server.url + "/-/dashboard")
    page.get_by_label("Search quotes").focus()
    page.keyboard.type("parking")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # a plain GET form: no JavaScript needed
    assert parse_qs(urlsplit(page.url).query)["q"] == ["parking"]
    assert page.locator("#rr-found-h").is_visible()


# ---------------------------------------------------------------- XSS


SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS = "javascript:alert(1)"
PAYLOADS = [SCRIPT, IMG, JS]
GOOD = ["Staff were kind and caring", "The nurse was friendly and helpful", "Quick appointment, lovely staff"]
BETTER = ["Waiting time was far too long", "Parking is impossible and expensive", "Long wait on the phone line"]


def xss_review(path: Path, tmp: Path):
    survey = tmp / "survey.csv"
    with open(survey, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Answer ID", "Respondent ID", "Service", "Date", "Question", "Answer", "Codes"])
        for i in range(36):
            service, payload = PAYLOADS[i % 3], PAYLOADS[(i // 3) % 3]
            common = [f"R{i}", service, f"2026-0{1 + i % 3}-1{i % 9}"]
            w.writerow([f"A{i}g", *common, "What was good?", f"{GOOD[i % 3]} {payload}", SCRIPT])
            w.writerow([f"A{i}b", *common, "What could be better?", f"{BETTER[i % 3]} {payload}",
                        f"{IMG}; {JS}" if i % 2 else JS])
    book = tmp / "codebook.yaml"
    book.write_text(yaml.safe_dump({"name": SCRIPT, "codes": [
        {"key": "xss", "name": f"Staff {SCRIPT}", "description": IMG, "include": JS, "exclude": SCRIPT,
         "children": [{"key": "xss-child", "name": IMG, "description": JS}]}]}), encoding="utf-8")
    db = store.open_review(path)
    try:
        import_files(db, [survey], ImportOptions(text=["Answer"], id="Answer ID", respondent="Respondent ID",
                                                 question_col="Question", attrs=["Service"], date="Date",
                                                 codes=["Codes"]))
        codebook.load_codebook(db, codebook.read(book), source=str(book))
        privacy.redact(db)
        find_themes(db, options=ThemeOptions(k=3, seed=0, n_runs=3, n_components=10))
        numbers = [r[0] for r in db.execute("SELECT number FROM themes WHERE kind = 'theme' ORDER BY number")]
        for number, payload in zip(numbers, PAYLOADS):
            rename(db, None, number, payload)
        rec = ledger.add(db, f"Recommend {SCRIPT}", themes=numbers[:1], quotes=[1])
        ledger.respond(db, rec, response=IMG, outcome=JS, status="accepted")
        publish(db, tmp / "xss-public.db", PublishOptions(publishable=["Service"]))
    finally:
        db.conn.close()
    return tmp / "xss-public.db"


@pytest.fixture(scope="module")
def xss_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dashboard-xss")
    return xss_review(tmp / "review.db", tmp)


def test_payloads_reach_public_db(xss_db):
    """Otherwise the browser test below would prove nothing."""
    blob = "\n".join(str(v) for t in ("quotes", "themes", "codebook", "quote_codes", "recommendations")
                     for row in query(xss_db, f"SELECT * FROM {t}") for v in row)
    for payload in PAYLOADS:
        assert payload in blob, payload
    assert {r[0] for r in query(xss_db, "SELECT label FROM themes")} >= set(PAYLOADS)
    assert {r[0] for r in query(xss_db, 'SELECT DISTINCT "Service" FROM quotes')} == set(PAYLOADS)
    assert {IMG, JS} <= {r[0] for r in query(xss_db, "SELECT name FROM codebook")} | \
        {r[0] for r in query(xss_db, "SELECT code FROM quote_codes")}


def inert(page) -> dict:
    """What the DOM holds: scripts, event-handler attributes, javascript: links, images."""
    return page.evaluate("""() => ({
        scripts: [...document.querySelectorAll('script')].map(s => s.textContent + (s.src || '')),
        handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes].filter(a => a.name.startsWith('on'))
                                                               .map(a => e.tagName + ' ' + a.name)),
        jsLinks: [...document.querySelectorAll('[href], [src], [action], [formaction]')].map(
            e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') || '')
            .filter(u => /^\\s*(javascript|data|vbscript):/i.test(u)),
        images: document.querySelectorAll('img').length,
        text: document.body.innerText,
    })""")


def test_xss_payloads_are_inert_on_every_page(live_server, xss_db, page):
    server = live_server(xss_db, "--public")
    numbers = [r[0] for r in query(xss_db, "SELECT number FROM themes ORDER BY number")]
    paths = ["/-/dashboard", "/-/dashboard?q=staff", f"/-/dashboard?attr.Service={IMG}",
             "/-/dashboard/codebook", "/-/dashboard/recommendations", "/-/dashboard/quotes",
             f"/-/dashboard/quotes?code={JS}", f"/-/dashboard/quotes?code={IMG}&attr.Service={SCRIPT}",
             *[f"/-/dashboard/theme/{n}" for n in numbers]]
    from urllib.parse import quote

    seen = set()
    for path in paths:
        response = page.goto(server.url + quote(path, safe="/?=&."))
        assert response.status == 200, path
        dom = inert(page)
        assert not [s for s in dom["scripts"] if "alert" in s], path
        assert dom["handlers"] == [], path
        assert dom["jsLinks"] == [], path
        assert dom["images"] == 0, path
        seen |= {p for p in PAYLOADS if p in dom["text"]}
    assert seen == set(PAYLOADS)  # every payload was on some page, as visible text
    # The theme labelled with a script tag shows it as its heading, word for word.
    page.goto(server.url + f"/-/dashboard/theme/{numbers[0]}")
    labels = {r[0] for r in query(xss_db, "SELECT label FROM themes WHERE number = ?", [numbers[0]])}
    assert page.locator("h1").inner_text() in labels
