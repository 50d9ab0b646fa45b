"""PlaneGraph construction and validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from netplan.errors import ValidationError
from netplan.model.plane_graph import PlaneGraph, haversine_km


def triangle(**kw):
    args = dict(
        name="t",
        node_ids=["A", "B", "C"],
        link_ids=["ab", "bc", "ca"],
        a=["A", "B", "C"],
        b=["B", "C", "A"],
        capacity_gbps=[10.0, 2.5, 1.0],
    )
    args.update(kw)
    return PlaneGraph.from_links(**args)


def test_from_links_makes_two_arcs_per_link_with_the_link_capacity():
    g = triangle(latency_ms=[1.0, 2.0, 3.0], srlgs=[["d1"], [], ["d1", "c2"]])
    assert (g.n_nodes, g.n_links, g.n_arcs) == (3, 3, 6)
    assert g.arc_src.tolist() == [0, 1, 1, 2, 2, 0]
    assert g.arc_dst.tolist() == [1, 0, 2, 1, 0, 2]
    assert g.arc_link.tolist() == [0, 0, 1, 1, 2, 2]
    assert g.arc_capacity_gbps.tolist() == [10.0, 10.0, 2.5, 2.5, 1.0, 1.0]
    assert g.arc_weight.tolist() == g.arc_latency_ms.tolist() == [1, 1, 2, 2, 3, 3]
    assert g.link_capacity_gbps.tolist() == [10.0, 2.5, 1.0]
    assert g.srlg_links == {"c2": (2,), "d1": (0, 2)}
    assert g.arc_src.dtype == np.int32 and g.arc_weight.dtype == np.float64


def test_weights_default_to_hop_count_without_latency_and_explicit_weights_win():
    assert triangle().arc_weight.tolist() == [1.0] * 6
    g = triangle(latency_ms=[1, 1, 1], weight=[5, 6, 7])
    assert g.arc_weight.tolist() == [5, 5, 6, 6, 7, 7]


def test_arrays_are_read_only():
    g = triangle()
    with pytest.raises(ValueError):
        g.arc_capacity_gbps[0] = 1.0


def test_from_arcs_makes_each_arc_its_own_link():
    g = PlaneGraph.from_arcs(
        "d", ["A", "B"], ["e0", "e1", "e2"], [0, 1, 0], [1, 0, 1], capacity_gbps=[1.0, 2.0, 3.0]
    )
    assert g.n_links == g.n_arcs == 3
    assert g.arc_link.tolist() == [0, 1, 2]
    assert g.arc_src.tolist() == [0, 1, 0] and g.arc_dst.tolist() == [1, 0, 1]
    assert g.link_max([4.0, 5.0, 6.0]).tolist() == [4.0, 5.0, 6.0]


def test_link_max_keeps_leading_axes():
    g = triangle()
    values = np.arange(12.0).reshape(2, 6)
    assert g.link_max(values).tolist() == [[1, 3, 5], [7, 9, 11]]


def problems_of(excinfo):
    return [(p.field, p.message) for p in excinfo.value.problems]


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as excinfo:
        PlaneGraph.from_links(
            "bad",
            ["A", "B", "A"],
            ["x", "x"],
            ["A", "Q"],
            ["A", "B"],
            capacity_gbps=[0.0, 1.0],
            weight=[1.0, -2.0],
            latency_ms=[-1.0, math.nan],
            source="net.yaml",
        )
    fields = [f for f, _ in problems_of(excinfo)]
    assert "node_ids[2]" in fields  # duplicate node
    assert "link_ids[1]" in fields  # duplicate link
    assert "a[1]" in fields  # unknown node Q
    assert "links[0]" in fields  # self-loop
    assert "capacity_gbps[0]" in fields
    assert "weight[1]" in fields
    assert "latency_ms[0]" in fields and "latency_ms[1]" in fields
    assert all(p.file == "net.yaml" for p in excinfo.value.problems)


def test_zero_latency_cannot_silently_become_a_zero_weight():
    with pytest.raises(ValidationError, match=r"weight \(from latency_ms\)\[0\]"):
        triangle(latency_ms=[0.0, 1.0, 1.0])


def test_length_mismatches_and_string_srlgs_are_rejected():
    with pytest.raises(ValidationError, match="expected 3 values"):
        triangle(capacity_gbps=[1.0, 2.0])
    with pytest.raises(ValidationError, match="not a string"):
        triangle(srlgs=["duct", [], []])
    with pytest.raises(ValidationError, match="out of range"):
        triangle(node_lat=[0.0, 91.0, 0.0], node_lon=[0.0, 0.0, 0.0])


def test_node_and_link_positions_resolve_ids_and_indices():
    g = triangle()
    assert g.node_positions(["C", "A"]).tolist() == [2, 0]
    assert g.node_positions(np.array([2, 1])).tolist() == [2, 1]
    assert g.link_positions(["ca"]).tolist() == [2]
    with pytest.raises(ValidationError, match="unknown node 'Z'"):
        g.node_positions(["Z"])
    with pytest.raises(ValidationError, match="out of range"):
        g.link_positions([7])


def test_haversine_matches_closed_forms():
    # a quarter of a meridian, and a degree of the equator: R * angle
    r = 6371.0088
    assert haversine_km(0.0, 0.0, 90.0, 0.0) == pytest.approx(r * math.pi / 2)
    assert haversine_km(0.0, 10.0, 0.0, 11.0) == pytest.approx(r * math.pi / 180)
    assert haversine_km(30.0, 20.0, 30.0, 20.0) == 0.0
