"""NumPy's predicates and type queries on wengert values: ``isclose``/``allclose``,
``array_equal``/``array_equiv``, ``iscomplex``/``isreal``, ``iscomplexobj``/``isrealobj``,
``isscalar``, ``isneginf``/``isposinf``, and ``real_if_close``.

None of these has a derivative: the elementwise ones are non-differentiable primitives (bool
results, with a vmap rule from their family), the whole-array ones give a Python ``bool`` as
NumPy does (a 0-d bool Tensor where the value is abstract, inside ``jit``).  They let
NumPy code that checks its arguments (``assert np.allclose(x, x2)``,
``if np.iscomplexobj(z):``) run unchanged on traced values.
``real_if_close`` keeps the derivative of whichever value it returns (``real(a)`` or ``a``).
"""
from __future__ import annotations

import numpy as np

from .._core.primitive import bind
from .._core.tensor import Tensor
from .._errors import ConcretizationError
from . import _elementwise as ew
from . import _reduce as rd
from ._complex import imag, real
from ._family import dtype_of, nondiff, shape_of, t

isclose_p = nondiff("isclose", lambda a, b, rtol, atol, equal_nan: np.isclose(
    a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
iscomplex_p = nondiff("iscomplex", np.iscomplex)
isreal_p = nondiff("isreal", np.isreal)
isneginf_p = nondiff("isneginf", np.isneginf)
isposinf_p = nondiff("isposinf", np.isposinf)


def _pybool(x):
    """A 0-d bool result as NumPy returns it (a Python bool), unless it is abstract."""
    try:
        return bool(x)
    except ConcretizationError:
        return x


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bind(isclose_p, t(a), t(b), rtol=float(rtol), atol=float(atol),
                equal_nan=bool(equal_nan))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _pybool(rd.all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def array_equal(a1, a2, equal_nan=False):
    a1, a2 = t(a1), t(a2)
    if tuple(shape_of(a1)) != tuple(shape_of(a2)):
        return False
    eq = ew.equal(a1, a2)
    if equal_nan and np.issubdtype(dtype_of(a1), np.inexact) \
            and np.issubdtype(dtype_of(a2), np.inexact):
        eq = ew.logical_or(eq, ew.logical_and(ew.isnan(a1), ew.isnan(a2)))
    return _pybool(rd.all(eq))


def array_equiv(a1, a2):
    a1, a2 = t(a1), t(a2)
    try:
        np.broadcast_shapes(shape_of(a1), shape_of(a2))
    except ValueError:
        return False
    return _pybool(rd.all(ew.equal(a1, a2)))


def iscomplexobj(x):
    return np.issubdtype(dtype_of(t(x)), np.complexfloating)


def isrealobj(x):
    return not iscomplexobj(x)


def iscomplex(x):
    return bind(iscomplex_p, t(x))


def isreal(x):
    return bind(isreal_p, t(x))


def isneginf(x, out=None):
    return bind(isneginf_p, t(x))


def isposinf(x, out=None):
    return bind(isposinf_p, t(x))


def isscalar(element):
    """NumPy's ``isscalar``: arrays (Tensors too, even 0-d ones) are not scalars."""
    return False if isinstance(element, Tensor) else np.isscalar(element)


def real_if_close(a, tol=100):
    """``real(a)`` if every imaginary part of ``a`` is below ``tol`` machine epsilons (or
    below ``tol`` itself when ``tol < 1``), else ``a`` (NumPy's rule; decided on the value)."""
    a = t(a)
    dt = dtype_of(a)
    if not np.issubdtype(dt, np.complexfloating):
        return a
    if tol > 1:
        tol = np.finfo(dt).eps * tol
    if _pybool(rd.all(ew.less(ew.absolute(imag(a)), tol))):
        return real(a)
    return a
