"""Optional numba backend of ``jit``: maximal regions of elementwise equations become one
compiled loop each.

``fuse_regions(program, backend)`` rewrites an optimised ``Program``: runs of elementwise
equations over arrays of one shape (one-element values enter as scalars) are replaced by a
single equation whose ``impl`` calls a ``numba.njit`` function, so the generated Python makes
one call where it made one NumPy call per operation.  Everything else in the pipeline (buffer
reuse, numexpr fusion, code generation, guards, the plain/strong variants) runs unchanged on
the rewritten program.

The compiled function (``_kernel_source``) is a loop over the flattened elements whose body is
one call, whatever the number of operations and results::

    b0 = np.empty((3,) + a0.shape, np.float64)   # one buffer per result dtype
    for i in range(n):
        body(i, n, (x0, s1, x2), (b0,))           # the whole region; stores row m, element i

``body`` is a numba ``intrinsic`` whose code generator emits the region's LLVM instructions
directly (``_emit``): IEEE ``fadd``/``fmul``/... and calls to the C library's ``sin``,
``tanh``, ... (what NumPy's loops compute, to an ulp), no fast-math.  The results are handed
out as rows of their buffer (``_caller``).  Writing the region as Python statements instead
costs numba ~7 ms per statement, growing faster than linearly (W1's gradient: 4-6 s; 58
results with a statement and an allocation each: 7.5 s, against 0.33 s this way).

Semantics kept from the NumPy path:
* dtypes: every operation computes in the dtype NumPy's promotion gives (NEP 50: Python
  scalars are weak), checked against the traced result's dtype; float32 stays float32.
* strong zeros: ``strong_mul(g, d)`` is ``g * d`` except 0 where ``g == 0`` and the product
  is NaN (0 * inf, 0 * NaN); ``strong_mul2`` likewise where either factor is 0.  This costs
  one compare per product, so kernels always use it and the plain variant needs no rerun.
* NaN/inf propagate as in NumPy (maximum/minimum propagate NaN, fmax/fmin skip it, ...).
  NumPy's floating-point warnings ("invalid value encountered") are not raised in kernels.

When numba is not installed, when a region's operations or dtypes are unsupported, or
when compiling fails, the equations stay NumPy calls (``last_error`` keeps the exception).
"""
from __future__ import annotations

import math

import numpy as np

from .._core.primitive import PRIMITIVES, Primitive
from .._core.tensor import Tensor
from .ir import Eqn, Program, Var

BACKENDS = ("auto", "numpy", "numexpr", "numba")

# --- when a region is worth a kernel ("auto") --------------------------------------------------
# Measured on the benchmark machine (AMD EPYC, AVX2 without AVX-512, one thread, NumPy 2.4,
# numba 0.68; minimum of 7 repeats, interleaved, on a loaded 2-core machine so +-30%):
#   a NumPy ufunc call on a small array                          NP_CALL  0.65-0.9 us
#   a kernel call (numba dispatch, output buffer, the rows out)   NB_CALL  1.3 us, +~0.1 us
#                                                                 per argument or result
#   per element of one operation (the difference it makes to a whole program, so with the
#   memory traffic of its temporaries), NumPy / kernel, ns, 4096 to 10^6 elements:
#     float64  add, multiply  0.95-1.0 / 0.02-0.18    sin, cos  9.4-17.5 / 10.1-14.5
#              tanh  14-24 / 11.7-20.6    exp  4.7-10.9 / 5.2-10    log  3.7-12.2 / 4.9-7.2
#              power  14-27 / 15-31     sigmoid  10-44 / 6-7.4  (several NumPy calls)
#     float32  add, multiply  0.2-0.5 / 0.02-0.16     sin, cos, exp, log  1.6-6.3 / 2.6-6.8
#              tanh  5.4-6.1 / 23-24 (glibc's tanhf; kernels use tanh in float64: ~12-20)
#              tan  8.8-12.9 / 6.6-12.2   power  8-14 / 6.6-9.7
# (NumPy's float32 loops are SIMD; its float64 ones on AVX2 call the same C library as a
# kernel, so a kernel costs no more per element and saves every temporary.)  A kernel wins on
# small arrays by the calls it saves (W1: ~500 calls of ~0.8 us against one call), and on
# large ones by the temporaries it never writes (W5's gradient, interleaved: 1.7-2x faster
# than NumPy or numexpr at 10^3-10^7 elements).  An operation that costs more per element in
# a kernel than as a NumPy call, its temporary and the call's overhead (float32 sin/exp/...
# beyond ~400 elements, float32 tanh beyond ~100) stays a NumPy call between kernels.
# Compiling takes ~0.15-0.3 s per small kernel and ~1 s for W1's gradient (499 equations, of
# which LLVM ~0.6 s), plus once per process numba's import (~0.3-0.6 s) and start-up (~2 s);
# so "auto" builds only kernels that replace at least AUTO_MIN_EQNS calls.
NP_CALL = 0.8e-6
NB_CALL = 1.3e-6
NB_ARG = 0.1e-6
# Every array a kernel reads stays alive until the kernel runs, where NumPy would have used it
# at once, still in the cache: a region that sums 100 matmul results (W6's gradient, 64 x 64)
# made the whole gradient ~0.8 ms (20%) slower, ~1 ns per element of each input.
NB_INPUT_NS = 1.0
# ns per element, (NumPy, kernel); "transc": the other C-library functions; "strong":
# strong_mul, whose NumPy impl first checks that the derivative is finite (two more passes)
_NS_F64 = {"arith": (0.7, 0.05), "strong": (2.5, 0.1), "transc": (10.0, 10.0), "exp": (5.0, 5.0),
           "log": (5.0, 5.0), "tanh": (15.0, 15.0), "power": (14.0, 15.0), "sigmoid": (12.0, 6.0)}
