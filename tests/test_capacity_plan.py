"""The capacity plan (fixed routing): requirements, tiers, racks, costs, reasons and the check."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

import netplan
from netplan.analysis.sweep import sweep_scenario
from netplan.cli import cli
from netplan.demand import build_demand
from netplan.planning import optimize
from netplan.planning.fixed.check import independent_check
from netplan.planning.fixed.requirements import link_requirements
from tests.conftest import SMALL


@pytest.fixture(scope="module")
def small():
    topo = netplan.load_topology(SMALL / "topology.yaml")
    return topo, netplan.load_scenario(SMALL / "scenario.yaml", topo)


def test_requirement_is_worst_failure_load_over_target(small):
    topo, scenario = small
    sweeps = sweep_scenario(build_demand(topo, scenario), ("n-1",), by_year=True)
    req = link_requirements(scenario, sweeps)["extranet"]
    li = req.link_ids.index("d3-c1")
    # When d3-c2 fails, all of d3's downstream traffic uses d3-c1. In 2028 at 09:00:
    # web 0.25 million × 0.001 Mbit/s × 1.1² plus office 10,000 × 0.25/1.75 staff × 0.08
    # Mbit/s × 1.25², at the 90 % failure target.
    load = 0.25 * 1.1**2 + 10_000 * 0.25 / 1.75 * 0.08 / 1000 * 1.25**2
    assert req.required_gbps[li, 2] == pytest.approx(load / 0.9)
    binding = req.binding[li][2]
    # Losing d3-c2, or c2-dc (which makes the path over core-2 longer), both put all of it on
    # d3-c1; ties name the earliest failure state.
    assert binding.failure in ("link:c2-dc", "link:d3-c2")
    assert binding.load_gbps == pytest.approx(load) and binding.target_utilisation == 0.9
    assert binding.hour == 9 and binding.year == 2028


def test_every_purchase_has_a_reason_and_a_marginal_cost(small):
    topo, scenario = small
    plan = optimize(topo, scenario)
    assert plan.status == "optimal" and plan.purchases()
    for row in plan.purchases():
        assert row["reason"] and row["marginal_cost_cny"] > 0
    links = [r for r in plan.rows if r["item"] == "link"]
    for link_id in {r["id"] for r in links}:
        caps = [r["capacity_gbps"] for r in links if r["id"] == link_id]
        assert caps == sorted(caps), "capacity never shrinks"


def test_sized_network_passes_the_independent_check(small):
    topo, scenario = small
    plan = optimize(topo, scenario)
    assert plan.check["passed"], plan.check["breaches"]


def test_independent_check_catches_an_undersized_plan(small):
    topo, scenario = small
    plan = optimize(topo, scenario)
    bought = plan.purchases()[0]
    undersized = [dict(r, tier="1G", modules=1, capacity_gbps=0.05)
                  if r["item"] == "link" and r["id"] == bought["id"] else r for r in plan.rows]
    check = independent_check(topo, scenario, undersized)
    assert not check["passed"]
    assert any(b["link"] == bought["id"] for b in check["breaches"])


def test_costs_add_up(small):
    topo, scenario = small
    plan = optimize(topo, scenario)
    costs = plan.costs()
    assert costs["capex_total_cny"] == pytest.approx(sum(r["capex_cny"] for r in plan.rows))
    # per_plane: what is bought (capex plus the opex it adds) over the horizon, undiscounted.
    assert sum(costs["per_plane"].values()) == pytest.approx(
        sum(r["capex_cny"] + r["opex_cny"] - r["existing_opex_cny"] for r in plan.rows))
    # Discounted total: each year's spend divided by 1.05^offset.
    expected = sum((r["capex_cny"] + r["opex_cny"]) / 1.05 ** (r["year"] - 2026) for r in plan.rows)
    assert plan.objective_cny == pytest.approx(expected)
    assert costs["plan_discounted_total_cny"] == pytest.approx(expected)


def test_racks_follow_server_load(small):
    topo, scenario = small
    data = scenario.model_dump()
    data["services"][0]["servers_per_gbps"] = 100.0
    heavy = netplan.build_scenario(data, topo)
    plan = optimize(topo, heavy)
    dc_rows = [r for r in plan.rows if r["item"] == "data_centre"]
    # oa peaks at 1 Gbit/s × 1.25^y: 100, 125, 156.25 busy servers; at the 60 % target and
    # 12 servers per rack: 14, 18, 22 racks; 10 installed.
    assert [r["racks"] for r in dc_rows] == [14, 18, 22]
    assert [r["racks_added"] for r in dc_rows] == [4, 4, 4]
    assert dc_rows[0]["capex_cny"] == 4 * 500_000


def test_budget_and_rack_limit_are_diagnosed(small):
    topo, scenario = small
    data = scenario.model_dump()
    data["services"][0]["servers_per_gbps"] = 400.0
    data["budget_cny_per_year"] = 1000.0
    plan = optimize(topo, netplan.build_scenario(data, topo), check=False)
    assert plan.status == "infeasible"
    kinds = {item["item"] for item in plan.infeasibilities}
    assert {"budget", "data_centre"} <= kinds
    rack = next(i for i in plan.infeasibilities if i["item"] == "data_centre")
    assert "holds 40" in rack["reason"] and rack["shortfall"] > 0


def test_tier_ceiling_is_diagnosed(small):
    topo, scenario = small
    data = scenario.model_dump()
    data["services"][1]["down_mbps_per_unit"] = 1.0  # 1.75 Tbit/s: beyond 4 × 10G
    plan = optimize(topo, netplan.build_scenario(data, topo), check=False)
    assert plan.status == "infeasible"
    item = next(i for i in plan.infeasibilities if i["item"] == "link")
    assert "largest tier allows 40" in item["reason"] and item["shortfall"] > 0


def test_optimize_cli_on_growth_5y(tmp_path):
    out = tmp_path / "plan"
    result = CliRunner().invoke(cli, ["optimize", str(netplan.default_topology_path()),
                                      str(netplan.default_scenario_path("growth-5y")),
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "independent check: passed" in result.output
    document = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert document["years"] == list(range(2026, 2032))
    with open(out / "plan.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    bought = [r for r in rows if r["purchase"] == "True"]
    assert bought and all(r["reason"] for r in bought)
    assert {"tier", "modules", "capacity_gbps", "capex_cny", "opex_cny", "reason",
            "racks"} <= set(rows[0])
