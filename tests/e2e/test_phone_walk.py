"""Issue 15.8: every role walks every page its navigation reaches, on a 360 × 740 phone in
Chromium: no page wider than the screen, no tap target under 44 px in the main content, and
axe-core finds no WCAG A/AA violation.

The roles that must pass two-step sign-in (system administrator, case worker) sign in with
their authenticator's code, as the others with their password."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PHONE
from tests.e2e.test_shell import run_axe

ROLES = ["system_admin", "province_officer", "commune_officer", "branch_head", "speaker",
         "case_worker", "editor", "publisher", "auditor", "viewer"]

# Targets in <main> (or in the element the argument selects) smaller than 44 × 44 px, leaving
# out links inside running text (WCAG 2.5.8 exempts them: the sentence is the target); a box or
# a round choice is tapped through its label, so its label is measured instead. What nobody can
# see is not a target: an element without a box, hidden (visibility, opacity 0), placed wholly
# left of or above the page, or clipped away as text for screen readers only (Wagtail's
# w-sr-only, ctip's visually-hidden) -- a dialog or a bar that appears later is measured by the
# same rules where it shows.
SMALL_TARGETS = """(root) => {
  root = root || 'main';  // Playwright passes null, not undefined, when given no argument
  const out = [];
  const unseen = (el) => {
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) return true;
    const box = el.getBoundingClientRect();
    if (box.right <= 0 || box.bottom + window.scrollY <= 0) return true;
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.clip === 'rect(0px, 0px, 0px, 0px)' || s.clipPath === 'inset(50%)') return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll(
      ['a[href]', 'button', 'select', 'summary', 'input:not([type=hidden])']
        .map((kind) => `${root} ${kind}`).join(', '))) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || unseen(el)) continue;
    if ((el.type === 'checkbox' || el.type === 'radio') && el.labels && el.labels.length) {
      const high = Math.max(...Array.from(el.labels, l => l.getBoundingClientRect().height));
      if (high < 43.5) out.push(`label of ${el.type} "${el.name}" ${Math.round(high)} px high`);
      continue;
    }
    if (el.tagName === 'A') {
      const parent = el.parentElement;
      const inline = getComputedStyle(el).display === 'inline'
        && parent && parent.textContent.trim().length > el.textContent.trim().length + 2;
      if (inline) continue;
    }
    if (box.height < 43.5 || box.width < 24) {
      out.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.name || '').trim()
        .slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_navigation_fits_a_phone(role: str, browse: Any, e2e: Any,
                                                   axe_source: Any) -> None:
    page = browse.new_page()
    browse.sign_in(page, e2e.users[role])
    hrefs = page.locator("header nav a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    problems: dict[str, list[str]] = {}
    # The menu's "Bản tin" leads out of the staff app into Wagtail's admin, which has its own
    # layout (and its own header): the walk covers ctip's pages.
    for href in [*(h for h in hrefs if not h.startswith("/cms/")), "/accounts/profile/"]:
        page.goto(href)
        found = []
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            found.append(f"page is {width} px wide")
        header = page.locator("header").bounding_box()["height"]
        if header > 0.15 * PHONE["height"]:
            found.append(f"header is {header:.0f} px high")
        found += [f"small target: {t}" for t in page.evaluate(SMALL_TARGETS)]
        found += [f"axe: {v}" for v in run_axe(page, axe_source)]
        if found:
            problems[href] = found
    dump = os.environ.get("CTIP_PHONE_WALK_DUMP")  # to list every finding while fixing them
    if dump:
        Path(dump, f"{role}.json").write_text(json.dumps(problems, ensure_ascii=False, indent=1))
    assert not problems, problems
