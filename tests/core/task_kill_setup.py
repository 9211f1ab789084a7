"""Run as ``python -m tests.core.task_kill_setup <kind>`` by ``test_task_kills.py``: in the data
directory of the environment (SQLite, the database task queue: not test mode), build what one
kind of task needs and put the task on the queue; print what the test checks afterwards, as
JSON."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any


def _people() -> dict[str, Any]:
    from ctip.accounts.actions import create_user
    from ctip.accounts.capabilities import Role
    from ctip.org.models import UnitType
    from ctip.units.actions import create_unit

    def kind(code: str) -> UnitType:
        return UnitType.objects.get(code=code)

    central = create_unit(actor=None, parent=None, name="Hội LHPN Việt Nam",
                          unit_type=kind("central"))
    province = create_unit(actor=None, parent=central, name="Tỉnh Tây Ninh",
                           unit_type=kind("province"), gso_code="80")
    commune = create_unit(actor=None, parent=province, name="Xã Đức Hòa",
                          unit_type=kind("commune"), gso_code="27943")
    users = {}
    for name, role, unit in (("tinh", Role.PROVINCE_OFFICER, province),
                             ("xa", Role.COMMUNE_OFFICER, commune),
                             ("hotro", Role.CASE_WORKER, commune)):
        users[name], _ = create_user(actor=None, username=name, full_name=name.title(),
                                     home_unit=unit, role=role, password="p" * 20,
                                     must_change_password=False, email=f"{name}@example.org")
    return {"province": province, "commune": commune, "users": users}


def export() -> dict[str, Any]:
    from ctip.reports import actions as report_actions
    from ctip.reports.models import ReportType
    from ctip.reports.tasks import request_export

    world = _people()
    report = report_actions.create_or_get_draft(
        actor=None, unit=world["commune"], report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    report = report_actions.submit(actor=world["users"]["xa"], report=report)
    return {"export": request_export(actor=None, report=report).pk}


def digest() -> dict[str, Any]:
    from django.utils import timezone

    from ctip.cases import actions
    from ctip.cases.digest import build_digests
    from ctip.cases.models import Situation
    from ctip.cases.tasks import send_daily_digest

    world = _people()
    for hours, category in ((-5, "missing"), (6, "recruitment")):
        situation = actions.create_situation(
            actor=world["users"]["xa"], unit=world["commune"], category=category,
            source="officer", description="Kiểm thử")
        Situation.objects.filter(pk=situation.pk).update(
            due_at=timezone.now() + dt.timedelta(hours=hours))
    recipients = sorted(d.user.username for d in build_digests(timezone.now()))
    assert len(recipients) >= 2, recipients  # noqa: S101 - so that a kill falls half-way
    send_daily_digest.enqueue()
    return {"recipients": recipients}


def mail() -> dict[str, Any]:
    from ctip.core.mail import queue_mail

    queue_mail(subject="Kiểm thử", body="Một thư.", to=["xa@example.org"])
    return {}


def checkpoint() -> dict[str, Any]:
    from ctip.audit.tasks import write_daily_checkpoint

    _people()
    write_daily_checkpoint.enqueue()
    return {}


def backup() -> dict[str, Any]:
    from ctip.ops.tasks import scheduled_backup

    _people()
    scheduled_backup.enqueue()
    return {}


def reminders() -> dict[str, Any]:
    from django.utils import timezone

    from ctip.accounts.actions import create_user
    from ctip.accounts.capabilities import Role
    from ctip.org.models import UnitType
    from ctip.outreach.actions import create_campaign
    from ctip.reports.models import ReportType
    from ctip.reports.selectors import due_soon
    from ctip.reports.tasks import send_report_reminders
    from ctip.units.actions import create_unit

    world = _people()
    other = create_unit(actor=None, parent=world["province"], name="Phường Tân An",
                        unit_type=UnitType.objects.get(code="commune"), gso_code="27694")
    create_user(actor=None, username="tanan", full_name="Tân An", home_unit=other,
                role=Role.COMMUNE_OFFICER, password="p" * 20, must_change_password=False,
                email="tanan@example.org")
    # a campaign of the province whose report falls due tomorrow: owed by both communes
    today = timezone.localdate()
    lag = dt.timedelta(days=ReportType.objects.get(kind=ReportType.Kind.CAMPAIGN)
                       .due_days_after_period)
    ends = today + dt.timedelta(days=1) - lag
    create_campaign(actor=None, unit=world["province"], name="Tháng hành động",
                    starts_on=ends - dt.timedelta(days=30), ends_on=ends)
    owed = due_soon(today)
    assert len(owed) >= 2, owed  # noqa: S101 - so that a kill falls half-way
    send_report_reminders.enqueue()
    return {"owed": len(owed)}


def _activities_file() -> tuple[Any, bytes, int]:
    import io

    import openpyxl

    world = _people()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Ngày", "Đơn vị", "Hình thức", "Tên hoạt động", "Số nữ", "Số nam",
                  "Tổng số"])
    rows = 40
    for n in range(1, rows + 1):
        sheet.append([f"{n % 28 + 1:02d}/07/2026", world["commune"].name,
                      "Sinh hoạt định kỳ chi, tổ hội, câu lạc bộ", f"Buổi nhập số {n}", 2, 1, 3])
    data = io.BytesIO()
    workbook.save(data)
    return world["users"]["xa"], data.getvalue(), rows


def import_job() -> dict[str, Any]:
    """A spreadsheet of activities confirmed in its preview: its job queued for the worker."""
    from ctip.imports import pipeline as imports

    officer, data, rows = _activities_file()
    token = imports.stash(officer, "hoat-dong.xlsx", data)
    job = imports.start_job(imports.kind("activities"), officer, token, imports.Choices())
    assert job is not None and job.status == job.Status.QUEUED, job  # noqa: S101
    return {"job": job.pk, "rows": rows}


def preview_job() -> dict[str, Any]:
    """A spreadsheet of activities sent to be checked: its check queued for the worker."""
    from ctip.imports import pipeline as imports

    officer, data, rows = _activities_file()
    job = imports.start_preview(imports.kind("activities"), officer, name="hoat-dong.xlsx",
                                data=data, here=False)
    assert job is not None and job.status == job.Status.PREVIEWING, job  # noqa: S101
    return {"job": job.pk, "rows": rows, "key": job.stash_key}


def main(kind: str) -> None:
    import os

    from ctip.cli import ensure_data_dir

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctip.settings")
    ensure_data_dir()
    import django

    django.setup()
    print(json.dumps(globals()[kind]()))  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1])
