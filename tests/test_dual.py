"""``wg.Dual`` scalar dual numbers and the elementary functions of ``wengert.dual``.

References are analytic derivatives."""
import math

import numpy as np
import pytest

import wengert as wg
from wengert import dual as wd
from wengert.dual import Dual, derivative

# name: (point, f(x), f'(x), f''(x))
ELEMENTARY = {
    "sin": (0.7, math.sin, math.cos, lambda x: -math.sin(x)),
    "cos": (0.7, math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x)),
    "tan": (0.7, math.tan, lambda x: 1 / math.cos(x) ** 2,
            lambda x: 2 * math.tan(x) / math.cos(x) ** 2),
    "arcsin": (0.3, math.asin, lambda x: (1 - x * x) ** -0.5, lambda x: x * (1 - x * x) ** -1.5),
    "arccos": (0.3, math.acos, lambda x: -(1 - x * x) ** -0.5,
               lambda x: -x * (1 - x * x) ** -1.5),
    "arctan": (0.7, math.atan, lambda x: 1 / (1 + x * x), lambda x: -2 * x / (1 + x * x) ** 2),
    "sinh": (0.7, math.sinh, math.cosh, math.sinh),
    "cosh": (0.7, math.cosh, math.sinh, math.cosh),
    "tanh": (0.7, math.tanh, lambda x: 1 - math.tanh(x) ** 2,
             lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
    "arcsinh": (0.7, math.asinh, lambda x: (x * x + 1) ** -0.5, lambda x: -x * (x * x + 1) ** -1.5),
    "arccosh": (1.7, math.acosh, lambda x: (x * x - 1) ** -0.5, lambda x: -x * (x * x - 1) ** -1.5),
    "arctanh": (0.3, math.atanh, lambda x: 1 / (1 - x * x), lambda x: 2 * x / (1 - x * x) ** 2),
    "exp": (0.7, math.exp, math.exp, math.exp),
    "exp2": (0.7, lambda x: 2 ** x, lambda x: math.log(2) * 2 ** x,
             lambda x: math.log(2) ** 2 * 2 ** x),
    "expm1": (0.7, math.expm1, math.exp, math.exp),
    "log": (0.7, math.log, lambda x: 1 / x, lambda x: -1 / x ** 2),
    "log2": (0.7, math.log2, lambda x: 1 / (x * math.log(2)), lambda x: -1 / (x * x * math.log(2))),
    "log10": (0.7, math.log10, lambda x: 1 / (x * math.log(10)),
              lambda x: -1 / (x * x * math.log(10))),
    "log1p": (0.7, math.log1p, lambda x: 1 / (1 + x), lambda x: -1 / (1 + x) ** 2),
    "sqrt": (0.7, math.sqrt, lambda x: 0.5 * x ** -0.5, lambda x: -0.25 * x ** -1.5),
    "cbrt": (-0.7, lambda x: -abs(x) ** (1 / 3), lambda x: abs(x) ** (-2 / 3) / 3,
             lambda x: 2 / 9 * abs(x) ** (-5 / 3)),
    "square": (0.7, lambda x: x * x, lambda x: 2 * x, lambda x: 2.0),
    "erf": (0.7, math.erf, lambda x: 2 / math.sqrt(math.pi) * math.exp(-x * x),
            lambda x: -4 * x / math.sqrt(math.pi) * math.exp(-x * x)),
    "sigmoid": (0.7, lambda x: 1 / (1 + math.exp(-x)),
                lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2,
                lambda x: (1 / (1 + math.exp(-x))) * (1 - 1 / (1 + math.exp(-x)))
                * (1 - 2 / (1 + math.exp(-x)))),
}


@pytest.mark.parametrize("name", list(ELEMENTARY))
def test_elementary_first_and_second_derivatives(name):
    x, f, d1, d2 = ELEMENTARY[name]
    fn = getattr(wd, name)
    r = fn(Dual(x, 1.0))
    assert math.isclose(r.real, f(x), rel_tol=1e-14)
    assert math.isclose(r.dual, d1(x), rel_tol=1e-13)
    assert math.isclose(derivative(fn, x, 2), d2(x), rel_tol=1e-12)
    assert fn(x) == pytest.approx(f(x), rel=1e-15)  # plain numbers pass through


def test_chapter_example():
    x1, x2 = Dual(1.0, 1.0), Dual(2.0, 0.0)
    r = (x1 + x2) * wd.sin(x1)
    assert round(r.real, 3) == 2.524 and round(r.dual, 3) == 2.462
    r2 = (Dual(1.0, 0.0) + Dual(2.0, 1.0)) * wd.sin(Dual(1.0, 0.0))
    assert math.isclose(r2.dual, math.sin(1.0), rel_tol=1e-15)


