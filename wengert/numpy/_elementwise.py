"""Elementwise (ufunc) primitives: NumPy implementation next to the local derivative(s).

Conventions at kinks (documented in docs/conventions.md): the minimum-norm element of the
Clarke subdifferential.  |x|'(0) = 0, maximum/minimum split ties 1/2-1/2, clip at a bound
gives 0, piecewise-constant functions (sign, floor, round, comparisons) have derivative 0.
Complex inputs follow JAX's convention: rules multiply by f'(z) without conjugation.
"""
from __future__ import annotations

import numpy as np

from .._core.primitive import Primitive, bind
from ._family import binary, dtype_of, elementwise, nondiff, t, unary, zero_deriv

# --- arithmetic ---------------------------------------------------------------------------
add_p = elementwise("add", np.add, 1, 1, save_args=False)
add_p.passes_cotangent = True
subtract_p = elementwise("subtract", np.subtract, 1, -1, save_args=False)
multiply_p = elementwise("multiply", np.multiply,
                         lambda out, x, y: y,
                         lambda out, x, y: x)
negative_p = elementwise("negative", np.negative, -1, save_args=False)
positive_p = elementwise("positive", np.positive, 1, save_args=False)


def _div_dx(out, x, y):
    # divide, not reciprocal: reciprocal of an integer (a Python 2 or an int array) is 0
    return divide(1.0, y)


def _div_dy(out, x, y):
    return negative(divide(x, multiply(y, y)))


divide_p = elementwise("divide", np.divide, _div_dx, _div_dy)


def _safe_base(x):
    # log(x) where x == 0 is replaced by log(1) = 0: d(x**y)/dy = 0 at x = 0 (as JAX does)
    return where(equal(x, 0), 1, x)


def _pow_dx(out, x, y):
    """y * x**(y-1).  A Python exponent stays a Python number, so x**3 differentiates to
    3*x**2, 6*x, 6 and then 0 (exactly, with no 0**-1 evaluated at x = 0); y == 0 gives 0
    and y == 1 gives the constant 1.  A tensor exponent is guarded where y == 0 (d/dx x**0 =
    0 even at x = 0) by evaluating the unused branch at x = 1, so neither its value nor its
    derivatives produce inf * 0."""
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        if y == 0:
            return 0.0
        if y == 1:
            return 1
        return multiply(y, power(x, y - 1))
    y_zero = equal(y, 0)
    x_safe = where(y_zero, 1, x)
    return where(y_zero, 0, multiply(y, power(x_safe, subtract(y, 1))))


def _pow_dy(out, x, y):
    return multiply(out, log(_safe_base(x)))


power_p = elementwise("power", np.power, _pow_dx, _pow_dy, save_out=True)


def _max_dx(out, x, y):
    return add(greater(x, y), multiply(equal(x, y), 0.5))


def _max_dy(out, x, y):
    return add(less(x, y), multiply(equal(x, y), 0.5))


maximum_p = elementwise("maximum", np.maximum, _max_dx, _max_dy)
minimum_p = elementwise("minimum", np.minimum, _max_dy, _max_dx)


def _clip_impl(x, lo, hi):
    return np.clip(x, lo, hi)


# clip(x, lo, hi) = minimum(maximum(x, lo), hi), as NumPy (hi wins where lo > hi); every
# argument gets 1 only where it strictly decides the result, so ties at a bound give 0
clip_p = elementwise("clip", _clip_impl,
                     lambda out, x, lo, hi: logical_and(greater(x, lo), less(x, hi)),
                     lambda out, x, lo, hi: logical_and(less(x, lo), less(lo, hi)),
                     lambda out, x, lo, hi: greater(maximum(x, lo), hi))

# --- unary ---------------------------------------------------------------------------------
def _abs_d(out, x):
    # real: sign(x) (0 at 0); complex: d|z| = Re(conj(z)/|z| dz), so the local derivative is
    # conj(z)/|z| (the engine keeps the real part of the tangent), 0 at z = 0.  Written with
    # out = |z| so that its own derivative is right too.
    if not np.issubdtype(x.dtype, np.complexfloating):
        return sign(x)
    from ._complex import conj
    return conj(divide(x, where(equal(out, 0), 1, out)))


abs_p = elementwise("absolute", np.abs, _abs_d, save_out=True)
sqrt_p = elementwise("sqrt", np.sqrt, lambda out, x: divide(0.5, out),
                     save_args=False, save_out=True)
