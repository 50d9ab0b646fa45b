"""Figures of a batch summary: ``plotly.graph_objects.Figure`` objects, no I/O.

Each function takes rows of :mod:`netplan.batch.summary.rows` (or the batch's records) and
returns one figure; plotly is imported only when a figure is made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from netplan.batch.summary.rows import COST_METRICS, finite_values
from netplan.batch.summary.stats import QUANTILES, ROBUST_Q, percent_label


def _year_rows(rows: list[dict[str, Any]], year: int | None) -> tuple[int | None, list[dict]]:
    """The year to show (default: the last one in ``rows``) and the rows of that year."""
    if year is None:
        year = max((row["year"] for row in rows), default=None)
    return year, [row for row in rows if row["year"] == year]


def exceedance_figure(rows: list[dict[str, Any]], top: int = 30):
    """Heatmap: probability that each link is over target, by year (the ``top`` links).

    Examples
    --------
    >>> fig = exceedance_figure([{"link": "a", "year": 2026, "p_over_target": 0.25}])
    >>> [list(row) for row in fig.data[0].z]
    [[0.25]]
    """
    return _link_year_heatmap(
        rows,
        "p_over_target",
        top,
        title="Probability of exceeding the utilisation target (超目标概率)",
        colorscale="Reds",
        colorbar="P(over target)",
        hover="%{y} in %{x}: %{z:.0%} of variants over target<extra></extra>",
    )


def _link_year_heatmap(rows, key: str, top: int, *, title: str, colorscale: str,
                       colorbar: str, hover: str):
    """Heatmap of a probability ``key`` per link (rows, the ``top`` highest) and year."""
    import plotly.graph_objects as go

    best: dict[str, float] = {}
    for row in rows:
        best[row["link"]] = max(best.get(row["link"], 0.0), row[key])
    links = sorted(best, key=lambda k: (-best[k], k))[:top]
    years = sorted({row["year"] for row in rows})
    grid = {(row["link"], row["year"]): row[key] for row in rows}
    fig = go.Figure(
        go.Heatmap(
            z=[[grid.get((link, year)) for year in years] for link in links],
            x=[str(y) for y in years],
            y=links,
            zmin=0,
            zmax=1,
            colorscale=colorscale,
            colorbar={"title": colorbar},
            hovertemplate=hover,
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="year",
        yaxis={"autorange": "reversed", "title": "link"},
        height=max(320, 22 * len(links) + 140),
    )
    return fig


def utilisation_band_figure(rows: list[dict[str, Any]], year: int | None = None, top: int = 30):
    """Median worst utilisation per link with its p5-p95 band, for one year (default: last).

    Examples
    --------
    >>> r = {"link": "a", "year": 2026, "p5_worst_utilisation": 0.2,
    ...      "p50_worst_utilisation": 0.4, "p95_worst_utilisation": 0.9}
    >>> utilisation_band_figure([r]).data[0].error_x.array
    (0.5,)
    """
    import plotly.graph_objects as go

    year, chosen = _year_rows(rows, year)
    chosen.sort(key=lambda r: (-r["p50_worst_utilisation"], r["link"]))
    chosen = chosen[:top]
    fig = go.Figure(
        go.Scatter(
            x=[r["p50_worst_utilisation"] for r in chosen],
            y=[r["link"] for r in chosen],
            mode="markers",
            name="p50",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [r["p95_worst_utilisation"] - r["p50_worst_utilisation"] for r in chosen],
                "arrayminus": [
                    r["p50_worst_utilisation"] - r["p5_worst_utilisation"] for r in chosen
                ],
            },
            hovertemplate="%{y}: median %{x:.0%}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"Worst utilisation across variants, {year} (p5-p50-p95)",
        xaxis={"title": "worst utilisation", "tickformat": ".0%"},
        yaxis={"autorange": "reversed", "title": "link"},
        height=max(320, 22 * len(chosen) + 140),
    )
    return fig


def robust_capacity_figure(rows: list[dict[str, Any]], year: int | None = None, top: int = 30):
    """Installed against robust capacity per link, for one year (default: last).

    Examples
    --------
    >>> r = {"link": "a", "year": 2026, "installed_gbps": 10.0, "robust_capacity_gbps": 12.5,
    ...      "shortfall_gbps": 2.5, "q": 0.9}
    >>> [t.name for t in robust_capacity_figure([r]).data]
    ['installed', 'robust (q = 0.9)']
    """
    import plotly.graph_objects as go

    year, chosen = _year_rows(rows, year)
    chosen.sort(
        key=lambda r: (-(r["shortfall_gbps"] or 0.0), -r["robust_capacity_gbps"], r["link"])
    )
    chosen = chosen[:top]
    q = chosen[0]["q"] if chosen else ROBUST_Q
    links = [r["link"] for r in chosen]
    fig = go.Figure(
        [
            go.Bar(x=links, y=[r["installed_gbps"] for r in chosen], name="installed"),
            go.Bar(
                x=links, y=[r["robust_capacity_gbps"] for r in chosen], name=f"robust (q = {q:g})"
            ),
        ]
    )
    fig.update_layout(
        title=f"Capacity that holds in {q:.0%} of variants, {year} (稳健容量)",
        barmode="group",
        yaxis_title="Gbit/s",
        xaxis_title="link",
    )
    return fig


def metric_histogram(records: list[dict[str, Any]], column: str):
    """Histogram of one metric (or parameter) over the successful variants.

    Examples
    --------
    >>> fig = metric_histogram([{"status": "ok", "x": 1.0}, {"status": "ok", "x": 2.0}], "x")
    >>> list(fig.data[0].x)
    [1.0, 2.0]
    """
    import plotly.graph_objects as go

    values = [
        r[column]
        for r in records
        if r.get("status") == "ok" and isinstance(r.get(column), int | float)
    ]
    fig = go.Figure(go.Histogram(x=values, name=column))
    fig.update_layout(title=f"{column} across variants", xaxis_title=column, yaxis_title="variants")
    return fig


def parameter_scatter(records: list[dict[str, Any]], parameter: str, metric: str):
    """Scatter of a metric against a varied parameter (one point per successful variant).

    Examples
    --------
    >>> recs = [{"status": "ok", "variant": "v0", "g": 0.1, "m": 0.5}]
    >>> parameter_scatter(recs, "g", "m").data[0].text
    ('v0',)
    """
    import plotly.graph_objects as go

    ok = [
        r
        for r in records
        if r.get("status") == "ok" and r.get(parameter) is not None and r.get(metric) is not None
    ]
    fig = go.Figure(
        go.Scatter(
            x=[r[parameter] for r in ok],
            y=[r[metric] for r in ok],
            mode="markers",
            text=[r["variant"] for r in ok],
            hovertemplate="%{text}: %{x} → %{y}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{metric} against {parameter}", xaxis_title=parameter, yaxis_title=metric
    )
    return fig


def cost_histogram(records: list[dict[str, Any]], column: str = "total_cost_cny"):
    """Histogram of one plan cost over the successful variants, in million CNY, with P5/P50/P95.

    Examples
    --------
    >>> recs = [{"status": "ok", "total_cost_cny": c * 1e6} for c in (1.0, 2.0, 3.0)]
    >>> fig = cost_histogram(recs)
    >>> list(fig.data[0].x), [round(line["x0"], 2) for line in fig.layout.shapes]
    ([1.0, 2.0, 3.0], [1.1, 2.0, 2.9])
    """
    import plotly.graph_objects as go

    ok = [r for r in records if r.get("status") == "ok"]
    values = finite_values(ok, column) / 1e6
    fig = go.Figure(
        go.Histogram(
            x=values.tolist(),
            name=column,
            hovertemplate="%{x} million CNY: %{y} variants<extra></extra>",
        )
    )
    if values.size:
        for q, v in zip(QUANTILES, np.quantile(values, QUANTILES), strict=True):
            fig.add_vline(
                x=float(v),
                line_dash="dash",
                line_color="#444",
                annotation_text=f"p{percent_label(q)}",
                annotation_position="top",
            )
    fig.update_layout(
        title=f"{column} across variants, estimate ({COST_METRICS.get(column, column)})",
        xaxis_title="million CNY (estimate)",
        yaxis_title="variants",
        showlegend=False,
    )
    return fig


def upgrade_probability_figure(rows: list[dict[str, Any]], top: int = 30):
    """Heatmap: probability that each link is upgraded by each year (the ``top`` links).

    Examples
    --------
    >>> fig = upgrade_probability_figure([{"link": "a", "year": 2026, "p_upgraded": 0.5}])
    >>> [list(row) for row in fig.data[0].z]
    [[0.5]]
    """
    return _link_year_heatmap(
        rows,
        "p_upgraded",
        top,
        title="Probability that the plan upgrades a link by each year (扩容概率)",
        colorscale="Blues",
        colorbar="P(upgraded)",
        hover="%{y} by %{x}: upgraded in %{z:.0%} of variants<extra></extra>",
    )


def planned_capacity_figure(rows: list[dict[str, Any]], year: int | None = None, top: int = 30):
    """Installed, median planned and robust planned capacity per link, for one year.

    Examples
    --------
    >>> r = {"link": "a", "year": 2026, "installed_gbps": 1.0, "p50_planned_gbps": 2.0,
    ...      "robust_planned_gbps": 2.5, "added_gbps": 1.5, "p_upgraded": 0.8, "q": 0.9}
    >>> [t.name for t in planned_capacity_figure([r]).data]
    ['installed', 'median plan', 'robust plan (q = 0.9)']
    """
    import plotly.graph_objects as go

    year, chosen = _year_rows(rows, year)
    chosen.sort(key=lambda r: (-r["added_gbps"], -r["p_upgraded"], r["link"]))
    chosen = chosen[:top]
    q = chosen[0]["q"] if chosen else ROBUST_Q
    links = [r["link"] for r in chosen]
    fig = go.Figure(
        [
            go.Bar(x=links, y=[r["installed_gbps"] for r in chosen], name="installed"),
            go.Bar(x=links, y=[r["p50_planned_gbps"] for r in chosen], name="median plan"),
            go.Bar(
                x=links,
                y=[r["robust_planned_gbps"] for r in chosen],
                name=f"robust plan (q = {q:g})",
            ),
        ]
    )
    fig.update_layout(
        title=f"Planned capacity that holds in {q:.0%} of variants, {year} (稳健规划容量)",
        barmode="group",
        yaxis_title="Gbit/s",
        xaxis_title="link",
    )
    return fig

