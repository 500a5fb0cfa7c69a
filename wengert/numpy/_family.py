"""The three ways a primitive is declared (elementwise, linear, non-differentiable) and the
input/output conventions shared by every op file.

* ``elementwise(name, impl, d0, d1, ...)``: one local-derivative formula per input,
  ``d_i(out, *args)``, gives both the VJP (``g * d_i``) and the JVP (``sum t_i * d_i``).
  The constants ``1`` and ``-1`` are allowed and cost nothing; ``None`` declares an input
  with identically zero derivative (an integer exponent, a step function's argument).  Broadcasting and dtype
  promotion are undone by the engine (``fit_cotangent``), not here.
* ``nondiff(name, impl)``: outputs carry no derivative (comparisons, argmax, isnan).
* ``zero_deriv(name, impl)``: differentiable with derivative identically zero
  (floor, round, sign), as JAX and PyTorch do.
"""
from __future__ import annotations

import cmath
import sys

import numpy as np

from .._core import graph as _graph
from .._core import primitive as _prim
from .._core.primitive import _NO_PARAMS, Primitive, bind, call1, call2
from .._core.state import state as _state
from .._core.tensor import Tensor


def t(x):
    """Convert a user argument: Tensors pass, ndarrays/lists become Tensors (a list holding
    Tensors is stacked differentiably), Python scalars stay Python scalars (so NumPy's weak
    scalar promotion applies)."""
    if isinstance(x, Tensor):
        return x
    if type(x) is np.ndarray:
        # inside a VJP rule on the bare-ndarray fast path values stay bare
        return x if _state.raw else Tensor._wrap(x)
    if isinstance(x, (int, float, complex, bool)) and not isinstance(x, np.generic):
        return x
    if isinstance(x, (list, tuple)):
        # a (nested) sequence holding wengert values, e.g. norm([x, x + 2]): stack it
        # differentiably instead of letting np.asarray drop it from the graph
        from ._creation import _contains_tensor, asarray
        if _contains_tensor(x):
            return asarray(x)
    return Tensor._wrap(np.asarray(x))


def shape_of(x):
    return x.shape if hasattr(x, "shape") else np.shape(x)


def ndim_of(x):
    return len(shape_of(x))


def dtype_of(x):
    return x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype


def _scale(g, d):
    """g * d for a cotangent/tangent g and a local derivative d, with a *strong zero*:
    where g == 0 the result is 0 even if d is inf or NaN (see strong_mul_p)."""
    if d is None:
        return None
    if type(d) is int or type(d) is float:  # Python numbers (NumPy scalars may be inf)
        if d == 1:
            return g
        if d == -1:
            return bind(_neg_p(), g)
        return bind(_mul_p(), g, d)
    return bind(strong_mul_p if STRONG_ZEROS else _mul_p(), g, d)


STRONG_ZEROS = True  # measured on the MLP benchmark: see docs/conventions.md


def _finite(d):
    """Whether every element of ``d`` is finite (bool/int arrays and Python numbers are).
    Exact and quiet, unlike a sum (which can overflow, or meet inf - inf, and warn)."""
    kind = getattr(getattr(d, "dtype", None), "kind", None)
    if kind == "f" or kind == "c":
        n = d.size
        if n == 1:  # scalar code: no reduction call
            return cmath.isfinite(d.item())
        if n >= _BIG and kind == "f" and d.flags.c_contiguous and d.dtype.itemsize >= 4:
            # One BLAS pass: the sum of squares is finite iff every element is, unless it
            # overflows (|d| > 1e154 in float64), which the exact test below then settles.
            flat = d.reshape(-1)
            with np.errstate(over="ignore", invalid="ignore"):
                ss = np.dot(flat, flat)
            if cmath.isfinite(float(ss)):
                return True
        return np.count_nonzero(np.isfinite(d)) == n  # cheaper than .all() when small
    if isinstance(d, (float, complex)):
        return cmath.isfinite(d)
    return True


def _masked_product(a, b, keep, out):
    """a * b where ``keep``, exactly 0 elsewhere; the skipped products are never evaluated,
    so NumPy does not warn "invalid value encountered in multiply" about a 0 * inf that is
    discarded anyway."""
    if out is None:
        out = np.zeros(np.broadcast_shapes(np.shape(a), np.shape(b)), np.result_type(a, b))
        return np.multiply(a, b, out=out, where=keep)
    np.multiply(a, b, out=out, where=keep)
    np.copyto(out, 0, where=np.logical_not(keep))
    return out


# From this many elements on, a finiteness test by one BLAS dot product (a fast pass) beats
# counting zeros (a slower one, but with less call overhead on small arrays).
_BIG = 4096


