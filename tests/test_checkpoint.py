"""Checkpointing: ``checkpoint`` gives the same derivatives as the plain function (first and
second order, create_graph, jvp, vmap, closed-over weights); the memory account shows the
sqrt(L) scheme storing <= 2 sqrt(L) activations against O(L) without it; ``checkpoint_loop``
is exact and never holds more than ``n_checkpoints`` states; the binomial schedule's
recomputation count is the optimum found by dynamic programming."""
import functools
import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert._transforms.checkpoint import revolve_schedule, revolve_split

RNG = np.random.default_rng(3)
W1 = RNG.standard_normal((3, 4)) / 2
W2 = RNG.standard_normal((4, 3)) / 2
X = RNG.standard_normal(3)


def block(x):
    return wnp.sin(wnp.tanh(x @ W1) @ W2) * x


def loss(f, x):
    return (f(x) ** 2).sum()


CK = wg.checkpoint(block)


def test_values_and_first_order():
    np.testing.assert_allclose(CK(X).numpy(), block(X).numpy())
    np.testing.assert_allclose(wg.grad(lambda x: loss(CK, x))(X),
                               wg.grad(lambda x: loss(block, x))(X), rtol=1e-14)
    # imperative API
    t1, t2 = wg.tensor(X, requires_grad=True), wg.tensor(X, requires_grad=True)
    loss(CK, t1).backward()
    loss(block, t2).backward()
    np.testing.assert_allclose(t1.grad.numpy(), t2.grad.numpy(), rtol=1e-14)


def test_second_order_and_create_graph():
    H = wg.hessian(lambda x: loss(CK, x))(X)
    np.testing.assert_allclose(H, wg.hessian(lambda x: loss(block, x))(X), rtol=1e-12,
                               atol=1e-14)
    gg = wg.grad(lambda x: wg.grad(lambda u: loss(CK, u))(x).sum())(X)
    np.testing.assert_allclose(gg, H.sum(0), rtol=1e-12, atol=1e-14)
    # imperative double backward through create_graph
    for f in (CK, block):
        t = wg.tensor(X, requires_grad=True)
        (g,) = wg.autograd.grad(loss(f, t), t, create_graph=True)
        (g * g).sum().backward()
        if f is CK:
            got = t.grad.numpy()
        else:
            np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12)


def test_jvp_and_vmap():
    v = RNG.standard_normal(3)
    _, t1 = wg.jvp(CK, (X,), (v,))
    _, t2 = wg.jvp(block, (X,), (v,))
    np.testing.assert_allclose(t1, t2, rtol=1e-14)
    Xb = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(wg.vmap(CK)(Xb), wg.vmap(block)(Xb), rtol=1e-14)
    np.testing.assert_allclose(wg.vmap(wg.grad(lambda x: loss(CK, x)))(Xb),
                               wg.vmap(wg.grad(lambda x: loss(block, x)))(Xb), rtol=1e-13)
    np.testing.assert_allclose(wg.grad(lambda m: loss(wg.vmap(CK), m))(Xb),
                               wg.grad(lambda m: loss(wg.vmap(block), m))(Xb), rtol=1e-13)
    # forward over reverse under vmap
    hv = wg.vmap(lambda x: wg.hvp(lambda u: loss(CK, u), x, v))(Xb)
    hv_ref = wg.vmap(lambda x: wg.hvp(lambda u: loss(block, u), x, v))(Xb)
    np.testing.assert_allclose(hv, hv_ref, rtol=1e-12, atol=1e-14)


def test_closed_over_weights_get_gradients():
    def net(w1, w2, x, ck):
        f = lambda h: wnp.sin(wnp.tanh(h @ w1) @ w2) * h
        return loss(wg.checkpoint(f) if ck else f, x)

    g_ck = wg.grad(net, argnums=(0, 1, 2))(W1, W2, X, True)
    g_ref = wg.grad(net, argnums=(0, 1, 2))(W1, W2, X, False)
    for a, b in zip(g_ck, g_ref):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    # per-example gradients w.r.t. shared weights
    Xb = RNG.standard_normal((4, 3))
    pe_ck = wg.vmap(wg.grad(net), in_axes=(None, None, 0, None))(W1, W2, Xb, True)
    pe_ref = wg.vmap(wg.grad(net), in_axes=(None, None, 0, None))(W1, W2, Xb, False)
    np.testing.assert_allclose(pe_ck, pe_ref, rtol=1e-13)
    # second order w.r.t. a closed-over weight
    h_ck = wg.hessian(lambda w: net(w, W2, X, True))(W1)
    h_ref = wg.hessian(lambda w: net(w, W2, X, False))(W1)
    np.testing.assert_allclose(h_ck, h_ref, rtol=1e-11, atol=1e-13)
    # imperative: leaves and intermediate tensors that require grad
    w = wg.tensor(W1, requires_grad=True)
    w_half = w * 0.5
    out = wg.checkpoint(lambda h: wnp.tanh(h @ w_half).sum() + (w * w).sum())(wg.tensor(X))
    out.backward()
    expect = 0.5 * np.outer(X, 1 - np.tanh(X @ (0.5 * W1)) ** 2) + 2 * W1
    np.testing.assert_allclose(w.grad.numpy(), expect, rtol=1e-13)


