"""The graph model of a figure: the computational graph found by following `creator` back.

Part of the figure hook (hooks/figures.py): nodes and edges only, no drawing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def derivative_label(graph: Graph, fn: Node) -> str:
    args = ", ".join(n.label for n in graph.inputs_of(fn.id))
    return f"{fn.label}′({args})"
