"""Imports inside functions: of another app of ctip, only with a comment saying why (decision
0053).

An import at the top of a module is a dependency the layers contract sees and a reader finds;
one inside a function hides a dependency, or a cycle, until it runs. Django's app loading
sometimes needs one (models exist only once the apps are loaded: ``AppConfig.ready``, a
migration's function, a module that the apps' models import); each such import says so in a
comment on its line or on the line above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ctip

SRC = Path(ctip.__file__).resolve().parent
PRAGMAS = ("noqa", "type:", "pragma")


def _app(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "ctip" and len(parts) > 1 else None


def _said_why(lines: list[str], node: ast.stmt) -> bool:
    """A comment other than a pragma on the statement's lines, or alone on the line above it
    or above the group of imports it belongs to."""
    comments = [line.split("#", 1)[1] for line in lines[node.lineno - 1:node.end_lineno]
                if "#" in line]
    above = node.lineno - 2
    while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
        above -= 1
    if above >= 0 and lines[above].strip().startswith("#"):
        comments.append(lines[above].strip()[1:])
    return any(text.strip() and not text.strip().startswith(PRAGMAS) for text in comments)


def unexplained(source: str, own_app: str) -> list[int]:
    """The lines of the function-level imports of another ctip app without a comment."""
    tree, lines = ast.parse(source), source.splitlines()
    found = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            apps = {_app(m) for m in modules} - {None, own_app}
            if apps and not _said_why(lines, node):
                found.add(node.lineno)
    return sorted(found)


def test_the_check_finds_an_unexplained_import_and_accepts_an_explained_one() -> None:
    source = (
        "def a():\n"
        "    from ctip.cases.models import Person\n"
        "    from ctip.org.models import Unit  # noqa: F401\n"
        "    from ctip.outreach import models\n"
        "def b():\n"
        "    # ready(): these import models\n"
        "    from ctip.audit import models\n"
        "    from ctip.cases import models\n"
        "    # models: loaded only once the apps are\n"
        "    from ctip.cases.models import Person\n"
        "    from ctip.org.models import Unit  # AppConfig.ready: the apps are loaded\n"
        "    from ctip.reports.rollups import LEVELS\n"
        "    from django.db import models\n"
    )
    assert unexplained(source, own_app="reports") == [2, 3, 4]
    assert unexplained(source.replace("    # ready(): these import models\n", ""),
                       own_app="reports") == [2, 3, 4, 6, 7]


def test_every_local_import_of_another_app_says_why() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        own_app = path.relative_to(SRC).parts[0].removesuffix(".py")
        for line in unexplained(path.read_text(encoding="utf-8"), own_app):
            offenders.append(f"{path.relative_to(SRC.parent)}:{line}")
    assert not offenders, (
        "Imports of another app inside a function: move each to the top of its module, or, "
        "where Django's app loading needs it there, say why in a comment:\n"
        + "\n".join(offenders))
