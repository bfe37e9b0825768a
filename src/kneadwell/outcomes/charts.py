"""Charts of a measure over visits as plain SVG. Pure Python: no Django, no plotting library.

Why plain SVG rather than matplotlib (docs/architecture.md, "Charts"): the pages run under a
Content-Security-Policy that refuses inline styles, and matplotlib's SVG styles every element with
`style="…"` attributes; this module writes presentation attributes only (`fill`, `stroke`, …), so
the same figure is inlined in a page, in the WeasyPrint PDF and in the API's report, byte for byte.
It is also small, deterministic (testable by its text) and accessible: a `<title>` and `<desc>`,
`role="img"`, and a label on every point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 560, 240
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 16, 28, 44
INK, GRID, MUTED = "#1f2933", "#d9dee3", "#52606d"
COLOURS = ("#1d4ed8", "#b45309", "#047857", "#7c3aed")  # WCAG AA on white; series also differ by marker


@dataclass(frozen=True, slots=True)
class Point:
    x: int  # visit number (1 = the first visit of the course)
    value: float
    label: str = ""  # e.g. the date, shown in the point's tooltip


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    points: tuple[Point, ...]
    dashed: bool = False


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = (high - low) / (count - 1) if high > low else 1
    return [low + i * step for i in range(count)]


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    y_min: float,
    y_max: float,
    unit: str = "",
    higher_is_better: bool = False,
    target: float | None = None,
    target_label: str = "",
    chart_id: str = "chart",
) -> str:
    """An SVG line chart of one or more series over visit numbers, with an optional target line
    (e.g. baseline improved by the MCID) and an arrow telling which way is better."""
    if y_max <= y_min:
        raise ValueError("y_max must be above y_min")
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    visits = sorted({p.x for s in series for p in s.points}) or [1]
    x_lo, x_hi = visits[0], max(visits[-1], visits[0] + 1)

    def sx(x: float) -> float:
        return MARGIN_LEFT + (x - x_lo) / (x_hi - x_lo) * plot_w

    def sy(v: float) -> float:
        v = min(max(v, y_min), y_max)
        return MARGIN_TOP + (y_max - v) / (y_max - y_min) * plot_h

    better = "higher is better" if higher_is_better else "lower is better"
    desc = "; ".join(
        f"{s.name}: " + ", ".join(f"visit {p.x} {_fmt(p.value)}" for p in s.points)
        for s in series
        if s.points
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc or "No values yet.")} ({better})</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for tick in _ticks(y_min, y_max):
        y = sy(tick)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{MUTED}">{_fmt(tick)}</text>'
        )
    step = max(1, len(visits) // 12)
    for x in visits[::step]:
        parts.append(
            f'<text x="{sx(x):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle" font-size="11" fill="{MUTED}">{x}</text>'
        )
    parts.append(
        f'<text x="{MARGIN_LEFT + plot_w / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11" fill="{MUTED}">Visit</text>'
    )
    parts.append(
        f'<text x="{MARGIN_LEFT}" y="16" font-size="12" fill="{INK}">{escape(unit)}'
        f"{' · ' if unit else ''}{'↑' if higher_is_better else '↓'} {better}</text>"
    )
    parts.append(
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{HEIGHT - MARGIN_BOTTOM}" stroke="{INK}" stroke-width="1"/>'
    )
    parts.append(
        f'<line x1="{MARGIN_LEFT}" y1="{HEIGHT - MARGIN_BOTTOM}" x2="{WIDTH - MARGIN_RIGHT}" y2="{HEIGHT - MARGIN_BOTTOM}" stroke="{INK}" stroke-width="1"/>'
    )
    if target is not None and y_min <= target <= y_max:
        y = sy(target)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" '
            f'stroke="#047857" stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text x="{WIDTH - MARGIN_RIGHT}" y="{y - 4:.1f}" text-anchor="end" font-size="11" fill="#047857">'
            f"{escape(target_label or 'target')}</text>"
        )
    for index, s in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        pts = sorted(s.points, key=lambda p: p.x)
        if len(pts) > 1:
            coords = " ".join(f"{sx(p.x):.1f},{sy(p.value):.1f}" for p in pts)
            dash = ' stroke-dasharray="4 3"' if s.dashed else ""
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
            )
        for p in pts:
            tip = f"{s.name}, visit {p.x}{' (' + p.label + ')' if p.label else ''}: {_fmt(p.value)}"
            if s.dashed:
                shape = (
                    f'<rect x="{sx(p.x) - 4:.1f}" y="{sy(p.value) - 4:.1f}" width="8" height="8" fill="#ffffff" '
                    f'stroke="{colour}" stroke-width="2">'
                )
                parts.append(f"{shape}<title>{escape(tip)}</title></rect>")
            else:
                parts.append(
                    f'<circle cx="{sx(p.x):.1f}" cy="{sy(p.value):.1f}" r="4" fill="{colour}">'
                    f"<title>{escape(tip)}</title></circle>"
                )
    # Legend (series differ by marker and dash as well as colour: never colour alone).
    lx = MARGIN_LEFT + 8
    for index, s in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        y = MARGIN_TOP + 10 + index * 14
        parts.append(
            f'<line x1="{lx}" y1="{y}" x2="{lx + 18}" y2="{y}" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        parts.append(f'<text x="{lx + 24}" y="{y + 4}" font-size="11" fill="{INK}">{escape(s.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
