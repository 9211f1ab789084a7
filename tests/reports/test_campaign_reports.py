"""Campaign reports: owed by the units taking part, reminded before they fall due (once a day),
and counted on the completeness page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ctip.outreach.actions import create_campaign, update_campaign
from ctip.outreach.models import Campaign
from ctip.reports import actions, selectors
from ctip.reports.models import Report, ReportReminder, ReportType
from ctip.reports.tasks import run_report_reminders


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    """The assertions read the English messages (the Vietnamese catalogue may change)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def campaign_type(db: Any) -> ReportType:
    return ReportType.objects.get(kind=ReportType.Kind.CAMPAIGN)


@pytest.fixture
def campaign(tree: Any) -> Campaign:
    """The province's action month, 1–31 July; its report falls due some days after."""
    return create_campaign(actor=None, unit=tree.province, name="Tháng hành động 2026",
                           starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31))


@pytest.fixture
def emails(users: Any) -> dict[str, str]:
    addresses = {"commune_officer": "xa@example.org", "other_officer": "caobang@example.org",
                 "province_officer": "tinh@example.org"}
    for key, address in addresses.items():
        users[key].email = address
        users[key].save(update_fields=["email"])
    return addresses


def campaign_report(unit: Any, campaign: Campaign, report_type: ReportType) -> Report:
    return actions.create_or_get_draft(actor=None, unit=unit, report_type=report_type,
                                           campaign=campaign)


def _sent_to(mailoutbox: Any, address: str) -> list[Any]:
    return [m for m in mailoutbox if address in m.to]


def test_campaign_report_is_reminded_before_it_falls_due(
        tree: Any, users: Any, campaign: Campaign, campaign_type: ReportType,
        emails: dict[str, str], mailoutbox: Any) -> None:
    due = campaign_type.due_date(campaign.ends_on)
    assert due == campaign.ends_on + dt.timedelta(days=campaign_type.due_days_after_period)
    owed = selectors.due_soon(due - dt.timedelta(days=2))
    owing = {o.unit.pk for o in owed if o.campaign == campaign}
    # the communes of the province that issued it, not the province itself nor another one
    assert owing == {tree.commune_a.pk, tree.commune_b.pk}

    run_report_reminders(today=due - dt.timedelta(days=2))
    [mail] = _sent_to(mailoutbox, emails["commune_officer"])
    assert "Tháng hành động 2026" in mail.subject and f"{due:%d/%m/%Y}" in mail.subject
    assert "01/07/2026–31/07/2026" in mail.body
    assert not _sent_to(mailoutbox, emails["other_officer"])
    assert not _sent_to(mailoutbox, emails["province_officer"])  # it receives the reports


def test_a_campaign_report_is_reminded_once_a_day(
        tree: Any, users: Any, campaign: Campaign, campaign_type: ReportType,
        emails: dict[str, str], mailoutbox: Any) -> None:
    day = campaign_type.due_date(campaign.ends_on) - dt.timedelta(days=1)
    first = run_report_reminders(today=day)
    again = run_report_reminders(today=day)  # the job run a second time the same day
    assert len(_sent_to(mailoutbox, emails["commune_officer"])) == 1
    assert first["reports"] == 2 and again["reports"] == 0
    assert again["already_reminded"] == 2 and again["emails"] == 0
    assert ReportReminder.objects.filter(campaign=campaign, sent_on=day).count() == 2
    run_report_reminders(today=day + dt.timedelta(days=1))  # the next day: reminded again
    assert len(_sent_to(mailoutbox, emails["commune_officer"])) == 2


def test_no_reminder_once_submitted_or_outside_the_window(
        tree: Any, users: Any, campaign: Campaign, campaign_type: ReportType,
        emails: dict[str, str], mailoutbox: Any) -> None:
    due = campaign_type.due_date(campaign.ends_on)
    # too early, and after the due date: nothing for the campaign
    for day in (due - dt.timedelta(days=selectors.REMIND_DAYS_BEFORE + 1),
                due + dt.timedelta(days=1)):
        assert not [o for o in selectors.due_soon(day) if o.campaign == campaign]
    actions.submit(actor=users["commune_officer"],
                       report=campaign_report(tree.commune_a, campaign, campaign_type))
    owed = [o for o in selectors.due_soon(due) if o.campaign == campaign]
    assert [o.unit.pk for o in owed] == [tree.commune_b.pk]
    run_report_reminders(today=due)
    assert not _sent_to(mailoutbox, emails["commune_officer"])
    # an archived campaign is owed no report
    Campaign.objects.filter(pk=campaign.pk).update(archived=True)
    assert not [o for o in selectors.due_soon(due) if o.campaign == campaign]


