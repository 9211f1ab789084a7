"""The dashboard's body and the indicator table are kept in the cache under the data version
(``reports.caching``, decision 0051): a repeated request reuses them, a new activity or an
approved report shows at once, and the protected and the exact fragments never mix."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ctip.org.models import Unit
from ctip.reports import actions as report_actions
from ctip.reports import caching, privacy
from ctip.reports.models import ReportType
from tests.conftest import log_activity
from tests.reports.facts import record_facts

YEAR = "period=year&year=2026"
PAGES = ("reports:dashboard", "reports:indicators")


@pytest.fixture
def facts(tree: Any, users: Any, formats: Any) -> Any:
    return record_facts(tree, users, formats)


def _get(client: Any, name: str, unit: Any) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{reverse(name)}?unit={unit.pk}&{YEAR}")
    assert response.status_code == 200
    return response.content.decode(), len(captured)


def _sessions(page: str) -> str:
    """The total of sessions the dashboard shows (the foot of the table by format)."""
    found = re.search(r'id="format-table".*?<tfoot>.*?<td class="num">([^<]*)</td>', page,
                      re.S)
    assert found, "no total of sessions on the dashboard"
    return found.group(1)


def _stable(page: str) -> str:
    """The page without what changes on every request (the CSP nonce, the CSRF token)."""
    return re.sub(r'"[A-Za-z0-9+/=_-]{20,}"', '""', page)


def _rename_unseen(unit: Unit, name: str) -> None:
    """Change what the pages show without any write the cache listens to (no audit event,
    no roll-up row, and the change marks of the rename taken away, as while the triggers
    are off): what a cached fragment cannot know of."""
    from ctip.reports.models import ChangeMark

    newest = ChangeMark.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    Unit.objects.filter(pk=unit.pk).update(name=name)
    assert ChangeMark.objects.filter(pk__gt=newest).delete()[0] == 1  # marked, then unmarked


@pytest.mark.parametrize("name", PAGES)
def test_a_repeated_request_reuses_the_fragment(name: str, tree: Any, users: Any, facts: Any,
                                                client_for: Any) -> None:
    client = client_for(users["province_officer"])
    first, first_queries = _get(client, name, tree.province)
    _rename_unseen(tree.commune_b, "Phường Đổi Tên Lặng Lẽ")
    again, again_queries = _get(client, name, tree.province)
    assert "Phường Đổi Tên Lặng Lẽ" not in again  # the kept fragment, not a new one
    assert again_queries < first_queries
    cache.clear()
    assert "Phường Đổi Tên Lặng Lẽ" in _get(client, name, tree.province)[0]


def test_a_new_activity_shows_at_once(tree: Any, users: Any, facts: Any, formats: Any,
                                      client_for: Any) -> None:
    client = client_for(users["province_officer"])
    before = _sessions(_get(client, "reports:dashboard", tree.province)[0])
    table_before = _get(client, "reports:indicators", tree.province)[0]
    _rename_unseen(tree.commune_b, "Phường Đổi Tên Lặng Lẽ")
    log_activity(tree.branch_a1, formats["meeting"], title="Buổi mới sau khi trang đã lưu")
    page = _get(client, "reports:dashboard", tree.province)[0]
    assert int(_sessions(page)) == int(before) + 1
    assert "Phường Đổi Tên Lặng Lẽ" in page
    table = _get(client, "reports:indicators", tree.province)[0]
    assert table != table_before and "Phường Đổi Tên Lặng Lẽ" in table


def test_an_approved_report_shows_at_once(tree: Any, users: Any, facts: Any,
                                          client_for: Any) -> None:
    """Approving a report changes no roll-up row but appends an audit event: every page
    kept before it is computed afresh (a publish, an approval show at once)."""
    client = client_for(users["province_officer"])
    for name in PAGES:
        _get(client, name, tree.province)
    monthly = ReportType.objects.get(code="monthly")
    report = report_actions.create_or_get_draft(actor=users["commune_officer"],
                                             unit=tree.commune_a, report_type=monthly,
                                             start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30))
    report = report_actions.submit(actor=users["commune_officer"], report=report)
    _rename_unseen(tree.commune_b, "Phường Đổi Tên Lặng Lẽ")
    report_actions.approve(actor=users["province_officer"], report=report)
    for name in PAGES:
        assert "Phường Đổi Tên Lặng Lẽ" in _get(client, name, tree.province)[0], name


def test_reading_a_record_keeps_the_fragments(tree: Any, users: Any, facts: Any,
                                              client_for: Any) -> None:
    """Audit events of reads (a situation viewed, an export) change nothing counted."""
    client = client_for(users["province_officer"])
    _get(client, "reports:dashboard", tree.province)
    _rename_unseen(tree.commune_b, "Phường Đổi Tên Lặng Lẽ")
    assert client.get(reverse("cases:situation_detail",
                              args=[facts.escalated.pk])).status_code == 200
    assert client.get(f"{reverse('reports:export_csv')}?unit={tree.province.pk}&{YEAR}"
                      ).status_code == 200
    assert "Phường Đổi Tên Lặng Lẽ" not in _get(client, "reports:dashboard", tree.province)[0]


@pytest.mark.parametrize("name", PAGES)
def test_protected_and_exact_fragments_never_mix(name: str, tree: Any, users: Any,
                                                 facts: Any, client_for: Any) -> None:
    """The officer (who may open the records) sees exact counts, the viewer protected ones,
    whoever asked first; and the viewer's kept page is the one rendered afresh."""
    officer, viewer = client_for(users["province_officer"]), client_for(users["viewer"])
    exact = _get(officer, name, tree.province)[0]
    protected = _get(viewer, name, tree.province)[0]
    assert privacy.MARK not in exact and "protection-legend" not in exact
    assert privacy.MARK in protected and "protection-legend" in protected
    assert _stable(_get(viewer, name, tree.province)[0]) == _stable(protected)
    assert privacy.MARK not in _get(officer, name, tree.province)[0]
    cache.clear()
    assert _stable(_get(viewer, name, tree.province)[0]) == _stable(protected)


