"""Indexing with traced integer indices (``logp[y]`` inside ``vmap`` with a per-example ``y``),
and the index-layout algebra that the batching rules of every indexing primitive share.

``getitem``/``index_update`` (``_shape.py``) freeze an index into a static parameter, which
needs its concrete value.  An index tensor without one (a batched value inside ``vmap``) is
passed instead as a positional argument of the *dynamic* primitives below, with the index kept
as a static ``spec`` in which ``Dyn(k)`` stands for the k-th index argument:

* ``dyn_getitem(x, *arrays, spec)`` (gather; VJP: ``dyn_scatter_add``; linear in ``x``);
* ``dyn_scatter_add(g, *arrays, spec, shape)`` (its transpose; repeated positions add up);
* ``dyn_setitem(x, v, *arrays, spec)`` (``x[idx] = v`` as a new array);
* ``dyn_landed(*arrays, spec, shape)`` (which writes of a setitem survive repeated indices).

Batching (one rule for all of them): the batched array is indexed with a batch-first index.
When an index array is batched, a leading ``arange(B)`` (shaped to broadcast against the
per-example index arrays) selects each example's own row, so the whole index becomes one
advanced index; otherwise a leading ``slice(None)`` keeps the batch axis.  ``batch_layout``
says where NumPy puts the batch axis and the advanced dimensions and returns the permutation
back to ``(B,) + per-example result``, following NumPy's rule: advanced-index dimensions
replace the indexed block when the advanced indices (integer arrays, and integers combined
with arrays) are adjacent, and go first otherwise.
"""
from __future__ import annotations

import numpy as np

from .._core.primitive import Primitive, bind
from .._core.tensor import Tensor, concrete_value
from .._errors import ConcretizationError, WengertError
from ._family import shape_of


class Dyn:
    """Placeholder in a static index ``spec`` for the k-th index argument of a primitive."""

    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k

    def __repr__(self):
        return f"Dyn({self.k})"

    def __eq__(self, other):
        return isinstance(other, Dyn) and other.k == self.k

    def __hash__(self):
        return hash(("Dyn", self.k))


def items_of(idx):
    return idx if isinstance(idx, tuple) else (idx,)


def _is_array_item(i):
    return isinstance(i, (np.ndarray, Dyn))


# --- layout analysis -----------------------------------------------------------------------------
class Layout:
    """How NumPy lays out ``x[idx]`` for one example.

    ``adv``: the broadcast shape A of the advanced indices; ``basic``: the sizes of the
    dimensions made by slices, ``None`` and the unindexed trailing axes, in order;
    ``before``: how many of those come before A in the result (0 when the advanced indices
    are not adjacent: A then goes first); ``shape``: the result's shape.
    """

    __slots__ = ("adv", "basic", "before", "contiguous", "has_adv", "shape")

    def __init__(self, items, shape, dyn_shapes):
        items = _expand(items, len(shape))
        has_array = any(_is_array_item(i) for i in items)
        adv_pos, adv_shapes, basic = [], [], []
        first_block = 0
        dim = 0
        for p, i in enumerate(items):
            if i is None:
                basic.append(1)
                continue
            if isinstance(i, slice):
                basic.append(len(range(*i.indices(shape[dim]))))
                dim += 1
                continue
            if _is_array_item(i) or has_array:
                if not adv_pos:
                    first_block = len(basic)
                adv_pos.append(p)
                if isinstance(i, Dyn):
                    adv_shapes.append(tuple(dyn_shapes[i.k]))
                else:
                    adv_shapes.append(np.shape(i))
            dim += 1
        basic.extend(shape[dim:])
        self.has_adv = bool(adv_pos)
        self.contiguous = adv_pos == list(range(adv_pos[0], adv_pos[0] + len(adv_pos))) \
            if adv_pos else True
        self.adv = tuple(np.broadcast_shapes(*adv_shapes)) if adv_pos else ()
        self.basic = tuple(basic)
        self.before = first_block if self.contiguous else 0
        b = self.before
        self.shape = self.basic[:b] + self.adv + self.basic[b:]


