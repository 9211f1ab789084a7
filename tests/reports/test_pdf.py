"""The PDF in the official layout, built in the background with progress, and its failures."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ctip.reports import actions, pdf
from ctip.reports.models import Export, Report, ReportType
from ctip.reports.tasks import request_export, run_export

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"

@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    """The assertions read the English messages (the Vietnamese catalogue may change)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield



@pytest.fixture
def report(tree: Any, users: Any) -> Report:
    report = actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    actions.update_narrative(actor=None, report=report, number="12/BC-HPN",
                                 results="Tổ chức 3 buổi truyền thông ở ấp Mỹ Lộc.",
                                 difficulties="Địa bàn rộng, giáp biên giới.",
                                 proposals="Đề nghị hỗ trợ tài liệu tiếng Khmer.")
    return actions.submit(actor=users["commune_officer"], report=report)


def _pdf_text(html: str) -> str:
    """The text WeasyPrint laid out on the pages (pypdf is not installed)."""
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
    return " ".join(parts)


def test_official_layout(report: Report) -> None:
    html = pdf.render_html(report, on=dt.date(2026, 11, 27))
    assert "XÃ ĐỨC HÒA" in html and "Số: 12/BC-HPN" in html
    assert "Tây Ninh, ngày 27 tháng 11 năm 2026" in html
    assert "BÁO CÁO" in html and "tháng 7 năm 2026" in html
    assert "Nơi nhận:" in html and "TM. BAN THƯỜNG VỤ" in html and "CHỦ TỊCH" in html
    assert "BeVietnamPro-Regular.ttf" in html and "file://" in html
    text = _pdf_text(html)
    assert MOTTO in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "Tổ chức 3 buổi truyền thông ở ấp Mỹ Lộc." in text


def _inflated(content: bytes) -> bytes:
    """The PDF with its compressed streams (object streams included) inflated."""
    parts = [content]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", content, re.S):
        try:
            parts.append(zlib.decompressobj().decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_pdf_embeds_be_vietnam_pro(report: Report) -> None:
    content = pdf.render_pdf(report)
    assert content.startswith(b"%PDF-")
    inflated = _inflated(content)
    assert b"BeVietnamPro" in inflated
    assert b"/FontFile2" in inflated  # the font itself is embedded, not just named


def test_export_task_success(report: Report) -> None:
    export = Export.objects.create(report=report)
    export = run_export(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.progress == 100
    assert export.file and Path(export.file.path).read_bytes().startswith(b"%PDF-")


def test_export_failing_halfway_keeps_no_file(report: Report, monkeypatch: Any) -> None:
    def broken(report: Report, progress: Any = None) -> bytes:
        if progress:
            progress(40)
        raise OSError("font file unreadable")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    export = run_export(Export.objects.create(report=report).pk)
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED
    assert "font file unreadable" in export.error
    assert not export.file
    exports_dir = Path(settings.MEDIA_ROOT) / "exports"
    assert not exports_dir.exists() or not any(exports_dir.rglob("*.pdf"))


def test_failure_while_storing_removes_the_partial_file(report: Report,
                                                        monkeypatch: Any) -> None:
    from ctip.reports import tasks

    calls = {"n": 0}
    real_set = tasks._set

    def failing_set(export: Export, states: Any, **values: Any) -> bool:
        if values.get("status") == Export.Status.DONE:
            raise RuntimeError("database went away")
        calls["n"] += 1
        return real_set(export, states, **values)

    monkeypatch.setattr(tasks, "_set", failing_set)
    export = run_export(Export.objects.create(report=report).pk)
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED and "database went away" in export.error
    exports_dir = Path(settings.MEDIA_ROOT) / "exports"
    assert not exports_dir.exists() or not any(exports_dir.rglob("*.pdf"))


def test_export_pages(report: Report, users: Any, client_for: Any, monkeypatch: Any,
                      django_capture_on_commit_callbacks: Any) -> None:
    client = client_for(users["province_officer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:export_start", args=[report.pk]))
    export = Export.objects.get(report=report)
    assert response.status_code == 302 and response.url == reverse("reports:export_status",
                                                                   args=[export.pk])
    page = client.get(response.url).content.decode()
    export.refresh_from_db()
    assert export.status == Export.Status.DONE
    assert reverse("reports:export_download", args=[export.pk]) in page
    download = client.get(reverse("reports:export_download", args=[export.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    # while it runs, the page polls every two seconds; htmx gets only the fragment
    Export.objects.filter(pk=export.pk).update(status=Export.Status.RUNNING, progress=40)
    fragment = client.get(reverse("reports:export_status", args=[export.pk]),
                          headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "40%" in fragment
    assert "<html" not in fragment
    # asked again with nothing changed: nothing swapped, nothing read out again
    assert client.get(f'{reverse("reports:export_status", args=[export.pk])}?poll=1'
                      "&seen=running-40-0", headers={"HX-Request": "true"}).status_code == 204
    # a failed export offers no download and says why
    Export.objects.filter(pk=export.pk).update(status=Export.Status.FAILED,
                                               error="The PDF could not be built: boom")
    page = client.get(reverse("reports:export_status", args=[export.pk])).content.decode()
    assert "boom" in page and reverse("reports:export_download", args=[export.pk]) not in page
    assert client.get(reverse("reports:export_download", args=[export.pk])).status_code == 404
    # out of scope: another province's officer
    other = client_for(users["other_officer"])
    assert other.get(reverse("reports:export_status", args=[export.pk])).status_code == 404


def test_request_export_enqueues_after_commit(report: Report,
                                              django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        export = request_export(actor=None, report=report)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE


def test_pdfs_built_before_suppression_are_withdrawn(report: Report, users: Any,
                                                     client_for: Any) -> None:
    import importlib

    from django.apps import apps
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import connection

    migration = importlib.import_module("ctip.reports.migrations.0004_withdraw_unsuppressed_pdfs")
    old = Export.objects.create(report=report, status=Export.Status.DONE, progress=100)
    old.file.save("bao-cao-cu.pdf", ContentFile(b"%PDF-1.7 old numbers"), save=True)
    name = old.file.name
    assert default_storage.exists(name)

    migration.withdraw(apps, type("Editor", (), {"connection": connection})())
    old.refresh_from_db()
    assert old.status == Export.Status.FAILED and not old.file
    assert not default_storage.exists(name)
    client = client_for(users["province_officer"])
    page = client.get(reverse("reports:export_status", args=[old.pk])).content.decode()
    assert "Hãy tạo lại tệp PDF" in page
    assert client.get(reverse("reports:export_download", args=[old.pk])).status_code == 404


def test_export_pressed_twice_builds_once(report: Report, users: Any, client_for: Any,
                                          django_capture_on_commit_callbacks: Any) -> None:
    """A double press (or the page sent again) while her build is queued or running is sent
    to that build, not made a second one; once it is done, or when it was asked for minutes
    ago and never ran, "Export" builds anew."""
    client = client_for(users["province_officer"])
    url = reverse("reports:export_start", args=[report.pk])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = client.post(url)
        second = client.post(url)
    assert first.url == second.url and Export.objects.filter(report=report).count() == 1
    assert len(queued) == 1  # one task
    Export.objects.filter(report=report).update(status=Export.Status.DONE)
    third = client.post(url)
    assert third.url != first.url and Export.objects.count() == 2
    # one asked for long ago and still queued (its task lost): pressing again builds anew
    Export.objects.filter(report=report).update(
        status=Export.Status.QUEUED, created_at=timezone.now() - dt.timedelta(minutes=10))
    assert client.post(url).url not in (first.url, third.url)
    assert Export.objects.count() == 3
