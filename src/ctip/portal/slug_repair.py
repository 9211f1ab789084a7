"""Repairing the slugs Wagtail's own transliteration garbled before ctip's slugs reached the
editor ("Hội Phụ nữ xã Đức Hòa" → ``hi-ph-n-xa-djc-hoa``): each bulletin page whose slug is a
broken form of its title (``ctip.portal.slugs.is_garbled``) gets ``vietnamese_slug(title)``
(or that with ``-2``, ``-3`` … when a sibling has it), its descendants' addresses follow, its
revisions carry the new slug (so publishing an old draft does not bring the old one back) and
a permanent redirect leads from every old address that was public to the page.

Written against ``apps`` so the data migration runs it with the historical models.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps

from ctip.portal.slugs import is_garbled, vietnamese_slug

BULLETIN_MODELS = ("bulletinhome", "sectionpage", "articlepage")


def _free_slug(Page: Any, page: Any, base: str) -> str:
    parent_path = page.path[:-4]
    siblings = Page.objects.filter(path__startswith=parent_path,
                                   depth=page.depth).exclude(pk=page.pk)
    candidate, n = base, 1
    while siblings.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _site_paths(apps: Any) -> list[tuple[Any, str]]:
    """(site, url_path of its root page) for every site, longest root first."""
    Site = apps.get_model("wagtailcore", "Site")
    return sorted(((s, s.root_page.url_path) for s in Site.objects.select_related("root_page")),
                  key=lambda item: -len(item[1]))


def _public_path(url_path: str, sites: list[tuple[Any, str]]) -> tuple[Any, str] | None:
    for site, root in sites:
        if url_path.startswith(root):
            return site, "/" + url_path[len(root):].rstrip("/")
    return None


def repair_garbled_slugs(apps: Any = global_apps) -> list[tuple[str, str]]:
    """Repair every garbled slug; returns the (old url_path, new url_path) pairs."""
    Page = apps.get_model("wagtailcore", "Page")
    Revision = apps.get_model("wagtailcore", "Revision")
    Redirect = apps.get_model("wagtailredirects", "Redirect")
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.filter(app_label="portal", model__in=BULLETIN_MODELS)
    sites = _site_paths(apps)
    page_type = ContentType.objects.filter(app_label="wagtailcore", model="page").first()
    repaired: list[tuple[str, str]] = []
    for page in Page.objects.filter(content_type__in=types).order_by("path"):
        page.refresh_from_db()  # an ancestor's repair may have changed its url_path
        if not is_garbled(page.slug, page.title):
            continue
        old_slug, old_url = page.slug, page.url_path
        page.slug = _free_slug(Page, page, vietnamese_slug(page.title))
        page.url_path = old_url[: len(old_url) - len(old_slug) - 1] + page.slug + "/"
        # querysets, not save(): the same in the migration and with the real models (whose
        # save() would move the descendants itself and create redirects of its own)
        Page.objects.filter(pk=page.pk).update(slug=page.slug, url_path=page.url_path)
        moved: list[tuple[Any, str]] = [(page, old_url)]
        for child in Page.objects.filter(path__startswith=page.path, depth__gt=page.depth):
            was = child.url_path
            child.url_path = page.url_path + was[len(old_url):]
            Page.objects.filter(pk=child.pk).update(url_path=child.url_path)
            moved.append((child, was))
        object_types = [page_type.pk] if page_type else []
        for revision in Revision.objects.filter(object_id=str(page.pk),
                                                base_content_type_id__in=object_types):
            if revision.content.get("slug") == old_slug:
                Revision.objects.filter(pk=revision.pk).update(
                    content={**revision.content, "slug": page.slug})
        for target, was in moved:
            if not target.live:
                continue
            found = _public_path(was, sites)
            if found is None:
                continue
            site, old_path = found
            if old_path != "/" and not Redirect.objects.filter(old_path=old_path,
                                                               site=site).exists():
                Redirect.objects.create(old_path=old_path, site=site, is_permanent=True,
                                        redirect_page_id=target.pk)
        repaired.append((old_url, page.url_path))
    return repaired
