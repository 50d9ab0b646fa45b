"""The ``egov-netplan`` command-line tool: ``load → API call → save``, a few lines per verb.

Only click is imported at module level, so ``egov-netplan --help`` starts fast; every verb
imports what it needs when it runs.
"""

from __future__ import annotations

import os
import sys

import click

from netplan import __version__

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class NetplanGroup(click.Group):
    """A click group that prints netplan's errors without a traceback and sets the exit code."""

    def invoke(self, ctx: click.Context):
        from netplan.errors import NetplanError

        try:
            return super().invoke(ctx)
        except NetplanError as exc:
            _print_error(exc)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; no output was changed", err=True)
            ctx.exit(130)


def _print_error(exc: Exception) -> None:
    from netplan.errors import ValidationError

    if isinstance(exc, ValidationError):
        count = len(exc.problems)
        click.echo(f"error: {count} problem{'s' if count != 1 else ''} found", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
    else:
        click.echo(f"error: {exc}", err=True)


@click.group(cls=NetplanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="egov-netplan")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Capacity planning for the Chongqing e-government extranet and intranet.

    Start with `egov-netplan show` on the default network, then `egov-netplan validate`
    on your own topology and scenario files.
    """
    import logging

    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _topology_arg(value: str | None):
    import netplan

    return netplan.load_topology(value or netplan.default_topology_path())


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check topology, scenario and network files; report every problem at once.

    Exit code 0 when every file is valid, 2 when any is not.
    """
    from netplan.cli.validate import validate_file
    from netplan.errors import NetplanError, Problem, ValidationError

    problems = []
    for path in files:
        try:
            summary = validate_file(path)
        except ValidationError as exc:
            problems.extend(exc.problems)
            continue
        except NetplanError as exc:
            problems.append(Problem(path, "", str(exc)))
            continue
        click.echo(f"ok  {path}: {summary}")
    if problems:
        raise ValidationError(problems)


@cli.command()
@click.argument("what", type=click.Choice(["topology", "scenario"]))
def schema(what: str) -> None:
    """Print the JSON Schema of topology or scenario files (for editors)."""
    import json

    from netplan.model.scenario import Scenario
    from netplan.model.topology import Topology

    model = {"topology": Topology, "scenario": Scenario}[what]
    document = model.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = f"netplan {what}"
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


@cli.command()
@click.argument("topology", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead.")
def show(topology: str | None, as_json: bool) -> None:
    """Summarise a topology (the default Chongqing network when none is given)."""
    from netplan.model.describe import topology_document, topology_summary

    topo = _topology_arg(topology)
    if as_json:
        import json

        click.echo(json.dumps(topology_document(topo), indent=2, ensure_ascii=False))
    else:
        click.echo(topology_summary(topo))


def _scenario_arg(value: str | None, topology):
    import netplan

    return netplan.load_scenario(value or netplan.default_scenario_path(), topology)


def _output_option(func):
    func = click.option("--overwrite", is_flag=True,
                        help="Replace the results already in the output directory.")(func)
    return click.option("-o", "--output", "output", type=click.Path(file_okay=False),
                        default=None, help="Output directory.")(func)


@cli.command()
@click.argument("topology", type=click.Path(dir_okay=False))
@click.argument("scenario", type=click.Path(dir_okay=False))
@_output_option
def demand(topology: str, scenario: str, output: str | None, overwrite: bool) -> None:
    """Turn a scenario into demand; print busy-hour totals per plane, service and year.

    With -o DIR, also write demand.csv, demand.npz (labelled axes) and busy_hour.csv.
    All demand figures are estimates.
    """
    from netplan.demand import build_demand
    from netplan.io.atomic import staged_output_dir

    topo = _topology_arg(topology)
    result = build_demand(topo, _scenario_arg(scenario, topo))
    rows = result.busy_hour_totals()
    click.echo(f"busy-hour demand of scenario {result.scenario!r} (Gbit/s, estimates)")
    click.echo(f"{'plane':<10} {'service':<22} {'year':>5} {'hour':>5} {'total_gbps':>12}")
    for row in rows:
        click.echo(f"{row['plane']:<10} {row['service']:<22} {row['year']:>5} "
                   f"{row['busy_hour']:>5} {row['total_gbps']:>12.3f}")
    if output:
        with staged_output_dir(output, overwrite=overwrite) as stage:
            result.save(stage)
        click.echo(f"wrote {output}/demand.csv, demand.npz, busy_hour.csv")


FAILURE_CHOICES = ("none", "n-1", "n-1-nodes", "srlg", "n-2")


def _parse_failures(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    from netplan.errors import Problem, ValidationError

    parts = tuple(p.strip() for p in value.split(",") if p.strip())
    bad = [p for p in parts if p not in FAILURE_CHOICES]
    if bad or not parts:
        raise ValidationError([Problem("--failures", "", f"unknown policy {', '.join(bad) or value!r};"
                                       f" choose from {', '.join(FAILURE_CHOICES)}")])
    return parts


@cli.command()
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
@_output_option
def analyze(files: tuple[str, ...], failures: str | None, graph_file: str | None,
            demands_file: str | None, routing: str, output: str | None, overwrite: bool) -> None:
    """Worst load of every link over all hours, years and failure states, with its cause.

    FILES is a TOPOLOGY followed by one or more SCENARIO files. Writes worst_case.csv,
    sla_violations.csv, lost_demand.csv, dc_load.csv and summary.json to -o DIR.
    With --topology X.graph --demands X.demands it analyses an imported network instead and
    writes link_loads.csv and summary.json.
    """
    from netplan.errors import Problem, ValidationError
    from netplan.io.atomic import staged_output_dir

    if output is None:
        raise ValidationError([Problem("-o", "", "give an output directory with -o DIR")])
    if graph_file is not None:
        if files or demands_file is None:
            raise ValidationError([Problem("--topology", "", "an imported network takes "
                                           "--topology X.graph --demands X.demands and no FILES")])
        from netplan.analysis.imported import analyze_imported

        result = analyze_imported(graph_file, demands_file, routing)
        with staged_output_dir(output, overwrite=overwrite) as stage:
            result.save(stage)
        click.echo(f"{result.summary['network']}: maximum utilisation "
                   f"{result.summary['max_utilisation']:.4f} ({routing}); wrote {output}")
        return
    if len(files) < 2:
        raise ValidationError([Problem("FILES", "", "give a TOPOLOGY and at least one SCENARIO")])
    from netplan.analysis.study import analyze as run_analysis

    topo = _topology_arg(files[0])
    scenarios = [_scenario_arg(path, topo) for path in files[1:]]
    study = run_analysis(topo, scenarios, _parse_failures(failures))
    with staged_output_dir(output, overwrite=overwrite) as stage:
        study.save(stage)
    summary = study.summary()
    click.echo(f"{len(summary['failure_states'])} plane studies, "
               f"{sum(summary['failure_states'].values())} failure states; "
               f"{summary['links_over_target']} of {summary['links']} links over target; "
               f"worst utilisation {summary['max_worst_utilisation']:.3f}")
    click.echo(f"wrote {output}/worst_case.csv, sla_violations.csv, lost_demand.csv, "
               "dc_load.csv, summary.json")


@cli.command()
@click.argument("topology", type=click.Path(dir_okay=False))
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--routing", type=click.Choice(["fixed", "optimized"]), default="fixed",
              help="fixed: the network's own shortest-path/ECMP routing (exact); "
                   "optimized: routing is a decision too (path-based MILP).")
@click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=1), default=120.0,
              show_default=True, help="MILP time limit in seconds (optimized mode).")
