"""Repetita and Topology Zoo importers, against the published facts and networkx's parser."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from netplan.errors import ValidationError
from netplan.io.repetita import read_repetita_demands, read_repetita_graph
from netplan.io.topologyzoo import FIBRE_KM_PER_MS, read_topology_zoo
from netplan.model.plane_graph import haversine_km

DATA = Path(__file__).parent / "data"
REPETITA = DATA / "repetita"
ZOO = DATA / "topologyzoo"


# ---------------------------------------------------------------------- Repetita
def test_repetita_abilene_graph_units_and_shape():
    g = read_repetita_graph(REPETITA / "Abilene.graph")
    assert (g.n_nodes, g.n_arcs, g.n_links) == (11, 28, 28)
    assert g.node_ids[0] == "0_New_York" and g.link_ids[0] == "edge_0"
    assert g.node_lat[0] == pytest.approx(40.71427) and g.node_lon[0] == pytest.approx(-74.00597)
    # edge_0 0 1 10 9953280 1913: kbit/s -> Gbit/s, microseconds -> ms
    assert (g.arc_src[0], g.arc_dst[0]) == (0, 1)
    assert g.arc_weight[0] == 10.0
    assert g.arc_capacity_gbps[0] == pytest.approx(9.95328)
    assert g.arc_latency_ms[0] == pytest.approx(1.913)
    assert (g.arc_capacity_gbps == g.arc_capacity_gbps[0]).all()


def test_repetita_abilene_demands():
    g = read_repetita_graph(REPETITA / "Abilene.graph")
    s, t, d = read_repetita_demands(REPETITA / "Abilene.0000.demands", g)
    assert s.size == t.size == d.size == 110
    assert (s[0], t[0], d[0]) == (0, 1, pytest.approx(0.300632))
    lines = (REPETITA / "Abilene.0000.demands").read_text().split("\n")[2:]
    total_kbps = sum(float(x.split()[3]) for x in lines if x.strip())
    assert d.sum() == pytest.approx(total_kbps / 1e6)
    assert set(zip(s.tolist(), t.tolist(), strict=True)) == {
        (a, b) for a in range(11) for b in range(11) if a != b
    }


GOOD_GRAPH = """NODES 2
label x y
A 0 0
B 1 1

EDGES 2
label src dest weight bw delay
e0 0 1 1 1000 10
e1 1 0 1 1000 10
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_repetita_errors_name_file_line_and_field(tmp_path):
    bad = GOOD_GRAPH.replace("e1 1 0 1 1000 10", "e1 1 7 0 fast 10")
    path = write(tmp_path, "bad.graph", bad)
    with pytest.raises(ValidationError) as excinfo:
        read_repetita_graph(path)
    found = {(p.field, p.line) for p in excinfo.value.problems}
    assert ("edges[1].dest", 9) in found
    assert ("edges[1].weight", 9) in found
    assert ("edges[1].bw", 9) in found
    assert all(p.file == str(path) for p in excinfo.value.problems)
    assert str(path) + ":9: edges[1].bw: 'fast' is not a number" in str(excinfo.value)

    short = write(tmp_path, "short.graph", GOOD_GRAPH.replace("EDGES 2", "EDGES 3"))
    with pytest.raises(ValidationError, match="announces 3 rows, found 2"):
        read_repetita_graph(short)
    with pytest.raises(ValidationError, match="expected 'NODES <count>'"):
        read_repetita_graph(write(tmp_path, "junk.graph", "hello\n"))
    with pytest.raises(ValidationError, match="cannot read file"):
        read_repetita_graph(tmp_path / "missing.graph")

    g = read_repetita_graph(write(tmp_path, "ok.graph", GOOD_GRAPH))
    dem = write(tmp_path, "x.demands", "DEMANDS 2\nlabel src dest bw\nd0 0 1 5\nd1 1 1 -3\n")
    with pytest.raises(ValidationError) as excinfo:
        read_repetita_demands(dem, g)
    assert {(p.field, p.line) for p in excinfo.value.problems} == {
        ("demands[1]", 4),
        ("demands[1].bw", 4),
    }


# ---------------------------------------------------------------------- Topology Zoo
def test_geant2009_link_speeds_match_the_published_counts():
    g = read_topology_zoo(ZOO / "Geant2009.graphml")
    assert (g.n_nodes, g.n_links) == (34, 52)
    speeds = Counter(np.round(g.link_capacity_gbps, 6).tolist())
    assert speeds == {10.0: 41, 2.5: 6, 0.045: 2, 0.155: 2, 0.31: 1}


