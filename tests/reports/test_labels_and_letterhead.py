"""Issue 11, point 5: one Vietnamese name per indicator on every surface, the report PDF
issued by the Union organ with an installation's letterhead, drafts marked as drafts, and
"no target" never printed as 0 %."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from ctip.reports import actions, pdf
from ctip.reports import indicators as ind
from ctip.reports.models import Report, ReportType
from tests.reports.facts import record_facts
from tests.reports.test_pdf import _pdf_text

YEAR = "period=year&year=2026"


@pytest.fixture(autouse=True)
def _vietnamese(settings: Any) -> Any:
    settings.LANGUAGE_CODE = "vi"
    with translation.override("vi"):
        yield


def _msgid(lazy: Any) -> str:
    return str(lazy._args[0])


def test_every_indicator_has_one_vietnamese_name_and_a_vietnamese_definition() -> None:
    for indicator in ind.CATALOGUE:
        assert str(indicator.name) == indicator.name_vi, indicator.code
        definition = str(indicator.definition)
        assert definition != _msgid(indicator.definition), (
            f"{indicator.code}: the definition (its tooltip) is not translated")
        if indicator.breakdowns and indicator.breakdowns[0] not in ("format", "agency"):
            for key, label, vietnamese in ind.breakdown_labels(indicator):
                assert str(label) == vietnamese, (indicator.code, key)
    with translation.override("en"):
        sessions = ind.get("sessions")
        assert str(sessions.name) == "Awareness sessions"  # English stays English


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_screen_csv_and_pdf_name_each_indicator_alike(tree: Any, users: Any, formats: Any,
                                                      client_for: Any) -> None:
    record_facts(tree, users, formats)
    client = client_for(users["commune_officer"])
    query = f"?unit={tree.commune_a.pk}&{YEAR}"
    screen = _text(client.get(reverse("reports:indicators") + query).content.decode())
    response = client.get(reverse("reports:export_csv") + query)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    csv_names = {row[1] for row in rows[1:-1]}
    report = actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    report = actions.submit(actor=users["commune_officer"], report=report)
    printed = _text(pdf.render_html(report))
    for code in ("sessions", "participants", "situations", "services", "commendations"):
        name = ind.get(code).name_vi
        assert name in screen, code
        assert name in csv_names, code
        assert name in printed, code
    # the English msgids never reach a Vietnamese screen
    assert "Awareness sessions" not in screen and "Services delivered" not in screen


@pytest.fixture
def report(tree: Any) -> Report:
    return actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))


def test_the_letterhead_names_the_union_organ_not_the_administrative_unit(
        report: Report) -> None:
    html = pdf.render_html(report, on=dt.date(2026, 8, 3))
    assert "BAN THƯỜNG VỤ HỘI LHPN XÃ ĐỨC HÒA" in html
    assert "HỘI LHPN TỈNH TÂY NINH" in html
    assert '<div class="bold">XÃ ĐỨC HÒA</div>' not in html
    assert "Tây Ninh, ngày 3 tháng 8 năm 2026" in html
    assert "Ban Thường vụ Hội LHPN tỉnh Tây Ninh" in html  # Nơi nhận
    assert "Đảng ủy, UBND xã Đức Hòa" in html
    assert "TM. BAN THƯỜNG VỤ" in html and "CHỦ TỊCH" in html


def test_a_province_report_sits_under_the_central_union(tree: Any) -> None:
    report = actions.create_or_get_draft(
        actor=None, unit=tree.province, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    html = pdf.render_html(report)
    assert "BAN THƯỜNG VỤ HỘI LHPN TỈNH TÂY NINH" in html
    assert "HỘI LIÊN HIỆP PHỤ NỮ VIỆT NAM" in html
    assert "Hội LHPN Hội" not in html and "HỘI LHPN HỘI" not in html


def test_the_letterhead_is_configured_per_installation(report: Report, settings: Any) -> None:
    settings.CTIP_REPORT_ISSUER = "Ban Chấp hành Hội Phụ nữ {unit}"
    settings.CTIP_REPORT_ORGAN = "Hội Phụ nữ {unit}"
    settings.CTIP_REPORT_PLACE = "Long An"
    settings.CTIP_REPORT_SIGNATURE = ["TM. BAN CHẤP HÀNH", "PHÓ CHỦ TỊCH"]
    html = pdf.render_html(report, on=dt.date(2026, 8, 3))
    assert "BAN CHẤP HÀNH HỘI PHỤ NỮ XÃ ĐỨC HÒA" in html
    assert "HỘI PHỤ NỮ TỈNH TÂY NINH" in html
    assert "Long An, ngày 3 tháng 8 năm 2026" in html
    assert "PHÓ CHỦ TỊCH" in html and "TM. BAN THƯỜNG VỤ" not in html


def test_a_draft_pdf_marks_its_figures_and_an_approved_one_does_not(
        tree: Any, users: Any, formats: Any, report: Report) -> None:
    record_facts(tree, users, formats)
    draft = _pdf_text(pdf.render_html(report))
    assert "DỰ THẢO" in draft and "CHƯA CHỐT" in draft
    submitted = actions.submit(actor=users["commune_officer"], report=report)
    waiting = _pdf_text(pdf.render_html(submitted))
    assert "CHỜ CẤP TRÊN PHÊ DUYỆT" in waiting and "số liệu dự thảo" in waiting
    approved = actions.approve(actor=users["province_officer"], report=submitted)
    final = _pdf_text(pdf.render_html(approved))
    assert "DỰ THẢO" not in final and "dự thảo" not in final


def test_no_target_is_printed_as_such_never_as_zero_per_cent(tree: Any, users: Any,
                                                             formats: Any,
                                                             client_for: Any,
                                                             monkeypatch: Any) -> None:
    """The campaign's progress by unit, as the dashboard's PDF prints it (the page shows
    the total line with a link to the progress page)."""
    from ctip.cases import rights
    from ctip.outreach.actions import create_campaign, set_targets
    from tests.conftest import log_activity

    printed: list[str] = []
    monkeypatch.setattr(rights, "render_pdf",
                        lambda html, base_url=None: printed.append(html) or b"%PDF-1.7")

    campaign = create_campaign(actor=None, unit=tree.province, name="Tháng hành động 2026",
                               starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31))
    set_targets(actor=None, campaign=campaign, targets={tree.commune_a: (4, 100, 1)})
    log_activity(tree.commune_b, formats["meeting"], date=dt.date(2026, 7, 10),
                 campaign=campaign)
    client = client_for(users["province_officer"])
    response = client.get(f"{reverse('reports:dashboard_pdf')}?unit={tree.province.pk}&{YEAR}")
    assert response.status_code == 200
    [page] = printed
    section = page[page.index('id="campaigns-h"'):]
    commune_b_row = re.search(r"<tr[^>]*><th scope=\"row\">Phường Tân An</th>(.*?)</tr>",
                              section).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", commune_b_row)
    assert cells[1::2] == ["không có chỉ tiêu"] * 3  # the three target columns
    assert cells[0] == "1"  # the session done is counted all the same
    bars = re.findall(r"<text[^>]*>([^<]*)</text>", section)
    # each bar is its label then its value: Tân An has no target, Đức Hòa did 0 of 4
    assert bars[bars.index("Phường Tân An") + 1] == "không có chỉ tiêu"
    assert bars[bars.index("Xã Đức Hòa") + 1] == "0 %"
