"""The op rules tuned for the eager benchmarks (issue 5, W2 and W6): what each change does is
asserted here, next to the derivatives it must keep.

* ``log_softmax`` is one primitive (one node) with a direct rule, exact at first and second
  order and at its edge rows; logsumexp/softmax record no node for their (constant) shift;
* matmul, tanh, sum and log_softmax have bare-ndarray VJP rules for the unrecorded backward
  pass: the same values as their general (recorded, differentiable) rules;
* matmul's weight cotangent for a batched input is one product (no (batch, k, n) stack);
* ``x[t]`` of a tensor that does not require grad records nothing, so the backward pass never
  scatters into x-sized zeros.
"""
import tracemalloc

import numpy as np
import pytest
import scipy.special as sps
from _checks import check_complex_step, check_grads

import wengert as wg
import wengert.numpy as wnp


def _nodes(t):
    """The grad_fn nodes reachable from ``t`` (AccumulateGrad included)."""
    seen, stack = [], [t.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or any(n is s for s in seen):
            continue
        seen.append(n)
        stack.extend(p for p, _ in n.next_functions)
    return seen


def _names(t):
    return sorted(n.name() for n in _nodes(t))


def _both_paths(f, args, ct):
    """Input cotangents of ``f(*args)`` for cotangent ``ct`` from the engine's unrecorded
    (bare-ndarray) backward pass and from a recorded one (create_graph: the general rules)."""
    res = []
    for create in (False, True):
        xs = [wg.tensor(a, requires_grad=True) for a in args]
        out = f(*xs)
        gs = wg.autograd.grad(out, xs, wg.tensor(ct), create_graph=create)
        res.append([g.detach().numpy() for g in gs])
    return res


# --- log_softmax -----------------------------------------------------------------------------------
def test_log_softmax_records_one_node():
    x = wg.tensor(np.random.default_rng(0).standard_normal((4, 5)), requires_grad=True)
    out = wnp.log_softmax(x, axis=1)
    assert _names(out) == ["AccumulateGrad", "LogSoftmaxBackward0"]


def test_classifier_loss_graph_is_small():
    # the W2 loss: 3 matmul, 3 add, 2 tanh, log_softmax, multiply, 2 sum, divide, negative
    rng = np.random.default_rng(0)
    ps = [wg.tensor(rng.standard_normal(s), requires_grad=True)
          for s in [(6, 5), (5,), (5, 5), (5,), (5, 3), (3,)]]
    X, Y = rng.standard_normal((4, 6)), np.eye(3)[[0, 1, 2, 0]]
    W1, b1, W2, b2, W3, b3 = ps
    z = wnp.tanh(wnp.tanh(X @ W1 + b1) @ W2 + b2) @ W3 + b3
    loss = -wnp.mean(wnp.sum(Y * wnp.log_softmax(z, axis=1), axis=1))
    ops = [n for n in _names(loss) if n != "AccumulateGrad"]
    assert len(ops) == 14, ops
    assert "MaxBackward0" not in ops and "WhereBackward0" not in ops


@pytest.mark.parametrize("axis", [-1, 0, None, (0, 1)])
def test_log_softmax_value_matches_scipy(axis):
    x = np.random.default_rng(1).standard_normal((3, 4))
    np.testing.assert_allclose(wnp.log_softmax(x, axis=axis).numpy(),
                               sps.log_softmax(x, axis=axis), rtol=1e-14, atol=1e-15)


def _lsm_analytic(x, w, axis):
    """f = sum(w * log_softmax(x)) over rows of ``axis`` (2-D x): gradient w - p sum(w), Hessian
    -sum(w) (diag(p) - p p^T) per row."""
    p = sps.softmax(x, axis=axis)
    s = w.sum(axis=axis, keepdims=True)
    grad = w - p * s
    n, m = x.shape
    H = np.zeros((n, m, n, m))
    for i in range(n):
        for j in range(m):
            for k in range(n):
                for l_ in range(m):
                    same = (i == k) if axis == 1 else (j == l_)
                    if not same:
                        continue
                    a, b = ((i, j), (k, l_))
                    row_s = s[i, 0] if axis == 1 else s[0, j]
                    H[i, j, k, l_] = -row_s * ((a == b) * p[a] - p[a] * p[b])
    return grad, H


@pytest.mark.parametrize("axis", [0, 1])
def test_log_softmax_grad_and_hessian_are_analytic(axis):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))

    def f(a):
        return wnp.sum(w * wnp.log_softmax(a, axis=axis))
    grad, H = _lsm_analytic(x, w, axis)
    np.testing.assert_allclose(wg.grad(f)(x), grad, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(wg.hessian(f)(x), H, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(wg.jacfwd(wg.grad(f))(x), H, rtol=1e-10, atol=1e-13)
    t = rng.standard_normal((3, 4))
    p = sps.softmax(x, axis=axis)
    _, tan = wg.jvp(lambda a: wnp.log_softmax(a, axis=axis), (x,), (t,))
    np.testing.assert_allclose(tan, t - (p * t).sum(axis=axis, keepdims=True), rtol=1e-12)


def test_log_softmax_finite_differences_to_second_order():
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    check_grads(lambda a: wnp.log_softmax(a, axis=(0, 2)), [x], order=2)
    check_complex_step(lambda a: wnp.log_softmax(a, axis=1), [x])


def test_log_softmax_raw_and_recorded_rules_agree():
    rng = np.random.default_rng(4)
    x, ct = rng.standard_normal((5, 7)), rng.standard_normal((5, 7))
    raw, rec = _both_paths(lambda a: wnp.log_softmax(a, axis=1), [x], ct)
    np.testing.assert_allclose(raw[0], rec[0], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(raw[0], ct - sps.softmax(x, axis=1) * ct.sum(1, keepdims=True),
                               rtol=1e-13, atol=1e-15)


def test_log_softmax_edge_rows():
    inf, nan = np.inf, np.nan
    x = np.array([[-inf, -inf, -inf], [inf, 1.0, 2.0], [nan, 1.0, 2.0], [-inf, 0.0, 1.0]])
    w = np.array([1.0, 2.0, -4.0])
    with np.errstate(invalid="ignore"):
        val = wnp.log_softmax(x, axis=1).numpy()
        # undefined rows without a NaN input: derivative = identity (p = 0 there), as the
        # composite x - logsumexp(x) gave; a NaN input: NaN; a -inf entry: weight 0
        raw, rec = _both_paths(lambda a: wnp.log_softmax(a, axis=1), [x], np.tile(w, (4, 1)))
        _, tan = wg.jvp(lambda a: wnp.log_softmax(a, axis=1), (x,), (np.tile(w, (4, 1)),))
    assert np.isnan(val[:3]).sum() == 7 and np.isneginf(val[1, 1:]).all()
    np.testing.assert_allclose(val[3], sps.log_softmax(x[3]))
    p = sps.softmax(x[3])
    for g in (raw[0], rec[0]):
        np.testing.assert_array_equal(g[:2], np.tile(w, (2, 1)))
        assert np.isnan(g[2]).all()
        np.testing.assert_allclose(g[3], w - p * w.sum(), rtol=1e-14)
    np.testing.assert_array_equal(tan[:2], np.tile(w, (2, 1)))
    np.testing.assert_allclose(tan[3], w - (p * w).sum(), rtol=1e-14)
    # all-(-inf) rows warn as NumPy does (-inf - -inf), never from log(0)
    with pytest.warns(RuntimeWarning, match="invalid value"):
        wnp.log_softmax(x[:1], axis=1)


def test_log_softmax_large_values_and_dtypes():
    x = np.array([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(wnp.log_softmax(x, axis=1).numpy(), [[0.0, -1000.0, -2000.0]])
    g = wg.grad(lambda a: wnp.log_softmax(a, axis=1)[0, 1])(x)
    np.testing.assert_array_equal(g, [[-1.0, 1.0, 0.0]])
    x32 = np.random.default_rng(5).standard_normal((4, 3)).astype(np.float32)
    out = wnp.log_softmax(x32, axis=1)
    assert out.dtype == np.float32
    assert wg.grad(lambda a: wnp.sum(wnp.log_softmax(a, axis=1)[:, 0]))(x32).dtype == np.float32
    np.testing.assert_allclose(wnp.log_softmax(np.array([1, 2, 3])).numpy(),
                               sps.log_softmax([1.0, 2.0, 3.0]), rtol=1e-15)
    z = np.array([[1 + 1j, 2 - 0.5j, 0.3j]])
    (gz,) = wg.vjp(lambda a: wnp.log_softmax(a, axis=1), z)[1](np.ones((1, 3)) + 0j)
    pz = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(gz, 1 - 3 * pz, rtol=1e-14)  # JAX's convention: no conjugate


def test_log_softmax_vmap():
    x = np.random.default_rng(6).standard_normal((4, 3, 5))
    for ax in (0, 1, None):
        got = wg.vmap(lambda a, ax=ax: wnp.log_softmax(a, axis=ax), in_axes=1)(x)
        want = np.stack([sps.log_softmax(x[:, i], axis=ax) for i in range(3)])
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)
    gs = wg.vmap(wg.grad(lambda a: wnp.log_softmax(a)[0]))(x[0])
    p = sps.softmax(x[0], axis=-1)
    np.testing.assert_allclose(gs, np.eye(5)[0] - p, rtol=1e-13, atol=1e-15)


def test_logsumexp_and_softmax_record_no_shift_node():
    # the shift max(x) is a constant: no node is recorded for it (it used to be, and then cut
    # off by stop_gradient).  softmax = exp(x - m) / sum(...): subtract, exp, sum, divide
    x = wg.tensor(np.random.default_rng(7).standard_normal((3, 4)), requires_grad=True)
    counts = []
    for f in (wnp.softmax, wnp.logsumexp, wnp.log_softmax):
        with wg.memory.track() as m:
            out = f(x, axis=1)
        assert "MaxBackward0" not in _names(out)
        counts.append(m.nodes_recorded)
    assert counts[0] == 4 and counts[1] <= 8 and counts[2] == 1, counts
    xv = x.detach().numpy()
    g = wg.grad(lambda a: wnp.logsumexp(a, axis=1).sum())(xv)
    np.testing.assert_allclose(g, sps.softmax(xv, axis=1), rtol=1e-14)


# --- matmul -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("xs,ys", [((4, 3), (3, 5)), ((2, 4, 3), (3, 5)), ((2, 4, 3), (2, 3, 5)),
                                   ((4, 3), (2, 3, 5)), ((3,), (3, 5)), ((4, 3), (3,)),
                                   ((3,), (3,)), ((2, 1, 4, 3), (3, 3, 2))])
def test_matmul_raw_and_recorded_rules_agree(xs, ys):
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal(xs), rng.standard_normal(ys)
    ct = rng.standard_normal(np.matmul(x, y).shape)
    raw, rec = _both_paths(wnp.matmul, [x, y], ct)
    for a, b in zip(raw, rec):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)
    check_grads(wnp.matmul, [x, y], order=2)


def test_matmul_weight_cotangent_of_a_batched_input_is_one_product():
    # (B, m, k) @ (k, n): y's cotangent is x^T g contracted over batch and rows together; no
    # (B, k, n) stack of per-example products is formed and then summed away
    B, m, k, n = 64, 8, 32, 16
    rng = np.random.default_rng(9)
    x = wg.tensor(rng.standard_normal((B, m, k)))
    y = wg.tensor(rng.standard_normal((k, n)), requires_grad=True)
    out = wnp.sum(x @ y)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        (gy,) = wg.autograd.grad(out, [y])
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert peak < B * k * n * 8 // 2, peak
    np.testing.assert_allclose(gy.numpy(), np.broadcast_to(
        x.numpy().sum(axis=(0, 1))[:, None], (k, n)), rtol=1e-12)


def test_matmul_batched_input_second_order():
    rng = np.random.default_rng(10)
    x, y = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 2))
    w = rng.standard_normal((2, 3, 2))

    def f(a, b):
        return wnp.sum(w * wnp.tanh(a @ b))
    hy = wg.hessian(f, argnums=1)(x, y)
    eps = 1e-5
    gfun = wg.grad(f, argnums=1)
    fd = np.zeros((4, 2, 4, 2))
    for i in np.ndindex(4, 2):
        e = np.zeros((4, 2))
        e[i] = eps
        fd[:, :, i[0], i[1]] = (gfun(x, y + e) - gfun(x, y - e)) / (2 * eps)
    np.testing.assert_allclose(hy, fd, rtol=1e-6, atol=1e-8)


