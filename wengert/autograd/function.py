"""``wg.autograd.Function``: a user-defined operation with PyTorch's interface.

Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``; call
``MyFn.apply(*args)``.  Inside ``forward`` use ``ctx.save_for_backward(*tensors)``,
``ctx.mark_non_differentiable(*outputs)`` and plain attributes (``ctx.k = 3``); inside
``backward`` read ``ctx.saved_tensors`` and ``ctx.needs_input_grad``.

It is built on the same primitive as ``wg.custom_vjp``, so it also works under the functional
transforms: ``grad``, ``vmap`` (the rules are vmapped), ``jvp``/``jacfwd`` (the forward rule
is an optional static ``jvp(ctx, *tangents)`` as in PyTorch, else derived from ``backward``,
which is linear in the gradients), and higher order when ``backward`` is written with
differentiable wengert operations (decorate it with ``@once_differentiable`` to state that it
is not: differentiating it again then raises instead of silently giving zero).
"""
from __future__ import annotations

import functools

import numpy as np

from .._core.primitive import Primitive, bind
from .._core.state import no_grad, state
from .._core.tensor import Tensor
from .._errors import GradientError
from .._transforms._util import as_tensor
from .._transforms.custom import CustomRuleError, _Info, custom_vjp_p
from .._tree import tree_flatten
from ..numpy._composite import stop_gradient


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
        """Declare outputs of ``forward`` not differentiable (indices, masks): they are
        returned with ``requires_grad=False`` (and no tangent under forward mode), and the
        gradient ``backward`` receives for them is zero."""
        self.non_differentiable = tuple(id(o) for o in outputs)

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        raise GradientError("Function: in-place modification of inputs (mark_dirty) is not "
                            "supported; return a new tensor instead.")


def once_differentiable(backward):
    """Mark a ``backward`` as not differentiable itself: it runs without recording (it may use
    NumPy freely).  Differentiating its result (double backward with ``create_graph=True``)
    raises an error when that derivative is needed, instead of silently giving zero."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        recording = state.grad_enabled
        saved = ctx._saved_values
        sources = [g for g in grads if isinstance(g, Tensor) and g._rg]
        sources += [t for t in (saved or ()) if isinstance(t, Tensor) and t._rg]
        # backward sees values outside every graph (so .numpy() works, as under PyTorch's
        # no_grad with detached inputs)
        ctx._saved_values = tuple(t.detach() if isinstance(t, Tensor) else t
                                  for t in (saved or ()))
        try:
            with no_grad():
                result = backward(ctx, *[g.detach() if isinstance(g, Tensor) else g
                                         for g in grads])
        finally:
            ctx._saved_values = saved
        if not recording:
            return result
        if not sources:
            return result
        single = not isinstance(result, tuple)
        items = (result,) if single else result
        items = tuple(_delayed_error(r, sources, ctx) for r in items)
        return items[0] if single else items

    wrapper._once_differentiable = True
    return wrapper


def _delayed_error_vjp(needs, g, out, x, *sources, name):
    raise GradientError(
        f"trying to differentiate twice a function whose backward is marked "
        f"@once_differentiable ({name}): its backward ran without recording, so its own "
        "derivative is not available. Remove @once_differentiable and write backward with "
        "differentiable wengert operations to get higher derivatives.")


_delayed_error_p = Primitive(
    "once_differentiable_guard", lambda x, *sources, name: x, vjp=_delayed_error_vjp,
    jvp=lambda tangents, out, x, *sources, name: _delayed_error_vjp(None, None, out, x,
                                                                     name=name),
    save_args=False)
_delayed_error_p.batch = "elementwise"


def _delayed_error(r, sources, ctx):
    """``r`` linked to the graph of ``sources`` by a node that raises if backward reaches it
    (PyTorch's DelayedError)."""
    if not isinstance(r, Tensor) or not np.issubdtype(r.dtype, np.inexact):
        return r
    return bind(_delayed_error_p, r.detach(), *sources,
                name=getattr(ctx, "_fn_name", "Function"))


class Function:
    """Base class for user-defined operations (see module docstring)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError("subclasses of Function must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):  # pragma: no cover - abstract
        raise NotImplementedError("subclasses of Function must implement backward")

    @staticmethod
    def jvp(ctx, *grad_inputs):  # optional: forward mode, else derived from backward
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx._fn_name = cls.__name__
        ctx.needs_input_grad = tuple(_needs_grad(a) for a in args)
        # every array argument is an input of the primitive (so vmap and the other
        # transforms see it); the rest (numbers, strings, options) are passed as given
        arr_pos = [i for i, a in enumerate(args) if isinstance(a, (Tensor, np.ndarray))]
        info_state = {"marked": (), "none_saved": ()}

        def full_args(leaves):
            full = list(args)
            for i, v in zip(arr_pos, leaves):
                full[i] = v
            return full

        def fwd(*leaves):
            out = cls.forward(ctx, *full_args(leaves), **kwargs)
            o_leaves = tree_flatten(out)[0]
            info_state["marked"] = tuple(k for k, o in enumerate(o_leaves)
                                         if id(o) in ctx.non_differentiable)
            saved = tuple(s if s is not None else np.zeros(0) for s in ctx._saved)
            info_state["none_saved"] = tuple(s is None for s in ctx._saved)
            return out, saved

        def bwd(res, g):
            ctx._saved_values = tuple(None if isnone else r
                                      for r, isnone in zip(res, info_state["none_saved"]))
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
            return tuple(result[i] for i in arr_pos)

        leaves = [as_tensor(args[i]) for i in arr_pos]
        in_td = tree_flatten(tuple(leaves))[1]
        info = _Info(cls.__name__, in_td, fwd=fwd, bwd=bwd, owner=cls)
        if cls.jvp is not Function.jvp:
            def jvp_rule(res, tangents):
                # PyTorch's forward-mode formula: one tangent per forward input (None for
                # non-tensors), one tangent per output back
                ctx._saved_values = tuple(None if isnone else r for r, isnone in
                                          zip(res, info_state["none_saved"]))
                full = [None] * len(args)
                for i, tn, leaf in zip(arr_pos, tangents, leaves):
                    full[i] = tn if tn is not None else _zeros(leaf)
                result = cls.jvp(ctx, *full)
                return tree_flatten(result)[0]
            info.jvp_rule = jvp_rule
        outs = bind(custom_vjp_p, *leaves, info=info)
        info.materialize = ctx.materialize_grads  # forward may have changed it
        outs = list(outs[:info.n_out])
        for k in info_state["marked"]:
            outs[k] = stop_gradient(outs[k]).detach()
        return info.out_td.unflatten(outs)


def _zeros(x):
    from .._core.state import lib
    return lib.zeros(tuple(x.shape), x.dtype)


def _needs_grad(a):
    """PyTorch's ``needs_input_grad``: the argument requires grad, or is a floating-point value
    traced by a transform that may ask for its derivative (jvp, vmap of grad)."""
    if not isinstance(a, Tensor) or not np.issubdtype(a.dtype, np.inexact):
        return False
    return bool(a._rg or (a._trace is not None and a._trace.active))
