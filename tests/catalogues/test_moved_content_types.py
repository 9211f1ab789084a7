"""The catalogues' content types move to ``catalogues`` with their permissions and grants
(decision 0068, migration ``catalogues.0003_relabel_moved_models``).

A ``migrate`` stopped before that migration has already created ``catalogues.topic`` beside
``outreach.topic``, the one that the permissions, the groups' grants and the logs point to. The
migration must leave one content type, the old one under the new label, with every grant;
nothing may be left under the old label for ``remove_stale_contenttypes`` to delete.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import ModelLogEntry

moved = importlib.import_module("ctip.catalogues.migrations.0003_relabel_moved_models")

pytestmark = pytest.mark.django_db


def _as_before(model: str) -> tuple[ContentType, ContentType]:
    """The database as such a stopped ``migrate`` leaves it: the old content type with the
    grants, and the new one Django created afterwards, with its own default permissions."""
    new = ContentType.objects.get(app_label="catalogues", model=model)
    old = ContentType.objects.create(app_label="outreach", model=model)
    for permission in Permission.objects.filter(content_type=new):
        Permission.objects.create(content_type=old, codename=permission.codename,
                                  name=permission.name)
    return old, new


def test_a_stopped_migrate_leaves_one_content_type_with_every_grant() -> None:
    old, new = _as_before("topic")
    editors, readers = Group.objects.create(name="biên tập"), Group.objects.create(name="đọc")
    change_old = Permission.objects.get(content_type=old, codename="change_topic")
    view_new = Permission.objects.get(content_type=new, codename="view_topic")
    own = Permission.objects.create(content_type=old, codename="publish_topic", name="publish")
    editors.permissions.add(change_old, own, Permission.objects.get(content_type=old,
                                                                     codename="view_topic"))
    readers.permissions.add(view_new)  # a grant made in between, on the new one
    entry = ModelLogEntry.objects.create(content_type=old, object_id="1", label="x",
                                         action="wagtail.edit", timestamp=timezone.now())

    moved.relabel(apps, None)

    assert not ContentType.objects.filter(app_label="outreach", model="topic").exists()
    kept = ContentType.objects.get(app_label="catalogues", model="topic")
    assert kept.pk == old.pk  # the id the grants and logs were recorded with
    assert set(editors.permissions.values_list("content_type", "codename")) == {
        (kept.pk, "change_topic"), (kept.pk, "publish_topic"), (kept.pk, "view_topic")}
    assert set(readers.permissions.values_list("content_type", "codename")) == {
        (kept.pk, "view_topic")}
    assert Permission.objects.filter(content_type=kept).count() == 5  # 4 defaults + own
    entry.refresh_from_db()
    assert entry.content_type_id == kept.pk


def test_without_a_second_content_type_the_old_one_is_renamed() -> None:
    new = ContentType.objects.get(app_label="catalogues", model="movement")
    grants = set(Permission.objects.filter(content_type=new).values_list("codename", flat=True))
    new.app_label = "outreach"
    new.save()

    moved.relabel(apps, None)

    new.refresh_from_db()
    assert new.app_label == "catalogues"
    assert set(Permission.objects.filter(content_type=new)
               .values_list("codename", flat=True)) == grants