def test_ndarray_matmul_tensor_dispatches_and_records():
    rng = np.random.default_rng(11)
    x, u = rng.standard_normal((3, 4)), wg.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    out = x @ u
    assert isinstance(out, wg.Tensor) and out.grad_fn.name() == "MatmulBackward0"
    out2 = np.add(x[:, :2], out)
    assert out2.grad_fn.name() == "AddBackward0"
    np.testing.assert_allclose(out2.detach().numpy(), x[:, :2] + x @ u.detach().numpy())


# --- tanh (the elementwise family's bare-ndarray rule) and sum (its own) ------------------------
def test_tanh_raw_rule_matches_formula_and_keeps_strong_zeros():
    rng = np.random.default_rng(12)
    x, ct = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    raw, rec = _both_paths(wnp.tanh, [x], ct)
    want = ct * (1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(raw[0], want, rtol=1e-14)
    np.testing.assert_allclose(rec[0], want, rtol=1e-14)
    # a NaN input: its derivative is NaN, but a zero cotangent there still gives 0
    xn = np.array([np.nan, 1.0, 2.0])
    raw, rec = _both_paths(wnp.tanh, [xn], np.array([0.0, 1.0, 1.0]))
    for g in (raw[0], rec[0]):
        np.testing.assert_allclose(g, [0.0, 1 - np.tanh(1.0) ** 2, 1 - np.tanh(2.0) ** 2])
    assert wg.grad(lambda a: wnp.tanh(a))(np.float32(0.5)).dtype == np.float32
    assert wg.grad(wnp.tanh)(0.5) == pytest.approx(1 - np.tanh(0.5) ** 2, rel=1e-15)
    x32 = x.astype(np.float32)
    assert wg.grad(lambda a: wnp.sum(wnp.tanh(a)))(x32).dtype == np.float32


@pytest.mark.parametrize("shape,axis,keepdims", [((3, 4), None, False), ((3, 4), (1,), False),
                                                 ((3, 4), (0,), True), ((80, 70), None, False),
                                                 ((80, 70), (0,), False), ((2, 3, 4), (0, 2), True),
                                                 ((5,), None, True)])
def test_sum_raw_rule(shape, axis, keepdims):
    rng = np.random.default_rng(13)
    x = rng.standard_normal(shape)
    ct = rng.standard_normal(np.sum(x, axis=axis, keepdims=keepdims).shape)
    raw, rec = _both_paths(lambda a: wnp.sum(a, axis=axis, keepdims=keepdims), [x], ct)
    want = np.broadcast_to(ct if keepdims or axis is None else np.expand_dims(ct, axis), shape)
    np.testing.assert_array_equal(raw[0], want)
    np.testing.assert_array_equal(rec[0], want)


# --- indexing a tensor that does not require grad ---------------------------------------------------
def test_rnn_backward_does_not_scatter_into_the_input_sequence():
    # W6's loop with xs a Tensor that does not require grad: xs[t] records no node, so the
    # backward pass allocates nothing of xs's size (no zeros(xs.shape) scatter per step)
    T, B, D, H = 100, 8, 128, 16
    rng = np.random.default_rng(14)
    xs = wg.tensor(rng.standard_normal((T, B, D)))
    W = wg.tensor(rng.standard_normal((H, H)) / 4, requires_grad=True)
    U = wg.tensor(rng.standard_normal((D, H)) / 6, requires_grad=True)
    h = wg.tensor(np.zeros((B, H)))
    for t in range(T):
        h = wnp.tanh(h @ W + xs[t] @ U)
    loss = wnp.sum(h)
    assert "GetitemBackward0" not in _names(loss)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        gW, gU = wg.autograd.grad(loss, [W, U])
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert peak < xs.numpy().nbytes // 4, peak
    # reference: the hand-written backward pass
    Wv, Uv, xv = W.detach().numpy(), U.detach().numpy(), xs.numpy()
    hs = [np.zeros((B, H))]
    for t in range(T):
        hs.append(np.tanh(hs[-1] @ Wv + xv[t] @ Uv))
    g, rW, rU = np.ones((B, H)), 0, 0
    for t in range(T - 1, -1, -1):
        da = g * (1 - hs[t + 1] ** 2)
        rW, rU = rW + hs[t].T @ da, rU + xv[t].T @ da
        g = da @ Wv.T
    np.testing.assert_allclose(gW.numpy(), rW, rtol=1e-12)
    np.testing.assert_allclose(gU.numpy(), rU, rtol=1e-12)


# --- strong zeros on large arrays (the finiteness test by one dot product) -------------------
def test_finite_test_on_large_arrays():
    from wengert.numpy._family import _BIG, _finite
    n = _BIG + 3
    d = np.full(n, 1e200)                      # finite, but its sum of squares overflows
    assert _finite(d)
    assert _finite(np.full(n, 1e30, np.float32))
    for bad in (np.inf, -np.inf, np.nan):
        e = np.ones(n)
        e[n // 2] = bad
        assert not _finite(e)
        assert not _finite(e.reshape(-1, 1)[::1])   # 2-D and contiguous
    assert not _finite(np.ones((n, 2))[:, 0] * np.inf)  # non-contiguous: exact path


@pytest.mark.parametrize("n", [5, 5000])
def test_strong_zero_on_small_and_large_arrays(n):
    x = np.linspace(0, 4, n)            # sqrt'(0) = inf meets a zero cotangent at x = 0
    m = (x > 0).astype(float)

    def f(x):
        return wnp.sum(wnp.sqrt(x) * m)

    expect = np.zeros(n)
    expect[1:] = 0.5 / np.sqrt(x[1:])
    with np.errstate(divide="ignore"):  # sqrt'(0) = 0.5 / 0 is computed, then masked
        g = wg.grad(f)(x)
        xt = wg.tensor(x, requires_grad=True)
        f(xt).backward()
    np.testing.assert_allclose(g, expect, rtol=1e-14)
    np.testing.assert_allclose(xt.grad.numpy(), expect, rtol=1e-14)


# --- recorded graphs share aval tuples (fewer objects for the cyclic GC) ----------------------
def test_recorded_nodes_share_aval_tuples():
    x = wg.tensor(np.ones((3, 4)), requires_grad=True)
    a = x * 2.0
    b = wnp.tanh(a)
    c = b * a
    assert b.grad_fn.in_avals is a.grad_fn.out_avals
    assert b.grad_fn.out_avals is b.grad_fn.in_avals
    assert c.grad_fn.in_avals[0] is c.grad_fn.in_avals[1]
    assert c.grad_fn.out_avals is b.grad_fn.out_avals
    # a value replaced through .data with another shape is described by its own aval
    d = x * 1.0
    d.data = np.ones((2, 4))
    e = wnp.tanh(d)
    assert e.grad_fn.in_avals == (((2, 4), np.dtype(np.float64)),)
    assert d.grad_fn.out_avals == (((3, 4), np.dtype(np.float64)),)
    s = wnp.sum(b) + wnp.sum(c)
    s.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (1 - np.tanh(2.0) ** 2) * (1 + 2.0)
                               + 2 * np.tanh(2.0))


def test_recording_allocates_few_tracked_objects():
    import gc
    x = wg.tensor(np.ones((8, 16)), requires_grad=True)
    h = x * 1.0
    keep = []
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        c0 = gc.get_count()[0]
        for _ in range(50):
            h = wnp.tanh(h)
            keep.append(h)
        per_op = (gc.get_count()[0] - c0) / 50
    finally:
        if was:
            gc.enable()
    # the Tensor, its Node, one edge, the edges tuple, the saved-args and saved-output tuples
    assert per_op <= 7, per_op


# --- in-place accumulation of cotangents in the raw loop (only into buffers no one else holds) ---
def test_accumulation_never_writes_into_shared_cotangents():
    rng = np.random.default_rng(3)
    x0 = rng.normal(size=(4, 4))
    w = rng.normal(size=(4, 4))
    v = rng.normal(size=(4, 4))
    cases = [
        # add passes one cotangent array to both inputs, which then meet again at x
        (lambda x: wnp.sum(w * (x + x)) + wnp.sum(x * 3.0), 2 * w + 3.0),
        # a transpose's cotangent is a view of its output's
        (lambda x: wnp.sum(w * x.T) + wnp.sum(v * x), w.T + v),
        # sum's cotangent is a read-only broadcast
        (lambda x: wnp.sum(x) + wnp.sum(x * 2.0) + wnp.sum(v * x), 3.0 + v),
        # a chain whose every contribution lands on the same leaf
        (lambda x: wnp.sum(wnp.sin(x)) + wnp.sum(wnp.cos(x)) + wnp.sum(x * x),
         np.cos(x0) - np.sin(x0) + 2 * x0),
    ]
    for f, expect in cases:
        np.testing.assert_allclose(wg.grad(f)(x0), expect, rtol=1e-13, atol=1e-13)
        xt = wg.tensor(x0, requires_grad=True)
        f(xt).backward()
        np.testing.assert_allclose(xt.grad.numpy(), expect, rtol=1e-13, atol=1e-13)


def test_accumulation_leaves_user_cotangents_alone():
    x0 = np.arange(6.0)
    ct = np.linspace(1, 2, 6)
    keep = ct.copy()
    out, pullback = wg.vjp(lambda x: x * 1.0 + x * 2.0, x0)
    (g,) = pullback(ct)
    np.testing.assert_array_equal(ct, keep)
    np.testing.assert_allclose(g, 3 * keep)
    xt = wg.tensor(x0, requires_grad=True)
    y = xt + xt
    gt = wg.tensor(ct.copy())
    y.backward(gt)
    np.testing.assert_array_equal(gt.numpy(), keep)
    np.testing.assert_allclose(xt.grad.numpy(), 2 * keep)


def test_exclusive_refcount_is_measured():
    import sys
    from wengert._core.graph import _EXCLUSIVE
    d = {0: np.empty(1)}
    pb = d.get(0)
    other = pb  # a second holder must show
    assert sys.getrefcount(pb) > _EXCLUSIVE
    del other
    assert sys.getrefcount(pb) == _EXCLUSIVE


def test_product_reuses_only_fresh_derivatives():
    from wengert.numpy._family import _BIG, _times
    n = _BIG + 1
    g = np.linspace(0.5, 1.5, n)
    d = np.linspace(-1, 1, n)
    keep = d.copy()
    r = _times(g, d)                      # d is held here: a new array
    assert r is not d
    np.testing.assert_array_equal(d, keep)
    r = _times(g, np.cos(keep))           # a temporary: overwritten in place, same values
    np.testing.assert_allclose(r, g * np.cos(keep), rtol=0, atol=0)
    view = np.cos(np.concatenate([keep, keep]))[:n]
    r = _times(g, view)                   # a view of a temporary: its base is kept intact
    np.testing.assert_allclose(r, g * np.cos(keep), rtol=0, atol=0)
    # large gradients through rules with fresh (sin, tanh) and saved (exp) derivatives
    x = np.linspace(-2, 2, n)
    f = lambda x: wnp.sum(wnp.sin(x) * wnp.exp(-x * x) + wnp.tanh(x))
    expect = (np.cos(x) - 2 * x * np.sin(x)) * np.exp(-x * x) + 1 - np.tanh(x) ** 2
    np.testing.assert_allclose(wg.grad(f)(x), expect, rtol=1e-12, atol=1e-14)


def test_add_routes_cotangents_without_its_rule_only_when_nothing_broadcasts():
    rng = np.random.default_rng(5)
    a0 = rng.normal(size=(3, 4))
    b_row = rng.normal(size=4)
    w = rng.normal(size=(3, 4))
    # same shapes: both inputs get the cotangent itself
    ga, gb = wg.grad(lambda a, b: wnp.sum(w * (a + b)), argnums=(0, 1))(a0, a0 * 2)
    np.testing.assert_allclose(ga, w)
    np.testing.assert_allclose(gb, w)
    # broadcasting: the rule sums over the broadcast axis
    ga, gb = wg.grad(lambda a, b: wnp.sum(w * (a + b)), argnums=(0, 1))(a0, b_row)
    np.testing.assert_allclose(gb, w.sum(axis=0))
    assert gb.shape == (4,)
    # promotion: a float32 input gets a float32 cotangent
    a32 = a0.astype(np.float32)
    ga, gb = wg.grad(lambda a, b: wnp.sum(w * (a + b)), argnums=(0, 1))(a32, a0)
    assert ga.dtype == np.float32 and gb.dtype == np.float64
    np.testing.assert_allclose(ga, w.astype(np.float32))
    # a root cotangent of another dtype is fitted to the input's
    out, pullback = wg.vjp(lambda x: x + x, a0)
    (g,) = pullback(np.ones((3, 4), np.float32))
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2.0)


