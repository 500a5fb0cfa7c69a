"""``wnp.fft``: NumPy's discrete Fourier transforms, differentiable in every mode.

Every transform is linear, so its JVP is the transform of the tangent and its VJP is the
transpose.  Cotangents follow JAX's convention (no conjugation; the pairing of a cotangent
``u`` with a tangent ``v`` is ``Re sum(u * v)``), under which:

* ``fftn`` and ``ifftn`` are their own transposes: the DFT matrix is symmetric, and each
  ``norm`` scales it by the same constant on both sides;
* the transpose of ``rfftn`` (real input, the first ``n//2 + 1`` frequencies kept) is
  ``real(fftn(zero-pad(g)))``: the dropped frequencies have zero cotangent;
* the transpose of ``irfftn`` is ``c * ifftn(g)[..., :n//2 + 1]`` with ``c = 1`` at
  frequency 0 (and at ``n/2`` for even ``n``) and ``c = 2`` elsewhere: every other stored
  frequency stands for itself and its Hermitian mirror.

Padding and truncation (``n=``/``s=``) are a separate linear primitive, ``fft_resize``,
whose transpose resizes back, so the transforms above only ever see their natural sizes.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._core.primitive import Primitive, bind
from .._errors import UnsupportedError
from . import _elementwise as ew
from . import _shape as sh
from ._complex import conj, real
from ._family import dtype_of, ndim_of, shape_of, t

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2",
           "irfft2", "fftn", "ifftn", "rfftn", "irfftn", "fftshift", "ifftshift", "fftfreq",
           "rfftfreq"]

_NORMS = {None: "backward", "backward": "backward", "ortho": "ortho", "forward": "forward"}
_SWAP = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def _check_norm(norm):
    try:
        return _NORMS[norm]
    except (KeyError, TypeError):
        raise ValueError(f'Invalid norm value {norm!r}; should be "backward", "ortho" or '
                         f'"forward" (None means "backward").') from None


def _check_out(out, name):
    if out is not None:
        raise UnsupportedError(f"numpy.fft.{name}(..., out=...) writes in place, which wengert "
                               f"cannot differentiate; use the returned value instead.")


# --- primitives --------------------------------------------------------------------------------
def _resize_impl(x, shape):
    if x.shape == shape:
        return x
    out = np.zeros(shape, dtype=x.dtype)
    idx = tuple(slice(0, min(a, b)) for a, b in zip(x.shape, shape))
    out[idx] = x[idx]
    return out


def _resize(x, shape):
    """Crop or zero-pad ``x`` (at the end of each axis) to ``shape``."""
    shape = tuple(int(s) for s in shape)
    if shape_of(x) == shape:
        return x
    return bind(fft_resize_p, x, shape=shape)


fft_resize_p = Primitive(
    "fft_resize", _resize_impl,
    vjp=lambda needs, g, out, x, shape: (_resize(g, x.shape),),
    jvp=lambda tangents, out, x, shape: _resize(tangents[0], shape),
    save_args=False, linear=True)


def _c2c_impl(x, axes, norm, inverse):
    fn = np.fft.ifftn if inverse else np.fft.fftn
    return fn(x, axes=axes, norm=norm)


def _c2c(x, axes, norm, inverse):
    return bind(fft_c2c_p, x, axes=axes, norm=norm, inverse=inverse)


fft_c2c_p = Primitive(
    "fft_c2c", _c2c_impl,
    vjp=lambda needs, g, out, x, axes, norm, inverse: (_c2c(g, axes, norm, inverse),),
    jvp=lambda tangents, out, x, axes, norm, inverse: _c2c(tangents[0], axes, norm, inverse),
    save_args=False, linear=True)


def _r2c_impl(x, axes, norm):
    return np.fft.rfftn(x, axes=axes, norm=norm)


def _r2c_vjp(needs, g, out, x, axes, norm):
    return (real(_c2c(_resize(g, x.shape), axes, norm, False)),)


fft_r2c_p = Primitive(
    "fft_r2c", _r2c_impl, vjp=_r2c_vjp,
    jvp=lambda tangents, out, x, axes, norm: bind(fft_r2c_p, tangents[0], axes=axes,
                                                  norm=norm),
    save_args=False, linear=True)


def _c2r_impl(x, axes, norm, s):
    return np.fft.irfftn(x, s=s, axes=axes, norm=norm)


def _hermitian_weights(n, axis, ndim, dtype):
    """1 for frequency 0 (and n/2 when n is even), 2 for the others; shaped to broadcast
    along ``axis``."""
    m = n // 2 + 1
    c = np.full(m, 2.0, dtype=dtype)
    c[0] = 1.0
    if n % 2 == 0:
        c[-1] = 1.0
    shape = [1] * ndim
    shape[axis] = m
    return c.reshape(shape)


def _c2r_vjp(needs, g, out, x, axes, norm, s):
    n = s[-1]
    full = _c2c(g, axes, norm, True)
    nd = ndim_of(g)
    idx = tuple(slice(0, n // 2 + 1) if ax == axes[-1] else slice(None) for ax in range(nd))
    kept = sh.getitem(full, idx)
    w = _hermitian_weights(n, axes[-1], nd, np.finfo(dtype_of(g)).dtype)
    return (ew.multiply(kept, w),)


fft_c2r_p = Primitive(
    "fft_c2r", _c2r_impl, vjp=_c2r_vjp,
    jvp=lambda tangents, out, x, axes, norm, s: bind(fft_c2r_p, tangents[0], axes=axes,
                                                     norm=norm, s=s),
    save_args=False, linear=True)


# --- batching (vmap): the batch axis goes in front and every axis parameter moves by one -------
def _front(x, d):
    return x if d == 0 else sh.moveaxis(x, d, 0)


def _resize_batch(args, dims, shape):
    x = _front(args[0], dims[0])
    return bind(fft_resize_p, x, shape=(shape_of(x)[0],) + tuple(shape)), 0


def _axes_batch(p):
    def rule(args, dims, axes, **params):
        x = _front(args[0], dims[0])
        return bind(p, x, axes=tuple(a + 1 for a in axes), **params), 0
    return rule


fft_resize_p.batch = _resize_batch
for _p in (fft_c2c_p, fft_r2c_p, fft_c2r_p):
    _p.batch = _axes_batch(_p)


# --- argument handling (NumPy's rules) ----------------------------------------------------------------
def _as_input(a):
    a = t(a)
    if not hasattr(a, "shape"):
        a = t(np.asarray(a))
    return a


def _cook_nd(a, s, axes, invreal=False):
    """NumPy's ``_cook_nd_args``: the transform lengths and (normalised) axes."""
    shape = shape_of(a)
    nd = len(shape)
    shapeless = s is None
    if axes is not None:
        axes = [_axis(int(ax), nd) for ax in (axes if np.iterable(axes) else (axes,))]
    if shapeless:
        s = list(shape) if axes is None else [shape[ax] for ax in axes]
    else:
        s = [int(v) for v in (s if np.iterable(s) else (s,))]
    if axes is None:
        if not shapeless:
            warnings.warn("`axes` should not be `None` if `s` is not `None` (Deprecated in "
                          "NumPy 2.0). In a future version of NumPy, this will raise an error "
                          "and `s[i]` will correspond to the size along the transformed axis "
                          "specified by `axes[i]`. To retain current behaviour, pass a "
                          "sequence [0, ..., k-1] to `axes` for an array of dimension k.",
                          DeprecationWarning, stacklevel=4)
        axes = list(range(-len(s), 0))
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    axes = [_axis(ax, nd) for ax in axes]
    if invreal and shapeless:
        s[-1] = (shape[axes[-1]] - 1) * 2
    s = [shape[ax] if v == -1 else v for v, ax in zip(s, axes)]
    for v in s:
        if v < 1:
            raise ValueError(f"Invalid number of FFT data points ({v}) specified.")
    return s, axes


