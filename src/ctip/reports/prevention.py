"""Next to the prevention figures: which tricks to teach next.

For each recruitment method, type of exploitation and means of control that the figures show,
the warning signs of the public offer check that warn of it and the topics of the outreach
library that teach it (both kept on the signs by the editors, decision 0042), with how many
activities took those topics up in the same subtree and period. The activity counts are counts
of activities, not of people; the counts of people are the values the caller passes in, as the
reader may see them (through ``reports.privacy`` unless the reader may open the records), and
a line is flagged only from those shown values, so a flag never tells more than the figure.

The signs live in ``ctip.offers``, a layer above this one: it hands them over through
``provide_signs`` when the application starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from ctip.catalogues.models import Topic
from ctip.org.models import Unit
from ctip.outreach.selectors import activities_by_topic
from ctip.reports import indicators as ind


@dataclass(frozen=True)
class Sign:
    code: str
    title: str
    url: str
    codes: Mapping[str, frozenset[str]]  # a trafficking event's field → the codes warned of
    topic_ids: tuple[int, ...]


SignSource = Callable[[], list[Sign]]
_sources: list[SignSource] = []

# The figures that have signs and topics, and the field of the trafficking event they count.
LINKED = {code: ind.TRAFFICKING_CODES[code][0]
          for code in ("trafficked_recruitment", "trafficked_exploitation",
                       "trafficked_control")}


def provide_signs(source: SignSource) -> None:
    """Register a function returning the warning signs in use (the offer check's)."""
    if source not in _sources:
        _sources.append(source)


def signs() -> list[Sign]:
    return [sign for source in _sources for sign in source()]


def has_persons(shown: Any) -> bool:
    """A shown count of people that says "at least one": a number above zero. The mark of
    the disclosure-control layer (0 to 6 people) says nothing, so it is never flagged."""
    return isinstance(shown, int) and not isinstance(shown, bool) and shown > 0


def links(unit: Unit, start: dt.date, end: dt.date,
          values: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """For each linked figure in ``values`` (indicator code → parts, as the reader sees them),
    one line per part shown with people in the period: the signs, the topics with their
    activities in ``unit``'s subtree from ``start`` to ``end``, and whether people were
    trafficked that way without a topic teaching it or without any activity on its topics."""
    wanted = {code: values[code] for code in LINKED if isinstance(values.get(code), dict)}
    if not wanted:
        return {}
    found = signs()
    topic_ids = sorted({t for s in found for t in s.topic_ids})
    topics = {t.pk: t for t in Topic.objects.filter(pk__in=topic_ids)}
    counts = activities_by_topic(unit, start, end, list(topics))
    out: dict[str, list[dict[str, Any]]] = {}
    for code, parts in wanted.items():
        field = LINKED[code]
        rows = []
        for key, label, vi in ind.breakdown_labels(ind.get(code), parts):
            shown = parts.get(key, 0)
            if key in ("other", "unknown") or not (has_persons(shown) or isinstance(shown, str)):
                continue
            warning = [s for s in found if key in s.codes.get(field, ())]
            taught = sorted({t for s in warning for t in s.topic_ids if t in topics},
                            key=lambda pk: topics[pk].name)
            row_topics: list[dict[str, Any]] = [
                {"topic": topics[pk], "activities": counts.get(pk, 0),
                 "url": reverse("outreach:topic_detail", args=[pk])} for pk in taught]
            activities = sum(counts.get(pk, 0) for pk in taught)
            rows.append({"key": key, "label": label, "label_vi": vi, "value": shown,
                         "signs": warning,
                         "topics": row_topics, "activities": activities,
                         "no_topic": has_persons(shown) and not row_topics,
                         "no_outreach": has_persons(shown) and bool(row_topics)
                         and activities == 0})
        out[code] = rows
    return out
