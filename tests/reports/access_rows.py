"""Access-matrix rows for indicator tables, dashboards and their exports.

In scope: commune A (or the province, for the case-level export, which is made for a whole
province only); out of scope: the other province."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse


def _url(name: str, unit: Any) -> str:
    return reverse(f"reports:unit_{name.split(':')[1]}", args=[unit.pk])


TARGETS: dict[str, Callable[[Any, Any, bool], str]] = {
    "report.indicators": lambda t, u, inside: _url(
        "reports:indicators", t.commune_a if inside else t.other_province),
    "report.dashboard": lambda t, u, inside: _url(
        "reports:dashboard", t.commune_a if inside else t.other_province),
    "report.export_xlsx": lambda t, u, inside: _url(
        "reports:export_xlsx", t.commune_a if inside else t.other_commune),
    "report.export_csv": lambda t, u, inside: _url(
        "reports:export_csv", t.commune_a if inside else t.other_commune),
    "report.ctdc": lambda t, u, inside: _url(
        "reports:ctdc_csv", t.province if inside else t.other_province),
    "report.public_release": lambda t, u, inside: _url(
        "reports:public_release", t.province if inside else t.other_province),
    "report.ctdc_contribution": lambda t, u, inside: _url(
        "reports:ctdc_contribution_csv", t.province if inside else t.other_province),
    "report.htcds": lambda t, u, inside: _url(
        "reports:htcds_export_json", t.province if inside else t.other_province),
}
_PUBLIC = {"report.ctdc", "report.public_release"}
_SHARE = {"report.ctdc_contribution", "report.htcds"}
_REPORTS = {"report.indicators", "report.dashboard", "report.export_xlsx", "report.export_csv"}
ALLOWED: dict[str, set[str]] = {
    "system_admin": _REPORTS | _PUBLIC | _SHARE,
    "province_officer": _REPORTS | _PUBLIC | _SHARE,
    "commune_officer": _REPORTS,
    "branch_head": set(),
    "speaker": set(),
    "case_worker": set(),
    "editor": set(),
    "publisher": set(),
    "auditor": set(),
    "viewer": _REPORTS | _PUBLIC,
}
UNSCOPED: set[str] = set()
