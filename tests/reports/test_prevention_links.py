"""Which tricks to teach next (decision 0042): next to the prevention figures, the offer-check
signs that warn of each recruitment method, type of exploitation and means of control, the
outreach topics that teach it, and the activities on those topics in the same subtree and
period; a way people were trafficked with no outreach on its topic is flagged, never from more
than the figure shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from ctip.catalogues.models import Topic
from ctip.offers.models import WarningSign
from ctip.outreach import actions as outreach
from ctip.reports import actions as report_actions
from ctip.reports import privacy
from ctip.reports.models import ReportType
from tests.conftest import login_client
from tests.reports.test_prevention import _trafficked

pytestmark = pytest.mark.django_db
NO_OUTREACH = "chưa có hoạt động tuyên truyền về chủ đề này"
NO_TOPIC = "chưa có chủ đề tuyên truyền nào"
PERIOD = {"period": "year", "year": "2026"}


def _topic(name: str, *signs: str) -> Topic:
    topic = Topic.objects.create(name=name, name_folded=name.lower(), kind="trick")
    for code in signs:
        sign = WarningSign.objects.get(code=code)
        sign.topics.add(topic)
        sign.save()
    return topic


def _activity(unit: Any, day: dt.date, topic: Topic, formats: Any, n: int = 1) -> None:
    for i in range(n):
        outreach.create_activity(actor=None, unit=unit, date=day, format=formats["meeting"],
                                 title=f"Tuyên truyền {topic.name} {day} {i}", topics=[topic],
                                 participants_total=30, audit=False)


@pytest.fixture
def province(tree: Any, users: Any, formats: Any) -> dict[str, Topic]:
    """Commune A: 8 persons recruited through social networks, kept in a scam compound, its
    topic taught only in commune B this year (and in commune A the year before). Commune B:
    2 persons sold into marriage by a broker, its topic taught twice there."""
    _trafficked(tree.commune_a, users["case_worker"], 8,
                means_of_control=["confinement"])
    _trafficked(tree.commune_b, None, 2, exploitation=["forced_marriage"],
                exploitation_country="CN", recruiter_relation="broker",
                recruitment_methods=["broker"])
    online = _topic("Thủ đoạn dụ dỗ qua mạng xã hội", "social-recruiting")
    marriage = _topic("Kết hôn với người nước ngoài đúng luật", "marriage-broker")
    _activity(tree.commune_b, dt.date(2026, 3, 8), online, formats)
    _activity(tree.commune_a, dt.date(2025, 5, 1), online, formats)
    _activity(tree.commune_b, dt.date(2026, 4, 2), marriage, formats, n=2)
    return {"online": online, "marriage": marriage}


def _line(html: str, key: str) -> str:
    """The line of the links about one code, within the prevention section."""
    marker = f'data-key="{key}"'
    assert marker in html, f"no line for {key}"
    return html.split(marker, 1)[1].split("</li>", 1)[0]


def _prevention(html: str) -> str:
    return html.split('id="prevention"', 1)[1].split("</section>", 1)[0]


def _dashboard(user: Any, unit: Any) -> str:
    url = reverse("reports:unit_dashboard", args=[unit.pk])
    response = login_client(user).get(url, PERIOD)
    assert response.status_code == 200
    return _prevention(response.content.decode())


def test_the_default_mapping_is_shipped_and_checked() -> None:
    kept = WarningSign.objects.get(code="documents-kept")
    assert "documents" in kept.means_of_control
    assert "social_network" in WarningSign.objects.get(
        code="social-recruiting").recruitment_methods
    assert "forced_marriage" in WarningSign.objects.get(code="marriage-broker").exploitation
    kept.recruitment_methods = ["carrier_pigeon"]
    with pytest.raises(ValidationError) as refused:
        kept.full_clean()
    assert "recruitment_methods" in refused.value.message_dict


def test_the_dashboard_shows_signs_topics_and_the_gap_for_a_subtree(
        tree: Any, users: Any, province: dict[str, Topic]) -> None:
    online, marriage = province["online"], province["marriage"]
    commune_a = _dashboard(users["province_officer"], tree.commune_a)
    line = _line(commune_a, "social_network")
    assert 'href="/kiem-tra-loi-moi/#dau-hieu-social-recruiting"' in line
    assert escape(WarningSign.objects.get(code="social-recruiting").title) in line
    assert f'href="{reverse("outreach:topic_detail", args=[online.pk])}"' in line
    assert "0 hoạt động" in line  # last year's talk and commune B's are not this subtree's
    assert NO_OUTREACH in line
    assert 'data-key="broker"' not in commune_a  # nobody recruited that way in commune A
    # the province: commune B taught the topic this year, so the gap is closed
    whole = _dashboard(users["province_officer"], tree.province)
    line = _line(whole, "social_network")
    assert "1 hoạt động" in line and NO_OUTREACH not in line
    broker = _line(whole, "broker")
    assert marriage.name in broker and "2 hoạt động" in broker and NO_OUTREACH not in broker
    # exploitation and control have their signs too; a way with no topic at all says so
    compound = _line(whole.split('id="prevention-trafficked_exploitation"')[1],
                     "scam_compound")
    assert escape(WarningSign.objects.get(code="scam-compound").title) in compound
    assert NO_TOPIC in compound
    control = whole.split('id="prevention-trafficked_control"')[1]
    assert escape(WarningSign.objects.get(code="documents-kept").title) in _line(control,
                                                                        "confinement")


def test_a_viewer_without_the_records_sees_the_flag_only_from_protected_counts(
        tree: Any, users: Any, province: dict[str, Topic]) -> None:
    whole = _dashboard(users["viewer"], tree.province)
    # 8 persons: published as a number of 6 or more, flagged where nothing was taught
    assert NO_OUTREACH in _line(_dashboard(users["viewer"], tree.commune_a), "social_network")
    # 2 persons: shown as the mark, which may mean nobody: never flagged, never "2"
    broker = _line(whole, "broker")
    assert NO_OUTREACH not in broker and NO_TOPIC not in broker
    figure = whole.split('id="prevention-trafficked_recruitment"')[1].split("</table>")[0]
    assert privacy.MARK in figure


def test_the_periodic_report_shows_the_links_for_its_unit_and_period(
        tree: Any, users: Any, province: dict[str, Topic]) -> None:
    draft = report_actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(kind="annual"),
        start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    report = report_actions.submit(actor=users["commune_officer"], report=draft)
    url = reverse("reports:report_detail", args=[report.pk])
    for user in (users["commune_officer"], users["province_officer"]):
        page = login_client(user).get(url)
        assert page.status_code == 200
        section = page.content.decode().split('id="prevention-links"')[1].split("</section>")[0]
        line = _line(section, "social_network")
        assert province["online"].name in line and NO_OUTREACH in line
        assert 'href="/kiem-tra-loi-moi/#dau-hieu-social-recruiting"' in line


def test_the_periodic_report_document_names_the_signs_topics_and_the_gap(
        tree: Any, users: Any, province: dict[str, Topic]) -> None:
    from ctip.reports.pdf import render_html

    draft = report_actions.create_or_get_draft(
        actor=None, unit=tree.province, report_type=ReportType.objects.get(kind="annual"),
        start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    html = render_html(report_actions.submit(actor=users["province_officer"], report=draft))
    section = html.split("Phòng ngừa: thủ đoạn cần tuyên truyền tiếp theo", 1)[1]
    online = next(p for p in section.split("<p") if "qua mạng xã hội" in p)
    assert province["online"].name in online and "(1 hoạt động)" in online
    assert NO_OUTREACH not in online  # commune B taught it in the province this year
    compound = next(p for p in section.split("<p") if "cơ sở lừa đảo" in p)
    assert NO_TOPIC in compound


def test_each_sign_has_its_place_on_the_public_check(client: Any) -> None:
    body = client.get("/kiem-tra-loi-moi/").content.decode()
    for sign in WarningSign.objects.filter(active=True):
        assert f'id="dau-hieu-{sign.code}"' in body


def test_editors_set_what_a_sign_warns_of_and_its_topics_in_the_cms(users: Any) -> None:
    topic = _topic("Giữ giấy tờ tùy thân")
    sign = WarningSign.objects.get(code="kpi")
    client = login_client(users["editor"])
    edit = f"/cms/snippets/offers/warningsign/edit/{sign.pk}/"
    form = client.get(edit).content.decode()
    assert 'value="scam_compound"' in form and topic.name in form
    data = {"title": sign.title, "code": sign.code, "explanation": sign.explanation,
            "questions": sign.questions, "weight": str(sign.weight), "phrases": sign.phrases,
            "patterns": sign.patterns, "pay_threshold": "", "pay_context": "",
            "active": "on", "sort_order": "10", "recruitment_methods": ["online_ad"],
            "exploitation": ["scam_compound", "criminality"],
            "means_of_control": ["documents"], "topics": [str(topic.pk)]}
    saved = client.post(edit, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    sign.refresh_from_db()
    assert (sign.recruitment_methods, sign.exploitation, sign.means_of_control) == (
        ["online_ad"], ["scam_compound", "criminality"], ["documents"])
    assert list(sign.topics.all()) == [topic]
    refused = client.post(edit, {**data, "exploitation": ["made_up"]})
    assert refused.status_code == 200
    sign.refresh_from_db()
    assert sign.exploitation == ["scam_compound", "criminality"]
