"""Imports inside functions, of ctip (another app or the same one), of the standard library or
of another package, only with a comment saying why (decisions 0053, 0058 and 0068).

An import at the top of a module is a dependency the layers contract sees and a reader finds;
one inside a function hides a dependency, or a cycle, until it runs. Django's app loading
sometimes needs one (models exist only once the apps are loaded: ``AppConfig.ready``, a
migration's function, a module that the apps' models import), and so does a real cycle between
two modules of one app; each such import says so in a comment on its line or on the line above
its group of imports. A package or a module of the standard library is imported at the top of
the module too, unless it is slow to import and needed only now and then (WeasyPrint for a PDF,
openpyxl for a workbook): then the comment says so.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ctip

SRC = Path(ctip.__file__).resolve().parent
PRAGMAS = ("noqa", "type:", "pragma")


def _said_why(lines: list[str], node: ast.stmt, imports: set[int]) -> bool:
    """A comment other than a pragma on the statement's lines, or alone on the line above it
    or above the group of imports it belongs to (``imports``: the lines of the function's
    imports, a parenthesised one on several lines)."""
    comments = [line.split("#", 1)[1] for line in lines[node.lineno - 1:node.end_lineno]
                if "#" in line]
    above = node.lineno - 2
    while above >= 0 and above + 1 in imports:
        above -= 1
    if above >= 0 and lines[above].strip().startswith("#"):
        comments.append(lines[above].strip()[1:])
    return any(text.strip() and not text.strip().startswith(PRAGMAS) for text in comments)


def _is_import(node: ast.AST) -> bool:
    return isinstance(node, ast.Import | ast.ImportFrom)


def unexplained(source: str) -> list[int]:
    """The lines of the function-level imports (of ctip, the module's own app included, of the
    standard library or of another package) without a comment."""
    tree, lines = ast.parse(source), source.splitlines()
    found = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        imports = {line for node in ast.walk(function)
                   if isinstance(node, ast.Import | ast.ImportFrom)
                   for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)}
        for node in ast.walk(function):
            if _is_import(node) and not _said_why(lines, node, imports):
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
        "def c():\n"
        "    from ctip.reports.rollups import LEVELS\n"
        "    import weasyprint\n"
        "    # reports.ctdc imports this module: a cycle\n"
        "    from ctip.reports import (\n"
        "        ctdc,\n"
        "        pdf,\n"
        "    )\n"
        "    from ctip.reports.indicators import VICTIM_KINDS\n"
    )
    assert unexplained(source) == [2, 3, 4, 15, 16]
    assert unexplained(source.replace("    # ready(): these import models\n", "")
                       ) == [2, 3, 4, 6, 7, 14, 15]


def test_every_local_import_of_ctip_says_why() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        for line in unexplained(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(SRC.parent)}:{line}")
    assert not offenders, (
        "Imports inside a function: move each to the top of its module, or, where Django's "
        "app loading, a cycle inside the app or a package slow to import needs it there, say "
        "why in a comment:\n"
        + "\n".join(offenders))
