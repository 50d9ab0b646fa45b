"""What a plan costs and how it is filed: the costs object, purchase rows, exports, compare.

Expected numbers come from the catalogue's prices and the topology (unit prices, the opex of
the network as it stands), from closed forms of the discounting, or are worked out by hand
in the comments; none is taken from the planner's own totals.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

import netplan
from netplan.planning.sizing import TierCatalogue, size_tiers
from netplan.report.exports import bill_of_quantities, csv_with_bom, write_exports
from netplan.run.compare import compare_runs

SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")
RATE = 0.05  # the shipped scenarios' discount rate


@pytest.fixture(scope="module")
def topo():
    return netplan.load_topology(netplan.default_topology_path())


@pytest.fixture(scope="module")
def runs(topo):
    """The whole run (no simulation) of baseline and growth-5y on the default network."""
    out = {}
    for name in ("baseline", "growth-5y"):
        scenario = netplan.load_scenario(netplan.default_scenario_path(name), topo)
        out[name] = netplan.plan(topo, scenario, sim="none", check=False)
    return out


@pytest.fixture(scope="module", params=["baseline", "growth-5y"])
def plan(request, topo):
    scenario = netplan.load_scenario(netplan.default_scenario_path(request.param), topo)
    return netplan.optimize(topo, scenario, check=False)


def unit_price_cny(topo, link_id: str, tier: str) -> float:
    """One module of ``tier`` on the link, from the catalogue and the link's length."""
    t = next(t for t in topo.tiers if t.name == tier)
    length = next(lk for lk in topo.links if lk.id == link_id).length_km or 0.0
    return t.capex_cny + t.capex_cny_per_km * length


def existing_opex_cny(topo) -> float:
    """The yearly opex of the network as it stands: built links' modules and the racks."""
    tiers = {t.name: t for t in topo.tiers}
    links = sum(
        lk.modules * (tiers[lk.tier].opex_cny_per_year
                      + tiers[lk.tier].opex_cny_per_km_year * (lk.length_km or 0.0))
        for lk in topo.links if not lk.candidate and lk.tier in tiers
    )
    racks = sum(dc.racks * dc.rack_opex_cny_per_year for dc in topo.data_centres)
    return links + racks


# --- the purchase rows -----------------------------------------------------------------


def test_every_purchase_row_says_what_it_buys_at_what_unit_price(plan, topo):
    initial = {lk.id: (lk.tier, lk.modules) for lk in topo.links}
    before = dict(initial)
    for r in sorted(plan.rows, key=lambda r: (r["item"], r["id"], r["year"])):
        if r["item"] != "link":
            if r["purchase"]:
                dc = next(d for d in topo.data_centres if d.id == r["id"])
                assert (r["modules_bought"], r["unit_price_cny"]) == (r["racks_added"],
                                                                       dc.rack_capex_cny)
                assert r["capex_cny"] == r["modules_bought"] * r["unit_price_cny"]
            continue
        tier, modules = before[r["id"]]
        if r["purchase"]:
            # Same tier: the added modules; a new tier: all of its modules.
            expected = r["modules"] - modules if r["tier"] == tier else r["modules"]
            assert r["modules_bought"] == expected > 0
            assert r["unit_price_cny"] == pytest.approx(unit_price_cny(topo, r["id"], r["tier"]))
            assert r["build_capex_cny"] == 0.0
            assert r["capex_cny"] == r["modules_bought"] * r["unit_price_cny"]
            if r["tier"] != tier:
                assert "replaces" in r["reason"]
        else:
            assert r["modules_bought"] == 0 and r["capex_cny"] == 0.0
        before[r["id"]] = (r["tier"], r["modules"])


# --- the costs object ------------------------------------------------------------------


def test_purchase_capex_is_the_bill_and_the_rows(plan):
    costs = plan.costs()
    bought = costs["purchases"]
    by_rows = sum(r["modules_bought"] * r["unit_price_cny"] for r in plan.purchases())
    assert bought["capex_total_cny"] == costs["capex_total_cny"] == pytest.approx(by_rows)
    assert sum(bought["capex_per_year_cny"].values()) == pytest.approx(bought["capex_total_cny"])
    assert list(bought["capex_per_year_cny"]) == [str(y) for y in plan.years]


