"""Gradient checking: compare wengert's derivatives with numerical ones.

Two numerical references:

* central differences, (f(x + h e_j) - f(x - h e_j)) / 2h: O(h^2) truncation error, so
  about 1e-8 relative accuracy in float64 at best (this is what PyTorch's gradcheck uses);
* the complex step, Im f(x + i h e_j) / h with h = 1e-20: no subtraction, so no
  cancellation; exact to machine precision when ``f`` is complex-analytic (real-valued on
  real inputs and built from holomorphic operations).  It does not apply to abs, max,
  comparisons or anything that inspects the real part.

Both the reverse-mode Jacobian (one VJP per output element) and the forward-mode Jacobian
(one JVP per input element) are compared; the report names the worst element.
"""
from __future__ import annotations

import numpy as np

from .._core.tensor import Tensor
from .._errors import GradientError
from .._tree import tree_flatten


class GradcheckError(GradientError):
    """The analytic and numerical Jacobians disagree; the message names the worst entry."""


def _to_np(x):
    if isinstance(x, Tensor):
        return np.array(x.detach()._value)
    return np.asarray(x)


def _outputs(res):
    leaves, _ = tree_flatten(res)
    return [np.asarray(_to_np(o)) for o in leaves]


def numerical_jacobian(fn, inputs, wrt, eps=1e-6, method="central"):
    """List (per differentiated input) of lists (per output) of Jacobians of shape
    ``out.shape + in.shape``."""
    base = [_to_np(x) for x in inputs]
    outs0 = _outputs(fn(*[_wrap(b, x) for b, x in zip(base, inputs)]))
    jacs = []
    for i in wrt:
        x0 = base[i]
        J = [np.zeros(o.shape + x0.shape, dtype=np.result_type(o.dtype, x0.dtype))
             for o in outs0]
        for j in np.ndindex(x0.shape):
            if method == "complex_step":
                h = 1e-20
                args = list(base)
                xp = x0.astype(np.complex128)
                xp[j] += 1j * h
                args[i] = xp
                vals = _outputs(fn(*[_wrap(a, x) for a, x in zip(args, inputs)]))
                cols = [np.imag(v) / h for v in vals]
            else:
                args_p, args_m = list(base), list(base)
                xp, xm = x0.copy(), x0.copy()
                xp[j] += eps
                xm[j] -= eps
                args_p[i], args_m[i] = xp, xm
                vp = _outputs(fn(*[_wrap(a, x) for a, x in zip(args_p, inputs)]))
                vm = _outputs(fn(*[_wrap(a, x) for a, x in zip(args_m, inputs)]))
                cols = [(p - m) / (2 * eps) for p, m in zip(vp, vm)]
            for k, c in enumerate(cols):
                J[k][(Ellipsis,) + j] = c
        jacs.append(J)
    return jacs


def _wrap(value, like):
    return Tensor._wrap(np.asarray(value)) if isinstance(like, Tensor) else np.asarray(value)


def analytic_jacobians(fn, inputs, wrt):
    """(reverse, forward) Jacobians with the layout of ``numerical_jacobian``."""
    from .._transforms.forward import jvp
    from .._transforms.reverse import vjp

    base = [_to_np(x) for x in inputs]

    def f(*d):
        args = list(base)
        for i, v in zip(wrt, d):
            args[i] = v
        return fn(*[a if k in wrt else _wrap(a, inputs[k]) for k, a in enumerate(args)])

    dif = [base[i] for i in wrt]
    out, vjp_fn = vjp(f, *dif)
    o_leaves, o_td = tree_flatten(out)
    o_leaves = [np.asarray(_to_np(o)) for o in o_leaves]
    rev = [[np.zeros(o.shape + dif[n].shape, dtype=np.result_type(o.dtype, dif[n].dtype))
            for o in o_leaves] for n in range(len(dif))]
    for k, o in enumerate(o_leaves):
        for idx in np.ndindex(o.shape):
            cts = [np.zeros_like(oo) for oo in o_leaves]
            cts[k][idx] = 1
            gs = vjp_fn(o_td.unflatten(cts))
            for n, g in enumerate(gs):
                rev[n][k][idx] = _to_np(g)
    fwd = [[np.zeros_like(r) for r in row] for row in rev]
    for n in range(len(dif)):
        for j in np.ndindex(dif[n].shape):
            tans = [np.zeros_like(d) for d in dif]
            tans[n][j] = 1
            _, t_out = jvp(f, tuple(dif), tuple(tans))
            for k, tk in enumerate(tree_flatten(t_out)[0]):
                fwd[n][k][(Ellipsis,) + j] = _to_np(tk)
    return rev, fwd


