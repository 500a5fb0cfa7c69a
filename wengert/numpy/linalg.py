"""wengert.numpy.linalg: NumPy's ``numpy.linalg`` with derivatives in every mode.

Each decomposition is one primitive whose NumPy forward, VJP rule and JVP rule sit together
below.  The rules are written with wengert operations (``matmul``, ``solve``, transposes,
``where``), so they are differentiable themselves: second and higher derivatives need nothing
more.  Everything is batched over leading axes exactly as NumPy is.

Conventions (see also docs/conventions.md):

* Complex inputs follow JAX's convention, as the rest of wengert does: a VJP rule is the
  transpose of the JVP rule for the real bilinear pairing ``Re(sum(a * b))`` (no conjugation),
  so for holomorphic functions (``inv``, ``solve``, ``det``, ``matrix_power``, ``pinv`` on
  invertible input) the cotangent is multiplied by ``f'(A)`` transposed, not conjugated;
  ``grad`` of a real-valued function of complex ``z`` is ``df/dx - i df/dy``.
* Hermitian inputs (``cholesky``, ``eigh``, ``eigvalsh``): NumPy reads one triangle only.  The
  derivative is taken of the function of the Hermitian part ``(A + A^H) / 2``: tangents are
  symmetrised before use and cotangents come out Hermitian.  This agrees with every other
  convention on Hermitian perturbations, which are the only meaningful ones.
* Eigenvector and singular-vector derivatives contain ``1 / (w_j - w_i)``
  (``1 / (s_j^2 - s_i^2)`` for the SVD).  As two eigenvalues approach each other these grow
  without bound, and at a tie the individual vectors are not differentiable at all (any
  rotation inside the eigenspace is as good).  What wengert does: pairs with
  ``|w_i - w_j| <= n * eps * max|w|`` (numerically indistinguishable) count as ties and
  their coefficient is set to 0, so no inf/NaN appears (JAX and PyTorch return NaN there).
  Distinct eigenvalues above that threshold keep their exact, possibly huge, coefficient.
  The masked result is exact for functions that see a degenerate eigenspace only through its
  projector ``sum_{i in cluster} v_i v_i^H`` and symmetric functions of the cluster's
  eigenvalues (trace over the cluster, spectral projectors, ``V h(w) V^H`` with ``h``
  constant on the cluster).  It drops the within-cluster term ``h'(w) (V^H dA V)_ij`` of a
  matrix function ``V h(w) V^H`` whose ``h`` varies across the tie (e.g. ``V diag(w^2) V^H``
  at ``A = I``): that term depends on ``h'``, which the eigh rule never sees.  For such
  functions at degenerate points write the matrix function directly (``A @ A``, ``expm``).
  Singular values below ``k * eps * max(s)`` count as zero for ``1/s`` in the SVD rules.
* Kinks give the minimum-norm subgradient: ``norm`` is 0 at 0 (gradient 0, never NaN), the
  singular values returned by ``svd(compute_uv=False)``/``svdvals`` have derivative 0 where
  they are (numerically) zero, max/min over tied entries split the cotangent evenly.
* ``det`` of a singular matrix has the finite, correct gradient ``adj(A)^T`` (the cofactor
  matrix), computed from an SVD when ``A`` is numerically singular.
"""
from __future__ import annotations

import collections
import math

import numpy as np

from .._core.primitive import Primitive, bind
from .._core.tensor import Tensor, concrete_value
from .._errors import UnsupportedError, WengertError
from . import _elementwise as ew
from . import _reduce as rd
from . import _shape as sh
from ._complex import conj, imag, real
from ._composite import stop_gradient
from ._family import dtype_of, ndim_of, shape_of, t
from ._linalg_core import matmul, tensordot
from ._linalg_core import outer as _outer

LinAlgError = np.linalg.LinAlgError

EighResult = collections.namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = collections.namedtuple("SVDResult", ["U", "S", "Vh"])
QRResult = collections.namedtuple("QRResult", ["Q", "R"])
SlogdetResult = collections.namedtuple("SlogdetResult", ["sign", "logabsdet"])

__all__ = [
    "LinAlgError", "cholesky", "cond", "det", "diagonal", "eigh", "eigvalsh", "inv", "lstsq",
    "matmul", "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "multi_dot",
    "norm", "outer", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensordot",
    "tensorinv", "tensorsolve", "trace", "vecdot", "vector_norm",
]


# --- small helpers (all differentiable wengert ops) ---------------------------------------------
def _T(x):
    return sh.matrix_transpose(x)


def _H(x):
    return conj(sh.matrix_transpose(x))


def _is_complex(x):
    return np.issubdtype(dtype_of(x), np.complexfloating)


def _real_dtype(x):
    return np.finfo(dtype_of(x)).dtype


def _eps(x):
    return float(np.finfo(dtype_of(x)).eps)


def _const(a):
    return Tensor._wrap(np.asarray(a))


def _eye_mask(n):
    return _const(np.eye(n, dtype=bool))


def _diag(x):
    """The main diagonal of the last two axes: (..., m, n) -> (..., min(m, n))."""
    k = min(shape_of(x)[-2:])
    r = np.arange(k)
    return sh.getitem(x, (Ellipsis, r, r))


def _diag_embed(d):
    """(..., n) -> (..., n, n) with ``d`` on the diagonal."""
    n = shape_of(d)[-1]
    return ew.where(_eye_mask(n), sh.expand_dims(d, -1), 0)


def _tril(x, k=0):
    m, n = shape_of(x)[-2:]
    return ew.where(_const(np.tri(m, n, k, dtype=bool)), x, 0)


def _triu(x, k=0):
    m, n = shape_of(x)[-2:]
    return ew.where(_const(~np.tri(m, n, k - 1, dtype=bool)), x, 0)


def _herm(x):
    """Hermitian part (x + x^H) / 2."""
    return ew.multiply(ew.add(x, _H(x)), 0.5)


def _trace(x):
    return rd.sum(_diag(x), axis=-1)


def _col(x):
    return sh.expand_dims(x, -1)


def _row(x):
    return sh.expand_dims(x, -2)


def _as_inexact(x):
    x = t(x)
    if not hasattr(x, "shape"):
        x = _const(x)
    if not np.issubdtype(dtype_of(x), np.inexact):
        x = sh.astype(x, np.float64)
    return x


def _square_check(a, name):
    s = shape_of(a)
    if len(s) < 2:
        raise LinAlgError(f"{len(s)}-dimensional array given. Array must be at least "
                          f"two-dimensional (wnp.linalg.{name})")
    if s[-1] != s[-2]:
        raise LinAlgError(f"Last 2 dimensions of the array must be square "
                          f"(wnp.linalg.{name} got shape {s})")


