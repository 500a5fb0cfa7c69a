"""User-defined derivative rules: ``custom_vjp``, ``custom_jvp`` (JAX semantics).

Each decorated function becomes one application of a primitive whose rules call the user's
functions, so it behaves like any built-in op under every transform:

* ``custom_vjp``: the primitive's outputs are the function's outputs followed by the residuals
  of ``fwd``; its VJP calls ``bwd(res, g)``.  Its JVP (which JAX refuses) is derived: ``bwd``
  is linear in ``g``, so the JVP ``J t`` is the VJP of ``g -> bwd(res, g)`` applied to ``t``
  (reverse-over-reverse); residual tangents come from differentiating ``fwd``.
* ``custom_jvp``: the JVP is the user's rule; the VJP is derived the same way, by transposing
  the rule's linear map ``t -> jvp_rule(x, t)[1]``.
* Under ``vmap`` the user's functions are vmapped and the primitive is bound again below.
* Under ``jet`` the Taylor coefficients come from the (user's or derived) JVP rule, order by
  order, or from the natural function when there is one (checkpoint).

Residuals that are not arrays (Python numbers, strings, shapes) are handed back to ``bwd``
unchanged; arguments that are not arrays must be listed in ``nondiff_argnums``, as in JAX.
"""
from __future__ import annotations

import functools

import numpy as np

from .._core.primitive import Primitive, bind
from .._core.state import no_grad
from .._core.tensor import Tensor
from .._errors import WengertError
from .._tree import tree_flatten
from ._util import as_tensor


class CustomRuleError(WengertError, TypeError):
    """A user-supplied derivative rule returned something of the wrong structure."""


def _wrap_leaves(leaves):
    return [Tensor._wrap(np.asarray(v)) if not isinstance(v, Tensor) else v for v in leaves]


def _zeros_like(x):
    from .._core.state import lib
    if not (hasattr(x, "shape") and hasattr(x, "dtype")):  # Tensors, arrays and Avals pass
        x = as_tensor(x)
    return lib.zeros(tuple(x.shape), x.dtype)


class _Info:
    """The user's functions and the tree structures discovered when they run."""

    __slots__ = (
        "__weakref__",
        "bwd",
        "cache",
        "fun",
        "fwd",
        "in_td",
        "jvp_rule",
        "materialize",
        "n_out",
        "name",
        "out_td",
        "owner",
        "res_inputs",
        "res_static",
        "res_td",
    )

    def __init__(self, name, in_td, fun=None, fwd=None, bwd=None, jvp_rule=None, owner=None):
        self.owner = owner
        self.name = name
        self.fun = fun
        self.fwd = fwd
        self.bwd = bwd
        self.jvp_rule = jvp_rule
        self.in_td = in_td
        self.out_td = None
        self.n_out = None
        self.res_td = None
        self.res_static = {}     # residual leaves that are not arrays: kept as they are
        self.materialize = True  # give bwd zeros (not None) for outputs without a cotangent
        self.cache = None        # the impl's result when the caller already computed it
        self.res_inputs = None   # n: the residuals are the first n inputs (checkpoint)


# --- custom_vjp ------------------------------------------------------------------------------------
_running = set()  # custom functions whose own rule is being evaluated (fwd calling f)


def _cvjp_run(info, leaves):
    args = info.in_td.unflatten(leaves)
    _running.add(info.owner)
    try:
        res = info.fwd(*args)
    finally:
        _running.discard(info.owner)
    if not (isinstance(res, tuple) and len(res) == 2):
        raise CustomRuleError(f"custom_vjp fwd rule of {info.name} must return a pair "
                              f"(output, residuals), got {type(res).__name__}")
    out, r = res
    o_leaves, info.out_td = tree_flatten(out)
    r_leaves, info.res_td = tree_flatten(r)
    info.n_out = len(o_leaves)
    # array residuals become outputs of the primitive (so every transform sees them); other
    # values (Python numbers, strings, shapes...) are constants handed back to bwd unchanged
    info.res_static = {k: v for k, v in enumerate(r_leaves) if not _is_array_leaf(v)}
    return o_leaves, [v for v in r_leaves if _is_array_leaf(v)]


