"""Functions written in terms of other wengert.numpy functions: no rules of their own, so
their derivatives (of every order) come from the primitives they use.  Two exceptions:
``stop_gradient`` and ``log_softmax``, a primitive with a direct rule because it sits in
every classifier's loss (its composite form records a dozen nodes)."""
from __future__ import annotations

import numpy as np

from .._core.primitive import Primitive, bind
from .._core.tensor import Tensor
from . import _elementwise as ew
from . import _reduce as rd
from . import _shape as sh
from ._complex import conj, real
from ._family import dtype_of, ndim_of, shape_of, t

stop_gradient_p = Primitive("stop_gradient", lambda x: x, nondiff=True)


def stop_gradient(x):
    """The value of ``x``, with zero derivative in every mode (JAX's ``lax.stop_gradient``)."""
    return bind(stop_gradient_p, t(x))


def _count(a, axis):
    shp = shape_of(a)
    if axis is None:
        return int(np.prod(shp, dtype=np.int64))
    axes = sh._normalize_axes(axis, len(shp))
    return int(np.prod([shp[i] for i in axes], dtype=np.int64))


def _float_dtype(a, dtype):
    if dtype is not None:
        return np.dtype(dtype)
    dt = dtype_of(a)
    return dt if np.issubdtype(dt, np.inexact) else np.dtype(np.float64)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=np._NoValue):
    a = t(a)
    rd._check_reduce_args("mean", out, where)
    dt = _float_dtype(a, dtype)
    a = sh.astype(a, dt)
    s = rd.sum(a, axis=axis, keepdims=keepdims)
    n = _count(a, axis)
    # a Python float: NumPy's weak scalar keeps s's dtype (and the wrapper's fast path applies)
    return ew.divide(s, float(n) if n else np.nan)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=np._NoValue,
        mean=None, correction=None):
    a = t(a)
    rd._check_reduce_args("var", out, where)
    if correction is not None:
        ddof = correction
    dt = _float_dtype(a, dtype)
    a = sh.astype(a, dt)
    m = globals()["mean"](a, axis=axis, keepdims=True)
    d = ew.subtract(a, m)
    if np.issubdtype(dt, np.complexfloating):
        sq = real(ew.multiply(d, conj(d)))
    else:
        sq = ew.multiply(d, d)
    n = _count(a, axis) - ddof
    s = rd.sum(sq, axis=axis, keepdims=keepdims)
    return ew.divide(s, float(n) if n > 0 else np.nan)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=np._NoValue,
        mean=None, correction=None):
    """Standard deviation.  Where the variance is 0 (constant input) the derivative is 0,
    the minimum-norm subgradient (std is a scaled norm of ``a - mean``), not 0 * inf = NaN."""
    v = var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, where=where,
            correction=correction)
    zero = ew.equal(v, 0)
    return ew.where(zero, 0.0, ew.sqrt(ew.where(zero, 1.0, v)))


