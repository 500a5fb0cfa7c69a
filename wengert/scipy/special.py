"""``wengert.scipy.special``: differentiable special functions (SciPy names and semantics).

The values come from ``scipy.special``; each derivative is written with wengert operations,
so it is itself differentiable (second and higher orders, forward and reverse).  The rules:

=================  ===============================================================
erf, erfc          ±2/√π exp(-x²)
erfinv, erfcinv    ±√π/2 exp(out²)
erfcx              2x·out - 2/√π
gamma, rgamma      ±out·digamma(x);  gammaln, loggamma: digamma(x)
digamma (psi)      polygamma(1, x);  polygamma(n, x): polygamma(n + 1, x)
beta, betaln       (out·)(digamma(a) - digamma(a + b)), and the same in b
xlogy, xlog1py     ∂x: log(y) / log1p(y), ∂y: x/y / x/(1+y), both 0 where x = 0
expit              out·expit(-x) (accurate in both tails);  log_expit: expit(-x)
logit              1/(x(1-x));  softplus: expit(x)
ndtr, ndtri        φ(x);  √(2π) exp(out²/2)
log_ndtr           φ(x)/Φ(x) (direct for x ≥ -40, asymptotic series below)
i0, i1, iv         I₀' = I₁, I_v' = (I_{v-1} + I_{v+1})/2 (so I₁'(0) = 1/2 exactly)
i0e, i1e, ive      the same, scaled, minus sign(x)·out (0 at the kink x = 0)
j0, j1, jv (jn)    J₀' = -J₁, J_v' = (J_{v-1} - J_{v+1})/2;  y0, y1, yv, yn: the same for Y
gammasgn           0 (piecewise constant)
zeta(x, q)         ∂q: -x·zeta(x+1, q)
gammainc(c)        ∂x: ±x^(a-1) e^(-x) / Γ(a);  betainc: ∂x: x^(a-1) (1-x)^(b-1) / B(a, b)
stdtr(df, t)       ∂t: Student-t density
=================  ===============================================================

Orders and shapes that enter a function only through a series (the ``n`` of ``polygamma``,
the ``v`` of ``iv``/``ive``/``jv``/``yv``, the ``x`` of ``zeta``, the ``a``/``b`` of ``gammainc``/
``betainc``, the ``df`` of ``stdtr``) are not differentiable: asking for that derivative
raises ``GradientError`` naming the argument.

Numerical stability: ``xlogy(0, y)`` is 0 with finite derivatives at y = 0 (and a zero
cotangent gives a zero derivative in x even where log(y) = -inf); ``expit``, ``log_expit``
and ``softplus`` are exact at |x| = 1000 with the correct limiting derivatives;
``logsumexp``, ``softmax`` and ``log_softmax`` shift by the (constant) maximum.

SciPy is an optional dependency of wengert: without it, importing this module raises
ImportError.
"""
from __future__ import annotations

import math

import numpy as np

try:
    import scipy.special as _sp
except ImportError as _err:  # the message is the point: SciPy is optional
    raise ImportError(
        "wengert.scipy.special needs SciPy, which is not installed. Install it with "
        "`pip install scipy` (or `pip install 'wengert[all]'`); the rest of wengert works "
        "without it.") from _err

from .._core.primitive import Primitive, bind
from .._core.tensor import concrete_value
from .._errors import GradientError, UnsupportedError, WengertError
from ..numpy import _elementwise as ew
from ..numpy._complex import real
from ..numpy._family import elementwise, t, zero_deriv

__all__ = [
    "erf", "erfc", "erfinv", "erfcinv", "erfcx", "gamma", "gammaln", "loggamma", "rgamma",
    "digamma", "psi", "polygamma", "beta", "betaln", "multigammaln", "xlogy", "xlog1py",
    "expit", "log_expit", "logit", "softplus", "logsumexp", "softmax", "log_softmax",
    "ndtr", "log_ndtr", "ndtri", "i0", "i0e", "i1", "i1e", "iv", "ive", "zeta", "gammainc",
    "gammaincc", "betainc", "stdtr",
]

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


