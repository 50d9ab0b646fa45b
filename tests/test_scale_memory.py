"""The failure sweep keeps per-state results as changes from the no-failure routes, and
streams its reductions: every public result is what the dense arrays give, however the
states are cut into blocks, and the stored changes are exactly the entries that differ."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from netplan.analysis.failures import failure_states, sweep_failures
from netplan.analysis.records import (
    failure_impact_records,
    link_loads,
    lost_demand_records,
    sla_violation_records,
)
from netplan.analysis.routing import ecmp_routing
from netplan.analysis.shortest_paths import array_routing
from netplan.analysis.state_changes import StateChanges, row_blocks
from netplan.analysis.sweep import with_permanent_failures
from netplan.demand import build_demand
from netplan.io.synthetic import synthetic_scenario, synthetic_topology
from netplan.model.plane_graph import PlaneGraph

TIE = 1e-9  # the sweep's tie margin: the earliest state within it names the cause


# ---------------------------------------------------------------------- StateChanges
def test_changes_rebuild_dense_rows_bit_for_bit():
    rng = np.random.default_rng(4)
    base_f = rng.uniform(0, 1, 30)
    base_i = rng.integers(0, 5, 30)
    dense_f = np.repeat(base_f[None], 12, axis=0)
    dense_i = np.repeat(base_i[None], 12, axis=0)
    hit = rng.uniform(size=dense_f.shape) < 0.15
    dense_f[hit] = rng.uniform(0, 1, hit.sum())
    dense_i[rng.uniform(size=dense_i.shape) < 0.1] = 7
    base_f[4] = 0.0
    dense_f[:, 4] = 0.0
    dense_f[3, 4], dense_f[5, 6] = -0.0, np.inf  # -0.0 differs from 0.0 in its bits
    ch = StateChanges.from_rows((base_f, base_i), (dense_f, dense_i), (np.float64, np.int32))
    expect = (dense_f.view(np.int64) != base_f.view(np.int64)) | (dense_i != base_i)
    assert ch.n_changes == int(expect.sum())
    for lo, hi in [(0, 12), (2, 3), (5, 11), (12, 12)]:
        f, i = ch.rows(lo, hi)
        assert (f.view(np.int64) == dense_f[lo:hi].view(np.int64)).all()
        assert (i == dense_i[lo:hi]).all() and i.dtype == base_i.dtype
    s, c = np.nonzero(np.ones_like(dense_i, dtype=bool))
    got_f, got_i = ch.values_at(s, c)
    assert (got_f.view(np.int64) == dense_f.ravel().view(np.int64)).all()
    assert (got_i == dense_i.ravel()).all()


def test_concat_and_pairs_agree_with_the_dense_rows():
    rng = np.random.default_rng(9)
    base = rng.integers(0, 3, 8)
    dense = np.repeat(base[None], 10, axis=0)
    dense[rng.uniform(size=dense.shape) < 0.3] = 5
    parts = [StateChanges.from_rows((base,), (dense[lo:hi],)) for lo, hi in
             [(0, 3), (3, 4), (4, 10)]]
    whole = StateChanges.concat(parts)
    assert (whole.rows(0, 10)[0] == dense).all()
    s, c = whole.pairs_where(whole.base[0] >= 2, whole.values[0] >= 2)
    es, ec = np.nonzero(dense >= 2)
    assert s.tolist() == es.tolist() and c.tolist() == ec.tolist()


def test_row_blocks_cover_the_rows_within_the_budget():
    for n, size, budget in [(0, 5, 10), (7, 3, 10), (100, 1000, 1), (9, 2, 100)]:
        blocks = list(row_blocks(n, size, budget))
        assert [r for lo, hi in blocks for r in range(lo, hi)] == list(range(n))
        assert all((hi - lo) * size <= max(budget, size) for lo, hi in blocks)


# ---------------------------------------------------------------------- the sweep
@pytest.fixture(scope="module")
def network():
    """A 50-site synthetic network (degree 4) and its busy day, every sample flattened."""
    topo = synthetic_topology(50, mean_degree=4.0, n_regions=3, seed=11)
    demand = build_demand(topo, synthetic_scenario(topo, seed=11))
    pd = demand.planes["extranet"]
    graph = topo.plane_graph("extranet")
    return graph, pd.od_src, pd.od_dst, pd.total_gbps.reshape(-1, pd.od_src.size)


def _from_scratch(graph, src, dst, demand, states):
    """Dense per-state results, every state routed afresh by the array version."""
    load, sample, reach, lat = [], [], [], []
    with array_routing():
        for state in states:
            routing = ecmp_routing(graph, src, dst, state.links, state.nodes)
            loads = link_loads(routing, demand)
            load.append(loads.max(axis=0))
            sample.append(loads.argmax(axis=0))
            reach.append(routing.reachable)
            lat.append(routing.latency_ms)
    return np.array(load), np.array(sample), np.array(reach), np.array(lat)


def test_reductions_equal_the_dense_ones_with_any_blocks(network):
    graph, src, dst, demand = network
    # a node down for the whole scenario: state 0 differs from the no-failure routes too
    states = with_permanent_failures(failure_states(graph, ["n-1", "n-1-nodes"]), (7,))
    load, _, reach, lat = _from_scratch(graph, src, dst, demand, states)
    util = load / graph.arc_capacity_gbps
    impact = graph.link_max(util)
    best = load.max(axis=0)
    first = np.argmax(load >= best - TIE * np.abs(best), axis=0)
    for budget in (1 << 22, 3 * graph.n_arcs, 1):  # one block, blocks of 3 states, 1 state
        sw = sweep_failures(graph, src, dst, demand, states, max_block_elements=budget)
        np.testing.assert_allclose(sw.arc_worst_load_gbps, best, rtol=1e-9, atol=1e-12)
        assert (sw.arc_cause_state == first).all()
        np.testing.assert_allclose(sw.arc_normal_load_gbps, load[0], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sw.arc_failure_load_gbps, load[1:].max(axis=0), rtol=1e-9,
                                   atol=1e-12)
        np.testing.assert_allclose(sw.link_normal_utilisation, impact[0], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sw.link_failure_utilisation, impact[1:].max(axis=0),
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sw.impact_rows(0, len(states)), impact, rtol=1e-9,
                                   atol=1e-12)
        assert (sw.od_rows(0, len(states))[0] == reach).all()
        np.testing.assert_array_equal(sw.od_rows(0, len(states))[1], lat)
        s, o = sw.unreachable_pairs()
        assert (s.tolist(), o.tolist()) == tuple(x.tolist() for x in np.nonzero(~reach))


def test_only_changed_entries_are_stored(network):
    graph, src, dst, demand = network
    states = failure_states(graph, "n-1")
    sw = sweep_failures(graph, src, dst, demand, states)
    load, sample = sw.state_rows(0, len(states))
    base_load, base_sample = sw.arc_changes.base
    changed = (load != base_load) | (sample != base_sample)
    assert sw.arc_changes.n_changes == int(changed.sum())
    assert sw.arc_changes.n_changes < 0.5 * load.size  # a link failure moves a few routes
    reach, lat = sw.od_rows(0, len(states))
    assert sw.od_changes.n_changes == int(((reach != sw.base_routing.reachable)
                                           | (lat != sw.base_routing.latency_ms)).sum())
    # the no-failure state changes nothing; a failure changes at least its loaded arcs
    ptr, cols = sw.arc_changes.ptr, sw.arc_changes.cols
    assert ptr[1] == 0
    for si, state in enumerate(states[1:], start=1):
        dead = graph.arcs_of_links(list(state.links))
        assert set(dead[base_load[dead] > 0]) <= set(cols[ptr[si]:ptr[si + 1]].tolist())


def test_records_equal_the_dense_formulas():
    # C-D is a bridge: failing it cuts off D; A-B's failure slows A->B through C
    g = PlaneGraph.from_links("t", list("ABCD"), ["ab", "bc", "ca", "cd"], list("ABCC"),
                              list("BCAD"), capacity_gbps=[10.0, 2.0, 10.0, 1.0],
                              latency_ms=[1.0, 1.0, 1.0, 2.0], weight=1.0)
    demand = np.array([[1.0, 0.2, 0.0], [0.5, 0.8, 0.0]])  # A->B, A->D, B->D (no demand)
    sw = sweep_failures(g, ["A", "A", "B"], ["B", "D", "D"], demand,
                        failure_states(g, ["n-1", "n-1-nodes"]), max_block_elements=1)
    names = sw.state_names
    lost = [(r["failure"], r["destination"], r["lost_gbps"]) for r in lost_demand_records(g, sw)]
    # an od without demand loses nothing; A's own failure drops its two ods
    assert lost == [("link:cd", "D", 0.8), ("node:A", "B", 1.0), ("node:A", "D", 0.8),
                    ("node:B", "B", 1.0), ("node:C", "D", 0.8), ("node:D", "D", 0.8)]
    sla = {(r["failure"], r["origin"], r["destination"], r["latency_ms"])
           for r in sla_violation_records(g, sw, [1.5, 3.5, 10.0]) if r["reachable"]}
    assert sla == {("link:ab", "A", "B", 2.0), ("link:ca", "A", "D", 4.0)}
    impact = {r["failure"]: r for r in failure_impact_records(g, sw)}
    assert impact["link:cd"]["unreachable_ods"] == 2 and impact["node:A"]["unreachable_ods"] == 2
    assert impact["node:A"]["lost_gbps"] == pytest.approx(1.8)
    # c->d carries A->D, 0.8 of 1 Gbit/s, whenever D is reached; without C, A->B alone
    assert impact["link:ab"]["busiest_link"] == "cd"
    assert impact["link:ab"]["max_utilisation"] == pytest.approx(0.8)
    assert impact["node:C"]["busiest_link"] == "ab"
    assert impact["node:C"]["max_utilisation"] == pytest.approx(0.1)
    assert len(impact) == len(names)


@pytest.mark.slow
def test_sweep_memory_stays_below_the_dense_layout():
    # 300 sites, n-1: the dense per-state arrays would take states x (16 arcs + 8 links +
    # 9 ods) bytes; the sweep with a small working block holds well under half of that.
    topo = synthetic_topology(300, mean_degree=4.0, n_regions=4, seed=2)
    demand = build_demand(topo, synthetic_scenario(topo, seed=2))
    pd = demand.planes["extranet"]
    graph = topo.plane_graph("extranet")
    states = failure_states(graph, "n-1")
    samples = pd.total_gbps.reshape(-1, pd.od_src.size)
    dense = len(states) * (16 * graph.n_arcs + 8 * graph.n_links + 9 * pd.od_src.size)
    # once on a few ods first: loading the compiled kernel allocates too, once per process
    sweep_failures(graph, pd.od_src[:3], pd.od_dst[:3], samples[:, :3], states[:3])
    tracemalloc.start()
    try:
        sw = sweep_failures(graph, pd.od_src, pd.od_dst, samples, states,
                            max_block_elements=1 << 16)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    held = sw.arc_changes.nbytes + sw.od_changes.nbytes
    assert held < 0.2 * dense
    assert peak < 0.5 * dense


def _dense_requirements(scenario, ps):
    """Required capacity, binding (state, sample, load) and lost items from the dense arrays."""
    states = ps.states
    targets = np.array([scenario.targets.max_utilisation_normal]
                       + [scenario.targets.max_utilisation_failure] * (len(states) - 1))
    required, binding, lost = [], [], []
    for sweep in ps.sweeps:
        need = sweep.state_arc_load_gbps / targets[:, None]
        worst_state = np.argmax(need, axis=0)
        arc_need = need.max(axis=0)
        per_link, why = [], []
        for li in range(ps.graph.n_links):
            arcs = np.flatnonzero(ps.graph.arc_link == li)
            arc = int(arcs[np.argmax(arc_need[arcs])])
            si = int(worst_state[arc])
            per_link.append(arc_need[arc])
            why.append((states[si].name, int(sweep.state_arc_sample[si, arc]) % 24,
                        float(sweep.state_arc_load_gbps[si, arc])))
        required.append(per_link)
        binding.append(why)
    lost_gbps = ps.sweeps[-1].lost_gbps.copy()
    lost_gbps[1:, lost_gbps[0] > 0] = 0.0  # lost anyway: once, in the no-failure state
    for si, oi in zip(*np.nonzero(lost_gbps > 0), strict=True):
        lost.append((states[si].name, int(oi), float(lost_gbps[si, oi])))
    return np.array(required).T, binding, lost


def test_requirements_equal_the_dense_formulas(tmp_path):
    import yaml

    import netplan
    from netplan.analysis.sweep import sweep_scenario
    from netplan.planning.fixed.requirements import link_requirements

    topo = netplan.load_topology(netplan.default_topology_path())
    # a district down all along: its ods are lost in every state, reported once
    path = tmp_path / "wanzhou-down.yaml"
    path.write_text(yaml.safe_dump({
        "kind": "scenario", "extends": str(netplan.default_scenario_path("baseline")),
        "name": "wanzhou-down", "title": "Wanzhou down", "question": "What is lost?",
        "overrides": [{"action": "fail_node", "node": "wanzhou"}]}), encoding="utf-8")
    scenario = netplan.load_scenario(path, topo)
    sweeps = sweep_scenario(build_demand(topo, scenario), ("n-1",), by_year=True)
    got = link_requirements(scenario, sweeps)
    for ps in sweeps:
        required, binding, lost = _dense_requirements(scenario, ps)
        req = got[ps.plane]
        assert (req.required_gbps == required).all()
        assert [[(b.failure, b.hour, b.load_gbps) for b in row] for row in
                np.array(req.binding, dtype=object).T.tolist()] == binding
        sw = ps.sweeps[-1]
        ods = {(ps.graph.node_ids[sw.od_src[o]], ps.graph.node_ids[sw.od_dst[o]]): o
               for o in range(sw.od_src.size)}
        assert [(r["failure"], ods[r["origin"], r["destination"]], r["lost_gbps"])
                for r in req.lost] == lost
    assert any(r["failure"] == "none" for r in got["extranet"].lost)


def test_parts_swept_in_other_processes_report_their_cost(network):
    import concurrent.futures as cf

    from netplan.analysis.distributed import spread_states, state_parts

    graph, src, dst, demand = network
    states = failure_states(graph, "n-1")
    one = sweep_failures(graph, src, dst, demand, states, batch_size=10)
    with cf.ProcessPoolExecutor(2) as pool, spread_states(pool, parts=3) as parts:
        spread = sweep_failures(graph, src, dst, demand, states, batch_size=10)
    for side in ("arc_changes", "od_changes"):
        a, b = getattr(one, side), getattr(spread, side)
        assert (a.ptr == b.ptr).all() and (a.cols == b.cols).all()
        assert all((x == y).all() for x, y in zip(a.values, b.values, strict=True))
    assert (spread.arc_cause_state == one.arc_cause_state).all()
    assert sorted(p["first_state"] for p in parts) == [lo for lo, _ in state_parts(
        len(states), 3, 10)]
    assert sum(p["states"] for p in parts) == len(states)
    assert all(p["peak_rss_mb"] > 0 and p["cpu_s"] >= 0 for p in parts)
