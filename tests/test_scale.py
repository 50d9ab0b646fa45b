"""The failure sweep at scale: the compiled, incremental routing agrees with the array version
and with routing every state from scratch; states spread over workers give the same sweep."""

from __future__ import annotations

import concurrent.futures as cf
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import netplan
from netplan.analysis.distributed import spread_states, state_parts
from netplan.analysis.failures import failure_states, sweep_failures
from netplan.analysis.records import link_loads
from netplan.analysis.routing import ecmp_routing
from netplan.analysis.shortest_paths import array_routing
from netplan.demand import build_demand
from netplan.errors import RunError
from netplan.io.synthetic import synthetic_scenario, synthetic_topology
from netplan.model.plane_graph import PlaneGraph

SWEEP_FIELDS = (
    "arc_worst_load_gbps", "arc_worst_utilisation", "arc_cause_state", "arc_cause_sample",
    "link_worst_load_gbps", "link_worst_utilisation", "link_cause_state", "link_cause_sample",
    "state_arc_load_gbps", "state_arc_sample", "impact_utilisation", "reachable",
    "latency_ms", "base_load_gbps",
)


@pytest.fixture(scope="module")
def synthetic():
    """An 80-site synthetic network (degree 4) with its busy day, every sample flattened."""
    topo = synthetic_topology(80, mean_degree=4.0, n_regions=3, seed=7)
    demand = build_demand(topo, synthetic_scenario(topo, seed=7))
    pd = demand.planes["extranet"]
    graph = topo.plane_graph("extranet")
    return graph, pd.od_src, pd.od_dst, pd.total_gbps.reshape(-1, pd.od_src.size)


def assert_same_sweep(a, b, rtol=1e-9):
    for name in SWEEP_FIELDS:
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)


def test_compiled_sweep_matches_the_array_version(synthetic):
    graph, src, dst, demand = synthetic
    states = failure_states(graph, ["n-1", "n-1-nodes", "srlg"])
    fast = sweep_failures(graph, src, dst, demand, states)
    with array_routing():
        slow = sweep_failures(graph, src, dst, demand, states)
    assert_same_sweep(fast, slow)
    diff = abs(fast.base_routing.split - slow.base_routing.split)
    assert diff.max() <= 1e-12
    np.testing.assert_array_equal(fast.base_routing.hops, slow.base_routing.hops)


