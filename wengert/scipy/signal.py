"""``wengert.scipy.signal``: differentiable N-d ``convolve``, ``correlate`` and
``fftconvolve`` with SciPy's signatures and modes (``'full'``, ``'same'``, ``'valid'``).

The full linear convolution is computed through ``wnp.fft`` (``rfftn``/``irfftn`` for real
inputs, ``fftn``/``ifftn`` otherwise, zero-padded to the full size) and then cropped as SciPy
crops it, so the derivatives in both inputs, every order and mode, come from the FFT and
slicing rules (the VJP of a convolution is a correlation with the other input).  Values agree
with SciPy's to rounding (FFT rounding, ~1e-15 relative to the largest output, rather than
the direct method's exact sums); integer inputs, which have no derivative, are passed to
SciPy unchanged and keep its integer results.  ``method=`` is accepted for compatibility and
ignored.  SciPy is an optional dependency: without it, importing this module raises
ImportError.
"""
from __future__ import annotations

import numpy as np

try:
    import scipy.signal as _ss
except ImportError as _err:  # the message is the point: SciPy is optional
    raise ImportError(
        "wengert.scipy.signal needs SciPy, which is not installed. Install it with "
        "`pip install scipy` (or `pip install 'wengert[all]'`).") from _err

from .._core.tensor import Tensor
from ..numpy import _shape as sh
from ..numpy import fft as _fft
from ..numpy._complex import conj
from ..numpy._family import dtype_of, shape_of, t

__all__ = ["convolve", "correlate", "fftconvolve"]


def _arg(x):
    x = t(x)
    return x if hasattr(x, "shape") else t(np.asarray(x))


def _is_int(x):
    return not np.issubdtype(dtype_of(x), np.inexact)


def _swap_needed(mode, s1, s2, axes):
    if mode != "valid":
        return False
    ok1 = all(s1[a] >= s2[a] for a in axes)
    ok2 = all(s2[a] >= s1[a] for a in axes)
    if not (ok1 or ok2):
        raise ValueError("For 'valid' mode, one must be at least as large as the other in "
                         "every dimension")
    return not ok1


def _crop(full, starts, sizes, axes):
    idx = [slice(None)] * len(shape_of(full))
    for a, st, n in zip(axes, starts, sizes):
        idx[a] = slice(st, st + n)
    return sh.getitem(full, tuple(idx))


def _fft_full(a, b, axes):
    sa, sb = shape_of(a), shape_of(b)
    size = [sa[i] + sb[i] - 1 for i in axes]
    if np.issubdtype(dtype_of(a), np.complexfloating) or np.issubdtype(dtype_of(b),
                                                                       np.complexfloating):
        fa = _fft.fftn(a, s=size, axes=axes)
        fb = _fft.fftn(b, s=size, axes=axes)
        return _fft.ifftn(fa * fb, s=size, axes=axes)
    fa = _fft.rfftn(a, s=size, axes=axes)
    fb = _fft.rfftn(b, s=size, axes=axes)
    return _fft.irfftn(fa * fb, s=size, axes=axes)


def fftconvolve(in1, in2, mode="full", axes=None):
    """Convolve two N-d arrays through the FFT (SciPy's ``fftconvolve``; ``axes``: the axes
    to convolve over, the others are broadcast elementwise)."""
    a, b = _arg(in1), _arg(in2)
    if len(shape_of(a)) != len(shape_of(b)):
        raise ValueError("in1 and in2 should have the same dimensionality")
    if mode not in ("full", "same", "valid"):
        raise ValueError("acceptable mode flags are 'valid', 'same', or 'full'")
    nd = len(shape_of(a))
    if nd == 0:
        return a * b
    axes = list(range(nd)) if axes is None else sorted(
        int(x) % nd for x in np.atleast_1d(axes))
    s1, s2 = shape_of(a), shape_of(b)
    if any(s1[i] == 0 or s2[i] == 0 for i in range(nd)):
        return t(_ss.fftconvolve(np.zeros(s1), np.zeros(s2), mode=mode, axes=axes))
    if _swap_needed(mode, s1, s2, axes):
        a, b, s1, s2 = b, a, s2, s1
    full = _fft_full(a, b, axes)
    if mode == "full":
        return full
    if mode == "same":
        sizes = [s1[i] for i in axes]
    else:
        sizes = [s1[i] - s2[i] + 1 for i in axes]
    starts = [(shape_of(full)[i] - n) // 2 for i, n in zip(axes, sizes)]
    return _crop(full, starts, sizes, axes)


def convolve(in1, in2, mode="full", method="auto"):
    """N-d convolution with SciPy's modes: ``'full'``, ``'same'`` (the size of ``in1``,
    centred) and ``'valid'`` (no zero padding; either input may be the larger one)."""
    if not isinstance(in1, Tensor) and not isinstance(in2, Tensor) and \
            _is_int(_arg(in1)) and _is_int(_arg(in2)):
        return t(_ss.convolve(np.asarray(in1), np.asarray(in2), mode=mode, method=method))
    return fftconvolve(in1, in2, mode=mode)


def correlate(in1, in2, mode="full", method="auto"):
    """N-d cross-correlation: ``convolve(in1, flip(conj(in2)), mode)``, as SciPy defines it."""
    if not isinstance(in1, Tensor) and not isinstance(in2, Tensor) and \
            _is_int(_arg(in1)) and _is_int(_arg(in2)):
        return t(_ss.correlate(np.asarray(in1), np.asarray(in2), mode=mode, method=method))
    b = _arg(in2)
    nd = len(shape_of(b))
    rev = sh.getitem(b, (slice(None, None, -1),) * nd)
    if np.issubdtype(dtype_of(b), np.complexfloating):
        rev = conj(rev)
    return convolve(in1, rev, mode=mode, method=method)
