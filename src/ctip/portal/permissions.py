"""Our roles mapped onto Wagtail's permissions.

A user who holds ``bulletin.edit`` anywhere (the editor role, and the publisher role, which
includes it) is in the group "Biên tập viên": may open the Wagtail admin at ``/cms/``, add and
edit pages under the bulletin home, upload and choose images and documents, and submit a page to
the moderation workflow. A user who holds ``bulletin.publish`` is also in "Xuất bản": may publish
directly, and approves or rejects what editors submitted (Wagtail's moderation workflow, whose
approval task belongs to this group).

``sync_wagtail_groups`` runs at the end of every role grant and revocation, inside its
transaction. ``ensure_groups`` creates the groups and their permissions; the data migration
calls it with the historical models, and ``sync_wagtail_groups`` calls it when the groups are
missing (a test database after a flush).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps

EDITORS = "Biên tập viên"
PUBLISHERS = "Xuất bản"
DEFAULT_WORKFLOW = "Moderators approval"  # the name Wagtail gives its default workflow
WORKFLOW_NAME = "Duyệt bài trước khi đăng"
TASK_NAME = "Xuất bản duyệt bài"

PAGE_PERMISSIONS = {
    EDITORS: ["add_page", "change_page", "lock_page"],
    PUBLISHERS: ["add_page", "change_page", "lock_page", "publish_page", "unlock_page"],
}
# (app label, model, codename, name)
_IMAGES = ("wagtailimages", "image")
_DOCS = ("wagtaildocs", "document")
COLLECTION_PERMISSIONS = {
    EDITORS: [(*_IMAGES, "add_image"), (*_IMAGES, "choose_image"),
              (*_DOCS, "add_document"), (*_DOCS, "choose_document")],
    PUBLISHERS: [(*_IMAGES, "add_image"), (*_IMAGES, "choose_image"), (*_IMAGES, "change_image"),
                 (*_DOCS, "add_document"), (*_DOCS, "choose_document"),
                 (*_DOCS, "change_document")],
}
ADMIN_ACCESS = ("wagtailadmin", "admin", "access_admin")


def _permission(apps: Any, app_label: str, model: str, codename: str) -> Any:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _created = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _created = Permission.objects.get_or_create(
        content_type=content_type, codename=codename,
        defaults={"name": codename.replace("_", " ").capitalize()})
    return permission


def _bulletin_root(apps: Any) -> Any:
    """The page the permissions hang on: the bulletin home, else Wagtail's root page."""
    Page = apps.get_model("wagtailcore", "Page")
    home = apps.get_model("portal", "BulletinHome").objects.order_by("pk").first()
    if home is not None:
        return Page.objects.get(pk=home.pk)
    return Page.objects.filter(depth=1).order_by("path").first()


def ensure_groups(apps: Any = global_apps) -> dict[str, Any]:
    """Create both groups with their permissions, and make "Xuất bản" the approvers of the
    moderation workflow. Idempotent."""
    Group = apps.get_model("auth", "Group")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    Collection = apps.get_model("wagtailcore", "Collection")
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in (EDITORS, PUBLISHERS)}
    page = _bulletin_root(apps)
    collection = Collection.objects.filter(depth=1).order_by("path").first()
    access = _permission(apps, *ADMIN_ACCESS)
    for name, group in groups.items():
        group.permissions.add(access)
        if page is not None:
            for codename in PAGE_PERMISSIONS[name]:
                GroupPagePermission.objects.get_or_create(
                    group=group, page=page,
                    permission=_permission(apps, "wagtailcore", "page", codename))
        if collection is not None:
            for app_label, model, codename in COLLECTION_PERMISSIONS[name]:
                GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=collection,
                    permission=_permission(apps, app_label, model, codename))
    _ensure_workflow(apps, groups[PUBLISHERS], page)
    return groups


def _ensure_workflow(apps: Any, publishers: Any, page: Any) -> None:
    """Wagtail's default moderation workflow (one group approval task), named in Vietnamese for
    the editors' screens: the publishers approve. Created when missing."""
    if page is None:
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    Page = apps.get_model("wagtailcore", "Page")
    ancestors = [page.path[:i] for i in range(4, len(page.path) + 1, 4)]
    link = (WorkflowPage.objects.filter(page__path__in=ancestors, workflow__active=True)
            .order_by("-page__depth").first())
    workflow = link.workflow if link else Workflow.objects.filter(
        name__in=[WORKFLOW_NAME, DEFAULT_WORKFLOW], active=True).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
    elif workflow.name == DEFAULT_WORKFLOW:
        workflow.name = WORKFLOW_NAME
        workflow.save(update_fields=["name"])
    task_link = WorkflowTask.objects.filter(workflow=workflow).order_by("sort_order").first()
    if task_link is None:
        content_type, _c = ContentType.objects.get_or_create(
            app_label="wagtailcore", model="groupapprovaltask")
        task = GroupApprovalTask.objects.create(name=TASK_NAME, content_type=content_type,
                                                active=True)
        WorkflowTask.objects.create(workflow=workflow, task_id=task.pk, sort_order=0)
    else:
        task = GroupApprovalTask.objects.get(pk=task_link.task_id)
        if task.name == DEFAULT_WORKFLOW:
            task.name = TASK_NAME
            task.save(update_fields=["name"])
    task.groups.add(publishers)
    if link is None:
        WorkflowPage.objects.get_or_create(page=Page.objects.get(pk=page.pk),
                                           defaults={"workflow": workflow})


def sync_wagtail_groups(user: Any) -> None:
    """Put the user in the Wagtail groups their active roles call for, and out of the others."""
    from django.contrib.auth.models import Group

    from ctip.accounts.capabilities import ROLE_CAPABILITIES
    from ctip.accounts.models import RoleAssignment

    roles = set(RoleAssignment.objects.active().filter(user=user)
                .values_list("role", flat=True))
    capabilities: set[str] = set()
    for role in roles:
        capabilities |= ROLE_CAPABILITIES[role]
    wanted = {EDITORS: "bulletin.edit" in capabilities,
              PUBLISHERS: "bulletin.publish" in capabilities}
    groups = {g.name: g for g in Group.objects.filter(name__in=wanted)}
    if any(wanted.values()) and len(groups) < len(wanted):
        groups = ensure_groups()
    add = [groups[name] for name, member in wanted.items() if member]
    remove = [groups[name] for name, member in wanted.items() if not member and name in groups]
    if add:
        user.groups.add(*add)
    if remove:
        user.groups.remove(*remove)
