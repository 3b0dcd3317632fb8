"""Nothing personal leaves: public.db of the sample corpus, with the privacy corpus's planted
personal data imported into it, holds no planted identifier in any text column; and no
suppressed count can be worked out, from the totals (across rows, columns and the
dimensions that share them) or from the totals against the published quotes."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from rapidreview import demo, privacy, store
from rapidreview.ingest import ImportOptions, import_files
from rapidreview.privacy.evaluate import score
from rapidreview.publish import PublishOptions, publish, quote_ids
from rapidreview.themes import ThemeOptions, find_themes

ROOT = Path(__file__).resolve().parent.parent
PLANTED = ROOT / "corpora" / "privacy"
STRUCTURED = {"nhs_number", "phone", "email", "postcode", "ni_number", "url", "date_of_birth", "address"}
ROLE_LABELS = {"A", "Q", "FACILITATOR", "INTERVIEWER", "Interviewer", "Facilitator", "Participant", "Healthwatch"}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The sample corpus plus the planted comments, redacted, coded, themed; one respondent
    withdrawn and one refusing consent after the themes were found; published with two
    attributes and small groups withheld."""
    work = tmp_path_factory.mktemp("publish-privacy")
    db = store.open_review(work / "review.db")
    demo.import_corpus(db, demo.find_corpus())
    import_files(db, [PLANTED / "comments.csv"], ImportOptions(text=["What could be better?"], id="Comment ID",
                                                                attrs=["Service"]))
    privacy.redact(db)
    demo.load_starter_codebook(db, None)
    demo.suggest_codes(db, None)
    db.execute("UPDATE codings SET status = 'accepted'")  # as if a researcher accepted them all
    db.conn.commit()
    find_themes(db, options=ThemeOptions(k=10, seed=0, n_runs=3, n_components=20))
    gone = [r[0] for r in db.execute("SELECT external_id FROM respondents WHERE external_id LIKE 'HWK-%' "
                                     "ORDER BY id LIMIT 2")]
    privacy.withdraw(db, gone[0])
    privacy.set_consent(db, gone[1], False)
    public = work / "public.db"
    publish(db, public, PublishOptions(publishable=["Service", "Age group"], min_group=5))
    yield db, public, gone
    db.conn.close()


def text_values(path) -> list[str]:
    """Every text value in every table of the database, the full-text index's too."""
    conn = sqlite3.connect(path)
    try:
        out = []
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                out += [v if isinstance(v, str) else v.decode("utf-8", "replace") for v in row
                        if isinstance(v, (str, bytes))]
        return out
    finally:
        conn.close()


