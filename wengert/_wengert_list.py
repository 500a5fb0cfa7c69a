"""``wg.make_trace``: the Wengert list of a function, as data and as the chapter's tables.

``make_trace(fun)(*args)`` records ``fun`` once (``_transforms/ir.py``) and returns a
``WengertList`` that can print

* the forward trace table (step, variable, operation, inputs, value, tangent), §2.2/§3.3;
* the reverse adjoint table, one row per adjoint update in the order they happen, §4.2;
* the computational graph as Graphviz DOT (and SVG/PNG when the ``dot`` program exists).

``graph_to_dot(tensor)`` draws an imperative tensor's ``grad_fn`` graph the same way.
"""
from __future__ import annotations

import shutil
import subprocess

import numpy as np

from ._core.graph import AccumulateGrad, backward_pass, edge_of, toposort
from ._core.state import lib
from ._core.tensor import Tensor
from ._transforms.ir import Literal, Var, trace_program
from ._tree import tree_flatten

_OPS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**",
        "matmul": "@"}


def _fmt(x):
    if isinstance(x, Tensor):
        x = x._value
    v = np.asarray(x)
    if v.size == 1:
        return f"{v.item():.4f}" if np.issubdtype(v.dtype, np.inexact) else str(v.item())
    return np.array2string(v, precision=4, separator=", ", threshold=6)


