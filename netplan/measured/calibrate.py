"""Calibrate a scenario to deduced demand: one scale factor per service.

A scenario's demand is linear in its services' ``scale_service`` factors. Routed over the
network, service *s* puts ``L_s[t, arc]`` on every arc in slot *t* (the base year, at the
slot's hour). Calibration finds the factors ``f_s >= 0`` whose loads ``Σ_s f_s L_s`` come
closest (least squares over every arc and slot) to the loads of the deduced demand — on the
arcs with counters, the counters themselves. A day of hourly slots helps: services with the
same origins and destinations but different daily profiles or up/down ratios are told apart
by when and in which direction they load the links.

The calibrated scenario ``extends`` the base one and appends a ``scale_service`` override per
service, so ``validate`` and ``plan`` read it as any other scenario.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netplan.demand import Demand, build_demand
from netplan.measured.deduce import Deduction, relative_l2
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology

__all__ = ["Calibration", "calibrate", "service_loads"]

MAX_FACTOR = 1000.0
"""The largest ``scale_service`` factor a scenario accepts (docs/scenarios.md)."""

CALIBRATED_FILE = "calibrated.yaml"


@dataclass(frozen=True)
class ServiceLoads:
    """Per service: the arc loads its modelled demand puts on every plane, per slot."""

    services: tuple[str, ...]
    planes: tuple[str, ...]
    loads: dict[str, np.ndarray]  # plane -> [service, slot, arc]


def _slot_hours(deduction: Deduction, demand: Demand) -> list[int]:
    """Each slot's hour; a slot without one takes the busy hour of all planes together."""
    total = sum(pd.total_gbps[0].sum(axis=1) for pd in demand.planes.values())
    busy = int(np.argmax(total))
    return [busy if h is None else h for h in deduction.slot_hours]


def service_loads(deduction: Deduction, demand: Demand) -> ServiceLoads:
    """Arc loads of every service's modelled base-year demand at the deduction's slots.

    Examples
    --------
    >>> import netplan
    >>> from netplan.measured.counters import LinkCounters
    >>> from netplan.measured.deduce import PlaneDeduction
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> demand = netplan.build_demand(topo, s)
    >>> d = Deduction("n", ("10",), (10,), {}, "min-divergence", "gravity")
    >>> service_loads(d, demand).services
    ()
    """
    hours = _slot_hours(deduction, demand)
    services: list[str] = []
    loads: dict[str, np.ndarray] = {}
    for plane, pd in deduction.planes.items():
        modelled = demand.planes.get(plane)
        if modelled is None:
            continue
        position = {od: j for j, od in enumerate(pd.routing.od_labels())}
        ids = modelled.node_ids
        columns = np.array([position.get((ids[s], ids[d]), -1)
                            for s, d in zip(modelled.od_src, modelled.od_dst, strict=True)])
        keep = columns >= 0
        per_od = np.zeros((len(modelled.services), len(hours), pd.routing.n_od))
        # [service, slot, od]: the base year at each slot's hour
        np.add.at(per_od, (slice(None), slice(None), columns[keep]),
                  modelled.gbps[:, 0][:, hours][:, :, keep])
        loads[plane] = np.einsum("aj,stj->sta", pd.routing.matrix.toarray(), per_od)
        services.extend(modelled.services)
    return ServiceLoads(tuple(services), tuple(loads), loads)


