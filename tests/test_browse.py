"""The workbench's document list: "coded" means a person accepted a code there; the
machine's suggestions, however many, do not count."""

from __future__ import annotations

from conftest import ROOT

from rapidreview import demo
from rapidreview.browse import Filters, documents_page
from rapidreview.coding.manual import apply_code

CORPUS = ROOT / "corpora" / "healthwatch-sample"


def _all(db, coded: str | None) -> list[int]:
    ids, after = [], 0
    while after is not None:
        page = documents_page(db, Filters(coded=coded, after=after, limit=40))
        ids += [r["id"] for r in page["rows"]]
        after = page["next_after"]
    return ids


def test_coded_and_uncoded_follow_accepted_codings_only(db):
    demo.import_corpus(db, CORPUS)
    demo.load_starter_codebook(db, CORPUS)
    demo.suggest_codes(db, CORPUS)
    suggested = db.execute("SELECT count(DISTINCT document_id) FROM codings WHERE status = 'suggested'").fetchone()[0]
    assert suggested > 50, "the rules should have suggested codes on many answers"
    answered = [r[0] for r in db.execute("SELECT id FROM documents WHERE answered = 1 ORDER BY id")]
    picked = answered[3:120:37]
    code = db.execute("SELECT key FROM codes WHERE archived = 0 AND codable = 1 ORDER BY id LIMIT 1").fetchone()[0]
    for document_id in picked:
        apply_code(db, code, coder="ana", document=document_id)

    assert _all(db, "coded") == picked
    assert _all(db, "uncoded") == [i for i in answered if i not in picked]
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT d.id FROM documents d WHERE EXISTS (SELECT 1 FROM codings g "
        "WHERE g.document_id = d.id AND g.status = 'accepted')"))
    assert "codings_accepted" in plan  # one probe per document, not a walk over its suggestions
