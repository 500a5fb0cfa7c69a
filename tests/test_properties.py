"""Property-based tests (hypothesis): binary elementwise ops over random broadcastable shape
pairs, reductions over random axes, matmul over random batch broadcasting.  Values are drawn
from each op's domain in tests/op_specs.py; derivatives are checked by tests/_checks.py."""
import numpy as np
import pytest
from _checks import check_grads, random_like
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_specs import BINARY, SAMPLERS

import wengert as wg
import wengert.numpy as wnp

# deterministic (derandomize) and quick; no example database written to the working tree
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True, database=None)

_BINARY = {name: (k1, k2) for name, k1, k2, _ in BINARY}


@SETTINGS
@given(name=st.sampled_from(sorted(_BINARY)),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                min_side=1, max_side=3),
       seed=st.integers(0, 2 ** 16), f32=st.booleans())
def test_binary_broadcasting(name, shapes, seed, f32):
    rng = np.random.default_rng(seed)
    k1, k2 = _BINARY[name]
    dt = np.float32 if f32 else np.float64
    x = SAMPLERS[k1](rng, shapes.input_shapes[0]).astype(dt)
    y = SAMPLERS[k2](rng, shapes.input_shapes[1]).astype(dt)
    fn, ref = getattr(wnp, name), getattr(np, name)
    out = fn(x, y)
    want = ref(x, y)
    assert out.shape == shapes.result_shape == np.shape(want)
    assert out.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6 if f32 else 1e-15)
    # cotangents are summed back to each operand's own shape and keep its dtype
    u = random_like(rng, np.asarray(want))
    gx, gy = wg.vjp(fn, x, y)[1](u)
    assert gx.shape == x.shape and gy.shape == y.shape
    assert gx.dtype == dt and gy.dtype == dt
    check_grads(fn, [x, y], order=1, rng=rng, label=f"{name}{shapes.input_shapes}",
                **({"rtol": 2e-3, "atol": 1e-4} if f32 else {}))


_REDUCTIONS = {
    "sum": (wnp.sum, np.sum, "normal"), "mean": (wnp.mean, np.mean, "normal"),
    "prod": (wnp.prod, np.prod, "normal"), "max": (wnp.max, np.max, "distinct"),
    "min": (wnp.min, np.min, "distinct"), "var": (wnp.var, np.var, "normal"),
    "std": (wnp.std, np.std, "pos"), "logsumexp": (wnp.logsumexp, lambda x, axis, keepdims: np.log(np.sum(
        np.exp(x), axis=axis, keepdims=keepdims)), "normal"),  # (scipy gives 0-d inputs a dim)
}


@st.composite
def _shape_and_axis(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4))
    if not shape:
        return shape, draw(st.sampled_from([None, ()]))
    axis = draw(st.none() | hnp.valid_tuple_axes(len(shape), min_size=1)
                | st.integers(-len(shape), len(shape) - 1))
    return shape, axis


@SETTINGS
@given(name=st.sampled_from(sorted(_REDUCTIONS)), shape_axis=_shape_and_axis(),
       keepdims=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_reduction_over_random_axes(name, shape_axis, keepdims, seed):
    shape, axis = shape_axis
    wf, nf, kind = _REDUCTIONS[name]
    rng = np.random.default_rng(seed)
    x = SAMPLERS[kind](rng, shape)
    if name == "std":  # distinct values in every group, so that std > 0 (smooth)
        x = SAMPLERS["distinct"](rng, shape)

    def f(a):
        return wf(a, axis=axis, keepdims=keepdims)

    want = nf(x, axis=axis, keepdims=keepdims)
    got = f(x)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-14)
    check_grads(f, [x], order=1, rng=rng, label=f"{name}{shape} axis={axis}")


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(signature="(m,n),(n,p)->(m,p)", max_dims=2,
                                                min_side=1, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_matmul_batch_broadcasting(shapes, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shapes.input_shapes[0])
    b = rng.standard_normal(shapes.input_shapes[1])
    out = wnp.matmul(a, b)
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-13, atol=1e-14)
    ga, gb = wg.vjp(wnp.matmul, a, b)[1](np.ones(out.shape))
    assert ga.shape == a.shape and gb.shape == b.shape
    check_grads(wnp.matmul, [a, b], order=2, rng=rng, label=f"matmul{shapes.input_shapes}")


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=3), data=st.data())
def test_transpose_reshape_roundtrip(shape, data):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    perm = tuple(data.draw(st.permutations(range(len(shape)))))

    def f(a):
        return wnp.reshape(wnp.transpose(a, perm), (-1,)) * np.arange(x.size)

    np.testing.assert_array_equal(f(x).numpy(), np.transpose(x, perm).ravel() * np.arange(x.size))
    (g,) = wg.vjp(f, x)[1](np.ones(x.size))
    np.testing.assert_array_equal(g, np.transpose(np.arange(x.size, dtype=float).reshape(
        np.transpose(x, perm).shape), np.argsort(perm)))


@pytest.mark.parametrize("name", sorted(_BINARY))
@SETTINGS
@given(scalar=st.floats(0.5, 2.0), shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
def test_python_scalar_keeps_float32(name, scalar, shape):
    x = SAMPLERS[_BINARY[name][0]](np.random.default_rng(1), shape).astype(np.float32)
    fn = getattr(wnp, name)
    out = fn(x, scalar)
    assert out.dtype == np.float32 == np.result_type(getattr(np, name)(x, scalar))
    (g,) = wg.vjp(lambda a: fn(a, scalar), x)[1](np.ones(out.shape, np.float32))
    assert g.dtype == np.float32 and g.shape == x.shape
