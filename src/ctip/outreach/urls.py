from django.urls import include, path

from ctip.outreach import import_views

app_name = "outreach"
urlpatterns = [
    path("activities/import/", import_views.activity_import, name="activity_import"),
    path("activities/import/template/", import_views.activity_import_template,
         name="activity_import_template"),
    path("activities/", include("ctip.outreach.activity_urls")),
    path("campaigns/", include("ctip.outreach.campaign_urls")),
    path("library/", include("ctip.outreach.library_urls")),
]
