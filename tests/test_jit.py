"""wg.jit: caching, guards, optimisation passes, composition."""
import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert._core.primitive import bind
from wengert._transforms import jit as jit_mod
from wengert._transforms.ir import trace_program
from wengert._transforms.jit import RetraceError
from wengert.numpy._family import strong_mul_p


def loss(w, x, y):
    return wnp.mean((wnp.tanh(x @ w) - y) ** 2)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((3, 2)), rng.standard_normal((5, 3)), rng.standard_normal((5, 2))


def test_jit_matches_eager_and_caches(data):
    f = wg.jit(loss)
    np.testing.assert_allclose(f(*data), np.asarray(loss(*data)), rtol=1e-14)
    f(*data)
    assert f.trace_count == 1
    w, x, y = data
    f(w, x[:4], y[:4])  # new shapes: new trace
    assert f.trace_count == 2


def test_jit_of_grad_matches_grad(data):
    g = wg.grad(loss)
    jg = wg.jit(g)
    np.testing.assert_allclose(jg(*data), g(*data), rtol=1e-13)
    np.testing.assert_allclose(jg(*data), g(*data), rtol=1e-13)  # compiled path
    assert isinstance(jg(*data), np.ndarray)


def test_grad_vmap_of_jit_and_jit_of_vmap(data):
    w, x, y = data
    f = wg.jit(loss)
    np.testing.assert_allclose(wg.grad(f)(w, x, y), wg.grad(loss)(w, x, y), rtol=1e-13)
    per = wg.vmap(lambda xi, yi: f(w, xi[None], yi[None]))(x, y)
    ref = np.array([float(loss(w, x[i:i + 1], y[i:i + 1])) for i in range(5)])
    np.testing.assert_allclose(per, ref, rtol=1e-13)
    jv = wg.jit(wg.vmap(wg.grad(loss), in_axes=(None, 0, 0)))
    ref = np.stack([wg.grad(loss)(w, x[i], y[i]) for i in range(5)])
    np.testing.assert_allclose(jv(w, x, y), ref, rtol=1e-12)
    np.testing.assert_allclose(wg.jvp(f, (w, x, y), (w, 0 * x, 0 * y))[1],
                               wg.jvp(loss, (w, x, y), (w, 0 * x, 0 * y))[1], rtol=1e-12)


def test_value_dependent_branch_is_guarded():
    def f(x):
        if x.sum() > 0:
            return x * 2
        return x * 3

    jf = wg.jit(f)
    np.testing.assert_allclose(jf(np.ones(2)), [2, 2])
    np.testing.assert_allclose(jf(-np.ones(2)), [-3, -3])  # guard failed -> re-traced
    assert jf.trace_count == 2
    np.testing.assert_allclose(jf(np.ones(2)), [2, 2])  # both traces cached now
    assert jf.trace_count == 2
    strict = wg.jit(f, retrace=False)
    strict(np.ones(2))
    with pytest.raises(RetraceError):
        strict(-np.ones(2))


def test_static_argnums():
    f = wg.jit(lambda x, n: x ** n, static_argnums=1)
    np.testing.assert_allclose(f(np.array(2.0), 3), 8.0)
    np.testing.assert_allclose(f(np.array(2.0), 2), 4.0)
    assert f.trace_count == 2


def test_lowered_text_and_optimisations():
    def f(x):
        a = wnp.sin(x)
        b = wnp.sin(x)   # common subexpression
        unused = wnp.exp(x)  # noqa: F841  dead code
        return a * 1.0 + b * 0 + a

    text = wg.jit(f).lower(np.ones(3)).as_text()
    assert text.count("# sin") == 1
    assert "# exp" not in text
    assert "def compiled" in text
    np.testing.assert_allclose(wg.jit(f)(np.ones(3)), 2 * np.sin(np.ones(3)))


def test_jit_of_hessian_and_checkpoint():
    f = lambda x: wnp.sum(wnp.sin(x) * x ** 2)  # noqa: E731
    x = np.array([0.3, 0.8])
    np.testing.assert_allclose(wg.jit(wg.hessian(f))(x), wg.hessian(f)(x), rtol=1e-12)
    c = wg.jit(wg.grad(lambda x: wnp.sum(wg.checkpoint(wnp.sin)(x) ** 2)))
    np.testing.assert_allclose(c(x), 2 * np.sin(x) * np.cos(x), rtol=1e-13)


