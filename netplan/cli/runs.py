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
@output_option(required=False, help_text="Output directory (default: out/plan-<scenario>).")
def plan(topology: str | None, scenario: str | None, lang: str, routing: str,
         time_limit_s: float, sim: str, max_sessions: float, pdf: bool, png: bool,
         output: str | None, overwrite: bool) -> None:
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
        run = netplan.plan(topo, netplan.load_scenario(scenario, topo), routing=routing,
                           time_limit_s=time_limit_s, sim=sim, progress=display.stage,
                           step_progress=display.count, topology_file=topology,
                           scenario_file=scenario, max_sessions=max_sessions)
        display.stage("report", len(STAGES), len(STAGES))
        run.save(output, lang=lang, overwrite=overwrite, pdf=pdf, png=png)
    echo_verdict(run.verdict, f"{output}/summary.json and the report")
    click.echo(purchases_line(run.plan))
    check = run.plan.check
    click.echo(f"independent check: {'passed' if check.get('passed') else 'FAILED'} "
               f"({check.get('method', '')})")
    click.echo(wrote_line(output, run_files(output), index=INDEX_FILE))
    exit_with(run.verdict)


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
