"""``wg.tensor`` and friends: building Tensors from data."""
from __future__ import annotations

import numpy as np

from ._core.tensor import Tensor


def tensor(data, requires_grad=False, dtype=None):
    """A new leaf Tensor holding a copy of ``data`` (float64 for Python floats, as NumPy).

    Example::

        >>> x = wg.tensor([1.0, 2.0], requires_grad=True)
    """
    if isinstance(data, Tensor):
        data = data.detach()._value
    elif isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
        data = [d.detach()._value if isinstance(d, Tensor) else d for d in data]
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def as_tensor(data, dtype=None):
    """Like ``tensor`` but returns Tensors unchanged (converted, differentiably, when
    ``dtype`` differs) and shares NumPy buffers when possible."""
    if isinstance(data, Tensor):
        if dtype is not None and np.dtype(dtype) != data.dtype:
            from .numpy import astype
            return astype(data, dtype)
        return data
    arr = np.asarray(data, dtype=dtype)
    return Tensor._wrap(arr)


def from_numpy(arr):
    return Tensor._wrap(np.asarray(arr))
