"""Batching (vmap) rules of the reductions and shape primitives.

Elementwise primitives get theirs from their family (``batch = "elementwise"``); the rules here
follow one pattern: move the batch axis to the front, shift the primitive's axis parameters by
one, apply the primitive, report batch axis 0.  Signature: ``rule(args, dims, **params) ->
(out, out_dim)`` where ``dims[i]`` is the batch axis of ``args[i]`` (None: unbatched).
"""
from __future__ import annotations

import numpy as np

from .._core.primitive import bind
from .._transforms.vmap import moveaxis_to, to_front
from . import _linalg_core as la
from . import _reduce as rd
from . import _shape as sh
from ._complex import conj_p, imag_p, real_p
from ._composite import stop_gradient_p
from ._gather import BatchedIndex, full_rank


def _front(x, d):
    return moveaxis_to(x, d, 0)


def _per_ndim(x, d):
    return len(x.shape) - (0 if d is None else 1)


def _shift_axes(axis, nd):
    """A reduction's per-example ``axis`` (None, an int or a tuple, possibly negative) as the
    axes of the batch-first array."""
    if axis is None:
        return tuple(range(1, nd + 1))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    return tuple(int(a) % max(nd, 1) + 1 for a in axis)


def _reduction(p):
    def rule(args, dims, axis, keepdims):
        (x,), (d,) = args, dims
        nd = _per_ndim(x, d)
        return bind(p, _front(x, d), axis=_shift_axes(axis, nd), keepdims=keepdims), 0
    return rule


for _p in (rd.sum_p, rd.max_p, rd.min_p, rd.prod_p, rd.all_p, rd.any_p):
    _p.batch = _reduction(_p)


def _arg_reduction(p):
    def rule(args, dims, axis, keepdims):
        (x,), (d,) = args, dims
        x = _front(x, d)
        if axis is None:
            b = x.shape[0]
            res = bind(p, sh.reshape(x, (b, -1)), axis=1, keepdims=False)
            if keepdims:
                res = sh.reshape(res, (b,) + (1,) * (len(x.shape) - 1))
            return res, 0
        return bind(p, x, axis=axis % (len(x.shape) - 1) + 1, keepdims=keepdims), 0
    return rule


rd.argmax_p.batch = _arg_reduction(rd.argmax_p)
rd.argmin_p.batch = _arg_reduction(rd.argmin_p)


def _reshape_rule(args, dims, shape):
    (x,), (d,) = args, dims
    x = _front(x, d)
    return bind(sh.reshape_p, x, shape=(x.shape[0],) + tuple(shape)), 0


def _transpose_rule(args, dims, axes):
    (x,), (d,) = args, dims
    return bind(sh.transpose_p, _front(x, d), axes=(0,) + tuple(a + 1 for a in axes)), 0


def _broadcast_to_rule(args, dims, shape):
    (x,), (d,) = args, dims
    x = _front(x, d)
    b = x.shape[0]
    per = tuple(x.shape[1:])
    x = sh.reshape(x, (b,) + (1,) * (len(shape) - len(per)) + per)
    return bind(sh.broadcast_to_p, x, shape=(b,) + tuple(shape)), 0


def _sum_to_shape_rule(args, dims, shape):
    (x,), (d,) = args, dims
    x = _front(x, d)
    b = x.shape[0]
    per = tuple(x.shape[1:])
    lead = len(per) - len(shape)
    axes = tuple(range(1, lead + 1)) + tuple(
        i + lead + 1 for i, s in enumerate(shape) if s == 1 and per[i + lead] != 1)
    if axes:
        x = bind(rd.sum_p, x, axis=axes, keepdims=True)
    return sh.reshape(x, (b,) + tuple(shape)), 0


sh.reshape_p.batch = _reshape_rule
sh.transpose_p.batch = _transpose_rule
sh.broadcast_to_p.batch = _broadcast_to_rule
sh.sum_to_shape_p.batch = _sum_to_shape_rule
for _p in (sh.astype_p, sh.copy_p, real_p, imag_p, conj_p, stop_gradient_p):
    _p.batch = "elementwise"


def _concat_rule(args, dims, axis):
    b = next(x.shape[d] for x, d in zip(args, dims) if d is not None)
    xs = [to_front(x, d, b) for x, d in zip(args, dims)]
    return bind(sh.concatenate_p, *xs, axis=axis + 1), 0


sh.concatenate_p.batch = _concat_rule


# --- indexing (the index-layout algebra is in _gather.py) ---------------------------------------
def _getitem_rule(args, dims, idx):
    (x,), (d,) = args, dims
    bi = BatchedIndex(idx, _per_shape(x, d), [], [], x.shape[d])
    return bi.result(bind(sh.getitem_p, _front(x, d), idx=bi.spec))


