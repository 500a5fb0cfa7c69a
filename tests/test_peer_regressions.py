"""Regressions found by running a peer AD library's gradient test suite (adapted to wengert's
API, outside this repository) against wengert: each test here is our own restatement of a
failure that suite exposed, checked against NumPy/SciPy values, analytic derivatives or
finite differences (tests/_checks.py)."""
import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from _checks import check_grads

RNG = np.random.default_rng(11)


# --- Python scalars where an array is expected -------------------------------------------------------
def test_reductions_and_casts_of_python_scalars():
    # comparisons of Python floats give Python bools; NumPy reduces and casts them
    assert wnp.sum(2.0 < 2.0) + 0.0 == 0.0
    assert wnp.sum(True) == 1 and np.asarray(wnp.sum(True)).dtype == np.sum(True).dtype
    assert np.asarray(wnp.astype(3, np.float32)).dtype == np.float32
    # and the gradient of a function that only compares is zero, not an error
    g = wg.grad(lambda x, y: wnp.sum(x <= y) + 0.0)(2.0, 3.0)
    assert g == 0.0


def test_tensordot_with_a_python_scalar():
    v = RNG.standard_normal(4)
    np.testing.assert_allclose(wnp.tensordot(v, 1.5, axes=0), np.tensordot(v, 1.5, axes=0))
    gx, gy = wg.grad(lambda x, y: wnp.sum(wnp.tensordot(x, y, axes=0)), argnums=(0, 1))(v, 1.5)
    np.testing.assert_allclose(gx, np.full(4, 1.5))
    np.testing.assert_allclose(gy, v.sum())


def test_functions_accept_sequences_of_traced_values():
    # d/dx sqrt(x^2 + (x + 2)^2) at 0 is 2 / sqrt(4) = 1, for a list and for a tuple
    assert wg.grad(lambda x: wnp.linalg.norm([x, x + 2]))(0.0) == pytest.approx(1.0)
    assert wg.grad(lambda x: wnp.linalg.norm((x, x + 2)))(0.0) == pytest.approx(1.0)
    # any op: sum of a list of arrays, one of them traced
    a = RNG.standard_normal(3)
    np.testing.assert_allclose(wg.grad(lambda x: wnp.sum(wnp.exp([x, a])))(a), np.exp(a))


# --- the % operator -------------------------------------------------------------------------------------
def test_mod_operator_on_tensors():
    x = wg.tensor(np.array([5.5, -3.2, 0.7]), requires_grad=True)
    y = x % 2.0
    np.testing.assert_allclose(y.detach().numpy(), np.array([5.5, -3.2, 0.7]) % 2.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones(3))
    # d(a % b)/db = -floor(a / b)
    ga, gb = wg.grad(lambda a, b: a % b, argnums=(0, 1))(5.5, 2.0)
    assert ga == 1.0 and gb == -2.0
    xv = x.detach().numpy()
    np.testing.assert_allclose((7.0 % x).detach().numpy(), 7.0 % xv)
    q, r = divmod(x, 2.0)
    np.testing.assert_allclose(q.detach().numpy(), np.floor_divide(xv, 2.0))
    np.testing.assert_allclose(r.detach().numpy(), np.remainder(xv, 2.0))
    check_grads(lambda a, b: a % b, [RNG.uniform(0.1, 0.9, 4), RNG.uniform(1.1, 1.9, 4)])


