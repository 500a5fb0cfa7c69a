"""wengert.numpy: NumPy's names and semantics, differentiable in every mode.

Every supported name is listed explicitly below; docs/numpy_coverage.md is generated from
this module.  Import as ``import wengert.numpy as wnp``.
"""
import numpy as _np

from .._core.state import lib as _lib
from .._core.tensor import Tensor as _Tensor
from . import _dispatch
from . import _methods
from . import fft as fft
from . import linalg as linalg
from ._complex import conj as conj, conjugate as conjugate, imag as imag, real as real
from ._composite import (
    expit as expit,
    log_softmax as log_softmax,
    logsumexp as logsumexp,
    mean as mean,
    sigmoid as sigmoid,
    softmax as softmax,
    std as std,
    stop_gradient as stop_gradient,
    var as var,
)
from ._creation import (
    arange as arange,
    array as array,
    asarray as asarray,
    empty as empty,
    empty_like as empty_like,
    eye as eye,
    full as full,
    full_like as full_like,
    identity as identity,
    linspace as linspace,
    logspace as logspace,
    ones as ones,
    ones_like as ones_like,
    tri as tri,
    zeros as zeros,
    zeros_like as zeros_like,
)
from ._einsum import einsum as einsum
from ._elementwise import (
    abs as abs,
    absolute as absolute,
    add as add,
    arctan as arctan,
    arctan2 as arctan2,
    around as around,
    bitwise_and as bitwise_and,
    bitwise_not as bitwise_not,
    bitwise_or as bitwise_or,
    bitwise_xor as bitwise_xor,
    ceil as ceil,
    clip as clip,
    cos as cos,
    divide as divide,
    equal as equal,
    exp as exp,
    expm1 as expm1,
    fix as fix,
    floor as floor,
    floor_divide as floor_divide,
    greater as greater,
    greater_equal as greater_equal,
    invert as invert,
    isfinite as isfinite,
    isinf as isinf,
    isnan as isnan,
    less as less,
    less_equal as less_equal,
    log as log,
    log1p as log1p,
    logical_and as logical_and,
    logical_not as logical_not,
    logical_or as logical_or,
    logical_xor as logical_xor,
    maximum as maximum,
    minimum as minimum,
    multiply as multiply,
    negative as negative,
    not_equal as not_equal,
    positive as positive,
    pow as pow,
    power as power,
    reciprocal as reciprocal,
    rint as rint,
    round as round,
    sign as sign,
    signbit as signbit,
    sin as sin,
    sqrt as sqrt,
    square as square,
    subtract as subtract,
    tan as tan,
    tanh as tanh,
    true_divide as true_divide,
    trunc as trunc,
    where as where,
)
from ._linalg_core import (
    dot as dot,
    inner as inner,
    matmul as matmul,
    outer as outer,
    tensordot as tensordot,
    vdot as vdot,
)
from ._reduce import (
    all as all,
    amax as amax,
    amin as amin,
    any as any,
    argmax as argmax,
    argmin as argmin,
    max as max,
    min as min,
    prod as prod,
    sum as sum,
)
from ._shape import (
    astype as astype,
    atleast_1d as atleast_1d,
    broadcast_to as broadcast_to,
    concatenate as concatenate,
    copy as copy,
    expand_dims as expand_dims,
    matrix_transpose as matrix_transpose,
    moveaxis as moveaxis,
    ravel as ravel,
    reshape as reshape,
    squeeze as squeeze,
    stack as stack,
    sum_to_shape as sum_to_shape,
    swapaxes as swapaxes,
    take as take,
    transpose as transpose,
)

# dtypes and constants, so that `wnp.float32`, `wnp.pi`, `wnp.newaxis` work as in NumPy
from numpy import (  # noqa: E402
    bool_ as bool_, complex64 as complex64, complex128 as complex128, e as e,
    float16 as float16, float32 as float32, float64 as float64, inf as inf,
    int8 as int8, int16 as int16, int32 as int32, int64 as int64, nan as nan,
    newaxis as newaxis, pi as pi, uint8 as uint8, dtype as dtype, ndarray as ndarray,
    finfo as finfo, iinfo as iinfo, result_type as result_type, issubdtype as issubdtype,
    floating as floating,
    integer as integer, inexact as inexact, complexfloating as complexfloating,
    number as number,
)

Tensor = _Tensor


def shape(a):
    return tuple(a.shape) if isinstance(a, _Tensor) else _np.shape(a)


def ndim(a):
    return len(a.shape) if isinstance(a, _Tensor) else _np.ndim(a)


def size(a, axis=None):
    if not isinstance(a, _Tensor):
        return _np.size(a, axis)
    return int(_np.prod(a.shape)) if axis is None else a.shape[axis]

