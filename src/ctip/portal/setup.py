"""The bulletin's skeleton: Wagtail's root page, locale and root collection, the bulletin home
as the root of the default site. Created by the data migration (with the historical models), and
again by ``ensure_bulletin()`` wherever it is missing (the test database after a flush, the demo).
Idempotent; never touches a home that exists.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.utils import timezone

HOME_TITLE = "Bản tin phòng, chống mua bán người"
HOME_SLUG = "ban-tin"
STEP = 4
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _next_child_path(parent_path: str, last_child_path: str | None) -> str:
    if last_child_path is None:
        return parent_path + "0001"
    number = int(last_child_path[-STEP:], 36) + 1
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = ALPHABET[rest] + digits
    return parent_path + digits.rjust(STEP, "0")


def ensure_bulletin(apps: Any = global_apps) -> Any:
    """Return the bulletin home, creating whatever of the skeleton is missing."""
    live = apps is global_apps
    ContentType = apps.get_model("contenttypes", "ContentType")
    Locale = apps.get_model("wagtailcore", "Locale")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    Collection = apps.get_model("wagtailcore", "Collection")
    BulletinHome = apps.get_model("portal", "BulletinHome")

    language = settings.LANGUAGE_CODE
    locale = Locale.objects.filter(language_code=language).first() or Locale.objects.first()
    if locale is None:
        locale = Locale.objects.create(language_code=language)
    if not Collection.objects.filter(depth=1).exists():
        if live:
            Collection.add_root(name="Root")
        else:
            Collection.objects.create(name="Root", path="0001", depth=1, numchild=0)

    root = Page.objects.filter(depth=1).order_by("path").first()
    if root is None:
        page_type, _c = ContentType.objects.get_or_create(app_label="wagtailcore", model="page")
        if live:
            root = Page.add_root(instance=Page(title="Root", slug="root", locale=locale,
                                               content_type=page_type))
        else:
            root = Page.objects.create(title="Root", draft_title="Root", slug="root",
                                       content_type=page_type, path="0001", depth=1,
                                       numchild=0, url_path="/", locale=locale)

    home = BulletinHome.objects.order_by("pk").first()
    if home is None:
        home = _create_home(apps, live, root, locale)

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page_id=home.pk,
                            is_default_site=True, site_name=HOME_TITLE)
    elif site.root_page_id != home.pk:
        site.root_page_id = home.pk
        site.site_name = site.site_name or HOME_TITLE
        site.save()
    if live:
        global_apps.get_model("wagtailcore", "Site").clear_site_root_paths_cache()
    return home


def _create_home(apps: Any, live: bool, root: Any, locale: Any) -> Any:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    BulletinHome = apps.get_model("portal", "BulletinHome")
    # Wagtail's placeholder "Welcome to your new Wagtail site!" page makes way for the home.
    welcome = Page.objects.filter(depth=2, slug="home", numchild=0,
                                  content_type__app_label="wagtailcore",
                                  content_type__model="page")
    Site = apps.get_model("wagtailcore", "Site")
    for page in welcome:
        Site.objects.filter(root_page_id=page.pk).delete()
        page.delete()
    now = timezone.now()
    fields = {"title": HOME_TITLE, "draft_title": HOME_TITLE, "slug": HOME_SLUG,
              "locale": locale, "live": True, "first_published_at": now,
              "last_published_at": now, "intro": ""}
    if live:
        root = Page.objects.get(pk=root.pk)
        return root.add_child(instance=BulletinHome(**fields))
    last = Page.objects.filter(depth=2).order_by("-path").values_list("path", flat=True).first()
    content_type, _c = ContentType.objects.get_or_create(app_label="portal",
                                                         model="bulletinhome")
    home = BulletinHome.objects.create(
        **fields, content_type=content_type, path=_next_child_path(root.path, last), depth=2,
        numchild=0, url_path=f"/{HOME_SLUG}/")
    Page.objects.filter(pk=root.pk).update(
        numchild=Page.objects.filter(depth=2, path__startswith=root.path).count())
    return home
