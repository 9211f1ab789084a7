"""The bulletin's pages carry the parts of the seed page: section, headline, date and time,
"Màu chữ" and "Cỡ chữ", body with captioned images, byline, "Các tin khác" with dates, and
pagination "Trang đầu 1 2 … Trang cuối" with the current page marked."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
from typing import Any

import pytest
from django.core.files.images import ImageFile
from django.test import Client
from wagtail.images import get_image_model

from ctip.demo.files import png_poster
from tests.portal.conftest import BASE, Bulletin, add_article, add_section, paragraph

pytestmark = pytest.mark.django_db


def html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def make_image(title: str = "Ảnh minh họa") -> Any:
    image = get_image_model()(title=title, file=ImageFile(
        io.BytesIO(png_poster(width=1200, height=675)), name="minh-hoa.png"))
    image.save()
    return image


@pytest.fixture
def full_article(bulletin: Bulletin, tree: Any) -> Any:
    image = make_image()
    return add_article(
        bulletin.section, "Đắk Lắk: phát hiện đường dây mua bán người qua biên giới",
        lead="Công an và Hội phụ nữ cảnh báo thủ đoạn mới.",
        body=[paragraph("Đoạn thứ nhất của bài."),
              {"type": "image", "value": {"image": image.pk, "alt": "Cán bộ Hội phát tờ rơi",
                                          "caption": "Phát tờ rơi tại chợ phiên."}},
              {"type": "heading", "value": "Những dấu hiệu cần biết"},
              paragraph("Đoạn thứ hai, gọi <b>111</b> khi cần.")],
        byline="Hoài An", publishing_unit=tree.province, tags=["việc nhẹ lương cao", "111"],
        when=BASE)


def test_article_page_has_the_parts_of_the_seed_page(client: Client, full_article: Any,
                                                     bulletin: Bulletin) -> None:
    body = html(client.get(full_article.url))
    main = body[body.index("<main"):]
    # section name, headline, date and time dd/mm/yyyy hh:mm
    assert '<p class="article-section"><a href="/tuyen-truyen-trong-nhan-dan/">' \
           "Tuyên truyền trong Nhân dân</a></p>" in main
    assert "<h1 class=\"article-title\">Đắk Lắk: phát hiện đường dây mua bán người qua biên " \
           "giới</h1>" in main
    assert '<time datetime="2026-07-30T09:05:00+07:00">30/07/2026 09:05</time>' in main
    # reader controls
    assert "Màu chữ" in main and "Cỡ chữ" in main
    for label in ("Mặc định", "Tương phản cao", "Nền giấy ngà", "Nền tối", "Lớn hơn",
                  "Nhỏ hơn"):
        assert label in main
    # lead, body with image and caption, byline, unit, tags
    assert '<p class="lead">Công an và Hội phụ nữ cảnh báo thủ đoạn mới.</p>' in main
    assert re.search(r'<img src="/media/images/[^"]+" width="800" height="450" '
                     r'alt="Cán bộ Hội phát tờ rơi"', main)
    assert "<figcaption>Phát tờ rơi tại chợ phiên.</figcaption>" in main
    assert '<h2 class="body-heading">Những dấu hiệu cần biết</h2>' in main
    assert "<b>111</b>" in main
    assert '<p class="byline">Hoài An</p>' in main
    assert "Đơn vị đăng tin: Tỉnh Tây Ninh" in main
    assert ">việc nhẹ lương cao</a>" in main
    # print button (revealed by the script), share links without any third-party script
    assert "data-print hidden>In bài</button>" in main
    assert "https://www.facebook.com/sharer/sharer.php?u=http%3A%2F%2Ftestserver%2F" in main
    assert "https://sp.zalo.me/share_to_zalo?url=http%3A%2F%2Ftestserver%2F" in main
    scripts = re.findall(r"<script[^>]*>", body)
    assert scripts == ['<script src="/static/portal/reader.js">']
    assert "facebook.net" not in body and "zalo.me/sdk" not in body
    # "Các tin khác": the newest other articles of the section, with dates
    other = main[main.index("Các tin khác"):]
    assert other.count("<li>") == 10
    assert "Bài số 1: cảnh giác lời mời việc làm</a> <span class=\"date\">(29/07/2026)</span>" \
        in other
    assert "Bài số 10:" in other and "Bài số 11:" not in other
    assert "Hỏi: báo tin" not in other  # another section's article
    # previous (older) and no next: it is the newest
    assert "Bài trước" in main and 'rel="prev">Bài số 1:' in main
    assert 'rel="next"' not in main
    # the old hotline number is never shown
    assert "1800 1567" not in body and "18001567" not in body
    assert 'href="tel:111"' in body and 'href="tel:113"' in body


def test_previous_and_next_follow_publication_dates(client: Client,
                                                    bulletin: Bulletin) -> None:
    middle = bulletin.articles[4]  # Bài số 5
    main = html(client.get(middle.url))
    assert 'rel="prev">Bài số 6:' in main
    assert 'rel="next">Bài số 4:' in main


def test_section_page_lists_ten_with_pagination(client: Client, bulletin: Bulletin) -> None:
    url = bulletin.section.url
    body = html(client.get(url))
    main = body[body.index("<main"):]
    assert "<h1>Tuyên truyền trong Nhân dân</h1>" in main
    assert main.count('class="article-item"') == 10
    assert "Bài số 1:" in main and "Bài số 10:" in main and "Bài số 11:" not in main
    assert "29/07/2026 09:05" in main
    pager = main[main.index('<nav class="pager"'):]
    assert "Trang đầu" in pager and "Trang cuối" in pager
    assert re.search(r'<a href="/tuyen-truyen-trong-nhan-dan/" aria-current="page" '
                     r'class="current"><span class="visually-hidden">Trang </span>1</a>', pager)
    assert f'href="{url}?page=2">Trang cuối' in pager
    assert pager.count('aria-current="page"') == 1

    second = html(client.get(url, {"page": 2}))
    assert second.count('class="article-item"') == 2
    assert re.search(r'aria-current="page" class="current"><span class="visually-hidden">'
                     r"Trang </span>2</a>", second)
    assert "12 bài viết · trang 2/2" in second


@pytest.mark.parametrize(("asked", "expected"), [("0", ""), ("-4", ""), ("1", ""), ("3", "2"),
                                                 ("99999999999999999999", "2")])
def test_page_number_out_of_range_goes_to_the_nearest_page(client: Client, bulletin: Bulletin,
                                                           asked: str, expected: str) -> None:
    response = client.get(bulletin.section.url, {"page": asked})
    assert response.status_code == 302
    target = bulletin.section.url + (f"?page={expected}" if expected else "")
    assert response["Location"] == target


@pytest.mark.parametrize("asked", ["abc", "2.5", "1e3", "", "<script>"])
def test_page_number_not_a_number_is_404_or_the_first_page(client: Client, bulletin: Bulletin,
                                                           asked: str) -> None:
    response = client.get(bulletin.section.url, {"page": asked})
    if asked == "":
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert "Không tìm thấy trang" in response.content.decode()


def test_pagination_window_shows_at_most_ten_numbers(rf: Any) -> None:
    from ctip.portal.pagination import window

    assert list(window(1, 3)) == [1, 2, 3]
    assert list(window(1, 40)) == list(range(1, 11))
    assert list(window(20, 40)) == list(range(16, 26))
    assert list(window(40, 40)) == list(range(31, 41))


def test_home_shows_latest_sections_hotline_and_report(client: Client,
                                                       bulletin: Bulletin) -> None:
    body = html(client.get("/"))
    main = body[body.index("<main"):]
    assert 'href="tel:111"><span class="hotline-digits">111</span>' in main
    assert 'href="tel:113"><span class="hotline-digits">113</span>' in main
    assert '<a class="button" href="/bao-tin/">Báo tin</a>' in main
    assert "Tin mới nhất" in main
    assert main.index("Hỏi: báo tin") < main.index("Bài số 1:")  # newest first
    for title in ("Tuyên truyền trong Nhân dân", "Hỏi đáp pháp luật"):
        assert f">{title}</a></h2>" in main
    assert '<html lang="vi"' in body


def test_unpublished_and_scheduled_articles_are_not_shown(client: Client,
                                                          bulletin: Bulletin) -> None:
    draft = add_article(bulletin.section, "Bản nháp chưa duyệt", publish=False)
    assert client.get(draft.url).status_code == 404
    listing = html(client.get(bulletin.section.url))
    home = html(client.get("/"))
    assert "Bản nháp chưa duyệt" not in listing + home


def test_slugs_have_no_diacritics(bulletin: Bulletin) -> None:
    page = add_article(bulletin.section, "Đắk Lắk: Đường dây “việc nhẹ lương cao” bị triệt phá")
    assert page.slug == "dak-lak-duong-day-viec-nhe-luong-cao-bi-triet-pha"
    assert page.url == f"/tuyen-truyen-trong-nhan-dan/{page.slug}/"
    typed = add_article(bulletin.section, "Bài khác", slug="hỏi-đáp-về-luật")
    assert typed.slug == "hoi-dap-ve-luat"
    section = add_section(bulletin.home, "Văn bản pháp luật")
    assert section.slug == "van-ban-phap-luat"


def test_a_section_cannot_take_an_application_address(bulletin: Bulletin) -> None:
    from django.core.exceptions import ValidationError

    from ctip.portal.models import SectionPage

    with pytest.raises(ValidationError):
        bulletin.home.add_child(instance=SectionPage(title="Cases", slug="cases"))


def test_open_graph_article_meta_and_canonical(client: Client, full_article: Any) -> None:
    body = html(client.get(full_article.url))
    head = body[:body.index("</head>")]
    canonical = f"http://testserver{full_article.url}"
    assert f'<link rel="canonical" href="{canonical}">' in head
    assert '<meta property="og:locale" content="vi_VN">' in head
    assert '<meta property="og:type" content="article">' in head
    assert f'<meta property="og:url" content="{canonical}">' in head
    assert ('<meta property="og:title" content="Đắk Lắk: phát hiện đường dây mua bán người '
            'qua biên giới">') in head
    og_image = re.search(r'<meta property="og:image" content="http://testserver(/media/images/'
                         r'[^"]+\.fill-1200x630\.png)">', head)
    assert og_image is not None
    # the size announced is the size of the picture served
    png = client.get(og_image.group(1)).getvalue()
    width, height = struct.unpack(">II", png[16:24])
    assert width == 1200 and 628 <= height <= 632
    assert f'<meta property="og:image:width" content="{width}">' in head
    assert f'<meta property="og:image:height" content="{height}">' in head
    assert '<meta property="og:image:type" content="image/png">' in head
    assert '<meta property="article:published_time" content="2026-07-30T09:05:00+07:00">' \
        in head
    assert '<meta property="article:section" content="Tuyên truyền trong Nhân dân">' in head
    assert '<meta property="article:tag" content="111">' in head
    assert '<meta name="description" content="Công an và Hội phụ nữ cảnh báo thủ đoạn mới.">' \
        in head


def test_public_address_setting_drives_absolute_links(client: Client, full_article: Any,
                                                      settings: Any) -> None:
    settings.CTIP_PUBLIC_URL = "https://phunu.example.vn"
    head = html(client.get(full_article.url))
    assert (f'<link rel="canonical" href="https://phunu.example.vn{full_article.url}">'
            in head)


def test_rendered_images_are_served_but_not_the_originals(client: Client,
                                                          full_article: Any) -> None:
    body = html(client.get(full_article.url))
    src = re.search(r'<img src="(/media/images/[^"]+)"', body)
    assert src is not None
    image = client.get(src.group(1))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert client.get("/media/original_images/minh-hoa.png").status_code == 404
    assert client.get("/media/images/../original_images/minh-hoa.png").status_code == 404


def test_rss_for_the_site_and_per_section(client: Client, bulletin: Bulletin) -> None:
    site = client.get("/rss/")
    assert site.status_code == 200 and site["Content-Type"].startswith("application/rss+xml")
    xml = site.content.decode()
    assert "<language>vi</language>" in xml
    assert xml.count("<item>") == 13
    assert ("<link>http://testserver/tuyen-truyen-trong-nhan-dan/"
            "bai-so-1-canh-giac-loi-moi-viec-lam/</link>") in xml
    assert "<pubDate>Wed, 29 Jul 2026 02:05:00 +0000</pubDate>" in xml
    section = client.get(f"/rss/{bulletin.other_section.slug}/").content.decode()
    assert section.count("<item>") == 1 and "Hỏi: báo tin" in section
    assert client.get("/rss/khong-co-chuyen-muc/").status_code == 404
    head = html(client.get(bulletin.section.url))
    assert ('<link rel="alternate" type="application/rss+xml" title="Tuyên truyền trong Nhân '
            'dân" href="/rss/tuyen-truyen-trong-nhan-dan/">') in head


def test_sitemap_and_robots(client: Client, bulletin: Bulletin) -> None:
    add_article(bulletin.section, "Bản nháp không có trong sơ đồ", publish=False)
    sitemap = client.get("/sitemap.xml")
    assert sitemap.status_code == 200
    xml = sitemap.content.decode()
    assert "<loc>http://testserver/</loc>" in xml
    assert "<loc>http://testserver/tuyen-truyen-trong-nhan-dan/</loc>" in xml
    assert xml.count("<url>") == 1 + 2 + 13
    assert "ban-nhap" not in xml
    robots = client.get("/robots.txt")
    assert robots["Content-Type"] == "text/plain; charset=utf-8"
    text = robots.content.decode()
    assert "User-agent: *" in text and "Disallow: /cms/" in text and "Disallow: /app/" in text
    assert "Disallow: /bao-tin/da-gui/" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


def test_404_page_is_in_vietnamese(client: Client, bulletin: Bulletin) -> None:
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>Không tìm thấy trang</h1>" in body
    assert "Về trang chủ bản tin" in body and 'href="tel:111"' in body
    assert '<html lang="vi"' in body


def test_article_page_query_count_is_bounded(client: Client, full_article: Any,
                                             django_assert_max_num_queries: Any) -> None:
    client.get(full_article.url)  # renditions are made on the first view
    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(30):
        html(client.get(full_article.url))


def test_staff_home_moved_to_app(client_for: Any, users: Any, bulletin: Bulletin) -> None:
    from django.urls import reverse

    assert reverse("core:home") == "/app/"
    signed_in = client_for(users["commune_officer"])
    assert signed_in.get("/app/").status_code == 200
    assert "Tin mới nhất" in html(signed_in.get("/"))  # "/" is the public bulletin


def test_display_date_falls_back_for_drafts(bulletin: Bulletin) -> None:
    draft = add_article(bulletin.section, "Bản nháp", publish=False)
    assert draft.first_published_at is None
    assert isinstance(draft.display_date, dt.datetime)


def test_printing_leaves_the_article_and_drops_menus_and_buttons(client: Client,
                                                                 full_article: Any) -> None:
    """The print stylesheet is linked for print only, and hides every tool the article page
    shows around the text (reader controls, print and share, previous/next, other news,
    tags, search, pagination), but none of the article's own parts."""
    from django.contrib.staticfiles import finders

    body = html(client.get(full_article.url))
    assert re.search(r'<link rel="stylesheet" href="/static/portal/print\.css" media="print">',
                     body)
    path = finders.find("portal/print.css")
    assert path
    with open(path, encoding="utf-8") as handle:
        css = handle.read()
    hidden = set()
    for selectors, rules in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        if re.search(r"display:\s*none", rules):
            hidden |= {s.strip() for s in selectors.split(",")}
    for tool in (".reader-controls", ".article-tools", ".prev-next", ".other-news", ".tags",
                 ".site-search", ".skip-link"):
        assert tool in hidden, tool
        assert f'class="{tool[1:]}' in body or tool in (".site-search", ".skip-link")
    for part in (".article-title", ".article-date", ".lead", ".article-body", ".byline",
                 ".publisher", ".article-section"):
        assert part not in hidden, part