def _inverse_gaps(w, square=False):
    """``F[..., i, j] = 1 / (w_j - w_i)`` (``1 / (w_j^2 - w_i^2)`` if ``square``), with 0 on
    the diagonal and for pairs closer than ``n * eps * max|w|`` (``max|w|^2``): ties."""
    n = shape_of(w)[-1]
    ws = ew.multiply(w, w) if square else w
    d = ew.subtract(_row(ws), _col(ws))
    ref = stop_gradient(rd.max(ew.absolute(ws), axis=-1, keepdims=True))
    tie = ew.less_equal(ew.absolute(stop_gradient(d)), _col(ew.multiply(ref, n * _eps(w))))
    return ew.where(tie, 0, ew.reciprocal(ew.where(tie, 1, d)))


def _small_singular(s):
    """Mask of singular values that count as zero: s <= k * eps * max(s)."""
    k = shape_of(s)[-1]
    ref = stop_gradient(rd.max(s, axis=-1, keepdims=True))
    return ew.less_equal(stop_gradient(s), ew.multiply(ref, k * _eps(s)))


def _safe_reciprocal(s):
    small = _small_singular(s)
    return ew.where(small, 0, ew.reciprocal(ew.where(small, 1, s)))


# --- inv -----------------------------------------------------------------------------------------
def _inv_vjp(needs, g, out, a):
    # d inv = -Y dA Y  =>  ct = -Y^T g Y^T
    yt = _T(out)
    return (ew.negative(matmul(matmul(yt, g), yt)),)


def _inv_jvp(tangents, out, a):
    return ew.negative(matmul(matmul(out, tangents[0]), out))


inv_p = Primitive("inv", np.linalg.inv, vjp=_inv_vjp, jvp=_inv_jvp,
                  save_args=False, save_out=True)


def inv(a):
    """Inverse of a square matrix (batched). ``d inv(A) = -inv(A) dA inv(A)``."""
    a = _as_inexact(a)
    _square_check(a, "inv")
    return bind(inv_p, a)


# --- solve ---------------------------------------------------------------------------------------
def _solve_vjp(needs, g, out, a, b):
    gb = bind(solve_p, _T(a), g)
    ga = ew.negative(matmul(gb, _T(out))) if needs[0] else None
    return ga, (gb if needs[1] else None)


def _solve_jvp(tangents, out, a, b):
    ta, tb = tangents
    rhs = tb
    if ta is not None:
        term = matmul(ta, out)
        rhs = ew.negative(term) if rhs is None else ew.subtract(rhs, term)
    return bind(solve_p, a, rhs)


solve_p = Primitive("solve", np.linalg.solve, vjp=_solve_vjp, jvp=_solve_jvp, save_out=True)


def solve(a, b):
    """Solve ``a @ x = b`` (batched; ``b`` is a vector only when it is 1-D, as in NumPy 2).

    ``dx = a^{-1} (db - da x)``; the VJP is ``gb = a^{-T} g``, ``ga = -gb x^T``."""
    a, b = _as_inexact(a), _as_inexact(b)
    _square_check(a, "solve")
    if ndim_of(b) == 1:
        return sh.getitem(bind(solve_p, a, _col(b)), (Ellipsis, 0))
    return bind(solve_p, a, b)


# --- det: cofactor form, finite at singular matrices ---------------------------------------------
def _prod_others_np(s):
    """prod_{j != i} s_j along the last axis, without division (exact with zeros)."""
    one = np.ones_like(s[..., :1])
    left = np.concatenate([one, np.cumprod(s[..., :-1], axis=-1)], axis=-1)
    rs = s[..., ::-1]
    right = np.concatenate([one, np.cumprod(rs[..., :-1], axis=-1)], axis=-1)[..., ::-1]
    return left * right


def _cofactor_impl(a):
    # cof(A) = adj(A)^T = det(U) det(Vh) conj(U) diag(prod_{j!=i} s_j) conj(Vh): backward
    # stable, and exact (no division) when A is singular.
    u, s, vh = np.linalg.svd(a)
    ph = np.linalg.det(u) * np.linalg.det(vh)
    p = _prod_others_np(s)
    return ph[..., None, None] * ((np.conj(u) * p[..., None, :]) @ np.conj(vh))


def _pair_products(s):
    """Q_ij = prod_{l != i, j} s_l for i != j, 0 on the diagonal (no division)."""
    n = shape_of(s)[-1]
    eye = _eye_mask(n)
    rows = ew.where(eye, 1, sh.broadcast_to(_row(s), shape_of(s)[:-1] + (n, n)))
    q = rd.prod_others(rows, (ndim_of(rows) - 1,))
    return ew.where(eye, 0, q)


def _by_conditioning(a, svd_form, inv_form):
    """Per matrix of the batch: ``inv_form(a)`` where ``a`` is well conditioned
    (sigma_min > sqrt(eps) sigma_max), ``svd_form(a)`` where it is (nearly) singular.  The
    inverse form is smooth at repeated singular values (e.g. at the identity), the SVD form
    needs no inverse."""
    try:
        av = concrete_value(a)
    except WengertError:  # an abstract (e.g. vmapped) value: the SVD form is valid everywhere
        return svd_form(a)
    try:
        sv = np.linalg.svd(av, compute_uv=False)
        sing = ~(sv[..., -1] > sv[..., 0] * math.sqrt(_eps(a)))
    except LinAlgError:  # non-finite entries: the inverse form propagates NaN
        sing = np.zeros(av.shape[:-2], dtype=bool)
    if not sing.any():
        return inv_form(a)
    if sing.all():
        return svd_form(a)
    mask = _const(sing[..., None, None])
    safe = ew.where(mask, _const(np.eye(av.shape[-1], dtype=av.dtype)), a)
    return ew.where(mask, svd_form(a), inv_form(safe))


def _cofactor_jvp(tangents, out, a):
    da = tangents[0]

    def svd_form(a):
        # With A = U S Vh fixed, adj(A + dA) = det(U) det(Vh) V adj(S + P) U^H,
        # P = U^H dA V, and the first-order part of adj(S + P) for diagonal S is
        # diag(Q @ diag(P)) - Q o P (Q_ij = prod_{l != i,j} s_l): no division.
        u, s, vh = svd(a)
        q = _pair_products(s)
        p = matmul(matmul(_H(u), da), _H(vh))
        dt = ew.subtract(_diag_embed(sh.getitem(matmul(q, _col(_diag(p))), (Ellipsis, 0))),
                         ew.multiply(q, _T(p)))  # (d adj_S)^T
        ph = ew.multiply(det(u), det(vh))
        return ew.multiply(_col(_col(ph)), matmul(matmul(conj(u), dt), conj(vh)))

    def inv_form(a):
        # cof = det A^{-T}: d cof = det (tr(A^{-1} dA) A^{-T} - (A^{-1} dA A^{-1})^T)
        ait = _T(inv(a))
        d = _col(_col(det(a)))
        tau = _col(_col(rd.sum(ew.multiply(ait, da), axis=(-2, -1))))
        return ew.multiply(d, ew.subtract(ew.multiply(tau, ait),
                                          matmul(matmul(ait, _T(da)), ait)))

    return _by_conditioning(a, svd_form, inv_form)


