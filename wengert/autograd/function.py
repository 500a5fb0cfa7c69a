"""``wg.autograd.Function``: a user-defined operation with PyTorch's interface.

Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``; call
``MyFn.apply(*args)``.  Inside ``forward`` use ``ctx.save_for_backward(*tensors)``,
``ctx.mark_non_differentiable(*outputs)`` and plain attributes (``ctx.k = 3``); inside
``backward`` read ``ctx.saved_tensors`` and ``ctx.needs_input_grad``.

It is built on the same primitive as ``wg.custom_vjp``, so it also works under the functional
transforms: ``grad``, ``vmap`` (the rules are vmapped), ``jvp``/``jacfwd`` (a forward rule is
derived from ``backward``, or taken from an optional static ``jvp(ctx, *tangents)``), and
higher order when ``backward`` is written with differentiable wengert operations (decorate it
with ``@once_differentiable`` to state that it is not).
"""
from __future__ import annotations

import functools

import numpy as np

from .._core.primitive import bind
from .._core.state import no_grad
from .._core.tensor import Tensor
from .._errors import GradientError
from .._tree import tree_flatten
from .._transforms._util import as_tensor
from .._transforms.custom import CustomRuleError, _Info, custom_vjp_p


class FunctionCtx:
    """The ``ctx`` object passed to ``forward`` and ``backward``."""

    def __init__(self):
        self._saved = ()
        self._saved_values = None
        self.needs_input_grad = ()
        self.non_differentiable = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        """Keep ``tensors`` (inputs, outputs or intermediates; None allowed) for backward."""
        for t in tensors:
            if t is not None and not isinstance(t, (Tensor, np.ndarray)):
                raise TypeError("save_for_backward can only save tensors or None; store other "
                                "values as attributes of ctx (ctx.k = 3)")
        self._saved = tensors

    @property
    def saved_tensors(self):
        if self._saved_values is None:
            raise GradientError("ctx.saved_tensors is only available in backward")
        return self._saved_values

    def mark_non_differentiable(self, *outputs):
        """Accepted for compatibility: integer/boolean outputs are never differentiable, and
        a float output marked here simply receives no gradient from backward."""
        self.non_differentiable = tuple(id(o) for o in outputs)

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        raise GradientError("Function: in-place modification of inputs (mark_dirty) is not "
                            "supported; return a new tensor instead.")


def once_differentiable(backward):
    """Mark a ``backward`` as not differentiable itself: it runs without recording."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            return backward(ctx, *grads)

    wrapper._once_differentiable = True
    return wrapper


class Function:
    """Base class for user-defined operations (see module docstring)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError("subclasses of Function must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):  # pragma: no cover - abstract
        raise NotImplementedError("subclasses of Function must implement backward")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        diff_pos = [i for i, a in enumerate(args)
                    if isinstance(a, (Tensor, np.ndarray)) and np.issubdtype(
                        np.dtype(a.dtype), np.inexact)]
        state = {"single": True}

        def full_args(leaves):
            full = list(args)
            for i, v in zip(diff_pos, leaves):
                full[i] = v
            return full

        def fwd(*leaves):
            out = cls.forward(ctx, *full_args(leaves), **kwargs)
            state["single"] = not isinstance(out, tuple)
            saved = tuple(s if s is not None else np.zeros(0) for s in ctx._saved)
            state["none_saved"] = tuple(s is None for s in ctx._saved)
            return out, saved

        def bwd(res, g):
            ctx._saved_values = tuple(None if isnone else r
                                      for r, isnone in zip(res, state["none_saved"]))
            grads = g if isinstance(g, tuple) else (g,)
            result = cls.backward(ctx, *grads)
            if not isinstance(result, tuple):
                result = (result,)
            if len(result) < len(args):
                result = result + (None,) * (len(args) - len(result))
            if len(result) != len(args):
                raise CustomRuleError(
                    f"{cls.__name__}.backward returned {len(result)} gradients, but forward "
                    f"took {len(args)} arguments; return one per argument (None for "
                    "non-differentiable ones).")
            return tuple(result[i] for i in diff_pos)

        leaves = [as_tensor(args[i]) for i in diff_pos]
        in_td = tree_flatten(tuple(leaves))[1]
        info = _Info(cls.__name__, in_td, fwd=fwd, bwd=bwd, owner=cls)
        outs = bind(custom_vjp_p, *leaves, info=info)
        outs = list(outs[:info.n_out])
        return info.out_td.unflatten(outs)
