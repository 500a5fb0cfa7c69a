"""``jit``: trace once per input signature into the Wengert-list IR, optimise, generate one
Python function of direct NumPy calls, cache it.

Pipeline (each step a small function below): ``trace_program`` (concrete tracing, guards
recorded) -> ``dce`` (drop equations whose results are unused) -> ``cse`` (merge equations
with the same primitive, inputs and parameters) -> ``simplify`` (x*1, x+0, x-0 from the
ones and zeros that differentiation produces; x+x as x*2; strong products that cannot mask
as plain ones; broadcast_to dropped before an op that broadcasts) -> ``fold_negations``
(negations absorbed into sums and products, kept when it saves equations) ->
``plan_fusion`` (with numexpr installed, float64 elementwise chains on large arrays become
one ``numexpr.evaluate`` each) -> ``plan_buffers`` (an elementwise result overwrites a dead
intermediate through ``out=``) -> ``codegen`` (straight-line Python calling each
primitive's NumPy ``impl`` or a direct NumPy expression, deleting each intermediate after
its last use; guards become checks that raise ``_GuardFailed``).

Strong zeros (``strong_mul``) cost nothing unless they matter: a second "fast" variant
multiplies plainly and proves afterwards that it was right, by checking either the strong
products' second operands where they are computed or the outputs that depend on them
(whichever reads less); if a value is not finite the strong variant runs instead.

Value-dependent Python control flow is safe: ``bool(x)``, ``float(x)``, ``x.item()`` on a
traced value record a guard; a later call whose guard differs is re-traced (or, with
``retrace=False``, raises ``RetraceError``) - never runs the wrong branch.

Composition: called with plain arrays, the compiled code runs.  Called with values that are
being differentiated or transformed (tensors that require grad, tracers), ``jit`` evaluates
``fun`` itself, so ``grad(jit(f))``, ``vmap(jit(f))`` are exactly ``grad(f)``, ``vmap(f)``;
``jit(grad(f))`` compiles the whole gradient computation.
"""
from __future__ import annotations

import cmath
import math

import numpy as np

from .._core.tensor import Tensor
from .._errors import WengertError
from .._tree import tree_flatten
from . import _numba_backend
from .ir import Eqn, Literal, Program, Var, trace_program


class RetraceError(WengertError, RuntimeError):
    """A jitted function's recorded guard failed and re-tracing was disabled."""


class _GuardFailed(Exception):
    pass


class _NotFinite(Exception):
    """Raised by a fast variant that checks its strong products' operands: one of them is
    inf or NaN, so the strong variant must run."""


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
    the equation, an ``Eqn`` that replaces it (same outputs), or the Vars/Literals that
    replace its outputs (the equation is dropped)."""
    rename = {}
    eqns = []

    def sub(x):
        return rename.get(x.id, x) if isinstance(x, Var) else x

    for e in program.eqns:
        ne = Eqn(e.prim, [sub(i) for i in e.inputs], e.params, e.outputs)
        repl = visit(ne)
        if repl is None:
            eqns.append(ne)
        elif isinstance(repl, Eqn):
            eqns.append(repl)
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


def _literal_array(x):
    v = x.value._value if isinstance(x.value, Tensor) else x.value
    try:
        return np.asarray(v)
    except (TypeError, ValueError):
        return None


def _ew():
    from ..numpy import _elementwise as ew  # the op library imports this module's package
    return ew


def _sh():
    from ..numpy import _shape as sh
    return sh


def _is_full_view(idx):
    """Whether ``x[idx]`` only inserts new axes and takes every element (full slices)."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(p is None or p is Ellipsis or (isinstance(p, slice) and p == slice(None))
               for p in parts)


# elementwise primitives whose NumPy implementation broadcasts its operands (besides ufuncs)
_BROADCASTING = frozenset({"strong_mul", "strong_mul2", "where", "clip"})


