"""The UI shell in a real browser at phone width: layout, keyboard use, the unit tree with and
without JavaScript, the language switcher, and an axe-core WCAG 2.x A/AA scan.

The assertions avoid interface wording (the Vietnamese catalogue is still being written): they
rely on structure, on unit names from the test data and on what the user can see and reach.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests.e2e.conftest import E2E, PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.presentation]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

OVERFLOW_JS = """() => ({
  scroll: document.documentElement.scrollWidth,
  client: document.documentElement.clientWidth,
  wide: [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                  && !el.closest('.table-scroll') && !el.closest('.visually-hidden')
                  && !el.matches('.skip-link:not(:focus)'))
    .slice(0, 5).map(el => el.outerHTML.slice(0, 120)),
})"""

FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), id: el.id, cls: el.className,
    text: (el.textContent || el.value || '').trim().slice(0, 40),
    outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth),
    boxShadow: s.boxShadow, focusVisible: el.matches(':focus-visible'),
    left: r.left, right: r.right, top: r.top, bottom: r.bottom,
    width: r.width, height: r.height,
  };
}"""


def assert_no_horizontal_overflow(page: Any) -> None:
    m = page.evaluate(OVERFLOW_JS)
    assert m["scroll"] <= m["client"], (
        f"{page.url} scrolls sideways at {PHONE['width']} px: scrollWidth {m['scroll']} > "
        f"clientWidth {m['client']}; too wide: {m['wide']}")


def assert_within_viewport(page: Any, locator: Any, what: str) -> None:
    assert locator.is_visible(), f"{what} is not visible on {page.url}"
    box = locator.bounding_box()
    assert box is not None, f"{what} has no box on {page.url}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (
        f"{what} sticks out of the {PHONE['width']} px screen on {page.url}: {box}")


def assert_landmarks(page: Any) -> None:
    """One banner, one main, one content info; the skip link targets main."""
    assert page.locator("body > header").count() == 1
    assert page.get_by_role("banner").count() == 1
    assert page.get_by_role("main").count() == 1
    assert page.get_by_role("contentinfo").count() == 1
    assert page.locator("main#main").count() == 1
    assert page.locator("a.skip-link[href='#main']").count() == 1
    assert page.locator("html").get_attribute("lang") in {"vi", "en"}


def focused(page: Any) -> dict[str, Any] | None:
    return page.evaluate(FOCUS_JS)


def has_visible_focus_indicator(info: dict[str, Any]) -> bool:
    outline = info["outlineStyle"] not in {"none", "hidden"} and info["outlineWidth"] >= 2
    ring = info["boxShadow"] not in {"", "none"}
    return outline or ring