def _axis(ax, nd):
    if not -nd <= ax < nd:
        raise np.exceptions.AxisError(ax, nd)
    return ax % nd


def _resized(a, s, axes, last=None):
    """``a`` cropped/zero-padded to length ``s[i]`` along ``axes[i]`` (``last`` overrides
    the length along the final axis)."""
    shape = list(shape_of(a))
    for v, ax in zip(s, axes):
        shape[ax] = v
    if last is not None:
        shape[axes[-1]] = last
    return _resize(a, shape)


def _c2c_nd(a, s, axes, norm, inverse):
    norm = _check_norm(norm)
    a = _as_input(a)
    s, axes = _cook_nd(a, s, axes)
    if not axes:
        return a
    if len(set(axes)) != len(axes):
        # a repeated axis is transformed once per mention, one axis at a time (as NumPy does)
        for v, ax in reversed(list(zip(s, axes))):
            a = _c2c_nd(a, [v], [ax], norm, inverse)
        return a
    return _c2c(_resized(a, s, axes), tuple(axes), norm, inverse)


def _r2c_nd(a, s, axes, norm):
    norm = _check_norm(norm)
    a = _as_input(a)
    if np.issubdtype(dtype_of(a), np.complexfloating):
        raise TypeError("rfft/rfftn take real input (the transform of a real signal); got a "
                        f"{dtype_of(a)} array. Use fft/fftn for complex input, or pass "
                        "wnp.real(a) if the imaginary part is to be dropped.")
    s, axes = _cook_nd(a, s, axes)
    if len(set(axes)) != len(axes):
        out = _r2c_nd(a, s[-1:], axes[-1:], norm)
        return _c2c_nd(out, s[:-1], axes[:-1], norm, False) if len(axes) > 1 else out
    return bind(fft_r2c_p, _resized(a, s, axes), axes=tuple(axes), norm=norm)


