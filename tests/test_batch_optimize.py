"""The optimize and plan stages of batches, on the default Chongqing network.

Every number is checked against a direct call of the optimizer (or the main job) on the
same variant, or against numpy's quantiles of those direct results; never against what
the batch itself printed.
"""

from __future__ import annotations

import csv
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import netplan
from netplan.batch import SerialExecutor, build_batch, load_batch, run
from netplan.batch.stages import OptimizeOptions, PlanOptions, optimize_stage, plan_stage
from netplan.batch.summary import (
    ROBUST_Q,
    cost_quantile_rows,
    planned_capacity_rows,
    upgrade_probability,
)
from netplan.cli.file_kinds import validate_file
from netplan.errors import ValidationError
from netplan.planning import optimize

ROOT = Path(__file__).resolve().parents[1]
GROWTH_5Y = str(netplan.default_scenario_path("growth-5y"))
BASELINE = str(netplan.default_scenario_path("baseline"))

# Six Monte Carlo draws of the growth rates that drive upgrades on the default network.
MC = {
    "name": "opt-mc",
    "scenario": GROWTH_5Y,
    "stage": "optimize",
    "options": {"check": False},
    "seed": 11,
    "monte_carlo": {
        "draws": 6,
        "parameters": {
            "growth_per_year.internet_access": {"dist": "uniform", "low": 0.05, "high": 0.5},
            "growth_per_year.oa_email": {"dist": "uniform", "low": 0.0, "high": 0.4},
            "growth_per_year.intranet_office": {"dist": "uniform", "low": 0.0, "high": 0.4},
        },
    },
}


@pytest.fixture(scope="module")
def topology():
    return netplan.load_topology(netplan.default_topology_path())


@pytest.fixture(scope="module")
def mc_pool(tmp_path_factory):
    """The Monte Carlo batch on a two-worker process pool, with its store and summaries."""
    out = tmp_path_factory.mktemp("batch") / "mc"
    with ProcessPoolExecutor(max_workers=2) as pool:
        result = run(build_batch(MC), executor=pool, output_dir=out)
    return result


@pytest.fixture(scope="module")
def direct_plans(topology):
    """The plan of every Monte Carlo variant, from the optimizer called directly."""
    batch = build_batch(MC)
    return {
        v.id: optimize(topology, netplan.build_scenario(v.scenario, topology), check=False)
        for v in batch.variants()
    }


def link_capacity(plan, link: str, year: int) -> float:
    (row,) = [r for r in plan.rows if r["item"] == "link" and r["id"] == link and r["year"] == year]
    return row["capacity_gbps"]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------------- the stage itself
def test_optimize_stage_reports_what_the_optimizer_plans(topology):
    scenario = netplan.load_scenario(BASELINE, topology)
    out = optimize_stage(topology, scenario, 0, OptimizeOptions())
    plan = optimize(topology, scenario)
    m = out.metrics
    assert m["plan_status"] == plan.status == "optimal"
    assert m["total_cost_cny"] == plan.objective_cny
    assert m["capex_cny"] == pytest.approx(sum(r["capex_cny"] for r in plan.rows), rel=1e-12)
    # Added opex from the rows: each year's opex less what the network ran before the plan.
    added = sum(r["opex_cny"] - r["existing_opex_cny"] for r in plan.rows)
    assert m["added_opex_cny"] == pytest.approx(added, rel=1e-9)
    assert m["purchases_cost_cny"] < m["total_cost_cny"]
    assert m["purchases"] == len(plan.purchases()) > 0
    assert m["check_passed"] is True and m["check_breaches"] == 0 and m["infeasible"] == 0
    bought = [(r["id"], r["year"], r["tier"], r["modules"]) for r in plan.purchases()]
    table = out.tables["purchases"]
    assert [(r["id"], r["year"], r["tier"], r["modules"]) for r in table] == bought
    assert all(r["estimate"] is True for r in table)

    planned = out.arrays["planned_capacity_gbps"]
    assert planned.axes == ("link", "year") and planned.axis_labels("year") == scenario.years
    built = {lk.id for lk in topology.links if not lk.candidate}
    assert set(planned.axis_labels("link")) == built
    installed = out.arrays["capacity_gbps"]
    assert installed.axis_labels("link") == planned.axis_labels("link")
    by_id = {lk.id: lk.capacity_gbps for lk in topology.links}
    for i, link in enumerate(planned.axis_labels("link")):
        assert installed.values[i] == by_id[link]
        assert planned.values[i, 0] == link_capacity(plan, link, scenario.years[0])
    # A plan buys capacity; it never takes any away.
    assert np.all(planned.values >= installed.values[:, None])
    upgraded = {r["id"] for r in plan.purchases() if r["item"] == "link"}
    grew = {
        link
        for i, link in enumerate(planned.axis_labels("link"))
        if planned.values[i, -1] > installed.values[i]
    }
    assert grew == upgraded and m["links_upgraded"] == len(upgraded)
    racks = out.arrays["racks"]
    assert racks.axes == ("data_centre", "year")
    assert set(racks.axis_labels("data_centre")) == {dc.id for dc in topology.data_centres}
    capex = out.arrays["yearly_capex_cny"]
    assert capex.axes == ("year",) and capex.values.sum() == pytest.approx(m["capex_cny"])


