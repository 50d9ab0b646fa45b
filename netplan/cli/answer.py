"""The answer a command prints: the run's verdict, its findings and what to buy at what cost.

Every verb that judges a network (``analyze``, ``optimize``, ``plan``) prints the verdict the
same way and ends with its exit code: 0 meets targets, 3 ran but does not meet them.
"""

from __future__ import annotations

import click

from netplan.io.text import terminal_safe

__all__ = ["FINDINGS_SHOWN", "echo_verdict", "exit_with", "purchases_line", "wrote_line"]

FINDINGS_SHOWN = 8


def echo_verdict(verdict, where: str) -> None:
    """Print the verdict's headline and its first findings; ``where`` names the full list."""
    click.echo(f"verdict: {'meets targets' if verdict.meets_targets else 'misses targets'}")
    if verdict.meets_targets:
        click.echo(f"  {terminal_safe(verdict.headline('en').split(': ', 1)[1])}")
        return
    lines = verdict.lines("en")
    for line in lines[:FINDINGS_SHOWN]:
        click.echo(f"  - {terminal_safe(line)}")
    if len(lines) > FINDINGS_SHOWN:
        click.echo(f"  … and {len(lines) - FINDINGS_SHOWN} more findings in {where}")


def purchases_line(plan) -> str:
    """What to buy and what it costs, from the plan's costs object (estimates).

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> purchases_line(netplan.optimize(topo, s, check=False)).startswith("buy 3 items")
    True
    """
    costs = plan.costs()
    bought = costs["purchases"]
    count = len(plan.purchases())
    if not count:
        return "buy nothing: the network as it stands is enough (estimates)"
    per_year = {y: v for y, v in bought["capex_per_year_cny"].items() if v}
    years = ""
    if len(per_year) > 1:
        years = " (" + "; ".join(f"{y}: {v:,.0f}" for y, v in per_year.items()) + ")"
    opex = bought["added_opex_per_year_cny"]
    last_year = list(opex)[-1] if opex else ""
    added = opex.get(last_year, 0.0) if opex else 0.0
    by = f" by {last_year}" if len(opex) > 1 else ""
    return (f"buy {count} item{'s' if count != 1 else ''} for {bought['capex_total_cny']:,.0f} "
            f"CNY capex{years}, adding {added:,.0f} CNY/year opex{by}; discounted "
            f"{bought['discounted_total_cny']:,.0f} CNY over the horizon (estimates)")


def wrote_line(directory, names, *, index: str | None = None) -> str:
    """``wrote DIR: a, b, c`` naming every file written (netplan's hidden marker aside).

    With ``index`` (the file in ``directory`` that says what each file holds), the count of
    files and where to read about them instead.

    Examples
    --------
    >>> wrote_line("out/x", ["b.csv", ".netplan-output", "a.json"])
    'wrote out/x: a.json, b.csv'
    >>> wrote_line("out/x", ["b.csv", ".netplan-output", "index.md"], index="index.md")
    'wrote out/x: 2 files — see out/x/index.md'
    """
    shown = sorted(n for n in names if not n.startswith("."))
    if index is not None:
        where = f"{str(directory).rstrip('/')}/{index}"
        count = f"{len(shown)} file{'s' if len(shown) != 1 else ''}"
        return terminal_safe(f"wrote {directory}: {count} — see {where}")
    return terminal_safe(f"wrote {directory}: {', '.join(shown)}")


def exit_with(verdict) -> None:
    """End the command with the verdict's exit code when it is not 0."""
    if verdict.exit_code:
        raise SystemExit(verdict.exit_code)
