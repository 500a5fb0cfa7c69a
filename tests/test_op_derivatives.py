"""Every entry of tests/op_specs.py OPS, checked in forward mode, reverse mode, to second order
in every mix, through the imperative API, by the complex step where it applies, and with
float32 inputs; then the edge cases: the documented conventions at kinks, prod with zeros,
infinities and large values, empty and 0-d arrays, Python scalars on either side."""
import operator

import numpy as np
import pytest
from _checks import check_complex_step, check_grads, check_imperative, derivative_functions
from op_specs import BINARY, NONDIFF, OPS

import wengert as wg
import wengert.numpy as wnp

_ids = [op.id for op in OPS]


def _tol(op):
    return {"eps": op.eps, "rtol": op.rtol, "atol": op.atol}


# --- the table ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", OPS, ids=_ids)
def test_value_matches_numpy(op):
    args = op.sample()
    got = op.fn(*args)
    want = op.ref(*args)
    assert np.asarray(got).dtype == np.asarray(want).dtype, op.id
    np.testing.assert_allclose(np.asarray(got), want, rtol=op.value_rtol, atol=1e-15)


@pytest.mark.parametrize("op", [o for o in OPS if "fwd" in o.modes], ids=lambda o: o.id)
def test_forward(op):
    check_grads(op.fn, op.sample(1), order=1, modes=("fwd",), label=op.id, **_tol(op))


@pytest.mark.parametrize("op", [o for o in OPS if "rev" in o.modes], ids=lambda o: o.id)
def test_reverse(op):
    check_grads(op.fn, op.sample(2), order=1, modes=("rev",), label=op.id, **_tol(op))


@pytest.mark.parametrize("op", [o for o in OPS if o.order >= 2], ids=lambda o: o.id)
def test_second_order(op):
    """The JVP and VJP functions of ``op`` checked in both modes: fwd-over-fwd,
    rev-over-fwd, fwd-over-rev, rev-over-rev."""
    rng = np.random.default_rng(3)
    for name, g, g_args in derivative_functions(op.fn, op.sample(3), op.modes, rng):
        check_grads(g, g_args, order=op.order - 1, modes=op.modes, rng=rng,
                    label=f"{name}({op.id})", **_tol(op))


@pytest.mark.parametrize("op", OPS, ids=_ids)
def test_imperative(op):
    check_imperative(op.fn, op.sample(4), order=min(op.order, 2), label=op.id, **_tol(op))


@pytest.mark.parametrize("op", [o for o in OPS if o.cstep], ids=lambda o: o.id)
def test_complex_step(op):
    check_complex_step(op.fn, op.sample(5), rtol=op.cstep_rtol, label=op.id)


@pytest.mark.parametrize("op", [o for o in OPS if o.f32], ids=lambda o: o.id)
def test_float32(op):
    """float32 in, float32 out, float32 derivatives (checked inside check_grads)."""
    args = op.sample(6, dtype=np.float32)
    got = op.fn(*args)
    want = op.ref(*args)
    assert np.asarray(got).dtype == np.asarray(want).dtype, op.id
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, atol=1e-6)
    check_grads(op.fn, args, order=1, modes=op.modes, rtol=op.f32_rtol, atol=1e-4, label=op.id)


@pytest.mark.parametrize("nd", NONDIFF, ids=lambda n: n.name)
def test_nondifferentiable(nd):
    rng = np.random.default_rng(7)
    args = [a.sample(rng) for a in nd.args]
    xs = [wg.tensor(a, requires_grad=True) for a in args]
    out = nd.fn(*xs)
    want = nd.ref(*args)
    assert out.dtype == np.asarray(want).dtype
    np.testing.assert_array_equal(out.numpy(), want)
    assert not out.requires_grad and out.grad_fn is None


# --- Python scalars on either side of every binary op ----------------------------------------------
_OPERATORS = {"add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
              "divide": operator.truediv, "true_divide": operator.truediv,
              "power": operator.pow, "floor_divide": operator.floordiv}


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("name,k1,k2", [(b[0], b[1], b[2]) for b in BINARY],
                         ids=[b[0] for b in BINARY])
