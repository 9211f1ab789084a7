from django.urls import path

from ctip.outreach import library_views as views

# Included under /outreach/library/ in the ``outreach`` namespace.
urlpatterns = [
    path("", views.topic_list, name="topic_list"),
    path("topics/new/", views.topic_create, name="topic_create"),
    path("topics/<int:pk>/", views.topic_detail, name="topic_detail"),
    path("topics/<int:pk>/archive/", views.topic_archive, name="topic_archive"),
    path("topics/<int:pk>/delete/", views.topic_delete, name="topic_delete"),
    path("topics/<int:pk>/materials/new/", views.material_create, name="material_create"),
    path("materials/<int:pk>/", views.material_download, name="material_download"),
    path("materials/<int:pk>/archive/", views.material_archive, name="material_archive"),
    path("coverage/", views.coverage, name="coverage"),
    path("speakers/", views.speaker_list, name="speaker_list"),
    path("speakers/new/", views.speaker_create, name="speaker_create"),
    path("speakers/<int:pk>/", views.speaker_detail, name="speaker_detail"),
    path("speakers/<int:pk>/edit/", views.speaker_edit, name="speaker_edit"),
]
