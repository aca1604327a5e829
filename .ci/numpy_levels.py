"""NumPy CPU-dispatch levels for the doc-test matrix, read from the installed NumPy itself.

NumPy picks SIMD code by CPU, and `NPY_DISABLE_CPU_FEATURES` switches dispatch targets off. The
feature names come from the same tables `numpy.show_runtime()` prints (`__cpu_dispatch__`,
`__cpu_features__`), never from a hard-coded list, since they change between NumPy versions
(1.x: AVX2, AVX512F, AVX512_SKX, ...; 2.4: X86_V3, X86_V4, AVX512_ICL, ...).

    python .ci/numpy_levels.py list
        One line per level, `name<TAB>features to disable`: `best` (nothing off), `no-avx512`
        (every found target from the first AVX-512 one up), `baseline` (every found target off,
        so AVX2/FMA3 too). A level identical to the one before it is printed as `name<TAB>=`.

    NPY_DISABLE_CPU_FEATURES="..." python .ci/numpy_levels.py check
        Exits non-zero unless NumPy really applied the setting: every named feature reports off,
        and `exp` on float64 no longer dispatches to any of them. NumPy ignores unknown names and
        features it does not dispatch on, so a typo would otherwise pass silently.
"""

from __future__ import annotations

import os
import sys

import numpy as np

try:  # NumPy 2
    from numpy._core import _multiarray_umath as _umath
except ImportError:  # NumPy 1
    from numpy.core import _multiarray_umath as _umath


def found() -> list[str]:
    """Dispatch targets this CPU supports, lowest first (show_runtime's 'found')."""
    features = _umath.__cpu_features__
    return [name for name in _umath.__cpu_dispatch__ if features.get(name)]


def _is_avx512(name: str) -> bool:
    return "AVX512" in name or name == "X86_V4"


def levels() -> list[tuple[str, list[str]]]:
    targets = found()
    first_512 = next((i for i, name in enumerate(targets) if _is_avx512(name)), len(targets))
    return [("best", []), ("no-avx512", targets[first_512:]), ("baseline", targets)]


def _exp_target() -> str | None:
    """The target float64 `exp` runs on now, where NumPy can say (2.x); None otherwise."""
    try:
        from numpy.lib import introspect
    except ImportError:
        return None
    info = introspect.opt_func_info(func_name="^exp$", signature="float64")
    for signatures in info.values():
        for entry in signatures.values():
            return entry["current"]
    return None


def check() -> int:
    disabled = os.environ.get("NPY_DISABLE_CPU_FEATURES", "").replace(",", " ").split()
    features = _umath.__cpu_features__
    problems = [f"{name}: NumPy does not know this feature" for name in disabled if name not in features]
    problems += [f"{name}: still on (NumPy ignored the setting)" for name in disabled if features.get(name)]
    target = _exp_target()
    if target is not None and target in disabled:
        problems.append(f"exp(float64) still dispatches to {target}")
    print(f"NumPy {np.__version__}; disabled: {' '.join(disabled) or '(none)'}; "
          f"dispatch targets on: {' '.join(found()) or '(baseline only)'}; exp(float64) runs on: {target or 'n/a'}")
    for problem in problems:
        print(f"  dispatch setting not applied: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if argv == ["list"]:
        previous = None
        for name, off in levels():
            print(f"{name}\t{'=' if off == previous else ' '.join(off)}")
            previous = off
        return 0
    if argv == ["check"]:
        return check()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
