"""The benchmark workloads W1-W7 (issue 5), each as: data, a hand-written NumPy gradient (the
reference every other implementation is verified against), and implementations for each
library.  Imported by run.py in one process per library."""
from __future__ import annotations

import os

import numpy as np

SEED = 0


# --- data -----------------------------------------------------------------------------------------
def w1_data():
    return np.random.default_rng(SEED).uniform(-1, 1, 16)


def w2_data():
    rng = np.random.default_rng(SEED)
    sizes = [784, 512, 512, 10]
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params.append((rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32))
        params.append(np.zeros(b, np.float32))
    X = rng.standard_normal((128, 784)).astype(np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 128)]
    return params, X, Y


def w3_data(n=100_000):
    rng = np.random.default_rng(SEED)
    return rng.standard_normal(n), rng.standard_normal(n)


def w4_data(n, m):
    rng = np.random.default_rng(SEED)
    return rng.standard_normal((m, n)) / np.sqrt(n), rng.standard_normal(n)


def w5_data(n):
    return np.random.default_rng(SEED).standard_normal(n)


def w6_data():
    rng = np.random.default_rng(SEED)
    H, B, D, T = 64, 8, 32, 100
    W = (rng.standard_normal((H, H)) / np.sqrt(H))
    U = (rng.standard_normal((D, H)) / np.sqrt(D))
    xs = rng.standard_normal((T, B, D))
    h0 = np.zeros((B, H))
    return W, U, xs, h0


# --- hand-written NumPy gradients ---------------------------------------------------------------------
def w1_numpy(x):
    xs = []
    for _ in range(50):
        xs.append(x); x = np.sin(x)
        x = x * 1.01
        x = x + 0.1
        xs.append(x); x = np.tanh(x)
        xs.append(x)
    g = np.ones_like(x)
    for i in range(49, -1, -1):
        t = xs[3 * i + 2]
        g = g * (1 - t * t)
        g = g * 1.01
        g = g * np.cos(xs[3 * i])
    return g


def w2_numpy(params, X, Y):
    W1, b1, W2, b2, W3, b3 = params
    a1 = np.tanh(X @ W1 + b1)
    a2 = np.tanh(a1 @ W2 + b2)
    z = a2 @ W3 + b3
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    n = X.shape[0]
    dz = (p - Y) / n
    gW3 = a2.T @ dz
    gb3 = dz.sum(0)
    da2 = (dz @ W3.T) * (1 - a2 * a2)
    gW2 = a1.T @ da2
    gb2 = da2.sum(0)
    da1 = (da2 @ W2.T) * (1 - a1 * a1)
    gW1 = X.T @ da1
    gb1 = da1.sum(0)
    return [gW1, gb1, gW2, gb2, gW3, gb3]


def w3_numpy(x, v):
    # f(x) = sum(sin x) + 0.5 (sum x)^2 ;  H v = -sin(x) v + sum(v)
    return -np.sin(x) * v + v.sum()


def w4_numpy(W, x):
    t = np.tanh(W @ x)
    return (1 - t * t)[:, None] * W


def w5_f_numpy(x):
    return np.sum(np.sin(x) * np.exp(-x * x))


def w5_numpy(x):
    e = np.exp(-x * x)
    return np.cos(x) * e - 2 * x * np.sin(x) * e


def w6_numpy(W, U, xs, h0):
    hs = [h0]
    h = h0
    for x in xs:
        h = np.tanh(h @ W + x @ U)
        hs.append(h)
    g = np.ones_like(h)
    gW = np.zeros_like(W)
    gU = np.zeros_like(U)
    for t in range(len(xs) - 1, -1, -1):
        h = hs[t + 1]
        da = g * (1 - h * h)
        gW += hs[t].T @ da
        gU += xs[t].T @ da
        g = da @ W.T
    return gW, gU


def _cached_jac(make):
    """Build the (possibly jitted) Jacobian function once per weight matrix."""
    cache = {}

    def jac(W, x):
        f = cache.get(id(W))
        if f is None:
            f = cache[id(W)] = make(W)
        return f(x)
    return jac


