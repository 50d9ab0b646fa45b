"""Ranges, products over the horizon, legal overrides and indexes: validation catches what a
run would trip on later, in one pass, and in time linear in the size of the network.

Every expected message and number here is written by hand from the documented ranges
(docs/scenarios.md, "Ranges"), never copied from what the code printed.
"""

from __future__ import annotations

import copy

import pytest
from click.testing import CliRunner

import netplan
from netplan.cli import cli
from netplan.errors import ValidationError
from netplan.io.scenario_io import build_scenario
from netplan.io.topology_io import build_topology
from netplan.model.checks import MAX_HINTS, NO_TRAFFIC
from tests.conftest import SMALL, read_small_scenario, read_small_topology, write_yaml


@pytest.fixture(scope="module")
def topo():
    return build_topology(read_small_topology())


def problems(build) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as err:
        build()
    return [(p.field, p.message) for p in err.value.problems]


def scenario_problems(topo, change) -> list[tuple[str, str]]:
    data = copy.deepcopy(read_small_scenario())
    change(data)
    return problems(lambda: build_scenario(data, topo))


def scenario_ok(topo, change):
    data = copy.deepcopy(read_small_scenario())
    change(data)
    return build_scenario(data, topo)


def scale(service: str, factor: float) -> dict:
    return {"action": "scale_service", "service": service, "factor": factor}


# --- the node index ---------------------------------------------------------------------------

def test_node_index_is_built_once_and_follows_copies(topo):
    index = topo.node_index
    assert topo.node_index is index  # built once
    assert set(index) == {"core-1", "core-2", "dc", "exit", "d1", "d2", "d3"}
    assert topo.node("d2").name == "District 2"
    with pytest.raises(KeyError):
        topo.node("nowhere")
    fewer = topo.model_copy(update={"nodes": topo.nodes[:2]})
    assert set(fewer.node_index) == {"core-1", "core-2"}  # a new tuple gets a new index
    same_nodes = topo.model_copy(update={"links": topo.links[:3]})
    assert same_nodes.node_index is index
    assert set(same_nodes.link_index) == {"c1-c2", "c1-dc", "c2-dc"}


def test_the_index_is_invisible_to_equality_hash_and_dumps(topo):
    fresh = build_topology(read_small_topology())
    _ = topo.node_index, topo.link_index
    assert topo == fresh and hash(topo) == hash(fresh)
    assert topo.model_dump() == fresh.model_dump()


def test_a_duplicated_id_finds_the_first_node_as_a_scan_would(topo):
    twin = topo.nodes[4].model_copy(update={"name": "second"})
    doubled = topo.model_copy(update={"nodes": (*topo.nodes, twin)})
    assert doubled.node("d1").name == "District 1"


# --- topology ranges and link legality ----------------------------------------------------------

def test_weights_of_one_plane_may_span_a_factor_of_a_million():
    data = read_small_topology()
    for link in data["links"]:
        if link["plane"] == "extranet":
            link["weight"] = 1.0
    data["links"][0]["weight"] = 1e6  # c1-c2: exactly the limit
    assert build_topology(data).links[0].weight == 1e6
    data["links"][0]["weight"] = 2e6
    assert problems(lambda: build_topology(data)) == [(
        "links[1].weight",  # c1-dc: the first link of the smallest weight
        "routing weight 1 is 2e+06 times below the largest of plane 'extranet' (2e+06, link "
        "'c1-c2'); one plane's weights may span a factor of at most 1e+06, or shortest paths "
        "read the smallest as 0",
    )]


def test_the_other_plane_does_not_count_towards_the_spread():
    data = read_small_topology()
    for link in data["links"]:
        link["weight"] = 1.0 if link["plane"] == "extranet" else 5e6
    assert build_topology(data).links[-1].weight == 5e6


def test_a_built_link_carries_traffic_a_candidate_may_have_no_module():
    data = read_small_topology()
    data["links"][4]["modules"] = 0  # d1-c1, built, tier 10G
    data["links"][6]["modules"] = 5  # d2-c1, tier 1G of at most 4 modules
    assert problems(lambda: build_topology(data)) == [
        ("links[4].modules",
         "a built link needs at least one module (modules: 0 is for candidate links)"),
        ("links[6].modules", "5 modules exceed max_modules 4 of tier '1G'"),
    ]
    data = read_small_topology()
    assert data["links"][10] == {**data["links"][10], "candidate": True, "modules": 0}
    build_topology(data)  # the candidate d3-d2 with zero modules is fine


