"""The public job-offer check: paste an offer, see its warning signs, report it in one tap.

The offer is sent by POST (never in the address, which servers and browsers log and keep),
checked in memory and shown back; nothing is stored, logged or audited. The same per-address
limit and small sum as the report form (``ctip.core.ratelimit``, ``ctip.portal.receipts``)
protect it, without losing what was pasted.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import public
from ctip.cases.models import Category
from ctip.core.ratelimit import Limit
from ctip.offers.check import (
    READ_LIMIT,
    articles_for,
    check_offer,
    grouped,
    report_description,
)
from ctip.offers.forms import OfferCheckForm
from ctip.offers.library import active_rules, anchor
from ctip.portal import receipts
from ctip.portal.forms import DESCRIPTION_MAX

CHECKS_PER_HOUR = 60
CHECK_LIMIT = Limit("offers:check-rate", CHECKS_PER_HOUR, 3600)


def rate_limited(request: HttpRequest) -> bool:
    """Over the limit and no right answer to the small sum: the check is not run."""
    if not CHECK_LIMIT.exceeded(request):
        return False
    return not receipts.challenge_passed(request.POST.get("challenge_token", ""),
                                         request.POST.get("challenge_answer", ""))


@sensitive_post_parameters("text")
@sensitive_variables()
@require_http_methods(["GET", "POST"])
@public
def check(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"report_category": Category.RECRUITMENT.value,
                                  "read_limit": grouped(READ_LIMIT)}
    status = 200
    if request.method == "POST":
        form = OfferCheckForm(request.POST)
        if not form.is_valid():  # only a NUL character: the message says so, the text stays
            status = 400
        elif rate_limited(request):
            context.update(challenge=receipts.new_challenge(),
                           challenge_error="challenge_answer" in request.POST)
            status = 429
        else:
            CHECK_LIMIT.count(request)
            text = form.cleaned_data["text"]
            outcome = check_offer(text)
            context.update(outcome=outcome, articles=articles_for(outcome, request),
                           length=grouped(outcome.length),
                           report_text=report_description(text, outcome, DESCRIPTION_MAX))
    else:
        form = OfferCheckForm()
    context["form"] = form
    context["library"] = [{"id": anchor(rule.code), "title": rule.title,
                           "explanation": rule.explanation} for rule in active_rules()]
    response = TemplateResponse(request, "offers/check.html", context, status=status)
    patch_cache_control(response, no_store=True, private=True)
    return response
