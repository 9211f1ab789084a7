"""Scheduling a publication in two steps (issue #16 point 5): the publisher's action menu has
"Hẹn giờ xuất bản", which opens the schedule dialog, and the dialog's main button schedules
the publication at once. An editor, who may not publish, keeps "Lưu lịch" only. The browser
walk is in tests/e2e/test_cms_policy.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ctip.portal.models import ArticlePage
from tests.portal.conftest import Bulletin, add_article
from tests.portal.test_workflow import admin_form

pytestmark = pytest.mark.django_db


def test_a_publisher_schedules_from_the_dialog_in_one_post(users: dict[str, Any],
                                                          bulletin: Bulletin,
                                                          client_for: Any) -> None:
    draft = add_article(bulletin.section, "Tin hẹn giờ", publish=False, user=users["editor"])
    url = reverse("wagtailadmin_pages:edit", args=(draft.pk,))
    publisher = client_for(users["publisher"])
    html = publisher.get(url).content.decode()
    assert "Hẹn giờ xuất bản</button>" in html.replace("\n", "")  # the menu item
    dialog = html[html.index('id="schedule-publishing-dialog"'):]
    assert 'name="action-publish"' in dialog and "Hẹn giờ xuất bản" in dialog
    assert 'value="ctip-schedule"' in dialog

    when = timezone.localtime() + dt.timedelta(days=3)
    response = publisher.post(url, admin_form(
        draft.title, draft.slug, go_live_at=when.strftime("%Y-%m-%d %H:%M"),
        **{"action-publish": "ctip-schedule"}), follow=True)
    assert response.status_code == 200
    page = ArticlePage.objects.get(pk=draft.pk)
    assert not page.live  # not yet
    revision = page.get_latest_revision()
    assert revision is not None and revision.approved_go_live_at is not None
    assert abs(revision.approved_go_live_at - when) < dt.timedelta(minutes=1)


def test_an_editor_saves_a_schedule_but_cannot_publish_it(users: dict[str, Any],
                                                          bulletin: Bulletin,
                                                          client_for: Any) -> None:
    draft = add_article(bulletin.section, "Bài của biên tập", publish=False,
                        user=users["editor"], owner=users["editor"])
    html = client_for(users["editor"]).get(
        reverse("wagtailadmin_pages:edit", args=(draft.pk,))).content.decode()
    dialog = html[html.index('id="schedule-publishing-dialog"'):]
    assert 'name="action-publish"' not in dialog and "Lưu lịch" in dialog
    assert "Hẹn giờ xuất bản" not in html


@pytest.mark.parametrize("new", [False, True])
def test_the_dialogs_schedule_without_a_time_publishes_nothing_and_keeps_the_text(
        users: dict[str, Any], bulletin: Bulletin, client_for: Any, new: bool) -> None:
    publisher = client_for(users["publisher"])
    if new:
        url = reverse("wagtailadmin_pages:add",
                      args=("portal", "articlepage", bulletin.section.pk))
        title, slug = "Tin chưa chọn giờ", "tin-chua-chon-gio"
    else:
        draft = add_article(bulletin.section, "Tin quên giờ", publish=False,
                            user=users["editor"])
        url = reverse("wagtailadmin_pages:edit", args=(draft.pk,))
        title, slug = "Tin quên giờ (đã sửa)", draft.slug
    response = publisher.post(url, admin_form(title, slug, go_live_at="",
                                              **{"action-publish": "ctip-schedule"}),
                              follow=True)
    assert response.status_code == 200
    page = ArticlePage.objects.get(slug=slug)
    assert not page.live  # she asked for a schedule, not for publishing now
    revision = page.get_latest_revision()
    assert revision is not None and revision.as_object().title == title  # nothing lost
    text = response.content.decode()
    assert "Chưa chọn thời điểm xuất bản" in text, text[:3000]
