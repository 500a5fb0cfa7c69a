"""Derivative checks shared by the op tests: wengert's derivatives against numerical ones.

``check_grads(f, args, order=2, modes=("fwd", "rev"))`` checks, along random directions
``v`` (inputs) and ``u`` (outputs):

* fwd: ``wg.jvp(f, args, v)`` against a five-point central difference of ``f`` along ``v``
  (truncation error O(h^4), so a few digits better than the two-point formula);
* rev: ``wg.vjp(f, *args)[1](u)`` through the transposition identity
  ``<u, J v> = <J^T u, v>``, where ``J v`` is the numerical derivative (independent of fwd);
* order 2 (and higher): the same checks applied to the JVP function
  ``(x, v) -> J(x) v`` and to the VJP function ``(x, u) -> J(x)^T u`` themselves, which
  exercises fwd-over-fwd, rev-over-fwd, fwd-over-rev and rev-over-rev.

The pairing is ``<a, b> = Re sum(a * b)`` (bilinear, no conjugation): with JAX's convention
(a VJP multiplies by f'(z), it does not conjugate) this makes ``vjp`` the transpose of ``jvp``
for every real-linear map, holomorphic or not (real, imag, conj included).

``check_complex_step`` compares the JVP with ``Im f(x + i h v) / h`` (h = 1e-20): no
subtraction, so agreement to ~1e-13 relative where ``f`` is complex-analytic (real inputs,
holomorphic operations).  ``check_imperative`` goes through ``wg.tensor(...,
requires_grad=True)`` and ``.backward()`` (and ``autograd.grad(create_graph=True)`` for second
order), and through ``forward_ad`` dual tensors.

float32 inputs: the derivatives must stay float32; the numerical reference is computed from
the same inputs upcast to float64 (so only wengert's float32 arithmetic limits the agreement).
"""
from __future__ import annotations

import numpy as np

import wengert as wg
from wengert.autograd import forward_ad

_UPCAST = {np.dtype(np.float32): np.float64, np.dtype(np.float16): np.float64,
           np.dtype(np.complex64): np.complex128}


# --- small helpers -------------------------------------------------------------------------------
def _leaves(tree):
    """Flatten an output (array, Tensor, scalar or pytree of them) to a list of ndarrays."""
    leaves, _ = wg.tree_flatten(tree)
    return [np.asarray(x) for x in leaves]


def _structure(tree):
    return wg.tree_flatten(tree)[1]


def _is_inexact(a):
    return np.issubdtype(np.asarray(a).dtype, np.inexact)


def random_like(rng, a):
    """A random direction with ``a``'s shape and dtype (complex for complex ``a``)."""
    a = np.asarray(a)
    r = rng.standard_normal(a.shape)
    if np.issubdtype(a.dtype, np.complexfloating):
        r = r + 1j * rng.standard_normal(a.shape)
    return r.astype(a.dtype)


def inner(xs, ys):
    """``Re sum_i sum(x_i * y_i)`` accumulated in double precision."""
    total = 0.0
    for x, y in zip(xs, ys):
        x = np.asarray(x, dtype=np.complex128)
        y = np.asarray(y, dtype=np.complex128)
        total += float(np.real(np.sum(x * y)))
    return total


def _upcast(a):
    a = np.asarray(a)
    return a.astype(_UPCAST.get(a.dtype, a.dtype))


def numerical_jvp(f, args, v, eps):
    """Five-point central difference of ``f`` at ``args`` along ``v`` (list of leaves)."""
    args = [_upcast(a) for a in args]
    v = [_upcast(d) for d in v]

    def at(s):
        return _leaves(f(*[a + s * eps * d for a, d in zip(args, v)]))

    p1, m1, p2, m2 = at(1.0), at(-1.0), at(2.0), at(-2.0)
    return [(8.0 * (a - b) - (c - d)) / (12.0 * eps)
            for a, b, c, d in zip(p1, m1, p2, m2)]


def assert_close(actual, expected, rtol, atol, what):
    """Normwise closeness: max|actual - expected| <= atol + rtol * max(|actual|, |expected|).

    (Per element relative error is meaningless where a random direction makes an entry
    cancel; the scale of the whole result is the honest yardstick for rounding.)"""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (
        f"{what}: shape {actual.shape}, expected {expected.shape}")
    if actual.size == 0:
        return
    a = actual.astype(np.complex128)
    e = expected.astype(np.complex128)
    assert np.all(np.isfinite(a)), f"{what}: non-finite values in {actual}"
    err = np.abs(a - e)
    scale = max(np.max(np.abs(a)), np.max(np.abs(e)))
    worst = np.unravel_index(np.argmax(err), err.shape)
    assert err[worst] <= atol + rtol * scale, (
        f"{what}: worst error {err[worst]:.3g} at index {tuple(int(i) for i in worst)} "
        f"(got {actual[worst]!r}, expected {expected[worst]!r}; scale {scale:.3g}, "
        f"rtol {rtol:g}, atol {atol:g})")


