from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext_lazy

from ctip.core import request_context


def client_ip(request: HttpRequest) -> str | None:
    """The client address. ``X-Forwarded-For`` is believed only when the request comes from a
    proxy listed in ``CTIP_TRUSTED_PROXIES``; then the address the proxy saw is used (the last
    entry it appended). A client cannot forge its address by sending the header itself."""
    remote = request.META.get("REMOTE_ADDR") or None
    if remote and remote in settings.CTIP_TRUSTED_PROXIES:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1]
    return remote


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


class HostileInputMiddleware:
    """NUL characters never reach a query: PostgreSQL refuses them in text (the page would
    answer 500) and no one types them.

    A path holding one is a page that does not exist (404); a query string loses them (``?q=%00``
    is an empty search). Form fields are left as sent: every text field refuses NUL with a
    Vietnamese message (Django's validator, translated in ctip's catalogue), so what was typed is
    shown again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            raise Http404
        if "%00" in request.META.get("QUERY_STRING", "") or any(
                "\x00" in key or any("\x00" in v for v in values)
                for key, values in request.GET.lists()):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
            cleaned._mutable = False
            request.GET = cleaned  # type: ignore[assignment]
        return self.get_response(request)
