"""Numerical stability (issue 3, item 4): the logistic family, logsumexp and (log_)softmax at
|x| = 1000, norms, std and xlogy at 0, sinc at 0, prod with zeros, and strong zeros: a zero
cotangent (or tangent) stays zero through every rule that multiplies it by a local derivative,
so an untaken branch of ``where`` leaks no NaN, in reverse and forward mode and at second
order.  References: closed forms, SciPy's forward values, finite differences."""
import numpy as np
import pytest
import scipy.special as sps
from _checks import check_grads

import wengert as wg
import wengert.numpy as wnp
import wengert.numpy._family as family
import wengert.scipy.special as wsp

TAILS = np.array([-1000.0, -745.0, -40.0, -37.0, -1.0, 0.0, 1.0, 37.0, 40.0, 1000.0])


def _grad(f, x):
    return np.asarray(wg.grad(lambda a: wnp.sum(f(a)))(np.asarray(x, dtype=float)))


def _grad2(f, x):
    """Diagonal second derivative of an elementwise f (rev over rev)."""
    return np.asarray(wg.grad(lambda a: wnp.sum(wg.grad(lambda b: wnp.sum(f(b)))(a)))(
        np.asarray(x, dtype=float)))


def _jvp(f, x, v):
    return np.asarray(wg.jvp(f, (np.asarray(x, dtype=float),), (np.asarray(v, dtype=float),))[1])


def _rel(a, b):
    """Elementwise relative error, exact zeros compared exactly."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    den = np.where(b == 0, 1.0, np.abs(b))
    return np.where((a == 0) & (b == 0), 0.0, np.abs(a - b) / den)


# --- the logistic family --------------------------------------------------------------------
def _s(x):
    """sigmoid(x) in the exact exp(-|x|) form, computed in NumPy (a reference)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def test_sigmoid_values_and_gradients_in_both_tails():
    s, sm = _s(TAILS), _s(-TAILS)
    got = wnp.sigmoid(TAILS).numpy()
    # SciPy underflows to 0 below about -709; wengert keeps the subnormal e^-745
    assert _rel(got[2:], sps.expit(TAILS[2:])).max() <= 2.3e-16
    assert got[1] == 5e-324 and got[0] == 0.0 and got[-1] == 1.0
    g = _grad(wnp.sigmoid, TAILS)
    assert np.all(np.isfinite(g))
    assert _rel(g, s * sm).max() <= 5e-16  # relative accuracy in both tails
    assert g[5] == 0.25 and g[3] > 8e-17 and g[7] == g[3]  # e^-37 survives at +37 too
    # the old 0.5 * (1 + tanh(x/2)) form: exactly 0 below -37, so a zero tail gradient
    assert 0.5 * (1 + np.tanh(-40.0 / 2)) == 0.0 and g[2] > 4e-18
    # sigmoid'' = s sm (sm - s); 0 at 0
    assert _rel(_grad2(wnp.sigmoid, TAILS), s * sm * (sm - s)).max() <= 1e-15
    np.testing.assert_array_equal(_jvp(wnp.sigmoid, TAILS, np.ones(10)), g)
    assert wnp.expit is wnp.sigmoid


def test_sigmoid_float32_and_complex():
    x = np.array([-80.0, -20.0, 0.0, 20.0, 100.0], np.float32)  # e^-80: a normal float32
    y = wnp.sigmoid(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), _s(x.astype(float)), rtol=1e-6, atol=0)
    g = wg.grad(lambda a: wnp.sum(wnp.sigmoid(a)))(x)
    assert g.dtype == np.float32 and g[2] == 0.25 and g[1] > 0
    z = np.array([0.3 + 0.2j, -1.0 + 2.0j])  # holomorphic on complex input
    np.testing.assert_allclose(wnp.sigmoid(z).numpy(), 1 / (1 + np.exp(-z)), rtol=1e-14)
    check_grads(wnp.sigmoid, [z], order=2)


