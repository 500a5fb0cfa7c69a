"""Functional reverse mode: ``vjp``, ``grad``, ``value_and_grad``.

These run on the same graph and ``backward_pass`` as ``Tensor.backward``.  Each call
differentiates with respect to fresh aliases of its inputs, so nested calls never mix their
cotangents (no perturbation confusion).  The backward pass is itself recorded
(``create_graph``) only when the result must stay differentiable: when an input, a value
the function closes over, or a cotangent is part of an enclosing reverse-mode computation
(see ``_util.reaches_outside``; leaves created inside the call, e.g. by an imperative
``autograd.grad(..., create_graph=True)`` in ``fun``, do not count).  Forward-mode tangents
of enclosing ``jvp`` calls flow through the backward pass either way.
"""
from __future__ import annotations

import math

import numpy as np

from .._core.graph import backward_pass, edge_of
from .._core.primitive import Primitive, bind
from .._core.state import lib, new_level, state
from .._core.tensor import Tensor, own_gradient
from .._errors import DTypeError, NonScalarOutputError, ShapeError
from .._tree import check_same_structure, tree_flatten, tree_leaves
from ._util import as_tensor, check_inexact, reaches_outside, split_args, to_output

alias_p = Primitive(
    "alias", lambda x: x,
    vjp=lambda needs, g, out, x: (g,),
    jvp=lambda tangents, out, x: tangents[0],
    save_args=False, linear=True)


def _fresh(x: Tensor):
    """``(y, z)``: ``y`` stands for ``x`` inside the differentiated function; ``z`` is the
    leaf the gradient is read at (a new private leaf, or ``x``'s own graph through ``y``).

    ``y`` is never a leaf itself, so the function may update it in place (``y += 1``,
    ``y[0] = v``: JAX code rebinding names) without touching the caller's value or losing
    the gradient, which is read at the edge ``y`` had before the call.  ``x``'s own graph is
    followed only while recording is on (inside an unrecorded backward pass, a private leaf
    cuts it)."""
    st = state
    follow = x._rg and st.grad_enabled
    prev = st.grad_enabled
    st.grad_enabled = True  # enable_grad(), without a context manager's calls
    try:
        if follow:
            return bind(alias_p, x), None
        z = x._alias()
        z._rg = True
        z._birth = new_level()
        return bind(alias_p, z), z
    finally:
        st.grad_enabled = prev


def _unpack_aux(res, api):
    try:
        out, aux = res
    except (TypeError, ValueError):
        raise TypeError(f"{api}(..., has_aux=True): the function must return a pair "
                        f"(output, aux), but it returned {type(res).__name__}.") from None
    return out, aux


