"""What the op table (tests/op_specs.py) cannot express for the functions added with issue 3:
exact derivatives at special points (cumprod with zeros, sinc at 0, logaddexp at +-1000 and
+-inf, hypot at the origin, the remainders' documented derivative, NaN in fmax/fmin and the
nan-reductions), the tie convention of median/quantile, list-valued results (split), every
quantile method and pad mode against NumPy, in-place put_along_axis, vmap and Taylor mode
through the new primitives, plain-NumPy dispatch, and the error messages."""
import math
import warnings

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert._errors import UnsupportedError


def _grad(f, x):
    return np.asarray(wg.grad(f)(np.asarray(x, dtype=float)))


def _hess(f, x):
    x = np.asarray(x, dtype=float)
    return np.stack([np.asarray(wg.jvp(wg.grad(f), (x,), (e,))[1]).ravel()
                     for e in np.eye(x.size).reshape((x.size,) + x.shape)], axis=1)


# --- cumprod: exact with zeros, to any order ------------------------------------------------------
def _cumprod_jac(x):
    """d cumprod(x)_i / dx_j = prod_{k <= i, k != j} x_k (j <= i), by deleting x_j."""
    n = x.size
    return np.array([[np.prod(np.delete(x[:i + 1], j)) if j <= i else 0.0 for j in range(n)]
                     for i in range(n)])


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, -1.5, 0.5], [0.0, 0.0, 2.0, 3.0],
                               [1.5, -2.0, 0.0], [0.0]],
                         ids=["one zero", "two zeros", "last zero", "single zero"])
def test_cumprod_with_zeros_is_exact(x):
    x = np.array(x)
    jac = _cumprod_jac(x)
    u = np.arange(1.0, x.size + 1)
    (g,) = wg.vjp(wnp.cumprod, x)[1](u)
    np.testing.assert_array_equal(g, u @ jac)                     # reverse, no NaN
    for j in range(x.size):                                       # forward, column by column
        e = np.eye(x.size)[j]
        np.testing.assert_array_equal(wg.jvp(wnp.cumprod, (x,), (e,))[1], jac[:, j])
    # second order: d2 (u . cumprod) / dx_j dx_k = sum_i u_i prod_{l <= i, l != j, k}
    n = x.size
    want = np.array([[0.0 if j == k else sum(u[i] * np.prod(np.delete(x[:i + 1], [j, k]))
                                             for i in range(max(j, k), n))
                      for k in range(n)] for j in range(n)])
    np.testing.assert_array_equal(_hess(lambda a: wnp.cumprod(a) @ u, x), want)


def test_cumprod_third_derivative_and_axis():
    # d3/dx0 dx1 dx2 of the last entry of cumprod([x0, x1, x2, x3]) is x3, even at zeros
    x = np.array([0.0, 0.0, 0.0, 2.5])

    def f(a):
        return wnp.cumprod(a)[3]

    d3 = wg.jacfwd(wg.jacfwd(wg.grad(f)))(x)
    assert d3[0, 1, 2] == 2.5 and d3[2, 1, 0] == 2.5 and d3[0, 0, 1] == 0.0
    m = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
    g = _grad(lambda a: wnp.cumprod(a, axis=0).sum(), m)
    np.testing.assert_array_equal(g, [[1.0, 4.0, 1.0], [1.0, 0.0, 2.0]])


def test_cumsum_cumprod_dtypes():
    i32 = np.array([1, 2, 3], dtype=np.int32)
    assert wnp.cumsum(i32).dtype == np.cumsum(i32).dtype
    assert wnp.cumprod(np.array([True, False])).dtype == np.cumprod(np.array([True, False])).dtype
    f32 = np.array([1.0, 2.0], dtype=np.float32)
    assert wnp.cumprod(f32).dtype == np.float32
    assert wg.grad(lambda a: wnp.cumprod(a).sum())(f32).dtype == np.float32
    assert wnp.cumsum(np.ones((2, 2)), dtype=np.float32).dtype == np.float32