def simplify(program: Program) -> Program:
    """Remove identities, multiplications by one and additions/subtractions of zero when the
    result has the same shape and dtype as the surviving operand; write ``x + x`` as
    ``x * 2`` (exact, and one read of ``x``); and make a strong-zero product whose mask
    cannot matter a plain one: ``strong_mul(g, d)`` with a constant ``g`` that is nowhere
    zero, or a constant ``d`` that is everywhere finite."""
    ew = _ew()
    keep = _kept(program)
    bcast = {}  # var id -> the Var a broadcast_to read

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
        if (name == "add" and len(ins) == 2 and isinstance(ins[0], Var)
                and isinstance(ins[1], Var) and ins[0].id == ins[1].id
                and out.dtype.kind in "fc"):
            return Eqn(ew.multiply_p, [ins[0], Literal(2)], {}, e.outputs)
        if name == "broadcast_to" and isinstance(ins[0], Var):
            bcast[out.id] = ins[0]
        if ((isinstance(e.prim.impl, np.ufunc) or name in _BROADCASTING)
                and not e.prim.multiple_results
                and any(isinstance(i, Var) and i.id in bcast for i in ins)
                and int(np.prod(out.shape)) < FUSE_MIN_SIZE):
            # an elementwise op broadcasts by itself: read the source of a broadcast_to
            # when the result keeps its shape (below the fusion size, where fused code
            # wants operands of one shape)
            new = list(ins)
            for n, i in enumerate(ins):
                if isinstance(i, Var) and i.id in bcast:
                    trial = new[:n] + [bcast[i.id]] + new[n + 1:]
                    if np.broadcast_shapes(*(np.shape(_literal_array(j)) if isinstance(
                            j, Literal) else j.shape for j in trial)) == out.shape:
                        new = trial
            if any(a is not b for a, b in zip(new, ins)):
                return Eqn(e.prim, new, e.params, e.outputs)
        if (name == "scatter_add" and isinstance(ins[0], Var) and out.id not in keep
                and ins[0].dtype == out.dtype and _is_full_view(e.params["idx"])
                and int(np.prod(ins[0].shape)) == int(np.prod(out.shape))):
            # the transpose of x[:, None] (full slices and new axes): a reshape, not a
            # scatter into zeros
            return Eqn(_sh().reshape_p, ins[:1], {"shape": tuple(out.shape)}, e.outputs)
        if name == "strong_mul" and len(ins) == 2:
            g, d = (_literal_array(i) if isinstance(i, Literal) else None for i in ins)
            with np.errstate(invalid="ignore"):
                plain = (g is not None and g.dtype.kind in "biufc" and bool(np.all(g != 0))
                         or d is not None and d.dtype.kind in "biufc"
                         and bool(np.all(np.isfinite(d))))
            if plain:
                return Eqn(ew.multiply_p, ins, {}, e.outputs)
        return None

    return _rewrite(program, visit)