# --- predicates ---------------------------------------------------------------------------------------
def test_predicates_on_traced_values():
    x = np.array([1.0, 2.0, 3.0])

    def f(z):
        assert wnp.allclose(z, z * 3.0 / 3.0)  # a check inside differentiated code
        assert not wnp.array_equal(z, z + 1) and wnp.array_equiv(z, z)
        assert wnp.isrealobj(z) and not wnp.iscomplexobj(z) and not wnp.isscalar(z)
        return wnp.sum(z ** 2)

    np.testing.assert_allclose(wg.grad(f)(x), 2 * x)
    assert type(wnp.allclose(x, x)) is bool
    with pytest.raises(TypeError):  # a bool has no gradient: say so
        wg.grad(lambda z: wnp.allclose(z, z))(x)
    z = np.array([1 + 1j, 2.0 + 0j])
    np.testing.assert_array_equal(wnp.iscomplex(z).numpy(), np.iscomplex(z))
    np.testing.assert_array_equal(wnp.isreal(z).numpy(), np.isreal(z))
    np.testing.assert_array_equal(wnp.isclose(x, x + 1e-9).numpy(), [True] * 3)
    assert np.allclose(wg.tensor(x, requires_grad=True), x)  # through __array_function__
    # real_if_close: drops a negligible imaginary part and keeps the derivative of real(a)
    near = np.array([1.0 + 1e-20j, 2.0 + 0j])
    assert not np.iscomplexobj(wnp.real_if_close(near))
    g = wg.grad(lambda a: wnp.sum(wnp.real_if_close(a * (1 + 1e-20j)) ** 2))(x)
    np.testing.assert_allclose(g, 2 * x)
    assert np.iscomplexobj(wnp.real_if_close(z))


# --- r_, c_ and random ------------------------------------------------------------------------------------
def test_r_and_c_concatenate_differentiably():
    a = RNG.standard_normal((3, 2))
    c = RNG.standard_normal((3, 2))
    np.testing.assert_allclose(wnp.r_[a, c, a], np.r_[a, c, a])
    np.testing.assert_allclose(wnp.c_[a, c, a], np.c_[a, c, a])
    v = RNG.standard_normal(4)
    np.testing.assert_allclose(wnp.r_[v, 1:4, 2.5], np.r_[v, 1:4, 2.5])
    np.testing.assert_allclose(wnp.c_[v, v], np.c_[v, v])
    # every occurrence of x contributes its share of the gradient
    np.testing.assert_allclose(wg.grad(lambda x: wnp.sum(wnp.r_[x, c, x] ** 2))(a), 4 * a)
    np.testing.assert_allclose(wg.grad(lambda x: wnp.sum(wnp.c_[x, c, x] ** 2))(a), 4 * a)
    np.testing.assert_allclose(wg.grad(lambda x: wnp.sum(wnp.r_[x, 0:3] ** 3))(v), 3 * v ** 2)
    check_grads(lambda x: wnp.c_[x, c], [a])


def test_numpy_random_is_reachable_from_wnp():
    assert wnp.random.RandomState(0).randn(3).shape == (3,)
    wnp.random.seed(3)
    first = wnp.random.randn(2)
    np.random.seed(3)
    np.testing.assert_array_equal(first, np.random.randn(2))


