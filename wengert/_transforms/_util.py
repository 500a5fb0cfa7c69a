"""Helpers shared by the functional transforms: argument handling and output conversion."""
from __future__ import annotations

import numpy as np

from .._core.tensor import Tensor, is_differentiable_dtype
from .._errors import DTypeError


def as_tensor(x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor._wrap(np.asarray(x))


def is_plain(x) -> bool:
    """A concrete tensor outside every graph and trace."""
    return type(x) is Tensor and not x._rg


def to_output(x, plain_inputs: bool):
    """Return NumPy arrays to callers who passed NumPy arrays (JAX-style API contract)."""
    if plain_inputs and is_plain(x):
        return x._value
    return x


def check_inexact(x, api, what="input"):
    if not is_differentiable_dtype(x.dtype):
        raise DTypeError(
            f"{api} requires real- or complex-valued {what}s (a floating-point dtype), but "
            f"got dtype {x.dtype} (shape {x.shape}). Integer and boolean arrays have no "
            f"tangent space; convert with x.astype(float) if you meant to differentiate it.")


def normalize_argnums(argnums, nargs, api):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not isinstance(a, int) or not -nargs <= a < nargs:
            raise ValueError(f"{api}: argnums {argnums!r} is out of range for a function "
                             f"called with {nargs} positional arguments.")
    return single, tuple(a % nargs for a in nums)
