"""Unit tests of the dezero package: the results the book prints, and every bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dezero import Exp, Function, Square, Variable, numerical_diff


def chain():
    A, B, C = Square(), Exp(), Square()
    return lambda x: C(B(A(x)))


# --- the book's results ---------------------------------------------------------------

def test_square_of_ten_prints_100(capsys):
    print(Square()(Variable(np.array(10))).data)
    assert capsys.readouterr().out == "100\n"


def test_chain_forward():
    y = chain()(Variable(np.array(0.5)))
    assert repr(float(y.data)) == "1.648721270700128"


def test_numerical_diff_of_square():
    assert repr(float(numerical_diff(Square(), Variable(np.array(2.0))))) == "4.000000000004"


def test_numerical_diff_of_chain():
    assert repr(float(numerical_diff(chain(), Variable(np.array(0.5))))) == "3.2974426293330694"


def test_backward_of_chain(capsys):
    x = Variable(np.array(0.5))
    y = chain()(x)
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


def test_a_chain_of_a_million_functions_backpropagates_without_recursion():
    x = Variable(np.array(0.0))
    y = x
    for _ in range(1_000_000):
        y = AddOne()(y)
    y.backward()  # a recursive backward would raise RecursionError long before this depth
    assert y.data == 1_000_000.0
    assert x.grad == 1.0


# --- Function -------------------------------------------------------------------------

def test_call_links_input_output_and_creator():
    f = Square()
    x = Variable(np.array(3.0))
    y = f(x)
    assert f.input is x and f.output is y and y.creator is f and y.data == 9.0


def test_each_call_returns_a_new_variable():
    f, x = Exp(), Variable(np.array(0.0))
    assert f(x) is not f(x)


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


# --- backward agrees with numerical differentiation ------------------------------------

@settings(max_examples=200, deadline=None)
@given(
    # safe range: at most three functions on |x| <= 0.5 keeps every value below e**e**e**0.5
    ops=st.lists(st.sampled_from([Square, Exp]), min_size=1, max_size=3),
    x0=st.floats(min_value=-0.5, max_value=0.5, allow_nan=False),
)
def test_backward_matches_numerical_diff(ops, x0):
    def f(x):
        for op in ops:
            x = op()(x)
        return x

    x = Variable(np.array(x0))
    y = f(x)
    y.backward()
    expected = numerical_diff(f, Variable(np.array(x0)), eps=1e-5)
    assert x.grad == pytest.approx(expected, rel=1e-6, abs=1e-8)
