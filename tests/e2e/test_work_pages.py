"""The pages officers work in every day, in a real browser at phone width: the campaign
progress page, the situation inbox, the club registry and a restructuring's page. Their
states (done, on track, behind; overdue, due soon; active, paused, dissolved) show as a word
*and* a colour with enough contrast, nothing scrolls sideways, and axe-core finds no WCAG A/AA
violation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from tests.e2e.conftest import E2E, PHONE
from tests.e2e.test_shell import assert_no_horizontal_overflow, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.presentation]

COLOURS_JS = """(selector) => [...document.querySelectorAll(selector)].map(el => {
  const s = getComputedStyle(el);
  return {text: el.textContent.trim(), bg: s.backgroundColor, fg: s.color};
})"""


PLAIN_BADGE_JS = """() => {
  const el = document.createElement('span');
  el.className = 'badge';
  document.querySelector('main').append(el);
  const bg = getComputedStyle(el).backgroundColor;
  el.remove();
  return bg;
}"""


@dataclass
class Work:
    campaign_url: str
    inbox_url: str
    clubs_url: str
    restructurings: list[str]


@pytest.fixture
def work(e2e: E2E, tree: Any, users: dict[str, Any], formats: dict[str, Any]) -> Iterator[Work]:
    """A July campaign with one commune done and one behind, an overdue and a fresh situation,
    and clubs in each state: committed before the test opens a page."""
    from django.utils import timezone

    from ctip.cases.actions import create_situation
    from ctip.cases.models import Situation
    from ctip.community.actions import change_club_status, create_club
    from ctip.community.models import ClubType
    from ctip.outreach import actions
    from tests.conftest import log_activity

    officer = users["province_officer"]
    campaign = actions.create_campaign(actor=officer, unit=tree.province,
                                       name="Tháng hành động 30/7/2026",
                                       starts_on=dt.date(2026, 7, 1),
                                       ends_on=dt.date(2026, 7, 31))
    actions.set_targets(actor=officer, campaign=campaign, targets={
        tree.commune_a: (1, 20, 0), tree.commune_b: (10, 500, 0)})
    log_activity(tree.commune_a, formats["meeting"], actor=officer, campaign=campaign)
    log_activity(tree.commune_b, formats["meeting"], actor=officer, campaign=campaign)

    old = create_situation(actor=officer, unit=tree.commune_a, category="recruitment",
                           description="Tin tuyển người đi làm ở nước ngoài, lương cao bất "
                                       "thường", source="member")
    Situation.objects.filter(pk=old.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=5))
    create_situation(actor=officer, unit=tree.commune_a, category="missing",
                     description="Con gái đi làm xa chưa liên lạc về", source="member",
                     urgency="urgent")

    club_type = ClubType.objects.order_by("pk").first()
    for n, status in enumerate(("active", "paused", "dissolved")):
        club = create_club(actor=officer, unit=tree.commune_a, club_type=club_type,
                           name=f"Câu lạc bộ Gia đình hạnh phúc ấp {n + 1}",
                           founded_on=dt.date(2024, 3, 8))
        if status != "active":
            change_club_status(actor=officer, club=club, status=status,
                               changed_on=dt.date(2026, 6, 1), reason="Thiếu người sinh hoạt")
    # a province-sized move done in the background, and one refused when it ran
    from ctip.units.models import Restructuring

    kept = [Restructuring.objects.create(
        kind=kind, owner=officer, unit=unit, unit_name=unit.name, params={}, status=status,
        result_unit=unit if status == "done" else None, message=message)
        for kind, unit, status, message in (
            ("merge", tree.commune_b, "done", ""),
            ("split", tree.branch_b1, "queued", ""),
            ("move", tree.branch_a1, "failed", "Không thể chuyển một đơn vị vào chính nó hoặc "
                                               "một đơn vị bên dưới nó. Chưa có gì thay đổi."))]
    yield Work(campaign_url=reverse("outreach:campaign_detail", args=[campaign.pk]),
               inbox_url=reverse("cases:inbox"), clubs_url=reverse("community:club_list"),
               restructurings=[reverse("org:restructuring", args=[r.pk]) for r in kept])


def colours(page: Any, selector: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = page.evaluate(COLOURS_JS, selector)
    assert found, f"nothing matches {selector} on {page.url}"
    return found


def test_work_pages_show_states_in_colour_fit_a_phone_and_pass_axe(
        work: Work, browse: Any, e2e: E2E, axe_source: Any) -> None:
    page = browse.new_page(viewport=PHONE)
    browse.sign_in(page, e2e.users["province_officer"])
    found: dict[str, list[str]] = {}

    page.goto(work.campaign_url)
    done = colours(page, "tbody .badge.level-done")
    behind = colours(page, "tbody .badge.level-behind")
    assert all(b["text"] for b in done + behind)  # a word, not a colour alone
    assert {b["bg"] for b in done}.isdisjoint({b["bg"] for b in behind})
    assert {b["fg"] for b in done}.isdisjoint({b["fg"] for b in behind})
    assert_no_horizontal_overflow(page)
    found["campaign progress"] = run_axe(page, axe_source)

    page.goto(work.inbox_url)
    overdue = colours(page, ".badge.overdue")
    plain = page.evaluate(PLAIN_BADGE_JS)
    assert all(b["text"] for b in overdue)
    assert {b["bg"] for b in overdue} != {plain}
    assert_no_horizontal_overflow(page)
    found["inbox"] = run_axe(page, axe_source)

    page.goto(work.clubs_url)
    states = {state: colours(page, f"tbody .badge.status-{state}")[0]["bg"]
              for state in ("active", "paused", "dissolved")}
    assert len(set(states.values())) == 3, states
    assert_no_horizontal_overflow(page)
    found["club registry"] = run_axe(page, axe_source)

    done, waiting, failed = work.restructurings
    for url in (done, failed):  # the page of a restructuring run in the background
        page.goto(url)
        assert page.locator("h1").inner_text().startswith("Việc ")
        assert_no_horizontal_overflow(page)
        found[url] = run_axe(page, axe_source)
    # one waiting: the page asks for its state again and shows it once done, by itself
    from ctip.units.models import Restructuring

    page.goto(waiting)
    assert page.locator("#restructuring-state").get_attribute("hx-trigger") == "every 3s"
    assert_no_horizontal_overflow(page)
    job = Restructuring.objects.get(status="queued")
    Restructuring.objects.filter(pk=job.pk).update(status="done", result_unit=job.unit)
    page.locator("#restructuring a.button").wait_for(timeout=15_000)
    assert page.url.endswith(waiting)  # updated in place, not reloaded

    report = [f"{name}: {v}" for name, items in found.items() for v in items]
    assert not report, "axe-core found WCAG A/AA violations:\n" + "\n".join(report)