@click.option("--gap", type=click.FloatRange(min=0, max=1), default=0.01, show_default=True,
              help="Relative MILP gap to stop at (optimized mode).")
@_output_option
def optimize(topology: str, scenario: str, routing: str, time_limit_s: float, gap: float,
             output: str | None, overwrite: bool) -> None:
    """Size links and data-centre racks, year by year, to meet every target at least cost.

    Writes plan.json, plan.csv (per link and year: tier, modules, capacity_gbps, capex_cny,
    opex_cny, reason; per data centre and year: racks) and costs.json to -o DIR.
    Exit code 1 when no plan meets every target (the reasons are in plan.json).
    """
    from netplan.errors import Problem, ValidationError
    from netplan.io.atomic import staged_output_dir
    from netplan.optimize import optimize as run_optimize

    if output is None:
        raise ValidationError([Problem("-o", "", "give an output directory with -o DIR")])
    topo = _topology_arg(topology)
    plan = run_optimize(topo, _scenario_arg(scenario, topo), routing,
                        time_limit_s=time_limit_s, gap=gap)
    with staged_output_dir(output, overwrite=overwrite) as stage:
        plan.save(stage)
    costs = plan.costs()
    click.echo(f"status {plan.status}; discounted cost {plan.objective_cny:,.0f} CNY "
               f"(bound {plan.bound_cny:,.0f}, gap {plan.gap:.2%}); "
               f"{len(plan.purchases())} purchases; capex {costs['capex_total_cny']:,.0f} CNY "
               f"(estimates)")
    check = plan.check
    if check:
        click.echo(f"independent check: {'passed' if check['passed'] else 'FAILED'} "
                   f"({len(check['breaches'])} breaches)")
    for item in plan.infeasibilities[:10]:
        click.echo(f"cannot satisfy {item['item']} {item['id']} ({item['year']}): {item['reason']}",
                   err=True)
    click.echo(f"wrote {output}/plan.json, plan.csv, costs.json"
               + (", routes.csv" if routing == "optimized" else ""))
    if plan.status == "infeasible":
        raise SystemExit(EXIT_FAILED)


