"""Speed and memory of the failure sweep against a straightforward networkx reference.

For every single-link failure and N demand scenarios (default 1,000: seeded random global
scalings and per-od perturbations of a base matrix) it finds the worst load of every arc
with :func:`netplan.analysis.failures.sweep_failures`, and with a reference written the obvious way:
networkx shortest paths recomputed per failure, per-hop ECMP fractions propagated in
Python, then a loop over scenarios summing each od's share onto its arcs. Both run in the
same process. The reference's scenario loop is timed on a subset of scenarios and scaled
linearly (its routing part does not depend on N and is timed in full); the agreement check
compares the two on exactly that subset. A second reference replaces the Python scenario
loop by one numpy matrix-vector product per scenario, to show how much of the gain comes
from routing once and batching, not just from leaving pure Python.

Peak memory of the sweep (tracemalloc: allocations made by the sweep, not the demand array
passed in) is measured at N and at ``--memory-scenarios`` (default 10,000).

``bench(graph, od_src, od_dst, base_demand_gbps, n_scenarios, seed)`` takes any network.

Usage::

    python benchmarks/bench_failures.py [--network geant2009|chongqing-extranet|PATH.graphml]
        [--weight latency|hops] [--scenarios 1000] [--reference-scenarios 20]
        [--memory-scenarios 10000] [--policy n-1] [--seed 0] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import tracemalloc
from pathlib import Path

import networkx as nx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netplan.analysis.failures import failure_states, sweep_failures  # noqa: E402
from netplan.io.topologyzoo import read_topology_zoo  # noqa: E402
from netplan.model.plane_graph import PlaneGraph  # noqa: E402

GEANT = ROOT / "tests" / "data" / "topologyzoo" / "Geant2009.graphml"


# ---------------------------------------------------------------------- inputs
def scenarios(base_demand_gbps: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` demand matrices: base x a global lognormal scale x per-od lognormal noise."""
    rng = np.random.default_rng(seed)
    scale = rng.lognormal(0.0, 0.25, (n, 1))
    noise = rng.lognormal(0.0, 0.3, (n, base_demand_gbps.size))
    return base_demand_gbps[None, :] * scale * noise


def gravity_demand(graph: PlaneGraph, total_gbps: float) -> tuple[np.ndarray, ...]:
    """All-pairs demand, each node weighted by the capacity attached to it."""
    mass = np.zeros(graph.n_nodes)
    np.add.at(mass, graph.arc_src, graph.arc_capacity_gbps)
    src, dst = np.nonzero(~np.eye(graph.n_nodes, dtype=bool))
    d = mass[src] * mass[dst]
    return src, dst, d * (total_gbps / d.sum())


# ---------------------------------------------------------------------- the reference
def reference_fractions(graph: PlaneGraph, od_src, od_dst, failed_links) -> list[dict]:
    """Per od, {arc: fraction} of per-hop ECMP, recomputed with networkx for one failure."""
    dead = set(failed_links)
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    for a in range(graph.n_arcs):
        if int(graph.arc_link[a]) not in dead:
            g.add_edge(
                int(graph.arc_src[a]), int(graph.arc_dst[a]), key=a, w=float(graph.arc_weight[a])
            )
    rev = g.reverse(copy=False)
    by_dest: dict[int, tuple[dict, list]] = {}
    out = []
    for s, t in zip(od_src.tolist(), od_dst.tolist(), strict=True):
        if t not in by_dest:
            dist = nx.single_source_dijkstra_path_length(rev, t, weight="w")
            dag: dict[int, list[tuple[int, int]]] = {}
            for u, v, a, w in g.edges(keys=True, data="w"):
                if u in dist and v in dist and math.isclose(dist[u], w + dist[v], rel_tol=1e-9):
                    dag.setdefault(u, []).append((v, a))
            order = sorted(dist, key=dist.get, reverse=True)
            by_dest[t] = (dist, order, dag)
        dist, order, dag = by_dest[t]
        frac: dict[int, float] = {}
        if s in dist:
            flow = {s: 1.0}
            for u in order:
                f = flow.get(u)
                if not f or u not in dag:
                    continue
                share = f / len(dag[u])
                for v, a in dag[u]:
                    frac[a] = frac.get(a, 0.0) + share
                    flow[v] = flow.get(v, 0.0) + share
        out.append(frac)
    return out


