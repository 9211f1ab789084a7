"""The editor hears of a change request: when a publisher sends an article back, the person
who submitted it and the article's last author get a notification on their staff home page,
with the publisher's comment and a link to the article's editor."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from wagtail.models import Page
from wagtail.signals import task_rejected

from ctip.cases.models import Notification


def notify_change_request(sender: Any, instance: Any, user: Any, **kwargs: Any) -> None:
    """``task_rejected`` (Wagtail's "request changes"): one notification per person to tell,
    never to the publisher who asked."""

    workflow_state = instance.workflow_state
    page = workflow_state.content_object
    if not isinstance(page, Page):  # a snippet's workflow
        return
    revision = page.get_latest_revision()
    people = {workflow_state.requested_by, revision.user if revision else None}
    people.discard(None)
    people.discard(user)
    if not people:
        return
    reviewer = (user.get_full_name() or user.get_username()) if user else "—"
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Changes requested on “%(title)s”") % {"title": page.draft_title}
        body = _("%(reviewer)s asked for changes: “%(comment)s”. Make them, then submit the "
                 "article for approval again.") % {
            "reviewer": reviewer, "comment": instance.comment or _("(no comment)")}
    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    Notification.objects.bulk_create([
        Notification(user=person, kind=Notification.Kind.CMS_CHANGES, title=title[:200],
                     body=body, url=url)
        for person in sorted(people, key=lambda p: p.pk)])


def connect_signals() -> None:
    task_rejected.connect(notify_change_request, dispatch_uid="ctip.portal.change_request")
