"""What every page of cases and persons shares: no copy kept by the browser, the links and
messages of a case."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from ctip.cases import actions
from ctip.cases.models import RISK_FACTORS, Consent, Person, SupportCase
from ctip.core.errors import ActionError
from ctip.core.htmx import render_page

PAGE_SIZE = 50
RISK_LABELS = dict(RISK_FACTORS)


def no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


def case_page(request: HttpRequest, template: str, context: dict[str, Any],
              partial: str | None = None, status: int = 200) -> HttpResponse:
    return no_store(render_page(request, template, context, partial=partial, status=status))


def closed_message(case: SupportCase) -> str:
    return _("The case %(code)s was closed on %(date)s; it cannot be changed.") % {
        "code": case.code, "date": case.closed_on.strftime("%d/%m/%Y") if case.closed_on
        else ""}


def detail_url(case: SupportCase, anchor: str = "") -> str:
    return reverse("cases:case_detail", args=[case.pk]) + (f"#{anchor}" if anchor else "")


def consent_problems(person: Person) -> list[str]:
    """What the case page must say about consent: each withdrawal, and a missing consent to
    support."""
    problems = []
    try:
        actions.require_consent(person, Consent.Purpose.SUPPORT)
    except ActionError as exc:
        problems.append(exc.message)
    return problems
