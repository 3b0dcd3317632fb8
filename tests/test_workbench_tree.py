"""The code tree: counts per coder, a code's passages, editing a definition (a new codebook
version, leads only), merging, and undo of a person's last decision from the event log."""

from __future__ import annotations

import pytest
from workbench_helpers import add_user, make_review, sign_in, signed_in_client
from workbench_helpers import query as rows

from rapidreview import browse, memos, store
from rapidreview.codebook.edit import edit_code
from rapidreview.coding import manual
from rapidreview.coding.undo import merge_undoably, undo_last
from rapidreview.errors import NotFound


def test_undo_walks_back_through_the_log(review_path):
    db = store.open_review(make_review(review_path))
    manual.apply_code(db, "parking", coder="ann", document=2, start=0, end=7)
    manual.apply_code(db, "waiting", coder="ann", document=2, start=0, end=7)
    manual.apply_code(db, "staff", coder="zed", document=1, start=4, end=16)  # someone else's: never undone by ann
    manual.remove_code(db, "parking", coder="ann", document=2, start=0, end=7)
    memo = memos.add_memo(db, "document", 2, "check this", author="ann")
    edit_code(db, "parking", description="Car parks, costs of parking", actor="ann")
    codings = lambda: sorted(r[0] for r in db.execute(  # noqa: E731
        "SELECT c.key || ':' || g.coder FROM codings g JOIN codes c ON c.id = g.code_id"))
    assert codings() == ["staff:zed", "waiting:ann"]
    assert undo_last(db, "ann")["undid"] == "codebook.edit"
    assert db.execute("SELECT description FROM codes WHERE key = 'parking'").fetchone()[0] == "Parking at the service."
    assert undo_last(db, "ann")["undid"] == "memo.add"
    assert db.execute("SELECT count(*) FROM memos WHERE id = ?", [memo["id"]]).fetchone()[0] == 0
    assert undo_last(db, "ann")["undid"] == "coding.remove"
    assert codings() == ["parking:ann", "staff:zed", "waiting:ann"]
    assert undo_last(db, "ann")["undid"] == "coding.apply"
    assert codings() == ["parking:ann", "staff:zed"]
    assert undo_last(db, "ann")["undid"] == "coding.apply"
    assert codings() == ["staff:zed"]
    with pytest.raises(NotFound, match="nothing to undo"):
        undo_last(db, "ann")
    undos = db.execute("SELECT count(*) FROM events WHERE action = 'undo' AND actor = 'ann'").fetchone()[0]
    assert undos == 5


def test_undo_a_merge(review_path):
    db = store.open_review(make_review(review_path))
    manual.apply_code(db, "phone", coder="ann", document=4, start=4, end=15)
    manual.apply_code(db, "appointments", coder="ann", document=4, start=4, end=15)  # collides on merge
    manual.apply_code(db, "phone", coder="bob", document=4, start=0, end=15)
    ids = lambda key: [r[0] for r in db.execute(  # noqa: E731
        "SELECT g.id FROM codings g JOIN codes c ON c.id = g.code_id WHERE c.key = ? ORDER BY g.id", [key])]
    phone_codings = ids("phone")
    versions = db.execute("SELECT count(*) FROM codebook_versions").fetchone()[0]
    merge_undoably(db, ["phone"], "appointments", actor="lee")
    assert ids("phone") == [] and len(ids("appointments")) == 2
    result = undo_last(db, "lee")
    assert result["undid"] == "codebook.merge.moved" and result["codings"] == 1
    assert db.execute("SELECT archived, merged_into FROM codes WHERE key = 'phone'").fetchone() == (0, None)
    assert ids("phone") == [phone_codings[1]]  # bob's moved back; ann's collided into her appointments coding
    assert db.execute("SELECT count(*) FROM codebook_versions").fetchone()[0] == versions + 2


def test_edit_makes_a_new_version_and_tree_counts(review_path):
    db = store.open_review(make_review(review_path))
    manual.apply_code(db, "parking", coder="ann", document=2, start=0, end=7)
    manual.apply_code(db, "parking", coder="bob", document=2, start=0, end=7)
    manual.apply_code(db, "parking", coder="bob", document=4, start=0, end=9)
    before = db.execute("SELECT max(version) FROM codebook_versions").fetchone()[0]
    result = edit_code(db, "parking", include="Cost, space, distance", keywords=["car park", "parking"], actor="ann")
    assert result["changed"] and result["version"] == before + 1 and result["fields"] == ["include", "rules"]
    assert edit_code(db, "parking", include="Cost, space, distance", keywords=["car park", "parking"])["changed"] is False
    node = [c for c in browse.code_tree(db)[0]["codes"] if c["key"] == "parking"][0]
    assert node["accepted"] == 3 and node["by_coder"] == [("ann", 1), ("bob", 2)]
    assert node["include"] == "Cost, space, distance" and node["rules"]["keywords"] == ["car park", "parking"]
    access = [c for c in browse.code_tree(db)[0]["codes"] if c["key"] == "access"][0]
    assert [c["key"] for c in access["children"]] == ["appointments", "phone"]