def test_python_scalar_operand(name, k1, k2, side):
    from op_specs import Arg
    rng = np.random.default_rng(8)
    wf, nf = getattr(wnp, name), getattr(np, name)
    if side == "left":
        # the constant stays >= 0.25 away from every sample of the domain (no ties)
        c = {"power": 1.5, "maximum": 0.0, "minimum": 0.0}.get(name, 2.5)
        x = Arg((3, 2), "pos" if name == "power" else k2).sample(rng)
        f, ref = (lambda x: wf(c, x)), (lambda x: nf(c, x))
        if name == "floor_divide":
            x = Arg((3, 2), "near_one").sample(rng)
            c = 2.5
    else:
        c = {"power": 1.5, "maximum": 0.3, "minimum": 0.3, "floor_divide": 1.0}.get(name, 2.5)
        x = Arg((3, 2), k1).sample(rng)
        f, ref = (lambda x: wf(x, c)), (lambda x: nf(x, c))
    for dt in (np.float64, np.float32):
        xd = x.astype(dt)
        got = f(xd)
        assert got.dtype == ref(xd).dtype == dt  # a Python float does not promote float32
        np.testing.assert_allclose(got.numpy(), ref(xd), rtol=1e-6 if dt == np.float32
                                   else 1e-14)
    check_grads(f, [x], order=2, label=f"{name}({side} scalar)")
    # the Python operator (reflected on the left: float.__add__ defers to Tensor.__radd__)
    if name in _OPERATORS:
        op = _OPERATORS[name]
        t = wg.tensor(x, requires_grad=True)
        r = op(c, t) if side == "left" else op(t, c)
        np.testing.assert_allclose(r.detach().numpy(), ref(x), rtol=1e-14)
        r.sum().backward()
        np.testing.assert_allclose(t.grad.numpy(), wg.grad(lambda a: f(a).sum())(x),
                                   rtol=1e-14)


# --- conventions at kinks -----------------------------------------------------------------------------
def _grad(f, x):
    return np.asarray(wg.grad(f)(np.asarray(x, dtype=float)))


def _jvp(f, x, v):
    return np.asarray(wg.jvp(f, (np.asarray(x, dtype=float),), (np.asarray(v, dtype=float),))[1])


def _hess(f, x):
    """Hessian of scalar f at x by forward-over-reverse, one column per basis vector."""
    x = np.asarray(x, dtype=float)
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e.flat[j] = 1.0
        cols.append(np.asarray(wg.jvp(wg.grad(f), (x,), (e,))[1]).ravel())
    return np.stack(cols, axis=1)


