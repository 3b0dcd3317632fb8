"""The survey grid: one answer per row with its attributes; tick rows, pick a code, apply."""

from __future__ import annotations

import pytest
from workbench_helpers import add_user, make_review, sign_in, signed_in_client
from workbench_helpers import query as rows

from rapidreview import browse, store


def test_grid_page_keyset_and_filters(review_path):
    answers = [(f"R{i}", "GP" if i % 2 else "Dentist", f"good answer {i}", f"better answer {i}") for i in range(130)]
    review = make_review(review_path, answers=answers, transcript=None)
    db = store.open_review(review)
    f = browse.Filters(question="What was good?", limit=50)
    seen = []
    while True:
        page = browse.grid_page(db, f)
        seen += [r["id"] for r in page["rows"]]
        if page["next_after"] is None:
            break
        f.after = page["next_after"]
    assert len(seen) == 130 and seen == sorted(seen)
    assert all(r == "What was good?" for (r,) in db.execute(
        f"SELECT question FROM documents WHERE id IN ({','.join(map(str, seen))})"))
    gp = browse.grid_page(db, browse.Filters(question="What was good?", attribute="Service=GP", limit=500))
    assert len(gp["rows"]) == 65 and all(r["attributes"]["Service"] == "GP" for r in gp["rows"])
    assert gp["attribute_names"] == ["Service"]
    hits = browse.grid_page(db, browse.Filters(question="What was good?", search="answer 17", limit=500))
    assert [r["external_id"] for r in hits["rows"]] == ["R17 | What was good?"]


@pytest.mark.browser
def test_grid_session_codes_three_answers(review_path, live_server, page):
    review = make_review(review_path)
    add_user(review, "bob", "battery staple", "coder")
    server = live_server(review)
    sign_in(page, server, "bob", "battery staple")
    page.goto(server.url + "/-/workbench/grid?question=What+could+be+better%3F")
    assert page.locator("table.wb-grid tbody tr").count() == 5
    assert page.locator("table.wb-grid thead th", has_text="Service").count() == 1
    targets = rows(review, "SELECT id, text FROM documents WHERE question = 'What could be better?' AND answered = 1 "
                           "ORDER BY id LIMIT 3")
    for doc_id, _ in targets:
        page.check(f"tr[data-document='{doc_id}'] input[name=document]")
    page.keyboard.press("c")
    page.fill("#wb-code-search", "wait")
    page.keyboard.press("Enter")
    page.wait_for_selector(".wb-cell-codes .wb-chip")
    got = rows(review, 'SELECT g.document_id, g.start, g."end", c.key, g.coder FROM codings g '
                       "JOIN codes c ON c.id = g.code_id ORDER BY g.document_id")
    assert [(d, c, who) for d, _, _, c, who in got] == [(d, "waiting", "bob") for d, _ in targets]
    for (doc_id, text), (_, start, end, _, _) in zip(targets, got):
        assert text[start:end].strip() == text.strip()  # the whole answer
    assert page.locator(".wb-cell-codes .wb-chip", has_text="Waiting").count() == 3
    # The same with the plain form (no picker): a second code on one row.
    page.check(f"tr[data-document='{targets[0][0]}'] input[name=document]")
    page.select_option("#wb-grid-code", label="Parking")
    page.click("#wb-grid-form button[type=submit]")
    page.wait_for_selector(".wb-chip:has-text('Parking')")
    assert rows(review, "SELECT count(*) FROM codings g JOIN codes c ON c.id = g.code_id WHERE c.key = 'parking'") \
        == [(1,)]


def test_grid_apply_refuses_a_coder_without_rows_or_codes(review_path, live_server):
    review = make_review(review_path, transcript=None)
    add_user(review, "bob", "battery staple", "coder")
    server = live_server(review)
    bob = signed_in_client(server, "bob", "battery staple")
    r = bob.post("/-/workbench/grid/apply", json={"codes": [6], "documents": []})
    assert r.status_code == 400 and "tick at least one" in r.json()["error"]
    r = bob.post("/-/workbench/grid/apply", json={"codes": [1], "documents": [1]})  # a heading
    assert r.status_code == 400 and "category heading" in r.json()["error"]
    assert rows(review, "SELECT count(*) FROM codings") == [(0,)]
