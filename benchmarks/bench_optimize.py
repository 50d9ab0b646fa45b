"""Benchmark: the optimizer on the default network, with fixed and with optimized routing.

Default network (``topologies/chongqing.yaml``), scenario ``growth-5y`` (6 years), single
link survivability (``n-1``). For each routing mode it prints the wall time of the plan (without
the independent check), the status, gap, bound and discounted cost, then the check's time
and verdict. Speed is put against a naive reference measured in the same run: the optimized
mode's restricted reconfiguration against full reconfiguration (every od may re-route in
every failure state — the unrestricted survivable model), on the first planning year, same
solver, same limits. Last, what re-sizing the optimized routing's link requirements over all
years at once (the exact sizing programme) would save: the year-by-year MILPs are myopic.

The machine is shared: the load average is printed with the results.

Run from the repository root::

    .venv/bin/python benchmarks/bench_optimize.py            # ~5 min on 2 busy cores
    .venv/bin/python benchmarks/bench_optimize.py --sndlib   # plus the SNDlib quick set
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import netplan  # noqa: E402
from netplan.planning import optimize  # noqa: E402
from netplan.planning.costs import catalogue_of  # noqa: E402
from netplan.planning.fixed.check import independent_check  # noqa: E402
from netplan.planning.routed.check import independent_check_routed  # noqa: E402
from netplan.planning.sizing import size_tiers  # noqa: E402


def load(scenario: str = "growth-5y"):
    topo = netplan.load_topology(netplan.default_topology_path())
    return topo, netplan.load_scenario(netplan.default_scenario_path(scenario), topo)


def money(x: float) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x / 1e6:,.3f} M"


def bench_modes(time_limit_s: float, gap: float):
    topo, s = load()
    rows = [
        "| mode | plan time_s | status | gap | bound (CNY) | cost (CNY) | purchases | "
        "check time_s | check |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    plans = {}
    for mode in ("fixed", "optimized"):
        t0 = time.perf_counter()
        plan = optimize(topo, s, mode, time_limit_s=time_limit_s, gap=gap, check=False)
        plan_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        if mode == "fixed":
            check = independent_check(topo, s, plan.rows)
        else:
            check = independent_check_routed(topo, s, plan.rows)
        check_s = time.perf_counter() - t0
        verdict = "passed" if check["passed"] else f"FAILED ({len(check['breaches'])})"
        if mode == "optimized":
            verdict += f", worst λ {check['worst_throughput']:.4f}"
        rows.append(
            f"| {mode} | {plan_s:.1f} | {plan.status} | {plan.gap:.2e} | "
            f"{money(plan.bound_cny)} | {money(plan.objective_cny)} | {len(plan.purchases())} | "
            f"{check_s:.1f} | {verdict} |"
        )
        print(rows[-1], flush=True)
        plans[mode] = plan
    fixed, routed = plans["fixed"], plans["optimized"]
    saving = fixed.objective_cny - routed.objective_cny
    rows.append("")
    rows.append(
        f"optimized - fixed = {-saving / 1e6:+,.3f} M CNY "
        f"({-saving / fixed.objective_cny:+.3%}); optimized <= fixed: "
        f"{'yes' if routed.objective_cny <= fixed.objective_cny + 1e-6 else 'NO'}"
    )
    print(rows[-1], flush=True)
    solves = routed.solves
    rows.append(
        f"optimized: {len(solves)} MILPs, solver time {sum(x['time_s'] for x in solves):.1f} s, "
        f"largest {max(x['columns'] for x in solves):,} columns / "
        f"{max(x['rows'] for x in solves):,} rows / {max(x['nonzeros'] for x in solves):,} "
        f"nonzeros / {max(x['binaries'] for x in solves):,} binaries, worst gap "
        f"{max(x['gap'] for x in solves):.2e}"
    )
    print(rows[-1], flush=True)
    return rows, topo, s, routed


def bench_reconfiguration(time_limit_s: float, gap: float) -> list[str]:
    topo, s = load("growth-5y")
    first = s.model_copy(update={"horizon_years": 0})
    rows = [
        "| reconfiguration (2026 only) | plan time_s | solver time_s | status | gap | "
        "cost (CNY) | columns | nonzeros |",
        "|---|---|---|---|---|---|---|---|",
    ]
    times = {}
    for mode in ("restricted", "full"):
        from netplan.planning.routed.planner import optimize_routed

        t0 = time.perf_counter()
        plan = optimize_routed(
            topo, first, time_limit_s=time_limit_s, gap=gap, check=False, reconfiguration=mode
        )
        elapsed = time.perf_counter() - t0
        solver = sum(x["time_s"] for x in plan.solves)
        times[mode] = solver
        rows.append(
            f"| {mode} | {elapsed:.1f} | {solver:.1f} | {plan.status} | {plan.gap:.2e} | "
            f"{money(plan.objective_cny)} | {sum(x['columns'] for x in plan.solves):,} | "
            f"{sum(x['nonzeros'] for x in plan.solves):,} |"
        )
        print(rows[-1], flush=True)
    rows.append("")
    rows.append(f"solver time full / restricted: {times['full'] / times['restricted']:.1f}×")
    print(rows[-1], flush=True)
    return rows


def bench_retier(topo, s, plan) -> list[str]:
    """Exact multi-year sizing of the optimized routing's requirements, link by link."""
    cat = catalogue_of(topo)
    names = list(cat.name)
    df = (1.0 + s.discount_rate) ** -np.arange(len(s.years))
    links = {lk.id: lk for lk in topo.links}
    by_link: dict[str, list[dict]] = {}
    for r in plan.rows:
        if r["item"] == "link":
            by_link.setdefault(r["id"], []).append(r)
    chain = dp = 0.0
    for link_id, rows in by_link.items():
        rows.sort(key=lambda r: r["year"])
        lk = links[link_id]
        req = np.array([[r["required_gbps"] for r in rows]])
        built = not lk.candidate and lk.tier in names and lk.modules > 0
        res = size_tiers(
            req,
            cat,
            discount_rate=s.discount_rate,
            length_km=[lk.length_km or 0.0],
            initial_tier=[names.index(lk.tier) if built else -1],
            initial_modules=[lk.modules if built else 0],
        )
        cost = float(res.discounted_cost_cny[0])
        first = np.flatnonzero(res.capacity_gbps[0] > 0)
        if lk.candidate and first.size:
            cost += lk.build_capex_cny * df[first[0]]
        dp += cost
        chain += sum((r["capex_cny"] + r["opex_cny"]) * df[i] for i, r in enumerate(rows))
    line = (
        f"links, year by year (the plan): {money(chain)}; the same requirements sized over "
        f"all years at once: {money(dp)}; myopia costs {money(chain - dp)} "
        f"({(chain - dp) / chain:.3%})"
    )
    print(line, flush=True)
    return [line]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=120.0, help="MILP budget, seconds")
    ap.add_argument("--gap", type=float, default=0.01, help="relative MIP gap")
    ap.add_argument("--sndlib", action="store_true", help="also the SNDlib quick benchmark")
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()}", flush=True)
    rows, topo, s, routed = bench_modes(args.time_limit, args.gap)
    rows += [""] + bench_retier(topo, s, routed)
    rows += [""] + bench_reconfiguration(args.time_limit, args.gap)
    if args.sndlib and (ROOT / "benchmarks" / "bench_optimize_sndlib.py").exists():
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import bench_optimize_sndlib as sndlib

        rows += [""] + sndlib.bench_nn(["polska", "abilene"], args.time_limit)
        rows += [""] + sndlib.bench_sizing()
    print(f"load average at end: {os.getloadavg()}", flush=True)
    print()
    print("\n".join(rows))


if __name__ == "__main__":
    main()
