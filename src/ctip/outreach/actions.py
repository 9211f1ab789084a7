"""Writes for outreach work. Each runs in one transaction and writes its audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import CASCADE, Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ctip.accounts.policy import NotInScope, has_capability, require
from ctip.audit.actions import record
from ctip.catalogues.models import Audience, Movement, Topic
from ctip.core.errors import ActionError, RuleErrors
from ctip.core.files import delete_on_commit
from ctip.core.periods import check_date, ensure_not_locked, guard
from ctip.core.rules import Rules
from ctip.core.text import fold, nfc
from ctip.core.uploads import check_upload
from ctip.imports.pipeline import undoable, where_undone
from ctip.org.models import Unit
from ctip.org.paths import is_within
from ctip.org.rules import ensure_open
from ctip.outreach.models import (
    Activity,
    Attachment,
    Campaign,
    CampaignTarget,
    Commendation,
    Format,
    Material,
    Speaker,
)

# The most people one in-person activity can plausibly gather, by the level of the unit.
MAX_PARTICIPANTS_BY_DEPTH = {0: 100_000, 1: 50_000, 2: 5_000, 3: 1_000}
MAX_PARTICIPANTS_DEEPER = 500
MAX_ONLINE_REACH = 50_000_000
MAX_COUNT = 2_147_483_647  # the largest value of the count columns in every database


# The names of the fields in messages; lazy, translated only when a message is shown (the
# import checks ten thousand rows with these rules).
LABELS = {
    "participants_women": gettext_lazy("Women"), "participants_men": gettext_lazy("Men"),
    "participants_total": gettext_lazy("Participants"), "online_views": gettext_lazy("Views"),
    "online_shares": gettext_lazy("Shares"),
    "materials_handed_out": gettext_lazy("Materials handed out"),
    "title": gettext_lazy("Title"), "coordinating_agencies": gettext_lazy("Coordinating agencies"),
    "notes": gettext_lazy("Notes"),
}


def _text(value: str | None, limit: int, label: Any, *, required: bool = False,
          field: str | None = None) -> str:
    cleaned = " ".join(nfc(value or "").split()) if limit <= 300 else nfc(value or "").strip()
    if required and not cleaned:
        raise ActionError(_("%(field)s is required.") % {"field": label}, field=field)
    if len(cleaned) > limit:
        raise ActionError(_("%(field)s can have at most %(n)d characters.")
                          % {"field": label, "n": limit}, field=field)
    return cleaned


def participant_limit(unit: Unit) -> int:
    return MAX_PARTICIPANTS_BY_DEPTH.get(unit.depth, MAX_PARTICIPANTS_DEEPER)


def check_numbers(*, unit: Unit, fmt: Format, women: int | None, men: int | None,
                  total: int | None, views: int = 0, shares: int = 0,
                  materials: int = 0) -> int:
    """Validate the counts of an activity; return the total participants. Every count
    refused is reported at once."""
    errors = RuleErrors()
    for name, value in (
            ("participants_women", women), ("participants_men", men),
            ("participants_total", total), ("online_views", views), ("online_shares", shares),
            ("materials_handed_out", materials)):
        errors.check(value is None or value >= 0,
                     _("%(field)s cannot be negative.") % {"field": LABELS[name]}, field=name)
    for name, value in (("online_views", views), ("online_shares", shares)):
        errors.check(value <= MAX_ONLINE_REACH, _("%(field)s: %(n)d is not plausible.")
                     % {"field": LABELS[name], "n": value}, field=name)
    if not any(errors.has(name) for name in ("participants_women", "participants_men",
                                              "participants_total")):
        if total is None:
            total = (women or 0) + (men or 0)
        errors.check(not (problem := _total_problem(unit, fmt, women, men, total)), problem,
                     field="participants_total")
    errors.raise_if_any()
    return total or 0


def _total_problem(unit: Unit, fmt: Format, women: int | None, men: int | None,
                   total: int) -> str | None:
    """What is wrong with the participants' total (the first rule it breaks), or None."""
    if women is not None and men is not None and women + men != total:
        return (_("Women (%(women)d) plus men (%(men)d) make %(sum)d, not the total "
                  "%(total)d.")
                % {"women": women, "men": men, "sum": women + men, "total": total})
    if total > MAX_COUNT:
        return _("%(value)d is too large.") % {"value": total}
    if women is not None and women > total or men is not None and men > total:
        return _("Women or men cannot be more than the total.")
    limit = participant_limit(unit)
    if fmt.is_meeting and total > limit:
        return (_("%(total)d participants is not plausible for one %(format)s at %(unit)s "
                  "(at most %(limit)d). Check the number, or record it at a higher unit.")
                % {"total": total, "format": fmt.name.lower(), "unit": unit.name,
                   "limit": limit})
    return None


