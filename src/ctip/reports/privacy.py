"""Privacy in aggregates, applied to the indicators of the reports (decision 0019).

The method (cell-key perturbation with a threshold), who sees exact counts and the coordinates
of a cell are in ``ctip.figures.privacy``, below the fact apps so that their pages can show
counts through it (decision 0053); the names are re-exported here for the modules of
``reports``. Here: ``protect_values`` applies ``protect`` to the indicator values of one cell of
a table (``reports.indicators.compute_keyed``), a percentage from its protected parts, an amount
of money only with its count; ``derived_keys`` for reports taken before the record keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.crypto import salted_hmac

from ctip.figures.privacy import (  # the cells' method, below the fact apps (decision 0053)
    DEFAULT_THRESHOLD,
    LEGEND,
    MARK,
    MARK_VI_LEGEND,
    MAX_NOISE,
    MODULUS,
    PERTURBATION,
    SAME_RECORDS,
    THRESHOLD,
    ZERO_MARK_ONE_IN,
    cell_coords,
    exact_on_screen,
    exact_report,
    feasible,
    is_protected,
    mark,
    must_suppress,
    must_suppress_report,
    noise,
    protect,
    where_of,
)

__all__ = [  # the cells' names, re-exported for the modules of ``reports``, and this module's
    "DEFAULT_THRESHOLD", "LEGEND", "MARK", "MARK_VI_LEGEND", "MAX_NOISE", "MODULUS",
    "PERTURBATION", "SAME_RECORDS", "THRESHOLD", "ZERO_MARK_ONE_IN", "cell_coords",
    "exact_on_screen", "exact_report", "feasible", "is_protected", "mark", "must_suppress",
    "must_suppress_report", "noise", "protect", "where_of", "AMOUNT_COUNT", "UnprotectedIndicator",
    "derived_keys", "protect_values",
]

# An amount of money of people is shown only with the count it goes with, moved by a share.
_AMOUNT_SHARES = (-0.1, -0.05, 0.0, 0.05, 0.1)
AMOUNT_COUNT = {"loan_amount": "loans"}  # the count whose coordinates an amount shares


class UnprotectedIndicator(RuntimeError):
    """A person-count indicator reached the layer without the keys of its records."""


def protect_values(values: Mapping[str, Any], keys: Mapping[str, Any], where: str
                   ) -> dict[str, Any]:
    """The published values of one cell of indicators (a unit and a period): every
    person-count indicator through ``protect``, with its key from ``keys`` (the same shape as
    its value); a percentage worked out from its protected parts; an amount of money shown only
    with its count and moved by up to 10 %; every other indicator as is."""
    from ctip.reports import indicators as ind  # indicators imports this module

    out: dict[str, Any] = {}
    for code, value in values.items():
        indicator = ind.BY_CODE.get(code)
        if indicator is None or not (indicator.is_person_count or indicator.is_person_amount):
            out[code] = value
            continue
        if code not in keys:
            raise UnprotectedIndicator(code)
        key = keys[code]
        if indicator.is_person_amount:
            out[code] = _amount(value, key, cell_coords(AMOUNT_COUNT.get(code, code), "total",
                                                        where))
        elif isinstance(value, dict):
            shown = {part: protect(n, key.get(part, 0) if isinstance(key, dict) else 0,
                                   cell_coords(code, part, where))
                     for part, n in value.items() if part != "total"}
            if indicator.measure == "percent":
                shown["total"] = _percent(shown)
            else:
                total_key = key.get("total", 0) if isinstance(key, dict) else key
                shown["total"] = protect(value.get("total", 0), total_key,
                                         cell_coords(code, "total", where))
            out[code] = {"total": shown.pop("total"), **shown}
        else:
            out[code] = protect(value, key if isinstance(key, int) else 0,
                                cell_coords(code, "total", where))
    return out


def derived_keys(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Cell keys for stored values whose record keys were not kept (reports taken before
    decision 0019): a keyed hash of what each cell counts, so the noise is fixed per cell."""
    from ctip.reports import indicators as ind  # indicators imports this module

    def key(code: str, part: str) -> int:
        digest = salted_hmac("ctip.reports.privacy.key", cell_coords(code, part, where))
        return int.from_bytes(digest.digest()[:2], "big") % MODULUS

    out: dict[str, Any] = {}
    for code, value in values.items():
        indicator = ind.BY_CODE.get(code)
        if indicator is None or not (indicator.is_person_count or indicator.is_person_amount):
            continue
        if indicator.is_person_amount:
            count = values.get(AMOUNT_COUNT.get(code, ""))
            out[code] = {"n": int(count.get("total", 0) if isinstance(count, dict)
                                  else (count or 0)) if count is not None else 1,
                         "key": key(AMOUNT_COUNT.get(code, code), "total")}
        elif isinstance(value, dict):
            out[code] = {part: key(code, part) for part in value}
        else:
            out[code] = key(code, "total")
    return out


def _percent(parts: dict[str, Any]) -> Any:
    """A percentage from its protected denominator and numerator (the first two parts)."""
    names = list(parts)
    if len(names) < 2:
        return None
    whole, part = parts[names[0]], parts[names[1]]
    if is_protected(whole) or is_protected(part):
        return MARK
    if not whole:
        return None
    return min(100.0, round(100 * part / whole, 1))


def _amount(amount: Any, key: Any, coords: str) -> Any:
    """An amount shown only where the count it goes with (``key``: ``{"n", "key"}``) is
    published as a number, moved by a share fixed by that count's cell key, to 100,000 dong."""
    n = int(key.get("n", 0)) if isinstance(key, dict) else 0
    k = int(key.get("key", 0)) if isinstance(key, dict) else int(key or 0)
    if not n:
        return 0 if not amount else MARK
    if protect(n, k, coords) == MARK:
        return MARK
    share = _AMOUNT_SHARES[(k * 7 + 3) % MODULUS % len(_AMOUNT_SHARES)]
    return int(round(float(amount or 0) * (1 + share), -5))