_NS_F32 = {"arith": (0.4, 0.05), "strong": (1.5, 0.1), "transc": (2.0, 4.5), "tanh": (6.0, 15.0),
           "tan": (10.0, 10.0), "power": (10.0, 8.0), "sigmoid": (8.0, 6.0)}
# With AVX-512 NumPy's float64 transcendental loops are SIMD (SVML) too: ~2.5 ns
_NUMPY_SIMD_F64 = False
try:
    from numpy._core._multiarray_umath import __cpu_features__ as _cpu
    _NUMPY_SIMD_F64 = bool(_cpu.get("AVX512_SKX"))
except ImportError:  # pragma: no cover - older NumPy layouts
    _NUMPY_SIMD_F64 = False
AUTO_MIN_EQNS = 8
# Compile time grows about linearly with the loop body (a chain of 4000 equations: 1.6 s) and
# splitting a region costs more than it saves (W1 x 4, 2000 equations: 3.7 s as one kernel,
# 11.7 s as three, whose boundaries carry hundreds of values); only beyond this is it split.
MAX_REGION_EQNS = 4096

last_error = None  # the exception of the last failed kernel compile (fallback to NumPy)

_F32, _F64, _BOOL = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.bool_)
_FLOATS = (_F32, _F64)

# op name -> (kind, emitter tag).  Kinds: "f" float -> float in the promoted dtype,
# "cmp" float -> bool, "pred" float -> bool (unary), "logic" bool -> bool, "where", "astype",
# "bcast" (broadcast_to of a scalar).
_EXTERN = {  # C library functions (float64 name; float32 is name + "f")
    "tan": "tan", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "expm1": "expm1",
    "log1p": "log1p", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
    "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "cbrt": "cbrt",
    "log2": "log2", "arctan2": "atan2", "hypot": "hypot", "power": "pow",
}
_INTRINSIC = {  # LLVM intrinsics (lowered to the C library or to one instruction)
    "sin": "llvm.sin", "cos": "llvm.cos", "exp": "llvm.exp", "log": "llvm.log",
    "log10": "llvm.log10", "exp2": "llvm.exp2", "sqrt": "llvm.sqrt", "absolute": "llvm.fabs",
    "fabs": "llvm.fabs", "floor": "llvm.floor", "ceil": "llvm.ceil", "trunc": "llvm.trunc",
    "rint": "llvm.rint", "copysign": "llvm.copysign",
}
_TRANSC = ({k for k in _EXTERN} | {"sin", "cos", "exp", "log", "log10", "exp2", "sigmoid",
                                    "softplus", "logaddexp"})
_ARITY = {
    "add": 2, "subtract": 2, "multiply": 2, "divide": 2, "strong_mul": 2, "strong_mul2": 2,
    "maximum": 2, "minimum": 2, "fmax": 2, "fmin": 2, "arctan2": 2, "hypot": 2,
    "power": 2, "copysign": 2, "logaddexp": 2, "clip": 3, "where": 3,
    "greater": 2, "greater_equal": 2, "less": 2, "less_equal": 2, "equal": 2, "not_equal": 2,
    "logical_and": 2, "logical_or": 2, "logical_xor": 2,
}
_UNARY_F = ({"negative", "positive", "conjugate", "square", "reciprocal", "sign", "deg2rad",
             "rad2deg", "sigmoid", "softplus", "alias", "stop_gradient", "copy"}
            | set(_EXTERN) | set(_INTRINSIC)) - {k for k, a in _ARITY.items() if a == 2}
