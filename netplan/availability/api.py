"""Availability of every district, per plane, to each destination its services reach.

:func:`availability` answers *how many minutes a year is each district cut off from the
data centre, the Internet exit or the core*, from the failure model of
:mod:`netplan.availability.rates` and the decomposition of
:mod:`netplan.availability.compute`. :func:`prepare` builds the reusable
:class:`AvailabilityModel`, whose :meth:`~AvailabilityModel.evaluate` re-answers quickly
with some candidate links counted as built (what a purchase step needs).

Every figure is an estimate: the rates are.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from netplan.availability.compute import PlaneSolver
from netplan.availability.model import PlaneModel, plane_model
from netplan.availability.rates import HOURS_PER_YEAR, RateTable, default_rates, element_rates
from netplan.errors import Problem, ValidationError
from netplan.model.topology import PLANES, Topology

__all__ = ["AVAILABILITY_COLUMNS", "AvailabilityModel", "AvailabilityResult",
           "DEFAULT_PROB_CUTOFF", "TARGETS_ON", "availability", "destinations_of", "prepare", "target_for"]

MINUTES_PER_YEAR = HOURS_PER_YEAR * 60.0
TARGETS_ON = ("end_to_end", "network")
"""What a target is judged on: the whole path including the district's own node and the
destination's (``end_to_end``), or the network between them (``network``)."""
DEFAULT_PROB_CUTOFF = 1e-12
"""Events less likely than this to separate a pair are not split further (their mass is
reported as ``neglected_probability``)."""

AVAILABILITY_COLUMNS = (
    "district", "name_zh", "region", "plane", "destination", "target", "availability",
    "availability_lower_bound", "downtime_min_per_year", "network_availability",
    "network_downtime_min_per_year", "neglected_probability", "judged_on", "meets",
    "dominant_cut", "dominant_cut_share", "network_dominant_cut", "estimate",
)
"""Columns of ``availability.csv``, in order."""


