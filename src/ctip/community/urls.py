from django.urls import path

from ctip.community import views
from ctip.imports.views import kind_page

app_name = "community"
urlpatterns = [
    path("clubs/", views.club_list, name="club_list"),
    path("clubs/new/", views.club_create, name="club_create"),
    path("clubs/import-members/", kind_page("club_members"), name="member_import"),
    path("clubs/origins/", views.origin_options, name="origin_options"),
    path("clubs/<int:pk>/", views.club_detail, name="club_detail"),
    path("clubs/<int:pk>/edit/", views.club_edit, name="club_edit"),
    path("clubs/<int:pk>/status/", views.club_status, name="club_status"),
    path("clubs/<int:pk>/members/", views.club_members, name="club_members"),
    path("clubs/<int:pk>/members/add/", views.member_add, name="member_add"),
    path("clubs/<int:pk>/members/<int:member_pk>/remove/", views.member_remove,
         name="member_remove"),
    path("clubs/<int:pk>/spread/", views.club_spread, name="club_spread"),
    path("exchanges/", views.exchange_list, name="exchange_list"),
    path("exchanges/new/", views.exchange_create, name="exchange_create"),
    path("exchanges/<int:pk>/", views.exchange_detail, name="exchange_detail"),
    path("exchanges/<int:pk>/edit/", views.exchange_edit, name="exchange_edit"),
]