def test_no_planted_identifier_in_any_table(published):
    db, public, gone = published
    values = text_values(public)
    blob = "\n".join(values)
    folded, digits = blob.casefold(), re.sub(r"\s", "", blob)
    gold = [json.loads(line) for line in (PLANTED / "gold.jsonl").read_text().splitlines() if line]
    planted = [g for g in gold if g["file"] == "comments.csv" and g["kind"] != "keep"]
    kept = {g["text"] for g in gold if g["kind"] == "keep"}
    assert len({g["kind"] for g in planted}) >= 6 and len(planted) > 200
    missed = {m[2] for m in score(PLANTED).missed}  # names the detectors miss: issue 5's known gap
    conn = sqlite3.connect(public)
    derived = [v for (v,) in conn.execute("SELECT label || ' ' || coalesce(key_terms, '') FROM themes "
                                          "UNION ALL SELECT item FROM counts UNION ALL SELECT value FROM counts "
                                          "WHERE value IS NOT NULL")]
    conn.close()
    checked, found = 0, []
    for g in planted:
        text = g["text"]
        if g["kind"] in STRUCTURED:
            bare = re.sub(r"\s", "", text)  # the number without its spaces, unless that is a look-alike
            if text.casefold() in folded or (g["kind"] in ("phone", "nhs_number") and bare not in kept
                                             and bare in digits):
                found.append(g)
            checked += 1
        elif text not in missed:
            # A name is looked for in its own document's quotes and in every label, key term
            # and count (it may be a word, or another person's name, elsewhere in the corpus).
            own = quotes_of(db, public, g["doc"]) + derived
            found += [(g, v) for v in own if re.search(rf"\b{re.escape(text)}\b", v)]
            checked += 1
    assert not found
    assert checked >= 0.95 * len(planted)
    # Respondents' ids, speakers' names, exact dates and a withdrawn respondent's words
    for (external_id,) in db.execute("SELECT external_id FROM respondents"):
        assert external_id not in blob
    names = speaker_names(db)
    assert names
    for name in names:  # never as a column, label or count (in quotes: see the next test)
        assert not [v for v in derived if re.search(rf"\b{name}\b", v)], name
    assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", blob)
    for respondent in gone:
        for (text,) in db.execute("SELECT d.text FROM documents d JOIN respondents r ON r.id = d.respondent_id "
                                  "WHERE r.external_id = ? AND length(d.text) > 25", [respondent]):
            assert privacy.redact_text(text)[0] not in blob and text not in blob
    conn = sqlite3.connect(public)
    columns = {r[1] for r in conn.execute("PRAGMA table_info(quotes)")}
    assert {"Service", "Age group"} <= columns and not columns & {"Ethnicity", "Area", "speaker", "document_id"}
    conn.close()


def speaker_names(db) -> set[str]:
    return {w for (s,) in db.execute("SELECT DISTINCT speaker FROM segments WHERE speaker IS NOT NULL")
            for w in re.findall(r"[A-Z][a-z]{2,}", s)} - ROLE_LABELS


def test_speaker_names_are_not_in_quotes(published):
    db, public, _ = published
    conn = sqlite3.connect(public)
    quotes = [r[0] for r in conn.execute("SELECT text FROM quotes")]
    conn.close()
    assert not {n for n in speaker_names(db) for q in quotes if re.search(rf"\b{n}\b", q)}


def quotes_of(db, public, external_id: str) -> list[str]:
    """Published text of a planted comment: its quotes, theme quotes and ledger quotes."""
    segments = [r[0] for r in db.execute(
        "SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id JOIN sources so ON so.id = d.source_id "
        "WHERE so.name = 'comments.csv' AND (d.external_id = ? OR d.external_id LIKE ?)",
        [external_id, external_id + " |%"])]
    assert segments, external_id
    numbers = quote_ids.QuoteNumbers(db)  # published under their quote numbers, not segment ids
    segments = [numbers(s) for s in segments]
    conn = sqlite3.connect(public)
    marks = ",".join("?" * len(segments))
    out = [r[0] for r in conn.execute(f"SELECT text FROM quotes WHERE quote_id IN ({marks}) UNION ALL "
                                      f"SELECT text FROM theme_quotes WHERE quote_id IN ({marks})",
                                      segments * 2)]
    conn.close()
    return out


# ---------------------------------------------------------------- differencing


def count_cells(conn, measure: str) -> list[tuple]:
    return conn.execute("SELECT item, dimension, value, n, shown FROM counts WHERE measure = ?", [measure]).fetchall()


def quantity(item, dimension, value):
    """Cells that are one and the same number wherever they are shown: an item's total is its
    'all' cell and its row total under every dimension (each quote has one value of each)."""
    if dimension == "all" or value == "Total":
        return ("total", item)
    return (dimension, item, value)


def linear_system(cells):
    """Variables (one per distinct quantity) with what is shown of each, and the equations
    every table satisfies: each row sums to its total, each column to its total."""
    index, shown, lines = {}, {}, {}
    for item, dimension, value, n, display in cells:
        k = index.setdefault(quantity(item, dimension, value), len(index))
        shown.setdefault(k, set()).add(display)
        if dimension != "all":
            lines.setdefault(("row", dimension, item), []).append((value == "Total", k))
            lines.setdefault(("column", dimension, value), []).append((item == "Total", k))
        else:
            lines.setdefault(("column", "all", value), []).append((item == "Total", k))
    equations = []
    for members in lines.values():
        total = [k for is_total, k in members if is_total]
        if total:
            row = np.zeros(len(index))
            for is_total, k in members:
                row[k] += -1 if is_total else 1
            equations.append(row)
    return index, shown, np.array(equations)


