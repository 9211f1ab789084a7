"""A signed-in page rendered once per set of the values it shows, and kept (decision 0089).

``render_kept(request, template_name, values)`` answers like ``TemplateResponse`` with
``values`` as the view's context, but renders the page (the frame and the content) with
**those values alone** and keeps the HTML in the process, per set of values, as
``{% per_inputs %}`` keeps a part (decision 0081). What the frame shows of the request is made
plain values first and joins the key: her number and name, her menu's HTML, the page's path
(the language switch returns there), the notice about where the figures come from; and the
language, time zone, address prefix and URL configuration, as for every kept part.

- Nothing else reaches the template: it is rendered without the request, so a context
  processor's value, ``{{ request.… }}`` beyond the address, or an attribute of ``user`` beyond
  her number, her name and that she is signed in renders as nothing. A page can only show what
  its key holds.
- The CSRF token is the request's own, masked afresh: the page is rendered with the
  placeholder of ``{% per_inputs %}``, replaced on every answer.
- A request with messages waiting (a "saved" after a redirect) is rendered as usual, with
  them, and not kept; so is a request with a query string (the pages kept read none: the
  address in the key is the path, and no one can fill the table by varying a parameter), a
  request of no one signed in, and a value holding the CSRF placeholder.
- A value may not take a name the frame gives (``RESERVED``): ``ValueError``.
- The answer is sent ``Cache-Control: no-store``: a person's page, not for a shared phone's
  disk.
- A value must be plain (``{% per_inputs %}``'s rule): a model instance is refused.
- At most ``KEPT_PER_PAGE`` sets of values per template and process, the oldest dropped first;
  all forgotten when a setting changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.template.response import TemplateResponse
from django.utils.timezone import get_current_timezone_name

from ctip.accounts.context_processors import menu
from ctip.core.dbrouter import figures_notice
from ctip.core.templatetags.shell import (
    CSRF_HOLE,
    KEPT_PER_PART,
    _frozen,
    _place,
    generation,
    thaw,
)

KEPT_PER_PAGE = KEPT_PER_PART

_lock = threading.Lock()
_pages: dict[str, dict[tuple[Any, ...], str]] = {}
_pages_generation = generation()


@dataclass(frozen=True)
class _Viewer:
    """What the frame reads of ``user``: signed in, her number, her name."""

    pk: int
    label: str
    is_authenticated: bool = True

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class _Address:
    """What the frame reads of ``request``: the page's path (a request with a query string is
    not kept)."""

    path: str

    def get_full_path(self) -> str:
        return self.path


def _waiting_messages(request: HttpRequest) -> bool:
    # ``len`` reads the stored messages without marking them shown
    return bool(len(get_messages(request)))


#: the names the frame gives the template: a page's value may not take one
RESERVED = frozenset({"user_pk", "user_label", "nav_menu", "path", "figures_notice", "user",
                      "request", "csrf_token", "messages", "LANGUAGES"})


def _as_usual(request: HttpRequest, template_name: str,
              values: dict[str, Any]) -> HttpResponse:
    response = TemplateResponse(request, template_name, thaw(values))
    response["Cache-Control"] = "no-store"
    return response


def render_kept(request: HttpRequest, template_name: str,
                values: dict[str, Any]) -> HttpResponse:
    """The page ``template_name`` with ``values``, for the signed-in ``request.user``."""
    global _pages, _pages_generation  # noqa: PLW0603  (one table per process)
    if not RESERVED.isdisjoint(values):
        raise ValueError(f"a kept page's values may not be named {sorted(RESERVED & set(values))}")
    user = request.user
    if not user.is_authenticated or request.GET or _waiting_messages(request):
        return _as_usual(request, template_name, values)
    frame = {"user_pk": user.pk, "user_label": str(user), "nav_menu": menu(request),
             "path": request.path,
             "figures_notice": figures_notice(request).get("figures_notice", "")}
    try:
        keys, plain = _frozen({**values, **frame})
    except ValueError:  # a value holds the CSRF placeholder: not kept (shell._no_hole)
        return _as_usual(request, template_name, values)
    key = (*_place(), get_current_timezone_name(), keys)
    if _pages_generation != generation():
        with _lock:
            _pages, _pages_generation = {}, generation()
    kept = _pages.setdefault(template_name, {})
    text = kept.get(key)
    if text is None:
        text = get_template(template_name).render({
            **plain, "user": _Viewer(plain["user_pk"], plain["user_label"]),
            "request": _Address(plain["path"]), "csrf_token": CSRF_HOLE, "messages": (),
            "LANGUAGES": settings.LANGUAGES})
        with _lock:
            if len(kept) >= KEPT_PER_PAGE:
                del kept[next(iter(kept))]
            kept[key] = text
    response = HttpResponse(text.replace(CSRF_HOLE, get_token(request)))
    response["Cache-Control"] = "no-store"  # her name, her units, her tokens: not on disk
    return response
