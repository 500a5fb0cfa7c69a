"""Reductions with their own rules: sum (linear), max/min (ties split evenly), prod (exact
with zeros, through a differentiable scan for the product of the other elements)."""
from __future__ import annotations

import math

import numpy as np

from .._core import graph as _graph
from .._core import primitive as _prim
from .._core.primitive import Primitive, bind
from .._core.state import state as _state
from .._core.tensor import Tensor
from .._errors import UnsupportedError
from . import _elementwise as ew
from . import _shape as sh
from ._family import _scale, dtype_of, ndim_of, shape_of, t


def _keep(g, x_shape, axis, keepdims):
    """Re-insert reduced axes (as size 1) into a reduction's cotangent/output."""
    if keepdims or axis is None and ndim_of(g) == len(x_shape):
        return g
    if axis is None:
        return sh.reshape(g, (1,) * len(x_shape))
    shape = list(shape_of(g))
    for ax in sorted(axis):
        shape.insert(ax, 1)
    return sh.reshape(g, tuple(shape))


# --- sum -----------------------------------------------------------------------------------------
def _sum_vjp(needs, g, out, x, axis, keepdims):
    return (sh.broadcast_to(_keep(g, x.shape, axis, keepdims), x.shape),)


def _sum_jvp(tangents, out, x, axis, keepdims):
    return bind(sum_p, tangents[0], axis=axis, keepdims=keepdims)


def _sum_vjp_raw(needs, g, out, x, axis, keepdims):
    """``_sum_vjp`` on bare ndarrays (the engine's unrecorded backward pass).  A small result
    is filled in directly: ``np.broadcast_to`` costs more than writing a few thousand
    elements, and a large one stays a read-only broadcast view (no copy)."""
    shape = x.shape
    if not keepdims and g.ndim != len(shape):
        if axis is None:
            g = g.reshape((1,) * len(shape))
        else:
            g = g.reshape(tuple(1 if i in axis else n for i, n in enumerate(shape)))
    if len(shape) and math.prod(shape) <= _FILL_MAX:
        res = np.empty(shape, g.dtype)
        res[...] = g
        return (res,)
    return (np.broadcast_to(g, shape),)


_FILL_MAX = 4096

# np.add.reduce is what np.sum calls (without its Python wrapper)
sum_p = Primitive("sum", lambda x, axis, keepdims: np.add.reduce(x, axis=axis, keepdims=keepdims),
                  vjp=_sum_vjp, jvp=_sum_jvp, save_args=False, linear=True)
sum_p.raw_vjp = _sum_vjp_raw


def _check_reduce_args(name, out, where, initial=np._NoValue):
    if out is not None:
        raise UnsupportedError(f"{name}(..., out=...) writes in place, which wengert cannot "
                               "differentiate; use the returned value.")
    if where is not True and where is not np._NoValue:
        raise UnsupportedError(f"{name}(..., where=...) is not supported; multiply by the mask "
                               "(or use wnp.where) before reducing.")


_SUM_ALL = {"axis": None, "keepdims": False}  # the params of a full sum (never mutated)
_new = object.__new__


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
        where=np._NoValue):
    st = _state
    if (axis is None and dtype is None and out is None and keepdims is False
            and initial is np._NoValue and where is np._NoValue and not st.traces
            and not st.raw and not _prim._observers):
        # the sum of a whole float tensor (a loss) outside every transform: bind's work inline
        ta = type(a)
        v = a._value if ta is Tensor else a if ta is np.ndarray else None
        if v is not None and v.dtype.kind in "fc":
            res = _new(Tensor)
            res._value = np.asarray(np.add.reduce(v, axis=None))
            if ta is Tensor and a._rg and st.grad_enabled:
                res = _graph.record1(sum_p, a, (a,), _SUM_ALL, res)
            return res
    _check_reduce_args("sum", out, where)
    a = t(a)
    if dtype is not None:
        a = sh.astype(a, dtype)
    else:
        dt = dtype_of(a)
        if dt.kind not in "fc" and (np.issubdtype(dt, np.bool_) or (
                np.issubdtype(dt, np.integer) and dt.itemsize < 8)):
            a = sh.astype(a, np.result_type(dt, np.int_))
    a = a if hasattr(a, "shape") else t(np.asarray(a))
    res = bind(sum_p, a, axis=sh._normalize_axes(axis, ndim_of(a)), keepdims=bool(keepdims))
    if initial is not np._NoValue:
        res = ew.add(res, initial)
    return res


# --- max / min ---------------------------------------------------------------------------------------
def _extremum_mask(x, out_k):
    """Where ``x`` attains its group's extremum.  NumPy's max/min propagate NaN, so where the
    result is NaN the NaN entries are the extremum: every group has at least one entry
    (count >= 1), and a zero cotangent gives 0, never 0/0."""
    mask = ew.equal(x, out_k)
    if np.issubdtype(dtype_of(x), np.inexact):
        mask = ew.logical_or(mask, ew.isnan(x))
    return mask


def _extremum_rules(p_name):
    def vjp(needs, g, out, x, axis, keepdims):
        out_k = _keep(out, x.shape, axis, keepdims)
        mask = _extremum_mask(x, out_k)
        count = bind(sum_p, mask, axis=axis, keepdims=True)
        return (ew.divide(ew.multiply(_keep(g, x.shape, axis, keepdims), mask), count),)

    def jvp(tangents, out, x, axis, keepdims):
        out_k = _keep(out, x.shape, axis, keepdims)
        mask = _extremum_mask(x, out_k)
        count = bind(sum_p, mask, axis=axis, keepdims=keepdims)
        num = bind(sum_p, ew.multiply(tangents[0], mask), axis=axis, keepdims=keepdims)
        return ew.divide(num, count)

    return vjp, jvp


