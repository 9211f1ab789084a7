from django.urls import path

from ctip.imports.views import kind_page
from ctip.outreach import campaign_views as views

# Included under /outreach/campaigns/ in the ``outreach`` namespace.
urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<int:pk>/targets/", views.campaign_targets, name="campaign_targets"),
    path("<int:pk>/plan/", views.campaign_plan, name="campaign_plan"),
    path("<int:pk>/archive/", views.campaign_archive, name="campaign_archive"),
    path("<int:pk>/delete/", views.campaign_delete, name="campaign_delete"),
    path("movements/", views.movement_list, name="movement_list"),
    path("movements/new/", views.movement_create, name="movement_create"),
    path("movements/<int:pk>/archive/", views.movement_archive, name="movement_archive"),
    path("movements/<int:pk>/delete/", views.movement_delete, name="movement_delete"),
    path("commendations/", views.commendation_list, name="commendation_list"),
    path("commendations/new/", views.commendation_create, name="commendation_create"),
    path("commendations/import/", kind_page("commendations"), name="commendation_import"),
]
