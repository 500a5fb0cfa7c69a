"""Tensor: an ndarray plus the imperative autograd state (requires_grad, grad, grad_fn, hooks).

Tracers (forward mode, vmap, jit) are subclasses, so every value a user's function sees is a
Tensor with the same methods.  Arithmetic operators and NumPy-style methods are installed by
``wengert.numpy._methods`` as one-line aliases of ``wengert.numpy`` functions.
"""
from __future__ import annotations

import weakref

import numpy as np

from .. import _tree
from .._errors import ConcretizationError, GradientError, RequiresGradDTypeError
from .state import new_level, state


def is_differentiable_dtype(dtype) -> bool:
    """Floating point or complex (``np.issubdtype(dtype, np.inexact)``, but fast)."""
    return dtype.kind in "fc" if isinstance(dtype, np.dtype) else np.issubdtype(dtype, np.inexact)


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Arguments:
        data: anything ``numpy.asarray`` accepts.
        requires_grad: record operations on this tensor so ``backward`` can reach it.
        dtype: optional NumPy dtype (defaults to NumPy's choice; Python floats give float64).

    Example::

        >>> x = wg.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4.])
    """

    # Class-level defaults keep tensor creation cheap: an instance only stores what differs.
    _value = None         # the np.ndarray (tracers override with a property)
    _rg = False           # requires_grad
    grad_fn = None        # Node that produced this tensor (None for leaves)
    _output_nr = 0        # which output of grad_fn this is
    _grad = None          # accumulated gradient (leaves and retain_grad tensors)
    _version = 0          # bumped by every in-place operation
    _hooks = None         # leaf hooks: list of callables
    _retains_grad = False
    _accum = None         # weakref to this leaf's AccumulateGrad node
    _trace = None         # tracers: the Trace that owns them
    _base = None          # (weakref, version) of the tensor this is the .data/.detach() of
    _view = None          # (weakref, version, index) of the tensor this is a basic-index view of
    _memo = None          # {ufunc primitive: (input ndarray, result)} (see primitive._memoized)
    _birth = 0            # leaves: when requires_grad was switched on (see state.new_level)
    __array_priority__ = 1000

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.detach()._value if data._trace is None else data
        value = np.array(data, dtype=dtype)
        self._value = value
        if requires_grad:
            self.requires_grad = True

    # -- construction helpers -------------------------------------------------------------
    @staticmethod
    def _wrap(value) -> "Tensor":
        t = object.__new__(Tensor)
        t._value = value if type(value) is np.ndarray else np.asarray(value)
        return t

    def _alias(self) -> "Tensor":
        """A new object with the same value and no autograd state (tracers override)."""
        return Tensor._wrap(self._value)

    # -- array attributes -----------------------------------------------------------------
    @property
    def shape(self):
        return self._value.shape

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        """The number of elements, as NumPy's ``a.size``; also callable as PyTorch's
        ``t.size()`` (the shape) and ``t.size(dim)``."""
        return _Size(int(np.prod(self.shape, dtype=np.int64)), self.shape)

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def dim(self):
        return self.ndim

    def numel(self):
        return self.size

    # -- autograd attributes --------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        flag = bool(flag)
        if flag and not is_differentiable_dtype(self.dtype):
            raise RequiresGradDTypeError(
                f"only tensors of floating point or complex dtype can require gradients, "
                f"but this tensor has dtype {self.dtype}. Convert it first, e.g. "
                f"x = x.astype(np.float64).")
        if not flag and self.grad_fn is not None:
            raise GradientError(
                "you can only change requires_grad flags of leaf tensors; this tensor was "
                f"produced by {self.grad_fn.name()}. Use y = x.detach() to get a tensor that "
                "does not require grad.")
        if flag and not self._rg:
            self._birth = new_level()
        self._rg = flag

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None and not isinstance(value, Tensor):
            value = Tensor._wrap(np.array(value, dtype=self.dtype))
        if value is not None and value.shape != self.shape:
            from .._errors import ShapeError
            raise ShapeError(f"assigned grad has shape {value.shape}, but the tensor has "
                             f"shape {self.shape}; they must match.")
        if value is not None and value.dtype != self.dtype:
            from .state import lib
            value = lib.astype(value, self.dtype)  # a gradient has its tensor's dtype
        self._grad = value

    @property
    def data(self):
        """A tensor with the same value that does not require grad (see also ``detach``).

        In-place updates of it reach this tensor without being recorded
        (``p.data.mul_(0.9)``, ``p.data -= lr * g``), as in PyTorch."""
        return self.detach()

    @data.setter
    def data(self, value):
        value = value._value if isinstance(value, Tensor) else np.asarray(value)
        self._value = value
        self._version += 1

    def detach(self) -> "Tensor":
        """A tensor with the same value, cut from the graph (and from every trace's tangent).

        It shares this tensor's data: an in-place update of the result (``add_``,
        ``x[i] = v``, ...) is written through to this tensor and bumps its version."""
        d = self._alias()
        if type(d) is Tensor and type(self) is Tensor:
            # a weak link (a detached result must not keep a graph alive), except to a view,
            # which is usually a temporary: x[0].detach().zero_() must still reach x
            ref = weakref.ref(self) if self._view is None else (lambda: self)
            d._base = (ref, self._version)
        return d

    def detach_(self):
        self.grad_fn = None
        self._rg = False
        return self

    @property
    def output_nr(self):
        return self._output_nr

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after ``backward`` (as in PyTorch)."""
        if not self._rg:
            raise GradientError("can't retain_grad on a tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        ref = weakref.ref(self)

        def _retain(g):
            t = ref()
            if t is not None:
                g_ = g if state.grad_enabled else own_gradient(g.detach())
                t._grad = g_ if t._grad is None else t._grad + g_
            return None

        self.grad_fn._add_pre_hook(self._output_nr, _retain, retain=True)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when the gradient w.r.t. this tensor is computed.

        If the hook returns a tensor, it replaces the gradient.  Returns a handle with
        ``remove()``.
        """
        if not self._rg:
            raise GradientError("cannot register a hook on a tensor that doesn't require "
                                "gradient; call requires_grad_() first.")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
            hooks.append(hook)
            return _RemovableHandle(hooks, hook)
        return self.grad_fn._add_pre_hook(self._output_nr, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Arguments:
            gradient: the cotangent, same shape as ``self``; may be omitted for a
                one-element tensor (it is then 1).
            retain_graph: keep the saved values so backward can run again (default:
                ``create_graph``).
            create_graph: record the backward computation so it can be differentiated.
            inputs: accumulate only into these tensors.
        """
        from .graph import run_backward

        run_backward([self], [gradient], retain_graph, create_graph, inputs=inputs)

    # -- conversion -----------------------------------------------------------------------
    def numpy(self):
        if self._rg:
            raise GradientError(
                "can't call numpy() on a tensor that requires grad: the result would "
                "silently leave the graph. Use tensor.detach().numpy() instead.")
        return concrete_value(self)

    def tolist(self):
        return self._value.tolist()

    def item(self):
        v = self._value
        if v.size != 1:
            raise ValueError(f"only one-element tensors can be converted to Python scalars; "
                             f"this one has shape {v.shape}")
        return v.item()

    def __array__(self, dtype=None, copy=None):
        if self._rg or (self._trace is not None and self._trace.active):
            raise GradientError(
                "a tensor that requires grad (or a traced value) was converted to a NumPy "
                "array, which would silently drop it from the graph. Call a wengert.numpy "
                "function instead, or use tensor.detach().numpy() to leave the graph on purpose.")
        v = self._value
        return v if dtype is None else v.astype(dtype, copy=False)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __index__(self):
        if not np.issubdtype(self.dtype, np.integer):
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    def __bool__(self):
        v = self._value
        if v.size != 1:
            raise ValueError(f"the truth value of a tensor with {v.size} elements is "
                             "ambiguous; use .any() or .all()")
        return bool(v)

    __hash__ = object.__hash__

    def __repr__(self):
        body = np.array2string(self._value, separator=", ", prefix="tensor(")
        extra = []
        if self._value.dtype not in (np.float64, np.int64, np.bool_, np.complex128):
            extra.append(f"dtype={self._value.dtype}")
        if self.grad_fn is not None:
            extra.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._rg:
            extra.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extra) + ")"

    def __reduce__(self):
        return (Tensor, (self.detach()._value, self._rg))

    def __deepcopy__(self, memo):
        t = Tensor(self._value.copy(), requires_grad=self._rg and self.is_leaf)
        if self._grad is not None:
            t._grad = Tensor._wrap(self._grad._value.copy())
        return t

    def __copy__(self):
        return self.__deepcopy__({})


