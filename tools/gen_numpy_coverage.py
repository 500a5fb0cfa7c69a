"""Generate docs/numpy_coverage.md from the code: which NumPy functions wengert supports.

Walks the public functions of ``numpy``, ``numpy.linalg`` and ``numpy.fft`` (``__all__``,
classes, modules and constants left out) and asks the library the same question its
``__array_function__``/``__array_ufunc__`` protocols ask: is there a wengert function for
this NumPy function (the dispatch tables, or a function of the same name in
``wengert.numpy`` and its submodules), or does it carry no derivative and run on the values
(``NONDIFF_FUNCTIONS``)?  Every other NumPy function is listed with the reason it is not
supported, from the small ``REASONS`` table below ("not implemented yet" by default).

    python tools/gen_numpy_coverage.py           # rewrite docs/numpy_coverage.md
    python tools/gen_numpy_coverage.py --check   # exit 1 if the file is stale

tests/test_numpy_coverage.py runs the check, so the file cannot go stale.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import types
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "numpy_coverage.md"
MODULES = ("numpy", "numpy.linalg", "numpy.fft")

# Why a NumPy function is not supported: one line per kind of reason ...
WHY = {
    "integer": "integer-valued, no derivative: call it on `t.detach()` (or `t.numpy()`)",
    "index": "builds integer index arrays from shapes: call NumPy's own function (its result "
             "is a constant)",
    "window": "a window of an integer length: call NumPy's own function (its result is a "
              "constant)",
    "io": "I/O: read with NumPy, then `wnp.asarray(...)`",
    "config": "configuration or introspection, not an array operation: use NumPy's own",
    "string": "string formatting: no array result",
    "datetime": "datetime and business-day arithmetic: no derivative",
    "dtype": "dtype or shape introspection: call NumPy's own on `t.dtype` / `t.shape`",
    "matrix": "`numpy.matrix` is deprecated: use 2-d arrays",
    "pyfunc": "turns a Python function into an object-array ufunc: write the function with "
              "`wengert.numpy` instead",
    "float": "floating-point representation (neighbouring floats): no useful derivative",
    "set": "set operations (unique elements, sorted): not implemented yet; "
           "`wnp.sort` and masks cover the differentiable cases",
    "histogram": "counts and bin edges are piecewise constant (a derivative through "
                 "`weights` is not implemented yet)",
    "plan": "returns a contraction plan, not an array: call NumPy's own on the shapes",
}
# ... and which functions it applies to.  Anything else unsupported: "not implemented yet".
REASONS = {
    "integer": "bincount bitwise_count bitwise_left_shift bitwise_right_shift gcd lcm left_shift "
               "right_shift packbits unpackbits isnat",
    "index": "diag_indices diag_indices_from indices ix_ mask_indices ravel_multi_index "
             "tril_indices tril_indices_from triu_indices triu_indices_from unravel_index",
    "window": "bartlett blackman hamming hanning kaiser",
    "io": "from_dlpack frombuffer fromfile fromiter fromregex fromstring genfromtxt load "
          "loadtxt",
    "config": "get_include get_printoptions getbufsize geterr geterrcall info nested_iters "
              "printoptions set_printoptions setbufsize seterr seterrcall show_config "
              "show_runtime test",
    "string": "base_repr binary_repr format_float_positional format_float_scientific",
    "datetime": "busday_count busday_offset datetime_as_string datetime_data is_busday",
    "dtype": "broadcast_shapes common_type isdtype isfortran issubdtype iterable mintypecode "
             "promote_types typename",
    "matrix": "asmatrix bmat",
    "pyfunc": "frompyfunc",
    "float": "nextafter spacing",
    "set": "intersect1d setdiff1d setxor1d union1d unique unique_all unique_counts "
           "unique_inverse unique_values",
    "histogram": "histogram histogram2d histogram_bin_edges histogramdd",
    "plan": "einsum_path",
}
_REASON_OF = {name: key for key, names in REASONS.items() for name in names.split()}


def _public(module):
    """name -> object for the public functions (and ufuncs) of ``module``."""
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    out = {}
    for name in sorted(set(names)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated aliases warn on access
            try:
                obj = getattr(module, name)
            except AttributeError:
                continue
        if isinstance(obj, (type, types.ModuleType)) or not callable(obj):
            continue
        out[name] = obj
    return out


def _describe(target, wmod, name):
    """How the support is reached: the wengert function's public name, or the adapter."""
    prefix = "wnp." + wmod.__name__[len("wengert.numpy."):] + "." \
        if wmod.__name__ != "wengert.numpy" else "wnp."
    if getattr(wmod, name, None) is target:
        return f"`{prefix}{name}`"
    tname = getattr(target, "__name__", "")
    if tname and not tname.startswith("<"):
        if getattr(wmod, tname, None) is target:
            return f"`{prefix}{tname}`"
        return f"adapter `{target.__module__}.{tname}`"
    return "adapter in the dispatch table"