def test_purchases_and_existing_network_add_up_to_the_objective(plan, topo):
    costs = plan.costs()
    existing = existing_opex_cny(topo)
    weights = [(1 + RATE) ** -i for i in range(len(plan.years))]
    for year in plan.years:
        assert costs["existing_network"]["opex_per_year_cny"][str(year)] == pytest.approx(existing)
        rows = [r for r in plan.rows if r["year"] == year]
        added = sum(r["opex_cny"] for r in rows) - existing
        assert costs["purchases"]["added_opex_per_year_cny"][str(year)] == pytest.approx(added)
        per_year = costs["per_year"][str(year)]
        assert per_year["total_cny"] == pytest.approx(
            per_year["capex_cny"] + per_year["added_opex_cny"] + per_year["existing_opex_cny"])
    capex = costs["purchases"]["capex_per_year_cny"]
    added = costs["purchases"]["added_opex_per_year_cny"]
    purchases = sum(w * (capex[str(y)] + added[str(y)]) for w, y in zip(weights, plan.years, strict=True))
    assert costs["purchases"]["discounted_total_cny"] == pytest.approx(purchases)
    assert costs["existing_network"]["discounted_total_cny"] == pytest.approx(
        existing * sum(weights))
    # Equal up to the cent each figure is rounded to.
    assert costs["plan_discounted_total_cny"] == pytest.approx(plan.objective_cny, abs=0.01)
    assert costs["plan_discounted_total_cny"] == pytest.approx(
        costs["purchases"]["discounted_total_cny"]
        + costs["existing_network"]["discounted_total_cny"], abs=0.02)


def test_the_costs_object_is_labelled_and_flagged(plan):
    costs = plan.costs()
    assert costs["currency"] == "CNY" and costs["estimate"] is True
    assert costs["discount_rate"] == RATE and costs["note"]
    for key in ("purchases.capex_total_cny", "purchases.added_opex_total_cny",
                "existing_network.discounted_total_cny", "plan_discounted_total_cny",
                "per_district", "per_plane", "per_item"):
        assert costs["labels"][key]
    assert "over the horizon" in costs["labels"]["purchases.added_opex_total_cny"]
    # per_item: capex plus added opex over the horizon, undiscounted.
    assert sum(costs["per_item"].values()) == pytest.approx(
        sum(r["capex_cny"] + r["opex_cny"] - r["existing_opex_cny"] for r in plan.rows))
    summary = plan.summary()
    assert summary["costs"] == costs and summary["objective_cny"] == plan.objective_cny


def test_baseline_buys_210_000_cny(topo):
    # Two 1G modules on the Wanzhou exits (30,000 each) and a 10G module on the Internet exit
    # (150,000): the purchases, not the 80 M the whole network costs to run.
    scenario = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    costs = netplan.optimize(topo, scenario, check=False).costs()
    assert costs["purchases"]["capex_total_cny"] == 210_000.0
    assert costs["existing_network"]["discounted_total_cny"] > 100 * 210_000


# --- the exports -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["baseline", "growth-5y"])
def test_bill_of_quantities_is_quantity_times_unit_price(runs, name):
    run = runs[name]
    bill = bill_of_quantities(run.data)
    costs = run.plan.costs()
    assert sum(line["capex_cny"] for line in bill) == pytest.approx(
        costs["purchases"]["capex_total_cny"])
    for line in bill:
        assert line["capex_cny"] == line["quantity"] * line["unit_price_cny"]
        assert line["quantity"] > 0 and line["installed_after"] >= line["quantity"]


