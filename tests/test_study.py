"""The worst-case study on whole topologies and scenarios, checked by cut arithmetic."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from click.testing import CliRunner

import netplan
from netplan.analysis.study import analyze
from netplan.cli import cli
from tests.conftest import SMALL


@pytest.fixture(scope="module")
def small():
    topo = netplan.load_topology(SMALL / "topology.yaml")
    return topo, netplan.load_scenario(SMALL / "scenario.yaml", topo)


def test_cut_around_a_district_carries_its_demand(small):
    topo, scenario = small
    study = analyze(topo, scenario, failures="none")
    ps = next(p for p in study.planes if p.plane == "extranet")
    pd = ps.demand
    d3 = pd.node_ids.index("d3")
    base = ps.sweep.base_load_gbps  # [sample, arc]
    g = ps.graph
    out_arcs = np.flatnonzero(g.arc_src == d3)
    in_arcs = np.flatnonzero(g.arc_dst == d3)
    total = pd.total_gbps.reshape(-1, pd.od_src.size)
    np.testing.assert_allclose(base[:, out_arcs].sum(axis=1), total[:, pd.od_src == d3].sum(axis=1))
    np.testing.assert_allclose(base[:, in_arcs].sum(axis=1), total[:, pd.od_dst == d3].sum(axis=1))


def test_single_exit_link_failure_loses_all_internet_traffic(small):
    topo, scenario = small
    study = analyze(topo, scenario, failures="n-1")
    lost = [r for r in study.lost_demand() if r["failure"] == "link:c1-exit"]
    # web is 0.001 Mbit/s per resident down, flat, growing 10 %/yr for two years.
    expected = {"d1": 1.0, "d2": 0.5, "d3": 0.25}
    got = {r["destination"]: r["lost_gbps"] for r in lost if r["origin"] == "exit"}
    for district, millions in expected.items():
        assert got[district] == pytest.approx(millions * 1.1**2)


def test_worst_case_names_a_cause_for_every_link(small):
    topo, scenario = small
    rows = analyze(topo, scenario, failures=("n-1", "n-1-nodes", "srlg")).worst_case()
    built = {link.id for link in topo.links if not link.candidate}
    assert {r["link"] for r in rows} == built
    for row in rows:
        assert row["cause_failure"] and row["cause_year"] in (2026, 2027, 2028)
        assert 0 <= row["cause_hour"] < 24
        assert row["worst_load_gbps"] == pytest.approx(
            row["worst_utilisation"] * row["capacity_gbps"]
        )


def test_permanently_failed_node_traffic_is_lost(small):
    topo, scenario = small
    data = scenario.model_dump()
    data["overrides"] = [{"action": "fail_node", "node": "d3"}]
    study = analyze(topo, netplan.build_scenario(data, topo), failures="none")
    lost = {
        (r["origin"], r["destination"]) for r in study.lost_demand() if r["plane"] == "extranet"
    }
    assert ("d3", "dc") in lost and ("exit", "d3") in lost
    assert not any("d1" in pair for pair in lost)


def test_analyze_cli_on_the_default_network(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        [
            "analyze",
            str(netplan.default_topology_path()),
            str(netplan.default_scenario_path("n-1-audit")),
            "-o",
            str(out),
        ],
    )
    # The network as it stands has links above target under the audit's failures.
    assert result.exit_code == 3, result.output
    assert "verdict: misses targets" in result.output
    names = {p.name for p in out.iterdir()}
    assert {"worst_case.csv", "sla_violations.csv", "lost_demand.csv", "summary.json"} <= names
    with open(out / "worst_case.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["cause_failure"] for r in rows)
    assert set(rows[0]) >= {
        "link",
        "plane",
        "capacity_gbps",
        "worst_load_gbps",
        "worst_utilisation",
        "cause_failure",
        "cause_hour",
        "cause_year",
        "cause_scenario",
    }


def test_analyze_cli_rejects_bad_policy(tmp_path):
    result = CliRunner().invoke(
        cli,
        [
            "analyze",
            str(SMALL / "topology.yaml"),
            str(SMALL / "scenario.yaml"),
            "--failures",
            "n-7",
            "-o",
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code == 2 and "unknown policy" in result.output
    assert not (tmp_path / "x").exists()


def test_analyze_imported_repetita_min_mlu(tmp_path):
    """Repetita's published check: Abilene 0000 has a minimum max utilisation of 0.9."""
    import json
    from pathlib import Path

    data = Path(__file__).parent / "data" / "repetita"
    out = tmp_path / "abilene"
    result = CliRunner().invoke(cli, [
        "analyze", "--topology", str(data / "Abilene.graph"),
        "--demands", str(data / "Abilene.0000.demands"), "--routing", "min-mlu", "-o", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["max_utilisation"] == pytest.approx(0.9, abs=1e-3)
    with open(out / "link_loads.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 28 and max(float(r["utilisation"]) for r in rows) == pytest.approx(0.9, abs=1e-3)


def test_analyze_imported_needs_both_files(tmp_path):
    from pathlib import Path

    data = Path(__file__).parent / "data" / "repetita"
    result = CliRunner().invoke(cli, ["analyze", "--topology", str(data / "Abilene.graph"),
                                      "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--demands" in result.output
