"""Which Chromium the browser tests drive (decision record 0085): Debian's headless shell; the
whole browser only on a developer's machine without the shell, never silently in CI."""

from __future__ import annotations

from pathlib import Path

import bootstrap
import pytest

from tests.e2e import conftest as e2e


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    paths = {"shell": tmp_path / "chromium-headless-shell", "browser": tmp_path / "chromium"}
    monkeypatch.setattr(e2e, "HEADLESS_SHELL", paths["shell"])
    monkeypatch.setattr(e2e, "CHROMIUM", paths["browser"])
    return paths


@pytest.mark.parametrize("ci", [False, True])
def test_the_headless_shell_when_installed(machine: dict[str, Path], ci: bool) -> None:
    machine["shell"].touch()
    machine["browser"].touch()
    assert e2e.browser_path(ci) == machine["shell"]


def test_the_whole_browser_only_outside_ci(machine: dict[str, Path]) -> None:
    machine["browser"].touch()
    assert e2e.browser_path(ci=False) == machine["browser"]
    assert e2e.browser_path(ci=True) is None  # CI fails (tests.conftest.needs), never falls back


def test_the_test_command_installs_the_headless_shell() -> None:
    assert "chromium-headless-shell" in bootstrap.SYSTEM_PACKAGES
