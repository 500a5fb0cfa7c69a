"""The op table: one entry per differentiable wengert.numpy function (several for functions
whose behaviour depends on axis, keepdims, broadcasting or index kind).

Each entry (``Op``) says how to call the function (``fn`` takes the differentiable arguments
positionally; everything static is closed over), which arguments to sample (``Arg``: shape and
domain), the NumPy/SciPy reference for the forward value (``ref``), and which checks apply
(order, modes, complex step, float32) with what tolerances.  Per-op exceptions live here, with
a comment, never in the test bodies.  tests/test_op_derivatives.py runs every entry through
tests/_checks.py; tests/test_rule_coverage.py checks that every public differentiable name
and every primitive is exercised here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import scipy.special as sps

import wengert.numpy as wnp
from wengert.numpy._shape import index_update as _index_update


# --- domains ---------------------------------------------------------------------------------------
# Each sampler draws float64 values of a shape from a domain where the function is smooth in a
# neighbourhood much wider than the finite-difference stencil (about +-0.01 around each point).
def _normal(rng, shape):
    return rng.standard_normal(shape)


def _pos(rng, shape):  # log, sqrt, power's base, var's scale...
    return rng.uniform(0.5, 2.0, shape)


def _nonzero(rng, shape):  # denominators, abs and sign away from their kink/jump at 0
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


def _off_int(rng, shape):  # floor/ceil/trunc: away from the integers where they jump
    return rng.integers(-3, 4, shape) + rng.uniform(0.2, 0.8, shape)


def _near_int(rng, shape):  # round/rint: away from the half-integers where they jump
    return rng.integers(-3, 4, shape) + rng.uniform(-0.3, 0.3, shape)


def _near_one(rng, shape):  # floor_divide's divisor: keeps off_int / y away from integers
    return 1.0 + rng.uniform(-0.01, 0.01, shape)


def _tan(rng, shape):  # away from the poles at +-pi/2
    return rng.uniform(-1.2, 1.2, shape)


def _log1p(rng, shape):
    return rng.uniform(-0.5, 2.0, shape)


def _even(rng, shape):  # maximum/minimum: _even and _odd values are >= 0.2 apart
    return 0.3 * 2 * rng.integers(-4, 5, shape) + rng.uniform(-0.05, 0.05, shape)


def _odd(rng, shape):
    return 0.3 * (2 * rng.integers(-4, 5, shape) + 1) + rng.uniform(-0.05, 0.05, shape)


def _distinct(rng, shape):  # max/min reductions: no two elements within 0.2 of each other
    n = int(np.prod(shape, dtype=np.int64))
    return (0.3 * rng.permutation(n) - 0.15 * n + rng.uniform(0, 0.05, n)).reshape(shape)


def _clip_x(rng, shape):  # clip to [-0.5, 0.5] (+-0.05): x stays 0.1 away from the bounds
    mag = np.where(rng.random(shape) < 0.5, rng.uniform(0.0, 0.4, shape),
                   rng.uniform(0.6, 2.0, shape))
    return rng.choice([-1.0, 1.0], shape) * mag


def _lo(rng, shape):
    return -0.5 + rng.uniform(-0.05, 0.05, shape)


def _hi(rng, shape):
    return 0.5 + rng.uniform(-0.05, 0.05, shape)


def _complex(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _wide(rng, shape):  # logistic functions: both tails, |x| up to 30
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 30.0, shape)


SAMPLERS = {
    "normal": _normal, "pos": _pos, "nonzero": _nonzero, "off_int": _off_int,
    "near_int": _near_int, "near_one": _near_one, "tan": _tan, "log1p": _log1p,
    "even": _even, "odd": _odd, "distinct": _distinct, "clip_x": _clip_x, "lo": _lo,
    "hi": _hi, "complex": _complex, "wide": _wide,
}


@dataclass(frozen=True)
class Arg:
    shape: tuple
    kind: str = "normal"
    dtype: object = None  # None: the test's dtype (float64, or float32 in the float32 tests)

    def sample(self, rng, dtype=np.float64):
        x = SAMPLERS[self.kind](rng, self.shape)
        if self.kind == "complex":
            return np.asarray(x, dtype=self.dtype or np.complex128)
        return np.asarray(x, dtype=self.dtype or dtype)


@dataclass(frozen=True)
class Op:
    id: str                      # unique test id
    name: str                    # the public wengert.numpy name this entry covers
    fn: Callable                 # fn(*differentiable args) with wengert.numpy
    args: tuple                  # Arg per positional argument of fn
    ref: Callable                # the same computation with NumPy/SciPy (forward values)
    order: int = 2               # highest derivative order checked
    modes: tuple = ("fwd", "rev")
    eps: float | None = None     # finite-difference step (None: tests/_checks.py default)
    rtol: float | None = None
    atol: float | None = None
    cstep: bool = False          # complex-analytic on real inputs: check by the complex step
    cstep_rtol: float = 1e-13
    f32: bool = True             # also check with float32 inputs (derivatives stay float32)
    f32_rtol: float = 2e-3
    value_rtol: float = 1e-13    # forward value against ref
    extra: dict = field(default_factory=dict)

    def sample(self, seed=0, dtype=np.float64):
        rng = np.random.default_rng(seed)
        return [a.sample(rng, dtype) for a in self.args]


OPS: list[Op] = []


def add(*ops):
    OPS.extend(ops)


def _shape_id(shapes):
    return "x".join("(" + ",".join(str(s) for s in shp) + ")" for shp in shapes)


# --- elementwise unary -----------------------------------------------------------------------------
# (name, domain, complex-step applies, NumPy reference if not np.<name>)
UNARY = [
    ("negative", "normal", True), ("positive", "normal", True),
    ("absolute", "nonzero", False), ("abs", "nonzero", False),
    ("sqrt", "pos", True), ("exp", "normal", True), ("log", "pos", True),
    ("log1p", "log1p", True), ("expm1", "normal", True), ("sin", "normal", True),
    ("cos", "normal", True), ("tan", "tan", True), ("tanh", "normal", True),
    ("arctan", "normal", True), ("reciprocal", "nonzero", True), ("square", "normal", True),
    # piecewise constant: derivative 0 (checked away from the jumps)
    ("sign", "nonzero", False), ("floor", "off_int", False), ("ceil", "off_int", False),
    ("trunc", "off_int", False), ("fix", "off_int", False), ("rint", "near_int", False),
    ("round", "near_int", False), ("around", "near_int", False),
]
_NP_REF = {"around": np.round, "fix": np.fix}
for _name, _kind, _cs in UNARY:
    for _shape in [(3, 4), ()]:
        add(Op(f"{_name}{_shape_id([_shape])}", _name, getattr(wnp, _name),
               (Arg(_shape, _kind),), _NP_REF.get(_name, getattr(np, _name)), cstep=_cs))

add(
    Op("round[decimals=1]", "round", lambda x: wnp.round(x, 1), (Arg((5,), "near_int"),),
       lambda x: np.round(x, 1)),
    # x ** <Python int>: negative bases allowed; x ** 0 and x ** 1 keep every order finite
    Op("power[x**3]", "power", lambda x: x ** 3, (Arg((3, 4)),), lambda x: x ** 3, cstep=True),
    Op("power[x**0]", "power", lambda x: wnp.power(x, 0), (Arg((4,)),),
       lambda x: np.power(x, 0)),
    Op("power[x**1]", "power", lambda x: wnp.power(x, 1), (Arg((4,)),),
       lambda x: np.power(x, 1), cstep=True),
    Op("power[x**-2]", "power", lambda x: wnp.power(x, -2.0), (Arg((4,), "nonzero"),),
       lambda x: np.power(x, -2.0), cstep=True),
    Op("power[2**x]", "power", lambda x: wnp.power(2.0, x), (Arg((4,)),),
       lambda x: np.power(2.0, x), cstep=True),
    Op("pow[x**y]", "pow", wnp.pow, (Arg((3,), "pos"), Arg((3,))), np.pow, cstep=True),
)

# --- elementwise binary, with broadcasting -----------------------------------------------------------
BINARY = [  # name, domain of x1, domain of x2, complex step applies
    ("add", "normal", "normal", True), ("subtract", "normal", "normal", True),
    ("multiply", "normal", "normal", True), ("divide", "normal", "nonzero", True),
    ("true_divide", "normal", "nonzero", True), ("power", "pos", "normal", True),
    ("maximum", "even", "odd", False), ("minimum", "even", "odd", False),
    ("arctan2", "nonzero", "nonzero", False),
    ("floor_divide", "off_int", "near_one", False),
]
BROADCAST_PAIRS = [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((), (3,)), ((4,), ())]
for _name, _k1, _k2, _cs in BINARY:
    for _s1, _s2 in BROADCAST_PAIRS:
        add(Op(f"{_name}{_shape_id([_s1, _s2])}", _name, getattr(wnp, _name),
               (Arg(_s1, _k1), Arg(_s2, _k2)), getattr(np, _name), cstep=_cs))

# --- clip and where ----------------------------------------------------------------------------------------
add(
    Op("clip[const]", "clip", lambda x: wnp.clip(x, -0.5, 0.5), (Arg((3, 4), "clip_x"),),
       lambda x: np.clip(x, -0.5, 0.5)),
    Op("clip[arrays]", "clip", wnp.clip, (Arg((3, 4), "clip_x"), Arg((4,), "lo"),
                                          Arg((3, 1), "hi")), np.clip),
    Op("clip[min only]", "clip", lambda x: wnp.clip(x, -0.5, None), (Arg((6,), "clip_x"),),
       lambda x: np.clip(x, -0.5, None)),
    Op("clip[max kw]", "clip", lambda x: wnp.clip(x, max=0.5), (Arg((6,), "clip_x"),),
       lambda x: np.clip(x, max=0.5)),
)
_COND = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])
add(
    Op("where[same]", "where", lambda x, y: wnp.where(_COND, x, y),
       (Arg((3, 4)), Arg((3, 4))), lambda x, y: np.where(_COND, x, y), cstep=True),
    Op("where[broadcast]", "where", lambda x, y: wnp.where(_COND[0], x, y),
       (Arg((3, 1)), Arg((4,))), lambda x, y: np.where(_COND[0], x, y), cstep=True),
    Op("where[scalar y]", "where", lambda x: wnp.where(_COND, x, 0.0),
       (Arg((3, 4)),), lambda x: np.where(_COND, x, 0.0), cstep=True),
    Op("where[relu]", "where", lambda x: wnp.where(x > 0, x, 0.0), (Arg((3, 4), "nonzero"),),
       lambda x: np.where(x > 0, x, 0.0)),
)

# --- reductions ----------------------------------------------------------------------------------------------
_AXES = [{}, {"axis": 1}, {"axis": (0, 2)}, {"axis": -1, "keepdims": True},
         {"axis": None, "keepdims": True}]


def _kw_id(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()) or "all"


def _reduction(name, kind="normal", cstep=True, axes=_AXES, ref=None, shape=(2, 3, 4), **op_kw):
    for kw in axes:
        add(Op(f"{name}[{_kw_id(kw)}]", name,
               partial(getattr(wnp, name), **kw), (Arg(shape, kind),),
               partial(ref or getattr(np, name), **kw), cstep=cstep,
               **op_kw))


_reduction("sum")
_reduction("mean")
_reduction("prod", value_rtol=1e-12)
_reduction("max", kind="distinct")
_reduction("amax", kind="distinct", axes=[{"axis": 0}])
_reduction("min", kind="distinct")
_reduction("amin", kind="distinct", axes=[{"axis": (1, 2), "keepdims": True}])
# var/std conjugate complex inputs, so they are not complex-analytic: no complex step
_VAR_AXES = [{}, {"axis": 1}, {"axis": (0, 2), "keepdims": True}, {"ddof": 1},
             {"axis": 0, "ddof": 1}]
_reduction("var", cstep=False, axes=_VAR_AXES, value_rtol=1e-12)
_reduction("std", cstep=False, axes=_VAR_AXES, value_rtol=1e-12)
add(
    Op("sum[dtype=float32]", "sum", lambda x: wnp.sum(x, dtype=np.float32), (Arg((5,)),),
       lambda x: np.sum(x, dtype=np.float32), f32=False, eps=0.1, rtol=1e-5,
       value_rtol=1e-6),  # float32 output: a wide step (exact for a linear map),
    Op("sum[initial]", "sum", lambda x: wnp.sum(x, axis=0, initial=2.0), (Arg((3, 2)),),
       lambda x: np.sum(x, axis=0, initial=2.0), cstep=True),
    Op("prod[4 elements]", "prod", wnp.prod, (Arg((4,)),), np.prod, cstep=True),
    Op("var[complex]", "var", wnp.var, (Arg((5,), "complex"),), np.var, f32=False),
    Op("mean[complex]", "mean", lambda x: wnp.mean(x, axis=0), (Arg((3, 2), "complex"),),
       lambda x: np.mean(x, axis=0), f32=False),
)

# --- shape ops -----------------------------------------------------------------------------------------------
add(
    Op("reshape[2d]", "reshape", lambda x: wnp.reshape(x, (2, 6)), (Arg((3, 4)),),
       lambda x: np.reshape(x, (2, 6)), cstep=True),
    Op("reshape[-1]", "reshape", lambda x: wnp.reshape(x, (-1, 2)), (Arg((2, 3, 4)),),
       lambda x: np.reshape(x, (-1, 2)), cstep=True),
    Op("transpose[default]", "transpose", wnp.transpose, (Arg((3, 4)),), np.transpose,
       cstep=True),
    Op("transpose[axes]", "transpose", lambda x: wnp.transpose(x, (1, 2, 0)),
       (Arg((2, 3, 4)),), lambda x: np.transpose(x, (1, 2, 0)), cstep=True),
    Op("matrix_transpose", "matrix_transpose", wnp.matrix_transpose, (Arg((2, 3, 4)),),
       np.matrix_transpose),
    Op("expand_dims[1]", "expand_dims", lambda x: wnp.expand_dims(x, 1), (Arg((3, 4)),),
       lambda x: np.expand_dims(x, 1)),
    Op("expand_dims[(0,-1)]", "expand_dims", lambda x: wnp.expand_dims(x, (0, -1)),
       (Arg((3,)),), lambda x: np.expand_dims(x, (0, -1))),
    Op("squeeze[all]", "squeeze", wnp.squeeze, (Arg((3, 1, 4, 1)),), np.squeeze),
    Op("squeeze[axis]", "squeeze", lambda x: wnp.squeeze(x, axis=1), (Arg((3, 1, 1)),),
       lambda x: np.squeeze(x, axis=1)),
    Op("broadcast_to", "broadcast_to", lambda x: wnp.broadcast_to(x, (2, 3, 4)),
       (Arg((3, 1)),), lambda x: np.broadcast_to(x, (2, 3, 4)), cstep=True),
    Op("broadcast_to[0-d]", "broadcast_to", lambda x: wnp.broadcast_to(x, (2, 2)),
       (Arg(()),), lambda x: np.broadcast_to(x, (2, 2))),
    Op("sum_to_shape", "sum_to_shape", lambda x: wnp.sum_to_shape(x, (3, 1)),
       (Arg((2, 3, 4)),), lambda x: np.sum(x, axis=(0, 2))[:, None], cstep=True),
    Op("moveaxis", "moveaxis", lambda x: wnp.moveaxis(x, 0, -1), (Arg((2, 3, 4)),),
       lambda x: np.moveaxis(x, 0, -1)),
    Op("moveaxis[multi]", "moveaxis", lambda x: wnp.moveaxis(x, (0, 1), (2, 0)),
       (Arg((2, 3, 4)),), lambda x: np.moveaxis(x, (0, 1), (2, 0))),
    Op("swapaxes", "swapaxes", lambda x: wnp.swapaxes(x, 0, 2), (Arg((2, 3, 4)),),
       lambda x: np.swapaxes(x, 0, 2)),
    Op("ravel", "ravel", wnp.ravel, (Arg((2, 3, 2)),), np.ravel, cstep=True),
    Op("atleast_1d", "atleast_1d", wnp.atleast_1d, (Arg(()),), np.atleast_1d),
    Op("copy", "copy", wnp.copy, (Arg((3,)),), np.copy, cstep=True),
    Op("take[flat]", "take", lambda x: wnp.take(x, [0, 5, 5, 2]), (Arg((2, 3)),),
       lambda x: np.take(x, [0, 5, 5, 2])),
    Op("take[axis]", "take", lambda x: wnp.take(x, [2, 0, 2], axis=1), (Arg((2, 3)),),
       lambda x: np.take(x, [2, 0, 2], axis=1)),
    # astype: a float32 result limits the finite differences to float32 precision; the map is
    # linear, so a wide step costs no truncation error
    Op("astype[f64->f32]", "astype", lambda x: wnp.astype(x, np.float32), (Arg((4,)),),
       lambda x: x.astype(np.float32), f32=False, eps=0.1, rtol=1e-5),
    Op("astype[f32->f64]", "astype", lambda x: wnp.astype(x, np.float64),
       (Arg((4,), dtype=np.float32),), lambda x: x.astype(np.float64), f32=False, eps=0.1,
       rtol=1e-5),
    Op("astype[f64->c128]", "astype", lambda x: wnp.astype(x, np.complex128), (Arg((4,)),),
       lambda x: x.astype(np.complex128), f32=False),
)

# --- indexing (Tensor.__getitem__) ---------------------------------------------------------------------
_MASK = np.array([[True, False, True, False], [False, False, True, True], [True] * 4])
_GETITEM = [
    ("basic", (slice(None, None, -1), slice(1, 4, 2))),
    ("int+newaxis+ellipsis", (1, None, Ellipsis)),
    ("negative int", -1),
    ("repeated", np.array([0, 2, 0, 0])),
    ("2d fancy", (np.array([0, 2, 0]), np.array([1, 1, 1]))),
    ("slice+fancy", (slice(None), np.array([3, 3, 0]))),
    ("bool mask", _MASK),
    ("bool rows", np.array([True, False, True])),
]


def _getitem(x, idx):
    return wnp.asarray(x)[idx]


def _np_getitem(x, idx):
    return x[idx]


for _label, _idx in _GETITEM:
    add(Op(f"getitem[{_label}]", "Tensor.__getitem__",
           partial(_getitem, idx=_idx), (Arg((3, 4)),), partial(_np_getitem, idx=_idx),
           cstep=True))

# x[idx] = v computes index_update(x, idx, v) out of place and rebinds x (the in-place form
# itself is refused inside functional transforms, so the table calls the functional form)
def _setitem(x, v, idx):
    return _index_update(x, idx, v)


def _np_setitem(x, v, idx):
    y = np.array(x, copy=True)
    y[idx] = v
    return y


for _label, _idx, _vshape in [("basic", (slice(1, None), slice(None, None, 2)), (2, 2)),
                              ("rows", np.array([0, 2]), (4,)),
                              ("mask", _MASK, ())]:
    add(Op(f"setitem[{_label}]", "Tensor.__setitem__",
           partial(_setitem, idx=_idx), (Arg((3, 4)), Arg(_vshape)),
           partial(_np_setitem, idx=_idx), cstep=True))


# --- joining ---------------------------------------------------------------------------------------------
add(
    Op("concatenate[0]", "concatenate", lambda x, y: wnp.concatenate([x, y]),
       (Arg((2, 3)), Arg((1, 3))), lambda x, y: np.concatenate([x, y]), cstep=True),
    Op("concatenate[1, three]", "concatenate",
       lambda x, y, z: wnp.concatenate([x, y, z], axis=1),
       (Arg((2, 1)), Arg((2, 3)), Arg((2, 2))),
       lambda x, y, z: np.concatenate([x, y, z], axis=1)),
    Op("concatenate[None]", "concatenate", lambda x, y: wnp.concatenate([x, y], axis=None),
       (Arg((2, 2)), Arg((3,))), lambda x, y: np.concatenate([x, y], axis=None)),
    Op("stack[0]", "stack", lambda x, y: wnp.stack([x, y]), (Arg((3,)), Arg((3,))),
       lambda x, y: np.stack([x, y]), cstep=True),
    Op("stack[-1]", "stack", lambda x, y, z: wnp.stack([x, y, z], axis=-1),
       (Arg((2, 3)), Arg((2, 3)), Arg((2, 3))), lambda x, y, z: np.stack([x, y, z], axis=-1)),
)

# --- products ------------------------------------------------------------------------------------------------
_MATMUL_SHAPES = [((3,), (3,)), ((4, 3), (3,)), ((3,), (3, 5)), ((4, 3), (3, 5)),
                  ((2, 4, 3), (2, 3, 5)), ((2, 1, 4, 3), (3, 3, 2)), ((2, 4, 3), (3,)),
                  ((3,), (2, 3, 5))]
for _s1, _s2 in _MATMUL_SHAPES:
    add(Op(f"matmul{_shape_id([_s1, _s2])}", "matmul", wnp.matmul, (Arg(_s1), Arg(_s2)),
           np.matmul, cstep=True, value_rtol=1e-12))
for _s1, _s2 in [((), (3,)), ((3,), (3,)), ((2, 3), (3, 4)), ((2, 3, 4), (5, 4, 2)),
                 ((2, 3), (3,))]:
    add(Op(f"dot{_shape_id([_s1, _s2])}", "dot", wnp.dot, (Arg(_s1), Arg(_s2)), np.dot,
           cstep=True, value_rtol=1e-12))
for _s1, _s2 in [((3,), (3,)), ((2, 3), (4, 3)), ((), (2,))]:
    add(Op(f"inner{_shape_id([_s1, _s2])}", "inner", wnp.inner, (Arg(_s1), Arg(_s2)),
           np.inner, cstep=True, value_rtol=1e-12))
for _s1, _s2 in [((3,), (4,)), ((2, 2), (3,))]:
    add(Op(f"outer{_shape_id([_s1, _s2])}", "outer", wnp.outer, (Arg(_s1), Arg(_s2)),
           np.outer, cstep=True))
for _label, _s1, _s2, _axes in [("2", (3, 4, 5), (4, 5, 2), 2),
                                ("pairs", (3, 4, 2), (4, 3, 5), ([1, 0], [0, 1])),
                                ("0", (2,), (3,), 0), ("1", (2, 3), (3, 2), 1)]:
    add(Op(f"tensordot[{_label}]", "tensordot",
           partial(wnp.tensordot, axes=_axes), (Arg(_s1), Arg(_s2)),
           partial(np.tensordot, axes=_axes), cstep=True,
           value_rtol=1e-12))
add(
    # vdot conjugates its first argument: not complex-analytic, so no complex step
    Op("vdot[real]", "vdot", wnp.vdot, (Arg((2, 3)), Arg((6,))), np.vdot, value_rtol=1e-12),
    Op("vdot[complex]", "vdot", wnp.vdot, (Arg((3,), "complex"), Arg((3,), "complex")),
       np.vdot, f32=False, value_rtol=1e-12),
)

# --- composites ----------------------------------------------------------------------------------------------
for _kw in [{}, {"axis": 1}, {"axis": (0, 2), "keepdims": True}, {"axis": -1}]:
    add(Op(f"logsumexp[{_kw_id(_kw)}]", "logsumexp",
           partial(wnp.logsumexp, **_kw), (Arg((2, 3, 4)),), partial(sps.logsumexp, **_kw),
           cstep=True, value_rtol=1e-12))
add(
    Op("logsumexp[b]", "logsumexp", lambda x, b: wnp.logsumexp(x, axis=0, b=b),
       (Arg((3, 2)), Arg((3, 2), "pos")), lambda x, b: sps.logsumexp(x, axis=0, b=b),
       cstep=True, value_rtol=1e-12),
)
for _kw in [{}, {"axis": 0}, {"axis": (0, 1)}]:
    add(Op(f"softmax[{_kw_id(_kw)}]", "softmax",
           partial(wnp.softmax, **_kw), (Arg((3, 4)),),
           partial(sps.softmax, **({"axis": -1} | _kw)), cstep=True,
           value_rtol=1e-12))
    add(Op(f"log_softmax[{_kw_id(_kw)}]", "log_softmax",
           partial(wnp.log_softmax, **_kw), (Arg((3, 4)),),
           partial(sps.log_softmax, **({"axis": -1} | _kw)), cstep=True,
           value_rtol=1e-12))
add(
    Op("sigmoid", "sigmoid", wnp.sigmoid, (Arg((3, 4)),), sps.expit, cstep=True,
       value_rtol=1e-12),
    Op("expit[0-d]", "expit", wnp.expit, (Arg(()),), sps.expit, cstep=True, value_rtol=1e-12),
    # wide arguments: both tails of the exp(-|x|) form are exercised (not only |x| < 3)
    Op("sigmoid[wide]", "sigmoid", wnp.sigmoid, (Arg((6,), "wide"),), sps.expit, cstep=True,
       value_rtol=1e-14),
    Op("softplus", "softplus", wnp.softplus, (Arg((3, 4)),), sps.softplus, cstep=True,
       value_rtol=1e-14),
    Op("softplus[wide]", "softplus", wnp.softplus, (Arg((6,), "wide"),), sps.softplus,
       cstep=True, value_rtol=1e-14),
    Op("log_sigmoid", "log_sigmoid", wnp.log_sigmoid, (Arg((6,), "wide"),), sps.log_expit,
       cstep=True, value_rtol=1e-14),
)

# --- complex parts: real-linear, not holomorphic (no complex step) ------------------------------------
for _name in ["real", "imag", "conj", "conjugate"]:
    add(Op(f"{_name}[complex]", _name, getattr(wnp, _name), (Arg((3, 2), "complex"),),
           getattr(np, _name), f32=False))
    add(Op(f"{_name}[real]", _name, getattr(wnp, _name), (Arg((3,)),), getattr(np, _name)))
add(Op("abs[complex]", "abs", wnp.abs, (Arg((4,), "complex"),), np.abs, f32=False),
    Op("multiply[complex]", "multiply", wnp.multiply,
       (Arg((3,), "complex"), Arg((3,), "complex")), np.multiply, f32=False),
    Op("exp[complex]", "exp", wnp.exp, (Arg((3,), "complex"),), np.exp, f32=False),
    Op("real[complex product]", "real", lambda z, w: wnp.real(z * wnp.conj(w)),
       (Arg((3,), "complex"), Arg((3,), "complex")), lambda z, w: np.real(z * np.conj(w)),
       f32=False))

# holomorphic functions of complex inputs: the VJP multiplies by f'(z), unconjugated (JAX)
for _name in ["negative", "sqrt", "exp", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh",
              "arctan", "reciprocal", "square", "sign"]:
    if _name == "exp":
        continue  # exp[complex] above
    add(Op(f"{_name}[complex]", _name, getattr(wnp, _name), (Arg((4,), "complex"),),
           getattr(np, _name), f32=False))
for _name in ["add", "subtract", "divide", "power"]:
    add(Op(f"{_name}[complex]", _name, getattr(wnp, _name),
           (Arg((3,), "complex"), Arg((2, 1), "complex")), getattr(np, _name), f32=False))
add(Op("matmul[complex]", "matmul", wnp.matmul, (Arg((2, 3), "complex"), Arg((3,), "complex")),
       np.matmul, f32=False, value_rtol=1e-12),
    Op("prod[complex]", "prod", lambda z: wnp.prod(z, axis=0),
       (Arg((4, 2), "complex"),), lambda z: np.prod(z, axis=0), f32=False, value_rtol=1e-12),
    Op("sum[complex]", "sum", wnp.sum, (Arg((3, 2), "complex"),), np.sum, f32=False),
    Op("real[complex mixed]", "real", lambda z, x: wnp.real(z) * x + wnp.imag(z * x),
       (Arg((3,), "complex"), Arg((3,))), lambda z, x: np.real(z) * x + np.imag(z * x),
       f32=False))

# --- creation functions with differentiable inputs ------------------------------------------------
add(
    Op("array[list of tensors]", "array", lambda x, y: wnp.array([x, y]),
       (Arg((3,)), Arg((3,))), lambda x, y: np.array([x, y]), cstep=True),
    Op("asarray[dtype]", "asarray", lambda x: wnp.asarray(x, dtype=np.complex128),
       (Arg((3,)),), lambda x: np.asarray(x, dtype=np.complex128), f32=False),
    Op("full[tensor fill]", "full", lambda x: wnp.full((2, 3), x), (Arg(()),),
       lambda x: np.full((2, 3), x)),
    Op("linspace[tensor ends]", "linspace", lambda a, b: wnp.linspace(a, b, 5),
       (Arg(()), Arg(())), lambda a, b: np.linspace(a, b, 5), value_rtol=1e-12),
)

# --- einsum (added by another change; included when present) --------------------------------------------
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ii->", [(3, 3)]), ("ij->ji", [(2, 3)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("i,i->", [(4,)] * 2), ("ij,ij->ij", [(2, 3)] * 2),
    ("ij,jk", [(2, 3), (3, 2)]), ("ii->i", [(3, 3)]), ("i,j->ij", [(2,), (3,)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]), ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
]
if hasattr(wnp, "einsum"):
    for _spec, _shapes in EINSUM_CASES:
        add(Op(f"einsum[{_spec}]", "einsum",
               partial(wnp.einsum, _spec),
               tuple(Arg(s) for s in _shapes),
               partial(np.einsum, _spec), cstep=True, value_rtol=1e-12))

_ids = [op.id for op in OPS]
assert len(_ids) == len(set(_ids)), "duplicate op ids: " + str(
    sorted({i for i in _ids if _ids.count(i) > 1}))
OPS_BY_ID = {op.id: op for op in OPS}


# --- non-differentiable functions: forward values only, and no derivative recorded -----------------------
@dataclass(frozen=True)
class NonDiff:
    name: str
    fn: Callable
    args: tuple
    ref: Callable


def _on_bools(fn, *xs, **kw):
    """``fn`` applied to ``x > 0`` for each ``x`` (logical and bitwise functions)."""
    return fn(*[x > 0 for x in xs], **kw)


_CMP = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]
NONDIFF = [NonDiff(n, getattr(wnp, n), (Arg((3, 4), "near_int"), Arg((4,), "near_int")),
                   getattr(np, n)) for n in _CMP]
NONDIFF += [NonDiff(n, partial(_on_bools, getattr(wnp, n)), (Arg((3, 4)), Arg((4,))),
                    partial(_on_bools, getattr(np, n)))
            for n in ["logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
                      "bitwise_xor"]]
NONDIFF += [NonDiff(n, partial(_on_bools, getattr(wnp, n)), (Arg((3,)),),
                    partial(_on_bools, getattr(np, n)))
            for n in ["logical_not", "invert", "bitwise_not"]]
NONDIFF += [NonDiff(n, getattr(wnp, n), (Arg((5,)),), getattr(np, n))
            for n in ["isnan", "isinf", "isfinite", "signbit"]]
NONDIFF += [NonDiff(n, partial(getattr(wnp, n), axis=1), (Arg((3, 4)),),
                    partial(getattr(np, n), axis=1)) for n in ["argmax", "argmin"]]
NONDIFF += [NonDiff(n, partial(_on_bools, getattr(wnp, n), axis=0), (Arg((3, 4)),),
                    partial(_on_bools, getattr(np, n), axis=0)) for n in ["all", "any"]]