def run_axe(page: Any, axe_source: Any) -> list[str]:
    # Evaluated through the DevTools protocol: an inline <script> tag would be (rightly) refused
    # by the Content-Security-Policy. Once a document, kept under a name of ours: a dialog or a
    # menu opened on the same page is checked by the axe loaded there (each run starts from the
    # page as it is), never by a page's own (Wagtail's admin bundles an older axe as ``axe``).
    if not page.evaluate("typeof window.ctipAxe?.run === 'function'"):
        page.evaluate(axe_source.read_text(encoding="utf-8"))
        page.evaluate("window.ctipAxe = axe")
    result = page.evaluate(
        """async (tags) => await window.ctipAxe.run(document, {
             runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
        AXE_TAGS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) + " → " + n["failureSummary"].replace("\n", " ")
                    for n in v["nodes"][:5])
        for v in result["violations"]
    ]


def tree_node(page: Any, name: str) -> Any:
    """A unit as shown in the tree: the summary of a unit with units below, else its link."""
    return page.locator("#tree-results :is(summary, .leaf > a)", has_text=name).first


def province_summary(page: Any) -> Any:
    return page.locator("#tree-results summary", has_text="Tỉnh Tây Ninh").first


def toggle(summary: Any) -> None:
    """Click the disclosure marker at the start of the summary, as a thumb would."""
    box = summary.bounding_box()
    summary.click(position={"x": 6, "y": box["height"] / 2})


def open_menu(page: Any) -> None:
    """Open the header's menu (a <details>) as a thumb would, when it is closed (phone)."""
    summary = page.locator("details.site-menu > summary")
    if summary.is_visible() and page.locator("details.site-menu[open]").count() == 0:
        summary.click()


# --- (a) phone width --------------------------------------------------------------------------


def test_login_and_home_fit_a_360px_phone(browse: Any, e2e: E2E) -> None:
    page = browse.new_page()
    page.goto(reverse("accounts:login"))
    assert_landmarks(page)
    assert_no_horizontal_overflow(page)
    # the header is one line: at most 15 % of a 740 px screen
    assert page.locator("header").bounding_box()["height"] <= 0.15 * 740
    open_menu(page)
    for selector, what in [("main h1", "the heading"), ("#id_username", "the username field"),
                           ("#id_password", "the password field"),
                           ("main form button[type=submit]", "the sign-in button"),
                           ("#lang-select", "the language choice"),
                           ("footer a[href='tel:111']", "the hotline")]:
        assert_within_viewport(page, page.locator(selector), what)

    browse.sign_in(page, e2e.users["province_officer"])
    assert_landmarks(page)
    assert_no_horizontal_overflow(page)
    assert page.locator("header").bounding_box()["height"] <= 0.15 * 740
    open_menu(page)
    nav = page.locator("header nav")
    assert nav.count() == 1
    links = nav.get_by_role("link")
    assert links.count() >= 3  # home, units, users for a provincial officer
    for i in range(links.count()):
        assert_within_viewport(page, links.nth(i), f"menu link {links.nth(i).inner_text()!r}")
    assert nav.locator("a[aria-current='page']").get_attribute("href") == reverse("core:home")
    # The home page is a work list; the unit and what she can do there are on the profile.
    assert_within_viewport(page, page.locator("main .worklist .card:visible").first, "a work card")
    assert_within_viewport(page, page.locator("header form button[type=submit]").last,
                           "the language button")
    # Every menu destination also fits the screen.
    for href in (reverse("org:tree"), reverse("accounts:user_list")):
        open_menu(page)
        nav.locator(f"a[href='{href}']").click()
        page.wait_for_url(f"**{href}")
        assert nav.locator("a[aria-current='page']").get_attribute("href") == href
        assert page.locator("details.site-menu[open]").count() == 0  # a new page: closed
        assert_no_horizontal_overflow(page)
        assert_within_viewport(page, page.locator("main h1"), f"the heading of {href}")


# --- (b) keyboard -----------------------------------------------------------------------------


def test_keyboard_skip_link_and_visible_focus(browse: Any, e2e: E2E) -> None:
    page = browse.new_page()
    browse.sign_in(page, e2e.users["province_officer"])
    page.goto(reverse("core:home"))  # fresh load: focus starts at the document

    page.keyboard.press("Tab")
    first = focused(page)
    assert first is not None and "skip-link" in first["cls"], f"first Tab reached {first}"
    skip = page.locator("a.skip-link")
    assert_within_viewport(page, skip, "the focused skip link")
    assert first["top"] >= 0 and first["height"] >= 24
    assert has_visible_focus_indicator(first), first

    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.id === 'main'")
    assert urlsplit(page.url).fragment == "main"
    # The next Tab continues inside the content, not back in the header.
    page.keyboard.press("Tab")
    after = focused(page)
    assert after is not None
    assert page.evaluate("document.activeElement.closest('main') !== null"), after

    # Walk the whole page by keyboard: every stop shows a focus indicator and is on screen.
    page.goto(reverse("core:home"))
    seen: list[dict[str, Any]] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        info = focused(page)
        if info is None or (seen and info == seen[0]):
            break
        seen.append(info)
        assert info["focusVisible"], f"{info} does not match :focus-visible"
        assert has_visible_focus_indicator(info), f"no visible focus indicator on {info}"
        assert info["left"] >= -1 and info["right"] <= PHONE["width"] + 1, info
    # the header's menu is one stop (its <summary>): open, it leads to the language choice
    assert any(i["tag"] == "summary" for i in seen)
    open_menu(page)
    page.locator("#lang-select").focus()
    assert focused(page)["id"] == "lang-select"
    assert len(seen) >= 6


# --- (c) the tree with JavaScript ---------------------------------------------------------------


def test_tree_expands_lazily_collapses_and_searches(browse: Any,
                                                      e2e: E2E) -> None:
    page = browse.new_page()
    browse.sign_in(page, e2e.users["province_officer"], next_url=reverse("org:tree"))
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined")

    commune = tree_node(page, "Xã Đức Hòa")
    assert commune.count() == 0  # not loaded before the province is opened
    summary = province_summary(page)
    children_url = reverse("org:children", args=[e2e.province_pk])
    with page.expect_response(lambda r: urlsplit(r.url).path == children_url
                              and r.request.headers.get("hx-request") == "true") as resp:
        toggle(summary)
    assert resp.value.status == 200
    commune.wait_for(state="visible")
    assert tree_node(page, "Phường Tân An").is_visible()
    assert page.locator("#tree-results", has_text="Tỉnh Cao Bằng").count() == 0  # not in scope
    assert_no_horizontal_overflow(page)

    toggle(summary)
    commune.wait_for(state="hidden")
    assert page.locator("#tree-results details").first.get_attribute("open") is None

    # Reopening shows the loaded communes again; the next level loads on demand too.
    toggle(summary)
    commune.wait_for(state="visible")
    with page.expect_response(lambda r: r.url.endswith("/children/")):
        toggle(tree_node(page, "Xã Đức Hòa"))
    tree_node(page, "Chi hội ấp Mỹ Lộc").wait_for(state="visible")
    tree_node(page, "Chi hội ấp Rạch Sen").wait_for(state="visible")  # a leaf: a plain link

    # Search as you type, without diacritics.
    page.fill("#unit-q", "duc hoa")
    result = page.locator("#tree-results a", has_text="Xã Đức Hòa")
    page.wait_for_function(
        "() => document.querySelector('#tree-results summary') === null")
    result.wait_for(state="visible")
    assert page.locator("#tree-results a", has_text="Phường Tân An").count() == 0
    assert parse_qs(urlsplit(page.url).query).get("q") == ["duc hoa"]


# --- (d) the tree without JavaScript ----------------------------------------------------------


def test_tree_works_without_javascript(browse: Any, e2e: E2E) -> None:
    page = browse.new_page(javascript=False)
    browse.sign_in(page, e2e.users["province_officer"], next_url=reverse("org:tree"))

    # The disclosure still opens, and offers a link to the unit's own page (which lists the
    # units below it, since they cannot be fetched into the tree without JavaScript).
    summary = province_summary(page)
    toggle(summary)
    details = page.locator("#tree-results details").first
    assert details.get_attribute("open") is not None
    fallback = details.locator("a").first
    assert_within_viewport(page, fallback, "the link to the unit's page")
    assert fallback.get_attribute("href") == reverse("org:unit_detail", args=[e2e.province_pk])
    toggle(summary)
    assert details.get_attribute("open") is None

    for query in ("duc hoa", "Đức Hòa"):
        page.fill("#unit-q", query)
        with page.expect_navigation():
            page.locator("main form[role=search] button[type=submit]").click()
        assert parse_qs(urlsplit(page.url).query).get("q") == [query]
        assert page.locator("main a", has_text="Xã Đức Hòa").is_visible()
        assert page.locator("main a", has_text="Phường Tân An").count() == 0
        assert_no_horizontal_overflow(page)

    page.locator("main a", has_text="Xã Đức Hòa").click()
    page.wait_for_url(lambda url: urlsplit(url).path.startswith(reverse("org:tree"))
                      and urlsplit(url).path != reverse("org:tree"))
    assert page.locator("main h1").inner_text().startswith("Xã Đức Hòa")


# --- (e) language -----------------------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_language_switcher_sets_html_lang(browse: Any, e2e: E2E,
                                          javascript: bool) -> None:
    # A phone that asks for neither language gets Vietnamese.
    login, tree = reverse("accounts:login"), reverse("org:tree")
    page = browse.new_page(javascript=javascript, locale="fr-FR")
    page.goto(login)
    assert page.locator("html").get_attribute("lang") == "vi"
    page.context.close()

    page = browse.new_page(javascript=javascript)  # a phone set to Vietnamese
    page.goto(login)
    html = page.locator("html")
    assert html.get_attribute("lang") == "vi"

    def choose(code: str) -> None:
        open_menu(page)
        page.select_option("#lang-select", code)
        with page.expect_navigation():
            page.locator("form.lang-switch button[type=submit]").click()

    choose("en")
    assert html.get_attribute("lang") == "en"
    assert urlsplit(page.url).path == login  # stays on the same page
    assert page.locator("#lang-select").input_value() == "en"

    # The choice survives signing in, and can be undone from any page.
    browse.sign_in(page, e2e.users["province_officer"], next_url=tree)
    assert html.get_attribute("lang") == "en"
    choose("vi")
    assert html.get_attribute("lang") == "vi"
    assert urlsplit(page.url).path == tree


