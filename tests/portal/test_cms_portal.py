"""Issue #16 point 7: a provincial portal's page. Site settings kept in the CMS and used by
every public template; a featured story and pictures on list items; a "most read" list from
counters that hold nothing about the reader; redirects kept by the publishers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import AutoField, DateField, ForeignKey, PositiveIntegerField
from django.test import Client
from django.urls import reverse
from wagtail.contrib.redirects.models import Redirect
from wagtail.images import get_image_model
from wagtail.models import Site

from ctip.portal.caching import bump_version
from ctip.portal.models import BulletinHome, BulletinSettings, PageViewDay
from tests.portal.conftest import Bulletin, add_article
from tests.portal.test_cms_images import photo_jpeg


def _settings(**values: Any) -> BulletinSettings:
    site = Site.objects.get(is_default_site=True)
    found = BulletinSettings.for_site(site)
    for name, value in values.items():
        setattr(found, name, value)
    found.save()
    bump_version()
    return found


def test_every_public_page_takes_the_numbers_and_contacts_from_the_settings(
        bulletin: Bulletin, client: Client) -> None:
    _settings(site_name="Bản tin Hội LHPN tỉnh Quảng Nam", hotline="1800 1567", police="113",
              union_name="Hội Liên hiệp Phụ nữ tỉnh Quảng Nam",
              address="02 Trần Hưng Đạo, TP Tam Kỳ", phone="0235 3852 123",
              email="hoiphunu@quangnam.gov.vn", facebook_url="https://facebook.com/hoiphunuqn")
    pages = ["/", bulletin.section.url, bulletin.articles[0].url, reverse("portal:search"),
             reverse("portal:report"), "/khong-co-trang-nay/"]
    for url in pages:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code in (200, 404), url
        assert 'href="tel:18001567"' in html and ">1800 1567<" in html, url
        assert "tel:111" not in html, url
        assert "Bản tin Hội LHPN tỉnh Quảng Nam</title>" in html, url
        assert "02 Trần Hưng Đạo, TP Tam Kỳ" in html and 'href="tel:02353852123"' in html, url
        assert 'href="mailto:hoiphunu@quangnam.gov.vn"' in html, url
        social = re.search(r'<ul class="footer-social".*?</ul>', html, re.S)
        assert social is not None and "https://facebook.com/hoiphunuqn" in social.group(), url
        assert "Zalo" not in social.group(), url


def test_without_settings_the_defaults_are_shown(bulletin: Bulletin, client: Client) -> None:
    html = client.get("/").content.decode()
    assert 'href="tel:111"' in html and 'href="tel:113"' in html
    assert "<address" not in html  # nothing made up


def test_a_changed_setting_reaches_the_cached_pages(bulletin: Bulletin,
                                                    client: Client) -> None:
    assert 'href="tel:111"' in client.get("/").content.decode()
    site = Site.objects.get(is_default_site=True)
    found = BulletinSettings.for_site(site)
    found.hotline = "1900 9090"
    found.save()  # no bump by the test: saving the settings drops the cached pages
    assert 'href="tel:19009090"' in client.get("/").content.decode()


def test_publishers_keep_the_settings_and_the_redirects(bulletin: Bulletin,
                                                        users: dict[str, Any],
                                                        client_for: Any) -> None:
    site = Site.objects.get(is_default_site=True)
    url = reverse("wagtailsettings:edit", args=("portal", "bulletinsettings", site.pk))
    publisher, editor = client_for(users["publisher"]), client_for(users["editor"])
    page = publisher.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Số đường dây nóng" in page and "Chân trang: địa chỉ liên hệ của Hội" in page
    response = publisher.post(url, {"site_name": "", "banner": "", "banner_alt": "",
                                    "hotline": "111 abc", "police": "113", "union_name": "",
                                    "address": "", "phone": "", "email": "",
                                    "facebook_url": "", "zalo_url": "", "youtube_url": ""},
                              HTTP_ACCEPT_LANGUAGE="vi")
    assert "Số điện thoại: chữ số, dấu cách và dấu chấm" in response.content.decode()
    assert editor.get(url).status_code in (302, 403)

    add = reverse("wagtailredirects:add")
    assert editor.get(add).status_code in (302, 403)
    response = publisher.post(add, {"old_path": "/tin-cu/bai-viet-cu/", "site": "",
                                    "is_permanent": "on",
                                    "redirect_page": str(bulletin.articles[0].pk),
                                    "redirect_page_route_path": "", "redirect_link": ""})
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert Redirect.objects.filter(old_path="/tin-cu/bai-viet-cu").exists()
    moved = Client().get("/tin-cu/bai-viet-cu/")
    assert moved.status_code == 301 and moved["Location"] == bulletin.articles[0].url


def _image(title: str = "Ảnh") -> Any:
    return get_image_model().objects.create(
        title=title, file=SimpleUploadedFile("a.jpg", photo_jpeg(960, 540)))


def test_the_home_has_a_featured_story_and_pictures_on_list_items(
        bulletin: Bulletin, client: Client) -> None:
    image = _image()
    pictured = add_article(bulletin.section, "Bài có ảnh đại diện", feed_image=image)
    html = client.get("/").content.decode()
    featured = re.search(r'<article class="featured".*?</article>', html, re.S)
    assert featured is not None and "Bài có ảnh đại diện" in featured.group()
    assert 'class="featured-image"' in featured.group()  # the latest, by default
    latest = re.search(r'id="latest-heading".*?</section>', html, re.S)
    assert latest is not None and "Bài có ảnh đại diện" not in latest.group()

    home = BulletinHome.objects.get()
    home.featured = bulletin.articles[3]
    home.save_revision().publish()
    html = client.get("/").content.decode()
    featured = re.search(r'<article class="featured".*?</article>', html, re.S)
    assert featured is not None and bulletin.articles[3].title in featured.group()
    item = re.search(r'<li class="article-item">(?:(?!</li>).)*Bài có ảnh đại diện', html,
                     re.S)
    assert item is not None and '<img class="article-thumb"' in item.group()
    assert pictured.feed_image_id == image.pk
    section = client.get(bulletin.section.url).content.decode()
    assert '<img class="article-thumb"' in section


def test_most_read_counts_readings_and_nothing_about_readers(bulletin: Bulletin,
                                                             users: dict[str, Any],
                                                             client_for: Any) -> None:
    fields = {f.name: type(f) for f in PageViewDay._meta.get_fields()}
    assert fields == {"id": AutoField, "page": ForeignKey, "day": DateField,
                      "views": PositiveIntegerField} or set(fields) == {"id", "page", "day",
                                                                         "views"}
    popular, other = bulletin.articles[5], bulletin.articles[1]
    reader = Client(enforce_csrf_checks=True)

    def read(article: Any, client: Client = reader) -> None:
        """What reader.js does on the article page: one beacon to the page's counter."""
        page = client.get(article.url).content.decode()
        found = re.search(r'<article class="article" data-reading="([^"]+)"', page)
        assert found is not None
        assert client.post(found.group(1)).status_code == 204

    for _n in range(3):
        read(popular)
    assert reader.get(popular.url)["X-Bulletin-Cache"] == "hit"  # the page stays cached
    read(other)
    read(other, Client(HTTP_USER_AGENT="Googlebot/2.1"))
    read(other, client_for(users["editor"]))  # staff checking their work
    assert reader.get(reverse("portal:reading", args=(other.pk,))).status_code == 405
    assert reader.post(reverse("portal:reading", args=(bulletin.section.pk,))
                       ).status_code == 204  # not an article: nothing counted
    counts = dict(PageViewDay.objects.values_list("page_id", "views"))
    assert counts == {popular.pk: 3, other.pk: 1}
    assert not reader.cookies  # nothing set on the reader
    script = (Path(settings.BASE_DIR) / "portal/static/portal/reader.js").read_text()
    assert 'navigator.sendBeacon(article.getAttribute("data-reading"))' in script

    bump_version()
    html = reader.get("/").content.decode()
    listed = re.search(r'id="most-read-heading".*?</ol>', html, re.S)
    assert listed is not None
    titles = re.findall(r'<li class="most-read-item"><a href="[^"]+">([^<]+)</a></li>',
                        listed.group())
    assert titles == [popular.title, other.title]
    article = reader.get(bulletin.articles[8].url).content.decode()
    assert 'id="most-read-heading"' in article


def test_an_unpublished_article_leaves_the_most_read_list(bulletin: Bulletin) -> None:
    from ctip.portal.readership import count_view, most_read

    gone = bulletin.articles[0]
    count_view(gone.pk)
    count_view(bulletin.articles[1].pk)
    gone.unpublish()
    assert [p.pk for p in most_read()] == [bulletin.articles[1].pk]
