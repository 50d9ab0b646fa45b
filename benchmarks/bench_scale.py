"""The n-1 analysis from 200 to 5,000 sites: time and peak memory, against the array version.

Each size is a :func:`netplan.io.synthetic.synthetic_topology` network (mean degree 4, four
regions, seed 1) with its :func:`~netplan.io.synthetic.synthetic_scenario` busy day, analysed
with ``netplan.analyze(..., failures="n-1")`` — both planes, every single-link state — in a
fresh process, so peak RSS is that size's own. Two ways, in the same run:

- ``compiled``: what netplan does — the no-failure routes once, then for every state only
  the od pairs it touches, their distances repaired incrementally and their DAGs walked by
  the numba kernel (:mod:`netplan.analysis.ecmp_kernel`);
- ``array``: the array version (``array_routing()``): a fresh Dijkstra over the whole
  network for every touched (state, destination) pair and dense per-arc masks; this is what
  netplan did before. Above ``--array-max`` sites it is timed on a sample of the states and
  scaled to all of them (labelled as an estimate).

Both analyses are compared, every array of every sweep, to 1e-9. Processor time is
reported as well as wall time, since the machine may be shared. ``--dask N`` also sweeps
the largest size on a Dask LocalCluster of N worker processes and reports each worker's
peak RSS.

Usage::

    python benchmarks/bench_scale.py [--sizes 200,500,1000,2000,5000] [--array-max 1000]
        [--repeats 1] [--dask 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _model(nodes: int):
    from netplan.io.synthetic import synthetic_scenario, synthetic_topology

    topo = synthetic_topology(nodes, mean_degree=4.0, n_regions=4, seed=1)
    return topo, synthetic_scenario(topo, seed=1)


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def one_size(nodes: int, mode: str, sample_states: int) -> dict:
    """Run in a fresh process: one way of analysing one size."""
    import numpy as np

    import netplan
    from netplan.analysis.shortest_paths import array_routing

    topo, scenario = _model(nodes)
    if mode == "compiled":
        study, wall, cpu = _timed(lambda: netplan.analyze(topo, scenario, failures="n-1"))
        peak = _rss_mb()  # before anything else is built for the comparison
        np.savez(_reference(nodes), **_arrays(study))
        return {"wall_s": wall, "cpu_s": cpu, "states": _states(study), "ods": _ods(study),
                "peak_rss_mb": peak, "held_mb": _held_mb(study), "dense_mb": _dense_mb(study)}
    if mode == "array":
        with array_routing():
            study, wall, cpu = _timed(lambda: netplan.analyze(topo, scenario, failures="n-1"))
        peak = _rss_mb()
        return {"wall_s": wall, "cpu_s": cpu, "max_rel_diff": _diff_to_reference(nodes, study),
                "peak_rss_mb": peak}
    return _array_sample(topo, scenario, sample_states)


def _array_sample(topo, scenario, sample_states: int) -> dict:
    """The array version on a sample of each plane's states, scaled to all of them."""
    from netplan.analysis.failures import failure_states, sweep_failures
    from netplan.analysis.shortest_paths import array_routing
    from netplan.demand import build_demand

    demand = build_demand(topo, scenario)
    wall = cpu = 0.0
    for plane, pd in demand.planes.items():
        graph = topo.plane_graph(plane)
        states = failure_states(graph, "n-1")
        step = max(1, len(states) // sample_states)
        sample = states[::step][:sample_states]
        samples = pd.total_gbps.reshape(-1, pd.od_src.size)
        with array_routing():
            _, w, c = _timed(lambda g=graph, p=pd, s=samples, st=sample: sweep_failures(
                g, p.od_src, p.od_dst, s, st))
        wall += w * len(states) / len(sample)
        cpu += c * len(states) / len(sample)
    return {"wall_s": wall, "cpu_s": cpu, "estimate": True, "peak_rss_mb": _rss_mb()}


def dask_size(nodes: int, workers: int) -> dict:
    """Run in a fresh process: the analysis with states spread over a LocalCluster."""
    import os

    from distributed import Client, LocalCluster

    import netplan
    from netplan.analysis.distributed import spread_states

    topo, scenario = _model(nodes)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, memory_limit=0) as cluster, \
            Client(cluster) as client:
        client.run(lambda: __import__("netplan.analysis.ecmp_kernel"))
        with spread_states(client.get_executor(pure=False), parts=3 * workers) as parts:
            study, wall, cpu = _timed(lambda: netplan.analyze(topo, scenario, failures="n-1"))
        worker_rss = client.run(_rss_mb)
    peak = _rss_mb()
    out = {"wall_s": wall, "client_cpu_s": cpu, "client_peak_rss_mb": peak,
           "worker_peak_rss_mb": sorted(worker_rss.values()),
           "parts": len(parts), "worker_cpu_s": sum(p["cpu_s"] for p in parts),
           "part_peak_rss_mb": max(p["peak_rss_mb"] for p in parts),
           "states": _states(study), "ods": _ods(study), "held_mb": _held_mb(study),
           "dense_mb": _dense_mb(study)}
    if os.path.exists(_reference(nodes)):
        out["max_rel_diff"] = _diff_to_reference(nodes, study)
    # routing every od of a state afresh takes minutes at 5,000 sites: fewer states there
    out["scratch_rel_diff"] = _diff_to_scratch(study, 6 if nodes <= 2000 else 2)
    return out


