"""glibc malloc tuning at import (wengert/_core/allocator.py): freed array memory stays in the
process, so repeated gradients do not page-fault on fresh mappings; opt-out and user
configuration are respected; elsewhere nothing happens."""
import os
import subprocess
import sys

import pytest

import wengert as wg
from wengert._core import allocator

GLIBC = sys.platform.startswith("linux") and allocator._glibc()

# allocate and free six 800 kB arrays (eager-gradient temporaries at n = 10^5), then count the
# page faults of 20 more rounds
CHURN = """
import resource, json, numpy as np, wengert
def churn():
    a = [np.ones(100_000) for _ in range(6)]
    del a
for _ in range(3):
    churn()
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    churn()
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0) / 20
print(json.dumps({"faults": faults, "status": wengert.memory.allocator_status()}))
"""


def run_churn(**env):
    import json
    e = {k: v for k, v in os.environ.items()
         if k not in ("WENGERT_MALLOC_TUNING", "GLIBC_TUNABLES") and not k.startswith("MALLOC_")}
    e.update(env)
    p = subprocess.run([sys.executable, "-c", CHURN], env=e, capture_output=True, text=True,
                       timeout=120, check=True)
    return json.loads(p.stdout)


@pytest.mark.skipif(not GLIBC, reason="mallopt tuning applies to glibc only")
def test_import_tunes_malloc_and_repeated_large_temporaries_stop_faulting():
    tuned = run_churn()
    assert tuned["status"]["tuned"] is True
    assert tuned["status"]["trim_threshold"] == allocator.TRIM_THRESHOLD
    # 6 x 800 kB written per round: ~1200 faults a round when the pages are handed back
    assert tuned["faults"] <= 5
    off = run_churn(WENGERT_MALLOC_TUNING="0")
    assert off["status"] == {"tuned": False, "reason": "WENGERT_MALLOC_TUNING=0"}
    assert off["faults"] > tuned["faults"]


@pytest.mark.skipif(not GLIBC, reason="mallopt tuning applies to glibc only")
def test_malloc_configured_by_the_user_is_left_alone():
    out = run_churn(GLIBC_TUNABLES="glibc.malloc.trim_threshold=131072")
    assert out["status"]["tuned"] is False
    assert "environment" in out["status"]["reason"]
    assert allocator.user_configured({"MALLOC_TRIM_THRESHOLD_": "1"})
    assert allocator.user_configured({"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=1"})
    assert not allocator.user_configured({"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX"})
    assert not allocator.user_configured({})


def test_status_is_a_copy_and_tune_reports_where_it_cannot_apply(monkeypatch):
    st = wg.memory.allocator_status()
    st["tuned"] = "changed"
    assert wg.memory.allocator_status()["tuned"] != "changed"
    monkeypatch.setattr(allocator, "_glibc", lambda: False)
    before = dict(allocator.status)
    try:
        assert wg.memory.tune_allocator() is False
        assert allocator.status["reason"] == "the C library is not glibc"
    finally:
        allocator.status.clear()
        allocator.status.update(before)
