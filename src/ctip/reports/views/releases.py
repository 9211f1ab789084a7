"""The person-level files of a whole province: the public release for CTDC (k-anonymous)
with its page, the CTDC contribution and the HTCDS document (consented persons, for holders of
``data.share``). Every file is audited."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import has_capability
from ctip.audit.actions import record
from ctip.core import exports as sheets
from ctip.core.htmx import render_page
from ctip.core.typing import AuthedRequest
from ctip.org.models import Unit
from ctip.reports import ctdc, exports
from ctip.reports.views.base import attachment, bad, scoped_unit


def _wide_unit(request: HttpRequest, unit_id: int | None, capability: str
               ) -> tuple[Unit | None, HttpResponse | None]:
    """The unit of a person-level file: a whole province or a unit above, in scope."""
    unit = scoped_unit(request, unit_id, capability)
    if unit.unit_type.code not in ("province", "central"):
        return None, bad(_("The person-level files are made for a whole province only."))
    return unit, None


def _release(request: AuthedRequest, unit_id: int | None) -> tuple[Any, Any, Any]:
    unit, refused = _wide_unit(request, unit_id, "report.view")
    if refused is not None or unit is None:
        return None, None, refused
    try:
        k = int(request.GET.get("k", ctdc.K))
    except ValueError:
        return None, None, bad(_("k must be a whole number."))
    if k < ctdc.K:
        return None, None, bad(_("k cannot be below %(k)s.") % {"k": ctdc.K})
    if k > 1000:
        return None, None, bad(_("k cannot be above %(k)s.") % {"k": 1000})
    return unit, ctdc.public_release(unit, k), None


@require_http_methods(["GET"])
@requires("report.view")
def ctdc_csv(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    """The public release file: every victim of the subtree in CTDC's columns, k-anonymous
    (k ≥ 11) over persons by global recoding (``reports.ctdc.anonymise``); audited with what
    was generalised and lost."""
    unit, release, refused = _release(request, unit_id)
    if refused is not None:
        return refused
    record(actor=request.user, action="report.public_release", target=unit,
           unit_path=unit.path, changes=_release_summary(release))
    return attachment(exports.ctdc_csv(release.rows), "text/csv; charset=utf-8",
                 f"ctdc-cong-bo-{unit.gso_code or unit.pk}.csv")


def _release_summary(release: Any) -> dict[str, Any]:
    return {"k": release.k, "persons": release.persons, "released": len(release.rows),
            "suppressed": release.suppressed, "loss": round(release.loss, 4),
            "levels": release.levels}


@require_http_methods(["GET"])
@requires("report.view")
def public_release(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    """What the public release file generalised and how much it lost, with its link."""
    unit, release, refused = _release(request, unit_id)
    if refused is not None:
        return refused
    return render_page(request, "reports/public_release.html", {
        "unit": unit, "release": release, "levels": release.describe(),
        "loss_percent": round(100 * release.loss, 1),
        "csv_url": reverse("reports:unit_ctdc_csv", args=[unit.pk])
        + (f"?k={release.k}" if release.k != ctdc.K else ""),
        "share": has_capability(request.user, "data.share", unit),
        "contribution_url": reverse("reports:unit_ctdc_contribution_csv", args=[unit.pk]),
        "htcds_url": reverse("reports:unit_htcds_export_json", args=[unit.pk]),
    })


@require_http_methods(["GET"])
@requires("data.share")
def ctdc_contribution(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    """The CTDC contribution file: one de-identified row per person who consented to
    sharing for statistics or research; for a holder of ``data.share``; audited."""
    unit, refused = _wide_unit(request, unit_id, "data.share")
    if refused is not None or unit is None:
        return refused or bad("")
    rows = ctdc.contribution_rows(unit)
    record(actor=request.user, action="report.ctdc_contribution", target=unit,
           unit_path=unit.path, changes={"persons": len(rows)})
    return attachment(exports.ctdc_csv(rows), "text/csv; charset=utf-8",
                 f"ctdc-dong-gop-{unit.gso_code or unit.pk}.csv")


@require_http_methods(["GET"])
@requires("data.share")
def htcds_json(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    """The same persons as the contribution file, in HTCDS 2.0 field names (JSON)."""
    unit, refused = _wide_unit(request, unit_id, "data.share")
    if refused is not None or unit is None:
        return refused or bad("")
    document = ctdc.htcds_document(unit)
    record(actor=request.user, action="report.htcds_export", target=unit,
           unit_path=unit.path, changes={"persons": len(document["persons"])})
    return attachment(sheets.json_bytes(document), "application/json",
                 f"htcds-{unit.gso_code or unit.pk}.json")
