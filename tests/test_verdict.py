"""The run's one verdict: cut-off districts, exit codes, and remedies that really restore.

Expectations are computed here from the demand and the topology, not from the verdict code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import netplan
from netplan.model.scenario import RemoveLink
from netplan.verdict import network_verdict, plan_verdict
from netplan.verdict.text import failure_words

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGY = ROOT / "topologies" / "chongqing.yaml"


@pytest.fixture(scope="module")
def topo():
    return netplan.load_topology(TOPOLOGY)


@pytest.fixture(scope="module")
def single_homed(topo):
    """The README's what-if: one of Wanzhou's two extranet uplinks removed."""
    base = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    return base.model_copy(update={"overrides": (
        RemoveLink(action="remove_link", link="ex-wanzhou-1"),)})


@pytest.fixture(scope="module")
def single_homed_study(topo, single_homed):
    return netplan.analyze(topo, single_homed)


def _wanzhou_peak_gbps(topo, scenario) -> float:
    """Peak demand of every extranet od with an end at Wanzhou, each at its own peak."""
    pd = netplan.build_demand(topo, scenario).planes["extranet"]
    wz = pd.node_ids.index("wanzhou")
    touches = (pd.od_src == wz) | (pd.od_dst == wz)
    per_od_peak = pd.gbps.sum(axis=0).max(axis=(0, 1))
    return float(per_od_peak[touches].sum())


def test_single_homed_district_is_one_finding_with_its_failure_and_loss(
        topo, single_homed, single_homed_study):
    verdict = network_verdict(single_homed_study)
    cut = [f for f in verdict.findings if f["kind"] == "cut_off"]
    assert not verdict.meets_targets and verdict.exit_code == 3
    assert [(f["district"], f["plane"], f["failures"]) for f in cut] == [
        ("wanzhou", "extranet", ["link:ex-wanzhou-2"])]
    assert cut[0]["lost_gbps"] == pytest.approx(_wanzhou_peak_gbps(topo, single_homed), rel=1e-9)
    assert {"oa_email", "internet_access"} <= set(cut[0]["services"])
    line = verdict.lines("en")[0]
    assert "Wanzhou" in line and "ex-wanzhou-2" in line and "Gbit/s" in line
    assert "万州区" in verdict.lines("zh")[0]


def test_each_named_remedy_restores_the_district(topo, single_homed, single_homed_study):
    cut = next(f for f in network_verdict(single_homed_study).findings if f["kind"] == "cut_off")
    assert cut["remedies"], "Wanzhou has candidate ring links that would restore it"
    for remedy in cut["remedies"]:
        assert "wanzhou" in (remedy["a"], remedy["b"])  # it is isolated: only its own links help
        built = topo.model_copy(update={"links": tuple(
            k.model_copy(update={"candidate": False, "tier": "1G", "modules": 1})
            if k.id == remedy["link"] else k for k in topo.links)})
        again = netplan.analyze(built, single_homed)
        assert not again.lost_demand(), remedy["link"]
        assert remedy["capex_cny"] >= remedy["build_capex_cny"] > 0


def test_plan_of_single_homed_network_misses_targets(topo, single_homed, single_homed_study):
    plan = netplan.optimize(topo, single_homed, study=single_homed_study)
    verdict = plan_verdict(plan, single_homed_study)
    cut = [f for f in verdict.findings if f["kind"] == "cut_off"]
    assert [(f["district"], f["failures"]) for f in cut] == [("wanzhou", ["link:ex-wanzhou-2"])]
    assert verdict.exit_code == 3


def test_shipped_baseline_plan_meets_targets_and_the_network_as_it_stands_does_not(topo):
    s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    study = netplan.analyze(topo, s)
    as_is = network_verdict(study)
    # Independently: a link above its failure target exists before any purchase.
    over = [r for r in study.worst_case()
            if r["failure_utilisation"] > s.targets.max_utilisation_failure]
    assert over and not as_is.meets_targets
    assert {f["link"] for f in as_is.findings if f["kind"] == "utilisation"} >= {
        r["link"] for r in over}
    assert plan_verdict(netplan.optimize(topo, s, study=study), study).meets_targets


def test_unchecked_plan_is_not_said_to_meet_targets(topo):
    s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    study = netplan.analyze(topo, s)
    verdict = plan_verdict(netplan.optimize(topo, s, study=study, check=False), study)
    assert [f["kind"] for f in verdict.findings] == ["unchecked"]


def test_verdict_round_trips_through_json(single_homed_study):
    verdict = network_verdict(single_homed_study)
    doc = json.loads(json.dumps(verdict.to_json()))
    again = type(verdict).from_json(doc)
    assert again == verdict and doc["exit_code"] == 3 and doc["counts"]["cut_off"] == 1


@pytest.mark.parametrize(("name", "lang", "words"), [
    ("none", "en", "without any failure"),
    ("link:x", "zh", "链路 x 故障"),
    ("node:n", "en", "node n fails"),
    ("srlg:duct-7", "en", "shared-risk group duct-7 fails"),
    ("links:a+b", "zh", "链路 a 与 b 同时故障"),
])
def test_failure_words(name, lang, words):
    assert failure_words(name, lang) == words


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "netplan", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_plan_command_exit_code_summary_and_report_agree(tmp_path):
    scenario = tmp_path / "single-homed.yaml"
    scenario.write_text(
        f"kind: scenario\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: single-homed\n"
        f"title: One Wanzhou uplink\nquestion: What if Wanzhou keeps one extranet uplink?\n"
        f"overrides:\n  - {{action: remove_link, link: ex-wanzhou-1}}\n", encoding="utf-8")
    done = _cli("plan", TOPOLOGY, scenario, "-o", tmp_path / "run", "--lang", "en", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "misses targets" in done.stdout and "Wanzhou" in done.stdout
    assert "ex-wanzhou-2" in done.stdout and "Gbit/s" in done.stdout
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdict"]["meets_targets"] is False
    assert summary["verdict"]["counts"]["cut_off"] == 1
    report = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    # One line in the verdict, one in "why buy" (the network as it stood): not one per od.
    assert report.count("is cut off") == 2 and "Misses targets" in report

    base = _cli("plan", "-o", tmp_path / "base", cwd=tmp_path)
    assert base.returncode == 0, base.stderr
    summary = json.loads((tmp_path / "base" / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdict"]["meets_targets"] is True


def test_analyze_command_exits_3_when_the_network_misses_targets(tmp_path):
    done = _cli("analyze", TOPOLOGY, ROOT / "scenarios" / "baseline.yaml", "-o", tmp_path / "a",
                cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    summary = json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdict"]["exit_code"] == 3
    assert np.isclose(summary["max_worst_utilisation"],
                      max(f["utilisation"] for f in summary["verdict"]["findings"]))
