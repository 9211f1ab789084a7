"""Writes for clubs, prevention models and cross-border exchanges. Each runs in one
transaction and writes its audit event.

Rules kept here, whoever writes (form, import, API):

- a club is recorded where the actor holds ``activity.manage`` (a branch head only in her
  branch), in an open unit, founded on a real date that is not in the future;
- a paused or dissolved club says since when and why;
- a replica names a prevention model the actor can see (in any commune of her scope), founded
  no later than the replica; lineage never loops;
- a club is integrated only into a club of the same commune that is not dissolved;
- when a club keeps a member list (names only), its member count is the length of the list;
  without a list, the count is typed in;
- an exchange with the other side of the border is recorded at a unit flagged as a border area.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ctip.accounts.policy import require
from ctip.audit.actions import record
from ctip.catalogues.models import Audience, Movement, Topic
from ctip.community.models import (
    Club,
    ClubMember,
    ClubMemberCount,
    ClubStatusChange,
    ClubType,
    Exchange,
)
from ctip.community.policy import can_see
from ctip.community.selectors import ancestor_ids, commune_of, integration_ancestor_ids
from ctip.core.errors import ActionError, RuleErrors
from ctip.core.periods import guard
from ctip.core.rules import Rules
from ctip.core.text import fold, nfc
from ctip.org.models import Unit
from ctip.org.rules import ensure_open
from ctip.units.selectors import in_area

EARLIEST_DATE = dt.date(1930, 1, 1)
EARLIEST_EXCHANGE = dt.date(2000, 1, 1)
MAX_MEMBERS = 10_000
MAX_EXCHANGE_PARTICIPANTS = 5_000


def _date(value: dt.date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _text(value: str | None, limit: int, label: Any, *, field: str,
          required: bool = False) -> str:
    """NFC text; one line (spaces collapsed) for short fields, kept as typed for long ones."""
    cleaned = " ".join(nfc(value or "").split()) if limit <= 300 else nfc(value or "").strip()
    if required and not cleaned:
        raise ActionError(_("%(field)s is required.") % {"field": label}, field=field)
    if len(cleaned) > limit:
        raise ActionError(_("%(field)s can have at most %(n)d characters.")
                          % {"field": label, "n": limit}, field=field)
    return cleaned


def _past_date(value: dt.date, label: str, *, field: str,
               earliest: dt.date = EARLIEST_DATE) -> None:
    if value > timezone.localdate():
        raise ActionError(_("%(field)s %(date)s is in the future.")
                          % {"field": label, "date": _date(value)}, field=field)
    if value < earliest:
        raise ActionError(_("%(field)s %(date)s is too far in the past.")
                          % {"field": label, "date": _date(value)}, field=field)


def _count(value: int | None, label: Any, *, field: str, limit: int) -> int:
    value = value or 0
    if value < 0:
        raise ActionError(_("%(field)s cannot be negative.") % {"field": label}, field=field)
    if value > limit:
        raise ActionError(_("%(field)s: %(n)d is not plausible (at most %(limit)d).")
                          % {"field": label, "n": value, "limit": limit}, field=field)
    return value


# --- Clubs ----------------------------------------------------------------------------------

#: The fields of a club the indicators count (``reports.indicators._clubs``), dated from its
#: founding; the member count is read as it is today, not per period.
CLUB_COUNTED = frozenset({"founded_on", "is_prevention_model", "unit", "replicated_from"})
CLUB_FIELDS = ("name", "club_type", "unit", "founded_on", "is_prevention_model",
               "member_count", "replicated_from", "integrated_into", "results")


def _check_type(club_type: ClubType, before: ClubType | None = None) -> None:
    if club_type.archived and club_type != before:
        raise ActionError(_("The club type “%(name)s” is archived.") % {"name": club_type.name},
                          field="club_type")


def _check_origin(actor: Any, club: Club | None, origin: Club | None, founded_on: dt.date,
                  *, changed: bool = True) -> None:
    """Check the model a club replicates. An origin kept as it was is not checked again for
    visibility: a commune officer may edit a club whose origin, set by the province, lies in
    a commune she cannot see."""
    if origin is None:
        return
    pk = club.pk if club is not None else None
    if changed:
        if pk is not None and origin.pk == pk:
            raise ActionError(_("A club cannot be replicated from itself."),
                              field="replicated_from")
        origin = Club.objects.filter(pk=origin.pk).first() if origin.pk else None
        if origin is None or not can_see(actor, origin):
            raise ActionError(_("The model named as the origin does not exist or is outside "
                                "what you can see."), field="replicated_from")
        if not origin.is_prevention_model:
            raise ActionError(_("“%(name)s” is not registered as a prevention model, so it "
                                "cannot be the origin of a replica.") % {"name": origin.name},
                              field="replicated_from")
        if pk is not None and pk in ancestor_ids(origin):
            raise ActionError(_("“%(name)s” is itself a replica of this club, directly or "
                                "through other replicas: the lineage would go round in a "
                                "circle.") % {"name": origin.name}, field="replicated_from")
    if origin.founded_on > founded_on:
        raise ActionError(_("The model it replicates was founded on %(origin)s, after "
                            "%(date)s: a club cannot copy a model that did not exist yet.")
                          % {"origin": _date(origin.founded_on), "date": _date(founded_on)},
                          field="replicated_from" if changed else "founded_on")


def _check_integration(actor: Any, club: Club | None, unit: Unit, target: Club | None,
                       *, changed: bool = True, unit_changed: bool = True) -> None:
    if target is None:
        return
    pk = club.pk if club is not None else None
    if changed:
        if pk is not None and target.pk == pk:
            raise ActionError(_("A club cannot be integrated into itself."),
                              field="integrated_into")
        target = (Club.objects.select_related("unit").filter(pk=target.pk).first()
                  if target.pk else None)
        if target is None or not can_see(actor, target):
            raise ActionError(_("The club to integrate into does not exist or is outside what "
                                "you can see."), field="integrated_into")
        if target.status == Club.Status.DISSOLVED:
            raise ActionError(_("“%(name)s” is dissolved; a club cannot be integrated into "
                                "it.") % {"name": target.name}, field="integrated_into")
        if pk is not None and pk in integration_ancestor_ids(target):
            raise ActionError(_("“%(name)s” is itself integrated into this club: the two "
                                "would go round in a circle.") % {"name": target.name},
                              field="integrated_into")
    if changed or unit_changed:
        here, there = commune_of(unit), commune_of(target.unit)
        if here.pk != there.pk:
            raise ActionError(_("A club can be integrated only into a club of the same "
                                "commune: the club chosen belongs to %(other)s, this one to "
                                "%(here)s.") % {"other": there.name, "here": here.name},
                              field="integrated_into")


def _check_duplicate(unit: Unit, name: str, club_type: ClubType,
                     exclude_pk: int | None = None) -> None:
    clubs = Club.objects.filter(unit=unit, name_folded=fold(name), club_type=club_type)
    if exclude_pk is not None:
        clubs = clubs.exclude(pk=exclude_pk)
    clash = clubs.first()
    if clash is not None:
        raise ActionError(_("“%(name)s” is already registered at %(unit)s.")
                          % {"name": clash.name, "unit": unit.name}, field="name")


# A club's rules, declared once (decision 0050): ``create_club`` and ``update_club`` run them,
# and the club form runs those whose inputs are valid when one of its fields fails. ``actor``
# and ``current`` (the club being edited) are given by the caller.
CLUB_RULES = Rules()
CLUB_RULES.cleans("name", partial(_text, limit=300, label=gettext_lazy("Name"), field="name",
                                  required=True))
CLUB_RULES.cleans("results", partial(_text, limit=5000, label=gettext_lazy("Results"),
                                     field="results"))
CLUB_RULES.cleans("member_count", partial(_count, label=gettext_lazy("Members"),
                                          field="member_count", limit=MAX_MEMBERS))


@CLUB_RULES.rule("founded_on", field="founded_on")
def _club_founded(founded_on: dt.date) -> None:
    _past_date(founded_on, _("The founding date"), field="founded_on")


@CLUB_RULES.rule("club_type", field="club_type")
def _club_type(club_type: ClubType, current: Club | None = None) -> None:
    _check_type(club_type, current.club_type if current is not None else None)


@CLUB_RULES.rule("unit", "name", "club_type", field="name")
def _club_unique(unit: Unit, name: str, club_type: ClubType,
                 current: Club | None = None) -> None:
    try:
        name = _text(name, 300, _("Name"), field="name", required=True)
    except ActionError:
        return  # the name's own rule says what is wrong with it
    _check_duplicate(unit, name, club_type, current.pk if current is not None else None)


@CLUB_RULES.rule("actor", "replicated_from", "founded_on", field="replicated_from")
def _club_origin(actor: Any, replicated_from: Club | None, founded_on: dt.date,
                 current: Club | None = None) -> None:
    before = current if current is not None else Club()
    _check_origin(actor, current, replicated_from, founded_on,
                  changed=replicated_from != before.replicated_from)


@CLUB_RULES.rule("actor", "unit", "integrated_into", field="integrated_into")
def _club_integration(actor: Any, unit: Unit, integrated_into: Club | None,
                      current: Club | None = None) -> None:
    before = current if current is not None else Club()
    _check_integration(actor, current, unit, integrated_into,
                       changed=integrated_into != before.integrated_into,
                       unit_changed=current is None or unit != current.unit)


def _validate_club(actor: Any, club: Club | None, values: dict[str, Any]) -> dict[str, Any]:
    """The rules of a club's values (``CLUB_RULES``); every one broken is reported at once."""
    return values | CLUB_RULES.check(
        {"replicated_from": None, "integrated_into": None, "results": "", "member_count": 0}
        | values | {"actor": actor, "current": club})


