"""Checkpointing (rematerialisation): trade compute for memory.

``checkpoint(fun)`` runs ``fun`` without recording (so none of its intermediate values are
saved) and keeps only its inputs; the backward pass re-runs ``fun`` with recording on and
pulls the cotangent through it.  The recomputation is built only in the backward pass, so
peak memory is the checkpointed inputs plus one segment's activations.  It is one application
of the custom_vjp primitive with the natural forward rule, so it composes with jvp, vmap,
nested grad and ``create_graph``.

Values that ``fun`` closes over and that require grad (a layer's weights) are found while the
forward pass runs and become extra inputs of the primitive: the backward pass returns their
cotangents too (during the recomputation each one stands behind a private alias node, where
the inner backward pass stops).  A function that closes over a value of an active transform
(a jvp or vmap tracer) is evaluated directly instead, without checkpointing.

``checkpoint_sequential(functions, segments, x)``: the chapter's sqrt(L) scheme.
``checkpoint_loop(step, state, n_steps, n_checkpoints)``: Griewank's binomial (Revolve)
schedule for an n-step loop with a fixed number of stored states; ``revolve_schedule`` lists
its actions and ``revolve_split`` is the placement rule.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from .._core import memory as _memory
from .._core import primitive as _prim
from .._core.graph import backward_pass, edge_of, record
from .._core.primitive import bind
from .._core.state import enable_grad, new_level, no_grad, state
from .._core.tensor import Tensor, concrete_value
from .._core.trace import Tracer
from .._errors import WengertError
from .._tree import tree_flatten
from ._util import as_tensor
from .custom import _Info, custom_vjp_p


# --- closures: which tensors does a function read besides its arguments? ---------------------------
def _payload_ids(values, into):
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor) and id(v) not in into:
            into.add(id(v))
            if isinstance(v, Tracer):
                stack.extend(v._payload())


def _discover(fn, leaves):
    """Run ``fn(*leaves)`` without recording.  Returns ``(out, free)``: ``free`` lists the
    tensors ``fn`` read that are neither its arguments nor computed by it and that require
    grad, or is None when ``fn`` read a value of an active transform (a tracer)."""
    internal = set()
    _payload_ids(leaves, internal)
    seen = {}

    def observe(prim, args, params, out):
        for a in args:
            if isinstance(a, Tensor) and id(a) not in internal:
                seen.setdefault(id(a), a)
        _payload_ids(out if isinstance(out, tuple) else (out,), internal)

    start = new_level()
    _prim._observers.append(observe)
    try:
        with no_grad():
            out = fn(*leaves)
    finally:
        _prim._observers.remove(observe)
    free = []
    for k, a in seen.items():
        if k in internal:
            continue
        if isinstance(a, Tracer) and a._trace.active:
            return out, None
        if a._rg and not (a.grad_fn is None and a._birth >= start):
            free.append(a)
    return out, free


class _Shadow:
    """While active, each tensor in ``free`` looks like the output of a fresh alias node (whose
    input is the tensor's real graph position), so a backward pass over a recomputation can
    stop there and read the tensor's cotangent without touching the enclosing graph."""

    def __init__(self, free):
        self.free = free
        self.edges = []
        self._saved = []

    def __enter__(self):
        from .reverse import alias_p
        for w in self.free:
            self._saved.append((w, w.grad_fn, w._output_nr))
            a = record(alias_p, (w,), {}, w._alias())
            w.grad_fn, w._output_nr = a.grad_fn, 0
            self.edges.append((a.grad_fn, 0))
        return self

    def __exit__(self, *exc):
        for w, fn, nr in self._saved:
            w.grad_fn, w._output_nr = fn, nr
        return False


def _input(x):
    """``x`` as an input of a recomputation: connected to ``x``'s graph through an alias
    node while recording (higher order), else a new leaf.  Its cotangent is read at the
    alias node or the leaf, where the backward pass over the recomputation stops."""
    from .reverse import alias_p
    if x._rg and state.grad_enabled:
        return bind(alias_p, x)
    y = x._alias()
    y._rg = True
    y._birth = new_level()
    return y


def _pull(fn, xs, free, shadow, g_leaves):
    """Re-run ``fn(*xs)`` recorded and pull the cotangents ``g_leaves`` (one per output leaf)
    back to ``xs`` and to the closed-over tensors ``free`` (shadowed by ``shadow``)."""
    create = state.grad_enabled or any(isinstance(g, Tensor) and g._rg for g in g_leaves)
    with enable_grad():
        ys = [_input(as_tensor(x)) for x in xs]
        out = fn(*ys)
    o_leaves = tree_flatten(out)[0]
    roots, cts = [], []
    for o, g in zip(o_leaves, g_leaves):
        if g is None or not isinstance(o, Tensor) or not o._rg:
            continue
        roots.append(edge_of(o))
        cts.append(as_tensor(g))
    targets = [edge_of(y) for y in ys] + list(shadow.edges)
    if roots:
        got = backward_pass(roots, cts, targets, retain_graph=create, create_graph=create,
                            accumulate=False)
    else:
        got = [None] * len(targets)
    if not create:
        got = [g.detach() if isinstance(g, Tensor) and g._rg else g for g in got]
    return got[:len(ys)], got[len(ys):]


def _cache_of(o_leaves, r_leaves):
    """The impl's result from values computed by the caller, when they are concrete."""
    try:
        return tuple(np.asarray(concrete_value(x)) for x in list(o_leaves) + list(r_leaves))
    except WengertError:
        return None


# --- checkpoint ------------------------------------------------------------------------------------
def checkpoint(fun, *, static_argnums=()):
    """Wrap ``fun`` so its activations are recomputed in the backward pass, not stored.

    Only the inputs are kept for backward (and the outputs, which the next operation keeps
    anyway); the cost is one extra forward evaluation of ``fun`` during backward.  Gradients
    are identical to those of ``fun``, to any order, in every mode.  Arguments listed in
    ``static_argnums`` (options, callables) are passed through unchanged.

    Example::

        y = wg.checkpoint(lambda h: wnp.tanh(h @ W1) @ W2)(x)
    """
    static_argnums = tuple(static_argnums)

    @functools.wraps(fun)
    def wrapped(*args):
        static = {i: args[i] for i in static_argnums}
        dyn = tuple(a for i, a in enumerate(args) if i not in static)
        leaves, in_td = tree_flatten(dyn)
        leaves = [as_tensor(x) for x in leaves]
        n = len(leaves)

        def call(*d):
            it = iter(in_td.unflatten(list(d[:n])))
            return fun(*[static[i] if i in static else next(it) for i in range(len(args))])

        out, free = _discover(call, leaves)
        if free is None:  # fun reads a traced value it was not given: just evaluate it
            return fun(*args)
        o_leaves, out_td = tree_flatten(out)

        def fwd(*d):
            return call(*d), tuple(d[:n])

        def bwd(res, g):
            with _Shadow(free) as sh:
                gx, gw = _pull(call, list(res), free, sh, tree_flatten(g)[0])
            return tuple(gx) + tuple(gw)

        return _bind_recomputed(f"checkpoint({getattr(fun, '__name__', 'f')})", wrapped, call,
                                fwd, bwd, leaves, free, o_leaves, out_td)

    return wrapped


def checkpoint_sequential(functions, segments, x):
    """Run ``functions`` in order on ``x``, checkpointing ``segments`` consecutive groups:
    only the segment boundaries are stored; each segment's activations are recomputed in
    backward (the last segment, where backward starts, is run normally).  With
    ``segments = sqrt(L)`` this is the chapter's O(sqrt(L)) memory scheme: at most about
    ``2 sqrt(L)`` activations are stored at once, for about one extra forward pass of
    compute."""
    functions = list(functions)
    n = len(functions)
    if not isinstance(segments, (int, np.integer)) or not 1 <= segments <= max(n, 1):
        raise ValueError(f"checkpoint_sequential: segments must be an integer in [1, {n}] "
                         f"(the number of groups of the {n} functions), got {segments!r}")
    size = math.ceil(n / segments)

    def run(fs):
        def segment(y):
            for f in fs:
                y = f(y)
            return y
        return segment

    starts = list(range(0, n, size))
    for start in starts[:-1]:
        x = checkpoint(run(functions[start:start + size]))(x)
    # the last segment is not checkpointed (as in PyTorch): backward starts there at once,
    # so recomputing it would cost time and save no memory at the peak
    return run(functions[starts[-1]:])(x) if starts else x


# --- binomial checkpointing (Revolve) --------------------------------------------------------------
def _beta(c, t):
    """The binomial ``C(c + t, c)``: the most steps that ``c`` stored states reverse when no
    step is evaluated more than ``t + 1`` times (Griewank)."""
    if c < 0 or t < 0:
        return 0
    return math.comb(c + t, c)


def revolve_split(n, s):
    """Where to store the next state when ``n`` steps must be reversed from a stored state
    with ``s`` more states allowed: advance ``m`` steps (``1 <= m < n``) so that the total
    number of recomputed steps is minimal (Griewank's binomial rule).

    With ``c = s + 1`` states counting the current one and ``t`` the smallest integer with
    ``beta(c, t) >= n``: ``m = max(1, min(beta(c, t - 1), n - beta(c - 1, t - 1)))``, which
    leaves ``n - m`` steps reversible by ``c - 1`` states and ``m`` steps by ``c`` states
    within the optimal cost ``t n - beta(c + 1, t - 1)``.
    """
    if n <= 1:
        return 1
    if s <= 0:
        return n - 1
    c = s + 1
    t = 0
    while _beta(c, t) < n:
        t += 1
    return max(1, min(_beta(c, t - 1), n - _beta(c - 1, t - 1), n - 1))


def revolve_schedule(n_steps, n_checkpoints):
    """The binomial schedule that reverses ``n_steps`` steps holding at most
    ``n_checkpoints`` states (the initial one included), as a list of actions:

    * ``("store", i, j)``: advance from stored state ``i`` to state ``j`` and store it;
    * ``("adjoint", i, k)``: advance from stored state ``i`` to state ``k`` (not stored) and
      take the adjoint of step ``k`` (state ``k`` -> ``k + 1``), recording that one step;
    * ``("drop", j)``: state ``j`` is no longer needed.

    The number of advanced (recomputed) steps is the minimum possible for the memory allowed.
    """
    if n_checkpoints < 1:
        raise ValueError(f"checkpoint_loop: n_checkpoints must be at least 1 (the initial "
                         f"state), got {n_checkpoints}")
    actions = []
    snaps = [0]
    end = n_steps
    while end > 0:
        top = snaps[-1]
        free = n_checkpoints - len(snaps)
        if top == end - 1 or free == 0:
            actions.append(("adjoint", top, end - 1))
            end -= 1
            if top == end and top != 0:
                snaps.pop()
                actions.append(("drop", top))
            continue
        m = revolve_split(end - top, free)
        snaps.append(top + m)
        actions.append(("store", top, top + m))
    return actions


def checkpoint_loop(step, state, n_steps, n_checkpoints):
    """``state <- step(state)`` repeated ``n_steps`` times, differentiable while storing at
    most ``n_checkpoints`` states (the initial one included), by the binomial (Revolve)
    schedule.

    The forward pass stores only the initial state.  The backward pass follows
    ``revolve_schedule``: it advances from stored states to optimally placed new ones and
    reverses one step at a time, so the number of recomputed steps is the minimum for the
    memory allowed (``n_checkpoints = n_steps`` recomputes each step once; one checkpoint
    recomputes from the start for every step).  ``state`` may be a pytree; tensors that
    ``step`` closes over and that require grad (weights) get their gradients too.
    """
    n_steps = int(n_steps)
    if n_steps < 0:
        raise ValueError(f"checkpoint_loop: n_steps must be >= 0, got {n_steps}")
    if int(n_checkpoints) < 1:
        raise ValueError(f"checkpoint_loop: n_checkpoints must be at least 1 (the initial "
                         f"state), got {n_checkpoints}")
    if n_steps == 0:
        return state
    leaves, in_td = tree_flatten((state,))
    leaves = [as_tensor(x) for x in leaves]
    n = len(leaves)

    def unpack(d):
        return in_td.unflatten(list(d))[0]

    def advance(x, k):
        for _ in range(k):
            x = step(x)
        return x

    def run(*d):
        return advance(unpack(d[:n]), n_steps)

    out, free = _discover(run, leaves)
    if free is None:  # step reads a traced value it was not given: just evaluate the loop
        return advance(state, n_steps)
    o_leaves, out_td = tree_flatten(out)
    k_free = len(free)

    def fwd(*d):
        return run(*d), tuple(d[:n])

    def one_step(*d):
        return step(unpack(d))

    def bwd(res, g):
        states = {0: unpack(res)}
        holds = {}
        g_leaves = tree_flatten(g)[0]
        g_free = [None] * k_free
        with _Shadow(free) as sh, _Holds(holds):
            for action in revolve_schedule(n_steps, int(n_checkpoints)):
                kind = action[0]
                if kind == "store":
                    _, i, j = action
                    states[j] = advance(states[i], j - i)
                    holds[j] = _memory.hold(tree_flatten(states[j])[0])
                elif kind == "adjoint":
                    _, i, k = action
                    xk = advance(states[i], k - i)
                    gx, gw = _pull(one_step, tree_flatten(xk)[0], free, sh, g_leaves)
                    g_leaves = [c if c is not None else _zeros(x)
                                for c, x in zip(gx, tree_flatten(xk)[0])]
                    g_free = [a if b is None else b if a is None else a + b
                              for a, b in zip(g_free, gw)]
                    del xk
                else:
                    _, j = action
                    del states[j]
                    holds.pop(j).release()
        return tuple(g_leaves) + tuple(g_free)

    return _bind_recomputed("checkpoint_loop", checkpoint_loop, run, fwd, bwd, leaves, free,
                            o_leaves, out_td)


def _bind_recomputed(name, owner, fun, fwd, bwd, leaves, free, o_leaves, out_td):
    """Bind the custom-VJP primitive for a recomputing rule whose residuals are its first
    ``len(leaves)`` inputs (``free`` are closed-over values that require grad), reusing the
    outputs ``o_leaves`` already computed."""
    n = len(leaves)
    flat_td = tree_flatten(tuple(range(n + len(free))))[1]
    info = _Info(name, flat_td, fun=fun, fwd=fwd, bwd=bwd, owner=owner)
    info.out_td, info.n_out = out_td, len(o_leaves)
    info.res_td = tree_flatten(tuple(range(n)))[1]
    info.res_inputs = n
    info.cache = _cache_of(o_leaves, leaves)
    outs = bind(custom_vjp_p, *leaves, *free, info=info)
    info.cache = None
    return info.out_td.unflatten(list(outs[:info.n_out]))


class _Holds:
    """Releases whatever snapshots are still counted when the backward pass ends (normally
    none; all of them if it raised)."""

    def __init__(self, holds):
        self.holds = holds

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for h in self.holds.values():
            h.release()
        self.holds.clear()
        return False


def _zeros(x):
    from .._core.state import lib
    x = as_tensor(x)
    return lib.zeros(x.shape, x.dtype)
