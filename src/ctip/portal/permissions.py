"""Our roles mapped onto Wagtail's per-section permissions.

Roles are granted over a unit's subtree; the bulletin's sections belong to units
(``SectionPage.unit``; empty = the bulletin's own unit). Wagtail's permissions hang on pages, so:

- **Bulletin-wide groups** "Biên tập viên" and "Xuất bản" hold their page permissions on the
  bulletin home (add sections, edit and publish everywhere). They go only to holders of
  ``bulletin.edit`` / ``bulletin.publish`` whose grant covers the bulletin's unit.
- **Per-section groups**: each section has an editors group "Biên tập viên · <section title>"
  and a publishers group "Xuất bản · <section title>" (``SectionGroups`` links them to the
  section, so the names follow the title; a name already taken by another group gets the
  section's id appended, and names are cut to Django's 150 characters). They hold the same
  page permissions (``PAGE_PERMISSIONS``) on that section only. A holder of ``bulletin.edit``
  granted at unit U is in a section's editors group iff the section's unit is within U's
  subtree; the same for ``bulletin.publish`` and the publishers group.
- Every group has ``access_admin`` (to open ``/cms/``) and the image and document
  permissions on the root collection.
- **Moderation**: each section has its own workflow "Duyệt bài trước khi đăng · <title>"
  (attached with Wagtail's ``WorkflowPage``) whose one group approval task "Xuất bản duyệt bài ·
  <title>" belongs to the section's publishers and to the bulletin-wide "Xuất bản"; so a
  commune publisher approves in her sections only. The home keeps the bulletin-wide workflow.

**The bulletin's unit.** The home has no unit of its own: the bulletin stands for the province,
the first open unit of type "province" (by depth, then id), or else the top of the tree. A
grant at the province or above covers it; a section whose unit is empty belongs to it.

**Who may change a section's unit.** Only a publisher over both the present unit and the new
one (``may_change_unit``, checked by ``SectionPageForm`` in the section's editor), so a commune
editor cannot hand her section to herself or to another commune.

**When it runs.** ``sync_wagtail_groups(user)`` at the end of every role grant and revocation
(``ctip.accounts.actions`` sends ``accounts.signals.roles_changed``), inside its transaction.
``sync_section(section)`` whenever a section is saved (post_save, connected in
``PortalConfig.ready``: created, renamed, moved, unit changed -- also for sections made by ``ctip
demo`` and the tests) and re-syncs every holder of the bulletin capabilities. ``ensure_groups``
creates everything that is missing and syncs the memberships; the data migrations call it with the
historical models. Everything is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.db.models.signals import post_save, pre_delete
from wagtail.models import Workflow, WorkflowPage

from ctip.accounts.capabilities import ROLE_CAPABILITIES
from ctip.accounts.policy import grants_of
from ctip.accounts.signals import roles_changed
from ctip.org.signals import units_restructured
from ctip.portal.models import SectionGroups, SectionPage

EDITORS = "Biên tập viên"
SEPARATOR = " · "
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
# The bulletin-wide publishers also keep the site's settings and its redirects (issue #16)
SITE_PERMISSIONS = {
    EDITORS: [],
    PUBLISHERS: [("wagtailredirects", "redirect", "add_redirect"),
                 ("wagtailredirects", "redirect", "change_redirect"),
                 ("wagtailredirects", "redirect", "delete_redirect"),
                 ("portal", "bulletinsettings", "change_bulletinsettings")],
}


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


def _grant_group(apps: Any, group: Any, kind: str, page: Any, collection: Any,
                 access: Any) -> None:
    """Give ``group`` the permissions of ``kind`` (EDITORS or PUBLISHERS) on ``page``."""
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    group.permissions.add(access)
    if page is not None:
        for codename in PAGE_PERMISSIONS[kind]:
            GroupPagePermission.objects.get_or_create(
                group=group, page=page,
                permission=_permission(apps, "wagtailcore", "page", codename))
    if collection is not None:
        for app_label, model, codename in COLLECTION_PERMISSIONS[kind]:
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=collection,
                permission=_permission(apps, app_label, model, codename))


def _sections_known(apps: Any) -> bool:
    """False in the historical state of the first data migration (no per-section groups)."""
    try:
        apps.get_model("portal", "SectionGroups")
    except LookupError:
        return False
    return True


def _wide_groups(apps: Any) -> dict[str, Any]:
    Group = apps.get_model("auth", "Group")
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in (EDITORS, PUBLISHERS)}
    page = _bulletin_root(apps)
    collection = apps.get_model("wagtailcore", "Collection").objects.filter(
        depth=1).order_by("path").first()
    access = _permission(apps, *ADMIN_ACCESS)
    for name, group in groups.items():
        _grant_group(apps, group, name, page, collection, access)
        group.permissions.add(*(_permission(apps, *perm) for perm in SITE_PERMISSIONS[name]))
    _ensure_workflow(apps, groups[PUBLISHERS], page)
    return groups


def ensure_groups(apps: Any = global_apps) -> dict[str, Any]:
    """Create the bulletin-wide groups, every section's groups, their permissions and
    workflows, and put the holders of the bulletin roles in the right ones. Idempotent."""
    groups = _wide_groups(apps)
    if _sections_known(apps):
        SectionPage = apps.get_model("portal", "SectionPage")
        for section in SectionPage.objects.order_by("path"):
            _ensure_section(apps, section, groups)
        _sync_members(apps)
    return groups


def _group_name(apps: Any, prefix: str, section: Any, own_pk: int | None) -> str:
    """``"<prefix> · <title>"``, or with `` (#pk)``, `` (#pk-2)``, … when another group has
    that name already (a section may even be titled like another one's suffixed name)."""
    Group = apps.get_model("auth", "Group")
    base = f"{prefix}{SEPARATOR}{section.title}"
    taken = Group.objects.exclude(pk=own_pk)
    name, n = base[:150], 1
    while taken.filter(name=name).exists():
        suffix = f" (#{section.pk})" if n == 1 else f" (#{section.pk}-{n})"
        name = base[:150 - len(suffix)] + suffix
        n += 1
    return name


def _ensure_section(apps: Any, section: Any, wide: dict[str, Any]) -> Any:
    """The section's two groups (named after its title), their permissions on the section
    and its own moderation workflow. Returns the ``SectionGroups`` row."""
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    SectionGroups = apps.get_model("portal", "SectionGroups")
    link = (SectionGroups.objects.filter(section_id=section.pk)
            .select_related("editors", "publishers").first())
    if link is None:
        editors = Group.objects.create(name=_group_name(apps, EDITORS, section, None))
        publishers = Group.objects.create(name=_group_name(apps, PUBLISHERS, section, None))
        link = SectionGroups.objects.create(section_id=section.pk, editors=editors,
                                            publishers=publishers)
    else:
        for group, prefix in ((link.editors, EDITORS), (link.publishers, PUBLISHERS)):
            name = _group_name(apps, prefix, section, group.pk)
            if group.name != name:
                group.name = name
                group.save(update_fields=["name"])
    page = Page.objects.get(pk=section.pk)
    collection = apps.get_model("wagtailcore", "Collection").objects.filter(
        depth=1).order_by("path").first()
    access = _permission(apps, *ADMIN_ACCESS)
    _grant_group(apps, link.editors, EDITORS, page, collection, access)
    _grant_group(apps, link.publishers, PUBLISHERS, page, collection, access)
    _ensure_section_workflow(apps, page, section.title, [link.publishers, wide[PUBLISHERS]])
    return link


def _approval_task(apps: Any, workflow: Any, name: str,
                   renamable: Callable[[str], bool]) -> Any:
    """The first task of ``workflow`` as a group approval task: created as ``name`` when the
    workflow has none, renamed to ``name`` when ``renamable(its present name)``; None when the
    first task is of another kind (set up by hand: left alone)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    task_link = WorkflowTask.objects.filter(workflow=workflow).order_by("sort_order").first()
    if task_link is None:
        content_type, _c = ContentType.objects.get_or_create(
            app_label="wagtailcore", model="groupapprovaltask")
        task = GroupApprovalTask.objects.create(name=name, content_type=content_type,
                                                active=True)
        WorkflowTask.objects.create(workflow=workflow, task_id=task.pk, sort_order=0)
        return task
    task = GroupApprovalTask.objects.filter(pk=task_link.task_id).first()
    if task is not None and task.name != name and renamable(task.name):
        task.name = name
        task.save(update_fields=["name"])
    return task


def _ensure_section_workflow(apps: Any, page: Any, title: str, approvers: list[Any]) -> None:
    """The section's own workflow, one group approval task for ``approvers``. A workflow an
    administrator attached to the section by hand (not one of ours) is left alone."""
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    ours = WORKFLOW_NAME + SEPARATOR
    workflow_name = f"{ours}{title}"[:255]
    task_name = f"{TASK_NAME}{SEPARATOR}{title}"[:255]
    link = WorkflowPage.objects.filter(page_id=page.pk).select_related("workflow").first()
    if link is None:
        workflow = Workflow.objects.create(name=workflow_name, active=True)
        WorkflowPage.objects.create(page_id=page.pk, workflow=workflow)
    elif link.workflow.name.startswith(ours):
        workflow = link.workflow
        if workflow.name != workflow_name:
            workflow.name = workflow_name
            workflow.save(update_fields=["name"])
    else:
        return
    task = _approval_task(apps, workflow, task_name,
                          lambda name: name.startswith(TASK_NAME + SEPARATOR))
    if task is not None:
        task.groups.add(*approvers)


def _ensure_workflow(apps: Any, publishers: Any, page: Any) -> None:
    """Wagtail's default moderation workflow (one group approval task), named in Vietnamese for
    the editors' screens: the publishers approve. Created when missing."""
    if page is None:
        return
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
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
    task = _approval_task(apps, workflow, TASK_NAME, lambda name: name == DEFAULT_WORKFLOW)
    if task is not None:
        task.groups.add(publishers)
    if link is None:
        WorkflowPage.objects.get_or_create(page=Page.objects.get(pk=page.pk),
                                           defaults={"workflow": workflow})


def bulletin_unit_path(apps: Any = global_apps) -> str | None:
    """The path of the unit the bulletin stands for: the province (the first open unit of
    type "province"), else the top of the tree."""
    units = apps.get_model("org", "Unit").objects.filter(closed_on__isnull=True)
    path = (units.filter(unit_type__code="province").order_by("depth", "pk")
            .values_list("path", flat=True).first())
    return path or units.order_by("depth", "pk").values_list("path", flat=True).first()


def _covers(grant_paths: list[str], target: str | None) -> bool:
    return target is not None and any(target.startswith(p) for p in grant_paths)


def may_change_unit(user: Any, present: Any, new: Any) -> bool:
    """Whether ``user`` holds ``bulletin.publish`` over both units (``None``: the
    bulletin's unit), so may hand a section from one to the other."""
    paths = [g.unit_path for g in grants_of(user) if "bulletin.publish" in g.capabilities]
    bulletin = bulletin_unit_path()
    return all(_covers(paths, unit.path if unit is not None else bulletin)
               for unit in (present, new))


def _sync_members(apps: Any = global_apps, user_ids: list[int] | None = None) -> None:
    """Put users (all holders of the bulletin roles and all present members, or only
    ``user_ids``) in the bulletin-wide and per-section groups their grants call for, and out
    of the others. Groups we do not manage are never touched."""
    Group = apps.get_model("auth", "Group")
    RoleAssignment = apps.get_model("accounts", "RoleAssignment")
    SectionGroups = apps.get_model("portal", "SectionGroups")
    Membership = apps.get_model(settings.AUTH_USER_MODEL)._meta.get_field(
        "groups").remote_field.through

    roles = {cap: [r for r, caps in ROLE_CAPABILITIES.items() if cap in caps]
             for cap in ("bulletin.edit", "bulletin.publish")}
    grants: dict[str, dict[int, list[str]]] = {cap: {} for cap in roles}
    for cap, cap_roles in roles.items():
        rows = RoleAssignment.objects.filter(revoked_at__isnull=True, role__in=cap_roles,
                                             unit__closed_on__isnull=True)
        if user_ids is not None:
            rows = rows.filter(user_id__in=user_ids)
        for user_id, path in rows.values_list("user_id", "unit__path"):
            grants[cap].setdefault(user_id, []).append(path)

    wide = dict(Group.objects.filter(name__in=[EDITORS, PUBLISHERS])
                .values_list("name", "pk"))
    bulletin_path = bulletin_unit_path(apps)
    targets: list[tuple[int, str, str | None]] = []  # (group, capability, unit path)
    for name, cap in ((EDITORS, "bulletin.edit"), (PUBLISHERS, "bulletin.publish")):
        if name in wide:
            targets.append((wide[name], cap, bulletin_path))
    for editors, publishers, path in SectionGroups.objects.values_list(
            "editors_id", "publishers_id", "section__unit__path"):
        targets.append((editors, "bulletin.edit", path or bulletin_path))
        targets.append((publishers, "bulletin.publish", path or bulletin_path))
    managed = {group for group, _cap, _path in targets}

    current_rows = Membership.objects.filter(group_id__in=managed)
    if user_ids is not None:
        current_rows = current_rows.filter(user_id__in=user_ids)
    current = set(current_rows.values_list("user_id", "group_id"))
    users = {u for by_user in grants.values() for u in by_user} | {u for u, _g in current}
    wanted = {(user, group) for user in users for group, cap, path in targets
              if _covers(grants[cap].get(user, []), path)}
    Membership.objects.bulk_create([Membership(user_id=u, group_id=g)
                                    for u, g in sorted(wanted - current)])
    stale: dict[int, list[int]] = {}
    for user, group in current - wanted:
        stale.setdefault(group, []).append(user)
    for group, members in stale.items():
        Membership.objects.filter(group_id=group, user_id__in=members).delete()


def _complete() -> bool:
    """Whether every group and section link exists (not so after a test flush)."""
    return (Group.objects.filter(name__in=[EDITORS, PUBLISHERS]).count() == 2
            and SectionGroups.objects.count() == SectionPage.objects.count())


def sync_wagtail_groups(user: Any) -> None:
    """Put the user in the Wagtail groups their active roles call for, and out of the others."""
    if not _complete():
        ensure_groups()
    _sync_members(global_apps, [user.pk])


def sync_section(section: Any) -> None:
    """After a section is created, renamed, moved or given another unit: its groups, their
    permissions and its workflow, then the memberships of every holder of the bulletin
    roles."""
    wide = {g.name: g for g in Group.objects.filter(name__in=[EDITORS, PUBLISHERS])}
    if len(wide) < 2:
        ensure_groups()
        return
    _ensure_section(global_apps, section, wide)
    _sync_members(global_apps)


def forget_section(section: Any) -> None:
    """Before a section is deleted: its groups go, its workflow is switched off."""
    link = SectionGroups.objects.filter(section_id=section.pk).first()
    if link is not None:
        Group.objects.filter(pk__in=[link.editors_id, link.publishers_id]).delete()
    workflow_ids = list(WorkflowPage.objects.filter(page_id=section.pk).values_list(
        "workflow_id", flat=True))
    Workflow.objects.filter(pk__in=workflow_ids,
                            name__startswith=WORKFLOW_NAME + SEPARATOR).update(active=False)


def connect_signals() -> None:
    def saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
        if not raw:
            sync_section(instance)

    def deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
        forget_section(instance)

    def restructured(sender: Any, **kwargs: Any) -> None:
        # a moved, merged, split or closed unit changes who covers which section, and which
        # unit the bulletin belongs to: every membership is worked out again
        if _complete():
            _sync_members(global_apps)

    def roles(sender: Any, *, user: Any, **kwargs: Any) -> None:
        sync_wagtail_groups(user)

    roles_changed.connect(roles, weak=False, dispatch_uid="portal.permissions.roles_changed")
    units_restructured.connect(restructured, weak=False,
                               dispatch_uid="portal.section_permissions.restructured")
    post_save.connect(saved, sender=SectionPage, weak=False,
                      dispatch_uid="portal.section_permissions.saved")
    pre_delete.connect(deleted, sender=SectionPage, weak=False,
                       dispatch_uid="portal.section_permissions.deleted")
