"""Trace and Tracer: the only code that knows about nesting.

A transform call (``jvp``, ``vmap``, ``jit``, a ``dual_level``) opens a Trace with a fresh level
larger than every active one.  ``bind`` hands an operation to the highest-level active trace
among its arguments; the trace unwraps its own tracers and binds again on the values below
it, so a value from an outer transform is simply a constant to an inner one.  This is what
rules out perturbation confusion.  Tracers whose trace has ended behave as their primal.
"""
from __future__ import annotations

from .state import new_level, state
from .tensor import Tensor


class Trace:
    """Base class of transform interpreters; use as a context manager."""

    def __init__(self):
        self.level = new_level()
        self.active = False

    def __enter__(self):
        self.active = True
        state.traces.append(self)
        return self

    def __exit__(self, *exc):
        self.active = False
        try:
            state.traces.remove(self)
        except ValueError:
            pass
        return False

    def process(self, prim, args, params):  # pragma: no cover - abstract
        raise NotImplementedError


class Tracer(Tensor):
    """A value owned by a Trace.  Subclasses define ``_lower`` and the aval properties."""

    def _lower(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _payload(self):
        """The lower-level values this tracer is made of (for graph walks)."""
        return (self._lower(),)

    @property
    def _value(self):
        x = self
        while isinstance(x, Tracer):
            x = x._lower()
        return x._value if isinstance(x, Tensor) else x

    @property
    def shape(self):
        return self._lower().shape

    @property
    def dtype(self):
        return self._lower().dtype
