"""Agreement between coders: Cohen's kappa per code, Krippendorff's alpha across coders.

Only units (segments) that both coders saw count. A coder saw a document if they
coded anything in it, decided a suggestion in it, or it is recorded as read
(`queue.mark_seen`). Text nobody looked at is not agreement: peers that count
every uncoded segment as "both said no" report inflated figures.

The model can be scored as one more coder: on the units people coded, its codes
come from models that did not see those units (cross-validation).

    result = agreement(db, ["alice", "bob"], model=True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import combinations

import numpy as np
import sqlite_utils

from ..errors import RapidReviewError
from .units import UNIT_OF_CODING, load_units

MODEL = "model"


@dataclass
class CodeAgreement:
    code: str
    units: int  # units with at least two coders' values
    applied: dict  # coder -> units coded with it
    kappa: dict  # "a|b" -> Cohen's kappa (None where undefined)
    alpha: float | None


@dataclass
class AgreementResult:
    coders: list[str]
    units: dict  # "a|b" -> shared units
    codes: list[CodeAgreement]
    alpha: float | None  # pooled over every (unit, code) item
    disagreements: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"coders": self.coders, "units": self.units, "alpha": self.alpha,
                "codes": [asdict(c) for c in self.codes], "disagreements": self.disagreements}


def _coder_data(db, coder: str):
    """(documents seen, {unit key: {code ids}}, {unit key: {rejected code ids}}) for one person."""
    seen = {r[0] for r in db.execute("SELECT document_id FROM coder_documents WHERE coder = ?", [coder])}
    applied: dict = {}
    rows = db.execute(f"""SELECT c.document_id, {UNIT_OF_CODING}, c.code_id, c.status FROM codings c
        WHERE (c.coder = ? AND c.origin IN ('manual', 'import')) OR c.decided_by = ?""", [coder, coder])
    for doc, unit, code_id, status in rows:
        seen.add(doc)
        if status == "accepted":
            applied.setdefault((doc, unit), set()).add(code_id)
    return seen, applied


def agreement(db: sqlite_utils.Database, coders: list[str], *, model: bool = False,
              codes: set[int] | None = None, max_disagreements: int = 200) -> AgreementResult:
    """Kappa per code for each pair of coders, alpha across all of them."""
    coders = [c.strip() for c in coders if c.strip()]
    if model and MODEL not in coders:
        coders.append(MODEL)
    people = [c for c in coders if c != MODEL]
    if len(coders) < 2:
        raise RapidReviewError("agreement needs at least two coders, e.g. --coders alice,bob (or one coder and --model).")
    data = {}
    for coder in people:
        seen, applied = _coder_data(db, coder)
        if not seen:
            known = [r[0] for r in db.execute(
                "SELECT DISTINCT coder FROM codings WHERE origin IN ('manual', 'import') UNION "
                "SELECT DISTINCT decided_by FROM codings WHERE decided_by IS NOT NULL")]
            raise RapidReviewError(f"coder {coder!r} has coded nothing in this review. Coders: "
                                   f"{', '.join(repr(k) for k in known) or '(none yet)'}.")
        data[coder] = (seen, applied)
    docs = set().union(*(d[0] for d in data.values()))
    units = [u for u in load_units(db, unanswered=True, document_ids=docs)
             if u.segment_id is not None or any(u.key in d[1] for d in data.values())]
    if MODEL in coders:
        from .model import cross_predictions

        predicted = cross_predictions(db, units)
        data[MODEL] = ({u.document_id for u in units}, predicted)
    return _score(db, coders, data, units, codes, max_disagreements)


def _score(db, coders, data, units, codes, max_disagreements) -> AgreementResult:
    # values[coder][i] = set of codes on unit i, or None where the coder did not see it
    values = {c: [data[c][1].get(u.key, set()) if u.document_id in data[c][0] else None for u in units]
              for c in coders}
    used = set()
    for c in coders:
        for v in values[c]:
            if v:
                used |= v
    if codes is not None:
        used &= codes
    names = dict(db.execute("SELECT id, name FROM codes").fetchall())
    shared = {f"{a}|{b}": sum(1 for x, y in zip(values[a], values[b]) if x is not None and y is not None)
              for a, b in combinations(coders, 2)}
    results, pooled = [], []
    for code_id in sorted(used, key=lambda c: names.get(c, "").casefold()):
        matrix = [[None if v is None else int(code_id in v) for v in values[c]] for c in coders]
        kappas = {}
        for (i, a), (j, b) in combinations(enumerate(coders), 2):
            pairs = [(x, y) for x, y in zip(matrix[i], matrix[j]) if x is not None and y is not None]
            kappas[f"{a}|{b}"] = cohen_kappa(pairs)
        items = list(zip(*matrix))
        pooled += items
        results.append(CodeAgreement(
            code=names.get(code_id, str(code_id)),
            units=sum(1 for item in items if sum(v is not None for v in item) >= 2),
            applied={c: sum(1 for v in matrix[k] if v) for k, c in enumerate(coders)},
            kappa=kappas, alpha=krippendorff_alpha(items)))
    disagreements = _disagreements(coders, values, units, used, names, max_disagreements)
    return AgreementResult(coders, shared, results, krippendorff_alpha(pooled), disagreements)


def _disagreements(coders, values, units, used, names, limit) -> list[dict]:
    out = []
    for i, unit in enumerate(units):
        present = {c: values[c][i] for c in coders if values[c][i] is not None}
        if len(present) < 2:
            continue
        for code_id in sorted(used):
            yes = [c for c, v in present.items() if code_id in v]
            if yes and len(yes) < len(present):
                out.append({"external_id": unit.external_id, "segment_id": unit.segment_id,
                            "start": unit.start, "end": unit.end, "code": names.get(code_id, str(code_id)),
                            "applied_by": yes, "not_by": [c for c in present if c not in yes],
                            "text": unit.text[:300]})
                if len(out) >= limit:
                    return out
    return out


def cohen_kappa(pairs) -> float | None:
    """Cohen's kappa for two binary ratings; None when undefined (no units, or both
    coders gave one value throughout and so cannot disagree by chance)."""
    if not pairs:
        return None
    a = np.array(pairs, dtype=float)
    po = float(np.mean(a[:, 0] == a[:, 1]))
    p1, p2 = a[:, 0].mean(), a[:, 1].mean()
    pe = p1 * p2 + (1 - p1) * (1 - p2)
    if pe >= 1.0:
        return None
    return round(float((po - pe) / (1 - pe)), 4)


def krippendorff_alpha(items) -> float | None:
    """Krippendorff's alpha (nominal) over items, each a tuple of values with None for
    a coder who did not rate it. Items rated by fewer than two coders are skipped."""
    counts: dict = {}
    coincidence: dict = {}
    n = 0.0
    for item in items:
        vals = [v for v in item if v is not None]
        m = len(vals)
        if m < 2:
            continue
        for x in range(m):
            for y in range(m):
                if x != y:
                    key = (vals[x], vals[y])
                    coincidence[key] = coincidence.get(key, 0.0) + 1.0 / (m - 1)
    for (c, _k), v in coincidence.items():
        counts[c] = counts.get(c, 0.0) + v
        n += v
    if n <= 1:
        return None
    observed = sum(v for (c, k), v in coincidence.items() if c != k)
    expected = sum(counts[c] * counts[k] for c in counts for k in counts if c != k) / (n - 1)
    if expected == 0:
        return None
    return round(float(1.0 - observed / expected), 4)
