"""Variable, Function and the first two functions, as built in steps 1–8."""

from __future__ import annotations

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
        """Fill in ``grad`` for every variable this one was computed from (step 8: a loop)."""
        if self.grad is None:
            self.grad = np.ones_like(self.data)

        funcs = [self.creator] if self.creator is not None else []
        while funcs:
            f = funcs.pop()
            x, y = f.input, f.output
            x.grad = f.backward(y.grad)
            if x.creator is not None:
                funcs.append(x.creator)

    def __repr__(self) -> str:
        return f"Variable({self.data!r})"


class Function:
    """Base class: ``__call__`` unboxes the input, calls ``forward`` and boxes the result."""

    def __call__(self, input: Variable) -> Variable:
        if not isinstance(input, Variable):
            raise TypeError(
                f"{type(self).__name__} takes a Variable, not {type(input)}; "
                f"wrap the value first, e.g. Variable(np.array(...))"
            )
        x = input.data
        y = self.forward(x)
        output = Variable(as_array(y))
        output.set_creator(self)
        self.input = input
        self.output = output
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


def numerical_diff(f: Callable[[Variable], Variable], x: Variable, eps: float = 1e-4):
    """Centered difference: (f(x + eps) - f(x - eps)) / (2 * eps)."""
    if not isinstance(x, Variable):
        raise TypeError(f"numerical_diff takes a Variable as x, not {type(x)}")
    x0 = Variable(as_array(x.data - eps))
    x1 = Variable(as_array(x.data + eps))
    y0 = f(x0)
    y1 = f(x1)
    return (y1.data - y0.data) / (2 * eps)
