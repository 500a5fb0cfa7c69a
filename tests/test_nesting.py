"""Transforms composed in any order and any mix, without perturbation confusion.

References are analytic derivatives."""
import itertools
import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.autograd import forward_ad as fwAD


def D_fwd(f):
    """Derivative of a scalar function by forward mode."""
    return lambda x: wg.jvp(f, (x,), (wnp.ones_like(x),))[1]


def D_rev(f):
    return wg.grad(f)


D = {"f": D_fwd, "r": D_rev}
BOTH = pytest.mark.parametrize("outer,inner", list(itertools.product("fr", repeat=2)))


def close(a, b, rel=1e-12, abs_=1e-13):
    return np.allclose(np.asarray(a, dtype=float), b, rtol=rel, atol=abs_)


# -- second order in every mix ------------------------------------------------------------
@BOTH
def test_second_derivative_every_mix(outer, inner):
    f = lambda x: wnp.sin(x) * x ** 2
    x = 0.8
    expect = -math.sin(x) * x ** 2 + 4 * x * math.cos(x) + 2 * math.sin(x)
    assert close(D[outer](D[inner](f))(x), expect)


def test_hvp_forward_over_reverse_and_reverse_over_forward():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 3))
    A = A + A.T

    def f(x):  # H = A + diag(exp(x))
        return 0.5 * x @ (A @ x) + wnp.sum(wnp.exp(x))

    x, v = rng.standard_normal(3), rng.standard_normal(3)
    H = A + np.diag(np.exp(x))
    hvp1 = wg.jvp(wg.grad(f), (x,), (v,))[1]              # jvp of grad
    hvp2 = wg.grad(lambda y: wg.jvp(f, (y,), (v,))[1])(x)  # grad of jvp
    hvp3 = wg.vjp(wg.grad(f), x)[1](v)[0]                  # vjp of grad
    for h in (hvp1, hvp2, hvp3):
        assert type(h) is np.ndarray
        np.testing.assert_allclose(h, H @ v, rtol=1e-12)


def test_hvp_float32_stays_float32():
    x = np.array([0.5, -1.0], dtype=np.float32)
    v = np.ones(2, dtype=np.float32)
    _, hv = wg.jvp(wg.grad(lambda x: wnp.sum(x ** 3)), (x,), (v,))
    assert hv.dtype == np.float32
    np.testing.assert_allclose(hv, 6 * x, rtol=1e-6)


def test_vjp_of_vjp():
    f = lambda x: wnp.sin(x) * x

    def first(x):
        _, f_vjp = wg.vjp(f, x)
        return f_vjp(wnp.ones_like(x))[0]  # f'(x) elementwise

    x = np.array([1.0, 2.0])
    out, f2_vjp = wg.vjp(first, x)
    np.testing.assert_allclose(out, np.cos(x) * x + np.sin(x), rtol=1e-14)
    (g,) = f2_vjp(np.ones(2))
    assert type(g) is np.ndarray
    np.testing.assert_allclose(g, 2 * np.cos(x) - x * np.sin(x), rtol=1e-14)


def test_transpose_of_vjp_fn_is_the_jvp():
    """vjp_fn is linear in the cotangent: differentiating it in either mode gives J or J^T."""
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    f = lambda x: wnp.tanh(A @ x)
    x0, w = np.array([0.3, -0.2]), np.array([1.0, -1.0])
    J = (1 - np.tanh(A @ x0) ** 2)[:, None] * A
    _, f_vjp = wg.vjp(f, x0)
    out, pull = wg.vjp(lambda u: f_vjp(u)[0], np.zeros(3))
    assert type(out) is np.ndarray
    np.testing.assert_allclose(pull(w)[0], J @ w, rtol=1e-13)
    _, t = wg.jvp(lambda u: f_vjp(u)[0], (np.zeros(3),), (np.ones(3),))
    np.testing.assert_allclose(t, J.T @ np.ones(3), rtol=1e-13)


