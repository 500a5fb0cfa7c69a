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
    log_sigmoid as log_sigmoid,
    log_softmax as log_softmax,
    logsumexp as logsumexp,
    mean as mean,
    sigmoid as sigmoid,
    softmax as softmax,
    softplus as softplus,
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
# added with issue 3 (more ufuncs, statistics, array manipulation)
from ._manip import (
    append as append,
    argpartition as argpartition,
    argsort as argsort,
    array_split as array_split,
    atleast_2d as atleast_2d,
    atleast_3d as atleast_3d,
    broadcast_arrays as broadcast_arrays,
    column_stack as column_stack,
    concat as concat,
    cross as cross,
    delete as delete,
    diag as diag,
    diagflat as diagflat,
    diagonal as diagonal,
    dsplit as dsplit,
    dstack as dstack,
    flip as flip,
    fliplr as fliplr,
    flipud as flipud,
    hsplit as hsplit,
    hstack as hstack,
    insert as insert,
    kron as kron,
    matvec as matvec,
    meshgrid as meshgrid,
    pad as pad,
    partition as partition,
    permute_dims as permute_dims,
    put_along_axis as put_along_axis,
    repeat as repeat,
    resize as resize,
    roll as roll,
    rollaxis as rollaxis,
    rot90 as rot90,
    row_stack as row_stack,
    select as select,
    sort as sort,
    sort_complex as sort_complex,
    split as split,
    take_along_axis as take_along_axis,
    tile as tile,
    trace as trace,
    tril as tril,
    triu as triu,
    unstack as unstack,
    vecdot as vecdot,
    vecmat as vecmat,
    vsplit as vsplit,
    vstack as vstack,
)
from ._statistics import (
    average as average,
    convolve as convolve,
    corrcoef as corrcoef,
    correlate as correlate,
    cov as cov,
    cumprod as cumprod,
    cumsum as cumsum,
    cumulative_prod as cumulative_prod,
    cumulative_sum as cumulative_sum,
    diff as diff,
    ediff1d as ediff1d,
    interp as interp,
    median as median,
    nanargmax as nanargmax,
    nanargmin as nanargmin,
    nancumprod as nancumprod,
    nancumsum as nancumsum,
    nanmax as nanmax,
    nanmean as nanmean,
    nanmedian as nanmedian,
    nanmin as nanmin,
    nanpercentile as nanpercentile,
    nanprod as nanprod,
    nanquantile as nanquantile,
    nanstd as nanstd,
    nansum as nansum,
    nanvar as nanvar,
    percentile as percentile,
    polyval as polyval,
    ptp as ptp,
    quantile as quantile,
    trapezoid as trapezoid,
)
from ._ufuncs import (
    acos as acos,
    acosh as acosh,
    angle as angle,
    arccos as arccos,
    arccosh as arccosh,
    arcsin as arcsin,
    arcsinh as arcsinh,
    arctanh as arctanh,
    asin as asin,
    asinh as asinh,
    atan as atan,
    atan2 as atan2,
    atanh as atanh,
    cbrt as cbrt,
    copysign as copysign,
    cosh as cosh,
    deg2rad as deg2rad,
    degrees as degrees,
    divmod as divmod,
    exp2 as exp2,
    fabs as fabs,
    float_power as float_power,
    fmax as fmax,
    fmin as fmin,
    fmod as fmod,
    frexp as frexp,
    heaviside as heaviside,
    hypot as hypot,
    ldexp as ldexp,
    log10 as log10,
    log2 as log2,
    logaddexp as logaddexp,
    logaddexp2 as logaddexp2,
    mod as mod,
    modf as modf,
    nan_to_num as nan_to_num,
    rad2deg as rad2deg,
    radians as radians,
    remainder as remainder,
    sinc as sinc,
    sinh as sinh,
)

