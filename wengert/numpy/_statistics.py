"""Scans, differences and statistics: cumsum/cumprod (primitives), diff, ptp, average, the
NaN-ignoring reductions, median/quantile/percentile (by sorting), trapezoid, cov/corrcoef,
convolve/correlate, interp, polyval.

* ``cumsum`` is a linear primitive whose VJP is the reversed cumulative sum.
* ``cumprod`` is a primitive whose value is ``numpy.cumprod``'s and whose rules are
  division-free scans (y_i = a_i y_{i-1} + b_i, solved by a Hillis-Steele scan of
  multiplications and slices), so its derivatives are exact with zeros in the input and
  differentiable to any order: d out_i = sum_{j <= i} dx_j prod_{k <= i, k != j} x_k.
* ``median``/``quantile``/``percentile`` take their values from a sort and interpolate as
  NumPy (every ``method``).  The derivative of an order statistic is split evenly among the
  elements equal to it (the minimum-norm subgradient, consistent with ``max``/``min``):
  the median of [1, 2, 2] has gradient [0, 1/2, 1/2].  A slice holding NaN gives NaN and a
  zero derivative.
* ``nan*`` reductions treat NaN as absent: its derivative is 0 (no NaN leaks into the
  gradient of the others).
"""
from __future__ import annotations

import builtins
import warnings

import numpy as np

from .._core.primitive import Primitive, bind
from .._core.tensor import Tensor, concrete_value
from .._errors import ConcretizationError, UnsupportedError
from . import _elementwise as ew
from . import _reduce as rd
from . import _shape as sh
from ._complex import conj, real
from ._composite import _float_dtype, stop_gradient
from ._composite import mean as _mean
from ._family import _scale, dtype_of, ndim_of, shape_of, t
from ._manip import _arr, _axis1, _batch_axis_rule, _slice_at, take_along_axis
from ._ufuncs import remainder as _remainder


def _concrete_or_none(x):
    """The concrete value, or None inside a transform that has none (vmap)."""
    try:
        return concrete_value(x)
    except ConcretizationError:
        return None


def _no_out(out, name):
    if out is not None:
        raise UnsupportedError(f"{name}(..., out=...) writes in place, which wengert cannot "
                               "differentiate; use the returned value.")


def _acc_dtype(a, dtype):
    """The accumulation dtype of sum/cumsum/cumprod: ``dtype``, else small integers and
    booleans widen to the platform integer (as NumPy)."""
    if dtype is not None:
        return np.dtype(dtype)
    dt = dtype_of(a)
    if np.issubdtype(dt, np.bool_) or (np.issubdtype(dt, np.integer) and dt.itemsize < 8):
        return np.result_type(dt, np.int_)
    return dt


# --- cumsum ---------------------------------------------------------------------------------------
def _cumsum_impl(x, axis, reverse):
    if reverse:
        return np.flip(np.cumsum(np.flip(x, axis), axis=axis), axis)
    return np.cumsum(x, axis=axis)


cumsum_p = Primitive(
    "cumsum", _cumsum_impl,
    vjp=lambda needs, g, out, x, axis, reverse: (bind(cumsum_p, g, axis=axis,
                                                      reverse=not reverse),),
    jvp=lambda tangents, out, x, axis, reverse: bind(cumsum_p, tangents[0], axis=axis,
                                                     reverse=reverse),
    save_args=False, linear=True)
cumsum_p.batch = _batch_axis_rule(cumsum_p)


def _scan_input(a, axis, dtype):
    a = _arr(a)
    if axis is None:
        a = sh.ravel(a)
        axis = 0
    axis = _axis1(axis, ndim_of(a))
    a = sh.astype(a, _acc_dtype(a, dtype))
    return a, axis


def cumsum(a, axis=None, dtype=None, out=None):
    """Cumulative sum along ``axis`` (the flattened array if None); linear."""
    _no_out(out, "cumsum")
    a, axis = _scan_input(a, axis, dtype)
    return bind(cumsum_p, a, axis=axis, reverse=False)


# --- cumprod --------------------------------------------------------------------------------------
def _last(x, axis):
    return sh.moveaxis(x, axis, -1)


def _shift_right(v, fill):
    """[fill, v_0, ..., v_{n-2}] along the last axis."""
    n = shape_of(v)[-1]
    head = Tensor._wrap(np.full(tuple(shape_of(v))[:-1] + (1,), fill, dtype=dtype_of(v)))
    return sh.concatenate([head, sh.getitem(v, (Ellipsis, slice(0, n - 1)))], axis=-1)


def _flip_last(v):
    return sh.getitem(v, (Ellipsis, slice(None, None, -1)))


def linear_recurrence(a, b):
    """y_i = a_i y_{i-1} + b_i along the last axis, y_{-1} = 0, by a Hillis-Steele scan of
    affine maps: log2(n) rounds of multiplications, additions and slices (no division, so
    exact with zeros, and differentiable to any order)."""
    n = shape_of(b)[-1]
    k = 1
    while k < n:
        head = (Ellipsis, slice(0, k))
        tail = (Ellipsis, slice(k, n))
        prev = (Ellipsis, slice(0, n - k))
        # strong product: a zero carried value stays zero next to an infinite factor
        b_new = sh.concatenate([sh.getitem(b, head), ew.add(sh.getitem(b, tail), _scale(
            sh.getitem(b, prev), sh.getitem(a, tail)))], axis=-1)
        if 2 * k < n:
            a = sh.concatenate([sh.getitem(a, head), ew.multiply(sh.getitem(a, tail),
                                                                 sh.getitem(a, prev))], axis=-1)
        b = b_new
        k *= 2
    return b


def _cumprod_jvp(tangents, out, x, axis):
    # d out_i = x_i d out_{i-1} + dx_i L_i, L_i = out_{i-1} (the exclusive product)
    (tx,) = tangents
    xl, ol, tl = _last(x, axis), _last(out, axis), _last(tx, axis)
    d = linear_recurrence(xl, _scale(tl, _shift_right(ol, 1)))
    return sh.moveaxis(d, -1, axis)


def _cumprod_vjp(needs, g, out, x, axis):
    # grad_j = L_j S_j with S_j = g_j + x_{j+1} S_{j+1}: a recurrence run backwards
    xl, ol, gl = _last(x, axis), _last(out, axis), _last(g, axis)
    s = _flip_last(linear_recurrence(_shift_right(_flip_last(xl), 0), _flip_last(gl)))
    return (sh.moveaxis(_scale(s, _shift_right(ol, 1)), -1, axis),)


cumprod_p = Primitive("cumprod", lambda x, axis: np.cumprod(x, axis=axis),
                      vjp=_cumprod_vjp, jvp=_cumprod_jvp, save_out=True)
cumprod_p.batch = _batch_axis_rule(cumprod_p)


def cumprod(a, axis=None, dtype=None, out=None):
    """Cumulative product along ``axis``; derivatives exact with zeros, to any order."""
    _no_out(out, "cumprod")
    a, axis = _scan_input(a, axis, dtype)
    return bind(cumprod_p, a, axis=axis)



