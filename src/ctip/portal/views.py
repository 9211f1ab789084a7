"""Public views of the bulletin: page serving (cached), search, "Báo tin", robots and sitemap.

Every view here is public: the bulletin is for everybody. Nothing a reader sends through the
report form is ever shown on a public page: it goes into the commune's inbox and the sender
sees a reference code once, on their own confirmation page.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.contrib.sitemaps.views import sitemap as django_sitemap
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.static import serve as static_serve
from wagtail import views as wagtail_views

from ctip.accounts.access import public
from ctip.accounts.capabilities import Role
from ctip.cases import crypto
from ctip.cases.actions import create_situation
from ctip.cases.models import Situation
from ctip.core import request_context
from ctip.core.errors import ActionError, add_to_form
from ctip.core.idempotency import submit_form_once
from ctip.core.ratelimit import Limit
from ctip.portal import caching, readership, receipts
from ctip.portal.feeds import BulletinFeed, SectionFeed
from ctip.portal.forms import BOT_MESSAGE, DESCRIPTION_MAX, ReportConcernForm
from ctip.portal.links import public_url
from ctip.portal.models import ARTICLES_PER_PAGE, BulletinHome, article_list, live_articles
from ctip.portal.pagination import paginate
from ctip.portal.search import parse, search_articles, snippet
from ctip.portal.sitemaps import BulletinSitemap

logger = logging.getLogger("ctip.portal")

REPORTS_PER_HOUR = 5
RATE_WINDOW = 3600
# Only reports that were stored count (rejected posts do not).
REPORT_LIMIT = Limit("portal:report-rate", REPORTS_PER_HOUR, RATE_WINDOW)
SESSION_RECEIPT = "portal.report_receipt"


# --- Pages ----------------------------------------------------------------------------------

@public
def serve(request: HttpRequest, path: str) -> HttpResponse:
    """Wagtail's page serving, with the rendered page cached for anonymous readers."""
    key = caching.cache_key(request, path)
    if key is not None:
        hit = caching.cached_response(key)
        if hit is not None:
            return hit
    caching.route(request, path)
    response = wagtail_views.serve(request, path)
    if key is not None and caching.storable(response):
        response[caching.CACHE_HEADER] = "miss"
        if hasattr(response, "add_post_render_callback") and not response.is_rendered:
            response.add_post_render_callback(lambda r: _store_unless_nonced(request, key, r))
        else:
            _store_unless_nonced(request, key, response)
    return response


def _store_unless_nonced(request: HttpRequest, key: str, response: HttpResponse) -> None:
    """A page whose template used the CSP nonce is not cached: a later answer from the cache
    gets a new nonce in its header, and the old one in the body would be refused (0024)."""
    if getattr(request, "_csp_nonce", None) is None:
        caching.store(key, response)


@csrf_exempt  # a counter, nothing else: no session, no form, nothing about the reader
@require_POST
@public
def reading(request: HttpRequest, pk: int) -> HttpResponse:
    """The article page's script reports a reading here (``navigator.sendBeacon``), so that
    the page itself stays in the cache untouched; "most read" counts these
    (``ctip.portal.readership``). Robots that run no script are not counted."""
    if readership.countable(request) and live_articles().filter(pk=pk).exists():
        readership.count_view(pk)
    return HttpResponse(status=204)


@require_GET
@public
def frontend_login(request: HttpRequest) -> HttpResponse:
    """Wagtail's front-end sign-in URL sends people to our own sign-in page."""
    return redirect_to_login(request.GET.get("next", "/"))


@require_GET
@public
def cms_login(request: HttpRequest) -> HttpResponse:
    """Where the Wagtail admin sends whoever it turns away (``WAGTAILADMIN_LOGIN_URL``).

    Someone signed out goes to our sign-in page and comes back. Someone signed in without the
    bulletin roles goes to the staff home, where Wagtail's message says why: sending them to
    the sign-in page would bounce them straight back to /cms/, round and round."""
    if request.user.is_authenticated:
        return no_cms_access(request)
    return redirect_to_login(request.GET.get("next", "/cms/"))


