"""`rapidreview publish` and `rapidreview recommend ...` through the CLI."""

from __future__ import annotations

import json
import sqlite3

import pytest
from test_publish import redacted_review, review  # noqa: F401  (fixture)

from rapidreview import privacy


def test_publish_and_ledger_cli(review, review_path, tmp_path, run):  # noqa: F811
    redacted_review(review)
    result = run("recommend", "add", review_path, "Offer evening appointments", "--theme", 1, "--quote", 4, "--json")
    assert result.exit_code == 0, result.output
    rec = json.loads(result.output)
    result = run("recommend", "respond", review_path, rec["id"], "--response", "Pilot from April",
                 "--status", "accepted", "--by", "Practice manager")
    assert result.exit_code == 0
    listed = run("recommend", "list", review_path)
    assert "Pilot from April" in listed.output and "accepted" in listed.output
    public = tmp_path / "site" / "public.db"
    result = run("publish", review_path, public, "--publishable", "Service", "--title", "Anytown GP", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["tables"]["recommendations"] == 1 and out["tables"]["quotes"] > 50
    meta = json.loads((tmp_path / "site" / "public.metadata.json").read_text())
    assert meta["allow_sql"] is False and meta["title"] == "Anytown GP"
    conn = sqlite3.connect(public)
    assert conn.execute("SELECT response FROM recommendations").fetchone()[0] == "Pilot from April"
    conn.close()


def test_publish_cli_errors(review, review_path, tmp_path, run):  # noqa: F811
    result = run("publish", review_path, tmp_path / "public.db")
    assert result.exit_code == 1 and "rapidreview redact" in result.output and "Traceback" not in result.output
    privacy.redact(review)
    result = run("publish", review_path, tmp_path / "public.db", "--publishable", "Ethnicity")
    assert result.exit_code == 1 and "Error: no attribute named 'Ethnicity'" in result.output
    result = run("recommend", "respond", review_path, 42, "--status", "accepted")
    assert result.exit_code == 1 and "no recommendation 42" in result.output
    assert run("publish", "--help").output.count("Example") == 1


@pytest.mark.parametrize("path", [("publish",), ("recommend", "add"), ("recommend", "respond"), ("recommend", "list")])
def test_help_teaches(run, path):
    result = run(*path, "--help")
    assert result.exit_code == 0 and "Example" in result.output


def test_publish_cli_rule_and_min_group(review, review_path, tmp_path, run):  # noqa: F811
    privacy.redact(review)

    def publish_with(name, *options):
        result = run("publish", review_path, tmp_path / name, "--publishable", "Service", *options, "--json")
        assert result.exit_code == 0, result.output
        conn = sqlite3.connect(tmp_path / name)
        meta = conn.execute("SELECT threshold, round_to, marker, min_group FROM meta").fetchone()
        shown = {r[0] for r in conn.execute("SELECT shown FROM counts")}
        conn.close()
        return result, meta, shown

    result, meta, shown = publish_with("nhs.db")
    assert meta == (8, 5, "<8", 8) and "Warning" not in result.output
    assert json.loads(result.stdout)["min_group"] == 8
    result, meta, shown = publish_with("fine.db", "--suppress-below", 3, "--round-to", 1)
    assert meta == (3, 1, "<3", 3) and "<8" not in shown
    assert any(s.isdigit() and int(s) % 5 for s in shown)  # not rounded
    result, meta, _ = publish_with("all.db", "--min-group", 0)
    assert meta == (8, 5, "<8", 0)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    assert len(warnings) == 1 and "1 to 7 respondents" in warnings[0]
    result = run("publish", review_path, tmp_path / "bad.db", "--suppress-below", 0)
    assert result.exit_code == 2 and "--suppress-below" in result.output


def test_publish_help_states_the_defaults(run):
    text = " ".join(run("publish", "--help").output.split())
    assert "--suppress-below N" in text and "--round-to M" in text and "[default: 8;" in text
    assert "Default: the --suppress-below threshold (8 unless changed) when attributes are published" in text
    assert "--suppress-below 11 --round-to 10" in text


def test_a_cited_quote_number_leads_back_to_its_segment(review, review_path, tmp_path, run):  # noqa: F811
    result = run("quote", review_path, 123)
    assert result.exit_code == 1 and "never been published" in result.output and "Traceback" not in result.output
    redacted_review(review)
    public = tmp_path / "public.db"
    assert run("publish", review_path, public, "--min-group", "0").exit_code == 0
    conn = sqlite3.connect(public)
    number, quote = conn.execute("SELECT quote_id, text FROM quotes ORDER BY quote_id LIMIT 1 OFFSET 7").fetchone()
    conn.close()

    result = run("quote", review_path, number, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    segment = review.execute("SELECT id, text FROM segments WHERE id = ?", [found["segment_id"]]).fetchone()
    assert found["quote_number"] == number and found["text"] == segment[1]
    assert privacy.redacted_text(review, found["document_id"], found["start"], found["end"]) == quote

    result = run("recommend", "add", review_path, "Call back when promised", "--quote-number", number, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["quotes"] == [found["segment_id"]]
    result = run("quote", review_path, number + 1)
    assert result.exit_code == 1 and f"numbered {number + 1}" in result.output
