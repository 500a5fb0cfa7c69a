"""wengert.scipy.stats: log-densities and distribution functions against scipy.stats, and
their derivatives in x and every continuous parameter (reverse, forward, second order)."""
import numpy as np
import pytest

ss = pytest.importorskip("scipy.stats", reason="SciPy is an optional dependency; "
                         "wengert.scipy.stats needs it")

import wengert as wg
import wengert.numpy as wnp
import wengert.scipy.stats as ws
from _checks import check_grads

# points inside and outside the supports, and on their boundaries
X = np.array([-3.0, -0.5, 0.0, 0.3, 0.7, 1.0, 2.5, 8.0])
K = np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 5.0, 10.0])

# (distribution, method, arguments after x): values compared with scipy.stats
VALUE_CASES = []
for _m in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
    for _d in ("norm", "expon", "laplace", "logistic", "cauchy", "uniform"):
        VALUE_CASES += [(_d, _m, X, ()), (_d, _m, X, (0.5, 2.0)), (_d, _m, X, (1.0, -1.0))]
    for _a in (0.5, 1.0, 3.0, -1.0):
        VALUE_CASES += [("gamma", _m, X, (_a, 0.1, 1.5)), ("t", _m, X, (_a, 0.1, 1.5)),
                        ("beta", _m, X / 3, (_a, 2.0)), ("beta", _m, X / 3, (2.0, _a, -0.2, 1.2))]
for _m in ("ppf", "isf"):
    VALUE_CASES.append(("norm", _m, np.array([0.01, 0.3, 0.5, 0.9]), (1.0, 2.0)))
for _m in ("logpmf", "pmf", "cdf", "logcdf", "sf"):
    for _mu in (0.0, 0.5, 3.0, -1.0):
        VALUE_CASES.append(("poisson", _m, K, (_mu,)))
    for _p in (0.0, 0.3, 1.0, 1.5):
        if not (_m == "logcdf" and _p == 1.5):   # SciPy's cdf ignores the invalid p at k >= 1
            VALUE_CASES.append(("bernoulli", _m, K, (_p,)))
for _p in (0.0, 0.3, 1.0):
    VALUE_CASES.append(("binom", "logpmf", K, (6, _p)))
for _p in (0.1, 0.3, 0.9):
    VALUE_CASES += [("geom", "logpmf", K, (_p,)), ("geom", "cdf", K, (_p,))]


@pytest.mark.parametrize("dist,method,x,args", VALUE_CASES,
                         ids=[f"{c[0]}.{c[1]}{c[3]}" for c in VALUE_CASES])
def test_values_match_scipy(dist, method, x, args):
    got = getattr(getattr(ws, dist), method)(x, *args)
    ref = getattr(getattr(ss, dist), method)(x, *args)
    assert isinstance(got, wg.Tensor)
    np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-10, atol=1e-300)