_CMP = {"greater": ">", "greater_equal": ">=", "less": "<", "less_equal": "<=", "equal": "==",
        "not_equal": "!="}
_PRED = {"isnan", "isfinite", "isinf", "signbit"}
_LOGIC = {"logical_and", "logical_or", "logical_xor", "logical_not"}


def _kind(name):
    if name in _CMP:
        return "cmp"
    if name in _PRED:
        return "pred"
    if name in _LOGIC:
        return "logic"
    if name in ("where", "astype"):
        return name
    if name == "broadcast_to":
        return "bcast"
    if name in _UNARY_F or name in _ARITY:
        return "f"
    return None


SUPPORTED = frozenset(n for n in (set(_UNARY_F) | set(_ARITY) | _PRED | _LOGIC
                                  | {"astype", "broadcast_to"}) if _kind(n))


# --- eligibility ---------------------------------------------------------------------------
def _value(x):
    v = x.value
    return v._value if isinstance(v, Tensor) else v


def _operand(x, shape):
    """``("var", dtype)`` / ``("array", dtype)`` (an input of the region's shape, or of one
    element: a scalar in the loop), ``("const", value, dtype_or_None)`` (a scalar written into
    the code: dtype None for a weak Python scalar), or None when it cannot enter a kernel."""
    if isinstance(x, Var):
        if x.dtype not in _FLOATS and x.dtype != _BOOL:
            return None
        if x.shape == shape or (_size(x.shape) == 1 and len(x.shape) <= len(shape)):
            return ("var", x.dtype)
        return None
    v = _value(x)
    if type(v) in (bool, int, float):
        if type(v) is int and abs(v) > 2 ** 53:
            return None
        return ("const", v, None)
    if isinstance(v, (np.floating, np.bool_)) or (isinstance(v, np.ndarray) and v.shape == ()):
        dt = np.asarray(v).dtype
        if dt in _FLOATS or dt == _BOOL:
            return ("const", np.asarray(v).item(), dt)
        return None
    if isinstance(v, np.ndarray) and v.shape == shape and (v.dtype in _FLOATS or v.dtype == _BOOL):
        return ("array", v.dtype)
    return None


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _promote(ops):
    """NumPy's result dtype for the operands (Python scalars weak, as NEP 50)."""
    args = []
    for op in ops:
        if op[0] == "const" and op[2] is None:
            args.append(op[1])
        else:
            args.append(op[-1])
    try:
        return np.result_type(*args)
    except TypeError:
        return None


def _plan_eqn(e):
    """The compute dtype of an elementwise equation a kernel can run, or None."""
    name = e.prim.name
    kind = _kind(name)
    if kind is None or e.prim.multiple_results or len(e.outputs) != 1:
        return None
    out = e.outputs[0]
    shape = out.shape
    if shape == () or 0 in shape:
        return None
    if e.params and not ((kind == "astype" and set(e.params) == {"dtype"})
                         or (kind == "bcast" and set(e.params) == {"shape"})):
        return None
    arity = _ARITY.get(name, 1)
    if len(e.inputs) != arity:
        return None
    ops = [_operand(i, shape) for i in e.inputs]
    if any(o is None for o in ops):
        return None
    if kind == "bcast":  # of one element (the cotangent of a sum): a scalar in the loop
        ok = ((ops[0][0] == "const" and ops[0][2] in (None, out.dtype))
              or ops[0][-1] == out.dtype) and out.dtype in _FLOATS
        return out.dtype if ok else None
    if kind == "astype":
        src = ops[0][-1] if ops[0][0] != "const" else None
        ok = (src is not None and out.dtype == np.dtype(e.params["dtype"])
              and (out.dtype in _FLOATS or out.dtype == _BOOL))
        return out.dtype if ok else None
    if kind == "logic":
        ok = out.dtype == _BOOL and all(
            o[-1] == _BOOL if o[0] != "const" else type(o[1]) is bool for o in ops)
        return _BOOL if ok else None
    if kind == "where":
        c = ops[0]
        if (c[-1] if c[0] != "const" else None) != _BOOL:
            return None
        ops = ops[1:]
    cd = _promote(ops)
    if cd not in _FLOATS:
        return None
    if kind in ("cmp", "pred"):
        return cd if out.dtype == _BOOL else None
    return cd if out.dtype == cd else None


# --- regions ----------------------------------------------------------------------------------
class _Region:
    __slots__ = ("cd", "flush_at", "members", "shape")

    def __init__(self, shape):
        self.shape = shape
        self.members = []   # equation indices
        self.flush_at = None  # the equation index the kernel call is placed before
        self.cd = {}        # equation index -> compute dtype


