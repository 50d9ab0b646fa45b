"""Benchmark: the design MILP's proven gap on every SNDlib instance, before and after.

For every instance in ``../shared/benchmarks/sndlib`` (both models where present) solve the
design MILP at a time limit and print the cost, the solver's lower bound, the gap, the
wall-clock and processor time, and whether the design passes the independent routability LP
(:func:`netplan.planning.check.check_routable`, which shares no code with the MILP) in every
state the model requires: the normal state for ``-N-N``, every single link failure as well for
``-N-U``.

Two configurations run in the same process, one after the other (never in parallel):

* ``before``: ``scipy.optimize.milp`` with the node/link cut-sets and dominance bounds, no
  first design, no relaxation bound — the design MILP as it was;
* ``after``: the defaults — HiGHS through ``highspy``, an LP-rounding design as the MIP start
  (:mod:`netplan.planning.design.incumbent`) and, in a second thread beside HiGHS, the
  modules-only decomposition with rounded metric and separated cut-set inequalities and
  repaired designs (:mod:`netplan.planning.design.metric`,
  :mod:`netplan.planning.design.separation`).

The machine may be shared: each row prints the load average and the processor time the
solve got, so a row with little processor time per wall-clock second was starved.

Run from the repository root, one benchmark at a time (the machine has two cores)::

    .venv/bin/python benchmarks/bench_sndlib_gap.py --time-limit 60
    .venv/bin/python benchmarks/bench_sndlib_gap.py --time-limit 300 --only norway,ta1
    .venv/bin/python benchmarks/bench_sndlib_gap.py --configs after --json out.jsonl

The independent check of a ``-N-U`` design takes longer than its solve (18 minutes for
india35's 81 states). ``--defer-check`` keeps each design's capacities in the JSON line
instead; ``--check FILE`` runs the checks on them later (it need not be a quiet machine)::

    .venv/bin/python benchmarks/bench_sndlib_gap.py --models N-U --defer-check --json u.jsonl
    .venv/bin/python benchmarks/bench_sndlib_gap.py --check u.jsonl
"""

from __future__ import annotations

import argparse
import inspect
import json
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
from netplan.planning.design.sndlib import design_problem  # noqa: E402

SNDLIB = ROOT.parent / "shared" / "benchmarks" / "sndlib"
MODELS = ("U-U-M-N-C-A-N-N", "U-U-M-N-C-A-N-U")
REFERENCE = {"france": 20200.0, "polska": 23619.0, "pdh": 10903843.0, "atlanta": 86492550.3}
CONFIGS = {
    "before": {"solver": "scipy", "incumbent": False, "relaxation_bound": False},
    "after": {"solver": "highspy", "incumbent": True, "relaxation_bound": "auto"},
}


def instances(only: set[str] | None) -> list[tuple[str, str]]:
    """(name, model code) of every instance on disk, smallest network file first."""
    out = []
    for d in sorted(SNDLIB.iterdir(), key=lambda d: (d / f"{d.name}.txt").stat().st_size
                    if (d / f"{d.name}.txt").exists() else 0):
        if not (d / f"{d.name}.txt").exists() or (only and d.name not in only):
            continue
        out += [(d.name, m) for m in MODELS if (d / f"{m}.txt").exists()]
    return out


def supported(kwargs: dict) -> dict:
    """The options this version of solve_design knows (the before run may be older code)."""
    known = inspect.signature(solve_design).parameters
    return {k: v for k, v in kwargs.items() if k in known}


def check(p, capacity) -> tuple[bool, int, float]:
    """Independent LP in every state the model requires: (all pass, states, least λ)."""
    states = p.states()
    rep = check_routable(
        p.n_nodes, p.link_src, p.link_dst, capacity, p.demand_src, p.demand_dst,
        p.demand_volume, link_model=p.link_model, demand_directed=p.demand_directed,
        failure_states="none" if len(states) == 1 else [s for s in states if s],
    )
    return rep.all_feasible, len(rep.states), float(rep.throughput.min())


def problem(name: str, model: str):
    return design_problem(read_network(SNDLIB / name / f"{name}.txt"),
                          read_model(SNDLIB / name / f"{model}.txt"))


def run_one(name: str, model: str, config: str, time_limit_s: float, defer: bool = False) -> dict:
    p = problem(name, model)
    t0 = time.perf_counter()
    r = solve_design(p, time_limit_s=time_limit_s, gap=1e-4, **supported(CONFIGS[config]))
    wall = time.perf_counter() - t0
    load = os.getloadavg()[0]
    ok, n_states, lam = (None, 0, float("nan"))
    if r.has_design and not defer:
        ok, n_states, lam = check(p, r.capacity)
    extra = {"capacity": r.capacity.tolist()} if r.has_design and defer else {}
    return {
        "instance": name, "model": model, "config": config, "time_limit_s": time_limit_s,
        "status": r.status, "cost": r.objective, "bound": r.bound, "gap": r.gap,
        "wall_s": wall, "cpu_s": r.solve_cpu_s, "checked_states": n_states,
        "feasible": ok, "min_lambda": lam, "reference": REFERENCE.get(name)
        if model.endswith("N-N") else None,
        "first_design_s": getattr(r, "first_incumbent", (float("nan"),) * 2)[0],
        "heuristic_cost": getattr(r, "heuristic_cost", float("nan")),
        "load_avg": load,
        **extra,
    }


