"""Every documented what-if override, through every verb, on the default network.

Each override gets a small scenario that extends the shipped baseline with that one
override. Every verb runs on it as a user would run it (a subprocess of ``python -m
netplan``); each run must finish (exit 0, or 3 for "ran but misses targets") without a
traceback, write its files, and show the override's effect in what it wrote. The expected
effects are worked out by hand from the scenario's inputs (staff totals, per-unit
bandwidths, profiles, district populations) or from the baseline's own outputs where the
override only moves load that the baseline already carries, never from the run's own
numbers.

The last tests hold the routed planner's diagnosis to the failure state a breach really
happens in.
"""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TOPOLOGY = ROOT / "topologies" / "chongqing.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
NODES_CSV = ROOT / "topologies" / "chongqing" / "nodes.csv"
LINKS_CSV = ROOT / "topologies" / "chongqing" / "links.csv"
DOCS = ROOT / "docs" / "scenarios.md"

# One override per documented action, with real ids of the default network.
NEW_LINK = "ex-new-internet-3"
OVERRIDES: dict[str, dict] = {
    # The parallel twin of ex-cores-1 between the two cores.
    "remove_link": {"action": "remove_link", "link": "ex-cores-2"},
    # A 1G link beside ex-internet-1 (same ends, so the same length and routing weight).
    "add_link": {"action": "add_link", "link": {
        "id": NEW_LINK, "a": "internet-exit", "b": "core-1", "plane": "extranet",
        "tier": "1G", "modules": 1}},
    # The Internet exit link on core-1 down from 10G to 2 × 2.5G = 5 Gbit/s.
    "set_tier": {"action": "set_tier", "link": "ex-internet-1", "tier": "2.5G", "modules": 2},
    "fail_node": {"action": "fail_node", "node": "wanzhou"},
    "fail_data_centre": {"action": "fail_data_centre", "data_centre": "dc-cloud",
                         "failover_to": "dc-dr"},
    "scale_service": {"action": "scale_service", "service": "internet_access", "factor": 3.0},
    "scale_district": {"action": "scale_district", "node": "wanzhou", "factor": 5.0,
                       "driver": "staff"},
}
SET_TIER_GBPS = 5.0  # 2 × 2.5G
TIERS = ("1G", "2.5G", "10G", "40G", "100G")

VERBS: dict[str, list[str]] = {
    "demand": ["demand"],
    "analyze": ["analyze"],
    "optimize-fixed": ["optimize", "--routing", "fixed"],
    "optimize-optimized": ["optimize", "--routing", "optimized", "--time-limit", "20"],
    "simulate": ["simulate", "--method", "analytic"],
    "plan": ["plan"],
}
FILES: dict[str, set[str]] = {
    "demand": {"demand.csv", "busy_hour.csv"},
    "analyze": {"worst_case.csv", "lost_demand.csv", "dc_load.csv", "summary.json"},
    "optimize-fixed": {"plan.json", "plan.csv", "costs.json"},
    "optimize-optimized": {"plan.json", "plan.csv", "costs.json", "routes.csv"},
    "simulate": {"sim_summary.json", "sim_services.csv"},
    "plan": {"report.html", "plan.xlsx", "summary.json", "plan.csv", "plan.json",
             "worst_case.csv", "dc_load.csv", "lost_demand.csv", "sim_summary.json"},
}
#: "ran and met every target" and "ran but misses targets".
EXIT_OK = {0, 3}


# ----------------------------------------------------------------------------- running


def write_scenario(directory: Path, action: str) -> Path:
    """A scenario extending the repository's baseline with the one override of ``action``."""
    name = "override-" + action.replace("_", "-")
    document = {
        "kind": "scenario",
        "extends": str(BASELINE),
        "name": name,
        "title": f"Baseline with one {action} override",
        "question": f"What does the {action} override change?",
        "overrides": [OVERRIDES[action]],
    }
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def run_verb(verb: str, scenario: Path, out: Path) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "netplan", *VERBS[verb], str(TOPOLOGY), str(scenario),
            "-o", str(out)]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def check_run(proc: subprocess.CompletedProcess, verb: str, out: Path) -> None:
    assert proc.returncode in EXIT_OK, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    missing = FILES[verb] - {p.name for p in out.iterdir()}
    assert not missing, f"{verb} did not write {sorted(missing)}"


