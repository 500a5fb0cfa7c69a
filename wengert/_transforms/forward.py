"""Forward mode: JVPTrace / JVPTracer, ``jvp``, ``linearize`` and dual tensors (forward_ad).

A JVPTracer pairs a primal with a tangent (``None`` is a symbolic zero).  ``process`` binds
the primitive on the primals, then calls the primitive's ``jvp`` rule, written with wengert
ops, so the tangent computation is itself seen by every enclosing transform.
"""
from __future__ import annotations

import numpy as np

from .._core.primitive import bind
from .._core.state import lib, state
from .._core.tensor import Tensor, is_differentiable_dtype
from .._core.trace import Trace, Tracer
from .._errors import GradientError, ShapeError
from .._tree import tree_flatten
from ._util import as_tensor, check_inexact, to_output


class JVPTracer(Tracer):
    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    def _lower(self):
        return self.primal

    def _alias(self):
        return JVPTracer(self._trace, self.primal, self.tangent)

    def __repr__(self):
        return f"JVPTracer(level={self._trace.level}, primal={self.primal!r}, " \
               f"tangent={self.tangent!r})"


def fit_tangent(t, shape, dtype):
    """Broadcast a tangent to its primal's shape and cast it to its dtype."""
    if not isinstance(t, Tensor):
        t = Tensor._wrap(np.asarray(t))
    if t.dtype != dtype:
        if np.issubdtype(t.dtype, np.complexfloating) and not np.issubdtype(
                dtype, np.complexfloating):
            t = lib.real(t)
        if t.dtype != dtype:
            t = lib.astype(t, dtype)
    if t.shape != shape:
        t = lib.broadcast_to(t, shape)
    return t


class JVPTrace(Trace):
    def new(self, primal, tangent):
        if tangent is None or not is_differentiable_dtype(primal.dtype):
            return primal
        return JVPTracer(self, primal, fit_tangent(tangent, primal.shape, primal.dtype))

    def process(self, prim, args, params):
        primals = []
        tangents = []
        live = False
        for a in args:
            if isinstance(a, JVPTracer) and a._trace is self:
                primals.append(a.primal)
                tangents.append(a.tangent)
                live = True
            else:
                primals.append(a)
                tangents.append(None)
        out = bind(prim, *primals, **params)
        if not live or prim.nondiff or prim.zero_deriv:
            return out
        if prim.jvp is None:
            raise GradientError(f"primitive {prim.name!r} has no forward-mode (JVP) rule")
        t_out = prim.jvp(tangents, out, *primals, **params)
        if prim.multiple_results:
            return tuple(self.new(o, t) for o, t in zip(out, t_out))
        return self.new(out, t_out)


def _split(out, trace):
    if isinstance(out, JVPTracer) and out._trace is trace:
        return out.primal, out.tangent
    return out, None


def _zeros_like(p):
    p = as_tensor(p)
    return lib.zeros(p.shape, p.dtype)


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode Jacobian-vector product.

    Arguments:
        fun: function of ``len(primals)`` positional arguments (pytrees of arrays).
        primals: tuple of the point at which to differentiate.
        tangents: tuple of the same structure, shapes and dtypes: the direction.

    Returns ``(fun(*primals), J @ tangents)``; with ``has_aux``, ``fun`` returns
    ``(out, aux)`` and the result is ``(out, tangent_out, aux)``.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (or lists) of arguments, "
                        "e.g. jvp(f, (x,), (v,)).")
    p_leaves, p_td = tree_flatten(tuple(primals))
    t_leaves, t_td = tree_flatten(tuple(tangents))
    if p_td != t_td:
        from .._errors import TreeError
        raise TreeError(f"jvp: primals have structure {p_td} but tangents have structure "
                        f"{t_td}; give one tangent per primal, with the same containers.")
    plain = not any(isinstance(x, Tensor) for x in p_leaves)
    with JVPTrace() as trace:
        ins = []
        for p, t in zip(p_leaves, t_leaves):
            p = as_tensor(p)
            t = as_tensor(t)
            if t.shape != p.shape:
                raise ShapeError(f"jvp: a tangent has shape {t.shape} but its primal has shape "
                                 f"{p.shape}; they must match.")
            if is_differentiable_dtype(p.dtype):
                check_inexact(t, "jvp", "tangent")
            ins.append(trace.new(p, t))
        out = fun(*p_td.unflatten(ins))
        aux = None
        if has_aux:
            out, aux = out
        o_leaves, o_td = tree_flatten(out)
        po, to = [], []
        for o in o_leaves:
            p, t = _split(o, trace)
            if t is None:
                t = _zeros_like(p)
            po.append(to_output(p, plain))
            to.append(to_output(t, plain))
    res = (o_td.unflatten(po), o_td.unflatten(to))
    if has_aux:
        return res + (aux,)
    return res


