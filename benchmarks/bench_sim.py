"""Speed of the simulator against the process-per-session reference.

Runs N sessions (default 1,000,000) through :func:`netplan.sim.engines.run_replication`
(the compiled engine: simpy's calendar for the run's events, the numba kernel for the
sessions' events) and a smaller count through :func:`netplan.sim.reference.run_reference`
(a simpy process and ``Container`` per session) on the same model and seed, scales the
reference linearly to N sessions, and prints sessions/s and the ratio. The pure-Python
engine (every event on simpy's calendar, ``engine="python"``) is timed on the reference's
session count too, to show what the kernel adds. The kernel is loaded (compiled on the
first run, read from numba's cache after) before any timing; that load is printed apart.

The default model is synthetic and seeded (built here, no files): 46 nodes — 40 districts,
two cores, a data centre, a disaster-recovery site, an Internet exit and a national
uplink — about 130 links and 1,600 traffic classes (video conferences, camera streams,
district-to-district video, file transfers, backups, web and API requests to server pools).
``bench(network, classes, pools, ...)`` takes any other model, e.g. the Chongqing one.

Usage::

    python benchmarks/bench_sim.py [--sessions 1000000] [--reference-sessions 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netplan.sim.engines import run_replication  # noqa: E402
from netplan.sim.engines.tables import compile_model  # noqa: E402
from netplan.sim.model import ServerPool, SimNetwork, TrafficClass  # noqa: E402
from netplan.sim.reference import run_reference  # noqa: E402
from netplan.sim.replication import simulate  # noqa: E402


def synthetic_model(seed: int = 2024):
    """A seeded 46-node, ~130-link network with ~1,600 classes and three server pools."""
    rng = np.random.default_rng(seed)
    n_d = 40
    links: list[tuple[str, float]] = []
    index: dict[tuple[str, str], int] = {}

    def add(a: str, b: str, mbps: float) -> None:
        index[(a, b)] = index[(b, a)] = len(links)
        links.append((f"{a}-{b}", mbps))

    districts = [f"d{i:02d}" for i in range(n_d)]
    # access circuits of mixed size, so the smaller districts see some blocking
    access = rng.choice([500.0, 1000.0, 2500.0], size=n_d)
    for d, mbps in zip(districts, access, strict=True):
        add(d, "core1", float(mbps))
        add(d, "core2", float(mbps))
    add("core1", "core2", 10000.0)
    for core in ("core1", "core2"):
        add(core, "dc", 10000.0)
        add(core, "dr", 10000.0)
        add(core, "inet", 10000.0)
        add(core, "uplink", 2500.0)
    # a regional ring between neighbouring districts (backup paths)
    for i in range(n_d - 3):
        add(districts[i], districts[i + 1], 1000.0)
    network = SimNetwork(tuple(n for n, _ in links), [c for _, c in links])

    def via_cores(a: str, b: str) -> list[list[int]]:
        return [[index[(a, core)], index[(core, b)]] for core in ("core1", "core2")]

    pools = [
        ServerPool("dc-web", servers=8, service_s=0.05),
        ServerPool("dc-api", servers=11, service_s=0.1),
        ServerPool("dr-archive", servers=2, service_s=2.0),
    ]
    classes = []
    for d in districts:
        classes += [
            TrafficClass(
                f"video:{d}",
                "stream",
                paths=via_cores(d, "dc"),
                arrival_rate_per_s=0.5,
                bandwidth_mbps=2.0,
                holding_s=60.0,
            ),
            TrafficClass(
                f"camera:{d}",
                "stream",
                paths=via_cores(d, "dc"),
                arrival_rate_per_s=0.2,
                bandwidth_mbps=4.0,
                holding_s=300.0,
            ),
            TrafficClass(
                f"files:{d}",
                "elastic",
                paths=via_cores(d, "dc"),
                arrival_rate_per_s=1.0,
                size_mbit=20.0,
            ),
            TrafficClass(
                f"backup:{d}",
                "elastic",
                paths=via_cores(d, "dr"),
                arrival_rate_per_s=0.05,
                size_mbit=400.0,
            ),
            TrafficClass(
                f"web:{d}",
                "request",
                paths=via_cores("dc", d),
                arrival_rate_per_s=3.0,
                pool=0,
                response_mbit=8.0,
            ),
            TrafficClass(
                f"api:{d}", "request", paths=via_cores("dc", d), arrival_rate_per_s=2.0, pool=1
            ),
        ]
    pairs = [(a, b) for a in range(n_d) for b in range(n_d) if a != b]
    chosen = rng.choice(len(pairs), size=1600 - len(classes), replace=False)
    for k in sorted(chosen.tolist()):
        a, b = districts[pairs[k][0]], districts[pairs[k][1]]
        classes.append(
            TrafficClass(
                f"meet:{a}->{b}",
                "stream",
                paths=via_cores(a, b),
                arrival_rate_per_s=0.1,
                bandwidth_mbps=1.0,
                holding_s=60.0,
            )
        )
    return network, classes, pools


def chongqing_model(hour: int = 10):
    """The default Chongqing network and baseline scenario through the bridge, at one hour.

    Every class's rate is held at its ``hour`` value (the busy hour by default), so the
    benchmark's horizon sees the busy-hour mix throughout.
    """
    import dataclasses

    import netplan
    from netplan.sim.build import sim_inputs

    topo = netplan.load_topology(netplan.default_topology_path())
    scen = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    network, classes, pools, _, _ = sim_inputs(topo, scen)
    busy = [
        dataclasses.replace(c, arrival_rate_per_s=float(c.arrival_rate_per_s[hour]))
        for c in classes
        if c.arrival_rate_per_s[hour] > 0
    ]
    return network, busy, pools


def bench(
    network: SimNetwork,
    classes,
    pools=(),
    *,
    sessions: int = 1_000_000,
    reference_sessions: int = 100_000,
    seed: int = 1,
    pool_routing=None,
    workers: int = 2,
) -> dict:
    """Time both simulators on one model; return and print sessions/s and the ratio.

    The simulated horizon is chosen from the model's mean arrival rate so that about
    ``sessions`` sessions arrive; the reference runs a horizon for ``reference_sessions``.
    The engine is timed in one process and then as ``workers`` independent replications
    of ``sessions / workers`` sessions each, run side by side by :func:`simulate`.
    """
    cm = compile_model(network, classes, pools, pool_routing=pool_routing)
    rate = float(cm.rate_per_s.mean(axis=1).sum())
    if rate <= 0:
        raise SystemExit("the model generates no sessions")
    horizon = sessions / rate
    ref_horizon = reference_sessions / rate
    seq = np.random.SeedSequence(seed)

    t0 = time.perf_counter()
    run_replication(cm, seq, warmup_s=0.0, duration_s=min(horizon, 1.0))
    t_load = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    fast = run_replication(cm, seq, warmup_s=0.0, duration_s=horizon)
    t_fast, c_fast = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    py = run_replication(cm, seq, warmup_s=0.0, duration_s=ref_horizon, engine="python")
    t_py, c_py = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    ref = run_reference(cm, seq, warmup_s=0.0, duration_s=ref_horizon)
    t_ref, c_ref = time.perf_counter() - t0, time.process_time() - c0

    t0 = time.perf_counter()
    par = simulate(
        network,
        classes,
        pools,
        seed=seed,
        replications=workers,
        warmup_s=0.0,
        duration_s=horizon / workers,
        pool_routing=pool_routing,
        workers=workers,
    )
    t_par = time.perf_counter() - t0

    n_fast, n_ref, n_py = fast["_arrivals"], ref["_arrivals"], py["_arrivals"]
    fast_rate, ref_rate, py_rate = n_fast / t_fast, n_ref / t_ref, n_py / t_py
    scaled_ref_s = n_fast / ref_rate
    kinds = np.bincount(cm.kind, weights=cm.rate_per_s.mean(axis=1), minlength=3) / rate
    out = {
        "links": cm.n_links,
        "classes": cm.n_classes,
        "engine_sessions": n_fast,
        "engine_s": t_fast,
        "engine_cpu_s": c_fast,
        "engine_sessions_per_s": fast_rate,
        "kernel_load_s": t_load,
        "python_engine_sessions": n_py,
        "python_engine_s": t_py,
        "python_engine_cpu_s": c_py,
        "python_engine_sessions_per_s": py_rate,
        "reference_sessions": n_ref,
        "reference_s": t_ref,
        "reference_cpu_s": c_ref,
        "reference_sessions_per_s": ref_rate,
        "reference_scaled_s": scaled_ref_s,
        "speedup": fast_rate / ref_rate,
        "speedup_cpu": (n_fast / c_fast) / (n_ref / c_ref),
        "parallel_workers": workers,
        "parallel_sessions": par.sessions,
        "parallel_s": t_par,
    }
    print(
        f"model: {cm.n_links} links, {cm.n_classes} classes, {cm.n_pools} pools; "
        f"session mix stream/elastic/request = "
        f"{kinds[0]:.0%}/{kinds[1]:.0%}/{kinds[2]:.0%}"
    )
    print(
        f"engine    : {n_fast:>9,d} sessions in {t_fast:7.2f} s wall ({c_fast:6.2f} s CPU) "
        f"= {fast_rate:>8,.0f} sessions/s (simulated {horizon:,.0f} s)"
    )
    print(
        f"python    : {n_py:>9,d} sessions in {t_py:7.2f} s wall ({c_py:6.2f} s CPU) "
        f"= {py_rate:>8,.0f} sessions/s (every event on simpy's calendar, in Python)"
    )
    print(f"kernel    : loaded in {t_load:.2f} s before timing (compiled once, then cached)")
    print(
        f"reference : {n_ref:>9,d} sessions in {t_ref:7.2f} s wall ({c_ref:6.2f} s CPU) "
        f"= {ref_rate:>8,.0f} sessions/s"
    )
    print(
        f"            the reference ran fewer sessions; scaled linearly to {n_fast:,d} "
        f"sessions it would take {scaled_ref_s:.1f} s"
    )
    print(
        f"engine x{workers} : {par.sessions:>9,d} sessions in {t_par:7.2f} s wall "
        f"({workers} replications side by side) = {par.sessions / t_par:>8,.0f} sessions/s"
    )
    print(
        f"speed-up  : {out['speedup']:.1f}x wall, {out['speedup_cpu']:.1f}x CPU (one process each)"
    )
    print(
        f"blocking  : engine {np.nansum(fast['blocked']) / n_fast:.6f}, "
        f"reference {np.nansum(ref['blocked']) / n_ref:.6f} (different horizons, same seed)"
    )
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--reference-sessions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workload",
        choices=["mixed", "streams", "both"],
        default="both",
        help="mixed: every class; streams: only the stream classes (a pure loss network)",
    )
    parser.add_argument(
        "--model",
        choices=["chongqing", "synthetic"],
        default="chongqing",
        help="chongqing: default network + baseline scenario at the busy hour (10:00)",
    )
    args = parser.parse_args(argv)
    network, classes, pools = chongqing_model() if args.model == "chongqing" else (
        synthetic_model()
    )
    workloads = ["mixed", "streams"] if args.workload == "both" else [args.workload]
    for name in workloads:
        chosen = classes if name == "mixed" else [c for c in classes if c.kind == "stream"]
        print(f"--- workload: {name}")
        out = bench(
            network,
            chosen,
            pools,
            sessions=args.sessions,
            reference_sessions=args.reference_sessions,
            seed=args.seed,
        )
        fast_enough = out["speedup"] >= 5.0
        for label, secs in (
            ("one process", out["engine_s"]),
            (f"{out['parallel_workers']} processes", out["parallel_s"]),
        ):
            verdict = "met" if secs < 7.0 and fast_enough else "NOT met"
            print(f"target < 7 s and >= 5x the reference, {label}: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
