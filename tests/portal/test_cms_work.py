"""A way in and out of the CMS, and nothing lost by a click (issue #16, points 2 and 3):
the staff app links editors and publishers to their CMS work and shows what awaits them; the
CMS links back; someone without CMS rights is told why in Vietnamese; deleting moves pages to a
recycle bin a publisher restores from and only an administrator empties; editors delete only
their own pages; every CMS action reaches ctip's audit trail, where the auditor sees it."""

from __future__ import annotations

import html as html_module
import re
from typing import Any

import pytest
from django.urls import reverse
from wagtail.models import Page, WorkflowState

from ctip.audit.models import AuditEvent
from ctip.portal.models import ArticlePage, RecycledPage
from ctip.trail.selectors import events_visible_to
from tests.portal.conftest import Bulletin, add_article
from tests.portal.test_workflow import admin_form


def _submit(client: Any, section: Any, title: str, slug: str) -> ArticlePage:
    add = reverse("wagtailadmin_pages:add", args=("portal", "articlepage", section.pk))
    response = client.post(add, admin_form(title, slug, **{"action-submit": "1"}))
    assert response.status_code == 302
    return ArticlePage.objects.get(slug=slug)


def _task_action(client: Any, page: Any, action: str, comment: str) -> Any:
    state = WorkflowState.objects.get(status=WorkflowState.STATUS_IN_PROGRESS,
                                      object_id=str(page.pk))
    url = reverse("wagtailadmin_pages:workflow_action",
                  args=(page.pk, action, state.current_task_state_id))
    return client.post(url, {"comment": comment})


def test_editors_and_publishers_find_their_cms_work_on_the_staff_home(
        users: dict[str, Any], bulletin: Bulletin, client_for: Any) -> None:
    editor, publisher = client_for(users["editor"]), client_for(users["publisher"])
    page = _submit(editor, bulletin.section, "Bài chờ duyệt", "bai-cho-duyet")

    html = publisher.get(reverse("core:home")).content.decode()
    assert 'href="/cms/"' in html  # the menu and the card
    assert "1 bài đang chờ bạn duyệt" in html
    edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    assert f'href="{edit_url}"' in html

    assert _task_action(publisher, page, "reject", "Sửa lại đoạn dẫn.").status_code in (200, 302)
    html = editor.get(reverse("core:home")).content.decode()
    assert "Bài của bạn được yêu cầu sửa" in html and f'href="{edit_url}"' in html
    assert "chờ bạn duyệt" not in html  # an editor approves nothing

    # the change request at the top of the editor and on her CMS dashboard
    editor_page = editor.get(edit_url).content.decode()
    assert "yêu cầu sửa lúc" in editor_page and "Sửa lại đoạn dẫn." in editor_page
    dashboard = editor.get("/cms/").content.decode()
    assert "Bài của bạn được yêu cầu sửa" in dashboard and "Sửa lại đoạn dẫn." in dashboard

    viewer_home = client_for(users["viewer"]).get(reverse("core:home")).content.decode()
    assert 'href="/cms/"' not in viewer_home


def test_the_editor_is_notified_of_a_change_request(users: dict[str, Any], bulletin: Bulletin,
                                                   client_for: Any) -> None:
    from ctip.cases.models import Notification

    editor, publisher = client_for(users["editor"]), client_for(users["publisher"])
    page = _submit(editor, bulletin.section, "Bài về lời mời việc làm", "bai-loi-moi")
    assert not Notification.objects.filter(kind="cms_changes").exists()
    _task_action(publisher, page, "reject", "Cần nguồn tin rõ hơn.")

    notice = Notification.objects.get(user=users["editor"], kind="cms_changes")
    assert notice.title == "Bài “Bài về lời mời việc làm” được yêu cầu sửa"
    assert "Cần nguồn tin rõ hơn." in notice.body and "Xuatban" in notice.body
    assert notice.url == reverse("wagtailadmin_pages:edit", args=[page.pk])
    assert not Notification.objects.filter(user=users["publisher"]).exists()
    home = editor.get(reverse("core:home")).content.decode()
    assert "Bài “Bài về lời mời việc làm” được yêu cầu sửa" in html_module.unescape(home)
    assert "Cần nguồn tin rõ hơn." in html_module.unescape(home)

    # a second request is a second notification; approving sends none
    edit = reverse("wagtailadmin_pages:edit", args=[page.pk])
    editor.post(edit, admin_form(page.title, page.slug, **{"action-submit": "1"}))
    _task_action(publisher, page, "reject", "Thêm ảnh.")
    assert Notification.objects.filter(user=users["editor"], kind="cms_changes").count() == 2
    editor.post(edit, admin_form(page.title, page.slug, **{"action-submit": "1"}))
    _task_action(publisher, page, "approve", "Đồng ý.")
    assert Notification.objects.filter(kind="cms_changes").count() == 2


def test_the_cms_links_back_to_the_staff_app(users: dict[str, Any], bulletin: Bulletin,
                                             client_for: Any) -> None:
    html = client_for(users["editor"]).get("/cms/").content.decode()
    # the menu is JSON for the sidebar's script: \\uXXXX escapes inside an HTML attribute
    menu = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)),
                  html_module.unescape(html))
    assert "Về trang công tác" in menu and f'"{reverse("core:home")}"' in menu


def test_someone_without_cms_rights_is_told_why_in_vietnamese(users: dict[str, Any],
                                                              client_for: Any) -> None:
    response = client_for(users["viewer"]).get("/cms/", follow=True)
    assert response.status_code == 403
    html = response.content.decode()
    assert "dành cho biên tập viên và người duyệt đăng" in html
    assert "Biên tập viên" in html and "Người duyệt đăng" in html
    main = html[html.index("<main"):html.index("</main>")]
    assert "permission" not in main.lower(), main


