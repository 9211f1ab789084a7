"""A PDF export that fails, or whose worker died, says so and offers "Thất bại — thử lại": a
POST (CSRF, in scope only) that queues the same export again, once however often it is sent;
its page never polls for ever (decision 0028)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ctip.audit.models import AuditEvent
from ctip.reports import actions
from ctip.reports.models import Export, Report, ReportType
from ctip.reports.tasks import run_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(tree: Any, users: Any) -> Report:
    report = actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    return actions.submit(actor=users["commune_officer"], report=report)


def _failed(report: Report) -> Export:
    return Export.objects.create(report=report, status=Export.Status.FAILED,
                                 error="Tiến trình chạy nền đã dừng khi đang tạo tệp PDF.")


def test_a_failed_export_says_failed_try_again_with_a_button(report: Report, users: Any,
                                                             client_for: Any) -> None:
    export = _failed(report)
    page = client_for(users["province_officer"]).get(
        reverse("reports:export_status", args=[export.pk])).content.decode()
    assert "Thất bại — thử lại" in page
    assert f'action="{reverse("reports:export_retry", args=[export.pk])}"' in page
    assert 'method="post"' in page and "csrfmiddlewaretoken" in page
    assert "hx-trigger" not in page  # no polling


def test_retry_builds_the_same_export_once_however_often_it_is_posted(
        report: Report, users: Any, client_for: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    export = _failed(report)
    client = client_for(users["province_officer"])
    url = reverse("reports:export_retry", args=[export.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url)
        second = client.post(url)  # a double click: the export is no longer failed
    assert first.status_code == second.status_code == 302
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.file
    assert Export.objects.filter(report=report).count() == 1
    assert AuditEvent.objects.filter(action="report.export_retried").count() == 1
    pdfs = list((Path(settings.MEDIA_ROOT) / "exports").rglob(f"*-{export.pk}.pdf"))
    assert len(pdfs) == 1


def test_retry_is_a_csrf_checked_post_in_scope_only(report: Report, users: Any,
                                                     client_for: Any) -> None:
    export = _failed(report)
    url = reverse("reports:export_retry", args=[export.pk])
    assert client_for(users["province_officer"]).get(url).status_code == 405
    assert client_for(users["other_officer"]).post(url).status_code == 404
    strict = client_for(users["province_officer"])
    strict.handler.enforce_csrf_checks = True
    assert strict.post(url).status_code == 403
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED
    assert not AuditEvent.objects.filter(action="report.export_retried").exists()


def test_run_twice_keeps_one_file(report: Report) -> None:
    export = Export.objects.create(report=report)
    run_export(export.pk)
    # the worker died after the file was written, before the row said so: run again
    Export.objects.filter(pk=export.pk).update(status=Export.Status.RUNNING, progress=60)
    run_export(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE
    files = list((Path(settings.MEDIA_ROOT) / "exports").rglob(f"*-{export.pk}*.pdf"))
    assert [f.name for f in files] == [Path(str(export.file.name)).name]
    # and a finished export run once more is left alone
    done_at = export.finished_at
    run_export(export.pk)
    export.refresh_from_db()
    assert export.finished_at == done_at


def test_no_endless_spinner_when_no_worker_is_alive(report: Report, users: Any,
                                                    client_for: Any, settings: Any,
                                                    django_capture_on_commit_callbacks: Any,
                                                    ) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    export = Export.objects.create(report=report, status=Export.Status.RUNNING, progress=5)
    client = client_for(users["province_officer"])
    url = reverse("reports:export_status", args=[export.pk])
    # just asked for: the page waits (polls)
    assert 'hx-trigger="every 2s"' in client.get(url).content.decode()
    # no worker heartbeat and older than a lease: the page stops waiting and says so
    Export.objects.filter(pk=export.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=settings.CTIP_TASK_LEASE_SECONDS + 5))
    page = client.get(url).content.decode()
    assert "Thất bại — thử lại" in page and "Tiến trình chạy nền không hoạt động" in page
    assert "hx-trigger" not in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("reports:export_retry", args=[export.pk])).status_code == 302
    export.refresh_from_db()
    assert export.status == Export.Status.QUEUED and export.progress == 0
    assert AuditEvent.objects.filter(action="report.export_retried").count() == 1