@dataclass(frozen=True)
class Calibration:
    """Fitted per-service scale factors, how well they fit, and measured-vs-modelled rows.

    Attributes
    ----------
    scenario : Scenario
        The base scenario.
    factors : dict of str to float
        The factor of every service (1.0 for a service the measurements cannot see).
    identified : dict of str to bool
        True for a service with a factor of its own. The measurements cannot tell some
        services apart (the same ends, driver and daily profile): those share one factor.
    groups : dict of str to list of str
        The services sharing each service's factor (absent: no load on any counted arc,
        factor left at 1).
    fit : dict
        Relative L2 misfit of the modelled loads before and after calibration, the groups
        of services sharing a factor, and the busy slot.
    links, districts : tuple of dict
        Per arc and per district at the busy slot: measured (deduced), modelled, calibrated.
    """

    scenario: Scenario
    factors: dict[str, float]
    identified: dict[str, bool]
    groups: dict[str, list[str]]
    fit: dict
    links: tuple[dict, ...] = field(default_factory=tuple)
    districts: tuple[dict, ...] = field(default_factory=tuple)

    def factor_rows(self) -> list[dict]:
        """One row per service: its factor, whether it is its own, and who shares it."""
        return [{"service": s, "scale_factor": f, "identified": self.identified[s],
                 "shared_with": " ".join(x for x in self.groups.get(s, ()) if x != s),
                 "seen": s in self.groups}
                for s, f in self.factors.items()]

    def overrides(self) -> list[dict]:
        """The base scenario's overrides followed by one ``scale_service`` per service."""
        base = [o.model_dump(mode="json", exclude_none=True) for o in self.scenario.overrides]
        own = [{"action": "scale_service", "service": s, "factor": float(f"{f:.6g}")}
               for s, f in self.factors.items() if s in self.groups]
        return base + own

    def yaml_text(self, extends: str) -> str:
        """The calibrated scenario as YAML, extending the base scenario file ``extends``."""
        import yaml

        fit = self.fit
        name = f"{self.scenario.name}-calibrated"
        doc = {
            "kind": "scenario",
            "extends": extends,
            "name": name,
            "title": f"{self.scenario.title} (calibrated to measured link counters)",
            "title_zh": f"{self.scenario.title_zh or self.scenario.title}（按实测链路计数校准）",
            "description": (
                "Per-service scale factors fitted so that the modelled busy hour reproduces "
                f"the demand deduced from measured link counters: the misfit of the modelled "
                f"link loads fell from {fit['relative_l2_before']:.1%} to "
                f"{fit['relative_l2_after']:.1%} (relative L2 over every counted link and "
                "slot). Growth rates are the base scenario's (estimates)."),
            "description_zh": (
                "按业务拟合缩放系数，使模型忙时再现由实测链路计数推算的流量：模型链路负载的相对 L2 偏差由 "
                f"{fit['relative_l2_before']:.1%} 降至 {fit['relative_l2_after']:.1%}（全部有计数的链路和时段）。"
                "增长率沿用基础情景（估算）。"),
            "overrides": self.overrides(),
        }
        header = ("# Calibrated to measured link counters by egov-netplan calibrate.\n"
                  "# 由 egov-netplan calibrate 按实测链路计数校准。\n")
        return header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)

    def summary(self) -> dict:
        """The calibration part of ``summary.json``."""
        return {"scenario": self.scenario.name, "factors": self.factors,
                "identified": self.identified, "fit": self.fit,
                "estimate": ("The factors are fitted to measurements; the calibrated scenario's "
                             "later years grow by the base scenario's rates (estimates)."),
                "calibrated_scenario": CALIBRATED_FILE}

    def save(self, directory: str | os.PathLike, extends: str) -> list[Path]:
        """Write ``calibrated.yaml`` (extending ``extends``), ``calibration.csv`` and
        ``measured_vs_modelled.csv`` into ``directory``."""
        from netplan.io.atomic import write_text_atomic
        from netplan.io.tables import records_to_csv

        directory = Path(directory)
        return [
            write_text_atomic(directory / CALIBRATED_FILE, self.yaml_text(extends)),
            write_text_atomic(directory / "calibration.csv", records_to_csv(
                self.factor_rows(), ("service", "scale_factor", "identified", "shared_with",
                                     "seen"), digits=9, text_safe=True)),
            write_text_atomic(directory / "measured_vs_modelled.csv", records_to_csv(
                [{"kind": "link", **row} for row in self.links]
                + [{"kind": "district", **row} for row in self.districts], COMPARE_COLUMNS,
                digits=9, text_safe=True)),
        ]


COMPARE_COLUMNS = ("kind", "plane", "id", "from", "measured_gbps", "modelled_gbps_estimate",
                   "calibrated_gbps_estimate", "originated_measured_gbps",
                   "originated_modelled_gbps_estimate", "originated_calibrated_gbps_estimate",
                   "terminated_measured_gbps", "terminated_modelled_gbps_estimate",
                   "terminated_calibrated_gbps_estimate")


def _design(loads: ServiceLoads) -> np.ndarray:
    """Per-service loads stacked as columns: one row per (plane, slot, arc)."""
    blocks, k = [], 0
    for plane in loads.planes:
        block = loads.loads[plane]  # [service of the plane, slot, arc]
        rows = np.zeros((block.shape[1] * block.shape[2], len(loads.services)))
        rows[:, k:k + block.shape[0]] = block.reshape(block.shape[0], -1).T
        k += block.shape[0]
        blocks.append(rows)
    return np.vstack(blocks) if blocks else np.zeros((0, len(loads.services)))


