"""wnp.linalg: values against numpy.linalg; derivatives (reverse, forward, second order)
against finite differences along random directions, real and complex, batched; the edge
cases (det of singular matrices, norm at zero, degenerate eigenvalues, sign/phase-invariant
functions of eigen- and singular vectors); float32; NumPy dispatch; errors."""
import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from _checks import check_complex_step, check_grads, check_imperative

la = wnp.linalg
RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _reseed(request):
    """Each test draws the same random matrices however the tests are selected or ordered."""
    global RNG
    RNG = np.random.default_rng(sum(map(ord, request.node.name)))


def _r(*shape, cplx=False):
    x = RNG.standard_normal(shape)
    if cplx:
        x = x + 1j * RNG.standard_normal(shape)
    return x


def _sep(*shape, cplx=False):
    """Random matrices with well-separated singular values 1, 1.7, 2.4, ... (so the finite
    differences of singular vectors are accurate)."""
    m, n = shape[-2:]
    k = min(m, n)
    u = np.linalg.qr(_r(*shape[:-2], m, m, cplx=cplx))[0][..., :k]
    vh = np.linalg.qr(_r(*shape[:-2], n, n, cplx=cplx))[0][..., :k, :]
    return (u * (1 + 0.7 * np.arange(k)[::-1])) @ vh


def _well(*shape, cplx=False):
    """Random square matrices with condition number 2.4 (accurate finite differences)."""
    return _sep(*shape, cplx=cplx)


def _spd(*shape, cplx=False):
    a = _r(*shape, cplx=cplx)
    return a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1])


def H(x):
    return wnp.conj(wnp.swapaxes(x, -1, -2))


def herm(x):
    """Functions of eigh/cholesky are tested on the Hermitian part of their argument."""
    return (x + H(x)) / 2


def abs2(x):
    return wnp.real(x * wnp.conj(x))


def val(x):
    return np.asarray(x.detach()) if isinstance(x, wg.Tensor) else np.asarray(x)


# --- values against NumPy ----------------------------------------------------------------------
A = _well(2, 3, 3)
AC = _well(2, 3, 3, cplx=True)
S = _spd(2, 3, 3)
SC = _spd(2, 3, 3, cplx=True)
B = _r(2, 3, 2)
TALL, WIDE = _r(2, 4, 3), _r(3, 5)

VALUE_CASES = [
    ("inv", (A,), {}), ("inv", (AC,), {}), ("solve", (A, B), {}), ("solve", (AC, B), {}),
    ("solve", (A[0], B[0, :, 0]), {}), ("det", (A,), {}), ("det", (AC,), {}),
    ("slogdet", (A,), {}), ("slogdet", (AC,), {}), ("cholesky", (S,), {}),
    ("cholesky", (SC,), {"upper": True}), ("eigh", (S,), {}), ("eigh", (SC,), {"UPLO": "U"}),
    ("eigvalsh", (SC,), {}), ("svd", (TALL,), {}), ("svd", (WIDE,), {"full_matrices": False}),
    ("svd", (AC,), {"compute_uv": False}), ("qr", (TALL,), {}), ("qr", (WIDE,), {}),
    ("qr", (TALL,), {"mode": "complete"}), ("qr", (WIDE,), {"mode": "r"}),
    ("pinv", (TALL,), {}), ("pinv", (WIDE,), {"rtol": None}), ("matrix_power", (A, 5), {}),
    ("matrix_power", (A, -2), {}), ("matrix_power", (A, 0), {}), ("cond", (A,), {}),
    ("cond", (A,), {"p": "fro"}), ("cond", (A,), {"p": -2}), ("matrix_rank", (TALL,), {}),
    ("multi_dot", ([_r(3), _r(3, 4), _r(4, 5), _r(5, 2)],), {}),
    ("multi_dot", ([_r(2, 3), _r(3, 4), _r(4)],), {}), ("tensorinv", (_r(4, 6, 8, 3),), {}),
    ("tensorsolve", (_well(6, 6).reshape(2, 3, 6), _r(2, 3)), {}), ("trace", (TALL,), {}),
    ("diagonal", (TALL,), {"offset": 1}), ("vecdot", (AC, A), {}), ("svdvals", (A,), {}),
    ("vector_norm", (AC,), {"axis": (0, 2), "ord": 3}), ("matrix_norm", (A,), {"ord": "nuc"}),
    ("outer", (_r(3), _r(4)), {}), ("matrix_transpose", (TALL,), {}),
]


