"""``wengert.scipy.linalg``: differentiable parts of ``scipy.linalg`` (SciPy names and
signatures), batched over leading axes where SciPy is.

=====================  ================================================================
solve_triangular       ``x = op(T)^{-1} b`` with ``T`` the used triangle of ``a``:
                       ``dx = op(T)^{-1} (db - op(dT) x)``; the cotangent of ``a`` lands
                       on that triangle only (off the diagonal with ``unit_diagonal``)
cho_factor, cho_solve  through ``wnp.linalg.cholesky`` and ``solve_triangular``
expm                   Frechet derivative by the block-matrix identity
                       ``expm([[A, E], [0, A]]) = [[e^A, L(A, E)], [0, e^A]]``;
                       the VJP is ``L(A^T, G)``
solve_sylvester        ``dX = sylv(A, B, dQ - dA X - X dB)``; VJP by the transposed equation
sqrtm                  ``dS = sylv(S, S, dA)``; VJP ``sylv(S^T, S^T, G)``
solve_banded           ``dx = A^{-1}(db - dA x)`` in band storage; VJP through the band
                       storage of ``A^T``
inv, det, solve        ``wengert.numpy.linalg``'s rules (``det`` uses the cofactor form,
                       finite at singular matrices)
=====================  ================================================================

The complex convention is JAX's, as everywhere in wengert (VJPs transpose, never conjugate,
a holomorphic rule).  SciPy is an optional dependency of wengert: without it, importing this
module raises ImportError.
"""
from __future__ import annotations

import numpy as np

try:
    import scipy.linalg as _sla
except ImportError as _err:  # the message is the point: SciPy is optional
    raise ImportError(
        "wengert.scipy.linalg needs SciPy, which is not installed. Install it with "
        "`pip install scipy` (or `pip install 'wengert[all]'`); the rest of wengert, "
        "including wengert.numpy.linalg, works without it.") from _err

from .._core.primitive import Primitive, bind
from ..numpy import _elementwise as ew
from ..numpy import _reduce as rd
from ..numpy import _shape as sh
from ..numpy import linalg as _la
from ..numpy._batching import _loop_rule, core_rule
from ..numpy._complex import conj
from ..numpy._family import dtype_of, ndim_of, shape_of
from ..numpy._linalg_core import matmul

__all__ = ["cho_factor", "cho_solve", "cholesky", "det", "expm", "expm_frechet", "inv",
           "solve", "solve_triangular"]

LinAlgError = np.linalg.LinAlgError

_T = _la._T
_H = _la._H


# --- solve_triangular ----------------------------------------------------------------------------
def _trans_code(trans):
    codes = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2, "n": 0, "t": 1, "c": 2}
    try:
        return codes[trans]
    except (KeyError, TypeError):
        raise ValueError(f"solve_triangular: trans must be 0/'N', 1/'T' or 2/'C', got "
                         f"{trans!r}") from None


def _triangle(x, lower, unit_diagonal):
    """The entries of ``x`` that solve_triangular reads."""
    if lower:
        return _la._tril(x, -1 if unit_diagonal else 0)
    return _la._triu(x, 1 if unit_diagonal else 0)


def _op(x, trans):
    if trans == 0:
        return x
    return _T(x) if trans == 1 else _H(x)


def _st_impl(a, b, trans, lower, unit_diagonal):
    return _sla.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)


def _st(a, b, trans, lower, unit_diagonal):
    return bind(solve_triangular_p, a, b, trans=trans, lower=lower,
                unit_diagonal=unit_diagonal)


def _st_transposed(a, g, trans, lower, unit_diagonal):
    """``op(T)^{-T} g``, the cotangent of ``b``."""
    if trans == 0:
        return _st(a, g, 1, lower, unit_diagonal)
    if trans == 1:
        return _st(a, g, 0, lower, unit_diagonal)
    # op(T) = T^H, so op(T)^T = conj(T) and conj(T)^{-1} g = conj(T^{-1} conj(g))
    return conj(_st(a, conj(g), 0, lower, unit_diagonal))


