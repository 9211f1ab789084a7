"""Imports of ctip inside functions, of another app or of the same one, only with a comment
saying why (decisions 0053 and 0058).

An import at the top of a module is a dependency the layers contract sees and a reader finds;
one inside a function hides a dependency, or a cycle, until it runs. Django's app loading
sometimes needs one (models exist only once the apps are loaded: ``AppConfig.ready``, a
migration's function, a module that the apps' models import), and so does a real cycle between
two modules of one app; each such import says so in a comment on its line or on the line above
its group of imports. Lazy imports of the standard library and of other packages (WeasyPrint,
heavy to load) are not checked here.
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


def _ctip_modules(node: ast.AST) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        modules = [node.module]
    elif isinstance(node, ast.Import):
        modules = [alias.name for alias in node.names]
    else:
        return []
    return [module for module in modules if _app(module)]


def unexplained(source: str) -> list[int]:
    """The lines of the function-level imports of ctip (any app, the module's own included)
    without a comment."""
    tree, lines = ast.parse(source), source.splitlines()
    found = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        imports = {line for node in ast.walk(function)
                   if isinstance(node, ast.Import | ast.ImportFrom)
                   for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)}
        for node in ast.walk(function):
            if (isinstance(node, ast.stmt) and _ctip_modules(node)
                    and not _said_why(lines, node, imports)):
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
    assert unexplained(source) == [2, 3, 4, 15]
    assert unexplained(source.replace("    # ready(): these import models\n", "")
                       ) == [2, 3, 4, 6, 7, 14]


def test_every_local_import_of_ctip_says_why() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        for line in unexplained(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(SRC.parent)}:{line}")
    assert not offenders, (
        "Imports of ctip inside a function: move each to the top of its module, or, where "
        "Django's app loading or a cycle inside the app needs it there, say why in a "
        "comment:\n"
        + "\n".join(offenders))
