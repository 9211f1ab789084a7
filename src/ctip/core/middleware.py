from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ctip.core import request_context
from ctip.core.client import client_ip

__all__ = ["RequestContextMiddleware", "VietnameseFirstMiddleware", "client_ip"]


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
