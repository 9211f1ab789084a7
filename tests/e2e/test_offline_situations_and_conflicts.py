"""Offline work beyond the quick entry, in Chromium with the network switched off (issue 14,
points 2 and 3; decision record 0038): a situation reported without a connection arrives once;
the home page's card shows unsent work and sends it on request; two devices edit one activity
and the second is shown both versions and chooses field by field, nothing overwritten."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.conftest import log_activity
from tests.e2e.conftest import E2E, Browse
from tests.e2e.test_offline import COUNT_IS, open_with_worker

pytestmark = pytest.mark.e2e

SITUATIONS_JS = """async () => {
  const answer = await fetch('/api/v1/situations?limit=500', {credentials: 'same-origin'});
  return (await answer.json()).map((s) => s.category + '/' + s.source);
}"""
ACTIVITY_JS = """async (pk) => {
  const answer = await fetch('/api/v1/activities/' + pk, {credentials: 'same-origin'});
  return await answer.json();
}"""


@dataclass
class Field:
    head: Any
    officer: Any
    report_url: str
    home_url: str
    activity_pk: int
    edit_url: str


@pytest.fixture
def field(e2e: E2E, users: dict[str, Any], formats: dict[str, Any], tree: Any) -> Field:
    """Read and built before the test opens a page."""
    activity = log_activity(tree.branch_a1, formats["meeting"], actor=users["branch_head"],
                            title="Sinh hoạt chi hội tháng 11")
    return Field(head=users["branch_head"], officer=users["commune_officer"],
                 report_url=reverse("cases:situation_create"), home_url=reverse("core:home"),
                 activity_pk=activity.pk,
                 edit_url=reverse("outreach:activity_edit", args=[activity.pk]))


def report(page: Any, description: str, contact: str = "") -> None:
    page.select_option("#id_category", "recruitment")
    page.fill("#id_description", description)
    page.fill("#id_reporter_contact", contact)
    page.locator("form[data-offline] button[type=submit]").click()


def test_a_situation_reported_offline_arrives_exactly_once(field: Field,
                                                           browse: Browse) -> None:
    context, page = open_with_worker(browse)
    browse.sign_in(page, field.head, field.report_url)
    page.wait_for_selector("html[data-offline-ready]", state="attached")
    assert page.evaluate(SITUATIONS_JS) == []

    context.set_offline(True)
    # a phone number identifies a person: refused on the device, and nothing typed is lost
    report(page, "Có người lạ rủ các em gái đi làm ở nước ngoài.", contact="0912 345 678")
    notice = page.locator("#offline-notice")
    assert "liên lạc của người báo tin" in notice.inner_text()
    assert page.input_value("#id_description").startswith("Có người lạ")
    assert page.evaluate("ctipOffline.all()") == []
    # the same words as the page online for what the device can check
    page.fill("#id_reporter_contact", "")
    page.fill("#id_occurred_on", "2099-01-01")
    page.locator("form[data-offline] button[type=submit]").click()
    assert "Ngày này chưa đến." in notice.inner_text()
    page.fill("#id_occurred_on", "")
    page.locator("form[data-offline] button[type=submit]").click()
    page.wait_for_function(COUNT_IS, arg=1)
    assert page.input_value("#id_description") == ""

    # Reloaded without a connection: the worker serves the blank form, the report is kept.
    page.reload()
    assert urlsplit(page.url).path == field.report_url
    page.wait_for_function(COUNT_IS, arg=1)
    queued = page.evaluate("ctipOffline.all()")
    assert [e["kind"] for e in queued] == ["situation"]
    assert "reporter_contact" not in queued[0]["body"]
    listed = page.locator("#offline-queue li")
    assert listed.count() == 1 and "Báo tin tình huống" in listed.inner_text()

    context.set_offline(False)
    page.wait_for_function(COUNT_IS, arg=0)
    assert page.evaluate(SITUATIONS_JS) == ["recruitment/member"]
    # the answer was lost, say, and the device sends the same report again: nothing new
    page.evaluate("""async (rows) => {
      for (const row of rows) await ctipOffline.put(row);
      await ctipOffline.sync();
    }""", queued)
    page.wait_for_function(COUNT_IS, arg=0)
    assert page.evaluate(SITUATIONS_JS) == ["recruitment/member"]


def test_the_home_page_shows_unsent_work_and_sends_it_on_request(field: Field,
                                                                 browse: Browse) -> None:
    page = browse.new_page()
    context = page.context
    browse.sign_in(page, field.head, field.report_url)
    context.set_offline(True)
    report(page, "Một nhóm trên mạng hứa việc nhẹ lương cao.")
    page.wait_for_function(COUNT_IS, arg=1)
    # the connection comes back but the server cannot be reached: the report stays
    page.route("**/api/v1/situations", lambda route: route.abort())
    context.set_offline(False)
    page.goto(field.home_url)
    page.wait_for_function(COUNT_IS, arg=1)
    card = page.locator("#offline-card")
    assert card.is_visible()
    assert "1 bản ghi chưa gửi" in card.locator("#wl-offline").inner_text()
    assert card.locator("#offline-queue li").count() == 1
    page.unroute("**/api/v1/situations")
    card.get_by_role("button", name="Gửi ngay").click()
    page.wait_for_function(COUNT_IS, arg=0)
    assert card.is_hidden()
    assert page.evaluate(SITUATIONS_JS) == ["recruitment/member"]


def test_two_devices_edit_one_activity_and_the_second_chooses(field: Field,
                                                              browse: Browse) -> None:
    first, second = browse.new_page(), browse.new_page()
    browse.sign_in(first, field.officer, field.edit_url)
    browse.sign_in(second, field.head, field.edit_url)
    for page in (first, second):
        page.context.set_offline(True)
    first.fill("#id_title", "Tiêu đề do xã sửa")
    first.locator("form[data-offline] button[type=submit]").click()
    first.wait_for_function(COUNT_IS, arg=1)
    second.fill("#id_title", "Tiêu đề do chi hội sửa")
    second.locator("details summary").first.click()
    second.fill("#id_notes", "Ghi chú của chi hội")
    second.locator("form[data-offline] button[type=submit]").click()
    second.wait_for_function(COUNT_IS, arg=1)

    first.context.set_offline(False)
    first.wait_for_function(COUNT_IS, arg=0)
    assert first.evaluate(ACTIVITY_JS, field.activity_pk)["title"] == "Tiêu đề do xã sửa"

    # The second device comes back: not sent over the first, both versions shown.
    second.context.set_offline(False)
    conflict = second.locator("#offline-queue li.conflict")
    conflict.wait_for()
    assert second.evaluate(ACTIVITY_JS, field.activity_pk)["title"] == "Tiêu đề do xã sửa"
    assert "Người khác đã lưu hoạt động này" in conflict.inner_text()
    rows = conflict.locator("tbody tr")
    assert sorted(rows.evaluate_all("(rows) => rows.map((r) => r.dataset.field)")) == [
        "notes", "title"]
    title = conflict.locator("tr[data-field=title]")
    assert "Tiêu đề do chi hội sửa" in title.locator("td").nth(0).inner_text()
    assert "Tiêu đề do xã sửa" in title.locator("td").nth(1).inner_text()
    # she keeps their title and her notes
    title.locator("input[value=theirs]").check()
    conflict.get_by_role("button", name="Gửi các giá trị đã chọn").click()
    second.wait_for_function(COUNT_IS, arg=0)
    saved = second.evaluate(ACTIVITY_JS, field.activity_pk)
    assert saved["title"] == "Tiêu đề do xã sửa"
    assert saved["notes"] == "Ghi chú của chi hội"
