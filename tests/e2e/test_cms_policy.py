"""The Wagtail admin under the strict Content-Security-Policy (issue #12 point 6, decision record
0041): scripts and styles only from our static files or with the request's nonce, on /cms/ as on
every other page, and the editor's everyday work still done in Chromium -- the rich-text editor,
the image chooser, the schedule dialog and its date picker, publishing, the sidebar. Every
browser test fails on a reported policy violation (tests/e2e/conftest.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.e2e.conftest import E2E
from tests.e2e.test_csp import _assert_injection_refused, _policy
from tests.e2e.test_portal import Site, site  # noqa: F401  (the bulletin fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.presentation]

# Inline scripts the browser would run: everything but the JSON data blocks.
RUNNABLE_INLINE_SCRIPTS = """() => [...document.querySelectorAll('script:not([src])')]
  .filter((s) => s.type !== 'application/json').map((s) => s.textContent.slice(0, 80))"""


@pytest.fixture
def edit_url(site: Site, e2e: E2E) -> str:  # noqa: F811
    from ctip.portal.models import ArticlePage

    page = ArticlePage.objects.get(title=site.article_title)
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def _assert_strict(response: Any) -> str:
    policy = _policy(response)
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive], policy[directive]
        assert "'unsafe-eval'" not in policy[directive], policy[directive]
        assert policy[directive][0] == "'self'"
    nonces = [v for v in policy["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1 and nonces == [v for v in policy["style-src"]
                                           if v.startswith("'nonce-")]
    return nonces[0][len("'nonce-"):-1]


def test_the_editor_works_under_the_strict_policy(edit_url: str, browse: Any, e2e: E2E) -> None:
    page = browse.new_page(viewport={"width": 1366, "height": 900})
    browse.sign_in(page, e2e.users["publisher"], next_url=edit_url)
    response = page.reload()
    assert response is not None and response.status == 200
    nonce = _assert_strict(response)
    assert page.evaluate(RUNNABLE_INLINE_SCRIPTS) == []

    # the rich-text editor is up, takes text, and its own <style> carries the nonce
    page.locator(".Draftail-Editor").first.wait_for(state="visible")
    page.locator(".DraftEditor-root").first.click()
    page.keyboard.press("End")
    page.keyboard.type(" Gọi 111 ngay.")
    assert "Gọi 111 ngay." in page.locator(".DraftEditor-root").first.inner_text()
    styles = page.evaluate("() => [...document.querySelectorAll('style')].map((s) => s.nonce)")
    assert styles and set(styles) == {nonce}

    # the image chooser: the modal opens, lists the bulletin's image, and the choice shows
    page.locator("#tab-label-quang_ba").click()
    chooser = page.locator("#id_feed_image-chooser")
    chooser.locator("[data-chooser-action-choose]").first.click()
    modal = page.locator(".modal-content")
    modal.get_by_text("Minh họa").first.click()
    page.locator("#id_feed_image-title").filter(has_text="Minh họa").wait_for(state="visible")
    page.locator("#tab-label-noi_dung").click()

    # the schedule dialog and its date picker, then publishing with the schedule
    page.locator("[data-side-panel-toggle='status']").click()
    page.locator("[data-a11y-dialog-show='schedule-publishing-dialog']").first.click()
    page.locator("#id_go_live_at").click()
    page.locator(".xdsoft_datetimepicker").first.wait_for(state="visible")
    go_live = page.locator("#id_go_live_at")
    go_live.fill("01/01/2030 08:00")
    page.locator("#title-text-schedule-publishing-dialog").click()  # the picker closes
    page.locator(".xdsoft_datetimepicker").first.wait_for(state="hidden")
    assert go_live.input_value() == "01/01/2030 08:00"
    with page.expect_navigation():
        page.locator("#schedule-publishing-dialog button.action-save").click()
    stored = page.locator("#id_go_live_at").get_attribute("value") or ""
    assert stored.startswith("01/01/2030"), page.locator(".messages").first.inner_text()
    # the sidebar: the page explorer opens on the bulletin, the account menu opens
    page.locator(".sidebar-page-explorer-item .sidebar-menu-item__link").first.click()
    page.locator(".c-page-explorer").get_by_text("Bản tin").first.wait_for(state="visible")
    page.keyboard.press("Escape")
    account = page.locator(".sidebar-footer__account-toggle")
    account.click()
    page.locator(".sidebar-footer .sidebar-menu-item__link").first.wait_for(state="visible")
    _assert_injection_refused(browse, page)


def test_a_publisher_publishes_under_the_strict_policy(edit_url: str, browse: Any,
                                                      e2e: E2E) -> None:
    page = browse.new_page(viewport={"width": 1366, "height": 900})
    browse.sign_in(page, e2e.users["publisher"], next_url=edit_url)
    page.locator("#id_title").fill("Đắk Lắk: cảnh giác đường dây mua bán người (bản mới)")
    publish = page.locator("button[name='action-publish']").first
    if not publish.is_visible():  # in the menu of the footer's main button
        page.locator("footer [data-w-dropdown-target='toggle']").first.click()
    with page.expect_navigation():
        publish.click()
    assert urlsplit(page.url).path != edit_url or page.locator(".messages").is_visible()
    response = page.goto("/")
    assert response is not None and response.status == 200
    assert page.get_by_text("(bản mới)").first.is_visible()


def test_a_publisher_schedules_a_publication_in_two_steps(edit_url: str, browse: Any,
                                                          e2e: E2E) -> None:
    """Step 1: "Hẹn giờ xuất bản" in the action menu; step 2: the time, and the dialog's
    "Hẹn giờ xuất bản". The article is then scheduled, not live, and says when it goes live."""
    page = browse.new_page(viewport={"width": 1366, "height": 900})
    browse.sign_in(page, e2e.users["publisher"], next_url=edit_url)
    page.locator("footer [data-w-dropdown-target='toggle']").first.click()
    page.locator("footer button", has_text="Hẹn giờ xuất bản").click()  # step 1
    dialog = page.locator("#schedule-publishing-dialog")
    go_live = dialog.locator("#id_go_live_at")
    go_live.click()
    picker = page.locator(".xdsoft_datetimepicker").first
    picker.wait_for(state="visible")
    go_live.fill("01/01/2030 08:00")  # step 2, typed in full
    # the date picker closes and leaves the dialog's button free for her finger (a click
    # checks that nothing covers the button)
    picker.wait_for(state="hidden")
    with page.expect_navigation():
        dialog.locator("button[name='action-publish']").click()
    # Wagtail goes back to the section's list and says the article is scheduled
    message = page.locator(".messages").first.inner_text()
    assert "Đắk Lắk" in message and "đã được hẹn giờ xuất bản" in message, message


@pytest.fixture
def section_edit_url(site: Site, e2e: E2E) -> str:  # noqa: F811
    from ctip.portal.models import SectionPage

    section = SectionPage.objects.get(url_path__endswith="/tuyen-truyen-trong-nhan-dan/")
    return reverse("wagtailadmin_pages:edit", args=[section.pk])


def test_the_date_picker_closes_when_a_date_is_chosen(edit_url: str, browse: Any,
                                                      e2e: E2E) -> None:
    page = browse.new_page(viewport={"width": 1366, "height": 900})
    browse.sign_in(page, e2e.users["publisher"], next_url=edit_url)
    page.locator("footer [data-w-dropdown-target='toggle']").first.click()
    page.locator("footer button", has_text="Hẹn giờ xuất bản").click()
    dialog = page.locator("#schedule-publishing-dialog")
    dialog.locator("#id_go_live_at").click()
    picker = page.locator(".xdsoft_datetimepicker").first
    picker.wait_for(state="visible")
    picker.locator(".xdsoft_next").first.click()  # next month
    picker.locator(".xdsoft_date:not(.xdsoft_other_month)", has_text="15").first.click()
    picker.wait_for(state="hidden")
    assert dialog.locator("#id_go_live_at").input_value().startswith("15/")
    dialog.locator("button.action-save").click(trial=True)  # nothing covers the buttons
    dialog.locator("button[name='action-publish']").click(trial=True)


def test_the_unit_chooser_finds_a_commune_typed_without_accents(section_edit_url: str,
                                                                browse: Any, e2e: E2E) -> None:
    page = browse.new_page(viewport={"width": 1366, "height": 900})
    browse.sign_in(page, e2e.users["publisher"], next_url=section_edit_url)
    search = page.locator("input.ctip-unit-search")
    search.fill("duc hoa")
    shown = page.evaluate("""() => [...document.querySelectorAll('select[name=unit] option')]
        .filter((o) => !o.hidden && o.value).map((o) => o.text.trim())""")
    assert shown == ["— — Xã Đức Hòa"]
    page.locator("select[name=unit]").select_option(label="— — Xã Đức Hòa")
    search.fill("")
    assert page.locator("select[name=unit] option:not([hidden])").count() > 3
