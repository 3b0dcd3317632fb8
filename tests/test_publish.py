"""publish: public.db holds only redacted, consented, disclosure-controlled material;
its Datasette metadata turns arbitrary SQL off and its canned queries run."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

import pytest

from rapidreview import privacy
from rapidreview.ingest import ImportOptions, import_files
from rapidreview.privacy import DisclosureRule
from rapidreview.publish import PublishError, PublishOptions, ledger, publish
from rapidreview.themes import ThemeOptions, find_themes

GOOD = ["Staff were kind and caring", "The nurse was friendly and helpful", "Quick appointment, lovely staff",
        "Reception staff were polite and kind", "Doctor listened carefully and explained everything"]
BETTER = ["Waiting time was far too long", "Parking is impossible and expensive", "Long wait on the phone line",
          "Could not book an appointment online", "Waited two hours past my appointment time"]
SERVICES = ["GP"] * 20 + ["A&E"] * 16 + ["Tiny clinic"] * 3

PLANTED = ["Okonkwo", "07700 900123", "07700900123", "943 476 5919", "9434765919", "sarah.jones@example.com"]
WITHDRAWN_WORDS = "Quizzleberry marmalade disaster in the xylophone ward"


def write_survey(path):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Answer ID", "Respondent ID", "Service", "Age group", "Date", "Question", "Answer", "Codes"])
        for i, service in enumerate(SERVICES):
            good, better = GOOD[i % 5], BETTER[i % 5]
            if i == 0:
                good = "Dr Okonkwo was kind. Call me on 07700 900123, NHS number 943 476 5919."
            if i == 1:
                better = "Email sarah.jones@example.com about the parking, waited two hours"
            if i == 2:
                good, better = WITHDRAWN_WORDS, "Quizzleberry again, the xylophone ward staff were slow"
            common = [f"RESP-{i + 1:04d}", service, "18-24" if i % 2 else "65+", f"2026-0{1 + i % 3}-1{i % 9}"]
            w.writerow([f"A{i}g", *common, "What was good?", good, "Staff attitude"])
            w.writerow([f"A{i}b", *common, "What could be better?", better,
                        "Access; Waiting" if i % 5 in (0, 1, 3) else "Parking"])


@pytest.fixture
def review(db, tmp_path):
    path = tmp_path / "survey.csv"
    write_survey(path)
    import_files(db, [path], ImportOptions(text=["Answer"], id="Answer ID", respondent="Respondent ID",
                                           question_col="Question",
                                           attrs=["Service", "Age group"], date="Date", codes=["Codes"]))
    return db


def redacted_review(db):
    privacy.redact(db)
    find_themes(db, options=ThemeOptions(k=3, seed=0, n_runs=3, n_components=10))
    privacy.withdraw(db, "RESP-0003")  # after the theme run: its words are in stored themes
    return db


def all_text(path) -> list[str]:
    conn = sqlite3.connect(path)
    out = []
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for t in tables:
            for row in conn.execute(f'SELECT * FROM "{t}"'):
                out += [str(v) for v in row if isinstance(v, (str, bytes))]
    finally:
        conn.close()
    return out


def test_public_db_holds_nothing_personal(review, tmp_path):
    db = redacted_review(review)
    rec = ledger.add(db, "Dr Okonkwo should offer evening appointments", themes=[1], quotes=[1, 5, 9])
    ledger.respond(db, rec, response="Pilot from April; ring 07700 900123", outcome="Two clinics", status="accepted")
    # A run made before the withdrawal may carry their words in its automatic label and key terms.
    db.execute("""UPDATE themes SET label = 'quizzleberry marmalade', auto_label = 'quizzleberry marmalade',
                  key_terms = '["quizzleberry", "staff", "xylophone ward"]' WHERE number = 1""")
    db.conn.commit()
    public = tmp_path / "public.db"
    result = publish(db, public, PublishOptions(publishable=["Service"]))
    assert result.tables["quotes"] > 50
    texts = all_text(public)
    assert any("[PHONE]" in t or "[NHS NUMBER]" in t or "[NAME" in t for t in texts)
    blob = "\n".join(texts)
    for planted in PLANTED + ["Quizzleberry", "xylophone", "marmalade"]:
        assert planted.casefold() not in blob.casefold(), planted
    assert not re.search(r"RESP-\d{4}", blob)  # respondent external ids never published
    assert "65+" not in blob and "Age group" not in blob  # not marked publishable
    conn = sqlite3.connect(public)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(quotes)")]
    assert "Service" in cols and "Age group" not in cols
    assert conn.execute("SELECT count(*) FROM quotes WHERE codes LIKE '%Staff attitude%'").fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM quotes_fts WHERE quotes_fts MATCH 'parking'").fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM recommendation_evidence WHERE recommendation_id = ?",
                        [rec]).fetchone()[0] >= 2
    assert conn.execute("SELECT status FROM recommendations").fetchone()[0] == "accepted"
    assert conn.execute("SELECT count(*) FROM theme_quotes").fetchone()[0] > 0
    assert conn.execute("SELECT label, key_terms FROM themes WHERE number = 1").fetchone() == ("staff", "staff")
    assert {r[0] for r in conn.execute("SELECT month FROM quotes")} == {"2026-01", "2026-02", "2026-03"}
    conn.close()
    assert "publish" in [r[0] for r in db.execute("SELECT action FROM events")]


def test_counts_are_controlled(review, tmp_path):
    db = redacted_review(review)
    public = tmp_path / "public.db"
    # min_group 0: the small service's quotes published, so its counts are there to control.
    publish(db, public, PublishOptions(publishable=["Service"], min_group=0))
    conn = sqlite3.connect(public)
    counts = conn.execute("SELECT n, shown, suppressed FROM counts").fetchall()
    assert counts and any(s for _, _, s in counts)  # the 3-respondent service is suppressed somewhere
    for n, shown, suppressed in counts:
        if suppressed:
            assert n is None and shown in ("<8", "*")
        else:
            assert n == 0 or (n >= 8 and n % 5 == 0), (n, shown)
            assert shown == str(n)
    # every cell of the 3-respondent service (code totals add up applications, not people)
    tiny = conn.execute("SELECT shown FROM counts WHERE dimension = 'Service' AND value = 'Tiny clinic' "
                        "AND NOT (measure = 'code' AND item = 'Total')").fetchall()
    assert tiny and all(s in ("<8", "*", "0") for (s,) in tiny)
    sizes = conn.execute("SELECT size, size_shown FROM themes").fetchall()
    assert all(s is None or s == 0 or s % 5 == 0 for s, _ in sizes)
    conn.close()


def test_refuses_before_redaction(review, tmp_path):
    with pytest.raises(privacy.RedactionNeeded, match="rapidreview redact"):
        publish(review, tmp_path / "public.db")
    assert not (tmp_path / "public.db").exists()


def test_refuses_unknown_publishable_attribute(review, tmp_path):
    privacy.redact(review)
    with pytest.raises(PublishError, match="'Postcode'.*Age group, Service"):
        publish(review, tmp_path / "public.db", PublishOptions(publishable=["Service", "Postcode"]))
    assert not (tmp_path / "public.db").exists()


def test_rebuilt_from_scratch_and_min_group(review, tmp_path):
    privacy.redact(review)
    public = tmp_path / "public.db"
    publish(review, public, PublishOptions(publishable=["Service", "Age group"]))
    first = sqlite3.connect(public).execute("PRAGMA table_info(quotes)").fetchall()
    assert "Age group" in [c[1] for c in first]
    result = publish(review, public, PublishOptions(publishable=["Service"], min_group=10))
    conn = sqlite3.connect(public)
    assert "Age group" not in [c[1] for c in conn.execute("PRAGMA table_info(quotes)")]
    assert conn.execute("SELECT count(*) FROM quotes WHERE Service = 'Tiny clinic'").fetchone()[0] == 0
    assert result.withheld_quotes == 6
    assert not list(tmp_path.glob("public.db.*.tmp"))  # no temp file left behind
    conn.close()


def test_small_groups_are_withheld_by_default(review, tmp_path):
    """Counts are counts of published quotes, and quotes.csv counts them exactly: only
    withholding a small group's quotes protects it, so that is the default."""
    privacy.redact(review)

    def published(name, **options):
        result = publish(review, tmp_path / name, PublishOptions(**options))
        conn = sqlite3.connect(tmp_path / name)
        tiny = conn.execute("SELECT count(*) FROM quotes WHERE Service = 'Tiny clinic'").fetchone()[0] \
            if "publishable" in options else None
        meta = conn.execute("SELECT min_group, threshold FROM meta").fetchone()
        conn.close()
        return result, tiny, meta

    result, tiny, meta = published("default.db", publishable=["Service"])
    assert (result.min_group, tiny, meta) == (8, 0, (8, 8)) and result.withheld_quotes == 6 and not result.warnings
    # The default follows the rule: with 1-2 hidden, a group of 3 is big enough.
    rule = DisclosureRule(threshold=3, round_to=1, marker="<3")
    result, tiny, meta = published("ruled.db", publishable=["Service"], rule=rule)
    assert (result.min_group, tiny, meta) == (3, 6, (3, 3)) and not result.warnings
    # An explicit 0 still publishes them, and says what that means.
    result, tiny, meta = published("opt-out.db", publishable=["Service"], min_group=0)
    assert (result.min_group, tiny, meta) == (0, 6, (0, 8)) and result.withheld_quotes == 0
    assert len(result.warnings) == 1 and "fewer than" not in result.warnings[0] and "1 to 7" in result.warnings[0]
    # Nothing published to group by: nothing withheld.
    result, _, meta = published("plain.db")
    assert (result.min_group, meta) == (0, (0, 8)) and result.withheld_quotes == 0 and not result.warnings


