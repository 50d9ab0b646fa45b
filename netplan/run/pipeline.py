"""The main job (``egov-netplan plan``): validate, demand, analyse, size, re-check, report.

Each stage is a call into the API; this module only orders them, reports progress through a
callback, and saves one run directory atomically (a killed run leaves the previous complete
run or none, never half of one).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

import netplan
from netplan.io.run_dir import RUN_FORMAT, RunData
from netplan.model.fingerprint import input_fingerprint

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
STAGES = ("validate", "demand", "analyse", "optimize", "simulate", "report")


def _no_progress(stage: str, index: int, total: int) -> None:
    log.info("stage %d/%d: %s", index, total, stage)


def compute_run(topology_path: str | os.PathLike, scenario_path: str | os.PathLike, *,
                routing: str = "fixed", time_limit_s: float = 120.0, gap: float = 0.01,
                sim: str = "analytic", progress: Progress | None = None) -> tuple[RunData, dict]:
    """Run every stage and return the saved-results bundle and the objects behind it.

    ``sim`` chooses how the sized network is checked for what users feel: ``analytic`` (the
    closed forms, fast), ``simulate`` (the discrete-event simulator with confidence
    intervals) or ``none``.

    Examples
    --------
    >>> import netplan
    >>> run, parts = compute_run(netplan.default_topology_path(),
    ...                          netplan.default_scenario_path("baseline"))
    >>> run.results["plan"]["status"], run.results["plan"]["check"]["passed"]
    ('optimal', True)
    """
    step = progress or _no_progress
    step("validate", 1, len(STAGES))
    topology = netplan.load_topology(topology_path)
    scenario = netplan.load_scenario(scenario_path, topology)
    return compute_run_objects(topology, scenario, routing=routing, time_limit_s=time_limit_s,
                               gap=gap, sim=sim, progress=progress,
                               topology_file=str(topology_path),
                               scenario_file=str(scenario_path))


def compute_run_objects(topology: netplan.Topology, scenario: netplan.Scenario, *,
                        routing: str = "fixed", time_limit_s: float = 120.0, gap: float = 0.01,
                        sim: str = "analytic", check: bool = True,
                        progress: Progress | None = None, topology_file: str = "",
                        scenario_file: str = "") -> tuple[RunData, dict]:
    """:func:`compute_run` after loading: every stage on a topology and scenario in memory.

    Batches call this with each variant's objects. ``topology_file`` and ``scenario_file``
    only label the inputs in the results; ``check`` turns the optimizer's independent
    re-analysis of the sized network on or off.

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    >>> run, parts = compute_run_objects(topo, s, sim="none")
    >>> run.results["plan"]["status"], parts["simulation"] is None
    ('optimal', True)
    """
    from netplan.analysis.study import analyze
    from netplan.demand import build_demand
    from netplan.model.describe import topology_document
    from netplan.optimize import optimize

    step = progress or _no_progress
    total = len(STAGES)
    step("demand", 2, total)
    demand = build_demand(topology, scenario)
    step("analyse", 3, total)
    study = analyze(topology, scenario)
    step("optimize", 4, total)
    plan = optimize(topology, scenario, routing, time_limit_s=time_limit_s, gap=gap, check=check)
    step("simulate", 5, total)
    simulation = None
    if sim != "none" and any(s.session is not None for s in scenario.services):
        from netplan.sim.scenario import simulate_scenario

        # The sized network in the last year of the horizon: what users would feel after
        # the plan's purchases, at the scenario's busiest demand.
        simulation = simulate_scenario(plan.sized_topology(topology), scenario, method=sim,
                                       demand=demand)
    fingerprint = input_fingerprint(topology, scenario)
    arrays = study.report_arrays()
    for plane, pd in demand.planes.items():
        # Demand per service and hour, summed over ods: the report's daily profile figure.
        arrays[f"demand/{plane}/service_hour_gbps"] = pd.gbps.sum(axis=-1)
        arrays[f"demand/{plane}/services"] = np.array(pd.services)
        arrays[f"demand/{plane}/years"] = np.array(pd.years)
    results = {
        "format": RUN_FORMAT,
        "netplan_version": netplan.__version__,
        "inputs": {
            "topology_file": topology_file,
            "scenario_file": scenario_file,
            "topology_name": topology.name,
            "scenario_name": scenario.name,
            "scenario_title": scenario.title,
            "question": scenario.question,
            "description": scenario.description,
            "years": list(scenario.years),
            "failure_policy": list(scenario.failure_policy),
            "targets": scenario.targets.model_dump(),
            "seed": scenario.seed,
            "routing": routing,
            "fingerprint": fingerprint,
            "estimates": _estimate_notes(topology, scenario),
            "services": [
                {"id": s.id, "name": s.name, "name_zh": s.name_zh, "plane": s.plane,
                 "growth_per_year": scenario.growth_per_year.get(s.id, s.growth_per_year),
                 "estimate": s.estimate, "source": s.source}
                for s in scenario.services
            ],
            "overrides": [o.model_dump(mode="json") for o in scenario.overrides],
        },
        "topology": topology_document(topology),
        "scenario": netplan.Scenario.model_dump(scenario, mode="json"),
        "analysis": {
            "summary": study.summary(),
            "worst_case": study.worst_case(),
            "lost_demand": study.lost_demand(),
            "sla_violations": study.sla_violations(),
            "dc_load": list(study.dc_load),
            "busy_hour": demand.busy_hour_totals(),
        },
        "plan": plan.summary() | {"rows": list(plan.rows)},
    }
    if simulation is not None:
        results["simulation"] = simulation.to_json()
    return RunData(results=results, arrays=arrays), {
        "topology": topology, "scenario": scenario, "demand": demand, "study": study,
        "plan": plan, "simulation": simulation,
    }


def _estimate_notes(topology, scenario) -> list[str]:
    notes = list(topology.notes)
    estimated = [s.id for s in scenario.services if s.estimate]
    if estimated:
        notes.append("Per-unit bandwidths and drivers of these services are estimates: "
                     + ", ".join(estimated))
    if scenario.profiles_estimate:
        notes.append("The daily profiles are estimates.")
    if scenario.drivers.estimate:
        notes.append(f"Driver totals: {scenario.drivers.source or 'estimates'}")
    if any(t.estimate for t in topology.tiers):
        notes.append("Tier prices (capex, opex) are estimates; every cost is an estimate.")
    if any(dc.estimate for dc in topology.data_centres):
        notes.append("Data-centre rack figures and prices are estimates.")
    return notes


def run_plan(topology_path, scenario_path, output: str | os.PathLike, *,
             overwrite: bool = False, lang: str = "zh", routing: str = "fixed",
             time_limit_s: float = 120.0, gap: float = 0.01, sim: str = "analytic",
             pdf: bool = False, png: bool = False,
             progress: Progress | None = None) -> RunData:
    """Compute a run and write its directory: results, CSVs, Excel and the HTML report.

    With ``pdf``/``png`` also ``report.pdf`` (A4) and ``figures/figure-NN.png``.
    """
    from netplan.io.atomic import check_output_dir, staged_output_dir
    from netplan.report.build import build_report
    from netplan.report.exports import write_exports
    from netplan.report.i18n import check_lang

    check_lang(lang)
    check_output_dir(output, overwrite)  # before minutes of work, not after
    run, parts = compute_run(topology_path, scenario_path, routing=routing,
                             time_limit_s=time_limit_s, gap=gap, sim=sim, progress=progress)
    (progress or _no_progress)("report", 6, len(STAGES))
    html = build_report(run, lang)
    with staged_output_dir(output, overwrite=overwrite) as stage:
        stage = Path(stage)
        run.save(stage)
        parts["study"].save(stage)  # worst_case.csv … and summary.json
        parts["plan"].save(stage)
        write_exports(run, stage)
        if parts["simulation"] is not None:
            parts["simulation"].save(stage)
        from netplan.io.atomic import write_text_atomic

        write_text_atomic(stage / "report.html", html)
        if pdf:
            from netplan.report.static import report_pdf

            report_pdf(stage / "report.html", stage / "report.pdf")
        if png:
            from netplan.report.build import report_sections
            from netplan.report.static import figure_pngs

            figure_pngs(report_sections(run, lang), stage / "figures")
    return run
