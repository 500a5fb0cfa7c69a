"""``python -m wengert`` (or the ``wengert`` command): a tour of the chapter's worked examples.

f(x1, x2) = (x1 + x2) * sin(x1) at (1, 2): value 2.524, df/dx1 = 2.463, df/dx2 = 0.8415, by
dual numbers, forward mode (the §3.3 tangent table) and one reverse pass (the §4.2 adjoint
table), then a gradient check.
"""
from __future__ import annotations

import argparse

import numpy as np


def f_dual(x1, x2):
    from .dual import sin
    return (x1 + x2) * sin(x1)


def f(x1, x2):
    from . import numpy as wnp
    return (x1 + x2) * wnp.sin(x1)


def tour(quick=False):
    import wengert as wg
    from . import numpy as wnp
    from ._wengert_list import format_table

    print("wengert: automatic differentiation over NumPy")
    print("=" * 60)
    print("f(x1, x2) = (x1 + x2) * sin(x1) at (x1, x2) = (1, 2)\n")

    print("1. Dual numbers (chapter §3.1-3.2): evaluate f at (1 + ε, 2)")
    r = f_dual(wg.Dual(1.0, 1.0), wg.Dual(2.0, 0.0))
    print(f"   f = {r.real:.4f}, df/dx1 = {r.dual:.4f}")
    r2 = f_dual(wg.Dual(1.0, 0.0), wg.Dual(2.0, 1.0))
    print(f"   seeding x2 instead: df/dx2 = {r2.dual:.4f}\n")

    print("2. Forward mode (§3.3): the Wengert list with tangents, seed (1, 0)")
    wl = wg.make_trace(f)(1.0, 2.0)
    print(wl.forward_table(tangents=(1.0, 0.0)))
    out, tan = wg.jvp(f, (1.0, 2.0), (1.0, 0.0))
    print(f"   => f = {float(out):.4f}, df/dx1 = {float(tan):.4f} (a second pass with seed "
          f"(0, 1) gives df/dx2 = {float(wg.jvp(f, (1.0, 2.0), (0.0, 1.0))[1]):.4f})\n")

    print("3. Reverse mode (§4.2): one backward pass gives both partial derivatives")
    print(wl.adjoint_table())
    print()

    print("4. The same through the imperative (PyTorch-style) API")
    x1 = wg.tensor(1.0, requires_grad=True)
    x2 = wg.tensor(2.0, requires_grad=True)
    y = f(x1, x2)
    print(f"   y = {y}")
    print(f"   y.grad_fn.next_functions = {y.grad_fn.next_functions}")
    y.backward()
    print(f"   x1.grad = {float(x1.grad):.4f}, x2.grad = {float(x2.grad):.4f}\n")

    print("5. Gradient check (Appendix A): central differences and complex step")
    from .autograd.gradcheck import analytic_jacobians, numerical_jacobian
    args = (np.array(1.0), np.array(2.0))
    rev, fwdj = analytic_jacobians(f, args, [0, 1])
    for method in ("central", "complex_step"):
        num = numerical_jacobian(f, args, [0, 1], method=method)
        err = max(float(np.max(np.abs(rev[n][0] - num[n][0]))) for n in range(2))
        print(f"   {method:>12}: max |analytic - numerical| = {err:.2e}")
    print()

    print("6. Higher order: d^k/dx^k of x**4 at x = 2 by nested grad")
    g = lambda x: x ** 4  # noqa: E731
    vals = []
    for k in range(1, 5):
        g = wg.grad(g)
        vals.append(float(g(2.0)))
    print(f"   {vals}  (analytic: 32, 48, 48, 24)")

    if quick:
        return
    print()
    print("7. Forward vs reverse mode for a full Jacobian (§4.5, Exercise 4): f(x) = tanh(W x),")
    print("   m = 64 outputs, n inputs; jacfwd costs ~n passes, jacrev ~m passes")
    rng = np.random.default_rng(0)
    m = 64
    rows = []
    ns = [4, 16, 64, 256, 1024]
    tf_all, tr_all = [], []
    for n in ns:
        W = rng.standard_normal((m, n)) / np.sqrt(n)
        x = rng.standard_normal(n)
        fn = lambda x, W=W: wnp.tanh(W @ x)  # noqa: E731
        tf = _time(lambda: wg.jacfwd(fn)(x))
        tr = _time(lambda: wg.jacrev(fn)(x))
        j = wg.jacobian(fn)
        j(x)
        tf_all.append(tf)
        tr_all.append(tr)
        rows.append((n, m, f"{tf * 1e3:.2f}", f"{tr * 1e3:.2f}", f"{tf / tr:.2f}", j.last_mode))
    print(format_table(("n", "m", "jacfwd ms", "jacrev ms", "fwd/rev", "jacobian picks"), rows))
    _plot(ns, tf_all, tr_all, m)

    print()
    print("8. Hessian-vector product vs materialised Hessian (Exercise 5): f(x) = sum(sin(x) x^2)")
    g = lambda x: wnp.sum(wnp.sin(x) * x ** 2)  # noqa: E731
    rows = []
    for n in (10, 100, 1000):
        x = rng.standard_normal(n)
        v = rng.standard_normal(n)
        th = _time(lambda: wg.hvp(g, x, v))
        tH = _time(lambda: wg.hessian(g)(x) @ v)
        err = float(np.max(np.abs(wg.hvp(g, x, v) - wg.hessian(g)(x) @ v)))
        rows.append((n, f"{th * 1e3:.2f}", f"{tH * 1e3:.2f}", f"{8 * n * n / 1e6:.3f}",
                     f"{err:.1e}"))
    print(format_table(("n", "hvp ms", "hessian@v ms", "H size MB", "max diff"), rows))
    print("   a dense float64 Hessian passes 1 GB at n = 11,180; hvp stays O(n).")

    print()
    print("9. Gradient checkpointing (Exercise 7): L-layer tanh chain, width 256, batch 32")
    rows = []
    for L in (16, 64, 100):
        Ws = [rng.standard_normal((256, 256)) / 16 for _ in range(L)]
        layers = [(lambda h, w=w: wnp.tanh(h @ w)) for w in Ws]
        x = rng.standard_normal((32, 256))

        def plain(h):
            for f in layers:
                h = f(h)
            return wnp.sum(h)

        seg = max(1, int(round(np.sqrt(L))))

        def ck(h):
            return wnp.sum(wg.checkpoint_sequential(layers, seg, h))

        counts = []
        times = []
        for fn in (plain, ck):
            with wg.memory.track(include=lambda a: a.shape == x.shape) as mt:
                wg.grad(fn)(x)  # count activations (batch x width arrays), not weights
            counts.append(mt.peak_count)
            times.append(_time(lambda fn=fn: wg.grad(fn)(x), reps=3))
        rows.append((L, counts[0], counts[1], f"{2 * np.sqrt(L):.0f}",
                     f"{times[1] / times[0]:.2f}"))
    print(format_table(("L", "saved activations", "with sqrt(L) ckpt", "2 sqrt(L)",
                        "time ratio"), rows))


def _time(fn, reps=5):
    import time
    fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def _plot(ns, tf, tr, m, path="jacobian_crossover.png"):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("   (install matplotlib to get the plot: pip install wengert[plot])")
        return
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.loglog(ns, tf, "o-", label="jacfwd (n passes)")
    ax.loglog(ns, tr, "s-", label="jacrev (m passes)")
    ax.axvline(m, color="gray", ls=":", label=f"n = m = {m}")
    ax.set_xlabel("number of inputs n")
    ax.set_ylabel("seconds")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"   plot written to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="wengert", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip slow sections")
    args = parser.parse_args(argv)
    tour(quick=args.quick)


if __name__ == "__main__":
    main()
