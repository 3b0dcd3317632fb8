"""Disclosure control: small numbers suppressed, others rounded, no recovery from totals."""

from __future__ import annotations

import random

import pytest

from rapidreview.privacy import (
    NHS_RULE,
    DisclosureRule,
    control_count,
    control_counts,
    control_series,
    control_table,
    recoverable_cells,
    secondary_suppression,
)


def test_small_counts_suppressed_and_rounding():
    shown = {n: control_count(n).display for n in (0, 1, 7, 8, 12, 13, 22, 23, 100)}
    assert shown == {0: "0", 1: "<8", 7: "<8", 8: "10", 12: "10", 13: "15", 22: "20", 23: "25", 100: "100"}
    assert control_count(3).value is None and control_count(3).suppressed
    assert control_count(42).value == 40 and not control_count(42).suppressed


def test_rule_is_configurable():
    rule = DisclosureRule(threshold=10, round_to=1, suppress_zero=True, marker="c")
    assert [control_count(n, rule).display for n in (0, 9, 10, 11)] == ["c", "c", "10", "11"]
    assert control_counts({"a": 3, "b": 50})["b"].value == 50
    assert [c.display for c in control_counts([2, 9])] == ["<8", "10"]
    with pytest.raises(ValueError):
        control_count(-1)


def test_series_with_total_hides_a_second_cell():
    line = control_series({"good": 40, "poor": 3, "mixed": 20, "other": 12})
    hidden = [k for k, c in line.items() if c.suppressed]
    assert len(hidden) >= 2 and "poor" in hidden
    assert line["other"].display == "*"  # hidden to protect "poor", not small itself


def test_table_secondary_suppression():
    table = {"GP": {"good": 41, "poor": 3, "mixed": 12},
             "A&E": {"good": 20, "poor": 15, "mixed": 9},
             "Maternity": {"good": 30, "poor": 10, "mixed": 2}}
    out = control_table(table)
    assert out["rows"]["GP"]["poor"].display == "<8"
    assert out["rows"]["Maternity"]["mixed"].display == "<8"
    for row in out["rows"].values():
        assert sum(c.suppressed for c in row.values()) != 1
    for col in ["good", "poor", "mixed", "Total"]:
        column = [out["rows"][r][col] for r in table] + [out["totals"][col]]
        assert sum(c.suppressed for c in column) != 1
    assert out["totals"]["Total"].value == 140


def _attack(grid, hidden):
    return recoverable_cells(grid, hidden)


def test_naive_suppression_is_recoverable_and_ours_is_not():
    grid = [[41, 3, 12], [20, 15, 9], [30, 10, 20]]
    naive = [[NHS_RULE.threshold > v > 0 for v in row + [sum(row)]] for row in grid] + [[False] * 4]
    assert _attack(grid, naive) == {(0, 1)}  # 3 = 56 - 41 - 12
    assert _attack(grid, secondary_suppression(grid)) == set()


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_cannot_be_recovered(seed):
    rng = random.Random(seed)
    rows, cols = rng.randint(1, 6), rng.randint(1, 6)
    grid = [[rng.choice([0, 1, 2, 5, 7, 8, 12, 30, 55]) for _ in range(cols)] for _ in range(rows)]
    hidden = secondary_suppression(grid)
    assert _attack(grid, hidden) == set()
    # every primary small cell is hidden
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if 0 < v < 8:
                assert hidden[i][j]


def test_tables_without_column_totals():
    grid = [[3, 40], [25, 30]]
    hidden = secondary_suppression(grid, column_totals=False)
    assert hidden[0][0] and sum(hidden[0]) >= 2  # the 3 and one more cell of its row
    assert recoverable_cells(grid, hidden, column_totals=False) == set()  # unshown totals are unknowns