@pytest.fixture(scope="session")
def baseline_outputs(tmp_path_factory):
    """``outputs(verb)``: the baseline's output folder of a verb, run once per session."""
    root = tmp_path_factory.mktemp("baseline")
    done: dict[str, Path] = {}

    def outputs(verb: str) -> Path:
        if verb not in done:
            out = root / verb
            check_run(run_verb(verb, BASELINE, out), verb, out)
            done[verb] = out
        return done[verb]

    return outputs


# ----------------------------------------------------------------------------- reading


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def worst_case(out: Path) -> dict[str, dict]:
    return {r["link"]: r for r in read_csv(out / "worst_case.csv")}


def load(row: dict, key: str = "worst_load_gbps") -> float:
    return float(row[key])


def normal_load(row: dict) -> float:
    return float(row["normal_utilisation"]) * float(row["capacity_gbps"])


def plan_rows(out: Path) -> list[dict]:
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))["rows"]


def plan_document(out: Path) -> dict:
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def link_rows(out: Path, link: str) -> list[dict]:
    rows = [r for r in plan_rows(out) if r["item"] == "link" and r["id"] == link]
    return sorted(rows, key=lambda r: r["year"])


def sim_summary(out: Path) -> dict:
    return json.loads((out / "sim_summary.json").read_text(encoding="utf-8"))


def offered_per_s(out: Path, service: str) -> float:
    rows = [s for s in sim_summary(out)["services"] if s["service"] == service]
    return float(rows[0]["offered_per_s"])


def sim_utilisation(out: Path, link_direction: str) -> float:
    rows = [r for r in sim_summary(out)["busiest_links"] if r["link"] == link_direction]
    assert rows, f"{link_direction} is not among the busiest simulated links"
    return float(rows[0]["utilisation"]["mean"])


@cache
def scenario_inputs() -> dict:
    """The baseline as written, with the services and profiles of the catalogue it extends."""
    base = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    catalogue = yaml.safe_load((BASELINE.parent / base["extends"]).read_text(encoding="utf-8"))
    return catalogue | base


def service_input(service: str) -> dict:
    return next(s for s in scenario_inputs()["services"] if s["id"] == service)


@cache
def staff_share(node: str) -> float:
    """The district's share of the staff total: its population over all districts'."""
    districts = [r for r in read_csv(NODES_CSV) if r["kind"] == "district"]
    total = sum(float(r["population"] or 0) for r in districts)
    return float(next(r["population"] for r in districts if r["id"] == node)) / total


def staff_gbps(service: str, direction: str, hour: int, staff: float) -> float:
    """Busy traffic of a staff-driven service for ``staff`` people, in one direction."""
    s = service_input(service)
    profile = scenario_inputs()["profiles"][s["profile"]][hour]
    return staff * s.get("active_fraction", 1.0) * s[f"{direction}_mbps_per_unit"] * profile / 1e3


def staff_offered_per_s(service: str, hour: int, staff: float) -> float:
    """Arrivals per second of an elastic staff-driven service: both directions / size."""
    mbit = service_input(service)["session"]["size_mbit"]
    total = staff_gbps(service, "up", hour, staff) + staff_gbps(service, "down", hour, staff)
    return total * 1e3 / mbit


def staff_total() -> float:
    return float(scenario_inputs()["drivers"]["staff_total"])


def sim_hour() -> int:
    return int(scenario_inputs().get("simulation", {}).get("hours", [10])[0])


def busy_hour() -> int:
    """The office profile's busy hour (load factor 1)."""
    return scenario_inputs()["profiles"]["office"].index(1.0)


def built_links() -> int:
    return sum(1 for r in read_csv(LINKS_CSV) if r["candidate"] != "true")


def demand_table(out: Path) -> list[dict]:
    return read_csv(out / "demand.csv")


def demand_key(row: dict) -> tuple:
    return row["plane"], row["service"], row["year"], row["hour"], row["origin"], row["destination"]


def demand_value(row: dict) -> float:
    return float(row["demand_gbps_estimate"])


def wanzhou_ods(baseline_demand: list[dict]) -> set[tuple[str, str]]:
    return {(r["origin"], r["destination"]) for r in baseline_demand
            if "wanzhou" in (r["origin"], r["destination"]) and demand_value(r) > 0}


