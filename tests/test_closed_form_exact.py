"""The closed-form fast path is exact on single links, however small the blocking.

References are computed here in exact rational arithmetic (``fractions.Fraction``):
Erlang's formula term by term, and the product-form distribution of a multi-rate link
enumerated state by state.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from netplan.sim import (
    SimNetwork,
    TrafficClass,
    analytic,
    erlang_b,
    erlang_fixed_point,
    kaufman_roberts,
)

LOADS_ERL = list(range(120, 241, 5))


def erlang_b_exact(servers: int, offered_erlangs) -> float:
    """E(c, a) = (a^c / c!) / sum_k a^k / k!, summed exactly."""
    a = Fraction(offered_erlangs)
    term = Fraction(1)
    total = Fraction(1)
    for k in range(1, servers + 1):
        term = term * a / k
        total += term
    return float(term / total)


def product_form_blocking(capacity: int, widths, loads) -> list[float]:
    """Per-class blocking of a complete-sharing link, enumerating every feasible state."""
    loads = [Fraction(a) for a in loads]
    total = Fraction(0)
    blocked = [Fraction(0)] * len(widths)

    def visit(k: int, used: int, weight: Fraction) -> None:
        nonlocal total
        if k == len(widths):
            total += weight
            for i, b in enumerate(widths):
                if capacity - used < b:
                    blocked[i] += weight
            return
        n = 0
        while used + n * widths[k] <= capacity:
            visit(k + 1, used + n * widths[k], weight * loads[k] ** n / math.factorial(n))
            n += 1

    visit(0, 0, Fraction(1))
    return [float(b / total) for b in blocked]


def stream(name: str, rate_per_s: float, bandwidth_mbps: float, path=(0,)) -> TrafficClass:
    """A stream class with a 1 s mean holding time, so its Erlangs equal its rate."""
    return TrafficClass(
        name,
        "stream",
        paths=[list(path)],
        arrival_rate_per_s=rate_per_s,
        bandwidth_mbps=bandwidth_mbps,
        holding_s=1.0,
    )


def test_reference_is_erlangs_formula():
    # E(1, a) = a / (1 + a); E(2, 1) = (1/2) / (1 + 1 + 1/2)
    assert erlang_b_exact(1, 3) == 0.75
    assert erlang_b_exact(2, 1) == 0.2
    assert erlang_b_exact(250, 140) == pytest.approx(1.664e-17, rel=1e-3)


@pytest.mark.parametrize("offered_erl", LOADS_ERL)
def test_erlang_b_is_accurate_for_tiny_blocking(offered_erl):
    assert erlang_b(250, float(offered_erl)) == pytest.approx(
        erlang_b_exact(250, offered_erl), rel=1e-9, abs=0.0
    )


@pytest.mark.parametrize("offered_erl", LOADS_ERL)
def test_analytic_single_link_is_erlang_b(offered_erl):
    net = SimNetwork(("l0",), [250.0])
    res = analytic(net, [stream("voice", float(offered_erl), 1.0)])
    got = float(res["blocking"].mean[0])
    assert res["blocking"].method[0] == "erlang_fixed_point"
    assert got == pytest.approx(erlang_b_exact(250, offered_erl), rel=1e-9, abs=0.0)


@pytest.mark.parametrize("offered_erl", [140, 160, 170, 200])
def test_fixed_point_single_link_is_exact(offered_erl):
    expect = erlang_b_exact(250, offered_erl)
    for bandwidth_units in (None, [1]):
        fp = erlang_fixed_point([[1]], [float(offered_erl)], [250], bandwidth_units)
        assert fp.converged
        assert fp.route_blocking[0] == pytest.approx(expect, rel=1e-9, abs=0.0)


def test_disjoint_links_with_tiny_blocking_are_each_exact():
    loads = [140.0, 160.0, 230.0]
    fp = erlang_fixed_point(np.eye(3), loads, [250, 250, 250])
    expect = [erlang_b_exact(250, a) for a in loads]
    assert fp.converged
    assert fp.route_blocking == pytest.approx(expect, rel=1e-9, abs=0.0)


@pytest.mark.parametrize("loads_erl", [(3.0, 1.0), (2.0, 0.5), (1.0, 0.25), (8.0, 2.0)])
def test_kaufman_roberts_matches_enumeration(loads_erl):
    expect = product_form_blocking(20, [1, 3], loads_erl)
    got = kaufman_roberts(20, [1, 3], list(loads_erl))
    assert got == pytest.approx(expect, rel=1e-9, abs=0.0)


def test_kaufman_roberts_tiny_blocking_on_a_big_link():
    # 250 circuits at 140 Erlangs: blocking 1.7e-17, far below the unblocked mass's ulp
    assert kaufman_roberts(250, [1], [140.0])[0] == pytest.approx(
        erlang_b_exact(250, 140), rel=1e-9, abs=0.0
    )
    expect = product_form_blocking(80, [1, 3], [10, 2])
    assert max(expect) < 1e-14
    got = kaufman_roberts(80, [1, 3], [10.0, 2.0])
    assert got == pytest.approx(expect, rel=1e-9, abs=0.0)


@pytest.mark.parametrize("loads_erl", [(3.0, 1.0), (1.0, 0.25), (8.0, 2.0)])
def test_analytic_multi_rate_link_matches_enumeration(loads_erl):
    net = SimNetwork(("l0",), [20.0])
    classes = [stream("narrow", loads_erl[0], 1.0), stream("wide", loads_erl[1], 3.0)]
    res = analytic(net, classes)
    assert list(res["blocking"].method) == ["kaufman_roberts_fixed_point"] * 2
    expect = product_form_blocking(20, [1, 3], loads_erl)
    assert res["blocking"].mean == pytest.approx(expect, rel=1e-9, abs=0.0)


# A line of three links with every contiguous route on it.
LINE_ROUTES = [[0], [1], [2], [0, 1], [1, 2], [0, 1, 2]]
LINE_OFFERED_ERL = [30.0, 25.0, 35.0, 12.0, 10.0, 6.0]
LINE_CIRCUITS = [60, 55, 58]


def line_incidence() -> np.ndarray:
    inc = np.zeros((len(LINE_ROUTES), 3))
    for r, links in enumerate(LINE_ROUTES):
        inc[r, links] = 1.0
    return inc


def thinned_loads(blocking) -> list[float]:
    """Load each link of the line is offered when the others block with ``blocking``."""
    loads = [0.0, 0.0, 0.0]
    for links, nu in zip(LINE_ROUTES, LINE_OFFERED_ERL, strict=True):
        for link in links:
            loads[link] += nu * math.prod(1.0 - blocking[k] for k in links if k != link)
    return loads


def test_line_network_converges_to_its_fixed_point():
    fp = erlang_fixed_point(line_incidence(), LINE_OFFERED_ERL, LINE_CIRCUITS)
    assert fp.converged
    b = fp.link_blocking
    loads = thinned_loads(b)
    assert fp.link_offered_erlangs == pytest.approx(loads, rel=1e-9)
    for link in range(3):
        expect = erlang_b_exact(LINE_CIRCUITS[link], loads[link])
        assert b[link] == pytest.approx(expect, rel=1e-9, abs=0.0)
    for r, links in enumerate(LINE_ROUTES):
        expect = 1.0 - math.prod(1.0 - b[k] for k in links)
        assert fp.route_blocking[r] == pytest.approx(expect, rel=1e-9)
    # the thinning must matter here, or this would only repeat the single-link tests
    assert b[0] < erlang_b_exact(60, 48) * 0.999


def test_line_network_through_analytic():
    net = SimNetwork(("a", "b", "c"), [float(c) for c in LINE_CIRCUITS])
    classes = [
        stream(f"r{r}", nu, 1.0, path=links)
        for r, (links, nu) in enumerate(zip(LINE_ROUTES, LINE_OFFERED_ERL, strict=True))
    ]
    res = analytic(net, classes)
    fp = erlang_fixed_point(line_incidence(), LINE_OFFERED_ERL, LINE_CIRCUITS)
    assert res["blocking"].mean == pytest.approx(fp.route_blocking, rel=1e-9)


def test_unconverged_result_is_the_map_at_the_reported_loads():
    # stopped early, the blocking still belongs to the loads it reports
    fp = erlang_fixed_point(line_incidence(), LINE_OFFERED_ERL, LINE_CIRCUITS, max_iter=3)
    assert not fp.converged
    for link in range(3):
        expect = erlang_b_exact(LINE_CIRCUITS[link], fp.link_offered_erlangs[link])
        assert fp.link_blocking[link] == pytest.approx(expect, rel=1e-9, abs=0.0)


def test_multi_rate_line_network_converges_to_its_fixed_point():
    widths = [1, 3, 1, 3, 1, 3]
    fp = erlang_fixed_point(line_incidence(), [8.0, 3.0, 9.0, 2.0, 3.0, 1.0], [24, 22, 25], widths)
    assert fp.converged
    for link in range(3):
        on = [r for r, links in enumerate(LINE_ROUTES) if link in links]
        loads = fp.link_offered_erlangs[link, on]
        expect = product_form_blocking(int([24, 22, 25][link]), [widths[r] for r in on], loads)
        assert fp.link_blocking[link, on] == pytest.approx(expect, rel=1e-9, abs=0.0)
    # loads are the offered traffic thinned by the route's own blocking on its other links
    b = fp.link_blocking
    r = 5  # the route over all three links
    thinned = 1.0 * (1.0 - b[0, r]) * (1.0 - b[2, r])
    assert fp.link_offered_erlangs[1, r] == pytest.approx(thinned, rel=1e-9)


def _log_erlang_b_reference(c: int, a: float) -> float:
    """log E(c, a) from the Poisson terms summed in log space (numpy, no incomplete gamma)."""
    k = np.arange(c + 1, dtype=float)
    log_terms = k * np.log(a) - np.array([math.lgamma(x + 1.0) for x in k])
    top = log_terms.max()
    return float(log_terms[-1] - (top + np.log(np.exp(log_terms - top).sum())))


@pytest.mark.parametrize(("servers", "offered"), [
    (20_001, 19_000.0), (50_000, 49_000.0), (50_000, 51_000.0), (200_000, 190_000.0),
    (1_000_000, 999_000.0), (30_000, 60_000.0),
])
def test_erlang_b_on_very_large_links_matches_the_poisson_sum(servers, offered):
    # Above 20,000 circuits the Poisson form replaces the recursion (a 10 Gbit/s link in
    # 1 kbit/s circuits has 10^7); it must agree with the sum of the Poisson terms.
    expected = _log_erlang_b_reference(servers, offered)
    assert math.log(erlang_b(servers, offered)) == pytest.approx(expected, rel=1e-9, abs=1e-9)