@pytest.mark.parametrize("name", ["baseline", "growth-5y"])
def test_workbook_capex_is_a_formula_of_quantity_and_unit_price(runs, name, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    run = runs[name]
    write_exports(run.data, tmp_path)
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    cached = openpyxl.load_workbook(tmp_path / "plan.xlsx", data_only=True)
    capex_total = run.plan.costs()["purchases"]["capex_total_cny"]

    sheet, values = book["Bill of quantities 采购清单"], cached["Bill of quantities 采购清单"]
    head = [c.value for c in sheet[1]]
    q = head.index("Quantity to buy 采购数量") + 1
    u = next(i for i, h in enumerate(head) if h.startswith("Unit price")) + 1
    c = next(i for i, h in enumerate(head) if h.startswith("Capex")) + 1
    lines = len(bill_of_quantities(run.data))
    assert sheet.max_row == lines + 2  # header, lines, total
    for r in range(2, lines + 2):
        qty, price = values.cell(r, q).value, values.cell(r, u).value
        assert sheet.cell(r, c).value == f"={sheet.cell(r, q).coordinate}*" \
                                          f"{sheet.cell(r, u).coordinate}"
        assert values.cell(r, c).value == qty * price
    assert values.cell(lines + 2, c).value == pytest.approx(capex_total)

    summary = cached["Summary 摘要"]
    labels = {summary.cell(r, 1).value: summary.cell(r, 2).value
              for r in range(1, summary.max_row + 1)}
    capex_label = next(k for k in labels if k and k.startswith("Capex of the purchases"))
    assert labels[capex_label] == pytest.approx(capex_total)
    costs = run.plan.costs()
    assert any(k and k.startswith("Purchases, discounted") and v == pytest.approx(
        costs["purchases"]["discounted_total_cny"]) for k, v in labels.items())
    assert any(k and k.startswith("Existing network opex, discounted") for k in labels)
    assert any(k and k.startswith("Plan total, discounted") for k in labels)
    assert not any(k and k.startswith("Discounted total") for k in labels)

    years = cached["Cost per year 逐年费用"]
    last = years.max_row
    assert years.cell(last, 2).value == pytest.approx(capex_total)
    # Opex is yearly: the totals row adds no opex across years.
    assert [years.cell(last, j).value for j in (3, 4, 5)] == [None, None, None]


@pytest.mark.parametrize("name", ["baseline", "growth-5y"])
def test_csv_files_hold_plain_decimals(runs, name, tmp_path):
    run = runs[name]
    written = write_exports(run.data, tmp_path) + run.plan.save(tmp_path)
    for path in written:
        if path.suffix == ".csv":
            assert not SCIENTIFIC.search(path.read_text(encoding="utf-8-sig")), path.name
    with open(tmp_path / "bill_of_quantities.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    price = next(i for i, h in enumerate(rows[0]) if h.startswith("Unit price"))
    assert all(re.fullmatch(r"\d+\.\d\d", row[price]) for row in rows[1:])


def test_csv_numbers_are_never_scientific():
    table = netplan.io.tables.records_to_csv(
        [{"cny": 80151696.1, "gbps": 2.5e-7, "u": 1e16}], digits=6)
    assert table.splitlines()[1] == "80151700,0.00000025,10000000000000000"
    money = csv_with_bom([{"capex_cny": 1.5e9}], [("capex_cny", "C")])
    assert money.decode("utf-8-sig").splitlines()[1] == "1500000000.00"


# --- compare ---------------------------------------------------------------------------


def test_compare_leaves_years_a_run_does_not_plan_absent(runs, tmp_path):
    a, b = runs["baseline"], runs["growth-5y"]
    comparison = compare_runs(a.data, b.data)
    rows = list(comparison.costs)
    for row in rows:
        if isinstance(row["year"], int) and row["year"] > 2026:
            assert row["a_cny"] is None and row["b_cny"] is not None
            assert row["b_minus_a_cny"] is None
    opex_2026 = next(r for r in rows if r["year"] == 2026 and "network as it stands" in r["figure"])
    assert opex_2026["a_cny"] == opex_2026["b_cny"] == pytest.approx(
        existing_opex_cny(b.topology))
    totals = {r["figure"]: r for r in rows if not isinstance(r["year"], int)}
    capex = next(r for f, r in totals.items() if f.startswith("capex of the purchases"))
    assert capex["a_cny"] == 210_000.0
    assert capex["b_cny"] == b.plan.costs()["purchases"]["capex_total_cny"]
    assert capex["year"] == "A: 2026; B: 2026–2031"
    comparison.save(tmp_path)
    text = (tmp_path / "costs_diff.csv").read_text(encoding="utf-8")
    assert not SCIENTIFIC.search(text)
    table = list(csv.DictReader(io.StringIO(text)))
    later = [r for r in table if r["year"] == "2027"]
    assert later and all(r["a_cny"] == "" and r["b_cny"] != "" for r in later)


# --- no tier churn ---------------------------------------------------------------------

# Two tiers, two years: 1G (capacity 1, at most two modules) and 10G (capex 25, 12 a year).


def two_tiers(capex_1g: float, opex_1g: float) -> TierCatalogue:
    return TierCatalogue(["1G", "10G"], [1, 10], [capex_1g, 25], [opex_1g, 12],
                         max_modules=[2, 1])


def test_a_bought_module_stays_when_replacing_it_does_not_pay():
    # 1 then 3 Gbit/s, no discounting; 1G costs 2 and 10 a year. 1G then 10G costs
    # (2 + 10) + (25 + 12) = 49; 10G from the start 37 + 12 = 49 as well: a tie, so the 10G
    # bought first stays and nothing is replaced.
    r = size_tiers([[1, 3]], two_tiers(2, 10), discount_rate=0.0)
    assert r.tier.tolist() == [[1, 1]] and r.modules_bought.tolist() == [[1, 0]]
    assert r.discounted_cost_cny.tolist() == [49.0]
    assert not r.replaces.any() and r.replacement_saving_cny.tolist() == [0.0]
    # A dearer 1G (3 a module) makes the replacement strictly worse (50 > 49): still kept.
    assert size_tiers([[1, 3]], two_tiers(3, 10), discount_rate=0.0).tier.tolist() == [[1, 1]]


def test_a_replacement_that_pays_is_kept_and_priced():
    # 1G costs 0 and 2 a year. At 25 %: 1G then 10G costs 2 + (25 + 12) × 0.8 = 31.6; keeping
    # what is bought means 10G from the start, 37 + 12 × 0.8 = 46.6: replacing saves 15.
    r = size_tiers([[1, 3]], two_tiers(0, 2), discount_rate=0.25)
    assert r.tier.tolist() == [[0, 1]] and r.replaces.tolist() == [[False, True]]
    assert r.discounted_cost_cny[0] == pytest.approx(31.6)
    assert r.replacement_saving_cny[0] == pytest.approx(15.0)
    kept = size_tiers([[1, 3]], two_tiers(0, 2), discount_rate=0.25, keep_bought=True)
    assert kept.tier.tolist() == [[1, 1]] and kept.discounted_cost_cny[0] == pytest.approx(46.6)


def hand_topology(tiers):
    """Two core nodes joined by one extranet link holding one 1G module."""
    return netplan.build_topology({
        "name": "pair",
        "tiers": tiers,
        "nodes": [{"id": n, "name": n, "kind": "core", "lat": 29.5 + i / 10, "lon": 106.5,
                   "planes": ["extranet"]} for i, n in enumerate("AB")],
        "links": [{"id": "AB", "a": "A", "b": "B", "plane": "extranet", "tier": "1G",
                   "modules": 1, "weight": 1}],
    })


def hand_scenario(topo):
    """1.5 Gbit/s from A to B, doubling in the second year; targets 100 %; 25 % a year."""
    return netplan.build_scenario({
        "name": "hand", "title": "hand", "question": "what to buy", "base_year": 2026,
        "horizon_years": 1, "discount_rate": 0.25, "profiles": {"flat": [1.0] * 24},
        "drivers": {"staff_total": 0, "cameras_total": 0, "video_rooms_per_district": 0},
        "services": [{"id": "ab", "name": "ab", "plane": "extranet", "pattern": "site_to_site",
                      "driver": "fixed", "from_site": "A", "far_end": "B", "fixed_gbps": 1.5,
                      "profile": "flat", "growth_per_year": 1.0}],
        "failure_policy": ["none"],
        "targets": {"max_utilisation_normal": 1.0, "max_utilisation_failure": 1.0},
    }, topo)


def tier(name, capacity, capex, opex, most):
    return {"name": name, "capacity_gbps": capacity, "capex_cny": capex,
            "opex_cny_per_year": opex, "max_modules": most}


def test_the_reason_says_what_a_paying_replacement_retires_and_saves():
    # One 1G module installed; 1G costs 1 and 2 a year (at most two), 10G 25 and 12 a year.
    # 2026 needs 1.5: a second 1G module (1 + 4 = 5). 2027 needs 3: 10G (25 + 12, × 0.8).
    # That is 5 + 29.6 = 34.6; keeping every module bought means 10G from 2026:
    # 37 + 9.6 = 46.6. The replacement saves 12.
    topo = hand_topology([tier("1G", 1, 1, 2, 2), tier("10G", 10, 25, 12, 1)])
    plan = netplan.optimize(topo, hand_scenario(topo))
    first, second = plan.purchases()
    assert (first["tier"], first["modules"], first["modules_bought"]) == ("1G", 2, 1)
    assert (second["tier"], second["modules"], second["modules_bought"]) == ("10G", 1, 1)
    assert plan.objective_cny == pytest.approx(34.6)
    assert "replaces the 2 × 1G modules (1 installed before the plan, 1 bought in 2026) " \
           "with 1 × 10G: cheaper over the horizon by 12 CNY" in second["reason"]
    costs = plan.costs()
    # Existing: one 1G module, 2 a year. Added opex: 2 in 2026, 10 in 2027.
    assert costs["purchases"]["added_opex_per_year_cny"] == {"2026": 2.0, "2027": 10.0}
    assert costs["purchases"]["discounted_total_cny"] == pytest.approx(1 + 2 + (25 + 10) * 0.8)
    assert costs["existing_network"]["discounted_total_cny"] == pytest.approx(2 + 2 * 0.8)


def test_the_routed_plan_keeps_what_it_buys_when_replacing_does_not_pay():
    # 1G costs 10 and 10 a year (at most four), 10G 25 and 12. Year by year, 2026 buys a
    # second 1G (10 + 20 = 30 < 37 for 10G) and 2027 replaces both by 10G (37 < 40 for a
    # third 1G): 30 + 37 × 0.8 = 59.6. Keeping what is bought: 10G in 2026 (replacing the
    # module installed before the plan), 37 + 12 × 0.8 = 46.6, 13 less.
    topo = hand_topology([tier("1G", 1, 10, 10, 4), tier("10G", 10, 25, 12, 1)])
    plan = netplan.optimize(topo, hand_scenario(topo), routing="optimized")
    rows = [r for r in plan.rows if r["item"] == "link"]
    assert [(r["tier"], r["modules"], r["purchase"]) for r in rows] == [
        ("10G", 1, True), ("10G", 1, False)]
    assert plan.objective_cny == pytest.approx(46.6)
    assert "replaces the 1G module installed before the plan with 1 × 10G" in rows[0]["reason"]
    assert "year-by-year solves would replace them, at 13 CNY more" in rows[0]["reason"]
    assert plan.check["passed"]
    # The fixed planner's exact sizing finds the same without help.
    fixed = netplan.optimize(topo, hand_scenario(topo))
    assert fixed.objective_cny == pytest.approx(46.6)


def test_growth_replaces_the_wanzhou_modules_only_because_it_pays(topo):
    # ex-wanzhou-1 (one 1G module): 2.5G in 2026, then 2031 needs 2.536 Gbit/s. Keeping
    # the 2.5G means a second 2.5G module in 2031 (60,000 + two modules' opex); replacing it
    # by 3 × 1G costs 90,000 + three modules' opex. Opex per module: 60,000 + 300/km (1G),
    # 120,000 + 500/km (2.5G). Everything before 2031 is the same, so the saving is
    # (60,000 + 2 × op_2.5G − 90,000 − 3 × op_1G) / 1.05^5.
    scenario = netplan.load_scenario(netplan.default_scenario_path("growth-5y"), topo)
    plan = netplan.optimize(topo, scenario, check=False)
    length = next(lk for lk in topo.links if lk.id == "ex-wanzhou-1").length_km
    op_1g, op_25g = 60_000 + 300 * length, 120_000 + 500 * length
    saving = (60_000 + 2 * op_25g - 90_000 - 3 * op_1g) / 1.05**5
    row = plan.res_link["ex-wanzhou-1"][2031]
    assert (row["tier"], row["modules_bought"], row["unit_price_cny"]) == ("1G", 3, 30_000.0)
    assert f"replaces the 2.5G module bought in 2026 with 3 × 1G: cheaper over the horizon " \
           f"by {saving:,.0f} CNY" in row["reason"]
    # Every replacement of modules the plan bought says what it saves.
    for r in plan.purchases():
        if "bought in" in r["reason"]:
            assert "cheaper over the horizon by" in r["reason"]


def test_a_candidate_build_is_its_own_line_of_the_bill():
    # A-C and C-B hold one 10G module each (100 CNY, 10 a year); A-B is a candidate with a
    # build charge of 100. 15 Gbit/s from A to B: the routed plan builds A-B with one module
    # (100 + 100 capex, 10 a year) rather than a second module on A-C and C-B (200 + 20).
    ten_g = tier("10G", 10, 100, 10, 4)
    topo = netplan.build_topology({
        "name": "triangle", "tiers": [ten_g],
        "nodes": [{"id": n, "name": n, "kind": "core", "lat": 29.5 + i / 10, "lon": 106.5,
                   "planes": ["extranet"]} for i, n in enumerate("ABC")],
        "links": [{"id": a + b, "a": a, "b": b, "plane": "extranet", "tier": "10G",
                   "modules": 0 if a + b == "AB" else 1, "weight": 1,
                   **({"candidate": True, "build_capex_cny": 100.0} if a + b == "AB" else {})}
                  for a, b in ("AC", "CB", "AB")],
    })
    scenario = netplan.build_scenario({
        "name": "hand", "title": "hand", "question": "what to buy", "base_year": 2026,
        "profiles": {"flat": [1.0] * 24},
        "drivers": {"staff_total": 0, "cameras_total": 0, "video_rooms_per_district": 0},
        "services": [{"id": "ab", "name": "ab", "plane": "extranet", "pattern": "site_to_site",
                      "driver": "fixed", "from_site": "A", "far_end": "B", "fixed_gbps": 15.0,
                      "profile": "flat"}],
        "failure_policy": ["none"],
        "targets": {"max_utilisation_normal": 1.0, "max_utilisation_failure": 1.0},
    }, topo)
    run = netplan.plan(topo, scenario, routing="optimized", sim="none", check=False)
    (ab,) = run.plan.purchases()
    assert (ab["id"], ab["modules_bought"], ab["unit_price_cny"], ab["build_capex_cny"]) == (
        "AB", 1, 100.0, 100.0)
    assert ab["capex_cny"] == ab["modules_bought"] * ab["unit_price_cny"] + ab["build_capex_cny"]
    bill = bill_of_quantities(run.data)
    assert [(b["unit"], b["quantity"], b["unit_price_cny"], b["capex_cny"]) for b in bill] == [
        ("link build 链路建设", 1, 100.0, 100.0), ("10G module 模块", 1, 100.0, 100.0)]
    costs = run.plan.costs()
    assert costs["purchases"]["capex_total_cny"] == 200.0
    assert costs["purchases"]["added_opex_per_year_cny"] == {"2026": 10.0}
    assert costs["existing_network"]["opex_per_year_cny"] == {"2026": 20.0}
    assert costs["plan_discounted_total_cny"] == run.plan.objective_cny == pytest.approx(230.0)
