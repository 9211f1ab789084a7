"""Photos as editors upload them: accepted up to ``WAGTAILIMAGES_MAX_UPLOAD_SIZE`` (a phone's
photo, 20 MB) and ``WAGTAILIMAGES_MAX_IMAGE_PIXELS``, then shrunk on upload to at most
``MAX_SIDE`` pixels on the longest side (turned upright first, camera data dropped), so the
stored original and every rendition stay small. Wagtail's image form is extended through its
documented setting ``WAGTAILIMAGES_IMAGE_FORM_BASE``: the single and the multiple uploader
both build their forms from it."""

from __future__ import annotations

import io
import os
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from PIL import ImageOps
from wagtail.images.forms import BaseImageForm

MAX_SIDE = 2400
JPEG_QUALITY = 85
_ORIENTATION = 0x0112  # the EXIF tag a phone sets instead of turning the pixels
# formats re-encoded after shrinking; an animated GIF is kept as it came
_SAVE_AS = {"JPEG": ("JPEG", "image/jpeg"), "PNG": ("PNG", "image/png"),
            "WEBP": ("WEBP", "image/webp")}


def shrunk(upload: Any, max_side: int = MAX_SIDE) -> Any:
    """The upload itself if it is small enough (or not a still photo); otherwise a new file,
    same name and format, at most ``max_side`` pixels on its longest side."""
    upload.seek(0)
    with PILImage.open(upload) as original:
        kind = original.format or ""
        if kind not in _SAVE_AS or getattr(original, "is_animated", False):
            upload.seek(0)
            return upload
        turned = original.getexif().get(_ORIENTATION, 1) not in (1, None)
        if max(original.size) <= max_side and not turned:
            upload.seek(0)
            return upload
        upright = ImageOps.exif_transpose(original)
        upright.thumbnail((max_side, max_side), PILImage.Resampling.LANCZOS)
        fmt, mime = _SAVE_AS[kind]
        out = io.BytesIO()
        if fmt == "JPEG":
            upright.convert("RGB").save(out, fmt, quality=JPEG_QUALITY, optimize=True,
                                        progressive=True)
        else:
            upright.save(out, fmt, optimize=True)
    name = os.path.basename(upload.name or "anh")
    return SimpleUploadedFile(name, out.getvalue(), content_type=mime)


class ImageForm(BaseImageForm):
    """Wagtail's image form (add, edit, multiple upload) with large photos shrunk."""

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is None or upload is self.instance.file or not hasattr(upload, "image"):
            return upload  # unchanged on edit, or refused by Wagtail's field
        return shrunk(upload)