def check_later(path: str) -> None:
    """Run the deferred independent checks of ``path``'s designs and write the results
    into it (the file is replaced only once every check has run)."""
    lines = [json.loads(line) for line in Path(path).read_text().splitlines()]
    for d in lines:
        if "capacity" in d and d.get("feasible") is None:
            ok, n, lam = check(problem(d["instance"], d["model"]), np.array(d["capacity"]))
            d.update(feasible=ok, checked_states=n, min_lambda=lam)
            print(row(d), flush=True)
    tmp = Path(path + ".tmp")
    tmp.write_text("".join(json.dumps(d) + "\n" for d in lines))
    tmp.replace(path)


def fmt(x) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:,.1f}".rstrip("0").rstrip(".")


def row(d: dict) -> str:
    feas = "—" if d["feasible"] is None else (
        f"yes ({d['checked_states']} states)" if d["feasible"] else "NO")
    gap = "—" if not np.isfinite(d["gap"]) else f"{100 * d['gap']:.2f} %"
    return (f"| {d['instance']} | {d['model'][-3:]} | {d['config']} | {d['time_limit_s']:.0f} | "
            f"{d['status']} | {fmt(d['cost'])} | {fmt(d['bound'])} | {gap} | "
            f"{d['wall_s']:.1f} | {d['cpu_s']:.1f} | {feas} | {d['load_avg']:.1f} |")


def side_by_side(paths: list[str]) -> None:
    """One row per instance from JSON lines (later lines replace earlier ones of the same
    instance, model, configuration and limit): before and after next to each other."""
    rows: dict[tuple, dict] = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            d = json.loads(line)
            rows[(d["instance"], d["model"], d["time_limit_s"], d["config"])] = d
    keys = sorted({k[:3] for k in rows}, key=lambda k: (k[2], list(SNDLIB_ORDER).index(k[0])
                                                        if k[0] in SNDLIB_ORDER else 99, k[1]))
    print("| instance | model | limit_s | before: cost / bound / gap | after: cost / bound / "
          "gap | after: first design (s) | cpu_s before / after | independent LP (after) |")
    print("|---|---|---|---|---|---|---|---|")
    for k in keys:
        b, a = rows.get((*k, "before")), rows.get((*k, "after"))

        def cell(d):
            if d is None:
                return "—"
            gap = "—" if not np.isfinite(d["gap"]) else f"{100 * d['gap']:.2f} %"
            return f"{fmt(d['cost'])} / {fmt(d['bound'])} / {gap} ({d['status']})"

        feas = "—" if a is None or a["feasible"] is None else (
            f"yes, {a['checked_states']} states" if a["feasible"] else "NO")
        first = "—" if a is None else fmt(a.get("first_design_s"))
        cpu = " / ".join("—" if d is None else f"{d['cpu_s']:.0f}" for d in (b, a))
        print(f"| {k[0]} | {k[1][-3:]} | {k[2]:.0f} | {cell(b)} | {cell(a)} | {first} | {cpu} | "
              f"{feas} |")


SNDLIB_ORDER = ("abilene", "pdh", "polska", "atlanta", "france", "geant", "ta1", "norway",
                "india35", "cost266")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--only", default="", help="comma-separated instance names")
    ap.add_argument("--configs", default="before,after")
    ap.add_argument("--models", default="N-N,N-U", help="which of N-N, N-U to run")
    ap.add_argument("--json", default="", help="append one JSON line per solve to this file")
    ap.add_argument("--table", nargs="+", default=None,
                    help="print before/after side by side from these JSON-lines files, no solve")
    ap.add_argument("--defer-check", action="store_true",
                    help="keep each design's capacities in the JSON line, check later")
    ap.add_argument("--check", default="", help="run the deferred checks of this JSON-lines file")
    args = ap.parse_args()
    if args.table:
        side_by_side(args.table)
        return
    if args.check:
        check_later(args.check)
        return
    only = set(filter(None, args.only.split(","))) or None
    tails = tuple(args.models.split(","))
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print("| instance | model | config | limit_s | status | cost | bound | gap | wall_s | "
          "cpu_s | independent LP | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, model in instances(only):
        if not model.endswith(tails):
            continue
        for config in args.configs.split(","):
            d = run_one(name, model, config, args.time_limit, args.defer_check)
            print(row(d), flush=True)
            if args.json:
                with open(args.json, "a") as fh:
                    fh.write(json.dumps(d) + "\n")


if __name__ == "__main__":
    main()