def busy_servers(demand: list[dict], sites: set[str], skip: set[str] = frozenset()) -> float:
    """Servers busy at a data centre (the documented rule): per service, servers_per_gbps ×
    the peak over hours of its traffic to and from ``sites``."""
    per: dict[tuple[str, str], float] = {}
    for r in demand:
        if r["service"] in skip or not {r["origin"], r["destination"]} & sites:
            continue
        key = (r["service"], r["hour"])
        per[key] = per.get(key, 0.0) + demand_value(r)
    peak: dict[str, float] = {}
    for (service, _), gbps in per.items():
        peak[service] = max(peak.get(service, 0.0), gbps)
    return sum(service_input(s).get("servers_per_gbps", 0.0) * g for s, g in peak.items())


def scale_district_floor_gbps() -> float:
    """Least busy-hour load down a Wanzhou link when its staff ×5 and the other link fails:
    office automation and Internet downstream alone (every other service only adds)."""
    staff = staff_total() * staff_share("wanzhou") * OVERRIDES["scale_district"]["factor"]
    h = busy_hour()
    return staff_gbps("oa_email", "down", h, staff) + staff_gbps("internet_access", "down", h, staff)


def internet_users() -> float:
    """Internet users of all districts: residents × internet users per resident."""
    districts = [r for r in read_csv(NODES_CSV) if r["kind"] == "district"]
    residents = sum(float(r["population"] or 0) for r in districts)
    return residents * scenario_inputs()["drivers"]["internet_users_per_resident"]


def exit_gbps(hour: int, leaving: bool) -> float:
    """Traffic through the Internet exit at ``hour``, the scaled service scaled: leaving it
    (the staff's Internet downstream to the districts, the citizens' requests to the data
    centre serving them) or arriving at it (the staff's upstream, the portal's pages)."""
    o = OVERRIDES["scale_service"]
    staff_way, citizen_way = ("down", "up") if leaving else ("up", "down")
    total = 0.0
    for s in scenario_inputs()["services"]:
        factor = o["factor"] if s["id"] == o["service"] else 1.0
        if s["pattern"] == "district_to_far_end" and s.get("far_end") == "internet-exit":
            assert s["driver"] == "staff"
            total += factor * staff_gbps(s["id"], staff_way, hour, staff_total())
        elif s["pattern"] == "citizens_via_exit" and s["from_site"] == "internet-exit":
            assert s["driver"] == "internet_users" and not s.get("region_weights")
            profile = scenario_inputs()["profiles"][s["profile"]][hour]
            total += (factor * internet_users() * s.get("active_fraction", 1.0)
                      * s[f"{citizen_way}_mbps_per_unit"] * profile / 1e3)
    return total


def internet_down_gbps() -> float:
    """The busiest hour and direction of the Internet exit's traffic, the scaled service
    scaled: all of it crosses the one exit link left when the other fails."""
    return max(exit_gbps(h, leaving) for h in range(24) for leaving in (True, False))


def dc_pair_flows() -> set[str]:
    """Fixed flows between the two data centres (replication, base-database sync): when one
    fails over to the other they have nowhere to go and stop."""
    sites = {"dc-cloud", "dc-dr"}
    return {s["id"] for s in scenario_inputs()["services"] if s["pattern"] == "site_to_site"
            and {s["from_site"], s["far_end"]} <= sites}


# ----------------------------------------------------------------------------- effects
# One function per (action, output kind). ``out`` is the run's folder, ``base(verb)`` the
# baseline's.


