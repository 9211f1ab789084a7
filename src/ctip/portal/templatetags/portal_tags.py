from __future__ import annotations

import json
from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from ctip.portal import caching, share
from ctip.portal.blocks import document_info as describe_document
from ctip.portal.cms_scripts import init_block
from ctip.portal.links import page_url, public_url
from ctip.portal.models import BulletinHome, BulletinSettings, SectionPage
from ctip.portal.readership import most_read as most_read_pages

register = template.Library()


@register.simple_tag(takes_context=True)
def bulletin_menu(context: dict[str, Any]) -> dict[str, Any]:
    """The menu of every bulletin page, as plain values (the frame renders it once per set of
    them: ``{% per_inputs %}``, decision 0083): the live sections of the bulletin home (title,
    URL, whether current; the titles and URLs kept until the next publish), and whether the
    page is the home, the offer check or the report form."""
    request = context.get("request")
    path = request.path if request is not None else None
    items = caching.remembered("menu", request, lambda: _sections(request))
    return {"sections": [{**item, "current": path == item["url"]} for item in items],
            "home": path == "/", "check": path == reverse("offers:check"),
            "report": path == reverse("portal:report")}


def _sections(request: Any) -> list[dict[str, str]]:
    home = BulletinHome.objects.live().first()
    if home is None:
        return []
    return [{"title": section.title, "url": section.get_url(request=request)}
            for section in SectionPage.objects.live().public().child_of(home)
            .defer_streamfields()]


def _settings(context: Any) -> Any:
    """The bulletin's settings for this request's site (``BulletinSettings``), kept in the
    context for the rest of the page and in the cache until the next publish or change of
    the settings; unsaved defaults when no site matches."""
    found = context.get("_bulletin_settings")
    if found is None:
        request = context.get("request")
        found = caching.remembered("settings", request, lambda: _site_settings(request))
        context["_bulletin_settings"] = found
    return found


def _site_settings(request: Any) -> Any:
    try:
        found = BulletinSettings.for_request(request) if request is not None else None
    except Exception:  # noqa: BLE001 - no site for this host: the defaults
        found = None
    if found is None:
        return BulletinSettings()
    if found.banner_id:
        found.banner  # noqa: B018 - loaded now, kept with the settings
    return found


@register.simple_tag(takes_context=True)
def bulletin_settings(context: Any) -> Any:
    return _settings(context)


@register.simple_tag(takes_context=True)
def site_name(context: Any) -> str:
    return str(_settings(context).name())


@register.simple_tag(takes_context=True)
def most_read(context: Any, limit: int = 5) -> list[dict[str, str]]:
    """The most read articles' titles and URLs, kept a few minutes (and until the next
    publish)."""
    request = context.get("request")
    return caching.remembered(
        f"most-read:{limit}", request,
        lambda: [{"title": page.title, "url": page.get_url(request=request)}
                 for page in most_read_pages(limit)],
        timeout=caching.MOST_READ_TIMEOUT)


@register.simple_tag(takes_context=True)
def absolute_url(context: dict[str, Any], path_or_page: Any) -> str:
    request = context.get("request")
    if hasattr(path_or_page, "get_url"):
        return page_url(request, path_or_page)
    return public_url(request, str(path_or_page))


@register.simple_tag(takes_context=True)
def share_links(context: dict[str, Any], page: Any) -> list[dict[str, str]]:
    return share.links(page_url(context.get("request"), page))


@register.filter
def with_query(path: str, params: dict[str, Any]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


@register.filter
def document_info(document: Any) -> str:
    """"PDF, 120 kB" for a link to an uploaded document (``ctip.portal.blocks``)."""
    return describe_document(document)


@register.filter
def tel(number: str) -> str:
    """"0236 3822.123" → "tel:02363822123"."""
    return "tel:" + "".join(ch for ch in str(number) if ch.isdigit() or ch == "+")


@register.simple_tag
def cms_init(name: str, *args: Any, config: str | None = None) -> str:
    """A Wagtail widget's set-up call as a JSON block run by ``portal/cms-init.js`` (no inline
    script: ``ctip.portal.cms_scripts``). ``config``: a JSON text, passed as the last argument."""
    if config is not None:
        args = (*args, json.loads(config))
    return init_block(name, *args)
