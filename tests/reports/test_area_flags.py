"""Area flags apply below the flagged unit (issue 11, point 4): a border commune's sessions
logged at its village branches and groups count as border, in the roll-ups the triggers keep,
in the indicators read from the records, and in ``ctip reports rebuild --check``."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

from django.core.management import call_command

from ctip.org.models import Unit
from ctip.reports import indicators as ind
from ctip.reports import rollups
from ctip.reports.periods import Period
from ctip.units.actions import create_unit, move_subtree, update_unit
from ctip.units.selectors import area_q, in_area
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
    assert value == {"total": 18, "border": 18, "remote": 0, "minority": 0}
    # the commune's row of the province table too
    rows = dict(_area(tree)[1])
    assert rows[tree.commune_a.name]["border"] == 18 and rows[tree.commune_b.name]["total"] == 0

    # a flag below a flagged unit adds nothing; removing it takes nothing away
    update_unit(actor=None, unit=tree.branch_a1, is_border=True, is_remote=True)
    value = _both_ways_and_rebuild(tree, monkeypatch)
    assert value == {"total": 18, "border": 18, "remote": 12,   # branch_a1 and its group
                     "minority": 0}
    update_unit(actor=None, unit=tree.branch_a1, is_border=False)
    assert _both_ways_and_rebuild(tree, monkeypatch)["border"] == 18

    # the commune loses the flag: only what lies below a unit still flagged stays
    update_unit(actor=None, unit=tree.commune_a, is_border=False)
    value = _both_ways_and_rebuild(tree, monkeypatch)
    assert value == {"total": 12, "border": 0, "remote": 12, "minority": 0}

    # a branch moved under a commune off the border takes its past sessions with it
    # (decision 0100): they leave the border columns, and so does what it records there now
    update_unit(actor=None, unit=tree.commune_a, is_border=True)
    other = create_unit(actor=None, parent=tree.province, name="Xã Nội Địa",
                        unit_type=tree.commune_a.unit_type)
    move_subtree(actor=None, unit=tree.branch_a2, new_parent=other)
    tree.branch_a2.refresh_from_db()
    log_activity(tree.branch_a2, formats["meeting"], date=dt.date(2026, 11, 11),
                 title="Sau khi chuyển")
    value = _both_ways_and_rebuild(tree, monkeypatch)
    assert value == {"total": 12, "border": 12, "remote": 12, "minority": 0}
    rows = dict(_area(tree)[1])
    assert rows["Xã Nội Địa"]["total"] == 0 and rows[tree.commune_a.name]["border"] == 12


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


def test_an_ethnic_minority_communes_branches_count_in_the_minority_area(
        tree: Any, formats: Any, monkeypatch: Any) -> None:
    """The ethnic minority area (vùng đồng bào dân tộc thiểu số) is a third area like border
    and remote: it applies below the flagged unit, in the roll-ups, the records and the
    rebuild; the total counts an activity once whatever its areas."""
    units = [tree.branch_a1, tree.branch_a2, tree.group_a1]
    for i in range(18):
        log_activity(units[i % 3], formats["meeting"], date=dt.date(2026, 1 + i % 11, 2),
                     title=f"Sinh hoạt chi hội {i}")
    log_activity(tree.commune_b, formats["meeting"], date=dt.date(2026, 3, 3), title="Xã B")
    nothing = {"total": 0, "border": 0, "remote": 0, "minority": 0}
    assert _both_ways_and_rebuild(tree, monkeypatch) == nothing

    update_unit(actor=None, unit=tree.commune_a, is_ethnic_minority=True)
    assert _both_ways_and_rebuild(tree, monkeypatch) == {
        "total": 18, "border": 0, "remote": 0, "minority": 18}
    from ctip.audit.models import AuditEvent

    event = AuditEvent.objects.filter(action="unit.updated").latest("pk")
    assert event.changes == {"is_ethnic_minority": [False, True]}
    rows = dict(_area(tree)[1])
    assert rows[tree.commune_a.name]["minority"] == 18
    assert rows[tree.commune_b.name] == nothing
    # the units below are in the area; the commune next door is not
    assert in_area(tree.group_a1, "minority") and not in_area(tree.commune_b, "minority")
    assert not in_area(tree.group_a1, "border")
    inside = set(Unit.objects.filter(area_q("minority")))
    assert {tree.commune_a, tree.branch_a1, tree.branch_a2, tree.group_a1} <= inside
    assert tree.commune_b not in inside and tree.province not in inside

    # a branch also in the border area: counted once in the total, once in each area
    update_unit(actor=None, unit=tree.branch_a1, is_border=True)
    assert _both_ways_and_rebuild(tree, monkeypatch) == {
        "total": 18, "border": 12, "remote": 0, "minority": 18}
    # a minority flag below the flagged commune adds nothing, removing it takes nothing away
    update_unit(actor=None, unit=tree.branch_a2, is_ethnic_minority=True)
    assert _both_ways_and_rebuild(tree, monkeypatch)["minority"] == 18
    update_unit(actor=None, unit=tree.branch_a2, is_ethnic_minority=False)
    assert _both_ways_and_rebuild(tree, monkeypatch)["minority"] == 18
    # the commune loses the flag: what lies below a unit still in an area stays in the total
    update_unit(actor=None, unit=tree.commune_a, is_ethnic_minority=False)
    assert _both_ways_and_rebuild(tree, monkeypatch) == {
        "total": 12, "border": 12, "remote": 0, "minority": 0}
    # a flag set by a queryset update, as a data fix would, moves the roll-ups too
    Unit.objects.filter(pk=tree.commune_a.pk).update(is_ethnic_minority=True)
    assert _both_ways_and_rebuild(tree, monkeypatch)["minority"] == 18


def test_the_minority_breakdown_is_named_in_vietnamese(tree: Any) -> None:
    from django.utils import translation

    indicator = ind.BY_CODE[CODE]
    assert "area" in indicator.breakdowns
    with translation.override("vi"):
        assert str(indicator.name) == ("Số buổi tuyên truyền tại địa bàn biên giới, vùng sâu, "
                                       "vùng xa, vùng đồng bào dân tộc thiểu số")
        assert "dân tộc thiểu số" in str(indicator.definition)
        labels = {key: (str(label), vi) for key, label, vi in ind.breakdown_labels(indicator)}
    assert labels["minority"] == ("Vùng đồng bào dân tộc thiểu số",
                                  "Vùng đồng bào dân tộc thiểu số")
    assert list(labels) == ["border", "remote", "minority"]


def test_the_unit_form_and_page_show_the_minority_area(tree: Any, users: Any,
                                                       client_for: Any) -> None:
    from django.urls import reverse
    from django.utils import translation

    from ctip.units.actions import UNIT_FIELDS
    from ctip.units.forms import UnitForm

    client = client_for(users["province_officer"])
    edit = reverse("org:unit_edit", args=[tree.commune_a.pk])
    with translation.override("vi"):
        form_page = client.get(edit).content.decode()
    assert 'name="is_ethnic_minority"' in form_page
    assert "Vùng đồng bào dân tộc thiểu số" in form_page
    data = {f: v for f, v in UnitForm(initial={f: getattr(tree.commune_a, f)
                                               for f in UNIT_FIELDS}).initial.items()
            if v not in (None, False)}
    data["unit_type"] = tree.commune_a.unit_type.pk
    data["is_ethnic_minority"] = "on"
    data.pop("opened_on", None)
    response = client.post(edit, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Unit.objects.get(pk=tree.commune_a.pk).is_ethnic_minority
    with translation.override("vi"):
        own = client.get(reverse("org:unit_detail", args=[tree.commune_a.pk])).content.decode()
        below = client.get(reverse("org:unit_detail", args=[tree.group_a1.pk])).content.decode()
        other = client.get(reverse("org:unit_detail", args=[tree.commune_b.pk])).content.decode()
    assert "Vùng đồng bào dân tộc thiểu số" in own and "áp dụng từ" not in own
    assert f"Vùng đồng bào dân tộc thiểu số (áp dụng từ {tree.commune_a.name})" in below
    assert "dân tộc thiểu số" not in other


def test_a_split_commune_passes_its_minority_flag_on(tree: Any) -> None:
    from ctip.units.actions import SplitPart, split_unit

    update_unit(actor=None, unit=tree.commune_a, is_ethnic_minority=True)
    new = split_unit(actor=None, unit=Unit.objects.get(pk=tree.commune_a.pk), parts=[
        SplitPart(name="Xã Một", children=[tree.branch_a1]),
        SplitPart(name="Xã Hai", children=[tree.branch_a2])],
        effective_on=dt.date(2026, 7, 1))
    assert all(u.is_ethnic_minority for u in new)
