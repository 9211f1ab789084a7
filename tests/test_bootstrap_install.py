"""``bootstrap.py`` installs the lockfile with uv, pinned with its hashes, and with pip wherever
uv cannot be installed or cannot install it: the two README commands work either way
(decision 0087)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import bootstrap
import pytest


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[str, ...]]:
    """What ``install`` runs, with ``.venv/bin`` in a temporary directory."""
    made: list[tuple[str, ...]] = []
    monkeypatch.setattr(bootstrap, "BIN", tmp_path)
    monkeypatch.setattr(bootstrap, "run", lambda *args, **_kw: made.append(
        ("run", *map(str, args))))
    return made


def _attempts(calls: list[tuple[str, ...]], bin_dir: Path, *, fails: str = "") -> Any:
    """``bootstrap.attempt`` for the test: ``fails`` is the step that fails, ``"uv"`` (pip
    cannot install uv) or ``"lockfile"`` (uv cannot install the lockfile)."""
    def attempt(*args: Any) -> bool:
        words = tuple(map(str, args))
        calls.append(("attempt", *words))
        step = "uv" if words[-1].endswith("bootstrap.txt") else (
            "lockfile" if words[-1].endswith(".txt") else "editable")
        if step == "uv" and fails != "uv":
            (bin_dir / "uv").write_text("")  # pip put uv into .venv
        return step != fails
    return attempt


def test_uv_installs_the_lockfile_and_ctip_with_every_hash(
        calls: list[tuple[str, ...]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bootstrap, "attempt", _attempts(calls, tmp_path))
    bootstrap.install(bootstrap.ROOT / "requirements" / "test.txt")
    first, lockfile, editable = calls
    # the pip that runs bootstrap puts the pinned uv into .venv, in hash-checking mode
    assert first[1:4] == (sys.executable, "-m", "pip")
    assert first[first.index("--python") + 1] == str(tmp_path / "python")
    assert "--require-hashes" in first and first[-1].endswith("requirements/bootstrap.txt")
    assert "--only-binary" in first  # never a build of uv from its source
    assert lockfile[1] == str(tmp_path / "uv") and "--require-hashes" in lockfile
    assert lockfile[-1].endswith("requirements/test.txt")
    assert editable[1] == str(tmp_path / "uv") and editable[-2:] == ("-e", str(bootstrap.ROOT))
    assert not any(c[0] == "run" for c in calls)  # pip installed nothing else


@pytest.mark.parametrize("fails", ["uv", "lockfile"])
def test_without_uv_pip_installs_the_lockfile(calls: list[tuple[str, ...]],
                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              fails: str) -> None:
    """uv not installable (an old pip, no wheel for the machine), or unable to install the
    lockfile (an index only pip is configured for): pip, added to the venv, installs it."""
    monkeypatch.setattr(bootstrap, "attempt", _attempts(calls, tmp_path, fails=fails))
    bootstrap.install(bootstrap.ROOT / "requirements" / "test.txt")
    runs = [c[1:] for c in calls if c[0] == "run"]
    assert runs[0] == (str(tmp_path / "python"), "-m", "ensurepip", "--default-pip")
    assert runs[1][-3:] == ("--require-hashes", "-r",
                            str(bootstrap.ROOT / "requirements" / "test.txt"))
    assert runs[1][:3] == (str(tmp_path / "python"), "-m", "pip")
    assert runs[2][-2:] == ("-e", str(bootstrap.ROOT))


def test_uv_is_pinned_with_its_hashes() -> None:
    text = (bootstrap.ROOT / "requirements" / "bootstrap.txt").read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)
    assert [name for name, _version in pins] == ["uv"]
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", text)) >= 10  # a wheel per platform
