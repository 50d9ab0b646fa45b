"""Failure states, the worst-case sweep and its records, against a networkx reference."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from _ecmp_reference import sweep_reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netplan.analysis.failure_states import FailureState, failure_states
from netplan.analysis.failures import sweep_failures
from netplan.analysis.records import (
    failure_impact_records,
    link_loads,
    link_utilisation,
    lost_demand_records,
    sla_violation_records,
    worst_case_records,
)
from netplan.analysis.routing import ecmp_routing
from netplan.errors import ValidationError
from netplan.model.plane_graph import PlaneGraph

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ring(n=5, **kw):
    nodes = [f"n{i}" for i in range(n)]
    kw.setdefault("capacity_gbps", 10.0)
    return PlaneGraph.from_links(
        "ring", nodes, [f"l{i}" for i in range(n)], nodes, nodes[1:] + nodes[:1], **kw
    )


# ---------------------------------------------------------------------- failure states
def test_policies_enumerate_the_expected_states():
    g = ring(5, srlgs=[["d1"], ["d1"], ["d2"], [], ["d2", "d3"]])
    assert len(failure_states(g, "none")) == 1
    n1 = failure_states(g, "n-1")
    assert [s.name for s in n1] == ["none"] + [f"link:l{i}" for i in range(5)]
    assert [s.links for s in n1[1:]] == [(i,) for i in range(5)]
    nodes = failure_states(g, "n-1-nodes")
    assert [s.nodes for s in nodes] == [()] + [(i,) for i in range(5)]
    assert {s.kind for s in nodes[1:]} == {"node"}
    srlg = failure_states(g, "srlg")
    assert [(s.name, s.links) for s in srlg[1:]] == [
        ("srlg:d1", (0, 1)),
        ("srlg:d2", (2, 4)),
        ("srlg:d3", (4,)),
    ]
    n2 = failure_states(g, "n-2")
    assert len(n2) == 1 + math.comb(5, 2)
    assert {s.links for s in n2[1:]} == set(itertools.combinations(range(5), 2))


def test_combined_policies_keep_none_first_and_drop_repeats():
    g = ring(4, srlgs=[["solo"], [], [], []])
    states = failure_states(g, ["srlg", "n-1", "n-1-nodes", "none"])
    assert states[0].name == "none"
    assert [s.name for s in states[1:3]] == ["srlg:solo", "link:l1"]  # link:l0 == srlg:solo
    assert len(states) == 1 + 4 + 4
    assert len({(s.links, s.nodes) for s in states}) == len(states)


def test_unknown_policy_is_a_validation_error():
    with pytest.raises(ValidationError, match="unknown policy 'n-3'"):
        failure_states(ring(), ["n-1", "n-3"])


# ---------------------------------------------------------------------- closed forms
def test_bridge_failure_disconnects_and_reports_lost_demand():
    # A-B-C line plus a B-D spur; failing B-C cuts C off
    g = PlaneGraph.from_links(
        "line",
        list("ABCD"),
        ["ab", "bc", "bd"],
        list("ABB"),
        list("BCD"),
        capacity_gbps=[10.0, 5.0, 1.0],
    )
    demand = np.array([[1.0, 2.0, 0.5], [3.0, 1.0, 0.25]])  # A->C, C->A, A->D
    sw = sweep_failures(g, list("ACA"), list("CAD"), demand, failure_states(g, "n-1"))
    names = sw.state_names
    lost = sw.lost_gbps
    assert lost[names.index("none")].tolist() == [0, 0, 0]
    assert lost[names.index("link:bc")].tolist() == [3.0, 2.0, 0.0]  # each od's peak
    assert lost[names.index("link:ab")].tolist() == [3.0, 2.0, 0.5]
    assert lost[names.index("link:bd")].tolist() == [0.0, 0.0, 0.5]
    assert sw.latency_ms[names.index("link:bc"), 0] == math.inf
    # the worst load on b->c is 3 Gbit/s (sample 1, no failure); a failed link carries 0
    bc = int(np.flatnonzero((g.arc_src == 1) & (g.arc_dst == 2))[0])
    assert sw.arc_worst_load_gbps[bc] == 3.0
    assert sw.arc_cause_state[bc] == 0 and sw.arc_cause_sample[bc] == 1
    assert (sw.state_arc_load_gbps[names.index("link:bc"), g.arcs_of_links([1])] == 0).all()
    # a->b carries A->C and A->D: 3 + 0.25 in sample 1
    assert sw.link_worst_utilisation.tolist() == [0.325, 0.6, 0.5]


def test_node_failure_drops_traffic_to_and_from_the_node():
    g = ring(4)
    s, t = np.nonzero(~np.eye(4, dtype=bool))
    rng = np.random.default_rng(3)
    demand = rng.uniform(0.0, 1.0, (6, s.size))
    sw = sweep_failures(g, s, t, demand, failure_states(g, "n-1-nodes"))
    peak = demand.max(axis=0)
    for k, state in enumerate(sw.states[1:], start=1):
        (node,) = state.nodes
        touches = (s == node) | (t == node)
        assert sw.lost_gbps[k].tolist() == np.where(touches, peak, 0.0).tolist()
        assert not sw.state_arc_load_gbps[k, g.arcs_at_nodes([node])].any()
        # in a 4-ring without node k, the remaining path is a line: every od still flows
        assert sw.reachable[k, ~touches].all()


def test_tie_keeps_the_no_failure_state_as_cause():
    # 1 Gbit/s A->B on a triangle: failing the unused C-A link changes nothing
    g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc", "ca"], list("ABC"), list("BCA"), 10.0)
    sw = sweep_failures(g, ["A"], ["B"], [[1.0]], failure_states(g, "n-1"))
    ab = 0
    assert sw.arc_cause_state[ab] == 0
    assert sw.state_names[sw.link_cause_state[0]] == "none"


# ---------------------------------------------------------------------- against networkx
@st.composite
def sweep_case(draw):
    n = draw(st.integers(3, 6))
    directed = draw(st.booleans())
    pairs = list(
        itertools.permutations(range(n), 2) if directed else itertools.combinations(range(n), 2)
    )
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=2, max_size=min(len(pairs), 10)))
    k = len(chosen)
    weights = draw(st.lists(st.integers(1, 3), min_size=k, max_size=k))
    caps = draw(st.lists(st.sampled_from([1.0, 2.5, 10.0]), min_size=k, max_size=k))
    groups = draw(
        st.lists(st.sampled_from([(), ("g1",), ("g2",), ("g1", "g2")]), min_size=k, max_size=k)
    )
    ctor = PlaneGraph.from_arcs if directed else PlaneGraph.from_links
    g = ctor(
        "r",
        [f"n{i}" for i in range(n)],
        [f"l{i}" for i in range(k)],
        [p[0] for p in chosen],
        [p[1] for p in chosen],
        capacity_gbps=caps,
        weight=weights,
        latency_ms=[float(w) * 0.5 for w in weights],
        srlgs=groups,
    )
    ods = draw(
        st.lists(
            st.sampled_from([(a, b) for a in range(n) for b in range(n) if a != b]),
            min_size=1,
            max_size=12,
        )
    )
    n_samples = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    demand = np.random.default_rng(seed).uniform(0.0, 2.0, (n_samples, len(ods)))
    policy = draw(
        st.lists(
            st.sampled_from(["n-1", "n-1-nodes", "srlg", "n-2"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    batch = draw(st.integers(1, 8))
    chunk = draw(st.integers(1, 4))
    return g, ods, demand, policy, batch, chunk


@SETTINGS
@given(sweep_case())
def test_sweep_matches_networkx_recomputed_per_failure_and_sample(case):
    g, ods, demand, policy, batch, chunk = case
    s = np.array([o[0] for o in ods])
    t = np.array([o[1] for o in ods])
    states = failure_states(g, policy)
    sw = sweep_failures(g, s, t, demand, states, batch_size=batch, sample_chunk=chunk)
    ref = sweep_reference(g, s, t, demand.tolist(), states)
    arcs = np.arange(g.n_arcs)
    for i, state in enumerate(states):
        r = ref[i]
        np.testing.assert_allclose(sw.state_arc_load_gbps[i], r["worst"], atol=1e-9)
        assert sw.reachable[i].tolist() == r["reachable"]
        np.testing.assert_allclose(sw.latency_ms[i], r["latency"])
        # the reported sample really produces the worst load
        loads = np.array(r["loads"])
        np.testing.assert_allclose(loads[sw.state_arc_sample[i], arcs], r["worst"], atol=1e-9)
        # a failed element carries nothing
        dead = (
            np.isin(g.arc_link, state.links)
            | np.isin(g.arc_src, state.nodes)
            | np.isin(g.arc_dst, state.nodes)
        )
        assert not sw.state_arc_load_gbps[i, dead].any()
        # lost demand = each disconnected od's peak over the samples
        expect_lost = np.where(r["reachable"], 0.0, demand.max(axis=0))
        np.testing.assert_allclose(sw.lost_gbps[i], expect_lost)
    worst = np.array([r["worst"] for r in ref])
    np.testing.assert_allclose(sw.arc_worst_load_gbps, worst.max(axis=0), atol=1e-9)
    cause = worst[sw.arc_cause_state, arcs]
    np.testing.assert_allclose(cause, worst.max(axis=0), atol=1e-9)
    util = worst / g.arc_capacity_gbps
    np.testing.assert_allclose(sw.impact_utilisation, g.link_max(util), atol=1e-9)
    np.testing.assert_allclose(sw.link_worst_utilisation, g.link_max(util.max(axis=0)), atol=1e-9)
    link_cause = g.link_max(util)[sw.link_cause_state, np.arange(g.n_links)]
    np.testing.assert_allclose(link_cause, sw.link_worst_utilisation, atol=1e-9)


def test_chunking_and_batching_do_not_change_results():
    g = ring(6, weight=[1, 2, 1, 2, 1, 1], capacity_gbps=[10, 10, 5, 5, 2.5, 2.5])
    s, t = np.nonzero(~np.eye(6, dtype=bool))
    demand = np.random.default_rng(7).lognormal(0.0, 0.5, (50, s.size))
    states = failure_states(g, ["n-1", "n-2", "n-1-nodes"])
    one = sweep_failures(g, s, t, demand, states)
    two = sweep_failures(g, s, t, demand, states, batch_size=3, sample_chunk=7)
    for name in ("state_arc_load_gbps", "impact_utilisation", "latency_ms", "base_load_gbps"):
        np.testing.assert_allclose(getattr(one, name), getattr(two, name), rtol=1e-12)
    for name in (
        "arc_cause_state",
        "arc_cause_sample",
        "link_cause_state",
        "link_cause_sample",
        "reachable",
    ):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name


def test_demand_is_streamed_from_a_memmap(tmp_path):
    g = ring(5)
    s, t = np.nonzero(~np.eye(5, dtype=bool))
    demand = np.random.default_rng(11).uniform(0.0, 1.0, (40, s.size))
    mm = np.lib.format.open_memmap(
        tmp_path / "d.npy", mode="w+", dtype=np.float64, shape=demand.shape
    )
    mm[:] = demand
    mm.flush()
    ro = np.load(tmp_path / "d.npy", mmap_mode="r")
    states = failure_states(g, "n-1")
    a = sweep_failures(g, s, t, ro, states, sample_chunk=6)
    b = sweep_failures(g, s, t, demand, states)
    np.testing.assert_allclose(a.state_arc_load_gbps, b.state_arc_load_gbps, rtol=1e-12)


def test_base_loads_equal_the_routing_product():
    g = ring(5, weight=[1, 1, 2, 1, 1])
    s, t = np.nonzero(~np.eye(5, dtype=bool))
    demand = np.random.default_rng(5).uniform(0.0, 1.0, (9, s.size))
    sw = sweep_failures(g, s, t, demand, failure_states(g, "n-1"))
    expect = link_loads(ecmp_routing(g, s, t), demand)
    np.testing.assert_allclose(sw.base_load_gbps, expect, rtol=1e-12)
    np.testing.assert_allclose(sw.state_arc_load_gbps[0], expect.max(axis=0), rtol=1e-12)
    assert link_utilisation(g, expect).shape == (9, 5)


def test_bad_inputs_raise_validation_errors():
    g = ring(3)
    with pytest.raises(ValidationError, match=r"demand_gbps\[1, 0\]: must be finite and >= 0"):
        sweep_failures(g, ["n0"], ["n1"], [[1.0], [-1.0]])
    with pytest.raises(ValidationError, match="expected shape"):
        sweep_failures(g, ["n0"], ["n1"], np.ones((2, 3)))
    with pytest.raises(ValidationError, match="out of range"):
        sweep_failures(g, ["n0"], ["n1"], [[1.0]], [FailureState("x", "link", (9,))])
    with pytest.raises(ValidationError, match="at least one state"):
        sweep_failures(g, ["n0"], ["n1"], [[1.0]], [])


# ---------------------------------------------------------------------- records
def test_records_name_causes_labels_violations_and_losses():
    g = PlaneGraph.from_links(
        "t",
        list("ABCD"),
        ["ab", "bc", "ca", "cd"],
        list("ABCC"),
        list("BCAD"),
        capacity_gbps=[10.0, 2.0, 10.0, 1.0],
        latency_ms=[1.0, 1.0, 1.0, 2.0],
        weight=[1, 1, 1, 1],
    )
    demand = np.array([[1.0, 0.2], [0.5, 0.8]])  # A->B, A->D
    sw = sweep_failures(g, ["A", "A"], ["B", "D"], demand, failure_states(g, "n-1"))
    rows = worst_case_records(g, sw, {"hour": [9, 21], "scenario": ["base", "base"]})
    by_link = {r["link"]: r for r in rows}
    assert by_link["cd"]["worst_utilisation"] == pytest.approx(0.8)
    assert (by_link["cd"]["cause_failure"], by_link["cd"]["hour"]) == ("none", 21)
    # failing a-b puts A->B (1.0 at 09:00) and A->D on the C side: c->b carries 1.0 of 2
    assert by_link["bc"]["cause_failure"] == "link:ab" and by_link["bc"]["hour"] == 9
    assert by_link["bc"]["worst_load_gbps"] == pytest.approx(1.0)
    assert [r["worst_utilisation"] for r in rows] == sorted(
        (r["worst_utilisation"] for r in rows), reverse=True
    )

    lost = lost_demand_records(g, sw)
    assert [(r["failure"], r["destination"], r["lost_gbps"]) for r in lost] == [
        ("link:cd", "D", 0.8)
    ]
    sla = sla_violation_records(g, sw, [1.5, 3.5])
    assert {(r["failure"], r["destination"], r["latency_ms"]) for r in sla} == {
        ("link:ab", "B", 2.0),
        ("link:ca", "D", 4.0),
        ("link:cd", "D", math.inf),
    }
    impact = {r["failure"]: r for r in failure_impact_records(g, sw)}
    assert impact["link:cd"]["lost_gbps"] == pytest.approx(0.8)
    assert impact["link:cd"]["unreachable_ods"] == 1
    with pytest.raises(ValidationError, match="expected 2 labels"):
        worst_case_records(g, sw, {"hour": [1, 2, 3]})
