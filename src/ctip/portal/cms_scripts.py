"""The Wagtail admin without inline scripts (decision record 0041).

Wagtail 8 sets up some widgets and panels with an inline ``<script>`` written next to them:
the choosers (``new ImageChooser("id_feed_image", {...});`` from
``BaseChooser.render``), the date and time pickers (``initDateTimeChooser(...)`` in
``wagtailadmin/widgets/*_input.html``) and the inline panels (``new InlinePanel(...)`` in
``wagtailadmin/panels/inline_panel.html`` and ``multiple_chooser_panel.html``). A strict
Content-Security-Policy refuses them: their text varies per field (no hash) and widgets render
without the request (no nonce).

Here each of those calls is written as *data* instead: a ``<script type="application/json"
data-ctip-init>`` block naming the function and its JSON arguments. The browser never runs a
JSON block, and the policy does not govern it. ``portal/cms-init.js`` (a static file) makes the
call, for the blocks in the page and for those inserted later (a dialog, a new inline form), and
only for the functions named in ``INITIALISERS`` -- markup smuggled into the admin cannot call
anything else.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe
from wagtail.admin.widgets.chooser import BaseChooser

# The functions Wagtail's inline scripts call, and whether with ``new``. Kept in step with
# ``INITIALISERS`` in portal/static/portal/cms-init.js (tested).
INITIALISERS: dict[str, bool] = {
    "Chooser": True,
    "DocumentChooser": True,
    "ImageChooser": True,
    "PageChooser": True,
    "SnippetChooser": True,
    "InlinePanel": True,
    "MultipleChooserPanel": True,
    "initDateChooser": False,
    "initTimeChooser": False,
    "initDateTimeChooser": False,
    "createTaskChooser": False,
}

# ``new Name(args);`` or ``name(args);`` -- what Wagtail's widgets write.
_CALL = re.compile(r"\s*(?P<new>new\s+)?(?P<name>[A-Za-z_$][\w$]*)\((?P<args>.*)\);?\s*", re.S)


class NotAnInitialiser(ValueError):
    """A script that is not one of Wagtail's known initialising calls."""


def init_block(name: str, *args: Any) -> SafeString:
    """The JSON block that ``cms-init.js`` turns into ``[new] name(*args)``."""
    if name not in INITIALISERS:
        raise NotAnInitialiser(name)
    payload = json_script({"call": name, "args": list(args)})
    # json_script escapes <, > and & inside the JSON; only the opening tag is changed.
    return mark_safe(payload.replace('<script type="application/json">',  # noqa: S308
                                     '<script type="application/json" data-ctip-init>', 1))


def block_from_js(js: str) -> SafeString:
    """Turn one of Wagtail's initialising calls (``new ImageChooser("id", {...});``) into its
    JSON block. Anything else is refused rather than passed through as script."""
    match = _CALL.fullmatch(js)
    if match is None:
        raise NotAnInitialiser(js[:80])
    name = match["name"]
    if name not in INITIALISERS or bool(match["new"]) != INITIALISERS[name]:
        raise NotAnInitialiser(name)
    try:
        args = json.loads(f"[{match['args']}]")
    except ValueError as exc:
        raise NotAnInitialiser(js[:80]) from exc
    return init_block(name, *args)


def install() -> None:
    """Render Wagtail's choosers with a JSON block instead of an inline script."""
    if getattr(BaseChooser.render, "ctip_without_inline_script", False):
        return

    def render(self: Any, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> SafeString:
        try:
            id_ = attrs["id"]  # type: ignore[index]
        except (KeyError, TypeError) as exc:
            raise TypeError("BaseChooser cannot be rendered without an 'id' attribute") from exc
        value_data = self.get_value_data(value)
        widget_html = self.render_html(name, value_data, attrs)
        block = block_from_js(self.render_js_init(id_, name, value_data))
        return mark_safe(f"{widget_html}{block}")  # noqa: S308 (both parts escaped)

    render.ctip_without_inline_script = True  # type: ignore[attr-defined]
    BaseChooser.render = render  # type: ignore[method-assign]
