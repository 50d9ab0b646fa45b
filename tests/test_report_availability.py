"""The report's availability and equity section and the plan.xlsx sheets, from saved results.

The results are built as a run saves them (``run_results``) on the default network with
targets on three Three Gorges counties: before, the network as it stands; after, with the
candidate ring link Wuxi–Fengjie built. References: the rows themselves (each district's
worst row, the rows that miss, recomputed here), a Gini coefficient written here as the mean
absolute difference over twice the mean (O(n²), not the sorted form the code uses), plotly's
own colour scale, and the topology (which districts the ring touches).
"""

from __future__ import annotations

import copy
import io
import json

import plotly.colors as pcolors
import pytest

import netplan
from netplan.availability import availability, equity
from netplan.availability.results import run_results
from netplan.io.run_dir import RunData
from netplan.report.availability import MAX_MISSES_SHOWN, availability_section
from netplan.report.build import build_report, report_sections
from netplan.report.exports import AVAILABILITY_SHEET, EQUITY_SHEET, workbook_bytes
from netplan.report.geo import feature_name
from netplan.report.i18n import t
from netplan.report.map_style import COLOUR_STEPS, FILL_ALPHA
from netplan.report.mapfig import DISTRICT_COLOURSCALE

RING = "ex-ring-wuxi-fengjie"
# About 3.42 minutes a year of the network alone: Wuxi (3.69) and Fengjie (3.65) miss it to
# the national uplink before the ring and meet it after; Wushan (3.70), off the ring, misses
# it either way.
TARGETS = {"wuxi": 0.9999935, "fengjie": 0.9999935, "wushan": 0.9999935}
PURCHASES = [{"link": RING, "districts": ["wuxi", "fengjie"], "capex_cny": 1_200_000.0}]


@pytest.fixture(scope="module")
def saved():
    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    demand = netplan.build_demand(topo, scenario)
    study = netplan.analyze(topo, scenario, ("none",), demand=demand)
    kwargs = {"demand": demand, "targets": TARGETS, "targets_on": "network"}
    before = availability(topo, scenario, **kwargs)
    after = availability(topo, scenario, built=[RING], **kwargs)
    results = run_results(before, after,
                          equity(topo, scenario, demand=demand, study=study, availability=before),
                          equity(topo, scenario, demand=demand, study=study, availability=after),
                          PURCHASES)
    return json.loads(json.dumps(results))  # as results.json gives it back


@pytest.fixture(scope="module")
def baseline():
    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    return netplan.plan(topo, scenario, sim="none").data


def _with(baseline, extra) -> RunData:
    return RunData(results={**baseline.results, **extra}, arrays=baseline.arrays)


@pytest.fixture(scope="module")
def old_run(baseline):
    """The baseline as a run saved before availability and equity were part of it."""
    results = {k: v for k, v in baseline.results.items() if k not in ("availability", "equity")}
    return RunData(results=results, arrays=baseline.arrays)


@pytest.fixture(scope="module")
def run(baseline, saved):
    return _with(baseline, saved)


def _section(run, lang="en"):
    found = [s for s in report_sections(run, lang) if s.title == t("sec.availability", lang)]
    return found[0] if found else None


@pytest.fixture(scope="module")
def section(run):
    return _section(run, "en")


def _after(saved, part):
    return saved[part]["after"]["rows"]


def _names(run, lang="en"):
    return {n["id"]: (n["name_zh"] if lang == "zh" else n["name"])
            for n in run.results["topology"]["nodes"]}


def _outlined(run) -> dict[str, str]:
    """District id → the outline name the map fills (districts with an outline)."""
    from netplan.report.geo import district_rings

    outlines = {name for name, _ in district_rings()}
    return {n["id"]: feature_name(n["name_zh"]) for n in run.results["topology"]["nodes"]
            if n["kind"] == "district" and feature_name(n["name_zh"]) in outlines}


def _fills(fig) -> dict[str, str]:
    """Outline name → fill colour, on the main map."""
    return {tr.name: tr.fillcolor for tr in fig.data
            if tr.fill == "toself" and (tr.geo or "geo") == "geo"}


