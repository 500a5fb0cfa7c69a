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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="wengert", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip slow sections")
    args = parser.parse_args(argv)
    tour(quick=args.quick)


if __name__ == "__main__":
    main()
