"""The memory account: bytes and number of arrays saved for backward, now and at peak.

``with wg.memory.track() as m:`` counts every distinct ndarray that a recorded node keeps for
its VJP rule (inputs and outputs it saves), from the moment it is recorded until the node is
freed (after backward, or when the graph is dropped), together with the states that
checkpointing schedules hold for their backward pass (``checkpoint_loop``'s snapshots, also
counted separately as ``checkpoints``).  ``include=`` restricts the count to some arrays, e.g.
``include=lambda a: a.shape == x.shape`` counts activations and not weights.  ``ops`` is the
number of primitive applications while the tracker is open (a measure of compute: forward,
recomputation and backward together).  Costs nothing when no tracker is open.

Example (the chapter's Exercise 7)::

    with wg.memory.track(include=lambda a: a.shape == x.shape) as m:
        wg.grad(loss)(x)
    m.peak_count, m.peak_bytes, m.ops
"""
from __future__ import annotations

import weakref

import numpy as np

from . import allocator as _allocator
from . import primitive as _prim

_trackers: list = []


class MemoryTracker:
    """Counts of the arrays saved for backward (see the module docstring).

    Attributes: ``current_bytes``/``current_count`` and ``peak_bytes``/``peak_count`` (all
    saved arrays), ``checkpoints``/``peak_checkpoints`` (states held by checkpointing
    schedules), ``nodes_recorded`` and ``ops`` (primitive applications).
    """

    def __init__(self, include=None):
        self.include = include
        self._refs = {}  # id(ndarray) -> [count, nbytes]
        self.current_bytes = 0
        self.peak_bytes = 0
        self.current_count = 0
        self.peak_count = 0
        self.checkpoints = 0
        self.peak_checkpoints = 0
        self.nodes_recorded = 0
        self.ops = 0

    def _wanted(self, arrays):
        if self.include is None:
            return list(arrays)
        return [a for a in arrays if self.include(a)]

    def _add(self, arrays):
        for a in arrays:
            k = id(a)
            r = self._refs.get(k)
            if r is None:
                self._refs[k] = [1, a.nbytes]
                self.current_bytes += a.nbytes
                self.current_count += 1
            else:
                r[0] += 1
        self.peak_bytes = max(self.peak_bytes, self.current_bytes)
        self.peak_count = max(self.peak_count, self.current_count)

    def _sub(self, ids):
        for k in ids:
            r = self._refs.get(k)
            if r is None:
                continue
            r[0] -= 1
            if r[0] == 0:
                del self._refs[k]
                self.current_bytes -= r[1]
                self.current_count -= 1

    def reset_peak(self):
        """Start measuring the peak from now (e.g. to see the backward pass alone)."""
        self.peak_bytes = self.current_bytes
        self.peak_count = self.current_count
        self.peak_checkpoints = self.checkpoints

    def __enter__(self):
        if not _trackers:
            _prim._observers.append(_count_op)
        _trackers.append(self)
        return self

    def __exit__(self, *exc):
        _trackers.remove(self)
        if not _trackers and _count_op in _prim._observers:
            _prim._observers.remove(_count_op)
        return False

    def __repr__(self):
        return (f"MemoryTracker(current={self.current_bytes} B in {self.current_count} arrays, "
                f"peak={self.peak_bytes} B in {self.peak_count} arrays, "
                f"peak checkpoints={self.peak_checkpoints}, ops={self.ops})")


def allocator_status() -> dict:
    """Whether ``import wengert`` tuned glibc's malloc to keep freed array memory for the next
    call, and why not if it did not (see ``wengert/_core/allocator.py``)."""
    return dict(_allocator.status)


def tune_allocator(mmap_threshold: int = _allocator.MMAP_THRESHOLD,
                   trim_threshold: int = _allocator.TRIM_THRESHOLD) -> bool:
    """Set glibc's malloc thresholds (as ``import wengert`` does unless told not to): blocks up
    to ``mmap_threshold`` bytes come from the heap, and up to ``trim_threshold`` bytes of freed
    memory stay in the process.  Returns False, changing nothing, where the C library is not
    glibc."""
    return _allocator.tune(mmap_threshold, trim_threshold)


def track(include=None) -> MemoryTracker:
    """Context manager counting the arrays saved for backward (see the module docstring).

    Arguments:
        include: optional predicate on ndarrays; only arrays for which it is true count.
    """
    return MemoryTracker(include)


def _count_op(prim, args, params, out):
    for t in _trackers:
        t.ops += 1


def _arrays_of(values):
    from .tensor import Tensor
    out = []
    for a in values:
        if isinstance(a, Tensor) and a._trace is None:
            v = a._value
            if isinstance(v, np.ndarray):
                out.append(v)
        elif isinstance(a, np.ndarray):
            out.append(a)
    return out


def _saved_arrays(node):
    return _arrays_of(tuple(node.saved or ()) + tuple(node.saved_out or ()))


def on_record(node):
    arrays = _saved_arrays(node)
    for t in _trackers:
        t.nodes_recorded += 1
        mine = t._wanted(arrays)
        if not mine:
            continue
        ids = [id(a) for a in mine]
        t._add(mine)
        fin = weakref.finalize(node, t._sub, ids)
        node.metadata = (node.metadata or ()) + ((t, ids, fin),)


def on_release(node):
    for t, ids, fin in node.metadata or ():
        if fin.detach() is not None:
            t._sub(ids)


class _Hold:
    """A state kept by a checkpointing schedule (see ``hold``)."""

    __slots__ = ("_released", "entries")

    def __init__(self, entries):
        self.entries = entries
        self._released = False

    def release(self):
        if self._released:
            return
        self._released = True
        for t, ids in self.entries:
            t._sub(ids)
            t.checkpoints -= 1


def hold(values) -> _Hold:
    """Count ``values`` (tensors or arrays: one stored state) as saved for backward until the
    returned handle's ``release()``; used by ``checkpoint_loop`` for its snapshots."""
    entries = []
    if _trackers:
        arrays = _arrays_of(values)
        for t in _trackers:
            mine = t._wanted(arrays)
            ids = [id(a) for a in mine]
            t._add(mine)
            t.checkpoints += 1
            t.peak_checkpoints = max(t.peak_checkpoints, t.checkpoints)
            entries.append((t, ids))
    return _Hold(entries)
