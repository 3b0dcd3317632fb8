"""Hand edits to themes (merge, split, rename), recorded so later runs can redo them.

An edit is stored with the member segments of each theme it touched. When a later run
produces a theme whose members overlap one of those sets by Jaccard >= 0.5, the edit is
re-applied to it (and listed in the run's details); edits that match nothing are left
alone and say so, never forced.
"""

from __future__ import annotations

import numpy as np
import sqlite_utils

from .. import store
from ..errors import RapidReviewError
from . import runs
from .cluster import SphericalKMeans
from .run import Partition, ThemeOptions, describe, vectorize
from .select import segments_by_id

JACCARD = 0.5


class EditError(RapidReviewError):
    """A merge, split or rename that cannot be done as asked."""


# ---------------------------------------------------------------- re-applying in new runs


def _best_match(sets: dict[int, set], members: set) -> int | None:
    best, best_j = None, JACCARD
    for number, current in sets.items():
        inter = len(current & members)
        if not inter:
            continue
        j = inter / len(current | members)
        if j >= best_j:
            best, best_j = number, j
    return best


def reapply(db: sqlite_utils.Database, part: Partition, seed: int) -> list[dict]:
    """Redo earlier merges and splits on a fresh partition, in the order they were made."""
    ids = np.array([s.id for s in part.segments])
    applied = []
    for edit in runs.edits(db):
        if edit["action"] == "rename":
            continue
        sets = {n: set(ids[g].tolist()) for n, g in part.groups.items()}
        matches = [_best_match(sets, m) for m in edit["members"]]
        if None in matches or len(set(matches)) != len(matches):
            continue
        if edit["action"] == "merge":
            _merge_groups(part, matches)
        elif edit["action"] == "split":
            if not _split_group(part, matches[0], int(edit["value"] or 2), seed):
                continue
        applied.append({"edit": edit["id"], "action": edit["action"], "from_run": edit["run_id"]})
    return applied


def reapply_renames(db: sqlite_utils.Database, part: Partition, themes: list[dict]) -> list[dict]:
    """Give a theme the label a person gave its match in an earlier run."""
    sets = {t["number"]: set(t["segment_ids"]) for t in themes if t["kind"] == "theme"}
    by_number = {t["number"]: t for t in themes}
    applied = []
    for edit in runs.edits(db):
        if edit["action"] != "rename":
            continue
        match = _best_match(sets, edit["members"][0])
        if match is not None:
            by_number[match]["label"] = edit["value"]
            applied.append({"edit": edit["id"], "action": "rename", "from_run": edit["run_id"], "theme": match})
    return applied


def _merge_groups(part: Partition, numbers: list[int]) -> int:
    keep = min(numbers)
    part.groups[keep] = np.sort(np.concatenate([part.groups[n] for n in numbers]))
    for n in numbers:
        if n != keep:
            del part.groups[n]
    return keep


def _split_group(part: Partition, number: int, parts: int, seed: int) -> list[int]:
    idx = part.groups[number]
    if len(idx) < parts * 2:
        return []
    km = SphericalKMeans(parts, n_runs=5, random_state=seed).fit(part.Z[idx])
    children = [idx[km.labels_ == c] for c in range(parts)]
    children = [c for c in children if len(c)]
    children.sort(key=lambda c: (-len(c), int(c.min())))
    if len(children) < 2:
        return []
    part.groups[number] = children[0]
    top = max(part.groups)
    numbers = [number]
    for i, child in enumerate(children[1:], start=1):
        part.groups[top + i] = child
        numbers.append(top + i)
    return numbers


# ---------------------------------------------------------------- editing a stored run


def load_partition(db: sqlite_utils.Database, run_id: int | None) -> tuple[dict, Partition, ThemeOptions]:
    """Rebuild a stored run's vectors and groups (same segments and seed: same vectors)."""
    run = runs.get_run(db, run_id)
    params = {k: v for k, v in run["params"].items() if k in ThemeOptions.__dataclass_fields__}
    options = ThemeOptions(**params)
    members = runs.members(db, run["id"])
    all_ids = sorted(s for ms in members.values() for s, _ in ms)
    segments = segments_by_id(db, all_ids)
    if len(segments) != len(all_ids):
        raise EditError(f"run {run['id']}: some of its segments were deleted since; run themes again.")
    part = vectorize(segments, options)
    pos = {s.id: i for i, s in enumerate(segments)}
    kinds = {t["number"]: t["kind"] for t in run["themes"]}
    part.groups = {n: np.array(sorted(pos[s] for s, _ in ms), dtype=np.int64)
                   for n, ms in members.items() if kinds.get(n) == "theme"}
    for kind, attr in (("other", "other"), ("not-english", "not_english")):
        idx = [pos[s] for n, ms in members.items() if kinds.get(n) == kind for s, _ in ms]
        setattr(part, attr, np.array(sorted(idx), dtype=np.int64))
    return run, part, options


