"""The Content-Security-Policy and Permissions-Policy in a real browser (decision record 0024).

Every browser test fails on a policy violation reported by the page (tests/e2e/conftest.py); the
tests here open the pages the policy is most likely to break -- the bulletin article with its
reader controls, a staff page swapping an htmx partial, the dashboard's charts and their nonce'd
style, the Wagtail page editor under /cms/ -- and check that the policy is really enforced: an
injected inline script is refused and reported.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.e2e.conftest import E2E, click_page_action
from tests.e2e.test_portal import Site, site  # noqa: F401  (the bulletin fixture)
from tests.e2e.test_shell import province_summary, toggle, tree_node

pytestmark = [pytest.mark.e2e, pytest.mark.presentation]

INJECT_INLINE_SCRIPT = """() => {
  window.__injected = false;
  const s = document.createElement('script');
  s.textContent = 'window.__injected = true;';
  document.head.append(s);
  return window.__injected;
}"""


def _policy(response: Any) -> dict[str, list[str]]:
    header = response.headers["content-security-policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def _assert_injection_refused(browse: Any, page: Any) -> None:
    """An inline script without the nonce does not run, and the refusal is reported -- the
    proof that the listener every browser test relies on hears violations."""
    assert page.evaluate(INJECT_INLINE_SCRIPT) is False
    page.wait_for_timeout(200)  # the violation event is dispatched asynchronously
    assert any("script-src" in v for v in browse.violations), browse.violations
    browse.violations.clear()


def test_article_reader_controls_work_under_the_policy(site: Site,  # noqa: F811
                                                       browse: Any) -> None:
    page = browse.new_page()
    response = page.goto(site.article_url)
    assert response is not None and response.status == 200
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "camera=()" in response.headers["permissions-policy"]
    root = page.locator("html")
    page.locator("[data-reader]").wait_for(state="visible")  # shown by reader.js
    page.locator("[data-theme-choice='dark']").click()
    assert root.get_attribute("data-theme") == "dark"
    size_before = page.evaluate("() => getComputedStyle(document.body).fontSize")
    page.locator("[data-size-step='1']").click()
    assert root.get_attribute("data-size") == "125"
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") != size_before
    assert page.evaluate("() => navigator.permissions !== undefined")
    _assert_injection_refused(browse, page)


def test_staff_page_swaps_an_htmx_partial_under_the_policy(browse: Any, e2e: E2E) -> None:
    page = browse.new_page()
    browse.sign_in(page, e2e.users["province_officer"], next_url=reverse("org:tree"))
    page.wait_for_function("() => window.htmx !== undefined")
    # htmx does not inject its own <style> (which the policy would refuse): app.css has its rules
    assert page.locator("head style").count() == 0
    children_url = reverse("org:children", args=[e2e.province_pk])
    with page.expect_response(lambda r: urlsplit(r.url).path == children_url
                              and r.request.headers.get("hx-request") == "true") as resp:
        toggle(province_summary(page))
    assert resp.value.status == 200
    tree_node(page, "Xã Đức Hòa").wait_for(state="visible")
    _assert_injection_refused(browse, page)


@pytest.fixture
def dashboard_url(e2e: E2E, tree: Any, users: Any, formats: Any) -> str:
    # the database first: the ORM may not run once the browser (its event loop) has started
    from tests.reports.facts import record_facts

    record_facts(tree, users, formats)
    return f"{reverse('reports:dashboard')}?unit={tree.province.pk}&period=year&year=2026"


def test_dashboard_charts_draw_with_their_nonced_style(dashboard_url: str, browse: Any,
                                                       e2e: E2E) -> None:
    page = browse.new_page(viewport={"width": 1200, "height": 900})
    browse.sign_in(page, e2e.users["province_officer"], next_url=reverse("core:home"))
    response = page.goto(dashboard_url)
    assert response is not None and response.status == 200
    nonce = page.locator("main style").first.evaluate("(el) => el.nonce")
    assert nonce and f"'nonce-{nonce}'" in _policy(response)["style-src"]
    assert page.locator("svg.chart").count() >= 2
    # the dashboard's own style applied: the bars are blue, not the default black
    fill = page.locator("svg.chart .bar").first.evaluate("(el) => getComputedStyle(el).fill")
    assert fill == "rgb(47, 111, 159)"


@pytest.fixture
def article_to_edit(site: Site, e2e: E2E, tree: Any) -> str:  # noqa: F811
    from ctip.portal.models import ArticlePage

    page = ArticlePage.objects.get(title=site.article_title)
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def test_cms_page_editor_works_under_the_cms_policy(article_to_edit: str, browse: Any,
                                                    e2e: E2E) -> None:
    page = browse.new_page(viewport={"width": 1280, "height": 900})
    browse.sign_in(page, e2e.users["editor"], next_url=article_to_edit)
    response = page.reload()
    assert response is not None and response.status == 200
    policy = _policy(response)
    assert "'unsafe-eval'" not in json.dumps(policy)
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    # the editor's scripts ran: the rich text editor (Draftail) is up
    page.locator(".Draftail-Editor").first.wait_for(state="visible")
    title = page.locator("#id_title")
    title.fill("Đắk Lắk: cảnh giác đường dây mua bán người (sửa)")
    page.locator(".DraftEditor-root").first.click()
    page.keyboard.type(" Thêm một câu.")
    with page.expect_navigation():
        click_page_action(page, "button:has-text('Lưu bản nháp')")
    assert page.locator(".messages").first.is_visible()
    assert page.locator("#id_title").input_value().endswith("(sửa)")