@pytest.mark.browser
def test_tree_page_edit_merge_and_undo(review_path, live_server, page):
    review = make_review(review_path)
    add_user(review, "lena", "lead password", "lead")
    add_user(review, "carl", "coder password", "coder")
    server = live_server(review)
    carl = signed_in_client(server, "carl", "coder password")
    parking = rows(review, "SELECT id FROM codes WHERE key = 'parking'")[0][0]
    waiting = rows(review, "SELECT id FROM codes WHERE key = 'waiting'")[0][0]
    assert carl.post("/-/workbench/document/2/apply", json={"codes": [parking], "start": 0, "end": 7}).json()["ok"]
    # A coder may not edit or merge codes.
    r = carl.post(f"/-/workbench/code/{parking}/edit", json={"description": "mine now"})
    assert r.status_code == 403
    assert carl.post("/-/workbench/codes/merge", json={"sources": [parking], "into": waiting}).status_code == 403
    versions = rows(review, "SELECT count(*) FROM codebook_versions")[0][0]

    sign_in(page, server, "lena", "lead password", next_path="/-/workbench/codes")
    node = page.locator(f".wb-node[data-code='{parking}']").first
    assert "carl 1" in node.inner_text()
    node.locator("a.wb-code-link").first.click()
    page.wait_for_selector(".wb-passages q")
    assert page.inner_text(".wb-passages q") == "Parking"
    page.click(".wb-edit summary")
    page.fill("#wb-edit-form textarea[name=description]", "Parking at or near the service, and its cost.")
    page.click("#wb-edit-form button[type=submit]")
    page.wait_for_selector(".wb-description:has-text('its cost')")
    assert rows(review, "SELECT count(*) FROM codebook_versions")[0][0] == versions + 1
    assert rows(review, "SELECT loaded_by, source FROM codebook_versions ORDER BY id DESC LIMIT 1") == [("lena", "edit")]
    # Undo puts the old definition back (another new version, logged).
    page.goto(server.url + "/-/workbench/codes")
    assert "codebook.edit" in page.inner_text("#wb-undo")
    page.click("#wb-undo")
    page.wait_for_load_state()
    assert rows(review, "SELECT description FROM codes WHERE id = ?", [parking]) == [("Parking at the service.",)]
    # Merge parking into waiting: carl's coding moves with it.
    page.goto(server.url + "/-/workbench/codes")
    page.select_option("#wb-merge-source", str(parking))
    page.select_option("#wb-merge-into", str(waiting))
    page.click(".wb-merge button[type=submit]")
    page.wait_for_load_state()
    assert rows(review, "SELECT archived, merged_into FROM codes WHERE id = ?", [parking]) == [(1, waiting)]
    assert rows(review, "SELECT code_id, coder FROM codings") == [(waiting, "carl")]
    assert page.locator(f".wb-node[data-code='{parking}']").count() == 0
    # Carl's undo of his coding, since moved by the merge, says so and changes nothing.
    r = carl.post("/-/workbench/undo", json={})
    assert r.status_code == 400 and "has not applied" in r.json()["error"]
    assert rows(review, "SELECT code_id, coder FROM codings") == [(waiting, "carl")]
    actions = [a for (a,) in rows(review, "SELECT action FROM events WHERE actor = 'lena' ORDER BY id")]
    assert actions == ["codebook.edit", "codebook.edit", "undo", "codebook.merge", "codebook.merge.moved"]
    # Lena's undo takes the merge back: parking is live again with carl's coding.
    page.goto(server.url + "/-/workbench/codes")
    page.click("#wb-undo")
    page.wait_for_selector(f".wb-node[data-code='{parking}']")
    assert rows(review, "SELECT archived, merged_into FROM codes WHERE id = ?", [parking]) == [(0, None)]
    assert rows(review, "SELECT code_id, coder FROM codings") == [(parking, "carl")]
