"""An article not yet in the page cache is cheap (decision 0052): Wagtail's routing of its
address and the parts only its own publish changes are kept across publishes. What a reader
sees must still change at once with every publish, unpublish, move or rename, and a draft or a
page under a view restriction is never served from what was kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from wagtail.models import Page, PageViewRestriction

from ctip.portal import caching
from ctip.portal.models import ArticlePage, SectionPage
from tests.portal.conftest import Bulletin, add_article, add_section

pytestmark = pytest.mark.django_db

#: A query parameter that bypasses the page cache but not the routes and parts kept below it.
FRESH = {"utm_source": "zalo"}


def html(client: Client, url: str, **params: Any) -> str:
    response = client.get(url, params or FRESH)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_a_new_title_shows_at_once_on_the_article_and_its_neighbours(
        client: Client, bulletin: Bulletin) -> None:
    article, neighbour = bulletin.articles[0], bulletin.articles[1]
    for url in (article.url, neighbour.url):  # routes, parts and pages kept
        client.get(url)
        client.get(url, FRESH)
    article = ArticlePage.objects.get(pk=article.pk)
    article.title = "Tiêu đề mới sau khi duyệt"
    article.save_revision().publish()
    assert "Tiêu đề mới sau khi duyệt" in client.get(article.url).content.decode()
    assert "Tiêu đề mới sau khi duyệt" in html(client, article.url)
    assert "Tiêu đề mới sau khi duyệt" in client.get(neighbour.url).content.decode()
    assert "Tiêu đề mới sau khi duyệt" in html(client, neighbour.url)


def test_new_tags_and_publishing_unit_show_at_once(client: Client, bulletin: Bulletin,
                                                   tree: Any) -> None:
    province = tree.province
    article = bulletin.articles[0]
    html(client, article.url)
    article = ArticlePage.objects.get(pk=article.pk)
    article.tags.set(["lừa đảo việc làm"])
    article.publishing_unit = province
    article.save_revision().publish()
    page = html(client, article.url)
    assert "lừa đảo việc làm" in page
    assert province.name in page


def test_an_unpublished_article_is_gone_at_once(client: Client, bulletin: Bulletin) -> None:
    article, neighbour = bulletin.articles[0], bulletin.articles[1]
    for url in (article.url, neighbour.url):
        client.get(url)
        html(client, url)
    ArticlePage.objects.get(pk=article.pk).unpublish()
    assert client.get(article.url).status_code == 404
    assert client.get(article.url, FRESH).status_code == 404
    assert article.title not in client.get(neighbour.url).content.decode()
    assert article.title not in html(client, neighbour.url)


def test_a_moved_or_renamed_article_answers_at_its_new_address_only(
        client: Client, bulletin: Bulletin) -> None:
    article = bulletin.articles[0]
    old = article.url
    client.get(old)
    html(client, old)
    article.move(bulletin.other_section, pos="last-child")
    moved = ArticlePage.objects.get(pk=article.pk)
    assert moved.url != old
    for response in (client.get(old), client.get(old, FRESH)):  # Wagtail's own redirect
        assert response.status_code == 301 and response["Location"] == moved.url
    page = html(client, moved.url)
    assert bulletin.other_section.title in page  # its new section, not the one kept

    moved.slug = "dia-chi-moi-cua-bai"
    moved.save_revision().publish()
    renamed = ArticlePage.objects.get(pk=article.pk)
    assert renamed.url.endswith("/dia-chi-moi-cua-bai/")
    assert client.get(moved.url, FRESH).status_code == 404
    assert renamed.title in html(client, renamed.url)


def test_a_kept_route_is_checked_against_the_page_itself(client: Client,
                                                          bulletin: Bulletin) -> None:
    """Even a change that sends no signal (a script, another server's database write before
    its signal) never serves a page that is no longer live at that address."""
    article = bulletin.articles[0]
    html(client, article.url)
    Page.objects.filter(pk=article.pk).update(live=False)
    assert client.get(article.url, FRESH).status_code == 404


def test_a_draft_is_never_shown_to_readers(client: Client, bulletin: Bulletin) -> None:
    article = bulletin.articles[0]
    html(client, article.url)
    draft = ArticlePage.objects.get(pk=article.pk)
    draft.title = "Bản nháp chưa duyệt"
    draft.tags.set(["nhãn của bản nháp"])
    draft.save_revision()
    for page in (client.get(article.url).content.decode(), html(client, article.url)):
        assert "Bản nháp chưa duyệt" not in page and "nhãn của bản nháp" not in page
    never = add_article(bulletin.section, "Bài chưa từng đăng", publish=False)
    assert client.get(never.url or article.url.replace(article.slug, never.slug)
                      ).status_code == 404


def test_a_preview_shows_the_draft_and_leaves_the_kept_parts_alone(
        client: Client, bulletin: Bulletin) -> None:
    from django.contrib.auth.models import AnonymousUser

    article = bulletin.articles[0]
    html(client, article.url)
    draft = ArticlePage.objects.get(pk=article.pk)
    draft.tags.set(["nhãn chỉ có trong bản nháp"])
    revision = draft.save_revision()
    request = RequestFactory().get(article.url)
    request.user = AnonymousUser()
    preview = revision.as_object().serve_preview(request, "")
    preview.render()
    assert "nhãn chỉ có trong bản nháp" in preview.content.decode()
    assert "nhãn chỉ có trong bản nháp" not in html(client, article.url)


@pytest.mark.parametrize("kind", [PageViewRestriction.LOGIN, PageViewRestriction.PASSWORD])
def test_a_page_made_private_is_never_served_from_the_cache(client: Client, bulletin: Bulletin,
                                                            kind: str) -> None:
    article = bulletin.articles[0]
    client.get(article.url)
    assert client.get(article.url)[caching.CACHE_HEADER] == "hit"
    html(client, article.url)
    restriction = PageViewRestriction.objects.create(page=bulletin.section,
                                                     restriction_type=kind, password="bimat")
    for response in (client.get(article.url), client.get(article.url), client.get(
            article.url, FRESH)):
        assert article.title not in response.content.decode()
        assert response.status_code in (200, 302)  # the password form, or the sign-in page
        assert response.get(caching.CACHE_HEADER) != "hit"
    # and the neighbours no longer list it
    other = add_article(bulletin.other_section, "Bài ở chuyên mục khác")
    assert article.title not in html(client, other.url)
    restriction.delete()
    assert article.title in html(client, article.url)


def test_an_article_not_yet_in_the_cache_takes_few_queries_whatever_the_bulletin(
        client: Client, bulletin: Bulletin, django_assert_max_num_queries: Any) -> None:
    """Right after another article is published, an article rendered afresh reads its page,
    its section's latest articles once for the section, and nothing that grows with the
    bulletin; rendered again without the page cache, only its page and its links to the
    offer check."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    article = bulletin.articles[0]

    def counts() -> tuple[int, int]:
        html(client, article.url)
        add_article(bulletin.other_section, "Tin vừa đăng ở chuyên mục khác")  # a publish
        with CaptureQueriesContext(connection) as after_publish:
            html(client, article.url)
        with CaptureQueriesContext(connection) as again:
            html(client, article.url)
        return len(after_publish), len(again)

    small = counts()
    home = bulletin.home
    for n in range(4):  # a bigger bulletin: more sections, articles, tags
        section = add_section(home, f"Chuyên mục thêm {n}")
        for m in range(6):
            add_article(section, f"Bài {m} của chuyên mục {n}", tags=["lao động", f"nhãn {m}"])
        add_article(bulletin.section, f"Bài mới {n}")
    big = counts()
    assert big[0] <= small[0] <= 6, (small, big)
    assert big[1] <= small[1] <= 2, (small, big)
    assert SectionPage.objects.live().count() > 5
