"""The ``availability`` verb: minutes a year each district is cut off, and who is left behind.

``load → availability() and equity() → save → print``: the work is in
:mod:`netplan.availability`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from netplan.cli.options import load_scenario_arg, load_topology_arg, output_option
from netplan.io.text import terminal_safe

WORST_SHOWN = 5


def parse_targets(overall: str | None, per_key: tuple[str, ...]) -> dict[str, float]:
    """``--target 99.99`` and ``--target-for KEY=PCT`` as fractions by key (``"*"``: all).

    Examples
    --------
    >>> parse_targets("99.95", ("渝东北=99.9", "wanzhou=99.99"))
    {'*': 0.9995, '渝东北': 0.999, 'wanzhou': 0.9999}
    """
    from netplan.errors import Problem, ValidationError

    given = ([("*", overall, "--target")] if overall is not None else []) + [
        (*item.split("=", 1), "--target-for") if "=" in item else ("", item, "--target-for")
        for item in per_key]
    out: dict[str, float] = {}
    problems = []
    for key, text, option in given:
        try:
            percent = float(text)
        except ValueError:
            percent = float("nan")
        if not key.strip():
            problems.append(Problem(option, "", f"{text!r}: give KEY=PERCENT (a district id, "
                                    "a region, or * for every district)"))
        elif not 0 < percent < 100:
            problems.append(Problem(option, key, f"{text!r} is not a percentage between 0 and "
                                    "100 (e.g. 99.99)"))
        else:
            out[key.strip()] = round(percent / 100.0, 12)
    if problems:
        raise ValidationError(problems)
    return out


@click.command()
@click.argument("topology", required=False, type=click.Path(dir_okay=False))
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option("--target", default=None, metavar="PERCENT",
              help="Availability target for every district, in percent (e.g. 99.99).")
@click.option("--target-for", "target_for", multiple=True, metavar="KEY=PERCENT",
              help="Target for one district id or one region (e.g. 渝东北=99.95); repeat it. "
                   "The most specific target applies: district, then region, then --target.")
@click.option("--targets-on", type=click.Choice(["end_to_end", "network"]), default="end_to_end",
              show_default=True, help="Judge targets on the whole path, or on the network "
              "between the district's node and the destination's (leaving out their own "
              "failures, which no link purchase changes).")
@click.option("--prob-cutoff", type=click.FloatRange(min=0, max=1e-6), default=1e-12,
              show_default=True, help="Events less likely than this are not split further; "
              "their probability is reported as the neglected bound.")
@output_option()
def availability(topology: str | None, scenario: str | None, target: str | None,
                 target_for: tuple[str, ...], targets_on: str, prob_cutoff: float, output: str,
                 overwrite: bool) -> None:
    """How many minutes a year each district is cut off, per plane and destination.

    With no TOPOLOGY and SCENARIO it runs on the default network and the baseline scenario.
    Writes availability.csv (per district, plane and destination: target, availability,
    downtime minutes per year, whether it meets the target, the dominant cut), equity.csv
    (per district: bandwidth per resident and per staff member, worst-hour utilisation,
    availability, latency to the data centre), failure_rates.csv (every rate and its
    source) and summary.json to -o DIR. All figures are estimates. Exit code 3 when a target
    is set and missed.
    """
    import json
    from pathlib import Path

    import netplan
    from netplan.availability import equity, prepare
    from netplan.cli.answer import wrote_line
    from netplan.demand import build_demand
    from netplan.io.atomic import staged_output_dir, write_text_atomic

    targets = parse_targets(target, target_for)
    topo = load_topology_arg(topology)
    scen = load_scenario_arg(scenario, topo)
    demand = build_demand(topo, scen)
    with _naming_file(topology or str(netplan.default_topology_path())):
        result = prepare(topo, scen, demand=demand, targets=targets, targets_on=targets_on,
                         prob_cutoff=prob_cutoff).evaluate()
    fairness = equity(demand.whatif.topology, scen, demand=demand, availability=result)
    summary = {"availability": result.summary(), "equity": fairness.summary(),
               "meets_targets": result.meets_targets, "estimate": True}
    files = {"availability.csv": result.to_csv(), "equity.csv": fairness.to_csv(),
             "failure_rates.csv": result.rates_csv(),
             "summary.json": json.dumps(summary, indent=2, ensure_ascii=False) + "\n"}
    with staged_output_dir(output, overwrite=overwrite) as stage:
        for name, text in files.items():
            write_text_atomic(Path(stage) / name, text)
    _echo(result)
    click.echo(wrote_line(output, list(files)))
    if result.meets_targets is False:
        raise SystemExit(3)


@contextmanager
def _naming_file(path: str) -> Iterator[None]:
    """Problems found in the topology's failure fields name its file."""
    from netplan.errors import Problem, ValidationError

    try:
        yield
    except ValidationError as exc:
        raise ValidationError([Problem(p.file or path, p.field, p.message, p.line)
                               for p in exc.problems]) from None


def _echo(result) -> None:
    summary = result.summary()
    click.echo(f"availability of {summary['districts']} districts in "
               f"{' and '.join(summary['planes'])}: {summary['rows']} (district, plane, "
               f"destination) rows (estimates; neglected probability at most "
               f"{summary['max_neglected_probability']:.1e})")
    click.echo("most downtime (minutes per year):")
    for row in summary["worst"][:WORST_SHOWN]:
        click.echo(terminal_safe(
            f"  {row['district']:<14} {row['plane']:<9} → {row['destination']:<16} "
            f"{100 * row['availability']:.4f} %  {row['downtime_min_per_year']:7.1f} min  "
            f"cut: {row['dominant_cut']}"))
    if result.meets_targets is None:
        click.echo("no availability target set (--target, --target-for)")
        return
    missed = result.misses()
    if not missed:
        click.echo(f"verdict: meets targets ({summary['targets_set']} rows with a target)")
        return
    click.echo(f"verdict: misses targets ({len(missed)} of {summary['targets_set']} rows, "
               f"judged {summary['targets_judged_on'].replace('_', ' ')})")
    for row in missed[:WORST_SHOWN]:
        click.echo(terminal_safe(
            f"  - {row['district']} {row['plane']} → {row['destination']}: "
            f"{100 * row['judged_lower_bound']:.4f} % < {100 * row['target']:.4f} % "
            f"(dominant cut {row[_cut_column(row)]})"))
    if len(missed) > WORST_SHOWN:
        click.echo(f"  … and {len(missed) - WORST_SHOWN} more in availability.csv")


def _cut_column(row: dict) -> str:
    return "network_dominant_cut" if row["judged_on"] == "network" else "dominant_cut"