exp_p = elementwise("exp", np.exp, lambda out, x: out, save_args=False, save_out=True)
log_p = elementwise("log", np.log, lambda out, x: reciprocal(x))
log1p_p = elementwise("log1p", np.log1p, lambda out, x: reciprocal(add(x, 1)))
expm1_p = elementwise("expm1", np.expm1, lambda out, x: add(out, 1),
                      save_args=False, save_out=True)
sin_p = elementwise("sin", np.sin, lambda out, x: cos(x))
cos_p = elementwise("cos", np.cos, lambda out, x: negative(sin(x)))
tan_p = elementwise("tan", np.tan, lambda out, x: add(1, multiply(out, out)),
                    save_args=False, save_out=True)
tanh_p = elementwise("tanh", np.tanh, lambda out, x: subtract(1, multiply(out, out)),
                     save_args=False, save_out=True)
arctan_p = elementwise("arctan", np.arctan,
                       lambda out, x: reciprocal(add(1, multiply(x, x))))
reciprocal_p = elementwise("reciprocal", np.reciprocal,
                           lambda out, x: negative(multiply(out, out)),
                           save_args=False, save_out=True)
square_p = elementwise("square", np.square, lambda out, x: multiply(x, 2))


# --- logistic: accurate in both tails, at every |x| --------------------------------------------
def _sigmoid_impl(x):
    if np.iscomplexobj(x):  # holomorphic; tanh does not overflow
        return 0.5 * (1 + np.tanh(0.5 * x))
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    r = 1 / (1 + e)
    # x >= 0: 1/(1+e^-x); x < 0: e^x/(1+e^x), which keeps its relative accuracy down to the
    # smallest subnormal (0.5*(1+tanh(x/2)) cancels to exactly 0 below x = -37)
    return np.where(np.asarray(x) >= 0, r, e * r)


# sigmoid'(x) = sigmoid(x) sigmoid(-x): both factors are accurate, so the derivative keeps its
# relative accuracy in both tails (out * (1 - out) would be 0 for x > 37); at 0 it is 1/4.
sigmoid_p = elementwise("sigmoid", _sigmoid_impl,
                        lambda out, x: multiply(out, sigmoid(negative(x))), save_out=True)


def _softplus_impl(x):
    if np.iscomplexobj(x):  # the same split, holomorphic on each side (complex step)
        x = np.asarray(x)
        pos = x.real > 0
        return np.where(pos, x, 0) + np.log1p(np.exp(np.where(pos, -x, x)))
    return np.logaddexp(0, x)  # max(x, 0) + log1p(exp(-|x|)): no overflow, no cancellation


softplus_p = elementwise("softplus", _softplus_impl, lambda out, x: sigmoid(x))


def _arctan2_dy(out, y, x):
    return divide(x, add(multiply(x, x), multiply(y, y)))


def _arctan2_dx(out, y, x):
    return divide(negative(y), add(multiply(x, x), multiply(y, y)))


arctan2_p = elementwise("arctan2", np.arctan2, _arctan2_dy, _arctan2_dx)

# --- piecewise constant: derivative zero ------------------------------------------------------
sign_p = zero_deriv("sign", np.sign)
floor_p = zero_deriv("floor", np.floor)
ceil_p = zero_deriv("ceil", np.ceil)
trunc_p = zero_deriv("trunc", np.trunc)
rint_p = zero_deriv("rint", np.rint)
floor_divide_p = zero_deriv("floor_divide", np.floor_divide)


def _round_impl(x, decimals=0):
    return np.round(x, decimals)


round_p = zero_deriv("round", _round_impl)

# --- comparisons and predicates: no derivative --------------------------------------------------
equal_p = nondiff("equal", np.equal)
not_equal_p = nondiff("not_equal", np.not_equal)
less_p = nondiff("less", np.less)
less_equal_p = nondiff("less_equal", np.less_equal)
greater_p = nondiff("greater", np.greater)
greater_equal_p = nondiff("greater_equal", np.greater_equal)
logical_and_p = nondiff("logical_and", np.logical_and)
logical_or_p = nondiff("logical_or", np.logical_or)
logical_xor_p = nondiff("logical_xor", np.logical_xor)
logical_not_p = nondiff("logical_not", np.logical_not)
isnan_p = nondiff("isnan", np.isnan)
isinf_p = nondiff("isinf", np.isinf)
isfinite_p = nondiff("isfinite", np.isfinite)
signbit_p = nondiff("signbit", np.signbit)
bitwise_and_p = nondiff("bitwise_and", np.bitwise_and)
bitwise_or_p = nondiff("bitwise_or", np.bitwise_or)
bitwise_xor_p = nondiff("bitwise_xor", np.bitwise_xor)
invert_p = nondiff("invert", np.invert)