def fold_negations(program: Program) -> Program:
    """Carry negations symbolically into the equations that read them and write a negation
    out only where a reader cannot absorb it: ``a + (-b) = a - b``, ``a - (-b) = a + b``,
    ``(-a) + (-b) = -(a + b)``, ``-(-a) = a``, ``(-a) * b = -(a * b)`` (also for ``/`` and
    the strong product).  Each is exact in IEEE arithmetic up to the sign of a zero result.
    Followed by CSE this merges the ``g * x`` and ``g * (-x)`` that the product rule gives
    for ``x * (-x)``.  Floating-point (and for products real) values only: an integer
    negation can wrap before a promotion."""
    ew = _ew()
    keep = _kept(program)
    neg = {}  # var id -> Var b: the var's value is -b (written out on demand)
    written = set()
    rename = {}
    eqns = []

    def sub(x):
        return rename.get(x.id, x) if isinstance(x, Var) else x

    def split(x):
        if isinstance(x, Var) and x.id in neg:
            return neg[x.id], True
        return x, False

    def value(x):
        if isinstance(x, Var) and x.id in neg and x.id not in written:
            eqns.append(Eqn(ew.negative_p, [neg[x.id]], {}, [x]))
            written.add(x.id)
        return x

    def real(x):
        return not isinstance(x, Var) or x.dtype.kind == "f"

    for e in program.eqns:
        ins = [sub(i) for i in e.inputs]
        name, out = e.prim.name, e.outputs[0]
        res = None  # (primitive, inputs, whether the result is the negation of theirs)
        if e.params or e.prim.multiple_results or out.dtype.kind not in "fc":
            pass
        elif name == "negative" and isinstance(ins[0], Var):
            b, n = split(ins[0])
            if n:
                rename[out.id] = b
                continue
            if out.id not in keep:
                neg[out.id] = b
                continue
        elif name in ("add", "subtract") and len(ins) == 2:
            (a, na), (b, nb) = split(ins[0]), split(ins[1])
            if na or nb:
                if name == "add":
                    res = ((ew.add_p, [a, b], True) if na and nb else
                           (ew.subtract_p, [b, a], False) if na else
                           (ew.subtract_p, [a, b], False))
                else:
                    res = ((ew.subtract_p, [b, a], False) if na and nb else
                           (ew.add_p, [a, b], True) if na else
                           (ew.add_p, [a, b], False))
        elif (name in ("multiply", "strong_mul", "divide") and len(ins) == 2
              and out.dtype.kind == "f" and all(real(i) for i in ins)):
            (a, na), (b, nb) = split(ins[0]), split(ins[1])
            if na or nb:
                res = (e.prim, [a, b], na != nb)
        if res is None:
            eqns.append(Eqn(e.prim, [value(i) for i in ins], e.params, e.outputs))
            continue
        prim, args, negated = res
        if not negated:
            eqns.append(Eqn(prim, args, {}, [out]))
            continue
        t = Var(out.shape, out.dtype)
        eqns.append(Eqn(prim, args, {}, [t]))
        neg[out.id] = t
        if out.id in keep:
            value(out)
    outs = [value(sub(o)) for o in program.outputs]
    guards = [(value(sub(v)), k, val) for v, k, val in program.guards]
    return Program(program.inputs, eqns, outs, guards)


def optimize(program: Program) -> Program:
    program = dce(simplify(cse(dce(program))))
    folded = dce(simplify(cse(fold_negations(program))))
    return folded if len(folded.eqns) < len(program.eqns) else program


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
# A result read by several fused expressions is recomputed inside each of them (instead of
# being stored and read back) when it costs at most this many operations; an expression is
# cut (its value stored) beyond FUSE_MAX_OPS operations.
FUSE_RECOMPUTE_OPS = 3
FUSE_MAX_OPS = 32


def _numexpr():
    try:
        import numexpr
    except ImportError:
        return None
    return numexpr


def _ne_literal(i):
    """Whether the Literal ``i`` can be written into a numexpr expression (a finite Python
    int or float: ``repr`` round-trips it exactly)."""
    v = i.value._value if isinstance(i.value, Tensor) else i.value
    return (type(v) is int and abs(v) < 2 ** 31) or (type(v) is float and np.isfinite(v))


def _consumers(program):
    """var id -> indices of the equations reading it (once per reading position)."""
    consumers = {}
    for k, e in enumerate(program.eqns):
        for i in e.inputs:
            if isinstance(i, Var):
                consumers.setdefault(i.id, []).append(k)
    return consumers


def _kept(program):
    keep = {o.id for o in program.outputs if isinstance(o, Var)}
    keep |= {g[0].id for g in program.guards}
    return keep