def test_grad_wrt_closed_over_variable():
    # d/dc [ d/dx (c x^2) at x = 3 ] = d/dc (6c) = 6
    g = wg.grad(lambda c: wg.grad(lambda x: c * x ** 2)(3.0))(2.0)
    assert type(g) is np.ndarray and close(g, 6.0)
    # the same with the inner derivative in forward mode and a vector closure
    c0 = np.array([1.0, 2.0])
    g2 = wg.grad(lambda c: wnp.sum(D_fwd(lambda x: wnp.sum(c * x ** 3))(1.5)))(c0)
    assert close(g2, [3 * 1.5 ** 2] * 2)


def test_closure_over_a_tracer_primal_and_tangent():
    # d/dc [ D_x ( d/dz (z x^2) ) at x = c ] = d/dc 2c = 2
    g = wg.grad(lambda c: D_fwd(lambda x: wg.grad(lambda z: z * x * x)(1.0))(c))(2.0)
    assert close(g, 2.0)
    # the tangent carries c: d/dc [ jvp of x -> d/dz (z x) in direction c ] = 1
    g2 = wg.grad(lambda c: wg.jvp(lambda x: wg.grad(lambda z: z * x)(1.0),
                                  (2.0,), (c,))[1])(3.0)
    assert close(g2, 1.0)


# -- perturbation confusion ---------------------------------------------------------------
@BOTH
def test_perturbation_confusion_sum(outer, inner):
    # Siskind & Pearlmutter: d/dx [ x * d/dy (x + y) |y=1 ] |x=1 = 1 (confusion gives 2)
    r = D[outer](lambda x: x * D[inner](lambda y: x + y)(1.0))(1.0)
    assert close(r, 1.0)


@BOTH
def test_perturbation_confusion_product(outer, inner):
    # d/dx [ x * d/dy (x * y) ] = d/dx x^2 = 2x
    r = D[outer](lambda x: x * D[inner](lambda y: x * y)(3.0))(2.0)
    assert close(r, 4.0)


@BOTH
def test_derivative_of_a_derivative_of_a_constant(outer, inner):
    # d/dx [ x * d/dy x ] = d/dx [x * 0] = 0; an inner derivative that took x's
    # perturbation for y's would give d/dx [x * 1] = 1
    r = D[outer](lambda x: x * D[inner](lambda y: x + 0.0 * y)(1.0))(1.0)
    assert close(r, 0.0)


@BOTH
def test_higher_order_function_shift_operator(outer, inner):
    """The "amazing bug" of Manzyuk, Pearlmutter, Radul, Rush & Siskind (2019):
    s u f x = f(x + u); (D s 0) is the derivative operator, so (D s 0)((D s 0) exp)(1) = e."""
    s = lambda u: lambda f: lambda x: f(x + u)

    def Ds0(d):
        return lambda f: lambda x: d(lambda u: s(u)(f)(x))(0.0)

    r = Ds0(D[outer])(Ds0(D[inner])(wnp.exp))(1.0)
    assert close(r, math.e)


# -- imperative and functional mixed ------------------------------------------------------
def test_imperative_create_graph_inside_functional_grad():
    def f(w):
        x = wg.tensor(2.0, requires_grad=True)
        (gx,) = wg.autograd.grad(w * x ** 3, x, create_graph=True)  # 3 w x^2
        return gx

    g = wg.grad(f)(1.0)
    assert type(g) is np.ndarray and close(g, 12.0)
    assert close(wg.jvp(f, (1.0,), (1.0,))[1], 12.0)