# --- NumPy dispatch tables --------------------------------------------------------------------
_U = {
    _np.add: add, _np.subtract: subtract, _np.multiply: multiply, _np.divide: divide,
    _np.power: power, _np.maximum: maximum, _np.minimum: minimum, _np.arctan2: arctan2,
    _np.floor_divide: floor_divide, _np.negative: negative, _np.positive: positive,
    _np.absolute: absolute, _np.sqrt: sqrt, _np.exp: exp, _np.log: log, _np.log1p: log1p,
    _np.expm1: expm1, _np.sin: sin, _np.cos: cos, _np.tan: tan, _np.tanh: tanh,
    _np.arctan: arctan, _np.reciprocal: reciprocal, _np.square: square, _np.sign: sign,
    _np.floor: floor, _np.ceil: ceil, _np.trunc: trunc, _np.rint: rint,
    _np.equal: equal, _np.not_equal: not_equal, _np.less: less, _np.less_equal: less_equal,
    _np.greater: greater, _np.greater_equal: greater_equal, _np.logical_and: logical_and,
    _np.logical_or: logical_or, _np.logical_xor: logical_xor, _np.logical_not: logical_not,
    _np.isnan: isnan, _np.isinf: isinf, _np.isfinite: isfinite, _np.signbit: signbit,
    _np.bitwise_and: bitwise_and, _np.bitwise_or: bitwise_or, _np.bitwise_xor: bitwise_xor,
    _np.invert: invert, _np.matmul: matmul, _np.conjugate: conj,
}
_F = {
    _np.sum: sum, _np.mean: mean, _np.prod: prod, _np.max: max, _np.min: min,
    _np.amax: amax, _np.amin: amin, _np.var: var, _np.std: std, _np.argmax: argmax,
    _np.argmin: argmin, _np.all: all, _np.any: any, _np.reshape: reshape,
    _np.transpose: transpose, _np.swapaxes: swapaxes, _np.moveaxis: moveaxis,
    _np.expand_dims: expand_dims, _np.squeeze: squeeze, _np.ravel: ravel,
    _np.broadcast_to: broadcast_to, _np.concatenate: concatenate, _np.stack: stack,
    _np.where: where, _np.clip: clip, _np.dot: dot, _np.inner: inner, _np.outer: outer,
    _np.tensordot: tensordot, _np.vdot: vdot, _np.round: round, _np.around: round,
    _np.real: real, _np.imag: imag, _np.conj: conj, _np.take: take, _np.copy: copy,
    _np.atleast_1d: atleast_1d, _np.zeros_like: zeros_like, _np.ones_like: ones_like,
    _np.empty_like: empty_like, _np.full_like: full_like,
    _np.result_type: lambda *a: _np.result_type(
        *[x.dtype if isinstance(x, _Tensor) else x for x in a]),
    _np.array: array, _np.asarray: asarray, _np.astype: astype,
    _np.matrix_transpose: matrix_transpose,
    **{getattr(_np.fft, _n): getattr(fft, _n) for _n in fft.__all__ if "freq" not in _n},
    **{getattr(_np.linalg, _n): getattr(linalg, _n) for _n in linalg.__all__
       if _n != "LinAlgError"},
    _np.einsum: einsum,
}
_dispatch.UFUNCS.update(_U)
_dispatch.FUNCTIONS.update(_F)
_dispatch._REDUCERS.update({
    _np.add: lambda a, axis=0, dtype=None, keepdims=False, **k: sum(a, axis=axis, dtype=dtype,
                                                                    keepdims=keepdims),
    _np.multiply: lambda a, axis=0, dtype=None, keepdims=False, **k: prod(
        a, axis=axis, dtype=dtype, keepdims=keepdims),
    _np.maximum: lambda a, axis=0, keepdims=False, **k: max(a, axis=axis, keepdims=keepdims),
    _np.minimum: lambda a, axis=0, keepdims=False, **k: min(a, axis=axis, keepdims=keepdims),
    _np.logical_and: lambda a, axis=0, keepdims=False, **k: all(a, axis=axis, keepdims=keepdims),
    _np.logical_or: lambda a, axis=0, keepdims=False, **k: any(a, axis=axis, keepdims=keepdims),
})


# --- what the engine needs from the op library ------------------------------------------------------
def _zeros(shape, dtype):
    return _Tensor._wrap(_np.zeros(shape, dtype))


def _ones(shape, dtype):
    return _Tensor._wrap(_np.ones(shape, dtype))


_lib.sum_to_shape = sum_to_shape
_lib.broadcast_to = broadcast_to
_lib.astype = astype
_lib.real = real
_lib.zeros = _zeros
_lib.ones = _ones
_lib.add = add

_methods.install()

from . import _batching  # noqa: E402,F401  (vmap rules of reductions and shape ops)