# --- special points of the new ufuncs -------------------------------------------------------------
def test_sinc_derivatives_at_zero_are_exact():
    d = wnp.sinc
    derivs = []
    for _ in range(4):
        d = wg.grad(d)
        derivs.append(float(d(0.0)))
    pi2 = math.pi ** 2
    np.testing.assert_allclose(derivs, [0.0, -pi2 / 3, 0.0, pi2 ** 2 / 5], rtol=1e-14, atol=0)
    # Taylor mode: the same numbers from one pass
    _, ys = wg.jet(wnp.sinc, (0.0,), ([1.0, 0.0, 0.0, 0.0],))
    np.testing.assert_allclose(np.asarray(ys, dtype=float), [0.0, -pi2 / 3, 0.0, pi2 ** 2 / 5],
                               rtol=1e-14, atol=1e-300)
    # either side of the switch to the Taylor polynomial (|x| = 0.1) the derivatives agree
    for x in (0.1 - 1e-12, 0.1 + 1e-12):
        g2 = wg.grad(wg.grad(wnp.sinc))(x)
        d1 = (math.cos(math.pi * x) - np.sinc(x)) / x
        ref = (-(math.pi ** 2) * x * np.sinc(x) - 2 * d1) / x
        assert g2 == pytest.approx(ref, rel=1e-10)


def test_logaddexp_at_large_and_infinite_inputs():
    g = wg.grad(wnp.logaddexp, argnums=(0, 1))
    np.testing.assert_array_equal(g(1000.0, 0.0), (1.0, 0.0))
    np.testing.assert_array_equal(g(-1000.0, 1000.0), (0.0, 1.0))
    np.testing.assert_array_equal(g(-np.inf, 2.0), (0.0, 1.0))
    np.testing.assert_array_equal(g(np.inf, 2.0), (1.0, 0.0))
    np.testing.assert_array_equal(g(-np.inf, -np.inf), (0.5, 0.5))
    np.testing.assert_allclose(g(3.0, 3.0), (0.5, 0.5), rtol=1e-15)
    assert wg.grad(wg.grad(lambda x: wnp.logaddexp(x, 0.0)))(1000.0) == 0.0
    assert wg.grad(wg.grad(lambda x: wnp.logaddexp(x, 0.0)))(0.0) == pytest.approx(0.25)
    g2 = wg.grad(wnp.logaddexp2, argnums=(0, 1))
    np.testing.assert_allclose(g2(1.0, 1.0), (0.5, 0.5), rtol=1e-15)
    np.testing.assert_array_equal(g2(2000.0, 0.0), (1.0, 0.0))


def test_hypot_at_origin_and_cbrt():
    g = wg.grad(wnp.hypot, argnums=(0, 1))(0.0, 0.0)
    np.testing.assert_array_equal(g, (0.0, 0.0))
    assert wg.jvp(wnp.hypot, (0.0, 0.0), (1.0, 1.0))[1] == 0.0
    np.testing.assert_allclose(wg.grad(wnp.hypot, argnums=(0, 1))(3.0, 4.0), (0.6, 0.8),
                               rtol=1e-15)
    assert wg.grad(wnp.cbrt)(8.0) == pytest.approx(1 / 12, rel=1e-15)


@pytest.mark.parametrize("name,quotient", [("mod", np.floor), ("remainder", np.floor),
                                           ("fmod", np.trunc)])
def test_remainder_derivatives(name, quotient):
    fn = getattr(wnp, name)
    x = np.array([-3.5, 3.5, -0.25, 7.0])
    y = np.array([2.0, -2.0, 1.5, 2.5])
    gx, gy = wg.grad(lambda a, b: fn(a, b).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, np.ones(4))
    np.testing.assert_array_equal(gy, -quotient(x / y))
    assert wg.grad(wg.grad(lambda b: fn(5.0, b)))(1.5) == 0.0