def _form_regions(program, eligible):
    """Greedy linear scan: an eligible equation joins the open region of its shape; a region
    is closed (its kernel placed) right before the first equation outside it that reads one
    of its values, or when it reaches MAX_REGION_EQNS."""
    regions, open_, owner = [], {}, {}
    eqns = program.eqns

    def close(r, at):
        r.flush_at = at
        del open_[r.shape]

    for k, e in enumerate(eqns):
        cd = eligible.get(k)
        if cd is None:
            for i in e.inputs:
                if isinstance(i, Var) and i.id in owner:
                    r = owner[i.id]
                    if r.flush_at is None:
                        close(r, k)
            continue
        shape = e.outputs[0].shape
        r = open_.get(shape)
        if r is None:
            r = open_[shape] = _Region(shape)
            regions.append(r)
        r.members.append(k)
        r.cd[k] = cd
        owner[e.outputs[0].id] = r
        if len(r.members) >= MAX_REGION_EQNS:
            close(r, k + 1)
    for r in list(open_.values()):
        close(r, len(eqns))
    return regions


def _readers(program):
    """var id -> indices of the equations reading it; -1 for program outputs and guards."""
    readers = {}
    for k, e in enumerate(program.eqns):
        for i in e.inputs:
            if isinstance(i, Var):
                readers.setdefault(i.id, set()).add(k)
    for v in [o for o in program.outputs if isinstance(o, Var)] + [g[0] for g in program.guards]:
        readers.setdefault(v.id, set()).add(-1)
    return readers


def _region_io(program, r, readers):
    """The region's inputs (Vars and array Literals read from outside, in first-use order)
    and outputs (its values read outside it, or program outputs, or guarded)."""
    members = set(r.members)
    produced = {program.eqns[k].outputs[0].id for k in r.members}
    ins, seen = [], set()
    for k in r.members:
        for i in program.eqns[k].inputs:
            if isinstance(i, Var):
                if i.id not in produced and _ref(i) not in seen:
                    seen.add(_ref(i))
                    ins.append(i)
            elif (isinstance(_value(i), np.ndarray) and _value(i).shape != ()
                  and _ref(i) not in seen):
                seen.add(_ref(i))
                ins.append(i)
    outs = [program.eqns[k].outputs[0] for k in r.members
            if readers.get(program.eqns[k].outputs[0].id, set()) - members]
    return ins, outs


def _ref(x):
    """A key for a region input: a Var by its id, an array Literal by identity."""
    return ("v", x.id) if isinstance(x, Var) else ("c", id(x))


def _is_array_input(x, shape):
    if isinstance(x, Var):
        return x.shape == shape
    return True  # an array Literal of the region's shape


def _elem_ns(name, cd):
    """(NumPy, kernel) nanoseconds per element of one operation in compute dtype ``cd``."""
    table = _NS_F32 if cd == _F32 else _NS_F64
    if name not in _TRANSC:
        return table["strong" if name in ("strong_mul", "strong_mul2") else "arith"]
    np_ns, nb_ns = table.get(name, table["transc"])
    if cd == _F64 and _NUMPY_SIMD_F64 and name not in ("power", "sigmoid"):
        np_ns = min(np_ns, 2.5)
    return np_ns, nb_ns


def _worth_it(name, cd, size):
    """Whether one operation costs at most as much in a kernel as a NumPy call with its
    temporary ("auto"; see the figures above)."""
    np_ns, nb_ns = _elem_ns(name, cd)
    return nb_ns <= np_ns + _elem_ns("add", cd)[0] + NP_CALL * 1e9 / size


def _cost(program, r, ins, outs, size):
    """Estimated seconds per call: (NumPy calls, one kernel)."""
    t_np = t_nb = 0.0
    for k in r.members:
        np_ns, nb_ns = _elem_ns(program.eqns[k].prim.name, r.cd[k])
        t_np += NP_CALL + size * np_ns * 1e-9
        t_nb += size * nb_ns * 1e-9
    n_arrays = sum(1 for i in ins if _is_array_input(i, r.shape))
    t_nb += NB_CALL + NB_ARG * (len(ins) + len(outs)) + n_arrays * size * NB_INPUT_NS * 1e-9
    return t_np, t_nb


def _choose(program, r, ins, outs, backend):
    if not outs or not any(_is_array_input(i, r.shape) for i in ins):
        return False
    if backend == "numba":
        return len(r.members) >= 2  # a kernel for one operation only adds a call
    if len(r.members) < AUTO_MIN_EQNS:
        return False
    t_np, t_nb = _cost(program, r, ins, outs, _size(r.shape))
    return t_nb < 0.8 * t_np


