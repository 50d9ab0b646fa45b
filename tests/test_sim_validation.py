"""The simulator against exact closed forms: each exact value must lie in the 99 % CI.

Every check uses 30 independent replications. Horizons are short to keep the suite fast;
each test also bounds the interval's width so that a check cannot pass by being vague.
For a correct simulator each interval misses its exact value with probability 1 %; the
seeds are fixed, so the outcome is repeatable.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from netplan.sim import (
    ServerPool,
    SimNetwork,
    TrafficClass,
    erlang_b,
    jackson_network,
    kaufman_roberts,
    mean_ci,
    mmc,
    processor_sharing,
    simulate,
)

CASES = json.loads((Path(__file__).parent / "data" / "queueing" / "cases.json").read_text())
REPS = 30


def assert_inside(metric, exact, idx=slice(None), max_rel_half_width=0.25):
    exact = np.atleast_1d(np.asarray(exact, dtype=float))
    lo, hi = np.atleast_1d(metric.ci_low[idx]), np.atleast_1d(metric.ci_high[idx])
    assert np.all(metric.n[idx] >= REPS)
    assert np.all((lo <= exact) & (exact <= hi)), (lo, exact, hi)
    half = (hi - lo) / 2
    assert np.all(half <= max_rel_half_width * np.abs(exact)), (half, exact)


def test_single_link_blocking_is_erlang_b():
    net = SimNetwork(("l0",), [10.0])
    video = TrafficClass(
        "video", "stream", paths=[[0]], arrival_rate_per_s=5.0, bandwidth_mbps=1.0, holding_s=1.0
    )
    res = simulate(net, [video], seed=11, replications=REPS, warmup_s=20, duration_s=300)
    assert_inside(res["blocking"], erlang_b(10, 5.0))
    # time-sampled utilisation: carried Erlangs / circuits
    assert_inside(
        res["link_utilisation_mean"], 5.0 * (1 - erlang_b(10, 5.0)) / 10, 0, max_rel_half_width=0.05
    )


def test_multi_rate_link_is_kaufman_roberts():
    net = SimNetwork(("l0",), [10.0])
    classes = [
        TrafficClass(
            "voice",
            "stream",
            paths=[[0]],
            arrival_rate_per_s=3.0,
            bandwidth_mbps=1.0,
            holding_s=1.0,
        ),
        TrafficClass(
            "video",
            "stream",
            paths=[[0]],
            arrival_rate_per_s=2.0,
            bandwidth_mbps=3.0,
            holding_s=0.5,
            dist="deterministic",
        ),
    ]
    res = simulate(net, classes, seed=12, replications=REPS, warmup_s=10, duration_s=300)
    # Kaufman-Roberts is insensitive to the holding-time distribution beyond its mean
    assert_inside(res["blocking"], kaufman_roberts(10, [1, 3], [3.0, 1.0]))


def test_mm3_pool_matches_case_and_erlang_c():
    case = CASES["mmc_slide_example"]
    net = SimNetwork(("l0",), [100.0])
    pool = ServerPool("dc", servers=case["servers"], service_s=1.0 / case["mu"])
    req = TrafficClass("web", "request", paths=[[0]], arrival_rate_per_s=case["lambda"], pool=0)
    res = simulate(net, [req], [pool], seed=13, replications=REPS, warmup_s=500, duration_s=20000)
    exact = mmc(case["lambda"], case["mu"], case["servers"])
    assert float(exact.lq) == pytest.approx(case["Lq_published"], abs=5e-4)
    assert_inside(res["pool_mean_queue_length"], float(exact.lq))
    assert_inside(res["response_mean_s"], float(exact.w_s), max_rel_half_width=0.1)
    assert_inside(res["pool_mean_wait_s"], float(exact.wq_s))
    assert_inside(res["pool_utilisation"], 2 / 3, max_rel_half_width=0.05)


def test_mm1_mean_wait_in_queue_is_ciw_value():
    case = CASES["mm1_ciw_docs"]
    net = SimNetwork(("l0",), [100.0])
    pool = ServerPool("cpu", servers=1, service_s=1.0 / case["mu"])
    req = TrafficClass("job", "request", paths=[[0]], arrival_rate_per_s=case["lambda"], pool=0)
    res = simulate(net, [req], [pool], seed=14, replications=REPS, warmup_s=50, duration_s=500)
    assert_inside(res["pool_mean_wait_s"], case["expected_wait_in_queue_published"])
    assert_inside(res["pool_mean_in_system"], 1.5)


def test_open_jackson_network_of_cases():
    case = CASES["open_jackson_rios_insua_2004_ex_11_11"]
    mu = case["service_rates"]
    pools = [ServerPool(f"n{i}", servers=1, service_s=1.0 / m) for i, m in enumerate(mu)]
    net = SimNetwork(("l0",), [100.0])
    gamma = case["external_arrival_rates"]
    classes = [
        TrafficClass(f"in{i}", "request", paths=[[0]], arrival_rate_per_s=g, pool=i)
        for i, g in enumerate(gamma)
        if g > 0
    ]
    res = simulate(
        net,
        classes,
        pools,
        pool_routing=case["routing_matrix_row_major"],
        seed=15,
        replications=REPS,
        warmup_s=20,
        duration_s=200,
    )
    exact = jackson_network(gamma, case["routing_matrix_row_major"], mu, [1, 1, 1, 1])
    assert exact.l == pytest.approx(case["mean_number_per_node_computed_by_helper"], abs=1e-4)
    assert_inside(res["pool_mean_in_system"], exact.l)
    # network sojourn: arrival-weighted mean of the per-class response times, per replication
    raw = res.per_replication["response_mean_s"]
    weights = np.array([g for g in gamma if g > 0])
    sojourn = raw @ weights / weights.sum()
    _, lo, hi, n = mean_ci(sojourn, 0.99)
    target = case["mean_sojourn_time_network_computed_by_helper"]
    assert n == REPS and lo <= exact.mean_sojourn_s <= hi
    assert abs(exact.mean_sojourn_s - target) < 1e-4 and (hi - lo) / 2 < 0.1 * target


@pytest.mark.parametrize("dist", ["exponential", "deterministic"])
def test_processor_sharing_mean_response(dist):
    net = SimNetwork(("l0",), [10.0])
    bulk = TrafficClass(
        "bulk", "elastic", paths=[[0]], arrival_rate_per_s=7.0, size_mbit=1.0, dist=dist
    )
    res = simulate(net, [bulk], seed=16, replications=REPS, warmup_s=20, duration_s=200)
    # M/G/1-PS is insensitive: E[T] = E[S]/(1-ρ) for both size distributions
    assert_inside(res["response_mean_s"], processor_sharing(7.0, 1.0, 10.0))
    assert_inside(res["link_utilisation_mean"], 0.7, max_rel_half_width=0.1)