def test_every_cms_action_reaches_the_audit_trail_seen_by_the_auditor(
        users: dict[str, Any], bulletin: Bulletin, client_for: Any) -> None:
    editor, publisher = client_for(users["editor"]), client_for(users["publisher"])
    # only this test's events: pages seeded before it (a reseed after a flush) are the system's
    first = (AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    page = _submit(editor, bulletin.section, "Bài được kiểm toán", "bai-duoc-kiem-toan")
    _task_action(publisher, page, "approve", "Đồng ý.")
    page.refresh_from_db()
    assert page.live
    edit = reverse("wagtailadmin_pages:edit", args=[page.pk])
    form = admin_form("Bài được kiểm toán (sửa)", page.slug)
    assert publisher.post(edit, form).status_code == 302  # a draft
    unpublish = reverse("wagtailadmin_pages:unpublish", args=[page.pk])
    assert publisher.post(unpublish, {}).status_code == 302
    move = reverse("wagtailadmin_pages:move_confirm",
                   args=[page.pk, bulletin.other_section.pk])
    assert publisher.post(move, {}).status_code == 302
    delete = reverse("wagtailadmin_pages:delete", args=[page.pk])
    assert publisher.post(delete, {}).status_code == 302
    item = RecycledPage.objects.get(page_id=page.pk)
    restore = reverse("portal_recycle_restore", args=[item.pk])
    assert publisher.post(restore).status_code == 302

    events = AuditEvent.objects.filter(action__startswith="cms.page.", pk__gte=first)
    actions = set(events.values_list("action", flat=True))
    assert {"cms.page.create", "cms.page.submit", "cms.page.approve", "cms.page.publish",
            "cms.page.edit", "cms.page.unpublish", "cms.page.move", "cms.page.delete",
            "cms.page.restore"} <= actions, actions
    seen = events_visible_to(users["auditor"]).filter(action__startswith="cms.page.",
                                                      pk__gte=first)
    assert seen.count() == events.count()
    approve = seen.get(action="cms.page.approve")
    assert approve.actor == users["publisher"] and "Bài được kiểm toán" in approve.target_label
    assert seen.filter(action="cms.page.submit", actor=users["editor"]).exists()


def test_a_deleted_live_article_waits_in_the_bin_and_comes_back_with_its_history(
        users: dict[str, Any], bulletin: Bulletin, client_for: Any, client: Any) -> None:
    publisher = client_for(users["publisher"])
    article = add_article(bulletin.section, "Bài lỡ tay xoá", revision=True,
                          owner=users["editor"])
    url = article.url
    revisions = article.revisions.count()
    assert client.get(url).status_code == 200

    response = publisher.post(reverse("wagtailadmin_pages:delete", args=[article.pk]), {})
    assert response.status_code == 302
    article.refresh_from_db()
    assert not article.live and article.get_parent().specific_class.__name__ == \
        "RecycleBinPage"
    assert client.get(url).status_code == 404
    assert article.revisions.count() == revisions
    html = publisher.get(reverse("portal_recycle_bin")).content.decode()
    assert "Bài lỡ tay xoá" in html and "Khôi phục" in html
    assert "Xoá hẳn" not in html  # a publisher does not empty the bin
    # refused (Wagtail's admin turns the refusal into a redirect with a message)
    assert publisher.post(reverse("portal_recycle_empty")).status_code in (302, 403)
    assert Page.objects.filter(pk=article.pk).exists()

    item = RecycledPage.objects.get(page_id=article.pk)
    assert publisher.post(reverse("portal_recycle_restore", args=[item.pk])).status_code == 302
    article.refresh_from_db()
    assert article.live and article.url == url
    assert article.revisions.count() >= revisions
    assert client.get(url).status_code == 200


def test_only_an_administrator_empties_the_bin(users: dict[str, Any], bulletin: Bulletin,
                                               client_for: Any) -> None:
    article = add_article(bulletin.section, "Bài sẽ xoá hẳn")
    client_for(users["publisher"]).post(
        reverse("wagtailadmin_pages:delete", args=[article.pk]), {})
    assert RecycledPage.objects.filter(page_id=article.pk).exists()
    for name in ("editor", "publisher"):
        assert client_for(users[name]).post(reverse("portal_recycle_empty")).status_code in (
            302, 403)
        assert Page.objects.filter(pk=article.pk).exists()
    admin = client_for(users["system_admin"])
    assert admin.post(reverse("portal_recycle_empty")).status_code == 302
    assert not Page.objects.filter(pk=article.pk).exists()
    assert AuditEvent.objects.filter(action="cms.page.delete",
                                     actor=users["system_admin"]).exists()


@pytest.mark.parametrize("bulk", [False, True])
def test_editors_delete_only_their_own_pages(users: dict[str, Any], bulletin: Bulletin,
                                             client_for: Any, bulk: bool) -> None:
    editor = client_for(users["editor"])
    theirs = add_article(bulletin.section, "Bản nháp của người khác", publish=False,
                         owner=users["publisher"])
    mine = add_article(bulletin.section, "Bản nháp của tôi", publish=False,
                       owner=users["editor"])

    def delete(page: Any) -> Any:
        if bulk:
            url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "delete"))
            return editor.post(f"{url}?id={page.pk}", {}, follow=True)
        return editor.post(reverse("wagtailadmin_pages:delete", args=[page.pk]), {},
                           follow=True)

    html = delete(theirs).content.decode()
    assert Page.objects.get(pk=theirs.pk).get_parent().pk == bulletin.section.pk
    assert "Bạn chỉ được xoá những trang do chính mình viết" in html
    delete(mine)
    assert RecycledPage.objects.filter(page_id=mine.pk).exists()
