"""Vietnamese text handling: one folding function for search keys and duplicate detection.

Display always keeps the original text; ``fold`` is only for comparing and searching.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Normalise to composed Unicode (NFC), the form stored everywhere."""
    return unicodedata.normalize("NFC", text or "")


def fold(text: str) -> str:
    """Return the search key of ``text``: no diacritics, đ→d, lower case, single spaces.

    >>> fold("Đức Hòa")
    'duc hoa'
    >>> fold("  Tân   An ")
    'tan an'
    """
    decomposed = unicodedata.normalize("NFD", text or "")
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return _SPACES.sub(" ", stripped).strip().lower()
