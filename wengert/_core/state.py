"""Thread-local state: whether gradients are recorded, and the stack of active traces.

Forward mode, vmap and jit are *traces*: each call of a transform pushes a Trace with a
fresh, larger level; values it owns are Tracers pointing at it.  Reverse mode is not a
trace: it is a graph recorded on whatever objects the user's code sees (see graph.py).
"""
from __future__ import annotations

import functools
import inspect
import itertools
import threading


class _State(threading.local):
    def __init__(self):
        self.grad_enabled = True
        self.traces = []  # active Trace objects, innermost (highest level) last
        self.mode_stack = []  # grad modes to restore when no_grad/enable_grad blocks exit
        # raw: bind returns bare ndarrays (set only while an unrecorded backward pass runs a
        # VJP rule on concrete values; see graph.Node.apply)
        self.raw = False


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
    """Shared implementation of no_grad / enable_grad / set_grad_enabled.

    The previous mode is kept on a per-thread stack, so one instance may be entered again
    (nested) or from several threads at once.  As a decorator the mode applies while the
    function runs (each resumption, for a generator function).
    """

    _enabled = True

    def __new__(cls, *args):
        self = super().__new__(cls)
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]):
            # `@no_grad` without parentheses, as PyTorch allows
            self.__init__()
            return self(args[0])
        return self

    def __init__(self, *args):
        if args:
            raise TypeError(f"{type(self).__name__}() takes no arguments")

    def __enter__(self):
        st = state
        st.mode_stack.append(st.grad_enabled)
        st.grad_enabled = self._enabled
        return self

    def __exit__(self, *exc):
        st = state
        st.grad_enabled = st.mode_stack.pop() if st.mode_stack else True
        return False

    def __call__(self, fn):
        enabled = self._enabled
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                gen = fn(*args, **kwargs)
                sent = None
                while True:
                    prev = state.grad_enabled
                    state.grad_enabled = enabled
                    try:
                        item = gen.send(sent)
                    except StopIteration as stop:
                        return stop.value
                    finally:
                        state.grad_enabled = prev
                    sent = yield item

            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            st = state
            prev = st.grad_enabled
            st.grad_enabled = enabled
            try:
                return fn(*args, **kwargs)
            finally:
                st.grad_enabled = prev

        return wrapper


class no_grad(_GradMode):
    """Context manager and decorator: operations inside are not recorded for reverse mode.

    Forward-mode tangents (``jvp``, dual tensors) still propagate, as in PyTorch.  The mode
    is per thread: ``no_grad`` in one thread does not affect another.
    """

    _enabled = False


class enable_grad(_GradMode):
    """Context manager and decorator that turns recording back on (e.g. inside ``no_grad``)."""

    _enabled = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(flag)`` sets the mode at once (as a plain call); as a context
    manager it restores the previous mode on exit; as a decorator it applies to the call."""

    def __init__(self, mode: bool):
        self._enabled = bool(mode)
        self._prev = state.grad_enabled
        state.grad_enabled = self._enabled

    def __enter__(self):
        state.mode_stack.append(self._prev)
        state.grad_enabled = self._enabled
        return self

    def __call__(self, fn):
        state.grad_enabled = self._prev  # used as a decorator: the call did not mean "set now"
        return super().__call__(fn)


def is_grad_enabled() -> bool:
    return state.grad_enabled