def reference_sweep(graph, od_src, od_dst, demand, states, *, numpy_loop=False):
    """Worst load per (state, arc); returns (worst, routing seconds, scenario-loop seconds)."""
    worst = np.zeros((len(states), graph.n_arcs))
    t_route = t_loop = 0.0
    for i, state in enumerate(states):
        t0 = time.perf_counter()
        routes = reference_fractions(graph, od_src, od_dst, state.links)
        if numpy_loop:
            dense = np.zeros((graph.n_arcs, od_src.size))
            for k, frac in enumerate(routes):
                for a, f in frac.items():
                    dense[a, k] = f
        t1 = time.perf_counter()
        best = [0.0] * graph.n_arcs
        for row in demand:
            if numpy_loop:
                load = dense @ row
                best = np.maximum(best, load)
                continue
            load = [0.0] * graph.n_arcs
            for frac, d in zip(routes, row.tolist(), strict=True):
                for a, f in frac.items():
                    load[a] += d * f
            best = [max(x, y) for x, y in zip(best, load, strict=True)]
        worst[i] = best
        t_route += t1 - t0
        t_loop += time.perf_counter() - t1
    return worst, t_route, t_loop


# ---------------------------------------------------------------------- the benchmark
def _timed_sweep(graph, od_src, od_dst, demand, states, repeats):
    wall, cpu, result = [], [], None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        result = sweep_failures(graph, od_src, od_dst, demand, states)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu), result


