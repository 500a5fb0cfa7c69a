"""The benchmark suite (benchmarks/): its hand-written NumPy gradients, which every library is
checked against, are right; wengert eager and jit pass those checks; and run.py produces a
complete table and JSON file (on tiny inputs, so the numbers themselves mean nothing)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")
sys.path.insert(0, BENCH)

import workloads as W

STEPS = W.SIZES["tiny"]["w1"][1]


def fd_grad(f, x, h=1e-6):
    """Central finite differences of the scalar or array function f at the array x:
    shape f(x).shape + x.shape."""
    x = np.array(x, dtype=np.float64)
    cols = []
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h
        e = e.reshape(x.shape)
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h))
    return np.moveaxis(np.array(cols), 0, -1).reshape(np.shape(f(x)) + x.shape)


def test_w1_reference_matches_finite_differences():
    (x,) = W.w1_data(*W.SIZES["tiny"]["w1"])
    want = fd_grad(lambda y: W.w1_f_numpy(y, STEPS), x)
    np.testing.assert_allclose(W.w1_numpy(x, STEPS), want, rtol=1e-6, atol=1e-9)


def test_w2_reference_matches_finite_differences():
    params, X, Y = W.w2_data(*W.SIZES["tiny"]["w2"])
    params = [p.astype(np.float64) for p in params]
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    got = W.w2_numpy(params, X, Y)
    for i, p in enumerate(params):
        def loss(q, i=i):
            return W.w2_loss_numpy(params[:i] + [q] + params[i + 1:], X, Y)
        np.testing.assert_allclose(got[i], fd_grad(loss, p), rtol=1e-5, atol=1e-8)


def test_w3_reference_is_the_hessian_times_v():
    x, v = W.w3_data(W.SIZES["tiny"]["w3"])

    def f(y):
        return np.sum(np.sin(y)) + 0.5 * np.sum(y) ** 2

    np.testing.assert_allclose(W.w3_grad_numpy(x), fd_grad(f, x), rtol=1e-6, atol=1e-8)
    h = 1e-5
    hv = (W.w3_grad_numpy(x + h * v) - W.w3_grad_numpy(x - h * v)) / (2 * h)
    np.testing.assert_allclose(W.w3_numpy(x, v), hv, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("n, m", W.SIZES["tiny"]["w4"])
def test_w4_reference_matches_finite_differences(n, m):
    Wm, x = W.w4_data(n, m)
    np.testing.assert_allclose(W.w4_numpy(Wm, x), fd_grad(lambda y: W.w4_f_numpy(Wm, y), x),
                               rtol=1e-6, atol=1e-9)


def test_w5_reference_matches_finite_differences():
    (x,) = W.w5_data(W.SIZES["tiny"]["w5"][0])
    np.testing.assert_allclose(W.w5_numpy(x), fd_grad(W.w5_f_numpy, x), rtol=1e-6, atol=1e-9)


def test_w6_reference_matches_finite_differences():
    Wm, U, xs, h0 = W.w6_data(*W.SIZES["tiny"]["w6"])
    gW, gU = W.w6_numpy(Wm, U, xs, h0)
    np.testing.assert_allclose(gW, fd_grad(lambda a: W.w6_loss_numpy(a, U, xs, h0), Wm),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(gU, fd_grad(lambda a: W.w6_loss_numpy(Wm, a, xs, h0), U),
                               rtol=1e-6, atol=1e-9)


def test_check_rejects_wrong_values_shapes_and_counts():
    ref = [np.ones(3), np.zeros((2, 2))]
    W.check("ok", [np.ones(3) + 1e-12, np.zeros((2, 2))], ref, 1e-8)
    with pytest.raises(AssertionError, match="differs"):
        W.check("bad", [np.ones(3) * 1.01, np.zeros((2, 2))], ref, 1e-8)
    with pytest.raises(AssertionError, match="shape"):
        W.check("bad", [np.ones(3), np.zeros(4)], ref, 1e-8)
    with pytest.raises(AssertionError, match="returned 1 arrays"):
        W.check("bad", [np.ones(3)], ref, 1e-8)


def test_cases_cover_every_workload_and_w5_size():
    cases = W.cases("full")
    assert {c.impl for c in cases} == set(W.numpy_impls())
    labels = {c.label for c in cases}
    for _, f, g in W.w5_pairs("full"):
        assert f in labels and g in labels
    assert [p[0] for p in W.w5_pairs("full")] == [
        "W5 grad/f, n=1e3", "W5 grad/f, n=1e5", "W5 grad/f, n=1e7"]


@pytest.mark.parametrize("lib", ["wengert", "wengert-jit"])
def test_wengert_passes_the_benchmark_checks(lib):
    impls = W.IMPLS[lib]("tiny")
    for case in W.cases("tiny"):
        args = case.data()
        W.check(case.label, impls[case.impl](*args), case.reference(*args), case.rtol)


def test_run_produces_a_complete_table_and_json(tmp_path):
    out = tmp_path / "results.json"
    p = subprocess.run(
        [sys.executable, os.path.join(BENCH, "run.py"), "--size", "tiny",
         "--libs", "numpy,wengert,wengert-jit", "--rounds", "2", "--budget", "0.003",
         "--visits", "3", "--json", str(out)],
        check=False, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["libraries"] == ["numpy", "wengert", "wengert-jit"]
    labels = [c.label for c in W.cases("tiny")]
    # the jit-against-NumPy column of the head-to-head table, from paired visits
    h2h = report["head_to_head"]
    assert set(h2h) == {"wengert-jit / numpy"}
    for label in labels:
        q = h2h["wengert-jit / numpy"][label]
        assert 0 < q["q25"] <= q["median"] <= q["q75"] and 2 <= q["pairs"] <= 6
    assert "Head to head" in p.stdout
    for lib in ("numpy", "wengert"):
        res = report["results"][lib]
        for label in labels:
            assert report["status"][lib][label]["status"] == "ok"
            r = res[label]
            assert 0 < r["min_cpu_s"] <= r["median_cpu_s"]
            assert 0 < r["min_wall_s"] <= r["median_wall_s"]
            assert len(r["round_medians_s"]) == 2
            assert 2 <= r["visits"] <= 6  # 1 to 3 per round
            assert (lib == "wengert") == ("ratio_to_numpy" in r)
        for ratio, _, _ in W.w5_pairs("tiny"):
            assert res[ratio]["grad_over_f"] > 0
    w7 = report["w7"]
    assert (w7["checkpoint_sequential"]["saved_activation_arrays"]
            < w7["no checkpointing"]["saved_activation_arrays"])
    for label in labels:
        assert f"| {label} |" in p.stdout
    assert "process CPU time" in p.stdout and "Machine:" in p.stdout


def test_ratios_pair_visits_made_under_the_same_load():
    """A library that is always exactly twice as slow as NumPy gets the ratio 2 and no spread,
    however much the machine's speed changes from visit to visit; a library that is faster in
    some visits and slower in others gets the median of its paired ratios."""
    import run
    rng = np.random.default_rng(0)
    label, f, g = "W5 grad, n=1e3", "W5 f, n=1e3", "W5 grad/f, n=1e3"
    samples = {"numpy": {label: [], f: []}, "wengert": {label: [], f: []},
               "torch": {label: [], f: []}}
    for r in range(3):
        for v in range(4):
            load = float(rng.uniform(1, 10))  # the machine's speed during this visit
            for lib, k in (("numpy", 1.0), ("wengert", 2.0), ("torch", 3.0 if v % 2 else 1.0)):
                for name in (label, f):
                    t = [k * load * 1e-3] * 3
                    samples[lib][name].append({"round": r, "visit": v, "cpu": t, "wall": t})
    res, h2h = run.summarise(samples, [label, f], [(g, f, label)], "cpu")
    assert res["wengert"][label]["ratio_to_numpy"] == pytest.approx(2.0)
    q = res["wengert"][label]["ratio_to_numpy_quartiles"]
    assert q["q25"] == pytest.approx(2.0) and q["q75"] == pytest.approx(2.0) and q["pairs"] == 12
    assert res["torch"][label]["ratio_to_numpy"] == pytest.approx(2.0)  # half 1, half 3
    assert h2h["wengert / torch"][label]["q25"] == pytest.approx(2 / 3)
    assert h2h["wengert / torch"][label]["q75"] == pytest.approx(2.0)
    assert res["wengert"][g]["grad_over_f"] == pytest.approx(1.0)
    assert len(res["numpy"][label]["round_medians_s"]) == 3


def test_visits_per_round_leave_slow_calls_one_visit():
    import run

    class Worker:
        def __init__(self, call_s):
            self.ready = {"W": {"status": "ok", "call_s": call_s}}
    assert run.visits_per_round(Worker(1e-4), "W", 0.05, 4) == 4
    assert run.visits_per_round(Worker(0.02), "W", 0.05, 4) == 2
    assert run.visits_per_round(Worker(0.5), "W", 0.05, 4) == 1
    assert run.visits_per_round(Worker(0.5), "missing", 0.05, 4) == 4