def _include_initial(res, axis, value):
    shape = list(shape_of(res))
    shape[axis] = 1
    init = Tensor._wrap(np.full(tuple(shape), value, dtype=dtype_of(res)))
    return sh.concatenate([init, res], axis=axis)


def _cumulative_axis(x, axis, name):
    x = _arr(x)
    nd = ndim_of(x)
    if axis is None:
        if nd > 1:
            raise ValueError(f"The `axis` argument to `{name}` must be specified if the "
                             "input array has more than one dimension.")
        axis = 0
    if nd == 0:
        raise ValueError(f"{name} does not support 0-d arrays")
    return x, axis


def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    x, axis = _cumulative_axis(x, axis, "cumulative_sum")
    res = cumsum(x, axis=axis, dtype=dtype, out=out)
    return _include_initial(res, _axis1(axis, ndim_of(x)), 0) if include_initial else res


def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    x, axis = _cumulative_axis(x, axis, "cumulative_prod")
    res = cumprod(x, axis=axis, dtype=dtype, out=out)
    return _include_initial(res, _axis1(axis, ndim_of(x)), 1) if include_initial else res


# --- differences ----------------------------------------------------------------------------------
def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    """n-th discrete difference along ``axis`` (with ``prepend``/``append``), linear."""
    if n == 0:
        return _arr(a)
    if n < 0:
        raise ValueError("order must be non-negative but got " + repr(n))
    a = _arr(a)
    nd = ndim_of(a)
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = _axis1(axis, nd)
    parts = []
    for val in (prepend, append):
        if val is np._NoValue:
            parts.append(None)
            continue
        v = _arr(val)
        if ndim_of(v) == 0:
            shape = list(shape_of(a))
            shape[axis] = 1
            v = sh.broadcast_to(v, tuple(shape))
        parts.append(v)
    if parts[0] is not None or parts[1] is not None:
        a = sh.concatenate([p for p in (parts[0], a, parts[1]) if p is not None], axis=axis)
    op = ew.not_equal if dtype_of(a) == np.bool_ else ew.subtract
    for _ in range(n):
        m = shape_of(a)[axis]
        a = op(sh.getitem(a, _slice_at(axis, slice(1, None), nd)),
               sh.getitem(a, _slice_at(axis, slice(None, m - 1), nd)))
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    a = sh.ravel(_arr(ary))
    d = diff(a)
    parts = []
    if to_begin is not None:
        parts.append(sh.astype(sh.ravel(_arr(to_begin)), dtype_of(a)))
    parts.append(d)
    if to_end is not None:
        parts.append(sh.astype(sh.ravel(_arr(to_end)), dtype_of(a)))
    return parts[0] if len(parts) == 1 else sh.concatenate(parts)


# --- ptp / average --------------------------------------------------------------------------------
def ptp(a, axis=None, out=None, keepdims=False):
    """max - min along ``axis``; tied extremes share the derivative evenly."""
    _no_out(out, "ptp")
    return ew.subtract(rd.max(a, axis=axis, keepdims=keepdims),
                       rd.min(a, axis=axis, keepdims=keepdims))


def average(a, axis=None, weights=None, returned=False, *, keepdims=np._NoValue):
    """Weighted average (NumPy semantics); differentiable in ``a`` and ``weights``."""
    a = _arr(a)
    nd = ndim_of(a)
    axes = None if axis is None else sh._normalize_axes(axis, nd)
    kd = False if keepdims is np._NoValue else bool(keepdims)
    if weights is None:
        avg = _mean(a, axis=axes, keepdims=kd)
        size = int(np.prod(shape_of(a), dtype=np.int64))
        asize = int(np.prod(shape_of(avg), dtype=np.int64))
        scl = Tensor._wrap(np.asarray(dtype_of(avg).type(size / asize)))
    else:
        w = _arr(weights)
        if tuple(shape_of(a)) != tuple(shape_of(w)):
            if axes is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            if tuple(shape_of(w)) != tuple(shape_of(a)[ax] for ax in axes):
                raise ValueError("Shape of weights must be consistent with shape of a along "
                                 "specified axis.")
            w = sh.transpose(w, tuple(int(i) for i in np.argsort(axes)))
            w = sh.reshape(w, tuple(s if ax in axes else 1 for ax, s in enumerate(shape_of(a))))
        if np.issubdtype(dtype_of(a), np.integer) or dtype_of(a) == np.bool_:
            rdt = np.result_type(dtype_of(a), dtype_of(w), "f8")
        else:
            rdt = np.result_type(dtype_of(a), dtype_of(w))
        scl = rd.sum(w, axis=axes, dtype=rdt, keepdims=kd)
        sv = _concrete_or_none(scl)
        if sv is not None and np.any(sv == 0.0):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        prod = ew.multiply(sh.astype(a, rdt), sh.astype(w, rdt))
        avg = ew.divide(rd.sum(prod, axis=axes, keepdims=kd), scl)
    if returned:
        if tuple(shape_of(scl)) != tuple(shape_of(avg)):
            scl = sh.broadcast_to(scl, tuple(shape_of(avg)))
        return avg, scl
    return avg


# --- NaN-ignoring reductions ----------------------------------------------------------------------
def _inexact(a):
    return np.issubdtype(dtype_of(a), np.inexact)


def _replace_nan(a, value):
    a = _arr(a)
    if not _inexact(a):
        return a, None
    mask = ew.isnan(a)
    return ew.where(mask, value, a), mask


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
           where=np._NoValue):
    a, _ = _replace_nan(a, 0)
    return rd.sum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, initial=initial,
                  where=where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
            where=np._NoValue):
    a, _ = _replace_nan(a, 1)
    return rd.prod(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, initial=initial,
                   where=where)


def nancumsum(a, axis=None, dtype=None, out=None):
    a, _ = _replace_nan(a, 0)
    return cumsum(a, axis=axis, dtype=dtype, out=out)


def nancumprod(a, axis=None, dtype=None, out=None):
    a, _ = _replace_nan(a, 1)
    return cumprod(a, axis=axis, dtype=dtype, out=out)


