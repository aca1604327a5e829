"""Figures drawn at build time from live objects: `dezero-graph` and `dezero-plot` fences.

A `dezero-graph` fence holds ordinary dezero code. The hook runs it (in a fresh namespace, so the
fence is self-contained), takes the variable named by `output` (default `y`) and draws the
computational graph by following `creator`, `input`/`inputs` and `output`/`outputs` back from it.
Nodes are labelled with the names the objects have in the fence's namespace.

A `dezero-plot` fence runs after the page's preceding Python blocks, in the same session as the
doc-test harness runs them, and draws `ys` against `x` on log–log axes.

Both become an inline `<figure>` holding a hand-written `<svg role="img">` with a `<title>`,
a `<desc>` (a text alternative in the page's language) and a `<figcaption>`. The Markdown only
gets a placeholder paragraph where the fence was (so the figure also works inside admonitions,
tabs and lists, where raw HTML blocks are not recognised); the finished HTML replaces that
placeholder in `on_page_content`. Output is deterministic: ids come from the page and the
fence's position, numbers are formatted with fixed precision.

Styles live in `docs/assets/figures.css` (Material's CSS variables, so light and dark both work).
"""

from __future__ import annotations

import hashlib
import html
import math
import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import blocks  # hooks/ is on sys.path while MkDocs loads this module, and for pytest

try:
    from mkdocs.exceptions import PluginError
except ImportError:  # pragma: no cover - mkdocs is always there in this project
    class PluginError(Exception):  # type: ignore[no-redef]
        pass


ROOT = Path(__file__).resolve().parents[1]

# --- the graph model ---------------------------------------------------------------------


@dataclass
class Node:
    id: str  # "v0", "f0", ... (variables and functions numbered separately, in data-flow order)
    kind: str  # "variable" or "function"
    label: str  # the object's name in the fence's namespace (or a fallback)
    cls: str  # the object's class name, e.g. "Variable", "Square"
    named: bool  # whether `label` is a real name from the namespace
    value: str | None = None  # variables: the value of `grad`, formatted, if it has one


@dataclass
class Graph:
    nodes: list[Node]  # in data-flow order: every node comes after the nodes it depends on
    edges: list[tuple[str, str]]  # (source id, target id) in data-flow direction
    output: str  # id of the variable the graph was drawn from

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    @property
    def variables(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "variable"]

    @property
    def functions(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "function"]

    def inputs_of(self, node_id: str) -> list[Node]:
        return [self.node(s) for s, t in self.edges if t == node_id]

    def outputs_of(self, node_id: str) -> list[Node]:
        return [self.node(t) for s, t in self.edges if s == node_id]


def _deref(obj: Any) -> Any:
    """Later DeZero keeps a function's outputs as weak references; accept both."""
    if obj is not None and not hasattr(obj, "creator") and callable(obj):
        try:
            return obj()
        except TypeError:
            return obj
    return obj


def _function_inputs(f: Any) -> list[Any]:
    if getattr(f, "inputs", None) is not None:
        return [_deref(x) for x in f.inputs]
    if getattr(f, "input", None) is not None:
        return [_deref(f.input)]
    return []


def _function_outputs(f: Any) -> list[Any]:
    if getattr(f, "outputs", None) is not None:
        return [o for o in (_deref(x) for x in f.outputs) if o is not None]
    if getattr(f, "output", None) is not None:
        return [_deref(f.output)]
    return []


def _format_value(value: Any) -> str | None:
    """A short, fixed-format rendering of a scalar grad (None for arrays or no value)."""
    if value is None:
        return None
    try:
        import numpy as np

        arr = np.asarray(value)
        if arr.size != 1 or not np.issubdtype(arr.dtype, np.number):
            return None
        v = float(arr.reshape(()))
    except Exception:
        return None
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.4g}"


