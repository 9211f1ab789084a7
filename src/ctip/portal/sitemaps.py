"""sitemap.xml: the home, the sections and every live public article."""

from __future__ import annotations

from typing import Any

from django.contrib.sitemaps import Sitemap
from django.http import HttpRequest
from wagtail.models import Page

from ctip.portal.links import page_url
from ctip.portal.models import ArticlePage, BulletinHome, SectionPage


class BulletinSitemap(Sitemap):
    limit = 5000

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    def items(self) -> list[Page]:
        pages: list[Page] = []
        for model in (BulletinHome, SectionPage, ArticlePage):
            pages.extend(model.objects.live().public().defer_streamfields().order_by("path"))
        return pages

    def location(self, item: Page) -> str:
        return page_url(self.request, item)

    def lastmod(self, item: Page) -> Any:
        return item.last_published_at

    def get_urls(self, page: int | str = 1, site: Any = None,
                 protocol: str | None = None) -> Any:
        # ``location`` is absolute already: keep Django from prefixing a domain to it.
        urls = []
        for item in self.paginator.page(page).object_list:
            urls.append({"item": item, "location": self.location(item),
                         "lastmod": self.lastmod(item), "changefreq": None, "priority": None,
                         "alternates": []})
        return urls
