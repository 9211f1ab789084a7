"""The "most read" list: one counter per article and day, nothing about the reader (no
address, cookie, account or time of day is stored). The article page's script reports the
reading (``views.reading``), so pages keep coming from the cache without a database write;
signed-in staff and robots that say so are not counted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.http import HttpRequest
from django.utils import timezone

from ctip.portal.models import PageViewDay, article_list

MOST_READ_DAYS = 30
_ROBOTS = ("bot", "crawl", "spider", "slurp", "facebookexternalhit", "preview")


def countable(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    agent = request.META.get("HTTP_USER_AGENT", "").lower()
    return not any(word in agent for word in _ROBOTS)


def count_view(page_id: int) -> None:
    """One more reading of the page today (exactly once, also when two arrive together)."""
    day = timezone.localdate()
    rows = PageViewDay.objects.filter(page_id=page_id, day=day)
    if rows.update(views=F("views") + 1):
        return
    try:
        with transaction.atomic():
            PageViewDay.objects.create(page_id=page_id, day=day, views=1)
    except IntegrityError:  # the other request created the row first
        rows.update(views=F("views") + 1)


def most_read(limit: int = 5, days: int = MOST_READ_DAYS) -> list[Any]:
    """The live articles read most in the last ``days`` days, most read first."""
    since = timezone.localdate() - dt.timedelta(days=days - 1)
    totals = (PageViewDay.objects.filter(day__gte=since).values("page_id")
              .annotate(total=Sum("views")).order_by("-total", "-page_id")[:limit * 4])
    order = [row["page_id"] for row in totals]
    pages = {p.pk: p for p in article_list().filter(pk__in=order)}
    return [pages[pk] for pk in order if pk in pages][:limit]
