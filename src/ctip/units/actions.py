"""Writes to the organisation tree. Each runs in one transaction with its audit event.

Above ``accounts`` and ``audit`` (it checks roles and records events), while the tree itself
(``org``: models, paths, ``org.rules``) sits below them (decision 0053)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from ctip.accounts.policy import require
from ctip.audit.actions import record
from ctip.core.errors import ActionError
from ctip.core.periods import carry_locks
from ctip.core.rules import Rules
from ctip.core.text import fold, nfc
from ctip.org.held import MESSAGE
from ctip.org.models import (
    PATH_SEPARATOR,
    UNIT_AREA_FIELDS,
    Succession,
    Unit,
    UnitFact,
    UnitType,
)
from ctip.org.paths import MOVING, is_within, records_handled_at, unit_field_of
from ctip.org.rules import ensure_open
from ctip.org.signals import paths_rewriting, unit_merged, units_restructured

UNIT_FIELDS = ("name", "unit_type", "gso_code", "village", "is_border", "is_remote",
               "is_far_flung", "is_ethnic_minority", "opened_on")


def _clean_name(name: str) -> str:
    cleaned = " ".join(nfc(name).split())
    if not cleaned:
        raise ActionError(_("A unit needs a name."), field="name")
    if len(cleaned) > 200:
        raise ActionError(_("A unit name can have at most 200 characters."), field="name")
    return cleaned


def _check_gso_code(gso_code: str | None, exclude_pk: int | None = None) -> str | None:
    code = (gso_code or "").strip() or None
    if code is None:
        return None
    if not code.isdigit():
        raise ActionError(_("An administrative code has digits only."), field="gso_code")
    clashes = Unit.objects.filter(gso_code=code)
    if exclude_pk is not None:
        clashes = clashes.exclude(pk=exclude_pk)
    clash = clashes.first()
    if clash is not None:
        raise ActionError(
            _("The administrative code %(code)s already belongs to “%(name)s”.")
            % {"code": code, "name": clash.name},
            field="gso_code",
        )
    return code


# A unit's rules, declared once (decision 0050): ``create_unit`` and ``update_unit`` run them,
# and the unit form runs those whose inputs are valid when one of its fields fails.
UNIT_RULES = Rules()


@UNIT_RULES.rule("parent", field="parent")
def _parent_open(parent: Unit | None) -> None:
    if parent is not None:
        ensure_open(parent)


UNIT_RULES.cleans("name", _clean_name)


@UNIT_RULES.rule("gso_code", field="gso_code")
def _gso_code(gso_code: str | None, current: Unit | None = None) -> dict[str, str | None]:
    return {"gso_code": _check_gso_code(gso_code, current.pk if current is not None else None)}


def _path_of(parent: Unit | None, pk: int) -> str:
    return f"{parent.path if parent else PATH_SEPARATOR}{pk}{PATH_SEPARATOR}"


@transaction.atomic
def create_unit(
    *,
    actor: Any,
    parent: Unit | None,
    name: str,
    unit_type: UnitType,
    gso_code: str | None = None,
    village: str = "",
    is_border: bool = False,
    is_remote: bool = False,
    is_far_flung: bool = False,
    is_ethnic_minority: bool = False,
    opened_on: dt.date | None = None,
    audit: bool = True,
) -> Unit:
    if parent is not None:
        # its path as it is now, and held: the new unit's path starts with it, and a move
        # of the parent waits for the new unit and then carries it (``org.held``)
        parent = Unit.objects.select_for_update(no_key=True).get(pk=parent.pk)
        require(actor, "unit.manage", parent)
    elif actor is not None:
        raise ActionError(_("Only the system can create a top-level unit."))
    cleaned = UNIT_RULES.check({"parent": parent, "name": name, "gso_code": gso_code})
    name, code = cleaned["name"], cleaned["gso_code"]
    unit = Unit(
        name=name,
        name_folded=fold(name),
        unit_type=unit_type,
        parent=parent,
        path="",
        depth=(parent.depth + 1) if parent else 0,
        gso_code=code,
        village=nfc(village).strip(),
        is_border=is_border,
        is_remote=is_remote,
        is_far_flung=is_far_flung,
        is_ethnic_minority=is_ethnic_minority,
        opened_on=opened_on,
    )
    try:
        with transaction.atomic():
            unit.save(force_insert=True)
    except IntegrityError as exc:
        raise ActionError(_("The unit could not be saved: %(error)s") % {"error": exc}) from exc
    unit.path = _path_of(parent, unit.pk)
    unit.save(update_fields=["path"])
    if audit:
        record(actor=actor, action="unit.created", target=unit, unit_path=unit.path,
               changes={f: getattr(unit, f) for f in UNIT_FIELDS} | {"parent": parent})
    return unit


@transaction.atomic
def update_unit(*, actor: Any, unit: Unit, **values: Any) -> Unit:
    require(actor, "unit.manage", unit)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    ensure_open(unit)
    unknown = set(values) - set(UNIT_FIELDS)
    if unknown:
        raise ActionError(f"unknown fields: {sorted(unknown)}")
    values |= UNIT_RULES.check({name: values[name] for name in ("name", "gso_code")
                                if name in values} | {"current": unit})
    if "village" in values:
        values["village"] = nfc(values["village"]).strip()
    changes = {}
    for key, value in values.items():
        old = getattr(unit, key)
        if old != value:
            changes[key] = [old, value]
            setattr(unit, key, value)
    if not changes:
        return unit
    update_fields = list(changes)
    if "name" in changes:
        unit.name_folded = fold(unit.name)
        update_fields.append("name_folded")
    unit.save(update_fields=[f if f != "unit_type" else "unit_type" for f in update_fields])
    record(actor=actor, action="unit.updated", target=unit, unit_path=unit.path, changes=changes)
    return unit


def _repath_subtree(unit: Unit, new_parent: Unit | None) -> tuple[int, int]:
    """Rewrite the path and depth of ``unit`` and all its descendants in one statement, with
    the records that go with them, and carry the periods approved above its old place.

    Returns how many units moved (``unit`` included) and how many locks it carried. ``unit``
    must be freshly read.
    """
    old_path = unit.path
    new_path = _path_of(new_parent, unit.pk)
    new_depth = (new_parent.depth + 1) if new_parent else 0
    # what was approved above the old place stays approved for it (``core.periods``)
    carried = carry_locks(unit, old_path, new_path)
    moved = Unit.objects.filter(path__subtree=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (new_depth - unit.depth),
    )
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    # the records handled in the subtree now (cases, persons, situations, reports, clubs...)
    # and what happened there (activities, exchanges, commendations) go with it: who may open
    # them is decided from their path; the audit events keep the place at the time
    # (``org.paths.PLACES``, decisions 0099 and 0100); the roll-ups' triggers follow
    for model, name in records_handled_at(lambda m: m is not Unit, MOVING):
        rows = model._base_manager.filter(**{f"{name}__subtree": old_path})
        paths_rewriting.send(sender=model, rows=rows, sign=-1)  # the roll-ups, in one go
        rows.update(**{name: Concat(Value(new_path), Substr(name, len(old_path) + 1))})
        paths_rewriting.send(sender=model, sign=1,
                             rows=model._base_manager.filter(**{f"{name}__subtree": new_path}))
    # Exactly what the two statements wrote; reading it back would cost a query.
    unit.path, unit.depth, unit.parent = new_path, new_depth, new_parent
    return moved, carried


def _lock_subtrees(paths: Sequence[str]) -> None:
    """Lock every unit and every record that goes with it (``org.paths.MOVING``) in these
    subtrees, table by table in key order, before a restructuring writes or records anything.
    It then never holds the audit chain's head (every ``record`` takes it) while waiting for a
    row a writer holds, the writer waiting for the head: a deadlock on PostgreSQL. A writer
    that comes later waits for the restructuring and reads the new paths. SQLite writes one
    transaction at a time anyway."""
    moving = records_handled_at(lambda m: m is not Unit, MOVING)
    for model, name in [(Unit, "path"), *moving]:
        within = Q()
        for path in paths:
            within |= Q(**{f"{name}__subtree": path})
        list(model._base_manager.filter(within).order_by("pk").select_for_update()
             .values_list("pk", flat=True))


def _hand_over(source: Unit, into: Unit) -> dict[str, int]:
    """The records handled at a merged unit itself (its children moved with theirs) go to its
    successor: every ``UnitFact`` whose path is ``"now"`` (persons, cases, situations,
    campaigns, speakers, clubs), where the roles held at the closed unit grant nothing and the
    successor's officers did not reach them; and every path copied from them, or with no unit
    of its own (a referral's, a flag's, an anonymisation request's), that is the closed unit's.
    How many of each, for the audit event. The apps hand over what else hangs on the unit
    (``org.signals.unit_merged``: the situations it handled)."""
    counts = {}
    for model, name in records_handled_at(lambda m: m is not Unit):
        if issubclass(model, UnitFact) and name == "unit_path":
            moved = model._base_manager.filter(unit=source).update(
                unit=into, unit_path=Value(into.path))
            key = model._meta.label
        elif unit_field_of(model, name) is None:
            moved = model._base_manager.filter(**{name: source.path}).update(
                **{name: Value(into.path)})
            key = f"{model._meta.label}.{name}"
        else:
            continue
        if moved:
            counts[key] = moved
    if counts:
        # the periods approved for them (by the closed unit's reports or above it) stay
        # approved where they go: a copy of each lock that does not cover the successor
        # already locks the successor's records of that period too, the safe side; the unit
        # above lifts it (decision 0100)
        carried = carry_locks(into, source.path, into.path, own=True)
        if carried:
            counts["period_locks_carried"] = carried
    return counts


@transaction.atomic
def move_subtree(*, actor: Any, unit: Unit, new_parent: Unit) -> Unit:
    # The old parent comes in the same query (for the audit event); only the unit is locked.
    unit = (Unit.objects.select_for_update(of=("self",)).select_related("parent")
            .get(pk=unit.pk))
    # its path as it is now, and held: every moved path starts with it
    new_parent = Unit.objects.select_for_update().get(pk=new_parent.pk)
    require(actor, "unit.manage", unit)
    require(actor, "unit.manage", new_parent)
    ensure_open(unit)
    ensure_open(new_parent)
    if unit.parent_id is None:
        raise ActionError(_("The top of the tree cannot be moved."))
    if is_within(new_parent.path, unit.path):
        raise ActionError(_("A unit cannot be moved under itself or one of its own units."))
    if new_parent.pk == unit.parent_id:
        return unit
    _lock_subtrees([unit.path])
    old_parent = unit.parent
    old_path = unit.path
    size, carried = _repath_subtree(unit, new_parent)
    record(actor=actor, action="unit.moved", target=unit, unit_path=unit.path,
           changes={"parent": [old_parent, new_parent], "path": [old_path, unit.path],
                    "units_moved": size, "locks_carried": carried})
    units_restructured.send(sender=Unit, units=[unit])
    return unit


def _close(unit: Unit, *, on: dt.date, reason: str) -> None:
    unit.closed_on = on
    unit.closed_reason = reason[:300]
    unit.save(update_fields=["closed_on", "closed_reason"])


@transaction.atomic
def merge_units(
    *, actor: Any, sources: Sequence[Unit], into: Unit, effective_on: dt.date | None = None,
    reason: str = "",
) -> Unit:
    """Close ``sources`` and carry their open child units over to ``into``."""
    effective_on = effective_on or timezone.localdate()
    into = Unit.objects.select_for_update().get(pk=into.pk)
    require(actor, "unit.manage", into)
    ensure_open(into)
    if not sources:
        raise ActionError(_("Choose at least one unit to merge."))
    _lock_subtrees([u.path for u in Unit.objects.filter(pk__in=[s.pk for s in sources])])
    merged = []
    for source in sources:
        source = Unit.objects.select_for_update().get(pk=source.pk)
        require(actor, "unit.manage", source)
        ensure_open(source)
        if source.pk == into.pk:
            raise ActionError(_("A unit cannot be merged into itself."))
        if is_within(into.path, source.path):
            raise ActionError(
                _("“%(into)s” lies inside “%(source)s”; merge the other way round.")
                % {"into": into.name, "source": source.name}
            )
        if source.depth != into.depth:  # the form offers one level; the tree may have moved
            raise ActionError(
                _("“%(source)s” and “%(into)s” are not at the same level of the tree; only "
                  "units of one level can be merged.")
                % {"source": source.name, "into": into.name}, field="into")
        for child in source.children.open():
            _repath_subtree(child, into)
        handed = _hand_over(source, into)
        unit_merged.send(sender=Unit, actor=actor, source=source, into=into)
        _close(source, on=effective_on, reason=reason or _("Merged into %(name)s") % {
            "name": into.name})
        Succession.objects.create(predecessor=source, successor=into,
                                  kind=Succession.Kind.MERGE, effective_on=effective_on)
        merged.append(source)
        record(actor=actor, action="unit.merged", target=source, unit_path=source.path,
               changes={"into": into, "effective_on": effective_on, "reason": reason,
                        "handed_over": handed})
    units_restructured.send(sender=Unit, units=[*merged, into])
    return into


@dataclass
class SplitPart:
    name: str
    unit_type: UnitType | None = None
    gso_code: str | None = None
    children: list[Unit] = field(default_factory=list)


@transaction.atomic
def split_unit(
    *, actor: Any, unit: Unit, parts: Sequence[SplitPart], effective_on: dt.date | None = None,
    reason: str = "", records_to: int = 0,
) -> list[Unit]:
    """Close ``unit`` and create ``parts`` beside it; each part takes the children named, and
    the part numbered ``records_to`` (from 0) the records handled at ``unit`` itself, as a
    merger's successor does (``_hand_over``; DHIS2's split has such a primary target too):
    left with the closed unit, the roles held there granted nothing on them and the parts'
    officers did not reach them (decision 0100). What happened there stays with it."""
    effective_on = effective_on or timezone.localdate()
    # the unit above first, as a move of it locks it before its subtree (the parts are
    # created under it, ``create_unit``): the two never wait on each other in turn
    above = Unit.objects.filter(pk=unit.pk).values_list("parent_id", flat=True).first()
    if above is not None:
        list(Unit.objects.select_for_update(no_key=True).filter(pk=above)
             .values_list("pk", flat=True))
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    require(actor, "unit.manage", unit)
    ensure_open(unit)
    if unit.parent_id != above:  # moved between the two reads
        raise ActionError(MESSAGE)
    if unit.parent is None:
        raise ActionError(_("The top of the tree cannot be split."))
    if len(parts) < 2:
        raise ActionError(_("A split needs at least two new units."))
    open_children = {c.pk for c in unit.children.open()}
    assigned = [c.pk for part in parts for c in part.children]
    if len(assigned) != len(set(assigned)):
        raise ActionError(_("Each unit below can go to one new unit only."))
    if not set(assigned) <= open_children:
        raise ActionError(_("Only the open units directly below can be shared out."))
    if set(assigned) != open_children:
        raise ActionError(_("Every unit below must go to one of the new units."))
    if not 0 <= records_to < len(parts):
        raise ActionError(_("There are only %(n)d new units.") % {"n": len(parts)},
                          field="records_to")
    _lock_subtrees([unit.path])
    new_units = []
    for part in parts:
        new_unit = create_unit(
            actor=actor, parent=unit.parent, name=part.name,
            unit_type=part.unit_type or unit.unit_type, gso_code=part.gso_code,
            **{f: getattr(unit, f) for f in UNIT_AREA_FIELDS},
            opened_on=effective_on,
        )
        for child in part.children:
            _repath_subtree(Unit.objects.get(pk=child.pk), new_unit)
        Succession.objects.create(predecessor=unit, successor=new_unit,
                                  kind=Succession.Kind.SPLIT, effective_on=effective_on)
        new_units.append(new_unit)
    primary = new_units[records_to]
    handed = _hand_over(unit, primary)
    unit_merged.send(sender=Unit, actor=actor, source=unit, into=primary)
    _close(unit, on=effective_on, reason=reason or _("Split"))
    record(actor=actor, action="unit.split", target=unit, unit_path=unit.path,
           changes={"into": new_units, "effective_on": effective_on, "reason": reason,
                    "records_to": primary, "handed_over": handed})
    units_restructured.send(sender=Unit, units=[unit, *new_units])
    return new_units
