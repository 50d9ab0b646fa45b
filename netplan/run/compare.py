"""What changed between two runs: inputs, worst utilisations, purchases and costs.

Costs are compared year by year only where a run plans that year: a year one run does not
plan (a single-year baseline against a five-year growth run) is absent for that run — an
empty cell in the CSV, "—" on the page — never 0, and its difference is absent too. The
totals over each run's own horizon (capex, and the discounted purchases, existing network
and plan) follow, with both horizons named, since they may cover different years.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netplan.io.run_dir import RunData
from netplan.io.tables import records_to_csv

INPUT_COLUMNS = ("part", "field", "a", "b")
LINK_COLUMNS = ("link", "plane", "capacity_gbps_a", "capacity_gbps_b", "worst_utilisation_a",
                "worst_utilisation_b", "change", "cause_failure_a", "cause_failure_b")
PURCHASE_COLUMNS = ("item", "id", "year", "change", "a", "b", "capex_cny_a", "capex_cny_b")
COST_COLUMNS = ("figure", "year", "a_cny", "b_cny", "b_minus_a_cny")
# Per-year figures of a plan's costs object (``per_year`` keys) and what each row says.
YEAR_FIGURES = {
    "capex_cny": "capex of the purchases (CNY)",
    "added_opex_cny": "opex the purchases add (CNY/yr)",
    "existing_opex_cny": "opex of the network as it stands (CNY/yr)",
}


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to leaf values; list items of records with an ``id`` are keyed by it.

    Examples
    --------
    >>> flatten({"a": {"b": 1}, "services": [{"id": "oa", "rate": 2}], "h": [1, 2]})
    {'a.b': 1, 'services[oa].rate': 2, 'h': [1, 2]}
    """
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out |= flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list) and data and all(isinstance(x, dict) and "id" in x for x in data):
        for item in data:
            rest = {k: v for k, v in item.items() if k != "id"}
            out |= flatten(rest, f"{prefix}[{item['id']}]")
    else:
        out[prefix] = data
    return out


def _diff(part: str, a: dict, b: dict) -> list[dict]:
    fa, fb = flatten(a), flatten(b)
    rows = []
    for key in sorted(set(fa) | set(fb)):
        va, vb = fa.get(key, "(absent)"), fb.get(key, "(absent)")
        if va != vb:
            rows.append({"part": part, "field": key, "a": _show(va), "b": _show(vb)})
    return rows


