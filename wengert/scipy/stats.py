"""``wengert.scipy.stats``: differentiable log-densities and distribution functions.

Each distribution is a namespace with SciPy's call signatures (``norm.logpdf(x, loc=0,
scale=1)``, ``gamma.logpdf(x, a, loc=0, scale=1)``, ``poisson.logpmf(k, mu, loc=0)``, ...)
and SciPy's values, differentiable in ``x`` and in every continuous parameter (``loc``,
``scale``, shapes).  The CDFs of ``t``, ``gamma`` and ``beta`` go through incomplete
gamma/beta functions, which are differentiable in ``x``, ``loc`` and ``scale`` but not in the
shape parameters (asking for that derivative raises GradientError).

Conventions (SciPy's): outside the support a log-density is ``-inf`` (density 0) and a CDF is
0 or 1; invalid parameters (``scale <= 0``, a non-positive shape, a probability outside
[0, 1]) give NaN.  Each formula is evaluated at a clamped, valid point where the result is
not taken, so no NaN or infinity reaches a derivative from a branch that is not used.
"""
from __future__ import annotations

import functools
import math

import numpy as np

try:
    import scipy.special  # noqa: F401  (the forward values come from scipy.special)
except ImportError as _err:
    raise ImportError(
        "wengert.scipy.stats needs SciPy, which is not installed. Install it with "
        "`pip install scipy` (or `pip install 'wengert[all]'`).") from _err

from .._core.tensor import concrete_value
from .._errors import ConcretizationError
from ..numpy import _elementwise as ew
from ..numpy import _shape as sh
from ..numpy._composite import stop_gradient
from ..numpy._family import dtype_of
from ..numpy._family import t as _t
from . import special as sp