def test_strong_zero_with_a_broadcast_cotangent():
    from wengert.numpy._family import _BIG, _plain_product_ok
    n = _BIG + 5
    d = np.ones(n)
    d[7] = np.inf
    assert _plain_product_ok(np.broadcast_to(np.float64(2.0), (n,)), d)
    assert not _plain_product_ok(np.broadcast_to(np.float64(0.0), (n,)), d)
    assert _plain_product_ok(np.broadcast_to(np.float64(0.0), (n,)), np.ones(n))
    # end to end: d/dx sum(sqrt(x) * 0) at x = 0 is 0 (the broadcast cotangent is all zeros)
    x = np.zeros(n)
    with np.errstate(divide="ignore"):
        g = wg.grad(lambda x: wnp.sum(wnp.sqrt(x)) * 0.0)(x)
    np.testing.assert_array_equal(g, np.zeros(n))


def test_matmul_fast_path_results():
    a = wg.tensor(np.arange(3.0), requires_grad=True)
    b = wg.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    s = a @ b
    assert type(s._value) is np.ndarray and s.shape == ()
    s.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, -2.0, 0.5])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="enough dimensions"):
        wg.tensor(2.0) @ b
    m = wg.tensor(np.arange(6).reshape(2, 3)) @ wg.tensor(np.arange(3))   # integers: no graph
    assert m.grad_fn is None and m.dtype.kind == "i"
    np.testing.assert_array_equal(m.numpy(), np.arange(6).reshape(2, 3) @ np.arange(3))


