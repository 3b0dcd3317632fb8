"""Waves: comparing two rounds of the same survey (rapidreview/waves.py, `rapidreview waves`).

The review is the sample corpus's two survey waves imported with `--wave`, as a team
repeating a review every quarter would: redacted, coded by the starter codebook's rules
and sentiment lexicon, and every other suggestion accepted by a person.
"""

from __future__ import annotations

import csv
import json
import math
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from scipy.stats import chi2_contingency

from rapidreview import demo, privacy, store, waves
from rapidreview.cli import cli
from rapidreview.coding import queue
from rapidreview.coding.suggest import CodeOptions, code
from rapidreview.errors import NotFound, RapidReviewError
from rapidreview.privacy.disclosure import NO_CONTROL

CORPUS = Path(__file__).resolve().parent.parent / "corpora" / "healthwatch-sample"
MAPPING = CORPUS / "survey-mapping.yaml"
Q1, Q2 = "2025-Q1", "2025-Q2"


def build_wave_review(path: Path, *, themes: bool = False) -> Path:
    """Import both survey waves with the CLI, redact, load the starter codebook, suggest
    codes and accept every other suggestion (a person's decisions)."""
    runner = CliRunner()
    for name, wave in [("survey-2025-q1.xlsx", Q1), ("survey-2025-q2.csv", Q2)]:
        result = runner.invoke(cli, ["import", str(path), str(CORPUS / name), "--mapping", str(MAPPING),
                                     "--wave", wave], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    db = store.open_review(path)
    try:
        privacy.redact(db)
        demo.load_starter_codebook(db, CORPUS)
        code(db, CodeOptions(model=False))
        for (coding_id,) in db.execute("SELECT id FROM codings WHERE status = 'suggested' ORDER BY id").fetchall()[::2]:
            queue.decide(db, coding_id, "accept", actor="tester")
        if themes:
            demo.find_corpus_themes(db, CORPUS)
    finally:
        db.conn.close()
    return path


def copy_review(src: Path, dest: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dest) as b:
        a.backup(b)
    a.close()
    b.close()
    return dest


def shared_wave_review(tmp_path_factory) -> Path:
    """One review per test session (test_matrix uses it too): tests copy it before changing it."""
    path = tmp_path_factory.getbasetemp() / "wave-review" / "review.db"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        build_wave_review(path, themes=True)
    return path


@pytest.fixture(scope="module")
def wave_review(tmp_path_factory) -> Path:
    return shared_wave_review(tmp_path_factory)


@pytest.fixture
def wdb(wave_review, tmp_path):
    db = store.open_review(copy_review(wave_review, tmp_path / "copy.db"))
    yield db
    db.conn.close()


# ---------------------------------------------------------------- independent expectations


def expected_code_counts(db, wave: str) -> tuple[dict[str, int], int]:
    """By a different route from the library: one SQL query per wave."""
    denominator = db.execute(
        "SELECT count(DISTINCT d.respondent_id) FROM documents d JOIN sources s ON s.id = d.source_id "
        "JOIN respondents r ON r.id = d.respondent_id "
        "WHERE s.batch = ? AND d.answered = 1 AND r.withdrawn = 0 AND r.consent = 1", [wave]).fetchone()[0]
    counts = dict(db.execute(
        "SELECT k.key, count(DISTINCT d.respondent_id) FROM codings c JOIN codes k ON k.id = c.code_id "
        "JOIN documents d ON d.id = c.document_id JOIN sources s ON s.id = d.source_id "
        "JOIN respondents r ON r.id = d.respondent_id "
        "WHERE c.status = 'accepted' AND s.batch = ? AND d.answered = 1 AND r.withdrawn = 0 AND r.consent = 1 "
        "GROUP BY k.key", [wave]).fetchall())
    return counts, denominator


def test_wave_labels_are_the_import_batches_in_import_order(wdb):
    assert waves.wave_labels(wdb) == [Q1, Q2]
    summary = {w["wave"]: w for w in waves.wave_summary(wdb)}
    assert summary[Q1]["files"] == summary[Q2]["files"] == 1
    assert summary[Q1]["documents"] == 900 and summary[Q2]["documents"] == 360  # 3 questions per respondent


def test_exact_counts_match_the_database(wdb):
    result = waves.compare(wdb, Q1, Q2, rule=NO_CONTROL)
    before, d_before = expected_code_counts(wdb, Q1)
    after, d_after = expected_code_counts(wdb, Q2)
    assert not result.controlled and result.by == "code"
    assert {r.key for r in result.rows} == set(before) | set(after)
    for r in result.rows:
        assert (r.n_before, r.n_after) == (before.get(r.key, 0), after.get(r.key, 0)), r.name
        assert (r.denominator_before, r.denominator_after) == (d_before, d_after)
        assert r.change == round(100 * (r.n_after / d_after - r.n_before / d_before), 1)
    # 40 people answered both waves: each counts once in each wave's denominator.
    both = wdb.execute("SELECT count(*) FROM (SELECT d.respondent_id FROM documents d JOIN sources s "
                       "ON s.id = d.source_id WHERE d.answered = 1 GROUP BY d.respondent_id "
                       "HAVING count(DISTINCT s.batch) = 2)").fetchone()[0]
    everyone = wdb.execute("SELECT count(DISTINCT respondent_id) FROM documents WHERE answered = 1").fetchone()[0]
    assert both > 0 and d_before + d_after == everyone + both


def test_rows_carry_the_code_group_in_codebook_order(wdb):
    result = waves.compare(wdb, Q1, Q2, rule=NO_CONTROL, include_empty=True)
    tree = [c for c in waves.code_tree(wdb)]
    assert [r.key for r in result.rows] == [c["key"] for c in tree]
    parents = dict(wdb.execute("SELECT c.key, p.name FROM codes c LEFT JOIN codes p ON p.id = c.parent_id"))
    for r in result.rows:
        assert r.group == (parents[r.key] or r.name)  # the starter codebook is two levels deep


def test_p_values_agree_with_a_chi_squared_test(wdb):
    result = waves.compare(wdb, Q1, Q2, rule=NO_CONTROL)
    z_rows = [r for r in result.rows if r.test == "two-proportion z"]
    fisher_rows = [r for r in result.rows if r.test == "Fisher exact"]
    assert z_rows and fisher_rows  # the sample has both common and rare codes
    for r in z_rows:
        table = [[r.n_before, r.denominator_before - r.n_before], [r.n_after, r.denominator_after - r.n_after]]
        assert math.isclose(r.p_value, chi2_contingency(table, correction=False)[1], rel_tol=1e-9)
    for r in fisher_rows:
        assert "small numbers" in r.note and 0 <= r.p_value <= 1
        n = r.n_before + r.n_after
        d = r.denominator_before + r.denominator_after
        assert min(n, d - n) * min(r.denominator_before, r.denominator_after) / d < waves.MIN_EXPECTED


def test_disclosure_control_as_publish_does(wdb):
    exact = {r.key: r for r in waves.compare(wdb, Q1, Q2, rule=NO_CONTROL).rows}
    controlled = waves.compare(wdb, Q1, Q2)
    assert controlled.controlled
    suppressed = 0
    for r in controlled.rows:
        e = exact[r.key]
        for shown, n, true in [(r.shown_before, r.n_before, e.n_before), (r.shown_after, r.n_after, e.n_after)]:
            c = privacy.control_count(true)
            assert (shown, n) == (c.display, c.value)
            assert n is None or n % 5 == 0
        assert r.denominator_before % 5 == 0 and r.denominator_after % 5 == 0
        if r.n_before is None or r.n_after is None:
            suppressed += 1
            # Nothing derived from a hidden count is shown: it could be solved for.
            assert r.change is None and r.p_value is None and "suppressed" in r.note
        else:  # the change is what the shown numbers say, not the true counts
            assert r.change == round(100 * (r.n_after / r.denominator_after - r.n_before / r.denominator_before), 1)
    assert suppressed  # some codes are rare in the sample
    # No row shows two hidden cells with a visible total: with no totals, no cell is recoverable.
    grid = [[exact[r.key].n_before, exact[r.key].n_after] for r in controlled.rows]
    hidden = [[r.n_before is None, r.n_after is None] for r in controlled.rows]
    hidden = [row + [False] for row in hidden] + [[False] * 3]
    assert privacy.recoverable_cells(grid, hidden, row_totals=False, column_totals=False) == set()


def test_withdrawn_respondent_leaves_both_waves(wdb):
    before = {r.key: r for r in waves.compare(wdb, Q1, Q2, rule=NO_CONTROL).rows}
    # Someone who answered both waves with an accepted code in the second.
    rid, external, key = wdb.execute(
        "SELECT r.id, r.external_id, k.key FROM respondents r JOIN documents d ON d.respondent_id = r.id "
        "JOIN sources s ON s.id = d.source_id JOIN codings c ON c.document_id = d.id AND c.status = 'accepted' "
        "JOIN codes k ON k.id = c.code_id WHERE s.batch = ? AND r.id IN (SELECT d2.respondent_id FROM documents d2 "
        "JOIN sources s2 ON s2.id = d2.source_id WHERE s2.batch = ? AND d2.answered = 1) "
        "ORDER BY r.id LIMIT 1", [Q2, Q1]).fetchone()
    privacy.withdraw(wdb, external, reason="test")
    after = {r.key: r for r in waves.compare(wdb, Q1, Q2, rule=NO_CONTROL).rows}
    assert after[key].n_after == before[key].n_after - 1
    assert after[key].denominator_after == before[key].denominator_after - 1
    assert after[key].denominator_before == before[key].denominator_before - 1
    # Refusing consent counts the same as withdrawing: someone who answered only the first wave.
    only_q1 = wdb.execute(
        "SELECT r.external_id FROM respondents r JOIN documents d ON d.respondent_id = r.id JOIN sources s "
        "ON s.id = d.source_id WHERE d.answered = 1 GROUP BY r.id HAVING max(s.batch) = ? ORDER BY r.id LIMIT 1",
        [Q1]).fetchone()[0]
    privacy.set_consent(wdb, only_q1, False)
    again = waves.compare(wdb, Q1, Q2, rule=NO_CONTROL).rows[0]
    assert (again.denominator_before, again.denominator_after) == (after[key].denominator_before - 1,
                                                                   after[key].denominator_after)


def test_by_theme_counts_members_per_wave(wdb, tmp_path):
    result = waves.compare(wdb, Q1, Q2, by="theme", rule=NO_CONTROL)
    run_id = wdb.execute("SELECT max(id) FROM theme_runs").fetchone()[0]
    assert result.run_id == run_id and result.rows
    for r in result.rows:
        for wave, n in [(Q1, r.n_before), (Q2, r.n_after)]:
            expected = wdb.execute(
                "SELECT count(DISTINCT d.respondent_id) FROM theme_members m JOIN themes t ON t.id = m.theme_id "
                "JOIN segments s ON s.id = m.segment_id JOIN documents d ON d.id = s.document_id "
                "JOIN sources src ON src.id = d.source_id WHERE t.run_id = ? AND t.number = ? AND src.batch = ?",
                [run_id, int(r.key), wave]).fetchone()[0]
            assert n == expected, r.name
    assert [r.name for r in result.rows] == [published_labels(wdb, tmp_path)[int(r.key)] for r in result.rows]


def published_labels(db, tmp_path) -> dict[int, str]:
    """Theme labels as `rapidreview publish` writes them to public.db."""
    from rapidreview.publish import publish

    publish(db, tmp_path / "public.db")
    with sqlite3.connect(tmp_path / "public.db") as conn:
        labels = dict(conn.execute("SELECT number, label FROM themes"))
    conn.close()
    return labels


def test_unknown_wave_names_the_known_ones_and_the_nearest(wdb):
    with pytest.raises(NotFound) as e:
        waves.compare(wdb, "2025-q1 ", Q2)
    message = str(e.value)
    assert "did you mean '2025-Q1'" in message and "'2025-Q2'" in message and "rapidreview waves" in message
    with pytest.raises(RapidReviewError, match="two different waves"):
        waves.compare(wdb, Q1, Q1)
    with pytest.raises(RapidReviewError, match="'code' or 'theme'"):
        waves.compare(wdb, Q1, Q2, by="service")


def test_review_without_waves_says_how_to_make_them(db):
    with pytest.raises(NotFound, match="--wave LABEL"):
        waves.compare(db, Q1, Q2)


# ---------------------------------------------------------------- the CLI


def test_cli_lists_waves(wave_review, run):
    result = run("waves", wave_review)
    assert result.exit_code == 0
    assert Q1 in result.output and Q2 in result.output
    listed = json.loads(run("waves", wave_review, "--json").output)
    assert [w["wave"] for w in listed] == [Q1, Q2]


def test_cli_compare_json_csv_and_table(wave_review, run, tmp_path):
    data = json.loads(run("waves", wave_review, "--compare", Q1, Q2, "--json").output)
    db = store.open_review(wave_review)
    try:
        expected = waves.compare(db, Q1, Q2).to_dict()
    finally:
        db.conn.close()
    assert data == expected and data["controlled"]
    out = tmp_path / "waves.csv"
    result = run("waves", wave_review, "--compare", Q1, Q2, "-o", out)
    assert result.exit_code == 0 and out.exists()
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["name"] for r in rows] == [r["name"] for r in data["rows"]]
    assert {r["n_before"] for r in rows} >= {"<8"}  # the CSV shows counts as published
    result = run("waves", wave_review, "--compare", Q1, Q2, "--by", "theme")
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["key", "name", "n_before"] and len(lines) == 2 + len(data_by_theme(wave_review))
    assert "disclosure-controlled" in result.stderr
    exact = json.loads(run("waves", wave_review, "--compare", Q1, Q2, "--exact", "--json").output)
    assert not exact["controlled"] and any(r["n_before"] % 5 for r in exact["rows"])


