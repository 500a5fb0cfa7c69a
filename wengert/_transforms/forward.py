"""Forward mode: JVPTrace / JVPTracer, ``jvp``, ``linearize`` and dual tensors (forward_ad).

A JVPTracer pairs a primal with a tangent (``None`` is a symbolic zero).  ``process`` binds
the primitive on the primals, then calls the primitive's ``jvp`` rule, written with wengert
ops, so the tangent computation is itself seen by every enclosing transform.
"""
from __future__ import annotations

import weakref

import numpy as np

from .._core.primitive import bind
from .._core.state import lib, new_level, state
from .._core.tensor import Tensor, is_differentiable_dtype
from .._core.trace import Trace, Tracer
from .._errors import GradientError, ShapeError, TreeError
from .._tree import tree_flatten
from ._util import as_tensor, check_inexact, reaches_outside, to_output


class JVPTracer(Tracer):
    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    def _lower(self):
        return self.primal

    def _payload(self):
        return (self.primal, self.tangent) if self.tangent is not None else (self.primal,)

    def _alias(self):
        return JVPTracer(self._trace, self.primal, self.tangent)

    def __repr__(self):
        if not self._trace.active:  # its level has ended: it is just its primal now
            return repr(self.primal)
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
    def __init__(self):
        super().__init__()
        self._memos = []  # weakrefs to the primals whose ufunc results are memoized

    def __exit__(self, *exc):
        for ref in self._memos:
            p = ref()
            if p is not None:
                p._memo = None
        self._memos = []
        return super().__exit__(*exc)

    def _memoize(self, p):
        """Memoize ufunc results on the primal ``p`` of a tracer that requires grad (see
        ``primitive._memoized``): the reverse graph keeps such a tracer, and so ``p``,
        alive anyway, and its backward pass recomputes the derivatives the forward computed."""
        if type(p) is Tensor and p._memo is None and not p._rg:
            p._memo = {}
            self._memos.append(weakref.ref(p))

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
                if a._rg:
                    self._memoize(a.primal)
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
    ``(out, aux)`` and the result is ``(out, tangent_out, aux)``.  Called on NumPy arrays
    or Python scalars, it returns NumPy arrays.

    Example::

        >>> wg.jvp(np.sin, (0.0,), (2.0,))   # wnp.sin; plain numpy.sin dispatches too
        (array(0.), array(2.))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (or lists) of arguments, "
                        "e.g. jvp(f, (x,), (v,)).")
    p_leaves, p_td = tree_flatten(tuple(primals))
    t_leaves, t_td = tree_flatten(tuple(tangents))
    if p_td != t_td:
        raise TreeError(f"jvp: primals have structure {p_td} but tangents have structure "
                        f"{t_td}; give one tangent per primal, with the same containers.")
    plain = not any(isinstance(x, Tensor) for x in p_leaves)
    with JVPTrace() as trace:
        start = trace.level
        ins = []
        for k, (p0, t) in enumerate(zip(p_leaves, t_leaves)):
            p = as_tensor(p0)
            t = as_tensor(t)
            if t.shape != p.shape:
                raise ShapeError(f"jvp: tangent leaf {k} has shape {t.shape} but its primal "
                                 f"has shape {p.shape}; they must match.")
            if is_differentiable_dtype(p.dtype):
                check_inexact(t, "jvp", "tangent")
                ins.append(trace.new(p, t))
            else:
                # integer/bool primals have no tangent: pass them as given (a Python int
                # keeps NumPy's weak scalar promotion)
                ins.append(p0)
        out = fun(*p_td.unflatten(ins))
        aux = None
        if has_aux:
            try:
                out, aux = out
            except (TypeError, ValueError):
                raise TypeError("jvp(..., has_aux=True): the function must return a pair "
                                f"(output, aux), but it returned {type(out).__name__}.") \
                    from None
        o_leaves, o_td = tree_flatten(out)
        pairs = []
        for o in o_leaves:
            p, t = _split(o, trace)
            p = as_tensor(p)
            if t is None:
                t = _zeros_like(p)
            pairs.append((p, t))
    internal = (start, new_level())
    po, to = [], []
    for p, t in pairs:
        po.append(to_output(_unhook(p, internal), plain))
        to.append(to_output(_unhook(t, internal), plain))
    res = (o_td.unflatten(po), o_td.unflatten(to))
    if has_aux:
        a_leaves, a_td = tree_flatten(aux)
        # aux values carry no tangent: return their primals (JAX semantics)
        aux = a_td.unflatten([to_output(_unhook(as_tensor(_split(a, trace)[0]), internal), plain)
                              if isinstance(a, Tensor) else a for a in a_leaves])
        return res + (aux,)
    return res


def _unhook(x, internal):
    """Detach ``x`` from reverse-mode graphs that only reach leaves created inside the
    transform call (no enclosing computation can ask for their gradient)."""
    if x._rg and not reaches_outside([x], internal):
        return x.detach()
    return x