def _cofactor_vjp(needs, g, out, a):
    def svd_form(a):
        u, s, vh = svd(a)
        q = _pair_products(s)
        ph = ew.multiply(det(u), det(vh))
        w = ew.multiply(_col(_col(ph)), matmul(matmul(_H(u), g), _H(vh)))
        gp = ew.subtract(_diag_embed(sh.getitem(matmul(q, _col(_diag(w))), (Ellipsis, 0))),
                         ew.multiply(q, _T(w)))
        return matmul(matmul(conj(u), gp), conj(vh))

    def inv_form(a):
        ait = _T(inv(a))
        d = _col(_col(det(a)))
        c = _col(_col(rd.sum(ew.multiply(g, ait), axis=(-2, -1))))
        return ew.multiply(d, ew.subtract(ew.multiply(c, ait),
                                          matmul(matmul(ait, _T(g)), ait)))

    return (_by_conditioning(a, svd_form, inv_form),)


cofactor_p = Primitive("cofactor", _cofactor_impl, vjp=_cofactor_vjp, jvp=_cofactor_jvp)


def _cofactor(a):
    """The cofactor matrix adj(a)^T (batched), differentiable to any order at any rank."""
    return bind(cofactor_p, a)


def _det_vjp(needs, g, out, a):
    return (ew.multiply(_col(_col(g)), _cofactor(a)),)


def _det_jvp(tangents, out, a):
    return rd.sum(ew.multiply(_cofactor(a), tangents[0]), axis=(-2, -1))


det_p = Primitive("det", np.linalg.det, vjp=_det_vjp, jvp=_det_jvp)


def det(a):
    """Determinant (batched).  ``d det(A) = sum(cof(A) * dA)`` with the cofactor matrix
    ``cof(A) = adj(A)^T``, computed from the SVD without division, so it is finite and
    correct for singular ``A`` too; its own derivative (the second derivative of ``det``)
    is exact at any rank."""
    a = _as_inexact(a)
    _square_check(a, "det")
    return bind(det_p, a)


# --- slogdet -------------------------------------------------------------------------------------
def _slogdet_impl(a):
    s, l = np.linalg.slogdet(a)
    return s, l


def _slogdet_vjp(needs, g, out, a):
    gs, gl = g
    sign = out[0]
    coef = gl
    if _is_complex(a):
        # d logabsdet = Re tau, d sign = i sign Im tau, tau = tr(A^{-1} dA)
        coef = ew.add(gl, ew.multiply(imag(ew.multiply(gs, sign)), 1j))
    return (ew.multiply(_col(_col(coef)), _T(inv(a))),)


def _slogdet_jvp(tangents, out, a):
    tau = _trace(bind(solve_p, a, tangents[0]))
    if _is_complex(a):
        return ew.multiply(ew.multiply(out[0], 1j), imag(tau)), real(tau)
    return None, tau


slogdet_p = Primitive("slogdet", _slogdet_impl, vjp=_slogdet_vjp, jvp=_slogdet_jvp,
                      save_out=True, multiple_results=True)


def slogdet(a):
    """``(sign, log|det|)`` (batched).  ``d log|det| = Re tr(A^{-1} dA)``; for real input the
    sign has derivative 0, for complex input ``d sign = i sign Im tr(A^{-1} dA)``.  At a
    singular matrix ``log|det| = -inf`` and its derivative does not exist (the rule raises
    NumPy's ``LinAlgError: Singular matrix``)."""
    a = _as_inexact(a)
    _square_check(a, "slogdet")
    s, l = bind(slogdet_p, a)
    return SlogdetResult(s, l)


# --- cholesky ------------------------------------------------------------------------------------
def _phi(x):
    """Lower triangle with the diagonal halved."""
    n = shape_of(x)[-1]
    m = np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n)
    return ew.multiply(x, _const(m.astype(_real_dtype(x))))


def _cholesky_vjp(needs, g, out, a):
    # Murray (2016), symmetrised; complex form transposed under Re(sum(a * b)):
    # ct = herm(L^{-T} Phi(L^T g) conj(L)^{-1})
    l = out
    y = bind(solve_p, _T(l), _phi(matmul(_T(l), g)))
    p = _T(bind(solve_p, _H(l), _T(y)))
    return (_herm(p),)


def _cholesky_jvp(tangents, out, a):
    # dL = L Phi(L^{-1} herm(dA) L^{-H})
    l = out
    z = bind(solve_p, l, _herm(tangents[0]))
    m = _H(bind(solve_p, l, _H(z)))
    return matmul(l, _phi(m))


cholesky_p = Primitive("cholesky", np.linalg.cholesky, vjp=_cholesky_vjp, jvp=_cholesky_jvp,
                       save_args=False, save_out=True)


def _from_triangle(a, lower=True):
    """The Hermitian matrix NumPy's eigh/eigvalsh/cholesky actually read from ``a``: its lower
    (or upper) triangle, mirrored.  Differentiating through this gives the derivative of
    NumPy's function itself (the other triangle has zero gradient), which is what finite
    differences of NumPy see; on Hermitian input the result equals ``a``."""
    n = a.shape[-1]
    keep = np.tril(np.ones((n, n), bool)) if lower else np.triu(np.ones((n, n), bool))
    strict = np.tril(np.ones((n, n), bool), -1) if lower else np.triu(np.ones((n, n), bool), 1)
    tri = ew.where(keep, a, 0)
    return ew.add(tri, _H(ew.where(strict, a, 0)))


def cholesky(a, /, *, upper=False):
    """Cholesky factor ``L`` (``A = L L^H``), or ``U = L^H`` with ``upper=True`` (batched).

    As NumPy, it reads only the lower triangle (the upper one with ``upper=True``), so the
    gradient is zero on the other triangle; symmetrise the input yourself
    (``cholesky((A + A.T) / 2)``) for the derivative of the symmetric part instead."""
    a = _as_inexact(a)
    _square_check(a, "cholesky")
    l = bind(cholesky_p, _from_triangle(a, lower=not upper))
    return _H(l) if upper else l


# --- eigh / eigvalsh -----------------------------------------------------------------------------
def _eigh_impl(a, UPLO):
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return w, v