@pytest.mark.parametrize(("where", "field", "value", "message"), [
    (("nodes", 4), "population", 2_000_000_001, "less than or equal to 2000000000"),
    (("nodes", 4), "staff", 10**8 + 1, "less than or equal to 100000000"),
    (("nodes", 4), "cameras", 10**25, "less than or equal to 100000000"),
    (("links", 0), "capacity_gbps", 1e308, "less than or equal to 10000000"),
    (("links", 0), "weight", 1e308, "less than or equal to 100000000"),
    (("links", 0), "build_capex_cny", 1e13, "less than or equal to 1000000000000"),
    (("tiers", 0), "capacity_gbps", 2e5, "less than or equal to 100000"),
    (("data_centres", 0), "rack_capex_cny", float("inf"), "finite number"),
])
def test_topology_numbers_stay_in_range(where, field, value, message):
    data = read_small_topology()
    data[where[0]][where[1]][field] = value
    (found,) = problems(lambda: build_topology(data))
    assert found[0] == f"{where[0]}[{where[1]}].{field}" and message in found[1]


def test_light_is_the_fastest_fibre():
    data = read_small_topology()
    data["fibre_latency_ms_per_km"] = 0.001
    (found,) = problems(lambda: build_topology(data))
    assert found[0] == "fibre_latency_ms_per_km" and "0.003" in found[1]


# --- products over the horizon --------------------------------------------------------------

def test_scale_factors_multiply_to_at_most_a_thousand(topo):
    # oa grows 25 % a year over 2 years: x 1.5625; 640 x 1.5625 = 1,000 exactly.
    assert scenario_ok(topo, lambda s: s.update(overrides=[scale("web", 2), scale("oa", 640)]))
    found = scenario_problems(topo, lambda s: s.update(
        overrides=[scale("web", 2), scale("oa", 640), scale("oa", 1.01)]))
    assert found == [(  # 640 x 1.01 x 1.5625 = 1,010
        "overrides[2].factor",
        "the scale_service factors of service 'oa' up to here, with its growth over the "
        "horizon (×1.562), multiply its demand by 1,010; at most 1,000",
    )]


def test_a_zero_factor_ends_the_product(topo):
    chain = [scale("oa", 0)] + [scale("oa", 1000)] * 5  # 0 x 1000^5 = 0
    assert scenario_ok(topo, lambda s: s.update(overrides=chain))


def test_growth_over_the_horizon_is_bounded(topo):
    def grow(rate, years):
        return lambda s: (s.update(horizon_years=years), s["services"][2].update(
            growth_per_year=rate))

    assert scenario_ok(topo, grow(3.0, 4))  # 4^4 = 256
    assert scenario_problems(topo, grow(3.0, 5)) == [(  # 4^5 = 1,024
        "services[2].growth_per_year",
        "growth of 3 a year over 5 years multiplies the demand of service 'secure' by "
        "1,024; at most 1,000 (lower the growth or the horizon)",
    )]
    assert scenario_problems(topo, lambda s: s.update(
        horizon_years=5, growth_per_year={"web": 3.0})) == [(
        "growth_per_year.web",
        "growth of 3 a year over 5 years multiplies the demand of service 'web' by "
        "1,024; at most 1,000 (lower the growth or the horizon)",
    )]


def test_growth_alone_is_bounded_even_when_scaled_down(topo):
    # 0.001 x 4^5 = 1.024, yet the growth factor of the last year alone is 1,024.
    found = scenario_problems(topo, lambda s: (
        s.update(horizon_years=5, overrides=[scale("secure", 0.001)]),
        s["services"][2].update(growth_per_year=3.0)))
    assert [field for field, _ in found] == ["services[2].growth_per_year"]


def test_shrinking_demand_is_never_too_large(topo):
    assert scenario_ok(topo, lambda s: s.update(
        horizon_years=30, growth_per_year={"oa": -0.5}, overrides=[scale("oa", 1000)]))


def test_district_factors_multiply_to_at_most_a_thousand(topo):
    def district(factor, driver=None):
        return {"action": "scale_district", "node": "d1", "factor": factor, "driver": driver}

    assert scenario_ok(topo, lambda s: s.update(
        overrides=[district(20), district(50, "staff")]))  # 1,000
    assert scenario_problems(topo, lambda s: s.update(
        overrides=[district(10, "staff"), district(50), district(2, "cameras"),
                   district(3, "staff")])) == [(  # all 50 x staff 30 = 1,500
        "overrides[3].factor",
        "the scale_district factors of node 'd1' up to here multiply its drivers by 1,500; "
        "at most 1,000",
    )]


