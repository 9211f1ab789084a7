"""Privacy in aggregates: small-cell and complementary suppression, and the anonymised
case-level export in the shape of the CTDC global dataset.

The rule for suppression (``must_suppress``): counts of people leave the unit in every export,
so every export is suppressed; on screen a table is suppressed for a viewer who does not hold
``case.view`` over the unit (a viewer who holds it may open the cases themselves). A periodic
report has left its unit once it is sent up: on its page it is suppressed for everyone but the
unit's own officers who hold ``case.view`` (``must_suppress_report``), and its PDF always.
Stored values are never altered; suppression is applied when a table is shown.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q

from ctip.accounts.policy import has_capability
from ctip.org.models import Unit

DEFAULT_THRESHOLD = 5
DEFAULT_K = 11
UNKNOWN = "unknown"


def must_suppress(viewer: Any, unit: Unit, *, export: bool = False) -> bool:
    return export or not has_capability(viewer, "case.view", unit)


def must_suppress_report(viewer: Any, unit: Unit) -> bool:
    """A periodic report leaves its unit when it goes up to the parent: it is read with the
    same suppression unless the viewer is of the unit itself (holds a role there) and holds
    ``case.view`` over it (``must_suppress``). The PDF is always suppressed."""
    from ctip.accounts.policy import grants_of

    of_the_unit = any(g.unit_id == unit.pk for g in grants_of(viewer))
    return not of_the_unit or must_suppress(viewer, unit)


def mark(threshold: int = DEFAULT_THRESHOLD) -> str:
    return f"< {threshold}"


# A breakdown part that counts the same people as a person-count indicator is hidden wherever
# that indicator is: the jobs found are the job placement services delivered, so the services
# by type would otherwise give a hidden "jobs found" back. {indicator: (other indicator, part)}
SAME_PEOPLE: dict[str, tuple[str, str]] = {"jobs_found": ("services", "job_placement")}


def suppress(table: Sequence[Sequence[int | float | None]], threshold: int = DEFAULT_THRESHOLD,
             *, total_row: bool = True, total_col: bool = True,
             force: Iterable[tuple[int, int]] = (), primary: bool = True) -> list[list[Any]]:
    """Display values of a table of counts of people, small cells replaced by ``"< 5"``.

    ``table`` holds rows of cells; when ``total_row`` its last row is the sum of the rows above,
    when ``total_col`` the last cell of each row is the sum of the cells before it (rows of
    children plus a total, columns of breakdowns plus a total). Primary suppression hides
    every count ``0 < n < threshold``. Complementary suppression then looks at every row and
    every column as an equation (the cells add up to the total): where exactly one of its cells
    is hidden, a reader could subtract it back, so the smallest other non-zero cell is hidden
    too (a total only when no other cell is left); and where several are hidden but the total
    shows that together they are a small count, one more is hidden; until no equation gives a
    small count back.
    ``None`` (no value) is never hidden and never counted. ``force`` names cells (row,
    column) hidden whatever their value (they give away people hidden elsewhere); with
    ``primary=False`` only those are hidden, then their complements.
    """
    cells = [list(row) for row in table]
    n_rows = len(cells)
    if not n_rows:
        return []
    n_cols = max(len(r) for r in cells)
    hidden = {(i, j) for i, row in enumerate(cells) for j, v in enumerate(row)
              if primary and isinstance(v, int | float) and 0 < v < threshold}
    hidden |= {(i, j) for i, j in force
               if i < n_rows and j < len(cells[i]) and cells[i][j] is not None}

    def groups() -> list[list[tuple[int, int]]]:
        out = []
        if total_col and n_cols > 1:
            out += [[(i, j) for j in range(len(cells[i]))] for i in range(n_rows)]
        if total_row and n_rows > 1:
            out += [[(i, j) for i in range(n_rows) if j < len(cells[i])]
                    for j in range(n_cols)]
        return out

    def value(c: tuple[int, int]) -> Any:
        return cells[c[0]][c[1]]

    changed = True
    while changed:
        changed = False
        for group in groups():
            members = [c for c in group if value(c) is not None]
            last = group[-1]  # the total of this equation
            secret = [c for c in members if c in hidden]
            if not secret:
                continue
            if len(secret) == 1:
                exposed = True  # the one hidden cell is the total less the others
            else:
                # several hidden cells and a visible total: their sum is known, and must not
                # itself be a small count of people (a hidden 0 next to a hidden 3 hides nothing)
                parts = sum(value(c) for c in secret if c != last)
                exposed = last not in hidden and 0 < parts < threshold
            if not exposed:
                continue
            visible = [c for c in members if c not in hidden]
            # the smallest cell that adds people to the hidden sum; the total only when none is
            # left; a zero never helps, since it changes nothing a reader can subtract
            candidates = ([c for c in visible if c != last and value(c)]
                          or [c for c in visible if c == last]
                          or visible)
            if not candidates:
                continue
            hidden.add(min(candidates, key=lambda c: (value(c), c)))
            changed = True
    shown = mark(threshold)
    return [[shown if (i, j) in hidden else v for j, v in enumerate(row)]
            for i, row in enumerate(cells)]


# --- CTDC-shaped case-level export -------------------------------------------------------------

CTDC_COLUMNS = ["yearOfRegistration", "gender", "ageBroad", "citizenship",
                "typeOfExploitation", "meansOfControl", "recruiterRelationship"]
QUASI_IDENTIFIERS = ["yearOfRegistration", "gender", "ageBroad", "citizenship"]
# CTDC's broad age bands, then the coarser ladders used when a group is too small.
_AGE_BANDS = [(0, 8, "0--8"), (9, 17, "9--17"), (18, 20, "18--20"), (21, 23, "21--23"),
              (24, 26, "24--26"), (27, 29, "27--29"), (30, 38, "30--38"), (39, 47, "39--47")]
_GENDER = {"female": "Woman", "male": "Man"}


def age_band(age: int | None) -> str:
    if age is None or age < 0:
        return UNKNOWN
    for low, high, label in _AGE_BANDS:
        if low <= age <= high:
            return label
    return "48+"


def _minor(band: str) -> str:
    if band == UNKNOWN:
        return UNKNOWN
    return "0--17" if band in ("0--8", "9--17") else "18+"


def _generalise(row: dict[str, Any], level: int) -> dict[str, Any]:
    """Level 0: as is; 1: minor / adult; 2: year to a five-year span; 3: no age;
    4: no gender; 5: no year."""
    out = dict(row)
    if level >= 1:
        out["ageBroad"] = _minor(row["ageBroad"])
    if level >= 2 and row["yearOfRegistration"] != UNKNOWN:
        first = int(row["yearOfRegistration"]) // 5 * 5
        out["yearOfRegistration"] = f"{first}--{first + 4}"
    if level >= 3:
        out["ageBroad"] = UNKNOWN
    if level >= 4:
        out["gender"] = UNKNOWN
    if level >= 5:
        out["yearOfRegistration"] = UNKNOWN
    return out


MAX_LEVEL = 5


def k_anonymise(rows: list[dict[str, Any]], k: int = DEFAULT_K) -> list[dict[str, Any]]:
    """Local recoding: each row keeps the finest level at which its quasi-identifier
    combination is shared by ≥ k rows still being placed; rows in no such group at the
    coarsest level are dropped (suppressed)."""
    pending = list(rows)
    released: list[dict[str, Any]] = []
    for level in range(MAX_LEVEL + 1):
        recoded = [_generalise(r, level) for r in pending]
        counts = Counter(tuple(r[q] for q in QUASI_IDENTIFIERS) for r in recoded)
        still = []
        for row, original in zip(recoded, pending, strict=True):
            if counts[tuple(row[q] for q in QUASI_IDENTIFIERS)] >= k:
                released.append(row)
            else:
                still.append(original)
        pending = still
    return released


def ctdc_rows(unit: Unit) -> list[dict[str, Any]]:
    """One row per support case of a victim (returned, or being identified) in the subtree,
    before anonymisation. Only the plain ``sex`` and ``birth_year`` of the person are read:
    never an encrypted identity field."""
    from ctip.cases.models import SupportCase
    from ctip.reports.indicators import VICTIM_KINDS

    cases = (SupportCase.objects.filter(Q(unit_path__subtree=unit.path), kind__in=VICTIM_KINDS)
             .order_by("opened_on", "pk")
             .values_list("opened_on", "person__sex", "person__birth_year"))
    rows = []
    for opened_on, sex, birth_year in cases:
        year = opened_on.year if isinstance(opened_on, dt.date) else None
        age = year - birth_year if year and birth_year else None
        rows.append({
            "yearOfRegistration": str(year) if year else UNKNOWN,
            "gender": _GENDER.get(sex, UNKNOWN),
            "ageBroad": age_band(age),
            "citizenship": UNKNOWN,
            "typeOfExploitation": UNKNOWN,
            "meansOfControl": UNKNOWN,
            "recruiterRelationship": UNKNOWN,
        })
    return rows


def ctdc_export(unit: Unit, k: int = DEFAULT_K) -> list[dict[str, Any]]:
    """The victims' cases of the subtree in the shape of the CTDC global dataset, k-anonymous
    (k = 11 by default, as CTDC publishes).

    The case model records no type of exploitation, means of control, recruiter relationship
    or citizenship, so those columns are exported as ``"unknown"`` (they are constant and
    identify nobody). The quasi-identifiers are year of registration (the year the case was
    opened), gender and broad age (at opening, from the year of birth). Rows are generalised
    step by step (age to minor/adult, year to a five-year span, then age, gender and year
    withheld) until every combination of quasi-identifiers is shared by at least ``k`` rows;
    rows that still fall in a smaller group are suppressed (left out)."""
    return k_anonymise(ctdc_rows(unit), k)
