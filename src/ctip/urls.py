from django.conf import settings
from django.urls import include, path
from django.views.i18n import set_language

from ctip.accounts.access import public

urlpatterns = [
    path("", include("ctip.core.urls")),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("accounts/", include("ctip.accounts.urls")),
    path("units/", include("ctip.org.urls")),
    path("audit/", include("ctip.audit.urls")),
    path("outreach/", include("ctip.outreach.urls")),
    path("community/", include("ctip.community.urls")),
    path("cases/", include("ctip.cases.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