def test_functional_grad_inside_imperative_create_graph():
    x = wg.tensor(1.5, requires_grad=True)
    g = wg.grad(lambda y: y ** 3)(x)   # 3 x^2, still on x's graph
    assert isinstance(g, wg.Tensor) and g.requires_grad
    assert close(g.item(), 3 * 1.5 ** 2)
    g.backward()
    assert close(x.grad.item(), 6 * 1.5)
    # and a third derivative through autograd.grad with create_graph
    x2 = wg.tensor(0.5, requires_grad=True)
    g2 = wg.grad(wg.grad(wnp.sin))(x2)
    (g3,) = wg.autograd.grad(g2, x2)
    assert close(g3.item(), -math.cos(0.5))


def test_functional_grad_on_dual_tensors_gives_hvp():
    x0, v = np.array([0.5, 2.0]), np.array([1.0, -1.0])
    f = lambda x: wnp.sum(x ** 3) + x[0] * x[1]
    with fwAD.dual_level():
        x = fwAD.make_dual(wg.tensor(x0), wg.tensor(v))
        g = wg.grad(f)(x)
        p, t = fwAD.unpack_dual(g)
    np.testing.assert_allclose(p.numpy(), 3 * x0 ** 2 + x0[::-1], rtol=1e-14)
    H = np.diag(6 * x0) + np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(t.numpy(), H @ v, rtol=1e-14)


# -- fourth derivatives in every fwd/rev combination --------------------------------------
def _tanh4(x):
    t = math.tanh(x)
    return 8 * t * (1 - t * t) * (2 - 3 * t * t)


FOURTH = {
    "sin": (wnp.sin, math.sin),
    "exp": (wnp.exp, math.exp),
    "x**5": (lambda x: x ** 5, lambda x: 120 * x),
    "tanh": (wnp.tanh, _tanh4),
    "log": (wnp.log, lambda x: -6 / x ** 4),
    "1/(1+x^2)": (lambda x: 1 / (1 + x ** 2),
                  lambda x: 24 * (5 * x ** 4 - 10 * x ** 2 + 1) / (1 + x ** 2) ** 5),
}


@pytest.mark.parametrize("name", list(FOURTH))
def test_fourth_derivative_all_16_mode_combinations(name):
    f, d4 = FOURTH[name]
    x = 0.7
    for modes in itertools.product("fr", repeat=4):
        h = f
        for m in modes:
            h = D[m](h)
        r = h(x)
        assert type(r) is np.ndarray, modes
        assert math.isclose(float(r), d4(x), rel_tol=1e-11, abs_tol=1e-12), (modes, r)


def test_fourth_derivative_imperative_create_graph():
    x = wg.tensor(0.7, requires_grad=True)
    y = wnp.exp(wnp.sin(x))
    for _ in range(4):
        (y,) = wg.autograd.grad(y, x, create_graph=True)
    # d^4/dx^4 exp(sin x) = e^{sin x} (c^4 - 6 c^2 s + 3 s^2 - 4 c^2 + s) with s = sin, c = cos
    s, c = math.sin(0.7), math.cos(0.7)
    expect = math.exp(s) * (c ** 4 - 6 * c ** 2 * s + 3 * s ** 2 - 4 * c ** 2 + s)
    assert math.isclose(y.item(), expect, rel_tol=1e-12)


def test_mixed_partials_of_two_variables():
    # f = x^2 y^3: d^2 f / dx dy = 6 x y^2 in every mode mix
    f = lambda x, y: x ** 2 * y ** 3
    x, y = 1.5, -0.5
    rr = wg.grad(lambda y: wg.grad(f, argnums=0)(x, y))(y)
    fr = wg.jvp(lambda y: wg.grad(f, argnums=0)(x, y), (y,), (1.0,))[1]
    rf = wg.grad(lambda x: wg.jvp(lambda y: f(x, y), (y,), (1.0,))[1])(x)
    ff = wg.jvp(lambda x: wg.jvp(lambda y: f(x, y), (y,), (1.0,))[1], (x,), (1.0,))[1]
    for r in (rr, fr, rf, ff):
        assert close(r, 6 * x * y ** 2)
