"""Tensor operators and methods: each one line, an alias of a wengert.numpy function, so
every operation has one source of truth.  In-place forms (``+=``, ``add_``, ``x[i] = v``)
compute out of place and then rebind the tensor, bumping its version counter."""
from __future__ import annotations

import numpy as np

from .._core.state import state
from .._core.tensor import Tensor
from .._errors import GradientError
from . import _composite as cp
from . import _elementwise as ew
from . import _linalg_core as la
from . import _reduce as rd
from . import _shape as sh
from ._complex import conj, imag, real
from ._dispatch import array_function, array_ufunc


def _r(f):
    return lambda self, other: f(other, self)


def _axis(axis, dim):
    return dim if axis is None else axis


def _keep(keepdims, keepdim):
    return keepdim if keepdim is not None else keepdims


# --- in place -------------------------------------------------------------------------------------
def _snapshot(x: Tensor) -> Tensor:
    """A distinct object standing for ``x`` as it is now (value, graph position, version)."""
    s = x._alias()
    s._rg = x._rg
    s.grad_fn = x.grad_fn
    s._output_nr = x._output_nr
    s._version = x._version
    if x._rg and x.grad_fn is None:
        s._accum = x._accum
        s._hooks = x._hooks
    return s


def _check_inplace(x: Tensor, name):
    if x._rg and x.grad_fn is None and state.grad_enabled:
        raise GradientError(
            f"a leaf tensor that requires grad is being used in an in-place operation "
            f"({name}). Wrap the update in `with wg.no_grad():` (as optimisers do), or use "
            f"the out-of-place form.")


def _become(x: Tensor, new: Tensor, name):
    """Make ``x`` hold ``new``'s value and graph position; bump its version."""
    if not isinstance(new, Tensor):
        new = Tensor._wrap(np.asarray(new))
    if new.shape != x.shape:
        raise ValueError(f"{name}: the result has shape {new.shape}, which does not match the "
                         f"in-place target's shape {x.shape}")
    if new.dtype != x.dtype:
        if not np.can_cast(new.dtype, x.dtype, casting="same_kind"):
            raise TypeError(f"{name}: result dtype {new.dtype} can't be cast to the in-place "
                            f"target's dtype {x.dtype} with casting rule 'same_kind'")
        new = sh.astype(new, x.dtype)
    if type(new) is not type(x) and type(x) is Tensor:
        # a traced value written into a concrete tensor: only its value can be kept
        if new._trace is not None:
            raise GradientError(f"{name}: cannot write a traced value into a concrete tensor "
                                "in place; use the out-of-place form inside transforms.")
    if type(x) is not Tensor:
        raise GradientError(f"{name}: in-place operations on traced values are not supported "
                            "inside functional transforms; use the out-of-place form.")
    x._value = new._value
    if state.grad_enabled and new._rg:
        x._rg = True
        x.grad_fn = new.grad_fn
        x._output_nr = new._output_nr
    elif x.grad_fn is not None:
        x.grad_fn = None
        x._rg = False
    x._version += 1
    return x


def _inplace(fn, name):
    def method(self, *args, **kwargs):
        _check_inplace(self, name)
        return _become(self, fn(_snapshot(self), *args, **kwargs), name)

    method.__name__ = name
    return method


def _setitem(self, idx, value):
    _check_inplace(self, "__setitem__")
    _become(self, sh.index_update(_snapshot(self), idx, value), "__setitem__")


def _fill(x, value):
    return ew.add(ew.multiply(x, 0), value)


def _copy_from(x, src):
    return ew.add(ew.multiply(x, 0), src)


# --- methods -----------------------------------------------------------------------------------------
def _sum(self, axis=None, dtype=None, keepdims=False, *, dim=None, keepdim=None):
    return rd.sum(self, axis=_axis(axis, dim), dtype=dtype, keepdims=_keep(keepdims, keepdim))


def _mean(self, axis=None, dtype=None, keepdims=False, *, dim=None, keepdim=None):
    return cp.mean(self, axis=_axis(axis, dim), dtype=dtype, keepdims=_keep(keepdims, keepdim))


def _prod(self, axis=None, dtype=None, keepdims=False, *, dim=None, keepdim=None):
    return rd.prod(self, axis=_axis(axis, dim), dtype=dtype, keepdims=_keep(keepdims, keepdim))


def _max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return rd.max(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim))


def _min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return rd.min(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim))


def _var(self, axis=None, dtype=None, ddof=0, keepdims=False, *, dim=None, keepdim=None):
    return cp.var(self, axis=_axis(axis, dim), dtype=dtype, ddof=ddof,
                  keepdims=_keep(keepdims, keepdim))


def _std(self, axis=None, dtype=None, ddof=0, keepdims=False, *, dim=None, keepdim=None):
    return cp.std(self, axis=_axis(axis, dim), dtype=dtype, ddof=ddof,
                  keepdims=_keep(keepdims, keepdim))


def _reshape(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = shape[0]
    return sh.reshape(self, shape, order=order)


def _transpose(self, *axes):
    if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]
    return sh.transpose(self, axes if axes else None)


def _view(self, *shape):
    return _reshape(self, *shape)


def _relu(self):
    return ew.where(ew.greater(self, 0), self, 0)  # relu'(0) = 0


def _sigmoid(self):
    from ._composite import sigmoid
    return sigmoid(self)


