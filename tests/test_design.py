"""The network-design MILP, one constraint family at a time, on networks small enough to
check by hand or by brute force (enumerating every module vector and checking each with the
independent routability LP)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from netplan.errors import RunError, ValidationError
from netplan.planning.check import check_routable
from netplan.planning.design.flowpaths import decompose_flow
from netplan.planning.design.milp import solve_design
from netplan.planning.design.problem import DesignProblem

TRIANGLE = dict(n_nodes=3, link_src=[0, 1, 0], link_dst=[1, 2, 2])


def problem(**kw) -> DesignProblem:
    L = len(kw["link_src"])
    base = dict(
        pre_capacity=np.zeros(L),
        pre_cost=np.zeros(L),
        routing_cost=np.zeros(L),
        module_link=np.arange(L),
    )
    base.update(kw)
    return DesignProblem(**base)


def solve(p: DesignProblem, **kw):
    kw.setdefault("time_limit_s", 30)
    kw.setdefault("gap", 0.0)
    r = solve_design(p, **kw)
    assert r.status == "optimal", r.message
    assert_valid_design(p, r)
    return r


def assert_valid_design(p: DesignProblem, r, tol: float = 1e-6) -> None:
    """Check a design from first principles: the decomposed paths route every demand in
    every state, avoid failed links, respect directions, add up to the reported link flows,
    and the link flows fit the installed capacity."""
    scale = max(1.0, float(p.demand_volume.max(initial=0)))
    # Module integrality and the capacity they give.
    if p.capacity_model != "linear":
        np.testing.assert_array_equal(r.module_count, np.round(r.module_count))
    if p.capacity_model == "explicit":
        per_link = np.bincount(p.module_link, weights=r.module_count, minlength=p.n_links)
        assert per_link.max(initial=0) <= 1
    cap = p.pre_capacity + np.bincount(
        p.module_link, weights=r.module_count * p.module_capacity, minlength=p.n_links
    )
    np.testing.assert_allclose(r.capacity, cap)
    for s, failed in enumerate(r.states):
        flow = np.zeros((p.n_links, 2))
        for d in range(p.n_demands):
            total = 0.0
            for amount, links in r.paths[s][d]:
                assert amount > 0
                total += amount
                at = int(p.demand_src[d])
                for lk in links:
                    assert lk not in failed, f"state {s} routes over failed link {lk}"
                    if p.link_src[lk] == at:
                        flow[lk, 0] += amount
                        at = int(p.link_dst[lk])
                    else:
                        assert p.link_dst[lk] == at, "path is not contiguous"
                        assert p.link_model != "directed", "path uses a link backwards"
                        flow[lk, 1] += amount
                        at = int(p.link_src[lk])
                assert at == p.demand_dst[d], "path does not end at the demand's target"
            assert total == pytest.approx(p.demand_volume[d], rel=1e-6, abs=tol * scale)
        np.testing.assert_allclose(flow, r.arc_flow[s], atol=1e-5 * scale)
        if p.link_model == "undirected":
            load = flow.sum(axis=1)
            assert np.all(load <= r.capacity + 1e-5 * scale)
        else:
            assert np.all(flow <= r.capacity[:, None] + 1e-5 * scale)
        if failed:
            assert np.all(r.arc_flow[s][list(failed)] == 0)


def brute_force(p: DesignProblem, survivable: bool = False) -> float:
    """Least module cost over every module vector, each checked by the routability LP
    (routing cost must be zero). Counts range up to what the total demand could need on a
    link; vectors are tried cheapest first so the first feasible one is optimal."""
    assert not np.any(p.routing_cost)
    total = p.demand_volume.sum()
    top = np.ceil(total / p.module_capacity).astype(int)
    if p.capacity_model == "explicit":
        top = np.ones(p.n_modules, int)
    grid = np.array(list(itertools.product(*[range(t + 1) for t in top])), dtype=float)
    if p.capacity_model == "explicit":
        per_link = np.zeros((len(grid), p.n_links))
        np.add.at(per_link.T, p.module_link, grid.T)
        grid = grid[per_link.max(axis=1) <= 1]
    cost = grid @ p.module_cost
    caps = p.pre_capacity + grid * p.module_capacity @ np.eye(p.n_links)[p.module_link]
    # Cheap necessary condition first: every node's links carry its demand (undirected).
    node_dem = np.bincount(p.demand_src, p.demand_volume, p.n_nodes) + np.bincount(
        p.demand_dst, p.demand_volume, p.n_nodes
    )
    inc = np.zeros((p.n_links, p.n_nodes))
    inc[np.arange(p.n_links), p.link_src] = 1
    inc[np.arange(p.n_links), p.link_dst] = 1
    cut = caps @ inc
    if survivable:
        cut = cut - (caps[:, :, None] * inc[None]).max(axis=1)
    ok = p.link_model != "undirected" or (cut >= node_dem - 1e-9).all(axis=1)
    ok = np.broadcast_to(ok, cost.shape)
    states = "single_link" if survivable else "none"
    for i in np.argsort(cost, kind="stable"):
        if not ok[i]:
            continue
        rep = check_routable(
            p.n_nodes,
            p.link_src,
            p.link_dst,
            caps[i],
            p.demand_src,
            p.demand_dst,
            p.demand_volume,
            link_model=p.link_model,
            demand_directed=p.demand_directed,
            failure_states=states,
        )
        if rep.all_feasible:
            return float(cost[i]) + float(p.pre_cost.sum())
    return np.inf


# --- capacity covering and module choice ---------------------------------------------------


@pytest.mark.parametrize(
    ("volume", "expected_cost", "expected_modules"),
    [(15, 6.0, [2, 0]), (35, 10.0, [0, 1]), (45, 13.0, [1, 1]), (80, 20.0, [0, 2])],
)
def test_module_mix_on_one_link(volume, expected_cost, expected_modules):
    # Modules 10 @ 3 and 40 @ 10 on one link: the cheapest cover, worked out by hand.
    p = problem(
        n_nodes=2,
        link_src=[0],
        link_dst=[1],
        module_link=[0, 0],
        module_capacity=[10, 40],
        module_cost=[3, 10],
        demand_src=[0],
        demand_dst=[1],
        demand_volume=[volume],
    )
    r = solve(p)
    assert r.objective == pytest.approx(expected_cost)
    assert r.module_count.tolist() == expected_modules
    assert r.bound == pytest.approx(expected_cost)


def test_preinstalled_capacity_counts_and_its_cost_is_constant():
    # Pre-installed 6 + modules of 10 must cover 25: two modules; pre cost 7 always paid.
    p = problem(
        n_nodes=2,
        link_src=[0],
        link_dst=[1],
        pre_capacity=[6],
        pre_cost=[7],
        module_capacity=[10],
        module_cost=[1],
        demand_src=[0],
        demand_dst=[1],
        demand_volume=[25],
    )
    r = solve(p)
    assert r.module_count.tolist() == [2]
    assert r.capacity.tolist() == [26]
    assert (r.cost_pre, r.cost_modules, r.objective) == (7.0, 2.0, 9.0)


def test_undirected_link_capacity_is_shared_by_both_directions():
    # Two opposite demands of 10 on one undirected link need 20 of capacity.
    kw = dict(
        n_nodes=2,
        link_src=[0],
        link_dst=[1],
        module_capacity=[10],
        module_cost=[1],
        demand_src=[0, 1],
        demand_dst=[1, 0],
        demand_volume=[10, 10],
    )
    assert solve(problem(**kw)).module_count.tolist() == [2]
    # Bidirected: each direction has the full capacity, one module suffices.
    r = solve(problem(link_model="bidirected", demand_directed=True, **kw))
    assert r.module_count.tolist() == [1]
    assert r.arc_flow[0].tolist() == [[10.0, 10.0]]


def test_directed_links_cannot_be_used_backwards():
    # Directed ring 0→1→2→0; demand 0→2 must take 0→1→2 although 2→0 is cheap.
    kw = dict(
        n_nodes=3,
        link_src=[0, 1, 2],
        link_dst=[1, 2, 0],
        module_capacity=[10, 10, 10],
        module_cost=[1, 1, 0.1],
        demand_src=[0],
        demand_dst=[2],
        demand_volume=[5],
    )
    directed = solve(problem(link_model="directed", demand_directed=True, **kw))
    assert directed.objective == pytest.approx(2.0)
    assert directed.module_count.tolist() == [1, 1, 0]
    undirected = solve(problem(**kw))
    assert undirected.objective == pytest.approx(0.1)


def test_linear_capacities_are_fractional():
    p = problem(
        n_nodes=2,
        link_src=[0],
        link_dst=[1],
        module_capacity=[10],
        module_cost=[1],
        demand_src=[0],
        demand_dst=[1],
        demand_volume=[15],
        capacity_model="linear",
    )
    r = solve(p)
    assert r.module_count[0] == pytest.approx(1.5)
    assert r.objective == pytest.approx(1.5)


def test_explicit_capacities_allow_one_module_once():
    kw = dict(
        n_nodes=2,
        link_src=[0],
        link_dst=[1],
        module_link=[0, 0],
        module_capacity=[10, 40],
        module_cost=[1, 3],
        demand_src=[0],
        demand_dst=[1],
        demand_volume=[15],
    )
    assert solve(problem(**kw)).objective == pytest.approx(2.0)  # 2 × 10
    r = solve(problem(capacity_model="explicit", **kw))
    assert r.objective == pytest.approx(3.0)  # only the 40 covers 15 alone
    assert r.module_count.tolist() == [0, 1]


def test_fixed_charge_opens_few_links():
    # Triangle, demand 0→2 of 5. Without setup costs the direct link's module (2) is dearer
    # than the two-hop route (1 + 1 = 2, tie broken either way); with setup costs 5 on every
    # link the single direct link wins: 2 + 5 = 7 < 2 + 10.
    kw = dict(
        TRIANGLE,
        module_capacity=[10, 10, 10],
        module_cost=[1, 1, 2],
        demand_src=[0],
        demand_dst=[2],
        demand_volume=[5],
    )
    r = solve(problem(setup_cost=[5, 5, 5], **kw))
    assert r.objective == pytest.approx(7.0)
    assert r.link_open.tolist() == [False, False, True]
    assert r.cost_setup == pytest.approx(5.0)


def test_fixed_charge_paid_for_preinstalled_links():
    p = problem(
        n_nodes=2,
        link_src=[0, 0],
        link_dst=[1, 1],
        pre_capacity=[5, 0],
        module_link=[1],
        module_capacity=[10],
        module_cost=[1],
        demand_src=[0],
        demand_dst=[1],
        demand_volume=[3],
        setup_cost=[4, 100],
    )
    r = solve(p)
    assert r.objective == pytest.approx(4.0)
    assert r.cost_setup == pytest.approx(4.0)


# --- flow conservation and routing cost ----------------------------------------------------


def test_routing_cost_picks_the_cheaper_route_and_is_accounted():
    # Ample pre-installed capacity; routing cost 5 on the direct link, 1 + 1 around.
    p = problem(
        **TRIANGLE,
        pre_capacity=[100, 100, 100],
        routing_cost=[1, 1, 5],
        module_link=np.zeros(0, int),
        module_capacity=[],
        module_cost=[],
        demand_src=[0],
        demand_dst=[2],
        demand_volume=[7],
    )
    r = solve(p)
    assert r.cost_routing == pytest.approx(14.0)
    assert r.paths[0][0] == ((pytest.approx(7.0), (0, 1)),)


def test_flows_split_when_capacity_is_short():
    # 15 from 0 to 2 with 10 pre-installed on each link and no modules; routing cost makes
    # the direct link preferable: 10 direct, 5 around.
    p = problem(
        **TRIANGLE,
        pre_capacity=[10, 10, 10],
        routing_cost=[1, 1, 1],
        module_link=np.zeros(0, int),
        module_capacity=[],
        module_cost=[],
        demand_src=[0],
        demand_dst=[2],
        demand_volume=[15],
    )
    r = solve(p)
    assert r.link_flow[0].tolist() == pytest.approx([5, 5, 10])
    assert sorted(a for a, _ in r.paths[0][0]) == pytest.approx([5, 10])


def test_infeasible_when_capacity_cannot_be_added():
    p = problem(
        n_nodes=2,
        link_src=[0],
        link_dst=[1],
        pre_capacity=[5],
        module_link=np.zeros(0, int),
        module_capacity=[],
        module_cost=[],
        demand_src=[0],
        demand_dst=[1],
        demand_volume=[6],
    )
    r = solve_design(p, time_limit_s=10, gap=0)
    assert r.status == "infeasible"
    assert not r.has_design and np.isnan(r.objective)


def test_disconnected_demand_is_reported():
    p = problem(
        n_nodes=3,
        link_src=[0],
        link_dst=[1],
        module_capacity=[10],
        module_cost=[1],
        demand_src=[0],
        demand_dst=[2],
        demand_volume=[1],
    )
    with pytest.raises(RunError, match="not connected"):
        solve_design(p, time_limit_s=10, gap=0)


def test_decompose_flow_cancels_cycles():
    # Flow 0→1→2 of 4 plus a cycle 1→2→1 of 3; the cycle must not appear in the paths.
    pieces = decompose_flow(3, [0, 1, 2], [1, 2, 1], [4.0, 7.0, 3.0], 0, {2: 4.0})
    assert pieces == [(2, 4.0, (0, 1))]


# --- survivability --------------------------------------------------------------------------


def test_survivable_triangle_by_hand():
    # Demand 15 between 0 and 2, modules of 10 at cost 1. Normal state: 2 modules on the
    # direct link. If it fails, 0-1 and 1-2 need 15 each (2 modules each); if 0-1 or 1-2
    # fails the direct link needs 15. Total 6.
    kw = dict(
        TRIANGLE,
        module_capacity=[10, 10, 10],
        module_cost=[1, 1, 1],
        demand_src=[0],
        demand_dst=[2],
        demand_volume=[15],
    )
    assert solve(problem(**kw)).objective == pytest.approx(2.0)
    r = solve(problem(survivability="unrestricted", **kw))
    assert r.objective == pytest.approx(6.0)
    assert r.module_count.tolist() == [2, 2, 2]
    assert len(r.states) == 4
    rep = check_routable(3, kw["link_src"], kw["link_dst"], r.capacity, [0], [2], [15])
    assert rep.all_feasible


def test_survivable_routing_cost_is_the_largest_flow_per_link():
    # SNDlib: with several states a link pays routing cost on its largest flow over states.
    p = problem(
        **TRIANGLE,
        pre_capacity=[100, 100, 100],
        routing_cost=[1, 1, 1],
        module_link=np.zeros(0, int),
        module_capacity=[],
        module_cost=[],
        demand_src=[0],
        demand_dst=[2],
        demand_volume=[4],
        survivability="unrestricted",
    )
    r = solve(p)
    # Direct link carries 4 normally; the detour carries 4 on two links when it fails.
    assert r.cost_routing == pytest.approx(12.0)


def test_bridge_failure_is_reported_not_solved():
    p = problem(
        n_nodes=2,
        link_src=[0],
        link_dst=[1],
        module_capacity=[10],
        module_cost=[1],
        demand_src=[0],
        demand_dst=[1],
        demand_volume=[1],
        survivability="unrestricted",
    )
    with pytest.raises(RunError, match="failure state"):
        solve_design(p, time_limit_s=10, gap=0)


def test_custom_failure_states():
    # Only the direct link may fail: 0-1 and 1-2 need 15 each, direct link needs 15 normally
    # unless the detour carries it; least: 2 + 2 modules on the detour and none direct.
    p = problem(
        **TRIANGLE,
        module_capacity=[10, 10, 10],
        module_cost=[1, 1, 1],
        demand_src=[0],
        demand_dst=[2],
        demand_volume=[15],
        survivability="unrestricted",
        failure_states=[[2]],
    )
    r = solve(p)
    assert r.objective == pytest.approx(4.0)
    assert r.states == ((), (2,))


def random_instance(
    rng: np.random.Generator, n: int, extra_links: int, n_dem: int, two_modules=False, **kw
):
    """A connected random network: a ring plus chords; one or two module types per link."""
    src = list(range(n))
    dst = [(i + 1) % n for i in range(n)]
    pairs = {tuple(sorted(x)) for x in zip(src, dst, strict=True)}
    while len(pairs) < n + extra_links:
        a, b = sorted(rng.choice(n, size=2, replace=False).tolist())
        pairs.add((a, b))
    pairs = sorted(pairs)
    L = len(pairs)
    d_pairs = [tuple(rng.choice(n, size=2, replace=False).tolist()) for _ in range(n_dem)]
    if two_modules:
        module_link = np.repeat(np.arange(L), 2)
        module_capacity = np.tile([10.0, 30.0], L)
        module_cost = np.column_stack(
            [rng.integers(1, 4, size=L), rng.integers(4, 9, size=L)]
        ).reshape(-1)
    else:
        module_link = np.arange(L)
        module_capacity = rng.choice([10, 20], size=L).astype(float)
        module_cost = rng.integers(1, 6, size=L).astype(float)
    return problem(
        n_nodes=n,
        link_src=[a for a, _ in pairs],
        link_dst=[b for _, b in pairs],
        module_link=module_link,
        module_capacity=module_capacity,
        module_cost=module_cost.astype(float),
        demand_src=[a for a, _ in d_pairs],
        demand_dst=[b for _, b in d_pairs],
        demand_volume=rng.integers(3, 15, size=n_dem).astype(float),
        **kw,
    )


@pytest.mark.parametrize("seed", range(1, 7))
def test_matches_brute_force_no_failures(seed):
    p = random_instance(np.random.default_rng(seed), n=4, extra_links=1, n_dem=3)
    expected = brute_force(p)
    assert np.isfinite(expected) and expected > 0
    for cuts, dominance in itertools.product((True, False), repeat=2):
        r = solve(p, cutset_cuts=cuts, dominance_bounds=dominance)
        assert r.objective == pytest.approx(expected), (cuts, dominance)
    r = solve(p, formulation="disaggregated")
    assert r.objective == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(1, 4))
def test_matches_brute_force_two_module_types(seed):
    p = random_instance(np.random.default_rng(seed), n=4, extra_links=0, n_dem=3, two_modules=True)
    expected = brute_force(p)
    assert solve(p).objective == pytest.approx(expected)
    assert solve(p, cutset_cuts=False, dominance_bounds=False).objective == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(1, 3))
def test_matches_brute_force_explicit_capacities(seed):
    p = random_instance(
        np.random.default_rng(seed),
        n=4,
        extra_links=1,
        n_dem=2,
        two_modules=True,
        capacity_model="explicit",
    )
    expected = brute_force(p)
    assert solve(p).objective == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(4, 8))
def test_matches_brute_force_survivable(seed):
    rng = np.random.default_rng(seed)
    p = random_instance(rng, n=4, extra_links=1, n_dem=2, survivability="unrestricted")
    expected = brute_force(p, survivable=True)
    plain = brute_force(random_instance(np.random.default_rng(seed), n=4, extra_links=1, n_dem=2))
    assert expected > plain  # survivability must cost something on these networks
    assert solve(p).objective == pytest.approx(expected)
    assert solve(p, cutset_cuts=False).objective == pytest.approx(expected)


@pytest.mark.parametrize("link_model", ["directed", "bidirected"])
def test_matches_brute_force_directed(link_model):
    rng = np.random.default_rng(7)
    p = problem(
        n_nodes=3,
        link_src=[0, 1, 2, 1, 2],
        link_dst=[1, 2, 0, 0, 1],
        module_capacity=[10, 10, 10, 20, 10],
        module_cost=rng.integers(1, 6, size=5).astype(float),
        demand_src=[0, 2, 1],
        demand_dst=[2, 1, 0],
        demand_volume=[12, 7, 9],
        link_model=link_model,
        demand_directed=True,
    )
    assert solve(p).objective == pytest.approx(brute_force(p))


def test_dominance_bounds_keep_the_optimum():
    # Modules 1 @ 1 and 3 @ 2 on one link, demand 7: 3 + 3 + 1 costs 5 (brute force).
    p = problem(
        n_nodes=2,
        link_src=[0],
        link_dst=[1],
        module_link=[0, 0],
        module_capacity=[1, 3],
        module_cost=[1, 2],
        demand_src=[0],
        demand_dst=[1],
        demand_volume=[7],
    )
    assert brute_force(p) == 5.0
    r = solve(p)
    assert r.objective == 5.0
    assert r.module_count.tolist() == [1, 2]
    assert solve(p, dominance_bounds=False).objective == 5.0


# --- single-path routing, hop limits, explicit paths ---------------------------------------


def test_single_path_routing_cannot_split():
    # Two parallel links with 8 pre-installed each; a demand of 12 fits split (no modules)
    # but on a single path needs one module of 10.
    kw = dict(
        n_nodes=2,
        link_src=[0, 0],
        link_dst=[1, 1],
        pre_capacity=[8, 8],
        module_capacity=[10, 10],
        module_cost=[1, 1],
        demand_src=[0],
        demand_dst=[1],
        demand_volume=[12],
    )
    assert solve(problem(**kw)).objective == 0.0
    r = solve(problem(routing="single_path", **kw))
    assert r.objective == 1.0
    assert len(r.paths[0][0]) == 1


def test_single_path_hop_limit():
    # Square 0-1-2-3-0 plus nothing else; demand 0→2 has two 2-hop paths. Path 0-1-2 is
    # cheap. With a hop limit of 1 it is impossible; of 2 both are allowed.
    kw = dict(
        n_nodes=4,
        link_src=[0, 1, 2, 3],
        link_dst=[1, 2, 3, 0],
        module_capacity=[10, 10, 10, 10],
        module_cost=[1, 1, 5, 5],
        demand_src=[0],
        demand_dst=[2],
        demand_volume=[5],
        routing="single_path",
    )
    assert solve(problem(demand_max_hops=[2], **kw)).objective == 2.0
    r = solve_design(problem(demand_max_hops=[1], **kw), time_limit_s=10, gap=0)
    assert r.status == "infeasible"


def test_explicit_candidate_paths_restrict_routing():
    kw = dict(
        TRIANGLE,
        module_capacity=[10, 10, 10],
        module_cost=[1, 1, 1],
        demand_src=[0],
        demand_dst=[2],
        demand_volume=[5],
    )
    assert solve(problem(**kw)).objective == 1.0
    r = solve(problem(candidate_paths=[[[0, 1]]], **kw))
    assert r.objective == 2.0
    assert r.paths[0][0] == ((5.0, (0, 1)),)


def test_hop_limits_with_continuous_all_paths_are_rejected():
    p = problem(
        **TRIANGLE,
        module_capacity=[10, 10, 10],
        module_cost=[1, 1, 1],
        demand_src=[0],
        demand_dst=[2],
        demand_volume=[5],
        demand_max_hops=[1],
    )
    with pytest.raises(ValidationError, match="hop limits"):
        solve_design(p, time_limit_s=10, gap=0)


# --- input validation and solver status ------------------------------------------------------


def test_bad_arrays_name_the_field():
    with pytest.raises(ValidationError) as exc:
        problem(
            n_nodes=2,
            link_src=[0],
            link_dst=[5],
            module_capacity=[10],
            module_cost=[-1],
            demand_src=[0],
            demand_dst=[1],
            demand_volume=[1],
        )
    text = str(exc.value)
    assert "link_dst" in text and "module_cost" in text


def test_bad_candidate_path_is_rejected():
    with pytest.raises(ValidationError, match=r"candidate_paths\[0\]\[0\]"):
        problem(
            **TRIANGLE,
            module_capacity=[10, 10, 10],
            module_cost=[1, 1, 1],
            demand_src=[0],
            demand_dst=[2],
            demand_volume=[5],
            candidate_paths=[[[1]]],
        )


def test_no_demands_costs_only_the_preinstalled_capacity():
    p = problem(
        n_nodes=2,
        link_src=[0],
        link_dst=[1],
        pre_capacity=[5],
        pre_cost=[3],
        module_capacity=[10],
        module_cost=[1],
        demand_src=np.zeros(0, int),
        demand_dst=np.zeros(0, int),
        demand_volume=[],
    )
    r = solve(p)
    assert (r.objective, r.module_count.tolist(), r.paths) == (3.0, [0.0], ((),))


def test_candidate_path_may_not_repeat_a_link():
    with pytest.raises(ValidationError, match="repeats a link"):
        problem(
            **TRIANGLE,
            module_capacity=[10, 10, 10],
            module_cost=[1, 1, 1],
            demand_src=[0],
            demand_dst=[1],
            demand_volume=[5],
            candidate_paths=[[[0, 0, 0]]],
        )


@pytest.mark.parametrize(
    ("kw", "field"), [({"time_limit_s": 0}, "time_limit_s"), ({"gap": -1}, "gap")]
)
def test_solver_limits_are_validated(kw, field):
    p = problem(
        n_nodes=2,
        link_src=[0],
        link_dst=[1],
        module_capacity=[10],
        module_cost=[1],
        demand_src=[0],
        demand_dst=[1],
        demand_volume=[1],
    )
    with pytest.raises(ValidationError, match=field):
        solve_design(p, **kw)


def test_deterministic():
    p = random_instance(np.random.default_rng(11), n=5, extra_links=2, n_dem=4)
    a = solve(p)
    b = solve(p)
    np.testing.assert_array_equal(a.module_count, b.module_count)
    np.testing.assert_array_equal(a.arc_flow, b.arc_flow)
