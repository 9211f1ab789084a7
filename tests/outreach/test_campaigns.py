"""Campaign pages: create with a plan document, targets, the progress page with drill-down,
archive instead of delete, and scope."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from ctip.audit.models import AuditEvent
from ctip.community.models import Club, ClubType
from ctip.core.text import fold
from ctip.outreach import actions
from ctip.outreach.campaign_views import LEVEL_LABELS
from ctip.outreach.models import Activity, Campaign, CampaignTarget
from ctip.units.actions import create_unit
from tests.conftest import log_activity, unit_type

JULY = (dt.date(2026, 7, 1), dt.date(2026, 7, 31))
PDF = b"%PDF-1.4 plan of the month of action"


def make_campaign(unit: Any, name: str = "Tháng hành động 30/7/2026", actor: Any = None,
                  period: tuple[dt.date, dt.date] = JULY) -> Campaign:
    return actions.create_campaign(actor=actor, unit=unit, name=name, starts_on=period[0],
                                   ends_on=period[1])


def label(level: str) -> str:
    with translation.override("vi"):
        return str(LEVEL_LABELS[level])


def model_club(unit: Any, name: str, founded_on: dt.date) -> Club:
    return Club.objects.create(unit=unit, unit_path=unit.path, name=name, name_folded=fold(name),
                               club_type=ClubType.objects.first(), is_prevention_model=True,
                               founded_on=founded_on)


def row_html(body: str, unit_pk: Any) -> str:
    match = re.search(rf'<tr[^>]*data-unit="{unit_pk}".*?</tr>', body, re.S)
    assert match, f"no row for {unit_pk}"
    return match.group(0)


# --- Create, edit --------------------------------------------------------------------------------

def test_create_a_campaign_with_its_plan_document(tree: Any, users: Any,
                                                  client_for: Any) -> None:
    client = client_for(users["province_officer"])
    page = client.get(reverse("outreach:campaign_create")).content.decode()
    assert "Tỉnh Tây Ninh" in page and 'enctype="multipart/form-data"' in page
    response = client.post(reverse("outreach:campaign_create"), {
        "name": "Tháng hành động phòng, chống mua bán người 2026", "unit": tree.province.pk,
        "starts_on": "01/07/2026", "ends_on": "31/07/2026",
        "description": "Cao điểm quanh ngày 30/7.",
        "plan_document": SimpleUploadedFile("ke-hoach-30-7.pdf", PDF),
    })
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:campaign_targets", args=[campaign.pk])
    assert campaign.unit == tree.province and campaign.unit_path == tree.province.path
    assert (campaign.starts_on, campaign.ends_on) == JULY
    assert campaign.plan_document.name.endswith(".pdf")
    assert AuditEvent.objects.filter(action="campaign.created",
                                     target_id=str(campaign.pk)).exists()

    detail = client.get(reverse("outreach:campaign_detail", args=[campaign.pk])).content.decode()
    assert "Tháng hành động phòng, chống mua bán người 2026" in detail
    assert "01/07/2026" in detail and "31/07/2026" in detail
    plan_url = reverse("outreach:campaign_plan", args=[campaign.pk])
    assert f'href="{plan_url}"' in detail
    # a commune officer of the province downloads the plan
    download = client_for(users["commune_officer"]).get(plan_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")


def test_a_campaign_that_ends_before_it_starts_is_refused(tree: Any, users: Any,
                                                          client_for: Any) -> None:
    client = client_for(users["province_officer"])
    response = client.post(reverse("outreach:campaign_create"), {
        "name": "Sai ngày", "unit": tree.province.pk,
        "starts_on": "31/07/2026", "ends_on": "01/07/2026",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["ends_on"]
    assert 'id="id_ends_on_error"' in response.content.decode()
    assert "Sai ngày" in response.content.decode()  # the input is kept
    assert not Campaign.objects.exists()


def test_a_plan_that_is_not_a_document_is_refused(tree: Any, users: Any,
                                                  client_for: Any) -> None:
    client = client_for(users["province_officer"])
    response = client.post(reverse("outreach:campaign_create"), {
        "name": "Kế hoạch", "unit": tree.province.pk,
        "starts_on": "01/07/2026", "ends_on": "31/07/2026",
        "plan_document": SimpleUploadedFile("ke-hoach.pdf", b"MZ\x90\x00 a program"),
    })
    assert response.status_code == 200
    assert "ke-hoach.pdf" in response.content.decode()
    assert not Campaign.objects.exists()


def test_edit_a_campaign(tree: Any, users: Any, client_for: Any) -> None:
    campaign = make_campaign(tree.province)
    client = client_for(users["province_officer"])
    url = reverse("outreach:campaign_edit", args=[campaign.pk])
    assert "Tháng hành động 30/7/2026" in client.get(url).content.decode()
    response = client.post(url, {"name": "Tháng hành động (sửa)", "starts_on": "01/07/2026",
                                 "ends_on": "05/08/2026", "description": ""})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Tháng hành động (sửa)" and campaign.ends_on == dt.date(2026, 8, 5)
    # a commune officer sees the province's campaign but may not change it
    assert client_for(users["commune_officer"]).get(url).status_code == 404


# --- Targets --------------------------------------------------------------------------------------

def test_targets_are_saved_per_unit_one_level_down(tree: Any, users: Any,
                                                   client_for: Any) -> None:
    campaign = make_campaign(tree.province)
    client = client_for(users["province_officer"])
    url = reverse("outreach:campaign_targets", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert "Xã Đức Hòa" in page and "Phường Tân An" in page
    assert "Chi hội ấp Mỹ Lộc" not in page  # branches are one level further down
    a, b = tree.commune_a.pk, tree.commune_b.pk
    assert f'name="sessions_{a}"' in page and f'name="new_models_{b}"' in page
    response = client.post(url, {f"sessions_{a}": "10", f"participants_{a}": "300",
                                 f"new_models_{a}": "1", f"sessions_{b}": "4",
                                 f"participants_{b}": "", f"new_models_{b}": ""})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?unit={tree.province.pk}")
    targets = {t.unit_id: (t.sessions, t.participants, t.new_models)
               for t in CampaignTarget.objects.filter(campaign=campaign)}
    assert targets == {a: (10, 300, 1), b: (4, 0, 0)}
    # the page shows what was saved; a second save changes it
    page = client.get(url).content.decode()
    assert f'name="participants_{a}" value="300"' in page
    client.post(url, {f"sessions_{a}": "12", f"participants_{a}": "300",
                      f"new_models_{a}": "1", f"sessions_{b}": "4"})
    assert CampaignTarget.objects.get(campaign=campaign, unit=tree.commune_a).sessions == 12
    assert AuditEvent.objects.filter(action="campaign.targets_set").count() == 2


def test_targets_refuse_negative_numbers_and_drill_down(tree: Any, users: Any,
                                                        client_for: Any) -> None:
    campaign = make_campaign(tree.province)
    client = client_for(users["province_officer"])
    url = reverse("outreach:campaign_targets", args=[campaign.pk])
    response = client.post(url, {f"sessions_{tree.commune_a.pk}": "-3"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not CampaignTarget.objects.exists()
    below = client.get(url, {"unit": tree.commune_a.pk}).content.decode()
    assert "Chi hội ấp Mỹ Lộc" in below and "Chi hội ấp Rạch Sen" in below
    assert "Phường Tân An" not in below.split("<h1>")[1]
    # a unit outside the campaign's subtree
    assert client.get(url, {"unit": tree.other_commune.pk}).status_code == 404


# --- Progress ------------------------------------------------------------------------------------

@pytest.fixture
def july(tree: Any, users: Any, formats: Any) -> Campaign:
    """The province's July campaign with targets for both communes and work logged:

    Xã Đức Hòa (target 4 sessions, 100 participants, 1 model): 2 meetings at Mỹ Lộc, 1 at its
    group, 1 at the commune itself (25 people each) and a new model at Rạch Sen → all done.
    Phường Tân An (2 sessions, 100 participants, no model target): 1 meeting → half the
    sessions, a quarter of the participants: behind.
    """
    officer = users["province_officer"]
    campaign = make_campaign(tree.province, actor=officer)
    actions.set_targets(actor=officer, campaign=campaign, targets={
        tree.commune_a: (4, 100, 1), tree.commune_b: (2, 100, 0)})
    meeting = formats["meeting"]
    log_activity(tree.branch_a1, meeting, campaign=campaign, title="Sinh hoạt 1")
    log_activity(tree.branch_a1, meeting, campaign=campaign, title="Sinh hoạt 2")
    log_activity(tree.group_a1, meeting, campaign=campaign, title="Sinh hoạt tổ")
    log_activity(tree.commune_a, formats["thematic-talk"], campaign=campaign,
                 title="Nói chuyện chuyên đề")
    log_activity(tree.branch_b1, meeting, campaign=campaign, title="Sinh hoạt khu phố")
    # not counted: another period's work, a planned one, one outside any campaign
    log_activity(tree.branch_b1, meeting, title="Không thuộc đợt")
    log_activity(tree.branch_b1, meeting, campaign=campaign, title="Dự kiến",
                 status=Activity.Status.PLANNED, date=timezone.localdate())
    model_club(tree.branch_a2, "Mô hình phòng, chống mua bán người ấp Rạch Sen",
               dt.date(2026, 7, 20))
    model_club(tree.branch_b1, "Mô hình cũ", dt.date(2025, 3, 1))
    return campaign


def test_progress_shows_targets_against_actuals_per_commune(tree: Any, users: Any,
                                                            client_for: Any,
                                                            july: Campaign) -> None:
    response = client_for(users["province_officer"]).get(
        reverse("outreach:campaign_detail", args=[july.pk]))
    progress = response.context["progress"]
    assert progress.parent == tree.province
    by_unit = {line.unit.name: line for line in progress.lines}
    a, b = by_unit["Xã Đức Hòa"], by_unit["Phường Tân An"]
    assert [(c.actual, c.target) for c in a.cells] == [(4, 4), (100, 100), (1, 1)]
    assert [(c.actual, c.target) for c in b.cells] == [(1, 2), (25, 100), (0, 0)]
    assert (a.level, b.level) == ("done", "behind")

    body = response.content.decode()
    row_a = row_html(body, tree.commune_a.pk)
    assert "4 / 4" in row_a and "100%" in row_a and "level-done" in row_a
    assert label("done") in row_a                     # a text label, not colour alone
    row_b = row_html(body, tree.commune_b.pk)
    assert "1 / 2" in row_b and "50%" in row_b and "level-on-track" in row_b
    assert "25 / 100" in row_b and "25%" in row_b and "level-behind" in row_b
    assert label("behind") in row_b and label("on-track") in row_b
    assert "0 / —" in row_b and label("none") in row_b  # no target for new models
    # each commune name links one level down
    assert f'href="?unit={tree.commune_a.pk}"' in row_a
    assert 'scope="col"' in body and 'scope="row"' in body
    total = row_html(body, "total")
    assert "5 / 6" in total and "125 / 200" in total


def test_drill_down_to_branches_and_the_sums_match(tree: Any, users: Any, client_for: Any,
                                                   july: Campaign) -> None:
    client = client_for(users["province_officer"])
    url = reverse("outreach:campaign_detail", args=[july.pk])
    top = client.get(url).context["progress"]
    commune_row = next(line for line in top.lines if line.unit == tree.commune_a)

    response = client.get(url, {"unit": tree.commune_a.pk})
    progress = response.context["progress"]
    assert progress.parent == tree.commune_a
    by_unit = {line.unit.name: line for line in progress.lines}
    assert set(by_unit) == {"Chi hội ấp Mỹ Lộc", "Chi hội ấp Rạch Sen"}
    assert by_unit["Chi hội ấp Mỹ Lộc"].sessions.actual == 3  # its group's meeting included
    assert by_unit["Chi hội ấp Rạch Sen"].new_models.actual == 1
    assert progress.own.sessions.actual == 1                  # the talk at the commune itself
    for measure in ("sessions", "participants", "new_models"):
        below = sum(getattr(line, measure).actual for line in progress.lines)
        below += getattr(progress.own, measure).actual
        assert below == getattr(commune_row, measure).actual, measure
        assert getattr(progress.total, measure).actual == below
    # the total row carries the commune's target set by the province
    assert [c.target for c in progress.total.cells] == [4, 100, 1]

    body = response.content.decode()
    # breadcrumb back up to the province, and the branch with a group links further down
    assert f'href="?unit={tree.province.pk}"' in body
    assert f'href="?unit={tree.branch_a1.pk}"' in row_html(body, tree.branch_a1.pk)
    assert "href" not in row_html(body, tree.branch_a2.pk)  # no units below
    assert "Xã Đức Hòa" in row_html(body, "own")

    group_level = client.get(url, {"unit": tree.branch_a1.pk}).context["progress"]
    assert [line.unit for line in group_level.lines] == [tree.group_a1]
    assert group_level.lines[0].sessions.actual == 1
    assert [u.name for u in group_level.trail] == ["Tỉnh Tây Ninh", "Xã Đức Hòa"]


def test_htmx_drill_down_returns_only_the_table(tree: Any, users: Any, client_for: Any,
                                                july: Campaign) -> None:
    response = client_for(users["province_officer"]).get(
        reverse("outreach:campaign_detail", args=[july.pk]), {"unit": tree.commune_a.pk},
        HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and 'id="progress-table"' in body
    assert "Chi hội ấp Mỹ Lộc" in body


def test_a_commune_officer_starts_at_her_commune(tree: Any, users: Any, client_for: Any,
                                                 july: Campaign) -> None:
    client = client_for(users["commune_officer"])
    url = reverse("outreach:campaign_detail", args=[july.pk])
    response = client.get(url)
    progress = response.context["progress"]
    assert progress.parent == tree.commune_a and progress.trail == []
    assert {line.unit.name for line in progress.lines} == {"Chi hội ấp Mỹ Lộc",
                                                           "Chi hội ấp Rạch Sen"}
    body = response.content.decode()
    assert "Phường Tân An" not in body
    assert reverse("outreach:campaign_edit", args=[july.pk]) not in body  # no manage buttons
    # above her scope, or beside it: 404
    assert client.get(url, {"unit": tree.province.pk}).status_code == 404
    assert client.get(url, {"unit": tree.commune_b.pk}).status_code == 404
    assert client.get(url, {"unit": "x"}).status_code == 404


def test_a_campaign_of_another_province_is_not_found(tree: Any, users: Any,
                                                     client_for: Any) -> None:
    other = make_campaign(tree.other_province, name="Kế hoạch Cao Bằng")
    for role in ("commune_officer", "province_officer", "speaker"):
        client = client_for(users[role])
        assert client.get(reverse("outreach:campaign_detail", args=[other.pk])).status_code \
            == 404, role
        assert "Kế hoạch Cao Bằng" not in client.get(
            reverse("outreach:campaign_list")).content.decode()
    client = client_for(users["commune_officer"])
    for name in ("campaign_edit", "campaign_targets", "campaign_delete", "campaign_plan"):
        assert client.get(reverse(f"outreach:{name}", args=[other.pk])).status_code == 404
    assert client.post(reverse("outreach:campaign_archive", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert not other.archived
    assert AuditEvent.objects.filter(action="access.refused",
                                     actor=users["commune_officer"]).exists()


def test_progress_queries_do_not_grow_with_communes(tree: Any, users: Any, client_for: Any,
                                                    formats: Any, july: Campaign,
                                                    django_assert_max_num_queries: Any) -> None:
    client = client_for(users["province_officer"])
    url = reverse("outreach:campaign_detail", args=[july.pk])
    client.get(url)
    with django_assert_max_num_queries(20) as captured:
        client.get(url)
    baseline = len(captured)
    officer = users["province_officer"]
    targets = {}
    for i in range(25):
        commune = create_unit(actor=None, parent=tree.province, name=f"Xã mới {i:02d}",
                              unit_type=unit_type("commune"))
        branch = create_unit(actor=None, parent=commune, name=f"Chi hội {i:02d}",
                             unit_type=unit_type("branch"))
        log_activity(branch, formats["meeting"], campaign=july, title=f"Sinh hoạt {i}")
        model_club(branch, f"Mô hình {i}", dt.date(2026, 7, 10))
        targets[commune] = (2, 50, 1)
    actions.set_targets(actor=officer, campaign=july, targets=targets)
    # new units change the tree's version: the next request reads the officer's grants
    # afresh once (decision 0060); the page's own queries are what must not grow
    client.get(url)
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    body = response.content.decode()
    assert body.count("Xã mới") == 25
    first = next(iter(targets))
    assert "1 / 2" in row_html(body, first.pk) and "1 / 1" in row_html(body, first.pk)


def test_progress_groups_thousands_and_formats_once_not_per_number(
        tree: Any, users: Any, client_for: Any, july: Campaign, monkeypatch: Any) -> None:
    """Targets in the thousands read "12.000" in either language (the records' format); a
    page of a hundred communes writes hundreds of numbers, so the language's format is looked
    up for the page, not for each number: the numbers formatted one by one do not grow with
    the communes."""
    from django.utils import numberformat

    officer = users["province_officer"]
    actions.set_targets(actor=officer, campaign=july, targets={tree.commune_a: (4, 12000, 1)})
    client = client_for(officer)
    url = reverse("outreach:campaign_detail", args=[july.pk])
    for language in ("vi", "en"):
        body = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert "100 / 12.000" in row_html(body, tree.commune_a.pk)
        assert "125 / 12.100" in row_html(body, "total")
    formatted: list[Any] = []
    real = numberformat.format
    monkeypatch.setattr(numberformat, "format",
                        lambda *args, **kwargs: formatted.append(args) or real(*args, **kwargs))
    client.get(url)
    baseline = len(formatted)
    for i in range(10):
        commune = create_unit(actor=None, parent=tree.province, name=f"Xã mới {i:02d}",
                              unit_type=unit_type("commune"))
        actions.set_targets(actor=officer, campaign=july, targets={commune: (2000, 50, 1)})
    client.get(url)
    formatted.clear()
    body = client.get(url).content.decode()
    assert body.count("0 / 2.000") == 10
    assert len(formatted) <= baseline


# --- Archive instead of delete ------------------------------------------------------------------

def test_deleting_a_campaign_in_use_is_refused_and_archiving_works(
        tree: Any, users: Any, client_for: Any, july: Campaign) -> None:
    client = client_for(users["province_officer"])
    delete_url = reverse("outreach:campaign_delete", args=[july.pk])
    confirm = client.get(delete_url).content.decode()
    assert "Tháng hành động 30/7/2026" in confirm
    response = client.post(delete_url)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body and "Tháng hành động 30/7/2026" in body
    archive_url = reverse("outreach:campaign_archive", args=[july.pk])
    assert f'action="{archive_url}"' in body  # archiving is offered instead
    assert Campaign.objects.filter(pk=july.pk).exists()

    response = client.post(archive_url, {"archived": "1"})
    assert response.status_code == 302
    july.refresh_from_db()
    assert july.archived
    listing = client.get(reverse("outreach:campaign_list")).content.decode()
    assert "Tháng hành động 30/7/2026" not in listing
    archived = client.get(reverse("outreach:campaign_list"), {"archived": "1"}).content.decode()
    assert "Tháng hành động 30/7/2026" in archived
    # the history stays: the progress page still opens
    assert client.get(reverse("outreach:campaign_detail", args=[july.pk])).status_code == 200
    client.post(archive_url, {"archived": "0"})
    july.refresh_from_db()
    assert not july.archived


def test_an_unused_campaign_with_targets_can_be_deleted(tree: Any, users: Any,
                                                        client_for: Any) -> None:
    officer = users["province_officer"]
    campaign = make_campaign(tree.province, name="Nhập nhầm", actor=officer)
    actions.set_targets(actor=officer, campaign=campaign, targets={tree.commune_a: (1, 1, 0)})
    response = client_for(officer).post(reverse("outreach:campaign_delete", args=[campaign.pk]))
    assert response.status_code == 302
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert not CampaignTarget.objects.exists()
    event = AuditEvent.objects.get(action="campaign.deleted")
    assert event.unit_path == tree.province.path


# --- List ----------------------------------------------------------------------------------------

def test_list_shows_running_campaigns_first(tree: Any, users: Any, client_for: Any) -> None:
    today = timezone.localdate()
    day = dt.timedelta(days=1)
    make_campaign(tree.province, "Đợt đã qua", period=(today - 90 * day, today - 60 * day))
    make_campaign(tree.province, "Đợt sắp tới", period=(today + 10 * day, today + 40 * day))
    make_campaign(tree.commune_a, "Đợt đang chạy", period=(today - day, today + day))
    make_campaign(tree.commune_b, "Đợt của phường khác", period=(today - day, today + day))
    response = client_for(users["commune_officer"]).get(reverse("outreach:campaign_list"))
    names = [c.name for c in response.context["page"]]
    assert names == ["Đợt đang chạy", "Đợt sắp tới", "Đợt đã qua"]
    body = response.content.decode()
    assert body.index("Đợt đang chạy") < body.index("Đợt sắp tới") < body.index("Đợt đã qua")
    assert reverse("outreach:campaign_create") in body
    viewer_page = client_for(users["viewer"]).get(reverse("outreach:campaign_list"))
    assert reverse("outreach:campaign_create") not in viewer_page.content.decode()
    assert len(viewer_page.context["page"]) == 4
