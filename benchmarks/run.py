"""Benchmark wengert against hand-written NumPy gradients, PyTorch eager, JAX (eager and jit) and
HIPS autograd (when installed): workloads W1-W7 of issue 5, one process per library, one table.

    python benchmarks/run.py                  # everything installed: 12 rounds
    python benchmarks/run.py --quick          # 3 rounds
    python benchmarks/run.py --libs numpy,wengert,torch --rounds 5

How the numbers are made trustworthy on a shared, noisy machine:

* One worker process per library, started once.  Each worker builds its implementations,
  checks every result against the hand-written NumPy one (a case that differs is reported as
  failed and never timed), warms up (jit compilation) and then waits for orders on a pipe.
* The workloads run in rounds.  In each round every workload visits every library in turn
  ("run W1 for 0.01 s"), ``--visits`` times over (a library whose call takes longer than a
  visit, fewer times), in an order that rotates from visit to visit, workload to workload and
  round to round, so all libraries see the same background load.  A worker times its calls in samples of at
  least ``--sample`` seconds (several calls per sample for fast workloads) and sends them back.
* Reported: the median and the minimum per call over all samples of all rounds, of the process
  CPU time (``time.process_time``: all threads of the process, not the time it sat descheduled
  while other processes ran) or of the wall time (``--clock wall``); the JSON file has both.
  Ratios to hand-written NumPy are the median, over pairs of visits (the k-th visits of the two
  libraries in a round, a fraction of a second apart), of the ratio of the visits' medians, so
  each ratio compares measurements taken under the same load; the head-to-head table (wengert
  against PyTorch, JAX and autograd) is made the same way.  W5's grad/f is the median over
  rounds of the ratio within each round.
* Every library runs with the same thread count (``--threads``, default 1): OMP, MKL,
  OpenBLAS, numexpr, numba, torch and XLA are all told.
* Every library runs with the same glibc malloc settings (``--malloc same``, the default):
  those ``import wengert`` applies to its own process (keep up to 64 MB of freed memory
  instead of handing pages back to the OS), given to all workers through ``GLIBC_TUNABLES``.

Time: the workers' start-up (imports, checks, jit compilation; about 70 s of CPU) runs in
parallel, the rounds one worker at a time (about 20 s each, most of it W5 at n = 10^7).  On a
2-core VM shared with 2-3 busy processes --quick took 3 minutes and the full run 6.5.
"""
from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import workloads as W

QUICK = {"rounds": 3, "budget": 0.02}
FULL = {"rounds": 12, "budget": 0.05}


# --- the worker: one process per library ---------------------------------------------------------
def _arrays(args):
    """The arrays in a tuple of arguments (lists of arrays included)."""
    out = []
    for a in args:
        out.extend(_arrays(a) if isinstance(a, (list, tuple)) else [a])
    return out


def _sample_calls(fn, seconds):
    """``(calls, one)``: how many calls make a sample of about ``seconds`` (calls of a few
    microseconds are timed in groups, so the clocks' resolution and overhead do not count), and
    the wall time of one call."""
    t = time.perf_counter()
    fn()
    one = time.perf_counter() - t
    if one < seconds / 3:
        t = time.perf_counter()
        for _ in range(3):
            fn()
        one = (time.perf_counter() - t) / 3
    return max(1, int(seconds / max(one, 1e-9))), one


def _time_batch(fn, calls, budget):
    """Samples of ``calls`` calls each, until ``budget`` seconds have passed (at least one):
    lists of per-call wall and CPU seconds."""
    gc.collect()
    wall, cpu = [], []
    end = time.perf_counter() + budget
    while True:
        w, c = time.perf_counter(), time.process_time()
        for _ in range(calls):
            fn()
        c, w = time.process_time() - c, time.perf_counter() - w
        wall.append(w / calls)
        cpu.append(c / calls)
        if time.perf_counter() >= end:
            return wall, cpu


