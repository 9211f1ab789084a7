from django.urls import path

from ctip.cases import situation_views as views
from ctip.imports.views import kind_page

# Included under /cases/situations/ in the ``cases`` namespace.
urlpatterns = [
    path("", views.situation_list, name="situation_list"),
    path("new/", views.situation_create, name="situation_create"),
    path("import/", kind_page("situations"), name="situation_import"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:unit_pk>/", views.inbox, name="unit_inbox"),
    path("<int:pk>/", views.situation_detail, name="situation_detail"),
    path("<int:pk>/verify/", views.situation_verify, name="situation_verify"),
    path("<int:pk>/escalate/", views.situation_escalate, name="situation_escalate"),
    path("<int:pk>/refer/", views.situation_refer, name="situation_refer"),
    path("<int:pk>/referrals/<int:referral_pk>/answer/", views.referral_answer,
         name="referral_answer"),
    path("<int:pk>/note/", views.situation_note, name="situation_note"),
    path("<int:pk>/close/", views.situation_close, name="situation_close"),
]