def _residuals(info, dyn):
    """The residual pytree from the primitive's residual outputs and the static leaves."""
    it = iter(dyn)
    n = info.res_td.num_leaves
    return info.res_td.unflatten([info.res_static[k] if k in info.res_static else next(it)
                                  for k in range(n)])


def _is_array_leaf(x):
    """Residual leaves that become outputs of the primitive; other values (Python numbers,
    strings, shapes, ...) are constants, handed back to bwd exactly as fwd returned them."""
    return isinstance(x, (Tensor, np.ndarray))


def _array_args(kind, name, leaves, nondiff):
    """The argument leaves as tensors; a non-array leaf is an error (JAX semantics)."""
    out = []
    for x in leaves:
        if not isinstance(x, (Tensor, np.ndarray, np.generic, int, float, complex, bool)):
            raise CustomRuleError(
                f"{kind} function {name} got an argument leaf of type {type(x).__name__} "
                f"({x!r:.40}), which is not an array. Non-array arguments (strings, "
                f"functions, options) must be declared static: nondiff_argnums=(i,) "
                f"(currently {tuple(nondiff)}).")
        out.append(as_tensor(x))
    return out


def _cvjp_impl(*arrays, info):
    cached = info.cache
    if cached is not None:  # computed by the caller already (checkpoint's forward pass)
        info.cache = None
        return cached
    with no_grad():
        o, r = _cvjp_run(info, _wrap_leaves(arrays))
    return tuple(np.asarray(x._value if isinstance(x, Tensor) else x) for x in o + r)


def _bwd_leaves(info, res, ct):
    cts = info.bwd(res, ct)
    if not isinstance(cts, (tuple, list)):
        raise CustomRuleError(f"custom_vjp bwd rule of {info.name} must return a tuple with one "
                              f"cotangent per positional argument, got {type(cts).__name__}")
    n_args = len(info.in_td.children)
    if len(cts) != n_args:
        raise CustomRuleError(f"custom_vjp bwd rule of {info.name} returned {len(cts)} "
                              f"cotangents for {n_args} positional arguments")
    leaves = []
    for arg_td, c in zip(info.in_td.children, cts):
        if c is None:
            leaves.extend([None] * arg_td.num_leaves)
            continue
        cl, ctd = tree_flatten(c)
        if ctd != arg_td:
            raise CustomRuleError(f"custom_vjp bwd rule of {info.name}: a cotangent has "
                                  f"structure {ctd}, but its argument has {arg_td}")
        leaves.extend(cl)
    return leaves


def _check_cotangents(info, cts, args):
    for k, (c, a) in enumerate(zip(cts, args)):
        if c is None:
            continue
        cs, ashape = tuple(np.shape(c) if not isinstance(c, Tensor) else c.shape), tuple(a.shape)
        try:
            ok = np.broadcast_shapes(cs, ashape) == cs
        except ValueError:
            ok = False
        if not ok:
            raise CustomRuleError(
                f"the backward rule of {info.name} returned a cotangent of shape {cs} for "
                f"input leaf {k} of shape {ashape}; a cotangent must have its input's shape "
                "(or one that sums to it over broadcast axes).")


def _cvjp_vjp(needs, g, out, *args, info):
    from .reverse import vjp
    n = info.n_out
    res = _residuals(info, list(out[n:]))
    if info.materialize:
        g_out = [c if c is not None else _zeros_like(o) for c, o in zip(g[:n], out[:n])]
    else:
        g_out = list(g[:n])
    cts = _bwd_leaves(info, res, info.out_td.unflatten(g_out))
    _check_cotangents(info, cts, args)
    if any(c is not None for c in g[n:]):
        # a residual was used by a differentiated backward pass (higher order): its
        # dependence on the inputs is the natural derivative of fwd
        if info.res_inputs is not None:  # residuals are inputs: the cotangent goes through
            extra = list(g[n:]) + [None] * (len(args) - info.res_inputs)
        else:
            def residuals(*leaves):
                return tuple(_cvjp_run(info, list(leaves))[1])
            _, pull = vjp(residuals, *args)
            extra = pull(tuple(c if c is not None else _zeros_like(o)
                               for c, o in zip(g[n:], out[n:])))
        cts = [e if c is None else c if e is None else c + e for c, e in zip(cts, extra)]
    return tuple(cts)


