"""The geometry of the charts, computed here so that templates only draw: inline SVG that needs no script
and no inline style (the CSP forbids both), coloured by classes of the theme's CSS.

Coordinates are in the units of the SVG's ``viewBox``; the SVG scales to the width of the page. A chart
never stands alone: its template gives it a title and a description, and the same numbers as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DASHES = ("", "8 4", "2 4", "12 4 2 4")
"""A dash pattern per series besides its colour, so lines are told apart without seeing colours."""


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one row each: the label left of the bar, the value right of it."""

    width: int
    height: int
    label_width: int
    row: int
    bar_height: int
    bars: list[Bar]


def bar_chart(items: Sequence[tuple[str, int]], width: int = 640, label_width: int = 230, row: int = 34) -> BarChart:
    """Bars for ``(label, value)`` pairs, the longest for the largest value (all empty when every value is 0)."""
    room = width - label_width - 70  # the value is written after the bar
    largest = max((value for _, value in items), default=0)
    bars = [Bar(label=label, value=value, y=index * row, width=round(room * value / largest, 1) if largest else 0)
            for index, (label, value) in enumerate(items)]
    return BarChart(width=width, height=max(row * len(items), row), label_width=label_width, row=row,
                    bar_height=row - 12, bars=bars)


def nice_ceiling(value: int) -> int:
    """The smallest top of an axis that is at least ``value`` and splits into four round steps: steps of 1, 2,
    3 or 5 times a power of ten (4, 8, 12, 20, 40, 80, 120, 200...)."""
    if value <= 4:
        return 4
    step = 1
    while True:
        for factor in (1, 2, 3, 5):
            if step * factor * 4 >= value:
                return step * factor * 4
        step *= 10


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: int


@dataclass(frozen=True)
class Series:
    kind: str
    title: str
    index: int
    dashes: str
    points: list[Point]

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x},{point.y}" for point in self.points)


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class LineChart:
    """Lines over a time axis, with a labelled value axis of four steps."""

    width: int
    height: int
    left: int
    top: int
    right: float
    bottom: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    series: list[Series]


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]], width: int = 640,
               height: int = 280) -> LineChart:
    """Lines for ``(kind, title, values)`` over the ``labels`` of the time axis (one value per label).

    Every other label is written when there are more than six, so that they never overlap."""
    left, top, right, bottom = 48, 12, width - 40, height - 36
    top_value = nice_ceiling(max((max(values, default=0) for _, _, values in series), default=0))
    steps = max(len(labels) - 1, 1)

    def x(index: int) -> float:
        return round(left + (right - left) * index / steps, 1)

    def y(value: int) -> float:
        return round(bottom - (bottom - top) * value / top_value, 1)

    every = 2 if len(labels) > 6 else 1
    return LineChart(
        width=width, height=height, left=left, top=top, right=right, bottom=bottom,
        y_ticks=[Tick(y(top_value * step // 4), str(top_value * step // 4)) for step in range(5)],
        x_ticks=[Tick(x(index), label) for index, label in enumerate(labels) if (len(labels) - 1 - index) % every == 0],
        series=[Series(kind=kind, title=title, index=number, dashes=DASHES[number % len(DASHES)],
                       points=[Point(x(index), y(value), value) for index, value in enumerate(values)])
                for number, (kind, title, values) in enumerate(series)],
    )