def _expand(items, ndim):
    """The index with ``...`` written out as slices and boolean masks as their ``nonzero()``
    integer arrays (NumPy's own equivalence), for the layout analysis."""
    out = []
    for i in items:
        if isinstance(i, np.ndarray) and i.dtype == np.bool_:
            if i.ndim == 0:
                raise IndexError("a 0-d boolean index is not supported inside vmap; use "
                                 "None (newaxis) or wnp.where instead.")
            out.extend(np.nonzero(i))
        else:
            out.append(i)
    consumed = sum(1 for i in out if i is not None and i is not Ellipsis)
    for k, i in enumerate(out):
        if i is Ellipsis:
            return out[:k] + [slice(None)] * (ndim - consumed) + out[k + 1:]
    return out


class BatchedIndex:
    """The batch-first version of a per-example index (see the module docstring).

    ``spec``: the index for the batch-first array (``Dyn(k)`` kept for the index arguments,
    which ``prepare_arrays`` reshapes); ``perm``: the permutation taking NumPy's result of
    that index to ``(B,) + per-example result`` (``inverse``: back); ``layout``: the
    per-example Layout.
    """

    def __init__(self, idx, shape, dyn_shapes, dyn_batched, size):
        items = items_of(idx)
        lay = self.layout = Layout(items, tuple(shape), dyn_shapes)
        n_adv, n_basic = len(lay.adv), len(lay.basic)
        self.n_adv = n_adv
        self.size = size
        self.rows = any(dyn_batched)
        self.a_dim = 0
        if self.rows:
            rows = np.arange(size, dtype=np.intp).reshape((size,) + (1,) * n_adv)
            self.spec = (rows,) + tuple(items)
            # NumPy's result: (B, A, basic...); wanted: (B, basic[:before], A, basic[before:])
            b = lay.before
            perm = ([0] + [1 + n_adv + k for k in range(b)] + [1 + k for k in range(n_adv)]
                    + [1 + n_adv + k for k in range(b, n_basic)])
        else:
            self.spec = (slice(None),) + tuple(items)
            if lay.contiguous or not lay.has_adv:
                perm = list(range(1 + n_adv + n_basic))
            else:  # NumPy's result: (A, B, basic...)
                perm = [n_adv] + list(range(n_adv)) + list(range(n_adv + 1, n_adv + 1 + n_basic))
                self.a_dim = n_adv
        self.perm = tuple(perm)
        inv = [0] * len(perm)
        for k, p in enumerate(perm):
            inv[p] = k
        self.inverse = tuple(inv)

    def prepare_arrays(self, arrays, dims):
        """The index arguments for the batched spec: batched ones batch-first and padded to
        the rank of the advanced broadcast shape (so that the batch axes line up)."""
        from .._transforms.vmap import moveaxis_to
        from ._shape import reshape
        out = []
        for a, d in zip(arrays, dims):
            if d is None:
                out.append(a)
                continue
            a = moveaxis_to(a, d, 0)
            s = tuple(shape_of(a))
            out.append(reshape(a, (s[0],) + (1,) * (self.n_adv - (len(s) - 1)) + s[1:]))
        return out

    def result(self, y):
        """NumPy's result ``y`` of the batched index as ``(value, batch axis)`` holding the
        per-example results (without a transpose where NumPy's layout already is one)."""
        if self.rows:
            return _permute(y, self.perm), 0
        return y, self.a_dim

    def to_numpy(self, y):
        """``(B,) + per-example result`` -> the layout NumPy uses for the batched index."""
        return _permute(y, self.inverse)

    def batched_to_numpy(self, g, d):
        """A batched per-example result (batch axis ``d``, None: unbatched) in NumPy's
        layout for the batched index (the cotangent of a gather, the value of a setitem)."""
        from .._transforms.vmap import moveaxis_to, to_front
        if d is not None and not self.rows:
            return moveaxis_to(g, d, self.a_dim)
        return self.to_numpy(to_front(g, d, self.size))


def _permute(y, perm):
    from ._shape import transpose
    if tuple(perm) == tuple(range(len(perm))):
        return y
    return transpose(y, tuple(perm))


