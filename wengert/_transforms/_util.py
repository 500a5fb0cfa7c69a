"""Helpers shared by the functional transforms: argument handling and output conversion."""
from __future__ import annotations

import numpy as np

from .._core.tensor import Tensor, is_differentiable_dtype
from .._errors import ArgnumsError, DTypeError


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


def _is_index(a):
    return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))


def normalize_argnums(argnums, nargs, api):
    """``(single, positive argnums)``; ``ArgnumsError`` for an index out of range."""
    if type(argnums) is int and -nargs <= argnums < nargs:  # the common case
        return True, (argnums % nargs,)
    single = _is_index(argnums)
    if single:
        nums = (argnums,)
    else:
        try:
            nums = tuple(argnums)
        except TypeError:
            nums = (argnums,)
    for a in nums:
        if not _is_index(a):
            raise ArgnumsError(f"{api}: argnums must be an int or a tuple of ints, got "
                               f"{argnums!r}.")
        if not -nargs <= a < nargs:
            raise ArgnumsError(
                f"{api}: argnums {argnums!r} is out of range for a function called with "
                f"{nargs} positional argument{'s' if nargs != 1 else ''} (valid: 0 to "
                f"{nargs - 1}, or negative from the end). Pass the argument to differentiate "
                "positionally, or fix argnums.")
    return single, tuple(int(a) % nargs for a in nums)


def reaches_outside(values, internal=None) -> bool:
    """Does the reverse-mode graph of ``values`` reach a leaf that requires grad and is not
    internal, i.e. was not made a leaf during the transform call ``internal = (start, stop)``
    (levels from ``state.new_level``; ``None`` means "from now on": every leaf existing now
    counts as outside)?

    Such a dependency means a result computed from ``values`` must stay differentiable for an
    enclosing computation.  The walk looks through tracers to their primals and tangents:
    forward-mode tracers carry the reverse graphs of the values below them.
    """
    from .._core.graph import AccumulateGrad
    from .._core.trace import Tracer

    if internal is None:
        from .._core.state import new_level
        lo = hi = new_level()
    else:
        lo, hi = internal
    seen_t = set()
    seen_n = set()
    tensors = [v for v in values if isinstance(v, Tensor)]
    nodes = []
    while tensors or nodes:
        if tensors:
            v = tensors.pop()
            if not isinstance(v, Tensor) or id(v) in seen_t:
                continue
            seen_t.add(id(v))
            if isinstance(v, Tracer):
                tensors.extend(v._payload())
            if v._rg:
                if v.grad_fn is None:
                    b = v._birth
                    if not lo <= b < hi:
                        # a transform's private input alias matters only to calls nested
                        # in that transform's forward pass (they started before it ended)
                        end = getattr(v, "_owner_stop", None)
                        if end is None or end > lo:
                            return True
                else:
                    nodes.append(v.grad_fn)
            continue
        n = nodes.pop()
        if n in seen_n:
            continue
        seen_n.add(n)
        if type(n) is AccumulateGrad:
            tensors.append(n.variable)
            continue
        for p, _ in n.next_functions:
            if p is not None and p not in seen_n:
                nodes.append(p)
    return False


def split_args(fun, args, kwargs, argnums, api):
    """``(single, diff, partial)``: the differentiated arguments ``args[argnums]`` and a
    function of them alone that calls ``fun`` with the other arguments fixed."""
    single, nums = normalize_argnums(argnums, len(args), api)
    diff = tuple(args[i] for i in nums)

    def partial(*d):
        full = list(args)
        for i, v in zip(nums, d):
            full[i] = v
        return fun(*full, **kwargs)

    return single, diff, partial
