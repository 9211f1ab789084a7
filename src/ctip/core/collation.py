"""Vietnamese alphabetical order (issue 15.6): a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t
u ư v x y, the tones after the letter (none, huyền, hỏi, ngã, sắc, nặng), on SQLite and
PostgreSQL alike.

- in the database, order by ``vi_order("name")``: ``COLLATE "vi-x-icu"``, PostgreSQL's ICU
  collation for Vietnamese; on SQLite ``register_sqlite`` (run for every new connection)
  defines a collation of the same name from ``vi_key``, so one query serves both;
- in Python, sort with ``key=vi_key`` (or ``vi_sorted``).

``vi_key`` follows CLDR's Vietnamese rules, which ICU implements: letters first (the whole
string), then tones, then case.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from django.db.models import F
from django.db.models.expressions import OrderBy
from django.db.models.functions import Collate

VI = "vi-x-icu"
T = TypeVar("T")

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
# letter-forming marks (kept in the letter) and tones (compared after the letters)
_LETTER_MARKS = {"\u0306": "ă", "\u0302": "â", "\u031b": "ơ"}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_BASE = 100  # letters rank from here; digits below, spaces and punctuation lowest


def _letter(base: str, marks: list[str]) -> str:
    if base == "đ":
        return "đ"
    for mark in marks:
        if mark == "\u0306" and base == "a":
            return "ă"
        if mark == "\u0302" and base in "aeo":
            return {"a": "â", "e": "ê", "o": "ô"}[base]
        if mark == "\u031b" and base in "ou":
            return {"o": "ơ", "u": "ư"}[base]
    return base


def vi_key(text: str | None) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """The sort key of ``text`` in Vietnamese order: (letters, tones, case)."""
    letters: list[int] = []
    tones: list[int] = []
    cases: list[int] = []
    for ch in unicodedata.normalize("NFC", text or ""):
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], list(decomposed[1:])
        lower = base.lower()
        cases.append(0 if base == lower else 1)
        if ch in "đĐ":
            lower = "đ"
        letter = _letter(lower, marks)
        if letter in _RANK:
            letters.append(_BASE + _RANK[letter])
        elif lower.isdigit():
            letters.append(50 + int(lower) if lower in "0123456789" else 60)
        elif lower.isspace():
            letters.append(1)
        elif lower.isalpha():
            letters.append(_BASE + len(_ALPHABET) + ord(lower))
        else:
            letters.append(2 + min(ord(lower), 40))
        tones.append(max((_TONES.get(m, 0) for m in marks), default=0))
    return tuple(letters), tuple(tones), tuple(cases)


def vi_sorted(items: Iterable[T], key: Callable[[T], str] = str) -> list[T]:
    return sorted(items, key=lambda item: vi_key(key(item)))


def vi_order(field: str, *, descending: bool = False) -> OrderBy:
    """``ORDER BY field COLLATE "vi-x-icu"`` (ascending unless ``descending``)."""
    expression = Collate(F(field), VI)
    return expression.desc() if descending else expression.asc()


@functools.lru_cache(maxsize=65_536)
def _known_key(text: str | None) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    return vi_key(text)


def _compare(a: str | None, b: str | None) -> int:
    """SQLite's collation: called for every comparison of a sort (about n log n for n rows, a
    page's menus and tables thousands of times), so each text's key is computed once a
    process, not twice a comparison."""
    ka, kb = _known_key(a), _known_key(b)
    return (ka > kb) - (ka < kb)


def register_sqlite(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """``connection_created`` receiver: give SQLite the collation PostgreSQL has built in."""
    if connection is not None and connection.vendor == "sqlite":
        connection.connection.create_collation(VI, _compare)


class _Node(Protocol):
    path: str
    name: str


N = TypeVar("N", bound=_Node)


def tree_sorted(units: Iterable[N]) -> list[N]:
    """Units (anything with ``path`` "/1/7/42/" and ``name``) in tree order, each unit's
    children in Vietnamese order under it."""
    items = list(units)
    # each name's key once (a unit's key holds its ancestors' too)
    names = {int(u.path.strip("/").split("/")[-1]): vi_key(u.name) for u in items}

    def key(unit: N) -> tuple[Any, ...]:
        ids = [int(part) for part in unit.path.strip("/").split("/")]
        return tuple((names.get(i, ()), i) for i in ids)

    return sorted(items, key=key)