def full_rank(v, d, result_ndim, size):
    """A value written by setitem, as ``(B or 1,) + shape`` of rank ``1 + result_ndim``
    (padded on the left of the per-example axes, as broadcasting would)."""
    from .._transforms.vmap import moveaxis_to
    from ._family import t
    from ._shape import reshape
    v = t(v)
    if not isinstance(v, Tensor):
        v = Tensor._wrap(np.asarray(v))
    s = tuple(shape_of(v))
    if d is None:
        return reshape(v, (1,) * (1 + result_ndim - len(s)) + s)
    v = moveaxis_to(v, d, 0)
    s = tuple(shape_of(v))
    return reshape(v, (s[0],) + (1,) * (result_ndim - (len(s) - 1)) + s[1:])


# --- the dynamic-index primitives ------------------------------------------------------------------
def _index(spec, arrays):
    return tuple(arrays[i.k] if isinstance(i, Dyn) else i for i in spec)


def _scatter_add_np(g, idx, shape):
    z = np.zeros(shape, dtype=g.dtype)
    np.add.at(z, idx, g)
    return z


def _landed_np(idx, shape):
    ids = np.full(shape, -1, dtype=np.intp)
    sel = ids[idx].shape
    order = np.arange(int(np.prod(sel, dtype=np.int64)), dtype=np.intp).reshape(sel)
    ids[idx] = order
    return ids[idx] == order


def _dyn_getitem_vjp(needs, g, out, x, *arrays, spec):
    gx = bind(dyn_scatter_add_p, g, *arrays, spec=spec, shape=tuple(x.shape)) \
        if needs[0] else None
    return (gx,) + (None,) * len(arrays)


dyn_getitem_p = Primitive(
    "dyn_getitem", lambda x, *arrays, spec: x[_index(spec, arrays)],
    vjp=_dyn_getitem_vjp,
    jvp=lambda tangents, out, x, *arrays, spec: bind(dyn_getitem_p, tangents[0], *arrays,
                                                     spec=spec),
    linear=True)

dyn_scatter_add_p = Primitive(
    "dyn_scatter_add",
    lambda g, *arrays, spec, shape: _scatter_add_np(g, _index(spec, arrays), shape),
    vjp=lambda needs, ct, out, g, *arrays, spec, shape: (
        bind(dyn_getitem_p, ct, *arrays, spec=spec),) + (None,) * len(arrays),
    jvp=lambda tangents, out, g, *arrays, spec, shape: bind(
        dyn_scatter_add_p, tangents[0], *arrays, spec=spec, shape=shape),
    linear=True)

dyn_landed_p = Primitive(
    "dyn_landed", lambda *arrays, spec, shape: _landed_np(_index(spec, arrays), shape),
    nondiff=True)


def _dyn_setitem_impl(x, v, *arrays, spec):
    out = np.array(x, copy=True)
    out[_index(spec, arrays)] = v
    return out


def _dyn_setitem_vjp(needs, g, out, x, v, *arrays, spec):
    from ._elementwise import where
    gx = bind(dyn_setitem_p, g, 0.0, *arrays, spec=spec) if needs[0] else None
    gv = None
    if needs[1]:
        landed = bind(dyn_landed_p, *arrays, spec=spec, shape=tuple(x.shape))
        gv = where(landed, bind(dyn_getitem_p, g, *arrays, spec=spec), 0.0)
    return (gx, gv) + (None,) * len(arrays)


def _dyn_setitem_jvp(tangents, out, x, v, *arrays, spec):
    tx, tv = tangents[0], tangents[1]
    if tx is None:
        tx = Tensor._wrap(np.zeros(shape_of(out), dtype=out.dtype))
    return bind(dyn_setitem_p, tx, 0.0 if tv is None else tv, *arrays, spec=spec)


dyn_setitem_p = Primitive("dyn_setitem", _dyn_setitem_impl, vjp=_dyn_setitem_vjp,
                          jvp=_dyn_setitem_jvp, linear=True)


# --- entry points (called by _shape.getitem / index_update / take) -------------------------------
def _is_abstract(i):
    if not isinstance(i, Tensor) or i._trace is None or not i._trace.active:
        return False
    try:
        concrete_value(i)
    except WengertError:
        return True
    return False


def has_dynamic(idx):
    """Does the index contain a tensor whose value is not concrete (a batched tracer)?"""
    return any(_is_abstract(i) for i in items_of(idx))


