"""Demand deduction: the od matrix of every time slot from link counters and the routing.

Per plane and slot, the counters give ``y = R x`` for the arcs measured (``R``: the ECMP
routing matrix, :mod:`netplan.measured.routing_matrix`); node totals, when given, add the
rows "what each node originates" and "what it terminates". There are far more ods than
counters, so the counters alone leave most of ``x`` open. Deduction picks, among the
matrices that reproduce the counters, the one closest to a prior (minimum divergence,
:mod:`netplan.measured.solvers`):

* ``gravity``: ``p_ij = in_i × out_j / Σ_{k≠i} out_k`` from the node totals; nodes without
  measured totals get the totals of a first fit from a uniform prior (so a network with
  link counters only still gets a gravity prior);
* ``scenario``: the scenario's modelled demand at the slot's hour, scaled to the counters.

How well the counters pin each od is its *determinacy*: the squared length of its unit
vector's projection on the row space of the measured rows (1: fixed by the counters, 0: the
counters say nothing about it, the prior decides).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from netplan.demand import PlaneDemand
from netplan.measured.counters import LinkCounters, NodeTotals
from netplan.measured.routing_matrix import MeasuredNetwork, PlaneRouting, routing_matrix
from netplan.measured.solvers import (
    DEFAULT_REL_ERROR,
    FitResult,
    fit_least_squares,
    fit_min_divergence,
    fit_per_slot,
    one_blas_thread,
)

__all__ = ["Deduction", "PlaneDeduction", "deduce", "determinacy", "gravity", "relative_l2"]

METHODS = {"min-divergence": fit_min_divergence, "per-slot": fit_per_slot,
           "least-squares": fit_least_squares}
"""Fit methods: the batched default, its slot-by-slot reference, least-squares tomogravity."""

PRIOR_FLOOR = 1e-3
"""Every od's prior is at least this fraction of the mean prior, so no od is ruled out."""

DETERMINED = 1.0 - 1e-6
"""Determinacy above which an od counts as fixed by the measurements."""


def gravity(into: np.ndarray, out: np.ndarray, od_src: np.ndarray, od_dst: np.ndarray) -> np.ndarray:
    """Gravity estimate of every od from node totals, shape (n_slots, n_od).

    ``into[t, i]`` is what node i originates, ``out[t, j]`` what node j terminates; each
    origin's total is shared among the other nodes in proportion to what they terminate.

    Examples
    --------
    >>> g = gravity(np.array([[3.0, 1.0, 0.0]]), np.array([[0.0, 2.0, 2.0]]),
    ...             np.array([0, 0, 1, 1]), np.array([1, 2, 0, 2]))
    >>> g.tolist()
    [[1.5, 1.5, 0.0, 1.0]]
    """
    into, out = np.atleast_2d(into), np.atleast_2d(out)
    others = out.sum(axis=1, keepdims=True) - out  # what the rest terminate, per origin
    share = np.divide(out[:, od_dst], others[:, od_src], out=np.zeros((into.shape[0], od_src.size)),
                      where=others[:, od_src] > 0)
    return into[:, od_src] * share


def relative_l2(estimate: np.ndarray, truth: np.ndarray) -> float:
    """``‖estimate − truth‖₂ / ‖truth‖₂`` over all entries.

    Examples
    --------
    >>> relative_l2(np.array([3.0, 4.0]), np.array([3.0, 0.0]))
    1.3333333333333333
    """
    norm = float(np.linalg.norm(truth))
    return float(np.linalg.norm(estimate - truth)) / norm if norm > 0 else float("nan")


def determinacy(rows: sp.spmatrix) -> tuple[int, np.ndarray]:
    """Rank of the measured rows and each od's leverage on their row space (0 to 1).

    Examples
    --------
    One counter sees od 0 alone, another the sum of ods 1 and 2: od 0 is fixed, ods 1 and 2
    are half determined (only their sum is known).

    >>> rank, lev = determinacy(sp.csr_matrix(np.array([[1.0, 0, 0], [0, 1.0, 1.0]])))
    >>> rank, np.round(lev, 6).tolist()
    (2, [1.0, 0.5, 0.5])
    """
    dense = sp.csr_matrix(rows).toarray()
    if dense.size == 0:
        return 0, np.zeros(dense.shape[1])
    with one_blas_thread():
        _, sing, vt = np.linalg.svd(dense, full_matrices=False)
    tol = sing.max(initial=0.0) * max(dense.shape) * np.finfo(float).eps * 10
    rank = int((sing > tol).sum())
    return rank, np.clip((vt[:rank] ** 2).sum(axis=0), 0.0, 1.0)