def extract_graph(output: Any, namespace: dict | None = None) -> Graph:
    """The computational graph that produced `output`, found by following `creator` back.

    Variables are anything with a `creator` attribute; a function's inputs are `inputs` (a list)
    or `input`, its outputs `outputs` or `output`. Labels are the first name each object has in
    `namespace` (insertion order); functions without a name fall back to their class name.
    """
    namespace = namespace or {}
    if not hasattr(output, "creator"):
        raise TypeError(f"{type(output).__name__} is not a Variable (it has no creator attribute)")
    names: dict[int, str] = {}
    for name, value in namespace.items():
        if name.startswith("_"):
            continue
        names.setdefault(id(value), name)

    # Walk back from the output, breadth first, remembering every object once.
    objects: dict[int, Any] = {id(output): output}
    kinds: dict[int, str] = {id(output): "variable"}
    edges: list[tuple[int, int]] = []
    queue = [output]
    while queue:
        obj = queue.pop(0)
        if kinds[id(obj)] == "variable":
            f = getattr(obj, "creator", None)
            if f is None:
                continue
            pending = [(f, "function")]
            edges.append((id(f), id(obj)))
        else:
            pending = []
            for x in _function_inputs(obj):
                edges.append((id(x), id(obj)))
                pending.append((x, "variable"))
            for o in _function_outputs(obj):  # sibling outputs of a multi-output function
                if (id(obj), id(o)) not in edges:
                    edges.append((id(obj), id(o)))
                    pending.append((o, "variable"))
        for nxt, kind in pending:
            if id(nxt) not in objects:
                objects[id(nxt)] = nxt
                kinds[id(nxt)] = kind
                queue.append(nxt)
    edges = list(dict.fromkeys(edges))

    # Data-flow order: a topological sort, ties broken by reverse discovery order so that a
    # chain comes out as x, A, a, B, b, ...
    discovered = list(objects)
    preds: dict[int, list[int]] = {k: [] for k in objects}
    for s, t in edges:
        preds[t].append(s)
    order: list[int] = []
    done: set[int] = set()

    def visit(k: int, trail: set[int]) -> None:
        if k in done or k in trail:
            return
        trail.add(k)
        for p in sorted(preds[k], key=discovered.index, reverse=True):
            visit(p, trail)
        trail.discard(k)
        done.add(k)
        order.append(k)

    visit(id(output), set())
    for k in discovered:  # sibling outputs not upstream of the output
        visit(k, set())

    used = set(names.values())
    ids: dict[int, str] = {}
    nodes: list[Node] = []
    counters = {"variable": 0, "function": 0}
    auto = 0
    for k in order:
        obj, kind = objects[k], kinds[k]
        cls = type(obj).__name__
        name = names.get(k)
        if name is None and kind == "variable":
            auto += 1
            while f"v{auto}" in used:
                auto += 1
            label = f"v{auto}"
        else:
            label = name or cls
        prefix = "v" if kind == "variable" else "f"
        ids[k] = f"{prefix}{counters[kind]}"
        counters[kind] += 1
        value = _format_value(getattr(obj, "grad", None)) if kind == "variable" else None
        nodes.append(Node(ids[k], kind, label, cls, name is not None, value))
    return Graph(nodes, [(ids[s], ids[t]) for s, t in edges], ids[id(output)])


# --- text helpers --------------------------------------------------------------------------


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def _num(v: float) -> str:
    """Fixed formatting for coordinates: one decimal, no '-0'."""
    s = f"{v:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def text_width(text: str, size: float) -> float:
    """A generous estimate of the rendered width (the real fonts are the reader's)."""
    w = 0.0
    for ch in text:
        if ord(ch) >= 0x1100 and (0xAC00 <= ord(ch) <= 0xD7A3 or 0x1100 <= ord(ch) <= 0x11FF
                                  or 0x3000 <= ord(ch) <= 0x9FFF):
            w += 1.0
        elif ch in "ilj.,:;'|!′ ":
            w += 0.34
        elif ch in "mwMW":
            w += 0.86
        elif ch.isupper() or ch.isdigit():
            w += 0.66
        else:
            w += 0.55
    return w * size


