"""Spherical k-means with a seeded consensus, and choosing k by a stated criterion.

Short feedback comments sit on the unit sphere after LSA; cosine k-means (centroids
re-normalised) suits them better than Euclidean k-means, and every point is assigned to
its nearest centroid, so there is no "outlier" topic. Stability: k-means depends on its
start, so we run it `n_runs` times and keep the run that agrees best (mean adjusted Rand
index) with all the others, the medoid partition, then polish it on all the data.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize
from sklearn.utils import check_array, check_random_state
from threadpoolctl import threadpool_limits

SEED_MAX = np.iinfo(np.int32).max
SILHOUETTE_TIE = 0.01


class SphericalKMeans(ClusterMixin, BaseEstimator):
    """Cosine k-means (k-means++ starts), best-agreeing of `n_runs` runs.

    Learned: `cluster_centers_` (unit vectors), `labels_`, `similarity_` (cosine of each
    point to its centroid), `stability_` (mean pairwise ARI of the runs: 1.0 = every seed
    gives the same partition), `n_iter_`.

    Example:
        km = SphericalKMeans(n_clusters=20, random_state=0).fit(Z)
        km.labels_, km.stability_
    """

    def __init__(self, n_clusters: int = 20, n_runs: int = 20, max_iter: int = 100, tol: float = 1e-4,
                 sample_size: int = 20_000, random_state=None):
        self.n_clusters = n_clusters
        self.n_runs = n_runs
        self.max_iter = max_iter
        self.tol = tol
        self.sample_size = sample_size
        self.random_state = random_state

    def fit(self, X, y=None):
        X = normalize(check_array(X, dtype=[np.float32, np.float64]))
        # Many small matrix products: BLAS threads cost more than they give (and the
        # machine is often shared), so one thread unless the data is large.
        with threadpool_limits(limits=1 if X.shape[0] < 50_000 else None, user_api="blas"):
            return self._fit(X)

    def _fit(self, X):
        k = self.n_clusters
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"n_clusters must be a positive integer, got {k!r}")
        if X.shape[0] < k:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={k}.")
        rs = check_random_state(self.random_state)
        n = X.shape[0]
        runs, partitions = [], []
        for _ in range(max(1, self.n_runs)):
            run_rs = np.random.RandomState(rs.randint(SEED_MAX))
            # Large inputs: each run starts and converges on a sample, then labels everything.
            idx = run_rs.choice(n, self.sample_size, replace=False) if n > self.sample_size else None
            centers, _ = _lloyd(X if idx is None else X[idx], _kmeans_pp(X if idx is None else X[idx], k, run_rs),
                                self.max_iter, self.tol, run_rs)
            runs.append(centers)
            partitions.append(_assign(X, centers)[0])
        agreement = _pairwise_ari(partitions, rs)
        best = int(np.argmax(agreement.sum(axis=1))) if len(runs) > 1 else 0
        self.stability_ = float(agreement[np.triu_indices(len(runs), 1)].mean()) if len(runs) > 1 else 1.0
        self.cluster_centers_, self.n_iter_ = _lloyd(X, runs[best], self.max_iter, self.tol, rs)
        self.labels_, self.similarity_ = _assign(X, self.cluster_centers_)
        return self

    def predict(self, X):
        return _assign(normalize(check_array(X, dtype=[np.float32, np.float64])), self.cluster_centers_)[0]

    def transform(self, X):
        """Cosine similarity of each row to each centroid."""
        return normalize(check_array(X, dtype=[np.float32, np.float64])) @ self.cluster_centers_.T


def _assign(X, centers, chunk: int = 50_000):
    """Nearest centroid by cosine, in chunks so memory stays flat for large N."""
    labels = np.empty(X.shape[0], dtype=np.int64)
    sims = np.empty(X.shape[0], dtype=np.float64)
    for start in range(0, X.shape[0], chunk):
        S = X[start:start + chunk] @ centers.T
        labels[start:start + chunk] = S.argmax(axis=1)
        sims[start:start + chunk] = S[np.arange(S.shape[0]), labels[start:start + chunk]]
    return labels, sims


def _kmeans_pp(X, k: int, rs) -> np.ndarray:
    """Greedy k-means++ on cosine distance (as scikit-learn does, with local trials)."""
    n = X.shape[0]
    trials = 2 + int(math.log(k))
    centers = [X[rs.randint(n)]]
    dist = np.clip(1.0 - X @ centers[0], 0, None)
    for _ in range(1, k):
        total = dist.sum()
        if total <= 0:  # fewer distinct points than k: pick unused points at random
            centers.append(X[rs.randint(n)])
            continue
        cand = np.searchsorted(np.cumsum(dist), rs.uniform(size=trials) * total)
        cand = np.minimum(cand, n - 1)
        cand_dist = np.minimum(dist[None, :], np.clip(1.0 - X[cand] @ X.T, 0, None))
        pick = int(np.argmin(cand_dist.sum(axis=1)))
        centers.append(X[cand[pick]])
        dist = cand_dist[pick]
    return np.array(centers)


def _lloyd(X, centers, max_iter: int, tol: float, rs):
    centers = normalize(np.asarray(centers, dtype=X.dtype))
    k = centers.shape[0]
    it = 0
    for it in range(1, max_iter + 1):
        labels, sims = _assign(X, centers)
        onehot = sp.csr_matrix((np.ones(len(labels), dtype=X.dtype), (labels, np.arange(len(labels)))),
                               shape=(k, len(labels)))
        sums = np.asarray(onehot @ X)
        counts = np.bincount(labels, minlength=k)
        for empty in np.flatnonzero(counts == 0):
            # An empty cluster restarts at the point worst served by its centroid.
            worst = int(np.argmin(sims))
            sums[empty] = X[worst]
            sims[worst] = np.inf
        new = normalize(sums)
        shift = float(np.max(1.0 - np.sum(new * centers, axis=1)))
        centers = new
        if shift <= tol:
            break
    return centers, it


def _pairwise_ari(partitions, rs, sample: int = 50_000) -> np.ndarray:
    n = len(partitions[0])
    idx = rs.choice(n, sample, replace=False) if n > sample else slice(None)
    m = len(partitions)
    A = np.eye(m)
    for i, j in itertools.combinations(range(m), 2):
        A[i, j] = A[j, i] = ari(partitions[i][idx], partitions[j][idx])
    return A


def ari(a, b) -> float:
    """Adjusted Rand index from a bincount contingency table (fast for many pairs)."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    n = len(a)
    if n < 2:
        return 1.0
    kb = int(b.max()) + 1
    cont = np.bincount(a * kb + b)
    pairs = lambda x: float((x * (x - 1) / 2).sum())  # noqa: E731
    both = pairs(cont.astype(np.float64))
    ra = pairs(np.bincount(a).astype(np.float64))
    rb = pairs(np.bincount(b).astype(np.float64))
    expected = ra * rb / (n * (n - 1) / 2)
    top = (ra + rb) / 2
    return 1.0 if top == expected else (both - expected) / (top - expected)


