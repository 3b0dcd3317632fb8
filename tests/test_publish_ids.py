"""Public quote numbers give nothing of the review's order away (publish hardening).

Published under their segment ids, neighbouring quotes were mostly one respondent's
answers or one transcript's next turn. Now: a keyed number per quote (quote_ids.py),
the same in every publish of a review and different in another review of the same
texts; neighbouring numbers are no likelier to share a person than any two quotes;
and nothing else in public.db (rowids, the file's page layout, the order of counts,
the ledger and representative quotes) still carries segment ids or their order.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
from test_publish import redacted_review, write_survey

from rapidreview import demo, privacy, store
from rapidreview.ingest import ImportOptions, import_files
from rapidreview.publish import PublishOptions, ledger, publish, quote_ids


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The demo review with a recommendation quoting two segments, published with every
    group's quotes (min_group 0: the most quotes to link, so the strictest test)."""
    base = tmp_path_factory.mktemp("publish-ids")
    review = Path(demo.build(base / "demo")["review"])
    db = store.open_review(review, create=False)
    db.execute("UPDATE codings SET status = 'accepted' WHERE status = 'suggested' AND id % 2 = 0")  # a person's
    db.conn.commit()
    first = db.execute("SELECT min(segment_id) FROM theme_members").fetchone()[0]
    ledger.add(db, "Offer evening appointments", themes=[1], quotes=[first, first + 1])
    publish(db, base / "public.db", PublishOptions(publishable=["Service", "Age group"], min_group=0))
    yield db, base / "public.db"
    db.conn.close()


def person_of(db) -> dict[int, tuple]:
    """Who said each segment: its respondent, or its document where there is none (a transcript)."""
    return {s: ("respondent", r) if r is not None else ("document", d) for s, d, r in db.execute(
        "SELECT s.id, d.id, d.respondent_id FROM segments s JOIN documents d ON d.id = s.document_id")}


def same_person_rates(segments: list[int], person: dict) -> tuple[float, float]:
    """(share of neighbouring quotes said by one person, the same for two quotes drawn at random)."""
    adjacent = sum(person[a] == person[b] for a, b in zip(segments, segments[1:])) / (len(segments) - 1)
    n = len(segments)
    by_person = Counter(person[s] for s in segments)
    return adjacent, sum(k * (k - 1) for k in by_person.values()) / (n * (n - 1))


def test_neighbouring_quote_numbers_are_no_likelier_to_share_a_person(sample):
    db, public = sample
    numbers = quote_ids.QuoteNumbers(db)
    segment_of = {numbers(s): s for (s,) in db.execute("SELECT id FROM segments")}
    conn = sqlite3.connect(public)
    published = [r[0] for r in conn.execute("SELECT quote_id FROM quotes ORDER BY quote_id")]
    stored = [r[0] for r in conn.execute("SELECT rowid FROM quotes NOT INDEXED")]  # the table as stored
    fts = [r[0] for r in conn.execute("SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH 'the OR a OR i'")]
    conn.close()
    assert len(published) > 1000 and stored == published and set(fts) <= set(published)
    segments = [segment_of[q] for q in published]
    person = person_of(db)
    in_review_order, chance = same_person_rates(sorted(segments), person)
    assert in_review_order > 0.5  # what segment ids gave away (981 of 1,408 neighbours in the demo)
    adjacent, chance = same_person_rates(segments, person)
    # Neighbours sharing a person are a binomial draw at the chance rate; allow 4 standard errors.
    tolerance = max(0.01, 4 * math.sqrt(chance * (1 - chance) / (len(segments) - 1)))
    assert adjacent <= chance + tolerance, (adjacent, chance)
    assert not set(published) & {s for (s,) in db.execute("SELECT id FROM segments")}
    assert max(published) < 2 ** quote_ids.BITS  # exact as a JavaScript number


def test_quotes_cited_elsewhere_use_the_same_numbers(sample):
    db, public = sample
    numbers = quote_ids.QuoteNumbers(db)
    conn = sqlite3.connect(public)
    quotes = dict(conn.execute("SELECT quote_id, text FROM quotes"))
    cited = conn.execute("SELECT quote_id, text FROM theme_quotes UNION ALL "
                         "SELECT quote_id, quote FROM recommendation_evidence WHERE quote_id IS NOT NULL").fetchall()
    codes = [r[0] for r in conn.execute("SELECT quote_id FROM quote_codes")]
    conn.close()
    assert cited and all(text in quotes[n] for n, text in cited)  # a representative quote may be one sentence
    assert codes and set(codes) <= set(quotes)
    first = db.execute("SELECT min(segment_id) FROM theme_members").fetchone()[0]
    evidence = [n for n, _ in cited if n in (numbers(first), numbers(first + 1))]
    assert evidence  # the ledger's quotes, by their numbers, not their segment ids
    assert numbers.segment_of(evidence[0]) in (first, first + 1)