def test_refuses_to_overwrite_a_review_or_another_file(review, tmp_path, review_path):
    privacy.redact(review)
    with pytest.raises(PublishError, match="review"):
        publish(review, review_path)
    notes = tmp_path / "notes.docx"
    notes.write_bytes(b"PK\x03\x04 not a database")
    with pytest.raises(PublishError, match="not a SQLite database"):
        publish(review, notes)
    assert notes.read_bytes().startswith(b"PK")


def test_metadata_and_canned_queries_run(review, tmp_path):
    db = redacted_review(review)
    ledger.add(db, "Fix the phones", themes=[2])
    public = tmp_path / "public.db"
    result = publish(db, public, PublishOptions(publishable=["Service"], title="GP review"))
    meta = json.loads(Path(result.metadata_path).read_text())
    assert meta["allow_sql"] is False and meta["title"] == "GP review"
    assert meta["license"] and meta["source"]
    database = meta["databases"]["public"]
    assert "Service" in database["tables"]["quotes"]["facets"]
    assert database["tables"]["quotes"]["columns"]["text"]
    conn = sqlite3.connect(public)
    code = conn.execute("SELECT code FROM quote_codes LIMIT 1").fetchone()[0]
    label = conn.execute("SELECT label FROM themes LIMIT 1").fetchone()[0]
    samples = {"theme": "1", "question": "", "month": "", "code": code, "dimension": "Service", "q": "staff"}
    non_empty = set()
    for name, query in database["queries"].items():
        params = {p: samples[p] for p in re.findall(r":(\w+)", query["sql"])}
        if name in ("theme_by_group", "trend_by_month"):
            params["theme"] = label
        plan = " ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + query["sql"], params))
        rows = conn.execute(query["sql"], params).fetchall()
        if rows:
            non_empty.add(name)
        # every canned query over a big table uses an index (themes and the ledger are small)
        assert not re.search(r"SCAN (quotes|q|c|counts|quote_codes)( |$)", plan), (name, plan)
    assert {"top_themes", "theme_quotes", "code_quotes", "search_quotes", "ledger", "good_vs_better"} <= non_empty
    conn.close()