_KO_LETTERS = {  # how a Korean reader says a Latin letter: does the reading end in a consonant?
    "l": True, "m": True, "n": True, "r": False,
}
_KO_DIGITS = {"0": True, "1": True, "2": False, "3": True, "4": False, "5": False,
              "6": True, "7": True, "8": True, "9": False}


# How Korean readers say the class names of dezero functions: does the reading end in a consonant?
_KO_WORDS = {"square": False, "exp": False, "add": False, "sub": False, "mul": True, "div": False,
             "neg": False, "pow": False, "sin": True, "cos": True, "tanh": False, "log": False,
             "function": True, "variable": False}


def _has_batchim(text: str) -> bool | None:
    """Whether the Korean reading of `text`'s last word ends in a consonant (None: cannot tell)."""
    word = re.split(r"[\s,]+", text.strip())[-1]
    if word.endswith(")") and "(" in word:
        head, _, arg = word[:-1].rpartition("(")
        # C′(b) is read "C prime b"; A(Square) is A with a gloss, read "A"
        word = arg.split(",")[-1].strip() if head.endswith(("′", "'")) else head
    word = word.rstrip("′'")
    if not word:
        return None
    last = word[-1]
    if 0xAC00 <= ord(last) <= 0xD7A3:
        return (ord(last) - 0xAC00) % 28 != 0
    if last in _KO_DIGITS:
        return _KO_DIGITS[last]
    if word.lower() in _KO_WORDS:
        return _KO_WORDS[word.lower()]
    letters = word.split("/")[-1].strip("0123456789_")
    if last.isascii() and last.isalpha() and len(letters) <= 2:
        return _KO_LETTERS.get(last.lower(), False)  # read letter by letter: x 엑스, y 와이 ...
    return None


def josa(word: str, pair: str) -> str:
    """`word` with the right Korean particle: pair is "이/가", "을/를", "은/는" or "과/와"."""
    after_consonant, after_vowel = pair.split("/")
    b = _has_batchim(word)
    if b is None:
        return f"{word}{after_consonant}({after_vowel})"
    return word + (after_consonant if b else after_vowel)


# --- drawing the graph ---------------------------------------------------------------------

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


def derivative_label(graph: Graph, fn: Node) -> str:
    args = ", ".join(n.label for n in graph.inputs_of(fn.id))
    return f"{fn.label}′({args})"


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


def _segment_hits_box(x1: float, y1: float, x2: float, y2: float, b: _Box) -> bool:
    steps = 24
    for i in range(1, steps):
        t = i / steps
        x, y = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
        if abs(x - b.cx) < b.w / 2 and abs(y - b.cy) < b.h / 2:
            return True
    return False


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


# --- text alternatives ---------------------------------------------------------------------


def _fn_ko(fn: Node) -> str:
    return f"{fn.label}({fn.cls})" if fn.named and fn.label != fn.cls else fn.label


def _fn_en(fn: Node) -> str:
    return f"{fn.label} ({fn.cls})" if fn.named and fn.label != fn.cls else fn.label


def _steps(graph: Graph) -> list[tuple[list[Node], Node, list[Node]]]:
    return [(graph.inputs_of(f.id), f, graph.outputs_of(f.id)) for f in graph.functions]


def describe_graph(graph: Graph, view: str, lang: str) -> str:
    """A text alternative for screen readers, in the page's language."""
    ko = lang == "ko"
    steps = _steps(graph)
    out = graph.node(graph.output)
    if view == "backward":
        return _describe_backward(graph, steps, out, ko)
    if not steps:
        return (f"계산 그래프: 변수 {out.label} 하나뿐이고, 이 변수를 만든 함수는 없습니다."
                if ko else f"Computational graph: just the variable {out.label}; no function created it.")
    seen: set[str] = set()
    clauses = []
    for ins, f, outs in steps:
        def var(n: Node) -> str:
            if n.id in seen:
                return n.label
            seen.add(n.id)
            return ("변수 " if ko else "variable ") + n.label
        in_text = ", ".join(var(n) for n in ins)
        out_text = ", ".join(n.label for n in outs)
        for n in outs:
            seen.add(n.id)
        if ko:
            clauses.append(f"{josa(in_text, '이/가')} 함수 {josa(_fn_ko(f), '을/를')} 거쳐 {josa(out_text, '이/가')}")
        else:
            clauses.append(f"{in_text} goes through function {_fn_en(f)} to {out_text}")
    if ko:
        return "계산 그래프: " + ", ".join(c + " 되고" for c in clauses[:-1]) + \
            (", " if len(clauses) > 1 else "") + clauses[-1] + " 됩니다."
    if len(clauses) == 1:
        return f"Computational graph: {clauses[0]}."
    return "Computational graph: " + ", ".join(clauses[:-1]) + ", and " + clauses[-1] + "."