def plan_fusion(program: Program, strong: bool):
    """Which equations run inside fused numexpr expressions: float64 elementwise arithmetic on
    large arrays of one shape.  Returns ``(fusable, inlined)``: equation indices computed by
    numexpr, and the Vars folded into their consumers' expressions (never stored).  A Var is
    folded when every reader is fused and it is read once or is cheap to recompute; an
    equation that folds nothing in is a single operation and stays a NumPy call."""
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
        if all(i.dtype == np.float64 and i.shape == out.shape if isinstance(i, Var)
               else _ne_literal(i) for i in e.inputs):
            fusable.add(k)
    consumers = _consumers(program)
    keep = _kept(program)
    inlined = set()
    cost = {}  # var id -> operations its expression holds once inlined
    for k in sorted(fusable):
        e = program.eqns[k]
        v = e.outputs[0]
        cost[v.id] = 1 + sum(cost.get(i.id, 0) for i in e.inputs
                             if isinstance(i, Var) and i.id in inlined)
        c = consumers.get(v.id, [])
        if v.id in keep or not c or not all(j in fusable for j in c):
            continue
        if len(c) == 1 and cost[v.id] <= FUSE_MAX_OPS or cost[v.id] <= FUSE_RECOMPUTE_OPS:
            inlined.add(v.id)
    # a stored result that folds nothing in is one operation: NumPy does it as well
    fusable = {k for k in fusable if program.eqns[k].outputs[0].id in inlined or any(
        isinstance(i, Var) and i.id in inlined for i in program.eqns[k].inputs)}
    return fusable, inlined


def _emission_positions(program, fusable, inlined):
    """For each equation, the equation indices at which its code runs: its own for a stored
    result, its (transitive) consumers' for a result folded into their expressions."""
    consumers = _consumers(program)
    at = [None] * len(program.eqns)
    for k in range(len(program.eqns) - 1, -1, -1):
        v = program.eqns[k].outputs[0]
        if k in fusable and v.id in inlined:
            at[k] = sorted({p for c in consumers[v.id] for p in at[c]})
        else:
            at[k] = [k]
    return at


def _last_uses(program, at):
    """var id -> the last equation index at which generated code reads it."""
    last = {}
    for k, e in enumerate(program.eqns):
        for i in e.inputs:
            if isinstance(i, Var):
                last[i.id] = max(last.get(i.id, -1), at[k][-1])
    return last


# --- buffer reuse -------------------------------------------------------------------------------
def _is_ufunc_eqn(e):
    return e.prim.accepts_out and not e.prim.multiple_results and not e.params


def plan_buffers(program: Program, fusable=frozenset(), inlined=frozenset()):
    """For each equation emitted as a NumPy call, the input Var whose buffer the result may
    overwrite (``out=``): an intermediate produced by a ufunc or a fused expression (a fresh
    buffer), read only by ufuncs (so no view of it exists), of the result's shape and dtype,
    and read by no code after this equation (fused expressions read their folded inputs
    where they run).  Saves an allocation and the page faults of a fresh array per
    elementwise op on large arrays."""
    consumers = {}
    for e in program.eqns:
        for i in e.inputs:
            if isinstance(i, Var):
                consumers.setdefault(i.id, []).append(e)
    last_use = _last_uses(program, _emission_positions(program, fusable, inlined))
    protected = {v.id for v in program.inputs} | _kept(program)
    producer = {e.outputs[0].id: e for e in program.eqns if not e.prim.multiple_results}

    def leaves(e):  # the stored Vars a fused expression reads
        for i in e.inputs:
            if isinstance(i, Var):
                yield from leaves(producer[i.id]) if i.id in inlined else (i,)

    fresh = set()
    plan = {}
    for k, e in enumerate(program.eqns):
        if k in fusable:
            out = e.outputs[0]
            if out.id not in inlined:
                # numexpr buffers its output when ``out`` is one of its inputs
                for i in leaves(e):
                    if (i.id in fresh and i.id not in protected and last_use.get(i.id) == k
                            and i.shape == out.shape and i.dtype == out.dtype
                            and all(_is_ufunc_eqn(c) for c in consumers[i.id])):
                        plan[k] = i
                        break
            fresh.add(out.id)
            continue
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
        x = e.inputs[0]
        if isinstance(x, Var) and tuple(p["axes"]) == tuple(range(len(x.shape) - 1, -1, -1)):
            return f"{a[0]}.T"  # the attribute is cheaper than the call
        return f"{a[0]}.transpose({p['axes']!r})"
    if name == "reshape":
        return f"{a[0]}.reshape({p['shape']!r})"
    x = e.inputs[0]
    direct = isinstance(x, Var) and x.shape != () and x.dtype.kind in "biufc"
    if name == "sum":
        if direct and x.dtype.kind in "fc":  # np.sum is add.reduce behind a Python wrapper
            return f"np.add.reduce({a[0]}, axis={p['axis']!r}, keepdims={p['keepdims']!r})"
        return f"np.sum({a[0]}, axis={p['axis']!r}, keepdims={p['keepdims']!r})"
    if name in ("max", "min") and direct:
        red = "np.maximum.reduce" if name == "max" else "np.minimum.reduce"
        return f"{red}({a[0]}, axis={p['axis']!r}, keepdims={p['keepdims']!r})"
    if name == "sum_to_shape" and direct and x.dtype.kind in "fc":
        shape = tuple(p["shape"])
        lead = len(x.shape) - len(shape)
        inner = tuple(i + lead for i, n in enumerate(shape)
                      if n == 1 and x.shape[i + lead] != 1)
        axes = tuple(range(lead)) + inner
        if not axes:
            return f"{a[0]}.reshape({shape!r})"
        if not inner:  # summing leading axes away leaves the target shape
            return f"np.add.reduce({a[0]}, axis={axes!r})"
        res = f"np.add.reduce({a[0]}, axis={axes!r}, keepdims=True)"
        return res if lead == 0 else f"{res}.reshape({shape!r})"
    if name == "strong_mul" and not strong:
        return f"np.multiply({a[0]}, {a[1]}{', out=' + out if out else ''})"
    return None


