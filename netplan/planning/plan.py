"""The capacity plan both planners return: its rows, its totals and the files it is saved as.

A :class:`Plan` holds, per link and year and per data centre and year, what is installed,
what is bought, what it costs and why. The routed planner returns a :class:`RoutedPlan`, a
plan that also carries its MILP solves, notes and routing.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netplan.io.atomic import write_text_atomic
from netplan.io.tables import records_to_csv
from netplan.model.topology import Topology
from netplan.planning.costs import plan_costs

__all__ = [
    "DEMAND_BASIS",
    "PLAN_COLUMNS",
    "ROUTE_COLUMNS",
    "Plan",
    "RoutedPlan",
    "sized_topology",
]

PLAN_COLUMNS = (
    "item",
    "id",
    "plane",
    "district",
    "year",
    "tier",
    "modules",
    "capacity_gbps",
    "racks",
    "racks_added",
    "purchase",
    "modules_bought",
    "unit_price_cny",
    "build_capex_cny",
    "capex_cny",
    "opex_cny",
    "existing_opex_cny",
    "marginal_cost_cny",
    "reason",
)
"""The columns of a plan's rows (see :func:`netplan.planning.rows.plan_row`): ``modules`` is
what is installed after the year's purchase, ``modules_bought`` what the year buys (racks
for a data centre), and ``capex_cny == modules_bought * unit_price_cny + build_capex_cny``."""
ROUTE_COLUMNS = (
    "plane",
    "year",
    "origin",
    "destination",
    "path_nodes",
    "path_links",
    "gbps",
    "share",
)
DEMAND_BASIS = (
    "each od's peak over the hours of the year (conservative: ods that peak at different "
    "hours are sized as if they peaked together)"
)


def _csv_table(rows: Iterable[dict], columns: Sequence[str], float_format: str) -> str:
    """CSV text of ``rows`` restricted to ``columns``, floats written with ``float_format``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: (format(v, float_format) if isinstance(v, float) else v)
                for k, v in row.items()
                if k in columns
            }
        )
    return buffer.getvalue()


def _json_text(document) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def sized_topology(topology: Topology, plan_rows: Iterable[dict], year: int) -> Topology:
    """``topology`` with every link at the tier and modules the plan gives it in ``year``.

    Parameters
    ----------
    topology : Topology
        The network the plan was made for.
    plan_rows : iterable of dict
        Rows as in :attr:`Plan.rows`; a link without a row in ``year``, or whose row has no
        tier, keeps what it has.
    year : int

    Returns
    -------
    Topology
        The links of the plan at its tier, module count and capacity, and no longer
        candidates.
    """
    by_link = {r["id"]: r for r in plan_rows if r["item"] == "link" and r["year"] == year}
    links = []
    for link in topology.links:
        row = by_link.get(link.id)
        if row is None or not row["tier"]:
            links.append(link)
            continue
        links.append(
            link.model_copy(
                update={
                    "tier": row["tier"],
                    "modules": row["modules"],
                    "capacity_gbps": row["capacity_gbps"],
                    "candidate": False,
                }
            )
        )
    return topology.model_copy(update={"links": tuple(links)})


