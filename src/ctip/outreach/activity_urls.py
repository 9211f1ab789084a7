from django.urls import path

from ctip.outreach import activity_views as views

# Included under /outreach/activities/ in the ``outreach`` namespace.
urlpatterns = [
    path("", views.activity_list, name="activity_list"),
    path("export.xlsx", views.activity_export, name="activity_export"),
    path("new/", views.activity_create, name="activity_create"),
    path("<int:pk>/", views.activity_detail, name="activity_detail"),
    path("<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("<int:pk>/delete/", views.activity_delete, name="activity_delete"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
]
