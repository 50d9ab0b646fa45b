"""Closed forms against textbook values, external cases and independent computations."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from netplan.errors import ValidationError
from netplan.sim import (
    ServerPool,
    SimNetwork,
    TrafficClass,
    analytic,
    erlang_b,
    erlang_c,
    erlang_fixed_point,
    jackson_network,
    kaufman_roberts,
    mm1,
    mmc,
    processor_sharing,
)

CASES = json.loads((Path(__file__).parent / "data" / "queueing" / "cases.json").read_text())


def erlang_b_exact(c: int, a: Fraction) -> float:
    """Erlang's formula evaluated literally in exact rational arithmetic."""
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return float(terms[-1] / sum(terms))


def kr_brute_force(cap: int, widths, loads):
    """Per-class blocking from the product-form distribution over all feasible states."""
    ranges = [range(cap // b + 1) for b in widths]
    total = 0.0
    blocked = [0.0] * len(widths)
    for state in itertools.product(*ranges):
        used = sum(n * b for n, b in zip(state, widths, strict=True))
        if used > cap:
            continue
        weight = math.prod(a**n / math.factorial(n) for n, a in zip(state, loads, strict=True))
        total += weight
        for k, b in enumerate(widths):
            if cap - used < b:
                blocked[k] += weight
    return [b / total for b in blocked]


def test_erlang_b_textbook_value():
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=5e-7)


@pytest.mark.parametrize(("c", "a"), [(1, 1), (5, 2), (10, 5), (30, 25), (60, 70), (3, 0)])
def test_erlang_b_matches_exact_formula(c, a):
    assert erlang_b(c, float(a)) == pytest.approx(erlang_b_exact(c, Fraction(a)), rel=1e-12)


def test_erlang_b_vectorised_and_large():
    servers = np.array([10, 100, 2000])
    loads = np.array([5.0, 80.0, 1900.0])
    out = erlang_b(servers, loads)
    assert out.shape == (3,)
    assert out[0] == pytest.approx(0.018385, abs=5e-7)
    assert out[1] == pytest.approx(erlang_b_exact(100, Fraction(80)), rel=1e-10)
    assert 0 < out[2] < 0.05  # no overflow at thousands of circuits


def test_erlang_c_and_mmc_against_cases():
    case = CASES["mmc_slide_example"]
    m = mmc(case["lambda"], case["mu"], case["servers"])
    assert float(m.lq) == pytest.approx(case["Lq_published"], abs=5e-4)
    assert float(m.w_s) == pytest.approx(case["W_published"], abs=0.01)  # printed truncated
    # Erlang-C for c=2, ρ=0.5 is 2ρ²/(1+ρ) = 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-12)
    assert erlang_c(3, 3.5) == 1.0  # unstable: everyone waits


def test_mm1_against_ciw_case():
    case = CASES["mm1_ciw_docs"]
    m = mm1(case["lambda"], case["mu"])
    assert float(m.wq_s) == pytest.approx(case["expected_wait_in_queue_published"], rel=1e-12)
    assert float(m.l) == pytest.approx(1.5, rel=1e-12)  # ρ/(1-ρ)
    assert np.isinf(mm1(5.0, 5.0).wq_s)


@pytest.mark.parametrize(
    ("cap", "widths", "loads"),
    [(10, [1, 3], [3.0, 1.0]), (12, [1, 2, 5], [2.0, 1.5, 0.4]), (7, [2, 3], [1.0, 0.7])],
)
def test_kaufman_roberts_matches_product_form(cap, widths, loads):
    got = kaufman_roberts(cap, widths, loads)
    assert got == pytest.approx(kr_brute_force(cap, widths, loads), rel=1e-10)


def test_kaufman_roberts_reduces_to_erlang_b_and_vectorises():
    assert kaufman_roberts(10, [1], [5.0])[0] == pytest.approx(erlang_b(10, 5.0), rel=1e-12)
    caps = np.array([10, 12])
    loads = np.array([[3.0, 1.0], [2.0, 0.5]])
    out = kaufman_roberts(caps, [1, 3], loads)
    assert out.shape == (2, 2)
    assert out[1] == pytest.approx(kr_brute_force(12, [1, 3], [2.0, 0.5]), rel=1e-10)
    big = kaufman_roberts(20000, [1, 4], [15000.0, 1000.0])  # rescaling keeps it finite
    assert np.all(np.isfinite(big)) and big[1] > big[0] > 0


def test_fixed_point_disjoint_routes_is_erlang_b():
    fp = erlang_fixed_point(np.eye(3), [5.0, 2.0, 8.0], [10, 5, 12])
    expect = [erlang_b(10, 5.0), erlang_b(5, 2.0), erlang_b(12, 8.0)]
    assert fp.converged
    assert fp.route_blocking == pytest.approx(expect, rel=1e-9)


def test_fixed_point_satisfies_its_equations():
    inc = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1], [0, 1, 0]])
    nu = np.array([3.0, 4.0, 2.0, 5.0])
    cap = np.array([8, 10, 6])
    fp = erlang_fixed_point(inc, nu, cap)
    b = fp.link_blocking
    for link in range(3):
        load = sum(
            nu[r] * np.prod([1 - b[k] for k in range(3) if inc[r, k] and k != link])
            for r in range(4)
            if inc[r, link]
        )
        assert b[link] == pytest.approx(erlang_b(int(cap[link]), load), abs=1e-8)
    multi = erlang_fixed_point(inc, nu, cap, bandwidth_units=[1, 1, 1, 1])
    assert multi.route_blocking == pytest.approx(fp.route_blocking, abs=1e-8)


