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

import dataclasses
import datetime
import decimal
import hashlib
import itertools
import secrets
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.template.base import Parser, Token, token_kwargs
from django.template.context import Context
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.functional import Promise
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
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


def _place() -> tuple[Any, ...]:
    """What every kept part also depends on: the language, the address prefix and the URL
    configuration (its translations and addresses)."""
    return (get_language(), get_script_prefix(), get_urlconf())


class KeptPart(template.Node):
    """A part of a template rendered apart and kept, per process, under a key its tag gives."""

    # Not searched for blocks (none can be inside): {% extends %} searches its parent's whole
    # tree on every render, and the frame's parts are most of it.
    child_nodelists = ()

    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist
        self.kept: dict[tuple[Any, ...], str] = {}
        self.generation = _generation

    def _kept(self) -> dict[tuple[Any, ...], str]:
        """What is kept, forgotten first if a setting changed since."""
        if self.generation != _generation:
            self.kept, self.generation = {}, _generation
        return self.kept

    def _alone(self, context: Context, values: dict[str, Any]) -> str:
        """The part rendered with these values and nothing else of the page's context."""
        own = Context(values, autoescape=context.autoescape)
        own.template = context.template  # for {% include %}; nothing of its data
        return self.nodelist.render(own)


def _part(parser: Parser, name: str) -> template.NodeList:
    nodelist = parser.parse((f"end{name}",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise template.TemplateSyntaxError(f"a {{% block %}} cannot be inside {{% {name} %}}")
    return nodelist


class PerLanguageNode(KeptPart):
    def render(self, context: Context) -> SafeString:
        kept, key = self._kept(), _place()
        text = kept.get(key)
        if text is None:
            text = kept[key] = self._alone(context, {})
        return mark_safe(text)  # noqa: S308  (rendered escaped)


@register.tag
def per_language(parser: Parser, token: Token) -> PerLanguageNode:
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% per_language %} takes no argument")
    return PerLanguageNode(_part(parser, "per_language"))


# ``{% per_inputs name=value … %}…{% endper_inputs %}``: a part of a page rendered once per
# set of values and kept (decision 0081).

KEPT_PER_PART = 512  # sets of values kept per part and process; the oldest is dropped first
# Where the request's CSRF token goes in a kept part: random per process, never sent (always
# replaced before the page leaves), letters and digits only so that escaping leaves it whole.
CSRF_HOLE = "ctipcsrfhole" + secrets.token_hex(16)

_SCALARS = (str, int, float, bool, type(None), datetime.date, datetime.time, decimal.Decimal)


def _no_hole(text: str) -> None:
    """A value holding the CSRF placeholder would get the request's token put into it (in an
    address, say): never from a real value, since the placeholder is never sent."""
    if CSRF_HOLE in text:
        raise ValueError("a kept value holds the CSRF placeholder")


@dataclasses.dataclass(frozen=True)
class Frozen:
    """A plain value taken apart once, when it was made (``freeze``), and known afterwards by
    the digest of its key: a page kept per set of values (``render_kept``, ``{% per_inputs %}``)
    takes its key and its copy as they are instead of taking it apart on every request (the
    staff home's cards, kept in the cache with their lists of situations and reports). What is
    refused is refused when it is made."""

    digest: str
    plain: Any


def freeze(value: Any) -> Frozen:
    """``value`` (plain, as ``_frozen`` takes it) frozen once."""
    keys, plain = _frozen(value)
    return Frozen(hashlib.sha256(repr(keys).encode()).hexdigest(), plain)


def thaw(value: Any) -> Any:
    """``value`` with every ``Frozen`` in it replaced by its copy (for a page rendered as
    usual, not kept)."""
    if isinstance(value, Frozen):
        return value.plain
    if isinstance(value, dict):
        return {name: thaw(v) for name, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def _frozen(value: Any) -> tuple[Any, Any]:
    """``(key, plain)``: a hashable key equal only for values that render alike, and a copy of
    the value holding nothing else. A safe and an escaped string of the same text differ; a
    lazy translation is its text in the current language (part of the key); a list, a tuple,
    a dictionary or a dataclass is taken apart. Anything else (a model instance, equal to any
    other of its primary key whatever its fields) is refused (``TypeError``), and so is text
    holding the CSRF placeholder (``ValueError``)."""
    if isinstance(value, Frozen):
        return ("frozen", value.digest), value.plain
    if isinstance(value, SafeData):
        _no_hole(str(value))
        return ("safe", str(value)), mark_safe(str(value))  # noqa: S308  (already safe)
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        _no_hole(value)
        return ("str", value), value
    if isinstance(value, decimal.Decimal):  # 1.0 and 1.00 are equal but not written alike
        return ("Decimal", str(value)), value
    if isinstance(value, datetime.datetime):  # the same moment in two zones: equal
        return ("datetime", value, str(value.tzinfo)), value
    if isinstance(value, _SCALARS):
        return (type(value).__name__, value), value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        items = [(name, _frozen(v)) for name, v in value.items()]
        if not all(isinstance(name, str) for name, _ in items):
            raise TypeError("{% per_inputs %}: a dictionary's keys must be strings")
        return (("dict", tuple(sorted((name, k) for name, (k, _) in items))),
                {name: plain for name, (_, plain) in items})
    if isinstance(value, list | tuple):
        parts = [_frozen(v) for v in value]
        return ("list", tuple(k for k, _ in parts)), [plain for _, plain in parts]
    raise TypeError(f"{{% per_inputs %}}: {type(value).__name__} is not a plain value; give its "
                    "fields (a model instance equals any other with its primary key)")


class PerInputsNode(KeptPart):
    def __init__(self, nodelist: template.NodeList,
                 inputs: dict[str, template.base.FilterExpression]) -> None:
        super().__init__(nodelist)
        self.inputs = inputs

    def render(self, context: Context) -> SafeString:
        keys, values = {}, {}
        for name, expression in self.inputs.items():
            keys[name], values[name] = _frozen(expression.resolve(context))
        key = (*_place(), get_current_timezone_name(), context.autoescape,
               tuple(sorted(keys.items())))
        kept = self._kept()
        text = kept.get(key)
        if text is None:
            text = self._alone(context, {**values, "csrf_token": CSRF_HOLE})
            if len(kept) >= KEPT_PER_PART:
                try:  # another thread may have dropped it first
                    del kept[next(iter(kept))]
                except (KeyError, RuntimeError, StopIteration):
                    pass
            kept[key] = text
        if CSRF_HOLE in text:
            token = context.get("csrf_token")
            text = text.replace(CSRF_HOLE, "" if token in (None, "NOTPROVIDED") else str(token))
        return mark_safe(text)  # noqa: S308  (rendered escaped, the token is letters and digits)


@register.tag
def per_inputs(parser: Parser, token: Token) -> PerInputsNode:
    bits = token.split_contents()[1:]
    inputs = token_kwargs(bits, parser, support_legacy=False)
    if bits or not inputs:
        raise template.TemplateSyntaxError(
            "{% per_inputs %} takes the values it depends on, as name=value")
    return PerInputsNode(_part(parser, "per_inputs"), inputs)