@dataclass(frozen=True, eq=False)
class AvailabilityResult:
    """Availability rows, one per (district, plane, destination), and what they rest on.

    Attributes
    ----------
    topology : str
    scenario : str or None
    rows : tuple of dict
        Keyed by :data:`AVAILABILITY_COLUMNS`. ``availability`` counts the states found to
        cut the district off; ``availability_lower_bound`` also counts the neglected mass
        (the true value lies between them). ``network_availability`` and
        ``network_downtime_min_per_year`` leave out the failures of the district's own node
        and of the destination's: the part links can change. ``meets`` compares the lower
        bound of the measure named in ``judged_on`` (``end_to_end`` or ``network``) with
        the target (None without one); ``judged_lower_bound`` is that lower bound (kept in
        the rows, not written to the CSV). ``dominant_cut`` names the likeliest minimal set of components whose
        failure cuts the district off (``+`` between them); ``dominant_cut_share`` is its
        probability over the unavailability; ``network_dominant_cut`` is the same with the
        end nodes left out.
    prob_cutoff : float
    rates : list of dict
        Every link's, node's and shared-risk group's ``mtbf_h``, ``mttr_h``, ``source``
        and ``estimate`` (the ``failure_rates.csv`` written beside).
    built : tuple of str
        Candidate links counted as built.
    estimate : bool
        Always True: the failure rates are estimates.
    """

    topology: str
    scenario: str | None
    rows: tuple[dict, ...]
    prob_cutoff: float
    rates: list[dict] = field(repr=False)
    built: tuple[str, ...] = ()
    estimate: bool = True

    def row(self, district: str, plane: str, destination: str) -> dict:
        """The row of one (district, plane, destination) (KeyError when absent)."""
        for r in self.rows:
            if (r["district"], r["plane"], r["destination"]) == (district, plane, destination):
                return r
        raise KeyError((district, plane, destination))

    @property
    def meets_targets(self) -> bool | None:
        """True when every row with a target meets it; None when no row has a target."""
        judged = [r["meets"] for r in self.rows if r["meets"] is not None]
        return all(judged) if judged else None

    def misses(self) -> list[dict]:
        """Rows that miss their target, the furthest below it first."""
        rows = [r for r in self.rows if r["meets"] is False]
        return sorted(rows, key=lambda r: r["judged_lower_bound"] - r["target"])

    def summary(self) -> dict:
        """Counts, the worst rows and whether the targets are met (JSON-ready)."""
        worst = sorted(self.rows, key=lambda r: -r["downtime_min_per_year"])[:5]
        return {
            "topology": self.topology,
            "scenario": self.scenario,
            "rows": len(self.rows),
            "districts": len({r["district"] for r in self.rows}),
            "planes": sorted({r["plane"] for r in self.rows}),
            "destinations": {p: sorted({r["destination"] for r in self.rows if r["plane"] == p})
                             for p in sorted({r["plane"] for r in self.rows})},
            "prob_cutoff": self.prob_cutoff,
            "max_neglected_probability": max((r["neglected_probability"] for r in self.rows),
                                             default=0.0),
            "targets_set": sum(r["target"] is not None for r in self.rows),
            "targets_judged_on": self.rows[0]["judged_on"] if self.rows else None,
            "targets_missed": sum(r["meets"] is False for r in self.rows),
            "meets_targets": self.meets_targets,
            "worst": [{k: r[k] for k in ("district", "plane", "destination", "availability",
                                         "downtime_min_per_year", "dominant_cut")}
                      for r in worst],
            "built": list(self.built),
            "estimate": True,
        }

    def to_csv(self) -> str:
        """``availability.csv``: the rows under :data:`AVAILABILITY_COLUMNS`."""
        from netplan.io.tables import records_to_csv

        return records_to_csv(self.rows, AVAILABILITY_COLUMNS, text_safe=True)

    def rates_csv(self) -> str:
        """``failure_rates.csv``: every element's rate and its source."""
        from netplan.io.tables import records_to_csv

        return records_to_csv(self.rates)

    def save(self, directory: str | os.PathLike) -> list[Path]:
        """Write ``availability.csv``, ``failure_rates.csv`` and ``availability_summary.json``."""
        from netplan.io.atomic import write_text_atomic

        directory = Path(directory)
        return [
            write_text_atomic(directory / "availability.csv", self.to_csv()),
            write_text_atomic(directory / "failure_rates.csv", self.rates_csv()),
            write_text_atomic(directory / "availability_summary.json",
                              json.dumps(self.summary(), indent=2, ensure_ascii=False) + "\n"),
        ]


def target_for(targets: Mapping[str, float] | None, node) -> float | None:
    """A district's target: by its id, else its region, else ``"*"`` (None: no target).

    Examples
    --------
    >>> from types import SimpleNamespace as N
    >>> t = {"*": 0.9995, "渝东北": 0.999, "wanzhou": 0.9999}
    >>> [target_for(t, N(id=i, region="渝东北")) for i in ("wanzhou", "kaizhou")]
    [0.9999, 0.999]
    >>> target_for(None, N(id="x", region=None)) is None
    True
    """
    if not targets:
        return None
    for key in (node.id, node.region, "*"):
        if key is not None and key in targets:
            return float(targets[key])
    return None


def _check_targets(targets: Mapping[str, float] | None) -> None:
    bad = [(k, v) for k, v in (targets or {}).items()
           if not isinstance(v, int | float) or not 0 < float(v) < 1]
    if bad:
        raise ValidationError([Problem("", f"targets[{k!r}]",
                                       f"must be a fraction between 0 and 1, got {v!r}")
                               for k, v in bad])


