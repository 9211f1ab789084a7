"""A submitted report leaves its unit: on its page (read by the unit above) and in its PDF, counts
of people below 5 show as "< 5", and no total gives them back. The stored values stay exact."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse

from ctip.accounts.capabilities import Role
from ctip.reports import actions, pdf, privacy
from ctip.reports import indicators as ind
from ctip.reports.models import Report, ReportType
from tests.conftest import make_user
from tests.reports.facts import record_facts

M = privacy.MARK
PERSON_COUNTS = [i for i in ind.CATALOGUE if i.is_person_count]


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def report(tree: Any, users: Any, formats: Any) -> Report:
    """Xã Đức Hòa's annual report: one situation, one victim's case, a few sessions."""
    record_facts(tree, users, formats)
    draft = actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(kind="annual"),
        start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    return actions.submit(actor=users["commune_officer"], report=draft)


class _Table(HTMLParser):
    """The rows of the report's indicator table: (name, value, [(part, value), ...])."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", "report-indicators") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def shown_rows(html: str) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    parser = _Table()
    parser.feed(html)
    out: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    name = ""
    for number, label, value in parser.rows[1:]:
        if number:
            name = label
            out[name] = (value, [])
        else:
            out[name][1].append((label.lstrip("— "), value))
    return out


def _small(text: str) -> bool:
    """A count of people between 1 and 4 is readable in ``text``."""
    return bool(re.fullmatch(r"[1-4]", text.strip()))


def assert_nothing_small_or_recoverable(rows: dict[str, Any]) -> None:
    for indicator in PERSON_COUNTS:
        value, parts = rows[str(indicator.name)]
        cells = [value, *[v for _label, v in parts]]
        assert not any(_small(c) for c in cells), (indicator.code, cells)


def test_the_unit_above_reads_the_report_suppressed(tree: Any, users: Any, report: Report,
                                                    client_for: Any) -> None:
    assert report.values["situations"]["total"] == 1
    assert report.values["cases_opened"]["total"] == 1
    page = client_for(users["province_officer"]).get(
        reverse("reports:report_detail", args=[report.pk])).content.decode()
    rows = shown_rows(page)
    situations = rows[str(ind.get("situations").name)]
    assert situations[0] == M
    label = next(str(lbl) for key, lbl, _vi in ind.breakdown_labels(ind.get("situations"))
                 if key == "suspected_trafficking")
    assert dict(situations[1])[label] == M  # the one situation's category
    assert rows[str(ind.get("cases_opened").name)][0] == M
    assert rows[str(ind.get("victims_supported_pct").name)][0] == M  # not "100.0 %"
    assert rows[str(ind.get("sessions").name)][0] == "2"  # not a count of people: shown
    assert 'id="suppression-note"' in page
    assert_nothing_small_or_recoverable(rows)
    # suppressed when shown, never when stored
    stored = Report.objects.get(pk=report.pk).values
    assert stored["situations"]["total"] == 1 and stored["cases_opened"]["total"] == 1


def test_the_units_own_officer_sees_the_numbers(tree: Any, users: Any, report: Report,
                                                client_for: Any) -> None:
    page = client_for(users["commune_officer"]).get(
        reverse("reports:report_detail", args=[report.pk])).content.decode()
    rows = shown_rows(page)
    assert rows[str(ind.get("situations").name)][0] == "1"
    assert rows[str(ind.get("cases_opened").name)][0] == "1"
    assert 'id="suppression-note"' not in page
    # a viewer of the commune itself who may not open cases reads it suppressed
    viewer = make_user("xem_xa", Role.VIEWER, tree.commune_a)
    rows = shown_rows(client_for(viewer).get(
        reverse("reports:report_detail", args=[report.pk])).content.decode())
    assert rows[str(ind.get("situations").name)][0] == M