@pytest.mark.parametrize("name", PAGES)
def test_a_write_in_one_commune_keeps_its_siblings_fragments(
        name: str, tree: Any, users: Any, facts: Any, formats: Any, client_for: Any) -> None:
    """The version is the unit's subtree's (decision 0059): an activity in commune A is
    counted at once by A's page and the province's, and commune B's kept page stays."""
    client = client_for(users["province_officer"])
    first = {unit.pk: _get(client, name, unit)
             for unit in (tree.commune_a, tree.commune_b, tree.province)}
    versions = {unit.pk: caching.data_version(unit) for unit in (tree.commune_a, tree.commune_b)}
    _rename_unseen(tree.commune_b, "Phường Đổi Tên Lặng Lẽ")
    log_activity(tree.branch_a1, formats["meeting"], title="Buổi mới ở xã A")
    assert caching.data_version(tree.commune_b) == versions[tree.commune_b.pk]
    assert caching.data_version(tree.commune_a) != versions[tree.commune_a.pk]
    # B: the kept fragment (fewer queries, the same page); A and the province: computed again
    page_b, queries_b = _get(client, name, tree.commune_b)
    assert queries_b < first[tree.commune_b.pk][1]
    assert _stable(page_b).replace("Phường Đổi Tên Lặng Lẽ", "Phường Tân An") == _stable(
        first[tree.commune_b.pk][0])
    for unit in (tree.commune_a, tree.province):
        page, computed = _get(client, name, unit)
        assert computed > _get(client, name, unit)[1]   # then kept
    assert "Phường Đổi Tên Lặng Lẽ" in page


@pytest.mark.parametrize("write", ["situation", "targets", "unit", "activity_below"])
def test_every_write_in_the_subtree_or_above_changes_the_unit_s_version(
        write: str, tree: Any, users: Any, facts: Any, formats: Any) -> None:
    """Writes without a roll-up row (a situation, a campaign's targets set at the province,
    a change of the tree) change the version of every unit they can concern."""
    from ctip.cases import actions as cases
    from ctip.outreach import actions as outreach
    from ctip.units.actions import update_unit

    officer = users["province_officer"]
    before = {u.pk: caching.data_version(u) for u in (tree.commune_a, tree.branch_a1,
                                                        tree.province, tree.central)}
    if write == "situation":
        cases.create_situation(actor=officer, unit=tree.branch_a1, category="recruitment",
                               source="officer", description="Tin tuyển dụng lạ.")
    elif write == "targets":
        campaign = outreach.create_campaign(actor=officer, unit=tree.province, name="Chiến dịch",
                                            starts_on=dt.date(2026, 1, 1),
                                            ends_on=dt.date(2026, 12, 31))
        outreach.set_targets(actor=officer, campaign=campaign,
                             targets={tree.commune_a: (1, 10, 1)})
    elif write == "unit":
        update_unit(actor=None, unit=tree.commune_b, name="Phường Tân An Mới")
    else:
        log_activity(tree.group_a1, formats["meeting"], title="Buổi ở tổ")
    for unit in (tree.commune_a, tree.branch_a1, tree.province, tree.central):
        assert caching.data_version(unit) != before[unit.pk], (write, unit.name)


