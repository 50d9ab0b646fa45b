"""Verbs that run one stage of the flow: ``demand``, ``analyze``, ``optimize``, ``simulate``.

Each is ``load → API call → save → print``: the work is in :func:`netplan.build_demand`,
:func:`netplan.analyze`, :func:`netplan.optimize` and :func:`netplan.simulate`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import click

from netplan.cli.answer import echo_verdict, exit_with, purchases_line
from netplan.cli.options import (
    load_scenario_arg,
    load_topology_arg,
    output_option,
    parse_failures,
)
from netplan.io.text import terminal_safe


def _save(result, output: str, overwrite: bool, extra: dict | None = None) -> None:
    """Save ``result`` into ``output`` atomically, with ``extra`` JSON files beside it."""
    import json
    from pathlib import Path

    from netplan.io.atomic import staged_output_dir, write_text_atomic

    with staged_output_dir(output, overwrite=overwrite) as stage:
        result.save(stage)
        for name, document in (extra or {}).items():
            write_text_atomic(Path(stage) / name,
                              json.dumps(document, indent=2, ensure_ascii=False) + "\n")


@click.command()
@click.argument("topology", type=click.Path(dir_okay=False))
@click.argument("scenario", type=click.Path(dir_okay=False))
@output_option(required=False)
def demand(topology: str, scenario: str, output: str | None, overwrite: bool) -> None:
    """Turn a scenario into demand; print busy-hour totals per plane, service and year.

    With -o DIR, also write demand.csv, demand.npz (labelled axes), busy_hour.csv and
    services.csv (each service: names, group, plane, busy-hour Gbit/s, source or estimate).
    All demand figures are estimates.
    """
    import netplan

    topo = load_topology_arg(topology)
    result = netplan.build_demand(topo, load_scenario_arg(scenario, topo))
    click.echo(f"busy-hour demand of scenario {result.scenario!r} (Gbit/s, estimates)")
    click.echo(f"{'plane':<10} {'service':<26} {'year':>5} {'hour':>5} {'total_gbps':>12}")
    for row in result.busy_hour_totals():
        click.echo(f"{row['plane']:<10} {terminal_safe(row['service']):<26} {row['year']:>5} "
                   f"{row['busy_hour']:>5} {row['total_gbps']:>12.3f}")
    if output:
        _save(result, output, overwrite)
        click.echo(f"wrote {output}/services.csv, demand.csv, demand.npz, busy_hour.csv")


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--failures", default=None, metavar="POLICY[,POLICY]",
              help="none | n-1 | n-1-nodes | srlg | n-2 (comma-separated to combine); "
                   "default: the scenario's failure_policy.")
@click.option("--topology", "graph_file", type=click.Path(dir_okay=False), default=None,
              help="An imported network instead: a Repetita .graph file.")
@click.option("--demands", "demands_file", type=click.Path(dir_okay=False), default=None,
              help="The Repetita .demands file that goes with --topology.")
@click.option("--routing", type=click.Choice(["ecmp", "min-mlu"]), default="ecmp",
              help="For imported networks: ECMP shortest paths or the min-max-utilisation LP.")
@click.option("--dask", "dask_scheduler", default=None, metavar="ADDRESS",
              help="Sweep the failure states on a running Dask cluster (needs netplan[dask]); "
                   "the same results as one process.")
@click.option("--dask-local", is_flag=True,
              help="Sweep the failure states on a local Dask cluster, one worker per core.")
@output_option()
def analyze(files: tuple[str, ...], failures: str | None, graph_file: str | None,
            demands_file: str | None, routing: str, dask_scheduler: str | None,
            dask_local: bool, output: str, overwrite: bool) -> None:
    """Worst load of every link over all hours, years and failure states, with its cause.

    FILES is a TOPOLOGY followed by one or more SCENARIO files. Writes worst_case.csv,
    sla_violations.csv, lost_demand.csv, dc_load.csv and summary.json to -o DIR.
    Exit code 3 when the network as it stands misses a target (see summary.json's verdict).
    With --topology X.graph --demands X.demands it analyses an imported network instead and
    writes link_loads.csv and summary.json. Progress goes to stderr; with --dask ADDRESS or
    --dask-local the failure states are swept in parts on a Dask cluster.
    """
    import netplan
    from netplan.errors import Problem, ValidationError

    if graph_file is not None:
        if files or demands_file is None:
            raise ValidationError([Problem("--topology", "", "an imported network takes "
                                           "--topology X.graph --demands X.demands and no FILES")])
        from netplan.analysis.imported import analyze_imported

        result = analyze_imported(graph_file, demands_file, routing)
        _save(result, output, overwrite)
        click.echo(f"{result.summary['network']}: maximum utilisation "
                   f"{result.summary['max_utilisation']:.4f} ({routing}); wrote {output}")
        return
    if len(files) < 2:
        raise ValidationError([Problem("FILES", "", "give a TOPOLOGY and at least one SCENARIO")])
    if dask_scheduler and dask_local:
        raise ValidationError([Problem("--dask", "", "give --dask ADDRESS or --dask-local, "
                                       "not both")])
    from netplan.analysis.sweep import sweep_progress
    from netplan.cli.progress import ProgressDisplay

    topo = load_topology_arg(files[0])
    scenarios = [load_scenario_arg(path, topo) for path in files[1:]]
    policy = parse_failures(failures)
    with ProgressDisplay() as display, sweep_progress(display.count), \
            _spread_on_dask(dask_scheduler, dask_local):
        display.stage("analyse", 1, 1)
        study = netplan.analyze(topo, scenarios, policy)
    _save(study, output, overwrite)
    summary = study.summary()
    click.echo(f"{len(summary['failure_states'])} plane studies, "
               f"{sum(summary['failure_states'].values())} failure states; "
               f"{summary['links_over_target']} of {summary['links']} links over target; "
               f"worst utilisation {summary['max_worst_utilisation']:.3f}; "
               f"{summary['failures_that_disconnect_demand']} failures disconnect demand")
    verdict = study.verdict()
    echo_verdict(verdict, f"{output}/summary.json")
    click.echo(f"wrote {output}/worst_case.csv, sla_violations.csv, lost_demand.csv, "
               "dc_load.csv, summary.json")
    exit_with(verdict)


@contextmanager
def _spread_on_dask(scheduler: str | None, local: bool) -> Iterator[None]:
    """With a Dask cluster, failure sweeps run their states in parts there; else nothing."""
    if not scheduler and not local:
        yield
        return
    from netplan.analysis.distributed import spread_states
    from netplan.batch.executors import dask_executor

    with dask_executor(scheduler) as executor, spread_states(
            executor, parts=3 * max(os.cpu_count() or 1, 2)):
        yield


@click.command()
@click.argument("topology", type=click.Path(dir_okay=False))
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--routing", type=click.Choice(["fixed", "optimized"]), default="fixed",
              help="fixed: the network's own shortest-path/ECMP routing (exact); "
                   "optimized: routing is a decision too (path-based MILP).")
@click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=1), default=120.0,
              show_default=True, help="MILP time limit in seconds (optimized mode).")
@click.option("--gap", type=click.FloatRange(min=0, max=1), default=0.01, show_default=True,
              help="Relative MILP gap to stop at (optimized mode).")
@output_option()
def optimize(topology: str, scenario: str, routing: str, time_limit_s: float, gap: float,
             output: str, overwrite: bool) -> None:
    """Size links and data-centre racks, year by year, to meet every target at least cost.

    Writes plan.json, plan.csv (per link and year: tier, modules, capacity_gbps, capex_cny,
    opex_cny, reason; per data centre and year: racks) and costs.json to -o DIR.
    summary.json holds the verdict and the costs. Exit code 3 when the plan does not meet
    every target (the findings are in summary.json).
    """
    import netplan
    from netplan.analysis.sweep import sweep_progress
    from netplan.cli.progress import ProgressDisplay
    from netplan.verdict import plan_verdict

    topo = load_topology_arg(topology)
    scen = load_scenario_arg(scenario, topo)
    # The analysis names what the plan finds (districts, services, failures); the planner
    # sizes from it, so nothing is swept twice.
    with ProgressDisplay() as display, sweep_progress(display.count):
        display.stage("analyse", 1, 2)
        study = netplan.analyze(topo, scen)
        display.stage("optimize", 2, 2)
        plan = netplan.optimize(topo, scen, routing, time_limit_s=time_limit_s, gap=gap,
                                study=study, progress=display.count)
    verdict = plan_verdict(plan, study)
    _save(plan, output, overwrite, {"summary.json": {
        "topology": topo.name, "scenario": scen.name, "years": list(scen.years),
        "failure_policy": list(scen.failure_policy), "verdict": verdict.to_json(),
        "plan": {"status": plan.status, "routing": plan.routing, "gap": plan.gap,
                 "purchases": len(plan.purchases())},
        "costs": plan.costs(), "estimate": True}})
    echo_verdict(verdict, f"{output}/summary.json")
    click.echo(purchases_line(plan))
    gap_text = f", gap {plan.gap:.2%}" if routing == "optimized" else ""
    click.echo(f"plan {plan.status}{gap_text}; independent check: "
               f"{'passed' if plan.check.get('passed') else 'FAILED'} "
               f"({len(plan.check.get('breaches', ()))} breaches)")
    click.echo(f"wrote {output}/plan.json, plan.csv, costs.json, summary.json"
               + (", routes.csv" if routing == "optimized" else ""))
    exit_with(verdict)


@click.command()
@click.argument("topology", type=click.Path(dir_okay=False))
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--method", type=click.Choice(["simulate", "analytic"]), default="simulate",
              show_default=True, help="Discrete-event simulation, or the closed-form fast path.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Random seed (default: the scenario's seed).")
@click.option("--replications", type=click.IntRange(min=2), default=None,
              help="Independent replications (default: the scenario's setting).")
@click.option("--hours", type=click.IntRange(min=0, max=23), multiple=True,
              help="Hour of day to simulate (repeat for several; default: the scenario's).")
@click.option("--max-sessions", type=click.FloatRange(min=1), default=500_000_000.0,
              show_default=True, help="Most sessions the event simulation may create; a "
              "larger run is refused before it starts.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Replications run side by side (default: every core; results do not "
                   "depend on it).")
@output_option()
def simulate(topology: str, scenario: str, method: str, seed: int | None,
             replications: int | None, hours: tuple[int, ...], max_sessions: float,
             workers: int | None, output: str, overwrite: bool) -> None:
    """What users feel: blocking, response times and queues per service, with confidence intervals.

    Writes sim_summary.json and CSV time series to -o DIR.
    """
    import netplan
    from netplan.cli.progress import ProgressDisplay

    topo = load_topology_arg(topology)
    display = ProgressDisplay()
    result = netplan.simulate(topo, load_scenario_arg(scenario, topo), method=method, seed=seed,
                              replications=replications, hours=list(hours) or None,
                              progress=display.count, workers=workers or os.cpu_count() or 1,
                              max_sessions=max_sessions)
    display.close()
    _save(result, output, overwrite)
    for row in result.summary.get("services", []):
        click.echo(service_line(row))
    click.echo(f"wrote {output}/sim_summary.json and CSV time series")


def service_line(row: dict) -> str:
    """One service's blocking and p95 response time with their intervals, for the terminal.

    Examples
    --------
    >>> service_line({"service": "web", "blocking": {"mean": 0.01, "ci_low": 0.005,
    ...               "ci_high": 0.015, "method": "simulated"}})
    'web: blocking 0.01 [0.005, 0.015] (simulated)'
    >>> service_line({"service": "db", "response_p95_s": {"mean": 0.06, "ci_low": None,
    ...               "ci_high": None, "method": "simulation"}})
    'db: response_p95_s 0.06 [n/a, n/a] (simulation)'
    """
    parts = [f"{row.get('service', '')}:"]
    for key in ("blocking", "response_p95_s"):
        value = row.get(key)
        if isinstance(value, dict) and value.get("mean") is not None:
            low, high = (_bound(value.get(end)) for end in ("ci_low", "ci_high"))
            parts.append(f"{key} {value['mean']:.4g} [{low}, {high}] ({value.get('method', '')})")
    return terminal_safe(" ".join(parts))


def _bound(value) -> str:
    """An interval end as printed: ``n/a`` where the replications gave none (too few
    samples of a rare service for an interval)."""
    return "n/a" if value is None else f"{value:.4g}"
