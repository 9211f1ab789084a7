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

pytestmark = [pytest.mark.e2e, pytest.mark.presentation]

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


# Tables squeezed on a phone (issue 15.5: a table scrolls inside its own box rather than crush
# its columns). In the tables of <main> (or of the element the argument selects): a table whose
# box does not scroll sideways (no ancestor up to the root with overflow-x other than visible)
# and a cell whose text is laid out (nearly) one word per line -- a run of text of two words or
# more on as many lines as it has words, less than 1.5 words a line on average, or one word
# broken over two lines -- or a cell holding six characters or more in a column narrower than
# six characters (3em of its font). The lines of a run of text are the distinct tops of the
# boxes the browser draws for it (Range.getClientRects), so a line break of the markup (two
# runs) is not a squeeze. Text nobody can see (hidden, clipped for screen readers only) is left
# out, as in SMALL_TARGETS. Each finding names the table, the cell's text and its width.
SQUEEZED = """(root) => {
  root = root || 'main';  // Playwright passes null, not undefined, when given no argument
  const out = [];
  const clipped = (el, stop) => {
    for (let a = el; a && a !== stop.parentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.clip === 'rect(0px, 0px, 0px, 0px)' || s.clipPath === 'inset(50%)') return true;
    }
    return false;
  };
  const label = (table, n) => {
    const caption = table.querySelector('caption');
    const name = table.id ? '#' + table.id : (caption ? caption.textContent.trim().slice(0, 40)
      : String(table.className).trim().split(/\\s+/).filter(Boolean).map((c) => '.' + c).join(''));
    return `table ${n + 1}${name ? ' ' + name : ''}`;
  };
  const top = document.querySelector(root);
  if (!top) return out;
  const tables = [...top.querySelectorAll('table')].filter((t) => t.checkVisibility());
  tables.forEach((table, n) => {
    if (clipped(table, top)) return;
    let scrolls = false;
    for (let a = table.parentElement; a && a !== top.parentElement; a = a.parentElement) {
      const x = getComputedStyle(a).overflowX;
      if (x === 'auto' || x === 'scroll') { scrolls = true; break; }
    }
    if (!scrolls) out.push(`${label(table, n)}: not in a box that scrolls sideways`);
    for (const cell of table.querySelectorAll('td, th')) {
      if (!cell.checkVisibility({visibilityProperty: true}) || clipped(cell, table)) continue;
      const text = cell.innerText.replace(/\\s+/g, ' ').trim();
      if (!text) continue;
      const style = getComputedStyle(cell);
      const width = cell.clientWidth - parseFloat(style.paddingLeft)
        - parseFloat(style.paddingRight);
      const em = parseFloat(style.fontSize);
      let squeezed = text.length >= 6 && width < 3 * em;
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node && !squeezed; node = walker.nextNode()) {
        const words = node.textContent.trim().split(/\\s+/).filter(Boolean).length;
        if (!words || !node.parentElement.checkVisibility({visibilityProperty: true})
            || clipped(node.parentElement, cell)) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const tops = [...range.getClientRects()].filter((r) => r.width > 0)
          .map((r) => r.top).sort((a, b) => a - b);
        let lines = 0, last = -Infinity;
        for (const t of tops) { if (t - last > em / 2) { lines += 1; last = t; } }
        squeezed = lines >= 2 && (words === 1 || words / lines < 1.5);
      }
      if (squeezed) out.push(`${label(table, n)}: "${text.slice(0, 40)}" ${Math.round(width)} px`);
    }
  });
  return [...new Set(out)].slice(0, 12);  // the same cell in every row is said once
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
        found += [f"squeezed: {t}" for t in page.evaluate(SQUEEZED)]
        found += [f"axe: {v}" for v in run_axe(page, axe_source)]
        if found:
            problems[href] = found
    dump = os.environ.get("CTIP_PHONE_WALK_DUMP")  # to list every finding while fixing them
    if dump:
        Path(dump, f"{role}.json").write_text(json.dumps(problems, ensure_ascii=False, indent=1))
    assert not problems, problems
