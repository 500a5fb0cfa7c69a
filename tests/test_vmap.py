"""vmap: every primitive family batched against a Python loop over the examples, in_axes and
out_axes, nesting, composition with grad/jvp, the loop fallback, per-example integer indices,
and the errors."""
import warnings

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert._errors import ConcretizationError, ShapeError
from wengert._transforms.vmap import BatchingFallbackWarning

RNG = np.random.default_rng(0)
B = 4


def _take(x, ax, i):
    return wg.tensor(x if ax is None else np.take(np.asarray(x), i, axis=ax))


def loop(f, args, in_axes, out_axes=0, size=None):
    """The reference: f applied to each example in a Python loop, results stacked."""
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not isinstance(in_axes, tuple):
        in_axes = (in_axes,) * len(args)
    if size is None:
        size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [f(*[_take(a, ax, i) for a, ax in zip(args, in_axes)]) for i in range(size)]
    leaves = [wg.tree_flatten(o)[0] for o in outs]
    td = wg.tree_flatten(outs[0])[1]
    stacked = [np.stack([np.asarray(o[k]) for o in leaves], axis=out_axes)
               for k in range(len(leaves[0]))]
    return wg.tree_unflatten(td, stacked)


def check(f, args, in_axes=0, out_axes=0, rtol=1e-12, atol=1e-12):
    got = wg.vmap(f, in_axes=in_axes, out_axes=out_axes)(*args)
    ref = loop(f, args, in_axes, out_axes)
    g_leaves, g_td = wg.tree_flatten(got)
    r_leaves, r_td = wg.tree_flatten(ref)
    assert g_td == r_td
    for g, r in zip(g_leaves, r_leaves):
        assert isinstance(g, np.ndarray), type(g)      # plain NumPy in, plain NumPy out
        assert g.shape == r.shape, (g.shape, r.shape)
        assert g.dtype == r.dtype, (g.dtype, r.dtype)
        np.testing.assert_allclose(g, r, rtol=rtol, atol=atol)
    return got


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


# --- in_axes / out_axes ----------------------------------------------------------------------------
def test_in_axes_ints_negative_and_none():
    x, y = rand(3, B), rand(B, 3)
    check(lambda a, b: a * b + 1.0, (x, y), in_axes=(1, 0))
    check(lambda a, b: a * b, (x, y), in_axes=(-1, 0))
    check(lambda a, b: wnp.sin(a) * b, (x, rand(3)), in_axes=(1, None))
    check(lambda a, b: a.sum() * b, (rand(B, 2, 3), rand(5)), in_axes=[0, None])


@pytest.mark.parametrize("out_axes", [0, 1, 2, -1, -2])
def test_out_axes(out_axes):
    check(lambda a: wnp.exp(a), (rand(B, 2, 3),), out_axes=out_axes)


def test_out_axes_none_for_unbatched_output():
    x, c = rand(B, 3), rand(3)
    out, const = wg.vmap(lambda a, b: (a * b, b * 2.0), in_axes=(0, None),
                         out_axes=(0, None))(x, c)
    np.testing.assert_allclose(out, x * c)
    np.testing.assert_allclose(const, c * 2.0)
    with pytest.raises(ValueError, match="out_axes=None"):
        wg.vmap(lambda a: a * 2.0, out_axes=None)(x)


def test_unbatched_output_is_broadcast():
    out = wg.vmap(lambda a: 3.0, axis_size=None, in_axes=0)(rand(B, 2))
    np.testing.assert_array_equal(out, np.full(B, 3.0))


def test_pytree_in_axes_and_dict_prefix():
    d = {"w": rand(3, B), "b": rand(B)}
    x = rand(B, 3)

    def f(p, x):
        return {"y": p["w"] * x + p["b"], "n": (p["w"] ** 2).sum()}

    got = wg.vmap(f, in_axes=({"w": 1, "b": 0}, 0))(d, x)
    for i in range(B):
        np.testing.assert_allclose(got["y"][i], d["w"][:, i] * x[i] + d["b"][i])
        np.testing.assert_allclose(got["n"][i], (d["w"][:, i] ** 2).sum())
    # a tuple prefix inside a tuple argument, and None for a whole subtree
    pair = (rand(B, 2), (rand(2), rand(2, B)))
    got = wg.vmap(lambda p: p[0] * p[1][0] + p[1][1], in_axes=((0, (None, 1)),))(pair)
    ref = np.stack([pair[0][i] * pair[1][0] + pair[1][1][:, i] for i in range(B)])
    np.testing.assert_allclose(got, ref)


def test_out_axes_pytree():
    x = rand(B, 3)
    a, b = wg.vmap(lambda v: (v * 2.0, v.sum()), out_axes=(1, 0))(x)
    np.testing.assert_allclose(a, (x * 2.0).T)
    np.testing.assert_allclose(b, x.sum(1))


