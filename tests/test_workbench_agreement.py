"""The agreement page (issue 8, item 5): the library's figures, the disagreements, and a
lead settling one through the library."""

from __future__ import annotations

import re

import pytest
from workbench_helpers import XSS, add_user, sign_in, signed_in_client
from workbench_queue_helpers import make_suggested_review, seed_decisions

from rapidreview import store
from rapidreview.coding import agreement, manual

PASSWORD = "correct horse battery"


def _fmt(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def two_coders(review_path, *, xss: bool = False):
    """alice decides suggestions; bob codes the same segments by hand, agreeing on most."""
    make_suggested_review(review_path, xss=xss)
    seed_decisions(review_path, "alice")
    db = store.open_review(review_path, create=False)
    rows = db.execute("""SELECT c.segment_id, c.code_id, c.status FROM codings c
                         WHERE c.decided_by = 'alice' AND c.segment_id IS NOT NULL ORDER BY c.id""").fetchall()
    for i, (segment, code_id, status) in enumerate(rows):
        if (status == "accepted" and i % 4 != 0) or (status == "rejected" and i % 5 == 0):
            manual.apply_code(db, code_id, coder="bob", segment=segment)
    db.conn.close()
    for name, role in (("alice", "coder"), ("bob", "coder"), ("lee", "lead")):
        add_user(review_path, name, PASSWORD, role)
    return review_path


@pytest.mark.browser
def test_page_shows_the_library_figures_and_a_lead_settles_one(live_server, page, review_path):
    two_coders(review_path)
    db = store.open_review(review_path, create=False)
    expected = agreement.agreement(db, ["alice", "bob"], max_disagreements=200)
    assert expected.disagreements and expected.codes
    server = live_server(review_path)
    sign_in(page, server, "lee", PASSWORD, next_path="/-/workbench/agreement")
    page.goto(server.url + "/-/workbench/agreement?coder=alice&coder=bob")
    assert page.inner_text("#rr-alpha-all") == _fmt(expected.alpha)
    for c in expected.codes:
        row = page.locator("#rr-agreement-table tbody tr", has=page.locator(f"td:text-is('{c.code}')"))
        assert row.locator(".rr-alpha").inner_text() == _fmt(c.alpha)
        assert row.locator(".rr-kappa").inner_text() == _fmt(c.kappa["alice|bob"])
        assert row.locator("td").nth(1).inner_text() == str(c.units)
    assert f"alice & bob: {expected.units['alice|bob']}" in page.inner_text("#rr-shared-units")
    assert page.locator("#rr-disagreements tbody tr").count() == len(expected.disagreements)

    first = expected.disagreements[0]
    page.locator("#rr-disagreements tbody tr").first.locator("button.rr-settle-keep").click()
    page.wait_for_selector(".rr-settled")
    assert "settled by lee: kept" in page.inner_text("#rr-disagreements tbody tr:first-child")
    code_id = db.execute("SELECT id FROM codes WHERE name = ?", [first["code"]]).fetchone()[0]
    assert db.execute("SELECT status FROM codings WHERE coder = 'lee' AND segment_id = ? AND code_id = ?",
                      [first["segment_id"], code_id]).fetchone() == ("accepted",)
    actor, between = db.execute("SELECT actor, json_extract(payload, '$.between') FROM events "
                                "WHERE action = 'adjudicate'").fetchone()
    assert actor == "lee" and between == '["alice","bob"]'
    # The coders' own codings are untouched, so the figures are too.
    again = agreement.agreement(db, ["alice", "bob"])
    assert again.alpha == expected.alpha
    # A link to the segment for each disagreement.
    href = page.locator("#rr-disagreements tbody tr").first.locator("a").get_attribute("href")
    assert href.endswith(f"/segments/{first['segment_id']}")


def test_coders_cannot_adjudicate_and_model_figures_match(live_server, review_path):
    two_coders(review_path)
    server = live_server(review_path)
    bob = signed_in_client(server, "bob", PASSWORD)
    html = bob.get("/-/workbench/agreement").text
    assert "rr-agreement-table" in html and "rr-settle-keep" not in html
    db = store.open_review(review_path, create=False)
    segment = db.execute("SELECT segment_id FROM codings WHERE decided_by = 'alice' LIMIT 1").fetchone()[0]
    r = bob.http.post("/-/workbench/agreement/adjudicate", data={
        "csrftoken": bob.csrftoken(), "segment": segment, "code": 1, "keep": "1"})
    assert r.status_code == 403
    assert db.execute("SELECT count(*) FROM events WHERE action = 'adjudicate'").fetchone()[0] == 0
    # One coder against the model (cross-validated): the library's figures.
    html = bob.get("/-/workbench/agreement?coder=alice&model=1").text
    expected = agreement.agreement(db, ["alice"], model=True)
    shown = re.search(r'id="rr-alpha-all">([^<]+)<', html)[1]
    assert shown == _fmt(expected.alpha)
    one = bob.get("/-/workbench/agreement?coder=alice").text
    assert "Agreement needs two coders, or one coder and the model" in one
    bob.close()


@pytest.mark.browser
def test_code_names_and_text_are_inert(live_server, page, review_path):
    two_coders(review_path, xss=True)
    server = live_server(review_path)
    sign_in(page, server, "lee", PASSWORD, next_path="/-/workbench/agreement")
    page.goto(server.url + "/-/workbench/agreement?coder=alice&coder=bob")
    table = page.inner_text("#rr-agreement-table")
    assert XSS[0] in table  # shown as text
    assert page.locator("table img, table script").count() == 0
