"""Rendered pages are cached for anonymous readers and dropped when anything is published."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import Client, RequestFactory

from ctip.portal import caching
from ctip.portal.models import ArticlePage
from tests.portal.conftest import Bulletin, add_article

pytestmark = pytest.mark.django_db


def state(response: Any) -> str | None:
    return response.get(caching.CACHE_HEADER)


def test_pages_are_served_from_the_cache_the_second_time(client: Client, bulletin: Bulletin,
                                                         django_assert_max_num_queries: Any
                                                         ) -> None:
    article = bulletin.articles[0]
    for url in ("/", bulletin.section.url, article.url):
        first = client.get(url)
        assert state(first) == "miss"
        with django_assert_max_num_queries(0):
            second = client.get(url)
        assert state(second) == "hit"
        assert second.content == first.content
        assert second["Content-Type"] == "text/html; charset=utf-8"


def test_publishing_makes_every_cached_page_stale(client: Client, bulletin: Bulletin) -> None:
    section_url = bulletin.section.url
    client.get(section_url)
    assert state(client.get(section_url)) == "hit"
    new = add_article(bulletin.section, "Tin vừa đăng sau khi lưu bộ nhớ đệm", publish=False)
    assert state(client.get(section_url)) == "hit"  # a draft changes nothing
    new.get_latest_revision().publish()
    fresh = client.get(section_url)
    assert state(fresh) == "miss"
    assert "Tin vừa đăng sau khi lưu bộ nhớ đệm" in fresh.content.decode()

    article = ArticlePage.objects.get(pk=new.pk)
    client.get(article.url)
    article.title = "Tiêu đề đã sửa sau khi đăng"
    article.save_revision().publish()
    assert "Tiêu đề đã sửa sau khi đăng" in client.get(article.url).content.decode()

    article.unpublish()
    assert client.get(article.url).status_code == 404
    assert "Tiêu đề đã sửa" not in client.get(section_url).content.decode()


def test_deleting_or_moving_a_page_makes_the_cache_stale(client: Client,
                                                         bulletin: Bulletin) -> None:
    victim = bulletin.articles[0]
    client.get(bulletin.section.url)
    before = caching.bulletin_version()
    victim.delete()
    assert caching.bulletin_version() != before
    assert victim.title not in client.get(bulletin.section.url).content.decode()
    mover = bulletin.articles[1]
    before = caching.bulletin_version()
    mover.move(bulletin.other_section, pos="last-child")
    assert caching.bulletin_version() != before


def test_page_numbers_are_cached_apart(client: Client, bulletin: Bulletin) -> None:
    url = bulletin.section.url
    one, two = client.get(url), client.get(url, {"page": 2})
    assert one.content != two.content
    assert client.get(url, {"page": 2}).content == two.content


def test_nothing_is_cached_for_signed_in_users(client_for: Any, users: dict[str, Any],
                                               bulletin: Bulletin) -> None:
    signed_in = client_for(users["editor"])
    for _ in range(2):
        assert state(signed_in.get(bulletin.section.url)) is None
    anonymous = Client()
    assert state(anonymous.get(bulletin.section.url)) == "miss"


def test_other_query_parameters_bypass_the_cache(client: Client, bulletin: Bulletin) -> None:
    for _ in range(2):
        assert state(client.get(bulletin.section.url, {"utm_source": "zalo"})) is None


def test_nothing_is_cached_while_messages_wait(bulletin: Bulletin) -> None:
    from django.contrib import messages
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get(bulletin.section.url)
    request.user = AnonymousUser()
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    assert caching.cache_key(request, "tuyen-truyen-trong-nhan-dan/") is not None
    messages.info(request, "Đã lưu")
    assert caching.cache_key(request, "tuyen-truyen-trong-nhan-dan/") is None


def test_only_successful_pages_are_cached(client: Client, bulletin: Bulletin) -> None:
    for _ in range(2):
        response = client.get("/khong-co/")
        assert response.status_code == 404 and state(response) is None