# --- (f) axe-core -----------------------------------------------------------------------------


def test_pages_have_no_wcag_a_or_aa_violations(browse: Any, e2e: E2E,
                                               axe_source: Any) -> None:
    page = browse.new_page()
    found: dict[str, list[str]] = {}

    page.goto(reverse("accounts:login"))
    found["login"] = run_axe(page, axe_source)
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "wrong password")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    found["login with an error"] = run_axe(page, axe_source)

    browse.sign_in(page, e2e.users["province_officer"])
    found["home"] = run_axe(page, axe_source)

    page.goto(reverse("org:tree"))
    found["tree"] = run_axe(page, axe_source)
    with page.expect_response(lambda r: r.url.endswith("/children/")):
        toggle(province_summary(page))
    tree_node(page, "Xã Đức Hòa").wait_for(state="visible")
    found["tree, opened"] = run_axe(page, axe_source)

    page.goto(reverse("org:tree") + "?q=duc+hoa")
    found["tree, search results"] = run_axe(page, axe_source)

    page.goto(reverse("accounts:user_list"))
    found["user list"] = run_axe(page, axe_source)

    report = [f"{name}: {v}" for name, items in found.items() for v in items]
    assert not report, "axe-core found WCAG A/AA violations:\n" + "\n".join(report)
