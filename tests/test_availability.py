"""Availability: the failure model, the decomposition against closed forms, the API and CLI.

The closed forms are the textbook ones for series, parallel and bridge systems of
independent components; the rates are computed by hand from the figures in
``topologies/data/failure_rates.csv``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import netplan
from netplan.availability import availability, equity, prepare
from netplan.availability.compute import PlaneSolver, pair_unavailability
from netplan.availability.equity import gini, spread
from netplan.availability.model import PlaneModel, plane_model
from netplan.availability.rates import default_rates, element_rates, link_rate
from netplan.availability.reference import naive_unavailability
from netplan.cli import cli
from netplan.errors import ValidationError

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests/data/small"
MINUTES = 8760 * 60


@pytest.fixture(scope="module")
def default_topology():
    return netplan.load_topology(netplan.default_topology_path())


# --- closed forms ---------------------------------------------------------------------------

def test_series_system_matches_product_of_availabilities():
    node_q = [0.01, 0.02, 0.03, 0.04]
    link_q = [0.001, 0.002, 0.005]
    m = PlaneModel.from_arrays(list("abcd"), [("ab", "a", "b"), ("bc", "b", "c"), ("cd", "c", "d")],
                               node_q=node_q, link_q=link_q)
    expected = 1.0
    for q in node_q + link_q:
        expected *= 1 - q
    r = pair_unavailability(m, "a", "d")
    assert abs((1 - r.unavailability) - expected) < 1e-12 and r.neglected == 0


def test_parallel_system_matches_product_of_unavailabilities():
    link_q = [0.1, 0.2, 0.3]
    m = PlaneModel.from_arrays(["s", "t"], [(f"l{i}", "s", "t") for i in range(3)],
                               node_q=[0.01, 0.02], link_q=link_q)
    expected = 0.99 * 0.98 * (1 - 0.1 * 0.2 * 0.3)
    assert abs((1 - pair_unavailability(m, "s", "t").unavailability) - expected) < 1e-12


def test_bridge_network_matches_its_closed_form():
    # s-a (1), s-b (2), a-t (3), b-t (4), a-b (5): condition on the bridge link 5.
    q = {1: 0.11, 2: 0.07, 3: 0.13, 4: 0.05, 5: 0.17}
    p = {k: 1 - v for k, v in q.items()}
    links = [("l1", "s", "a"), ("l2", "s", "b"), ("l3", "a", "t"), ("l4", "b", "t"),
             ("l5", "a", "b")]
    m = PlaneModel.from_arrays(["s", "a", "b", "t"], links, node_q=[0.0] * 4,
                               link_q=[q[i] for i in range(1, 6)])
    bridge_up = (1 - q[1] * q[2]) * (1 - q[3] * q[4])
    bridge_down = 1 - (1 - p[1] * p[3]) * (1 - p[2] * p[4])
    expected = p[5] * bridge_up + q[5] * bridge_down
    r = pair_unavailability(m, "s", "t")
    assert abs((1 - r.unavailability) - expected) < 1e-12
    assert r.dominant_cut and r.dominant_cut_probability > 0


def test_shared_risk_group_takes_both_parallel_links_down():
    m = PlaneModel.from_arrays(["s", "t"], [("l1", "s", "t"), ("l2", "s", "t")],
                               node_q=[0.0, 0.0], link_q=[0.1, 0.2],
                               srlgs={"duct": (["l1", "l2"], 0.03), "solo": (["l1"], 0.05)})
    # l1 fails with its own cause or its one-link group: 1 - 0.9 * 0.95.
    q1 = 1 - 0.9 * 0.95
    expected = 1 - (1 - 0.03) * (1 - q1 * 0.2)
    r = pair_unavailability(m, "s", "t")
    assert abs(r.unavailability - expected) < 1e-12
    assert [m.components[c] for c in r.dominant_cut] == ["srlg:duct"]
    assert m.members[m.components.index("link:l1")] == ("link:l1", "srlg:solo")


def test_cutoff_bound_brackets_the_exact_value():
    # A 2x3 grid: enough paths for the cut-off to leave mass unresolved, few enough
    # components (13) for the naive enumeration of all 8,192 states.
    nodes = [f"n{i}{j}" for i in range(2) for j in range(3)]
    links = [(f"h{i}{j}", f"n{i}{j}", f"n{i}{j + 1}") for i in range(2) for j in range(2)]
    links += [(f"v{j}", f"n0{j}", f"n1{j}") for j in range(3)]
    m = PlaneModel.from_arrays(nodes, links, node_q=[0.02] * 6, link_q=[0.05] * len(links))
    solver = PlaneSolver(m)
    exact = solver.pair(0, 5, 0.0)
    rough = solver.pair(0, 5, 1e-3)
    assert rough.neglected > 0 and rough.events < exact.events
    assert rough.unavailability <= exact.unavailability + 1e-15
    assert exact.unavailability <= rough.unavailability + rough.neglected + 1e-15
    # The naive enumeration of every state agrees with the exact decomposition.
    naive = naive_unavailability(m, [("n00", "n12")], max_order=m.n_components)
    assert naive.neglected < 1e-12
    assert abs(float(naive.unavailability[0]) - exact.unavailability) < 1e-12


# --- the failure model ----------------------------------------------------------------------

def test_link_rate_from_length_and_cable_type():
    from netplan.model.topology import Link

    # 100 km buried: 2.7 cuts / 1,000 km / year -> 0.27, plus 0.05 for the ports;
    # repair (0.27 * 12 h + 0.05 * 4 h) / 0.32.
    r = link_rate(Link(id="l", a="x", b="y", plane="extranet", length_km=100, cable="buried"))
    assert r.mtbf_h == pytest.approx(8760 / 0.32, rel=1e-12)
    assert r.mttr_h == pytest.approx((0.27 * 12 + 0.05 * 4) / 0.32, rel=1e-12)
    assert r.estimate and "To and P. Neusy" in r.source
    own = link_rate(Link(id="l", a="x", b="y", plane="extranet", length_km=100, mtbf_h=1000,
                         mttr_h=2))
    assert (own.mtbf_h, own.mttr_h, own.estimate) == (1000, 2, False)


def test_every_default_rate_has_a_source_and_is_an_estimate():
    table = default_rates()
    rows = [*table.cable.values(), table.ports, *table.node.values(), *table.srlg.values()]
    assert all(source.strip() and estimate for _, _, source, estimate in rows)


def test_overrides_reach_the_computation(small_topology_data):
    data = small_topology_data
    # d1 alone on two links of one duct with its own rate: the duct is a common cause.
    # Districts d2 and d3 go, so d1's paths are the ones the closed form below counts.
    data["nodes"] = [n for n in data["nodes"] if n["id"] not in ("d2", "d3")]
    data["links"] = [lk for lk in data["links"] if lk["plane"] == "extranet"
                     and not {lk["a"], lk["b"]} & {"d2", "d3"}]
    for lk in data["links"]:
        if lk["id"] in ("d1-c1", "d1-c2"):
            lk.update(srlg=["duct-d1"], mtbf_h=990.0, mttr_h=10.0)  # q = 0.01 each
    data["srlg_rates"] = {"duct-d1": {"mtbf_h": 1998.0, "mttr_h": 2.0}}  # q = 0.001
    for node in data["nodes"]:
        node.update(mtbf_h=1e9, mttr_h=1e-9)  # nodes never fail in this check
    topo = netplan.build_topology(data)
    m = plane_model(topo, "extranet")
    r = PlaneSolver(m).pair(m.node_index["d1"], m.node_index["core-1"], 0.0)
    # d1 reaches core-1 directly, or via core-2 and the core link or the data centre.
    rates = element_rates(topo)
    q_core = 1 - (1 - rates["links"]["c1-c2"].unavailability) * (
        1 - rates["srlgs"]["duct-core"].unavailability)
    q_dc = 1 - ((1 - rates["links"]["c1-dc"].unavailability)
                * (1 - rates["srlgs"]["duct-dc-1"].unavailability)
                * (1 - rates["links"]["c2-dc"].unavailability)
                * (1 - rates["srlgs"]["duct-dc-2"].unavailability))
    q_node = 1e-9 / (1e9 + 1e-9)
    q_c2_side = 1 - (1 - q_node) * (1 - 0.01) * (1 - q_core * q_dc)  # d1-c2, core-2, onwards
    expected_up = (1 - 0.001) * (1 - q_node) ** 2 * (1 - 0.01 * q_c2_side)
    assert abs((1 - r.unavailability) - expected_up) < 1e-12


def test_topologies_without_failure_fields_dump_as_before(default_topology):
    dumped = default_topology.model_dump(mode="json")
    assert "srlg_rates" not in dumped
    assert not {"cable", "mtbf_h", "mttr_h"} & set(dumped["links"][0])
    assert not {"mtbf_h", "mttr_h"} & set(dumped["nodes"][0])


def test_bad_failure_fields_are_refused(small_topology_data):
    data = small_topology_data
    data["links"][0]["mtbf_h"] = 0
    with pytest.raises(ValidationError, match="mtbf_h"):
        netplan.build_topology(data)
    data["links"][0]["mtbf_h"] = 100
    data["srlg_rates"] = [{"group": "duct-core", "mtbf_h": 1, "mttr_h": 1}] * 2
    with pytest.raises(ValidationError, match="twice"):
        netplan.build_topology(data)
    data["srlg_rates"] = [{"group": "no-such-duct", "mtbf_h": 1, "mttr_h": 1}]
    with pytest.raises(ValidationError, match="no-such-duct"):
        element_rates(netplan.build_topology(data))


# --- the API on the default network ---------------------------------------------------------

def test_all_districts_both_planes_with_a_tight_bound(default_topology):
    scenario = netplan.load_scenario(netplan.default_scenario_path("baseline"), default_topology)
    result = availability(default_topology, scenario)
    districts = {n.id for n in default_topology.nodes if n.kind == "district"}
    for plane in ("extranet", "intranet"):
        assert {r["district"] for r in result.rows if r["plane"] == plane} == districts
    assert all(r["neglected_probability"] < 1e-10 for r in result.rows)
    assert result.meets_targets is None and all(r["estimate"] for r in result.rows)
    row = result.row("wanzhou", "intranet", "dc-cloud")
    # The district's own node alone: 4 h per 43,800 h of up time = 48 minutes a year.
    assert row["downtime_min_per_year"] > 4 / 43804 * MINUTES
    assert row["dominant_cut"] == "node:wanzhou"
    assert row["network_downtime_min_per_year"] < row["downtime_min_per_year"] - 48


def test_targets_by_district_region_and_default(default_topology):
    m = prepare(default_topology, targets={"*": 0.999, "渝东北": 0.9999, "wanzhou": 0.99})
    result = m.evaluate()
    assert result.row("wanzhou", "extranet", "dc-cloud")["target"] == 0.99
    assert result.row("kaizhou", "extranet", "dc-cloud")["target"] == 0.9999
    assert result.row("yuzhong", "extranet", "dc-cloud")["target"] == 0.999
    assert result.meets_targets is False
    assert {r["district"] for r in result.misses()} <= {
        n.id for n in default_topology.nodes if n.region == "渝东北"}
    with pytest.raises(ValidationError, match="fraction"):
        prepare(default_topology, targets={"*": 99.99})


def test_a_candidate_link_shortens_the_network_downtime(default_topology):
    m = prepare(default_topology, targets={"wuxi": 0.999999}, targets_on="network")
    before = m.evaluate(districts=["wuxi"])
    after = m.evaluate(["ex-ring-wuxi-fengjie"], districts=["wuxi"])
    b, a = (r.row("wuxi", "extranet", "dc-cloud") for r in (before, after))
    assert a["network_downtime_min_per_year"] < b["network_downtime_min_per_year"]
    assert {r["district"] for r in after.rows} == {"wuxi"} and after.built == (
        "ex-ring-wuxi-fengjie",)
    with pytest.raises(ValidationError, match="not a candidate"):
        m.evaluate(["ex-wuxi-1"])


# --- equity -----------------------------------------------------------------------------------

def test_gini_and_spread_closed_forms():
    # Mean absolute difference / (2 mean): for (1, 3) it is 2 / (2 * 2 * 2) = 0.25.
    assert gini([1, 3]) == pytest.approx(0.25, abs=1e-15)
    assert gini([5, 5, 5]) == 0.0
    rows = [{"district": d, "x": v} for d, v in zip("abc", [2.0, None, 8.0], strict=True)]
    s = spread(rows, "x", "high")
    assert (s["districts"], s["max_min_ratio"], s["worst_five"]) == (2, 4.0, ["c", "a"])


def test_equity_per_capita_figures(default_topology):
    scenario = netplan.load_scenario(netplan.default_scenario_path("baseline"), default_topology)
    result = equity(default_topology, scenario)
    row = next(r for r in result.rows if (r["district"], r["plane"]) == ("wanzhou", "extranet"))
    # Two 1G links to the cores: 2 Gbit/s for 1,564,449 residents (2020 census).
    assert row["access_capacity_gbps"] == 2.0
    assert row["access_kbps_per_resident"] == pytest.approx(2e6 / 1564449, rel=1e-12)
    assert 0 < row["worst_hour_utilisation"] < 1 and row["latency_to_dc_ms"] > 0
    figures = {(s["plane"], s["figure"]) for s in result.spreads}
    assert ("intranet", "downtime_min_per_year") in figures and len(figures) == 12


# --- the command line -------------------------------------------------------------------------

def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_cli_writes_both_tables_and_exits_by_targets(tmp_path):
    topo, scen = SMALL / "topology.yaml", SMALL / "scenario.yaml"
    result = _run("availability", topo, scen, "-o", tmp_path / "a")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "a").iterdir() if not p.name.startswith("."))
    assert names == ["availability.csv", "equity.csv", "failure_rates.csv", "summary.json"]
    header = (tmp_path / "a/availability.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("district,name_zh,region,plane,destination,target,availability,")
    summary = json.loads((tmp_path / "a/summary.json").read_text(encoding="utf-8"))
    assert summary["meets_targets"] is None and summary["estimate"] is True
    assert _run("availability", topo, scen, "-o", tmp_path / "b", "--target", "99").exit_code == 0
    missed = _run("availability", topo, scen, "-o", tmp_path / "c", "--target", "99.99999")
    assert missed.exit_code == 3 and "misses targets" in missed.output
    bad = CliRunner().invoke(cli, ["availability", str(topo), str(scen), "-o",
                                   str(tmp_path / "d"), "--target-for", "d1=100"])
    assert bad.exit_code == 2 and "--target-for" in bad.output
    assert not (tmp_path / "d").exists()


def test_show_json_gives_every_rate(tmp_path):
    result = _run("show", SMALL / "topology.yaml", "--json")
    doc = json.loads(result.output)
    assert all(item["mtbf_h"] > 0 and item["mttr_h"] > 0
               for item in doc["nodes"] + doc["links"])
    core = next(n for n in doc["nodes"] if n["id"] == "core-1")
    assert core["mtbf_h"] == pytest.approx(8760 / 0.05) and core["mttr_h"] == 4
    assert {s["group"] for s in doc["srlgs"]} >= {"duct-core", "duct-d1-1"}


def test_cli_names_the_file_of_a_rate_for_an_unknown_group(tmp_path):
    for name in ("topology.yaml", "links.csv", "scenario.yaml"):
        (tmp_path / name).write_bytes((SMALL / name).read_bytes())
    with open(tmp_path / "topology.yaml", "a", encoding="utf-8") as fh:
        fh.write("srlg_rates:\n  duct-nope: {mtbf_h: 100, mttr_h: 1}\n")
    result = CliRunner().invoke(cli, ["availability", str(tmp_path / "topology.yaml"),
                                      str(tmp_path / "scenario.yaml"), "-o",
                                      str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "topology.yaml: srlg_rates.duct-nope: no link is in this shared-risk group" in (
        result.output)
    assert not (tmp_path / "out").exists()
