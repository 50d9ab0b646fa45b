"""The independent routability LP (maximum concurrent flow) against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from netplan.errors import ValidationError
from netplan.planning.check import check_routable, single_link_failures


def test_single_link_throughput_is_capacity_over_demand():
    r = check_routable(2, [0], [1], [30.0], [0], [1], [12.0], failure_states="none")
    assert r.throughput[0] == pytest.approx(30 / 12)
    assert r.all_feasible


def test_ring_closed_form():
    # Ring of 5 nodes, capacity c per link, one demand v between neighbours: the direct link
    # and the long way round carry c each, so λ = 2c / v; after the direct link fails, c / v;
    # after any other link fails, the long way is cut: c / v as well.
    n, c, v = 5, 10.0, 8.0
    src = np.arange(n)
    dst = (src + 1) % n
    r = check_routable(n, src, dst, np.full(n, c), [0], [1], [v])
    assert r.states == single_link_failures(n)
    np.testing.assert_allclose(r.throughput, [2 * c / v] + [c / v] * n)
    assert r.all_feasible


def test_two_demands_share_a_bottleneck():
    # Path 0-1-2, capacity 10 each; demands 0→2 (6) and 1→2 (6): link 1-2 carries 12·λ.
    r = check_routable(3, [0, 1], [1, 2], [10, 10], [0, 1], [2, 2], [6, 6], failure_states="none")
    assert r.throughput[0] == pytest.approx(10 / 12)
    assert not r.all_feasible
    assert r.worst_state() == ()


def test_undirected_capacity_is_shared_between_directions():
    kw = dict(failure_states="none")
    r = check_routable(2, [0], [1], [10], [0, 1], [1, 0], [6, 6], **kw)
    assert r.throughput[0] == pytest.approx(10 / 12)
    r = check_routable(
        2,
        [0],
        [1],
        [10],
        [0, 1],
        [1, 0],
        [6, 6],
        link_model="bidirected",
        demand_directed=True,
        **kw,
    )
    assert r.throughput[0] == pytest.approx(10 / 6)


def test_directed_links_carry_one_way_only():
    # Directed ring 0→1→2→0 with capacity 10; demand 0→2 goes 0→1→2: λ = 10/4.
    r = check_routable(
        3,
        [0, 1, 2],
        [1, 2, 0],
        [10, 10, 10],
        [0],
        [2],
        [4],
        link_model="directed",
        demand_directed=True,
        failure_states="none",
    )
    assert r.throughput[0] == pytest.approx(2.5)
    # Demand 2→0 uses the single link 2→0 (capacity 10): same λ; demand 0→2 cannot use it.
    r = check_routable(
        3,
        [0, 1, 2],
        [1, 2, 0],
        [10, 10, 10],
        [0],
        [2],
        [4],
        link_model="directed",
        demand_directed=True,
        failure_states=[[1]],
    )
    assert r.throughput.tolist() == pytest.approx([2.5, 0.0])


def test_per_demand_and_per_source_agree():
    rng = np.random.default_rng(3)
    n = 6
    src = np.array([0, 1, 2, 3, 4, 5, 0, 1, 2])
    dst = np.array([1, 2, 3, 4, 5, 0, 3, 4, 5])
    cap = rng.integers(5, 20, size=src.size).astype(float)
    d_src = rng.integers(0, n, size=8)
    d_dst = (d_src + rng.integers(1, n, size=8)) % n
    vol = rng.integers(1, 10, size=8).astype(float)
    a = check_routable(n, src, dst, cap, d_src, d_dst, vol, commodities="demand")
    b = check_routable(n, src, dst, cap, d_src, d_dst, vol, commodities="source")
    np.testing.assert_allclose(a.throughput, b.throughput, rtol=1e-7)


def test_unlimited_capacity_and_zero_demands():
    r = check_routable(2, [0], [1], [np.inf], [0, 0], [1, 1], [5, 0], failure_states="none")
    assert r.all_feasible and r.throughput[0] >= 1.0
    r = check_routable(2, [0], [1], [1.0], [0], [1], [0.0], failure_states="none")
    assert r.all_feasible


def test_bad_input_is_reported():
    with pytest.raises(ValidationError, match="capacity"):
        check_routable(2, [0], [1], [-1.0], [0], [1], [1.0])
    with pytest.raises(ValidationError, match="failure_states"):
        check_routable(2, [0], [1], [1.0], [0], [1], [1.0], failure_states="every")