@pytest.mark.parametrize("name,args,kw", VALUE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(VALUE_CASES)])
def test_values_match_numpy(name, args, kw):
    got = getattr(la, name)(*args, **kw)
    ref = getattr(np.linalg, name)(*args, **kw)
    got_l, ref_l = wg.tree_leaves(got), wg.tree_leaves(tuple(ref) if isinstance(ref, tuple)
                                                       else ref)
    assert len(got_l) == len(ref_l)
    for g, r in zip(got_l, ref_l):
        assert isinstance(g, wg.Tensor)
        r = np.asarray(r)
        assert g.shape == r.shape and g.dtype == r.dtype, (g.shape, g.dtype, r.shape, r.dtype)
        np.testing.assert_allclose(val(g), r, rtol=1e-12, atol=1e-12)


def test_result_types_and_lstsq_match_numpy():
    assert la.eigh(S).eigenvectors.shape == (2, 3, 3)
    assert la.svd(TALL).Vh.shape == (2, 3, 3) and la.qr(TALL).R.shape == (2, 3, 3)
    assert la.slogdet(A).logabsdet.shape == (2,)
    a, b = _r(5, 3), _r(5, 2)
    x, res, rank, s = la.lstsq(a, b)
    xr, resr, rankr, sr = np.linalg.lstsq(a, b)
    np.testing.assert_allclose(val(x), xr, rtol=1e-12)
    np.testing.assert_allclose(val(res), resr, rtol=1e-10)
    assert rank == rankr
    np.testing.assert_allclose(val(s), sr, rtol=1e-12)
    x, res, rank, _ = la.lstsq(_r(3, 5), _r(3))  # underdetermined: min-norm x, no residuals
    assert x.shape == (5,) and res.shape == (0,) and rank == 3


NORM_ORDS_VEC = [None, 1, 2, np.inf, -np.inf, 0, 3, 0.5, -1]
NORM_ORDS_MAT = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@pytest.mark.parametrize("cplx", [False, True])
def test_norm_values_match_numpy(cplx):
    x = _r(2, 3, 4, cplx=cplx)
    for o in NORM_ORDS_VEC:
        for kw in ({"axis": 1}, {"axis": -1, "keepdims": True}):
            np.testing.assert_allclose(val(la.norm(x, o, **kw)), np.linalg.norm(x, o, **kw),
                                       rtol=1e-13, err_msg=f"ord={o} {kw}")
        np.testing.assert_allclose(val(la.norm(x[0, 0], o)), np.linalg.norm(x[0, 0], o),
                                   rtol=1e-13)
    for o in NORM_ORDS_MAT:
        for kw in ({"axis": (2, 0)}, {"axis": (0, 1), "keepdims": True}):
            np.testing.assert_allclose(val(la.norm(x, o, **kw)), np.linalg.norm(x, o, **kw),
                                       rtol=1e-13, err_msg=f"ord={o} {kw}")
        np.testing.assert_allclose(val(la.norm(x[0], o)), np.linalg.norm(x[0], o), rtol=1e-13)
    np.testing.assert_allclose(val(la.norm(x)), np.linalg.norm(x), rtol=1e-13)
    np.testing.assert_allclose(val(la.norm(x, keepdims=True)),
                               np.linalg.norm(x, keepdims=True), rtol=1e-13)


# --- derivatives: reverse, forward, second order -------------------------------------------------
def _svd_invariants(full):
    """Functions of the SVD that do not depend on the signs/phases of singular vectors (nor on
    the basis of the complement, for full_matrices)."""
    def f(a):
        u, s, vh = la.svd(a, full_matrices=full)
        k = s.shape[-1]
        u1, vh1, u2, vh2 = u[..., :k], vh[..., :k, :], u[..., k:], vh[..., k:, :]
        return (s, abs2(u1), abs2(vh1), u1 @ vh1, (u1 * s[..., None, :]) @ H(u1),
                wnp.sum(abs2(u1 * s[..., None, :])), u2 @ H(u2), H(vh2) @ vh2)
    return f


def _eigh_invariants(uplo):
    """Eigenvalues, |V|^2 (sign/phase invariant) and the reconstruction V diag(w) V^H."""
    def f(a):
        w, v = la.eigh(herm(a), UPLO=uplo)
        return w, abs2(v), (v * w[..., None, :]) @ H(v)
    return f