# (expression on (x, c), d/dx) with c a Python number on either side
OPERATORS = {
    "x + c": (lambda x, c: x + c, lambda x, c: 1.0),
    "c + x": (lambda x, c: c + x, lambda x, c: 1.0),
    "x - c": (lambda x, c: x - c, lambda x, c: 1.0),
    "c - x": (lambda x, c: c - x, lambda x, c: -1.0),
    "x * c": (lambda x, c: x * c, lambda x, c: c),
    "c * x": (lambda x, c: c * x, lambda x, c: c),
    "x / c": (lambda x, c: x / c, lambda x, c: 1 / c),
    "c / x": (lambda x, c: c / x, lambda x, c: -c / x ** 2),
    "x ** c": (lambda x, c: x ** c, lambda x, c: c * x ** (c - 1)),
    "c ** x": (lambda x, c: c ** x, lambda x, c: math.log(c) * c ** x),
    "x // c": (lambda x, c: x // c, lambda x, c: 0.0),
    "c // x": (lambda x, c: c // x, lambda x, c: 0.0),
    "x % c": (lambda x, c: x % c, lambda x, c: 1.0),
    "c % x": (lambda x, c: c % x, lambda x, c: -(c // x)),
    "-x": (lambda x, c: -x, lambda x, c: -1.0),
    "+x": (lambda x, c: +x, lambda x, c: 1.0),
    "abs(x)": (lambda x, c: abs(x), lambda x, c: 1.0),
}


@pytest.mark.parametrize("name", list(OPERATORS))
@pytest.mark.parametrize("c", [3, 2.5, np.float64(1.5)])
def test_python_scalars_on_either_side_of_every_operator(name, c):
    op, d = OPERATORS[name]
    x = 1.75
    r = op(Dual(x, 1.0), c)
    assert isinstance(r, Dual)
    assert math.isclose(r.real, op(x, c), rel_tol=1e-15)
    assert math.isclose(r.dual, d(x, c), rel_tol=1e-14, abs_tol=1e-15)


def test_dual_exponent():
    # x^y: d/dx = y x^(y-1), d/dy = x^y log x
    x, y = 1.5, 2.5
    assert math.isclose((Dual(x, 1.0) ** Dual(y, 0.0)).dual, y * x ** (y - 1), rel_tol=1e-14)
    assert math.isclose((Dual(x, 0.0) ** Dual(y, 1.0)).dual, x ** y * math.log(x), rel_tol=1e-14)
    r = Dual(-2.0, 1.0) ** Dual(3.0, 0.0)  # negative base, constant exponent: fine
    assert (r.real, r.dual) == (-8.0, 12.0)
    assert math.isclose(wd.power(2.0, Dual(3.0, 1.0)).dual, 8 * math.log(2), rel_tol=1e-15)


def test_kinks_and_singular_points():
    assert abs(Dual(0.0, 1.0)).dual == 0.0               # |x|'(0) = 0
    assert abs(Dual(-2.0, 1.0)).dual == -1.0
    assert wd.relu(Dual(0.0, 1.0)).dual == 0.0
    assert wd.relu(Dual(0.5, 1.0)).dual == 1.0
    assert wd.sign(Dual(0.3, 1.0)).dual == 0.0
    assert wd.sqrt(Dual(0.0, 1.0)).dual == math.inf      # finite value, infinite slope
    assert (Dual(0.0, 1.0) ** 0.5).dual == math.inf
    assert (Dual(0.0, 1.0) ** 2).dual == 0.0
    assert wd.arcsin(Dual(1.0, 1.0)).dual == math.inf
    with pytest.raises(ZeroDivisionError):                # the value itself as in Python
        Dual(1.0, 1.0) / 0.0
    with pytest.raises(ValueError):
        wd.log(Dual(-1.0, 1.0))


def test_nested_duals_second_derivative_by_hand():
    # f(x) = x^3 sin x: seed x + e1 + e2 (Dual of Duals); the e1 e2 coefficient is f''
    x = Dual(Dual(0.9, 1.0), Dual(1.0, 0.0))
    r = x ** 3 * wd.sin(x)
    s, c = math.sin(0.9), math.cos(0.9)
    assert math.isclose(r.real.real, 0.9 ** 3 * s, rel_tol=1e-15)
    assert math.isclose(r.dual.real, 3 * 0.9 ** 2 * s + 0.9 ** 3 * c, rel_tol=1e-14)
    f2 = 6 * 0.9 * s + 6 * 0.9 ** 2 * c - 0.9 ** 3 * s
    assert math.isclose(r.dual.dual, f2, rel_tol=1e-14)
    assert math.isclose(r.real.dual, r.dual.real, rel_tol=1e-15)


@pytest.mark.parametrize("f,d4,x", [
    (wd.sin, math.sin, 0.7),
    (wd.exp, math.exp, 0.7),
    (lambda x: x ** 5, lambda x: 120 * x, 0.7),
    (lambda x: 1 / (1 + x * x), lambda x: 24 * (5 * x ** 4 - 10 * x ** 2 + 1) / (1 + x * x) ** 5,
     0.7),
    (wd.log, lambda x: -6 / x ** 4, 0.7),
    (wd.tanh, lambda x: 8 * math.tanh(x) * (1 - math.tanh(x) ** 2) * (2 - 3 * math.tanh(x) ** 2),
     0.7),
])
def test_fourth_derivative_by_nesting(f, d4, x):
    assert math.isclose(derivative(f, x, 4), d4(x), rel_tol=1e-11)


def test_derivative_of_constant_and_linear():
    assert derivative(lambda x: 3.0, 1.0) == 0.0
    assert derivative(lambda x: 2 * x, 1.0, 2) == 0.0


def test_comparisons_bool_float():
    a = Dual(1.0, 5.0)
    assert a == 1.0 and a != 2.0 and a < 2 and a <= 1 and a > 0 and a >= 1.0
    assert Dual(1.0, 1.0) == Dual(1.0, 2.0)  # branching follows the value
    assert bool(Dual(0.0, 1.0)) is False
    assert float(Dual(2.0, 0.0)) == 2.0
    with pytest.raises(TypeError, match=r"dual part.*wengert\.dual\.sin"):
        math.sin(Dual(1.0, 1.0))  # would silently drop the derivative


def test_numpy_ufuncs_and_numpy_scalars():
    r = np.sin(Dual(1.0, 1.0))
    assert isinstance(r, Dual) and math.isclose(r.dual, math.cos(1.0), rel_tol=1e-15)
    r2 = np.float64(2.0) * Dual(1.5, 1.0)
    assert isinstance(r2, Dual) and (r2.real, r2.dual) == (3.0, 2.0)


def test_matches_jvp():
    f_d = lambda x: wd.exp(wd.sin(x)) / (1 + x * x)
    import wengert.numpy as wnp
    f_t = lambda x: wnp.exp(wnp.sin(x)) / (1 + x * x)
    _, t = wg.jvp(f_t, (0.4,), (1.0,))
    assert math.isclose(f_d(Dual(0.4, 1.0)).dual, float(t), rel_tol=1e-14)


def test_extreme_inputs_saturate_like_numpy():
    assert wd.exp(Dual(1000.0, 1.0)).real == math.inf
    assert wd.exp(Dual(1000.0, 0.0)).dual == 0.0    # a constant stays a constant (no inf*0)
    assert wd.sinh(Dual(-1000.0, 1.0)).real == -math.inf
    assert wd.sigmoid(Dual(-1000.0, 1.0)).real == 0.0 and wd.sigmoid(Dual(-1000.0, 1.0)).dual == 0
    assert wd.sigmoid(Dual(1000.0, 1.0)).real == 1.0
    assert wd.tanh(Dual(1000.0, 1.0)).dual == 0.0
    assert wd.softplus(Dual(1000.0, 1.0)).real == 1000.0
    assert wd.softplus(Dual(1000.0, 1.0)).dual == 1.0
    r = Dual(3, 1) * 2  # integer parts work
    assert (r.real, r.dual) == (6, 2)


def test_nested_derivative_has_no_perturbation_confusion():
    # Siskind & Pearlmutter: d/dx [x * d/dy (x + y)] = 1 (untagged dual numbers give 2)
    assert derivative(lambda x: x * derivative(lambda y: x + y, 1.0), 1.0) == 1.0
    # d/dx [x * d/dy (x y)] = 2x
    assert derivative(lambda x: x * derivative(lambda y: x * y, 3.0), 2.0) == 4.0
    # d/dx d/dy (x y^2) = 2y
    assert derivative(lambda x: derivative(lambda y: x * y * y, 2.0), 3.0) == 4.0


def test_shift_operator_higher_order_function():
    # s u f x = f(x + u): (D s 0) is the derivative operator, applied twice to exp at 1
    s = lambda u: lambda f: lambda x: f(x + u)
    ds0 = lambda f: lambda x: derivative(lambda u: s(u)(f)(x), 0.0)
    assert math.isclose(ds0(ds0(wd.exp))(1.0), math.e, rel_tol=1e-15)


def test_hand_made_dual_is_a_constant_to_derivative():
    c = Dual(3.0, 1.0)  # its own perturbation (tag 0)
    r = derivative(lambda x: x * x * c, 2.0)  # 2 x c, still carrying c's perturbation
    assert isinstance(r, Dual) and (r.real, r.dual) == (12.0, 4.0)
