"""NumPy's dispatch protocols: plain ``numpy`` calls on Tensors run wengert's functions.

``UFUNCS`` maps NumPy ufuncs and ``FUNCTIONS`` maps NumPy functions to the wengert.numpy
function with the same signature.  Anything missing raises ``UnsupportedError`` naming it,
never a silent conversion that would drop the graph.
"""
from __future__ import annotations

import numpy as np

from .._errors import UnsupportedError

UFUNCS: dict = {}
FUNCTIONS: dict = {}


def register(table, np_fn, fn):
    table[np_fn] = fn


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    out = kwargs.pop("out", None)
    if out is not None and any(o is not None for o in (out if isinstance(out, tuple) else (out,))):
        raise UnsupportedError(
            f"numpy.{ufunc.__name__}(..., out=...) writes in place, which wengert cannot "
            "differentiate; use the returned value (or an in-place Tensor method).")
    if method == "__call__":
        fn = UFUNCS.get(ufunc)
        if fn is None:
            raise UnsupportedError(
                f"numpy.{ufunc.__name__} has no derivative rule in wengert, so it cannot be "
                "applied to a wengert Tensor. See docs/numpy_coverage.md for what is "
                "supported, or call it on tensor.detach() to leave the graph on purpose.")
        kwargs.pop("dtype", None) if kwargs.get("dtype") is None else None
        if kwargs.get("where", True) is not True:
            raise UnsupportedError(f"numpy.{ufunc.__name__}(..., where=...) is not supported")
        kwargs.pop("where", None)
        kwargs.pop("casting", None)
        kwargs.pop("order", None)
        dtype = kwargs.pop("dtype", None)
        res = fn(*inputs, **kwargs)
        if dtype is not None:
            from ._shape import astype
            res = astype(res, dtype)
        return res
    if method == "reduce":
        red = _REDUCERS.get(ufunc)
        if red is not None:
            return red(*inputs, **kwargs)
    if method == "accumulate":
        acc = _ACCUMULATORS.get(ufunc)
        if acc is not None:
            return acc(*inputs, **kwargs)
    raise UnsupportedError(
        f"numpy.{ufunc.__name__}.{method} is not supported on wengert Tensors (it has no "
        "derivative rule). Use the wengert.numpy function instead, e.g. wnp.sum for "
        "np.add.reduce, or apply it to tensor.detach() to leave the graph on purpose.")


def array_function(self, func, types, args, kwargs):
    fn = FUNCTIONS.get(func)
    if fn is None:
        name = getattr(func, "__module__", "numpy") + "." + getattr(func, "__name__", str(func))
        raise UnsupportedError(
            f"{name} has no derivative rule in wengert, so it cannot be applied to a wengert "
            "Tensor (that would silently drop the gradient). Use a supported function (see "
            "docs/numpy_coverage.md) or call it on tensor.detach() to leave the graph on "
            "purpose.")
    return fn(*args, **kwargs)


_REDUCERS: dict = {}
_ACCUMULATORS: dict = {}
