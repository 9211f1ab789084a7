"""The editors' signs as matching rules, rebuilt only when the library changed.

Every check asks the database for the (id, last change) of the signs in use -- one small
query -- and compiles them again only when that list differs from the one compiled before, so
an edit in the CMS counts at the next check in every worker.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from ctip.offers.matching import Rule
from ctip.offers.models import HTCDS_FIELDS, WarningSign, lines
from ctip.reports.prevention import Sign

_lock = threading.Lock()
_compiled: tuple[tuple[Any, ...], list[Rule]] = ((), [])


def rule_from(data: dict[str, Any], article_ids: Iterable[int] = ()) -> Rule:
    """A rule from a sign's fields (a model's, or a dict of ``ctip.offers.defaults``)."""
    def as_list(value: Any) -> list[str]:
        return lines(value) if isinstance(value, str) else list(value or [])

    return Rule(
        code=data["code"], title=data["title"], explanation=data["explanation"],
        weight=int(data["weight"]), phrases=as_list(data.get("phrases")),
        patterns=as_list(data.get("patterns")), questions=as_list(data.get("questions")),
        pay_threshold=data.get("pay_threshold"), pay_context=as_list(data.get("pay_context")),
        article_ids=list(article_ids))


FIELDS = ("code", "title", "explanation", "weight", "phrases", "patterns", "questions",
          "pay_threshold", "pay_context")


def active_rules() -> list[Rule]:
    global _compiled
    signs = WarningSign.objects.filter(active=True)
    version = tuple(signs.values_list("pk", "updated_at"))
    if version == _compiled[0]:
        return _compiled[1]
    with _lock:
        rules = []
        for sign in signs.prefetch_related("articles"):
            data = {name: getattr(sign, name) for name in FIELDS}
            rules.append(rule_from(data, (a.pk for a in sign.articles.all())))
        _compiled = (version, rules)
    return rules


def prevention_signs() -> list[Sign]:
    """The signs in use as the prevention figures show them (``reports.prevention``): what each
    warns of, the topics that teach it, and its place on the public check's page."""
    page = reverse("offers:check")
    return [Sign(code=sign.code, title=sign.title, url=f"{page}#{anchor(sign.code)}",
                 codes={name: frozenset(getattr(sign, name) or ()) for name in HTCDS_FIELDS},
                 topic_ids=tuple(t.pk for t in sign.topics.all()))
            for sign in WarningSign.objects.filter(active=True).prefetch_related("topics")]


def anchor(code: str) -> str:
    """The id of a sign in the list of the public check's page."""
    return f"dau-hieu-{code}"
