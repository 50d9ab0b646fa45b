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

    Prints status, total cost, the solver's lower bound and the proven gap between them
    (cost − bound) / cost. With --json, stdout holds the JSON document
    alone (a number that is not known, such as the cost when no design was found, is null).
    Exit code 1 when no design was found.
    """
    import json
    import logging

    from netplan.io.quiet import captured_native_output
    from netplan.io.sndlib import write_solution
    from netplan.planning.design.sndlib import solve_sndlib

    # HiGHS prints debug lines straight to file descriptor 1 whatever its options say; keep
    # stdout for the result (see netplan.io.quiet).
    with captured_native_output() as solver_output:
        result = solve_sndlib(network, model, time_limit_s=time_limit_s, gap=gap)
    if solver_output.text:
        logging.getLogger(__name__).debug("solver output:\n%s", solver_output.text.rstrip())
    if solution_out and result.has_design:
        write_solution(solution_out, result.to_solution())
    if as_json:
        click.echo(json.dumps(_document(result), indent=2, allow_nan=False))
    else:
        click.echo(f"{result.network} {result.model_code}: {result.status}; total cost "
                   f"{result.total_cost:,.1f}; bound {result.bound:,.1f}; "
                   f"proven gap {_percent(result.gap)}; {result.solve_time_s:.1f} s "
                   f"({result.design.solver or 'HiGHS'})")
        if solution_out and result.has_design:
            click.echo(f"wrote {solution_out}")
    if not result.has_design:
        raise SystemExit(EXIT_FAILED)


def _document(result) -> dict:
    """The result as strict JSON values: a number that is not finite (no design, no bound)
    becomes ``null``, since NaN is not JSON. With a design, how it was found is added: the
    solver interface, the branch-and-bound nodes, the cost of the heuristic design HiGHS
    started from and when the first design appeared."""
    numbers = {
        "total_cost": result.total_cost, "bound": result.bound, "gap": result.gap,
        "cost_modules": result.cost_modules, "cost_pre_installed": result.cost_pre,
        "cost_setup": result.cost_setup, "cost_routing": result.cost_routing,
        "solve_time_s": result.solve_time_s,
    }
    doc = {
        "network": result.network, "model": result.model_code, "status": result.status,
        **{key: _finite_or_none(value) for key, value in numbers.items()},
    }
    if result.has_design:
        design = result.design
        doc.update(
            solver=design.solver, nodes=int(design.node_count),
            heuristic_cost=_finite_or_none(design.heuristic_cost),
            first_design_s=_finite_or_none(design.first_incumbent[0]),
        )  # fmt: skip
    return doc


def _percent(gap: float) -> str:
    """A gap as a percentage, ``unknown`` when there is no design or no bound."""
    import math

    return f"{100 * gap:.2f} %" if math.isfinite(gap) else "unknown"


def _finite_or_none(value: float) -> float | None:
    import math

    return float(value) if math.isfinite(value) else None
