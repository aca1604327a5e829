"""Step 10's complete program and the dezero package are the same algorithm.

If either drifts (a renamed method, a different result, a recursive backward, a missing input
check) this fails. The package adds clearer error messages, keeps a function's output by weak
reference (so a reused instance raises) and checks numerical_diff's arguments; everything else
must agree. It also runs the two command lines step 10 shows and compares their output with
the page (only the time in "Ran 3 tests in 0.001s" may differ).
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import blocks
import dezero

DOCS = Path(__file__).resolve().parents[1] / "docs"
CLASSES = ("Variable", "Function", "Square", "Exp")
FUNCTIONS = ("square", "exp", "as_array", "numerical_diff")
LANGS = ("ko", "en")

REPORT = """\
test_backward (__main__.SquareTest.test_backward) ... ok
test_forward (__main__.SquareTest.test_forward) ... ok
test_gradient_check (__main__.SquareTest.test_gradient_check) ... ok

----------------------------------------------------------------------
Ran 3 tests

OK"""


def standalone(lang: str) -> blocks.Block:
    page = blocks.read_page(DOCS / f"step10.{lang}.md")
    found = [b for b in page.python_blocks if b.standalone]
    assert len(found) == 1, f"step10.{lang}.md should have exactly one complete program"
    return found[0]


@pytest.fixture(scope="module", params=LANGS)
def program(request):
    block = standalone(request.param)
    namespace = blocks.new_session()
    run = blocks.run_block(block.code, namespace, f"step10.{request.param}.md", block.line + 1)
    assert run.error is None, run.error_line
    assert blocks.normalize(run.output) == REPORT.split("\n")
    return namespace


def public_api(obj) -> dict[str, list[str]]:
    """Methods a user calls, with their parameter names (for a function: its own parameters)."""
    if inspect.isfunction(obj):
        return {obj.__name__: list(inspect.signature(obj).parameters)}
    return {
        name: list(inspect.signature(member).parameters)
        for name, member in vars(obj).items()
        if callable(member) and (not name.startswith("_") or name in ("__init__", "__call__"))
    }


@pytest.mark.parametrize("name", CLASSES + FUNCTIONS)
def test_same_classes_functions_and_methods(program, name):
    assert public_api(program[name]) == public_api(getattr(dezero, name))


def output_of(f):
    """A function's output Variable: the package keeps it by weak reference, the book directly."""
    out = f.output
    return out() if callable(out) and not hasattr(out, "data") else out


def forward_backward(ns, x0):
    x = ns["Variable"](np.array(x0))
    a = ns["square"](x)
    b = ns["exp"](a)
    y = ns["square"](b)
    y.backward()  # no y.grad set by hand: step 9's automatic seed
    return y, (x, a, b)


@pytest.mark.parametrize("x0", [0.5, -0.3, 0.0, 0.9, [0.25, -1.5, 2.0]])
def test_same_results(program, x0):
    y1, vars1 = forward_backward(program, x0)
    y2, vars2 = forward_backward(vars(dezero), x0)
    assert type(y1.data) is type(y2.data) is np.ndarray  # as_array in Function.__call__
    assert np.array_equal(y1.data, y2.data) and np.array_equal(y1.grad, y2.grad)
    for v1, v2 in zip(vars1, vars2):
        assert np.array_equal(v1.data, v2.data) and np.array_equal(v1.grad, v2.grad)
    for v1, v2 in zip((y1, *vars1[2:0:-1]), (y2, *vars2[2:0:-1])):  # the links backward walks
        f1, f2 = v1.creator, v2.creator
        assert type(f1).__name__ == type(f2).__name__
        assert output_of(f1) is v1 and output_of(f2) is v2
        assert np.array_equal(f1.input.data, f2.input.data)
    assert vars1[0].creator is None and vars2[0].creator is None
    assert y1.creator is not vars1[1].creator  # square() makes a fresh instance per call


def test_x_grad_at_one_half_is_the_books_number(program):
    for ns in (program, vars(dezero)):
        y, (x, _, _) = forward_backward(ns, 0.5)
        assert repr(float(x.grad)) == "3.297442541400256"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_seed_gradient_shape_and_dtype(program, dtype):
    for ns in (program, vars(dezero)):
        x = ns["Variable"](np.array([1.0, 2.0, 3.0], dtype=dtype))
        y = ns["square"](x)
        y.backward()
        assert y.grad.shape == (3,) and y.grad.dtype == dtype
        assert x.grad.dtype == dtype and x.grad.tolist() == [2.0, 4.0, 6.0]