def _safe_max(a, axis, skip=None):
    """The shift for logsumexp/softmax: the (constant) maximum of the real part over ``axis``
    (keepdims), leaving out the entries where ``skip``; 0 where it is not finite.  A real
    shift keeps log's principal branch for complex input: log(s e^-m) = log(s) - m."""
    r = stop_gradient(real(a))  # before the max: no node is recorded for it
    if skip is not None:
        r = ew.where(skip, -np.inf, r)
    m = rd.max(r, axis=axis, keepdims=True)
    return ew.where(ew.isfinite(m), m, 0)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over ``axis``, shifted by the maximum (SciPy's signature).

    With ``b`` (broadcast against ``a``) the sum may be negative: ``return_sign=True`` then
    gives ``(log|sum|, sign(sum))``, otherwise a negative sum gives NaN as in SciPy.  Entries
    with ``b == 0`` are left out of the shift; the derivative is the (weighted) softmax.
    """
    a = t(a)
    if not isinstance(a, Tensor):
        a = t(np.asarray(a))
    if not np.issubdtype(dtype_of(a), np.inexact):
        a = sh.astype(a, np.float64)
    skip = None
    if b is not None:
        # entries with weight 0 take no part in the shift: a = [1000, 0], b = [0, 1] is 0,
        # not log(0 + e^-1000) = -inf
        b = t(b)
        shape = np.broadcast_shapes(shape_of(a), shape_of(b))
        a = sh.broadcast_to(a, shape)
        b = sh.broadcast_to(b if isinstance(b, Tensor) else t(np.asarray(b)), shape)
        skip = ew.equal(b, 0)
    axis = sh._normalize_axes(axis, ndim_of(a))
    m = _safe_max(a, axis, skip)
    d = ew.subtract(a, m)
    if skip is not None:
        # a skipped entry far above the shift would overflow exp, and inf * 0 is NaN; capped
        # just below the overflow (709 for float64, 88 for float32), its weight's derivative
        # e^(a - lse) stays exact up to there
        cap = float(np.floor(np.log(np.finfo(dtype_of(d)).max)))
        d = ew.where(ew.logical_and(skip, ew.greater(real(d), cap)), cap, d)
    e = ew.exp(d)
    if b is not None:
        e = ew.multiply(e, b)
    s = rd.sum(e, axis=axis, keepdims=True)
    # all entries -inf (or all weights 0): the value is -inf and the derivative 0, without
    # evaluating log(0) (whose derivative 1/0 would turn into 0 * inf = NaN)
    empty = ew.equal(s, 0)
    s_safe = ew.where(empty, 1.0, s)
    sgn = None
    if b is None or np.issubdtype(dtype_of(s), np.complexfloating):
        r = ew.add(ew.where(empty, -np.inf, ew.log(s_safe)), m)
    else:
        r = ew.add(ew.where(empty, -np.inf, ew.log(ew.absolute(s_safe))), m)
        sgn = ew.sign(s)
        if not return_sign:
            r = ew.where(ew.less(s, 0), np.nan, r)
    if not keepdims:
        r = _squeeze_reduced(r, axis)
    if return_sign:
        if sgn is None:
            sgn = ew.sign(s) if not np.issubdtype(dtype_of(s), np.complexfloating) else \
                ew.divide(s, ew.absolute(s))
        return r, sgn if keepdims else _squeeze_reduced(sgn, axis)
    return r


def _squeeze_reduced(r, axis):
    return sh.squeeze(r, axis=axis) if axis is not None else sh.reshape(r, ())


def softmax(x, axis=-1):
    x = t(x)
    if not np.issubdtype(dtype_of(x), np.inexact):
        x = sh.astype(x, np.float64)
    axis = sh._normalize_axes(axis, ndim_of(x))
    e = ew.exp(ew.subtract(x, _safe_max(x, axis)))
    return ew.divide(e, rd.sum(e, axis=axis, keepdims=True))


# --- log_softmax: a primitive ---------------------------------------------------------------------
# out = x - logsumexp(x) over ``axis``, evaluated as NumPy would by hand (shift by the maximum
# of the real part, 0 where that is not finite).  The derivative is the softmax p = exp(out):
# VJP g - p * sum(g), JVP t - sum(p * t).  Rows whose value is undefined without a NaN input
# (all entries -inf, or an entry +inf) have p = 0 there, so the derivative is the identity, as
# the composite x - logsumexp(x) gives (its logsumexp guards turn those rows' derivative to 0);
# a NaN input makes its row's derivative NaN.  The rules use ``out``, so they differentiate
# through this primitive again: every order comes from the same two lines.
def _log_softmax_impl(x, axis):
    complex_ = x.dtype.kind == "c"
    m = np.maximum.reduce(x.real if complex_ else x, axis=axis, keepdims=True)
    fin = np.isfinite(m)
    if not fin.all():
        m = np.where(fin, m, 0)
    d = np.subtract(x, m)
    s = np.add.reduce(np.exp(d), axis=axis, keepdims=True)
    if complex_ or not s.min() > 0:  # (a real s is >= 1 unless a row is all -inf or NaN)
        empty = s == 0
        if empty.any():  # all entries -inf: log(0) = -inf, without NumPy's divide warning
            s = np.where(empty, 1, s)
            ls = np.log(s)
            ls[empty] = -np.inf
            return np.subtract(d, ls, out=d)
    return np.subtract(d, np.log(s), out=d)


def _lsm_prob(out, x, axis):
    """The softmax exp(out), 0 in the rows whose value is undefined without a NaN input."""
    p = ew.exp(out)
    undefined = ew.logical_and(ew.isnan(out), ew.logical_not(
        rd.any(ew.isnan(x), axis=axis, keepdims=True)))
    return ew.where(undefined, 0, p)


def _log_softmax_vjp(needs, g, out, x, axis):
    p = _lsm_prob(out, x, axis)
    return (ew.subtract(g, ew.multiply(p, rd.sum(g, axis=axis, keepdims=True))),)


def _log_softmax_jvp(tangents, out, x, axis):
    p = _lsm_prob(out, x, axis)
    tx = tangents[0]
    return ew.subtract(tx, rd.sum(ew.multiply(p, tx), axis=axis, keepdims=True))


def _log_softmax_vjp_raw(needs, g, out, x, axis):
    """``_log_softmax_vjp`` on bare ndarrays (the engine's unrecorded backward pass): the
    guard costs one NaN test of ``out`` when no row is undefined (the usual case)."""
    p = np.exp(out)
    nan = np.isnan(out)
    if nan.any():
        p[nan & ~np.any(np.isnan(x), axis=axis, keepdims=True)] = 0
    np.multiply(p, np.sum(g, axis=axis, keepdims=True), out=p)
    return (np.subtract(g, p, out=p),)


def _log_softmax_batch(args, dims, axis):
    (x,), (d,) = args, dims
    if d != 0:
        x = sh.moveaxis(x, d, 0)
    nd = ndim_of(x) - 1
    axis = tuple(range(1, nd + 1)) if axis is None else tuple(a + 1 for a in axis)
    return bind(log_softmax_p, x, axis=axis), 0


log_softmax_p = Primitive("log_softmax", _log_softmax_impl, vjp=_log_softmax_vjp,
                          jvp=_log_softmax_jvp, save_out=True)
log_softmax_p.raw_vjp = _log_softmax_vjp_raw
log_softmax_p.batch = _log_softmax_batch


def log_softmax(x, axis=-1):
    """``x - logsumexp(x, axis, keepdims=True)``, max-shifted (SciPy's ``log_softmax``)."""
    x = t(x)
    if not isinstance(x, Tensor):
        x = t(np.asarray(x))
    if not np.issubdtype(dtype_of(x), np.inexact):
        x = sh.astype(x, np.float64)
    return bind(log_softmax_p, x, axis=sh._normalize_axes(axis, ndim_of(x)))


sigmoid = ew.sigmoid
expit = sigmoid
softplus = ew.softplus


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)`` (scipy.special.log_expit), finite at every |x|
    (-1000 at x = -1000, where log(sigmoid(x)) would be log(0)); derivative sigmoid(-x)."""
    return ew.negative(ew.softplus(ew.negative(t(x))))
