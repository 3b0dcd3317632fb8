"""Sentiment: works out of the box (lexicon with negation), then learns from people."""

from __future__ import annotations

from test_coding_model import make_review, write_csv

from rapidreview import store
from rapidreview.coding import sentiment, suggest


def test_lexicon_polarity_and_negation():
    assert sentiment.classify("The nurses were wonderful and so caring")[0] == sentiment.POSITIVE
    assert sentiment.classify("The staff were rude and I waited four hours")[0] == sentiment.NEGATIVE
    assert sentiment.classify("The staff were not helpful at all")[0] == sentiment.NEGATIVE  # negation
    assert sentiment.classify("It was not bad")[0] == sentiment.POSITIVE
    assert sentiment.classify("I went on Tuesday")[0] == sentiment.MIXED
    strong = sentiment.classify("Absolutely brilliant, amazing care, thank you so much")[1]
    weak = sentiment.classify("It was fine")[1]
    assert strong > weak >= 0.5


def test_code_creates_the_sentiment_group_and_suggests_one_per_segment(tmp_path, run):
    path = make_review(tmp_path, run)
    run("code", path, "--no-model", "--no-rules")
    db = store.open_review(path)
    codes = sentiment.group_codes(db, create=False)
    assert set(codes) == {sentiment.POSITIVE, sentiment.NEGATIVE, sentiment.MIXED}
    book = db.execute("SELECT b.name FROM codes k JOIN codebooks b ON b.id = k.codebook_id WHERE k.id = ?",
                      [codes[sentiment.POSITIVE]]).fetchone()[0]
    assert book == sentiment.CODEBOOK
    per_segment = db.execute("""SELECT segment_id, count(*), min(rule) FROM codings WHERE coder = 'rules'
                                GROUP BY segment_id""").fetchall()
    n_segments = db.execute("SELECT count(*) FROM segments").fetchone()[0]
    assert len(per_segment) == n_segments and all(n == 1 and rule == sentiment.RULE for _, n, rule in per_segment)
    rude = db.execute("""SELECT k.name FROM codings c JOIN codes k ON k.id = c.code_id JOIN segments s
                         ON s.id = c.segment_id WHERE c.coder = 'rules' AND s.text LIKE 'staff were rude%'""").fetchall()
    assert rude and all(r[0] == "Negative" for r in rude)
    # a second run changes nothing, and creates no second group
    result = suggest.code(db, suggest.CodeOptions(rules=False, model=False))
    assert result.counts["sentiment"]["added"] == 0
    assert db.execute("SELECT count(*) FROM codebooks WHERE name = 'sentiment'").fetchone()[0] == 1


def test_sentiment_learned_from_imported_codes_replaces_the_lexicon(tmp_path, run):
    header = ["ID", "Question", "Answer", "Positive", "Negative", "Mixed or neutral"]
    good = ["the staff were great", "lovely caring nurses", "really quick and friendly", "excellent care thanks",
            "very happy with the service", "kind and helpful team"]
    bad = ["waited for hours, terrible", "rude receptionist", "nobody called me back", "dirty ward and cold food",
           "lost my records again", "appointment cancelled twice"]
    mixed = ["I was seen on Tuesday", "it was ok I suppose", "some good some bad", "the car park is round the back",
             "average visit", "went in for a scan"]
    rows = []
    for k, (texts, col) in enumerate(((good, 3), (bad, 4), (mixed, 5))):
        for i, t in enumerate(texts * 2):
            row = [f"R{k}{i}", "Tell us", f"{t} ({i})", "", "", ""]
            row[col] = 1
            rows.append(row)
    path = tmp_path / "review.db"
    run("import", path, write_csv(tmp_path / "s.csv", rows, header), "--text", "Answer", "--id", "ID",
        "--question-col", "Question", "--codes", "Positive..", "--silent")
    run("import", path, write_csv(tmp_path / "n.csv", [["U1", "Tell us", "the staff were great and kind"],
                                                      ["U2", "Tell us", "terrible wait, rude staff"]], header[:3]),
        "--text", "Answer", "--id", "ID", "--question-col", "Question", "--silent")
    db = store.open_review(path)
    result = suggest.code(db)
    codes = sentiment.group_codes(db, create=False)
    assert set(codes) == {sentiment.POSITIVE, sentiment.NEGATIVE, sentiment.MIXED}  # adopted, not created
    assert db.execute("SELECT count(*) FROM codebooks WHERE name = 'sentiment'").fetchone()[0] == 0
    assert any("model has learned your sentiment" in m for m in result.messages)
    got = dict(db.execute("""SELECT substr(d.external_id, 1, 2), k.name FROM codings c JOIN codes k ON k.id = c.code_id
                             JOIN documents d ON d.id = c.document_id WHERE c.status = 'suggested'""").fetchall())
    assert got == {"U1": "Positive", "U2": "Negative"}  # exactly one sentiment each, from the model
    coders = {r[0] for r in db.execute("SELECT coder FROM codings WHERE status = 'suggested'")}
    assert coders == {"model"}