def _qr_parts(mode):
    def f(a):
        if mode == "r":
            return la.qr(a, mode="r")
        q, r = la.qr(a, mode=mode)
        k = min(a.shape[-2:])
        return q[..., :k], r, q[..., k:] @ H(q[..., k:])  # complement: through its projector
    return f


DERIV_CASES = [
    ("inv", la.inv, lambda c: (_well(2, 3, 3, cplx=c),)),
    ("solve", la.solve, lambda c: (_well(2, 3, 3, cplx=c), _r(2, 3, 2, cplx=c))),
    ("solve-vector-broadcast", la.solve, lambda c: (_well(2, 3, 3, cplx=c), _r(3, cplx=c))),
    ("det", la.det, lambda c: (_r(2, 3, 3, cplx=c),)),
    ("slogdet", lambda a: tuple(la.slogdet(a)), lambda c: (_well(2, 3, 3, cplx=c),)),
    ("cholesky", lambda a: la.cholesky(herm(a)), lambda c: (_spd(2, 3, 3, cplx=c),)),
    ("cholesky-upper", lambda a: la.cholesky(herm(a), upper=True),
     lambda c: (_spd(3, 3, cplx=c),)),
    ("eigh", _eigh_invariants("L"), lambda c: (_r(2, 3, 3, cplx=c),)),
    ("eigh-U", _eigh_invariants("U"), lambda c: (_r(3, 3, cplx=c),)),
    ("eigvalsh", lambda a: la.eigvalsh(herm(a)), lambda c: (_r(2, 3, 3, cplx=c),)),
    ("svd-square", _svd_invariants(False), lambda c: (_sep(2, 3, 3, cplx=c),)),
    ("svd-tall", _svd_invariants(False), lambda c: (_sep(2, 4, 3, cplx=c),)),
    ("svd-wide-full", _svd_invariants(True), lambda c: (_sep(3, 5, cplx=c),)),
    ("svd-tall-full", _svd_invariants(True), lambda c: (_sep(4, 2, cplx=c),)),
    ("svdvals", lambda a: la.svd(a, compute_uv=False), lambda c: (_sep(2, 4, 3, cplx=c),)),
    ("qr-tall", _qr_parts("reduced"), lambda c: (_sep(2, 4, 3, cplx=c),)),
    ("qr-wide", _qr_parts("reduced"),  # [X Y] with X well conditioned
     lambda c: (np.concatenate([_sep(3, 3, cplx=c), _r(3, 2, cplx=c)], axis=-1),)),
    ("qr-complete", _qr_parts("complete"), lambda c: (_sep(4, 2, cplx=c),)),
    ("qr-r", _qr_parts("r"), lambda c: (_sep(4, 3, cplx=c),)),
    ("pinv", la.pinv, lambda c: (_sep(2, 4, 3, cplx=c),)),
    ("pinv-rank-deficient", lambda b, c_: la.pinv(b @ c_),  # rank 2 along every direction
     lambda c: (_r(4, 2, cplx=c), _r(2, 3, cplx=c))),
    ("lstsq", lambda a, b: la.lstsq(a, b)[:2], lambda c: (_sep(5, 3, cplx=c), _r(5, 2, cplx=c))),
    ("lstsq-wide-vector", lambda a, b: la.lstsq(a, b)[0],
     lambda c: (_sep(3, 5, cplx=c), _r(3, cplx=c))),
    ("matrix_power", lambda a: [la.matrix_power(a, n) for n in (1, 2, 3, 6, -1, -3)],
     lambda c: (_sep(2, 3, 3, cplx=c) / 1.5,)),
    ("multi_dot", lambda a, b, c_, d: la.multi_dot([a, b, c_, d]),
     lambda c: (_r(3, cplx=c), _r(3, 4, cplx=c), _r(4, 2, cplx=c), _r(2, cplx=c))),
    ("cond", lambda a: (la.cond(a), la.cond(a, "fro"), la.cond(a, -2)),
     lambda c: (_well(2, 3, 3, cplx=c),)),
    ("tensorsolve", la.tensorsolve,
     lambda c: (_well(6, 6, cplx=c).reshape(2, 3, 6), _r(2, 3, cplx=c))),
]


