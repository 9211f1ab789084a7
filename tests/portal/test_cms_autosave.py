"""Autosave does not flood the history (issue #16 point 5): Wagtail's autosave keeps writing
over the editor's one draft revision while she types; the page's history and ctip's audit
trail show one "edited" entry for that revision, not one per autosave -- and nothing she typed
is lost (the draft holds the last text)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from wagtail.models import PageLogEntry

from ctip.audit.models import AuditEvent
from ctip.portal.models import ArticlePage
from tests.portal.conftest import Bulletin, add_article
from tests.portal.test_workflow import admin_form

pytestmark = pytest.mark.django_db


def _autosave(client: Any, page: ArticlePage, lead: str, overwrite: int | None) -> int:
    """What the editor's autosave sends: the form, as JSON, over her own latest revision."""
    data = admin_form(page.title, page.slug, lead=lead)
    if overwrite is not None:
        data["overwrite_revision_id"] = str(overwrite)
    response = client.post(reverse("wagtailadmin_pages:edit", args=(page.pk,)), data,
                           headers={"accept": "application/json"})
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["success"], body
    return int(body["revision_id"])


def test_autosave_writes_one_history_entry_per_draft(users: dict[str, Any], bulletin: Bulletin,
                                                     client_for: Any) -> None:
    page = add_article(bulletin.section, "Bài đang viết", publish=False, user=users["editor"],
                       owner=users["editor"])
    client = client_for(users["editor"])
    before = PageLogEntry.objects.filter(page=page, action="wagtail.edit").count()
    audit_before = AuditEvent.objects.filter(action="cms.page.edit").count()

    revision = _autosave(client, page, "Câu thứ 1.", overwrite=None)
    for n in range(2, 8):
        assert _autosave(client, page, f"Câu thứ {n}.", overwrite=revision) == revision

    edits = PageLogEntry.objects.filter(page=page, action="wagtail.edit")
    assert edits.count() == before + 1
    assert AuditEvent.objects.filter(action="cms.page.edit").count() == audit_before + 1
    # nothing lost: the draft holds what she typed last
    draft = ArticlePage.objects.get(pk=page.pk).get_latest_revision_as_object()
    assert draft.lead == "Câu thứ 7."
    # the history names the last save's time
    latest = page.revisions.get(pk=revision)
    assert edits.order_by("-timestamp").first().timestamp >= latest.created_at.replace(
        microsecond=0)


def test_separate_saves_stay_separate_entries(users: dict[str, Any], bulletin: Bulletin,
                                             client_for: Any) -> None:
    page = add_article(bulletin.section, "Bài hai lần lưu", publish=False,
                       user=users["editor"], owner=users["editor"])
    client = client_for(users["editor"])
    before = PageLogEntry.objects.filter(page=page, action="wagtail.edit").count()
    first = _autosave(client, page, "Bản một.", overwrite=None)
    second = _autosave(client, page, "Bản hai.", overwrite=None)
    assert first != second
    assert PageLogEntry.objects.filter(page=page, action="wagtail.edit").count() == before + 2
