from django.urls import path

from ctip.cases.views import situation_detail, situations
from ctip.imports.views import kind_page

# Included under /cases/situations/ in the ``cases`` namespace.
urlpatterns = [
    path("", situations.situation_list, name="situation_list"),
    path("new/", situations.situation_create, name="situation_create"),
    path("import/", kind_page("situations"), name="situation_import"),
    path("inbox/", situations.inbox, name="inbox"),
    path("inbox/<int:unit_pk>/", situations.inbox, name="unit_inbox"),
    path("<int:pk>/", situation_detail.situation_detail, name="situation_detail"),
    path("<int:pk>/verify/", situation_detail.situation_verify, name="situation_verify"),
    path("<int:pk>/escalate/", situation_detail.situation_escalate, name="situation_escalate"),
    path("<int:pk>/refer/", situation_detail.situation_refer, name="situation_refer"),
    path("<int:pk>/referrals/<int:referral_pk>/answer/", situation_detail.referral_answer,
         name="referral_answer"),
    path("<int:pk>/note/", situation_detail.situation_note, name="situation_note"),
    path("<int:pk>/close/", situation_detail.situation_close, name="situation_close"),
]