def _progress_printer():
    import time

    start = time.monotonic()

    def show(stage: str, index: int, total: int) -> None:
        click.echo(f"[{index}/{total}] {stage} ({time.monotonic() - start:.1f} s)", err=True)

    return show


@cli.command()
@click.argument("topology", required=False, type=click.Path(dir_okay=False))
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the report.")
@click.option("--routing", type=click.Choice(["fixed", "optimized"]), default="fixed",
              show_default=True, help="Optimizer routing mode.")
@click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=1), default=120.0,
              show_default=True, help="MILP time limit in seconds (optimized mode).")
@click.option("--sim", type=click.Choice(["analytic", "simulate", "none"]), default="analytic",
              show_default=True, help="How the sized network's user experience is checked.")
@click.option("--pdf", is_flag=True, help="Also print the report to an A4 PDF (needs chromium).")
@click.option("--png", is_flag=True, help="Also write each figure as PNG (needs netplan[static]).")
@_output_option
def plan(topology: str | None, scenario: str | None, lang: str, routing: str,
         time_limit_s: float, sim: str, pdf: bool, png: bool, output: str | None,
         overwrite: bool) -> None:
    """The main job: validate, build demand, analyse every failure, size, re-check, report.

    With no arguments it runs on the default Chongqing network and the baseline scenario.
    Writes report.html, plan.xlsx, the CSV tables, plan.json and summary.json to -o DIR
    (default: out/plan-<scenario>).
    """
    import netplan
    from netplan.run.pipeline import run_plan

    topology = topology or str(netplan.default_topology_path())
    scenario = scenario or str(netplan.default_scenario_path())
    if output is None:
        from pathlib import Path

        output = str(Path("out") / f"plan-{Path(scenario).stem}")
    run = run_plan(topology, scenario, output, overwrite=overwrite, lang=lang, routing=routing,
                   time_limit_s=time_limit_s, sim=sim, pdf=pdf, png=png,
                   progress=_progress_printer())
    result = run.results["plan"]
    click.echo(f"plan {result['status']}: {result['purchases']} purchases, discounted cost "
               f"{result['objective_cny']:,.0f} CNY (estimates); independent check "
               f"{'passed' if result['check'].get('passed') else 'FAILED'}")
    click.echo(f"wrote {output}/report.html, plan.xlsx, plan.csv, bill_of_quantities.csv, "
               "worst_case.csv, summary.json")
    if result["status"] == "infeasible":
        raise SystemExit(EXIT_FAILED)


