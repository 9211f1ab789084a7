from django.urls import include, path

app_name = "cases"
urlpatterns = [
    path("situations/", include("ctip.cases.situation_urls")),
    path("cases/", include("ctip.cases.case_urls")),
]