def test_fmax_fmin_with_nan():
    x = np.array([np.nan, 1.0, np.nan, 2.0])
    y = np.array([1.0, np.nan, np.nan, 2.0])
    for fn in (wnp.fmax, wnp.fmin):
        np.testing.assert_array_equal(fn(x, y).numpy(), getattr(np, fn.__name__)(x, y))
        gx, gy = wg.grad(lambda a, b, fn=fn: wnp.nansum(fn(a, b)), argnums=(0, 1))(x, y)
        np.testing.assert_array_equal(gx, [0.0, 1.0, 0.0, 0.5])
        np.testing.assert_array_equal(gy, [1.0, 0.0, 0.0, 0.5])


def test_heaviside_copysign_and_angle():
    gx, gh = wg.grad(lambda a, b: wnp.heaviside(a, b).sum(), argnums=(0, 1))(
        np.array([-1.0, 0.0, 2.0]), np.array([0.5, 0.5, 0.5]))
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(gh, [0.0, 1.0, 0.0])
    g = _grad(lambda a: wnp.copysign(a, np.array([-1.0, 1.0, -0.0])).sum(), [2.0, -3.0, 0.0])
    np.testing.assert_array_equal(g, [-1.0, -1.0, 0.0])
    np.testing.assert_array_equal(_grad(lambda a: wnp.angle(a).sum(), [-1.0, 2.0]), [0.0, 0.0])
    z = np.array([1.0 + 1.0j])
    (gz,) = wg.vjp(wnp.angle, z)[1](np.ones(1))
    # JAX's convention for a real function of z = x + iy: the VJP of 1 is df/dx - i df/dy;
    # angle = atan2(y, x) has df/dx = -y/|z|^2 = -1/2 and df/dy = x/|z|^2 = 1/2 at 1 + i
    np.testing.assert_allclose(gz, [-0.5 - 0.5j], rtol=1e-15)


def test_nan_to_num_gradient_is_zero_at_replaced_entries():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -2.0])
    np.testing.assert_array_equal(wnp.nan_to_num(x, nan=-1.0, posinf=9.0).numpy(),
                                  np.nan_to_num(x, nan=-1.0, posinf=9.0))
    np.testing.assert_array_equal(_grad(lambda a: wnp.nan_to_num(a).sum(), x),
                                  [1.0, 0.0, 0.0, 0.0, 1.0])


def test_nan_reductions_give_no_nan_gradient():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, 2.0]])
    np.testing.assert_array_equal(_grad(wnp.nansum, x), [[1, 0, 1], [0, 1, 1]])
    np.testing.assert_array_equal(_grad(lambda a: wnp.nanmean(a, axis=1).sum(), x),
                                  [[0.5, 0, 0.5], [0, 0.5, 0.5]])
    np.testing.assert_array_equal(_grad(lambda a: wnp.nanmax(a, axis=1).sum(), x),
                                  [[0, 0, 1], [0, 0.5, 0.5]])
    g = _grad(lambda a: wnp.nanstd(a, axis=1).sum(), x)
    np.testing.assert_array_equal(g[1], [0.0, 0.0, 0.0])  # constant row: derivative 0
    assert np.isfinite(g).all()
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        r = wnp.nanmean(np.array([[np.nan, np.nan], [1.0, 3.0]]), axis=1)
    np.testing.assert_array_equal(r.numpy(), [np.nan, 2.0])