@dataclass(frozen=True)
class Plan:
    """A capacity plan and everything needed to defend it line by line.

    Attributes
    ----------
    rows : tuple of dict
        Per link and year, and per data centre and year (``item`` says which), with the
        columns of :data:`PLAN_COLUMNS`: tier, modules installed, capacity, racks, what is
        bought and at what unit price, capex, opex and the opex of what was installed
        before the plan in CNY (undiscounted, in the year paid), and for purchases the
        reason and marginal cost.
    status : str
        ``optimal`` (fixed mode is solved exactly), ``infeasible`` (see ``infeasibilities``),
        or the solver's status in optimized mode.
    objective_cny, bound_cny, gap : float
        The optimizer's objective (the discounted run cost of the whole network over the
        horizon, what is already installed included: not what the plan costs to buy; see
        :meth:`costs`), the proven lower bound and the relative gap.
    infeasibilities : tuple of dict
        What cannot be satisfied and by how much.
    check : dict
        The independent re-analysis of the sized network.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.build_topology({
    ...     "name": "pair",
    ...     "tiers": [{"name": "10G", "capacity_gbps": 10, "capex_cny": 100,
    ...                "opex_cny_per_year": 10}],
    ...     "nodes": [{"id": n, "name": n, "kind": "core", "lat": 29.5 + i / 10, "lon": 106.5,
    ...                "planes": ["extranet"]} for i, n in enumerate("AB")],
    ...     "links": [{"id": "AB", "a": "A", "b": "B", "plane": "extranet", "tier": "10G",
    ...                "weight": 1}]})
    >>> row = {"item": "link", "id": "AB", "year": 2027, "tier": "10G", "modules": 2,
    ...        "capacity_gbps": 20.0}
    >>> plan = Plan("pair", "s", "fixed", (2026, 2027), 0.05, (row,), "optimal", 0.0, 0.0, 0.0)
    >>> link = plan.sized_topology(topo).links[0]
    >>> link.tier, link.modules, link.capacity_gbps
    ('10G', 2, 20.0)
    """

    topology: str
    scenario: str
    routing: str
    years: tuple[int, ...]
    discount_rate: float
    rows: tuple[dict, ...]
    status: str
    objective_cny: float
    bound_cny: float
    gap: float
    infeasibilities: tuple[dict, ...] = ()
    check: dict = field(default_factory=dict)
    estimate: bool = True

    def purchases(self) -> list[dict]:
        """The rows that buy something."""
        return [r for r in self.rows if r["purchase"]]

    @property
    def res_link(self) -> dict[str, dict[int, dict]]:
        """The plan of every link, keyed by link id (in the order of the rows), then by year.

        Examples
        --------
        >>> import netplan
        >>> topo = netplan.load_topology(netplan.default_topology_path())
        >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
        >>> plan = netplan.optimize(topo, s, check=False)
        >>> plan.res_link["ex-wanzhou-1"][2026]["tier"]
        '1G'
        """
        return self._table("link")

    @property
    def res_dc(self) -> dict[str, dict[int, dict]]:
        """The racks of every data centre, keyed by data-centre id, then by year."""
        return self._table("data_centre")

    def _table(self, item: str) -> dict[str, dict[int, dict]]:
        table: dict[str, dict[int, dict]] = {}
        for row in self.rows:
            if row["item"] == item:
                table.setdefault(row["id"], {})[row["year"]] = row
        return table

    def sized_topology(self, topology: Topology, year: int | None = None) -> Topology:
        """``topology`` with every link at the tier, modules and capacity of the plan.

        Parameters
        ----------
        topology : Topology
            The network the plan was made for.
        year : int, optional
            The planning year; the plan's last year by default.

        Returns
        -------
        Topology
            See :func:`sized_topology`.
        """
        return sized_topology(topology, self.rows, self.years[-1] if year is None else year)

    def costs(self) -> dict:
        """The plan's one costs object: what is bought apart from what already runs (CNY).

        ``purchases`` holds the capex of what the plan buys and the opex it adds per year
        (the plan's installation's opex less the network's as it stands; replacements and
        candidate links included as :func:`netplan.planning.costs.plan_costs` defines), with
        their discounted total; ``existing_network`` the running cost of the network as it
        stands; ``plan_discounted_total_cny`` their sum, which equals :attr:`objective_cny`
        up to rounding for both planners. Every figure is labelled (``labels``), in CNY and
        an estimate.

        Returns
        -------
        dict
            See :func:`netplan.planning.costs.plan_costs`.

        Examples
        --------
        >>> import netplan
        >>> topo = netplan.load_topology(netplan.default_topology_path())
        >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
        >>> plan = netplan.optimize(topo, s, check=False)
        >>> c = plan.costs()
        >>> c["purchases"]["capex_total_cny"] == sum(r["capex_cny"] for r in plan.purchases())
        True
        >>> abs(c["plan_discounted_total_cny"] - plan.objective_cny) < 1e-6 * plan.objective_cny
        True
        """
        return plan_costs(self.rows, self.years, self.discount_rate)

    def summary(self) -> dict:
        """Status, gap, bound and the costs object (JSON-ready).

        ``objective_cny`` is the optimizer's objective (the discounted run cost of the whole
        network over the horizon, what is installed already included); what the plan
        costs to buy is ``costs.purchases``.
        """
        return {
            "topology": self.topology,
            "scenario": self.scenario,
            "routing": self.routing,
            "years": list(self.years),
            "status": self.status,
            "objective_cny": self.objective_cny,
            "bound_cny": self.bound_cny,
            "gap": self.gap,
            "purchases": len(self.purchases()),
            "infeasibilities": list(self.infeasibilities),
            "check": self.check,
            "costs": self.costs(),
            "estimate": True,
        }

    def to_csv(self) -> str:
        """``plan.csv``: one row per link and year and per data centre and year."""
        return _csv_table(self.rows, PLAN_COLUMNS, ".2f")

    def save(self, directory: str | os.PathLike) -> list[Path]:
        """Write ``plan.json``, ``plan.csv`` and ``costs.json``."""
        directory = Path(directory)
        document = self.summary() | {"rows": list(self.rows)}
        return [
            write_text_atomic(directory / "plan.json", _json_text(document)),
            write_text_atomic(directory / "plan.csv", self.to_csv()),
            write_text_atomic(directory / "costs.json", _json_text(self.costs())),
        ]


@dataclass(frozen=True)
class RoutedPlan(Plan):
    """A :class:`Plan` from the routed optimizer, with its routing.

    Attributes
    ----------
    solves : tuple of dict
        One per plane and year: the MILP's status, objective, bound and gap (undiscounted
        CNY of that year), time and size. The plan's ``objective_cny``, ``bound_cny`` and
        ``gap`` are their discounted sums (plus the racks, which are exact).
    notes : tuple of str
        What the reader must know (fallbacks, time limits, the demand basis).
    routes : tuple of dict
        The no-failure routing: every path with flow, per plane and year.
    """

    solves: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()
    routes: tuple[dict, ...] = field(default=(), repr=False)

    def summary(self) -> dict:
        """Status, gap, bound, costs, the per-year solves and the notes (JSON-ready).

        Quantities that do not exist (the bound of an infeasible plan) are ``None``.
        """
        return _json_safe(
            super().summary()
            | {
                "solves": list(self.solves),
                "notes": list(self.notes),
                "demand_basis": DEMAND_BASIS,
            }
        )

    def routes_csv(self) -> str:
        """``routes.csv``: the no-failure path flows of every plane and year (6 digits)."""
        return records_to_csv(self.routes, ROUTE_COLUMNS, digits=6)

    def save(self, directory: str | os.PathLike) -> list[Path]:
        """Write ``plan.json``, ``plan.csv``, ``costs.json`` and ``routes.csv``."""
        written = super().save(directory)
        return [*written, write_text_atomic(Path(directory) / "routes.csv", self.routes_csv())]


def _json_safe(value):
    """``value`` with NaN and infinite floats replaced by None (strict JSON has neither)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
