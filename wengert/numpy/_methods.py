"""Tensor operators and methods: each one line, an alias of a wengert.numpy function, so
every operation has one source of truth.  Methods accept NumPy's keywords (``axis``,
``keepdims``) and PyTorch's (``dim``, ``keepdim``).

In-place forms (``+=``, ``add_``, ``x[i] = v``) compute out of place and then rebind the
tensor to the result, bumping its version counter.  No ndarray is ever written into, so
values saved for backward (and NumPy views of them) stay intact; the version counter is
what lets backward detect that a tensor it saved was rebound.  Sharing is emulated where
NumPy and PyTorch share data: a tensor obtained from ``x.data`` or ``x.detach()`` writes its
in-place updates through to ``x`` unrecorded (``p.data.mul_(0.9)``), and a basic-index view
``v = x[i]`` writes them back as a recorded ``x[i] = v`` (``x[0].zero_()``).  A view or alias
taken before ``x`` itself was modified refuses to write back (it would undo that change)."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from .._core.state import state
from .._core.tensor import Tensor
from .._errors import InplaceError
from . import _composite as cp
from . import _elementwise as ew
from . import _linalg_core as la
from . import _reduce as rd
from . import _shape as sh
from . import _ufuncs as uf
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


def _check_inplace(x: Tensor, name, raw=False):
    """Refuse an in-place update of ``x`` before anything is computed: ``x`` (or, for a view
    ``x = y[i]``, ``y``) is a leaf that requires grad, or ``x`` is a view or ``.data`` of a
    tensor that was modified since (its update would overwrite that change)."""
    if not raw and x._rg and x.grad_fn is None and state.grad_enabled:
        raise InplaceError(
            f"a leaf tensor that requires grad (or a view of one) is being used in an in-place "
            f"operation ({name}): its gradient would be lost. Wrap the update in "
            f"`with wg.no_grad():` (as optimisers do), update `x.data` instead, or use the "
            f"out-of-place form (x = x + 1 instead of x += 1).")
    for link, raw_link in ((x._base, True), (x._view, False)):
        if link is None:
            continue
        base = link[0]()
        if base is None or type(base) is not Tensor:
            continue
        if base._version != link[1]:
            raise InplaceError(
                f"{name}: this tensor is a view (x[...]) or the .data/.detach() of a tensor "
                f"that has been modified in place since it was taken (version {link[1]} -> "
                f"{base._version}); writing it back would undo that change. Take the view "
                f"again after modifying the tensor.")
        _check_inplace(base, name, raw or raw_link)


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
    if type(x) is not Tensor or type(new) is not Tensor:
        # Inside a transform (jvp, vmap, jit, jet) values are tracers: the Python object
        # takes over the new value's payload, so `x += 1` and `x[i] = v` work as in NumPy.
        version = x._version
        x.__class__ = type(new)
        x.__dict__.clear()
        x.__dict__.update(new.__dict__)
        x._version = version + 1
        return x
    x._value = new._value
    if state.grad_enabled:
        if new._rg:
            x._rg = True
            x.grad_fn = new.grad_fn
            x._output_nr = new._output_nr
        elif x.grad_fn is not None:
            x.grad_fn = None
            x._rg = False
    # under no_grad the tensor keeps its place in the graph (a leaf stays a leaf, a
    # non-leaf keeps its grad_fn), as in PyTorch; only its value and version change
    x._version += 1
    _write_through(x, name, raw=False)
    return x


def _write_through(x: Tensor, name, raw):
    """Pass an in-place update of ``x`` on to the tensor it shares data with: for
    ``x = y.data`` / ``y.detach()`` the value is copied unrecorded; for a view ``x = y[i]``
    it is written as ``y[i] = x``, recorded like any in-place op (unrecorded when ``raw``,
    i.e. when the update arrived through ``.data``/``.detach()``)."""
    link = x._base
    if link is not None:
        base = link[0]()
        if base is not None and type(base) is Tensor:
            base._value = x._value
            base._version += 1
            x._base = (link[0], base._version)
            _write_through(base, name, raw=True)
    link = x._view
    if link is not None:
        base = link[0]()
        if base is not None and type(base) is Tensor:
            idx = link[2]
            if raw:
                value = base._value.copy()
                value[idx] = x._value
                base._value = value
                base._version += 1
                _write_through(base, name, raw=True)
            else:
                _become(base, sh.index_update(_snapshot(base), idx, _snapshot(x)), name)
            x._view = (link[0], base._version, idx)


def _hold(obj):
    """A strong reference with a weakref's call syntax: a view keeps its base alive (as a
    NumPy view does), so that ``x[0].detach().zero_()`` still reaches ``x``."""
    return lambda: obj


def _is_basic(idx):
    """A basic index (integers, slices, ``...``, ``None``): NumPy returns a view for it."""
    for i in idx if isinstance(idx, tuple) else (idx,):
        if not (i is None or i is Ellipsis or isinstance(i, slice)
                or (isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)))):
            return False
    return True


def _getitem(self, idx):
    """``x[idx]``; a basic index (ints, slices) gives a view as in NumPy and PyTorch: an
    in-place update of the result (``x[0].zero_()``) is written back into ``x``."""
    out = sh.getitem(self, idx)
    if type(out) is Tensor and type(self) is Tensor and _is_basic(idx):
        out._view = (_hold(self), self._version, idx)
    return out


def _inplace(fn, name):
    def method(self, *args, **kwargs):
        _check_inplace(self, name)
        snap = _snapshot(self)
        # `h *= h`: every operand that is the target means its value before the update
        args = [snap if a is self else a for a in args]
        if kwargs:
            kwargs = {k: snap if v is self else v for k, v in kwargs.items()}
        return _become(self, fn(snap, *args, **kwargs), name)

    method.__name__ = name
    return method


def _setitem(self, idx, value):
    _check_inplace(self, "__setitem__")
    snap = _snapshot(self)
    _become(self, sh.index_update(snap, idx, snap if value is self else value), "__setitem__")


def _none_of(x):
    return np.zeros(x.shape, dtype=bool)


def _fill(x, value):
    # where(False, x, value) rather than x * 0 + value: exact even where x is inf or nan,
    # and the gradient w.r.t. the old x is exactly zero
    return ew.where(_none_of(x), x, value)


def _zero(x):
    return ew.where(_none_of(x), x, 0)


def _copy_from(x, src, non_blocking=False):
    return ew.where(_none_of(x), x, src)


def _add(x, other, *, alpha=1):
    return ew.add(x, other if _is_one(alpha) else ew.multiply(other, alpha))


def _sub(x, other, *, alpha=1):
    return ew.subtract(x, other if _is_one(alpha) else ew.multiply(other, alpha))


def _is_one(alpha):
    return not isinstance(alpha, Tensor) and alpha == 1


def _addcmul(x, t1, t2, *, value=1):
    return ew.add(x, ew.multiply(ew.multiply(t1, t2), value))


def _addcdiv(x, t1, t2, *, value=1):
    return ew.add(x, ew.multiply(ew.divide(t1, t2), value))


def _lerp(x, end, weight):
    return ew.add(x, ew.multiply(weight, ew.subtract(end, x)))


def _clamp(x, min=None, max=None):
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return ew.clip(x, min, max)


# --- methods -----------------------------------------------------------------------------------------
def _sum(self, axis=None, dtype=None, keepdims=False, *, dim=None, keepdim=None):
    return rd.sum(self, axis=_axis(axis, dim), dtype=dtype, keepdims=_keep(keepdims, keepdim))


def _mean(self, axis=None, dtype=None, keepdims=False, *, dim=None, keepdim=None):
    return cp.mean(self, axis=_axis(axis, dim), dtype=dtype, keepdims=_keep(keepdims, keepdim))


def _prod(self, axis=None, dtype=None, keepdims=False, *, dim=None, keepdim=None):
    return rd.prod(self, axis=_axis(axis, dim), dtype=dtype, keepdims=_keep(keepdims, keepdim))


# PyTorch's x.max(dim=d) returns (values, indices); with NumPy's axis= it returns values.
MaxMin = namedtuple("MaxMin", ["values", "indices"])


def _extremum(red, arg, self, axis, keepdims, dim, keepdim):
    keep = _keep(keepdims, keepdim)
    if dim is None or axis is not None:
        return red(self, axis=axis, keepdims=keep)
    return MaxMin(red(self, axis=dim, keepdims=keep), arg(self, dim, keepdims=keep))


def _max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """NumPy's ``max(axis=, keepdims=)`` (the values); with PyTorch's ``dim=`` it returns
    ``(values, indices)`` as ``torch.max`` does."""
    return _extremum(rd.max, rd.argmax, self, axis, keepdims, dim, keepdim)


def _min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """NumPy's ``min(axis=, keepdims=)``; with ``dim=``, ``(values, indices)``."""
    return _extremum(rd.min, rd.argmin, self, axis, keepdims, dim, keepdim)


