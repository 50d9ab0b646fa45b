"""Distributions across a batch's variants: exceedance probabilities, quantiles, robust capacity.

The array functions are pure (numpy in, numpy out) so they can be checked by hand; the
``*_rows`` functions label them for CSV; the figure functions return
``plotly.graph_objects.Figure`` objects and do no I/O; :func:`write_summary` writes
``summary.csv``, ``robust_capacity.csv`` (stages with per-link loads), ``cost_quantiles.csv``,
``planned_capacity.csv`` (stages that plan: ``optimize``, ``plan``), ``metrics_summary.csv``
and ``summary.html``.

Quantile conventions
--------------------
Distribution quantiles (p5, p50, p95) interpolate linearly between order statistics
(numpy's default, Hyndman & Fan type 7). Robust capacity uses the inverted empirical CDF
(type 1): the smallest required capacity that at least a fraction *q* of the variants do
not exceed, so it "holds in a fraction q of draws" exactly. The robust *planned* capacity
applies the same rule to the capacity each variant's least-cost plan installs. Cost
percentiles interpolate linearly, like the other distribution quantiles.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from netplan.batch.stages import COST_NOTE, link_planes
from netplan.io.tables import records_to_csv

log = logging.getLogger(__name__)

QUANTILES: tuple[float, ...] = (0.05, 0.5, 0.95)
ROBUST_Q = 0.9
_TOL = 1e-12

COST_METRICS: dict[str, str] = {
    "total_cost_cny": "discounted total cost of the plan (the optimizer's objective)",
    "capex_cny": "capital spending over the horizon, undiscounted",
    "opex_cny": "running cost over the horizon, undiscounted",
}
"""The plan's cost metrics summarised across variants, with what each one means."""

# Capacities within this many Gbit/s of the installed one count as not upgraded.
_UPGRADE_TOL_GBPS = 1e-9


# ---------------------------------------------------------------------- array functions
def exceedance(
    normal_util: np.ndarray, failure_util: np.ndarray, target_normal, target_failure
) -> tuple[np.ndarray, np.ndarray]:
    """Probability, over variants, that a link is over target; and the variants counted.

    Parameters
    ----------
    normal_util, failure_util : ndarray, shape (variant, ...)
        Utilisation without failures and in the worst failure state; NaN where the
        variant has no value (link removed, year beyond its horizon).
    target_normal, target_failure : float or array of shape (variant,)
        Each variant's targets.

    Returns
    -------
    probability, count : ndarray, shape (...)
        ``probability`` is NaN where no variant has a value.

    Examples
    --------
    >>> n = np.array([[0.5], [0.8], [0.6], [np.nan]])
    >>> f = np.array([[0.7], [0.85], [0.95], [0.5]])
    >>> p, c = exceedance(n, f, 0.7, 0.9)
    >>> p.tolist(), c.tolist()
    ([0.6666666666666666], [3])
    """
    normal_util = np.asarray(normal_util, dtype=float)
    failure_util = np.asarray(failure_util, dtype=float)
    shape = (-1,) + (1,) * (normal_util.ndim - 1)
    tn = np.reshape(np.broadcast_to(np.asarray(target_normal, float), normal_util.shape[:1]), shape)
    tf = np.reshape(
        np.broadcast_to(np.asarray(target_failure, float), normal_util.shape[:1]), shape
    )
    valid = np.isfinite(normal_util) & np.isfinite(failure_util)
    over = valid & ((normal_util > tn + _TOL) | (failure_util > tf + _TOL))
    count = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        probability = np.where(count > 0, over.sum(axis=0) / np.maximum(count, 1), np.nan)
    return probability, count


def quantiles(values: np.ndarray, qs: Sequence[float] = QUANTILES) -> np.ndarray:
    """Linear-interpolation quantiles over axis 0, ignoring NaN: shape ``(len(qs), ...)``.

    Examples
    --------
    >>> quantiles(np.array([[1.0], [2.0], [3.0], [4.0], [np.nan]]), (0.05, 0.5, 0.95)).ravel()
    array([1.15, 2.5 , 3.85])
    """
    values = np.asarray(values, dtype=float)
    out = np.full((len(qs), *values.shape[1:]), np.nan)
    has = np.isfinite(values).any(axis=0)
    if has.any():
        out[:, has] = np.nanquantile(values[:, has], qs, axis=0)
    return out