def _plain_product_ok(g, d):
    """Whether ``g * d`` needs no strong zero: ``g`` has no zero or ``d`` is finite (the usual
    case), decided by one quiet pass over whichever is cheaper to test first."""
    if type(g) is _ndarray:
        if g.size < _BIG:
            return _count_nonzero(g) == g.size or _finite(d)
        if not any(g.strides):  # one value broadcast (sum's cotangent): look at it alone
            return g.item(0) != 0 or _finite(d)
    return _finite(d) or _nonzero(g)


def _strong_mul_impl(g, d, out=None):
    # Only a zero g meeting a non-finite derivative (0 * inf, 0 * nan) needs care; the
    # product is a plain NumPy one otherwise.
    if _plain_product_ok(g, d):
        return np.multiply(g, d, out=out)
    return _masked_product(g, d, np.not_equal(g, 0), out)  # mask first: out may alias g


def _nonzero(g):
    """Whether ``g`` (an array or a number) has no zero element."""
    if type(g) is np.ndarray:
        return _count_nonzero(g) == g.size
    return np.count_nonzero(g) == np.size(g)


try:  # the C function behind np.count_nonzero(a) (whose Python wrapper costs as much again)
    from numpy._core.multiarray import count_nonzero as _count_nonzero
except ImportError:  # pragma: no cover - NumPy < 2
    _count_nonzero = np.count_nonzero


def _strong_mul2_impl(a, b, out=None):
    fa, fb = _finite(a), _finite(b)
    if fa and fb:
        return np.multiply(a, b, out=out)
    keep = True
    if not fb:
        keep = np.not_equal(a, 0)
    if not fa:
        keep = np.logical_and(keep, np.not_equal(b, 0))
    return _masked_product(a, b, keep, out)


def _add(x, y):
    if x is None:
        return y
    return x if y is None else bind(_cache["add"], x, y)


# strong_mul(g, d) is 0 wherever g == 0, for every d, so its derivative in d is 0 there: the
# transposed and tangent products with g's own factor are zero where *either* factor is 0
# (strong_mul2).  Without that a NaN cotangent of the untaken branch's d (from the second
# backward pass) would meet g == 0 and leak NaN into second derivatives.
def _strong_mul_vjp(needs, g, out, a, d):
    return (bind(strong_mul_p, g, d) if needs[0] else None,
            bind(strong_mul2_p, g, a) if needs[1] else None)


def _strong_mul_jvp(tangents, out, a, d):
    ta, td = tangents
    return _add(None if ta is None else bind(strong_mul_p, ta, d),
                None if td is None else bind(strong_mul2_p, a, td))


def _strong_mul2_vjp(needs, g, out, a, b):
    return (bind(strong_mul2_p, g, b) if needs[0] else None,
            bind(strong_mul2_p, g, a) if needs[1] else None)


def _strong_mul2_jvp(tangents, out, a, b):
    ta, tb = tangents
    return _add(None if ta is None else bind(strong_mul2_p, ta, b),
                None if tb is None else bind(strong_mul2_p, a, tb))


# The product inside every elementwise rule.  A cotangent that is exactly zero (an untaken
# branch of ``where``, a masked element) stays zero however large or undefined the local
# derivative is there: grad of where(x > 0, sqrt(x), 0) at x = -1 is 0, not NaN.
strong_mul_p = Primitive("strong_mul", _strong_mul_impl, vjp=_strong_mul_vjp,
                         jvp=_strong_mul_jvp)
strong_mul_p.batch = "elementwise"
strong_mul_p.accepts_out = True  # jit may let it overwrite a dead input buffer
strong_mul_p.raw_vjp = True
# a * b, 0 where a == 0 or b == 0 (the derivatives of strong_mul, at second order and beyond)
strong_mul2_p = Primitive("strong_mul2", _strong_mul2_impl, vjp=_strong_mul2_vjp,
                          jvp=_strong_mul2_jvp)
strong_mul2_p.batch = "elementwise"
strong_mul2_p.accepts_out = True


_cache = {}
_ndarray = np.ndarray
_new = object.__new__


def _mul_p():
    return _cache["multiply"]


def _neg_p():
    return _cache["negative"]