def _amax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return rd.max(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim))


def _amin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return rd.min(self, axis=_axis(axis, dim), keepdims=_keep(keepdims, keepdim))


def _ddof(ddof, unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is not None:
        return 1 if unbiased else 0
    return ddof


def _var(self, axis=None, dtype=None, ddof=0, keepdims=False, *, dim=None, keepdim=None,
         unbiased=None, correction=None):
    """NumPy's default ``ddof=0``; PyTorch's ``unbiased=``/``correction=`` are accepted."""
    return cp.var(self, axis=_axis(axis, dim), dtype=dtype,
                  ddof=_ddof(ddof, unbiased, correction), keepdims=_keep(keepdims, keepdim))


def _std(self, axis=None, dtype=None, ddof=0, keepdims=False, *, dim=None, keepdim=None,
         unbiased=None, correction=None):
    return cp.std(self, axis=_axis(axis, dim), dtype=dtype,
                  ddof=_ddof(ddof, unbiased, correction), keepdims=_keep(keepdims, keepdim))


def _dims(args):
    """``f(2, 3)`` and ``f((2, 3))`` both mean the tuple ``(2, 3)``."""
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        return args[0]
    return args


def _reshape(self, *shape, order="C"):
    return sh.reshape(self, _dims(shape), order=order)


def _transpose(self, *axes, dim0=None, dim1=None):
    """NumPy's ``transpose(*axes)`` (a permutation; none = reverse).  Two axes on a tensor
    of another rank than 2, or PyTorch's ``dim0=, dim1=``, swap those two axes."""
    if dim0 is not None or dim1 is not None:
        return sh.swapaxes(self, dim0, dim1)
    axes = _dims(axes)
    if len(axes) == 2 and self.ndim != 2:
        return sh.swapaxes(self, *axes)
    return sh.transpose(self, tuple(axes) if len(axes) else None)


def _permute(self, *dims):
    return sh.transpose(self, tuple(_dims(dims)))


def _expand(self, *sizes):
    """PyTorch's ``expand``: broadcast to ``sizes``; -1 keeps an existing dimension."""
    sizes = tuple(_dims(sizes))
    lead = len(sizes) - self.ndim
    if lead < 0 or any(s == -1 for s in sizes[:lead]):
        raise ValueError(f"expand: cannot expand a tensor of shape {self.shape} to {sizes}; "
                         "give at least as many sizes as dimensions, and -1 only for "
                         "existing ones")
    shape = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return sh.broadcast_to(self, shape)


def _flatten(self, start_dim=0, end_dim=-1):
    nd = self.ndim
    if nd == 0:
        return sh.reshape(self, (1,))
    s, e = start_dim % nd, end_dim % nd
    shape = self.shape[:s] + (-1,) + self.shape[e + 1:]
    return sh.reshape(self, shape)


def _squeeze(self, axis=None, *, dim=None):
    return sh.squeeze(self, _axis(axis, dim))


def _unsqueeze(self, dim):
    return sh.expand_dims(self, dim)


def _iter(self):
    if not self.shape:
        raise TypeError("iteration over a 0-d tensor")
    return (_getitem(self, i) for i in range(self.shape[0]))


def _contains(self, value):
    return bool(rd.any(ew.equal(self, value)))


def _astype_method(dtype):
    return lambda self: sh.astype(self, dtype)


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
    "__mod__": uf.remainder, "__rmod__": _r(uf.remainder),
    "__divmod__": uf.divmod, "__rdivmod__": _r(uf.divmod),
    "__pow__": ew.power, "__rpow__": _r(ew.power),
    "__matmul__": la.matmul, "__rmatmul__": _r(la.matmul),
    "__neg__": ew.negative, "__pos__": ew.positive, "__abs__": ew.absolute,
    "__invert__": ew.invert,
    "__lt__": ew.less, "__le__": ew.less_equal, "__gt__": ew.greater,
    "__ge__": ew.greater_equal, "__eq__": ew.equal, "__ne__": ew.not_equal,
    "__and__": ew.bitwise_and, "__or__": ew.bitwise_or, "__xor__": ew.bitwise_xor,
    "__rand__": _r(ew.bitwise_and), "__ror__": _r(ew.bitwise_or),
    "__rxor__": _r(ew.bitwise_xor),
    "__getitem__": _getitem, "__setitem__": _setitem,
    "__iter__": _iter, "__contains__": _contains,
    "__array_ufunc__": array_ufunc, "__array_function__": array_function,
    "__iadd__": _inplace(ew.add, "__iadd__"),
    "__isub__": _inplace(ew.subtract, "__isub__"),
    "__imul__": _inplace(ew.multiply, "__imul__"),
    "__itruediv__": _inplace(ew.divide, "__itruediv__"),
    "__ipow__": _inplace(ew.power, "__ipow__"),
    "__imatmul__": _inplace(la.matmul, "__imatmul__"),
    "__ifloordiv__": _inplace(ew.floor_divide, "__ifloordiv__"),
    "__imod__": _inplace(uf.remainder, "__imod__"),
    "add_": _inplace(_add, "add_"), "sub_": _inplace(_sub, "sub_"),
    "addcmul_": _inplace(_addcmul, "addcmul_"), "addcdiv_": _inplace(_addcdiv, "addcdiv_"),
    "lerp_": _inplace(_lerp, "lerp_"), "square_": _inplace(ew.square, "square_"),
    "sigmoid_": _inplace(_sigmoid, "sigmoid_"),
    "reciprocal_": _inplace(ew.reciprocal, "reciprocal_"),
    "clamp_min_": _inplace(lambda x, min: ew.clip(x, min, None), "clamp_min_"),
    "clamp_max_": _inplace(lambda x, max: ew.clip(x, None, max), "clamp_max_"),
    "mul_": _inplace(ew.multiply, "mul_"), "div_": _inplace(ew.divide, "div_"),
    "pow_": _inplace(ew.power, "pow_"), "neg_": _inplace(ew.negative, "neg_"),
    "exp_": _inplace(ew.exp, "exp_"), "log_": _inplace(ew.log, "log_"),
    "sin_": _inplace(ew.sin, "sin_"), "cos_": _inplace(ew.cos, "cos_"),
    "tanh_": _inplace(ew.tanh, "tanh_"), "sqrt_": _inplace(ew.sqrt, "sqrt_"),
    "abs_": _inplace(ew.absolute, "abs_"), "relu_": _inplace(_relu, "relu_"),
    "clamp_": _inplace(_clamp, "clamp_"), "clip_": _inplace(_clamp, "clip_"),
    "zero_": _inplace(_zero, "zero_"),
    "fill_": _inplace(_fill, "fill_"), "copy_": _inplace(_copy_from, "copy_"),
    # reductions
    "sum": _sum, "mean": _mean, "prod": _prod, "max": _max, "min": _min,
    "amax": _amax, "amin": _amin, "var": _var, "std": _std,
    "argmax": lambda self, axis=None, keepdims=False, *, dim=None, keepdim=None: rd.argmax(
        self, _axis(axis, dim), keepdims=_keep(keepdims, keepdim)),
    "argmin": lambda self, axis=None, keepdims=False, *, dim=None, keepdim=None: rd.argmin(
        self, _axis(axis, dim), keepdims=_keep(keepdims, keepdim)),
    "all": lambda self, axis=None, keepdims=False, *, dim=None, keepdim=None: rd.all(
        self, _axis(axis, dim), keepdims=_keep(keepdims, keepdim)),
    "any": lambda self, axis=None, keepdims=False, *, dim=None, keepdim=None: rd.any(
        self, _axis(axis, dim), keepdims=_keep(keepdims, keepdim)),
    "logsumexp": lambda self, axis=None, keepdims=False, *, dim=None, keepdim=None: (
        cp.logsumexp(self, _axis(axis, dim), keepdims=_keep(keepdims, keepdim))),
    "softmax": lambda self, axis=-1, *, dim=None: cp.softmax(self, _axis(axis, dim)),
    "log_softmax": lambda self, axis=-1, *, dim=None: cp.log_softmax(self, _axis(axis, dim)),
    # shape
    "reshape": _reshape, "view": _view, "transpose": _transpose, "permute": _permute,
    "T": property(lambda self: sh.transpose(self)),
    "mT": property(lambda self: sh.matrix_transpose(self)),
    "t": lambda self: sh.transpose(self),
    "swapaxes": sh.swapaxes, "squeeze": _squeeze,
    "expand_dims": sh.expand_dims, "unsqueeze": _unsqueeze, "expand": _expand,
    "ravel": sh.ravel, "flatten": _flatten,
    "astype": lambda self, dtype, copy=True: sh.astype(self, dtype),
    "float": _astype_method(np.float32), "double": _astype_method(np.float64),
    "half": _astype_method(np.float16), "long": _astype_method(np.int64),
    "int": _astype_method(np.int32), "bool": _astype_method(np.bool_),
    "copy": lambda self: sh.copy(self), "clone": lambda self: sh.copy(self),
    "broadcast_to": sh.broadcast_to, "take": sh.take,
    # elementwise
    "exp": ew.exp, "log": ew.log, "log1p": ew.log1p, "expm1": ew.expm1,
    "sin": ew.sin, "cos": ew.cos, "tan": ew.tan, "tanh": ew.tanh, "arctan": ew.arctan,
    "sqrt": ew.sqrt, "abs": ew.absolute, "sign": ew.sign, "square": ew.square,
    "reciprocal": ew.reciprocal, "floor": ew.floor, "ceil": ew.ceil,
    "round": lambda self, decimals=0: ew.round(self, decimals),
    "clip": lambda self, min=None, max=None: ew.clip(self, min, max),
    "clamp": _clamp,
    "relu": _relu, "sigmoid": _sigmoid,
    "clamp_min": lambda self, min: ew.clip(self, min, None),
    "clamp_max": lambda self, max: ew.clip(self, None, max),
    "maximum": ew.maximum, "minimum": ew.minimum,
    "add": _add, "sub": _sub, "mul": ew.multiply, "div": ew.divide, "pow": ew.power,
    "neg": ew.negative, "addcmul": _addcmul, "addcdiv": _addcdiv, "lerp": _lerp,
    "dot": la.dot, "matmul": la.matmul,
    "conj": conj, "conjugate": conj,
    "real": property(real), "imag": property(imag),
}



