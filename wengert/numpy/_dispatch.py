"""NumPy's dispatch protocols: plain ``numpy`` calls on Tensors run wengert's functions.

``UFUNCS`` maps NumPy ufuncs and ``FUNCTIONS`` maps NumPy functions to the wengert.numpy
function with the same signature (filled at the bottom of ``wengert/numpy/__init__.py``).
A NumPy function missing from the tables is looked up by name in ``wengert.numpy`` (and
its ``linalg``/``fft`` submodules), so every function the library defines is reachable
from plain NumPy too.  ``NONDIFF_FUNCTIONS`` are functions whose results carry no
derivative (``allclose``, ``argsort``, ...): they run on the tensors' values.  Anything
else raises ``UnsupportedError`` naming the function, never a silent conversion that
would drop the graph.
"""
from __future__ import annotations

import importlib

import numpy as np

from .._core.tensor import Tensor, concrete_value
from .._errors import UnsupportedError

UFUNCS: dict = {}
FUNCTIONS: dict = {}
_REDUCERS: dict = {}      # ufunc -> fn(a, axis=0, dtype=None, keepdims=False) for ufunc.reduce
_ACCUMULATORS: dict = {}  # ufunc -> fn(a, axis=0, dtype=None) for ufunc.accumulate

# NumPy functions whose outputs carry no derivative (booleans, integers, indices, metadata,
# strings, files): applying them to the tensors' values drops nothing.
NONDIFF_FUNCTIONS = {
    np.allclose, np.isclose, np.array_equal, np.array_equiv, np.iscomplexobj,
    np.isrealobj, np.iscomplex, np.isreal, np.count_nonzero, np.argsort, np.argwhere,
    np.flatnonzero, np.nonzero, np.searchsorted, np.argpartition, np.lexsort, np.isin,
    np.digitize, np.shares_memory, np.may_share_memory, np.array_repr, np.array_str,
    np.array2string, np.ndim, np.shape, np.size, np.can_cast, np.min_scalar_type,
    np.isneginf, np.isposinf, np.save, np.savez, np.savez_compressed, np.savetxt,
}

_ACCUMULATE_NAMES = {np.add: "cumsum", np.multiply: "cumprod"}

_SUBMODULES = {"numpy": "wengert.numpy", "numpy.linalg": "wengert.numpy.linalg",
               "numpy.fft": "wengert.numpy.fft"}


def register(table, np_fn, fn):
    table[np_fn] = fn


def _qualname(func):
    if isinstance(func, np.ufunc):
        return "numpy." + func.__name__
    mod = getattr(func, "__module__", None) or "numpy"
    return mod + "." + getattr(func, "__name__", repr(func))


def _by_name(module_name, name, func):
    """``wengert.numpy``'s function called ``name`` (in the submodule matching
    ``module_name``), or None when it has none of its own."""
    target = _SUBMODULES.get(module_name)
    if target is None or not name:
        return None
    try:
        mod = importlib.import_module(target)
    except ModuleNotFoundError as e:
        if e.name == target:
            return None
        raise
    fn = getattr(mod, name, None)
    if fn is None or fn is func or isinstance(fn, type) or not callable(fn):
        return None
    if isinstance(fn, np.ufunc) or (getattr(fn, "__module__", None) or "").startswith("numpy"):
        return None  # a re-export of NumPy's own object, not a differentiable version
    return fn


def _values(x):
    """``x`` with every Tensor replaced by its ndarray (inside lists, tuples, dicts)."""
    if isinstance(x, Tensor):
        return concrete_value(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_values(v) for v in x)
    if isinstance(x, dict):
        return {k: _values(v) for k, v in x.items()}
    return x


def _no_rule(what):
    return UnsupportedError(
        f"{what} has no derivative rule in wengert, so it cannot be applied to a wengert "
        "Tensor (converting the tensor to an ndarray would silently drop its gradient). Use "
        "a supported function (see docs/numpy_coverage.md), or call it on tensor.detach() "
        "(a plain array) to leave the graph on purpose.")


