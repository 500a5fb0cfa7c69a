"""The chapter's tables: the forward tangent trace (§3.3) and the reverse adjoint trace (§4.2).

``forward_trace`` runs ``fun`` on dual tensors and records every primitive applied to them:
the Wengert list with values and tangents.  ``reverse_trace`` runs ``fun`` on tensors that
require grad, then one backward pass, recording each adjoint update in the order it happens.
"""
from __future__ import annotations

import numpy as np

from ._core import primitive as _prim
from ._core.graph import backward_pass, edge_of
from ._core.state import lib
from ._core.tensor import Tensor
from ._transforms.forward import JVPTrace, JVPTracer

_OPS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**",
        "matmul": "@"}


def _fmt(x):
    v = np.asarray(x._value if isinstance(x, Tensor) else x)
    if v.size == 1:
        return f"{v.item():.4f}"
    return np.array2string(v, precision=4, separator=", ")


def _expr(prim, names):
    if prim.name in _OPS and len(names) == 2:
        return f"{names[0]} {_OPS[prim.name]} {names[1]}"
    return f"{prim.name}({', '.join(names)})"


def forward_trace(fun, primals, tangents, names=None):
    """Rows ``(variable, operation, value, tangent)`` of the forward-mode Wengert list."""
    rows = []
    ids = {}
    with JVPTrace() as trace:
        ins = []
        for i, (p, t) in enumerate(zip(primals, tangents)):
            p = Tensor._wrap(np.asarray(p, dtype=float))
            x = JVPTracer(trace, p, Tensor._wrap(np.asarray(t, dtype=float)))
            name = names[i] if names else f"v{i + 1}"
            ids[id(x)] = name
            rows.append((name, "input", _fmt(p), _fmt(x.tangent)))
            ins.append(x)

        def observe(prim, args, params, out):
            if not any(id(a) in ids for a in args):
                return
            name = f"v{len(ids) + 1}"
            ids[id(out)] = name
            argn = [ids.get(id(a), _fmt(a)) for a in args]
            tan = out.tangent if isinstance(out, JVPTracer) else 0.0
            primal = out.primal if isinstance(out, JVPTracer) else out
            rows.append((name, _expr(prim, argn), _fmt(primal), _fmt(tan)))

        _prim._observers.append(observe)
        try:
            fun(*ins)
        finally:
            _prim._observers.remove(observe)
    return rows


def reverse_trace(fun, primals, names=None):
    """Forward rows ``(variable, operation, value)`` and adjoint rows
    ``(adjoint, update, value)`` of one reverse pass, plus the final gradient."""
    ids = {}
    nodes = {}
    fwd = []
    ins = []
    for i, p in enumerate(primals):
        x = Tensor(np.asarray(p, dtype=float), requires_grad=True)
        name = names[i] if names else f"v{i + 1}"
        ids[id(x)] = name
        nodes[edge_of(x)[0]] = name
        fwd.append((name, "input", _fmt(x)))
        ins.append(x)

    def observe(prim, args, params, out):
        if not any(id(a) in ids for a in args):
            return
        name = f"v{len(ids) + 1}"
        ids[id(out)] = name
        nodes[out.grad_fn] = name
        fwd.append((name, _expr(prim, [ids.get(id(a), _fmt(a)) for a in args]), _fmt(out)))

    _prim._observers.append(observe)
    try:
        out = fun(*ins)
    finally:
        _prim._observers.remove(observe)
    out_name = ids[id(out)]
    adj = [(f"{out_name}_bar", "initialise", "1.0000")]
    totals = {}

    def on_ct(node, i, ct):
        src = nodes.get(node, "?")
        parent = node.next_functions[i][0]
        dst = nodes.get(parent, "?")
        val = float(np.asarray(ct._value).sum())
        totals[dst] = totals.get(dst, 0.0) + val
        adj.append((f"{dst}_bar", f"+= {src}_bar * d{src}/d{dst}", f"{val:.4f}"))

    backward_pass([edge_of(out)], [lib.ones(out.shape, out.dtype)], None, observer=on_ct)
    grads = [x.grad for x in ins]
    return fwd, adj, grads


def format_table(headers, rows):
    """A plain-text table with aligned columns."""
    cols = list(zip(*([headers] + [tuple(str(c) for c in r) for r in rows])))
    widths = [max(len(c) for c in col) for col in cols]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths))
    sep = "-+-".join("-" * w for w in widths)
    body = [" | ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join([line, sep] + body)
