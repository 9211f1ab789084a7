"""Issue 15.5 (decision record 0063): on a phone a table scrolls sideways inside its own box
(``.table-scroll`` in ``app.css``) instead of squeezing its columns or widening the page. The
phone walks (``tests/e2e/test_phone_walk.py``, SQUEEZED) measure the tables the walk's data
show; this reads every template of the staff app, so that a table only some data or some role
shows (a person's access tokens, a campaign's targets on the dashboard) is held to the same
rule. A template that is a document of its own (``<html``: a printed export, a mail) is not
shown in the staff shell; a screen of Wagtail's admin (extending ``wagtailadmin/``) is governed
by ``portal/cms-phone.css`` and measured by the CMS walk."""

from __future__ import annotations

import re
from pathlib import Path

import ctip

SRC = Path(ctip.__file__).parent
# the table tag and the markup just before it
TABLE = re.compile(r"(?P<before>.{0,200})<table\b", re.S)
IN_BOX = re.compile(r'<div class="table-scroll"[^>]*>\s*$')


def shown_in_the_staff_shell(text: str) -> bool:
    return "<html" not in text and '{% extends "wagtailadmin/' not in text


def test_every_staff_table_is_inside_a_box_that_scrolls() -> None:
    templates = sorted(SRC.glob("*/templates/**/*.html"))
    assert templates, SRC
    loose = []
    checked = 0
    for path in templates:
        text = path.read_text(encoding="utf-8")
        if not shown_in_the_staff_shell(text):
            continue
        for match in TABLE.finditer(text):
            checked += 1
            if not IN_BOX.search(match.group("before")):
                line = text.count("\n", 0, match.end()) + 1
                loose.append(f"{path.relative_to(SRC)}:{line}")
    assert checked > 30, checked  # the staff app's tables were found
    assert not loose, loose