def _can_log(actor: Any, unit: Unit, speakers: Iterable[Speaker]) -> None:
    """Officers and branch heads log for their subtree; a speaker logs only her own talks."""
    if actor is None or has_capability(actor, "activity.manage", unit):
        return
    require(actor, "activity.log_own", unit)
    if not any(s.user_id == actor.pk for s in speakers):
        raise ActionError(_("As a speaker you can log only talks you gave yourself: add "
                            "yourself as a speaker."))


def check_can_record(actor: Any, unit: Unit, speakers: Iterable[Speaker] = ()) -> None:
    """Whether ``actor`` may record an activity at ``unit`` (with these speakers) now: her
    scope there, and the unit still open. Raises ``NotInScope`` or ``ActionError``."""
    _can_log(actor, unit, speakers)
    ensure_open(unit)


def _check_links(unit: Unit, campaign: Campaign | None, fmt: Format,
                 date: dt.date, current: Activity | None = None) -> None:
    """Refuse archived catalogue entries, except those the activity already had: an old
    activity stays editable after its format or campaign has been archived, and after its
    unit moved out of its campaign's area (the campaign of the province a commune left:
    decision 0100)."""
    errors = RuleErrors()
    errors.check(not fmt.archived or current is not None and current.format_id == fmt.pk,
                 _("The format “%(name)s” is archived.") % {"name": fmt.name}, field="format")
    if campaign is not None:
        if campaign.archived and (current is None or current.campaign_id != campaign.pk):
            errors.add(_("The campaign “%(name)s” is archived.") % {"name": campaign.name},
                       field="campaign")
        elif (not is_within(unit.path, campaign.unit_path)
              and (current is None or current.campaign_id != campaign.pk)):
            errors.add(_("%(unit)s does not take part in “%(campaign)s”.")
                       % {"unit": unit.name, "campaign": campaign.name}, field="campaign")
    errors.raise_if_any()


def find_duplicate(*, unit: Unit, date: dt.date, fmt: Format, title: str,
                   exclude_pk: int | None = None) -> Activity | None:
    return (Activity.objects.filter(unit=unit, date=date, format=fmt,
                                    title_folded=fold(title))
            # Django reads pk=None as "exclude nothing"; django-stubs refuses None here.
            .exclude(pk=exclude_pk).first())  # type: ignore[misc]


ACTIVITY_FIELDS = ("date", "status", "title", "format", "campaign", "movement", "club",
                   "participants_women", "participants_men", "participants_total",
                   "online_views", "online_shares", "materials_handed_out",
                   "coordinating_agencies", "notes")


# The rules of one activity's values, declared once (decision 0050): ``validate_activity``
# (the form's action, the API and the import) runs them, and the activity form runs those whose
# inputs are valid when another field fails, so that one submission learns every error.
ACTIVITY_RULES = Rules()


@ACTIVITY_RULES.rule("date", "status", field="date")
def _date_happened(date: dt.date, status: str, today: dt.date | None = None) -> None:
    errors = RuleErrors()
    errors.check(status != Activity.Status.DONE or date <= (today or timezone.localdate()),
                 _("An activity dated %(date)s has not happened yet: mark it as planned or "
                   "correct the date.") % {"date": date.strftime("%d/%m/%Y")}, field="date")
    errors.check(date >= dt.date(2000, 1, 1), _("The date is too far in the past."),
                 field="date")
    errors.raise_if_any()


for _name, _limit, _required in (("title", 300, True), ("coordinating_agencies", 300, False),
                                 ("notes", 5000, False)):
    ACTIVITY_RULES.cleans(_name, partial(_text, limit=_limit, label=LABELS[_name],
                                         required=_required, field=_name))


@ACTIVITY_RULES.rule("unit", "format", "campaign", "date")
def _links(unit: Unit, format: Format, campaign: Campaign | None,  # noqa: A002
           date: dt.date, current: Activity | None = None) -> None:
    _check_links(unit, campaign, format, date, current)


@ACTIVITY_RULES.rule("unit", "format", "participants_women", "participants_men",
                     "participants_total")
