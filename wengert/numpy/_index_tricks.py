"""``wnp.r_`` and ``wnp.c_``: NumPy's concatenation shorthands, differentiable.

``r_[a, b, 1:4, 0.5]`` concatenates along the first axis (scalars and slices become 1-d
pieces, slices through ``np.r_`` itself, so ``start:stop:step`` and ``start:stop:nj`` mean what
they mean in NumPy); ``c_[a, b]`` stacks 1-d pieces as columns and concatenates along the
last axis (``np.c_``).  The pieces are joined with ``concatenate``, so every piece that holds a
wengert value gets its derivative.  A leading directive string (``r_['0,2', ...]``) is
handled by NumPy when no piece is a wengert value; with wengert values it raises
UnsupportedError (write the ``concatenate``/``stack`` call instead).
"""
from __future__ import annotations

import numpy as np

from .._core.tensor import Tensor
from .._errors import UnsupportedError
from ._family import t


def _holds_tensor(x):
    if isinstance(x, Tensor):
        return True
    if isinstance(x, (list, tuple)):
        return any(_holds_tensor(o) for o in x)
    return False


class _Concatenator:
    def __init__(self, name, np_obj, axis, ndmin):
        self._name, self._np, self._axis, self._ndmin = name, np_obj, axis, ndmin

    def __getitem__(self, key):
        from ._shape import concatenate, expand_dims
        if not isinstance(key, tuple):
            key = (key,)
        if not any(_holds_tensor(k) for k in key):
            return t(self._np[key])
        if any(isinstance(k, str) for k in key):
            raise UnsupportedError(
                f"wnp.{self._name}[...] with a directive string and wengert values: write the "
                "concatenate/stack call it stands for instead.")
        pieces = []
        for k in key:
            if isinstance(k, slice):
                piece = t(self._np[k])
            else:
                piece = t(k)
                if not hasattr(piece, "shape"):
                    piece = t(np.asarray(piece))
            while len(piece.shape) < 1:
                piece = expand_dims(piece, 0)
            if self._ndmin == 2 and len(piece.shape) == 1:
                piece = expand_dims(piece, -1)  # 1-d pieces become columns (np.c_)
            pieces.append(piece)
        return concatenate(pieces, axis=self._axis)

    def __len__(self):
        return 0


r_ = _Concatenator("r_", np.r_, 0, 1)
c_ = _Concatenator("c_", np.c_, -1, 2)