def test_processor_sharing_formula():
    # E[S] = 10/100 = 0.1 s, ρ = 0.7, E[T] = 0.1/0.3
    assert processor_sharing(7.0, 10.0, 100.0) == pytest.approx(1 / 3, rel=1e-12)
    assert np.isinf(processor_sharing(10.0, 10.0, 100.0))


def test_jackson_network_against_cases():
    case = CASES["open_jackson_rios_insua_2004_ex_11_11"]
    m = jackson_network(
        case["external_arrival_rates"],
        case["routing_matrix_row_major"],
        case["service_rates"],
        case["servers_per_node"],
    )
    assert m.arrival_rate_per_s == pytest.approx(case["node_arrival_rates_computed_by_helper"])
    assert m.utilisation == pytest.approx(case["utilisations_computed_by_helper"], abs=1e-4)
    assert m.l == pytest.approx(case["mean_number_per_node_computed_by_helper"], abs=1e-4)
    assert m.mean_number_total == pytest.approx(
        case["mean_number_total_computed_by_helper"], abs=1e-4
    )
    assert m.throughput_per_s == case["throughput"]
    assert m.mean_sojourn_s == pytest.approx(
        case["mean_sojourn_time_network_computed_by_helper"], abs=1e-4
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda: erlang_b(-1, 1.0),
        lambda: erlang_b(2.5, 1.0),
        lambda: erlang_b(3, -1.0),
        lambda: erlang_c(0, 1.0),
        lambda: mmc(1.0, 0.0, 1),
        lambda: kaufman_roberts(10, [0, 1], [1.0, 1.0]),
        lambda: kaufman_roberts([10, 5], [1], [[1.0, 2.0]]),
        lambda: erlang_fixed_point([[1, 2]], [1.0], [5, 5]),
        lambda: jackson_network([1.0], [[1.0]], [2.0], [1]),
        lambda: processor_sharing(1.0, 1.0, 0.0),
    ],
)
def test_bad_arguments_raise_validation_error(call):
    with pytest.raises(ValidationError):
        call()


def test_analytic_fast_path_result_shape():
    net = SimNetwork(("a", "b"), [10.0, 100.0])
    classes = [
        TrafficClass(
            "narrow",
            "stream",
            paths=[[0]],
            arrival_rate_per_s=3.0,
            bandwidth_mbps=1.0,
            holding_s=1.0,
        ),
        TrafficClass(
            "wide", "stream", paths=[[0]], arrival_rate_per_s=1.0, bandwidth_mbps=3.0, holding_s=1.0
        ),
        TrafficClass("bulk", "elastic", paths=[[1]], arrival_rate_per_s=7.0, size_mbit=10.0),
        TrafficClass("web", "request", paths=[[1]], arrival_rate_per_s=0.1, pool=0),
    ]
    res = analytic(net, classes, [ServerPool("dc", 3, service_s=20.0)])
    assert res.method == "analytic"
    blk = res["blocking"]
    assert blk.mean[:2] == pytest.approx(kr_brute_force(10, [1, 3], [3.0, 1.0]), rel=1e-9)
    assert blk.method[0] == "kaufman_roberts_fixed_point"
    assert res["response_mean_s"].mean[2] == pytest.approx(1 / 3, rel=1e-12)
    assert res["response_mean_s"].mean[3] == pytest.approx(28.8889, abs=1e-4)
    assert res["pool_mean_queue_length"].mean[0] == pytest.approx(8 / 9, rel=1e-9)
    assert res["pool_mean_queue_length"].method[0] == "erlang_c"
    records = res.to_records()
    assert {r["method"] for r in records} >= {"kaufman_roberts_fixed_point", "erlang_c"}
    assert "blocking" in res.to_csv().splitlines()[1]
