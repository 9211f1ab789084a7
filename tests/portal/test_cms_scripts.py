"""The Wagtail admin serves no inline script (issue #12 point 6, decision record 0041): every
screen an editor or a publisher opens, the chooser dialogs' answers included, holds scripts only
as files or as JSON blocks that ``portal/cms-init.js`` runs -- so the strict policy can refuse
every inline script. The browser side is in tests/e2e/test_cms_policy.py."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from ctip.portal.cms_scripts import INITIALISERS, NotAnInitialiser, block_from_js, init_block
from tests.portal.test_cms_vietnamese import Screens, screens  # noqa: F401  (the fixture)

# What is checked is what the screens hold (scripts as files or JSON blocks), the same whatever
# database holds the drafts (decision record 0087).
pytestmark = [pytest.mark.django_db, pytest.mark.presentation]


class _Scripts(HTMLParser):
    """The text of every inline script the browser would run, and the JSON blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.runnable: list[str] = []
        self.blocks: list[str] = []
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "script":
            return
        attributes = dict(attrs)
        if attributes.get("src"):
            self._in = "file"
        elif (attributes.get("type") or "").lower() == "application/json":
            self._in = "block" if "data-ctip-init" in attributes else "data"
        else:
            self._in = "runnable"
        self._text = []

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in is not None:
            text = "".join(self._text)
            if self._in == "runnable":
                self.runnable.append(text.strip()[:120])
            elif self._in == "block":
                self.blocks.append(text)
            self._in = None


def scripts_of(html: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(html)
    return parser


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _html_of(response: Any) -> str:
    if response["Content-Type"].startswith("application/json"):
        # the chooser dialogs answer with JSON holding their HTML
        return "\n".join(_strings(response.json()))
    return str(response.content.decode())


def inline_scripts_on(client: Client, urls: list[str]) -> tuple[dict[str, list[str]], int]:
    found, blocks = {}, 0
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        parsed = scripts_of(_html_of(response))
        blocks += len(parsed.blocks)
        for block in parsed.blocks:
            spec = json.loads(block)
            assert spec["call"] in INITIALISERS and isinstance(spec["args"], list), block
        if parsed.runnable:
            found[url] = parsed.runnable
    return found, blocks


@pytest.mark.parametrize("role", ["editor", "publisher"])
def test_no_cms_screen_serves_an_inline_script(role: str, users: dict[str, Any],
                                               screens: Screens,  # noqa: F811
                                               client_for: Any) -> None:
    urls = screens.common() + (screens.publisher_only() if role == "publisher" else [])
    found, blocks = inline_scripts_on(client_for(users[role]), urls)
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)
    # the widgets are still set up: choosers, date pickers and inline panels sent as blocks
    assert blocks > 0


def test_a_chooser_is_set_up_by_a_block_with_its_own_arguments() -> None:
    block = str(block_from_js('new ImageChooser("id_feed_image", {"modalUrl": "/cms/i/"});'))
    (text,) = scripts_of(block).blocks
    assert json.loads(text) == {"call": "ImageChooser",
                                "args": ["id_feed_image", {"modalUrl": "/cms/i/"}]}
    # markup in an argument cannot end the block
    (text,) = scripts_of(str(init_block("initDateChooser", "</script><script>x()"))).blocks
    assert json.loads(text)["args"] == ["</script><script>x()"]


@pytest.mark.parametrize("js", [
    'alert("x");',
    'new alert("x");',
    'initDateChooser("a", {});alert(1);',
    'ImageChooser("id", {});',  # without new
    'new ImageChooser(document.cookie);',  # not JSON
])
def test_anything_but_a_known_set_up_call_is_refused(js: str) -> None:
    with pytest.raises(NotAnInitialiser):
        block_from_js(js)


def test_the_browser_calls_the_same_functions_the_server_writes() -> None:
    path = finders.find("portal/cms-init.js")
    assert path is not None
    source = Path(path).read_text(encoding="utf-8")
    body = re.search(r"var INITIALISERS = \{(.*?)\};", source, re.S)
    assert body is not None
    in_js = {name: value == "true"
             for name, value in re.findall(r"(\w+): (true|false)", body.group(1))}
    assert in_js == INITIALISERS
