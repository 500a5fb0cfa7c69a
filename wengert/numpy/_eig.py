"""``wnp.linalg.eig`` and ``eigvals``: eigen-decomposition of a general square matrix
(batched), with derivatives in every mode.  Imported into ``wengert.numpy.linalg``.

``A = V diag(w) V^{-1}`` with NumPy's normalisation (each eigenvector has unit 2-norm; its
phase is LAPACK's choice).  With ``K = V^{-1} dA V`` and ``F_ij = 1 / (w_j - w_i)`` (0 on the
diagonal and at numerical ties, as for ``eigh``):

* ``dw = diag(K)``;
* ``dV = V (F o K)``, minus ``v_k Re(v_k^H dv_k)`` per column, which keeps ``|v_k| = 1``.
  The phase of an eigenvector is a free choice of LAPACK (NumPy makes no promise about it),
  so only phase-independent functions of ``V`` (``abs(V)``, ``V diag(.) V^{-1}``, ...) have
  meaningful derivatives;
* the VJP is the transpose under ``Re(sum(a * b))`` (JAX's convention, no conjugation):
  ``gA = V^{-T} (diag(gw) + F o (V^T G')) V^T`` with ``G' = gV - conj(V) Re(sum(gV o V, 0))``.

Real input with complex eigenvalues gives complex ``w``, ``V`` (NumPy's rule) and, for real
``A``, the real part of that cotangent is the gradient.  A defective matrix (a repeated
eigenvalue without a full set of eigenvectors) has no derivative; ties get coefficient 0.
"""
from __future__ import annotations

import collections

import numpy as np

from .._core.primitive import Primitive, bind
from . import _elementwise as ew
from . import _reduce as rd
from . import _shape as sh
from ._complex import conj, real
from ._composite import stop_gradient
from ._family import shape_of
from ._linalg_core import matmul
from . import linalg as _la

EigResult = collections.namedtuple("EigResult", ["eigenvalues", "eigenvectors"])


def _gaps(w):
    """F[..., i, j] = 1 / (w_j - w_i), 0 on the diagonal and at ties (|gap| <= n eps max|w|)."""
    n = shape_of(w)[-1]
    d = ew.subtract(_la._row(w), _la._col(w))
    ref = stop_gradient(rd.max(ew.absolute(w), axis=-1, keepdims=True))
    tie = ew.less_equal(ew.absolute(stop_gradient(d)),
                        _la._col(ew.multiply(ref, n * _la._eps(real(w)))))
    return ew.where(tie, 0, ew.reciprocal(ew.where(tie, 1, d)))


def _eig_jvp(tangents, out, a):
    w, v = out
    da = tangents[0]
    if shape_of(da) != shape_of(a):
        da = sh.broadcast_to(da, shape_of(a))
    k = matmul(_la.solve(v, da), v)
    dw = _la._diag(k)
    dv = matmul(v, ew.multiply(_gaps(w), k))
    # keep each column at unit norm: remove v_k Re(v_k^H dv_k)
    dv = ew.subtract(dv, ew.multiply(v, _la._row(real(rd.sum(ew.multiply(conj(v), dv),
                                                             axis=-2)))))
    return dw, dv


def _eig_vjp(needs, g, out, a):
    gw, gv = g
    w, v = out
    if gv is None:
        gv = ew.multiply(v, 0)
    if gw is None:
        gw = ew.multiply(w, 0)
    s = real(rd.sum(ew.multiply(gv, v), axis=-2))
    gprime = ew.subtract(gv, ew.multiply(conj(v), _la._row(s)))
    p = ew.add(_la._diag_embed(gw), ew.multiply(_gaps(w), matmul(_la._T(v), gprime)))
    # gA = V^{-T} P V^T
    return (matmul(_la.solve(_la._T(v), p), _la._T(v)),)


eig_p = Primitive("eig", lambda a: tuple(np.linalg.eig(a)), vjp=_eig_vjp, jvp=_eig_jvp,
                  save_args=False, save_out=True, multiple_results=True)
eig_p.batch = "leading"


def eig(a):
    """Eigenvalues and right eigenvectors of a square matrix (batched), as NumPy: real
    results when every eigenvalue is real, complex otherwise.  See the module docstring for
    the derivatives (only phase-independent functions of the eigenvectors have one)."""
    a = _la._as_inexact(a)
    _la._square_check(a, "eig")
    w, v = bind(eig_p, a)
    return EigResult(w, v)


def eigvals(a):
    """Eigenvalues of a square matrix (batched); ``dw = diag(V^{-1} dA V)``."""
    return eig(a)[0]
