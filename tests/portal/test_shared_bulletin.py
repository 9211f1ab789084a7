"""The bulletin is built once for the consecutive tests of a file that ask for it
(``tests.conftest``: the shared data, decision record 0080). Each test still starts from the
pages as they were built: what a test changed, published, moved or deleted is gone before
the next one, in the database and in the cache."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from ctip.portal.models import ArticlePage, SectionPage
from tests import conftest
from tests.portal.conftest import Bulletin

pytestmark = pytest.mark.django_db

TITLES: list[str] = []
COUNTS: dict[str, int] = {}


def test_a_test_changes_the_bulletin_as_an_editor_would(bulletin: Bulletin,
                                                        users: dict[str, Any]) -> None:
    TITLES.extend(page.title for page in bulletin.articles)
    COUNTS.update(sections=SectionPage.objects.count(), live=ArticlePage.objects.live().count())
    first = bulletin.articles[0]
    first.title = "Tiêu đề đã sửa"
    first.save_revision(user=users["publisher"]).publish(user=users["publisher"])
    bulletin.articles[1].unpublish()
    bulletin.articles[2].move(bulletin.other_section, pos="last-child")
    bulletin.other_section.get_children().first().delete()
    cache.set("left-by-the-first-test", 1)
    assert ArticlePage.objects.filter(title="Tiêu đề đã sửa").exists()


def test_the_next_test_finds_the_bulletin_as_built(bulletin: Bulletin,
                                                   users: dict[str, Any]) -> None:
    assert conftest._shared.bulletin is not None  # built once, for both tests
    assert [page.title for page in bulletin.articles] == TITLES
    assert not ArticlePage.objects.filter(title="Tiêu đề đã sửa").exists()
    assert all(page.live for page in bulletin.articles)
    assert [page.pk for page in bulletin.section.get_children().specific()] == sorted(
        page.pk for page in bulletin.articles)
    assert bulletin.other_section.get_children().count() == 1
    assert cache.get("left-by-the-first-test") is None
    assert SectionPage.objects.count() == COUNTS["sections"]
    assert ArticlePage.objects.live().count() == COUNTS["live"]


def test_a_test_without_the_users_builds_or_shares_its_own(bulletin: Bulletin) -> None:
    assert [page.title for page in bulletin.articles] == TITLES
    assert ArticlePage.objects.live().count() == COUNTS["live"]