_tree._ARRAY_TYPES.add(Tensor)  # a pytree leaf, tested first when flattening


def own_gradient(g):
    """``g`` as a gradient handed to the caller: a read-only array (the broadcast that a large
    sum's raw VJP passes on, or a read-only view of a derivative: see ``_family._times``) is
    copied, so the caller gets an array of its own that no input shares and that it may
    update in place (PyTorch likewise clones an expanded gradient into ``.grad``)."""
    if (type(g) is Tensor and not g._rg and type(g._value) is np.ndarray
            and not g._value.flags.writeable):
        return Tensor._wrap(g._value.copy())
    return g


class _Size(int):
    """``t.size``: an int (NumPy's element count) that PyTorch code may also call."""

    def __new__(cls, n, shape):
        self = super().__new__(cls, n)
        self._shape = shape
        return self

    def __call__(self, dim=None):
        return self._shape if dim is None else self._shape[dim]


class _RemovableHandle:
    def __init__(self, container, item):
        self._container = container
        self._item = item

    def remove(self):
        try:
            self._container.remove(self._item)
        except ValueError:
            pass


def concrete_value(x):
    """The ndarray behind ``x`` (a Tensor, tracer with a concrete primal, array or scalar)."""
    if isinstance(x, Tensor):
        v = x._value
        if v is None:
            raise ConcretizationError(
                "an abstract traced value was used where a concrete value is needed "
                "(bool(), float(), .item(), NumPy conversion).")
        return v
    return np.asarray(x)