def _check_catalogue(items: Iterable[Audience | Movement], before: Iterable[Any] = ()
                     ) -> list[Any]:
    items = list(items)
    kept = {i.pk for i in before}
    for item in items:
        if item.archived and item.pk not in kept:
            raise ActionError(_("“%(name)s” is archived.") % {"name": item.name})
    return items


# What creating a club checks besides: its unit open, the periods from its founding on open
# (a club counts as active in each), and the catalogue entries it names not archived.
NEW_CLUB_RULES = Rules()


@NEW_CLUB_RULES.rule("unit", field="unit")
def _club_unit_open(unit: Unit) -> None:
    ensure_open(unit)


@NEW_CLUB_RULES.rule("unit", "founded_on", field="founded_on")
def _club_periods(unit: Unit, founded_on: dt.date) -> None:
    try:
        _past_date(founded_on, _("The founding date"), field="founded_on")
    except ActionError:
        return  # the date's own rule says what is wrong with it
    guard(unit_path=unit.path, spans=[(founded_on, None)], field="founded_on")


NEW_CLUB_RULES.cleans("target_groups", _check_catalogue)
NEW_CLUB_RULES.cleans("movements", _check_catalogue)
NEW_CLUB_RULES = NEW_CLUB_RULES + CLUB_RULES


