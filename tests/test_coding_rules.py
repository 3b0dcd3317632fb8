"""Rule coding: keywords on lemmas, Matcher patterns, exclusion vetoes, which rule
fired, and a clear error for a pattern that does not compile."""

from __future__ import annotations

import json

import pytest
from test_coding_model import CliRunnerSafe, make_review

from rapidreview import store
from rapidreview.coding import rules
from rapidreview.coding.units import Unit


def units(*texts):
    return [Unit(1, i, 0, len(t), t, None, f"D{i}") for i, t in enumerate(texts)]


def fired(compiled, texts):
    return [(u.text, code, label) for u, code, label in rules.match(compiled, units(*texts))]


def test_keywords_match_on_lemmas_and_phrases_whole():
    compiled = rules.compile_rules([rules.CodeRules(1, "Waiting", ["wait", "waiting times"])])
    got = fired(compiled, ["I WAITED for hours", "the waits were long", "Waiting time was fine", "weight loss",
                           "times were waiting"])
    assert [g[0] for g in got] == ["I WAITED for hours", "the waits were long", "Waiting time was fine",
                                   "times were waiting"]
    assert got[2][2] == "keyword:wait"  # the first rule to fire in the text is recorded


def test_lemma_forms_follow_the_lookup_table():
    assert "left" in rules.forms("leave") and "leaving" in rules.forms("leave")
    assert "left" not in rules.forms("left")  # the table sends "left" to "leave"


def test_exclusion_terms_veto_and_min_matches():
    compiled = rules.compile_rules([
        rules.CodeRules(1, "Access", ["appointment"], exclude=["dentist"]),
        rules.CodeRules(2, "Staff", ["nurse", "doctor"], min_matches=2)])
    got = fired(compiled, ["no appointment for weeks", "dentist appointment was late",
                           "the nurse was kind", "the nurse and the doctor were kind"])
    assert got == [("no appointment for weeks", 1, "keyword:appointment"),
                   ("the nurse and the doctor were kind", 2, "keyword:nurse")]


def test_token_patterns_with_lemma_and_lower():
    pattern = [{"LEMMA": "ring"}, {"OP": "?"}, {"LOWER": "back"}]
    compiled = rules.compile_rules([rules.CodeRules(3, "Callback", [], [pattern])])
    got = fired(compiled, ["They never rang me back", "Ringing back took days", "the ring is at the back",
                           "no one called"])
    assert [g[0] for g in got] == ["They never rang me back", "Ringing back took days"]
    assert got[0][2] == "pattern:0"


def test_pattern_that_does_not_compile_names_the_code():
    with pytest.raises(rules.RuleError, match=r"code 'Bad': pattern 1 does not compile"):
        rules.compile_rules([rules.CodeRules(9, "Bad", [], [[{"LOWER": "ok"}], [{"LEMMAX": "x"}]])])
    with pytest.raises(rules.RuleError, match=r"code 'Worse': pattern 0 does not compile"):
        rules.compile_rules([rules.CodeRules(9, "Worse", [], ["not a list of dicts"])])


def test_code_writes_rule_suggestions_and_cli_reports_bad_patterns(tmp_path, run):
    path = make_review(tmp_path, run)
    db = store.open_review(path)
    with store.transaction(db):
        db.execute("UPDATE codes SET rules = ? WHERE name = 'Parking'",
                   [json.dumps({"keywords": ["park", "car park"], "exclude": ["nightmare"]})])
    run("code", path, "--no-model", "--no-sentiment")
    got = db.execute("""SELECT d.external_id, c.origin, c.coder, c.status, c.rule, c.confidence FROM codings c
                        JOIN documents d ON d.id = c.document_id WHERE c.coder = 'rules'""").fetchall()
    assert got and all(r[1:4] == ("rule", "rules", "suggested") and r[5] is None for r in got)
    assert {r[4] for r in got} <= {"keyword:park", "keyword:car park"}
    texts = [db.execute("SELECT text FROM documents WHERE external_id = ?", [r[0]]).fetchone()[0] for r in got]
    assert all("park" in t.lower() and "nightmare" not in t for t in texts)
    # again: idempotent
    result = run("code", path, "--no-model", "--no-sentiment", "--json")
    counts = json.loads(result.output)["counts"]["rules"]
    assert counts["added"] == 0 and counts["unchanged"] == len(got)
    # a broken pattern: one clear line, exit 1, nothing written
    with store.transaction(db):
        db.execute("UPDATE codes SET rules = ? WHERE name = 'Waiting'",
                   [json.dumps({"patterns": [[{"LEMMA": {"FOO": 1}}]]})])
    before = db.execute("SELECT count(*) FROM codings").fetchone()[0]
    result = CliRunnerSafe(run)("code", path, "--no-model", "--no-sentiment")
    assert result.exit_code == 1
    assert "Error: code 'Waiting': pattern 0 does not compile" in result.output
    assert "Traceback" not in result.output
    assert db.execute("SELECT count(*) FROM codings").fetchone()[0] == before


def test_import_codes_not_in_loaded_codebook_are_refused_with_nearest_names(tmp_path, run):
    from test_coding_model import HEADER, fixture_rows, write_csv

    path = make_review(tmp_path, run)
    db = store.open_review(path)
    with store.transaction(db):  # a loaded (non-imported) codebook
        book = db.execute("INSERT INTO codebooks (name, created_at) VALUES ('mine', ?)", [store.now()]).lastrowid
        db.execute("INSERT INTO codes (codebook_id, key, name) VALUES (?, 'waits', 'Waits')", [book])
    header = HEADER[:3] + ["Waitng"]
    rows = [[r[0] + "x", r[1], r[2], 1] for r in fixture_rows()[:2]]
    result = CliRunnerSafe(run)("import", path, write_csv(tmp_path / "more.csv", rows, header), "--text", "Answer",
                                "--id", "ID", "--question-col", "Question", "--codes", "Waitng")
    assert result.exit_code == 1
    assert "code 'Waitng' is not in the loaded codebook" in result.output
    assert "Waiting" in result.output  # the nearest names


def test_rule_throughput_smoke():
    import time

    compiled = rules.compile_rules([rules.CodeRules(i, f"C{i}", [f"word{i}", "wait"], [], ["never"])
                                    for i in range(20)])
    texts = ["We waited a long time but the staff were lovely and kind to us"] * 5000
    t0 = time.perf_counter()
    n = sum(1 for _ in rules.match(compiled, units(*texts)))
    assert n == 5000 * 20
    assert time.perf_counter() - t0 < 10  # loose: the figure is measured in bench/bench_coding.py


def test_patterns_that_need_real_lemmas_still_work():
    pattern = [{"LEMMA": {"REGEX": "^wait"}}, {"LOWER": "for"}]
    compiled = rules.compile_rules([rules.CodeRules(4, "Waiting", [], [pattern])])
    assert compiled.needs_lemmas
    got = fired(compiled, ["We WAITED for ages", "we waited ages"])
    assert [g[0] for g in got] == ["We WAITED for ages"]


def test_keyword_lemmas_agree_with_the_pipeline():
    from rapidreview.nlp import lemmas

    for phrase in ("Waiting times", "they were LEFT alone", "nurses' attitudes", "couldn't get through"):
        assert rules.lemma_words(phrase) == lemmas(phrase)
