"""The demo's days of the year, never in the future: built on any day, the demo holds what
already happened (the actions refuse a date after today)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def latest(month: int, day: int, today: dt.date | None = None) -> dt.date:
    """The latest ``day``/``month`` on or before today: this year's once it has come, last
    year's before (a training on 10 March, seen on 2 January, was last year's)."""
    today = today or timezone.localdate()
    this_year = dt.date(today.year, month, day)
    return this_year if this_year <= today else dt.date(today.year - 1, month, day)
