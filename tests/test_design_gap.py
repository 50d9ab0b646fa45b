"""Closing the design MILP's gap: module covers, rounded inequalities, the relaxation bound,
the first design, the two HiGHS interfaces, and the gap reported with every design.

Expectations are hand-computed or come from brute force over every module vector, each
vector checked by the independent routability LP (:mod:`netplan.planning.check`).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from netplan.cli import cli
from netplan.planning.check import check_routable
from netplan.planning.design import metric
from netplan.planning.design.backends import choose_solver, solve_arrays
from netplan.planning.design.formulation import build_model
from netplan.planning.design.incumbent import cheapest_cover, heuristic_design, repair_design
from netplan.planning.design.metric import (
    metric_cut,
    mir_round,
    mir_round_with_cost,
    relaxation_bound,
    routing_cut,
)
from netplan.planning.design.milp import solve_design
from netplan.planning.design.problem import DesignProblem
from netplan.planning.design.separation import separate_cutsets
from netplan.planning.design.strengthen import cut_sets, module_bounds

HAVE_HIGHSPY = importlib.util.find_spec("highspy") is not None
needs_highspy = pytest.mark.skipif(not HAVE_HIGHSPY, reason="highspy is not installed")
SNDLIB = Path(__file__).parent / "data" / "sndlib"


def ring_with_chords(rng, n: int, chords: int, n_dem: int, two_modules=True, **kw):
    """A ring plus random chords; modules of 10 (cost 3) and 30 (cost 7) on every link, or
    one module of 10 (cost 2 to 5) per link."""
    pairs = {tuple(sorted((i, (i + 1) % n))) for i in range(n)}
    while len(pairs) < n + chords:
        pairs.add(tuple(sorted(rng.choice(n, size=2, replace=False).tolist())))
    pairs = sorted(pairs)
    L = len(pairs)
    dem = [tuple(rng.choice(n, size=2, replace=False).tolist()) for _ in range(n_dem)]
    if two_modules:
        mods = dict(module_link=np.repeat(np.arange(L), 2), module_capacity=np.tile([10.0, 30.0], L),
                    module_cost=np.tile([3.0, 7.0], L))
    else:
        mods = dict(module_link=np.arange(L), module_capacity=np.full(L, 10.0),
                    module_cost=rng.integers(2, 6, size=L).astype(float))
    return DesignProblem(
        n_nodes=n, link_src=[a for a, _ in pairs], link_dst=[b for _, b in pairs],
        pre_capacity=np.zeros(L), pre_cost=np.zeros(L), routing_cost=np.zeros(L), **mods,
        demand_src=[a for a, _ in dem], demand_dst=[b for _, b in dem],
        demand_volume=rng.integers(4, 16, size=n_dem) * 1.0, **kw,
    )  # fmt: skip


def routable(p: DesignProblem, capacity) -> bool:
    states = "single_link" if p.survivability == "unrestricted" else "none"
    return check_routable(
        p.n_nodes, p.link_src, p.link_dst, capacity, p.demand_src, p.demand_dst,
        p.demand_volume, failure_states=states,
    ).all_feasible  # fmt: skip


def capacity_of(p: DesignProblem, y) -> np.ndarray:
    return p.pre_capacity + np.bincount(
        p.module_link, weights=np.asarray(y) * p.module_capacity, minlength=p.n_links
    )


def brute_force(p: DesignProblem, top: int = 3) -> float:
    """Least module cost over every vector with at most ``top`` modules of a type, cheapest
    first; a vector whose links cannot carry some node's demand is skipped before the LP."""
    grid = np.array(list(itertools.product(range(top + 1), repeat=p.n_modules)), float)
    cost = grid @ p.module_cost
    node_demand = np.bincount(p.demand_src, p.demand_volume, p.n_nodes) + np.bincount(
        p.demand_dst, p.demand_volume, p.n_nodes
    )
    for i in np.argsort(cost, kind="stable"):
        capacity = capacity_of(p, grid[i])
        at_node = np.bincount(p.link_src, capacity, p.n_nodes) + np.bincount(
            p.link_dst, capacity, p.n_nodes
        )
        if np.all(at_node >= node_demand - 1e-9) and routable(p, capacity):
            return float(cost[i])
    return math.inf


# --- cheapest module cover -------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_cheapest_cover_matches_enumeration(seed):
    rng = np.random.default_rng(seed)
    cap = rng.choice([7.0, 10.0, 25.0, 40.0], size=3, replace=False)
    cost = rng.integers(2, 20, size=3).astype(float)
    for need in (0.0, 9.0, 33.0, 61.5, 100.0):
        best = min(
            float(np.dot(n, cost))
            for n in itertools.product(range(16), repeat=3)
            if np.dot(n, cap) >= need
        )
        got, counts = cheapest_cover(need, cap, cost)
        assert got == pytest.approx(best)
        assert counts @ cap >= need and counts @ cost == pytest.approx(got)


