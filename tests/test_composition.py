"""The composition matrix: every ordered pair of transforms (grad, jvp, vjp, vmap, checkpoint,
custom_vjp, jet) and the common triples, each checked against an exact analytic reference.

Every transform below maps a function R^3 -> R^3 to another one, so they nest in any order.
The test functions are sums of terms ``M exp(A x)`` (exp elementwise), a family closed under
all of them, so the reference is computed symbolically on the (M, A) pairs:

* jvp along v:         M exp(A x)  ->  M diag(A v) exp(A x)
* vjp / grad with u:   M exp(A x)  ->  A^T diag(M^T u) exp(A x)
* vmap over scales s with weights w (sum_k w_k f(s_k x)):  M exp(A x) -> sum_k w_k M exp(s_k A x)
* jet, second Taylor coefficient along v:  M exp(A x)  ->  M diag((A v)^2) exp(A x)
* checkpoint, custom_vjp (bwd written with wg.vjp):  unchanged.
"""
import itertools

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp

RNG = np.random.default_rng(4)
N = 3
M0 = RNG.standard_normal((N, N))
A0 = RNG.standard_normal((N, N)) / 3
X0 = RNG.standard_normal(N)
U_GRAD = RNG.standard_normal(N)
U_VJP = RNG.standard_normal(N)
V_JVP = RNG.standard_normal(N)
V_JET = RNG.standard_normal(N)
SCALES = np.array([0.6, -1.1])
WEIGHTS = np.array([1.0, 0.4])


# --- the transforms, each f -> g with g: R^3 -> R^3 ------------------------------------------------
def t_grad(f):
    return wg.grad(lambda y: wnp.sum(f(y) * U_GRAD))


def t_jvp(f):
    return lambda x: wg.jvp(f, (x,), (V_JVP,))[1]


def t_vjp(f):
    return lambda x: wg.vjp(f, x)[1](U_VJP)[0]


def t_vmap(f):
    return lambda x: WEIGHTS @ wg.vmap(lambda s: f(x * s))(SCALES)


def t_checkpoint(f):
    return wg.checkpoint(f)


def t_custom_vjp(f):
    @wg.custom_vjp
    def g(x):
        return f(x)

    def fwd(x):
        return g(x), x                      # fwd calls the function itself

    def bwd(x, ct):
        return wg.vjp(f, x)[1](ct)          # differentiable: wengert ops all the way down

    g.defvjp(fwd, bwd)
    return g


def t_jet(f):
    return lambda x: wg.jet(f, (x,), ([V_JET, np.zeros(N)],))[1][1]


TRANSFORMS = {"grad": t_grad, "jvp": t_jvp, "vjp": t_vjp, "vmap": t_vmap,
              "checkpoint": t_checkpoint, "custom_vjp": t_custom_vjp}
if hasattr(wg, "jet"):
    TRANSFORMS["jet"] = t_jet


# --- the symbolic reference --------------------------------------------------------------------------
def r_jvp(terms):
    return [(m * (a @ V_JVP), a) for m, a in terms]


def r_cotangent(u):
    return lambda terms: [(a.T * (m.T @ u), a) for m, a in terms]


def r_vmap(terms):
    return [(w * m, s * a) for m, a in terms for s, w in zip(SCALES, WEIGHTS)]


def r_jet(terms):
    return [(m * (a @ V_JET) ** 2, a) for m, a in terms]


REFERENCE = {"grad": r_cotangent(U_GRAD), "jvp": r_jvp, "vjp": r_cotangent(U_VJP),
             "vmap": r_vmap, "checkpoint": lambda t: t, "custom_vjp": lambda t: t,
             "jet": r_jet}


def evaluate(terms, x):
    return sum(m @ np.exp(a @ x) for m, a in terms)


def base(x):
    return M0 @ wnp.exp(A0 @ x)


def run(names):
    """Apply the transforms named (outermost first) to the base function, at X0, and the
    reference on the (M, A) terms."""
    f, terms = base, [(M0, A0)]
    for name in reversed(names):
        f = TRANSFORMS[name](f)
        terms = REFERENCE[name](terms)
    return np.asarray(f(X0)), evaluate(terms, X0)


def test_reference_family_against_finite_differences():
    # the symbolic rules themselves, checked numerically once
    h = 1e-6
    e = [np.eye(N)[j] for j in range(N)]
    J = np.stack([(evaluate([(M0, A0)], X0 + h * d) - evaluate([(M0, A0)], X0 - h * d))
                  / (2 * h) for d in e], axis=1)
    np.testing.assert_allclose(evaluate(r_jvp([(M0, A0)]), X0), J @ V_JVP, rtol=1e-7)
    np.testing.assert_allclose(evaluate(r_cotangent(U_GRAD)([(M0, A0)]), X0), J.T @ U_GRAD,
                               rtol=1e-7)
    d2 = (evaluate([(M0, A0)], X0 + h * 1e2 * V_JET) - 2 * evaluate([(M0, A0)], X0)
          + evaluate([(M0, A0)], X0 - h * 1e2 * V_JET)) / (h * 1e2) ** 2
    np.testing.assert_allclose(evaluate(r_jet([(M0, A0)]), X0), d2, rtol=1e-5)


PAIRS = list(itertools.product(TRANSFORMS, repeat=2))


@pytest.mark.parametrize("outer,inner", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_depth_2(outer, inner):
    got, ref = run([outer, inner])
    assert got.shape == (N,)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


_CORE = ["grad", "jvp", "vjp", "vmap"]
_EXTRA = [t for t in ("checkpoint", "custom_vjp", "jet") if t in TRANSFORMS]
TRIPLES = (list(itertools.product(_CORE, repeat=3))
           + [(a, b, c) for c in _EXTRA for a, b in itertools.product(["grad", "jvp", "vmap"],
                                                                       repeat=2)]
           + [(a, c, b) for c in _EXTRA for a, b in (("grad", "grad"), ("jvp", "grad"),
                                                     ("vmap", "grad"), ("grad", "vmap"))])


@pytest.mark.parametrize("names", TRIPLES, ids=["-".join(t) for t in TRIPLES])
def test_depth_3(names):
    got, ref = run(list(names))
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-11)


def test_depth_4_samples():
    for names in (["grad", "jvp", "vmap", "checkpoint"], ["vmap", "grad", "custom_vjp", "jvp"],
                  ["jvp", "vjp", "grad", "vmap"]):
        got, ref = run(names)
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-11)
