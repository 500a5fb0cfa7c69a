"""Completeness of the rules and of the op table:

* every registered Primitive has both a VJP and a JVP rule, or is declared non-differentiable
  (``nondiff``) or with identically zero derivative (``zero_deriv``);
* every public differentiable name of wengert.numpy has an entry in tests/op_specs.py OPS
  (non-differentiable names in NONDIFF; the rest excluded below, each with its reason);
* every primitive of the core op modules is exercised when the table runs (forward, reverse
  and second order), so no rule goes unchecked.
"""
import sys
import types

import numpy as np
import pytest
from _checks import derivative_functions, random_like
from op_specs import NONDIFF, OPS

import wengert as wg
import wengert.numpy as wnp
from wengert._core import primitive as _prim

# Public names of wengert.numpy that need no OPS entry, by reason.
EXCLUDED = {
    # creation from shapes or Python numbers: no differentiable input (their results are
    # constants to every transform); array/asarray/full/linspace, which do take tensors,
    # have OPS entries
    "arange", "empty", "empty_like", "eye", "full_like", "identity", "logspace", "ones",
    "ones_like", "tri", "zeros", "zeros_like",
    # NumPy's own helpers re-exported for convenience: they inspect shapes/dtypes only
    "shape", "ndim", "size", "result_type", "issubdtype",
    # zero derivative by definition (value of x, derivative 0): no finite-difference
    # reference exists; tested by test_op_derivatives.py::test_stop_gradient
    "stop_gradient",
    # whole-array predicates and type queries: Python bools as in NumPy (no array result for
    # the NONDIFF check); tested by test_peer_regressions.py::test_predicates_on_traced_values
    "allclose", "array_equal", "array_equiv", "iscomplexobj", "isrealobj", "isscalar",
}

# Modules whose primitives the table is responsible for.  Submodules with their own op tables
# (wengert.numpy.fft, wengert.numpy.linalg, wengert.scipy.*) and the primitives of transforms
# that carry user code (custom_vjp/custom_jvp, vmap's dynamic indexing) are checked by their own
# test files; the "has rules" check below still covers them.
TABLE_MODULES = ("wengert.numpy._elementwise", "wengert.numpy._reduce", "wengert.numpy._shape",
                 "wengert.numpy._linalg_core", "wengert.numpy._complex",
                 "wengert.numpy._composite", "wengert.numpy._einsum",
                 "wengert.numpy._ufuncs", "wengert.numpy._statistics", "wengert.numpy._manip",
                 "wengert._transforms.reverse")
# Table-module primitives that the table cannot reach, with the test that covers them.
EXERCISED_ELSEWHERE = {
    "stop_gradient": "zero derivative by definition; test_op_derivatives.py::test_stop_gradient",
}


def _public_callables():
    for name in dir(wnp):
        if name.startswith("_"):
            continue
        obj = getattr(wnp, name)
        if isinstance(obj, types.ModuleType):  # fft, linalg: their own tables
            continue
        if isinstance(obj, type):  # dtypes (float32, ...), Tensor, ndarray, finfo, iinfo
            continue
        if not callable(obj):  # constants: pi, e, inf, nan, newaxis
            continue
        yield name, obj


def test_every_primitive_has_rules():
    missing = []
    for name, p in sorted(_prim.PRIMITIVES.items()):
        if p.nondiff or p.zero_deriv:
            continue
        if p.vjp is None or p.jvp is None:
            missing.append(f"{name} (vjp={'yes' if p.vjp else 'MISSING'}, "
                           f"jvp={'yes' if p.jvp else 'MISSING'})")
    assert not missing, (
        "primitives without both rules: " + ", ".join(missing) + ". Give each a VJP and a "
        "JVP rule, or declare it nondiff=True (no derivative) or zero_deriv=True.")


def test_every_public_differentiable_name_is_in_the_table():
    covered = {op.name for op in OPS} | {nd.name for nd in NONDIFF}
    covered_objs = {id(getattr(wnp, n)) for n in covered if hasattr(wnp, n)}
    missing = []
    for name, obj in _public_callables():
        if name in covered or name in EXCLUDED:
            continue
        if id(obj) in covered_objs:  # an alias (abs/absolute, amax/max, ...)
            continue
        missing.append(name)
    assert not missing, (
        f"wengert.numpy functions with no entry in tests/op_specs.py: {missing}. Add an Op "
        "(or a NonDiff entry for a function without derivative), or list the name in "
        "EXCLUDED in tests/test_rule_coverage.py with the reason.")


def test_exclusions_are_current():
    """An excluded name must still exist (a stale list hides nothing but misleads)."""
    public = dict(_public_callables())
    stale = [n for n in EXCLUDED if n not in public]
    assert not stale, f"EXCLUDED names things wengert.numpy no longer has: {stale}"
    assert not (EXCLUDED & {op.name for op in OPS}), "a name is both excluded and in OPS"


def _module_of_primitives():
    where = {}
    for mod_name, mod in list(sys.modules.items()):
        if not mod_name.startswith("wengert") or mod is None:
            continue
        for value in list(vars(mod).values()):
            if isinstance(value, _prim.Primitive):
                where.setdefault(value.name, set()).add(mod_name)
    return where


def _exercise_table():
    """Run every OPS entry forward, reverse and to second order (and every NONDIFF entry),
    recording the primitives bound, rules included."""
    seen = set()

    def observe(prim, args, params, out):
        seen.add(prim.name)

    _prim._observers.append(observe)
    try:
        for op in OPS:
            args = op.sample()
            rng = np.random.default_rng(0)
            for f, f_args in [(op.fn, args)] + [
                    (g, g_args) for _, g, g_args in derivative_functions(op.fn, args, op.modes, rng)]:
                out, pullback = wg.vjp(f, *f_args)
                pullback(wg.tree_unflatten(wg.tree_flatten(out)[1], [
                    random_like(rng, np.asarray(o)) for o in wg.tree_leaves(out)]))
                wg.jvp(f, tuple(f_args), tuple(random_like(rng, a) for a in f_args))
        for nd in NONDIFF:
            rng = np.random.default_rng(0)
            nd.fn(*[a.sample(rng) for a in nd.args])
    finally:
        _prim._observers.remove(observe)
    return seen


def test_every_core_primitive_is_exercised_by_the_table():
    where = _module_of_primitives()
    in_scope = sorted(n for n, mods in where.items()
                      if any(m in TABLE_MODULES for m in mods))
    assert "add" in in_scope and "getitem" in in_scope  # the scan found the op modules
    seen = _exercise_table()
    unexercised = [n for n in in_scope if n not in seen and n not in EXERCISED_ELSEWHERE]
    assert not unexercised, (
        f"primitives no entry of tests/op_specs.py reaches: {unexercised}. Add an Op that "
        "binds each (or name the test that covers it in EXERCISED_ELSEWHERE).")


@pytest.mark.parametrize("name", sorted(EXERCISED_ELSEWHERE))
def test_exercised_elsewhere_names_exist(name):
    assert name in _prim.PRIMITIVES, f"{name} is listed in EXERCISED_ELSEWHERE but not registered"