def _diff_to_scratch(study, per_plane: int) -> float:
    """Largest relative difference of a few states' rows to routing them from scratch
    (the array version, a fresh search of every od) — an independent check."""
    import numpy as np

    from netplan.analysis.records import link_loads
    from netplan.analysis.routing import ecmp_routing
    from netplan.analysis.shortest_paths import array_routing

    worst = 0.0
    for ps in study.planes:
        sw = ps.sweep
        samples = ps.demand.total_gbps.reshape(-1, sw.od_src.size)
        for si in np.linspace(0, len(sw.states) - 1, per_plane).astype(int):
            state = sw.states[si]
            with array_routing():
                routing = ecmp_routing(ps.graph, sw.od_src, sw.od_dst, state.links, state.nodes)
            load = sw.state_rows(si, si + 1)[0][0]
            reach, lat = sw.od_rows(si, si + 1)
            worst = max(worst, _max_rel(load, link_loads(routing, samples).max(axis=0)),
                        _max_rel(lat[0], routing.latency_ms),
                        0.0 if (reach[0] == routing.reachable).all() else float("inf"))
    return worst


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _states(study) -> int:
    return sum(len(ps.sweep.states) for ps in study.planes)


def _ods(study) -> int:
    return sum(int(ps.sweep.od_src.size) for ps in study.planes)


_REDUCED = ("arc_worst_load_gbps", "arc_cause_state", "arc_cause_sample", "link_worst_load_gbps",
            "link_worst_utilisation", "link_cause_state", "link_cause_sample",
            "arc_normal_load_gbps", "arc_failure_load_gbps", "link_normal_utilisation",
            "link_failure_utilisation", "base_load_gbps", "peak_demand_gbps")


def _reference(nodes: int) -> str:
    return f"/tmp/bench_scale_{nodes}_compiled.npz"


def _arrays(study) -> dict:
    """Every result of every sweep, compactly: the reductions and the per-state changes."""
    out = {}
    for ps in study.planes:
        sw = ps.sweep
        out |= {f"{ps.plane}/{f}": getattr(sw, f) for f in _REDUCED}
        for side in ("arc_changes", "od_changes"):
            ch = getattr(sw, side)
            out[f"{ps.plane}/{side}/ptr"] = ch.ptr
            out[f"{ps.plane}/{side}/cols"] = ch.cols
            for q, (base, values) in enumerate(zip(ch.base, ch.values, strict=True)):
                out[f"{ps.plane}/{side}/base{q}"] = base
                out[f"{ps.plane}/{side}/values{q}"] = values
    return out


def _diff_to_reference(nodes: int, study) -> float:
    """Largest relative difference of any result to the compiled run's, state rows included
    (rebuilt a block of states at a time)."""
    import numpy as np

    from netplan.analysis.state_changes import StateChanges

    ref = np.load(_reference(nodes))
    worst = max(_max_rel(ref[f"{ps.plane}/{f}"], getattr(ps.sweep, f))
                for ps in study.planes for f in _REDUCED)
    for ps in study.planes:
        for side in ("arc_changes", "od_changes"):
            mine = getattr(ps.sweep, side)
            key = f"{ps.plane}/{side}"
            theirs = StateChanges(
                tuple(ref[f"{key}/base{q}"] for q in range(len(mine.base))),
                ref[f"{key}/ptr"], ref[f"{key}/cols"],
                tuple(ref[f"{key}/values{q}"] for q in range(len(mine.base))))
            if theirs.n_states != mine.n_states:
                return float("inf")
            for lo, hi in ps.sweep.state_blocks(mine.n_cols):
                for a, b in zip(theirs.rows(lo, hi), mine.rows(lo, hi), strict=True):
                    worst = max(worst, _max_rel(a, b))
    return worst