def test_abs_at_zero():
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(_grad(lambda x: wnp.abs(x).sum(), x), [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(_jvp(wnp.abs, x, [1.0, 1.0, 1.0]), [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(_hess(lambda x: wnp.abs(x).sum(), x), np.zeros((3, 3)))


def test_relu_and_maximum_at_zero():
    x = np.array([-1.0, 0.0, 2.0])

    def relu(x):
        return wnp.where(x > 0, x, 0.0)

    np.testing.assert_array_equal(_grad(lambda x: relu(x).sum(), x), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(_jvp(relu, x, [1.0, 1.0, 1.0]), [0.0, 0.0, 1.0])
    # maximum(x, 0) is a tie at x = 0: 1/2 to each side
    np.testing.assert_array_equal(_grad(lambda x: wnp.maximum(x, 0.0).sum(), x),
                                  [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(_grad(lambda x: wnp.minimum(x, 0.0).sum(), x),
                                  [1.0, 0.5, 0.0])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties(name):
    fn = getattr(wnp, name)
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 5.0, 0.0])
    gx, gy = wg.grad(lambda a, b: fn(a, b).sum(), argnums=(0, 1))(x, y)
    big = np.array([0.5, 0.0, 1.0]) if name == "maximum" else np.array([0.5, 1.0, 0.0])
    np.testing.assert_array_equal(gx, big)
    np.testing.assert_array_equal(gy, 1.0 - big)
    _, t = wg.jvp(lambda a, b: fn(a, b), (x, y), (np.array([2.0, 0, 0]), np.array([4.0, 0, 0])))
    assert t[0] == 3.0  # (2 + 4) / 2
    # the same variable on both sides: the halves add up to the derivative of x itself
    np.testing.assert_array_equal(_grad(lambda a: fn(a, a).sum(), x), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(_jvp(lambda a: fn(a, a), x, [1.0, 2.0, 3.0]), [1.0, 2.0, 3.0])


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_reduction_ties_split_evenly(name):
    fn = getattr(wnp, name)
    s = 1.0 if name in ("max", "amax") else -1.0
    x = s * np.array([[1.0, 3.0, 3.0, 2.0], [4.0, 4.0, 4.0, 0.0]])
    g = _grad(lambda a: (fn(a, axis=1) * np.array([1.0, 3.0])).sum(), x)
    np.testing.assert_allclose(g, [[0, 0.5, 0.5, 0], [1.0, 1.0, 1.0, 0]], rtol=1e-15)
    g = _grad(lambda a: fn(a), x)  # global maximum 4 three times
    np.testing.assert_allclose(g, [[0, 0, 0, 0], [1 / 3, 1 / 3, 1 / 3, 0]], rtol=1e-15)
    v = np.arange(8.0).reshape(2, 4)
    np.testing.assert_allclose(_jvp(lambda a: fn(a, axis=1, keepdims=True), x, v),
                               [[1.5], [5.0]], rtol=1e-15)
    np.testing.assert_array_equal(_hess(lambda a: fn(a), x), np.zeros((8, 8)))


def test_clip_at_bounds():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    np.testing.assert_array_equal(_grad(lambda a: wnp.clip(a, 0.0, 1.0).sum(), x),
                                  [0.0, 0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(_jvp(lambda a: wnp.clip(a, 0.0, 1.0), x, np.ones(5)),
                                  [0.0, 0.0, 1.0, 0.0, 0.0])
    # the bounds receive the derivative only strictly outside: 0 at the bound as well
    glo, ghi = wg.grad(lambda lo, hi: wnp.clip(x, lo, hi).sum(), argnums=(0, 1))(0.0, 1.0)
    assert glo == 1.0 and ghi == 1.0  # x = -1 below lo, x = 2 above hi; ties give 0


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "trunc", "rint", "round", "fix"])
def test_piecewise_constant_zero_derivative(name):
    fn = getattr(wnp, name)
    x = np.array([-1.5, -1.0, 0.0, 0.5, 1.0, 2.5])  # jumps included
    np.testing.assert_array_equal(_grad(lambda a: fn(a).sum(), x), np.zeros(6))
    np.testing.assert_array_equal(_jvp(fn, x, np.ones(6)), np.zeros(6))
    np.testing.assert_array_equal(_hess(lambda a: (fn(a) * a).sum(), x), np.zeros((6, 6)))


def test_stop_gradient():
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(wnp.stop_gradient(x).numpy(), x)
    np.testing.assert_array_equal(_grad(lambda a: (wnp.stop_gradient(a) * a).sum(), x), x)
    np.testing.assert_array_equal(_jvp(wnp.stop_gradient, x, [1.0, 1.0]), [0.0, 0.0])


# --- prod with zeros --------------------------------------------------------------------------------
def _prod_others(x):
    return np.array([np.prod(np.delete(x, i)) for i in range(x.size)])


def _prod_hess(x):
    n = x.size
    return np.array([[0.0 if i == j else np.prod(np.delete(x, [i, j])) for j in range(n)]
                     for i in range(n)])


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, -1.5], [0.0, 2.0, 0.0, 3.0],
                               [0.0, 0.0, 0.0, 1.0], [0.0]],
                         ids=["one zero", "two zeros", "three zeros", "single zero"])
def test_prod_with_zeros(x):
    x = np.array(x)
    g = _grad(wnp.prod, x)
    np.testing.assert_array_equal(g, _prod_others(x))  # exact, no NaN
    np.testing.assert_array_equal(_jvp(wnp.prod, x, np.ones_like(x)), _prod_others(x).sum())
    np.testing.assert_array_equal(_hess(wnp.prod, x), _prod_hess(x))
    # reverse-over-reverse too
    gprod = wg.grad(wnp.prod)
    h_rr = np.stack([np.asarray(wg.vjp(gprod, x)[1](e)[0]) for e in np.eye(x.size)])
    np.testing.assert_array_equal(h_rr, _prod_hess(x))


def test_prod_with_zeros_along_axis():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]])
    g = _grad(lambda a: wnp.prod(a, axis=1).sum(), x)
    np.testing.assert_array_equal(g, np.stack([_prod_others(r) for r in x]))
    g0 = _grad(lambda a: wnp.prod(a, axis=0, keepdims=True).sum(), x)
    np.testing.assert_array_equal(g0, np.stack([_prod_others(c) for c in x.T]).T)


