"""The layers of the apps, as the import-linter contracts in pyproject.toml state them.

CI runs ``lint-imports`` too; this test makes the README's test command cover the contracts.
"""

from __future__ import annotations

import pkgutil
import re
import tomllib
from pathlib import Path

import pytest
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