def candidate_ks(n: int, max_k: int = 40, per_theme: int = 25) -> list[int]:
    """The grid --k auto searches: up to `max_k`, with at least `per_theme` segments per
    theme on average (so a few hundred segments get a handful of themes, not dozens)."""
    top = max(2, min(4, n // 6), min(max_k, n // per_theme))
    grid = [2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 35, 40, 50, 60, 80]
    return [k for k in grid if k <= top]


def choose_k(X, *, candidates=None, random_state=None, n_runs: int = 5, sample: int = 4000,
             min_stability: float = 0.75) -> tuple[int, list[dict]]:
    """Pick k. Criterion: among the k whose partition is stable (mean pairwise ARI of
    `n_runs` runs, each on a different 80% subsample with a different seed, is at least
    `min_stability`), the smallest whose mean cosine silhouette is within 0.01 of the
    best (differences below that are noise; fewer themes are easier to read); if no k is
    stable enough, the most stable. Returns (k, one row of figures per candidate)."""
    X = normalize(np.asarray(X))
    with threadpool_limits(limits=1, user_api="blas"):
        return _choose_k(X, candidates, check_random_state(random_state), n_runs, sample, min_stability)


def _choose_k(X, candidates, rs, n_runs, sample, min_stability):
    if X.shape[0] > sample:
        X = X[rs.choice(X.shape[0], sample, replace=False)]
    n = X.shape[0]
    candidates = candidates or candidate_ks(n)
    sil_idx = rs.choice(n, min(n, 2000), replace=False)
    dist = np.clip(1.0 - X[sil_idx] @ X[sil_idx].T, 0, 2)  # cosine distances, computed once for every k
    np.fill_diagonal(dist, 0)
    table = []
    for k in candidates:
        parts = []
        for _ in range(n_runs):
            sub = rs.choice(n, max(k, int(0.8 * n)), replace=False)
            km = SphericalKMeans(k, n_runs=1, max_iter=30, random_state=rs.randint(SEED_MAX)).fit(X[sub])
            parts.append(km.predict(X))
        stability = float(np.mean([ari(a, b) for a, b in itertools.combinations(parts, 2)]))
        labels = parts[0][sil_idx]
        sil = -1.0
        if 1 < len(set(labels)) < len(sil_idx):
            sil = float(silhouette_score(dist, labels, metric="precomputed"))
        table.append({"k": k, "stability": round(stability, 4), "silhouette": round(sil, 4)})
    stable = [row for row in table if row["stability"] >= min_stability]
    if stable:
        top = max(r["silhouette"] for r in stable)
        best = min((r for r in stable if r["silhouette"] >= top - SILHOUETTE_TIE), key=lambda r: r["k"])
    else:
        best = max(table, key=lambda r: (r["stability"], -r["k"]))
    for row in table:
        row["chosen"] = row is best
    return best["k"], table
