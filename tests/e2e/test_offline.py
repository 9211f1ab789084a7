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
    # corrected; saved, the correction takes its place and is sent (decision record 0108).
    refused.get_by_role("button").first.click()
    assert page.input_value("#id_title") == "Họp quá đông"
    page.locator("#offline-queue li.correcting").wait_for()
    assert len(page.evaluate("ctipOffline.all()")) == 1
    page.fill("#id_participants_women", "40")
    page.locator("form[data-offline] button[type=submit]").click()
    page.wait_for_function(COUNT_IS, arg=0)
    assert urlsplit(page.url).path == field.new_url
    assert page.evaluate(TITLES_JS).count("Họp quá đông") == 1
    assert page.locator("#offline-count").is_hidden()


def refused_entries(page: Any, context: Any, field: Field, titles: list[str]) -> None:
    """Record each title offline with a count the server refuses, then reconnect."""
    context.set_offline(True)
    for n, title in enumerate(titles, start=1):
        record(page, title, field.meeting_pk, "99999")
        page.wait_for_function(COUNT_IS, arg=n)
    context.set_offline(False)
    page.wait_for_function(f"""() => document.querySelectorAll('#offline-queue li.refused')
                                .length === {len(titles)}""")


def save(page: Any) -> None:
    page.locator("form[data-offline] button[type=submit]").click()


def test_a_refused_entry_stays_on_the_device_until_its_correction_is_saved(
        field: Field, browse: Browse) -> None:
    """"Correct" never removes the refused entry before its correction is saved: leaving the
    page keeps it, a correction refused (on the device or by the server) keeps it with the
    reason; saved, the correction takes its place under its UUID and is saved once, online or
    offline, from one tab or two."""
    context, page = open_with_worker(browse)
    browse.sign_in(page, field.officer, field.new_url)
    page.wait_for_selector("html[data-offline-ready]", state="attached")
    refused_entries(page, context, field, ["Họp thôn Một", "Họp thôn Hai", "Họp thôn Ba"])
    page.wait_for_function(COUNT_IS, arg=3)
    uuids = {e["body"]["title"]: e["uuid"] for e in page.evaluate("ctipOffline.all()")}

    def entry(title: str, on: Any = page) -> Any:
        return on.locator("#offline-queue li", has_text=title)

    # Into the form, then the page left without saving: still on the device, still refused.
    entry("Họp thôn Một").get_by_role("button", name="Sửa").click()
    assert page.input_value("#id_title") == "Họp thôn Một"
    page.locator("#offline-queue li.correcting", has_text="Họp thôn Một").wait_for()
    page.wait_for_function(COUNT_IS, arg=3)
    page.reload()
    page.wait_for_function(COUNT_IS, arg=3)
    entry("Họp thôn Một").get_by_role("button", name="Sửa").wait_for()
    assert page.locator("#offline-queue li.correcting").count() == 0

    # A correction the device refuses (women above the total): nothing changes.
    entry("Họp thôn Một").get_by_role("button", name="Sửa").click()
    page.fill("#id_participants_women", "40")
    page.fill("#id_participants_total", "10")
    save(page)
    page.locator("#offline-notice.error").wait_for()
    assert page.input_value("#id_title") == "Họp thôn Một"
    page.locator("#offline-queue li.correcting", has_text="Họp thôn Một").wait_for()
    # One the server refuses again (still too many): kept, with the reason, under its UUID.
    page.fill("#id_participants_total", "")
    page.fill("#id_participants_women", "88888")
    save(page)
    page.wait_for_function("""() => [...document.querySelectorAll('#offline-queue li.refused')]
        .some((li) => li.textContent.includes('88888'))""")
    page.wait_for_function(COUNT_IS, arg=3)
    assert uuids["Họp thôn Một"] in [e["uuid"] for e in page.evaluate("ctipOffline.all()")]

    # Saved: sent from the device as it stands, without leaving the page; saved once.
    entry("Họp thôn Một").get_by_role("button", name="Sửa").click()
    page.fill("#id_participants_women", "40")
    save(page)
    page.wait_for_function(COUNT_IS, arg=2)
    assert urlsplit(page.url).path == field.new_url
    assert page.evaluate(TITLES_JS).count("Họp thôn Một") == 1

    # Two tabs correct the same entry: the first saves it; the second is told it is gone and
    # saves nothing.
    other = context.new_page()
    other.goto(field.new_url)
    other.wait_for_function(COUNT_IS, arg=2)
    entry("Họp thôn Hai").get_by_role("button", name="Sửa").click()
    entry("Họp thôn Hai", other).get_by_role("button", name="Sửa").click()
    page.fill("#id_participants_women", "25")
    save(page)
    page.wait_for_function(COUNT_IS, arg=1)
    other.fill("#id_participants_women", "26")
    save(other)
    other.locator("#offline-notice.warning").wait_for()
    assert "không còn trên máy" in other.locator("#offline-notice").inner_text()
    other.close()
    assert page.evaluate(TITLES_JS).count("Họp thôn Hai") == 1

    # Corrected without a connection: it replaces the refused entry in the queue (one entry,
    # the same UUID, no longer refused) and is sent when the connection returns.
    context.set_offline(True)
    entry("Họp thôn Ba").get_by_role("button", name="Sửa").click()
    page.fill("#id_participants_women", "30")
    save(page)
    page.wait_for_function("""() => document.querySelectorAll(
        '#offline-queue li:not(.refused)').length === 1""")
    queued = page.evaluate("ctipOffline.all()")
    assert [(e["uuid"], "problem" in e, e["body"]["participants_women"]) for e in queued] == [
        (uuids["Họp thôn Ba"], False, 30)]
    context.set_offline(False)
    page.wait_for_function(COUNT_IS, arg=0)
    assert page.evaluate(TITLES_JS).count("Họp thôn Ba") == 1