# --- numba ----------------------------------------------------------------------------------------
_nb = None  # the numba module and helpers once imported: False if unavailable


def _numba():
    global _nb
    if _nb is None:
        try:
            import numba  # noqa: F401
            _nb = _setup_numba()
        except Exception:  # not installed, or an incompatible version
            _nb = False
    return _nb or None


def _setup_numba():
    import numba
    from numba import types

    return {"numba": numba, "types": types}


def _nbtype(dtype):
    types = _nb["types"]
    return {_F32: types.float32, _F64: types.float64, _BOOL: types.boolean}[np.dtype(dtype)]


def _describe(program, r, ins, outs):
    """A canonical description of the region (the kernel cache key) and the op list
    ``(name, operands, cd, out_dtype, params)`` with operands ``("in", j)``, ``("t", k)``
    (an earlier member's value) or ``("c", value, dtype)``."""
    pos = {_ref(x): j for j, x in enumerate(ins)}
    local = {}
    ops = []
    for t, k in enumerate(r.members):
        e = program.eqns[k]
        args = []
        for i in e.inputs:
            if isinstance(i, Var):
                args.append(("t", local[i.id]) if i.id in local else ("in", pos[_ref(i)]))
            elif _ref(i) in pos:
                args.append(("in", pos[_ref(i)]))
            else:
                op = _operand(i, r.shape)
                args.append(("c", op[1], op[2]))
        local[e.outputs[0].id] = t
        params = str(np.dtype(e.params["dtype"])) if e.prim.name == "astype" else ""
        ops.append((e.prim.name, tuple(args), str(r.cd[k]), str(e.outputs[0].dtype), params))
    in_sig = tuple((str(x.dtype if isinstance(x, Var) else _value(x).dtype),
                    "a" if _is_array_input(x, r.shape) else "s") for x in ins)
    out_idx = tuple(local[o.id] for o in outs)
    key = repr((in_sig, tuple(ops), out_idx))
    return key, ops, in_sig, out_idx


_KERNELS = {}  # description -> numba dispatcher (shared by every program with that region)


def _out_groups(out_dtypes):
    """Outputs of one dtype share one buffer of shape (count,) + shape: the dtypes in order
    of appearance, and each output's (buffer, row)."""
    groups, slots = [], []
    for dt in out_dtypes:
        dt = np.dtype(dt)
        if dt not in groups:
            groups.append(dt)
        g = groups.index(dt)
        slots.append((g, sum(1 for s in slots if s[0] == g)))
    return groups, slots


def _kernel_source(in_sig, out_dtypes):
    """The numba function: a loop whose body is one intrinsic call.  Its length does not
    depend on the number of operations or results (numba compiles each statement slowly:
    a statement and an allocation per result took 7 s for 58 results)."""
    groups, slots = _out_groups(out_dtypes)
    first = next(j for j, (_, k) in enumerate(in_sig) if k == "a")
    lines = [f"def kernel({', '.join(f'a{j}' for j in range(len(in_sig)))}):"]
    xs = []
    for j, (_, k) in enumerate(in_sig):
        if k == "a":
            lines.append(f"    x{j} = a{j}.ravel()")  # a view when C-contiguous
            xs.append(f"x{j}")
        else:
            xs.append(f"a{j}")
    lines.append(f"    n = x{first}.size")
    for g, dt in enumerate(groups):
        count = sum(1 for s in slots if s[0] == g)
        lines.append(f"    b{g} = np.empty(({count},) + a{first}.shape, np.{dt.name})")
    bufs = "".join(f"b{g}, " for g in range(len(groups)))
    lines.append("    for i in range(n):")
    lines.append(f"        body(i, n, ({', '.join(xs)},), ({bufs}))")
    lines.append(f"    return ({bufs})")
    return "\n".join(lines)


def _caller(disp, ins, shape, out_dtypes):
    """The Python function the generated code calls: passes one-element values as NumPy
    scalars (a 0-d array and a scalar would otherwise each need their own compile) and hands
    out each result as a row of its buffer."""
    groups, slots = _out_groups(out_dtypes)
    args = ", ".join(f"a{j}" for j in range(len(ins)))
    def arg(j, x):  # a one-element value: its element, as a NumPy scalar of its dtype
        if isinstance(x, Var) and x.shape != shape:
            return f"a{j}[{', '.join('0' * len(x.shape)) or '()'}]"
        return f"a{j}"

    call = ", ".join(arg(j, x) for j, x in enumerate(ins))
    bufs = "".join(f"b{g}, " for g in range(len(groups)))
    rets = "".join(f"b{g}[{m}], " for g, m in slots)
    ns = {"kernel": disp}
    exec(f"def call({args}):\n    {bufs}= kernel({call})\n    return ({rets})", ns)
    return ns["call"]