def data_by_theme(path):
    db = store.open_review(path)
    try:
        return waves.compare(db, Q1, Q2, by="theme").rows
    finally:
        db.conn.close()


def test_cli_unknown_wave_is_one_line_error(wave_review, tmp_path):
    result = CliRunner().invoke(cli, ["waves", str(wave_review), "--compare", "2025-Q3", Q2])
    assert result.exit_code == 1
    assert result.output.startswith("Error: unknown wave '2025-Q3'") and "Traceback" not in result.output


def test_theme_labels_are_redacted_with_the_reviews_known_names(wdb):
    """A name only the review knows (listed in its privacy config) in a researcher's theme
    label: the generic detectors miss it, `waves` must not (as publish does not)."""
    from dataclasses import replace

    from rapidreview.privacy.known import save_config, stored_config
    from rapidreview.themes import get_run

    save_config(wdb, replace(stored_config(wdb), names=["Yorrin Quenby"]))
    run_id = wdb.execute("SELECT max(id) FROM theme_runs").fetchone()[0]
    number = wdb.execute("SELECT min(number) FROM themes WHERE run_id = ? AND kind = 'theme'", [run_id]).fetchone()[0]
    label = "waiting for yorrin quenby to ring back"
    wdb.execute("UPDATE themes SET label = ? WHERE run_id = ? AND number = ?", [label, run_id, number])
    wdb.conn.commit()
    assert "quenby" in privacy.redact_text(label)[0]  # the generic detectors alone let it through
    labels = waves.published_theme_labels(wdb, get_run(wdb, run_id))
    assert labels[number] == "waiting for [NAME 1] to ring back"
    rows = waves.compare(wdb, Q1, Q2, by="theme", rule=NO_CONTROL).rows
    assert labels[number] in {r.name for r in rows} and not any("quenby" in r.name.casefold() for r in rows)