@transaction.atomic
def create_club(
    *, actor: Any, unit: Unit, name: str, club_type: ClubType, founded_on: dt.date,
    is_prevention_model: bool = False, member_count: int | None = 0,
    replicated_from: Club | None = None, integrated_into: Club | None = None,
    results: str = "", target_groups: Iterable[Audience] = (),
    movements: Iterable[Movement] = (),
) -> Club:
    require(actor, "activity.manage", unit)
    values: dict[str, Any] = {
        "name": name, "club_type": club_type, "unit": unit, "founded_on": founded_on,
        "is_prevention_model": is_prevention_model, "member_count": member_count,
        "replicated_from": replicated_from, "integrated_into": integrated_into,
        "results": results}
    cleaned = NEW_CLUB_RULES.check(values | {"actor": actor, "target_groups": target_groups,
                                             "movements": movements})
    target_groups, movements = cleaned.pop("target_groups"), cleaned.pop("movements")
    values |= cleaned
    club = Club.objects.create(unit_path=unit.path, created_by=actor,
                               name_folded=fold(values["name"]), **values)
    ClubMemberCount.objects.create(club=club, on=club.founded_on, count=club.member_count)
    club.target_groups.set(target_groups)
    club.movements.set(movements)
    record(actor=actor, action="club.created", target=club, unit_path=unit.path,
           changes={"type": club_type.code, "founded_on": founded_on,
                    "prevention_model": is_prevention_model,
                    "replicated_from": replicated_from, "integrated_into": integrated_into})
    return club


