"""The network map people read: names on the map, the central inset, colours and hover boxes.

References: the baseline run's own records (which links are over target, what the plan
buys) and what the scenario is known to need (the two Wanzhou extranet links go from 1 to
2 Gbit/s; the Internet exit link is bought too); plotly's own colour scales; the WCAG
formula for relative luminance; hand-placed boxes for the label placement; and, in the
browser, the boxes Chromium gives the labels it drew.
"""

from __future__ import annotations

import colorsys
import json
import math

import plotly.colors as pcolors
import pytest

import netplan
from netplan.errors import ValidationError
from netplan.report import mapfig
from netplan.report.build import report_sections
from netplan.report.i18n import t
from netplan.report.map_style import place_labels
from netplan.report.mapfig import LINK_COLOURSCALE, network_map

#: The main urban area: sites within about 20 km of Yuzhong.
CENTRAL = ("yuzhong", "jiangbei", "yubei", "nanan", "core-1", "core-2", "internet-exit")
BOUGHT = ("ex-internet-1", "ex-wanzhou-1", "ex-wanzhou-2")


@pytest.fixture(scope="module")
def baseline():
    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    return netplan.plan(topo, scenario, sim="none").data


def _map_of(run, lang):
    (section,) = [s for s in report_sections(run, lang) if s.title == t("sec.map", lang)]
    figure = section.figures[0]
    return figure[0] if isinstance(figure, tuple) else figure


@pytest.fixture(scope="module")
def zh_map(baseline):
    return _map_of(baseline, "zh")


@pytest.fixture(scope="module")
def en_map(baseline):
    return _map_of(baseline, "en")


def _nodes(run) -> dict[str, dict]:
    return {n["id"]: n for n in run.results["topology"]["nodes"]}


def _labels(fig, name: str, subplot: str | None = None) -> dict[str, dict]:
    """Label text → its trace's font, for the label traces named ``name``."""
    out = {}
    for tr in fig.data:
        if tr.name and tr.name.startswith(name) and (subplot is None or (tr.geo or "geo") == subplot):
            for text in tr.text:
                out[text] = tr.textfont
    return out


# ------------------------------------------------------------------------------ names
def test_the_baseline_links_over_target_are_the_ones_it_buys(baseline):
    worst = baseline.results["analysis"]["worst_case"]
    over = {r["link"] for r in worst if r["over_target"]}
    bought = {r["id"] for r in baseline.results["plan"]["rows"] if r["purchase"]}
    assert over == bought == set(BOUGHT)


@pytest.mark.parametrize("lang, wanzhou", [("zh", "万州区"), ("en", "Wanzhou")])
def test_districts_at_risk_are_labelled_in_bold_in_the_report_language(
    baseline, zh_map, en_map, lang, wanzhou
):
    fig = zh_map if lang == "zh" else en_map
    labels = _labels(fig, t("map.labels", lang))
    # Wanzhou ends both over-target links and buys; it is labelled first, in bold
    assert labels[wanzhou].weight == "bold"
    strong = {text for text, font in labels.items() if font.weight == "bold"}
    assert strong == {wanzhou}
    # the large outer counties are named too (in the report's language only)
    expected = {"zh": ("城口县", "巫溪县", "酉阳县"), "en": ("Chengkou", "Wuxi", "Youyang")}[lang]
    assert set(expected) <= set(labels)
    other = {"zh": "Chengkou", "en": "城口县"}[lang]
    assert other not in json.dumps([tr.text for tr in fig.data if tr.text], ensure_ascii=False)


def test_links_over_target_are_thicker_and_carry_their_id(zh_map):
    ids = set(_labels(zh_map, t("map.link_ids", "zh")))
    assert ids == set(BOUGHT)  # each one placed, on the main map or in the inset
    widths = {}
    for tr in zh_map.data:
        if tr.mode == "lines" and tr.legendgroup in ("extranet", "intranet", "over_target"):
            if (tr.geo or "geo") == "geo":
                widths.setdefault(tr.legendgroup, set()).add(tr.line.width)
    assert min(widths["over_target"]) > max(widths["extranet"] | widths["intranet"])


