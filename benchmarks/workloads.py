"""The benchmark workloads W1-W7 of issue 5.

Each timed workload is a ``Case``: a row label, the name of the implementation it times, the
input data and the hand-written NumPy result that every implementation is checked against
before it is timed.  Each library supplies a dict of implementations under the same names
("W1", "W2", "W3", "W4f", "W4r", "W5f", "W5g", "W6"), all taking and returning NumPy arrays:

    numpy        hand-written forward and backward passes (the reference and the baseline)
    wengert      wengert eager
    wengert-jit  wg.jit of the same functions (default backend "auto")
    torch        PyTorch eager on the CPU
    jax          JAX without jit (jax.grad etc. dispatch op by op)
    jax-jit      jax.jit of the same functions
    autograd     HIPS autograd

W7 (memory of a deep MLP gradient, with and without checkpointing) is measured for wengert
only, by ``w7_memory``.  ``SIZES["tiny"]`` are small inputs for the test suite.
"""
from __future__ import annotations

import functools
import itertools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

SEED = 0

SIZES = {
    # w1: (n, steps), 4 elementwise ops per step; w2: (batch, layer widths);
    # w4: (n, m) pairs, W is m x n; w6: (steps, hidden, batch, input width);
    # w7: (layers, width, batch)
    "full": {"w1": (16, 50), "w2": (128, (784, 512, 512, 10)), "w3": 10**5,
             "w4": ((8, 2000), (2000, 8)), "w5": (10**3, 10**5, 10**7),
             "w6": (100, 64, 8, 32), "w7": (100, 1024, 16)},
    "tiny": {"w1": (4, 5), "w2": (6, (7, 5, 4, 3)), "w3": 20,
             "w4": ((3, 5), (5, 3)), "w5": (10, 100, 1000),
             "w6": (4, 5, 2, 3), "w7": (6, 8, 2)},
}


def _n(n):
    """1000 -> '1e3' (powers of ten), other sizes as they are."""
    e = round(math.log10(n))
    return f"1e{e}" if 10**e == n else str(n)


# --- data (cached: the f and grad cases of W5, and W4's two modes, share their inputs) -------------
@functools.cache
def w1_data(n, steps):
    return (np.random.default_rng(SEED).uniform(-1, 1, n),)


@functools.cache
def w2_data(batch, sizes):
    rng = np.random.default_rng(SEED)
    params = []
    for a, b in itertools.pairwise(sizes):
        params.append((rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32))
        params.append(np.zeros(b, np.float32))
    X = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    Y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], batch)]
    return params, X, Y


@functools.cache
def w3_data(n):
    rng = np.random.default_rng(SEED)
    return rng.standard_normal(n), rng.standard_normal(n)


@functools.cache
def w4_data(n, m):
    rng = np.random.default_rng(SEED)
    return rng.standard_normal((m, n)) / np.sqrt(n), rng.standard_normal(n)


@functools.cache
def w5_data(n):
    return (np.random.default_rng(SEED).standard_normal(n),)


@functools.cache
def w6_data(steps, hidden, batch, width):
    rng = np.random.default_rng(SEED)
    W = rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    U = rng.standard_normal((width, hidden)) / np.sqrt(width)
    xs = rng.standard_normal((steps, batch, width))
    h0 = np.zeros((batch, hidden))
    return W, U, xs, h0


# --- hand-written NumPy: forward functions and their gradients --------------------------------------
# W1: f(x) = sum(y), y = steps x [x <- tanh(sin(x) * 1.01 + 0.1)]
def w1_f_numpy(x, steps):
    for _ in range(steps):
        x = np.tanh(np.sin(x) * 1.01 + 0.1)
    return np.sum(x)


def w1_numpy(x, steps):
    saved = []
    for _ in range(steps):
        s = x
        x = np.sin(x)
        x = x * 1.01
        x = x + 0.1
        x = np.tanh(x)
        saved.append((s, x))
    g = np.ones_like(x)
    for s, t in reversed(saved):
        g = g * (1 - t * t)
        g = g * 1.01
        g = g * np.cos(s)
    return g


def w2_loss_numpy(params, X, Y):
    W1, b1, W2, b2, W3, b3 = params
    a2 = np.tanh(np.tanh(X @ W1 + b1) @ W2 + b2)
    z = a2 @ W3 + b3
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -np.mean(np.sum(Y * log_p, axis=1))


