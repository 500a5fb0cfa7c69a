"""The memory account: bytes and number of arrays saved for backward, now and at peak.

``with wg.memory.track() as m:`` counts every distinct ndarray that a recorded node keeps for
its VJP rule (inputs and outputs it saves), from the moment it is recorded until the node is
freed (after backward, or when the graph is dropped).  Costs nothing when no tracker is open.
"""
from __future__ import annotations

import weakref

import numpy as np

_trackers: list = []


class MemoryTracker:
    def __init__(self, include=None):
        self.include = include  # optional predicate on the saved ndarray
        self._refs = {}  # id(ndarray) -> [count, nbytes]
        self.current_bytes = 0
        self.peak_bytes = 0
        self.current_count = 0
        self.peak_count = 0
        self.nodes_recorded = 0

    def _add(self, arrays):
        self.nodes_recorded += 1
        for a in arrays:
            if self.include is not None and not self.include(a):
                continue
            k = id(a)
            r = self._refs.get(k)
            if r is None:
                self._refs[k] = [1, a.nbytes]
                self.current_bytes += a.nbytes
                self.current_count += 1
            else:
                r[0] += 1
        if self.current_bytes > self.peak_bytes:
            self.peak_bytes = self.current_bytes
        if self.current_count > self.peak_count:
            self.peak_count = self.current_count

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
        self.peak_bytes = self.current_bytes
        self.peak_count = self.current_count

    def __enter__(self):
        _trackers.append(self)
        return self

    def __exit__(self, *exc):
        _trackers.remove(self)
        return False

    def __repr__(self):
        return (f"MemoryTracker(current={self.current_bytes} B in {self.current_count} arrays, "
                f"peak={self.peak_bytes} B in {self.peak_count} arrays)")


def track(include=None) -> MemoryTracker:
    """Context manager counting the arrays saved for backward (see module docstring);
    ``include(ndarray) -> bool`` restricts the count (e.g. to activations of one shape)."""
    return MemoryTracker(include)


def _saved_arrays(node):
    from .tensor import Tensor
    out = []
    for group in (node.saved, node.saved_out):
        if not group:
            continue
        for a in group:
            if isinstance(a, Tensor) and a._trace is None:
                v = a._value
                if isinstance(v, np.ndarray):
                    out.append(v)
    return out


def on_record(node):
    arrays = _saved_arrays(node)
    if not arrays:
        return
    ids = [id(a) for a in arrays]
    for t in list(_trackers):
        t._add(arrays)
        fin = weakref.finalize(node, t._sub, ids)
        node.metadata = (node.metadata or ()) + ((t, ids, fin),)


def on_release(node):
    for t, ids, fin in node.metadata or ():
        if fin.detach() is not None:
            t._sub(ids)
