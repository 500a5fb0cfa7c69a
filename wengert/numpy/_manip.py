"""Array manipulation with NumPy's names and semantics: stacking and splitting, tiling and
repeating, flips and rotations, padding, triangles and diagonals, sorting, gathers along an
axis, grids and products of shapes.

Almost everything here is a composite of the linear primitives of ``_shape.py`` (getitem,
concatenate, reshape, transpose, broadcast_to and their transposes) and ``where``, so the
derivatives of every order, forward and reverse, and the vmap rules come from those.  The
only new primitives are ``argsort``/``argpartition`` (integer results, no derivative; they
carry a vmap rule), which let ``sort``/``partition`` be gathers.

Conventions: ``sort``'s derivative routes each cotangent to the element the (stable) sort put
at that position, so at ties the earlier element gets the derivative of the earlier position;
``median``/``quantile`` instead split it evenly among tied elements (see _statistics.py).
NumPy functions that return views return copies here (no ndarray is ever written into, so
the difference cannot be observed through wengert); ``put_along_axis`` writes into a Tensor
in place as NumPy does, recorded like ``x[idx] = v``.
"""
from __future__ import annotations

import builtins
import warnings

import numpy as np

from .._core.primitive import Primitive, bind
from .._core.tensor import Tensor, concrete_value
from .._errors import UnsupportedError
from . import _elementwise as ew
from . import _shape as sh
from ._family import dtype_of, ndim_of, shape_of, t


def _arr(a):
    """A Tensor for any array-like (Python scalars included)."""
    a = t(a)
    return a if isinstance(a, Tensor) else Tensor._wrap(np.asarray(a))


def _axis1(axis, nd):
    (ax,) = sh._normalize_axes(axis, nd)
    return ax


def _static_ints(x, what):
    """A concrete integer array from an int, a sequence or an (integer) Tensor."""
    if isinstance(x, Tensor):
        x = concrete_value(x)
    a = np.asarray(x)
    if a.dtype.kind not in "iub":
        raise TypeError(f"{what} must be integers, got dtype {a.dtype}")
    return a.astype(np.intp)


def _slice_at(axis, sl, nd):
    return (slice(None),) * axis + (sl,) + (slice(None),) * (nd - axis - 1)


# --- atleast_nd and stacking ----------------------------------------------------------------------
def _ret(res):
    return res[0] if len(res) == 1 else tuple(res)


def atleast_2d(*arys):
    res = []
    for a in arys:
        a = _arr(a)
        nd = ndim_of(a)
        res.append(sh.reshape(a, (1, 1)) if nd == 0 else
                   sh.reshape(a, (1,) + tuple(shape_of(a))) if nd == 1 else a)
    return _ret(res)


def atleast_3d(*arys):
    res = []
    for a in arys:
        a = _arr(a)
        s = tuple(shape_of(a))
        if len(s) == 0:
            a = sh.reshape(a, (1, 1, 1))
        elif len(s) == 1:
            a = sh.reshape(a, (1,) + s + (1,))
        elif len(s) == 2:
            a = sh.reshape(a, s + (1,))
        res.append(a)
    return _ret(res)


def _seq(tup, name):
    if isinstance(tup, (Tensor, np.ndarray)):
        return [tup[i] for i in range(shape_of(tup)[0])]
    tup = list(tup)
    if not tup:
        raise ValueError(f"{name}: need at least one array to concatenate")
    return tup


def hstack(tup, *, dtype=None, casting="same_kind"):
    arrs = [sh.atleast_1d(a) for a in _seq(tup, "hstack")]
    axis = 0 if ndim_of(arrs[0]) == 1 else 1
    return sh.concatenate(arrs, axis=axis, dtype=dtype)


def vstack(tup, *, dtype=None, casting="same_kind"):
    arrs = [atleast_2d(a) for a in _seq(tup, "vstack")]
    return sh.concatenate(arrs, axis=0, dtype=dtype)


row_stack = vstack


def dstack(tup):
    arrs = [atleast_3d(a) for a in _seq(tup, "dstack")]
    return sh.concatenate(arrs, axis=2)


def column_stack(tup):
    arrs = []
    for a in _seq(tup, "column_stack"):
        a = _arr(a)
        nd = ndim_of(a)
        if nd < 2:
            a = sh.reshape(a, (-1, 1)) if nd == 1 else sh.reshape(a, (1, 1))
        arrs.append(a)
    return sh.concatenate(arrs, axis=1)


def concat(arrays, /, *, axis=0, out=None, dtype=None, casting="same_kind"):
    return sh.concatenate(arrays, axis=axis, out=out, dtype=dtype)


def permute_dims(a, /, axes=None):
    return sh.transpose(a, axes)


def rollaxis(a, axis, start=0):
    a = _arr(a)
    n = ndim_of(a)
    axis = _axis1(axis, n)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise np.exceptions.AxisError(f"'start' arg requires {-n} <= start < {n + 1}, but "
                                      f"{start} was passed in")
    if axis < start:
        start -= 1
    if axis == start:
        return a
    axes = list(range(n))
    axes.remove(axis)
    axes.insert(start, axis)
    return sh.transpose(a, tuple(axes))


def broadcast_arrays(*args, subok=False):
    args = [_arr(a) for a in args]
    shape = np.broadcast_shapes(*[tuple(shape_of(a)) for a in args])
    return tuple(sh.broadcast_to(a, shape) for a in args)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    ndim = len(xi)
    s0 = (1,) * ndim
    out = [sh.reshape(_arr(x), s0[:i] + (-1,) + s0[i + 1:]) for i, x in enumerate(xi)]
    if indexing == "xy" and ndim > 1:
        out[0] = sh.reshape(out[0], (1, -1) + s0[2:])
        out[1] = sh.reshape(out[1], (-1, 1) + s0[2:])
    if not sparse:
        out = list(broadcast_arrays(*out))
    return tuple(out)