def _cvjp_jvp(tangents, out, *args, info):
    from .forward import jvp
    from .reverse import vjp
    n = info.n_out
    tans = [t if t is not None else _zeros_like(a) for t, a in zip(tangents, args)]
    res_t = []
    if info.res_inputs is not None:
        res_t = [tangents[i] for i in range(info.res_inputs)]
    elif len(out) > n:
        def residuals(*leaves):
            return tuple(_cvjp_run(info, list(leaves))[1])
        res_t = list(jvp(residuals, tuple(args), tuple(tans))[1])
    if info.fun is not None:  # a natural forward rule exists (checkpoint): use it
        def outputs(*leaves):
            return tuple(tree_flatten(info.fun(*info.in_td.unflatten(list(leaves))))[0])
        return tuple(jvp(outputs, tuple(args), tuple(tans))[1]) + tuple(res_t)
    res = _residuals(info, list(out[n:]))
    if info.jvp_rule is not None:  # a forward rule given with the backward one (Function.jvp)
        t_out = info.jvp_rule(res, list(tangents))
        return tuple(t_out) + tuple(res_t)
    live = [i for i, t in enumerate(tangents) if t is not None]

    def pullback_of_g(*gs):
        cts = _bwd_leaves(info, res, info.out_td.unflatten(list(gs)))
        return tuple(cts[i] if cts[i] is not None else _zeros_like(args[i]) for i in live)

    g0 = tuple(_zeros_like(o) for o in out[:n])
    _, transpose = vjp(pullback_of_g, *g0)
    out_t = transpose(tuple(tangents[i] for i in live))
    return tuple(out_t) + tuple(res_t)


def _cvjp_batch(vals, dims, info):
    """vmap: the user's fwd and bwd are vmapped, and the primitive is bound again below with
    those batched rules (all outputs and residuals batched along axis 0)."""
    from .vmap import vmap
    axes = tuple(dims)

    def fwd_b(*leaves):
        def one(*ls):
            o, r = _cvjp_run(info, list(ls))
            return tuple(o), tuple(r)
        o, r = vmap(one, in_axes=axes)(*leaves)
        return (list(o), list(r))

    def bwd_b(res, ct):
        def one(r, c):
            return tuple(_bwd_leaves(info, _residuals(info, list(r)),
                                     info.out_td.unflatten(list(c))))
        return tuple(vmap(one)(tuple(res), tuple(ct)))

    fun_b = None
    if info.fun is not None:  # keep the natural forward rule (checkpoint)
        def fun_b(*leaves):
            def one(*ls):
                return tuple(tree_flatten(info.fun(*info.in_td.unflatten(list(ls))))[0])
            return list(vmap(one, in_axes=axes)(*leaves))

    flat_td = tree_flatten(tuple(range(len(vals))))[1]
    binfo = _Info(info.name + "_batched", flat_td, fun=fun_b, fwd=fwd_b, bwd=bwd_b,
                  owner=info.owner)
    binfo.materialize = True
    outs = bind(custom_vjp_p, *vals, info=binfo)
    return outs, [0] * len(outs)


custom_vjp_p = Primitive("custom_vjp_call", _cvjp_impl, vjp=_cvjp_vjp, jvp=_cvjp_jvp,
                         multiple_results=True, save_args=True, save_out=True)
custom_vjp_p.symbolic_zeros = True
# keep only the residuals: the outputs themselves are not needed by the VJP rule
custom_vjp_p.save_out = lambda params, n: range(params["info"].n_out, n)
custom_vjp_p.batch = lambda vals, dims, info: _cvjp_batch(vals, dims, info)


