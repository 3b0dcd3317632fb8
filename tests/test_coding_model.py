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
    decision on the NB-scaled features X * r. Wang & Manning's interpolation
    w' = (1 - share) w + share mean|w| r works in the same space: its naive Bayes part is
    the log-count ratios times the SVM's mean weight magnitude, and interpolating scores
    is interpolating weights (so what cross-validation chooses is what is fitted)."""
    import numpy as np
    from scipy import sparse
    from sklearn.svm import LinearSVC

    texts = [r[2] for r in fixture_rows(n_per_code=10, uncoded=0)]
    y = np.array([1 if "wait" in t else 0 for t in texts], dtype=np.int8)
    options = model.TrainOptions(min_df=1)
    X = model.Featuriser(options).fit_transform(texts, ["Q"] * len(texts))
    w, b, m = model._fit_one(X, y, options)
    r = model._log_ratio(X, y, options.nb_alpha)
    svm = LinearSVC(C=options.C, tol=options.tol, random_state=options.seed).fit(X @ sparse.diags(r), y)
    np.testing.assert_allclose(X @ w + b, svm.decision_function(X @ sparse.diags(r)), rtol=1e-4, atol=1e-4)
    assert ((X @ w + b > 0) == (y == 1)).mean() > 0.9  # and it learned the code
    # words of the code's answers weigh for it, the others' against it
    assert (r > 0).any() and (r < 0).any()
    np.testing.assert_allclose(m, np.abs(svm.coef_.ravel()).mean() * r, rtol=1e-4, atol=1e-6)
    scores = model._interpolate(X @ w + b, X @ m + b, 0.5)
    np.testing.assert_allclose(scores, X @ (0.5 * w + 0.5 * m) + b, rtol=1e-4, atol=1e-5)
    nb = X @ m  # the naive Bayes direction alone ranks the code's answers first
    assert nb[y == 1].min() > np.median(nb[y == 0])


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
    legacy = {k: v for k, v in legacy.items() if k not in ("attributes", "attribute_weight")}
    options = model.options_of(model.ModelRecord(**{**record.__dict__, "params": legacy}))
    assert options.learner == "svm" and options.fallback == 0
    assert options.attributes is False  # models recorded before attributes were features refit without them
    assert model.options_of(record).learner == "nbsvm" == model.TrainOptions().learner


# ---------------------------------------------------------------- case attributes as features

ATTR_HEADER = ["ID", "Question", "Answer", "Service", "Transport", "Food"]


def attribute_review(tmp_path: Path, run, *, attrs: bool = True) -> Path:
    """Coded answers whose words say nothing about the code: only the Service attribute
    does (patient transport -> Transport, ward -> Food); then two uncoded answers with
    the same words, one from each service."""
    bland = ["it was fine thanks", "all fine really", "nothing to add, it was fine", "fine overall"]
    rows = []
    for i in range(24):
        transport = i % 2 == 0
        service = "Patient transport" if transport else "Ward"
        rows.append([f"R{i}", "Any comments?", f"{bland[(i // 2) % 4]} (ref {i})", service,
                     1 if transport else "", "" if transport else 1])
    new = [["U1", "Any comments?", "it was fine thanks (ref 90)", "Patient transport"],
           ["U2", "Any comments?", "it was fine thanks (ref 91)", "Ward"]]
    path = tmp_path / "review.db"
    args = ["--text", "Answer", "--id", "ID", "--question-col", "Question", *(["--attr", "Service"] if attrs else [])]
    run("import", path, write_csv(tmp_path / "coded.csv", rows, ATTR_HEADER), *args, "--codes", "Transport..", "--silent")
    run("import", path, write_csv(tmp_path / "new.csv", new, ATTR_HEADER[:4]), *args, "--silent")
    return path


def _probabilities_by_answer(db, options):
    record = model.train(db, options)
    fitted = model.fit_from_record(db, record)
    units = model.units_to_code(db, record)
    P = fitted.probabilities(units)
    names = [c.name for c in record.codes]
    return {u.external_id.split(" ")[0]: dict(zip(names, P[i])) for i, u in enumerate(units)}


def test_attributes_decide_the_code_when_the_words_cannot(tmp_path, run):
    db = store.open_review(attribute_review(tmp_path, run))
    p = _probabilities_by_answer(db, model.TrainOptions())
    assert p["U1"]["Transport"] > p["U1"]["Food"] and p["U2"]["Food"] > p["U2"]["Transport"]
    # `code` writes that as suggestions: each answer gets its own service's code
    suggest.code(db, suggest.CodeOptions(rules=False, sentiment=False))
    got = {(r[0], r[1]) for r in suggestions(db)}
    assert ("U1", "Transport") in got and ("U2", "Food") in got
    assert ("U1", "Food") not in got and ("U2", "Transport") not in got
    # without the attributes the two answers look the same to the model
    blind = _probabilities_by_answer(db, model.TrainOptions(attributes=False))
    assert blind["U1"]["Transport"] == pytest.approx(blind["U2"]["Transport"], abs=1e-6)


def test_units_carry_their_documents_attributes(tmp_path, run):
    db = store.open_review(attribute_review(tmp_path, run))
    record = model.train(db)
    units = {u.external_id.split(" ")[0]: u for u in model.units_to_code(db, record)}
    assert units["U1"].attributes == (("Service", "Patient transport"),)
    assert units["U2"].attributes == (("Service", "Ward"),)
    # loaded without asking, a unit has none (rules, queue and agreement never pay for them)
    from rapidreview.coding.units import load_units

    assert all(u.attributes == () for u in load_units(db))


def test_a_review_without_attributes_gets_the_same_model_either_way(tmp_path, run):
    db = store.open_review(attribute_review(tmp_path, run, attrs=False))
    with_option = _probabilities_by_answer(db, model.TrainOptions(attributes=True))
    without = _probabilities_by_answer(db, model.TrainOptions(attributes=False))
    assert with_option.keys() == without.keys() == {"U1", "U2"}
    for key in with_option:
        for code, p in with_option[key].items():
            assert p == without[key][code]


def test_training_with_attributes_is_deterministic_and_fingerprints_them(tmp_path, run):
    db = store.open_review(attribute_review(tmp_path, run))
    a, b = model.train(db), model.train(db)
    assert a.fingerprint == b.fingerprint
    assert [(c.threshold, c.a, c.b) for c in a.codes] == [(c.threshold, c.a, c.b) for c in b.codes]
    units = model.units_to_code(db, b)
    assert (model.fit_from_record(db, a).probabilities(units) == model.fit_from_record(db, b).probabilities(units)).all()
    # a changed attribute is a changed training set: the model must be retrained
    with store.transaction(db):
        db.execute("UPDATE attributes SET value = 'Ambulance' WHERE value = 'Patient transport' AND document_id = "
                   "(SELECT min(document_id) FROM attributes)")
    assert model.training_set(db).fingerprint != a.fingerprint
    with pytest.raises(model.ModelError, match="trained on different codings"):
        model.fit_from_record(db, a)


def test_cross_validation_is_the_same_on_one_process_or_two(tmp_path, run, monkeypatch):
    """Workers slice each fold once and keep it: results must not depend on which
    process fitted which code."""
    import numpy as np

    db = store.open_review(make_review(tmp_path, run, fixture_rows(n_per_code=12)))
    ts = model.training_set(db)
    options = model.TrainOptions(min_df=1)
    X = model._featurise(model.Featuriser(options), ts.units, fit=True)
    monkeypatch.setattr(model, "PARALLEL_MIN_UNITS", 0)
    monkeypatch.setenv("RAPIDREVIEW_JOBS", "1")
    one = model.out_of_fold_scores(X, ts.Y, options)
    monkeypatch.setenv("RAPIDREVIEW_JOBS", "2")
    two = model.out_of_fold_scores(X, ts.Y, options)
    np.testing.assert_array_equal(one, two)
    assert np.abs(one).sum() > 0


def test_the_model_as_a_coder_sees_attributes_too(tmp_path, run):
    """Agreement loads units without attributes; the model, scored as one more coder,
    must still see them on the units it predicts with its full model."""
    from rapidreview.coding.units import load_units

    db = store.open_review(attribute_review(tmp_path, run))
    model.train(db)
    units = load_units(db)
    predicted = model.cross_predictions(db, units)
    names = dict(db.execute("SELECT id, name FROM codes").fetchall())
    by_answer = {u.external_id.split(" ")[0]: {names[c] for c in predicted[u.key]} for u in units}
    assert by_answer["U1"] == {"Transport"} and by_answer["U2"] == {"Food"}


# ---------------------------------------------------------------- interpolation and micro thresholds


def test_a_recorded_interpolation_is_what_the_refit_uses(tmp_path, run):
    import dataclasses

    import numpy as np

    db = store.open_review(make_review(tmp_path, run, fixture_rows(n_per_code=12)))
    record = model.train(db, model.TrainOptions(interpolate_min=1))
    assert {c.interpolation for c in record.codes} <= {0.0, 0.5}
    assert [c.interpolation for c in model.latest(db).codes] == [c.interpolation for c in record.codes]
    units = model.units_to_code(db, record)
    plain = dataclasses.replace(record, codes=[dataclasses.replace(c, interpolation=0.0) for c in record.codes])
    half = dataclasses.replace(record, codes=[dataclasses.replace(c, interpolation=0.5) for c in record.codes])
    ts = model.training_set(db, model.options_of(record))
    _, W0, b0 = model.fit_final(ts, model.options_of(record), plain.codes)
    _, W5, b5 = model.fit_final(ts, model.options_of(record), half.codes)
    assert (b0 == b5).all() and not np.allclose(W0, W5)
    fitted = model.fit_from_record(db, record)
    expected = [W5[:, j] if c.interpolation else W0[:, j] for j, c in enumerate(record.codes)]
    np.testing.assert_allclose(fitted.W, np.column_stack(expected), rtol=1e-6)
    assert fitted.probabilities(units).shape == (len(units), len(record.codes))


def test_favouring_micro_f1_raises_a_weak_codes_threshold():
    """A code weaker than the others, judged on the F1 of all codes together, keeps only
    its surer suggestions (the optimal threshold on a calibrated probability is half the
    F1 it serves); with no other codes it is its own best threshold."""
    import numpy as np

    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.3).astype(np.int8)
    p = np.clip(np.where(y == 1, rng.normal(0.45, 0.2, 400), rng.normal(0.25, 0.15, 400)), 0, 1)
    own = model._best_threshold(p, y)
    alone = model._best_threshold(p, y, (0, 0, 0))
    assert own == alone
    strong = model._best_threshold(p, y, (5000, 300, 300))  # the other codes: F1 0.94
    assert strong[0] > own[0]
    fired = p >= strong[0]
    tp = int((fired & (y == 1)).sum())
    assert strong[1] == pytest.approx(2 * tp / (fired.sum() + y.sum()))  # the code's own F1 at that threshold
    assert strong[1] <= own[1]


def test_micro_thresholds_raise_a_weak_frequent_codes_threshold_for_micro_f1(tmp_path, run):
    import numpy as np

    rows = fixture_rows(n_per_code=16, uncoded=0)
    rng = np.random.default_rng(5)
    for r in rows:  # Parking also on ~30% of answers at random: a weak code among strong ones
        if rng.random() < 0.3:
            r[5] = 1
    db = store.open_review(make_review(tmp_path, run, rows))
    ts = model.training_set(db)
    Y = np.maximum(ts.Y, 0)
    got = {}
    for micro_min in (0, 10, 10_000):
        stats, preds = model._cross_validated(ts, model.TrainOptions(micro_min=micro_min))
        got[micro_min] = ({c.name: c.threshold for c in stats}, model._cv_scores(Y, preds, 4))
    assert got[10_000] == got[0]  # no code frequent enough: unchanged
    assert got[10][0]["Parking"] > got[0][0]["Parking"]  # fewer, surer suggestions of the weak code
    assert got[10][1]["micro_f1"] > got[0][1]["micro_f1"]  # for the F1 of all codes together
