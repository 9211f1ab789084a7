from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_htmx.http import HttpResponseClientRedirect

from ctip.core import request_context
from ctip.core.client import client_ip

__all__ = ["HtmxLeavesPageMiddleware", "RequestContextMiddleware", "SessionRenewalMiddleware",
           "VietnameseFirstMiddleware", "client_ip"]

RENEWED_KEY = "_ctip_renewed"
# A page waiting for the worker (an import, an export, a restructuring) asks for its state
# with ``?poll=1``: a request nobody made is not activity, and does not keep her signed in.
POLL_PARAMETER = "poll"


class SessionRenewalMiddleware:
    """The idle timeout without a database write on every request.

    A session lives ``SESSION_COOKIE_AGE`` seconds from its last save. Saving it on every
    request (``SESSION_SAVE_EVERY_REQUEST``) costs an UPDATE per page; instead a request saves
    it only when the last save is ``CTIP_SESSION_RENEW_SECONDS`` old or more, so a session ends
    between ``SESSION_COOKIE_AGE - CTIP_SESSION_RENEW_SECONDS`` and ``SESSION_COOKIE_AGE`` after
    the last request (29 to 30 minutes by default). Requests without a session (the public
    bulletin, a first visit) are left alone: no session is made for them, and so are the
    reloads a waiting page makes by itself (``?poll=1``): a page left open on an import does
    not keep a session alive past the idle timeout."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or not session.keys():
            return response  # no session, or one ended or expired: nothing to keep alive
        if request.GET.get(POLL_PARAMETER) == "1":
            return response  # the page reloading itself: she may have walked away
        now = int(timezone.now().timestamp())
        renewed = session.get(RENEWED_KEY)
        stale = (not isinstance(renewed, int) or renewed > now
                 or now - renewed >= settings.CTIP_SESSION_RENEW_SECONDS)
        if stale or session.modified:  # a session saved anyway starts a new minute
            session[RENEWED_KEY] = now
        return response


class HtmxLeavesPageMiddleware:
    """A part of a page asked for by htmx and answered with a redirect to an account page (the
    session ended: sign in; two-step sign-in; a new password): htmx would follow it and put the
    whole sign-in page inside the part. The browser goes there instead (``HX-Redirect``), and
    she comes back to the page she was on, not to the part's own address (a waiting page's
    ``?poll=1`` left out: her first request after signing in is hers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (not getattr(request, "htmx", False) or response.status_code not in REDIRECTS
                or not _an_account_page(response["Location"])):
            return response
        return HttpResponseClientRedirect(_without_poll(response["Location"]))


REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _an_account_page(location: str) -> bool:
    """A page of the sign-in page's own app (sign in, two-step sign-in, a new password)."""
    try:
        found = resolve(urlsplit(location).path)
    except Resolver404:
        return False
    return found.namespace == resolve(resolve_url(settings.LOGIN_URL)).namespace


def _without_poll(location: str) -> str:
    """``location`` whose ``next`` no longer asks as a waiting page does."""
    parts = urlsplit(location)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = []
    for key, value in query:
        if key == "next":
            inner = urlsplit(value)
            value = urlunsplit(inner._replace(query=urlencode(
                [(k, v) for k, v in parse_qsl(inner.query, keep_blank_values=True)
                 if k not in {POLL_PARAMETER, "seen"}])))
        kept.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(kept)))


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = request_context.RequestContext(
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            via="web",
        )
        with request_context.bind(ctx):
            return self.get_response(request)


class VietnameseFirstMiddleware:
    """Vietnamese unless the person chose otherwise with the language switcher.

    A phone set to English must not turn the interface English by itself, so the browser's
    Accept-Language header is ignored; the cookie set by the switcher still applies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


# The message of Django's validator for NUL in a form field. Django's own Vietnamese catalogue
# has no translation for it; naming it here keeps it in ctip's catalogue, which has one.
NUL_MESSAGE = gettext_lazy("Null characters are not allowed.")


MAX_ID_DIGITS = 100  # far past any id; Python refuses int() of more than 4,300 digits


def _query_value(value: str) -> str:
    """A query-string value without NUL; an "id" that ``int()`` cannot read although
    ``str.isdigit()`` says it is digits (5,000 of them, or "²") becomes "0": no such object."""
    value = value.replace("\x00", "")
    if value.isdigit() and (len(value) > MAX_ID_DIGITS or not value.isdecimal()):
        return "0"
    return value


class HostileInputMiddleware:
    """Query strings that cannot break a page.

    NUL characters never reach a query: PostgreSQL refuses them in text (the page would answer
    500) and no one types them. A path holding one is a page that does not exist (404); a query
    string loses them (``?q=%00`` is an empty search). Views read ids from the query string as
    ``int(raw)`` after ``raw.isdigit()``: a value of thousands of digits, or digits ``int()``
    does not read ("²"), is turned into "0", an id that matches nothing. Form fields are left as
    sent: every text field refuses NUL with a Vietnamese message (Django's validator,
    translated in ctip's catalogue), so what was typed is shown again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            raise Http404
        items = list(request.GET.lists())
        if any(_query_value(key) != key or any(_query_value(v) != v for v in values)
               for key, values in items):
            cleaned = QueryDict(mutable=True)
            for key, values in items:
                cleaned.setlist(key.replace("\x00", ""), [_query_value(v) for v in values])
            cleaned._mutable = False
            request.GET = cleaned  # type: ignore[assignment]
        return self.get_response(request)
