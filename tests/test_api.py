"""The top-level API: the flow in a few names, each stage's result handed to the next.

The main job builds the scenario's demand once and sweeps it once per reduction (over every
sample for the analysis, year by year for the plan); the optimizer and the simulator take
what the stages before them computed. Counting wrappers around the building blocks prove it.
"""

from __future__ import annotations

import sys
from collections import Counter

import pytest

import netplan
from netplan.analysis import sweep as sweep_module
from netplan.demand import build_demand as real_build_demand


@pytest.fixture(scope="module")
def baseline():
    topo = netplan.load_topology(netplan.default_topology_path())
    return topo, netplan.load_scenario(netplan.default_scenario_path("growth-5y"), topo)


def _patch_everywhere(monkeypatch, original, wrapper) -> None:
    """Replace ``original`` in every netplan module that imported it by name."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("netplan") or module is None:
            continue
        for attribute, value in list(vars(module).items()):
            if value is original:
                monkeypatch.setattr(module, attribute, wrapper)


@pytest.fixture
def counted(monkeypatch):
    """Counts of demand builds (per scenario object) and sweeps (per demand object, mode)."""
    import netplan.run.pipeline  # noqa: F401  every stage module is loaded before patching

    counts: Counter = Counter()
    real_sweep = sweep_module.sweep_scenario

    def build_demand(topology, scenario, *args, **kwargs):
        counts[("demand", id(scenario))] += 1
        return real_build_demand(topology, scenario, *args, **kwargs)

    def sweep_scenario(demand, policy, *, by_year):
        counts[("sweep", id(demand), by_year)] += 1
        return real_sweep(demand, policy, by_year=by_year)

    _patch_everywhere(monkeypatch, real_build_demand, build_demand)
    _patch_everywhere(monkeypatch, real_sweep, sweep_scenario)
    return counts


@pytest.mark.parametrize("check", [False, True])
def test_the_main_job_builds_demand_once_and_sweeps_it_once(baseline, counted, check):
    topo, scenario = baseline
    run = netplan.plan(topo, scenario, check=check, sim="analytic")
    assert counted[("demand", id(scenario))] == 1
    assert counted[("sweep", id(run.demand), False)] == 1  # the analysis
    assert counted[("sweep", id(run.demand), True)] == 1  # the plan, year by year
    # Everything else is the independent check on the sized network, which must not share
    # the planner's sweep: one analysis per year, each of its own demand.
    others = sum(n for key, n in counted.items() if key[0] == "demand") - 1
    assert others == (len(scenario.years) if check else 0)


def test_stages_called_one_by_one_equal_the_main_job(baseline):
    topo, scenario = baseline
    demand = netplan.build_demand(topo, scenario)
    study = netplan.analyze(topo, scenario, demand=demand)
    plan = netplan.optimize(topo, scenario, demand=demand, study=study, check=False)
    alone = netplan.optimize(topo, scenario, check=False)
    assert plan.rows == alone.rows and plan.objective_cny == alone.objective_cny
    run = netplan.plan(topo, scenario, check=False, sim="none")
    assert run.plan.rows == plan.rows
    assert run.study.worst_case() == study.worst_case()


def test_a_study_under_another_policy_cannot_stand_in_for_the_plan(baseline):
    topo, scenario = baseline
    study = netplan.analyze(topo, scenario, failures="none")
    with pytest.raises(ValueError, match="policy"):
        netplan.optimize(topo, scenario, study=study)


def test_the_simulator_runs_on_the_sized_topology(baseline):
    topo, scenario = baseline
    plan = netplan.optimize(topo, scenario, check=False)
    sized = plan.sized_topology(topo)
    final = {r["id"]: r["capacity_gbps"] for r in plan.rows
             if r["item"] == "link" and r["year"] == scenario.years[-1] and r["tier"]}
    links = {link.id: link for link in sized.links}
    assert final and all(links[i].capacity_gbps == c for i, c in final.items())
    result = netplan.simulate(sized, scenario, method="analytic")
    assert result.summary["services"]


def test_results_are_frozen(baseline):
    import dataclasses

    topo, scenario = baseline
    run = netplan.plan(topo, scenario, check=False, sim="none")
    for value in (run, run.study, run.plan, run.demand):
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.scenario = "other"
