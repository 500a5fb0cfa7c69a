"""Primitive: one record per differentiable operation, and ``bind``, the single dispatch point.

A primitive holds its NumPy implementation and its rules side by side:

* ``impl(*arrays, **params) -> ndarray`` (a tuple if ``multiple_results``);
* ``vjp(needs, g, out, *args, **params) -> tuple`` of cotangents, one per positional
  argument (``None`` = zero or not needed; ``needs[i]`` says whether arg ``i`` wants one);
* ``jvp(tangents, out, *args, **params) -> tangent`` (``tangents[i] is None`` = zero);
* ``batch`` and ``taylor`` rules, read by the vmap and jet transforms.

Rules are written with ``wengert.numpy`` operations, so they are differentiable themselves.
Arrays are passed positionally, everything else (axes, shapes, dtypes) by keyword.
"""
from __future__ import annotations

import numpy as np

from .state import state
from .tensor import Tensor, is_differentiable_dtype


class Primitive:
    __slots__ = ("name", "impl", "vjp", "jvp", "batch", "taylor", "multiple_results",
                 "nondiff", "zero_deriv", "save_args", "save_out", "linear", "doc",
                 "symbolic_zeros", "accepts_out", "raw_vjp", "vjp_reads_inputs",
                 "passes_cotangent")

    def __init__(self, name, impl, *, vjp=None, jvp=None, batch=None, taylor=None,
                 multiple_results=False, nondiff=False, zero_deriv=False,
                 save_args=True, save_out=False, linear=False):
        self.name = name
        self.impl = impl
        self.vjp = vjp
        self.jvp = jvp
        self.batch = batch
        self.taylor = taylor
        self.multiple_results = multiple_results
        self.nondiff = nondiff          # output never carries a derivative (comparisons, argmax)
        self.zero_deriv = zero_deriv    # derivative is identically zero (floor, round, sign)
        self.save_args = save_args      # the vjp rule reads the input values
        self.save_out = save_out        # the vjp rule reads the output value
        self.linear = linear
        # multiple_results: pass None (not zeros) for outputs that received no cotangent
        self.symbolic_zeros = False
        # impl takes out= (an elementwise result jit may write into a dead buffer)
        self.accepts_out = isinstance(impl, np.ufunc)
        # the vjp rule may run on bare ndarrays when nothing is recorded (a fast path;
        # set for rules known to use only wengert.numpy functions and NumPy-compatible
        # methods)
        self.raw_vjp = False
        # with save_args=False the rule still gets shape/dtype stand-ins for its inputs,
        # unless it declares it never reads them (elementwise ops with constant derivatives)
        self.vjp_reads_inputs = True
        # the VJP hands the output's cotangent unchanged to every input whose shape and dtype
        # are the output's (add): the raw backward loop then routes it without the rule
        self.passes_cotangent = False
        PRIMITIVES[name] = self

    def __repr__(self):
        return f"Primitive({self.name})"

    def __call__(self, *args, **params):
        return bind(self, *args, **params)


PRIMITIVES: dict[str, Primitive] = {}

# Set by graph.py (avoids an import cycle); records a reverse-mode node for one application.
_record = None
_record1 = _record2 = None  # graph.record1/record2 (fast paths of record)
# Optional observer (make_trace / the chapter's tables): called as fn(prim, args, params, out).
_observers: list = []


def _lower(x):
    """Replace a tracer whose trace has ended by its primal (recursively)."""
    while x._trace is not None and not x._trace.active:
        x = x._lower()
    return x


def find_top_trace(args):
    top = None
    for a in args:
        tr = getattr(a, "_trace", None)
        if tr is not None and tr.active and (top is None or tr.level > top.level):
            top = tr
    return top


def bind(prim: Primitive, *args, **params):
    """Apply ``prim`` to ``args``: through the innermost active trace that owns an argument,
    else with NumPy; then record a reverse-mode node if any argument requires grad."""
    st = state
    if st.raw:  # inside an unrecorded VJP rule on concrete values: plain NumPy
        if len(args) == 2:
            a, b = args
            return prim.impl(a._value if isinstance(a, Tensor) else a,
                             b._value if isinstance(b, Tensor) else b, **params)
        return prim.impl(*[a._value if isinstance(a, Tensor) else a for a in args], **params)
    if st.traces:
        if any(getattr(a, "_trace", None) is not None for a in args):
            args = tuple(_lower(a) if isinstance(a, Tensor) else a for a in args)
        top = find_top_trace(args)
        if top is not None:
            out = top.process(prim, args, params)
        else:
            out = _eager(prim, args, params)
    else:
        out = _eager(prim, args, params)
    if st.grad_enabled and not prim.nondiff:
        for a in args:
            if isinstance(a, Tensor) and a._rg:
                out = _record(prim, args, params, out)
                break
    if _observers:
        for fn in _observers:
            fn(prim, args, params, out)
    return out