# --- order statistics: ties, methods, NaN ---------------------------------------------------------
def test_median_and_quantile_split_ties_evenly():
    np.testing.assert_array_equal(_grad(wnp.median, [1.0, 2.0, 2.0]), [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(_grad(wnp.median, [3.0, 2.0, 1.0, 2.0]), [0.0, 0.5, 0.0, 0.5])
    np.testing.assert_array_equal(_grad(wnp.median, [3.0, 2.0, 1.0, 4.0]), [0.5, 0.5, 0.0, 0.0])
    x = np.array([[1.0, 4.0, 4.0, 0.0], [2.0, 2.0, 2.0, 1.0]])
    # quantile 1 is the maximum: the same subgradient as max (ties split evenly)
    np.testing.assert_array_equal(_grad(lambda a: wnp.quantile(a, 1.0, axis=1).sum(), x),
                                  _grad(lambda a: wnp.max(a, axis=1).sum(), x))
    # linear interpolation between order statistics 1 and 2 of [0, 1, 4, 4] at q = 0.5
    np.testing.assert_allclose(_grad(lambda a: wnp.quantile(a[0], 0.5), x),
                               [[0.5, 0.25, 0.25, 0.0], [0.0] * 4], rtol=1e-15)
    assert _hess(wnp.median, [1.0, 2.0, 2.0]).tolist() == np.zeros((3, 3)).tolist()


def test_sort_gradient_follows_the_stable_order():
    x = np.array([3.0, 1.0, 1.0, 2.0])
    w = np.array([10.0, 20.0, 30.0, 40.0])
    np.testing.assert_array_equal(_grad(lambda a: wnp.sort(a) @ w, x), [40.0, 10.0, 20.0, 30.0])
    np.testing.assert_array_equal(wg.jvp(wnp.sort, (x,), (w,))[1], [20.0, 30.0, 40.0, 10.0])


def test_median_with_nan_and_quantile_gradient_in_q():
    x = np.array([[1.0, np.nan, 3.0], [4.0, 2.0, 0.0]])
    np.testing.assert_array_equal(wnp.median(x, axis=1).numpy(), np.median(x, axis=1))
    np.testing.assert_array_equal(_grad(lambda a: wnp.median(a, axis=1)[0], x), np.zeros((2, 3)))
    np.testing.assert_array_equal(wnp.nanmedian(x, axis=1).numpy(), np.nanmedian(x, axis=1))
    # d quantile / dq = (n - 1) * (x_(k+1) - x_(k)) inside a segment
    xs = np.array([0.0, 1.0, 3.0, 6.0])
    assert wg.grad(lambda q: wnp.quantile(xs, q))(0.5) == pytest.approx(3 * 2.0)
    assert wg.grad(lambda q: wnp.percentile(xs, q))(80.0) == pytest.approx(3 * 3.0 / 100)


_METHODS = ["inverted_cdf", "averaged_inverted_cdf", "closest_observation",
            "interpolated_inverted_cdf", "hazen", "weibull", "linear", "median_unbiased",
            "normal_unbiased", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize("method", _METHODS)
def test_quantile_methods_match_numpy(method):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5, 4))
    x[0, :2, 0] = 0.5  # ties
    qs = [0.0, 0.125, 0.5, 0.75, 1.0, np.array([0.05, 0.33, 0.9]), np.array([[0.2], [0.6]])]
    for q in qs:
        for kw in [{}, {"axis": 1}, {"axis": (0, 2), "keepdims": True}, {"axis": -1}]:
            got = wnp.quantile(x, q, method=method, **kw)
            want = np.quantile(x, q, method=method, **kw)
            assert got.shape == want.shape and got.dtype == want.dtype, (q, kw)
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-14, atol=1e-15)
        got = wnp.nanpercentile(np.where(x > 1.2, np.nan, x), np.asarray(q) * 100, axis=1,
                                method=method)
        want = np.nanpercentile(np.where(x > 1.2, np.nan, x), np.asarray(q) * 100, axis=1,
                                method=method)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-14, atol=1e-15)


def test_quantile_float32_and_integer_inputs_keep_numpy_dtypes():
    f = np.arange(10, dtype=np.float32)
    assert wnp.quantile(f, 0.3).dtype == np.quantile(f, 0.3).dtype == np.float32
    assert wnp.quantile(f, np.array([0.3])).dtype == np.float64
    i = np.arange(10)
    for m in ("linear", "lower", "nearest"):
        assert wnp.quantile(i, 0.3, method=m).dtype == np.quantile(i, 0.3, method=m).dtype
    assert wnp.median(i).dtype == np.median(i).dtype


def test_quantile_errors():
    with pytest.raises(ValueError, match=r"range \[0, 1\]"):
        wnp.quantile(np.ones(3), 1.5)
    with pytest.raises(ValueError, match="not a valid method"):
        wnp.quantile(np.ones(3), 0.5, method="bogus")
    with pytest.raises(UnsupportedError, match="weights"):
        wnp.quantile(np.ones(3), 0.5, method="inverted_cdf", weights=np.ones(3))


