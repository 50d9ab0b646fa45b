"""Benchmark: demand deduction, its speed and its accuracy against matrices nobody here chose.

Part A — speed. 24 hourly slots of the default network (both planes, every ordered pair of
nodes an od): the counters are the modelled baseline loads, the prior the gravity estimate
from the modelled node totals. The batched minimum-divergence fit (all slots' Newton steps
together) against the naive reference in the same run: the same problem solved slot by slot
with scipy's trust-region Newton (``fit_per_slot``), best of ``--repeats``; with the largest
difference between their answers. Then the whole ``deduce`` call (routing matrix, prior,
fit, determinacy) and the least-squares tomogravity fit (``lsq_linear``, slot by slot) on a
few slots, scaled to 24.

Part B — accuracy. For each truth, link loads are computed under ECMP, deduced back, and the
relative L2 error of the deduced matrix against the truth is set beside that of the gravity
estimate from the true node totals (and, without node totals, beside the gravity prior the
deduction builds from the counters alone), with the link-load fit, counter noise (1-5 %,
mean over ``--seeds`` draws), missing counters and the time. Truths: Repetita's Abilene
matrices (synthetic), a day of hourly Abilene matrices measured on 2004-04-03, and the
SNDlib abilene and geant demand matrices (directed, as listed in the native files; routed by
hop count, SNDlib giving no IGP weights).

Run from the repository root (the data are in ../shared/benchmarks)::

    PYTHONPATH=. python benchmarks/bench_deduce.py
    PYTHONPATH=. python benchmarks/bench_deduce.py --part a --repeats 5
"""

from __future__ import annotations

import argparse
import time
import xml.etree.ElementTree as ET
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "benchmarks"
SNDLIB_NS = "{http://sndlib.zib.de/network}"


def _best(func, repeats: int):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


