"""Per-hop ECMP routing and k-shortest paths, against closed forms and networkx."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from _ecmp_reference import ecmp_fractions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netplan.analysis.routing import ecmp_routing, k_shortest_paths, shortest_path_avoiding
from netplan.errors import ValidationError
from netplan.model.plane_graph import PlaneGraph

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def links(name, spec, **kw):
    """Graph from 'a-b:w' items (w = weight, default 1); link ids are '<i>:<a><b>'."""
    a, b, w = [], [], []
    for item in spec.split():
        ends, _, weight = item.partition(":")
        x, y = ends.split("-")
        a.append(x)
        b.append(y)
        w.append(float(weight or 1))
    nodes = sorted(set(a) | set(b))
    ids = [f"{i}:{x}{y}" for i, (x, y) in enumerate(zip(a, b, strict=True))]
    kw.setdefault("capacity_gbps", 10.0)
    return PlaneGraph.from_links(name, nodes, ids, a, b, weight=w, **kw)


def arc_between(g, u, v):
    iu, iv = g.node_index[u], g.node_index[v]
    found = np.flatnonzero((g.arc_src == iu) & (g.arc_dst == iv))
    assert found.size == 1
    return int(found[0])


def test_per_hop_split_differs_from_equal_split_over_paths():
    # S splits over A and B; A splits again over C and D. Three equal-cost paths, but a
    # router gives the path over B half the traffic, not a third.
    g = links("fan", "S-A S-B A-C A-D C-T D-T B-T:2")
    r = ecmp_routing(g, ["S"], ["T"])
    col = r.split.toarray()[:, 0]
    assert col[arc_between(g, "S", "B")] == 0.5
    assert col[arc_between(g, "B", "T")] == 0.5
    assert col[arc_between(g, "S", "A")] == 0.5
    for x in "CD":
        assert col[arc_between(g, "A", x)] == 0.25
        assert col[arc_between(g, x, "T")] == 0.25
    assert (
        len(list(nx.all_shortest_paths(_nx(g), g.node_index["S"], g.node_index["T"], weight="w")))
        == 3
    )
    assert r.hops.tolist() == [3] and r.reachable.tolist() == [True]


def _nx(g):
    h = nx.DiGraph()
    for a in range(g.n_arcs):
        h.add_edge(int(g.arc_src[a]), int(g.arc_dst[a]), w=float(g.arc_weight[a]))
    return h


def test_parallel_links_share_equally_when_equal_cost_and_not_otherwise():
    g = PlaneGraph.from_links(
        "p",
        ["A", "B"],
        ["l1", "l2", "l3"],
        ["A", "A", "A"],
        ["B", "B", "B"],
        10.0,
        weight=[1, 1, 2],
        latency_ms=[1, 4, 9],
    )
    r = ecmp_routing(g, ["A"], ["B"])
    col = r.split.toarray()[:, 0]
    assert col.tolist() == [0.5, 0.0, 0.5, 0.0, 0.0, 0.0]
    assert r.latency_ms.tolist() == [4.0]  # the worse of the two equal-cost links


def test_worst_latency_is_over_ecmp_paths_not_the_routing_metric():
    g = links("lat", "S-A S-B A-T B-T", latency_ms=[1.0, 5.0, 1.0, 2.0])
    r = ecmp_routing(g, ["S", "T"], ["T", "S"])
    assert r.latency_ms.tolist() == [7.0, 7.0]


def test_failed_link_carries_nothing_and_traffic_reroutes():
    g = links("sq", "A-B B-D A-C C-D")
    r = ecmp_routing(g, ["A", "D"], ["D", "A"], failed_links=["0:AB"])
    dense = r.split.toarray()
    assert not dense[g.arcs_of_links([0])].any()
    assert dense[arc_between(g, "A", "C"), 0] == 1.0
    assert dense[arc_between(g, "C", "A"), 1] == 1.0
    assert r.reachable.all() and r.failed_links == (0,)


def test_disconnected_pair_is_unreachable_and_carries_nothing():
    g = links("cut", "A-B B-C")
    r = ecmp_routing(g, ["A", "C", "B"], ["C", "A", "A"], failed_links=["1:BC"])
    assert r.reachable.tolist() == [False, False, True]
    assert r.latency_ms[0] == math.inf and r.hops[0] == -1
    dense = r.split.toarray()
    assert not dense[:, :2].any()
    assert dense[arc_between(g, "B", "A"), 2] == 1.0


def test_failed_node_drops_its_own_traffic_and_transit_goes_around():
    g = links("ring", "A-B B-C C-D D-A A-C:3")
    r = ecmp_routing(g, ["A", "B", "A"], ["C", "D", "B"], failed_nodes=["B"])
    assert r.reachable.tolist() == [True, False, False]
    dense = r.split.toarray()
    incident = g.arcs_at_nodes([g.node_index["B"]])
    assert not dense[incident].any()
    # A->C: A-B-C is gone, A-D-C (2) beats A-C (3)
    assert dense[arc_between(g, "A", "D"), 0] == 1.0
    assert dense[arc_between(g, "D", "C"), 0] == 1.0
    assert not dense[:, 1:].any()


def test_bad_ods_raise_validation_errors():
    g = links("x", "A-B")
    with pytest.raises(ValidationError, match="both 'A'"):
        ecmp_routing(g, ["A"], ["A"])
    with pytest.raises(ValidationError, match="unknown node 'Q'"):
        ecmp_routing(g, ["Q"], ["A"])
    with pytest.raises(ValidationError, match="unknown link"):
        ecmp_routing(g, ["A"], ["B"], failed_links=["nope"])


@st.composite
def random_network(draw, directed=False):
    n = draw(st.integers(3, 7))
    pairs = list(
        itertools.permutations(range(n), 2) if directed else itertools.combinations(range(n), 2)
    )
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=min(len(pairs), 14)))
    weights = draw(st.lists(st.integers(1, 3), min_size=len(chosen), max_size=len(chosen)))
    lat = draw(st.lists(st.floats(0.0, 5.0), min_size=len(chosen), max_size=len(chosen)))
    ctor = PlaneGraph.from_arcs if directed else PlaneGraph.from_links
    g = ctor(
        "r",
        [f"n{i}" for i in range(n)],
        [f"l{i}" for i in range(len(chosen))],
        [p[0] for p in chosen],
        [p[1] for p in chosen],
        10.0,
        weight=weights,
        latency_ms=lat,
    )
    ods = [(s, t) for s in range(n) for t in range(n) if s != t]
    fail = draw(st.lists(st.integers(0, g.n_links - 1), max_size=2, unique=True))
    return g, np.array([o[0] for o in ods]), np.array([o[1] for o in ods]), fail


def _check_against_reference(g, s, t, fail, nodes=()):
    r = ecmp_routing(g, s, t, failed_links=fail, failed_nodes=nodes)
    ref = ecmp_fractions(g, s, t, fail, nodes)
    dense = r.split.toarray()
    for k, (ok, frac, lat, hops) in enumerate(ref):
        expect = np.zeros(g.n_arcs)
        for a, f in frac.items():
            expect[a] = f
        np.testing.assert_allclose(dense[:, k], expect, atol=1e-12)
        assert r.reachable[k] == ok
        assert r.hops[k] == hops
        assert (
            r.latency_ms[k] == pytest.approx(lat, abs=1e-9) if ok else r.latency_ms[k] == math.inf
        )
    return r, dense


def _conservation(g, r, dense):
    n = g.n_nodes
    for k in range(r.n_od):
        net = np.zeros(n)
        np.add.at(net, g.arc_dst, dense[:, k])
        np.subtract.at(net, g.arc_src, dense[:, k])
        expect = np.zeros(n)
        if r.reachable[k]:
            expect[r.od_src[k]], expect[r.od_dst[k]] = -1.0, 1.0
            out_of_src = dense[g.arc_src == r.od_src[k], k].sum()
            assert out_of_src == pytest.approx(1.0, abs=1e-12)
        np.testing.assert_allclose(net, expect, atol=1e-12)


@SETTINGS
@given(random_network())
def test_matches_networkx_reference_undirected(net):
    g, s, t, fail = net
    r, dense = _check_against_reference(g, s, t, fail)
    _conservation(g, r, dense)
    assert not dense[g.arcs_of_links(fail)].any()


@SETTINGS
@given(random_network(directed=True), st.integers(0, 6))
def test_matches_networkx_reference_directed_with_a_failed_node(net, node):
    g, s, t, fail = net
    node = node % g.n_nodes
    r, dense = _check_against_reference(g, s, t, fail, (node,))
    _conservation(g, r, dense)
    touches = (r.od_src == node) | (r.od_dst == node)
    assert not r.reachable[touches].any()


def test_routing_is_deterministic():
    g = links("d", "A-B B-C C-D D-A A-C B-D")
    s, t = np.nonzero(~np.eye(4, dtype=bool))
    one, two = ecmp_routing(g, s, t), ecmp_routing(g, s, t)
    assert (one.split != two.split).nnz == 0
    assert np.array_equal(one.split.indices, two.split.indices)


# ---------------------------------------------------------------------- k shortest paths
def _path_cost(g, path):
    return float(g.arc_weight[path].sum())


def _is_simple_path(g, path, s, t):
    nodes = [s] + [int(g.arc_dst[a]) for a in path]
    linked = all(g.arc_src[a] == u for a, u in zip(path, nodes[:-1], strict=True))
    return linked and nodes[-1] == t and len(set(nodes)) == len(nodes)


@SETTINGS
@given(random_network(directed=True), st.integers(1, 6))
def test_k_shortest_paths_match_networkx_costs(net, k):
    g, s_all, t_all, fail = net
    s, t = int(s_all[0]), int(t_all[0])
    paths = k_shortest_paths(g, s, t, k, failed_links=fail)
    h = nx.DiGraph()
    h.add_nodes_from(range(g.n_nodes))
    best: dict[tuple[int, int], float] = {}
    for a in range(g.n_arcs):
        if g.arc_link[a] in fail:
            continue
        key = (int(g.arc_src[a]), int(g.arc_dst[a]))
        best[key] = min(best.get(key, math.inf), float(g.arc_weight[a]))
    for (u, v), w in best.items():
        h.add_edge(u, v, w=w)
    expect = []
    if nx.has_path(h, s, t):
        expect = [
            nx.path_weight(h, p, "w")
            for p in itertools.islice(nx.shortest_simple_paths(h, s, t, weight="w"), k)
        ]
    # parallel arcs make extra distinct paths; compare with the multigraph count only
    # when there are none
    has_parallel = len(best) < int(np.sum(~np.isin(g.arc_link, fail)))
    costs = [_path_cost(g, p) for p in paths]
    assert costs == sorted(costs)
    assert len({tuple(p) for p in paths}) == len(paths)
    assert all(_is_simple_path(g, p, s, t) for p in paths)
    assert not any(np.isin(g.arc_link[p], fail).any() for p in paths)
    if not has_parallel:
        assert costs == pytest.approx(expect)
    elif expect:
        assert costs[0] == pytest.approx(expect[0])


def test_k_shortest_paths_with_parallel_links_and_validation():
    g = PlaneGraph.from_links(
        "p", list("ABC"), ["x", "y", "z"], list("AAB"), list("BBC"), 1.0, weight=[1, 2, 1]
    )
    paths = k_shortest_paths(g, "A", "C", 5)
    assert [p.tolist() for p in paths] == [[0, 4], [2, 4]]
    with pytest.raises(ValidationError):
        k_shortest_paths(g, "A", "C", 0)
    with pytest.raises(ValidationError):
        k_shortest_paths(g, "A", "A", 2)
    assert k_shortest_paths(g, "A", "C", 3, failed_links=["z"]) == []


def test_shortest_path_avoiding_matches_networkx():
    g = links("sq", "A-B B-D A-C:2 C-D D-E:5 C-E:1")
    path = shortest_path_avoiding(g, "A", "E", ["5:CE"])
    assert _path_cost(g, path) == 7.0 and _is_simple_path(g, path, 0, g.node_index["E"])
    h = nx.Graph(
        [
            (x, y, {"w": w})
            for x, y, w in [
                ("A", "B", 1),
                ("B", "D", 1),
                ("A", "C", 2),
                ("C", "D", 1),
                ("D", "E", 5),
            ]
        ]
    )
    assert nx.shortest_path_length(h, "A", "E", weight="w") == 7.0
    assert shortest_path_avoiding(g, "A", "E", ["4:DE", "5:CE"]) is None