@pytest.mark.parametrize("bad", [1.0, 3, [1.0, 2.0], "1.0", np.float64(1.0)], ids=repr)
def test_same_error_for_data_that_is_not_an_ndarray(program, bad):
    with pytest.raises(TypeError) as book:
        program["Variable"](bad)
    with pytest.raises(TypeError) as package:
        dezero.Variable(bad)
    assert str(book.value) == f"{type(bad)} is not supported"
    assert str(package.value).startswith(str(book.value))  # the package says more, never less


def test_both_accept_none_and_ndarrays(program):
    for ns in (program, vars(dezero)):
        assert ns["Variable"](None).data is None
        assert ns["Variable"](np.array(1.0)).data.ndim == 0


@pytest.mark.parametrize("value", [np.float64(2.5), np.float32(2.5), 2.5, np.array(2.5), np.array([2.5])],
                         ids=repr)
def test_same_as_array(program, value):
    a, b = program["as_array"](value), dezero.as_array(value)
    assert type(a) is type(b) and np.array_equal(a, b) and getattr(a, "dtype", None) == getattr(b, "dtype", None)


@pytest.mark.parametrize("x0", [np.array(0.5), np.array([0.1, 0.7])])
def test_same_numerical_diff(program, x0):
    got = program["numerical_diff"](program["square"], program["Variable"](x0))
    want = dezero.numerical_diff(dezero.square, dezero.Variable(x0))
    assert np.array_equal(got, want)


def test_both_backwards_are_loops_not_recursion(program):
    for ns in (program, vars(dezero)):
        x = ns["Variable"](np.array(1.0))
        y = x
        for _ in range(5 * sys.getrecursionlimit()):
            y = ns["square"](y)
        with np.errstate(over="ignore"):
            y.backward()  # a recursive backward raises RecursionError here
        assert x.grad is not None


def test_the_programs_tests_catch_a_wrong_backward(program):
    """The chapter shows SquareTest failing on a planted bug; the complete program's copy must too."""
    import io
    import unittest

    square_cls = program["Square"]
    correct = square_cls.backward
    square_cls.backward = lambda self, gy: self.input.data * gy
    try:
        result = unittest.TextTestRunner(stream=io.StringIO()).run(
            unittest.TestLoader().loadTestsFromTestCase(program["SquareTest"]))
    finally:
        square_cls.backward = correct
    failed = sorted(test.id().rsplit(".", 1)[1] for test, _ in result.failures)
    assert failed == ["test_backward", "test_gradient_check"]


# --- the command lines shown in 10.4 -------------------------------------------------------

def shown_command_outputs(lang: str) -> dict[str, list[str]]:
    """`bash` fence command -> the plain `text` fence right after it, on the page."""
    page = blocks.read_page(DOCS / f"step10.{lang}.md")
    shown = {}
    for first, second in zip(page.blocks, page.blocks[1:]):
        if first.lang == "bash" and second.lang == "text" and second.kind == "other":
            shown[first.code.strip()] = blocks.normalize(second.code)
    return shown


def without_time(lines: list[str]) -> list[str]:
    return [re.sub(r"^(Ran \d+ tests?) in \d+\.\d+s$", r"\1 in <time>", line) for line in lines]


@pytest.mark.parametrize("lang", LANGS)
def test_command_line_outputs_on_the_page_are_real(lang, tmp_path):
    code = standalone(lang).code
    (tmp_path / "step10.py").write_text(code, "utf8")
    (tmp_path / "test_step10.py").write_text(code, "utf8")
    shown = shown_command_outputs(lang)
    assert set(shown) == {"python -m unittest -v step10.py", "python -m unittest discover -v"}
    for command, expected in shown.items():
        argv = [sys.executable, *command.split()[1:]]
        done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""  # the module-level run_tests call stays under `if __name__ == ...`
        assert without_time(blocks.normalize(done.stderr)) == without_time(expected), command
