"""The browser runs in Playwright's own thread (``tests/e2e/remote.py``, decision record 0084):
a test reads and writes the database between the steps of an open page, on either database,
and one Chromium serves the worker's tests with fresh contexts."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.e2e.conftest import E2E

pytestmark = [pytest.mark.e2e]


def test_the_database_is_written_while_a_page_is_open(browse: Any, e2e: E2E) -> None:
    from ctip.cases.models import Notification

    officer = e2e.users["commune_officer"]
    page = browse.new_page()
    browse.sign_in(page, officer)
    assert "Một thông báo viết giữa hai bước" not in page.content()
    Notification.objects.create(user=officer, kind=Notification.Kind.DIGEST,
                                title="Một thông báo viết giữa hai bước")
    page.reload()
    assert "Một thông báo viết giữa hai bước" in page.locator("main").inner_text()
    assert Notification.objects.filter(user=officer).count() == 1


def test_each_test_starts_without_the_last_ones_cookies(browse: Any, e2e: E2E) -> None:
    """The browser is shared, its contexts are not: nobody is signed in here, whoever the
    test before signed in."""
    page = browse.new_page()
    page.goto(reverse("core:home"))
    from django.conf import settings

    assert page.url.split("?")[0].endswith(reverse("accounts:login"))
    assert settings.SESSION_COOKIE_NAME not in {c["name"] for c in page.context.cookies()}


def test_a_request_to_another_host_fails_and_is_noted_for_the_test_to_fail_on(
        browse: Any, e2e: E2E) -> None:
    """Requests are watched, not intercepted (interception turns the browser's cache off):
    one to another host, by name or by address, goes to a proxy that is not there and fails,
    and ``browse`` notes it, which fails the test that made it."""
    page = browse.new_page()
    page.goto(reverse("accounts:login"))
    elsewhere = ["http://203.0.113.7/", "https://example.com/app.js"]
    for url in elsewhere:
        with pytest.raises(Exception, match="ERR_PROXY_CONNECTION_FAILED"):
            page.goto(url)
    assert browse.blocked == elsewhere
    browse.blocked.clear()  # noted as they should be: this test is not the one to fail
    page = browse.new_page()  # the live server itself is reached directly
    page.goto(reverse("accounts:login"))
    assert page.locator("#id_username").is_visible()