@transaction.atomic
def update_club(*, actor: Any, club: Club, target_groups: Iterable[Audience] | None = None,
                movements: Iterable[Movement] | None = None, **changes: Any) -> Club:
    club = (Club.objects.select_for_update(of=("self",))
            .select_related("unit", "club_type", "replicated_from", "integrated_into")
            .get(pk=club.pk))
    require(actor, "activity.manage", club.unit)
    unknown = set(changes) - set(CLUB_FIELDS)
    if unknown:
        raise ActionError(f"unknown fields: {sorted(unknown)}")
    values = {f: getattr(club, f) for f in CLUB_FIELDS} | changes
    unit = values["unit"]
    if unit != club.unit:
        require(actor, "activity.manage", unit)
    ensure_open(unit)
    members = club.members.count()
    if members and values["member_count"] != members:
        raise ActionError(_("This club keeps a list of %(n)d members, so the count follows "
                            "the list: add or remove names instead.") % {"n": members},
                          field="member_count")
    values = _validate_club(actor, club, values)
    first_change = club.status_changes.order_by("on", "pk").first()
    if first_change is not None and values["founded_on"] > first_change.on:
        raise ActionError(_("The founding date cannot be after the date of the status change "
                            "(%(date)s).") % {"date": _date(first_change.on)},
                          field="founded_on")
    early = (club.replicas.filter(founded_on__lt=values["founded_on"])
             .order_by("founded_on").first())
    if early is not None:
        raise ActionError(_("A replica of this model was founded on %(date)s, before this "
                            "date.") % {"date": _date(early.founded_on)}, field="founded_on")
    diff = {f: [getattr(club, f), v] for f, v in values.items() if getattr(club, f) != v}
    if set(diff) & CLUB_COUNTED:
        # What the indicators count changes in every period from the (earlier) founding on,
        # at the old unit and the new one.
        guard(unit_path=[club.unit_path, unit.path],
              spans=[(min(club.founded_on, values["founded_on"]), None)],
              field="founded_on" if "founded_on" in diff else None)
    if "founded_on" in diff:  # the count recorded at the founding moves with it
        club.member_counts.filter(on=club.founded_on).update(on=values["founded_on"])
    if "member_count" in diff:
        _count_from_today(club, values["member_count"])
    for key, value in values.items():
        setattr(club, key, value)
    club.name_folded = fold(club.name)
    old_path = club.unit_path
    if "unit" in diff:
        club.unit_path = unit.path
    for name, items in (("target_groups", target_groups), ("movements", movements)):
        if items is None:
            continue
        current = list(getattr(club, name).all())
        items = _check_catalogue(items, current)
        before, after = sorted(i.pk for i in current), sorted(i.pk for i in items)
        if before != after:
            diff[name] = [before, after]
            getattr(club, name).set(items)
    if diff:
        club.save()
        if "unit" in diff:
            # seen where it was too (that unit's audit trail, its pages' data version)
            record(actor=actor, action="club.moved", target=club, unit_path=old_path,
                   changes={"unit": diff["unit"]})
        record(actor=actor, action="club.updated", target=club, unit_path=club.unit_path,
               changes=diff)
    return club


