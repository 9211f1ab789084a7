from django.conf import settings
from django.urls import include, path, re_path
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail import views as wagtail_views
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from ctip.accounts.access import public
from ctip.core import urls as core_urls
from ctip.home import urls as home_urls
from ctip.imports import urls as imports_urls
from ctip.offers import api as offers_api
from ctip.portal import views as portal_views

urlpatterns = [
    # The public offer check's JSON interface, before everything else (re-mounted into the
    # main API at /api/v1/ when it exists).
    path("api/v1/public/", offers_api.urls()),
    # one "core" namespace: the core's own pages and the home page composed above the modules
    path("", include(([*core_urls.urlpatterns, *imports_urls.urlpatterns, *home_urls.urlpatterns],
                           "core"))),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("accounts/", include("ctip.accounts.urls")),
    path("accounts/tokens/", include("ctip.api.urls_pages")),
    path("units/", include("ctip.units.urls")),
    path("audit/", include("ctip.trail.urls")),
    path("outreach/", include("ctip.outreach.urls")),
    path("community/", include("ctip.community.urls")),
    path("cases/", include("ctip.cases.urls")),
    path("reports/", include("ctip.reports.urls")),
    path("api/v1/", include(("ctip.api.urls", "api"), namespace="api")),
    # The public bulletin: Wagtail's admin (sign-in and Wagtail permissions), documents, the
    # web's conventions, the report form, and -- last of all -- the pages themselves.
    path("cms/login/", portal_views.cms_login, name="cms_login"),  # our sign-in page
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include("ctip.portal.urls")),
    path("", include("ctip.offers.urls")),
    path("robots.txt", portal_views.robots_txt, name="robots_txt"),
    path("sitemap.xml", portal_views.sitemap_xml, name="sitemap_xml"),
    path("media/images/<path:path>", portal_views.bulletin_image, name="bulletin_image"),
    path("_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
         wagtail_views.authenticate_with_password,
         name="wagtailcore_authenticate_with_password"),
    path("_util/login/", portal_views.frontend_login, name="wagtailcore_login"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# A signed-in officer's 404 in the staff frame, every other one the bulletin's (decision 0086).
handler404 = "ctip.core.views.page_not_found"
# An error's page in her language; 503 when the database was only busy.
handler500 = "ctip.core.views.server_error"

# Wagtail's page serving (cached for anonymous readers) answers every other path: keep it last.
urlpatterns.append(re_path(wagtail_urls.serve_pattern, portal_views.serve, name="wagtail_serve"))
