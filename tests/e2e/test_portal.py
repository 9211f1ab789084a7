"""The public bulletin in a real browser at phone width: axe-core (WCAG 2.x A/AA, 2.2 AA) over
the home, a section, an article in every colour theme and at 200% text, the search results and
the report form; the reader controls with the keyboard alone, remembered across pages; no
sideways scrolling at 200%; the page still works without JavaScript."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ctip.core.codes import ALPHABET
from tests.e2e.conftest import E2E, PHONE
from tests.e2e.test_shell import (
    assert_landmarks,
    assert_no_horizontal_overflow,
    focused,
    has_visible_focus_indicator,
    run_axe,
)

pytestmark = [pytest.mark.e2e, pytest.mark.presentation]

THEMES = ["default", "contrast", "sepia", "dark"]


@dataclass
class Site:
    section_url: str
    article_url: str
    article_title: str


@pytest.fixture
def site(e2e: E2E, tree: Any) -> Iterator[Site]:
    """A bulletin with a full article (image, caption, quote, tags) and enough articles for two
    pages, committed before the test opens a page."""
    from django.core.cache import cache
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    from ctip.demo.files import png_poster
    from ctip.portal.models import ArticlePage, SectionPage
    from ctip.portal.permissions import ensure_groups
    from ctip.portal.setup import ensure_bulletin

    cache.clear()
    home = ensure_bulletin()
    ensure_groups()
    section = home.add_child(instance=SectionPage(title="Tuyên truyền trong Nhân dân"))
    section.save_revision().publish()
    image = get_image_model()(title="Minh họa", file=ImageFile(
        io.BytesIO(png_poster(width=1200, height=675)), name="minh-hoa.png"))
    image.save()
    now = dt.datetime(2026, 7, 30, 9, 0, tzinfo=dt.UTC)
    for n in range(1, 13):
        section.add_child(instance=ArticlePage(
            title=f"Bài số {n}: cảnh giác lời mời việc làm qua mạng", live=True,
            lead="Những dấu hiệu của lời mời việc nhẹ lương cao.",
            body=json.dumps([{"type": "paragraph", "value": "<p>Gọi 111 khi nghi ngờ.</p>"}]),
            byline="Minh Thư", first_published_at=now - dt.timedelta(days=n),
            last_published_at=now - dt.timedelta(days=n)))
    body = [
        {"type": "paragraph", "value": "<p>Một lời mời <b>đi làm ở nước ngoài</b> với lương "
                                       "cao bất thường là dấu hiệu đáng ngờ. Đọc kỹ <a href="
                                       "\"/tim-kiem/?q=hop+dong\">hợp đồng</a>.</p>"},
        {"type": "image", "value": {"image": image.pk, "alt": "Cán bộ Hội trò chuyện với "
                                    "người dân", "caption": "Buổi sinh hoạt tổ phụ nữ."}},
        {"type": "heading", "value": "Khi nào cần gọi 111"},
        {"type": "quote", "value": {"text": "Gọi sớm thì giúp được nhiều hơn.",
                                    "source": "Tư vấn viên"}},
        {"type": "paragraph", "value": "<p>Đường dây nóng 111 miễn phí, cả ngày đêm.</p>"},
    ]
    article = ArticlePage(title="Đắk Lắk: cảnh giác đường dây mua bán người qua biên giới",
                          lead="Hội phụ nữ nhắc bà con những dấu hiệu cần dừng lại.",
                          body=json.dumps(body), byline="Hoài An", live=True,
                          publishing_unit=tree.province, first_published_at=now,
                          last_published_at=now)
    section.add_child(instance=article)
    article.tags.set(["việc nhẹ lương cao", "111"])
    article.save()
    yield Site(section_url=section.url, article_url=article.url, article_title=article.title)
    cache.clear()


def with_reader(page: Any, theme: str = "default", size: int = 100) -> None:
    """Open pages as a reader who chose this theme and size before."""
    page.add_init_script(
        f"window.localStorage.setItem('ctip.reader.theme', '{theme}');"
        f"window.localStorage.setItem('ctip.reader.size', '{size}');")


def test_bulletin_pages_have_no_wcag_violations(site: Site, browse: Any, axe_source: Any
                                                 ) -> None:
    found: dict[str, list[str]] = {}
    page = browse.new_page()
    for name, url in [("home", "/"), ("section", site.section_url),
                      ("section, page 2", site.section_url + "?page=2"),
                      ("search results", "/tim-kiem/?q=mua+ban+nguoi"),
                      ("search, nothing found", "/tim-kiem/?q=khong+co+gi"),
                      ("report form", "/bao-tin/"), ("not found", "/khong-co-trang/")]:
        page.goto(url)
        assert_landmarks(page)
        found[name] = run_axe(page, axe_source)
    page.goto("/tim-kiem/?q=mua+ban+nguoi")
    assert page.locator("main mark", has_text="bán").count() >= 1

    page.goto("/bao-tin/")
    with page.expect_navigation():
        page.locator("form.report-form button[type=submit]").click()
    assert page.locator(".error-summary").is_visible()
    found["report form with errors"] = run_axe(page, axe_source)

    report = [f"{name}: {v}" for name, items in found.items() for v in items]
    assert not report, "axe-core found WCAG violations:\n" + "\n".join(report)


@pytest.mark.parametrize("theme", THEMES)
def test_article_in_every_theme_and_at_200_percent(site: Site, browse: Any, axe_source: Any,
                                                   theme: str) -> None:
    found: dict[str, list[str]] = {}
    for size in (100, 200):
        page = browse.new_page()
        with_reader(page, theme, size)
        page.goto(site.article_url)
        assert page.locator("html").get_attribute("data-theme") == theme
        assert page.locator("html").get_attribute("data-size") == str(size)
        assert page.locator("[data-reader]").is_visible()
        assert_landmarks(page)
        assert_no_horizontal_overflow(page)
        found[f"{theme} at {size}%"] = run_axe(page, axe_source)
        if size == 200:
            root = page.evaluate("parseFloat(getComputedStyle(document.documentElement)"
                                 ".fontSize)")
            assert root == 32  # 200% of 16 px
            for selector in ("h1", ".reader-controls", ".lead", ".byline", ".other-news",
                             "footer a[href='tel:111']"):
                box = page.locator(selector).first.bounding_box()
                assert box is not None and box["x"] >= 0, selector
                assert box["x"] + box["width"] <= PHONE["width"] + 0.5, selector
    report = [f"{name}: {v}" for name, items in found.items() for v in items]
    assert not report, "axe-core found WCAG violations:\n" + "\n".join(report)


def test_reader_controls_work_with_the_keyboard_and_are_remembered(site: Site,
                                                                   browse: Any) -> None:
    page = browse.new_page()
    page.goto(site.article_url)
    html = page.locator("html")
    assert html.get_attribute("data-theme") == "default"

    def tab_to(selector: str) -> dict[str, Any]:
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                info = focused(page)
                assert info is not None and has_visible_focus_indicator(info), info
                return info
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("[data-theme-choice='contrast']")
    page.keyboard.press("Enter")
    assert html.get_attribute("data-theme") == "contrast"
    contrast = page.locator("[data-theme-choice='contrast']")
    assert contrast.get_attribute("aria-pressed") == "true"
    assert page.locator("[data-theme-choice='default']").get_attribute("aria-pressed") == "false"

    tab_to("[data-size-step='1']")
    for expected in ("125", "150", "175", "200", "200"):
        page.keyboard.press("Space")
        assert html.get_attribute("data-size") == expected
    larger = page.locator("[data-size-step='1']")
    assert larger.get_attribute("aria-disabled") == "true"
    assert page.evaluate("document.activeElement.getAttribute('data-size-step')") == "1"
    assert page.locator("[data-size-value]").inner_text() == "200%"
    assert_no_horizontal_overflow(page)

    # remembered on the next page, and on the next visit
    page.goto(site.section_url)
    assert html.get_attribute("data-theme") == "contrast"
    assert html.get_attribute("data-size") == "200"
    assert_no_horizontal_overflow(page)
    page.goto(site.article_url)
    assert page.locator("[data-size-value]").inner_text() == "200%"
    assert page.locator("[data-theme-choice='contrast']").get_attribute("aria-pressed") == "true"

    # back to normal with the keyboard
    tab_to("[data-size-step='-1']")
    for _ in range(4):
        page.keyboard.press("Enter")
    assert html.get_attribute("data-size") == "100"
    assert page.locator("[data-size-step='-1']").get_attribute("aria-disabled") == "true"
    tab_to("[data-theme-choice='default']")
    page.keyboard.press("Enter")
    assert html.get_attribute("data-theme") == "default"


def test_every_stop_on_the_article_shows_its_focus(site: Site, browse: Any) -> None:
    page = browse.new_page()
    page.goto(site.article_url)
    page.keyboard.press("Tab")
    first = focused(page)
    assert first is not None and "skip-link" in first["cls"]
    seen: list[dict[str, Any]] = [first]
    for _ in range(80):
        page.keyboard.press("Tab")
        info = focused(page)
        if info is None or info == seen[0]:
            break
        seen.append(info)
        assert has_visible_focus_indicator(info), f"no visible focus indicator on {info}"
        assert info["left"] >= -1 and info["right"] <= PHONE["width"] + 1, info
    texts = " | ".join(i["text"] for i in seen)
    for label in ("Tương phản cao", "Lớn hơn", "In bài", "Chia sẻ lên Facebook",
                  "Chia sẻ qua Zalo", "Bài số 1"):
        assert label in texts, f"{label!r} is not reachable by keyboard: {texts}"


def test_article_without_javascript_is_a_plain_page(site: Site, browse: Any) -> None:
    page = browse.new_page(javascript=False)
    page.goto(site.article_url)
    assert page.locator("h1").inner_text() == site.article_title
    assert not page.locator("[data-reader]").is_visible()  # the controls need the script
    assert not page.locator("[data-print]").is_visible()
    assert page.locator(".other-news li").count() == 10
    assert page.locator(".body-figure figcaption").inner_text() == "Buổi sinh hoạt tổ phụ nữ."
    assert_no_horizontal_overflow(page)
    page.locator(".other-news a").first.click()
    page.wait_for_url("**/bai-so-1-*/")


def test_report_a_concern_with_the_keyboard(site: Site, browse: Any, e2e: E2E) -> None:
    page = browse.new_page()
    page.goto("/bao-tin/")

    def tab_until(selector: str) -> None:
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                info = focused(page)
                assert info is not None and has_visible_focus_indicator(info), info
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_until("#id_category")
    page.keyboard.press("ArrowDown")
    tab_until("#id_commune")
    page.keyboard.press("ArrowDown")  # the first commune
    tab_until("#id_description")
    page.keyboard.type("Có người rủ em gái tôi sang nước ngoài làm việc, hứa lương rất cao.")
    tab_until("#id_identity_0")
    assert page.locator("#id_identity_0").is_checked()  # staying anonymous is the default
    tab_until("form.report-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/bao-tin/da-gui/"), page.locator("main").inner_text()
    code = page.locator(".reference .code").inner_text()
    assert re.fullmatch(rf"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", code), code
    assert page.locator("main a[href='tel:111']").count() >= 1