def _scatter_add_rule(args, dims, idx, shape):
    (g,), (d,) = args, dims
    size = g.shape[d]
    bi = BatchedIndex(idx, tuple(shape), [], [], size)
    g = bi.batched_to_numpy(g, d)
    return bind(sh.scatter_add_p, g, idx=bi.spec, shape=(size,) + tuple(shape)), 0


def _setitem_rule(args, dims, idx):
    x, v = args
    dx, dv = dims
    size = x.shape[dx] if dx is not None else v.shape[dv]
    bi = BatchedIndex(idx, _per_shape(x, dx), [], [], size)
    v = bi.to_numpy(full_rank(v, dv, len(bi.layout.shape), size))
    return bind(sh.setitem_p, to_front(x, dx, size), v, idx=bi.spec), 0


def _per_shape(x, d):
    s = tuple(x.shape)
    return s if d is None else s[:d] + s[d + 1:]


sh.getitem_p.batch = _getitem_rule
sh.scatter_add_p.batch = _scatter_add_rule
sh.setitem_p.batch = _setitem_rule


# --- matmul ----------------------------------------------------------------------------------------
def _matmul_rule(args, dims):
    (x, y), (dx, dy) = args, dims
    b = x.shape[dx] if dx is not None else y.shape[dy]
    rx, ry = _per_ndim(x, dx), _per_ndim(y, dy)
    squeeze = []
    if dx is not None:
        x = _front(x, dx)
        if rx == 1:
            x = sh.expand_dims(x, 1)  # (B, 1, k)
            squeeze.append(-2)
            rx = 2
    if dy is not None:
        y = _front(y, dy)
        if ry == 1:
            y = sh.expand_dims(y, -1)  # (B, k, 1)
            squeeze.append(-1)
            ry = 2
    if dx is None and rx == 1 and dy is not None:
        x = sh.expand_dims(x, 0)
        squeeze.append(-2)
        rx = 2
    if dy is None and ry == 1 and dx is not None:
        y = sh.expand_dims(y, -1)
        squeeze.append(-1)
        ry = 2
    r = max(rx, ry)
    if dx is not None and rx < r:
        x = sh.reshape(x, (b,) + (1,) * (r - rx) + tuple(x.shape[1:]))
    if dy is not None and ry < r:
        y = sh.reshape(y, (b,) + (1,) * (r - ry) + tuple(y.shape[1:]))
    out = bind(la.matmul_p, x, y)
    for ax in sorted(set(squeeze)):
        out = sh.squeeze(out, axis=ax)
    return out, 0


la.matmul_p.batch = _matmul_rule


# --- linear algebra (wengert.numpy.linalg) -------------------------------------------------------
# Its one-operand primitives (inv, det, cholesky, eigh, svd, qr, pinv, ...) map over leading
# axes and are declared "leading" there.  Operands with a core rank need their leading axes
# aligned first, as for matmul: a per-example (n, n) matrix and a per-example (m, n, k) stack
# must broadcast as (B, 1, n, n) against (B, m, n, k).
def core_rule(p, core):
    """Batching rule of a primitive mapping over the leading axes of operands whose last
    ``core[i]`` axes are the operation's own."""

    def rule(args, dims, **params):
        lead = [_per_ndim(x, d) - c for x, d, c in zip(args, dims, core)]
        n_lead = max(lead)
        new = []
        for x, d, k in zip(args, dims, lead):
            if d is None:
                new.append(x)
                continue
            x = _front(x, d)
            s = tuple(x.shape)
            new.append(sh.reshape(x, (s[0],) + (1,) * (n_lead - k) + s[1:]))
        out = bind(p, *new, **params)
        return out, ((0,) * len(out) if p.multiple_results else 0)

    return rule


def _loop_rule(p):
    """For a primitive NumPy cannot batch (``numpy.linalg.lstsq``): one application per
    example, stacked.  Explicit, so no fallback warning."""

    def rule(args, dims, **params):
        b = next(x.shape[d] for x, d in zip(args, dims) if d is not None)
        outs = []
        for i in range(b):
            outs.append(bind(p, *[x if d is None else sh.getitem(x, (slice(None),) * d + (i,))
                                  for x, d in zip(args, dims)], **params))
        if p.multiple_results:
            return tuple(sh.stack([o[k] for o in outs]) for k in range(len(outs[0]))), 0
        return sh.stack(outs), 0

    return rule


def _install_linalg_rules():
    from . import linalg as nla
    solve = getattr(nla, "solve_p", None)
    if solve is not None:
        solve.batch = core_rule(solve, (2, 2))  # b is always a matrix (vectors become columns)
    lstsq = getattr(nla, "lstsq_p", None)
    if lstsq is not None:
        lstsq.batch = _loop_rule(lstsq)


_install_linalg_rules()

# functional grad's private aliases of its inputs
from .._transforms.reverse import alias_p

alias_p.batch = "elementwise"
