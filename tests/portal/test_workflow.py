"""Editorial workflow: our roles become Wagtail groups; the editor writes and submits, the
publisher approves and publishes; scheduled go-live and expiry run from ``ctip worker``;
revisions can be compared and reverted; the admin at /cms/ speaks Vietnamese and is reached
through our own sign-in."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.actions.publish_page_revision import PublishPagePermissionError
from wagtail.models import WorkflowState

from ctip.accounts.actions import grant_role, revoke_role
from ctip.accounts.capabilities import Role
from ctip.accounts.models import RoleAssignment
from ctip.core.scheduler import JOBS, run_due_jobs
from ctip.portal import caching
from ctip.portal.models import ArticlePage
from ctip.portal.permissions import EDITORS, PUBLISHERS, TASK_NAME, WORKFLOW_NAME
from tests.conftest import PASSWORD
from tests.portal.conftest import Bulletin, add_article

pytestmark = pytest.mark.django_db


def groups_of(user: Any) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_roles_map_onto_wagtail_groups(users: dict[str, Any], tree: Any) -> None:
    assert groups_of(users["editor"]) == {EDITORS}
    assert groups_of(users["publisher"]) == {EDITORS, PUBLISHERS}
    assert groups_of(users["commune_officer"]) == set()
    assert not users["editor"].is_staff and not users["editor"].is_superuser
    assert users["editor"].has_perm("wagtailadmin.access_admin")
    assert not users["commune_officer"].has_perm("wagtailadmin.access_admin")

    officer = users["commune_officer"]  # bulletin-wide only from the province up
    grant_role(actor=None, user=officer, role=Role.EDITOR, unit=tree.province)
    assert groups_of(officer) == {EDITORS}
    assignment = RoleAssignment.objects.active().get(user=officer, role=Role.EDITOR)
    revoke_role(actor=None, assignment=assignment)
    assert groups_of(officer) == set()

    publisher = users["publisher"]
    assignment = RoleAssignment.objects.active().get(user=publisher, role=Role.PUBLISHER)
    revoke_role(actor=None, assignment=assignment)
    assert groups_of(publisher) == set()


def test_groups_hold_the_wagtail_permissions(bulletin: Bulletin) -> None:
    from wagtail.models import GroupApprovalTask, GroupPagePermission

    editors, publishers = Group.objects.get(name=EDITORS), Group.objects.get(name=PUBLISHERS)
    perms = {(g.name, p) for g, p in [
        (gp.group, gp.permission.codename) for gp in GroupPagePermission.objects.filter(
            page=bulletin.home, group__in=[editors, publishers])]}
    assert (EDITORS, "add_page") in perms and (EDITORS, "change_page") in perms
    assert (EDITORS, "publish_page") not in perms
    assert (PUBLISHERS, "publish_page") in perms
    task = GroupApprovalTask.objects.get(name=TASK_NAME)
    assert publishers in task.groups.all() and editors not in task.groups.all()
    assert bulletin.home.get_workflow().name == WORKFLOW_NAME
    # each section has its own, named after it (see test_section_permissions)
    assert bulletin.section.get_workflow().name == f"{WORKFLOW_NAME} · {bulletin.section.title}"


def test_editor_writes_and_submits_but_cannot_publish(users: dict[str, Any],
                                                      bulletin: Bulletin) -> None:
    editor = users["editor"]
    section_perms = bulletin.section.permissions_for_user(editor)
    assert section_perms.can_add_subpage()
    draft = add_article(bulletin.section, "Bài của biên tập viên", publish=False, user=editor,
                        owner=editor)
    perms = draft.permissions_for_user(editor)
    assert perms.can_edit() and not perms.can_publish()
    with pytest.raises(PublishPagePermissionError):
        draft.get_latest_revision().publish(user=editor)

    workflow = draft.get_workflow()
    state = workflow.start(draft, editor)
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    task = state.current_task_state.task.specific
    assert task.get_actions(draft, editor) == []  # an editor cannot approve
    assert [a[0] for a in task.get_actions(draft, users["publisher"])][:2] == [
        "reject", "approve"]
    draft.refresh_from_db()
    assert not draft.live


def test_publisher_approves_and_the_page_goes_live(users: dict[str, Any], bulletin: Bulletin,
                                                   client: Client) -> None:
    editor, publisher = users["editor"], users["publisher"]
    draft = add_article(bulletin.section, "Bài chờ duyệt", publish=False, user=editor)
    state = draft.get_workflow().start(draft, editor)
    before = caching.bulletin_version()
    state.current_task_state.approve(user=publisher)
    draft.refresh_from_db()
    state.refresh_from_db()
    assert draft.live and state.status == WorkflowState.STATUS_APPROVED
    assert caching.bulletin_version() != before
    assert client.get(draft.url).status_code == 200


def test_publisher_may_publish_directly(users: dict[str, Any], bulletin: Bulletin) -> None:
    page = add_article(bulletin.section, "Tin nhanh", publish=False, user=users["editor"])
    assert page.permissions_for_user(users["publisher"]).can_publish()
    page.get_latest_revision().publish(user=users["publisher"])
    page.refresh_from_db()
    assert page.live


def test_scheduled_go_live_and_expiry_run_from_the_worker(bulletin: Bulletin, client: Client,
                                                          django_capture_on_commit_callbacks: Any
                                                          ) -> None:
    soon = timezone.now() + dt.timedelta(hours=2)
    page = add_article(bulletin.section, "Tin hẹn giờ", publish=False)
    page.go_live_at = soon
    page.save_revision().publish()
    page.refresh_from_db()
    assert not page.live and page.get_latest_revision().approved_go_live_at == soon
    assert client.get(page.url).status_code == 404

    job = next(j for j in JOBS if j.name == "portal.publish_scheduled")
    assert job.every == dt.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):  # one minute later: not yet
        assert run_due_jobs(timezone.now(), [job]) == ["portal.publish_scheduled"]
    page.refresh_from_db()
    assert not page.live

    later = timezone.now() + dt.timedelta(hours=3)  # the worker's scheduler, three hours on
    with mock.patch("django.utils.timezone.now", return_value=later), \
            django_capture_on_commit_callbacks(execute=True):
        assert run_due_jobs(later, [job]) == ["portal.publish_scheduled"]
    page.refresh_from_db()
    assert page.live
    assert client.get(page.url).status_code == 200

    page.go_live_at = None
    page.expire_at = timezone.now() + dt.timedelta(days=1)
    page.save_revision().publish()
    from ctip.portal.tasks import publish_scheduled

    with mock.patch("django.utils.timezone.now",
                    return_value=timezone.now() + dt.timedelta(days=2)):
        result = publish_scheduled.enqueue()
    assert not result.errors, result.errors[0].traceback
    page.refresh_from_db()
    assert not page.live and page.expired
    assert client.get(page.url).status_code == 404


def test_revisions_can_be_compared_and_reverted(users: dict[str, Any], bulletin: Bulletin,
                                                client_for: Any) -> None:
    publisher = users["publisher"]
    page = add_article(bulletin.section, "Tiêu đề đầu tiên", publish=False, user=publisher)
    first = page.get_latest_revision()
    first.publish(user=publisher)
    page = ArticlePage.objects.get(pk=page.pk)
    page.title = "Tiêu đề đã sửa"
    second = page.save_revision(user=publisher)
    second.publish(user=publisher)

    signed_in = client_for(publisher)
    compare = signed_in.get(reverse("wagtailadmin_pages:revisions_compare",
                                    args=(page.pk, first.pk, second.pk)))
    assert compare.status_code == 200
    text = compare.content.decode()
    # word by word: "Tiêu đề" kept, "đầu tiên" removed, "đã sửa" added
    assert re.search(r'class="deletion">\s*đầu tiên', text)
    assert re.search(r'class="addition">\s*đã sửa', text)
    history = signed_in.get(reverse("wagtailadmin_pages:history", args=(page.pk,)))
    assert history.status_code == 200

    # revert: the old revision becomes the newest one, then is published
    reverted = first.as_object().save_revision(user=publisher, previous_revision=first)
    reverted.publish(user=publisher)
    page.refresh_from_db()
    assert page.title == "Tiêu đề đầu tiên" and page.revisions.count() == 3


def test_cms_uses_our_sign_in_and_speaks_vietnamese(users: dict[str, Any], bulletin: Bulletin,
                                                    client_for: Any) -> None:
    anonymous = Client()
    response = anonymous.get("/cms/", follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('accounts:login')}?next=/cms/"
    assert anonymous.get("/_util/login/")["Location"].startswith(reverse("accounts:login"))
    signed = anonymous.post(reverse("accounts:login"), {
        "username": users["editor"].username, "password": PASSWORD, "next": "/cms/"})
    assert signed["Location"] == "/cms/"
    assert anonymous.get("/cms/").status_code == 200

    # signed in without the bulletin roles: why, in Vietnamese (issue #16), and no loop
    officer = client_for(users["commune_officer"])
    refused = officer.get("/cms/", follow=True)
    assert refused.redirect_chain[-1][0].startswith(reverse("cms_login"))
    assert refused.status_code == 403

    editor = client_for(users["editor"])
    dashboard = editor.get("/cms/")
    assert dashboard.status_code == 200
    assert 'lang="vi"' in dashboard.content.decode()
    page = add_article(bulletin.section, "Bài đang viết", publish=False, user=users["editor"])
    edit = editor.get(reverse("wagtailadmin_pages:edit", args=(page.pk,)))
    assert edit.status_code == 200
    body = edit.content.decode()
    # Wagtail's own Vietnamese ("Preview", "Add comment") and our field labels
    assert "Xem trước" in body and "Thêm bình luận" in body
    assert "Đoạn dẫn (sapo)" in body and "Đơn vị đăng tin" in body
    assert WORKFLOW_NAME in body
    assert "gravatar" not in body.lower()


def test_two_step_sign_in_still_applies_to_the_cms(users: dict[str, Any], tree: Any) -> None:
    """A case worker who also edits the bulletin must pass the second step before /cms/."""
    user = users["case_worker"]
    grant_role(actor=None, user=user, role=Role.EDITOR, unit=tree.province)
    client = Client()
    client.force_login(user)
    response = client.get("/cms/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_setup"))


def admin_form(title: str, slug: str, **extra: str) -> dict[str, str]:
    """What the page editor posts for a new article (one paragraph, in Draftail's format)."""
    content = {"blocks": [{"key": "a1b2c", "text": "Nội dung viết trong trang quản trị.",
                           "type": "unstyled", "depth": 0, "inlineStyleRanges": [],
                           "entityRanges": [], "data": {}}], "entityMap": {}}
    return {"title": title, "slug": slug, "lead": "Đoạn dẫn.", "byline": "Minh Thư",
            "body-count": "1", "body-0-type": "paragraph", "body-0-value": json.dumps(content),
            "body-0-deleted": "", "body-0-order": "0", "body-0-id": "", "tags": "",
            "publishing_unit": "", "feed_image": "", "seo_title": "", "search_description": "",
            "go_live_at": "", "expire_at": "", "comments-TOTAL_FORMS": "0",
            "comments-INITIAL_FORMS": "0", "comments-MIN_NUM_FORMS": "0",
            "comments-MAX_NUM_FORMS": "1000", **extra}


def test_the_workflow_through_the_admin_screens(users: dict[str, Any], bulletin: Bulletin,
                                                client_for: Any) -> None:
    editor, publisher = client_for(users["editor"]), client_for(users["publisher"])
    add = reverse("wagtailadmin_pages:add", args=("portal", "articlepage", bulletin.section.pk))
    assert "Đoạn dẫn (sapo)" in editor.get(add).content.decode()

    # the editor asks to publish: Wagtail keeps a draft
    editor.post(add, admin_form("Bài muốn đăng ngay", "bai-muon-dang-ngay",
                                **{"action-publish": "1"}))
    eager = ArticlePage.objects.get(slug="bai-muon-dang-ngay")
    assert not eager.live

    # the editor submits for moderation
    response = editor.post(add, admin_form("Bài gửi duyệt", "bai-gui-duyet",
                                           **{"action-submit": "1"}))
    assert response.status_code == 302
    page = ArticlePage.objects.get(slug="bai-gui-duyet")
    state = WorkflowState.objects.get(status=WorkflowState.STATUS_IN_PROGRESS,
                                      object_id=str(page.pk))
    assert not page.live

    # the publisher approves from the admin
    approve = reverse("wagtailadmin_pages:workflow_action",
                      args=(page.pk, "approve", state.current_task_state_id))
    assert editor.post(approve, {"comment": ""}).status_code in (302, 403)
    page.refresh_from_db()
    assert not page.live  # the editor may not approve
    response = publisher.post(approve, {"comment": "Đồng ý đăng."})
    assert response.status_code in (200, 302)
    page.refresh_from_db()
    assert page.live
