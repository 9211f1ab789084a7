from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_rollups(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """SQLite drops a table's triggers when a migration rebuilds the table: put them back (and
    recompute the roll-ups) after every ``migrate`` if any is missing."""
    from django.db import connections

    from ctip.reports import rollups
    from ctip.reports.models import ActivityMonth

    conn = connections[using]
    if ActivityMonth._meta.db_table not in conn.introspection.table_names():
        return   # migrated backwards past the roll-ups
    rollups.ensure_installed(using)


class ReportsConfig(AppConfig):
    name = "ctip.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        post_migrate.connect(_ensure_rollups, sender=self,
                             dispatch_uid="ctip.reports.ensure_rollups")
