"""wnp.einsum: NumPy's values, and derivatives (reverse, forward, second order) against
central differences."""
import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert._errors import UnsupportedError
from wengert.autograd import gradcheck, gradgradcheck

# (subscripts, operand shapes): explicit and implicit outputs, ellipsis, traces/diagonals,
# labels summed within one operand, size-1 broadcasting, scalars, 3+ operands.
CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ii->", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iij->ji", [(2, 2, 3)]),
    ("iii->i", [(2, 2, 2)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ba", [(2, 3)]),
    ("bA", [(2, 3)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("i,jk->i", [(2,), (3, 2)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...i,...i", [(2, 1, 3), (4, 3)]),
    ("i...->...", [(2, 3, 2)]),
    ("...ii->...i", [(4, 3, 3)]),
    ("...", [(2, 3)]),
    ("ij,ij->ij", [(3, 1), (3, 4)]),
    (",->", [(), ()]),
    ("i,->i", [(3,), ()]),
    ("...,...", [(), (3,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ab,bc,cd,da->", [(2, 3), (3, 2), (2, 2), (2, 2)]),
    ("ij,j,jk->k", [(2, 3), (3,), (3, 2)]),
]
IDS = [c[0] or "empty" for c in CASES]


def _ops(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("subs,shapes", CASES, ids=IDS)
def test_value_matches_numpy(subs, shapes):
    ops = _ops(shapes)
    ref = np.einsum(subs, *ops)
    got = wnp.einsum(subs, *[wg.tensor(o) for o in ops])
    assert got.shape == ref.shape
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("subs,shapes", CASES, ids=IDS)
def test_first_derivatives_reverse_and_forward(subs, shapes):
    assert gradcheck(lambda *a: wnp.einsum(subs, *a), tuple(_ops(shapes)))


@pytest.mark.parametrize("subs,shapes", CASES, ids=IDS)
def test_second_derivatives(subs, shapes):
    # sin makes even the linear (single-operand) cases have a non-zero second derivative
    assert gradgradcheck(lambda *a: wnp.sin(wnp.einsum(subs, *a)), tuple(_ops(shapes)))


def test_trace_and_diagonal_gradients_are_on_the_diagonal():
    a = wg.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    wnp.einsum("ii", a).backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.eye(3))
    a.grad = None
    w = np.array([1.0, 2.0, 3.0])
    (wnp.einsum("ii->i", a) * w).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.diag(w))


def test_hessian_vector_product_of_quadratic_form():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((3, 3))
    z0 = rng.standard_normal(3)
    v = rng.standard_normal(3)
    grad_f = wg.grad(lambda z: wnp.einsum("i,ij,j->", z, A, z))
    np.testing.assert_allclose(grad_f(z0), (A + A.T) @ z0, rtol=1e-12)
    _, hv = wg.jvp(grad_f, (z0,), (v,))          # forward over reverse
    np.testing.assert_allclose(hv, (A + A.T) @ v, rtol=1e-12)


def test_third_derivative_of_cubic_form():
    # f(x) = sum_ijk T_ijk x_i x_j x_k with symmetric T: f''' = 6 T
    rng = np.random.default_rng(2)
    T = rng.standard_normal((2, 2, 2))
    T = sum(np.transpose(T, p) for p in
            [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]) / 6
    f = lambda x: wnp.einsum("ijk,i,j,k->", T, x, x, x)
    x0 = rng.standard_normal(2)
    e0 = np.array([1.0, 0.0])
    d3 = wg.jvp(lambda x: wg.jvp(wg.grad(f), (x,), (e0,))[1], (x0,), (e0,))[1]
    np.testing.assert_allclose(d3, 6 * T[0, 0], rtol=1e-12)


def test_imperative_and_numpy_dispatch():
    rng = np.random.default_rng(3)
    x = wg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = np.einsum("ij,ij->", x, x)               # NumPy's own einsum on a Tensor
    assert y.grad_fn.name() == "EinsumBackward0"
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-14)


def test_create_graph_second_order():
    x = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = wnp.einsum("i,i,i->", x, x, x)           # sum x^3
    (g,) = wg.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * np.array([1.0, 4.0, 9.0]))
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0, 18.0])


def test_sublist_form():
    a, b = _ops([(2, 3), (3, 4)])
    np.testing.assert_allclose(wnp.einsum(a, [0, 1], b, [1, 2], [0, 2]).numpy(), a @ b)
    np.testing.assert_allclose(wnp.einsum(a, [0, Ellipsis], [Ellipsis]).numpy(), a.sum(0))
    g = wg.grad(lambda u: wnp.einsum(u, [0, 1], b, [1, 2]).sum())(a)
    np.testing.assert_allclose(g, np.broadcast_to(b.sum(1), (2, 3)))


def test_implicit_output_orders_uppercase_first():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(wnp.einsum("bA", a).numpy(), np.einsum("bA", a))
    assert wnp.einsum("bA", a).shape == (3, 2)


def test_python_scalars_and_dtypes():
    x = wg.tensor([1.0, 2.0])
    np.testing.assert_array_equal(wnp.einsum("i,->i", x, 2.0).numpy(), [2.0, 4.0])
    f32 = wg.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    r = wnp.einsum("ij,jk", f32, np.ones((3, 2), np.float32))
    assert r.dtype == np.float32
    r.sum().backward()
    assert f32.grad.dtype == np.float32
    d = wnp.einsum("ij", np.ones((2, 2)), dtype=np.float32, casting="same_kind")
    assert d.dtype == np.float32
    with pytest.raises(TypeError, match="cannot cast"):
        wnp.einsum("ij,jk", np.ones((2, 2)), np.ones((2, 2)), dtype=np.float32)


def test_complex_follows_no_conjugation_convention():
    rng = np.random.default_rng(4)
    z = rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    b = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    assert gradcheck(lambda u: wnp.einsum("ij,jk->ik", u, b), (z,))
    _, pull = wg.vjp(lambda u: wnp.einsum("ij,jk->ik", u, b), z)
    g = np.ones((2, 2), complex)
    np.testing.assert_allclose(pull(g)[0], g @ b.T, rtol=1e-12)


def test_large_contractions_use_a_path_and_agree():
    from wengert.numpy._einsum import _policy
    rng = np.random.default_rng(5)
    a, b, c = rng.standard_normal((40, 50)), rng.standard_normal((50, 30)), \
        rng.standard_normal((30, 20))
    assert _policy(["ij", "jk", "kl"], [a, b, c]) == "greedy"
    assert _policy(["ij", "jk"], [a[:2, :3], b[:3, :2]]) is False
    r = wnp.einsum("ij,jk,kl->il", wg.tensor(a), b, c)
    np.testing.assert_allclose(r.numpy(), a @ b @ c, rtol=1e-10)
    path = np.einsum_path("ij,jk,kl->il", a, b, c)[0]
    r2 = wnp.einsum("ij,jk,kl->il", a, b, c, optimize=path)
    np.testing.assert_allclose(r2.numpy(), a @ b @ c, rtol=1e-10)
    g = wg.grad(lambda u: wnp.einsum("ij,jk,kl->", u, b, c))(a)
    np.testing.assert_allclose(g, np.broadcast_to((b @ c).sum(1), (40, 50)), rtol=1e-10)


@pytest.mark.parametrize("subs,shapes,match", [
    ("ij,jk", [(2, 3), (2, 3)], "has size 3 in one operand and 2"),
    ("ij", [(2, 3), (2, 3)], "name 1 operand"),
    ("ijk", [(2, 3)], "has 2 dimension"),
    ("i->j", [(3,)], "appears in no input"),
    ("ii", [(2, 3)], "repeats the label 'i'"),
    ("i..j", [(3,)], "invalid subscript"),
    ("i2", [(3,)], "invalid subscript"),
    ("i->ii", [(3,)], "more than once"),
    ("...i->i", [(2, 3)], "no '...'"),
    ("i->i->i", [(3,)], "more than once"),
    ("......", [(3,)], "more than one ellipsis"),
])
def test_bad_subscripts_raise_clear_errors(subs, shapes, match):
    with pytest.raises(ValueError, match=match):
        wnp.einsum(subs, *[np.ones(s) for s in shapes])


def test_out_argument_is_refused():
    with pytest.raises(UnsupportedError, match="out="):
        wnp.einsum("i->", np.ones(3), out=np.zeros(()))


def test_vmap_and_jacobians():
    rng = np.random.default_rng(6)
    A, B, C = rng.standard_normal((5, 2, 3)), rng.standard_normal((3, 4)), \
        rng.standard_normal((4, 2, 5))
    r = wg.vmap(lambda a, c: wnp.einsum("ij,jk,ki->", a, B, c), in_axes=(0, 2))(A, C)
    np.testing.assert_allclose(r, np.einsum("bij,jk,kib->b", A, B, C), rtol=1e-12)
    X = rng.standard_normal((3, 5, 3))
    r = wg.vmap(lambda a: wnp.einsum("ii->i", a), in_axes=1)(X)
    np.testing.assert_allclose(r, np.einsum("ibi->bi", X))
    J = wg.jacrev(lambda a: wnp.einsum("ij,jk->ik", a, B))(A[0])
    np.testing.assert_allclose(J, np.einsum("il,jk->iklj", np.eye(2), B), rtol=1e-12)
    np.testing.assert_allclose(wg.jacfwd(lambda a: wnp.einsum("ij,jk->ik", a, B))(A[0]), J)