from ._predicates import (  # NumPy's predicates on wengert values (no derivative)
    allclose as allclose,
    array_equal as array_equal,
    array_equiv as array_equiv,
    isclose as isclose,
    iscomplex as iscomplex,
    iscomplexobj as iscomplexobj,
    isneginf as isneginf,
    isposinf as isposinf,
    isreal as isreal,
    isrealobj as isrealobj,
    isscalar as isscalar,
    real_if_close as real_if_close,
)
from ._index_tricks import c_ as c_, r_ as r_
from . import random as random
from ._manip import linalg_cross as _linalg_cross
from ._manip import (  # issue 3, part 2
    apply_along_axis as apply_along_axis,
    apply_over_axes as apply_over_axes,
    asanyarray as asanyarray,
    asarray_chkfinite as asarray_chkfinite,
    ascontiguousarray as ascontiguousarray,
    asfortranarray as asfortranarray,
    block as block,
    choose as choose,
    compress as compress,
    copyto as copyto,
    extract as extract,
    fill_diagonal as fill_diagonal,
    fromfunction as fromfunction,
    piecewise as piecewise,
    place as place,
    put as put,
    putmask as putmask,
    require as require,
    trim_zeros as trim_zeros,
)
from ._statistics import (  # issue 3, part 2
    geomspace as geomspace,
    gradient as gradient,
    i0 as i0,
    poly as poly,
    polyadd as polyadd,
    polyder as polyder,
    polydiv as polydiv,
    polyfit as polyfit,
    polyint as polyint,
    polymul as polymul,
    polysub as polysub,
    roots as roots,
    unwrap as unwrap,
    vander as vander,
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
_U.update({  # issue 3 additions
    _np.sinh: sinh, _np.cosh: cosh, _np.arcsin: arcsin, _np.arccos: arccos,
    _np.arcsinh: arcsinh, _np.arccosh: arccosh, _np.arctanh: arctanh, _np.exp2: exp2,
    _np.log2: log2, _np.log10: log10, _np.logaddexp: logaddexp, _np.logaddexp2: logaddexp2,
    _np.cbrt: cbrt, _np.fabs: fabs, _np.hypot: hypot, _np.copysign: copysign,
    _np.deg2rad: deg2rad, _np.rad2deg: rad2deg, _np.radians: radians, _np.degrees: degrees,
    _np.fmax: fmax, _np.fmin: fmin, _np.heaviside: heaviside, _np.remainder: remainder,
    _np.fmod: fmod, _np.ldexp: ldexp, _np.divmod: divmod, _np.modf: modf, _np.frexp: frexp,
    _np.float_power: float_power, _np.vecdot: vecdot, _np.matvec: matvec, _np.vecmat: vecmat,
})
_F.update({  # issue 3 additions
    _np.atleast_2d: atleast_2d, _np.atleast_3d: atleast_3d, _np.hstack: hstack,
    _np.vstack: vstack, _np.dstack: dstack, _np.column_stack: column_stack, _np.concat: concat,
    _np.permute_dims: permute_dims, _np.rollaxis: rollaxis,
    _np.broadcast_arrays: broadcast_arrays, _np.meshgrid: meshgrid,
    _np.array_split: array_split, _np.split: split, _np.hsplit: hsplit, _np.vsplit: vsplit,
    _np.dsplit: dsplit, _np.unstack: unstack, _np.tile: tile, _np.repeat: repeat,
    _np.resize: resize, _np.flip: flip, _np.fliplr: fliplr, _np.flipud: flipud, _np.roll: roll,
    _np.rot90: rot90, _np.triu: triu, _np.tril: tril, _np.diagonal: diagonal, _np.diag: diag,
    _np.diagflat: diagflat, _np.trace: trace, _np.argsort: argsort,
    _np.argpartition: argpartition, _np.sort: sort, _np.partition: partition,
    _np.sort_complex: sort_complex, _np.take_along_axis: take_along_axis,
    _np.put_along_axis: put_along_axis, _np.kron: kron, _np.cross: cross, _np.append: append,
    _np.delete: delete, _np.insert: insert, _np.select: select, _np.pad: pad,
    _np.cumsum: cumsum, _np.cumprod: cumprod, _np.cumulative_sum: cumulative_sum,
    _np.cumulative_prod: cumulative_prod, _np.diff: diff, _np.ediff1d: ediff1d, _np.ptp: ptp,
    _np.average: average, _np.nansum: nansum, _np.nanprod: nanprod, _np.nancumsum: nancumsum,
    _np.nancumprod: nancumprod, _np.nanmean: nanmean, _np.nanvar: nanvar, _np.nanstd: nanstd,
    _np.nanmax: nanmax, _np.nanmin: nanmin, _np.nanargmax: nanargmax, _np.nanargmin: nanargmin,
    _np.quantile: quantile, _np.percentile: percentile, _np.nanquantile: nanquantile,
    _np.nanpercentile: nanpercentile, _np.median: median, _np.nanmedian: nanmedian,
    _np.trapezoid: trapezoid, _np.cov: cov, _np.corrcoef: corrcoef, _np.correlate: correlate,
    _np.convolve: convolve, _np.interp: interp, _np.polyval: polyval, _np.sinc: sinc,
    _np.angle: angle, _np.nan_to_num: nan_to_num,
})
_F.update({  # predicates (see _predicates.py)
    _np.allclose: allclose, _np.isclose: isclose, _np.array_equal: array_equal,
    _np.array_equiv: array_equiv, _np.iscomplex: iscomplex, _np.isreal: isreal,
    _np.iscomplexobj: iscomplexobj, _np.isrealobj: isrealobj, _np.isneginf: isneginf,
    _np.isposinf: isposinf, _np.real_if_close: real_if_close,
})
_F.update({  # issue 3, part 2
    _np.asanyarray: asanyarray, _np.ascontiguousarray: ascontiguousarray,
    _np.asfortranarray: asfortranarray, _np.require: require,
    _np.asarray_chkfinite: asarray_chkfinite, _np.choose: choose, _np.compress: compress,
    _np.extract: extract, _np.trim_zeros: trim_zeros, _np.piecewise: piecewise,
    _np.apply_along_axis: apply_along_axis, _np.apply_over_axes: apply_over_axes,
    _np.fromfunction: fromfunction, _np.block: block, _np.fill_diagonal: fill_diagonal,
    _np.put: put, _np.putmask: putmask, _np.place: place, _np.copyto: copyto,
    _np.gradient: gradient, _np.unwrap: unwrap, _np.polyadd: polyadd, _np.polysub: polysub,
    _np.polymul: polymul, _np.polyder: polyder, _np.polyint: polyint, _np.vander: vander,
    _np.polyfit: polyfit, _np.roots: roots, _np.poly: poly, _np.polydiv: polydiv,
    _np.geomspace: geomspace, _np.i0: i0,
    _np.linalg.cross: _linalg_cross,
})
_dispatch._ACCUMULATORS.update({
    _np.add: lambda a, axis=0, dtype=None: cumsum(a, axis=axis, dtype=dtype),
    _np.multiply: lambda a, axis=0, dtype=None: cumprod(a, axis=axis, dtype=dtype),
})
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

# VJP rules written only with wengert.numpy functions: safe to run on bare ndarrays in an
# unrecorded backward pass (the engine's fast path, see _core/graph.Node._apply_raw); matmul and sum
# have their own bare-ndarray rules next to their general ones
from . import _elementwise, _shape  # noqa: E402

for _p in (_shape.reshape_p, _shape.transpose_p, _shape.broadcast_to_p, _shape.sum_to_shape_p,
           _shape.astype_p, _shape.copy_p, _elementwise.where_p):
    _p.raw_vjp = True
