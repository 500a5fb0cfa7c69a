"""Array creation.  These take no differentiable input and return concrete Tensors, which
every transform treats as constants."""
from __future__ import annotations

import numpy as np

from .._core.tensor import Tensor
from ._family import dtype_of, shape_of


def _w(x):
    return Tensor._wrap(np.asarray(x))


def _shape_arg(x):
    return shape_of(x) if isinstance(x, Tensor) else x


def zeros(shape, dtype=float, order="C", **kw):
    return _w(np.zeros(shape, dtype=dtype))


def ones(shape, dtype=None, order="C", **kw):
    return _w(np.ones(shape, dtype=dtype))


def empty(shape, dtype=float, order="C", **kw):
    return _w(np.zeros(shape, dtype=dtype))


def full(shape, fill_value, dtype=None, order="C", **kw):
    if isinstance(fill_value, Tensor):
        from ._shape import broadcast_to, astype
        v = fill_value if dtype is None else astype(fill_value, dtype)
        return broadcast_to(v, shape)
    return _w(np.full(shape, fill_value, dtype=dtype))


def zeros_like(a, dtype=None, order="K", subok=True, shape=None, **kw):
    return _w(np.zeros(shape if shape is not None else shape_of(a),
                       dtype=dtype or dtype_of(a)))


def ones_like(a, dtype=None, order="K", subok=True, shape=None, **kw):
    return _w(np.ones(shape if shape is not None else shape_of(a),
                      dtype=dtype or dtype_of(a)))


def empty_like(a, dtype=None, order="K", subok=True, shape=None, **kw):
    return zeros_like(a, dtype=dtype, shape=shape)


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, **kw):
    return _w(np.full(shape if shape is not None else shape_of(a), fill_value,
                      dtype=dtype or dtype_of(a)))


def arange(*args, **kwargs):
    args = [a.item() if isinstance(a, Tensor) else a for a in args]
    return _w(np.arange(*args, **kwargs))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if isinstance(start, Tensor) or isinstance(stop, Tensor):
        from . import _elementwise as ew
        steps = np.linspace(0.0, 1.0, num, endpoint=endpoint)
        shp = (num,) + (1,) * len(shape_of(start) if hasattr(start, "shape") else ())
        frac = _w(steps.reshape(shp))
        res = ew.add(start, ew.multiply(frac, ew.subtract(stop, start)))
        if retstep:
            return res, ew.divide(ew.subtract(stop, start), max(num - 1 if endpoint else num, 1))
        return res
    res = np.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, dtype=dtype,
                      axis=axis)
    if retstep:
        return _w(res[0]), res[1]
    return _w(res)


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    return _w(np.logspace(start, stop, num, endpoint=endpoint, base=base, dtype=dtype,
                          axis=axis))


def eye(N, M=None, k=0, dtype=float, order="C", **kw):
    return _w(np.eye(N, M, k, dtype=dtype))


def identity(n, dtype=None):
    return _w(np.identity(n, dtype=dtype))


def tri(N, M=None, k=0, dtype=float):
    return _w(np.tri(N, M, k, dtype=dtype))


def array(object, dtype=None, copy=True, ndmin=0, **kw):
    """Like ``np.array``; a (nested) list containing wengert values is stacked
    differentiably."""
    if isinstance(object, Tensor):
        from ._shape import astype, copy as _copy
        res = _copy(object) if copy else object
        return astype(res, dtype) if dtype is not None else res
    if isinstance(object, (list, tuple)) and _contains_tensor(object):
        from ._shape import stack, astype
        res = stack([array(o) for o in object])
        return astype(res, dtype) if dtype is not None else res
    return _w(np.array(object, dtype=dtype, ndmin=ndmin))


def asarray(a, dtype=None, order=None, **kw):
    if isinstance(a, Tensor):
        if dtype is not None:
            from ._shape import astype
            return astype(a, dtype)
        return a
    return array(a, dtype=dtype, copy=False)


def _contains_tensor(obj):
    if isinstance(obj, Tensor):
        return True
    if isinstance(obj, (list, tuple)):
        return any(_contains_tensor(o) for o in obj)
    return False
