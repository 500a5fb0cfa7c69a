"""Dual numbers a + b·ε with ε² = 0: forward-mode AD in its teaching form (chapter §3).

``Dual`` works on Python/NumPy scalars, with Python numbers on either side of every
operator; ``wengert.dual.sin``, ``cos``, ... extend the elementary functions by
f(a + bε) = f(a) + f'(a) b ε.  Duals nest (a dual whose parts are duals gives second
derivatives, see ``derivative``).  ``numpy.sin(d)`` and the other NumPy ufuncs listed in
``FUNCTIONS`` also work on a Dual (NumPy calls its methods).  For arrays and every other
op, use ``wg.jvp`` or ``wg.autograd.forward_ad``.

Conventions: the real part behaves as the Python scalar computation would
(``1 / Dual(0.0)`` raises ZeroDivisionError, ``log(Dual(-1.0))`` raises ValueError), except
that overflow gives inf as in NumPy (``exp(Dual(1000.0))``).
Where the function is finite but its derivative is not (``sqrt`` at 0, ``x ** 0.5`` at 0,
``arcsin`` at ±1), the dual part is ±inf.  At kinks the derivative is the minimum-norm
subgradient: ``abs'(0) = 0``, ``relu'(0) = 0``; piecewise-constant functions (``floor``,
``sign``, ``//``) have derivative 0.  Comparisons and ``bool`` look at the real part.
"""
from __future__ import annotations

import itertools
import math


def _is_zero(x) -> bool:
    """Exactly zero, including every nested dual part."""
    if isinstance(x, Dual):
        return _is_zero(x.real) and _is_zero(x.dual)
    return x == 0


def _recip(x):
    """1/x, with 1/±0 = ±inf for plain numbers (a derivative that is infinite where the
    function itself is finite)."""
    if not isinstance(x, Dual) and x == 0:
        return math.copysign(math.inf, x)
    return 1 / x


def _real_part(x):
    """The innermost real part of a (possibly nested) dual number."""
    while isinstance(x, Dual):
        x = x.real
    return x