METHODS = {
    "__add__": ew.add, "__radd__": _r(ew.add),
    "__sub__": ew.subtract, "__rsub__": _r(ew.subtract),
    "__mul__": ew.multiply, "__rmul__": _r(ew.multiply),
    "__truediv__": ew.divide, "__rtruediv__": _r(ew.divide),
    "__floordiv__": ew.floor_divide, "__rfloordiv__": _r(ew.floor_divide),
    "__pow__": ew.power, "__rpow__": _r(ew.power),
    "__matmul__": la.matmul, "__rmatmul__": _r(la.matmul),
    "__neg__": ew.negative, "__pos__": ew.positive, "__abs__": ew.absolute,
    "__invert__": ew.invert,
    "__lt__": ew.less, "__le__": ew.less_equal, "__gt__": ew.greater,
    "__ge__": ew.greater_equal, "__eq__": ew.equal, "__ne__": ew.not_equal,
    "__and__": ew.bitwise_and, "__or__": ew.bitwise_or, "__xor__": ew.bitwise_xor,
    "__rand__": _r(ew.bitwise_and), "__ror__": _r(ew.bitwise_or),
    "__rxor__": _r(ew.bitwise_xor),
    "__getitem__": sh.getitem, "__setitem__": _setitem,
    "__iter__": lambda self: (sh.getitem(self, i) for i in range(len(self))),
    "__array_ufunc__": array_ufunc, "__array_function__": array_function,
    "__iadd__": _inplace(ew.add, "__iadd__"),
    "__isub__": _inplace(ew.subtract, "__isub__"),
    "__imul__": _inplace(ew.multiply, "__imul__"),
    "__itruediv__": _inplace(ew.divide, "__itruediv__"),
    "__ipow__": _inplace(ew.power, "__ipow__"),
    "__imatmul__": _inplace(la.matmul, "__imatmul__"),
    "add_": _inplace(ew.add, "add_"), "sub_": _inplace(ew.subtract, "sub_"),
    "mul_": _inplace(ew.multiply, "mul_"), "div_": _inplace(ew.divide, "div_"),
    "pow_": _inplace(ew.power, "pow_"), "neg_": _inplace(ew.negative, "neg_"),
    "exp_": _inplace(ew.exp, "exp_"), "log_": _inplace(ew.log, "log_"),
    "sin_": _inplace(ew.sin, "sin_"), "cos_": _inplace(ew.cos, "cos_"),
    "tanh_": _inplace(ew.tanh, "tanh_"), "sqrt_": _inplace(ew.sqrt, "sqrt_"),
    "abs_": _inplace(ew.absolute, "abs_"), "relu_": _inplace(_relu, "relu_"),
    "clamp_": _inplace(lambda x, min=None, max=None: ew.clip(x, min, max), "clamp_"),
    "clip_": _inplace(lambda x, min=None, max=None: ew.clip(x, min, max), "clip_"),
    "zero_": _inplace(lambda x: ew.multiply(x, 0), "zero_"),
    "fill_": _inplace(_fill, "fill_"), "copy_": _inplace(_copy_from, "copy_"),
    # reductions
    "sum": _sum, "mean": _mean, "prod": _prod, "max": _max, "min": _min,
    "var": _var, "std": _std,
    "argmax": lambda self, axis=None, keepdims=False: rd.argmax(self, axis, keepdims=keepdims),
    "argmin": lambda self, axis=None, keepdims=False: rd.argmin(self, axis, keepdims=keepdims),
    "all": lambda self, axis=None, keepdims=False: rd.all(self, axis, keepdims=keepdims),
    "any": lambda self, axis=None, keepdims=False: rd.any(self, axis, keepdims=keepdims),
    "logsumexp": lambda self, axis=None, keepdims=False: cp.logsumexp(self, axis,
                                                                      keepdims=keepdims),
    "softmax": lambda self, axis=-1: cp.softmax(self, axis),
    "log_softmax": lambda self, axis=-1: cp.log_softmax(self, axis),
    # shape
    "reshape": _reshape, "view": _view, "transpose": _transpose,
    "T": property(lambda self: sh.transpose(self)),
    "mT": property(lambda self: sh.matrix_transpose(self)),
    "swapaxes": sh.swapaxes, "squeeze": sh.squeeze,
    "expand_dims": sh.expand_dims, "unsqueeze": sh.expand_dims,
    "ravel": sh.ravel, "flatten": lambda self: sh.ravel(self),
    "astype": lambda self, dtype, copy=True: sh.astype(self, dtype),
    "copy": lambda self: sh.copy(self), "clone": lambda self: sh.copy(self),
    "broadcast_to": sh.broadcast_to, "take": sh.take,
    # elementwise
    "exp": ew.exp, "log": ew.log, "log1p": ew.log1p, "expm1": ew.expm1,
    "sin": ew.sin, "cos": ew.cos, "tan": ew.tan, "tanh": ew.tanh, "arctan": ew.arctan,
    "sqrt": ew.sqrt, "abs": ew.absolute, "sign": ew.sign, "square": ew.square,
    "reciprocal": ew.reciprocal, "floor": ew.floor, "ceil": ew.ceil,
    "round": lambda self, decimals=0: ew.round(self, decimals),
    "clip": lambda self, min=None, max=None: ew.clip(self, min, max),
    "clamp": lambda self, min=None, max=None: ew.clip(self, min, max),
    "relu": _relu, "sigmoid": _sigmoid,
    "maximum": ew.maximum, "minimum": ew.minimum,
    "dot": la.dot, "matmul": la.matmul,
    "conj": conj, "conjugate": conj,
    "real": property(real), "imag": property(imag),
}


def install():
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