# --- elementwise_grad and holomorphic grad ----------------------------------------------------------------
def test_elementwise_grad_is_the_jacobian_diagonal_of_elementwise_functions():
    x = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(wg.elementwise_grad(wnp.tanh)(x), 1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(wg.elementwise_grad(lambda a, b: a * wnp.sin(b), argnums=1)(2.0, x),
                               2.0 * np.cos(x))
    # it is the VJP of ones: for any function, the column sums of the Jacobian
    m = RNG.standard_normal((3, 7))
    np.testing.assert_allclose(wg.elementwise_grad(lambda v: m @ v)(x), m.sum(axis=0))
    # differentiable again: d/dx of sin'(x) = -sin(x)
    np.testing.assert_allclose(wg.elementwise_grad(wg.elementwise_grad(wnp.sin))(x), -np.sin(x))
    with pytest.raises(TypeError, match="dtype"):
        wg.elementwise_grad(lambda v: v > 0)(x)


def test_holomorphic_grad_is_the_complex_derivative():
    z = 0.7 - 0.4j
    assert wg.grad(lambda w: w * (1.0 + 0.2j), holomorphic=True)(1.0 + 0j) == pytest.approx(
        1.0 + 0.2j)
    assert wg.grad(lambda w: w ** 3, holomorphic=True)(z) == pytest.approx(3 * z ** 2)
    zs = np.array([1 + 1j, 2.0 - 0.5j])
    np.testing.assert_allclose(wg.grad(lambda w: wnp.sum(wnp.sin(w)), holomorphic=True)(zs),
                               np.cos(zs))
    v, g = wg.value_and_grad(lambda w: wnp.exp(w), holomorphic=True)(z)
    assert v == pytest.approx(np.exp(z)) and g == pytest.approx(np.exp(z))
    with pytest.raises(TypeError, match="complex inputs"):
        wg.grad(lambda w: w * 1j, holomorphic=True)(1.0)
    with pytest.raises(TypeError, match="complex scalar output"):
        wg.grad(lambda w: wnp.real(w), holomorphic=True)(z)
    with pytest.raises(TypeError, match="holomorphic=True"):  # the hint in the plain error
        wg.grad(lambda w: w * (1 + 1j))(1.0)
    # JAX's flag on the Jacobian transforms: the complex Jacobian, inputs checked
    np.testing.assert_allclose(wg.jacrev(lambda w: w ** 2, holomorphic=True)(zs),
                               np.diag(2 * zs))
    np.testing.assert_allclose(wg.jacfwd(lambda w: w ** 2, holomorphic=True)(zs),
                               np.diag(2 * zs))
    np.testing.assert_allclose(wg.hessian(lambda w: wnp.sum(w ** 3), holomorphic=True)(zs),
                               np.diag(6 * zs))
    with pytest.raises(TypeError, match="complex inputs"):
        wg.jacobian(lambda w: w ** 2, holomorphic=True)(np.ones(2))


# --- wnp.linalg.eig -----------------------------------------------------------------------------------
def test_eig_values_and_derivatives():
    a = RNG.standard_normal((5, 5))
    w, v = wnp.linalg.eig(a)
    wr, vr = np.linalg.eig(a)
    np.testing.assert_allclose(w.numpy(), wr)
    np.testing.assert_allclose(np.abs(v.numpy()), np.abs(vr))
    # eigenvalues of a diagonal matrix: dw_k / dA = e_k e_k^T
    d = np.diag([1.0, 2.0, 4.0])
    g = wg.grad(lambda m: wnp.real(wnp.linalg.eigvals(m)[1]))(d)
    np.testing.assert_allclose(g, np.diag([0.0, 1.0, 0.0]), atol=1e-12)
    # phase-independent functions of the eigenvectors, real and complex, batched.  LAPACK's
    # eigenvalue order can change under a perturbation, so the finite-difference stencil is
    # kept small (eps 1e-5) to stay on one ordering
    tight = {"eps": 1e-5, "rtol": 1e-5}
    check_grads(lambda m: (wnp.abs(wnp.linalg.eig(m)[0]), wnp.abs(wnp.linalg.eig(m)[1])), [a],
                **tight)
    ac = RNG.standard_normal((2, 4, 4)) + 1j * RNG.standard_normal((2, 4, 4))
    check_grads(lambda m: (wnp.linalg.eig(m)[0], wnp.abs(wnp.linalg.eig(m)[1])), [ac], **tight)
    s = RNG.standard_normal((4, 4))
    check_grads(lambda m: wnp.linalg.eigvals(m + m.T), [s], **tight)  # real eigenvalues
    # a function of the spectrum that does not depend on the order: the default stencil
    check_grads(lambda m: wnp.sum(wnp.linalg.eigvals(m) ** 3), [ac])


# --- scipy: special, stats, linalg, signal ---------------------------------------------------------
sps = pytest.importorskip("scipy.special", reason="SciPy is an optional dependency")


def test_bessel_functions_and_gammasgn():
    import wengert.scipy.special as ws
    x = np.linspace(0.4, 6.0, 5)
    pairs = [(ws.j0, sps.j0, lambda x: sps.jvp(0, x)), (ws.j1, sps.j1, lambda x: sps.jvp(1, x)),
             (ws.y0, sps.y0, lambda x: sps.yvp(0, x)), (ws.y1, sps.y1, lambda x: sps.yvp(1, x)),
             (lambda x: ws.jn(2, x), lambda x: sps.jn(2, x), lambda x: sps.jvp(2, x)),
             (lambda x: ws.yn(3, x), lambda x: sps.yn(3, x), lambda x: sps.yvp(3, x)),
             (lambda x: ws.jv(1.5, x), lambda x: sps.jv(1.5, x), lambda x: sps.jvp(1.5, x)),
             (lambda x: ws.yv(0.5, x), lambda x: sps.yv(0.5, x), lambda x: sps.yvp(0.5, x))]
    for f, ref, dref in pairs:
        np.testing.assert_allclose(f(x).numpy(), ref(x), rtol=1e-14)
        np.testing.assert_allclose(wg.elementwise_grad(f)(x), dref(x), rtol=1e-12, atol=1e-14)
        check_grads(f, [x])
    np.testing.assert_allclose(wg.elementwise_grad(wg.elementwise_grad(ws.j0))(x),
                               sps.jvp(0, x, 2), atol=1e-14)
    with pytest.raises(wg.GradientError, match="order"):
        wg.grad(lambda v: ws.jv(v, 1.0))(1.5)
    z = np.array([-0.5, -1.5, 0.5])
    np.testing.assert_array_equal(ws.gammasgn(z).numpy(), sps.gammasgn(z))
    np.testing.assert_array_equal(wg.elementwise_grad(ws.gammasgn)(z), np.zeros(3))


def test_chi2_dirichlet_and_multivariate_normal():
    import scipy.stats as ss

    import wengert.scipy.stats as st
    x = RNG.uniform(0.5, 4.0, 4)
    for df in (1, 2, 3.5):
        np.testing.assert_allclose(st.chi2.logpdf(x, df).numpy(), ss.chi2.logpdf(x, df))
        np.testing.assert_allclose(st.chi2.cdf(x, df).numpy(), ss.chi2.cdf(x, df))
        check_grads(lambda v: st.chi2.logpdf(v, df), [x])
    # dirichlet: x along the first axis (SciPy's layout), d/dalpha against finite differences
    alpha = RNG.uniform(1.2, 3.0, 4)
    p = np.array([0.2, 0.3, 0.1, 0.4])
    np.testing.assert_allclose(st.dirichlet.logpdf(p, alpha).numpy(), ss.dirichlet.logpdf(p, alpha))
    pn = RNG.dirichlet(alpha, size=3).T
    np.testing.assert_allclose(st.dirichlet.pdf(pn, alpha).numpy(), ss.dirichlet.pdf(pn, alpha))
    check_grads(lambda a: st.dirichlet.logpdf(p, a), [alpha])
    check_grads(lambda q: st.dirichlet.logpdf(q / wnp.sum(q), alpha), [p])
    with pytest.raises(ValueError, match="sum to 1"):
        st.dirichlet.logpdf(p * 1.1, alpha)
    # multivariate normal: values, the analytic covariance gradient (also at cov = I, where
    # an eigendecomposition-based rule would meet a fourfold tie), entropy
    m = RNG.standard_normal(4)
    b = RNG.standard_normal((4, 4))
    cov = b @ b.T + np.eye(4)
    pts = RNG.standard_normal((5, 4))
    np.testing.assert_allclose(st.multivariate_normal.logpdf(pts, m, cov).numpy(),
                               ss.multivariate_normal.logpdf(pts, m, cov))
    assert st.multivariate_normal.logpdf(pts[0], m, cov).shape == ()
    np.testing.assert_allclose(st.multivariate_normal.entropy(m, cov).numpy(),
                               ss.multivariate_normal.entropy(m, cov))
    for c in (cov, np.eye(4)):
        dev = pts[0] - m
        ci = np.linalg.inv(c)
        g = wg.grad(lambda k: st.multivariate_normal.logpdf(pts[0], m, k))(c)
        np.testing.assert_allclose(g, -0.5 * ci + 0.5 * ci @ np.outer(dev, dev) @ ci, atol=1e-12)
    check_grads(lambda v, mu: st.multivariate_normal.pdf(v, mu, cov), [pts, m], order=1)
    # degenerate covariance with allow_singular=True: SciPy's density on the support
    sing = np.diag([1.0, 2.0, 0.0, 0.0])
    on = np.array([0.3, -0.2, 0.0, 0.0])
    np.testing.assert_allclose(
        st.multivariate_normal.logpdf(on, np.zeros(4), sing, allow_singular=True).numpy(),
        ss.multivariate_normal.logpdf(on, np.zeros(4), sing, allow_singular=True))
    assert st.multivariate_normal.logpdf(np.ones(4), np.zeros(4), sing,
                                         allow_singular=True).numpy() == -np.inf
    check_grads(lambda v: st.multivariate_normal.logpdf(
        wnp.concatenate([v, np.zeros(2)]), np.zeros(4), sing, allow_singular=True),
        [on[:2]], order=1)


def test_sqrtm_and_solve_sylvester():
    import scipy.linalg as sla

    import wengert.scipy.linalg as wl
    a, b, q = (RNG.standard_normal((3, 3)) for _ in range(3))
    np.testing.assert_allclose(wl.solve_sylvester(a, b, q).numpy(), sla.solve_sylvester(a, b, q))
    check_grads(wl.solve_sylvester, [a, b, q])
    spd = a @ a.T + 3 * np.eye(3)
    np.testing.assert_allclose(wl.sqrtm(spd).numpy(), sla.sqrtm(spd))
    check_grads(wl.sqrtm, [spd])
    # a symmetric matrix with negative eigenvalues has a complex square root
    sym = np.array([[1.0, 2.0, 0.0], [2.0, -1.0, 0.5], [0.0, 0.5, 2.0]])
    assert np.iscomplexobj(wl.sqrtm(sym).numpy())
    check_grads(lambda m: wl.sqrtm((m + m.T) / 2), [sym], rtol=1e-5)
    # d sqrtm(A)[E] solves S X + X S = E: check that identity for the JVP
    e = RNG.standard_normal((3, 3))
    s, ds = wg.jvp(wl.sqrtm, (spd,), (e,))
    np.testing.assert_allclose(s @ ds + ds @ s, e, atol=1e-12)


def test_solve_banded():
    import scipy.linalg as sla

    import wengert.scipy.linalg as wl
    for (lo, up), n in [((1, 1), 5), ((2, 0), 4), ((0, 2), 6), ((1, 2), 5)]:
        ab = RNG.standard_normal((lo + up + 1, n))
        ab[up] += 5.0  # diagonally dominant
        for b in (RNG.standard_normal(n), RNG.standard_normal((n, 2))):
            np.testing.assert_allclose(wl.solve_banded((lo, up), ab, b).numpy(),
                                       sla.solve_banded((lo, up), ab, b))
            # also perturbs the storage corners LAPACK never reads: their gradient is 0
            check_grads(lambda a, r: wl.solve_banded((lo, up), a, r), [ab, b])
    abc = ab + 1j * RNG.standard_normal(ab.shape)
    check_grads(lambda a: wl.solve_banded((1, 2), a, np.ones(5)), [abc], order=1)


def test_signal_convolve_and_correlate():
    import scipy.signal as ssig

    import wengert.scipy.signal as wsig
    shapes = [((6,), (3,)), ((2,), (5,)), ((5, 4), (3, 2)), ((4, 3), (2, 3))]
    for sa, sb in shapes:
        a, b = RNG.standard_normal(sa), RNG.standard_normal(sb)
        for mode in ("full", "same", "valid"):
            for ours, ref in ((wsig.convolve, ssig.convolve), (wsig.correlate, ssig.correlate)):
                np.testing.assert_allclose(ours(a, b, mode).numpy(), ref(a, b, mode),
                                           atol=1e-12)
            check_grads(lambda x, y: wsig.convolve(x, y, mode), [a, b], order=1)
    with pytest.raises(ValueError, match="at least as large"):
        wsig.convolve(np.ones((3, 1)), np.ones((1, 3)), "valid")
    # integers stay integers, as in SciPy
    assert np.asarray(wsig.convolve([1, 2, 3], [1, 1])).dtype.kind == "i"
    zc = RNG.standard_normal(5) + 1j * RNG.standard_normal(5)
    np.testing.assert_allclose(wsig.correlate(zc, zc[:3], "same").numpy(),
                               ssig.correlate(zc, zc[:3], "same"), atol=1e-12)
    check_grads(lambda x: wsig.fftconvolve(x, zc[:2], "full"), [zc], order=1)
