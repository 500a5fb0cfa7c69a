"""``jit``: trace once per input signature into the Wengert-list IR, optimise, generate one
Python function of direct NumPy calls, cache it.

Pipeline (each step a small function below): ``trace_program`` (concrete tracing, guards
recorded) -> ``dce`` (drop equations whose results are unused) -> ``cse`` (merge equations
with the same primitive, inputs and parameters) -> ``simplify`` (x*1, x+0, x-0 from the
ones and zeros that differentiation produces) -> ``plan_fusion`` (with numexpr installed, float64
elementwise chains on large arrays become one ``numexpr.evaluate`` each) -> ``plan_buffers``
(an elementwise result overwrites a dead intermediate through NumPy's ``out=``) ->
``codegen`` (straight-line Python calling
each primitive's NumPy ``impl``; guards become checks that raise ``_GuardFailed``).

Value-dependent Python control flow is safe: ``bool(x)``, ``float(x)``, ``x.item()`` on a
traced value record a guard; a later call whose guard differs is re-traced (or, with
``retrace=False``, raises ``RetraceError``) - never runs the wrong branch.

Composition: called with plain arrays, the compiled code runs.  Called with values that are
being differentiated or transformed (tensors that require grad, tracers), ``jit`` evaluates
``fun`` itself, so ``grad(jit(f))``, ``vmap(jit(f))`` are exactly ``grad(f)``, ``vmap(f)``;
``jit(grad(f))`` compiles the whole gradient computation.
"""
from __future__ import annotations

import numpy as np

from .._core.tensor import Tensor
from .._errors import WengertError
from .._tree import tree_flatten
from .ir import Eqn, Literal, Program, Var, trace_program


class RetraceError(WengertError, RuntimeError):
    """A jitted function's recorded guard failed and re-tracing was disabled."""


class _GuardFailed(Exception):
    pass


# --- optimisation passes ---------------------------------------------------------------------
def dce(program: Program) -> Program:
    live = {o.id for o in program.outputs if isinstance(o, Var)}
    live |= {g[0].id for g in program.guards}
    kept = []
    for e in reversed(program.eqns):
        if any(o.id in live for o in e.outputs):
            kept.append(e)
            live |= {i.id for i in e.inputs if isinstance(i, Var)}
    kept.reverse()
    return Program(program.inputs, kept, program.outputs, program.guards)


def _key_of(x):
    if isinstance(x, Var):
        return ("v", x.id)
    v = x.value
    if isinstance(v, Tensor):
        v = v._value
    if isinstance(v, np.ndarray):
        return ("a", id(v))
    return ("c", type(v).__name__, v)


def _params_key(params):
    try:
        items = []
        for k, v in sorted(params.items()):
            if isinstance(v, np.ndarray):
                return None
            hash(v)
            items.append((k, v))
        return tuple(items)
    except TypeError:
        return None


def _rewrite(program: Program, visit) -> Program:
    """Walk the equations with their inputs renamed so far; ``visit(eqn)`` returns None to keep
    the equation, or the Vars/Literals that replace its outputs (the equation is dropped)."""
    rename = {}
    eqns = []

    def sub(x):
        return rename.get(x.id, x) if isinstance(x, Var) else x

    for e in program.eqns:
        ne = Eqn(e.prim, [sub(i) for i in e.inputs], e.params, e.outputs)
        repl = visit(ne)
        if repl is None:
            eqns.append(ne)
        else:
            for o, r in zip(e.outputs, repl):
                rename[o.id] = r
    outs = [sub(o) for o in program.outputs]
    guards = [(sub(v), k, val) for v, k, val in program.guards]
    return Program(program.inputs, eqns, outs, guards)


def cse(program: Program) -> Program:
    """Merge equations with the same primitive, inputs and (hashable) parameters."""
    seen = {}

    def visit(e):
        pk = _params_key(e.params)
        if pk is None:
            return None
        key = (e.prim.name, tuple(_key_of(i) for i in e.inputs), pk)
        if key in seen:
            return seen[key].outputs
        seen[key] = e
        return None

    return _rewrite(program, visit)


def _is_const(x, c):
    if not isinstance(x, Literal):
        return False
    v = x.value._value if isinstance(x.value, Tensor) else x.value
    try:
        return bool(np.all(np.asarray(v) == c))
    except Exception:
        return False


def simplify(program: Program) -> Program:
    """Remove identities, multiplications by one and additions/subtractions of zero when the
    result has the same shape and dtype as the surviving operand."""

    def same(a, out):
        return isinstance(a, Var) and a.shape == out.shape and a.dtype == out.dtype

    def visit(e):
        ins, out, name = e.inputs, e.outputs[0], e.prim.name
        if name in ("alias", "stop_gradient", "positive") and isinstance(ins[0], Var):
            return [ins[0]]
        if name in ("multiply", "strong_mul", "add") and len(ins) == 2:
            unit = 0 if name == "add" else 1
            for a, b in ((ins[0], ins[1]), (ins[1], ins[0])):
                if same(a, out) and _is_const(b, unit):
                    return [a]
        if name == "subtract" and same(ins[0], out) and _is_const(ins[1], 0):
            return [ins[0]]
        return None

    return _rewrite(program, visit)


