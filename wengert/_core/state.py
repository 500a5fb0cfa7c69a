"""Thread-local state: whether gradients are recorded, and the stack of active traces.

Forward mode, vmap and jit are *traces*: each call of a transform pushes a Trace with a
fresh, larger level; values it owns are Tracers pointing at it.  Reverse mode is not a
trace: it is a graph recorded on whatever objects the user's code sees (see graph.py).
"""
from __future__ import annotations

import functools
import itertools
import threading


class _State(threading.local):
    def __init__(self):
        self.grad_enabled = True
        self.traces = []  # active Trace objects, innermost (highest level) last


state = _State()
_levels = itertools.count(1)


def new_level() -> int:
    return next(_levels)


class lib:
    """Array operations the engine needs, installed by ``wengert.numpy`` at import."""

    sum_to_shape = None  # (x, shape) -> x summed over broadcast axes
    broadcast_to = None  # (x, shape)
    astype = None        # (x, dtype)
    real = None          # (x)
    zeros = None         # (shape, dtype) -> Tensor
    ones = None          # (shape, dtype) -> Tensor
    add = None           # (x, y)


class _GradMode:
    """Shared implementation of no_grad / enable_grad / set_grad_enabled."""

    _enabled = True

    def __enter__(self):
        self._prev = state.grad_enabled
        state.grad_enabled = self._enabled
        return self

    def __exit__(self, *exc):
        state.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        enabled = self._enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = state.grad_enabled
            state.grad_enabled = enabled
            try:
                return fn(*args, **kwargs)
            finally:
                state.grad_enabled = prev

        return wrapper


class no_grad(_GradMode):
    """Context manager and decorator: operations inside are not recorded for reverse mode.

    Forward-mode tangents (``jvp``, dual tensors) still propagate, as in PyTorch.
    """

    _enabled = False


class enable_grad(_GradMode):
    """Context manager and decorator that turns recording back on (e.g. inside ``no_grad``)."""

    _enabled = True


class set_grad_enabled(_GradMode):
    """``with set_grad_enabled(flag):`` records operations iff ``flag``."""

    def __init__(self, mode: bool):
        self._enabled = bool(mode)
        self._prev = state.grad_enabled
        state.grad_enabled = self._enabled

    def __enter__(self):
        return self


def is_grad_enabled() -> bool:
    return state.grad_enabled