@pytest.mark.parametrize("cplx", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("name,fn,make", DERIV_CASES, ids=[c[0] for c in DERIV_CASES])
def test_derivatives(name, fn, make, cplx):
    check_grads(fn, make(cplx), order=2, label=name)


@pytest.mark.parametrize("cplx", [False, True], ids=["real", "complex"])
def test_norm_derivatives(cplx):
    # magnitudes strictly ordered along every axis (and in every row/column sum), so the
    # finite differences do not cross the kinks of max/min/abs; random signs or phases
    i, j, k = np.indices((2, 3, 4))
    mag = 1 + 0.5 * i + 0.17 * j + 0.05 * k + 0.005 * RNG.uniform(size=(2, 3, 4))
    x = _r(2, 3, 4, cplx=cplx)
    x = x / np.abs(x) * mag

    def vec(x):
        return [la.norm(x, o, axis=1) for o in NORM_ORDS_VEC if o != 0] + [
            la.norm(x, keepdims=True), la.norm(x[0, 0], 2)]

    def mat(x):
        return [la.norm(x, o, axis=(2, 0)) for o in NORM_ORDS_MAT if o not in (2, -2, "nuc")]

    def svd_based(x):
        return [la.norm(x, o, axis=(-2, -1)) for o in (2, -2, "nuc", "fro")]

    check_grads(vec, (x,), label="vector norms")
    check_grads(mat, (x,), label="matrix norms", order=1)  # max/min of sums: piecewise linear
    check_grads(svd_based, (_sep(2, 4, 3, cplx=cplx),), label="singular-value norms")
    assert np.all(wg.grad(lambda x: la.norm(x, 0))(_r(3)) == 0)  # a count: derivative 0


def test_third_order_and_gradcheck_full_jacobians():
    a = _well(2, 2)
    check_grads(la.det, (a,), order=3, modes=("rev",), label="det")
    check_grads(lambda a: la.eigh(herm(a))[0], (_r(3, 3),), order=3, modes=("fwd",))
    assert wg.autograd.gradcheck(la.inv, (a,))
    assert wg.autograd.gradgradcheck(la.inv, (a,))
    assert wg.autograd.gradgradcheck(lambda a: la.cholesky(herm(a)), (_spd(3, 3),))


def test_complex_step_on_real_analytic_functions():
    for f, args in [(la.inv, (_well(3, 3),)), (la.det, (_r(2, 3, 3),)),
                    (la.solve, (_well(3, 3), _r(3, 2))),
                    (lambda a: la.matrix_power(a, -2), (_well(3, 3),))]:
        check_complex_step(f, args, rtol=1e-11)


def test_imperative_api():
    check_imperative(lambda a: la.slogdet(a)[1], (_well(2, 3, 3),))
    check_imperative(lambda a: la.eigvalsh(herm(a)), (_r(3, 3),))
    x = wg.tensor(_spd(3, 3), requires_grad=True)
    la.slogdet(x).logabsdet.backward()
    np.testing.assert_allclose(val(x.grad), np.linalg.inv(val(x)).T, rtol=1e-12)


# --- edge cases ---------------------------------------------------------------------------------
def _adjugate_transpose(a):
    n = a.shape[0]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
                      for j in range(n)] for i in range(n)])


@pytest.mark.parametrize("rank", [0, 1, 2, 3], ids=lambda r: f"rank{r}")
def test_det_of_singular_matrix_has_the_adjugate_gradient(rank):
    a = _r(4, rank) @ _r(rank, 4) if rank else np.zeros((4, 4))
    g = wg.grad(la.det)(a)
    np.testing.assert_allclose(g, _adjugate_transpose(a), atol=1e-12)
    _, t = wg.jvp(la.det, (a,), (np.ones((4, 4)),))
    np.testing.assert_allclose(t, np.sum(_adjugate_transpose(a)), atol=1e-12)
    # second derivatives (derivative of the adjugate) are exact at any rank
    check_grads(la.det, (a,), order=2, label=f"det at rank {rank}")


def test_det_singular_complex_and_mixed_batch():
    a = _r(3, 2, cplx=True) @ _r(2, 3, cplx=True)
    g = wg.grad(lambda a: wnp.real(la.det(a)))(a)
    np.testing.assert_allclose(g, _adjugate_transpose(a), atol=1e-12)  # JAX: f'(A), no conj
    batch = np.stack([_r(3, 1) @ _r(1, 3), _well(3, 3)])
    check_grads(la.det, (batch,), label="det, batch of singular and regular")
    # |det|^2 = det conj(det): gradient 2 conj(det) cof(A) under JAX's convention
    z = _r(3, 3, cplx=True)
    d = np.linalg.det(z)
    np.testing.assert_allclose(wg.grad(lambda z: abs2(la.det(z)))(z),
                               2 * np.conj(d) * _adjugate_transpose(z), rtol=1e-10)