def test_cheapest_cover_respects_bounds_and_single_module():
    # Two 10s cost 6 < one 40 at 10, but at most one 10 may be bought: 10 + 40 or one 40.
    assert cheapest_cover(15, [10, 40], [3, 10], [1, 5])[0] == 10.0
    assert cheapest_cover(15, [10, 40], [3, 10])[0] == 6.0
    assert cheapest_cover(15, [10, 40], [3, 10], single=True)[0] == 10.0
    assert cheapest_cover(50, [10, 40], [3, 10], single=True)[0] == math.inf


# --- valid inequalities ----------------------------------------------------------------------


def test_mir_round_keeps_every_integer_point():
    rng = np.random.default_rng(5)
    for _ in range(30):
        coef = rng.uniform(0.1, 5.0, size=3)
        rhs = float(rng.uniform(1.0, 12.0))
        rc, rr = mir_round(coef, rhs, float(rng.choice(coef)))
        for y in itertools.product(range(8), repeat=3):
            if np.dot(coef, y) >= rhs - 1e-12:
                assert np.dot(rc, y) >= rr - 1e-9


def test_metric_cut_by_hand_on_a_ring():
    # Square 0-1-2-3-0, unit lengths, demand 12 between opposite corners 0 and 2 (distance 2):
    # 10 Σ y >= 24. With link 0-1 failed the distance is still 2 on the other side.
    p = DesignProblem(
        n_nodes=4, link_src=[0, 1, 2, 3], link_dst=[1, 2, 3, 0], pre_capacity=[0, 0, 0, 5],
        pre_cost=[0] * 4, routing_cost=[0] * 4, module_link=[0, 1, 2, 3],
        module_capacity=[10] * 4, module_cost=[1] * 4, demand_src=[0], demand_dst=[2],
        demand_volume=[12],
    )  # fmt: skip
    coef, rhs = metric_cut(p, np.ones(4), ())
    assert np.allclose(coef, 10.0) and rhs == pytest.approx(24.0 - 5.0, rel=1e-6)
    coef, rhs = metric_cut(p, np.ones(4), (0,))
    assert coef[0] == 0.0 and rhs == pytest.approx(24.0 - 5.0, rel=1e-6)


@pytest.mark.parametrize("seed", range(2))
def test_metric_cuts_hold_for_every_routable_design(seed):
    rng = np.random.default_rng(seed)
    p = ring_with_chords(rng, 4, 1, 3, two_modules=False)
    mu = rng.uniform(0.0, 2.0, size=p.n_links)
    coef, rhs = metric_cut(p, mu, ())
    for y in itertools.product(range(3), repeat=p.n_modules):
        if routable(p, capacity_of(p, y)):
            assert coef @ np.asarray(y, float) >= rhs - 1e-7


def test_mir_round_with_cost_keeps_every_point():
    # Every integer y and continuous θ >= 0 on the original row meets the rounded one; θ is
    # checked at the least value the original row allows, where the rounded row is tightest.
    rng = np.random.default_rng(6)
    rounded = 0
    for _ in range(30):
        coef = rng.uniform(0.1, 5.0, size=3)
        rhs = float(rng.uniform(1.0, 12.0))
        out = mir_round_with_cost(coef, 1.0, rhs, float(rng.choice(coef)))
        if out is None:
            continue
        rounded += 1
        rc, rt, rr = out
        for y in itertools.product(range(8), repeat=3):
            theta = max(rhs - float(np.dot(coef, y)), 0.0)
            assert np.dot(rc, y) + rt * theta >= rr - 1e-9
    assert rounded >= 25


def priced(p: DesignProblem, rng) -> DesignProblem:
    """``p`` with a routing cost per unit of flow on every link."""
    return dataclasses.replace(p, routing_cost=np.round(rng.uniform(0.05, 0.4, p.n_links), 2))


def test_routing_cut_bounds_the_cheapest_routing_and_is_tight_at_its_duals():
    # The cheapest routing within capacities u costs rhs - coef · y or more for every price,
    # and exactly that at the routing LP's own capacity duals (LP duality).
    rng = np.random.default_rng(4)
    p = priced(ring_with_chords(rng, 5, 2, 5, two_modules=False), rng)
    tight = 0
    for _ in range(6):
        y = rng.integers(1, 4, size=p.n_modules).astype(float)
        u = capacity_of(p, y)
        cost, duals = metric._routing_duals(p, u)
        if not math.isfinite(cost):
            continue
        for mu in (duals, rng.uniform(0, 1, p.n_links), np.zeros(p.n_links)):
            coef, rhs = routing_cut(p, p.module_capacity, mu)
            assert rhs - coef @ y <= cost + 1e-6 * max(cost, 1.0)
        coef, rhs = routing_cut(p, p.module_capacity, duals)
        assert rhs - coef @ y == pytest.approx(cost, rel=1e-6)
        tight += 1
    assert tight >= 3