def test_strong_zeros_survive_compilation():
    # the compiled fast variant multiplies plainly; a non-finite output triggers the
    # strong-zero variant, so the untaken sqrt branch does not leak NaN
    g = wg.jit(wg.grad(lambda x: wnp.sum(wnp.where(x > 0, wnp.sqrt(x), 0.0))))
    with np.errstate(invalid="ignore"):
        got = g(np.array([-1.0, 4.0]))
        got = g(np.array([-1.0, 4.0]))
    np.testing.assert_array_equal(got, [0.0, 0.25])


def test_elementwise_chains_fuse_with_numexpr_when_installed():
    pytest.importorskip("numexpr", reason="numexpr is the optional fusion backend")
    f = wg.grad(lambda x: wnp.sum(wnp.sin(x) * wnp.exp(-x * x)))
    x = np.random.default_rng(0).standard_normal(1 << 17)
    jf = wg.jit(f, backend="numexpr")  # "auto" may choose a numba kernel here
    assert "_ne.evaluate" in jf.lower(x).as_text()
    ref = np.cos(x) * np.exp(-x * x) - 2 * x * np.sin(x) * np.exp(-x * x)
    np.testing.assert_allclose(jf(x), ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(jf(x), ref, rtol=1e-12, atol=1e-15)  # compiled path
    small = np.linspace(-1, 1, 8)  # below the size threshold: plain NumPy calls
    assert "_ne.evaluate" not in jf.lower(small).as_text()


# --- optimisations for speed (issue 5): each test asserts the optimisation happened and that
# the result is the eager one ----------------------------------------------------------------


def _prims(program):
    return [e.prim.name for e in program.eqns]


def _fast_source(program):
    return jit_mod.codegen(program, strong=False)[1]


@pytest.fixture
def one_numexpr_thread():
    ne = pytest.importorskip("numexpr", reason="numexpr is the optional fusion backend")
    old = ne.set_num_threads(1)
    yield ne
    ne.set_num_threads(old)


def test_dead_intermediates_are_deleted_and_peak_memory_stays_low():
    import tracemalloc
    rng = np.random.default_rng(0)
    ws = [rng.standard_normal((200, 200)) for _ in range(8)]

    def f(x):
        for w in ws:
            x = x @ w  # matmul results cannot overwrite an input: each one is a new array
        return x

    x = rng.standard_normal((200, 200))
    jf = wg.jit(f, backend="numpy")
    text = jf.lower(x).as_text()
    assert text.count("del v") >= 6
    jf(x)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        got = jf(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3.5 * x.nbytes  # without the deletes all 8 products are alive at the end
    np.testing.assert_allclose(got, f(x), rtol=1e-12)


def test_negations_fold_into_sums_and_merge_with_cse():
    # d/dx of x * (-x): the product rule gives g*x and g*(-x); folded, they are one product
    g = wg.grad(lambda x: wnp.sum(wnp.sin(x) * wnp.exp(-x * x)))
    x = np.linspace(-2, 2, 7)
    prog = wg.jit(g, backend="numpy").lower(x).program
    names = _prims(prog)
    assert names.count("negative") <= 1  # only the exponent's -(x*x) is written out
    assert names.count("strong_mul") + names.count("multiply") <= 5
    ref = np.cos(x) * np.exp(-x * x) - 2 * x * np.sin(x) * np.exp(-x * x)
    np.testing.assert_allclose(wg.jit(g, backend="numpy")(x), ref, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("case", range(7))
def test_each_negation_rule_is_exact(case):
    fs = [lambda a, b: (-a) + (-b), lambda a, b: a + (-b), lambda a, b: (-a) + b,
          lambda a, b: a - (-b), lambda a, b: (-a) - b, lambda a, b: (-a) * b / (-b),
          lambda a, b: wnp.negative(-(a * (-b)))]
    f = fs[case]
    rng = np.random.default_rng(case)
    a, b = rng.standard_normal(5) * 1e3, rng.standard_normal(5) + 3.0
    folded = jit_mod.fold_negations(trace_program(f, [a, b])[0])
    n_before = _prims(trace_program(f, [a, b])[0]).count("negative")
    # a negation of the output is written out, every other one is absorbed
    n_after = _prims(folded).count("negative")
    assert n_after <= 1 and (n_after < n_before or n_before == 1)
    jf = wg.jit(f, backend="numpy")
    np.testing.assert_array_equal(jf(a, b), f(a, b))
    np.testing.assert_array_equal(jf(a, b), f(a, b))


def test_negation_is_not_folded_through_integer_promotion():
    a, b = np.array([1, 2], np.int8), np.array([200, 7], np.uint8)
    f = lambda a, b: a + (-b)  # -b wraps in uint8 before the promotion
    folded = jit_mod.fold_negations(trace_program(f, [a, b])[0])
    assert "negative" in _prims(folded)
    np.testing.assert_array_equal(wg.jit(f)(a, b), f(a, b))


def test_x_plus_x_becomes_a_product_by_two():
    f = lambda x: x + x
    x = np.array([0.1, -3.0, 7.5])
    assert _prims(wg.jit(f).lower(x).program) == ["multiply"]
    np.testing.assert_array_equal(wg.jit(f)(x), x + x)
    b = np.array([True, False])
    assert _prims(wg.jit(f).lower(b).program) == ["add"]  # bool + bool is a logical or


def test_strong_product_with_a_constant_that_cannot_mask_is_a_plain_product():
    d = np.array([1.0, np.inf, -2.0])
    progs = {k: jit_mod.optimize(trace_program(lambda x, g=g: bind(strong_mul_p, g, x),
                                               [d])[0])
             for k, g in (("nonzero", np.full(3, 0.5)), ("zero", np.array([0.5, 0.0, 1.0])))}
    assert _prims(progs["nonzero"]) == ["multiply"]
    assert _prims(progs["zero"]) == ["strong_mul"]  # 0 * inf must stay 0
    fin = jit_mod.optimize(trace_program(lambda g: bind(strong_mul_p, g, np.full(3, 2.0)),
                                         [d])[0])
    assert _prims(fin) == ["multiply"]
    inf = jit_mod.optimize(trace_program(lambda g: bind(strong_mul_p, g, d), [d])[0])
    assert _prims(inf) == ["strong_mul"]
    jg = wg.jit(lambda x: bind(strong_mul_p, np.array([0.5, 0.0, 1.0]), x))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(jg(d), [0.5, 0.0, -2.0])


def test_broadcast_to_feeding_an_elementwise_op_is_dropped():
    f = lambda x, y: wnp.broadcast_to(x, (4, 3)) * y
    x, y = np.array([[1.0, 2.0, 3.0]]), np.arange(12.0).reshape(4, 3)
    prog = wg.jit(f).lower(x, y).program
    assert "broadcast_to" not in _prims(prog)
    np.testing.assert_array_equal(wg.jit(f)(x, y), x * y)
    # but not where the operand alone would give the result a smaller shape
    g = lambda x, y: wnp.broadcast_to(x, (4, 3)) * y
    prog = wg.jit(g).lower(x, np.ones(3)).program
    assert "broadcast_to" in _prims(prog)
    np.testing.assert_array_equal(wg.jit(g)(x, np.ones(3)), np.broadcast_to(x, (4, 3)))


@pytest.mark.parametrize("shapes", [((3, 1), (2, 3, 4)), ((4,), (2, 3, 4)), ((1, 4), (3, 4)),
                                    ((3, 4), (3, 4)), ((), (3, 2))])
def test_reductions_are_direct_ufunc_reduce_calls(shapes):
    sa, sb = shapes
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    f = wg.grad(lambda a, b: wnp.sum(wnp.sin(a + b) * wnp.max(b, axis=-1, keepdims=True)),
                argnums=(0, 1))
    jf = wg.jit(f, backend="numpy")
    text = jf.lower(a, b).as_text()
    assert "np.maximum.reduce" in text and "_sum_to_shape" not in text
    if sa != sb:
        assert "np.add.reduce" in text
    for got, ref in zip(jf(a, b), f(a, b)):
        assert np.shape(got) == np.shape(ref)
        np.testing.assert_allclose(got, ref, rtol=1e-14, atol=1e-15)


def test_fast_variant_checks_derivative_operands_instead_of_large_outputs():
    # the derivative of sqrt is inf at x = 0 and NaN below, where where() makes the cotangent
    # zero.  The outputs are large, so the fast variant checks the strong products' operands
    # where they are computed, and falls back to the strong variant when one is not finite.
    def f(w, x):
        s = wnp.where(x > 0, wnp.sqrt(wnp.abs(x)), 0.0)
        return wnp.sum(wnp.sin(w * s[:, None]))

    w = np.random.default_rng(2).standard_normal((4, 10000))
    g = wg.grad(f, argnums=(0, 1))
    jg = wg.jit(g, backend="numpy")
    x_ok, x_bad = np.array([1.0, 4.0, 9.0, 0.25]), np.array([-1.0, 4.0, 0.0, 0.25])
    prog = jg.lower(w, x_ok).program
    assert "raise _NotFinite" in _fast_source(prog)
    for x in (x_ok, x_bad, x_ok, x_bad):
        with np.errstate(invalid="ignore", divide="ignore"):
            gw, gx = jg(w, x)
        pos = x > 0
        s = np.where(pos, np.sqrt(np.abs(x)), 0.0)[:, None]
        np.testing.assert_allclose(gw, np.cos(w * s) * s, rtol=1e-14)
        ref_gx = np.where(pos, 0.5 / np.sqrt(np.where(pos, x, 1.0)), 0.0) * (
            np.cos(w * s) * w).sum(axis=1)
        np.testing.assert_allclose(gx, ref_gx, rtol=1e-12)


def test_any_nonfinite_is_exact_for_every_size_and_dtype():
    check = jit_mod._any_nonfinite
    for n in (1, 7, 5000):
        for dt in (np.float32, np.float64, np.complex128):
            x = np.ones(n, dt)
            assert not check([x])
            for bad in (np.inf, -np.inf, np.nan):
                y = x.copy()
                y[n // 2] = bad
                assert check([x, y])
        big = np.full(n, 1e30, np.float32)  # the sum of squares overflows, every entry finite
        assert not check([big])
        assert not check([big.reshape(-1, 1)[:, 0]])
    assert check([np.float64("nan")]) and not check([1.5, np.float32(2.0), True])
    assert not check([np.array([1, 2])])  # integers are always finite
    assert check([np.full((3, 4), np.nan)[:, ::2]])  # not contiguous


def test_fused_expressions_recompute_cheap_shared_values(one_numexpr_thread):
    g = wg.grad(lambda x: wnp.sum(wnp.sin(x) * wnp.exp(-x * x)))
    x = np.random.default_rng(0).standard_normal(1 << 17)
    prog = wg.jit(g, backend="numexpr").lower(x).program
    src = _fast_source(prog)
    # sin, cos, exp run in NumPy; all the arithmetic is two numexpr passes, and the last one
    # writes into a dead input's buffer
    assert src.count("_ne.evaluate") == 2
    assert "# strong_mul" not in src and "# multiply" not in src
    assert "out=v" in [ln for ln in src.splitlines() if "_ne.evaluate" in ln][-1]
    ref = np.cos(x) * np.exp(-x * x) - 2 * x * np.sin(x) * np.exp(-x * x)
    jg = wg.jit(g, backend="numexpr")
    for _ in range(2):
        np.testing.assert_allclose(jg(x), ref, rtol=1e-12, atol=1e-15)


def test_cache_key_tells_dtypes_apart():
    f = wg.jit(lambda x: x * 2)
    assert f(np.ones(3)).dtype == np.float64
    assert f(np.ones(3, np.float32)).dtype == np.float32
    assert f.trace_count == 2
    f(np.ones(3))
    assert f.trace_count == 2


def test_cheap_shared_values_are_recomputed_inside_one_fused_expression(one_numexpr_thread):
    def f(x, y):
        t = x * y  # read twice: recomputed in the expression rather than stored
        return (t + 1.0) * (t - 1.0)

    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(1 << 17), rng.standard_normal(1 << 17)
    jf = wg.jit(f, backend="numexpr")
    src = jf.lower(x, y).as_text()
    assert src.count("_ne.evaluate") == 1 and "# multiply" not in src
    for _ in range(2):
        np.testing.assert_allclose(jf(x, y), f(x, y), rtol=1e-15)


def test_transpose_of_adding_an_axis_is_a_reshape():
    f = wg.grad(lambda x, w: wnp.sum(wnp.sin(wnp.exp(x)[:, None] * w)))
    x, w = np.linspace(-1, 1, 3), np.random.default_rng(4).standard_normal((3, 4))
    jf = wg.jit(f, backend="numpy")
    names = _prims(jf.lower(x, w).program)
    assert "scatter_add" not in names and "reshape" in names
    ref = np.exp(x) * (np.cos(np.exp(x)[:, None] * w) * w).sum(axis=1)
    for _ in range(2):
        np.testing.assert_allclose(jf(x, w), ref, rtol=1e-14)
    # a partial slice scatters into zeros
    g = wg.grad(lambda x: wnp.sum(wnp.sin(wnp.exp(x)[1:])))
    assert "scatter_add" in _prims(wg.jit(g).lower(x).program)
