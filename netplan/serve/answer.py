"""What the page shows of a run: the verdict, what to buy, the hottest links, the map.

:func:`run_whatif` is the one computation behind every control change: the scenario the
page's edits make (:mod:`netplan.serve.edits`), run through :func:`netplan.run.pipeline.plan`
with the fixed routing and the closed-form service check — the very call ``egov-netplan
plan`` makes, so ``plan`` on the saved scenario gives the same verdict, purchases and capex.
The answer comes in two steps: first the analysis and the fixed-routing plan with their
verdict, then (:func:`checked_verdict`) the closed-form check of what users feel, which
``plan`` adds to its verdict by default.
:func:`page_answer` turns the run into the JSON the page draws; the map is the report's
(:func:`netplan.report.figures.worst_case_map`), with each link and node tagged so a click
on it names it.

Examples
--------
>>> import netplan, tempfile
>>> from netplan.serve.edits import Edits
>>> from netplan.serve.workspace import Workspace
>>> ws = Workspace.start(netplan.default_topology_path(), netplan.default_scenario_path(),
...                      tempfile.mkdtemp())
>>> topo = netplan.load_topology(ws.topology)
>>> done = run_whatif(Edits.from_json({"base": "shipped/baseline.yaml"}), ws, topo)
>>> summary = run_summary(done.run, checked_verdict(done.run))
>>> summary["meets_targets"], summary["purchases"] > 0, summary["capex_total_cny"] > 0
(True, True, True)
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netplan.model.topology import Topology
from netplan.serve.edits import Edits, dump_whatif, load_whatif, whatif_document
from netplan.serve.workspace import Workspace

__all__ = ["HOTTEST", "WhatIfRun", "checked_verdict", "page_answer", "run_summary", "run_whatif",
           "verdict_answer"]

HOTTEST = 12  # links listed under "hottest links"
FINDINGS_SHOWN = 12
WHATIF_FILE = "whatif.yaml"  # where the page's scenario would be saved unless named


@dataclass(frozen=True)
class WhatIfRun:
    """One what-if computed: its edits, the scenario text, the run and how long it took."""

    edits: Edits
    text: str
    path: Path
    run: Any  # netplan.run.pipeline.PlanRun
    elapsed_s: float


def run_whatif(edits: Edits, workspace: Workspace, topology: Topology,
               file_name: str = WHATIF_FILE, sim: str = "none") -> WhatIfRun:
    """Compute a what-if as ``plan --sim SIM`` would on its saved file (fixed routing).

    The page's first answer comes without the services' closed forms (``sim="none"``);
    :func:`checked_verdict` adds them, as ``plan`` does by default.

    Raises
    ------
    ValidationError
        A bad edit, with the ``file:line: field: reason`` that ``validate`` would print for
        the saved file.
    """
    from netplan.run.pipeline import plan

    start = time.perf_counter()
    path = workspace.save_path(file_name)
    text = dump_whatif(whatif_document(edits, workspace, topology))
    scenario = load_whatif(text, path, topology)
    run = plan(topology, scenario, sim=sim, topology_file=str(workspace.topology),
               scenario_file=str(path))
    return WhatIfRun(edits, text, path, run, time.perf_counter() - start)


def checked_verdict(run):
    """The run's verdict with what users feel checked by the closed forms, as ``plan`` judges.

    The same call as :func:`netplan.run.pipeline.plan` makes with ``sim="analytic"``: the
    network the scenario changed, sized by the plan, in the horizon's last year.
    """
    import os

    from netplan.model.whatif import without_link_overrides
    from netplan.sim.scenario import simulate_scenario
    from netplan.verdict import plan_verdict

    scenario, demand = run.scenario, run.demand
    simulation = None
    if any(s.session is not None for s in scenario.services):
        simulation = simulate_scenario(run.plan.sized_topology(demand.whatif.topology),
                                       without_link_overrides(scenario), method="analytic",
                                       demand=demand, workers=os.cpu_count() or 1)
    return plan_verdict(run.plan, run.study, simulation)


def run_summary(run, verdict=None) -> dict:
    """The numbers the page puts side by side with the base's (JSON-ready).

    ``verdict`` defaults to the run's own. Capex and discounted costs are estimates (the
    tier prices are).
    """
    verdict = verdict if verdict is not None else run.verdict
    costs = run.plan.costs()["purchases"]
    before = run.study.summary()
    return {
        "scenario": run.scenario.name,
        "meets_targets": verdict.meets_targets,
        "exit_code": verdict.exit_code,
        "findings": len(verdict.findings),
        "purchases": len(run.plan.purchases()),
        "capex_total_cny": costs["capex_total_cny"],
        "discounted_total_cny": costs["discounted_total_cny"],
        "links_over_target_before": before["links_over_target"],
        "max_worst_utilisation_before": before["max_worst_utilisation"],
        "estimate": True,
    }


def _purchases(run) -> list[dict]:
    keys = ("year", "item", "id", "district", "tier", "modules", "racks", "capex_cny", "reason")
    rows = sorted(run.plan.purchases(), key=lambda r: (r["year"], r["item"], r["id"]))
    return [{k: r.get(k) for k in keys} for r in rows]


def _hottest(run) -> list[dict]:
    keys = ("link", "plane", "a", "b", "capacity_gbps", "worst_utilisation", "cause_failure",
            "cause_year", "cause_hour", "over_target")
    return [{k: r.get(k) for k in keys} for r in run.study.worst_case()[:HOTTEST]]


def _at_risk(run, nodes: list[dict]) -> list[dict]:
    """Districts at risk: cut off after the plan, or at an end of a link over target before it."""
    districts = {n["id"]: n for n in nodes if n.get("kind") == "district"}
    found: dict[str, dict] = {}
    for f in run.verdict.findings:
        if f.get("kind") == "cut_off" and f.get("district") in districts:
            found.setdefault(f["district"], {"why": "cut_off", "failures": f.get("failures", [])})
    for r in run.study.worst_case():
        if r.get("over_target"):
            for end in (r["a"], r["b"]):
                if end in districts:
                    found.setdefault(end, {"why": "over_target", "link": r["link"]})
    return [{"node": k, "name": districts[k].get("name"), "name_zh": districts[k].get("name_zh"),
             **v} for k, v in found.items()]


def _district_population(nodes: list[dict]) -> dict[str, float]:
    """Population per district with an outline of its own (the report's map fill)."""
    from netplan.report.geo import feature_name, load_districts

    outlines = {f["properties"]["name"] for f in load_districts()["features"]}
    return {n["name_zh"]: n["population"] for n in nodes
            if n.get("kind") == "district" and n.get("population") and n.get("name_zh")
            and feature_name(n["name_zh"]) in outlines}


def _tag_clickable(fig, lang: str) -> None:
    """Give link and node markers ``customdata`` = ``[kind, id]`` read from their hover boxes."""
    from netplan.report.i18n import t

    link_re = re.compile(r"^<b>" + re.escape(t("map.link", lang)) + r" ([^<]+)</b>")
    node_re = re.compile(re.escape(t("map.id", lang)) + r": ([A-Za-z0-9_.\-]+)")
    for trace in fig.data:
        texts = getattr(trace, "hovertext", None)
        if not texts or isinstance(texts, str):
            continue
        tags = []
        for text in texts:
            link, node = link_re.search(str(text)), node_re.search(str(text))
            tags.append(["link", link.group(1)] if link else ["node", node.group(1)] if node
                        else None)
        if any(tags):
            trace.customdata = tags


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float written as None (JSON has neither).

    Examples
    --------
    >>> finite({"a": [1.0, float("inf")], "b": float("nan")})
    {'a': [1.0, None], 'b': None}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def map_json(run, lang: str) -> str:
    """The report's network map of this run as plotly JSON, links and nodes clickable."""
    from netplan.report.figures import worst_case_map
    from netplan.report.html import figure_json

    results = run.data.results
    topo = results["topology"]
    fig = worst_case_map(topo["nodes"], topo["links"], results["analysis"]["worst_case"], lang,
                         district_values=_district_population(topo["nodes"]),
                         plan_rows=results["plan"]["rows"],
                         findings=results["verdict"]["findings"])
    _tag_clickable(fig, lang)
    fig.update_layout(clickmode="event")
    return figure_json(fig)


def verdict_answer(run, verdict, lang: str, services_checked: bool) -> dict:
    """The verdict part of the page's answer: summary numbers, headline, findings."""
    lines = verdict.lines(lang)
    return {
        "summary": run_summary(run, verdict),
        "headline": verdict.headline(lang),
        "findings": lines[:FINDINGS_SHOWN],
        "more_findings": max(0, len(lines) - FINDINGS_SHOWN),
        "services_checked": services_checked,
    }


def page_answer(done: WhatIfRun, lang: str, base: dict | None = None) -> str:
    """The JSON the page draws after a change (the map spliced in as plotly JSON)."""
    run = done.run
    costs = run.plan.costs()["purchases"]
    answer = {
        **verdict_answer(run, run.verdict, lang, services_checked=False),
        "base": base,
        "check_passed": bool(run.plan.check.get("passed")) if run.plan.check else None,
        "purchases": _purchases(run),
        "capex_per_year_cny": costs["capex_per_year_cny"],
        "hottest": _hottest(run),
        "at_risk": _at_risk(run, run.data.results["topology"]["nodes"]),
        "scenario_yaml": done.text,
        "compute_s": round(done.elapsed_s, 3),
        "estimate": True,
    }
    text = json.dumps(finite(answer), ensure_ascii=False, allow_nan=False)
    return text[:-1] + ', "map": ' + map_json(run, lang) + "}"