def optimize(program: Program) -> Program:
    return dce(simplify(cse(dce(program))))


# --- buffer reuse -------------------------------------------------------------------------------
def _is_ufunc_eqn(e):
    return e.prim.accepts_out and not e.prim.multiple_results and not e.params


def plan_buffers(program: Program):
    """For each equation, the input Var whose buffer the result may overwrite (``out=``):
    an intermediate produced by a ufunc, used only by ufuncs (so no view of it exists), of
    the result's shape and dtype, and dead after this equation.  Saves an allocation and
    the page faults of a fresh array per elementwise op on large arrays."""
    consumers = {}
    last_use = {}
    for k, e in enumerate(program.eqns):
        for i in e.inputs:
            if isinstance(i, Var):
                consumers.setdefault(i.id, []).append(e)
                last_use[i.id] = k
    protected = {v.id for v in program.inputs}
    protected |= {o.id for o in program.outputs if isinstance(o, Var)}
    protected |= {g[0].id for g in program.guards}
    fresh = set()
    plan = {}
    for k, e in enumerate(program.eqns):
        if _is_ufunc_eqn(e):
            out = e.outputs[0]
            for i in e.inputs:
                if (isinstance(i, Var) and i.id in fresh and i.id not in protected
                        and i.shape != ()  # 0-d results are NumPy scalars, not buffers
                        and last_use.get(i.id) == k and i.shape == out.shape
                        and i.dtype == out.dtype
                        and sum(1 for j in e.inputs if isinstance(j, Var) and j.id == i.id) == 1
                        and all(_is_ufunc_eqn(c) for c in consumers[i.id])):
                    plan[k] = i
                    break
            fresh.add(out.id)
    return plan


# --- code generation --------------------------------------------------------------------------
def _inline(e, a, ns, strong, out=None):
    """A direct NumPy expression for common primitives (no wrapper call), or None."""
    name, p = e.prim.name, e.params

    def const(v):
        key = f"c{len(ns)}"
        ns[key] = v
        return key

    if out and name != "strong_mul":
        return None
    if name == "getitem":
        return f"{a[0]}[{const(p['idx'])}]"
    if name == "transpose":
        return f"{a[0]}.transpose({p['axes']!r})"
    if name == "reshape":
        return f"{a[0]}.reshape({p['shape']!r})"
    if name == "sum":
        return f"np.sum({a[0]}, axis={p['axis']!r}, keepdims={p['keepdims']!r})"
    if name == "strong_mul" and not strong:
        return f"np.multiply({a[0]}, {a[1]}{', out=' + out if out else ''})"
    return None


# --- fusion (numexpr, optional) -------------------------------------------------------------------
_NE_OPS = {
    "add": "({0} + {1})", "subtract": "({0} - {1})", "multiply": "({0} * {1})",
    "divide": "({0} / {1})", "negative": "(-{0})", "exp": "exp({0})", "log": "log({0})",
    "sin": "sin({0})", "cos": "cos({0})", "tan": "tan({0})", "tanh": "tanh({0})",
    "sqrt": "sqrt({0})", "arctan": "arctan({0})", "absolute": "abs({0})",
    "square": "({0} * {0})", "reciprocal": "(1.0 / {0})",
}
FUSE_MIN_SIZE = 1 << 16  # below this numexpr's call overhead beats its saved memory traffic
# On one thread NumPy's SIMD exp/sin/... beat numexpr's: fuse only the memory-bound arithmetic
_ARITHMETIC = {"add", "subtract", "multiply", "divide", "negative", "absolute", "square",
               "reciprocal"}


def _numexpr():
    try:
        import numexpr
    except ImportError:
        return None
    return numexpr