def codegen(program: Program, strong=True, fuse=True):
    """Generate straight-line Python source and compile it; returns ``(fn, source)``.

    With ``strong=False`` the strong-zero products are plain multiplications (the fast
    variant; ``jit`` falls back to the strong one when a checked value is not finite: the
    function raises ``_NotFinite`` when it checks the products' operands itself, and has
    ``checks_operands`` set then).  Intermediates are deleted right after their last use, as NumPy code written by hand
    frees them by rebinding names: the memory is reused while it is still in the cache,
    and the peak memory stays that of the live values."""
    ns = {"_GuardFailed": _GuardFailed, "np": np}
    guards_at = {}
    for v, kind, val in program.guards:
        guards_at.setdefault(v.id, []).append((kind, val))
    body = []  # (line, ids of the Vars it reads, ids of the Vars it defines)

    def emit(line, reads=(), defs=()):
        body.append((line, set(reads), defs))

    for v in program.inputs:
        for kind, val in guards_at.pop(v.id, []):
            emit(_guard_line(v, kind, val, ns), (v.id,))

    def arg(x):
        if isinstance(x, Var):
            return f"v{x.id}"
        v = x.value._value if isinstance(x.value, Tensor) else x.value
        if isinstance(v, (bool, int, float, complex)) and not isinstance(v, np.generic):
            return repr(v)
        name = f"c{len(ns)}"
        ns[name] = v
        return name

    fusable, inlined = plan_fusion(program, strong) if fuse else (set(), set())
    reuse = plan_buffers(program, fusable, inlined)
    checked = None if strong else _operand_checks(program, inlined)
    if checked:
        ns["_NotFinite"], ns["_nonfinite"] = _NotFinite, _any_nonfinite

    def check(v):  # the fast variant's check of a strong product's operand, where it is made
        if checked and v.id in checked:
            emit(f"    if _nonfinite((v{v.id},)): raise _NotFinite", (v.id,))

    for v in program.inputs:
        check(v)
    exprs = {}  # var id -> numexpr expression text (for inlined results)
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
            names = _names_in(text)
            ns.setdefault("_ne", _numexpr())
            to = f", out=v{reuse[k].id}" if k in reuse else ""
            emit(f"    v{out.id} = _ne.evaluate({text!r}, local_dict={{"
                 + ", ".join(f"'v{n}': v{n}" for n in sorted(names)) + f"}}{to})  # fused",
                 names, (out.id,))
            check(out)
            for kind, val in guards_at.pop(out.id, []):
                emit(_guard_line(out, kind, val, ns), (out.id,))
            continue
        args = [arg(i) for i in e.inputs]
        reads = [i.id for i in e.inputs if isinstance(i, Var)]
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
        emit(f"    {outs} = {expr}  # {e.prim.name}", reads, [o.id for o in e.outputs])
        for o in e.outputs:
            check(o)
            for kind, val in guards_at.pop(o.id, []):
                emit(_guard_line(o, kind, val, ns), (o.id,))
    lines = [f"def compiled({', '.join(f'v{v.id}' for v in program.inputs)}):"]
    lines += _with_deletes(program, body)
    rets = [arg(o) for o in program.outputs]
    lines.append(f"    return ({', '.join(rets)}{',' if len(rets) == 1 else ''})")
    src = "\n".join(lines)
    exec(compile(src, "<wengert.jit>", "exec"), ns)
    ns["compiled"].checks_operands = bool(checked)
    return ns["compiled"], src


