"""Spanning rows: the links a design buys connect the ends of every demand.

The rows must keep every design that routes (the optimum is unchanged: checked against brute
force over module vectors, each checked by the independent routability LP) and must lift the
LP bound to at least the cheapest spanning tree of one module per link (computed
independently with networkx's minimum spanning tree).
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from netplan.errors import ValidationError
from netplan.io.sndlib import read_model, read_network
from netplan.planning.design.backends import solve_arrays
from netplan.planning.design.connectivity import spanning_pays, spanning_rows
from netplan.planning.design.formulation import build_model
from netplan.planning.design.incumbent import heuristic_design
from netplan.planning.design.metric import relaxation_bound
from netplan.planning.design.milp import solve_design
from netplan.planning.design.problem import DesignProblem
from netplan.planning.design.sndlib import design_problem
from netplan.planning.design.strengthen import module_bounds
from tests.test_design_gap import brute_force, ring_with_chords

SNDLIB = Path(__file__).parent / "data" / "sndlib"


def india35() -> DesignProblem:
    net = read_network(SNDLIB / "india35" / "india35.txt")
    return design_problem(net, read_model(SNDLIB / "india35" / "U-U-M-N-C-A-N-N.txt"))


def cheapest_tree(p: DesignProblem) -> float:
    """networkx's minimum spanning tree, one cheapest module per link."""
    g = nx.Graph()
    for lk in range(p.n_links):
        cost = float(p.module_cost[p.module_link == lk].min())
        a, b = int(p.link_src[lk]), int(p.link_dst[lk])
        if not g.has_edge(a, b) or g[a][b]["weight"] > cost:
            g.add_edge(a, b, weight=cost)
    return float(nx.minimum_spanning_tree(g).size(weight="weight"))


def lp_bound(p: DesignProblem, spanning: bool) -> float:
    built = build_model(p, "aggregated", spanning=spanning)
    c, lb, ub, integ, A, rlb, rub = built.model.arrays()
    out = solve_arrays((c, lb, ub, np.zeros_like(integ), A, rlb, rub), backend="scipy",
                       time_limit_s=60, gap=0, options={})  # fmt: skip
    assert out.status == "optimal"
    return out.objective + built.constant


def test_the_lp_bound_on_india35_reaches_the_cheapest_spanning_tree():
    p = india35()
    tree = cheapest_tree(p)
    assert tree == 5370.0
    without, with_rows = lp_bound(p, False), lp_bound(p, True)
    assert without < 0.75 * tree  # the flow and cut-set rows alone fall far short
    assert with_rows >= tree - 1e-6


def test_the_modules_only_master_on_india35_starts_above_the_tree():
    p = india35()
    cap, ub, _ = module_bounds(p, float(p.demand_volume.sum()))
    r = relaxation_bound(p, cap, ub, p.states(), backend="scipy", time_budget_s=20, max_rounds=2,
                         spanning_bound=math.inf)  # fmt: skip
    assert r.bound >= cheapest_tree(p) - 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_the_optimum_is_unchanged(seed):
    rng = np.random.default_rng(100 + seed)
    kw = {"survivability": "unrestricted"} if seed >= 4 else {}
    p = ring_with_chords(rng, 4, 1, 3, two_modules=False, **kw)
    assert spanning_rows(p) is not None
    best = brute_force(p)
    r = solve_design(p, time_limit_s=30, gap=0, relaxation_bound=False, incumbent=False,
                     spanning_rows=True)  # fmt: skip
    assert r.status == "optimal"
    assert r.objective == pytest.approx(best)


@pytest.mark.parametrize("survivable", [False, True])
def test_a_design_filled_in_meets_every_row(survivable):
    rng = np.random.default_rng(7)
    kw = {"survivability": "unrestricted"} if survivable else {}
    p = ring_with_chords(rng, 6, 2, 5, two_modules=False, **kw)
    built = build_model(p, "aggregated", spanning=True)
    assert built.spanning is not None
    assert built.spanning.paths == (2 if survivable else 1)
    arrays = built.model.arrays()
    cap, _, _ = module_bounds(p, float(p.demand_volume.sum()))
    design = heuristic_design(p, built, arrays, cap, backend="scipy")
    c, lb, ub, _, A, rlb, rub = arrays
    ax = A @ design.x
    tol = 1e-6 * np.maximum(1.0, np.abs(ax))
    assert np.all(ax >= rlb - tol) and np.all(ax <= rub + tol)
    assert np.all(design.x >= lb - 1e-9) and np.all(design.x <= ub + 1e-9)
    start = built.spanning_start
    assert design.x[start : start + built.spanning.n_columns].any()


def test_it_stays_out_where_pre_installed_links_connect_everything():
    rng = np.random.default_rng(3)
    p = ring_with_chords(rng, 5, 1, 3)
    connected = DesignProblem(
        n_nodes=p.n_nodes, link_src=p.link_src, link_dst=p.link_dst,
        pre_capacity=np.full(p.n_links, 1.0), pre_cost=p.pre_cost, routing_cost=p.routing_cost,
        module_link=p.module_link, module_capacity=p.module_capacity, module_cost=p.module_cost,
        demand_src=p.demand_src, demand_dst=p.demand_dst, demand_volume=p.demand_volume,
    )  # fmt: skip
    assert spanning_rows(connected) is None
    linear = DesignProblem(
        n_nodes=p.n_nodes, link_src=p.link_src, link_dst=p.link_dst,
        pre_capacity=p.pre_capacity, pre_cost=p.pre_cost, routing_cost=p.routing_cost,
        module_link=p.module_link, module_capacity=p.module_capacity, module_cost=p.module_cost,
        demand_src=p.demand_src, demand_dst=p.demand_dst, demand_volume=p.demand_volume,
        capacity_model="linear",
    )  # fmt: skip
    assert spanning_rows(linear) is None


def test_auto_takes_the_rows_where_reach_sets_the_cost_and_not_where_capacity_does():
    p = india35()
    cap, ub, _ = module_bounds(p, float(p.demand_volume.sum()))
    assert spanning_pays(p, cap, ub)
    net = read_network(SNDLIB / "pdh" / "pdh.txt")
    pdh = design_problem(net, read_model(SNDLIB / "pdh" / "U-U-M-N-C-A-N-N.txt"))
    cap, ub, _ = module_bounds(pdh, float(pdh.demand_volume.sum()))
    assert spanning_rows(pdh) is not None and not spanning_pays(pdh, cap, ub)


def test_a_bad_setting_is_refused():
    rng = np.random.default_rng(1)
    with pytest.raises(ValidationError, match="spanning_rows"):
        solve_design(ring_with_chords(rng, 4, 1, 3), spanning_rows="yes")
