"""The privacy commands: redact, --review, --status, respondents, privacy check."""

from __future__ import annotations

import json

from test_privacy_redact import import_comments

from rapidreview import privacy, store

ROWS = [
    ("R1", "Dr Patel saw my son Jack, ring 07700 900123.", "GP"),
    ("R2", "Nothing to add, Ward 7 was great.", "A&E"),
]


def setup(review_path, tmp_path):
    db = store.open_review(review_path)
    import_comments(db, tmp_path, ROWS)
    db.conn.close()


def test_redact_json_status_and_idempotent(run, review_path, tmp_path):
    setup(review_path, tmp_path)
    r = run("redact", review_path, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["documents"] == 2 and data["by_kind"] == {"name": 2, "phone": 1}
    again = json.loads(run("redact", review_path, "--json").output)
    assert again["added"] == 0 and again["documents"] == 0
    status = json.loads(run("redact", review_path, "--status", "--json").output)
    assert status["unscanned"] == 0 and status["kinds"]["name"] == {"unreviewed": 2}
    listing = run("redact", review_path, "--list")
    assert "[[Patel]]" in listing.output


def test_review_loop_confirm_and_undo(run, review_path, tmp_path):
    setup(review_path, tmp_path)
    run("redact", review_path)
    # spans in order: Patel, Jack, phone -> confirm, undo, quit
    r = run("redact", review_path, "--review", input="c\nu\nq\n")
    assert r.exit_code == 0, r.output
    db = store.open_review(review_path, create=False)
    states = [s["reviewed"] for s in privacy.spans(db)]
    assert states == ["confirmed", "undone", None]
    assert privacy.redacted_text(db, 1) == "Dr [NAME 1] saw my son Jack, ring [PHONE]."
    # re-running does not bring the undone span back
    run("redact", review_path, "--rescan")
    assert [s["reviewed"] for s in privacy.spans(db)] == ["confirmed", "undone", None]


def test_add_and_errors(run, review_path, tmp_path):
    setup(review_path, tmp_path)
    run("redact", review_path)
    r = run("redact", review_path, "--add", "2:16:22:ward")
    assert r.exit_code == 0 and "[WARD]" in r.output
    bad = run("redact", review_path, "--add", "2:16:999:ward")
    assert bad.exit_code == 1 and "Error: span 16:999 is outside document 2" in bad.output
    missing = run("redact", str(tmp_path / "nope.db"))
    assert missing.exit_code == 1 and "no such review database" in missing.output


def test_respondents_commands(run, review_path, tmp_path):
    setup(review_path, tmp_path)
    assert run("respondents", "withdraw", review_path, "R1", "--reason", "phone call").exit_code == 0
    assert run("respondents", "consent", review_path, "R2", "--no").exit_code == 0
    rows = json.loads(run("respondents", "list", review_path, "--excluded", "--json").output)
    assert {(r["respondent"], r["withdrawn"], r["consent"]) for r in rows} == {("R1", True, True), ("R2", False, False)}
    r = run("respondents", "withdraw", review_path, "R404")
    assert r.exit_code == 1 and "Error: respondent 'R404' is not in this review" in r.output


def test_privacy_check_and_config(run, tmp_path):
    r = run("privacy", "check", "Nurse Bellamy on Ward 7 rang 07700 900123", "--json")
    data = json.loads(r.output)
    assert data["redacted"] == "Nurse [NAME 1] on Ward 7 rang [PHONE]"
    cfg = tmp_path / "p.yaml"
    cfg.write_text(run("privacy", "config").output)
    assert privacy.load_config(cfg).allow == ["Leeds General Infirmary", "Ward 7"]
    r = run("privacy", "check", "Bellamy on Rowan Ward", "--config", cfg, "--json")
    assert json.loads(r.output)["redacted"] == "[NAME 1] on [WARD]"  # the config's own patterns
    r = run("privacy", "check", "Seen by Dr Okafor", "--allow", "Okafor", "--json")
    assert json.loads(r.output)["redacted"] == "Seen by Dr Okafor"
    assert run("redact", "--help").output.count("Example") >= 1
