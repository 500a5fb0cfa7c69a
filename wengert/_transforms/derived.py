"""Jacobians, Hessians and Hessian-vector products: compositions of jvp, vjp and vmap only.

* ``jacfwd``: one vmapped JVP over the standard basis of each input (n tangents at once);
* ``jacrev``: one vmapped VJP over the standard basis of each output (m cotangents at once);
* ``jacobian``: picks forward mode when the Jacobian is tall (n < m inputs than outputs) and
  reverse mode otherwise (chapter §4.5); ``mode=`` overrides;
* ``hessian = jacfwd(jacrev(f))`` (forward-over-reverse);
* ``hvp(f, x, v) = jvp(grad(f), (x,), (v,))[1]``: H v in O(n) memory, H never formed.

Output layout (as JAX): ``out.shape + in.shape`` per (output leaf, input leaf) pair, nested
as the output pytree of the input pytree (of the argnums tuple).
"""
from __future__ import annotations

import numpy as np

from .._core.tensor import Tensor
from .._tree import tree_flatten
from ._util import as_tensor, check_inexact, split_args
from .forward import jvp
from .reverse import grad, vjp
from .vmap import vmap


def _np_shape(x):
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


def _np_dtype(x):
    return x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype


def _basis(shape, dtype):
    n = int(np.prod(shape, dtype=np.int64))
    return np.eye(n, dtype=dtype).reshape((n,) + tuple(shape))


def _reshape(x, shape):
    from .. import numpy as wnp
    return wnp.reshape(x, shape) if isinstance(x, Tensor) else np.reshape(x, shape)


def _split_args(fun, args, kwargs, argnums):
    return split_args(fun, args, kwargs, argnums, "jacobian")


def _assemble(out_leaves, out_td, in_leaves, in_td, single, blocks):
    """blocks[k][i]: Jacobian of output leaf k w.r.t. input leaf i."""
    per_out = []
    for k in range(len(out_leaves)):
        inner = in_td.unflatten(list(blocks[k]))
        per_out.append(inner[0] if single else inner)
    return out_td.unflatten(per_out)


def _check_holomorphic(diff, api):
    """JAX's ``holomorphic=True`` contract: the differentiated inputs are complex."""
    for x in tree_flatten(diff)[0]:
        if not np.issubdtype(_np_dtype(x), np.complexfloating):
            from .._errors import DTypeError
            raise DTypeError(
                f"{api}(..., holomorphic=True) needs complex inputs, but an argument has dtype "
                f"{_np_dtype(x)}. Pass complex values (e.g. x + 0j), or drop holomorphic=True.")


def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False):
    """Jacobian by forward mode: one batched JVP over the basis of each input leaf.

    Returns ``out.shape + in.shape`` per (output leaf, input leaf), nested as the output
    pytree of the input pytree; with ``has_aux``, ``(jacobian, aux)``.  For complex inputs
    the result is the complex (holomorphic) Jacobian; ``holomorphic=True`` (JAX's flag)
    additionally checks that the inputs are complex."""

    def jac(*args, **kwargs):
        single, diff, partial = _split_args(fun, args, kwargs, argnums)
        if holomorphic:
            _check_holomorphic(diff, "jacfwd")
        in_leaves, in_td = tree_flatten(diff)
        if not in_leaves:
            raise ValueError("jacfwd: the differentiated arguments contain no arrays")
        for x in in_leaves:
            check_inexact(as_tensor(x), "jacfwd")
        zeros = [np.zeros(_np_shape(x), _np_dtype(x)) for x in in_leaves]
        aux = None
        out_leaves = out_td = None
        cols = []
        for i, x in enumerate(in_leaves):
            def push(v, i=i):
                tans = list(zeros)
                tans[i] = v
                res = jvp(partial, diff, in_td.unflatten(tans), has_aux=has_aux)
                return (res[1], res[2]) if has_aux else res[1]

            basis = _basis(_np_shape(x), _np_dtype(x))
            # the tangents are batched; aux depends on the primals only (out_axes None)
            res = vmap(push, out_axes=(-1, None) if has_aux else -1)(basis)
            if has_aux:
                res, aux = res
            leaves, out_td = tree_flatten(res)
            cols.append([_reshape(t, _np_shape(t)[:-1] + _np_shape(x)) for t in leaves])
            out_leaves = leaves
        blocks = [[cols[i][k] for i in range(len(in_leaves))] for k in range(len(out_leaves))]
        result = _assemble(out_leaves, out_td, in_leaves, in_td, single, blocks)
        return (result, aux) if has_aux else result

    jac.__name__ = f"jacfwd({getattr(fun, '__name__', 'f')})"
    return jac


