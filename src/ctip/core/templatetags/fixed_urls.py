"""``{% url 'name' %}`` without arguments, reversed once per process (decision 0071).

A built-in of the template engine (``TEMPLATES["OPTIONS"]["builtins"]``), so it replaces
Django's ``{% url %}`` in every template. An address with a literal name and no argument is the
same for every request that has the same address prefix, URL configuration, language and
current application (a namespace's instance): it is reversed the first time and kept under
those. Everything else (a name held in a variable, arguments) is Django's tag unchanged.
Reversing cost every link of every page 15 to 25 microseconds of processor time; a page shows
ten to thirty of them. Nothing of the person or the request but the current application is
part of an address without arguments, so a kept one cannot carry anything of anyone. What is
kept is forgotten when a setting changes (the tests' overrides of the URL configuration), as
``{% per_language %}`` does.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

from ctip.core.templatetags import shell

register = template.Library()

_MISSING = object()
_kept: dict[tuple[Any, ...], str] = {}
_kept_generation = shell.generation()


def _current_app(context: Context) -> Any:
    """As Django's tag finds it: the request's ``current_app``, else its namespace."""
    request = getattr(context, "request", None)
    try:
        return request.current_app  # type: ignore[union-attr]
    except AttributeError:
        try:
            return request.resolver_match.namespace  # type: ignore[union-attr]
        except AttributeError:
            return None


class FixedURLNode(URLNode):  # type: ignore[misc]  # Django's node has no hints
    """Django's node, the address of a literal name without arguments kept."""

    def __init__(self, node: URLNode, name: str) -> None:
        super().__init__(node.view_name, node.args, node.kwargs, node.asvar)
        self.name = name

    def render(self, context: Context) -> str:
        global _kept, _kept_generation  # noqa: PLW0603  (one table for every template)
        generation = shell.generation()
        if generation != _kept_generation:
            _kept, _kept_generation = {}, generation
        current_app = _current_app(context)
        key = (self.name, current_app, get_language(), get_script_prefix(), get_urlconf())
        address: Any = _kept.get(key, _MISSING)
        if address is _MISSING:
            try:
                address = _kept[key] = reverse(self.name, current_app=current_app)
            except NoReverseMatch:  # not kept: the same name without "as" must still fail
                if self.asvar is None:
                    raise
                address = ""
        if self.asvar:
            context[self.asvar] = address
            return ""
        return conditional_escape(address) if context.autoescape else address  # type: ignore[no-any-return]


@register.tag
def url(parser: Parser, token: Token) -> URLNode:
    node = django_url(parser, token)
    name = node.view_name.var  # a quoted name is read as a string, a variable is not
    if node.args or node.kwargs or node.view_name.filters or not isinstance(name, str):
        return node
    return FixedURLNode(node, str(name))