def test_product_in_place_needs_the_declared_holders_only():
    from wengert.numpy._family import _BIG, _FRESH_LOCAL, _times
    n = _BIG + 1
    g = np.linspace(0.5, 1.5, n)
    d = np.cos(np.linspace(-1, 1, n))
    keep = d.copy()
    also = d                               # a second holder: no in-place product
    r = _times(g, d, _FRESH_LOCAL)
    assert r is not d
    np.testing.assert_array_equal(d, keep)
    del also
    r = _times(g, d, _FRESH_LOCAL)         # only this local holds d: overwritten in place
    np.testing.assert_array_equal(r, g * keep)


def test_unary_op_on_a_plain_array_takes_the_direct_path_with_numpy_results():
    """A unary wrapper applied to a bare ndarray outside every transform calls NumPy directly
    and wraps the result (nothing can require grad); dtypes, integer inputs, 0-d arrays and
    the transforms, recording and the chapter's tracing observers still see the same thing."""
    for x in (np.linspace(-2, 2, 7), np.arange(5), np.float32([0.5, -1.5]), np.array(0.25)):
        for f, ref in ((wnp.sin, np.sin), (wnp.exp, np.exp), (wnp.negative, np.negative)):
            y = f(x)
            assert type(y) is wg.Tensor and y.grad_fn is None and not y.requires_grad
            r = ref(x)
            assert y.dtype == r.dtype and y.shape == r.shape
            np.testing.assert_array_equal(y.numpy(), r)
    x = np.linspace(-1, 1, 5)
    # inside transforms the array is a constant of the traced function
    g = wg.grad(lambda w: wnp.sum(w * wnp.sin(x)))(np.ones(5))
    np.testing.assert_allclose(g, np.sin(x))
    jv = wg.jvp(lambda w: w * wnp.exp(x), (np.ones(5),), (np.ones(5),))[1]
    np.testing.assert_allclose(jv, np.exp(x))
    # the Wengert list of the function folds the op on the array into a constant, as before
    text = str(wg.make_trace(lambda w: wnp.cos(x) * w)(np.ones(5)))
    assert "multiply const(5,) v1" in text and "cos" not in text
    # an op observer (the chapter's tracing hooks) still sees the op applied to the array
    from wengert._core import primitive as prim
    seen = []
    prim._observers.append(lambda p, args, params, out: seen.append(p.name))
    try:
        wnp.tanh(x)
    finally:
        prim._observers.pop()
    assert seen == ["tanh"]