def _mag(xs, ys):
    """``sum |x_i * y_i|``: the size of the terms of a pairing, which its rounding and
    truncation errors scale with (the pairing itself may cancel)."""
    return sum(float(np.sum(np.abs(np.asarray(x, dtype=np.complex128)
                                   * np.asarray(y, dtype=np.complex128))))
               for x, y in zip(xs, ys))


def _assert_pairing(lhs, rhs, scale, rtol, atol, what):
    assert np.isfinite(lhs) and np.isfinite(rhs), f"{what}: {lhs!r} vs {rhs!r}"
    assert abs(lhs - rhs) <= atol + rtol * scale, (
        f"{what}: {lhs!r} vs {rhs!r} (difference {abs(lhs - rhs):.3g}, scale {scale:.3g}, "
        f"rtol {rtol:g}, atol {atol:g})")


def _default_tols(args):
    low = any(np.asarray(a).dtype in (np.float32, np.complex64) for a in args)
    if low:
        return 1e-3, 2e-2, 1e-4      # eps, rtol, atol
    return 1e-3, 1e-6, 1e-9


# --- the checks ------------------------------------------------------------------------------
def check_jvp(f, args, *, rng, eps, rtol, atol, label="f"):
    v = [random_like(rng, a) for a in args]
    out, tan = wg.jvp(f, tuple(args), tuple(v))
    outs, tans = _leaves(out), _leaves(tan)
    assert len(outs) == len(tans), f"{label}: jvp returned {len(tans)} tangents for " \
                                   f"{len(outs)} outputs"
    for o, t_ in zip(outs, tans):
        assert t_.shape == o.shape, f"{label}: jvp tangent shape {t_.shape} != output {o.shape}"
        assert t_.dtype == o.dtype, f"{label}: jvp tangent dtype {t_.dtype} != output {o.dtype}"
    ref = numerical_jvp(f, args, v, eps)
    for i, (t_, r) in enumerate(zip(tans, ref)):
        assert_close(t_, r, rtol, atol, f"{label}: jvp (output {i}) vs finite differences")


def check_vjp(f, args, *, rng, eps, rtol, atol, label="f"):
    out, vjp_fn = wg.vjp(f, *args)
    outs = _leaves(out)
    u = [random_like(rng, o) for o in outs]
    cts = vjp_fn(wg.tree_unflatten(_structure(out), u))
    cts = list(cts)
    assert len(cts) == len(args), f"{label}: vjp returned {len(cts)} cotangents for " \
                                  f"{len(args)} inputs"
    for c, a in zip(cts, args):
        c = np.asarray(c)
        a = np.asarray(a)
        assert c.shape == a.shape, f"{label}: vjp cotangent shape {c.shape} != input {a.shape}"
        assert c.dtype == a.dtype, f"{label}: vjp cotangent dtype {c.dtype} != input {a.dtype}"
    v = [random_like(rng, a) for a in args]
    jv = numerical_jvp(f, args, v, eps)
    _assert_pairing(inner(u, jv), inner(cts, v), max(_mag(u, jv), _mag(cts, v)), rtol, atol,
                    f"{label}: <u, J v> by finite differences vs <J^T u, v> by vjp")
    return u


def jvp_function(f, n):
    """``(x_1..x_n, v_1..v_n) -> J(x) v``: the JVP of ``f`` as a function to differentiate."""
    def f_jvp(*xv):
        return wg.jvp(f, tuple(xv[:n]), tuple(xv[n:]))[1]
    return f_jvp


def vjp_function(f, n, out_structure):
    """``(x_1..x_n, u_1..u_m) -> J(x)^T u``: the VJP of ``f`` as a function to differentiate."""
    def f_vjp(*xu):
        _, pullback = wg.vjp(f, *xu[:n])
        return tuple(pullback(wg.tree_unflatten(out_structure, list(xu[n:]))))
    return f_vjp


def derivative_functions(f, args, modes, rng):
    """The first-derivative functions of ``f`` and the points to check them at:
    ``[(label, g, g_args)]`` with one entry per mode."""
    res = []
    if "fwd" in modes:
        v = [random_like(rng, a) for a in args]
        res.append(("jvp", jvp_function(f, len(args)), list(args) + v))
    if "rev" in modes:
        out = f(*args)
        u = [random_like(rng, o) for o in _leaves(out)]
        res.append(("vjp", vjp_function(f, len(args), _structure(out)), list(args) + u))
    return res


def check_grads(f, args, order=2, modes=("fwd", "rev"), eps=None, rtol=None, atol=None,
                rng=None, label="f"):
    """Check ``f``'s derivatives up to ``order`` in ``modes`` (see the module docstring)."""
    args = [np.asarray(a) for a in args]
    rng = np.random.default_rng(0) if rng is None else rng
    d_eps, d_rtol, d_atol = _default_tols(args)
    eps = d_eps if eps is None else eps
    rtol = d_rtol if rtol is None else rtol
    atol = d_atol if atol is None else atol
    kw = {"rng": rng, "eps": eps, "rtol": rtol, "atol": atol}
    if "fwd" in modes:
        check_jvp(f, args, label=label, **kw)
    if "rev" in modes:
        check_vjp(f, args, label=label, **kw)
    if order > 1:
        for name, g, g_args in derivative_functions(f, args, modes, rng):
            check_grads(g, g_args, order - 1, modes, eps, rtol, atol, rng,
                        label=f"{name}({label})")


