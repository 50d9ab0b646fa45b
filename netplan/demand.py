"""From a scenario and a topology to demand: Gbit/s per [service, year, hour, origin-destination].

Every number here is an estimate built from per-unit bandwidths and driver counts; the
``Demand`` object says so (``estimate`` is always true) and so does everything written from it.

The arithmetic, per service *s*, district *i*, year offset *y* and hour *h*::

    units_i        = driver count of district i (node value, or the municipal total split
                     by population), × any scale_district factor
    busy_up_i      = units_i × up_mbps_per_unit × active_fraction        (Mbit/s)
    demand(y, h)   = busy × profile_s[h] × (1 + growth_s)^y × scale_service factor

``district_pairs_gravity`` shares ``busy_up_i`` among the other districts *j* in proportion to
population_j / distance_ij²; ``site_to_site`` is a fixed flow (``fixed_gbps``);
``citizens_via_exit`` sums ``busy_up_i`` over the districts into one flow from the Internet exit
(``from_site``) to the data centre serving citizens (``far_end``), and ``busy_down`` back. A
service's ``region_weights`` multiply its per-unit rates in the districts of a region.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netplan.errors import Problem, ValidationError
from netplan.model.derive import haversine_km
from netplan.model.scenario import Scenario, Service
from netplan.model.topology import Node, Topology
from netplan.model.whatif import WhatIf, apply_overrides

HOURS = 24
SERVICE_COLUMNS: tuple[str, ...] = (
    "id", "system", "name_zh", "name_en", "group", "plane", "busy_hour", "busy_hour_gbps",
    "estimate", "source",
)


@dataclass(frozen=True)
class PlaneDemand:
    """Demand of one plane.

    Attributes
    ----------
    plane : str
    node_ids : tuple of str
        The plane's nodes in topology order (the same order as its ``PlaneGraph``).
    od_src, od_dst : numpy.ndarray
        Origin and destination of each od column, as indices into ``node_ids``.
    services : tuple of str
    years : tuple of int
    gbps : numpy.ndarray
        Shape ``[service, year, hour, od]``, Gbit/s (estimates).
    """

    plane: str
    node_ids: tuple[str, ...]
    od_src: np.ndarray
    od_dst: np.ndarray
    services: tuple[str, ...]
    years: tuple[int, ...]
    gbps: np.ndarray

    @property
    def total_gbps(self) -> np.ndarray:
        """All services summed: ``[year, hour, od]``."""
        return self.gbps.sum(axis=0)

    def od_labels(self) -> list[str]:
        """``origin>destination`` label of each od column."""
        return [f"{self.node_ids[s]}>{self.node_ids[d]}" for s, d in zip(self.od_src, self.od_dst, strict=True)]


@dataclass(frozen=True)
class Demand:
    """Demand of every plane for one scenario (all values are estimates)."""

    scenario: str
    planes: dict[str, PlaneDemand]
    whatif: WhatIf
    estimate: bool = True
    catalogue: tuple[dict, ...] = ()
    """Per service: id, system, names, group, plane, source and estimate flag."""

    def services_table(self) -> list[dict]:
        """One row per service: who it is and its busy-hour Gbit/s in the first year.

        Examples
        --------
        >>> import netplan
        >>> topo = netplan.load_topology(netplan.default_topology_path())
        >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
        >>> rows = build_demand(topo, s).services_table()
        >>> sorted({row["group"] for row in rows})
        ['application_system', 'base_database', 'common', 'portal', 'sensing']
        """
        totals = self.busy_hour_totals() if self.planes else []
        first = min((r["year"] for r in totals), default=None)
        busy = {(r["plane"], r["service"]): r for r in totals if r["year"] == first}
        rows = []
        for entry in self.catalogue:
            total = busy.get((entry["plane"], entry["id"]))
            rows.append(entry | {
                "busy_hour": total["busy_hour"] if total else "",
                "busy_hour_gbps": round(total["total_gbps"], 9) if total else 0.0,
            })
        return rows

    def busy_hour_totals(self) -> list[dict]:
        """Per plane, service and year: the busy hour and the total demand in it.

        Examples
        --------
        >>> import netplan
        >>> topo = netplan.load_topology(netplan.default_topology_path())
        >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
        >>> rows = build_demand(topo, s).busy_hour_totals()
        >>> sorted({row["plane"] for row in rows})
        ['extranet', 'intranet']
        """
        rows = []
        for plane, pd in self.planes.items():
            for si, service in enumerate(pd.services):
                per_hour = pd.gbps[si].sum(axis=-1)  # [year, hour]
                for yi, year in enumerate(pd.years):
                    hour = int(np.argmax(per_hour[yi]))
                    rows.append({
                        "plane": plane, "service": service, "year": year, "busy_hour": hour,
                        "total_gbps": float(per_hour[yi, hour]), "estimate": True,
                    })
        return rows

    def to_csv_text(self) -> str:
        """Long-form CSV: plane, service, year, hour, origin, destination, gbps (non-zero rows)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["plane", "service", "year", "hour", "origin", "destination",
                         "demand_gbps_estimate"])
        for plane, pd in self.planes.items():
            nz = np.nonzero(pd.gbps)
            for si, yi, h, od in zip(*nz, strict=True):
                writer.writerow([
                    plane, pd.services[si], pd.years[yi], h, pd.node_ids[pd.od_src[od]],
                    pd.node_ids[pd.od_dst[od]], f"{pd.gbps[si, yi, h, od]:.9g}",
                ])
        return out.getvalue()

    def save(self, directory: str | os.PathLike) -> list[Path]:
        """Write ``demand.csv``, ``demand.npz`` (labelled axes) and ``busy_hour.csv``."""
        from netplan.io.atomic import write_bytes_atomic, write_text_atomic

        directory = Path(directory)
        arrays: dict[str, np.ndarray] = {}
        for plane, pd in self.planes.items():
            arrays[f"{plane}__gbps"] = pd.gbps
            arrays[f"{plane}__services"] = np.array(pd.services)
            arrays[f"{plane}__years"] = np.array(pd.years)
            arrays[f"{plane}__hours"] = np.arange(HOURS)
            arrays[f"{plane}__od_origin"] = np.array([pd.node_ids[i] for i in pd.od_src])
            arrays[f"{plane}__od_destination"] = np.array([pd.node_ids[i] for i in pd.od_dst])
        arrays["axes"] = np.array(["service", "year", "hour", "od"])
        arrays["note"] = np.array("Demand in Gbit/s; every value is an estimate (netplan).")
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        busy = io.StringIO()
        writer = csv.DictWriter(busy, fieldnames=list(self.busy_hour_totals()[0]),
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.busy_hour_totals())
        written = []
        if self.catalogue:
            from netplan.io.tables import records_to_csv

            written.append(write_text_atomic(directory / "services.csv", records_to_csv(
                self.services_table(), SERVICE_COLUMNS, digits=9, text_safe=True)))
        return written + [
            write_text_atomic(directory / "demand.csv", self.to_csv_text()),
            write_bytes_atomic(directory / "demand.npz", buffer.getvalue()),
            write_text_atomic(directory / "busy_hour.csv", busy.getvalue()),
            write_text_atomic(directory / "demand_meta.json", json.dumps(
                {"scenario": self.scenario, "estimate": True, "unit": "Gbit/s",
                 "axes": ["service", "year", "hour", "od"]}, indent=2)),
        ]