def elementwise(name, impl, *derivs, save_args=True, save_out=False, taylor=None):
    """Declare an elementwise primitive from its local derivatives (see module docstring)."""

    calls = tuple(callable(d) for d in derivs)

    def vjp(needs, g, out, *args):
        res = []
        for need, d, c in zip(needs, derivs, calls):
            res.append(_scale(g, d(out, *args) if c else d) if need else None)
        return res

    def jvp(tangents, out, *args):
        acc = None
        for tan, d in zip(tangents, derivs):
            if tan is None or d is None:  # d None: the derivative is identically zero
                continue
            term = _scale(tan, d(out, *args) if callable(d) else d)
            acc = term if acc is None else bind(_cache["add"], acc, term)
        return acc

    p = Primitive(name, impl, vjp=vjp, jvp=jvp, save_args=save_args, save_out=save_out,
                  taylor=taylor)
    p.raw_vjp = _raw_vjp(p, derivs, calls)
    # a formula of an op that saves no inputs reads only `out` (it gets None for them)
    p.vjp_reads_inputs = any(calls) and save_args
    p.batch = "elementwise"
    _cache[name] = p
    return p


def _raw_vjp(p, derivs, calls):
    """The elementwise VJP for the engine's raw backward loop (bare ndarrays, nothing
    recorded; see graph.Node._apply_raw).  The same local-derivative formulas run with
    NumPy's functions in place of the ``wengert.numpy`` wrappers they name (see
    ``_numpy_formula``), and the products with ``g`` are plain NumPy calls (strong zeros
    kept).  Built on first use, when every module the formulas read is complete."""

    def first_call(needs, g, out, *args):
        fs = tuple(_numpy_formula(d) if c else d for d, c in zip(derivs, calls))
        if len(fs) == 1 and calls[0]:  # unary with a formula: the node exists, so needs[0]
            d0 = fs[0]

            def vjp(needs, g, out, x):
                d = d0(out, x)
                # _times inlined for the commonest case: a small array with no zero
                if (type(d) is _ndarray and type(g) is _ndarray and g.size < _BIG
                        and _count_nonzero(g) == g.size):
                    return [_multiply(g, d)]
                return [_times(g, d, _FRESH_LOCAL)]  # d is held here, by one local
        elif len(fs) == 2:
            d0, d1 = fs
            c0, c1 = calls

            def vjp(needs, g, out, x, y):
                r0 = r1 = dx = None
                if needs[0] and d0 is not None:
                    d = dx = d0(out, x, y) if c0 else d0
                    if type(d) is float or type(d) is int:  # _times inlined: a constant
                        r0 = g if d == 1 else _multiply(g, d)
                    else:
                        r0 = _times(g, d, _FRESH_LOCAL)
                if needs[1] and d1 is not None:
                    d = d1(out, x, y) if c1 else d1
                    if type(d) is float or type(d) is int:
                        r1 = g if d == 1 else _multiply(g, d)
                    elif d is dx and type(d) is _ndarray:
                        r1 = r0  # x * x: both derivatives are x, one product serves both
                    else:
                        r1 = _times(g, d, _FRESH_LOCAL)
                return [r0, r1]
        else:
            def vjp(needs, g, out, *args):
                return [None if not need or d is None else _times(g, d(out, *args) if c else d)
                        for need, d, c in zip(needs, fs, calls)]
        p.raw_vjp = vjp
        return vjp(needs, g, out, *args)
    return first_call


_multiply = np.multiply


def _times(g, d, fresh=None):
    """g * d on bare values, with a strong zero (see strong_mul_p).  ``fresh``: the reference
    count ``d`` has when no one but the caller's single local holds it (default: ``d`` is a
    temporary passed straight in); such a large ``d`` takes the product in place."""
    if type(d) is float or type(d) is int:  # a constant derivative (finite)
        return g if d == 1 else np.negative(g) if d == -1 else np.multiply(g, d)
    if (type(g) is _ndarray and type(d) is _ndarray and g.size >= _BIG and not any(g.strides)
            and d.shape == g.shape and d.dtype == g.dtype and g.item(0) == 1):
        # a cotangent of ones broadcast from one value (the gradient of a sum): the product
        # is d itself, handed on as a read-only view.  d may be an array the caller holds
        # (y in the gradient of sum(x * y)), so nothing may write into it: the in-place
        # paths of the backward pass skip read-only arrays, and the gradients handed to the
        # caller (grad/vjp results, .grad) are copied when read-only.
        v = d.view()
        v.flags.writeable = False
        return v
    if STRONG_ZEROS:
        if type(g) is _ndarray and g.size < _BIG:  # _plain_product_ok, inlined
            if _count_nonzero(g) != g.size and not _finite(d):
                return _masked_product(g, d, np.not_equal(g, 0), None)
            return np.multiply(g, d)
        if not _plain_product_ok(g, d):
            return _masked_product(g, d, np.not_equal(g, 0), None)
    if (type(d) is _ndarray and _getrefcount(d) == (fresh or _FRESH) and d.base is None
            and type(g) is _ndarray and d.shape == g.shape and d.dtype == g.dtype
            and d.flags.writeable):
        # a large derivative the formula just computed (cos(x), 1 - y*y) and no one else
        # holds: the product overwrites it instead of taking fresh pages
        return np.multiply(g, d, out=d)
    return np.multiply(g, d)


