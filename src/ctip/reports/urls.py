from django.urls import include, path

from ctip.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.indicator_table, name="indicators"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("ctdc.csv", views.ctdc_csv, name="ctdc_csv"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard.pdf", views.dashboard_pdf, name="dashboard_pdf"),
    # the same pages for a unit named in the path (links that carry no query string)
    path("unit/<int:unit_id>/", views.indicator_table, name="unit_indicators"),
    path("unit/<int:unit_id>/export.xlsx", views.export_xlsx, name="unit_export_xlsx"),
    path("unit/<int:unit_id>/export.csv", views.export_csv, name="unit_export_csv"),
    path("unit/<int:unit_id>/ctdc.csv", views.ctdc_csv, name="unit_ctdc_csv"),
    path("unit/<int:unit_id>/dashboard/", views.dashboard, name="unit_dashboard"),
    path("submissions/", include("ctip.reports.submission_urls")),
]
