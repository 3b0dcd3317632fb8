"""Waves and saturation: how do two runs (say wave 1 and wave 2) differ?

Both runs' segments are vectorised together, so their themes live in one space. Each
theme of run B is matched to the theme of run A it is closest to (centroid cosine, or
member overlap when the runs share segments): matched themes are growing, shrinking or
stable by their share; unmatched B themes are new; unmatched A themes are gone.

Saturation: of the segments in B that were not in A (the new material), the share that
nothing existing explains: no coding on it, and no segment in A's themes within cosine
0.6 of it (its nearest neighbour in the shared space says something else).
"""

from __future__ import annotations

import numpy as np
import sqlite_utils

from .run import ThemeOptions, vectorize
from .runs import get_run, members
from .select import segments_by_id

MATCH_COSINE = 0.5  # centroids at least this similar are the same theme
MATCH_JACCARD = 0.3
MIN_SHARE_CHANGE = 0.02
EXPLAINED_COSINE = 0.6  # a new segment this close to something already said is explained by it
NEIGHBOUR_SAMPLE = 20_000  # growing/shrinking: share moved by 2 points and by a quarter


def compare_runs(db: sqlite_utils.Database, run_a: int, run_b: int) -> dict:
    A, B = get_run(db, run_a), get_run(db, run_b)
    mem_a, mem_b = members(db, A["id"]), members(db, B["id"])
    kinds_a = {t["number"]: t for t in A["themes"]}
    kinds_b = {t["number"]: t for t in B["themes"]}
    ids = sorted({s for ms in (*mem_a.values(), *mem_b.values()) for s, _ in ms})
    segments = segments_by_id(db, ids)
    part = vectorize(segments, ThemeOptions(seed=B["seed"] or 0))
    pos = {s.id: i for i, s in enumerate(segments)}
    Z = part.Z

    def groups(mem, kinds):
        return {n: np.array([pos[s] for s, _ in ms if s in pos]) for n, ms in mem.items()
                if kinds[n]["kind"] == "theme"}

    ga, gb = groups(mem_a, kinds_a), groups(mem_b, kinds_b)
    ca = {n: _unit(Z[g].mean(axis=0)) for n, g in ga.items()}
    cb = {n: _unit(Z[g].mean(axis=0)) for n, g in gb.items()}
    n_a = sum(len(ms) for ms in mem_a.values()) or 1
    n_b = sum(len(ms) for ms in mem_b.values()) or 1
    rows, matched_a = [], set()
    for nb, gbi in sorted(gb.items()):
        best, best_score, best_cos, best_j = None, 0.0, 0.0, 0.0
        set_b = set(gbi.tolist())
        for na, gai in ga.items():
            cos = float(ca[na] @ cb[nb])
            set_a = set(gai.tolist())
            jac = len(set_a & set_b) / len(set_a | set_b) if set_a & set_b else 0.0
            ok = cos >= MATCH_COSINE or jac >= MATCH_JACCARD
            score = max(cos, jac + 1.0 if jac >= MATCH_JACCARD else 0.0)
            if ok and score > best_score:
                best, best_score, best_cos, best_j = na, score, cos, jac
        share_b = len(gbi) / n_b
        row = {"theme_b": nb, "label_b": kinds_b[nb]["label"], "share_b": round(share_b, 4), "size_b": len(gbi)}
        if best is None:
            row.update(status="new", theme_a=None, label_a=None, share_a=0.0, similarity=None)
        else:
            matched_a.add(best)
            share_a = len(ga[best]) / n_a
            row.update(theme_a=best, label_a=kinds_a[best]["label"], share_a=round(share_a, 4),
                       similarity=round(best_cos, 3), overlap=round(best_j, 3),
                       status=_trend(share_a, share_b))
        rows.append(row)
    gone = [{"theme_a": na, "label_a": kinds_a[na]["label"], "share_a": round(len(g) / n_a, 4), "status": "gone"}
            for na, g in sorted(ga.items()) if na not in matched_a]
    return {"run_a": A["id"], "run_b": B["id"], "themes": rows, "gone": gone,
            **_saturation(db, mem_a, mem_b, ga, ca, Z, pos, segments)}


def _trend(share_a: float, share_b: float) -> str:
    change = share_b - share_a
    if abs(change) >= max(MIN_SHARE_CHANGE, 0.25 * share_a):
        return "growing" if change > 0 else "shrinking"
    return "stable"


def _saturation(db, mem_a, mem_b, ga, ca, Z, pos, segments) -> dict:
    in_a = {s for ms in mem_a.values() for s, _ in ms}
    new = [s for ms in mem_b.values() for s, _ in ms if s not in in_a]
    if not new:
        return {"new_material": 0, "unexplained": 0, "unexplained_share": None,
                "saturation_note": "run B has no segments that run A lacks: compare runs of different waves "
                                   "or dates to measure saturation."}
    coded = _coded(db, new)
    a_rows = np.concatenate(list(ga.values())) if ga else np.zeros(0, dtype=np.int64)
    if len(a_rows) > NEIGHBOUR_SAMPLE:
        a_rows = np.random.RandomState(0).choice(a_rows, NEIGHBOUR_SAMPLE, replace=False)
    A = Z[a_rows]
    todo = [s for s in new if s not in coded and Z[pos[s]].any()]  # no content words: nothing new to explain
    unexplained = []
    for start in range(0, len(todo), 5000):
        chunk = todo[start:start + 5000]
        near = (Z[[pos[s] for s in chunk]] @ A.T).max(axis=1) if len(A) else np.zeros(len(chunk))
        unexplained += [s for s, sim in zip(chunk, near) if sim < EXPLAINED_COSINE]
    by_id = {seg.id: seg for seg in segments}
    return {"new_material": len(new), "unexplained": len(unexplained),
            "unexplained_share": round(len(unexplained) / len(new), 4),
            "criterion": f"no non-rejected coding, and cosine < {EXPLAINED_COSINE} to every segment of run A's "
                         "themes (LSA space fitted on both runs)",
            "unexplained_examples": [by_id[s].text[:200] for s in unexplained[:5]]}


def _coded(db, segment_ids) -> set[int]:
    wanted = set(segment_ids)
    rows = db.execute("""SELECT DISTINCT s.id FROM codings c JOIN segments s ON s.document_id = c.document_id
                         WHERE c.status != 'rejected' AND c.coder != 'themes'
                         AND (c.segment_id = s.id
                              OR (c.segment_id IS NULL AND c.start < s."end" AND c."end" > s.start))""")
    return {r[0] for r in rows if r[0] in wanted}


def _unit(v):
    n = np.linalg.norm(v)
    return v / n if n > 0 else v
