from django.urls import path

from ctip.core import import_views, offline, views

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("sw.js", offline.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("imports/<slug:kind_name>/", import_views.import_page, name="import_page"),
]
