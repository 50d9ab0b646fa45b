"""Failure rates of links, nodes and shared-risk groups, with their sources.

Every element of a topology fails and is repaired as an alternating process: it works for a
mean time ``mtbf_h`` (its mean up time), then is down for a mean time ``mttr_h``. Its
steady-state unavailability is ``mttr_h / (mtbf_h + mttr_h)``.

Where the topology does not say, the defaults of ``topologies/data/failure_rates.csv`` apply
(every row there names its source and is marked an estimate):

* a **link** fails when its cable is cut (a rate per 1,000 km of route for its cable type,
  ``buried``, ``aerial`` or ``leased``, times its length) or its end ports fail (a rate per
  link); the two causes add, and the repair time is their rate-weighted mean;
* a **node** fails at the rate of its kind (district, core, data centre …);
* a **shared-risk group** has the rate of its kind, read from the group's name up to its
  first ``-`` (``duct-wanzhou-1`` is a ``duct``, ``carrier-a`` a ``carrier``; others are
  ``other``) unless the topology's ``srlg_rates`` table gives its own.

Per-link ``mtbf_h``/``mttr_h``/``cable``, per-node ``mtbf_h``/``mttr_h`` and the
``srlg_rates`` table override the defaults; an overridden value is no longer an estimate
unless the topology says so (``srlg_rates[].estimate``; nodes name it in ``estimate_fields``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from netplan.errors import Problem, ValidationError
from netplan.model.topology import CABLE_TYPES, NODE_KINDS, Link, Node, Topology

__all__ = ["HOURS_PER_YEAR", "Rate", "RateTable", "default_rates", "element_rates",
           "link_rate", "node_rate", "rates_path", "srlg_kind", "srlg_rate"]

HOURS_PER_YEAR = 8760.0
"""Hours in a (non-leap) year: rates per year and downtime minutes per year use it."""

_COLUMNS = ("category", "name", "default", "failures_per_year", "failures_per_1000_km_year",
            "mttr_h", "estimate", "source")


@dataclass(frozen=True)
class Rate:
    """How often one element fails and how long it stays down.

    Attributes
    ----------
    mtbf_h : float
        Mean up time between failures, hours (``inf``: never fails).
    mttr_h : float
        Mean time to repair, hours.
    source : str
        Where the figures come from.
    estimate : bool

    Examples
    --------
    >>> r = Rate(mtbf_h=8756.0, mttr_h=4.0, source="x", estimate=True)
    >>> round(r.unavailability * 8760, 3), round(r.failures_per_year, 4)
    (4.0, 1.0005)
    """

    mtbf_h: float
    mttr_h: float
    source: str
    estimate: bool

    @property
    def unavailability(self) -> float:
        """Steady-state probability of being down: ``mttr / (mtbf + mttr)``."""
        if self.mtbf_h == float("inf"):
            return 0.0
        return self.mttr_h / (self.mtbf_h + self.mttr_h)

    @property
    def failures_per_year(self) -> float:
        """Failures per year of up time (8,760 h / ``mtbf_h``)."""
        return HOURS_PER_YEAR / self.mtbf_h


@dataclass(frozen=True)
class RateTable:
    """The default rates: per cable type, link ports, node kind and shared-risk-group kind.

    Attributes
    ----------
    cable : dict
        Cable type → ``(failures_per_1000_km_year, mttr_h, source, estimate)``.
    default_cable : str
        The cable type of a link that names none.
    ports : tuple
        ``(failures_per_year, mttr_h, source, estimate)`` of a link's end ports.
    node : dict
        Node kind → ``(failures_per_year, mttr_h, source, estimate)``.
    srlg : dict
        Group kind (``duct``, ``carrier``, ``other`` …) → the same four.
    default_srlg : str
        The kind of a group whose name's kind is not in ``srlg``.
    path : str
        The file read.
    """

    cable: dict
    default_cable: str
    ports: tuple
    node: dict
    srlg: dict
    default_srlg: str
    path: str


def rates_path() -> Path:
    """Path of the shipped default rates, ``topologies/data/failure_rates.csv``.

    Examples
    --------
    >>> rates_path().name
    'failure_rates.csv'
    """
    from netplan import _data_dir

    return _data_dir("topologies") / "data" / "failure_rates.csv"


@lru_cache(maxsize=4)
def _read_table(path: str) -> RateTable:
    from netplan.io.safe_read import read_input_text

    text = read_input_text(path)
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != _COLUMNS:
        raise ValidationError([Problem(path, "", f"expected the columns {', '.join(_COLUMNS)}", 1)])
    table: dict[str, dict] = {"cable": {}, "link": {}, "node": {}, "srlg": {}}
    defaults: dict[str, str] = {}
    for line, row in enumerate(rows, 2):
        category, name = row["category"], row["name"]
        if category not in table:
            raise ValidationError([Problem(path, "category", f"unknown category {category!r}", line)])
        try:
            per_km = category == "cable"
            rate = float(row["failures_per_1000_km_year" if per_km else "failures_per_year"])
            mttr_h = float(row["mttr_h"])
        except ValueError:
            raise ValidationError([Problem(path, name, "rate and mttr_h must be numbers", line)]) from None
        if not (rate >= 0 and mttr_h > 0) or rate == float("inf") or mttr_h == float("inf"):
            raise ValidationError([Problem(path, name, "rates must be >= 0 and mttr_h > 0", line)])
        estimate = row["estimate"].strip().lower() == "true"
        table[category][name] = (rate, mttr_h, row["source"], estimate)
        if row["default"].strip().lower() == "true":
            defaults[category] = name
    missing = [f"cable {c}" for c in CABLE_TYPES if c not in table["cable"]]
    missing += [f"node {k}" for k in NODE_KINDS if k not in table["node"]]
    missing += ["link ports"] if "ports" not in table["link"] else []
    missing += [f"a default {c}" for c in ("cable", "srlg") if c not in defaults]
    if missing:
        raise ValidationError([Problem(path, "", f"missing rows: {', '.join(missing)}")])
    return RateTable(cable=table["cable"], default_cable=defaults["cable"],
                     ports=table["link"]["ports"], node=table["node"], srlg=table["srlg"],
                     default_srlg=defaults["srlg"], path=path)


def default_rates(path: str | Path | None = None) -> RateTable:
    """The default rates (the shipped file unless ``path`` names another), read once.

    Examples
    --------
    >>> table = default_rates()
    >>> table.default_cable, table.cable["buried"][:2]
    ('leased', (2.7, 12.0))
    """
    return _read_table(str(path or rates_path()))


def _mtbf(failures_per_year: float) -> float:
    return HOURS_PER_YEAR / failures_per_year if failures_per_year > 0 else float("inf")


def link_rate(link: Link, table: RateTable | None = None) -> Rate:
    """The failure rate of one link: its own ``mtbf_h``/``mttr_h``, or cable cuts plus ports.

    Examples
    --------
    >>> from netplan.model.topology import Link
    >>> r = link_rate(Link(id="l", a="x", b="y", plane="extranet", length_km=1000,
    ...                    cable="buried"))
    >>> round(r.failures_per_year, 2), round(r.mttr_h, 3)
    (2.75, 11.855)
    """
    table = table or default_rates()
    cable = link.cable or table.default_cable
    per_1000_km, cable_mttr_h, cable_source, cable_estimate = table.cable[cable]
    cuts = per_1000_km * (link.length_km or 0.0) / 1000.0
    ports, ports_mttr_h, ports_source, ports_estimate = table.ports
    total = cuts + ports
    # Two causes of one outage: rates add, repair is their rate-weighted mean.
    mttr_h = (cuts * cable_mttr_h + ports * ports_mttr_h) / total if total > 0 else cable_mttr_h
    source = f"cable {cable}: {cable_source}; ports: {ports_source}"
    estimate = cable_estimate or ports_estimate
    mtbf_h = _mtbf(total)
    if link.mtbf_h is not None or link.mttr_h is not None:
        source = "topology (link's own mtbf_h/mttr_h); otherwise " + source
        estimate = link.mtbf_h is None or link.mttr_h is None
        mtbf_h = link.mtbf_h if link.mtbf_h is not None else mtbf_h
        mttr_h = link.mttr_h if link.mttr_h is not None else mttr_h
    return Rate(mtbf_h=mtbf_h, mttr_h=mttr_h, source=source, estimate=estimate)


def node_rate(node: Node, table: RateTable | None = None) -> Rate:
    """The failure rate of one node: its own ``mtbf_h``/``mttr_h``, or its kind's.

    Examples
    --------
    >>> from netplan.model.topology import Node
    >>> r = node_rate(Node(id="n", name="N", kind="district", lat=30, lon=107))
    >>> r.mtbf_h, r.mttr_h, r.estimate
    (43800.0, 4.0, True)
    """
    table = table or default_rates()
    failures, mttr_h, source, estimate = table.node[node.kind]
    mtbf_h = _mtbf(failures)
    if node.mtbf_h is not None or node.mttr_h is not None:
        mtbf_h = node.mtbf_h if node.mtbf_h is not None else mtbf_h
        mttr_h = node.mttr_h if node.mttr_h is not None else mttr_h
        source = f"topology (node's own mtbf_h/mttr_h); otherwise {node.kind}: {source}"
        estimate = (node.mtbf_h is None or node.mttr_h is None
                    or bool({"mtbf_h", "mttr_h"} & set(node.estimate_fields)))
    return Rate(mtbf_h=mtbf_h, mttr_h=mttr_h, source=source, estimate=estimate)


def srlg_kind(group: str, table: RateTable | None = None) -> str:
    """The kind of a shared-risk group: its name up to the first ``-``, if that kind has a rate.

    Examples
    --------
    >>> srlg_kind("duct-wanzhou-1"), srlg_kind("carrier-a"), srlg_kind("bridge7")
    ('duct', 'carrier', 'other')
    """
    table = table or default_rates()
    kind = group.split("-", 1)[0]
    return kind if kind in table.srlg else table.default_srlg


def srlg_rate(topology: Topology, group: str, table: RateTable | None = None) -> Rate:
    """The rate of shared-risk group ``group``: the topology's ``srlg_rates`` row, or its kind's.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> srlg_rate(topo, "carrier-a").mtbf_h
    43800.0
    """
    for row in topology.srlg_rates:
        if row.group == group:
            return Rate(mtbf_h=row.mtbf_h, mttr_h=row.mttr_h,
                        source=row.source or "topology (srlg_rates)", estimate=row.estimate)
    table = table or default_rates()
    kind = srlg_kind(group, table)
    failures, mttr_h, source, estimate = table.srlg[kind]
    return Rate(mtbf_h=_mtbf(failures), mttr_h=mttr_h, source=f"{kind}: {source}",
                estimate=estimate)


def element_rates(topology: Topology, table: RateTable | None = None) -> dict[str, dict[str, Rate]]:
    """Every link's, node's and shared-risk group's rate: ``{"links": …, "nodes": …, "srlgs": …}``.

    Refuses an ``srlg_rates`` row for a group no link names (a misspelt group would
    otherwise be silently ignored).

    Examples
    --------
    >>> import netplan
    >>> rates = element_rates(netplan.load_topology(netplan.default_topology_path()))
    >>> sorted(rates), rates["nodes"]["core-1"].mtbf_h
    (['links', 'nodes', 'srlgs'], 175200.0)
    """
    table = table or default_rates()
    groups = dict.fromkeys(g for link in topology.links for g in link.srlg)
    unknown = [row.group for row in topology.srlg_rates if row.group not in groups]
    if unknown:
        raise ValidationError([Problem("", f"srlg_rates.{g}",
                                       "no link is in this shared-risk group")
                               for g in unknown])
    return {
        "links": {link.id: link_rate(link, table) for link in topology.links},
        "nodes": {node.id: node_rate(node, table) for node in topology.nodes},
        "srlgs": {group: srlg_rate(topology, group, table) for group in groups},
    }