class Dual:
    """A dual number ``real + dual·ε`` (ε² = 0); ``real`` and ``dual`` may be Duals.

    ``tag`` names the perturbation ε (default 0, shared by every Dual made by hand, as in
    the chapter's examples).  A Dual with a lower tag, or a number, is a constant to the
    perturbation of a higher tag, which is how ``derivative`` nests without perturbation
    confusion.

    Example::

        >>> x1, x2 = Dual(1.0, 1.0), Dual(2.0, 0.0)
        >>> ((x1 + x2) * sin(x1)).dual   # df/dx1 at (1, 2)
        2.4623...
    """

    __slots__ = ("dual", "real", "tag")

    def __init__(self, real, dual=0.0, tag=0):
        if isinstance(real, complex) or isinstance(dual, complex):
            raise TypeError("Dual: real and dual parts must be real numbers (or Duals), "
                            "not complex; use wg.jvp for complex functions.")
        self.real = real
        self.dual = dual
        self.tag = tag

    @staticmethod
    def _lift(x, tag=0):
        if isinstance(x, Dual):
            return x
        if isinstance(x, complex):
            raise TypeError("Dual arithmetic with a complex number is not supported; use "
                            "wg.jvp for complex functions.")
        return Dual(x, 0.0, tag)

    def _pair(self, o):
        """``(self, o)`` at one tag: a number, or a Dual of a lower tag (another
        perturbation, e.g. of an enclosing ``derivative``), is a constant at the higher."""
        if not isinstance(o, Dual):
            return self, Dual._lift(o, self.tag)
        if o.tag == self.tag:
            return self, o
        if o.tag < self.tag:
            return self, Dual(o, 0.0, self.tag)
        return Dual(self, 0.0, o.tag), o

    # -- arithmetic ----------------------------------------------------------------------
    def __add__(self, o):
        a, b = self._pair(o)
        return Dual(a.real + b.real, a.dual + b.dual, a.tag)

    __radd__ = __add__

    def __sub__(self, o):
        a, b = self._pair(o)
        return Dual(a.real - b.real, a.dual - b.dual, a.tag)

    def __rsub__(self, o):
        a, b = self._pair(o)
        return b - a

    def __mul__(self, o):
        a, b = self._pair(o)
        return Dual(a.real * b.real, a.real * b.dual + a.dual * b.real, a.tag)

    __rmul__ = __mul__

    def __truediv__(self, o):
        a, b = self._pair(o)
        return Dual(a.real / b.real, (a.dual * b.real - a.real * b.dual) / (b.real * b.real),
                    a.tag)

    def __rtruediv__(self, o):
        a, b = self._pair(o)
        return b / a

    def __floordiv__(self, o):
        a, b = self._pair(o)
        return Dual(a.real // b.real, 0.0, a.tag)  # piecewise constant: derivative 0

    def __rfloordiv__(self, o):
        a, b = self._pair(o)
        return b // a

    def __mod__(self, o):
        # a mod b = a - b * floor(a / b)
        a, b = self._pair(o)
        q = _real_part(a.real) // _real_part(b.real)
        return Dual(a.real % b.real, a.dual - b.dual * q, a.tag)

    def __rmod__(self, o):
        a, b = self._pair(o)
        return b % a

    def __pow__(self, o):
        return _pow(*self._pair(o))

    def __rpow__(self, o):
        a, b = self._pair(o)
        return _pow(b, a)

    def __neg__(self):
        return Dual(-self.real, -self.dual, self.tag)

    def __pos__(self):
        return self

    def __abs__(self):
        r = _real_part(self.real)
        s = (r > 0) - (r < 0)  # |x|'(0) = 0: the minimum-norm subgradient
        return Dual(abs(self.real), s * self.dual, self.tag)

    # -- comparisons look at the real part (branching follows the primal) -----------------
    def __eq__(self, o):
        return self.real == (o.real if isinstance(o, Dual) else o)

    def __ne__(self, o):
        return not self == o

    def __lt__(self, o):
        return self.real < (o.real if isinstance(o, Dual) else o)

    def __le__(self, o):
        return self.real <= (o.real if isinstance(o, Dual) else o)

    def __gt__(self, o):
        return self.real > (o.real if isinstance(o, Dual) else o)

    def __ge__(self, o):
        return self.real >= (o.real if isinstance(o, Dual) else o)

    def __bool__(self):
        return bool(self.real)

    __hash__ = None

    def __float__(self):
        if not _is_zero(self.dual):
            raise TypeError(
                f"float() of {self!r} would drop its dual part (the derivative). Use .real "
                "for the value, and wengert.dual.sin/exp/... (or numpy.sin) instead of "
                "math.sin/exp/..., which convert their argument to float.")
        return float(self.real)

    def __repr__(self):
        tag = f", tag={self.tag}" if self.tag else ""
        return f"Dual({self.real!r} + {self.dual!r}ε{tag})"

    def __format__(self, spec):
        return f"Dual({format(self.real, spec)} + {format(self.dual, spec)}ε)"


def _pow(x: Dual, y: Dual) -> Dual:
    """(a + bε) ** (c + dε) = a^c + (b c a^(c-1) + d log(a) a^c) ε."""
    a, b, c, d = x.real, x.dual, y.real, y.dual
    real = a ** c
    dual = 0.0
    if not _is_zero(b) and not _is_zero(c):
        if not isinstance(a, Dual) and a == 0 and _real_part(c) < 1:
            slope = c * math.inf if _real_part(c) != 0 else 0.0  # e.g. sqrt'(0) = inf
        else:
            slope = c * a ** (c - 1)
        dual = dual + b * slope
    if not _is_zero(d):
        if not isinstance(a, Dual) and a == 0 and _real_part(c) > 0:
            pass  # 0 ** y = 0 for every y > 0: constant in y
        else:
            dual = dual + d * log(a) * real
    return Dual(real, dual, x.tag)


def _elementary(name, f, df):
    """Extend ``f`` to duals: f(a + bε) = f(a) + f'(a)·b·ε (recursively for nested duals).

    ``df(a)`` is written with the functions of this module, so it accepts Duals too."""

    def g(x):
        if isinstance(x, Dual):
            if _is_zero(x.dual):  # a constant: no f'(a) needed (it may be inf at a)
                return Dual(g(x.real), 0.0, x.tag)
            return Dual(g(x.real), df(x.real) * x.dual, x.tag)
        return f(x)

    g.__name__ = g.__qualname__ = name
    g.__doc__ = f"``{name}`` of a number or a Dual (derivative by the chain rule)."
    return g


def _saturating(f, sign=lambda a: 1.0):
    """``f`` with overflow giving ±inf, as in NumPy, instead of Python's OverflowError."""

    def h(a):
        try:
            return f(a)
        except OverflowError:
            return math.copysign(math.inf, sign(a))

    h.__name__ = getattr(f, "__name__", "f")
    return h


def _sigmoid(a):
    if a >= 0:
        return 1 / (1 + math.exp(-a))
    e = math.exp(a)
    return e / (1 + e)


def _softplus(a):
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


sin = _elementary("sin", math.sin, lambda a: cos(a))
cos = _elementary("cos", math.cos, lambda a: -sin(a))
tan = _elementary("tan", math.tan, lambda a: 1 + tan(a) ** 2)
arcsin = _elementary("arcsin", math.asin, lambda a: _recip(sqrt(1 - a * a)))
arccos = _elementary("arccos", math.acos, lambda a: -_recip(sqrt(1 - a * a)))
arctan = _elementary("arctan", math.atan, lambda a: 1 / (1 + a * a))
sinh = _elementary("sinh", _saturating(math.sinh, lambda a: a), lambda a: cosh(a))
cosh = _elementary("cosh", _saturating(math.cosh), lambda a: sinh(a))
tanh = _elementary("tanh", math.tanh, lambda a: 1 - tanh(a) ** 2)
arcsinh = _elementary("arcsinh", math.asinh, lambda a: 1 / sqrt(a * a + 1))
arccosh = _elementary("arccosh", math.acosh, lambda a: _recip(sqrt(a * a - 1)))
arctanh = _elementary("arctanh", math.atanh, lambda a: 1 / (1 - a * a))
exp = _elementary("exp", _saturating(math.exp), lambda a: exp(a))
exp2 = _elementary("exp2", _saturating(lambda a: 2.0 ** a), lambda a: math.log(2.0) * exp2(a))
expm1 = _elementary("expm1", _saturating(math.expm1), lambda a: exp(a))
log = _elementary("log", math.log, lambda a: 1 / a)
log2 = _elementary("log2", math.log2, lambda a: 1 / (a * math.log(2.0)))
log10 = _elementary("log10", math.log10, lambda a: 1 / (a * math.log(10.0)))
log1p = _elementary("log1p", math.log1p, lambda a: 1 / (1 + a))
sqrt = _elementary("sqrt", math.sqrt, lambda a: 0.5 * _recip(sqrt(a)))
cbrt = _elementary("cbrt", lambda a: math.copysign(abs(a) ** (1 / 3), a),
                   lambda a: (1 / 3) * _recip(cbrt(a) ** 2))
erf = _elementary("erf", math.erf, lambda a: (2 / math.sqrt(math.pi)) * exp(-a * a))
sigmoid = _elementary("sigmoid", _sigmoid, lambda a: sigmoid(a) * (1 - sigmoid(a)))
softplus = _elementary("softplus", _softplus, lambda a: sigmoid(a))
floor = _elementary("floor", lambda a: float(math.floor(a)), lambda a: 0.0)
ceil = _elementary("ceil", lambda a: float(math.ceil(a)), lambda a: 0.0)
sign = _elementary("sign", lambda a: float((a > 0) - (a < 0)), lambda a: 0.0)

# aliases with the math module's names
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh


def square(x):
    return x * x


def absolute(x):
    """|x| with |x|'(0) = 0."""
    return abs(x)


def relu(x):
    """max(x, 0) with relu'(0) = 0."""
    if isinstance(x, Dual):
        return Dual(relu(x.real), (1.0 if _real_part(x.real) > 0 else 0.0) * x.dual, x.tag)
    return x if x > 0 else 0.0 * x


def power(x, y):
    """x ** y for numbers and Duals (either argument)."""
    if isinstance(x, Dual) or isinstance(y, Dual):
        return Dual._lift(x) ** y
    return x ** y


_tags = itertools.count(1)


def derivative(f, x, n=1):
    """The ``n``-th derivative of scalar ``f`` at ``x``, by nesting dual numbers ``n`` deep
    (``f`` must be built from Dual arithmetic and this module's functions).

    Each call perturbs ``x`` with fresh tags, so derivatives nest without perturbation
    confusion: ``derivative(lambda x: x * derivative(lambda y: x + y, 1.0), 1.0) == 1``
    (untagged dual numbers give 2)."""
    if n < 0:
        raise ValueError(f"derivative: n must be >= 0, got {n}")
    tags = []
    seed = x
    for _ in range(n):
        tags.append(next(_tags))
        seed = Dual(seed, 1.0, tags[-1])
    out = f(seed)
    for tag in reversed(tags):
        out = _tangent(out, tag)
    return out


def _tangent(y, tag):
    """The coefficient of the perturbation ``tag`` in ``y``."""
    if not isinstance(y, Dual) or y.tag < tag:
        return 0.0  # does not depend on it
    if y.tag == tag:
        return y.dual
    return Dual(_tangent(y.real, tag), _tangent(y.dual, tag), y.tag)


FUNCTIONS = ("sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
             "arcsinh", "arccosh", "arctanh", "exp", "exp2", "expm1", "log", "log2", "log10",
             "log1p", "sqrt", "cbrt", "square", "floor", "ceil", "sign")

# NumPy calls ``x.sin()`` etc. when a ufunc meets an object (numpy.sin(Dual(...)))
def _method(fn):
    def method(self):
        return fn(self)

    method.__name__ = fn.__name__
    return method


for _name in FUNCTIONS:
    setattr(Dual, _name, _method(globals()[_name]))
del _name