def test_norm_at_zero_has_zero_gradient_in_every_order():
    for o in [None, 1, 2, np.inf, -np.inf, 3]:
        def f(x, o=o):
            return la.norm(x, o)

        for x in (np.zeros(3), np.zeros(3, complex)):
            g = wg.grad(f)(x)
            assert np.all(g == 0), (o, g)
        h = wg.hessian(f)(np.zeros(3))
        assert np.all(h == 0), (o, h)
    for o in NORM_ORDS_MAT:
        g = wg.grad(lambda x, o=o: la.norm(x, o))(np.zeros((2, 3)))
        assert np.all(g == 0), (o, g)
    _, t = wg.jvp(la.norm, (np.zeros(4),), (np.ones(4),))
    assert t == 0
    # mixed: a zero row among nonzero ones keeps the other rows exact
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(wg.grad(lambda x: wnp.sum(la.norm(x, axis=1)))(x),
                               [[0, 0], [0.6, 0.8]])


def test_norm_subgradients_at_ties_and_rank_deficiency():
    # spectral norm at the identity: the tie splits evenly (minimum-norm subgradient I/n)
    np.testing.assert_allclose(wg.grad(lambda x: la.norm(x, 2))(np.eye(3)), np.eye(3) / 3,
                               atol=1e-15)
    # nuclear norm of a rank-one matrix: u v^T (zero singular values contribute nothing)
    u, v = np.array([1.0, 2.0, 2.0]), np.array([3.0, 4.0])
    np.testing.assert_allclose(wg.grad(lambda x: la.norm(x, "nuc"))(np.outer(u, v)),
                               np.outer(u / 3, v / 5), atol=1e-14)


def test_eigh_degenerate_eigenvalues_projector_and_cluster_sum():
    q = np.linalg.qr(_r(4, 4))[0]
    a = q @ np.diag([1.0, 1.0, 1.0, 3.0]) @ q.T  # a triple eigenvalue (numerically split)

    def projector(a):
        v = la.eigh(herm(a))[1][:, :3]
        return v @ v.T

    check_grads(projector, (a,), order=1, label="projector onto a degenerate eigenspace")
    g = wg.grad(lambda a: wnp.sum(la.eigh(a)[0][:3]))(a)  # trace over the cluster
    p3 = q[:, :3] @ q[:, :3].T  # (NumPy reads the lower triangle: the gradient lives there)
    np.testing.assert_allclose(g, 2 * np.tril(p3, -1) + np.diag(np.diag(p3)), atol=1e-12)
    g = wg.grad(lambda a: wnp.sum(la.eigh(a)[1] ** 2))(np.eye(3))  # exact ties: finite
    assert np.all(np.isfinite(g))


def test_eigh_and_cholesky_read_one_triangle_like_numpy():
    # NumPy reads only the lower triangle: the gradient lives there (the strict upper
    # triangle gets 0), and it agrees with finite differences of NumPy's own function
    s = _spd(3, 3)
    v0 = np.linalg.eigh(s)[1][:, 0]
    outer = np.outer(v0, v0)
    tri = 2 * np.tril(outer, -1) + np.diag(np.diag(outer))
    np.testing.assert_allclose(wg.grad(lambda a: la.eigh(a)[0][0])(s), tri, atol=1e-12)
    np.testing.assert_allclose(wg.grad(lambda a: la.eigvalsh(a, UPLO="U")[0])(s), tri.T,
                               atol=1e-12)
    eps = 1e-6
    for i, j in [(1, 0), (0, 1), (2, 2)]:
        e = np.zeros((3, 3))
        e[i, j] = eps
        fd = (np.linalg.eigh(s + e)[0][0] - np.linalg.eigh(s - e)[0][0]) / (2 * eps)
        np.testing.assert_allclose(tri[i, j], fd, atol=1e-7)
    g = wg.grad(lambda a: wnp.sum(la.cholesky(a)))(s)
    assert np.all(np.triu(g, 1) == 0)
    # through a symmetrisation both conventions agree: the gradient is symmetric
    gs = wg.grad(lambda b: la.eigh(b + b.T)[0][0])(s / 2)
    np.testing.assert_allclose(gs, 2 * outer, atol=1e-12)