def plan_fusion(program: Program, strong: bool):
    """Which equations run inside fused numexpr expressions: float64 elementwise arithmetic on
    large arrays of one shape.  Returns ``(fusable, inlined)``: equation indices computed by
    numexpr, and the Vars folded into their single consumer's expression (never stored)."""
    ne = _numexpr()
    if ne is None:
        return set(), set()
    ops = _NE_OPS if ne.get_num_threads() > 1 else _ARITHMETIC
    fusable = set()
    for k, e in enumerate(program.eqns):
        name = e.prim.name
        if name == "strong_mul" and not strong:
            name = "multiply"
        if name not in ops or e.params or e.prim.multiple_results:
            continue
        out = e.outputs[0]
        if out.dtype != np.float64 or int(np.prod(out.shape)) < FUSE_MIN_SIZE:
            continue
        ok = True
        for i in e.inputs:
            if isinstance(i, Var):
                ok &= i.dtype == np.float64 and i.shape == out.shape
            else:
                v = i.value._value if isinstance(i.value, Tensor) else i.value
                ok &= type(v) in (int, float)
        if ok:
            fusable.add(k)
    consumers = {}
    for k, e in enumerate(program.eqns):
        for i in e.inputs:
            if isinstance(i, Var):
                consumers.setdefault(i.id, []).append(k)
    keep = {o.id for o in program.outputs if isinstance(o, Var)}
    keep |= {g[0].id for g in program.guards}
    inlined = set()
    for k in fusable:
        v = program.eqns[k].outputs[0]
        c = consumers.get(v.id, [])
        if v.id not in keep and len(c) == 1 and c[0] in fusable:
            inlined.add(v.id)
    return fusable, inlined


def codegen(program: Program, strong=True):
    """Generate straight-line Python source and compile it; returns ``(fn, source)``.

    With ``strong=False`` the strong-zero products are plain multiplications (the fast
    variant; ``jit`` falls back to the strong one when an output is not finite)."""
    ns = {"_GuardFailed": _GuardFailed, "np": np}
    lines = [f"def compiled({', '.join(f'v{v.id}' for v in program.inputs)}):"]
    guards_at = {}
    for v, kind, val in program.guards:
        guards_at.setdefault(v.id, []).append((kind, val))
    for v in program.inputs:
        for kind, val in guards_at.pop(v.id, []):
            lines.append(_guard_line(v, kind, val, ns))

    def arg(x):
        if isinstance(x, Var):
            return f"v{x.id}"
        v = x.value._value if isinstance(x.value, Tensor) else x.value
        if isinstance(v, (bool, int, float, complex)) and not isinstance(v, np.generic):
            return repr(v)
        name = f"c{len(ns)}"
        ns[name] = v
        return name

    reuse = plan_buffers(program)
    fusable, inlined = plan_fusion(program, strong)
    exprs = {}  # var id -> numexpr expression text (for inlined and fused results)
    for k, e in enumerate(program.eqns):
        if k in fusable:
            name = "multiply" if e.prim.name == "strong_mul" else e.prim.name
            parts = [exprs.get(i.id, f"v{i.id}") if isinstance(i, Var) else arg(i)
                     for i in e.inputs]
            out = e.outputs[0]
            text = _NE_OPS[name].format(*parts)
            if out.id in inlined:
                exprs[out.id] = text
                continue
            if text.count("(") < 2:  # a single operation: NumPy is as good
                pass
            else:
                names = sorted({f"v{i}" for i in _names_in(text)})
                ns.setdefault("_ne", _numexpr())
                lines.append(f"    v{out.id} = _ne.evaluate({text!r}, local_dict={{"
                             + ", ".join(f"{n!r}: {n}" for n in names) + "})  # fused")
                for kind, val in guards_at.pop(out.id, []):
                    lines.append(_guard_line(out, kind, val, ns))
                continue
        args = [arg(i) for i in e.inputs]
        outs = ", ".join(f"v{o.id}" for o in e.outputs)
        if e.prim.multiple_results:
            outs = outs + ","
        expr = _inline(e, args, ns, strong, f"v{reuse[k].id}" if k in reuse else None)
        if expr is None:
            fname = f"p{k}"
            ns[fname] = e.prim.impl
            kw = ""
            if k in reuse:
                kw = f", out=v{reuse[k].id}"
            if e.params:
                pname = f"k{k}"
                ns[pname] = e.params
                kw = f", **{pname}"
            expr = f"{fname}({', '.join(args)}{kw})"
        lines.append(f"    {outs} = {expr}  # {e.prim.name}")
        for o in e.outputs:
            for kind, val in guards_at.pop(o.id, []):
                lines.append(_guard_line(o, kind, val, ns))
    rets = [arg(o) for o in program.outputs]
    lines.append(f"    return ({', '.join(rets)}{',' if len(rets) == 1 else ''})")
    src = "\n".join(lines)
    exec(compile(src, "<wengert.jit>", "exec"), ns)
    return ns["compiled"], src


def _names_in(text):
    import re
    return {int(m) for m in re.findall(r"\bv(\d+)\b", text)}


def _guard_line(v, kind, val, ns):
    conv = {"bool": "bool", "float": "float", "int": "int", "index": "int", "item": None}[kind]
    expr = f"v{v.id}.item()" if conv is None else f"{conv}(v{v.id})"
    name = f"g{len(ns)}"
    ns[name] = val
    return f"    if {expr} != {name}: raise _GuardFailed({name!r})"