def demand_effect(action: str, out: Path, base) -> None:
    rows = demand_table(out)
    baseline = demand_table(base("demand"))
    if action in ("remove_link", "add_link", "set_tier", "fail_node"):
        # Links do not make demand, and a failed node's demand is still demand (it is
        # reported lost by the analysis): the table is the baseline's, byte for byte.
        assert (out / "demand.csv").read_bytes() == (base("demand") / "demand.csv").read_bytes()
    elif action in ("scale_service", "scale_district"):
        o = OVERRIDES[action]
        before = {demand_key(r): demand_value(r) for r in baseline}
        assert len(rows) == len(before)
        scaled = 0
        for r in rows:
            if action == "scale_service":
                hit = r["service"] == o["service"]
            else:
                # The district's staff-driven traffic to and from its far ends, and what
                # it sends to the other districts (what they send it depends on theirs).
                s = service_input(r["service"])
                ends = ((r["origin"], r["destination"]) if s["pattern"] == "district_to_far_end"
                        else (r["origin"],))
                hit = s["driver"] == "staff" and o["node"] in ends
            factor = o["factor"] if hit else 1.0
            scaled += hit
            assert demand_value(r) == pytest.approx(before[demand_key(r)] * factor, rel=1e-6,
                                                    abs=1e-9)
        assert scaled > 0
        if action == "scale_service":
            busy = [b for b in read_csv(out / "busy_hour.csv") if b["service"] == o["service"]]
            both = (staff_gbps(o["service"], "up", busy_hour(), staff_total())
                    + staff_gbps(o["service"], "down", busy_hour(), staff_total()))
            assert float(busy[0]["total_gbps"]) == pytest.approx(o["factor"] * both, rel=1e-9)
    elif action == "fail_data_centre":
        assert not [r for r in rows if "dc-cloud" in (r["origin"], r["destination"])
                    and demand_value(r) > 0]
        # Everything the cloud DC served is served from the DR site; the fixed flows between
        # the two (replication, base-database sync) stop.
        moved = _site_totals(baseline, {"dc-cloud", "dc-dr"}, skip=dc_pair_flows())
        assert _site_totals(rows, {"dc-dr"}) == pytest.approx(moved, rel=1e-9)
    else:
        raise AssertionError(action)


def _site_totals(rows: list[dict], sites: set[str], skip: set[str] = frozenset()) -> dict:
    totals: dict[tuple, float] = {}
    for r in rows:
        if r["service"] in skip or not {r["origin"], r["destination"]} & sites:
            continue
        key = (r["service"], r["hour"])
        totals[key] = totals.get(key, 0.0) + demand_value(r)
    return {k: v for k, v in totals.items() if v > 0}


def analysis_effect(action: str, out: Path, base) -> None:
    worst = worst_case(out)
    baseline = worst_case(base("analyze"))
    if action == "remove_link":
        assert "ex-cores-2" not in worst
        # Its parallel twin now carries what both carried, in the same failure state.
        assert worst["ex-cores-1"]["cause_failure"] == baseline["ex-cores-1"]["cause_failure"]
        assert load(worst["ex-cores-1"]) == pytest.approx(
            load(baseline["ex-cores-1"]) + load(baseline["ex-cores-2"]), rel=1e-4)
    elif action == "add_link":
        new, old = worst[NEW_LINK], worst["ex-internet-1"]
        assert (new["a"], new["b"], new["plane"]) == ("internet-exit", "core-1", "extranet")
        assert float(new["capacity_gbps"]) == 1.0
        # Equal-cost parallel links share core-1's exit traffic half and half.
        assert normal_load(new) == pytest.approx(normal_load(old), rel=1e-4)
        assert normal_load(new) + normal_load(old) == pytest.approx(
            normal_load(baseline["ex-internet-1"]), rel=1e-4)
    elif action == "set_tier":
        row = worst["ex-internet-1"]
        assert float(row["capacity_gbps"]) == SET_TIER_GBPS
        # A tier changes no routing weight: the same load, on less capacity.
        assert load(row) == pytest.approx(load(baseline["ex-internet-1"]), rel=1e-4)
        assert float(row["worst_utilisation"]) == pytest.approx(load(row) / SET_TIER_GBPS,
                                                                rel=1e-4)
    elif action == "fail_node":
        at_node = [r for r in worst.values() if "wanzhou" in (r["a"], r["b"])]
        assert len(at_node) == 4 and all(load(r) == 0 for r in at_node)
        lost = {(r["origin"], r["destination"]) for r in read_csv(out / "lost_demand.csv")
                if r["failure"] == "none"}
        assert lost == wanzhou_ods(demand_table(base("demand")))
        # Its lost traffic keeps no server busy.
        dc = {r["data_centre"]: r for r in read_csv(out / "dc_load.csv")}
        alive = [r for r in demand_table(base("demand"))
                 if "wanzhou" not in (r["origin"], r["destination"])]
        expected = busy_servers(alive, {"dc-cloud"})
        assert float(dc["dc-cloud"]["busy_servers"]) == pytest.approx(expected, rel=1e-4)
    elif action == "fail_data_centre":
        at_dc = [r for r in worst.values() if "dc-cloud" in (r["a"], r["b"])]
        assert at_dc and all(load(r) == 0 for r in at_dc)
        dc = {r["data_centre"]: r for r in read_csv(out / "dc_load.csv")}
        expected = busy_servers(demand_table(base("demand")), {"dc-cloud", "dc-dr"},
                                skip=dc_pair_flows())
        assert float(dc["dc-dr"]["busy_servers"]) == pytest.approx(expected, rel=1e-4)
        assert float(dc["dc-cloud"]["busy_servers"]) == 0
    elif action == "scale_service":
        for link in ("ex-internet-1", "ex-internet-2"):
            assert load(worst[link]) == pytest.approx(internet_down_gbps(), rel=1e-4)
    elif action == "scale_district":
        for link in ("ex-wanzhou-1", "ex-wanzhou-2"):
            assert load(worst[link]) >= scale_district_floor_gbps()
            assert load(worst[link]) > load(baseline[link])
    else:
        raise AssertionError(action)