XI = np.array([0.3, 0.7, 1.9])
P = np.array([0.2, 0.5, 0.9])
# derivative checks in x and every continuous parameter (points inside the support)
GRAD_CASES = [
    ("norm.logpdf", lambda x, l, s: ws.norm.logpdf(x, l, s), (XI, 0.2, 1.3)),
    ("norm.pdf", lambda x, l, s: ws.norm.pdf(x, l, s), (XI, 0.2, 1.3)),
    ("norm.cdf", lambda x, l, s: ws.norm.cdf(x, l, s), (XI, 0.2, 1.3)),
    ("norm.logcdf", lambda x, l, s: ws.norm.logcdf(x, l, s), (XI * 5 - 9, 0.2, 1.3)),
    ("norm.logsf", lambda x, l, s: ws.norm.logsf(x, l, s), (XI, 0.2, 1.3)),
    ("norm.ppf", lambda q, l, s: ws.norm.ppf(q, l, s), (P, 0.2, 1.3)),
    ("t.logpdf", lambda x, df, l, s: ws.t.logpdf(x, df, l, s), (XI, 3.5, 0.2, 1.3)),
    ("t.cdf", lambda x, l, s: ws.t.cdf(x, 3.5, l, s), (XI, 0.2, 1.3)),
    ("gamma.logpdf", lambda x, a, l, s: ws.gamma.logpdf(x, a, l, s), (XI, 2.5, 0.1, 1.3)),
    ("gamma.cdf", lambda x, l, s: ws.gamma.cdf(x, 2.5, l, s), (XI, 0.1, 1.3)),
    ("gamma.sf", lambda x, s: ws.gamma.sf(x, 0.8, 0.0, s), (XI, 1.3)),
    ("beta.logpdf", lambda x, a, b, l, s: ws.beta.logpdf(x, a, b, l, s),
     (np.array([0.3, 0.5, 0.7]), 2.5, 1.5, 0.05, 1.1)),
    ("beta.cdf", lambda x: ws.beta.cdf(x, 2.5, 1.5), (np.array([0.2, 0.5, 0.7]),)),
    ("expon.logpdf", lambda x, s: ws.expon.logpdf(x, 0.1, s), (XI, 1.3)),
    ("expon.cdf", lambda x, s: ws.expon.cdf(x, 0.1, s), (XI, 1.3)),
    ("laplace.logpdf", lambda x, l, s: ws.laplace.logpdf(x, l, s), (XI, 0.5, 1.3)),
    ("laplace.cdf", lambda x, l, s: ws.laplace.cdf(x, l, s), (XI, 0.5, 1.3)),
    ("logistic.logpdf", lambda x, l, s: ws.logistic.logpdf(x, l, s), (XI, 0.2, 1.3)),
    ("cauchy.logpdf", lambda x, l, s: ws.cauchy.logpdf(x, l, s), (XI, 0.2, 1.3)),
    ("uniform.cdf", lambda x, l, s: ws.uniform.cdf(x, l, s), (XI, 0.1, 2.3)),
    ("poisson.logpmf", lambda mu: ws.poisson.logpmf(np.array([0.0, 1, 4]), mu),
     (np.array([0.5, 2.0, 3.0]),)),
    ("poisson.cdf", lambda mu: ws.poisson.cdf(np.array([0.0, 1, 4]), mu),
     (np.array([0.5, 2.0, 3.0]),)),
    ("poisson.sf", lambda mu: ws.poisson.sf(np.array([0.0, 1, 4]), mu),
     (np.array([0.5, 2.0, 3.0]),)),
    ("bernoulli.logpmf", lambda p: ws.bernoulli.logpmf(np.array([0.0, 1, 1]), p), (P,)),
    ("bernoulli.cdf", lambda p: ws.bernoulli.cdf(np.array([0.0, 0.5, -1]), p), (P,)),
    ("binom.logpmf", lambda p: ws.binom.logpmf(np.array([0.0, 1, 4]), 5, p), (P,)),
    ("geom.logpmf", lambda p: ws.geom.logpmf(np.array([1.0, 2, 4]), p), (P,)),
    ("geom.cdf", lambda p: ws.geom.cdf(np.array([1.0, 2, 4]), p), (P,)),
]


