"""Keep freed array memory in the process instead of handing it back to the OS at once.

An eager gradient on arrays of a few hundred kilobytes allocates and frees many of them per
call.  With glibc's default settings, memory freed at the top of the heap is returned to the
OS as soon as more than about twice the largest recently freed block is free, so the next call
maps the same pages again and takes a page fault for each 4 kB page it writes: at n = 10^5 the
faults cost more than the arithmetic.  PyTorch and XLA avoid this with caching allocators of
their own; NumPy has none for large arrays.

``tune()`` sets two glibc malloc parameters (``mallopt``): blocks up to ``mmap_threshold``
bytes come from the heap, not from fresh ``mmap`` mappings, and up to ``trim_threshold`` bytes
of free memory stay at the top of the heap for the next allocation.  These are the values glibc
itself converges to after freeing a 32 MB block; the cost is that a process keeps up to
``trim_threshold`` of freed memory mapped.  ``import wengert`` calls it on Linux with glibc
unless ``WENGERT_MALLOC_TUNING=0`` is set or the user configured malloc through the
environment (``GLIBC_TUNABLES`` with ``glibc.malloc.*``, or ``MALLOC_*_`` variables), which is
then left alone.  Elsewhere (macOS, Windows, musl) nothing happens.
"""
from __future__ import annotations

import os
import sys

MMAP_THRESHOLD = 32 << 20  # glibc's own upper limit for its dynamic threshold (64-bit)
TRIM_THRESHOLD = 64 << 20  # twice that, as glibc sets it when it raises the threshold

_M_TRIM_THRESHOLD = -1  # <malloc.h>
_M_MMAP_THRESHOLD = -3

_ENV_VARS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
             "MALLOC_ARENA_MAX")

status = {"tuned": False, "reason": "not attempted"}


def user_configured(environ=None) -> bool:
    """Whether malloc was configured through the environment (then it is left alone)."""
    env = os.environ if environ is None else environ
    return (any(k in env for k in _ENV_VARS)
            or "glibc.malloc." in env.get("GLIBC_TUNABLES", ""))


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (ValueError, OSError, AttributeError):
        return False


def tune(mmap_threshold: int = MMAP_THRESHOLD, trim_threshold: int = TRIM_THRESHOLD) -> bool:
    """Set glibc's ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD`` (see the module docstring).
    Returns whether both were set; False (and nothing changed) where the C library is not
    glibc.  ``status`` records the outcome."""
    if not sys.platform.startswith("linux") or not _glibc():
        status.update(tuned=False, reason="the C library is not glibc")
        return False
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        status.update(tuned=False, reason="mallopt is not available")
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)))
    ok = bool(mallopt(_M_TRIM_THRESHOLD, int(trim_threshold))) and ok
    status.update(tuned=ok, reason="set by tune()" if ok else "mallopt refused the values",
                  mmap_threshold=int(mmap_threshold), trim_threshold=int(trim_threshold))
    return ok


def tune_at_import() -> None:
    if os.environ.get("WENGERT_MALLOC_TUNING", "1").strip().lower() in ("0", "false", "no",
                                                                          "off"):
        status.update(tuned=False, reason="WENGERT_MALLOC_TUNING=0")
    elif user_configured():
        status.update(tuned=False, reason="malloc configured through the environment")
    else:
        tune()