def no_cms_access(request: HttpRequest) -> HttpResponse:
    """Someone signed in without the bulletin roles: why the CMS does not open, in Vietnamese,
    and what to do (Wagtail's own English message is dropped)."""

    wagtails = {gettext("You do not have permission to access the admin."),
                "You do not have permission to access the admin."}
    # read (so consumed) here; the page shows the others: ``messages`` in the view's context
    # wins over the context processor's. Wagtail wraps its text in HTML.
    kept = [m for m in messages.get_messages(request)
            if not any(text in str(m.message) for text in wagtails)]
    return TemplateResponse(request, "portal/staff/no_cms_access.html",
                            {"roles": [Role.EDITOR.label, Role.PUBLISHER.label],
                             "messages": kept}, status=403)


# --- Search ---------------------------------------------------------------------------------

@require_GET
@public
def search(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")[:200]
    tag = request.GET.get("tag", "")[:100]
    query = parse(raw)
    results = None
    if query:
        found = search_articles(live_articles(), query)
    elif tag:
        found = article_list().filter(tags__slug=tag)
    else:
        found = None
    if found is not None:
        results = paginate(request, found, ARTICLES_PER_PAGE)
        if isinstance(results, HttpResponse):
            return results
        terms = query.terms
        for article in results if query else ():
            article.snippet = snippet(article.plain_text(), terms)
            article.title_html = snippet(article.title, terms, length=500)
    return TemplateResponse(request, "portal/search.html", {
        "q": raw, "tag": tag, "results": results, "home": BulletinHome.objects.live().first(),
    })


# --- Report a concern -----------------------------------------------------------------------

@sensitive_post_parameters("description", "contact")
@require_http_methods(["GET", "POST"])
@public
def report(request: HttpRequest) -> HttpResponse:
    """The form stays open: the limit is per client address (behind the proxy, the real one:
    ``ctip.core.client``), only reports that were stored count, and past the limit a small sum
    lets a person through instead of a refusal, with what she typed kept on the page."""
    status = 200
    challenge = None
    challenge_error = False
    if request.method == "POST" and request.POST.get("prefill") == "offer":
        # One tap from the offer check (ctip.offers): the form opens filled in, nothing is
        # stored or counted; the person chooses the commune and the contact, then sends.
        form = ReportConcernForm(initial={
            "category": request.POST.get("category", ""),
            "description": request.POST.get("description", "")[:DESCRIPTION_MAX]})
    elif request.method == "POST":
        form = ReportConcernForm(request.POST)
        if form.is_bot:
            data = request.POST.copy()
            data["website"] = ""
            form = ReportConcernForm(data)
            form.is_valid()
            form.add_error(None, BOT_MESSAGE)
            status = 400
            logger.info("report form: honeypot filled, nothing stored")
        elif form.is_valid():
            limited = REPORT_LIMIT.exceeded(request)
            passed = limited and receipts.challenge_passed(
                request.POST.get("challenge_token", ""), request.POST.get("challenge_answer", ""))
            if limited and not passed:
                challenge_error = "challenge_answer" in request.POST
                challenge, status = receipts.new_challenge(), 429
            else:
                try:
                    done = submit_form_once(form, actor=None, scope="portal.report",
                                            create=lambda: _create(form.cleaned_data))
                except ActionError as exc:
                    add_to_form(form, exc, rename={"unit": "commune",
                                                   "reporter_contact": "contact"})
                    status = 400
                else:
                    # A repeat (a double click, a resent page) stores nothing and shows the
                    # receipt of the first if this browser has not seen it yet; it never
                    # shows a receipt to whoever merely holds the key.
                    if not done.replayed and done.obj is not None:
                        REPORT_LIMIT.count(request)
                        request.session[SESSION_RECEIPT] = _receipt(done.obj, form.cleaned_data)
                    return redirect("portal:report_done")
        else:
            status = 400
    else:
        form = ReportConcernForm()
    response = TemplateResponse(request, "portal/report_form.html", {
        "form": form, "limited": challenge is not None, "challenge": challenge,
        "challenge_error": challenge_error}, status=status)
    patch_cache_control(response, no_store=True)
    return response


def _create(data: dict[str, Any]) -> Situation:
    # The sender's address and browser are not written into the audit trail: the report may
    # be anonymous, and the audit trail is permanent.
    def create(code: str) -> Situation:
        return create_situation(
            actor=None, unit=data["commune"], category=data["category"],
            description=data["description"], occurred_on=data.get("occurred_on"),
            reporter_contact=data.get("contact", ""), source=Situation.Source.PUBLIC_FORM,
            code=code)

    with request_context.bind(request_context.RequestContext(via="public_form")), \
            transaction.atomic():
        return receipts.with_unique_receipt(create)


def _receipt(situation: Situation, data: dict[str, Any]) -> dict[str, Any]:
    occurred = data.get("occurred_on")
    return {
        "code": situation.code,
        "category": str(situation.get_category_display()),
        "commune": data["commune"].name,
        "occurred_on": occurred.strftime("%d/%m/%Y") if occurred else "",
        # her words often name the person at risk: in her session (a row of django_session
        # and an entry of the shared cache) only encrypted, as the situation's own column
        "description": crypto.encrypt(data["description"][:500]),
        "anonymous": not data.get("contact"),
        # what happens next, and by when: the unit that handles it and its stored deadline
        "handled_by": situation.handling_unit.name,
        "due": (timezone.localtime(situation.due_at).strftime("%H:%M %d/%m/%Y")
                if situation.due_at else ""),
    }


@require_GET
@public
def report_done(request: HttpRequest) -> HttpResponse:
    """The sender's receipt, shown once: a refresh or another visitor sees no details."""
    receipt = request.session.pop(SESSION_RECEIPT, None)
    if receipt is not None:
        try:
            told = crypto.decrypt(receipt["description"]) if receipt.get("description") else ""
        except crypto.KeyError_:  # keys changed since she sent it: the receipt without her words
            told = ""
        receipt = {**receipt, "description": told}
    response = TemplateResponse(request, "portal/report_done.html", {"receipt": receipt})
    patch_cache_control(response, no_store=True, private=True)
    return response


# --- Web conventions ------------------------------------------------------------------------

ROBOTS_DISALLOW = ["/app/", "/accounts/", "/cms/", "/units/", "/audit/", "/outreach/",
                   "/community/", "/cases/", "/reports/", "/i18n/", "/bao-tin/da-gui/",
                   "/tim-kiem/", "/_util/"]


@require_GET
@public
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {p}" for p in ROBOTS_DISALLOW), "",
             f"Sitemap: {public_url(request, '/sitemap.xml')}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_GET
@public
def sitemap_xml(request: HttpRequest) -> HttpResponse:
    return django_sitemap(request, sitemaps={"bulletin": BulletinSitemap(request)})


@require_GET
@public
def bulletin_image(request: HttpRequest, path: str) -> Any:  # a FileResponse
    """Image renditions of the bulletin (never the uploaded originals, which may carry
    location data in their EXIF)."""
    root = Path(settings.MEDIA_ROOT) / "images"
    if ".." in Path(path).parts:
        raise Http404
    response = static_serve(request, path, document_root=str(root))
    patch_cache_control(response, public=True, max_age=7 * 24 * 3600)
    return response


@require_GET
@public
def rss(request: HttpRequest) -> HttpResponse:
    return BulletinFeed()(request)


@require_GET
@public
def section_rss(request: HttpRequest, section: str) -> HttpResponse:
    return SectionFeed()(request, section=section)