def _warn_if_empty(cnt, message):
    c = _concrete_or_none(cnt)
    if c is not None and np.any(np.asarray(c) == 0):
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _divide_count(tot, cnt):
    """tot / cnt in tot's dtype, NaN where cnt == 0 (no 0/0 evaluated)."""
    empty = ew.equal(cnt, 0)
    res = ew.where(empty, np.nan, ew.divide(tot, ew.where(empty, 1, cnt)))
    return sh.astype(res, dtype_of(tot))


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=np._NoValue):
    _no_out(out, "nanmean")
    a = _arr(a)
    if not _inexact(a):
        return _mean(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    arr, mask = _replace_nan(a, 0)
    cnt = rd.sum(ew.logical_not(mask), axis=axis, keepdims=keepdims)
    tot = rd.sum(arr, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    _warn_if_empty(cnt, "Mean of empty slice")
    return _divide_count(tot, cnt)


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=np._NoValue,
           mean=np._NoValue, correction=np._NoValue):
    _no_out(out, "nanvar")
    a = _arr(a)
    if correction is not np._NoValue:
        ddof = correction
    if not _inexact(a):
        from ._composite import var
        return var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    arr, mask = _replace_nan(a, 0)
    cnt = rd.sum(ew.logical_not(mask), axis=axis, keepdims=True)
    avg = _divide_count(rd.sum(arr, axis=axis, dtype=dtype, keepdims=True), cnt)
    d = ew.where(mask, 0, ew.subtract(arr, avg))
    sq = real(ew.multiply(d, conj(d))) if np.issubdtype(dtype_of(d), np.complexfloating) \
        else ew.multiply(d, d)
    tot = rd.sum(sq, axis=axis, keepdims=keepdims)
    dof = ew.subtract(rd.sum(ew.logical_not(mask), axis=axis, keepdims=keepdims), ddof)
    bad = ew.less_equal(dof, 0)
    c = _concrete_or_none(bad)
    if c is not None and np.any(c):
        warnings.warn("Degrees of freedom <= 0 for slice.", RuntimeWarning, stacklevel=2)
    res = ew.where(bad, np.nan, ew.divide(tot, ew.where(bad, 1, dof)))
    return sh.astype(res, dtype_of(tot))


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=np._NoValue,
           mean=np._NoValue, correction=np._NoValue):
    """sqrt(nanvar); derivative 0 where the variance is 0 (as ``std``)."""
    v = nanvar(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
               correction=correction)
    zero = ew.equal(v, 0)
    return ew.where(zero, 0.0, ew.sqrt(ew.where(zero, 1.0, v)))


def _nan_extremum(red, fill, a, axis, out, keepdims, initial, where, name):
    _no_out(out, name)
    a = _arr(a)
    if not _inexact(a):
        return red(a, axis=axis, keepdims=keepdims, initial=initial, where=where)
    mask = ew.isnan(a)
    res = red(ew.where(mask, fill, a), axis=axis, keepdims=keepdims, initial=initial,
              where=where)
    all_nan = rd.all(mask, axis=axis, keepdims=keepdims)
    c = _concrete_or_none(all_nan)
    if c is not None and np.any(c):
        warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
    return ew.where(all_nan, np.nan, res)


def nanmax(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=np._NoValue):
    return _nan_extremum(rd.max, -np.inf, a, axis, out, keepdims, initial, where, "nanmax")


def nanmin(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=np._NoValue):
    return _nan_extremum(rd.min, np.inf, a, axis, out, keepdims, initial, where, "nanmin")


def _nan_arg(arg, fill, a, axis, out, keepdims, name):
    _no_out(out, name)
    a = _arr(a)
    if not _inexact(a):
        return arg(a, axis=axis, keepdims=keepdims)
    mask = ew.isnan(a)
    c = _concrete_or_none(rd.all(mask, axis=axis))
    if c is not None and np.any(c):
        raise ValueError("All-NaN slice encountered")
    return arg(ew.where(mask, fill, a), axis=axis, keepdims=keepdims)


def nanargmax(a, axis=None, out=None, *, keepdims=False):
    return _nan_arg(rd.argmax, -np.inf, a, axis, out, keepdims, "nanargmax")


def nanargmin(a, axis=None, out=None, *, keepdims=False):
    return _nan_arg(rd.argmin, np.inf, a, axis, out, keepdims, "nanargmin")


# --- order statistics: median, quantile, percentile ---------------------------------------------
# Sorted values along the last axis, as a constant (their derivative comes from _order_stat).
sort_values_p = Primitive("sort_values", lambda x: np.sort(x, axis=-1), nondiff=True)
sort_values_p.batch = "leading"


def _to_last(a, axis):
    """``a`` with the reduction axes merged into one last axis; also the shape of the result
    with keepdims."""
    a = _arr(a)
    nd = ndim_of(a)
    shape = tuple(shape_of(a))
    if axis is None:
        return sh.reshape(a, (-1,)), (1,) * nd
    axes = sh._normalize_axes(axis, nd)
    rest = tuple(i for i in range(nd) if i not in axes)
    x = sh.transpose(a, rest + tuple(axes))
    n = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    x = sh.reshape(x, tuple(shape[i] for i in rest) + (n,))
    return x, tuple(1 if i in axes else shape[i] for i in range(nd))


def _order_stat(x, s, idx):
    """x's order statistics at ``idx`` along the last axis: the values of the sorted ``s``;
    the derivative of each is the mean of dx over the elements equal to it (ties split
    evenly).  ``idx``: integer indices broadcasting against x's leading axes, last axis K."""
    nd = ndim_of(x)
    if not isinstance(idx, Tensor):
        idx = np.asarray(idx, dtype=np.intp)
    if ndim_of(idx) < nd:
        idx = sh.reshape(idx, (1,) * (nd - ndim_of(idx)) + tuple(shape_of(idx)))
    vals = take_along_axis(s, idx, -1)  # (..., K), constant
    if not _inexact(x):
        return vals
    xs = sh.expand_dims(x, -2)                      # (..., 1, n)
    m = ew.equal(xs, sh.expand_dims(vals, -1))      # (..., K, n)
    cnt = rd.sum(m, axis=-1)
    empty = ew.equal(cnt, 0)
    avg = ew.divide(rd.sum(ew.where(m, xs, 0), axis=-1), ew.where(empty, 1, cnt))
    avg = sh.astype(avg, dtype_of(x))
    const = stop_gradient(avg)
    # the value stays the sorted value exactly; only the derivative of avg is added
    delta = ew.where(ew.isfinite(const), ew.subtract(avg, const), 0)
    return ew.add(vals, delta)


_CONTINUOUS = {  # method: (alpha, beta) of Hyndman & Fan's continuous sample quantiles
    "interpolated_inverted_cdf": (0.0, 1.0), "hazen": (0.5, 0.5), "weibull": (0.0, 0.0),
    "median_unbiased": (1 / 3.0, 1 / 3.0), "normal_unbiased": (3 / 8.0, 3 / 8.0),
}
_METHODS = ("inverted_cdf", "averaged_inverted_cdf", "closest_observation",
            "interpolated_inverted_cdf", "hazen", "weibull", "linear", "median_unbiased",
            "normal_unbiased", "lower", "higher", "midpoint", "nearest")


def _as_int(v):
    return sh.astype(v, np.intp)


def _discrete_boundary(index, cond):
    prev = ew.floor(index)
    gamma = ew.subtract(index, prev)
    res = _as_int(ew.where(cond(gamma, index), prev, ew.add(prev, 1)))
    return ew.where(ew.less(res, 0), 0, res)


def _nm1(n):
    """n - 1, a Python int when n is one (a weak scalar, as in NumPy's index arithmetic)."""
    return n - 1 if isinstance(n, int) else ew.subtract(n, 1)