def _load_run(run_dir: str):
    """A saved run, with damaged files reported as bad input rather than a traceback."""
    import zipfile

    from netplan.errors import Problem, ValidationError
    from netplan.io.run_dir import load_run

    try:
        run = load_run(run_dir)
    except zipfile.BadZipFile as exc:
        raise ValidationError(
            [Problem(run_dir, "arrays.npz", f"unreadable arrays: {exc}")]
        ) from None
    damaged = [key for key in ("inputs", "topology", "scenario", "analysis", "plan")
               if not isinstance(run.results.get(key), dict)]
    if damaged:
        raise ValidationError([Problem(run_dir, "results.json", "not a complete netplan run: "
                                       f"{', '.join(damaged)} missing or damaged")])
    return run


@cli.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Where to write the report (default: RUN_DIR/report.html, replaced).")
def report(run_dir: str, lang: str, output: str | None) -> None:
    """Re-render a run's report from its saved results, without recomputing."""
    from pathlib import Path

    from netplan.io.atomic import write_text_atomic
    from netplan.report.build import build_report

    html = build_report(_load_run(run_dir), lang)
    target = Path(output) if output else Path(run_dir) / "report.html"
    write_text_atomic(target, html)
    click.echo(f"wrote {target}")


@cli.command()
@click.argument("run_a", type=click.Path(file_okay=False))
@click.argument("run_b", type=click.Path(file_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@_output_option
def compare(run_a: str, run_b: str, lang: str, output: str | None, overwrite: bool) -> None:
    """What changed between two runs: inputs, worst utilisations, purchases and costs.

    Writes compare.html, inputs_diff.csv, worst_case_diff.csv, purchases_diff.csv and
    costs_diff.csv to -o DIR.
    """
    from netplan.errors import Problem, ValidationError
    from netplan.io.atomic import staged_output_dir
    from netplan.run.compare import compare_runs

    if output is None:
        raise ValidationError([Problem("-o", "", "give an output directory with -o DIR")])
    result = compare_runs(_load_run(run_a), _load_run(run_b))
    with staged_output_dir(output, overwrite=overwrite) as stage:
        result.save(stage, lang)
    moved = sum(1 for r in result.links if abs(r["change"]) > 1e-9)
    click.echo(f"{len(result.inputs)} input differences, {moved} links changed worst "
               f"utilisation, {len(result.purchases)} purchase differences; wrote {output}")


@cli.command()
@click.argument("batch_file", required=False, type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(file_okay=False), default=None,
              help="Results directory of the batch.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: every core).")
@click.option("--dask-scheduler", default=None, metavar="ADDRESS",
              help="Run on an existing Dask cluster (needs netplan[dask]).")
@click.option("--dask-local", is_flag=True, help="Start a local Dask cluster for this run.")
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False), default=None,
              help="Continue a killed or failed batch: run only what is missing.")
@click.option("--overwrite", is_flag=True, help="Replace another batch's results in -o DIR.")
@click.option("--no-progress", is_flag=True, help="Do not draw the progress bar.")
def batch(batch_file: str | None, output: str | None, workers: int | None,
          dask_scheduler: str | None, dask_local: bool, resume_dir: str | None,
          overwrite: bool, no_progress: bool) -> None:
    """Run a batch of scenario variants (sweep, Monte Carlo or list) on all cores or Dask.

    `egov-netplan batch BATCH.yaml -o DIR` starts one; `egov-netplan batch --resume DIR`
    finishes one. Exit code 1 when some variants failed (each is recorded with its error).
    """
    from netplan.cli.batch import batch_main

    code = batch_main(batch_file, output, workers=workers, dask_scheduler=dask_scheduler,
                      dask_local=dask_local, resume_dir=resume_dir, overwrite=overwrite,
                      progress=not no_progress)
    if code:
        raise SystemExit(code)


