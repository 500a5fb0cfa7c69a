"""``wg.autograd.gradcheck`` / ``gradgradcheck``: central differences and the complex step."""
import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert._core.primitive import PRIMITIVES
from wengert.autograd import gradcheck, gradgradcheck
from wengert.autograd.gradcheck import GradcheckError, gradcheck_report

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3))
Y = RNG.standard_normal(3)


@pytest.fixture
def primitive():
    """Make test primitives with ``wg.Primitive``; unregister them afterwards so the op
    tables never see them."""
    made = []

    def make(name, impl, **rules):
        p = wg.Primitive(name, impl, **rules)
        made.append(name)
        return p

    yield make
    for name in made:
        PRIMITIVES.pop(name, None)


@pytest.mark.parametrize("method", ["central", "complex_step"])
def test_passes_on_correct_functions(method):
    assert gradcheck(lambda x: wnp.sin(x) * wnp.exp(x), (X,), method=method)
    assert gradcheck(lambda x, y: wnp.tanh(x @ y) / (1 + x[0, 0] ** 2), (X.T.copy(), X),
                     method=method)
    assert gradcheck(lambda x, y: {"a": x * y, "b": (wnp.sum(x ** 3),)}, (X, Y),
                     method=method)


def test_tensor_inputs_only_those_requiring_grad_are_checked():
    x = wg.tensor(X, requires_grad=True)
    y = wg.tensor(Y)
    assert gradcheck(lambda x, y: wnp.log1p(x * x) * y, (x, y))
    rep = gradcheck_report(lambda x, y: wnp.log1p(x * x) * y, (x, y))
    assert {r["input"] for r in rep} == {0}


def test_non_differentiable_outputs_are_skipped():
    assert gradcheck(lambda x: (x ** 2, x > 0, wnp.argmax(x)), (Y,))


def test_complex_step_is_exact_to_machine_precision():
    f = lambda x: wnp.exp(wnp.sin(x)) / (1 + x ** 2) + wnp.sqrt(x * x + 1)
    x = np.array([0.3, 1.7, -2.2])
    cs = gradcheck_report(f, (x,), method="complex_step")
    cd = gradcheck_report(f, (x,), method="central")
    for rc, rd in zip(cs, cd):
        scale = np.max(np.abs(rc["analytic"]))
        assert rc["max_abs_error"] <= 4e-16 * scale       # ~1e-16: no cancellation
        assert rd["max_abs_error"] > 1e-12 * scale         # central differences: ~1e-10
    assert gradcheck(f, (x,), method="complex_step", atol=1e-15, rtol=1e-14)
    assert not gradcheck(f, (x,), method="central", atol=1e-15, rtol=1e-14,
                         raise_exception=False)


def test_wrong_vjp_rule_is_caught_with_the_worst_element(primitive):
    # cube with a VJP rule that is wrong for one element only (x[1, 2] gets a factor 2)
    mask = np.ones((2, 3))
    mask[1, 2] = 2.0
    bad = primitive("test_bad_cube", lambda x: x ** 3,
                    vjp=lambda needs, g, out, x: (g * 3 * x ** 2 * mask,),
                    jvp=lambda tangents, out, x: tangents[0] * 3 * x ** 2)
    x = np.abs(X) + 0.5
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda a, b: (b * 2, wg.bind(bad, a)), (x, Y))
    msg = str(e.value)
    assert "reverse mode" in msg
    assert "output 1 with respect to input 0" in msg
    assert "output index (1, 2), input index (1, 2)" in msg
    assert f"{3 * x[1, 2] ** 2:.6g}"[:6] in msg          # the correct (numerical) value
    assert "1 of 36 entries differ" in msg
    # the forward rule is right: checking forward mode only passes
    assert gradcheck(lambda a: wg.bind(bad, a), (x,), check_backward_ad=False)


def test_wrong_jvp_rule_is_caught(primitive):
    bad = primitive("test_bad_sin_jvp", np.sin,
                    vjp=lambda needs, g, out, x: (g * wnp.cos(x),),
                    jvp=lambda tangents, out, x: tangents[0] * wnp.cos(x) * 1.01)
    with pytest.raises(GradcheckError, match="forward mode.*input 0"):
        gradcheck(lambda a: wg.bind(bad, a), (Y,))
    assert gradcheck(lambda a: wg.bind(bad, a), (Y,), check_forward_ad=False)


def test_gradgradcheck_catches_a_wrong_second_derivative(primitive):
    # right first derivative, wrong second: the VJP rule of `tcos` (used by tsin's rules)
    # has the wrong sign
    tcos = primitive("test_cos_wrong_vjp", np.cos,
                     vjp=lambda needs, g, out, x: (g * wnp.sin(x),),
                     jvp=lambda tangents, out, x: -tangents[0] * wnp.sin(x))
    tsin = primitive("test_sin_using_tcos", np.sin,
                     vjp=lambda needs, g, out, x: (g * wg.bind(tcos, x),),
                     jvp=lambda tangents, out, x: tangents[0] * wg.bind(tcos, x))
    f = lambda x: wg.bind(tsin, x)
    assert gradcheck(f, (Y,))
    with pytest.raises(GradcheckError, match="reverse mode"):
        gradgradcheck(f, (Y,))
    assert gradgradcheck(wnp.sin, (Y,))


def test_gradgradcheck_passes_on_correct_functions():
    assert gradgradcheck(lambda x, y: wnp.sum(wnp.tanh(x) * y, axis=0), (X, Y))
    assert gradgradcheck(lambda x: wnp.exp(wnp.sin(x)), (Y,), method="complex_step",
                         atol=1e-13, rtol=1e-13)


def test_complex_inputs_and_outputs():
    z = np.array([0.3 + 0.4j, -1.0 + 0.2j])
    assert gradcheck(lambda z: wnp.sin(z) * z, (z,))                   # holomorphic
    assert gradcheck(lambda z: wnp.real(z * wnp.conj(z)), (z,))       # |z|^2, not holomorphic
    assert gradcheck(lambda x: wnp.exp(1j * x), (Y,))                  # real -> complex
    with pytest.raises(ValueError, match="complex_step.*real inputs"):
        gradcheck(lambda z: z * 2, (z,), method="complex_step")
    with pytest.raises(ValueError, match="real-valued function"):
        gradcheck(lambda x: wnp.exp(1j * x), (Y,), method="complex_step")


def test_complex_step_on_non_analytic_function_explains():
    with pytest.raises(GradcheckError, match="complex-analytic"):
        gradcheck(lambda x: wnp.abs(x) ** 3, (np.array([-0.5, 0.7]),), method="complex_step")


def test_float32_input_warns():
    with pytest.warns(UserWarning, match="float32"):
        gradcheck(lambda x: x * 2, (np.ones(2, np.float32),), eps=1e-2, atol=1e-2)
