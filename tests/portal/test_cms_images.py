"""Issue #16 point 6: photos from a phone accepted up to a documented limit and shrunk on upload,
refused in Vietnamese above it; an image that carries meaning has words; the article page
with one real-size photo stays light on a 360 px phone."""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images import get_image_model

from ctip.portal.blocks import ImageWithCaption
from ctip.portal.images import MAX_SIDE
from ctip.portal.models import ArticlePage
from tests.portal.conftest import Bulletin, add_article

MB = 1024 * 1024


def photo_jpeg(width: int = 4032, height: int = 3024, pad_to: int = 0) -> bytes:
    """A photo-like JPEG as a phone takes it: sky, ground, shapes and sensor noise (a flat
    picture would compress to nothing and prove nothing), padded to ``pad_to`` bytes with
    trailing data, as large phone files are (readers ignore bytes after the image)."""
    small = PILImage.new("RGB", (width // 8, height // 8))
    draw = ImageDraw.Draw(small)
    for y in range(small.height):
        shade = 90 + 120 * y // small.height
        draw.line([(0, y), (small.width, y)], fill=(shade // 2, shade, 255 - shade // 2))
    for n in range(40):
        x, y = (n * 97) % small.width, (n * 53) % small.height
        draw.ellipse([x, y, x + 30 + n, y + 20 + n], fill=((n * 40) % 255, 120, (n * 70) % 255))
    image = small.resize((width, height), PILImage.Resampling.BICUBIC)
    noise = PILImage.effect_noise((width, height), 24).convert("RGB")
    image = PILImage.blend(image, noise, 0.12).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    data = out.getvalue()
    return data + b"\0" * max(0, pad_to - len(data))


def upload(client: Any, data: bytes, name: str = "IMG_2041.jpg", title: str = "Ảnh") -> Any:
    return client.post(reverse("wagtailimages:add"), {
        "title": title, "collection": "1", "tags": "",
        "file": SimpleUploadedFile(name, data, content_type="image/jpeg")})


def test_the_limit_is_documented() -> None:
    assert settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE == 20 * MB
    text = (settings.BASE_DIR.parent.parent / "docs" / "operations.md").read_text()
    assert "20 MB" in text and "client_max_body_size 25m" in text


def test_a_large_phone_photo_is_accepted_and_shrunk(users: dict[str, Any],
                                                     client_for: Any) -> None:
    """11.6 MB (Wagtail's default refused anything over 10 MB): stored at 2400 px."""
    data = photo_jpeg(pad_to=int(11.6 * MB))
    response = upload(client_for(users["editor"]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    image = get_image_model().objects.get()
    assert (image.width, image.height) == (MAX_SIDE, MAX_SIDE * 3 // 4)
    assert image.file_size == image.file.size < 2 * MB
    with PILImage.open(image.file) as stored:
        assert stored.format == "JPEG" and stored.size == (2400, 1800)


def test_the_multiple_uploader_shrinks_too(users: dict[str, Any], client_for: Any) -> None:
    response = client_for(users["editor"]).post(reverse("wagtailimages:add_multiple"), {
        "files[]": SimpleUploadedFile("IMG_2042.jpg", photo_jpeg(3000, 4000),
                                      content_type="image/jpeg")})
    assert response.status_code == 200 and response.json()["success"], response.content
    image = get_image_model().objects.get()
    assert (image.width, image.height) == (1800, 2400)


def test_a_small_image_is_kept_as_it_came(users: dict[str, Any], client_for: Any) -> None:
    data = photo_jpeg(1200, 900)
    assert upload(client_for(users["editor"]), data).status_code == 302
    image = get_image_model().objects.get()
    assert image.file.read() == data


@pytest.mark.parametrize("view", ["wagtailimages:add", "wagtailimages:add_multiple"])
def test_a_file_over_the_limit_is_refused_in_vietnamese(users: dict[str, Any],
                                                        client_for: Any, view: str) -> None:
    data = photo_jpeg(800, 600, pad_to=21 * MB)
    client = client_for(users["editor"])
    field = "file" if view == "wagtailimages:add" else "files[]"
    response = client.post(reverse(view), {
        "title": "Ảnh lớn", "collection": "1", "tags": "",
        field: SimpleUploadedFile("lon.jpg", data, content_type="image/jpeg")},
        HTTP_ACCEPT_LANGUAGE="vi")
    text = response.content.decode()
    if view == "wagtailimages:add_multiple":
        text = response.json()["error_message"]
    assert "Tệp quá lớn (21,0\xa0MB). Dung lượng tối đa là 20,0\xa0MB" in text, text[:3000]
    assert not get_image_model().objects.exists()
    page = client.get(reverse("wagtailimages:add_multiple")).content.decode()
    assert "Tệp quá lớn. Dung lượng tối đa là 20,0\xa0MB" in page  # the browser's own check


def test_an_image_that_carries_meaning_needs_words(db: Any) -> None:
    block = ImageWithCaption()
    image = get_image_model().objects.create(
        title="Ảnh", file=SimpleUploadedFile("a.jpg", photo_jpeg(640, 480)))
    base = {"image": image.pk, "caption": ""}
    with translation.override("vi"):
        with pytest.raises(StructBlockValidationError) as refused:
            block.clean(block.to_python({**base, "alt": "  ", "decorative": False}))
        assert "Hãy mô tả ảnh" in str(refused.value.block_errors["alt"])
        with pytest.raises(StructBlockValidationError) as both:
            block.clean(block.to_python({**base, "alt": "Buổi sinh hoạt",
                                         "decorative": True}))
        assert "không phải ảnh trang trí" in str(both.value.block_errors["decorative"])
    for fine in ({"alt": "Buổi sinh hoạt", "decorative": False},
                 {"alt": "", "decorative": True}):
        assert block.clean(block.to_python({**base, **fine}))["decorative"] is fine[
            "decorative"]


def test_an_image_block_needs_words_in_the_editor(bulletin: Bulletin, users: dict[str, Any],
                                                  client_for: Any) -> None:
    """Through the page editor: refused in Vietnamese, the text she wrote kept."""
    from tests.portal.test_workflow import admin_form

    image = get_image_model().objects.create(
        title="Ảnh", file=SimpleUploadedFile("a.jpg", photo_jpeg(640, 480)))
    client = client_for(users["editor"])
    url = reverse("wagtailadmin_pages:add", args=("portal", "articlepage", bulletin.section.pk))
    form = admin_form("Bài có ảnh của tôi", "bai-co-anh-cua-toi", **{
        "body-0-type": "image", "body-0-value-image": str(image.pk),
        "body-0-value-alt": "", "body-0-value-caption": "Chú thích của tôi"})
    del form["body-0-value"]
    text = html.unescape(client.post(url, form, HTTP_ACCEPT_LANGUAGE="vi").content.decode())
    # the body's blocks and their errors reach the editor's page as JSON
    assert json.dumps("Hãy mô tả ảnh thể hiện điều gì")[1:-1] in text
    assert json.dumps("Chú thích của tôi")[1:-1] in text and "Bài có ảnh của tôi" in text
    assert not ArticlePage.objects.filter(slug="bai-co-anh-cua-toi").exists()
    form["body-0-value-decorative"] = "on"
    assert client.post(url, form).status_code == 302
    article = ArticlePage.objects.get(slug="bai-co-anh-cua-toi")
    assert article.body[0].value["decorative"] is True


def test_an_article_with_one_photo_stays_under_150_kb_at_360_px(
        bulletin: Bulletin, users: dict[str, Any], client_for: Any, client: Any) -> None:
    """What a phone 360 px wide downloads: the page, its style sheets and scripts, and the
    image candidate it picks from the srcset (360 px, WebP)."""
    assert upload(client_for(users["editor"]), photo_jpeg(pad_to=int(11.6 * MB))
                  ).status_code == 302
    image = get_image_model().objects.get()
    body = [{"type": "paragraph", "value": "<p>" + "Nội dung bài viết. " * 150 + "</p>"},
            {"type": "image", "value": {"image": image.pk, "alt": "Buổi sinh hoạt",
                                        "decorative": False, "caption": "Buổi sinh hoạt"}}]
    response = client.get(add_article(bulletin.section, "Bài có ảnh thật", body=body).url)
    html = response.content.decode()
    total = len(response.content)
    assets = re.findall(r'<(?:link rel="stylesheet"|script) (?:href|src)="/static/([^"]+)"'
                        r'(?! media="print")', html)
    assert assets
    for asset in assets:
        path = finders.find(asset)
        assert path, asset
        total += len(open(path, "rb").read())  # noqa: SIM115
    srcset = re.search(r'srcset="([^" ]+) 360w', html)
    assert srcset is not None
    picture = client.get(srcset.group(1))
    assert picture["Content-Type"] == "image/webp"
    total += len(b"".join(picture.streaming_content) if picture.streaming else
                 picture.content)
    assert total < 150 * 1024, total