def _numbers(unit: Unit, format: Format, participants_women: int | None,  # noqa: A002
             participants_men: int | None, participants_total: int | None,
             online_views: int | None = 0, online_shares: int | None = 0,
             materials_handed_out: int | None = 0) -> dict[str, int]:
    return {"participants_total": check_numbers(
        unit=unit, fmt=format, women=participants_women, men=participants_men,
        total=participants_total, views=online_views or 0, shares=online_shares or 0,
        materials=materials_handed_out or 0)}


# What recording or changing an activity checks besides: its period still open (the old date
# too, for an edit).
PERIOD_RULES = Rules()


@PERIOD_RULES.rule("unit", "date")
def _period_open(unit: Unit, date: dt.date, current: Activity | None = None) -> None:
    if current is None:
        ensure_not_locked(unit.path, date)
    else:
        ensure_not_locked(current.unit_path, current.date, date)


ENTRY_RULES = PERIOD_RULES + ACTIVITY_RULES
# The inputs a caller may leave out, so that no rule is skipped for want of them.
ACTIVITY_DEFAULTS: dict[str, Any] = {
    "campaign": None, "participants_women": None, "participants_men": None,
    "participants_total": None, "coordinating_agencies": "", "notes": ""}


def validate_activity(values: dict[str, Any], unit: Unit,
                      current: Activity | None = None, *,
                      today: dt.date | None = None, rules: Rules = ACTIVITY_RULES,
                      errors: RuleErrors | None = None) -> dict[str, Any]:
    """The rules of one activity's values (``ACTIVITY_RULES``): the date, the texts, the
    catalogue links and the numbers, without any query but the period lock's when ``rules``
    is ``ENTRY_RULES``. Returns ``values`` cleaned (texts normalised, the total computed);
    raises ``ActionError`` naming the field, or collects in ``errors``. Used by
    ``create_activity``, ``update_activity`` and the import (``outreach.activity_import``), so
    that every way of recording an activity obeys the same rules. Every rule broken is
    reported at once."""
    own = errors is None
    errors = RuleErrors() if errors is None else errors
    values = ACTIVITY_DEFAULTS | values
    cleaned = rules.run(errors, values | {"unit": unit, "current": current, "today": today})
    if own:
        errors.raise_if_any()
    return values | cleaned


def new_activity(*, actor: Any, unit: Unit, values: dict[str, Any],
                 title_folded: str | None = None) -> Activity:
    """The unsaved activity for ``values`` as ``validate_activity`` returned them
    (``title_folded``: ``fold(values["title"])``, when the caller has it already)."""
    return Activity(unit=unit, unit_path=unit.path, created_by=actor if actor else None,
                    title_folded=title_folded or fold(values["title"]), **values)


@transaction.atomic
def create_activity(
    *, actor: Any, unit: Unit, date: dt.date, format: Format, title: str,  # noqa: A002
    status: str = Activity.Status.DONE, campaign: Campaign | None = None,
    movement: Movement | None = None, club: Any = None,
    topics: Iterable[Topic] = (), audiences: Iterable[Audience] = (),
    speakers: Iterable[Speaker] = (), participants_women: int | None = None,
    participants_men: int | None = None, participants_total: int | None = None,
    online_views: int = 0, online_shares: int = 0, materials_handed_out: int = 0,
    coordinating_agencies: str = "", notes: str = "", allow_duplicate: bool = False,
    audit: bool = True,
) -> Activity:
    errors = RuleErrors()
    speakers = list(speakers)
    with errors.collect():
        check_can_record(actor, unit, speakers)
    values = validate_activity({
            "date": date, "status": status, "title": title, "format": format,
            "campaign": campaign, "movement": movement, "club": club,
            "participants_women": participants_women, "participants_men": participants_men,
            "participants_total": participants_total, "online_views": online_views,
            "online_shares": online_shares, "materials_handed_out": materials_handed_out,
            "coordinating_agencies": coordinating_agencies, "notes": notes,
        }, unit, rules=ENTRY_RULES, errors=errors)
    if not allow_duplicate and not errors:
        duplicate = find_duplicate(unit=unit, date=date, fmt=format, title=values["title"])
        errors.check(duplicate is None, _("This activity is already recorded (same unit, "
                                          "date, format and title)."))
    errors.raise_if_any()
    activity = new_activity(actor=actor, unit=unit, values=values)
    activity.save(force_insert=True)
    # A new activity has no links yet: ``add`` inserts them without reading any first.
    for manager, items in ((activity.topics, list(topics)),
                           (activity.audiences, list(audiences)), (activity.speakers, speakers)):
        if items:
            manager.add(*items)
    if audit:
        record(actor=actor, action="activity.created", target=activity, unit_path=unit.path,
               changes={"date": date, "format": format.code,
                        "participants": activity.participants_total})
    return activity


