"""Unit tests of the dezero package: the results the book prints, and every bad input."""

import subprocess
import sys
import unittest
import weakref
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dezero
from dezero import Exp, Function, Square, Variable, as_array, exp, numerical_diff, square

ROOT = Path(__file__).resolve().parents[1]


def chain(x):
    """y = C(B(A(x))) with new instances on every call, as the book's step 4 writes it."""
    A, B, C = Square(), Exp(), Square()
    return C(B(A(x)))


def reuse_message(name):
    return (
        f"this {name} instance is already a node of a graph (its output is still in use); "
        f"create a new one, {name}(), for each call"
    )


# --- the book's results ---------------------------------------------------------------

def test_square_of_ten_prints_100(capsys):
    print(Square()(Variable(np.array(10))).data)
    assert capsys.readouterr().out == "100\n"


def test_chain_forward():
    y = chain(Variable(np.array(0.5)))
    assert repr(float(y.data)) == "1.648721270700128"


def test_numerical_diff_of_square():
    assert repr(float(numerical_diff(Square(), Variable(np.array(2.0))))) == "4.000000000004"


def test_numerical_diff_of_chain():
    assert repr(float(numerical_diff(chain, Variable(np.array(0.5))))) == "3.2974426293330694"


def test_backward_of_chain(capsys):
    x = Variable(np.array(0.5))
    y = chain(x)
    y.backward()
    print(x.grad)
    assert capsys.readouterr().out == "3.297442541400256\n"


# --- Variable -------------------------------------------------------------------------

def test_new_variable_has_no_grad_and_no_creator():
    x = Variable(np.array(1.0))
    assert x.grad is None and x.creator is None


def test_variable_accepts_none():
    assert Variable(None).data is None


@pytest.mark.parametrize("bad", [1.0, 3, [1, 2], "1.0", (1,)])
def test_variable_rejects_non_arrays_naming_the_type(bad):
    with pytest.raises(TypeError, match=f"{type(bad)} is not supported"):
        Variable(bad)


def test_set_creator():
    x, f = Variable(np.array(1.0)), Square()
    x.set_creator(f)
    assert x.creator is f


def test_function_output_is_always_an_ndarray():
    # 0-d array ** 2 and np.exp(0-d array) give NumPy scalars; the Variable holds a 0-d array
    for f in (Square(), Exp()):
        y = f(Variable(np.array(2.0)))
        assert type(y.data) is np.ndarray and y.data.ndim == 0


def test_backward_starts_from_ones_like_data():
    x = Variable(np.array([1.0, 2.0, 3.0]))
    y = Square()(x)
    y.backward()
    np.testing.assert_array_equal(y.grad, np.ones(3))
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_backward_keeps_a_grad_set_by_hand():
    x = Variable(np.array(3.0))
    y = Square()(x)
    y.grad = np.array(10.0)
    y.backward()
    assert x.grad == 60.0


def test_backward_on_a_user_made_variable_does_nothing_but_seed():
    x = Variable(np.array(2.0))
    x.backward()
    assert x.grad == 1.0


class AddOne(Function):
    def forward(self, x):
        return x + 1

    def backward(self, gy):
        return gy


def test_a_chain_far_deeper_than_the_recursion_limit_backpropagates():
    depth = 20 * sys.getrecursionlimit()  # a recursive backward raises RecursionError at 1x
    x = Variable(np.array(0.0))
    y = x
    for _ in range(depth):
        y = AddOne()(y)
    y.backward()
    assert y.data == float(depth)
    assert x.grad == 1.0


# --- Function -------------------------------------------------------------------------

def test_call_links_input_output_and_creator():
    f = Square()
    x = Variable(np.array(3.0))
    y = f(x)
    assert f.input is x and f.output() is y and y.creator is f and y.data == 9.0


def test_a_function_keeps_its_output_only_weakly():
    x = Variable(np.array(3.0))
    y = Square()(x)
    ref = weakref.ref(y)
    del y  # no cycle y <-> creator: the graph is freed at once, without the garbage collector
    assert ref() is None


def test_base_forward_names_the_subclass():
    class Forgetful(Function):
        pass

    with pytest.raises(NotImplementedError, match="Forgetful must define forward"):
        Forgetful()(Variable(np.array(1.0)))


def test_base_backward_names_the_subclass():
    class ForwardOnly(Function):
        def forward(self, x):
            return x

    y = ForwardOnly()(Variable(np.array(1.0)))
    with pytest.raises(NotImplementedError, match="ForwardOnly must define backward"):
        y.backward()


@pytest.mark.parametrize("bad", [np.array(1.0), 1.0, None])
def test_function_rejects_non_variables(bad):
    with pytest.raises(TypeError, match=r"Square takes a Variable, not <class '(numpy\.ndarray|float|NoneType)'>"):
        Square()(bad)