def _default_wrt(inputs):
    tensors = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if tensors:
        return tensors
    return [i for i, x in enumerate(inputs)
            if np.issubdtype(np.asarray(_to_np(x)).dtype, np.inexact)]


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, method="central",
              check_forward_ad=True, check_backward_ad=True, raise_exception=True):
    """Check ``fn``'s reverse- and forward-mode Jacobians against numerical ones.

    Arguments:
        fn: function of the ``inputs`` returning a tensor/array or a pytree of them.
        inputs: tuple of arguments; the floating-point ones that require grad (or all
            floating-point ones, if none requires grad) are differentiated.
        method: ``"central"`` differences or ``"complex_step"``.

    Returns True, or raises ``GradcheckError`` naming the worst mismatching element
    (returns False instead with ``raise_exception=False``).
    """
    if isinstance(inputs, (Tensor, np.ndarray)) or np.isscalar(inputs):
        inputs = (inputs,)
    inputs = tuple(inputs)
    wrt = _default_wrt(inputs)
    for i in wrt:
        dt = np.asarray(_to_np(inputs[i])).dtype
        if dt != np.float64 and dt != np.complex128:
            import warnings
            warnings.warn(f"gradcheck: input {i} is {dt}; numerical derivatives need float64 "
                          "to be meaningful", stacklevel=2)
    num = numerical_jacobian(fn, inputs, wrt, eps=eps, method=method)
    rev, fwd = analytic_jacobians(fn, inputs, wrt)
    modes = []
    if check_backward_ad:
        modes.append(("reverse", rev))
    if check_forward_ad:
        modes.append(("forward", fwd))
    for mode, ana in modes:
        for n, i in enumerate(wrt):
            for k, (A, N) in enumerate(zip(ana[n], num[n])):
                err = np.abs(A - N)
                tol = atol + rtol * np.abs(N)
                bad = ~(err <= tol)
                if bad.any():
                    worst = np.unravel_index(np.argmax(np.where(bad, err - tol, -np.inf)),
                                             err.shape)
                    msg = (f"gradcheck ({mode} mode, {method}): Jacobian mismatch for output {k} "
                           f"with respect to input {i}: worst element {tuple(int(w) for w in worst)}: "
                           f"numerical {N[worst]!r} vs analytic {A[worst]!r} (|diff| "
                           f"{err[worst]:.3e} > atol + rtol*|numerical| = {tol[worst]:.3e}); "
                           f"{int(bad.sum())} of {bad.size} entries differ.")
                    if raise_exception:
                        raise GradcheckError(msg)
                    return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  method="central", seed=0, raise_exception=True):
    """Check second derivatives: gradcheck of ``x -> vjp(fn, x)(v)`` for a fixed random ``v``."""
    from .._transforms.reverse import vjp

    if isinstance(inputs, (Tensor, np.ndarray)) or np.isscalar(inputs):
        inputs = (inputs,)
    inputs = tuple(inputs)
    wrt = _default_wrt(inputs)
    base = [_to_np(x) for x in inputs]
    out = fn(*[_wrap(b, x) for b, x in zip(base, inputs)])
    o_leaves, o_td = tree_flatten(out)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = o_td.unflatten([rng.standard_normal(np.shape(_to_np(o)))
                                       for o in o_leaves])

    def first_derivative(*d):
        def f(*dd):
            args = list(d)
            for i, v in zip(wrt, dd):
                args[i] = v
            return fn(*args)

        _, pull = vjp(f, *[d[i] for i in wrt])
        return pull(grad_outputs)

    return gradcheck(first_derivative, inputs, eps=eps, atol=atol, rtol=rtol, method=method,
                     raise_exception=raise_exception)
