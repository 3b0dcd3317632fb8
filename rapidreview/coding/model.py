"""Model coding: learn the researcher's own codes from their accepted codings.

Multi-label, one linear NB-SVM per code (an SVM over features scaled by their naive
Bayes log-count ratio for the code) over TF-IDF word and character n-grams plus the
question the answer replies to and the case's attributes (service, rating: what a
coder sees beside the answer, for new answers as for coded ones). Each code gets a
calibrated confidence (Platt scaling of out-of-fold scores) and its own threshold, the
one that maximised F1 across the folds (for frequent codes, the F1 of all codes'
suggestions together), and, for frequent codes, Wang & Manning's interpolation towards
the naive Bayes weights where that scored better across the folds. Codes in an
exclusive group (sentiment) get exactly one suggestion per unit.

Nothing is pickled: `train` records its parameters, the training-set fingerprint and
the per-code thresholds and calibration in the `models` table, and `fit_from_record`
refits the same (seeded, deterministic) learner from the same training set when it is
needed. Training takes seconds, so that is cheaper and safer than storing weights.

    record = train(db)                     # -> ModelRecord (a row in `models`)
    for unit, code_id, p in predict(db, record, units): ...
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np
import sqlite_utils
from scipy import sparse

from .. import store
from ..errors import RapidReviewError
from . import workers
from .units import Unit, codes_unanswered_documents, human_decisions, load_units, with_attributes

MIN_EXAMPLES = 5  # positives a code needs before the model learns it
EXCLUSIVE_GROUPS = ("sentiment",)
MIN_THRESHOLD = 0.1  # lowest calibrated confidence a suggestion may have
MIN_CV_F1 = 0.05  # a code the model learns worse than this (cross-validated) is not suggested


class ModelError(RapidReviewError):
    """Nothing to learn from, or no model yet."""


@dataclass
class TrainOptions:
    min_examples: int = MIN_EXAMPLES
    folds: int = 4
    C: float = 0.25
    word_ngrams: tuple = (1, 2)
    char_ngrams: tuple = (4, 4)  # (3, 4) and (3, 5) scored the same on grouped CV and fit 25-100% slower
    min_df: int = 2
    question: bool = True  # the question answered is a feature: "What was good?" matters
    attributes: bool = True  # so are the case's attributes (service, rating): one feature per name=value
    attribute_weight: float = 0.2  # grouped CV: 0.1-0.3 best; 1 (as strong as the text) overfits them
    seed: int = 0
    learner: str = "nbsvm"  # or "svm": the plain linear SVM of models trained before NB weighting
    nb_alpha: float = 0.5  # smoothing of the naive Bayes log-count ratios
    fallback: float = 0.6  # see predict(): 0 turns it off
    tol: float = 1e-2  # liblinear's stopping tolerance: 1e-4 scored the same on grouped CV, fitting 20% slower
    # Wang & Manning's interpolation, chosen per code by the same cross-validation: the
    # share of each NB-SVM weight moved to the mean weight magnitude (the naive Bayes
    # direction). Only codes with `interpolate_min` positives choose: below that the F1
    # across the folds is too noisy to choose on and macro-F1 pays for it.
    interpolations: tuple = (0.5,)  # grouped CV: (0.5,) +0.003 micro; (0.25, 0.5) and (0.5, 0.75) cost macro
    interpolate_min: int = 40
    # Codes with this many positives get the threshold that maximises the F1 over all
    # codes' suggestions together (micro-F1) rather than their own F1: a frequent code's
    # errors weigh most in the whole. Rarer codes keep their own best threshold, or
    # macro-F1 pays (grouped CV: 80 gave +0.003 micro / -0.001 macro; 40-50 cost 0.005 macro).
    micro_min: int = 80
    codes: list[int] | None = None  # restrict to these code ids

    def params(self) -> dict:
        return asdict(self)


@dataclass
class CodeStats:
    id: int
    name: str
    positives: int
    threshold: float  # on the calibrated probability
    a: float  # Platt scaling: p = 1 / (1 + exp(a * score + b))
    b: float
    cv_f1: float
    cv_precision: float
    cv_recall: float
    group: str | None = None
    interpolation: float = 0.0  # see TrainOptions.interpolations


@dataclass
class ModelRecord:
    version: str
    fingerprint: str
    params: dict
    codes: list[CodeStats]
    refused: list[dict]
    scores: dict
    n_units: int
    fit_seconds: float
    created_at: str = ""
    id: int | None = None
    messages: list[str] = field(default_factory=list)


@dataclass
class TrainingSet:
    units: list[Unit]
    Y: np.ndarray  # units x codes, 0/1
    codes: list[dict]  # id, name, group, positives
    refused: list[dict]
    fingerprint: str
    unanswered: bool


# ---------------------------------------------------------------- training set


def training_set(db: sqlite_utils.Database, options: TrainOptions | None = None) -> TrainingSet:
    """The units people coded, their codes, and which codes have enough examples."""
    options = options or TrainOptions()
    labels = human_decisions(db, options.codes)
    if not any(v.positive for v in labels.values()):
        raise ModelError("training with no human codings: there is nothing to learn from. Code some segments "
                         "(`rapidreview review`, manual coding) or import existing codes with `--codes`, then train.")
    unanswered = codes_unanswered_documents(db)
    docs = {doc for doc, _ in labels}
    units = [u for u in load_units(db, unanswered=unanswered, document_ids=docs, attributes=options.attributes)
             if u.key in labels]
    counts: dict[int, int] = {}
    for u in units:
        for c in labels[u.key].positive:
            counts[c] = counts.get(c, 0) + 1
    info = _code_info(db, list(counts))
    codes, refused = [], []
    for code_id in sorted(counts, key=lambda c: (info[c]["name"].casefold(), c)):
        n = counts[code_id]
        entry = {"id": code_id, "name": info[code_id]["name"], "group": info[code_id]["group"], "positives": n}
        if n >= options.min_examples and n < len(units):
            codes.append(entry)
        else:
            need = max(options.min_examples - n, 0)
            entry["needs"] = need
            entry["reason"] = (f"{n} example{'s' if n != 1 else ''}; needs {need} more" if need
                               else "applies to every coded unit: code some units without it")
            refused.append(entry)
    if not codes:
        shown = ", ".join(f"{r['name']!r} ({r['reason']})" for r in refused[:10])
        raise ModelError(f"no code has the {options.min_examples} examples the model needs to learn it: {shown}.")
    index = {c["id"]: j for j, c in enumerate(codes)}
    Y = np.zeros((len(units), len(codes)), dtype=np.int8)
    for i, u in enumerate(units):
        decided = labels[u.key]
        if not decided.complete:
            Y[i, :] = -1  # only the suggestions decided here are known
            for c in decided.negative:
                if c in index:
                    Y[i, index[c]] = 0
        for c in decided.positive:
            if c in index:
                Y[i, index[c]] = 1
    _mark_unknown(Y, codes)
    return TrainingSet(units, Y, codes, refused, _fingerprint(units, Y, codes, options), unanswered)


def _mark_unknown(Y: np.ndarray, codes: list[dict]) -> None:
    """In an exclusive group (sentiment) a unit with none of the group's codes was not
    judged for that group: mark it -1 (unknown), not a negative for every code."""
    groups: dict[str, list[int]] = {}
    for j, c in enumerate(codes):
        if c["group"] in EXCLUSIVE_GROUPS:
            groups.setdefault(c["group"], []).append(j)
    for cols in groups.values():
        unjudged = Y[:, cols].max(axis=1) == 0
        for j in cols:
            Y[unjudged, j] = -1


def _code_info(db, code_ids) -> dict[int, dict]:
    if not code_ids:
        return {}
    group = "group_name" if "group_name" in db["codes"].columns_dict else "NULL"
    rows = db.execute(f"SELECT id, name, {group} FROM codes WHERE id IN ({','.join('?' * len(code_ids))})",
                      list(code_ids))
    return {r[0]: {"name": r[1], "group": (r[2] or None) and str(r[2]).casefold()} for r in rows}


def _fingerprint(units, Y, codes, options: TrainOptions) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(options.params(), sort_keys=True).encode())
    h.update(json.dumps([c["id"] for c in codes]).encode())
    for u, y in zip(units, Y):
        h.update(f"{u.document_id}:{u.segment_id}:{u.question}\x00{u.text}\x00{u.attributes}\x00".encode())
        h.update(y.tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------- learner


def _norm(q: str | None) -> str:
    return re.sub(r"\s+", " ", q or "").strip().casefold()


@functools.lru_cache(maxsize=4096)  # a review repeats the same few services and ratings on every answer
def _attribute_tokens(pairs: tuple) -> tuple[str, ...]:
    return tuple(f"{_norm(name)}={_norm(value)}" for name, value in pairs or ())


def _one_hot(tokens_per_row, index: dict, weight: float = 1.0):
    """Rows x len(index) indicator matrix of the tokens each row has."""
    rows, cols = [], []
    for i, tokens in enumerate(tokens_per_row):
        for t in tokens:
            j = index.get(t)
            if j is not None:
                rows.append(i)
                cols.append(j)
    return sparse.csr_matrix((np.full(len(rows), weight), (rows, cols)), shape=(len(tokens_per_row), len(index)))


class Featuriser:
    """TF-IDF word and character n-grams, a one-hot of the question answered, and one of
    the case's attribute values (a value seen on fewer than `min_df` units is left out)."""

    def __init__(self, options: TrainOptions):
        self.options = options

    def fit_transform(self, texts, questions, attributes=None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        o = self.options
        self.word_ = TfidfVectorizer(ngram_range=tuple(o.word_ngrams), min_df=o.min_df, sublinear_tf=True)
        self.char_ = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(o.char_ngrams), min_df=o.min_df,
                                     sublinear_tf=True)
        self.questions_ = sorted({_norm(q) for q in questions}) if o.question else []
        self.attributes_ = self._attribute_vocabulary(attributes) if o.attributes else []
        parts = [self.word_.fit_transform(texts), self.char_.fit_transform(texts)]
        return self._stack(parts, questions, attributes)

    def transform(self, texts, questions, attributes=None):
        return self._stack([self.word_.transform(texts), self.char_.transform(texts)], questions, attributes)

    def _attribute_vocabulary(self, attributes) -> list[str]:
        counts: dict[str, int] = {}
        for pairs in attributes or ():
            for t in set(_attribute_tokens(pairs)):
                counts[t] = counts.get(t, 0) + 1
        return sorted(t for t, n in counts.items() if n >= self.options.min_df)

    def _stack(self, parts, questions, attributes):
        if self.questions_:
            index = {q: j for j, q in enumerate(self.questions_)}
            parts.append(_one_hot([[_norm(q)] for q in questions], index))
        if self.attributes_:
            index = {t: j for j, t in enumerate(self.attributes_)}
            tokens = [_attribute_tokens(pairs) for pairs in (attributes or [()] * len(questions))]
            parts.append(_one_hot(tokens, index, self.options.attribute_weight))
        return sparse.hstack(parts, format="csr")