def test_softplus_and_log_sigmoid_in_both_tails():
    s, sm = _s(TAILS), _s(-TAILS)
    np.testing.assert_allclose(wnp.softplus(TAILS).numpy(), sps.softplus(TAILS), rtol=1e-15,
                               atol=0)
    ls = wnp.log_sigmoid(TAILS).numpy()
    np.testing.assert_allclose(ls, sps.log_expit(TAILS), rtol=1e-15, atol=0)
    assert ls[0] == -1000.0 and np.all(np.isfinite(ls))
    # the naive log(sigmoid(x)) is log(0) = -inf at x = -1000
    with np.errstate(divide="ignore"):
        assert wnp.log(wnp.sigmoid(-1000.0)).item() == -np.inf
    assert _rel(_grad(wnp.softplus, TAILS), s).max() <= 5e-16
    assert _rel(_grad(wnp.log_sigmoid, TAILS), sm).max() <= 5e-16
    assert _rel(_grad2(wnp.softplus, TAILS), s * sm).max() <= 5e-16
    assert _rel(_grad2(wnp.log_sigmoid, TAILS), -s * sm).max() <= 5e-16
    assert _grad(wnp.softplus, 0.0) == 0.5 and _grad2(wnp.softplus, 0.0) == 0.25
    assert _grad(wnp.log_sigmoid, -1000.0) == 1.0 and _grad(wnp.log_sigmoid, 1000.0) == 0.0


@pytest.mark.parametrize("ours,theirs", [(wnp.sigmoid, wsp.expit),
                                         (wnp.softplus, wsp.softplus),
                                         (wnp.log_sigmoid, wsp.log_expit)],
                         ids=["sigmoid", "softplus", "log_sigmoid"])
def test_wnp_and_scipy_special_agree(ours, theirs):
    x = TAILS[2:]  # scipy.special.expit underflows early below -709 (see above)
    np.testing.assert_allclose(ours(x).numpy(), theirs(x).numpy(), rtol=3e-16, atol=0)
    for d in (_grad, _grad2):
        a, b = d(ours, x), d(theirs, x)
        assert _rel(a, b).max() <= 5e-16, (a, b)


# --- logsumexp, softmax, log_softmax ----------------------------------------------------------
@pytest.mark.parametrize("lse", [wnp.logsumexp, wsp.logsumexp], ids=["wnp", "scipy.special"])
def test_logsumexp_all_minus_inf_is_minus_inf_with_zero_gradient(lse):
    x = np.array([[-np.inf, -np.inf], [0.0, 1.0]])
    np.testing.assert_array_equal(lse(x, axis=1).numpy(), sps.logsumexp(x, axis=1))
    p = np.exp(x[1] - sps.logsumexp(x[1]))
    g = _grad(lambda a: lse(a, axis=1), x)
    np.testing.assert_allclose(g, [[0.0, 0.0], p], rtol=1e-15, atol=0)
    t = _jvp(lambda a: lse(a, axis=1), x, np.ones((2, 2)))
    np.testing.assert_allclose(t, [0.0, 1.0], rtol=1e-15)
    # second order: the Hessian block of the empty row is 0 as well
    h = wg.jacfwd(wg.grad(lambda a: wnp.sum(lse(a, axis=1))))(x)
    np.testing.assert_array_equal(np.asarray(h)[0], np.zeros((2, 2, 2)))
    # weights that are all 0 give an empty sum too
    np.testing.assert_array_equal(_grad(lambda a: lse(a, b=np.zeros(2)), np.ones(2)), [0, 0])


@pytest.mark.parametrize("lse", [wnp.logsumexp, wsp.logsumexp], ids=["wnp", "scipy.special"])
def test_logsumexp_at_1000_and_with_zero_weights(lse):
    x = np.array([1000.0, 999.0, -1000.0])
    assert lse(x).item() == pytest.approx(sps.logsumexp(x), rel=1e-15)
    e = np.exp(x - x.max())
    np.testing.assert_allclose(_grad(lse, x), e / e.sum(), rtol=1e-15, atol=1e-300)
    # a weight-0 entry is left out of the shift: log(e^0) = 0, not log(e^-1000 * 1) = -inf
    a, b = np.array([1000.0, 0.0]), np.array([0.0, 1.0])
    assert lse(a, b=b).item() == 0.0 == sps.logsumexp(a, b=b)
    np.testing.assert_array_equal(_grad(lambda v: lse(v, b=b), a), [0.0, 1.0])
    # the derivative in a weight is e^(a - lse), also where the weight is 0
    a, b = np.array([3.0, 0.0, 1.0]), np.array([0.0, 1.0, 2.0])
    np.testing.assert_allclose(_grad(lambda w: lse(a, b=w), b),
                               np.exp(a - sps.logsumexp(a, b=b)), rtol=1e-14)