def test_geant2009_agrees_with_networkx_graphml_parser():
    g = read_topology_zoo(ZOO / "Geant2009.graphml")
    h = nx.read_graphml(ZOO / "Geant2009.graphml")
    assert set(g.node_ids) == set(h.nodes)
    for i, node in enumerate(g.node_ids):
        assert g.node_lat[i] == h.nodes[node]["Latitude"]
        assert g.node_lon[i] == h.nodes[node]["Longitude"]
    for li in range(g.n_links):
        a, b = g.node_ids[g.arc_src[2 * li]], g.node_ids[g.arc_dst[2 * li]]
        data = h.get_edge_data(a, b)
        assert g.link_capacity_gbps[li] == pytest.approx(data["LinkSpeedRaw"] / 1e9)
        km = haversine_km(
            h.nodes[a]["Latitude"],
            h.nodes[a]["Longitude"],
            h.nodes[b]["Latitude"],
            h.nodes[b]["Longitude"],
        )
        assert g.arc_latency_ms[2 * li] == pytest.approx(max(km / FIBRE_KM_PER_MS, 0.05))
    assert (g.arc_weight == g.arc_latency_ms).all()


def test_abilene_zoo_has_no_speeds_and_gets_the_documented_default():
    g = read_topology_zoo(ZOO / "Abilene.graphml")
    assert (g.n_nodes, g.n_links) == (11, 14)
    assert (g.link_capacity_gbps == 10.0).all()
    assert (
        read_topology_zoo(ZOO / "Abilene.graphml", default_capacity_gbps=2.5).link_capacity_gbps
        == 2.5
    ).all()
    with pytest.raises(ValidationError) as excinfo:
        read_topology_zoo(ZOO / "Abilene.graphml", default_capacity_gbps=None)
    first = excinfo.value.problems[0]
    assert (first.field, first.message) == ("edge[0].LinkSpeedRaw", "missing link speed")
    assert first.line is not None and first.line > 1


def test_litnet_missing_coordinates_and_metrics():
    g = read_topology_zoo(ZOO / "Litnet.graphml", missing_latency_ms=2.0)
    assert (g.n_nodes, g.n_links) == (43, 43)
    assert int(np.isnan(g.node_lat).sum()) == 4
    no_coords = np.isnan(g.node_lat[g.arc_src]) | np.isnan(g.node_lat[g.arc_dst])
    assert no_coords.any()
    assert (g.arc_latency_ms[no_coords] == 2.0).all()
    assert int((g.link_capacity_gbps == 10.0).sum()) == 1  # the edge without a speed
    hops = read_topology_zoo(ZOO / "Litnet.graphml", weight="hops")
    assert (hops.arc_weight == 1.0).all()
    inv = read_topology_zoo(ZOO / "Litnet.graphml", weight="inverse_capacity")
    np.testing.assert_allclose(inv.arc_weight, 100.0 / inv.arc_capacity_gbps)


ZOO_HEAD = """<?xml version="1.0" encoding="utf-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
<key attr.name="Latitude" attr.type="double" for="node" id="d0"/>
<key attr.name="Longitude" attr.type="double" for="node" id="d1"/>
<key attr.name="LinkSpeedRaw" attr.type="double" for="edge" id="d2"/>
<graph edgedefault="undirected">
<node id="0"><data key="d0">10.0</data><data key="d1">20.0</data></node>
<node id="1"><data key="d0">10.0</data><data key="d1">20.0</data></node>
"""


def test_zoo_errors_name_file_line_and_field(tmp_path):
    bad = ZOO_HEAD + (
        '<edge source="0" target="9"/>\n'
        '<edge source="0" target="1"><data key="d2">fast</data></edge>\n'
        "</graph></graphml>\n"
    )
    path = write(tmp_path, "bad.graphml", bad)
    with pytest.raises(ValidationError) as excinfo:
        read_topology_zoo(path)
    found = {(p.field, p.line) for p in excinfo.value.problems}
    assert found == {("edge[0].target", 9), ("edge[1].LinkSpeedRaw", 10)}
    broken = write(tmp_path, "broken.graphml", ZOO_HEAD + "<edge source='0'\n")
    with pytest.raises(ValidationError, match=r"broken.graphml:\d+: not well-formed"):
        read_topology_zoo(broken)
    with pytest.raises(ValidationError, match="unknown metric"):
        read_topology_zoo(path, weight="cost")


def test_zoo_colocated_nodes_parallel_edges_and_self_loops(tmp_path):
    text = ZOO_HEAD + (
        '<edge source="0" target="1"><data key="d2">1e9</data></edge>\n'
        '<edge source="1" target="0"><data key="d2">4e9</data></edge>\n'
        '<edge source="1" target="1"/>\n'
        "</graph></graphml>\n"
    )
    g = read_topology_zoo(write(tmp_path, "par.graphml", text))
    assert g.link_ids == ("0-1", "0-1#2")
    assert g.link_capacity_gbps.tolist() == [1.0, 4.0]
    assert (g.arc_latency_ms == 0.05).all()  # same coordinates: the latency floor