def _expected_colours(values: dict[str, float]) -> dict[str, str]:
    """The colour each value takes on plotly's scale from zero to the largest value (both
    maps compare ratios, so their scales start at zero)."""
    low, high = 0.0, max(values.values())
    levels = pcolors.sample_colorscale(pcolors.get_colorscale(DISTRICT_COLOURSCALE),
                                       [i / COLOUR_STEPS for i in range(COLOUR_STEPS + 1)])
    out = {}
    for name, value in values.items():
        rgb = levels[round((value - low) / (high - low) * COLOUR_STEPS)]
        out[name] = rgb.replace("rgb(", "rgba(").replace(")", f", {FILL_ALPHA})")
    return out


def _gini(values) -> float:
    values = [float(v) for v in values]
    n, mean = len(values), sum(values) / len(values)
    return sum(abs(a - b) for a in values for b in values) / (2 * n * n * mean)


# ------------------------------------------------------------------------------ the maps
def test_the_downtime_map_colours_each_district_by_its_worst_row(run, saved, section):
    outlined = _outlined(run)
    worst: dict[str, float] = {}
    for row in _after(saved, "availability"):
        if row["district"] in outlined:  # judged on the network: its downtime
            name = outlined[row["district"]]
            worst[name] = max(worst.get(name, 0.0), row["network_downtime_min_per_year"])
    fig, caption = section.figures[0]
    assert _fills(fig) == _expected_colours(worst)
    (bar,) = [tr for tr in fig.data if tr.marker.showscale]
    assert (bar.marker.cmin, bar.marker.cmax) == (0.0, max(worst.values()))
    assert "estimate" in bar.marker.colorbar.title.text and "estimate" in caption
    # the fill is the figure: of the links only the ring bought is drawn
    links = {text.split("</b>")[0].removeprefix("<b>Link ") for tr in fig.data
             for text in (tr.hovertext or ()) if text.startswith("<b>Link ")}
    assert links == {RING}
    # Wushan, which still misses, is named in bold
    bold = {text for tr in fig.data if tr.name and tr.name.startswith(t("map.labels", "en"))
            and tr.textfont.weight == "bold" for text in tr.text}
    assert bold == {"Wushan"}


def test_the_bandwidth_map_colours_each_district_by_its_extranet_access_per_resident(
        run, saved, section):
    outlined = _outlined(run)
    values = {outlined[r["district"]]: r["access_kbps_per_resident"]
              for r in _after(saved, "equity")
              if r["plane"] == "extranet" and r["district"] in outlined}
    fig, caption = section.figures[1]
    assert _fills(fig) == _expected_colours(values)
    assert "kbit/s" in caption and "estimate" in caption and "Extranet" in caption
    # the figure itself: installed access capacity per resident, from the topology
    topo = run.results["topology"]
    wanzhou = next(n for n in topo["nodes"] if n["id"] == "wanzhou")
    gbps = sum(lk["capacity_gbps"] for lk in topo["links"] if lk["plane"] == "extranet"
               and not lk["candidate"] and "wanzhou" in (lk["a"], lk["b"]))
    assert values["万州区"] == pytest.approx(gbps * 1e6 / wanzhou["population"], rel=1e-12)


# ------------------------------------------------------------------------------ the tables
def _table(section, caption_key, lang="en"):
    return next(tb for tb in section.tables if tb.caption.startswith(t(caption_key, lang)))


def test_the_misses_table_lists_exactly_the_rows_that_miss(run, saved, section):
    names = _names(run)
    missed = [r for r in _after(saved, "availability") if r["meets"] is False]
    # Wushan is off the ring: it still misses to the national uplink; Wuxi and Fengjie meet
    assert [(r["district"], r["destination"]) for r in missed] == [("wushan", "national-uplink")]
    table = _table(section, "avail.table.misses")
    assert [(r["district"], r["destination"]) for r in table.rows] == [
        (names[r["district"]], names[r["destination"]]) for r in missed]
    (shown,) = table.rows
    assert shown["downtime_min"] == missed[0]["network_downtime_min_per_year"]
    assert shown["dominant_cut"] == missed[0]["network_dominant_cut"]
    before = sum(r["meets"] is False for r in saved["availability"]["before"]["rows"])
    assert before == 3
    # three districts with a target, four destinations on the extranet and two on the intranet
    assert any("1 of the 18" in p and f"({before} before the plan)" in p for p in section.text)