def test_svd_sign_invariant_functions():
    a = _r(4, 3)
    # sum of squares of U S is ||A||_F^2: gradient 2A
    def us_squared(a):
        u, s, _ = la.svd(a, full_matrices=False)
        return wnp.sum((u * s) ** 2)

    def polar(a):  # U Vh is the orthogonal polar factor, whatever signs LAPACK picks
        u, _, vh = la.svd(a, full_matrices=False)
        return u @ vh

    np.testing.assert_allclose(wg.grad(us_squared)(a), 2 * a, rtol=1e-12)
    check_grads(polar, (_sep(3, 3),), order=1)


def test_float32_stays_single_precision():
    a = _well(2, 3, 3).astype(np.float32)
    s = _spd(3, 3).astype(np.float32)
    fns = [la.inv, la.det, lambda a: la.slogdet(a)[1], lambda a: la.cholesky(herm(a)),
           lambda a: la.eigh(herm(a))[0], lambda a: la.svd(a)[1], lambda a: la.qr(a)[1],
           la.pinv, lambda a: la.norm(a, "nuc", axis=(-2, -1)),
           lambda a: la.matrix_power(a, 3), lambda a: la.solve(a, a[..., :1])]
    for f in fns:
        x = s if f is fns[3] or f is fns[4] else a
        assert f(x).dtype == np.float32
        g = wg.grad(lambda x, f=f: wnp.sum(f(x)))(x)
        assert g.dtype == np.float32 and np.all(np.isfinite(g))
    check_grads(la.inv, (a,), order=1, label="inv float32")


def test_vmap_batches_like_numpy():
    a = _well(4, 3, 3)
    f = wg.grad(lambda a: la.det(a) + wnp.sum(la.svd(a)[1]) + wnp.sum(la.inv(a)))
    np.testing.assert_allclose(wg.vmap(f)(a), np.stack([f(x) for x in a]), rtol=1e-12)


# --- NumPy dispatch and errors -------------------------------------------------------------------
def test_numpy_functions_dispatch_on_tensors():
    x = wg.tensor(_spd(3, 3), requires_grad=True)
    for name in ["inv", "det", "cholesky", "eigvalsh", "pinv", "norm", "cond", "svdvals"]:
        out = getattr(np.linalg, name)(x)
        assert isinstance(out, wg.Tensor) and out.requires_grad, name
        np.testing.assert_allclose(val(out), getattr(np.linalg, name)(val(x)), rtol=1e-12)
    w, v = np.linalg.eigh(x)
    assert w.requires_grad and v.requires_grad
    np.linalg.solve(x, np.ones(3)).sum().backward()
    np.testing.assert_allclose(val(x.grad), -np.outer(np.linalg.solve(val(x).T, np.ones(3)),
                                                      np.linalg.solve(val(x), np.ones(3))),
                               rtol=1e-12)
    assert isinstance(np.linalg.matrix_power(x, 2), wg.Tensor)
    assert isinstance(np.linalg.multi_dot([x, x, x]), wg.Tensor)
    w, v = np.linalg.eig(x)  # the general eigenproblem dispatches too (wnp.linalg.eig)
    assert isinstance(w, wg.Tensor) and w.requires_grad and v.requires_grad


def test_errors():
    with pytest.raises(la.LinAlgError, match="square"):
        la.inv(_r(2, 3))
    with pytest.raises(la.LinAlgError, match="two-dimensional"):
        la.det(_r(3))
    with pytest.raises(ValueError, match="Invalid norm order"):
        la.norm(_r(3), "fro")
    with pytest.raises(ValueError, match="Invalid norm order for matrices"):
        la.norm(_r(3, 3), 3)
    with pytest.raises(ValueError, match="Improper number of dimensions"):
        la.norm(_r(2, 2, 2), 2)
    with pytest.raises(wg.UnsupportedError, match="raw"):
        la.qr(_r(3, 3), mode="raw")
    with pytest.raises(ValueError, match="UPLO"):
        la.eigh(_spd(3, 3), UPLO="X")
    with pytest.raises(TypeError, match="integer"):
        la.matrix_power(_r(3, 3), 1.5)