def destinations_of(topology: Topology, scenario=None, *, demand=None) -> dict[str, tuple[str, ...]]:
    """Per plane, the nodes districts send to: the far ends of the scenario's services.

    Without a scenario: every data centre, Internet exit and core of the plane.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> destinations_of(topo, s)
    {'extranet': ('core-1', 'dc-cloud', 'internet-exit', 'national-uplink'), 'intranet': ('core-1', 'dc-cloud')}
    """
    kinds = {node.id: node.kind for node in topology.nodes}
    if scenario is None and demand is None:
        wanted = ("core", "data_centre", "internet_exit")
        return {plane: tuple(n.id for n in topology.nodes_of(plane) if n.kind in wanted)
                for plane in PLANES if topology.links_of(plane)}
    if demand is None:
        from netplan.demand import build_demand

        demand = build_demand(topology, scenario)
    out = {}
    for plane, pd in demand.planes.items():
        found = {int(d) for o, d in zip(pd.od_src, pd.od_dst, strict=True)
                 if kinds.get(pd.node_ids[o]) == "district"
                 and kinds.get(pd.node_ids[d]) != "district"}
        if found:
            out[plane] = tuple(pd.node_ids[d] for d in sorted(found))
    return out


class AvailabilityModel:
    """Everything :func:`availability` needs, built once; :meth:`evaluate` answers.

    Build it with :func:`prepare`. Evaluating all 40 districts of both planes of the default
    network to three destinations takes well under a second; ``districts`` limits the work
    to the districts a purchase can change.
    """

    def __init__(self, topology: Topology, destinations: Mapping[str, tuple[str, ...]], *,
                 scenario: str | None = None, targets: Mapping[str, float] | None = None,
                 failed_nodes: Iterable[str] = (), prob_cutoff: float = DEFAULT_PROB_CUTOFF,
                 targets_on: str = "end_to_end", table: RateTable | None = None):
        _check_targets(targets)
        if targets_on not in TARGETS_ON:
            raise ValidationError([Problem("", "targets_on", f"{targets_on!r}: choose from "
                                           f"{', '.join(TARGETS_ON)}")])
        self.targets_on = targets_on
        if not prob_cutoff >= 0:
            raise ValidationError([Problem("", "prob_cutoff", f"must be >= 0, got {prob_cutoff}")])
        self.topology = topology
        self.destinations = dict(destinations)
        self.scenario = scenario
        self.targets = dict(targets or {})
        self.failed_nodes = frozenset(failed_nodes)
        self.prob_cutoff = float(prob_cutoff)
        self.table = table or default_rates()
        self.rates = element_rates(topology, self.table)
        self._models: dict[tuple[str, tuple[str, ...]], PlaneModel] = {}
        self._rate_rows: list[dict] | None = None

    def plane_model(self, plane: str, built: Iterable[str] = ()) -> PlaneModel:
        """The component model of ``plane`` with ``built`` candidates (kept for reuse)."""
        key = (plane, tuple(sorted(set(built) & self._candidates(plane))))
        if key not in self._models:
            model = plane_model(self.topology, plane, built=key[1], rates=self.rates)
            if self.failed_nodes:
                q = model.q.copy()
                for i, node in enumerate(model.node_ids):
                    if node in self.failed_nodes:
                        q[model.node_component[i]] = 1.0  # down for the whole scenario
                model = replace(model, q=q)
            self._models[key] = model
        return self._models[key]

    def _candidates(self, plane: str) -> set[str]:
        return {lk.id for lk in self.topology.links_of(plane, built_only=False) if lk.candidate}

    def evaluate(self, built: Iterable[str] = (), *, districts: Iterable[str] | None = None
                 ) -> AvailabilityResult:
        """Availability of every (district, plane, destination), ``built`` candidates built.

        Examples
        --------
        >>> import netplan
        >>> topo = netplan.load_topology(netplan.default_topology_path())
        >>> m = prepare(topo, targets={"*": 0.9999})
        >>> before = m.evaluate(districts=["wuxi"]).row("wuxi", "extranet", "dc-cloud")
        >>> after = m.evaluate(["ex-ring-wuxi-fengjie"], districts=["wuxi"])
        >>> after.row("wuxi", "extranet", "dc-cloud")["network_downtime_min_per_year"] < before[
        ...     "network_downtime_min_per_year"]
        True
        """
        built = tuple(built)
        unknown = sorted(set(built) - {lk.id for lk in self.topology.links if lk.candidate})
        if unknown:
            raise ValidationError([Problem("", "built", f"{unknown[0]!r} is not a candidate link")])
        wanted = None if districts is None else set(districts)
        rows: list[dict] = []
        for plane, destinations in self.destinations.items():
            model = self.plane_model(plane, built)
            rows.extend(self._plane_rows(model, destinations, wanted))
        return AvailabilityResult(
            topology=self.topology.name, scenario=self.scenario, rows=tuple(rows),
            prob_cutoff=self.prob_cutoff, rates=self.rate_rows(), built=built)

    def _plane_rows(self, model: PlaneModel, destinations, wanted) -> list[dict]:
        solver = PlaneSolver(model)
        # A second solver whose end sites are made perfect pair by pair (_without_ends).
        network_solver = PlaneSolver(model)
        index = model.node_index
        rows = []
        for node in self.topology.nodes_of(model.plane):
            if node.kind != "district" or (wanted is not None and node.id not in wanted):
                continue
            target = target_for(self.targets, node)
            for destination in destinations:
                s, t = index[node.id], index[destination]
                result = solver.pair(s, t, self.prob_cutoff)
                network = _without_ends(network_solver, model, s, t, self.prob_cutoff)
                rows.append(_row(node, model, destination, target, result, network,
                                 self.targets_on))
        return rows

    def rate_rows(self) -> list[dict]:
        """Every element's rate with its source (``failure_rates.csv``), built once."""
        if self._rate_rows is None:
            self._rate_rows = self._build_rate_rows()
        return self._rate_rows

    def _build_rate_rows(self) -> list[dict]:
        links = {lk.id: lk for lk in self.topology.links}
        out = []
        for kind, table in (("node", self.rates["nodes"]), ("link", self.rates["links"]),
                            ("srlg", self.rates["srlgs"])):
            for element, rate in table.items():
                link = links.get(element) if kind == "link" else None
                out.append({
                    "kind": kind, "id": element,
                    "plane": link.plane if link is not None else "",
                    "candidate": bool(link.candidate) if link is not None else False,
                    "mtbf_h": rate.mtbf_h if rate.mtbf_h != float("inf") else None,
                    "mttr_h": rate.mttr_h,
                    "unavailability": rate.unavailability,
                    "downtime_min_per_year": rate.unavailability * MINUTES_PER_YEAR,
                    "estimate": rate.estimate, "source": rate.source,
                })
        return out


