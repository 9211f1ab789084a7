"""Bulletin fixtures: pages are built through Wagtail's own API (add_child, save_revision,
publish), as the admin does; the home comes from the data migration."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from ctip.portal.models import ArticlePage, BulletinHome, SectionPage
from ctip.portal.permissions import ensure_groups
from ctip.portal.setup import ensure_bulletin

# Fixed local times make dates in the pages predictable: dd/mm/yyyy hh:mm.
BASE = dt.datetime(2026, 7, 30, 9, 5, tzinfo=timezone.get_fixed_timezone(7 * 60))


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def paragraph(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "value": f"<p>{text}</p>"}


def add_section(home: BulletinHome, title: str, **kwargs: Any) -> SectionPage:
    section = home.add_child(instance=SectionPage(title=title, **kwargs))
    section.save_revision().publish()
    return SectionPage.objects.get(pk=section.pk)


def add_article(section: SectionPage, title: str, *, lead: str = "Đoạn dẫn của bài.",
                body: list[dict[str, Any]] | None = None, when: dt.datetime | None = None,
                publish: bool = True, revision: bool = False, user: Any = None,
                **kwargs: Any) -> ArticlePage:
    """A live article created in one save (fast), or -- with ``revision=True`` or
    ``publish=False`` -- the way the admin does it: a draft, a revision, then ``publish()``."""
    tags = kwargs.pop("tags", [])
    body_json = json.dumps(body or [paragraph("Nội dung của bài viết.")])
    if publish and not revision:
        when = when or timezone.now()
        page = ArticlePage(title=title, lead=lead, body=body_json, live=True,
                           first_published_at=when, last_published_at=when, **kwargs)
        section.add_child(instance=page)
        if tags:
            page.tags.set(tags)
            page.save()
        return ArticlePage.objects.get(pk=page.pk)
    page = ArticlePage(title=title, lead=lead, body=body_json, live=False, **kwargs)
    section.add_child(instance=page)
    if tags:
        page.tags.set(tags)
    saved = page.save_revision(user=user)
    if publish:
        saved.publish(user=user)
        if when is not None:
            ArticlePage.objects.filter(pk=page.pk).update(first_published_at=when,
                                                          last_published_at=when)
    return ArticlePage.objects.get(pk=page.pk)


def bulletin_home() -> BulletinHome:
    """The home from the data migration; rebuilt, with the groups' permissions on it and the
    workflow, if a transactional test flushed the database before."""
    home = ensure_bulletin()
    ensure_groups()
    return home


@dataclass
class Bulletin:
    home: BulletinHome
    section: SectionPage
    other_section: SectionPage
    articles: list[ArticlePage]  # newest first


@pytest.fixture
def bulletin(db: Any, request: pytest.FixtureRequest) -> Bulletin:
    """A section with 12 articles (two pages), one day apart, and a second section: fresh
    instances of the pages built once for the consecutive tests of a file that want them
    (``tests.conftest``: the shared data), or built for this test."""
    from tests.conftest import shared_bulletin

    shared = shared_bulletin(request.node)
    if shared is None:
        return build_bulletin()
    articles = ArticlePage.objects.in_bulk(shared["articles"])
    return Bulletin(BulletinHome.objects.get(pk=shared["home"]),
                    SectionPage.objects.get(pk=shared["section"]),
                    SectionPage.objects.get(pk=shared["other_section"]),
                    [articles[pk] for pk in shared["articles"]])


def build_bulletin() -> Bulletin:
    home = bulletin_home()
    section = add_section(home, "Tuyên truyền trong Nhân dân",
                          intro="Cảnh báo và hướng dẫn cho người dân.")
    other = add_section(home, "Hỏi đáp pháp luật")
    articles = [
        add_article(section, f"Bài số {n}: cảnh giác lời mời việc làm", byline="Minh Thư",
                    when=BASE - dt.timedelta(days=n))
        for n in range(1, 13)
    ]
    add_article(other, "Hỏi: báo tin có phải nói tên không?", when=BASE)
    return Bulletin(home, section, other, articles)
