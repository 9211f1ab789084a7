"""Links to another page of a list that keep every filter of the current address."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict

register = template.Library()


@register.simple_tag
def page_query(params: Any, number: int, name: str = "") -> str:
    """``?…&page=N`` built from ``params``: a ``QueryDict`` (every value of a repeated key is
    kept, keys and values are URL-encoded) or any object with ``items()``. ``name`` is the
    page's parameter when a page holds several lists paged apart (``page`` otherwise)."""
    query = QueryDict(mutable=True)
    if hasattr(params, "lists"):
        for key, values in params.lists():
            query.setlist(key, list(values))
    else:
        for key, value in params.items():
            query.appendlist(key, value)
    query[name or "page"] = str(number)
    return "?" + query.urlencode()
