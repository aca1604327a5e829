"""SVG for the figures: a laid-out graph's arrows and nodes, and the accessible `<figure>`.

Part of the figure hook (hooks/figures.py). Styles live in docs/assets/figures.css.
"""

from __future__ import annotations

import math

from figure_graph import Graph
from figure_layout import ARROW_HALF, ARROW_LEN, FONT, SMALL, _Box, _boundary, _boxes, _layout, _segment_hits_box
from figure_text import _num, describe_graph, esc, text_width

def _arrowhead(x: float, y: float, ux: float, uy: float, cls: str) -> str:
    """A filled triangle with its tip at (x, y), pointing along the unit vector (ux, uy)."""
    bx, by = x - ux * ARROW_LEN, y - uy * ARROW_LEN
    px, py = -uy * ARROW_HALF, ux * ARROW_HALF
    pts = f"{_num(x)},{_num(y)} {_num(bx + px)},{_num(by + py)} {_num(bx - px)},{_num(by - py)}"
    return f'<polygon class="{cls}" points="{pts}" fill="currentColor"/>'


def _edge_svg(src: _Box, dst: _Box, others: list[_Box], cls: str) -> str:
    """An arrow from src to dst; bent upwards if a straight line would cross another node."""
    sx, sy = _boundary(src, dst.cx, dst.cy)
    tx, ty = _boundary(dst, src.cx, src.cy)
    crosses = any(
        o is not src and o is not dst and _segment_hits_box(sx, sy, tx, ty, o) for o in others
    )
    if not crosses:
        length = math.hypot(tx - sx, ty - sy) or 1.0
        ux, uy = (tx - sx) / length, (ty - sy) / length
        ex, ey = tx - ux * (ARROW_LEN - 1), ty - uy * (ARROW_LEN - 1)
        line = (f'<line class="{cls}" x1="{_num(sx)}" y1="{_num(sy)}" x2="{_num(ex)}" y2="{_num(ey)}" '
                f'stroke="currentColor"/>')
        return line + _arrowhead(tx, ty, ux, uy, cls + "-head")
    top = min(min(o.cy - o.h / 2 for o in others), min(src.cy, dst.cy)) - 20
    cx, cy = (src.cx + dst.cx) / 2, 2 * top - (src.cy + dst.cy) / 2
    sx, sy = _boundary(src, cx, cy)
    tx, ty = _boundary(dst, cx, cy)
    length = math.hypot(tx - cx, ty - cy) or 1.0
    ux, uy = (tx - cx) / length, (ty - cy) / length
    ex, ey = tx - ux * (ARROW_LEN - 1), ty - uy * (ARROW_LEN - 1)
    path = (f'<path class="{cls}" d="M{_num(sx)},{_num(sy)} Q{_num(cx)},{_num(cy)} {_num(ex)},{_num(ey)}" '
            f'fill="none" stroke="currentColor"/>')
    return path + _arrowhead(tx, ty, ux, uy, cls + "-head")