@cli.command()
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
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Replications run side by side (default: every core; results do not "
                   "depend on it).")
@_output_option
def simulate(topology: str, scenario: str, method: str, seed: int | None,
             replications: int | None, hours: tuple[int, ...], workers: int | None,
             output: str | None, overwrite: bool) -> None:
    """What users feel: blocking, response times and queues per service, with confidence intervals.

    Writes sim_summary.json and CSV time series to -o DIR.
    """
    from netplan.cli.simulate import simulate_main
    from netplan.errors import Problem, ValidationError

    if output is None:
        raise ValidationError([Problem("-o", "", "give an output directory with -o DIR")])

    def progress(done: int, total: int, message: str) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {message}",
                   err=True, nl=done >= total)

    result = simulate_main(topology, scenario, output, overwrite=overwrite, method=method,
                           seed=seed, replications=replications, hours=list(hours) or None,
                           progress=progress, workers=workers or os.cpu_count() or 1)
    for row in result.summary.get("services", []):
        click.echo(_service_line(row))
    click.echo(f"wrote {output}/sim_summary.json and CSV time series")


def _service_line(row: dict) -> str:
    parts = [f"{row.get('service', '')}:"]
    for key in ("blocking", "response_p95_s"):
        value = row.get(key)
        if isinstance(value, dict) and value.get("mean") is not None:
            parts.append(f"{key} {value['mean']:.4g} [{value.get('ci_low', float('nan')):.4g}, "
                         f"{value.get('ci_high', float('nan')):.4g}] ({value.get('method', '')})")
    return " ".join(parts)


@cli.command()
@click.argument("network", type=click.Path(dir_okay=False))
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--time-limit", "time_limit_s", type=click.FloatRange(min=1), default=60.0,
              show_default=True, help="MILP time limit in seconds.")
@click.option("--gap", type=click.FloatRange(min=0, max=1), default=1e-4, show_default=True,
              help="Relative MILP gap to stop at.")
@click.option("--solution-out", type=click.Path(dir_okay=False), default=None,
              help="Write the design in SNDlib's native solution format.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead.")
def sndlib(network: str, model: str, time_limit_s: float, gap: float,
           solution_out: str | None, as_json: bool) -> None:
    """Solve an SNDlib network-design instance (native network and model files).

    Prints status, total cost, bound and gap. Exit code 1 when no design was found.
    """
    import contextlib
    import io
    import json

    from netplan.io.sndlib import write_solution
    from netplan.optimize.design.sndlib import solve_sndlib

    # HiGHS prints some progress lines of its own; keep stdout for the result.
    with contextlib.redirect_stdout(io.StringIO()):
        result = solve_sndlib(network, model, time_limit_s=time_limit_s, gap=gap)
    if solution_out and result.has_design:
        write_solution(solution_out, result.to_solution())
    document = {
        "network": result.network, "model": result.model_code, "status": result.status,
        "total_cost": result.total_cost, "bound": result.bound, "gap": result.gap,
        "cost_modules": result.cost_modules, "cost_pre_installed": result.cost_pre,
        "cost_setup": result.cost_setup, "cost_routing": result.cost_routing,
        "solve_time_s": result.solve_time_s,
    }
    if as_json:
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(f"{result.network} {result.model_code}: {result.status}; total cost "
                   f"{result.total_cost:,.1f}; bound {result.bound:,.1f}; gap {result.gap:.2e}; "
                   f"{result.solve_time_s:.1f} s")
        if solution_out and result.has_design:
            click.echo(f"wrote {solution_out}")
    if not result.has_design:
        raise SystemExit(EXIT_FAILED)


def main() -> None:
    """Entry point of the ``egov-netplan`` console script."""
    cli.main(prog_name="egov-netplan")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