def test_full_sum_fast_path_matches_the_general_path():
    """wnp.sum(x) of a whole float tensor or array outside every transform skips bind: the
    same value, dtype and node (params included) as the general path, which integers, bools,
    axes, dtype= and keepdims still take."""
    rng = np.random.default_rng(3)
    for v in (rng.normal(size=(3, 4)), rng.normal(size=5).astype(np.float32), np.array(2.5),
              np.zeros((0, 3)), rng.normal(size=3) + 1j * rng.normal(size=3)):
        s = wnp.sum(v)
        r = np.sum(v)
        assert type(s) is wg.Tensor and s.grad_fn is None
        assert s.dtype == r.dtype and s.shape == ()
        np.testing.assert_allclose(s.numpy(), r, rtol=1e-6)
        if v.dtype.kind == "f":
            x = wg.tensor(v, requires_grad=True)
            y = wnp.sum(x * x)
            slow = wnp.sum(x * x, axis=tuple(range(v.ndim)))  # the general path
            assert y.grad_fn.name() == slow.grad_fn.name() == "SumBackward0"
            assert y.grad_fn.params == {"axis": None, "keepdims": False}
            np.testing.assert_allclose(y.detach().numpy(), slow.detach().numpy(), rtol=1e-6)
            y.backward()
            np.testing.assert_allclose(x.grad.numpy(), 2 * v, rtol=1e-6)
            assert x.grad.dtype == v.dtype
    for v in (np.arange(4, dtype=np.int8), np.array([True, True, False])):
        s = wnp.sum(v)
        assert s.dtype == np.sum(v).dtype and s.numpy() == np.sum(v)
    # under a transform the general path runs: second order through the sum
    h = wg.hessian(lambda x: wnp.sum(x ** 3))(np.array([1.0, -2.0]))
    np.testing.assert_allclose(h, np.diag([6.0, -12.0]))
    check_grads(lambda x: wnp.sum(wnp.sin(x)), (rng.normal(size=4),), order=2)


