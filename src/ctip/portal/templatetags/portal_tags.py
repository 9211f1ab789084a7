from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.http import urlencode

from ctip.portal import share
from ctip.portal.links import page_url, public_url

register = template.Library()


@register.simple_tag(takes_context=True)
def bulletin_sections(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The live sections of the bulletin home, for the menu: title, URL, whether current."""
    from ctip.portal.models import BulletinHome, SectionPage

    request = context.get("request")
    home = BulletinHome.objects.live().first()
    if home is None:
        return []
    items = []
    for section in SectionPage.objects.live().public().child_of(home).defer_streamfields():
        url = section.get_url(request=request)
        items.append({"title": section.title, "url": url,
                      "current": request is not None and request.path == url})
    return items


@register.simple_tag
def site_name() -> str:
    return str(settings.WAGTAIL_SITE_NAME)


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
    from ctip.portal.blocks import document_info as info

    return info(document)
