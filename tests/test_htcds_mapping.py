"""Every HTCDS 2.0 core field maps to a model field or a documented reason
(``docs/htcds-mapping.md``); every model field named exists."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

STANDARD = Path("/work/shared/standards/htcds/field-standards-2.0.tsv")
TABLE = Path(__file__).resolve().parents[1] / "docs" / "htcds-mapping.md"
ROW = re.compile(r"^\| `(\w+)` \| (?:`(\w+)\.(\w+)\.(\w+)`|—) \| (.*) \|$")


def core_fields() -> set[str]:
    fields = set()
    for line in STANDARD.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) > 6 and parts[2] == "Core" and re.fullmatch(r"[a-z]{3}_\w+", parts[6]):
            fields.add(parts[6])
    return fields


def rows() -> dict[str, tuple[str | None, str]]:
    found = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            name, app, model, field, note = match.groups()
            found[name] = (f"{app}.{model}.{field}" if app else None, note.strip())
    return found


def test_every_core_field_has_a_row() -> None:
    core = core_fields()
    assert len(core) >= 40  # the standard's 40 core fields were read
    assert core - set(rows()) == set()


def test_every_row_names_a_real_field_or_gives_a_reason() -> None:
    for name, (target, note) in rows().items():
        if target is None:
            assert len(note) > 20, f"{name}: no model field and no reason"
            continue
        app, model, field = target.split(".")
        try:
            apps.get_model(app, model)._meta.get_field(field)
        except (LookupError, FieldDoesNotExist):
            raise AssertionError(f"{name}: {target} does not exist") from None