def check_complex_step(f, args, *, rng=None, h=1e-20, rtol=1e-13, atol=0.0, label="f"):
    """JVP against the complex step Im f(x + i h v) / h (real ``args``, analytic ``f``)."""
    rng = np.random.default_rng(0) if rng is None else rng
    args = [np.asarray(a) for a in args]
    for a in args:
        assert np.issubdtype(a.dtype, np.floating), "the complex step needs real inputs"
    v = [random_like(rng, a) for a in args]
    _, tan = wg.jvp(f, tuple(args), tuple(v))
    shifted = [a.astype(np.complex128) + 1j * h * d for a, d in zip(args, v)]
    ref = [np.imag(o) / h for o in _leaves(f(*shifted))]
    for i, (t_, r) in enumerate(zip(_leaves(tan), ref)):
        assert_close(t_, r, rtol, atol, f"{label}: jvp (output {i}) vs complex step")


def check_imperative(f, args, order=2, *, rng=None, eps=None, rtol=None, atol=None,
                     label="f"):
    """The PyTorch-style API: ``.backward(gradient=u)`` fills ``.grad`` with J^T u (same
    shape and dtype as the leaf); forward_ad dual tensors give J v; with ``order=2``,
    ``autograd.grad(create_graph=True)`` followed by ``backward`` gives the second derivative.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    args = [np.asarray(a) for a in args]
    d_eps, d_rtol, d_atol = _default_tols(args)
    eps = d_eps if eps is None else eps
    rtol = d_rtol if rtol is None else rtol
    atol = d_atol if atol is None else atol

    xs = [wg.tensor(a, requires_grad=True) for a in args]
    out = f(*xs)
    outs = wg.tree_leaves(out)
    u = [random_like(rng, np.asarray(o.detach())) for o in outs]
    for o, ui in zip(outs, u):
        if o.requires_grad:
            o.backward(gradient=wg.tensor(ui), retain_graph=True)
    grads = []
    for x, a in zip(xs, args):
        g = np.zeros_like(a) if x.grad is None else x.grad.numpy()
        assert g.shape == a.shape and g.dtype == a.dtype, (
            f"{label}: .grad has shape {g.shape} dtype {g.dtype}; leaf has {a.shape} {a.dtype}")
        grads.append(g)
    v = [random_like(rng, a) for a in args]
    jv = numerical_jvp(f, args, v, eps)
    _assert_pairing(inner(u, jv), inner(grads, v), max(_mag(u, jv), _mag(grads, v)), rtol, atol,
                    f"{label}: <u, J v> by finite differences vs <x.grad, v> by backward")

    # forward mode through dual tensors
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(wg.tensor(a), wg.tensor(d)) for a, d in zip(args, v)]
        res = wg.tree_leaves(f(*duals))
        for i, (r, ref) in enumerate(zip(res, jv)):
            tan = forward_ad.unpack_dual(r).tangent
            tan = np.zeros(ref.shape) if tan is None else np.asarray(tan)
            assert_close(tan, ref, rtol, atol, f"{label}: dual tangent (output {i})")

    if order < 2:
        return
    # second order: w . d/dx <J(x)^T u, w'> by create_graph, against differences of the VJP
    xs = [wg.tensor(a, requires_grad=True) for a in args]
    outs = wg.tree_leaves(f(*xs))
    pairs = [(o, wg.tensor(ui)) for o, ui in zip(outs, u) if o.requires_grad]
    if not pairs:
        return
    gs = wg.autograd.grad([p[0] for p in pairs], xs, [p[1] for p in pairs],
                          create_graph=True, allow_unused=True)
    w = [random_like(rng, a) for a in args]
    s = None
    for g, wi in zip(gs, w):
        if g is None:
            continue
        term = (g * wg.tensor(wi)).sum()
        if np.iscomplexobj(wi):
            term = wg.numpy.real(term)
        s = term if s is None else s + term
    if s is not None and s.requires_grad:
        s.backward()
    h2 = [np.zeros_like(a) if x.grad is None else x.grad.numpy() for x, a in zip(xs, args)]
    f_vjp = vjp_function(f, len(args), _structure(f(*args)))

    def pairing(*x):
        return wg.numpy.real(sum(wg.numpy.sum(wg.numpy.multiply(c, wi))
                                 for c, wi in zip(f_vjp(*x, *u), w)))
    v2 = [random_like(rng, a) for a in args]
    d2 = numerical_jvp(pairing, args, v2, eps)[0]
    _assert_pairing(float(np.real(d2)), inner(h2, v2),
                    max(abs(float(np.real(d2))), _mag(h2, v2)),
                    rtol, atol, f"{label}: second derivative, differences of the vjp vs "
                    f"create_graph + backward")
