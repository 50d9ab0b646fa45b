"""Availability targets that drive the plan: the least-cost search, the plan, the verdict, the CLI.

The expectations are independent of the code under test: closed forms of small series and
parallel systems (computed here from the elements' failure probabilities), and for the
default network bounds from sub-networks enumerated state by state in this file (a
sub-network's availability is a lower bound of the whole network's, since removing
components never helps; every path through one element bounds it from above).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import netplan
from netplan.availability import prepare
from netplan.availability.rates import element_rates
from netplan.cli import cli
from netplan.errors import ValidationError
from netplan.model.scenario import AvailabilityTargets, RemoveLink
from netplan.planning.availability_step import build_links, choose_links, search_links
from netplan.planning.fixed.planner import optimize_fixed

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios/baseline.yaml"
RING = "ex-ring-yunyang-wanzhou"
WANZHOU_DESTINATIONS = ("core-1", "dc-cloud", "internet-exit", "national-uplink")
DESTINATION_LINKS = {"dc-cloud": "ex-dc-cloud", "internet-exit": "ex-internet",
                     "national-uplink": "ex-national"}


@pytest.fixture(scope="module")
def topology():
    return netplan.load_topology(netplan.default_topology_path())


@pytest.fixture(scope="module")
def baseline(topology):
    return netplan.load_scenario(BASELINE, topology)


def _with(scenario, *, overrides=None, **targets):
    update = {"availability": AvailabilityTargets(**targets)}
    if overrides is not None:
        update["overrides"] = tuple(overrides)
    return scenario.model_copy(update=update)


def _one_uplink(scenario, **targets):
    return _with(scenario, overrides=(RemoveLink(action="remove_link", link="ex-wanzhou-1"),),
                 **targets)


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _scenario_file(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"kind: scenario\nextends: {BASELINE}\nname: {name}\ntitle: {name}\n"
                    f"question: does it meet its availability targets?\n{body}",
                    encoding="utf-8")
    return path


# --- the search on a small network, against closed forms -------------------------------------

Q_LINK, Q_STRONG = 0.01, 0.005  # probabilities a link is down (mtbf 99 h / 199 h, mttr 1 h)


def _small_topology():
    """d1 single-homed to the core; d2 and d3 too. Candidates: d1-d2 (1.0 M), d1-d3 (1.2 M)
    and a second, stronger d1-core link (2.5 M). Nodes practically never fail."""
    def link(ident, a, b, q=Q_LINK, **more):
        mtbf = (1 - q) / q  # mttr 1 h: down q of the time
        return {"id": ident, "a": a, "b": b, "plane": "extranet", "tier": "1G",
                "mtbf_h": mtbf, "mttr_h": 1.0, **more}

    node = {"mtbf_h": 1e9, "mttr_h": 1e-3}
    return netplan.build_topology({
        "name": "three districts",
        "tiers": [{"name": "1G", "capacity_gbps": 1, "capex_cny": 1000, "opex_cny_per_year": 10}],
        "nodes": [
            {"id": "core", "name": "Core", "kind": "core", "lat": 29.56, "lon": 106.55, **node},
            {"id": "dc", "name": "DC", "kind": "data_centre", "lat": 29.75, "lon": 106.48, **node},
            *({"id": d, "name": d, "kind": "district", "lat": 30.0 + i / 10, "lon": 107.0,
               "population": 100000, **node} for i, d in enumerate(("d1", "d2", "d3"))),
        ],
        "links": [
            link("core-dc", "core", "dc", q=1e-9),
            *(link(f"{d}-core", d, "core") for d in ("d1", "d2", "d3")),
            link("c12", "d1", "d2", candidate=True, modules=0, build_capex_cny=1.0e6),
            link("c13", "d1", "d3", candidate=True, modules=0, build_capex_cny=1.2e6),
            link("c1c", "d1", "core", q=Q_STRONG, candidate=True, modules=0,
                 build_capex_cny=2.5e6),
        ],
    })


def _small_model(target, judged_on="network"):
    topo = _small_topology()
    return topo, prepare(topo, destinations={"extranet": ["dc"]}, targets={"d1": target},
                         targets_on=judged_on, prob_cutoff=0)


def test_two_cheap_links_beat_one_dear_one_and_the_search_is_exact():
    # Closed forms of d1's network unavailability (d1 and dc perfect; core and core-dc
    # practically perfect): one link, with c12 or c13 alone, with both, with c1c alone.
    q = Q_LINK
    via_one = 1 - (1 - q) ** 2  # d1-dX and dX-core in series
    alone, one, both = q, q * via_one, q * via_one ** 2
    strong = q * Q_STRONG
    target = 0.9999
    assert 1 - one < target <= 1 - both and 1 - strong >= target
    topo, model = _small_model(target)
    choice = search_links(model)
    assert choice.method == "exact"
    assert sorted(choice.built) == ["c12", "c13"]  # 2.2 M (+ modules) beats c1c's 2.5 M
    assert {p.districts for p in choice.purchases} == {("d1",)}
    series = _series(topo)
    for result, down in ((choice.after(), both), (choice.before, alone)):
        row = result.row("d1", "extranet", "dc")
        assert abs(row["network_availability"] - series * (1 - down)) < 1e-12


def _series(topo):
    """The core node and the core-dc link: on every path of d1."""
    rates = element_rates(topo)
    return ((1 - rates["nodes"]["core"].unavailability)
            * (1 - rates["links"]["core-dc"].unavailability))


def test_a_looser_target_takes_the_cheapest_single_link():
    q = Q_LINK
    target = 0.9995  # one ring link: q × (1 - (1-q)²) ≈ 2.0e-4 down: meets
    assert 1 - q * (1 - (1 - q) ** 2) >= target
    _, model = _small_model(target)
    assert search_links(model).built == ("c12",)


def test_greedy_fallback_still_meets_the_target():
    _, model = _small_model(0.9999)
    choice = search_links(model, max_evaluations=1)
    assert choice.method == "greedy"
    row = choice.after().row("d1", "extranet", "dc")
    assert row["meets"] is True


def test_an_out_of_reach_target_is_diagnosed_with_its_best_value():
    # Even with every candidate built: d1-core, c1c, and the two ways round in parallel.
    q = Q_LINK
    best_down = q * Q_STRONG * (1 - (1 - q) ** 2) ** 2
    target = 1 - best_down / 10
    topo, model = _small_model(target)
    choice = search_links(model)
    assert choice.built == () and len(choice.unreachable) == 1
    found = choice.unreachable[0]
    assert found["bound_by"] == "network" and found["district"] == "d1"
    assert abs(found["best"] - _series(topo) * (1 - best_down)) < 1e-12


# --- the default network -----------------------------------------------------------------------

def _enumerated_availability(parts, rates, source, sink, perfect=()):
    """Availability of ``source``–``sink`` over the links ``parts`` (with their nodes), by
    enumerating every state of its components. A link works when it, its duct and its
    carrier work; the carriers (shared by several links) are conditioned on."""
    q_node = {n: r.unavailability for n, r in rates["nodes"].items()}
    q_link = {k: r.unavailability for k, r in rates["links"].items()}
    q_group = {g: r.unavailability for g, r in rates["srlgs"].items()}
    links = {lk.id: lk for lk in parts}
    nodes = sorted({n for lk in parts for n in (lk.a, lk.b)} - {source, sink, *perfect})
    carriers = sorted({g for lk in parts for g in lk.srlg if g.startswith("carrier-")})
    own = {}
    for lk in parts:
        up = 1 - q_link[lk.id]
        for g in lk.srlg:
            if not g.startswith("carrier-"):
                up *= 1 - q_group[g]  # a duct of one link of the plane: part of that link
        own[lk.id] = 1 - up
    elements = [("node", n, q_node[n]) for n in nodes] + [("link", k, own[k]) for k in links]
    total = 0.0
    for carrier_up in itertools.product((True, False), repeat=len(carriers)):
        p_carriers = 1.0
        for g, up in zip(carriers, carrier_up, strict=True):
            p_carriers *= (1 - q_group[g]) if up else q_group[g]
        down_carriers = {g for g, up in zip(carriers, carrier_up, strict=True) if not up}
        for state in itertools.product((True, False), repeat=len(elements)):
            p = p_carriers
            for (_, _, q), up in zip(elements, state, strict=True):
                p *= (1 - q) if up else q
            alive_nodes = {source, sink, *perfect} | {
                name for (kind, name, _), up in zip(elements, state, strict=True)
                if kind == "node" and up}
            alive_links = [links[name] for (kind, name, _), up in zip(elements, state, strict=True)
                           if kind == "link" and up and not set(links[name].srlg) & down_carriers]
            if _joined(source, sink, alive_nodes, alive_links):
                total += p
    return total


def _joined(source, sink, nodes, links):
    reached, frontier = {source}, [source]
    while frontier:
        here = frontier.pop()
        for lk in links:
            for a, b in ((lk.a, lk.b), (lk.b, lk.a)):
                if a == here and b in nodes and b not in reached:
                    reached.add(b)
                    frontier.append(b)
    return sink in reached


def _wanzhou_sub_network(topology, destination):
    """Wanzhou's uplink to core-2, the ring link to Yunyang and Yunyang's two uplinks, the
    two links between the cores and the destination's two links to them."""
    index = topology.link_index
    ids = ["ex-wanzhou-2", RING, "ex-yunyang-1", "ex-yunyang-2", "ex-cores-1", "ex-cores-2"]
    if destination in DESTINATION_LINKS:
        ids += [f"{DESTINATION_LINKS[destination]}-1", f"{DESTINATION_LINKS[destination]}-2"]
    return [index[i] for i in ids]


