"""Disclosure control for every count that leaves the researcher's database.

Defaults follow NHS small-number practice (NHS Digital's and NHS England's statistical
disclosure guidance for published health and care statistics): counts of 1 to 7 are
suppressed (shown as "<8" by default rather than as a number), and every other count is
rounded to the nearest 5, so that small groups of patients cannot be singled out and
differences between published tables give nothing away. Zero is shown as 0 (a true
zero reveals no one), unless `suppress_zero=True`.

Suppressing a cell is not enough when totals are shown: a row total minus the other
cells gives it back. `control_table` therefore adds secondary suppression: every row
and column (totals included) holding a suppressed cell holds at least two, so no
single suppressed value can be solved for from the margins. Cells hidden for that
reason show "*" (they are not small; "<8" would mislead).

Pure functions over numbers, lists and dicts: `publish` and `report` call them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DisclosureRule:
    """Counts below `threshold` (and above 0) are suppressed; others rounded to `round_to`."""

    threshold: int = 8  # 1-7 suppressed
    round_to: int = 5  # nearest 5; 1 turns rounding off
    suppress_zero: bool = False
    marker: str = "<8"  # shown for a small count
    secondary_marker: str = "*"  # shown for a cell hidden so that a small one cannot be worked out

    def __post_init__(self):
        if self.threshold < 1 or self.round_to < 1:
            raise ValueError("threshold and round_to must be at least 1")


NHS_RULE = DisclosureRule()
NO_CONTROL = DisclosureRule(threshold=1, round_to=1, marker="", secondary_marker="")


@dataclass(frozen=True)
class Controlled:
    """A count ready to publish: `value` is None when suppressed; `display` is what to show."""

    value: int | None
    suppressed: bool
    display: str

    def __str__(self) -> str:
        return self.display


def is_small(n: int, rule: DisclosureRule = NHS_RULE) -> bool:
    return (0 < n < rule.threshold) or (n == 0 and rule.suppress_zero)


def round_count(n: int, rule: DisclosureRule = NHS_RULE) -> int:
    """Nearest multiple of `round_to`, halves up (12.5 -> 15), as the NHS tables do."""
    step = rule.round_to
    return int((n + step / 2) // step * step) if step > 1 else int(n)


def control_count(n: int | None, rule: DisclosureRule = NHS_RULE) -> Controlled:
    """One count: suppressed if small, otherwise rounded."""
    if n is None:
        return Controlled(None, True, rule.marker)
    if n < 0:
        raise ValueError(f"a count cannot be negative: {n}")
    if is_small(n, rule):
        return Controlled(None, True, rule.marker)
    value = round_count(n, rule)
    return Controlled(value, False, str(value))


def control_counts(counts, rule: DisclosureRule = NHS_RULE):
    """A list or a dict of counts, each controlled; same shape back."""
    if isinstance(counts, dict):
        return {k: control_count(v, rule) for k, v in counts.items()}
    return [control_count(v, rule) for v in counts]


def control_series(counts: dict, rule: DisclosureRule = NHS_RULE, *, total: bool = True) -> dict:
    """Counts with their total shown: one line of a table (see control_table)."""
    table = control_table({"all": counts}, rule, row_totals=total, column_totals=False)
    return table["rows"]["all"]


def control_table(table: dict, rule: DisclosureRule = NHS_RULE, *, row_totals: bool = True,
                  column_totals: bool = True, total_key: str = "Total") -> dict:
    """A two-way table {row: {column: count}} with totals, ready to publish.

    Returns {"rows": {row: {column: Controlled, ..., total_key: Controlled}},
             "totals": {column: Controlled, ..., total_key: Controlled}} (totals only
    when column_totals). Primary suppression hides small cells; secondary suppression
    then hides the smallest other cells (or a total) until no row or column has exactly
    one hidden cell. Totals are computed from the true counts, then controlled.
    """
    rows = list(table)
    columns = list(dict.fromkeys(c for r in rows for c in table[r]))
    grid = [[int(table[r].get(c, 0) or 0) for c in columns] for r in rows]
    hidden = secondary_suppression(grid, rule, row_totals=row_totals, column_totals=column_totals)
    n_rows, n_cols = len(rows), len(columns)
    full = _with_margins(grid)

    def cell(i, j) -> Controlled:
        if hidden[i][j]:
            small = is_small(full[i][j], rule)
            return Controlled(None, True, rule.marker if small else rule.secondary_marker)
        return control_count(full[i][j], rule)

    out_rows = {}
    for i, r in enumerate(rows):
        line = {c: cell(i, j) for j, c in enumerate(columns)}
        if row_totals:
            line[total_key] = cell(i, n_cols)
        out_rows[r] = line
    result = {"rows": out_rows}
    if column_totals:
        line = {c: cell(n_rows, j) for j, c in enumerate(columns)}
        if row_totals:
            line[total_key] = cell(n_rows, n_cols)
        result["totals"] = line
    return result


def _with_margins(grid: list[list[int]]) -> list[list[int]]:
    n_cols = len(grid[0]) if grid else 0
    full = [row + [sum(row)] for row in grid]
    col_sums = [sum(row[j] for row in grid) for j in range(n_cols)]
    full.append(col_sums + [sum(col_sums)])
    return full


def secondary_suppression(grid: list[list[int]], rule: DisclosureRule = NHS_RULE, *, row_totals: bool = True,
                          column_totals: bool = True) -> list[list[bool]]:
    """Which cells of the grid plus margins (last row and column) to hide.

    Each line that is published together with its total (a row when row totals are
    shown, a column when column totals are) must hide 0 or at least 2 of its members,
    counting the total itself. We repeatedly fix lines with exactly one hidden member by
    hiding the smallest visible interior cell in that line (zero cells last, as hiding
    them protects little), or its total when no interior cell is left.
    """
    full = _with_margins(grid) if grid else [[0]]
    n_rows, n_cols = len(full) - 1, len(full[0]) - 1
    hidden = [[is_small(v, rule) for v in row] for row in full]
    if not row_totals:
        for i in range(n_rows + 1):
            hidden[i][n_cols] = False
    if not column_totals:
        for j in range(n_cols + 1):
            hidden[n_rows][j] = False
    lines = []
    if row_totals:  # each row with its total; the totals row too when it is shown
        lines += [[(i, j) for j in range(n_cols + 1)] for i in range(n_rows + (1 if column_totals else 0))]
    if column_totals:
        lines += [[(i, j) for i in range(n_rows + 1)] for j in range(n_cols + (1 if row_totals else 0))]
    changed = True
    while changed:
        changed = False
        for line in lines:
            members = [p for p in line if _shown(p, n_rows, n_cols, row_totals, column_totals)]
            if sum(hidden[i][j] for i, j in members) != 1:
                continue
            candidates = [p for p in members[:-1] if not hidden[p[0]][p[1]]]
            interior = [p for p in candidates if p[0] < n_rows and p[1] < n_cols]
            pool = interior or candidates or [members[-1]]
            i, j = min(pool, key=lambda p: (full[p[0]][p[1]] == 0, full[p[0]][p[1]], p))
            if hidden[i][j]:
                i, j = members[-1]
            hidden[i][j] = True
            changed = True
    return hidden


def _shown(p, n_rows, n_cols, row_totals, column_totals) -> bool:
    i, j = p
    if j == n_cols and not row_totals:
        return False
    if i == n_rows and not column_totals:
        return False
    return True


def recoverable_cells(grid: list[list[int]], hidden: list[list[bool]], *, row_totals: bool = True,
                      column_totals: bool = True) -> set[tuple[int, int]]:
    """An attacker's view: hidden cells that can be solved for exactly from the visible
    cells and totals by repeatedly using any line with one unknown. Empty = safe."""
    full = _with_margins(grid)
    n_rows, n_cols = len(full) - 1, len(full[0]) - 1
    unknown = {(i, j) for i in range(n_rows + 1) for j in range(n_cols + 1) if hidden[i][j]}
    if not row_totals:
        unknown |= {(i, n_cols) for i in range(n_rows + 1)}
    if not column_totals:
        unknown |= {(n_rows, j) for j in range(n_cols + 1)}
    secret = set(unknown)
    lines = [[(i, j) for j in range(n_cols + 1)] for i in range(n_rows + 1)]
    lines += [[(i, j) for i in range(n_rows + 1)] for j in range(n_cols + 1)]
    solved = set()
    progress = True
    while progress:
        progress = False
        for line in lines:
            missing = [p for p in line if p in unknown]
            if len(missing) == 1:
                unknown.discard(missing[0])
                solved.add(missing[0])
                progress = True
    # Margins the publisher chose not to show are not secrets.
    return {p for p in solved & secret if hidden[p[0]][p[1]]}