# --- declaration helpers -----------------------------------------------------------------------
def _not_differentiable(fname, what):
    """A derivative 'rule' for an argument that has none: raises when it is asked for."""
    def rule(out, *args):
        raise GradientError(
            f"wengert.scipy.special.{fname} is not differentiable with respect to {what}: no "
            "derivative rule is implemented for it. Pass that argument as a constant (a NumPy "
            "array, or wrapped in wg.stop_gradient) and differentiate with respect to the "
            "others.")
    return rule


def _single(fn):
    """``fn`` with float32 results kept float32 (some SciPy functions compute in double)."""
    def impl(*args):
        res = fn(*args)
        dts = [np.asarray(a).dtype for a in args]
        if any(d == np.float32 for d in dts) and not any(
                d in (np.float64, np.complex128) for d in dts):
            res = np.asarray(res).astype(np.float32, copy=False)
        return res
    return impl


def _check_out(out, name):
    if out is not None:
        raise UnsupportedError(f"scipy.special.{name}(..., out=...) writes in place, which "
                               "wengert cannot differentiate; use the returned value.")


def _function(p, name, nargs, doc):
    if nargs == 1:
        def f(x, /, out=None):
            _check_out(out, name)
            return bind(p, t(x))
    elif nargs == 2:
        def f(x1, x2, /, out=None):
            _check_out(out, name)
            return bind(p, t(x1), t(x2))
    else:
        def f(x1, x2, x3, /, out=None):
            _check_out(out, name)
            return bind(p, t(x1), t(x2), t(x3))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


def _elementwise(name, impl, *derivs, doc, save_out=False):
    p = elementwise("scipy.special." + name, impl, *derivs, save_out=save_out)
    return p, _function(p, name, len(derivs), doc)


def _sq(x):
    return ew.multiply(x, x)


# --- error function family ---------------------------------------------------------------------
def _d_erf(out, x):
    return ew.multiply(ew.exp(ew.negative(_sq(x))), 2.0 / _SQRT_PI)


erf_p, erf = _elementwise("erf", _sp.erf, _d_erf, doc="Error function; erf' = 2/√π e^(-x²).")
erfc_p, erfc = _elementwise("erfc", _sp.erfc, lambda out, x: ew.negative(_d_erf(out, x)),
                            doc="Complementary error function 1 - erf(x).")
erfinv_p, erfinv = _elementwise(
    "erfinv", _sp.erfinv, lambda out, x: ew.multiply(ew.exp(_sq(out)), _SQRT_PI / 2),
    save_out=True, doc="Inverse of erf on (-1, 1); derivative √π/2 e^(out²).")
erfcinv_p, erfcinv = _elementwise(
    "erfcinv", _sp.erfcinv, lambda out, x: ew.multiply(ew.exp(_sq(out)), -_SQRT_PI / 2),
    save_out=True, doc="Inverse of erfc on (0, 2).")
erfcx_p, erfcx = _elementwise(
    "erfcx", _sp.erfcx,
    lambda out, x: ew.subtract(ew.multiply(ew.multiply(x, out), 2.0), 2.0 / _SQRT_PI),
    save_out=True, doc="Scaled complementary error function e^(x²) erfc(x).")


# --- gamma family -----------------------------------------------------------------------------
def _polygamma_impl(n, x):
    return _single(_sp.polygamma)(n, x)


gamma_p, gamma = _elementwise("gamma", _sp.gamma,
                              lambda out, x: ew.multiply(out, digamma(x)), save_out=True,
                              doc="The gamma function; Γ' = Γ·ψ.")
gammaln_p, gammaln = _elementwise("gammaln", _sp.gammaln, lambda out, x: digamma(x),
                                  doc="log|Γ(x)| (real); derivative ψ(x).")
loggamma_p, loggamma = _elementwise("loggamma", _sp.loggamma, lambda out, x: digamma(x),
                                    doc="Principal branch of log Γ (complex-capable).")
rgamma_p, rgamma = _elementwise("rgamma", _sp.rgamma,
                                lambda out, x: ew.negative(ew.multiply(out, digamma(x))),
                                save_out=True, doc="1/Γ(x), entire (zero at the poles of Γ).")
psi_p, digamma = _elementwise("psi", _sp.psi, lambda out, x: polygamma(1, x),
                              doc="Digamma ψ = Γ'/Γ; derivative polygamma(1, x).")
