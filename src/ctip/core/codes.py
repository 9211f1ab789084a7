"""Random codes that people read aloud on the phone or copy from paper.

The alphabet leaves out the characters that look or sound alike (0/O, 1/I/L), and codes are
shown in groups (``K7M-4QX2``). What someone types back is read leniently: lower case, spaces
and dashes are accepted."""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_code(length: int, groups: tuple[int, ...]) -> str:
    """``length`` random characters from ``ALPHABET``, grouped by ``groups`` (sizes)."""
    assert sum(groups) == length  # noqa: S101
    raw = "".join(secrets.choice(ALPHABET) for _ in range(length))
    parts, start = [], 0
    for size in groups:
        parts.append(raw[start:start + size])
        start += size
    return "-".join(parts)


def normalise(typed: str, groups: tuple[int, ...]) -> str | None:
    """The code as stored for what someone typed, or None when it cannot be one."""
    raw = "".join(ch for ch in typed.upper() if ch not in " -\u2010\u2011\u2012\u2013")
    if len(raw) != sum(groups) or any(ch not in ALPHABET for ch in raw):
        return None
    parts, start = [], 0
    for size in groups:
        parts.append(raw[start:start + size])
        start += size
    return "-".join(parts)
