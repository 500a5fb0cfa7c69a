"""Shape, indexing and copy primitives.  All are linear: the JVP applies the op to the
tangent and the VJP is the named transpose (reshape<->reshape, broadcast_to<->sum_to_shape,
getitem<->scatter_add, concatenate<->slices)."""
from __future__ import annotations

import builtins

import numpy as np

from .._core.primitive import Primitive, bind
from .._core.tensor import Tensor
from .._errors import UnsupportedError
from ._family import dtype_of, ndim_of, shape_of, t


def _normalize_axes(axis, ndim):
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim)
    return tuple(out)


# --- reshape / transpose / broadcast ---------------------------------------------------------
reshape_p = Primitive(
    "reshape", lambda x, shape: np.reshape(x, shape),
    vjp=lambda needs, g, out, x, shape: (reshape(g, x.shape),),
    jvp=lambda tangents, out, x, shape: reshape(tangents[0], shape),
    save_args=False, linear=True)


def reshape(a, /, shape=None, order="C", *, newshape=None, copy=None):
    """NumPy ``reshape`` (C order only)."""
    if order != "C":
        raise UnsupportedError("reshape: only order='C' is supported")
    if shape is None:
        shape = newshape
    a = t(a)
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        size = int(np.prod(shape_of(a)))
        shape = tuple(size // known if s == -1 and known else (0 if s == -1 else s)
                      for s in shape)
    if shape == shape_of(a):
        return a if isinstance(a, Tensor) else t(np.asarray(a))
    return bind(reshape_p, a, shape=shape)


def _inverse_perm(axes):
    inv = [0] * len(axes)
    for i, a in enumerate(axes):
        inv[a] = i
    return tuple(inv)


transpose_p = Primitive(
    "transpose", lambda x, axes: np.transpose(x, axes),
    vjp=lambda needs, g, out, x, axes: (transpose(g, _inverse_perm(axes)),),
    jvp=lambda tangents, out, x, axes: transpose(tangents[0], axes),
    save_args=False, linear=True)


def transpose(a, axes=None):
    a = t(a)
    nd = ndim_of(a)
    if axes is None:
        axes = tuple(range(nd))[::-1]
    axes = _normalize_axes(axes, nd)
    if len(axes) != nd:
        raise ValueError("transpose: axes don't match array")
    if axes == tuple(range(nd)):
        return a
    return bind(transpose_p, a, axes=axes)


def swapaxes(a, axis1, axis2):
    a = t(a)
    nd = ndim_of(a)
    perm = list(range(nd))
    i, j = axis1 % nd, axis2 % nd
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, tuple(perm))


def moveaxis(a, source, destination):
    a = t(a)
    nd = ndim_of(a)
    src = _normalize_axes(source, nd)
    dst = _normalize_axes(destination, nd)
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, tuple(order))


def matrix_transpose(x):
    return swapaxes(x, -1, -2)


def _sum_to_shape_impl(x, shape):
    return _sum_to_shape_np(x, shape)


def _sum_to_shape_np(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                       if s == 1 and x.shape[i + lead] != 1)
    if axes:
        x = np.sum(x, axis=axes, keepdims=True)
    return x.reshape(shape)


broadcast_to_p = Primitive(
    "broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
    vjp=lambda needs, g, out, x, shape: (sum_to_shape(g, x.shape),),
    jvp=lambda tangents, out, x, shape: broadcast_to(tangents[0], shape),
    save_args=False, linear=True)

sum_to_shape_p = Primitive(
    "sum_to_shape", _sum_to_shape_impl,
    vjp=lambda needs, g, out, x, shape: (broadcast_to(g, x.shape),),
    jvp=lambda tangents, out, x, shape: sum_to_shape(tangents[0], shape),
    save_args=False, linear=True)


def broadcast_to(array, shape):
    array = t(array)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if shape_of(array) == shape:
        return array if isinstance(array, Tensor) else t(np.asarray(array))
    return bind(broadcast_to_p, array, shape=shape)


def sum_to_shape(x, shape):
    """Sum ``x`` over the axes along which ``shape`` was broadcast to ``x.shape``."""
    shape = tuple(shape)
    if shape_of(x) == shape:
        return x
    return bind(sum_to_shape_p, t(x), shape=shape)


def expand_dims(a, axis):
    a = t(a)
    shape = list(shape_of(a))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    nd = len(shape) + len(axes)
    for ax in sorted(a_ % nd for a_ in axes):
        shape.insert(ax, 1)
    return reshape(a, tuple(shape))


def squeeze(a, axis=None):
    a = t(a)
    shape = shape_of(a)
    if axis is None:
        new = tuple(s for s in shape if s != 1)
    else:
        axes = _normalize_axes(axis, len(shape))
        for ax in axes:
            if shape[ax] != 1:
                raise ValueError("cannot select an axis to squeeze out which has size not "
                                 "equal to one")
        new = tuple(s for i, s in enumerate(shape) if i not in axes)
    return reshape(a, new)


def ravel(a, order="C"):
    return reshape(a, (-1,), order=order)


def atleast_1d(*arys):
    res = [reshape(a, (1,)) if ndim_of(t(a)) == 0 else t(a) for a in arys]
    return res[0] if len(res) == 1 else res


# --- astype / copy ------------------------------------------------------------------------------------
astype_p = Primitive(
    "astype", lambda x, dtype: x.astype(dtype),
    vjp=lambda needs, g, out, x, dtype: (g,),
    jvp=lambda tangents, out, x, dtype: astype(tangents[0], dtype),
    save_args=False, linear=True)