def _grad_text(n: Node, out: Node, ko: bool) -> str:
    d = f"d{out.label}/d{n.label}"
    if n.value is None:
        return d
    return f"{d} = {n.value}"


def _describe_backward(graph: Graph, steps, out: Node, ko: bool) -> str:
    start = _grad_text(out, out, ko)
    if not steps:
        return (f"역전파 계산 그래프: {start} 하나뿐입니다." if ko
                else f"Backward graph: just {start}.")
    clauses = []
    for ins, f, outs in reversed(steps):
        deriv = derivative_label(graph, f)
        targets = ", ".join(_grad_text(n, out, ko) for n in ins)
        if ko:
            what = f"함수 {_fn_ko(f)}의 도함수 {deriv}"
            clauses.append(f"{josa(what, '을/를')} 곱해 {josa(targets, '을/를')} 구하고")
        else:
            clauses.append(f"multiplying by {deriv}, the derivative of {_fn_en(f)}, gives {targets}")
    if ko:
        text = f"역전파 계산 그래프: 기울기가 출력 {out.label}에서 입력 쪽으로 거꾸로 흐릅니다. " \
               f"{start}에서 출발해, " + ", ".join(clauses)
        return text[: -len("구하고")] + "구합니다."
    body = ", ".join(clauses[:-1]) + (", and " if len(clauses) > 1 else "") + clauses[-1]
    return (f"Backward graph: gradients flow from the output {out.label} back towards the input. "
            f"Starting from {start}, {body}.")


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


# --- running fences ------------------------------------------------------------------------

# graph fence code -> its graph. The same fence appears on the ko and the en page, and
# `mkdocs serve` rebuilds often; the code imports dezero, which Python caches anyway.
_cache: dict[tuple, Graph] = {}


class FigureError(Exception):
    pass


def _failure(run: blocks.Run, where_file: str) -> str:
    """The exception's final line, plus the page line where it happened if it was in the fence."""
    msg = run.error_line or repr(run.error)
    line = None
    for frame in traceback.extract_tb(run.error.__traceback__):
        if frame.filename == where_file:
            line = frame.lineno
    return msg + (f" (raised at line {line})" if line is not None else "")


def _run_graph(block: blocks.Block, where: str) -> tuple[Graph, str]:
    view = block.attrs.get("view", "forward")
    if view not in ("forward", "backward"):
        raise FigureError(f'view="{view}" is not supported; use view="forward" or view="backward"')
    output = block.attrs.get("output", "y")
    key = ("graph", block.code, output)
    if key not in _cache:
        ns = blocks.new_session()
        run = blocks.run_block(block.code, ns, where, block.line + 1)
        if run.error is not None:
            raise FigureError(f"the figure code raised {_failure(run, where)}")
        if output not in ns:
            raise FigureError(f'the figure code does not define `{output}`, the variable to draw the '
                              f'graph from (name another with output="...")')
        try:
            _cache[key] = extract_graph(ns[output], ns)
        except TypeError as exc:
            raise FigureError(f"`{output}` cannot be drawn: {exc}") from None
    return _cache[key], view


