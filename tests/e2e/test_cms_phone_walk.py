"""Issue 15.8 in the CMS: the editor, the publisher and the system administrator walk Wagtail's
admin under /cms/ on a 360 × 740 phone in Chromium -- every screen its menu (the sidebar) leads
to, and the screens of daily work: the dashboard, the page explorer (the bulletin and a
section), an article's editor and history, the "add child page" chooser and a new article's
form, the images, their upload and an image's editor, the documents, their upload and a
document's editor, the search, the account, and from the menu the warning signs (snippets), the
workflow reports, the site history. Each screen must open for her (not send her back to the
dashboard). On each: no page wider than the screen and nothing cut off at its edge, no tap
target under 44 px in the main content, and axe-core finds no WCAG A/AA violation (the staff
walk's rule set and target rules: ``tests/e2e/test_phone_walk.py``). What opens on a screen
rather than as one -- the rich-text editor's toolbar and menus, Wagtail's dialogs (the
choosers), the bulk actions bar -- is walked by the second test, opened with a tap and measured
where it shows (decision record 0057).

"Main content" is Wagtail's ``<main id="main">``: everything but the sidebar (``<aside>``, on a
phone a menu closed behind its own button) and the dialogs Wagtail adds to ``<body>``. The
staff walk's SMALL_TARGETS measures it with the same two exemptions, both about what a finger
cannot aim at, never about a page: a link inside running text (WCAG 2.5.8: the sentence is the
target) and an element nobody can see (hidden, transparent, clipped as text for screen readers
only, or placed wholly off the page). Nothing is left out by page or by Wagtail class. The
menu is measured once per person, opened with its button as a thumb opens it, by the same
SMALL_TARGETS (its button and its items are targets too)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.e2e.conftest import E2E, PHONE
from tests.e2e.test_phone_walk import SMALL_TARGETS, SQUEEZED
from tests.e2e.test_portal import Site, site  # noqa: F401  (the bulletin fixture)
from tests.e2e.test_shell import run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.presentation]

ROLES = ["editor", "publisher", "system_admin"]

# Wagtail's <main> hides what overflows it, so the page never scrolls sideways even when a
# table or a form is wider than the screen: its right part is simply cut off. Content in the
# page's flow that reaches past the screen's right edge without a box of its own that scrolls
# (or clips on purpose) is cut off. Drawers that slide in from the edge (the side panels, the
# minimap: positioned, moved out with a transform) are not content in the flow.
CUT_OFF = """(root) => {
  root = root || 'main';  // Playwright passes null, not undefined, when given no argument
  const edge = document.documentElement.clientWidth + 1;
  const main = document.querySelector(root);
  const out = [];
  for (const el of [main, ...main.querySelectorAll('*')]) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= edge) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    let contained = false;
    for (let a = el; a && a !== main; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.position === 'absolute' || s.position === 'fixed'
          || (a !== el && s.overflowX !== 'visible')) { contained = true; break; }
    }
    const name = String(el.className).trim().split(/\\s+/).slice(0, 2).join('.');
    if (!contained) out.push(
      `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${name} reaches ${r.right} px`);
  }
  return out.slice(0, 5);
}"""

# Transitions and animations (a message fading in, the dashboard's badge pulsing five times over
# 25 s) are brought to their end before anything is measured: what is measured is what shows once
# they are over, without waiting it out. One that ends and starts another is ended in turn.
SETTLED = """async () => {
  const frame = () => new Promise((done) => requestAnimationFrame(() => done()));
  for (let round = 0; round < 10; round += 1) {
    const running = document.getAnimations().filter((a) => a.playState !== 'finished'
      && a.effect && a.effect.getComputedTiming().iterations !== Infinity);
    if (!running.length) break;
    for (const a of running) { try { a.finish(); } catch (e) { /* paused: left as it is */ } }
    await frame();
  }
  // a menu placed by script (the rich text's palettes, tooltips) may be drawn first and moved
  // to its place a frame later: measure once its box has stayed put for two frames (at most 2 s)
  const boxes = () => JSON.stringify([...document.querySelectorAll(
    '.w-combobox, [role=listbox], [data-tippy-root]')].map((e) => {
      const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }));
  let last = boxes(), still = 0;
  for (let i = 0; i < 120 && still < 2; i += 1) {
    await frame(); const now = boxes(); still = now === last ? still + 1 : 0; last = now; } }"""

# The sidebar's links, once Wagtail's script has drawn it (its submenus are drawn closed).
MENU_LINKS = """() => [...document.querySelectorAll('#wagtail-sidebar a[href]')]
  .map((a) => a.getAttribute('href'))"""


@pytest.fixture
def screens(site: Site, e2e: E2E) -> list[str]:  # noqa: F811
    """The screens of daily work, with real objects: the article of the bulletin, its section,
    its image, a document, a warning sign."""
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from ctip.portal.models import ArticlePage

    article = ArticlePage.objects.get(title=site.article_title)
    section = article.get_parent()
    # uploaded by the editor: she may edit what she uploaded, the publisher anything
    image = get_image_model().objects.get(title="Minh họa")
    image.uploaded_by_user = e2e.users["editor"]
    image.save(update_fields=["uploaded_by_user"])
    document = get_document_model()(title="Cẩm nang phòng, chống mua bán người",
                                    uploaded_by_user=e2e.users["editor"])
    document.file.save("cam-nang.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    return [
        reverse("wagtailadmin_home"),
        reverse("wagtailadmin_explore", args=[section.get_parent().pk]),
        reverse("wagtailadmin_explore", args=[section.pk]),
        reverse("wagtailadmin_pages:edit", args=[article.pk]),
        reverse("wagtailadmin_pages:history", args=[article.pk]),
        reverse("wagtailadmin_pages:add_subpage", args=[section.pk]),
        reverse("wagtailadmin_pages:add", args=("portal", "articlepage", section.pk)),
        reverse("wagtailimages:index"),
        reverse("wagtailimages:add_multiple"),
        reverse("wagtailimages:edit", args=[image.pk]),
        reverse("wagtaildocs:index"),
        reverse("wagtaildocs:add_multiple"),
        reverse("wagtaildocs:edit", args=[document.pk]),
        reverse("wagtailadmin_pages:search") + "?q=mua+b%C3%A1n",
        reverse("wagtailadmin_account"),
    ]


def problems_of(page: Any, axe_source: Any) -> list[str]:
    found = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        found.append(f"page is {width} px wide")
    found += [f"cut off: {t}" for t in page.evaluate(CUT_OFF)]
    found += [f"small target: {t}" for t in page.evaluate(SMALL_TARGETS)]
    found += [f"squeezed: {t}" for t in page.evaluate(SQUEEZED)]
    found += [f"axe: {v}" for v in run_axe(page, axe_source)]
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_cms_screen_fits_a_phone(role: str, screens: list[str], browse: Any, e2e: E2E,
                                       axe_source: Any) -> None:
    page = browse.new_page()
    browse.sign_in(page, e2e.users[role], next_url=reverse("wagtailadmin_home"))
    page.locator("#wagtail-sidebar a[href]").first.wait_for(state="attached")
    menu = [h for h in page.evaluate(MENU_LINKS)
            if h.startswith("/cms/") and h != reverse("wagtailadmin_logout")]
    problems: dict[str, list[str]] = {}
    # the menu, opened as a thumb opens it: its button and its items are targets too
    page.locator(".sidebar-nav-toggle").click()
    page.locator("#wagtail-sidebar .sidebar-menu-item__link").first.wait_for(state="visible")
    page.evaluate(SETTLED)
    menu_targets = page.evaluate(SMALL_TARGETS, "#wagtail-sidebar")
    if menu_targets:
        problems["menu"] = [f"small target: {t}" for t in menu_targets]
    for href in dict.fromkeys([*screens, *menu]):
        response = page.goto(href)
        assert response is not None and response.status == 200, (href, response)
        # a screen she may not open sends her to the dashboard: the walk must reach each one
        assert urlsplit(page.url).path == urlsplit(href).path or (
            urlsplit(page.url).path != reverse("wagtailadmin_home")), (href, page.url)
        page.wait_for_load_state("load")
        page.evaluate(SETTLED)
        found = problems_of(page, axe_source)
        if found:
            problems[href] = found
    dump = os.environ.get("CTIP_PHONE_WALK_DUMP")  # to list every finding while fixing them
    if dump:
        Path(dump, f"cms-{role}.json").write_text(json.dumps(problems, ensure_ascii=False,
                                                             indent=1))
    assert not problems, problems


# Wagtail's dialog (its ModalWorkflow), once its content has come.
DIALOG = ".modal.in .modal-content"


def dialog_problems(page: Any, axe_source: Any) -> list[str]:
    page.locator(f"{DIALOG} .modal-body > *").first.wait_for(state="visible")
    page.evaluate(SETTLED)
    found = []
    top = page.locator(DIALOG).bounding_box()["y"]
    if not 0 <= top < PHONE["height"] / 4:
        found.append(f"dialog starts {top:.0f} px down the screen")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        found.append(f"page is {width} px wide")
    wide = page.evaluate("""() => { const m = document.querySelector('.modal.in');
                                    return m.scrollWidth - m.clientWidth; }""")
    if wide > 1:
        found.append(f"dialog scrolls {wide} px sideways")
    found += [f"cut off: {t}" for t in page.evaluate(CUT_OFF, DIALOG)]
    found += [f"small target: {t}" for t in page.evaluate(SMALL_TARGETS, DIALOG)]
    found += [f"squeezed: {t}" for t in page.evaluate(SQUEEZED, DIALOG)]
    found += [f"axe: {v}" for v in run_axe(page, axe_source)]
    return found


# Closing a dialog ends after its fade and its backdrop's (Bootstrap's timers, 300 + 150 ms, later
# on a loaded machine): only then does the page lose ``modal-open``, which gives the editor's
# <main> its transform back and moves what is placed in it (the "/" palette). The dialog has gone
# when that has happened, not when it starts to fade.
CLOSED = """() => !document.body.classList.contains('modal-open')
  && !document.querySelector('.modal, .modal-backdrop')"""


def close_dialog(page: Any) -> None:
    page.locator(f"{DIALOG} button.close").click()
    page.wait_for_function(CLOSED)


@pytest.fixture
def dialog_screens(site: Site) -> dict[str, str]:  # noqa: F811
    """The editors of the article and of the bulletin's home, the section's explorer."""
    from ctip.portal.models import ArticlePage

    article = ArticlePage.objects.get(title=site.article_title)
    section = article.get_parent()
    return {
        "article": reverse("wagtailadmin_pages:edit", args=[article.pk]),
        "home": reverse("wagtailadmin_pages:edit", args=[section.get_parent().pk]),
        "section": reverse("wagtailadmin_explore", args=[section.pk]),
    }


def select_text(page: Any) -> None:
    """Select the last line of the article's first paragraph: the editor's toolbar shows."""
    editor = page.locator("#main .Draftail-Editor [contenteditable=true]").first
    editor.click()
    editor.press("End")
    editor.press("Shift+Home")
    page.locator("#main .Draftail-FloatingToolbar").wait_for(state="visible")


@pytest.mark.parametrize("role", ROLES)
def test_every_cms_dialog_and_toolbar_fits_a_phone(role: str, dialog_screens: dict[str, str],
                                                   browse: Any, e2e: E2E,
                                                   axe_source: Any) -> None:
    """What opens on a screen rather than as a screen: the rich-text editor's toolbar and its
    block menus, the choosers (Wagtail's dialogs: a page or a link, a document, an image, the
    home's featured story) with their tabs, the explorer's bulk actions bar and the screens its
    buttons lead to. Each is opened as she opens it, with a tap, and measured where it shows."""
    page = browse.new_page()
    browse.sign_in(page, e2e.users[role], next_url=reverse("wagtailadmin_home"))
    problems: dict[str, list[str]] = {}

    def check(step: str, found: list[str]) -> None:
        if found:
            problems[step] = found

    def settled() -> list[str]:
        page.evaluate(SETTLED)
        return problems_of(page, axe_source)

    # The rich-text editor: focused, a line selected (the toolbar), its "+" menu of blocks.
    page.goto(dialog_screens["article"])
    page.locator("#main .Draftail-Editor [contenteditable=true]").first.click()
    check("rich text, focused", settled())
    select_text(page)
    check("rich text, toolbar", settled())
    page.locator("#main .Draftail-Editor--focus .Draftail-BlockToolbar__trigger").click()
    page.locator("#main .w-combobox").wait_for(state="visible")
    check("rich text, + menu", settled())
    page.keyboard.press("Escape")
    page.locator("#main .w-combobox").wait_for(state="detached")

    # The link button: the page chooser and its kinds of link.
    select_text(page)
    page.locator("#main .Draftail-FloatingToolbar button[name=LINK]").click()
    check("link: page chooser", dialog_problems(page, axe_source))
    kinds = page.locator(f"{DIALOG} .link-types a").all_inner_texts()
    assert kinds, "the link chooser offers no other kind of link"
    for kind in kinds:
        page.locator(f"{DIALOG} .link-types a", has_text=kind).click()
        page.locator(f"{DIALOG} .link-types b", has_text=kind).wait_for()
        check(f"link: {kind}", dialog_problems(page, axe_source))
    close_dialog(page)

    # The document button: the document chooser, its search and its upload.
    select_text(page)
    page.locator("#main .Draftail-FloatingToolbar button[name=DOCUMENT]").click()
    check("document chooser", dialog_problems(page, axe_source))
    page.locator(f"{DIALOG} [role=tab][href='#tab-upload']").click()
    page.locator(f"{DIALOG} #tab-upload input[type=file]").wait_for(state="visible")
    check("document chooser: upload", dialog_problems(page, axe_source))
    close_dialog(page)

    # "/" on a new line: the command palette (the editor's blocks, typed for).
    editor = page.locator("#main .Draftail-Editor [contenteditable=true]").first
    editor.click()
    editor.press("End")
    editor.press("Enter")
    editor.type("/")
    page.locator("#main .w-combobox").wait_for(state="visible")
    check("rich text, / palette", settled())
    page.keyboard.press("Escape")

    # The sharing image (the promote tab): the image chooser, its search and its upload.
    page.goto(dialog_screens["article"])
    page.locator("#main [role=tab][href='#tab-quang_ba']").click()
    page.locator("#main #tab-quang_ba [data-chooser-action-choose]").click()
    check("image chooser", dialog_problems(page, axe_source))
    page.locator(f"{DIALOG} [role=tab][href='#tab-upload']").click()
    page.locator(f"{DIALOG} #tab-upload input[type=file]").wait_for(state="visible")
    check("image chooser: upload", dialog_problems(page, axe_source))
    close_dialog(page)

    # The home's featured story: the page chooser limited to articles.
    page.goto(dialog_screens["home"])
    page.locator("#main [data-chooser-action-choose]").first.click()
    check("featured story chooser", dialog_problems(page, axe_source))
    close_dialog(page)

    # The section's explorer: two articles selected, the bulk actions bar shows on the screen.
    page.goto(dialog_screens["section"])
    rows = page.locator("#main input[type=checkbox][data-bulk-action-checkbox]")
    rows.nth(0).check()
    rows.nth(1).check()
    bar = page.locator("#main .bulk-actions-choices:not(.hidden)")
    bar.wait_for(state="visible")
    found = settled()
    box = bar.bounding_box()
    if box["y"] < 0 or box["y"] + box["height"] > PHONE["height"] + 1:
        found.append(f"bar is off the screen: {box}")
    check("bulk actions", found)
    actions = bar.locator("a.bulk-action-btn")
    names = actions.all_inner_texts()
    assert names, "the bulk actions bar has no action"
    for n, name in enumerate(names):
        if n:  # back to the listing, the same two selected
            page.goto(dialog_screens["section"])
            rows.nth(0).check()
            rows.nth(1).check()
        with page.expect_navigation():
            bar.locator("a.bulk-action-btn", has_text=name).first.click()
        assert "/bulk/" in page.url, (name, page.url)
        check(f"bulk action: {name.strip()}", settled())

    dump = os.environ.get("CTIP_PHONE_WALK_DUMP")  # to list every finding while fixing them
    if dump:
        Path(dump, f"cms-dialogs-{role}.json").write_text(json.dumps(problems, ensure_ascii=False,
                                                                     indent=1))
    assert not problems, problems