def _quantile_plan(n, q, method):
    """NumPy's quantile indexing, written with wengert ops (so a per-slice count ``n`` and a
    differentiable ``q`` work): ``(prev, next, gamma)``, or ``(idx, None, None)`` for the
    methods that pick one order statistic."""
    if method == "inverted_cdf":
        return _discrete_boundary(ew.subtract(ew.multiply(n, q), 1),
                                  lambda g, i: ew.equal(g, 0)), None, None
    if method == "closest_observation":
        return _discrete_boundary(
            ew.subtract(ew.subtract(ew.multiply(n, q), 1), 0.5),
            lambda g, i: ew.logical_and(ew.equal(g, 0),
                                        ew.equal(_remainder(ew.floor(i), 2), 1))), None, None
    if method == "lower":
        return _as_int(ew.floor(ew.multiply(_nm1(n), q))), None, None
    if method == "higher":
        return _as_int(ew.ceil(ew.multiply(_nm1(n), q))), None, None
    if method == "nearest":
        return _as_int(ew.round(ew.multiply(_nm1(n), q))), None, None
    if method == "linear":
        vi = ew.multiply(_nm1(n), q)
    elif method == "averaged_inverted_cdf":
        vi = ew.subtract(ew.multiply(n, q), 1)
    elif method == "midpoint":
        v = ew.multiply(_nm1(n), q)
        vi = ew.multiply(ew.add(ew.floor(v), ew.ceil(v)), 0.5)
    else:
        alpha, beta = _CONTINUOUS[method]
        vi = ew.subtract(ew.add(ew.multiply(n, q), ew.add(alpha, ew.multiply(
            q, 1 - alpha - beta))), 1)
    prev = ew.floor(vi)
    top = ew.logical_or(ew.greater_equal(vi, _nm1(n)), ew.isnan(vi))
    bottom = ew.less(vi, 0)
    last = _nm1(n)
    p_idx = ew.where(top, last, ew.where(bottom, 0, prev))
    n_idx = ew.where(top, last, ew.where(bottom, 0, ew.add(prev, 1)))
    # beyond either end both indices name the same element, so gamma is irrelevant to the
    # value (NumPy's gamma there is vi + 1 or vi); 0 keeps the derivative a clean 1
    gamma = ew.where(ew.logical_or(top, bottom), 0, ew.subtract(vi, prev))
    if method == "averaged_inverted_cdf":
        gamma = ew.where(ew.equal(gamma, 0), 0.5, 1.0)
    elif method == "midpoint":
        gamma = ew.where(ew.equal(_remainder(vi, 1), 0), 0.0, 0.5)
    return _as_int(p_idx), _as_int(n_idx), gamma


def _lerp(a, b, g):
    """NumPy's _lerp: a + (b - a) g, computed from b where g >= 0.5 (monotone, exact ends)."""
    d = ew.subtract(b, a)
    one_minus = 1.0 - g if isinstance(g, float) else ew.subtract(1, g)  # g float stays weak
    return ew.where(ew.greater_equal(g, 0.5), ew.subtract(b, ew.multiply(d, one_minus)),
                    ew.add(a, ew.multiply(d, g)))


def _check_q(q):
    qv = _concrete_or_none(q)
    if qv is not None:
        qv = np.asarray(qv)
        if qv.size and not (np.all(qv >= 0) and np.all(qv <= 1)):
            raise ValueError("Quantiles must be in the range [0, 1]")


def _quantile(a, q, axis, method, keepdims, nan_policy, name):
    if method not in _METHODS:
        raise ValueError(f"{method!r} is not a valid method. Use one of: {_METHODS}")
    a = _arr(a)
    if "median" not in name and np.issubdtype(dtype_of(a), np.complexfloating):
        raise TypeError(f"{name}: a must be an array of real numbers")  # as NumPy
    weak = isinstance(q, (int, float)) and not isinstance(q, bool)
    qt = t(q)
    if not weak:
        qt = qt if isinstance(qt, Tensor) else Tensor._wrap(np.asarray(qt))
        if not np.issubdtype(dtype_of(qt), np.inexact):
            qt = sh.astype(qt, np.float64)
    _check_q(qt)
    q_shape = () if weak else tuple(shape_of(qt))
    x, kshape = _to_last(a, axis)
    lead = tuple(shape_of(x))[:-1]
    n = shape_of(x)[-1]
    qk = qt if weak else sh.reshape(qt, (-1,))     # (K,)
    s = bind(sort_values_p, x)
    if nan_policy == "omit" and _inexact(x):
        nn = sh.expand_dims(rd.sum(ew.logical_not(ew.isnan(x)), axis=-1), -1)  # (..., 1)
        cnt_c = _concrete_or_none(nn)
        if cnt_c is not None and np.any(cnt_c == 0):
            warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
    else:
        nn = n
    first, second, gamma = _quantile_plan(nn, qk, method)
    if nan_policy == "omit":
        # an all-NaN slice: NumPy gives NaN (the indices then point at a NaN)
        first = ew.where(ew.less(first, 0), 0, first)
    if isinstance(nn, int) and weak:
        first = sh.reshape(first, (1,))
        second = None if second is None else sh.reshape(second, (1,))
    lo = _order_stat(x, s, first)
    if second is None:
        res = lo
    else:
        hi = _order_stat(x, s, second)
        if weak:  # a Python-float q keeps float32 data float32, as NumPy's weak q does
            if int(np.prod(shape_of(gamma), dtype=np.int64)) == 1 and not isinstance(nn, Tensor):
                gamma = float(concrete_value(gamma).reshape(()))
            elif _inexact(x):
                gamma = sh.astype(gamma, dtype_of(x))
        res = _lerp(lo, hi, gamma)
    if nan_policy == "propagate" and _inexact(x):
        has_nan = sh.expand_dims(rd.any(ew.isnan(x), axis=-1), -1)
        res = ew.where(has_nan, np.nan, res)
    # (lead..., K) -> q_shape + (keepdims or lead shape)
    out_tail = kshape if keepdims else lead
    res = sh.reshape(res, lead + q_shape)
    k = len(q_shape)
    res = sh.transpose(res, tuple(range(len(lead), len(lead) + k)) + tuple(range(len(lead))))
    return sh.reshape(res, q_shape + tuple(out_tail))