def worker(lib, size, sample):
    # the protocol uses the real stdout; whatever the libraries print goes to stderr
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def send(obj):
        reply.write(json.dumps(obj) + "\n")

    try:
        impls = W.IMPLS[lib](size)
    except ImportError as e:
        send({"missing": f"{type(e).__name__}: {e}"})
        return
    runners, status = {}, {}
    setup_wall, setup_cpu = time.perf_counter(), time.process_time()
    for case in W.cases(size):
        fn = impls.get(case.impl)
        if fn is None:
            status[case.label] = {"status": "not implemented"}
            continue
        args = case.data()
        inputs = [a.copy() for a in _arrays(args)]
        try:
            t = time.perf_counter()
            got = fn(*args)
            first = time.perf_counter() - t
            W.check(case.label, got, case.reference(*args), case.rtol)
            run = (lambda fn=fn, args=args: fn(*args))
            calls, one = _sample_calls(run, sample)
            if not all(np.array_equal(a, b) for a, b in zip(_arrays(args), inputs)):
                raise AssertionError(f"{case.label}: the implementation modified its inputs")
        except Exception as e:  # noqa: BLE001 (reported; the other cases still run)
            status[case.label] = {"status": f"failed: {type(e).__name__}: {e}"[:500]}
            continue
        runners[case.label] = (run, calls)
        status[case.label] = {"status": "ok", "first_call_s": first, "call_s": one,
                              "calls_per_sample": calls}
    # what setup allocated (modules, compiled code, data) is never garbage: keep it out of the
    # collections that the timed calls trigger, so no library pays for the size of its imports
    gc.collect()
    gc.freeze()
    send({"ready": status, "versions": {"numpy": np.__version__, **W.versions(lib)},
          "setup_s": {"wall": time.perf_counter() - setup_wall,
                      "cpu": time.process_time() - setup_cpu}})
    for line in sys.stdin:
        order = json.loads(line)
        if order["cmd"] == "run":
            fn, calls = runners[order["case"]]
            wall, cpu = _time_batch(fn, calls, order["budget"])
            send({"wall": wall, "cpu": cpu})
        elif order["cmd"] == "w7":
            send({"w7": W.w7_memory(*W.SIZES[size]["w7"])})
        elif order["cmd"] == "quit":
            return


class Worker:
    """The parent's handle on one library's worker process."""

    def __init__(self, lib, args, env):
        self.lib = lib
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by close())
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, "--size", args.size,
               "--sample", str(args.sample)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, env=env, bufsize=1)

    def receive(self):
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.log.seek(0)
            raise RuntimeError(f"the {self.lib} worker exited (status {self.proc.returncode}):"
                               f"\n{self.log.read()[-3000:]}")
        return json.loads(line)

    def ask(self, **order):
        self.proc.stdin.write(json.dumps(order) + "\n")
        self.proc.stdin.flush()
        return self.receive()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.close()
            except OSError:
                pass
            self.proc.wait(timeout=60)
        self.log.close()


# --- the machine --------------------------------------------------------------------------------------
def machine():
    cpu, flags = platform.processor() or platform.machine(), ""
    try:
        with open("/proc/cpuinfo") as f:
            info = {k.strip(): v.strip() for k, v in
                    (line.split(":", 1) for line in f if ":" in line)}
        cpu = info.get("model name", cpu)
        flags = info.get("flags", "")
    except OSError:
        pass
    return {"cpu": cpu, "logical_cpus": os.cpu_count(),
            "virtual_machine": "hypervisor" in flags.split(),
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(),
            "load_average_1min_at_start": os.getloadavg()[0]}


# --- the parent: rounds across the workers -------------------------------------------------------------
def visits_per_round(worker, label, budget, most):
    """How many times a workload visits a library in a round: ``most``, or fewer when one of
    its calls would not fit in a visit's share of ``budget``."""
    call = worker.ready.get(label, {}).get("call_s", 0.0)
    return max(1, min(most, int(budget / max(call, 1e-9))))