def required_capacity(
    normal_load_gbps: np.ndarray, failure_load_gbps: np.ndarray, target_normal, target_failure
) -> np.ndarray:
    """Capacity each variant needs on each link: worst load / target, for both states.

    ``max(normal load / max_utilisation_normal, failure load / max_utilisation_failure)``.

    Examples
    --------
    >>> required_capacity(np.array([[7.0]]), np.array([[8.1]]), 0.7, 0.9).tolist()
    [[10.0]]
    """
    normal = np.asarray(normal_load_gbps, dtype=float)
    failure = np.asarray(failure_load_gbps, dtype=float)
    shape = (-1,) + (1,) * (normal.ndim - 1)
    tn = np.reshape(np.broadcast_to(np.asarray(target_normal, float), normal.shape[:1]), shape)
    tf = np.reshape(np.broadcast_to(np.asarray(target_failure, float), normal.shape[:1]), shape)
    return np.fmax(normal / tn, failure / tf) * np.where(
        np.isfinite(normal) & np.isfinite(failure), 1.0, np.nan
    )


def robust_quantile(values: np.ndarray, q: float = ROBUST_Q) -> np.ndarray:
    """The smallest value that at least a fraction ``q`` of the variants do not exceed.

    Over axis 0, ignoring NaN: with *n* values sorted, the ``ceil(q·n)``-th one.

    Examples
    --------
    >>> robust_quantile(np.array([5.0, 1.0, 4.0, 2.0, 3.0]), 0.9)
    array(5.)
    >>> robust_quantile(np.array([5.0, 1.0, 4.0, 2.0, 3.0]), 0.8)
    array(4.)
    """
    if not 0 < q <= 1:
        raise ValueError(f"q must lie in (0, 1], got {q}")
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape[1:], np.nan)
    has = np.isfinite(values).any(axis=0)
    if np.ndim(has) == 0:
        return np.asarray(np.nanquantile(values, q, method="inverted_cdf")) if has else out
    if has.any():
        out[has] = np.nanquantile(values[:, has], q, axis=0, method="inverted_cdf")
    return out


