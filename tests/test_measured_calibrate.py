"""Calibration and the measured base year, end to end on the default network."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import netplan
from netplan.analysis.routing import ecmp_routing
from netplan.cli import cli
from netplan.measured.base_demand import measured_base_demand, read_deduced_demands
from netplan.measured.calibrate import service_groups
from netplan.model.scenario import ScaleService

TRUE_FACTORS = {"internet_access": 1.5, "video_conference": 0.8}
"""Scale factors the counters are made with; every other service keeps 1."""


@pytest.fixture(scope="module")
def default():
    topo = netplan.load_topology(netplan.default_topology_path())
    return topo, netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)


def _write_counters(topo, scenario, path: Path) -> None:
    """Hourly counters of every arc: the modelled base-year loads under the true factors."""
    truth = scenario.model_copy(update={"overrides": tuple(
        ScaleService(action="scale_service", service=s, factor=f)
        for s, f in TRUE_FACTORS.items())})
    demand = netplan.build_demand(topo, truth)
    lines = ["link,from,time,gbps"]
    for plane, pd in demand.planes.items():
        graph = topo.plane_graph(plane)
        loads = (ecmp_routing(graph, pd.od_src, pd.od_dst).split @ pd.total_gbps[0].T).T
        for hour in range(24):
            for arc in range(graph.n_arcs):
                lines.append(f"{graph.link_ids[graph.arc_link[arc]]},"
                             f"{graph.node_ids[graph.arc_src[arc]]},{hour},{float(loads[hour, arc])!r}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_counters_to_calibrated_scenario_to_plan(default, tmp_path, monkeypatch):
    topo, scenario = default
    assert set(TRUE_FACTORS) <= {s.id for s in scenario.services}
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    counters = tmp_path / "counters.csv"
    _write_counters(topo, scenario, counters)
    out = tmp_path / "cal"
    runner = CliRunner()
    result = runner.invoke(cli, ["calibrate", "topologies/chongqing.yaml", "scenarios/baseline.yaml",
                                 str(counters), "-o", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    with open(out / "calibration.csv", newline="") as f:
        factors = {row["service"]: float(row["scale_factor"]) for row in csv.DictReader(f)}
    assert set(factors) == {s.id for s in scenario.services}
    for service, factor in factors.items():
        assert factor == pytest.approx(TRUE_FACTORS.get(service, 1.0), rel=0.02), service
    summary = json.loads((out / "summary.json").read_text())
    assert summary["calibration"]["fit"]["relative_l2_after"] < 0.01
    assert summary["calibration"]["fit"]["relative_l2_before"] > 0.05
    html = (out / "report.html").read_text()
    assert "Measured vs modelled" in html and "<script src" not in html
    calibrated = yaml.safe_load((out / "calibrated.yaml").read_text())
    assert (out / calibrated["extends"]).resolve() == Path("scenarios/baseline.yaml").resolve()
    result = runner.invoke(cli, ["validate", str(out / "calibrated.yaml")])
    assert result.exit_code == 0, result.output
    plan = tmp_path / "plan"
    result = runner.invoke(cli, ["plan", "topologies/chongqing.yaml", str(out / "calibrated.yaml"),
                                 "--base-demand", str(out / "demands.csv"), "--sim", "none",
                                 "-o", str(plan), "--lang", "en"])
    assert result.exit_code in (0, 3), result.output
    assert "base year: measured" in result.output
    busy = json.loads((plan / "results.json").read_text())["analysis"]["busy_hour"]
    assert busy and all(row["base"] == "measured" and row["estimate"] is False for row in busy)


def test_measured_base_year_by_hand(default, tmp_path):
    topo, _ = default
    scenario = netplan.load_scenario(netplan.default_scenario_path("growth-5y"), topo)
    modelled = netplan.build_demand(topo, scenario).planes["intranet"]
    ids = modelled.node_ids
    k = int(np.flatnonzero([ids[s] == "wanzhou" and ids[d] == "dc-cloud"
                            for s, d in zip(modelled.od_src, modelled.od_dst, strict=True)])[0])
    path = tmp_path / "demands.csv"
    # two days at 10:00 (mean 3.0) and one at 15:00; a pair the model has no traffic on
    path.write_text("plane,src,dst,time,gbps\n"
                    "intranet,wanzhou,dc-cloud,2026-03-02T10:00,2.0\n"
                    "intranet,wanzhou,dc-cloud,2026-03-03T10:00,4.0\n"
                    "intranet,wanzhou,dc-cloud,2026-03-02T15:00,1.0\n"
                    "intranet,fuling,wanzhou,2026-03-02T10:00,0.5\n", encoding="utf-8")
    demand = measured_base_demand(topo, scenario, path)
    pd = demand.planes["intranet"]
    j = [ids[s] == "wanzhou" and ids[d] == "dc-cloud"
         for s, d in zip(pd.od_src, pd.od_dst, strict=True)].index(True)
    new = [ids[s] == "fuling" and ids[d] == "wanzhou"
           for s, d in zip(pd.od_src, pd.od_dst, strict=True)].index(True)
    base = pd.gbps[:, 0]  # [service, hour, od]
    assert base[:, 10, j].sum() == pytest.approx(3.0)
    assert base[:, 15, j].sum() == pytest.approx(1.0)
    assert base[:, 10, new].sum() == pytest.approx(0.5)
    # the measured total split as the model splits that pair between its services
    mix = modelled.gbps[:, 0, 10, k] / modelled.gbps[:, 0, 10, k].sum()
    assert base[:, 10, j] == pytest.approx(3.0 * mix)
    # an hour not measured: the modelled shape scaled by measured / modelled over 10 and 15
    measured_sum = 3.0 + 1.0 + 0.5
    modelled_sum = modelled.total_gbps[0, [10, 15]].sum()
    assert base[:, 3, j].sum() == pytest.approx(modelled.total_gbps[0, 3, k]
                                                * measured_sum / modelled_sum)
    # later years grow by each service's rate
    for si, service in enumerate(pd.services):
        rate = next(s.growth_per_year for s in scenario.services if s.id == service)
        rate = scenario.growth_per_year.get(service, rate)
        assert pd.gbps[si, 3, 10, j] == pytest.approx(base[si, 10, j] * (1 + rate) ** 3)
    assert demand.planes["extranet"] is not None and demand.measured_planes == ("intranet",)
    rows = demand.busy_hour_totals()
    assert {(r["plane"], r["estimate"]) for r in rows if r["year"] == pd.years[0]} == {
        ("intranet", False), ("extranet", True)}


def test_bad_demands_file_names_file_and_line(default, tmp_path):
    topo, _ = default
    path = tmp_path / "demands.csv"
    path.write_text("plane,src,dst,time,gbps\nintranet,wanzhou,nowhere,10,1\n"
                    "moon,wanzhou,dc-cloud,10,1\nintranet,wanzhou,dc-cloud,10,-2\n")
    with pytest.raises(netplan.errors.ValidationError) as exc:
        read_deduced_demands(path, topo)
    lines = sorted(p.line for p in exc.value.problems)
    assert lines == [2, 3, 4]


def test_service_groups_merge_only_what_cannot_be_told_apart():
    base = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0]])
    design = np.column_stack([base[:, 0], 2 * base[:, 0], base[:, 1], np.zeros(4)])
    # column 1 is twice column 0: one group; column 2 alone; column 3 has no load at all
    assert service_groups(design) == [[0, 1], [2]]


def test_report_labels_speak_both_languages():
    from netplan.measured.report import LABELS

    assert all(set(text) == {"zh", "en"} and all(text.values()) for text in LABELS.values())
