"""The bulletin's frame is rendered once per set of the values it shows (decision 0083): on
every page the menu marks that page, and only it, as the current one, whichever page was
rendered before."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from tests.portal.conftest import Bulletin


def _current(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="[^"]*" class="section-nav">(.*?)</nav>', html, re.S)
    assert nav is not None
    return re.findall(r'<a (?:class="[^"]*" )?href="([^"]+)"(?: class="[^"]*")? '
                      r'aria-current="page"', nav.group(1))


def test_each_page_of_the_bulletin_is_the_current_one_in_its_menu(bulletin: Bulletin,
                                                                  client: Client) -> None:
    pages = ["/", bulletin.section.url, reverse("offers:check"), reverse("portal:report"),
             bulletin.articles[0].url]
    for _ in range(2):  # the second time from what the first kept
        for url in pages:
            html = client.get(url).content.decode()
            expected = [] if url == bulletin.articles[0].url else [url]
            assert _current(html) == expected, url
