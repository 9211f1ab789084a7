"""In a real browser: a form sent with a field error and a rule of its action broken comes
back with both in the summary at the top, the focus on that summary (a screen reader reads it,
a phone shows it), and each link leading to its field (issue 15.4, decision 0050)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from tests.e2e.conftest import E2E

pytestmark = [pytest.mark.e2e, pytest.mark.presentation]


@dataclass
class UnitPage:
    url: str
    taken_by: str


@pytest.fixture
def unit_page(e2e: E2E, tree: Any) -> UnitPage:
    """The new-unit page of commune A, and a branch holding the code 27944: committed before
    any browser starts."""
    from ctip.org.models import UnitType
    from ctip.units.actions import create_unit

    create_unit(actor=None, parent=tree.commune_a, name="Chi hội ấp Bến Cỏ",
                unit_type=UnitType.objects.get(code="branch"), gso_code="27944")
    return UnitPage(url=reverse("org:unit_create", args=[tree.commune_a.pk]),
                    taken_by="Chi hội ấp Bến Cỏ")


def test_the_focus_goes_to_the_summary_of_every_error(unit_page: UnitPage, browse: Any,
                                                      e2e: E2E) -> None:
    page = browse.new_page()
    browse.sign_in(page, e2e.users["province_officer"], next_url=unit_page.url)
    page.fill("#id_name", "")
    page.fill("#id_gso_code", "27944")
    page.fill("#id_village", "Ấp Bàu Sen")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    summary = page.locator("[data-error-summary]")
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.hasAttribute("
        "'data-error-summary')")
    # both errors in one answer: the empty name and the code of another unit
    assert summary.locator("a[href='#id_name']").count() == 1
    assert summary.locator("a[href='#id_gso_code']").count() == 1
    assert unit_page.taken_by in summary.inner_text()
    assert page.input_value("#id_village") == "Ấp Bàu Sen"  # what was typed is kept
    summary.locator("a[href='#id_gso_code']").click()
    page.wait_for_function("() => document.activeElement.id === 'id_gso_code'")