def run_rounds(workers, labels, rounds, budget, visits=1):
    """samples[lib][label] = one {"round", "visit", "wall": [...], "cpu": [...]} per visit.  In a
    round, each workload visits the libraries in turn ``visits`` times (a library whose calls
    are slow, fewer times: see visits_per_round), ``budget / visits`` seconds each: the k-th
    visits of the libraries follow each other within a fraction of a second, so they share the
    machine's state.  A worker that dies is reported and left out of the rest (its finished
    visits stay)."""
    samples = {w.lib: {label: [] for label in labels} for w in workers}
    workers = list(workers)
    for r in range(rounds):
        t = time.perf_counter()
        for i, label in enumerate(labels):
            if not workers:
                return samples
            n = {w.lib: visits_per_round(w, label, budget, visits) for w in workers}
            for v in range(max(n.values())):
                k = (r + i + v) % len(workers)
                for w in workers[k:] + workers[:k]:
                    if w.ready.get(label, {}).get("status") != "ok" or v >= n[w.lib]:
                        continue
                    try:
                        got = w.ask(cmd="run", case=label, budget=budget / n[w.lib])
                    except (RuntimeError, OSError) as e:
                        print(e, file=sys.stderr)
                        workers.remove(w)
                        continue
                    samples[w.lib][label].append({"round": r, "visit": v, **got})
        print(f"round {r + 1}/{rounds}: {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return samples


# head-to-head comparisons reported from paired visits: (library, against)
HEAD_TO_HEAD = (("wengert", "torch"), ("wengert", "jax"), ("wengert", "autograd"),
                ("wengert-jit", "jax-jit"), ("wengert-jit", "numpy"))


def _quantiles(xs):
    xs = sorted(xs)
    q = statistics.quantiles(xs, n=4, method="inclusive") if len(xs) > 1 else [xs[0]] * 3
    return {"median": q[1], "q25": q[0], "q75": q[2], "pairs": len(xs)}


def summarise(samples, labels, pairs, clock):
    """Per library and case: median and min per call over all samples (both clocks), and the
    median per round; the ratio to NumPy (median over paired visits of the ratio of the two
    visits' medians in ``clock``); W5's grad/f ratio (median over rounds of per-round ratios).
    Returns that and the HEAD_TO_HEAD ratios, from paired visits the same way."""
    def per_round(lib, label):
        by_round = {}
        for s in samples[lib][label]:
            by_round.setdefault(s["round"], []).extend(s[clock])
        return {r: statistics.median(x) for r, x in by_round.items()}

    def per_visit(lib, label):
        return {(s["round"], s["visit"]): statistics.median(s[clock])
                for s in samples.get(lib, {}).get(label, [])}

    def paired(lib, other, label):
        a, b = per_visit(lib, label), per_visit(other, label)
        return [a[k] / b[k] for k in a if k in b]

    out = {}
    for lib in samples:
        res = out[lib] = {}
        for label in labels:
            visits = samples[lib][label]
            if not visits:
                continue
            res[label] = {f"{stat}_{c}_s": fn(x for s in visits for x in s[c])
                          for c in ("cpu", "wall")
                          for stat, fn in (("median", statistics.median), ("min", min))}
            rounds = per_round(lib, label)
            res[label]["round_medians_s"] = [rounds[r] for r in sorted(rounds)]
            res[label]["samples"] = sum(len(s[clock]) for s in visits)
            res[label]["visits"] = len(visits)
            q = paired(lib, "numpy", label) if lib != "numpy" else []
            if q:
                res[label]["ratio_to_numpy"] = statistics.median(q)
                res[label]["ratio_to_numpy_quartiles"] = _quantiles(q)
        for ratio, f, g in pairs:
            if samples[lib][f] and samples[lib][g]:
                rf, rg = per_round(lib, f), per_round(lib, g)
                res[ratio] = {"grad_over_f": statistics.median(
                    rg[r] / rf[r] for r in rg if r in rf)}
    h2h = {}
    for lib, other in HEAD_TO_HEAD:
        for label in labels:
            q = paired(lib, other, label)
            if q:
                h2h.setdefault(f"{lib} / {other}", {})[label] = _quantiles(q)
    return out, h2h


# --- the table ------------------------------------------------------------------------------------------
def fmt_time(s):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale or unit == "µs":
            v = s / scale
            return f"{v:.3g} {unit}" if v < 1000 else f"{v:.0f} {unit}"


def fmt_ratio(r):
    return f"{r:.2f}x" if r < 10 else f"{r:.3g}x" if r < 1000 else f"{r:.0f}x"


def table(report, clock, stat):
    libs = list(report["libraries"])
    labels, pairs = report["cases"], report["w5_pairs"]
    res = report["results"]
    rows = labels[:3] + [lb for lb in labels if lb.startswith("W4")]
    rows += [g for _, _, g in pairs] + [f for _, f, _ in pairs]
    if stat == "median":
        rows += [r for r, _, _ in pairs]
    rows += [lb for lb in labels if lb not in rows]

    def cell(lib, label):
        r = res[lib].get(label)
        if r is None:
            st = report["status"][lib].get(label, {}).get("status", "")
            return "failed" if st.startswith("failed") else "—"
        if "grad_over_f" in r:
            return f"{r['grad_over_f']:.2f}"
        text = fmt_time(r[f"{stat}_{clock}_s"])
        if stat == "median" and "ratio_to_numpy" in r:
            text += f" ({fmt_ratio(r['ratio_to_numpy'])})"
        return text

    lines = ["| workload | " + " | ".join(libs) + " |",
             "|---|" + "---:|" * len(libs)]
    for label in rows:
        lines.append(f"| {label} | " + " | ".join(cell(lib, label) for lib in libs) + " |")
    w7 = report.get("w7")
    if w7 and stat == "median":
        for name, m in w7.items():
            lines.append(f"| W7 saved activations / traced peak / time, {name} | "
                         + " | ".join(f"{m['saved_activations_MB']:.1f} MB / "
                                      f"{m['traced_peak_MB']:.1f} MB / "
                                      f"{fmt_time(m[f'time_{clock}_s'])}"
                                      if lib == "wengert" else "—" for lib in libs) + " |")
    return "\n".join(lines)


def head_to_head_table(report):
    """One row per workload, one column per HEAD_TO_HEAD pair that ran: the median time ratio of
    paired visits, with its quartiles (below 1: the first library is faster)."""
    h2h = report.get("head_to_head") or {}
    cols = [c for c in (f"{a} / {b}" for a, b in HEAD_TO_HEAD) if c in h2h]
    if not cols:
        return ""
    lines = ["| workload | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for label in report["cases"]:
        cells = []
        for c in cols:
            q = h2h[c].get(label)
            cells.append("—" if q is None else
                         f"{q['median']:.2f} [{q['q25']:.2f}-{q['q75']:.2f}]")
        if any(c != "—" for c in cells):
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def header(report):
    m, s = report["machine"], report["settings"]
    vers = {}
    for v in report["versions"].values():
        vers.update(v)
    clock = ("process CPU time (time.process_time)" if s["clock"] == "cpu"
             else "wall time (time.perf_counter)")
    machine_line = (
        f"Machine: {m['cpu']}, {m['logical_cpus']} logical CPUs"
        f"{' (virtual machine)' if m['virtual_machine'] else ''}, {m['os']}; "
        f"{s['threads']} thread{'s' if s['threads'] > 1 else ''} per library"
        + ("; the same malloc settings for all (GLIBC_TUNABLES=" + s["glibc_tunables"] + ")"
           if s.get("malloc") == "same" and s.get("glibc_tunables") else "")
        + "; load average "
        f"{m['load_average_1min_at_start']:.2f} at the start. {report['date']}.")
    versions_line = ("Versions: Python " + m["python"] + ", "
                     + ", ".join(f"{k} {v}" for k, v in sorted(vers.items())) + ".")
    clock_line = (
        f"Clock: {clock}. Cells: median per call over {s['rounds']} interleaved rounds "
        f"({s['budget']} s per workload and library per round, in up to "
        f"{s.get('visits', 1)} alternating visits), and in parentheses the ratio to "
        "hand-written NumPy (median over paired visits of the ratio of their medians). "
        "W5 grad/f rows: time(grad) / "
        "time(f) of the same library. W7 (wengert): peak activations saved for backward / "
        "traced NumPy peak memory / time of one gradient.")
    return f"{machine_line}\n\n{versions_line}\n\n{clock_line}"


def noise(report):
    """How far to trust the table: how much a workload's per-round medians vary between rounds
    (max / min - 1), how widely its paired ratios to NumPy spread (75th / 25th percentile - 1),
    both as medians over workloads and libraries, and the share of wall time the workers had
    the CPU."""
    res = report["results"]
    times, spreads, shares = [], [], []
    for lib in res:
        for label, r in res[lib].items():
            if "median_cpu_s" not in r:
                continue
            shares.append(r["median_cpu_s"] / r["median_wall_s"])
            t = r["round_medians_s"]
            if len(t) > 1:
                times.append(max(t) / min(t) - 1)
            q = r.get("ratio_to_numpy_quartiles")
            if q and q["pairs"] > 1:
                spreads.append(q["q75"] / q["q25"] - 1)
    if not times:
        return ""
    text = (f"Noise: between its fastest and slowest round, a workload's median moved by "
            f"{statistics.median(times):.0%}")
    if spreads:
        text += (f"; the middle half of its paired ratios to NumPy spans "
                 f"{statistics.median(spreads):.0%}")
    return text + (f" (medians over workloads and libraries). CPU time / wall time: "
                   f"{statistics.median(shares):.2f} (below 1: the process waited while "
                   "others ran; above 1: it used more than one thread).")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help=f"{QUICK['rounds']} rounds of {QUICK['budget']} s (default "
                         f"{FULL['rounds']} of {FULL['budget']} s)")
    ap.add_argument("--libs", default=",".join(W.LIBS),
                    help="comma-separated, from: " + ", ".join(W.LIBS))
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--budget", type=float, help="seconds per workload, library and round")
    ap.add_argument("--visits", type=int, default=4,
                    help="visits of each library per workload and round (fewer for slow calls)")
    ap.add_argument("--sample", type=float, default=0.002,
                    help="seconds per timed sample (fast calls are grouped; default 0.002)")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--malloc", choices=("same", "native"), default="same",
                    help="same: every library runs with the glibc malloc settings that wengert "
                         "applies to itself at import; native: each as it ships")
    ap.add_argument("--size", choices=tuple(W.SIZES), default="full",
                    help="'tiny' runs small inputs (for the test suite; not a benchmark)")
    ap.add_argument("--no-w7", action="store_true", help="skip the W7 memory measurement")
    ap.add_argument("--json", default=os.path.join(HERE, "results.json"),
                    help="where to write every number (default benchmarks/results.json)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker(a.worker, a.size, a.sample)
        return
    mode = QUICK if a.quick else FULL
    rounds = a.rounds or mode["rounds"]
    budget = a.budget if a.budget is not None else mode["budget"]
    libs = [lib.strip() for lib in a.libs.split(",") if lib.strip()]
    unknown = sorted(set(libs) - set(W.LIBS))
    if unknown:
        ap.error(f"unknown libraries {unknown}; choose from {', '.join(W.LIBS)}")

    env = dict(os.environ)
    n = str(a.threads)
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
              "NUMEXPR_MAX_THREADS", "NUMBA_NUM_THREADS"):
        env[k] = n
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen="
                        f"{'true' if a.threads > 1 else 'false'} "
                        f"intra_op_parallelism_threads={n}").strip()
    env["JAX_PLATFORMS"] = "cpu"
    if a.malloc == "same" and "glibc.malloc." not in env.get("GLIBC_TUNABLES", ""):
        # every library gets the malloc settings wengert applies to itself at import (glibc
        # ignores the variable elsewhere), so no ratio measures glibc handing pages back
        from wengert._core import allocator
        env["GLIBC_TUNABLES"] = ":".join(filter(None, (
            env.get("GLIBC_TUNABLES", ""),
            f"glibc.malloc.mmap_threshold={allocator.MMAP_THRESHOLD}",
            f"glibc.malloc.trim_threshold={allocator.TRIM_THRESHOLD}")))

    t0 = time.perf_counter()
    info = machine()
    workers = [Worker(lib, a, env) for lib in libs]  # their start-ups overlap
    ready, versions, setup, failed = [], {}, {}, {}
    for w in workers:
        try:
            msg = w.receive()
        except RuntimeError as e:
            failed[w.lib] = str(e)
            print(e, file=sys.stderr)
            w.close()
            continue
        if "missing" in msg:
            print(f"{w.lib}: not installed ({msg['missing']})", file=sys.stderr)
            w.close()
            continue
        w.ready = msg["ready"]
        versions[w.lib] = msg["versions"]
        setup[w.lib] = msg["setup_s"]
        ready.append(w)
        for label, st in w.ready.items():
            if st["status"] != "ok":
                print(f"{w.lib}, {label}: {st['status']}", file=sys.stderr)
    print(f"workers ready: {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    labels = [c.label for c in W.cases(a.size)]
    pairs = W.w5_pairs(a.size)
    try:
        samples = run_rounds(ready, labels, rounds, budget, a.visits)
        wg = next((w for w in ready if w.lib == "wengert"), None)
        w7 = wg.ask(cmd="w7")["w7"] if wg is not None and not a.no_w7 else None
    finally:
        for w in ready:
            w.close()

    results, h2h = summarise(samples, labels, pairs, a.clock)
    report = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": info,
        "settings": {"rounds": rounds, "budget": budget, "visits": a.visits,
                     "malloc": a.malloc, "glibc_tunables": env.get("GLIBC_TUNABLES"),
                     "sample": a.sample, "clock": a.clock,
                     "threads": a.threads, "size": a.size},
        "libraries": [w.lib for w in ready],
        "versions": versions,
        "cases": labels,
        "w5_pairs": pairs,
        "status": {w.lib: w.ready for w in ready},
        "setup_s": setup,
        "failed_workers": failed,
        "results": results,
        "head_to_head": h2h,
        "w7": w7,
    }
    report["machine"]["load_average_1min_at_end"] = os.getloadavg()[0]
    report["table"] = table(report, a.clock, "median")
    report["table_min"] = table(report, a.clock, "min")
    report["header"] = header(report)
    report["noise"] = noise(report)
    report["head_to_head_table"] = head_to_head_table(report)
    with open(a.json, "w") as f:
        json.dump(report, f, indent=1)
    print(report["header"] + "\n\n" + report["table"] + "\n\n" + report["noise"])
    if report["head_to_head_table"]:
        print("\nHead to head (time ratio of paired visits: median [25th-75th percentile]):\n\n"
              + report["head_to_head_table"])
    print(f"\nFastest sample (min per call over all rounds, {a.clock} time):\n\n"
          + report["table_min"])
    print(f"\nAll numbers: {a.json} ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
