"""The layers of the apps, as the import-linter contracts in pyproject.toml state them.

CI runs ``lint-imports`` too; this test makes the README's test command cover the contracts.
"""

from __future__ import annotations

import pkgutil
import re
import tomllib
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db.migrations.loader import MigrationLoader
from importlinter.cli import lint_imports

import ctip

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _config() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]


def _layers() -> dict:
    return next(c for c in _config()["contracts"] if c["id"] == "layers")


def _lint(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = lint_imports(config_filename=str(config), no_cache=True, no_logo=True)
    return status, capsys.readouterr().out


def test_the_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _lint(PYPROJECT, capsys)
    assert status == 0, out
    assert "0 broken" in out


def test_every_app_and_top_module_has_a_layer() -> None:
    """A new app outside the layers would be free to import anything: name it in a layer."""
    placed = {name.strip() for layer in _layers()["layers"]
              for name in layer.replace(":", "|").split("|")}
    modules = {f"ctip.{m.name}" for m in pkgutil.iter_modules(ctip.__path__)
               if m.name not in {"settings", "locale"}}
    assert modules - placed == set()


def test_the_layers_have_no_debt() -> None:
    """Decision 0053 paid the debt: no import against the layers is excused."""
    assert "ignore_imports" not in _layers()


def test_the_contract_is_not_vacuous(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With ``core`` put above ``org`` the layers contract breaks, naming an import of ``org``
    from ``core``: the check sees the imports between the layers it is meant to forbid."""
    text = PYPROJECT.read_text(encoding="utf-8")
    layers = '  "ctip.org",\n  "ctip.core",\n'
    assert text.count(layers) == 1
    config = tmp_path / "pyproject.toml"
    config.write_text(text.replace(layers, '  "ctip.core",\n  "ctip.org",\n'), encoding="utf-8")
    status, out = _lint(config, capsys)
    assert status != 0
    assert re.search(r"ctip\.org\.\w+ -> ctip\.core\.\w+", out), out


# --- Models and migrations: the same layers (decision 0068) -----------------------------------
# The import contracts see imports only. A relation declared by name ("community.Club") or a
# migration's dependency ties two apps just as much, without importing anything.

def _rank(layers: list[str]) -> dict[str, tuple[int, bool]]:
    """Each module of the layers → its height (the bottom layer is 0) and whether the modules
    of its layer may depend on each other (``:``) or are independent (``|``)."""
    ranks = {}
    for height, layer in enumerate(reversed(layers)):
        names = layer.replace(":", "|").split("|")
        for name in names:
            ranks[name.strip()] = (height, ":" in layer)
    return ranks


def _against(layers: list[str], edges: set[tuple[str, str, str]]) -> list[str]:
    """The edges (from app module, to app module, what) from a layer to one above it, or
    between two independent modules of a layer."""
    ranks = _rank(layers)
    wrong = []
    for source, target, what in sorted(edges):
        if source == target or source not in ranks or target not in ranks:
            continue  # inside an app, or Django's and other packages' apps
        (high, _), (low, shared) = ranks[source], ranks[target]
        if low > high or (low == high and not shared):
            wrong.append(f"{source} -> {target}: {what}")
    return wrong


# The user model is the one exception: every app names it through ``AUTH_USER_MODEL`` (and its
# migrations through ``swappable_dependency``), the way Django lets any app name the user
# without knowing which app holds it.
USER = "AUTH_USER_MODEL"


def _relations() -> set[tuple[str, str, str]]:
    """Every relation a model declares (foreign key, one-to-one, many-to-many), except to the
    user model."""
    edges = set()
    for model in django_apps.get_models():
        for field in model._meta.get_fields():
            if (field.is_relation and not field.auto_created and field.related_model
                    and getattr(field, "swappable_setting", None) != USER):
                edges.add((model._meta.app_config.name, field.related_model._meta.app_config.name,
                           f"{model._meta.label}.{field.name}"))
    return edges


def _migration_dependencies() -> set[tuple[str, str, str]]:
    """Every dependency of a migration on a migration of another app (its ``dependencies`` and
    the migrations it must ``run_before``), except on the user model's."""
    def app(label: str) -> str:
        return django_apps.get_app_config(label).name

    edges = set()
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (label, name), migration in loader.disk_migrations.items():
        for dependency in migration.dependencies:
            if getattr(dependency, "setting", None) != getattr(settings, USER):
                edges.add((app(label), app(dependency[0]),
                           f"{label}.{name} depends on {dependency[0]}.{dependency[1]}"))
        for later in migration.run_before:
            edges.add((app(later[0]), app(label),
                       f"{later[0]}.{later[1]} runs after {label}.{name}"))
    return edges


def test_no_model_points_to_a_model_of_a_higher_layer() -> None:
    assert _against(_layers()["layers"], _relations()) == []


def test_no_migration_depends_on_an_app_of_a_higher_layer() -> None:
    assert _against(_layers()["layers"], _migration_dependencies()) == []


def test_the_model_and_migration_checks_are_not_vacuous() -> None:
    """With the clubs above outreach again (decision 0058's order), both checks name what tied
    outreach to the clubs: an activity's club, and outreach's migrations building on the clubs'."""
    layers = list(_layers()["layers"])
    outreach = next(i for i, layer in enumerate(layers) if layer.strip() == "ctip.outreach")
    clubs = next(i for i, layer in enumerate(layers) if "ctip.community" in layer)
    layers[outreach], layers[clubs] = layers[clubs], layers[outreach]
    assert "ctip.outreach -> ctip.community: outreach.Activity.club" in _against(
        layers, _relations())
    assert any(edge.startswith("ctip.outreach -> ctip.community: outreach.0001_initial depends")
               for edge in _against(layers, _migration_dependencies()))
