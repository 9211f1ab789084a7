"""The home page is a work list per role (issue 15.1), periodic reports are one click away
(15.2), and the permission list lives on the profile page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ctip.cases import actions
from ctip.cases.models import Situation
from ctip.reports import actions as report_actions
from ctip.reports import periods
from ctip.reports.models import Report, ReportType
from tests.cases.case_helpers import open_case
from tests.conftest import at

HOME = "/app/"


def page(client: Any, url: str = HOME) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, key: str) -> str:
    match = re.search(rf'<section[^>]*id="work-{key}"[^>]*>(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


def nav(html: str) -> str:
    match = re.search(r"<nav[^>]*>(.*?)</nav>", html, re.S)
    assert match
    return match.group(1)


def test_situations_overdue_and_due_soon_with_links(tree: Any, users: Any,
                                                    client_for: Any) -> None:
    late = actions.create_situation(actor=users["branch_head"], unit=tree.branch_a1,
                                    category="suspected_trafficking", urgency="high",
                                    source="member", description="Lời mời sang Campuchia.")
    soon = actions.create_situation(actor=users["commune_officer"], unit=tree.commune_a,
                                    category="recruitment", source="officer",
                                    description="Tin tuyển dụng lạ.")
    now = timezone.now()
    Situation.objects.filter(pk=late.pk).update(due_at=now - dt.timedelta(hours=2))
    Situation.objects.filter(pk=soon.pk).update(due_at=now + dt.timedelta(hours=3))
    html = section(page(client_for(users["commune_officer"])), "situations")
    detail = reverse("cases:situation_detail", args=[late.pk])
    assert f'href="{detail}"' in html and late.code in html
    overdue, _sep, rest = html.partition(soon.code)
    assert late.code in overdue  # overdue comes first
    assert f'href="{reverse("cases:inbox")}"' in html
    # the province officer sees them only once handled there; until then, a count of
    # what is late in the units below
    province = section(page(client_for(users["province_officer"])), "situations")
    assert late.code not in province and soon.code not in province
    assert "Overdue" in province or "Quá hạn" in province
    # a case worker, a viewer, an editor: no situations to handle
    for role in ("case_worker", "viewer", "editor"):
        assert section(page(client_for(users[role])), "situations") == ""


def test_the_reporter_follows_what_she_reported(tree: Any, users: Any,
                                                client_for: Any) -> None:
    situation = actions.create_situation(actor=users["branch_head"], unit=tree.branch_a1,
                                         category="recruitment", source="member",
                                         description="Có người lạ mời đi làm xa.")
    html = section(page(client_for(users["branch_head"])), "reported")
    assert situation.code in html and tree.commune_a.name in html
    assert f'href="{reverse("cases:situation_detail", args=[situation.pk])}"' in html


def test_follow_ups_due_and_flags_to_review(tree: Any, users: Any, client_for: Any) -> None:
    case = open_case(tree.commune_a, users["case_worker"], full_name="Lê Thị Hồng")
    actions.add_follow_up(actor=users["case_worker"], case=case,
                          due_on=timezone.localdate() + dt.timedelta(days=2),
                          what="Gọi điện hỏi thăm")
    html = section(page(client_for(users["case_worker"])), "follow-ups")
    assert case.code in html
    assert f'href="{reverse("cases:case_detail", args=[case.pk])}"' in html
    assert "Gọi điện hỏi thăm" not in html and "Lê Thị Hồng" not in html  # codes only
    assert section(page(client_for(users["commune_officer"])), "follow-ups") == ""


def test_reports_to_submit_and_to_approve_with_deadlines(tree: Any, users: Any,
                                                         client_for: Any) -> None:
    monthly = ReportType.objects.get(code="monthly")
    start, end = periods.period_bounds("monthly", 2026, 10)
    draft = report_actions.create_or_get_draft(actor=None, unit=tree.commune_a,
                                            report_type=monthly, start=start, end=end)
    officer = client_for(users["commune_officer"])
    html = section(page(officer), "reports")
    assert f'href="{reverse("reports:report_detail", args=[draft.pk])}"' in html
    assert monthly.due_date(end).strftime("%d/%m/%Y") in html
    # the province approves what the commune submitted
    Report.objects.filter(pk=draft.pk).update(status=Report.Status.SUBMITTED,
                                              submitted_at=timezone.now())
    html = section(page(client_for(users["province_officer"])), "reports")
    assert f'href="{reverse("reports:report_detail", args=[draft.pk])}"' in html
    assert f'href="{reverse("reports:report_detail", args=[draft.pk])}"' not in section(
        page(officer), "reports")
    # another province sees none of it
    assert f'href="{reverse("reports:report_detail", args=[draft.pk])}"' not in section(
        page(client_for(users["other_officer"])), "reports")


@pytest.mark.parametrize("days_after_due", [None, -1, 0, 1, 20])
def test_a_report_not_sent_stays_on_her_list_after_its_day_marked_overdue(
        tree: Any, users: Any, client_for: Any, days_after_due: int | None) -> None:
    """The month's report is on the commune officer's home from the first day after the month
    (``None``) until she submits it: still there, marked overdue, the day after its due date
    and weeks after. It once left the list on the day after its due date, as if nothing were
    owed, and appeared only in the last days before it. The page is read at noon on each day,
    so the test is the same whatever the date it runs."""
    from ctip.reports import selectors

    monthly = ReportType.objects.get(code="monthly")
    start, end = periods.last_closed_period("monthly", timezone.localdate())
    due = monthly.due_date(end)
    day = end + dt.timedelta(days=1) if days_after_due is None else \
        due + dt.timedelta(days=days_after_due)
    assert periods.last_closed_period("monthly", day) == (start, end)  # still that month's
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    officer = users["commune_officer"]
    owed = [o for o in selectors.reports_owed_by(officer, day)
            if o.report_type == monthly and o.unit == tree.commune_a]
    assert [(o.start, o.end, o.due) for o in owed] == [(start, end, due)]
    with at(noon):
        client = client_for(officer)  # signed in on that day
        html = section(page(client), "reports")
        line = next((li for li in re.findall(r"<li>(.*?)</li>", html, re.S)
                     if monthly.name in li and tree.commune_a.name in li), "")
        assert due.strftime("%d/%m/%Y") in line, html
        assert ('class="badge overdue"' in line) is (day > due), line
        # begun, it is on the list of drafts to finish, not on both
        draft = report_actions.create_or_get_draft(actor=None, unit=tree.commune_a,
                                                   report_type=monthly, start=start, end=end)
        assert not [o for o in selectors.reports_owed_by(officer, day)
                    if o.report_type == monthly and o.unit == tree.commune_a]
        lines = [li for li in re.findall(r"<li>(.*?)</li>", section(page(client), "reports"),
                                         re.S)
                 if monthly.name in li and tree.commune_a.name in li]
        assert len(lines) == 1, lines
        assert f'href="{reverse("reports:report_detail", args=[draft.pk])}"' in lines[0]
        # submitted, it leaves the list
        report_actions.submit(actor=None, report=draft)
        assert not [o for o in selectors.reports_owed_by(officer, day)
                    if o.report_type == monthly and o.unit == tree.commune_a]
        assert not [li for li in re.findall(r"<li>(.*?)</li>", section(page(client), "reports"),
                                            re.S)
                    if monthly.name in li and tree.commune_a.name in li
                    and f"{start:%d/%m/%Y}" in li]


def test_periodic_reports_are_in_the_navigation(users: Any, client_for: Any) -> None:
    link = f'href="{reverse("reports:report_list")}"'
    for role in ("commune_officer", "province_officer", "viewer"):
        assert link in nav(page(client_for(users[role]))), role
    for role in ("branch_head", "editor", "case_worker"):
        assert link not in nav(page(client_for(users[role]))), role


def test_editors_and_publishers_land_on_the_bulletin(users: Any, client_for: Any) -> None:
    for role in ("editor", "publisher"):
        html = section(page(client_for(users[role])), "bulletin")
        assert 'href="/cms/"' in html, role
    assert section(page(client_for(users["commune_officer"])), "bulletin") == ""


def campaign_with_activity(tree: Any, users: Any, formats: Any) -> tuple[Any, Any]:
    """A campaign of the province running today, and a done activity of commune A in it (40
    participants)."""
    from ctip.outreach import actions as outreach

    today = timezone.localdate()
    campaign = outreach.create_campaign(actor=users["province_officer"], unit=tree.province,
                                        name="Tháng hành động 2026",
                                        starts_on=today - dt.timedelta(days=10),
                                        ends_on=today + dt.timedelta(days=20))
    activity = outreach.create_activity(
        actor=users["commune_officer"], unit=tree.commune_a, date=today,
        format=formats["meeting"], title="Sinh hoạt chuyên đề phòng chống mua bán người",
        campaign=campaign, participants_total=40)
    return campaign, activity


def test_campaign_progress_and_recent_records(tree: Any, users: Any, client_for: Any,
                                              formats: Any) -> None:
    campaign, activity = campaign_with_activity(tree, users, formats)
    html = page(client_for(users["commune_officer"]))
    progress = section(html, "campaigns")
    assert campaign.name in progress
    detail = reverse("outreach:campaign_detail", args=[campaign.pk])
    assert f'href="{detail}?unit={tree.commune_a.pk}"' in progress  # at her level
    recent = section(html, "recent")
    assert f'href="{reverse("outreach:activity_detail", args=[activity.pk])}"' in recent


@pytest.mark.parametrize("window", [2, 500])
def test_recorded_lately_are_hers_newest_first(window: int, tree: Any, users: Any,
                                               formats: Any, client_for: Any,
                                               monkeypatch: Any) -> None:
    """Her units' newest activities, whether they are among the newest of the whole table
    (window 500) or others recorded many since (window 2: the unit-path index answers)."""
    from ctip.home import worklist
    from tests.conftest import log_activity

    monkeypatch.setattr(worklist, "RECENT_WINDOW", window)
    hers = [log_activity(unit, formats["meeting"], title=f"Buổi của xã {i}")
            for i, unit in enumerate([tree.commune_a, tree.branch_a1, tree.commune_a])]
    others = [log_activity(tree.other_commune, formats["meeting"], title=f"Buổi tỉnh khác {i}")
              for i in range(4)]
    recent = section(page(client_for(users["commune_officer"])), "recent")
    links = re.findall(r'href="([^"]+)"', recent)
    shown = [reverse("outreach:activity_detail", args=[a.pk]) for a in reversed(hers)]
    assert [link for link in links if link in shown] == shown
    for activity in others:
        assert reverse("outreach:activity_detail", args=[activity.pk]) not in links


def test_the_permission_list_is_on_the_profile_not_the_home(users: Any,
                                                            client_for: Any) -> None:
    from django.utils.translation import gettext, override

    client = client_for(users["commune_officer"])
    with override("vi"):
        label = gettext("Handle, escalate and refer situations")
    assert label not in page(client)
    assert label in page(client, reverse("accounts:profile"))


def test_the_campaign_card_shows_the_first_three_running_of_her_campaign_list(
        tree: Any, users: Any, client_for: Any) -> None:
    """The card takes the running campaigns in the order of her campaigns page: newest start
    first, then by name; none upcoming, past, archived or outside her units."""
    from ctip.outreach import actions as outreach
    from ctip.outreach.models import Campaign
    from ctip.outreach.selectors import campaigns_listed

    today = timezone.localdate()
    day = dt.timedelta(days=1)

    def campaign(unit: Any, name: str, starts: int, ends: int) -> Campaign:
        return outreach.create_campaign(actor=users["province_officer"], unit=unit, name=name,
                                        starts_on=today + starts * day,
                                        ends_on=today + ends * day)

    campaign(tree.province, "Chiến dịch tỉnh", -30, 30)
    campaign(tree.commune_a, "Chiến dịch xã A, cũ", -20, 5)
    campaign(tree.commune_a, "Chiến dịch xã A, mới", -2, 10)
    campaign(tree.commune_a, "Bắt đầu cùng ngày", -2, 1)
    campaign(tree.commune_a, "Sắp tới", 3, 30)
    campaign(tree.commune_a, "Đã xong", -40, -1)
    campaign(tree.commune_b, "Chiến dịch xã B", -1, 9)  # not hers
    archived = campaign(tree.commune_a, "Đã lưu trữ", -1, 9)
    Campaign.objects.filter(pk=archived.pk).update(archived=True)

    officer = users["commune_officer"]
    listed = [c.name for c in campaigns_listed(officer, today=today) if c.phase == 0]
    assert listed == ["Bắt đầu cùng ngày", "Chiến dịch xã A, mới", "Chiến dịch xã A, cũ",
                      "Chiến dịch tỉnh"]
    progress = section(page(client_for(officer)), "campaigns")
    shown = [name for name in listed if name in progress]
    assert shown == listed[:3]
    assert [progress.index(name) for name in shown] == sorted(
        progress.index(name) for name in shown)
    for name in ("Chiến dịch tỉnh", "Sắp tới", "Đã xong", "Chiến dịch xã B", "Đã lưu trữ"):
        assert name not in progress
