"""The suite runs what it says: no test skips because a tool is missing without failing in CI
(``tests.conftest.needs``), and every test sees the project's real URL configuration."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# conftest.py holds ``needs`` itself; the demo-text check compares with a file outside the
# repository, which no installation step can provide.
ALLOWED = frozenset({"conftest.py", "portal/test_demo_and_catalogue.py"})
MODULES = sorted(p for p in TESTS.rglob("*.py") if p.name != Path(__file__).name)


def _offences(pattern: str, *, allowed: frozenset[str] = frozenset()) -> list[str]:
    found = []
    for path in MODULES:
        name = path.relative_to(TESTS).as_posix()
        if name in allowed:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def test_no_test_mounts_its_own_url_configuration() -> None:
    assert _offences(r"mark\.urls\(") == []


def test_a_missing_tool_skips_only_through_needs() -> None:
    """``skipif`` on an import or a program, or a ``skip`` for something not installed, would
    pass CI silently; ``needs`` fails there instead."""
    tool = r"find_spec|shutil\.which|not (?:be )?(?:installed|available)|is missing"
    assert _offences(rf"skipif\(.*(?:{tool})|pytest\.skip\(.*(?:{tool})",
                     allowed=ALLOWED) == []