# The rules of a club's change of status, declared once (decision 0056):
# ``change_club_status`` runs them, and its form runs those whose inputs are valid when one of
# its fields fails (given: the club). The order of the changes is checked by the action.
CLUB_STATUS_RULES = Rules()


@CLUB_STATUS_RULES.rule("club")
def _status_unit_open(club: Club) -> None:
    ensure_open(club.unit)


@CLUB_STATUS_RULES.rule("status", field="status")
def _status_known(status: str) -> None:
    if status not in Club.Status.values:
        raise ActionError(_("Choose a status."), field="status")


CLUB_STATUS_RULES.cleans("reason", partial(_text, limit=300, label=gettext_lazy("Reason"),
                                           field="reason"))


@CLUB_STATUS_RULES.rule("status", "changed_on", "reason")
def _status_said(status: str, changed_on: dt.date | None, reason: str | None) -> None:
    """A paused or dissolved club says since when and why."""
    if status not in Club.Status.values or status == Club.Status.ACTIVE:
        return
    label = Club.Status(status).label
    errors = RuleErrors()
    errors.check(changed_on is not None, _("Give the date from which the club is "
                                           "%(status)s.") % {"status": label},
                 field="changed_on")
    errors.check((reason or "").strip(), _("Give the reason why the club is "
                                                     "%(status)s.") % {"status": label},
                 field="reason")
    errors.raise_if_any()


@CLUB_STATUS_RULES.rule("club", "changed_on", field="changed_on")
def _status_date(club: Club, changed_on: dt.date | None) -> None:
    if changed_on is None:
        return
    _past_date(changed_on, _("The date"), field="changed_on")
    if changed_on < club.founded_on:
        raise ActionError(_("The date is before the club was founded (%(date)s).")
                          % {"date": _date(club.founded_on)}, field="changed_on")


@transaction.atomic
def change_club_status(*, actor: Any, club: Club, status: str,
                       changed_on: dt.date | None = None, reason: str = "") -> Club:
    """Pause, dissolve or re-activate a club. Pausing and dissolving need a date and a reason;
    re-activating takes today when no date is given."""
    club = (Club.objects.select_for_update(of=("self",)).select_related("unit")
            .get(pk=club.pk))
    require(actor, "activity.manage", club.unit)
    reason = CLUB_STATUS_RULES.check({"club": club, "status": status, "changed_on": changed_on,
                                      "reason": reason})["reason"]
    if status == Club.Status.ACTIVE and changed_on is None and club.status != status:
        changed_on = timezone.localdate()
    latest = club.status_changes.order_by("-on", "-pk").first()
    diff: dict[str, list[Any]]
    if status == club.status and not (changed_on or reason):
        return club
    if latest is not None and status == latest.status:
        # The same status again: a correction of the date or the reason of the latest change.
        if changed_on is None:
            changed_on = latest.on
        earlier = club.status_changes.exclude(pk=latest.pk).order_by("-on", "-pk").first()
        if earlier is not None and changed_on < earlier.on:
            raise ActionError(_("The date cannot be before the previous change of status "
                                "(%(date)s).") % {"date": _date(earlier.on)},
                              field="changed_on")
        diff = {f: [old, new] for f, old, new in (("status_changed_on", latest.on, changed_on),
                                                  ("status_reason", latest.reason, reason))
                if old != new}
        if not diff:
            return club
        if "status_changed_on" in diff:
            guard(unit_path=club.unit_path, spans=[(min(latest.on, changed_on), None)],
                  field="changed_on")
        latest.on, latest.reason = changed_on, reason
        latest.save(update_fields=["on", "reason"])
    else:
        if status == club.status:  # active, never changed: nothing to record
            return club
        if changed_on is None:
            changed_on = timezone.localdate()
        if latest is not None and changed_on < latest.on:
            raise ActionError(_("The date cannot be before the previous change of status "
                                "(%(date)s).") % {"date": _date(latest.on)},
                              field="changed_on")
        # The change takes effect from its date on; earlier periods keep what they showed.
        guard(unit_path=club.unit_path, spans=[(changed_on, None)], field="changed_on")
        ClubStatusChange.objects.create(club=club, status=status, on=changed_on,
                                        reason=reason)
        diff = {"status": [club.status, status],
                "status_changed_on": [club.status_changed_on, changed_on],
                "status_reason": [club.status_reason, reason]}
    club.status, club.status_changed_on, club.status_reason = status, changed_on, reason
    club.save(update_fields=["status", "status_changed_on", "status_reason", "updated_at"])
    record(actor=actor, action="club.status_changed", target=club, unit_path=club.unit_path,
           changes=diff)
    return club