def district_units(topology: Topology, scenario: Scenario, whatif: WhatIf) -> dict[str, np.ndarray]:
    """Driver counts per district (topology order of districts), after scale_district factors.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> units = district_units(topo, s, apply_overrides(topo, s))
    >>> int(round(units["staff"].sum())) == s.drivers.staff_total
    True
    """
    districts = [node for node in topology.nodes if node.kind == "district"]
    population = np.array([float(node.population or 0) for node in districts])
    share = population / population.sum() if population.sum() > 0 else np.full(
        len(districts), 1.0 / max(1, len(districts)))
    totals = scenario.drivers
    units = {
        "population": population,
        "internet_users": population * totals.internet_users_per_resident,
        "legal_entities": totals.legal_entities_total * share,
        "sensors": totals.sensors_total * share,
        "staff": _node_or(districts, "staff", totals.staff_total * share),
        "cameras": _node_or(districts, "cameras", totals.cameras_total * share),
        "video_rooms": _node_or(
            districts, "video_rooms",
            np.round(totals.video_rooms_per_district
                     + totals.video_rooms_per_million_people * population / 1e6),
        ),
    }
    if whatif.district_factor:
        position = {node.id: i for i, node in enumerate(districts)}
        units = {name: values.copy() for name, values in units.items()}
        for (node_id, driver), factor in whatif.district_factor.items():
            if node_id in position:
                for name in ([driver] if driver else list(units)):
                    units[name][position[node_id]] *= factor
    return units


