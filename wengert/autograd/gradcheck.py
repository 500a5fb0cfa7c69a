"""Gradient checking: compare wengert's derivatives with numerical ones.

Two numerical references:

* central differences, (f(x + h e_j) - f(x - h e_j)) / 2h: O(h^2) truncation error, so
  about 1e-8 relative accuracy in float64 at best (this is what PyTorch's gradcheck uses);
* the complex step, Im f(x + i h e_j) / h with h = 1e-20: no subtraction, so no
  cancellation; exact to machine precision when ``f`` is complex-analytic (real-valued on
  real inputs and built from holomorphic operations).  It does not apply to abs, max,
  comparisons or anything that inspects the real part.

Both the reverse-mode Jacobian (one VJP per output component) and the forward-mode Jacobian
(one JVP per input direction) are compared; the report names the worst element.

Complex numbers are checked as pairs of reals: an input direction is ``e_j`` or ``i e_j``,
an output component is the real or imaginary part.  The reverse-mode row of a component is
read off the VJP through the pairing ``Re(u · J v) = Re(vjp(u) · v)`` (JAX's convention:
no conjugation), so a complex rule that follows another convention is reported.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._core.tensor import Tensor
from .._errors import GradientError
from .._tree import tree_flatten

COMPLEX_STEP = 1e-20


class GradcheckError(GradientError):
    """The analytic and numerical Jacobians disagree; the message names the worst entry."""


def _to_np(x):
    if isinstance(x, Tensor):
        return np.array(x.detach()._value)
    return np.asarray(x)


def _is_inexact(a):
    return np.issubdtype(a.dtype, np.inexact)


def _is_complex(a):
    return np.issubdtype(a.dtype, np.complexfloating)


def _leaves(res):
    """The output leaves of ``fn`` as ndarrays (every leaf, differentiable or not)."""
    leaves, td = tree_flatten(res)
    return [_to_np(o) for o in leaves], td


def _default_wrt(inputs):
    tensors = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if tensors:
        return tensors
    return [i for i, x in enumerate(inputs)
            if not isinstance(x, (str, bytes)) and _is_inexact(np.asarray(_to_np(x)))]


def _normalize_inputs(inputs):
    if isinstance(inputs, (Tensor, np.ndarray)) or np.isscalar(inputs):
        inputs = (inputs,)
    return tuple(inputs)


# -- the real-ified layout ---------------------------------------------------------------
def _directions(x):
    """Real input directions of array ``x``: list of (index, unit) with unit 1 or 1j."""
    units = (1.0, 1j) if _is_complex(x) else (1.0,)
    return [(j, u) for j in np.ndindex(x.shape) for u in units]


def _components(y):
    """Real output components of array ``y``: list of (index, part) with part 're'/'im'."""
    parts = ("re", "im") if _is_complex(y) else ("re",)
    return [(j, p) for j in np.ndindex(y.shape) for p in parts]


def _split(values, like):
    """Flatten output arrays ``values`` into one real vector per output, component order."""
    res = []
    for v, y in zip(values, like):
        v = np.asarray(v)
        if _is_complex(y):
            res.append(np.stack([v.real, v.imag], axis=-1).reshape(-1))
        else:
            res.append(np.real(v).reshape(-1).astype(np.float64))
    return res


class _Problem:
    """``fn`` at ``inputs`` with the arguments ``wrt`` variable; everything else fixed."""

    def __init__(self, fn, inputs, wrt):
        self.fn = fn
        self.inputs = inputs
        self.wrt = list(wrt)
        self.base = {i: _to_np(inputs[i]) for i in self.wrt}
        for i in self.wrt:
            if not _is_inexact(self.base[i]):
                raise TypeError(f"gradcheck: input {i} has dtype {self.base[i].dtype}, which "
                                "is not differentiable; pass floating-point inputs.")
        outs, self.out_td = _leaves(self.call({}))
        self.outs = outs
        self.diff_out = [k for k, o in enumerate(outs) if _is_inexact(o)]

    def call(self, override):
        """Evaluate ``fn`` with the wrt inputs replaced by ``override[i]`` (or their base
        values), given as Tensors where the caller passed Tensors."""
        args = []
        for k, x in enumerate(self.inputs):
            if k in self.base:
                v = override.get(k, self.base[k])
                args.append(Tensor._wrap(np.asarray(v)) if isinstance(x, Tensor) else v)
            else:
                args.append(x)
        return self.fn(*args)

    def sub(self, *d):
        """``fn`` as a function of the wrt inputs only (for vjp/jvp)."""
        args = list(self.inputs)
        for i, v in zip(self.wrt, d):
            args[i] = v
        return self.fn(*args)

    def out_values(self, res):
        vals, _ = _leaves(res)
        return [vals[k] for k in self.diff_out]


def _numerical(prob, eps, method):
    """{(i, k): matrix (components of output k) x (directions of input i)}."""
    like = [prob.outs[k] for k in prob.diff_out]
    if method == "complex_step":
        for i in prob.wrt:
            if _is_complex(prob.base[i]):
                raise ValueError(f"gradcheck: method='complex_step' needs real inputs, but "
                                 f"input {i} is complex; use method='central'.")
        for k in prob.diff_out:
            if _is_complex(prob.outs[k]):
                raise ValueError(f"gradcheck: method='complex_step' needs a real-valued "
                                 f"function, but output {k} is complex; use method='central'.")
    elif method != "central":
        raise ValueError(f"gradcheck: method must be 'central' or 'complex_step', got "
                         f"{method!r}")
    mats = {}
    for i in prob.wrt:
        x0 = prob.base[i]
        dirs = _directions(x0)
        cols = []
        for j, u in dirs:
            if method == "complex_step":
                xp = x0.astype(np.result_type(x0.dtype, np.complex64))
                xp[j] += 1j * COMPLEX_STEP
                vals = prob.out_values(prob.call({i: xp}))
                cols.append([np.imag(v).reshape(-1) / COMPLEX_STEP for v in vals])
            else:
                xp, xm = x0.copy(), x0.copy()
                xp[j] += eps * u
                xm[j] -= eps * u
                vp = _split(prob.out_values(prob.call({i: xp})), like)
                vm = _split(prob.out_values(prob.call({i: xm})), like)
                cols.append([(p - m) / (2 * eps) for p, m in zip(vp, vm)])
        for n, k in enumerate(prob.diff_out):
            mats[i, k] = np.stack([c[n] for c in cols], axis=-1) if cols else \
                np.zeros((len(_components(prob.outs[k])), 0))
    return mats


def _analytic(prob, forward=True, reverse=True):
    """({(i, k): reverse-mode matrix}, {(i, k): forward-mode matrix})."""
    from .._transforms.forward import jvp
    from .._transforms.reverse import vjp

    dif = [prob.base[i] for i in prob.wrt]
    like = [prob.outs[k] for k in prob.diff_out]
    rev, fwd = {}, {}
    if reverse:
        out, vjp_fn = vjp(prob.sub, *dif)
        o_leaves, o_td = tree_flatten(out)
        o_np = [_to_np(o) for o in o_leaves]
        for k in prob.diff_out:
            comps = _components(o_np[k])
            rows = {i: [] for i in prob.wrt}
            for idx, part in comps:
                cts = [np.zeros_like(o) for o in o_np]
                # Re(u . J v) picks the real part for u = 1 and the imaginary part for u = -1j
                cts[k][idx] = 1.0 if part == "re" else -1j
                gs = vjp_fn(o_td.unflatten(cts))
                for n, i in enumerate(prob.wrt):
                    g = np.asarray(_to_np(gs[n]))
                    if _is_complex(dif[n]):
                        # directions e_j, i e_j: Re(g_j), Re(i g_j) = -Im(g_j)
                        row = np.stack([g.real, -g.imag], axis=-1).reshape(-1)
                    else:
                        row = np.real(g).reshape(-1)
                    rows[i].append(row.astype(np.float64))
            for i in prob.wrt:
                rev[i, k] = np.array(rows[i], dtype=np.float64).reshape(
                    len(comps), len(_directions(prob.base[i])))
    if forward:
        for n, i in enumerate(prob.wrt):
            cols = []
            for j, u in _directions(dif[n]):
                tans = [np.zeros_like(d) for d in dif]
                tans[n][j] = u
                _, t_out = jvp(prob.sub, tuple(dif), tuple(tans))
                t_leaves = [_to_np(t) for t in tree_flatten(t_out)[0]]
                cols.append(_split([t_leaves[k] for k in prob.diff_out], like))
            for m, k in enumerate(prob.diff_out):
                fwd[i, k] = np.stack([c[m] for c in cols], axis=-1) if cols else \
                    np.zeros((len(_components(prob.outs[k])), 0))
    return rev, fwd


def _label_in(x, col):
    j, u = _directions(x)[col]
    s = str(tuple(int(a) for a in j))
    return s + (" (imaginary direction)" if u == 1j else "") if _is_complex(x) else s


def _label_out(y, row):
    j, p = _components(y)[row]
    s = str(tuple(int(a) for a in j))
    return s + (" (real part)" if p == "re" else " (imaginary part)") if _is_complex(y) else s


# -- public API ----------------------------------------------------------------------------
def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, method="central",
              check_forward_ad=True, check_backward_ad=True, raise_exception=True):
    """Check ``fn``'s reverse- and forward-mode Jacobians against numerical ones.

    Arguments:
        fn: function of the ``inputs`` returning a tensor/array or a pytree of them
            (integer and boolean outputs are skipped).
        inputs: tuple of arguments; the floating-point ones that require grad (or all
            floating-point ones, if none requires grad) are differentiated.  Use float64
            (or complex128): numerical derivatives need the precision.
        eps: step of the central differences.
        atol, rtol: an entry passes if ``|analytic - numerical| <= atol + rtol*|numerical|``.
        method: ``"central"`` differences or ``"complex_step"`` (real inputs and outputs,
            complex-analytic ``fn``; then ``atol=1e-13`` is a fair tolerance).
        check_forward_ad, check_backward_ad: which modes to compare.

    Returns True, or raises ``GradcheckError`` naming the mode, the output and the input,
    and the worst mismatching element with both values (returns False instead with
    ``raise_exception=False``).

    Example::

        >>> wg.autograd.gradcheck(lambda x: wnp.sin(x) * x, (np.array([0.3, 1.2]),))
        True
    """
    report = gradcheck_report(fn, inputs, eps=eps, method=method,
                              check_forward_ad=check_forward_ad,
                              check_backward_ad=check_backward_ad)
    for entry in report:
        A, N = entry["analytic"], entry["numerical"]
        err = np.abs(A - N)
        tol = atol + rtol * np.abs(N)
        bad = ~(err <= tol)
        if bad.any():
            r, c = np.unravel_index(np.argmax(np.where(bad, err - tol, -np.inf)), err.shape)
            k, i = entry["output"], entry["input"]
            hint = ""
            if method == "complex_step":
                hint = (" (the complex step is only valid for complex-analytic functions: "
                        "no abs, max/min, comparisons, conj or real/imag; use "
                        "method='central' for those)")
            msg = (f"gradcheck ({entry['mode']} mode vs {method} differences): Jacobian "
                   f"mismatch for output {k} with respect to input {i}: worst element: "
                   f"output index {_label_out(entry['out_like'], r)}, input index "
                   f"{_label_in(entry['in_like'], c)}: numerical {float(N[r, c])!r} vs analytic "
                   f"{float(A[r, c])!r} (|diff| {err[r, c]:.3e} > atol + rtol*|numerical| = "
                   f"{tol[r, c]:.3e}); {int(bad.sum())} of {bad.size} entries differ{hint}.")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradcheck_report(fn, inputs, *, eps=1e-6, method="central", check_forward_ad=True,
                     check_backward_ad=True):
    """The comparison behind ``gradcheck``, without tolerances: a list of dicts with keys
    ``mode`` ('reverse'/'forward'), ``output``, ``input``, ``analytic``, ``numerical``
    (real matrices: output components x input directions) and ``max_abs_error``."""
    inputs = _normalize_inputs(inputs)
    wrt = _default_wrt(inputs)
    if not wrt:
        raise TypeError("gradcheck: no input to differentiate: pass floating-point arrays "
                        "(or tensors with requires_grad=True).")
    for i in wrt:
        dt = _to_np(inputs[i]).dtype
        if dt != np.float64 and dt != np.complex128:
            warnings.warn(f"gradcheck: input {i} is {dt}; numerical derivatives need float64 "
                          "(or complex128) to be meaningful", stacklevel=3)
    prob = _Problem(fn, inputs, wrt)
    num = _numerical(prob, eps, method)
    rev, fwd = _analytic(prob, forward=check_forward_ad, reverse=check_backward_ad)
    report = []
    for mode, ana in (("reverse", rev), ("forward", fwd)):
        for (i, k), A in ana.items():
            N = num[i, k]
            report.append(dict(mode=mode, output=k, input=i, analytic=A, numerical=N,
                               out_like=prob.outs[k], in_like=prob.base[i],
                               max_abs_error=float(np.max(np.abs(A - N), initial=0.0))))
    return report


def gradgradcheck(fn, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  method="central", seed=0, raise_exception=True):
    """Check second derivatives: ``gradcheck`` of ``x -> vjp(fn, x)(v)`` for a fixed
    cotangent ``v`` (``grad_outputs``, default random normal), in reverse-over-reverse and
    forward-over-reverse mode."""
    from .._transforms.reverse import vjp

    inputs = _normalize_inputs(inputs)
    wrt = _default_wrt(inputs)
    base = [_to_np(x) if i in wrt else x for i, x in enumerate(inputs)]
    out = fn(*[Tensor._wrap(b) if isinstance(x, Tensor) and i in wrt else b
               for i, (b, x) in enumerate(zip(base, inputs))])
    o_leaves, o_td = tree_flatten(out)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        cts = []
        for o in o_leaves:
            o = _to_np(o)
            if not _is_inexact(o):
                cts.append(np.zeros(o.shape, o.dtype))
            elif _is_complex(o):
                cts.append(rng.standard_normal(o.shape) + 1j * rng.standard_normal(o.shape))
            else:
                cts.append(rng.standard_normal(o.shape).astype(o.dtype))
        grad_outputs = o_td.unflatten(cts)

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


# -- Jacobians in the layout out.shape + in.shape (real inputs and outputs) ---------------
def _reshape(mats, prob):
    res = []
    for i in prob.wrt:
        row = []
        for k in prob.diff_out:
            M = mats[i, k]
            x, y = prob.base[i], prob.outs[k]
            row.append(M if _is_complex(x) or _is_complex(y) else M.reshape(y.shape + x.shape))
        res.append(row)
    return res


def numerical_jacobian(fn, inputs, wrt, eps=1e-6, method="central"):
    """List (per differentiated input) of lists (per differentiable output) of numerical
    Jacobians of shape ``out.shape + in.shape`` (for complex inputs or outputs: the real
    matrix of components x directions, see the module docstring)."""
    prob = _Problem(fn, _normalize_inputs(inputs), wrt)
    return _reshape(_numerical(prob, eps, method), prob)


def analytic_jacobians(fn, inputs, wrt):
    """(reverse, forward) Jacobians with the layout of ``numerical_jacobian``."""
    prob = _Problem(fn, _normalize_inputs(inputs), wrt)
    rev, fwd = _analytic(prob)
    return _reshape(rev, prob), _reshape(fwd, prob)
