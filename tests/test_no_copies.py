"""No copied block of more than ten lines in ``src/`` (migrations aside): shared logic lives in
one function or template, as pylint's duplicate-code checker (``symilar``) would report.

The same comparison as ``symilar``: a run of identical lines, after leading and trailing white
space is dropped and blank lines, comments, docstrings and import lines are passed over, in
two places (two files, or two places of one file). Python modules and templates are read;
migrations are history and repeat their models by design.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "ctip"
MIN_LINES = 11  # "longer than 10 lines"
SUFFIXES = {".py", ".html", ".js", ".css", ".txt"}

Line = tuple[int, str]  # (line number, text)


def _docstring_lines(text: str) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            end = body[0].end_lineno or body[0].lineno
            lines.update(range(body[0].lineno, end + 1))
    return lines


def _python_comments(text: str) -> set[int]:
    """Lines holding only a comment."""
    only: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT and not token.line[:token.start[1]].strip():
            only.add(token.start[0])
    return only


def significant_lines(path: Path) -> list[Line]:
    text = path.read_text(encoding="utf-8")
    skip: set[int] = set()
    if path.suffix == ".py":
        skip = _docstring_lines(text) | _python_comments(text)
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if (not line or number in skip or line.startswith(("import ", "from ", "{# "))
                or set(line) <= set("()[]{},:;")):
            continue
        lines.append((number, line))
    return lines


def files() -> list[Path]:
    return sorted(p for p in SRC.rglob("*") if p.suffix in SUFFIXES and p.is_file()
                  and "migrations" not in p.parts and "vendor" not in p.parts
                  and "locale" not in p.parts)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def copies(paths: list[Path], min_lines: int = MIN_LINES) -> list[str]:
    """Each pair of places sharing ``min_lines`` identical significant lines, once."""
    read = {path: significant_lines(path) for path in paths}
    seen: dict[tuple[str, ...], list[tuple[Path, int]]] = defaultdict(list)
    for path, lines in read.items():
        texts = [text for _n, text in lines]
        for i in range(len(texts) - min_lines + 1):
            seen[tuple(texts[i:i + min_lines])].append((path, i))
    found: dict[tuple[Path, Path], str] = {}
    for places in seen.values():
        if len(places) < 2:
            continue
        (a, i), (b, j) = places[0], places[1]
        if a == b and abs(i - j) < min_lines:
            continue  # a run repeating itself (a long list of alike lines) is not a copy
        if (a, b) not in found:
            found[(a, b)] = f"{_shown(a)}:{read[a][i][0]} ~ {_shown(b)}:{read[b][j][0]}"
    return sorted(found.values())


def test_no_block_of_more_than_ten_lines_is_copied_in_src() -> None:
    found = copies(files())
    assert found == [], "copied blocks (share them):\n" + "\n".join(found)


def test_the_finder_sees_a_copy(tmp_path: Path) -> None:
    """Eleven identical lines in two files are found whatever the comments and indentation
    around them; ten are not."""
    body = "\n".join(f"    total += row[{i}] * weight  # {i}" for i in range(11))
    (tmp_path / "a.py").write_text(f'def a(row, weight):\n    """A."""\n{body}\n',
                                   encoding="utf-8")
    (tmp_path / "b.py").write_text("class B:\n    def b(self, row, weight):\n"
                                   "        # the same, indented\n"
                                   + "\n".join("    " + line for line in body.splitlines())
                                   + "\n", encoding="utf-8")
    (tmp_path / "c.py").write_text("def c(row, weight):\n" + "\n".join(body.splitlines()[:10])
                                   + "\n", encoding="utf-8")
    found = copies([tmp_path / "a.py", tmp_path / "b.py"])
    assert len(found) == 1 and "a.py:3" in found[0] and "b.py:4" in found[0]
    assert copies([tmp_path / "a.py", tmp_path / "c.py"]) == []