def _pdf_text(html: str) -> str:
    """The text WeasyPrint lays out on the pages, in reading order."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=str(pdf.font_dir())).render()
    parts = []
    for page in document.pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if getattr(box, "text", None):
                parts.append(box.text)
            stack.extend(reversed(getattr(box, "children", [])))
    return " ".join(" ".join(parts).split())


def test_the_pdf_is_always_suppressed(tree: Any, report: Report) -> None:
    text = _pdf_text(pdf.render_html(report))
    for code in ("situations", "cases_opened", "cases_active", "victims_supported_pct",
                 "jobs_found"):
        name = ind.get(code).name_vi
        assert f"{name} {M}" in text, code
        after = text.split(name, 1)[1].split()[0]
        assert after == M.split()[0], (code, after)
    assert "Số buổi, lượt tuyên truyền 2" in text  # sessions are not people
    # no part of a breakdown of people shows 1 to 4
    rows = pdf.indicator_rows(report, hide=True)
    for row in rows:
        if ind.BY_CODE[row["code"]].is_person_count:
            cells = [row["value"], *[p["value"] for p in row["parts"]]]
            assert not any(isinstance(c, int) and 0 < c < 5 for c in cells), row
    assert Report.objects.get(pk=report.pk).values["situations"]["total"] == 1
    # the job found is a job placement service: the services by type do not give it back
    services = next(r for r in rows if r["code"] == "services")
    parts = {p["label"]: p["value"] for p in services["parts"]}
    assert report.values["services"]["job_placement"] == 1
    assert parts["Tư vấn, giới thiệu việc làm"] == M
    assert sum(v == M for v in [services["value"], *parts.values()]) >= 2
    assert "Tư vấn, giới thiệu việc làm 1" not in text


def test_the_xlsx_hides_the_job_placements_with_the_jobs_found(tree: Any, users: Any,
                                                               formats: Any,
                                                               client_for: Any) -> None:
    import io

    from openpyxl import load_workbook

    record_facts(tree, users, formats)
    response = client_for(users["province_officer"]).get(
        f"{reverse('reports:export_xlsx')}?unit={tree.province.pk}&period=year&year=2026")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    lines = {(r[0], r[2] or ""): r[3:] for r in sheet.iter_rows(min_row=3, values_only=True)}
    jobs = lines[("jobs_found", "")]
    placements = lines[("services", "Tư vấn, giới thiệu việc làm")]
    assert jobs[-1] == M  # one job found in the province
    for job, placement in zip(jobs, placements, strict=True):
        if job == M:
            assert placement == M
    assert not any(isinstance(c, int) and 0 < c < 5 for c in placements)
    # no count of people in the file shows 1 to 4, and zeros are zeros or the mark
    for (code, _part), cells in lines.items():
        if code in ind.BY_CODE and ind.get(code).is_person_count:
            assert not any(isinstance(c, int) and 0 < c < 5 for c in cells), code
    assert set(lines[("services", "Phiên dịch")]) <= {0, M}


def test_a_report_breakdown_is_perturbed_not_suppressed_around(db: Any) -> None:
    """3 situations of one category and 40 of another: the 3 shows the mark; the 40 and the
    total 43 are published within ±2 each from their own cell keys, so 43 − 40 gives noise,
    not the 3. Stored values are untouched; unprotected, zero parts are left out."""
    values = {"situations": {"total": 43, "suspected_trafficking": 3, "migrant_labour": 40,
                             "missing": 0}}
    [row] = pdf.indicator_rows(Report(values=values), hide=True)
    parts = {p["label"]: p["value"] for p in row["parts"]}
    assert abs(row["value"] - 43) <= privacy.MAX_NOISE
    assert parts["Nghi mua bán người"] == M
    assert abs(parts["Lao động di cư"] - 40) <= privacy.MAX_NOISE
    assert values["situations"]["suspected_trafficking"] == 3
    [plain] = pdf.indicator_rows(Report(values=values), hide=False)
    assert [(p["label"], p["value"]) for p in plain["parts"]] == [
        ("Lao động di cư", 40), ("Nghi mua bán người", 3)]