# --- infinities and large values ------------------------------------------------------------------------
def test_logsumexp_with_minus_inf():
    x = np.array([-np.inf, 0.0, np.log(2.0)])
    assert wnp.logsumexp(x).item() == pytest.approx(np.log(3.0), rel=1e-15)
    np.testing.assert_allclose(_grad(wnp.logsumexp, x), [0.0, 1 / 3, 2 / 3], rtol=1e-15)
    np.testing.assert_allclose(_jvp(wnp.logsumexp, x, [5.0, 3.0, 0.0]), 1.0, rtol=1e-15)
    h = _hess(wnp.logsumexp, x)
    p = np.array([0.0, 1 / 3, 2 / 3])
    np.testing.assert_allclose(h, np.diag(p) - np.outer(p, p), atol=1e-15)
    rows = np.array([[-np.inf, 1.0], [2.0, 2.0]])
    np.testing.assert_allclose(wnp.logsumexp(rows, axis=1).numpy(), [1.0, 2.0 + np.log(2.0)],
                               rtol=1e-15)
    np.testing.assert_allclose(_grad(lambda a: wnp.logsumexp(a, axis=1).sum(), rows),
                               [[0.0, 1.0], [0.5, 0.5]], rtol=1e-15)


def test_large_values():
    x = np.array([1000.0, 1000.0, 0.0])
    np.testing.assert_allclose(wnp.logsumexp(x).item(), 1000.0 + np.log(2.0), rtol=1e-15)
    np.testing.assert_allclose(_grad(wnp.logsumexp, x), [0.5, 0.5, 0.0], atol=1e-300)
    np.testing.assert_allclose(wnp.softmax(x).numpy(), [0.5, 0.5, 0.0], atol=1e-300)
    w = np.array([1.0, -2.0, 3.0])
    g = _grad(lambda a: (wnp.softmax(a) * w).sum(), x)
    np.testing.assert_allclose(g, [0.75, -0.75, 0.0], atol=1e-300)
    ls = wnp.log_softmax(np.array([1000.0, 0.0]))
    np.testing.assert_allclose(ls.numpy(), [0.0, -1000.0], atol=1e-12)
    g = _grad(lambda a: wnp.log_softmax(a)[1], np.array([1000.0, 0.0]))
    np.testing.assert_allclose(g, [-1.0, 1.0], atol=1e-300)
    s = np.array([-1000.0, 0.0, 1000.0])
    np.testing.assert_array_equal(wnp.sigmoid(s).numpy(), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(_grad(lambda a: wnp.sigmoid(a).sum(), s), [0.0, 0.25, 0.0])


def test_exp_overflow_and_log_of_zero_are_numpy_values():
    with np.errstate(over="ignore", divide="ignore"):
        assert wnp.exp(np.array(1000.0)).item() == np.inf
        assert wnp.log(np.array(0.0)).item() == -np.inf
        assert _grad(wnp.log, 0.0) == np.inf


# --- empty and 0-d arrays -------------------------------------------------------------------------------
@pytest.mark.parametrize("fn,ref,shape", [
    (lambda a: wnp.sum(a, axis=0), lambda a: np.sum(a, axis=0), (0, 3)),
    (lambda a: wnp.sum(a), np.sum, (0, 3)),
    (lambda a: wnp.sum(a, axis=1), lambda a: np.sum(a, axis=1), (0, 3)),
    (lambda a: wnp.prod(a, axis=0), lambda a: np.prod(a, axis=0), (0, 3)),
    (wnp.exp, np.exp, (0,)),
    (lambda a: wnp.reshape(a, (3, 0)), lambda a: np.reshape(a, (3, 0)), (0, 3)),
    (lambda a: wnp.matmul(a, np.ones((3, 2))), lambda a: a @ np.ones((3, 2)), (0, 3)),
    (lambda a: wnp.matmul(np.ones((3, 2)), a), lambda a: np.ones((3, 2)) @ a, (2, 0)),
    (lambda a: wnp.concatenate([a, np.ones((1, 3))]),
     lambda a: np.concatenate([a, np.ones((1, 3))]), (0, 3)),
], ids=["sum axis0", "sum all", "sum axis1", "prod axis0", "exp", "reshape", "matmul",
        "matmul to zeros", "concatenate"])
def test_empty_arrays(fn, ref, shape):
    x = np.zeros(shape)
    out = fn(x)
    np.testing.assert_array_equal(out.numpy(), ref(x))
    assert out.dtype == ref(x).dtype
    u = np.random.default_rng(0).standard_normal(out.shape)
    (g,) = wg.vjp(fn, x)[1](u)
    assert g.shape == shape and g.dtype == np.float64
    t = wg.jvp(fn, (x,), (np.zeros(shape),))[1]
    # nothing depends on an empty input: the tangent is zero (sum over no terms)
    assert t.shape == out.shape and t.dtype == out.dtype
    np.testing.assert_array_equal(t, np.zeros(out.shape))
    xt = wg.tensor(x, requires_grad=True)
    fn(xt).backward(gradient=wg.tensor(u))
    assert xt.grad.shape == shape


def test_empty_matmul_gives_zeros_and_empty_grads():
    a, b = np.zeros((2, 0)), np.zeros((0, 3))
    out, pullback = wg.vjp(wnp.matmul, a, b)
    np.testing.assert_array_equal(out, np.zeros((2, 3)))
    ga, gb = pullback(np.ones((2, 3)))
    assert ga.shape == (2, 0) and gb.shape == (0, 3)


def test_zero_dim_inputs():
    assert wg.grad(wnp.sin)(1.0) == pytest.approx(np.cos(1.0), rel=1e-15)
    g = wg.grad(lambda x, y: x * y ** 2, argnums=(0, 1))(np.float64(3.0), np.array(2.0))
    np.testing.assert_allclose(g, (4.0, 12.0), rtol=1e-15)
    _, t = wg.jvp(wnp.exp, (np.array(0.5),), (np.array(2.0),))
    assert np.shape(t) == () and t == pytest.approx(2 * np.exp(0.5), rel=1e-15)
    x = wg.tensor(2.0, requires_grad=True)
    (x ** 3).backward()
    assert x.grad.shape == () and x.grad.item() == 12.0
    # a 0-d operand broadcast against a vector gets the summed cotangent
    gs = wg.grad(lambda s, v: (s * v).sum(), argnums=0)(np.array(2.0), np.arange(4.0))
    assert np.shape(gs) == () and gs == 6.0


# --- float32 stays float32 -----------------------------------------------------------------------------
def test_float32_mixed_with_float64_gets_float32_gradient():
    x = np.array([1.0, 2.0], dtype=np.float32)
    y = np.array([3.0, 4.0])
    gx, gy = wg.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, y)
    assert gx.dtype == np.float32 and gy.dtype == np.float64
    np.testing.assert_array_equal(gx, y.astype(np.float32))
    h = _hess(lambda a: (a.astype(np.float32) ** 3).sum(), np.array([1.0, 2.0]))
    np.testing.assert_allclose(h, np.diag([6.0, 12.0]), rtol=1e-6)


