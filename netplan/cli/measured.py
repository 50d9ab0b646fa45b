"""Verbs about measured traffic: ``deduce`` (od demand from link counters) and ``calibrate``.

The work is in :mod:`netplan.measured`; docs/measured-traffic.md describes the files.
"""

from __future__ import annotations

import click

from netplan.cli.options import output_option

_METHODS = ("min-divergence", "per-slot", "least-squares")


def _common(func):
    """The options ``deduce`` and ``calibrate`` share."""
    func = click.option("--counter-error", "rel_error", type=click.FloatRange(min=1e-6, max=1.0),
                        default=0.001, show_default=True,
                        help="Standard error of a counter relative to its value (0.02 for "
                             "counters known to 2 %).")(func)
    func = click.option("--method", type=click.Choice(_METHODS), default="min-divergence",
                        show_default=True,
                        help="The fit: minimum divergence from the prior, all slots at once; "
                             "the same slot by slot; or least-squares tomogravity.")(func)
    return click.option("--node-totals", "node_totals", type=click.Path(dir_okay=False),
                        default=None, help="CSV of node,time,in_gbps,out_gbps: a gravity "
                        "prior and extra constraints.")(func)


def _read_inputs(topology: str, counters: str, node_totals: str | None):
    from netplan.measured.counters import read_link_counters, read_node_totals
    from netplan.measured.routing_matrix import load_network

    network = load_network(topology)
    measured = read_link_counters(counters, network)
    totals = None if node_totals is None else read_node_totals(node_totals, network,
                                                                measured.slots)
    return network, measured, totals


def _netplan_topology(network, topology: str):
    from netplan.errors import Problem, ValidationError

    if network.topology is None:
        raise ValidationError([Problem(topology, "", "a scenario needs a netplan topology "
                                       "(.yaml), not an imported network")])
    return network.topology


def _echo_planes(deduction) -> None:
    for plane, pd in deduction.planes.items():
        s = pd.summary()
        click.echo(f"{plane}: {s['ods']} ods, rank {s['rank']} ({s['degrees_of_freedom']} left "
                   f"open), {s['ods_determined']} fixed by the counters; link fit "
                   f"{s['link_fit']['relative_l2']:.2e} (relative L2)"
                   + ("" if s["converged"] else "; the fit did NOT converge"))


@click.command()
@click.argument("topology", type=click.Path(dir_okay=False))
@click.argument("counters", type=click.Path(dir_okay=False))
@click.option("--scenario", type=click.Path(dir_okay=False), default=None,
              help="Use the scenario's modelled demand as the prior instead of gravity.")
@_common
@output_option()
def deduce(topology: str, counters: str, scenario: str | None, node_totals: str | None,
           method: str, rel_error: float, output: str, overwrite: bool) -> None:
    """Deduce the od demand of every time slot from measured link counters.

    TOPOLOGY is a netplan topology (.yaml), a Repetita .graph, a Topology Zoo .graphml or an
    SNDlib network (.txt); COUNTERS a CSV of link,from,time,gbps (or octets). Writes
    demands.csv, fit.csv and summary.json to -o DIR.
    """
    from netplan.io.atomic import staged_output_dir
    from netplan.measured.deduce import deduce as run_deduce

    network, measured, totals = _read_inputs(topology, counters, node_totals)
    demand = None
    if scenario is not None:
        import netplan
        from netplan.cli.options import load_scenario_arg

        topo = _netplan_topology(network, topology)
        demand = netplan.build_demand(topo, load_scenario_arg(scenario, topo)).planes
    deduction = run_deduce(network, measured, totals, demand=demand, method=method,
                           rel_error=rel_error)
    with staged_output_dir(output, overwrite=overwrite) as stage:
        deduction.save(stage)
    _echo_planes(deduction)
    click.echo(f"wrote {output}/demands.csv, fit.csv, summary.json")


@click.command()
@click.argument("topology", type=click.Path(dir_okay=False))
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("counters", type=click.Path(dir_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the report.")
@_common
@output_option()
def calibrate(topology: str, scenario: str, counters: str, lang: str, node_totals: str | None,
              method: str, rel_error: float, output: str, overwrite: bool) -> None:
    """Deduce demand from the counters and fit the scenario's per-service scale factors to it.

    Writes demands.csv, fit.csv, summary.json, calibrated.yaml (the calibrated scenario,
    extending SCENARIO), calibration.csv, measured_vs_modelled.csv and report.html to -o DIR.
    """
    import netplan
    from netplan.cli.options import load_scenario_arg
    from netplan.measured.calibrate import save_calibration

    network, measured, totals = _read_inputs(topology, counters, node_totals)
    topo = _netplan_topology(network, topology)
    scen = load_scenario_arg(scenario, topo)
    from netplan.measured.calibrate import calibrate as run_calibrate
    from netplan.measured.deduce import deduce as run_deduce

    demand = netplan.build_demand(topo, scen)
    deduction = run_deduce(network, measured, totals, demand=demand.planes, method=method,
                           rel_error=rel_error)
    calibration = run_calibrate(topo, scen, deduction, demand)
    save_calibration(output, deduction, calibration, scenario, lang=lang, overwrite=overwrite)
    _echo_planes(deduction)
    fit = calibration.fit
    click.echo(f"calibrated {fit['services']} services in {fit['groups']} factors; modelled "
               f"link loads off by {fit['relative_l2_before']:.1%} before, "
               f"{fit['relative_l2_after']:.1%} after (relative L2)")
    click.echo(f"wrote {output}/calibrated.yaml, calibration.csv, measured_vs_modelled.csv, "
               "report.html, demands.csv, fit.csv, summary.json")