def test_bad_optimize_options_are_refused_with_their_field(tmp_path):
    path = tmp_path / "b.batch.yaml"
    path.write_text(
        f"kind: batch\nname: b\nscenario: {BASELINE}\nstage: optimize\n"
        "options: {routing: cheapest}\ngrid: {discount_rate: [0.05]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as exc:
        load_batch(path)
    assert any(p.field == "options.routing" for p in exc.value.problems), str(exc.value)


# ---------------------------------------------------------------------- monotonicity
def test_more_growth_never_costs_less_nor_plans_less_capacity():
    # Requirements grow with the growth rate, so the cheapest plan cannot get cheaper; on
    # the default network the capacity the plan installs grows too, link by link and year
    # by year.
    batch = build_batch(
        {
            "name": "mono",
            "scenario": GROWTH_5Y,
            "stage": "optimize",
            "options": {"check": False},
            "grid": {"growth_per_year.internet_access": [0.1, 0.25, 0.4]},
        }
    )
    result = run(batch, executor=SerialExecutor())
    costs = [r["total_cost_cny"] for r in result.records()]
    assert costs[0] < costs[1] < costs[2]
    planned = result.array("planned_capacity_gbps").values  # [variant, link, year]
    assert np.isfinite(planned).all()
    assert np.all(np.diff(planned, axis=0) >= 0)
    assert np.any(np.diff(planned, axis=0) > 0)
    # Within one variant capacity never shrinks from year to year either.
    assert np.all(np.diff(planned, axis=2) >= 0)


# ---------------------------------------------------------------------- executors agree
def test_two_worker_pool_equals_one_in_process_run(mc_pool):
    serial = run(build_batch(MC), executor=SerialExecutor())
    assert len(mc_pool.ok_ids) == 6 and not mc_pool.failed
    assert mc_pool.index() == serial.index()
    assert mc_pool.records() == serial.records()
    for name in ("planned_capacity_gbps", "capacity_gbps", "racks", "yearly_added_opex_cny"):
        a, b = mc_pool.array(name), serial.array(name)
        assert a.labels == b.labels
        np.testing.assert_array_equal(a.values, b.values)


# ---------------------------------------------------------------------- the summary
def test_robust_planned_capacity_is_the_quantile_of_direct_plans(mc_pool, direct_plans, topology):
    ids = mc_pool.ok_ids
    installed = {lk.id: lk.capacity_gbps for lk in topology.links}
    capacity = {
        i: {(r["id"], r["year"]): r["capacity_gbps"] for r in p.rows if r["item"] == "link"}
        for i, p in direct_plans.items()
    }
    for q in (ROBUST_Q, 0.5):
        rows = planned_capacity_rows(mc_pool, q)
        assert len(rows) == 176 * 6  # every built link, every year
        differs = 0  # rows where the quantile method matters
        for row in rows:
            key = (row["link"], row["year"])
            direct = np.array([capacity[i][key] for i in ids])
            expected = np.quantile(direct, q, method="inverted_cdf")
            assert row["robust_planned_gbps"] == expected, key
            assert row["installed_gbps"] == installed[row["link"]]
            assert row["p_upgraded"] == pytest.approx(np.mean(direct > installed[row["link"]]))
            assert row["p50_planned_gbps"] == pytest.approx(np.quantile(direct, 0.5))
            assert row["added_gbps"] == pytest.approx(max(0.0, expected - installed[row["link"]]))
            assert row["variants"] == 6
            differs += expected != np.quantile(direct, q)
        assert differs > 0  # the draws disagree, so these checks can tell methods apart
    # The links the direct plans upgrade in some draw are those with a non-zero probability.
    last = max(r["year"] for r in rows)
    some = {
        link
        for i in ids
        for (link, year), gbps in capacity[i].items()
        if year == last and gbps > installed[link]
    }
    assert {r["link"] for r in rows if r["year"] == last and r["p_upgraded"] > 0} == some
    assert some


def test_planned_capacity_csv_matches_the_rows(mc_pool):
    rows = read_csv(mc_pool.directory / "planned_capacity.csv")
    computed = planned_capacity_rows(mc_pool, ROBUST_Q)
    assert [r["link"] for r in rows] == [r["link"] for r in computed]
    assert [float(r["robust_planned_gbps"]) for r in rows] == [
        r["robust_planned_gbps"] for r in computed
    ]


def horizon_added_opex_cny(plan) -> float:
    """Opex the purchases add per year (rows in order), then summed over the years."""
    per_year = np.zeros(len(plan.years))
    for r in plan.rows:
        per_year[plan.years.index(r["year"])] += r["opex_cny"] - r["existing_opex_cny"]
    return float(per_year.sum())


def discounted_purchases_cny(plan) -> float:
    """Capex and added opex of every row, discounted to the first year at the plan's rate."""
    return float(sum((r["capex_cny"] + r["opex_cny"] - r["existing_opex_cny"])
                     / (1 + plan.discount_rate) ** plan.years.index(r["year"])
                     for r in plan.rows))


def test_cost_percentiles_equal_numpy_percentiles_of_direct_objectives(mc_pool, direct_plans):
    rows = {r["cost"]: r for r in read_csv(mc_pool.directory / "cost_quantiles.csv")}
    plans = [direct_plans[i] for i in mc_pool.ok_ids]
    expected = {
        "total_cost_cny": np.array([p.objective_cny for p in plans]),
        "capex_cny": np.array([sum(r["capex_cny"] for r in p.rows) for p in plans]),
        # The batch metric: each year's added opex, summed over the horizon, undiscounted.
        "added_opex_cny": np.array([horizon_added_opex_cny(p) for p in plans]),
        "purchases_cost_cny": np.array([discounted_purchases_cny(p) for p in plans]),
    }
    assert set(rows) == set(expected)
    for cost, values in expected.items():
        row = rows[cost]
        p5, p50, p95 = np.percentile(values, [5, 50, 95])
        # Costs are kept to the cent; the expectations here are not rounded.
        cent = {"rel": 1e-12, "abs": 0.01}
        assert float(row["p5_cny"]) == pytest.approx(p5, **cent)
        assert float(row["p50_cny"]) == pytest.approx(p50, **cent)
        assert float(row["p95_cny"]) == pytest.approx(p95, **cent)
        assert float(row["mean_cny"]) == pytest.approx(values.mean(), **cent)
        assert float(row["min_cny"]) == pytest.approx(values.min(), **cent)
        assert float(row["max_cny"]) == pytest.approx(values.max(), **cent)
        assert row["estimate"] == "True" and "estimate" in row["note"]
        assert int(row["variants"]) == 6 and int(row["infeasible_plans"]) == 0
    assert len(set(expected["total_cost_cny"])) > 1  # the draws differ in cost
    page = (mc_pool.directory / "summary.html").read_text(encoding="utf-8")
    assert "Plan cost (规划费用, estimates)" in page and "Planned capacity (规划容量)" in page


def test_upgrade_probability_counts_by_hand():
    # Three variants of one link over two years, installed 1 Gbit/s; one variant without it.
    planned = np.array([[[1.0, 2.0]], [[2.5, 2.5]], [[1.0, 1.0]], [[np.nan, np.nan]]])
    installed = np.array([[1.0], [1.0], [1.0], [np.nan]])
    probability, count = upgrade_probability(planned, installed)
    np.testing.assert_allclose(probability, [[1 / 3, 2 / 3]])
    assert count.tolist() == [[3, 3]]


def test_cost_rows_skip_failed_variants_and_count_infeasible_plans():
    records = [
        {"status": "ok", "plan_status": "optimal", "total_cost_cny": 1.0},
        {"status": "ok", "plan_status": "infeasible", "total_cost_cny": 3.0},
        {"status": "error", "total_cost_cny": None},
    ]
    (row,) = cost_quantile_rows(records)
    assert row["variants"] == 2 and row["infeasible_plans"] == 1
    assert row["p50_cny"] == 2.0 and row["p5_cny"] == pytest.approx(1.1)


# ---------------------------------------------------------------------- infeasible plans
def test_an_infeasible_plan_is_a_result_and_the_summary_renders(tmp_path, topology):
    batch = build_batch(
        {
            "name": "budget",
            "scenario": BASELINE,
            "stage": "optimize",
            "options": {"check": False},
            "grid": {"budget_cny_per_year": [1.0, 1.0e9]},
        }
    )
    result = run(batch, executor=SerialExecutor(), output_dir=tmp_path / "b")
    tiny, ample = result.records()
    assert tiny["status"] == ample["status"] == "ok" and not result.failed
    assert tiny["plan_status"] == "infeasible" and tiny["infeasible_items"] == "budget"
    assert ample["plan_status"] == "optimal" and ample["infeasible"] == 0
    # The budget does not change what the targets force: both cost what the optimizer says.
    direct = optimize(topology, netplan.load_scenario(BASELINE, topology), check=False)
    assert tiny["total_cost_cny"] == ample["total_cost_cny"] == direct.objective_cny
    variant = result.directory / "variants" / result.variants[0].id
    (reason,) = read_csv(variant / "infeasibilities.csv")
    assert reason["item"] == "budget" and reason["year"] == "2026"
    assert float(reason["shortfall"]) == pytest.approx(direct.costs()["capex_total_cny"] - 1.0)
    (cost,) = [
        r for r in read_csv(result.directory / "cost_quantiles.csv") if r["cost"] == "capex_cny"
    ]
    assert int(cost["infeasible_plans"]) == 1
    page = (result.directory / "summary.html").read_text(encoding="utf-8")
    assert "1 of 2 plans are infeasible" in page


# ---------------------------------------------------------------------- the plan stage
def test_plan_stage_agrees_with_the_main_job(topology):
    from netplan.run.pipeline import compute_run

    scenario = netplan.load_scenario(BASELINE, topology)
    out = plan_stage(topology, scenario, scenario.seed, PlanOptions())
    results = compute_run(netplan.default_topology_path(), BASELINE).results
    m = out.metrics
    analysis = results["analysis"]["summary"]
    assert m["max_worst_utilisation"] == analysis["max_worst_utilisation"]
    assert m["links_over_target"] == analysis["links_over_target"] == 3
    assert m["most_loaded_link"] == analysis["most_loaded_link"]["link"]
    plan = results["plan"]
    assert m["plan_status"] == plan["status"] and m["total_cost_cny"] == plan["objective_cny"]
    assert m["purchases"] == plan["purchases"]
    assert m["capex_cny"] == pytest.approx(plan["costs"]["capex_total_cny"], rel=1e-12)
    assert m["check_passed"] is plan["check"]["passed"] is True
    assert m["links_over_target_after_plan"] == 0
    services = results["simulation"]["services"]
    missing = {r["service"] for r in services if r["meets_target"] is False}
    assert m["services_missing_target"] == len(missing)
    worst_blocking = max(
        r["blocking"]["mean"] for r in services if r["service"] == "video_conference"
    )
    assert m["video_conference_blocking"] == pytest.approx(worst_blocking, rel=1e-12)
    # The links over target before the plan are exactly those the plan upgrades here.
    over = {r["link"] for r in results["analysis"]["worst_case"] if r["over_target"]}
    assert over == {r["id"] for r in plan["rows"] if r["purchase"] and r["item"] == "link"}
    assert out.arrays["installed_worst_utilisation"].values.max() == pytest.approx(
        analysis["max_worst_utilisation"]
    )


# ---------------------------------------------------------------------- the example file
def test_the_example_batch_file_validates():
    path = ROOT / "scenarios" / "growth-budget-mc.batch.yaml"
    assert validate_file(path) == "batch 'growth-budget-mc': 30 variants, stage optimize"
    batch = load_batch(path)
    assert batch.definition.options == {"routing": "fixed", "check": True}
    assert batch.definition.monte_carlo.draws == 30


def test_each_variant_keeps_its_scenario_and_it_reruns_to_the_same_plan(mc_pool, topology):
    """``variants/<id>/scenario.yaml`` loads on its own and the optimizer re-plans it exactly."""
    out = mc_pool.directory
    for variant_id in ("v00000", "v00004"):
        path = out / "variants" / variant_id / "scenario.yaml"
        assert path.read_text(encoding="utf-8").startswith(f"# Batch variant {variant_id}")
        scenario = netplan.load_scenario(path, topology)
        plan = optimize(topology, scenario, check=False)
        recorded = mc_pool.outcomes[variant_id].metrics
        assert plan.objective_cny == recorded["total_cost_cny"]
        assert len(plan.purchases()) == recorded["purchases"]
