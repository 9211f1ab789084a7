"""The staff home's situations and reports kept under the data version of her units until the
clock changes them (decision 0094): every write of a row they are made of is on the next
visit, whatever made it (an action, a queryset ``update()``, SQL); a deadline that passes or
comes near, and the words of a deadline, change with no write at all; a visit after no write
reads neither table, and a write in another commune keeps her duties."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ctip.cases import actions
from ctip.cases.models import Situation
from ctip.reports import actions as report_actions
from ctip.reports import periods
from ctip.reports.models import Report, ReportType
from tests.conftest import at
from tests.home.test_home import page, section

NOON = dt.time(12)


def _noon() -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), NOON))


def _situation(tree: Any, users: Any, description: str = "Tin tuyển dụng lạ.") -> Situation:
    return actions.create_situation(actor=users["commune_officer"], unit=tree.commune_a,
                                    category="recruitment", source="officer",
                                    description=description)


def _new(card: str) -> int:
    """The count of new situations not yet handled the card shows (0 when it shows none)."""
    found = re.search(r"(\d+) (?:new situation|vụ việc mới)", card)
    return int(found.group(1)) if found else 0


def _card(client_for: Any, user: Any) -> str:
    """Her situations card, signed in at the moment the clock shows (a session left idle for
    hours has ended)."""
    return section(page(client_for(user)), "situations")


def _read(queries: CaptureQueriesContext) -> str:
    return " ".join(q["sql"] for q in queries.captured_queries)


def test_every_write_of_a_situation_is_on_the_next_visit_whatever_made_it(
        tree: Any, users: Any, client_for: Any) -> None:
    with at(_noon()):
        client = client_for(users["commune_officer"])
        assert _new(section(page(client), "situations")) == 0
        first = _situation(tree, users)  # an action
        html = section(page(client), "situations")
        assert first.code not in html  # received, due in a week: new, neither late nor near
        assert _new(html) == 1
        # a queryset update, as an import or a script makes it: now late
        Situation.objects.filter(pk=first.pk).update(due_at=_noon() - dt.timedelta(hours=2))
        html = section(page(client), "situations")
        assert first.code in html and ("2 h late" in html or "trễ 2 giờ" in html), html
        # SQL, no model and no audit event: closed, it leaves her list
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_situation SET state = 'closed' WHERE id = %s",
                           [first.pk])
        assert first.code not in section(page(client), "situations")
        # and deleted with SQL after it is open again: gone, whatever it was
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_situation SET state = 'received' WHERE id = %s",
                           [first.pk])
        assert first.code in section(page(client), "situations")
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM cases_situationevent WHERE situation_id = %s",
                           [first.pk])
            cursor.execute("DELETE FROM cases_situation WHERE id = %s", [first.pk])
        assert first.code not in section(page(client), "situations")


def test_a_unit_renamed_with_sql_is_on_the_next_visit(tree: Any, users: Any,
                                                      client_for: Any) -> None:
    """The card shows the unit handling a situation: a rename nothing audits still shows."""
    with at(_noon()):
        late = _situation(tree, users)
        Situation.objects.filter(pk=late.pk).update(due_at=_noon() - dt.timedelta(hours=5))
        client = client_for(users["commune_officer"])
        assert tree.commune_a.name in section(page(client), "situations")
        with connection.cursor() as cursor:
            cursor.execute("UPDATE org_unit SET name = %s WHERE id = %s",
                           ["Xã Đổi Tên Bằng Lệnh", tree.commune_a.pk])
        assert "Xã Đổi Tên Bằng Lệnh" in section(page(client), "situations")


def test_every_write_of_a_report_is_on_the_next_visit_whatever_made_it(
        tree: Any, users: Any, client_for: Any) -> None:
    monthly = ReportType.objects.get(code="monthly")
    start, end = periods.last_closed_period("monthly", timezone.localdate())
    officer = client_for(users["commune_officer"])
    province = client_for(users["province_officer"])
    owed = section(page(officer), "reports")
    assert monthly.name in owed and tree.commune_a.name in owed
    # an action: begun, on her list of drafts; submitted, off it and on the province's
    draft = report_actions.create_or_get_draft(actor=None, unit=tree.commune_a,
                                               report_type=monthly, start=start, end=end)
    detail = f'href="{reverse("reports:report_detail", args=[draft.pk])}"'
    assert detail in section(page(officer), "reports")
    report_actions.submit(actor=None, report=draft)
    assert detail not in section(page(officer), "reports")
    assert detail in section(page(province), "reports")
    # a queryset update: returned to her, as a script would, it is on her list again
    Report.objects.filter(pk=draft.pk).update(status=Report.Status.RETURNED)
    assert detail in section(page(officer), "reports")
    # the report type renamed with SQL (a row of no unit): every home shows the new name
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reports_reporttype SET name = %s WHERE id = %s",
                       ["Báo cáo tháng (tên mới)", monthly.pk])
    assert "Báo cáo tháng (tên mới)" in section(page(officer), "reports")


def test_a_deadline_passes_and_comes_near_with_no_write(tree: Any, users: Any,
                                                        client_for: Any) -> None:
    """Kept at noon, the card changes when a deadline comes within the twelve hours of "due
    soon", and when it passes, and its words follow the clock: no write in between."""
    noon = _noon()
    with at(noon):
        coming = _situation(tree, users)
        Situation.objects.filter(pk=coming.pk).update(due_at=noon + dt.timedelta(hours=14))
        officer = users["commune_officer"]
        assert coming.code not in _card(client_for, officer)  # 14 h: not near yet
        with CaptureQueriesContext(connection) as queries:
            assert coming.code not in _card(client_for, officer)
        assert '"cases_situation"' not in _read(queries)  # kept
    with at(noon + dt.timedelta(hours=2, minutes=1)):  # 11 h 59 min left: due soon
        html = _card(client_for, officer)
        assert coming.code in html and ("in 11 h" in html or "còn 11 giờ" in html), html
    with at(noon + dt.timedelta(hours=3, minutes=1)):  # an hour later: the words follow
        html = _card(client_for, officer)
        assert "in 10 h" in html or "còn 10 giờ" in html, html
    with at(noon + dt.timedelta(hours=13, minutes=59)):
        html = _card(client_for, officer)
        assert "in 1 min" in html or "còn 1 phút" in html, html
    with at(noon + dt.timedelta(hours=14, minutes=3)):  # passed: late by 3 minutes
        html = _card(client_for, officer)
        assert coming.code in html and ("3 min late" in html or "trễ 3 phút" in html), html