def test_axis_size_with_no_mapped_input():
    out = wg.vmap(lambda c: c * 2.0, in_axes=None, axis_size=3)(rand(2))
    assert out.shape == (3, 2)
    with pytest.raises(ValueError, match="axis_size"):
        wg.vmap(lambda c: c, in_axes=None)(rand(2))


def test_tensor_inputs_give_tensor_outputs():
    x = wg.tensor(rand(B, 3))
    out = wg.vmap(wnp.sin)(x)
    assert isinstance(out, wg.Tensor)
    np.testing.assert_allclose(out.numpy(), np.sin(x.numpy()))


def test_nested_vmap():
    x, y = rand(B, 3), rand(5, 3)
    # all pairs: outer over x, inner over y -> (B, 5)
    f = wg.vmap(wg.vmap(lambda a, b: (a * b).sum(), in_axes=(None, 0)), in_axes=(0, None))
    np.testing.assert_allclose(f(x, y), x @ y.T)
    # the inner vmap over a non-leading axis of an outer-batched value
    z = rand(B, 3, 5)
    g = wg.vmap(wg.vmap(lambda v: v.max(), in_axes=1), in_axes=0)
    np.testing.assert_allclose(g(z), z.max(axis=1))
    h = wg.vmap(wg.vmap(lambda v: wnp.exp(v).sum(), in_axes=0), in_axes=2)
    np.testing.assert_allclose(h(z), np.exp(z).sum(axis=1).T)
    # three levels
    w = rand(2, 3, 4, 5)
    k = wg.vmap(wg.vmap(wg.vmap(lambda v: v @ v)))
    np.testing.assert_allclose(k(w), (w * w).sum(-1))