def _featurise(featuriser: Featuriser, units: list[Unit], fit: bool = False):
    texts, questions, attributes = [u.text for u in units], [u.question for u in units], [u.attributes for u in units]
    if fit:
        return featuriser.fit_transform(texts, questions, attributes)
    return featuriser.transform(texts, questions, attributes)


def _svm(options: TrainOptions):
    from sklearn.svm import LinearSVC

    # liblinear's dual solver (3x faster than the primal one here) draws its coordinate
    # order from a process-global RNG seeded by random_state: fit codes one at a time,
    # never on threads side by side, or the results would depend on scheduling.
    return LinearSVC(C=options.C, tol=options.tol, random_state=options.seed)


def _fit_one(X, y, options: TrainOptions):
    """(coef, intercept, naive Bayes coef) of one code's SVM, on the units where the
    label is known. Interpolating coef towards the naive Bayes coef is `_interpolate`."""
    known = y >= 0
    if not known.all():
        X, y = X[known], y[known]
    zeros = np.zeros(X.shape[1], dtype=np.float32)
    if len(y) == 0 or y.min() == y.max():  # no positives (or no negatives): never fires
        return zeros, -1.0, zeros
    if options.learner == "nbsvm":
        # NB-SVM (Wang & Manning 2012): the SVM learns on features scaled by how much
        # more often they occur with the code than without it. Scaling the features is
        # scaling the weights, so the model stays one linear score: (X * r) w = X (r * w).
        r = _log_ratio(X, y, options.nb_alpha)
        clf = _svm(options).fit(_scale_columns(X, r), y)
        w = clf.coef_.ravel()
        # Their interpolation w' = (1 - beta) mean|w| + beta w, in the same scaled space:
        # the naive Bayes part is r times the mean weight magnitude.
        return (w * r).astype(np.float32), float(clf.intercept_[0]), (np.abs(w).mean() * r).astype(np.float32)
    clf = _svm(options).fit(X, y)
    return clf.coef_.ravel().astype(np.float32), float(clf.intercept_[0]), zeros