@pytest.mark.parametrize("name,fn,args", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_derivatives(name, fn, args):
    check_grads(fn, list(args), order=2, label=name)


def test_analytic_gradients():
    # d/dmu, d/dsigma of the normal log-density; d/dmu of the Poisson log-pmf
    x, mu, s = 2.1, 0.4, 1.3
    g = wg.grad(lambda m, sc: ws.norm.logpdf(x, m, sc), argnums=(0, 1))(mu, s)
    np.testing.assert_allclose(g, [(x - mu) / s ** 2, ((x - mu) ** 2 / s ** 2 - 1) / s],
                               rtol=1e-14)
    g = wg.grad(lambda m: ws.poisson.logpmf(3.0, m))(2.0)
    np.testing.assert_allclose(g, 3 / 2.0 - 1, rtol=1e-14)
    # d/dp of the Bernoulli CDF on [0, 1) is -1; d/dmu of the Poisson CDF is -pmf
    np.testing.assert_allclose(wg.grad(lambda p: ws.bernoulli.cdf(0.0, p))(0.3), -1.0)
    np.testing.assert_allclose(wg.grad(lambda m: ws.poisson.cdf(2.0, m))(1.5),
                               -ss.poisson.pmf(2, 1.5), rtol=1e-13)


def test_no_nan_outside_the_support():
    # the -inf (or 0) values outside the support and the NaN for invalid parameters come
    # from untaken branches evaluated at safe points: every derivative stays finite
    cases = [
        (lambda a, s: ws.gamma.logpdf(-1.0, a, 0.0, s), (2.0, 1.5)),
        (lambda a, b: ws.beta.logpdf(1.5, a, b), (2.0, 3.0)),
        (lambda x: ws.beta.cdf(x, 2.0, 3.0), (-0.5,)),
        (lambda x: ws.gamma.cdf(x, 0.5), (-0.5,)),
        (lambda s: ws.expon.logpdf(-1.0, 0.0, s), (1.5,)),
        (lambda mu: ws.poisson.logpmf(-1.0, mu), (2.0,)),
        (lambda mu: ws.poisson.logpmf(2.5, mu), (2.0,)),
        (lambda p: ws.bernoulli.logpmf(3.0, p), (0.4,)),
        (lambda l, s: ws.norm.logpdf(0.5, l, s), (0.0, -1.0)),   # invalid scale: NaN value
        (lambda df: ws.t.logpdf(0.5, df), (-2.0,)),               # invalid df: NaN value
    ]
    for fn, args in cases:
        for g in np.atleast_1d(wg.grad(fn, argnums=tuple(range(len(args))))(*args)):
            assert np.all(np.isfinite(g)), (fn, args, g)


def test_boundaries_match_scipy():
    # the density at the edge of the support, where xlogy(0, 0) = 0 matters
    for a in (0.5, 1.0, 2.0):
        np.testing.assert_allclose(float(ws.gamma.logpdf(0.0, a)), ss.gamma.logpdf(0.0, a))
        np.testing.assert_allclose(float(ws.beta.logpdf(0.0, a, 2.0)),
                                   ss.beta.logpdf(0.0, a, 2.0))
        np.testing.assert_allclose(float(ws.beta.logpdf(1.0, 2.0, a)),
                                   ss.beta.logpdf(1.0, 2.0, a))
    # exponential rate: d/dscale of logpdf at 0 is -1/scale; Bernoulli at p = 0 and 1
    np.testing.assert_allclose(wg.grad(lambda s: ws.expon.logpdf(0.0, 0.0, s))(2.0), -0.5)
    assert float(ws.bernoulli.logpmf(0.0, 0.0)) == 0.0
    assert float(ws.bernoulli.logpmf(1.0, 1.0)) == 0.0
    np.testing.assert_allclose(wg.grad(lambda p: ws.bernoulli.logpmf(0.0, p))(0.0), -1.0)


def test_tensor_inputs_and_shapes():
    x = wg.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    loc = wg.tensor(np.array([0.1, -0.2, 0.3]), requires_grad=True)
    scale = wg.tensor(1.7, requires_grad=True)
    lp = wnp.sum(ws.norm.logpdf(x, loc, scale))
    lp.backward()
    xv, lv, sv = x.detach().numpy(), loc.detach().numpy(), 1.7
    np.testing.assert_allclose(float(lp), ss.norm.logpdf(xv, lv, sv).sum(), rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), -(xv - lv) / sv ** 2, rtol=1e-14)
    np.testing.assert_allclose(loc.grad.numpy(), ((xv - lv) / sv ** 2).sum(0), rtol=1e-14)
    assert scale.grad.shape == ()


def test_float32_is_preserved():
    x32 = XI.astype(np.float32)
    for fn in (lambda v: ws.norm.logpdf(v, 0.1, 1.2), lambda v: ws.gamma.logpdf(v, 2.0),
               lambda v: ws.t.logpdf(v, 3.0), lambda v: ws.norm.cdf(v)):
        assert fn(x32).dtype == np.float32
        assert wg.grad(lambda v, fn=fn: wnp.sum(fn(v)))(x32).dtype == np.float32


def test_shape_parameter_of_a_cdf_is_not_differentiable():
    with pytest.raises(wg.GradientError, match="shape a"):
        wg.grad(lambda a: ws.gamma.cdf(1.0, a))(2.0)
    with pytest.raises(wg.GradientError, match="degrees of freedom"):
        wg.grad(lambda df: ws.t.cdf(1.0, df))(2.0)
