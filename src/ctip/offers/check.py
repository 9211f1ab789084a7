"""Checking one offer: the level, the signs with the words that triggered them, the articles.

The text lives only in memory, for the length of the call: nothing here logs it, stores it or
passes it to anything that does (``sensitive_variables`` keeps it out of error reports).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from ctip.offers.defaults import HIGH_AT, MEDIUM_AT
from ctip.offers.library import active_rules
from ctip.offers.matching import URL_PATTERN, Keyed, Rule, find, tokens
from ctip.portal.models import article_list

READ_LIMIT = 8000  # characters read; the rest is left out, and the answer says so
MIN_CHARS = 25
MIN_WORDS = 5
_TAG = re.compile(r"<[^<>]{0,500}>")
ARTICLES_MAX = 6


class Status:
    CHECKED = "checked"
    EMPTY = "empty"
    TOO_SHORT = "too_short"
    LINK_ONLY = "link_only"


@dataclass
class SignFound:
    code: str
    title: str
    explanation: str
    weight: int
    matched: list[str]
    questions: list[str]
    article_ids: list[int]


@dataclass
class Outcome:
    status: str
    level: str = "low"
    score: int = 0
    signs: list[SignFound] = field(default_factory=list)
    length: int = 0
    truncated: bool = False
    had_links: bool = False
    had_html: bool = False

    @property
    def judged(self) -> bool:
        return self.status == Status.CHECKED

    @property
    def questions(self) -> list[str]:
        seen: list[str] = []
        for sign in self.signs:
            seen += [q for q in sign.questions if q not in seen]
        return seen


def grouped(n: int) -> str:
    """100000 → "100.000", as Vietnamese writes numbers."""
    return f"{n:,}".replace(",", ".")


def level_of(score: int) -> str:
    return "high" if score >= HIGH_AT else "medium" if score >= MEDIUM_AT else "low"


@sensitive_variables()
def check_offer(text: str, rules: list[Rule] | None = None) -> Outcome:
    """Check ``text`` against ``rules`` (by default the library's signs in use)."""
    if rules is None:
        rules = active_rules()
    text = (text or "").replace("\x00", "")
    length = len(text)
    read = text[:READ_LIMIT]
    had_html = bool(_TAG.search(read))
    # Tags are blanked (same length, so the quotes still point at the right words).
    plain = _TAG.sub(lambda m: " " * len(m.group()), read)
    had_links = bool(URL_PATTERN.search(plain))
    outcome = Outcome(status=Status.CHECKED, length=length, truncated=length > READ_LIMIT,
                      had_links=had_links, had_html=had_html)
    if not plain.strip():
        outcome.status = Status.EMPTY
        return outcome
    keyed = Keyed(plain, tokens(plain))
    for found in find(keyed, rules):
        rule = found.rule
        outcome.signs.append(SignFound(
            code=rule.code, title=rule.title, explanation=rule.explanation, weight=rule.weight,
            matched=found.matched, questions=rule.questions, article_ids=rule.article_ids))
    outcome.signs.sort(key=lambda s: -s.weight)
    outcome.score = sum(s.weight for s in outcome.signs)
    outcome.level = level_of(outcome.score)
    words = URL_PATTERN.sub(" ", plain).split()
    if had_links and len(words) < MIN_WORDS:
        # Links are not followed: a link alone (even to Telegram) cannot be judged.
        outcome.status, outcome.signs, outcome.score, outcome.level = (
            Status.LINK_ONLY, [], 0, "low")
    elif not outcome.signs and (len(plain.strip()) < MIN_CHARS or len(words) < MIN_WORDS):
        outcome.status = Status.TOO_SHORT
    return outcome


def articles_for(outcome: Outcome, request: HttpRequest | None = None) -> list[dict[str, Any]]:
    """The live bulletin articles linked to the signs found, strongest sign first."""
    wanted: list[int] = []
    for sign in outcome.signs:
        wanted += [pk for pk in sign.article_ids if pk not in wanted]
    if not wanted:
        return []
    pages = {p.pk: p for p in article_list().filter(pk__in=wanted)}
    result = []
    for pk in wanted:
        page = pages.get(pk)
        if page is None:
            continue
        url = page.get_url(request) if request is not None else page.url
        if request is not None and url and url.startswith("/"):
            url = request.build_absolute_uri(url)
        result.append({"title": page.title, "url": url, "lead": page.lead})
        if len(result) == ARTICLES_MAX:
            break
    return result


REPORT_HEADER = "Lời mời tôi nhận được (gửi từ trang Kiểm tra lời mời):"
REPORT_SIGNS = "Các dấu hiệu trang kiểm tra tìm thấy:"


@sensitive_variables()
def report_description(text: str, outcome: Outcome, limit: int) -> str:
    """The text of a report to the Union, pre-filled from the check (what the person pasted,
    as far as it was read, and the signs found), within the report form's limit."""
    signs = "; ".join(f"{s.title} ({', '.join(s.matched)})" for s in outcome.signs)
    tail = f"\n\n{REPORT_SIGNS} {signs}" if signs else ""
    room = max(0, limit - len(REPORT_HEADER) - len(tail) - 2)
    body = text[:min(READ_LIMIT, room)].strip()
    return f"{REPORT_HEADER}\n{body}{tail}"[:limit]