def linearize(fun, *primals):
    """``(fun(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is the JVP of ``fun`` at
    ``primals``, linear in ``tangents`` (same structure as ``primals``).

    Each ``jvp_fn`` call evaluates ``fun`` again together with its tangent (forward mode),
    so ``fun`` should be pure.
    """
    out = jvp(fun, primals, tuple(_tree_zeros(p) for p in primals))[0]

    def jvp_fn(*tangents):
        if len(tangents) != len(primals):
            raise TreeError(f"linearize: jvp_fn takes {len(primals)} tangent(s), one per "
                            f"primal, but got {len(tangents)}.")
        return jvp(fun, primals, tangents)[1]

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

    Returns the level (an int) from ``__enter__``.  Levels nest (forward-over-forward),
    unlike PyTorch: each level is its own perturbation, so ``make_dual`` in an inner level
    on a tensor that already carries an outer tangent gives mixed second derivatives
    (unpack the inner tangent, then unpack that at the outer level).  On exit, the level's
    tangents are dropped: its dual tensors behave as their primals.

    Example::

        >>> with forward_ad.dual_level():
        ...     x = forward_ad.make_dual(wg.tensor(2.0), wg.tensor(1.0))
        ...     forward_ad.unpack_dual(x ** 3).tangent
        tensor(12.)
    """

    def __enter__(self):
        self.trace = JVPTrace().__enter__()
        _dual_stack().append(self.trace)
        return self.trace.level

    def __exit__(self, *exc):
        st = _dual_stack()
        if self.trace in st:
            st.remove(self.trace)
        self.trace.__exit__(*exc)
        return False


def _level_trace(level, api):
    st = _dual_stack()
    if not st:
        raise GradientError(f"{api} needs an active dual level: use `with "
                            "wg.autograd.forward_ad.dual_level(): ...` around it.")
    if level is None:
        return st[-1]
    for t in st:
        if t.level == level:
            return t
    raise GradientError(f"{api}: dual level {level!r} is not active (active levels: "
                        f"{[t.level for t in st]}); pass a level returned by an enclosing "
                        "dual_level(), or omit level= for the innermost one.")


def _live(x):
    """``x`` with the tracers of ended traces replaced by their primals."""
    while isinstance(x, Tracer) and not x._trace.active:
        x = x._lower()
    return x


def _split_level(x, trace):
    """``(x without trace's tangent, x's tangent at trace or None)``.

    Tracers of inner (higher) levels wrap values that may carry ``trace``'s tangent; the
    tangent of such a value is itself perturbed at the inner level by the mixed term.
    """
    x = _live(x)
    if not isinstance(x, JVPTracer):
        return x, None
    if x._trace is trace:
        return x.primal, x.tangent
    if x._trace.level < trace.level:
        return x, None
    p, tp = _split_level(x.primal, trace)
    tt, mixed = _split_level(x.tangent, trace)
    if tp is None and mixed is None:
        return x, None
    if tp is None:
        tp = _zeros_like(p)
    inner = x._trace
    return JVPTracer(inner, p, tt), inner.new(tp, mixed)


def _attach(x, trace, tangent):
    """``x`` with its tangent at ``trace`` set to ``tangent`` (below any inner levels)."""
    x = _live(x)
    if isinstance(x, JVPTracer) and x._trace.level > trace.level:
        return JVPTracer(x._trace, _attach(x.primal, trace, tangent), x.tangent)
    if isinstance(x, JVPTracer) and x._trace is trace:
        x = x.primal  # replace the tangent this level had
    d = JVPTracer(trace, x, fit_tangent(tangent, x.shape, x.dtype))
    if x._rg and state.grad_enabled:
        # reverse mode through dual tensors: record an identity step on the dual tensor
        # itself, so ``backward``/``autograd.grad`` from its results reach ``x`` and the
        # backward pass runs on dual tensors (forward-over-reverse, e.g. Hessian-vector
        # products, imperatively)
        d = _record_alias(x, d)
    return d


def _record_alias(x, d):
    from .._core.graph import record
    from .reverse import alias_p
    return record(alias_p, (x,), {}, d)


def make_dual(tensor, tangent, *, level=None):
    """A dual tensor: ``tensor`` with forward-mode tangent ``tangent`` at dual level ``level``
    (default: the innermost active one).

    ``tensor`` must have a floating-point (or complex) dtype and ``tangent`` its shape.  A
    tensor that already has a tangent at this level gets the new one.  If ``tensor``
    requires grad, ``backward`` and ``autograd.grad`` work through the dual tensor's results,
    and the gradients they return carry tangents too (forward-over-reverse).
    """
    trace = _level_trace(level, "make_dual")
    p = as_tensor(tensor)
    t = as_tensor(tangent)
    check_inexact(p, "make_dual", "primal")
    if t.shape != p.shape:
        raise ShapeError(f"make_dual: the tangent has shape {t.shape} but the primal has shape "
                         f"{p.shape}; they must match.")
    check_inexact(t, "make_dual", "tangent")
    tl = _live(t)
    if isinstance(tl, JVPTracer) and tl._trace.level > trace.level:
        raise GradientError(
            "make_dual: the tangent carries a tangent of an inner dual level (it is a dual "
            f"tensor at level {tl._trace.level}); attaching it at the outer level "
            f"{trace.level} is not supported. Unpack it first (unpack_dual(t).primal).")
    return _attach(p, trace, t)


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

    def __repr__(self):
        return f"UnpackedDualTensor(primal={self[0]!r}, tangent={self[1]!r})"


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of ``tensor`` at dual level ``level`` (default: innermost).

    ``tangent`` is None when ``tensor`` has no tangent at that level; ``primal`` keeps the
    tangents of the other levels.  Outside every dual level, returns ``(tensor, None)``.
    """
    if level is None and not _dual_stack():
        return UnpackedDualTensor(_live(tensor), None)
    trace = _level_trace(level, "unpack_dual")
    if not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    p, t = _split_level(tensor, trace)
    return UnpackedDualTensor(p, t)