def test_logsumexp_complex_uses_a_real_shift():
    z = np.array([1.0 + 50.0j, 2.0 - 30.0j, 0.5 + 3.0j])  # large phases: the principal branch
    np.testing.assert_allclose(wnp.logsumexp(z).numpy(), sps.logsumexp(z), rtol=1e-15)
    np.testing.assert_allclose(wnp.softmax(z).numpy(), sps.softmax(z), rtol=1e-14, atol=1e-16)
    # holomorphic: the VJP of 1 is d/dz_i logsumexp = softmax(z) (no conjugation)
    (g,) = wg.vjp(wnp.logsumexp, z)[1](1.0 + 0j)
    np.testing.assert_allclose(g, sps.softmax(z), rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("lsm", [wnp.log_softmax, wsp.log_softmax], ids=["wnp", "scipy.special"])
def test_log_softmax_at_1000(lsm):
    x = np.array([1000.0, 0.0, -1000.0])
    np.testing.assert_array_equal(lsm(x).numpy(), sps.log_softmax(x))
    w = np.array([0.5, -1.0, 2.0])
    g = _grad(lambda a: lsm(a) * w, x)
    p = np.array([1.0, 0.0, 0.0])
    np.testing.assert_allclose(g, w - p * w.sum(), rtol=1e-15, atol=1e-300)
    # an entry at -inf has log-probability -inf and gets gradient w_i (p_i = 0), no NaN
    y = np.array([-np.inf, 0.0, 1.0])
    g = _grad(lambda a: wnp.where(np.isfinite(y), lsm(a) * w, 0.0), y)
    q = np.exp(y - sps.logsumexp(y))
    np.testing.assert_allclose(g, [0.0, -1.0, 2.0] - q * (-1.0 + 2.0), rtol=1e-15)


# --- norms, std, sqrt at 0 ------------------------------------------------------------------------
@pytest.mark.parametrize("ord", [None, 2, 1, np.inf, -np.inf, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_vector_norm_at_zero_has_zero_subgradient(ord, dtype):
    x = np.zeros(3, dtype)
    f = lambda a: wnp.linalg.norm(a, ord)
    assert f(x).item() == np.linalg.norm(x, ord) == 0.0
    (g,) = wg.vjp(f, x)[1](1.0)
    np.testing.assert_array_equal(g, np.zeros(3, dtype))
    np.testing.assert_array_equal(wg.jvp(f, (x,), (np.ones(3, dtype),))[1], 0.0)
    # second order: finite (a Hessian of a norm at 0 does not exist; 0 is what is returned)
    h = wg.jacfwd(wg.grad(lambda a: f(a)))(np.zeros(3))
    assert np.all(np.isfinite(h))


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf])
def test_matrix_norm_at_zero_has_zero_subgradient(ord):
    x = np.zeros((2, 3))
    g = _grad(lambda a: wnp.linalg.norm(a, ord), x)
    np.testing.assert_array_equal(g, np.zeros((2, 3)))
    np.testing.assert_array_equal(_jvp(lambda a: wnp.linalg.norm(a, ord), x, np.ones((2, 3))),
                                  0.0)


def test_std_of_a_constant():
    for x in (np.full(4, 2.5), np.full(4, 1 - 2j), np.full(4, 3.0, np.float32)):
        assert wnp.std(x).item() == 0.0
        (g,) = wg.vjp(wnp.std, x)[1](np.ones((), np.float64).astype(wnp.std(x).dtype))
        np.testing.assert_array_equal(g, np.zeros(4, x.dtype))
        assert g.dtype == x.dtype
    h = wg.jacfwd(wg.grad(wnp.std))(np.full(3, 2.0))
    np.testing.assert_array_equal(h, np.zeros((3, 3)))


def test_sqrt_at_zero_is_infinite_not_nan():
    """sqrt'(0) = +inf is the derivative (no subgradient exists); it is returned as such,
    and warns like NumPy's 1/0.  Norms are differentiated at 0 by wnp.linalg.norm (above),
    not by sqrt(sum(x**2)), whose chain rule meets inf * 0 at 0."""
    with np.errstate(divide="ignore"):
        assert wg.grad(wnp.sqrt)(0.0) == np.inf
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        wg.grad(wnp.sqrt)(0.0)


# --- xlogy, sinc, prod -------------------------------------------------------------------------------
def test_xlogy_at_zero():
    assert wsp.xlogy(0.0, 0.0).item() == 0.0
    gx, gy = wg.grad(lambda x, y: wsp.xlogy(x, y), argnums=(0, 1))(0.0, 2.0)
    assert gx == np.log(2.0) and gy == 0.0
    assert wg.grad(lambda y: wsp.xlogy(0.0, y))(0.0) == 0.0
    # entropy-style sum(p log p) with a zero probability: finite gradient in the other entries
    p = np.array([0.0, 0.25, 0.75])
    g = wg.grad(lambda q: wnp.sum(wsp.xlogy(q, np.array([1.0, 0.25, 0.75]))))(p)
    np.testing.assert_allclose(g, np.log([1.0, 0.25, 0.75]), rtol=1e-15)


@pytest.mark.skipif(not hasattr(wnp, "sinc"), reason="wnp.sinc is added by another change")
def test_sinc_at_zero():
    assert wnp.sinc(0.0).item() == 1.0
    assert wg.grad(wnp.sinc)(0.0) == 0.0
    np.testing.assert_allclose(wg.grad(wg.grad(wnp.sinc))(0.0), -np.pi ** 2 / 3, rtol=1e-14)
    assert wg.jvp(wnp.sinc, (0.0,), (1.0,))[1] == 0.0
    x = np.array([-1e-9, 0.0, 1e-9, 0.05, 0.5])
    check_grads(wnp.sinc, [x], order=2)


def _prod_others(x):
    return np.array([np.prod(np.delete(x, i)) for i in range(x.size)])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_prod_with_zeros_all_dtypes(dtype):
    x = np.array([2.0, 0.0, -3.0, 0.0, 1.5]).astype(dtype)
    (g,) = wg.vjp(wnp.prod, x)[1](np.ones((), dtype))
    assert g.dtype == dtype
    np.testing.assert_array_equal(g, _prod_others(x))
    x1 = np.array([2.0, 0.0, -3.0]).astype(dtype)
    (g,) = wg.vjp(wnp.prod, x1)[1](np.ones((), dtype))
    np.testing.assert_array_equal(g, [0.0, -6.0, 0.0])


# --- strong zeros: no NaN from an untaken branch -----------------------------------------------------
def test_where_sqrt_untaken_branch():
    """grad of where(x > 0, sqrt(x), 0) at x = -1 is 0 (NaN without strong zeros), and
    1/(2 sqrt x) where the branch is taken; the same in forward mode and at second order."""
    f = lambda x: wnp.where(x > 0, wnp.sqrt(x), 0.0)
    x = np.array([-1.0, 4.0])
    with np.errstate(invalid="ignore"):  # NumPy's own warning for sqrt(-1) in the forward pass
        np.testing.assert_array_equal(_grad(f, x), [0.0, 0.25])
        np.testing.assert_array_equal(_jvp(f, x, [1.0, 1.0]), [0.0, 0.25])
        np.testing.assert_array_equal(_grad2(f, x), [0.0, -1 / 32])
        # forward over reverse, reverse over forward
        h = wg.jacfwd(wg.grad(lambda a: wnp.sum(f(a))))(x)
        np.testing.assert_array_equal(h, np.diag([0.0, -1 / 32]))
        d = wg.grad(lambda a: wnp.sum(wg.jvp(f, (a,), (np.ones(2),))[1]))(x)
        np.testing.assert_array_equal(d, [0.0, -1 / 32])
        # imperative API
        t = wg.tensor(x, requires_grad=True)
        wnp.sum(f(t)).backward()
        np.testing.assert_array_equal(t.grad.numpy(), [0.0, 0.25])


def test_where_sin_x_over_x_at_zero():
    f = lambda x: wnp.where(x != 0, wnp.sin(x) / x, 1.0)
    x = np.array([0.0, 0.5])
    ref = (np.cos(0.5) * 0.5 - np.sin(0.5)) / 0.25
    with np.errstate(invalid="ignore", divide="ignore"):
        g = _grad(f, x)
        np.testing.assert_allclose(g, [0.0, ref], rtol=1e-15)
        assert g[0] == 0.0  # the true derivative of the continuous extension at 0
        np.testing.assert_allclose(_jvp(f, x, [1.0, 1.0]), [0.0, ref], rtol=1e-15)
        h = _grad2(f, x)
        assert np.all(np.isfinite(h))  # where follows its condition: the 1 branch at x = 0


@pytest.mark.parametrize("name,f,x", [
    ("divide", lambda x: wnp.where(x != 0, 1.0 / x, 0.0), [0.0, 2.0]),
    ("log", lambda x: wnp.where(x > 0, wnp.log(x), 0.0), [0.0, 2.0]),
    ("power", lambda x: wnp.where(x > 0, x ** 0.5, 0.0), [-1.0, 4.0]),
    ("power tensor exponent", lambda x: wnp.where(x > 0, wnp.power(x, np.array(0.5)), 0.0),
     [-1.0, 4.0]),
    ("reciprocal", lambda x: wnp.where(x != 0, wnp.reciprocal(x), 0.0), [0.0, 2.0]),
    ("arctan of 1/x", lambda x: wnp.where(x != 0, wnp.arctan(1.0 / x), 0.0), [0.0, 2.0]),
    ("tanh of sqrt", lambda x: wnp.where(x > 0, wnp.tanh(wnp.sqrt(x)), 0.0), [-1.0, 4.0]),
    ("exp overflow", lambda x: wnp.where(x < 100, wnp.exp(x), 0.0), [1000.0, 1.0]),
    ("prod", lambda x: wnp.where(x[0] > 0, wnp.prod(wnp.log(x)), 0.0), [0.0, 2.0]),
    ("max with nan", lambda x: wnp.where(x[0] > 0, wnp.max(wnp.sqrt(x)), 0.0), [-1.0, 4.0]),
    ("abs of complex", lambda x: wnp.where(x > 0, wnp.abs(wnp.sqrt(x + 0j) / x), 0.0),
     [0.0, 4.0]),
], ids=lambda v: v if isinstance(v, str) else "")
def test_no_nan_from_untaken_branches(name, f, x):
    x = np.asarray(x)
    ones = np.ones_like(x)
    with np.errstate(all="ignore"):  # NumPy's warnings for the untaken branch's own values
        out = np.asarray(f(x))
        g = _grad(f, x)
        t = _jvp(f, x, ones)
        h = _grad2(f, x)
        # every mix at second order, and a third derivative
        h_fr = np.asarray(wg.jacfwd(wg.grad(lambda a: wnp.sum(f(a))))(x))
        h_rf = _grad(lambda a: wg.jvp(f, (a,), (ones,))[1], x)
        h_ff = _jvp(lambda a: wg.jvp(f, (a,), (ones,))[1], x, ones)
        d3 = _grad(lambda a: wnp.sum(wg.grad(lambda b: wnp.sum(wg.grad(
            lambda c: wnp.sum(f(c)))(b)))(a)), x)
        if out.ndim == 1:
            eps = 1e-6
            num = np.array([(f(x + eps * e).numpy() - f(x - eps * e).numpy())[i] / (2 * eps)
                            for i, e in enumerate(np.eye(len(x)))])
    for what, v in [("grad", g), ("jvp", t), ("rev-rev", h), ("fwd-rev", h_fr),
                    ("rev-fwd", h_rf), ("fwd-fwd", h_ff), ("third", d3)]:
        assert np.all(np.isfinite(v)), f"{name}: {what} {v}"
    if out.ndim == 1:
        # the taken branch keeps its derivative (finite differences); the untaken one is 0
        taken = np.isfinite(out) & (out != 0)
        np.testing.assert_allclose(g[taken], num[taken], rtol=1e-7)
        np.testing.assert_array_equal(g[~taken], 0.0)
        np.testing.assert_array_equal(h[~taken], 0.0)
        np.testing.assert_allclose(np.diag(h_fr), h, rtol=1e-14)
        np.testing.assert_allclose(h_rf, h, rtol=1e-14)
        np.testing.assert_allclose(h_ff, h, rtol=1e-14)


def test_strong_zero_is_quiet():
    """0 * inf inside a rule is skipped, not evaluated and overwritten: no RuntimeWarning
    (the suite runs with warnings as errors) and no NaN, in both modes."""
    y = np.array([np.inf, 2.0])
    f = lambda x: wnp.where(np.isfinite(y), x * y, 0.0)
    x = np.array([3.0, 5.0])
    np.testing.assert_array_equal(_grad(f, x), [0.0, 2.0])
    np.testing.assert_array_equal(_jvp(f, x, [1.0, 1.0]), [0.0, 2.0])
    gx, gy = wg.grad(lambda a, b: wnp.sum(wnp.where(np.isfinite(y), a * b, 0.0)),
                     argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 2.0])
    np.testing.assert_array_equal(gy, [0.0, 5.0])
    # complex and float32 derivatives as well
    yc = np.array([complex(np.inf, 0.0), 2.0 + 1.0j])
    (g,) = wg.vjp(lambda a: a * yc, np.array([1.0 + 1j, 2.0]))[1](np.array([0.0, 1.0 + 0j]))
    np.testing.assert_array_equal(g, [0.0, 2.0 + 1.0j])
    y32 = y.astype(np.float32)
    g = wg.grad(lambda a: wnp.sum(wnp.where(np.isfinite(y32), a * y32, 0.0)))(
        x.astype(np.float32))
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, [0.0, 2.0])


