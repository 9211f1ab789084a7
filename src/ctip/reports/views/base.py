"""What the report pages share: the unit asked for (in the viewer's scope), the period and
the indicators chosen, the query string that carries them, and the plain answers (a bad
request, a file)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from ctip.accounts.policy import NotInScope, scope_paths
from ctip.core.errors import ActionError
from ctip.org.models import Unit
from ctip.org.paths import is_within
from ctip.outreach.selectors import campaigns_visible_to, get_campaign_for
from ctip.reports import indicators as ind
from ctip.reports import periods
from ctip.units.selectors import get_unit_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD_PARAMS = ("period", "year", "month", "quarter", "half", "campaign", "start", "end")


def scoped_unit(request: HttpRequest, unit_id: int | None = None,
          capability: str = "report.view") -> Unit:
    if unit_id is not None:
        return get_unit_for(request.user, unit_id, capability)
    raw = request.GET.get("unit", "")
    if raw:
        try:
            pk = int(raw)
        except ValueError:
            raise NotInScope(capability) from None
        return get_unit_for(request.user, pk, capability)
    roots = scope_paths(request.user, capability)
    unit = Unit.objects.filter(path__in=roots).order_by("depth", "name").first()
    if unit is None:
        raise NotInScope(capability)
    return unit


def campaign_lookup(request: HttpRequest) -> Any:
    def lookup(pk: int) -> Any:
        try:
            return get_campaign_for(request.user, pk)
        except NotInScope:
            raise ActionError(_("There is no such campaign."), field="campaign") from None

    return lookup


def chosen_codes(request: HttpRequest) -> list[str] | None:
    codes = [c for c in request.GET.getlist("indicator") if c]
    if not codes:
        return None
    for code in codes:
        ind.get(code)
    return codes


def query(request: HttpRequest, **changes: Any) -> str:
    params = {k: request.GET.get(k) for k in PERIOD_PARAMS if request.GET.get(k)}
    params.update({k: v for k, v in changes.items() if v is not None})
    pairs = list(params.items())
    pairs += [("indicator", c) for c in request.GET.getlist("indicator") if c]
    return urlencode(pairs)


def period_selector(request: HttpRequest, unit: Unit) -> dict[str, Any]:
    campaigns = []
    if request.user.is_authenticated:
        campaigns = list(campaigns_visible_to(request.user).filter(archived=False)
                         .order_by("-starts_on")[:30])
    return {"kinds": [("month", _("Month")), ("quarter", _("Quarter")),
                      ("half", _("Half-year")), ("year", _("Year")),
                      ("campaign", _("Campaign")), ("custom", _("Custom dates"))],
            "params": {k: request.GET.get(k, "") for k in PERIOD_PARAMS},
            "campaigns": campaigns, "catalogue": ind.CATALOGUE,
            "chosen": request.GET.getlist("indicator")}


def ancestors(request: HttpRequest, unit: Unit) -> list[Unit]:
    roots = scope_paths(request.user, "report.view")
    ids = unit.ancestor_ids()[:-1]
    found = Unit.objects.in_bulk(ids)
    return [found[i] for i in ids if i in found
            and any(is_within(found[i].path, r) for r in roots)]


def parse(request: HttpRequest, unit_id: int | None = None
           ) -> tuple[Unit, periods.Period | None, list[str] | None, str]:
    unit = scoped_unit(request, unit_id)
    try:
        period = periods.from_params(request.GET, campaign_lookup=campaign_lookup(request))
        codes = chosen_codes(request)
    except ActionError as exc:
        return unit, None, None, exc.message
    return unit, period, codes, ""


def bad(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def attachment(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
