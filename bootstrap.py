#!/usr/bin/env python3
"""Set up ctip on a machine that has only Python 3.11+ and pip, then run it.

    python3 bootstrap.py demo [--host H] [--port P] [--no-serve]   # install, demo data, serve
    python3 bootstrap.py test [pytest arguments]                   # install test deps, run tests
                                                                   # (in parallel on every core)

It creates ``.venv`` beside this file, installs the pinned packages from the lockfile
(``requirements/lock.txt`` or ``requirements/test.txt``, with hashes) and ctip itself, and
re-installs only when the lockfile changes, so running it again is safe and quick.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, env=env)  # noqa: S603


def ensure_venv(lockfile: Path) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (bootstrap runs on any python3)
        sys.exit("ctip needs Python 3.11 or newer.")
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256(lockfile.read_bytes() + (ROOT / "pyproject.toml").read_bytes())
    marker = VENV / f".installed-{lockfile.stem}"
    if marker.exists() and marker.read_text() == digest.hexdigest():
        return
    pip = [BIN / "python", "-m", "pip", "--disable-pip-version-check"]
    # Not compiled by pip: a module compiles when it is first imported, and the tests keep
    # theirs elsewhere (``keep_bytecode``), where pip's files are never read. About 10 s less
    # before CI's tests start (benchmarks/README.md, "suite").
    run(*pip, "install", "--quiet", "--no-compile", "--require-hashes", "-r", lockfile)
    run(*pip, "install", "--quiet", "--no-compile", "--no-deps", "-e", ROOT)
    for old in VENV.glob(".installed-*"):
        old.unlink()
    marker.write_text(digest.hexdigest())


def _has_library(name: str) -> bool:
    import ctypes.util

    return ctypes.util.find_library(name) is not None


# What some tests need from the machine, with Debian's package for it: the browser tests drive
# Chromium's headless shell (decision 0085), the catalogue test runs xgettext, the PDF tests
# load WeasyPrint's Pango. Without them those tests are skipped on a developer's machine and
# fail in CI (tests.conftest.needs).
SYSTEM_PACKAGES = {
    "chromium-headless-shell": lambda: shutil.which("chromium-headless-shell") is not None,
    "gettext": lambda: shutil.which("xgettext") is not None,
    "libpango-1.0-0": lambda: _has_library("pango-1.0"),
    "libpangoft2-1.0-0": lambda: _has_library("pangoft2-1.0"),
}


def ensure_system_packages() -> None:
    """Install what the tests need from the machine where we can (root on Debian)."""
    missing = [name for name, present in SYSTEM_PACKAGES.items() if not present()]
    if not missing or not shutil.which("apt-get"):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        run("apt-get", "update", "-qq")
        run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing)
    else:
        print(f"Not installed: {', '.join(missing)}; the tests that need them will be skipped "
              f"(sudo apt-get install {' '.join(missing)}).", flush=True)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test"}:
        sys.exit(__doc__)
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "demo":
        ensure_venv(ROOT / "requirements" / "lock.txt")
        os.execv(BIN / "ctip", [str(BIN / "ctip"), "demo", *rest])  # noqa: S606
    ensure_venv(ROOT / "requirements" / "test.txt")
    ensure_system_packages()
    keep_bytecode(os.environ)
    os.execv(BIN / "python", [str(BIN / "python"), "-m", "pytest", *parallel(rest), *rest])  # noqa: S606


def keep_bytecode(env: dict[str, str] | os._Environ[str]) -> None:
    """Keep the compiled modules of the test run, in ``.venv/pycache`` if the environment says
    to write none beside the sources (``PYTHONDONTWRITEBYTECODE``).

    Without them every pytest worker rewrites the assertions of every test module again (about
    8 s of processor each) and every ``ctip`` process the tests start compiles ctip again."""
    if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        env.setdefault("PYTHONPYCACHEPREFIX", str(VENV / "pycache"))


def parallel(args: list[str]) -> list[str]:
    """The whole suite runs on every core (pytest-xdist), one test file per worker at a time so
    that a file's module-scoped data are built once and its tests run in order, the longest
    files first (``tests/conftest.py``: ``LONG_FILES``). Passing ``-n`` (``-n 0`` for one
    process) or ``-p no:xdist`` chooses otherwise."""
    if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args) or \
            "no:xdist" in args:
        return []
    return ["-n", "auto", "--dist", "loadfile", "--no-loadscope-reorder"]


if __name__ == "__main__":
    main()
