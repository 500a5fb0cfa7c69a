"""vmap: BatchTrace / BatchTracer.

A BatchTracer holds a lower-level value ``val`` with the batch axis at ``bdim`` (``None``: not
batched, the same for every example).  ``process`` reads the primitive's ``batch`` rule:

* ``"elementwise"``: move every batch axis to the front, align the per-example ranks, apply;
* ``"leading"``: the primitive already maps over leading axes (linear algebra): move the batch
  axis to the front and apply;
* a function ``rule(args, dims, **params) -> (out, out_dim)`` for reductions and shape ops;
* nothing: a correct but slow loop over the batch, with a one-time warning naming the primitive.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._core.primitive import bind
from .._core.state import new_level
from .._core.tensor import Tensor
from .._core.trace import Trace, Tracer
from .._errors import ConcretizationError, ShapeError
from .._tree import dict_keys, tree_flatten
from ._util import as_tensor, reaches_outside, to_output


class BatchingFallbackWarning(UserWarning):
    """A primitive without a batching rule was vmapped by a Python loop (correct, slower)."""


_warned = set()


class BatchTracer(Tracer):
    def __init__(self, trace, val, bdim):
        self._trace = trace
        self.val = val
        self.bdim = bdim

    def _lower(self):
        if self.bdim is None:
            return self.val
        raise ConcretizationError(
            "a batched (vmapped) value was used outside its vmap, or where a single concrete "
            "value is needed; return it from the vmapped function instead.")

    def _payload(self):
        return (self.val,)

    @property
    def _value(self):
        raise ConcretizationError(
            "the concrete value of a batched (vmapped) tensor was requested (bool(), float(), "
            ".item(), NumPy conversion, or Python control flow such as `if x > 0:` on it). "
            "Inside vmap each value stands for a whole batch of values, so there is no single "
            "answer: use wnp.where(cond, a, b) instead of `if`, or move the decision out of "
            "the vmapped function.")

    def __array__(self, dtype=None, copy=None):
        return self._value  # raises: a batch has no single NumPy value

    @property
    def shape(self):
        s = self.val.shape
        if self.bdim is None:
            return s
        return s[:self.bdim] + s[self.bdim + 1:]

    @property
    def dtype(self):
        return self.val.dtype

    def _alias(self):
        return BatchTracer(self._trace, self.val, self.bdim)

    def __repr__(self):
        return f"BatchTracer(level={self._trace.level}, bdim={self.bdim}, val={self.val!r})"


def moveaxis_to(x, src, dst):
    from ..numpy import moveaxis
    if src == dst:
        return x
    return moveaxis(x, src, dst)


def to_front(x, d, size):
    """The value with its batch axis first (broadcast if unbatched)."""
    from ..numpy import broadcast_to, expand_dims
    if d is None:
        x = as_tensor(x)
        return broadcast_to(expand_dims(x, 0), (size,) + tuple(x.shape))
    return moveaxis_to(x, d, 0)


class BatchTrace(Trace):
    def __init__(self, axis_size):
        super().__init__()
        self.axis_size = axis_size

    def new(self, val, bdim):
        if bdim is None:
            return val
        return BatchTracer(self, val, bdim)

    def process(self, prim, args, params):
        vals, dims = [], []
        for a in args:
            if isinstance(a, BatchTracer) and a._trace is self:
                vals.append(a.val)
                dims.append(a.bdim)
            else:
                vals.append(a)
                dims.append(None)
        if all(d is None for d in dims):
            return bind(prim, *vals, **params)
        rule = prim.batch
        if rule == "elementwise":
            out, od = _elementwise_rule(vals, dims, params, prim)
        elif rule == "leading":
            out, od = bind(prim, *[v if d is None else moveaxis_to(v, d, 0)
                                   for v, d in zip(vals, dims)], **params), 0
            if prim.multiple_results:
                od = (0,) * len(out)
        elif callable(rule):
            out, od = rule(vals, dims, **params)
        else:
            out, od = self._loop(prim, vals, dims, params)
        if prim.multiple_results:
            ods = od if isinstance(od, (tuple, list)) else (od,) * len(out)
            return tuple(self.new(o, d) for o, d in zip(out, ods))
        return self.new(out, od)

    def _loop(self, prim, vals, dims, params):
        from ..numpy._shape import getitem, stack
        if prim.name not in _warned:
            _warned.add(prim.name)
            warnings.warn(f"vmap: primitive {prim.name!r} has no batching rule; falling back "
                          "to a Python loop over the batch (correct, but slower).",
                          BatchingFallbackWarning, stacklevel=4)
        outs = []
        for i in range(self.axis_size):
            args_i = [v if d is None else getitem(v, (slice(None),) * d + (i,))
                      for v, d in zip(vals, dims)]
            outs.append(bind(prim, *args_i, **params))
        if prim.multiple_results:
            return tuple(stack([o[k] for o in outs]) for k in range(len(outs[0]))), 0
        return stack(outs), 0


def _elementwise_rule(vals, dims, params, prim):
    from ..numpy import reshape
    ranks = [len(v.shape if isinstance(v, Tensor) else np.shape(v)) - (0 if d is None else 1)
             for v, d in zip(vals, dims)]
    r = max(ranks)
    new = []
    for v, d, rk in zip(vals, dims, ranks):
        if d is None:
            new.append(v)
            continue
        v = moveaxis_to(v, d, 0)
        if rk < r:
            s = tuple(v.shape)
            v = reshape(v, (s[0],) + (1,) * (r - rk) + s[1:])
        new.append(v)
    return bind(prim, *new, **params), 0


def _normalize_in_axes(in_axes, args):
    if isinstance(in_axes, (int, type(None))):
        return [in_axes] * len(args) if isinstance(in_axes, int) or in_axes is None else in_axes
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not isinstance(in_axes, tuple) or len(in_axes) != len(args):
        raise ValueError(f"vmap: in_axes must be an int, None, or a tuple with one entry per "
                         f"positional argument ({len(args)}), got {in_axes!r}")
    return list(in_axes)


def _broadcast_prefix(spec, tree):
    """Expand a pytree-prefix ``spec`` of axes to one entry per leaf of ``tree``."""
    if spec is None or isinstance(spec, int):
        return [spec] * len(tree_flatten(tree)[0])
    if isinstance(tree, dict) and isinstance(spec, dict):
        if set(spec) != set(tree):
            raise ValueError(f"vmap: the axis specification has keys {sorted(map(repr, spec))} "
                             f"but the dict it applies to has keys {sorted(map(repr, tree))}; "
                             "give one entry per key (or a single int/None for the whole dict).")
        out = []
        for k in dict_keys(tree):
            out.extend(_broadcast_prefix(spec[k], tree[k]))
        return out
    if isinstance(tree, (tuple, list)) and isinstance(spec, (tuple, list)):
        if len(spec) != len(tree):
            raise ValueError(f"vmap: axis specification {spec!r} does not match the structure "
                             "of the argument it applies to")
        out = []
        for s, t in zip(spec, tree):
            out.extend(_broadcast_prefix(s, t))
        return out
    raise ValueError(f"vmap: axis specification {spec!r} does not match the argument's "
                     "structure")




def _axis_size(leaves, leaf_axes, axis_size):
    size = axis_size
    for x, ax in zip(leaves, leaf_axes):
        if ax is None:
            continue
        if not isinstance(ax, int) or isinstance(ax, bool):
            raise TypeError(f"vmap: an in_axes entry must be an int or None, got {ax!r}")
        shp = tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)
        if not shp:
            raise ShapeError("vmap: a scalar (0-d) argument cannot be mapped: it has no axis "
                             "to map over; give it in_axes None (it is then shared by every "
                             "example).")
        if not -len(shp) <= ax < len(shp):
            raise ShapeError(f"vmap: in_axes {ax} is out of range for an argument of shape "
                             f"{shp} (valid: {-len(shp)} to {len(shp) - 1}).")
        n = shp[ax]
        if size is None:
            size = n
        elif n != size:
            what = "axis_size" if axis_size is not None and size == axis_size else "another input"
            raise ShapeError(f"vmap got inconsistent sizes for the mapped axis: an input has "
                             f"size {n} along its axis {ax}, but {what} has {size}; every "
                             "mapped input must have the same batch size.")
    if size is None:
        raise ValueError("vmap: no input is mapped (every in_axes entry is None), so the "
                         "batch size is unknown; pass axis_size=.")
    return size


def vmap(fun, in_axes=0, out_axes=0, axis_size=None):
    """Vectorise ``fun`` over a batch axis of its arguments.

    Arguments:
        in_axes: int, None, or a tuple (one entry per positional argument, each an int, None or
            a pytree prefix of the argument) saying which axis of each input is mapped.
        out_axes: where the batch axis goes in the outputs (int, None for unbatched outputs,
            or a pytree prefix of the output).
        axis_size: the batch size, needed only when no input is mapped.

    Example: per-example gradients ``vmap(grad(loss), in_axes=(None, 0, 0))(w, X, Y)``.
    """

    def vmapped(*args, **kwargs):
        axes = _normalize_in_axes(in_axes, args)
        if kwargs:  # keyword arguments are mapped over their leading axis (as in JAX)
            args = args + (kwargs,)
            axes = axes + [0]
        leaves, td = tree_flatten(args)
        leaf_axes = []
        for a, spec in zip(args, axes):
            leaf_axes.extend(_broadcast_prefix(spec, a))
        plain = not any(isinstance(x, Tensor) for x in leaves)
        size = _axis_size(leaves, leaf_axes, axis_size)
        with BatchTrace(size) as trace:
            ins = []
            for x, ax in zip(leaves, leaf_axes):
                if ax is None:
                    # unmapped arrays become Tensors too, so that indexing them with a
                    # batched index (table[i]) reaches wengert rather than NumPy
                    ins.append(as_tensor(x) if isinstance(x, np.ndarray) else x)
                else:
                    x = as_tensor(x)
                    ins.append(BatchTracer(trace, x, ax % len(x.shape)))
            call = td.unflatten(ins)
            out = fun(*call[:-1], **call[-1]) if kwargs else fun(*call)
            o_leaves, o_td = tree_flatten(out)
            o_axes = _broadcast_prefix(out_axes, out)
            res = []
            for o, oa in zip(o_leaves, o_axes):
                if isinstance(o, BatchTracer) and o._trace is trace:
                    v, d = o.val, o.bdim
                else:
                    v, d = as_tensor(o), None
                if v._rg and not reaches_outside([v], (trace.level, new_level())):
                    # a graph recorded inside the vmapped function (e.g. by grad on an
                    # unmapped input) that no enclosing computation can ask about
                    v = v.detach()
                if oa is None:
                    if d is not None:
                        raise ValueError("vmap: out_axes=None for an output that depends on "
                                         "the mapped inputs (it differs between examples); "
                                         "give it an int out_axes.")
                    res.append(to_output(v, plain))
                    continue
                v = to_front(v, d, size)
                nd = len(v.shape)
                if not -nd <= oa < nd:
                    raise ShapeError(f"vmap: out_axes {oa} is out of range for an output with "
                                     f"{nd - 1} dimension(s) per example (valid: {-nd} to "
                                     f"{nd - 1}).")
                res.append(to_output(moveaxis_to(v, 0, oa % nd), plain))
        return o_td.unflatten(res)

    vmapped.__name__ = f"vmap({getattr(fun, '__name__', 'f')})"
    vmapped.__wrapped__ = fun
    return vmapped
