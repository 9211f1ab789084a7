"""An error's page says, in Vietnamese, what happened and what to do (Django's bare "Server
Error (500)" in English said neither); a database that was only busy (a province's
restructuring holds SQLite's lock for seconds: decision 0103) answers 503 with Retry-After."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from ctip import urls
from ctip.core.errors import busy

pytestmark = pytest.mark.urls("tests.core.error_urls")


def _client() -> Client:
    client = Client(raise_request_exception=False)
    return client


def test_ctip_answers_its_errors_itself() -> None:
    assert urls.handler500 == "ctip.core.views.server_error"


def test_an_error_gets_a_page_in_vietnamese_with_the_way_back(db: Any) -> None:
    response = _client().get("/test-errors/broken/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Đã có lỗi xảy ra" in body and "Server Error" not in body
    assert "xem việc đó đã được lưu chưa" in body
    assert 'href="tel:111"' in body and 'name="viewport"' in body
    assert "a bug" not in body  # the error itself goes to the log only
    assert response["Cache-Control"] == "no-store"


def test_a_busy_database_says_so_and_when_to_try_again(db: Any) -> None:
    response = _client().get("/test-errors/locked/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Hệ thống đang bận" in response.content.decode()


def test_what_counts_as_busy() -> None:
    class Deadlock(Exception):
        sqlstate = "40P01"

    class Unique(Exception):
        sqlstate = "23505"

    def wrapped(cause: Exception) -> OperationalError:
        error = OperationalError(str(cause))
        error.__cause__ = cause
        return error

    assert busy(OperationalError("database is locked"))
    assert busy(wrapped(Deadlock("deadlock detected")))
    assert not busy(wrapped(Unique("duplicate key")))
    assert not busy(OperationalError("no such table: x"))
    assert not busy(RuntimeError("database is locked"))
    assert not busy(None)