# --- where: the condition is taken literally ---------------------------------------------------
def _where_vjp(needs, g, out, cond, x, y):
    gx = where(cond, g, 0) if needs[1] else None
    gy = where(cond, 0, g) if needs[2] else None
    return None, gx, gy


def _where_jvp(tangents, out, cond, x, y):
    _, tx, ty = tangents
    return where(cond, 0 if tx is None else tx, 0 if ty is None else ty)


where_p = Primitive("where", np.where, vjp=_where_vjp, jvp=_where_jvp)
where_p.batch = "elementwise"

# --- public wrappers ------------------------------------------------------------------------------
add = binary(add_p)
subtract = binary(subtract_p)
multiply = binary(multiply_p)
divide = binary(divide_p)
true_divide = divide
power = binary(power_p)
pow = power
maximum = binary(maximum_p)
minimum = binary(minimum_p)
arctan2 = binary(arctan2_p)
floor_divide = binary(floor_divide_p)
negative = unary(negative_p)
positive = unary(positive_p)
absolute = unary(abs_p)
abs = absolute
sqrt = unary(sqrt_p)
exp = unary(exp_p)
log = unary(log_p)
log1p = unary(log1p_p)
expm1 = unary(expm1_p)
sin = unary(sin_p)
cos = unary(cos_p)
tan = unary(tan_p)
tanh = unary(tanh_p)
arctan = unary(arctan_p)
reciprocal = unary(reciprocal_p)
square = unary(square_p)
sigmoid = unary(sigmoid_p)
sigmoid.__doc__ = ("The logistic function 1/(1+exp(-x)) (scipy.special.expit), accurate in both "
                   "tails at every |x|; derivative sigmoid(x)*sigmoid(-x).")
softplus = unary(softplus_p)
softplus.__doc__ = ("log(1 + exp(x)), without overflow or cancellation at any |x|; derivative "
                    "sigmoid(x).")


def sign(x, /):
    """Elementwise ``sign``: derivative 0 for real inputs (piecewise constant); for complex
    inputs NumPy's z/|z| (0 at 0), which is smooth away from 0 and differentiated as such."""
    x = t(x)
    if np.issubdtype(dtype_of(x), np.complexfloating):
        r = absolute(x)
        zero = equal(r, 0)
        return where(zero, 0, divide(x, where(zero, 1, r)))
    return bind(sign_p, x)


floor = unary(floor_p)
ceil = unary(ceil_p)
trunc = unary(trunc_p)
rint = unary(rint_p)
fix = trunc
equal = binary(equal_p)
not_equal = binary(not_equal_p)
less = binary(less_p)
less_equal = binary(less_equal_p)
greater = binary(greater_p)
greater_equal = binary(greater_equal_p)
logical_and = binary(logical_and_p)
logical_or = binary(logical_or_p)
logical_xor = binary(logical_xor_p)
logical_not = unary(logical_not_p)
isnan = unary(isnan_p)
isinf = unary(isinf_p)
isfinite = unary(isfinite_p)
signbit = unary(signbit_p)
bitwise_and = binary(bitwise_and_p)
bitwise_or = binary(bitwise_or_p)
bitwise_xor = binary(bitwise_xor_p)
invert = unary(invert_p)
bitwise_not = invert


def round(a, decimals=0, out=None):
    """Round to ``decimals`` (NumPy's round-half-to-even); derivative zero."""
    _no_out(out, "round")
    return bind(round_p, t(a), decimals=decimals)


around = round


def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):
    """Clip to ``[a_min, a_max]``.  At a bound the derivative w.r.t. ``a`` is 0."""
    _no_out(out, "clip")
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    a = t(a)
    dt = a.dtype if hasattr(a, "dtype") else np.asarray(a).dtype
    if lo is None:
        lo = -np.inf if np.issubdtype(dt, np.inexact) else np.iinfo(dt).min
    if hi is None:
        hi = np.inf if np.issubdtype(dt, np.inexact) else np.iinfo(dt).max
    return bind(clip_p, a, t(lo), t(hi))


def where(condition, x=None, y=None, /):
    """``x`` where ``condition`` else ``y``; the gradient follows the condition literally."""
    if x is None and y is None:
        from ._shape import nonzero
        return nonzero(condition)
    return bind(where_p, t(condition), t(x), t(y))


def _no_out(out, name):
    if out is not None:
        from .._errors import UnsupportedError
        raise UnsupportedError(f"{name}(..., out=...) writes in place, which wengert cannot "
                               f"differentiate; use the returned value instead.")