def split_index(idx):
    """``(spec, arrays)``: the static part of the index and its traced integer arrays."""
    from ._shape import _freeze_index
    spec, arrays = [], []
    for i in items_of(idx):
        if _is_abstract(i):
            if i.dtype == np.bool_:
                raise ConcretizationError(
                    "a boolean mask that depends on a batched (vmapped) value was used as an "
                    "index: each example would select a different number of elements, so the "
                    "result has no fixed shape. Use wnp.where(mask, x, 0) (or multiply by the "
                    "mask) instead.")
            if not np.issubdtype(i.dtype, np.integer):
                raise IndexError(f"only integer tensors can be used as indices; got a traced "
                                 f"{i.dtype} index. Convert it with .astype(int) if it holds "
                                 "indices.")
            spec.append(Dyn(len(arrays)))
            arrays.append(i)
        else:
            spec.append(_freeze_index(i))
    return tuple(spec), arrays


def getitem(x, idx):
    spec, arrays = split_index(idx)
    return bind(dyn_getitem_p, x, *arrays, spec=spec)


def index_update(x, idx, v):
    spec, arrays = split_index(idx)
    return bind(dyn_setitem_p, x, v, *arrays, spec=spec)


# --- batching rules ------------------------------------------------------------------------------
def _per_shape(v, d):
    s = tuple(shape_of(v))
    return s if d is None else s[:d] + s[d + 1:]


def _batch_size(vals, dims):
    return next(shape_of(v)[d] for v, d in zip(vals, dims) if d is not None)


def _dyn_getitem_batch(vals, dims, spec):
    from .._transforms.vmap import to_front
    x, arrays = vals[0], vals[1:]
    dx, adims = dims[0], dims[1:]
    size = _batch_size(vals, dims)
    bi = BatchedIndex(spec, _per_shape(x, dx), [_per_shape(a, d) for a, d in zip(arrays, adims)],
                      [d is not None for d in adims], size)
    arrs = bi.prepare_arrays(arrays, adims)
    return bi.result(bind(dyn_getitem_p, to_front(x, dx, size), *arrs, spec=bi.spec))


def _dyn_scatter_add_batch(vals, dims, spec, shape):
    g, arrays = vals[0], vals[1:]
    dg, adims = dims[0], dims[1:]
    size = _batch_size(vals, dims)
    bi = BatchedIndex(spec, tuple(shape), [_per_shape(a, d) for a, d in zip(arrays, adims)],
                      [d is not None for d in adims], size)
    arrs = bi.prepare_arrays(arrays, adims)
    g = bi.batched_to_numpy(g, dg)
    return bind(dyn_scatter_add_p, g, *arrs, spec=bi.spec, shape=(size,) + tuple(shape)), 0


def _dyn_setitem_batch(vals, dims, spec):
    from .._transforms.vmap import to_front
    x, v, arrays = vals[0], vals[1], vals[2:]
    dx, dv, adims = dims[0], dims[1], dims[2:]
    size = _batch_size(vals, dims)
    per = _per_shape(x, dx)
    bi = BatchedIndex(spec, per, [_per_shape(a, d) for a, d in zip(arrays, adims)],
                      [d is not None for d in adims], size)
    arrs = bi.prepare_arrays(arrays, adims)
    v = bi.to_numpy(full_rank(v, dv, len(bi.layout.shape), size))
    return bind(dyn_setitem_p, to_front(x, dx, size), v, *arrs, spec=bi.spec), 0


def _dyn_landed_batch(vals, dims, spec, shape):
    size = _batch_size(vals, dims)
    bi = BatchedIndex(spec, tuple(shape), [_per_shape(a, d) for a, d in zip(vals, dims)],
                      [d is not None for d in dims], size)
    arrs = bi.prepare_arrays(vals, dims)
    return bi.result(bind(dyn_landed_p, *arrs, spec=bi.spec, shape=(size,) + tuple(shape)))


dyn_getitem_p.batch = _dyn_getitem_batch
dyn_scatter_add_p.batch = _dyn_scatter_add_batch
dyn_setitem_p.batch = _dyn_setitem_batch
dyn_landed_p.batch = _dyn_landed_batch