# --- splitting ------------------------------------------------------------------------------------
def array_split(ary, indices_or_sections, axis=0):
    ary = _arr(ary)
    nd = ndim_of(ary)
    axis = _axis1(axis, nd)
    total = shape_of(ary)[axis]
    if isinstance(indices_or_sections, (int, np.integer)) or np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.") from None
        each, extras = builtins.divmod(total, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    else:
        points = [0] + [int(i) for i in _static_ints(indices_or_sections, "indices")] + [total]
    res = []
    for i in range(len(points) - 1):
        res.append(sh.getitem(ary, _slice_at(axis, slice(points[i], points[i + 1]), nd)))
    return res


def split(ary, indices_or_sections, axis=0):
    if isinstance(indices_or_sections, (int, np.integer)) or np.ndim(indices_or_sections) == 0:
        ary = _arr(ary)
        n = shape_of(ary)[_axis1(axis, ndim_of(ary))]
        if n % int(indices_or_sections):
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary, indices_or_sections):
    ary = _arr(ary)
    if ndim_of(ary) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if ndim_of(ary) > 1 else 0)


def vsplit(ary, indices_or_sections):
    ary = _arr(ary)
    if ndim_of(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    ary = _arr(ary)
    if ndim_of(ary) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


def unstack(x, /, *, axis=0):
    x = _arr(x)
    nd = ndim_of(x)
    if nd == 0:
        raise ValueError("Input array must be at least 1-d.")
    axis = _axis1(axis, nd)
    return tuple(sh.getitem(x, _slice_at(axis, i, nd)) for i in range(shape_of(x)[axis]))


# --- tile / repeat / resize -----------------------------------------------------------------------
def tile(A, reps):
    A = _arr(A)
    tup = tuple(int(r) for r in np.atleast_1d(_static_ints(reps, "reps")))
    d = len(tup)
    shape = tuple(shape_of(A))
    if d < len(shape):
        tup = (1,) * (len(shape) - d) + tup
    shape = (1,) * (len(tup) - len(shape)) + shape
    if builtins.all(r == 1 for r in tup):
        return sh.reshape(A, shape) if shape != tuple(shape_of(A)) else sh.copy(A)
    inter = []
    big = []
    for r, s in zip(tup, shape):
        inter += [1, s]
        big += [r, s]
    x = sh.broadcast_to(sh.reshape(A, tuple(inter)), tuple(big))
    return sh.reshape(x, tuple(r * s for r, s in zip(tup, shape)))


def repeat(a, repeats, axis=None):
    a = _arr(a)
    if axis is None:
        a = sh.ravel(a)
        axis = 0
    nd = ndim_of(a)
    axis = _axis1(axis, nd)
    reps = _static_ints(repeats, "repeats")
    shape = tuple(shape_of(a))
    n = shape[axis]
    if reps.size == 1:
        r = int(reps.reshape(-1)[0])
        if r < 0:
            raise ValueError("negative dimensions are not allowed")
        x = sh.reshape(a, shape[:axis + 1] + (1,) + shape[axis + 1:])
        x = sh.broadcast_to(x, shape[:axis + 1] + (r,) + shape[axis + 1:])
        return sh.reshape(x, shape[:axis] + (n * r,) + shape[axis + 1:])
    idx = np.repeat(np.arange(n), reps)
    return sh.getitem(a, _slice_at(axis, idx, nd))


def resize(a, new_shape):
    a = _arr(a)
    if isinstance(new_shape, (int, np.integer)):
        new_shape = (int(new_shape),)
    new_shape = tuple(int(s) for s in new_shape)
    flat = sh.ravel(a)
    total = int(np.prod(new_shape, dtype=np.int64))
    if builtins.any(s < 0 for s in new_shape):
        raise ValueError("all elements of `new_shape` must be non-negative")
    size = shape_of(flat)[0]
    if size == 0 or total == 0:
        return Tensor._wrap(np.zeros(new_shape, dtype=dtype_of(a)))
    reps = -(-total // size)
    if reps > 1:
        flat = sh.concatenate([flat] * reps)
    return sh.reshape(sh.getitem(flat, slice(0, total)), new_shape)


# --- flips and rotations --------------------------------------------------------------------------
def flip(m, axis=None):
    m = _arr(m)
    nd = ndim_of(m)
    axes = tuple(range(nd)) if axis is None else sh._normalize_axes(axis, nd)
    if not axes:
        return m
    idx = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(nd))
    return sh.getitem(m, idx)


def fliplr(m):
    m = _arr(m)
    if ndim_of(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


def flipud(m):
    m = _arr(m)
    if ndim_of(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


def roll(a, shift, axis=None):
    a = _arr(a)
    if axis is None:
        return sh.reshape(roll(sh.ravel(a), shift, 0), tuple(shape_of(a)))
    nd = ndim_of(a)
    b_shift, b_axis = np.broadcast_arrays(_static_ints(shift, "shift"),
                                          np.asarray(axis, dtype=np.intp))
    if b_shift.ndim > 1:
        raise ValueError("'shift' and 'axis' should be scalars or 1D sequences")
    total = {}
    for s, ax in zip(b_shift.ravel().tolist(), b_axis.ravel().tolist()):
        ax = _axis1(ax, nd)
        total[ax] = total.get(ax, 0) + int(s)
    shape = shape_of(a)
    for ax, s in total.items():
        n = shape[ax]
        if n == 0 or s % n == 0:
            continue
        s %= n
        a = sh.concatenate([sh.getitem(a, _slice_at(ax, slice(n - s, None), nd)),
                            sh.getitem(a, _slice_at(ax, slice(0, n - s), nd))], axis=ax)
    return a


def rot90(m, k=1, axes=(0, 1)):
    m = _arr(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    nd = ndim_of(m)
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == nd:
        raise ValueError("Axes must be different.")
    if axes[0] >= nd or axes[0] < -nd or axes[1] >= nd or axes[1] < -nd:
        raise ValueError(f"Axes={axes} out of range for array of ndim={nd}.")
    k %= 4
    if k == 0:
        return sh.copy(m)
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    perm = list(range(nd))
    a0, a1 = axes[0] % nd, axes[1] % nd
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return sh.transpose(flip(m, axes[1]), tuple(perm))
    return flip(sh.transpose(m, tuple(perm)), axes[1])


# --- triangles and diagonals ----------------------------------------------------------------------
def _zero_of(m):
    return Tensor._wrap(np.zeros((), dtype=dtype_of(m)))


def triu(m, k=0):
    m = _arr(m)
    s = tuple(shape_of(m))
    mask = np.tri(*s[-2:], k=k - 1, dtype=bool)
    return ew.where(mask, _zero_of(m), m)


def tril(m, k=0):
    m = _arr(m)
    s = tuple(shape_of(m))
    mask = np.tri(*s[-2:], k=k, dtype=bool)
    return ew.where(mask, m, _zero_of(m))


def diagonal(a, offset=0, axis1=0, axis2=1):
    a = _arr(a)
    nd = ndim_of(a)
    if nd < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    a1, a2 = _axis1(axis1, nd), _axis1(axis2, nd)
    if a1 == a2:
        raise ValueError("axis1 and axis2 cannot be the same")
    x = sh.moveaxis(a, (a1, a2), (-2, -1))
    n1, n2 = shape_of(x)[-2:]
    offset = int(offset)
    if offset >= 0:
        k = builtins.max(0, builtins.min(n1, n2 - offset))
        rows = np.arange(k)
        cols = rows + offset
    else:
        k = builtins.max(0, builtins.min(n1 + offset, n2))
        cols = np.arange(k)
        rows = cols - offset
    return sh.getitem(x, (Ellipsis, rows, cols))


def diag(v, k=0):
    v = _arr(v)
    nd = ndim_of(v)
    if nd == 1:
        n = shape_of(v)[0]
        size = n + abs(int(k))
        i = np.arange(n)
        idx = (i, i + k) if k >= 0 else (i - k, i)
        return bind(sh.scatter_add_p, v, idx=idx, shape=(size, size))
    if nd == 2:
        return diagonal(v, k)
    raise ValueError("Input must be 1- or 2-d.")


def diagflat(v, k=0):
    return diag(sh.ravel(_arr(v)), k)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    if out is not None:
        raise UnsupportedError("trace(..., out=...) writes in place, which wengert cannot "
                               "differentiate; use the returned value.")
    from ._reduce import sum as _sum
    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


# --- sorting --------------------------------------------------------------------------------------
def _batch_axis_rule(p):
    """vmap rule of a primitive with an integer ``axis`` parameter: move the batch axis to the
    front and shift ``axis`` by one."""

    def rule(args, dims, axis, **params):
        from .._transforms.vmap import moveaxis_to
        (x,), (d,) = args, dims
        x = moveaxis_to(x, d, 0)
        return bind(p, x, axis=axis % (len(x.shape) - 1) + 1, **params), 0

    return rule


argsort_p = Primitive("argsort", lambda x, axis, kind, stable: np.argsort(
    x, axis=axis, kind=kind, stable=stable), nondiff=True)
argsort_p.batch = _batch_axis_rule(argsort_p)
argpartition_p = Primitive("argpartition", lambda x, kth, axis, kind: np.argpartition(
    x, kth, axis=axis, kind=kind), nondiff=True)
argpartition_p.batch = _batch_axis_rule(argpartition_p)


def _flat_axis(a, axis):
    a = _arr(a)
    if axis is None:
        return sh.ravel(a), 0
    return a, _axis1(axis, ndim_of(a))


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Indices that sort ``a`` along ``axis`` (integer result, no derivative)."""
    if order is not None:
        raise UnsupportedError("argsort(order=...) sorts structured arrays, which wengert does "
                               "not support")
    a, axis = _flat_axis(a, axis)
    return bind(argsort_p, a, axis=axis, kind=kind, stable=stable)


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    if order is not None:
        raise UnsupportedError("argpartition(order=...) is not supported")
    a, axis = _flat_axis(a, axis)
    kth = tuple(int(k) for k in np.atleast_1d(_static_ints(kth, "kth")))
    return bind(argpartition_p, a, kth=kth, axis=axis, kind=kind)


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Sorted copy of ``a``.  Derivative: each position's cotangent goes to the element the
    stable sort put there (at ties, the earlier element takes the earlier position)."""
    if order is not None:
        raise UnsupportedError("sort(order=...) sorts structured arrays, which wengert does "
                               "not support")
    a, axis = _flat_axis(a, axis)
    return take_along_axis(a, argsort(a, axis=axis, kind="stable"), axis)


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """NumPy's ``partition`` (the same arrangement as ``numpy.partition``); the derivative
    follows the elements, as for ``sort``."""
    a, axis = _flat_axis(a, axis)
    return take_along_axis(a, argpartition(a, kth, axis=axis, kind=kind), axis)


def sort_complex(a):
    a = _arr(a)
    s = sort(a)
    dt = dtype_of(s)
    if not np.issubdtype(dt, np.complexfloating):
        s = sh.astype(s, np.complex64 if dt.char in "bhBH" else np.complex128)
    return s


def _along_axis_index(arr_shape, indices, axis):
    nd = len(arr_shape)
    idx = []
    for i in range(nd):
        if i == axis:
            idx.append(indices)
        else:
            shp = [1] * nd
            shp[i] = arr_shape[i]
            idx.append(np.arange(arr_shape[i]).reshape(shp))
    return tuple(idx)


def _check_along_axis(arr, indices, axis):
    ind = indices if isinstance(indices, Tensor) else np.asarray(indices)
    if not np.issubdtype(ind.dtype, np.integer):
        raise IndexError("`indices` must be an integer array")
    if axis is None:
        if len(ind.shape) != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        return sh.ravel(arr), ind, 0
    if len(ind.shape) != ndim_of(arr):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    return arr, ind, _axis1(axis, ndim_of(arr))


def take_along_axis(arr, indices, axis=-1):
    """``arr`` gathered along ``axis`` at ``indices`` (NumPy semantics); repeated indices
    accumulate in the gradient."""
    arr = _arr(arr)
    arr, ind, axis = _check_along_axis(arr, indices, axis)
    if not isinstance(ind, Tensor):
        ind = np.asarray(ind, dtype=np.intp)
    return sh.getitem(arr, _along_axis_index(tuple(shape_of(arr)), ind, axis))


def put_along_axis(arr, indices, values, axis, *, inplace=True):
    """NumPy's ``put_along_axis``: writes ``values`` into the Tensor ``arr`` in place (recorded
    as ``arr[idx] = values``) and returns None.  ``inplace=False`` (as in JAX) leaves ``arr``
    alone and returns the updated copy instead."""
    if axis is None:
        raise UnsupportedError("put_along_axis(axis=None) writes into a flattened view; "
                               "reshape first and pass an axis")
    tarr = _arr(arr)
    _, ind, ax = _check_along_axis(tarr, indices, axis)
    if not isinstance(ind, Tensor):
        ind = np.asarray(ind, dtype=np.intp)
    idx = _along_axis_index(tuple(shape_of(tarr)), ind, ax)
    if not inplace:
        return sh.index_update(tarr, idx, values)
    if not isinstance(arr, Tensor):
        if isinstance(values, Tensor):
            raise UnsupportedError(
                "put_along_axis: writing a wengert Tensor into a NumPy array would drop its "
                "gradient; convert the array with wnp.asarray(arr) first, or pass "
                "inplace=False to get the result as a new Tensor.")
        np.put_along_axis(arr, concrete_value(ind) if isinstance(ind, Tensor) else ind,
                          values, ax)
        return None
    arr[idx] = values
    return None


# --- products of shapes ---------------------------------------------------------------------------
def kron(a, b):
    a, b = _arr(a), _arr(b)
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    nd = builtins.max(len(sa), len(sb))
    sa = (1,) * (nd - len(sa)) + sa
    sb = (1,) * (nd - len(sb)) + sb
    if nd == 0:
        return ew.multiply(a, b)
    ai = sh.reshape(a, tuple(v for s in sa for v in (s, 1)))
    bi = sh.reshape(b, tuple(v for s in sb for v in (1, s)))
    return sh.reshape(ew.multiply(ai, bi), tuple(x * y for x, y in zip(sa, sb)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _arr(a), _arr(b)
    a = sh.moveaxis(a, axisa, -1)
    b = sh.moveaxis(b, axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 "
                         "or 3)")
    if na == 2 or nb == 2:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=2)
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    c2 = ew.subtract(ew.multiply(a0, b1), ew.multiply(a1, b0))
    if na == 2 and nb == 2:
        return c2
    if na == 3 and nb == 3:
        a2, b2 = a[..., 2], b[..., 2]
        c0 = ew.subtract(ew.multiply(a1, b2), ew.multiply(a2, b1))
        c1 = ew.subtract(ew.multiply(a2, b0), ew.multiply(a0, b2))
    elif na == 2:
        b2 = b[..., 2]
        c0 = ew.multiply(a1, b2)
        c1 = ew.negative(ew.multiply(a0, b2))
    else:
        a2 = a[..., 2]
        c0 = ew.negative(ew.multiply(a2, b1))
        c1 = ew.multiply(a2, b0)
    c0, c1, c2 = broadcast_arrays(c0, c1, c2)
    c = sh.stack([c0, c1, c2], axis=-1)
    return sh.moveaxis(c, -1, axisc)


def vecdot(x1, x2, /, *, axis=-1):
    """sum(conj(x1) * x2) over ``axis`` (NumPy's gufunc, broadcasting the other axes)."""
    from ._complex import conj
    from ._reduce import sum as _sum
    x1, x2 = _arr(x1), _arr(x2)
    if shape_of(x1)[axis] != shape_of(x2)[axis]:
        raise ValueError(f"vecdot: the core dimensions differ: {shape_of(x1)[axis]} vs "
                         f"{shape_of(x2)[axis]}")
    return _sum(ew.multiply(conj(sh.moveaxis(x1, axis, -1)), sh.moveaxis(x2, axis, -1)),
                axis=-1)


def matvec(x1, x2, /):
    """Matrix-vector product over the last axes, broadcasting the rest (NumPy 2.2's gufunc)."""
    from ._linalg_core import matmul
    x1, x2 = _arr(x1), _arr(x2)
    if ndim_of(x1) < 2 or ndim_of(x2) < 1:
        raise ValueError("matvec: x1 must be at least 2-d and x2 at least 1-d")
    return sh.getitem(matmul(x1, sh.expand_dims(x2, -1)), (Ellipsis, 0))


def vecmat(x1, x2, /):
    """conj(vector) @ matrix over the last axes, broadcasting the rest (NumPy 2.2's gufunc)."""
    from ._complex import conj
    from ._linalg_core import matmul
    x1, x2 = _arr(x1), _arr(x2)
    if ndim_of(x1) < 1 or ndim_of(x2) < 2:
        raise ValueError("vecmat: x1 must be at least 1-d and x2 at least 2-d")
    return sh.getitem(matmul(sh.expand_dims(conj(x1), -2), x2), (Ellipsis, 0, slice(None)))


# --- insert / delete / append ---------------------------------------------------------------------
def append(arr, values, axis=None):
    arr, values = _arr(arr), _arr(values)
    if axis is None:
        return sh.concatenate([sh.ravel(arr), sh.ravel(values)], axis=0)
    return sh.concatenate([arr, values], axis=axis)


def delete(arr, obj, axis=None):
    arr = _arr(arr)
    if axis is None:
        arr = sh.ravel(arr)
        axis = 0
    nd = ndim_of(arr)
    axis = _axis1(axis, nd)
    if isinstance(obj, Tensor):
        obj = concrete_value(obj)
    keep = np.delete(np.arange(shape_of(arr)[axis]), obj)
    return sh.getitem(arr, _slice_at(axis, keep, nd))


def insert(arr, obj, values, axis=None):
    """NumPy's ``insert``; the result is a gather from ``arr`` and ``values`` (cast to
    ``arr``'s dtype, as NumPy), differentiable in both."""
    arr, values = _arr(arr), _arr(values)
    if axis is None:
        arr = sh.ravel(arr)
        axis = 0
    if isinstance(obj, Tensor):
        obj = concrete_value(obj)
    # Run NumPy's own insert on position labels: >= 0 names an element of arr, < 0 one of values.
    src = np.arange(int(np.prod(shape_of(arr), dtype=np.int64))).reshape(shape_of(arr))
    vsrc = -1 - np.arange(int(np.prod(shape_of(values), dtype=np.int64))).reshape(
        shape_of(values))
    labels = np.insert(src, obj, vsrc, axis=axis)
    values = sh.astype(values, dtype_of(arr))
    from_arr = sh.getitem(sh.ravel(arr), np.clip(labels, 0, None)) if src.size else None
    from_val = sh.getitem(sh.ravel(values), np.clip(-1 - labels, 0, None)) if vsrc.size \
        else None
    if from_arr is None:
        return from_val
    if from_val is None:
        return from_arr
    return ew.where(labels >= 0, from_arr, from_val)


def select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(choicelist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    def weak(c):  # Python scalars take part in the promotion as weak scalars (NEP 50)
        return c if type(c) in (int, float, complex) else dtype_of(_arr(c))

    dt = np.result_type(*[weak(c) for c in choicelist], weak(default))
    choices = [_arr(c) for c in choicelist]
    default = _arr(default)
    for c in condlist:
        if (c.dtype if isinstance(c, Tensor) else np.asarray(c).dtype) != np.bool_:
            raise TypeError("invalid entry in condlist: should be boolean ndarray")
    res = sh.astype(default, dt)
    for cond, choice in zip(reversed(condlist), reversed(choices)):
        res = ew.where(cond, sh.astype(choice, dt), res)
    shape = np.broadcast_shapes(*[tuple(shape_of(c)) for c in condlist],
                                *[tuple(shape_of(c)) for c in choices])
    return sh.broadcast_to(res, shape) if tuple(shape_of(res)) != shape else res


# --- padding --------------------------------------------------------------------------------------
def _as_pairs(x, ndim, as_index=False):
    """NumPy's pad-width/value pairing for static values; Tensors (differentiable constant or
    end values) are paired the same way without leaving the graph."""
    if x is None:
        return ((None, None),) * ndim
    if isinstance(x, Tensor) or (isinstance(x, (list, tuple)) and _has_tensor(x)):
        from ._creation import asarray
        v = asarray(x)
        flat = sh.ravel(v)
        s = tuple(shape_of(v))
        size = int(np.prod(s, dtype=np.int64))
        if len(s) < 3 and size == 1:
            return ((flat[0], flat[0]),) * ndim
        if len(s) < 3 and size == 2 and s != (2, 1):
            return ((flat[0], flat[1]),) * ndim
        b = sh.broadcast_to(v, (ndim, 2))
        return [(b[i, 0], b[i, 1]) for i in range(ndim)]
    x = np.array(x)
    if as_index:
        x = np.round(x).astype(np.intp, copy=False)
    if x.ndim < 3:
        if x.size == 1:
            x = x.ravel()
            if as_index and x < 0:
                raise ValueError("index can't contain negative values")
            return ((x[0], x[0]),) * ndim
        if x.size == 2 and x.shape != (2, 1):
            x = x.ravel()
            if as_index and (x[0] < 0 or x[1] < 0):
                raise ValueError("index can't contain negative values")
            return ((x[0], x[1]),) * ndim
    if as_index and x.min() < 0:
        raise ValueError("index can't contain negative values")
    return np.broadcast_to(x, (ndim, 2)).tolist()


def _has_tensor(x):
    if isinstance(x, Tensor):
        return True
    if isinstance(x, (list, tuple)):
        return builtins.any(_has_tensor(v) for v in x)
    return False


def _block_like(x, axis, width, value):
    """A block of ``width`` copies of ``value`` (scalar or broadcastable) along ``axis``."""
    shape = list(shape_of(x))
    shape[axis] = width
    v = sh.astype(_arr(value), dtype_of(x))
    return sh.broadcast_to(v, tuple(shape))


def _cat(parts, axis):
    parts = [p for p in parts if p is not None]
    return parts[0] if len(parts) == 1 else sh.concatenate(parts, axis=axis)


def _rev(x, axis, start, stop, nd):
    """x[start:stop:-1] along ``axis`` with an exclusive ``stop`` that may be -1 (the front)."""
    return sh.getitem(x, _slice_at(axis, slice(start, None if stop < 0 else stop, -1), nd))


def _pad_reflect(x, axis, before, after, odd, include_edge, period0, nd):
    e = 1 if include_edge else 0
    while before > 0 or after > 0:
        cur = shape_of(x)[axis]
        if include_edge:
            old = cur // period0 * period0
        else:
            old = (cur - 1) // (period0 - 1) * (period0 - 1) + 1 - 1
        left = right = None
        lc = rc = 0
        if before > 0:
            lc = builtins.min(old, before)
            left = _rev(x, axis, lc - e, -e, nd)
            if odd:
                edge = sh.getitem(x, _slice_at(axis, slice(0, 1), nd))
                left = ew.subtract(ew.multiply(edge, 2), left)
        if after > 0:
            rc = builtins.min(old, after)
            start = cur + e - 2
            right = _rev(x, axis, start, start - rc, nd)
            if odd:
                edge = sh.getitem(x, _slice_at(axis, slice(cur - 1, cur), nd))
                right = ew.subtract(ew.multiply(edge, 2), right)
        x = _cat([left, x, right], axis)
        before -= lc
        after -= rc
    return x


def _pad_wrap(x, axis, before, after, period0, nd):
    while before > 0 or after > 0:
        cur = shape_of(x)[axis]
        period = cur // period0 * period0
        left = right = None
        nb = na = 0
        if before > 0:
            m = builtins.min(period, before)
            left = sh.getitem(x, _slice_at(axis, slice(period - m, period), nd))
            nb = before - period if before > period else 0
        if after > 0:
            m = builtins.min(period, after)
            right = sh.getitem(x, _slice_at(axis, slice(cur - period, cur - period + m), nd))
            na = after - period if after > period else 0
        x = _cat([left, x, right], axis)
        before, after = nb, na
    return x


_PAD_KWARGS = {
    "empty": [], "edge": [], "wrap": [], "constant": ["constant_values"],
    "linear_ramp": ["end_values"], "maximum": ["stat_length"], "mean": ["stat_length"],
    "median": ["stat_length"], "minimum": ["stat_length"], "reflect": ["reflect_type"],
    "symmetric": ["reflect_type"],
}


def pad(array, pad_width, mode="constant", **kwargs):
    """NumPy's ``pad`` for every named mode (not a callable ``mode``).  Differentiable in the
    array and in Tensor ``constant_values``/``end_values``; the padding is built one axis after
    the other from slices of the array, as NumPy does, so corners agree with NumPy."""
    if callable(mode):
        raise UnsupportedError("pad(mode=<callable>) fills the padding by writing into arrays "
                               "in place, which wengert cannot differentiate; pad with a "
                               "named mode, or build the padding with wnp.concatenate.")
    x = _arr(array)
    nd = ndim_of(x)
    if isinstance(pad_width, dict):
        seq = [(0, 0)] * nd
        for ax, w in pad_width.items():
            seq[ax] = (w, w) if isinstance(w, int) else tuple(w)
        pad_width = seq
    pw = np.asarray(concrete_value(pad_width) if isinstance(pad_width, Tensor) else pad_width)
    if pw.dtype.kind not in "iu":
        raise TypeError("`pad_width` must be of integral type.")
    widths = [(int(b), int(a)) for b, a in _as_pairs(pw, nd, as_index=True)]
    try:
        bad = set(kwargs) - set(_PAD_KWARGS[mode])
    except KeyError:
        raise ValueError(f"mode '{mode}' is not supported") from None
    if bad:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {bad}")
    shape = tuple(shape_of(x))
    if mode not in ("constant", "empty") and int(np.prod(shape, dtype=np.int64)) == 0:
        for ax, (b, a) in enumerate(widths):
            if shape[ax] == 0 and (b or a):
                raise ValueError(f"can't extend empty axis {ax} using modes other than "
                                 "'constant' or 'empty'")
        return _pad_constant(x, widths, 0)
    if mode == "empty":
        return _pad_constant(x, widths, 0)
    if mode == "constant":
        return _pad_constant(x, widths, kwargs.get("constant_values", 0))
    if mode == "edge":
        for ax, (b, a) in enumerate(widths):
            if b or a:
                n = shape_of(x)[ax]
                x = _cat([_block_like(x, ax, b, sh.getitem(x, _slice_at(ax, slice(0, 1), nd)))
                          if b else None, x,
                          _block_like(x, ax, a, sh.getitem(x, _slice_at(ax, slice(n - 1, n),
                                                                        nd)))
                          if a else None], ax)
        return x
    if mode == "linear_ramp":
        ends = _as_pairs(kwargs.get("end_values", 0), nd)
        for ax, ((b, a), (eb, ea)) in enumerate(zip(widths, ends)):
            if b or a:
                n = shape_of(x)[ax]
                first = sh.getitem(x, _slice_at(ax, slice(0, 1), nd))
                last = sh.getitem(x, _slice_at(ax, slice(n - 1, n), nd))
                x = _cat([_ramp(x, ax, b, eb, first, nd) if b else None, x,
                          flip(_ramp(x, ax, a, ea, last, nd), ax) if a else None], ax)
        return x
    if mode in ("maximum", "minimum", "mean", "median"):
        from . import _reduce as rd
        from . import _statistics as st
        from ._composite import mean as _mean
        fn = {"maximum": rd.max, "minimum": rd.min, "mean": _mean, "median": st.median}[mode]
        lengths = _as_pairs(kwargs.get("stat_length"), nd, as_index=True)
        integer = np.issubdtype(dtype_of(x), np.integer)
        for ax, ((b, a), (lb, la)) in enumerate(zip(widths, lengths)):
            if not (b or a):
                continue
            n = shape_of(x)[ax]
            lb = n if lb is None or n < lb else int(lb)
            la = n if la is None or n < la else int(la)
            if (lb == 0 or la == 0) and mode in ("maximum", "minimum"):
                raise ValueError("stat_length of 0 yields no value for padding")
            sl = fn(sh.getitem(x, _slice_at(ax, slice(0, lb), nd)), axis=ax, keepdims=True)
            sr = sl if lb == la == n else fn(
                sh.getitem(x, _slice_at(ax, slice(n - la, n), nd)), axis=ax, keepdims=True)
            if integer:
                sl, sr = ew.round(sl), ew.round(sr)
            x = _cat([_block_like(x, ax, b, sl) if b else None, x,
                      _block_like(x, ax, a, sr) if a else None], ax)
        return x
    # reflect / symmetric
    method = kwargs.get("reflect_type", "even")
    if method not in ("even", "odd"):
        raise ValueError(f"reflect_type must be 'even' or 'odd', not {method!r}")
    for ax, (b, a) in enumerate(widths):
        if not (b or a):
            continue
        n = shape[ax]
        if n == 1:
            x = pad(x, [(b, a) if i == ax else (0, 0) for i in range(nd)], mode="edge")
            continue
        if mode == "wrap":
            x = _pad_wrap(x, ax, b, a, n, nd)
        else:
            x = _pad_reflect(x, ax, b, a, method == "odd", mode == "symmetric", n, nd)
    return x


def _ramp(x, ax, width, end, edge, nd):
    """NumPy's linear ramp from ``end`` towards ``edge`` (endpoint excluded), ``width`` long."""
    shape = [1] * nd
    shape[ax] = width
    k = np.arange(width, dtype=np.float64).reshape(shape)
    end = sh.astype(_arr(end), dtype_of(x))
    step = ew.divide(ew.subtract(edge, end), float(width))
    r = ew.add(ew.multiply(k, step), end)
    if np.issubdtype(dtype_of(x), np.integer):
        r = ew.floor(r)
    return sh.astype(r, dtype_of(x))


def _pad_constant(x, widths, values):
    nd = ndim_of(x)
    pairs = _as_pairs(values, nd)
    for ax, ((b, a), (vb, va)) in enumerate(zip(widths, pairs)):
        if b or a:
            x = _cat([_block_like(x, ax, b, vb) if b else None, x,
                      _block_like(x, ax, a, va) if a else None], ax)
    return x


# --- conversions that are the identity on tensors -------------------------------------------------
def asanyarray(a, dtype=None, order=None, *, like=None):
    from ._creation import asarray
    return asarray(a, dtype=dtype)


def ascontiguousarray(a, dtype=None, *, like=None):
    """``asarray`` with at least one dimension (memory layout is NumPy's business)."""
    return sh.atleast_1d(asanyarray(a, dtype))


asfortranarray = ascontiguousarray


def require(a, dtype=None, requirements=None, *, like=None):
    return asanyarray(a, dtype)


def asarray_chkfinite(a, dtype=None, order=None):
    a = asanyarray(a, dtype)
    v = concrete_value(a)
    if v.dtype.kind in "fc" and not np.isfinite(v).all():
        raise ValueError("array must not contain infs or NaNs")
    return a


# --- selection ------------------------------------------------------------------------------------
def choose(a, choices, out=None, mode="raise"):
    """``choices[a]`` elementwise (the index ``a`` is integer: no derivative); differentiable
    in the choices."""
    if out is not None:
        raise UnsupportedError("choose(..., out=...) writes in place; use the returned value")
    idx = _static_ints(a, "choose's index array")

    def weak(c):  # Python scalars promote weakly (NEP 50)
        return c if type(c) in (int, float, complex) else dtype_of(_arr(c))

    dt = np.result_type(*[weak(c) for c in choices])
    choices = [sh.astype(_arr(c), dt) for c in choices]
    n = len(choices)
    if mode == "wrap":
        idx = idx % n
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    elif idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError("invalid entry in choice array")
    shape = np.broadcast_shapes(idx.shape, *[tuple(shape_of(c)) for c in choices])
    stacked = sh.stack([sh.broadcast_to(c, shape) for c in choices])
    return sh.getitem(take_along_axis(stacked, np.broadcast_to(idx, shape)[None], 0), 0)


def compress(condition, a, axis=None, out=None):
    if out is not None:
        raise UnsupportedError("compress(..., out=...) writes in place; use the returned value")
    cond = np.asarray(concrete_value(condition) if isinstance(condition, Tensor) else condition)
    if cond.ndim != 1:
        raise ValueError("condition must be a 1-d array")
    a = _arr(a)
    if axis is None:
        a, axis = sh.ravel(a), 0
    axis = _axis1(axis, ndim_of(a))
    keep = np.nonzero(cond)[0]
    if keep.size and keep[-1] >= shape_of(a)[axis]:
        raise IndexError(f"index {keep[-1]} is out of bounds for axis {axis} with size "
                         f"{shape_of(a)[axis]}")
    return sh.getitem(a, _slice_at(axis, keep, ndim_of(a)))


def extract(condition, arr):
    cond = np.asarray(concrete_value(condition) if isinstance(condition, Tensor) else condition)
    return sh.getitem(sh.ravel(_arr(arr)), np.nonzero(cond.ravel())[0])


def trim_zeros(filt, trim="fb", axis=None):
    """``filt`` without leading/trailing zeros (positions read from its values)."""
    trim = trim.lower()
    if trim not in ("f", "b", "fb", "bf"):
        raise ValueError(f"unexpected character(s) in `trim`: {trim!r}")
    a = _arr(filt)
    v = concrete_value(a)
    nd = v.ndim
    axes = tuple(range(nd)) if axis is None else sh._normalize_axes(axis, nd)
    nz = np.nonzero(v)
    idx = [slice(None)] * nd
    for ax in axes:
        if nz[ax].size == 0:
            idx[ax] = slice(0, 0)
            continue
        start = int(nz[ax].min()) if "f" in trim else 0
        stop = int(nz[ax].max()) + 1 if "b" in trim else v.shape[ax]
        idx[ax] = slice(start, stop)
    return sh.getitem(a, tuple(idx))


def piecewise(x, condlist, funclist, *args, **kw):
    """NumPy's ``piecewise``: each function sees only the elements of its condition (a
    constant fills them); differentiable through the functions."""
    x = _arr(x)
    n2 = len(funclist)
    if isinstance(condlist, Tensor):
        condlist = concrete_value(condlist)
    elif isinstance(condlist, (list, tuple)):
        condlist = [concrete_value(c) if isinstance(c, Tensor) else c for c in condlist]
    if np.isscalar(condlist) or (not isinstance(condlist[0], (list, np.ndarray))
                                 and ndim_of(x) != 0):
        condlist = [condlist]  # NumPy's rule: one condition, not a list of them
    conds = np.asarray([concrete_value(c) if isinstance(c, Tensor) else np.asarray(c)
                        for c in condlist], dtype=bool)
    if len(conds) == n2 - 1:
        conds = np.concatenate([conds, ~np.any(conds, axis=0, keepdims=True)], axis=0)
    if len(conds) != n2:
        raise ValueError(f"with {len(conds)} condition(s), either {len(conds)} or "
                         f"{len(conds) + 1} functions are expected")
    y = Tensor._wrap(np.zeros(shape_of(x), dtype=dtype_of(x)))
    for cond, func in zip(conds, funclist):
        cond = np.broadcast_to(cond, shape_of(x))
        if not callable(func):
            y = sh.index_update(y, cond, sh.astype(_arr(func), dtype_of(x)))
        else:
            vals = sh.getitem(x, cond)
            if int(np.prod(shape_of(vals), dtype=np.int64)) > 0:
                y = sh.index_update(y, cond, sh.astype(_arr(func(vals, *args, **kw)),
                                                       dtype_of(x)))
    return y


# --- functions applied along axes -----------------------------------------------------------------
def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    arr = _arr(arr)
    nd = ndim_of(arr)
    axis = _axis1(axis, nd)
    moved = sh.moveaxis(arr, axis, -1)
    outer = tuple(shape_of(moved))[:-1]
    if int(np.prod(outer, dtype=np.int64)) == 0:
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    res = [_arr(func1d(moved[ind], *args, **kwargs)) for ind in np.ndindex(outer)]
    inner = tuple(shape_of(res[0]))
    out = sh.reshape(sh.stack(res), outer + inner)
    k = len(inner)
    order = (tuple(range(axis)) + tuple(range(len(outer), len(outer) + k))
             + tuple(range(axis, len(outer))))
    return sh.transpose(out, order)


def apply_over_axes(func, a, axes):
    val = _arr(a)
    n = ndim_of(val)
    if np.ndim(axes) == 0:
        axes = (axes,)
    for axis in axes:
        if axis < 0:
            axis = n + axis
        res = _arr(func(val, axis))
        if ndim_of(res) == ndim_of(val):
            val = res
        else:
            res = sh.expand_dims(res, axis)
            if ndim_of(res) != ndim_of(val):
                raise ValueError("function is not returning an array of the correct shape")
            val = res
    return val


def fromfunction(function, shape, *, dtype=float, like=None, **kwargs):
    """``function(*indices)`` with the index grids as (constant) Tensors: differentiable
    through whatever ``function`` closes over."""
    grids = np.indices(shape, dtype=dtype)
    return function(*[Tensor._wrap(g) for g in grids], **kwargs)


# --- block ----------------------------------------------------------------------------------------
def _block_depth(x, where="arrays"):
    if isinstance(x, tuple):
        raise TypeError(f"{where} is a tuple. Only lists can be used to arrange blocks, and "
                        "np.block does not allow implicit conversion from tuple to ndarray.")
    if isinstance(x, list):
        if not x:
            raise ValueError(f"List at {where} cannot be empty")
        depths = {_block_depth(v, f"{where}[{i}]")[0] for i, v in enumerate(x)}
        if len(depths) != 1:
            raise ValueError(f"List depths are mismatched at {where}")
        nds = [_block_depth(v)[1] for v in x]
        return depths.pop() + 1, builtins.max(nds)
    return 0, ndim_of(_arr(x))


def block(arrays):
    """NumPy's ``block``: nested lists of arrays joined along the last axes."""
    depth, max_nd = _block_depth(arrays)
    nd = builtins.max(depth, max_nd)

    def rec(x, level):
        if level == depth:
            x = _arr(x)
            return sh.reshape(x, (1,) * (nd - ndim_of(x)) + tuple(shape_of(x)))
        return sh.concatenate([rec(v, level + 1) for v in x], axis=-(depth - level))

    if depth == 0:
        return sh.copy(_arr(arrays))
    return rec(arrays, 0)


# --- writes into an existing Tensor (in place, recorded like x[idx] = v) --------------------------
def _write(arr, idx, values, name):
    if not isinstance(arr, Tensor):
        if isinstance(values, Tensor) and type(values) is Tensor and not values._rg:
            values = concrete_value(values)  # a constant: NumPy's own write
        if isinstance(values, Tensor):
            raise UnsupportedError(
                f"{name}: writing a wengert Tensor into a NumPy array would drop its gradient; "
                "convert the array with wnp.asarray(arr) first (the write then happens on the "
                "Tensor and is recorded).")
        arr[idx] = values
        return
    arr[idx] = values


def _cyclic(values, count, dt):
    v = sh.ravel(sh.astype(_arr(values), dt))
    if count == 0:
        return sh.getitem(v, slice(0, 0))
    if shape_of(v)[0] == 0:
        raise ValueError("cannot write from an empty array of values")
    return resize(v, (count,))


def fill_diagonal(a, val, wrap=False):
    """NumPy's ``fill_diagonal``, in place on a Tensor (recorded: the gradient reaches ``val``
    and the untouched entries)."""
    shape = tuple(shape_of(a))
    if len(shape) < 2:
        raise ValueError("array must be at least 2-d")
    end = None
    if len(shape) == 2:
        step = shape[1] + 1
        if not wrap:
            end = shape[1] * shape[1]
    else:
        if not np.all(np.diff(shape) == 0):
            raise ValueError("All dimensions of input must be of equal length")
        step = 1 + int(np.cumprod(shape[:-1]).sum())
    flat = np.arange(int(np.prod(shape, dtype=np.int64)))[:end:step]
    idx = np.unravel_index(flat, shape)
    _write(a, idx, _cyclic(val, flat.size, dtype_of(a)) if np.ndim(val) or isinstance(
        val, Tensor) else val, "fill_diagonal")


def put(a, ind, v, mode="raise"):
    """``a.flat[ind] = v`` (``v`` repeated as needed), in place on a Tensor."""
    shape = tuple(shape_of(a))
    size = int(np.prod(shape, dtype=np.int64))
    ind = _static_ints(ind, "put's indices").ravel()
    if mode == "wrap":
        ind = ind % size
    elif mode == "clip":
        ind = np.clip(ind, 0, size - 1)
    else:
        if ind.size and (ind.max() >= size or ind.min() < -size):
            raise IndexError(f"index {ind.max()} is out of bounds for axis 0 with size {size}")
        ind = ind % size if size else ind
    _write(a, np.unravel_index(ind, shape), _cyclic(v, ind.size, dtype_of(a)), "put")


def putmask(a, mask, values):
    """NumPy's ``putmask``: ``a.flat[i] = values.flat[i % values.size]`` where ``mask``."""
    shape = tuple(shape_of(a))
    m = np.broadcast_to(np.asarray(concrete_value(mask) if isinstance(mask, Tensor) else mask,
                                   dtype=bool), shape)
    size = int(np.prod(shape, dtype=np.int64))
    flat = np.nonzero(m.ravel())[0]
    v = sh.ravel(sh.astype(_arr(values), dtype_of(a)))
    nv = shape_of(v)[0]
    if nv == 0:
        return None
    src = sh.getitem(v, flat % nv) if nv != size else sh.getitem(v, flat)
    return _write(a, np.unravel_index(flat, shape), src, "putmask")


def place(arr, mask, vals):
    """NumPy's ``place``: the masked positions take ``vals`` in order (repeated)."""
    shape = tuple(shape_of(arr))
    m = np.asarray(concrete_value(mask) if isinstance(mask, Tensor) else mask, dtype=bool)
    flat = np.nonzero(m.ravel())[0]
    return _write(arr, np.unravel_index(flat, shape), _cyclic(vals, flat.size, dtype_of(arr)),
                  "place")


def copyto(dst, src, casting="same_kind", where=True):
    """``dst[...] = src`` where ``where``, in place on a Tensor."""
    shape = tuple(shape_of(dst))
    src = sh.broadcast_to(sh.astype(_arr(src), dtype_of(dst)), shape)
    if where is True:
        return _write(dst, Ellipsis, src, "copyto")
    w = np.broadcast_to(np.asarray(concrete_value(where) if isinstance(where, Tensor)
                                   else where, dtype=bool), shape)
    return _write(dst, w, sh.getitem(src, w), "copyto")


def linalg_cross(x1, x2, /, *, axis=-1):
    """``numpy.linalg.cross``: the cross product of 3-element vectors (array API)."""
    x1, x2 = _arr(x1), _arr(x2)
    if shape_of(x1)[axis] != 3 or shape_of(x2)[axis] != 3:
        raise ValueError("Both input arrays must be (arrays of) 3-dimensional vectors, but "
                         f"they are {shape_of(x1)[axis]} and {shape_of(x2)[axis]} "
                         "dimensional instead.")
    return cross(x1, x2, axis=axis)
