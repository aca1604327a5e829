"""Layout of a computational graph: node sizes, columns by distance from the output, geometry.

Part of the figure hook (hooks/figures.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from figure_graph import Graph, Node, derivative_label
from figure_text import text_width

FONT = 16  # label size in SVG user units
SMALL = 12
GAP_X = 46  # room for an arrow between two columns
GAP_Y = 26
PAD = 10
ARROW_LEN = 9.0
ARROW_HALF = 4.5


@dataclass
class _Box:
    node: Node
    shape: str  # "ellipse" or "rect"
    w: float
    h: float
    lines: list[tuple[str, str]]  # (css class, text) lines for rect labels
    frac: tuple[str, str] | None = None  # numerator, denominator for a backward variable
    note: str | None = None  # small text under the node (a grad's value)
    cx: float = 0.0
    cy: float = 0.0


def _boxes(graph: Graph, view: str) -> dict[str, _Box]:
    out_label = graph.node(graph.output).label
    boxes: dict[str, _Box] = {}
    for n in graph.nodes:
        if n.kind == "variable":
            if view == "backward":
                num, den = f"d{out_label}", f"d{n.label}"
                tw = max(text_width(num, FONT), text_width(den, FONT))
                rx, ry = max(28.0, tw / 2 + 16), 27.0
                note = f"= {n.value}" if n.value is not None else None
                boxes[n.id] = _Box(n, "ellipse", 2 * rx, 2 * ry, [], (num, den), note)
            else:
                tw = text_width(n.label, FONT)
                rx, ry = max(23.0, tw / 2 + 14), 20.0
                boxes[n.id] = _Box(n, "ellipse", 2 * rx, 2 * ry, [("dz-label dz-var-label", n.label)])
        else:
            if view == "backward":
                lines = [("dz-label dz-deriv", derivative_label(graph, n))]
            elif n.named and n.label != n.cls:
                lines = [("dz-label dz-fn-label", n.label), ("dz-small dz-fn-class", n.cls)]
            else:
                lines = [("dz-label dz-fn-label", n.label)]
            tw = max(text_width(t, FONT if "dz-label" in c else SMALL) for c, t in lines)
            h = 36.0 if len(lines) == 1 else 48.0
            boxes[n.id] = _Box(n, "rect", max(52.0, tw + 24), h, lines)
    return boxes


def _layout(graph: Graph, boxes: dict[str, _Box]) -> tuple[float, float]:
    """Columns by (longest) distance from the output; the output ends up rightmost."""
    dist: dict[str, int] = {graph.output: 0}
    succ: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for s, t in graph.edges:
        succ[s].append(t)
    for n in reversed(graph.nodes):  # reverse data-flow order: successors first
        if n.id == graph.output:
            continue
        ds = [dist[t] + 1 for t in succ[n.id] if t in dist]
        dist[n.id] = max(ds) if ds else 0
    depth = max(dist.values())
    columns: list[list[_Box]] = [[] for _ in range(depth + 1)]
    for n in graph.nodes:
        columns[depth - dist[n.id]].append(boxes[n.id])
    col_w = [max(b.w for b in col) for col in columns]
    col_h = [sum(b.h + (18 if b.note else 0) for b in col) + GAP_Y * (len(col) - 1) for col in columns]
    height = max(col_h) + 2 * PAD
    x = PAD
    for col, w, h in zip(columns, col_w, col_h):
        y = (height - h) / 2
        for b in col:
            b.cx, b.cy = x + w / 2, y + b.h / 2
            y += b.h + (18 if b.note else 0) + GAP_Y
        x += w + GAP_X
    width = x - GAP_X + PAD
    return width, height


def _boundary(b: _Box, tx: float, ty: float) -> tuple[float, float]:
    """Where the ray from b's centre towards (tx, ty) leaves b's outline."""
    dx, dy = tx - b.cx, ty - b.cy
    if dx == 0 and dy == 0:
        return b.cx, b.cy
    if b.shape == "ellipse":
        rx, ry = b.w / 2, b.h / 2
        t = 1 / math.sqrt((dx / rx) ** 2 + (dy / ry) ** 2)
    else:
        hw, hh = b.w / 2, b.h / 2
        t = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf)
    return b.cx + dx * t, b.cy + dy * t


def _segment_hits_box(x1: float, y1: float, x2: float, y2: float, b: _Box) -> bool:
    steps = 24
    for i in range(1, steps):
        t = i / steps
        x, y = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
        if abs(x - b.cx) < b.w / 2 and abs(y - b.cy) < b.h / 2:
            return True
    return False
