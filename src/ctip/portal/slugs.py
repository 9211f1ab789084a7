"""Vietnamese slugs without diacritics: "Đắk Lắk: đường dây" → "dak-lak-duong-day"."""

from __future__ import annotations

from django.utils.text import slugify

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
