from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from ctip.accounts.policy import navigation_for
from ctip.core.templatetags import shell as _shell

_menus: dict[tuple[Any, ...], SafeString] = {}
_menus_generation = _shell.generation()


def menu(request: HttpRequest) -> SafeString:
    """The entries of the main menu the signed-in user may use, the current page marked.

    The same for everyone with the same entries reading the same page's address in one
    language: built once per process for each (language, address prefix, entries, current
    entry) and kept (decision 0071); the entries come from her capabilities, so a kept menu is
    never more than the menu she is shown from them."""
    global _menus, _menus_generation  # noqa: PLW0603  (one table per process)
    items = navigation_for(getattr(request, "user", None))
    if not items:
        return SafeString("")
    generation = _shell.generation()
    if generation != _menus_generation:
        _menus, _menus_generation = {}, generation
    urls = tuple(item.url for item in items)
    current = request.path if request.path in urls else None
    key = (get_language(), get_script_prefix(), get_urlconf(), urls, current)
    html = _menus.get(key)
    if html is None:
        html = format_html_join("", "<li><a href=\"{}\"{}>{}</a></li>", (
            (item.url, mark_safe(' aria-current="page"') if item.url == current else "",
             item.label) for item in items))
        _menus[key] = html
    return html


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the base layout needs: the language switcher and the menu the user may use, the
    menu built only when a page shows it."""
    return {"LANGUAGES": settings.LANGUAGES, "nav_menu": partial(menu, request)}
