"""The ``sndlib`` verb: solve an SNDlib network-design instance from its native files."""

from __future__ import annotations

import click

EXIT_FAILED = 1


@click.command()
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
    from netplan.planning.design.sndlib import solve_sndlib

    # HiGHS prints some progress lines of its own; keep stdout for the result.
    with contextlib.redirect_stdout(io.StringIO()):
        result = solve_sndlib(network, model, time_limit_s=time_limit_s, gap=gap)
    if solution_out and result.has_design:
        write_solution(solution_out, result.to_solution())
    if as_json:
        click.echo(json.dumps(_document(result), indent=2))
    else:
        click.echo(f"{result.network} {result.model_code}: {result.status}; total cost "
                   f"{result.total_cost:,.1f}; bound {result.bound:,.1f}; gap {result.gap:.2e}; "
                   f"{result.solve_time_s:.1f} s")
        if solution_out and result.has_design:
            click.echo(f"wrote {solution_out}")
    if not result.has_design:
        raise SystemExit(EXIT_FAILED)


def _document(result) -> dict:
    return {
        "network": result.network, "model": result.model_code, "status": result.status,
        "total_cost": result.total_cost, "bound": result.bound, "gap": result.gap,
        "cost_modules": result.cost_modules, "cost_pre_installed": result.cost_pre,
        "cost_setup": result.cost_setup, "cost_routing": result.cost_routing,
        "solve_time_s": result.solve_time_s,
    }
