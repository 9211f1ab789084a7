"""Pagination of the bulletin: "Trang đầu", a window of up to 10 page numbers, "Trang cuối".

``?page=`` that is not a number answers 404; a number out of range is redirected to the nearest
page that exists (page 1 has no parameter at all), so no page number ever causes a server error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.utils.http import urlencode

WINDOW = 10
_NUMBER = re.compile(r"-?\d{1,30}")


@dataclass
class PageLink:
    number: int
    url: str
    current: bool


@dataclass
class Pages:
    """One page of results plus the links around it."""

    page: Page
    first_url: str
    last_url: str
    links: list[PageLink]

    @property
    def object_list(self) -> Any:
        return self.page.object_list

    @property
    def number(self) -> int:
        return self.page.number

    @property
    def num_pages(self) -> int:
        return self.page.paginator.num_pages

    @property
    def count(self) -> int:
        return self.page.paginator.count

    def __iter__(self) -> Any:
        return iter(self.page.object_list)

    def __len__(self) -> int:
        return len(self.page.object_list)


def page_url(request: HttpRequest, number: int) -> str:
    """The current URL with ``page`` replaced (left out for page 1), other parameters kept."""
    params = [(k, v) for k, values in request.GET.lists() if k != "page" for v in values]
    if number > 1:
        params.append(("page", str(number)))
    query = urlencode(params)
    return f"{request.path}?{query}" if query else request.path


def window(current: int, total: int, size: int = WINDOW) -> range:
    start = max(1, min(current - size // 2 + 1, total - size + 1))
    return range(start, min(total, start + size - 1) + 1)


def requested_number(request: HttpRequest) -> int | None:
    raw = request.GET.get("page")
    if raw is None or raw == "":
        return None
    raw = raw.strip()
    if not _NUMBER.fullmatch(raw):
        raise Http404("not a page number")
    return int(raw)


def paginate(request: HttpRequest, items: Any, per_page: int, *,
             redirect: bool = True) -> Pages | HttpResponseRedirect:
    paginator = Paginator(items, per_page)
    asked = requested_number(request)
    number = 1 if asked is None else min(max(asked, 1), paginator.num_pages)
    if redirect and asked is not None and (asked != number or asked == 1):
        return HttpResponseRedirect(page_url(request, number))  # ?page=1 is the plain URL
    page = paginator.page(number)
    links = [PageLink(n, page_url(request, n), n == number)
             for n in window(number, paginator.num_pages)]
    return Pages(page=page, first_url=page_url(request, 1),
                 last_url=page_url(request, paginator.num_pages), links=links)