# --- ufuncs ---------------------------------------------------------------------------------------
def _ufunc_fn(ufunc):
    fn = UFUNCS.get(ufunc)
    if fn is None:
        fn = _by_name("numpy", ufunc.__name__, ufunc)
        if fn is not None:
            UFUNCS[ufunc] = fn
    return fn


def _reject(ufunc, method, kwargs, allowed):
    where = kwargs.pop("where", True)
    if where is not True:
        raise UnsupportedError(
            f"numpy.{ufunc.__name__}(..., where=...) is not supported on wengert Tensors: the "
            "skipped elements would keep uninitialised values. Use wnp.where(mask, "
            "result, fill) on the full result instead.")
    if kwargs.pop("initial", np._NoValue) is not np._NoValue:
        raise UnsupportedError(
            f"numpy.{ufunc.__name__}.{method}(..., initial=...) is not supported on wengert "
            "Tensors; combine the initial value with the result explicitly instead.")
    for k in ("casting", "order", "subok"):
        kwargs.pop(k, None)
    bad = set(kwargs) - set(allowed)
    if bad:
        raise UnsupportedError(
            f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method}: keyword "
            f"argument(s) {sorted(bad)} are not supported on wengert Tensors.")


def _cast(res, dtype):
    if dtype is None:
        return res
    from ._shape import astype
    return astype(res, dtype)


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if not kwargs and method == "__call__":  # ndarray @ Tensor, ndarray + Tensor: no options
        fn = UFUNCS.get(ufunc)
        if fn is not None:
            return fn(*inputs)
    out = kwargs.pop("out", None)
    if out is not None and any(o is not None for o in (out if isinstance(out, tuple) else (out,))):
        raise UnsupportedError(
            f"numpy.{ufunc.__name__}({'' if method == '__call__' else method + ', '}..., "
            "out=...) writes into an existing array in place, which wengert cannot "
            "differentiate. Use the returned value (y = numpy."
            f"{ufunc.__name__}(...)), or an in-place Tensor method such as x.add_(y).")
    if method == "__call__":
        fn = _ufunc_fn(ufunc)
        if fn is None:
            raise _no_rule(f"numpy.{ufunc.__name__}")
        dtype = kwargs.pop("dtype", None)
        _reject(ufunc, method, kwargs, ())
        return _cast(fn(*inputs), dtype)
    if method == "reduce":
        red = _REDUCERS.get(ufunc)
        if red is not None:
            _reject(ufunc, method, kwargs, ("axis", "dtype", "keepdims"))
            return red(*inputs, **kwargs)
    elif method == "accumulate":
        acc = _ACCUMULATORS.get(ufunc)
        if acc is None and ufunc in _ACCUMULATE_NAMES:
            acc = _by_name("numpy", _ACCUMULATE_NAMES[ufunc], None)
        if acc is not None:
            _reject(ufunc, method, kwargs, ("axis", "dtype"))
            return acc(*inputs, **kwargs)
    elif method == "outer" and ufunc.nin == 2 and len(inputs) == 2:
        fn = _ufunc_fn(ufunc)
        if fn is not None:
            dtype = kwargs.pop("dtype", None)
            _reject(ufunc, method, kwargs, ())
            a, b = inputs
            nb = np.ndim(b) if not isinstance(b, Tensor) else b.ndim
            if nb:
                from ._shape import reshape
                a_shape = a.shape if isinstance(a, Tensor) else np.shape(a)
                a = reshape(a, tuple(a_shape) + (1,) * nb)
            return _cast(fn(a, b), dtype)
    raise _no_rule(f"numpy.{ufunc.__name__}.{method}")


# --- functions ------------------------------------------------------------------------------------
def array_function(self, func, types, args, kwargs):
    fn = FUNCTIONS.get(func)
    if fn is None:
        if func in NONDIFF_FUNCTIONS:
            return func(*_values(args), **_values(kwargs))
        fn = _by_name(getattr(func, "__module__", None), getattr(func, "__name__", None), func)
        if fn is None:
            raise _no_rule(_qualname(func))
        FUNCTIONS[func] = fn
    return fn(*args, **kwargs)