class _VJP:
    """Records ``fun`` at ``primals`` and hands back cotangents on demand.

    The reverse pass is recorded (``create_graph``) only when its result must stay
    differentiable: when the outputs depend on a leaf that requires grad and was not created
    during this call (an input that requires grad, a value the function closes over from an
    enclosing ``grad``, a tracer's primal...), or when a cotangent does.
    """

    def __init__(self, fun, primals, api):
        leaves, self.in_td = tree_flatten(tuple(primals))
        self.plain = not any(isinstance(x, Tensor) for x in leaves)
        xs = [as_tensor(x) for x in leaves]
        for x in xs:
            check_inexact(x, api)
        start = new_level()
        fresh = [_fresh(x) for x in xs]
        self.ys = [y for y, _ in fresh]
        # where the gradients are read: fixed before ``fun`` may update the ys in place
        self.targets = [edge_of(y) for y in self.ys]
        st = state
        prev = st.grad_enabled
        st.grad_enabled = True  # enable_grad(), without a context manager's calls
        try:
            self.out = fun(*self.in_td.unflatten(self.ys))
        finally:
            st.grad_enabled = prev
        stop = new_level()
        self.internal = (start, stop)
        for _, z in fresh:
            if z is not None:
                z._owner_stop = stop  # see reaches_outside
        self.shapes = [(x.shape, x.dtype) for x in xs]

    def finish(self, out):
        o_leaves, self.out_td = tree_flatten(out)
        self.out_leaves = [as_tensor(o) for o in o_leaves]
        lo = self.internal[0]
        if all(type(o) is Tensor and (not o._rg or (o.grad_fn is not None
                                                     and o.grad_fn.min_birth >= lo))
               for o in self.out_leaves):
            self.external = False  # every leaf above the outputs was made in this call
        else:
            self.external = reaches_outside(self.out_leaves, self.internal)
        return o_leaves

    def _keep(self, x):
        """Should result ``x`` keep its graph (is it needed by an enclosing computation)?"""
        return reaches_outside([x], self.internal)

    def output(self, tree, arrays=False):
        """Outputs (``arrays``: Python scalars become arrays) or aux values as the caller
        should see them: detached from graphs internal to this call."""
        leaves, td = tree_flatten(tree)
        res = []
        for x in leaves:
            if isinstance(x, Tensor):
                if x._rg and not (self.external and self._keep(x)):
                    x = x.detach()
            elif arrays and self.plain:
                x = np.asarray(x)
            res.append(to_output(x, self.plain))
        return td.unflatten(res)

    def pullback(self, ct_leaves, retain):
        roots, cts = [], []
        for o, ct in zip(self.out_leaves, ct_leaves):
            ct = as_tensor(ct)
            if ct.shape != o.shape:
                raise ShapeError(f"vjp: a cotangent has shape {ct.shape} but the output it "
                                 f"pairs with has shape {o.shape}; give each cotangent exactly "
                                 f"the shape (and dtype) of its output.")
            if not o._rg:
                continue  # the output does not depend on the inputs: zero contribution
            roots.append(edge_of(o))
            cts.append(ct)
        # (a cotangent that is a plain tensor reaches nothing)
        create = self.external or (any(type(c) is not Tensor or c._rg for c in cts)
                                   and reaches_outside(cts))
        if roots:
            got = backward_pass(roots, cts, self.targets, retain_graph=retain or create,
                                create_graph=create, accumulate=False,
                                prune=self.external)  # all leaves are the inputs
        else:
            got = [None] * len(self.ys)
        grads = []
        for (shape, dtype), g in zip(self.shapes, got):
            if g is None:
                g = lib.zeros(shape, dtype)
            elif g._rg and not (create and self._keep(g)):
                g = g.detach()
            grads.append(to_output(own_gradient(g), self.plain))
        return self.in_td.unflatten(grads)


def vjp(fun, *primals, has_aux=False):
    """Reverse-mode vector-Jacobian product.

    Returns ``(fun(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` (a pytree with the structure,
    shapes and dtypes of the output) returns a tuple with one cotangent per primal.  With
    ``has_aux``, ``fun`` returns ``(out, aux)`` and the result is ``(out, vjp_fn, aux)``.

    Example::

        >>> out, f_vjp = wg.vjp(lambda x: x * 2.0, np.ones(3))
        >>> f_vjp(np.arange(3.0))
        (array([0., 2., 4.]),)
    """
    rec = _VJP(fun, primals, "vjp")
    out, aux = _unpack_aux(rec.out, "vjp") if has_aux else (rec.out, None)
    rec.finish(out)

    def vjp_fn(cotangent):
        ct_leaves = check_same_structure("vjp_fn cotangent", rec.out_td, cotangent)
        return rec.pullback(ct_leaves, retain=True)

    result = (rec.output(out, arrays=True), vjp_fn)
    return result + (rec.output(aux),) if has_aux else result


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False):
    """Return a function computing ``(fun(*args), d fun / d args[argnums])``.

    ``fun`` must return a real scalar (or ``(scalar, aux)`` with ``has_aux``); the
    gradient has the structure, shapes and dtypes of the differentiated arguments.
    With ``holomorphic=True`` (JAX's flag) ``fun`` maps complex inputs to a complex scalar
    and the result is the complex derivative f'(z) (the VJP of a cotangent 1).
    """

    def value_and_grad_f(*args, **kwargs):
        return _value_and_grad(fun, argnums, has_aux, holomorphic, args, kwargs, True)

    value_and_grad_f.__name__ = f"value_and_grad({getattr(fun, '__name__', 'f')})"
    value_and_grad_f.__wrapped__ = fun
    return value_and_grad_f


