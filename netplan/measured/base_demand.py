"""A plan's base year from measured (deduced) demand, grown by the scenario's rates.

``demands.csv`` (written by ``egov-netplan deduce`` or ``calibrate``) gives Gbit/s per plane,
origin, destination and time slot. The base year of every plane it covers becomes:

* per hour of the day, the mean over the days measured of each od's deduced demand; an hour
  without measurements takes the modelled hourly shape, scaled by measured / modelled over
  the hours measured (a single slot without a time counts as the plane's modelled busy hour);
* split among the scenario's services in proportion to their modelled demand on that od and
  hour (on an od the model has no traffic for, in proportion to the services' plane totals),
  so every service keeps its targets, sessions and growth rate;
* grown year by year with each service's growth rate. The measured level already holds what
  ``scale_service`` factors would say, so they are not applied again.

The base year of a measured plane is a measurement (deduced from counters), not an estimate;
later years, and planes without measurements, remain estimates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from netplan.demand import HOURS, Demand, PlaneDemand, build_demand
from netplan.errors import Problem, ValidationError
from netplan.measured.counters import _Problems, _rows, _slot_time
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology

__all__ = ["MeasuredDemand", "measured_base_demand", "read_deduced_demands"]


@dataclass(frozen=True)
class MeasuredDemand(Demand):
    """Demand whose base year comes from measurements, for the planes in ``measured_planes``."""

    measured_planes: tuple[str, ...] = ()
    source: str = ""

    def busy_hour_totals(self) -> list[dict]:
        """As :meth:`Demand.busy_hour_totals`, with the measured base year not an estimate."""
        rows = super().busy_hour_totals()
        for row in rows:
            pd = self.planes[row["plane"]]
            measured = row["plane"] in self.measured_planes and row["year"] == pd.years[0]
            row["estimate"] = not measured
            row["base"] = "measured" if measured else "modelled"
        return rows


@dataclass(frozen=True)
class DeducedPlane:
    """Measured demand of one plane: per hour of the day, per (origin, destination)."""

    gbps: dict[tuple[str, str], np.ndarray]  # od -> [hour] (NaN where not measured)
    hours: np.ndarray  # bool [hour]: measured


def read_deduced_demands(path: str | os.PathLike, topology: Topology) -> dict[str, DeducedPlane]:
    """Read ``demands.csv`` for ``topology``: per plane, each od's mean Gbit/s per hour.

    A file without a ``plane`` column belongs to the plane its nodes are in (the extranet
    when both). Unknown planes or nodes are bad input, with file and line.

    Examples
    --------
    >>> import netplan, tempfile, pathlib
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "demands.csv"
    >>> _ = f.write_text("plane,src,dst,time,gbps\\n"
    ...                  "intranet,wanzhou,dc-cloud,2026-03-02T10:00,0.5\\n"
    ...                  "intranet,wanzhou,dc-cloud,2026-03-03T10:00,0.7\\n")
    >>> p = read_deduced_demands(f, topo)["intranet"]
    >>> round(float(p.gbps[("wanzhou", "dc-cloud")][10]), 9), int(p.hours.sum())
    (0.6, 1)
    """
    file = str(path)
    problems = _Problems(file)
    rows, _ = _rows(path, ("src", "dst", "gbps"), (), problems)
    sums: dict[str, dict[tuple[str, str], np.ndarray]] = {}
    counts: dict[str, dict[tuple[str, str], np.ndarray]] = {}
    seen_rows: dict[tuple, tuple[float, int]] = {}
    for line, row in rows:
        plane = _plane_of(row, line, topology, problems)
        slot = _slot_time(row.get("time", ""), line, problems)
        value = _gbps(row.get("gbps", ""), line, problems)
        if plane is None or slot is None or value is None:
            continue
        key = (plane, row["src"], row["dst"], slot.label)
        if key in seen_rows:
            if seen_rows[key][0] != value:
                problems.add(line, "", f"repeats line {seen_rows[key][1]} with a different value")
            continue
        seen_rows[key] = (value, line)
        hour = -1 if slot.hour is None else slot.hour
        total = sums.setdefault(plane, {}).setdefault((row["src"], row["dst"]), np.zeros(HOURS + 1))
        count = counts.setdefault(plane, {}).setdefault((row["src"], row["dst"]), np.zeros(HOURS + 1))
        total[hour] += value
        count[hour] += 1
    problems.raise_any()
    return {plane: _per_hour(sums[plane], counts[plane]) for plane in sums}


def _gbps(text: str, line: int, problems: _Problems) -> float | None:
    try:
        value = float(text)
    except ValueError:
        problems.add(line, "gbps", f"expected a number, got {text!r}")
        return None
    if not np.isfinite(value) or value < 0:
        problems.add(line, "gbps", f"must be a finite number >= 0, got {text!r}")
        return None
    return value


def _plane_of(row: dict, line: int, topology: Topology, problems: _Problems) -> str | None:
    planes = [p for p in ("extranet", "intranet")
              if {n.id for n in topology.nodes_of(p)} >= {row["src"], row["dst"]}]
    wanted = row.get("plane", "")
    if wanted:
        if wanted not in ("extranet", "intranet"):
            problems.add(line, "plane", f"unknown plane {wanted!r}")
            return None
        if wanted not in planes:
            problems.add(line, "src", f"{row['src']!r} > {row['dst']!r} is not a pair of nodes "
                         f"of the {wanted}")
            return None
        return wanted
    if not planes:
        problems.add(line, "src", f"{row['src']!r} > {row['dst']!r} is not a pair of nodes of "
                     "any plane")
        return None
    return planes[0]


def _per_hour(sums: dict, counts: dict) -> DeducedPlane:
    """Means per hour; the slot without a time (index -1) kept apart for the busy hour."""
    gbps = {}
    hours = np.zeros(HOURS + 1, dtype=bool)
    for od, total in sums.items():
        count = counts[od]
        hours |= count > 0
        gbps[od] = np.divide(total, count, out=np.full(HOURS + 1, np.nan), where=count > 0)
    return DeducedPlane(gbps, hours)


def _measured_hourly(deduced: DeducedPlane, modelled: PlaneDemand) -> tuple[dict, np.ndarray]:
    """Per od: measured Gbit/s for every hour (filled where not measured) and the hours."""
    total = modelled.total_gbps[0]  # [hour, od] base year
    per_hour = total.sum(axis=1)
    hours = deduced.hours[:HOURS].copy()
    gbps = {od: values[:HOURS].copy() for od, values in deduced.gbps.items()}
    if deduced.hours[HOURS]:  # a slot without a time: the busy hour
        busy = int(np.argmax(per_hour))
        for od, values in deduced.gbps.items():
            if np.isnan(gbps[od][busy]) and not np.isnan(values[HOURS]):
                gbps[od][busy] = values[HOURS]
        hours[busy] = True
    measured_sum = sum(np.nansum(v[hours]) for v in gbps.values())
    modelled_sum = per_hour[hours].sum()
    ratio = measured_sum / modelled_sum if modelled_sum > 0 else 0.0
    return gbps, hours, ratio


def measured_base_demand(topology: Topology, scenario: Scenario,
                         path: str | os.PathLike) -> MeasuredDemand:
    """The scenario's demand with the base year of every measured plane from ``path``.

    Parameters
    ----------
    topology, scenario : Topology, Scenario
        The scenario gives the services (their split of the measured demand, targets and
        growth rates), the horizon and the what-ifs.
    path : path
        A ``demands.csv`` written by ``egov-netplan deduce`` or ``calibrate``.

    Returns
    -------
    MeasuredDemand

    Examples
    --------
    >>> import netplan, tempfile, pathlib
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("growth-5y"), topo)
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "demands.csv"
    >>> _ = f.write_text("plane,src,dst,time,gbps\\nintranet,wanzhou,dc-cloud,,2.0\\n")
    >>> d = measured_base_demand(topo, s, f)
    >>> busy = d.planes["intranet"].total_gbps[0].sum(axis=1).argmax()
    >>> d.measured_planes, round(float(d.planes["intranet"].total_gbps[0, busy].sum()), 6)
    (('intranet',), 2.0)
    """
    modelled = build_demand(topology, scenario)
    deduced = read_deduced_demands(path, topology)
    planes = dict(modelled.planes)
    for plane, measured in deduced.items():
        if plane not in planes:
            raise ValidationError([Problem(str(path), "plane", f"the scenario has no demand on the "
                                           f"{plane}: no service to carry the measured traffic")])
        planes[plane] = _plane_from_measured(planes[plane], measured, scenario)
    return MeasuredDemand(scenario=scenario.name, planes=planes, whatif=modelled.whatif,
                          measured_planes=tuple(sorted(deduced)), source=str(path))


def _plane_from_measured(md: PlaneDemand, deduced: DeducedPlane, scenario: Scenario) -> PlaneDemand:
    gbps_by_od, hours, ratio = _measured_hourly(deduced, md)
    index = {node: i for i, node in enumerate(md.node_ids)}
    pairs = {(int(s), int(d)) for s, d in zip(md.od_src, md.od_dst, strict=True)}
    pairs |= {(index[s], index[d]) for s, d in gbps_by_od}
    ordered = sorted(pairs)
    column = {od: j for j, od in enumerate(ordered)}
    base = np.zeros((len(md.services), HOURS, len(ordered)))  # modelled base year, new columns
    old = [column[(int(s), int(d))] for s, d in zip(md.od_src, md.od_dst, strict=True)]
    base[:, :, old] = md.gbps[:, 0]
    level = base.sum(axis=0) * ratio  # [hour, od]: modelled shape at the measured level
    level[hours] = 0.0  # a measured hour holds exactly what was measured
    for (s, d), values in gbps_by_od.items():
        j = column[(index[s], index[d])]
        level[hours, j] = np.nan_to_num(values[hours])
    share = _service_shares(base)
    measured = share * level[None]
    growth = np.array([(1.0 + scenario.growth_per_year.get(sv, _service_growth(scenario, sv)))
                       for sv in md.services])
    offsets = np.arange(len(md.years), dtype=float)
    gbps = measured[:, None] * (growth[:, None] ** offsets[None, :])[:, :, None, None]
    return PlaneDemand(plane=md.plane, node_ids=md.node_ids,
                       od_src=np.array([s for s, _ in ordered], dtype=np.int32),
                       od_dst=np.array([d for _, d in ordered], dtype=np.int32),
                       services=md.services, years=md.years, gbps=gbps)


def _service_growth(scenario: Scenario, service_id: str) -> float:
    return next(s.growth_per_year for s in scenario.services if s.id == service_id)


def _service_shares(base: np.ndarray) -> np.ndarray:
    """[service, hour, od] shares: by the od's modelled mix, else the plane's mix that hour."""
    per_od = base.sum(axis=0, keepdims=True)
    plane_mix = base.sum(axis=2, keepdims=True)  # [service, hour, 1]
    plane_total = plane_mix.sum(axis=0, keepdims=True)
    fallback = np.divide(plane_mix, plane_total, out=np.full_like(plane_mix, 1.0 / base.shape[0]),
                         where=plane_total > 0)
    return np.where(per_od > 0, base / np.where(per_od > 0, per_od, 1.0), fallback)