def plan_effect(action: str, out: Path, base, routing: str) -> None:
    doc = plan_document(out)
    targets = scenario_inputs()["targets"]
    if action != "fail_node":
        assert doc["check"]["passed"], doc["check"]
    if action == "remove_link":
        assert not link_rows(out, "ex-cores-2") and link_rows(out, "ex-cores-1")
    elif action == "add_link":
        rows = link_rows(out, NEW_LINK)
        assert rows and rows[0]["capacity_gbps"] >= 1.0
        if routing == "fixed":
            # Its ECMP half of core-1's exit traffic at the normal target.
            half = normal_load(worst_case(base("analyze"))["ex-internet-1"]) / 2
            assert rows[0]["capacity_gbps"] * targets["max_utilisation_normal"] >= half
    elif action == "set_tier":
        first = link_rows(out, "ex-internet-1")[0]
        assert TIERS.index(first["tier"]) >= TIERS.index("2.5G")
        assert first["capacity_gbps"] >= SET_TIER_GBPS
        if routing == "fixed":
            need = normal_load(worst_case(base("analyze"))["ex-internet-1"])
            assert first["capacity_gbps"] * targets["max_utilisation_normal"] >= need
    elif action == "fail_node":
        at_node = [r for r in plan_rows(out) if r["item"] == "link" and r["district"] == "wanzhou"]
        assert at_node and not any(r["purchase"] for r in at_node)
        lost = {tuple(i["id"].split(">")) for i in doc["infeasibilities"] if i["item"] == "demand"}
        assert wanzhou_ods(demand_table(base("demand"))) <= lost
    elif action == "fail_data_centre":
        racks = {r["id"]: r for r in plan_rows(out) if r["item"] == "data_centre"}
        busy = busy_servers(demand_table(base("demand")), {"dc-cloud", "dc-dr"},
                            skip=dc_pair_flows())
        dr = next(dc for dc in yaml.safe_load(TOPOLOGY.read_text(encoding="utf-8"))
                  ["data_centres"] if dc["id"] == "dc-dr")
        needed = math.ceil(busy / dr["target_utilisation"] / dr["servers_per_rack"] - 1e-9)
        assert racks["dc-dr"]["racks"] >= needed > dr["racks"]
        assert racks["dc-cloud"]["racks_added"] == 0
    elif action == "scale_service":
        for link in ("ex-internet-1", "ex-internet-2"):
            first = link_rows(out, link)[0]
            need = internet_down_gbps() / targets["max_utilisation_failure"]
            assert first["capacity_gbps"] >= need * (1 - 1e-6)
    elif action == "scale_district":
        for link in ("ex-wanzhou-1", "ex-wanzhou-2"):
            first = link_rows(out, link)[0]
            need = scale_district_floor_gbps() / targets["max_utilisation_failure"]
            assert first["capacity_gbps"] >= need
    else:
        raise AssertionError(action)