# --- wengert --------------------------------------------------------------------------------------------
def wengert_impls(jit):
    import wengert as wg
    import wengert.numpy as wnp

    def maybe(f):
        return wg.jit(f) if jit else f

    def w1f(x):
        for _ in range(50):
            x = wnp.sin(x)
            x = x * 1.01
            x = x + 0.1
            x = wnp.tanh(x)
        return wnp.sum(x)

    def w2loss(params, X, Y):
        W1, b1, W2, b2, W3, b3 = params
        a1 = wnp.tanh(X @ W1 + b1)
        a2 = wnp.tanh(a1 @ W2 + b2)
        z = a2 @ W3 + b3
        return -wnp.mean(wnp.sum(Y * wnp.log_softmax(z, axis=1), axis=1))

    def w3f(x):
        return wnp.sum(wnp.sin(x)) + 0.5 * wnp.sum(x) ** 2

    def w6loss(W, U, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = wnp.tanh(h @ W + xs[t] @ U)
        return wnp.sum(h)

    def w4f(W):
        return lambda x: wnp.tanh(W @ x)

    g1 = maybe(wg.grad(w1f))
    g2 = maybe(wg.grad(lambda p, X, Y: w2loss(p, X, Y)))
    hvp = maybe(lambda x, v: wg.hvp(w3f, x, v))
    g6 = maybe(wg.grad(w6loss, argnums=(0, 1)))
    f5 = maybe(lambda x: wnp.sum(wnp.sin(x) * wnp.exp(-x * x)))
    g5 = maybe(wg.grad(lambda x: wnp.sum(wnp.sin(x) * wnp.exp(-x * x))))
    return {
        "W1": lambda x: g1(x),
        "W2": lambda params, X, Y: g2(params, X, Y),
        "W3": hvp,
        "W4f": _cached_jac(lambda W: maybe(wg.jacfwd(w4f(W)))),
        "W4r": _cached_jac(lambda W: maybe(wg.jacrev(w4f(W)))),
        "W5f": f5,
        "W5g": g5,
        "W6": g6,
    }


# --- peers (only when installed: pip install wengert[bench]) ------------------------------------
def torch_impls():
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

    def T(a, rg=False):
        return torch.tensor(a, requires_grad=rg)

    def w1(x):
        x = T(x, True)
        y = x
        for _ in range(50):
            y = torch.tanh(torch.sin(y) * 1.01 + 0.1)
        y.sum().backward()
        return x.grad.numpy()

    def w2(params, X, Y):
        ps = [T(p, True) for p in params]
        W1, b1, W2, b2, W3, b3 = ps
        Xt, Yt = T(X), T(Y)
        a1 = torch.tanh(Xt @ W1 + b1)
        a2 = torch.tanh(a1 @ W2 + b2)
        z = a2 @ W3 + b3
        loss = -(Yt * torch.log_softmax(z, 1)).sum(1).mean()
        loss.backward()
        return [p.grad.numpy() for p in ps]

    def w3(x, v):
        xt = T(x, True)
        f = torch.sin(xt).sum() + 0.5 * xt.sum() ** 2
        (g,) = torch.autograd.grad(f, xt, create_graph=True)
        (h,) = torch.autograd.grad((g * T(v)).sum(), xt)
        return h.numpy()

    def w4(mode):
        def jac(Wm, x):
            Wt = T(Wm)
            fn = lambda y: torch.tanh(Wt @ y)  # noqa: E731
            j = torch.func.jacfwd(fn) if mode == "f" else torch.func.jacrev(fn)
            return j(T(x)).numpy()
        return jac

    def w5f(x):
        xt = T(x)
        return float((torch.sin(xt) * torch.exp(-xt * xt)).sum())

    def w5g(x):
        xt = T(x, True)
        (torch.sin(xt) * torch.exp(-xt * xt)).sum().backward()
        return xt.grad.numpy()

    def w6(Wm, Um, xs, h0):
        Wt, Ut = T(Wm, True), T(Um, True)
        h = T(h0)
        xst = T(xs)
        for t in range(xs.shape[0]):
            h = torch.tanh(h @ Wt + xst[t] @ Ut)
        h.sum().backward()
        return Wt.grad.numpy(), Ut.grad.numpy()

    return {"W1": w1, "W2": w2, "W3": w3, "W4f": w4("f"), "W4r": w4("r"), "W5f": w5f,
            "W5g": w5g, "W6": w6}


def jax_impls():
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def w1f(x):
        for _ in range(50):
            x = jnp.tanh(jnp.sin(x) * 1.01 + 0.1)
        return jnp.sum(x)

    def w2loss(params, X, Y):
        W1, b1, W2, b2, W3, b3 = params
        a1 = jnp.tanh(X @ W1 + b1)
        a2 = jnp.tanh(a1 @ W2 + b2)
        z = a2 @ W3 + b3
        return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(z, axis=1), axis=1))

    def w3f(x):
        return jnp.sum(jnp.sin(x)) + 0.5 * jnp.sum(x) ** 2

    def w6loss(Wm, Um, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = jnp.tanh(h @ Wm + xs[t] @ Um)
        return jnp.sum(h)

    g1 = jax.jit(jax.grad(w1f))
    g2 = jax.jit(jax.grad(w2loss))
    hv = jax.jit(lambda x, v: jax.jvp(jax.grad(w3f), (x,), (v,))[1])
    f5 = jax.jit(lambda x: jnp.sum(jnp.sin(x) * jnp.exp(-x * x)))
    g5 = jax.jit(jax.grad(lambda x: jnp.sum(jnp.sin(x) * jnp.exp(-x * x))))
    g6 = jax.jit(jax.grad(w6loss, argnums=(0, 1)))
    jf = jax.jit(lambda Wm, x: jax.jacfwd(lambda y: jnp.tanh(Wm @ y))(x))
    jr = jax.jit(lambda Wm, x: jax.jacrev(lambda y: jnp.tanh(Wm @ y))(x))

    def block(f):
        return lambda *a: jax.tree_util.tree_map(np.asarray, jax.block_until_ready(f(*a)))

    return {"W1": block(g1), "W2": block(lambda p, X, Y: g2(p, X, Y)), "W3": block(hv),
            "W4f": block(jf), "W4r": block(jr), "W5f": block(f5), "W5g": block(g5),
            "W6": block(g6)}


def autograd_impls():
    import autograd
    import autograd.numpy as anp

    def w1f(x):
        for _ in range(50):
            x = anp.tanh(anp.sin(x) * 1.01 + 0.1)
        return anp.sum(x)

    def w2loss(params, X, Y):
        W1, b1, W2, b2, W3, b3 = params
        a1 = anp.tanh(anp.dot(X, W1) + b1)
        a2 = anp.tanh(anp.dot(a1, W2) + b2)
        z = anp.dot(a2, W3) + b3
        z = z - anp.max(z, axis=1, keepdims=True)
        lsm = z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
        return -anp.mean(anp.sum(Y * lsm, axis=1))

    def w3f(x):
        return anp.sum(anp.sin(x)) + 0.5 * anp.sum(x) ** 2

    def w6loss(Wm, Um, xs, h0):
        h = h0
        for t in range(xs.shape[0]):
            h = anp.tanh(anp.dot(h, Wm) + anp.dot(xs[t], Um))
        return anp.sum(h)

    hvp = autograd.make_hvp(w3f)
    return {
        "W1": autograd.grad(w1f),
        "W2": lambda p, X, Y: autograd.grad(w2loss)(list(p), X, Y),
        "W3": lambda x, v: hvp(x)[0](v),
        "W4f": lambda Wm, x: autograd.jacobian(lambda y: anp.tanh(anp.dot(Wm, y)))(x),
        "W4r": lambda Wm, x: autograd.jacobian(lambda y: anp.tanh(anp.dot(Wm, y)))(x),
        "W5f": lambda x: anp.sum(anp.sin(x) * anp.exp(-x * x)),
        "W5g": autograd.grad(lambda x: anp.sum(anp.sin(x) * anp.exp(-x * x))),
        "W6": lambda Wm, Um, xs, h0: [autograd.grad(w6loss, 0)(Wm, Um, xs, h0),
                                      autograd.grad(w6loss, 1)(Wm, Um, xs, h0)],
    }
