"""DeZero, steps 1–10: a tiny define-by-run autograd core.

The package is where the book arrives at the end of step 10 (Stage 1), with clear errors for
bad input. ``square(x)`` and ``exp(x)`` make a fresh ``Square`` / ``Exp`` node per call.
"""

from dezero.core import Exp, Function, Square, Variable, as_array, exp, numerical_diff, square

__all__ = ["Variable", "Function", "Square", "Exp", "square", "exp", "numerical_diff", "as_array"]
__version__ = "0.10.0"