def _eigh_vjp(needs, g, out, a, UPLO):
    gw, gv = g
    w, v = out
    m = ew.add(_diag_embed(gw), ew.multiply(_inverse_gaps(w), matmul(_T(v), gv)))
    return (_herm(matmul(matmul(conj(v), m), _T(v))),)


def _eigh_jvp(tangents, out, a, UPLO):
    w, v = out
    k = matmul(matmul(_H(v), _herm(tangents[0])), v)
    dw = real(_diag(k))
    dv = matmul(v, ew.multiply(_inverse_gaps(w), k))
    return dw, dv


eigh_p = Primitive("eigh", _eigh_impl, vjp=_eigh_vjp, jvp=_eigh_jvp, save_args=False,
                   save_out=True, multiple_results=True)


def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of a Hermitian matrix (batched).

    ``dw = Re diag(V^H dA V)``, ``dV = V (F o (V^H dA V))`` with ``F_ij = 1/(w_j - w_i)``,
    on the Hermitian matrix NumPy reads (the ``UPLO`` triangle, mirrored: the other
    triangle gets zero gradient, as for NumPy's own function).  Eigenvectors are defined up
    to sign (phase): only
    functions that do not depend on that choice have meaningful derivatives.  For
    (near-)degenerate eigenvalues see the module docstring: ties within ``n*eps*max|w|``
    get coefficient 0 (finite; exact for functions of the eigenspace projector)."""
    a = _as_inexact(a)
    _square_check(a, "eigh")
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    w, v = bind(eigh_p, _from_triangle(a, lower=UPLO == "L"), UPLO=UPLO)
    return EighResult(w, v)


def _eigvalsh_vjp(needs, g, out, a, UPLO):
    v = eigh(a, UPLO)[1]
    return (_herm(matmul(ew.multiply(conj(v), _row(g)), _T(v))),)


def _eigvalsh_jvp(tangents, out, a, UPLO):
    v = eigh(a, UPLO)[1]
    return real(rd.sum(ew.multiply(conj(v), matmul(_herm(tangents[0]), v)), axis=-2))


eigvalsh_p = Primitive("eigvalsh", lambda a, UPLO: np.linalg.eigvalsh(a, UPLO=UPLO),
                       vjp=_eigvalsh_vjp, jvp=_eigvalsh_jvp)


def eigvalsh(a, UPLO="L"):
    """Eigenvalues of a Hermitian matrix (batched); ``dw_i = Re(v_i^H dA v_i)``."""
    a = _as_inexact(a)
    _square_check(a, "eigvalsh")
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return bind(eigvalsh_p, _from_triangle(a, lower=UPLO == "L"), UPLO=UPLO)


# --- svd -----------------------------------------------------------------------------------------
def _svd_impl(a, full_matrices, hermitian):
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=True,
                             hermitian=hermitian)
    return u, s, vh


def _complement_jvp(u1, du1, u2):
    """Tangent of the extra orthonormal columns ``u2`` completing ``u1`` (rotated as little as
    possible): ``du2 = -u1 (du1^H u2)``."""
    return ew.negative(matmul(u1, matmul(_H(du1), u2)))


def _complement_vjp(u1, u2, g2):
    """Transpose of ``_complement_jvp``: the contribution of ``g2`` to the cotangent of ``u1``."""
    return ew.negative(matmul(conj(u2), matmul(_H(g2), conj(u1))))


def _svd_split(a, u, vh, full_matrices):
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    u1 = sh.getitem(u, (Ellipsis, slice(None), slice(0, k)))
    vh1 = sh.getitem(vh, (Ellipsis, slice(0, k), slice(None)))
    u2 = sh.getitem(u, (Ellipsis, slice(None), slice(k, None))) if full_matrices and m > k \
        else None
    vh2 = sh.getitem(vh, (Ellipsis, slice(k, None), slice(None))) if full_matrices and n > k \
        else None
    return m, n, k, u1, vh1, u2, vh2


def _svd_jvp(tangents, out, a, full_matrices, hermitian):
    da = tangents[0]
    u, s, vh = out
    m, n, k, u1, vh1, u2, vh2 = _svd_split(a, u, vh, full_matrices)
    v1 = _H(vh1)
    p = matmul(matmul(_H(u1), da), v1)
    ds = real(_diag(p))
    f = _inverse_gaps(s, square=True)
    ps = ew.multiply(p, _row(s))
    sp = ew.multiply(_col(s), p)
    sinv = _safe_reciprocal(s)
    om_u = ew.multiply(f, ew.add(ps, _H(ps)))
    om_v = ew.multiply(f, ew.add(sp, _H(sp)))
    if _is_complex(a):
        om_u = ew.add(om_u, _diag_embed(ew.multiply(ew.multiply(imag(_diag(p)), sinv), 1j)))
    du = matmul(u1, om_u)
    dv = matmul(v1, om_v)
    if m > k:
        dav = matmul(da, v1)
        proj = ew.subtract(dav, matmul(u1, matmul(_H(u1), dav)))
        du = ew.add(du, ew.multiply(proj, _row(sinv)))
    if n > k:
        dahu = matmul(_H(da), u1)
        proj = ew.subtract(dahu, matmul(v1, matmul(vh1, dahu)))
        dv = ew.add(dv, ew.multiply(proj, _row(sinv)))
    if u2 is not None:
        du = sh.concatenate([du, _complement_jvp(u1, du, u2)], axis=-1)
    if vh2 is not None:
        v2 = _H(vh2)
        dv = sh.concatenate([dv, _complement_jvp(v1, dv, v2)], axis=-1)
    return du, ds, _H(dv)


def _svd_vjp(needs, g, out, a, full_matrices, hermitian):
    gu, gs, gvh = g
    u, s, vh = out
    m, n, k, u1, vh1, u2, vh2 = _svd_split(a, u, vh, full_matrices)
    gu1 = sh.getitem(gu, (Ellipsis, slice(None), slice(0, k)))
    gvh1 = sh.getitem(gvh, (Ellipsis, slice(0, k), slice(None)))
    v1 = _H(vh1)
    gv1 = _H(gvh1)  # cotangent of V = Vh^H
    if u2 is not None:
        gu2 = sh.getitem(gu, (Ellipsis, slice(None), slice(k, None)))
        gu1 = ew.add(gu1, _complement_vjp(u1, u2, gu2))
    if vh2 is not None:
        gv2 = _H(sh.getitem(gvh, (Ellipsis, slice(k, None), slice(None))))
        gv1 = ew.add(gv1, _complement_vjp(v1, _H(vh2), gv2))
        gvh1 = _H(gv1)
    f = _inverse_gaps(s, square=True)
    sinv = _safe_reciprocal(s)
    j = matmul(_T(u1), gu1)
    q = ew.multiply(f, j)
    r = ew.multiply(f, matmul(_T(v1), gv1))
    gp = _diag_embed(gs)
    gp = ew.add(gp, ew.multiply(ew.add(q, _H(q)), _row(s)))
    gp = ew.add(gp, ew.multiply(_col(s), ew.add(r, _H(r))))
    if _is_complex(a):
        gp = ew.add(gp, _diag_embed(ew.multiply(ew.multiply(imag(_diag(j)), sinv), 1j)))
    ga = matmul(matmul(conj(u1), gp), _T(v1))
    if m > k:
        x = ew.multiply(gu1, _row(sinv))
        x = ew.subtract(x, matmul(conj(u1), matmul(_T(u1), x)))
        ga = ew.add(ga, matmul(x, _T(v1)))
    if n > k:
        y = ew.subtract(gvh1, matmul(matmul(gvh1, conj(v1)), _T(v1)))
        ga = ew.add(ga, matmul(conj(u1), ew.multiply(_col(sinv), y)))
    return (ga,)


svd_p = Primitive("svd", _svd_impl, vjp=_svd_vjp, jvp=_svd_jvp, save_out=True,
                  multiple_results=True)


def _svdvals_vjp(needs, g, out, a, hermitian):
    u, s, vh = svd(a, full_matrices=False)
    g = ew.where(_small_singular(s), 0, g)  # |sigma|'(0) = 0: minimum-norm subgradient
    return (conj(matmul(ew.multiply(u, _row(g)), vh)),)


def _svdvals_jvp(tangents, out, a, hermitian):
    u, s, vh = svd(a, full_matrices=False)
    ds = real(rd.sum(ew.multiply(conj(u), matmul(tangents[0], _H(vh))), axis=-2))
    return ew.where(_small_singular(s), 0, ds)


svdvals_p = Primitive(
    "svdvals", lambda a, hermitian: np.linalg.svd(a, compute_uv=False, hermitian=hermitian),
    vjp=_svdvals_vjp, jvp=_svdvals_jvp)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular value decomposition ``a = U diag(S) Vh`` (batched), NumPy's signature.

    Derivatives: ``dS = Re diag(U^H dA V)``; ``dU``, ``dV`` with
    ``F_ij = 1/(s_j^2 - s_i^2)`` (ties masked, see the module docstring) plus the
    projections onto the complement for non-square input.  Singular vectors are defined up to
    sign (phase): only functions invariant to that choice have meaningful derivatives.
    ``full_matrices=True`` on a non-square matrix: the extra columns of ``U`` (rows of ``Vh``)
    are moved as little as possible (``dU2 = -U1 dU1^H U2``), one valid smooth choice.
    ``compute_uv=False`` returns the singular values, whose derivative is 0 where they are
    (numerically) zero (minimum-norm subgradient of ``|sigma|``)."""
    a = _as_inexact(a)
    if ndim_of(a) < 2:
        raise LinAlgError(f"{ndim_of(a)}-dimensional array given. Array must be at least "
                          "two-dimensional (wnp.linalg.svd)")
    if not compute_uv:
        return bind(svdvals_p, a, hermitian=bool(hermitian))
    u, s, vh = bind(svd_p, a, full_matrices=bool(full_matrices), hermitian=bool(hermitian))
    return SVDResult(u, s, vh)


def svdvals(x, /):
    """Singular values (``svd(x, compute_uv=False)``)."""
    return svd(x, compute_uv=False)


# --- qr ------------------------------------------------------------------------------------------
def _qr_impl(a, mode):
    q, r = np.linalg.qr(a, mode=mode)
    return q, r


def _qr_core_jvp(q, r, da, cplx):
    """m >= n, reduced: C = dA R^{-1}, B = Q^H C, Omega = tril(B,-1) - tril(B,-1)^H (+ i Im diag B),
    dQ = Q (Omega - B) + C, dR = (B - Omega) R."""
    c = _T(bind(solve_p, _T(r), _T(da)))
    b = matmul(_H(q), c)
    low = _tril(b, -1)
    om = ew.subtract(low, _H(low))
    if cplx:
        om = ew.add(om, _diag_embed(ew.multiply(imag(_diag(b)), 1j)))
    dq = ew.add(matmul(q, ew.subtract(om, b)), c)
    dr = matmul(ew.subtract(b, om), r)
    return dq, dr


def _qr_core_vjp(q, r, gq, gr, cplx):
    """Transpose of ``_qr_core_jvp``."""
    m = ew.subtract(matmul(_T(q), gq), matmul(gr, _T(r)))
    gb = ew.subtract(ew.subtract(_tril(m, -1), _tril(_H(m), -1)), m)
    if cplx:
        gb = ew.add(gb, _diag_embed(ew.multiply(imag(_diag(m)), 1j)))
    gc = ew.add(gq, matmul(conj(q), gb))
    return _T(bind(solve_p, r, _T(gc)))


def _qr_jvp(tangents, out, a, mode):
    da = tangents[0]
    q, r = out
    m, n = shape_of(a)[-2:]
    cplx = _is_complex(a)
    if m < n:  # A = [X Y], Q R1 = X, R2 = Q^H Y
        dq, dr1 = _qr_core_jvp(q, sh.getitem(r, (Ellipsis, slice(0, m))),
                               sh.getitem(da, (Ellipsis, slice(0, m))), cplx)
        y = sh.getitem(a, (Ellipsis, slice(m, None)))
        dy = sh.getitem(da, (Ellipsis, slice(m, None)))
        dr2 = ew.add(matmul(_H(dq), y), matmul(_H(q), dy))
        return dq, sh.concatenate([dr1, dr2], axis=-1)
    if mode == "complete" and m > n:
        q1 = sh.getitem(q, (Ellipsis, slice(0, n)))
        q2 = sh.getitem(q, (Ellipsis, slice(n, None)))
        r1 = sh.getitem(r, (Ellipsis, slice(0, n), slice(None)))
        dq1, dr1 = _qr_core_jvp(q1, r1, da, cplx)
        dq = sh.concatenate([dq1, _complement_jvp(q1, dq1, q2)], axis=-1)
        zeros = ew.multiply(sh.getitem(r, (Ellipsis, slice(n, None), slice(None))), 0)
        return dq, sh.concatenate([dr1, zeros], axis=-2)
    return _qr_core_jvp(q, r, da, cplx)


def _qr_vjp(needs, g, out, a, mode):
    gq, gr = g
    q, r = out
    m, n = shape_of(a)[-2:]
    cplx = _is_complex(a)
    if m < n:
        gr1 = sh.getitem(gr, (Ellipsis, slice(0, m)))
        gr2 = sh.getitem(gr, (Ellipsis, slice(m, None)))
        y = sh.getitem(a, (Ellipsis, slice(m, None)))
        gq_eff = ew.add(gq, matmul(conj(y), _H(gr2)))
        gx = _qr_core_vjp(q, sh.getitem(r, (Ellipsis, slice(0, m))), gq_eff, gr1, cplx)
        gy = matmul(conj(q), gr2)
        return (sh.concatenate([gx, gy], axis=-1),)
    if mode == "complete" and m > n:
        q1 = sh.getitem(q, (Ellipsis, slice(0, n)))
        q2 = sh.getitem(q, (Ellipsis, slice(n, None)))
        gq1 = ew.add(sh.getitem(gq, (Ellipsis, slice(0, n))),
                     _complement_vjp(q1, q2, sh.getitem(gq, (Ellipsis, slice(n, None)))))
        r1 = sh.getitem(r, (Ellipsis, slice(0, n), slice(None)))
        gr1 = sh.getitem(gr, (Ellipsis, slice(0, n), slice(None)))
        return (_qr_core_vjp(q1, r1, gq1, gr1, cplx),)
    return (_qr_core_vjp(q, r, gq, gr, cplx),)


qr_p = Primitive("qr", _qr_impl, vjp=_qr_vjp, jvp=_qr_jvp, save_out=True,
                 multiple_results=True)


def qr(a, mode="reduced"):
    """QR decomposition (batched), NumPy's modes ``'reduced'`` (default), ``'complete'`` and
    ``'r'``; ``'raw'`` (Householder reflectors) is not differentiable.

    The factors are smooth functions of a full-rank ``a`` (LAPACK keeps ``diag(R)`` real), so
    ``Q`` and ``R`` themselves have derivatives.  Wide input (m < n) is handled as
    ``A = [X Y]``, ``X = Q R1``, ``R2 = Q^H Y``; ``'complete'`` on tall input moves the extra
    columns of ``Q`` as little as possible."""
    a = _as_inexact(a)
    if ndim_of(a) < 2:
        raise LinAlgError(f"{ndim_of(a)}-dimensional array given. Array must be at least "
                          "two-dimensional (wnp.linalg.qr)")
    if mode == "raw":
        raise UnsupportedError("wnp.linalg.qr(mode='raw') returns LAPACK's Householder "
                               "reflectors, which wengert does not differentiate; use "
                               "mode='reduced' (or 'complete'/'r'), or apply numpy.linalg.qr "
                               "to a.detach() to leave the graph on purpose.")
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"Unrecognized mode '{mode}'")
    if mode == "r":
        return bind(qr_p, a, mode="reduced")[1]
    q, r = bind(qr_p, a, mode=mode)
    return QRResult(q, r)


