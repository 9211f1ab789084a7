"""An error's page says, in Vietnamese, what happened and what to do (Django's bare "Server
Error (500)" in English said neither); a database that was only busy (a province's
restructuring holds SQLite's lock for seconds: decision 0103) answers 503 with Retry-After."""

from __future__ import annotations

from typing import Any

from django.db import OperationalError
from django.test import Client

from ctip import urls
from ctip.core.errors import busy


def _failing(monkeypatch: Any, error: Exception) -> Client:
    """A client for which ``/healthz`` fails with ``error`` (the project's own addresses:
    what its view calls raises)."""
    from ctip.core import views

    def fails() -> None:
        raise error

    monkeypatch.setattr(views, "health", fails)
    return Client(raise_request_exception=False)


def test_ctip_answers_its_errors_itself() -> None:
    assert urls.handler500 == "ctip.core.views.server_error"


def test_an_error_gets_a_page_in_vietnamese_with_the_way_back(db: Any,
                                                              monkeypatch: Any) -> None:
    response = _failing(monkeypatch, RuntimeError("a bug")).get("/healthz")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Đã có lỗi xảy ra" in body and "Server Error" not in body
    assert "xem việc đó đã được lưu chưa" in body
    assert 'href="tel:111"' in body and 'name="viewport"' in body
    assert "a bug" not in body  # the error itself goes to the log only
    assert response["Cache-Control"] == "no-store"


def test_a_busy_database_says_so_and_when_to_try_again(db: Any, monkeypatch: Any) -> None:
    response = _failing(monkeypatch, OperationalError("database is locked")).get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
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


def test_an_error_in_a_middleware_gets_the_page_too(db: Any, users: Any,
                                                   monkeypatch: Any) -> None:
    """The session saved after the view, while a restructuring holds the database: the busy
    page, not Django's bare one."""
    from ctip.core import sessions
    from tests.conftest import login_client

    client = login_client(users["commune_officer"])
    client.raise_request_exception = False

    def locked(self: Any, must_create: bool = False) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(sessions.SessionStore, "save", locked)
    response = client.get("/app/")  # a first page: the session's renewal is due
    assert response.status_code == 503
    assert "Hệ thống đang bận" in response.content.decode()