# --- primitive families ----------------------------------------------------------------------------
ELEMENTWISE = {
    "unary": (lambda a: wnp.tanh(a) + wnp.exp(-a * a), (rand(B, 3, 2),), 0),
    "binary_same_rank": (lambda a, b: a * b - a / (1.0 + b * b), (rand(B, 3), rand(3, B)),
                         (0, 1)),
    "rank_difference": (lambda a, b: a + b, (rand(B, 3), rand(B, 2, 3)), 0),
    "rank_difference_other": (lambda a, b: a * b, (rand(2, 3, B), rand(B)), (2, 0)),
    "size1_broadcast": (lambda a, b: a - b, (rand(B, 2, 1), rand(B, 1, 3)), 0),
    "batched_and_unbatched": (lambda a, b: wnp.maximum(a, b), (rand(2, 3), rand(B, 3)),
                              (None, 0)),
    "scalar_per_example": (lambda a, b: a * b, (rand(B), rand(B, 3)), 0),
    "python_scalar": (lambda a: 2.0 ** a + 1, (rand(B, 3),), 0),
    "where": (lambda c, a, b: wnp.where(c > 0, a, b), (rand(B, 3), rand(3), rand(B, 1)),
              (0, None, 0)),
    "comparisons": (lambda a, b: (a < b) & (a > -1.0), (rand(B, 3), rand(3)), (0, None)),
    "clip": (lambda a: wnp.clip(a, -0.5, 0.5), (rand(3, B),), 1),
    "float32": (lambda a, b: wnp.sin(a) * b, (rand(B, 3, dtype=np.float32),
                                              rand(3, dtype=np.float32)), (0, None)),
    "int_ops": (lambda a: a * 2 + 1, (np.arange(12).reshape(B, 3),), 0),
    "complex": (lambda a: wnp.real(a * wnp.conj(a)) + wnp.imag(a),
                (rand(B, 3) + 1j * rand(B, 3),), 0),
    "astype": (lambda a: wnp.astype(a, np.float32) * 2, (rand(B, 3),), 0),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise(name):
    f, args, axes = ELEMENTWISE[name]
    check(f, args, axes, rtol=1e-6 if name == "float32" else 1e-12)


REDUCTIONS = {
    "sum_all": lambda a: a.sum(),
    "sum_axis0": lambda a: wnp.sum(a, axis=0),
    "sum_axis_neg": lambda a: wnp.sum(a, axis=-1, keepdims=True),
    "sum_axes": lambda a: wnp.sum(a, axis=(0, 2)),
    "mean": lambda a: wnp.mean(a, axis=1),
    "var": lambda a: wnp.var(a, axis=(1, 2), keepdims=True),
    "max": lambda a: wnp.max(a, axis=1),
    "min_keep": lambda a: wnp.min(a, axis=0, keepdims=True),
    "max_all": lambda a: a.max(),
    "prod": lambda a: wnp.prod(a, axis=2),
    "argmax": lambda a: wnp.argmax(a, axis=1),
    "argmin_all": lambda a: wnp.argmin(a),
    "argmax_keep": lambda a: wnp.argmax(a, axis=-1, keepdims=True),
    "all": lambda a: wnp.all(a > -1.0, axis=0),
    "any": lambda a: wnp.any(a > 1.0),
    "logsumexp": lambda a: wnp.logsumexp(a, axis=-1),
    "softmax": lambda a: wnp.softmax(a, axis=0),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@pytest.mark.parametrize("ax", [0, 2])
def test_reductions(name, ax):
    x = rand(2, 3, B, 4) if ax == 2 else rand(B, 2, 3, 4)
    check(REDUCTIONS[name], (x,), ax)


SHAPE_OPS = {
    "reshape": lambda a: wnp.reshape(a, (6, 4)),
    "reshape_minus1": lambda a: a.reshape(-1),
    "transpose": lambda a: wnp.transpose(a, (2, 0, 1)),
    "T": lambda a: a.T,
    "swapaxes": lambda a: wnp.swapaxes(a, 0, 2),
    "moveaxis": lambda a: wnp.moveaxis(a, 0, -1),
    "broadcast_to": lambda a: wnp.broadcast_to(a[:, :1, :], (5, 2, 3, 4)),
    "expand_squeeze": lambda a: wnp.squeeze(wnp.expand_dims(a, 1), 1),
    "concatenate": lambda a: wnp.concatenate([a, a * 2.0], axis=1),
    "concatenate_neg": lambda a: wnp.concatenate([a, wnp.ones((2, 3, 1))], axis=-1),
    "stack": lambda a: wnp.stack([a, -a, a * a], axis=1),
    "stack_last": lambda a: wnp.stack([a[0], a[1]], axis=-1),
    "ravel": lambda a: wnp.ravel(a),
    "sum_to_shape": lambda a: wnp.sum_to_shape(a, (3, 1)),
    "copy": lambda a: wnp.copy(a),
}


@pytest.mark.parametrize("name", list(SHAPE_OPS))
@pytest.mark.parametrize("ax", [0, 1, 3])
def test_shape_ops(name, ax):
    shape = [2, 3, 4]
    shape.insert(ax, B)
    check(SHAPE_OPS[name], (rand(*shape),), ax)


def test_concatenate_batched_with_unbatched():
    check(lambda a, b: wnp.concatenate([a, b, a], axis=0), (rand(B, 2, 3), rand(1, 3)),
          (0, None))
    check(lambda a, b: wnp.stack([b, a]), (rand(3, B), rand(3)), (1, None))


# --- indexing --------------------------------------------------------------------------------------
MASK = RNG.standard_normal((3, 4)) > 0
INDICES = {
    "int": 1,
    "neg_int": -1,
    "slice": (slice(None), slice(1, None, 2)),
    "reverse": (Ellipsis, slice(None, None, -1)),
    "newaxis": (None, 0, Ellipsis, None),
    "int_array": np.array([2, 0, 2]),
    "int_array_2d": (slice(None), np.array([[0, 1], [3, 3]])),
    "list": [0, 2],
    "adjacent_arrays_inner": (slice(None), np.array([0, 3]), np.array([1, 0])),
    "separated_arrays": (np.array([0, 2]), slice(None), np.array([1, 1])),
    "array_and_int_separated": (np.array([[0], [2]]), slice(1, 3), 0),
    "mask_full": MASK,
    "mask_leading": np.array([True, False, True]),
    "mask_and_slice": (np.array([True, False, True]), slice(None), 1),
}


@pytest.mark.parametrize("name", list(INDICES))
@pytest.mark.parametrize("ax", [0, 2])
def test_getitem(name, ax):
    idx = INDICES[name]
    shape = [3, 4, 2]
    shape.insert(ax, B)
    check(lambda a: a[idx], (rand(*shape),), ax)
    check(lambda a: wnp.sin(a[idx]) * 2.0, (rand(*shape),), ax)


@pytest.mark.parametrize("name", list(INDICES))
@pytest.mark.parametrize("v_batched", [False, True])
def test_setitem(name, v_batched):
    idx = INDICES[name]
    x = rand(B, 3, 4, 2)
    sel_shape = np.empty((3, 4, 2))[idx].shape
    if v_batched:
        v = rand(*((B,) + sel_shape))
        check(lambda a, b: wnp.index_update(a, idx, b) if hasattr(wnp, "index_update")
              else _index_update(a, idx, b), (x, v), (0, 0))
    else:
        v = rand(*sel_shape)
        check(lambda a, b: _index_update(a, idx, b), (x, v), (0, None))
        # a batched value written into an unbatched array
        check(lambda a, b: _index_update(a, idx, b), (x[0], np.stack([v] * B)), (None, 0))


def _index_update(a, idx, v):
    from wengert.numpy._shape import index_update
    return index_update(a, idx, v)


def test_setitem_broadcast_value_and_scalar():
    check(lambda a, b: _index_update(a, (slice(None), 1), b), (rand(B, 3, 4), rand(B, 1)), 0)
    check(lambda a, b: _index_update(a, np.array([0, 2]), b), (rand(B, 3, 4), rand(B)), 0)
    check(lambda a: _index_update(a, (Ellipsis, 0), 5.0), (rand(3, B),), 1)


def test_scatter_add_through_vjp_of_getitem():
    # the VJP of a gather is a scatter-add; vmapping the VJP batches scatter_add
    idx = (np.array([0, 0, 2]), slice(None))
    x = rand(3, 4)
    cts = rand(B, 3, 4)
    pull = wg.vjp(lambda a: a[idx], x)[1]
    got = wg.vmap(lambda c: pull(c)[0])(cts)
    for i in range(B):
        ref = np.zeros((3, 4))
        np.add.at(ref, idx, cts[i])
        np.testing.assert_allclose(got[i], ref)


# --- per-example integer indices (a gather) --------------------------------------------------------
def test_per_example_label_lookup():
    logits, y = rand(B, 5), np.array([0, 4, 1, 1])
    got = check(lambda l, c: l[c], (logits, y))
    np.testing.assert_array_equal(got, logits[np.arange(B), y])
    check(lambda l, c: wnp.take(l, c), (logits, y))
    check(lambda l, c: wnp.take(l, c, axis=1), (rand(B, 3, 5), y))


GATHERS = {
    # name: (per-example index builder from the traced index i, index shape per example)
    "scalar_first": (lambda i: i, ()),
    "scalar_after_slice": (lambda i: (slice(None), i), ()),
    "array_first": (lambda i: i, (3,)),
    "array_2d_middle": (lambda i: (slice(1, None), i), (2, 2)),
    "array_with_static_array": (lambda i: (i, np.array([0, 1, 1])), (3,)),
    "separated_by_slice": (lambda i: (i, slice(None), 0), (3,)),
    "with_newaxis_and_ellipsis": (lambda i: (None, Ellipsis, i), (2,)),
    "two_traced": (lambda i: (i, i), (3,)),
}


@pytest.mark.parametrize("x_batched", [True, False])
@pytest.mark.parametrize("name", list(GATHERS))
def test_gather_layouts(name, x_batched):
    build, ishape = GATHERS[name]
    x = rand(B, 3, 3, 3) if x_batched else rand(3, 3, 3)
    i = RNG.integers(0, 3, (B,) + ishape)
    check(lambda a, j: a[build(j)], (x, i), (0 if x_batched else None, 0))
    # the index batched along another axis, and the array along a non-leading one
    if ishape:
        check(lambda a, j: a[build(j)], (np.moveaxis(x, 0, -1) if x_batched else x,
                                         np.moveaxis(i, 0, -1)),
              (-1 if x_batched else None, -1))


@pytest.mark.parametrize("name", list(GATHERS))
def test_gather_setitem(name):
    build, ishape = GATHERS[name]
    x = rand(B, 3, 3, 3)
    i = RNG.integers(0, 3, (B,) + ishape)
    sel = np.empty((3, 3, 3))[build(i[0])].shape
    check(lambda a, j, v: _index_update(a, build(j), v), (x, i, rand(B, *sel)))
    check(lambda a, j, v: _index_update(a, build(j), v), (x, i, rand(*sel)), (0, 0, None))
    check(lambda a, j: _index_update(a, build(j), 0.5), (x[0], i), (None, 0))


def test_gather_nested_vmap_index_from_outer_level():
    table, idx = rand(B, 6), RNG.integers(0, 6, (B, 3))
    # outer over rows of table and idx; inner over the 3 indices of one example
    f = wg.vmap(lambda t_, i_: wg.vmap(lambda j: t_[j] * 2.0)(i_))
    np.testing.assert_allclose(f(table, idx), np.take_along_axis(table, idx, 1) * 2.0)
    # the index is batched by the outer vmap only; the array by the inner one
    g = wg.vmap(lambda i_: wg.vmap(lambda row: row[i_])(table), in_axes=0)
    np.testing.assert_allclose(g(idx[:, 0]), table[:, idx[:, 0]].T)


def test_gather_derivatives_per_example():
    logits, y = rand(B, 5), np.array([0, 4, 4, 1])
    W = rand(3, 5)
    X = rand(B, 3)

    def nll(w, x, c):
        return -wnp.log_softmax(x @ w)[c]

    per_ex = wg.vmap(wg.grad(nll), in_axes=(None, 0, 0))(W, X, y)
    for k in range(B):
        p = np.exp(X[k] @ W - np.log(np.exp(X[k] @ W).sum()))
        onehot = np.eye(5)[y[k]]
        np.testing.assert_allclose(per_ex[k], np.outer(X[k], p - onehot), atol=1e-12)
    total = wg.grad(lambda w: wg.vmap(nll, in_axes=(None, 0, 0))(w, X, y).sum())(W)
    np.testing.assert_allclose(total, per_ex.sum(0), atol=1e-12)
    # forward mode through the gather, and the gradient w.r.t. the gathered array
    tan = wg.jvp(lambda l: wg.vmap(lambda a, c: a[c])(l, y), (logits,), (np.ones_like(logits),))
    np.testing.assert_allclose(tan[1], np.ones(B))
    g = wg.grad(lambda l: (wg.vmap(lambda a, c: a[c])(l, y) ** 2).sum())(logits)
    ref = np.zeros_like(logits)
    ref[np.arange(B), y] = 2 * logits[np.arange(B), y]
    np.testing.assert_allclose(g, ref)


def test_gather_setitem_gradients_with_repeated_index():
    # x[j] = v with a repeated j: only the write NumPy keeps gets v's gradient
    x, v = rand(B, 4), rand(B, 2)
    j = np.array([[1, 1], [0, 2], [3, 3], [2, 0]])

    def f(a, b, c):
        return (_index_update(a, c, b) * np.arange(1.0, 5.0)).sum()

    gx, gv = wg.vmap(wg.grad(f, argnums=(0, 1)))(x, v, j)
    for k in range(B):
        rx, rv = wg.grad(f, argnums=(0, 1))(x[k], v[k], j[k])
        np.testing.assert_allclose(gx[k], rx)
        np.testing.assert_allclose(gv[k], rv)
    assert gv[0, 0] == 0.0 and gv[0, 1] == 2.0  # the second write to position 1 wins


def test_gather_rejects_batched_mask():
    with pytest.raises(ConcretizationError, match="boolean mask"):
        wg.vmap(lambda a: a[a > 0])(rand(B, 3))


# --- products --------------------------------------------------------------------------------------
MATMUL_SHAPES = [  # per-example shapes of the two operands
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((3,), (5, 3, 2)),
    ((5, 2, 3), (3,)), ((1, 2, 3), (5, 3, 2)),
]


@pytest.mark.parametrize("sx,sy", MATMUL_SHAPES)
@pytest.mark.parametrize("axes", [(0, 0), (0, None), (None, 0), (-1, 1)])
def test_matmul_rank_combinations(sx, sy, axes):
    def batched(shape, ax):
        if ax is None:
            return rand(*shape)
        s = list(shape)
        s.insert(ax % (len(shape) + 1), B)
        return rand(*s)

    x, y = batched(sx, axes[0]), batched(sy, axes[1])
    check(lambda a, b: a @ b, (x, y), axes)
    check(lambda a, b: wnp.matmul(a, b) * 2.0, (x, y), axes)


def test_dot_family():
    check(lambda a, b: wnp.dot(a, b), (rand(B, 3, 2), rand(2, 4)), (0, None))
    check(lambda a, b: wnp.outer(a, b), (rand(B, 3), rand(B, 2)), 0)
    check(lambda a, b: wnp.inner(a, b), (rand(B, 3), rand(2, 3)), (0, None))
    check(lambda a, b: wnp.tensordot(a, b, axes=([1], [0])), (rand(2, 3, B), rand(3, 2)),
          (2, None))


EINSUMS = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]), ("i,i->", [(3,), (3,)]),
           ("...ij,...j->...i", [(2, 3, 4), (2, 4)]), ("ij->", [(2, 3)])]


