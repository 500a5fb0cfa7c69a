"""The reverse-mode graph: Node (a ``grad_fn``), AccumulateGrad, toposort and the backward pass.

Every ``bind`` whose arguments require grad records one Node on the objects the caller sees
(tensors or tracers).  ``Tensor.backward``, ``wg.autograd.grad`` and the functional
``wg.grad``/``wg.vjp`` all run ``backward_pass`` below, so the two faces of the library share
one engine.  The graph has no reference cycles: a node refers to its inputs' nodes and saved
inputs, never to its own outputs (saved outputs are stored as detached aliases).
"""
from __future__ import annotations

import heapq
import itertools
import sys
import weakref

import numpy as np

from .._errors import (
    GradientError,
    GradientShapeError,
    InplaceError,
    NonScalarOutputError,
    ShapeError,
)
from . import memory as _memory
from . import primitive as _prim
from .state import lib, state
from .tensor import Tensor, _RemovableHandle, own_gradient


class Aval:
    """Shape and dtype of an input whose value the VJP rule does not need."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self):
        return f"Aval({self.shape}, {self.dtype})"


def _camel(name):
    return "".join(p[:1].upper() + p[1:] for p in name.strip("_").split("_"))


class Node:
    """A recorded operation (PyTorch's ``grad_fn``).

    ``next_functions`` is a tuple of ``(node, output_nr)`` pairs, one per input, with
    ``(None, 0)`` for inputs that do not require grad.
    """

    # Set on every node; the rarely used fields below are class-level defaults that an
    # instance shadows only when it needs them (its __dict__ is created on first use).
    __slots__ = ("prim", "params", "next_functions", "needs", "in_avals", "saved", "versions",
                 "saved_out", "out_avals", "min_birth", "seq", "__dict__", "__weakref__")
    _pre_hooks = None   # {output_nr or -1: [hook]}
    _hooks = None       # [hook(grad_inputs, grad_outputs)]
    metadata = None     # memory tracking records (see memory.py)

    @property
    def _freed(self):
        """Whether ``release`` ran (saved values are gone)."""
        return self.versions is None

    def name(self) -> str:
        info = self.params.get("info") if isinstance(self.params, dict) else None
        if info is not None and hasattr(info, "name"):
            return _camel(info.name) + "Backward"  # a user-defined rule: MyFunctionBackward
        return _camel(self.prim.name) + "Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def n_outputs(self):
        return len(self.out_avals)

    # -- hooks ---------------------------------------------------------------------------
    def _add_pre_hook(self, output_nr, hook, retain=False):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, [])
        if retain:
            hooks.append(hook)
        else:
            # user hooks run before the retain_grad hook, as in PyTorch
            n_retain = sum(1 for h in hooks if getattr(h, "__name__", "") == "_retain")
            hooks.insert(len(hooks) - n_retain, hook)
        return _RemovableHandle(hooks, hook)

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)`` after this node ran; may return new grad_inputs."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _RemovableHandle(self._hooks, hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs)`` before this node runs; may return new grad_outputs."""
        return self._add_pre_hook(-1, hook)

    # -- saved values ----------------------------------------------------------------------
    @property
    def saved_tensors(self):
        self._check_alive()
        return tuple(a for a in (self.saved or ()) if isinstance(a, Tensor))

    def _check_alive(self):
        if self._freed:
            raise GradientError(
                f"Trying to backward through the graph a second time (through {self.name()}), "
                "or to read its saved values after they were freed. Saved values are freed "
                "when you call .backward() or autograd.grad(). Pass retain_graph=True to the "
                "first call if you need to backward through the graph again.")

    def _inplace_error(self, a, v):
        raise InplaceError(
            f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: a tensor of shape {a.shape} and dtype {a.dtype}, saved by "
            f"{self.name()}, is at version {a._version}; expected version {v}. Use an "
            f"out-of-place operation (x = x + 1 instead of x += 1) or .clone() the tensor "
            f"before modifying it.")

    def release(self):
        if self.metadata:
            _memory.on_release(self)
        self.saved = None
        self.saved_out = None
        self.versions = None  # marks the node freed

    def apply(self, buf, create_graph):
        """Run the VJP rule on the accumulated output cotangents ``buf``; return one
        cotangent per input (None where zero or not needed), shaped and typed like it."""
        if self._freed:
            self._check_alive()
        prim = self.prim
        n_in = len(self.needs)
        if prim.zero_deriv:  # zeros, not None: as PyTorch, floor(x).sum().backward() sets
            # x.grad to zeros (a symbolic zero would leave .grad unset)
            return tuple(lib.zeros(s, d) if need else None
                         for need, (s, d) in zip(self.needs, self.in_avals))
        # the fast path (rule on bare ndarrays) needs: nothing recorded, concrete values only
        raw = prim.raw_vjp and not create_graph and not state.traces
        saved = self.saved
        if saved is not None:
            args = saved
            raw_args = []
            for a, v in zip(saved, self.versions):
                if isinstance(a, Tensor):
                    if a._version != v:
                        self._inplace_error(a, v)
                    if raw:
                        if type(a) is Tensor:
                            raw_args.append(a._value)
                        else:
                            raw = False
                elif raw:
                    raw_args.append(a)
        elif prim.vjp_reads_inputs:
            args = raw_args = [Aval(s, d) for s, d in self.in_avals]
        else:  # e.g. add: constant local derivatives, the rule never looks at its inputs
            args = raw_args = (None,) * n_in
        out = None
        saved_out = self.saved_out
        if saved_out is not None:
            # the fast record paths save an output as its bare ndarray (no cycle either way)
            saved_out = [Tensor._wrap(o) if type(o) is _ndarray else o for o in saved_out]
            if create_graph:
                outs = []
                for i, o in enumerate(saved_out):
                    if isinstance(o, Tensor):
                        o = o._alias()
                        o._rg = True
                        o.grad_fn = self
                        o._output_nr = i
                    outs.append(o)
                out = tuple(outs) if prim.multiple_results else outs[0]
            else:
                out = tuple(saved_out) if prim.multiple_results else saved_out[0]
        if prim.multiple_results:
            raw = False
            g = tuple(buf) if prim.symbolic_zeros else tuple(
                b if b is not None else lib.zeros(s, d) for b, (s, d) in zip(buf, self.out_avals))
        else:
            g = buf[0]
        if prim.vjp is None:
            raise GradientError(f"primitive {prim.name!r} has no reverse-mode (VJP) rule")
        if raw and type(g) is Tensor and (out is None or type(out) is Tensor):
            # every value is concrete and nothing is recorded: run the rule on bare ndarrays
            # (bind returns ndarrays while state.raw is set)
            state.raw = True
            try:
                cts = prim.vjp(self.needs, g._value, None if out is None else out._value,
                               *raw_args, **self.params)
            finally:
                state.raw = False
            cts = [c if c is None or isinstance(c, Tensor) else Tensor._wrap(np.asarray(c))
                   for c in cts]
        else:
            cts = prim.vjp(self.needs, g, out, *args, **self.params)
        if len(cts) != n_in:
            raise GradientError(f"VJP rule of {prim.name!r} returned {len(cts)} cotangents "
                                f"for {n_in} inputs")
        result = []
        for need, ct, (shape, dtype) in zip(self.needs, cts, self.in_avals):
            if not need or ct is None:
                result.append(None)
            elif type(ct) is Tensor and ct._value.shape == shape and ct._value.dtype == dtype:
                result.append(ct)  # the common case: nothing to undo
            else:
                result.append(fit_cotangent(ct, shape, dtype))
        return result


    def _apply_raw(self, g):
        """``apply`` for the raw backward loop: the rule runs on bare ndarrays (``state.raw``
        is set) and returns ndarrays fitted to the inputs; None when this node needs the
        general path (a saved value is a tracer).  Only for single-output primitives with
        ``raw_vjp`` set.  Written for speed: this is the inner loop of every eager
        gradient (one and two saved inputs are called without building an argument list)."""
        saved_out = self.saved_out
        if saved_out is None:
            out = None
        else:
            out = saved_out[0]
            if type(out) is not _ndarray:
                if type(out) is not Tensor:
                    return None
                out = out._value
        prim = self.prim
        rule = prim.raw_vjp
        if rule is True:
            rule = prim.vjp
        needs = self.needs
        params = self.params
        saved = self.saved
        n_saved = -1 if saved is None else len(saved)
        if n_saved == 1:
            a = saved[0]
            if type(a) is Tensor:
                if a._version != self.versions[0]:
                    self._inplace_error(a, self.versions[0])
                a = a._value
            elif isinstance(a, Tensor):
                return None
            cts = rule(needs, g, out, a, **params) if params else rule(needs, g, out, a)
        elif n_saved == 2:
            a, b = saved
            if type(a) is Tensor:
                if a._version != self.versions[0]:
                    self._inplace_error(a, self.versions[0])
                a = a._value
            elif isinstance(a, Tensor):
                return None
            if type(b) is Tensor:
                if b._version != self.versions[1]:
                    self._inplace_error(b, self.versions[1])
                b = b._value
            elif isinstance(b, Tensor):
                return None
            cts = (rule(needs, g, out, a, b, **params) if params
                   else rule(needs, g, out, a, b))
        elif saved is None and not prim.vjp_reads_inputs and self.versions is not None:
            # a rule that reads no inputs: tanh (its output), add (constant derivatives)
            n_in = len(needs)
            if n_in == 1:
                cts = rule(needs, g, out, None, **params) if params else rule(needs, g, out, None)
            elif n_in == 2:
                cts = (rule(needs, g, out, None, None, **params) if params
                       else rule(needs, g, out, None, None))
            else:
                cts = rule(needs, g, out, *((None,) * n_in), **params)
        else:
            if saved is not None:
                args = []
                for a, v in zip(saved, self.versions):
                    if type(a) is Tensor:
                        if a._version != v:
                            self._inplace_error(a, v)
                        args.append(a._value)
                    elif isinstance(a, Tensor):
                        return None
                    else:
                        args.append(a)
            elif self.versions is None:
                self._check_alive()
            else:  # (the rule reads its inputs' shapes and dtypes)
                args = [Aval(s, d) for s, d in self.in_avals]
            cts = rule(needs, g, out, *args, **params) if params else rule(needs, g, out, *args)
        if len(cts) != len(needs):
            raise GradientError(f"VJP rule of {prim.name!r} returned {len(cts)} cotangents "
                                f"for {len(needs)} inputs")
        if len(cts) == 1:
            ct = cts[0]
            if ct is not None:
                shape, dtype = self.in_avals[0]
                if type(ct) is not _ndarray:
                    ct = _raw_value(ct)
                elif ct.shape == shape and (ct.dtype is dtype or ct.dtype == dtype):
                    return cts  # the common case: nothing to undo
                if ct.shape != shape or (ct.dtype is not dtype and ct.dtype != dtype):
                    ct = _raw_value(fit_cotangent(Tensor._wrap(ct), shape, dtype))
                return (ct,)
            return cts
        in_avals = self.in_avals
        if len(cts) == 2:
            c0, c1 = cts
            a0, a1 = in_avals
            if ((c0 is None or (type(c0) is _ndarray and c0.shape == a0[0]
                                and c0.dtype is a0[1]))
                    and (c1 is None or (type(c1) is _ndarray and c1.shape == a1[0]
                                        and c1.dtype is a1[1]))):
                return cts  # the common case: nothing to undo
        result = []
        for ct, (shape, dtype) in zip(cts, in_avals):
            if ct is not None:
                if type(ct) is not _ndarray:
                    ct = _raw_value(ct)
                if ct.shape != shape or (ct.dtype is not dtype and ct.dtype != dtype):
                    ct = _raw_value(fit_cotangent(Tensor._wrap(ct), shape, dtype))
            result.append(ct)
        return result


def fit_cotangent(ct, shape, dtype):
    """Sum a cotangent over broadcast axes and cast it to the input's dtype: the one place
    where broadcasting and type promotion are undone in reverse mode."""
    if not isinstance(ct, Tensor):
        ct = Tensor._wrap(np.asarray(ct))
    if ct.shape != shape:
        ct = lib.sum_to_shape(ct, shape)
    if ct.dtype != dtype:
        if np.issubdtype(ct.dtype, np.complexfloating) and not np.issubdtype(
                dtype, np.complexfloating):
            ct = lib.real(ct)
        if ct.dtype != dtype:
            ct = lib.astype(ct, dtype)
    return ct


class AccumulateGrad(Node):
    """The node of a leaf tensor that requires grad: writes the gradient into ``.grad``."""

    __slots__ = ("variable",)

    def name(self):
        return "AccumulateGrad"


def _new_node(cls):
    return object.__new__(cls)


def accumulator(t: Tensor) -> AccumulateGrad:
    acc = t._accum() if t._accum is not None else None
    if acc is None:
        acc = _new_node(AccumulateGrad)
        acc.variable = t
        acc.seq = _next_seq()
        acc.min_birth = _NO_BIRTH
        acc.prim = None
        acc.params = {}
        acc.next_functions = ()
        acc.needs = ()
        acc.in_avals = ()
        acc.saved = None
        acc.versions = ()
        acc.saved_out = None
        acc.out_avals = ((t.shape, t.dtype),)
        t._accum = weakref.ref(acc)
    return acc


def edge_of(t: Tensor):
    """The (node, output_nr) a cotangent for ``t`` flows into."""
    if t.grad_fn is not None:
        return t.grad_fn, t._output_nr
    return accumulator(t), 0


_NO_EDGE = (None, 0)
# creation order: a node's inputs' nodes were all created before it, so decreasing ``seq`` is
# a topological order of any graph (the raw backward loop schedules by it, without a sort)
_next_seq = itertools.count().__next__
_NO_BIRTH = float("inf")
_SCALAR_AVALS = {float: ((), np.dtype(np.float64)), int: ((), np.dtype(np.int64)),
                 bool: ((), np.dtype(np.bool_)), complex: ((), np.dtype(np.complex128))}


def _edges(args):
    """(next_functions, needs, in_avals, min_birth) of a node with these inputs; min_birth is
    the earliest ``_birth`` of any leaf in the graph above (a cheap "does this graph reach
    outside a transform call" test for functional grad)."""
    edges, needs, avals = [], [], []
    mb = _NO_BIRTH
    for a in args:
        if isinstance(a, Tensor):
            if type(a) is Tensor:
                v = a._value
                avals.append((v.shape, v.dtype))
            else:
                avals.append((a.shape, a.dtype))
            if a._rg:
                gf = a.grad_fn
                if gf is not None:
                    edges.append((gf, a._output_nr))
                    b = gf.min_birth
                else:
                    edges.append((accumulator(a), 0))
                    b = a._birth
                if b < mb:
                    mb = b
                needs.append(True)
                continue
        else:
            av = _SCALAR_AVALS.get(type(a))
            avals.append(av if av is not None else _prim.aval_of(a))
        edges.append(_NO_EDGE)
        needs.append(False)
    return tuple(edges), tuple(needs), tuple(avals), mb


def _aval_of_input(a, av):
    """(shape, dtype) of the tensor ``a`` with value ``av``: its producer's tuple when it has
    one (shared, see record1), else a new one."""
    gf = a.grad_fn
    if gf is not None:
        oa = gf.out_avals
        nr = a._output_nr
        if nr < len(oa):
            aval = oa[nr]
            if aval[1] is av.dtype and aval[0] == av.shape:
                return aval
    elif a._accum is not None:  # a leaf used before: its AccumulateGrad's tuple
        acc = a._accum()
        if acc is not None:
            aval = acc.out_avals[0]
            if aval[1] is av.dtype and aval[0] == av.shape:
                return aval
    return (av.shape, av.dtype)


def _edge1(a):
    """(edge, min_birth) of an input that requires grad."""
    gf = a.grad_fn
    if gf is not None:
        return (gf, a._output_nr), gf.min_birth
    return (accumulator(a), 0), a._birth


_TRUE1 = (True,)
_NEEDS2 = (((False, False), (False, True)), ((True, False), (True, True)))
_V0 = (0,)
_V00 = (0, 0)


def record(prim, args, params, out):
    """Attach a Node for ``prim(*args)`` to its output(s)."""
    if type(out) is Tensor and not prim.multiple_results and out.grad_fn is None \
            and not out._rg:
        n = len(args)
        if n == 1 and type(args[0]) is Tensor:
            return record1(prim, args[0], args, params, out)
        if n == 2:
            a, b = args
            ta, tb = type(a), type(b)
            if ((ta is Tensor or ta is float or ta is int)
                    and (tb is Tensor or tb is float or tb is int)):
                return record2(prim, a, b, ta, tb, args, params, out)
    return _record(prim, args, params, out)


# record1/record2: the commonest cases (a fresh single output; one plain tensor that
# requires grad, or two plain tensors / Python numbers) without the general loops.  They are
# also called directly by primitive.call1/call2, the eager fast paths of the op wrappers.
def record1(prim, a, args, params, out):
    v = out._value
    if v.dtype.kind not in "fc":
        return out
    save_out = prim.save_out
    if save_out is not True and save_out:  # a selection of outputs (custom rules)
        return _record(prim, args, params, out)
    av = a._value
    node = _new(Node)
    node.seq = _next_seq()
    node.prim = prim
    node.params = params
    shape = av.shape
    dtype = av.dtype
    gf = a.grad_fn
    if gf is not None:
        node.next_functions = ((gf, a._output_nr),)
        node.min_birth = gf.min_birth
        # the producer's aval tuples, shared (fewer objects for the cyclic garbage collector
        # to count and traverse while the graph grows)
        oa = gf.out_avals
        if len(oa) == 1 and oa[0][1] is dtype and oa[0][0] == shape:
            avals = oa
        else:
            avals = ((shape, dtype),)
    else:
        node.next_functions = ((accumulator(a), 0),)
        node.min_birth = a._birth
        avals = ((shape, dtype),)
    node.in_avals = avals
    node.needs = _TRUE1
    if prim.save_args:
        node.saved = args
        version = a._version
        node.versions = _V0 if version == 0 else (version,)
    else:
        node.saved = None
        node.versions = ()
    # an elementwise result has its input's aval: shared again
    node.out_avals = avals if v.shape == shape and v.dtype is dtype else ((v.shape, v.dtype),)
    node.saved_out = (v,) if save_out else None
    if _memory._trackers:
        _memory.on_record(node)
    out._rg = True
    out.grad_fn = node
    return out


def record2(prim, a, b, ta, tb, args, params, out):
    v = out._value
    if v.dtype.kind not in "fc":
        return out
    save_out = prim.save_out
    if save_out is not True and save_out:
        return _record(prim, args, params, out)
    mb = _NO_BIRTH
    oa_a = None  # a's producer's out_avals (shared by an elementwise result below)
    # each input: _edge1 and _aval_of_input inlined for the common kinds (a result that
    # requires grad, a constant tensor, a leaf seen before)
    if ta is Tensor:
        av = a._value
        gf = a.grad_fn
        if gf is not None and a._rg:
            nr = a._output_nr
            ea = (gf, nr)
            mb = gf.min_birth
            oa_a = gf.out_avals
            aval_a = oa_a[nr] if nr < len(oa_a) else None
            if aval_a is None or aval_a[1] is not av.dtype or aval_a[0] != av.shape:
                aval_a = (av.shape, av.dtype)
        elif not a._rg:
            aval_a = (av.shape, av.dtype)
            ea = _NO_EDGE
        else:
            aval_a = _aval_of_input(a, av)
            ea, mb = _edge1(a)
    else:
        aval_a = _SCALAR_AVALS[ta]
        ea = _NO_EDGE
    if tb is Tensor:
        bv = b._value
        gf = b.grad_fn
        if gf is not None and b._rg:
            nr = b._output_nr
            eb = (gf, nr)
            if gf.min_birth < mb:
                mb = gf.min_birth
            oa = gf.out_avals
            aval_b = oa[nr] if nr < len(oa) else None
            if aval_b is None or aval_b[1] is not bv.dtype or aval_b[0] != bv.shape:
                aval_b = (bv.shape, bv.dtype)
        elif not b._rg:
            aval_b = (bv.shape, bv.dtype)
            eb = _NO_EDGE
        else:
            acc = b._accum
            if gf is None and acc is not None and acc() is not None:
                # a leaf seen before (a weight used at every step): its AccumulateGrad's
                # edge and aval
                acc = acc()
                eb = (acc, 0)
                if b._birth < mb:
                    mb = b._birth
                aval_b = acc.out_avals[0]
                if aval_b[1] is not bv.dtype or aval_b[0] != bv.shape:
                    aval_b = (bv.shape, bv.dtype)
            else:
                aval_b = _aval_of_input(b, bv)
                eb, mb_b = _edge1(b)
                if mb_b < mb:
                    mb = mb_b
        if aval_b is not aval_a and aval_b == aval_a:
            aval_b = aval_a
    else:
        aval_b = _SCALAR_AVALS[tb]
        eb = _NO_EDGE
    node = _new(Node)
    node.seq = _next_seq()
    node.prim = prim
    node.params = params
    node.min_birth = mb
    node.next_functions = (ea, eb)
    node.needs = _NEEDS2[ea is not _NO_EDGE][eb is not _NO_EDGE]
    node.in_avals = (aval_a, aval_b)
    if prim.save_args:
        node.saved = args
        va = a._version if ta is Tensor else 0
        vb = b._version if tb is Tensor else 0
        node.versions = _V00 if va == 0 and vb == 0 else (va, vb)
    else:
        node.saved = None
        node.versions = ()
    shape = v.shape
    dtype = v.dtype
    if shape == aval_a[0] and dtype is aval_a[1]:  # shared tuples: see record1
        node.out_avals = oa_a if oa_a is not None and len(oa_a) == 1 and oa_a[0] is aval_a \
            else (aval_a,)
    elif shape == aval_b[0] and dtype is aval_b[1]:
        node.out_avals = (aval_b,)
    else:
        node.out_avals = ((shape, dtype),)
    node.saved_out = (v,) if save_out else None
    if _memory._trackers:
        _memory.on_record(node)
    out._rg = True
    out.grad_fn = node
    return out


_new = object.__new__


def _record(prim, args, params, out):
    if prim.multiple_results:
        outs = out
        diff = [o.dtype.kind in "fc" for o in outs]
        if not any(diff):
            return out
    else:
        outs = (out,)
        if type(out) is Tensor:
            v = out._value
            if v.dtype.kind not in "fc":
                return out
            out_avals = ((v.shape, v.dtype),)
        elif out.dtype.kind not in "fc":
            return out
        else:
            out_avals = ((out.shape, out.dtype),)
    node = _new(Node)
    node.seq = _next_seq()
    node.prim = prim
    node.params = params
    node.next_functions, node.needs, node.in_avals, node.min_birth = _edges(args)
    if prim.save_args:
        node.saved = args
        node.versions = tuple([a._version if isinstance(a, Tensor) else 0 for a in args])
    else:
        node.saved = None
        node.versions = ()
    node.out_avals = tuple([(o.shape, o.dtype) for o in outs]) if prim.multiple_results \
        else out_avals
    if callable(prim.save_out):  # save only some outputs (custom rules: the residuals)
        keep = set(prim.save_out(params, len(outs)))
        node.saved_out = tuple(o._alias() if i in keep else Aval(o.shape, o.dtype)
                               for i, o in enumerate(outs))
    else:
        node.saved_out = tuple([o._alias() for o in outs]) if prim.save_out else None
    if _memory._trackers:
        _memory.on_record(node)
    if not prim.multiple_results:
        if out.grad_fn is not None or out._rg:
            out = out._alias()  # the object already belongs to a graph recorded below
        out._rg = True
        out.grad_fn = node
        return out
    new_outs = []
    for i, (o, d) in enumerate(zip(outs, diff)):
        if d:
            if o.grad_fn is not None or o._rg:
                o = o._alias()
            o._rg = True
            o.grad_fn = node
            o._output_nr = i
        new_outs.append(o)
    return tuple(new_outs)


_prim._record = record
_prim._record1 = record1
_prim._record2 = record2


# -- traversal ----------------------------------------------------------------------------
def toposort(roots, method="dfs"):
    """Nodes reachable from ``roots`` in topological order (each before its inputs' nodes).

    ``method="dfs"`` uses an iterative depth-first post-order; ``method="kahn"`` uses Kahn's
    algorithm on in-degrees.  Both are valid orders for the backward pass; neither recurses,
    so a chain of 100,000 operations is fine.
    """
    roots = list(dict.fromkeys(roots))
    if method == "kahn":
        indeg = {}
        seen = set(roots)
        stack = list(roots)
        while stack:
            n = stack.pop()
            indeg.setdefault(n, 0)
            for p, _ in n.next_functions:
                if p is None:
                    continue
                indeg[p] = indeg.get(p, 0) + 1
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        ready = [n for n in roots if indeg[n] == 0]
        order = []
        while ready:
            n = ready.pop()
            order.append(n)
            for p, _ in n.next_functions:
                if p is None:
                    continue
                indeg[p] -= 1
                if indeg[p] == 0:
                    ready.append(p)
        return order
    if method != "dfs":
        raise ValueError(f"toposort: method must be 'dfs' or 'kahn', got {method!r}")
    order = []
    visited = set()
    for r in roots:
        if r in visited:
            continue
        visited.add(r)
        stack = [(r, iter(r.next_functions))]
        while stack:
            node, it = stack[-1]
            for p, _ in it:
                if p is not None and p not in visited:
                    visited.add(p)
                    stack.append((p, iter(p.next_functions)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def backward_pass(roots, cts, targets=None, retain_graph=False, create_graph=False,
                  accumulate=True, observer=None, prune=True):
    """Propagate cotangents from ``roots`` (list of (node, output_nr)) through the graph.

    If ``targets`` (list of (node, output_nr)) is given, returns the cotangents that reach
    them (None where none does) and executes only the nodes that lead to a target.  If
    ``accumulate``, leaf gradients are added into ``.grad``.  ``observer(node, i, ct)`` is
    called for every cotangent contribution (used to print the chapter's adjoint table).
    ``prune=False`` says every leaf of the graph is a target (functional ``grad`` knows when
    it is), so the search for the nodes that lead to a target is skipped.
    """
    raw = (not create_graph and observer is None and not state.traces
           and all(type(c) is Tensor for c in cts))
    root_nodes = [n for n, _ in roots]
    needed = None
    target_map = {}
    if targets is not None:
        for n, nr in targets:
            target_map.setdefault(n, set()).add(nr)
    prune = targets is not None and prune
    # the raw loop schedules by creation order and needs no sort, unless it must prune
    order = toposort(root_nodes) if prune or not raw else None
    if prune:
        needed = set()
        for n in reversed(order):  # inputs before their consumers
            if n in target_map:
                needed.add(n)
                continue
            for p, _ in n.next_functions:
                if p in needed:
                    needed.add(n)
                    break
    run = _Run(needed, target_map, retain_graph, create_graph, accumulate)
    if raw:
        run.backward_raw(roots, cts)
    else:
        run.backward(order, roots, cts, observer)
    if targets is not None:
        return [run.captured.get(t) for t in targets]
    return None


class _Run:
    """One backward pass: the schedule's bookkeeping and the per-node steps shared by the
    general loop (cotangents are Tensors; rules may record, for create_graph) and the raw
    loop (cotangents are bare ndarrays; nothing is recorded and the VJP rules run on
    ndarrays where they can; the common case, and the one that sets eager speed)."""

    __slots__ = ("needed", "target_map", "retain_graph", "create_graph", "accumulate",
                 "captured")

    def __init__(self, needed, target_map, retain_graph, create_graph, accumulate):
        self.needed = needed
        self.target_map = target_map
        self.retain_graph = retain_graph
        self.create_graph = create_graph
        self.accumulate = accumulate
        self.captured = {}

    def step(self, node, buf):
        """Hooks, target capture, leaf accumulation and the VJP of one node; returns its
        input cotangents (None when nothing flows on)."""
        if node._pre_hooks:
            _run_pre_hooks(node, buf)
        is_acc = type(node) is AccumulateGrad
        if is_acc and node.variable._hooks and buf[0] is not None:
            for h in list(node.variable._hooks):
                r = h(buf[0])
                if r is not None:
                    buf[0] = _hook_result(r, buf[0], h)
        if node in self.target_map:
            for nr in self.target_map[node]:
                self.captured[(node, nr)] = buf[nr]
            needed = self.needed
            if needed is None or all(p not in needed for p, _ in node.next_functions
                                     if p is not None):
                return None
        if is_acc:
            if self.accumulate and buf[0] is not None:
                _accumulate(node.variable, buf[0], self.create_graph)
            return None
        cts = node.apply(buf, self.create_graph)
        if node._hooks:
            for h in list(node._hooks):
                r = h(tuple(cts), tuple(buf))
                if r is not None:
                    cts = list(r)
        if not self.retain_graph:
            node.release()
        return cts

    def backward(self, order, roots, cts, observer):
        buffers = {}
        add = lib.add
        for (n, nr), ct in zip(roots, cts):
            buf = buffers.get(n)
            if buf is None:
                buf = buffers[n] = [None] * len(n.out_avals)
            buf[nr] = ct if buf[nr] is None else add(buf[nr], ct)
        needed = self.needed
        prev = state.grad_enabled
        state.grad_enabled = bool(self.create_graph)
        try:
            for node in order:
                buf = buffers.pop(node, None)
                if buf is None or (needed is not None and node not in needed):
                    continue
                cts = self.step(node, buf)
                if cts is None:
                    continue
                for i, ((p, nr), ct) in enumerate(zip(node.next_functions, cts)):
                    if p is None or ct is None:
                        continue
                    if observer is not None:
                        observer(node, i, ct)
                    pb = buffers.get(p)
                    if pb is None:
                        pb = buffers[p] = [None] * len(p.out_avals)
                    pb[nr] = ct if pb[nr] is None else add(pb[nr], ct)
        finally:
            state.grad_enabled = prev

    def backward_raw(self, roots, cts):
        # buffers: node -> its cotangent (a bare ndarray) for a single-output node, or a list
        # of them (None: none yet) for a node with several outputs
        buffers = {}
        heap = []  # (-seq, node): the latest-created node with a cotangent runs next
        push = heapq.heappush
        pop_next = heapq.heappop
        for (n, nr), ct in zip(roots, cts):
            _add_cotangent(buffers, heap, n, nr, ct._value)
        needed = self.needed
        target_map = self.target_map or None
        retain = self.retain_graph
        st = state
        prev = st.grad_enabled
        st.grad_enabled = False
        st.raw = True
        try:
            while heap:
                node = pop_next(heap)[1]
                buf = buffers.pop(node)
                if needed is not None and node not in needed:
                    continue
                cts = None
                prim = node.prim
                if (prim is not None and prim.raw_vjp and type(buf) is not list
                        and node._pre_hooks is None and node._hooks is None
                        and (target_map is None or node not in target_map)):
                    if prim.passes_cotangent:  # add: no rule to run where nothing broadcasts
                        cts = _passed_on(node, buf)
                        if cts is None:
                            cts = node._apply_raw(buf)
                    else:
                        cts = node._apply_raw(buf)
                    if cts is not None and not retain:
                        if node.metadata:
                            _memory.on_release(node)
                        node.saved = node.saved_out = node.versions = None  # release()
                if cts is None:  # anything else: one step of the general loop on Tensors
                    if type(buf) is not list:
                        buf = [buf]
                    st.raw = False
                    try:
                        tcts = self.step(node, [None if b is None else Tensor._wrap(b)
                                                for b in buf])
                    finally:
                        st.raw = True
                    if tcts is None:
                        continue
                    cts = [None if c is None else _raw_value(c) for c in tcts]
                # _add_cotangent, inlined (the hottest lines of eager gradients), with the
                # in-place sum into a buffer that nothing else holds
                for (p, nr), ct in zip(node.next_functions, cts):
                    if p is None or ct is None:
                        continue
                    pb = buffers.get(p)
                    if pb is None:
                        if nr == 0 and len(p.out_avals) == 1:
                            buffers[p] = ct
                        else:
                            pb = buffers[p] = [None] * len(p.out_avals)
                            pb[nr] = ct
                        push(heap, (-p.seq, p))
                    elif type(pb) is list:
                        pb[nr] = ct if pb[nr] is None else np.add(pb[nr], ct)
                    elif (_getrefcount(pb) == _EXCLUSIVE and type(pb) is _ndarray
                          and pb.base is None and type(ct) is _ndarray
                          and pb.shape == ct.shape and pb.dtype == ct.dtype
                          and pb.flags.writeable):
                        np.add(pb, ct, out=pb)  # a sum that nothing else can see
                    else:
                        buffers[p] = np.add(pb, ct)
        finally:
            st.raw = False
            st.grad_enabled = prev


def _exclusive_refcount():
    """``sys.getrefcount`` of an array held only by a dict entry and a local variable (as in
    backward_raw's accumulation), measured on this interpreter (CPython 3.14 borrows some
    references, so the number is not fixed).  With it, the raw loop adds a cotangent into a
    buffer in place when no one else holds the buffer (a first cotangent may be an array
    that a rule also passed to another input, or a view: those are added out of place)."""
    d = {0: np.empty(1)}
    pb = d.get(0)
    return _getrefcount(pb)


# (an interpreter without sys.getrefcount never reports the count tested for)
_getrefcount = getattr(sys, "getrefcount", lambda obj: 0)
_EXCLUSIVE = _exclusive_refcount() if hasattr(sys, "getrefcount") else -1


def _passed_on(node, g):
    """The input cotangents of a ``passes_cotangent`` node (add) whose needed inputs all have
    the output's shape and dtype: ``g`` itself for each.  None otherwise (its rule then
    reduces over broadcast axes and casts)."""
    oa = node.out_avals[0]
    if type(g) is not _ndarray or g.dtype is not oa[1] or g.shape != oa[0]:
        return None  # (a root cotangent as the caller gave it: the rule fits it)
    needs = node.needs
    if len(needs) == 2:
        n0, n1 = needs
        a0, a1 = node.in_avals
        if (not n0 or a0 is oa or a0 == oa) and (not n1 or a1 is oa or a1 == oa):
            return (g if n0 else None, g if n1 else None)
        return None
    for need, aval in zip(needs, node.in_avals):
        if need and aval != oa:
            return None
    return tuple(g if need else None for need in needs)


def _add_cotangent(buffers, heap, p, nr, ct):
    """Add ``ct`` into the raw loop's buffer for output ``nr`` of ``p`` (see backward_raw)."""
    pb = buffers.get(p)
    if pb is None:
        if nr == 0 and len(p.out_avals) == 1:
            buffers[p] = ct
        else:
            pb = buffers[p] = [None] * len(p.out_avals)
            pb[nr] = ct
        heapq.heappush(heap, (-p.seq, p))
    elif type(pb) is list:
        pb[nr] = ct if pb[nr] is None else np.add(pb[nr], ct)
    else:
        buffers[p] = np.add(pb, ct)


_ndarray = np.ndarray


def _raw_value(c):
    if type(c) is Tensor:
        return c._value
    if isinstance(c, Tensor):
        raise GradientError("a VJP rule returned a traced value outside its transform")
    return np.asarray(c)


def _run_pre_hooks(node, buf):
    for nr, hooks in node._pre_hooks.items():
        if nr == -1:
            for h in list(hooks):
                r = h(tuple(buf))
                if r is not None:
                    buf[:] = list(r)
            continue
        if buf[nr] is None:
            continue
        for h in list(hooks):
            r = h(buf[nr])
            if r is not None:
                buf[nr] = _hook_result(r, buf[nr], h)


def _hook_result(r, g, hook):
    """A tensor hook's replacement gradient, checked: same shape, same dtype as ``g``."""
    if not isinstance(r, Tensor):
        r = Tensor._wrap(np.asarray(r))
    if r.shape != g.shape:
        raise GradientShapeError(
            f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape {r.shape} "
            f"for a tensor of shape {g.shape}; a hook may change the gradient's values, not "
            "its shape.")
    if r.dtype != g.dtype:
        r = fit_cotangent(r, g.shape, g.dtype)
    return r


def _accumulate(var, g, create_graph):
    if not create_graph and g._rg:
        g = g.detach()
    if var._grad is None:
        if create_graph or g._trace is not None:
            var._grad = g
        else:
            owned = own_gradient(g)
            var._grad = owned if owned is not g else g._alias()
    else:
        var._grad = lib.add(var._grad, g)


def _as_cotangent(g, like):
    if g is None:
        return None
    if not isinstance(g, Tensor):  # a copy: .grad must not alias the caller's array
        g = Tensor._wrap(np.array(g))
    if g.shape != like.shape:
        raise GradientShapeError(
            f"Mismatch in shape: gradient has a shape of {g.shape} and the output has a "
            f"shape of {like.shape}; pass a gradient of exactly the output's shape.")
    if g.dtype != like.dtype:
        g = fit_cotangent(g, like.shape, like.dtype)  # a gradient has its value's dtype
    return g


def _check_outputs(outputs, grads, fn_name):
    roots, cts = [], []
    for i, (t, g) in enumerate(zip(outputs, grads)):
        if not isinstance(t, Tensor) or not t._rg:
            raise GradientError(
                f"{fn_name}: element {i} of the outputs does not require grad and does not "
                "have a grad_fn: nothing that requires grad was used to compute it. Set "
                "requires_grad=True on the inputs (and do not compute it under no_grad).")
        if g is None:
            if t.size != 1:
                raise NonScalarOutputError(
                    f"{fn_name}: grad can be implicitly created only for scalar outputs, but "
                    f"output {i} has shape {t.shape}. Pass gradient= (an array of that shape, "
                    "e.g. ones) or reduce the output first, e.g. y.sum().backward().")
            g = lib.ones(t.shape, t.dtype)
        else:
            g = _as_cotangent(g, t)
        roots.append(edge_of(t))
        cts.append(g)
    return roots, cts


def run_backward(tensors, grad_tensors, retain_graph=None, create_graph=False, inputs=None):
    """``Tensor.backward`` / ``wg.autograd.backward``."""
    if retain_graph is None:
        retain_graph = create_graph
    roots, cts = _check_outputs(tensors, grad_tensors, "backward")
    if inputs is None:
        backward_pass(roots, cts, None, retain_graph, create_graph, accumulate=True)
        return
    if isinstance(inputs, Tensor):
        inputs = [inputs]
    targets = [edge_of(t) for t in inputs]
    got = backward_pass(roots, cts, targets, retain_graph, create_graph, accumulate=False)
    for t, g in zip(inputs, got):
        if g is not None:
            _accumulate(t, g, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """The gradients of ``outputs`` w.r.t. ``inputs`` (PyTorch's ``torch.autograd.grad``).

    Returns a tuple with one entry per input; ``.grad`` fields are not touched.
    """
    single_out = isinstance(outputs, Tensor)
    outputs = [outputs] if single_out else list(outputs)
    single_in = isinstance(inputs, Tensor)
    inputs = [inputs] if single_in else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ShapeError(f"autograd.grad: got {len(grad_outputs)} grad_outputs for "
                         f"{len(outputs)} outputs; give one per output (None for scalars).")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t._rg:
            raise GradientError(f"autograd.grad: input {i} does not require grad; call "
                                "requires_grad_() on it before computing the outputs.")
    roots, cts = _check_outputs(outputs, grad_outputs, "autograd.grad")
    targets = [edge_of(t) for t in inputs]
    got = backward_pass(roots, cts, targets, retain_graph, create_graph, accumulate=False)
    result = []
    for i, (t, g) in enumerate(zip(inputs, got)):
        if g is None:
            if materialize_grads:
                g = lib.zeros(t.shape, t.dtype)
            elif not allow_unused:
                raise GradientError(
                    f"autograd.grad: input {i} (shape {t.shape}) was not used to compute the "
                    "outputs (it is not in their graph). Pass allow_unused=True to get None "
                    "for it, or materialize_grads=True to get zeros.")
        else:
            if not create_graph and g._rg:
                g = g.detach()
            g = own_gradient(g)
        result.append(g)
    return tuple(result)
