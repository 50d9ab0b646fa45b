"""The programme by name: services.csv, the smart-city scenario and the report's by-system view."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

import netplan
from netplan.cli import cli
from netplan.io.run_dir import RunData
from netplan.report.bysystem import bysystem_section, response_time_bins, system_rows

ROOT = Path(__file__).resolve().parents[1]
NODES = ROOT / "topologies" / "chongqing" / "nodes.csv"


def _districts() -> list[dict]:
    with NODES.open(encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["kind"] == "district"]


@pytest.fixture(scope="module")
def services_csv(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("demand") / "d"
    result = CliRunner().invoke(cli, ["demand", str(ROOT / "topologies" / "chongqing.yaml"),
                                      str(ROOT / "scenarios" / "baseline.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with (out / "services.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["id", "system", "name_zh", "name_en", "group", "plane", "busy_hour",
                             "busy_hour_gbps", "estimate", "source"]
    return {row["id"]: row for row in rows}


def test_services_csv_lists_the_programme_with_chinese_names(services_csv):
    systems = {}
    for row in services_csv.values():
        systems.setdefault(row["group"], set()).add(row["system"])
        assert row["name_zh"] and row["source"] and row["estimate"] in ("True", "False")
    assert len(systems["portal"]) == 1 and len(systems["application_system"]) == 12
    assert len(systems["base_database"]) == 4 and len(systems["sensing"]) == 3


def test_portal_busy_hour_is_residents_times_internet_users_by_hand(services_csv):
    residents = sum(float(d["population"]) for d in _districts())
    # 0.74 internet users per resident × (0.04 + 0.004) kbit/s, citizen profile 1.0 at 10:00.
    expected_gbps = residents * 0.74 * (0.00004 + 0.000004) / 1000
    row = services_csv["portal"]
    assert row["busy_hour"] == "10"
    assert float(row["busy_hour_gbps"]) == pytest.approx(expected_gbps, rel=1e-6)


def test_region_weights_tilt_a_system_towards_its_regions(services_csv):
    districts = _districts()
    total = sum(float(d["population"]) for d in districts)
    weight = {"中心城区": 2.0, "主城新区": 1.0, "渝东北": 0.3, "渝东南": 0.3}
    # 400,000 legal entities by population, × region weight × 0.5 % active × 20 kbit/s.
    expected_gbps = sum(400000 * float(d["population"]) / total * weight[d["region"]]
                        for d in districts) * 0.005 * 0.02 / 1000
    assert float(services_csv["golden_customs"]["busy_hour_gbps"]) == pytest.approx(
        expected_gbps, rel=1e-6)


def test_smart_city_2020_reaches_the_sensing_targets_in_its_third_year():
    topo = netplan.load_topology(ROOT / "topologies" / "chongqing.yaml")
    scenario = netplan.load_scenario(ROOT / "scenarios" / "smart-city-2020.yaml", topo)
    rows = netplan.build_demand(topo, scenario).busy_hour_totals()
    gbps = {(r["service"], r["year"]): r["total_gbps"] for r in rows}
    first, last = scenario.years[0], scenario.years[-1]
    assert last - first == 3
    # target / today's coverage: 0.90 / 0.60, 0.95 / 0.80, 1.00 / 0.70 (to the rounding of
    # the growth rates to four decimals).
    for service, ratio in (("sensing_street_lights", 1.5), ("video_surveillance", 0.95 / 0.8),
                           ("sensing_tunnels_bridges", 1 / 0.7)):
        assert gbps[(service, last)] / gbps[(service, first)] == pytest.approx(ratio, rel=2e-4)


def test_response_time_bins_are_the_exponential_closed_form():
    bins = response_time_bins(2.0)
    assert bins[0] == pytest.approx(1 - math.exp(-0.5))
    assert bins[1] == pytest.approx(1 - math.exp(-1.5))
    assert bins[3] == pytest.approx(1 - math.exp(-30))
    assert bins[4] == pytest.approx(math.exp(-30))


def _run() -> RunData:
    services = [
        {"id": "portal", "name": "Portal", "name_zh": "门户", "plane": "extranet", "group": "portal",
         "targets": {"max_response_time_s": 3.0, "response_share": 0.9}},
        {"id": "db_q", "system": "db", "name": "DB — queries", "name_zh": "库（查询）",
         "plane": "extranet", "group": "base_database", "targets": {"max_latency_ms": 5.0}},
        {"id": "db_s", "system": "db", "name": "DB — sync", "name_zh": "库（同步）",
         "plane": "extranet", "group": "base_database", "targets": {}},
    ]
    busy = [{"plane": "extranet", "service": s, "year": y, "busy_hour": 10, "total_gbps": g}
            for s, y, g in (("portal", 2026, 1.0), ("db_q", 2026, 2.0), ("db_s", 2026, 1.0),
                            ("portal", 2027, 1.5), ("db_q", 2027, 2.0), ("db_s", 2027, 2.0))]
    violations = [{"plane": "extranet", "failure": f, "origin": "a", "destination": "b",
                   "latency_ms": 6.0, "target_ms": 5.0} for f in ("none", "link:x", "link:y")]
    rows = [{"purchase": True, "plane": "extranet", "capex_cny": 400.0},
            {"purchase": True, "plane": "", "capex_cny": 400.0}]
    sim = {"services": [{"service": "portal", "hour": 10, "response_mean_s": {"mean": 1.0}}]}
    return RunData(results={
        "scenario": {"services": services},
        "analysis": {"busy_hour": busy, "sla_violations": violations},
        "plan": {"rows": rows}, "simulation": sim}, arrays={})


def test_by_system_rows_sum_flows_and_split_purchases_by_traffic():
    rows = {r["system"]: r for r in system_rows(_run(), "en")}
    assert list(rows) == ["portal", "db"]
    db = rows["db"]
    assert db["first_gbps"] == pytest.approx(3.0) and db["last_gbps"] == pytest.approx(4.0)
    # First-year extranet traffic 4 Gbit/s, capex 800 CNY: the database's 3/4 of it.
    assert db["share"] == pytest.approx(0.75) and db["capex_share_cny"] == pytest.approx(600.0)
    assert (db["normal"], db["failure"]) == (1, 2)
    assert rows["portal"]["targets"] == "90% ≤ 3 s"


def test_by_system_section_shows_the_portal_bins_against_its_target():
    for lang in ("zh", "en"):
        section = bysystem_section(_run(), lang)
        portal = section.tables[1].rows[0]
        # Mean 1 s: 1 - e^-3 = 95.0 % within 3 s, above the 90 % target.
        assert portal["under_3s"] == pytest.approx(1 - math.exp(-3))
        assert portal["meets"] == ("是" if lang == "zh" else "yes")


# ----------------------------------------------------------------------------- reasons by system


def _triangle_plan():
    """A-B, B-C, A-C (unit weights, 1G installed; 1G and 10G tiers). F1 sends 0.8 Gbit/s
    A→B, F2 0.4 Gbit/s C→B. Without failure A-B carries F1 alone (0.8 / 0.7 = 1.14 Gbit/s
    needed); when B-C fails F2 goes C→A→B and A-B carries both: 1.2 / 0.9 = 1.33 Gbit/s, the
    binding need, of which F1 is 0.8 / 1.2 = 67 % and F2 0.4 / 1.2 = 33 %."""
    tiers = [{"name": n, "capacity_gbps": c, "capex_cny": p, "opex_cny_per_year": p / 10}
             for n, c, p in (("1G", 1, 100), ("10G", 10, 300))]
    nodes = [{"id": n, "name": n, "kind": "core", "lat": 29.5 + i / 10, "lon": 106.5,
              "planes": ["extranet"]} for i, n in enumerate("ABC")]
    links = [{"id": a + b, "a": a, "b": b, "plane": "extranet", "tier": "1G", "weight": 1}
             for a, b in ("AB", "BC", "AC")]
    topo = netplan.build_topology({"name": "tri", "tiers": tiers, "nodes": nodes, "links": links})

    def flow(ident, name, name_zh, origin, gbps):
        return {"id": ident, "name": name, "name_zh": name_zh, "plane": "extranet",
                "pattern": "site_to_site", "driver": "fixed", "from_site": origin,
                "far_end": "B", "fixed_gbps": gbps, "profile": "flat"}

    scenario = netplan.build_scenario({
        "name": "tri", "title": "tri", "question": "which systems force it", "base_year": 2026,
        "profiles": {"flat": [1.0] * 24},
        "drivers": {"staff_total": 0, "cameras_total": 0, "video_rooms_per_district": 0},
        "services": [flow("f1", "First system (pilot)", "甲系统（试点）", "A", 0.8),
                     flow("f2", "Second system — sync", "乙系统（同步）", "C", 0.4)],
        "failure_policy": ["n-1"],
        "targets": {"max_utilisation_normal": 0.7, "max_utilisation_failure": 0.9},
    }, topo)
    return netplan.optimize(topo, scenario, check=False)


def test_a_purchase_names_the_systems_of_its_binding_load_by_hand():
    from netplan.report.reasons_zh import reason_zh

    row = next(r for r in _triangle_plan().purchases() if r["id"] == "AB")
    assert row["reason"].startswith("when link:BC fails")
    assert row["reason"].endswith(
        "; load by system: First system (甲系统) 67%, Second system (乙系统) 33%")
    assert reason_zh(row["reason"]).endswith("；按系统分负载：甲系统 67%、乙系统 33%")


def test_by_system_view_lists_the_links_a_system_drives_to_their_limit():
    run = _run()
    run.results["scenario"]["services"][1]["name"] = "DB — queries"
    run.results["plan"]["rows"] = [
        {"purchase": True, "item": "link", "id": "l1", "plane": "extranet", "capex_cny": 1.0,
         "reason": "without failure at 2026 10:00, scenario s: load 1.000 Gbit/s needs 1.429 "
                   "Gbit/s at the 70% target; load by system: DB (库) 70%, Portal (门户) 30%"},
        {"purchase": True, "item": "link", "id": "l2", "plane": "extranet", "capex_cny": 1.0,
         "reason": "x; load by system: Portal (门户) 90%; replaces y"}]
    rows = {r["system"]: r for r in system_rows(run, "en")}
    assert rows["db"]["links"] == "l1 70%"
    assert rows["portal"]["links"] == "l2 90%, l1 30%"


def test_the_portal_bins_under_its_worst_failure_show_with_the_target():
    run = _run()
    run.results["simulation"]["services_under_failure"] = [
        {"hour": 10, "service": "portal", "failure": "link:ex-a", "response_mean_s": 2.0,
         "cut_off": False, "method": "analytic"},
        {"hour": 11, "service": "portal", "failure": "link:ex-b", "response_mean_s": None,
         "cut_off": True, "method": "analytic"}]
    for lang in ("zh", "en"):
        normal, failed, cut = bysystem_section(run, lang).tables[1].rows
        assert ("ex-a" in failed["state"]) and failed["target"] == normal["target"]
        # Mean 2 s: 1 - e^-1.5 = 77.7 % within 3 s, under the 90 % target.
        assert failed["under_3s"] == pytest.approx(1 - math.exp(-1.5))
        assert failed["meets"] == ("否" if lang == "zh" else "no")
        assert (cut["over_60s"], cut["meets"]) == (1.0, "否" if lang == "zh" else "no")


def test_the_portal_is_evaluated_with_a_link_of_its_own_path_down():
    from netplan.analysis.routing import ecmp_routing
    from netplan.sim.build import sim_inputs
    from netplan.sim.closed_form import analytic
    from netplan.sim.scenario import portal_under_failure

    topo = netplan.load_topology(ROOT / "topologies" / "chongqing.yaml")
    scenario = netplan.load_scenario(ROOT / "scenarios" / "baseline.yaml", topo)
    graph = topo.plane_graph("extranet")
    # The portal's pages go from the cloud data centre to the Internet exit.
    split = ecmp_routing(graph, ["dc-cloud"], ["internet-exit"]).split.toarray()[:, 0]
    on_path = {graph.link_ids[graph.arc_link[a]] for a in range(graph.n_arcs) if split[a] > 0}
    inputs = sim_inputs(topo, scenario)
    [row] = portal_under_failure(*inputs, scenario, [10])
    assert row["failure"].removeprefix("link:") in on_path and not row["cut_off"]
    net, classes, pools, reroute, labels = inputs
    [portal] = [i for i, s in enumerate(labels.class_service) if s == "portal"]
    normal = analytic(net, classes, pools, hour=10, reroute=reroute)
    # One exit link down: the other carries both links' traffic, so pages take no less time.
    assert row["response_mean_s"] >= float(normal["response_mean_s"].mean[portal])


def test_the_purchase_share_is_a_share_of_all_purchases():
    rows = {r["system"]: r for r in system_rows(_run(), "en")}
    # 800 CNY bought, the database's estimate 600 CNY of it, the portal's 200 CNY.
    assert rows["db"]["capex_share"] == pytest.approx(0.75)
    assert rows["portal"]["capex_share"] == pytest.approx(0.25)
