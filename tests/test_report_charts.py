"""The report's charts carry information and its numbers read right in each language.

References: the scenario files (a baseline of one year, five years of growth), hand-computed
amounts (60,000 元 = 6.0 万元), the rule that a log-axis tick is 1, 2 or 5 times a power of
ten, and the plan's own rows and costs for which years and districts have purchases.
"""

from __future__ import annotations

import math
import re

import pytest

import netplan
from netplan.report.build import report_sections
from netplan.report.figures import lost_demand_bars, worst_case_bars
from netplan.report.html import format_cell, plotly_js
from netplan.report.i18n import t
from netplan.report.numbers import format_money, log_ticks
from netplan.report.planfigs import cost_per_district
from netplan.report.simfigs import blocking_figure, response_figure

LANGS = ("zh", "en")


def _run(name: str):
    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path(name), topo)
    return netplan.plan(topo, scenario, sim="analytic")


@pytest.fixture(scope="module")
def baseline():
    return _run("baseline")


@pytest.fixture(scope="module")
def growth():
    return _run("growth-5y")


def _figures(section):
    return [f[0] if isinstance(f, tuple) else f for f in section.figures]


def _section(run, lang: str, key: str):
    title = t(key, lang)
    (section,) = [s for s in report_sections(run.data, lang) if s.title == title]
    return section


def _drawn_values(trace) -> list[float]:
    """The numbers a trace draws as lengths, heights or colours; target marks and legend
    entries draw none of the data."""
    if trace.type == "scatter" and (trace.mode == "markers"
                                    or all(x is None for x in (trace.x or [None]))):
        return []
    if trace.type == "bar":
        values = trace.x if trace.orientation == "h" else trace.y
    elif trace.type == "heatmap":
        values = [v for row in trace.z for v in row]
    else:
        values = trace.y
    return [float(v) for v in (values if values is not None else ()) if v is not None]


def _is_power_step(value: float) -> bool:
    exponent = math.floor(math.log10(value) + 1e-9)
    mantissa = value / 10.0**exponent
    return any(math.isclose(mantissa, m, rel_tol=1e-9) for m in (1, 2, 5))


def _tick_number(text: str) -> float:
    """A tick label back to its number: decimals, or m×10ⁿ with superscript digits."""
    sup = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
    if "10" in text and any(c in text for c in "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"):
        mantissa, _, power = text.partition("×") if "×" in text else ("1", "", text)
        return float(mantissa) * 10.0 ** int(power[2:].translate(sup))
    return float(text.replace(",", ""))


# ------------------------------------------------------------------ no empty chart
@pytest.mark.parametrize("lang", LANGS)
def test_no_figure_draws_only_zeros(baseline, growth, lang):
    for run in (baseline, growth):
        for section in report_sections(run.data, lang):
            for fig in _figures(section):
                if any(tr.type == "scattergeo" for tr in fig.data):
                    continue  # the map draws places, not amounts
                values = [v for tr in fig.data for v in _drawn_values(tr)]
                assert values and any(v != 0 for v in values), (section.title, fig.layout.title)


def test_nothing_blocked_is_said_not_drawn(baseline):
    sim = baseline.data.results["simulation"]
    streams = [r for r in sim["services"] if r["kind"] == "stream"]
    assert streams and all(r["blocking"]["mean"] == 0 for r in streams)
    assert blocking_figure(streams, "en") is None
    section = _section(baseline, "en", "sec.sim")
    titles = [f.layout.title.text for f in _figures(section)]
    assert not any("Blocking" in title for title in titles)
    note = [p for p in section.paragraphs() if p.startswith("Blocking is 0")]
    assert len(note) == 1 and all(r["service"] in note[0] for r in streams)
    blocked = [{**streams[0], "blocking": {"mean": 0.004, "ci_low": 0.003, "ci_high": 0.005,
                                            "n": 3, "method": "simulation"}}]
    assert list(blocking_figure(blocked, "en").data[0].y) == [0.004]


def test_no_lost_demand_is_a_sentence_not_an_empty_table(baseline):
    assert baseline.data.results["analysis"]["lost_demand"] == []
    section = _section(baseline, "en", "sec.failures")
    assert t("txt.no_lost", "en") in section.paragraphs()
    assert list(section.tables) == []


