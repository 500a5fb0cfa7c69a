"""wengert.scipy.special: values against SciPy, derivatives (reverse, forward, second order)
against finite differences and the complex step, analytic derivative identities, and the
numerically delicate points (xlogy at 0, expit/log_expit at |x| = 1000, log_ndtr tails)."""
import importlib
import sys

import numpy as np
import pytest

sp = pytest.importorskip("scipy.special", reason="SciPy is an optional dependency; "
                         "wengert.scipy.special needs it")

import wengert as wg
import wengert.numpy as wnp
import wengert.scipy.special as ws
from _checks import check_complex_step, check_grads

RNG = np.random.default_rng(2)
REAL = RNG.standard_normal(4) * 1.5
POS = RNG.uniform(0.6, 3.0, 4)
POS2 = RNG.uniform(0.6, 3.0, 4)
UNIT = RNG.uniform(-0.9, 0.9, 4)
PROB = RNG.uniform(0.1, 0.9, 4)

# name, function of the arguments, arguments, reference (SciPy) function
SPEC = [
    ("erf", ws.erf, (REAL,), sp.erf),
    ("erfc", ws.erfc, (REAL,), sp.erfc),
    ("erfinv", ws.erfinv, (UNIT,), sp.erfinv),
    ("erfcinv", ws.erfcinv, (UNIT + 1,), sp.erfcinv),
    ("erfcx", ws.erfcx, (REAL,), sp.erfcx),
    ("gamma", ws.gamma, (POS,), sp.gamma),
    ("gamma-neg", ws.gamma, (np.array([-0.5, -1.3, -2.7, -3.4]),), sp.gamma),
    ("gammaln", ws.gammaln, (POS,), sp.gammaln),
    ("loggamma", ws.loggamma, (POS,), sp.loggamma),
    ("rgamma", ws.rgamma, (REAL,), sp.rgamma),
    ("digamma", ws.digamma, (POS,), sp.digamma),
    ("psi", ws.psi, (POS,), sp.psi),
    ("polygamma1", lambda x: ws.polygamma(1, x), (POS,), lambda x: sp.polygamma(1, x)),
    ("polygamma3", lambda x: ws.polygamma(3, x), (POS,), lambda x: sp.polygamma(3, x)),
    ("polygamma-arr", lambda x: ws.polygamma(np.array([0, 1, 2, 3]), x), (POS,),
     lambda x: sp.polygamma(np.array([0, 1, 2, 3]), x)),
    ("beta", ws.beta, (POS, POS2), sp.beta),
    ("betaln", ws.betaln, (POS, POS2), sp.betaln),
    ("multigammaln", lambda a: ws.multigammaln(a, 3), (POS + 1.5,),
     lambda a: sp.multigammaln(a, 3)),
    ("xlogy", ws.xlogy, (REAL, POS), sp.xlogy),
    ("xlog1py", ws.xlog1py, (REAL, UNIT), sp.xlog1py),
    ("expit", ws.expit, (REAL * 3,), sp.expit),
    ("log_expit", ws.log_expit, (REAL * 3,), sp.log_expit),
    ("logit", ws.logit, (PROB,), sp.logit),
    ("softplus", ws.softplus, (REAL * 3,), sp.softplus),
    ("ndtr", ws.ndtr, (REAL,), sp.ndtr),
    ("log_ndtr", ws.log_ndtr, (REAL * 4,), sp.log_ndtr),
    ("ndtri", ws.ndtri, (PROB,), sp.ndtri),
    ("i0", ws.i0, (REAL,), sp.i0),
    ("i1", ws.i1, (REAL,), sp.i1),
    ("i0e", ws.i0e, (REAL,), sp.i0e),
    ("i1e", ws.i1e, (REAL,), sp.i1e),
    ("iv", lambda x: ws.iv(2.5, x), (POS,), lambda x: sp.iv(2.5, x)),
    ("iv-int", lambda x: ws.iv(np.array([0, 1, 2, 3]), x), (REAL,),
     lambda x: sp.iv(np.array([0, 1, 2, 3]), x)),
    ("ive", lambda x: ws.ive(1, x), (REAL,), lambda x: sp.ive(1, x)),
    ("ive-frac", lambda x: ws.ive(0.5, x), (POS,), lambda x: sp.ive(0.5, x)),
    ("zeta", lambda q: ws.zeta(3.0, q), (POS,), lambda q: sp.zeta(3.0, q)),
    ("gammainc", lambda x: ws.gammainc(2.5, x), (POS,), lambda x: sp.gammainc(2.5, x)),
    ("gammaincc", lambda x: ws.gammaincc(0.7, x), (POS,), lambda x: sp.gammaincc(0.7, x)),
    ("betainc", lambda x: ws.betainc(2.5, 1.5, x), (PROB,),
     lambda x: sp.betainc(2.5, 1.5, x)),
    ("stdtr", lambda x: ws.stdtr(3.5, x), (REAL,), lambda x: sp.stdtr(3.5, x)),
    ("logsumexp", ws.logsumexp, (RNG.standard_normal((3, 4)),), sp.logsumexp),
    ("logsumexp-axis-b", lambda a, b: ws.logsumexp(a, axis=1, b=b, keepdims=True),
     (RNG.standard_normal((3, 4)), RNG.uniform(0.1, 2, (3, 4))),
     lambda a, b: sp.logsumexp(a, axis=1, b=b, keepdims=True)),
    ("logsumexp-tuple-axis", lambda a: ws.logsumexp(a, axis=(0, 2)),
     (RNG.standard_normal((2, 3, 2)),), lambda a: sp.logsumexp(a, axis=(0, 2))),
    ("softmax", ws.softmax, (RNG.standard_normal((2, 3)),), sp.softmax),
    ("softmax-axis", lambda x: ws.softmax(x, axis=0), (RNG.standard_normal((2, 3)),),
     lambda x: sp.softmax(x, axis=0)),
    ("log_softmax", ws.log_softmax, (RNG.standard_normal((2, 3)),), sp.log_softmax),
    ("log_softmax-axis", lambda x: ws.log_softmax(x, axis=-1),
     (RNG.standard_normal((2, 3)),), lambda x: sp.log_softmax(x, axis=-1)),
]
IDS = [s[0] for s in SPEC]


