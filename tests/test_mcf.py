"""Min-max-utilisation LP against Repetita's published value, closed forms, and an
independent per-od formulation."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from netplan.analysis.min_mlu import min_max_utilisation
from netplan.analysis.records import link_loads
from netplan.analysis.routing import ecmp_routing
from netplan.errors import RunError, ValidationError
from netplan.io.repetita import read_repetita_demands, read_repetita_graph
from netplan.model.plane_graph import PlaneGraph

DATA = Path(__file__).parent / "data" / "repetita"


def net_outflow(g, flow):
    out = np.zeros(g.n_nodes)
    np.add.at(out, g.arc_src, flow)
    np.subtract.at(out, g.arc_dst, flow)
    return out


def test_repetita_abilene_matches_the_published_optimum():
    g = read_repetita_graph(DATA / "Abilene.graph")
    s, t, d = read_repetita_demands(DATA / "Abilene.0000.demands", g)
    res = min_max_utilisation(g, s, t, d)
    assert res.mlu == pytest.approx(0.900, abs=1e-3)  # Repetita's MCFTest
    # the returned flow is feasible and attains the optimum
    expect = np.zeros(g.n_nodes)
    np.add.at(expect, s, d)
    np.subtract.at(expect, t, d)
    np.testing.assert_allclose(net_outflow(g, res.arc_flow_gbps), expect, atol=1e-6)
    assert (res.arc_flow_gbps / g.arc_capacity_gbps).max() == pytest.approx(res.mlu, rel=1e-6)
    assert res.arc_flow_gbps.min() >= -1e-9
    # ECMP on the IGP weights can do no better than the fractional optimum
    ecmp = link_loads(ecmp_routing(g, s, t), d) / g.arc_capacity_gbps
    assert ecmp.max() >= res.mlu - 1e-9


def test_closed_forms():
    # one path: d / c
    g = PlaneGraph.from_links("l", list("AB"), ["ab"], ["A"], ["B"], 4.0)
    assert min_max_utilisation(g, ["A"], ["B"], [3.0]).mlu == pytest.approx(0.75)
    # two disjoint paths of 1 and 3 Gbit/s: d / (1 + 3)
    g = PlaneGraph.from_links(
        "p",
        list("SXYT"),
        ["sx", "xt", "sy", "yt"],
        list("SXSY"),
        list("XTYT"),
        capacity_gbps=[1.0, 1.0, 3.0, 3.0],
    )
    res = min_max_utilisation(g, ["S"], ["T"], [2.0])
    assert res.mlu == pytest.approx(0.5)
    assert res.arc_flow_gbps.tolist() == pytest.approx([0.5, 0, 0.5, 0, 1.5, 0, 1.5, 0])
    # with s-y down, everything takes the 1 Gbit/s path
    assert min_max_utilisation(g, ["S"], ["T"], [2.0], failed_links=["sy"]).mlu == pytest.approx(
        2.0
    )


def test_no_demand_unreachable_and_bad_input():
    g = PlaneGraph.from_links("l", list("ABC"), ["ab"], ["A"], ["B"], 4.0)
    assert min_max_utilisation(g, ["A"], ["B"], [0.0]).mlu == 0.0
    with pytest.raises(RunError, match="no path from 'A' to 'C'"):
        min_max_utilisation(g, ["A"], ["C"], [1.0])
    with pytest.raises(ValidationError, match="must be finite and >= 0"):
        min_max_utilisation(g, ["A"], ["B"], [-1.0])
    with pytest.raises(ValidationError, match="expected 1 values"):
        min_max_utilisation(g, ["A"], ["B"], [1.0, 2.0])


def per_od_lp(g, s, t, d):
    """One commodity per od (an independent formulation of the same optimum)."""
    k, m, n = len(s), g.n_arcs, g.n_nodes
    nvar = k * m + 1
    a_eq = np.zeros((k * n, nvar))
    b_eq = np.zeros(k * n)
    for i in range(k):
        for a in range(m):
            a_eq[i * n + g.arc_src[a], i * m + a] += 1
            a_eq[i * n + g.arc_dst[a], i * m + a] -= 1
        b_eq[i * n + s[i]] += d[i]
        b_eq[i * n + t[i]] -= d[i]
    a_ub = np.zeros((m, nvar))
    for a in range(m):
        a_ub[a, [i * m + a for i in range(k)]] = 1
        a_ub[a, -1] = -g.arc_capacity_gbps[a]
    c = np.zeros(nvar)
    c[-1] = 1
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(m), A_eq=a_eq, b_eq=b_eq, method="highs")
    assert res.status == 0
    return res.fun


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(3, 6), st.integers(0, 2**32 - 1))
def test_source_aggregated_lp_equals_per_od_lp(n, seed):
    rng = np.random.default_rng(seed)
    pairs = [p for p in itertools.combinations(range(n), 2) if rng.random() < 0.6]
    pairs += [(i, i + 1) for i in range(n - 1)]  # keep it connected
    g = PlaneGraph.from_links(
        "r",
        [f"n{i}" for i in range(n)],
        [f"l{i}" for i in range(len(pairs))],
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        capacity_gbps=rng.choice([1.0, 2.5, 10.0], len(pairs)),
    )
    ods = [p for p in itertools.permutations(range(n), 2) if rng.random() < 0.5] or [(0, n - 1)]
    s = np.array([o[0] for o in ods])
    t = np.array([o[1] for o in ods])
    d = rng.uniform(0.1, 2.0, len(ods))
    res = min_max_utilisation(g, s, t, d)
    assert res.mlu == pytest.approx(per_od_lp(g, s, t, d), rel=1e-6, abs=1e-9)
    ecmp = link_loads(ecmp_routing(g, s, t), d) / g.arc_capacity_gbps
    assert ecmp.max() >= res.mlu * (1 - 1e-9)
