"""Periodic report submissions, included by ``reports.urls`` under ``submissions/``."""

from django.urls import path

from ctip.reports import submission_views as views

urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("status/", views.report_status, name="report_status"),
    path("<int:pk>/", views.report_detail, name="report_detail"),
    path("<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("<int:pk>/attach/", views.report_attach, name="report_attach"),
    path("<int:pk>/submit/", views.report_submit, name="report_submit"),
    path("<int:pk>/approve/", views.report_approve, name="report_approve"),
    path("<int:pk>/return/", views.report_return, name="report_return"),
    path("<int:pk>/unlock/", views.report_unlock, name="report_unlock"),
    path("locks/<int:pk>/unlock/", views.lock_unlock, name="lock_unlock"),
    path("<int:pk>/export/", views.export_start, name="export_start"),
    path("exports/<int:pk>/", views.export_status, name="export_status"),
    path("exports/<int:pk>/retry/", views.export_retry, name="export_retry"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
]
