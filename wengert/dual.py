"""Dual numbers a + b·ε with ε² = 0: forward-mode AD in its teaching form (chapter §3).

``Dual`` works on Python/NumPy scalars, with Python numbers on either side of every
operator; ``wengert.dual.sin``, ``cos``, ... extend the elementary functions by
f(a + bε) = f(a) + f'(a) b ε.  Duals nest (a dual whose parts are duals gives second
derivatives).  For arrays and every other op, use ``wg.jvp`` or forward_ad.
"""
from __future__ import annotations

import math


class Dual:
    """A dual number ``real + dual·ε``.

    Example::

        >>> x1, x2 = Dual(1.0, 1.0), Dual(2.0, 0.0)
        >>> ((x1 + x2) * sin(x1)).dual   # df/dx1 at (1, 2)
        2.4623...
    """

    __slots__ = ("real", "dual")

    def __init__(self, real, dual=0.0):
        self.real = real
        self.dual = dual

    @staticmethod
    def _lift(x):
        return x if isinstance(x, Dual) else Dual(x, 0.0)

    def __add__(self, o):
        o = Dual._lift(o)
        return Dual(self.real + o.real, self.dual + o.dual)

    __radd__ = __add__

    def __sub__(self, o):
        o = Dual._lift(o)
        return Dual(self.real - o.real, self.dual - o.dual)

    def __rsub__(self, o):
        return Dual._lift(o) - self

    def __mul__(self, o):
        o = Dual._lift(o)
        return Dual(self.real * o.real, self.real * o.dual + self.dual * o.real)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = Dual._lift(o)
        return Dual(self.real / o.real,
                    (self.dual * o.real - self.real * o.dual) / (o.real * o.real))

    def __rtruediv__(self, o):
        return Dual._lift(o) / self

    def __pow__(self, o):
        if isinstance(o, Dual):
            return exp(o * log(self))
        # d(a^n) = n a^(n-1) da; exact at a = 0 for integer n >= 1
        d = 0.0 if o == 0 else o * self.real ** (o - 1)
        return Dual(self.real ** o, d * self.dual)

    def __rpow__(self, o):
        return exp(self * math.log(o))

    def __neg__(self):
        return Dual(-self.real, -self.dual)

    def __pos__(self):
        return self

    def __abs__(self):
        s = (self.real > 0) - (self.real < 0)  # |x|'(0) = 0
        return Dual(abs(self.real), s * self.dual)

    def __eq__(self, o):
        return self.real == (o.real if isinstance(o, Dual) else o)

    def __lt__(self, o):
        return self.real < (o.real if isinstance(o, Dual) else o)

    def __le__(self, o):
        return self.real <= (o.real if isinstance(o, Dual) else o)

    def __gt__(self, o):
        return self.real > (o.real if isinstance(o, Dual) else o)

    def __ge__(self, o):
        return self.real >= (o.real if isinstance(o, Dual) else o)

    __hash__ = None

    def __float__(self):
        return float(self.real)

    def __repr__(self):
        return f"Dual({self.real!r} + {self.dual!r}ε)"

    def __format__(self, spec):
        return f"Dual({format(self.real, spec)} + {format(self.dual, spec)}ε)"


def _elementary(f, df):
    """Extend ``f`` to duals: f(a + bε) = f(a) + f'(a)·b·ε (recursively for nested duals)."""

    def g(x):
        if isinstance(x, Dual):
            return Dual(g(x.real), df(x.real) * x.dual)
        return f(x)

    g.__name__ = f.__name__
    return g


def _fn(name):
    # scalar functions that also accept Duals (so derivatives can nest)
    return globals()[name]


sin = _elementary(math.sin, lambda a: cos(a))
cos = _elementary(math.cos, lambda a: -sin(a))
tan = _elementary(math.tan, lambda a: 1 + tan(a) ** 2)
exp = _elementary(math.exp, lambda a: exp(a))
log = _elementary(math.log, lambda a: 1 / a)
sqrt = _elementary(math.sqrt, lambda a: 0.5 / sqrt(a))
tanh = _elementary(math.tanh, lambda a: 1 - tanh(a) ** 2)
sinh = _elementary(math.sinh, lambda a: cosh(a))
cosh = _elementary(math.cosh, lambda a: sinh(a))
arctan = _elementary(math.atan, lambda a: 1 / (1 + a * a))
log1p = _elementary(math.log1p, lambda a: 1 / (1 + a))
expm1 = _elementary(math.expm1, lambda a: exp(a))
sigmoid = _elementary(lambda a: 1 / (1 + math.exp(-a)) if a >= 0 else math.exp(a) / (1 + math.exp(a)),
                      lambda a: sigmoid(a) * (1 - sigmoid(a)))


def relu(x):
    """max(x, 0) with relu'(0) = 0."""
    if isinstance(x, Dual):
        return Dual(relu(x.real), (1.0 if x.real > 0 else 0.0) * x.dual)
    return x if x > 0 else 0.0 * x


def derivative(f, x):
    """f'(x) by one evaluation at the dual number x + ε."""
    return f(Dual(x, 1.0)).dual