# ----------------------------------------------------------------------- log axes
def test_log_axes_have_readable_explicit_ticks(baseline):
    seen = 0
    for lang in LANGS:
        for section in report_sections(baseline.data, lang):
            for fig in _figures(section):
                layout = fig.layout.to_plotly_json()
                for name, axis in layout.items():
                    if not re.fullmatch(r"[xy]axis\d*", name) or axis.get("type") != "log":
                        continue
                    seen += 1
                    vals, text = axis["tickvals"], axis["ticktext"]
                    assert axis["tickmode"] == "array" and len(vals) >= 2
                    assert all(_is_power_step(v) for v in vals), vals
                    assert vals == sorted(set(vals))
                    assert [_tick_number(s) for s in text] == pytest.approx(vals)
    assert seen == 2  # the response-time chart, in both languages


def test_log_ticks_cover_the_values_with_whole_steps():
    # 2 ms to 2.04 s spans three decades: powers of ten only, 1 ms to 10 s
    vals, text, axis_range = log_ticks([0.002, 2.04, None, 0.0])
    assert text == ["0.001", "0.01", "0.1", "1", "10"]
    assert axis_range[0] < math.log10(0.002) and axis_range[1] > math.log10(2.04)
    # 40 ms to 2 s: 1-2-5 steps from 20 ms to 2 s
    assert log_ticks([0.04, 2.0])[1] == ["0.02", "0.05", "0.1", "0.2", "0.5", "1", "2"]
    assert log_ticks([3e-6, 4e-5])[1] == ["2×10⁻⁶", "5×10⁻⁶", "10⁻⁵", "2×10⁻⁵", "5×10⁻⁵"]


def test_response_chart_axis_spans_every_value_and_target():
    stat = {"mean": 0.004, "ci_low": 0.003, "ci_high": 0.005, "n": 3, "method": "simulation"}
    none = {"mean": None, "ci_low": None, "ci_high": None, "n": 0, "method": "none"}
    row = {"service": "web", "hour": 10, "kind": "request", "target_response_s": 30.0,
           "response_mean_s": stat, "response_p50_s": none, "response_p95_s": none,
           "response_p99_s": none}
    axis = response_figure([row], "en").layout.yaxis
    assert 10 ** axis.range[0] < 0.003 and 10 ** axis.range[1] > 30.0
    assert list(axis.ticktext) == ["0.001", "0.01", "0.1", "1", "10", "100"]


# ------------------------------------------------------------ labels that fit
def test_long_labels_are_cut_and_shown_whole_in_the_hover():
    long_failure = "srlg:" + "-".join(["conduit"] * 8)
    row = {"scenario": "s", "plane": "extranet", "failure": long_failure, "origin": "x",
           "destination": "y", "lost_gbps": 2.0}
    bar = lost_demand_bars([row], "en").data[0]
    assert len(bar.y[0]) <= 36 and bar.y[0].endswith("…")
    assert long_failure in bar.customdata[0]


def test_cause_labels_have_room_right_of_the_longest_bar():
    rows = [{"link": "a-b", "plane": "extranet", "worst_utilisation": 1.4,
             "normal_utilisation": 0.6, "cause_failure": "link:c-d", "cause_year": 2026,
             "cause_hour": 10}]
    fig = worst_case_bars(rows, "en")
    assert fig.layout.xaxis.range[1] >= 1.4 * 1.2
    # the no-failure bar is drawn last, so the longer worst bar does not hide it
    assert [tr.x[0] for tr in fig.data if tr.type == "bar"] == [1.4, 0.6]
    # each target line has a legend entry naming it
    targets = [tr.name for tr in fig.data if tr.type == "scatter"]
    assert targets == ["Target: No failure ≤ 70%", "Target: Under failure ≤ 90%"]


def test_district_costs_are_horizontal_and_leave_out_districts_without_cost(baseline):
    costs = baseline.data.results["plan"]["costs"]
    spent = {d for d, v in costs["per_district"].items() if v}
    assert spent == {"municipal", "wanzhou"}
    fig = cost_per_district(costs, "en", names={"wanzhou": "Wanzhou District"})
    bar = fig.data[0]
    assert bar.orientation == "h"
    assert set(bar.y) == {"Wanzhou District", t("plan.municipal", "en")}
    # largest on top: plotly draws the last category at the top
    assert list(bar.x) == sorted(bar.x)


# ------------------------------------------------------------------ per-year charts
def _year_bar_charts(run, lang: str) -> list:
    years = {str(y) for y in run.data.results["inputs"]["years"]}
    return [fig for fig in _figures(_section(run, lang, "sec.plan"))
            if any(tr.type == "bar" and tr.x is not None and set(tr.x) <= years
                   and len(tr.x) for tr in fig.data)]