# --- pinv / lstsq --------------------------------------------------------------------------------
def _pinv_jvp_terms(p, a, da):
    """Golub & Pereyra (1973), valid where the rank is locally constant:
    dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P."""
    dah = _H(da)
    t1 = ew.negative(matmul(matmul(p, da), p))
    t2 = matmul(matmul(p, _H(p)), ew.subtract(dah, matmul(matmul(dah, a), p)))
    t3 = matmul(ew.subtract(dah, matmul(p, matmul(a, dah))), matmul(_H(p), p))
    return ew.add(ew.add(t1, t2), t3)


def _pinv_vjp_terms(p, a, g):
    """Transpose of ``_pinv_jvp_terms`` under Re(sum(a * b))."""
    pt = _T(p)
    gt = _T(g)
    t1 = ew.negative(matmul(matmul(pt, g), pt))
    w = matmul(gt, matmul(p, _H(p)))
    t2 = conj(ew.subtract(w, matmul(a, matmul(p, w))))
    z = matmul(matmul(_H(p), p), gt)
    t3 = conj(ew.subtract(z, matmul(matmul(z, p), a)))
    return ew.add(ew.add(t1, t2), t3)


pinv_p = Primitive(
    "pinv", lambda a, rcond, hermitian: np.linalg.pinv(a, rcond=rcond, hermitian=hermitian),
    vjp=lambda needs, g, out, a, rcond, hermitian: (_pinv_vjp_terms(out, a, g),),
    jvp=lambda tangents, out, a, rcond, hermitian: _pinv_jvp_terms(out, a, tangents[0]),
    save_out=True)


def pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    """Moore-Penrose pseudo-inverse (batched), NumPy's cutoffs.  The derivative is that of
    the pseudo-inverse at fixed rank (Golub-Pereyra); it does not exist where the rank
    changes."""
    a = _as_inexact(a)
    if ndim_of(a) < 2:
        raise LinAlgError(f"{ndim_of(a)}-dimensional array given. Array must be at least "
                          "two-dimensional (wnp.linalg.pinv)")
    if rcond is None:
        if rtol is np._NoValue:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(shape_of(a)[-2:]) * _eps(a)
        else:
            rcond = rtol
    elif rtol is not np._NoValue:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    rc = concrete_value(rcond) if isinstance(rcond, Tensor) else rcond
    rc = float(rc) if np.ndim(rc) == 0 else np.asarray(rc)
    return bind(pinv_p, a, rcond=rc, hermitian=bool(hermitian))


def _lstsq_x(a, b, rcond):
    return np.linalg.lstsq(a, b, rcond=rcond)[0]


def _lstsq_rcond(a, rcond):
    return rcond if rcond is not None else _eps(a) * max(shape_of(a)[-2:])


def _lstsq_vjp(needs, g, out, a, b, rcond):
    p = pinv(a, rcond=_lstsq_rcond(a, rcond))
    ga = _pinv_vjp_terms(p, a, matmul(g, _T(b))) if needs[0] else None
    gb = matmul(_T(p), g) if needs[1] else None
    return ga, gb


def _lstsq_jvp(tangents, out, a, b, rcond):
    ta, tb = tangents
    p = pinv(a, rcond=_lstsq_rcond(a, rcond))
    res = None
    if ta is not None:
        res = matmul(_pinv_jvp_terms(p, a, ta), b)
    if tb is not None:
        term = matmul(p, tb)
        res = term if res is None else ew.add(res, term)
    return res


lstsq_p = Primitive("lstsq", _lstsq_x, vjp=_lstsq_vjp, jvp=_lstsq_jvp)


