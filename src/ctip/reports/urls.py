from django.urls import include, path

from ctip.reports.views import dashboards, releases, tables

app_name = "reports"

urlpatterns = [
    path("", tables.indicator_table, name="indicators"),
    path("export.xlsx", tables.export_xlsx, name="export_xlsx"),
    path("export.csv", tables.export_csv, name="export_csv"),
    path("ctdc.csv", releases.ctdc_csv, name="ctdc_csv"),
    path("public-release/", releases.public_release, name="public_release"),
    path("ctdc-contribution.csv", releases.ctdc_contribution, name="ctdc_contribution_csv"),
    path("htcds.json", releases.htcds_json, name="htcds_export_json"),
    path("dashboard/", dashboards.dashboard, name="dashboard"),
    path("dashboard.pdf", dashboards.dashboard_pdf, name="dashboard_pdf"),
    # the same pages for a unit named in the path (links that carry no query string)
    path("unit/<int:unit_id>/", tables.indicator_table, name="unit_indicators"),
    path("unit/<int:unit_id>/export.xlsx", tables.export_xlsx, name="unit_export_xlsx"),
    path("unit/<int:unit_id>/export.csv", tables.export_csv, name="unit_export_csv"),
    path("unit/<int:unit_id>/ctdc.csv", releases.ctdc_csv, name="unit_ctdc_csv"),
    path("unit/<int:unit_id>/public-release/", releases.public_release,
         name="unit_public_release"),
    path("unit/<int:unit_id>/ctdc-contribution.csv", releases.ctdc_contribution,
         name="unit_ctdc_contribution_csv"),
    path("unit/<int:unit_id>/htcds.json", releases.htcds_json, name="unit_htcds_export_json"),
    path("unit/<int:unit_id>/dashboard/", dashboards.dashboard, name="unit_dashboard"),
    path("submissions/", include("ctip.reports.submission_urls")),
]