def _can_edit(actor: Any, activity: Activity) -> None:
    if actor is None:
        return
    if has_capability(actor, "activity.manage", activity.unit):
        return
    require(actor, "activity.log_own", activity.unit)
    if activity.created_by_id != actor.pk:
        raise ActionError(_("You can change only the activities you recorded yourself."))


def can_edit_activity(actor: Any, activity: Activity) -> bool:
    """Whether ``actor`` may change or delete ``activity`` (to offer the buttons)."""
    try:
        _can_edit(actor, activity)
    except (ActionError, NotInScope):
        return False
    return True


@transaction.atomic
def update_activity(*, actor: Any, activity: Activity, topics: Iterable[Topic] | None = None,
                    audiences: Iterable[Audience] | None = None,
                    speakers: Iterable[Speaker] | None = None, **changes: Any) -> Activity:
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    unknown = set(changes) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ActionError(f"unknown fields: {sorted(unknown)}")
    errors = RuleErrors()
    with errors.collect():
        _can_edit(actor, activity)
    values = {f: getattr(activity, f) for f in ACTIVITY_FIELDS} | changes
    values = validate_activity(values, activity.unit, current=activity, rules=ENTRY_RULES,
                               errors=errors)
    if not errors:
        duplicate = find_duplicate(unit=activity.unit, date=values["date"],
                                   fmt=values["format"], title=values["title"],
                                   exclude_pk=activity.pk)
        errors.check(duplicate is None, _("Another activity with the same unit, date, format "
                                          "and title exists."))
    errors.raise_if_any()
    diff = {f: [getattr(activity, f), v] for f, v in values.items() if getattr(activity, f) != v}
    for field, value in values.items():
        setattr(activity, field, value)
    activity.title_folded = fold(activity.title)
    activity.save()
    items: Iterable[Model] | None
    for name, items in (("topics", topics), ("audiences", audiences), ("speakers", speakers)):
        if items is not None:
            items = list(items)
            before = set(getattr(activity, name).values_list("pk", flat=True))
            if before != {i.pk for i in items}:
                diff[name] = [sorted(before), sorted(i.pk for i in items)]
                getattr(activity, name).set(items)
    if diff:
        record(actor=actor, action="activity.updated", target=activity,
               unit_path=activity.unit_path, changes=diff)
    return activity


@transaction.atomic
def delete_activity(*, actor: Any, activity: Activity) -> None:
    ensure_not_locked(activity.unit_path, activity.date)
    _can_edit(actor, activity)
    if activity.commendations.exists():
        raise ActionError(_("A commendation refers to this activity; it cannot be deleted."))
    label, path, pk = str(activity), activity.unit_path, activity.pk
    delete_on_commit([a.file for a in activity.attachments.all()])
    activity.delete()
    record(actor=actor, action="activity.deleted", target_label=label, unit_path=path,
           changes={"id": pk})


@transaction.atomic
def add_attachment(*, actor: Any, activity: Activity, upload: Any,
                   caption: str = "") -> Attachment:
    _can_edit(actor, activity)
    guard(unit_path=activity.unit_path, dates=[activity.date])
    kind = check_upload(upload)
    attachment = Attachment(activity=activity, kind=kind, size=upload.size,
                            caption=_text(caption, 300, _("Caption")))
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    record(actor=actor, action="activity.attachment_added", target=activity,
           unit_path=activity.unit_path, changes={"file": upload.name, "size": upload.size})
    return attachment


# --- Campaigns ------------------------------------------------------------------------------

# A campaign's rules, declared once (decision 0050): the actions run them, the campaign form
# runs those whose inputs are valid when another of its fields fails.
CAMPAIGN_PERIOD_RULES = Rules()


@CAMPAIGN_PERIOD_RULES.rule("starts_on", "ends_on", field="ends_on")
def _campaign_period(starts_on: dt.date, ends_on: dt.date) -> None:
    if ends_on < starts_on:
        raise ActionError(_("The campaign ends before it starts."))


@CAMPAIGN_PERIOD_RULES.rule("plan_document", field="plan_document")
def _campaign_plan(plan_document: Any) -> None:
    if plan_document is not None:
        check_upload(plan_document, kinds={"document"})


_CAMPAIGN_FIELDS = Rules()


@_CAMPAIGN_FIELDS.rule("unit")
def _campaign_unit(unit: Unit) -> None:
    ensure_open(unit)


