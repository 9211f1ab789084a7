"""Issue #16 point 7 in a real browser: the home with a featured story, pictures on list
items and "most read" beside the news on a desktop, one column on a 360 px phone; the footer
with the Union's contacts; axe-core finds nothing; reading an article is counted once by the
page's script, nothing set on the reader."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.e2e.test_portal import Site, site  # noqa: F401 - the bulletin fixture
from tests.e2e.test_shell import assert_landmarks, assert_no_horizontal_overflow, run_axe

pytestmark = pytest.mark.e2e
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def portal(site: Site) -> Site:  # noqa: F811
    from django.core.cache import cache
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model
    from wagtail.models import Site as WagtailSite

    from ctip.demo.files import png_poster
    from ctip.portal.models import ArticlePage, BulletinSettings
    from ctip.portal.readership import count_view

    image = get_image_model()(title="Ảnh đại diện", file=ImageFile(
        io.BytesIO(png_poster(width=960, height=540)), name="dai-dien.png"))
    image.save()
    articles = list(ArticlePage.objects.live().order_by("-first_published_at"))
    for article in articles[:4]:
        article.feed_image = image
        article.save()
    count_view(articles[2].pk)
    found = BulletinSettings.for_site(WagtailSite.objects.get(is_default_site=True))
    found.union_name = "Hội Liên hiệp Phụ nữ tỉnh"
    found.address = "02 Trần Hưng Đạo, TP Tam Kỳ"
    found.phone = "0235 3852 123"
    found.email = "hoiphunu@example.vn"
    found.facebook_url = "https://facebook.com/hoiphunu"
    found.save()
    cache.clear()
    return site


def columns(page: Any) -> int:
    return int(page.evaluate(
        "getComputedStyle(document.querySelector('.with-aside'))"
        ".gridTemplateColumns.split(' ').length"))


def test_the_home_is_a_portal_page_on_a_phone_and_a_desktop(portal: Site, browse: Any,
                                                           axe_source: Any) -> None:
    found: dict[str, list[str]] = {}
    phone = browse.new_page()
    phone.goto("/")
    assert_landmarks(phone)
    assert phone.locator(".featured img.featured-image").is_visible()
    assert phone.locator(".article-item img.article-thumb").count() >= 2
    assert phone.locator("#most-read-heading").is_visible()
    assert phone.locator("footer address", has_text="02 Trần Hưng Đạo").is_visible()
    assert columns(phone) == 1
    assert_no_horizontal_overflow(phone)
    found["home, 360 px"] = run_axe(phone, axe_source)

    desktop = browse.new_page(viewport=DESKTOP)
    desktop.goto("/")
    assert columns(desktop) == 2
    aside = desktop.locator(".side-column").bounding_box()
    main = desktop.locator(".main-column").bounding_box()
    assert aside["x"] > main["x"] + main["width"] - 1  # beside, not below
    found["home, 1366 px"] = run_axe(desktop, axe_source)
    desktop.goto(portal.section_url)
    found["section, 1366 px"] = run_axe(desktop, axe_source)
    report = [f"{name}: {v}" for name, items in found.items() for v in items]
    assert not report, "axe-core found WCAG violations:\n" + "\n".join(report)


def test_reading_an_article_is_counted_by_its_script(portal: Site, browse: Any) -> None:
    """Through the browser only (the ORM may not run beside it): the beacon is answered and
    the article then appears in "most read" on the home, rendered afresh."""
    page = browse.new_page()
    with page.expect_response(lambda r: "/da-doc/" in r.url
                              and r.request.method == "POST") as beacon:
        page.goto(portal.article_url)
    assert beacon.value.status == 204
    from django.core.cache import cache

    cache.clear()  # past MOST_READ_TIMEOUT (the live server shares this process's cache)
    page.goto("/")
    assert page.locator(".most-read a", has_text=portal.article_title).count() == 1
    assert page.context.cookies() == []
