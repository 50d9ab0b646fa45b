"""Distributions across a batch's variants: exceedance probabilities, quantiles, robust capacity.

- :mod:`netplan.batch.summary.stats` — pure array functions (numpy in, numpy out) that can be
  checked by hand;
- :mod:`netplan.batch.summary.rows` — the ``*_rows`` functions that label them for CSV;
- :mod:`netplan.batch.summary.figures` — ``plotly.graph_objects.Figure`` objects, no I/O;
- :mod:`netplan.batch.summary.page` — the offline HTML page;
- :mod:`netplan.batch.summary.files` — :func:`write_summary`, which writes ``summary.csv``,
  ``robust_capacity.csv`` (stages with per-link loads), ``cost_quantiles.csv``,
  ``planned_capacity.csv`` (stages that plan: ``optimize``, ``plan``),
  ``metrics_summary.csv`` and ``summary.html``.

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
from netplan.batch.summary.files import write_summary
from netplan.batch.summary.page import summary_page
from netplan.batch.summary.rows import (
    COST_METRICS,
    cost_quantile_rows,
    finite_values,
    has_link_arrays,
    has_plan_arrays,
    link_year_summary,
    metric_quantiles,
    planned_capacity_rows,
    robust_capacity_rows,
)
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

__all__ = [
    "COST_METRICS",
    "QUANTILES",
    "ROBUST_Q",
    "cost_histogram",
    "cost_quantile_rows",
    "exceedance",
    "exceedance_figure",
    "finite_values",
    "has_link_arrays",
    "has_plan_arrays",
    "link_year_summary",
    "metric_histogram",
    "metric_quantiles",
    "parameter_scatter",
    "percent_label",
    "planned_capacity_figure",
    "planned_capacity_rows",
    "quantiles",
    "required_capacity",
    "robust_capacity_figure",
    "robust_capacity_rows",
    "robust_quantile",
    "summary_page",
    "upgrade_probability",
    "upgrade_probability_figure",
    "utilisation_band_figure",
    "write_summary",
]
