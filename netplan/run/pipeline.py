"""The main job (``netplan.plan``, ``egov-netplan plan``): each stage hands its result on.

Demand is built once; the analysis sweeps it once; the optimizer sizes from that study; the
simulator runs on the topology the plan sized, with the same demand::

    demand = build_demand(topology, scenario)
    study = analyze(topology, scenario, demand=demand)
    plan = optimize(topology, scenario, demand=demand, study=study)
    simulation = simulate(plan.sized_topology(topology), scenario, demand=demand)

:class:`PlanRun` holds them all, with the saved-results bundle the report reads; its
:meth:`PlanRun.save` writes one run directory atomically (a killed run leaves the previous
complete run or none, never half of one).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import netplan
from netplan.analysis.failures import StepProgress
from netplan.analysis.study import Study, analyze
from netplan.analysis.sweep import sweep_progress
from netplan.availability.api import AvailabilityResult
from netplan.availability.equity import EquityResult
from netplan.demand import Demand, build_demand
from netplan.io.run_dir import RUN_FORMAT, RunData
from netplan.model.describe import topology_document
from netplan.model.fingerprint import input_fingerprint
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology
from netplan.model.whatif import without_link_overrides
from netplan.planning import Plan, optimize
from netplan.planning.availability_step import AvailabilityChoice, choose_links
from netplan.sim.scenario import (
    MAX_SESSIONS,
    SimScenarioResult,
    check_session_budget,
    simulate_scenario,
)
from netplan.verdict import Verdict, plan_verdict

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
STAGES = ("validate", "demand", "analyse", "optimize", "simulate", "report")


def _no_progress(stage: str, index: int, total: int) -> None:
    log.info("stage %d/%d: %s", index, total, stage)


@dataclass(frozen=True, eq=False)
class PlanRun:
    """Everything one run computed, each stage's result as the next stage took it.

    Attributes
    ----------
    topology, scenario : Topology, Scenario
        The inputs.
    demand : Demand
    study : Study
        Every link's worst case over hours, years and failure states, with its cause.
    plan : Plan
        What to buy, where, when and why, with the independent re-check.
    simulation : SimScenarioResult or None
        What users would feel on the sized network (None with ``sim="none"``).
    verdict : Verdict
        The run's one answer: does the network after the purchases meet its targets? It
        drives the summary line, ``summary.json``, the report and the exit code.
    data : RunData
        The saved-results bundle (``results.json`` and ``arrays.npz``) the report reads.
    availability, equity : AvailabilityResult, EquityResult, optional
        Per district after the purchases (``availability.csv``, ``equity.csv``); before and
        after are in ``results["availability"]`` and ``results["equity"]`` (estimates).
    """

    topology: Topology
    scenario: Scenario
    demand: Demand
    study: Study
    plan: Plan
    simulation: SimScenarioResult | None
    verdict: Verdict
    data: RunData
    availability: AvailabilityResult | None = None
    equity: EquityResult | None = None

    @property
    def results(self) -> dict:
        """The JSON-ready results (``results.json``)."""
        return self.data.results

    def summary(self) -> dict:
        """``summary.json`` of the run: the verdict, what to buy and what it costs.

        The network as it stood before the purchases is under ``before_purchases``.
        """
        plan = self.plan
        return {
            "topology": self.topology.name,
            "scenario": self.scenario.name,
            "years": list(self.scenario.years),
            "failure_policy": list(self.scenario.failure_policy),
            "verdict": self.verdict.to_json(),
            "plan": {"status": plan.status, "routing": plan.routing, "gap": plan.gap,
                     "purchases": len(plan.purchases()),
                     "independent_check_passed": bool(plan.check.get("passed"))
                     if plan.check else None},
            "costs": plan.costs(),
            "before_purchases": self.study.summary(),
            **({"availability": _availability_summary(self.results)}
               if "availability" in self.results else {}),
            "base_demand": _base_demand(self.demand),
            "estimate": True,
            "note": "Demand, prices and costs are estimates; see the report's sources.",
        }

    def report_html(self, lang: str = "zh") -> str:
        """The offline HTML report of this run."""
        from netplan.report.build import build_report

        return build_report(self.data, lang)

    def save(self, directory: str | os.PathLike, *, lang: str = "zh", overwrite: bool = False,
             pdf: bool = False, png: bool = False) -> Path:
        """Write the run directory: results, CSVs, Excel and the HTML report, atomically.

        With ``pdf``/``png`` also ``report.pdf`` (A4) and ``figures/figure-NN.png``. Last,
        ``index.md`` lists every file written and what it holds
        (:mod:`netplan.run.files`).
        """
        from netplan.io.atomic import check_output_dir, staged_output_dir, write_text_atomic
        from netplan.report.exports import write_exports
        from netplan.report.i18n import check_lang

        check_lang(lang)
        check_output_dir(directory, overwrite)
        html = self.report_html(lang)
        with staged_output_dir(directory, overwrite=overwrite) as stage:
            stage = Path(stage)
            self.data.save(stage)
            self.study.save(stage)  # worst_case.csv, lost_demand.csv …
            self.plan.save(stage)
            write_text_atomic(stage / "summary.json",
                              json.dumps(self.summary(), indent=2, ensure_ascii=False) + "\n")
            write_exports(self.data, stage)
            if self.availability is not None:
                # After the plan: the network with what it bought (estimates).
                write_text_atomic(stage / "availability.csv", self.availability.to_csv())
                write_text_atomic(stage / "equity.csv", self.equity.to_csv())
            if self.simulation is not None:
                self.simulation.save(stage)
            write_text_atomic(stage / "report.html", html)
            if pdf:
                from netplan.report.static import report_pdf

                report_pdf(stage / "report.html", stage / "report.pdf")
            if png:
                from netplan.report.build import report_sections
                from netplan.report.static import figure_pngs

                figure_pngs(report_sections(self.data, lang), stage / "figures")
            from netplan.run.files import write_index

            write_index(stage, about=f"Scenario / 情景: {self.scenario.name}; "
                                     f"topology / 拓扑: {self.topology.name}")
        return Path(directory)


def plan(topology: Topology, scenario: Scenario, *, routing: str = "fixed",
         time_limit_s: float = 120.0, gap: float = 0.01, sim: str = "analytic",
         check: bool = True, progress: Progress | None = None, topology_file: str = "",
         scenario_file: str = "", step_progress: StepProgress | None = None,
         max_sessions: float = MAX_SESSIONS, demand: Demand | None = None) -> PlanRun:
    """The main job on a topology and scenario: demand, analysis, plan, re-check, simulation.

    Parameters
    ----------
    topology, scenario : Topology, Scenario
    routing : {"fixed", "optimized"}
        The network's own shortest-path routing (exact), or routing as a decision too.
    time_limit_s, gap : float
        MILP limits (optimized routing).
    sim : {"analytic", "simulate", "none"}
        How the sized network is checked for what users feel: the closed forms (fast), the
        discrete-event simulator with confidence intervals, or not at all.
    check : bool
        Re-analyse the sized network independently, year by year.
    progress : callable, optional
        ``progress(stage, index, total)`` as each stage starts.
    topology_file, scenario_file : str
        Only label the inputs in the results.
    step_progress : callable, optional
        ``progress(done, total, message)`` from inside the long stages (a
        :data:`~netplan.analysis.failures.StepProgress`): the failure sweeps, the routed
        planner's solves, the simulator's replications.
    max_sessions : float
        With ``sim="simulate"``: the most sessions the simulation may create; checked before
        anything is computed (see :data:`netplan.sim.scenario.MAX_SESSIONS`).
    demand : Demand, optional
        The demand to plan for instead of ``build_demand(topology, scenario)``: e.g. a base
        year deduced from measured link counters
        (:func:`netplan.measured.base_demand.measured_base_demand`), grown by the scenario.

    Returns
    -------
    PlanRun

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> run = netplan.plan(topo, s, sim="none")
    >>> run.plan.status, run.simulation is None, run.verdict.meets_targets
    ('optimal', True, True)
    """
    step = progress or _no_progress
    total = len(STAGES)
    if sim == "simulate":
        _check_budget_early(topology, scenario, max_sessions, scenario_file)
    step("demand", 2, total)
    demand = demand if demand is not None else build_demand(topology, scenario)
    step("analyse", 3, total)
    with sweep_progress(step_progress):
        study = analyze(topology, scenario, demand=demand)
    step("optimize", 4, total)
    choice = _named_file(scenario_file, choose_links, topology, scenario, demand=demand)
    sized_plan = optimize(topology, scenario, routing, time_limit_s=time_limit_s, gap=gap,
                          check=check, demand=demand, study=study, progress=step_progress,
                          availability=choice)
    step("simulate", 5, total)
    simulation = None
    if sim != "none" and any(s.session is not None for s in scenario.services):
        # The sized network in the last year of the horizon: what users would feel after
        # the plan's purchases, at the scenario's busiest demand.
        # The network as the scenario changed it, sized by the plan; its link what-ifs are
        # already in it, so they are not applied again over the plan's capacities.
        simulation = simulate_scenario(sized_plan.sized_topology(demand.whatif.topology),
                                       without_link_overrides(scenario), method=sim,
                                       demand=demand, progress=step_progress,
                                       max_sessions=max_sessions,
                                       # results do not depend on it; every core by default
                                       workers=os.cpu_count() or 1)
    verdict = plan_verdict(sized_plan, study, simulation)
    data = run_data(topology, scenario, demand, study, sized_plan, simulation, verdict,
                    routing=routing, topology_file=topology_file, scenario_file=scenario_file)
    parts, after, fairness = _availability_parts(topology, scenario, demand, study, sized_plan,
                                                 choice)
    data.results.update(parts)
    return PlanRun(topology, scenario, demand, study, sized_plan, simulation, verdict, data,
                   after, fairness)


def _named_file(scenario_file: str, function, *args, **kwargs):
    """``function(*args, **kwargs)``, its input problems naming the scenario file."""
    from dataclasses import replace

    from netplan.errors import ValidationError

    try:
        return function(*args, **kwargs)
    except ValidationError as exc:
        raise ValidationError([replace(p, file=p.file or scenario_file)
                               for p in exc.problems]) from None


def _availability_parts(topology: Topology, scenario: Scenario, demand: Demand, study: Study,
                        sized_plan: Plan, choice: AvailabilityChoice | None):
    """Availability and equity before and after the plan (``results.json``'s
    ``availability`` and ``equity``), and the two results after it."""
    from dataclasses import replace

    from netplan.availability import equity, prepare
    from netplan.availability.results import run_results

    model = choice.model if choice is not None else prepare(topology, scenario, demand=demand)
    before = choice.before if choice is not None else model.evaluate()
    built = [r["id"] for r in sized_plan.rows
             if r["item"] == "link" and r["build_capex_cny"] > 0]
    after = model.evaluate(sorted(set(built))) if built else before
    sized = sized_plan.sized_topology(demand.whatif.topology)
    sized_demand = replace(demand, whatif=replace(demand.whatif, topology=sized))
    fair_before = equity(demand.whatif.topology, scenario, demand=demand, study=study,
                         availability=before)
    fair_after = equity(sized, without_link_overrides(scenario), demand=sized_demand,
                        availability=after)
    # What the plan spends on each link bought: its build charge and the modules sized on it.
    purchases = [p.to_json() | {"capex_cny": sum(r["capex_cny"] for r in sized_plan.rows
                                                 if r["item"] == "link" and r["id"] == p.link)}
                 for p in (choice.purchases if choice is not None else ())]
    return run_results(before, after, fair_before, fair_after, purchases), after, fair_after


def _availability_summary(results: dict) -> dict:
    """``summary.json``'s availability: the targets, whether they are met before and after
    the plan, the links bought for them and the worst rows after it (estimates)."""
    part = results["availability"]
    before, after = part["before"]["summary"], part["after"]["summary"]
    return {"targets_judged_on": after["targets_judged_on"],
            "targets_set": after["targets_set"],
            "meets_targets_before": before["meets_targets"],
            "meets_targets_after": after["meets_targets"],
            "targets_missed_after": after["targets_missed"],
            "links_built": [{"link": p["link"], "districts": p["districts"]}
                            for p in part["purchases"]],
            "worst_after": after["worst"],
            "estimate": True}


def _check_budget_early(topology: Topology, scenario: Scenario, max_sessions: float,
                        scenario_file: str) -> None:
    """Refuse an oversized simulation before anything is computed, citing the scenario file."""
    from dataclasses import replace

    from netplan.errors import ValidationError

    try:
        check_session_budget(topology, scenario, max_sessions=max_sessions)
    except ValidationError as exc:
        raise ValidationError([replace(p, file=p.file or scenario_file)
                               for p in exc.problems]) from None


def compute_run(topology_path: str | os.PathLike, scenario_path: str | os.PathLike,
                **options) -> PlanRun:
    """Load a topology and scenario file and :func:`plan` them (``options`` as there)."""
    topology = netplan.load_topology(topology_path)
    scenario = netplan.load_scenario(scenario_path, topology)
    return plan(topology, scenario, topology_file=str(topology_path),
                scenario_file=str(scenario_path), **options)


def run_data(topology: Topology, scenario: Scenario, demand: Demand, study: Study,
             sized_plan: Plan, simulation: SimScenarioResult | None, verdict: Verdict, *,
             routing: str,
             topology_file: str, scenario_file: str) -> RunData:
    """The saved-results bundle of a run: JSON-ready results and the arrays figures draw."""
    arrays = study.report_arrays()
    for plane, pd in demand.planes.items():
        # Demand per service and hour, summed over ods: the report's daily profile figure.
        arrays[f"demand/{plane}/service_hour_gbps"] = pd.gbps.sum(axis=-1)
        arrays[f"demand/{plane}/services"] = np.array(pd.services)
        arrays[f"demand/{plane}/years"] = np.array(pd.years)
    results = {
        "format": RUN_FORMAT,
        "netplan_version": netplan.__version__,
        "inputs": {**_inputs(topology, scenario, routing, topology_file, scenario_file),
                   "base_demand": _base_demand(demand)},
        # As the scenario changed it (links added, removed, re-tiered): what was planned.
        "topology": topology_document(demand.whatif.topology),
        "scenario": Scenario.model_dump(scenario, mode="json"),
        "analysis": {
            "summary": study.summary(),
            "worst_case": study.worst_case(),
            "lost_demand": study.lost_demand(),
            "sla_violations": study.sla_violations(),
            "dc_load": list(study.dc_load),
            "busy_hour": demand.busy_hour_totals(),
        },
        "plan": sized_plan.summary() | {"rows": list(sized_plan.rows)},
        "verdict": verdict.to_json(),
    }
    if simulation is not None:
        results["simulation"] = simulation.to_json()
    return RunData(results=results, arrays=arrays)


def _base_demand(demand: Demand) -> dict:
    """Where the base year's demand comes from: the scenario's model (estimates) or
    measurements (``plan --base-demand``) for some planes."""
    measured = list(getattr(demand, "measured_planes", ()))
    return {"measured_planes": measured, "source": getattr(demand, "source", "") if measured
            else "", "estimate": not measured}


def _inputs(topology: Topology, scenario: Scenario, routing: str, topology_file: str,
            scenario_file: str) -> dict:
    return {
        "topology_file": topology_file,
        "scenario_file": scenario_file,
        "topology_name": topology.name,
        "topology_name_zh": topology.name_zh,
        "scenario_name": scenario.name,
        "scenario_title": scenario.title,
        "scenario_title_zh": scenario.title_zh,
        "question": scenario.question,
        "question_zh": scenario.question_zh,
        "description": scenario.description,
        "description_zh": scenario.description_zh,
        "years": list(scenario.years),
        "failure_policy": list(scenario.failure_policy),
        "targets": scenario.targets.model_dump(),
        "seed": scenario.seed,
        "routing": routing,
        "fingerprint": input_fingerprint(topology, scenario),
        "estimates": _estimate_notes(topology, scenario),
        "estimates_zh": _estimate_notes(topology, scenario, "zh"),
        "services": [
            {"id": s.id, "name": s.name, "name_zh": s.name_zh, "plane": s.plane,
             "growth_per_year": scenario.growth_per_year.get(s.id, s.growth_per_year),
             "estimate": s.estimate, "source": s.source,
             "source_zh": s.source_zh}
            for s in scenario.services
        ],
        "overrides": [o.model_dump(mode="json") for o in scenario.overrides],
    }


def _estimate_notes(topology: Topology, scenario: Scenario, lang: str = "en") -> list[str]:
    """What in the inputs is an estimate, in ``lang``: the topology's notes, then a line per kind.

    A topology without Chinese notes (``notes_zh``) gives its English ones in both languages.
    """
    zh = lang == "zh"
    notes = list(topology.notes_zh if zh and topology.notes_zh else topology.notes)
    estimated = [s.id for s in scenario.services if s.estimate]
    if estimated:
        notes.append(("以下业务的单位带宽与驱动量为估算：" if zh else
                      "Per-unit bandwidths and drivers of these services are estimates: ")
                     + ", ".join(estimated))
    if scenario.profiles_estimate:
        notes.append("日负荷曲线为估算。" if zh else "The daily profiles are estimates.")
    if scenario.drivers.estimate:
        source = scenario.drivers.source
        if zh:
            source = scenario.drivers.source_zh or source
            notes.append(f"驱动量合计：{source or '估算'}")
        else:
            notes.append(f"Driver totals: {source or 'estimates'}")
    if any(t.estimate for t in topology.tiers):
        notes.append("各档位价格（建设投资、运维费用）为估算，因此所有费用均为估算。" if zh else
                     "Tier prices (capex, opex) are estimates; every cost is an estimate.")
    if any(dc.estimate for dc in topology.data_centres):
        notes.append("数据中心机柜数量与价格为估算。" if zh else
                     "Data-centre rack figures and prices are estimates.")
    return notes
