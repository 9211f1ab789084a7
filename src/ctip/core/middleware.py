from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ctip.core import request_context


def client_ip(request: HttpRequest) -> str | None:
    """The client address. Behind a reverse proxy, the proxy sets REMOTE_ADDR via its WSGI
    integration; we do not trust X-Forwarded-For from the client."""
    return request.META.get("REMOTE_ADDR") or None


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
