"""More elementwise (ufunc) primitives: the inverse trigonometric and hyperbolic functions,
exponentials and logarithms in other bases, ``logaddexp``, ``cbrt``, ``hypot``, ``sinc``,
the NaN-ignoring ``fmax``/``fmin``, ``heaviside``, the remainders, and friends.

Each is declared with the ``elementwise`` family (one local-derivative formula per input,
written with wengert.numpy operations), which gives it a VJP, a JVP, a vmap rule and a
Taylor rule, and makes every derivative differentiable again.  The NumPy ufunc itself is
the implementation, so values and result dtypes are NumPy's.

Derivatives at the special points (docs/conventions.md):

* ``logaddexp(x, y)``: d/dx = exp(x - out) <= 1, never exp(x) / (exp(x) + exp(y)), so it is
  exact at |x| = 1000; where the output is infinite the larger input gets 1 (ties 1/2).
* ``hypot(x, y)``: d/dx = x / out, 0 at (0, 0) (the minimum-norm subgradient of a norm).
* ``sinc``: a Taylor polynomial for |x| < 0.1, so every derivative at 0 is exact
  (sinc'(0) = 0, sinc''(0) = -pi**2 / 3, ...).
* ``mod``/``remainder`` (x - floor(x / y) y) and ``fmod`` (x - trunc(x / y) y): d/dx = 1 and
  d/dy = -n, the integer quotient of the result (floor resp. trunc of x / y), away from the
  jumps where x / y is an integer; piecewise derivative at the jumps as for ``floor``.
* ``fmax``/``fmin``: as ``maximum``/``minimum`` (ties 1/2-1/2), and where one input is NaN
  the other gets derivative 1 (it is the result); both NaN: 0.
* ``heaviside(x1, x2)``: 0 w.r.t. x1 (piecewise constant), 1 w.r.t. x2 where x1 == 0.
* ``fabs``, ``copysign``: |x|'(0) = 0, as ``absolute``.
* ``cbrt``, ``arcsin``, ``arccos``, ``arccosh``, ``arctanh``: the derivative is infinite at
  the branch points (0, +-1), as the true derivative.
"""
from __future__ import annotations

import math

import numpy as np

from .._core.primitive import bind
from . import _elementwise as ew
from ._complex import imag, real
from ._family import binary, dtype_of, elementwise, nondiff, t, unary, zero_deriv

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _is_complex(x):
    return np.issubdtype(dtype_of(x), np.complexfloating)


def _safe_div(a, r):
    """a / r, and 0 where r == 0 (no 0/0 evaluated; the unused branch stays finite)."""
    zero = ew.equal(r, 0)
    return ew.where(zero, 0, ew.divide(a, ew.where(zero, 1, r)))


# --- hyperbolic and inverse trigonometric ---------------------------------------------------------
sinh_p = elementwise("sinh", np.sinh, lambda out, x: cosh(x))
cosh_p = elementwise("cosh", np.cosh, lambda out, x: sinh(x))
arcsin_p = elementwise(
    "arcsin", np.arcsin,
    lambda out, x: ew.reciprocal(ew.sqrt(ew.subtract(1, ew.multiply(x, x)))))
arccos_p = elementwise(
    "arccos", np.arccos,
    lambda out, x: ew.negative(ew.reciprocal(ew.sqrt(ew.subtract(1, ew.multiply(x, x))))))
arcsinh_p = elementwise(
    "arcsinh", np.arcsinh,
    lambda out, x: ew.reciprocal(ew.sqrt(ew.add(ew.multiply(x, x), 1))))
# 1 / (sqrt(z - 1) sqrt(z + 1)), not 1 / sqrt(z**2 - 1): the principal branch for complex z
arccosh_p = elementwise(
    "arccosh", np.arccosh,
    lambda out, x: ew.reciprocal(ew.multiply(ew.sqrt(ew.subtract(x, 1)), ew.sqrt(ew.add(x, 1)))))
arctanh_p = elementwise(
    "arctanh", np.arctanh,
    lambda out, x: ew.reciprocal(ew.subtract(1, ew.multiply(x, x))))

# --- exponentials and logarithms ------------------------------------------------------------------
exp2_p = elementwise("exp2", np.exp2, lambda out, x: ew.multiply(out, _LN2),
                     save_args=False, save_out=True)
log2_p = elementwise("log2", np.log2, lambda out, x: ew.reciprocal(ew.multiply(x, _LN2)))
log10_p = elementwise("log10", np.log10, lambda out, x: ew.reciprocal(ew.multiply(x, _LN10)))


def _logaddexp_rule(base_exp):
    """d/dx of log_b(b**x + b**y) = b**(x - out): in (0, 1], no overflow at any |x|.  Where
    ``out`` is infinite (an infinite input, or both -inf) the derivative is the limit: 1 for
    the larger input, 0 for the smaller, 1/2 each on a tie."""

    def d(out, x, y):
        fin = ew.isfinite(out)
        inner = base_exp(ew.subtract(ew.where(fin, x, 0), ew.where(fin, out, 0)))
        limit = ew.add(ew.greater(x, y), ew.multiply(ew.equal(x, y), 0.5))
        return ew.where(fin, inner, limit)

    def d_other(out, x, y):
        return d(out, y, x)

    return d, d_other