# ---------------------------------------------------------------- part A
def part_a(repeats: int) -> None:
    import netplan
    from netplan.measured.counters import LinkCounters, NodeTotals
    from netplan.measured.deduce import deduce, gravity, modelled_prior
    from netplan.measured.routing_matrix import MeasuredNetwork, routing_matrix
    from netplan.measured.solvers import fit_least_squares, fit_min_divergence, fit_per_slot

    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    demand = netplan.build_demand(topo, scenario)
    print("## Part A: 24 slots of the default network")
    print("| plane | ods | arcs | batched fit | per-slot reference | ratio | max rel. diff |"
          " least squares (24 slots, scaled) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    loads, nodes = {}, {}
    for plane in ("extranet", "intranet"):
        routing = routing_matrix(topo.plane_graph(plane))
        truth = modelled_prior(routing, demand.planes[plane], tuple(range(24)))
        y = (routing.matrix @ truth.T).T
        seen = np.ones_like(y, bool)
        originates, terminates = routing.node_rows()
        into, out = (originates @ truth.T).T, (terminates @ truth.T).T
        prior = gravity(into, out, routing.od_src, routing.od_dst)
        prior = np.maximum(prior, 1e-3 * prior.mean())
        problem = (routing.matrix, y, seen, prior)
        t_batch, fast = _best(partial(fit_min_divergence, *problem), repeats)
        t_loop, slow = _best(partial(fit_per_slot, *problem), 1)
        t_lsq, _ = _best(partial(fit_least_squares, routing.matrix, y[:2], seen[:2], prior[:2]), 1)
        diff = float(np.max(np.abs(fast.gbps - slow.gbps)) / np.max(slow.gbps))
        print(f"| {plane} | {routing.n_od} | {routing.graph.n_arcs} | {t_batch:.3f} s | "
              f"{t_loop:.2f} s | {t_loop / t_batch:.0f}× | {diff:.1e} | ≈ {t_lsq * 12:.0f} s |")
        slot, arc = np.nonzero(seen)
        loads[plane] = (slot, arc, y[slot, arc])
        s2, n2 = np.nonzero(np.ones_like(into, bool))
        nodes[plane] = (s2, n2, into[s2, n2], out[s2, n2])
    network = MeasuredNetwork(topo.name, {p: topo.plane_graph(p) for p in loads}, "", "netplan",
                              topo)
    counters = LinkCounters("bench", tuple(str(h) for h in range(24)), tuple(range(24)), loads)
    totals = NodeTotals("bench", nodes)
    t_all, _ = _best(lambda: deduce(network, counters), repeats)
    t_nodes, _ = _best(lambda: deduce(network, counters, totals), repeats)
    t_model, _ = _best(lambda: deduce(network, counters, demand=demand.planes), repeats)
    print(f"\nwhole deduce, both planes, 24 slots: {t_all:.2f} s (gravity from the counters, two "
          f"fits), {t_nodes:.2f} s (node totals), {t_model:.2f} s (scenario prior)")


# ---------------------------------------------------------------- part B
def _case(net, truth, *, totals: bool, noise: float = 0.0, drop: float = 0.0, seed: int = 0):
    """Deduce ``truth`` [slot, od] back from its loads; errors, link fit and time."""
    from netplan.measured.counters import LinkCounters, NodeTotals
    from netplan.measured.deduce import deduce, gravity, relative_l2
    from netplan.measured.routing_matrix import routing_matrix

    plane, graph = next(iter(net.planes.items()))
    routing = routing_matrix(graph)
    rng = np.random.default_rng(seed)
    exact = (routing.matrix @ truth.T).T
    y = np.maximum(exact * (1 + noise * rng.standard_normal(exact.shape)), 0.0)
    seen = rng.random(y.shape) >= drop
    slot, arc = np.nonzero(seen)
    n = truth.shape[0]
    counters = LinkCounters("c", tuple(map(str, range(n))), (None,) * n,
                            {plane: (slot, arc, y[slot, arc])})
    originates, terminates = routing.node_rows()
    into, out = (originates @ truth.T).T, (terminates @ truth.T).T
    node_totals = None
    if totals:
        s2, n2 = np.nonzero(np.ones_like(into, bool))
        node_totals = NodeTotals("n", {plane: (s2, n2, into[s2, n2], out[s2, n2])})
    start = time.perf_counter()
    pd = deduce(net, counters, node_totals, rel_error=max(noise, 0.001)).planes[plane]
    seconds = time.perf_counter() - start
    fitted = pd.fitted_gbps[seen]
    return {"deduced": relative_l2(pd.gbps, truth),
            "gravity": relative_l2(gravity(into, out, routing.od_src, routing.od_dst), truth),
            "prior": relative_l2(pd.prior, truth),
            "fit_exact": relative_l2(fitted, exact[seen]), "fit_measured": relative_l2(
                fitted, y[seen]), "seconds": seconds, "rank": pd.rank, "ods": routing.n_od}


def _truth_from_pairs(routing, pairs) -> np.ndarray:
    column = {od: j for j, od in enumerate(routing.od_labels())}
    truth = np.zeros(routing.n_od)
    for src, dst, gbps in pairs:
        if src != dst:
            truth[column[(src, dst)]] += gbps
    return truth


def truths():
    """(name, network, truth [slot, od]) of every case."""
    from netplan.io.repetita import read_repetita_demands
    from netplan.io.sndlib.network import read_network
    from netplan.measured.routing_matrix import load_network, routing_matrix

    net = load_network(SHARED / "repetita" / "Abilene.graph")
    graph = net.planes["Abilene"]
    routing = routing_matrix(graph)
    for name in ("Abilene.0000.demands", "Abilene.0001.demands"):
        src, dst, bw = read_repetita_demands(SHARED / "repetita" / name, graph)
        ids = graph.node_ids
        pairs = [(ids[s], ids[d], v) for s, d, v in zip(src, dst, bw, strict=True)]
        yield f"Repetita {name}", net, _truth_from_pairs(routing, pairs)[None]
    net = load_network(SHARED / "sndlib" / "abilene" / "abilene.txt")
    routing = routing_matrix(net.planes["abilene"])
    hours = []
    for path in sorted((SHARED / "sndlib-dynamic" / "abilene-2004-04-03").glob("*.xml")):
        items = ET.parse(path).getroot().iter(SNDLIB_NS + "demand")
        hours.append(_truth_from_pairs(routing, [
            (i.find(SNDLIB_NS + "source").text, i.find(SNDLIB_NS + "target").text,
             float(i.find(SNDLIB_NS + "demandValue").text) / 1e3) for i in items]))
    yield "Abilene 2004-04-03, 24 hours (measured)", net, np.array(hours)
    for name in ("abilene", "geant"):
        path = SHARED / "sndlib" / name / f"{name}.txt"
        net = load_network(path)
        routing = routing_matrix(next(iter(net.planes.values())))
        pairs = [(d.source, d.target, d.volume / 1e3) for d in read_network(path).demands]
        yield f"SNDlib {name} (peak, measured)", net, _truth_from_pairs(routing, pairs)[None]


def part_b(seeds: int) -> None:
    print("\n## Part B: relative L2 error of the deduced matrix against the truth")
    print("| truth | node totals | ods | rank | deduced | gravity (true totals) | gravity prior "
          "from the counters | link fit | 1 % noise | 2 % | 5 % | 10 % missing | 20 % missing "
          "| time |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, net, truth in truths():
        for totals in (True, False):
            base = _case(net, truth, totals=totals)
            noisy = [np.mean([_case(net, truth, totals=totals, noise=q, seed=s)["deduced"]
                              for s in range(seeds)]) for q in (0.01, 0.02, 0.05)]
            missing = [np.mean([_case(net, truth, totals=totals, drop=q, seed=s)["deduced"]
                                for s in range(seeds)]) for q in (0.1, 0.2)]
            prior = "—" if totals else f"{base['prior']:.3f}"
            print(f"| {name} | {'yes' if totals else 'no'} | {base['ods']} | {base['rank']} | "
                  f"{base['deduced']:.3f} | {base['gravity']:.3f} | {prior} | "
                  f"{base['fit_exact']:.1e} | " + " | ".join(f"{v:.3f}" for v in noisy + missing)
                  + f" | {base['seconds']:.2f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["a", "b", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    if args.part in ("a", "all"):
        part_a(args.repeats)
    if args.part in ("b", "all"):
        part_b(args.seeds)


if __name__ == "__main__":
    main()