def test_extra_cut_sets_are_neighbourhoods_and_paths():
    # Star with centre 0 and leaves 1, 2, 3: the extra sets are {0,1,2}, {0,1,3}, {0,2,3}
    # (two leaves and the centre); the neighbourhood of 0 is every node, so it is left out.
    p = DesignProblem(
        n_nodes=4, link_src=[0, 0, 0], link_dst=[1, 2, 3], pre_capacity=[0] * 3,
        pre_cost=[0] * 3, routing_cost=[0] * 3, module_link=[], module_capacity=[],
        module_cost=[], demand_src=[], demand_dst=[], demand_volume=[],
    )  # fmt: skip
    base = {tuple(np.flatnonzero(m)) for m in cut_sets(p)}
    extra = {tuple(np.flatnonzero(m)) for m in cut_sets(p, extra=True)} - base
    assert extra == {(0, 1, 2), (0, 1, 3), (0, 2, 3)}


# --- separated cut-set rows -------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_separated_cut_rows_hold_for_every_routable_design(seed):
    # Rows separated from random fractional and integer designs are checked against every
    # module vector up to 2 per type that the independent LP finds routable.
    rng = np.random.default_rng(40 + seed)
    p = ring_with_chords(rng, 5, 1, 4, two_modules=False)
    cap = p.module_capacity
    rows = []
    for _ in range(6):
        rows += separate_cutsets(p, cap, rng.uniform(0, 1.5, p.n_modules), p.states())
        rows += separate_cutsets(p, cap, rng.integers(0, 2, p.n_modules) * 1.0, p.states())
    assert rows  # under-built designs always leave some cut short
    designs = [np.asarray(y, float) for y in itertools.product(range(3), repeat=p.n_modules)
               if routable(p, capacity_of(p, y))]
    assert designs
    for mods, coef, rhs in rows:
        for y in designs:
            assert coef @ y[mods] >= rhs - 1e-7


def test_separation_finds_the_short_region_of_a_path():
    # A path 0 - 1 - 2 - 3, demands from 0 and 1 to 3 of 6 each, one module of 10 per link:
    # the cut around {0, 1, 2} carries 12 on one link, so it needs two modules there. The
    # cuts around {0} and {0, 1} carry 6 and 12, {0, 1} on link 1 - 2: short as well.
    p = DesignProblem(
        n_nodes=4, link_src=[0, 1, 2], link_dst=[1, 2, 3], pre_capacity=[0] * 3,
        pre_cost=[0] * 3, routing_cost=[0] * 3, module_link=[0, 1, 2],
        module_capacity=[10] * 3, module_cost=[1] * 3, demand_src=[0, 1],
        demand_dst=[3, 3], demand_volume=[6, 6],
    )  # fmt: skip
    rows = separate_cutsets(p, p.module_capacity, np.ones(3), p.states())
    found = {(tuple(m.tolist()), tuple(c.tolist()), r) for m, c, r in rows}
    assert found == {((1,), (1.0,), 2.0), ((2,), (1.0,), 2.0)}


def test_separation_tests_every_failure_state():
    # A triangle with a demand of 5 from 0 to 2 and one module per link routes normally; with
    # the direct link down, the path 0 - 1 - 2 alone must carry it: rows for links 0 and 1.
    p = DesignProblem(
        n_nodes=3, link_src=[0, 1, 0], link_dst=[1, 2, 2], pre_capacity=[0] * 3,
        pre_cost=[0] * 3, routing_cost=[0] * 3, module_link=[0, 1, 2],
        module_capacity=[10] * 3, module_cost=[1] * 3, demand_src=[0], demand_dst=[2],
        demand_volume=[15], survivability="unrestricted",
    )  # fmt: skip
    y = np.array([1.0, 1.0, 1.0])
    assert separate_cutsets(p, p.module_capacity, y, [()]) == []
    rows = separate_cutsets(p, p.module_capacity, y, p.states())
    assert {(tuple(m.tolist()), r) for m, _, r in rows} >= {((0,), 2.0), ((1,), 2.0)}


# --- the relaxation bound and the first design ------------------------------------------------


