"""docs/numpy_coverage.md is generated from the code (tools/gen_numpy_coverage.py): it must be
current, its reasons table must name only real, unsupported NumPy functions, and an
unsupported function called on a Tensor must fail with an error that names it."""
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

import wengert as wg
from wengert._errors import UnsupportedError

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("gen_numpy_coverage",
                                               ROOT / "tools" / "gen_numpy_coverage.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def _doc_numpy_version():
    m = re.search(r"against NumPy (\d+\.\d+)", gen.OUTPUT.read_text())
    return m.group(1) if m else None


def test_coverage_doc_is_current():
    version = ".".join(np.__version__.split(".")[:2])
    if _doc_numpy_version() != version:
        pytest.skip(f"docs/numpy_coverage.md was generated against NumPy "
                    f"{_doc_numpy_version()}, this is NumPy {version}: its function list differs")
    assert gen.OUTPUT.read_text() == gen.render(), (
        "docs/numpy_coverage.md is stale: run `python tools/gen_numpy_coverage.py` and commit "
        "the result")


def test_reasons_name_existing_unsupported_functions():
    data = gen.survey()
    public = set()
    supported = set()
    for modname in gen.MODULES:
        sup, miss = data[modname]
        public |= {n for n, _, _ in sup} | {n for n, _, _ in miss}
        supported |= {n for n, _, _ in sup}
    assert set(gen.REASONS) <= set(gen.WHY), "a REASONS key without a WHY line"
    stale = sorted(n for n in gen._REASON_OF if n not in public)
    assert not stale, f"REASONS names functions NumPy does not have: {stale}"
    now_supported = sorted(n for n in gen._REASON_OF if n in supported)
    assert not now_supported, (f"REASONS still explains why {now_supported} are unsupported, "
                               "but wengert supports them now: remove them from REASONS")


def test_every_module_function_is_listed_once():
    data = gen.survey()
    for modname in gen.MODULES:
        sup, miss = data[modname]
        names = [n for n, _, _ in sup] + [n for n, _, _ in miss]
        assert len(names) == len(set(names)), modname
    supported = {n for n, _, _ in data["numpy"][0]}
    assert {"sum", "cumsum", "median", "pad", "sinc", "argsort", "isclose"} <= supported
    assert "unique" not in supported


@pytest.mark.parametrize("call,name", [
    (lambda t: np.unique(t), "numpy.unique"),
    (lambda t: np.histogram(t), "numpy.histogram"),
    (lambda t: np.nextafter(t, 1.0), "numpy.nextafter"),
    (lambda t: np.gcd(t.astype(int), 2), "numpy.gcd"),
    (lambda t: np.union1d(t, t), "numpy.union1d"),
])
def test_unsupported_functions_raise_an_error_naming_them(call, name):
    t = wg.tensor([1.0, 2.0, 2.0], requires_grad=True)
    with pytest.raises(UnsupportedError, match=re.escape(name)):
        call(t)
