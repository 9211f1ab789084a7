"""ctip's addresses with two that fail, for tests/core/test_error_pages.py."""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from ctip.urls import handler404, handler500
from ctip.urls import urlpatterns as ctip_urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def locked(request: HttpRequest) -> HttpResponse:
    raise OperationalError("database is locked")


urlpatterns = [path("test-errors/broken/", broken), path("test-errors/locked/", locked),
               *ctip_urlpatterns]
