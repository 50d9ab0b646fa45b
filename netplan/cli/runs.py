"""Verbs about whole runs: ``plan`` (the main job), ``report`` and ``compare``."""

from __future__ import annotations

import click

from netplan.cli.answer import echo_verdict, exit_with, purchases_line, wrote_line
from netplan.cli.options import load_run_dir, output_option


@click.command()
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
@click.option("--max-sessions", type=click.FloatRange(min=1), default=500_000_000.0,
              show_default=True, help="Most sessions the event simulation may create; a "
              "larger run is refused before it starts.")
@click.option("--pdf", is_flag=True, help="Also print the report to an A4 PDF (needs chromium; "
              "checked before the run starts).")
@click.option("--png", is_flag=True, help="Also write each figure as PNG (needs netplan[static] "
              "and chromium; checked before the run starts).")
@click.option("--base-demand", "base_demand", type=click.Path(dir_okay=False), default=None,
              help="demands.csv from `deduce` or `calibrate`: the base year is the measured "
                   "(deduced) demand, grown by the scenario's rates (docs/measured-traffic.md).")
@output_option(required=False, help_text="Output directory (default: out/plan-<scenario>).")
def plan(topology: str | None, scenario: str | None, lang: str, routing: str,
         time_limit_s: float, sim: str, max_sessions: float, pdf: bool, png: bool,
         base_demand: str | None, output: str | None, overwrite: bool) -> None:
    """The main job: validate, build demand, analyse every failure, size, re-check, report.

    With no arguments it runs on the default Chongqing network and the baseline scenario.
    Writes report.html, plan.xlsx, the CSV tables, plan.json and summary.json to -o DIR
    (default: out/plan-<scenario>), and index.md, which says what each file holds. Exit code
    0 when the plan meets every target, 3 when it ran but does not (a district cut off, a
    link over target, an unmet limit).
    """
    from pathlib import Path

    import netplan
    from netplan.cli.progress import ProgressDisplay
    from netplan.io.atomic import check_output_dir
    from netplan.report.static import check_tools
    from netplan.run.files import INDEX_FILE, run_files
    from netplan.run.pipeline import STAGES

    topology = topology or str(netplan.default_topology_path())
    scenario = scenario or str(netplan.default_scenario_path())
    if output is None:
        output = str(Path("out") / f"plan-{Path(scenario).stem}")
        check_output_dir(output, overwrite)
    check_tools(pdf=pdf, png=png)  # before minutes of computing, not after
    with ProgressDisplay() as display:
        display.stage("validate", 1, len(STAGES))
        topo = netplan.load_topology(topology)
        scen = netplan.load_scenario(scenario, topo)
        demand = None
        if base_demand is not None:
            from netplan.measured.base_demand import measured_base_demand

            demand = measured_base_demand(topo, scen, base_demand)
        run = netplan.plan(topo, scen, routing=routing,
                           time_limit_s=time_limit_s, sim=sim, progress=display.stage,
                           step_progress=display.count, topology_file=topology,
                           scenario_file=scenario, max_sessions=max_sessions, demand=demand)
        display.stage("report", len(STAGES), len(STAGES))
        run.save(output, lang=lang, overwrite=overwrite, pdf=pdf, png=png)
    echo_verdict(run.verdict, f"{output}/summary.json and the report")
    if demand is not None:
        from netplan.io.text import terminal_safe

        click.echo(f"base year: measured, deduced from counters ({', '.join(demand.measured_planes)}"
                   f" from {terminal_safe(base_demand)}); later years grown by the scenario's "
                   "rates (estimates)")
    click.echo(purchases_line(run.plan))
    if "availability" in run.summary():
        click.echo(_availability_line(run.summary()["availability"]))
    check = run.plan.check
    click.echo(f"independent check: {'passed' if check.get('passed') else 'FAILED'} "
               f"({check.get('method', '')})")
    click.echo(wrote_line(output, run_files(output), index=INDEX_FILE))
    exit_with(run.verdict)


def _availability_line(summary: dict) -> str:
    """One line on availability after the plan: targets met or missed, links built for them.

    Examples
    --------
    >>> print(_availability_line({"targets_set": 2, "targets_judged_on": "network",
    ...     "meets_targets_before": False, "meets_targets_after": True,
    ...     "targets_missed_after": 0, "links_built": [{"link": "l", "districts": ["d"]}],
    ...     "worst_after": []}))
    availability (estimates, judged on the network): targets met after the plan (missed before); built l for d
    """
    from netplan.io.text import terminal_safe

    head = f"availability (estimates, judged on the {summary['targets_judged_on']})".replace(
        "on the end_to_end", "end to end")
    built = "; built " + ", ".join(f"{b['link']} for {', '.join(b['districts'])}"
                                   for b in summary["links_built"]) if summary["links_built"] else ""
    if not summary["targets_set"]:
        worst = summary["worst_after"][0] if summary["worst_after"] else None
        text = "availability (estimates): no targets set"
        if worst:
            text += (f"; most downtime {worst['district']} {worst['downtime_min_per_year']:.1f} "
                     f"min a year ({worst['plane']} → {worst['destination']})")
        return terminal_safe(text)
    if summary["meets_targets_after"]:
        before = "" if summary["meets_targets_before"] else " (missed before)"
        return terminal_safe(f"{head}: targets met after the plan{before}{built}")
    return terminal_safe(f"{head}: {summary['targets_missed_after']} of {summary['targets_set']} "
                         f"(district, plane, destination) rows miss their target after the plan"
                         f"{built}")


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Where to write the report (default: RUN_DIR/report.html, replaced).")
def report(run_dir: str, lang: str, output: str | None) -> None:
    """Re-render a run's report from its saved results, without recomputing."""
    from pathlib import Path

    from netplan.io.atomic import write_text_atomic
    from netplan.report.build import build_report

    html = build_report(load_run_dir(run_dir), lang)
    target = Path(output) if output else Path(run_dir) / "report.html"
    write_text_atomic(target, html)
    click.echo(f"wrote {target}")


@click.command()
@click.argument("run_a", type=click.Path(file_okay=False))
@click.argument("run_b", type=click.Path(file_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@output_option()
def compare(run_a: str, run_b: str, lang: str, output: str, overwrite: bool) -> None:
    """What changed between two runs: inputs, worst utilisations, purchases and costs.

    Writes compare.html, inputs_diff.csv, worst_case_diff.csv, purchases_diff.csv and
    costs_diff.csv to -o DIR.
    """
    from netplan.io.atomic import staged_output_dir
    from netplan.run.compare import compare_runs

    result = compare_runs(load_run_dir(run_a), load_run_dir(run_b))
    with staged_output_dir(output, overwrite=overwrite) as stage:
        result.save(stage, lang)
    moved = sum(1 for r in result.links if abs(r["change"]) > 1e-9)
    click.echo(f"{len(result.inputs)} input differences, {moved} links changed worst "
               f"utilisation, {len(result.purchases)} purchase differences; wrote {output}")