_max_vjp, _max_jvp = _extremum_rules("max")
max_p = Primitive("max", lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
                  vjp=_max_vjp, jvp=_max_jvp, save_out=True)
min_p = Primitive("min", lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
                  vjp=_max_vjp, jvp=_max_jvp, save_out=True)


def max(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=np._NoValue):
    """Maximum along ``axis``; tied maxima share the cotangent equally."""
    _check_reduce_args("max", out, where)
    a = t(a)
    res = bind(max_p, a, axis=sh._normalize_axes(axis, ndim_of(a)), keepdims=bool(keepdims))
    if initial is not np._NoValue:
        res = ew.maximum(res, initial)
    return res


def min(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=np._NoValue):
    """Minimum along ``axis``; tied minima share the cotangent equally."""
    _check_reduce_args("min", out, where)
    a = t(a)
    res = bind(min_p, a, axis=sh._normalize_axes(axis, ndim_of(a)), keepdims=bool(keepdims))
    if initial is not np._NoValue:
        res = ew.minimum(res, initial)
    return res


amax = max
amin = min


# --- prod ----------------------------------------------------------------------------------------------
def _exclusive_cumprod_last(v):
    """Exclusive cumulative product along the last axis, by a Hillis-Steele scan of
    multiplications and slices: O(n log n) work, differentiable to any order, exact with
    zeros (no division)."""
    n = shape_of(v)[-1]
    ones = sh.zeros_like_tensor(sh.getitem(v, (Ellipsis, slice(0, 1))))
    ones = ew.add(ones, 1)
    if n <= 1:
        return sh.broadcast_to(ones, shape_of(v))
    y = sh.concatenate([ones, sh.getitem(v, (Ellipsis, slice(0, n - 1)))], axis=-1)
    k = 1
    while k < n:
        head = sh.getitem(y, (Ellipsis, slice(0, k)))
        tail = ew.multiply(sh.getitem(y, (Ellipsis, slice(k, n))),
                           sh.getitem(y, (Ellipsis, slice(0, n - k))))
        y = sh.concatenate([head, tail], axis=-1)
        k *= 2
    return y


def prod_others(x, axis):
    """For each element, the product of the other elements of its reduction group."""
    nd = ndim_of(x)
    axes = tuple(range(nd)) if axis is None else axis
    rest = tuple(i for i in range(nd) if i not in axes)
    perm = rest + tuple(axes)
    xt = sh.transpose(x, perm)
    shp = shape_of(xt)
    lead = shp[:len(rest)]
    n = int(np.prod(shp[len(rest):], dtype=np.int64))
    v = sh.reshape(xt, lead + (n,))
    left = _exclusive_cumprod_last(v)
    right = sh.getitem(_exclusive_cumprod_last(sh.getitem(v, (Ellipsis, slice(None, None, -1)))),
                       (Ellipsis, slice(None, None, -1)))
    res = sh.reshape(ew.multiply(left, right), shp)
    return sh.transpose(res, sh._inverse_perm(perm))


# g * prod_others with a strong zero (_scale): a zero cotangent gives 0 even where the other
# elements' product is inf or NaN
def _prod_vjp(needs, g, out, x, axis, keepdims):
    return (_scale(_keep(g, x.shape, axis, keepdims), prod_others(x, axis)),)


def _prod_jvp(tangents, out, x, axis, keepdims):
    return bind(sum_p, _scale(tangents[0], prod_others(x, axis)), axis=axis,
                keepdims=keepdims)


prod_p = Primitive("prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
                   vjp=_prod_vjp, jvp=_prod_jvp)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
         where=np._NoValue):
    """Product along ``axis``; the derivative is exact when elements are zero."""
    _check_reduce_args("prod", out, where)
    a = t(a)
    if dtype is not None:
        a = sh.astype(a, dtype)
    a = a if hasattr(a, "shape") else t(np.asarray(a))
    res = bind(prod_p, a, axis=sh._normalize_axes(axis, ndim_of(a)), keepdims=bool(keepdims))
    if initial is not np._NoValue:
        res = ew.multiply(res, initial)
    return res


# --- non-differentiable reductions ---------------------------------------------------------------------
def _nd_reduce(name, fn):
    p = Primitive(name, fn, nondiff=True)

    def f(a, axis=None, out=None, keepdims=False, **kw):
        _check_reduce_args(name, out, kw.get("where", np._NoValue))
        a = t(a)
        a = a if hasattr(a, "shape") else t(np.asarray(a))
        return bind(p, a, axis=axis, keepdims=bool(keepdims))

    f.__name__ = name
    return p, f


argmax_p, _argmax = _nd_reduce("argmax", lambda x, axis, keepdims: np.argmax(
    x, axis=axis, keepdims=keepdims))
argmin_p, _argmin = _nd_reduce("argmin", lambda x, axis, keepdims: np.argmin(
    x, axis=axis, keepdims=keepdims))
all_p, all = _nd_reduce("all", lambda x, axis, keepdims: np.all(x, axis=axis, keepdims=keepdims))
any_p, any = _nd_reduce("any", lambda x, axis, keepdims: np.any(x, axis=axis, keepdims=keepdims))


def argmax(a, axis=None, out=None, *, keepdims=False):
    return _argmax(a, axis=axis, out=out, keepdims=keepdims)


def argmin(a, axis=None, out=None, *, keepdims=False):
    return _argmin(a, axis=axis, out=out, keepdims=keepdims)