# --- regressions found by the table -------------------------------------------------------------------
def test_power_higher_derivatives_at_zero_are_exact_and_quiet():
    """x**3 differentiated 5 times at 0: 0, 0, 6, 0, 0 (no 0**-1 evaluated: warnings are
    errors in this suite); the same with a tensor exponent and in forward mode."""
    for f in (lambda x: x ** 3, lambda x: wnp.power(x, np.array(3.0))):
        g, want = f, [0.0, 0.0, 6.0, 0.0, 0.0]
        for w in want:
            g = wg.grad(g)
            assert g(0.0) == w

    def d1(y):
        return wg.jvp(lambda z: z ** 3, (y,), (1.0,))[1]

    def h(x):
        return wg.jvp(d1, (x,), (1.0,))[1]

    assert wg.jvp(h, (0.0,), (1.0,))[1] == 6.0
    assert wg.grad(wg.grad(h))(0.0) == 0.0
    assert wg.grad(wg.grad(lambda x: wnp.power(x, 0)))(0.0) == 0.0


def test_std_of_constant_has_zero_derivative():
    x = np.full((2, 3), 1.5)
    assert wnp.std(x).item() == 0.0
    np.testing.assert_array_equal(_grad(wnp.std, x), np.zeros((2, 3)))
    np.testing.assert_array_equal(_grad(lambda a: wnp.std(a, axis=1).sum(), x), np.zeros((2, 3)))
    np.testing.assert_array_equal(_hess(wnp.std, x[0]), np.zeros((3, 3)))