def test_label_placement_skips_a_label_that_would_overlap():
    # two labels wanted at the same spot: the first (more important) one wins; the second
    # takes its second place; a third, with only that spot, is left out; none may cover
    # the obstacle at (30, 0)
    first = [(0, 0, 20, 10)]
    second = [(10, 5, 30, 15), (0, 12, 20, 22)]
    third = [(5, 0, 15, 10), (30, 0, 40, 10)]
    assert place_labels([first, second, third], obstacles=[(31, 1, 33, 3)]) == [0, 1, None]
    # the panel's bounds keep a label from running off the map
    assert place_labels([[(-5, 0, 5, 10), (0, 0, 10, 10)]], bounds=(0, 0, 100, 100)) == [1]


def test_a_crowded_spot_keeps_the_labels_that_fit_most_important_first():
    # eight districts in one spot, all names three characters long: each tries the same
    # places, so once one finds none free, none after it does. The names kept are the
    # largest districts' (published areas, tests/data/geo/district_seats.csv: 奉节 4098,
    # 巫溪 4030, 开州 3959, 云阳 3634, 万州 3457, 城口 3289, 巫山 2958, 渝中 22 km²), unless
    # one is at risk: it goes first
    by_area = ("奉节县", "巫溪县", "开州区", "云阳县", "万州区", "城口县", "巫山县", "渝中区")
    nodes = [
        {"id": f"d{i}", "name": f"D{i}", "name_zh": name, "kind": "district",
         "lat": 31.0, "lon": 109.0}
        for i, name in enumerate(reversed(by_area))
    ]
    fig = network_map(nodes, [], "zh", inset=False)
    kept = set(_labels(fig, t("map.labels", "zh")))
    assert 2 <= len(kept) < len(by_area)
    assert kept == set(by_area[: len(kept)])
    fig = network_map(nodes, [], "zh", inset=False, highlight_nodes=["d0"])  # 渝中区
    labels = _labels(fig, t("map.labels", "zh"))
    assert labels["渝中区"].weight == "bold"
    assert set(labels) == {"渝中区", *by_area[: len(kept) - 1]}


# ------------------------------------------------------------------------------ inset
def test_the_inset_holds_the_central_nodes_and_zooms_in(baseline, zh_map):
    layout = zh_map.layout
    assert layout.geo2 is not None and layout.geo2.domain.x[0] >= layout.geo.domain.x[1]
    lon0, lon1 = layout.geo2.lonaxis.range
    lat0, lat1 = layout.geo2.lataxis.range
    nodes = _nodes(baseline)
    inset_points = {
        (x, y)
        for tr in zh_map.data
        if tr.geo == "geo2" and tr.mode == "markers" and tr.hoverinfo == "text"
        for x, y in zip(tr.lon, tr.lat, strict=True)
    }
    for node_id in CENTRAL:
        node = nodes[node_id]
        assert lon0 <= node["lon"] <= lon1 and lat0 <= node["lat"] <= lat1, node_id
        assert (node["lon"], node["lat"]) in inset_points, node_id
    wanzhou = nodes["wanzhou"]
    assert not (lon0 <= wanzhou["lon"] <= lon1 and lat0 <= wanzhou["lat"] <= lat1)
    # px per degree of longitude, inset over main: Yuzhong and Jiangbei (5.7 km apart, about
    # 7 px on the main map) are at least six times as far apart in the inset
    main_lon0, main_lon1 = layout.geo.lonaxis.range
    main_w = layout.geo.domain.x[1] - layout.geo.domain.x[0]
    inset_w = layout.geo2.domain.x[1] - layout.geo2.domain.x[0]
    assert (inset_w / (lon1 - lon0)) / (main_w / (main_lon1 - main_lon0)) >= 6
    # the central districts are named in the inset
    named = set(_labels(zh_map, t("map.labels", "zh"), "geo2"))
    assert {"渝中区", "江北区", "渝北区"} <= named


