"""Assemble ``report.html`` from a run's saved results (no recomputation)."""

from __future__ import annotations

from netplan.io.run_dir import RunData
from netplan.report.figures import (
    demand_by_service,
    failure_impact,
    lost_demand_bars,
    utilisation_heatmap,
    worst_case_bars,
    worst_case_map,
)
from netplan.report.html import Section, Table, render_page
from netplan.report.i18n import LABELS, check_lang, t
from netplan.report.numbers import format_money
from netplan.report.planfigs import plan_figures
from netplan.report.reasons_zh import reason_zh


def _labels(keys, lang: str) -> dict[str, str]:
    return {k: t(f"col.{k}", lang) for k in keys}


def _file_note(path: str) -> str:
    return f" ({path})" if path else ""


def _inputs_section(run: RunData, lang: str) -> Section:
    inputs = run.inputs
    fp = inputs["fingerprint"]
    targets = inputs["targets"]
    rows = [
        {"name": "topology", "value": in_lang(inputs, "topology_name", lang)
                                      + _file_note(inputs["topology_file"])},
        {"name": "scenario", "value": f"{inputs['scenario_name']}: "
                                      f"{in_lang(inputs, 'scenario_title', lang)}"
                                      + _file_note(inputs["scenario_file"])},
        {"name": "years", "value": ", ".join(str(y) for y in inputs["years"])},
        {"name": "failure_policy", "value": ", ".join(inputs["failure_policy"])},
        {"name": "targets", "value": t("txt.targets", lang).format(
            normal=targets["max_utilisation_normal"], failure=targets["max_utilisation_failure"])},
        {"name": "routing", "value": t(f"routing.{inputs['routing']}", lang)},
        {"name": "seed", "value": str(inputs["seed"])},
        {"name": "fingerprint.topology", "value": fp["topology"]},
        {"name": "fingerprint.scenario", "value": fp["scenario"]},
        {"name": "fingerprint.run", "value": fp["run"]},
        {"name": "netplan", "value": run.results.get("netplan_version", "")},
    ]
    rows = [r | {"name": t(f"input.{r['name']}", lang)} for r in rows]
    services = [
        {"id": s["id"], "name": s["name_zh"] if lang == "zh" and s["name_zh"] else s["name"],
         "plane": t(f"plane.{s['plane']}", lang), "growth": f"{s['growth_per_year']:.0%}",
         "estimate": s["estimate"], "source": in_lang(s, "source", lang)}
        for s in inputs["services"]
    ]
    overrides = [{"override": ", ".join(f"{k}={v}" for k, v in o.items())}
                 for o in inputs["overrides"]]
    text = [t("txt.question", lang) + in_lang(inputs, "question", lang)]
    if inputs.get("description"):
        text.append(in_lang(inputs, "description", lang))
    tables = [Table(rows, ("name", "value"), _labels(("name", "value"), lang)),
              Table(services, ("id", "name", "plane", "growth", "estimate", "source"),
                    _labels(("id", "name", "plane", "growth", "estimate", "source"), lang))]
    if overrides:
        tables.append(Table(overrides, ("override",), _labels(("override",), lang)))
    return Section(t("sec.inputs", lang), text, (), tables)


def _purchases_text(plan: dict, lang: str) -> list[str]:
    """What to buy and what it costs, from the plan's costs object."""
    costs = plan["costs"]
    bought = costs["purchases"]
    count = sum(1 for r in plan["rows"] if r["purchase"])
    if not count:
        return [t("txt.buy_nothing", lang)]
    per_year = {y: v for y, v in bought["capex_per_year_cny"].items() if v}
    years = ""
    if len(per_year) > 1:
        years = "（" if lang == "zh" else " ("
        years += ("；" if lang == "zh" else "; ").join(
            f"{y}: {format_money(v, lang)}" for y, v in per_year.items())
        years += "）" if lang == "zh" else ")"
    opex = bought["added_opex_per_year_cny"]
    last = list(opex)[-1] if opex else ""
    by = ""  # "by 2031" only when the plan spans several years
    if len(opex) > 1:
        by = f"到 {last} 年" if lang == "zh" else f" by {last}"
    text = t("txt.buy", lang).format(
        n=count, items="item" if count == 1 else "items",
        capex=format_money(bought["capex_total_cny"], lang), years=years, by=by,
        opex=format_money(opex.get(last, 0.0) if opex else 0.0, lang),
        disc=format_money(bought["discounted_total_cny"], lang))
    run_cost = t("txt.run_cost", lang).format(
        existing=format_money(costs["existing_network"]["discounted_total_cny"], lang),
        total=format_money(costs["plan_discounted_total_cny"], lang))
    return [text, run_cost]