psi = digamma
polygamma_p = elementwise(
    "scipy.special.polygamma", _polygamma_impl,
    _not_differentiable("polygamma", "the order n"),
    lambda out, n, x: polygamma(ew.add(n, 1), x))


def polygamma(n, x):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma; derivative in x: ψ⁽ⁿ⁺¹⁾(x).  ``n`` is an
    integer (or integer array) and is not differentiable."""
    return bind(polygamma_p, t(n), t(x))


def _d_beta(out, a, b):
    return ew.multiply(out, ew.subtract(digamma(a), digamma(ew.add(a, b))))


beta_p, beta = _elementwise("beta", _sp.beta, _d_beta,
                            lambda out, a, b: _d_beta(out, b, a), save_out=True,
                            doc="B(a, b) = Γ(a)Γ(b)/Γ(a+b).")
betaln_p, betaln = _elementwise(
    "betaln", _sp.betaln,
    lambda out, a, b: ew.subtract(digamma(a), digamma(ew.add(a, b))),
    lambda out, a, b: ew.subtract(digamma(b), digamma(ew.add(a, b))),
    doc="log|B(a, b)|.")


def multigammaln(a, d):
    """Log of the multivariate gamma function of dimension ``d`` (an integer):
    d(d-1)/4 log π + Σ_{j=1..d} gammaln(a - (j-1)/2)."""
    d = int(d)
    if d < 1:
        raise ValueError(f"multigammaln: the dimension d must be a positive integer, got {d}")
    a = t(a)
    try:
        bad = bool(np.any(concrete_value(a) <= 0.5 * (d - 1)))
    except WengertError:  # an abstract traced value (vmap, jit): the check is skipped
        bad = False
    if bad:
        raise ValueError(f"condition a > 0.5 * (d-1) ({0.5 * (d - 1)}) not met")
    res = None
    for j in range(d):
        term = gammaln(ew.subtract(a, 0.5 * j))
        res = term if res is None else ew.add(res, term)
    return ew.add(res, d * (d - 1) * 0.25 * math.log(math.pi))


# --- xlogy / xlog1py: exact zeros where x == 0 --------------------------------------------------
def _xdivy(x, y):
    """x / y, taken as 0 where x == 0 and y == 0 (its limit along x = 0); derivatives exact
    wherever y != 0."""
    both = ew.logical_and(ew.equal(x, 0), ew.equal(y, 0))
    return ew.divide(x, ew.where(both, 1, y))


def _xlogy_vjp(needs, g, out, x, y):
    return (xlogy(g, y) if needs[0] else None,
            ew.multiply(g, _xdivy(x, y)) if needs[1] else None)


def _xlog1py_vjp(needs, g, out, x, y):
    return (xlog1py(g, y) if needs[0] else None,
            ew.multiply(g, _xdivy(x, ew.add(y, 1))) if needs[1] else None)


def _sum_terms(terms):
    terms = [s for s in terms if s is not None]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else ew.add(terms[0], terms[1])


def _xlogy_jvp(tangents, out, x, y):
    tx, ty = tangents
    return _sum_terms([None if tx is None else xlogy(tx, y),
                       None if ty is None else ew.multiply(ty, _xdivy(x, y))])


def _xlog1py_jvp(tangents, out, x, y):
    tx, ty = tangents
    return _sum_terms([None if tx is None else xlog1py(tx, y),
                       None if ty is None else ew.multiply(ty, _xdivy(x, ew.add(y, 1)))])


# The x-derivative is applied as xlogy(g, y), not g * log(y): a zero cotangent (or tangent)
# then gives 0 even at y = 0, where log(y) = -inf.
xlogy_p = Primitive("scipy.special.xlogy", _sp.xlogy, vjp=_xlogy_vjp, jvp=_xlogy_jvp)
xlog1py_p = Primitive("scipy.special.xlog1py", _sp.xlog1py, vjp=_xlog1py_vjp, jvp=_xlog1py_jvp)
xlogy_p.batch = xlog1py_p.batch = "elementwise"
xlogy = _function(xlogy_p, "xlogy", 2, "x·log(y), 0 where x == 0 (even at y = 0); the "
                  "derivative in y is x/y, also 0 where x == 0.")
xlog1py = _function(xlog1py_p, "xlog1py", 2, "x·log1p(y), 0 where x == 0.")


# --- logistic functions -----------------------------------------------------------------------------
expit_p, expit = _elementwise("expit", _sp.expit,
                              lambda out, x: ew.multiply(out, expit(ew.negative(x))),
                              save_out=True,
                              doc="Logistic sigmoid 1/(1+e^(-x)); derivative expit(x)·expit(-x) "
                                  "(relatively accurate in both tails).")
log_expit_p, log_expit = _elementwise("log_expit", _sp.log_expit,
                                      lambda out, x: expit(ew.negative(x)),
                                      doc="log(expit(x)) without overflow or cancellation.")
logit_p, logit = _elementwise(
    "logit", _sp.logit, lambda out, x: ew.reciprocal(ew.multiply(x, ew.subtract(1, x))),
    doc="log(p/(1-p)), the inverse of expit.")
softplus_p, softplus = _elementwise("softplus", _sp.softplus, lambda out, x: expit(x),
                                    doc="log(1 + e^x), stable; derivative expit(x).")


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(Σ b·exp(a)) over ``axis``, shifted by the maximum (SciPy's signature): the same
    function as ``wengert.numpy.logsumexp`` (see there)."""
    from ..numpy._composite import logsumexp as _lse
    return _lse(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)