@pytest.mark.parametrize("name,fn,args,ref", SPEC, ids=IDS)
def test_values_match_scipy(name, fn, args, ref):
    got = fn(*args)
    assert isinstance(got, wg.Tensor)
    np.testing.assert_allclose(np.asarray(got), ref(*args), rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name,fn,args,ref", SPEC, ids=IDS)
def test_derivatives(name, fn, args, ref):
    check_grads(fn, list(args), order=2, label=name)


# complex-analytic functions whose SciPy implementation takes complex input
ANALYTIC = ["erf", "erfc", "erfcx", "gamma", "loggamma", "rgamma", "digamma", "ndtr",
            "log_ndtr", "xlogy", "xlog1py"]


@pytest.mark.parametrize("name", ANALYTIC)
def test_complex_step(name):
    args = (POS,) if name not in ("xlogy", "xlog1py") else (REAL, POS)
    check_complex_step(getattr(ws, name), args, rtol=1e-12, label=name)


def _d(fn, x):
    return wg.grad(lambda v: wnp.sum(fn(v)))(x)


def test_derivative_identities():
    x = POS
    np.testing.assert_allclose(_d(ws.digamma, x), sp.polygamma(1, x), rtol=1e-13)
    np.testing.assert_allclose(_d(lambda v: ws.polygamma(2, v), x), sp.polygamma(3, x),
                               rtol=1e-13)
    np.testing.assert_allclose(_d(ws.gammaln, x), sp.digamma(x), rtol=1e-13)
    np.testing.assert_allclose(_d(ws.i0, REAL), sp.i1(REAL), rtol=1e-13)
    np.testing.assert_allclose(_d(ws.i1, REAL), sp.i0(REAL) - sp.i1(REAL) / REAL, rtol=1e-12)
    np.testing.assert_allclose(_d(ws.erfinv, UNIT), 1 / (2 / np.sqrt(np.pi)
                                                         * np.exp(-sp.erfinv(UNIT) ** 2)),
                               rtol=1e-13)
    e = np.exp(-np.abs(REAL))
    np.testing.assert_allclose(_d(lambda v: ws.ive(3, v), REAL),
                               e * (sp.iv(2, REAL) + sp.iv(4, REAL)) / 2
                               - np.sign(REAL) * sp.ive(3, REAL), rtol=1e-12)
    # second derivatives through the rules' own rules
    h = wg.grad(wg.grad(lambda v: ws.gammaln(v)))(1.7)
    np.testing.assert_allclose(h, sp.polygamma(1, 1.7), rtol=1e-13)
    h = wg.grad(wg.grad(lambda v: ws.i0(v)))(0.8)
    np.testing.assert_allclose(h, sp.i0(0.8) - sp.i1(0.8) / 0.8, rtol=1e-12)


def test_bessel_at_zero():
    # I1'(0) = 1/2 (the limit of I0 - I1/x); the scaled I0e has a kink at 0: subgradient 0
    assert wg.grad(ws.i1)(0.0) == 0.5
    assert wg.grad(ws.i0)(0.0) == 0.0
    assert wg.grad(ws.i0e)(0.0) == 0.0
    assert wg.grad(ws.i1e)(0.0) == 0.5
    np.testing.assert_allclose(wg.grad(wg.grad(ws.i0))(0.0), 0.5, rtol=1e-15)


def test_xlogy_at_zero():
    # value 0 and finite derivatives in y at x = 0, y = 0 (all orders)
    assert float(ws.xlogy(0.0, 0.0)) == 0.0
    assert wg.grad(lambda y: ws.xlogy(0.0, y))(0.0) == 0.0
    assert wg.grad(wg.grad(lambda y: ws.xlogy(0.0, y)))(0.0) == 0.0
    assert wg.grad(lambda y: ws.xlog1py(0.0, y))(-1.0) == 0.0
    _, t = wg.jvp(lambda y: ws.xlogy(0.0, y), (0.0,), (1.0,))
    assert t == 0.0
    # d/dx x log y at y = 0 is -inf (the truth), but a zero cotangent stays zero
    gx, gy = wg.grad(lambda x, y: ws.xlogy(x, y), argnums=(0, 1))(0.0, 0.0)
    assert gx == -np.inf and gy == 0.0
    g = wg.grad(lambda y: wnp.sum(ws.xlogy(np.array([0.0, 2.0]), y)))(np.array([0.0, 4.0]))
    np.testing.assert_array_equal(g, [0.0, 0.5])
    g = wg.grad(lambda x: wnp.sum(ws.xlogy(x, 0.0) * 0.0))(0.0)
    assert g == 0.0
    # x = 0 with y != 0: the mixed second derivative d2/dxdy x log y = 1/y is kept
    h = wg.grad(lambda y: wg.grad(lambda x: ws.xlogy(x, y))(0.0))(2.0)
    np.testing.assert_allclose(h, 0.5)


@pytest.mark.parametrize("x", [-1000.0, -40.0, 0.0, 40.0, 1000.0])
def test_logistic_family_in_the_tails(x):
    s, sm = sp.expit(x), sp.expit(-x)
    assert float(ws.expit(x)) == s
    np.testing.assert_allclose(wg.grad(ws.expit)(x), s * sm, rtol=1e-14, atol=0)
    np.testing.assert_allclose(float(ws.log_expit(x)), sp.log_expit(x), rtol=1e-15)
    np.testing.assert_allclose(wg.grad(ws.log_expit)(x), sm, rtol=1e-14, atol=0)
    np.testing.assert_allclose(wg.grad(wg.grad(ws.log_expit))(x), -s * sm, rtol=1e-14, atol=0)
    np.testing.assert_allclose(wg.grad(ws.softplus)(x), s, rtol=1e-14, atol=0)


@pytest.mark.parametrize("x", [-1e10, -1e3, -40.5, -40.0, -39.5, -5.0, 0.0, 5.0])
def test_log_ndtr_tails(x):
    # d/dx log Phi(x) = phi(x)/Phi(x): asymptotically -x / (1 - 1/x^2 + 3/x^4 - ...)
    g = wg.grad(ws.log_ndtr)(x)
    if x <= -39.5:
        r = 1 / x ** 2
        ref = -x / (1 - r + 3 * r ** 2 - 15 * r ** 3 + 105 * r ** 4 - 945 * r ** 5)
    else:
        ref = np.exp(-x * x / 2) / np.sqrt(2 * np.pi) / sp.ndtr(x)
    np.testing.assert_allclose(g, ref, rtol=1e-12)
    assert np.isfinite(wg.grad(wg.grad(ws.log_ndtr))(x))


def test_logsumexp_options():
    a = np.array([[1.0, 2.0, 0.5], [3.0, -1.0, 0.0]])
    b = np.array([[1.0, -2.0, 0.5], [1.0, 1.0, -1.0]])
    r, s = ws.logsumexp(a, axis=1, b=b, return_sign=True)
    r_ref, s_ref = sp.logsumexp(a, axis=1, b=b, return_sign=True)
    np.testing.assert_allclose(np.asarray(r), r_ref, rtol=1e-14)
    np.testing.assert_array_equal(np.asarray(s), s_ref)
    # without return_sign a negative sum is NaN, as in SciPy
    np.testing.assert_array_equal(np.isnan(np.asarray(ws.logsumexp(a, axis=1, b=b))),
                                  np.isnan(sp.logsumexp(a, axis=1, b=b)))
    check_grads(lambda x, w: ws.logsumexp(x, axis=1, b=w, return_sign=True)[0], [a, b])
    # all -inf: -inf, no warning
    assert float(ws.logsumexp(np.array([-np.inf, -np.inf]))) == -np.inf
    # huge values: the max shift keeps it finite; derivative = softmax
    big = np.array([1000.0, 999.0, -1000.0])
    np.testing.assert_allclose(float(ws.logsumexp(big)), sp.logsumexp(big), rtol=1e-15)
    np.testing.assert_allclose(wg.grad(ws.logsumexp)(big), sp.softmax(big), rtol=1e-14)
    # b == 0 entries are left out, even where a is the largest
    np.testing.assert_allclose(float(ws.logsumexp([1000.0, 1.0], b=[0.0, 1.0])), 1.0)
    np.testing.assert_allclose(
        wg.grad(lambda v: ws.logsumexp(v, b=np.array([0.0, 1.0])))(np.array([1000.0, 1.0])),
        [0.0, 1.0])
    # complex input: holomorphic, so the complex step applies
    check_complex_step(ws.logsumexp, (REAL,), rtol=1e-12)
    check_complex_step(lambda v: ws.log_softmax(v, axis=0), (REAL,), rtol=1e-12)


def test_float32_is_preserved():
    x32 = POS.astype(np.float32)
    for fn in (ws.erf, ws.gammaln, ws.digamma, ws.expit, ws.i1, ws.log_ndtr,
               lambda v: ws.polygamma(2, v), lambda v: ws.xlogy(v, v), ws.logsumexp):
        y = fn(x32)
        assert y.dtype == np.float32
        assert wg.grad(lambda v, fn=fn: wnp.sum(fn(v)))(x32).dtype == np.float32


@pytest.mark.parametrize("fn,what", [
    (lambda v: ws.iv(v, 1.5), "the order v"),
    (lambda v: ws.polygamma(v - v + 2.0, 1.5), "the order n"),
    (lambda v: ws.gammainc(v, 1.5), "the shape a"),
    (lambda v: ws.betainc(1.0, v, 0.5), "the shape b"),
    (lambda v: ws.zeta(v, 1.5), "x"),
    (lambda v: ws.stdtr(v, 0.5), "degrees of freedom"),
])
def test_non_differentiable_arguments_raise(fn, what):
    with pytest.raises(wg.GradientError, match=what):
        wg.grad(fn)(2.5)
    with pytest.raises(wg.GradientError, match=what):
        wg.jvp(fn, (2.5,), (1.0,))


def test_out_is_rejected():
    with pytest.raises(wg.UnsupportedError, match="in place"):
        ws.erf(REAL, out=np.empty(4))


def test_multigammaln_domain():
    with pytest.raises(ValueError, match="a > 0.5"):
        ws.multigammaln(0.5, 3)


@pytest.mark.parametrize("module", ["wengert.scipy.special", "wengert.scipy.stats"])
def test_missing_scipy_is_reported(monkeypatch, module):
    monkeypatch.setattr(wg, "scipy", sys.modules["wengert.scipy"])
    for name in list(sys.modules):
        if name == "scipy" or name.startswith(("scipy.", "wengert.scipy.")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "scipy", None)   # makes `import scipy` fail
    with pytest.raises(ImportError, match="pip install scipy"):
        importlib.import_module(module)


def test_scipy_ufuncs_dispatch_on_tensors():
    # scipy.special's own ufuncs, applied to a Tensor, run the differentiable versions
    x = wg.tensor(POS, requires_grad=True)
    y = sp.erf(x) + sp.xlogy(x, x) + sp.gammaln(x) + sp.i1e(x)
    assert isinstance(y, wg.Tensor)
    y.sum().backward()
    ref = (2 / np.sqrt(np.pi) * np.exp(-POS ** 2) + np.log(POS) + 1 + sp.digamma(POS)
           + (sp.ive(0, POS) + sp.ive(2, POS)) / 2 - sp.i1e(POS))
    np.testing.assert_allclose(x.grad.numpy(), ref, rtol=1e-13)
