"""Checkpointing (rematerialisation): trade compute for memory.

``checkpoint(fun)`` runs ``fun`` without recording (so none of its intermediate values are
saved) and keeps only its inputs; the backward pass re-runs ``fun`` with recording on and
pulls the cotangent through it.  The recomputation is built only in the backward pass, so
peak memory is the checkpointed inputs plus one segment's activations.  It is a custom_vjp
with the natural forward rule, so it composes with jvp, vmap, nested grad and create_graph.

``checkpoint_sequential(functions, segments, x)``: the chapter's √L scheme.
``checkpoint_loop(step, state, n_steps, n_checkpoints)``: Griewank's binomial (Revolve)
schedule for an n-step loop with a fixed number of stored states.
"""
from __future__ import annotations

import functools
import math

from .._core.primitive import bind
from .._tree import tree_flatten
from ._util import as_tensor
from .custom import _Info, custom_vjp_p


def checkpoint(fun, *, static_argnums=()):
    """Wrap ``fun`` so its activations are recomputed in the backward pass, not stored."""
    static_argnums = tuple(static_argnums)

    @functools.wraps(fun)
    def wrapped(*args):
        static = {i: args[i] for i in static_argnums}
        dyn = tuple(a for i, a in enumerate(args) if i not in static)

        def call(*d):
            it = iter(d)
            return fun(*[static[i] if i in static else next(it) for i in range(len(args))])

        def fwd(*d):
            return call(*d), d

        def bwd(res, g):
            from .reverse import vjp
            _, pull = vjp(call, *res)
            return pull(g)

        leaves, in_td = tree_flatten(dyn)
        info = _Info(f"checkpoint({getattr(fun, '__name__', 'f')})", in_td, fun=call,
                     fwd=fwd, bwd=bwd, owner=wrapped)
        outs = bind(custom_vjp_p, *[as_tensor(x) for x in leaves], info=info)
        return info.out_td.unflatten(list(outs[:info.n_out]))

    return wrapped


def checkpoint_sequential(functions, segments, x):
    """Run ``functions`` in order on ``x``, checkpointing ``segments`` equal groups: only the
    segment boundaries are stored; each segment's activations are recomputed in backward.
    With ``segments = sqrt(L)`` this is the chapter's O(sqrt(L)) memory scheme."""
    functions = list(functions)
    n = len(functions)
    if not 1 <= segments <= max(n, 1):
        raise ValueError(f"checkpoint_sequential: segments must be in [1, {n}], got {segments}")
    size = math.ceil(n / segments)

    def run(fs):
        def seg(y):
            for f in fs:
                y = f(y)
            return y
        return seg

    for start in range(0, n, size):
        x = checkpoint(run(functions[start:start + size]))(x)
    return x


# --- binomial checkpointing (Revolve) --------------------------------------------------------------
def _beta(s, t):
    return math.comb(s + t, s)


def revolve_split(n, s):
    """Where to place the next checkpoint when reversing ``n`` steps with ``s`` free snapshots:
    Griewank's binomial rule (minimal number of recomputed steps)."""
    if s <= 0 or n <= 1:
        return 1
    t = 0
    while _beta(s, t) < n:
        t += 1
    # largest advance that leaves the remaining n - m steps reversible with s - 1 snapshots
    # in t repetitions, and the first m steps with s snapshots in t - 1 repetitions
    m = max(1, n - _beta(s - 1, t))
    m = max(m, 1)
    m = min(m, _beta(s, t - 1) if t >= 1 else 1, n - 1)
    return max(m, 1)


def checkpoint_loop(step, state, n_steps, n_checkpoints):
    """``state <- step(state)`` repeated ``n_steps`` times, differentiable with at most
    ``n_checkpoints`` stored states, using the binomial (Revolve) schedule.

    The forward pass stores only the initial state.  The backward pass reverses the loop by
    recursively advancing from the last stored state to an optimally placed checkpoint
    (``revolve_split``), so the number of recomputed steps is minimal for the memory allowed.
    """
    if n_steps <= 0:
        return state
    leaves, in_td = tree_flatten((state,))

    def advance(x, k):
        for _ in range(k):
            x = step(x)
        return x

    def run(*d):
        return advance(in_td.unflatten(list(d))[0], n_steps)

    def fwd(*d):
        return run(*d), d

    def reverse(x0, n, s, g):
        """Cotangent of x0 for ``n`` steps starting at x0, with ``s`` snapshots available."""
        from .._core.state import no_grad
        from .reverse import vjp
        if n == 1:
            _, pull = vjp(step, x0)
            return pull(g)[0]
        m = revolve_split(n, s)
        with no_grad():
            xm = advance(x0, m)
        g_m = reverse(xm, n - m, s - 1, g)
        return reverse(x0, m, s, g_m)

    def bwd(res, g):
        x0 = in_td.unflatten(list(res))[0]
        return (reverse(x0, n_steps, max(n_checkpoints - 1, 0), g),)

    info = _Info("checkpoint_loop", in_td, fun=run, fwd=fwd, bwd=bwd, owner=checkpoint_loop)
    outs = bind(custom_vjp_p, *[as_tensor(x) for x in leaves], info=info)
    return info.out_td.unflatten(list(outs[:info.n_out]))
