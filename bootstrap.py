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
        venv.create(VENV, with_pip=False)  # pip only if uv cannot install (``install``)
    digest = hashlib.sha256(lockfile.read_bytes() + (ROOT / "pyproject.toml").read_bytes())
    marker = VENV / f".installed-{lockfile.stem}"
    if marker.exists() and marker.read_text() == digest.hexdigest():
        return
    install(lockfile)
    for old in VENV.glob(".installed-*"):
        old.unlink()
    marker.write_text(digest.hexdigest())


def install(lockfile: Path) -> None:
    """The lockfile's packages, then ctip itself (editable), into ``.venv``.

    With uv (``requirements/bootstrap.txt``, pinned with its hashes), which the pip running this
    script puts into ``.venv``: it fetches and unpacks in parallel, about 10 s in all for the
    test lockfile on a new checkout, where pip took about 37 s (decision 0087). Where uv cannot
    be installed (a pip older than 22.3, no wheel for the machine) or cannot install the
    lockfile (an index that only pip is configured for), pip installs it, as before. Both
    check every hash, and neither compiles the modules: a module compiles when it is first
    imported, and the tests keep theirs elsewhere (``keep_bytecode``)."""
    uv = BIN / ("uv.exe" if os.name == "nt" else "uv")
    if not uv.exists():
        attempt(sys.executable, "-m", "pip", "--disable-pip-version-check", "--python",
                BIN / "python", "install", "--quiet", "--only-binary", ":all:", "--no-deps",
                "--require-hashes", "-r", ROOT / "requirements" / "bootstrap.txt")
    target = ["--python", BIN / "python", "--quiet"]
    if uv.exists() and attempt(uv, "pip", "install", *target, "--require-hashes",
                               "-r", lockfile) and \
            attempt(uv, "pip", "install", *target, "--no-deps", "-e", ROOT):
        return
    if not (BIN / "pip").exists():
        run(BIN / "python", "-m", "ensurepip", "--default-pip")
    pip = [BIN / "python", "-m", "pip", "--disable-pip-version-check"]
    run(*pip, "install", "--quiet", "--no-compile", "--require-hashes", "-r", lockfile)
    run(*pip, "install", "--quiet", "--no-compile", "--no-deps", "-e", ROOT)


def attempt(*args: str | Path) -> bool:
    """``run``, but a failure is said and returned instead of ending bootstrap."""
    print("+", " ".join(str(a) for a in args), flush=True)
    done = subprocess.run([str(a) for a in args], check=False, cwd=ROOT)  # noqa: S603
    if done.returncode:
        print(f"(status {done.returncode}: pip installs instead)", flush=True)
    return done.returncode == 0


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
