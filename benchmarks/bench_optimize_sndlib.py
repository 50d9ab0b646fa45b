"""Benchmark: SNDlib design optima, survivable designs, and tier sizing.

Prints, per instance, the wall-clock and processor time, status, gap, cost and bound of the
design MILP (processor time does not grow when other programs share the cores), and compares
``-N-N`` costs with the published optima. Survivable (``-N-U``) designs are verified by the
independent routability LP in every single-link failure state. Speed is put against a naive
reference measured in the same run:

* design MILP: the default (source-aggregated arc flow, rounded cut-set inequalities, module
  dominance bounds, extra HiGHS heuristics) against a per-demand arc-flow model with none of
  these (``formulation="disaggregated"``, no cuts, HiGHS's default heuristic effort);
* tier sizing: the vectorised dynamic programme against enumerating every upgrade sequence.

Run from the repository root::

    .venv/bin/python benchmarks/bench_optimize_sndlib.py            # everything (~10 min)
    .venv/bin/python benchmarks/bench_optimize_sndlib.py --quick    # polska and abilene only
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netplan.io.sndlib import read_model, read_network  # noqa: E402
from netplan.planning.check import check_routable  # noqa: E402
from netplan.planning.design.milp import solve_design  # noqa: E402
from netplan.planning.design.sndlib import design_problem, solve_sndlib  # noqa: E402
from netplan.planning.sizing import TierCatalogue, size_tiers  # noqa: E402

DATA = ROOT / "tests" / "data" / "sndlib"
REFERENCE = {"france": 20200.0, "polska": 23619.0, "pdh": 10903843.0, "atlanta": 86492550.3}


def files(name: str, model: str) -> tuple[Path, Path]:
    return DATA / name / f"{name}.txt", DATA / name / f"{model}.txt"


def fmt(x: float) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:,.1f}".rstrip("0").rstrip(".")


def bench_nn(names, time_limit_s: float) -> list[str]:
    rows = [
        "| instance | model | status | wall_s | cpu_s | gap | cost | bound | reference | matches |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        r = solve_sndlib(*files(name, "U-U-M-N-C-A-N-N"), time_limit_s=time_limit_s, gap=0.0)
        ref = REFERENCE.get(name)
        match = "—" if ref is None else ("yes" if abs(r.total_cost - ref) <= 0.05 else "NO")
        rows.append(
            f"| {name} | U-U-M-N-C-A-N-N | {r.status} | {r.solve_time_s:.1f} | "
            f"{r.design.solve_cpu_s:.1f} | {r.gap:.2e} | {fmt(r.total_cost)} | {fmt(r.bound)} | "
            f"{fmt(ref) if ref else '—'} | {match} |"
        )
        print(rows[-1], flush=True)
    return rows


def bench_nu(names, time_limit_s: float) -> list[str]:
    rows = [
        "| instance | model | status | wall_s | cpu_s | gap | cost | bound | -N-N optimum | "
        "all failure states routable (LP) | check_s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        net_path, model_path = files(name, "U-U-M-N-C-A-N-U")
        r = solve_sndlib(net_path, model_path, time_limit_s=time_limit_s, gap=1e-4)
        verdict, check_s = "—", float("nan")
        if r.has_design:
            p = design_problem(read_network(net_path), read_model(model_path))
            t0 = time.perf_counter()
            rep = check_routable(
                p.n_nodes,
                p.link_src,
                p.link_dst,
                r.design.capacity,
                p.demand_src,
                p.demand_dst,
                p.demand_volume,
                commodities="demand",
            )
            check_s = time.perf_counter() - t0
            verdict = (
                f"yes ({len(rep.states)} states, min λ {rep.throughput.min():.4f})"
                if rep.all_feasible
                else f"NO (worst state {rep.worst_state()})"
            )
        rows.append(
            f"| {name} | U-U-M-N-C-A-N-U | {r.status} | {r.solve_time_s:.1f} | "
            f"{r.design.solve_cpu_s:.1f} | {r.gap:.2e} | {fmt(r.total_cost)} | {fmt(r.bound)} | "
            f"{fmt(REFERENCE[name])} | {verdict} | {check_s:.1f} |"
        )
        print(rows[-1], flush=True)
    return rows


def bench_naive(names, time_limit_s: float) -> list[str]:
    rows = [
        "| instance | default cpu_s | default status | naive cpu_s | naive status | "
        "naive gap | naive / default (cpu) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        p = design_problem(
            *(
                f(x)
                for f, x in zip(
                    (read_network, read_model), files(name, "U-U-M-N-C-A-N-N"), strict=True
                )
            )
        )
        a = solve_design(p, time_limit_s=time_limit_s, gap=0.0)
        b = solve_design(
            p,
            time_limit_s=time_limit_s,
            gap=0.0,
            formulation="disaggregated",
            cutset_cuts=False,
            heuristic_effort=0.05,
            dominance_bounds=False,
        )
        ratio = b.solve_cpu_s / a.solve_cpu_s
        bound = "≥ " if b.status != "optimal" else ""
        rows.append(
            f"| {name} | {a.solve_cpu_s:.1f} | {a.status} | {b.solve_cpu_s:.1f} | {b.status} | "
            f"{b.gap:.2e} | {bound}{ratio:.1f}× |"
        )
        print(rows[-1], flush=True)
    return rows


def _brute_force_sizing(req, cat: TierCatalogue, rate: float) -> float:
    options = [(-1, 0)] + [
        (t, n) for t in range(len(cat.name)) for n in range(1, int(cat.max_modules[t]) + 1)
    ]
    caps = {o: (0.0 if o[0] < 0 else cat.capacity_gbps[o[0]] * o[1]) for o in options}
    best = np.inf
    for seq in itertools.product(options, repeat=len(req)):
        prev, total = (-1, 0), 0.0
        for y, o in enumerate(seq):
            if caps[o] < req[y] or caps[o] < caps[prev] or (o[0] < 0 <= prev[0]):
                total = np.inf
                break
            if o[0] >= 0:
                if o[0] == prev[0]:
                    if o[1] < prev[1]:
                        total = np.inf
                        break
                    capex = (o[1] - prev[1]) * cat.capex_cny[o[0]]
                else:
                    capex = o[1] * cat.capex_cny[o[0]]
                total += (capex + o[1] * cat.opex_cny_per_year[o[0]]) / (1 + rate) ** y
            prev = o
        best = min(best, total)
    return best


def bench_sizing() -> list[str]:
    cat = TierCatalogue(
        ["1G", "2.5G", "10G", "100G"],
        capacity_gbps=[1, 2.5, 10, 100],
        capex_cny=[8e4, 1.5e5, 4e5, 2.2e6],
        opex_cny_per_year=[2e4, 3.5e4, 8e4, 3e5],
        max_modules=[2, 2, 4, 2],
    )
    rng = np.random.default_rng(0)
    L, Y = 4, 5
    req = np.cumsum(rng.uniform(0, 12, size=(L, Y)), axis=1)
    t0 = time.perf_counter()
    dp = size_tiers(req, cat, discount_rate=0.05)
    t_dp = time.perf_counter() - t0
    t0 = time.perf_counter()
    brute = np.array([_brute_force_sizing(req[i], cat, 0.05) for i in range(L)])
    t_bf = time.perf_counter() - t0
    same = np.allclose(brute, dp.discounted_cost_cny, rtol=1e-12)
    big = np.cumsum(rng.uniform(0, 12, size=(2000, 10)), axis=1)
    t0 = time.perf_counter()
    size_tiers(big, cat, discount_rate=0.05)
    t_big = time.perf_counter() - t0
    rows = [
        "| case | DP time_s | brute force time_s | brute / DP | same optimum |",
        "|---|---|---|---|---|",
        f"| {L} links × {Y} years, 11 states | {t_dp:.4f} | {t_bf:.2f} | {t_bf / t_dp:.0f}× | "
        f"{'yes' if same else 'NO'} |",
        f"| 2000 links × 10 years (DP only) | {t_big:.3f} | — | — | — |",
    ]
    for row in rows[2:]:
        print(row, flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="polska and abilene only")
    ap.add_argument(
        "--time-limit", type=float, default=120.0, help="-N-N wall-clock limit per instance"
    )
    ap.add_argument("--nu-time-limit", type=float, default=120.0, help="-N-U limit")
    ap.add_argument("--naive-time-limit", type=float, default=120.0)
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    nn = ["polska", "abilene"] if args.quick else ["france", "polska", "pdh", "atlanta", "abilene"]
    nu = ["polska"] if args.quick else ["polska", "atlanta", "pdh"]
    naive = ["polska", "abilene"] if args.quick else ["polska", "atlanta", "abilene", "france"]
    print("\n## -N-N (reference optima)")
    bench_nn(nn, args.time_limit)
    print("\n## -N-U (survivable), verified by the routability LP")
    bench_nu(nu, args.nu_time_limit)
    print("\n## Design MILP against a naive formulation")
    bench_naive(naive, args.naive_time_limit)
    print("\n## Tier sizing: dynamic programme against brute force")
    bench_sizing()
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
