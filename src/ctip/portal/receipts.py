"""Receipt codes for the public report form, and the fallback challenge past its rate limit.

A receipt code is what the sender quotes on the phone: eight characters from an alphabet
without look-alikes, in two groups (``K7MA-4QX2``), drawn at random so that it tells nobody how
many reports came in, and unique by the situation's code constraint. Older situations keep
their sequential codes (``TN-2026-T00007``), which go on working wherever a code is looked up.

Past the per-address limit, a sender answers a small sum in Vietnamese instead of being
refused: a person gets through, what she typed stays on the page, and the hotline is shown.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ctip.core.codes import normalise, random_code

RECEIPT_GROUPS = (4, 4)
CHALLENGE_SALT = "ctip.portal.report-challenge"
CHALLENGE_MAX_AGE = 3600

T = TypeVar("T")


def new_receipt_code() -> str:
    return random_code(sum(RECEIPT_GROUPS), RECEIPT_GROUPS)


def normalise_receipt(typed: str) -> str | None:
    return normalise(typed, RECEIPT_GROUPS)


def with_unique_receipt(create: Callable[[str], T], attempts: int = 5) -> T:
    """Call ``create(code)`` with a fresh code until the unique constraint accepts one."""
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return create(new_receipt_code())
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class Challenge:
    question: str
    token: str


def new_challenge() -> Challenge:
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    token = signing.dumps({"a": a, "b": b, "n": secrets.token_hex(8)}, salt=CHALLENGE_SALT)
    question = _("How much is %(a)d plus %(b)d? Write the answer in digits.") % {"a": a, "b": b}
    return Challenge(question=question, token=token)


def challenge_passed(token: str, answer: str) -> bool:
    """Whether ``answer`` solves the challenge of ``token``; each challenge works once."""
    try:
        data = signing.loads(token[:500], salt=CHALLENGE_SALT, max_age=CHALLENGE_MAX_AGE)
    except signing.BadSignature:
        return False
    typed = "".join(answer.split())[:4]
    if not typed.isdigit() or int(typed) != int(data["a"]) + int(data["b"]):
        return False
    return bool(cache.add(f"portal:challenge-used:{data['n']}", 1, CHALLENGE_MAX_AGE))