def _run_plot(block: blocks.Block, where: str, ns: dict, earlier_errors: list[str]) -> list[Series]:
    legend_attr = block.attrs.get("legend")
    ns = dict(ns)  # the plot sees the page's names, but what it assigns stays out of the session
    run = blocks.run_block(block.code, ns, where, block.line + 1)
    hint = ("; earlier blocks on the page raised: " + "; ".join(earlier_errors)) if earlier_errors else ""
    if run.error is not None:
        raise FigureError(f"the plot code raised {_failure(run, where)}{hint}")
    for name in ("x", "ys"):
        if name not in ns:
            raise FigureError(f"the plot code does not define `{name}` (it needs `x`, a 1-D array, and "
                              f"`ys`, a list of 1-D arrays){hint}")
    import numpy as np

    x = np.asarray(ns["x"], dtype=float)
    ys = ns["ys"]
    if x.ndim != 1:
        raise FigureError(f"`x` must be 1-D, not of shape {x.shape}")
    if isinstance(ys, np.ndarray) and ys.ndim == 1:
        raise FigureError("`ys` must be a list of 1-D arrays, one per legend entry")
    ys = [np.asarray(y, dtype=float) for y in ys]
    legend = [s.strip() for s in legend_attr.split(",")] if legend_attr else \
        [f"y{i}" for i in range(len(ys))]
    if len(legend) != len(ys):
        raise FigureError(f"`ys` has {len(ys)} series but legend= names {len(legend)}")
    for i, y in enumerate(ys):
        if y.shape != x.shape:
            raise FigureError(f"series {i + 1} ({legend[i]}) has shape {y.shape}, `x` has {x.shape}")
    series = make_series(x, ys, legend)
    if not any(s.points for s in series if not s.guide):
        raise FigureError("no positive values to draw on log–log axes")
    return series


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


@dataclass
class Processed:
    markdown: str
    figures: dict[str, str] = field(default_factory=dict)  # placeholder -> figure HTML


def placeholder(stem: str, index: int) -> str:
    digest = hashlib.sha1(f"{stem}:{index}".encode()).hexdigest()[:10]
    return f"DEZEROFIGURE{index:03d}X{digest}"


def process_markdown(markdown: str, *, where: str, lang: str, stem: str,
                     source: blocks.Page | None = None, source_text: str | None = None) -> Processed:
    """Replace every figure fence in `markdown` with a placeholder paragraph and build its HTML.

    `where` names the page in error messages (`docs/step03.ko.md`); `source` is the page as read
    from its file, `source_text` that file's text (line numbers for messages, the Python blocks a
    plot runs after); by default both are `markdown` itself.
    """
    lines = markdown.split("\n")
    src_figs = [b for b in source.blocks if b.kind in ("graph", "plot")] if source else []
    src_lines = source_text.split("\n") if source_text is not None else None
    if source and src_lines and all(lines[b.line - 1:b.end_line] == src_lines[b.line - 1:b.end_line]
                                    for b in src_figs):
        cur_figs = src_figs  # the fences are where the file has them: no need to parse again
    else:
        current = blocks.parse_page(markdown, where)
        cur_figs = [b for b in current.blocks if b.kind in ("graph", "plot")]
        if source is None or len(src_figs) != len(cur_figs):  # changed by another hook: use ours
            source, src_figs = current, cur_figs
    if not cur_figs:
        return Processed(markdown)

    session: dict | None = None  # the page's session, created by the first plot
    pending = list(source.python_blocks)
    earlier_errors: list[str] = []
    figures: dict[str, str] = {}
    replacements = []
    for index, (cur, blk) in enumerate(zip(cur_figs, src_figs), start=1):
        fig_id = f"dzfig-{_slug(stem)}-{index}"
        caption = blk.attrs.get("caption", "")
        try:
            if blk.kind == "graph":
                graph, view = _run_graph(blk, where)
                figure = render_graph(graph, view=view, caption=caption, lang=lang, fig_id=fig_id)
            else:
                if session is None:
                    session = blocks.new_session()
                while pending and pending[0].line < blk.line:
                    b = pending.pop(0)
                    run = blocks.run_page_block(b, session, where)
                    shown = blocks.normalize(b.output.code) if b.output else []
                    if run.error is not None and shown[-1:] != [run.error_line]:  # not on purpose
                        earlier_errors.append(f"line {b.line}: {run.error_line}")
                series = _run_plot(blk, where, session, earlier_errors)
                xr = blk.attrs.get("xlabel", "x")
                yr = blk.attrs.get("ylabel", "y")
                figure = render_plot_series(series, xlabel=xr, ylabel=yr, caption=caption, lang=lang,
                                            fig_id=fig_id)
        except FigureError as exc:
            raise PluginError(f"{where}:{blk.line}: dezero-{blk.kind} figure: {exc}") from None
        token = placeholder(stem, index)
        figures[token] = figure
        indent = re.match(r"[ \t]*", lines[cur.line - 1]).group(0)
        replacements.append((cur.line - 1, cur.end_line, ["", indent + token, ""]))
    for start, end, new in reversed(replacements):
        lines[start:end] = new
    return Processed("\n".join(lines), figures)


