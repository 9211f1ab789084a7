from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.http import urlencode

from ctip.portal import share
from ctip.portal.links import page_url, public_url

register = template.Library()


@register.simple_tag
def bulletin_sections() -> list[Any]:
    """The live sections of the bulletin home, for the menu."""
    from ctip.portal.models import BulletinHome, SectionPage

    home = BulletinHome.objects.live().first()
    if home is None:
        return []
    return list(SectionPage.objects.live().public().child_of(home).only("title", "url_path"))


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
