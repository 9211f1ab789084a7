"""The case list and the counts of cases for the levels above (numbers only)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope, has_capability, scope_paths
from ctip.cases.forms.cases import CaseFilterForm
from ctip.cases.models import SupportCase
from ctip.cases.review import flags_visible_to
from ctip.cases.selectors import (
    anonymisations_to_decide,
    case_counts_below,
    cases_needing_worker,
    cases_shown_to,
)
from ctip.cases.views.base import PAGE_SIZE, case_page
from ctip.core.typing import AuthedRequest
from ctip.figures import privacy
from ctip.org.models import Unit
from ctip.units.selectors import get_unit_for

# --- Case list, counts ----------------------------------------------------------------------

@require_http_methods(["GET"])
@requires("case.view")
def case_list(request: AuthedRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET)
    cases = cases_shown_to(request.user)
    status = form.value("status") or "open"
    if status == "open":
        cases = cases.filter(closed_on__isnull=True)
    elif status == "unassigned":
        cases = cases.filter(closed_on__isnull=True, workers__isnull=True)
    elif status == "closed":
        cases = cases.filter(closed_on__isnull=False)
    if form.value("kind"):
        cases = cases.filter(kind=form.value("kind"))
    page = Paginator(cases.order_by("-opened_on", "-pk").prefetch_related("workers"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    can_manage = has_capability(request.user, "case.manage")
    reviews = has_capability(request.user, "breakglass.review")
    return case_page(request, "cases/case_list.html", {
        "form": form, "page": page, "status": status,
        "can_create": can_manage,
        "can_review": reviews,
        "flags_open": (flags_visible_to(request.user).filter(reviewed_at__isnull=True).count()
                       if reviews else 0),
        "needing_worker": cases_needing_worker(request.user).count() if can_manage else 0,
        "anonymisations_open": (anonymisations_to_decide(request.user).count()
                                if can_manage else 0),
        "can_count": has_capability(request.user, "report.view"),
    }, partial="results")


@require_http_methods(["GET"])
@requires("report.view")
def case_counts(request: AuthedRequest, unit_pk: int | None = None) -> HttpResponse:
    """Open and closed cases by kind, for a unit and each unit directly below it. Numbers only:
    no code, no person."""
    raw = str(unit_pk) if unit_pk is not None else request.GET.get("unit", "")
    if raw:
        if not raw.isdigit():
            raise NotInScope("report.view")
        unit = get_unit_for(request.user, int(raw), "report.view")
    else:
        root = (Unit.objects.filter(path__in=scope_paths(request.user, "report.view"))
                .order_by("path").first())
        if root is None:
            raise NotInScope("report.view")
        unit = root
    kinds = list(SupportCase.Kind)
    counted = case_counts_below(unit)
    children, rows, own, total = counted.children, counted.rows, counted.own, counted.total
    exact = privacy.exact_on_screen(request.user, unit)

    def line(counts: dict[str, list[int]], where: str) -> list[Any]:
        # counts of people: through the disclosure-control layer unless the viewer may open
        # the cases (decision 0019)
        out: list[Any] = []
        for k in kinds:
            n_open, n_closed, k_open, k_closed = counts[k.value]
            if exact:
                out += [n_open, n_closed]
            else:
                out += [privacy.protect(n_open, k_open, f"case_counts|open|{k.value}|{where}"),
                        privacy.protect(n_closed, k_closed,
                                        f"case_counts|closed|{k.value}|{where}")]
        return out

    table = [(c, line(rows[c.path], str(c.pk))) for c in children]
    own_line = line(own, str(unit.pk))  # the same cell as the total where nothing is below
    parent = unit.parent if unit.parent and has_capability(
        request.user, "report.view", unit.parent) else None
    return case_page(request, "cases/case_counts.html", {
        "unit": unit, "parent": parent, "kinds": kinds, "table": table,
        "own": own_line, "total": line(total, str(unit.pk)),
        "has_own": any(n for k in own.values() for n in k[:2]),
        "protected": not exact, "protection": privacy.LEGEND,
    })
