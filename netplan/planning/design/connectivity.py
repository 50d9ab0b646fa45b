"""Spanning rows: the links a design pays for must connect the two ends of every demand.

A demand is routed only over links with capacity, so in every feasible design the links
with capacity (pre-installed or bought) connect the ends of every demand with a positive
volume. Within each connected part of the demand graph they therefore contain a tree that
reaches every node of the part. The rounded cut-set rows say this one cut at a time, and
their LP relaxation is weak: it may buy a fraction of a module on each side of a cycle.

The directed formulation of that tree is much stronger. From a root in each part, one unit
of flow goes to every other node of the part over arc variables ``x`` with
``x_ij + x_ji <= Σ modules on the link`` (``<= 1`` on a link with pre-installed capacity);
every flow stays below ``x`` on each arc. For one part spanning every node this is the
arborescence polytope, whose LP optimum is the cheapest spanning tree, so the LP bound of
the design MILP is at least what the cheapest tree of one module per link costs. On
instances where demands are small beside a module (SNDlib's india35 ``-N-N``: 595 demands
of 1 to 10 against modules of 600) that tree is most of the cost, and the cut-set LP falls
far below it.

Where every single link failure must be survived, the links bought must even connect every
demand's ends after any one of them fails: two link-disjoint paths from the root to every
node of its part (Menger). Then two units go to every node, and each arc variable is bounded
by the link's module count on its own (``x_a <= Σ modules``, ``x_a <= 1``): the LP then buys
at least two modules' worth of links across every cut that separates a part, which the
rounded cut-set rows give only for the node sets they list.

Every integer design that routes its demands satisfies the rows: direct a tree of its links
away from the root, set ``x`` to 1 on its arcs and route each unit along it; with two paths,
set ``x`` to 1 on both arcs of every link with capacity and route the two units over two
link-disjoint paths (:meth:`SpanningRows.fill`). The optimum is unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components, maximum_flow

from netplan.planning.design.backends import solve_arrays
from netplan.planning.design.problem import DesignProblem
from netplan.planning.design.strengthen import cutset_relaxation_arrays

__all__ = [
    "SpanningRows",
    "spanning_lifts",
    "spanning_lp_bounds",
    "spanning_pays",
    "spanning_rows",
    "with_spanning",
]

# Flow columns beyond which the rows cost the LP more than they give (about 300 links and
# 100 nodes to connect).
_MAX_COLUMNS = 60_000
# Least relative rise of the LP bound for which the rows are worth their columns: where
# capacity, not reach, sets the cost (SNDlib's pdh, france) they only slow HiGHS down.
_PAYS = 0.01


@dataclass(frozen=True)
class SpanningRows:
    """Columns and rows of the spanning formulation, to append to a model.

    The columns are the arc variables ``x`` (arc ``2l`` runs along link ``l``, ``2l + 1``
    against it) and then, for every node to reach, its flow (``paths`` units) on every arc.
    ``modules`` holds the rows' coefficients on the module counts, ``own`` on these columns.
    """

    n_columns: int
    column_ub: np.ndarray
    modules: sp.csr_array
    own: sp.csr_array
    row_lb: np.ndarray
    row_ub: np.ndarray
    n_nodes: int
    paths: int  # 1: a tree; 2: two link-disjoint paths to every node (single link failures)
    roots: np.ndarray  # root of the part of every node to reach
    targets: np.ndarray  # the nodes to reach, one flow each
    link_src: np.ndarray
    link_dst: np.ndarray

    def fill(self, link_open: np.ndarray) -> np.ndarray:
        """Values of the columns for a design whose links ``link_open`` have capacity.

        Parameters
        ----------
        link_open : (L,) bool

        Returns
        -------
        (n_columns,) float
            A tree of open links from every root, directed away from it, and each unit
            routed along it; zeros for a node the open links do not reach (such a design
            cannot route its demands anyway).
        """
        if self.paths == 2:
            return self._fill_two(link_open)
        L = self.link_src.size
        out = np.zeros(self.n_columns)
        links = np.flatnonzero(link_open)
        n = self.n_nodes
        g = sp.csr_array(
            (np.ones(2 * links.size), (np.r_[self.link_src[links], self.link_dst[links]],
                                       np.r_[self.link_dst[links], self.link_src[links]])),
            shape=(n, n),
        )  # fmt: skip
        arc_of = {}
        for lk in links:
            arc_of[(int(self.link_src[lk]), int(self.link_dst[lk]))] = 2 * lk
            arc_of[(int(self.link_dst[lk]), int(self.link_src[lk]))] = 2 * lk + 1
        trees = {}
        for root in np.unique(self.roots):
            _, pred = breadth_first_order(g, int(root), directed=True)
            trees[int(root)] = pred
        for k, (root, target) in enumerate(zip(self.roots, self.targets, strict=True)):
            pred = trees[int(root)]
            v = int(target)
            if pred[v] < 0:
                continue
            base = 2 * L * (k + 1)
            while v != root:
                arc = arc_of[(int(pred[v]), v)]
                out[base + arc] = 1.0
                out[arc] = 1.0
                v = int(pred[v])
        return out

    def _fill_two(self, link_open: np.ndarray) -> np.ndarray:
        """Both arcs of every open link, two link-disjoint paths to every node."""
        L, n = self.link_src.size, self.n_nodes
        out = np.zeros(self.n_columns)
        links = np.flatnonzero(link_open)
        out[2 * links] = out[2 * links + 1] = 1.0
        # Parallel links add up to one capacity between their end nodes; node n feeds each
        # root through an arc of capacity 2, so that exactly two units arrive.
        tails = np.r_[self.link_src[links], self.link_dst[links]]
        heads = np.r_[self.link_dst[links], self.link_src[links]]
        fed = {}
        for root in np.unique(self.roots):
            cap = sp.csr_array(
                (np.r_[np.ones(tails.size, np.int32), 2], (np.r_[tails, n], np.r_[heads, root])),
                shape=(n + 1, n + 1),
            )
            cap.sum_duplicates()
            fed[int(root)] = cap
        for k, (root, target) in enumerate(zip(self.roots, self.targets, strict=True)):
            res = maximum_flow(fed[int(root)], n, int(target))
            if res.flow_value < 2:
                continue
            net = res.flow.toarray()
            base = 2 * L * (k + 1)
            for lk in links:
                a, b = int(self.link_src[lk]), int(self.link_dst[lk])
                # Each unit of net flow between two nodes takes one of their parallel links.
                if net[a, b] >= 1:
                    out[base + 2 * lk] = 1.0
                    net[a, b] -= 1
                elif net[b, a] >= 1:
                    out[base + 2 * lk + 1] = 1.0
                    net[b, a] -= 1
        return out


def spanning_rows(p: DesignProblem) -> SpanningRows | None:
    """The spanning formulation of ``p``, or None where it does not apply or gives nothing.

    It applies to integer module counts (modular or explicit capacities) on undirected or
    bidirected links. When every single link failure is a state of ``p``, it asks for two
    link-disjoint paths to every node instead of a tree. It gives nothing when pre-installed capacity already connects every
    part of the demand graph, and it is left out when it would take more than 60,000 flow
    columns.

    Parameters
    ----------
    p : DesignProblem

    Returns
    -------
    SpanningRows or None

    Examples
    --------
    A triangle with one module type per link and demands from node 0 to nodes 1 and 2:
    two flows (to nodes 1 and 2) on six arcs, after the six arc columns.

    >>> p = DesignProblem(n_nodes=3, link_src=[0, 1, 0], link_dst=[1, 2, 2],
    ...     pre_capacity=[0] * 3, pre_cost=[0] * 3, routing_cost=[0] * 3,
    ...     module_link=[0, 1, 2], module_capacity=[10] * 3, module_cost=[1] * 3,
    ...     demand_src=[0, 0], demand_dst=[1, 2], demand_volume=[1, 1])
    >>> s = spanning_rows(p)
    >>> s.n_columns, s.targets.tolist()
    (18, [1, 2])
    """
    if p.capacity_model == "linear" or p.link_model == "directed" or p.n_modules == 0:
        return None
    L, N = p.n_links, p.n_nodes
    moving = p.demand_volume > 0
    if not moving.any():
        return None
    dg = sp.csr_array(
        (np.ones(int(moving.sum())), (p.demand_src[moving], p.demand_dst[moving])), shape=(N, N)
    )
    n_parts, part = connected_components(dg, directed=False)
    pre = p.pre_capacity > 0
    pg = sp.csr_array((np.ones(int(pre.sum())), (p.link_src[pre], p.link_dst[pre])), shape=(N, N))
    _, pre_part = connected_components(pg, directed=False)
    roots, targets = [], []
    for q in range(n_parts):
        nodes = np.flatnonzero(part == q)
        if nodes.size < 2 or np.unique(pre_part[nodes]).size == 1:
            continue  # nothing to connect, or pre-installed links connect it already
        roots += [nodes[0]] * (nodes.size - 1)
        targets += list(nodes[1:])
    K = len(targets)
    if K == 0 or 2 * L * (K + 1) > _MAX_COLUMNS:
        return None
    roots_a, targets_a = np.asarray(roots, np.int64), np.asarray(targets, np.int64)
    tail = np.empty(2 * L, np.int64)
    head = np.empty(2 * L, np.int64)
    tail[0::2], tail[1::2] = p.link_src, p.link_dst
    head[0::2], head[1::2] = p.link_dst, p.link_src
    arcs = np.arange(2 * L)
    single = {tuple(s) for s in p.states() if len(s) == 1}
    paths = 2 if all((lk,) in single for lk in range(L)) else 1
    if paths == 1:
        # Rows 0 .. L-1: x along + x against - Σ modules <= 1 if pre-installed else 0.
        own_r = [np.repeat(np.arange(L), 2)]
        mod_r = [p.module_link]
        row = L
    else:
        # Rows 0 .. 2L-1: x of each arc - Σ modules of its link <= 1 if pre-installed else 0.
        own_r = [arcs]
        mod_r = [2 * p.module_link, 2 * p.module_link + 1]
        row = 2 * L
    own_c = [arcs]
    own_v = [np.ones(2 * L)]
    mod_c = [np.arange(p.n_modules)] * len(mod_r)
    mod_v = [-np.ones(p.n_modules)] * len(mod_r)
    lo = [np.full(row, -np.inf)]
    hi = [np.repeat(pre.astype(float), 2) if paths == 2 else pre.astype(float)]
    for k in range(K):
        base = 2 * L * (k + 1)
        # Conservation at every node: out - in = 1 at the root, -1 at the target.
        own_r += [row + tail, row + head]
        own_c += [base + arcs, base + arcs]
        own_v += [np.ones(2 * L), -np.ones(2 * L)]
        b = np.zeros(N)
        b[roots_a[k]], b[targets_a[k]] = paths, -paths
        lo.append(b)
        hi.append(b)
        row += N
        # Flow <= x on every arc.
        own_r += [row + arcs, row + arcs]
        own_c += [base + arcs, arcs]
        own_v += [np.ones(2 * L), -np.ones(2 * L)]
        lo.append(np.full(2 * L, -np.inf))
        hi.append(np.zeros(2 * L))
        row += 2 * L
    n_cols = 2 * L * (K + 1)
    own = sp.csr_array(
        (np.concatenate(own_v), (np.concatenate(own_r), np.concatenate(own_c))),
        shape=(row, n_cols),
    )
    modules = sp.csr_array(
        (np.concatenate(mod_v), (np.concatenate(mod_r), np.concatenate(mod_c))),
        shape=(row, p.n_modules),
    )
    return SpanningRows(
        n_cols, np.ones(n_cols), modules, own, np.concatenate(lo), np.concatenate(hi), N, paths,
        roots_a, targets_a, p.link_src.copy(), p.link_dst.copy(),
    )  # fmt: skip


def with_spanning(arrays, s: SpanningRows, module_start: int = 0):
    """``arrays`` (``(c, lb, ub, integrality, A, row_lb, row_ub)``) with the columns and rows
    of ``s`` appended; the module counts are columns ``module_start`` onwards."""
    c, lb, ub, integ, A, rlb, rub = arrays
    n = c.size
    mods = sp.csr_array(s.modules)
    coo = mods.tocoo()
    left = sp.csr_array(
        (coo.data, (coo.row, coo.col + module_start)), shape=(mods.shape[0], n)
    )
    top = sp.hstack([A, sp.csr_array((A.shape[0], s.n_columns))])
    bottom = sp.hstack([left, s.own])
    return (
        np.r_[c, np.zeros(s.n_columns)],
        np.r_[lb, np.zeros(s.n_columns)],
        np.r_[ub, s.column_ub],
        np.r_[integ, np.zeros(s.n_columns)],
        sp.vstack([top, bottom]).tocsr(),
        np.r_[rlb, s.row_lb],
        np.r_[rub, s.row_ub],
    )


def spanning_pays(p: DesignProblem, cap: np.ndarray, upper: np.ndarray) -> bool:
    """Whether the spanning rows lift the LP bound of the normal state's cut-set relaxation
    (:func:`netplan.planning.design.strengthen.cutset_relaxation_arrays`) by at least 1 %.

    Where capacity, not reach, sets the cost, the rows change the bound by a fraction of a
    per cent (SNDlib's pdh: 0.09 %) and only give HiGHS more columns to carry; where demands
    are small beside a module they lift it by tens of per cent (india35: 3,010 to 5,380).
    The two LPs take well under a second on SNDlib's largest instances.

    Parameters
    ----------
    p : DesignProblem
    cap, upper : (M,) float
        Effective module capacities and module-count bounds.

    Returns
    -------
    bool
        False also where the rows do not apply or an LP fails.
    """
    return spanning_lifts(*spanning_lp_bounds(p, cap, upper))


def spanning_lifts(without: float, with_rows: float) -> bool:
    """Whether LP bound ``with_rows`` is at least 1 % above ``without`` (False for ``nan``).

    Examples
    --------
    >>> spanning_lifts(3010.0, 5380.0), spanning_lifts(7661155.0, 7668285.0)
    (True, False)
    """
    return bool(with_rows >= without + _PAYS * max(abs(without), 1e-9))


def spanning_lp_bounds(p: DesignProblem, cap: np.ndarray, upper: np.ndarray) -> tuple[float, float]:
    """LP bounds of the normal state's cut-set relaxation without and with the spanning
    rows (``nan`` where an LP fails or the rows do not apply).

    Parameters
    ----------
    p : DesignProblem
    cap, upper : (M,) float
        Effective module capacities and module-count bounds.

    Returns
    -------
    (float, float)
    """
    rows = spanning_rows(p)
    base = cutset_relaxation_arrays(p, cap, upper, [()])
    if rows is None or base is None:
        return math.nan, math.nan
    bounds = []
    for c, lb, ub, integ, A, rlb, rub in (base, with_spanning(base, rows)):
        out = solve_arrays((c, lb, ub, np.zeros_like(integ), A, rlb, rub), backend="scipy",
                           time_limit_s=30.0, gap=0.0, options={})  # fmt: skip
        bounds.append(out.objective if out.status == "optimal" else math.nan)
    return bounds[0], bounds[1]