def lstsq(a, b, rcond=None):
    """Least-squares solution ``(x, residuals, rank, s)`` as in NumPy (2-D ``a`` only).

    ``x = pinv(a) b`` with lstsq's cutoff; its derivative is that of the pseudo-inverse at
    fixed rank.  ``residuals`` and ``s`` are differentiable, ``rank`` is a Python int."""
    a, b = _as_inexact(a), _as_inexact(b)
    if ndim_of(a) != 2:
        raise LinAlgError(f"{ndim_of(a)}-dimensional array given. Array must be "
                          "two-dimensional")
    vec = ndim_of(b) == 1
    b2 = _col(b) if vec else b
    m, n = shape_of(a)
    if shape_of(b2)[0] != m:
        raise LinAlgError("Incompatible dimensions")
    rc = None if rcond is None else float(rcond)
    x = bind(lstsq_p, a, b2, rcond=rc)
    s = svdvals(a)
    sv = concrete_value(s)
    cut = (rc if rc is not None else _eps(a) * max(m, n)) * (sv.max() if sv.size else 0.0)
    rank = int(np.sum(sv > cut))
    if rank == n and m > n:
        r = ew.subtract(b2, matmul(a, x))
        resid = rd.sum(_abs2(r), axis=0)
    else:
        resid = _const(np.empty((0,), dtype=_real_dtype(x)))
    if vec:
        x = sh.getitem(x, (Ellipsis, 0))
    return x, resid, rank, s


# NumPy's linalg functions map over leading axes: vmap moves the batch axis to the front.
for _p in (inv_p, solve_p, cofactor_p, det_p, slogdet_p, cholesky_p, eigh_p, eigvalsh_p, svd_p,
           svdvals_p, qr_p, pinv_p):
    _p.batch = "leading"


# --- matrix_power / multi_dot --------------------------------------------------------------------
def matrix_power(a, n):
    """``a`` to the integer power ``n`` (batched) by repeated squaring, as NumPy does;
    negative ``n`` inverts first.  Derivatives come from ``matmul`` and ``inv``."""
    a = t(a)
    if not hasattr(a, "shape"):
        a = _const(a)
    _square_check(a, "matrix_power")
    try:
        n = int(n.__index__())
    except AttributeError as e:
        raise TypeError("exponent must be an integer") from e
    if n == 0:
        eye = np.broadcast_to(np.eye(shape_of(a)[-1], dtype=dtype_of(a)), shape_of(a))
        return _const(np.array(eye))
    if n < 0:
        a = inv(a)
        n = abs(n)
    if n == 1:
        return a
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    z = result = None
    while n > 0:
        z = a if z is None else matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def multi_dot(arrays, *, out=None):
    """Chained matrix product in the cheapest order (NumPy's algorithm); the first and last
    arguments may be 1-D."""
    if out is not None:
        raise UnsupportedError("multi_dot(..., out=...) writes in place, which wengert cannot "
                               "differentiate; use the returned value.")
    arrays = [t(x) for x in arrays]
    arrays = [x if hasattr(x, "shape") else _const(x) for x in arrays]
    n = len(arrays)
    if n < 2:
        raise ValueError("Expecting at least two arrays.")
    if n == 2:
        from ._linalg_core import dot
        return dot(arrays[0], arrays[1])
    first_1d = ndim_of(arrays[0]) == 1
    last_1d = ndim_of(arrays[-1]) == 1
    if first_1d:
        arrays[0] = sh.expand_dims(arrays[0], 0)
    if last_1d:
        arrays[-1] = sh.expand_dims(arrays[-1], -1)
    for x in arrays:
        if ndim_of(x) != 2:
            raise LinAlgError(f"{ndim_of(x)}-dimensional array given. Array must be "
                              "two-dimensional")
    dims = [shape_of(arrays[0])[0]] + [shape_of(x)[1] for x in arrays]
    # dynamic programming over the split points (the matrix-chain order of Cormen et al.)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j] = c
                    split[i][j] = k

    def chain(i, j):
        if i == j:
            return arrays[i]
        k = split[i][j]
        return matmul(chain(i, k), chain(k + 1, j))

    res = chain(0, n - 1)
    if first_1d and last_1d:
        return sh.reshape(res, ())
    if first_1d:
        return sh.getitem(res, 0)
    if last_1d:
        return sh.getitem(res, (Ellipsis, 0))
    return res


# --- norms ---------------------------------------------------------------------------------------
def _abs2(x):
    """|x|^2, real."""
    if _is_complex(x):
        return real(ew.multiply(x, conj(x)))
    return ew.multiply(x, x)


def _safe_sqrt(s):
    """sqrt with derivative 0 (not inf/NaN) at 0: the minimum-norm subgradient of a norm."""
    z = ew.equal(s, 0)
    return ew.where(z, 0, ew.sqrt(ew.where(z, 1, s)))


def _abs(x):
    if _is_complex(x):
        return _safe_sqrt(_abs2(x))
    return ew.absolute(x)


