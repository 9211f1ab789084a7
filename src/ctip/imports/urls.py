from django.urls import path

from ctip.imports import views

app_name = "core"  # included with core's pages (``ctip.urls``): ``core:import_job``
urlpatterns = [
    path("imports/<int:pk>/", views.import_job, name="import_job"),
]