def test_closure_over_a_transform_value_is_evaluated_directly():
    # the tangent of w reaches the function only through its closure
    def f(w):
        return wg.checkpoint(lambda x: wnp.sin(x * w))(X).sum()

    w0 = np.array(0.7)
    _, t = wg.jvp(f, (w0,), (np.array(1.0),))
    np.testing.assert_allclose(t, (np.cos(X * 0.7) * X).sum())
    np.testing.assert_allclose(wg.vmap(f)(np.array([0.1, 0.7])),
                               [np.sin(X * 0.1).sum(), np.sin(X * 0.7).sum()])


def test_pytrees_static_argnums_and_multiple_outputs():
    def f(p, x, mode):
        assert mode == "tanh"
        return {"a": wnp.tanh(p["w"] * x), "b": (p["w"] * x).sum()}

    ck = wg.checkpoint(f, static_argnums=(2,))
    p = {"w": RNG.standard_normal(3)}
    fl = lambda p_, x_, f_: (f_(p_, x_, "tanh")["a"] ** 2).sum() + f_(p_, x_, "tanh")["b"]
    g_ck = wg.grad(fl, argnums=(0, 1))(p, X, ck)
    g_ref = wg.grad(fl, argnums=(0, 1))(p, X, f)
    np.testing.assert_allclose(g_ck[0]["w"], g_ref[0]["w"], rtol=1e-14)
    np.testing.assert_allclose(g_ck[1], g_ref[1], rtol=1e-14)


# --- the sqrt(L) scheme and the memory account ------------------------------------------------------
L, WIDTH = 100, 8
WS = [RNG.standard_normal((WIDTH, WIDTH)) / 3 for _ in range(L)]
LAYERS = [functools.partial(lambda h, w: wnp.tanh(h @ w), w=w) for w in WS]
X0 = RNG.standard_normal((2, WIDTH))


def chain(h):
    for f in LAYERS:
        h = f(h)
    return h.sum()


def chain_ck(h):
    return wg.checkpoint_sequential(LAYERS, int(math.sqrt(L)), h).sum()


def test_checkpoint_sequential_memory_and_gradient():
    activations = lambda a: a.shape == X0.shape      # not the (WIDTH, WIDTH) weights
    with wg.memory.track(include=activations) as plain:
        g_plain = wg.grad(chain)(X0)
    with wg.memory.track(include=activations) as ck:
        g_ck = wg.grad(chain_ck)(X0)
    np.testing.assert_allclose(g_ck, g_plain, rtol=1e-13)
    assert plain.peak_count >= L                     # O(L): every layer's input
    assert ck.peak_count <= 2 * math.sqrt(L)         # O(sqrt L): boundaries + one segment
    assert ck.current_count == 0 and plain.current_count == 0   # all freed after backward
    # about one extra forward pass of compute: 2 forward ops per layer (matmul, tanh)
    assert ck.ops - plain.ops <= 2 * L
    assert ck.peak_bytes < plain.peak_bytes / 4
    # the recomputation is built only in the backward pass: after the forward pass only the
    # segment boundaries (and the last, unchecked segment) are held
    with wg.memory.track(include=activations) as fw:
        out = chain_ck(wg.tensor(X0, requires_grad=True))
        held = fw.current_count
        out.backward()
    assert held <= 2 * math.sqrt(L) and fw.peak_count <= 2 * math.sqrt(L)


def test_memory_account_counts_and_frees():
    x = wg.tensor(np.ones(1000), requires_grad=True)
    with wg.memory.track() as m:
        y = wnp.exp(x)           # saves its output
        z = (y * x).sum()        # saves y and x
        assert m.current_count == 2 and m.current_bytes == 2 * 8000
        z.backward()
        assert m.current_count == 0
    assert m.peak_count == 2 and m.peak_bytes == 16000
    with wg.memory.track() as m2:
        y = wnp.exp(x) * x
        del y                    # dropping the graph frees what it saved
        assert m2.current_count == 0


def test_checkpoint_sequential_arguments():
    np.testing.assert_allclose(wg.checkpoint_sequential(LAYERS[:3], 3, X0).numpy(),
                               LAYERS[2](LAYERS[1](LAYERS[0](X0))).numpy())
    with pytest.raises(ValueError, match="segments"):
        wg.checkpoint_sequential(LAYERS[:3], 4, X0)
    with pytest.raises(ValueError, match="segments"):
        wg.checkpoint_sequential(LAYERS[:3], 0, X0)


# --- checkpoint_loop and the binomial schedule ------------------------------------------------------
A = RNG.standard_normal((3, 3)) / 2


def step(x):
    return wnp.tanh(x @ A) + 0.1 * x


def unrolled(x, n):
    for _ in range(n):
        x = step(x)
    return x