# --- Members --------------------------------------------------------------------------------

def _count_from_today(club: Club, count: int) -> None:
    """Record the member count from today on: the periods before keep the count they had."""
    today = timezone.localdate()
    guard(unit_path=club.unit_path, spans=[(today, None)], field=None)
    if not ClubMemberCount.objects.filter(club=club, on=today).update(count=count):
        ClubMemberCount.objects.create(club=club, on=today, count=count)


def _sync_count(club: Club) -> int:
    count = club.members.count()
    if count != club.member_count:
        _count_from_today(club, count)
    Club.objects.filter(pk=club.pk).update(member_count=count, updated_at=timezone.now())
    club.member_count = count
    return count


# The rules of a new member of a club's list, declared once (decision 0056): ``add_member``
# runs them (for the page and the import of lists), and the member form runs those whose
# inputs are valid when one of its fields fails (given: the club).
MEMBER_RULES = Rules()


@MEMBER_RULES.rule("club")
def _member_club_open(club: Club) -> None:
    ensure_open(club.unit)
    if club.status == Club.Status.DISSOLVED:
        raise ActionError(_("The club is dissolved; re-activate it before adding members."))


_member_name = partial(_text, limit=150, label=gettext_lazy("Full name"), field="full_name",
                       required=True)
_member_role = partial(_text, limit=100, label=gettext_lazy("Role in the club"), field="role")
MEMBER_RULES.cleans("full_name", _member_name)
MEMBER_RULES.cleans("role", _member_role)


@MEMBER_RULES.rule("club", "joined_on", field="joined_on")
def _member_joined(club: Club, joined_on: dt.date | None) -> None:
    if joined_on is None:
        return
    _past_date(joined_on, _("The joining date"), field="joined_on")
    if joined_on < club.founded_on:
        raise ActionError(_("The joining date is before the club was founded (%(date)s).")
                          % {"date": _date(club.founded_on)}, field="joined_on")


@MEMBER_RULES.rule("club", "full_name", "role", field="full_name")
def _member_once(club: Club, full_name: str, role: str | None) -> None:
    try:
        name, role = fold(_member_name(full_name)), fold(_member_role(role))
    except ActionError:
        return  # the name's or the role's own rule says what is wrong with it
    for other in club.members.all():
        if fold(other.full_name) == name and fold(other.role) == role:
            raise ActionError(_("%(name)s is already on the list. If this is another person "
                                "with the same name, tell them apart in the role field.")
                              % {"name": other.full_name}, field="full_name")


@MEMBER_RULES.rule("club")
def _member_room(club: Club) -> None:
    if club.members.count() >= MAX_MEMBERS:
        raise ActionError(_("The list is full."))