def test_network_target_builds_the_ring_link_checked_independently(topology, baseline):
    choice = choose_links(topology, _one_uplink(baseline, targets={"*": 99.99},
                                                judged_on="network"))
    assert choice.method == "exact" and choice.unreachable == ()
    assert [(p.link, p.districts) for p in choice.purchases] == [(RING, ("wanzhou",))]
    # Independently: before, every path of Wanzhou crosses ex-wanzhou-2 (its duct and
    # carrier) and core-2, so its availability is at most theirs: below 99.99 %.
    rates = element_rates(topology)
    q = {**{k: r.unavailability for k, r in rates["links"].items()},
         **{k: r.unavailability for k, r in rates["srlgs"].items()},
         **{k: r.unavailability for k, r in rates["nodes"].items()}}
    upper_before = ((1 - q["ex-wanzhou-2"]) * (1 - q["duct-wanzhou-2"]) * (1 - q["carrier-b"])
                    * (1 - q["core-2"]))
    assert upper_before < 0.9999
    # With the ring link built, a sub-network alone already meets 99.99 % to every
    # destination (the end nodes perfect, as the network target counts them).
    built, _ = build_links(topology, baseline, [RING])
    for destination in WANZHOU_DESTINATIONS:
        lower = _enumerated_availability(_wanzhou_sub_network(built, destination), rates,
                                         "wanzhou", destination)
        assert lower >= 0.9999, destination
        row = choice.after().row("wanzhou", "extranet", destination)
        assert row["network_availability"] >= lower - 1e-12 and row["meets"] is True
    # No cheaper candidate could do: it is the cheapest candidate of all.
    costs = {lk.id: lk.build_capex_cny for lk in topology.links if lk.candidate}
    assert min(costs, key=costs.get) == RING


