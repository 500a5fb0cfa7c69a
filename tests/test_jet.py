"""Taylor mode (wg.jet) against nested derivatives and known series."""
import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp


def nested_derivs(f, x, v, K):
    """d^k/dt^k f(x + t v) at t = 0 for k = 1..K, by nested forward mode."""
    out = []
    g = f
    for _ in range(K):
        g = (lambda h: lambda y: wg.jvp(h, (y,), (v,))[1])(g)
        out.append(np.asarray(g(x)))
    return out


FUNS = {
    "exp": wnp.exp, "sin": wnp.sin, "cos": wnp.cos, "log": wnp.log, "tanh": wnp.tanh,
    "sqrt": wnp.sqrt, "reciprocal": lambda x: 1.0 / x, "power": lambda x: x ** 3.5,
    "composite": lambda x: wnp.sin(x) * wnp.exp(-x * x) + wnp.log1p(x * x),
    "arctan": wnp.arctan, "sigmoid": wnp.sigmoid,
}


@pytest.mark.parametrize("name", sorted(FUNS))
def test_scalar_functions_match_nested_jvp(name):
    f = FUNS[name]
    x = np.array([0.3, 0.9, 1.7])
    v = np.array([1.0, -0.5, 2.0])
    K = 4
    _, series = wg.jet(f, (x,), ([v] + [np.zeros(3)] * (K - 1),))
    ref = nested_derivs(f, x, v, K)
    for k in range(K):
        np.testing.assert_allclose(series[k], ref[k], rtol=1e-10, atol=1e-12)


def test_known_series():
    x = 0.4
    K = 6
    _, s = wg.jet(wnp.exp, (x,), ([1.0] + [0.0] * (K - 1),))
    np.testing.assert_allclose(s, [math.exp(x)] * K, rtol=1e-13)
    _, s = wg.jet(wnp.sin, (x,), ([1.0] + [0.0] * (K - 1),))
    ref = [math.cos(x), -math.sin(x), -math.cos(x), math.sin(x), math.cos(x), -math.sin(x)]
    np.testing.assert_allclose(s, ref, rtol=1e-13)
    _, s = wg.jet(lambda y: 1 / (1 - y), (x,), ([1.0] + [0.0] * (K - 1),))
    np.testing.assert_allclose(s, [math.factorial(k) / (1 - x) ** (k + 1) for k in range(1, K + 1)],
                               rtol=1e-12)


def test_higher_input_coefficients_compose():
    # x(t) = x0 + t + t^2/2 (second derivative coefficient 1): y = exp(x(t))
    # y' = x' e^x, y'' = (x'' + x'^2) e^x at t = 0 -> (1, 2) e^{x0}
    x0 = 0.2
    _, s = wg.jet(wnp.exp, (x0,), ([1.0, 1.0],))
    np.testing.assert_allclose(s, [math.exp(x0), 2 * math.exp(x0)], rtol=1e-13)


def test_matmul_reductions_and_shape_ops():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, 3))
    x = rng.standard_normal(3)
    v = rng.standard_normal(3)

    def f(y):
        h = wnp.tanh(W @ y)
        return wnp.sum(wnp.reshape(h, (2, 2)).T * h[::-1].reshape(2, 2)) + wnp.max(h)

    _, s = wg.jet(f, (x,), ([v, np.zeros(3), np.zeros(3)],))
    ref = nested_derivs(f, x, v, 3)
    np.testing.assert_allclose(s, ref, rtol=1e-9, atol=1e-12)


def test_two_inputs_and_pytree_output():
    def f(a, b):
        return {"p": a * b, "q": wnp.exp(a) / b}

    a, b = 0.5, 1.5
    out, s = wg.jet(f, (a, b), ([1.0, 0.0, 0.0], [0.5, 0.0, 0.0]))
    assert set(out) == {"p", "q"}
    g = lambda t: f(a + t, b + 0.5 * t)["q"]  # noqa: E731
    ref = nested_derivs(g, 0.0, 1.0, 3)
    np.testing.assert_allclose(s["q"], ref, rtol=1e-10)
    # p = (a + t)(b + t/2): p' = b + a/2, p'' = 1, p''' = 0
    np.testing.assert_allclose(s["p"], [b + a / 2, 1.0, 0.0], atol=1e-14)


def test_jet_composes_with_grad():
    # d/dx of the second directional derivative equals the third derivative
    f = lambda x: wnp.sin(x) * x  # noqa: E731
    second = lambda x: wg.jet(f, (x,), ([1.0, 0.0],))[1][1]  # noqa: E731
    x = 0.7
    ref = -3 * math.sin(x) - x * math.cos(x)  # f''' for x sin x
    np.testing.assert_allclose(wg.grad(second)(x), ref, rtol=1e-12)


def test_bad_series():
    with pytest.raises(TypeError):
        wg.jet(wnp.sin, 1.0, [1.0])
    with pytest.raises(wg.ShapeError):
        wg.jet(lambda a, b: a * b, (1.0, 2.0), ([1.0], [1.0, 2.0]))


def test_primitives_with_several_outputs():
    # slogdet and eigh have two outputs; their Taylor rule is the generic one
    a = np.array([[2.0, 0.3], [0.3, 1.5]])
    v = np.array([[0.1, 0.2], [0.2, -0.1]])
    f = lambda m: wnp.linalg.slogdet(m)[1]  # noqa: E731
    _, s = wg.jet(f, (a,), ([v, 0 * v],))
    np.testing.assert_allclose(s, nested_derivs(f, a, v, 2), rtol=1e-10)
    g = lambda m: wnp.sum(wnp.linalg.eigh(m)[0] ** 2)  # noqa: E731  (= ||m||_F^2)
    _, s = wg.jet(g, (a,), ([v, 0 * v],))
    np.testing.assert_allclose(s, [2 * np.sum(a * v), 2 * np.sum(v * v)], rtol=1e-10)
