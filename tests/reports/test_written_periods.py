"""Periods are read as people write them (issue 15.4), by one parser (``read_period``)
that the report forms use."""

from __future__ import annotations

import datetime as dt

import pytest

from ctip.core.errors import ActionError
from ctip.reports.periods import parse_period, read_period, read_period_of_kind

D = dt.date


@pytest.mark.parametrize("text, kind, year, number", [
    ("11/2026", "monthly", 2026, 11),
    ("T11/2026", "monthly", 2026, 11),
    ("t11/2026", "monthly", 2026, 11),
    ("Th11/2026", "monthly", 2026, 11),
    ("T.11/2026", "monthly", 2026, 11),
    ("th. 11/2026", "monthly", 2026, 11),
    ("11/26", "monthly", 2026, 11),
    ("T11/26", "monthly", 2026, 11),
    ("tháng 11/2026", "monthly", 2026, 11),
    ("Tháng 11 năm 2026", "monthly", 2026, 11),
    ("  tháng  3 / 2026 ", "monthly", 2026, 3),
    ("03-2026", "monthly", 2026, 3),
    ("2026-11", "monthly", 2026, 11),
    ("quý 3/2026", "quarterly", 2026, 3),
    ("Quý III năm 2026", "quarterly", 2026, 3),
    ("Q3/2026", "quarterly", 2026, 3),
    ("q4 2026", "quarterly", 2026, 4),
    ("2026-Q3", "quarterly", 2026, 3),
    ("6 tháng đầu năm 2026", "half", 2026, 1),
    ("6 tháng cuối năm 2026", "half", 2026, 2),
    ("6T đầu năm 2026", "half", 2026, 1),
    ("6 th cuối 2026", "half", 2026, 2),
    ("Q.3/2026", "quarterly", 2026, 3),
    ("quý 3/26", "quarterly", 2026, 3),
    ("H1/2026", "half", 2026, 1),
    ("2026-H2", "half", 2026, 2),
    ("năm 2026", "annual", 2026, 1),
    ("Năm 2026", "annual", 2026, 1),
    ("2026", "annual", 2026, 1),
])
def test_written_periods(text: str, kind: str, year: int, number: int) -> None:
    written = read_period(text)
    assert (written.kind, written.year, written.number) == (kind, year, number)


def test_bounds_of_each_kind() -> None:
    assert parse_period("monthly", "T2/2028") == (D(2028, 2, 1), D(2028, 2, 29))
    assert parse_period("quarterly", "quý 3/2026") == (D(2026, 7, 1), D(2026, 9, 30))
    assert parse_period("half", "6 tháng đầu năm 2026") == (D(2026, 1, 1), D(2026, 6, 30))
    assert parse_period("annual", "năm 2026") == (D(2026, 1, 1), D(2026, 12, 31))


@pytest.mark.parametrize("text, words", [
    ("13/2026", "1"),             # a month is between 1 and 12
    ("quý 5/2026", "4"),
    ("abc", "11/2026"),           # unreadable: examples of what is read
    ("", "11/2026"),
    ("11/1900", "1900"),
])
def test_unreadable_periods_say_why(text: str, words: str) -> None:
    with pytest.raises(ActionError) as err:
        read_period(text)
    assert err.value.field == "period" and words in err.value.message


def test_a_period_of_the_wrong_kind_names_both() -> None:
    with pytest.raises(ActionError) as err:
        read_period_of_kind("monthly", "quý 3/2026")
    message = err.value.message
    assert "quý 3/2026" in message and "11/2026" in message


def test_the_report_form_takes_11_2026(tree: object, users: dict, client_for: object) -> None:
    from django.urls import reverse

    from ctip.reports.models import Report, ReportType

    client = client_for(users["commune_officer"])  # type: ignore[operator]
    monthly = ReportType.objects.get(code="monthly")
    response = client.post(reverse("reports:report_list"), {
        "unit": tree.commune_a.pk, "report_type": monthly.pk,  # type: ignore[attr-defined]
        "period": "tháng 11/2026"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.period_start, report.period_end) == (D(2026, 11, 1), D(2026, 11, 30))