@pytest.mark.parametrize("survivable", [False, True])
def test_relaxation_bound_never_exceeds_the_optimum(survivable):
    rng = np.random.default_rng(11)
    kw = {"survivability": "unrestricted"} if survivable else {}
    p = ring_with_chords(rng, 4, 0, 3, two_modules=False, **kw)
    optimum = brute_force(p)
    cap, ub, _ = module_bounds(p, float(p.demand_volume.sum()))
    r = relaxation_bound(p, cap, ub, p.states(), backend="scipy", time_budget_s=20)
    assert r.bound <= optimum + 1e-6
    if r.routable:
        assert routable(p, capacity_of(p, r.modules))


def test_relaxation_bound_is_exact_on_the_survivable_triangle():
    # Every link must carry the whole demand of 15 when another fails: two modules each.
    p = DesignProblem(
        n_nodes=3, link_src=[0, 1, 0], link_dst=[1, 2, 2], pre_capacity=[0] * 3,
        pre_cost=[0] * 3, routing_cost=[0] * 3, module_link=[0, 1, 2],
        module_capacity=[10] * 3, module_cost=[1, 2, 4], demand_src=[0], demand_dst=[2],
        demand_volume=[15], survivability="unrestricted",
    )  # fmt: skip
    cap, ub, _ = module_bounds(p, 15.0)
    r = relaxation_bound(p, cap, ub, p.states(), backend="scipy", time_budget_s=20)
    assert r.bound == pytest.approx(2 * (1 + 2 + 4)) and r.routable


@pytest.mark.parametrize("survivable", [False, True])
def test_heuristic_design_is_feasible_and_not_below_the_optimum(survivable):
    rng = np.random.default_rng(3)
    kw = {"survivability": "unrestricted"} if survivable else {}
    p = ring_with_chords(rng, 5, 1, 4, **kw)
    built = build_model(p, "aggregated")
    cap, _, _ = module_bounds(p, float(p.demand_volume.sum()))
    h = heuristic_design(p, built, built.model.arrays(), cap)
    y = h.x[built.module_start : built.module_start + p.n_modules]
    assert np.array_equal(y, np.round(y))
    assert routable(p, capacity_of(p, y))
    assert h.objective == pytest.approx(float(p.module_cost @ y))
    exact = solve_design(p, time_limit_s=30, gap=0, solver="scipy", incumbent=False)
    assert h.objective >= exact.objective - 1e-6


def small_single_module_model(seed: int, survivable: bool):
    """A four-node ring with one chord, three demands and one module type per link, built
    for repairs: ``(rng, problem, built model, effective capacities, arrays)``; ``rng`` is
    left where the instance's draws ended."""
    rng = np.random.default_rng(seed)
    kw = {"survivability": "unrestricted"} if survivable else {}
    p = ring_with_chords(rng, 4, 1, 3, two_modules=False, **kw)
    built = build_model(p, "aggregated")
    cap, _, _ = module_bounds(p, float(p.demand_volume.sum()))
    return rng, p, built, cap, built.model.arrays()


@pytest.mark.parametrize("survivable", [False, True])
def test_repaired_design_routes_keeps_what_it_needs_and_costs_no_less_than_the_optimum(
    survivable,
):
    rng, p, built, cap, arrays = small_single_module_model(5, survivable)
    optimum = brute_force(p)
    for start in (np.zeros(p.n_modules), rng.integers(0, 3, p.n_modules) * 1.0):
        d = repair_design(p, built, arrays, cap, start)
        y = d.x[built.module_start : built.module_start + p.n_modules]
        assert np.array_equal(y, np.round(y)) and routable(p, capacity_of(p, y))
        assert d.objective == pytest.approx(float(p.module_cost @ y))
        assert d.objective >= optimum - 1e-6


@needs_highspy
@pytest.mark.parametrize(("survivable", "seed"), [(False, 3), (False, 6), (True, 0), (True, 8)])
def test_repair_solves_the_whole_purchase_at_once_where_state_by_state_rounding_overbuilds(
    survivable, seed
):
    # On these instances the state-by-state LP repair from nothing rounds each purchase up
    # on its own and pays more than the brute-force optimum; the completion MILP (highspy)
    # buys everything at once and reaches the optimum.
    _, p, built, cap, arrays = small_single_module_model(seed, survivable)
    optimum = brute_force(p)
    nothing = np.zeros(p.n_modules)
    by_state = repair_design(p, built, arrays, cap, nothing, backend="scipy")
    at_once = repair_design(p, built, arrays, cap, nothing, backend="highspy")
    y = at_once.x[built.module_start : built.module_start + p.n_modules]
    assert routable(p, capacity_of(p, y))
    assert at_once.objective == pytest.approx(optimum)
    assert by_state.objective > optimum + 0.5


