"""Benchmark wengert against hand-written NumPy gradients (and PyTorch, JAX, HIPS autograd
when installed): one process per library, one table of medians and ratios to NumPy.

    python benchmarks/run.py            # everything available
    python benchmarks/run.py --quick    # fewer repetitions

Every gradient is checked against the hand-written NumPy gradient before it is timed.
Thread counts are pinned (OMP/MKL/OPENBLAS = 1 by default; --threads N).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import workloads as W  # noqa: E402


def median_time(fn, reps, min_time=0.0):
    fn()  # warm up (and jit compile)
    ts = []
    t_end = time.perf_counter() + min_time
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    while time.perf_counter() < t_end and len(ts) < 10 * reps:
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def check(name, got, ref, rtol):
    got = [np.asarray(g) for g in (got if isinstance(got, (list, tuple)) else [got])]
    ref = [np.asarray(r) for r in (ref if isinstance(ref, (list, tuple)) else [ref])]
    for g, r in zip(got, ref):
        if not np.allclose(g, r, rtol=rtol, atol=rtol * (np.abs(r).max() + 1e-30)):
            raise AssertionError(f"{name}: gradient differs from the hand-written NumPy one "
                                 f"(max abs diff {np.abs(g - r).max():.3e})")


def run_library(lib, reps):
    res = {}
    if lib == "numpy":
        impl = None
    elif lib in ("wengert", "wengert-jit"):
        impl = W.wengert_impls(jit=(lib == "wengert-jit"))
    else:
        try:
            impl = {"torch": W.torch_impls, "jax-jit": W.jax_impls,
                    "autograd": W.autograd_impls}[lib]()
        except ImportError:
            return None

    x1 = W.w1_data()
    ref = W.w1_numpy(x1)
    f = (lambda: W.w1_numpy(x1)) if impl is None else (lambda: impl["W1"](x1))
    check("W1", f(), ref, 1e-10)
    res["W1 200 ops, n=16"] = median_time(f, reps * 5)

    params, X, Y = W.w2_data()
    ref = W.w2_numpy(params, X, Y)
    f = (lambda: W.w2_numpy(params, X, Y)) if impl is None else (
        lambda: impl["W2"](params, X, Y))
    check("W2", f(), ref, 1e-3)
    res["W2 MLP step (f32)"] = median_time(f, reps)

    x3, v3 = W.w3_data()
    ref = W.w3_numpy(x3, v3)
    f = (lambda: W.w3_numpy(x3, v3)) if impl is None else (lambda: impl["W3"](x3, v3))
    check("W3", f(), ref, 1e-8)
    res["W3 HVP n=1e5"] = median_time(f, reps)

    for n, m in ((8, 2000), (2000, 8)):
        Wm, xv = W.w4_data(n, m)
        ref = W.w4_numpy(Wm, xv)
        for mode in ("f", "r"):
            f = (lambda: W.w4_numpy(Wm, xv)) if impl is None else (
                lambda: impl["W4" + mode](Wm, xv))
            check("W4", f(), ref, 1e-8)
            res[f"W4 jac{'fwd' if mode == 'f' else 'rev'} n={n},m={m}"] = median_time(f, reps)

    for n in (10**3, 10**5, 10**7):
        x5 = W.w5_data(n)
        ref = W.w5_numpy(x5)
        if impl is None:
            ff, fg = (lambda: W.w5_f_numpy(x5)), (lambda: W.w5_numpy(x5))
        else:
            ff, fg = (lambda: impl["W5f"](x5)), (lambda: impl["W5g"](x5))
        check("W5", fg(), ref, 1e-8)
        r = reps if n < 10**7 else max(3, reps // 5)
        tf, tg = median_time(ff, r), median_time(fg, r)
        res[f"W5 grad n=1e{int(np.log10(n))}"] = tg
        res[f"W5 grad/f ratio n=1e{int(np.log10(n))}"] = tg / tf

    Wr, Ur, xs, h0 = W.w6_data()
    ref = W.w6_numpy(Wr, Ur, xs, h0)
    f = (lambda: W.w6_numpy(Wr, Ur, xs, h0)) if impl is None else (
        lambda: impl["W6"](Wr, Ur, xs, h0))
    check("W6", f(), ref, 1e-8)
    res["W6 RNN 100 steps"] = median_time(f, reps)

    if lib == "wengert":
        res.update(w7())
    return res


def w7():
    import wengert as wg
    import wengert.numpy as wnp
    rng = np.random.default_rng(0)
    L, width = 100, 1024
    Ws = [rng.standard_normal((width, width)).astype(np.float32) / 32 for _ in range(L)]
    x = rng.standard_normal((16, width)).astype(np.float32)
    layers = [(lambda h, w=w: wnp.tanh(h @ w)) for w in Ws]

    def plain(h):
        for f in layers:
            h = f(h)
        return wnp.sum(h)

    def ck(h):
        return wnp.sum(wg.checkpoint_sequential(layers, int(np.sqrt(L)), h))

    out = {}
    for name, fn in (("without", plain), ("with", ck)):
        with wg.memory.track() as m:
            t = time.perf_counter()
            wg.grad(fn)(x)
            dt = time.perf_counter() - t
        act = m.peak_bytes - sum(w.nbytes for w in Ws if False)
        out[f"W7 peak saved MB ({name} ckpt)"] = act / 1e6
        out[f"W7 time s ({name} ckpt)"] = dt
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    reps = 5 if a.quick else 20
    if a.lib:
        print(json.dumps(run_library(a.lib, reps)))
        return
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "NUMEXPR_NUM_THREADS", "NUMEXPR_MAX_THREADS"):
        env[k] = str(a.threads)
    libs = ["numpy", "wengert", "wengert-jit", "torch", "jax-jit", "autograd"]
    results = {}
    for lib in libs:
        cmd = [sys.executable, __file__, "--lib", lib] + (["--quick"] if a.quick else [])
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if p.returncode != 0:
            print(f"{lib}: failed\n{p.stderr[-2000:]}", file=sys.stderr)
            continue
        got = json.loads(p.stdout.strip().splitlines()[-1])
        if got is not None:  # None: the library is not installed
            results[lib] = got
    rows = sorted({k for r in results.values() for k in r},
                  key=lambda k: (k.split()[0], k))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, numpy {np.__version__}, threads {a.threads}")
    head = f"{'workload':34s}" + "".join(f"{lib:>14s}" for lib in results) + "   ratios to numpy"
    print(head)
    for k in rows:
        vals = [results[lib].get(k) for lib in results]
        line = f"{k:34s}" + "".join(f"{v:14.6f}" if v is not None else f"{'-':>14s}"
                                    for v in vals)
        base = results.get("numpy", {}).get(k)
        if base and "ratio" not in k and "W7" not in k:
            line += "   " + " ".join(f"{(v / base):.2f}x" if v is not None else "-"
                                     for lib, v in zip(results, vals) if lib != "numpy")
        print(line)


if __name__ == "__main__":
    main()