def w2_numpy(params, X, Y):
    W1, b1, W2, b2, W3, b3 = params
    a1 = np.tanh(X @ W1 + b1)
    a2 = np.tanh(a1 @ W2 + b2)
    z = a2 @ W3 + b3
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    dz = (p - Y) / X.shape[0]
    gW3 = a2.T @ dz
    gb3 = dz.sum(0)
    da2 = (dz @ W3.T) * (1 - a2 * a2)
    gW2 = a1.T @ da2
    gb2 = da2.sum(0)
    da1 = (da2 @ W2.T) * (1 - a1 * a1)
    gW1 = X.T @ da1
    gb1 = da1.sum(0)
    return [gW1, gb1, gW2, gb2, gW3, gb3]


# W3: f(x) = sum(sin x) + (sum x)^2 / 2, so H v = -sin(x) v + sum(v)
def w3_grad_numpy(x):
    return np.cos(x) + np.sum(x)


def w3_numpy(x, v):
    return -np.sin(x) * v + v.sum()


# W4: the Jacobian of tanh(W x) with respect to x: diag(1 - tanh^2) W
def w4_f_numpy(W, x):
    return np.tanh(W @ x)


def w4_numpy(W, x):
    t = np.tanh(W @ x)
    return (1 - t * t)[:, None] * W


# W5: f(x) = sum(sin(x) exp(-x^2))
def w5_f_numpy(x):
    return np.sum(np.sin(x) * np.exp(-x * x))


def w5_numpy(x):
    e = np.exp(-x * x)
    return (np.cos(x) - 2 * x * np.sin(x)) * e


# W6: f(W, U) = sum(h_T), h_t = tanh(h_{t-1} W + x_t U)
def w6_loss_numpy(W, U, xs, h0):
    h = h0
    for x in xs:
        h = np.tanh(h @ W + x @ U)
    return np.sum(h)


def w6_numpy(W, U, xs, h0):
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(hs[-1] @ W + x @ U))
    g = np.ones_like(h0)
    gW = np.zeros_like(W)
    gU = np.zeros_like(U)
    for t in range(len(xs) - 1, -1, -1):
        da = g * (1 - hs[t + 1] * hs[t + 1])
        gW += hs[t].T @ da
        gU += xs[t].T @ da
        g = da @ W.T
    return gW, gU


def numpy_impls(size="full"):
    steps = SIZES[size]["w1"][1]
    return {"W1": lambda x: w1_numpy(x, steps), "W2": w2_numpy, "W3": w3_numpy, "W4f": w4_numpy, "W4r": w4_numpy,
            "W5f": w5_f_numpy, "W5g": w5_numpy, "W6": w6_numpy}


# --- the cases ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    label: str                      # the table row
    impl: str                       # key in each library's implementation dict
    data: Callable[[], tuple]       # the positional arguments
    reference: Callable             # the hand-written NumPy implementation
    rtol: float                     # tolerance of the check against the NumPy result


def cases(size="full"):
    s = SIZES[size]
    ref = numpy_impls(size)
    n1, steps = s["w1"]
    batch, widths = s["w2"]
    T, H, B, D = s["w6"]
    out = [
        Case(f"W1 grad, {4 * steps} elementwise ops, n={n1}", "W1",
             lambda: w1_data(n1, steps), ref["W1"], 1e-10),
        Case(f"W2 MLP grad, batch {batch}, {'-'.join(map(str, widths))}, f32", "W2",
             lambda: w2_data(batch, widths), ref["W2"], 1e-3),
        Case(f"W3 HVP, n={_n(s['w3'])}", "W3", lambda: w3_data(s["w3"]), ref["W3"],
             1e-8),
    ]
    for mode, name in (("f", "jacfwd"), ("r", "jacrev")):
        for n, m in s["w4"]:
            out.append(Case(f"W4 {name} tanh(Wx), n={n}, m={m}", "W4" + mode,
                            lambda n=n, m=m: w4_data(n, m), ref["W4" + mode], 1e-8))
    for n in s["w5"]:  # f next to grad: the grad/f ratio pairs measurements made together
        for kind, name in (("f", "f"), ("g", "grad")):
            out.append(Case(f"W5 {name}, n={_n(n)}", "W5" + kind,
                            lambda n=n: w5_data(n), ref["W5" + kind], 1e-8))
    out.append(Case(f"W6 RNN grad, {T} steps, hidden {H}, batch {B}", "W6",
                    lambda: w6_data(T, H, B, D), ref["W6"], 1e-8))
    return out