def test_relaxation_rows_hold_at_a_routable_design_and_its_bound_stays_below():
    # The rows the decomposition hands to the MILP hold for every integer design that routes:
    # checked at abilene's optimal design, which the independent LP finds routable; the
    # bound stays at or below that design's cost.
    from netplan.io.sndlib import read_model, read_network
    from netplan.planning.design.sndlib import design_problem

    d = SNDLIB / "abilene"
    p = design_problem(read_network(d / "abilene.txt"), read_model(d / "U-U-M-N-C-A-N-N.txt"))
    cap, ub, _ = module_bounds(p, float(p.demand_volume.sum()))
    r = relaxation_bound(p, cap, ub, p.states(), backend="scipy", time_budget_s=5)
    assert r.inequalities
    design = solve_design(p, time_limit_s=60, gap=0, solver="scipy", incumbent=False,
                          relaxation_bound=False)
    assert design.status == "optimal" and routable(p, design.capacity)
    assert r.bound <= design.objective + 1e-6
    for coef, rhs in r.inequalities:
        assert coef @ design.module_count >= rhs - 1e-6


@needs_highspy
@pytest.mark.parametrize("seed", range(3))
def test_the_master_prices_routing_and_proves_the_full_optimum(seed):
    # With routing costs, the master's routing column θ and its routing-cost rows make its
    # bound the full optimum, modules and routing; a modules-only master proves only the
    # module cost. Its rows hold at the optimal design with θ its routing cost.
    rng = np.random.default_rng(seed)
    p = priced(ring_with_chords(rng, 6, 3, 6), rng)
    exact = solve_design(p, time_limit_s=60, gap=0, relaxation_bound=False)
    y = exact.module_count
    routing = exact.objective - float(p.module_cost @ y)
    assert exact.status == "optimal" and routing > 1.0
    cap, ub, _ = module_bounds(p, float(p.demand_volume.sum()))
    r = relaxation_bound(p, cap, ub, p.states(), backend="highspy", time_budget_s=30, gap=0.0)
    assert r.routable
    assert r.bound == pytest.approx(exact.objective, rel=1e-6)
    with_theta = [coef for coef, _ in r.inequalities if coef.size == p.n_modules + 1]
    assert with_theta
    x = np.r_[y, routing / r.routing_unit]
    for coef, rhs in r.inequalities:
        assert coef @ x[: coef.size] >= rhs - 1e-6 * max(abs(rhs), 1.0)


@needs_highspy
def test_the_priced_master_stays_below_the_optimum_where_every_link_may_fail():
    # Routing cost counts each link's largest flow over the states; the master prices the
    # normal state's routing only, a lower bound.
    rng = np.random.default_rng(1)
    p = priced(ring_with_chords(rng, 6, 3, 6, survivability="unrestricted"), rng)
    exact = solve_design(p, time_limit_s=60, gap=0, relaxation_bound=False)
    cap, ub, _ = module_bounds(p, float(p.demand_volume.sum()))
    r = relaxation_bound(p, cap, ub, p.states(), backend="highspy", time_budget_s=30, gap=0.0)
    assert exact.status == "optimal"
    assert float(p.module_cost @ exact.module_count) < r.bound <= exact.objective + 1e-6


def test_the_master_lp_rounds_stay_solvable_with_costs_in_the_millions(monkeypatch):
    # cost266: module costs up to 2.2 million. With the master's costs in money, HiGHS's
    # dual simplex fails on the fourth LP round ("excessive dual values"), which ended the
    # rounds there; solved again with costs in units of the largest, every round solves.
    from netplan.io.sndlib import read_model, read_network
    from netplan.planning.design.sndlib import design_problem
    from netplan.planning.design.strengthen import cutset_relaxation_arrays

    d = SNDLIB / "cost266"
    p = design_problem(read_network(d / "cost266.txt"), read_model(d / "U-U-M-N-C-A-N-N.txt"))
    cap, ub, _ = module_bounds(p, float(p.demand_volume.sum()))
    statuses, failed = [], []
    solve, solve_lp = metric.solve_arrays, metric._solve_lp

    def solve_recording(*args, **kwargs):
        out = solve(*args, **kwargs)
        failed.append(out.status == "error")
        return out

    def solve_lp_recording(*args, **kwargs):
        out = solve_lp(*args, **kwargs)
        statuses.append(out.status)
        return out

    monkeypatch.setattr(metric, "solve_arrays", solve_recording)
    monkeypatch.setattr(metric, "_solve_lp", solve_lp_recording)
    monkeypatch.setattr(metric, "_LP_ROUNDS", 6)
    base = cutset_relaxation_arrays(p, cap, ub, p.states())
    rows, lp_bound = metric._lp_rows(p, cap, base, p.states(), time.perf_counter(), 600.0)
    assert any(failed)  # the unscaled LP does fail here
    assert statuses == ["optimal"] * 6
    assert len(rows) > 100 and math.isfinite(lp_bound)