def _svd_norm(x, row, col, op):
    y = sh.moveaxis(x, (row, col), (-2, -1))
    return op(svdvals(y), axis=-1)


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm, NumPy's ``ord`` values, ``axis`` and ``keepdims``.

    Subgradients at kinks: the 2-norm/Frobenius norm (and every p-norm) at 0 has gradient 0,
    the minimum-norm element of the subdifferential (computed with a double ``where`` so no
    NaN appears, in any order of differentiation); ``abs`` at 0 has derivative 0;
    max/min-based norms (``inf``, ``1`` for matrices, spectral norm with a repeated top
    singular value) share the cotangent evenly among ties; ``'nuc'``/``2``/``-2`` use
    singular values, whose derivative is 0 where they vanish.  ``ord=0`` (a count) has
    derivative 0.  For ``0 < ord < 1`` (not a norm) a zero entry of a nonzero vector has an
    infinite one-sided derivative and no subgradient; the result there is NaN."""
    x = _as_inexact(x)
    nd = ndim_of(x)
    if axis is None:
        if ord is None or (ord in ("f", "fro") and nd == 2) or (ord == 2 and nd == 1):
            res = _safe_sqrt(rd.sum(_abs2(x)))
            if keepdims:
                res = sh.reshape(res, (1,) * nd)
            return res
        axis = tuple(range(nd))
    elif not isinstance(axis, tuple):
        try:
            axis = int(axis)
        except Exception as e:
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from e
        axis = (axis,)
    if len(axis) == 1:
        ax = axis
        if isinstance(ord, str):
            raise ValueError(f"Invalid norm order '{ord}' for vectors")
        if ord == np.inf:
            return rd.max(_abs(x), axis=ax, keepdims=keepdims)
        if ord == -np.inf:
            return rd.min(_abs(x), axis=ax, keepdims=keepdims)
        if ord == 0:
            nz = sh.astype(ew.not_equal(stop_gradient(x), 0), _real_dtype(x))
            return rd.sum(nz, axis=ax, keepdims=keepdims)
        if ord == 1:
            return rd.sum(_abs(x), axis=ax, keepdims=keepdims)
        if ord is None or ord == 2:
            return _safe_sqrt(rd.sum(_abs2(x), axis=ax, keepdims=keepdims))
        p = float(ord)
        s = rd.sum(ew.power(_abs(x), p), axis=ax, keepdims=keepdims)
        z = ew.equal(s, 0)
        return ew.where(z, 0, ew.power(ew.where(z, 1, s), 1.0 / p))
    if len(axis) == 2:
        row, col = (sh._normalize_axes(a_, nd)[0] for a_ in axis)
        if row == col:
            raise ValueError("Duplicate axes given.")
        if ord == 2:
            res = _svd_norm(x, row, col, rd.max)
        elif ord == -2:
            res = _svd_norm(x, row, col, rd.min)
        elif ord == 1:
            c = col - 1 if col > row else col
            res = rd.max(rd.sum(_abs(x), axis=row), axis=c)
        elif ord == np.inf:
            r = row - 1 if row > col else row
            res = rd.max(rd.sum(_abs(x), axis=col), axis=r)
        elif ord == -1:
            c = col - 1 if col > row else col
            res = rd.min(rd.sum(_abs(x), axis=row), axis=c)
        elif ord == -np.inf:
            r = row - 1 if row > col else row
            res = rd.min(rd.sum(_abs(x), axis=col), axis=r)
        elif ord in (None, "fro", "f"):
            res = _safe_sqrt(rd.sum(_abs2(x), axis=(row, col)))
        elif ord == "nuc":
            res = _svd_norm(x, row, col, rd.sum)
        else:
            raise ValueError("Invalid norm order for matrices.")
        if keepdims:
            shp = list(shape_of(x))
            shp[row] = 1
            shp[col] = 1
            res = sh.reshape(res, tuple(shp))
        return res
    raise ValueError("Improper number of dimensions to norm.")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Array-API vector norm: ``axis=None`` flattens, a tuple of axes is one vector."""
    x = _as_inexact(x)
    nd = ndim_of(x)
    if axis is None:
        y = sh.ravel(x)
        res = norm(y, ord=ord, axis=0)
        if keepdims:
            res = sh.reshape(res, (1,) * nd)
        return res
    axes = sh._normalize_axes(axis, nd)
    if len(axes) == 1:
        return norm(x, ord=ord, axis=axes[0], keepdims=keepdims)
    rest = tuple(i for i in range(nd) if i not in axes)
    y = sh.transpose(x, rest + axes)
    y = sh.reshape(y, tuple(shape_of(x)[i] for i in rest) + (-1,))
    res = norm(y, ord=ord, axis=-1)
    if keepdims:
        shp = [1 if i in axes else shape_of(x)[i] for i in range(nd)]
        res = sh.reshape(res, tuple(shp))
    return res


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """Array-API matrix norm over the last two axes."""
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


# --- composites and non-differentiable helpers ---------------------------------------------------
def cond(x, p=None):
    """Condition number (batched), NumPy's ``p`` values; differentiable where finite."""
    x = _as_inexact(x)
    if p is None or p == 2 or p == -2:
        s = svdvals(x)
        first = sh.getitem(s, (Ellipsis, 0))
        last = sh.getitem(s, (Ellipsis, -1))
        return ew.divide(last, first) if p == -2 else ew.divide(first, last)
    _square_check(x, "cond")
    return ew.multiply(norm(x, p, axis=(-2, -1)), norm(inv(x), p, axis=(-2, -1)))


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """Rank (an integer tensor, not differentiable), computed by NumPy."""
    v = concrete_value(A)
    tol = concrete_value(tol) if isinstance(tol, Tensor) else tol
    rtol = concrete_value(rtol) if isinstance(rtol, Tensor) else rtol
    return _const(np.linalg.matrix_rank(v, tol=tol, hermitian=hermitian, rtol=rtol))


def tensorinv(a, ind=2):
    """Inverse of a tensor with respect to ``tensordot(., ., ind)`` (through ``inv``)."""
    a = _as_inexact(a)
    shp = shape_of(a)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    oldshape = shp[ind:] + shp[:ind]
    prod = int(np.prod(shp[:ind], dtype=np.int64))
    ia = inv(sh.reshape(a, (prod, -1)))
    return sh.reshape(ia, oldshape)


def tensorsolve(a, b, axes=None):
    """Solve ``tensordot(a, x, axes=b.ndim) = b`` for ``x`` (through ``solve``)."""
    a, b = _as_inexact(a), _as_inexact(b)
    an = ndim_of(a)
    if axes is not None:
        allaxes = list(range(an))
        for k in axes:
            allaxes.remove(k)
            allaxes.insert(an, k)
        a = sh.transpose(a, tuple(allaxes))
    oldshape = shape_of(a)[-(an - ndim_of(b)):]
    prod = int(np.prod(oldshape, dtype=np.int64))
    if int(np.prod(shape_of(b), dtype=np.int64)) != prod:
        raise LinAlgError("Input arrays must satisfy the requirement "
                          "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])")
    x = solve(sh.reshape(a, (prod, prod)), sh.ravel(b))
    return sh.reshape(x, oldshape)


def matrix_transpose(x, /):
    """Swap the last two axes."""
    x = t(x)
    if ndim_of(x) < 2:
        raise ValueError("Input array must be at least 2-dimensional")
    return _T(x)


def diagonal(x, /, *, offset=0):
    """Diagonals of the last two axes (``numpy.linalg.diagonal``)."""
    x = t(x)
    m, n = shape_of(x)[-2:]
    if offset >= 0:
        k = max(0, min(m, n - offset))
        r = np.arange(k)
        return sh.getitem(x, (Ellipsis, r, r + offset))
    k = max(0, min(m + offset, n))
    r = np.arange(k)
    return sh.getitem(x, (Ellipsis, r - offset, r))


def trace(x, /, *, offset=0, dtype=None):
    """Sum along the diagonals of the last two axes (``numpy.linalg.trace``)."""
    return rd.sum(diagonal(x, offset=offset), axis=-1, dtype=dtype)


def outer(x1, x2, /):
    """Outer product of two 1-D arrays (``numpy.linalg.outer``)."""
    if ndim_of(t(x1)) != 1 or ndim_of(t(x2)) != 1:
        raise ValueError("Input arrays must be one-dimensional")
    return _outer(x1, x2)


def vecdot(x1, x2, /, *, axis=-1):
    """``sum(conj(x1) * x2, axis)`` with broadcasting (``numpy.linalg.vecdot``)."""
    return rd.sum(ew.multiply(conj(t(x1)), t(x2)), axis=axis)


# general (non-Hermitian) eigenproblem: its own module, imported last (it uses the helpers above)
from ._eig import eig as eig, eigvals as eigvals  # noqa: E402
__all__ += ["eig", "eigvals"]
