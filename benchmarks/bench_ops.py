"""Per-op cost of dezero's forward + backward, against the step-8 package it replaced.

Run from the repository root (a benchmark, not a test: pytest never collects it):

    python benchmarks/bench_ops.py                   # 1,000-op chains on 0-d arrays, 200 rounds
    python benchmarks/bench_ops.py --rounds 500 --size 100
    python benchmarks/bench_ops.py --max-ratio 1.05  # exit 1 if a backward ratio is above 1.05

The reference is ``dezero/core.py`` as of commit 91190b1 (step 8 + ``as_array``; its
``numerical_diff`` left out), copied below. Each sample builds a chain of ``--ops`` functions
and calls ``backward`` on its end, timing both, with the cyclic garbage collector off (the
reference's graphs are reference cycles; the graph is released and collected between samples,
untimed). Reference and current run alternately in one process, the order flipping every
round, so drift in the machine's speed hits both alike. The table gives medians per op in
nanoseconds and the ratio current / reference, as a ratio of medians and, for the total, as
the median of the per-round ratios ("paired"). Below 1 the current package is faster.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import dezero  # noqa: E402  (the repository's package, not an installed one)

# The reference: dezero/core.py at commit 91190b1 (step 8 + as_array), copied verbatim up to
# numerical_diff, which is left out.
REFERENCE_SOURCE = '''
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
'''


def load_reference() -> types.ModuleType:
    """The reference source as a module of its own, so its globals resolve as dezero.core's do."""
    module = types.ModuleType("dezero_step8_reference")
    exec(compile(REFERENCE_SOURCE, "<step-8 reference>", "exec"), module.__dict__)
    return module


def chain(Variable, op, x0: np.ndarray, n: int) -> tuple[float, float]:
    """Seconds for one chain of n ops: (forward, backward). The chain is freed on return."""
    t0 = time.perf_counter()
    y = x = Variable(x0.copy())
    for _ in range(n):
        y = op(y)
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=1000, help="functions per chain (default 1000)")
    parser.add_argument("--rounds", type=int, default=200, help="alternating rounds (default 200)")
    parser.add_argument("--size", type=int, default=0, help="array length (default 0: a 0-d array)")
    parser.add_argument("--max-ratio", type=float, help="exit 1 if a backward ratio exceeds this")
    args = parser.parse_args()

    ref = load_reference()
    shape = () if args.size == 0 else (args.size,)
    # name: (reference op, current op, x). x = 1 keeps Square's chain at 1 (its grads reach
    # 2**ops, finite up to 1023 ops); Exp's chain overflows to inf, which costs no extra time.
    cases = {
        "Square()(x)": (lambda v: ref.Square()(v), lambda v: dezero.Square()(v), np.ones(shape)),
        "Exp()(x)": (lambda v: ref.Exp()(v), lambda v: dezero.Exp()(v), np.zeros(shape)),
        "square(x)": (lambda v: ref.Square()(v), dezero.square, np.ones(shape)),
    }
    print(f"dezero {dezero.__version__} against the step-8 reference; Python {sys.version.split()[0]}, "
          f"NumPy {np.__version__}; chains of {args.ops} ops on shape {shape}, {args.rounds} rounds")
    print(f"{'ns per op (median)':<18}{'forward':>17}{'backward':>21}{'forward+backward':>28}")
    print(f"{'':<12}" + "   ref   cur  ratio" * 2 + "   ref   cur  ratio paired")
    worst = 0.0
    for name, (ref_op, cur_op, x0) in cases.items():
        ops: dict[str, list[tuple[float, float]]] = {"ref": [], "cur": []}
        runs = [("ref", ref.Variable, ref_op), ("cur", dezero.Variable, cur_op)]
        with np.errstate(over="ignore", invalid="ignore"):
            for key, V, op in runs * 2:  # warm-up
                chain(V, op, x0, args.ops)
            for r in range(args.rounds):
                for key, V, op in runs if r % 2 == 0 else runs[::-1]:
                    gc.collect()
                    gc.disable()
                    ops[key].append(chain(V, op, x0, args.ops))
                    gc.enable()
        ns = 1e9 / args.ops
        med = statistics.median
        fwd = [med(t[0] for t in ops[k]) * ns for k in ("ref", "cur")]
        bwd = [med(t[1] for t in ops[k]) * ns for k in ("ref", "cur")]
        tot = [med(sum(t) for t in ops[k]) * ns for k in ("ref", "cur")]
        tot_paired = med(sum(c) / sum(r) for r, c in zip(ops["ref"], ops["cur"]))
        worst = max(worst, bwd[1] / bwd[0])
        row = f"{name:<12}"
        for a, b in (fwd, bwd):
            row += f"{a:>6.0f}{b:>6.0f}{b / a:>7.3f}"
        row += f"{tot[0]:>6.0f}{tot[1]:>6.0f}{tot[1] / tot[0]:>7.3f}{tot_paired:>7.3f}"
        print(row)
    if args.max_ratio is not None and worst > args.max_ratio:
        print(f"FAIL: backward ratio {worst:.3f} exceeds --max-ratio {args.max_ratio}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