def test_pytree_leaf_fast_path_keeps_structure_and_registrations():
    """_flatten tests array and scalar leaves before the container kinds; the result and the
    treedefs are those of the general path, and a registered class is flattened as a node even
    when it subclasses an array type or is an array type itself."""
    tree = {"w": np.ones(2), "b": (1.0, None, [wg.tensor(2.0), 3, True, 1j])}
    leaves, td = wg.tree_flatten(tree)
    assert [type(x) for x in leaves] == [float, wg.Tensor, int, bool, complex, np.ndarray]
    assert repr(td) == "{'b': (*, None, [*, *, *, *]), 'w': *}"
    rebuilt = td.unflatten(leaves)
    assert rebuilt["b"][1] is None and rebuilt["w"] is tree["w"]
    assert wg.tree_flatten(np.zeros(3))[1] == wg.tree_flatten(1.0)[1]

    class Pair(np.ndarray):
        pass

    p = np.arange(2.0).view(Pair)
    assert wg.tree_flatten(p)[0] == [p]  # an unregistered subclass is a leaf
    wg.register_pytree_node(Pair, lambda x: (list(np.asarray(x)), None),
                            lambda aux, kids: np.array(kids).view(Pair))
    try:
        leaves, td = wg.tree_flatten(p)
        assert leaves == [0.0, 1.0] and td.num_leaves == 2
    finally:
        from wengert import _tree
        del _tree._REGISTRY[Pair]


