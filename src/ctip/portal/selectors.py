"""What awaits a person in the bulletin's CMS, for the staff app's home (issue #16, point 2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from wagtail.models import Page, Task, TaskState, WorkflowState

from ctip.accounts.policy import has_capability

LISTED = 5


@dataclass
class CmsWork:
    """The CMS links and counts shown on the staff home; ``None`` for who has no CMS role."""

    cms_url: str
    to_review: list[Any] = field(default_factory=list)  # pages awaiting her approval
    to_review_count: int = 0
    changes_requested: list[Any] = field(default_factory=list)  # her pages sent back to her
    drafts_count: int = 0  # her pages with changes not yet published
    can_publish: bool = False


def cms_work(user: Any) -> CmsWork | None:
    if not (has_capability(user, "bulletin.edit") or has_capability(user, "bulletin.publish")):
        return None

    work = CmsWork(cms_url=reverse("wagtailadmin_home"),
                   can_publish=has_capability(user, "bulletin.publish"))
    if work.can_publish:
        states = TaskState.objects.none()
        for task in Task.objects.filter(active=True).specific():
            states = states | task.get_task_states_user_can_moderate(user)
        states = states.filter(status=TaskState.STATUS_IN_PROGRESS)
        work.to_review_count = states.count()
        pages = Page.objects.filter(pk__in=[int(pk) for pk in states.values_list(
            "workflow_state__object_id", flat=True)[:LISTED]])
        work.to_review = [_item(page) for page in pages]
    mine = Page.objects.filter(owner=user)
    rejected = WorkflowState.objects.filter(
        status=WorkflowState.STATUS_NEEDS_CHANGES,
        object_id__in=[str(pk) for pk in mine.values_list("pk", flat=True)])
    work.changes_requested = [_item(page) for page in Page.objects.filter(
        pk__in=[int(pk) for pk in rejected.values_list("object_id", flat=True)[:LISTED]])]
    work.drafts_count = mine.filter(has_unpublished_changes=True).count()
    return work


def _item(page: Any) -> dict[str, str]:
    return {"title": page.get_admin_display_title(),
            "url": reverse("wagtailadmin_pages:edit", args=[page.pk])}


@dataclass
class ChangeRequest:
    page_id: int
    title: str
    url: str
    reviewer: str
    comment: str
    when: Any


def change_requests(pages: Any) -> list[ChangeRequest]:
    """The publishers' requests for changes still open on ``pages`` (a page queryset): who
    asked, when, and what they wrote."""
    ids = [str(pk) for pk in pages.values_list("pk", flat=True)]
    states = (WorkflowState.objects.filter(status=WorkflowState.STATUS_NEEDS_CHANGES,
                                           object_id__in=ids)
              .select_related("current_task_state__finished_by").order_by("-pk")[:50])
    titles = dict(Page.objects.filter(pk__in=[int(s.object_id) for s in states])
                  .values_list("pk", "draft_title"))
    found = []
    for state in states:
        task_state = state.current_task_state
        reviewer = task_state.finished_by if task_state is not None else None
        found.append(ChangeRequest(
            page_id=int(state.object_id), title=titles.get(int(state.object_id), ""),
            url=reverse("wagtailadmin_pages:edit", args=[int(state.object_id)]),
            reviewer=(reviewer.get_full_name() or reviewer.get_username()) if reviewer else "",
            comment=(task_state.comment if task_state is not None else "") or "",
            when=task_state.finished_at if task_state is not None else None))
    return found