@dataclass(frozen=True, eq=False)
class PlaneDeduction:
    """The deduced demand of one plane.

    Attributes
    ----------
    routing : PlaneRouting
    gbps, prior : ndarray, shape (n_slots, n_od)
        Deduced demand and the prior it started from (Gbit/s).
    measured_gbps : ndarray, shape (n_slots, n_arcs)
    measured : ndarray of bool, shape (n_slots, n_arcs)
    rank : int
        Rank of the measured rows (link counters and node totals).
    leverage : ndarray, shape (n_od,)
        Determinacy of every od (0 to 1).
    fit : FitResult
    """

    routing: PlaneRouting
    gbps: np.ndarray
    prior: np.ndarray
    measured_gbps: np.ndarray
    measured: np.ndarray
    rank: int
    leverage: np.ndarray
    fit: FitResult
    node_totals: bool = False

    @property
    def fitted_gbps(self) -> np.ndarray:
        """Arc loads of the deduced demand, shape (n_slots, n_arcs)."""
        return (self.routing.matrix @ self.gbps.T).T

    def link_fit(self) -> dict:
        """How well the deduced demand reproduces the counters it was given."""
        fitted = self.fitted_gbps[self.measured]
        seen = self.measured_gbps[self.measured]
        big = seen >= 0.01 * seen.max(initial=0.0)
        rel = np.abs(fitted[big] - seen[big]) / np.where(seen[big] > 0, seen[big], 1.0)
        return {"relative_l2": relative_l2(fitted, seen),
                "max_relative_error": float(rel.max(initial=0.0)),
                "counters": int(self.measured.sum())}

    def summary(self) -> dict:
        """Counts and fit quality of this plane (for ``summary.json``)."""
        n_od = self.routing.n_od
        return {
            "ods": n_od,
            "arcs": int(self.routing.graph.n_arcs),
            "arcs_measured": int(self.measured.any(axis=0).sum()),
            "node_totals": self.node_totals,
            "rank": self.rank,
            "degrees_of_freedom": n_od - self.rank,
            "ods_determined": int((self.leverage >= DETERMINED).sum()),
            "ods_half_determined_or_better": int((self.leverage >= 0.5).sum()),
            "mean_determinacy": float(self.leverage.mean()) if n_od else 0.0,
            "link_fit": self.link_fit(),
            "iterations": self.fit.iterations,
            "converged": self.fit.converged,
        }


@dataclass(frozen=True, eq=False)
class Deduction:
    """Deduced demand of every plane and time slot, with how well the counters fix it."""

    network: str
    slots: tuple[str, ...]
    slot_hours: tuple[int | None, ...]
    planes: dict[str, PlaneDeduction]
    method: str
    prior: str
    counters: dict = field(default_factory=dict)
    seconds: float = 0.0

    def demand_rows(self) -> list[dict]:
        """``demands.csv``: plane, src, dst, time, gbps, determinacy, estimate (gbps > 0)."""
        rows = []
        for plane, pd in self.planes.items():
            labels = pd.routing.od_labels()
            for t, slot in enumerate(self.slots):
                for j in np.flatnonzero(pd.gbps[t] > 0):
                    rows.append({"plane": plane, "src": labels[j][0], "dst": labels[j][1],
                                 "time": slot, "gbps": float(pd.gbps[t, j]),
                                 "determinacy": float(pd.leverage[j]),
                                 "estimate": bool(pd.leverage[j] < DETERMINED)})
        return rows

    def fit_rows(self) -> list[dict]:
        """``fit.csv``: per arc and slot, measured (empty when missing), fitted, residual."""
        rows = []
        for plane, pd in self.planes.items():
            graph = pd.routing.graph
            fitted = pd.fitted_gbps
            for t, slot in enumerate(self.slots):
                for arc in range(graph.n_arcs):
                    seen = bool(pd.measured[t, arc])
                    value = float(pd.measured_gbps[t, arc]) if seen else None
                    rows.append({"plane": plane, "link": graph.link_ids[graph.arc_link[arc]],
                                 "from": graph.node_ids[graph.arc_src[arc]],
                                 "to": graph.node_ids[graph.arc_dst[arc]], "time": slot,
                                 "measured_gbps": value, "fitted_gbps": float(fitted[t, arc]),
                                 "residual_gbps": None if value is None
                                 else float(fitted[t, arc]) - value})
        return rows

    def summary(self) -> dict:
        """``summary.json``: method, prior, slots, and per plane fit and determinacy."""
        return {
            "network": self.network,
            "method": self.method,
            "prior": self.prior,
            "slots": list(self.slots),
            "counters": self.counters,
            "planes": {plane: pd.summary() for plane, pd in self.planes.items()},
            "note": ("Deduced from measured link counters under the network's ECMP routing. "
                     "Where the counters leave an od open (determinacy < 1) its value leans "
                     "on the prior and is an estimate."),
        }

    def save(self, directory: str | os.PathLike) -> list[Path]:
        """Write ``demands.csv``, ``fit.csv`` and ``summary.json`` into ``directory``."""
        from netplan.io.atomic import write_text_atomic
        from netplan.io.tables import records_to_csv

        directory = Path(directory)
        return [
            write_text_atomic(directory / "demands.csv", records_to_csv(
                self.demand_rows(), DEMAND_COLUMNS, digits=9)),
            write_text_atomic(directory / "fit.csv", records_to_csv(
                self.fit_rows(), FIT_COLUMNS, digits=9)),
            write_text_atomic(directory / "summary.json",
                              json.dumps(self.summary(), indent=2, ensure_ascii=False) + "\n"),
        ]