def _c2r_nd(a, s, axes, norm):
    norm = _check_norm(norm)
    a = _as_input(a)
    s, axes = _cook_nd(a, s, axes, invreal=True)
    if len(set(axes)) != len(axes):
        a = _c2c_nd(a, s[:-1], axes[:-1], norm, True) if len(axes) > 1 else a
        return _c2r_nd(a, s[-1:], axes[-1:], norm)
    a = _resized(a, s, axes, last=s[-1] // 2 + 1)
    return bind(fft_c2r_p, a, axes=tuple(axes), norm=norm, s=tuple(s))


# --- public functions ------------------------------------------------------------------------------------
def fft(a, n=None, axis=-1, norm=None, out=None):
    """One-dimensional discrete Fourier transform (``numpy.fft.fft``); its own transpose."""
    _check_out(out, "fft")
    return _c2c_nd(a, None if n is None else [n], [axis], norm, False)


def ifft(a, n=None, axis=-1, norm=None, out=None):
    """One-dimensional inverse DFT (``numpy.fft.ifft``); its own transpose."""
    _check_out(out, "ifft")
    return _c2c_nd(a, None if n is None else [n], [axis], norm, True)


def rfft(a, n=None, axis=-1, norm=None, out=None):
    """DFT of a real signal, the ``n//2 + 1`` non-negative frequencies (``numpy.fft.rfft``)."""
    _check_out(out, "rfft")
    return _r2c_nd(a, None if n is None else [n], [axis], norm)


def irfft(a, n=None, axis=-1, norm=None, out=None):
    """Inverse of ``rfft``: a real signal of length ``n`` (default ``2 * (m - 1)``).  As in
    NumPy the imaginary parts of frequency 0 (and ``n/2`` for even ``n``) are ignored, so
    their derivative is zero."""
    _check_out(out, "irfft")
    return _c2r_nd(a, None if n is None else [n], [axis], norm)


def hfft(a, n=None, axis=-1, norm=None, out=None):
    """DFT of a Hermitian-symmetric signal given by its first half (``numpy.fft.hfft``)."""
    _check_out(out, "hfft")
    a = _as_input(a)
    if n is None:
        n = (shape_of(a)[axis] - 1) * 2
    return irfft(conj(a), n, axis, norm=_SWAP[_check_norm(norm)])


def ihfft(a, n=None, axis=-1, norm=None, out=None):
    """Inverse of ``hfft`` (``numpy.fft.ihfft``)."""
    _check_out(out, "ihfft")
    return conj(rfft(a, n, axis, norm=_SWAP[_check_norm(norm)]))


def fftn(a, s=None, axes=None, norm=None, out=None):
    """N-dimensional DFT over ``axes`` (default all), lengths ``s`` (``numpy.fft.fftn``)."""
    _check_out(out, "fftn")
    return _c2c_nd(a, s, axes, norm, False)


def ifftn(a, s=None, axes=None, norm=None, out=None):
    """N-dimensional inverse DFT (``numpy.fft.ifftn``)."""
    _check_out(out, "ifftn")
    return _c2c_nd(a, s, axes, norm, True)


def rfftn(a, s=None, axes=None, norm=None, out=None):
    """N-dimensional DFT of real input; the last axis keeps ``s[-1]//2 + 1`` frequencies."""
    _check_out(out, "rfftn")
    return _r2c_nd(a, s, axes, norm)


def irfftn(a, s=None, axes=None, norm=None, out=None):
    """Inverse of ``rfftn``: real output of shape ``s`` along ``axes``."""
    _check_out(out, "irfftn")
    return _c2r_nd(a, s, axes, norm)


def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Two-dimensional DFT (``fftn`` over the last two axes)."""
    _check_out(out, "fft2")
    return _c2c_nd(a, s, axes, norm, False)


def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    _check_out(out, "ifft2")
    return _c2c_nd(a, s, axes, norm, True)


def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    _check_out(out, "rfft2")
    return _r2c_nd(a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    _check_out(out, "irfft2")
    return _c2r_nd(a, s, axes, norm)


def _roll_axis(x, k, axis):
    n = shape_of(x)[axis]
    k %= n if n else 1
    if k == 0:
        return x
    head = (slice(None),) * axis
    return sh.concatenate([sh.getitem(x, head + (slice(n - k, None),)),
                           sh.getitem(x, head + (slice(0, n - k),))], axis=axis)


def _shift(x, axes, sign):
    x = _as_input(x)
    nd = ndim_of(x)
    if axes is None:
        axes = range(nd)
    elif not np.iterable(axes):
        axes = (axes,)
    for ax in sh._normalize_axes(tuple(axes), nd):
        x = _roll_axis(x, sign * (shape_of(x)[ax] // 2), ax)
    return x


def fftshift(x, axes=None):
    """Move frequency 0 to the centre (``numpy.fft.fftshift``): a permutation."""
    return _shift(x, axes, 1)


def ifftshift(x, axes=None):
    """Inverse of ``fftshift``."""
    return _shift(x, axes, -1)


def fftfreq(n, d=1.0, device=None):
    """Sample frequencies ``k / (n d)``; differentiable in the spacing ``d`` when it is a
    tensor."""
    if not isinstance(d, (int, float)) or isinstance(d, bool):
        return ew.divide(np.fft.fftfreq(n, 1.0), t(d))
    return t(np.fft.fftfreq(n, d))


def rfftfreq(n, d=1.0, device=None):
    """Non-negative sample frequencies of ``rfft`` (``numpy.fft.rfftfreq``)."""
    if not isinstance(d, (int, float)) or isinstance(d, bool):
        return ew.divide(np.fft.rfftfreq(n, 1.0), t(d))
    return t(np.fft.rfftfreq(n, d))