def _node_or(districts: list[Node], field: str, default: np.ndarray) -> np.ndarray:
    values = np.array(default, dtype=float)
    for i, node in enumerate(districts):
        given = getattr(node, field)
        if given is not None:
            values[i] = float(given)
    return values


def _growth(scenario: Scenario, service: Service) -> float:
    return scenario.growth_per_year.get(service.id, service.growth_per_year)


def build_demand(topology: Topology, scenario: Scenario) -> Demand:
    """Demand arrays for every plane of ``topology`` under ``scenario`` (what-ifs applied).

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("growth-5y"), topo)
    >>> d = build_demand(topo, s)
    >>> d.planes["extranet"].gbps.shape[1:3]
    (6, 24)
    """
    whatif = apply_overrides(topology, scenario)
    topo = whatif.topology
    districts = [node for node in topo.nodes if node.kind == "district"]
    units = district_units(topo, scenario, whatif)
    years = scenario.years
    offsets = np.arange(len(years), dtype=float)
    planes: dict[str, PlaneDemand] = {}
    for plane in ("extranet", "intranet"):
        services = [s for s in scenario.services if s.plane == plane]
        members = topo.nodes_of(plane)
        if not services or not members:
            continue
        index = {node.id: i for i, node in enumerate(members)}
        flows: dict[tuple[int, int], np.ndarray] = {}  # (o, d) -> [service] busy-hour Mbit/s
        per_service: list[dict[tuple[int, int], float]] = []
        for service in services:
            per_service.append(_busy_flows(service, topo, districts, units, index, whatif))
        for si, table in enumerate(per_service):
            for od, mbps in table.items():
                flows.setdefault(od, np.zeros(len(services)))[si] += mbps
        pairs = sorted(od for od, row in flows.items() if row.any())
        od_src = np.array([o for o, _ in pairs], dtype=np.int32)
        od_dst = np.array([d for _, d in pairs], dtype=np.int32)
        busy = np.array([flows[od] for od in pairs]).T if pairs else np.zeros((len(services), 0))
        gbps = np.zeros((len(services), len(years), HOURS, len(pairs)))
        for si, service in enumerate(services):
            profile = np.asarray(scenario.profiles[service.profile], dtype=float)
            factor = whatif.service_factor.get(service.id, 1.0)
            with np.errstate(over="ignore", invalid="ignore"):  # told by _check_finite
                growth = (1.0 + _growth(scenario, service)) ** offsets
                gbps[si] = (
                    busy[si][None, None, :] / 1000.0 * factor
                    * growth[:, None, None] * profile[None, :, None]
                )
            _check_finite(gbps[si], service)
        planes[plane] = PlaneDemand(
            plane=plane,
            node_ids=tuple(node.id for node in members),
            od_src=od_src,
            od_dst=od_dst,
            services=tuple(s.id for s in services),
            years=years,
            gbps=gbps,
        )
    return Demand(scenario=scenario.name, planes=planes, whatif=whatif,
                  catalogue=tuple(_catalogue_entry(s) for s in scenario.services))


