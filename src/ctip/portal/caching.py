"""Rendered bulletin pages, cached for anonymous readers and dropped whenever anything is
published.

The cache key holds a site-wide *bulletin version*; publishing, unpublishing, moving or deleting
a page (in the admin, by the workflow, or by the scheduled go-live/expiry in ``ctip worker``)
sets a new version, so every page is rendered afresh on its next request. Old entries simply
expire. The cache is the default Django cache: files in the data directory, shared by the
gunicorn workers and the worker process.

Nothing is cached for signed-in users, with messages waiting, for other methods than GET/HEAD,
with query parameters other than ``page``, or for responses other than 200.

Below the pages, what an article's first rendering needs is kept across publishes (decision
0052): Wagtail's routing of an address (``route``: address → site, page and the page's view
restrictions, checked against the page read by its key, so a stale entry is never served), and
the parts of an article that only its own publish changes (``ctip.portal.models``).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.utils import translation
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move
from wagtail.url_routing import RouteResult

VERSION_KEY = "portal:bulletin-version"
ROUTES_KEY = "portal:routes-version"
PAGE_TIMEOUT = 3600
CACHE_HEADER = "X-Bulletin-Cache"


def bulletin_version() -> int:
    return _version(VERSION_KEY)


def bump_version(**kwargs: Any) -> None:
    cache.set(VERSION_KEY, time.time_ns(), None)


def _version(key: str) -> int:
    version = cache.get(key)
    if version is None:
        cache.add(key, time.time_ns(), None)
        version = cache.get(key) or 0
    return int(version)


def bump_routes(**kwargs: Any) -> None:
    """Addresses may now lead elsewhere (a page unpublished, moved, renamed or deleted, a site
    or a view restriction changed): every kept route is dropped, and every page."""
    cache.set(ROUTES_KEY, time.time_ns(), None)
    bump_version()


#: How long the most-read list is kept (it changes with readings, not with publishing).
MOST_READ_TIMEOUT = 300


def remembered(name: str, request: HttpRequest | None, compute: Any,
               timeout: int = PAGE_TIMEOUT, *, per_publish: bool = True) -> Any:
    """A value made from the published bulletin (the menu, the settings), kept in the cache
    under the bulletin version, the language and the address the reader used: computed once
    per publish, not on every page rendered. ``per_publish=False``: kept across publishes
    (``name`` must then say which version of its source it was made from), dropped only when
    addresses change (``bump_routes``)."""
    if request is None:
        return compute()
    host = "" if settings.CTIP_PUBLIC_URL else request.get_host()
    version = bulletin_version() if per_publish else _version(ROUTES_KEY)
    parts = "|".join([name, str(version), translation.get_language() or "",
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


def storable(response: HttpResponse) -> bool:
    """A 200 that says nothing against being kept: Wagtail marks a page under a view
    restriction (and its password form) never to be cached."""
    control = response.get("Cache-Control", "")
    return response.status_code == 200 and not any(
        word in control for word in ("no-cache", "no-store", "private"))


def store(key: str, response: HttpResponse) -> None:
    if not storable(response) or response.has_header("Set-Cookie") or response.cookies:
        return
    cache.set(key, (response.content, response["Content-Type"]), PAGE_TIMEOUT)


class Restrictions:
    """A page's view restrictions as read with its route, answered in place of
    ``Page.get_view_restrictions`` (a class, not a closure: the page may be pickled with its
    site)."""

    def __init__(self, restrictions: list[Any]) -> None:
        self.restrictions = restrictions

    def __call__(self) -> list[Any]:
        return self.restrictions


#: How long a route is kept (it is checked against the page on every use).
ROUTE_TIMEOUT = 24 * 3600


def route(request: HttpRequest, path: str) -> None:
    """Wagtail's routing of this address, from the cache when it was routed before: the site,
    the page read by its key in one query, and the page's view restrictions, set where
    ``wagtail.views.serve`` looks for them (``request._wagtail_route_for_request``). A kept
    route is used only if the page is still live at the same address (``url_path``), so a page
    unpublished, moved or renamed is routed afresh even before ``bump_routes``. Pages with
    their own ``route`` (none in the bulletin) are never kept."""
    if hasattr(request, "_wagtail_route_for_request"):
        return
    # the site is found as Wagtail finds it: the raw host, without the ALLOWED_HOSTS check
    hostname = split_domain_port(request._get_raw_host())[0]  # type: ignore[attr-defined]
    components = [c for c in path.split("/") if c]
    parts = "\x1f".join([str(_version(ROUTES_KEY)), hostname, str(request.get_port()),
                          *components])
    key = "portal:route:" + hashlib.sha256(parts.encode()).hexdigest()
    kept = cache.get(key)
    if kept is not None:
        site, page_id, content_type_id, url_path, restrictions = kept
        model: Any = ContentType.objects.get_for_id(content_type_id).model_class()
        page = model.objects.filter(pk=page_id).first() if model is not None else None
        if page is not None and page.live and page.url_path == url_path:
            page.get_view_restrictions = Restrictions(restrictions)  # read with the route
            request._wagtail_site = site  # type: ignore[attr-defined]
            request._wagtail_route_for_request = RouteResult(page)  # type: ignore[attr-defined]
            return
    found = Page.route_for_request(request, path)
    if found is None:
        return  # not found: nothing kept (a page published later takes the address)
    page, args, kwargs = found
    if args or kwargs or type(page).route is not Page.route:
        return
    restrictions = list(page.get_view_restrictions())
    site = request._wagtail_site  # type: ignore[attr-defined]
    bare = type(site)(**{f.attname: getattr(site, f.attname)  # its fields, not its pages
                         for f in site._meta.concrete_fields})
    bare._state.adding, bare._state.db = False, site._state.db
    cache.set(key, (bare, page.pk, page.content_type_id, page.url_path, restrictions),
              ROUTE_TIMEOUT)
    page.get_view_restrictions = Restrictions(restrictions)  # not read twice


def connect_signals() -> None:
    """Publishing anything makes every cached page stale; unpublishing, moving, renaming or
    deleting a page, or changing a site or a page's view restrictions, every kept route too."""
    # portal.models imports this module (its pages clear the caches): a cycle
    from ctip.portal.models import BulletinSettings

    def settings_changed(sender: Any, created: bool = False, **kwargs: Any) -> None:
        if not created:  # made with the defaults on the first reading: nothing changed
            bump_version()

    page_published.connect(bump_version, dispatch_uid="portal-cache-published")
    post_save.connect(settings_changed, sender=BulletinSettings, weak=False,
                      dispatch_uid="portal-cache-settings")
    page_unpublished.connect(bump_routes, dispatch_uid="portal-cache-unpublished")
    page_slug_changed.connect(bump_routes, dispatch_uid="portal-cache-slug")

    def page_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
        if isinstance(instance, Page):
            bump_routes()

    post_delete.connect(page_deleted, dispatch_uid="portal-cache-deleted", weak=False)
    post_page_move.connect(bump_routes, dispatch_uid="portal-cache-moved")
    # a page made private (or public again) must not be served from the cache as it was
    for model in (PageViewRestriction, Site):
        post_save.connect(bump_routes, sender=model, weak=False,
                          dispatch_uid=f"portal-cache-saved-{model.__name__}")
        post_delete.connect(bump_routes, sender=model, weak=False,
                            dispatch_uid=f"portal-cache-deleted-{model.__name__}")
