"""Migration operations of the records that keep a copy of their unit's path."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def unit_paths_given(app_label: str, *model_names: str) -> migrations.RunPython:
    """Give every row of these models whose stored path is not its unit's the unit's path
    (records that go with their unit since a later decision, left at an old path by a move
    made before it). The roll-up triggers are off while migrations run, and the roll-ups are
    rebuilt after them (decision 0018)."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        unit = apps.get_model("org", "Unit")
        for name in model_names:
            model = apps.get_model(app_label, name)
            model._base_manager.exclude(unit_path=F("unit__path")).update(unit_path=Subquery(
                unit.objects.filter(pk=OuterRef("unit_id")).values("path")[:1]))

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)