def _check_themes(run: dict, numbers: list[int]) -> None:
    for n in numbers:
        t = runs.theme_by_number(run, n)
        if t["kind"] != "theme":
            raise EditError(f"theme {n} is the {t['kind']!r} bucket, which cannot be merged or split.")


def _rewrite(db, run: dict, part: Partition, options: ThemeOptions, touched: set[int]) -> list[dict]:
    """Re-describe and store the run, keeping people's labels on themes not touched."""
    kept_labels = {t["number"]: t["label"] for t in run["themes"]
                   if t["kind"] == "theme" and t["edited"] and t["number"] not in touched}
    themes = describe(db, part, options)
    for t in themes:
        if t["number"] in kept_labels:
            t["label"] = kept_labels[t["number"]]
    runs.write_themes(db, run["id"], themes)
    return themes


def merge(db: sqlite_utils.Database, run_id: int | None, numbers: list[int], label: str | None = None) -> dict:
    """Merge themes of a run into one (it keeps the lowest number). Returns the new theme."""
    numbers = list(dict.fromkeys(int(n) for n in numbers))
    if len(numbers) < 2:
        raise EditError("give at least two theme numbers to merge, e.g. `themes merge REVIEW_DB 3 7`.")
    run, part, options = load_partition(db, run_id)
    _check_themes(run, numbers)
    ids = [s.id for s in part.segments]
    member_sets = [[ids[i] for i in part.groups[n]] for n in numbers]
    with store.transaction(db):
        keep = _merge_groups(part, numbers)
        themes = _rewrite(db, run, part, options, set(numbers))
        merged = next(t for t in themes if t["number"] == keep)
        if label:
            merged["label"] = label
            db.execute("UPDATE themes SET label = ?, origin = 'merge' WHERE run_id = ? AND number = ?",
                       [label, run["id"], keep])
        else:
            db.execute("UPDATE themes SET origin = 'merge' WHERE run_id = ? AND number = ?", [run["id"], keep])
        edit = runs.record_edit(db, run["id"], "merge", member_sets, None)
        store.log_event(db, "themes.merge", {"run_id": run["id"], "themes": numbers, "into": keep, "edit": edit})
    return _public(merged)


def split(db: sqlite_utils.Database, run_id: int | None, number: int, parts: int = 2) -> list[dict]:
    """Split a theme into `parts` sub-themes (the largest keeps its number)."""
    if parts < 2:
        raise EditError("--parts must be at least 2.")
    run, part, options = load_partition(db, run_id)
    _check_themes(run, [number])
    ids = [s.id for s in part.segments]
    member_set = [ids[i] for i in part.groups[number]]
    with store.transaction(db):
        numbers = _split_group(part, number, parts, options.seed)
        if not numbers:
            raise EditError(f"theme {number} has {len(member_set)} segments: too few to split into {parts} "
                            f"(each part needs at least 2 different segments).")
        themes = _rewrite(db, run, part, options, set(numbers))
        marks = ", ".join("?" * len(numbers))
        db.execute(f"UPDATE themes SET origin = 'split' WHERE run_id = ? AND number IN ({marks})", [run["id"], *numbers])
        edit = runs.record_edit(db, run["id"], "split", [member_set], str(parts))
        store.log_event(db, "themes.split", {"run_id": run["id"], "theme": number, "into": numbers, "edit": edit})
    return [_public(t) for t in themes if t["number"] in numbers]


def rename(db: sqlite_utils.Database, run_id: int | None, number: int, new_label: str) -> dict:
    """Give a theme a label of your own (kept across re-runs where the theme matches)."""
    new_label = " ".join((new_label or "").split())
    if not new_label:
        raise EditError("the new label is empty.")
    run = runs.get_run(db, run_id)
    theme = runs.theme_by_number(run, number)
    members = [s for s, _ in runs.members(db, run["id"]).get(number, [])]
    with store.transaction(db):
        db.execute("UPDATE themes SET label = ? WHERE id = ?", [new_label, theme["id"]])
        edit = runs.record_edit(db, run["id"], "rename", [members], new_label)
        store.log_event(db, "themes.rename", {"run_id": run["id"], "theme": number, "from": theme["label"],
                                              "to": new_label, "edit": edit})
    return {**theme, "label": new_label}


def _public(t: dict) -> dict:
    return {k: v for k, v in t.items() if k not in ("segment_ids", "weights")}