def service_groups(design: np.ndarray) -> list[list[int]]:
    """Columns that the data cannot tell apart, merged until every group is identifiable.

    Two services fall in one group when a combination of their loads cancels (a null vector
    of the design touches both); a group then shares one factor. Columns without any load
    are left out (their factor stays 1).

    Examples
    --------
    Columns 0 and 1 are the same load seen twice; column 2 is its own.

    >>> d = np.array([[1.0, 1.0, 0.0], [2.0, 2.0, 1.0], [0.0, 0.0, 3.0]])
    >>> service_groups(d)
    [[0, 1], [2]]
    """
    norms = np.linalg.norm(design, axis=0)
    groups = [[j] for j in np.flatnonzero(norms > 0)]
    while groups:
        merged = np.column_stack([design[:, g].sum(axis=1) for g in groups])
        null = _null_space(merged / np.linalg.norm(merged, axis=0))
        if null.shape[0] == 0:
            break
        groups = _joined(groups, _circuits(null))
    return [sorted(int(j) for j in g) for g in groups]


IDENTIFIABLE_RCOND = 1e-3
"""Load patterns closer to dependent than this (smallest / largest singular value of the
normalised columns) count as indistinguishable: their split would follow the noise."""


def _null_space(columns: np.ndarray) -> np.ndarray:
    """Rows spanning the (numerical) null space of ``columns``."""
    _, sing, vt = np.linalg.svd(columns, full_matrices=False)
    rank = int((sing > IDENTIFIABLE_RCOND * sing.max(initial=0.0)).sum())
    return vt[rank:]


def _circuits(null: np.ndarray) -> np.ndarray:
    """The null space in reduced row-echelon form: each row one minimal dependent set.

    An SVD's null vectors are an arbitrary rotation and touch more columns than any single
    dependence does; the echelon form's rows (fundamental circuits) do not.
    """
    from scipy.linalg import qr

    _, _, pivots = qr(null, pivoting=True, mode="economic")
    echelon = np.linalg.solve(null[:, pivots[:null.shape[0]]], null)
    return np.abs(echelon) > 1e-8 * np.abs(echelon).max(axis=1, keepdims=True)