def test_no_inset_without_a_crowded_centre():
    nodes = [
        {"id": "a", "name": "A", "name_zh": "甲", "kind": "core", "lat": 29.56, "lon": 106.55},
        {"id": "b", "name": "B", "name_zh": "乙", "kind": "district", "lat": 30.81,
         "lon": 108.41},
    ]
    fig = network_map(nodes, [{"id": "l", "a": "a", "b": "b", "plane": "extranet"}], "en")
    assert "geo2" not in fig.layout.to_plotly_json()
    assert not any(tr.geo == "geo2" for tr in fig.data)
    assert tuple(fig.layout.geo.domain.x) == (0.0, 1.0)


# ---------------------------------------------------------------------------- colours
def _rgb(colour: str) -> tuple[float, float, float]:
    if colour.startswith("#"):
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    inner = colour[colour.index("(") + 1 : colour.index(")")].split(",")
    return tuple(float(v) for v in inner[:3])


def _luminance(rgb) -> float:
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _load_colours() -> list[tuple[float, float, float]]:
    scale = pcolors.get_colorscale(LINK_COLOURSCALE)
    return [_rgb(c) for c in pcolors.sample_colorscale(scale, [i / 100 for i in range(101)])]


def test_the_load_scale_is_one_hue_getting_darker():
    colours = _load_colours()
    lum = [_luminance(c) for c in colours]
    # lightness alone carries the value: it reads the same with any colour blindness
    assert all(b < a for a, b in zip(lum, lum[1:], strict=False))
    hues = [colorsys.rgb_to_hls(*(v / 255 for v in c))[0] * 360 for c in colours]
    spread = max(min(abs(h - k), 360 - abs(h - k)) for h in hues for k in hues)
    assert spread < 45  # one hue family, not a rainbow


def test_no_legend_entry_uses_a_load_colour(zh_map, en_map):
    ramp = _load_colours()
    for fig in (zh_map, en_map):
        legend = [tr for tr in fig.data if tr.showlegend is not False and (tr.geo or "geo") == "geo"]
        assert legend
        for tr in legend:
            colours = [c for c in (tr.line.color, tr.marker.color) if isinstance(c, str)]
            for colour in colours:
                nearest = min(math.dist(_rgb(colour), c) for c in ramp)
                assert nearest > 60, (tr.name, colour)


def test_the_planes_differ_by_line_style_not_colour(en_map):
    entries = {tr.name: tr for tr in en_map.data if tr.showlegend is not False}
    extranet, intranet = entries["Extranet"], entries["Intranet"]
    assert extranet.line.color == intranet.line.color
    assert (extranet.line.dash, intranet.line.dash) == ("solid", "dash")


def test_link_colours_follow_the_colour_bar(baseline, zh_map):
    (bar,) = [tr for tr in zh_map.data if tr.marker.showscale and tr.name == t("map.link", "zh")]
    expected = pcolors.get_colorscale(LINK_COLOURSCALE)
    assert [colour for _, colour in bar.marker.colorscale] == [c for _, c in expected]
    assert [at for at, _ in bar.marker.colorscale] == pytest.approx([at for at, _ in expected])
    # Full at 100 %, or at the worst link when one is over 100 % before the plan.
    worst = max(row["worst_utilisation"] for row in baseline.results["analysis"]["worst_case"])
    assert bar.marker.cmin == 0.0 and bar.marker.cmax == pytest.approx(max(1.0, worst))
    assert bar.marker.colorbar.title.text == t("map.worst_utilisation", "zh")


# ------------------------------------------------------------------------------- hover
def _hover(fig, link_id: str) -> str:
    (text,) = [
        h for tr in fig.data if tr.name == t("map.link", "zh") or tr.name == t("map.link", "en")
        for h in tr.hovertext if h.split("</b>")[0].endswith(f" {link_id}")
    ]
    return text