def test_a_unit_without_writes_among_the_newest_events_follows_every_write(
        tree: Any, users: Any, facts: Any, formats: Any, monkeypatch: Any) -> None:
    """Past the window of the newest events, a unit's version is the newest write anywhere:
    still changed by every write, never left behind."""
    monkeypatch.setattr(caching, "AUDIT_WINDOW", 1)
    from ctip.cases import actions as cases

    before = caching.data_version(tree.other_commune)
    cases.create_situation(actor=users["province_officer"], unit=tree.commune_a,
                           category="recruitment", source="officer",
                           description="Tin tuyển dụng lạ.")
    after = caching.data_version(tree.other_commune)
    assert after != before and after.split(".")[-1].startswith("*")


@pytest.mark.parametrize("name", PAGES)
def test_kept_pages_after_a_sibling_s_writes_are_the_fresh_ones(
        name: str, tree: Any, users: Any, facts: Any, formats: Any, client_for: Any) -> None:
    """After an activity and an approved report in commune A, every page a viewer (protected
    counts) or the officer (exact) gets, kept or computed again, is the page rendered afresh."""
    viewer, officer = client_for(users["viewer"]), client_for(users["province_officer"])
    units = (tree.commune_a, tree.commune_b, tree.province)
    for client in (viewer, officer):
        for unit in units:
            _get(client, name, unit)
    log_activity(tree.branch_a1, formats["meeting"], title="Buổi mới ở xã A")
    monthly = ReportType.objects.get(code="monthly")
    report = report_actions.create_or_get_draft(actor=users["commune_officer"],
                                                unit=tree.commune_a, report_type=monthly,
                                                start=dt.date(2026, 6, 1),
                                                end=dt.date(2026, 6, 30))
    report = report_actions.submit(actor=users["commune_officer"], report=report)
    report_actions.approve(actor=users["province_officer"], report=report)
    served = {(c, u.pk): _stable(_get(client, name, u)[0])
              for c, client in (("viewer", viewer), ("officer", officer)) for u in units}
    cache.clear()
    for c, client in (("viewer", viewer), ("officer", officer)):
        for unit in units:
            assert served[(c, unit.pk)] == _stable(_get(client, name, unit)[0]), (c, unit.name)
    assert privacy.MARK in served[("viewer", tree.province.pk)]


def _file(client: Any, name: str, unit: Any) -> tuple[bytes, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(name, args=[unit.pk]), {"period": "year", "year": 2026})
    assert response.status_code == 200
    return response.content, len(captured)


def _sessions_line(csv_bytes: bytes) -> list[str]:
    """The headline line of the sessions in the CSV: code, name, breakdown, one per column."""
    import csv
    import io

    lines = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    return next(line for line in lines if line[:1] == ["sessions"] and line[2] == "")


def test_the_table_its_files_compute_the_figures_once_per_data_version(
        tree: Any, users: Any, facts: Any, formats: Any, client_for: Any) -> None:
    """The indicator table's page, its CSV and XLSX start from the same figures, computed once
    under the data version (``caching.figures``); a write shows in the next file at once, and
    the files are what they would be computed afresh."""
    client = client_for(users["province_officer"])
    cache.clear()
    first, computing = _file(client, "reports:unit_export_csv", tree.province)
    xlsx, xlsx_queries = _file(client, "reports:unit_export_xlsx", tree.province)
    again, reusing = _file(client, "reports:unit_export_csv", tree.province)
    assert again == first
    assert reusing < computing and xlsx_queries < computing
    _rename_unseen(tree.commune_b, "Phường Đổi Tên Lặng Lẽ")
    assert "Phường Đổi Tên Lặng Lẽ".encode() not in _file(
        client, "reports:unit_export_csv", tree.province)[0]  # the kept figures' columns
    Unit.objects.filter(pk=tree.commune_b.pk).update(name=tree.commune_b.name)
    cache.clear()
    assert _file(client, "reports:unit_export_csv", tree.province)[0] == first
    assert _file(client, "reports:unit_export_xlsx", tree.province)[0][:2] == xlsx[:2]
    # a new activity: the next file counts it, without waiting for the kept figures to expire
    before = _sessions_line(first)
    log_activity(tree.branch_a1, formats["meeting"], title="Buổi mới sau khi tệp đã tải")
    after = _sessions_line(_file(client, "reports:unit_export_csv", tree.province)[0])
    assert int(after[-1]) == int(before[-1]) + 1  # the total column


