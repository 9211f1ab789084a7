"""Offline entry of activities in Chromium (issue 14, points 2 and 3; decision record 0035).

The network is switched off in the browser (``context.set_offline``): the officer records three
activities and one the server will refuse, reloads the page (served by the service worker),
reconnects; exactly three arrive, the refused one is shown with the server's reason, and the
same queue sent a second time creates nothing new."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.e2e.conftest import CSP_LISTENER, E2E, PHONE, TIMEOUT_MS, Browse

pytestmark = pytest.mark.e2e

COUNT_IS = "(n) => document.getElementById('offline-status').dataset.count === String(n)"
TITLES_JS = """async () => {
  const answer = await fetch('/api/v1/activities?limit=500', {credentials: 'same-origin'});
  return (await answer.json()).items.map((item) => item.title);
}"""


@dataclass
class Field:
    officer: Any
    meeting_pk: int
    new_url: str


@pytest.fixture
def field(e2e: E2E, users: dict[str, Any], formats: dict[str, Any]) -> Field:
    """Read before the test opens a page."""
    return Field(officer=users["commune_officer"], meeting_pk=formats["meeting"].pk,
                 new_url=reverse("outreach:activity_create"))


def open_with_worker(browse: Browse) -> tuple[Any, Any]:
    """A phone whose browser runs service workers (the shared helper blocks them)."""
    context = browse.browser.new_context(
        base_url=browse.base_url, viewport=PHONE, locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh", service_workers="allow")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_LISTENER)
    browse._contexts.append(context)

    browse.watch(context)
    page = context.new_page()
    page.on("pageerror", lambda exc: browse.errors.append(str(exc)))
    page.on("console", browse._console)
    return context, page


def record(page: Any, title: str, meeting_pk: int, women: str) -> None:
    page.fill("#id_title", title)
    page.select_option("#id_format", str(meeting_pk))
    page.fill("#id_participants_women", women)
    page.locator("form[data-offline] button[type=submit]").click()


def test_activities_recorded_offline_arrive_exactly_once(field: Field,
                                                         browse: Browse) -> None:
    context, page = open_with_worker(browse)
    browse.sign_in(page, field.officer, field.new_url)
    # The worker is installed and has kept the form, the catalogues and the units.
    page.wait_for_selector("html[data-offline-ready]", state="attached")
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    assert page.locator("#offline-count").is_hidden()

    context.set_offline(True)
    for n in range(1, 4):
        record(page, f"Sinh hoạt ngoại tuyến {n}", field.meeting_pk, "12")
        page.wait_for_function(COUNT_IS, arg=n)
        # kept, and the form is ready for the next one
        assert page.input_value("#id_title") == ""
    # what cannot be checked on the device: the server will refuse 99 999 at a commune meeting
    record(page, "Họp quá đông", field.meeting_pk, "99999")
    page.wait_for_function(COUNT_IS, arg=4)
    assert page.locator("#offline-count").is_visible()
    assert "4" in page.locator("#offline-count").inner_text()
    # a check made on the device names the field and keeps nothing
    page.fill("#id_title", "")
    page.locator("form[data-offline] button[type=submit]").click()
    assert page.locator("#offline-notice").is_visible()
    page.wait_for_function(COUNT_IS, arg=4)

    # Reloaded without a connection: the worker serves the form, the queue is still there.
    page.reload()
    assert urlsplit(page.url).path == field.new_url
    page.wait_for_function(COUNT_IS, arg=4)
    # the form's lists (formats, units in scope) and the API's catalogues and units are kept
    assert page.locator("#id_format option").count() > 1
    assert page.locator("#id_unit option:checked").inner_text().strip()
    assert page.evaluate("""async () => {
      const kept = await Promise.all(['/api/v1/catalogues', '/api/v1/units'].map(
        (url) => fetch(url, {credentials: 'same-origin'}).then((r) => r.ok)));
      return kept.every(Boolean);
    }""")
    # any other page says there is no connection and points to the quick entry
    other = page.context.new_page()
    other.goto(reverse("outreach:activity_list"))
    assert other.locator("a[href='/outreach/activities/new/']").count() == 1
    other.close()
    queued = page.evaluate("ctipOffline.all()")
    assert len(queued) == 4 and all(len(entry["uuid"]) == 36 for entry in queued)
    # nothing about a person: the body is the activity's fields only
    assert all(set(entry) == {"uuid", "user", "created", "kind", "body"} for entry in queued)

    # Signing out now warns that four entries are not sent; she stays when she says no.
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.locator("details.site-menu summary").click()
    page.locator("form[data-signout] button").click()
    for _ in range(100):  # the question comes once the queue has been read
        if dialogs:
            break
        page.wait_for_timeout(100)
    assert len(dialogs) == 1 and "4" in dialogs[0]
    assert urlsplit(page.url).path == field.new_url

    # Back online: sent by itself; three arrive, the fourth is refused with the reason.
    context.set_offline(False)
    page.wait_for_function(COUNT_IS, arg=1)
    titles = page.evaluate(TITLES_JS)
    assert sorted(t for t in titles if "ngoại tuyến" in t) == [
        "Sinh hoạt ngoại tuyến 1", "Sinh hoạt ngoại tuyến 2", "Sinh hoạt ngoại tuyến 3"]
    assert "Họp quá đông" not in titles
    refused = page.locator("#offline-queue li.refused")
    assert refused.count() == 1
    assert "99999" in refused.inner_text() and "Họp quá đông" in refused.inner_text()
    assert refused.get_by_role("button").count() == 2  # correct, discard

    # The answer was lost, say, and the device sends the very same queue again: nothing new.
    page.evaluate("""async (rows) => {
      for (const row of rows) await ctipOffline.put(row);
      await ctipOffline.sync();
    }""", queued)
    page.wait_for_function(COUNT_IS, arg=1)
    assert page.evaluate(TITLES_JS) == titles

    # Correct the refused one: it goes into the form and stays on the device, marked as being
    # corrected, until the form is saved (decision record 0108); saved online as usual.
    refused.get_by_role("button").first.click()
    assert page.input_value("#id_title") == "Họp quá đông"
    page.locator("#offline-queue li.correcting").wait_for()
    assert page.evaluate("ctipOffline.all()").__len__() == 1
    page.fill("#id_participants_women", "40")
    with page.expect_navigation():
        page.locator("form[data-offline] button[type=submit]").click()
    page.wait_for_function(COUNT_IS, arg=0)
    assert page.evaluate(TITLES_JS).count("Họp quá đông") == 1
    assert page.locator("#offline-count").is_hidden()


def refused_entries(page: Any, context: Any, field: Field, titles: list[str]) -> None:
    """Record each title offline with a count the server refuses, then reconnect."""
    context.set_offline(True)
    for n, title in enumerate(titles, start=1):
        record(page, title, field.meeting_pk, "99999")
        page.wait_for_function(COUNT_IS, arg=n)
    context.set_offline(False)
    page.locator("#offline-queue li.refused").nth(len(titles) - 1).wait_for()


def submit(page: Any) -> None:
    with page.expect_navigation():
        page.locator("form[data-offline] button[type=submit]").click()


def test_a_refused_entry_stays_on_the_device_until_its_correction_is_saved(
        field: Field, browse: Browse) -> None:
    """"Correct" never removes the refused entry before the corrected form is saved: leaving
    the page, or the form coming back with the server's errors, keeps it; saved online, it
    leaves the device once; queued again offline, the corrected entry replaces it."""
    context, page = open_with_worker(browse)
    browse.sign_in(page, field.officer, field.new_url)
    page.wait_for_selector("html[data-offline-ready]", state="attached")
    refused_entries(page, context, field, ["Họp thôn Một", "Họp thôn Hai"])
    page.wait_for_function(COUNT_IS, arg=2)
    one = page.locator("#offline-queue li", has_text="Họp thôn Một")

    # Into the form, then the page left without saving: still on the device, still refused.
    one.get_by_role("button", name="Sửa").click()
    assert page.input_value("#id_title") == "Họp thôn Một"
    page.locator("#offline-queue li.correcting", has_text="Họp thôn Một").wait_for()
    page.wait_for_function(COUNT_IS, arg=2)
    page.reload()
    page.wait_for_function(COUNT_IS, arg=2)
    one.get_by_role("button", name="Sửa").wait_for()
    assert page.locator("#offline-queue li.correcting").count() == 0

    # Corrected with a mistake the server refuses: the form comes back with its errors, her
    # values, and the entry still kept and still being corrected.
    one.get_by_role("button", name="Sửa").click()
    page.fill("#id_participants_women", "40")
    page.fill("#id_participants_total", "10")
    submit(page)
    assert urlsplit(page.url).path == field.new_url
    assert page.locator(".errorlist").count() >= 1
    assert page.input_value("#id_title") == "Họp thôn Một"
    page.locator("#offline-queue li.correcting", has_text="Họp thôn Một").wait_for()
    page.wait_for_function(COUNT_IS, arg=2)

    # Saved: the page after the save names the entry, which then leaves the device, once.
    page.fill("#id_participants_total", "")
    submit(page)
    assert urlsplit(page.url).path != field.new_url
    page.wait_for_function(COUNT_IS, arg=1)
    assert page.evaluate(TITLES_JS).count("Họp thôn Một") == 1
    assert [e["body"]["title"] for e in page.evaluate("ctipOffline.all()")] == ["Họp thôn Hai"]

    # The other corrected without a connection: it replaces the refused entry in the queue
    # (one entry, no longer refused) and is sent when the connection returns.
    page.goto(field.new_url)
    two = page.locator("#offline-queue li", has_text="Họp thôn Hai")
    context.set_offline(True)
    two.get_by_role("button", name="Sửa").click()
    page.fill("#id_participants_women", "30")
    page.locator("form[data-offline] button[type=submit]").click()
    page.wait_for_function("""() => document.querySelectorAll(
        '#offline-queue li:not(.refused)').length === 1""")
    queued = page.evaluate("ctipOffline.all()")
    assert len(queued) == 1 and "problem" not in queued[0]
    assert queued[0]["body"]["participants_women"] == 30
    context.set_offline(False)
    page.wait_for_function(COUNT_IS, arg=0)
    assert page.evaluate(TITLES_JS).count("Họp thôn Hai") == 1
