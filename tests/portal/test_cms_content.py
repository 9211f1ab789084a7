"""What content officials write (issue #16, point 4 of the issue, 5 of the brief): tables kept as
tables and scrolling sideways on a phone, links to uploaded documents with their type and size,
and a list of documents for legal texts."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from tests.portal.conftest import Bulletin, add_article, paragraph

PDF = b"%PDF-1.4\n" + b"0" * 2048 + b"\n%%EOF\n"


def _document(title: str, name: str, content: bytes) -> Any:
    document = get_document_model()(title=title, file=ContentFile(content, name=name))
    document.save()
    return document


def test_tables_and_documents_are_rendered_for_readers(bulletin: Bulletin, client: Any) -> None:
    decision = _document("Quyết định số 12/QĐ-UBND", "quyet-dinh-12.pdf", PDF)
    plan = _document("Kế hoạch năm 2026", "ke-hoach.docx", b"PK\x03\x04" + b"x" * 5000)
    table = {"data": [["Xã", "Số buổi", "Người dự"], ["Đức Hòa", "4", "320"],
                      ["Tân An", "2", "150"]],
             "first_row_is_table_header": True, "first_col_is_header": True,
             "table_caption": "Kết quả tuyên truyền quý III"}
    body = [
        paragraph(f'Xem <a linktype="document" id="{decision.pk}">quyết định</a> của tỉnh.'),
        {"type": "table", "value": table},
        {"type": "documents", "value": {"heading": "Văn bản liên quan",
                                        "documents": [decision.pk, plan.pk]}},
    ]
    article = add_article(bulletin.section, "Văn bản và số liệu", body=body)
    html = client.get(article.url).content.decode()

    assert '<div class="table-scroll" role="region" tabindex="0"' in html
    assert "<caption>" in html and "Kết quả tuyên truyền quý III" in html
    assert '<th scope="col"' in html and "Đức Hòa" in html and "320" in html
    assert f'href="{decision.url}" data-doc-info="PDF, 2,0\xa0KB"' in html
    assert "Văn bản liên quan" in html
    assert "Quyết định số 12/QĐ-UBND" in html and "Kế hoạch năm 2026" in html
    assert "(DOCX, " in html and "(PDF, " in html


def test_article_images_offer_webp_renditions_for_phones(bulletin: Bulletin,
                                                         client: Any) -> None:
    import io
    import re

    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    from ctip.demo.files import png_poster

    image = get_image_model()(title="Ảnh", file=ImageFile(
        io.BytesIO(png_poster(width=1200, height=675)), name="anh.png"))
    image.save()
    body = [{"type": "image", "value": {"image": image.pk, "alt": "Buổi sinh hoạt",
                                        "caption": ""}}]
    html = client.get(add_article(bulletin.section, "Bài có ảnh", body=body).url
                      ).content.decode()
    srcset = re.search(r'<source type="image/webp" srcset="([^"]+)"', html)
    assert srcset is not None
    candidates = [part.split() for part in srcset.group(1).split(", ")]
    assert [width for _url, width in candidates] == ["360w", "720w", "800w"]
    small = client.get(candidates[0][0])
    assert small.status_code == 200 and small["Content-Type"] == "image/webp"
    assert re.search(r'<img src="/media/images/[^"]+" width="800" height="450" '
                     r'alt="Buổi sinh hoạt"', html)