def test_a_long_list_of_misses_is_cut_worst_first(baseline, saved):
    many = copy.deepcopy(saved)
    rows = many["availability"]["after"]["rows"]
    for row in rows:
        row.update(target=0.9999999, meets=True if row["judged_lower_bound"] >= 0.9999999
                   else False)
    missed = sorted((r for r in rows if r["meets"] is False),
                    key=lambda r: r["judged_lower_bound"])  # one target: the lowest first
    assert len(missed) > MAX_MISSES_SHOWN
    table = _table(_section(_with(baseline, many)), "avail.table.misses")
    assert [r["judged_availability"] for r in table.rows] == [
        r["judged_lower_bound"] for r in missed[:MAX_MISSES_SHOWN]]
    assert f"{len(missed) - MAX_MISSES_SHOWN} more" in table.caption


def test_without_targets_the_table_gives_the_five_worst_districts(baseline, saved):
    none_set = copy.deepcopy(saved)
    for part in ("before", "after"):
        for row in none_set["availability"][part]["rows"]:
            row.update(target=None, meets=None)
    worst: dict[str, float] = {}
    for row in none_set["availability"]["after"]["rows"]:
        worst[row["district"]] = max(worst.get(row["district"], 0.0),
                                     row["network_downtime_min_per_year"])
    expected = sorted(worst, key=lambda d: -worst[d])[:5]
    run = _with(baseline, none_set)
    section = _section(run)
    table = _table(section, "avail.table.worst")
    names = _names(run)
    assert [r["district"] for r in table.rows] == [names[d] for d in expected]
    assert [r["downtime_min"] for r in table.rows] == [worst[d] for d in expected]
    assert any(p.startswith("No availability target is set") for p in section.text)


def test_the_spread_before_and_after_matches_max_over_min_and_gini(run, saved, section):
    table = _table(section, "avail.table.spread")
    planes = {t(f"plane.{p}", "en"): p for p in ("extranet", "intranet")}
    checked = 0
    for shown in table.rows:
        plane = planes[shown["plane"]]
        figure = next(f for f in ("access_kbps_per_resident", "access_kbps_per_staff",
                                  "worst_hour_utilisation", "downtime_min_per_year",
                                  "network_downtime_min_per_year", "latency_to_dc_ms")
                      if t(f"avail.figure.{f}", "en") == shown["figure"])
        for when in ("before", "after"):
            values = [r[figure] for r in saved["equity"][when]["rows"]
                      if r["plane"] == plane and r[figure] is not None]
            assert shown[f"ratio_{when}"] == pytest.approx(max(values) / min(values), rel=1e-12)
            assert shown[f"gini_{when}"] == pytest.approx(_gini(values), rel=1e-9, abs=1e-15)
        checked += 1
    assert checked == 12  # six figures on each of two planes
    # the ring brings two of the worst counties' network downtime down: a narrower gap
    ring = next(r for r in table.rows if r["plane"] == "Extranet"
                and r["figure"] == t("avail.figure.network_downtime_min_per_year", "en"))
    assert ring["gini_after"] < ring["gini_before"]
    assert ring["change"] == t("avail.change.narrower", "en")


def test_the_purchase_names_its_districts(run, section):
    table = _table(section, "avail.table.purchases")
    assert table.rows == [{"link": RING, "plane": None, "districts": "Wuxi County, Fengjie County",
                           "capex_cny": 1_200_000.0}]
    zh = _table(_section(run, "zh"), "avail.table.purchases", "zh")
    assert zh.rows[0]["districts"] == "巫溪县、奉节县"


# ------------------------------------------------------------------------------ languages, old runs
@pytest.mark.parametrize("lang, heading, estimate", [("zh", "可用性与均衡", "估算"),
                                                     ("en", "Availability and equity", "estimate")])
def test_both_languages_render_the_section(run, lang, heading, estimate):
    page = build_report(run, lang)
    assert heading in page
    section = _section(run, lang)
    assert len(section.figures) == 2 and len(section.tables) == 3
    assert all(estimate in caption for _, caption in section.figures)
    assert all(estimate in table.caption for table in section.tables)


def test_a_run_saved_without_them_renders_without_the_section(old_run):
    for lang in ("zh", "en"):
        assert _section(old_run, lang) is None
        assert t("sec.availability", lang) not in build_report(old_run, lang)


def test_availability_alone_gives_its_map_and_tables(old_run, saved):
    section = availability_section(_with(old_run, {"availability": saved["availability"]}), "en")
    assert len(section.figures) == 1
    assert [tb.caption.split(" ")[0] for tb in section.tables] == ["Pairs", "Candidate"]