@pytest.mark.parametrize("spec,shapes", EINSUMS)
def test_einsum(spec, shapes):
    args = [rand(B, *s) for s in shapes]
    check(lambda *a: wnp.einsum(spec, *a), args, 0)
    if len(shapes) == 2:
        check(lambda *a: wnp.einsum(spec, *a), (rand(*shapes[0]), rand(*shapes[1], B)),
              (None, len(shapes[1])))


def test_fft():
    x = rand(B, 8)
    check(lambda a: wnp.fft.fft(a), (x,), 0, rtol=1e-10, atol=1e-12)
    check(lambda a: wnp.fft.irfft(wnp.fft.rfft(a) * 2.0, n=8), (x.T,), 1, rtol=1e-10,
          atol=1e-12)
    check(lambda a: wnp.fft.fft2(a, s=(4, 6)), (rand(3, B, 5),), 1, rtol=1e-10, atol=1e-12)


# --- the loop fallback -----------------------------------------------------------------------------
def _make_unbatched_primitive(name):
    """A user primitive with derivative rules but no batching rule."""
    p = wg.Primitive(name, lambda x, y, scale: np.sin(x) * y * scale,
                     vjp=lambda needs, g, out, x, y, scale: (g * wnp.cos(x) * y * scale,
                                                            g * wnp.sin(x) * scale),
                     jvp=lambda tangents, out, x, y, scale: sum(
                         t_ for t_ in (None if tangents[0] is None else
                                       tangents[0] * wnp.cos(x) * y * scale,
                                       None if tangents[1] is None else
                                       tangents[1] * wnp.sin(x) * scale) if t_ is not None))
    return lambda x, y: wg.bind(p, x, y, scale=2.0)


