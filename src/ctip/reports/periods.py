"""Reporting periods: a month, a quarter, a half-year, a year, a campaign's window or any dates.

A ``Period`` is a closed range of days (``start`` and ``end`` both included) with a label for
people. Every constructor checks its input and raises ``ActionError`` with a plain message.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ctip.core.errors import ActionError
from ctip.core.text import fold
from ctip.reports.models import ReportType

MIN_YEAR = 1990
MAX_YEAR = 2100
KINDS = ("month", "quarter", "half", "year", "campaign", "custom")


def _year(y: Any) -> int:
    try:
        year = int(y)
    except (TypeError, ValueError):
        raise ActionError(_("The year must be a number."), field="year") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ActionError(_("The year %(year)s is out of range.") % {"year": year},
                          field="year")
    return year


def _int_in(value: Any, low: int, high: int, message: str, field: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ActionError(message, field=field) from None
    if not low <= n <= high:
        raise ActionError(message, field=field)
    return n


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    label: str

    # --- constructors -------------------------------------------------------------------

    @classmethod
    def month(cls, y: int, m: int) -> Period:
        year = _year(y)
        month = _int_in(m, 1, 12, _("The month must be between 1 and 12."), "month")
        last = calendar.monthrange(year, month)[1]
        return cls(dt.date(year, month, 1), dt.date(year, month, last),
                   _("Month %(month)s/%(year)s") % {"month": f"{month:02d}", "year": year})

    @classmethod
    def quarter(cls, y: int, q: int) -> Period:
        year = _year(y)
        quarter = _int_in(q, 1, 4, _("The quarter must be between 1 and 4."), "quarter")
        first = 3 * (quarter - 1) + 1
        last = first + 2
        return cls(dt.date(year, first, 1),
                   dt.date(year, last, calendar.monthrange(year, last)[1]),
                   _("Quarter %(quarter)s/%(year)s") % {"quarter": quarter, "year": year})

    @classmethod
    def half(cls, y: int, h: int) -> Period:
        year = _year(y)
        half = _int_in(h, 1, 2, _("The half-year must be 1 or 2."), "half")
        if half == 1:
            return cls(dt.date(year, 1, 1), dt.date(year, 6, 30),
                       _("First half of %(year)s") % {"year": year})
        return cls(dt.date(year, 7, 1), dt.date(year, 12, 31),
                   _("Second half of %(year)s") % {"year": year})

    @classmethod
    def year(cls, y: int) -> Period:
        year = _year(y)
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31),
                   _("Year %(year)s") % {"year": year})

    @classmethod
    def custom(cls, start: dt.date, end: dt.date) -> Period:
        if start is None or end is None:
            raise ActionError(_("Give both the first and the last day of the period."),
                              field="start")
        if end < start:
            raise ActionError(
                _("The period ends (%(end)s) before it starts (%(start)s).")
                % {"end": end.strftime("%d/%m/%Y"), "start": start.strftime("%d/%m/%Y")},
                field="end")
        if start.year < MIN_YEAR or end.year > MAX_YEAR:
            raise ActionError(_("The dates are out of range."), field="start")
        return cls(start, end, f"{start:%d/%m/%Y} – {end:%d/%m/%Y}")

    @classmethod
    def campaign(cls, campaign: Any) -> Period:
        """The window of a campaign (``outreach.Campaign``: ``starts_on`` .. ``ends_on``)."""
        if campaign.ends_on < campaign.starts_on:
            raise ActionError(_("The campaign ends before it starts."), field="campaign")
        return cls(campaign.starts_on, campaign.ends_on,
                   f"{campaign.name} ({campaign.starts_on:%d/%m/%Y} – "
                   f"{campaign.ends_on:%d/%m/%Y})")

    # --- helpers ------------------------------------------------------------------------

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def start_at(self) -> dt.datetime:
        """The first instant of the period in the local time zone."""
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    def end_before(self) -> dt.datetime:
        """The first instant after the period (exclusive bound for datetimes)."""
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1),
                                                       dt.time.min))

    def months(self) -> list[Period]:
        """The calendar months the period touches, each cut to the period."""
        out = []
        y, m = self.start.year, self.start.month
        while dt.date(y, m, 1) <= self.end:
            whole = Period.month(y, m)
            out.append(Period(max(whole.start, self.start), min(whole.end, self.end),
                              f"{m:02d}/{y}"))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007  (a calendar day)
        except ValueError:
            continue
    raise ActionError(_("“%(value)s” is not a date (use dd/mm/yyyy).") % {"value": text},
                      field=field)


def from_params(params: Mapping[str, Any], *, campaign_lookup: Any = None,
                today: dt.date | None = None) -> Period:
    """The period chosen in a query string: ``period`` (month, quarter, half, year, campaign,
    custom) with ``year`` and ``month`` / ``quarter`` / ``half`` / ``campaign`` / ``start`` and
    ``end``. Missing numbers default to the current month, quarter, half or year.
    ``campaign_lookup(pk)`` returns a campaign the viewer may see (or raises)."""
    today = today or timezone.localdate()
    kind = params.get("period") or "year"
    if kind not in KINDS:
        raise ActionError(_("Unknown kind of period “%(kind)s”.") % {"kind": kind},
                          field="period")
    year = params.get("year") or today.year
    if kind == "month":
        return Period.month(year, params.get("month") or today.month)
    if kind == "quarter":
        return Period.quarter(year, params.get("quarter") or (today.month - 1) // 3 + 1)
    if kind == "half":
        return Period.half(year, params.get("half") or (1 if today.month <= 6 else 2))
    if kind == "year":
        return Period.year(year)
    if kind == "campaign":
        if not params.get("campaign") or campaign_lookup is None:
            raise ActionError(_("Choose a campaign."), field="campaign")
        try:
            pk = int(params["campaign"])
        except (TypeError, ValueError):
            raise ActionError(_("Choose a campaign."), field="campaign") from None
        return Period.campaign(campaign_lookup(pk))
    return Period.custom(_date(params.get("start"), "start"), _date(params.get("end"), "end"))


# --- Periods as people write them ------------------------------------------------------------

# ``kind`` of a written period: the same words as ``ReportType.Kind``.
MONTH, QUARTER, HALF, YEAR = "monthly", "quarterly", "half", "annual"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_NUM = r"(\d{1,2}|iv|iii|ii|i)"
_YEAR = r"(\d{4}|\d{2})"  # "11/26" is 11/2026
_SEP = r"\s*[/.\-\s]\s*(?:nam\s*)?"
# Each pattern on the folded text (no accents, lower case, single spaces): kind, then how to
# read (year, number) from the match's groups.
_WRITTEN: list[tuple[str, re.Pattern[str], tuple[int, int]]] = [
    (HALF, re.compile(rf"^6\s*(?:thang|th|t)\.?\s*(dau|cuoi)(?: nam)?\s*{_YEAR}$"), (2, 1)),
    (HALF, re.compile(rf"^(?:h|nua nam )([12]){_SEP}{_YEAR}$"), (2, 1)),
    (HALF, re.compile(rf"^{_YEAR}\s*-\s*h([12])$"), (1, 2)),
    (QUARTER, re.compile(rf"^(?:q|quy)\.?\s*{_NUM}{_SEP}{_YEAR}$"), (2, 1)),
    (QUARTER, re.compile(rf"^{_YEAR}\s*-\s*q\s*{_NUM}$"), (1, 2)),
    (MONTH, re.compile(rf"^(?:t|th|thang)?\.?\s*(\d{{1,2}}){_SEP}{_YEAR}$"), (2, 1)),
    (MONTH, re.compile(r"^(\d{4})\s*-\s*(\d{1,2})$"), (1, 2)),
    (YEAR, re.compile(r"^(?:nam\s*)?(\d{4})$"), (1, 0)),
]
_LIMITS = {MONTH: 12, QUARTER: 4, HALF: 2}


@dataclass(frozen=True)
class Written:
    """A period as written: its kind, year and number (month 1-12, quarter 1-4, half 1-2)."""

    kind: str
    year: int
    number: int = 1

    def period(self) -> Period:
        return {MONTH: Period.month, QUARTER: Period.quarter, HALF: Period.half}.get(
            self.kind, lambda y, _n: Period.year(y))(self.year, self.number)


def _full_year(text: str) -> str:
    """A year written with two digits is of this century ("11/26": November 2026)."""
    return f"20{text}" if len(text) == 2 else text


def _number(text: str) -> int:
    return _ROMAN[text] if text in _ROMAN else int(text)


def read_period(text: str, field: str = "period") -> Written:
    """Read a period the way people write it: "11/2026", "T11/2026", "Th11/2026", "T.11/2026",
    "tháng 11/2026", "tháng 11 năm 2026", "11/26", "2026-11"; "quý 3/2026", "Q3/2026",
    "quý III năm 2026", "2026-Q3"; "6 tháng đầu năm 2026", "6T đầu năm 2026",
    "6 tháng cuối năm 2026", "H1/2026", "2026-H1"; "năm 2026", "2026" (a year of two digits is
    of this century). The one parser of written periods: every form and command that
    takes one calls it. Raises ``ActionError`` on ``field`` saying what was not understood.
    """
    folded = fold(text or "")
    if not folded:
        raise ActionError(_("Write the period, for example 11/2026, quý 3/2026, "
                            "6 tháng đầu năm 2026 or năm 2026."), field=field)
    for kind, pattern, (year_at, number_at) in _WRITTEN:
        match = pattern.match(folded)
        if match is None:
            continue
        if kind == HALF and number_at == 1 and match.group(1) in ("dau", "cuoi"):
            number = 1 if match.group(1) == "dau" else 2
        else:
            number = _number(match.group(number_at)) if number_at else 1
        try:
            year = _year(_full_year(match.group(year_at)))
        except ActionError as exc:
            raise ActionError(exc.message, field=field) from None
        limit = _LIMITS.get(kind)
        if limit and not 1 <= number <= limit:
            raise ActionError({
                MONTH: _("“%(text)s”: a month is between 1 and 12."),
                QUARTER: _("“%(text)s”: a quarter is between 1 and 4."),
                HALF: _("“%(text)s”: a half-year is 1 or 2."),
            }[kind] % {"text": text.strip()}, field=field)
        return Written(kind, year, number)
    raise ActionError(_("“%(text)s” is not a period we can read. Write for example 11/2026 "
                        "(a month), quý 3/2026 (a quarter), 6 tháng đầu năm 2026 (a half-year) "
                        "or năm 2026 (a year).") % {"text": text.strip()[:40]}, field=field)


KIND_EXAMPLES = {MONTH: "11/2026", QUARTER: "quý 3/2026", HALF: "6 tháng đầu năm 2026",
                 YEAR: "năm 2026"}


def read_period_of_kind(kind: str, text: str, field: str = "period") -> Period:
    """``read_period`` for a report of ``kind``: a quarter given for a monthly report is
    refused with a message naming both and an example of the right kind."""
    written = read_period(text, field)
    if written.kind != kind:
        names = {MONTH: _("a month"), QUARTER: _("a quarter"), HALF: _("a half-year"),
                 YEAR: _("a year")}
        raise ActionError(
            _("“%(text)s” is %(given)s, but this report covers %(wanted)s: write for "
              "example %(example)s.")
            % {"text": text.strip(), "given": names[written.kind],
               "wanted": names.get(kind, kind), "example": KIND_EXAMPLES.get(kind, "")},
            field=field)
    return written.period()


# --- Periods of report types -----------------------------------------------------------------

def period_bounds(kind: str, year: int, n: int = 1) -> tuple[dt.date, dt.date]:
    """The first and last day of the ``n``-th month/quarter/half of ``year`` (or the year)."""
    if kind == ReportType.Kind.MONTHLY:
        first_month, months = n, 1
    elif kind == ReportType.Kind.QUARTERLY:
        first_month, months = 3 * (n - 1) + 1, 3
    elif kind == ReportType.Kind.HALF:
        first_month, months = 6 * (n - 1) + 1, 6
    else:
        first_month, months = 1, 12
    start = dt.date(year, first_month, 1)
    last_month = first_month + months - 1
    after = dt.date(year + 1, 1, 1) if last_month == 12 else dt.date(year, last_month + 1, 1)
    return start, after - dt.timedelta(days=1)


def parse_period(kind: str, text: str) -> tuple[dt.date, dt.date]:
    """The period of a report of ``kind`` written as people write it ("11/2026",
    "quý 3/2026", "6 tháng đầu năm 2026", "năm 2026", or "2026-Q3"): ``periods.read_period``.
    Raises ``ActionError`` on the field ``period`` with what was wrong."""
    period = read_period_of_kind(kind, text)
    return period.start, period.end


def period_code(kind: str, start: dt.date) -> str:
    codes: dict[str, str] = {
        ReportType.Kind.MONTHLY: f"{start:%Y-%m}",
        ReportType.Kind.QUARTERLY: f"{start.year}-Q{(start.month - 1) // 3 + 1}",
        ReportType.Kind.HALF: f"{start.year}-H{(start.month - 1) // 6 + 1}",
        ReportType.Kind.ANNUAL: f"{start.year}",
    }
    return codes.get(kind, f"{start:%Y-%m-%d}")


def last_closed_period(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The latest period of ``kind`` that ended before ``today``."""
    month = today.month
    if kind == ReportType.Kind.MONTHLY:
        prev = today.replace(day=1) - dt.timedelta(days=1)
        return period_bounds(kind, prev.year, prev.month)
    if kind == ReportType.Kind.QUARTERLY:
        q = (month - 1) // 3
        return period_bounds(kind, today.year, q) if q else period_bounds(kind, today.year - 1, 4)
    if kind == ReportType.Kind.HALF:
        return (period_bounds(kind, today.year, 1) if month > 6
                else period_bounds(kind, today.year - 1, 2))
    return period_bounds(kind, today.year - 1)