def softmax(x, axis=None):
    """exp(x) / Σ exp(x) over ``axis`` (SciPy's default: all elements), max-shifted."""
    from ..numpy._composite import softmax as _softmax
    return _softmax(x, axis=axis)


def log_softmax(x, axis=None):
    """x - logsumexp(x) over ``axis`` (SciPy's default: all elements), max-shifted."""
    from ..numpy._composite import log_softmax as _log_softmax
    return _log_softmax(x, axis=axis)


# --- normal distribution function ---------------------------------------------------------------------
def _phi(x):
    return ew.divide(ew.exp(ew.multiply(_sq(x), -0.5)), _SQRT_2PI)


_MILLS_CUT = -40.0


def _d_log_ndtr(out, x):
    # φ(x)/Φ(x).  Directly, exp(-x²/2 - log Φ(x)) / √(2π), accurate to ~1e-13 for x >= -40
    # (the exponent cancels); below, the asymptotic series of Φ(x)/φ(x) = (1/|x|)(1 - 1/x²
    # + 3/x⁴ - 15/x⁶ + 105/x⁸ - ...), whose next term is < 1e-13 there.  Each branch sees a
    # clamped x, so the branch not taken stays finite (and so do its derivatives).
    below = ew.less(x, _MILLS_CUT)
    xd = ew.where(below, _MILLS_CUT, x)
    direct = ew.exp(ew.subtract(ew.subtract(ew.multiply(_sq(xd), -0.5), log_ndtr(xd)),
                                _LOG_SQRT_2PI))
    xa = ew.where(below, x, _MILLS_CUT)
    r = ew.reciprocal(_sq(xa))
    series = ew.add(1, ew.multiply(r, ew.add(-1, ew.multiply(r, ew.add(3, ew.multiply(
        r, ew.add(-15, ew.multiply(r, 105))))))))
    asym = ew.divide(ew.negative(xa), series)
    return ew.where(below, asym, direct)


ndtr_p, ndtr = _elementwise("ndtr", _sp.ndtr, lambda out, x: _phi(x),
                            doc="Standard normal CDF Φ(x); derivative φ(x).")
log_ndtr_p, log_ndtr = _elementwise("log_ndtr", _sp.log_ndtr, _d_log_ndtr,
                                    doc="log Φ(x), accurate in both tails; derivative "
                                        "φ(x)/Φ(x) (≈ -x as x → -∞).")
ndtri_p, ndtri = _elementwise(
    "ndtri", _sp.ndtri,
    lambda out, x: ew.multiply(ew.exp(ew.multiply(_sq(out), 0.5)), _SQRT_2PI),
    save_out=True, doc="Inverse of ndtr; derivative 1/φ(out).")


# --- modified Bessel functions of the first kind -----------------------------------------------------------
def _sign_re(x):
    return ew.sign(real(x))


def _d_iv(out, v, x):
    return ew.multiply(ew.add(iv(ew.subtract(v, 1), x), iv(ew.add(v, 1), x)), 0.5)


