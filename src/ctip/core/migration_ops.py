"""Migration operations that create a table or a column only where it is missing.

The shared catalogues (target groups, movements, topics) were first created by ``outreach``'s
first migration, and the relations to them by the migrations of the apps that name them. They
now belong to ``catalogues``, below both ``community`` and ``outreach`` (decision 0068): the
first migrations no longer mention them, so that no app's migrations depend on an app above it,
and later migrations add them again. A database migrated before keeps its tables, columns and
rows, and these operations only record them in the migration state; a new database gets them
created. Both end with the same schema.

Going back leaves the tables and columns where they are: on a database migrated before, they
hold the rows recorded since the catalogues began, and the older code reads them under the
same names. Rolling back such a release means running the older code, whose migrations still
find everything in place (``migrate`` forwards again is then a no-op here too).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _tables(schema_editor: Any) -> set[str]:
    return set(schema_editor.connection.introspection.table_names())


class CreateModelIfMissing(migrations.CreateModel):
    """``CreateModel``, whose table is created only if the database does not have it yet."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any,
                          to_state: Any) -> None:
        model = to_state.apps.get_model(app_label, self.name)
        if model._meta.db_table not in _tables(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any,
                           to_state: Any) -> None:
        """Kept: the table may hold the rows of years (see the module's note)."""


class AddFieldIfMissing(migrations.AddField):
    """``AddField``, whose column (or, for a many-to-many relation, table) is created only if
    the database does not have it yet."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any,
                          to_state: Any) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        if field.many_to_many:
            present = field.remote_field.through._meta.db_table in _tables(schema_editor)
        else:
            connection = schema_editor.connection
            with connection.cursor() as cursor:
                columns = connection.introspection.get_table_description(
                    cursor, model._meta.db_table)
            present = field.column in {column.name for column in columns}
        if not present:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any,
                           to_state: Any) -> None:
        """Kept: the column may hold the rows' values of years (see the module's note)."""