def _st_vjp(needs, g, out, a, b, trans, lower, unit_diagonal):
    gb = _st_transposed(a, g, trans, lower, unit_diagonal)
    ga = None
    if needs[0]:
        g_op = ew.negative(matmul(gb, _T(out)))  # cotangent of op(T)
        g_t = g_op if trans == 0 else (_T(g_op) if trans == 1 else _H(g_op))
        ga = _triangle(g_t, lower, unit_diagonal)
    return ga, (gb if needs[1] else None)


def _st_jvp(tangents, out, a, b, trans, lower, unit_diagonal):
    ta, tb = tangents
    rhs = tb
    if ta is not None:
        term = matmul(_op(_triangle(ta, lower, unit_diagonal), trans), out)
        rhs = ew.negative(term) if rhs is None else ew.subtract(rhs, term)
    return _st(a, rhs, trans, lower, unit_diagonal)


solve_triangular_p = Primitive("solve_triangular", _st_impl, vjp=_st_vjp, jvp=_st_jvp,
                               save_out=True)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Solve ``op(a) x = b`` for triangular ``a`` (SciPy semantics: only the ``lower`` or
    upper triangle of ``a`` is read, its diagonal is taken as 1 with ``unit_diagonal``;
    ``trans`` is 0/'N', 1/'T' or 2/'C').  ``b`` is a vector when it is 1-D, else
    ``(..., n, k)``; ``a`` may be batched ``(..., n, n)``.

    The gradient with respect to ``a`` is zero outside the triangle that is read."""
    a, b = _la._as_inexact(a), _la._as_inexact(b)
    if ndim_of(a) < 2 or shape_of(a)[-1] != shape_of(a)[-2]:
        raise ValueError(f"solve_triangular: expected a square matrix (..., n, n), got "
                         f"shape {shape_of(a)}")
    code = _trans_code(trans)
    if code == 2 and not np.issubdtype(dtype_of(a), np.complexfloating):
        code = 1
    if ndim_of(b) == 1:
        return sh.getitem(_st(a, _la._col(b), code, bool(lower), bool(unit_diagonal)),
                          (Ellipsis, 0))
    return _st(a, b, code, bool(lower), bool(unit_diagonal))


# --- Cholesky ------------------------------------------------------------------------------------
def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """SciPy's ``cholesky``: the upper factor ``U`` (``a = U^H U``) by default, read from the
    upper triangle; ``lower=True`` gives ``L`` (``a = L L^H``) from the lower triangle.
    Derivatives are those of the Hermitian part of ``a`` (see ``wnp.linalg.cholesky``)."""
    a = _la._as_inexact(a)
    if lower:
        return _la.cholesky(a)
    # the lower triangle of a^H is the (conjugated) upper triangle of a
    return _H(_la.cholesky(_H(a)))


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``(c, lower)`` for ``cho_solve``: ``c`` holds the Cholesky factor in its ``lower`` (or
    upper) triangle and ``a``'s own entries in the other one, as SciPy returns it."""
    a = _la._as_inexact(a)
    f = cholesky(a, lower=lower)
    other = _la._triu(a, 1) if lower else _la._tril(a, -1)
    return ew.add(f, other), bool(lower)


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` given ``(c, lower) = cho_factor(a)`` (two triangular solves)."""
    c, lower = c_and_lower
    if lower:  # a = L L^H
        y = solve_triangular(c, b, lower=True)
        return solve_triangular(c, y, trans=2, lower=True)
    y = solve_triangular(c, b, trans=2, lower=False)  # a = U^H U
    return solve_triangular(c, y, lower=False)


# --- expm ----------------------------------------------------------------------------------------
def _frechet(a, e):
    """L(A, E) = expm([[A, E], [0, A]])[:n, n:], with wengert ops (so differentiable again)."""
    n = shape_of(a)[-1]
    z = ew.multiply(a, 0)
    block = sh.concatenate([sh.concatenate([a, e], axis=-1), sh.concatenate([z, a], axis=-1)],
                           axis=-2)
    return sh.getitem(bind(expm_p, block), (Ellipsis, slice(0, n), slice(n, None)))


def _expm_vjp(needs, g, out, a):
    # <G, L(A, E)> = <L(A^T, G), E> under Re(sum(x * y)) (no conjugation: expm is holomorphic)
    return (_frechet(_T(a), g),)


def _expm_jvp(tangents, out, a):
    da = tangents[0]
    if shape_of(da) != shape_of(a):
        da = sh.broadcast_to(da, shape_of(a))
    return _frechet(a, da)


expm_p = Primitive("expm", _sla.expm, vjp=_expm_vjp, jvp=_expm_jvp)
expm_p.batch = "leading"  # SciPy maps over leading axes
# two operands with core rank 2 each: their leading axes are aligned first (see _batching)
solve_triangular_p.batch = core_rule(solve_triangular_p, (2, 2))


def expm(A):
    """Matrix exponential (batched ``(..., n, n)``), SciPy's Pade implementation.
    Derivatives: the Frechet derivative ``L(A, E)`` from the block-matrix identity (JVP),
    ``L(A^T, G)`` (VJP); each is again an ``expm``, so every order works."""
    a = _la._as_inexact(A)
    if ndim_of(a) < 2 or shape_of(a)[-1] != shape_of(a)[-2]:
        raise ValueError(f"expm: expected a square matrix (..., n, n), got shape "
                         f"{shape_of(a)}")
    return bind(expm_p, a)


def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):
    """``(expm(A), L(A, E))`` (or just ``L(A, E)`` with ``compute_expm=False``), both
    differentiable in ``A`` and ``E``."""
    a, e = _la._as_inexact(A), _la._as_inexact(E)
    if shape_of(a) != shape_of(e) or ndim_of(a) != 2 or shape_of(a)[0] != shape_of(a)[1]:
        raise ValueError("expm_frechet: expected A and E to be square matrices of the same "
                         f"shape, got {shape_of(a)} and {shape_of(e)}")
    n = shape_of(a)[-1]
    z = ew.multiply(a, 0)
    block = sh.concatenate([sh.concatenate([a, e], axis=-1), sh.concatenate([z, a], axis=-1)],
                           axis=-2)
    big = bind(expm_p, block)
    lae = sh.getitem(big, (Ellipsis, slice(0, n), slice(n, None)))
    if not compute_expm:
        return lae
    return sh.getitem(big, (Ellipsis, slice(0, n), slice(0, n))), lae


# --- solve_sylvester and sqrtm ---------------------------------------------------------------------
def _sylvester_vjp(needs, g, out, a, b, q):
    # X = L^{-1}(Q) with L(X) = A X + X B.  Under Re(sum(x * y)) the transpose of L is
    # Y -> A^T Y + Y B^T, so with Y = L^{-T}(G): gQ = Y, gA = -Y X^T, gB = -X^T Y.
    y = bind(solve_sylvester_p, _T(a), _T(b), g)
    return (ew.negative(matmul(y, _T(out))) if needs[0] else None,
            ew.negative(matmul(_T(out), y)) if needs[1] else None,
            y if needs[2] else None)


def _sylvester_jvp(tangents, out, a, b, q):
    da, db, dq = tangents
    rhs = dq
    if da is not None:
        term = ew.negative(matmul(da, out))
        rhs = term if rhs is None else ew.add(rhs, term)
    if db is not None:
        term = ew.negative(matmul(out, db))
        rhs = term if rhs is None else ew.add(rhs, term)
    return bind(solve_sylvester_p, a, b, rhs)


solve_sylvester_p = Primitive("solve_sylvester", _sla.solve_sylvester, vjp=_sylvester_vjp,
                              jvp=_sylvester_jvp, save_out=True)


def solve_sylvester(a, b, q):
    """``X`` with ``A X + X B = Q`` (2-D), SciPy's Bartels-Stewart solver.

    Derivatives: ``dX = sylv(A, B, dQ - dA X - X dB)``; the VJP solves the transposed
    equation ``A^T Y + Y B^T = G`` and gives ``(-Y X^T, -X^T Y, Y)``."""
    a, b, q = _la._as_inexact(a), _la._as_inexact(b), _la._as_inexact(q)
    if ndim_of(a) != 2 or ndim_of(b) != 2 or ndim_of(q) != 2:
        raise ValueError("solve_sylvester: a, b and q must be 2-D arrays, got shapes "
                         f"{shape_of(a)}, {shape_of(b)}, {shape_of(q)}")
    return bind(solve_sylvester_p, a, b, q)


def _sqrtm_impl(a):
    return _sla.sqrtm(a)


def _sqrtm_vjp(needs, g, out, a):
    # S S = A: S dS + dS S = dA, so dS = sylv(S, S, dA) and the VJP is sylv(S^T, S^T, G)
    st = _T(out)
    return (solve_sylvester(st, st, g),)


def _sqrtm_jvp(tangents, out, a):
    return solve_sylvester(out, out, tangents[0])


sqrtm_p = Primitive("sqrtm", _sqrtm_impl, vjp=_sqrtm_vjp, jvp=_sqrtm_jvp, save_args=False,
                    save_out=True)


def sqrtm(A, disp=True, blocksize=64):
    """Principal matrix square root ``S`` (``S @ S = A``) of a 2-D matrix; complex where
    ``A`` has negative real eigenvalues (as SciPy).  Derivatives from ``S dS + dS S = dA``:
    ``dS = solve_sylvester(S, S, dA)`` and the VJP ``solve_sylvester(S^T, S^T, G)``
    (both defined where ``S`` and ``-S`` share no eigenvalue, i.e. ``A`` nonsingular)."""
    a = _la._as_inexact(A)
    if ndim_of(a) != 2 or shape_of(a)[0] != shape_of(a)[1]:
        raise ValueError(f"sqrtm: expected a square 2-D matrix, got shape {shape_of(a)}")
    return bind(sqrtm_p, a)


__all__ += ["solve_sylvester", "sqrtm"]


# --- solve_banded -----------------------------------------------------------------------------------
def _shift0(y, s):
    """``z[i] = y[i + s]`` along axis 0, zero where ``i + s`` is out of range."""
    n = shape_of(y)[0]
    if s == 0:
        return y
    if abs(s) >= n:
        return ew.multiply(y, 0)
    pad = ew.multiply(sh.getitem(y, (slice(0, abs(s)),)), 0)
    if s > 0:
        return sh.concatenate([sh.getitem(y, (slice(s, None),)), pad], axis=0)
    return sh.concatenate([pad, sh.getitem(y, (slice(0, n + s),))], axis=0)


def _band_row(ab, k, like):
    """Row ``k`` of the band storage, shaped to broadcast against ``like`` ((n,) or (n, m))."""
    r = sh.getitem(ab, (k,))
    return r if ndim_of(like) == 1 else sh.expand_dims(r, -1)


def _band_matvec(ab, x, lower, upper):
    """``A @ x`` for ``A`` in LAPACK band storage ``ab`` (``A[i, j] = ab[upper + i - j, j]``)."""
    out = None
    for k in range(lower + upper + 1):
        term = _shift0(ew.multiply(_band_row(ab, k, x), x), upper - k)
        out = term if out is None else ew.add(out, term)
    return out


def _band_transpose(ab, lower, upper):
    """The band storage of ``A^T`` (``upper`` and ``lower`` swap)."""
    rows = [_shift0(sh.getitem(ab, (upper + lower - k,)), k - lower)
            for k in range(lower + upper + 1)]
    return sh.stack(rows, axis=0)


def _band_outer(g, x, lower, upper):
    """The band entries of ``g x^T`` (summed over right-hand sides): the cotangent of ``ab``."""
    rows = []
    for k in range(lower + upper + 1):
        prod = ew.multiply(_shift0(g, k - upper), x)
        rows.append(prod if ndim_of(x) == 1 else rd.sum(prod, axis=-1))
    return sh.stack(rows, axis=0)


def _solve_banded_vjp(needs, g, out, ab, b, lower, upper):
    gb = bind(solve_banded_p, _band_transpose(ab, lower, upper), g, lower=upper, upper=lower)
    return (ew.negative(_band_outer(gb, out, lower, upper)) if needs[0] else None,
            gb if needs[1] else None)


def _solve_banded_jvp(tangents, out, ab, b, lower, upper):
    dab, db = tangents
    rhs = db
    if dab is not None:
        term = ew.negative(_band_matvec(dab, out, lower, upper))
        rhs = term if rhs is None else ew.add(rhs, term)
    return bind(solve_banded_p, ab, rhs, lower=lower, upper=upper)


solve_banded_p = Primitive(
    "solve_banded", lambda ab, b, lower, upper: _sla.solve_banded((lower, upper), ab, b),
    vjp=_solve_banded_vjp, jvp=_solve_banded_jvp, save_out=True)
# vmap: SciPy's band solver takes one system at a time, so one call per example
solve_banded_p.batch = _loop_rule(solve_banded_p)


def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """Solve ``A x = b`` for ``A`` in LAPACK band storage (``l`` sub- and ``u``
    super-diagonals: ``A[i, j] = ab[u + i - j, j]``), SciPy's solver; ``b`` is (n,) or (n, k).

    Derivatives stay in band storage: ``dx = A^{-1} (db - dA x)``; the VJP solves with the
    band storage of ``A^T`` and gives ``ab`` the band entries of ``-(A^{-T} g) x^T``."""
    lower, upper = (int(v) for v in l_and_u)
    ab, b = _la._as_inexact(ab), _la._as_inexact(b)
    if ndim_of(ab) != 2 or shape_of(ab)[0] != lower + upper + 1:
        raise ValueError(f"solve_banded: ab must have shape ({lower + upper + 1}, n) for "
                         f"(l, u) = ({lower}, {upper}), got {shape_of(ab)}")
    if ndim_of(b) not in (1, 2) or shape_of(b)[0] != shape_of(ab)[1]:
        raise ValueError(f"solve_banded: b must have shape (n,) or (n, k) with n = "
                         f"{shape_of(ab)[1]}, got {shape_of(b)}")
    return bind(solve_banded_p, ab, b, lower=lower, upper=upper)


__all__ += ["solve_banded"]


# --- re-exports with SciPy's signatures ----------------------------------------------------------
def inv(a, overwrite_a=False, check_finite=True):
    """Matrix inverse (``wnp.linalg.inv``)."""
    return _la.inv(a)


def det(a, overwrite_a=False, check_finite=True):
    """Determinant (``wnp.linalg.det``: finite gradient ``adj(a)^T`` at singular ``a``)."""
    return _la.det(a)


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """Solve ``a x = b`` (``a^T x = b`` with ``transposed=True``).

    As in SciPy, ``assume_a`` of ``'sym'``, ``'her'``, ``'pos'`` (``'positive definite'``)
    reads only the ``lower`` (else upper) triangle of ``a``; the matrix is completed from it
    and solved by LU, so the gradient lands on that triangle.  Other ``assume_a`` values
    (``'gen'``, ``'diagonal'``, ``'banded'``, ...) solve with the full ``a``."""
    a = _la._as_inexact(a)
    if assume_a in ("sym", "symmetric", "her", "hermitian", "pos", "positive definite"):
        herm = assume_a not in ("sym", "symmetric")
        tri = _la._tril(a) if lower else _la._triu(a)
        strict = _la._tril(a, -1) if lower else _la._triu(a, 1)
        a = ew.add(tri, _H(strict) if herm else _T(strict))
    if transposed:
        a = _T(a)
    return _la.solve(a, b)

# vmap: SciPy maps both over leading axes (three core-rank-2 operands for the Sylvester solve)
sqrtm_p.batch = "leading"
solve_sylvester_p.batch = core_rule(solve_sylvester_p, (2, 2, 2))