def test_square_cotangents_share_one_product_and_gradients_alias_no_input():
    """x * x computes g * x once for both inputs; a large cotangent of ones broadcast from a
    sum times a derivative is a read-only view of the derivative.  Such shared arrays are
    never written in place, gradients that reuse them stay exact, and no gradient handed to
    the caller is an input array (the gradient of sum(x * y) is a new array equal to y,
    which the caller may modify)."""
    from wengert.numpy import _elementwise as ew
    from wengert.numpy._family import _BIG
    rng = np.random.default_rng(5)
    x = rng.normal(size=8)
    g = rng.normal(size=8)
    r0, r1 = ew.multiply_p.raw_vjp((True, True), g, None, x, x)
    assert r0 is r1
    np.testing.assert_array_equal(r0, g * x)
    # a large cotangent of ones broadcast from a sum: the product is d, as a read-only view
    from wengert.numpy._family import _times
    d = rng.normal(size=_BIG)
    p = _times(np.broadcast_to(np.ones(()), d.shape), d)
    assert np.shares_memory(p, d) and not p.flags.writeable
    np.testing.assert_array_equal(p, d)
    assert not np.shares_memory(_times(np.broadcast_to(np.float64(2.0), d.shape), d), d)
    for n in (7, _BIG + 3):
        y = rng.normal(size=n)
        gx, gy = wg.grad(lambda a, b: wnp.sum(a * b), argnums=(0, 1))(rng.normal(size=n), y)
        assert not np.shares_memory(gx, y)
        np.testing.assert_array_equal(gx, y)
        gx *= 2  # the caller owns the gradient
        assert not np.array_equal(gx, y)
        x = wg.tensor(rng.normal(size=n), requires_grad=True)
        (ga,) = wg.autograd.grad(wnp.sum(x * wg.from_numpy(y)), [x])
        assert not np.shares_memory(ga.detach().numpy(), y)
        h = x * 2.0
        h.retain_grad()
        wnp.sum(h * wg.from_numpy(y)).backward()
        hg = h.grad.detach().numpy()
        assert not np.shares_memory(hg, y) and hg.flags.writeable
        np.testing.assert_array_equal(hg, y)
    for n in (7, _BIG + 3):
        x = rng.normal(size=n)

        def f(x):
            e = wnp.exp(-x * x)
            s = wnp.sin(x)
            return wnp.sum(s * e) + wnp.sum(e) + wnp.sum(s * s) + 0.5 * wnp.sum(x * x)

        e = np.exp(-x * x)
        ref = ((np.cos(x) - 2 * x * np.sin(x)) * e - 2 * x * e
               + 2 * np.sin(x) * np.cos(x) + x)
        np.testing.assert_allclose(wg.grad(f)(x), ref, rtol=1e-12, atol=1e-14)
        xt = wg.tensor(x, requires_grad=True)
        f(xt).backward()
        np.testing.assert_allclose(xt.grad.numpy(), ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(x, xt.detach().numpy())  # the input is untouched


def test_gradients_of_a_sum_are_writeable_arrays_of_their_own():
    """The raw rule of a large sum's VJP returns a read-only broadcast of the cotangent (no
    copy inside the backward pass); what reaches the caller (functional grad / vjp, a leaf's
    .grad) is an ordinary writeable array, as PyTorch clones an expanded gradient into .grad."""
    from wengert.numpy._family import _BIG
    for n in (5, _BIG + 1):
        g = wg.grad(lambda x: wnp.sum(x))(np.ones(n))
        assert g.flags.writeable and g.strides == (8,)
        g *= 2.0
        np.testing.assert_array_equal(g, 2.0)
        _, pb = wg.vjp(lambda x: wnp.sum(x), np.ones(n))
        (r,) = pb(np.float64(3.0))
        assert r.flags.writeable
        np.testing.assert_array_equal(r, 3.0)
        x = wg.tensor(np.ones(n), requires_grad=True)
        wnp.sum(x).backward()
        assert x.grad.detach().numpy().flags.writeable
        x.grad.mul_(0.5)
        wnp.sum(2.0 * x).backward()
        np.testing.assert_array_equal(x.grad.detach().numpy(), 2.5)