def test_plan_builds_the_ring_link_and_exits_0(tmp_path):
    scenario = _scenario_file(tmp_path, "availability-wanzhou",
                              "overrides:\n  - {action: remove_link, link: ex-wanzhou-1}\n"
                              "availability:\n  targets: {'*': 99.99}\n  judged_on: network\n")
    out = tmp_path / "out"
    result = _run("optimize", netplan.default_topology_path(), scenario, "-o", out)
    assert result.exit_code == 0, result.output
    assert "verdict: meets targets" in result.output
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    ring = [r for r in plan["rows"] if r["id"] == RING and r["purchase"]]
    assert len(ring) == 1 and ring[0]["build_capex_cny"] == 1_600_000
    row = ring[0]
    assert abs(row["capex_cny"] - (row["build_capex_cny"]
                                   + row["modules_bought"] * row["unit_price_cny"])) < 1e-6
    assert "availability target of wanzhou" in row["reason"]
    assert plan["check"]["passed"] is True
    assert plan["costs"]["purchases"]["capex_total_cny"] >= 1_600_000


def test_end_to_end_target_exits_3_with_the_diagnosis(tmp_path, topology):
    scenario = _scenario_file(tmp_path, "availability-e2e",
                              "availability:\n  targets: {'*': 99.99}\n")
    out = tmp_path / "out"
    result = _run("optimize", netplan.default_topology_path(), scenario, "-o", out)
    assert result.exit_code == 3, result.output
    assert "cannot reach its 99.9900% availability target (end to end)" in result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    found = [f for f in summary["verdict"]["findings"] if f["kind"] == "availability"]
    districts = [n.id for n in topology.nodes if n.kind == "district"]
    assert len(found) == 2 * len(districts)  # every district, in both planes
    q_node = {n: r.unavailability for n, r in element_rates(topology)["nodes"].items()}
    for f in found:
        # No path does better than both its end nodes: that bound alone misses 99.99 %.
        ends_up = (1 - q_node[f["district"]]) * (1 - q_node[f["destination"]])
        assert f["bound_by"] == "end_nodes" and ends_up < f["target"] == 0.9999
        assert f["best"] <= ends_up + 1e-12
        assert f["dominant_cut"].startswith("node:")
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert not [r for r in plan["rows"] if r["build_capex_cny"] > 0]


def test_unknown_district_in_targets_is_bad_input(tmp_path):
    scenario = _scenario_file(tmp_path, "availability-typo",
                              "availability:\n  targets: {wanzou: 99.99}\n")
    result = _run("plan", netplan.default_topology_path(), scenario, "-o", tmp_path / "out",
                  "--sim", "none")
    assert result.exit_code == 2
    assert str(scenario) in result.output and "availability.targets.wanzou" in result.output