_lae_dx, _lae_dy = _logaddexp_rule(ew.exp)
logaddexp_p = elementwise("logaddexp", np.logaddexp, _lae_dx, _lae_dy, save_out=True)
_lae2_dx, _lae2_dy = _logaddexp_rule(lambda z: exp2(z))
logaddexp2_p = elementwise("logaddexp2", np.logaddexp2, _lae2_dx, _lae2_dy, save_out=True)

# --- roots, absolute values, norms ----------------------------------------------------------------
cbrt_p = elementwise("cbrt", np.cbrt,
                     lambda out, x: ew.reciprocal(ew.multiply(ew.multiply(out, out), 3)),
                     save_args=False, save_out=True)
fabs_p = elementwise("fabs", np.fabs, lambda out, x: ew.sign(x))
hypot_p = elementwise("hypot", np.hypot,
                      lambda out, x, y: _safe_div(x, out),
                      lambda out, x, y: _safe_div(y, out), save_out=True)
# |x1| with the sign of x2: d/dx1 = sign(x1) * (+-1 by x2's sign bit), 0 at x1 = 0
copysign_p = elementwise("copysign", np.copysign,
                         lambda out, x1, x2: ew.multiply(ew.sign(x1), copysign(1.0, x2)),
                         None)

# --- sinc -----------------------------------------------------------------------------------------
_SINC_SMALL = 0.1
# sinc'(x) = x * sum_{k>=1} c_k (x**2)**(k-1), c_k = (-1)**k pi**(2k) 2k / (2k+1)!; nine terms
# are exact to rounding for |x| < 0.1 (the next term is below 1e-30), and so are its
# derivatives: the polynomial is differentiated exactly, term by term.
_SINC_C = [(-1) ** k * math.pi ** (2 * k) * 2 * k / math.factorial(2 * k + 1) for k in range(1, 10)]


def _sinc_d(out, x):
    small = ew.less(ew.absolute(x), _SINC_SMALL)
    u = ew.multiply(x, x)
    poly = _SINC_C[-1]
    for c in reversed(_SINC_C[:-1]):
        poly = ew.add(ew.multiply(poly, u), c)
    near = ew.multiply(x, poly)
    # (cos(pi x) - sinc(x)) / x away from 0 (the unused branch is evaluated at x = 1)
    xs = ew.where(small, 1, x)
    far = ew.divide(ew.subtract(ew.cos(ew.multiply(xs, math.pi)), ew.where(small, 0, out)), xs)
    return ew.where(small, near, far)


sinc_p = elementwise("sinc", np.sinc, _sinc_d, save_out=True)

# --- angle conversions ----------------------------------------------------------------------------
deg2rad_p = elementwise("deg2rad", np.deg2rad, math.pi / 180.0, save_args=False)
rad2deg_p = elementwise("rad2deg", np.rad2deg, 180.0 / math.pi, save_args=False)


# --- NaN-ignoring extrema -------------------------------------------------------------------------
def _fmax_dx(out, x, y):
    return ew.where(ew.isnan(x), 0, ew.where(ew.isnan(y), 1, ew._max_dx(out, x, y)))


def _fmax_dy(out, x, y):
    return _fmax_dx(out, y, x)


def _fmin_dx(out, x, y):
    return ew.where(ew.isnan(x), 0, ew.where(ew.isnan(y), 1, ew._max_dy(out, x, y)))


def _fmin_dy(out, x, y):
    return _fmin_dx(out, y, x)


fmax_p = elementwise("fmax", np.fmax, _fmax_dx, _fmax_dy)
fmin_p = elementwise("fmin", np.fmin, _fmin_dx, _fmin_dy)

# --- step and remainders --------------------------------------------------------------------------
heaviside_p = elementwise("heaviside", np.heaviside, None,
                          lambda out, x1, x2: ew.equal(x1, 0))


def _quotient(out, x, y):
    """The integer n with out = x - n y (floor(x / y) for remainder, trunc for fmod), read
    off the result itself so that it agrees with it even where x / y rounds to an integer."""
    return ew.rint(ew.divide(ew.subtract(x, out), y))


remainder_p = elementwise("remainder", np.remainder, 1,
                          lambda out, x, y: ew.negative(_quotient(out, x, y)), save_out=True)
fmod_p = elementwise("fmod", np.fmod, 1,
                     lambda out, x, y: ew.negative(_quotient(out, x, y)), save_out=True)
# the fractional part of modf: x - trunc(x), derivative 1
modf_frac_p = elementwise("modf_frac", lambda x: np.modf(x)[0], 1, save_args=False)
frexp_exponent_p = nondiff("frexp_exponent", lambda x: np.frexp(x)[1])
# ldexp(x1, x2) = x1 * 2**x2 with integer x2 (no derivative)
ldexp_p = elementwise("ldexp", np.ldexp, lambda out, x1, x2: ldexp(1.0, x2), None)
# angle of a real number: 0 or pi, piecewise constant
angle_real_p = zero_deriv("angle_real", lambda x, deg: np.angle(x, deg=deg))