def test_two_campaigns_of_the_same_days_are_two_reports(
        tree: Any, users: Any, campaign: Campaign, campaign_type: ReportType) -> None:
    other = create_campaign(actor=None, unit=tree.province, name="Đợt cao điểm tháng 7",
                            starts_on=campaign.starts_on, ends_on=campaign.ends_on)
    first = campaign_report(tree.commune_a, campaign, campaign_type)
    second = campaign_report(tree.commune_a, other, campaign_type)
    assert first.pk != second.pk and second.campaign == other
    assert campaign_report(tree.commune_a, campaign, campaign_type).pk == first.pk
    actions.submit(actor=users["commune_officer"], report=first)
    owed = selectors.due_soon(campaign_type.due_date(campaign.ends_on))
    commune_a = {o.campaign.pk for o in owed if o.unit == tree.commune_a and o.campaign}
    assert commune_a == {other.pk}  # the other campaign's report is still owed


def test_completeness_of_a_campaign_report(tree: Any, users: Any, client_for: Any,
                                           campaign: Campaign,
                                           campaign_type: ReportType) -> None:
    report = campaign_report(tree.commune_a, campaign, campaign_type)
    actions.submit(actor=users["commune_officer"], report=report)
    due = campaign_type.due_date(campaign.ends_on)
    on_time = timezone.make_aware(dt.datetime.combine(due, dt.time(9)))
    Report.objects.filter(pk=report.pk).update(first_submitted_at=on_time)
    rows, _levels, total = selectors.completeness(
        tree.province, campaign_type, campaign.starts_on, campaign.ends_on,
        today=due + dt.timedelta(days=1), campaign=campaign)
    assert {r.unit.pk: r.state for r in rows} == {tree.commune_a.pk: "on_time",
                                                  tree.commune_b.pk: "missing"}
    assert (total.expected, total.submitted, total.missing) == (2, 1, 1)
    # from the central Union: only the province taking part owes one, not Cao Bằng
    rows, _levels, total = selectors.completeness(
        tree.central, campaign_type, campaign.starts_on, campaign.ends_on,
        today=due + dt.timedelta(days=1), campaign=campaign)
    assert tree.other_province.pk not in {r.unit.pk for r in rows}
    assert total.expected == 2

    client = client_for(users["province_officer"])
    page = client.get(reverse("reports:report_status"), {
        "unit": tree.province.pk, "type": campaign_type.code, "campaign": campaign.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Tháng hành động 2026" in html and "Xã Đức Hòa" in html
    assert f"{due:%d/%m/%Y}" in html
    assert html.count('data-state="') == 2
    # a campaign report without its campaign is a clear message, not a guess
    missing = client.get(reverse("reports:report_status"), {
        "unit": tree.province.pk, "type": campaign_type.code}).content.decode()
    assert "Choose the campaign this report is about." in missing
    assert 'data-state="' not in missing


def test_a_commune_starts_its_campaign_report_from_the_page(
        tree: Any, users: Any, client_for: Any, campaign: Campaign,
        campaign_type: ReportType) -> None:
    elsewhere = create_campaign(actor=None, unit=tree.other_province, name="Chiến dịch Cao Bằng",
                                starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31))
    client = client_for(users["commune_officer"])
    form = client.get(reverse("reports:report_list")).content.decode()
    assert "Tháng hành động 2026" in form and "Chiến dịch Cao Bằng" not in form
    refused = client.post(reverse("reports:report_list"), {
        "unit": tree.commune_a.pk, "report_type": campaign_type.pk, "campaign": elsewhere.pk})
    assert refused.status_code == 200 and not Report.objects.exists()
    response = client.post(reverse("reports:report_list"), {
        "unit": tree.commune_a.pk, "report_type": campaign_type.pk, "campaign": campaign.pk})
    report = Report.objects.get(unit=tree.commune_a)
    assert response.status_code == 302 and report.campaign == campaign
    assert (report.period_start, report.period_end) == (campaign.starts_on, campaign.ends_on)


def test_an_ended_campaigns_report_is_hers_to_prepare_for_a_year_and_once_begun_a_draft(
        tree: Any, users: Any, campaign: Campaign, campaign_type: ReportType) -> None:
    """On the commune officer's home: the report of a campaign her commune took part in, from
    the day after it ended (before its due date too) until a year later; once she has begun
    it, only among her drafts, even after the campaign's dates were corrected (the draft keeps
    the dates it was begun with)."""
    officer = users["commune_officer"]

    def owed_on(day: dt.date) -> list[Any]:
        return [o for o in selectors.reports_owed_by(officer, day)
                if o.campaign == campaign and o.unit == tree.commune_a]

    assert not owed_on(campaign.ends_on)  # still running
    assert len(owed_on(campaign.ends_on + dt.timedelta(days=1))) == 1  # ended, not yet due
    due = campaign_type.due_date(campaign.ends_on)
    assert len(owed_on(due + dt.timedelta(days=200))) == 1  # overdue, still hers
    assert not owed_on(campaign.ends_on + dt.timedelta(days=366))  # a year on: submissions page
    actions.create_or_get_draft(actor=None, unit=tree.commune_a,
                                report_type=campaign_type, campaign=campaign)
    update_campaign(actor=None, campaign=campaign, starts_on=dt.date(2026, 6, 25))
    assert not owed_on(due + dt.timedelta(days=1))
    assert len(selectors.reports_to_finish(officer)) == 1