def test_ledger_respond_and_errors(review, tmp_path):
    db = redacted_review(review)
    rec = ledger.add(db, "Answer the phone", themes=[1, 2], quotes=[4])
    got = ledger.get(db, rec)
    assert [t["number"] for t in got["themes"]] == [1, 2] and got["quotes"] == [4] and got["status"] == "open"
    got = ledger.respond(db, rec, response="Agreed", status="implemented", by="Practice manager")
    assert got["response"] == "Agreed" and got["status"] == "implemented" and got["responded_at"]
    with pytest.raises(ledger.LedgerError, match="status"):
        ledger.respond(db, rec, status="maybe")
    with pytest.raises(ledger.LedgerError, match="--theme or --quote"):
        ledger.add(db, "No evidence")
    with pytest.raises(privacy.NotFound if hasattr(privacy, "NotFound") else Exception, match="theme 99"):
        ledger.add(db, "Bad theme", themes=[99])


def test_datasette_serves_canned_queries_and_refuses_sql(review, tmp_path):
    import asyncio
    import hashlib

    from rapidreview.serve import make_public_datasette

    db = redacted_review(review)
    public = tmp_path / "public.db"
    publish(db, public, PublishOptions(publishable=["Service"]))
    before = hashlib.sha256(public.read_bytes()).hexdigest()

    async def go():
        ds = make_public_datasette(public)  # what `rapidreview serve public.db --public` runs
        await ds.invoke_startup()
        sql = await ds.client.get("/public.json?sql=select+text+from+quotes")
        top = await ds.client.get("/public/top_themes.json?_shape=array")
        found = await ds.client.get("/public/search_quotes.json?_shape=array&q=parking")
        table = await ds.client.get("/public/quotes.json?_search=staff&_shape=array")
        return sql.status_code, top, found, table

    status, top, found, table = asyncio.run(go())
    assert status == 403
    assert top.status_code == 200 and top.json() and "label" in top.json()[0]
    assert found.status_code == 200 and found.json() and all("parking" in r["text"].lower() for r in found.json())
    assert table.status_code == 200 and table.json()
    assert hashlib.sha256(public.read_bytes()).hexdigest() == before  # served immutable