def _node_svg(b: _Box) -> str:
    n = b.node
    parts = [f'<g class="dz-node dz-{n.kind}" data-node="{n.id}">']
    if b.shape == "ellipse":
        parts.append(f'<ellipse class="dz-shape" cx="{_num(b.cx)}" cy="{_num(b.cy)}" rx="{_num(b.w / 2)}" '
                     f'ry="{_num(b.h / 2)}" fill="none" stroke="currentColor"/>')
    else:
        parts.append(f'<rect class="dz-shape" x="{_num(b.cx - b.w / 2)}" y="{_num(b.cy - b.h / 2)}" '
                     f'width="{_num(b.w)}" height="{_num(b.h)}" rx="4" fill="none" stroke="currentColor"/>')
    if b.frac is not None:
        num, den = b.frac
        half = max(text_width(num, FONT), text_width(den, FONT)) / 2 + 2
        parts.append(f'<text class="dz-label dz-frac" x="{_num(b.cx)}" y="{_num(b.cy - 6)}" '
                     f'text-anchor="middle" fill="currentColor">{esc(num)}</text>')
        parts.append(f'<line class="dz-frac-bar" x1="{_num(b.cx - half)}" y1="{_num(b.cy)}" '
                     f'x2="{_num(b.cx + half)}" y2="{_num(b.cy)}" stroke="currentColor"/>')
        parts.append(f'<text class="dz-label dz-frac" x="{_num(b.cx)}" y="{_num(b.cy + 17)}" '
                     f'text-anchor="middle" fill="currentColor">{esc(den)}</text>')
    else:
        sizes = [FONT if "dz-label" in c else SMALL for c, _ in b.lines]
        total = sum(sizes) + 4 * (len(sizes) - 1)
        y = b.cy - total / 2
        for (cls, text), size in zip(b.lines, sizes):
            y += size
            # baseline a little above the line box's bottom: descenders fit, caps look centred
            parts.append(f'<text class="{cls}" x="{_num(b.cx)}" y="{_num(y - size * 0.2)}" '
                         f'text-anchor="middle" fill="currentColor">{esc(text)}</text>')
            y += 4
    if b.note:
        parts.append(f'<text class="dz-small dz-value" x="{_num(b.cx)}" y="{_num(b.cy + b.h / 2 + 15)}" '
                     f'text-anchor="middle" fill="currentColor">{esc(b.note)}</text>')
    parts.append("</g>")
    return "".join(parts)


def graph_svg_body(graph: Graph, view: str) -> tuple[str, float, float]:
    boxes = _boxes(graph, view)
    width, height = _layout(graph, boxes)
    all_boxes = list(boxes.values())
    edges = []
    for s, t in graph.edges:
        if view == "backward":  # gradients flow against the data: from y back to x
            src, dst, cls = t, s, "dz-edge dz-grad"
        else:
            src, dst, cls = s, t, "dz-edge"
        edges.append(f'<g class="dz-arrow" data-from="{src}" data-to="{dst}">'
                     + _edge_svg(boxes[src], boxes[dst], all_boxes, cls) + "</g>")
    nodes = [_node_svg(boxes[n.id]) for n in graph.nodes]
    body = '<g class="dz-edges">' + "".join(edges) + '</g><g class="dz-nodes">' + "".join(nodes) + "</g>"
    return body, width, height


# --- the figure element --------------------------------------------------------------------


def figure_html(kind: str, fig_id: str, body: str, width: float, height: float, title: str,
                desc: str, caption: str) -> str:
    """`<figure>` with an accessible inline SVG; one line per element, no blank lines."""
    t_id, d_id = f"{fig_id}-title", f"{fig_id}-desc"
    return "\n".join([
        f'<figure class="dezero-figure dz-{kind}-figure" id="{fig_id}">',
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dz-svg" role="img" aria-labelledby="{t_id} {d_id}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" height="{_num(height)}" '
        f'font-size="{FONT}" data-search-exclude="">',
        f'<title id="{t_id}">{esc(title)}</title>',
        f'<desc id="{d_id}">{esc(desc)}</desc>',
        body,
        "</svg>",
        f"<figcaption>{esc(caption)}</figcaption>" if caption else "",
        "</figure>",
    ]).replace("\n\n", "\n")


def render_graph(graph: Graph, *, view: str = "forward", caption: str = "", lang: str = "ko",
                 fig_id: str = "dzfig") -> str:
    body, width, height = graph_svg_body(graph, view)
    desc = describe_graph(graph, view, lang)
    if lang == "ko":
        title = caption or ("역전파 계산 그래프" if view == "backward" else "계산 그래프")
    else:
        title = caption or ("Backward graph" if view == "backward" else "Computational graph")
    return figure_html("graph", fig_id, body, width, height, title, desc, caption)
