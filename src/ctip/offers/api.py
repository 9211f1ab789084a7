"""``POST /api/v1/public/offer-check``: the offer check for partners and for testing.

Public and rate-limited per address like the report form (past the limit: 429 with a
Retry-After, there is no small sum to answer in JSON). The text is checked in memory and
neither stored nor logged. It has its own small ``NinjaAPI`` (``offer_api()``), mounted by
``urls`` at ``/api/v1/public/``: its answers (400 with a plain ``detail``, no token, no CSRF)
differ from the main API's problem+json, so it keeps its own error handlers; the main API lists
its operations in ``/api/v1/openapi.json`` (``ctip.api.main``) under that same address.
"""


from functools import cache
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from ninja import NinjaAPI, Router, Schema
from ninja.errors import HttpError, ValidationError

from ctip.accounts.access import ACCESS_ATTR
from ctip.offers import views
from ctip.offers.check import READ_LIMIT, articles_for, check_offer, grouped

router = Router(tags=["public"])


class OfferIn(Schema):
    text: str = ""


class SignOut(Schema):
    code: str
    title: str
    explanation: str
    matched: list[str]


class ArticleOut(Schema):
    title: str
    url: str


class OfferOut(Schema):
    level: Literal["low", "medium", "high"]
    status: Literal["checked", "empty", "too_short", "link_only"]
    signs: list[SignOut]
    articles: list[ArticleOut]
    questions: list[str]
    read_chars: int
    truncated: bool
    links_followed: bool = False
    message: str


class ErrorOut(Schema):
    detail: str


def _message(outcome: Any) -> str:
    if outcome.status == "empty":
        return _("Nothing was pasted: send the text of the offer.")
    if outcome.status == "too_short":
        return _("This is too short to judge: send the whole text of the offer.")
    if outcome.status == "link_only":
        return _("Only a link was sent: links are not followed, send the text of the offer.")
    parts = [{"high": _("High risk."), "medium": _("Medium risk."),
              "low": _("Low risk.")}[outcome.level]]
    if outcome.truncated:
        parts.append(_("Only the first %(n)s characters were read.") % {"n": grouped(READ_LIMIT)})
    if outcome.had_links:
        parts.append(_("Links are not opened: only the words you pasted are checked."))
    return " ".join(str(p) for p in parts)


@router.post("/offer-check", response={200: OfferOut, 400: ErrorOut, 429: ErrorOut}, auth=None,
             summary="Check the text of an offer for signs of trafficking")
@sensitive_variables()
def offer_check(request: HttpRequest, payload: OfferIn) -> Any:
    if views.CHECK_LIMIT.exceeded(request):
        refused = JsonResponse({"detail": _("Too many checks from this address in the last "
                                            "hour. Please try again later.")}, status=429)
        refused["Retry-After"] = str(views.CHECK_LIMIT.window)
        return refused
    views.CHECK_LIMIT.count(request)
    outcome = check_offer(payload.text)
    return {
        "level": outcome.level, "status": outcome.status,
        "signs": [{"code": s.code, "title": s.title, "explanation": s.explanation,
                   "matched": s.matched} for s in outcome.signs],
        "articles": [{"title": a["title"], "url": a["url"]}
                     for a in articles_for(outcome, request)],
        "questions": outcome.questions,
        "read_chars": min(outcome.length, READ_LIMIT), "truncated": outcome.truncated,
        "message": _message(outcome),
    }


def _bad_request(api: NinjaAPI, request: HttpRequest) -> HttpResponse:
    return api.create_response(
        request, {"detail": _('Send JSON such as {"text": "…"}, with the text of the offer as a '
                              'string.')}, status=400)


PREFIX = "/api/v1/public"


@cache
def offer_api() -> NinjaAPI:
    """The one small API serving the offer check (also read by the main API's schema)."""
    api = NinjaAPI(urls_namespace="offers_api", title="ctip offer check", version="1",
                   docs_url=None, openapi_url=None)
    api.add_router("/", router)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return _bad_request(api, request)

    @api.exception_handler(HttpError)
    def unreadable(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:  # a body that is not JSON
            return _bad_request(api, request)
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)

    return api


def urls() -> Any:
    """The URL patterns of the small API, each declared public for the access tests."""
    patterns, app_name, namespace = offer_api().urls
    for pattern in patterns:
        setattr(pattern.callback, ACCESS_ATTR, "public")
    return patterns, app_name, namespace