def test_an_article_not_in_the_cache_reads_menu_settings_and_most_read_once_per_publish(
        client: Client, bulletin: Bulletin) -> None:
    """An article rendered afresh (a query parameter keeps it out of the page cache) takes
    the menu, the bulletin's settings and the most-read list from the cache; a publish shows
    a new section in the menu on the next request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = bulletin.articles[0].url + "?fresh=1"
    first = html(client.get(url))
    with CaptureQueriesContext(connection) as captured:
        again = html(client.get(url))
    assert again == first
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "portal_bulletinsettings" not in sql and "portal_pageviewday" not in sql
    assert "Mục mới xuất bản" not in first
    add_section(bulletin.home, "Mục mới xuất bản")
    assert "Mục mới xuất bản" in html(client.get(url))


def test_previous_next_and_other_news_are_the_sections_neighbours(bulletin: Bulletin) -> None:
    """The article page's links to the previous and next article and its "Other news" are
    the same whether read from the latest articles or looked up one by one."""
    from ctip.portal.models import OTHER_NEWS

    assert len(bulletin.articles) > OTHER_NEWS + 1
    def key(link: Any) -> Any:  # the page a link leads to, or None
        return link and (link["pk"], link["url"])

    def page_key(page: Any) -> Any:
        return page and (page.pk, page.url)

    for article in bulletin.articles:
        previous, following, others = article.neighbours()
        assert key(previous) == page_key(article.previous_article()), article.title
        assert key(following) == page_key(article.next_article()), article.title
        assert [key(a) for a in others] == [page_key(a) for a in article.siblings()[:OTHER_NEWS]]
    newest, oldest = bulletin.articles[0], bulletin.articles[-1]
    assert newest.neighbours()[1] is None
    assert key(newest.neighbours()[0]) == page_key(bulletin.articles[1])
    assert oldest.neighbours()[0] is None
    assert key(oldest.neighbours()[1]) == page_key(bulletin.articles[-2])
