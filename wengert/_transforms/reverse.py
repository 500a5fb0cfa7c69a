"""Functional reverse mode: ``vjp``, ``grad``, ``value_and_grad``.

These run on the same graph and ``backward_pass`` as ``Tensor.backward``.  Each call
differentiates with respect to fresh aliases of its inputs, so nested calls never mix their
cotangents (no perturbation confusion).  The backward pass is itself recorded
(``create_graph``) only when the result must stay differentiable: when an input, or a value
the function closes over, is part of an enclosing reverse-mode computation.  Forward-mode
tangents of enclosing ``jvp`` calls flow through the backward pass either way.
"""
from __future__ import annotations

import numpy as np

from .._core.graph import AccumulateGrad, backward_pass, edge_of, toposort
from .._core.primitive import Primitive, bind
from .._core.state import enable_grad, lib
from .._core.tensor import Tensor
from .._errors import NonScalarOutputError, ShapeError, DTypeError
from .._tree import check_same_structure, tree_flatten
from ._util import as_tensor, check_inexact, is_plain, normalize_argnums, to_output

alias_p = Primitive(
    "alias", lambda x: x,
    vjp=lambda needs, g, out, x: (g,),
    jvp=lambda tangents, out, x: tangents[0],
    save_args=False, linear=True)


def _fresh(x: Tensor) -> Tensor:
    """A new object standing for ``x`` that requires grad; connected to ``x``'s graph."""
    if x._rg:
        return bind(alias_p, x)
    y = x._alias()
    y._rg = True
    return y


def _external(out_leaves, ys):
    """Does the graph of the outputs reach anything that requires grad besides ``ys``?"""
    if any(y.grad_fn is not None for y in ys):
        return True
    roots = [t.grad_fn for t in out_leaves if isinstance(t, Tensor) and t.grad_fn is not None]
    if not roots:
        return False
    mine = {id(y) for y in ys}
    for n in toposort(roots):
        if type(n) is AccumulateGrad and id(n.variable) not in mine:
            return True
    return False


class _VJP:
    """Records ``fun`` at ``primals`` and hands back cotangents on demand."""

    def __init__(self, fun, primals, api):
        leaves, self.in_td = tree_flatten(tuple(primals))
        self.plain = not any(isinstance(x, Tensor) for x in leaves)
        xs = [as_tensor(x) for x in leaves]
        for x in xs:
            check_inexact(x, api)
        self.ys = [_fresh(x) for x in xs]
        with enable_grad():
            self.out = fun(*self.in_td.unflatten(self.ys))

    def finish(self, out):
        o_leaves, self.out_td = tree_flatten(out)
        self.out_leaves = [as_tensor(o) for o in o_leaves]
        self.external = _external(self.out_leaves, self.ys)
        return o_leaves

    def output(self, tree):
        """Outputs and aux values as the caller should see them."""
        leaves, td = tree_flatten(tree)
        res = []
        for x in leaves:
            if isinstance(x, Tensor) and not self.external and x._rg:
                x = x.detach()
            res.append(to_output(x, self.plain))
        return td.unflatten(res)

    def pullback(self, ct_leaves, retain):
        roots, cts = [], []
        for o, ct in zip(self.out_leaves, ct_leaves):
            if ct is None:
                continue
            ct = as_tensor(ct)
            if ct.shape != o.shape:
                raise ShapeError(f"vjp: a cotangent has shape {ct.shape} but the output it "
                                 f"pairs with has shape {o.shape}; they must match.")
            if not o._rg:
                continue  # the output does not depend on the inputs: zero contribution
            roots.append(edge_of(o))
            cts.append(ct)
        targets = [edge_of(y) for y in self.ys]
        if roots:
            got = backward_pass(roots, cts, targets, retain_graph=retain,
                                create_graph=self.external, accumulate=False)
        else:
            got = [None] * len(self.ys)
        grads = []
        for y, g in zip(self.ys, got):
            if g is None:
                g = lib.zeros(y.shape, y.dtype)
            elif not self.external and g._rg:
                g = g.detach()
            grads.append(to_output(g, self.plain))
        return self.in_td.unflatten(grads)


def vjp(fun, *primals, has_aux=False):
    """Reverse-mode vector-Jacobian product.

    Returns ``(fun(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` returns a tuple with one
    cotangent per primal.  With ``has_aux``, ``fun`` returns ``(out, aux)`` and the result
    is ``(out, vjp_fn, aux)``.
    """
    rec = _VJP(fun, primals, "vjp")
    out, aux = rec.out if has_aux else (rec.out, None)
    rec.finish(out)

    def vjp_fn(cotangent):
        ct_leaves = check_same_structure("vjp_fn cotangent", rec.out_td, cotangent)
        return rec.pullback(ct_leaves, retain=True)

    result = (rec.output(out), vjp_fn)
    return result + (rec.output(aux),) if has_aux else result


def value_and_grad(fun, argnums=0, has_aux=False):
    """Return a function computing ``(fun(*args), d fun / d args[argnums])``.

    ``fun`` must return a real scalar (or ``(scalar, aux)`` with ``has_aux``); the
    gradient has the structure, shapes and dtypes of the differentiated arguments.
    """

    def value_and_grad_f(*args, **kwargs):
        single, nums = normalize_argnums(argnums, len(args), "grad")
        diff = tuple(args[i] for i in nums)

        def partial(*d):
            full = list(args)
            for i, v in zip(nums, d):
                full[i] = v
            return fun(*full, **kwargs)

        rec = _VJP(partial, diff, "grad")
        if has_aux:
            try:
                out, aux = rec.out
            except (TypeError, ValueError):
                raise TypeError("grad(..., has_aux=True): the function must return a pair "
                                "(scalar_output, aux).") from None
        else:
            out, aux = rec.out, None
        o_leaves = rec.finish(out)
        if len(o_leaves) != 1 or as_tensor(o_leaves[0]).size != 1:
            shapes = [as_tensor(o).shape for o in o_leaves]
            raise NonScalarOutputError(
                f"grad requires a function with a scalar output, but it returned "
                f"{'shape ' + str(shapes[0]) if len(shapes) == 1 else str(len(shapes)) + ' outputs'}. "
                "Reduce it (e.g. .sum()), use vjp with a cotangent, or use jacobian/jacrev.")
        o = rec.out_leaves[0]
        if not np.issubdtype(o.dtype, np.floating):
            raise DTypeError(
                f"grad requires a real floating-point scalar output, got dtype {o.dtype}. "
                "For complex outputs use vjp (or jacrev) and pick a cotangent explicitly.")
        ct = lib.ones(o.shape, o.dtype)
        g = rec.pullback([ct], retain=rec.external)
        g = g[0] if single else g
        value = rec.output(out)
        if has_aux:
            return (value, rec.output(aux)), g
        return value, g

    value_and_grad_f.__name__ = f"value_and_grad({getattr(fun, '__name__', 'f')})"
    value_and_grad_f.__wrapped__ = fun
    return value_and_grad_f


def grad(fun, argnums=0, has_aux=False):
    """Return a function computing the gradient of scalar ``fun`` w.r.t. ``args[argnums]``.

    Example::

        >>> wg.grad(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
        array([ 3., 12.])
    """
    vg = value_and_grad(fun, argnums, has_aux)

    def grad_f(*args, **kwargs):
        (v, aux), g = vg(*args, **kwargs) if has_aux else ((None, None), vg(*args, **kwargs)[1])
        return (g, aux) if has_aux else g

    grad_f.__name__ = f"grad({getattr(fun, '__name__', 'f')})"
    grad_f.__wrapped__ = fun
    return grad_f
