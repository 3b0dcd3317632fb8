"""publish streams the review in batches: the result does not depend on the batch size,
memory stays flat as the review grows, and every canned query is served from an index."""

from __future__ import annotations

import json
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from test_publish import redacted_review, review  # noqa: F401  (fixture)

from rapidreview.privacy import quotes as quotes_module
from rapidreview.publish import PublishOptions, ledger, publish

ROOT = Path(__file__).resolve().parent.parent


def dump(path) -> dict:
    """Every row of every table (the FTS index through a query), in stored order."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT LIKE 'quotes_fts%' ORDER BY name")]
        out = {t: conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables}
        # The time of publishing aside (two publishes may fall in different seconds).
        out["meta"] = conn.execute("SELECT threshold, round_to, marker, min_group FROM meta").fetchall()
        out["fts"] = conn.execute("SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH 'staff OR wait*' "
                                  "ORDER BY rowid").fetchall()
        out["schema"] = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        return out
    finally:
        conn.close()


@pytest.mark.parametrize("min_group", [0, 10])
def test_batch_size_changes_nothing(review, tmp_path, monkeypatch, min_group):  # noqa: F811
    db = redacted_review(review)
    ledger.add(db, "Fix the phones", themes=[2], quotes=[1, 4, 7, 30])
    # Withdrawn words in an automatic label: the label changes once all batches are read.
    db.execute("UPDATE themes SET label = 'quizzleberry staff', auto_label = 'quizzleberry staff' WHERE number = 1")
    db.conn.commit()
    options = PublishOptions(publishable=["Service", "Age group"], min_group=min_group)
    whole = publish(db, tmp_path / "whole.db", options)
    monkeypatch.setattr(quotes_module, "BATCH", 7)  # 78 segments: 12 batches, boundaries inside respondents
    batched = publish(db, tmp_path / "batched.db", options)
    assert whole.tables == batched.tables and whole.withheld_quotes == batched.withheld_quotes
    assert (whole.withheld_quotes > 0) == (min_group > 0)
    one, many = dump(tmp_path / "whole.db"), dump(tmp_path / "batched.db")
    assert one == many
    assert one["quotes"] and one["quote_codes"] and one["counts"] and one["recommendation_evidence"]
    labels = {r[0]: r[1] for r in sqlite3.connect(tmp_path / "batched.db").execute("SELECT number, label FROM themes")}
    themed = sqlite3.connect(tmp_path / "batched.db").execute(
        "SELECT DISTINCT theme_number, theme FROM quotes WHERE theme_number IS NOT NULL").fetchall()
    assert themed and all(labels[n] == label for n, label in themed)  # quotes carry the final labels
    assert "quizzleberry" not in labels[1]
    mode = stat.S_IMODE((tmp_path / "batched.db").stat().st_mode)
    assert mode & stat.S_IROTH, oct(mode)  # readable by the web server's user


def plan_of(conn, sql: str, params: dict) -> list[str]:
    return [r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


def test_every_canned_query_uses_an_index(review, tmp_path):  # noqa: F811
    db = redacted_review(review)
    ledger.add(db, "Fix the phones", themes=[2])
    result = publish(db, tmp_path / "public.db", PublishOptions(publishable=["Service", "Age group"]))
    meta = json.loads(Path(result.metadata_path).read_text())
    queries = meta["databases"]["public"]["queries"]
    conn = sqlite3.connect(tmp_path / "public.db")
    params = {"theme": 1, "question": "What was good?", "month": "2026-01", "code": "Parking",
              "dimension": "Service", "q": "staff"}
    for name, query in queries.items():
        plan = plan_of(conn, query["sql"], {p: params[p] for p in re.findall(r":(\w+)", query["sql"])})
        for step in plan:
            # quotes, quote_codes and counts grow with the review: searched by key, never scanned
            assert not re.match(r"SCAN (quotes|q|c|quote_codes|counts)\b", step), (name, plan)
        if re.search(r"(FROM|JOIN) (quotes|quote_codes)\b", query["sql"]):
            # in index order: LIMIT stops early instead of sorting every match
            assert not any("TEMP B-TREE" in step for step in plan), (name, plan)
    assert any("quotes_theme" in s for s in plan_of(conn, queries["theme_quotes"]["sql"],
                                                    {"theme": 1, "question": "", "month": ""}))
    # Dashboard-style lookups: a theme's quotes filtered and paged by keyset, counts by key.
    for sql, args in [
        ('SELECT quote_id FROM quotes WHERE theme_number = ? AND quote_id > ? AND question = ? AND month = ? '
         'AND "Service" = ? ORDER BY quote_id LIMIT 50', [1, 10, "What was good?", "2026-01", "GP"]),
        ("SELECT c.quote_id FROM quote_codes c WHERE c.code = ? AND c.quote_id > ? AND c.month = ? "
         "ORDER BY c.quote_id LIMIT 50", ["Parking", 10, "2026-01"]),
        ("SELECT value, shown FROM counts WHERE measure = 'theme' AND dimension = ? AND item = ?", ["month", "x"]),
    ]:
        plan = plan_of(conn, sql, args)
        assert all(s.startswith("SEARCH") for s in plan) and not any("TEMP B-TREE" in s for s in plan), (sql, plan)
    conn.close()


PEAK = """
import json, resource, sys
from rapidreview import store
from rapidreview.publish import PublishOptions, publish
db = store.open_review(sys.argv[1])
publish(db, sys.argv[2], PublishOptions(publishable=["Service", "Age group"], min_group=10))
# The kernel's high-water mark of this process image: ru_maxrss would also count the parent
# (this test, which has just built the review) as it was when it forked us.
try:
    peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(peak))
"""


@pytest.mark.slow
def test_memory_stays_flat_as_the_review_grows(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    import make_big_review

    peaks = {}
    for n in (5_000, 60_000):
        review_path = tmp_path / f"review-{n}.db"
        make_big_review.build(review_path, n, 7, tmp_path / "demo")
        out = subprocess.run([sys.executable, "-c", PEAK, str(review_path), str(tmp_path / f"public-{n}.db")],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        peaks[n] = json.loads(out.stdout.strip().splitlines()[-1])
        count = sqlite3.connect(tmp_path / f"public-{n}.db").execute("SELECT count(*) FROM quotes").fetchone()[0]
        assert count > 0.9 * n
    # 12 times the segments. Before publish streamed, 100k segments took 221 MB above the floor (now 6 MB).
    assert peaks[60_000] - peaks[5_000] < 15, peaks