@needs_highspy
@pytest.mark.parametrize("survivable", [False, True])
def test_a_master_design_that_routes_short_of_its_own_optimum_is_solved_on(
    survivable, monkeypatch
):
    # A first master round that stops 99 % short, on the repair's design (which routes in
    # every state), has nothing left to cut: the master runs on with the gap asked for and
    # proves the optimum of the full MILP.
    monkeypatch.setattr(metric, "_ROUND_GAP", 0.99)
    kw = {"survivability": "unrestricted"} if survivable else {}
    p = ring_with_chords(np.random.default_rng(1), 7, 3, 8, **kw)
    exact = solve_design(p, time_limit_s=60, gap=0, relaxation_bound=False)
    cap, ub, _ = module_bounds(p, float(p.demand_volume.sum()))
    everything = np.minimum(ub, 3.0)
    assert routable(p, capacity_of(p, everything))

    class Repair:
        best_modules = everything

        def __call__(self, modules):
            return float(p.module_cost @ everything)

    r = relaxation_bound(p, cap, ub, p.states(), backend="highspy", time_budget_s=30,
                         repair=Repair(), gap=0.0)  # fmt: skip
    assert exact.status == "optimal"
    assert r.rounds >= 2 and r.routable
    assert r.bound == pytest.approx(exact.objective)


