"""Tier sizing across years: hand cases, closed-form discounting and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from netplan.errors import ValidationError
from netplan.planning.sizing import TierCatalogue, size_tiers


def brute_force(req, cat: TierCatalogue, rate, length=0.0, init=(-1, 0)) -> float:
    """Least discounted cost of one link by enumerating every (tier, modules) sequence."""
    options = [(-1, 0)] + [
        (t, n) for t in range(len(cat.name)) for n in range(1, int(cat.max_modules[t]) + 1)
    ]

    def cap(o):
        return 0.0 if o[0] < 0 else cat.capacity_gbps[o[0]] * o[1]

    def unit_capex(t):
        return cat.capex_cny[t] + cat.capex_cny_per_km[t] * length

    def unit_opex(t):
        return cat.opex_cny_per_year[t] + cat.opex_cny_per_km_year[t] * length

    best = np.inf
    for seq in itertools.product(options, repeat=len(req)):
        prev = init
        total = 0.0
        ok = True
        for y, o in enumerate(seq):
            if cap(o) < req[y] - 1e-9 or cap(o) < cap(prev) - 1e-9:
                ok = False
                break
            if o[0] < 0 and prev[0] >= 0:
                ok = False
                break
            if o[0] >= 0:
                if o[0] == prev[0]:
                    if o[1] < prev[1]:
                        ok = False
                        break
                    capex = (o[1] - prev[1]) * unit_capex(o[0])
                else:
                    capex = o[1] * unit_capex(o[0])
                total += (capex + o[1] * unit_opex(o[0])) / (1 + rate) ** y
            prev = o
        if ok:
            best = min(best, total)
    return best


CAT = TierCatalogue(
    ["1G", "2.5G", "10G"],
    capacity_gbps=[1, 2.5, 10],
    capex_cny=[100, 180, 500],
    opex_cny_per_year=[20, 30, 60],
    capex_cny_per_km=[1, 2, 3],
    opex_cny_per_km_year=[0.5, 0.5, 1],
    max_modules=[3, 2, 2],
)


@pytest.mark.parametrize("seed", range(8))
def test_dp_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    L, Y = 4, 4
    req = np.cumsum(rng.uniform(0, 4, size=(L, Y)), axis=1) * rng.uniform(0.2, 1.2, (L, 1))
    req[:, 1] *= rng.uniform(0.5, 1.0, L)  # requirements may dip; capacity still may not
    length = rng.uniform(0, 80, L)
    rate = float(rng.uniform(0, 0.1))
    r = size_tiers(req, CAT, discount_rate=rate, length_km=length)
    for i in range(L):
        if req[i].max() > CAT.max_capacity_gbps:
            continue
        expected = brute_force(req[i], CAT, rate, length[i])
        assert r.discounted_cost_cny[i] == pytest.approx(expected, rel=1e-12)
    # Every year is covered and capacity never shrinks.
    assert np.all(r.capacity_gbps >= np.minimum(req, CAT.max_capacity_gbps) - 1e-9)
    assert np.all(np.diff(r.capacity_gbps, axis=1) >= 0)


def test_dp_matches_brute_force_with_initial_installation():
    req = [0.5, 3.0, 4.0]
    cat = TierCatalogue(["1G", "10G"], [1, 10], [100, 450], [10, 40], max_modules=[4, 1])
    for init in [(0, 2), (0, 4), (1, 1)]:
        r = size_tiers(
            [req], cat, discount_rate=0.05, initial_tier=[init[0]], initial_modules=[init[1]]
        )
        assert r.discounted_cost_cny[0] == pytest.approx(brute_force(req, cat, 0.05, init=init))
        cap0 = cat.capacity_gbps[init[0]] * init[1]
        assert r.capacity_gbps[0].min() >= cap0


def test_capacity_never_shrinks_when_requirement_falls():
    cat = TierCatalogue(["1G"], [1], [100], [10], max_modules=8)
    r = size_tiers([[5, 2, 1]], cat, discount_rate=0.0)
    assert r.capacity_gbps.tolist() == [[5, 5, 5]]
    assert r.purchase.tolist() == [[True, False, False]]
    assert r.capex_cny.tolist() == [[500, 0, 0]]
    assert r.opex_cny.tolist() == [[50, 50, 50]]


def test_discounting_closed_form():
    # One 10G module needed from year 3 on (years 0..4): capex 1000 bought in year 3,
    # opex 100 in years 3 and 4; r = 8 %.
    cat = TierCatalogue(["10G"], [10], [1000], [100])
    r = size_tiers([[0, 0, 0, 7, 7]], cat, discount_rate=0.08)
    expected = 1000 / 1.08**3 + 100 / 1.08**3 + 100 / 1.08**4
    assert r.discounted_cost_cny[0] == pytest.approx(expected, rel=1e-12)
    assert r.tier.tolist() == [[-1, -1, -1, 0, 0]]
    assert r.purchase.tolist() == [[False, False, False, True, False]]
    np.testing.assert_allclose(r.discount_factor, 1.08 ** -np.arange(5))


def test_discounting_can_favour_buying_later():
    # Need 1G now and 10G in year 2. Undiscounted, buying 10G at once (cost 1000) beats
    # 1G (300) then 10G (1000). With a high rate, deferring the big purchase pays:
    # 300 + 1000 / 1.5**2 = 744 < 1000.
    cat = TierCatalogue(["1G", "10G"], [1, 10], [300, 1000], [0, 0])
    flat = size_tiers([[1, 1, 10]], cat, discount_rate=0.0)
    assert flat.tier.tolist() == [[1, 1, 1]]
    steep = size_tiers([[1, 1, 10]], cat, discount_rate=0.5)
    assert steep.tier.tolist() == [[0, 0, 1]]
    assert steep.discounted_cost_cny[0] == pytest.approx(300 + 1000 / 1.5**2)


def test_tier_change_buys_all_new_modules():
    # 10G opex is high, so staying on 1G until 10G is unavoidable is cheapest (by hand:
    # 400 + 1400 capex + 630 opex = 2430, against 1400 + 1200 = 2600 for 10G throughout).
    cat = TierCatalogue(["1G", "10G"], [1, 10], [100, 700], [5, 300], max_modules=[4, 2])
    r = size_tiers([[2, 4, 12]], cat, discount_rate=0.0)
    assert r.tier.tolist() == [[0, 0, 1]]
    assert r.modules.tolist() == [[2, 4, 2]]
    # 2 × 1G, then 2 more 1G, then two 10G modules bought new.
    assert r.capex_cny.tolist() == [[200, 200, 1400]]
    assert r.opex_cny.tolist() == [[10, 20, 600]]
    assert r.discounted_cost_cny[0] == 2430


def test_per_km_terms_scale_with_length():
    cat = TierCatalogue(["1G"], [1], [100], [10], capex_cny_per_km=[2], opex_cny_per_km_year=[0.1])
    r = size_tiers([[1], [1]], cat, discount_rate=0.0, length_km=[0, 50])
    assert r.capex_cny[:, 0].tolist() == [100, 200]
    assert r.opex_cny[:, 0].tolist() == pytest.approx([10, 15])


def test_requirement_above_largest_tier_is_reported_per_link():
    cat = TierCatalogue(["1G", "10G"], [1, 10], [100, 500], [1, 5], max_modules=[4, 2])
    r = size_tiers([[5, 30, 26], [1, 2, 3]], cat, discount_rate=0.0)
    assert r.shortfall_gbps.tolist() == [[0, 10, 6], [0, 0, 0]]
    assert r.feasible.tolist() == [False, True]
    assert r.capacity_gbps[0].tolist() == [10, 20, 20]  # then the most the catalogue allows


def test_records():
    cat = TierCatalogue(["1G"], [1], [100], [10], max_modules=2)
    r = size_tiers([[0, 2]], cat, discount_rate=0.0)
    recs = r.to_records(link_ids=["L1"], years=[2026, 2027])
    assert recs[0]["tier"] == "" and recs[0]["modules"] == 0
    assert recs[1] == {
        "link": "L1",
        "year": 2027,
        "tier": "1G",
        "modules": 2,
        "capacity_gbps": 2.0,
        "capex_cny": 200.0,
        "opex_cny": 20.0,
        "purchase": True,
        "shortfall_gbps": 0.0,
    }


def test_many_links_vectorised_equals_one_by_one():
    rng = np.random.default_rng(42)
    req = rng.uniform(0, 12, size=(50, 5))
    whole = size_tiers(req, CAT, discount_rate=0.04)
    for i in range(0, 50, 7):
        one = size_tiers(req[i : i + 1], CAT, discount_rate=0.04)
        assert one.discounted_cost_cny[0] == pytest.approx(whole.discounted_cost_cny[i])
        np.testing.assert_array_equal(one.tier[0], whole.tier[i])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"required_gbps": [[-1.0]]}, "required_gbps"),
        ({"required_gbps": [[np.nan]]}, "required_gbps"),
        ({"discount_rate": 1.5}, "discount_rate"),
        ({"length_km": [1, 2]}, "length_km"),
        ({"initial_tier": [5], "initial_modules": [1]}, "initial_modules"),
    ],
)
def test_bad_input(kwargs, field):
    args = {"required_gbps": [[1.0]], "discount_rate": 0.0}
    args.update(kwargs)
    with pytest.raises(ValidationError, match=field):
        size_tiers(catalogue=CAT, **args)


def test_bad_catalogue():
    with pytest.raises(ValidationError) as exc:
        TierCatalogue(["a", "b"], [1, 0], [1], [1, 1], max_modules=0)
    text = str(exc.value)
    assert "capex_cny" in text and "max_modules" in text