# --- no traffic, no plane -----------------------------------------------------------------------

def test_a_scenario_must_ask_for_some_traffic(topo):
    def silent(s):
        for service in s["services"]:
            service["active_fraction"] = 0
    assert scenario_problems(topo, silent) == [("services", NO_TRAFFIC)]
    assert NO_TRAFFIC == "the scenario asks for no traffic: every service's demand is zero"


def test_drivers_that_count_zero_everywhere_ask_for_nothing(topo):
    def no_staff(s):
        s["drivers"]["staff_total"] = 0  # no node of the small topology gives its staff
        s["services"] = [x for x in s["services"] if x["driver"] == "staff"]
    assert scenario_problems(topo, no_staff) == [("services", NO_TRAFFIC)]

    def no_staff_in_d1_d2_d3(s):
        no_staff(s)
        s["drivers"]["staff_total"] = 3
        s["overrides"] = [{"action": "scale_district", "node": d, "factor": 0}
                          for d in ("d1", "d2", "d3")]
    assert scenario_problems(topo, no_staff_in_d1_d2_d3) == [("services", NO_TRAFFIC)]


def test_one_service_with_traffic_is_enough(topo):
    assert scenario_ok(topo, lambda s: s.update(overrides=[scale("oa", 0), scale("web", 0)]))


def test_removing_every_built_link_of_a_plane_is_named(topo):
    intranet = [lk.id for lk in topo.links if lk.plane == "intranet"]
    removals = [{"action": "remove_link", "link": lid} for lid in intranet]
    assert scenario_problems(topo, lambda s: s.update(overrides=removals)) == [(
        f"overrides[{len(intranet) - 1}].link",
        "the scenario disconnects plane 'intranet': it removes every built link of the "
        "plane, so none of its traffic could flow",
    )]
    keep_one = removals[1:]
    assert scenario_ok(topo, lambda s: s.update(overrides=keep_one))


def test_a_candidate_left_does_not_keep_a_plane_up(topo):
    extranet = [lk.id for lk in topo.links if lk.plane == "extranet" and not lk.candidate]
    removals = [{"action": "remove_link", "link": lid} for lid in extranet]
    found = scenario_problems(topo, lambda s: s.update(overrides=removals))
    assert found[-1][1].startswith("the scenario disconnects plane 'extranet'")


# --- overrides in order ------------------------------------------------------------------------

def test_overrides_see_the_network_the_earlier_ones_left(topo):
    gone = {"action": "remove_link", "link": "d1-c2"}
    again = {"action": "set_tier", "link": "d1-c2", "tier": "1G"}
    assert scenario_problems(topo, lambda s: s.update(overrides=[gone, again])) == [
        ("overrides[1].link", "link 'd1-c2' is already removed by overrides[0]"),
    ]
    rebuilt = {"action": "add_link", "link": {"id": "d1-c2", "a": "d1", "b": "core-2",
                                              "plane": "extranet", "tier": "1G"}}
    assert scenario_ok(topo, lambda s: s.update(overrides=[gone, rebuilt]))


def test_set_tier_stays_within_the_tier(topo):
    too_many = {"action": "set_tier", "link": "d1-c1", "tier": "1G", "modules": 8}
    assert scenario_problems(topo, lambda s: s.update(overrides=[too_many])) == [
        ("overrides[0].modules", "8 modules exceed max_modules 4 of tier '1G'"),
    ]


def test_an_added_link_joins_the_weights_of_its_plane(topo):
    smallest = min(lk.weight for lk in topo.links if lk.plane == "extranet")
    link = {"id": "c2-exit", "a": "core-2", "b": "exit", "plane": "extranet", "tier": "10G",
            "weight": smallest * 1e6 * 2}
    ((field, message),) = scenario_problems(
        topo, lambda s: s.update(overrides=[{"action": "add_link", "link": link}]))
    assert field == "overrides[0].link.weight"
    assert "times above the smallest of plane 'extranet'" in message


# --- hints, order, one pass ------------------------------------------------------------------

