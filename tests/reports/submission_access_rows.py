"""Access-matrix rows for periodic reports.

The in-scope report is commune A's (Xã Đức Hòa) monthly report; the out-of-scope one belongs to
a commune of another province."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.urls import reverse

_REPORTS: dict[str, Any] = {}


def setup(tree: Any, users: Any) -> None:
    from ctip.reports.actions import create_or_get_draft
    from ctip.reports.models import ReportType

    monthly = ReportType.objects.get(code="monthly")
    for key, unit in (("in", tree.commune_a), ("out", tree.other_commune)):
        _REPORTS[key] = create_or_get_draft(actor=None, unit=unit, report_type=monthly,
                                            start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))


TARGETS: dict[str, Callable[[Any, Any, bool], str]] = {
    "report.detail": lambda t, u, inside: reverse(
        "reports:report_detail", args=[_REPORTS["in" if inside else "out"].pk]),
}
ALLOWED: dict[str, set[str]] = {
    "system_admin": {"report.detail"},
    "province_officer": {"report.detail"},
    "commune_officer": {"report.detail"},
    "branch_head": set(),
    "speaker": set(),
    "case_worker": set(),
    "editor": set(),
    "publisher": set(),
    "auditor": set(),
    "viewer": {"report.detail"},
}
UNSCOPED: set[str] = set()
