"""Loads from routings, and plain records from a failure sweep.

The record helpers turn a :class:`~netplan.analysis.failures.FailureSweep` plus the caller's sample
labels (scenario, year, hour ...) into lists of dicts with units in the keys, ready for
CSV, JSON or a report table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from netplan.analysis.failures import FailureSweep
from netplan.analysis.routing import Routing
from netplan.errors import Problem, ValidationError
from netplan.model.plane_graph import PlaneGraph

__all__ = [
    "failure_impact_records",
    "link_loads",
    "link_utilisation",
    "lost_demand_records",
    "sla_violation_records",
    "utilisation",
    "worst_case_records",
]


def link_loads(routing: Routing, demand_gbps) -> np.ndarray:
    """Arc loads for any number of demand samples: one sparse product.

    Parameters
    ----------
    routing : Routing
    demand_gbps : array_like, shape (..., n_od)
        Demand per od; leading axes (scenario, year, hour ...) are kept.

    Returns
    -------
    ndarray, shape (..., n_arcs)
        Gbit/s on every arc. Unreachable ods contribute nothing.

    Examples
    --------
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> from netplan.analysis.routing import ecmp_routing
    >>> g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc"], list("AB"), list("BC"), 10.0)
    >>> r = ecmp_routing(g, ["A", "C"], ["C", "B"])
    >>> link_loads(r, [[1.0, 2.0], [3.0, 0.0]]).tolist()  # arcs ab, ba, bc, cb
    [[1.0, 0.0, 1.0, 2.0], [3.0, 0.0, 3.0, 0.0]]
    """
    demand = np.asarray(demand_gbps, dtype=np.float64)
    if demand.shape[-1:] != (routing.n_od,):
        raise ValidationError(
            [
                Problem(
                    "",
                    "demand_gbps",
                    f"last axis must have {routing.n_od} ods, got shape {demand.shape}",
                )
            ]
        )
    flat = demand.reshape(-1, routing.n_od)
    loads = (routing.split @ np.ascontiguousarray(flat.T)).T
    return loads.reshape(*demand.shape[:-1], routing.split.shape[0])


def utilisation(graph: PlaneGraph, load_gbps) -> np.ndarray:
    """Arc load divided by arc capacity, shape (..., n_arcs).

    Examples
    --------
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> g = PlaneGraph.from_links("t", ["A", "B"], ["ab"], ["A"], ["B"], 4.0)
    >>> utilisation(g, [1.0, 3.0]).tolist()
    [0.25, 0.75]
    """
    return np.asarray(load_gbps, dtype=np.float64) / graph.arc_capacity_gbps


def link_utilisation(graph: PlaneGraph, load_gbps) -> np.ndarray:
    """Utilisation of every link (its busier direction), shape (..., n_links).

    Examples
    --------
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> g = PlaneGraph.from_links("t", ["A", "B"], ["ab"], ["A"], ["B"], 4.0)
    >>> link_utilisation(g, [1.0, 3.0]).tolist()
    [0.75]
    """
    return graph.link_max(utilisation(graph, load_gbps))


def _labels(sample_labels: Mapping[str, Sequence] | None, n_samples: int) -> dict[str, list]:
    if not sample_labels:
        return {}
    out = {}
    problems = []
    for key, values in sample_labels.items():
        values = (
            list(np.asarray(values).tolist()) if isinstance(values, np.ndarray) else list(values)
        )
        if len(values) != n_samples:
            problems.append(
                Problem(
                    "", f"sample_labels.{key}", f"expected {n_samples} labels, got {len(values)}"
                )
            )
        out[str(key)] = values
    if problems:
        raise ValidationError(problems)
    return out


def worst_case_records(
    graph: PlaneGraph, sweep: FailureSweep, sample_labels: Mapping[str, Sequence] | None = None
) -> list[dict]:
    """One record per link: its worst load and utilisation and what causes it.

    Parameters
    ----------
    graph : PlaneGraph
        The graph the sweep ran on.
    sweep : FailureSweep
    sample_labels : mapping of str to sequence, optional
        Labels of every sample, e.g. ``{"scenario": [...], "year": [...], "hour": [...]}``;
        the labels of the causing sample are copied into the record.

    Returns
    -------
    list of dict
        Keys ``link``, ``a``, ``b``, ``capacity_gbps``, ``worst_load_gbps``,
        ``worst_utilisation``, ``cause_failure``, ``cause_kind``, ``cause_sample`` and the
        label keys; sorted by decreasing utilisation.

    Examples
    --------
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> from netplan.analysis.failure_states import failure_states
    >>> from netplan.analysis.failures import sweep_failures
    >>> g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc", "ca"], list("ABC"),
    ...                           list("BCA"), capacity_gbps=[10.0, 2.0, 10.0])
    >>> sw = sweep_failures(g, ["A"], ["B"], [[1.0], [0.5]], failure_states(g, "n-1"))
    >>> rec = worst_case_records(g, sw, {"hour": [9, 21]})[0]
    >>> rec["link"], rec["worst_utilisation"], rec["cause_failure"], rec["hour"]
    ('bc', 0.5, 'link:ab', 9)
    """
    labels = _labels(sample_labels, sweep.n_samples)
    arc_a, arc_b = graph.arc_src, graph.arc_dst
    first_arc = np.full(graph.n_links, -1)
    first_arc[graph.arc_link[::-1]] = np.arange(graph.n_arcs)[::-1]
    rows = []
    for li in np.argsort(-sweep.link_worst_utilisation, kind="stable"):
        state = sweep.states[int(sweep.link_cause_state[li])]
        sample = int(sweep.link_cause_sample[li])
        arc = first_arc[li]
        row = {
            "link": graph.link_ids[li],
            "a": graph.node_ids[arc_a[arc]],
            "b": graph.node_ids[arc_b[arc]],
            "capacity_gbps": float(graph.link_capacity_gbps[li]),
            "worst_load_gbps": float(sweep.link_worst_load_gbps[li]),
            "worst_utilisation": float(sweep.link_worst_utilisation[li]),
            "cause_failure": state.name,
            "cause_kind": state.kind,
            "cause_sample": sample,
        }
        row.update({key: values[sample] for key, values in labels.items()})
        rows.append(row)
    return rows


def sla_violation_records(graph: PlaneGraph, sweep: FailureSweep, latency_target_ms) -> list[dict]:
    """Every (failure state, od) whose worst ECMP latency exceeds its target or is lost.

    Parameters
    ----------
    graph : PlaneGraph
    sweep : FailureSweep
    latency_target_ms : float or array_like, shape (n_od,)
        One-way latency target, for all ods or per od.

    Returns
    -------
    list of dict
        Keys ``failure``, ``origin``, ``destination``, ``latency_ms`` (inf when
        unreachable), ``target_ms``, ``reachable``; in state, then od order.

    Examples
    --------
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> from netplan.analysis.failure_states import failure_states
    >>> from netplan.analysis.failures import sweep_failures
    >>> g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc", "ca"], list("ABC"),
    ...                           list("BCA"), 10.0, latency_ms=[2.0, 3.0, 4.0])
    >>> sw = sweep_failures(g, ["A"], ["B"], [[1.0]], failure_states(g, "n-1"))
    >>> [(r["failure"], r["latency_ms"]) for r in sla_violation_records(g, sw, 5.0)]
    [('link:ab', 7.0)]
    """
    target = np.broadcast_to(np.asarray(latency_target_ms, dtype=np.float64), sweep.od_src.shape)
    states, ods = sweep.latency_pairs(np.ascontiguousarray(target))
    reachable, latency = sweep.od_changes.values_at(states, ods)
    rows = []
    for si, oi, ok, lat in zip(states.tolist(), ods.tolist(), reachable.tolist(),
                               latency.tolist(), strict=True):
        rows.append(
            {
                "failure": sweep.states[si].name,
                "origin": graph.node_ids[sweep.od_src[oi]],
                "destination": graph.node_ids[sweep.od_dst[oi]],
                "latency_ms": float(lat),
                "target_ms": float(target[oi]),
                "reachable": bool(ok),
            }
        )
    return rows


def lost_demand_records(graph: PlaneGraph, sweep: FailureSweep) -> list[dict]:
    """Every (failure state, od) whose demand cannot be delivered, with the peak lost.

    Examples
    --------
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> from netplan.analysis.failure_states import failure_states
    >>> from netplan.analysis.failures import sweep_failures
    >>> g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc"], list("AB"), list("BC"), 10.0)
    >>> sw = sweep_failures(g, ["A"], ["C"], [[1.0], [2.5]], failure_states(g, "n-1"))
    >>> [(r["failure"], r["lost_gbps"]) for r in lost_demand_records(g, sw)]
    [('link:ab', 2.5), ('link:bc', 2.5)]
    """
    rows = []
    for si, oi, gbps in zip(*(a.tolist() for a in sweep.lost_pairs()), strict=True):
        rows.append(
            {
                "failure": sweep.states[si].name,
                "origin": graph.node_ids[sweep.od_src[oi]],
                "destination": graph.node_ids[sweep.od_dst[oi]],
                "lost_gbps": float(gbps),
            }
        )
    return rows


def failure_impact_records(graph: PlaneGraph, sweep: FailureSweep) -> list[dict]:
    """One record per failure state: its busiest link and the demand it disconnects.

    Examples
    --------
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> from netplan.analysis.failure_states import failure_states
    >>> from netplan.analysis.failures import sweep_failures
    >>> g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc", "ca"], list("ABC"),
    ...                           list("BCA"), capacity_gbps=[10.0, 2.0, 10.0])
    >>> sw = sweep_failures(g, ["A"], ["B"], [[1.0]], failure_states(g, "n-1"))
    >>> [(r["failure"], r["busiest_link"], r["max_utilisation"])
    ...  for r in failure_impact_records(g, sw)]
    [('none', 'ab', 0.1), ('link:ab', 'bc', 0.5), ('link:bc', 'ab', 0.1), ('link:ca', 'ab', 0.1)]
    """
    n_states = len(sweep.states)
    busiest = np.zeros(n_states, dtype=np.int64)
    top, lost = np.zeros(n_states), np.zeros(n_states)
    cut = np.zeros(n_states, dtype=np.int64)
    # a block of states at a time: the dense rows of one block, never of every state
    for lo, hi in sweep.state_blocks(max(graph.n_arcs, sweep.od_src.size, 1)):
        if graph.n_links:
            impact = sweep.impact_rows(lo, hi)
            busiest[lo:hi] = np.argmax(impact, axis=1)
            top[lo:hi] = impact[np.arange(hi - lo), busiest[lo:hi]]
        reachable = sweep.od_rows(lo, hi)[0]
        lost[lo:hi] = np.where(reachable, 0.0, sweep.peak_demand_gbps[None, :]).sum(axis=1)
        cut[lo:hi] = (~reachable).sum(axis=1)
    rows = []
    for si, state in enumerate(sweep.states):
        li = int(busiest[si])
        rows.append(
            {
                "failure": state.name,
                "kind": state.kind,
                "busiest_link": graph.link_ids[li] if graph.n_links else "",
                "max_utilisation": float(top[si]),
                "lost_gbps": float(lost[si]),
                "unreachable_ods": int(cut[si]),
            }
        )
    return rows
