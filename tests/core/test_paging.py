"""Page links keep every filter of the list, repeated and accented ones included, from the
address or from the filters a view passes as ``page_params``."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory


def links(query: str, page_number: int) -> dict[str, dict[str, list[str]]]:
    request = RequestFactory().get("/list/" + query)
    page = Paginator(list(range(100)), 10).get_page(page_number)
    html = render_to_string("includes/pagination.html", {"page": page, "request": request})
    found = {}
    for href, label in re.findall(r'<a href="([^"]*)"[^>]*>([^<]+)</a>', html):
        found[label] = parse_qs(urlsplit(unescape(href)).query)
    return found


def test_page_links_keep_repeated_and_accented_filters() -> None:
    found = links("?format=3&format=7&q=T%C3%A2n+An&page=4", 4)
    assert set(found) == {"Trang đầu", "Trang trước", "Trang sau", "Trang cuối"}
    for params in found.values():
        assert params["format"] == ["3", "7"]
        assert params["q"] == ["Tân An"]
    assert [found[k]["page"] for k in ("Trang đầu", "Trang trước", "Trang sau", "Trang cuối")] == [
        ["1"], ["3"], ["5"], ["10"]]


def test_a_value_cannot_break_out_of_the_link() -> None:
    found = links('?q=%22%3E%3Cscript%3Ex%3C%2Fscript%3E&a%26b=1', 1)
    assert found["Trang sau"]["q"] == ['"><script>x</script>']
    assert found["Trang sau"]["a&b"] == ["1"]


def test_a_view_can_pass_the_filters_it_applied() -> None:
    from django.http import QueryDict

    applied = QueryDict("start=01/01/2026&format=3&format=7")
    request = RequestFactory().get("/list/")
    page = Paginator(list(range(100)), 10).get_page(1)
    html = render_to_string("includes/pagination.html",
                            {"page": page, "request": request, "page_params": applied})
    href = unescape(re.search(r'<a href="([^"]*)" rel="next"', html).group(1))
    assert parse_qs(urlsplit(href).query) == {"start": ["01/01/2026"], "format": ["3", "7"],
                                              "page": ["2"]}