class _Clock:
    """Stands in for the ``time`` module: the time moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_last_master_round_leaves_time_to_repair_its_design(monkeypatch):
    # Every integer master round here runs to its time limit without closing its gap. The
    # design of each, the last one too, still reaches the repair with a share of the budget
    # left, which the repair needs to turn it into a design that counts.
    import dataclasses

    p = ring_with_chords(np.random.default_rng(1), 7, 3, 8)
    cap, ub, _ = module_bounds(p, float(p.demand_volume.sum()))
    clock = _Clock()
    monkeypatch.setattr(metric, "time", clock)
    solve = metric.solve_arrays

    def to_the_limit(arrays, **kw):
        out = solve(arrays, **kw)
        if np.any(arrays[3]):
            clock.now += kw["time_limit_s"]
            return dataclasses.replace(out, status="limit", bound=0.5 * out.objective)
        return out

    monkeypatch.setattr(metric, "solve_arrays", to_the_limit)
    repaired_at: list[float] = []

    def repair(modules):
        repaired_at.append(clock.now)
        return math.inf

    budget_s = 100.0
    r = relaxation_bound(p, cap, ub, p.states(), time_budget_s=budget_s, repair=repair, gap=0.0)
    assert r.rounds >= 2 and len(repaired_at) == r.rounds
    assert repaired_at[-1] == pytest.approx(budget_s * (1 - metric._REPAIR_SHARE))


def knapsack_cover_arrays():
    """A knapsack-like cover over 40 integer columns that HiGHS needs to branch on."""
    import scipy.sparse as sp

    rng = np.random.default_rng(1)
    n = 40
    A = sp.csr_array(rng.integers(1, 30, size=(8, n)).astype(float))
    return (rng.uniform(1, 2, n), np.zeros(n), np.full(n, 3.0), np.ones(n), A,
            np.full(8, 211.5), np.full(8, np.inf))  # fmt: skip


@needs_highspy
def test_a_set_stop_event_ends_the_search_at_once():
    # With the event set before it starts, HiGHS stops at its first check and says it hit
    # a limit, never "optimal".
    import threading

    arrays = knapsack_cover_arrays()
    stop = threading.Event()
    stop.set()
    out = solve_arrays(arrays, backend="highspy", time_limit_s=60, gap=0,
                       options={"presolve": "off"}, stop=stop)
    assert out.status == "limit"
    free = solve_arrays(arrays, backend="highspy", time_limit_s=60, gap=0, options={})
    assert free.status == "optimal"


@needs_highspy
def test_highspy_hands_every_improving_solution_to_the_pool():
    # Each pooled solution is a feasible integer point, each cheaper than the one before,
    # and the last is the solution returned.
    c, lb, ub, integ, A, rlb, rub = arrays = knapsack_cover_arrays()
    pool: list = []
    out = solve_arrays(arrays, backend="highspy", time_limit_s=60, gap=0,
                       options={"presolve": "off"}, pool=pool)  # fmt: skip
    assert out.status == "optimal" and len(pool) >= 2
    for x in pool:
        assert np.allclose(x, np.round(x), atol=1e-6)
        assert np.all(x >= lb - 1e-9) and np.all(x <= ub + 1e-9)
        assert np.all(A @ x >= rlb - 1e-6)
    costs = [float(c @ x) for x in pool]
    assert all(b < a + 1e-9 for a, b in itertools.pairwise(costs))
    assert np.allclose(pool[-1], out.x)


def test_the_pool_rows_cut_off_a_rounds_other_designs_and_keep_every_routable_one():
    # A round's earlier designs that do not route each get rows they violate; the round's
    # own design is left to the round. Every row holds for the optimal design, which routes.
    p = ring_with_chords(np.random.default_rng(3), 6, 2, 6)
    cap, _, _ = module_bounds(p, float(p.demand_volume.sum()))
    optimum = solve_design(p, time_limit_s=60, gap=0, solver="scipy", incumbent=False,
                           relaxation_bound=False)  # fmt: skip
    assert optimum.status == "optimal" and routable(p, optimum.capacity)
    short = np.zeros(p.n_modules)
    short[0] = 1.0  # one small module: nothing routes
    half = np.floor(optimum.module_count / 2)
    assert not routable(p, capacity_of(p, half))
    rows = metric._pool_rows(p, cap, [short, half, optimum.module_count], half, p.states(),
                             budget_s=60)  # fmt: skip
    assert rows
    assert any(coef @ short < rhs - 1e-6 for coef, rhs in rows)
    for coef, rhs in rows:
        assert coef @ optimum.module_count >= rhs - 1e-6
    # A pool of designs that route, or of the round's own design only, adds nothing.
    assert metric._pool_rows(p, cap, [optimum.module_count, half], half, p.states(), 60) == []


@needs_highspy
def test_the_rounds_skip_their_other_designs_rows_with_several_states_or_a_higher_rival(
    monkeypatch,
):
    # Here the master's first designs do not route, and its rounds find several each.
    p = ring_with_chords(np.random.default_rng(3), 9, 4, 14, two_modules=False)
    cap, ub, _ = module_bounds(p, float(p.demand_volume.sum()))
    calls: list[int] = []
    pool_rows = metric._pool_rows

    def spy(*args, **kw):
        calls.append(len(args[2]))
        return pool_rows(*args, **kw)

    monkeypatch.setattr(metric, "_pool_rows", spy)
    alone = relaxation_bound(p, cap, ub, p.states(), backend="highspy", time_budget_s=30)
    assert alone.rounds >= 2 and calls and max(calls) >= 2
    calls.clear()
    relaxation_bound(p, cap, ub, p.states(), backend="highspy", time_budget_s=5,
                     rival_bound=lambda: 1e18)  # fmt: skip
    assert calls == []
    # With several states each design already yields a row per state it fails in.
    survivable = relaxation_bound(p, cap, ub, ((), (0,)), backend="highspy", time_budget_s=30)
    assert survivable.rounds >= 2 and calls == []


@needs_highspy
def test_the_search_reports_its_dual_bound_as_it_goes():
    # The bound another thread reads is a valid lower bound, at or below the optimum.
    progress: dict = {}
    out = solve_arrays(knapsack_cover_arrays(), backend="highspy", time_limit_s=60, gap=0,
                       options={"presolve": "off"}, progress=progress)
    assert out.status == "optimal"
    assert 0 < progress["bound"] <= out.objective + 1e-9


def test_a_design_the_milp_found_counts_for_the_race_stop():
    # The decomposition stops (and stops HiGHS) once its bound is within the gap of the
    # cheapest design known, HiGHS's own designs included.
    from netplan.planning.design.milp import _Repairs

    p = ring_with_chords(np.random.default_rng(1), 5, 1, 4)
    built = build_model(p, "aggregated")
    cap, _, _ = module_bounds(p, float(p.demand_volume.sum()))
    repairs = _Repairs(p, built, built.model.arrays(), cap, "scipy", 0.0, 60.0)
    assert repairs(None) == math.inf
    repairs.found.append(42.0)
    assert repairs(None) == 42.0


class _RecordingStop:
    """A stop event that is never set and records how long it was asked to wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def is_set(self) -> bool:
        return False

    def wait(self, timeout: float) -> bool:
        self.waits.append(timeout)
        return False