@transaction.atomic
def add_member(*, actor: Any, club: Club, full_name: str, role: str = "",
               joined_on: dt.date | None = None) -> ClubMember:
    """Add a name to the club's member list. The list holds names only; the club's member
    count becomes the length of the list."""
    club = (Club.objects.select_for_update(of=("self",)).select_related("unit")
            .get(pk=club.pk))
    require(actor, "activity.manage", club.unit)
    values = MEMBER_RULES.check({"club": club, "full_name": full_name, "role": role,
                                 "joined_on": joined_on})
    full_name, role = values["full_name"], values["role"]
    member = ClubMember.objects.create(club=club, full_name=full_name, role=role,
                                       joined_on=joined_on)
    count = _sync_count(club)
    # The audit trail keeps no member names: it cannot be erased, and a name is personal data.
    record(actor=actor, action="club.member_added", target=club, unit_path=club.unit_path,
           changes={"member": member.pk, "members": count})
    return member


@transaction.atomic
def remove_member(*, actor: Any, member: ClubMember) -> int:
    club = (Club.objects.select_for_update(of=("self",)).select_related("unit")
            .get(pk=member.club_id))
    require(actor, "activity.manage", club.unit)
    ensure_open(club.unit)
    pk = member.pk
    member.delete()
    count = _sync_count(club)
    record(actor=actor, action="club.member_removed", target=club, unit_path=club.unit_path,
           changes={"member": pk, "members": count})
    return count


# --- Exchanges ------------------------------------------------------------------------------

EXCHANGE_FIELDS = ("unit", "date", "counterpart_country", "counterpart_area", "participants",
                   "information_shared", "follow_up")


def _check_border(unit: Unit) -> None:
    if not in_area(unit, "border"):
        raise ActionError(_("%(unit)s is not flagged as a border area, so exchanges with the "
                            "other side of the border are not recorded there. Choose a border "
                            "unit, or ask the province to flag this one.")
                          % {"unit": unit.name}, field="unit")


# An exchange's rules, declared once (decision 0050): ``create_exchange`` and
# ``update_exchange`` run them, and the exchange form runs those whose inputs are valid when
# one of its fields fails.
EXCHANGE_RULES = Rules()


@EXCHANGE_RULES.rule("unit", field="unit")
def _exchange_border(unit: Unit, current: Exchange | None = None) -> None:
    # an exchange already recorded stays valid if the flag is later removed
    if current is None or unit != current.unit:
        _check_border(unit)


@EXCHANGE_RULES.rule("date", field="date")
def _exchange_date(date: dt.date) -> None:
    _past_date(date, _("The date of the exchange"), field="date", earliest=EARLIEST_EXCHANGE)


for _name, _limit, _label, _required in (
        ("counterpart_country", 100, gettext_lazy("Country"), True),
        ("counterpart_area", 300, gettext_lazy("Counterpart"), True),
        ("information_shared", 5000, gettext_lazy("Information shared"), False),
        ("follow_up", 5000, gettext_lazy("Follow-up agreed"), False)):
    EXCHANGE_RULES.cleans(_name, partial(_text, limit=_limit, label=_label, field=_name,
                                         required=_required))
EXCHANGE_RULES.cleans("participants", partial(_count, label=gettext_lazy("Participants"),
                                              field="participants",
                                              limit=MAX_EXCHANGE_PARTICIPANTS))


def _validate_exchange(values: dict[str, Any], *,
                       current: Exchange | None = None) -> dict[str, Any]:
    """The rules of an exchange's values (``EXCHANGE_RULES``); every one broken is reported
    at once."""
    return values | EXCHANGE_RULES.check(values | {"current": current})


# What recording an exchange checks besides: its unit open, its period open (when its date
# is valid), its topics not archived.
NEW_EXCHANGE_RULES = Rules()


@NEW_EXCHANGE_RULES.rule("unit", field="unit")
def _exchange_unit_open(unit: Unit) -> None:
    ensure_open(unit)


