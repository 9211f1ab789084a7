"""Vietnamese addresses (issue #16, point 1): whatever the editor types or pastes, on every
bulletin page type, becomes the slug Vietnamese sites make (marks removed, đ → d); the editor's
slug widget does the same as she types; slugs Wagtail garbled before are repaired, with
permanent redirects from the old addresses. The browser half is tests/e2e/test_cms_editor.py."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.urls import reverse
from wagtail.contrib.redirects.models import Redirect

from ctip.portal.models import ArticlePage, SectionPage
from ctip.portal.slug_repair import repair_garbled_slugs
from ctip.portal.slugs import editor_formatters, is_garbled, vietnamese_slug
from tests.portal.conftest import Bulletin, add_article, add_section
from tests.portal.test_workflow import admin_form

EVERY_VOWEL = ("a à á ả ã ạ ă ằ ắ ẳ ẵ ặ â ầ ấ ẩ ẫ ậ e è é ẻ ẽ ẹ ê ề ế ể ễ ệ i ì í ỉ ĩ ị "
               "o ò ó ỏ õ ọ ô ồ ố ổ ỗ ộ ơ ờ ớ ở ỡ ợ u ù ú ủ ũ ụ ư ừ ứ ử ữ ự y ỳ ý ỷ ỹ ỵ đ")


def _apply_like_the_browser(text: str) -> str:
    """What Wagtail's w-slug controller does with our formatters, then its ASCII slugify."""
    for pattern, replacement in editor_formatters():
        text = re.sub(pattern, replacement, text)
    text = re.sub(r"\s+", "-", text)
    return re.sub(r"[^A-Za-z0-9\-_]", "", text).lower()


def test_every_vietnamese_letter_has_its_bare_letter() -> None:
    assert vietnamese_slug(EVERY_VOWEL.upper()) == vietnamese_slug(EVERY_VOWEL)
    folded = _apply_like_the_browser(EVERY_VOWEL + " " + EVERY_VOWEL.upper())
    assert set(folded) <= set("aeiouyd-")
    assert folded.count("d") == 2 and "dj" not in folded
    # text pasted in decomposed form (NFD) loses its combining marks, not its letters
    import unicodedata
    assert _apply_like_the_browser(unicodedata.normalize("NFD", "Đức Hòa")) == "duc-hoa"


def test_the_editor_widget_carries_the_formatters(users: dict[str, Any], bulletin: Bulletin,
                                                  client_for: Any) -> None:
    add = reverse("wagtailadmin_pages:add", args=("portal", "articlepage", bulletin.section.pk))
    html = client_for(users["editor"]).get(add).content.decode()
    match = re.search(r'data-w-slug-formatters-value="([^"]+)"', html)
    assert match, "the slug field has no formatters"
    pairs = json.loads(match.group(1).replace("&quot;", '"'))
    assert any("ộ" in regex[0] and replacement == "o" for regex, replacement in pairs)
    assert any("đ" in regex[0] and replacement == "d" for regex, replacement in pairs)


@pytest.mark.parametrize("typed, expected", [
    ("hội-phụ-nữ-đức-hòa", "hoi-phu-nu-duc-hoa"),
    ("Hội Phụ nữ xã Đức Hòa", "hoi-phu-nu-xa-duc-hoa"),
    ("", "hoi-phu-nu-xa-duc-hoa-to-chuc-ngay-hoi-dip-he"),
])
def test_a_slug_typed_or_pasted_in_the_editor_is_folded(
        users: dict[str, Any], bulletin: Bulletin, client_for: Any, typed: str,
        expected: str) -> None:
    add = reverse("wagtailadmin_pages:add", args=("portal", "articlepage", bulletin.section.pk))
    response = client_for(users["editor"]).post(
        add, admin_form("Hội Phụ nữ xã Đức Hòa tổ chức ngày hội dịp hè", typed))
    assert response.status_code == 302, _errors(response)
    assert ArticlePage.objects.get(slug=expected).title.startswith("Hội Phụ nữ")


