"""Variable, Function, Square and Exp, and the helpers of steps 1–10."""

from __future__ import annotations

import math
import numbers
import weakref
from typing import Callable

import numpy as np


def as_array(x) -> np.ndarray:
    """Turn a NumPy scalar (what ``x ** 2`` gives on a 0-d array) back into a 0-d ndarray."""
    if np.isscalar(x):
        return np.array(x)
    return x


class Variable:
    """A box for an ndarray that remembers the function that made it."""

    def __init__(self, data: np.ndarray | None) -> None:
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError(
                f"{type(data)} is not supported: Variable data must be a numpy.ndarray "
                f"(wrap the value first, e.g. Variable(np.array(1.0)))"
            )
        self.data = data
        self.grad: np.ndarray | None = None
        self.creator: Function | None = None

    def set_creator(self, func: Function) -> None:
        self.creator = func

    def backward(self) -> None:
        """Fill in ``grad`` for every variable this one was computed from (a loop, not recursion)."""
        if self.grad is None:
            self.grad = np.ones_like(self.data)

        # walk the chain from this variable back to its start: each function's output is the
        # variable we stand on (the function itself holds it only weakly)
        y = self
        while y.creator is not None:
            f = y.creator
            x = f.input
            x.grad = f.backward(y.grad)
            y = x

    def __repr__(self) -> str:
        return f"Variable({self.data!r})"


class Function:
    """Base class: ``__call__`` unboxes the input, calls ``forward`` and boxes the result.

    An instance is one node of one graph. It keeps its output by weak reference, so it can be
    called again only once nothing uses its previous output any more.
    """

    output: weakref.ref[Variable] | None = None

    def __call__(self, input: Variable) -> Variable:
        if not isinstance(input, Variable):
            raise TypeError(
                f"{type(self).__name__} takes a Variable, not {type(input)}; "
                f"wrap the value first, e.g. Variable(np.array(...))"
            )
        if self.output is not None and self.output() is not None:
            name = type(self).__name__
            raise RuntimeError(
                f"this {name} instance is already a node of a graph (its output is still in use); "
                f"create a new one, {name}(), for each call"
            )
        x = input.data
        y = self.forward(x)
        output = Variable(as_array(y))
        output.set_creator(self)
        self.input = input
        self.output = weakref.ref(output)
        return output

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define forward(x)")

    def backward(self, gy: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define backward(gy)")


class Square(Function):
    """y = x ** 2, so dy/dx = 2x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x**2

    def backward(self, gy: np.ndarray) -> np.ndarray:
        x = self.input.data
        gx = 2 * x * gy
        return gx


class Exp(Function):
    """y = e ** x, so dy/dx = e ** x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def backward(self, gy: np.ndarray) -> np.ndarray:
        x = self.input.data
        gx = np.exp(x) * gy
        return gx


def square(x: Variable) -> Variable:
    """x ** 2 with a fresh ``Square`` node (step 9)."""
    return Square()(x)


def exp(x: Variable) -> Variable:
    """e ** x with a fresh ``Exp`` node (step 9)."""
    return Exp()(x)


def numerical_diff(f: Callable[[Variable], Variable], x: Variable, eps: float = 1e-4):
    """Centered difference: (f(x + eps) - f(x - eps)) / (2 * eps)."""
    if not callable(f):
        raise TypeError(f"numerical_diff takes a function as f (e.g. Square() or square), not {type(f)}")
    if not isinstance(x, Variable):
        raise TypeError(f"numerical_diff takes a Variable as x, not {type(x)}")
    if x.data is None:
        raise ValueError("numerical_diff needs x to hold data, but x.data is None")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"numerical_diff takes a real number as eps (e.g. 1e-4), not {type(eps)}")
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"numerical_diff needs eps to be positive and finite, not {eps!r}")
    x0 = Variable(as_array(x.data - eps))
    x1 = Variable(as_array(x.data + eps))
    y0 = _value_of(f, x0)  # only the data: f may be one Function instance, called once more next
    y1 = _value_of(f, x1)
    return (y1 - y0) / (2 * eps)


def _value_of(f: Callable[[Variable], Variable], x: Variable) -> np.ndarray:
    y = f(x)
    if not isinstance(y, Variable):
        raise TypeError(f"numerical_diff needs f to return a Variable, but f returned {type(y)}")
    return y.data