def _without_ends(solver: PlaneSolver, model: PlaneModel, s: int, t: int, cutoff: float):
    """The pair's unavailability with its two end nodes counted as never failing."""
    ends = (model.node_component[s], model.node_component[t])
    saved = [solver.q[c] for c in ends]
    for c in ends:
        solver.q[c], solver.p[c] = 0.0, 1.0
    try:
        return solver.pair(s, t, cutoff)
    finally:
        for c, value in zip(ends, saved, strict=True):
            solver.q[c], solver.p[c] = value, 1.0 - value


def _cut_name(model: PlaneModel, cut: tuple[int, ...]) -> str:
    """``link:a & srlg:duct-a + node:b``: ``+`` between components, ``&`` inside merged ones."""
    return " + ".join(" & ".join(model.members[c]) for c in cut)


def _row(node, model: PlaneModel, destination: str, target, result, network,
         targets_on: str) -> dict:
    u = result.unavailability
    lower = 1.0 - u - result.neglected
    network_lower = 1.0 - network.unavailability - network.neglected
    judged = lower if targets_on == "end_to_end" else network_lower
    cut = _cut_name(model, result.dominant_cut)
    return {
        "district": node.id, "name_zh": node.name_zh, "region": node.region,
        "plane": model.plane, "destination": destination, "target": target,
        "availability": 1.0 - u,
        "availability_lower_bound": lower,
        "downtime_min_per_year": u * MINUTES_PER_YEAR,
        "network_availability": 1.0 - network.unavailability,
        "network_downtime_min_per_year": network.unavailability * MINUTES_PER_YEAR,
        "neglected_probability": max(result.neglected, network.neglected),
        "judged_on": targets_on,
        "judged_lower_bound": judged,
        "meets": None if target is None else bool(judged >= target),
        "dominant_cut": cut,
        "dominant_cut_share": result.dominant_cut_probability / u if u > 0 else 0.0,
        "network_dominant_cut": _cut_name(model, network.dominant_cut),
        "estimate": True,
    }