def _show(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


@dataclass(frozen=True)
class Comparison:
    """Differences between run A and run B."""

    a: str
    b: str
    inputs: tuple[dict, ...]
    links: tuple[dict, ...]
    purchases: tuple[dict, ...]
    costs: tuple[dict, ...]

    def save(self, directory: str | os.PathLike, lang: str = "zh") -> list[Path]:
        """Write ``compare.html`` and the CSV tables."""
        from netplan.io.atomic import write_text_atomic

        directory = Path(directory)
        return [
            write_text_atomic(directory / "inputs_diff.csv",
                              records_to_csv(list(self.inputs), INPUT_COLUMNS, digits=6)),
            write_text_atomic(directory / "worst_case_diff.csv",
                              records_to_csv(list(self.links), LINK_COLUMNS, digits=6)),
            write_text_atomic(directory / "purchases_diff.csv",
                              records_to_csv(list(self.purchases), PURCHASE_COLUMNS)),
            write_text_atomic(directory / "costs_diff.csv",
                              records_to_csv(list(self.costs), COST_COLUMNS)),
            write_text_atomic(directory / "compare.html", self.to_html(lang)),
        ]

    def to_html(self, lang: str = "zh") -> str:
        """The comparison as an offline HTML page."""
        import plotly.graph_objects as go

        from netplan.report.html import Section, Table, plain_text, render_page

        changed = [r for r in self.links if r["change"] != 0][:30]
        fig = go.Figure(go.Bar(
            x=[r["change"] for r in changed][::-1],
            y=[plain_text(f"{r['link']} ({r['plane']})") for r in changed][::-1],
            orientation="h", marker_color=["#e45756" if r["change"] > 0 else "#54a24b"
                                           for r in changed][::-1],
            hovertemplate="%{y}: %{x:+.1%}<extra></extra>",
        ))
        fig.update_layout(title="Worst utilisation, B − A", xaxis_tickformat="+.0%",
                          template="plotly_white", height=max(320, 20 * len(changed) + 120))
        sections = [
            Section("Inputs", f"A: {self.a}\n\nB: {self.b}", (), [Table(list(self.inputs))]),
            Section("Worst utilisation", (), [fig], [Table(changed, LINK_COLUMNS,
                                                           formats={"change": "+.1%"})]),
            Section("Purchases", (), (), [Table(list(self.purchases), PURCHASE_COLUMNS)]),
            Section("Costs (CNY, estimates)",
                    "Per year where the run plans that year (— where it does not), then "
                    "totals over each run's own horizon.", (),
                    [Table(list(self.costs), COST_COLUMNS)]),
        ]
        return render_page("netplan — comparison of two runs", sections, lang,
                           subtitle=f"A: {self.a} · B: {self.b}")


def compare_runs(a: RunData, b: RunData) -> Comparison:
    """Compare two runs written by ``egov-netplan plan``.

    Examples
    --------
    A run compared with itself changes nothing (``tests/test_plan_pipeline.py`` runs this):

    >>> import netplan
    >>> a = netplan.load_run("out/plan-baseline")  # doctest: +SKIP
    >>> c = compare_runs(a, a)  # doctest: +SKIP
    >>> c.inputs, [r for r in c.links if r["change"]]  # doctest: +SKIP
    ((), [])
    """
    inputs = _diff("scenario", a.results["scenario"], b.results["scenario"])
    topo_a = {k: a.results["topology"][k] for k in ("nodes", "links", "data_centres", "tiers")}
    topo_b = {k: b.results["topology"][k] for k in ("nodes", "links", "data_centres", "tiers")}
    inputs += _diff("topology", topo_a, topo_b)
    fp_a, fp_b = a.inputs["fingerprint"], b.inputs["fingerprint"]
    if fp_a["run"] != fp_b["run"]:
        inputs.append({"part": "fingerprint", "field": "run", "a": fp_a["run"], "b": fp_b["run"]})

    worst_a = {(r["plane"], r["link"]): r for r in a.results["analysis"]["worst_case"]}
    worst_b = {(r["plane"], r["link"]): r for r in b.results["analysis"]["worst_case"]}
    links = []
    for key in sorted(set(worst_a) | set(worst_b)):
        ra, rb = worst_a.get(key, {}), worst_b.get(key, {})
        ua, ub = ra.get("worst_utilisation", 0.0), rb.get("worst_utilisation", 0.0)
        links.append({
            "link": key[1], "plane": key[0],
            "capacity_gbps_a": ra.get("capacity_gbps", ""), "capacity_gbps_b": rb.get("capacity_gbps", ""),
            "worst_utilisation_a": ua, "worst_utilisation_b": ub, "change": ub - ua,
            "cause_failure_a": ra.get("cause_failure", ""), "cause_failure_b": rb.get("cause_failure", ""),
        })
    links.sort(key=lambda r: -abs(r["change"]))

    def bought(run: RunData) -> dict[tuple[str, str, int], dict]:
        return {(r["item"], r["id"], r["year"]): r for r in run.results["plan"]["rows"]
                if r["purchase"]}

    def what(row: dict) -> str:
        if row["item"] == "data_centre":
            return f"+{row['racks_added']} racks"
        bought = row.get("modules_bought")
        if bought is None:
            return f"{row['modules']}×{row['tier']}"
        return f"+{bought}×{row['tier']} ({row['modules']} installed)"

    pa, pb = bought(a), bought(b)
    purchases = []
    for key in sorted(set(pa) | set(pb), key=lambda k: (k[2], k[0], k[1])):
        ra, rb = pa.get(key), pb.get(key)
        if ra and rb and what(ra) == what(rb):
            continue
        change = "only in B" if ra is None else "only in A" if rb is None else "different"
        purchases.append({
            "item": key[0], "id": key[1], "year": key[2], "change": change,
            "a": what(ra) if ra else "", "b": what(rb) if rb else "",
            "capex_cny_a": _bought_capex(ra, key[2], a),
            "capex_cny_b": _bought_capex(rb, key[2], b),
        })
    costs = cost_rows(a.results["plan"], b.results["plan"])
    return Comparison(
        a=f"{a.inputs['scenario_name']} ({fp_a['run'][:12]})",
        b=f"{b.inputs['scenario_name']} ({fp_b['run'][:12]})",
        inputs=tuple(inputs), links=tuple(links), purchases=tuple(purchases), costs=tuple(costs),
    )


def _bought_capex(row: dict | None, year: int, run: RunData) -> float | None:
    """A purchase's capex in one run: 0 if the run plans the year without it, else absent."""
    if row is not None:
        return row["capex_cny"]
    return 0.0 if year in run.results["plan"]["years"] else None


def cost_rows(plan_a: dict, plan_b: dict) -> list[dict]:
    """Two plans' costs side by side: per year where each plans it, then horizon totals.

    Parameters
    ----------
    plan_a, plan_b : dict
        The ``plan`` part of two runs' results (``years`` and the costs object ``costs``).

    Returns
    -------
    list of dict
        Rows of :data:`COST_COLUMNS`: ``figure`` (what the row holds), ``year`` (a year, or
        both horizons for the totals), ``a_cny``, ``b_cny`` and ``b_minus_a_cny``; a run
        that does not plan a year has ``None`` there (absent, not 0), and so does the
        difference.

    Examples
    --------
    >>> def plan(years, capex):
    ...     per_year = {str(y): {"capex_cny": c, "added_opex_cny": 1.0,
    ...                          "existing_opex_cny": 5.0} for y, c in zip(years, capex)}
    ...     costs = {"per_year": per_year,
    ...              "purchases": {"capex_total_cny": sum(capex), "discounted_total_cny": 9.0},
    ...              "existing_network": {"discounted_total_cny": 5.0},
    ...              "plan_discounted_total_cny": 14.0}
    ...     return {"years": years, "costs": costs}
    >>> rows = cost_rows(plan([2026], [10.0]), plan([2026, 2027], [10.0, 30.0]))
    >>> [(r["year"], r["a_cny"], r["b_cny"], r["b_minus_a_cny"]) for r in rows[:4:3]]
    [(2026, 10.0, 10.0, 0.0), (2027, None, 30.0, None)]
    >>> rows[6]["figure"], rows[6]["year"], rows[6]["b_minus_a_cny"]
    ('capex of the purchases, all years of the horizon (CNY)', 'A: 2026; B: 2026–2027', 30.0)
    """
    ya, yb = plan_a["costs"]["per_year"], plan_b["costs"]["per_year"]
    rows = []
    for year in sorted(set(ya) | set(yb), key=int):
        for key, figure in YEAR_FIGURES.items():
            va = ya[year][key] if year in ya else None
            vb = yb[year][key] if year in yb else None
            rows.append(_cost_row(figure, int(year), va, vb))
    horizons = f"A: {_horizon(plan_a['years'])}; B: {_horizon(plan_b['years'])}"
    totals = {
        "capex of the purchases, all years of the horizon (CNY)":
            lambda c: c["purchases"]["capex_total_cny"],
        "purchases: capex + added opex, discounted over the horizon (CNY)":
            lambda c: c["purchases"]["discounted_total_cny"],
        "network as it stands: opex, discounted over the horizon (CNY)":
            lambda c: c["existing_network"]["discounted_total_cny"],
        "plan total (purchases + network as it stands), discounted (CNY)":
            lambda c: c["plan_discounted_total_cny"],
    }
    for figure, pick in totals.items():
        rows.append(_cost_row(figure, horizons, pick(plan_a["costs"]), pick(plan_b["costs"])))
    return rows


def _cost_row(figure: str, year, a_cny: float | None, b_cny: float | None) -> dict:
    diff = None if a_cny is None or b_cny is None else round(b_cny - a_cny, 2)
    return {"figure": figure, "year": year, "a_cny": a_cny, "b_cny": b_cny,
            "b_minus_a_cny": diff}


def _horizon(years) -> str:
    years = [int(y) for y in years]
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