def test_unknown_ids_come_with_the_closest_known_one(topo):
    found = scenario_problems(topo, lambda s: (
        s["services"][0].update(profile="dya", far_end="dc-mian"),
        s.update(overrides=[{"action": "fail_node", "node": "d11"}])))
    assert found == [
        ("services[0].profile", "unknown profile 'dya'; allowed: day, flat; did you mean 'day'?"),
        ("services[0].far_end", "unknown node or data centre 'dc-mian'; did you mean 'dc-main'?"),
        ("overrides[0].node", "unknown node 'd11'; did you mean 'd1'?"),
    ]


def test_hints_are_few_per_check(topo):
    overrides = [{"action": "fail_node", "node": f"d1{chr(97 + i)}"}  # d1a, d1b, …: near d1
                 for i in range(MAX_HINTS + 3)]
    found = scenario_problems(topo, lambda s: s.update(overrides=overrides))
    assert len(found) == MAX_HINTS + 3
    assert sum("did you mean" in message for _, message in found) == MAX_HINTS


def test_schema_and_reference_problems_come_in_one_pass_by_line(tmp_path, topo):
    data = read_small_scenario()
    data["overrides"] = [scale("oaa", 2.0)]
    data["simulation"] = {"hours": [25]}
    data["services"][1]["far_end"] = "exitt"
    path = write_yaml(tmp_path / "s.yaml", {k: v for k, v in data.items() if k != "topology"})
    with pytest.raises(ValidationError) as err:
        netplan.load_scenario(path, topo)
    found = err.value.problems
    assert [p.field for p in found] == [
        "services[1].far_end", "overrides[0].service", "simulation.hours[0]"]
    assert [p.line for p in found] == sorted(p.line for p in found)
    assert found[0].message == "unknown node or data centre 'exitt'; did you mean 'exit'?"


