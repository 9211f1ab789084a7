"""Small-cell and complementary suppression; the k-anonymous CTDC-shaped export."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

import pytest

from ctip.cases import actions
from ctip.reports.privacy import (
    CTDC_COLUMNS,
    QUASI_IDENTIFIERS,
    ctdc_export,
    ctdc_rows,
    k_anonymise,
    suppress,
)
from tests.cases.case_helpers import consent

M = "< 5"


def test_small_cells_are_hidden_and_zeros_kept() -> None:
    # three children and a total row, one column
    shown = suppress([[12], [0], [30], [42]], total_row=True, total_col=False)
    assert shown == [[12], [0], [30], [42]]
    shown = suppress([[3], [0], [30], [33]], total_row=True, total_col=False)
    # 3 is hidden; alone it could be worked out from the total, so another cell goes too: not
    # the zero (33 - 30 would still give 3 back) but the smallest cell that adds people
    assert shown == [[M], [0], [M], [33]]


def test_hidden_cells_never_add_up_to_a_small_count() -> None:
    # situations by category [3, 0, 0, 12] of 15: hiding a zero with the 3 would leave
    # 15 - 12 = 3 for the hidden cells together
    shown = suppress([[3, 0, 0, 12, 15]], total_row=False, total_col=True)
    assert shown == [[M, 0, 0, M, 15]]
    # two small cells hidden together still add up to a small count: a third one goes
    shown = suppress([[1, 2, 9, 20, 32]], total_row=False, total_col=True)
    assert shown[0][:2] == [M, M] and shown[0][2] == M and shown[0][3:] == [20, 32]
    # whatever the table, no row or column of hidden cells sums to 1-4 beside a visible total
    table = [[1, 0, 7, 8], [0, 2, 30, 32], [1, 2, 37, 40]]
    shown = suppress(table)
    for i, row in enumerate(shown):
        if row[-1] != M:
            part = sum(table[i][j] for j in range(3) if row[j] == M)
            assert part == 0 or part >= 5, (i, shown)
    for j in range(4):
        if shown[-1][j] != M:
            part = sum(table[i][j] for i in range(2) if shown[i][j] == M)
            assert part == 0 or part >= 5, (j, shown)


def test_complementary_suppression_in_rows_and_columns() -> None:
    # rows: two children + total; columns: two categories + total
    table = [[2, 10, 12],
             [8, 20, 28],
             [10, 30, 40]]
    shown = suppress(table)
    hidden = {(i, j) for i, row in enumerate(shown) for j, v in enumerate(row) if v == M}
    assert (0, 0) in hidden
    # no row or column has exactly one hidden cell: nothing can be subtracted back
    for i in range(3):
        assert sum((i, j) in hidden for j in range(3)) != 1
    for j in range(3):
        assert sum((i, j) in hidden for i in range(3)) != 1
    # no hidden cell can be recomputed from a visible total and the other visible cells
    assert shown[2][2] == 40


def test_a_total_below_the_threshold_is_hidden_with_its_part() -> None:
    shown = suppress([[3, 3]], total_row=False, total_col=True)
    assert shown == [[M, M]]


def test_forced_cells_are_hidden_with_their_complements() -> None:
    # services by type (not people): 1 job placement is hidden because "jobs found" is, and
    # with it the next smallest part, so the total does not give it back
    shown = suppress([[1], [12], [30], [43]], total_row=True, total_col=False,
                     force=[(0, 0)], primary=False)
    assert shown == [[M], [M], [30], [43]]
    # without force and primary suppression, nothing is hidden
    assert suppress([[1], [12], [13]], total_col=False, primary=False) == [[1], [12], [13]]


def test_threshold_is_a_parameter() -> None:
    assert suppress([[7], [20], [27]], 10, total_col=False)[0] == ["< 10"]


def _rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    bands = ["0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+",
             "unknown"]
    return [{"yearOfRegistration": str(rng.choice([2023, 2024, 2025, 2026])),
             "gender": rng.choice(["Woman", "Woman", "Woman", "Man", "unknown"]),
             "ageBroad": rng.choice(bands), "citizenship": "unknown",
             "typeOfExploitation": "unknown", "meansOfControl": "unknown",
             "recruiterRelationship": "unknown"} for _ in range(n)]


@pytest.mark.parametrize(("n", "k"), [(0, 11), (5, 11), (60, 11), (400, 11), (400, 5),
                                      (1000, 20)])
def test_k_anonymity_on_generated_data(n: int, k: int) -> None:
    released = k_anonymise(_rows(n), k)
    groups = Counter(tuple(r[q] for q in QUASI_IDENTIFIERS) for r in released)
    assert all(size >= k for size in groups.values()), groups
    assert len(released) <= n
    if n >= 400:
        assert len(released) >= n * 0.9  # generalising keeps most rows
    for row in released:
        assert set(row) == set(CTDC_COLUMNS)


def test_ctdc_export_from_real_cases(tree: Any) -> None:
    for i in range(14):
        person = actions.create_person(actor=None, unit=tree.commune_a,
                                       full_name=f"Nguyễn Thị Số {i}", birth_year=1990 + i % 3)
        consent(person)
        actions.open_case(actor=None, unit=tree.commune_a, person=person,
                          kind="returned_victim", opened_on=dt.date(2026, 2, 1 + i))
    odd = actions.create_person(actor=None, unit=tree.commune_b, full_name="Trần Văn Lẻ",
                                sex="male", birth_year=1950)
    consent(odd)
    actions.open_case(actor=None, unit=tree.commune_b, person=odd, kind="being_identified",
                      opened_on=dt.date(2026, 3, 1))
    raw = ctdc_rows(tree.province)
    assert len(raw) == 15
    released = ctdc_export(tree.province)
    groups = Counter(tuple(r[q] for q in QUASI_IDENTIFIERS) for r in released)
    assert all(size >= 11 for size in groups.values())
    assert len(released) == 14  # the lone older man cannot hide among 11: suppressed
    assert {r["typeOfExploitation"] for r in released} == {"unknown"}
    assert not any("Nguyễn" in str(v) for r in released for v in r.values())