_CAMPAIGN_FIELDS.cleans("name", partial(_text, limit=300, label=gettext_lazy("Name"),
                                         required=True, field="name"))
_CAMPAIGN_FIELDS.cleans("description", partial(_text, limit=5000,
                                               label=gettext_lazy("Description"),
                                               field="description"))


CAMPAIGN_RULES = _CAMPAIGN_FIELDS + CAMPAIGN_PERIOD_RULES


@transaction.atomic
def create_campaign(*, actor: Any, unit: Unit, name: str, starts_on: dt.date,
                    ends_on: dt.date, description: str = "",
                    plan_document: Any = None) -> Campaign:
    require(actor, "activity.manage", unit)
    cleaned = CAMPAIGN_RULES.check({"unit": unit, "name": name, "description": description,
                                    "starts_on": starts_on, "ends_on": ends_on,
                                    "plan_document": plan_document})
    name, description = cleaned["name"], cleaned["description"]
    campaign = Campaign(unit=unit, unit_path=unit.path, created_by=actor, name=name,
                        starts_on=starts_on, ends_on=ends_on, description=description)
    if plan_document is not None:
        campaign.plan_document.save(plan_document.name, plan_document, save=False)
    campaign.save()
    record(actor=actor, action="campaign.created", target=campaign, unit_path=unit.path,
           changes={"period": [starts_on, ends_on]})
    return campaign


@transaction.atomic
def update_campaign(*, actor: Any, campaign: Campaign, **changes: Any) -> Campaign:
    require(actor, "activity.manage", campaign.unit)
    allowed = {"name", "starts_on", "ends_on", "description", "plan_document", "archived"}
    if set(changes) - allowed:
        raise ActionError(f"unknown fields: {sorted(set(changes) - allowed)}")
    plan = changes.pop("plan_document", None)
    diff = {k: [getattr(campaign, k), v] for k, v in changes.items()
            if getattr(campaign, k) != v}
    for key, value in changes.items():
        setattr(campaign, key, value)
    CAMPAIGN_PERIOD_RULES.check({"starts_on": campaign.starts_on,
                                 "ends_on": campaign.ends_on, "plan_document": plan})
    if plan is not None:
        campaign.plan_document.save(plan.name, plan, save=False)
        diff["plan_document"] = plan.name
    campaign.save()
    if diff:
        record(actor=actor, action="campaign.updated", target=campaign,
               unit_path=campaign.unit_path, changes=diff)
    return campaign


@transaction.atomic
def set_targets(*, actor: Any, campaign: Campaign,
                targets: Mapping[Unit, tuple[int, int, int]]) -> None:
    """Set (sessions, participants, new models) per unit of the campaign's subtree."""
    require(actor, "activity.manage", campaign.unit)
    changes = {}
    errors = RuleErrors()
    for unit in targets:
        errors.check(is_within(unit.path, campaign.unit_path),
                     _("%(unit)s does not take part in this campaign.") % {"unit": unit.name})
    errors.check(min((min(numbers) for numbers in targets.values()), default=0) >= 0,
                 _("Targets cannot be negative."))
    errors.raise_if_any()
    for unit, (sessions, participants, new_models) in targets.items():
        CampaignTarget.objects.update_or_create(
            campaign=campaign, unit=unit,
            defaults={"sessions": sessions, "participants": participants,
                      "new_models": new_models})
        changes[unit.name] = [sessions, participants, new_models]
    record(actor=actor, action="campaign.targets_set", target=campaign,
           unit_path=campaign.unit_path, changes=changes)


# --- Catalogues: archive instead of delete when in use --------------------------------------

def _in_use(obj: Model) -> bool:
    """Whether anything refers to ``obj``. Rows that are parts of it (deleted with it, such as
    a campaign's targets) do not count."""
    for rel in obj._meta.related_objects:
        if getattr(rel, "on_delete", None) is CASCADE:
            continue
        accessor = rel.get_accessor_name()
        if accessor and getattr(obj, accessor).exists():
            return True
    return False


