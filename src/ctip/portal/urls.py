from django.urls import path

from ctip.portal import views

app_name = "portal"
urlpatterns = [
    path("tim-kiem/", views.search, name="search"),
    path("bao-tin/", views.report, name="report"),
    path("bao-tin/da-gui/", views.report_done, name="report_done"),
    path("rss/", views.rss, name="rss"),
    path("da-doc/<int:pk>/", views.reading, name="reading"),
    path("rss/<slug:section>/", views.section_rss, name="section_rss"),
]