def test_hover_of_a_bought_link_gives_capacity_before_and_after_the_plan(baseline, zh_map, en_map):
    rows = {r["id"]: r for r in baseline.results["plan"]["rows"] if r["item"] == "link"}
    worst = {r["link"]: r for r in baseline.results["analysis"]["worst_case"]}
    text = _hover(zh_map, "ex-wanzhou-1").split("<br>")
    assert text[0] == "<b>链路 ex-wanzhou-1</b>"
    assert text[1] == "网络: 政务外网"
    assert text[2] == "万州区 — 市级核心节点一"
    assert "规划前容量: 1 Gbit/s" in text
    assert "规划后容量（2026 年）: 2 Gbit/s (+1 Gbit/s)" in text
    assert f"最高利用率: {worst['ex-wanzhou-1']['worst_utilisation']:.0%}" in text
    assert text[-1] == "原因: 故障 link:ex-wanzhou-2, 2026 10:00"
    for link in BOUGHT:
        after = rows[link]["capacity_gbps"]
        assert after > worst[link]["capacity_gbps"]
        en = _hover(en_map, link)
        assert f"Capacity after the plan (2026): {after:g} Gbit/s" in en, link
    # a link the plan leaves alone keeps its capacity
    kept = next(r for r in rows.values() if not r["purchase"])
    assert f"Capacity after the plan (2026): {kept['capacity_gbps']:g} Gbit/s<br>" in _hover(
        en_map, kept["id"]
    )


def test_highlights_of_unknown_ids_are_reported():
    nodes = [{"id": "a", "name": "A", "kind": "core", "lat": 29.5, "lon": 106.5}]
    with pytest.raises(ValidationError) as info:
        network_map(nodes, [], highlight_links=["x"], highlight_nodes=["y"],
                    link_info={"z": [("a", "b")]})
    assert {p.field for p in info.value.problems} == {
        "highlight_links['x']", "highlight_nodes['y']", "link_info['z']"}


def test_short_names_on_the_map():
    assert mapfig.short_name("Youyang Tujia and Miao Autonomous County", "酉阳土家族苗族自治县",
                             "zh") == "酉阳县"
    assert mapfig.short_name("Wansheng Economic and Technological Development Zone",
                             "万盛经济技术开发区", "zh") == "万盛经开区"
    assert mapfig.short_name("Nan'an District", "南岸区", "en") == "Nan'an"
    assert mapfig.short_name("Liangjiang New Area", "两江新区", "en") == "Liangjiang"


# ----------------------------------------------------------------------------- browser
LABEL_BOXES_JS = """() => {
  const gd = document.getElementById('netplan-fig-1');
  const out = [];
  gd.querySelectorAll('.geolayer g.trace.scattergeo text').forEach(el => {
    const r = el.getBoundingClientRect();
    if (el.textContent && r.width > 0) out.push([el.textContent, r.left, r.top, r.right, r.bottom]);
  });
  return {labels: out, geos: gd.querySelectorAll('.geolayer g.geo').length};
}"""


@pytest.mark.browser
def test_drawn_labels_do_not_overlap(baseline, tmp_path):
    from browser import browser_unavailable, open_in_browser

    if browser_unavailable():
        pytest.skip(browser_unavailable())
    from netplan.report.html import render_page

    page = tmp_path / "map.html"
    fig = _map_of(baseline, "zh")
    page.write_text(render_page("map", [{"title": "m", "text": "", "figures": [fig]}], "zh"),
                    encoding="utf-8")
    _, errors, info = open_in_browser(page, evaluate=LABEL_BOXES_JS)
    assert errors == []
    drawn = info["evaluated"]
    assert drawn["geos"] == 2
    labels = drawn["labels"]
    assert "万州区" in {text for text, *_ in labels}
    for i, (a, *box_a) in enumerate(labels):
        for b, *box_b in labels[i + 1 :]:
            overlap_x = min(box_a[2], box_b[2]) - max(box_a[0], box_b[0])
            overlap_y = min(box_a[3], box_b[3]) - max(box_a[1], box_b[1])
            assert overlap_x <= 1 or overlap_y <= 1, (a, b)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_map_built_unvalidated_is_what_plotly_validation_gives(lang, zh_map, en_map):
    """The map skips plotly's per-property checks for speed: plotly's full validation of the
    same figure must accept every property and change nothing (named colour scales and the
    template included)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    fig = zh_map if lang == "zh" else en_map
    validated = go.Figure(fig.to_dict())
    assert json.loads(pio.to_json(fig)) == json.loads(pio.to_json(validated))