def test_a_visit_after_no_write_reads_no_situation_nor_report(tree: Any, users: Any,
                                                              client_for: Any) -> None:
    with at(_noon()):
        late = _situation(tree, users)
        Situation.objects.filter(pk=late.pk).update(due_at=_noon() - dt.timedelta(days=3))
        for role in ("commune_officer", "province_officer"):
            client = client_for(users[role])
            page(client)
            with CaptureQueriesContext(connection) as queries:
                html = page(client)
            read = _read(queries)
            assert '"cases_situation"' not in read and '"reports_report"' not in read, read
            assert "reports_changemark" in read  # the version was asked
            if role == "commune_officer":
                assert late.code in section(html, "situations")


def test_a_write_in_another_commune_keeps_her_duties(tree: Any, users: Any,
                                                     client_for: Any) -> None:
    with at(_noon()):
        client = client_for(users["commune_officer"])
        page(client)
        actions.create_situation(actor=users["province_officer"], unit=tree.commune_b,
                                 category="recruitment", source="officer",
                                 description="Ở phường khác.")
        with CaptureQueriesContext(connection) as queries:
            page(client)
        assert '"cases_situation"' not in _read(queries)
        # the province officer, above both, has hers made again
        province = client_for(users["province_officer"])
        page(province)
        _situation(tree, users, "Ở xã của chị.")
        with CaptureQueriesContext(connection) as queries:
            page(province)
        assert '"cases_situation"' in _read(queries)


def test_a_role_given_or_taken_changes_her_duties_at_once(tree: Any, users: Any,
                                                          client_for: Any) -> None:
    from ctip.accounts.actions import grant_role, revoke_role
    from ctip.accounts.models import Role

    with at(_noon()):
        late = _situation(tree, users)
        Situation.objects.filter(pk=late.pk).update(due_at=_noon() - dt.timedelta(hours=5))
        viewer = users["viewer"]
        client = client_for(viewer)
        assert section(page(client), "situations") == ""
        grant = grant_role(actor=users["system_admin"], user=viewer,
                            role=Role.COMMUNE_OFFICER, unit=tree.commune_a)
        assert late.code in section(page(client), "situations")
        revoke_role(actor=users["system_admin"], assignment=grant)
        assert section(page(client), "situations") == ""


def test_a_card_made_later_is_not_shown_at_an_earlier_moment(tree: Any, users: Any,
                                                            client_for: Any) -> None:
    """A request whose clock is behind the one that made the card (another server, a request
    that started earlier) makes its own: what is late at noon is not late yet a minute
    before."""
    noon = _noon()
    with at(noon):
        situation = _situation(tree, users)
        Situation.objects.filter(pk=situation.pk).update(
            due_at=noon - dt.timedelta(seconds=30))
        officer = users["commune_officer"]
        html = _card(client_for, officer)
        assert "1 min late" in html or "trễ 1 phút" in html, html
    with at(noon - dt.timedelta(minutes=1)):
        html = _card(client_for, officer)
        assert "in 1 min" in html or "còn 1 phút" in html, html
