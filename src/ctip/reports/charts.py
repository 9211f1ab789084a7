"""Geometry for the server-side SVG charts of the dashboards (drawn by the templates; no chart
library, nothing from a CDN, and the same SVG prints in the PDF). Every chart is accompanied by
a data table in the template."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SCALE_STEPS = 5  # colour classes scale-0 .. scale-4


@dataclass
class Bar:
    label: str
    value: float | None  # None: nothing to measure (a unit without a target), never "0 %"
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    horizontal: bool
    baseline: float
    maximum: float


def column_chart(items: Sequence[tuple[str, float | None]], *, width: int = 640,
                 height: int = 220, label_room: int = 28) -> BarChart:
    """Vertical bars (a trend by month)."""
    values = [v or 0 for _label, v in items]
    top = max(values, default=0) or 1
    n = max(len(items), 1)
    slot = width / n
    plot = height - label_room - 16
    bars = []
    for i, (label, value) in enumerate(items):
        v = value or 0
        h = plot * v / top
        x = i * slot + slot * 0.15
        y = 16 + plot - h
        bars.append(Bar(str(label), v, round(x, 1), round(y, 1), round(slot * 0.7, 1),
                        round(h, 1), round(i * slot + slot / 2, 1), round(y - 3, 1)))
    return BarChart(width, height, bars, False, 16 + plot, top)


def bar_chart(items: Sequence[tuple[str, float | None]], *, width: int = 640,
              row: int = 22, label_room: int = 220) -> BarChart:
    """Horizontal bars (sessions by format, progress against a target)."""
    values = [v or 0 for _label, v in items]
    top = max(values, default=0) or 1
    plot = width - label_room - 60
    bars = []
    for i, (label, value) in enumerate(items):
        v = value or 0
        w = plot * v / top
        y = i * row + 2
        bars.append(Bar(str(label), value, label_room, y, round(w, 1), row - 6,
                        round(label_room + w + 4, 1), round(y + row - 10, 1)))
    return BarChart(width, max(len(items), 1) * row + 4, bars, True, label_room, top)


def scale_class(value: Any, maximum: float) -> str:
    """A colour class from scale-0 (none) to scale-4 (the highest), relative to the maximum
    of the column. The text value is always shown beside the colour."""
    if not isinstance(value, int | float) or not value or not maximum:
        return "scale-0"
    step = int((value / maximum) * (SCALE_STEPS - 1) + 0.999)
    return f"scale-{min(max(step, 1), SCALE_STEPS - 1)}"
