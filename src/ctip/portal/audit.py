"""Every CMS action in ctip's hash-chained audit trail (issue #16, point 3).

Wagtail writes a log entry for every action it takes on a page, image, document, snippet or
redirect (``PageLogEntry``, ``ModelLogEntry``: create, edit, submit, approve, reject, publish,
unpublish, schedule, delete, move, copy, revert, lock ...), whichever screen or command did it.
Each new entry is copied into ctip's trail through ``ctip.audit.actions.record`` in the same
transaction: action ``cms.<kind>.<verb>`` (``cms.page.publish``, ``cms.image.delete``), the
person, the page's title, and the unit the page's section belongs to, so the auditor of that
unit sees it. Restoring from the recycle bin is recorded by ``ctip.portal.recycle``.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from wagtail.models import ModelLogEntry, Page, PageLogEntry

from ctip.audit.actions import record
from ctip.portal.models import SectionPage
from ctip.portal.permissions import bulletin_unit_path

# Wagtail's action codes in the words of the issue; the others keep Wagtail's name.
VERBS = {
    "wagtail.workflow.start": "submit",
    "wagtail.workflow.approve": "approve",
    "wagtail.workflow.reject": "reject",
    "wagtail.workflow.resume": "resubmit",
    "wagtail.workflow.cancel": "withdraw",
    "wagtail.publish.scheduled": "schedule",
    "wagtail.schedule.cancel": "unschedule",
}


def action_code(kind: str, wagtail_action: str) -> str:
    verb = VERBS.get(wagtail_action, wagtail_action.removeprefix("wagtail."))
    return f"cms.{kind}.{verb}"


def page_unit_path(page: Any) -> str:
    """The unit of the section the page is in (or is), else the bulletin's unit."""
    if page is not None:
        section = (SectionPage.objects.ancestor_of(page, inclusive=True)
                   .select_related("unit").order_by("-depth").first())
        if section is not None and section.unit is not None:
            return str(section.unit.path)
    return bulletin_unit_path() or ""


def collapse_autosave(entry: Any) -> bool:
    """Autosave writes over the editor's own latest revision again and again (Wagtail's
    ``overwrite_revision``), and Wagtail logs an "edit" each time. One draft revision is one
    edit: the earlier entries for the same revision by the same person are dropped, so the
    page's history shows it once, at the time of its last save. True if ``entry`` repeats an
    edit already recorded (ctip's audit trail then records nothing more)."""
    if entry.action != "wagtail.edit" or entry.revision_id is None:
        return False
    earlier = PageLogEntry.objects.filter(
        page_id=entry.page_id, revision_id=entry.revision_id, user_id=entry.user_id,
        action="wagtail.edit").exclude(pk=entry.pk)
    return bool(earlier.delete()[0])


def _page_entry(sender: Any, instance: Any, created: bool, raw: bool = False,
                **kwargs: Any) -> None:

    if raw or not created or collapse_autosave(instance):
        return
    page = Page.objects.filter(pk=instance.page_id).first()
    changes: dict[str, Any] = {"page_id": instance.page_id, "revision_id": instance.revision_id}
    if instance.data:
        changes["details"] = instance.data
    record(actor=instance.user, action=action_code("page", instance.action), target=page,
           target_label=instance.label, unit_path=page_unit_path(page), changes=changes)


def _model_entry(sender: Any, instance: Any, created: bool, raw: bool = False,
                 **kwargs: Any) -> None:
    if raw or not created:
        return
    kind = instance.content_type.model if instance.content_type_id else "object"
    changes: dict[str, Any] = {"object_id": instance.object_id}
    if instance.data:
        changes["details"] = instance.data
    record(actor=instance.user, action=action_code(kind, instance.action),
           target_label=instance.label, unit_path=page_unit_path(None), changes=changes)


def connect_signals() -> None:
    post_save.connect(_page_entry, sender=PageLogEntry, weak=False,
                      dispatch_uid="portal.audit.page_entry")
    post_save.connect(_model_entry, sender=ModelLogEntry, weak=False,
                      dispatch_uid="portal.audit.model_entry")