@needs_highspy
def test_the_master_waits_for_a_full_milp_that_bounds_higher_than_its_lp():
    # A MILP beside it bounding above the master's LP may close the gap alone: the integer
    # rounds wait up to a tenth of the budget first. A MILP bounding below: no wait.
    p = ring_with_chords(np.random.default_rng(1), 7, 3, 8)
    cap, ub, _ = module_bounds(p, float(p.demand_volume.sum()))
    exact = solve_design(p, time_limit_s=60, gap=0, relaxation_bound=False)
    for rival, waits in ((exact.objective, True), (-math.inf, False)):
        stop = _RecordingStop()
        # The recording stop returns at once: a long budget costs nothing and leaves the
        # wait positive however slowly the LP rounds run.
        r = relaxation_bound(p, cap, ub, p.states(), backend="highspy", time_budget_s=60,
                             stop=stop, rival_bound=lambda rival=rival: rival)  # fmt: skip
        assert bool(stop.waits) == waits
        assert all(0 < w <= 6.0 for w in stop.waits)
        assert r.rounds >= 1 and r.bound <= exact.objective + 1e-6


# --- the two interfaces ----------------------------------------------------------------------


def test_choose_solver():
    assert choose_solver("scipy") == "scipy"
    assert choose_solver("auto") == ("highspy" if HAVE_HIGHSPY else "scipy")
    with pytest.raises(ValueError, match="not one of"):
        choose_solver("cplex")


@needs_highspy
def test_highspy_takes_a_start_and_reports_it_first():
    # min 3a + 5b, a + b >= 2.5 (integer): optimum a = 3 (9); start from b = 3 (15). With
    # presolve on, HiGHS solves this one before it looks at the start.
    import scipy.sparse as sp

    arrays = (np.array([3.0, 5.0]), np.zeros(2), np.full(2, 9.0), np.ones(2),
              sp.csr_array(np.array([[1.0, 1.0]])), np.array([2.5]), np.array([np.inf]))
    out = solve_arrays(arrays, backend="highspy", time_limit_s=10, gap=0,
                       options={"presolve": "off"}, start=(np.arange(2), np.array([0.0, 3.0])))
    assert out.status == "optimal" and out.objective == 9.0 and out.bound == 9.0
    assert out.incumbents[0][1] == 15.0 and out.incumbents[-1][1] == 9.0


@pytest.mark.parametrize("seed", range(2))
def test_both_interfaces_and_every_option_reach_the_brute_force_optimum(seed):
    p = ring_with_chords(np.random.default_rng(20 + seed), 4, 1, 3, two_modules=False)
    optimum = brute_force(p)
    solvers = ["scipy", "highspy"] if HAVE_HIGHSPY else ["scipy"]
    for solver, start, relax in itertools.product(solvers, (True, False), (True, False)):
        r = solve_design(p, time_limit_s=30, gap=0, solver=solver, incumbent=start,
                         relaxation_bound=relax)
        assert r.status == "optimal" and r.objective == pytest.approx(optimum)
        assert r.bound <= r.objective + 1e-6 and r.gap <= 1e-4
        assert r.solver == solver


# --- the gap reported with every design ------------------------------------------------------


def test_gap_is_cost_minus_bound_over_cost_when_stopped_early():
    # pdh U-U-M-N-C-A-N-U is not closed in 6 s: the result carries a design, a bound below
    # its cost, and the gap between them; the design routes in every single link failure.
    from netplan.io.sndlib import read_model, read_network
    from netplan.planning.design.sndlib import design_problem

    p = design_problem(read_network(SNDLIB / "pdh" / "pdh.txt"),
                       read_model(SNDLIB / "pdh" / "U-U-M-N-C-A-N-U.txt"))
    r = solve_design(p, time_limit_s=6, gap=1e-4)
    assert r.has_design and r.status == "time_limit"
    assert 0 < r.bound < r.objective
    assert r.gap == pytest.approx((r.objective - r.bound) / r.objective)
    assert routable(p, r.capacity)


def test_cli_reports_the_proven_gap():
    net, model = SNDLIB / "polska" / "polska.txt", SNDLIB / "polska" / "U-U-M-N-C-A-N-N.txt"
    res = CliRunner().invoke(cli, ["sndlib", str(net), str(model), "--time-limit", "30",
                                   "--gap", "0"])
    assert res.exit_code == 0, res.output
    assert "total cost 23,619.0" in res.output and "proven gap 0.00 %" in res.output
    res = CliRunner().invoke(cli, ["sndlib", str(net), str(model), "--json", "--gap", "0"])
    doc = json.loads(res.output)
    assert doc["total_cost"] == pytest.approx(23619.0)
    assert doc["gap"] == pytest.approx((doc["total_cost"] - doc["bound"]) / doc["total_cost"])
    assert doc["solver"] == ("highspy" if HAVE_HIGHSPY else "scipy")
    assert doc["nodes"] >= 0