def w5_pairs(size="full"):
    """(label of the ratio row, label of the f case, label of the grad case) for each n."""
    return [(f"W5 grad/f, n={_n(n)}", f"W5 f, n={_n(n)}", f"W5 grad, n={_n(n)}")
            for n in SIZES[size]["w5"]]


def check(label, got, ref, rtol):
    """Raise AssertionError unless ``got`` matches the hand-written NumPy result ``ref``: same
    number of arrays, same shapes, and equal up to ``rtol`` relative to each array's largest
    entry."""
    got = [np.asarray(g) for g in (got if isinstance(got, (list, tuple)) else [got])]
    ref = [np.asarray(r) for r in (ref if isinstance(ref, (list, tuple)) else [ref])]
    if len(got) != len(ref):
        raise AssertionError(f"{label}: returned {len(got)} arrays, the hand-written NumPy "
                             f"gradient has {len(ref)}")
    for i, (g, r) in enumerate(zip(got, ref)):
        if g.shape != r.shape:
            raise AssertionError(f"{label}: result {i} has shape {g.shape}, the hand-written "
                                 f"NumPy one has shape {r.shape}")
        scale = float(np.abs(r).max()) if r.size else 0.0
        if not np.allclose(g, r, rtol=rtol, atol=rtol * scale + 1e-300):
            raise AssertionError(f"{label}: result {i} differs from the hand-written NumPy one "
                                 f"(max abs diff {np.abs(g - r).max():.3e}, largest entry "
                                 f"{scale:.3e}, rtol {rtol})")