def _fresh_refcount(d):
    return _getrefcount(d)


# (an interpreter without sys.getrefcount never reports the count tested for)
_getrefcount = getattr(sys, "getrefcount", lambda obj: 0)
# sys.getrefcount of a temporary passed straight to a function, on this interpreter (CPython
# 3.14 borrows some references, so the number is not fixed); _times sees a derivative no one
# else holds with exactly this count
_FRESH = _fresh_refcount(np.empty(1)) if hasattr(sys, "getrefcount") else -1


def _fresh_local_refcount():
    d = np.empty(1)
    return _fresh_refcount(d)


# ... and of an array the caller also holds in one local variable
_FRESH_LOCAL = _fresh_local_refcount() if hasattr(sys, "getrefcount") else -1


_numpy_globals = {}  # id(module namespace) -> a copy naming NumPy functions for wrappers


def _numpy_formula(d):
    """``d`` (a derivative formula written with ``wengert.numpy`` functions) with every
    wrapper it names globally replaced by the NumPy function the wrapper applies.  On bare
    ndarrays in an unrecorded backward pass both compute the same thing; the NumPy one skips
    the wrapper's dispatch.  Formulas that are not plain module-level functions are kept."""
    import types
    if not isinstance(d, types.FunctionType):
        return d
    ns = d.__globals__
    raw = _numpy_globals.get(id(ns))
    if raw is None:
        raw = {k: getattr(v, "_numpy_impl", v) if isinstance(v, types.FunctionType) else v
               for k, v in ns.items()}
        _numpy_globals[id(ns)] = raw
    return types.FunctionType(d.__code__, raw, d.__name__, d.__defaults__, d.__closure__)


def nondiff(name, impl):
    p = Primitive(name, impl, nondiff=True)
    p.batch = "elementwise"
    return p


def zero_deriv(name, impl):
    p = Primitive(name, impl, zero_deriv=True, save_args=False)
    p.batch = "elementwise"
    return p


def unary(p):
    """The public NumPy-style wrapper of a unary primitive."""

    if p.multiple_results:
        def f(x, /):
            return bind(p, t(x))
    else:
        def f(x, /):
            # primitive.call1's first case, inlined (one Python call less per operation)
            st = _state
            if type(x) is Tensor and not st.traces and not st.raw:
                raw = p.impl(x._value)
                out = _new(Tensor)
                out._value = raw if type(raw) is _ndarray else np.asarray(raw)
                if x._rg and st.grad_enabled and not p.nondiff:
                    out = _graph.record1(p, x, (x,), _NO_PARAMS, out)
                if _prim._observers:
                    for fn in _prim._observers:
                        fn(p, (x,), {}, out)
                return out
            if type(x) is _ndarray and not st.traces and not st.raw and not _prim._observers:
                # a plain array outside every transform: nothing to record
                raw = p.impl(x)
                out = _new(Tensor)
                out._value = raw if type(raw) is _ndarray else np.asarray(raw)
                return out
            return call1(p, x, t)
        f._numpy_impl = p.impl  # see _numpy_formula

    f.__name__ = p.name
    f.__qualname__ = p.name
    f.__doc__ = f"Elementwise ``{p.name}``, differentiable (NumPy semantics)."
    return f


def binary(p):
    if p.multiple_results:
        def f(x1, x2, /):
            return bind(p, t(x1), t(x2))
    else:
        def f(x1, x2, /):
            # primitive.call2's first case, inlined (one Python call less per operation)
            st = _state
            ta = type(x1)
            tb = type(x2)
            if ((ta is Tensor or ta is float or ta is int)
                    and (tb is Tensor or tb is float or tb is int)
                    and not st.traces and not st.raw):
                raw = p.impl(x1._value if ta is Tensor else x1, x2._value if tb is Tensor else x2)
                out = _new(Tensor)
                out._value = raw if type(raw) is _ndarray else np.asarray(raw)
                if (((ta is Tensor and x1._rg) or (tb is Tensor and x2._rg)) and st.grad_enabled
                        and not p.nondiff):
                    out = _graph.record2(p, x1, x2, ta, tb, (x1, x2), _NO_PARAMS, out)
                if _prim._observers:
                    for fn in _prim._observers:
                        fn(p, (x1, x2), {}, out)
                return out
            return call2(p, x1, x2, t)
        f._numpy_impl = p.impl

    f.__name__ = p.name
    f.__qualname__ = p.name
    f.__doc__ = f"Elementwise ``{p.name}`` with NumPy broadcasting and type promotion."
    return f