def test_strong_zero_keeps_genuine_infinities_and_nans():
    """Only zero cotangents are protected: a nonzero one times inf is inf, NaN stays NaN."""
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(_grad(wnp.log, [0.0, 2.0]), [np.inf, 0.5])
    with np.errstate(invalid="ignore"):
        g = _grad(wnp.sqrt, [-1.0])
    assert np.isnan(g[0])


def test_strong_zeros_can_be_switched_off(monkeypatch):
    """STRONG_ZEROS = False restores plain products (the benchmark's baseline): the untaken
    branch then leaks NaN, as in JAX and PyTorch."""
    f = lambda x: wnp.where(x > 0, wnp.sqrt(x), 0.0)
    monkeypatch.setattr(family, "STRONG_ZEROS", False)
    with np.errstate(invalid="ignore"):
        assert np.isnan(_grad(f, [-1.0])[0])
    monkeypatch.setattr(family, "STRONG_ZEROS", True)
    with np.errstate(invalid="ignore"):
        assert _grad(f, [-1.0])[0] == 0.0


def test_max_with_nan_gives_the_nan_entry_the_cotangent():
    x = np.array([1.0, np.nan, 3.0, np.nan])
    assert np.isnan(wnp.max(x).item())
    np.testing.assert_array_equal(_grad(wnp.max, x), [0.0, 0.5, 0.0, 0.5])
    np.testing.assert_array_equal(_jvp(wnp.min, x, [1.0, 2.0, 3.0, 4.0]), 3.0)


