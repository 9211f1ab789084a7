"""Rendering a whole page, or for htmx requests just the named partial of the same template."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.response import TemplateResponse


def render_page(request: HttpRequest, template: str, context: dict[str, Any],
                partial: str | None = None, status: int = 200) -> TemplateResponse:
    name = template
    if partial and getattr(request, "htmx", False) and not request.htmx.boosted:  # type: ignore[attr-defined]
        name = f"{template}#{partial}"
    return TemplateResponse(request, name, context, status=status)


def unchanged(request: HttpRequest, state: str) -> bool:
    """A waiting page asking again for its part (htmx, ``seen``: the state it shows) while
    nothing has changed: it is answered 204 and swaps nothing, so a screen reader is not read
    the same words again every few seconds (decision 0104)."""
    return bool(getattr(request, "htmx", False)) and request.GET.get("seen") == state