def _d_ive(out, v, x):
    mean = ew.multiply(ew.add(ive(ew.subtract(v, 1), x), ive(ew.add(v, 1), x)), 0.5)
    return ew.subtract(mean, ew.multiply(_sign_re(x), out))


i0_p, i0 = _elementwise("i0", _sp.i0, lambda out, x: i1(x),
                        doc="Modified Bessel function I₀; derivative I₁.")
i1_p, i1 = _elementwise("i1", _sp.i1,
                        lambda out, x: ew.multiply(ew.add(i0(x), iv(2, x)), 0.5),
                        doc="Modified Bessel function I₁; derivative (I₀ + I₂)/2 "
                            "(= I₀ - I₁/x, with the limit 1/2 at 0).")
i0e_p, i0e = _elementwise(
    "i0e", _sp.i0e, lambda out, x: ew.subtract(i1e(x), ew.multiply(_sign_re(x), out)),
    save_out=True, doc="e^(-|x|) I₀(x); derivative i1e(x) - sign(x)·out (0 at the kink).")
i1e_p, i1e = _elementwise(
    "i1e", _sp.i1e,
    lambda out, x: ew.subtract(ew.multiply(ew.add(i0e(x), ive(2, x)), 0.5),
                               ew.multiply(_sign_re(x), out)),
    save_out=True, doc="e^(-|x|) I₁(x).")
iv_p, iv = _elementwise("iv", _sp.iv, _not_differentiable("iv", "the order v"), _d_iv,
                        doc="Modified Bessel function I_v(x); derivative in x "
                            "(I_{v-1} + I_{v+1})/2; not differentiable in v.")
ive_p, ive = _elementwise("ive", _sp.ive, _not_differentiable("ive", "the order v"), _d_ive,
                          save_out=True,
                          doc="e^(-|Re x|) I_v(x); derivative in x (ive(v-1) + ive(v+1))/2 "
                              "- sign(x)·out; not differentiable in v.")


# --- zeta, incomplete gamma and beta, Student t ---------------------------------------------------------------
riemann_zeta_p = elementwise("scipy.special.zeta1", _sp.zeta,
                             _not_differentiable("zeta", "x"))
hurwitz_zeta_p = elementwise(
    "scipy.special.zeta", _sp.zeta, _not_differentiable("zeta", "x"),
    lambda out, x, q: ew.negative(ew.multiply(x, zeta(ew.add(x, 1), q))))


def zeta(x, q=None, out=None):
    """Riemann (``q=None``) or Hurwitz zeta ζ(x, q); differentiable in ``q``
    (∂q ζ(x, q) = -x ζ(x+1, q)), not in ``x``."""
    _check_out(out, "zeta")
    if q is None:
        return bind(riemann_zeta_p, t(x))
    return bind(hurwitz_zeta_p, t(x), t(q))


def _gamma_density(a, x):
    return ew.exp(ew.subtract(ew.subtract(xlogy(ew.subtract(a, 1), x), x), gammaln(a)))


gammainc_p, gammainc = _elementwise(
    "gammainc", _sp.gammainc, _not_differentiable("gammainc", "the shape a"),
    lambda out, a, x: _gamma_density(a, x),
    doc="Regularized lower incomplete gamma P(a, x); ∂x = x^(a-1) e^(-x) / Γ(a).")
gammaincc_p, gammaincc = _elementwise(
    "gammaincc", _sp.gammaincc, _not_differentiable("gammaincc", "the shape a"),
    lambda out, a, x: ew.negative(_gamma_density(a, x)),
    doc="Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x).")
betainc_p, betainc = _elementwise(
    "betainc", _sp.betainc, _not_differentiable("betainc", "the shape a"),
    _not_differentiable("betainc", "the shape b"),
    lambda out, a, b, x: ew.exp(ew.subtract(
        ew.add(xlogy(ew.subtract(a, 1), x), xlog1py(ew.subtract(b, 1), ew.negative(x))),
        betaln(a, b))),
    doc="Regularized incomplete beta I_x(a, b); ∂x = x^(a-1)(1-x)^(b-1)/B(a, b).")


