"""Benchmark: scenario batches on every executor, and the analysis core on a large network.

Part A — per-variant overhead of each executor. A Monte Carlo batch of N variants of the
default network with the cheap ``demand`` stage, so that the executors' own costs show:
a plain Python loop calling the stage (the naive reference), then ``netplan.batch.run``
in-process with results kept in memory, in-process with the results store, on a process
pool of 2, and on a Dask local cluster of 2 (start-up timed apart); best of ``--repeats``
rounds. Overhead per variant = wall time per variant minus the naive time per variant
divided by the workers.

Part B — speed-up from 1 to 2 workers. The same N variants with the ``analyze`` stage
(every year, n-1), on a process pool of 1 and of 2 workers (best wall time of ``--repeats``
rounds, with the CPU time of the parent and the workers), against the naive loop timed on
the first variants.

Part C — the analysis core (``netplan.analysis.study.analyze``, n-1) on a synthetic network of 1,000
sites, in a fresh process: time, peak traced memory (tracemalloc) and peak resident memory
(getrusage). Reference: routing every failure state from scratch with ``ecmp_routing``,
timed on a sample of states and scaled to all of them.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_batch.py            # everything (long)
    PYTHONPATH=. python benchmarks/bench_batch.py --variants 100 --nodes 300
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_batch(n: int, stage: str):
    import netplan
    from netplan.batch import build_batch

    return build_batch(
        {
            "name": f"bench-{stage}",
            "scenario": str(netplan.default_scenario_path("baseline")),
            "stage": stage,
            "options": {"failures": ["n-1"]} if stage == "analyze" else {},
            "seed": 1,
            "monte_carlo": {
                "draws": n,
                "parameters": {
                    "scale.internet_access": {
                        "dist": "triangular",
                        "low": 0.8,
                        "mode": 1.0,
                        "high": 1.6,
                    },
                    "scale.video_surveillance": {"dist": "lognormal", "mu": 0.0, "sigma": 0.25},
                    "services.video_conference.active_fraction": {
                        "dist": "uniform",
                        "low": 0.3,
                        "high": 0.7,
                    },
                },
            },
        }
    )


def naive_loop(batch, limit: int | None = None) -> tuple[float, int]:
    """Seconds for a plain loop over the variants: validate the scenario, call the stage."""
    from netplan.batch.stages import get_stage
    from netplan.io.scenario_io import build_scenario

    stage = get_stage(batch.stage)
    options = stage.parse_options(batch.definition.options)
    variants = batch.variants()[:limit]
    start = time.perf_counter()
    for v in variants:
        scenario = build_scenario(v.scenario, batch.topology)
        stage.function(batch.topology, scenario, v.seed, options)
    return time.perf_counter() - start, len(variants)


def timed_run(batch, executor, store: bool = True) -> float:
    from netplan.batch import run

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run(batch, executor=executor, output_dir=Path(tmp) / "out" if store else None)
        seconds = time.perf_counter() - start
    if result.failed:
        raise SystemExit(f"benchmark batch failed: {list(result.failed.items())[:3]}")
    return seconds


def part_a(n: int, dask: bool, repeats: int) -> list[dict]:
    """Best of ``repeats`` rounds, the executors taking turns (the machine may be shared)."""
    from contextlib import ExitStack

    from netplan.batch import SerialExecutor

    batch = make_batch(n, "demand")
    best: dict[str, float] = {}
    workers = {
        "naive loop (reference)": 1,
        "serial, results in memory": 1,
        "serial (in-process)": 1,
        "process pool": 2,
        "dask LocalCluster": 2,
    }
    startup = None
    with ExitStack() as stack:
        pool = stack.enter_context(ProcessPoolExecutor(max_workers=2))
        pool.submit(int).result()  # start the workers outside the timing
        runners = {
            "naive loop (reference)": lambda: naive_loop(batch)[0],
            "serial, results in memory": lambda: timed_run(batch, SerialExecutor(), store=False),
            "serial (in-process)": lambda: timed_run(batch, SerialExecutor()),
            "process pool": lambda: timed_run(batch, pool),
        }
        if dask:
            from distributed import Client, LocalCluster

            start = time.perf_counter()
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
                )
            )
            client = stack.enter_context(Client(cluster))
            startup = time.perf_counter() - start
            executor = client.get_executor(pure=False)
            executor.submit(int).result()
            runners["dask LocalCluster"] = lambda: timed_run(batch, executor)
        for _ in range(repeats):
            for name, runner in runners.items():
                seconds = runner()
                best[name] = min(best.get(name, float("inf")), seconds)
    naive_s = best["naive loop (reference)"]
    rows = []
    for name, seconds in best.items():
        row = {
            "executor": name,
            "workers": workers[name],
            "wall_s": seconds,
            "per_variant_ms": 1000 * seconds / n,
            "overhead_ms": 1000 * (seconds - naive_s / workers[name]) / n,
        }
        if name == "dask LocalCluster":
            row["startup_s"] = startup
        rows.append(row)
    return rows


def part_b(n: int, naive_n: int, repeats: int) -> dict:
    """Best wall time of ``repeats`` rounds per pool size, with the CPU time it used."""
    batch = make_batch(n, "analyze")
    naive_s, counted = naive_loop(batch, naive_n)
    out = {
        "variants": n,
        "naive_per_variant_s": naive_s / counted,
        "naive_counted": counted,
        "loadavg_before": os.getloadavg()[0],
    }
    for _ in range(repeats):
        for workers in (1, 2):
            cpu0 = time.process_time()
            children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            with ProcessPoolExecutor(max_workers=workers) as pool:
                pool.submit(int).result()
                wall = timed_run(batch, pool)
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (
                time.process_time()
                - cpu0
                + children.ru_utime
                - children0.ru_utime
                + children.ru_stime
                - children0.ru_stime
            )
            if wall < out.get(f"pool{workers}_s", float("inf")):
                out[f"pool{workers}_s"] = wall
                out[f"pool{workers}_cpu_s"] = cpu
    out["loadavg_after"] = os.getloadavg()[0]
    out["speedup_1_to_2"] = out["pool1_s"] / out["pool2_s"]
    out["naive_estimate_s"] = out["naive_per_variant_s"] * n
    return out


def part_c(nodes: int, degree: float, sample_states: int) -> dict:
    """Run in a fresh process (see --part-c): the analysis core on a synthetic network."""
    import tracemalloc

    from netplan.analysis.failure_states import failure_states
    from netplan.analysis.routing import ecmp_routing
    from netplan.analysis.study import analyze
    from netplan.io.synthetic import synthetic_scenario, synthetic_topology

    topo = synthetic_topology(nodes, mean_degree=degree, n_regions=4, seed=1)
    scenario = synthetic_scenario(topo, seed=1)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    start = time.perf_counter()
    study = analyze(topo, scenario, failures="n-1")
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    states = {ps.plane: len(ps.sweep.states) for ps in study.planes}
    ods = {ps.plane: int(ps.sweep.od_src.size) for ps in study.planes}

    # Reference: each failure state routed from scratch (a sample, scaled to all states).
    ref_s = 0.0
    for ps in study.planes:
        graph = ps.graph
        all_states = failure_states(graph, "n-1")
        step = max(1, len(all_states) // sample_states)
        sample = all_states[::step][:sample_states]
        t0 = time.perf_counter()
        for state in sample:
            routing = ecmp_routing(
                graph, ps.sweep.od_src, ps.sweep.od_dst, state.links, state.nodes
            )
            loads = routing.split @ ps.demand.total_gbps.reshape(-1, ps.sweep.od_src.size).T
            loads.max(axis=1)
        ref_s += (time.perf_counter() - t0) / len(sample) * len(all_states)
    return {
        "nodes": nodes,
        "links": len(topo.links),
        "mean_degree": degree,
        "failure_states": states,
        "ods": ods,
        "analyze_s": seconds,
        "tracemalloc_peak_mb": peak / 2**20,
        "rss_peak_mb": rss_peak / 1024,
        "rss_before_mb": rss_before / 1024,
        "reference_s": ref_s,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=1000)
    parser.add_argument(
        "--naive-variants",
        type=int,
        default=100,
        help="variants the naive analyze loop is timed on",
    )
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--degree", type=float, default=4.0)
    parser.add_argument("--sample-states", type=int, default=20)
    parser.add_argument("--skip", action="append", default=[], choices=["a", "b", "c"])
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument(
        "--repeats", type=int, default=2, help="rounds of parts A and B (best kept)"
    )
    parser.add_argument("--part-c", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)

    if args.part_c:
        print(json.dumps(part_c(args.nodes, args.degree, args.sample_states)))
        return
    results: dict = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    if "a" not in args.skip:
        rows = part_a(args.variants, not args.no_dask, args.repeats)
        results["overhead"] = rows
        print(f"\nA. Executor overhead: {args.variants} variants, demand stage, default network")
        print(
            f"{'executor':26s} {'workers':>7s} {'wall s':>8s} {'ms/variant':>11s} "
            f"{'overhead ms':>12s}"
        )
        for row in rows:
            extra = f"  (cluster start-up {row['startup_s']:.1f} s)" if "startup_s" in row else ""
            print(
                f"{row['executor']:26s} {row['workers']:7d} {row['wall_s']:8.1f} "
                f"{row['per_variant_ms']:11.1f} {row['overhead_ms']:12.1f}{extra}"
            )
    if "b" not in args.skip:
        b = part_b(args.variants, args.naive_variants, args.repeats)
        results["speedup"] = b
        print(f"\nB. Speed-up: {args.variants} variants, analyze stage (n-1), default network")
        print(
            f"naive loop: {b['naive_per_variant_s'] * 1000:.0f} ms/variant "
            f"(timed on {b['naive_counted']}), {b['naive_estimate_s']:.0f} s for all"
        )
        for w in (1, 2):
            print(
                f"process pool, {w} worker{'s' if w > 1 else ' '}: {b[f'pool{w}_s']:8.1f} s wall, "
                f"{b[f'pool{w}_cpu_s']:8.1f} s CPU (parent + workers)"
            )
        print(
            f"speed-up 1 -> 2 workers: {b['speedup_1_to_2']:.2f}x; 2 workers vs naive loop: "
            f"{b['naive_estimate_s'] / b['pool2_s']:.2f}x (load average "
            f"{b['loadavg_before']:.1f} before, {b['loadavg_after']:.1f} after)"
        )
    if "c" not in args.skip:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--part-c",
                "--nodes",
                str(args.nodes),
                "--degree",
                str(args.degree),
                "--sample-states",
                str(args.sample_states),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        c = json.loads(proc.stdout.strip().splitlines()[-1])
        results["synthetic"] = c
        print(
            f"\nC. Analysis core (n-1) on a synthetic network: {c['nodes']} sites, "
            f"{c['links']} links, failure states {c['failure_states']}, ods {c['ods']}"
        )
        print(
            f"analyze: {c['analyze_s']:.1f} s; peak traced memory "
            f"{c['tracemalloc_peak_mb']:.0f} MB; peak RSS {c['rss_peak_mb']:.0f} MB "
            f"({c['rss_before_mb']:.0f} MB before)"
        )
        print(
            f"reference (every state routed from scratch, scaled from "
            f"{args.sample_states} per plane): {c['reference_s']:.1f} s -> ratio "
            f"{c['reference_s'] / c['analyze_s']:.2f}x"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