def test_a_review_is_never_served_publicly(review, review_path):
    from rapidreview.errors import StoreError
    from rapidreview.serve import make_public_datasette

    with pytest.raises(StoreError, match="never serve it publicly"):
        make_public_datasette(review_path)


INTERVIEW = """\
---
title: GP access, interview 3
date: 05/03/2024
service: GP
area: North Tyneside
participant id: Kezia Okafor
interviewer: Sam Jones
---
Sam Jones: Thanks for coming in. Can you tell me about booking an appointment?
Kezia Okafor: Honestly it was a nightmare. You ring at eight and it's engaged.
Sam Jones: And what happened next?
Kezia Okafor: I gave up and went to A&E instead.
"""


def test_transcripts_publish_participant_words_only(db, tmp_path):
    path = tmp_path / "interview-03.txt"
    path.write_text(INTERVIEW, encoding="utf-8")
    import_files(db, [path], ImportOptions())
    privacy.redact(db)
    public = tmp_path / "public.db"
    # One interview is a group of one: published here (min_group 0) to see what of it goes out.
    publish(db, public, PublishOptions(publishable=["service"], min_group=0))
    blob = "\n".join(all_text(public))
    assert "nightmare" in blob and "gave up" in blob
    for absent in ("Sam Jones", "Kezia", "Okafor", "booking an appointment", "happened next", "North Tyneside",
                   "interview-03", "2024-03-05"):
        assert absent not in blob, absent
    conn = sqlite3.connect(public)
    assert {r for r in conn.execute("SELECT role, service, month FROM quotes")} == {("participant", "GP", "2024-03")}
    conn.close()