def _catalogue_entry(service: Service) -> dict:
    return {
        "id": service.id, "system": service.system_id, "name_zh": service.name_zh,
        "name_en": service.name, "group": service.group, "plane": service.plane,
        "estimate": service.estimate,
        "source": service.source.strip() or "; ".join(
            f"{field}: {text}" for field, text in service.sourced.items()),
    }


def _check_finite(gbps: np.ndarray, service: Service) -> None:
    """Refuse demand that overflowed: no plan or simulation can use an infinite number.

    Validation keeps the inputs within their ranges (docs/scenarios.md), so this is only
    reached by models built around it (``model_construct``) or by ranges widened later.
    """
    if np.isfinite(gbps).all():
        return
    raise ValidationError([Problem("", f"services.{service.id}", (
        "demand overflows (not a finite number of Gbit/s): its driver counts, per-unit "
        "rates, scale factors and growth multiply beyond what can be counted"))])


def _region_weights(service: Service, districts: list[Node]) -> np.ndarray:
    """Per district: the service's weight for the district's region (1 when none is given)."""
    return np.array([service.region_weights.get(node.region, 1.0) if node.region else 1.0
                     for node in districts])


def _site_node(topo: Topology, site: str, whatif: WhatIf) -> str:
    site = whatif.site_map.get(site, site)
    for dc in topo.data_centres:
        if dc.id == site:
            return dc.node
    return site


def _busy_flows(
    service: Service,
    topo: Topology,
    districts: list[Node],
    units: dict[str, np.ndarray],
    index: dict[str, int],
    whatif: WhatIf,
) -> dict[tuple[int, int], float]:
    """Busy-hour Mbit/s per (origin, destination) index pair for one service."""
    flows: dict[tuple[int, int], float] = {}

    def add(origin: str, destination: str, mbps: float) -> None:
        if mbps <= 0 or origin == destination:
            return
        if origin not in index or destination not in index:
            return
        key = (index[origin], index[destination])
        flows[key] = flows.get(key, 0.0) + mbps

    if service.pattern == "site_to_site":
        origin = _site_node(topo, service.from_site, whatif)
        destination = _site_node(topo, service.far_end, whatif)
        add(origin, destination, service.fixed_gbps * 1000.0)
        return flows
    driver = units[service.driver] * _region_weights(service, districts)
    if service.pattern == "citizens_via_exit":
        exit_node = _site_node(topo, service.from_site, whatif)
        far = _site_node(topo, service.far_end, whatif)
        active = driver.sum() * service.active_fraction
        add(exit_node, far, active * service.up_mbps_per_unit)
        add(far, exit_node, active * service.down_mbps_per_unit)
        return flows
    if service.pattern == "district_to_far_end":
        far = _site_node(topo, service.far_end, whatif)
        for i, node in enumerate(districts):
            add(node.id, far, driver[i] * service.up_mbps_per_unit * service.active_fraction)
            add(far, node.id, driver[i] * service.down_mbps_per_unit * service.active_fraction)
        return flows
    # district_pairs_gravity
    population = units["population"]
    for i, node in enumerate(districts):
        sent = driver[i] * service.up_mbps_per_unit * service.active_fraction
        if sent <= 0:
            continue
        weights = np.zeros(len(districts))
        for j, other in enumerate(districts):
            if j == i:
                continue
            distance = max(5.0, haversine_km(node.lat, node.lon, other.lat, other.lon))
            weights[j] = population[j] / distance**2
        if weights.sum() <= 0:
            continue
        for j in np.nonzero(weights)[0]:
            add(node.id, districts[j].id, sent * weights[j] / weights.sum())
    return flows