# --- wengert ------------------------------------------------------------------------------------------
def wengert_impls(size="full", jit=False):
    import wengert as wg
    import wengert.numpy as wnp

    steps = SIZES[size]["w1"][1]
    compile_ = wg.jit if jit else (lambda f: f)

    def w1(x):
        for _ in range(steps):
            x = wnp.tanh(wnp.sin(x) * 1.01 + 0.1)
        return wnp.sum(x)

    def mlp_loss(params, X, Y):
        W1, b1, W2, b2, W3, b3 = params
        a2 = wnp.tanh(wnp.tanh(X @ W1 + b1) @ W2 + b2)
        z = a2 @ W3 + b3
        return -wnp.mean(wnp.sum(Y * wnp.log_softmax(z, axis=1), axis=1))

    def w3(x):
        return wnp.sum(wnp.sin(x)) + 0.5 * wnp.sum(x) ** 2

    def tanh_wx(W, x):
        return wnp.tanh(W @ x)

    def w5(x):
        return wnp.sum(wnp.sin(x) * wnp.exp(-x * x))

    def rnn_loss(W, U, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = wnp.tanh(h @ W + xs[t] @ U)
        return wnp.sum(h)

    return {
        "W1": compile_(wg.grad(w1)),
        "W2": compile_(wg.grad(mlp_loss)),
        "W3": compile_(lambda x, v: wg.hvp(w3, x, v)),
        "W4f": compile_(wg.jacfwd(tanh_wx, argnums=1)),
        "W4r": compile_(wg.jacrev(tanh_wx, argnums=1)),
        "W5f": compile_(w5),
        "W5g": compile_(wg.grad(w5)),
        "W6": compile_(wg.grad(rnn_loss, argnums=(0, 1))),
    }


# --- peers (when installed: pip install wengert[bench]) ---------------------------------------
def torch_impls(size="full"):
    import torch

    steps = SIZES[size]["w1"][1]
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # only possible before the first parallel work
        pass

    def leaf(a):
        return torch.from_numpy(a).requires_grad_()

    T = torch.from_numpy

    def w1(x):
        x = leaf(x)
        y = x
        for _ in range(steps):
            y = torch.tanh(torch.sin(y) * 1.01 + 0.1)
        y.sum().backward()
        return x.grad.numpy()

    def w2(params, X, Y):
        ps = [leaf(p) for p in params]
        W1, b1, W2, b2, W3, b3 = ps
        a2 = torch.tanh(torch.tanh(T(X) @ W1 + b1) @ W2 + b2)
        z = a2 @ W3 + b3
        loss = -(T(Y) * torch.log_softmax(z, 1)).sum(1).mean()
        loss.backward()
        return [p.grad.numpy() for p in ps]

    def w3(x, v):
        xt = leaf(x)
        f = torch.sin(xt).sum() + 0.5 * xt.sum() ** 2
        (g,) = torch.autograd.grad(f, xt, create_graph=True)
        (hv,) = torch.autograd.grad(g, xt, T(v))
        return hv.numpy()

    def tanh_wx(W, x):
        return torch.tanh(W @ x)

    jf = torch.func.jacfwd(tanh_wx, argnums=1)
    jr = torch.func.jacrev(tanh_wx, argnums=1)

    def w5f(x):
        xt = T(x)
        return (torch.sin(xt) * torch.exp(-xt * xt)).sum().item()

    def w5g(x):
        xt = leaf(x)
        (torch.sin(xt) * torch.exp(-xt * xt)).sum().backward()
        return xt.grad.numpy()

    def w6(W, U, xs, h0):
        Wt, Ut = leaf(W), leaf(U)
        h, xst = T(h0), T(xs)
        for t in range(xs.shape[0]):
            h = torch.tanh(h @ Wt + xst[t] @ Ut)
        h.sum().backward()
        return Wt.grad.numpy(), Ut.grad.numpy()

    return {"W1": w1, "W2": w2, "W3": w3,
            "W4f": lambda W, x: jf(T(W), T(x)).numpy(),
            "W4r": lambda W, x: jr(T(W), T(x)).numpy(),
            "W5f": w5f, "W5g": w5g, "W6": w6}


def jax_impls(size="full", jit=False):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    steps = SIZES[size]["w1"][1]
    compile_ = jax.jit if jit else (lambda f: f)

    def w1(x):
        for _ in range(steps):
            x = jnp.tanh(jnp.sin(x) * 1.01 + 0.1)
        return jnp.sum(x)

    def mlp_loss(params, X, Y):
        W1, b1, W2, b2, W3, b3 = params
        a2 = jnp.tanh(jnp.tanh(X @ W1 + b1) @ W2 + b2)
        z = a2 @ W3 + b3
        return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(z, axis=1), axis=1))

    def w3(x):
        return jnp.sum(jnp.sin(x)) + 0.5 * jnp.sum(x) ** 2

    def tanh_wx(W, x):
        return jnp.tanh(W @ x)

    def w5(x):
        return jnp.sum(jnp.sin(x) * jnp.exp(-x * x))

    def rnn_loss(W, U, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = jnp.tanh(h @ W + xs[t] @ U)
        return jnp.sum(h)

    def numpy_out(f):
        f = compile_(f)
        return lambda *a: jax.tree_util.tree_map(np.asarray, jax.block_until_ready(f(*a)))

    return {
        "W1": numpy_out(jax.grad(w1)),
        "W2": numpy_out(jax.grad(mlp_loss)),
        "W3": numpy_out(lambda x, v: jax.jvp(jax.grad(w3), (x,), (v,))[1]),
        "W4f": numpy_out(jax.jacfwd(tanh_wx, argnums=1)),
        "W4r": numpy_out(jax.jacrev(tanh_wx, argnums=1)),
        "W5f": numpy_out(w5),
        "W5g": numpy_out(jax.grad(w5)),
        "W6": numpy_out(jax.grad(rnn_loss, argnums=(0, 1))),
    }


def autograd_impls(size="full"):
    import autograd
    import autograd.numpy as anp

    steps = SIZES[size]["w1"][1]

    def w1(x):
        for _ in range(steps):
            x = anp.tanh(anp.sin(x) * 1.01 + 0.1)
        return anp.sum(x)

    def mlp_loss(params, X, Y):
        W1, b1, W2, b2, W3, b3 = params
        a2 = anp.tanh(anp.dot(anp.tanh(anp.dot(X, W1) + b1), W2) + b2)
        z = anp.dot(a2, W3) + b3
        z = z - anp.max(z, axis=1, keepdims=True)
        log_p = z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
        return -anp.mean(anp.sum(Y * log_p, axis=1))

    def w3(x):
        return anp.sum(anp.sin(x)) + 0.5 * anp.sum(x) ** 2

    def tanh_wx(W, x):
        return anp.tanh(anp.dot(W, x))

    def w5(x):
        return anp.sum(anp.sin(x) * anp.exp(-x * x))

    def rnn_loss(WU, xs, h0):
        W, U = WU
        h = h0
        for t in range(xs.shape[0]):
            h = anp.tanh(anp.dot(h, W) + anp.dot(xs[t], U))
        return anp.sum(h)

    def jacfwd(W, x):
        # autograd has forward mode (make_jvp) but no jacfwd: one JVP per input direction
        jvp = autograd.make_jvp(lambda y: tanh_wx(W, y))(x)
        return np.stack([jvp(e)[1] for e in np.eye(x.size)], axis=1)

    hvp = autograd.make_hvp(w3)
    g2 = autograd.grad(mlp_loss)
    g6 = autograd.grad(rnn_loss)
    return {
        "W1": autograd.grad(w1),
        "W2": lambda params, X, Y: g2(list(params), X, Y),
        "W3": lambda x, v: hvp(x)[0](v),
        "W4f": jacfwd,
        "W4r": autograd.jacobian(tanh_wx, 1),
        "W5f": w5,
        "W5g": autograd.grad(w5),
        "W6": lambda W, U, xs, h0: g6((W, U), xs, h0),
    }


IMPLS = {  # library -> factory(size) of its implementation dict
    "numpy": numpy_impls,
    "wengert": lambda size: wengert_impls(size, jit=False),
    "wengert-jit": lambda size: wengert_impls(size, jit=True),
    "torch": torch_impls,
    "jax": lambda size: jax_impls(size, jit=False),
    "jax-jit": lambda size: jax_impls(size, jit=True),
    "autograd": autograd_impls,
}
LIBS = tuple(IMPLS)


def versions(lib):
    """The versions of what ``lib`` runs on, e.g. {'torch': '2.3.0'} (NumPy's is reported
    separately)."""
    import importlib.metadata as md
    names = {"numpy": [], "wengert": ["wengert"], "wengert-jit": ["wengert", "numba", "numexpr"],
             "torch": ["torch"], "jax": ["jax", "jaxlib"], "jax-jit": ["jax", "jaxlib"],
             "autograd": ["autograd"]}[lib]
    out = {}
    for name in names:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    if "wengert" in names and "wengert" not in out:  # running from a source checkout
        import wengert
        out["wengert"] = getattr(wengert, "__version__", "?")
    return out


# --- W7: memory of a deep MLP gradient (wengert) ------------------------------------------------------
def w7_memory(layers, width, batch):
    """Peak memory of the gradient of a ``layers``-deep tanh MLP (width ``width``, float32), with
    and without ``checkpoint_sequential`` in sqrt(layers) segments.  Three measures: the
    activations wengert keeps for backward (arrays of the activations' shape, from
    ``wg.memory.track``), the traced NumPy peak above the starting point (tracemalloc: all
    allocations, temporaries included; weights allocated beforehand), and the time of one
    gradient (CPU and wall)."""
    import time
    import tracemalloc

    import wengert as wg
    import wengert.numpy as wnp

    rng = np.random.default_rng(SEED)
    Ws = [(rng.standard_normal((width, width)) / np.sqrt(width)).astype(np.float32)
          for _ in range(layers)]
    x = rng.standard_normal((batch, width)).astype(np.float32)
    fs = [(lambda h, W=W: wnp.tanh(h @ W)) for W in Ws]

    def plain(h):
        for f in fs:
            h = f(h)
        return wnp.sum(h)

    def checkpointed(h):
        return wnp.sum(wg.checkpoint_sequential(fs, max(1, round(math.sqrt(layers))), h))

    out = {}
    for name, fn in (("no checkpointing", plain), ("checkpoint_sequential", checkpointed)):
        g = wg.grad(fn)
        with wg.memory.track(include=lambda a: a.shape == x.shape) as m:
            g(x)
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        g(x)
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        w, c = time.perf_counter(), time.process_time()
        g(x)
        c, w = time.process_time() - c, time.perf_counter() - w
        out[name] = {"saved_activations_MB": m.peak_bytes / 1e6,
                     "saved_activation_arrays": m.peak_count,
                     "traced_peak_MB": peak / 1e6, "time_cpu_s": c, "time_wall_s": w}
    return out
