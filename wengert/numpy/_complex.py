"""real, imag, conj: linear maps over the reals.  Cotangents follow JAX's convention (the
transpose, not the conjugate transpose): for holomorphic f the VJP multiplies by f'(z)."""
from __future__ import annotations

import numpy as np

from .._core.primitive import Primitive, bind
from ._family import dtype_of, t


def _is_complex(x):
    return np.issubdtype(dtype_of(x), np.complexfloating)


def _real_vjp(needs, g, out, x):
    return (g,)  # the engine casts it back to x's (complex) dtype: complex(g, 0)


def _imag_vjp(needs, g, out, x):
    return (bind(multiply_p(), g, -1j),)


def multiply_p():
    from ._elementwise import multiply_p as m
    return m


real_p = Primitive("real", np.real, vjp=_real_vjp,
                   jvp=lambda tangents, out, x: real(tangents[0]), save_args=False, linear=True)
imag_p = Primitive("imag", np.imag, vjp=_imag_vjp,
                   jvp=lambda tangents, out, x: imag(tangents[0]), save_args=False, linear=True)
conj_p = Primitive("conjugate", np.conjugate,
                   vjp=lambda needs, g, out, x: (conj(g),),
                   jvp=lambda tangents, out, x: conj(tangents[0]), save_args=False, linear=True)


def real(val):
    val = t(val)
    if not _is_complex(val):
        return val
    return bind(real_p, val)


def imag(val):
    val = t(val)
    if not _is_complex(val):  # zeros (also where val is inf or nan), derivative zero
        from ._elementwise import where
        return where(True, 0, val)
    return bind(imag_p, val)


def conj(x):
    x = t(x)
    if not _is_complex(x):
        return x
    return bind(conj_p, x)


conjugate = conj
