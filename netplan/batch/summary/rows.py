"""Batch summaries as labelled rows for CSV: per link and year, per metric, per plan cost.

Each ``*_rows`` function (and :func:`link_year_summary`, :func:`metric_quantiles`) takes a
:class:`~netplan.batch.result.BatchResult` or its records and labels the statistics of
:mod:`netplan.batch.summary.stats` with links, planes, years and columns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from netplan.batch.stages import COST_NOTE, link_planes
from netplan.batch.summary.stats import (
    QUANTILES,
    ROBUST_Q,
    exceedance,
    percent_label,
    quantiles,
    required_capacity,
    robust_quantile,
    upgrade_probability,
)

COST_METRICS: dict[str, str] = {
    "purchases_cost_cny": "what the purchases cost, discounted: capex and the opex they add",
    "capex_cny": "capital spending on the purchases over the horizon, undiscounted",
    "added_opex_cny": "opex the purchases add, each year's summed over the horizon, "
                      "undiscounted",
    "total_cost_cny": "discounted total of the plan including running the existing network "
                      "(the optimizer's objective)",
}
"""The plan's cost metrics summarised across variants, with what each one means."""


def finite_values(rows: list[dict[str, Any]], column: str) -> np.ndarray:
    """The finite numbers (booleans excluded) of ``column`` over ``rows``, as floats.

    Parameters
    ----------
    rows : list of dict
        Records; rows without a number in ``column`` are skipped.
    column : str

    Returns
    -------
    ndarray
        One value per row that has a finite number there, in row order.

    Examples
    --------
    >>> finite_values([{"x": 1}, {"x": True}, {"x": float("nan")}, {"x": 2.5}, {}], "x")
    array([1. , 2.5])
    """
    values = np.array(
        [
            r[column]
            for r in rows
            if isinstance(r.get(column), int | float) and not isinstance(r.get(column), bool)
        ],
        dtype=float,
    )
    return values[np.isfinite(values)]


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
                row[f"p{percent_label(q)}_worst_utilisation"] = float(qv[k, li, yi])
            rows.append(row)
    median_key = f"p{percent_label(0.5)}_worst_utilisation" if 0.5 in qs else "mean_worst_utilisation"
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
        values = finite_values(ok, column)
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
            row[f"p{percent_label(q)}"] = float(v)
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
        values = finite_values(ok, column)
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
            row[f"p{percent_label(q)}_cny"] = float(v)
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

