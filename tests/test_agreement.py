"""Agreement: kappa and alpha on the units both coders saw; the model as a coder."""

from __future__ import annotations

import json

import pytest
from test_coding_model import CliRunnerSafe, make_review

from rapidreview import store
from rapidreview.coding import agreement, queue


def test_kappa_and_alpha_known_values():
    pairs = [(1, 1), (0, 0), (1, 0), (0, 0)]
    assert agreement.cohen_kappa(pairs) == pytest.approx(0.5)
    assert agreement.krippendorff_alpha(pairs) == pytest.approx(1 - 2 / (30 / 7), abs=1e-4)
    assert agreement.krippendorff_alpha([(1, 1), (0, 0)]) == 1.0
    assert agreement.cohen_kappa([(1, 1), (1, 1)]) is None  # no chance model: undefined, not 1
    # missing values (None) are skipped; an item with one rating says nothing
    assert agreement.krippendorff_alpha([(1, 1, None), (0, 0, 0), (1, None, None)]) == 1.0
    from sklearn.metrics import cohen_kappa_score

    a, b = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1], [1, 0, 0, 1, 0, 1, 1, 0, 1, 0]
    assert agreement.cohen_kappa(list(zip(a, b))) == pytest.approx(cohen_kappa_score(a, b), abs=1e-4)


def _code(db, coder, external_prefix, code_name):
    doc, seg, start, end = db.execute("""SELECT d.id, s.id, s.start, s."end" FROM documents d JOIN segments s
        ON s.document_id = d.id WHERE d.external_id LIKE ?""", [external_prefix + " %"]).fetchone()
    code_id = db.execute("SELECT id FROM codes WHERE name = ?", [code_name]).fetchone()[0]
    db.execute("""INSERT INTO codings (document_id, segment_id, start, "end", code_id, coder, origin, status, created_at)
                  VALUES (?, ?, ?, ?, ?, ?, 'manual', 'accepted', ?)""", [doc, seg, start, end, code_id, coder,
                                                                          store.now()])
    return doc


@pytest.fixture
def two_coders(tmp_path, run):
    path = make_review(tmp_path, run)
    db = store.open_review(path)
    with store.transaction(db):
        # alice codes U25..U28, bob codes U27..U30: they share U27 and U28 only
        for doc, code in (("U25", "Waiting"), ("U26", "Staff attitude"), ("U27", "Parking"), ("U28", "Waiting")):
            _code(db, "alice", doc, code)
        for doc, code in (("U27", "Parking"), ("U28", "Staff attitude"), ("U29", "Staff attitude"),
                          ("U30", "Parking")):
            _code(db, "bob", doc, code)
    return path, db


def test_only_units_both_coders_saw_count(two_coders):
    _, db = two_coders
    result = agreement.agreement(db, ["alice", "bob"])
    assert result.units == {"alice|bob": 2}
    by_code = {c.code: c for c in result.codes}
    # Parking: U27 yes/yes, U28 no/no -> perfect agreement
    assert by_code["Parking"].kappa["alice|bob"] == 1.0 and by_code["Parking"].alpha == 1.0
    # Waiting: U28 alice yes, bob no; U27 no/no
    assert by_code["Waiting"].kappa["alice|bob"] == 0.0
    assert {(d["code"], tuple(d["applied_by"])) for d in result.disagreements} == {
        ("Waiting", ("alice",)), ("Staff attitude", ("bob",))}
    # uncoded text elsewhere (U25/U26 for bob, U29/U30 for alice) did not count as agreement
    assert by_code["Waiting"].units == 2


def test_explicit_seen_records_widen_the_shared_units(two_coders):
    _, db = two_coders
    u29 = db.execute("SELECT id FROM documents WHERE external_id LIKE 'U29 %'").fetchone()[0]
    with store.transaction(db):
        queue.mark_seen(db, [u29], "alice")  # alice read U29 and coded nothing: a decision
    result = agreement.agreement(db, ["alice", "bob"])
    assert result.units == {"alice|bob": 3}
    staff = {c.code: c for c in result.codes}["Staff attitude"]
    assert staff.applied == {"alice": 1, "bob": 2}  # over all the units each coder saw
    assert staff.units == 3 and staff.kappa["alice|bob"] == 0.0  # on U27-U29 alice never applied it


def test_model_as_a_coder_and_cli(two_coders, run):
    path, db = two_coders
    result = agreement.agreement(db, ["alice"], model=True)
    assert result.coders == ["alice", "model"]
    assert result.units["alice|model"] == 4
    assert result.alpha is not None
    out = json.loads(run("agreement", path, "--coders", "alice,bob", "--model", "--json").output)
    assert set(out["units"]) == {"alice|bob", "alice|model", "bob|model"}
    text = run("agreement", path, "--coders", "alice,bob").output
    assert "Krippendorff's alpha" in text and "Disagreements" in text
    bad = CliRunnerSafe(run)("agreement", path, "--coders", "alice,carol")
    assert bad.exit_code == 1 and "coder 'carol' has coded nothing" in bad.output
