"""Write a batch's summary files: the CSV tables and ``summary.html``."""

from __future__ import annotations

import os
from pathlib import Path

from netplan.batch.summary.page import summary_page
from netplan.batch.summary.rows import (
    cost_quantile_rows,
    has_link_arrays,
    has_plan_arrays,
    link_year_summary,
    metric_quantiles,
    planned_capacity_rows,
    robust_capacity_rows,
)
from netplan.batch.summary.stats import ROBUST_Q
from netplan.io.atomic import write_text_atomic
from netplan.io.tables import records_to_csv


def write_summary(
    result, directory: str | os.PathLike, q: float = ROBUST_Q, lang: str = "en"
) -> list[Path]:
    """Write the batch summaries into ``directory``; returns the paths written.

    Parameters
    ----------
    result : BatchResult
        The batch's results.
    directory : path
        Where the files go (the results store).
    q : float
        Fraction of variants the robust capacities hold in.
    lang : str
        Language of ``summary.html``.

    Returns
    -------
    list of Path
        ``summary.csv`` and ``robust_capacity.csv`` (stages with per-link loads),
        ``cost_quantiles.csv`` and ``planned_capacity.csv`` (stages that plan),
        ``metrics_summary.csv`` and ``summary.html``, in that order.
    """
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