_new = object.__new__
_ndarray = np.ndarray
_NO_PARAMS = {}  # the params of every node the fast paths record (never mutated)


def call1(prim, x, convert):
    """``bind(prim, convert(x))`` for the public wrapper of a unary primitive, with the
    commonest cases inline: a plain tensor outside every transform, and a bare ndarray
    inside a raw VJP rule (see graph.Node._apply_raw)."""
    st = state
    if type(x) is Tensor and not st.traces and not st.raw:
        raw = prim.impl(x._value)
        out = _new(Tensor)
        out._value = raw if type(raw) is _ndarray else np.asarray(raw)
        if x._rg and st.grad_enabled and not prim.nondiff:
            args = (x,)
            out = _record1(prim, x, args, _NO_PARAMS, out)
        if _observers:
            for fn in _observers:
                fn(prim, (x,), {}, out)
        return out
    if st.raw and type(x) is _ndarray:
        return prim.impl(x)
    return bind(prim, convert(x))


def call2(prim, a, b, convert):
    """``bind(prim, convert(a), convert(b))`` for the public wrapper of a binary primitive,
    with the commonest cases inline (plain tensors and Python numbers outside every
    transform; bare values inside a raw VJP rule)."""
    st = state
    ta = type(a)
    tb = type(b)
    if ((ta is Tensor or ta is float or ta is int) and (tb is Tensor or tb is float or tb is int)
            and not st.traces and not st.raw):
        raw = prim.impl(a._value if ta is Tensor else a, b._value if tb is Tensor else b)
        out = _new(Tensor)
        out._value = raw if type(raw) is _ndarray else np.asarray(raw)
        if (((ta is Tensor and a._rg) or (tb is Tensor and b._rg)) and st.grad_enabled
                and not prim.nondiff):
            out = _record2(prim, a, b, ta, tb, (a, b), _NO_PARAMS, out)
        if _observers:
            for fn in _observers:
                fn(prim, (a, b), {}, out)
        return out
    if st.raw and not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return prim.impl(a, b)
    return bind(prim, convert(a), convert(b))


def _eager(prim, args, params):
    if len(args) == 1:  # the common arities without a list comprehension
        a = args[0]
        if isinstance(a, Tensor):
            if (a._memo is not None and not params and prim.accepts_out
                    and not prim.multiple_results):
                return _memoized(prim, a)
            raw = prim.impl(a._value, **params)
        else:
            raw = prim.impl(a, **params)
    elif len(args) == 2:
        a, b = args
        raw = prim.impl(a._value if isinstance(a, Tensor) else a,
                        b._value if isinstance(b, Tensor) else b, **params)
    else:
        raw = prim.impl(*[a._value if isinstance(a, Tensor) else a for a in args], **params)
    if prim.multiple_results:
        return tuple(Tensor._wrap(r) for r in raw)
    t = _new(Tensor)  # Tensor._wrap, inlined
    t._value = raw if type(raw) is _ndarray else np.asarray(raw)
    return t


def _memoized(prim, a):
    """``prim(a)`` for a ufunc primitive, computed once per value of ``a``.

    Forward-over-reverse (``jvp(grad(f))``, ``hvp``) evaluates the same derivative twice: the
    JVP rule of ``sin`` computes ``cos(x)`` in the forward pass, and the VJP rule computes
    ``cos(x)`` again in the backward pass, whose JVP needs ``sin(x)`` (the forward's output)
    once more.  ``JVPTrace`` switches this memo on for the primals of tracers that the reverse
    graph saves anyway (and off when it ends), so each transcendental runs once.  A hit is a
    fresh Tensor on the same ndarray: in-place updates rebind a Tensor's value and never
    write into a shared array, and a rebound input (``a._value is not`` the memo's) misses.
    """
    memo = a._memo
    v = a._value
    hit = memo.get(prim)
    if hit is not None and hit[0] is v:
        raw = hit[1]
    else:
        raw = prim.impl(v)
        if type(raw) is not _ndarray:
            raw = np.asarray(raw)
        memo[prim] = (v, raw)
    t = _new(Tensor)
    t._value = raw
    return t


def differentiable(x) -> bool:
    return isinstance(x, Tensor) and is_differentiable_dtype(x.dtype)


def aval_of(x):
    """(shape, dtype) of a tensor, array or Python scalar."""
    if isinstance(x, Tensor):
        return x.shape, x.dtype
    a = np.asarray(x)
    return a.shape, a.dtype