def test_each_state_matches_routing_it_from_scratch(synthetic):
    # Independent of the incremental update: the array version routes every od of a state
    # with a fresh search, and the worst load is the plain maximum over the samples.
    graph, src, dst, demand = synthetic
    states = failure_states(graph, ["n-1", "n-1-nodes"])
    sweep = sweep_failures(graph, src, dst, demand, states)
    for si in np.linspace(0, len(states) - 1, 12).astype(int):
        state = states[si]
        with array_routing():
            routing = ecmp_routing(graph, src, dst, state.links, state.nodes)
        worst = link_loads(routing, demand).max(axis=0)
        np.testing.assert_allclose(sweep.state_arc_load_gbps[si], worst, rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(sweep.reachable[si], routing.reachable)
        np.testing.assert_array_equal(sweep.latency_ms[si], routing.latency_ms)


def test_ecmp_shares_after_a_failure_by_hand():
    # A-B-D and A-C-D (unit weights) plus a longer A-E-F-D: A->D splits 1/2, 1/2; with
    # A-B down, everything goes over C; with A-B and C-D down, over E and F.
    g = PlaneGraph.from_links("h", list("ABCDEF"), ["ab", "bd", "ac", "cd", "ae", "ef", "fd"],
                              list("ABACAEF"), list("BDCDEFD"), 10.0,
                              weight=1.0, latency_ms=[1, 1, 2, 2, 1, 1, 1])
    states = failure_states(g, ["n-1", "n-2"])
    sweep = sweep_failures(g, ["A"], ["D"], [[4.0]], states)
    names = sweep.state_names
    load = dict(zip(names, sweep.state_arc_load_gbps, strict=True))
    arc = {lid: 2 * i for i, lid in enumerate(g.link_ids)}  # the forward arc of each link
    assert load["none"][arc["ab"]] == 2.0 and load["none"][arc["cd"]] == 2.0
    assert load["link:ab"][arc["ac"]] == 4.0 and load["link:ab"][arc["ab"]] == 0.0
    assert load["links:ab+cd"][arc["ef"]] == 4.0
    lat = dict(zip(names, sweep.latency_ms[:, 0], strict=True))
    assert lat["none"] == 4.0  # the worst ECMP path: over C, 2 + 2 ms
    assert lat["link:ac"] == 2.0 and lat["links:ab+cd"] == 3.0


def test_near_zero_weights_fall_back_to_the_array_version():
    # A weight below the rounding of the path lengths: B and C are equally far from D, so
    # the arcs between them would both lie on shortest paths. The compiled kernel hands the
    # pairs to the array version, which reports the cycle instead of looping.
    g = PlaneGraph.from_links("z", list("ABCD"), ["ab", "bc", "cd", "ad"], list("ABCA"),
                              list("BCDD"), 10.0, weight=[1e6, 1e-12, 1.0, 3e6])
    states = failure_states(g, "n-1")
    with pytest.raises(RunError, match="cycle"):
        sweep_failures(g, ["A"], ["D"], [[1.0]], states)
    with array_routing(), pytest.raises(RunError, match="cycle"):
        sweep_failures(g, ["A"], ["D"], [[1.0]], states)


def test_state_parts_cover_every_state_once():
    for n, parts, batch in [(1, 4, 3), (10, 3, 2), (101, 8, 7), (5, 1, 100)]:
        cuts = state_parts(n, parts, batch)
        assert cuts[0][0] == 0 and cuts[-1][1] == n and len(cuts) <= parts
        assert all(a[1] == b[0] for a, b in zip(cuts, cuts[1:], strict=False))
        assert all((hi - lo) % batch == 0 for lo, hi in cuts[:-1])


def test_states_spread_over_a_pool_give_the_same_sweep(synthetic):
    graph, src, dst, demand = synthetic
    states = failure_states(graph, "n-1")
    one = sweep_failures(graph, src, dst, demand, states, batch_size=8)
    seen = []
    with cf.ThreadPoolExecutor(2) as pool, spread_states(pool, parts=5):
        spread = sweep_failures(graph, src, dst, demand, states, batch_size=8,
                                progress=lambda done, total, _m: seen.append((done, total)))
    assert_same_sweep(spread, one, rtol=0)
    assert seen[-1] == (len(states), len(states)) and len(seen) == 5


def test_states_spread_over_a_dask_local_cluster(synthetic):
    distributed = pytest.importorskip("distributed")
    graph, src, dst, demand = synthetic
    states = failure_states(graph, ["n-1", "srlg"])
    one = sweep_failures(graph, src, dst, demand, states, batch_size=16)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, \
            spread_states(client.get_executor(pure=False), parts=4):
        spread = sweep_failures(graph, src, dst, demand, states, batch_size=16)
    assert_same_sweep(spread, one, rtol=0)


def test_analyze_on_dask_writes_the_same_files(tmp_path: Path):
    distributed = pytest.importorskip("distributed")
    from netplan.cli import cli

    topo = str(netplan.default_topology_path())
    scenario = str(netplan.default_scenario_path("baseline"))
    plain = CliRunner().invoke(cli, ["analyze", topo, scenario, "-o", str(tmp_path / "a")])
    assert plain.exit_code in (0, 3), plain.output
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        spread = CliRunner().invoke(cli, ["analyze", topo, scenario, "-o", str(tmp_path / "b"),
                                          "--dask", cluster.scheduler_address])
    assert spread.exit_code == plain.exit_code, spread.output
    for name in ("worst_case.csv", "sla_violations.csv", "lost_demand.csv", "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_dask_options_exclude_each_other(tmp_path: Path):
    from netplan.cli import cli

    topo = str(netplan.default_topology_path())
    scenario = str(netplan.default_scenario_path("baseline"))
    result = CliRunner().invoke(cli, ["analyze", topo, scenario, "-o", str(tmp_path / "x"),
                                      "--dask", "tcp://127.0.0.1:1", "--dask-local"])
    assert result.exit_code == 2 and "--dask" in result.output
    assert not (tmp_path / "x").exists()
