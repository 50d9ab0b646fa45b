"""Synthetic topologies: valid, connected, of the requested size and degree, reproducible."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest

import netplan
from netplan.errors import ValidationError
from netplan.io.synthetic import geometric_edges, synthetic_scenario, synthetic_topology
from netplan.io.topology_io import build_topology, topology_to_dict


@pytest.mark.parametrize("n_nodes, degree, regions", [(6, 2.0, 1), (40, 3.0, 2), (150, 5.0, 4)])
def test_valid_connected_topology_of_the_requested_size(n_nodes, degree, regions):
    topo = synthetic_topology(n_nodes, mean_degree=degree, n_regions=regions, seed=n_nodes)
    assert len(topo.nodes) == n_nodes
    kinds = [n.kind for n in topo.nodes]
    assert kinds.count("core") == 2 and kinds.count("data_centre") == 1
    assert kinds.count("internet_exit") == 1 and kinds.count("district") == n_nodes - 4
    # Valid as a file would be: a round trip through plain data passes every check.
    assert build_topology(topology_to_dict(topo)) == topo
    for plane in ("extranet", "intranet"):
        graph = nx.Graph()
        graph.add_nodes_from(n.id for n in topo.nodes_of(plane))
        graph.add_edges_from((lk.a, lk.b) for lk in topo.links_of(plane))
        assert nx.is_connected(graph), plane
    # Mean degree over districts and cores, excluding the dc/exit attachments.
    backbone = [lk for lk in topo.links_of("extranet") if not {lk.a, lk.b} & {"dc-1", "exit"}]
    assert len(backbone) == round(degree * (n_nodes - 2) / 2)
    assert {n.region for n in topo.nodes if n.kind == "district"} <= set(
        netplan.model.topology.REGIONS[:regions]
    )
    assert "exit" not in {x for lk in topo.links_of("intranet") for x in (lk.a, lk.b)}


def test_seeded():
    a = synthetic_topology(30, 3.0, 3, seed=5)
    assert a == synthetic_topology(30, 3.0, 3, seed=5)
    assert a != synthetic_topology(30, 3.0, 3, seed=6)
    assert synthetic_scenario(a, seed=1) == synthetic_scenario(a, seed=1)
    assert synthetic_scenario(a, seed=1) != synthetic_scenario(a, seed=2)


def test_geometric_edges_are_the_mst_plus_the_shortest_pairs():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 100, size=(25, 2))
    n_edges = 50
    got = set(geometric_edges(xy, n_edges))
    # Reference: networkx's minimum spanning tree, then pairs in order of length.
    complete = nx.Graph()
    for i, j in itertools.combinations(range(25), 2):
        complete.add_edge(i, j, weight=math.dist(xy[i], xy[j]))
    tree = {tuple(sorted(e)) for e in nx.minimum_spanning_edges(complete, data=False)}
    expected = set(tree)
    for i, j in sorted(itertools.combinations(range(25), 2), key=lambda e: math.dist(*xy[list(e)])):
        if len(expected) >= n_edges:
            break
        expected.add((i, j))
    assert got == expected and len(got) == n_edges


def test_bad_arguments_are_validation_errors():
    with pytest.raises(ValidationError, match="n_nodes"):
        synthetic_topology(3)
    with pytest.raises(ValidationError, match="n_regions"):
        synthetic_topology(20, n_regions=5)
    with pytest.raises(ValidationError, match="mean_degree"):
        synthetic_topology(20, mean_degree=0.5)


def test_scenario_demand_matches_its_drivers():
    from netplan.demand import build_demand

    topo = synthetic_topology(40, 3.0, 2, seed=8)
    scenario = synthetic_scenario(topo, seed=8)
    demand = build_demand(topo, scenario)
    pd = demand.planes["extranet"]
    office = scenario.service("office")
    si = pd.services.index("office")
    dc = pd.node_ids.index("dc-1")
    up_gbps = pd.gbps[si, 0, 10][pd.od_dst == dc].sum()  # hour 10: profile 1.0
    # Staff are split over districts by population, so they sum to the municipal total.
    expected = scenario.drivers.staff_total * office.up_mbps_per_unit * 0.3 / 1000
    assert up_gbps == pytest.approx(expected, rel=1e-9)
