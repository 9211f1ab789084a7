"""The docs cannot drift from the code: what they name must exist, what exists must be named.

- every environment variable ``settings.py`` reads (and every ``CTIP_*`` one read anywhere in
  ``src/``) has a row in ``docs/operations.md``;
- every ``ctip`` command (and subcommand) named in ``README.md`` or ``docs/`` exists;
- no paragraph of the docs calls an app or module that exists "planned".
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "ctip"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# Decision records are history: they say what was planned when they were written.
CURRENT_DOCS = [p for p in DOCS if "decisions" not in p.parts]
ENV_READERS = {"get", "getenv", "env_bool", "env_list"}  # os.environ.get, os.getenv, settings'
# ``ctip check`` is ``ctip_check`` (src/ctip/cli.py); ``ctip help`` is Django's.
CLI_ALIASES = {"check": "ctip_check", "help": None}


def _doc_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def settings_variables() -> set[str]:
    """The names ``settings.py`` reads from the environment: ``os.environ.get(N)``,
    ``os.environ[N]``, ``N in os.environ``, ``env_bool(N)``, ``env_list(N)``."""
    tree = ast.parse((SRC / "settings.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ENV_READERS and isinstance(node.args[0], ast.Constant):
                names.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            if isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant):
            if any(ast.unparse(c) == "os.environ" for c in node.comparators):
                names.add(node.left.value)
    return {n for n in names if isinstance(n, str)}


def ctip_variables_elsewhere() -> set[str]:
    """``CTIP_*`` variables read by the rest of the code (``ctip serve``, backups, ...)."""
    pattern = re.compile(r"""environ(?:\.get\(|\[|\.setdefault\()\s*["'](CTIP_[A-Z0-9_]+)["']""")
    names: set[str] = set()
    for path in SRC.rglob("*.py"):
        if "migrations" not in path.parts:
            names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def test_the_environment_reader_finds_what_settings_reads() -> None:
    names = settings_variables()
    assert {"CTIP_DATA_DIR", "SECRET_KEY", "DATABASE_URL", "CTIP_DEBUG", "ALLOWED_HOSTS",
            "CTIP_TRUSTED_PROXIES", "CTIP_FIELD_KEYS", "EMAIL_HOST"} <= names


def test_every_environment_variable_is_documented() -> None:
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", _doc_text(ROOT / "docs/operations.md")))
    missing = sorted((settings_variables() | ctip_variables_elsewhere()) - documented)
    assert missing == [], f"not in docs/operations.md: {missing}"


def _commands_in(text: str) -> set[tuple[str, ...]]:
    """``ctip WORD [SUBWORD]`` in inline code and in the lines of fenced code blocks."""
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    for block in re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S):
        spans += block.splitlines()
    found: set[tuple[str, ...]] = set()
    for span in spans:
        # a command line starts with ctip (after a prompt, a path to the venv or a ; && |),
        # unlike "sudo -u ctip" or ".../ctip" in a database URL
        pattern = r"(?:^\s*|\$\s+|bin/|[;(|&]\s*)ctip((?:\s+[a-z][a-z0-9_-]*){1,2})"
        for match in re.finditer(pattern, span):
            found.add(tuple(match.group(1).split()))
    return found


def _subcommands(command: str) -> set[str] | None:
    """The subcommands of a management command, or None when it takes none."""
    parser = load_command_class(get_commands()[command], command).create_parser("ctip", command)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return None


def test_every_ctip_command_in_the_docs_exists() -> None:
    commands = get_commands()
    wrong = []
    for path in DOCS:
        for words in sorted(_commands_in(_doc_text(path))):
            name = CLI_ALIASES.get(words[0], words[0])
            if name is None:
                continue
            if name not in commands:
                wrong.append(f"{path.name}: ctip {' '.join(words)}")
                continue
            subcommands = _subcommands(name)
            if subcommands is not None and len(words) > 1 and words[1] not in subcommands:
                wrong.append(f"{path.name}: ctip {' '.join(words)}")
    assert wrong == []


def test_the_command_finder_sees_commands_and_their_subcommands() -> None:
    text = ("Run `ctip units import --province 80`, then\n```sh\n$ ctip serve\nsudo -u ctip sh"
            "\nDATABASE_URL=postgres://h/ctip python3 x\n.venv/bin/ctip worker\n```\n`ctip.org`")
    assert _commands_in(text) == {("units", "import"), ("serve",), ("worker",)}
    assert "import" in (_subcommands("units") or set())


def _paragraphs(text: str) -> list[str]:
    """Paragraphs, list items and table rows; a heading that says "planned" makes its whole
    section planned."""
    out: list[str] = []
    section_planned = False
    for block in re.split(r"\n\s*\n", text):
        heading = re.match(r"#+ (.*)", block)
        if heading:
            section_planned = "planned" in heading.group(1).lower()
            block = block.split("\n", 1)[1] if "\n" in block else ""
        for piece in re.split(r"\n(?=\s*(?:[-*] |\d+\. |\|))", block):
            out.append(("planned " if section_planned else "") + piece)
    return out


def existing_modules() -> set[str]:
    """Apps (``cases``) and modules (``cases/crypto.py``, ``ctip.cases.crypto``) of the code."""
    names: set[str] = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts or path.name == "__init__.py":
            continue
        relative = path.relative_to(SRC)
        names |= {relative.as_posix(), "ctip." + ".".join(relative.with_suffix("").parts)}
    names |= {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    return names


def planned_but_existing(text: str) -> list[str]:
    modules = existing_modules()
    found = []
    for piece in _paragraphs(text):
        if "planned" not in piece.lower():
            continue
        words = set(re.findall(r"[\w./]+", piece.replace("`", " ").lower()))
        found += sorted(words & modules)
    return found


def test_the_planned_finder_reads_sections_and_paragraphs() -> None:
    text = ("Cases and reports are planned.\n\n## Later (planned)\n\n- the `core/mail.py` "
            "sender\n- a `nowhere` module\n\n## Now\n\nThe cases app.")
    assert planned_but_existing(text) == ["cases", "reports", "core/mail.py"]


@pytest.mark.parametrize("path", CURRENT_DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_nothing_that_exists_is_called_planned(path: Path) -> None:
    assert planned_but_existing(_doc_text(path)) == []


def test_every_documented_ctip_variable_is_read_by_the_code() -> None:
    """The other way round: a variable in docs/operations.md that no code reads (a renamed
    setting) would be set by an operator and silently ignored."""
    documented = set(re.findall(r"`(CTIP_[A-Z0-9_]+)`", _doc_text(ROOT / "docs/operations.md")))
    code = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py")
                     if "migrations" not in p.parts)
    unread = sorted(n for n in documented if f'"{n}"' not in code and f"'{n}'" not in code)
    assert unread == []
