from django.urls import include, path

app_name = "outreach"
urlpatterns = [
    path("activities/", include("ctip.outreach.activity_urls")),
    path("campaigns/", include("ctip.outreach.campaign_urls")),
    path("library/", include("ctip.outreach.library_urls")),
]