def test_square_and_exp_backward_formulas():
    x = Variable(np.array(1.5))
    s, e = Square(), Exp()
    s(x), e(x)
    gy = np.array(2.0)
    assert s.backward(gy) == 2 * 1.5 * 2.0
    assert e.backward(gy) == np.exp(1.5) * 2.0


def test_numerical_diff_rejects_non_variables():
    with pytest.raises(TypeError, match="numerical_diff takes a Variable as x, not <class 'float'>"):
        numerical_diff(Square(), 2.0)


def test_numerical_diff_uses_the_centered_difference():
    # for a cubic the centered difference has error exactly eps**2 (f''' / 6 * 2 eps**2 / 2)
    class Cube(Function):
        def forward(self, x):
            return x**3

    d = numerical_diff(Cube(), Variable(np.array(1.0)), eps=1e-2)
    assert d == pytest.approx(3.0 + 1e-4, rel=1e-9)


# --- one Function instance is one node: reuse fails loudly, never hangs ---------------------

HANG_SCRIPT = """
import numpy as np
from dezero import Square, Variable

sq = Square()
x = Variable(np.array(3.0))
try:
    y = sq(sq(x))  # a reused instance used to make backward loop forever
    y.backward()
    print("no error", x.grad)
except RuntimeError as e:
    print(e)
"""