_CHECK_CALL_ELEMENTS = 4096  # a finiteness check's call overhead, in elements read


def _operand_checks(program, inlined):
    """How the fast variant proves that it equals the strong one: the ids of the strong
    products' second operands (checked where they are computed; if all are finite, every
    product is a plain one), or None to check the outputs after the run instead (``_run``),
    whichever reads less.  None too when an operand is folded into a fused expression."""
    ds = {}
    for e in program.eqns:
        if e.prim.name == "strong_mul" and isinstance(e.inputs[1], Var):
            d = e.inputs[1]
            if d.id in inlined:
                return None
            ds[d.id] = int(np.prod(d.shape))
    outs = {o.id: int(np.prod(o.shape)) for n, o in enumerate(program.outputs)
            if n in _strong_outputs(program)}
    # outputs are checked after the run, out of the cache: count them 1.5 times
    cost_d = sum(s + _CHECK_CALL_ELEMENTS for s in ds.values())
    cost_o = sum(1.5 * s + _CHECK_CALL_ELEMENTS for s in outs.values())
    return set(ds) if ds and cost_d < cost_o else None


def _with_deletes(program, body):
    """The body lines with ``del`` statements after the last line that reads each
    intermediate (right after its definition when nothing reads it)."""
    keep = {o.id for o in program.outputs if isinstance(o, Var)}
    keep |= {v.id for v in program.inputs}
    last = {}
    for n, (_, reads, defs) in enumerate(body):
        for d in defs:
            last.setdefault(d, n)
        for r in reads:
            last[r] = n
    dels = {}
    for n, (_, _, defs) in enumerate(body):
        for d in defs:
            if d not in keep:
                dels.setdefault(last[d], []).append(d)
    out = []
    for n, (line, _, _) in enumerate(body):
        out.append(line)
        if n in dels:
            out.append("    del " + ", ".join(f"v{i}" for i in sorted(dels[n])))
    return out


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
    __slots__ = ("check", "fast", "fn", "n_out", "out_td", "program", "source")

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