# --- public wrappers ------------------------------------------------------------------------------
sinh = unary(sinh_p)
cosh = unary(cosh_p)
arcsin = unary(arcsin_p)
arccos = unary(arccos_p)
arcsinh = unary(arcsinh_p)
arccosh = unary(arccosh_p)
arctanh = unary(arctanh_p)
asin, acos, asinh, acosh, atanh = arcsin, arccos, arcsinh, arccosh, arctanh
atan, atan2 = ew.arctan, ew.arctan2
exp2 = unary(exp2_p)
log2 = unary(log2_p)
log10 = unary(log10_p)
logaddexp = binary(logaddexp_p)
logaddexp2 = binary(logaddexp2_p)
cbrt = unary(cbrt_p)
fabs = unary(fabs_p)
hypot = binary(hypot_p)
copysign = binary(copysign_p)
sinc = unary(sinc_p)
sinc.__doc__ = ("Normalised sinc, sin(pi x) / (pi x) with sinc(0) = 1; every derivative is exact "
                "at 0 (sinc''(0) = -pi**2/3).")
deg2rad = unary(deg2rad_p)
rad2deg = unary(rad2deg_p)
radians, degrees = deg2rad, rad2deg
fmax = binary(fmax_p)
fmin = binary(fmin_p)
heaviside = binary(heaviside_p)
remainder = binary(remainder_p)
remainder.__doc__ = ("x - floor(x / y) * y (NumPy's mod). Derivative: 1 w.r.t. x, -floor(x / y) "
                     "w.r.t. y (away from the jumps where x / y is an integer).")
mod = remainder
fmod = binary(fmod_p)
fmod.__doc__ = ("x - trunc(x / y) * y (C's fmod). Derivative: 1 w.r.t. x, -trunc(x / y) w.r.t. "
                "y (away from the jumps where x / y is an integer).")
ldexp = binary(ldexp_p)


def divmod(x1, x2, /):
    """``(floor_divide(x1, x2), mod(x1, x2))``: the quotient has derivative 0."""
    return ew.floor_divide(x1, x2), remainder(x1, x2)


def modf(x, /):
    """``(fractional part, integral part)``: derivatives 1 and 0."""
    x = t(x)
    return bind(modf_frac_p, x), ew.trunc(x)


def frexp(x, /):
    """``(mantissa, exponent)`` with x = mantissa * 2**exponent: the mantissa's derivative is
    2**-exponent; the integer exponent has none."""
    x = t(x)
    e = bind(frexp_exponent_p, x)
    return ldexp(x, ew.negative(e)), e


def float_power(x1, x2, /):
    """``x1 ** x2`` computed in float64 (complex128 for complex inputs), as NumPy."""
    x1, x2 = t(x1), t(x2)
    dt = np.complex128 if (_is_complex(x1) or _is_complex(x2)) else np.float64
    from ._shape import astype
    x1 = astype(x1, dt)
    if not isinstance(x2, (int, float)) or isinstance(x2, bool) or dt == np.complex128:
        x2 = astype(x2, dt)
    return ew.power(x1, x2)


def angle(z, deg=False):
    """The argument of ``z`` (radians, or degrees with ``deg=True``): arctan2(imag, real) for
    complex input; 0 or pi, derivative 0, for real input."""
    z = t(z)
    if not _is_complex(z):
        if not hasattr(z, "shape"):
            z = _wrap(np.asarray(z))
        return bind(angle_real_p, z, deg=bool(deg))
    a = ew.arctan2(imag(z), real(z))
    return ew.multiply(a, 180.0 / math.pi) if deg else a


def _wrap(a):
    from .._core.tensor import Tensor
    return Tensor._wrap(a)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by finite numbers (derivative 1 at finite entries, 0 at the
    replaced ones); complex inputs are treated part by part, as NumPy."""
    x = t(x)
    dt = dtype_of(x)
    if not np.issubdtype(dt, np.inexact):
        return x if hasattr(x, "shape") else _wrap(np.asarray(x))
    if np.issubdtype(dt, np.complexfloating):
        re = nan_to_num(real(x), nan=nan, posinf=posinf, neginf=neginf)
        im = nan_to_num(imag(x), nan=nan, posinf=posinf, neginf=neginf)
        return ew.add(re, ew.multiply(im, 1j))
    info = np.finfo(dt)
    big = info.max if posinf is None else posinf
    small = info.min if neginf is None else neginf
    res = ew.where(ew.isnan(x), nan, x)
    res = ew.where(ew.logical_and(ew.isinf(x), ew.greater(x, 0)), big, res)
    res = ew.where(ew.logical_and(ew.isinf(x), ew.less(x, 0)), small, res)
    from ._shape import astype
    return astype(res, dt)