def _peak_mb(graph, od_src, od_dst, demand, states) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    sweep_failures(graph, od_src, od_dst, demand, states)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def bench(
    graph: PlaneGraph,
    od_src,
    od_dst,
    base_demand_gbps,
    n_scenarios: int = 1000,
    seed: int = 0,
    *,
    policy: str = "n-1",
    reference_scenarios: int = 20,
    memory_scenarios: int = 10_000,
    repeats: int = 3,
    report=print,
) -> dict:
    """Time the sweep and the reference on the same inputs; return the measured numbers."""
    od_src = np.asarray(od_src)
    od_dst = np.asarray(od_dst)
    base = np.asarray(base_demand_gbps, dtype=np.float64)
    states = failure_states(graph, policy)
    demand = scenarios(base, n_scenarios, seed)
    k = min(reference_scenarios, n_scenarios)
    report(
        f"network {graph.name}: {graph.n_nodes} nodes, {graph.n_links} links, "
        f"{od_src.size} ods; {len(states)} states ({policy}, incl. no failure) x "
        f"{n_scenarios} scenarios, seed {seed}"
    )

    wall, cpu, sweep = _timed_sweep(graph, od_src, od_dst, demand, states, repeats)
    report(f"netplan sweep:       {wall:8.3f} s wall, {cpu:.3f} s CPU (best of {repeats})")

    # agreement on exactly the reference subset
    sub = demand[:k]
    mine = sweep_failures(graph, od_src, od_dst, sub, states).state_arc_load_gbps
    ref, t_route, t_loop = reference_sweep(graph, od_src, od_dst, sub, states)
    diff = float(np.abs(mine - ref).max())
    rel = diff / max(float(ref.max()), 1e-300)
    ref_total = t_route + t_loop * n_scenarios / k
    report(
        f"networkx reference:  routing {t_route:.2f} s (all states) + scenario loop "
        f"{t_loop:.2f} s for {k} scenarios -> {ref_total:.1f} s extrapolated linearly to "
        f"{n_scenarios}"
    )
    report(
        f"agreement on those {k} scenarios: max |diff| = {diff:.3g} Gbit/s "
        f"(relative {rel:.2g}) over {mine.size} (state, arc) worst loads"
    )

    ref_np, t_route_np, t_loop_np = reference_sweep(
        graph, od_src, od_dst, sub, states, numpy_loop=True
    )
    diff_np = float(np.abs(mine - ref_np).max())
    ref_np_total = t_route_np + t_loop_np * n_scenarios / k
    report(
        f"networkx + numpy matvec per scenario: {ref_np_total:.1f} s extrapolated "
        f"(max |diff| {diff_np:.3g})"
    )
    report(
        f"speed-up: {ref_total / wall:.0f}x vs the reference, "
        f"{ref_np_total / wall:.0f}x vs the numpy-loop reference (wall clock)"
    )

    input_mb = demand.nbytes / 1e6
    peak = _peak_mb(graph, od_src, od_dst, demand, states)
    out = {
        "n_states": len(states),
        "n_scenarios": n_scenarios,
        "sweep_wall_s": wall,
        "sweep_cpu_s": cpu,
        "reference_s": ref_total,
        "reference_numpy_s": ref_np_total,
        "ratio": ref_total / wall,
        "ratio_numpy": ref_np_total / wall,
        "max_abs_diff_gbps": max(diff, diff_np),
        "peak_mb": {n_scenarios: peak},
    }
    report(
        f"peak memory of the sweep at {n_scenarios} scenarios: {peak:.1f} MB "
        f"(demand passed in: {input_mb:.1f} MB, not counted)"
    )
    if memory_scenarios and memory_scenarios != n_scenarios:
        big = scenarios(base, memory_scenarios, seed + 1)
        w0 = time.perf_counter()
        sweep_failures(graph, od_src, od_dst, big, states)
        big_wall = time.perf_counter() - w0
        big_peak = _peak_mb(graph, od_src, od_dst, big, states)
        out["peak_mb"][memory_scenarios] = big_peak
        out["sweep_wall_s_memory_run"] = big_wall
        base_out = memory_scenarios * graph.n_arcs * 8 / 1e6
        report(
            f"peak memory at {memory_scenarios} scenarios: {big_peak:.1f} MB "
            f"(of which {base_out:.1f} MB is the no-failure load output; demand passed in: "
            f"{big.nbytes / 1e6:.1f} MB); sweep {big_wall:.2f} s wall"
        )
    return out


def _network(name: str, weight: str) -> PlaneGraph:
    if name == "geant2009":
        return read_topology_zoo(GEANT, weight=weight)
    if name.startswith("chongqing-"):
        import netplan

        topo = netplan.load_topology(netplan.default_topology_path())
        return topo.plane_graph(name.split("-", 1)[1])
    return read_topology_zoo(name, weight=weight)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--network", default="geant2009")
    p.add_argument("--weight", default="latency", choices=["latency", "hops", "inverse_capacity"])
    p.add_argument("--scenarios", type=int, default=1000)
    p.add_argument("--reference-scenarios", type=int, default=20)
    p.add_argument("--memory-scenarios", type=int, default=10_000)
    p.add_argument("--policy", default="n-1")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=3, help="timed sweep runs (best is kept)")
    args = p.parse_args(argv)
    graph = _network(args.network, args.weight)
    src, dst, base = gravity_demand(graph, total_gbps=1.0)
    # scale the base matrix so the busiest arc runs at 40 % without failures
    probe = sweep_failures(graph, src, dst, base).arc_worst_utilisation.max()
    base *= 0.4 / probe
    if args.network == "geant2009":
        print(
            f"Geant2009 with weight={args.weight}; all-pairs gravity demand "
            f"{base.sum():.1f} Gbit/s in total"
        )
    bench(
        graph,
        src,
        dst,
        base,
        args.scenarios,
        args.seed,
        policy=args.policy,
        reference_scenarios=args.reference_scenarios,
        memory_scenarios=args.memory_scenarios,
        repeats=args.repeats,
    )


if __name__ == "__main__":
    main()
