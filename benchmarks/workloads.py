"""The benchmark workloads W1-W7 (issue 5), each as: data, a hand-written NumPy gradient (the
reference every other implementation is verified against), and implementations for each
library.  Imported by run.py in one process per library."""
from __future__ import annotations

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
        "W4f": lambda W, x: maybe(wg.jacfwd(w4f(W)))(x),
        "W4r": lambda W, x: maybe(wg.jacrev(w4f(W)))(x),
        "W5f": f5,
        "W5g": g5,
        "W6": g6,
    }
