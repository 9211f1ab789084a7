"""Every page of the navigation, for every role, in Vietnamese: no English text from the
catalogue shows (issue 15.6). The English is what a msgid reads when its translation is
missing, or when a string never reached the catalogue (an alias the extractor missed)."""

from __future__ import annotations

import html
import re
from typing import Any

from ctip.accounts.policy import navigation_for
from tests.i18n.test_catalogue import PO, parse_po, unescape

ROLES = ["system_admin", "province_officer", "commune_officer", "branch_head", "speaker",
         "case_worker", "editor", "publisher", "auditor", "viewer"]
# The language switch names English in English on purpose.
ALLOWED = {"English"}


def english_phrases() -> list[str]:
    """msgids of three words or more (placeholders cut out) whose Vietnamese differs."""
    phrases = set()
    for key, (msgstr, _fuzzy) in parse_po(PO).items():
        msgid = unescape(key.split("\x04")[1].split("\x00")[0])
        if msgid == unescape(msgstr):
            continue
        for part in re.split(r"%\(\w+\)[sd]|\{\{[^}]*\}\}|%[sd]", msgid):
            part = part.strip(" .,:;·—-()“”\"'")
            if len(part.split()) >= 3 and part not in ALLOWED:
                phrases.add(part)
    return sorted(phrases, key=len, reverse=True)


def visible_text(body: str) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body))


def test_no_english_on_any_page_of_any_role(tree: Any, users: Any, client_for: Any) -> None:
    phrases = english_phrases()
    assert len(phrases) > 200
    found: dict[str, set[str]] = {}
    pages = 0
    for role in ROLES:
        user = users[role]
        client = client_for(user)
        urls = {item.url for item in navigation_for(user)} | {"/app/", "/accounts/profile/"}
        for url in sorted(urls):
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            text = visible_text(response.content.decode())
            for phrase in phrases:
                if phrase in text:
                    found.setdefault(f"{role} {url}", set()).add(phrase)
    assert pages >= 40
    assert not found, found


def test_the_check_sees_english_when_there_is_some(tree: Any, users: Any,
                                                   client_for: Any) -> None:
    from django.conf import settings

    client = client_for(users["commune_officer"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = visible_text(client.get("/app/").content.decode())
    assert [p for p in english_phrases() if p in text]