def simulation_effect(action: str, out: Path, base) -> None:
    summary = sim_summary(out)
    h = sim_hour()
    if action == "remove_link":
        assert summary["links"] == 2 * (built_links() - 1)  # one sim link per direction
    elif action == "add_link":
        assert summary["links"] == 2 * (built_links() + 1)
        half = normal_load(worst_case(base("analyze"))["ex-internet-1"]) / 2
        assert sim_utilisation(out, NEW_LINK + ">") == pytest.approx(half / 1.0, rel=1e-4)
    elif action == "set_tier":
        load_gbps = normal_load(worst_case(base("analyze"))["ex-internet-1"])
        assert sim_utilisation(out, "ex-internet-1>") == pytest.approx(
            load_gbps / SET_TIER_GBPS, rel=1e-4)
    elif action == "fail_node":
        staff = staff_total() * (1 - staff_share("wanzhou"))
        assert offered_per_s(out, "oa_email") == pytest.approx(
            staff_offered_per_s("oa_email", h, staff), rel=1e-6)
    elif action == "fail_data_centre":
        assert [p["pool"] for p in summary["pools"]] == ["dc-dr"]
    elif action == "scale_service":
        o = OVERRIDES[action]
        assert offered_per_s(out, o["service"]) == pytest.approx(
            o["factor"] * staff_offered_per_s(o["service"], h, staff_total()), rel=1e-6)
    elif action == "scale_district":
        o = OVERRIDES[action]
        staff = staff_total() * (1 + (o["factor"] - 1) * staff_share(o["node"]))
        assert offered_per_s(out, "oa_email") == pytest.approx(
            staff_offered_per_s("oa_email", h, staff), rel=1e-6)
    else:
        raise AssertionError(action)


def report_effect(action: str, out: Path) -> None:
    html = (out / "report.html").read_text(encoding="utf-8")
    if action == "add_link":
        assert NEW_LINK in html  # on the map, with its worst utilisation
    elif action == "remove_link":
        # Named in the inputs' override table only: the map draws the network the
        # scenario made, without the removed link.
        assert "ex-cores-2" not in html.replace("link=ex-cores-2", "")


# ----------------------------------------------------------------------------- the tests


def documented_actions() -> list[str]:
    """The actions of the what-if table in docs/scenarios.md."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## What-if overrides", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)


def test_every_documented_action_is_covered_and_in_the_model():
    from typing import get_args

    from netplan.model.scenario import Override

    union = get_args(Override)[0]
    modelled = {get_args(m.model_fields["action"].annotation)[0] for m in get_args(union)}
    assert set(documented_actions()) == modelled == set(OVERRIDES)


def _cases():
    for action in OVERRIDES:
        for verb in VERBS:
            marks = [pytest.mark.slow] if verb == "optimize-optimized" else []
            yield pytest.param(action, verb, id=f"{action}-{verb}", marks=marks)


@pytest.mark.parametrize(("action", "verb"), list(_cases()))
def test_override_through_verb(action, verb, tmp_path, baseline_outputs):
    scenario = write_scenario(tmp_path, action)
    out = tmp_path / "out"
    check_run(run_verb(verb, scenario, out), verb, out)
    if verb == "demand":
        demand_effect(action, out, baseline_outputs)
    elif verb == "analyze":
        analysis_effect(action, out, baseline_outputs)
    elif verb.startswith("optimize"):
        plan_effect(action, out, baseline_outputs, verb.split("-")[1])
    elif verb == "simulate":
        simulation_effect(action, out, baseline_outputs)
    else:
        analysis_effect(action, out, baseline_outputs)
        plan_effect(action, out, baseline_outputs, "fixed")
        report_effect(action, out)


#: The link of each override that a plan may grow, with the tier the override gives it.
SIZED_BY_PLAN = {"add_link": NEW_LINK, "set_tier": "ex-internet-1"}


@pytest.mark.parametrize("action", sorted(SIZED_BY_PLAN))
def test_plan_simulates_the_links_at_the_plans_capacity(action, tmp_path):
    out = tmp_path / "out"
    check_run(run_verb("plan", write_scenario(tmp_path, action), out), "plan", out)
    link = SIZED_BY_PLAN[action]
    assert link_rows(out, link)[-1]["purchase"] or link_rows(out, link)[0]["purchase"]
    # The plan sized the link for the normal target, so the simulated busy hour on the
    # sized network stays within it.
    target = scenario_inputs()["targets"]["max_utilisation_normal"]
    assert sim_utilisation_at_most(out, link + ">") <= target + 1e-9


def sim_utilisation_at_most(out: Path, link_direction: str) -> float:
    """The link's simulated utilisation, or the least of the busiest when it is not listed."""
    rows = sim_summary(out)["busiest_links"]
    mine = [r for r in rows if r["link"] == link_direction]
    if mine:
        return float(mine[0]["utilisation"]["mean"])
    return min(float(r["utilisation"]["mean"]) for r in rows)


