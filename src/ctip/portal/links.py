"""Absolute addresses of the bulletin: ``CTIP_PUBLIC_URL`` when set, else the request's own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def public_url(request: HttpRequest | None, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    if settings.CTIP_PUBLIC_URL or request is None:
        return (settings.CTIP_PUBLIC_URL or settings.WAGTAILADMIN_BASE_URL) + path
    return request.build_absolute_uri(path)


def page_url(request: HttpRequest | None, page: Any) -> str:
    """The page's absolute address (Wagtail gives a relative one for a single site)."""
    return public_url(request, page.get_url(request=request) or "/")
