"""Model coding and `rapidreview code`: learns from people's codings, suggests only,
never overwrites a human decision, records its version and training-set fingerprint."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from rapidreview import store
from rapidreview.coding import model, suggest

TEMPLATES = {
    "Waiting": ["I waited {n} hours in A&E", "the wait was far too long, {n} hours", "waiting times are awful",
                "we waited ages to be seen, {n} hours", "long delays and waiting around for {n} hours"],
    "Staff attitude": ["the nurses were so kind and caring", "staff were rude to my mother",
                       "lovely friendly staff, very kind", "the receptionist was rude and dismissive",
                       "kind caring nurses looked after me"],
    "Parking": ["could not find anywhere to park", "parking costs {n} pounds", "the car park was full",
                "no parking spaces at all", "parking was a nightmare"],
}
HEADER = ["ID", "Question", "Answer", "Waiting", "Staff attitude", "Parking"]


def fixture_rows(n_per_code: int = 8, uncoded: int = 6):
    rows, i = [], 0
    for code, templates in TEMPLATES.items():
        for k in range(n_per_code):
            i += 1
            text = templates[k % len(templates)].format(n=k + 2) + f" (visit {i})"
            rows.append([f"R{i}", "What could be better?", text] + [1 if c == code else "" for c in TEMPLATES])
    for k in range(uncoded):
        i += 1
        code = list(TEMPLATES)[k % 3]
        text = TEMPLATES[code][k % 5].format(n=k + 3) + f" on my visit {i}"
        rows.append([f"U{i}", "What could be better?", text, "", "", ""])
    return rows


def write_csv(path: Path, rows, header=HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def make_review(tmp_path: Path, run, rows=None) -> Path:
    """A review with coded answers (R*) and uncoded ones (U*): the U rows' codes are
    blanked by importing them from a second file without code columns."""
    rows = rows if rows is not None else fixture_rows()
    coded = [r for r in rows if r[0].startswith("R")]
    uncoded = [r[:3] for r in rows if r[0].startswith("U")]
    path = tmp_path / "review.db"
    args = ["--text", "Answer", "--id", "ID", "--question-col", "Question"]
    run("import", path, write_csv(tmp_path / "coded.csv", coded), *args, "--codes", "Waiting..", "--silent")
    if uncoded:
        run("import", path, write_csv(tmp_path / "new.csv", uncoded, HEADER[:3]), *args, "--silent")
    return path


def suggestions(db, coder="model"):
    return db.execute("""SELECT substr(d.external_id, 1, instr(d.external_id || ' ', ' ') - 1), k.name, c.status, c.confidence, c.model_version, c.origin
                         FROM codings c JOIN documents d ON d.id = c.document_id JOIN codes k ON k.id = c.code_id
                         WHERE c.coder = ? ORDER BY d.external_id, k.name""", [coder]).fetchall()


def test_training_with_no_human_codings_is_a_clear_error(tmp_path, run):
    path = tmp_path / "review.db"
    run("import", path, write_csv(tmp_path / "a.csv", [r[:3] for r in fixture_rows()], HEADER[:3]),
        "--text", "Answer", "--id", "ID", "--question-col", "Question", "--silent")
    result = CliRunnerSafe(run)("train", path)
    assert result.exit_code == 1
    assert "training with no human codings" in result.output
    assert "Traceback" not in result.output


class CliRunnerSafe:
    """Run a command that is expected to fail: the `run` fixture does not catch."""

    def __init__(self, run):
        from click.testing import CliRunner

        from rapidreview.cli import cli

        self.runner, self.cli = CliRunner(), cli

    def __call__(self, *args, input=None):
        return self.runner.invoke(self.cli, [str(a) for a in args], input=input)


def test_train_records_model_and_refuses_codes_with_few_examples(tmp_path, run):
    rows = fixture_rows()
    rows.append(["R99", "What could be better?", "parking was a nightmare again", "", "", 1])
    rows = [r for r in rows if not (r[5] == 1 and r[0] not in ("R17", "R18", "R99"))]  # Parking: 3 examples
    path = make_review(tmp_path, run, rows)
    result = run("train", path, "--json")
    record = json.loads(result.output)
    learned = {c["name"] for c in record["codes"]}
    assert learned == {"Waiting", "Staff attitude"}
    refused = {r["name"]: r for r in record["refused"]}
    assert refused["Parking"]["needs"] == 2 and "needs 2 more" in refused["Parking"]["reason"]
    db = store.open_review(path)
    row = db.execute("SELECT version, fingerprint, codes, params FROM models").fetchone()
    assert row[0] == record["version"] and len(row[1]) == 64
    codes = json.loads(row[2])
    assert all(0 < c["threshold"] < 1 for c in codes)
    assert json.loads(row[3])["C"] == model.TrainOptions().C
    event = db.execute("SELECT payload FROM events WHERE action = 'train'").fetchone()
    assert json.loads(event[0])["model"] == record["version"]


def test_code_suggests_for_uncoded_units_only_and_records_version(tmp_path, run):
    path = make_review(tmp_path, run)
    run("code", path, "--no-rules", "--no-sentiment")
    db = store.open_review(path)
    got = suggestions(db)
    assert got, "the model suggested nothing"
    assert {r[0][0] for r in got} == {"U"}  # never on units people coded
    version = db.execute("SELECT version FROM models").fetchone()[0]
    assert all(r[2] == "suggested" and r[4] == version and r[5] == "model" and 0 < r[3] <= 1 for r in got)
    # the uncoded answers are written from the same templates: most get their code
    expected = {f"U{25 + k}": list(TEMPLATES)[k % 3] for k in range(6)}
    hits = sum(1 for r in got if expected.get(r[0]) == r[1])
    assert hits >= 4


def test_rerunning_code_is_idempotent_and_keeps_human_decisions(tmp_path, run):
    from rapidreview.coding import queue

    path = make_review(tmp_path, run)
    run("code", path, "--no-rules", "--no-sentiment")
    db = store.open_review(path)
    first = suggestions(db)
    ids = [r[0] for r in db.execute("SELECT id FROM codings WHERE coder = 'model' ORDER BY id")]
    queue.decide(db, ids[0], "accept", actor="alice")
    queue.decide(db, ids[1], "reject", actor="bob")
    accepted = db.execute("SELECT document_id, code_id FROM codings WHERE id = ?", [ids[0]]).fetchone()
    before = db.execute("SELECT count(*) FROM codings WHERE coder = 'model'").fetchone()[0]
    # the human decisions changed the training set: `code` retrains, and must keep both decisions
    result = suggest.code(db, suggest.CodeOptions(rules=False, sentiment=False))
    assert result.trained
    rows = dict(db.execute("SELECT id, status FROM codings WHERE id IN (?, ?)", ids[:2]).fetchall())
    assert rows == {ids[0]: "accepted", ids[1]: "rejected"}
    decided_by = db.execute("SELECT decided_by FROM codings WHERE id = ?", [ids[0]]).fetchone()[0]
    assert decided_by == "alice"
    # the accepted unit is now training data: no new suggestion there
    again = db.execute("SELECT count(*) FROM codings WHERE document_id = ? AND code_id = ? AND status = 'suggested'",
                       accepted).fetchone()[0]
    assert again == 0
    # run once more: nothing changes at all
    result = suggest.code(db, suggest.CodeOptions(rules=False, sentiment=False))
    assert not result.trained
    assert result.counts["model"]["added"] == 0 and result.counts["model"]["withdrawn"] == 0
    assert db.execute("SELECT count(*) FROM codings WHERE coder = 'model'").fetchone()[0] <= before
    assert len(first) >= 2
    actions = [r[0] for r in db.execute("SELECT actor || ':' || action FROM events WHERE action IN ('accept', 'reject')")]
    assert actions == ["alice:accept", "bob:reject"]


def test_code_never_suggests_a_code_a_person_applied_or_removed(tmp_path, run):
    path = make_review(tmp_path, run)
    db = store.open_review(path)
    doc, seg, start, end = db.execute("""SELECT d.id, s.id, s.start, s."end" FROM documents d
                                         JOIN segments s ON s.document_id = d.id WHERE d.external_id LIKE 'U25 %'""").fetchone()
    waiting = db.execute("SELECT id FROM codes WHERE name = 'Waiting'").fetchone()[0]
    staff = db.execute("SELECT id FROM codes WHERE name = 'Staff attitude'").fetchone()[0]
    with store.transaction(db):
        for code_id in (waiting, staff):  # alice codes U25 with both, by hand
            db.execute("""INSERT INTO codings (document_id, segment_id, start, "end", code_id, coder, origin, status,
                          created_at) VALUES (?, ?, ?, ?, ?, 'alice', 'manual', 'accepted', ?)""",
                       [doc, seg, start, end, code_id, store.now()])
    suggest.code(db, suggest.CodeOptions(rules=False, sentiment=False))
    assert db.execute("SELECT count(*) FROM codings WHERE document_id = ? AND coder = 'model'", [doc]).fetchone()[0] == 0
    manual = db.execute("SELECT count(*) FROM codings WHERE document_id = ? AND coder = 'alice'", [doc]).fetchone()[0]
    assert manual == 2


def test_training_is_deterministic(tmp_path, run):
    path = make_review(tmp_path, run)
    db = store.open_review(path)
    a = model.train(db)
    b = model.train(db)
    assert a.fingerprint == b.fingerprint and a.version != b.version
    assert [c.threshold for c in a.codes] == [c.threshold for c in b.codes]
    fitted = model.fit_from_record(db, b)
    units = model.units_to_code(db, b)
    p1 = fitted.probabilities(units)
    p2 = model.fit_from_record(db, b).probabilities(units)
    assert (p1 == p2).all()


def test_fit_from_a_stale_record_is_refused(tmp_path, run):
    path = make_review(tmp_path, run)
    db = store.open_review(path)
    record = model.train(db)
    with store.transaction(db):
        db.execute("DELETE FROM codings WHERE id = (SELECT min(id) FROM codings)")
    with pytest.raises(model.ModelError, match="trained on different codings"):
        model.fit_from_record(db, record)


def test_platt_calibration_matches_logistic_regression():
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    s = rng.normal(size=3000)
    y = (s + rng.normal(size=3000) > 1).astype(int)
    a, b = model._platt(s, y)
    lr = LogisticRegression(C=1e6).fit(s.reshape(-1, 1), y)
    assert a == pytest.approx(-lr.coef_[0, 0], rel=0.03)
    assert b == pytest.approx(-lr.intercept_[0], rel=0.03)


def test_queue_decisions_are_partial_labels(tmp_path, run):
    from rapidreview.coding import queue

    path = make_review(tmp_path, run)
    db = store.open_review(path)
    suggest.code(db, suggest.CodeOptions(rules=False, sentiment=False))
    first, second = queue.queue(db)[:2]
    queue.decide(db, first.id, "accept", actor="alice")
    queue.decide(db, second.id, "reject", actor="alice")
    ts = model.training_set(db)
    column = {c["id"]: j for j, c in enumerate(ts.codes)}
    rows = {(u.document_id, u.segment_id): ts.Y[i] for i, u in enumerate(ts.units)}
    y1 = rows[(first.document_id, first.segment_id)]
    assert y1[column[first.code_id]] == 1
    assert sorted(set(y1.tolist())) == [-1, 1]  # the codes alice did not decide are unknown, not "no"
    y2 = rows[(second.document_id, second.segment_id)]
    assert y2[column[second.code_id]] == 0  # a rejection is a known "no"
    # a unit coded by hand is complete: every other code is a "no"
    imported = next(i for i, u in enumerate(ts.units) if u.external_id.startswith("R1 "))
    assert sorted(set(ts.Y[imported].tolist())) == [0, 1]
    # the partially decided units still get suggestions for the codes nobody decided
    keys = {u.key for u in model.units_to_code(db, model.latest(db))}
    assert (first.document_id, first.segment_id) in keys


def test_nbsvm_weights_score_like_the_svm_on_scaled_features():
    """The NB-SVM is stored as one linear score: X (r * w) must equal the SVM's own
    decision on the NB-scaled features X * r."""
    import numpy as np
    from scipy import sparse
    from sklearn.svm import LinearSVC

    texts = [r[2] for r in fixture_rows(n_per_code=10, uncoded=0)]
    y = np.array([1 if "wait" in t else 0 for t in texts], dtype=np.int8)
    options = model.TrainOptions(min_df=1)
    X = model.Featuriser(options).fit_transform(texts, ["Q"] * len(texts))
    w, b = model._fit_one(X, y, options)
    r = model._log_ratio(X, y, options.nb_alpha)
    svm = LinearSVC(C=options.C, tol=options.tol, random_state=options.seed).fit(X @ sparse.diags(r), y)
    np.testing.assert_allclose(X @ w + b, svm.decision_function(X @ sparse.diags(r)), rtol=1e-4, atol=1e-4)
    assert ((X @ w + b > 0) == (y == 1)).mean() > 0.9  # and it learned the code
    # words of the code's answers weigh for it, the others' against it
    assert (r > 0).any() and (r < 0).any()


def _fitted_with_thresholds(tmp_path, run, fallback, scale):
    """A trained model whose thresholds are set so that no code fires on the first
    uncoded unit, and its best code reaches `scale` of its threshold."""
    import dataclasses

    db = store.open_review(make_review(tmp_path, run))
    record = model.train(db)
    fitted = model.fit_from_record(db, record)
    unit = model.units_to_code(db, record)[0]
    p = fitted.probabilities([unit])[0]
    codes = [dataclasses.replace(c, threshold=float(p.max()) / scale) for c in record.codes]
    record = dataclasses.replace(record, codes=codes, params={**record.params, "fallback": fallback})
    return model.FittedModel(fitted.featuriser, fitted.W, fitted.b, record), unit, record.codes[int(p.argmax())]


@pytest.mark.parametrize("fallback, scale, expected", [(0.6, 0.8, True), (0.6, 0.5, False), (0.0, 0.8, False)])
def test_fallback_suggests_the_nearest_code_only_when_close(tmp_path, run, fallback, scale, expected):
    fitted, unit, best = _fitted_with_thresholds(tmp_path, run, fallback, scale)
    got = [(c.name, p) for _, c, p in model.predict(fitted, [unit])]
    if expected:
        assert [name for name, _ in got] == [best.name]
        assert got[0][1] < best.threshold  # a fallback: below its threshold
    else:
        assert got == []


def test_models_recorded_before_nbsvm_refit_as_plain_svms(tmp_path, run):
    db = store.open_review(make_review(tmp_path, run))
    record = model.train(db)
    legacy = {k: v for k, v in record.params.items() if k not in ("learner", "nb_alpha", "fallback", "tol")}
    options = model.options_of(model.ModelRecord(**{**record.__dict__, "params": legacy}))
    assert options.learner == "svm" and options.fallback == 0
    assert model.options_of(record).learner == "nbsvm" == model.TrainOptions().learner
