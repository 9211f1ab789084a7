from django.urls import path

from ctip.offers import views

app_name = "offers"
urlpatterns = [
    path("kiem-tra-loi-moi/", views.check, name="check"),
]