def astype(x, dtype, /, *, copy=True):
    x = t(x)
    dtype = np.dtype(dtype)
    if dtype_of(x) == dtype:
        return x if isinstance(x, Tensor) else t(np.asarray(x))
    return bind(astype_p, x, dtype=dtype)


copy_p = Primitive(
    "copy", lambda x: np.array(x, copy=True),
    vjp=lambda needs, g, out, x: (g,),
    jvp=lambda tangents, out, x: tangents[0],
    save_args=False, linear=True)


def copy(a, order="K", subok=False):
    return bind(copy_p, t(a))


# --- indexing ---------------------------------------------------------------------------------------------
def _freeze_index(idx):
    """Turn an index into something NumPy accepts: tensors become arrays (never
    differentiable: an index is discrete)."""
    if isinstance(idx, tuple):
        return tuple(_freeze_index(i) for i in idx)
    if isinstance(idx, Tensor):
        if np.issubdtype(idx.dtype, np.inexact):
            raise IndexError("only integers, slices, ellipsis, newaxis and integer or boolean "
                             "arrays are valid indices (got a floating-point tensor)")
        return idx._value
    if isinstance(idx, list):
        return np.asarray(idx)
    return idx


def _is_basic(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(i, (int, np.integer, slice, type(None), type(Ellipsis)))
               for i in items)


def _scatter_add_impl(g, idx, shape):
    z = np.zeros(shape, dtype=g.dtype)
    if _is_basic(idx):
        z[idx] = g
    else:
        np.add.at(z, idx, g)
    return z


getitem_p = Primitive(
    "getitem", lambda x, idx: x[idx],
    vjp=lambda needs, g, out, x, idx: (bind(scatter_add_p, g, idx=idx, shape=x.shape),),
    jvp=lambda tangents, out, x, idx: bind(getitem_p, tangents[0], idx=idx),
    save_args=False, linear=True)

scatter_add_p = Primitive(
    "scatter_add", _scatter_add_impl,
    vjp=lambda needs, g, out, x, idx, shape: (bind(getitem_p, g, idx=idx),),
    jvp=lambda tangents, out, x, idx, shape: bind(scatter_add_p, tangents[0], idx=idx,
                                                  shape=shape),
    save_args=False, linear=True)


def _setitem_impl(x, v, idx):
    out = np.array(x, copy=True)
    out[idx] = v
    return out


def _setitem_vjp(needs, g, out, x, v, idx):
    gx = bind(setitem_p, g, 0.0, idx=idx) if needs[0] else None
    gv = bind(getitem_p, g, idx=idx) if needs[1] else None
    return gx, gv


def _setitem_jvp(tangents, out, x, v, idx):
    tx, tv = tangents
    if tx is None:
        tx = zeros_like_tensor(out)
    return bind(setitem_p, tx, 0.0 if tv is None else tv, idx=idx)


setitem_p = Primitive("setitem", _setitem_impl, vjp=_setitem_vjp, jvp=_setitem_jvp,
                      save_args=False, linear=True)


def zeros_like_tensor(x):
    return Tensor._wrap(np.zeros(shape_of(x), dtype=dtype_of(x)))


def getitem(x, idx):
    """``x[idx]`` for basic, advanced and boolean indices; repeated integer indices
    accumulate in the gradient."""
    return bind(getitem_p, t(x), idx=_freeze_index(idx))


def index_update(x, idx, v):
    """Functional ``x[idx] = v``: a new array; the gradient to ``x`` is zero at ``idx``."""
    return bind(setitem_p, t(x), t(v), idx=_freeze_index(idx))


def take(a, indices, axis=None, mode=None):
    a = t(a)
    idx = _freeze_index(indices)
    if axis is None:
        return getitem(ravel(a), idx)
    axis = axis % ndim_of(a)
    return getitem(a, (slice(None),) * axis + (idx,))


def nonzero(a):
    return tuple(Tensor._wrap(i) for i in np.nonzero(_concrete(a)))


def _concrete(a):
    from .._core.tensor import concrete_value
    return concrete_value(a)


# --- concatenate / stack -------------------------------------------------------------------------------
def _concat_vjp(needs, g, out, *xs, axis):
    res = []
    start = 0
    nd = ndim_of(g)
    for need, x in zip(needs, xs):
        n = x.shape[axis]
        if need:
            idx = (slice(None),) * axis + (slice(start, start + n),)
            res.append(bind(getitem_p, g, idx=idx if axis < nd else idx))
        else:
            res.append(None)
        start += n
    return tuple(res)


def _concat_jvp(tangents, out, *xs, axis):
    parts = [tn if tn is not None else zeros_like_tensor(x) for tn, x in zip(tangents, xs)]
    return bind(concatenate_p, *parts, axis=axis)


concatenate_p = Primitive("concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
                          vjp=_concat_vjp, jvp=_concat_jvp, save_args=False, linear=True)


def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    if out is not None:
        raise UnsupportedError("concatenate(..., out=...) is not differentiable; use the "
                               "returned value.")
    arrays = [t(a) for a in arrays]
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    arrays = [a if isinstance(a, Tensor) else t(np.asarray(a)) for a in arrays]
    nd = ndim_of(arrays[0])
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    res = bind(concatenate_p, *arrays, axis=axis % nd)
    if dtype is not None:
        res = astype(res, dtype)
    return res


def stack(arrays, axis=0, out=None, dtype=None):
    arrays = [t(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    nd = ndim_of(arrays[0]) + 1
    ax = axis % nd
    return concatenate([expand_dims(a, ax) for a in arrays], axis=ax, out=out, dtype=dtype)


def _len(x):
    return builtins.len(x)