def _sort_inplace(self, axis=-1, kind=None, order=None, *, stable=None):
    """``ndarray.sort``: sorts in place (recorded: the derivative follows the elements)."""
    from ._manip import sort
    _inplace(lambda x: sort(x, axis=axis, kind=kind, order=order), "sort")(self)


def _partition_inplace(self, kth, axis=-1, kind="introselect", order=None):
    from ._manip import partition
    _inplace(lambda x: partition(x, kth, axis=axis, kind=kind, order=order), "partition")(self)


def _more_methods():
    """ndarray methods of the functions added with issue 3 (NumPy's signatures)."""
    from . import _manip as mp
    from . import _statistics as st
    return {
        "cumsum": lambda self, axis=None, dtype=None, out=None: st.cumsum(self, axis, dtype, out),
        "cumprod": lambda self, axis=None, dtype=None, out=None: st.cumprod(self, axis, dtype,
                                                                            out),
        "trace": lambda self, offset=0, axis1=0, axis2=1, dtype=None, out=None: mp.trace(
            self, offset, axis1, axis2, dtype, out),
        "diagonal": lambda self, offset=0, axis1=0, axis2=1: mp.diagonal(self, offset, axis1,
                                                                         axis2),
        "repeat": lambda self, repeats, axis=None: mp.repeat(self, repeats, axis),
        "argsort": lambda self, axis=-1, kind=None, order=None, *, stable=None: mp.argsort(
            self, axis, kind, order, stable=stable),
        "argpartition": lambda self, kth, axis=-1, kind="introselect", order=None: (
            mp.argpartition(self, kth, axis, kind, order)),
        "sort": _sort_inplace, "partition": _partition_inplace,
    }

def install():
    METHODS.update(_more_methods())
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