def test_logsumexp_all_minus_inf():
    x = np.array([[-np.inf, -np.inf], [0.0, 0.0]])
    np.testing.assert_array_equal(wnp.logsumexp(x, axis=1).numpy(), [-np.inf, np.log(2.0)])
    np.testing.assert_array_equal(_grad(lambda a: wnp.logsumexp(a, axis=1)[1], x),
                                  [[0.0, 0.0], [0.5, 0.5]])


def test_abs_of_complex():
    z = np.array([3.0 + 4.0j, 0.0j])
    # JAX's convention: the VJP of |z| with cotangent 1 is conj(z)/|z|; 0 at z = 0
    (g,) = wg.vjp(wnp.abs, z)[1](np.ones(2))
    np.testing.assert_allclose(g, [0.6 - 0.8j, 0.0], rtol=1e-15)
    _, t = wg.jvp(wnp.abs, (z,), (np.array([1j, 1.0 + 0j]),))
    np.testing.assert_allclose(t, [0.8, 0.0], rtol=1e-15)
    assert t.dtype == np.float64


def test_imag_of_real_is_zero_everywhere():
    x = np.array([np.inf, -1.0, np.nan])
    np.testing.assert_array_equal(wnp.imag(x).numpy(), np.imag(x))
    np.testing.assert_array_equal(_grad(lambda a: wnp.imag(a).sum(), np.ones(3)), np.zeros(3))


@pytest.mark.parametrize("name", ["floor", "sign", "round"])
def test_zero_derivative_backward_sets_zero_grad(name):
    """As PyTorch: backward through a piecewise-constant op leaves zeros in .grad."""
    x = wg.tensor([0.5, 1.5], requires_grad=True)
    getattr(wnp, name)(x).sum().backward()
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_clip_with_crossed_bounds_follows_numpy():
    """lo > hi: NumPy returns hi, so only hi gets the derivative."""
    x = np.array([0.0, 3.0, 1.5])
    out = wnp.clip(x, 2.0, 1.0)
    np.testing.assert_array_equal(out.numpy(), np.clip(x, 2.0, 1.0))
    gx, glo, ghi = wg.grad(lambda a, lo, hi: wnp.clip(a, lo, hi).sum(), argnums=(0, 1, 2))(
        x, 2.0, 1.0)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0])
    assert glo == 0.0 and ghi == 3.0
