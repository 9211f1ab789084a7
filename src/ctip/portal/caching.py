"""Rendered bulletin pages, cached for anonymous readers and dropped whenever anything is
published.

The cache key holds a site-wide *bulletin version*; publishing, unpublishing, moving or deleting
a page (in the admin, by the workflow, or by the scheduled go-live/expiry in ``ctip worker``)
sets a new version, so every page is rendered afresh on its next request. Old entries simply
expire. The cache is the default Django cache: files in the data directory, shared by the
gunicorn workers and the worker process.

Nothing is cached for signed-in users, with messages waiting, for other methods than GET/HEAD,
with query parameters other than ``page``, or for responses other than 200.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation

VERSION_KEY = "portal:bulletin-version"
PAGE_TIMEOUT = 3600
CACHE_HEADER = "X-Bulletin-Cache"


def bulletin_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), None)
        version = cache.get(VERSION_KEY) or 0
    return int(version)


def bump_version(**kwargs: Any) -> None:
    cache.set(VERSION_KEY, time.time_ns(), None)


#: How long the most-read list is kept (it changes with readings, not with publishing).
MOST_READ_TIMEOUT = 300


def remembered(name: str, request: HttpRequest | None, compute: Any,
               timeout: int = PAGE_TIMEOUT) -> Any:
    """A value made from the published bulletin (the menu, the settings), kept in the cache
    under the bulletin version, the language and the address the reader used: computed once
    per publish, not on every page rendered."""
    if request is None:
        return compute()
    host = "" if settings.CTIP_PUBLIC_URL else request.get_host()
    parts = "|".join([name, str(bulletin_version()), translation.get_language() or "",
                      "https" if request.is_secure() else "http", host])
    key = "portal:part:" + hashlib.sha256(parts.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def cache_key(request: HttpRequest, path: str) -> str | None:
    """The key for this request's page, or None when it must not be cached."""
    if request.method not in ("GET", "HEAD"):
        return None
    if set(request.GET) - {"page"} or len(request.GET.getlist("page")) > 1:
        return None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return None
    if len(messages.get_messages(request)):
        return None
    host = "" if settings.CTIP_PUBLIC_URL else request.get_host()
    parts = "|".join([str(bulletin_version()), translation.get_language() or "",
                      "https" if request.is_secure() else "http", host, path,
                      request.GET.get("page", "")])
    return "portal:page:" + hashlib.sha256(parts.encode()).hexdigest()


def cached_response(key: str) -> HttpResponse | None:
    hit = cache.get(key)
    if hit is None:
        return None
    content, content_type = hit
    response = HttpResponse(content, content_type=content_type)
    response[CACHE_HEADER] = "hit"
    return response


def store(key: str, response: HttpResponse) -> None:
    if response.status_code != 200 or response.has_header("Set-Cookie") or response.cookies:
        return
    cache.set(key, (response.content, response["Content-Type"]), PAGE_TIMEOUT)


def connect_signals() -> None:
    """Publishing anything makes every cached page stale."""
    from django.db.models.signals import post_delete, post_save
    from wagtail.models import Page
    from wagtail.signals import (
        page_published,
        page_slug_changed,
        page_unpublished,
        post_page_move,
    )

    from ctip.portal.models import BulletinSettings

    def settings_changed(sender: Any, created: bool = False, **kwargs: Any) -> None:
        if not created:  # made with the defaults on the first reading: nothing changed
            bump_version()

    page_published.connect(bump_version, dispatch_uid="portal-cache-published")
    post_save.connect(settings_changed, sender=BulletinSettings, weak=False,
                      dispatch_uid="portal-cache-settings")
    page_unpublished.connect(bump_version, dispatch_uid="portal-cache-unpublished")
    page_slug_changed.connect(bump_version, dispatch_uid="portal-cache-slug")

    def page_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
        if isinstance(instance, Page):
            bump_version()

    post_delete.connect(page_deleted, dispatch_uid="portal-cache-deleted", weak=False)
    post_page_move.connect(bump_version, dispatch_uid="portal-cache-moved")
