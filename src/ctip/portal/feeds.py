"""RSS 2.0 feeds: the whole bulletin, and one per section."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.translation import gettext as _

from ctip.portal.links import page_url, public_url
from ctip.portal.models import ArticlePage, SectionPage, article_list

ITEMS = 30


class BulletinFeed(Feed):
    """A new instance serves each request (it keeps the request for absolute links)."""

    feed_type = Rss201rev2Feed
    language = "vi"

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.request = request
        return None

    def title(self, obj: Any) -> str:
        return str(settings.WAGTAIL_SITE_NAME)

    def link(self, obj: Any) -> str:
        return public_url(self.request, "/")

    def description(self, obj: Any) -> str:
        return _("The newest articles of the bulletin.")

    def feed_url(self, obj: Any) -> str:
        return public_url(self.request, self.request.path)

    def items(self, obj: Any) -> Any:
        return article_list().prefetch_related("tags")[:ITEMS]

    def item_title(self, item: ArticlePage) -> str:
        return item.title

    def item_description(self, item: ArticlePage) -> str:
        return item.lead

    def item_link(self, item: ArticlePage) -> str:
        return page_url(self.request, item)

    def item_guid(self, item: ArticlePage) -> str:
        return page_url(self.request, item)

    def item_pubdate(self, item: ArticlePage) -> dt.datetime | None:
        return item.first_published_at

    def item_updateddate(self, item: ArticlePage) -> dt.datetime | None:
        return item.last_published_at

    def item_author_name(self, item: ArticlePage) -> str | None:
        return item.byline or None

    def item_categories(self, item: ArticlePage) -> list[str]:
        return [t.name for t in item.tags.all()]


class SectionFeed(BulletinFeed):
    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> SectionPage:
        self.request = request
        section = SectionPage.objects.live().public().filter(slug=kwargs["section"]).first()
        if section is None:
            raise Http404
        return section

    def title(self, obj: SectionPage) -> str:
        return f"{obj.title} · {settings.WAGTAIL_SITE_NAME}"

    def link(self, obj: SectionPage) -> str:
        return page_url(self.request, obj)

    def description(self, obj: SectionPage) -> str:
        return obj.intro or obj.title

    def items(self, obj: SectionPage) -> Any:
        return article_list().child_of(obj).prefetch_related("tags")[:ITEMS]
