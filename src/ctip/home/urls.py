"""Mounted by ``ctip.urls`` inside the ``core`` namespace, so that ``core:home`` (the page
every sign-in lands on) stays the name while the page lives above the modules it shows."""

from django.urls import path

from ctip.home import views

urlpatterns = [
    path("app/", views.home, name="home"),
]