@NEW_EXCHANGE_RULES.rule("unit", "date", field="date")
def _exchange_period(unit: Unit, date: dt.date) -> None:
    try:
        _exchange_date(date)
    except ActionError:
        return  # the date's own rule says what is wrong with it
    guard(unit_path=unit.path, dates=[date])


def _check_topics(topics: Iterable[Topic], before: Iterable[Topic] = ()) -> list[Topic]:
    topics = list(topics)
    kept = {t.pk for t in before}
    for topic in topics:
        if topic.archived and topic.pk not in kept:
            raise ActionError(_("The topic “%(name)s” is archived.") % {"name": topic.name},
                              field="topics")
    return topics


NEW_EXCHANGE_RULES.cleans("topics", _check_topics)
NEW_EXCHANGE_RULES = NEW_EXCHANGE_RULES + EXCHANGE_RULES


@transaction.atomic
def create_exchange(*, actor: Any, unit: Unit, date: dt.date, counterpart_area: str,
                    counterpart_country: str = "Campuchia", participants: int | None = 0,
                    information_shared: str = "", follow_up: str = "",
                    topics: Iterable[Topic] = ()) -> Exchange:
    require(actor, "activity.manage", unit)
    values: dict[str, Any] = {
        "unit": unit, "date": date, "counterpart_country": counterpart_country,
        "counterpart_area": counterpart_area, "participants": participants,
        "information_shared": information_shared, "follow_up": follow_up}
    cleaned = NEW_EXCHANGE_RULES.check(values | {"topics": topics})
    topics = cleaned.pop("topics")
    values |= cleaned
    exchange = Exchange.objects.create(unit_path=unit.path, created_by=actor, **values)
    exchange.topics.set(topics)
    record(actor=actor, action="exchange.created", target=exchange, unit_path=unit.path,
           changes={"date": date, "country": values["counterpart_country"],
                    "counterpart": values["counterpart_area"],
                    "participants": values["participants"],
                    "topics": sorted(t.pk for t in topics)})
    return exchange


@transaction.atomic
def update_exchange(*, actor: Any, exchange: Exchange, topics: Iterable[Topic] | None = None,
                    **changes: Any) -> Exchange:
    exchange = (Exchange.objects.select_for_update(of=("self",)).select_related("unit")
                .get(pk=exchange.pk))
    require(actor, "activity.manage", exchange.unit)
    unknown = set(changes) - set(EXCHANGE_FIELDS)
    if unknown:
        raise ActionError(f"unknown fields: {sorted(unknown)}")
    values = {f: getattr(exchange, f) for f in EXCHANGE_FIELDS} | changes
    if values["unit"] != exchange.unit:
        require(actor, "activity.manage", values["unit"])
    ensure_open(values["unit"])
    values = _validate_exchange(values, current=exchange)
    diff = {f: [getattr(exchange, f), v] for f, v in values.items()
            if getattr(exchange, f) != v}
    guard(unit_path=[exchange.unit_path, values["unit"].path],
          dates=[exchange.date, values["date"]])
    old_path = exchange.unit_path
    for key, value in values.items():
        setattr(exchange, key, value)
    if "unit" in diff:
        exchange.unit_path = exchange.unit.path
    if topics is not None:
        current = list(exchange.topics.all())
        topics = _check_topics(topics, current)
        before, after = sorted(t.pk for t in current), sorted(t.pk for t in topics)
        if before != after:
            diff["topics"] = [before, after]
            exchange.topics.set(topics)
    if diff:
        exchange.save()
        if "unit" in diff:
            # seen where it was too (that unit's audit trail, its pages' data version)
            record(actor=actor, action="exchange.moved", target=exchange, unit_path=old_path,
                   changes={"unit": diff["unit"]})
        record(actor=actor, action="exchange.updated", target=exchange,
               unit_path=exchange.unit_path, changes=diff)
    return exchange
