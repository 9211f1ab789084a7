"""Privacy in aggregates: the one disclosure-control layer every count about people passes
through before anyone without access to the underlying records sees it (decision 0019). The
person-level files (CTDC, public release, HTCDS) are ``reports.ctdc`` (decision 0031).

**Method: cell-key perturbation with a threshold.** Every fact that counts a person (situation,
referral, support case, service) carries a random ``record_key`` in 0..255 drawn when it is
made (``cases.models.new_record_key``). The grouped queries of ``reports.indicators`` sum those
keys next to the counts; a published cell's key is that sum modulo 256, so the same set of
records has the same key whatever table, page, period selector or file it is shown in. From
``(count, cell key)`` a fixed table (``PERTURBATION``) gives a noise in -2..+2; then:

- a count of 0 is published as ``0``, except that one zero cell in four (chosen by a keyed hash
  of what the cell counts, so always the same cells) is published as the mark, so that the
  mark never tells a reader that a count is at least 1;
- a count of 1-4 is never published: it shows the mark ``≤ 6``;
- a count of 5 or more is published as count + noise when that is 5 or more, else as the mark.

So a published number is always 5 or more and at most 2 away from the true count, and the mark
means "between 0 and 6 people" (``feasible`` states exactly what a reader can infer, and the
attack test holds every published cell to it). Totals and parts, parents and children, years
and months are each protected from their own records, never added up from protected cells, so
differences between tables give noise, not people.

**Who sees exact counts** (``exact_on_screen``): on screen, a viewer who holds ``case.view`` over
the unit of the table (who could open the records themselves); a periodic report's page, the
unit's own officers who hold ``case.view`` over it (``exact_report``). Every export (CSV, XLSX,
PDF, periodic report PDF, CTDC file) leaves the unit and is always protected.

``protect(count, key, coords)`` is the plain function at the bottom of it all (the JSON API
and the cases page call it too); ``reports.privacy.protect_values`` applies it to the indicator
values of one cell of a table (``reports.indicators.compute_keyed``). Stored values are never
altered. This module sits below the fact apps (decision 0053), so their pages show counts
through it without importing ``reports``.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils.crypto import salted_hmac

from ctip.accounts.policy import grants_of, has_capability
from ctip.org.models import Unit

THRESHOLD = 5          # no count of people below this is ever published
MAX_NOISE = 2          # published numbers are at most this far from the truth
MODULUS = 256          # record keys are 0..MODULUS-1; a cell key is their sum modulo MODULUS
ZERO_MARK_ONE_IN = 4   # one zero cell in four is published as the mark
MARK = f"≤ {THRESHOLD - 1 + MAX_NOISE}"
MARK_VI_LEGEND = (f"“{MARK}”: số liệu về người được bảo vệ — số thật từ 0 đến "
                  f"{THRESHOLD - 1 + MAX_NOISE} người. Các số khác về người đã được cộng một "
                  f"sai số cố định từ −{MAX_NOISE} đến +{MAX_NOISE} và không nhỏ hơn "
                  f"{THRESHOLD}; tổng được tính riêng nên có thể khác tổng các dòng.")
# what the legend of every protected table says (``reports/_protection_legend.html``)
LEGEND = {"mark": MARK, "high": THRESHOLD - 1 + MAX_NOISE, "noise": MAX_NOISE,
          "threshold": THRESHOLD}
DEFAULT_THRESHOLD = THRESHOLD

# --- The perturbation table ------------------------------------------------------------------

# Share of each noise among the 256 cell keys of a row: 26 + 51 + 102 + 51 + 26 = 256, so the
# noise has mean 0 and is 0 for 40 % of the cells.
_NOISE_SHARES = {-2: 26, -1: 51, 0: 102, 1: 51, 2: 26}
_ROWS = 64  # counts of 64 and more use the last row


def _build_table() -> tuple[tuple[int, ...], ...]:
    """A fixed table: row ``n`` (the count, capped) holds the noise of each of the 256 cell
    keys, a fixed shuffle per row of the shares above. Fixed in code so that the same cell
    always gets the same noise, on every server, forever."""
    base = [d for d, share in _NOISE_SHARES.items() for _ in range(share)]
    rows = []
    for n in range(_ROWS):
        row = list(base)
        random.Random(f"ctip-perturbation-{n}").shuffle(row)  # noqa: S311 (fixed, not secret)
        rows.append(tuple(row))
    return tuple(rows)


PERTURBATION = _build_table()


def noise(count: int, key: int) -> int:
    return PERTURBATION[min(count, _ROWS - 1)][key % MODULUS]


def _zero_marked(coords: str) -> bool:
    # the salt keeps the module's old name: the same cells stay marked (decision 0053)
    digest = salted_hmac("ctip.reports.privacy.zero", coords).digest()
    return digest[0] % ZERO_MARK_ONE_IN == 0


def protect(count: int, key: int, coords: str) -> int | str:
    """The published value of a count of people: ``0``, a number of at least ``THRESHOLD``, or
    ``MARK``. ``key`` is the sum of the record keys of the people counted (any integer; taken
    modulo ``MODULUS``), ``coords`` names what the cell counts (indicator, part, unit, period)
    the same way on every surface (it decides which zeros carry the mark)."""
    count = int(count or 0)
    if count <= 0:
        return MARK if _zero_marked(coords) else 0
    if count < THRESHOLD:
        return MARK
    shown = count + noise(count, int(key or 0))
    return shown if shown >= THRESHOLD else MARK


def feasible(shown: Any) -> tuple[int, int | None]:
    """What a reader may infer of the true count from a published value: ``(low, high)``
    (``high`` None: no upper bound). The documented meaning of every published cell."""
    if shown == MARK:
        return 0, THRESHOLD - 1 + MAX_NOISE
    if shown == 0:
        return 0, 0
    value = int(shown)
    return max(value - MAX_NOISE, 1), value + MAX_NOISE


def is_protected(value: Any) -> bool:
    return value == MARK


# --- Who sees exact counts -------------------------------------------------------------------

def exact_on_screen(viewer: Any, unit: Unit) -> bool:
    """A page or htmx partial shows exact counts of people to a viewer who holds ``case.view``
    over the unit (they may open the records themselves); files never do."""
    return has_capability(viewer, "case.view", unit)


def exact_report(viewer: Any, unit: Unit) -> bool:
    """A periodic report leaves its unit when it goes up to the parent: its page is exact only
    for the unit's own officers (a role held on the unit itself) who hold ``case.view`` over
    it. Its PDF is always protected."""
    of_the_unit = any(g.unit_id == unit.pk for g in grants_of(viewer))
    return of_the_unit and exact_on_screen(viewer, unit)


def must_suppress(viewer: Any, unit: Unit, *, export: bool = False) -> bool:
    """Kept for callers: True when counts of people must go through ``protect``."""
    return export or not exact_on_screen(viewer, unit)


def must_suppress_report(viewer: Any, unit: Unit) -> bool:
    return not exact_report(viewer, unit)


def mark(threshold: int = THRESHOLD) -> str:
    return MARK


# --- Cells ----------------------------------------------------------------------------------

# A part that counts exactly the records of a part of another indicator is named after that
# one, so that both show the same value everywhere (the jobs found are the job placement
# services delivered, the loans the loan services). {(code, part): (code, part)}
SAME_RECORDS: dict[tuple[str, str], tuple[str, str]] = {
    ("jobs_found", "total"): ("services", "job_placement"),
    ("loans", "loan_support"): ("services", "loan_support"),
    ("loans", "entrusted_loan"): ("services", "entrusted_loan"),
}
def cell_coords(code: str, part: str, where: str) -> str:
    code, part = SAME_RECORDS.get((code, part), (code, part))
    return f"{code}|{part}|{where}"


def where_of(unit: Unit, start: dt.date, end: dt.date, *, own: bool = False) -> str:
    """The unit and period part of a cell's coordinates: the records of ``unit``'s subtree (or
    only those stamped on it, ``own``) in ``start``..``end``. Both name the unit alike: where
    nothing below the unit has records the two are the same cell, and must show the same zero
    (a non-zero cell's value depends on its records alone)."""
    return f"{unit.pk}|{start:%Y-%m-%d}|{end:%Y-%m-%d}"