def _interpolate(score, nb_score, share: float):
    """A score with `share` of its weights moved to the naive Bayes part (linear in the
    weights, so the same whether applied to weights or to scores)."""
    return score if not share else (1 - share) * score + share * nb_score


def _scale_columns(X, r: np.ndarray):
    """X @ diag(r), sharing X's index arrays: a third of the cost of the sparse product."""
    return sparse.csr_matrix((X.data * r[X.indices], X.indices, X.indptr), shape=X.shape)


def _log_ratio(X, y, alpha: float) -> np.ndarray:
    """Naive Bayes log-count ratio of every feature, code present against absent."""
    counts = X.T @ np.column_stack([y == 1, y == 0]).astype(np.float64) + alpha  # one pass over X
    pos, neg = counts[:, 0], counts[:, 1]
    return np.log((pos / pos.sum()) / (neg / neg.sum()))


# Work shared with forked workers (inherited, never pickled): X, Y, folds, options.
_SHARED: dict = {}
PARALLEL_MIN_UNITS = 1500  # below this, starting workers costs more than it saves


def _task(task):
    fold, j = task
    X, Y, options = _SHARED["X"], _SHARED["Y"], _SHARED["options"]
    if fold is None:
        return _fit_one(X, Y[:, j], options)
    train, X_train, X_val = _fold_matrices(fold)
    w, b, m = _fit_one(X_train, Y[train, j], options)
    return np.column_stack([X_val @ w + b, X_val @ m + b]).astype(np.float32)