def test_fractions_and_bad_keys_are_refused_with_file_and_line(tmp_path):
    scenario = _scenario_file(tmp_path, "availability-bad",
                              "availability:\n  targets: {'*': 0.9999, 'a b': 99.9}\n"
                              "  judged_on: everywhere\n")
    result = _run("validate", scenario)
    assert result.exit_code == 2
    assert f"{scenario}:" in result.output and "availability.judged_on" in result.output
    scenario.write_text(scenario.read_text().replace("  judged_on: everywhere\n", ""))
    result = _run("validate", scenario)
    assert result.exit_code == 2
    assert "not fractions" in result.output and "'a b' is not a district id" in result.output


def test_met_targets_leave_the_plan_unchanged(topology, baseline):
    plain = optimize_fixed(topology, baseline, check=False)
    assert netplan.optimize(topology, baseline, check=False).rows == plain.rows
    # 99.9 % end to end: every district of the default network meets it already.
    met = _with(baseline, targets={"*": 99.9})
    assert netplan.optimize(topology, met, check=False).rows == plain.rows


def test_unknown_keys_raise_without_a_file(topology, baseline):
    with pytest.raises(ValidationError, match="not a district"):
        choose_links(topology, _with(baseline, targets={"nowhere": 99.9}))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["baseline", "growth-5y", "video-surge", "dc-outage",
                                  "consolidation", "n-1-audit"])
def test_shipped_scenarios_buy_the_same_with_met_targets(topology, name):
    scenario = netplan.load_scenario(netplan.default_scenario_path(name), topology)
    plain = netplan.optimize(topology, scenario, check=False)
    met = _with(scenario, targets={"*": 90.0})
    assert netplan.optimize(topology, met, check=False).purchases() == plain.purchases()


def test_network_verdict_names_the_district_below_its_target(topology, baseline):
    from netplan.verdict import network_verdict

    scenario = _one_uplink(baseline, targets={"*": 99.99}, judged_on="network")
    choice = choose_links(topology, scenario)
    verdict = network_verdict(netplan.analyze(topology, scenario), availability=choice.before)
    found = [f for f in verdict.findings if f["kind"] == "availability"]
    assert [(f["district"], f["plane"]) for f in found] == [("wanzhou", "extranet")]
    assert found[0]["best"] is None and found[0]["value"] < 0.9999
    assert sorted(found[0]["destinations"]) == sorted(WANZHOU_DESTINATIONS)
    assert "ex-wanzhou-2" in found[0]["dominant_cut"]
    en, zh = verdict.lines("en"), verdict.lines("zh")
    assert any("Wanzhou" in line and "below the 99.9900% target" in line for line in en)
    assert any("万州区（wanzhou）" in line and "低于目标 99.9900%" in line for line in zh)


def test_availability_reasons_read_in_chinese(topology, baseline):
    """The purchase and diagnosis reasons reach the zh report and 原因 columns translated:
    after rendering, only ids, numbers and units stay in Latin letters."""
    import re

    from netplan.planning.availability_step import missed_item
    from netplan.report.reasons_zh import reason_zh

    met = netplan.optimize(topology, _one_uplink(baseline, targets={"*": 99.99},
                                                 judged_on="network"))
    unreachable = netplan.optimize(topology, _with(baseline, targets={"*": 99.99}))
    reasons = [r["reason"] for r in met.rows if r["id"] == RING and r["purchase"]]
    reasons += [i["reason"] for i in unreachable.infeasibilities][:2]
    row = choose_links(topology, _one_uplink(baseline, targets={"*": 99.99},
                                             judged_on="network")).before.misses()[0]
    reasons.append(missed_item(row, 2026, "the optimized routing mode does not buy links for "
                                          "availability targets (the fixed mode does)")["reason"])
    assert len(reasons) == 4
    ids = {n.id for n in topology.nodes} | {k.id for k in topology.links} | {
        g for k in topology.links for g in k.srlg} | {t.name for t in topology.tiers} | {
        baseline.name}
    for reason in reasons:
        zh = reason_zh(reason)
        words = set(re.findall(r"[A-Za-z][\w:.+-]*[A-Za-z0-9]", zh))
        leftover = {w for w in words if w.split(":")[-1] not in ids and w not in {"Gbit"}}
        assert not leftover, (reason, zh)
        assert "可用性" in zh


def test_validate_names_an_unknown_district_in_the_targets(tmp_path):
    scenario = _scenario_file(tmp_path, "availability-typo",
                              "availability:\n  targets: {wanzou: 99.99}\n")
    result = _run("validate", netplan.default_topology_path(), scenario)
    assert result.exit_code == 2
    assert "availability.targets.wanzou: unknown district 'wanzou'; did you mean 'wanzhou'?" \
        in result.output
