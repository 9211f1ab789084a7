"""The daily digest of situations, and the deadline wording shared with the inbox.

The digest tells the people who handle situations what is overdue or falls due before the next
digest. It carries codes, categories, urgencies, units and deadlines: never what happened,
names, addresses or contacts, because e-mail leaves the system and may be read on a shared
phone. Everything here reads; ``tasks.send_daily_digest`` writes (notifications, e-mails,
the audit event).

Who receives an item: the holders of ``situation.manage`` nearest to the unit handling it (the
unit itself or, for a branch whose heads only report, the commune above it); an overdue item
also goes to the holders nearest to the parent unit, as the parent's inbox shows it too.

Unreviewed break-glass flags (identities opened outside an assignment) go to their reviewers,
the level above the one who opened them (``cases.review.reviewers_of``): the person's and the
case's codes, who, when and the category, never the reason.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ctip.accounts.capabilities import ROLE_CAPABILITIES
from ctip.accounts.models import RoleAssignment, User
from ctip.cases.deadlines import due_within_q, is_overdue
from ctip.cases.models import BreakGlass, Situation
from ctip.cases.review import reviewers_of
from ctip.org.models import Unit

# Items falling due before the next digest are listed with the overdue ones.
DIGEST_WINDOW = dt.timedelta(hours=24)
MANAGE = "situation.manage"


# --- Deadline wording ------------------------------------------------------------------------

def deadline_text(due_at: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """"in 3 h", "5 h late", "in 2 days", "40 min late": how far a deadline is from now."""
    if due_at is None:
        return ""
    now = now or timezone.now()
    late = is_overdue(due_at, now)
    minutes = int(abs((due_at - now).total_seconds()) // 60)
    if minutes < 60:
        n = max(minutes, 1)
        return (ngettext("%(n)d min late", "%(n)d min late", n) if late
                else ngettext("in %(n)d min", "in %(n)d min", n)) % {"n": n}
    hours = minutes // 60
    if hours < 48:
        return (ngettext("%(n)d h late", "%(n)d h late", hours) if late
                else ngettext("in %(n)d h", "in %(n)d h", hours)) % {"n": hours}
    days = hours // 24
    return (ngettext("%(n)d day late", "%(n)d days late", days) if late
            else ngettext("in %(n)d day", "in %(n)d days", days)) % {"n": days}


def deadline_text_until(due_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The moment after which ``deadline_text(due_at, …)`` reads otherwise than at ``now``
    (the words at any moment up to it, included, are those at ``now``): the next minute, hour
    or day (as the words count) to pass, or the deadline itself."""
    minute = dt.timedelta(minutes=1)
    if not is_overdue(due_at, now):  # counting down: the count drops after a whole unit
        left = due_at - now
        if left < 2 * minute:  # "in 1 min" (the words never say 0) until the deadline
            return due_at
        unit = (minute if left < 60 * minute else 60 * minute if left < 48 * 60 * minute
                else 24 * 60 * minute)
        return now + left % unit
    late = now - due_at  # counting up: it grows when the next whole unit is reached
    if late < minute:  # "1 min late" from the deadline until two minutes after it
        return due_at + 2 * minute - dt.timedelta(microseconds=1)
    unit = (minute if late < 60 * minute else 60 * minute if late < 48 * 60 * minute
            else 24 * 60 * minute)
    return now + (unit - late % unit) - dt.timedelta(microseconds=1)


def local_deadline(due_at: dt.datetime | None) -> str:
    """dd/mm/yyyy hh:mm in the local time zone."""
    return timezone.localtime(due_at).strftime("%d/%m/%Y %H:%M") if due_at else ""


# --- What the digest lists -------------------------------------------------------------------

@dataclass
class DigestItem:
    code: str
    category: str
    urgency: str
    unit: str  # the unit handling it now
    due_at: dt.datetime
    deadline: str  # dd/mm/yyyy hh:mm
    relative: str  # "5 h late"
    overdue: bool


@dataclass
class UnitSection:
    unit: Unit
    overdue: list[DigestItem] = field(default_factory=list)
    due_soon: list[DigestItem] = field(default_factory=list)


@dataclass
class FlagItem:
    person: str  # codes only
    case: str
    opened_by: str
    at: str  # dd/mm/yyyy hh:mm
    category: str
    kind: str


@dataclass
class Digest:
    user: Any
    sections: list[UnitSection] = field(default_factory=list)
    flags: list[FlagItem] = field(default_factory=list)

    @property
    def overdue_count(self) -> int:
        return sum(len(s.overdue) for s in self.sections)

    @property
    def due_soon_count(self) -> int:
        return sum(len(s.due_soon) for s in self.sections)