def _joined(groups: list[list[int]], touched: np.ndarray) -> list[list[int]]:
    """Groups joined along every null vector (union-find over the vectors' supports)."""
    parent = list(range(len(groups)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for row in touched:
        members = np.flatnonzero(row)
        for other in members[1:]:
            parent[root(int(other))] = root(int(members[0]))
    out: dict[int, list[int]] = {}
    for i, g in enumerate(groups):
        out.setdefault(root(i), []).extend(g)
    return sorted(out.values(), key=min)


def _solve_factors(design: np.ndarray, rhs: np.ndarray,
                   groups: list[list[int]]) -> np.ndarray:
    """Non-negative least squares, one factor per group (1 for columns without load)."""
    from scipy.optimize import lsq_linear

    factors = np.ones(design.shape[1])
    if not groups:
        return factors
    merged = np.column_stack([design[:, g].sum(axis=1) for g in groups])
    norms = np.linalg.norm(merged, axis=0)
    res = lsq_linear(merged / norms, rhs, bounds=(0.0, np.inf), method="bvls", tol=1e-12)
    for g, value in zip(groups, res.x / norms, strict=True):
        factors[g] = min(float(value), MAX_FACTOR)
    return factors


def calibrate(topology: Topology, scenario: Scenario, deduction: Deduction,
              demand: Demand | None = None) -> Calibration:
    """Fit ``scenario``'s per-service scale factors to ``deduction``.

    Parameters
    ----------
    topology, scenario : Topology, Scenario
        The network the counters came from and the scenario to calibrate.
    deduction : Deduction
        Demand deduced on ``topology`` (:func:`netplan.measured.deduce.deduce`).
    demand : Demand, optional
        ``build_demand(topology, scenario)``, when already built.

    Returns
    -------
    Calibration
    """
    demand = demand or build_demand(topology, scenario)
    loads = service_loads(deduction, demand)
    target = {plane: deduction.planes[plane].fitted_gbps for plane in loads.planes}
    weights = {plane: deduction.planes[plane].measured for plane in loads.planes}
    design = _design(loads)
    rhs = np.concatenate([target[p].ravel() for p in loads.planes]) if loads.planes else \
        np.zeros(0)
    groups = service_groups(design)
    factors = _solve_factors(design, rhs, groups)
    names = loads.services
    per_service = dict(zip(names, (float(f) for f in factors), strict=True))
    group_of = {names[j]: [names[i] for i in g] for g in groups for j in g}
    identified = {s: len(group_of.get(s, ())) == 1 for s in names}
    before = _modelled(loads, np.ones(len(loads.services)))
    after = _modelled(loads, factors)
    fit = {
        "relative_l2_before": _misfit(before, target, weights),
        "relative_l2_after": _misfit(after, target, weights),
        "services": len(names), "groups": len(groups),
        "shared_factors": [[names[i] for i in g] for g in groups if len(g) > 1],
        "not_seen": [s for s in names if s not in group_of],
        "busy_slot": _busy_slot(deduction),
        "target": "link loads of the deduced demand, every arc and slot",
    }
    busy = fit["busy_slot"]
    links = tuple(_link_rows(deduction, before, after, busy))
    districts = tuple(_district_rows(topology, deduction, loads, demand, factors, busy))
    return Calibration(scenario, per_service, identified, group_of, fit, links, districts)


def _modelled(loads: ServiceLoads, factors: np.ndarray) -> dict[str, np.ndarray]:
    out, k = {}, 0
    for plane in loads.planes:
        block = loads.loads[plane]
        out[plane] = np.tensordot(factors[k:k + block.shape[0]], block, axes=1)
        k += block.shape[0]
    return out


def _misfit(model: dict, target: dict, weights: dict) -> float:
    if not model:
        return float("nan")
    est = np.concatenate([model[p][weights[p]] for p in model])
    truth = np.concatenate([target[p][weights[p]] for p in model])
    return relative_l2(est, truth)


def _busy_slot(deduction: Deduction) -> int:
    total = sum(pd.fitted_gbps.sum(axis=1) for pd in deduction.planes.values())
    return int(np.argmax(total)) if np.size(total) else 0


def _link_rows(deduction: Deduction, before: dict, after: dict, busy: int):
    for plane, pd in deduction.planes.items():
        graph = pd.routing.graph
        fitted = pd.fitted_gbps[busy]
        for arc in range(graph.n_arcs):
            seen = bool(pd.measured[busy, arc])
            yield {"plane": plane, "id": graph.link_ids[graph.arc_link[arc]],
                   "from": graph.node_ids[graph.arc_src[arc]],
                   "measured_gbps": float(pd.measured_gbps[busy, arc] if seen else fitted[arc]),
                   "modelled_gbps_estimate": float(before[plane][busy, arc]) if plane in before
                   else None,
                   "calibrated_gbps_estimate": float(after[plane][busy, arc]) if plane in after
                   else None}


def _district_rows(topology: Topology, deduction: Deduction, loads: ServiceLoads, demand: Demand,
                   factors: np.ndarray, busy: int):
    """What each district originates and terminates at the busy slot, per plane."""
    hours = _slot_hours(deduction, demand)
    districts = [n.id for n in topology.nodes if n.kind == "district"]
    k = 0
    for plane, pd in deduction.planes.items():
        modelled = demand.planes.get(plane)
        if modelled is None:
            continue
        n_s = len(modelled.services)
        plane_factors = factors[k:k + n_s]
        k += n_s
        base = modelled.gbps[:, 0, hours[busy]]  # [service, od]
        ids = modelled.node_ids
        labels = pd.routing.od_labels()
        for node in districts:
            if node not in pd.routing.graph.node_index:
                continue
            src_m = np.array([ids[s] == node for s in modelled.od_src])
            dst_m = np.array([ids[d] == node for d in modelled.od_dst])
            src_d = np.array([s == node for s, _ in labels])
            dst_d = np.array([d == node for _, d in labels])
            yield {"plane": plane, "id": node,
                   "originated_measured_gbps": float(pd.gbps[busy, src_d].sum()),
                   "originated_modelled_gbps_estimate": float(base[:, src_m].sum()),
                   "originated_calibrated_gbps_estimate":
                       float(plane_factors @ base[:, src_m].sum(axis=1)),
                   "terminated_measured_gbps": float(pd.gbps[busy, dst_d].sum()),
                   "terminated_modelled_gbps_estimate": float(base[:, dst_m].sum()),
                   "terminated_calibrated_gbps_estimate":
                       float(plane_factors @ base[:, dst_m].sum(axis=1))}


def save_calibration(output: str | os.PathLike, deduction: Deduction, calibration: Calibration,
                     scenario_file: str | os.PathLike, *, lang: str = "zh",
                     overwrite: bool = False) -> Path:
    """Write a calibration's output directory atomically: the deduction, the calibrated
    scenario (``extends`` the base file by its path relative to ``output``), the tables,
    ``summary.json`` with both parts, and ``report.html``."""
    import json

    from netplan.io.atomic import resolve_output_dir, staged_output_dir, write_text_atomic
    from netplan.measured.report import calibration_report

    target = resolve_output_dir(output)
    extends = Path(os.path.relpath(Path(scenario_file).resolve(), target)).as_posix()
    html = calibration_report(deduction, calibration, lang)
    with staged_output_dir(output, overwrite=overwrite) as stage:
        deduction.save(stage)
        calibration.save(stage, extends)
        summary = deduction.summary() | {"calibration": calibration.summary()}
        write_text_atomic(Path(stage) / "summary.json",
                          json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        write_text_atomic(Path(stage) / "report.html", html)
    return Path(output)
