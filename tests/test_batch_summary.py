"""Summaries across variants, checked against hand-computed quantiles and probabilities."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from netplan.batch import SerialExecutor, build_batch, run
from netplan.batch.result import BatchResult
from netplan.batch.stages import LabelledArray
from netplan.batch.store import VariantOutcome
from netplan.batch.summary import (
    exceedance,
    link_year_summary,
    metric_quantiles,
    quantiles,
    required_capacity,
    robust_capacity_rows,
    robust_quantile,
    summary_page,
    write_summary,
)
from tests.conftest import SMALL

LINKS = ("c1-exit", "d1-c1")
YEARS = (2026, 2027)


def hand_result(
    normal_load, failure_load, capacity=(10.0, 10.0), t_normal=0.7, t_failure=0.9, title="hand-made"
) -> BatchResult:
    """A BatchResult whose arrays are given by hand: loads of shape [variant, link, year]."""
    normal_load = np.asarray(normal_load, dtype=float)
    failure_load = np.asarray(failure_load, dtype=float)
    n = normal_load.shape[0]
    batch = build_batch(
        {
            "name": "hand",
            "title": title,
            "scenario": str(SMALL / "scenario.yaml"),
            "stage": "analyze",
            "grid": {"scale.web": [float(i) for i in range(n)]},
        }
    )
    cap = np.asarray(capacity, dtype=float)
    outcomes = {}
    for i, v in enumerate(batch.variants()):
        labels = (LINKS, YEARS)
        nu = normal_load[i] / cap[:, None]
        fu = failure_load[i] / cap[:, None]
        arrays = {
            "normal_load_gbps": LabelledArray(normal_load[i], ("link", "year"), labels),
            "failure_load_gbps": LabelledArray(failure_load[i], ("link", "year"), labels),
            "normal_utilisation": LabelledArray(nu, ("link", "year"), labels),
            "failure_utilisation": LabelledArray(fu, ("link", "year"), labels),
            "worst_utilisation": LabelledArray(np.maximum(nu, fu), ("link", "year"), labels),
            "capacity_gbps": LabelledArray(cap, ("link",), (LINKS,)),
        }
        metrics = {
            "max_utilisation_normal": t_normal,
            "max_utilisation_failure": t_failure,
            "cost_cny": 100.0 * (i + 1),
        }
        outcomes[v.id] = VariantOutcome(v.id, "ok", "", metrics, arrays)
    prints = {v.id: f"fingerprint-{v.id}" for v in batch.variants()}
    return BatchResult(batch, batch.variants(), outcomes, prints)


def test_robust_capacity_is_the_hand_computed_order_statistic():
    # Ten variants; on c1-exit in 2027 the required capacity is max(n/0.7, f/0.9):
    # normal loads 0.7 * k and failure loads 0.9 * (11 - k) for k = 1..10.
    k = np.arange(1, 11, dtype=float)
    normal = np.zeros((10, 2, 2))
    failure = np.zeros((10, 2, 2))
    normal[:, 0, 1] = 0.7 * k
    failure[:, 0, 1] = 0.9 * (11 - k)
    need = np.maximum(k, 11 - k)  # 10, 9, 8, 7, 6, 6, 7, 8, 9, 10 Gbit/s
    ordered = sorted(need)  # 6, 6, 7, 7, 8, 8, 9, 9, 10, 10
    result = hand_result(normal, failure)
    for q, rank in ((0.9, 9), (0.5, 5), (0.95, 10), (0.1, 1), (0.85, 9)):
        rows = robust_capacity_rows(result, q)
        row = next(r for r in rows if r["link"] == "c1-exit" and r["year"] == 2027)
        assert row["robust_capacity_gbps"] == pytest.approx(ordered[rank - 1])
        assert row["installed_gbps"] == 10.0 and row["variants"] == 10
        assert row["shortfall_gbps"] == pytest.approx(max(0.0, ordered[rank - 1] - 10.0))
    assert robust_quantile(need, 0.9) == 10.0 and robust_quantile(need, 0.8) == 9.0


def test_required_capacity_uses_both_targets():
    req = required_capacity(np.array([[7.0, 1.4]]), np.array([[4.5, 9.0]]), 0.7, 0.9)
    np.testing.assert_allclose(req, [[10.0, 10.0]])
    req = required_capacity(
        np.array([[7.0], [np.nan]]),
        np.array([[0.0], [1.0]]),
        np.array([0.7, 0.5]),
        np.array([0.9, 0.8]),
    )
    assert req[0, 0] == pytest.approx(10.0) and np.isnan(req[1, 0])


def test_exceedance_probability_by_hand():
    # Four variants on one link: over target in variants 1 (normal 0.8 > 0.7) and
    # 2 (failure 0.95 > 0.9); variant 3 is exactly at both targets, which is allowed.
    normal = np.array([[5.0], [8.0], [6.0], [7.0]])
    failure = np.array([[8.0], [8.5], [9.5], [9.0]])
    p, count = exceedance(normal / 10, failure / 10, 0.7, 0.9)
    assert p.tolist() == [0.5] and count.tolist() == [4]
    # Per-variant targets: variant 0 with a 0.4 normal target now counts too.
    p, _ = exceedance(normal / 10, failure / 10, np.array([0.4, 0.7, 0.7, 0.7]), 0.9)
    assert p.tolist() == [0.75]


def test_link_year_summary_rows():
    normal = np.zeros((4, 2, 2))
    failure = np.zeros((4, 2, 2))
    normal[:, 1, 0] = [5.0, 8.0, 6.0, 7.0]  # d1-c1, 2026
    failure[:, 1, 0] = [8.0, 8.5, 9.5, 9.0]
    rows = link_year_summary(hand_result(normal, failure))
    row = next(r for r in rows if r["link"] == "d1-c1" and r["year"] == 2026)
    assert row["p_over_target"] == 0.5 and row["variants"] == 4 and row["plane"] == "extranet"
    # worst utilisation 0.8, 0.85, 0.95, 0.9: linear quantiles by hand.
    worst = sorted([0.8, 0.85, 0.95, 0.9])
    assert row["p50_worst_utilisation"] == pytest.approx((worst[1] + worst[2]) / 2)
    assert row["p5_worst_utilisation"] == pytest.approx(worst[0] + 0.15 * (worst[1] - worst[0]))
    assert row["p95_worst_utilisation"] == pytest.approx(worst[2] + 0.85 * (worst[3] - worst[2]))
    assert rows[0]["link"] == "d1-c1"  # the most likely to exceed comes first in its year


def test_quantiles_ignore_missing_values():
    values = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, 4.0], [4.0, np.nan]])
    out = quantiles(values, (0.5,))
    assert out.tolist() == [[2.5, 4.0]]


def test_metric_quantiles_cover_costs():
    normal = np.zeros((5, 2, 2))
    rows = metric_quantiles(hand_result(normal, normal).records())
    cost = next(r for r in rows if r["column"] == "cost_cny")
    # 100 .. 500: p5 = 100 + 0.2 * 100, p50 = 300, p95 = 400 + 0.8 * 100.
    assert (cost["p5"], cost["p50"], cost["p95"]) == pytest.approx((120.0, 300.0, 480.0))


def test_summary_files_and_page(tmp_path):
    normal = np.full((3, 2, 2), 5.0)
    result = hand_result(normal, normal * 1.5, title="<script>alert(1)</script>")
    written = {p.name for p in write_summary(result, tmp_path)}
    assert written == {"summary.csv", "robust_capacity.csv", "metrics_summary.csv", "summary.html"}
    rows = list(csv.DictReader(io.StringIO((tmp_path / "robust_capacity.csv").read_text())))
    assert len(rows) == 4 and float(rows[0]["robust_capacity_gbps"]) == pytest.approx(
        max(5.0 / 0.7, 7.5 / 0.9)
    )
    page = (tmp_path / "summary.html").read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    assert "<script src" not in page and "Plotly.newPlot" in page  # plotly.js inlined


def test_summary_of_a_real_batch_counts_removed_links_as_missing():
    batch = build_batch(
        {
            "name": "mc",
            "scenario": str(SMALL / "scenario.yaml"),
            "stage": "analyze",
            "seed": 3,
            "monte_carlo": {"draws": 6, "link_failures": {"count": 1, "plane": "extranet"}},
        }
    )
    result = run(batch, executor=SerialExecutor())
    removed = [v.parameters["removed_links"] for v in batch.variants()]
    rows = link_year_summary(result)
    for link in {
        lk.id for lk in batch.topology.links if lk.plane == "extranet" and not lk.candidate
    }:
        counted = {r["variants"] for r in rows if r["link"] == link}
        assert counted == {6 - removed.count(link)} or (
            counted == set() and removed.count(link) == 6
        )
    page = summary_page(
        result, rows, robust_capacity_rows(result), metric_quantiles(result.records())
    )
    assert page.startswith("<!DOCTYPE html>")