DEMAND_COLUMNS = ("plane", "src", "dst", "time", "gbps", "determinacy", "estimate")
FIT_COLUMNS = ("plane", "link", "from", "to", "time", "measured_gbps", "fitted_gbps",
               "residual_gbps")


def _scaled_to(prior: np.ndarray, loads: np.ndarray, y: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """``prior`` scaled, slot by slot, so its loads best match the counters (least squares)."""
    num = (np.where(seen, loads * y, 0.0)).sum(axis=1)
    den = (np.where(seen, loads**2, 0.0)).sum(axis=1)
    factor = np.divide(num, den, out=np.ones_like(num), where=den > 0)
    return prior * factor[:, None]


def _with_floor(prior: np.ndarray) -> np.ndarray:
    mean = prior.mean(axis=1, keepdims=True)
    floor = PRIOR_FLOOR * np.where(mean > 0, mean, 1.0)
    return np.maximum(prior, floor)


@dataclass(frozen=True)
class _Rows:
    """The measured rows of one plane: matrix, values, mask."""

    matrix: sp.csr_matrix
    y: np.ndarray
    seen: np.ndarray


def _measured_rows(routing: PlaneRouting, y: np.ndarray, seen: np.ndarray,
                   totals: tuple | None) -> _Rows:
    if totals is None:
        return _Rows(routing.matrix, y, seen)
    into, out, node_seen = totals
    originates, terminates = routing.node_rows()
    return _Rows(sp.vstack([routing.matrix, originates, terminates]).tocsr(),
                 np.hstack([y, into, out]), np.hstack([seen, node_seen, node_seen]))


def _gravity_prior(routing: PlaneRouting, rows: _Rows, totals: tuple | None, fit, rel_error):
    """Gravity from the node totals; missing totals from a first fit on a uniform prior."""
    n_slots = rows.y.shape[0]
    n_nodes = routing.graph.n_nodes
    if totals is not None and totals[2].all():
        into, out = totals[0], totals[1]
    else:
        uniform = np.ones((n_slots, routing.n_od))
        uniform = _scaled_to(uniform, (rows.matrix @ uniform.T).T, rows.y, rows.seen)
        first = fit(rows.matrix, rows.y, rows.seen, _with_floor(uniform), rel_error).gbps
        originates, terminates = routing.node_rows()
        into, out = (originates @ first.T).T, (terminates @ first.T).T
        if totals is not None:
            into = np.where(totals[2], totals[0], into)
            out = np.where(totals[2], totals[1], out)
    del n_nodes
    prior = gravity(into, out, routing.od_src, routing.od_dst)
    return _with_floor(_scaled_to(prior, (rows.matrix @ prior.T).T, rows.y, rows.seen))


def modelled_prior(routing: PlaneRouting, demand: PlaneDemand,
                   slot_hours: tuple[int | None, ...]) -> np.ndarray:
    """A scenario's modelled demand (base year) at each slot's hour, on ``routing``'s ods.

    A slot without an hour takes the plane's busy hour.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> d = netplan.build_demand(topo, s).planes["intranet"]
    >>> r = routing_matrix(topo.plane_graph("intranet"))
    >>> p = modelled_prior(r, d, (10, None))
    >>> bool(np.isclose(p[0].sum(), d.total_gbps[0, 10].sum()))
    True
    """
    total = demand.total_gbps[0]  # [hour, od] of the base year
    busy = int(np.argmax(total.sum(axis=1)))
    hours = [busy if h is None else h for h in slot_hours]
    position = {(s, d): j for j, (s, d) in enumerate(routing.od_labels())}
    ids = demand.node_ids
    prior = np.zeros((len(hours), routing.n_od))
    for k, (s, d) in enumerate(zip(demand.od_src, demand.od_dst, strict=True)):
        j = position.get((ids[s], ids[d]))
        if j is not None:
            prior[:, j] += total[hours, k]
    return prior


def deduce(network: MeasuredNetwork, counters: LinkCounters, node_totals: NodeTotals | None = None,
           *, demand: dict[str, PlaneDemand] | None = None, method: str = "min-divergence",
           rel_error: float = DEFAULT_REL_ERROR) -> Deduction:
    """Deduce the od matrix of every plane and time slot from the counters.

    Parameters
    ----------
    network : MeasuredNetwork
    counters : LinkCounters
    node_totals : NodeTotals, optional
        Measured totals per node: a gravity prior and extra constraints.
    demand : dict of str to PlaneDemand, optional
        A scenario's modelled demand per plane: the prior instead of gravity.
    method : {"min-divergence", "per-slot", "least-squares"}
    rel_error : float
        Standard error of a counter relative to its value.

    Returns
    -------
    Deduction

    Examples
    --------
    A path A-B-C: four arc counters for six ods. The fit reproduces the counters; two
    degrees of freedom stay open (A>B and A>C share arc ab, and only their sum is seen).

    >>> from netplan.model.plane_graph import PlaneGraph
    >>> from netplan.measured.counters import LinkCounters
    >>> g = PlaneGraph.from_links("p", list("ABC"), ["ab", "bc"], list("AB"), list("BC"), 10.0)
    >>> net = MeasuredNetwork("line", {"p": g})
    >>> truth = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])  # A>B A>C B>A B>C C>A C>B
    >>> loads = routing_matrix(g).matrix @ truth
    >>> c = LinkCounters("c.csv", ("",), (None,), {"p": (np.zeros(4, int), np.arange(4), loads)})
    >>> d = deduce(net, c, rel_error=1e-7)
    >>> bool(np.allclose(d.planes["p"].fitted_gbps[0], loads, rtol=1e-5))
    True
    >>> d.planes["p"].summary()["degrees_of_freedom"]
    2
    """
    started = time.perf_counter()
    fit = METHODS[method]
    planes: dict[str, PlaneDeduction] = {}
    n_slots = len(counters.slots)
    for plane, graph in network.planes.items():
        if plane not in counters.loads and (node_totals is None or plane not in node_totals.totals):
            continue
        routing = routing_matrix(graph)
        y, seen = counters.arrays(plane, graph.n_arcs)
        totals = None
        if node_totals is not None and plane in node_totals.totals:
            totals = node_totals.arrays(plane, n_slots, graph.n_nodes)
        rows = _measured_rows(routing, y, seen, totals)
        if demand is not None and plane in demand:
            prior = modelled_prior(routing, demand[plane], counters.slot_hours)
            prior = _with_floor(_scaled_to(prior, (rows.matrix @ prior.T).T, rows.y, rows.seen))
        else:
            prior = _gravity_prior(routing, rows, totals, fit, rel_error)
        result = fit(rows.matrix, rows.y, rows.seen, prior, rel_error)
        rank, leverage = determinacy(rows.matrix[np.flatnonzero(rows.seen.any(axis=0))])
        planes[plane] = PlaneDeduction(routing, result.gbps, prior, y, seen, rank, leverage,
                                       result, totals is not None)
    prior_kind = "scenario" if demand is not None else "gravity"
    return Deduction(network.name, counters.slots, counters.slot_hours, planes, method,
                     prior_kind, dict(counters.stats), time.perf_counter() - started)
