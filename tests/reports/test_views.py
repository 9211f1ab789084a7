"""The indicator page, the dashboard and the exports: content, suppression, scope, bad input."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

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
    # the province officer holds case.view here: no suppression on screen
    assert "&lt; 5" not in page


def test_viewer_without_case_view_sees_suppressed_person_counts(tree: Any, users: Any,
                                                                facts: Any,
                                                                client_for: Any) -> None:
    page = _get(client_for(users["viewer"]), "reports:indicators",
                tree.province).content.decode()
    assert "&lt; 5" in page


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
    # every export is suppressed: 2 situations in the province, 1 in each commune
    situations = rows[("situations", "")]
    assert situations[-1] == "< 5"
    assert "< 5" in situations[3:]


def test_csv_export(tree: Any, users: Any, facts: Any, client_for: Any) -> None:
    response = _get(client_for(users["commune_officer"]), "reports:export_csv", tree.commune_a,
                    YEAR + "&indicator=sessions&indicator=participants")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:3] == ["Mã chỉ tiêu", "Chỉ tiêu", "Phân tổ"]
    assert {line[0] for line in lines[1:]} == {"sessions", "participants"}


def test_dashboard_has_charts_with_tables(tree: Any, users: Any, facts: Any,
                                          client_for: Any) -> None:
    import datetime as dt

    from ctip.outreach.actions import create_campaign, set_targets
    campaign = create_campaign(actor=None, unit=tree.province, name="Tháng hành động 2026",
                               starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31))
    set_targets(actor=None, campaign=campaign, targets={tree.commune_a: (4, 100, 1)})
    client = client_for(users["province_officer"])
    page = _get(client, "reports:dashboard", tree.province).content.decode()
    assert page.count("<svg") >= 3
    assert 'id="trend-table"' in page and 'id="format-table"' in page
    assert 'id="children-table"' in page and "scale-4" in page
    assert "Tháng hành động 2026" in page
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
    assert response.content.decode().splitlines()[0].startswith("yearOfRegistration,gender")
    # two victims' cases: fewer than k = 11, so no row leaves
    assert len(response.content.decode().splitlines()) == 1
    assert _get(client, "reports:ctdc_csv", tree.commune_a).status_code == 400
    assert _get(client_for(users["commune_officer"]), "reports:ctdc_csv",
                tree.province).status_code == 404
