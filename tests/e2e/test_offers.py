"""The job-offer check in a real browser at phone width (360 px): axe-core finds no WCAG
violation on the empty page, a high-risk answer, a "too short" answer and the pre-filled report
form; it works without JavaScript, nothing scrolls sideways, and the one tap reaches the report
form filled in, where the person still chooses the commune and the contact."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import E2E
from tests.e2e.test_shell import assert_landmarks, assert_no_horizontal_overflow, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.presentation]

OFFER = ("Tuyển gấp 5 bạn nữ đi Cam trực máy tính 🇰🇭 vc nhẹ lg 2k$/tháng, k cần kn, bao vé mb, "
         "cty giữ hộ chiếu cho an toàn. Đừng nói vs gia đình nha. ib zalo 09xx "
         "https://t.me/tuyendung_cam_rat_dai_duong_link_khong_xuong_dong_duoc_123456789")


@pytest.fixture
def bulletin(e2e: E2E, tree: Any) -> None:
    """The bulletin's home and the communes, committed before the test opens a page."""
    from ctip.portal.permissions import ensure_groups
    from ctip.portal.setup import ensure_bulletin

    ensure_bulletin()
    ensure_groups()


def test_the_offer_check_on_a_phone_without_javascript(bulletin: None, browse: Any,
                                                       axe_source: Any) -> None:
    found: dict[str, list[str]] = {}
    page = browse.new_page(javascript=False)
    page.goto("/")
    page.locator("header a", has_text="Kiểm tra lời mời").click()
    page.wait_for_url("**/kiem-tra-loi-moi/")
    assert_landmarks(page)
    assert_no_horizontal_overflow(page)
    assert page.locator(".privacy-note").is_visible()

    page.fill("#id_text", "alo em")
    with page.expect_navigation():
        page.locator("form.offer-form button[type=submit]").click()
    assert "quá ngắn để đánh giá" in page.locator("#ket-qua").inner_text()

    page.fill("#id_text", OFFER)
    with page.expect_navigation():
        page.locator("form.offer-form button[type=submit]").click()
    result = page.locator("#ket-qua")
    assert "Rủi ro cao." in result.inner_text()
    assert page.locator(".sign-words q", has_text="cty giữ hộ chiếu").count() == 1
    assert page.locator("#id_text").input_value() == OFFER  # kept to edit
    assert_no_horizontal_overflow(page)

    # Axe runs with JavaScript: the same pages again, in a page that allows scripts.
    axe_page = browse.new_page()
    axe_page.goto("/kiem-tra-loi-moi/")
    found["empty"] = run_axe(axe_page, axe_source)
    axe_page.fill("#id_text", OFFER)
    with axe_page.expect_navigation():
        axe_page.locator("form.offer-form button[type=submit]").click()
    found["high risk"] = run_axe(axe_page, axe_source)
    with axe_page.expect_navigation():
        axe_page.locator("form.offer-report button[type=submit]").click()
    found["report form, pre-filled"] = run_axe(axe_page, axe_source)
    report = [f"{name}: {v}" for name, items in found.items() for v in items]
    assert not report, "axe-core found WCAG violations:\n" + "\n".join(report)

    # One tap, without JavaScript: the report form, filled in, nothing sent yet.
    with page.expect_navigation():
        page.locator("form.offer-report button[type=submit]").click()
    page.wait_for_url("**/bao-tin/")
    assert page.locator("#id_category").input_value() == "recruitment"
    assert "cty giữ hộ chiếu" in page.locator("#id_description").input_value()
    assert page.locator("#id_commune").input_value() == ""
    assert page.locator("#id_identity_0").is_checked()
    assert_no_horizontal_overflow(page)