def format_table(headers, rows):
    """A plain-text table with aligned columns."""
    rows = [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    line = " | ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    sep = "-+-".join("-" * w for w in widths)
    return "\n".join([line, sep] + [" | ".join(c.ljust(w) for c, w in zip(r, widths))
                                    for r in rows])


class WengertList:
    """A recorded evaluation: ``program`` (the equations), ``values`` (var id -> value)."""

    def __init__(self, program, args, values):
        self.program = program
        self.args = args
        self.values = values
        for i, v in enumerate(program.inputs):
            v.name = v.name or f"v{i + 1}"
        k = len(program.inputs)
        for e in program.eqns:
            for o in e.outputs:
                k += 1
                o.name = o.name or f"v{k}"

    def __repr__(self):
        return repr(self.program)

    # -- the forward table -------------------------------------------------------------------
    def _expr(self, e):
        names = [repr(i) for i in e.inputs]
        if e.prim.name in _OPS and len(names) == 2:
            return f"{names[0]} {_OPS[e.prim.name]} {names[1]}"
        return f"{e.prim.name}({', '.join(names)})"

    def forward_rows(self, tangents=None):
        """(step, variable, operation, inputs, value, tangent) for each entry; the tangents
        are those of one forward-mode pass seeded with ``tangents`` (default: the first
        input's direction of all ones, the others zero)."""
        from ._transforms.forward import JVPTrace
        if tangents is None:
            tangents = [np.ones_like(np.asarray(a, dtype=float)) if i == 0 else
                        np.zeros_like(np.asarray(a, dtype=float))
                        for i, a in enumerate(self.args)]
        tans = {}
        with JVPTrace() as tr:
            ins = [tr.new(Tensor._wrap(np.asarray(a, dtype=float)),
                          Tensor._wrap(np.asarray(t, dtype=float)))
                   for a, t in zip(self.args, tangents)]

            def observe(e, vals, outs):
                for v, o in zip(e.outputs, outs):
                    tans[v.id] = getattr(o, "tangent", None)

            self.program.eval(*ins, observe=observe)
        rows = []
        for i, (v, a, t) in enumerate(zip(self.program.inputs, self.args, tangents)):
            rows.append((i + 1, repr(v), "input", "-", _fmt(a), _fmt(t)))
        step = len(rows)
        for e in self.program.eqns:
            for v in e.outputs:
                step += 1
                t = tans.get(v.id)
                rows.append((step, repr(v), self._expr(e),
                             ", ".join(repr(i) for i in e.inputs if isinstance(i, Var)),
                             _fmt(self.values[v.id]), _fmt(t) if t is not None else "0"))
        return rows

    def forward_table(self, tangents=None):
        return format_table(("step", "variable", "operation", "inputs", "value", "tangent"),
                            self.forward_rows(tangents))

    # -- the reverse table -------------------------------------------------------------------
    def adjoint_rows(self, cotangent=None):
        """(adjoint, update, contribution) for each adjoint update of one reverse pass, in the
        order it happens, and the final gradients."""
        xs = [Tensor(np.asarray(a, dtype=float), requires_grad=True) for a in self.args]
        node_var = {}
        for v, x in zip(self.program.inputs, xs):
            node_var[edge_of(x)[0]] = v

        def observe(e, vals, outs):
            for v, o in zip(e.outputs, outs):
                if isinstance(o, Tensor) and o.grad_fn is not None:
                    node_var[o.grad_fn] = v

        outs = self.program.eval(*xs, observe=observe)
        out = outs[0]
        out_var = self.program.outputs[0]
        rows = [(f"{out_var}_bar", "initialise", _fmt(1.0))]

        def on_ct(node, i, ct):
            src = node_var.get(node, "?")
            dst = node_var.get(node.next_functions[i][0], "?")
            rows.append((f"{dst}_bar", f"+= {src}_bar * d{src}/d{dst}", _fmt(ct)))

        ct = lib.ones(out.shape, out.dtype) if cotangent is None else Tensor._wrap(
            np.asarray(cotangent, dtype=out.dtype))
        backward_pass([edge_of(out)], [ct], None, observer=on_ct)
        return rows, [x.grad for x in xs]

    def adjoint_table(self, cotangent=None):
        rows, grads = self.adjoint_rows(cotangent)
        table = format_table(("adjoint", "update (in the order it happens)", "contribution"),
                             rows)
        final = ", ".join(f"{v}_bar = {_fmt(g)}" for v, g in zip(self.program.inputs, grads))
        return table + "\nfinal adjoints: " + final

    # -- the graph -------------------------------------------------------------------------------
    def to_dot(self):
        def label(*parts):
            return "\\n".join(str(p).replace("\n", " ").replace('"', "'") for p in parts)

        lines = ["digraph wengert {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
        for v in self.program.inputs:
            lines.append(f'  "{v}" [shape=box, label="{label(v, "input", _fmt(self.values[v.id]))}"];')
        for e in self.program.eqns:
            for v in e.outputs:
                lines.append(f'  "{v}" [shape=ellipse, '
                             f'label="{label(v, e.prim.name, _fmt(self.values[v.id]))}"];')
                for i in e.inputs:
                    if isinstance(i, Var):
                        lines.append(f'  "{i}" -> "{v}";')
        lines.append("}")
        return "\n".join(lines)

    def render(self, path, format=None):
        return render_dot(self.to_dot(), path, format)


def render_dot(dot, path, format=None):
    """Write DOT to ``path``; if it ends in .svg/.png/.pdf and Graphviz's ``dot`` is
    installed, render it.  Returns the path written."""
    fmt = format or str(path).rsplit(".", 1)[-1]
    if fmt in ("svg", "png", "pdf") and shutil.which("dot"):
        subprocess.run(["dot", f"-T{fmt}", "-o", str(path)], input=dot.encode(), check=True)
        return str(path)
    target = str(path) if fmt == "dot" else str(path) + ".dot"
    with open(target, "w") as f:
        f.write(dot)
    return target


def make_trace(fun):
    """``make_trace(fun)(*args)`` records one evaluation of ``fun`` and returns its
    ``WengertList`` (print it, or call ``forward_table``, ``adjoint_table``, ``to_dot``)."""

    def traced(*args):
        leaves, td = tree_flatten(args)
        program, out, tr = trace_program(lambda *ls: fun(*td.unflatten(list(ls))), leaves)
        return WengertList(program, [np.asarray(getattr(a, "_value", a)) for a in leaves],
                           tr.values)

    return traced


def graph_to_dot(tensor):
    """The ``grad_fn`` graph of an imperative tensor as Graphviz DOT."""
    if tensor.grad_fn is None:
        raise ValueError("graph_to_dot: the tensor has no grad_fn (it is a leaf or does not "
                         "require grad)")
    order = toposort([tensor.grad_fn])
    ids = {n: f"n{k}" for k, n in enumerate(order)}
    lines = ["digraph grad_fn {", "  rankdir=BT;"]
    for n in order:
        if type(n) is AccumulateGrad:
            label = f"AccumulateGrad\\n{tuple(n.variable.shape)}"
            lines.append(f'  {ids[n]} [shape=box, label="{label}"];')
        else:
            lines.append(f'  {ids[n]} [label="{n.name()}"];')
        for p, _ in n.next_functions:
            if p is not None:
                lines.append(f"  {ids[p]} -> {ids[n]};")
    lines.append("}")
    return "\n".join(lines)


__all__ = ["make_trace", "WengertList", "graph_to_dot", "format_table", "Literal"]