# --- the transform ------------------------------------------------------------------------------------
class _Compiled:
    __slots__ = ("fn", "fast", "source", "program", "out_td", "n_out")

    def as_text(self):
        return self.source

    def __repr__(self):
        return self.source


class Lowered:
    """What ``jit(f).lower(*args)`` returns: the optimised program and generated source."""

    def __init__(self, compiled):
        self._c = compiled

    def as_text(self):
        return self._c.source

    @property
    def program(self):
        return self._c.program

    def __repr__(self):
        return self._c.source


def jit(fun, static_argnums=(), retrace=True):
    """Compile ``fun`` (see module docstring).

    Arguments:
        static_argnums: positions of arguments that are Python values baked into the trace
            (hashable; a new value means a new trace).
        retrace: when a recorded guard fails, trace again (default) or raise RetraceError.
    """
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    static_argnums = tuple(static_argnums)
    cache = {}

    def _split(args):
        static = tuple(args[i] for i in static_argnums)
        dyn = tuple(a for i, a in enumerate(args) if i not in static_argnums)
        leaves, td = tree_flatten(dyn)
        return static, leaves, td

    def _full(static, dyn):
        it_s, it_d = iter(static), iter(dyn)
        n = len(static) + len(dyn)
        return [next(it_s) if i in static_argnums else next(it_d) for i in range(n)]

    def _trace(static, leaves, td):
        holder = {}

        def flat(*ls):
            out = fun(*_full(static, td.unflatten(list(ls))))
            o_leaves, holder["td"] = tree_flatten(out)
            return tuple(o_leaves)

        program, outs, _ = trace_program(flat, leaves)
        program = optimize(program)
        c = _Compiled()
        c.fn, c.source = codegen(program)
        c.fast = None
        if any(e.prim.name == "strong_mul" for e in program.eqns):
            c.fast, _ = codegen(program, strong=False)
        c.program = program
        c.out_td = holder["td"]
        c.n_out = len(program.outputs)
        return c, outs

    def _key(static, leaves, td):
        avals = tuple((np.shape(x) if not isinstance(x, Tensor) else x.shape,
                       str(np.asarray(x).dtype if not isinstance(x, Tensor) else x.dtype))
                      for x in leaves)
        return (td, avals, static)

    def jitted(*args):
        static, leaves, td = _split(args)
        if any(isinstance(x, Tensor) and (x._rg or x._trace is not None or type(x) is not Tensor)
               for x in leaves):
            return fun(*args)  # being differentiated/transformed: run it, so rules apply
        plain = not any(isinstance(x, Tensor) for x in leaves)
        try:
            key = _key(static, leaves, td)
            hash(key)
        except TypeError:
            raise TypeError("jit: static arguments must be hashable") from None
        arrays = [x._value if isinstance(x, Tensor) else np.asarray(x) for x in leaves]
        entries = cache.setdefault(key, [])
        for c in entries:
            try:
                res = _run(c, arrays)
            except _GuardFailed:
                continue
            return _wrap_out(c, res, plain)
        if entries and not retrace:
            raise RetraceError(
                f"jit({getattr(fun, '__name__', 'f')}): a value-dependent branch went another "
                "way than when the function was traced, and retrace=False. Allow re-tracing, "
                "or make the branch a wnp.where.")
        c, outs = _trace(static, arrays, td)
        entries.append(c)
        jitted.trace_count += 1
        return _wrap_out(c, [o.val._value if hasattr(o, "val") else
                             (o._value if isinstance(o, Tensor) else o) for o in outs], plain)

    def lower(*args):
        static, leaves, td = _split(args)
        arrays = [x._value if isinstance(x, Tensor) else np.asarray(x) for x in leaves]
        c, _ = _trace(static, arrays, td)
        return Lowered(c)

    jitted.lower = lower
    jitted.trace_count = 0
    jitted.__wrapped__ = fun
    jitted.__name__ = f"jit({getattr(fun, '__name__', 'f')})"
    return jitted


def _run(c, arrays):
    """Strong zeros only where they matter: run the variant with plain products, and only if
    an output is not finite (where a 0 * inf could have leaked) run the strong variant."""
    if c.fast is None:
        return c.fn(*arrays)
    res = c.fast(*arrays)
    for r in res:
        if isinstance(r, np.ndarray) and r.dtype.kind in "fc" and not np.isfinite(r).all():
            return c.fn(*arrays)
        if isinstance(r, (float, complex, np.inexact)) and not np.isfinite(r):
            return c.fn(*arrays)
    return res


def _wrap_out(c, res, plain):
    vals = [np.asarray(r) if not isinstance(r, np.ndarray) else r for r in res]
    if not plain:
        vals = [Tensor._wrap(v) for v in vals]
    return c.out_td.unflatten(vals)