def in_lang(inputs: dict, key: str, lang: str) -> str:
    """An input text in the report's language: ``key_zh`` for zh when given, else ``key``."""
    return (lang == "zh" and inputs.get(f"{key}_zh")) or inputs[key]


def _node_names(run: RunData, lang: str) -> dict[str, str]:
    names = {}
    for node in run.results["topology"]["nodes"]:
        names[node["id"]] = (node.get("name_zh") if lang == "zh" else "") or node["name"]
    return names


def _shown(rows: list[dict], run: RunData, lang: str) -> list[dict]:
    """Rows with planes, items and districts in words of ``lang`` (ids stay as they are)."""
    names = _node_names(run, lang)
    out = []
    for row in rows:
        row = dict(row)
        if row.get("plane"):
            row["plane"] = t(f"plane.{row['plane']}", lang)
        if row.get("item") in ("link", "data_centre"):
            row["item"] = t(f"item.{row['item']}", lang)
        if "district" in row:
            row["district"] = (t("txt.municipal", lang) if row["district"] == "municipal"
                               else names.get(row["district"], row["district"]))
        out.append(row)
    return out


def purchase_table(run: RunData, lang: str) -> Table:
    """What to buy, year by year: where, what, how much it costs and why."""
    names = _node_names(run, lang)
    rows = []
    for r in run.results["plan"]["rows"]:
        if not r["purchase"]:
            continue
        if r["item"] == "data_centre":
            what = t("txt.racks_of", lang).format(n=r["racks_added"])
        else:
            what = f"{r['modules_bought']} × {r['tier']}" if r["modules_bought"] else ""
            if r.get("build_capex_cny"):
                what = f"{t('txt.link_build', lang)} + {what}" if what else t("txt.link_build", lang)
        reason = reason_zh(r["reason"]) if lang == "zh" else r["reason"]
        where = t("txt.municipal", lang) if r["district"] == "municipal" else r["district"]
        rows.append({"year": str(r["year"]), "where": names.get(r["district"], where),
                     "id": r["id"], "what": what, "capex_cny": r["capex_cny"],
                     "reason": reason})
    rows.sort(key=lambda r: (r["year"], r["where"], r["id"]))
    columns = ("year", "where", "id", "what", "capex_cny", "reason")
    return Table(rows, columns, _labels(columns, lang), formats={"capex_cny": ",.0f"})


def _verdict_section(run: RunData, lang: str) -> Section:
    """The answer first: the verdict, what to buy (when, where, how much, why) and its cost,
    then what was at risk before the purchases (the page's subtitle is the question asked)."""
    from netplan.verdict import Verdict

    verdict = Verdict.from_json(run.results["verdict"])
    answer = verdict.headline(lang) if verdict.meets_targets else verdict.tally(lang)
    text = [answer[:1].upper() + answer[1:]]  # a sentence on the page
    lines = verdict.lines(lang)
    text += [f"• {line}" for line in lines[:20]]
    if len(lines) > 20:
        text.append(t("txt.more_findings", lang).format(n=len(lines) - 20))
    plan = run.results.get("plan")
    tables = []
    if plan:
        text += _purchases_text(plan, lang)
        if any(r["purchase"] for r in plan["rows"]):
            tables.append(purchase_table(run, lang))
    return Section(t("sec.verdict", lang), text, (), tables)