def _quantile_args(out, overwrite_input, weights, interpolation, method, name):
    _no_out(out, name)
    if weights is not None:
        raise UnsupportedError(f"{name}(..., weights=...) is not implemented in wengert yet; "
                               "sort with wnp.argsort and accumulate the weights with "
                               "wnp.cumsum instead.")
    if interpolation is not None:
        raise TypeError(f"{name}: the 'interpolation' keyword was removed in NumPy 2.4; use "
                        "'method'")
    return method


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None, interpolation=None):
    """The q-th quantile(s) along ``axis``, NumPy's ``method``s; differentiable in ``a``
    (ties split evenly) and in a Tensor ``q``."""
    method = _quantile_args(out, overwrite_input, weights, interpolation, method, "quantile")
    return _quantile(a, q, axis, method, keepdims, "propagate", "quantile")


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None, interpolation=None):
    method = _quantile_args(out, overwrite_input, weights, interpolation, method, "percentile")
    q = ew.divide(q, 100) if not isinstance(q, (int, float)) else q / 100
    return _quantile(a, q, axis, method, keepdims, "propagate", "percentile")


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None, interpolation=None):
    method = _quantile_args(out, overwrite_input, weights, interpolation, method, "nanquantile")
    return _quantile(a, q, axis, method, keepdims, "omit", "nanquantile")


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, weights=None, interpolation=None):
    method = _quantile_args(out, overwrite_input, weights, interpolation, method,
                            "nanpercentile")
    q = ew.divide(q, 100) if not isinstance(q, (int, float)) else q / 100
    return _quantile(a, q, axis, method, keepdims, "omit", "nanpercentile")


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Median along ``axis`` (mean of the two middle values for an even count); tied middle
    values share the derivative evenly; NaN in a slice gives NaN."""
    _no_out(out, "median")
    a = _arr(a)
    x, kshape = _to_last(a, axis)
    lead = tuple(shape_of(x))[:-1]
    n = shape_of(x)[-1]
    dt = _float_dtype(x, None)
    if n == 0:
        warnings.warn("Mean of empty slice.", RuntimeWarning, stacklevel=2)
        return Tensor._wrap(np.full(kshape if keepdims else lead, np.nan, dtype=dt))
    s = bind(sort_values_p, x)
    if n % 2:
        res = sh.astype(_order_stat(x, s, [(n - 1) // 2]), dt)
    else:
        two = sh.astype(_order_stat(x, s, [n // 2 - 1, n // 2]), dt)
        res = _mean(two, axis=-1, keepdims=True)
    if _inexact(x):
        res = ew.where(sh.expand_dims(rd.any(ew.isnan(x), axis=-1), -1), np.nan, res)
    return sh.reshape(res, kshape if keepdims else lead)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Median ignoring NaN: the 0.5-quantile of the non-NaN elements (NumPy's value)."""
    _no_out(out, "nanmedian")
    a = _arr(a)
    if not _inexact(a):
        return median(a, axis=axis, keepdims=keepdims)
    return _quantile(a, 0.5, axis, "linear", keepdims, "omit", "nanmedian")