# --- list results, in-place writes ----------------------------------------------------------------
def test_split_returns_lists_like_numpy():
    x = np.arange(10.0).reshape(2, 5)
    for fn, args in [("split", ([1, 3], 1)), ("array_split", (3, 1)), ("hsplit", ([2],)),
                     ("vsplit", (2,))]:
        got = getattr(wnp, fn)(x, *args)
        want = getattr(np, fn)(x, *args)
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.numpy(), w)
    with pytest.raises(ValueError, match="equal division"):
        wnp.split(x, 3, axis=1)
    parts = wnp.array_split(np.arange(7.0), 3)
    assert [p.shape for p in parts] == [(3,), (2,), (2,)]
    # gradient of a function of some of the pieces
    g = _grad(lambda a: (wnp.split(a, 2, axis=0)[1] ** 2).sum(), x)
    np.testing.assert_array_equal(g, np.vstack([np.zeros(5), 2 * x[1]]))
    assert isinstance(wnp.meshgrid(np.ones(2), np.ones(3)), tuple)


def test_put_along_axis_writes_in_place_and_records_the_write():
    arr = wg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    vals = wg.tensor(np.array([[10.0], [20.0]]), requires_grad=True)
    y = arr * 1.0
    assert wnp.put_along_axis(y, np.array([[2], [0]]), vals, axis=1) is None
    np.testing.assert_array_equal(y.detach().numpy(), [[0, 1, 10], [20, 4, 5]])
    (y * np.arange(1.0, 7.0).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(arr.grad.numpy(), [[1, 2, 0], [0, 5, 6]])
    np.testing.assert_array_equal(vals.grad.numpy(), [[3], [4]])
    plain = np.zeros((2, 2))
    with pytest.raises(UnsupportedError, match="inplace=False"):
        wnp.put_along_axis(plain, np.array([[0], [1]]), wg.tensor(np.ones((2, 1))), axis=1)
    wnp.put_along_axis(plain, np.array([[0], [1]]), 5.0, axis=1)  # plain NumPy still works
    np.testing.assert_array_equal(plain, [[5, 0], [0, 5]])


# --- pad: every mode and width against NumPy ------------------------------------------------------
@pytest.mark.parametrize("mode,kw", [
    ("constant", {}), ("constant", {"constant_values": ((1, 2), (3, 4))}), ("edge", {}),
    ("reflect", {}), ("reflect", {"reflect_type": "odd"}), ("symmetric", {}),
    ("symmetric", {"reflect_type": "odd"}), ("wrap", {}), ("maximum", {}), ("minimum", {}),
    ("mean", {"stat_length": 2}), ("median", {}), ("linear_ramp", {"end_values": (5, -1)}),
    ("empty", {})])
def test_pad_matches_numpy(mode, kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    for pw in [0, 1, 7, (2, 3), ((1, 9), (6, 0))]:
        got = wnp.pad(x, pw, mode=mode, **kw)
        want = np.pad(x, pw, mode=mode, **kw)
        assert got.shape == want.shape
        if mode != "empty":
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-14, atol=1e-14)
    xi = np.arange(6).reshape(2, 3)
    if mode != "empty":
        got = wnp.pad(xi, 2, mode=mode, **kw)
        assert got.dtype == xi.dtype
        np.testing.assert_array_equal(got.numpy(), np.pad(xi, 2, mode=mode, **kw))


def test_pad_gradient_counts_every_copy():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(_grad(lambda a: wnp.pad(a, 2, mode="edge").sum(), x),
                                  [3.0, 1.0, 3.0])
    np.testing.assert_array_equal(_grad(lambda a: wnp.pad(a, 2, mode="reflect").sum(), x),
                                  [2.0, 3.0, 2.0])
    gc = wg.grad(lambda c: wnp.pad(x, (1, 2), constant_values=c).sum())(0.0)
    assert gc == 3.0
    with pytest.raises(UnsupportedError, match="callable"):
        wnp.pad(x, 1, mode=lambda *a: None)


# --- vmap and Taylor mode through the new primitives ----------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda x: wnp.cumsum(x, axis=0), lambda x: wnp.cumprod(x, axis=1), wnp.sort,
    lambda x: wnp.median(x, axis=0), lambda x: wnp.quantile(x, [0.2, 0.7]), wnp.sinc,
    lambda x: wnp.logaddexp(x, x[0]), lambda x: wnp.pad(x, 1, mode="reflect"),
    lambda x: wnp.diag(x[0]), lambda x: wnp.take_along_axis(x, wnp.argsort(x, axis=1), 1),
    lambda x: wnp.nanmean(x, axis=1), lambda x: wnp.partition(x, 1, axis=1),
    lambda x: wnp.trace(x), lambda x: wnp.diff(x, axis=0),
], ids=["cumsum", "cumprod", "sort", "median", "quantile", "sinc", "logaddexp", "pad", "diag",
        "take_along_axis(argsort)", "nanmean", "partition", "trace", "diff"])