def test_problems_of_a_base_are_cited_in_the_base(tmp_path):
    (tmp_path / "small").mkdir()
    for name in ("topology.yaml", "links.csv"):
        (tmp_path / "small" / name).write_bytes((SMALL / name).read_bytes())
    base = read_small_scenario()
    base["overrides"] = [scale("nope", 2.0)]
    write_yaml(tmp_path / "small" / "base.yaml", base)
    child = tmp_path / "small" / "child.yaml"
    child.write_text("kind: scenario\nextends: base.yaml\nname: child\n"
                     "simulation: {hours: [30]}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(child)])
    assert result.exit_code == 2
    lines = [line.strip() for line in result.output.splitlines() if ": " in line]
    base_line = next(i for i, text in enumerate(
        (tmp_path / "small" / "base.yaml").read_text().splitlines(), 1) if "nope" in text)
    assert lines[-2:] == [
        f"{tmp_path / 'small' / 'base.yaml'}:{base_line}: overrides[0].service: "
        "unknown service 'nope'",
        f"{child}:4: simulation.hours[0]: Input should be less than or equal to 23 (got 30)",
    ]


def test_a_list_given_here_replaces_the_bases_lines_too(tmp_path):
    (tmp_path / "small").mkdir()
    for name in ("topology.yaml", "links.csv", "scenario.yaml"):
        (tmp_path / "small" / name).write_bytes((SMALL / name).read_bytes())
    child = tmp_path / "small" / "child.yaml"
    child.write_text(  # services replace the base's whole; this one lacks its far_end
        "kind: scenario\nextends: scenario.yaml\nname: child\nservices:\n"
        "  - {id: oa, name: Office, plane: extranet, pattern: district_to_far_end,\n"
        "     driver: staff, up_mbps_per_unit: 0.02, profile: day}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(child)])
    assert result.exit_code == 2
    assert f"{child}:5: services[0].far_end: pattern district_to_far_end needs a far_end" \
        in result.output


# --- demand and batches ------------------------------------------------------------------------

def test_demand_that_overflows_is_refused_not_computed(topo):
    scenario = scenario_ok(topo, lambda s: None)
    # model_copy does not validate: the range check is bypassed on purpose.
    forced = scenario.model_copy(update={"growth_per_year": {"oa": 1e300}})
    with pytest.raises(ValidationError) as err:
        netplan.build_demand(topo, forced)
    (problem,) = err.value.problems
    assert problem.field == "services.oa" and "overflows" in problem.message


def test_a_grid_value_that_is_not_a_number_is_refused_up_front():
    from netplan.batch.spec import build_batch

    with pytest.raises(ValidationError) as err:
        build_batch({"name": "g", "scenario": str(SMALL / "scenario.yaml"), "stage": "demand",
                     "grid": {"scale.oa": [1.0, float("nan"), 2000.0, float("-inf")]}})
    # 2000 is out of range too, but finite: that variant fails on its own, as designed.
    assert [(p.field, p.message) for p in err.value.problems] == [
        ("grid.scale.oa[1]", "nan is not a finite number"),
        ("grid.scale.oa[3]", "-inf is not a finite number"),
    ]


# --- the simulation: no pool, and a budget --------------------------------------------------------

def _request_to_exit(topo):
    """A valid scenario whose only request service ends at the Internet exit (no pool)."""
    return scenario_ok(topo, lambda s: s.update(
        simulation={"hours": [10], "duration_s": 120, "warmup_s": 20, "replications": 3},
        services=[{"id": "oa", "name": "Office", "plane": "extranet",
                   "pattern": "district_to_far_end", "far_end": "exit", "driver": "staff",
                   "up_mbps_per_unit": 0.02, "down_mbps_per_unit": 0.08, "profile": "day",
                   "session": {"kind": "request", "service_time_s": 0.05, "size_mbit": 1.6}}]))


def test_a_model_without_a_server_pool_simulates(topo):
    from netplan.sim.scenario import simulate_scenario

    scenario = _request_to_exit(topo)
    run = simulate_scenario(topo, scenario, method="simulate")
    closed = simulate_scenario(topo, scenario, method="analytic")
    (row,) = run.summary["services"]
    # 10,000 staff x (0.02 + 0.08) Mbit/s at the busy hour / 1.6 Mbit per transfer.
    assert row["offered_per_s"] == pytest.approx(10_000 * 0.1 / 1.6)
    assert run.summary["pools"] == [] and run.pool_ids == ()
    assert row["blocking"]["mean"] == 0.0
    # Transfers on lightly loaded links: the processor-sharing closed form.
    expected = closed.summary["services"][0]["response_mean_s"]["mean"]
    assert row["response_mean_s"]["mean"] == pytest.approx(expected, rel=0.1)
    times, queues = run.pool_series[10]
    assert queues.shape == (len(times), 0)


def test_plan_with_the_simulator_runs_without_a_server_pool(tmp_path, topo):
    scenario = _request_to_exit(topo)
    path = write_yaml(tmp_path / "s.yaml", scenario.model_dump(mode="json", exclude_defaults=True)
                      | {"kind": "scenario"})
    result = CliRunner().invoke(cli, ["plan", str(SMALL / "topology.yaml"), str(path),
                                      "--sim", "simulate", "-o", str(tmp_path / "out")])
    assert result.exit_code in (0, 3), result.output
    assert "Traceback" not in result.output and (tmp_path / "out" / "report.html").exists()


def test_a_simulation_beyond_its_budget_is_refused_before_it_starts(topo):
    from netplan.sim.scenario import MAX_SESSIONS, simulate_scenario

    scenario = scenario_ok(topo, lambda s: s.update(
        simulation={"hours": [3, 10], "duration_s": 60, "warmup_s": 10, "replications": 2},
        services=[{"id": "sync", "name": "Sync", "plane": "extranet", "pattern": "site_to_site",
                   "from_site": "dc-main", "far_end": "exit", "driver": "fixed",
                   "fixed_gbps": 0.001, "profile": "flat",
                   "session": {"kind": "elastic", "size_mbit": 1.0}}]))
    # 1 Mbit/s in 1 Mbit transfers: 1 a second x 70 s x 2 hours x 2 replications.
    with pytest.raises(ValidationError) as err:
        simulate_scenario(topo, scenario, max_sessions=279)
    (problem,) = err.value.problems
    assert problem.field == "simulation"
    assert problem.message.startswith(
        "the simulation would run about 280 sessions (2 replications × 2 hour(s) × 70 s each), "
        "more than the limit of 279")
    assert "max_sessions" in problem.message
    assert simulate_scenario(topo, scenario, max_sessions=280).summary["sessions"] > 0
    assert MAX_SESSIONS == 500_000_000


def test_the_session_count_of_the_baseline_is_within_the_default_budget():
    from netplan.sim.build import sim_inputs
    from netplan.sim.scenario import MAX_SESSIONS, expected_session_count

    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path("consolidation"), topo)
    _, classes, _, _, _ = sim_inputs(topo, scenario)
    settings = scenario.simulation
    count = expected_session_count(classes, settings.hours, settings.replications,
                                   settings.duration_s, settings.warmup_s)
    assert count < MAX_SESSIONS / 2  # the largest shipped scenario, with room to spare