def _t_logpdf(z, df):
    half = ew.multiply(ew.add(df, 1), 0.5)
    norm = ew.subtract(ew.subtract(gammaln(half), gammaln(ew.multiply(df, 0.5))),
                       ew.multiply(ew.log(ew.multiply(df, math.pi)), 0.5))
    return ew.subtract(norm, ew.multiply(half, ew.log1p(ew.divide(_sq(z), df))))


stdtr_p, stdtr = _elementwise(
    "stdtr", _sp.stdtr, _not_differentiable("stdtr", "the degrees of freedom df"),
    lambda out, df, x: ew.exp(_t_logpdf(x, df)),
    doc="Student t CDF with ``df`` degrees of freedom; ∂t = the t density.")


# --- Bessel functions of the first and second kind; the sign of the gamma function ------------------
def _d_jv(out, v, x):
    return ew.multiply(ew.subtract(jv(ew.subtract(v, 1), x), jv(ew.add(v, 1), x)), 0.5)


def _d_yv(out, v, x):
    return ew.multiply(ew.subtract(yv(ew.subtract(v, 1), x), yv(ew.add(v, 1), x)), 0.5)


jv_p, jv = _elementwise("jv", _sp.jv, _not_differentiable("jv", "the order v"), _d_jv,
                        doc="Bessel function of the first kind J_v(x); derivative in x "
                            "(J_{v-1} - J_{v+1})/2; not differentiable in v.")
yv_p, yv = _elementwise("yv", _sp.yv, _not_differentiable("yv", "the order v"), _d_yv,
                        doc="Bessel function of the second kind Y_v(x); derivative in x "
                            "(Y_{v-1} - Y_{v+1})/2; not differentiable in v.")
jn = jv  # SciPy's jn is jv (integer or real order)
yn_p, yn = _elementwise("yn", _sp.yn, _not_differentiable("yn", "the order n"),
                        lambda out, n, x: _d_yv(out, n, x),
                        doc="Y_n(x) for integer order n; derivative (Y_{n-1} - Y_{n+1})/2.")
j0_p, j0 = _elementwise("j0", _sp.j0, lambda out, x: ew.negative(j1(x)),
                        doc="Bessel J₀; derivative -J₁.")
j1_p, j1 = _elementwise("j1", _sp.j1,
                        lambda out, x: ew.multiply(ew.subtract(j0(x), jv(2, x)), 0.5),
                        doc="Bessel J₁; derivative (J₀ - J₂)/2 (= J₀ - J₁/x, 1/2 at 0).")
y0_p, y0 = _elementwise("y0", _sp.y0, lambda out, x: ew.negative(y1(x)),
                        doc="Bessel Y₀; derivative -Y₁.")
y1_p, y1 = _elementwise("y1", _sp.y1,
                        lambda out, x: ew.multiply(ew.subtract(y0(x), yv(2, x)), 0.5),
                        doc="Bessel Y₁; derivative (Y₀ - Y₂)/2.")

gammasgn_p = zero_deriv("scipy.special.gammasgn", _sp.gammasgn)
gammasgn = _function(gammasgn_p, "gammasgn", 1,
                     "Sign of the gamma function (±1, piecewise constant: derivative 0).")
__all__ += ["jv", "yv", "jn", "yn", "j0", "j1", "y0", "y1", "gammasgn"]


# --- SciPy's own ufuncs on Tensors: once this module is imported, scipy.special.erf(t) etc.
# run the differentiable versions (through Tensor.__array_ufunc__) -----------------------------
def _register_ufuncs():
    from ..numpy import _dispatch

    for name in ("erf", "erfc", "erfinv", "erfcinv", "erfcx", "gamma", "gammaln", "loggamma",
                 "rgamma", "psi", "beta", "betaln", "xlogy", "xlog1py", "expit", "log_expit",
                 "logit", "ndtr", "log_ndtr", "ndtri", "i0", "i0e", "i1", "i1e", "iv", "ive",
                 "gammainc", "gammaincc", "betainc", "stdtr", "jv", "yv", "yn", "j0", "j1",
                 "y0", "y1", "gammasgn"):
        ufunc = getattr(_sp, name)
        if isinstance(ufunc, np.ufunc):
            _dispatch.UFUNCS[ufunc] = globals()[name if name != "psi" else "digamma"]


_register_ufuncs()
