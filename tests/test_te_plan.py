"""The routed plan (``optimize(..., routing="optimized")``) on networks small enough to solve by hand.

Every expected number below is worked out in the comments from the tier prices and demands
(or, for the brute-force test, by enumerating every tier choice and checking each with the
independent routability LP); none is taken from the optimizer's own output.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re

import numpy as np
import pytest

import netplan
from netplan.errors import ValidationError
from netplan.planning import optimize
from netplan.planning.check import check_routable
from netplan.planning.routed import milp as te_model
from netplan.planning.routed.check import independent_check_routed
from netplan.planning.routed.planner import optimize_routed
from tests.conftest import SMALL

TEN_G = {"name": "10G", "capacity_gbps": 10, "capex_cny": 100, "opex_cny_per_year": 10}


def topology(links, tiers=(TEN_G,), nodes="ABC"):
    """Core nodes on one plane; links as (a, b) or dicts with extra fields."""
    rows = []
    for link in links:
        row = {"a": link[0], "b": link[1]} if isinstance(link, tuple) else dict(link)
        rows.append(
            {"id": row["a"] + row["b"], "plane": "extranet", "tier": "10G", "weight": 1} | row
        )
    return netplan.build_topology(
        {
            "name": "test",
            "tiers": list(tiers),
            "nodes": [
                {
                    "id": n,
                    "name": n,
                    "kind": "core",
                    "lat": 29.5 + i / 10,
                    "lon": 106.5,
                    "planes": ["extranet"],
                }
                for i, n in enumerate(nodes)
            ],
            "links": rows,
        }
    )


def scenario(
    topo, flows, *, policy=("none",), u_normal=1.0, u_failure=1.0, horizon=0, growth=0.0, rate=0.05
):
    """Constant site-to-site flows (origin, destination, Gbit/s) at every hour."""
    return netplan.build_scenario(
        {
            "name": "hand",
            "title": "hand",
            "question": "what to buy",
            "base_year": 2026,
            "horizon_years": horizon,
            "discount_rate": rate,
            "profiles": {"flat": [1.0] * 24},
            "drivers": {"staff_total": 0, "cameras_total": 0, "video_rooms_per_district": 0},
            "services": [
                {
                    "id": f"f{i}",
                    "name": f"f{i}",
                    "plane": "extranet",
                    "pattern": "site_to_site",
                    "driver": "fixed",
                    "from_site": o,
                    "far_end": d,
                    "fixed_gbps": g,
                    "profile": "flat",
                    "growth_per_year": growth,
                }
                for i, (o, d, g) in enumerate(flows)
            ],
            "failure_policy": list(policy),
            "targets": {"max_utilisation_normal": u_normal, "max_utilisation_failure": u_failure},
        },
        topo,
    )


def link_rows(plan, link_id):
    return [r for r in plan.rows if r["item"] == "link" and r["id"] == link_id]


TRIANGLE = [("A", "B"), ("B", "C"), ("C", "A")]


def test_routing_needs_less_than_shortest_paths():
    # 15 Gbit/s A->B over 10G links at 100 % utilisation. Shortest paths put all of it on
    # A-B: a second module (100 CNY capex) and 4 modules' opex = 140 CNY. Routed, 10 go
    # direct and 5 over C: nothing is bought and 3 modules' opex = 30 CNY.
    topo = topology(TRIANGLE)
    s = scenario(topo, [("A", "B", 15.0)])
    routed = optimize_routed(topo, s)
    fixed = optimize(topo, s)
    assert routed.status == "optimal" and routed.routing == "optimized"
    assert routed.objective_cny == pytest.approx(30.0)
    assert fixed.objective_cny == pytest.approx(140.0)
    assert routed.purchases() == []
    flows = {r["path_nodes"]: r["gbps"] for r in routed.routes}
    assert flows == pytest.approx({"A>B": 10.0, "A>C>B": 5.0})
    assert routed.check["passed"]


def test_survivability_forces_the_extra_capacity():
    # Single link failures at 100 %: losing B-C or C-A leaves A-B alone with 15 Gbit/s, and
    # losing A-B puts 15 on both C-A and B-C. Every link needs 2 modules: 3 × 100 capex
    # plus 6 modules × 10 opex = 360 CNY.
    topo = topology(TRIANGLE)
    s = scenario(topo, [("A", "B", 15.0)], policy=("n-1",))
    plan = optimize_routed(topo, s)
    assert plan.status == "optimal"
    assert plan.objective_cny == pytest.approx(360.0)
    assert {r["id"]: r["modules"] for r in plan.rows} == {"AB": 2, "BC": 2, "CA": 2}
    bought = {r["id"]: r for r in plan.purchases()}
    assert set(bought) == {"AB", "BC", "CA"}
    assert bought["AB"]["binding_state"] in ("link:BC", "link:CA")
    assert bought["BC"]["binding_state"] == bought["CA"]["binding_state"] == "link:AB"
    for row in bought.values():
        assert row["binding_load_gbps"] == pytest.approx(15.0)
        assert "scenario hand" in row["reason"] and "2026" in row["reason"]
        assert "15.000 Gbit/s" in row["reason"] and "00:00" in row["reason"]
        assert row["marginal_cost_cny"] > 0


@pytest.mark.parametrize(("charge", "built", "cost"), [(100.0, True, 230.0), (120.0, False, 240.0)])
def test_candidate_link_is_built_exactly_when_cheaper(charge, built, cost):
    # A-C and C-B are built (one 10G module each, 20 CNY opex); A-B is a candidate.
    # 15 Gbit/s A->B either needs a second module on A-C and C-B (200 capex + 20 opex:
    # 240 in all) or the candidate with one module (charge + 100 capex + 10 opex, plus the
    # 20 opex: charge + 130). It pays to build below a charge of 110.
    topo = topology(
        [
            ("A", "C"),
            ("C", "B"),
            {"a": "A", "b": "B", "modules": 0, "candidate": True, "build_capex_cny": charge},
        ]
    )
    plan = optimize_routed(topo, scenario(topo, [("A", "B", 15.0)]))
    assert plan.status == "optimal"
    assert plan.objective_cny == pytest.approx(cost)
    ab = link_rows(plan, "AB")[0]
    assert (ab["capacity_gbps"] > 0) is built
    if built:
        assert ab["capex_cny"] == pytest.approx(charge + 100.0)
        assert ab["reason"].startswith(f"builds candidate link (fixed charge {charge:,.0f} CNY)")
    assert plan.check["passed"]


def test_capacity_never_shrinks_and_the_cost_is_the_discounted_sum():
    # One link on a 1G module; demand 25, 5, 1 Gbit/s (growth -80 %). Year 1 needs three
    # 10G modules (300 capex + 30 opex); 1G tops out at 8 Gbit/s. Later a 1G pair would do
    # and cost less, but capacity never shrinks: 30 opex a year. Discounted at 5 %:
    # 330 + 30 / 1.05 + 30 / 1.05².
    one_g = {
        "name": "1G",
        "capacity_gbps": 1,
        "capex_cny": 1,
        "opex_cny_per_year": 1,
        "max_modules": 8,
    }
    topo = topology([{"a": "A", "b": "B", "tier": "1G"}], tiers=(one_g, TEN_G), nodes="AB")
    s = scenario(topo, [("A", "B", 25.0)], horizon=2, growth=-0.8, rate=0.05)
    plan = optimize_routed(topo, s)
    rows = link_rows(plan, "AB")
    assert [r["capacity_gbps"] for r in rows] == [30.0, 30.0, 30.0]
    assert [r["capex_cny"] for r in rows] == [300.0, 0.0, 0.0]
    assert [r["opex_cny"] for r in rows] == [30.0, 30.0, 30.0]
    expected = 330.0 + 30.0 / 1.05 + 30.0 / 1.05**2
    assert plan.objective_cny == pytest.approx(expected)
    # Three 10G modules bought at 100 each, the 1G module installed before (1 a year) retired.
    bought = plan.purchases()[0]
    assert (bought["modules_bought"], bought["unit_price_cny"], bought["modules"]) == (3, 100.0, 3)
    assert bought["capex_cny"] == bought["modules_bought"] * bought["unit_price_cny"]
    costs = plan.costs()
    assert costs["plan_discounted_total_cny"] == pytest.approx(expected, abs=0.01)  # cents
    assert costs["purchases"]["capex_total_cny"] == 300.0
    assert costs["purchases"]["added_opex_per_year_cny"] == {"2026": 29.0, "2027": 29.0,
                                                              "2028": 29.0}
    assert costs["purchases"]["discounted_total_cny"] == pytest.approx(
        300.0 + 29.0 + 29.0 / 1.05 + 29.0 / 1.05**2, abs=0.01)
    assert costs["existing_network"]["discounted_total_cny"] == pytest.approx(
        1.0 + 1.0 / 1.05 + 1.0 / 1.05**2, abs=0.01)
    assert [r["year"] for r in plan.purchases()] == [2026]
    assert "without failure in 2026" in bought["reason"]
    assert "replaces the 1G module installed before the plan with 3 × 10G" in bought["reason"]


def test_every_purchase_has_a_reason_on_the_small_network():
    topo = netplan.load_topology(SMALL / "topology.yaml")
    s = netplan.load_scenario(SMALL / "scenario.yaml", topo)
    plan = optimize(topo, s, "optimized", time_limit_s=60)
    assert plan.status == "optimal" and plan.gap <= 0.01
    assert plan.bound_cny <= plan.objective_cny * (1 + 1e-9)
    assert plan.purchases()
    pattern = re.compile(
        r"(without failure|when \S+ fails) in (\d{4}), scenario small: "
        r"design load [\d.]+ Gbit/s .* busiest hour (\d\d):00"
    )
    for row in plan.purchases():
        if row["item"] != "link":
            continue
        match = pattern.search(row["reason"])
        assert match, row["reason"]
        assert int(match.group(2)) == row["year"]
        assert row["marginal_cost_cny"] >= 0
    links = [r for r in plan.rows if r["item"] == "link"]
    for link_id in {r["id"] for r in links}:
        caps = [r["capacity_gbps"] for r in links if r["id"] == link_id]
        assert caps == sorted(caps), "capacity never shrinks"
    assert plan.check["passed"], plan.check["breaches"]
    assert len(plan.solves) == 2 * len(s.years)


def test_independent_check_passes_the_plan_and_fails_an_undersized_one():
    # The survivable triangle: 20 Gbit/s per link. In the worst states 20 carry 15:
    # λ = 4/3. With A-B cut back to 10, losing B-C leaves 10 for 15: λ = 2/3.
    topo = topology(TRIANGLE)
    s = scenario(topo, [("A", "B", 15.0)], policy=("n-1",))
    plan = optimize_routed(topo, s)
    assert plan.check["passed"]
    assert plan.check["worst_throughput"] == pytest.approx(4 / 3)
    under = [dict(r, capacity_gbps=10.0) if r["id"] == "AB" else r for r in plan.rows]
    check = independent_check_routed(topo, s, under)
    assert not check["passed"]
    failures = {b["failure"]: b["throughput"] for b in check["breaches"]}
    assert set(failures) == {"link:BC", "link:CA"}
    assert all(t == pytest.approx(2 / 3) for t in failures.values())


def test_tier_ceiling_is_diagnosed_with_link_demand_and_amount():
    # 50 Gbit/s over a single link at an 80 % target: 62.5 Gbit/s needed, 4 × 10G = 40 the
    # most. 32 Gbit/s fit, so 18 Gbit/s of load (22.5 Gbit/s of capacity) are missing.
    topo = topology([("A", "B")], nodes="AB")
    plan = optimize_routed(topo, scenario(topo, [("A", "B", 50.0)], u_normal=0.8))
    assert plan.status == "infeasible"
    link = next(i for i in plan.infeasibilities if i["item"] == "link")
    assert link["id"] == "AB" and link["failure"] == "none"
    assert link["shortfall"] == pytest.approx(22.5)
    assert link["overload_gbps"] == pytest.approx(18.0)
    assert "10G×4 = 40 Gbit/s" in link["reason"]
    unserved = next(i for i in plan.infeasibilities if i["item"] == "demand")
    assert unserved["id"] == "A>B" and unserved["shortfall"] == pytest.approx(18.0)
    # Planned as close as it gets: the largest state, and the check says it falls short.
    assert link_rows(plan, "AB")[0]["modules"] == 4
    assert not plan.check["passed"]


def _options(tier: str, modules: int) -> list[tuple[float, float]]:
    """(capacity, this year's cost) of every state a link on ``modules`` × ``tier`` may take.

    1G: 1 Gbit/s, 10 CNY capex, 3 CNY opex, at most 3; 2.5G: 2.5 Gbit/s, 20 capex, 5 opex, at
    most 2. Staying on the tier buys the added modules, a tier change buys them all; every
    module pays opex; capacity may not shrink.
    """
    tiers = {"1G": (1.0, 10.0, 3.0, 3), "2.5G": (2.5, 20.0, 5.0, 2)}
    installed = tiers[tier][0] * modules
    out = []
    for name, (cap, capex, opex, most) in tiers.items():
        for n in range(1, most + 1):
            if cap * n < installed or (name == tier and n < modules):
                continue
            bought = n - modules if name == tier else n
            out.append((cap * n, bought * capex + n * opex))
    return out


def _brute_force_cheapest(flows, per_link, u_normal, u_failure):
    """Cheapest state choices for the triangle AB, BC, CA, each checked by hand and by the LP.

    Returns the least cost and the link capacities of every choice reaching it.
    """
    nodes = {"A": 0, "B": 1, "C": 2}
    links = [("A", "B"), ("B", "C"), ("C", "A")]
    best, argbest = np.inf, []
    for choice in itertools.product(*per_link):
        cap = np.array([c for c, _ in choice])
        cost = sum(k for _, k in choice)
        if cost > best + 1e-9:
            continue
        # A failed link leaves every od one path: the direct link, or the way round.
        fits = True
        for a, b in links:
            load = {}
            for o, d, g in flows:
                if {o, d} == {a, b}:
                    w = ({"A", "B", "C"} - {o, d}).pop()
                    hops = [(o, w), (w, d)]
                else:
                    hops = [(o, d)]
                for hop in hops:
                    load[hop] = load.get(hop, 0.0) + g
            for (x, y), g in load.items():
                li = next(i for i, lk in enumerate(links) if set(lk) == {x, y})
                fits &= g <= u_failure * cap[li] + 1e-9
        if not fits:
            continue
        # Without failures routing is free: the routability LP decides.
        report = check_routable(
            3,
            [0, 1, 2],
            [1, 2, 0],
            cap * u_normal,
            [nodes[o] for o, _, _ in flows],
            [nodes[d] for _, d, _ in flows],
            [g for _, _, g in flows],
            link_model="bidirected",
            failure_states="none",
        )
        if report.all_feasible:
            if cost < best - 1e-9:
                best, argbest = cost, []
            argbest.append(tuple(cap.tolist()))
    return best, argbest


def test_milp_finds_the_cheapest_tier_choice_by_brute_force():
    one_g = {
        "name": "1G",
        "capacity_gbps": 1,
        "capex_cny": 10,
        "opex_cny_per_year": 3,
        "max_modules": 3,
    }
    two_g = {
        "name": "2.5G",
        "capacity_gbps": 2.5,
        "capex_cny": 20,
        "opex_cny_per_year": 5,
        "max_modules": 2,
    }
    installed = {"AB": ("2.5G", 1), "BC": ("1G", 1), "CA": ("1G", 2)}
    topo = topology(
        [
            {"a": a, "b": b, "tier": installed[a + b][0], "modules": installed[a + b][1]}
            for a, b in TRIANGLE
        ],
        tiers=(one_g, two_g),
    )
    flows = [("A", "B", 1.9), ("B", "A", 0.7), ("B", "C", 0.4), ("C", "A", 0.2), ("A", "C", 0.1)]
    s = scenario(topo, flows, policy=("n-1",), u_normal=0.7, u_failure=0.9)
    per_link = [_options(*installed[k]) for k in ("AB", "BC", "CA")]
    best, argbest = _brute_force_cheapest(flows, per_link, 0.7, 0.9)
    plan = optimize_routed(topo, s, gap=0.0)
    assert np.isfinite(best)
    assert plan.status == "optimal"
    assert plan.objective_cny == pytest.approx(best)
    chosen = tuple(next(r for r in plan.rows if r["id"] == k)["capacity_gbps"] for k in installed)
    assert chosen in argbest
    # Not a corner case: the unique optimum keeps AB, moves BC to 2.5G and grows CA to 3 × 1G.
    assert argbest == [(2.5, 2.5, 3.0)]


def test_falls_back_to_the_fixed_plan_without_an_incumbent(monkeypatch):
    def nothing(self, demand, allowed, cost, **kwargs):
        return te_model.YearSolution(
            "no_solution", "time limit reached", np.nan, np.nan, np.nan, 0.0, None, None, None
        )

    monkeypatch.setattr(te_model.RoutingModel, "solve", nothing)
    topo = topology(TRIANGLE)
    s = scenario(topo, [("A", "B", 15.0)])
    plan = optimize_routed(topo, s)
    assert plan.status == "fallback_fixed" and plan.routing == "fixed"
    assert plan.objective_cny == pytest.approx(140.0)  # the fixed plan, as hand-computed
    assert any("fixed-routing plan" in note for note in plan.notes)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"gap": 1.5}, "gap"),
        ({"time_limit_s": 0}, "time_limit_s"),
        ({"k_paths": 0}, "k_paths"),
        ({"reconfiguration": "all"}, "reconfiguration"),
    ],
)
def test_bad_limits_are_validation_errors(kwargs, field):
    topo = topology(TRIANGLE)
    with pytest.raises(ValidationError, match=field):
        optimize_routed(topo, scenario(topo, [("A", "B", 1.0)]), **kwargs)


def test_full_reconfiguration_is_never_dearer_and_agrees_on_the_triangle():
    # On a triangle every od has one path left after any failure, so letting every od move
    # (full) changes nothing; on the small network it can only help.
    topo = topology(TRIANGLE)
    s = scenario(topo, [("A", "B", 15.0)], policy=("n-1",))
    full = optimize_routed(topo, s, reconfiguration="full", check=False)
    assert full.objective_cny == pytest.approx(360.0)
    topo = netplan.load_topology(SMALL / "topology.yaml")
    s = netplan.load_scenario(SMALL / "scenario.yaml", topo)
    restricted = optimize_routed(topo, s, gap=0.0, check=False)
    full = optimize_routed(topo, s, gap=0.0, reconfiguration="full")
    assert full.objective_cny <= restricted.objective_cny * (1 + 1e-9)
    assert full.check["passed"]


@pytest.mark.parametrize(("growth", "implied"), [(0.1, [2027, 2026]), (-0.5, [])])
def test_check_skips_only_years_a_later_year_implies(growth, implied):
    # The triangle keeps 2 modules per link for 3 years. Growing demand: 2026 and 2027 carry
    # less than 2028 on the same capacities, so 2028 passing implies them. Shrinking demand:
    # every year is solved (4 states each: none and 3 link failures).
    topo = topology(TRIANGLE)
    s = scenario(topo, [("A", "B", 15.0)], policy=("n-1",), horizon=2, growth=growth)
    plan = optimize_routed(topo, s)
    assert {r["capacity_gbps"] for r in plan.rows} == {20.0}
    assert plan.check["passed"]
    assert [x["year"] for x in plan.check["years_implied"]] == implied
    assert plan.check["states_checked"] == 4 * (3 - len(implied))


def test_plan_files_are_strict_json_with_the_routes(tmp_path):
    topo = topology([("A", "B")], nodes="AB")
    plan = optimize_routed(topo, scenario(topo, [("A", "B", 50.0)], u_normal=0.8))
    assert plan.status == "infeasible"
    written = {p.name for p in plan.save(tmp_path)}
    assert written == {"plan.json", "plan.csv", "costs.json", "routes.csv"}

    def no_constants(name):
        raise ValueError(f"{name} is not JSON")

    document = json.loads(
        (tmp_path / "plan.json").read_text(encoding="utf-8"), parse_constant=no_constants
    )
    assert document["bound_cny"] is None and document["routing"] == "optimized"
    assert document["solves"][0]["status"] == "infeasible"
    routes = list(csv.DictReader(io.StringIO((tmp_path / "routes.csv").read_text())))
    assert [(r["path_nodes"], float(r["gbps"])) for r in routes] == [("A>B", 50.0)]


def test_node_failures_drop_and_cut_off_demand_without_failing_the_plan():
    # In the small network the Internet exit hangs off core-1 alone: losing core-1 cuts it
    # off, and losing the exit itself drops its traffic. Both are reported as lost demand,
    # not as infeasibility, and the check leaves that demand out of those states.
    topo = netplan.load_topology(SMALL / "topology.yaml")
    data = netplan.load_scenario(SMALL / "scenario.yaml", topo).model_dump()
    data["failure_policy"] = ["n-1", "n-1-nodes"]
    s = netplan.build_scenario(data, topo)
    plan = optimize_routed(topo, s, time_limit_s=60)
    assert plan.status == "optimal"
    lost = {(i["failure"], i["id"]) for i in plan.infeasibilities if i["item"] == "demand"}
    assert ("node:core-1", "exit>d1") in lost
    assert ("node:exit", "exit>d1") in lost
    assert plan.check["passed"], plan.check["breaches"]


def test_cli_writes_the_routed_plan(tmp_path):
    from click.testing import CliRunner

    from netplan.cli import cli

    out = tmp_path / "plan"
    result = CliRunner().invoke(
        cli,
        [
            "optimize",
            str(SMALL / "topology.yaml"),
            str(SMALL / "scenario.yaml"),
            "--routing",
            "optimized",
            "-o",
            str(out),
        ],
    )
    # Sized and re-checked, but the small network's single-homed sites stay cut off.
    assert result.exit_code == 3, result.output
    assert "independent check: passed" in result.output and "is cut off" in result.output
    document = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert document["routing"] == "optimized" and len(document["solves"]) == 6
    assert (out / "routes.csv").read_text(encoding="utf-8").startswith("plane,year,origin")
