"""The reader: select a passage in Chromium and code it, exact offsets with accents and
emoji, remove, memos, inert XSS payloads on every page, and two coders at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from workbench_helpers import ANSWERS, XSS, add_user, make_review, select_text, sign_in, signed_in_client
from workbench_helpers import query as rows

from rapidreview import browse

ARTEFACTS = Path(__file__).parent / "artefacts"


def test_utf16_offsets_and_overlapping_pieces():
    text = "Café 😀 très bien"
    # JavaScript counts the emoji as 2 units; Python as 1 character.
    assert browse.offset_from_utf16(text, 7) == 6 and text[6:] == " très bien"
    assert browse.offset_from_utf16(text, 6) == 6  # mid-pair snaps past the emoji
    codings = [{"start": 0, "end": 4, "colour": "#111111"}, {"start": 2, "end": 8, "colour": "#222222"}]
    cut = browse.pieces(text, 0, len(text), codings)
    assert "".join(p["text"] for p in cut) == text
    assert [(p["start"], p["end"], len(p["codings"])) for p in cut] == [(0, 2, 1), (2, 4, 2), (4, 8, 1),
                                                                      (8, len(text), 0)]
    assert browse.colour_of(3, "red; background:url(x)") in browse.PALETTE


@pytest.mark.browser
def test_select_a_passage_and_code_it(review_path, live_server, page):
    review = make_review(review_path)
    add_user(review, "alice", "correct horse", "coder")
    server = live_server(review)
    sign_in(page, server, "alice", "correct horse")
    doc_id, text = rows(review, "SELECT id, text FROM documents WHERE text LIKE 'Café%'")[0]
    page.goto(f"{server.url}/-/workbench/document/{doc_id}")
    quote = "très bien 😀"
    # A DOM Range over the exact words in the rendered text, as a mouse drag would make.
    select_text(page, quote)
    page.keyboard.press("c")
    page.fill("#wb-code-search", "staff")
    page.keyboard.press("Enter")
    page.wait_for_selector(".wb-coding")
    start = text.index(quote)
    got = rows(review, 'SELECT g.document_id, g.start, g."end", c.key, g.coder FROM codings g '
                       "JOIN codes c ON c.id = g.code_id")
    assert got == [(doc_id, start, start + len(quote), "staff", "alice")]
    assert text[got[0][1]:got[0][2]] == quote
    assert page.locator(".wb-coded").first.inner_text() == quote
    # Two codes at once over a transcript turn, with the keyboard only.
    tid, ttext = rows(review, "SELECT id, text FROM documents WHERE kind = 'transcript'")[0]
    page.goto(f"{server.url}/-/workbench/document/{tid}")
    assert "00:00:12" in page.inner_text(".wb-text") and "Participant" in page.inner_text(".wb-text")
    quote2 = "number 27 in the queue"
    select_text(page, quote2)
    page.click("#wb-code-btn")
    page.fill("#wb-code-search", "phone")
    page.keyboard.press("Shift+Enter")
    page.fill("#wb-code-search", "wait")
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Enter")
    page.wait_for_selector(".wb-coding >> nth=1")
    s2 = ttext.index(quote2)
    got = rows(review, 'SELECT c.key, g.start, g."end" FROM codings g JOIN codes c ON c.id = g.code_id '
                       "WHERE g.document_id = ? ORDER BY c.key", [tid])
    assert got == [("phone", s2, s2 + len(quote2)), ("waiting", s2, s2 + len(quote2))]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "workbench-transcript-coded.png"), full_page=True)
    # Remove one, keep the other; write a memo.
    page.locator(".wb-coding", has_text="Waiting").locator("button").click()
    page.wait_for_load_state()
    page.fill("#wb-memo", "Queue length matters more than the wait <b>itself</b>")
    page.click(".wb-memo-form button")
    page.wait_for_selector(".wb-memos li p")
    assert "<b>itself</b>" in page.inner_text(".wb-memos")
    assert rows(review, "SELECT c.key FROM codings g JOIN codes c ON c.id = g.code_id WHERE g.document_id = ?",
                [tid]) == [("phone",)]
    assert rows(review, "SELECT target, target_id, author FROM memos") == [("document", tid, "alice")]
    actions = [r[0] for r in rows(review, "SELECT action FROM events WHERE actor = 'alice' ORDER BY id")]
    assert actions == ["coding.apply", "coding.apply", "coding.apply", "coding.remove", "memo.add"]
    # p goes to the previous document (the transcript is the last one).
    page.keyboard.press("p")
    page.wait_for_url(f"**/document/{tid - 1}")


@pytest.mark.browser
def test_xss_payloads_are_inert_everywhere(review_path, live_server, page):
    nasty = [(f"R{i}", XSS[i % 3], XSS[i % 3] + " was said", "fine " + XSS[(i + 1) % 3]) for i in range(3)]
    review = make_review(review_path, answers=nasty, extra_code=XSS[0],
                         transcript="Interviewer: hello\nParticipant: <script>alert(1)</script> " + XSS[1] + "\n")
    add_user(review, "alice", "correct horse", "lead")
    server = live_server(review)
    client = signed_in_client(server, "alice", "correct horse")
    code_id = rows(review, "SELECT id FROM codes WHERE key = 'extra'")[0][0]
    client.post("/-/workbench/document/1/apply", json={"codes": [code_id], "start": 0, "end": 5})
    client.post("/-/workbench/memo", json={"target": "code", "target_id": code_id, "text": XSS[1]})
    sign_in(page, server, "alice", "correct horse")
    paths = ["/-/workbench", "/-/workbench/document/1", "/-/workbench/document/2", "/-/workbench/grid",
             "/-/workbench/codes", f"/-/workbench/code/{code_id}", "/-/workbench?q=alert"]
    paths.append(f"/-/workbench/document/{rows(review, 'SELECT max(id) FROM documents')[0][0]}")
    for path in paths:
        page.goto(server.url + path)
        page.wait_for_load_state("load")
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert page.locator("img[src=x]").count() == 0
        assert page.locator("a[href^='javascript:']").count() == 0
    page.goto(f"{server.url}/-/workbench/document/1")
    page.evaluate("""() => { const n = document.querySelector('#wb-text .wb-p').firstChild;
        const r = document.createRange(); r.setStart(n, 0); r.setEnd(n, 3);
        getSelection().removeAllRanges(); getSelection().addRange(r); }""")
    page.click("#wb-code-btn")
    page.fill("#wb-code-search", "script")
    assert page.locator("#wb-code-list li").first.inner_text().strip() == XSS[0]


def test_two_coders_at_once_lose_nothing(review_path, live_server):
    review = make_review(review_path)
    add_user(review, "alice", "correct horse", "coder")
    add_user(review, "bob", "battery staple", "coder")
    server = live_server(review)
    clients = [signed_in_client(server, "alice", "correct horse"), signed_in_client(server, "bob", "battery staple")]
    docs = rows(review, "SELECT id, length(text) FROM documents WHERE kind = 'survey' AND answered = 1")
    errors = []

    def code_all(client):
        for doc_id, n in docs:
            for code in (4, 5, 6):
                r = client.post(f"/-/workbench/document/{doc_id}/apply", json={"codes": [code], "start": 0, "end": n})
                if r.status_code != 200:
                    errors.append(r.text)

    threads = [threading.Thread(target=code_all, args=(c,)) for c in clients]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    count = rows(review, "SELECT coder, count(*) FROM codings GROUP BY coder ORDER BY coder")
    assert count == [("alice", 3 * len(docs)), ("bob", 3 * len(docs))]
    assert rows(review, "SELECT count(*) FROM events WHERE action = 'coding.apply'")[0][0] == 6 * len(docs)
    assert len(ANSWERS) >= 4