def test_nested_reuse_raises_instead_of_hanging():
    # in a subprocess with a timeout, so a regression fails here instead of hanging the suite
    try:
        run = subprocess.run(
            [sys.executable, "-c", HANG_SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("sq(sq(x)).backward() did not finish within 60 s")
    assert run.returncode == 0, run.stderr
    assert run.stdout == reuse_message("Square") + "\n"


@pytest.mark.parametrize("cls", [Square, Exp])
def test_nested_reuse_names_the_class(cls):
    f = cls()
    with pytest.raises(RuntimeError) as info:
        f(f(Variable(np.array(0.5))))
    assert str(info.value) == reuse_message(cls.__name__)


def test_reuse_on_a_second_input_raises_while_the_first_output_is_alive():
    sq = Square()
    a = sq(Variable(np.array(2.0)))
    with pytest.raises(RuntimeError) as info:
        sq(Variable(np.array(3.0)))
    assert str(info.value) == reuse_message("Square")
    a.backward()  # the first graph is untouched by the refused call
    assert sq.input.data == 2.0 and a.grad == 1.0


def test_reuse_error_names_a_user_subclass():
    sq = AddOne()
    a = sq(Variable(np.array(2.0)))
    with pytest.raises(RuntimeError, match=r"^this AddOne instance .*, AddOne\(\), for each call$"):
        sq(a)


def test_reuse_is_allowed_once_the_first_output_is_gone():
    sq = Square()
    x1, x2 = Variable(np.array(2.0)), Variable(np.array(3.0))
    a = sq(x1)
    del a
    b = sq(x2)
    b.backward()
    assert b.data == 9.0 and x2.grad == 6.0 and x1.grad is None


def test_reuse_through_a_longer_graph_is_refused_while_a_later_node_holds_the_output():
    A, B = Square(), Exp()
    y = B(A(Variable(np.array(0.5))))  # A's output has no name, but B holds it as its input
    with pytest.raises(RuntimeError, match="this Square instance"):
        A(Variable(np.array(1.0)))
    with pytest.raises(RuntimeError, match="this Exp instance"):
        B(Variable(np.array(1.0)))
    del y
    b = B(Variable(np.array(1.0)))  # y is gone, so B is free; B lets go of A's old output
    a = A(Variable(np.array(1.0)))  # and so A is free too
    assert b.creator is B and a.creator is A and a.data == 1.0


def test_numerical_diff_with_one_instance_calls_it_twice():
    sq = Square()
    assert repr(float(numerical_diff(sq, Variable(np.array(2.0))))) == "4.000000000004"
    assert sq.output() is None  # numerical_diff kept no output alive


def test_numerical_diff_with_a_closure_over_reused_instances_fails_clearly():
    A, B, C = Square(), Exp(), Square()
    with pytest.raises(RuntimeError, match="this (Square|Exp) instance is already a node of a graph"):
        numerical_diff(lambda x: C(B(A(x))), Variable(np.array(0.5)))


# --- numerical_diff: clear errors for bad arguments ------------------------------------------

@pytest.mark.parametrize("bad", [2.0, None, "square", np.array(2.0)])
def test_numerical_diff_rejects_a_non_callable_f(bad):
    with pytest.raises(TypeError, match=r"^numerical_diff takes a function as f .*, not <class "):
        numerical_diff(bad, Variable(np.array(2.0)))


@pytest.mark.parametrize(
    "f, returned",
    [
        (lambda x: x.data**2, "<class 'numpy.float64'>"),
        (lambda x: np.array(1.0), "<class 'numpy.ndarray'>"),
        (lambda x: None, "<class 'NoneType'>"),
        (lambda x: 4.0, "<class 'float'>"),
    ],
)
def test_numerical_diff_rejects_an_f_that_returns_no_variable(f, returned):
    with pytest.raises(TypeError) as info:
        numerical_diff(f, Variable(np.array(2.0)))
    assert str(info.value) == f"numerical_diff needs f to return a Variable, but f returned {returned}"


@pytest.mark.parametrize("eps", [0, 0.0, -1e-4, float("nan"), float("inf"), -float("inf"), np.float64("nan")])
def test_numerical_diff_rejects_eps_that_is_not_positive_and_finite(eps):
    with pytest.raises(ValueError, match=r"^numerical_diff needs eps to be positive and finite, not "):
        numerical_diff(Square(), Variable(np.array(2.0)), eps=eps)


@pytest.mark.parametrize("eps", ["1e-4", True, False, None, np.array(1e-4), [1e-4], 1e-4j, np.bool_(True)])
def test_numerical_diff_rejects_eps_that_is_not_a_real_number(eps):
    with pytest.raises(TypeError, match=r"^numerical_diff takes a real number as eps \(e\.g\. 1e-4\), not <class "):
        numerical_diff(Square(), Variable(np.array(2.0)), eps=eps)


@pytest.mark.parametrize("eps", [1e-4, 1, np.float32(1e-2), np.float64(1e-4), np.int64(1)])
def test_numerical_diff_accepts_any_positive_real_eps(eps):
    d = numerical_diff(Square(), Variable(np.array(2.0)), eps=eps)
    assert d == pytest.approx(4.0, rel=1e-5)


def test_numerical_diff_rejects_an_empty_variable():
    with pytest.raises(ValueError, match="numerical_diff needs x to hold data, but x.data is None"):
        numerical_diff(Square(), Variable(None))


# --- step 9: square and exp, a new node per call ----------------------------------------------

def test_the_package_exports_the_step_10_api():
    assert dezero.__version__ == "0.10.0"
    assert set(dezero.__all__) == {"Variable", "Function", "Square", "Exp", "square", "exp",
                                   "numerical_diff", "as_array"}
    assert all(getattr(dezero, name) is not None for name in dezero.__all__)


def test_square_exp_square_at_one_half(capsys):
    x = Variable(np.array(0.5))
    y = square(exp(square(x)))
    y.backward()
    print(x.grad)
    assert capsys.readouterr().out == "3.297442541400256\n"


def test_the_function_forms_make_a_new_node_per_call():
    x = Variable(np.array(2.0))
    a, b = square(x), square(x)
    assert type(a.creator) is Square and a.creator is not b.creator
    c, d = exp(x), exp(x)
    assert type(c.creator) is Exp and c.creator is not d.creator
    y = square(square(x))  # the pattern that hangs with one reused instance
    y.backward()
    assert y.data == 16.0 and x.grad == 32.0  # d(x**4)/dx = 4 x**3


@pytest.mark.parametrize("f, name", [(square, "Square"), (exp, "Exp")])
@pytest.mark.parametrize("bad", [1.0, np.array(1.0)])
def test_the_function_forms_reject_non_variables(f, name, bad):
    with pytest.raises(TypeError, match=rf"^{name} takes a Variable, not {type(bad)}"):
        f(bad)


def test_as_array_turns_numpy_scalars_into_0d_arrays():
    x = np.array(2.0)
    assert type(x**2) is np.float64
    y = as_array(x**2)
    assert type(y) is np.ndarray and y.ndim == 0 and y == 4.0
    assert as_array(x) is x


# --- step 10: the book's tests ---------------------------------------------------------

class SquareTest(unittest.TestCase):
    def test_forward(self):
        x = Variable(np.array(2.0))
        y = square(x)
        expected = np.array(4.0)
        self.assertEqual(y.data, expected)

    def test_backward(self):
        x = Variable(np.array(3.0))
        y = square(x)
        y.backward()
        expected = np.array(6.0)
        self.assertEqual(x.grad, expected)

    def test_gradient_check(self):
        rng = np.random.default_rng(10)
        x = Variable(rng.random(1))
        y = square(x)
        y.backward()
        num_grad = numerical_diff(square, x)
        self.assertTrue(np.allclose(x.grad, num_grad))


# --- backward agrees with numerical differentiation ------------------------------------

def _square_node(x):
    return Square()(x)


def _exp_node(x):
    return Exp()(x)


@settings(max_examples=200, deadline=None)
@given(
    # safe range: at most three functions on |x| <= 0.5 keeps every value below e**e**e**0.5
    ops=st.lists(st.sampled_from([_square_node, _exp_node, square, exp]), min_size=1, max_size=3),
    x0=st.floats(min_value=-0.5, max_value=0.5, allow_nan=False),
)
def test_backward_matches_numerical_diff(ops, x0):
    def f(x):
        for op in ops:
            x = op(x)
        return x

    x = Variable(np.array(x0))
    y = f(x)
    y.backward()
    expected = numerical_diff(f, Variable(np.array(x0)), eps=1e-5)
    assert x.grad == pytest.approx(expected, rel=1e-6, abs=1e-8)