def leaf_pages(path: Path, table: str) -> list[list[int]]:
    """Where each row of `table` sits in the file: the cell offsets of each leaf page of its
    b-tree, read from the file's bytes. Rows inserted in another order sit elsewhere
    (SQLite places a new cell below those already in its page)."""
    data = path.read_bytes()
    page_size = int.from_bytes(data[16:18], "big") or 65536
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
    conn.close()
    leaves = []

    def walk(number):
        start = (number - 1) * page_size
        header = start + (100 if number == 1 else 0)
        kind, cells = data[header], int.from_bytes(data[header + 3:header + 5], "big")
        size = 8 if kind in (0x0A, 0x0D) else 12
        offsets = [int.from_bytes(data[header + size + 2 * i:header + size + 2 * i + 2], "big") for i in range(cells)]
        if kind in (0x0A, 0x0D):
            leaves.append(offsets)
        else:
            for o in offsets:
                walk(int.from_bytes(data[start + o:start + o + 4], "big"))
            walk(int.from_bytes(data[header + 8:header + 12], "big"))

    walk(root)
    return leaves


def in_key_order(public: Path, table: str, key: str, path: Path, shuffle: bool = False) -> Path:
    """`table` alone in a new file, its rows inserted in key order (or shuffled)."""
    conn = sqlite3.connect(path)
    conn.execute("ATTACH DATABASE ? AS src", [str(public)])
    conn.execute(conn.execute("SELECT sql FROM src.sqlite_master WHERE name = ?", [table]).fetchone()[0])
    order = "random()" if shuffle else key
    conn.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table} ORDER BY {order}")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("table, key", [("quotes", "quote_id"), ("quote_codes", "code, quote_id")])
def test_rows_are_stored_in_quote_number_order(sample, tmp_path, table, key):
    _, public = sample
    stored = leaf_pages(public, table)
    assert len(stored) > 10
    assert stored == leaf_pages(in_key_order(public, table, key, tmp_path / "ordered.db"), table)
    # The test can tell: the same rows in another order are laid out otherwise.
    assert stored != leaf_pages(in_key_order(public, table, key, tmp_path / "shuffled.db", shuffle=True), table)


def test_counts_list_values_in_sorted_order(sample):
    """In first-seen order, a count's values would say which service or month came first."""
    _, public = sample
    conn = sqlite3.connect(public)
    rows = conn.execute("SELECT measure, dimension, item, value FROM counts ORDER BY rowid").fetchall()
    conn.close()
    lines: dict = {}
    for measure, dimension, item, value in rows:
        lines.setdefault((measure, dimension, item), []).append(value)
    assert any(len(v) > 3 for v in lines.values())
    for values in lines.values():
        body = [v for v in values if v != "Total"]
        assert body == sorted(body) and values[len(body):] in ([], ["Total"])


def survey_review(path: Path, survey: Path):
    db = store.open_review(path)
    import_files(db, [survey], ImportOptions(text=["Answer"], id="Answer ID", respondent="Respondent ID",
                                             question_col="Question", attrs=["Service", "Age group"], date="Date",
                                             codes=["Codes"]))
    return redacted_review(db)


def published_quotes(path: Path) -> dict[int, str]:
    with closing(sqlite3.connect(path)) as conn:
        return dict(conn.execute("SELECT quote_id, text FROM quotes"))


def test_numbers_are_stable_for_a_review_and_unlinkable_across_reviews(tmp_path):
    survey = tmp_path / "survey.csv"
    write_survey(survey)
    one, other = survey_review(tmp_path / "one.db", survey), survey_review(tmp_path / "other.db", survey)
    options = PublishOptions(publishable=["Service"], min_group=0)
    publish(one, tmp_path / "first.db", options)
    publish(one, tmp_path / "again.db", options)
    first, again = published_quotes(tmp_path / "first.db"), published_quotes(tmp_path / "again.db")
    assert len(first) > 50 and first == again
    # A respondent withdraws: everyone else's quotes keep their numbers (bookmarks still work).
    privacy.withdraw(one, "RESP-0005")
    publish(one, tmp_path / "later.db", options)
    later = published_quotes(tmp_path / "later.db")
    assert 0 < len(first) - len(later) <= 2 and all(first[n] == text for n, text in later.items())
    # Another review of the very same texts: the same quotes, none under the same number.
    elsewhere = published_quotes(publish(other, tmp_path / "elsewhere.db", options).path)
    assert sorted(elsewhere.values()) == sorted(first.values()) and not set(elsewhere) & set(first)
    # The key is the review's own, kept with its other secrets.
    assert one.execute("SELECT count(*) FROM review_secrets WHERE name = ?", [quote_ids.SECRET_NAME]).fetchone() == (1,)
    for db in (one, other):
        db.conn.close()


def test_collisions_are_resolved_the_same_way_every_time(tmp_path):
    survey = tmp_path / "survey.csv"
    write_survey(survey)
    db = survey_review(tmp_path / "review.db", survey)
    quote_ids.ensure_key(db)
    bits = 8  # 256 numbers for 78 segments: collisions certain
    segments = [s for (s,) in db.execute("SELECT id FROM segments ORDER BY id")]
    numbers = quote_ids.QuoteNumbers(db, bits=bits)
    given = [numbers(s) for s in segments]
    assert len(set(given)) == len(segments) and all(0 <= n < 2 ** bits for n in given)
    base = [quote_ids.keyed_number(numbers.key, s, bits=bits) for s in segments]
    assert len(set(base)) < len(segments) and numbers.moved  # there were collisions to resolve
    for n in set(base):  # the lowest segment id keeps a contested number
        holders = [s for s, b in zip(segments, base) if b == n]
        assert numbers(holders[0]) == n and all(s in numbers.moved for s in holders[1:])
    assert [quote_ids.QuoteNumbers(db, bits=bits)(s) for s in segments] == given
    assert all(numbers.segment_of(n) == s for s, n in zip(segments, given))
    db.conn.close()