def prepare(topology: Topology, scenario=None, *, demand=None,
            destinations: Mapping[str, Iterable[str]] | None = None,
            targets: Mapping[str, float] | None = None,
            prob_cutoff: float = DEFAULT_PROB_CUTOFF, targets_on: str = "end_to_end",
            rates_file: str | os.PathLike | None = None) -> AvailabilityModel:
    """Build the reusable :class:`AvailabilityModel` (see :func:`availability`)."""
    topo, failed = topology, ()
    if scenario is not None or demand is not None:
        if demand is None:
            from netplan.demand import build_demand

            demand = build_demand(topology, scenario)
        # The scenario's what-ifs (links removed or added, nodes failed) are part of it.
        topo, failed = demand.whatif.topology, demand.whatif.failed_nodes
    if destinations is None:
        found = destinations_of(topo, scenario, demand=demand)
    else:
        found = {plane: tuple(ids) for plane, ids in destinations.items()}
        _check_destinations(topo, found)
    return AvailabilityModel(
        topo, found, scenario=getattr(scenario, "name", None) or getattr(demand, "scenario", None),
        targets=targets, failed_nodes=failed, prob_cutoff=prob_cutoff, targets_on=targets_on,
        table=default_rates(rates_file) if rates_file is not None else None)


def _check_destinations(topology: Topology, destinations: Mapping[str, tuple[str, ...]]) -> None:
    problems = []
    for plane, ids in destinations.items():
        members = {n.id for n in topology.nodes_of(plane)} if plane in PLANES else set()
        problems += [Problem("", f"destinations[{plane!r}]", f"{d!r} is not a node of that plane")
                     for d in ids if d not in members]
    if problems:
        raise ValidationError(problems)


def availability(topology: Topology, scenario=None, *, demand=None,
                 destinations: Mapping[str, Iterable[str]] | None = None,
                 targets: Mapping[str, float] | None = None,
                 prob_cutoff: float = DEFAULT_PROB_CUTOFF, built: Iterable[str] = (),
                 targets_on: str = "end_to_end",
                 rates_file: str | os.PathLike | None = None) -> AvailabilityResult:
    """Availability of every district, per plane, to each destination its services reach.

    Parameters
    ----------
    topology : Topology
    scenario : Scenario, optional
        Its services name the destinations (data centres, Internet exit, cores) and its
        what-ifs apply. Without one, every data centre, Internet exit and core.
    demand : Demand, optional
        The scenario's demand, when already built.
    destinations : mapping, optional
        Plane → destination node ids, instead of the scenario's.
    targets : mapping, optional
        Availability targets (fractions, e.g. ``0.9999``) by district id, region, or ``"*"``
        for every district; the most specific applies.
    prob_cutoff : float, optional
        The cut-off of the decomposition (0: exact, and slow on large networks).
    built : iterable of str, optional
        Candidate links to count as built.
    targets_on : {"end_to_end", "network"}, optional
        Judge targets on the whole path (default) or on the network between the two end
        nodes (leaving out their own failures, which no link purchase changes).
    rates_file : path, optional
        Default failure rates to use instead of the shipped ``failure_rates.csv``.

    Returns
    -------
    AvailabilityResult

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> result = availability(topo, s, targets={"*": 0.999})
    >>> len(result.rows), result.meets_targets
    (240, True)
    >>> row = result.row("wanzhou", "extranet", "dc-cloud")
    >>> 0.999 < row["availability"] < 1, row["dominant_cut"]
    (True, 'node:wanzhou')
    """
    return prepare(topology, scenario, demand=demand, destinations=destinations,
                   targets=targets, prob_cutoff=prob_cutoff, targets_on=targets_on,
                   rates_file=rates_file).evaluate(built)