@pytest.mark.parametrize("lang", LANGS)
def test_a_single_year_gets_a_sentence_not_a_one_bar_chart(baseline, lang):
    assert baseline.data.results["inputs"]["years"] == [2026]
    assert _year_bar_charts(baseline, lang) == []
    section = _section(baseline, lang, "sec.plan")
    assert t("plan.one_year", lang).format(year="2026") in section.paragraphs()
    # no rack is added and there is one year: racks are said in words, not drawn
    assert not any(t("plan.racks", lang) == (f.layout.yaxis.title.text or "")
                   for f in _figures(section))
    assert any(p.startswith(t("plan.racks_same", lang)[:6]) for p in section.paragraphs())


@pytest.mark.parametrize("lang", LANGS)
def test_several_years_get_per_year_charts(growth, lang):
    years = [str(y) for y in range(2026, 2032)]
    assert [str(y) for y in growth.data.results["inputs"]["years"]] == years
    charts = _year_bar_charts(growth, lang)
    assert len(charts) == 2  # purchases per year, and capex with added opex per year
    for fig in charts:
        assert all(list(tr.x) == years for tr in fig.data)
    capex = growth.data.results["plan"]["costs"]["purchases"]["capex_per_year_cny"]
    scale = 1e4 if lang == "zh" else 1.0
    timeline = charts[0]
    per_year = [sum(tr.y[i] for tr in timeline.data) for i in range(len(years))]
    assert per_year == pytest.approx([capex[y] / scale for y in years])


# ---------------------------------------------------------------- numbers as text
@pytest.mark.parametrize("lang", LANGS)
def test_no_year_gets_a_thousands_separator(baseline, growth, lang):
    year_with_comma = re.compile(r"(?<![\d,.])2,0[2-9]\d(?![\d,])")
    for run in (baseline, growth):
        page = run.report_html(lang).replace(plotly_js(), "")  # tables, text, figure JSON
        assert "2,026" not in page
        assert not year_with_comma.search(page)
        bought_in = {r["year"] for r in run.data.results["plan"]["rows"] if r["purchase"]}
        assert bought_in
        for year in bought_in:
            assert f">{year}<" in page  # the bill's year cell holds the year as written


def test_money_reads_in_yuan_and_wan_yuan_in_chinese(growth):
    rows = [r for r in growth.data.results["plan"]["rows"] if r["purchase"]]
    tiers = {r["capex_cny"] for r in rows}
    assert {60_000.0, 150_000.0} <= tiers
    zh, en = growth.report_html("zh"), growth.report_html("en")
    # 60,000 元 is 6.0 万元; 150,000 元 is 15.0 万元
    assert '<td class="num">6.0 万元</td>' in zh and '<td class="num">15.0 万元</td>' in zh
    assert '<td class="num">60,000 CNY</td>' in en and '<td class="num">150,000 CNY</td>' in en
    assert "CNY</td>" not in zh
    zh_axes = [fig.layout.yaxis.title.text for fig in _year_bar_charts(growth, "zh")]
    assert zh_axes and all(title.endswith("（万元）") for title in zh_axes)
    en_axes = [fig.layout.yaxis.title.text for fig in _year_bar_charts(growth, "en")]
    assert all(title.endswith("(CNY)") for title in en_axes)
    hover = [h for fig in _year_bar_charts(growth, "zh") for tr in fig.data for h in tr.customdata]
    assert hover and all("万元" in h or h.endswith(" 元") or "元（" in h for h in hover)


def test_format_money_by_hand():
    assert format_money(1_790_000, "en") == "1,790,000 CNY"
    assert format_money(1_790_000, "zh") == "179.0 万元"
    assert format_money(9_999, "zh") == "9,999 元"
    assert format_money(10_000, "zh") == "1.0 万元"
    assert format_money(424_252_471.81, "zh") == "42,425.2 万元"


def test_table_cells_follow_their_column():
    assert format_cell(2026, "en", column="year") == ("2026", True)
    assert format_cell(2031, "zh", column="cause_year") == ("2031", True)
    assert format_cell(20261128, "en", column="seed") == ("20261128", True)
    assert format_cell(12000, "en", column="modules") == ("12,000", True)
    assert format_cell(1500, "en", column="racks") == ("1500", True)
    assert format_cell(0.9126, "en", column="worst_utilisation") == ("91.3%", True)
    assert format_cell(178_113.2, "zh", ",.0f", column="marginal_cost_cny") == ("17.8 万元", True)
    assert format_cell(178_113.2, "en", ",.0f", column="marginal_cost_cny") == (
        "178,113 CNY", True)