def _before_section(run: RunData, lang: str) -> Section | None:
    """Why the purchases are needed: the network as it stood against the same targets."""
    from netplan.verdict import Verdict

    before = run.results.get("analysis", {}).get("summary", {}).get("verdict")
    if not before or before["meets_targets"] or not run.results.get("plan"):
        return None
    as_is = Verdict.from_json(before)
    lines = as_is.lines(lang)
    tally = as_is.tally(lang)
    text = [tally[:1].upper() + tally[1:], *(f"• {line}" for line in lines[:15])]
    if len(lines) > 15:
        text.append(t("txt.more_findings", lang).format(n=len(lines) - 15))
    return Section(t("sec.before", lang), text)


def _district_population(topo: dict) -> dict[str, float]:
    """Population per district that has an outline on the map (others are not filled)."""
    from netplan.report.geo import feature_name, load_districts

    outlines = {f["properties"]["name"] for f in load_districts()["features"]}
    return {
        n["name_zh"]: n["population"] for n in topo["nodes"]
        if n["kind"] == "district" and n.get("population") and n.get("name_zh")
        and feature_name(n["name_zh"]) in outlines
    }


def _array(run: RunData, key: str):
    return run.arrays.get(key)


def _drawn(pairs) -> tuple[list, list[str]]:
    """The figures worth drawing, and a sentence for each one that had nothing to show."""
    figures = [fig for fig, _ in pairs if fig is not None]
    return figures, [note for fig, note in pairs if fig is None]


def build_report(run: RunData, lang: str = "zh") -> str:
    """The report of a run, in ``lang`` (``zh`` or ``en``), as one offline HTML document.

    The sections come from :func:`report_sections`.

    Examples
    --------
    A saved run re-rendered in English (``tests/test_plan_pipeline.py`` runs this on a
    fresh run of the baseline):

    >>> import netplan
    >>> page = build_report(netplan.load_run("out/plan-baseline"), "en")  # doctest: +SKIP
    >>> "Network map" in page and "<script src" not in page  # doctest: +SKIP
    True
    """
    res = run.results
    title = f"netplan — {in_lang(res['inputs'], 'scenario_title', lang)}"
    return render_page(title, report_sections(run, lang), lang,
                       res["inputs"]["fingerprint"]["run"],
                       subtitle=in_lang(res["inputs"], "question", lang),
                       estimates=res["inputs"].get(f"estimates_{lang}")
                       or res["inputs"]["estimates"])


