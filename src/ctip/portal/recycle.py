"""The CMS recycle bin (issue #16, point 3; decision record 0030): nothing lost by a click.

Deleting a bulletin page in the CMS -- one page or many at once -- does not delete it: the page
and its descendants are unpublished (their live revisions noted) and moved under the
``RecycleBinPage``, outside every site, with their revisions, comments and history. A
publisher of the place it came from restores it there (its live revisions published again);
only an administrator deletes for good ("empty"). Editors delete only pages they own (and
Wagtail lets them delete only pages never published). Every step is in ctip's audit trail:
``cms.page.delete`` (to the bin), ``cms.page.restore``, and Wagtail's own log entries of the
unpublishing, moving and final deletion (``ctip.portal.audit``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.actions.delete_page import DeletePageAction
from wagtail.actions.move_page import MovePageAction
from wagtail.actions.unpublish_page import UnpublishPageAction
from wagtail.models import Page, Revision

from ctip.accounts.capabilities import Role
from ctip.accounts.models import RoleAssignment
from ctip.audit.actions import record
from ctip.core.errors import ActionError
from ctip.portal.audit import page_unit_path
from ctip.portal.models import RecycleBinPage, RecycledPage


def may_delete(user: Any, page: Any) -> bool:
    """On top of Wagtail's rule: someone who may not publish there deletes only her own pages
    (all of them, descendants included)."""
    if user.is_superuser or page.permissions_for_user(user).can_publish():
        return True
    return not page.get_descendants(inclusive=True).exclude(owner=user).exists()


def may_empty(user: Any) -> bool:
    return bool(user.is_superuser or RoleAssignment.objects.active().filter(
        user=user, role=Role.SYSTEM_ADMIN, unit__closed_on__isnull=True).exists())


def may_restore(user: Any, item: Any) -> bool:
    parent = item.parent
    return bool(user.is_superuser or (parent is not None and parent.specific
                                       .permissions_for_user(user).can_publish_subpage()))


def recycle_bin() -> Any:
    found = RecycleBinPage.objects.first()
    if found is not None:
        return found
    root = Page.get_first_root_node()
    return root.add_child(instance=RecycleBinPage(title=_("Recycle bin"), slug="thung-rac",
                                                  live=False))


def in_bin(page: Any) -> bool:
    return RecycleBinPage.objects.ancestor_of(page).exists()


@transaction.atomic
def move_to_bin(page: Any, user: Any) -> Any:
    page = Page.objects.select_for_update().get(pk=page.pk).specific
    if in_bin(page):
        raise ActionError(_("This page is already in the recycle bin."))
    parent = page.get_parent()
    unit_path = page_unit_path(page)
    live = [[p.pk, p.live_revision_id] for p in page.get_descendants(inclusive=True).live()
            if p.live_revision_id]
    # the permissions were checked by the caller (the hooks): Wagtail's actions skip theirs,
    # which would refuse an editor moving her own draft to a place she has no rights over
    for descendant in page.get_descendants(inclusive=True).live().specific():
        UnpublishPageAction(descendant, user=user).execute(skip_permission_checks=True)
    page.refresh_from_db()
    MovePageAction(page, recycle_bin(), pos="last-child", user=user).execute(
        skip_permission_checks=True)
    item = RecycledPage.objects.create(page_id=page.pk, parent=parent,
                                       parent_title=parent.title[:255],
                                       live_revisions=live, deleted_by=user)
    record(actor=user, action="cms.page.delete", target=page, target_label=page.title,
           unit_path=unit_path, changes={"page_id": page.pk, "to": "recycle bin",
                                         "from": parent.url_path, "was_live": bool(live)})
    return item


@transaction.atomic
def restore(item: Any, user: Any) -> Any:
    page = Page.objects.select_for_update().get(pk=item.page_id).specific
    parent = item.parent
    if parent is None or in_bin(parent):
        raise ActionError(_("The place this page was in is gone or is in the recycle bin "
                            "too: restore that first."))
    if not may_restore(user, item):
        raise ActionError(_("Only a publisher of the section this page was in may restore "
                            "it."))
    slug, n = page.slug, 1
    while parent.get_children().filter(slug=slug).exists():
        n += 1
        slug = f"{page.slug}-{n}"
    if slug != page.slug:
        Page.objects.filter(pk=page.pk).update(slug=slug)
        page.refresh_from_db()
    MovePageAction(page, parent, pos="last-child", user=user).execute(
        skip_permission_checks=True)
    for page_id, revision_id in item.live_revisions:
        revision = Revision.objects.filter(pk=revision_id, object_id=str(page_id)).first()
        if revision is not None:
            revision.publish(user=user, skip_permission_checks=True)
    page.refresh_from_db()
    record(actor=user, action="cms.page.restore", target=page, target_label=page.title,
           unit_path=page_unit_path(page),
           changes={"page_id": page.pk, "to": page.url_path,
                    "republished": len(item.live_revisions)})
    item.delete()
    return page


@transaction.atomic
def empty(user: Any, items: Any = None) -> int:
    """Delete for good (Wagtail's delete action, logged and audited): an administrator only."""
    if not may_empty(user):
        raise ActionError(_("Only an administrator may empty the recycle bin."))
    items = list(items if items is not None else RecycledPage.objects.all())
    for item in items:
        page = item.page.specific
        DeletePageAction(page, user=user).execute(skip_permission_checks=True)
    return len(items)