def test_strong_mul_primitives():
    """strong_mul(g, d) = g * d, 0 where g == 0; strong_mul2(a, b) = a * b, 0 where a == 0 or
    b == 0.  On finite inputs both are the plain product, to every order (their rules are
    checked by finite differences); on non-finite ones only the zeros differ from IEEE."""
    from wengert._core.primitive import bind

    sm, sm2 = family.strong_mul_p, family.strong_mul2_p
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal(3)
    for p in (sm, sm2):
        check_grads(lambda x, y, p=p: bind(p, x, y), [a, b], order=3)
        check_grads(lambda x, y, p=p: bind(p, x, y), [a + 1j * a, b], order=2)
    g = np.array([0.0, 0.0, 1.0, np.inf, 2.0])
    d = np.array([np.inf, np.nan, np.inf, 0.0, 3.0])
    with np.errstate(invalid="ignore"):  # inf * 0 with a nonzero g is NaN, and warns
        np.testing.assert_array_equal(bind(sm, g, d).numpy(), [0.0, 0.0, np.inf, np.nan, 6.0])
    np.testing.assert_array_equal(bind(sm2, g, d).numpy(), [0.0, 0.0, np.inf, 0.0, 6.0])
    # jit may hand the impl a dead input as the output buffer
    out = d.copy()
    np.testing.assert_array_equal(family._strong_mul_impl(g[:3], out[:3], out=out[:3]),
                                  [0.0, 0.0, np.inf])


def test_cumprod_zero_cotangent_next_to_inf_stays_zero():
    _, pull = wg.vjp(wnp.cumprod, np.array([np.inf, 1.0, 2.0]))
    (g,) = pull(np.zeros(3))
    np.testing.assert_array_equal(g, np.zeros(3))
    # exact with a zero entry: d/dx sum(cumprod(x)) at (0.5, 0, 2) = (1, 0.5 + 1, 0)
    np.testing.assert_allclose(
        wg.grad(lambda x: wnp.sum(wnp.cumprod(x)))(np.array([0.5, 0.0, 2.0])), [1.0, 1.5, 0.0])