def _held_mb(study) -> float:
    """Memory the sweeps' per-state results hold (changes from the no-failure routes)."""
    return sum(ps.sweep.arc_changes.nbytes + ps.sweep.od_changes.nbytes
               for ps in study.planes) / 2**20


def _dense_mb(study) -> float:
    """What the same results take as dense (states x arcs, links, ods) arrays: worst load
    and sample per arc, utilisation per link, reachability and latency per od."""
    total = 0
    for ps in study.planes:
        g, n = ps.graph, len(ps.sweep.states)
        total += n * (16 * g.n_arcs + 8 * g.n_links + 9 * int(ps.sweep.od_src.size))
    return total / 2**20


def _max_rel(a, b) -> float:
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return float("inf")
    fin = np.isfinite(a)
    if not fin.any():
        return 0.0
    return float((np.abs(a[fin] - b[fin]) / np.maximum(np.abs(b[fin]), 1e-12)).max())


def _child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="200,500,1000,2000,5000")
    ap.add_argument("--array-max", type=int, default=1000,
                    help="largest size the array version runs in full (sampled above)")
    ap.add_argument("--sample-states", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=1, help="best of N for the compiled runs")
    ap.add_argument("--dask", type=int, default=0, metavar="WORKERS",
                    help="also sweep the largest size on a LocalCluster of WORKERS processes")
    ap.add_argument("--dask-only", action="store_true",
                    help="at the largest size, skip the one-process run (the Dask run is then "
                         "checked against a few states routed from scratch)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        nodes, mode, extra = int(args.child[0]), args.child[1], int(args.child[2])
        out = dask_size(nodes, extra) if mode == "dask" else one_size(nodes, mode, extra)
        print(json.dumps(out))
        return
    import os

    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| sites | states | ods | compiled wall (cpu) | peak RSS | per-state results held "
          "(dense) | array wall (cpu) | array peak RSS | cpu ratio | max rel. diff |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        if args.dask_only and n == sizes[-1]:
            old = _child(str(n), "sample", str(args.sample_states))
            print(f"| {n:,} | — | — | (Dask only, below) | — | — | {old['wall_s']:.0f} s "
                  f"({old['cpu_s']:.0f} s) (estimate) | {old['peak_rss_mb']:.0f} MB | — | — |",
                  flush=True)
            continue
        runs = [_child(str(n), "compiled", "0") for _ in range(args.repeats)]
        new = min(runs, key=lambda r: r["cpu_s"])
        if n <= args.array_max:
            old = _child(str(n), "array", "0")
            diff = f"{old['max_rel_diff']:.1e}"
        else:
            old = _child(str(n), "sample", str(args.sample_states))
            diff = "—"
        est = " (estimate)" if old.get("estimate") else ""
        print(f"| {n:,} | {new['states']:,} | {new['ods']:,} | {new['wall_s']:.1f} s "
              f"({new['cpu_s']:.1f} s) | {new['peak_rss_mb']:.0f} MB | {new['held_mb']:.0f} MB "
              f"({new['dense_mb']:,.0f} MB) | {old['wall_s']:.1f} s "
              f"({old['cpu_s']:.1f} s){est} | {old['peak_rss_mb']:.0f} MB | "
              f"{old['cpu_s'] / new['cpu_s']:.1f}× | {diff} |", flush=True)
    if args.dask:
        d = _child(str(sizes[-1]), "dask", str(args.dask))
        versus = (f"max rel. diff to one process {d['max_rel_diff']:.1e}; "
                  if "max_rel_diff" in d else "")
        print(f"\nDask LocalCluster, {args.dask} workers, {sizes[-1]:,} sites "
              f"({d['states']:,} states, {d['ods']:,} ods): {d['wall_s']:.1f} s wall, "
              f"{d['client_cpu_s']:.1f} s client cpu, {d['worker_cpu_s']:.1f} s worker cpu over "
              f"{d['parts']} parts; client peak RSS {d['client_peak_rss_mb']:.0f} MB, "
              f"worker peak RSS {', '.join(f'{m:.0f}' for m in d['worker_peak_rss_mb'])} MB; "
              f"per-state results held {d['held_mb']:.0f} MB (dense {d['dense_mb']:,.0f} MB); "
              f"{versus}max rel. diff to states routed from scratch "
              f"{d['scratch_rel_diff']:.1e}", flush=True)


if __name__ == "__main__":
    main()
