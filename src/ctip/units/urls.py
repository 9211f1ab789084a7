from django.urls import path

from ctip.units import import_views, views

app_name = "org"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.unit_detail, name="unit_detail"),
    path("<int:pk>/children/", views.children, name="children"),
    path("<int:pk>/new/", views.unit_create, name="unit_create"),
    path("<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("<int:pk>/move/", views.unit_move, name="unit_move"),
    path("<int:pk>/merge/", views.unit_merge, name="unit_merge"),
    path("<int:pk>/split/", views.unit_split, name="unit_split"),
    path("restructuring/<int:pk>/", views.restructuring, name="restructuring"),
    path("import/", import_views.branch_import_page, name="branch_import"),
    path("import/template/", import_views.branch_import_template,
         name="branch_import_template"),
]
