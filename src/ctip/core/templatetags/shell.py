"""``{% per_language %}…{% endper_language %}``: a part of a page that is the same for everyone
who reads it in one language, rendered once per language and process and reused (decision
0066).

The frame of every staff page holds dozens of translated labels, links and static file
addresses that depend only on the language, the address prefix and the deployed code
(translations, URLs, the static manifest: all fixed until the process restarts). Rendering
them on every request was most of a light page's cost. A part is rendered with an **empty
context**: nothing of the request, the person or the view can reach it, so a part cannot show
one person's data to another; a ``{{ variable }}`` or ``{% csrf_token %}`` put in one by
mistake renders as nothing. A ``{% block %}`` cannot be inside one (template inheritance would
be kept too). What is kept is forgotten when a setting changes (the tests' overrides).
"""

from __future__ import annotations

import itertools
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

_generations = itertools.count()
_generation = next(_generations)


def _settings_changed(**kwargs: Any) -> None:
    global _generation  # noqa: PLW0603  (one counter for every part of every template)
    _generation = next(_generations)


setting_changed.connect(_settings_changed, dispatch_uid="ctip-per-language")


def generation() -> int:
    """Changes when a setting does: what a process kept from the settings is stale then."""
    return _generation


class PerLanguageNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist
        self.kept: dict[tuple[Any, ...], SafeString] = {}

    def render(self, context: Context) -> SafeString:
        key = (_generation, get_language(), get_script_prefix(), get_urlconf())
        text = self.kept.get(key)
        if text is None:
            if any(k[0] != _generation for k in self.kept):
                self.kept = {}
            empty = Context(autoescape=context.autoescape)
            empty.template = context.template  # for {% include %}; nothing of its data
            text = mark_safe(self.nodelist.render(empty))  # noqa: S308  (rendered escaped)
            self.kept[key] = text
        return text


@register.tag
def per_language(parser: Parser, token: Token) -> PerLanguageNode:
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% per_language %} takes no argument")
    nodelist = parser.parse(("endper_language",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise template.TemplateSyntaxError("a {% block %} cannot be inside {% per_language %}")
    return PerLanguageNode(nodelist)