def _build_kernel(key, ops, in_sig, out_idx, out_dtypes):
    disp = _KERNELS.get(key)
    if disp is not None:
        return disp
    numba, types = _nb["numba"], _nb["types"]
    from numba.core import cgutils
    from numba.core.typing import signature
    from numba.extending import intrinsic

    in_types = [_nbtype(dt) for dt, _ in in_sig]
    _, slots = _out_groups(out_dtypes)

    def typer(typingctx, i, n, xs, bufs):
        return signature(types.none, i, n, xs, bufs), codegen

    def codegen(context, builder, sig, args):
        i, n, xs, bufs = args
        xs_ty, bufs_ty = sig.args[2], sig.args[3]
        vals = []
        for j, ty in enumerate(xs_ty):
            v = builder.extract_value(xs, j)
            if isinstance(ty, types.Array):  # a 1-d (raveled) array: element i
                ary = context.make_array(ty)(context, builder, value=v)
                ptr = cgutils.get_item_pointer(context, builder, ty, ary, [i],
                                               wraparound=False)
                v = context.unpack_value(builder, ty.dtype, ptr)
                ty = ty.dtype
            vals.append(context.cast(builder, v, ty, in_types[j]))
        res = _emit(context, builder, ops, vals, [dt for dt, _ in in_sig])
        arys = [context.make_array(bty)(context, builder, value=builder.extract_value(bufs, g))
                for g, bty in enumerate(bufs_ty)]
        for t, (g, m) in zip(out_idx, slots):
            row = builder.mul(n, context.get_constant(types.intp, m))
            ptr = builder.gep(arys[g].data, [builder.add(row, i)])
            context.pack_value(builder, bufs_ty[g].dtype, res[t], ptr)
        return context.get_dummy_value()

    body = intrinsic(typer)
    ns = {"np": np, "body": body}
    exec(compile(_kernel_source(in_sig, out_dtypes), "<wengert.jit.numba>", "exec"), ns)
    disp = numba.njit(error_model="numpy", cache=False, nogil=True)(ns["kernel"])
    _KERNELS[key] = disp
    return disp