@transaction.atomic
def delete_or_refuse(*, actor: Any, obj: Campaign | Topic | Format | Movement | Audience) -> None:
    """Delete a campaign or catalogue entry that nothing refers to; refuse otherwise."""
    if isinstance(obj, Campaign):
        require(actor, "activity.manage", obj.unit)
    elif actor is not None and not has_capability(actor, "catalogue.manage"):
        raise ActionError(_("You cannot change the catalogues."))
    if _in_use(obj):
        raise ActionError(_("“%(name)s” is in use and cannot be deleted; archive it instead.")
                          % {"name": obj})
    label, path = str(obj), getattr(obj, "unit_path", "")
    action = f"{obj._meta.model_name}.deleted"
    plan = obj.plan_document if isinstance(obj, Campaign) and obj.plan_document else None
    obj.delete()
    record(actor=actor, action=action, target_label=label, unit_path=path)
    if plan is not None:
        delete_on_commit([plan])


@transaction.atomic
def set_archived(*, actor: Any,
                 obj: Campaign | Topic | Format | Movement | Audience | Material,
                 archived: bool = True) -> None:
    if isinstance(obj, Campaign):
        require(actor, "activity.manage", obj.unit)
    elif actor is not None and not has_capability(actor, "catalogue.manage"):
        raise ActionError(_("You cannot change the catalogues."))
    obj.archived = archived
    obj.save(update_fields=["archived"])
    record(actor=actor, action=f"{obj._meta.model_name}.{'archived' if archived else 'restored'}",
           target=obj, unit_path=getattr(obj, "unit_path", ""))


# --- Topics and materials -------------------------------------------------------------------

def _require_catalogue(actor: Any) -> None:
    if actor is not None and not has_capability(actor, "catalogue.manage"):
        raise ActionError(_("You cannot change the topic library."))


# The library's rules, declared once (decision 0050): the actions run them, and the topic
# and material forms run those whose inputs are valid when one of their fields fails.
TOPIC_RULES = Rules()


@TOPIC_RULES.rule("name", field="name")
def _topic_name(name: str) -> dict[str, str]:
    name = _text(name, 300, _("Name"), required=True)
    if Topic.objects.filter(name_folded=fold(name)).exists():
        raise ActionError(_("The topic “%(name)s” already exists.") % {"name": name})
    return {"name": name}


TOPIC_RULES.cleans("description", partial(_text, limit=5000,
                                          label=gettext_lazy("Description"),
                                          field="description"))
MATERIAL_RULES = Rules()
MATERIAL_RULES.cleans("title", partial(_text, limit=300, label=gettext_lazy("Title"),
                                       required=True, field="title"))


@MATERIAL_RULES.rule("upload", field="upload")
def _material_file(upload: Any) -> dict[str, str]:
    return {"kind": check_upload(upload)}


@transaction.atomic
def create_topic(*, actor: Any, name: str, kind: str = Topic.Kind.OTHER,
                 description: str = "") -> Topic:
    _require_catalogue(actor)
    cleaned = TOPIC_RULES.check({"name": name, "description": description})
    name = cleaned["name"]
    topic = Topic.objects.create(name=name, name_folded=fold(name), kind=kind,
                                 description=cleaned["description"])
    record(actor=actor, action="topic.created", target=topic)
    return topic


@transaction.atomic
def add_material(*, actor: Any, topic: Topic, title: str, upload: Any) -> Material:
    _require_catalogue(actor)
    cleaned = MATERIAL_RULES.check({"title": title, "upload": upload})
    material = Material(topic=topic, title=cleaned["title"], kind=cleaned["kind"],
                        size=upload.size, uploaded_by=actor)
    material.file.save(upload.name, upload, save=False)
    material.save()
    record(actor=actor, action="material.added", target=material,
           changes={"topic": topic, "file": upload.name, "size": upload.size})
    return material


# --- Speakers, movements, commendations -----------------------------------------------------

# The rules of a speaker of the roster, declared once (decision 0056): ``create_speaker`` and
# ``update_speaker`` run them, and the speaker form runs those whose inputs are valid when one
# of its fields fails.
SPEAKER_RULES = Rules()
SPEAKER_RULES.cleans("full_name", partial(_text, limit=150, label=gettext_lazy("Full name"),
                                          required=True, field="full_name"))
SPEAKER_RULES.cleans("phone", partial(_text, limit=20, label=gettext_lazy("Phone"),
                                      field="phone"))
SPEAKER_RULES.cleans("training", partial(_text, limit=5000, label=gettext_lazy("Training"),
                                         field="training"))


@SPEAKER_RULES.rule("kind", field="kind")
def _speaker_kind(kind: str) -> None:
    if kind not in Speaker.Kind.values:
        raise ActionError(_("Choose a kind."), field="kind")


@SPEAKER_RULES.rule("trained_on", field="trained_on")
def _speaker_trained_on(trained_on: dt.date | None) -> None:
    if trained_on is not None:
        check_date(trained_on, field="trained_on", label=_("Last trained on"))