# --- Taylor mode (jet) ------------------------------------------------------------------------------
def _custom_taylor(prim):
    """Taylor rule of the custom-rule primitives.  With a natural forward function
    (checkpoint) the series go through it; otherwise the generic rule of taylor.py applies
    to the primitive's JVP rule (the user's, or the one derived from bwd)."""
    from .taylor import _generic, jet_multi

    def rule(primals, series, out, K, params):
        info = params["info"]
        if prim is custom_vjp_p and info.fun is not None:
            def natural(*ls):
                outs = tree_flatten(info.fun(*info.in_td.unflatten(list(ls))))[0]
                return tuple(outs) + tuple(_residual_values(info, list(ls)))
            return jet_multi(natural, primals, series, K)[1]
        return _generic(prim, primals, series, K, params)

    return rule


def _residual_values(info, leaves):
    if info.res_inputs is not None:  # the residuals are the first inputs (checkpoint)
        return leaves[:info.res_inputs]
    return _cvjp_run(info, leaves)[1]


custom_vjp_p.taylor = _custom_taylor(custom_vjp_p)


class custom_vjp:
    """Give ``fun`` a user-defined VJP (JAX semantics).

    Example::

        @wg.custom_vjp
        def softplus(x):
            return wnp.logaddexp(x, 0.0)

        def fwd(x):
            return softplus(x), x            # output, residuals

        def bwd(x, g):
            return (g * wnp.sigmoid(x),)     # one cotangent per argument

        softplus.defvjp(fwd, bwd)

    ``bwd`` written with wengert ops is itself differentiable (higher order works), and the
    function also works under ``jvp``/``jacfwd``/``hessian`` through a derived forward rule.
    """

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fwd = None
        self.bwd = None
        self.nondiff_argnums = tuple(nondiff_argnums)

    def defvjp(self, fwd, bwd):
        self.fwd = fwd
        self.bwd = bwd
        return self

    def __call__(self, *args):
        if self.fwd is None:
            raise CustomRuleError(f"custom_vjp function {self.__name__} has no rule yet; call "
                                  f".defvjp(fwd, bwd) first")
        if self in _running:  # fwd calling the function itself: just evaluate it
            return self.fun(*args)
        static = {i: args[i] for i in self.nondiff_argnums}
        dyn = tuple(a for i, a in enumerate(args) if i not in static)

        def full(d):
            it = iter(d)
            return [static[i] if i in static else next(it) for i in range(len(args))]

        fwd = (lambda *d: self.fwd(*full(d))) if static else self.fwd
        if static:
            st = tuple(static[i] for i in sorted(static))

            def bwd(res, ct):
                return self.bwd(*st, res, ct)
        else:
            bwd = self.bwd
        leaves, in_td = tree_flatten(dyn)
        name = getattr(self.fun, "__name__", "f")
        info = _Info(name, in_td, fwd=fwd, bwd=bwd, owner=self)
        leaves = _array_args("custom_vjp", name, leaves, self.nondiff_argnums)
        outs = bind(custom_vjp_p, *leaves, info=info)
        return info.out_td.unflatten(list(outs[:info.n_out]))


# --- custom_jvp ------------------------------------------------------------------------------------
def _cjvp_impl(*arrays, info):
    with no_grad():
        out = info.fun(*info.in_td.unflatten(_wrap_leaves(arrays)))
    o_leaves, info.out_td = tree_flatten(out)
    info.n_out = len(o_leaves)
    return tuple(np.asarray(x._value if isinstance(x, Tensor) else x) for x in o_leaves)


def _cjvp_rule_tangents(info, args, tans):
    primals = info.in_td.unflatten(list(args))
    tangents = info.in_td.unflatten(list(tans))
    res = info.jvp_rule(tuple(primals), tuple(tangents))
    if not (isinstance(res, (tuple, list)) and len(res) == 2):
        raise CustomRuleError(f"custom_jvp rule of {info.name} must return a pair "
                              f"(primal_out, tangent_out)")
    t_leaves, t_td = tree_flatten(res[1])
    if info.out_td is not None and t_td != info.out_td:
        raise CustomRuleError(f"custom_jvp rule of {info.name}: tangent_out has structure "
                              f"{t_td}, but the output has {info.out_td}")
    return t_leaves


