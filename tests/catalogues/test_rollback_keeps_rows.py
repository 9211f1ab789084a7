"""Going back over the migrations that took the catalogues over keeps their tables, columns and
rows (decision 0068): on a database migrated before, they hold what was recorded for years, and
the older code reads them under the same names."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from ctip.catalogues.models import Topic
from ctip.core.migration_ops import AddFieldIfMissing, CreateModelIfMissing

pytestmark = pytest.mark.django_db

MIGRATIONS = [("catalogues", "0001_initial"), ("outreach", "0007_catalogue_relations"),
              ("community", "0005_catalogue_relations"), ("offers", "0005_sign_topics")]


def _ops() -> list[tuple[str, object]]:
    found = []
    for app, name in MIGRATIONS:
        migration = importlib.import_module(f"ctip.{app}.migrations.{name}").Migration
        found += [(app, op) for op in migration.operations
                  if isinstance(op, CreateModelIfMissing | AddFieldIfMissing)]
    return found


def test_every_taking_over_operation_leaves_its_table_and_rows_when_undone() -> None:
    ops = _ops()
    assert any(isinstance(op, CreateModelIfMissing) for _, op in ops)
    assert any(isinstance(op, AddFieldIfMissing) for _, op in ops)
    Topic.objects.create(name="Lừa đảo việc làm", name_folded="lua dao viec lam", kind="trick")
    topics = Topic.objects.count()
    tables = set(connection.introspection.table_names())
    editor = connection.schema_editor()  # not entered: undoing must not touch the schema
    for app, op in reversed(ops):
        op.database_backwards(app, editor, None, None)  # type: ignore[attr-defined]
    assert set(connection.introspection.table_names()) == tables
    assert Topic.objects.count() == topics > 0