# A new speaker's: her unit open, and the speaker's rules.
NEW_SPEAKER_RULES = Rules()


@NEW_SPEAKER_RULES.rule("unit", field="unit")
def _speaker_unit_open(unit: Unit) -> None:
    ensure_open(unit)


NEW_SPEAKER_RULES = NEW_SPEAKER_RULES + SPEAKER_RULES


@transaction.atomic
def create_speaker(*, actor: Any, unit: Unit, full_name: str,
                   kind: str = Speaker.Kind.COMMUNICATOR, user: Any = None, phone: str = "",
                   training: str = "", trained_on: dt.date | None = None) -> Speaker:
    require(actor, "activity.manage", unit)
    values = NEW_SPEAKER_RULES.check({"unit": unit, "full_name": full_name, "kind": kind,
                                      "phone": phone, "training": training,
                                      "trained_on": trained_on})
    name = values["full_name"]
    speaker = Speaker.objects.create(
        unit=unit, unit_path=unit.path, created_by=actor, full_name=name,
        name_folded=fold(name), kind=kind, user=user, phone=values["phone"],
        training=values["training"], trained_on=trained_on)
    record(actor=actor, action="speaker.created", target=speaker, unit_path=unit.path)
    return speaker


@transaction.atomic
def update_speaker(*, actor: Any, speaker: Speaker, **changes: Any) -> Speaker:
    """Edit a speaker; ``unit`` moves her to another unit, which the editor must manage too
    (``NotInScope``, a 404, otherwise) and which must be open. Her talks are counted at her
    unit ("active speakers"), so a move is refused when it would change a locked period's
    count: from her first done activity to today, at both units."""
    require(actor, "activity.manage", speaker.unit)
    allowed = {"full_name", "kind", "phone", "training", "trained_on", "active", "user", "unit"}
    if set(changes) - allowed:
        raise ActionError(f"unknown fields: {sorted(set(changes) - allowed)}")
    old_path = speaker.unit_path
    moving = changes.get("unit") is not None and changes["unit"].pk != speaker.unit_id
    if not moving:
        changes.pop("unit", None)
    else:
        require(actor, "activity.manage", changes["unit"])
    changes |= (NEW_SPEAKER_RULES if moving else SPEAKER_RULES).check(changes)
    if moving:
        first_talk = (Activity.objects.filter(speakers=speaker, status=Activity.Status.DONE)
                      .order_by("date").values_list("date", flat=True).first())
        guard(unit_path=[old_path, changes["unit"].path], spans=[(first_talk, None)],
              field="unit")
    diff = {k: [str(getattr(speaker, k)), str(v)] if k == "unit" else [getattr(speaker, k), v]
            for k, v in changes.items() if getattr(speaker, k) != v}
    for key, value in changes.items():
        setattr(speaker, key, value)
    if moving:
        speaker.unit_path = speaker.unit.path
    speaker.name_folded = fold(speaker.full_name)
    speaker.save()
    if moving:
        # seen where she was too (that unit's audit trail, its pages' data version)
        record(actor=actor, action="speaker.moved", target=speaker, unit_path=old_path,
               changes={"unit": diff["unit"]})
    if diff:
        record(actor=actor, action="speaker.updated", target=speaker,
               unit_path=speaker.unit_path, changes=diff)
    return speaker


@transaction.atomic
def create_movement(*, actor: Any, name: str, kind: str = Movement.Kind.MOVEMENT,
                    description: str = "") -> Movement:
    _require_catalogue(actor)
    movement = Movement.objects.create(name=_text(name, 300, _("Name"), required=True),
                                       kind=kind,
                                       description=_text(description, 5000, _("Description")))
    record(actor=actor, action="movement.created", target=movement)
    return movement


# A commendation's rules, declared once (decision 0050): ``create_commendation`` runs them
# (for the form and the import), and the form runs those whose inputs are valid when one of
# its fields fails.
COMMENDATION_RULES = Rules()


@COMMENDATION_RULES.rule("recipient_kind", "person_name", field="person_name")
def _person_named(recipient_kind: str, person_name: str) -> None:
    if recipient_kind == Commendation.RecipientKind.PERSON and not person_name.strip():
        raise ActionError(_("Name the person commended."))


@COMMENDATION_RULES.rule("recipient_kind", "club", field="club")
def _club_chosen(recipient_kind: str, club: Any) -> None:
    if recipient_kind == Commendation.RecipientKind.CLUB and club is None:
        raise ActionError(_("Choose the club or model commended."))


