"""Independent routability check: can the installed capacities carry every demand?

Given fixed link capacities, solve for every network state (the normal state and, by
default, every single link failure) a *maximum concurrent flow* LP: the largest fraction
``λ`` such that ``λ`` times every demand can be routed at once within the capacities. The
capacities suffice in a state exactly when ``λ >= 1``.

This LP shares no code with the design MILP (:mod:`netplan.planning.design.milp`): it has no
module variables, scales demands by ``λ`` instead of fixing them, and by default keeps one
commodity per demand (the design MILP aggregates demands by source), so a design accepted by
both has passed two different models.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from netplan.errors import Problem, RunError, ValidationError

log = logging.getLogger(__name__)

__all__ = ["RoutabilityReport", "check_routable", "single_link_failures"]

_LAMBDA_CAP = 1e3  # report headroom up to 1000× the demand


@dataclass(frozen=True, eq=False)
class RoutabilityReport:
    """Outcome of :func:`check_routable`.

    Attributes
    ----------
    states : tuple of tuple of int
        Failed links of each checked state (``()`` is the normal state).
    throughput : (S,) float
        Largest fraction of all demands routable at once in each state (capped at 1000).
    feasible : (S,) bool
        ``throughput >= 1 - tol``.
    """

    states: tuple[tuple[int, ...], ...]
    throughput: np.ndarray
    feasible: np.ndarray

    @property
    def all_feasible(self) -> bool:
        """True when every checked state can carry all demands."""
        return bool(self.feasible.all())

    def worst_state(self) -> tuple[int, ...]:
        """Failed links of the state with the least throughput."""
        return self.states[int(np.argmin(self.throughput))]


def single_link_failures(n_links: int) -> tuple[tuple[int, ...], ...]:
    """The normal state followed by every single link failure.

    Parameters
    ----------
    n_links : int

    Returns
    -------
    tuple of tuple of int
        Failed links of every state; ``()`` is the normal state.

    Examples
    --------
    >>> single_link_failures(2)
    ((), (0,), (1,))
    """
    return ((), *((i,) for i in range(n_links)))


def _input_problems(
    n_nodes, link_src, link_dst, cap, dsrc, ddst, vol, link_model, commodities
) -> list[Problem]:
    """What is wrong with the arrays and choices given to :func:`check_routable`."""
    L = link_src.size
    problems = []
    if link_dst.size != L or cap.size != L:
        problems.append(Problem("", "capacity", f"link arrays must all have {L} entries"))
    if ddst.size != dsrc.size or vol.size != dsrc.size:
        problems.append(Problem("", "demand_volume", "demand arrays must have equal length"))
    if link_model not in ("undirected", "bidirected", "directed"):
        problems.append(Problem("", "link_model", f"unknown link model {link_model!r}"))
    if commodities not in ("auto", "demand", "source"):
        problems.append(Problem("", "commodities", f"unknown choice {commodities!r}"))
    if not problems:
        if np.any(np.isnan(cap)) or np.any(cap < 0):
            problems.append(Problem("", "capacity", "must be >= 0"))
        if np.any(~np.isfinite(vol)) or np.any(vol < 0):
            problems.append(Problem("", "demand_volume", "must be finite and >= 0"))
        for name, a in (("link", link_src), ("link", link_dst), ("demand", dsrc), ("demand", ddst)):
            if a.size and (a.min() < 0 or a.max() >= n_nodes):
                problems.append(Problem("", f"{name} endpoints", "node index out of range"))
                break
    return problems


def _network_states(failure_states, n_links: int) -> tuple[tuple[int, ...], ...]:
    """The states to check: the normal state ``()`` first, then the failure states."""
    if isinstance(failure_states, str):
        if failure_states == "single_link":
            states = single_link_failures(n_links)
        elif failure_states == "none":
            states = ((),)
        else:
            raise ValidationError(
                [Problem("", "failure_states", f"unknown choice {failure_states!r}")]
            )
    else:
        states = ((), *(tuple(sorted(set(map(int, s)))) for s in failure_states if len(s)))
    return states


def _commodities(kind: str, n_nodes: int, dsrc, ddst, vol) -> tuple[np.ndarray, np.ndarray]:
    """Supply per commodity and node, and the demand per unit of each commodity's flow."""
    if kind == "source":
        # Undirected links carry flow either way, so each demand may be sent from its first
        # end; one commodity per source node with several sinks.
        srcs, kpos = np.unique(dsrc, return_inverse=True)
        K = srcs.size
        supply = np.zeros((K, n_nodes))
        np.add.at(supply, (kpos, dsrc), vol)
        np.add.at(supply, (kpos, ddst), -vol)
        return supply, np.ones(K)
    K = dsrc.size
    supply = np.zeros((K, n_nodes))
    supply[np.arange(K), dsrc] = 1.0
    supply[np.arange(K), ddst] = -1.0
    return supply, vol  # flow variables are fractions of each demand