def test_loop_fallback_is_correct_and_warns_once():
    f = _make_unbatched_primitive("test_vmap_fallback_op")
    x, y = rand(3, B), rand(B, 3)
    with pytest.warns(BatchingFallbackWarning, match="test_vmap_fallback_op") as rec:
        got = wg.vmap(f, in_axes=(1, 0))(x, y)
    assert len([w for w in rec if issubclass(w.category, BatchingFallbackWarning)]) == 1
    np.testing.assert_allclose(got, np.sin(x.T) * y * 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # the second use does not warn again
        got = wg.vmap(f, in_axes=(None, 0))(x[:, 0], y)
        np.testing.assert_allclose(got, np.sin(x[:, 0]) * y * 2.0)
        # derivatives through the fallback: per-example gradients and forward mode
        g = wg.vmap(wg.grad(lambda a, b: f(a, b).sum()))(x.T, y)
        np.testing.assert_allclose(g, np.cos(x.T) * y * 2.0)
        _, t_ = wg.jvp(wg.vmap(f), (x.T, y), (np.ones_like(y), np.zeros_like(y)))
        np.testing.assert_allclose(t_, np.cos(x.T) * y * 2.0)
        gg = wg.grad(lambda a: wg.vmap(f)(a, y).sum())(x.T)
        np.testing.assert_allclose(gg, np.cos(x.T) * y * 2.0)


def test_loop_fallback_multiple_results_and_nesting():
    p = wg.Primitive("test_vmap_fallback_multi", lambda x: (x + 1.0, x * x),
                     multiple_results=True)
    x = rand(B, 2, 3)
    with pytest.warns(BatchingFallbackWarning):
        a, b = wg.vmap(wg.vmap(lambda v: wg.bind(p, v), in_axes=1))(x)
    np.testing.assert_allclose(a, np.swapaxes(x, 1, 2) + 1.0)
    np.testing.assert_allclose(b, np.swapaxes(x, 1, 2) ** 2)


def test_every_library_primitive_has_a_batching_rule():
    import importlib

    from wengert._core.primitive import PRIMITIVES
    for mod in ("wengert.scipy.special", "wengert.scipy.linalg", "wengert.scipy.stats"):
        try:
            importlib.import_module(mod)          # registers its primitives
        except ImportError:                       # SciPy missing: those modules are optional
            pass

    def from_library(p):
        module = getattr(p.impl, "__module__", None) or "numpy"   # ufuncs have none
        return module.split(".")[0] in ("wengert", "numpy", "scipy")

    missing = [n for n, p in PRIMITIVES.items() if p.batch is None and from_library(p)]
    assert missing == []


# --- linear algebra --------------------------------------------------------------------------------
def _spd(*lead, n=3):
    a = rand(*lead, n, n)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


LINALG = {
    "inv": (lambda a: wnp.linalg.inv(a), lambda: (_spd(B),)),
    "det": (lambda a: wnp.linalg.det(a), lambda: (rand(B, 3, 3),)),
    "slogdet": (lambda a: tuple(wnp.linalg.slogdet(a)), lambda: (rand(B, 2, 3, 3),)),
    "cholesky": (lambda a: wnp.linalg.cholesky(a), lambda: (_spd(B),)),
    "eigh": (lambda a: tuple(wnp.linalg.eigh(a)), lambda: (_spd(B),)),
    "eigvalsh": (lambda a: wnp.linalg.eigvalsh(a), lambda: (_spd(B, 2),)),
    "svd": (lambda a: tuple(wnp.linalg.svd(a, full_matrices=False)), lambda: (rand(B, 4, 3),)),
    "qr": (lambda a: tuple(wnp.linalg.qr(a)), lambda: (rand(B, 4, 3),)),
    "pinv": (lambda a: wnp.linalg.pinv(a), lambda: (rand(B, 3, 2),)),
    "solve_vector": (lambda a, b: wnp.linalg.solve(a, b), lambda: (_spd(B), rand(B, 3))),
    "solve_matrix": (lambda a, b: wnp.linalg.solve(a, b), lambda: (_spd(B), rand(B, 3, 2))),
    "solve_stack_rhs": (lambda a, b: wnp.linalg.solve(a, b), lambda: (_spd(B), rand(B, 5, 3, 2))),
}


@pytest.mark.parametrize("name", list(LINALG))
def test_linalg(name):
    f, make = LINALG[name]
    args = make()
    check(f, args, 0, rtol=1e-10, atol=1e-12)
    if len(args) == 2:   # one operand shared by every example
        check(f, (args[0][0], args[1]), (None, 0), rtol=1e-10, atol=1e-12)
        check(f, (args[0], args[1][0]), (0, None), rtol=1e-10, atol=1e-12)


def test_linalg_derivatives_under_vmap():
    a = _spd(B)
    g = wg.vmap(wg.grad(lambda m: wnp.linalg.slogdet(m)[1]))(a)
    np.testing.assert_allclose(g, np.linalg.inv(a).transpose(0, 2, 1), rtol=1e-10)
    b = rand(B, 3)
    gb = wg.vmap(wg.grad(lambda m, v: wnp.linalg.solve(m, v).sum(), argnums=1))(a, b)
    np.testing.assert_allclose(gb, np.linalg.solve(a.transpose(0, 2, 1), np.ones((B, 3, 1)))[..., 0],
                               rtol=1e-10)


# --- composition with differentiation --------------------------------------------------------------
def _mse(w, x, y):
    return (wnp.tanh(x @ w) - y) ** 2


def _mse_grad(w, x, y):   # analytic per-example gradient of _mse
    h = np.tanh(x @ w)
    return 2 * (h - y) * (1 - h ** 2) * x


def test_per_example_gradients():
    w, X, Y = rand(3), rand(B, 3), rand(B)
    g = wg.vmap(wg.grad(_mse), in_axes=(None, 0, 0))(w, X, Y)
    np.testing.assert_allclose(g, np.stack([_mse_grad(w, X[i], Y[i]) for i in range(B)]))
    # value_and_grad and a pytree of parameters
    p = {"w": w, "b": np.array(0.3)}
    loss = lambda p, x, y: (wnp.tanh(x @ p["w"] + p["b"]) - y) ** 2
    v, gp = wg.vmap(wg.value_and_grad(loss), in_axes=(None, 0, 0))(p, X, Y)
    h = np.tanh(X @ w + 0.3)
    np.testing.assert_allclose(v, (h - Y) ** 2)
    np.testing.assert_allclose(gp["b"], 2 * (h - Y) * (1 - h ** 2))
    np.testing.assert_allclose(gp["w"], (2 * (h - Y) * (1 - h ** 2))[:, None] * X)


def test_grad_of_vmap():
    w, X, Y = rand(3), rand(B, 3), rand(B)
    g = wg.grad(lambda w_: wg.vmap(_mse, in_axes=(None, 0, 0))(w_, X, Y).mean())(w)
    np.testing.assert_allclose(g, np.mean([_mse_grad(w, X[i], Y[i]) for i in range(B)], 0))
    # with respect to the mapped argument
    gx = wg.grad(lambda x_: wg.vmap(lambda r: wnp.sin(r).sum())(x_).sum())(X)
    np.testing.assert_allclose(gx, np.cos(X))


def test_vmap_of_jvp_and_jvp_of_vmap():
    X, V = rand(B, 3), rand(B, 3)
    f = lambda x: wnp.sin(x) * x.sum()
    ref = np.cos(X) * V * X.sum(1, keepdims=True) + np.sin(X) * V.sum(1, keepdims=True)
    _, t1 = wg.vmap(lambda x, v: wg.jvp(f, (x,), (v,)))(X, V)
    np.testing.assert_allclose(t1, ref)
    _, t2 = wg.jvp(wg.vmap(f), (X,), (V,))
    np.testing.assert_allclose(t2, ref)
    # one primal, many tangents: the Jacobian by vmapping jvp over the basis
    x = X[0]
    J = wg.vmap(lambda v: wg.jvp(f, (x,), (v,))[1], out_axes=1)(np.eye(3))
    np.testing.assert_allclose(J, np.diag(np.cos(x)) * x.sum() + np.sin(x)[:, None])


def test_vmap_of_vjp():
    x = rand(3)
    f = lambda v: wnp.exp(v) * v[0]
    _, pull = wg.vjp(f, x)
    J = wg.vmap(lambda c: pull(c)[0])(np.eye(3))
    ref = np.diag(np.exp(x)) * x[0]
    ref[:, 0] += np.exp(x)
    np.testing.assert_allclose(J, ref)


def test_vmap_of_second_order():
    X = rand(B, 3)
    f = lambda x: (wnp.sin(x) ** 2).sum()
    hv = wg.vmap(lambda x: wg.jvp(wg.grad(f), (x,), (wnp.ones_like(x),))[1])(X)
    np.testing.assert_allclose(hv, 2 * np.cos(2 * X))
    gg = wg.vmap(wg.grad(lambda x: wg.grad(f)(x).sum()))(X)
    np.testing.assert_allclose(gg, 2 * np.cos(2 * X))


def test_vmap_of_imperative_code():
    W, X = rand(3, 2), rand(B, 3)
    ref = np.stack([2 * np.outer(x, x @ W) for x in X])

    def with_autograd_grad(x):
        w = wg.tensor(W, requires_grad=True)
        loss = ((x @ w) ** 2).sum()
        return wg.autograd.grad(loss, w)[0]

    def with_backward(x):
        w = wg.tensor(W, requires_grad=True)
        ((x @ w) ** 2).sum().backward()
        return w.grad

    def with_methods(x):
        return (x.reshape(3, 1) * x).T.exp().sum(axis=0).mean() + x.max() * x.std()

    np.testing.assert_allclose(wg.vmap(with_autograd_grad)(X), ref)
    np.testing.assert_allclose(np.asarray(wg.vmap(with_backward)(X)), ref)
    check(with_methods, (X,))
    check(lambda x: np.sin(x) + np.sum(x, axis=0), (X,))      # NumPy's dispatch protocols


# --- errors ----------------------------------------------------------------------------------------
def test_error_inconsistent_sizes():
    with pytest.raises(ShapeError, match="inconsistent sizes.*5.*4"):
        wg.vmap(lambda a, b: a + b)(rand(4, 3), rand(5, 3))
    with pytest.raises(ShapeError, match="inconsistent"):
        wg.vmap(lambda a: a, axis_size=3)(rand(4, 3))


def test_error_axes_out_of_range():
    with pytest.raises(ShapeError, match="in_axes 2 is out of range.*shape \\(4, 3\\)"):
        wg.vmap(lambda a: a, in_axes=2)(rand(4, 3))
    with pytest.raises(ShapeError, match="scalar"):
        wg.vmap(lambda a: a)(np.float64(1.0))
    with pytest.raises(ShapeError, match="out_axes 3 is out of range"):
        wg.vmap(lambda a: a, out_axes=3)(rand(4, 3))
    with pytest.raises(ValueError, match="one entry per positional argument"):
        wg.vmap(lambda a: a, in_axes=(0, 0))(rand(4, 3))
    with pytest.raises(ValueError, match="keys"):
        wg.vmap(lambda d: d["a"], in_axes=({"b": 0},))({"a": rand(4)})


@pytest.mark.parametrize("bad", [
    lambda x: x if x.sum() > 0 else -x,
    lambda x: float(x.sum()),
    lambda x: x.sum().item(),
    lambda x: np.asarray(x),
    lambda x: [0.0, 1.0][int(x[0] > 0)],
])
def test_error_python_control_flow_on_batched_value(bad):
    with pytest.raises(ConcretizationError, match="batched .*wnp.where"):
        wg.vmap(bad)(rand(B, 3))


def test_keyword_arguments_are_mapped():
    x, y = rand(B, 3), rand(B, 3)
    np.testing.assert_allclose(wg.vmap(lambda a, b: a * b)(x, b=y), x * y)


# --- the rest of the NumPy surface: composites and primitives with their own rules ---------------
MORE_OPS = {
    "cumsum": lambda a: wnp.cumsum(a, axis=1),
    "cumsum_flat": lambda a: wnp.cumsum(a),
    "cumprod": lambda a: wnp.cumprod(a, axis=-1),
    "sort": lambda a: wnp.sort(a, axis=0),
    "argsort": lambda a: wnp.argsort(a, axis=1),
    "median": lambda a: wnp.median(a, axis=1),
    "quantile": lambda a: wnp.quantile(a, 0.3, axis=0),
    "partition": lambda a: wnp.partition(a, 1, axis=1),
    "flip": lambda a: wnp.flip(a, axis=1),
    "roll": lambda a: wnp.roll(a, 2, axis=1),
    "diff": lambda a: wnp.diff(a, axis=0),
    "tril": lambda a: wnp.tril(a),
    "diagonal": lambda a: wnp.diagonal(a),
    "trace": lambda a: wnp.trace(a),
    "pad": lambda a: wnp.pad(a, ((1, 0), (0, 2))),
    "repeat": lambda a: wnp.repeat(a, 2, axis=1),
    "tile": lambda a: wnp.tile(a, (1, 2)),
    "take_along_axis": lambda a: wnp.take_along_axis(a, np.array([[0], [2], [1]]), axis=1),
    "kron": lambda a: wnp.kron(a, np.eye(2)),
    "logaddexp": lambda a: wnp.logaddexp(a, a.T),
    "hypot_sinh": lambda a: wnp.hypot(wnp.sinh(a), 1.0),
}


@pytest.mark.parametrize("name", [n for n in MORE_OPS])
def test_more_operations(name):
    check(MORE_OPS[name], (rand(3, 3, B),), 2, rtol=1e-12, atol=1e-12)


def test_solve_triangular_aligns_leading_axes():
    sla = pytest.importorskip("wengert.scipy.linalg", reason="needs SciPy")
    a = np.triu(rand(B, 3, 3)) + 3 * np.eye(3)
    check(lambda m, v: sla.solve_triangular(m, v), (a, rand(B, 5, 3, 2)), 0, rtol=1e-10)
    check(lambda m, v: sla.solve_triangular(m, v, lower=False), (a[0], rand(B, 3)),
          (None, 0), rtol=1e-10)