@COMMENDATION_RULES.rule("unit", "decided_on", field="decided_on")
def _decided(unit: Unit, decided_on: dt.date) -> None:
    if decided_on > timezone.localdate():
        raise ActionError(_("The decision date is in the future."))
    guard(unit_path=unit.path, dates=[decided_on], field="decided_on")


def _linked_rule(name: str) -> None:
    @COMMENDATION_RULES.rule("unit", name, field=name)
    def check(unit: Unit, **linked: Any) -> None:
        if linked[name] is not None and not is_within(linked[name].unit_path, unit.path):
            raise ActionError(_("The club or activity belongs to another unit."))


for _name in ("club", "activity"):
    _linked_rule(_name)
for _name, _limit, _label, _required in (
        ("person_name", 150, gettext_lazy("Person"), False),
        ("reason", 5000, gettext_lazy("For what"), True),
        ("decision_number", 60, gettext_lazy("Decision number"), False)):
    COMMENDATION_RULES.cleans(_name, partial(_text, limit=_limit, label=_label,
                                             required=_required, field=_name))


@transaction.atomic
def create_commendation(*, actor: Any, unit: Unit, recipient_kind: str, reason: str,
                        level: str, decided_on: dt.date, decision_number: str = "",
                        club: Any = None, person_name: str = "",
                        activity: Activity | None = None) -> Commendation:
    require(actor, "activity.manage", unit)
    texts = COMMENDATION_RULES.check({
        "unit": unit, "recipient_kind": recipient_kind, "reason": reason, "club": club,
        "decided_on": decided_on, "decision_number": decision_number,
        "person_name": person_name, "activity": activity})
    commendation = Commendation.objects.create(
        unit=unit, unit_path=unit.path, created_by=actor, recipient_kind=recipient_kind,
        club=club, activity=activity, level=level, decided_on=decided_on, **texts)
    record(actor=actor, action="commendation.created", target=commendation,
           unit_path=unit.path)
    return commendation



@transaction.atomic
def undo_activity_import(*, actor: Any, event_id: int) -> int:
    """Delete, as a whole, the activities one import created (its ``activity.imported``
    event), while their periods are not locked; one ``activity.import_undone`` event. Refused
    when the import was undone already, when an activity is outside the actor's scope or has a
    commendation. Returns the number of activities deleted."""
    event, activities, count = undoable(actor=actor, event_id=event_id,
                                        action="activity.imported",
                                        capability="activity.manage", model=Activity)
    by_path: dict[str, set[dt.date]] = {}
    for path, date in activities.select_for_update().values_list("unit_path", "date"):
        by_path.setdefault(path, set()).add(date)
    for path, dates in by_path.items():
        guard(unit_path=path, dates=sorted(dates))
    if Commendation.objects.filter(activity__in=activities.values("pk")).exists():
        raise ActionError(_("A commendation refers to an activity of this import; the import "
                            "cannot be undone."))
    delete_on_commit(
        [a.file for a in Attachment.objects.filter(activity__in=activities.values("pk"))])
    deleted = activities.count()
    activities.delete()
    record(actor=actor, action="activity.import_undone", target_label=event.target_label
           or str(event.changes.get("file", "")), unit_path=where_undone(event, by_path),
           changes={"event": event.pk, "file": event.changes.get("file", ""),
                    "deleted": deleted, "already_gone": count - deleted})
    return deleted


@transaction.atomic
def undo_commendation_import(*, actor: Any, event_id: int) -> int:
    """Delete, as a whole, the commendations one import recorded (its
    ``commendation.imported`` event), while the periods of their decisions are not locked;
    one ``commendation.import_undone`` event. Returns how many were deleted."""
    event, commendations, count = undoable(actor=actor, event_id=event_id,
                                           action="commendation.imported",
                                           capability="activity.manage", model=Commendation)
    by_path: dict[str, set[dt.date]] = {}
    for path, date in commendations.select_for_update().values_list("unit_path", "decided_on"):
        by_path.setdefault(path, set()).add(date)
    for path, dates in by_path.items():
        guard(unit_path=path, dates=sorted(dates))
    deleted = commendations.count()
    commendations.delete()
    record(actor=actor, action="commendation.import_undone", target_label=event.target_label,
           unit_path=where_undone(event, by_path),
           changes={"event": event.pk, "file": event.changes.get("file", ""),
                    "deleted": deleted, "already_gone": count - deleted})
    return deleted