@pytest.mark.parametrize("n_steps,n_checkpoints", [(1, 1), (5, 1), (7, 2), (10, 3), (12, 12),
                                                   (20, 4), (9, 30)])
def test_checkpoint_loop_exact_gradients_and_stored_states(n_steps, n_checkpoints):
    f = lambda x: (wg.checkpoint_loop(step, x, n_steps, n_checkpoints) ** 2).sum()
    ref = lambda x: (unrolled(x, n_steps) ** 2).sum()
    np.testing.assert_allclose(f(X).numpy(), ref(X).numpy(), rtol=1e-15)
    with wg.memory.track() as m:
        g = wg.grad(f)(X)
    np.testing.assert_allclose(g, wg.grad(ref)(X), rtol=1e-13)
    # the initial state is one of the checkpoints, held by the loop's node
    assert m.peak_checkpoints <= n_checkpoints - 1
    assert m.peak_checkpoints == _simulate(n_steps, n_checkpoints)[1] - 1
    assert m.current_count == 0 and m.checkpoints == 0


def test_checkpoint_loop_higher_order_pytree_state_and_weights():
    def f(x, a, n_ck):
        s = {"h": x, "c": x * 0.5}
        step_ = lambda st: {"h": wnp.tanh(st["h"] @ a) + st["c"], "c": st["c"] * 0.9}
        out = wg.checkpoint_loop(step_, s, 6, n_ck) if n_ck else functools.reduce(
            lambda st, _: step_(st), range(6), s)
        return (out["h"] ** 2).sum() + out["c"].sum()

    for n_ck in (1, 2, 6):
        gx, ga = wg.grad(f, argnums=(0, 1))(X, A, n_ck)
        rx, ra = wg.grad(f, argnums=(0, 1))(X, A, 0)
        np.testing.assert_allclose(gx, rx, rtol=1e-13)
        np.testing.assert_allclose(ga, ra, rtol=1e-13)          # closed-over weights
    H = wg.hessian(lambda x: f(x, A, 2))(X)
    np.testing.assert_allclose(H, wg.hessian(lambda x: f(x, A, 0))(X), rtol=1e-11, atol=1e-13)
    _, t = wg.jvp(lambda x: f(x, A, 3), (X,), (np.ones(3),))
    _, r = wg.jvp(lambda x: f(x, A, 0), (X,), (np.ones(3),))
    np.testing.assert_allclose(t, r, rtol=1e-13)


@functools.cache
def optimal_recomputations(n, c):
    """The fewest recomputed steps to reverse n steps holding at most c states (the start
    included), by brute-force dynamic programming over the first stored position m."""
    if n <= 1:
        return 0
    if c == 1:                     # no free slot: recompute every state from the start
        return n * (n - 1) // 2
    return min(m + optimal_recomputations(n - m, c - 1) + optimal_recomputations(m, c)
               for m in range(1, n))


def _simulate(n, c):
    """Recomputed steps, the most states held, and the order of the adjoint steps."""
    cost, live, peak, order = 0, 1, 1, []
    for action in revolve_schedule(n, c):
        if action[0] == "store":
            cost += action[2] - action[1]
            live += 1
            peak = max(peak, live)
        elif action[0] == "adjoint":
            cost += action[2] - action[1]
            order.append(action[2])
        else:
            live -= 1
    return cost, peak, order


@pytest.mark.parametrize("c", [1, 2, 3, 4, 6])
def test_revolve_schedule_is_optimal(c):
    for n in range(1, 41):
        cost, peak, order = _simulate(n, c)
        assert order == list(range(n - 1, -1, -1))       # every step reversed once, in order
        assert peak <= c
        assert cost == optimal_recomputations(n, c), (n, c)


def test_revolve_split_closed_form():
    # Griewank's cost: t n - beta(c + 1, t - 1), with beta(c, t - 1) < n <= beta(c, t)
    beta = lambda c, t: math.comb(c + t, c)
    for c in (2, 3, 5):
        for n in (2, 10, 35, 56, 57, 100):
            t = 0
            while beta(c, t) < n:
                t += 1
            assert _simulate(n, c)[0] == t * n - beta(c + 1, t - 1)
    assert revolve_split(10, 9) == 1          # enough memory: store every state
    assert 1 <= revolve_split(1000, 1) < 1000


def test_checkpoint_loop_counts_step_evaluations():
    calls = [0]

    def counted(x):
        calls[0] += 1
        return step(x)

    n, c = 16, 3
    wg.grad(lambda x: wg.checkpoint_loop(counted, x, n, c).sum())(X)
    # forward n, recomputation (the optimum), and one recorded evaluation per adjoint step
    assert calls[0] == n + optimal_recomputations(n, c) + n


def test_checkpoint_loop_arguments():
    np.testing.assert_allclose(np.asarray(wg.checkpoint_loop(step, X, 0, 1)), X)
    with pytest.raises(ValueError, match="n_checkpoints"):
        wg.checkpoint_loop(step, X, 3, 0)
    with pytest.raises(ValueError, match="n_steps"):
        wg.checkpoint_loop(step, X, -1, 2)