# ----------------------------------------------------------------------------- routed diagnosis


def _line_network():
    """A-B-C on one plane, 10G modules (at most 4), unit weights."""
    import netplan

    tier = {"name": "10G", "capacity_gbps": 10, "capex_cny": 100, "opex_cny_per_year": 10,
            "max_modules": 4}
    nodes = [{"id": n, "name": n, "kind": "core", "lat": 29.5 + i / 10, "lon": 106.5,
              "planes": ["extranet"]} for i, n in enumerate("ABC")]
    links = [{"id": a + b, "a": a, "b": b, "plane": "extranet", "tier": "10G", "weight": 1}
             for a, b in ("AB", "BC")]
    return netplan.build_topology({"name": "line", "tiers": [tier], "nodes": nodes,
                                   "links": links})


def _flow_scenario(topo, gbps: float, u_normal: float, u_failure: float):
    import netplan

    service = {"id": "f", "name": "f", "plane": "extranet", "pattern": "site_to_site",
               "driver": "fixed", "from_site": "A", "far_end": "B", "fixed_gbps": gbps,
               "profile": "flat"}
    return netplan.build_scenario({
        "name": "strict", "title": "strict", "question": "what to buy", "base_year": 2026,
        "profiles": {"flat": [1.0] * 24},
        "drivers": {"staff_total": 0, "cameras_total": 0, "video_rooms_per_district": 0},
        "services": [service], "failure_policy": ["n-1"],
        "targets": {"max_utilisation_normal": u_normal, "max_utilisation_failure": u_failure},
    }, topo)


def test_routed_diagnosis_names_the_state_where_a_stricter_failure_target_binds():
    # 36 Gbit/s A->B over A-B, at most 4 × 10G = 40 Gbit/s. Without failure the target is
    # 100 %: 36 <= 40 fits. The failure target is 50 %: when B-C fails, A-B still carries
    # all 36 Gbit/s and may carry 20, so 16 Gbit/s of load are over, 32 Gbit/s of capacity
    # missing (72 needed). When A-B fails, A and B are cut apart: that demand is lost.
    from netplan.planning.routed.planner import optimize_routed

    topo = _line_network()
    plan = optimize_routed(topo, _flow_scenario(topo, 36.0, 1.0, 0.5))
    assert plan.status == "infeasible"
    links = [i for i in plan.infeasibilities if i["item"] == "link"]
    assert len(links) == 1
    item = links[0]
    assert (item["id"], item["failure"]) == ("AB", "link:BC")
    assert item["overload_gbps"] == pytest.approx(16.0, rel=1e-6)
    assert item["shortfall"] == pytest.approx(32.0, rel=1e-6)
    assert item["reason"].startswith("when link:BC fails: 36.000 Gbit/s A→B needs 72.000 Gbit/s "
                                     "at the 50% target")


def test_routed_diagnosis_keeps_the_normal_target_without_failure():
    # The same link at 50 % without failure and 100 % in failure states: 36 Gbit/s need
    # 72 Gbit/s without failure; 32 Gbit/s are missing and the breach is "without failure".
    from netplan.planning.routed.planner import optimize_routed

    topo = _line_network()
    plan = optimize_routed(topo, _flow_scenario(topo, 36.0, 0.5, 1.0))
    item = next(i for i in plan.infeasibilities if i["item"] == "link")
    assert (item["id"], item["failure"]) == ("AB", "none")
    assert item["overload_gbps"] == pytest.approx(16.0, rel=1e-6)
    assert item["reason"].startswith("without failure: 36.000 Gbit/s A→B needs 72.000 Gbit/s "
                                     "at the 50% target")