def test_a_viewer_s_file_stays_protected_beside_an_exact_page(
        tree: Any, users: Any, facts: Any, client_for: Any) -> None:
    """The kept figures are exact; each file and page applies disclosure control to them for
    its viewer: a viewer's CSV after an officer with exact figures opened the table is the
    protected file she would have been given first."""
    viewer = users["viewer"]
    assert not privacy.exact_on_screen(viewer, tree.province)
    cache.clear()
    protected, _n = _file(client_for(viewer), "reports:unit_export_csv", tree.province)
    cache.clear()
    officer = client_for(users["province_officer"])
    officer.get(f"{reverse('reports:indicators')}?unit={tree.province.pk}&{YEAR}")
    assert _file(client_for(viewer), "reports:unit_export_csv", tree.province)[0] == protected


# The records an action can move to another unit, and how: the action writes the record's new
# unit path (``<record>.unit_path = ``), so the old unit's version must see the move too.
MOVERS = ("club", "exchange", "speaker")


def _moved(kind: str, tree: Any, officer: Any) -> None:
    from ctip.community import actions as community
    from ctip.community.models import ClubType
    from ctip.outreach import actions as outreach
    from ctip.units.actions import update_unit

    if kind == "club":
        club = community.create_club(
            actor=officer, unit=tree.commune_a, name="Mô hình phòng chống mua bán người",
            club_type=ClubType.objects.get(code="anti-trafficking"),
            founded_on=dt.date(2026, 3, 8), is_prevention_model=True)
        before = caching.data_version(tree.commune_a)
        community.update_club(actor=officer, club=club, unit=tree.commune_b)
    elif kind == "exchange":
        for unit in (tree.commune_a, tree.commune_b):
            update_unit(actor=None, unit=unit, is_border=True)
        exchange = community.create_exchange(actor=officer, unit=tree.commune_a,
                                             date=dt.date(2026, 5, 20),
                                             counterpart_area="Svay Rieng", participants=20)
        before = caching.data_version(tree.commune_a)
        community.update_exchange(actor=officer, exchange=exchange, unit=tree.commune_b)
    else:
        speaker = outreach.create_speaker(actor=officer, unit=tree.commune_a,
                                          full_name="Trần Thị Hà")
        before = caching.data_version(tree.commune_a)
        outreach.update_speaker(actor=officer, speaker=speaker, unit=tree.commune_b)
    assert caching.data_version(tree.commune_a) != before, kind


@pytest.mark.parametrize("kind", MOVERS)
def test_a_record_moved_to_another_unit_changes_the_version_of_the_one_it_left(
        kind: str, tree: Any, users: Any) -> None:
    """The unit it left counts it no more (a prevention model, an exchange, a speaker's
    talks): its pages and the home's cards must not keep it. Only the events in the window
    are looked at first, so the move must be an event of the unit it left, not merely a write
    somewhere."""
    from ctip.audit.models import AuditEvent

    _moved(kind, tree, users["province_officer"])
    moved = AuditEvent.objects.get(action=f"{kind}.moved")
    assert moved.unit_path == tree.commune_a.path


def test_every_action_that_moves_a_record_is_in_the_test_above() -> None:
    """An action that writes a record's unit path anew moves it: it is one of ``MOVERS``."""
    from pathlib import Path

    import ctip

    writes = set()
    for module in Path(ctip.__file__).parent.glob("*/actions.py"):
        writes |= set(re.findall(r"^\s+(\w+)\.unit_path = ", module.read_text(), re.M))
    assert writes == set(MOVERS)