def check_routable(
    n_nodes: int,
    link_src,
    link_dst,
    capacity,
    demand_src,
    demand_dst,
    demand_volume,
    *,
    link_model: str = "undirected",
    demand_directed: bool = False,
    failure_states="single_link",
    tol: float = 1e-6,
    commodities: str = "auto",
) -> RoutabilityReport:
    """Check that all demands fit the capacities in every network state.

    Parameters
    ----------
    n_nodes : int
    link_src, link_dst : int arrays (L,)
    capacity : float array (L,)
        Installed capacity (``inf`` = unlimited).
    demand_src, demand_dst : int arrays (D,)
    demand_volume : float array (D,)
    link_model : {"undirected", "bidirected", "directed"}
        ``undirected``: both directions share the capacity; ``bidirected``: each direction has
        it; ``directed``: only source→target.
    demand_directed : bool
        Whether demands must flow from source to target (irrelevant for undirected links).
    failure_states : "single_link", "none" or sequence of sequences of int
        States to check besides the normal state.
    tol : float
        A state passes when ``λ >= 1 - tol``.
    commodities : {"auto", "demand", "source"}
        One commodity per demand, or per source node (the same LP optimum, fewer variables);
        ``auto`` uses per demand unless that exceeds 300,000 flow variables per state.

    Returns
    -------
    RoutabilityReport

    Examples
    --------
    A triangle with capacity 10 per link and a demand of 15 between two corners: it fits
    (10 direct + 5 around), but not when the direct link fails.

    >>> r = check_routable(3, [0, 1, 0], [1, 2, 2], [10, 10, 10], [0], [2], [15])
    >>> r.throughput.round(3).tolist(), r.feasible.tolist()
    ([1.333, 0.667, 0.667, 0.667], [True, False, False, False])
    """
    link_src = np.asarray(link_src, np.int64).reshape(-1)
    link_dst = np.asarray(link_dst, np.int64).reshape(-1)
    cap = np.asarray(capacity, float).reshape(-1)
    dsrc = np.asarray(demand_src, np.int64).reshape(-1)
    ddst = np.asarray(demand_dst, np.int64).reshape(-1)
    vol = np.asarray(demand_volume, float).reshape(-1)
    L = link_src.size
    problems = _input_problems(
        n_nodes, link_src, link_dst, cap, dsrc, ddst, vol, link_model, commodities
    )
    if problems:
        raise ValidationError(problems)
    states = _network_states(failure_states, L)

    keep = vol > 0
    dsrc, ddst, vol = dsrc[keep], ddst[keep], vol[keep]
    if link_model == "directed":
        tail, head, arc_link = link_src, link_dst, np.arange(L)
    else:
        tail = np.concatenate([link_src, link_dst])
        head = np.concatenate([link_dst, link_src])
        arc_link = np.concatenate([np.arange(L), np.arange(L)])
    A = tail.size
    if commodities == "auto":
        commodities = "demand" if dsrc.size * A <= 300_000 else "source"
    supply, scale = _commodities(commodities, n_nodes, dsrc, ddst, vol)
    K = scale.size
    if K == 0:
        ones = np.full(len(states), _LAMBDA_CAP)
        return RoutabilityReport(states, ones, np.ones(len(states), bool))

    # Variables: K*A arc flows, then λ. Maximise λ.
    n = K * A + 1
    k_of = np.repeat(np.arange(K), A)
    a_of = np.tile(np.arange(A), K)
    var = np.arange(K * A)
    lam = K * A
    # Conservation: out - in - λ·supply = 0 per commodity and node.
    rows = np.concatenate([k_of * n_nodes + tail[a_of], k_of * n_nodes + head[a_of]])
    cols = np.concatenate([var, var])
    vals = np.concatenate([np.ones(K * A), -np.ones(K * A)])
    nz = np.flatnonzero(supply.reshape(-1))
    rows = np.concatenate([rows, nz])
    cols = np.concatenate([cols, np.full(nz.size, lam)])
    vals = np.concatenate([vals, -supply.reshape(-1)[nz]])
    A_eq = sp.csr_array((vals, (rows, cols)), shape=(K * n_nodes, n))
    b_eq = np.zeros(K * n_nodes)
    # Capacity rows: per link (undirected) or per arc.
    cap_row = arc_link if link_model == "undirected" else np.arange(A)
    row_cap = cap if link_model == "undirected" else cap[arc_link]
    finite = np.isfinite(row_cap)
    sel = finite[cap_row[a_of]]
    rpos = np.cumsum(finite) - 1
    A_ub = sp.csr_array(
        (scale[k_of[sel]], (rpos[cap_row[a_of[sel]]], var[sel])), shape=(int(finite.sum()), n)
    )
    b_ub = row_cap[finite]
    c = np.zeros(n)
    c[lam] = -1.0
    throughput = np.zeros(len(states))
    for s, failed in enumerate(states):
        ub = np.full(n, np.inf)
        ub[lam] = _LAMBDA_CAP
        if failed:
            dead = np.isin(arc_link, np.asarray(failed))
            ub[var[dead[a_of]]] = 0.0
        res = linprog(
            c,
            A_ub=A_ub,
            b_ub=b_ub,
            A_eq=A_eq,
            b_eq=b_eq,
            bounds=np.column_stack([np.zeros(n), ub]),
            method="highs",
        )
        if res.status != 0:
            raise RunError(f"routability LP failed in state {s} ({failed}): {res.message}")
        throughput[s] = res.x[lam]
    feasible = throughput >= 1.0 - tol
    log.info(
        "routability: %d of %d states feasible, worst λ %.6g",
        int(feasible.sum()),
        len(states),
        float(throughput.min()),
    )
    return RoutabilityReport(states, throughput, feasible)