def test_a_section_slug_typed_with_marks_is_folded(users: dict[str, Any], bulletin: Bulletin,
                                                   client_for: Any) -> None:
    add = reverse("wagtailadmin_pages:add", args=("portal", "sectionpage", bulletin.home.pk))
    form = {"title": "Văn bản pháp luật", "slug": "văn-bản-pháp-luật", "intro": "",
            "unit": "", "seo_title": "", "search_description": "", "go_live_at": "",
            "expire_at": "", "comments-TOTAL_FORMS": "0", "comments-INITIAL_FORMS": "0",
            "comments-MIN_NUM_FORMS": "0", "comments-MAX_NUM_FORMS": "1000"}
    response = client_for(users["publisher"]).post(add, form)
    assert response.status_code == 302, _errors(response)
    assert SectionPage.objects.filter(slug="van-ban-phap-luat").exists()


def test_a_folded_slug_taken_by_a_sibling_is_refused_in_vietnamese_and_keeps_the_text(
        users: dict[str, Any], bulletin: Bulletin, client_for: Any) -> None:
    add_article(bulletin.section, "Đức Hòa", slug="duc-hoa")
    add = reverse("wagtailadmin_pages:add", args=("portal", "articlepage", bulletin.section.pk))
    response = client_for(users["editor"]).post(add, admin_form("Bài của tôi", "đức-hòa"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "đã được sử dụng" in html or "đã có" in html, _errors(response)
    assert 'value="Bài của tôi"' in html and "Đoạn dẫn." in html
    assert ArticlePage.objects.filter(slug="duc-hoa").count() == 1


def test_a_copy_or_a_save_without_cleaning_folds_the_slug(bulletin: Bulletin) -> None:
    page = add_article(bulletin.section, "Bài gốc")
    page.slug = "bài-sao-chép"
    page.save(clean=False)
    assert ArticlePage.objects.get(pk=page.pk).slug == "bai-sao-chep"


def test_garbled_slugs_are_recognised_and_chosen_ones_are_not() -> None:
    title = "Hội Phụ nữ xã Đức Hòa tổ chức ngày hội dịp hè"
    assert is_garbled("hi-ph-n-xa-djc-hoa-t-chc-ngay-hi-dp-he", title)
    assert is_garbled("hi-ph-n-c-ha", "hội-phụ-nữ-đức-hòa")
    assert not is_garbled("hoi-phu-nu-xa-duc-hoa-to-chuc-ngay-hoi-dip-he", title)
    assert not is_garbled("ngay-hoi-he", title)  # chosen by the editor: left alone
    assert not is_garbled("bai-so-1-2", "Bài số 1")


def test_garbled_slugs_are_repaired_with_redirects_from_the_old_addresses(
        bulletin: Bulletin, client: Any) -> None:
    section = add_section(bulletin.home, "Tin cơ sở")
    article = add_article(section, "Hội Phụ nữ xã Đức Hòa dịp hè", revision=True)
    # what Wagtail's transliteration stored, then published
    SectionPage.objects.filter(pk=section.pk).update(slug="tin-c-s", url_path=section.url_path
                                                     .replace("tin-co-so", "tin-c-s"))
    ArticlePage.objects.filter(pk=article.pk).update(
        slug="hi-ph-n-xa-djc-hoa-dp-he",
        url_path=f"{section.url_path.replace('tin-co-so', 'tin-c-s')}hi-ph-n-xa-djc-hoa-dp-he/")
    kept = add_article(bulletin.section, "Đường dây nóng 111", slug="duong-day-nong")

    repaired = repair_garbled_slugs()

    assert len(repaired) == 2
    section.refresh_from_db()
    article.refresh_from_db()
    assert section.slug == "tin-co-so"
    assert article.slug == "hoi-phu-nu-xa-duc-hoa-dip-he"
    assert article.url == "/tin-co-so/hoi-phu-nu-xa-duc-hoa-dip-he/"
    assert ArticlePage.objects.get(pk=kept.pk).slug == "duong-day-nong"
    assert article.get_latest_revision().content["slug"] == article.slug
    assert client.get(article.url).status_code == 200
    old = client.get("/tin-c-s/hi-ph-n-xa-djc-hoa-dp-he/")
    assert old.status_code == 301 and old["Location"].endswith(article.url)
    assert client.get("/tin-c-s/")["Location"].endswith("/tin-co-so/")
    assert Redirect.objects.filter(is_permanent=True).count() == 3
    assert repair_garbled_slugs() == []  # idempotent


def _errors(response: Any) -> Any:
    form = (response.context or {}).get("form")
    return form.errors if form is not None else response.status_code