def linearize(fun, *primals):
    """``(fun(*primals), jvp_fn)`` where ``jvp_fn(*tangents)`` is the JVP at ``primals``.

    The primal output is computed once; each ``jvp_fn`` call re-runs the tangent pass.
    """
    out = jvp(fun, tuple(primals), tuple(_zeros_like(p) if not isinstance(p, (tuple, list, dict))
                                         else _tree_zeros(p) for p in primals))[0]

    def jvp_fn(*tangents):
        return jvp(fun, tuple(primals), tuple(tangents))[1]

    return out, jvp_fn


def _tree_zeros(tree):
    leaves, td = tree_flatten(tree)
    return td.unflatten([_zeros_like(x) for x in leaves])


# -- forward_ad: dual tensors, PyTorch-style but with nesting ----------------------------
def _dual_stack():
    st = getattr(state, "dual_levels", None)
    if st is None:
        st = state.dual_levels = []
    return st


class dual_level:
    """Context manager: ``make_dual`` inside it attaches tangents at this level.

    Levels nest (forward-over-forward), unlike PyTorch: an inner level's tangents are
    constants to an outer level's derivative and vice versa.
    """

    def __enter__(self):
        self.trace = JVPTrace().__enter__()
        _dual_stack().append(self.trace)
        return self.trace.level

    def __exit__(self, *exc):
        _dual_stack().remove(self.trace)
        self.trace.__exit__(*exc)
        return False


def _level_trace(level):
    st = _dual_stack()
    if not st:
        raise GradientError("make_dual/unpack_dual need an active forward_ad.dual_level(); "
                            "use `with forward_ad.dual_level(): ...`.")
    if level is None:
        return st[-1]
    for t in st:
        if t.level == level:
            return t
    raise GradientError(f"dual level {level} is not active")


def make_dual(tensor, tangent, *, level=None):
    """A tensor whose forward-mode tangent at ``level`` (default: innermost) is ``tangent``."""
    trace = _level_trace(level)
    p = as_tensor(tensor)
    t = as_tensor(tangent)
    check_inexact(p, "make_dual", "primal")
    if t.shape != p.shape:
        raise ShapeError(f"make_dual: tangent shape {t.shape} differs from primal shape "
                         f"{p.shape}; they must match.")
    return JVPTracer(trace, p, fit_tangent(t, p.shape, p.dtype))


class UnpackedDualTensor(tuple):
    """``(primal, tangent)``; tangent is None when the tensor has none at that level."""

    def __new__(cls, primal, tangent):
        return tuple.__new__(cls, (primal, tangent))

    @property
    def primal(self):
        return self[0]

    @property
    def tangent(self):
        return self[1]


def unpack_dual(tensor, *, level=None):
    trace = _level_trace(level)
    if isinstance(tensor, JVPTracer) and tensor._trace is trace:
        return UnpackedDualTensor(tensor.primal, tensor.tangent)
    return UnpackedDualTensor(tensor, None)