def pending_situations(now: dt.datetime) -> list[Situation]:
    """Open situations overdue or due within the window, with only the fields the digest
    may show loaded (the encrypted narrative is never read)."""
    return list(
        Situation.objects.filter(due_within_q(DIGEST_WINDOW, now),
                                 handling_unit__closed_on__isnull=True)
        .exclude(state__in=[Situation.State.CLOSED, Situation.State.REFERRED])
        .select_related("handling_unit")
        .only("code", "category", "urgency", "due_at", "state", "handling_unit",
              "handling_unit__name", "handling_unit__path", "handling_unit__parent_id")
        .order_by("due_at", "pk"))


def _manage_roles() -> list[str]:
    return [role for role, caps in ROLE_CAPABILITIES.items() if MANAGE in caps]


def _holders_by_unit(unit_ids: set[int]) -> dict[int, set[int]]:
    """Active users holding ``situation.manage`` through a role held *at* each unit."""
    holders: dict[int, set[int]] = defaultdict(set)
    rows = (RoleAssignment.objects.active()
            .filter(unit_id__in=unit_ids, unit__closed_on__isnull=True,
                    role__in=_manage_roles(), user__is_active=True)
            .values_list("unit_id", "user_id"))
    for unit_id, user_id in rows:
        holders[unit_id].add(user_id)
    return holders


def _nearest(chain: list[int], holders: dict[int, set[int]]) -> set[int]:
    """The holders at the first unit of ``chain`` (nearest first) that has any."""
    for unit_id in chain:
        if holders.get(unit_id):
            return holders[unit_id]
    return set()


def build_digests(now: dt.datetime | None = None) -> list[Digest]:
    """One digest per recipient, with a section per unit she is responsible for."""
    now = now or timezone.now()
    situations = pending_situations(now)
    per_user: dict[int, dict[int, UnitSection]] = defaultdict(dict)
    flags_per_user = _flags_per_user()
    if not situations and not flags_per_user:
        return []
    chains = {s.handling_unit_id: list(reversed(s.handling_unit.ancestor_ids()))
              for s in situations}
    holders = _holders_by_unit({u for chain in chains.values() for u in chain})
    # user id → unit id → section
    for situation in situations:
        due_at = situation.due_at
        assert due_at is not None  # noqa: S101  (filtered on it above)
        overdue = is_overdue(due_at, now)
        item = DigestItem(
            code=situation.code, category=situation.get_category_display(),
            urgency=situation.get_urgency_display(), unit=situation.handling_unit.name,
            due_at=due_at, deadline=local_deadline(due_at),
            relative=deadline_text(due_at, now), overdue=overdue)
        chain = chains[situation.handling_unit_id]
        recipients = set(_nearest(chain, holders))
        if overdue:
            recipients |= _nearest(chain[1:], holders)
        for user_id in recipients:
            section = per_user[user_id].setdefault(
                situation.handling_unit_id, UnitSection(unit=situation.handling_unit))
            (section.overdue if overdue else section.due_soon).append(item)
    recipients_all = set(per_user) | set(flags_per_user)
    users = User.objects.in_bulk(list(recipients_all))
    digests = []
    for user_id in sorted(recipients_all):
        sections = sorted(per_user.get(user_id, {}).values(), key=lambda s: s.unit.path)
        digests.append(Digest(user=users[user_id], sections=sections,
                              flags=flags_per_user.get(user_id, [])))
    return digests


def _flags_per_user() -> dict[int, list[FlagItem]]:
    flags = list(BreakGlass.objects.filter(reviewed_at__isnull=True)
                 .select_related("person", "case", "user")
                 .only("pk", "at", "category", "kind", "actor_path", "user_id",
                       "person__code", "case__code", "user__username", "user__full_name")
                 .order_by("at", "pk"))
    result: dict[int, list[FlagItem]] = defaultdict(list)
    reviewers = reviewers_of(flags)
    for flag in flags:
        item = FlagItem(person=flag.person.code, case=flag.case.code if flag.case else "",
                        opened_by=str(flag.user), at=local_deadline(flag.at),
                        category=str(flag.get_category_display()),
                        kind=str(flag.get_kind_display()))
        for user_id in reviewers[flag.pk]:
            result[user_id].append(item)
    return result


def digest_title(digest: Digest) -> str:
    situations = _("Situations: %(overdue)d overdue, %(soon)d due within 24 hours") % {
        "overdue": digest.overdue_count, "soon": digest.due_soon_count}
    if not digest.flags:
        return situations
    flags = ngettext("%(n)d identity opened outside an assignment to review",
                     "%(n)d identities opened outside an assignment to review",
                     len(digest.flags)) % {"n": len(digest.flags)}
    return f"{situations}; {flags}" if digest.sections else flags