def test_vmap_matches_a_loop(fn):
    rng = np.random.default_rng(2)
    xs = rng.standard_normal((4, 3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback-loop warning: every rule is batched
        got = wg.vmap(fn)(xs)
        gg = wg.vmap(wg.grad(lambda x: (fn(x) ** 2).sum()))(xs)
    want = np.stack([np.asarray(fn(x)) for x in xs])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-13, atol=1e-14)
    want_g = np.stack([wg.grad(lambda x: (fn(x) ** 2).sum())(x) for x in xs])
    np.testing.assert_allclose(np.asarray(gg), want_g, rtol=1e-12, atol=1e-13)


def test_jet_through_cumprod_and_logaddexp():
    x = np.array([0.5, 0.0, 2.0])
    v = np.array([1.0, 2.0, -1.0])

    def f(a):
        return wnp.cumprod(a)[2] + wnp.logaddexp(a[0], a[2])

    _, ys = wg.jet(f, (x,), ([v, np.zeros(3), np.zeros(3)],))

    def along(s):
        return f(x + s * v)

    d1 = wg.grad(along)
    d2 = wg.grad(d1)
    d3 = wg.grad(d2)
    np.testing.assert_allclose(np.asarray(ys, dtype=float), [d1(0.0), d2(0.0), d3(0.0)],
                               rtol=1e-13, atol=1e-14)


# --- plain NumPy on Tensors -----------------------------------------------------------------------
def test_numpy_dispatch_reaches_the_new_functions():
    x = np.array([[1.0, 5.0, 2.0], [0.5, 0.0, 3.0]])
    t = wg.tensor(x, requires_grad=True)
    y = (np.cumprod(t, axis=1).sum() + np.median(t) + np.sinh(t).sum() + np.ptp(t)
         + np.add.accumulate(t).sum() + np.percentile(t, 30) + np.trace(t)
         + np.pad(t, 1, mode="edge").sum() + np.hypot(t, 1.0).sum())
    assert isinstance(y, wg.Tensor)
    y.backward()
    want = wg.grad(lambda a: (wnp.cumprod(a, axis=1).sum() + wnp.median(a) + wnp.sinh(a).sum()
                              + wnp.ptp(a) + wnp.cumsum(a, axis=0).sum()
                              + wnp.percentile(a, 30) + wnp.trace(a)
                              + wnp.pad(a, 1, mode="edge").sum()
                              + wnp.hypot(a, 1.0).sum()))(x)
    np.testing.assert_allclose(t.grad.numpy(), want, rtol=1e-14)
    _, r = np.divmod(t, 0.7)
    np.testing.assert_array_equal(r.detach().numpy(), np.mod(x, 0.7))


def test_cross_with_2d_vectors_warns_like_numpy():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    with pytest.warns(DeprecationWarning, match="2-dimensional vectors"):
        got = wnp.cross(a, b)
    with pytest.warns(DeprecationWarning):
        want = np.cross(a, b)
    assert got.item() == want
    np.testing.assert_array_equal(wg.grad(lambda u: wnp.cross(u, np.array([0.0, 1.0, 0.0]))[2])(
        np.array([1.0, 2.0, 3.0])), [1.0, 0.0, 0.0])