def _fold_matrices(fold: int):
    """(training rows, their matrix, the held-out matrix) of a fold, sliced once per
    process rather than once per code."""
    cache = _SHARED.setdefault("fold_cache", {})
    if fold not in cache:
        X, val = _SHARED["X"], _SHARED["folds"][fold]
        mask = np.ones(X.shape[0], bool)
        mask[val] = False
        train = np.flatnonzero(mask)
        cache.clear()  # tasks come fold by fold: keep one fold's matrices, not all of them
        cache[fold] = (train, X[train], X[val])
    return cache[fold]


def _run_tasks(tasks, X, Y, options, folds=None):
    """Fit codes one after another, or on forked worker processes: each process has its
    own liblinear RNG, seeded per fit, so the results are the same either way."""
    _SHARED.update(X=X, Y=Y, options=options, folds=folds)
    try:
        jobs = workers.count(X.shape[0], PARALLEL_MIN_UNITS)
        return workers.fork_map(_task, tasks, jobs, chunksize=max(1, len(tasks) // (4 * jobs)))
    finally:
        _SHARED.clear()


def _fit_columns(X, Y, options: TrainOptions, shares=None):
    """One linear SVM per column of Y, each interpolated by its share (default none):
    (coef matrix, intercepts)."""
    fitted = _run_tasks([(None, j) for j in range(Y.shape[1])], X, Y, options)
    shares = shares if shares is not None else [0.0] * Y.shape[1]
    W = np.vstack([_interpolate(w, m, s) for (w, _, m), s in zip(fitted, shares)]).T
    b = np.array([b for _, b, _ in fitted], dtype=np.float32)
    return W, b


def _folds(n: int, k: int, seed: int):
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    return [np.sort(order[i::k]) for i in range(k)]


def out_of_fold_scores(X, Y, options: TrainOptions) -> np.ndarray:
    """Decision scores for every unit from a model that did not see it: units x codes x
    (SVM score, naive Bayes score), for `_interpolate`."""
    folds = _folds(X.shape[0], options.folds, options.seed)
    tasks = [(f, j) for f in range(len(folds)) for j in range(Y.shape[1])]
    results = _run_tasks(tasks, X, Y, options, folds)
    scores = np.zeros((*Y.shape, 2), dtype=np.float32)
    for (f, j), cols in zip(tasks, results):
        scores[folds[f], j] = cols
    return scores


def _platt(score: np.ndarray, y: np.ndarray, iterations: int = 100) -> tuple[float, float]:
    """Platt scaling (p = 1 / (1 + exp(a * score + b))) by Newton's method with a
    backtracking line search, with Platt's smoothed targets (so a code seen a handful
    of times never gets a confidence of exactly 0 or 1)."""
    s = score.astype(np.float64)
    pos = float(y.sum())
    t = np.where(y == 1, (pos + 1) / (pos + 2), 1 / (len(y) - pos + 2))

    def loss(a, b):
        z = a * s + b  # log-odds of the negative class
        return float(np.sum(np.logaddexp(0, z) - (1 - t) * z))

    a, b = 0.0, float(np.log((len(y) - pos + 1) / (pos + 1)))
    current = loss(a, b)
    for _ in range(iterations):
        p = _prob(s, a, b)
        d = t - p  # gradient of the loss with respect to z is (1 - t) - (1 - p)
        g1, g2 = float((d * s).sum()), float(d.sum())
        w = p * (1 - p) + 1e-12
        h11, h12, h22 = float((w * s * s).sum()) + 1e-6, float((w * s).sum()), float(w.sum()) + 1e-6
        det = h11 * h22 - h12 * h12
        da, db = (h22 * g1 - h12 * g2) / det, (h11 * g2 - h12 * g1) / det
        step = 1.0
        while step > 1e-8:
            trial = loss(a - step * da, b - step * db)
            if trial <= current:
                break
            step /= 2
        else:
            break
        a, b = a - step * da, b - step * db
        if current - trial < 1e-10:
            current = trial
            break
        current = trial
    return float(a), float(b)


def _prob(score, a: float, b: float):
    return 1.0 / (1.0 + np.exp(np.clip(a * score + b, -50, 50)))


def _best_threshold(p: np.ndarray, y: np.ndarray, others=(0, 0, 0)) -> tuple[float, float, float, float]:
    """The probability threshold with the best F1 on out-of-fold predictions, the
    code's own or (given the other codes' true positives, false positives and false
    negatives) that of all codes together: (threshold, f1, precision, recall) of the
    code. Midway between neighbouring scores."""
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(1 - ys)
    pos = ys.sum()
    o_tp, o_fp, o_fn = others
    objective = 2 * (tp + o_tp) / (2 * (tp + o_tp) + fp + o_fp + (pos - tp) + o_fn)
    # Never below MIN_THRESHOLD: a code the model cannot separate would otherwise get a
    # threshold near 0 and fire on everything.
    objective = np.where(ps >= MIN_THRESHOLD, objective, -1.0)
    i = int(np.argmax(objective))
    if objective[i] < 0:
        return 1.0, 0.0, 0.0, 0.0
    nxt = ps[i + 1] if i + 1 < len(ps) else 0.0
    threshold = float((ps[i] + nxt) / 2)
    precision = tp[i] / (tp[i] + fp[i])
    return threshold, float(2 * tp[i] / (tp[i] + fp[i] + pos)), float(precision), float(tp[i] / pos)


@dataclass
class FittedModel:
    featuriser: Featuriser
    W: np.ndarray
    b: np.ndarray
    record: ModelRecord

    def probabilities(self, units: list[Unit]) -> np.ndarray:
        S = _featurise(self.featuriser, units) @ self.W + self.b
        a = np.array([c.a for c in self.record.codes])
        b = np.array([c.b for c in self.record.codes])
        return _prob(S, a, b)


def fit_final(ts: TrainingSet, options: TrainOptions, stats: list[CodeStats]):
    """The model on the whole training set for the codes in `stats`, each interpolated
    as its cross-validation chose: (featuriser, coef matrix, intercepts)."""
    featuriser = Featuriser(options)
    X = _featurise(featuriser, ts.units, fit=True)
    by_id = {c["id"]: j for j, c in enumerate(ts.codes)}
    cols = [by_id[c.id] for c in stats]
    W, b = _fit_columns(X, ts.Y[:, cols], options, [c.interpolation for c in stats])
    return featuriser, W, b


def _cross_validated(ts: TrainingSet, options: TrainOptions):
    """Per-code interpolation, calibration and thresholds from out-of-fold scores, and
    the out-of-fold predictions they give: (stats, predictions)."""
    oof = out_of_fold_scores(_featurise(Featuriser(options), ts.units, fit=True), ts.Y, options)
    stats, preds, probs = [], np.zeros(ts.Y.shape, dtype=np.int8), []
    for j, c in enumerate(ts.codes):
        known = ts.Y[:, j] >= 0
        y = ts.Y[known, j]
        shares = options.interpolations if c["positives"] >= options.interpolate_min else ()
        best = None
        for share in (0.0, *(s for s in shares if s)):
            score = _interpolate(oof[:, j, 0], oof[:, j, 1], share)
            a, b = _platt(score[known], y)
            p = _prob(score, a, b)
            threshold, f1, precision, recall = _best_threshold(p[known], y)
            if best is None or f1 > best[5]:  # a tie keeps the plain NB-SVM
                best = (share, a, b, p, threshold, f1, precision, recall)
        share, a, b, p, threshold, f1, precision, recall = best
        preds[:, j] = (p >= threshold) & known
        stats.append(CodeStats(c["id"], c["name"], c["positives"], round(threshold, 6), a, b, round(f1, 4),
                               round(precision, 4), round(recall, 4), c["group"], float(share)))
        probs.append(p)
    if options.micro_min:
        _favour_micro(ts, options, stats, preds, probs)
    return stats, preds


def _favour_micro(ts: TrainingSet, options: TrainOptions, stats: list[CodeStats], preds, probs) -> None:
    """Re-threshold the frequent codes, one after another, for the F1 of all codes'
    out-of-fold suggestions together (exclusive groups aside: predict() picks one of
    them whatever the thresholds). Updates `stats` and `preds` in place."""
    cols = [j for j, c in enumerate(ts.codes) if c["group"] not in EXCLUSIVE_GROUPS]
    known = ts.Y >= 0
    counts = {j: _confusion(preds[known[:, j], j], ts.Y[known[:, j], j]) for j in cols}
    total = np.sum(list(counts.values()), axis=0)
    for j in cols:
        if ts.codes[j]["positives"] < options.micro_min:
            continue
        y = ts.Y[known[:, j], j]
        threshold, f1, precision, recall = _best_threshold(probs[j][known[:, j]], y, total - counts[j])
        stats[j] = replace(stats[j], threshold=round(threshold, 6), cv_f1=round(f1, 4),
                           cv_precision=round(precision, 4), cv_recall=round(recall, 4))
        preds[:, j] = (probs[j] >= threshold) & known[:, j]
        new = _confusion(preds[known[:, j], j], y)
        total, counts[j] = total - counts[j] + new, new


def _confusion(pred, y) -> np.ndarray:
    """(true positives, false positives, false negatives)."""
    pred, y = pred == 1, y == 1
    return np.array([(pred & y).sum(), (pred & ~y).sum(), (~pred & y).sum()])


def train(db: sqlite_utils.Database, options: TrainOptions | None = None, *, actor: str | None = None,
          ts: TrainingSet | None = None) -> ModelRecord:
    """Learn every code with enough examples (from `ts` when the caller read it already);
    record the model; log the event."""
    from . import sentiment

    options = options or TrainOptions()
    # scikit-learn takes a second to import in a fresh process: import it before the clock
    # starts, so fit_seconds measures the fitting (as the peer's timing does), not Python.
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.svm  # noqa: F401

    t0 = time.perf_counter()
    sentiment.group_codes(db, create=False) or sentiment.adopt(db)
    ts = ts or training_set(db, options)
    stats, refused, preds = learn(ts, options)
    fit_seconds = time.perf_counter() - t0
    record = ModelRecord(
        version="", fingerprint=ts.fingerprint, params=options.params(), codes=stats, refused=refused,
        scores=_cv_scores(np.maximum(ts.Y, 0), preds, options.folds), n_units=len(ts.units), fit_seconds=round(fit_seconds, 3))
    record.messages = [f"not learned: {r['name']!r}: {r['reason']}" for r in refused]
    _save(db, record, actor)
    return record


def learn(ts: TrainingSet, options: TrainOptions) -> tuple[list[CodeStats], list[dict], np.ndarray]:
    """Calibration and thresholds for every code worth suggesting (no database):
    (code stats, refused codes, out-of-fold predictions)."""
    stats, preds = _cross_validated(ts, options)
    weak = [c for c in stats if c.cv_f1 < MIN_CV_F1 and c.group not in EXCLUSIVE_GROUPS]
    refused = ts.refused + [{"id": c.id, "name": c.name, "group": c.group, "positives": c.positives,
                             "needs": max(options.min_examples, c.positives),  # a rough guide: twice as many
                             "reason": f"cross-validated F1 only {c.cv_f1:.2f} from {c.positives} examples: "
                                       f"code about {max(options.min_examples, c.positives)} more to learn it"}
                            for c in weak]
    for j, c in enumerate(stats):
        if c in weak:
            preds[:, j] = 0  # not suggested, so not scored as suggested
    return [c for c in stats if c not in weak], refused, preds


def cross_predictions(db: sqlite_utils.Database, units: list[Unit]) -> dict[tuple, set[int]]:
    """The model as a coder, for agreement: for units people coded, predictions from
    models that never saw them (out of fold); for the others, from the full model."""
    record = latest(db)
    options = options_of(record) if record else TrainOptions()
    ts = training_set(db, options)
    stats, preds = _cross_validated(ts, options)
    out = {u.key: {ts.codes[j]["id"] for j in np.flatnonzero(preds[i])} for i, u in enumerate(ts.units)}
    rest = [u for u in units if u.key not in out]
    if rest:
        rest = with_attributes(db, rest) if options.attributes else rest
        featuriser, W, b = fit_final(ts, options, stats)
        record = ModelRecord("cv", ts.fingerprint, options.params(), stats, ts.refused, {}, len(ts.units), 0.0)
        fitted = FittedModel(featuriser, W, b, record)
        for unit, c, _ in predict(fitted, rest):
            out.setdefault(unit.key, set()).add(c.id)
        for u in rest:
            out.setdefault(u.key, set())
    return out


def _cv_scores(Y, P, folds: int) -> dict:
    from sklearn.metrics import f1_score

    return {"micro_f1": round(float(f1_score(Y, P, average="micro", zero_division=0)), 4),
            "macro_f1": round(float(f1_score(Y, P, average="macro", zero_division=0)), 4),
            "folds": folds}


def _save(db, record: ModelRecord, actor) -> None:
    import sklearn

    with store.transaction(db):
        n = db.execute("SELECT count(*) FROM models").fetchone()[0] + 1
        record.version = f"m{n}-{record.fingerprint[:8]}"
        record.created_at = store.now()
        versions = {"scikit-learn": sklearn.__version__, "numpy": np.__version__}
        record.id = db.execute(
            """INSERT INTO models (version, created_at, fingerprint, params, codes, refused, scores, versions,
               n_units, fit_seconds, trained_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [record.version, record.created_at, record.fingerprint, json.dumps(record.params),
             json.dumps([asdict(c) for c in record.codes], ensure_ascii=False),
             json.dumps(record.refused, ensure_ascii=False), json.dumps(record.scores), json.dumps(versions),
             record.n_units, record.fit_seconds, actor or store.default_actor()]).lastrowid
        store.log_event(db, "train", {"model": record.version, "fingerprint": record.fingerprint,
                                      "codes": len(record.codes), "refused": len(record.refused),
                                      "units": record.n_units, **record.scores}, actor)


# ---------------------------------------------------------------- using a model


def latest(db: sqlite_utils.Database) -> ModelRecord | None:
    row = db.execute("""SELECT id, version, fingerprint, params, codes, refused, scores, n_units, fit_seconds,
                        created_at FROM models ORDER BY id DESC LIMIT 1""").fetchone()
    if row is None:
        return None
    return ModelRecord(
        id=row[0], version=row[1], fingerprint=row[2], params=json.loads(row[3]),
        codes=[CodeStats(**c) for c in json.loads(row[4])], refused=json.loads(row[5]),
        scores=json.loads(row[6]), n_units=row[7], fit_seconds=row[8], created_at=row[9])


# Models recorded before these options existed were plain SVMs with no fallback.
LEGACY_PARAMS = {"learner": "svm", "fallback": 0.0, "nb_alpha": 0.5, "tol": 1e-4, "attributes": False,
                 "interpolations": ()}


def options_of(record: ModelRecord) -> TrainOptions:
    # Parameters a later or earlier version no longer knows are dropped, not fatal: the
    # fingerprint still tells whether the model must be refitted.
    known = {f.name for f in fields(TrainOptions)}
    params = {k: v for k, v in {**LEGACY_PARAMS, **record.params}.items() if k in known}
    params["word_ngrams"] = tuple(params["word_ngrams"])
    params["char_ngrams"] = tuple(params["char_ngrams"])
    params["interpolations"] = tuple(params["interpolations"])
    return TrainOptions(**params)


def current(db: sqlite_utils.Database, *, actor: str | None = None, retrain: bool = True) -> tuple[ModelRecord, bool]:
    """The model for the current human codings: the latest one if its training set is
    unchanged, else a new one (when `retrain`). Returns (record, trained_now)."""
    record = latest(db)
    options = options_of(record) if record else TrainOptions()
    if record is not None:
        try:
            ts = training_set(db, options)
        except ModelError:
            ts = None
        if ts is not None and ts.fingerprint == record.fingerprint:
            return record, False
    if not retrain:
        raise ModelError("the coded data has changed since the model was trained: run `rapidreview train` first.")
    return train(db, options, actor=actor), True


def current_fitted(db: sqlite_utils.Database, *, actor: str | None = None) -> tuple[FittedModel, bool]:
    """The current model, trained if the codings changed, and fitted from the same read of
    the training set: decisions people make meanwhile wait for the next retrain instead of
    failing this one (the background retrainer). Returns (fitted, trained_now)."""
    record = latest(db)
    options = options_of(record) if record else TrainOptions()
    ts = training_set(db, options)
    trained = record is None or ts.fingerprint != record.fingerprint
    if trained:
        record = train(db, options, actor=actor, ts=ts)
    return _fitted(ts, record), trained


def fit_from_record(db: sqlite_utils.Database, record: ModelRecord) -> FittedModel:
    """Refit the recorded model from its training set (deterministic), checking that
    the training set is still the one the record was trained on."""
    ts = training_set(db, options_of(record))
    if ts.fingerprint != record.fingerprint:
        raise ModelError(f"model {record.version} was trained on different codings: run `rapidreview train` again.")
    return _fitted(ts, record)


def _fitted(ts: TrainingSet, record: ModelRecord) -> FittedModel:
    return FittedModel(*fit_final(ts, options_of(record), record.codes), record)


def predict(fitted: FittedModel, units: list[Unit], *, batch: int = 5000):
    """Yield (unit, code stats, probability) for every suggestion the model makes.
    Exclusive groups (sentiment) give the single most likely code of the group.

    Fallback: a unit where no other code passes its threshold gets the code closest
    to its threshold, when its confidence is at least `fallback` times that threshold.
    People code nearly every answer they read; a nearly-confident guess to accept or
    reject helps them more than nothing (0.6 chosen on respondent-grouped CV)."""
    codes = fitted.record.codes
    groups: dict[str, list[int]] = {}
    for j, c in enumerate(codes):
        if c.group in EXCLUSIVE_GROUPS:
            groups.setdefault(c.group, []).append(j)
    exclusive = {j for js in groups.values() if len(js) > 1 for j in js}
    thresholds = np.array([c.threshold for c in codes])
    fallback = float({**LEGACY_PARAMS, **fitted.record.params}["fallback"])
    others = np.array([j not in exclusive for j in range(len(codes))], bool)
    for i in range(0, len(units), batch):
        chunk = units[i:i + batch]
        P = fitted.probabilities(chunk)
        for r, unit in enumerate(chunk):
            p = P[r]
            fired = [j for j in np.flatnonzero(p >= thresholds) if j not in exclusive]
            if not fired and fallback and others.any():
                ratio = np.where(others, p / thresholds, -1.0)
                j = int(np.argmax(ratio))
                if ratio[j] >= fallback:
                    fired = [j]
            for j in fired:
                yield unit, codes[j], float(p[j])
            for js in groups.values():
                if len(js) > 1:
                    j = max(js, key=lambda k: p[k])
                    yield unit, codes[j], float(p[j])


def units_to_code(db: sqlite_utils.Database, record: ModelRecord) -> list[Unit]:
    """The units the model suggests for: every unit people have not coded."""
    complete = {k for k, v in human_decisions(db).items() if v.complete}
    unanswered = codes_unanswered_documents(db)
    # Units people decided only some suggestions on still get suggestions for the rest
    # (write_suggestions skips the codes they decided).
    return [u for u in load_units(db, unanswered=unanswered, attributes=options_of(record).attributes)
            if u.key not in complete]