def _jacrev_from_pullback(out, pullback, diff, single):
    in_leaves, in_td = tree_flatten(diff)
    out_leaves, out_td = tree_flatten(out)
    blocks = []
    for k, o in enumerate(out_leaves):
        zeros = [np.zeros(_np_shape(oo), _np_dtype(oo)) for oo in out_leaves]

        def pull(c, k=k, zeros=zeros):
            cts = list(zeros)
            cts[k] = c
            g = pullback(out_td.unflatten(cts))
            return tuple(tree_flatten(g)[0])

        oshape = _np_shape(o)
        basis = _basis(oshape, _np_dtype(o))
        rows = vmap(pull)(basis)
        blocks.append([_reshape(r, oshape + _np_shape(x)) for r, x in zip(rows, in_leaves)])
    return _assemble(out_leaves, out_td, in_leaves, in_td, single, blocks)


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False):
    """Jacobian by reverse mode: one batched VJP over the basis of each output leaf
    (``holomorphic=True``: as jacfwd)."""

    def jac(*args, **kwargs):
        single, diff, partial = _split_args(fun, args, kwargs, argnums)
        if holomorphic:
            _check_holomorphic(diff, "jacrev")
        res = vjp(partial, *diff, has_aux=has_aux)
        out, pullback = res[0], res[1]
        result = _jacrev_from_pullback(out, lambda c: pullback(c), diff, single)
        return (result, res[2]) if has_aux else result

    return jac


def _size(tree):
    return sum(int(np.prod(_np_shape(x), dtype=np.int64)) for x in tree_flatten(tree)[0])


def jacobian(fun, argnums=0, has_aux=False, mode="auto", holomorphic=False):
    """Jacobian, choosing the mode from the sizes (chapter §4.5): forward mode when the
    number of inputs n is smaller than the number of outputs m (a tall Jacobian: n batched
    JVPs), reverse mode otherwise (m batched VJPs).  ``mode="forward"``/``"reverse"`` forces
    one.  The mode used by the last call is in the returned function's ``last_mode``."""
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'auto', 'forward' or 'reverse', got {mode!r}")

    def jac(*args, **kwargs):
        if mode == "forward":
            jac.last_mode = "forward"
            return jacfwd(fun, argnums, has_aux, holomorphic)(*args, **kwargs)
        single, diff, partial = _split_args(fun, args, kwargs, argnums)
        if holomorphic:
            _check_holomorphic(diff, "jacobian")
        res = vjp(partial, *diff, has_aux=has_aux)
        out, pullback = res[0], res[1]
        n, m = _size(diff), _size(out)
        jac.last_mode = "forward" if (mode == "auto" and n < m) else "reverse"
        if jac.last_mode == "forward":
            del res, pullback  # free the recorded graph before the forward passes
            return jacfwd(fun, argnums, has_aux)(*args, **kwargs)
        result = _jacrev_from_pullback(out, pullback, diff, single)
        return (result, res[2]) if has_aux else result

    jac.last_mode = None
    jac.__name__ = f"jacobian({getattr(fun, '__name__', 'f')})"
    return jac


def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
    """Hessian as forward-over-reverse: ``jacfwd(jacrev(fun))``; shape ``in.shape + in.shape``."""
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic), argnums,
                  has_aux=has_aux, holomorphic=holomorphic)


def hvp(fun, x, v, *args):
    """Hessian-vector product H(x) v by forward-over-reverse, without forming H (O(n) memory).

    ``x`` and ``v`` are arrays or matching pytrees; extra ``args`` are passed to ``fun``
    unchanged (not differentiated).
    """
    g = grad(lambda y: fun(y, *args))
    return jvp(g, (x,), (v,))[1]



def elementwise_grad(fun, argnums=0, has_aux=False):
    """The derivative of an elementwise function at every point at once: the VJP of ``fun``
    with a cotangent of ones, i.e. the gradient of ``sum(fun(*args))``.

    For ``fun`` that acts elementwise (its Jacobian is diagonal) this is the diagonal:
    ``elementwise_grad(wnp.tanh)(x) == 1 - tanh(x)**2`` for every entry of ``x``.  For any
    other ``fun`` it is the column sums of the Jacobian (autograd's ``elementwise_grad``);
    use ``jacobian`` for the full matrix.  The output may be any pytree of float arrays.
    """

    def ew_grad(*args, **kwargs):
        single, diff, partial = _split_args(fun, args, kwargs, argnums)
        res = vjp(partial, *diff, has_aux=has_aux)
        out, pullback = res[0], res[1]
        leaves, td = tree_flatten(out)
        for o in leaves:
            if not np.issubdtype(_np_dtype(o), np.inexact):
                from .._errors import DTypeError
                raise DTypeError(
                    f"elementwise_grad: the function returned a value of dtype {_np_dtype(o)}, "
                    "which has no derivative; return floating-point values.")
        g = pullback(td.unflatten([np.ones(_np_shape(o), _np_dtype(o)) for o in leaves]))
        g = g[0] if single else g
        return (g, res[2]) if has_aux else g

    ew_grad.__name__ = f"elementwise_grad({getattr(fun, '__name__', 'f')})"
    ew_grad.__wrapped__ = fun
    return ew_grad