__all__ = ["norm", "t", "gamma", "beta", "expon", "laplace", "logistic", "cauchy", "uniform",
           "poisson", "bernoulli", "binom", "geom", "chi2", "multivariate_normal", "dirichlet"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_NAN = np.nan
_INF = np.inf


# --- shared pieces ---------------------------------------------------------------------------------
def _valid(cond, value):
    """``value`` where ``cond`` holds, NaN elsewhere (an invalid parameter)."""
    if cond is None:
        return value
    return ew.where(cond, value, _NAN)


def _and(*conds):
    res = None
    for c in conds:
        if c is not None:
            res = c if res is None else ew.logical_and(res, c)
    return res


def _safe(cond, x, fill):
    """``x`` where ``cond``, else the harmless stand-in ``fill``."""
    return ew.where(cond, x, fill)


def _is_int(k):
    return ew.equal(k, ew.floor(k))


def _typed(fn):
    """Give the result NumPy's floating result type of the arguments (Python scalars are
    weak, so float32 data with Python-float parameters stays float32)."""
    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        res = fn(self, *args, **kwargs)
        kinds = [a if isinstance(a, (int, float)) else dtype_of(a)
                 for a in list(args) + list(kwargs.values())]
        dt = np.result_type(*kinds, 0.0)
        if np.issubdtype(dt, np.floating) and dtype_of(res) != dt:
            res = sh.astype(res, dt)
        return res
    return method


def _distribution(cls):
    """Class decorator: every public method keeps the arguments' precision."""
    for name, fn in list(vars(cls).items()):
        if not name.startswith("_") and callable(fn):
            setattr(cls, name, _typed(fn))
    return cls


class _LocScale:
    """``z = (x - loc) / scale`` with ``scale`` replaced by 1 where it is not positive."""

    def __init__(self, x, loc, scale):
        scale = _t(scale)
        self.ok = ew.greater(scale, 0)
        self.scale = _safe(self.ok, scale, 1.0)
        self.z = ew.divide(ew.subtract(x, loc), self.scale)
        self.log_scale = ew.log(self.scale)

    def logpdf(self, logpdf_z, extra_ok=None):
        return _valid(_and(self.ok, extra_ok), ew.subtract(logpdf_z, self.log_scale))

    def prob(self, value, extra_ok=None):
        return _valid(_and(self.ok, extra_ok), value)


@_distribution
class _FromCdf:
    """Methods every distribution derives from its ``cdf``."""

    def logcdf(self, x, *args, **kwargs):
        with np.errstate(divide="ignore"):
            return ew.log(self.cdf(x, *args, **kwargs))

    def sf(self, x, *args, **kwargs):
        return ew.subtract(1, self.cdf(x, *args, **kwargs))

    def logsf(self, x, *args, **kwargs):
        with np.errstate(divide="ignore"):
            return ew.log(self.sf(x, *args, **kwargs))


@_distribution
class _Continuous(_FromCdf):
    """Methods shared by every continuous distribution (derived from logpdf/cdf/sf)."""

    def pdf(self, x, *args, **kwargs):
        return ew.exp(self.logpdf(x, *args, **kwargs))


@_distribution
class _Discrete(_FromCdf):
    def pmf(self, k, *args, **kwargs):
        return ew.exp(self.logpmf(k, *args, **kwargs))



# --- continuous distributions ---------------------------------------------------------------------
@_distribution
class _Norm(_Continuous):
    """Normal distribution N(loc, scale²)."""

    def logpdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        return s.logpdf(ew.subtract(ew.multiply(ew.square(s.z), -0.5), _LOG_SQRT_2PI))

    def cdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        return s.prob(sp.ndtr(s.z))

    def logcdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        return s.prob(sp.log_ndtr(s.z))

    def sf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        return s.prob(sp.ndtr(ew.negative(s.z)))

    def logsf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        return s.prob(sp.log_ndtr(ew.negative(s.z)))

    def ppf(self, q, loc=0.0, scale=1.0):
        scale = _t(scale)
        return _valid(ew.greater(scale, 0), ew.add(loc, ew.multiply(scale, sp.ndtri(q))))

    def isf(self, q, loc=0.0, scale=1.0):
        scale = _t(scale)
        return _valid(ew.greater(scale, 0), ew.subtract(loc, ew.multiply(scale, sp.ndtri(q))))


@_distribution
class _T(_Continuous):
    """Student's t distribution with ``df`` degrees of freedom."""

    def logpdf(self, x, df, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        df = _t(df)
        ok = ew.greater(df, 0)
        return s.logpdf(sp._t_logpdf(s.z, _safe(ok, df, 1.0)), ok)

    def cdf(self, x, df, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        df = _t(df)
        ok = ew.greater(df, 0)
        return s.prob(sp.stdtr(_safe(ok, df, 1.0), s.z), ok)

    def sf(self, x, df, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        df = _t(df)
        ok = ew.greater(df, 0)
        return s.prob(sp.stdtr(_safe(ok, df, 1.0), ew.negative(s.z)), ok)


@_distribution
class _Gamma(_Continuous):
    """Gamma distribution with shape ``a`` (density z^(a-1) e^(-z) / Γ(a), z >= 0)."""

    def logpdf(self, x, a, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        a = _t(a)
        ok = ew.greater(a, 0)
        a = _safe(ok, a, 1.0)
        inside = ew.greater_equal(s.z, 0)
        z = _safe(inside, s.z, 1.0)
        val = ew.subtract(ew.subtract(sp.xlogy(ew.subtract(a, 1), z), z), sp.gammaln(a))
        return s.logpdf(ew.where(inside, val, -_INF), ok)

    def cdf(self, x, a, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        a = _t(a)
        ok = ew.greater(a, 0)
        inside = ew.greater(s.z, 0)
        val = sp.gammainc(_safe(ok, a, 1.0), _safe(inside, s.z, 1.0))
        return s.prob(ew.where(inside, val, 0.0), ok)

    def sf(self, x, a, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        a = _t(a)
        ok = ew.greater(a, 0)
        inside = ew.greater(s.z, 0)
        val = sp.gammaincc(_safe(ok, a, 1.0), _safe(inside, s.z, 1.0))
        return s.prob(ew.where(inside, val, 1.0), ok)


@_distribution
class _Beta(_Continuous):
    """Beta distribution on [loc, loc + scale] with shapes ``a``, ``b``."""

    def logpdf(self, x, a, b, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        a, b = _t(a), _t(b)
        ok = ew.logical_and(ew.greater(a, 0), ew.greater(b, 0))
        a, b = _safe(ok, a, 1.0), _safe(ok, b, 1.0)
        inside = ew.logical_and(ew.greater_equal(s.z, 0), ew.less_equal(s.z, 1))
        z = _safe(inside, s.z, 0.5)
        val = ew.subtract(ew.add(sp.xlogy(ew.subtract(a, 1), z),
                                 sp.xlog1py(ew.subtract(b, 1), ew.negative(z))),
                          sp.betaln(a, b))
        return s.logpdf(ew.where(inside, val, -_INF), ok)

    def cdf(self, x, a, b, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        a, b = _t(a), _t(b)
        ok = ew.logical_and(ew.greater(a, 0), ew.greater(b, 0))
        inside = ew.logical_and(ew.greater(s.z, 0), ew.less(s.z, 1))
        val = sp.betainc(_safe(ok, a, 1.0), _safe(ok, b, 1.0), _safe(inside, s.z, 0.5))
        return s.prob(ew.where(inside, val, ew.where(ew.less_equal(s.z, 0), 0.0, 1.0)), ok)


@_distribution
class _Expon(_Continuous):
    """Exponential distribution, density e^(-z) for z >= 0."""

    def logpdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        inside = ew.greater_equal(s.z, 0)
        return s.logpdf(ew.where(inside, ew.negative(s.z), -_INF))

    def cdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        inside = ew.greater(s.z, 0)
        return s.prob(ew.where(inside, ew.negative(ew.expm1(ew.negative(
            _safe(inside, s.z, 0.0)))), 0.0))


@_distribution
class _Laplace(_Continuous):
    """Laplace distribution, density e^(-|z|)/2 (derivative 0 at the kink z = 0)."""

    def logpdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        return s.logpdf(ew.subtract(ew.negative(ew.abs(s.z)), math.log(2.0)))

    def cdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        neg = ew.less(s.z, 0)
        lower = ew.multiply(ew.exp(_safe(neg, s.z, 0.0)), 0.5)
        upper = ew.subtract(1, ew.multiply(ew.exp(ew.negative(_safe(neg, 0.0, s.z))), 0.5))
        return s.prob(ew.where(neg, lower, upper))


@_distribution
class _Logistic(_Continuous):
    """Logistic distribution, CDF expit(z)."""

    def logpdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        return s.logpdf(ew.add(sp.log_expit(s.z), sp.log_expit(ew.negative(s.z))))

    def cdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        return s.prob(sp.expit(s.z))

    def logcdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        return s.prob(sp.log_expit(s.z))


@_distribution
class _Cauchy(_Continuous):
    """Cauchy distribution, density 1/(π(1 + z²))."""

    def logpdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        return s.logpdf(ew.negative(ew.add(ew.log1p(ew.square(s.z)), math.log(math.pi))))

    def cdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        return s.prob(ew.add(ew.divide(ew.arctan(s.z), math.pi), 0.5))


@_distribution
class _Uniform(_Continuous):
    """Uniform distribution on [loc, loc + scale]."""

    def logpdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        inside = ew.logical_and(ew.greater_equal(s.z, 0), ew.less_equal(s.z, 1))
        return s.logpdf(ew.where(inside, ew.multiply(s.z, 0.0), -_INF))

    def cdf(self, x, loc=0.0, scale=1.0):
        s = _LocScale(x, loc, scale)
        return s.prob(ew.clip(s.z, 0.0, 1.0))


# --- discrete distributions -------------------------------------------------------------------------------
@_distribution
class _Poisson(_Discrete):
    """Poisson distribution with mean ``mu`` (differentiable in ``mu``)."""

    def logpmf(self, k, mu, loc=0):
        k = stop_gradient(ew.subtract(k, loc))
        mu = _t(mu)
        ok = ew.greater_equal(mu, 0)
        mu = _safe(ok, mu, 1.0)
        inside = ew.logical_and(ew.greater_equal(k, 0), _is_int(k))
        kk = _safe(inside, k, 0.0)
        val = ew.subtract(ew.subtract(sp.xlogy(kk, mu), sp.gammaln(ew.add(kk, 1))), mu)
        return _valid(ok, ew.where(inside, val, -_INF))

    def cdf(self, k, mu, loc=0):
        k = ew.floor(stop_gradient(ew.subtract(k, loc)))
        mu = _t(mu)
        ok = ew.greater_equal(mu, 0)
        inside = ew.greater_equal(k, 0)
        val = sp.gammaincc(ew.add(_safe(inside, k, 0.0), 1), _safe(ok, mu, 1.0))
        return _valid(ok, ew.where(inside, val, 0.0))

    def sf(self, k, mu, loc=0):
        k = ew.floor(stop_gradient(ew.subtract(k, loc)))
        mu = _t(mu)
        ok = ew.greater_equal(mu, 0)
        inside = ew.greater_equal(k, 0)
        val = sp.gammainc(ew.add(_safe(inside, k, 0.0), 1), _safe(ok, mu, 1.0))
        return _valid(ok, ew.where(inside, val, 1.0))


@_distribution
class _Bernoulli(_Discrete):
    """Bernoulli distribution: P(1) = p (differentiable in ``p``)."""

    def logpmf(self, k, p, loc=0):
        k = stop_gradient(ew.subtract(k, loc))
        p = _t(p)
        ok = ew.logical_and(ew.greater_equal(p, 0), ew.less_equal(p, 1))
        p = _safe(ok, p, 0.5)
        inside = ew.logical_or(ew.equal(k, 0), ew.equal(k, 1))
        kk = _safe(inside, k, 0.0)
        val = ew.add(sp.xlogy(kk, p), sp.xlog1py(ew.subtract(1, kk), ew.negative(p)))
        return _valid(ok, ew.where(inside, val, -_INF))

    def cdf(self, k, p, loc=0):
        k = stop_gradient(ew.subtract(k, loc))
        p = _t(p)
        ok = ew.logical_and(ew.greater_equal(p, 0), ew.less_equal(p, 1))
        p = _safe(ok, p, 0.5)
        val = ew.where(ew.less(k, 0), 0.0, ew.where(ew.less(k, 1), ew.subtract(1, p), 1.0))
        return _valid(ok, val)


@_distribution
class _Binom(_Discrete):
    """Binomial distribution with ``n`` trials of probability ``p`` (differentiable in p)."""

    def logpmf(self, k, n, p, loc=0):
        k = stop_gradient(ew.subtract(k, loc))
        n = stop_gradient(_t(n))
        p = _t(p)
        ok = _and(ew.greater_equal(p, 0), ew.less_equal(p, 1), ew.greater_equal(n, 0),
                  _is_int(n))
        p = _safe(ok, p, 0.5)
        n = _safe(ok, n, 1.0)
        inside = _and(ew.greater_equal(k, 0), ew.less_equal(k, n), _is_int(k))
        kk = _safe(inside, k, 0.0)
        comb = ew.subtract(sp.gammaln(ew.add(n, 1)),
                           ew.add(sp.gammaln(ew.add(kk, 1)),
                                  sp.gammaln(ew.add(ew.subtract(n, kk), 1))))
        val = ew.add(comb, ew.add(sp.xlogy(kk, p),
                                  sp.xlog1py(ew.subtract(n, kk), ew.negative(p))))
        return _valid(ok, ew.where(inside, val, -_INF))


@_distribution
class _Geom(_Discrete):
    """Geometric distribution on k = 1, 2, ...: P(k) = (1-p)^(k-1) p."""

    def logpmf(self, k, p, loc=0):
        k = stop_gradient(ew.subtract(k, loc))
        p = _t(p)
        ok = ew.logical_and(ew.greater(p, 0), ew.less_equal(p, 1))
        p = _safe(ok, p, 0.5)
        inside = ew.logical_and(ew.greater_equal(k, 1), _is_int(k))
        kk = _safe(inside, k, 1.0)
        val = ew.add(sp.xlog1py(ew.subtract(kk, 1), ew.negative(p)), ew.log(p))
        return _valid(ok, ew.where(inside, val, -_INF))

    def cdf(self, k, p, loc=0):
        k = ew.floor(stop_gradient(ew.subtract(k, loc)))
        p = _t(p)
        ok = ew.logical_and(ew.greater(p, 0), ew.less_equal(p, 1))
        p = _safe(ok, p, 0.5)
        inside = ew.greater_equal(k, 1)
        kk = _safe(inside, k, 1.0)
        val = ew.negative(ew.expm1(sp.xlog1py(kk, ew.negative(p))))
        return _valid(ok, ew.where(inside, val, 0.0))



@_distribution
class _Chi2(_Continuous):
    """Chi-squared distribution with ``df`` degrees of freedom: gamma(df/2, scale=2)."""

    def logpdf(self, x, df, loc=0.0, scale=1.0):
        return gamma.logpdf(x, ew.multiply(df, 0.5), loc, ew.multiply(scale, 2.0))

    def cdf(self, x, df, loc=0.0, scale=1.0):
        return gamma.cdf(x, ew.multiply(df, 0.5), loc, ew.multiply(scale, 2.0))

    def sf(self, x, df, loc=0.0, scale=1.0):
        return gamma.sf(x, ew.multiply(df, 0.5), loc, ew.multiply(scale, 2.0))


# --- multivariate distributions ----------------------------------------------------------------------
_LOG_2PI = math.log(2.0 * math.pi)


def _squeeze_output(out):
    """SciPy's multivariate convention: drop length-1 axes (one point gives a scalar)."""
    return sh.squeeze(out)


class _MultivariateNormal:
    """Multivariate normal N(mean, cov), SciPy's signatures and shapes: ``x`` holds points
    along its last axis (a 1-d ``x`` is one point, or several if the dimension is 1);
    ``cov`` may be a scalar (times I), a vector (the diagonal) or a matrix.

    Differentiable in ``x``, ``mean`` and ``cov``.  A positive definite ``cov`` goes through
    its Cholesky factor (so, as for ``cholesky``, the ``cov`` derivative is that of its
    symmetric part).  With ``allow_singular=True`` and a numerically singular ``cov``, the
    density is SciPy's degenerate one on the support (pseudo-inverse and pseudo-determinant
    from ``eigh``, eigenvalues below SciPy's cutoff count as 0; points off the support get
    -inf); derivatives in ``x`` and ``mean`` are exact there, the ``cov`` derivative is that
    of ``eigh`` (see wnp.linalg on repeated eigenvalues)."""

    def _process(self, x, mean, cov):
        from ..numpy import _manip as mp
        from ..numpy._creation import eye
        if mean is None:
            if cov is None:
                dim = 1
            else:
                cshape = _t(cov).shape if hasattr(_t(cov), "shape") else ()
                dim = 1 if len(cshape) < 2 else cshape[0]
            mean = np.zeros(dim)
        mean = _t(mean)
        mean = mean if hasattr(mean, "shape") else _t(np.asarray(mean, dtype=float))
        dim = int(np.prod(mean.shape)) if mean.shape else 1
        mean = sh.reshape(mean, (dim,))
        cov = _t(1.0 if cov is None else cov)
        cov = cov if hasattr(cov, "shape") else _t(np.asarray(cov, dtype=float))
        if len(cov.shape) == 0:
            cov = ew.multiply(cov, eye(dim))
        elif len(cov.shape) == 1:
            cov = mp.diag(cov)
        if tuple(cov.shape) != (dim, dim):
            raise ValueError(f"multivariate_normal: cov has shape {tuple(cov.shape)}, but the "
                             f"mean has dimension {dim}; pass a ({dim}, {dim}) matrix.")
        if x is not None:
            x = _t(x)
            x = x if hasattr(x, "shape") else _t(np.asarray(x, dtype=float))
            if len(x.shape) == 0:
                x = sh.reshape(x, (1,))
            elif len(x.shape) == 1:
                x = sh.reshape(x, (-1, 1) if dim == 1 else (1, -1))
        return x, mean, cov

    @staticmethod
    def _singular_eps(cov):
        """SciPy's cutoff, or None where cov is numerically positive definite."""
        try:
            w = np.linalg.eigvalsh(concrete_value(cov))
        except ConcretizationError:  # an abstract value (inside jit): the general path
            return "abstract"
        eps = 1e6 * np.finfo(w.dtype).eps * np.max(np.abs(w))
        return eps if np.min(w) <= eps else None

    def _parts(self, x, mean, cov, allow_singular):
        """(log pseudo-determinant, rank, Mahalanobis distances, support mask or None)."""
        from ..numpy import _linalg_core as lc
        from ..numpy import _reduce as rd
        from ..numpy import linalg as la
        from . import linalg as sla
        dev = ew.subtract(x, mean)
        # a covariance is symmetric: differentiate w.r.t. its symmetric part (as JAX does),
        # not only the triangle that cholesky/eigh read
        cov = ew.multiply(ew.add(cov, sh.swapaxes(cov, -1, -2)), 0.5)
        eps = self._singular_eps(cov) if allow_singular else None
        if eps is None:
            chol = la.cholesky(cov)
            z = sla.solve_triangular(chol, sh.swapaxes(dev, -1, -2), lower=True)
            maha = rd.sum(ew.square(z), axis=-2)
            logdet = ew.multiply(rd.sum(ew.log(_diag(chol))), 2.0)
            return logdet, cov.shape[-1], maha, None
        w, u = la.eigh(cov)
        wv = concrete_value(w)
        if isinstance(eps, str):
            eps = 1e6 * np.finfo(wv.dtype).eps * np.max(np.abs(wv))
        if np.min(wv) < -eps:
            raise ValueError("multivariate_normal: the covariance matrix must be symmetric "
                             "positive semidefinite.")
        keep = wv > eps
        w_safe = ew.where(keep, w, 1.0)
        logdet = rd.sum(ew.where(keep, ew.log(w_safe), 0.0))
        proj = lc.matmul(dev, u)
        maha = rd.sum(ew.where(keep, ew.divide(ew.square(proj), w_safe), 0.0), axis=-1)
        off = (np.sqrt(np.sum(np.square(concrete_value(proj)[..., ~keep]), axis=-1))
               if (~keep).any() else None)
        support = None if off is None else off < 1e3 * eps
        return logdet, int(keep.sum()), maha, support

    def logpdf(self, x, mean=None, cov=1, allow_singular=False):
        x, mean, cov = self._process(x, mean, cov)
        logdet, rank, maha, support = self._parts(x, mean, cov, allow_singular)
        out = ew.multiply(ew.add(ew.add(maha, logdet), rank * _LOG_2PI), -0.5)
        if support is not None:
            out = ew.where(support, out, -_INF)
        return _squeeze_output(out)

    def pdf(self, x, mean=None, cov=1, allow_singular=False):
        return ew.exp(self.logpdf(x, mean, cov, allow_singular))

    def entropy(self, mean=None, cov=1):
        _, mean, cov = self._process(None, mean, cov)
        logdet, rank, _, _ = self._parts(sh.reshape(mean, (1, -1)), mean, cov, True)
        return ew.multiply(ew.add(logdet, rank * (_LOG_2PI + 1.0)), 0.5)

    def rvs(self, mean=None, cov=1, size=1, random_state=None):
        """Samples (plain arrays, no derivative): SciPy's sampler."""
        import scipy.stats
        return scipy.stats.multivariate_normal.rvs(
            None if mean is None else concrete_value(mean), concrete_value(cov), size=size,
            random_state=random_state)


def _diag(m):
    from ..numpy import _manip as mp
    return mp.diagonal(m, axis1=-2, axis2=-1)


class _Dirichlet:
    """Dirichlet distribution with concentration ``alpha`` (shape (K,)); ``x`` holds the K
    components along its FIRST axis, as in SciPy (shape (K,) or (K, n); K-1 components are
    completed with 1 - sum).  Differentiable in ``x`` and ``alpha``."""

    def _x(self, x, alpha):
        from ..numpy import _reduce as rd
        x = _t(x)
        k = alpha.shape[0]
        if x.shape[0] == k - 1:
            last = ew.subtract(1.0, rd.sum(x, axis=0, keepdims=True))
            x = sh.concatenate([x, last], axis=0)
        if x.shape[0] != k:
            raise ValueError(f"dirichlet: x has {x.shape[0]} components along its first axis, "
                             f"alpha has {k}; they must agree.")
        try:
            xv = concrete_value(x)
        except ConcretizationError:  # abstract (inside jit): no value checks
            xv = None
        if xv is not None:
            if np.any(xv < 0) or np.any(xv > 1):
                raise ValueError("dirichlet: each entry of x must lie in [0, 1].")
            if np.any(np.abs(np.sum(xv, axis=0) - 1.0) > 10e-10):
                raise ValueError("dirichlet: the components of x must sum to 1.")
        return x

    def logpdf(self, x, alpha):
        from ..numpy import _reduce as rd
        alpha = _t(alpha)
        x = self._x(x, alpha)
        a = sh.reshape(alpha, tuple(alpha.shape) + (1,) * (len(x.shape) - 1))
        log_b = ew.subtract(rd.sum(sp.gammaln(alpha)), sp.gammaln(rd.sum(alpha)))
        return ew.subtract(rd.sum(sp.xlogy(ew.subtract(a, 1.0), x), axis=0), log_b)

    def pdf(self, x, alpha):
        return ew.exp(self.logpdf(x, alpha))

    def mean(self, alpha):
        from ..numpy import _reduce as rd
        alpha = _t(alpha)
        return ew.divide(alpha, rd.sum(alpha))

    def rvs(self, alpha, size=1, random_state=None):
        """Samples (plain arrays, no derivative): SciPy's sampler."""
        import scipy.stats
        return scipy.stats.dirichlet.rvs(concrete_value(alpha), size=size,
                                         random_state=random_state)


norm = _Norm()
t = _T()
gamma = _Gamma()
beta = _Beta()
expon = _Expon()
laplace = _Laplace()
logistic = _Logistic()
cauchy = _Cauchy()
uniform = _Uniform()
poisson = _Poisson()
bernoulli = _Bernoulli()
binom = _Binom()
geom = _Geom()
chi2 = _Chi2()
multivariate_normal = _MultivariateNormal()
dirichlet = _Dirichlet()