def upgrade_probability(
    planned_gbps: np.ndarray, installed_gbps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Probability, over variants, that a link's planned capacity exceeds the installed one.

    Parameters
    ----------
    planned_gbps : ndarray, shape (variant, link, ...)
        Capacity each variant's plan installs (NaN where the variant has no value).
    installed_gbps : ndarray, shape (variant, link)
        Capacity installed before the plan, per variant.

    Returns
    -------
    probability, count : ndarray, shape (link, ...)
        ``probability`` is NaN where no variant has a value. Plans never shrink a link, so
        with a year axis this is the probability that the link is upgraded by that year.

    Examples
    --------
    >>> planned = np.array([[[1.0, 2.5]], [[1.0, 1.0]], [[2.0, 2.0]], [[np.nan, np.nan]]])
    >>> installed = np.array([[1.0], [1.0], [1.0], [np.nan]])
    >>> p, c = upgrade_probability(planned, installed)
    >>> p.tolist(), c.tolist()
    ([[0.3333333333333333, 0.6666666666666666]], [[3, 3]])
    """
    planned = np.asarray(planned_gbps, dtype=float)
    installed = np.asarray(installed_gbps, dtype=float)
    installed = np.reshape(installed, installed.shape + (1,) * (planned.ndim - installed.ndim))
    valid = np.isfinite(planned) & np.isfinite(installed)
    upgraded = valid & (planned > installed + _UPGRADE_TOL_GBPS)
    count = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        probability = np.where(count > 0, upgraded.sum(axis=0) / np.maximum(count, 1), np.nan)
    return probability, count


# ---------------------------------------------------------------------- labelled rows
def _targets(result) -> tuple[np.ndarray, np.ndarray]:
    ids = result.array("normal_utilisation").labels[0]
    tn = np.array([result.outcomes[i].metrics["max_utilisation_normal"] for i in ids], float)
    tf = np.array([result.outcomes[i].metrics["max_utilisation_failure"] for i in ids], float)
    return tn, tf


def has_link_arrays(result) -> bool:
    """True when the batch's stage reported per-link, per-year utilisation (``analyze``)."""
    return any("normal_utilisation" in result.outcomes[i].arrays for i in result.ok_ids)


def link_year_summary(result, qs: Sequence[float] = QUANTILES) -> list[dict[str, Any]]:
    """Per link and year: variants counted, probability over target, worst-utilisation quantiles.

    Rows are sorted by year, then by descending probability and median.
    """
    normal = result.array("normal_utilisation")
    failure = result.array("failure_utilisation")
    worst = result.array("worst_utilisation")
    tn, tf = _targets(result)
    probability, count = exceedance(normal.values, failure.values, tn, tf)
    qv = quantiles(worst.values, qs)
    with np.errstate(invalid="ignore"):
        mean = (
            np.nanmean(np.where(np.isfinite(worst.values), worst.values, np.nan), axis=0)
            if np.isfinite(worst.values).any()
            else np.full(worst.values.shape[1:], np.nan)
        )
    planes = link_planes(result.batch.topology)
    links, years = worst.labels[1], worst.labels[2]
    rows = []
    for yi, year in enumerate(years):
        for li, link in enumerate(links):
            if count[li, yi] == 0:
                continue
            row = {
                "link": link,
                "plane": planes.get(link, ""),
                "year": year,
                "variants": int(count[li, yi]),
                "p_over_target": float(probability[li, yi]),
                "mean_worst_utilisation": float(mean[li, yi]),
            }
            for k, q in enumerate(qs):
                row[f"p{_pct(q)}_worst_utilisation"] = float(qv[k, li, yi])
            rows.append(row)
    median_key = f"p{_pct(0.5)}_worst_utilisation" if 0.5 in qs else "mean_worst_utilisation"
    rows.sort(key=lambda r: (r["year"], -r["p_over_target"], -r[median_key], r["link"]))
    return rows


def robust_capacity_rows(result, q: float = ROBUST_Q) -> list[dict[str, Any]]:
    """Per link and year: the capacity that holds in a fraction ``q`` of the variants."""
    normal = result.array("normal_load_gbps")
    failure = result.array("failure_load_gbps")
    installed = result.array("capacity_gbps")
    tn, tf = _targets(result)
    need = required_capacity(normal.values, failure.values, tn, tf)
    robust = robust_quantile(need, q)
    planes = link_planes(result.batch.topology)
    cap_by_link = dict(zip(installed.labels[1], np.nanmax(installed.values, axis=0), strict=True))
    counted = np.isfinite(need).sum(axis=0)
    rows = []
    for yi, year in enumerate(normal.labels[2]):
        for li, link in enumerate(normal.labels[1]):
            if counted[li, yi] == 0:
                continue
            cap = float(cap_by_link.get(link, np.nan))
            value = float(robust[li, yi])
            rows.append(
                {
                    "link": link,
                    "plane": planes.get(link, ""),
                    "year": year,
                    "q": q,
                    "variants": int(counted[li, yi]),
                    "installed_gbps": cap,
                    "robust_capacity_gbps": value,
                    "shortfall_gbps": max(0.0, value - cap) if math.isfinite(cap) else None,
                }
            )
    rows.sort(key=lambda r: (r["year"], -(r["shortfall_gbps"] or 0.0), r["link"]))
    return rows


def metric_quantiles(
    records: list[dict[str, Any]], qs: Sequence[float] = QUANTILES, skip: Sequence[str] = ("seed",)
) -> list[dict[str, Any]]:
    """For every numeric column of the successful variants: count, mean and quantiles.

    Parameter columns are included (their spread across the draws); so are costs
    (``*_cny``) once a stage reports them.

    Examples
    --------
    >>> rows = metric_quantiles([{"status": "ok", "cost_cny": float(c)} for c in range(1, 6)])
    >>> rows[0]["column"], rows[0]["p50"], rows[0]["p95"]
    ('cost_cny', 3.0, 4.8)
    """
    ok = [r for r in records if r.get("status") == "ok"]
    columns: dict[str, None] = {}
    for row in ok:
        for key, value in row.items():
            if key not in skip and isinstance(value, int | float) and not isinstance(value, bool):
                columns.setdefault(key, None)
    out = []
    for column in columns:
        values = np.array(
            [
                r[column]
                for r in ok
                if isinstance(r.get(column), int | float) and not isinstance(r.get(column), bool)
            ],
            dtype=float,
        )
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        row = {
            "column": column,
            "variants": int(values.size),
            "mean": float(values.mean()),
            "min": float(values.min()),
            "max": float(values.max()),
        }
        for q, v in zip(qs, np.quantile(values, qs), strict=True):
            row[f"p{_pct(q)}"] = float(v)
        out.append(row)
    return out


def has_plan_arrays(result) -> bool:
    """True when the batch's stage planned capacity (``optimize``, ``plan``)."""
    return any("planned_capacity_gbps" in result.outcomes[i].arrays for i in result.ok_ids)


def cost_quantile_rows(
    records: list[dict[str, Any]], qs: Sequence[float] = QUANTILES
) -> list[dict[str, Any]]:
    """Percentiles of the plan's costs across the successful variants (all estimates).

    One row per cost metric of :data:`COST_METRICS` that the variants report: how many
    variants, how many of their plans are infeasible (their cost is that of the plan the
    targets force, which breaks the budget or a capacity ceiling), mean, min, the quantiles
    (linear interpolation) and max, in CNY.

    Examples
    --------
    >>> recs = [{"status": "ok", "plan_status": "optimal", "total_cost_cny": float(c)}
    ...         for c in (10, 20, 30, 40, 50)]
    >>> row = cost_quantile_rows(recs)[0]
    >>> row["cost"], row["p50_cny"], row["p95_cny"], row["estimate"]
    ('total_cost_cny', 30.0, 48.0, True)
    """
    ok = [r for r in records if r.get("status") == "ok"]
    out = []
    for column, meaning in COST_METRICS.items():
        values = np.array(
            [
                r[column]
                for r in ok
                if isinstance(r.get(column), int | float) and not isinstance(r.get(column), bool)
            ],
            dtype=float,
        )
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        row: dict[str, Any] = {
            "cost": column,
            "meaning": meaning,
            "variants": int(values.size),
            "infeasible_plans": sum(
                r.get("plan_status") == "infeasible" and r.get(column) is not None for r in ok
            ),
            "mean_cny": float(values.mean()),
            "min_cny": float(values.min()),
        }
        for q, v in zip(qs, np.quantile(values, qs), strict=True):
            row[f"p{_pct(q)}_cny"] = float(v)
        row["max_cny"] = float(values.max())
        row["estimate"] = True
        row["note"] = COST_NOTE
        out.append(row)
    return out


def planned_capacity_rows(result, q: float = ROBUST_Q) -> list[dict[str, Any]]:
    """Per link and year: P(upgraded by then) and the planned capacity that holds in q of draws.

    ``robust_planned_gbps`` is the ``ceil(q·n)``-th smallest capacity the variants' plans
    install (:func:`robust_quantile`): buying it covers the plan of a fraction *q* of the
    draws. ``added_gbps`` is how much that is above the installed capacity.
    """
    planned = result.array("planned_capacity_gbps")
    installed = result.array("capacity_gbps")
    links = planned.labels[1]
    positions = [installed.labels[1].index(link) for link in links]
    inst = installed.values[:, positions]  # same variants, aligned to the planned links
    probability, count = upgrade_probability(planned.values, inst)
    robust = robust_quantile(planned.values, q)
    median = quantiles(planned.values, (0.5,))[0]
    with np.errstate(invalid="ignore"):
        cap_by_link = np.nanmax(np.where(np.isfinite(inst), inst, -np.inf), axis=0)
    planes = link_planes(result.batch.topology)
    rows = []
    for yi, year in enumerate(planned.labels[2]):
        for li, link in enumerate(links):
            if count[li, yi] == 0:
                continue
            cap = float(cap_by_link[li])
            value = float(robust[li, yi])
            rows.append(
                {
                    "link": link,
                    "plane": planes.get(link, ""),
                    "year": year,
                    "q": q,
                    "variants": int(count[li, yi]),
                    "installed_gbps": cap,
                    "p_upgraded": float(probability[li, yi]),
                    "p50_planned_gbps": float(median[li, yi]),
                    "robust_planned_gbps": value,
                    "added_gbps": max(0.0, value - cap),
                }
            )
    rows.sort(key=lambda r: (r["year"], -r["p_upgraded"], -r["added_gbps"], r["link"]))
    return rows


def _pct(q: float) -> str:
    text = f"{q * 100:g}"
    return text.replace(".", "_")


# ---------------------------------------------------------------------- figures
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

    if year is None:
        year = max((row["year"] for row in rows), default=None)
    chosen = [row for row in rows if row["year"] == year]
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

    if year is None:
        year = max((row["year"] for row in rows), default=None)
    chosen = [row for row in rows if row["year"] == year]
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

    values = np.array(
        [
            r[column]
            for r in records
            if r.get("status") == "ok"
            and isinstance(r.get(column), int | float)
            and not isinstance(r.get(column), bool)
        ],
        dtype=float,
    )
    values = values[np.isfinite(values)] / 1e6
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
                annotation_text=f"p{_pct(q)}",
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

    if year is None:
        year = max((row["year"] for row in rows), default=None)
    chosen = [row for row in rows if row["year"] == year]
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


# ---------------------------------------------------------------------- files
def summary_page(
    result,
    link_rows: list[dict] | None,
    robust_rows: list[dict] | None,
    metric_rows: list[dict],
    lang: str = "en",
    cost_rows: list[dict] | None = None,
    plan_rows: list[dict] | None = None,
) -> str:
    """The batch summary as one offline HTML page (plotly.js embedded, names escaped)."""
    from netplan.report.html import Section, Table, render_page

    records = result.records()
    batch = result.batch
    parameters = [k for k in (batch.targets or {})]
    if batch.definition.monte_carlo is not None and batch.definition.monte_carlo.link_failures:
        parameters.append("removed_links")
    failed = result.failed
    intro = [
        f"{len(result.variants)} variants of scenario "
        f"{batch.scenario.name if batch.scenario else 'list'} on {batch.topology.name}; "
        f"stage {batch.stage}; batch seed {batch.seed}.",
        f"{len(result.ok_ids)} finished, {len(failed)} failed.",
    ]
    sections = [
        Section(
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
    ]
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
        sections.append(
            Section(
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
        )
    numeric = [r["column"] for r in metric_rows]
    if cost_rows:
        cost_figures = [cost_histogram(records, r["cost"]) for r in cost_rows]
        cost_figures += [
            parameter_scatter(records, parameter, "total_cost_cny")
            for parameter in parameters
            if parameter in numeric
        ]
        infeasible = sum(r.get("plan_status") == "infeasible" for r in records)
        sections.append(
            Section(
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
                        columns=[
                            c for c in cost_rows[0] if c not in ("meaning", "estimate", "note")
                        ],
                        caption="Cost percentiles, CNY (estimates; see cost_quantiles.csv)",
                    )
                ],
            )
        )
    if plan_rows:
        last = max(r["year"] for r in plan_rows)
        sections.append(
            Section(
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
        )
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
    sections.append(
        Section(
            "Metrics across variants (指标分布)",
            "Mean and quantiles of every numeric column.",
            figures=figures,
            tables=[Table(metric_rows)],
        )
    )
    fingerprint = _batch_fingerprint(result)
    return render_page(
        f"Batch {batch.name}", sections, lang, fingerprint, subtitle=batch.definition.title or ""
    )


def _batch_fingerprint(result) -> str:
    import hashlib

    joined = "".join(result.fingerprints[v.id] for v in result.variants)
    return hashlib.sha256(joined.encode()).hexdigest()


def write_summary(
    result, directory: str | os.PathLike, q: float = ROBUST_Q, lang: str = "en"
) -> list[Path]:
    """Write the batch summaries into ``directory``; returns the paths written."""
    from netplan.io.atomic import write_text_atomic

    directory = Path(directory)
    written = []
    link_rows = robust_rows = None
    if has_link_arrays(result):
        link_rows = link_year_summary(result)
        robust_rows = robust_capacity_rows(result, q)
        written.append(write_text_atomic(directory / "summary.csv", records_to_csv(link_rows)))
        written.append(
            write_text_atomic(directory / "robust_capacity.csv", records_to_csv(robust_rows))
        )
    records = result.records()
    cost_rows = plan_rows = None
    if has_plan_arrays(result):
        cost_rows = cost_quantile_rows(records)
        plan_rows = planned_capacity_rows(result, q)
        written.append(
            write_text_atomic(directory / "cost_quantiles.csv", records_to_csv(cost_rows))
        )
        written.append(
            write_text_atomic(directory / "planned_capacity.csv", records_to_csv(plan_rows))
        )
    metric_rows = metric_quantiles(records)
    written.append(
        write_text_atomic(directory / "metrics_summary.csv", records_to_csv(metric_rows))
    )
    written.append(
        write_text_atomic(
            directory / "summary.html",
            summary_page(result, link_rows, robust_rows, metric_rows, lang, cost_rows, plan_rows),
        )
    )
    return written
