"""Bad input to the reports gets a clear answer (or 404 outside one's scope) and loses nothing:
the cases of the issue's list that the other modules do not already walk through a page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from ctip.core.errors import ActionError
from ctip.reports import actions, pdf
from ctip.reports.models import Export, PeriodLock, Report, ReportType

JULY = (dt.date(2026, 7, 1), dt.date(2026, 7, 31))
BACKWARDS = "period=custom&start=2026-05-02&end=2026-05-01"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def monthly() -> ReportType:
    return ReportType.objects.get(code="monthly")


@pytest.fixture
def submitted(tree: Any, users: Any) -> Report:
    report = actions.create_or_get_draft(actor=None, unit=tree.commune_a,
                                             report_type=monthly(), start=JULY[0],
                                             end=JULY[1])
    return actions.submit(actor=users["commune_officer"], report=report)


# --- A period that ends before it starts --------------------------------------------------

@pytest.mark.parametrize("name", ["reports:indicators", "reports:export_xlsx",
                                  "reports:export_csv", "reports:dashboard",
                                  "reports:dashboard_pdf"])
def test_a_period_ending_before_it_starts_everywhere(tree: Any, users: Any, client_for: Any,
                                                     name: str) -> None:
    response = client_for(users["province_officer"]).get(
        f"{reverse(name)}?unit={tree.province.pk}&{BACKWARDS}")
    assert response.status_code == 400
    assert "before it starts" in response.content.decode()


def test_a_report_period_ending_before_it_starts(tree: Any, users: Any,
                                                 client_for: Any) -> None:
    with pytest.raises(ActionError, match="valid period"):
        actions.create_or_get_draft(actor=None, unit=tree.commune_a, report_type=monthly(),
                                        start=JULY[1], end=JULY[0])
    page = client_for(users["commune_officer"]).post(reverse("reports:report_list"), {
        "unit": tree.commune_a.pk, "report_type": monthly().pk, "period": "2026-13"})
    assert page.status_code == 200  # the form again, with the reason
    assert "“2026-13”" in page.content.decode()  # the reason names what was typed
    assert not Report.objects.exists()


# --- A unit outside one's scope ------------------------------------------------------------

@pytest.mark.parametrize("name", ["reports:indicators", "reports:export_xlsx",
                                  "reports:export_csv", "reports:dashboard",
                                  "reports:dashboard_pdf", "reports:ctdc_csv"])
def test_a_unit_outside_ones_scope_is_not_found(tree: Any, users: Any, client_for: Any,
                                                name: str) -> None:
    client = client_for(users["province_officer"])
    response = client.get(f"{reverse(name)}?unit={tree.other_province.pk}&period=year"
                          "&year=2026")
    assert response.status_code == 404
    commune = client_for(users["commune_officer"]).get(
        f"{reverse(name)}?unit={tree.commune_b.pk}&period=year&year=2026")
    assert commune.status_code == 404


def test_a_report_outside_ones_scope_is_not_found(tree: Any, users: Any, client_for: Any,
                                                  submitted: Report) -> None:
    other = client_for(users["other_officer"])
    for name in ("reports:report_detail", "reports:export_start", "reports:report_approve"):
        method = other.get if name == "reports:report_detail" else other.post
        assert method(reverse(name, args=[submitted.pk])).status_code == 404
    assert not Export.objects.exists()
    assert Report.objects.get(pk=submitted.pk).status == Report.Status.SUBMITTED


# --- An indicator that does not exist -------------------------------------------------------

@pytest.mark.parametrize("name", ["reports:indicators", "reports:export_csv",
                                  "reports:dashboard"])
def test_an_unknown_indicator_is_named(tree: Any, users: Any, client_for: Any,
                                       name: str) -> None:
    response = client_for(users["province_officer"]).get(
        f"{reverse(name)}?unit={tree.province.pk}&period=year&year=2026&indicator=sessions"
        "&indicator=victims_rescued")
    assert response.status_code == 400
    assert "There is no indicator “victims_rescued”." in response.content.decode()


# --- Approving one's own report, editing what is locked --------------------------------------

def test_approving_ones_own_report_through_the_page(tree: Any, users: Any,
                                                    client_for: Any) -> None:
    tinh = users["province_officer"]
    report = actions.create_or_get_draft(actor=tinh, unit=tree.commune_b,
                                             report_type=monthly(), start=JULY[0],
                                             end=JULY[1])
    actions.submit(actor=tinh, report=report)
    response = client_for(tinh).post(reverse("reports:report_approve", args=[report.pk]))
    assert response.status_code == 400
    assert "You submitted this report yourself" in response.content.decode()
    assert Report.objects.get(pk=report.pk).status == Report.Status.SUBMITTED
    assert not PeriodLock.objects.exists()


def test_editing_an_approved_report_is_refused_with_the_reason(tree: Any, users: Any,
                                                               client_for: Any,
                                                               submitted: Report) -> None:
    actions.approve(actor=users["province_officer"], report=submitted)
    response = client_for(users["commune_officer"]).post(
        reverse("reports:report_edit", args=[submitted.pk]), {"results": "Sửa lại"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This report is approved; ask Tỉnh Tây Ninh to unlock the period" in page
    assert Report.objects.get(pk=submitted.pk).results == ""


# --- An export that fails halfway ------------------------------------------------------------

def test_a_pdf_export_failing_halfway_offers_nothing_and_says_why(
        tree: Any, users: Any, client_for: Any, submitted: Report, monkeypatch: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    real = pdf.render_pdf

    def halfway(report: Report, progress: Any = None) -> bytes:
        real(report, progress=progress)  # the layout is done, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pdf, "render_pdf", halfway)
    client = client_for(users["province_officer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:export_start", args=[submitted.pk]))
    export = Export.objects.get(report=submitted)
    assert export.status == Export.Status.FAILED and not export.file
    page = client.get(response.url).content.decode()
    assert "The PDF could not be built" in page and "No space left on device" in page
    assert reverse("reports:export_download", args=[export.pk]) not in page
    assert client.get(reverse("reports:export_download",
                              args=[export.pk])).status_code == 404
    exports_dir = Path(settings.MEDIA_ROOT) / "exports"
    assert not exports_dir.exists() or not any(exports_dir.rglob("*.pdf"))
    detail = client.get(reverse("reports:report_detail", args=[submitted.pk])).content.decode()
    assert "failed" in detail
