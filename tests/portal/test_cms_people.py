"""The CMS names people by their full names, not their login names (issue #16 point 5): the
history, the workflow reports, the editor's status panel, the comments' authors and the lists a
publisher filters by owner all show "Lê Thị Hoa", never "bientap"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from wagtail.models import WorkflowState

from ctip.portal.models import ArticlePage
from tests.portal.conftest import Bulletin
from tests.portal.test_workflow import admin_form

pytestmark = pytest.mark.django_db


def _shown(html: str, words: str) -> bool:
    return re.search(rf"(?<![\w.@/-]){re.escape(words)}(?![\w.@/-])", html) is not None


def test_the_cms_shows_full_names_not_logins(users: dict[str, Any], bulletin: Bulletin,
                                             client_for: Any) -> None:
    editor, publisher = users["editor"], users["publisher"]
    editor.full_name, publisher.full_name = "Lê Thị Hoa", "Trần Minh Thư"
    editor.save(update_fields=["full_name"])
    publisher.save(update_fields=["full_name"])
    as_editor, as_publisher = client_for(editor), client_for(publisher)
    add = reverse("wagtailadmin_pages:add", args=("portal", "articlepage", bulletin.section.pk))
    response = as_editor.post(add, admin_form("Bài của Hoa", "bai-cua-hoa",
                                              **{"action-submit": "1"}))
    assert response.status_code == 302
    page = ArticlePage.objects.get(slug="bai-cua-hoa")
    assert WorkflowState.objects.filter(object_id=str(page.pk), status="in_progress").exists()

    screens = [
        reverse("wagtailadmin_pages:history", args=(page.pk,)),
        reverse("wagtailadmin_pages:edit", args=(page.pk,)),
        reverse("wagtailadmin_reports:workflow"),
        reverse("wagtailadmin_reports:site_history"),
        reverse("wagtailadmin_explore", args=(bulletin.section.pk,)),
        reverse("wagtailadmin_home"),
    ]
    for url in screens:
        html = as_publisher.get(url).content.decode()
        assert _shown(html, "Lê Thị Hoa"), url
        assert not _shown(html, editor.username), url