def bounds_of(display: str) -> tuple:
    """What a shown count says about the true one: rounded to 5 (halves up), '<8' is 1-7,
    '*' (hidden so that a small one cannot be worked out) anything."""
    if display == "<8":
        return (1, 7)
    if display == "*":
        return (0, None)
    n = int(display)
    return (max(0, n - 2), n + 2) if n else (0, 0)


@pytest.mark.parametrize("measure", ["theme", pytest.param("code", marks=pytest.mark.slow)])
def test_suppressed_counts_cannot_be_worked_out_from_the_totals(published, measure):
    _, public, _ = published
    conn = sqlite3.connect(public)
    cells = count_cells(conn, measure)
    dimensions = {c[1] for c in cells}
    assert {"all", "question", "month", "Service", "Age group"} <= dimensions
    index, shown, equations = linear_system(cells)
    inconsistent = {k: s for k, s in shown.items() if len(s) > 1}
    assert not inconsistent  # the same number is never hidden in one table and shown in another
    bounds = [bounds_of(next(iter(shown[k]))) for k in range(len(index))]
    small = [k for k in range(len(index)) if bounds[k] == (1, 7)]
    assert len(small) >= 10  # the attack has something to attack
    names = {k: q for q, k in index.items()}
    for k in small:
        target = np.zeros(len(index))
        target[k] = 1
        low = linprog(target, A_eq=equations, b_eq=np.zeros(len(equations)), bounds=bounds, method="highs")
        high = linprog(-target, A_eq=equations, b_eq=np.zeros(len(equations)), bounds=bounds, method="highs")
        assert low.status == 0 and high.status == 0  # the true counts are a solution
        # at least two whole numbers remain possible for every hidden small count
        assert np.floor(-high.fun + 1e-6) - np.ceil(low.fun - 1e-6) >= 1, (names[k], low.fun, -high.fun)
    if measure == "theme":
        sizes = dict(conn.execute("SELECT label, size_shown FROM themes"))
        totals = {item: display for item, dimension, _, _, display in cells if dimension == "all"}
        assert all(sizes[label] == totals.get(label, "0") for label in sizes)
    conn.close()


def control(n: int) -> str:
    return privacy.control_count(n).display


def test_counts_say_nothing_the_quotes_do_not(published):
    """Quotes of small groups are withheld; were their answers still counted, the counts
    minus the published quotes would give them back. Every count is the count of quotes."""
    db, public, _ = published
    conn = sqlite3.connect(public)
    assert conn.execute("SELECT count(*) FROM quotes").fetchone()[0] < len(privacy.publishable_segments(db))
    for measure, source, key in [("theme", "quotes q", "q.theme"),
                                 ("code", "quote_codes c JOIN quotes q USING (quote_id)", "c.code")]:
        for dimension in ["question", "month", "Service", "Age group", "sentiment"]:
            exact = Counter({(item, value): n for item, value, n in conn.execute(
                f"SELECT {key}, coalesce(q.\"{dimension}\", '(not given)'), count(*) FROM {source} "
                f"WHERE {key} IS NOT NULL GROUP BY 1, 2")})
            checked = 0
            for item, dim, value, n, display in count_cells(conn, measure):
                if dim == dimension and item != "Total" and value != "Total":
                    truth = exact[(item, value)]
                    assert display in ("<8", "*") or display == control(truth), (measure, item, value, display, truth)
                    if display == "<8":
                        assert 1 <= truth <= 7, (item, value, truth)
                    checked += 1
            assert checked, (measure, dimension)
    conn.close()
