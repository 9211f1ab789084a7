"""Accent-insensitive Vietnamese search over title, lead and body, on SQLite and PostgreSQL
(the suite runs on both): folded queries find accented text, phrases match as phrases, results
are ranked and highlighted, and paginated like the sections."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from ctip.portal.models import ArticlePage, live_articles
from ctip.portal.search import highlight, parse, search_articles, snippet
from tests.portal.conftest import BASE, add_article, add_section, bulletin_home, paragraph

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(db: Any) -> dict[str, ArticlePage]:
    home = bulletin_home()
    section = add_section(home, "Tuyên truyền trong Nhân dân")
    return {
        "title": add_article(section, "Cảnh giác mua bán người qua mạng xã hội",
                             lead="Lời mời việc làm trên Facebook.",
                             body=[paragraph("Không giao hộ chiếu cho người lạ.")],
                             when=BASE),
        "dak_lak": add_article(section, "Hội phụ nữ Đắk Lắk ra quân tuyên truyền",
                               lead="Các chi hội đến từng buôn làng.",
                               body=[paragraph("Bà con được phát tờ gấp về luật mới.")],
                               when=BASE - dt.timedelta(days=1)),
        "body_only": add_article(section, "Sinh hoạt chi hội tháng bảy",
                                 lead="Chi hội ấp Mỹ Lộc họp định kỳ.",
                                 body=[paragraph("Cán bộ kể về một đường dây mua bán người "
                                                 "vừa bị triệt phá ở biên giới.")],
                                 when=BASE - dt.timedelta(days=2)),
        "scattered": add_article(section, "Chợ phiên cuối tuần",
                                 lead="Người bán hàng rong và người mua đều được nhắc.",
                                 body=[paragraph("Ai cũng nên lưu số 111.")],
                                 when=BASE - dt.timedelta(days=3)),
        "draft": add_article(section, "Bản nháp về mua bán người", publish=False),
    }


def titles(query: str) -> list[str]:
    return [a.title for a in search_articles(live_articles(), parse(query))]


@pytest.mark.parametrize(("query", "expected"), [
    ("mua ban nguoi", "title"), ("MUA BÁN NGƯỜI", "title"), ("mua bán người", "title"),
    ("dak lak", "dak_lak"), ("Dak Lak", "dak_lak"), ("đắk lắk", "dak_lak"),
    ("duong day", "body_only"), ("ho chieu", "title"), ("buon lang", "dak_lak"),
])
def test_folded_queries_find_accented_text(corpus: dict[str, ArticlePage], query: str,
                                            expected: str) -> None:
    assert corpus[expected].title in titles(query)


def test_unpublished_articles_are_never_found(corpus: dict[str, ArticlePage]) -> None:
    assert "Bản nháp về mua bán người" not in titles("mua ban nguoi")


def test_all_words_must_match(corpus: dict[str, ArticlePage]) -> None:
    assert titles("dak lak facebook") == []


def test_a_phrase_matches_only_the_phrase(corpus: dict[str, ArticlePage]) -> None:
    loose = titles("mua ban nguoi")
    assert corpus["scattered"].title in loose  # "bán", "người", "mua" all appear, apart
    phrase = titles('"mua ban nguoi"')
    assert corpus["scattered"].title not in phrase
    assert corpus["title"].title in phrase and corpus["body_only"].title in phrase
    assert titles("“duong day mua ban”") == [corpus["body_only"].title]  # curly quotes too


def test_results_are_ranked_title_first(corpus: dict[str, ArticlePage]) -> None:
    found = titles('"mua ban nguoi"')
    assert found.index(corpus["title"].title) < found.index(corpus["body_only"].title)


def test_highlighting_marks_matched_words_in_the_original_text() -> None:
    terms = parse("mua ban nguoi").terms
    assert highlight("Phòng, chống mua bán người", terms) == \
        "Phòng, chống <mark>mua</mark> <mark>bán</mark> <mark>người</mark>"
    assert highlight("<b>Đắk Lắk</b> & mua", parse("dak").terms) == \
        "&lt;b&gt;<mark>Đắk</mark> Lắk&lt;/b&gt; &amp; mua"
    long = "Mở đầu. " * 60 + "Cảnh báo đường dây lừa đảo. " + "Kết thúc. " * 60
    cut = snippet(long, parse("duong day").terms, length=120)
    assert "<mark>đường</mark> <mark>dây</mark>" in cut
    assert cut.startswith("… ") and cut.endswith(" …") and len(cut) < 260


def test_query_parsing_folds_and_drops_punctuation() -> None:
    parsed = parse('  Mua-bán "người lao động" <script>  ')
    assert parsed.words == ["mua", "ban", "script"]
    assert parsed.phrases == [["nguoi", "lao", "dong"]]
    assert not parse(' " ; ').words and not parse(" ").phrases


def test_search_page_shows_ranked_highlighted_results(client: Client,
                                                      corpus: dict[str, ArticlePage]) -> None:
    body = client.get("/tim-kiem/", {"q": "duong day"}).content.decode()
    main = body[body.index("<main"):]
    assert "1 kết quả · trang 1/1" in main
    assert "<mark>đường</mark> <mark>dây</mark> mua bán người" in main
    assert corpus["body_only"].url in main
    assert 'value="duong day"' in main
    assert '<meta name="robots" content="noindex">' in body


def test_search_page_escapes_the_query_and_handles_nothing_found(
        client: Client, corpus: dict[str, ArticlePage]) -> None:
    body = client.get("/tim-kiem/", {"q": '<script>alert("x")</script>'}).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert "Không tìm thấy bài nào" in body
    empty = client.get("/tim-kiem/", {"q": ""})
    assert empty.status_code == 200 and "kết quả" not in empty.content.decode()


def test_search_results_are_paginated_like_sections(client: Client,
                                                    corpus: dict[str, ArticlePage]) -> None:
    section = corpus["title"].get_parent().specific
    for n in range(11):
        add_article(section, f"Tin số {n}: lừa đảo tuyển dụng",
                    when=BASE - dt.timedelta(days=10 + n))
    first = client.get("/tim-kiem/", {"q": "lua dao"}).content.decode()
    assert "11 kết quả · trang 1/2" in first
    assert first.count('class="article-item"') == 10
    assert "Trang đầu" in first and "Trang cuối" in first
    assert 'href="/tim-kiem/?q=lua+dao&amp;page=2"' in first
    second = client.get("/tim-kiem/", {"q": "lua dao", "page": 2}).content.decode()
    assert second.count('class="article-item"') == 1
    assert client.get("/tim-kiem/", {"q": "lua dao", "page": 9})["Location"] == \
        "/tim-kiem/?q=lua+dao&page=2"
    assert client.get("/tim-kiem/", {"q": "lua dao", "page": "x"}).status_code == 404


def test_tag_links_list_the_tagged_articles(client: Client,
                                            corpus: dict[str, ArticlePage]) -> None:
    section = corpus["title"].get_parent().specific
    tagged = add_article(section, "Bài có từ khóa", tags=["di cư an toàn"])
    slug = tagged.tags.first().slug
    body = client.get("/tim-kiem/", {"tag": slug}).content.decode()
    assert "Bài có từ khóa" in body and "Chợ phiên cuối tuần" not in body