def jit(fun, static_argnums=(), retrace=True, backend="auto"):
    """Compile ``fun`` (see module docstring).

    Arguments:
        static_argnums: positions of arguments that are Python values baked into the trace
            (hashable; a new value means a new trace).
        retrace: when a recorded guard fails, trace again (default) or raise RetraceError.
        backend: what runs the elementwise work.  ``"numpy"``: one NumPy call per operation;
            ``"numexpr"``: long float64 chains on large arrays become ``numexpr.evaluate``
            calls (when numexpr is installed); ``"numba"``: every run of supported
            elementwise operations on one shape becomes one compiled numba loop (requires
            numba), the rest as ``"numexpr"``; ``"auto"`` (default): numba kernels only
            where the cost model of ``_numba_backend`` says they win (many operations on
            small or medium arrays, long arithmetic chains), numexpr and NumPy elsewhere;
            without numba it is ``"numexpr"``.  Results agree to rounding whichever runs.
    """
    _numba_backend.check_backend(backend)
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
        run = _numba_backend.fuse_regions(program, backend)  # numba kernels, if chosen
        fuse = backend != "numpy"
        c.fn, c.source = codegen(run, fuse=fuse)
        c.fast = None
        if any(e.prim.name == "strong_mul" for e in run.eqns):
            c.fast, _ = codegen(run, strong=False, fuse=fuse)
        c.check = () if getattr(c.fast, "checks_operands", False) else _strong_outputs(run)
        c.program = program
        c.out_td = holder["td"]
        c.n_out = len(program.outputs)
        return c, outs

    def _key(static, leaves, td):
        avals = tuple((x.shape, x.dtype) if type(x) is np.ndarray or isinstance(x, Tensor)
                      else (np.shape(x), np.asarray(x).dtype) for x in leaves)
        return (td, avals, static)

    def jitted(*args):
        static, leaves, td = _split(args)
        if any(isinstance(x, Tensor) and (x._rg or x._trace is not None or type(x) is not Tensor)
               for x in leaves):
            return fun(*args)  # being differentiated/transformed: run it, so rules apply
        plain = not any(isinstance(x, Tensor) for x in leaves)
        key = _key(static, leaves, td)
        try:
            entries = cache.get(key)
        except TypeError:
            raise TypeError("jit: static arguments must be hashable") from None
        if entries is None:
            entries = cache[key] = []
        arrays = [x._value if isinstance(x, Tensor) else np.asarray(x) for x in leaves]
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
    an output computed from a strong product is not finite (where a 0 * inf could have
    leaked) run the strong variant."""
    if c.fast is None:
        return c.fn(*arrays)
    try:
        res = c.fast(*arrays)
    except _NotFinite:
        return c.fn(*arrays)
    if c.check and _any_nonfinite([res[i] for i in c.check]):
        return c.fn(*arrays)
    return res


def _strong_outputs(program):
    """Indices of the outputs that depend on a strong product (the others are the same in
    the fast and the strong variant, so they need no check)."""
    tainted = set()
    for e in program.eqns:
        if e.prim.name == "strong_mul" or any(
                isinstance(i, Var) and i.id in tainted for i in e.inputs):
            tainted.update(o.id for o in e.outputs)
    return tuple(n for n, o in enumerate(program.outputs)
                 if isinstance(o, Var) and o.id in tainted)


_DOT_CHECK_SIZE = 4096


def _any_nonfinite(values):
    """Whether an inf or NaN is among ``values``.  Large float32/float64 arrays are checked
    with one BLAS dot product ``v @ v`` (not finite iff an entry is not, or the sum of squares
    overflows, which the exact ``isfinite`` pass then rules out): a read of the array without
    the boolean temporary of ``isfinite(v).all()``."""
    big = []
    for r in values:
        if isinstance(r, np.ndarray):
            if r.dtype.kind not in "fc":
                continue
            if (r.size >= _DOT_CHECK_SIZE and r.dtype.char in "fd"
                    and (r.flags.c_contiguous or r.flags.f_contiguous)):
                big.append(r.ravel(order="K"))
            elif not np.isfinite(r).all():
                return True
        elif isinstance(r, (float, complex, np.inexact)) and not cmath.isfinite(r):
            return True
    if big:
        with np.errstate(over="ignore", invalid="ignore"):
            for v in big:
                if not math.isfinite(np.dot(v, v)) and not np.isfinite(v).all():
                    return True
    return False


def _wrap_out(c, res, plain):
    vals = [np.asarray(r) if not isinstance(r, np.ndarray) else r for r in res]
    if not plain:
        vals = [Tensor._wrap(v) for v in vals]
    return c.out_td.unflatten(vals)
