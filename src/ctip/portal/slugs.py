"""Vietnamese slugs without diacritics: "Đắk Lắk: đường dây" → "dak-lak-duong-day"."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.db import models
from django.utils.text import slugify
from wagtail.admin.forms.models import register_form_field_override
from wagtail.admin.widgets import SlugInput

from ctip.core.text import fold

# Top-level paths that belong to the application: no section may take one of them as its slug.
RESERVED = frozenset({
    "_util", "accounts", "api", "app", "audit", "bao-tin", "cases", "cms", "community",
    "documents", "healthz", "i18n", "kiem-tra-loi-moi", "media", "outreach", "reports",
    "robots-txt", "rss",
    "sitemap-xml", "static", "tim-kiem", "units",
})


def vietnamese_slug(text: str, max_length: int = 80) -> str:
    """``fold`` first (đ→d, no marks), then Django's ASCII slugify, cut at a word boundary."""
    slug = slugify(fold(text))
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug


def _letters_by_base() -> dict[str, str]:
    """Every precomposed Latin letter that ``fold`` turns into one ASCII letter, by that letter:
    {"a": "àáảãạăằắẳẵặâầấẩẫậÀÁ…", "d": "đĐ", …} -- all of Vietnamese and more."""
    found: dict[str, list[str]] = {}
    for code in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
        char = chr(code)
        base = fold(char)
        if len(base) == 1 and base.isascii() and base.isalpha() and base != char.lower():
            found.setdefault(base, []).append(char)
    return {base: "".join(chars) for base, chars in sorted(found.items())}


def editor_formatters() -> list[tuple[str, str]]:
    """What Wagtail's slug controller (``w-slug``, ``SlugInput(formatters=…)``) replaces before
    it makes the slug, as she types the title or the slug: combining marks removed (text pasted
    in decomposed form), then every marked letter by its bare letter, đ by d -- so the editor
    shows the address ``vietnamese_slug`` makes on the server, not Wagtail's own transliteration
    (which drops letters with two marks and turns đ into "dj")."""
    pairs = [("[\u0300-\u036f]", "")]
    pairs += [(f"[{chars}]", base) for base, chars in _letters_by_base().items()]
    return pairs


def garbled_pattern(title: str) -> re.Pattern[str]:
    """The slugs (hyphens removed) Wagtail's own transliteration could have made of ``title``:
    every unmarked letter and digit kept, every marked letter kept as its bare letter or
    dropped, đ as "d", "dj" or dropped. A slug an editor chose herself ("tin-tuc" for a long
    title) does not match; the slug ``vietnamese_slug`` makes does."""
    parts = []
    for char in unicodedata.normalize("NFC", title).lower():
        if char.isascii():
            if char.isalnum():
                parts.append(re.escape(char))
            continue
        base = fold(char)
        if char == "đ":
            parts.append("(?:dj|d)?")
        elif len(base) == 1 and base.isascii() and base.isalnum():
            parts.append(f"(?:{base})?")
    return re.compile("".join(parts))


def is_garbled(slug: str, title: str) -> bool:
    """Whether ``slug`` is a broken transliteration of ``title`` (to be repaired)."""
    proper = vietnamese_slug(title)
    return bool(proper) and slug != proper and bool(
        garbled_pattern(title).fullmatch(slug.replace("-", "")))


def use_vietnamese_slug_input() -> None:
    """Every slug field of Wagtail's admin forms (pages, snippets) gets ``editor_formatters``:
    called from ``PortalConfig.ready``."""
    class VietnameseSlugInput(SlugInput):
        def __init__(self, attrs: dict[str, Any] | None = None, formatters: Any = None,
                     locale: object | None = None) -> None:
            super().__init__(attrs, formatters=formatters or editor_formatters(),
                             locale=locale)

    register_form_field_override(models.SlugField, override={"widget": VietnameseSlugInput})
