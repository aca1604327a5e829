"""Log–log line plots for `dezero-plot` fences: axes, series, legend and a text alternative.

Part of the figure hook (hooks/figures.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

from figure_svg import figure_html
from figure_text import _num, esc, text_width

# --- the plot ------------------------------------------------------------------------------

PLOT_W = 640.0
PLOT_LEFT = 62.0
PLOT_RIGHT = 22.0
PLOT_TOP = 34.0
PLOT_H = 290.0
MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = ("7 5", "2 4", "10 4 2 4")
LEGEND_GAP = 22.0
LEGEND_LINE = 26.0


def _sup(text: str) -> str:
    return text.replace("-", "−")


def _pow_label(p: int) -> str:
    return f'10<tspan class="dz-sup" dy="-0.55em" font-size="0.72em">{esc(_sup(str(p)))}</tspan>'


def _pow_text(p: int) -> str:
    return f"{10.0 ** p:.0e}"


def _decade_range(values: Iterable[float]) -> tuple[int, int]:
    vals = list(values)
    lo = math.floor(math.log10(min(vals)) + 1e-9)
    hi = math.ceil(math.log10(max(vals)) - 1e-9)
    if hi <= lo:
        hi = lo + 1
    return lo, hi


def _label_step(decades: int, room: float, per_label: float) -> int:
    for step in (1, 2, 3, 4, 5, 6, 10, 12, 20, 50, 100):
        if (decades // step + 1) * per_label <= room:
            return step
    return max(1, decades)


def _marker(kind: str, x: float, y: float, cls: str) -> str:
    r = 3.4
    if kind == "circle":
        return f'<circle class="{cls}" cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}" fill="currentColor"/>'
    if kind == "square":
        return (f'<rect class="{cls}" x="{_num(x - r)}" y="{_num(y - r)}" width="{_num(2 * r)}" '
                f'height="{_num(2 * r)}" fill="currentColor"/>')
    if kind == "triangle":
        q = r * 1.25
        pts = f"{_num(x)},{_num(y - q)} {_num(x + q)},{_num(y + q * 0.8)} {_num(x - q)},{_num(y + q * 0.8)}"
    else:
        q = r * 1.35
        pts = f"{_num(x)},{_num(y - q)} {_num(x + q)},{_num(y)} {_num(x)},{_num(y + q)} {_num(x - q)},{_num(y)}"
    return f'<polygon class="{cls}" points="{pts}" fill="currentColor"/>'


@dataclass
class Series:
    label: str
    guide: bool
    points: list[tuple[float, float]]  # positive, finite (x, y) pairs in the given order


def make_series(x: Sequence[float], ys: Sequence[Sequence[float]], legend: Sequence[str]) -> list[Series]:
    out = []
    for label, y in zip(legend, ys):
        guide = label.startswith("~")
        pts = []
        for xv, yv in zip(x, y):
            xv, yv = float(xv), float(yv)
            if xv > 0 and yv > 0 and math.isfinite(xv) and math.isfinite(yv):
                pts.append((xv, yv))
        out.append(Series(label[1:].strip() if guide else label.strip(), guide, pts))
    return out


def plot_svg_body(series: list[Series], xlabel: str, ylabel: str, clip_id: str,
                  lang: str) -> tuple[str, float, float, tuple[int, int], tuple[int, int]]:
    real = [s for s in series if not s.guide] or series
    xs = [p[0] for s in series for p in s.points]
    ys = [p[1] for s in real for p in s.points]
    xr, yr = _decade_range(xs), _decade_range(ys)
    left, top, pw, ph = PLOT_LEFT, PLOT_TOP, PLOT_W - PLOT_LEFT - PLOT_RIGHT, PLOT_H

    def X(v: float) -> float:
        return left + (math.log10(v) - xr[0]) / (xr[1] - xr[0]) * pw

    def Y(v: float) -> float:
        return top + ph - (math.log10(v) - yr[0]) / (yr[1] - yr[0]) * ph

    parts: list[str] = []
    # grid, ticks and tick labels
    grid, ticks, labels = [], [], []
    for axis, (lo, hi), room, per in (("x", xr, pw, 46.0), ("y", yr, ph, 22.0)):
        step = _label_step(hi - lo, room, per)
        px_per_decade = room / (hi - lo)
        for p in range(lo, hi + 1):
            major = (p - lo) % step == 0
            if axis == "x":
                pos = X(10.0 ** p)
                ticks.append(f'<line class="dz-tick" x1="{_num(pos)}" y1="{_num(top + ph)}" '
                             f'x2="{_num(pos)}" y2="{_num(top + ph + (6 if major else 4))}" stroke="currentColor"/>')
                if major:
                    if lo < p < hi:
                        grid.append(f'<line class="dz-grid" x1="{_num(pos)}" y1="{_num(top)}" x2="{_num(pos)}" '
                                    f'y2="{_num(top + ph)}" stroke="currentColor"/>')
                    labels.append(f'<text class="dz-tick-label" x="{_num(pos)}" y="{_num(top + ph + 22)}" '
                                  f'text-anchor="middle" fill="currentColor">{_pow_label(p)}</text>')
            else:
                pos = Y(10.0 ** p)
                ticks.append(f'<line class="dz-tick" x1="{_num(left - (6 if major else 4))}" y1="{_num(pos)}" '
                             f'x2="{_num(left)}" y2="{_num(pos)}" stroke="currentColor"/>')
                if major:
                    if lo < p < hi:
                        grid.append(f'<line class="dz-grid" x1="{_num(left)}" y1="{_num(pos)}" '
                                    f'x2="{_num(left + pw)}" y2="{_num(pos)}" stroke="currentColor"/>')
                    labels.append(f'<text class="dz-tick-label" x="{_num(left - 9)}" y="{_num(pos + 4.5)}" '
                                  f'text-anchor="end" fill="currentColor">{_pow_label(p)}</text>')
            if px_per_decade >= 28 and p < hi:  # minor ticks at 2..9 x 10^p
                for m in range(2, 10):
                    v = m * 10.0 ** p
                    if axis == "x":
                        pos = X(v)
                        ticks.append(f'<line class="dz-tick dz-minor" x1="{_num(pos)}" y1="{_num(top + ph)}" '
                                     f'x2="{_num(pos)}" y2="{_num(top + ph + 3)}" stroke="currentColor"/>')
                    else:
                        pos = Y(v)
                        ticks.append(f'<line class="dz-tick dz-minor" x1="{_num(left - 3)}" y1="{_num(pos)}" '
                                     f'x2="{_num(left)}" y2="{_num(pos)}" stroke="currentColor"/>')
    parts.append('<g class="dz-grids">' + "".join(grid) + "</g>")
    parts.append(f'<rect class="dz-frame" x="{_num(left)}" y="{_num(top)}" width="{_num(pw)}" '
                 f'height="{_num(ph)}" fill="none" stroke="currentColor"/>')
    parts.append('<g class="dz-ticks">' + "".join(ticks) + "</g>")
    parts.append('<g class="dz-tick-labels">' + "".join(labels) + "</g>")
    # axis labels: x centred below the tick labels, y above the axis (reads without turning)
    parts.append(f'<text class="dz-axis-label" x="{_num(left + pw / 2)}" y="{_num(top + ph + 46)}" '
                 f'text-anchor="middle" fill="currentColor">{esc(xlabel)}</text>')
    parts.append(f'<text class="dz-axis-label" x="{_num(left)}" y="{_num(top - 14)}" '
                 f'text-anchor="middle" fill="currentColor">{esc(ylabel)}</text>')
    # the series, clipped to the plot area (guides may run past it)
    lines = []
    k_real = k_guide = 0
    styles = []
    for s in series:
        if s.guide:
            cls, dash, marker = f"dz-series dz-guide dz-guide-{k_guide}", DASHES[k_guide % len(DASHES)], None
            k_guide += 1
        else:
            cls, dash, marker = f"dz-series dz-s-{k_real}", None, MARKERS[k_real % len(MARKERS)]
            k_real += 1
        styles.append((cls, dash, marker))
        pts = " ".join(f"{_num(X(x))},{_num(Y(y))}" for x, y in s.points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        group = [f'<g class="{cls}">',
                 f'<polyline points="{pts}" fill="none" stroke="currentColor"{dash_attr} '
                 f'clip-path="url(#{clip_id})"/>']
        if marker:  # not clipped: a point on the frame keeps its whole marker
            group += [_marker(marker, X(x), Y(y), "dz-marker") for x, y in s.points
                      if yr[0] - 1e-9 <= math.log10(y) <= yr[1] + 1e-9]
        group.append("</g>")
        lines.append("".join(group))
    parts.append(f'<clipPath id="{clip_id}"><rect x="{_num(left)}" y="{_num(top)}" width="{_num(pw)}" '
                 f'height="{_num(ph)}"/></clipPath>')
    parts.append('<g class="dz-plot">' + "".join(lines) + "</g>")
    # legend: rows below the x label, wrapped to the plot's width, each row centred under it
    rows: list[list[tuple[Series, tuple, float]]] = [[]]
    used = 0.0
    for s, style in zip(series, styles):
        w = LEGEND_LINE + 7 + text_width(s.label, 14)
        if rows[-1] and used + LEGEND_GAP + w > pw:
            rows.append([])
            used = 0.0
        used += (LEGEND_GAP if rows[-1] else 0) + w
        rows[-1].append((s, style, w))
    entries = []
    y = top + ph + 74
    for row in rows:
        x = left + (pw - (sum(w for _, _, w in row) + LEGEND_GAP * (len(row) - 1))) / 2
        for s, (cls, dash, marker), w in row:
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            item = [f'<g class="dz-legend-item {cls}">',
                    f'<line x1="{_num(x)}" y1="{_num(y - 4.5)}" x2="{_num(x + LEGEND_LINE)}" y2="{_num(y - 4.5)}" '
                    f'stroke="currentColor"{dash_attr}/>']
            if marker:
                item.append(_marker(marker, x + LEGEND_LINE / 2, y - 4.5, "dz-marker"))
            item.append(f'<text class="dz-legend-label" x="{_num(x + LEGEND_LINE + 7)}" y="{_num(y)}" fill="currentColor">'
                        f'{esc(s.label)}</text></g>')
            entries.append("".join(item))
            x += w + LEGEND_GAP
        y += 22
    y -= 22
    parts.append('<g class="dz-legend">' + "".join(entries) + "</g>")
    height = y + 12
    return "".join(parts), PLOT_W, height, xr, yr


def describe_plot(series: list[Series], xlabel: str, ylabel: str, xr: tuple[int, int],
                  yr: tuple[int, int], lang: str) -> str:
    ko = lang == "ko"
    if ko:
        text = [f"로그-로그 그래프. 가로축 {xlabel}: {_pow_text(xr[0])}부터 {_pow_text(xr[1])}까지, "
                f"세로축 {ylabel}: {_pow_text(yr[0])}부터 {_pow_text(yr[1])}까지, 둘 다 로그 눈금."]
    else:
        text = [f"Log–log plot. Horizontal axis {xlabel}, from {_pow_text(xr[0])} to {_pow_text(xr[1])}; "
                f"vertical axis {ylabel}, from {_pow_text(yr[0])} to {_pow_text(yr[1])}; both logarithmic."]
    for s in series:
        if not s.points:
            continue
        if s.guide:
            text.append(f"점선 기준선 {s.label}." if ko else f"Dashed guide line {s.label}.")
            continue
        (xa, ya), (xb, yb) = s.points[0], s.points[-1]
        xm, ym = min(s.points, key=lambda p: p[1])
        if ko:
            text.append(f"{s.label}: 점 {len(s.points)}개, {xlabel} = {xa:.0e}에서 {ya:.1e}, "
                        f"{xlabel} = {xb:.0e}에서 {yb:.1e}, 가장 작은 값은 {xlabel} = {xm:.0e}에서 {ym:.1e}.")
        else:
            text.append(f"{s.label}: {len(s.points)} points; {ya:.1e} at {xlabel} = {xa:.0e}, "
                        f"{yb:.1e} at {xlabel} = {xb:.0e}, smallest {ym:.1e} at {xlabel} = {xm:.0e}.")
    return " ".join(text)


def render_plot(x: Sequence[float], ys: Sequence[Sequence[float]], legend: Sequence[str], *,
                xlabel: str = "x", ylabel: str = "y", caption: str = "", lang: str = "ko",
                fig_id: str = "dzfig") -> str:
    """A log–log line plot of `ys` against `x`; a legend entry starting with `~` is a dashed guide."""
    return render_plot_series(make_series(x, ys, legend), xlabel=xlabel, ylabel=ylabel,
                              caption=caption, lang=lang, fig_id=fig_id)


def render_plot_series(series: list[Series], *, xlabel: str, ylabel: str, caption: str, lang: str,
                       fig_id: str) -> str:
    body, width, height, xr, yr = plot_svg_body(series, xlabel, ylabel, f"{fig_id}-clip", lang)
    desc = describe_plot(series, xlabel, ylabel, xr, yr, lang)
    title = caption or ("로그-로그 그래프" if lang == "ko" else "Log–log plot")
    return figure_html("plot", fig_id, body, width, height, title, desc, caption)