# --- integration, covariance, convolution, interpolation, polynomials -----------------------------
def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = _arr(y)
    nd = ndim_of(y)
    axis = _axis1(axis, nd)
    n = shape_of(y)[axis]
    up = sh.getitem(y, _slice_at(axis, slice(1, None), nd))
    lo = sh.getitem(y, _slice_at(axis, slice(None, n - 1), nd))
    if x is None:
        d = dx
    else:
        x = _arr(x)
        if ndim_of(x) == 1:
            d = diff(x)
            shape = [1] * nd
            shape[axis] = shape_of(d)[0]
            d = sh.reshape(d, tuple(shape))
        else:
            d = diff(x, axis=axis)
    return rd.sum(ew.divide(ew.multiply(d, ew.add(up, lo)), 2.0), axis=axis)


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """NumPy's ``cov``; differentiable in ``m``, ``y`` and ``aweights``."""
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    m = _arr(m)
    if ndim_of(m) > 2:
        raise ValueError("m has more than 2 dimensions")
    if dtype is None:
        dtype = np.result_type(dtype_of(m), np.float64) if y is None else np.result_type(
            dtype_of(m), dtype_of(_arr(y)), np.float64)
    X = sh.astype(m, dtype)
    if ndim_of(X) < 2:
        X = sh.reshape(X, (1, -1))
    if not rowvar and shape_of(X)[0] != 1:
        X = sh.transpose(X)
    if shape_of(X)[0] == 0:
        return Tensor._wrap(np.array([]).reshape(0, 0))
    if y is not None:
        Y = sh.astype(_arr(y), dtype)
        if ndim_of(Y) > 2:
            raise ValueError("y has more than 2 dimensions")
        if ndim_of(Y) < 2:
            Y = sh.reshape(Y, (1, -1))
        if not rowvar and shape_of(Y)[0] != 1:
            Y = sh.transpose(Y)
        X = sh.concatenate([X, Y], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    n_obs = shape_of(X)[1]
    w = None
    if fweights is not None:
        fw = np.asarray(concrete_value(fweights) if isinstance(fweights, Tensor) else fweights,
                        dtype=float)
        if not np.all(fw == np.around(fw)):
            raise TypeError("fweights must be integer")
        if fw.ndim > 1:
            raise RuntimeError("cannot handle multidimensional fweights")
        if fw.shape[0] != n_obs:
            raise RuntimeError("incompatible numbers of samples and fweights")
        if np.any(fw < 0):
            raise ValueError("fweights cannot be negative")
        w = Tensor._wrap(fw)
    if aweights is not None:
        aw = sh.astype(_arr(aweights), np.float64)
        if ndim_of(aw) > 1:
            raise RuntimeError("cannot handle multidimensional aweights")
        if shape_of(aw)[0] != n_obs:
            raise RuntimeError("incompatible numbers of samples and aweights")
        w = aw if w is None else ew.multiply(w, aw)
    if w is None:
        avg = _mean(X, axis=1)
        w_sum = float(n_obs)
        fact = float(n_obs - ddof)
    else:
        avg, w_sum = average(X, axis=1, weights=w, returned=True)
        w_sum = w_sum[0]
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = ew.subtract(w_sum, ddof)
        else:
            fact = ew.subtract(w_sum, ew.divide(ew.multiply(
                ddof, rd.sum(ew.multiply(w, aw))), w_sum))
    fv = _concrete_or_none(fact) if isinstance(fact, Tensor) else fact
    if fv is not None and np.any(np.asarray(fv) <= 0):
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
        fact = ew.maximum(fact, 0.0)
    X = ew.subtract(X, sh.expand_dims(avg, 1))
    X_T = sh.transpose(X) if w is None else sh.transpose(ew.multiply(X, w))
    from ._linalg_core import dot
    c = dot(X, conj(X_T))
    c = ew.divide(c, fact)
    return sh.squeeze(c)


def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    c = cov(x, y, rowvar, dtype=dtype)
    if ndim_of(c) == 0:
        return ew.divide(c, c)
    from ._manip import diag
    d = diag(c)
    stddev = ew.sqrt(real(d))
    c = ew.divide(c, sh.expand_dims(stddev, 1))
    c = ew.divide(c, sh.expand_dims(stddev, 0))
    if np.issubdtype(dtype_of(c), np.complexfloating):
        from ._complex import imag
        return ew.add(ew.clip(real(c), -1, 1), ew.multiply(ew.clip(imag(c), -1, 1), 1j))
    return ew.clip(c, -1, 1)


def _correlate_full(a, v):
    """c_k = sum_n a_{n+k-(m-1)} v_n for k = 0..na+m-2 (NumPy's 'full' correlation, without
    conjugation): one shifted multiply-add per element of the shorter operand."""
    na, nv = shape_of(a)[0], shape_of(v)[0]
    total = na + nv - 1
    acc = None
    if nv <= na:
        for j in range(nv):
            # term a_i v_j lands at k = i - j + nv - 1
            term = ew.multiply(a, sh.getitem(v, j))
            start = nv - 1 - j
            term = _place(term, start, total)
            acc = term if acc is None else ew.add(acc, term)
    else:
        for i in range(na):
            term = ew.multiply(sh.getitem(a, i), _flip1(v))
            # a_i v_j at k = i - j + nv - 1; reversed v puts j = nv-1-r at k = i + r
            term = _place(term, i, total)
            acc = term if acc is None else ew.add(acc, term)
    return acc


def _flip1(v):
    return sh.getitem(v, slice(None, None, -1))


def _place(x, start, total):
    n = shape_of(x)[0]
    from ._manip import _pad_constant
    return _pad_constant(x, [(start, total - start - n)], 0)


def _mode_slice(full, na, nv, mode):
    n1, n2 = builtins.max(na, nv), builtins.min(na, nv)
    if mode == "full":
        return full
    if mode == "same":
        start = (n2 - 1) // 2
        return sh.getitem(full, slice(start, start + n1))
    if mode == "valid":
        return sh.getitem(full, slice(n2 - 1, n1))
    raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")


def correlate(a, v, mode="valid"):
    """NumPy's ``correlate`` (conjugating ``v``), differentiable in both operands."""
    a, v = _arr(a), _arr(v)
    if ndim_of(a) != 1 or ndim_of(v) != 1:
        raise ValueError("object too deep for desired array")
    na, nv = shape_of(a)[0], shape_of(v)[0]
    if na == 0:
        raise ValueError("a cannot be empty")
    if nv == 0:
        raise ValueError("v cannot be empty")
    full = _correlate_full(a, conj(v))
    if nv > na and mode != "full":
        # NumPy swaps the operands (and reverses the result) when v is longer
        n1, n2 = nv, na
        start = (n2 - 1) // 2 if mode == "same" else n2 - 1
        if mode not in ("same", "valid"):
            raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")
        length = n1 if mode == "same" else n1 - n2 + 1
        # positions in the full result, counted from the end for the swapped operands
        total = na + nv - 1
        stop = total - start
        return sh.getitem(full, slice(stop - length, stop))
    return _mode_slice(full, na, nv, mode)


def convolve(a, v, mode="full"):
    """NumPy's ``convolve``: ``correlate(a, v[::-1])`` without conjugation."""
    a, v = _arr(a), _arr(v)
    if ndim_of(a) == 0:
        a = sh.reshape(a, (1,))
    if ndim_of(v) == 0:
        v = sh.reshape(v, (1,))
    if shape_of(v)[0] > shape_of(a)[0]:
        a, v = v, a
    if shape_of(a)[0] == 0:
        raise ValueError("a cannot be empty")
    if shape_of(v)[0] == 0:
        raise ValueError("v cannot be empty")
    full = _correlate_full(a, _flip1(v))
    return _mode_slice(full, shape_of(a)[0], shape_of(v)[0], mode)


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation (NumPy's values); differentiable in ``x``, ``xp`` and
    ``fp`` (the slope of the segment ``x`` falls in; at a breakpoint, the right segment's)."""
    x, xp, fp = _arr(x), _arr(xp), _arr(fp)
    if ndim_of(xp) != 1 or ndim_of(fp) != 1:
        raise ValueError("Data points must be 1-D sequences")
    if shape_of(xp)[0] != shape_of(fp)[0]:
        raise ValueError("fp and xp are not of the same length")
    if shape_of(xp)[0] == 0:
        raise ValueError("array of sample points is empty")
    complex_fp = np.issubdtype(dtype_of(fp), np.complexfloating)
    dt = np.complex128 if complex_fp else np.float64
    fp = sh.astype(fp, dt)
    x = sh.astype(x, np.float64)
    xp = sh.astype(xp, np.float64)
    if period is not None:
        if period == 0:
            raise ValueError("period must be a non-zero value")
        period = abs(period)
        left = right = None
        x = _remainder(x, period)
        xp = _remainder(xp, period)
        order = np.argsort(concrete_value(xp))
        xp = sh.getitem(xp, order)
        fp = sh.getitem(fp, order)
        xp = sh.concatenate([ew.subtract(xp[-1:], period), xp, ew.add(xp[0:1], period)])
        fp = sh.concatenate([fp[-1:], fp, fp[0:1]])
    n = shape_of(xp)[0]
    xv, xpv = concrete_value(x), concrete_value(xp)
    j = np.searchsorted(xpv, xv, side="right") - 1        # xp[j] <= x < xp[j+1]
    j = np.clip(j, 0, builtins.max(n - 2, 0))
    if n == 1:
        res = sh.broadcast_to(fp[0], tuple(shape_of(x)))
    else:
        x0, x1 = sh.getitem(xp, j), sh.getitem(xp, j + 1)
        f0, f1 = sh.getitem(fp, j), sh.getitem(fp, j + 1)
        slope = ew.divide(ew.subtract(f1, f0), ew.subtract(x1, x0))
        res = ew.add(ew.multiply(slope, ew.subtract(x, x0)), f0)
        # exactly at the last sample point NumPy returns fp[-1]
        res = ew.where(ew.equal(x, xp[n - 1]), fp[n - 1], res)
    lo = fp[0] if left is None else left
    hi = fp[n - 1] if right is None else right
    res = ew.where(ew.less(x, xp[0]), lo, res)
    res = ew.where(ew.greater(x, xp[n - 1]), hi, res)
    return sh.astype(res, dt)


def polyval(p, x):
    """Horner's scheme, as NumPy; differentiable in the coefficients and in ``x``."""
    p = _arr(p)
    x = _arr(x)
    y = sh.zeros_like_tensor(x)
    for i in range(shape_of(p)[0]):
        y = ew.add(ew.multiply(y, x), p[i])
    return y



# --- gradient and unwrap --------------------------------------------------------------------------
def _seg(f, axis, start, stop, nd):
    return sh.getitem(f, _slice_at(axis, slice(start, stop), nd))


def gradient(f, *varargs, axis=None, edge_order=1):
    """NumPy's ``gradient`` (second-order central differences inside, first- or second-order
    one-sided at the edges; uniform or coordinate spacing); differentiable in ``f`` and in
    Tensor spacings/coordinates."""
    f = _arr(f)
    nd = ndim_of(f)
    axes = tuple(range(nd)) if axis is None else sh._normalize_axes(axis, nd)
    n_ax = len(axes)
    if len(varargs) == 0:
        dx = [1.0] * n_ax
    elif len(varargs) == 1 and np.ndim(concrete_value(varargs[0]) if isinstance(
            varargs[0], Tensor) else varargs[0]) == 0:
        dx = list(varargs) * n_ax
    elif len(varargs) == n_ax:
        dx = list(varargs)
    else:
        raise TypeError("invalid number of arguments")
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    if not np.issubdtype(dtype_of(f), np.inexact):
        f = sh.astype(f, np.float64)
    out = []
    for ax, d in zip(axes, dx):
        n = shape_of(f)[ax]
        if n < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, at "
                             "least (edge_order + 1) elements are required.")
        uniform = np.ndim(concrete_value(d) if isinstance(d, Tensor) else d) == 0
        shp = [1] * nd
        shp[ax] = -1
        if not uniform:
            x = _arr(d)
            if ndim_of(x) != 1 or shape_of(x)[0] != n:
                raise ValueError("when 1d, distances must match the length of the "
                                 "corresponding dimension")
            h = diff(x)
            if n > 2:
                h1, h2 = sh.reshape(h[:-1], shp), sh.reshape(h[1:], shp)
        # interior: (f[2:] - f[:-2]) / 2h, or the non-uniform 3-point formula
        if n > 2:
            fm, f0, fp = _seg(f, ax, None, -2, nd), _seg(f, ax, 1, -1, nd), _seg(f, ax, 2, None,
                                                                                 nd)
            if uniform:
                inner = ew.divide(ew.subtract(fp, fm), ew.multiply(d, 2.0))
            else:
                a = ew.divide(ew.negative(h2), ew.multiply(h1, ew.add(h1, h2)))
                b = ew.divide(ew.subtract(h2, h1), ew.multiply(h1, h2))
                c = ew.divide(h1, ew.multiply(h2, ew.add(h1, h2)))
                inner = ew.add(ew.add(ew.multiply(a, fm), ew.multiply(b, f0)), ew.multiply(c, fp))
        else:
            inner = None
        if edge_order == 1:
            hl = d if uniform else sh.reshape(h[0:1], shp)
            hr = d if uniform else sh.reshape(h[-1:], shp)
            first = ew.divide(ew.subtract(_seg(f, ax, 1, 2, nd), _seg(f, ax, 0, 1, nd)), hl)
            last = ew.divide(ew.subtract(_seg(f, ax, n - 1, n, nd), _seg(f, ax, n - 2, n - 1, nd)),
                             hr)
        else:
            f0_, f1_, f2_ = (_seg(f, ax, 0, 1, nd), _seg(f, ax, 1, 2, nd), _seg(f, ax, 2, 3, nd))
            g0_, g1_, g2_ = (_seg(f, ax, n - 1, n, nd), _seg(f, ax, n - 2, n - 1, nd),
                             _seg(f, ax, n - 3, n - 2, nd))
            if uniform:
                first = ew.divide(ew.add(ew.add(ew.multiply(f0_, -1.5), ew.multiply(f1_, 2.0)),
                                         ew.multiply(f2_, -0.5)), d)
                last = ew.divide(ew.add(ew.add(ew.multiply(g2_, 0.5), ew.multiply(g1_, -2.0)),
                                        ew.multiply(g0_, 1.5)), d)
            else:
                d1, d2 = sh.reshape(h[0:1], shp), sh.reshape(h[1:2], shp)
                a = ew.negative(ew.divide(ew.add(ew.multiply(d1, 2.0), d2),
                                          ew.multiply(d1, ew.add(d1, d2))))
                b = ew.divide(ew.add(d1, d2), ew.multiply(d1, d2))
                c = ew.negative(ew.divide(d1, ew.multiply(d2, ew.add(d1, d2))))
                first = ew.add(ew.add(ew.multiply(a, f0_), ew.multiply(b, f1_)),
                               ew.multiply(c, f2_))
                d1, d2 = sh.reshape(h[-2:-1], shp), sh.reshape(h[-1:], shp)
                a = ew.divide(d2, ew.multiply(d1, ew.add(d1, d2)))
                b = ew.negative(ew.divide(ew.add(d2, d1), ew.multiply(d1, d2)))
                c = ew.divide(ew.add(ew.multiply(d2, 2.0), d1), ew.multiply(d2, ew.add(d1, d2)))
                last = ew.add(ew.add(ew.multiply(a, g2_), ew.multiply(b, g1_)),
                              ew.multiply(c, g0_))
        parts = [first] + ([inner] if inner is not None else []) + [last]
        res = sh.concatenate([sh.astype(p, dtype_of(f)) for p in parts], axis=ax)
        out.append(res)
    return out[0] if n_ax == 1 else tuple(out)


def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """NumPy's ``unwrap``: the added multiples of ``period`` are piecewise constant, so the
    derivative is that of ``p``."""
    p = _arr(p)
    nd = ndim_of(p)
    axis = _axis1(axis, nd)
    dd = diff(p, axis=axis)
    if discont is None:
        discont = period / 2
    integer = np.issubdtype(dtype_of(dd), np.integer)
    if integer:
        interval_high, rem = builtins.divmod(period, 2)
        boundary_ambiguous = rem == 0
    else:
        interval_high = period / 2
        boundary_ambiguous = True
    interval_low = -interval_high
    ddmod = ew.add(_remainder(ew.subtract(dd, interval_low), period), interval_low)
    if boundary_ambiguous:
        ddmod = ew.where(ew.logical_and(ew.equal(ddmod, interval_low), ew.greater(dd, 0)),
                         interval_high, ddmod)
    ph_correct = ew.subtract(ddmod, dd)
    ph_correct = ew.where(ew.less(ew.absolute(dd), discont), 0, ph_correct)
    # the correction is piecewise constant in p: no derivative flows through it
    ph_correct = stop_gradient(ph_correct)
    head = _seg(p, axis, 0, 1, nd)
    rest = ew.add(_seg(p, axis, 1, None, nd), cumsum(ph_correct, axis=axis))
    return sh.concatenate([head, sh.astype(rest, dtype_of(head)) if not integer else rest],
                          axis=axis)


# --- polynomials (coefficient arrays, highest power first) ----------------------------------------
def _poly1d(p):
    return sh.atleast_1d(_arr(p))


def _align(a1, a2):
    n1, n2 = shape_of(a1)[0], shape_of(a2)[0]
    from ._manip import _pad_constant
    if n1 < n2:
        a1 = _pad_constant(a1, [(n2 - n1, 0)], 0)
    elif n2 < n1:
        a2 = _pad_constant(a2, [(n1 - n2, 0)], 0)
    return a1, a2


def polyadd(a1, a2):
    a1, a2 = _align(_poly1d(a1), _poly1d(a2))
    return ew.add(a1, a2)


def polysub(a1, a2):
    a1, a2 = _align(_poly1d(a1), _poly1d(a2))
    return ew.subtract(a1, a2)


def polymul(a1, a2):
    return convolve(_poly1d(a1), _poly1d(a2))


def polyder(p, m=1):
    m = int(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = _arr(p)
    n = shape_of(p)[0] - 1
    if m == 0:
        return p
    y = ew.multiply(sh.getitem(p, slice(0, n)), np.arange(n, 0, -1))
    return polyder(y, m - 1)


def polyint(p, m=1, k=None):
    m = int(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    p = _arr(p)
    if m == 0:
        return p
    if k is None:
        k = np.zeros(m, float)
    k = sh.atleast_1d(_arr(k))
    if shape_of(k)[0] == 1 and m > 1:
        k = sh.broadcast_to(k, (m,))
    if shape_of(k)[0] < m:
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    y = sh.concatenate([ew.divide(p, np.arange(shape_of(p)[0], 0, -1)),
                        sh.astype(k[0:1], np.result_type(dtype_of(p), dtype_of(k), float))])
    return polyint(y, m - 1, k=k[1:])


def vander(x, N=None, increasing=False):
    """Vandermonde matrix, powers by repeated multiplication (as NumPy)."""
    x = _arr(x)
    if ndim_of(x) != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    n = shape_of(x)[0]
    N = n if N is None else int(N)
    dt = np.promote_types(dtype_of(x), int)
    x = sh.astype(x, dt)
    if N == 0:
        return Tensor._wrap(np.empty((n, 0), dtype=dt))
    ones = Tensor._wrap(np.ones((n, 1), dtype=dt))
    if N == 1:
        v = ones
    else:
        cols = sh.broadcast_to(sh.reshape(x, (n, 1)), (n, N - 1))
        v = sh.concatenate([ones, cumprod(cols, axis=1)], axis=1)
    return v if increasing else sh.getitem(v, (slice(None), slice(None, None, -1)))


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial fit (NumPy's scaling of the Vandermonde columns); the
    coefficients are differentiable in ``x``, ``y`` and ``w``.  ``full``/``cov`` are not
    supported."""
    if full or cov:
        raise UnsupportedError("polyfit(full=True / cov=True) is not implemented in wengert "
                               "yet; compute residuals or covariance from the coefficients")
    from .linalg import lstsq
    order = int(deg) + 1
    x = sh.astype(_arr(x), np.result_type(dtype_of(_arr(x)), float))
    y = _arr(y)
    if int(deg) < 0:
        raise ValueError("expected deg >= 0")
    if ndim_of(x) != 1:
        raise TypeError("expected 1D vector for x")
    if shape_of(x)[0] == 0:
        raise TypeError("expected non-empty vector for x")
    if ndim_of(y) < 1 or ndim_of(y) > 2:
        raise TypeError("expected 1D or 2D array for y")
    if shape_of(x)[0] != shape_of(y)[0]:
        raise TypeError("expected x and y to have same length")
    if rcond is None:
        rcond = shape_of(x)[0] * np.finfo(dtype_of(x)).eps
    lhs = vander(x, order)
    rhs = y
    if w is not None:
        w = _arr(w)
        lhs = ew.multiply(lhs, sh.reshape(w, (-1, 1)))
        rhs = ew.multiply(rhs, w if ndim_of(rhs) == 1 else sh.reshape(w, (-1, 1)))
    scale = ew.sqrt(rd.sum(ew.multiply(lhs, lhs), axis=0))
    lhs = ew.divide(lhs, scale)
    c = lstsq(lhs, rhs, rcond)[0]
    return ew.divide(c, scale if ndim_of(c) == 1 else sh.reshape(scale, (-1, 1)))


def roots(p):
    """Roots of a polynomial: eigenvalues of its companion matrix (as NumPy), so
    differentiable through ``linalg.eigvals``."""
    from .linalg import eigvals
    p = sh.atleast_1d(_arr(p))
    if ndim_of(p) != 1:
        raise ValueError("Input must be a rank-1 array.")
    nz = np.nonzero(concrete_value(p))[0]
    if len(nz) == 0:
        return Tensor._wrap(np.array([]))
    trailing = shape_of(p)[0] - nz[-1] - 1
    p = sh.getitem(p, slice(int(nz[0]), int(nz[-1]) + 1))
    n = shape_of(p)[0]
    if not np.issubdtype(dtype_of(p), np.inexact):
        p = sh.astype(p, float)
    if n > 1:
        from ._manip import diag
        A = diag(Tensor._wrap(np.ones(n - 2, dtype=dtype_of(p))), -1)
        row = ew.divide(ew.negative(sh.getitem(p, slice(1, None))), p[0])
        A = sh.index_update(A, 0, row)
        r = eigvals(A)
    else:
        r = Tensor._wrap(np.array([], dtype=dtype_of(p)))
    if trailing:
        r = sh.concatenate([r, Tensor._wrap(np.zeros(trailing, dtype=dtype_of(r)))])
    return r


def poly(seq_of_zeros):
    """Coefficients of the monic polynomial with the given roots (or of a square matrix's
    characteristic polynomial)."""
    z = _arr(seq_of_zeros)
    s = tuple(shape_of(z))
    if len(s) == 2 and s[0] == s[1] and s[0] != 0:
        from .linalg import eigvals
        z = eigvals(z)
    elif len(s) == 1:
        pass
    elif len(s) == 0:
        z = sh.reshape(z, (1,))
    else:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    n = shape_of(z)[0]
    dt = dtype_of(z)  # NumPy keeps the roots' dtype (float32 stays float32)
    a = Tensor._wrap(np.ones(1, dtype=dt))
    for k in range(n):
        a = convolve(a, sh.concatenate([Tensor._wrap(np.ones(1, dtype=dt)),
                                        sh.astype(ew.negative(z[k:k + 1]), dt)]))
    if np.issubdtype(dtype_of(a), np.complexfloating):
        zv = np.asarray(concrete_value(z), complex)
        if np.all(np.sort(zv) == np.sort(zv.conjugate())):
            a = real(a)
    return a


def polydiv(u, v):
    """Quotient and remainder of polynomial division (NumPy's algorithm)."""
    u = sh.atleast_1d(_arr(u))
    v = sh.atleast_1d(_arr(v))
    dt = np.result_type(dtype_of(u), dtype_of(v), 0.0)  # NumPy adds 0.0 to both
    u, v = sh.astype(u, dt), sh.astype(v, dt)
    m, n = shape_of(u)[0] - 1, shape_of(v)[0] - 1
    scale = ew.divide(1.0, v[0])
    q = Tensor._wrap(np.zeros(builtins.max(m - n + 1, 1), dt))
    r = u
    for k in range(m - n + 1):
        d = ew.multiply(scale, r[k])
        q = sh.index_update(q, k, d)
        r = sh.index_update(r, slice(k, k + n + 1), ew.subtract(r[k:k + n + 1],
                                                                 ew.multiply(d, v)))
    rv = concrete_value(r)
    start = 0
    while np.allclose(rv[start], 0, rtol=1e-14) and rv.shape[-1] - start > 1:
        start += 1
    return q, sh.getitem(r, slice(start, None))


# --- creation from differentiable endpoints -------------------------------------------------------
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """NumPy's ``geomspace`` (its algorithm: rotate ``start`` to the positive reals, logspace,
    exact endpoints, rotate back); Tensor endpoints are differentiable, complex ones too."""
    if not isinstance(start, Tensor) and not isinstance(stop, Tensor):
        return Tensor._wrap(np.geomspace(start, stop, num, endpoint, dtype, axis))
    from ._creation import linspace
    from ._ufuncs import log10 as _log10
    start, stop = _arr(start), _arr(stop)
    sv, tv = _concrete_or_none(start), _concrete_or_none(stop)
    if (sv is not None and np.any(sv == 0)) or (tv is not None and np.any(tv == 0)):
        raise ValueError("Geometric sequence cannot include zero")
    dt = np.result_type(dtype_of(start), dtype_of(stop), float(num),
                        np.zeros((), dtype).dtype)
    dtype = dt if dtype is None else np.dtype(dtype)
    start, stop = sh.astype(start, dt), sh.astype(stop, dt)
    out_sign = ew.sign(start)
    start = ew.divide(start, out_sign)
    stop = ew.divide(stop, out_sign)
    res = sh.astype(ew.power(10.0, linspace(_log10(start), _log10(stop), num,
                                            endpoint=endpoint)), dt)
    if num > 0:
        res = sh.index_update(res, 0, start)
        if num > 1 and endpoint:
            res = sh.index_update(res, int(num) - 1, stop)
    res = ew.multiply(res, out_sign)
    if axis != 0:
        res = sh.moveaxis(res, 0, axis)
    return sh.astype(res, dtype)


def i0(x):
    """The modified Bessel function I0 (NumPy's ``i0``), derivative I1; needs SciPy."""
    from ..scipy import special
    return special.i0(x)