def _emit(context, builder, ops, in_vals, in_dtypes):
    """LLVM instructions for the region's operations, in order; returns the list of values."""
    from llvmlite import ir

    module = builder.module
    lty = {_F32: ir.FloatType(), _F64: ir.DoubleType(), _BOOL: ir.IntType(1)}
    vals = []  # (llvm value, dtype) per op

    def conv(v, src, dst):
        if src == dst:
            return v
        if dst == _BOOL:
            return builder.fcmp_unordered("!=", v, ir.Constant(lty[src], 0.0))
        if src == _BOOL:
            return builder.uitofp(v, lty[dst])
        return builder.fpext(v, lty[dst]) if dst == _F64 else builder.fptrunc(v, lty[dst])

    def operand(a, cd):
        if a[0] == "in":
            return conv(in_vals[a[1]], np.dtype(in_dtypes[a[1]]), cd)
        if a[0] == "t":
            v, dt = vals[a[1]]
            return conv(v, dt, cd)
        value = a[1]
        if cd == _BOOL:
            return ir.Constant(lty[_BOOL], int(bool(value)))
        return ir.Constant(lty[cd], float(np.asarray(value, dtype=cd)))

    def call(name, args, t):
        fn = module.globals.get(name)
        if fn is None:
            fn = ir.Function(module, ir.FunctionType(t, [t] * len(args)), name=name)
            fn.attributes.add("nounwind")
            fn.attributes.add("readnone")
        return builder.call(fn, args)

    def extern(name, args, cd):
        return call(name + ("f" if cd == _F32 else ""), args, lty[cd])

    def intr(name, args, cd):
        t = lty[cd]
        fn = module.declare_intrinsic(name, [t], ir.FunctionType(t, [t] * len(args)))
        return builder.call(fn, args)

    def const(x, cd):
        return ir.Constant(lty[cd], float(np.asarray(x, dtype=cd)))

    def isnan(x):
        return builder.fcmp_unordered("uno", x, x)

    def sel_max(a, b, op):  # NumPy: (a >= b || isnan(a)) ? a : b
        return builder.select(builder.or_(builder.fcmp_ordered(op, a, b), isnan(a)), a, b)

    def logaddexp(x, y, cd):  # npy_logaddexp
        d = builder.fsub(x, y)
        pos = builder.fcmp_ordered(">", d, const(0, cd))
        big = builder.select(pos, x, y)
        small = builder.select(pos, builder.fneg(d), d)
        r = builder.fadd(big, extern("log1p", [intr("llvm.exp", [small], cd)], cd))
        r = builder.select(isnan(d), d, r)
        same = builder.fcmp_ordered("==", x, y)
        return builder.select(same, builder.fadd(x, const(math.log(2.0), cd)), r)

    for name, args, cd_s, out_s, params in ops:
        cd, out_dt = np.dtype(cd_s), np.dtype(out_s)
        kind = _kind(name)
        if kind == "where":
            c = operand(args[0], _BOOL)
            a, b = operand(args[1], cd), operand(args[2], cd)
            vals.append((builder.select(c, a, b), cd))
            continue
        if kind == "astype":
            a = args[0]
            src = (np.dtype(in_dtypes[a[1]]) if a[0] == "in" else vals[a[1]][1])
            vals.append((conv(operand(a, src), src, out_dt), out_dt))
            continue
        if kind == "bcast":
            vals.append((operand(args[0], cd), cd))
            continue
        x = [operand(a, cd) for a in args]
        if kind == "cmp":
            f = builder.fcmp_unordered if name == "not_equal" else builder.fcmp_ordered
            vals.append((f(_CMP[name], x[0], x[1]), _BOOL))
            continue
        if kind == "pred":
            if name == "isnan":
                r = isnan(x[0])
            elif name == "signbit":
                bits = ir.IntType(32 if cd == _F32 else 64)
                r = builder.icmp_signed("<", builder.bitcast(x[0], bits), ir.Constant(bits, 0))
            else:
                ax = intr("llvm.fabs", [x[0]], cd)
                inf = const(np.inf, cd)
                r = (builder.fcmp_ordered("<", ax, inf) if name == "isfinite"
                     else builder.fcmp_ordered("==", ax, inf))
            vals.append((r, _BOOL))
            continue
        if kind == "logic":
            if name == "logical_not":
                r = builder.not_(x[0])
            else:
                r = {"logical_and": builder.and_, "logical_or": builder.or_,
                     "logical_xor": builder.xor}[name](x[0], x[1])
            vals.append((r, _BOOL))
            continue
        # float -> float
        if name == "add":
            r = builder.fadd(x[0], x[1])
        elif name == "subtract":
            r = builder.fsub(x[0], x[1])
        elif name in ("multiply", "strong_mul", "strong_mul2"):
            r = builder.fmul(x[0], x[1])
            if name != "multiply":
                zero = const(0, cd)
                z = builder.fcmp_ordered("==", x[0], zero)
                if name == "strong_mul2":
                    z = builder.or_(z, builder.fcmp_ordered("==", x[1], zero))
                r = builder.select(builder.and_(isnan(r), z), zero, r)
        elif name == "divide":
            r = builder.fdiv(x[0], x[1])
        elif name == "negative":
            r = builder.fneg(x[0])
        elif name in ("positive", "conjugate", "alias", "stop_gradient", "copy"):
            r = x[0]
        elif name == "square":
            r = builder.fmul(x[0], x[0])
        elif name == "reciprocal":
            r = builder.fdiv(const(1, cd), x[0])
        elif name == "deg2rad":
            r = builder.fmul(x[0], const(math.pi / 180.0, cd))
        elif name == "rad2deg":
            r = builder.fmul(x[0], const(180.0 / math.pi, cd))
        elif name == "sign":  # NumPy: x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x
            r = builder.select(builder.fcmp_ordered("==", x[0], const(0, cd)), const(0, cd),
                               x[0])
            r = builder.select(builder.fcmp_ordered("<", x[0], const(0, cd)), const(-1, cd), r)
            r = builder.select(builder.fcmp_ordered(">", x[0], const(0, cd)), const(1, cd), r)
        elif name in ("maximum", "minimum"):
            r = sel_max(x[0], x[1], ">=" if name == "maximum" else "<=")
        elif name in ("fmax", "fmin"):  # (a >= b || isnan(b)) ? a : b
            op = ">=" if name == "fmax" else "<="
            r = builder.select(builder.or_(builder.fcmp_ordered(op, x[0], x[1]), isnan(x[1])),
                               x[0], x[1])
        elif name == "clip":  # minimum(maximum(x, lo), hi)
            r = sel_max(sel_max(x[0], x[1], ">="), x[2], "<=")
        elif name == "sigmoid":  # e = exp(-|x|); r = 1 / (1 + e); x >= 0 ? r : e * r
            e = intr("llvm.exp", [builder.fneg(intr("llvm.fabs", [x[0]], cd))], cd)
            q = builder.fdiv(const(1, cd), builder.fadd(const(1, cd), e))
            r = builder.select(builder.fcmp_ordered(">=", x[0], const(0, cd)), q,
                               builder.fmul(e, q))
        elif name == "softplus":
            r = logaddexp(const(0, cd), x[0], cd)
        elif name == "logaddexp":
            r = logaddexp(x[0], x[1], cd)
        elif name in _INTRINSIC:
            r = intr(_INTRINSIC[name], x, cd)
        elif name == "tanh" and cd == _F32:  # glibc's tanhf is 2x slower than its tanh
            r = builder.fptrunc(extern("tanh", [builder.fpext(x[0], lty[_F64])], _F64),
                                lty[_F32])
        elif name in _EXTERN:
            r = extern(_EXTERN[name], x, cd)
        else:  # pragma: no cover - _kind admits only the names above
            raise NotImplementedError(name)
        vals.append((r, cd))
    return [v for v, _ in vals]