def _cjvp_jvp(tangents, out, *args, info):
    tans = [t if t is not None else _zeros_like(a) for t, a in zip(tangents, args)]
    return tuple(_cjvp_rule_tangents(info, args, tans))


def _cjvp_vjp(needs, g, out, *args, info):
    from .reverse import vjp
    live = [i for i, nd in enumerate(needs) if nd]

    def push(*ts):
        full = [_zeros_like(a) for a in args]
        for i, t in zip(live, ts):
            full[i] = t
        return tuple(_cjvp_rule_tangents(info, args, full))

    _, pull = vjp(push, *[_zeros_like(args[i]) for i in live])
    cts = pull(tuple(g))
    res = [None] * len(args)
    for i, c in zip(live, cts):
        res[i] = c
    return tuple(res)


def _cjvp_batch(vals, dims, info):
    from .vmap import vmap
    axes = tuple(dims)
    flat_td = tree_flatten(tuple(range(len(vals))))[1]

    def fun_b(*leaves):
        def one(*ls):
            o_leaves, info.out_td = tree_flatten(info.fun(*info.in_td.unflatten(list(ls))))
            info.n_out = len(o_leaves)
            return tuple(o_leaves)
        return list(vmap(one, in_axes=axes)(*leaves))

    def rule_b(primals, tangents):
        def one(p, t):
            return tuple(_cjvp_rule_tangents(info, list(p), list(t)))
        return None, list(vmap(one, in_axes=(axes, axes))(tuple(primals), tuple(tangents)))

    binfo = _Info(info.name + "_batched", flat_td, fun=fun_b, jvp_rule=rule_b)
    outs = bind(custom_jvp_p, *vals, info=binfo)
    return outs, [0] * len(outs)


custom_jvp_p = Primitive("custom_jvp_call", _cjvp_impl, vjp=_cjvp_vjp, jvp=_cjvp_jvp,
                         multiple_results=True)
custom_jvp_p.batch = lambda vals, dims, info: _cjvp_batch(vals, dims, info)
custom_jvp_p.taylor = _custom_taylor(custom_jvp_p)


class custom_jvp:
    """Give ``fun`` a user-defined JVP (JAX semantics): ``f.defjvp(rule)`` with
    ``rule(primals, tangents) -> (primal_out, tangent_out)``.  Reverse mode is derived by
    transposing the rule (it must be linear in the tangents and written with wengert ops)."""

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.jvp_rule = None
        self.nondiff_argnums = tuple(nondiff_argnums)

    def defjvp(self, rule):
        self.jvp_rule = rule
        return rule

    def defjvps(self, *tangent_fns):
        def rule(primals, tangents):
            out = self.fun(*primals)
            acc = None
            for fn, t in zip(tangent_fns, tangents):
                if fn is None:
                    continue
                term = fn(t, out, *primals)
                acc = term if acc is None else acc + term
            return out, acc
        self.jvp_rule = rule

    def __call__(self, *args):
        if self.jvp_rule is None:
            raise CustomRuleError(f"custom_jvp function {self.__name__} has no rule yet; call "
                                  f".defjvp(rule) first")
        static = {i: args[i] for i in self.nondiff_argnums}
        dyn = tuple(a for i, a in enumerate(args) if i not in static)

        def full(d):
            it = iter(d)
            return [static[i] if i in static else next(it) for i in range(len(args))]

        fun = (lambda *d: self.fun(*full(d))) if static else self.fun
        if static:
            st = tuple(static[i] for i in sorted(static))

            def rule(primals, tangents):
                return self.jvp_rule(*st, primals, tangents)
        else:
            rule = self.jvp_rule
        leaves, in_td = tree_flatten(dyn)
        name = getattr(self.fun, "__name__", "f")
        info = _Info(name, in_td, fun=fun, jvp_rule=rule)
        leaves = _array_args("custom_jvp", name, leaves, self.nondiff_argnums)
        outs = bind(custom_jvp_p, *leaves, info=info)
        return info.out_td.unflatten(list(outs))
