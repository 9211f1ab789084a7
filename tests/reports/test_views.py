"""The indicator page, the dashboard and the exports: content, suppression, scope, bad input."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ctip.reports import privacy
from tests.reports.facts import record_facts

YEAR = "period=year&year=2026"


@pytest.fixture
def facts(tree: Any, users: Any, formats: Any) -> Any:
    return record_facts(tree, users, formats)


def _get(client: Any, name: str, unit: Any, extra: str = YEAR) -> Any:
    return client.get(f"{reverse(name)}?unit={unit.pk}&{extra}")


def test_indicator_table_for_the_province(tree: Any, users: Any, facts: Any,
                                          client_for: Any) -> None:
    client = client_for(users["province_officer"])
    response = _get(client, "reports:indicators", tree.province)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Xã Đức Hòa" in page and "Phường Tân An" in page
    assert "Tỉnh Cao Bằng" not in page
    # drill-down links keep the period
    assert f"unit={tree.commune_a.pk}" in page and "year=2026" in page
    # the province officer holds case.view here: exact on screen, no protection legend
    assert privacy.MARK not in page and "protection-legend" not in page


def test_viewer_without_case_view_sees_suppressed_person_counts(tree: Any, users: Any,
                                                                facts: Any,
                                                                client_for: Any) -> None:
    page = _get(client_for(users["viewer"]), "reports:indicators",
                tree.province).content.decode()
    assert privacy.MARK in page and "protection-legend" in page


def test_drill_down_to_a_commune_and_out_of_scope(tree: Any, users: Any, facts: Any,
                                                  client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    page = _get(client, "reports:indicators", tree.commune_a).content.decode()
    assert "Chi hội ấp Mỹ Lộc" in page
    assert _get(client, "reports:indicators", tree.province).status_code == 404
    assert _get(client, "reports:indicators", tree.other_commune).status_code == 404
    assert client.get(reverse("reports:indicators") + "?unit=abc").status_code == 404


@pytest.mark.parametrize(("query", "message"), [
    ("period=custom&start=2026-05-02&end=2026-05-01", "before it starts"),
    ("period=month&year=2026&month=13", "month"),
    ("period=fortnight", "fortnight"),
    ("period=year&year=2026&indicator=nope", "nope"),
])
def test_bad_input_gives_a_clear_message(tree: Any, users: Any, client_for: Any,
                                         settings: Any, query: str, message: str) -> None:
    settings.LANGUAGE_CODE = "en"
    client = client_for(users["province_officer"])
    response = _get(client, "reports:indicators", tree.province, query)
    assert response.status_code == 400
    assert message in response.content.decode()
    export = _get(client, "reports:export_xlsx", tree.province, query)
    assert export.status_code == 400 and message in export.content.decode()


def test_xlsx_export(tree: Any, users: Any, facts: Any, client_for: Any) -> None:
    response = _get(client_for(users["province_officer"]), "reports:export_xlsx",
                    tree.province)
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb.active
    assert ws.freeze_panes == "D3"
    heads = [c.value for c in ws[2]]
    assert heads[:3] == ["Mã chỉ tiêu", "Chỉ tiêu", "Phân tổ"]
    assert heads[-1] == "Tổng cộng" and "Xã Đức Hòa" in heads
    assert all(c.font.bold for c in ws[2])
    rows = {(r[0], r[2] or ""): r for r in ws.iter_rows(min_row=3, values_only=True)}
    sessions = rows[("sessions", "")]
    assert sessions[1] == "Số buổi, lượt tuyên truyền"
    assert sessions[-1] == 4 and isinstance(sessions[-1], int)
    # every export is protected: 2 situations in the province, 1 in each commune
    situations = rows[("situations", "")]
    assert situations[-1] == privacy.MARK
    assert privacy.MARK in situations[3:]


def test_csv_export(tree: Any, users: Any, facts: Any, client_for: Any) -> None:
    response = _get(client_for(users["commune_officer"]), "reports:export_csv", tree.commune_a,
                    YEAR + "&indicator=sessions&indicator=participants")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:3] == ["Mã chỉ tiêu", "Chỉ tiêu", "Phân tổ"]
    assert {line[0] for line in lines[1:-1]} == {"sessions", "participants"}
    assert lines[-1][0] == "Ghi chú"  # every file carries the legend of the protected counts


def test_dashboard_has_charts_with_tables(tree: Any, users: Any, facts: Any,
                                          client_for: Any) -> None:
    import datetime as dt

    from ctip.outreach.actions import create_campaign, set_targets
    campaign = create_campaign(actor=None, unit=tree.province, name="Tháng hành động 2026",
                               starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31))
    set_targets(actor=None, campaign=campaign, targets={tree.commune_a: (4, 100, 1)})
    client = client_for(users["province_officer"])
    page = _get(client, "reports:dashboard", tree.province).content.decode()
    assert page.count("<svg") >= 2
    assert 'id="trend-table"' in page and 'id="format-table"' in page
    assert 'id="children-table"' in page and "scale-4" in page
    # the campaign as its total line against the province's targets, with the link to its
    # progress by unit (the PDF keeps the table by unit)
    progress = reverse("outreach:campaign_detail", args=[campaign.pk])
    assert "Tháng hành động 2026" in page and f"{progress}?unit={tree.province.pk}" in page
    assert "/ 4" in page and "/ 100" in page
    commune = _get(client, "reports:dashboard", tree.commune_a).content.decode()
    assert "Chi hội ấp Mỹ Lộc" in commune


def test_dashboard_pdf(tree: Any, users: Any, facts: Any, client_for: Any) -> None:
    response = _get(client_for(users["province_officer"]), "reports:dashboard_pdf",
                    tree.province)
    assert response.status_code in (200, 503)
    if response.status_code == 200:
        assert response.content.startswith(b"%PDF")


def test_ctdc_export_only_for_a_province(tree: Any, users: Any, facts: Any,
                                         client_for: Any) -> None:
    client = client_for(users["province_officer"])
    response = _get(client, "reports:ctdc_csv", tree.province)
    assert response.status_code == 200
    header = response.content.decode().splitlines()[0]
    assert header.startswith('"yearOfRegistration","Datasource"')  # text fields are quoted
    # two victims' cases: fewer than k = 11, so no row leaves
    assert len(response.content.decode().splitlines()) == 1
    assert _get(client, "reports:ctdc_csv", tree.commune_a).status_code == 400
    assert _get(client_for(users["commune_officer"]), "reports:ctdc_csv",
                tree.province).status_code == 404


def test_dashboard_pdf_draws_every_chart_beside_its_table(tree: Any, users: Any, facts: Any,
                                                          client_for: Any,
                                                          monkeypatch: Any) -> None:
    """The PDF is laid out from the same SVG charts as the page, each with its data table."""
    import datetime as dt

    from weasyprint import HTML
    from weasyprint.images import SVGImage

    from ctip.cases import rights
    from ctip.outreach.actions import create_campaign, set_targets

    campaign = create_campaign(actor=None, unit=tree.province, name="Tháng hành động 2026",
                               starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31))
    set_targets(actor=None, campaign=campaign, targets={tree.commune_a: (4, 100, 1)})
    printed: list[str] = []
    real = rights.render_pdf

    def keep(html: str, base_url: str | None = None) -> bytes:
        printed.append(html)
        return real(html, base_url)

    monkeypatch.setattr(rights, "render_pdf", keep)
    response = _get(client_for(users["province_officer"]), "reports:dashboard_pdf",
                    tree.province)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    [html] = printed
    svgs = html.count("<svg")
    assert svgs >= 3  # the trend, the formats and the campaign's progress
    assert 'id="trend-table"' in html and 'id="format-table"' in html
    assert 'id="children-table"' in html
    document = HTML(string=html).render()
    drawn, text = 0, []
    for page in document.pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if isinstance(getattr(box, "replacement", None), SVGImage):
                drawn += 1
            if getattr(box, "text", None):
                text.append(box.text)
            stack.extend(getattr(box, "children", []))
    assert drawn == svgs  # every chart is drawn in the PDF, none dropped
    laid_out = " ".join(text)
    # the tables beside the charts are in the PDF too, with their numbers
    assert "Sessions by format" in laid_out or "Số buổi theo hình thức" in laid_out
    assert "Xã Đức Hòa" in laid_out and "Tháng hành động 2026" in laid_out