def _signature(ins, shape):
    """The argument types compiled at trace time: C-contiguous arrays (a Var computed by a view
    operation may arrive strided or read-only: numba then compiles that variant at its first
    call), NumPy scalars for one-element values, constants' own types."""
    types = _nb["types"]
    sig = []
    for x in ins:
        if not isinstance(x, Var):
            sig.append(_nb["numba"].typeof(_value(x)))
        elif x.shape != shape:
            sig.append(_nbtype(x.dtype))
        else:
            sig.append(types.Array(_nbtype(x.dtype), len(shape), "C"))
    return tuple(sig)


def _region_prim(impl, n_eqns):
    name = f"numba_kernel[{n_eqns} eqns]"
    prev = PRIMITIVES.get(name)
    p = Primitive(name, impl, multiple_results=True)
    if prev is None:  # not an op of the library: keep it out of the registry
        del PRIMITIVES[name]
    else:
        PRIMITIVES[name] = prev
    return p


# --- the pass ------------------------------------------------------------------------------------
def fuse_regions(program: Program, backend: str = "auto") -> Program:
    """``program`` with elementwise regions replaced by numba kernels (see module docstring),
    or ``program`` itself when there is nothing to gain or numba is unavailable."""
    global last_error
    if backend not in ("auto", "numba"):
        return program
    try:
        return _fuse(program, backend)
    except Exception as exc:  # an optional backend never breaks jit: NumPy calls instead
        last_error = exc
        return program


def _fuse(program, backend):
    global last_error
    eligible = {}
    for k, e in enumerate(program.eqns):
        if e.prim.name in SUPPORTED:
            cd = _plan_eqn(e)
            if cd is not None and (backend == "numba" or _worth_it(
                    e.prim.name, cd, int(np.prod(e.outputs[0].shape)))):
                eligible[k] = cd
    if len(eligible) < (2 if backend == "numba" else AUTO_MIN_EQNS):
        return program
    regions = _form_regions(program, eligible)
    chosen = []
    readers = _readers(program)
    for r in regions:
        ins, outs = _region_io(program, r, readers)
        if _choose(program, r, ins, outs, backend):
            chosen.append((r, ins, outs))
    if not chosen or _numba() is None:
        return program
    placed = {}  # equation index -> list of region equations placed before it
    dropped = set()
    for r, ins, outs in chosen:
        key = None
        try:
            key, ops, in_sig, out_idx = _describe(program, r, ins, outs)
            out_dtypes = [o.dtype for o in outs]
            disp = _build_kernel(key, ops, in_sig, out_idx, out_dtypes)
            disp.compile(_signature(ins, r.shape))
            prim = _region_prim(_caller(disp, ins, r.shape, out_dtypes), len(r.members))
        except Exception as exc:  # numba rejected it: these equations stay NumPy calls
            last_error = exc
            _KERNELS.pop(key, None)
            continue
        placed.setdefault(r.flush_at, []).append(Eqn(prim, list(ins), {}, list(outs)))
        dropped.update(r.members)
    if not dropped:
        return program
    eqns = []
    for k, e in enumerate(program.eqns):
        eqns.extend(placed.pop(k, ()))
        if k not in dropped:
            eqns.append(e)
    eqns.extend(placed.pop(len(program.eqns), ()))
    return Program(program.inputs, eqns, program.outputs, program.guards)


def check_backend(backend):
    """Validate ``jit``'s ``backend`` argument (numba is imported only when asked for)."""
    if backend not in BACKENDS:
        raise ValueError(f"jit: backend={backend!r} is not one of "
                         f"{', '.join(map(repr, BACKENDS))}; pick one of those.")
    if backend == "numba" and _numba() is None:
        raise ImportError(
            "jit(backend='numba') needs numba, which is not installed (or failed to import). "
            "Install it (pip install numba), or use backend='auto', which uses numba only "
            "when it is available.")
