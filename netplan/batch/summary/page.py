"""The batch summary as one offline HTML page: sections, figures and tables across variants."""

from __future__ import annotations

import hashlib

from netplan.batch.summary.figures import (
    cost_histogram,
    exceedance_figure,
    metric_histogram,
    parameter_scatter,
    planned_capacity_figure,
    robust_capacity_figure,
    upgrade_probability_figure,
    utilisation_band_figure,
)
from netplan.batch.summary.rows import COST_METRICS
from netplan.report.html import Section, Table, render_page


def summary_page(
    result,
    link_rows: list[dict] | None,
    robust_rows: list[dict] | None,
    metric_rows: list[dict],
    lang: str = "en",
    cost_rows: list[dict] | None = None,
    plan_rows: list[dict] | None = None,
) -> str:
    """The batch summary as one offline HTML page (plotly.js embedded, names escaped).

    Parameters
    ----------
    result : BatchResult
        The batch's results.
    link_rows, robust_rows : list of dict or None
        :func:`~netplan.batch.summary.rows.link_year_summary` and
        :func:`~netplan.batch.summary.rows.robust_capacity_rows` (stages with per-link loads).
    metric_rows : list of dict
        :func:`~netplan.batch.summary.rows.metric_quantiles` of the records.
    lang : str
        Language of the page's fixed texts.
    cost_rows, plan_rows : list of dict or None
        :func:`~netplan.batch.summary.rows.cost_quantile_rows` and
        :func:`~netplan.batch.summary.rows.planned_capacity_rows` (stages that plan).

    Returns
    -------
    str
        The HTML text.
    """
    records = result.records()
    batch = result.batch
    parameters = [k for k in (batch.targets or {})]
    if batch.definition.monte_carlo is not None and batch.definition.monte_carlo.link_failures:
        parameters.append("removed_links")
    sections = [_batch_section(result)]
    if link_rows:
        sections.append(
            Section(
                "Where links exceed their target (超目标概率)",
                "Share of variants in which each link's utilisation exceeds the scenario's target "
                "(normal state, or the worst failure of the policy), by year.",
                figures=[exceedance_figure(link_rows), utilisation_band_figure(link_rows)],
            )
        )
    if robust_rows:
        sections.append(_robust_section(robust_rows))
    numeric = [r["column"] for r in metric_rows]
    if cost_rows:
        sections.append(_cost_section(result, records, cost_rows, parameters, numeric))
    if plan_rows:
        sections.append(_plan_section(plan_rows))
    sections.append(_metrics_section(records, metric_rows, parameters, numeric, cost_rows))
    fingerprint = _batch_fingerprint(result)
    return render_page(
        f"Batch {batch.name}", sections, lang, fingerprint, subtitle=batch.definition.title or ""
    )


def _batch_section(result) -> Section:
    """What was run, and the variants that failed."""
    batch = result.batch
    failed = result.failed
    intro = [
        f"{len(result.variants)} variants of scenario "
        f"{batch.scenario.name if batch.scenario else 'list'} on {batch.topology.name}; "
        f"stage {batch.stage}; batch seed {batch.seed}.",
        f"{len(result.ok_ids)} finished, {len(failed)} failed.",
    ]
    return Section(
        "Batch (批量计算)",
        intro,
        tables=[
            Table(
                [{"variant": k, "error": v} for k, v in failed.items()],
                caption="Failed variants",
            )
        ]
        if failed
        else [],
    )


def _robust_section(robust_rows: list[dict]) -> Section:
    """Robust capacity per link against the installed one."""
    return Section(
        "Robust capacity (稳健容量)",
        "Capacity per link that holds in the chosen fraction of variants: worst load over "
        "target utilisation, at that quantile of the variants.",
        figures=[robust_capacity_figure(robust_rows)],
        tables=[
            Table(
                [r for r in robust_rows if (r["shortfall_gbps"] or 0) > 0][:50],
                caption="Links whose robust capacity exceeds the installed one (first 50)",
                formats={"year": "d"},
            )
        ],
    )


def _cost_section(
    result, records: list[dict], cost_rows: list[dict], parameters: list[str], numeric: list[str]
) -> Section:
    """The plans' cost across variants: histograms, scatters against parameters, percentiles."""
    cost_figures = [cost_histogram(records, r["cost"]) for r in cost_rows]
    cost_figures += [
        parameter_scatter(records, parameter, "purchases_cost_cny")
        for parameter in parameters
        if parameter in numeric
    ]
    infeasible = sum(r.get("plan_status") == "infeasible" for r in records)
    return Section(
        "Plan cost (规划费用, estimates)",
        [
            "Cost of each variant's least-cost plan: the discounted total (the "
            "optimizer's objective) and the undiscounted capital and running costs "
            "over the horizon; p5/p50/p95 interpolate linearly between variants.",
            "Every cost is an estimate: the tier and rack prices are estimates.",
            f"{infeasible} of {len(result.ok_ids)} plans are infeasible (a budget or "
            "capacity ceiling the targets break); their costs are those the targets "
            "force and are included.",
        ],
        figures=cost_figures,
        tables=[
            Table(
                cost_rows,
                columns=[c for c in cost_rows[0] if c not in ("meaning", "estimate", "note")],
                caption="Cost percentiles, CNY (estimates; see cost_quantiles.csv)",
            )
        ],
    )


def _plan_section(plan_rows: list[dict]) -> Section:
    """How often links are upgraded, and the robust plan against the installed capacity."""
    last = max(r["year"] for r in plan_rows)
    return Section(
        "Planned capacity (规划容量)",
        "How often each link is upgraded by each year, and the planned capacity that "
        "holds in the chosen fraction of variants (the robust plan) against the "
        "installed capacity.",
        figures=[upgrade_probability_figure(plan_rows), planned_capacity_figure(plan_rows)],
        tables=[
            Table(
                [r for r in plan_rows if r["year"] == last and r["added_gbps"] > 0][:50],
                caption=f"Links the robust plan upgrades by {last} (first 50)",
                formats={"year": "d", "p_upgraded": ".0%"},
            )
        ],
    )


def _metrics_section(
    records: list[dict],
    metric_rows: list[dict],
    parameters: list[str],
    numeric: list[str],
    cost_rows: list[dict] | None,
) -> Section:
    """Histograms of the main metrics, scatters against the parameters, the quantile table."""
    figures = []
    for column in numeric:
        if column in parameters or (cost_rows and column in COST_METRICS):
            continue
        if column.endswith(("_cny", "_blocking")) or column in (
            "max_worst_utilisation",
            "links_over_target",
            "total_busy_hour_gbps",
            "services_missing_target",
        ):
            figures.append(metric_histogram(records, column))
    for parameter in parameters:
        if parameter in numeric and "max_worst_utilisation" in numeric:
            figures.append(parameter_scatter(records, parameter, "max_worst_utilisation"))
    return Section(
        "Metrics across variants (指标分布)",
        "Mean and quantiles of every numeric column.",
        figures=figures,
        tables=[Table(metric_rows)],
    )


def _batch_fingerprint(result) -> str:
    joined = "".join(result.fingerprints[v.id] for v in result.variants)
    return hashlib.sha256(joined.encode()).hexdigest()
