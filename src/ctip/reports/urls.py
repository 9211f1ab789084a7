from django.urls import include, path

from ctip.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.indicator_table, name="indicators"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("ctdc.csv", views.ctdc_csv, name="ctdc_csv"),
    path("public-release/", views.public_release, name="public_release"),
    path("ctdc-contribution.csv", views.ctdc_contribution, name="ctdc_contribution_csv"),
    path("htcds.json", views.htcds_json, name="htcds_export_json"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard.pdf", views.dashboard_pdf, name="dashboard_pdf"),
    # the same pages for a unit named in the path (links that carry no query string)
    path("unit/<int:unit_id>/", views.indicator_table, name="unit_indicators"),
    path("unit/<int:unit_id>/export.xlsx", views.export_xlsx, name="unit_export_xlsx"),
    path("unit/<int:unit_id>/export.csv", views.export_csv, name="unit_export_csv"),
    path("unit/<int:unit_id>/ctdc.csv", views.ctdc_csv, name="unit_ctdc_csv"),
    path("unit/<int:unit_id>/public-release/", views.public_release,
         name="unit_public_release"),
    path("unit/<int:unit_id>/ctdc-contribution.csv", views.ctdc_contribution,
         name="unit_ctdc_contribution_csv"),
    path("unit/<int:unit_id>/htcds.json", views.htcds_json, name="unit_htcds_export_json"),
    path("unit/<int:unit_id>/dashboard/", views.dashboard, name="unit_dashboard"),
    path("submissions/", include("ctip.reports.submission_urls")),
]