# ------------------------------------------------------------------------------ plan.xlsx
def _sheet_rows(book, name):
    sheet = book[name]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_the_workbook_holds_the_rows_after_the_plan(run, saved):
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(run)))
    rows = _sheet_rows(book, AVAILABILITY_SHEET)
    header = rows[0]
    column = {label.split(" ")[0]: j for j, label in enumerate(header)}
    after = _after(saved, "availability")
    before = {(r["district"], r["plane"], r["destination"]): r
              for r in saved["availability"]["before"]["rows"]}
    body = rows[1:1 + len(after)]

    def same(a, b):  # the sheet keeps numbers to 16 significant digits
        return a == pytest.approx(b, rel=1e-15)

    for cells, row in zip(body, after, strict=True):
        assert cells[:5] == [row[k] for k in ("district", "name_zh", "region", "plane",
                                              "destination")]
        assert same(cells[header.index("Availability (estimate) 可用性（估算）")],
                    row["availability"])
        assert same(cells[header.index("Downtime min/yr (estimate) 年断网分钟（估算）")],
                    row["downtime_min_per_year"])
        old = before[(row["district"], row["plane"], row["destination"])]
        assert same(cells[header.index("Network downtime before the plan, min/yr (estimate) "
                                       "采购前网络年断网分钟（估算）")],
                    old["network_downtime_min_per_year"])
        assert cells[column["Meets"]] is row["meets"] or (cells[column["Meets"]] is None
                                                           and row["meets"] is None)
        assert cells[column["Estimate"]] is True
    assert rows[len(after) + 2][:4] == [
        "Candidate link built 新建候选链路", "Districts it brings to target 使之达标的区县",
        "Plane 网络", "Capex CNY (estimate) 建设投资（估算）"]
    assert rows[len(after) + 3][:4] == [RING, "wuxi, fengjie", None, 1_200_000]

    equity_rows = _sheet_rows(book, EQUITY_SHEET)
    eq_after = _after(saved, "equity")
    for cells, row in zip(equity_rows[1:1 + len(eq_after)], eq_after, strict=True):
        assert (cells[0], cells[3]) == (row["district"], row["plane"])
        assert cells[7] == pytest.approx(row["access_kbps_per_resident"], rel=1e-15)
    start = 1 + len(eq_after) + 1
    assert "before and after the plan" in equity_rows[start][0]
    spread_header = equity_rows[start + 1]
    first = equity_rows[start + 2]
    assert first[:2] == ["extranet", "access_kbps_per_resident"]
    values = [r["access_kbps_per_resident"] for r in eq_after if r["plane"] == "extranet"]
    assert first[spread_header.index("Gini after 采购后基尼系数")] == pytest.approx(_gini(values))
    assert first[spread_header.index("Max/min after 采购后最大/最小")] == pytest.approx(
        max(values) / min(values))
    assert any("estimate" in str(r[1]) for r in equity_rows if r and r[0] == "Estimates 估算")


def test_the_workbook_of_an_old_run_has_no_such_sheets(old_run):
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(old_run)))
    assert AVAILABILITY_SHEET not in book.sheetnames and EQUITY_SHEET not in book.sheetnames


# ------------------------------------------------------------------------------ a whole run
def test_a_plan_with_targets_reports_what_it_saved():
    """``plan`` on a scenario with availability targets: the section shows the run's own
    saved rows and purchases (which links it buys is the planner's business)."""
    from netplan.model.scenario import AvailabilityTargets

    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    targets = AvailabilityTargets(targets={k: v * 100 for k, v in TARGETS.items()},
                                  judged_on="network")
    planned = netplan.plan(topo, scenario.model_copy(update={"availability": targets}),
                           sim="none").data
    saved = planned.results["availability"]
    assert saved["purchases"], "the targets are missed as the network stands"
    section = _section(planned)
    names = _names(planned)
    table = _table(section, "avail.table.purchases")
    assert [(r["link"], r["districts"]) for r in table.rows] == [
        (p["link"], ", ".join(names[d] for d in p["districts"])) for p in saved["purchases"]]
    missed = sorted((r for r in saved["after"]["rows"] if r["meets"] is False),
                    key=lambda r: r["judged_lower_bound"] - r["target"])
    if missed:
        shown = _table(section, "avail.table.misses").rows
        assert [r["district"] for r in shown] == [names[r["district"]] for r in missed]
    before = sum(r["meets"] is False for r in saved["before"]["rows"])
    assert any(f"{len(missed)} of the 18" in p and f"({before} before the plan)" in p
               for p in section.text)
    assert t("sec.availability", "zh") in build_report(planned, "zh")
