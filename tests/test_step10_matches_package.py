"""The step-8 chapter's complete program and the dezero package are the same algorithm.

If either drifts (a renamed method, a different result, a recursive backward) this fails.
The package adds input checks and a default seed gradient; everything else must agree.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import numpy as np
import pytest

import blocks
import dezero

DOCS = Path(__file__).resolve().parents[1] / "docs"
CLASSES = ("Variable", "Function", "Square", "Exp")


def public_api(cls) -> dict[str, list[str]]:
    """Methods a user calls, with their parameter names."""
    return {
        name: list(inspect.signature(member).parameters)
        for name, member in vars(cls).items()
        if callable(member) and (not name.startswith("_") or name in ("__init__", "__call__"))
    }


@pytest.fixture(scope="module", params=["ko", "en"])
def program(request):
    page = blocks.read_page(DOCS / f"step08.{request.param}.md")
    block = next(b for b in page.python_blocks if b.standalone)
    namespace = blocks.new_session()
    run = blocks.run_block(block.code, namespace, str(page.path), block.line + 1)
    assert run.error is None, run.error_line
    assert "3.297442541400256" in run.stdout.split("\n")
    return namespace


@pytest.mark.parametrize("name", CLASSES)
def test_same_classes_and_methods(program, name):
    assert public_api(program[name]) == public_api(getattr(dezero, name))


def forward_backward(ns, x0: float):
    A, B, C = ns["Square"](), ns["Exp"](), ns["Square"]()
    x = ns["Variable"](np.array(x0))
    a = A(x)
    b = B(a)
    y = C(b)
    y.grad = np.array(1.0)
    y.backward()
    return y, (x, a, b), (A, B, C)


@pytest.mark.parametrize("x0", [0.5, -0.3, 0.0, 0.9])
def test_same_results(program, x0):
    y1, vars1, funcs1 = forward_backward(program, x0)
    y2, vars2, funcs2 = forward_backward(vars(dezero), x0)
    assert y1.data == y2.data
    for v1, v2 in zip(vars1, vars2):
        assert v1.grad == v2.grad and v1.data == v2.data
    for f1, f2 in zip(funcs1, funcs2):  # the links the graph is walked by
        assert f1.input.data == f2.input.data and f1.output.data == f2.output.data
    assert y1.creator is funcs1[2] and y2.creator is funcs2[2]


def test_both_backwards_are_loops_not_recursion(program):
    for ns in (program, vars(dezero)):
        x = ns["Variable"](np.array(1.0))
        y = x
        for _ in range(5 * sys.getrecursionlimit()):
            y = ns["Square"]()(y)
        y.grad = np.array(1.0)
        with np.errstate(over="ignore"):
            y.backward()  # a recursive backward raises RecursionError here
        assert x.grad is not None
