"""DeZero, steps 1–8: a tiny define-by-run autograd core.

The package is where the book arrives at step 8, with clear errors for bad input.
"""

from dezero.core import Exp, Function, Square, Variable, numerical_diff

__all__ = ["Variable", "Function", "Square", "Exp", "numerical_diff"]
__version__ = "0.8.0"