# --- MkDocs hooks --------------------------------------------------------------------------


def page_language(page: Any, config: Any = None) -> str:
    """"ko" or "en": the i18n plugin's locale, else the `.ko.md`/`.en.md` suffix, else the theme."""
    file = getattr(page, "file", None)
    locale = getattr(file, "locale", None)
    if isinstance(locale, str) and locale:
        return locale.split("_")[0].split("-")[0]
    name = Path(getattr(file, "src_uri", "") or "").name
    parts = name.split(".")
    if len(parts) >= 3 and len(parts[-2]) == 2:
        return parts[-2]
    try:
        return str(config["theme"]["language"]).split("_")[0]
    except Exception:
        return "en"


def _page_where(page: Any, config: Any) -> str:
    abs_src = getattr(page.file, "abs_src_path", None)
    if abs_src:
        root = Path(config.config_file_path).resolve().parent if getattr(config, "config_file_path", None) else ROOT
        try:
            return Path(abs_src).resolve().relative_to(root).as_posix()
        except ValueError:
            return str(abs_src)
    return page.file.src_uri


def on_config(config, **kwargs):
    # The fences import `dezero`; make the project's own package importable when it is not installed.
    root = str(Path(config.config_file_path).resolve().parent) if config.config_file_path else str(ROOT)
    if root not in sys.path:
        sys.path.append(root)
    return config


def on_page_markdown(markdown, page, config, files, **kwargs):
    if "dezero-graph" not in markdown and "dezero-plot" not in markdown:
        return markdown
    where = _page_where(page, config)
    source = source_text = None
    abs_src = getattr(page.file, "abs_src_path", None)
    if abs_src and os.path.exists(abs_src):
        source = blocks.read_page(abs_src)  # cached: the other hooks read the same pages
        source = blocks.Page(Path(where), source.blocks, source.orphan_outputs)
        source_text = Path(abs_src).read_text("utf8")
    stem = Path(page.file.src_uri).name.split(".")[0]
    result = process_markdown(markdown, where=where, lang=page_language(page, config), stem=stem,
                              source=source, source_text=source_text)
    page.dezero_figures = result.figures
    return result.markdown


def insert_figures(html_text: str, figures: dict[str, str]) -> str:
    """Put each figure where Markdown rendered its placeholder (a paragraph of its own)."""
    for token, figure in figures.items():
        wrapped = f"<p>{token}</p>"
        if wrapped in html_text:
            html_text = html_text.replace(wrapped, figure)
        elif token in html_text:  # e.g. in a tight list item
            html_text = html_text.replace(token, figure)
        else:
            raise LookupError(token)
    return html_text


def on_page_content(html_text, page, config, files, **kwargs):
    figures = getattr(page, "dezero_figures", None)
    if not figures:
        return html_text
    try:
        html_text = insert_figures(html_text, figures)
    except LookupError as exc:
        raise PluginError(f"{_page_where(page, config)}: the placeholder {exc} of a figure "
                          f"disappeared from the rendered page") from None
    page.dezero_figures = None
    return html_text
