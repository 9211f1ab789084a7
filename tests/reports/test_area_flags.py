"""Area flags apply below the flagged unit (issue 11, point 4): a border commune's sessions
logged at its village branches and groups count as border, in the roll-ups the triggers keep,
in the indicators read from the records, and in ``ctip reports rebuild --check``."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

from django.core.management import call_command

from ctip.org.actions import create_unit, move_subtree, update_unit
from ctip.reports import indicators as ind
from ctip.reports import rollups
from ctip.reports.periods import Period
from tests.conftest import log_activity
from tests.reports.test_rollups import CLEAN, from_records

YEAR = Period.year(2026)
CODE = "sessions_border_remote"


def _area(tree: Any) -> tuple[dict[str, int], list[tuple[str, dict[str, int]]]]:
    whole, children = ind.compute_with_children(tree.province, YEAR, [CODE])
    return whole[CODE], [(u.name, v[CODE]) for u, v in children]


def _both_ways_and_rebuild(tree: Any, monkeypatch: Any) -> dict[str, int]:
    """The value from the roll-ups; the same from the records; the kept roll-ups equal a
    rebuild (``rebuild --check`` passes)."""
    assert rollups.differences() == CLEAN
    call_command("reports", "rebuild", "--check", stdout=StringIO())
    kept = _area(tree)
    with monkeypatch.context() as m:
        from_records(m)
        assert _area(tree) == kept
    return kept[0]


def test_a_border_communes_branches_count_as_border(tree: Any, formats: Any,
                                                    monkeypatch: Any) -> None:
    units = [tree.branch_a1, tree.branch_a2, tree.group_a1]
    for i in range(18):
        log_activity(units[i % 3], formats["meeting"], date=dt.date(2026, 1 + i % 11, 2),
                     title=f"Sinh hoạt chi hội {i}")
    log_activity(tree.commune_b, formats["meeting"], date=dt.date(2026, 3, 3), title="Xã B")
    assert _both_ways_and_rebuild(tree, monkeypatch)["border"] == 0

    update_unit(actor=None, unit=tree.commune_a, is_border=True)
    value = _both_ways_and_rebuild(tree, monkeypatch)
    assert value == {"total": 18, "border": 18, "remote": 0}
    # the commune's row of the province table too
    rows = dict(_area(tree)[1])
    assert rows[tree.commune_a.name]["border"] == 18 and rows[tree.commune_b.name]["total"] == 0

    # a flag below a flagged unit adds nothing; removing it takes nothing away
    update_unit(actor=None, unit=tree.branch_a1, is_border=True, is_remote=True)
    value = _both_ways_and_rebuild(tree, monkeypatch)
    assert value == {"total": 18, "border": 18, "remote": 12}   # branch_a1 and its group
    update_unit(actor=None, unit=tree.branch_a1, is_border=False)
    assert _both_ways_and_rebuild(tree, monkeypatch)["border"] == 18

    # the commune loses the flag: only what lies below a unit still flagged stays
    update_unit(actor=None, unit=tree.commune_a, is_border=False)
    value = _both_ways_and_rebuild(tree, monkeypatch)
    assert value == {"total": 12, "border": 0, "remote": 12}

    # a branch moved under another commune keeps the place its past sessions were recorded
    update_unit(actor=None, unit=tree.commune_a, is_border=True)
    other = create_unit(actor=None, parent=tree.province, name="Xã Biên Giới Mới",
                        unit_type=tree.commune_a.unit_type)
    move_subtree(actor=None, unit=tree.branch_a2, new_parent=other)
    tree.branch_a2.refresh_from_db()
    log_activity(tree.branch_a2, formats["meeting"], date=dt.date(2026, 11, 11),
                 title="Sau khi chuyển")
    value = _both_ways_and_rebuild(tree, monkeypatch)
    assert value == {"total": 18, "border": 18, "remote": 12}


def test_a_branch_of_a_border_commune_records_exchanges(tree: Any, users: Any) -> None:
    import pytest

    from ctip.community.actions import create_exchange
    from ctip.community.selectors import border_units
    from ctip.core.errors import ActionError

    def record() -> Any:
        return create_exchange(actor=None, unit=tree.branch_a1, date=dt.date(2026, 5, 20),
                               counterpart_area="Svay Rieng", participants=12)

    with pytest.raises(ActionError):
        record()
    update_unit(actor=None, unit=tree.commune_a, is_border=True)
    assert record().unit == tree.branch_a1
    offered = set(border_units(users["commune_officer"]))
    assert {tree.commune_a, tree.branch_a1, tree.group_a1} <= offered
    assert tree.commune_b not in offered