def _value_and_grad(fun, argnums, has_aux, holomorphic, args, kwargs, want_value):
    """``value_and_grad(fun, ...)(*args, **kwargs)``; the value (and aux) is None unless
    ``want_value`` (``grad`` discards it, and the conversion costs)."""
    single, diff, partial = split_args(fun, args, kwargs, argnums, "grad")

    rec = _VJP(partial, diff, "grad")
    out, aux = _unpack_aux(rec.out, "grad") if has_aux else (rec.out, None)
    o_leaves = rec.finish(out)
    if len(o_leaves) != 1 or math.prod(as_tensor(o_leaves[0]).shape) != 1:
        if len(o_leaves) == 1:
            what = f"an array of shape {as_tensor(o_leaves[0]).shape}"
        else:
            what = f"a pytree with {len(o_leaves)} leaves ({rec.out_td})"
        raise NonScalarOutputError(
            f"grad requires a function with a scalar output, but it returned {what}. "
            "Reduce it (e.g. .sum()), use vjp with a cotangent, or use jacobian/jacrev."
            + (" With has_aux=True, return (scalar, aux)." if not has_aux and
               len(o_leaves) == 2 else ""))
    o = rec.out_leaves[0]
    if holomorphic:
        for x in tree_leaves(diff):
            if not np.issubdtype(as_tensor(x).dtype, np.complexfloating):
                raise DTypeError(
                    "grad(..., holomorphic=True) needs complex inputs, but an argument "
                    f"has dtype {as_tensor(x).dtype}. Pass complex values (e.g. x + 0j), "
                    "or drop holomorphic=True for a real-valued function.")
        if not np.issubdtype(o.dtype, np.complexfloating):
            raise DTypeError(
                "grad(..., holomorphic=True) needs a complex scalar output, but the "
                f"function returned dtype {o.dtype}. Use holomorphic=False for a "
                "real-valued function.")
    elif o.dtype.kind != "f" and not np.issubdtype(o.dtype, np.floating):
        kind = "complex" if np.issubdtype(o.dtype, np.complexfloating) else "non-float"
        raise DTypeError(
            f"grad requires a real floating-point scalar output, but the function "
            f"returned a {kind} value of dtype {o.dtype}. Return a float (e.g. "
            "x.astype(float) or .real); for complex outputs use vjp with an explicit "
            "cotangent, or grad(..., holomorphic=True) for a holomorphic function.")
    ct = lib.ones(o.shape, o.dtype)
    g = rec.pullback([ct], retain=False)
    g = g[0] if single else g
    if not want_value:
        return None, g
    value = rec.output(out, arrays=True)
    if has_aux:
        return (value, rec.output(aux)), g
    return value, g


def grad(fun, argnums=0, has_aux=False, holomorphic=False):
    """Return a function computing the gradient of scalar ``fun`` w.r.t. ``args[argnums]``.

    ``holomorphic=True``: ``fun`` is a complex-differentiable function of complex inputs with
    a complex scalar output; the result is f'(z) (as JAX's ``grad(..., holomorphic=True)``).

    Example::

        >>> wg.grad(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
        array([ 3., 12.])
    """
    def grad_f(*args, **kwargs):
        res, g = _value_and_grad(fun, argnums, has_aux, holomorphic, args, kwargs, has_aux)
        return (g, res[1]) if has_aux else g

    grad_f.__name__ = f"grad({getattr(fun, '__name__', 'f')})"
    grad_f.__wrapped__ = fun
    return grad_f