def report_sections(run: RunData, lang: str = "zh") -> list[Section]:
    """The report's sections (headings, text, figures, tables) from a run's saved results."""
    check_lang(lang)
    res = run.results
    analysis = res["analysis"]
    worst = analysis["worst_case"]
    scenario = res["inputs"]["scenario_name"]
    sections: list[Section] = []
    if "verdict" in res:
        sections.append(_verdict_section(run, lang))
        before = _before_section(run, lang)
        if before is not None:
            sections.append(before)
    sections.append(_inputs_section(run, lang))

    topo = res["topology"]
    population = _district_population(topo)
    sections.append(Section(t("sec.map", lang), t("txt.map", lang),
                            [worst_case_map(topo["nodes"], topo["links"], worst, lang,
                                            district_values=population,
                                            plan_rows=(res.get("plan") or {}).get("rows"),
                                            findings=(res.get("verdict") or {}).get("findings"))]))

    demand_figs = []
    for plane in ("extranet", "intranet"):
        values = _array(run, f"demand/{plane}/service_hour_gbps")
        if values is not None:
            demand_figs.append((demand_by_service(
                values, list(_array(run, f"demand/{plane}/services")),
                [int(y) for y in _array(run, f"demand/{plane}/years")], lang, plane=plane),
                t("txt.no_demand", lang).format(plane=t(f"plane.{plane}", lang))))
    figures, notes = _drawn(demand_figs)
    sections.append(Section(t("sec.demand", lang), notes, figures))

    targets = res["inputs"]["targets"]
    hot_figs = [(worst_case_bars(worst, lang, target_normal=targets["max_utilisation_normal"],
                                 target_failure=targets["max_utilisation_failure"]),
                 t("txt.no_load", lang))]
    for plane in ("extranet", "intranet"):
        grid = _array(run, f"{scenario}/{plane}/hourly_utilisation")
        if grid is not None:
            year = int(_array(run, f"{scenario}/{plane}/busiest_year"))
            label = f"{t('plane.' + plane, lang)}, {scenario} {year}"
            hot_figs.append((utilisation_heatmap(
                grid, list(_array(run, f"{scenario}/{plane}/links")), lang, label=label),
                t("txt.no_hourly_load", lang).format(label=label)))
    columns = ("link", "plane", "capacity_gbps", "worst_utilisation", "cause_failure",
               "cause_year", "cause_hour")
    figures, notes = _drawn(hot_figs)
    sections.append(Section(t("sec.hot", lang), notes, figures, [
        Table(_shown(worst[:30], run, lang), columns, _labels(columns, lang),
              formats={"worst_utilisation": ".1%"})]))

    failure_figs = []
    for plane in ("extranet", "intranet"):
        impact = _array(run, f"{scenario}/{plane}/impact")
        if impact is not None:
            failure_figs.append((failure_impact(
                impact, list(_array(run, f"{scenario}/{plane}/states")),
                list(_array(run, f"{scenario}/{plane}/links")), lang,
                label=t(f"plane.{plane}", lang)),
                t("txt.no_impact", lang).format(plane=t(f"plane.{plane}", lang))))
    lost = analysis["lost_demand"]
    failure_figs.append((lost_demand_bars(lost, lang), t("txt.no_lost", lang)))
    lost_cols = ("failure", "origin", "destination", "lost_gbps")
    figures, notes = _drawn(failure_figs)
    lost_rows = [r for r in sorted(lost, key=lambda r: -r["lost_gbps"]) if r["lost_gbps"] > 0]
    sections.append(Section(t("sec.failures", lang), notes, figures, [
        Table(lost_rows[:30], lost_cols, _labels(lost_cols, lang))] if lost_rows else []))

    plan = res.get("plan")
    if plan:
        check = plan.get("check") or {}
        text = _purchases_text(plan, lang)
        if plan["routing"] == "optimized":
            status = plan["status"]
            key = f"status.{status}"
            word = t(key, lang) if key in LABELS else status
            text.append(f"{t('txt.plan_status', lang)}: {word}; gap {plan['gap']:.2%}.")
        if check:
            verdict = t("txt.passed", lang) if check["passed"] else t("txt.failed", lang)
            text.append(f"{t('txt.check', lang)}: {verdict}.")
        # Lost demand is in the verdict, one finding per district; the rest is listed here.
        text += [f"{i['item']} {i['id']} ({i['year']}): "
                 f"{reason_zh(i['reason']) if lang == 'zh' else i['reason']}"
                 for i in plan["infeasibilities"] if i["item"] != "demand"][:20]
        bought = [r | {"reason": reason_zh(r["reason"])} if lang == "zh" else r
                  for r in plan["rows"] if r["purchase"]]
        columns = ("item", "id", "district", "year", "tier", "modules", "racks_added",
                   "capex_cny", "marginal_cost_cny", "reason")
        figures, notes = plan_figures(plan["rows"], plan["costs"], lang,
                                      names=_node_names(run, lang))
        sections.append(Section(t("sec.plan", lang), text + notes, figures, [
            Table(_shown(bought, run, lang), columns, _labels(columns, lang),
                  formats={"capex_cny": ",.0f", "marginal_cost_cny": ",.0f"})]))

    if any(s.get("group", "common") != "common" for s in res["scenario"]["services"]):
        from netplan.report.bysystem import bysystem_section

        sections.append(bysystem_section(run, lang))

    from netplan.report.availability import availability_section

    availability = availability_section(run, lang)  # None for runs saved without it
    if availability is not None:
        sections.append(availability)

    sim = res.get("simulation")
    if sim:
        from netplan.report.simfigs import simulation_section

        sections.append(simulation_section(sim, lang))
    else:
        sections.append(Section(t("sec.sim", lang), t("txt.no_sim", lang)))
    return sections
