"""Shape, indexing and copy primitives.  All are linear: the JVP applies the op to the
tangent and the VJP is the named transpose (reshape<->reshape, broadcast_to<->sum_to_shape,
getitem<->scatter_add, concatenate<->slices)."""
from __future__ import annotations

import builtins

import numpy as np

from .._core.primitive import Primitive, bind
from .._core.tensor import Tensor
from .._errors import UnsupportedError
from . import _gather
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
    if axes:  # (a float cotangent: the ufunc's reduce directly, without np.sum's wrapper)
        x = (np.add.reduce if x.dtype.kind in "fc" else np.sum)(x, axis=axes, keepdims=True)
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
    if not hasattr(x, "shape"):  # a Python scalar (t keeps those for weak promotion)
        x = t(np.asarray(x))
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
# ``getitem`` and ``scatter_add`` are each other's transposes; ``setitem`` (``x[idx] = v`` as a
# new array) is linear in (x, v).  The index is a static parameter: integers, slices (negative
# steps included), Ellipsis, None, integer and boolean arrays (Tensors and lists are frozen to
# ndarrays here, since an index is discrete and carries no derivative).
def _freeze_index(idx):
    """Turn an index into something NumPy accepts: tensors become arrays (never
    differentiable: an index is discrete)."""
    if isinstance(idx, tuple):
        return tuple(_freeze_index(i) for i in idx)
    if isinstance(idx, Tensor):
        if np.issubdtype(idx.dtype, np.inexact):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), numpy.newaxis "
                             "(`None`) and integer or boolean arrays are valid indices; got a "
                             f"{idx.dtype} tensor. Convert it with .astype(int) if it holds "
                             "indices.")
        return np.asarray(_concrete(idx))
    if isinstance(idx, list):
        if not idx:
            return np.zeros(0, dtype=np.intp)  # NumPy reads x[[]] as an empty integer index
        return np.asarray([_freeze_index(i) if isinstance(i, (Tensor, list)) else i
                           for i in idx])
    return idx


def _items(idx):
    return idx if isinstance(idx, tuple) else (idx,)


def _has_int_array(idx):
    """Whether the index can name one position twice (an integer array does)."""
    return any(isinstance(i, np.ndarray) and i.dtype != np.bool_ for i in _items(idx))


def _scatter_add_impl(g, idx, shape):
    z = np.zeros(shape, dtype=g.dtype)
    if _has_int_array(idx):
        np.add.at(z, idx, g)   # repeated positions accumulate
    else:
        z[idx] = g             # slices, integers and masks name each position once
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


def _overwritten(shape, idx):
    """Boolean mask over ``x[idx]``'s positions: False where a later write to the same
    position of ``x`` (a repeated integer index) overwrote this one, so that element of ``v``
    never reached the result.  None when every write lands."""
    if not _has_int_array(idx):
        return None
    ids = np.full(shape, -1, dtype=np.intp)
    sel = ids[idx].shape
    order = np.arange(int(np.prod(sel, dtype=np.int64)), dtype=np.intp).reshape(sel)
    ids[idx] = order            # NumPy's own write order decides who wins, as in the forward
    landed = ids[idx] == order
    return None if landed.all() else landed


def _setitem_vjp(needs, g, out, x, v, idx):
    # x's cotangent: g with the overwritten positions zeroed; v's: g at those positions
    # (summed over v's broadcasting by the engine), counting only writes that landed.
    gx = bind(setitem_p, g, 0.0, idx=idx) if needs[0] else None
    gv = None
    if needs[1]:
        gv = bind(getitem_p, g, idx=idx)
        landed = _overwritten(x.shape, idx)
        if landed is not None:
            from ._elementwise import where
            gv = where(landed, gv, 0.0)
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
    """``x[idx]`` for basic (slices with any step, integers, ``...``, ``None``), advanced
    (integer and boolean arrays or tensors) and mixed indices; repeated integer indices
    accumulate in the gradient."""
    if _gather.has_dynamic(idx):  # a traced (batched) integer index: a gather
        return _gather.getitem(t(x), idx)
    return bind(getitem_p, t(x), idx=_freeze_index(idx))


def index_update(x, idx, v):
    """Functional ``x[idx] = v``: a new array.  The gradient to ``x`` is zero at the written
    positions; the gradient to ``v`` is the cotangent there, summed over ``v``'s
    broadcasting (with a repeated index, only the write NumPy keeps counts)."""
    if _gather.has_dynamic(idx):  # a traced (batched) integer index
        return _gather.index_update(t(x), idx, t(v))
    return bind(setitem_p, t(x), t(v), idx=_freeze_index(idx))


def take(a, indices, axis=None, out=None, mode="raise"):
    """NumPy ``take``: ``a[..., indices, ...]`` along ``axis`` (the flattened array if None).
    ``mode`` is ``"raise"``, ``"wrap"`` or ``"clip"`` as in NumPy."""
    if out is not None:
        raise UnsupportedError("take(..., out=...) writes in place, which cannot be "
                               "differentiated; use the returned value.")
    a = t(a)
    if axis is None:
        a = ravel(a)
        axis = 0
    (axis,) = _normalize_axes(axis, ndim_of(a))
    if _gather.has_dynamic(indices) and mode in ("raise", None):
        return getitem(a, (slice(None),) * axis + (indices,))
    idx = _freeze_index(indices)
    if mode in ("wrap", "clip"):
        n = shape_of(a)[axis]
        idx = np.asarray(idx)
        if n == 0 and idx.size:
            raise IndexError("cannot do a non-empty take from an empty axes.")
        idx = idx % n if mode == "wrap" else np.clip(idx, 0, n - 1)
    elif mode not in ("raise", None):
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', not {mode!r}")
    if isinstance(idx, np.ndarray) and idx.dtype == np.bool_:
        raise IndexError("take: indices must be integers, not booleans")
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
    for need, x in zip(needs, xs):
        n = x.shape[axis]
        if need:
            idx = (slice(None),) * axis + (slice(start, start + n),)
            res.append(bind(getitem_p, g, idx=idx))
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
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    nd = ndim_of(arrays[0])
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    (axis,) = _normalize_axes(axis, nd)
    res = bind(concatenate_p, *arrays, axis=axis)
    if dtype is not None:
        res = astype(res, dtype)
    return res


def stack(arrays, axis=0, out=None, dtype=None):
    arrays = [t(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    shape0 = shape_of(arrays[0])
    if any(shape_of(a) != shape0 for a in arrays[1:]):
        raise ValueError("all input arrays must have the same shape (stack got shapes "
                         f"{[tuple(shape_of(a)) for a in arrays]})")
    (ax,) = _normalize_axes(axis, len(shape0) + 1)
    return concatenate([expand_dims(a, ax) for a in arrays], axis=ax, out=out, dtype=dtype)


def _len(x):
    return builtins.len(x)