def survey():
    """Per module: (supported rows, unsupported rows).  A supported row is (name, kind, how);
    an unsupported row is (name, kind, reason)."""
    from wengert.numpy import _dispatch

    result = {}
    for modname in MODULES:
        module = importlib.import_module(modname)
        wmod = importlib.import_module(_dispatch._SUBMODULES[modname])
        supported, missing = [], []
        for name, obj in _public(module).items():
            kind = "ufunc" if isinstance(obj, np.ufunc) else "function"
            target = _dispatch.UFUNCS.get(obj) if isinstance(obj, np.ufunc) else None
            if target is None:
                target = _dispatch.FUNCTIONS.get(obj)
            if target is None:
                target = _dispatch._by_name(modname, name, obj)
            if target is not None:
                supported.append((name, kind, _describe(target, wmod, name)))
            elif obj in _dispatch.NONDIFF_FUNCTIONS:
                supported.append((name, kind, "on the values (no derivative)"))
            else:
                missing.append((name, kind, WHY.get(_REASON_OF.get(name), "not implemented yet")))
        result[modname] = (supported, missing)
    return result


def _extras():
    """Public functions of wengert.numpy that NumPy does not have."""
    import wengert.numpy as wnp
    numpy_names = set(dir(np))
    out = []
    for name in sorted(dir(wnp)):
        obj = getattr(wnp, name)
        if name.startswith("_") or name in numpy_names or isinstance(obj, (type,
                                                                          types.ModuleType)):
            continue
        if callable(obj):
            out.append(name)
    return out


def render():
    data = survey()
    version = ".".join(np.__version__.split(".")[:2])
    lines = [
        "# NumPy coverage of `wengert.numpy`",
        "",
        ("<!-- Generated by tools/gen_numpy_coverage.py: do not edit by hand. "
         "tests/test_numpy_coverage.py fails when this file is stale. -->"),
        "",
        (f"Generated from the code against NumPy {version}: every public function of "
         "`numpy`, `numpy.linalg` and `numpy.fft`, and whether wengert supports it. "
         "*Supported* means that the `wengert.numpy` function of the same name exists (named "
         "in the last column) and that plain `numpy.<name>(tensor)` reaches it through "
         "NumPy's dispatch protocols, with derivatives in forward and reverse mode to any "
         "order; functions marked *on the values* return integers, booleans or metadata, so "
         "they run on the tensors' values and record no derivative.  Calling an unsupported "
         "function on a Tensor raises `UnsupportedError` naming it (the Tensor is never "
         "silently converted to an array, which would drop its gradient)."),
        "",
        "| module | public functions | supported | not supported |",
        "|---|---:|---:|---:|",
    ]
    for modname, (sup, miss) in data.items():
        lines.append(f"| `{modname}` | {len(sup) + len(miss)} | {len(sup)} | {len(miss)} |")
    lines += ["", "## Not supported", "",
              "| function | reason |", "|---|---|"]
    for modname, (_, miss) in data.items():
        for name, _, reason in miss:
            lines.append(f"| `{modname}.{name}` | {reason} |")
    if not any(miss for _, miss in data.values()):
        lines.append("| (none) | |")
    lines += ["", "## Supported", ""]
    for modname, (sup, _) in data.items():
        lines += [f"### `{modname}` ({len(sup)})", "", "| function | kind | wengert |",
                  "|---|---|---|"]
        for name, kind, how in sup:
            lines.append(f"| `{name}` | {kind} | {how} |")
        lines.append("")
    extras = _extras()
    lines += ["## In `wengert.numpy` but not in NumPy", "",
              ", ".join(f"`{n}`" for n in extras), ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if docs/numpy_coverage.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run python tools/gen_numpy_coverage.py",
                  file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
