"""The Wengert list as data: Var, Eqn, Program, the tracer that records them, and an evaluator.

``IRTrace`` runs a function on example values and records every primitive applied to traced
values as an ``Eqn(prim, inputs, params, outputs)``.  Tracing is concrete (each tracer also
holds its example value), so Python control flow works; every Python value taken from a
traced value (``bool``, ``float``, ``.item()``) is recorded as a *guard* that a later call must
satisfy for the recording to be reused (``jit``).  ``Program.eval`` replays the list through
``bind``, so a program is differentiable and transformable like the function it came from.
"""
from __future__ import annotations

import itertools

import numpy as np

from .._core.primitive import bind
from .._core.tensor import Tensor
from .._core.trace import Trace, Tracer

_ids = itertools.count()


class Var:
    __slots__ = ("id", "shape", "dtype", "name")

    def __init__(self, shape, dtype, name=None):
        self.id = next(_ids)
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.name = name

    def __repr__(self):
        return self.name or f"%{self.id}"


class Literal:
    """A constant written into an equation (Python scalar or array that is not traced)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        v = self.value
        if isinstance(v, Tensor):
            v = v._value
        if isinstance(v, np.ndarray) and v.size > 4:
            return f"const{tuple(v.shape)}"
        return repr(v.tolist() if isinstance(v, np.ndarray) else v)


class Eqn:
    __slots__ = ("prim", "inputs", "params", "outputs")

    def __init__(self, prim, inputs, params, outputs):
        self.prim = prim
        self.inputs = inputs
        self.params = params
        self.outputs = outputs

    def __repr__(self):
        outs = ", ".join(f"{o}:{_aval_str(o)}" for o in self.outputs)
        ins = " ".join(repr(i) for i in self.inputs)
        ps = ""
        if self.params:
            ps = "[" + ", ".join(f"{k}={_param_str(v)}" for k, v in self.params.items()) + "] "
        return f"{outs} = {self.prim.name} {ps}{ins}"


def _param_str(v):
    if hasattr(v, "name") and not isinstance(v, (str, np.dtype)):
        return getattr(v, "name")
    return repr(v)


def _aval_str(v):
    return f"{v.dtype}{list(v.shape)}"


class Program:
    """A recorded Wengert list: ``inputs``, ``eqns``, ``outputs`` (Vars or Literals)."""

    def __init__(self, inputs, eqns, outputs, guards):
        self.inputs = inputs
        self.eqns = eqns
        self.outputs = outputs
        self.guards = guards

    def __repr__(self):
        ins = ", ".join(f"{v}:{_aval_str(v)}" for v in self.inputs)
        lines = [f"{{ lambda ; {ins}. let"]
        lines += [f"    {e!r}" for e in self.eqns]
        lines.append(f"  in ({', '.join(repr(o) for o in self.outputs)}) }}")
        return "\n".join(lines)

    def eval(self, *args, observe=None):
        """Replay the program on ``args`` through ``bind`` (so under any transform)."""
        env = {}
        for v, a in zip(self.inputs, args):
            env[v.id] = a
        for e in self.eqns:
            vals = [env[i.id] if isinstance(i, Var) else i.value for i in e.inputs]
            out = bind(e.prim, *vals, **e.params)
            outs = out if e.prim.multiple_results else (out,)
            for v, o in zip(e.outputs, outs):
                env[v.id] = o
            if observe is not None:
                observe(e, vals, outs)
        return [env[o.id] if isinstance(o, Var) else o.value for o in self.outputs]


class IRTracer(Tracer):
    def __init__(self, trace, var, val):
        self._trace = trace
        self.var = var
        self.val = val

    def _lower(self):
        return self.val

    def _alias(self):
        return IRTracer(self._trace, self.var, self.val)

    def _guard(self, kind, value):
        self._trace.guards.append((self.var, kind, value))
        return value

    def __bool__(self):
        return self._guard("bool", bool(self.val))

    def __float__(self):
        return self._guard("float", float(self.val))

    def __int__(self):
        return self._guard("int", int(self.val))

    def __index__(self):
        return self._guard("index", self.val.__index__())

    def item(self):
        return self._guard("item", self.val.item())

    def __repr__(self):
        return f"IRTracer({self.var})"


class IRTrace(Trace):
    def __init__(self):
        super().__init__()
        self.eqns = []
        self.guards = []
        self.values = {}  # var id -> example value (for the tables)

    def new_input(self, value, name=None):
        v = Var(value.shape, value.dtype, name)
        self.values[v.id] = value
        return IRTracer(self, v, value)

    def process(self, prim, args, params):
        vals, ins = [], []
        for a in args:
            if isinstance(a, IRTracer) and a._trace is self:
                vals.append(a.val)
                ins.append(a.var)
            else:
                vals.append(a)
                ins.append(Literal(a))
        out = bind(prim, *vals, **params)
        outs = out if prim.multiple_results else (out,)
        out_vars = []
        tracers = []
        for o in outs:
            v = Var(o.shape, o.dtype)
            self.values[v.id] = o
            out_vars.append(v)
            tracers.append(IRTracer(self, v, o))
        self.eqns.append(Eqn(prim, ins, params, out_vars))
        return tuple(tracers) if prim.multiple_results else tracers[0]


def trace_program(fun, args, names=None):
    """Run ``fun`` on ``args`` (a flat list of arrays) recording a Program; return
    ``(program, outputs, trace)``."""
    from ._util import as_tensor
    with IRTrace() as tr:
        ins = [tr.new_input(as_tensor(a), names[i] if names else None)
               for i, a in enumerate(args)]
        out = fun(*ins)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    o_vars = []
    for o in outs:
        if isinstance(o, IRTracer) and o._trace is tr:
            o_vars.append(o.var)
        else:
            o_vars.append(Literal(o))
    return Program([i.var for i in ins], tr.eqns, o_vars, tr.guards), out, tr
