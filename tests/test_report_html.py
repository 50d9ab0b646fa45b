"""The offline page, its labels and the network map figure (without a browser).

References: the standard library's HTML parser decides what is markup and what is text;
``hashlib`` recomputes the Content Security Policy hashes; plotly's own colour scales give
the expected end colours; the input records give the expected coordinates.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import plotly.colors as pcolors
import plotly.graph_objects as go
import pytest

from netplan.errors import NetplanError, ValidationError
from netplan.report import i18n
from netplan.report.html import (
    Section,
    Table,
    figure_json,
    format_cell,
    plotly_js,
    render_page,
    render_table,
    script_json,
)
from netplan.report.mapfig import LINK_COLOURSCALE, NODE_STYLE, network_map

EVIL_IMG = "<img src=x onerror=alert(1)>"
EVIL_SCRIPT = "</script><script>alert(2)</script><!--"


class _Doc(HTMLParser):
    """Start tags, text and script bodies of a page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.scripts: list[tuple[dict, str]] = []
        self._in_script: dict | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)
        else:
            self.text.append(data)


def parse(page: str) -> _Doc:
    doc = _Doc()
    doc.feed(page)
    doc.close()
    return doc


def small_nodes() -> list[dict]:
    return [
        {
            "id": "core-1",
            "name": "Core 1",
            "name_zh": "核心一",
            "kind": "core",
            "lat": 29.56,
            "lon": 106.55,
        },
        {
            "id": "dc",
            "name": "Cloud DC",
            "name_zh": "政务云",
            "kind": "data_centre",
            "lat": 29.75,
            "lon": 106.48,
        },
        {
            "id": "exit",
            "name": "Exit",
            "name_zh": "出口",
            "kind": "internet_exit",
            "lat": 29.56,
            "lon": 106.56,
        },
        {
            "id": "wanzhou",
            "name": "Wanzhou",
            "name_zh": "万州区",
            "kind": "district",
            "lat": 30.8079,
            "lon": 108.4087,
        },
        {
            "id": "liangping",
            "name": "Liangping",
            "name_zh": "梁平区",
            "kind": "district",
            "lat": 30.6737,
            "lon": 107.8024,
        },
        {
            "id": "evil",
            "name": EVIL_IMG,
            "name_zh": EVIL_IMG,
            "kind": "district",
            "lat": 29.5531,
            "lon": 106.5686,
        },
        {
            "id": "liangjiang",
            "name": "Liangjiang",
            "name_zh": "两江新区",
            "kind": "district",
            "lat": 29.64,
            "lon": 106.51,
        },
    ]


def small_links() -> list[dict]:
    return [
        {"id": "ex-wz", "a": "wanzhou", "b": "core-1", "plane": "extranet"},
        {"id": "in-wz", "a": "wanzhou", "b": "core-1", "plane": "intranet"},
        {"id": "ex-lp", "a": "liangping", "b": "core-1", "plane": "extranet"},
        {"id": "ex-dc", "a": "dc", "b": "core-1", "plane": "extranet"},
        {"id": "ex-evil", "a": "evil", "b": "core-1", "plane": "extranet"},
        {"id": "ex-exit", "a": "exit", "b": "core-1", "plane": "extranet"},
    ]


def evil_page(lang: str = "en", **kw) -> str:
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], hovertext=[EVIL_SCRIPT, EVIL_IMG]))
    sections = [
        Section(
            EVIL_IMG,
            [EVIL_SCRIPT, "plain"],
            [(fig, EVIL_IMG)],
            [Table([{"name": EVIL_IMG, EVIL_SCRIPT: 3}], caption=EVIL_IMG)],
        ),
        {"title": "second", "text": "x", "figures": [go.Figure(go.Scatter(x=[1], y=[1]))]},
    ]
    kw.setdefault("estimates", [EVIL_IMG])
    return render_page(EVIL_SCRIPT, sections, lang, EVIL_IMG, subtitle=EVIL_IMG, **kw)


# ----------------------------------------------------------------------------- i18n
def test_every_label_has_both_languages():
    assert i18n.LANGS == ("zh", "en")
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for key, labels in i18n.LABELS.items():
        assert set(labels) == set(i18n.LANGS), key
        assert labels["zh"].strip() and labels["en"].strip(), key
        assert cjk.search(labels["zh"]), key
        assert not cjk.search(labels["en"]), key
        assert i18n.t(key, "zh") == labels["zh"] and i18n.t(key, "en") == labels["en"]


def test_labels_cover_every_node_kind_and_plane():
    from netplan.model.topology import NODE_KINDS, PLANES

    for kind in NODE_KINDS:
        assert i18n.t(f"kind.{kind}", "en")
    for plane in PLANES:
        assert i18n.t(f"plane.{plane}", "zh")
    assert set(NODE_STYLE) == set(NODE_KINDS)


def test_unknown_language_or_key_is_a_clear_error():
    with pytest.raises(NetplanError, match="unknown language 'fr'.*zh, en"):
        i18n.t("plane.extranet", "fr")
    with pytest.raises(NetplanError, match="no label 'nope'"):
        i18n.t("nope", "en")
    with pytest.raises(NetplanError, match="unknown language"):
        render_page("t", [], "de")
    with pytest.raises(NetplanError, match="unknown language"):
        network_map(small_nodes(), small_links(), lang="ZH")
    with pytest.raises(TypeError):
        i18n.LABELS["x"] = {}  # read-only


# ------------------------------------------------------------------------ the page
def test_input_strings_are_text_never_markup():
    page = evil_page()
    doc = parse(page)
    tags = [tag for tag, _ in doc.tags]
    assert "img" not in tags
    assert set(tags) <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "h1",
        "p",
        "nav",
        "strong",
        "ol",
        "li",
        "a",
        "section",
        "h2",
        "figure",
        "div",
        "script",
        "figcaption",
        "table",
        "caption",
        "thead",
        "tr",
        "th",
        "tbody",
        "td",
        "footer",
        "ul",
        "code",
    }
    text = "".join(doc.text)
    assert text.count(EVIL_IMG) >= 6  # subtitle, heading, toc, caption, cell, footer
    assert EVIL_SCRIPT in text
    # every script is one of ours: plotly.js, the figure data, the config, the boot code
    kinds = [attrs.get("type", "js") for attrs, _ in doc.scripts]
    assert kinds.count("js") == 2 and kinds.count("application/json") == 3
    figure_blocks = [json.loads(b) for a, b in doc.scripts if "data-netplan-figure" in a]
    assert figure_blocks[0]["data"][0]["hovertext"] == [EVIL_SCRIPT, EVIL_IMG]  # data, intact


def test_the_title_element_holds_the_escaped_title():
    page = evil_page()
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "<" not in title and "&lt;/script&gt;" in title


def test_embedded_json_cannot_close_its_script_and_round_trips():
    fig = go.Figure(go.Scatter(x=[1], y=[2], text=[EVIL_SCRIPT], name="\u2028<!--&"))
    text = figure_json(fig)
    for bad in ("</", "<!--", "<", ">", "&", "\u2028"):
        assert bad not in text
    data = json.loads(text)
    assert data["data"][0]["text"] == [EVIL_SCRIPT]
    assert data["data"][0]["name"] == "\u2028<!--&"
    assert json.loads(script_json({"k": EVIL_SCRIPT})) == {"k": EVIL_SCRIPT}
    page = evil_page()
    for attrs, body in parse(page).scripts:
        if attrs.get("type") == "application/json":
            json.loads(body)  # each block is complete: nothing in it ended the element early


def test_figure_data_in_the_page_equals_the_figure():
    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], hovertext=[EVIL_IMG, "b"]))
    page = render_page("t", [Section("s", "", [fig])], "en")
    blocks = [b for a, b in parse(page).scripts if "data-netplan-figure" in a]
    assert len(blocks) == 1
    assert json.loads(blocks[0]) == json.loads(fig.to_json())


def test_plotly_js_is_inlined_once_and_nothing_is_fetched():
    page = evil_page()
    assert page.count(plotly_js()) == 1
    rest = page.replace(plotly_js(), "")
    assert "http://" not in rest and "https://" not in rest and "//cdn" not in rest
    for _, attrs in parse(page).tags:
        assert "src" not in attrs
        assert attrs.get("href", "#").startswith("#")  # only in-page links


def test_content_security_policy_allows_only_the_page_scripts():
    page = evil_page()
    doc = parse(page)
    csp = next(
        a["content"]
        for t, a in doc.tags
        if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'" and directives["connect-src"] == "'none'"
    expected = {
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for attrs, body in doc.scripts
        if "type" not in attrs
    }
    assert set(directives["script-src"].split()) == expected
    assert "unsafe-inline" not in directives["script-src"]


def test_pages_are_deterministic_with_ordered_ids():
    assert evil_page() == evil_page()
    page = evil_page()
    ids = re.findall(r'<div class="plot" id="([^"]+)"', page)
    assert ids == ["netplan-fig-1", "netplan-fig-2"]
    assert re.findall(r'<section id="([^"]+)"', page) == ["sec-1", "sec-2"]
    other = evil_page(generated_at="2026-01-01 08:00")
    assert other != page and "2026-01-01 08:00" in other
    own = page.replace(plotly_js(), "")
    assert not re.search(r"20\d\d-\d\d-\d\d", own)  # no time stamp unless passed in


def test_footer_shows_fingerprint_and_estimates():
    page = render_page(
        "t", [Section("s", "x")], "zh", "sha256:0123abcd", estimates=["链路单价", "<b>drivers</b>"]
    )
    footer = page[page.index("<footer>") : page.index("</footer>")]
    assert "sha256:0123abcd" in footer
    assert i18n.t("report.fingerprint", "zh") in footer
    assert "<li>链路单价</li>" in footer and "<li>&lt;b&gt;drivers&lt;/b&gt;</li>" in footer
    default = render_page("t", [Section("s", "x")], "en")
    assert i18n.t("report.estimates_default", "en") in default
    assert '<html lang="en">' in default and '<html lang="zh-CN">' in page


def test_a_page_without_figures_carries_no_javascript():
    page = render_page("t", [Section("s", "x", tables=[[{"a": 1}]])], "en")
    assert plotly_js()[:200] not in page and "<script" not in page
    assert len(page) < 20_000


def test_print_styles_target_a4():
    page = render_page("t", [Section("s", "x")], "en")
    assert "@page { size: A4" in page and "@media print" in page


def test_sections_are_validated():
    with pytest.raises(NetplanError, match="title"):
        render_page("t", [{"text": "no title"}], "en")
    with pytest.raises(NetplanError, match="title"):
        render_page("t", [{"title": "x", "body": "?"}], "en")
    with pytest.raises(NetplanError, match="Section"):
        render_page("t", ["just text"], "en")


# ----------------------------------------------------------------------------- tables
def test_table_cells_are_formatted_and_escaped():
    rows = [
        {"link": "a<b", "load_gbps": 1234.5, "modules": 12000, "ok": True, "note": None},
        {"link": "c", "load_gbps": 0.0321, "modules": 3, "ok": False, "extra": float("nan")},
    ]
    out = render_table(Table(rows, labels={"load_gbps": "Load (Gbit/s)"}), "zh")
    doc = parse(out)
    cells = [d for d in doc.text if d.strip()]
    assert cells[:6] == ["link", "Load (Gbit/s)", "modules", "ok", "note", "extra"]
    assert cells[6:12] == ["a<b", "1,234", "12,000", "是", "—", "—"]
    assert cells[12:] == ["c", "0.0321", "3", "否", "—", "—"]
    assert out.count('class="num"') == 2 + 4  # two numeric headers, four numeric cells
    assert format_cell(float("inf")) == ("∞", True)
    assert format_cell(2.5, spec=".1%") == ("250.0%", True)


def test_table_columns_and_empty_tables():
    out = render_table(Table([{"b": 1, "a": 2}], columns=["a", "b"]), "en")
    assert out.index(">a<") < out.index(">b<")
    empty = render_table(Table([], columns=["x"]), "en")
    assert i18n.t("report.empty_table", "en") in empty
    with pytest.raises(NetplanError, match="mappings"):
        render_table([["not", "a", "mapping"]], "en")


# -------------------------------------------------------------------- the network map
def _line_points(fig: go.Figure, plane_label: str) -> set[tuple[float, float]]:
    points = set()
    for tr in fig.data:
        if (
            tr.mode == "lines"
            and tr.legendgroup in ("extranet", "intranet")
            and (tr.name == plane_label)
        ):
            points |= {(x, y) for x, y in zip(tr.lon, tr.lat, strict=True) if x is not None}
    return points


def test_map_draws_every_node_by_kind_and_every_link_by_plane():
    nodes, links = small_nodes(), small_links()
    fig = network_map(nodes, links, lang="en")
    for kind in {n["kind"] for n in nodes}:
        (trace,) = [tr for tr in fig.data if tr.name == i18n.t(f"kind.{kind}", "en")]
        members = [n for n in nodes if n["kind"] == kind]
        assert list(zip(trace.lon, trace.lat, strict=True)) == [
            (n["lon"], n["lat"]) for n in members
        ]
        assert trace.marker.symbol == NODE_STYLE[kind][0]
    where = {n["id"]: (n["lon"], n["lat"]) for n in nodes}
    for plane, dash in (("extranet", "solid"), ("intranet", "dash")):
        label = i18n.t(f"plane.{plane}", "en")
        traces = [tr for tr in fig.data if tr.name == label]
        assert traces and all(tr.line.dash == dash for tr in traces)
        drawn = _line_points(fig, label)
        for link in links:
            if link["plane"] == plane:
                assert where[link["a"]] in drawn and where[link["b"]] in drawn, link["id"]


def test_parallel_links_are_drawn_apart():
    fig = network_map(small_nodes(), small_links(), lang="en")
    ex = _line_points(fig, "Extranet")
    intra = _line_points(fig, "Intranet")
    wz, core = (108.4087, 30.8079), (106.55, 29.56)
    bends_ex = {p for p in ex if p not in (wz, core)}
    bends_in = {p for p in intra if p not in (wz, core)}
    assert bends_in and not (bends_in & bends_ex)  # the two planes' lines do not coincide


def test_map_is_fitted_to_chongqing_with_no_base_layer():
    fig = network_map(small_nodes(), small_links(), lang="zh")
    g = fig.layout.geo
    assert g.lonaxis.range == (105.2, 110.2) and g.lataxis.range == (28.1, 32.2)
    for layer in ("land", "ocean", "lakes", "rivers", "countries", "coastlines", "subunits"):
        assert getattr(g, f"show{layer}") is False, layer
    assert g.visible is False
    for tr in fig.data:
        # a trace with `locations` makes plotly.js fetch its topojson
        assert tr.type == "scattergeo" and tr.locations is None and tr.locationmode is None


def test_link_values_colour_links_on_the_named_scale():
    scale = pcolors.get_colorscale(LINK_COLOURSCALE)
    low_colour = pcolors.sample_colorscale(scale, [0.0])[0]
    high_colour = pcolors.sample_colorscale(scale, [1.0])[0]
    values = {"ex-wz": 0.0, "in-wz": 1.0, "ex-lp": 1.7, "ex-dc": None}
    fig = network_map(
        small_nodes(),
        small_links(),
        lang="en",
        link_values=values,
        link_hover={"in-wz": EVIL_SCRIPT},
        value_range=(0, 1),
        value_label="Worst utilisation",
        value_format=".0%",
    )
    colours = {}
    for tr in fig.data:
        if tr.mode == "lines" and tr.legendgroup in ("extranet", "intranet"):
            for x, y in zip(tr.lon, tr.lat, strict=True):
                if x is not None:
                    colours.setdefault((x, y), set()).add(tr.line.color)
    assert low_colour in colours[(108.4087, 30.8079)]
    assert high_colour in colours[(107.8024, 30.6737)]  # 1.7 is clipped to the top
    assert "#b0b7bf" in colours[(106.48, 29.75)]  # no value: grey
    (mid,) = [
        tr
        for tr in fig.data
        if tr.marker.showscale and tr.hovertext and any("Link" in h for h in tr.hovertext)
    ]
    assert (mid.marker.cmin, mid.marker.cmax) == (0, 1)
    link_hover = [h for tr in fig.data if tr.name == "Link" for h in tr.hovertext]
    assert len(link_hover) == len(small_links())
    hover = {h.split("</b>")[0]: h for h in link_hover}
    assert "Worst utilisation: 100%" in hover["<b>Link in-wz"]
    assert "&lt;/script&gt;&lt;script&gt;alert(2)" in hover["<b>Link in-wz"]
    assert "<script" not in "".join(link_hover)
    assert "no value" in hover["<b>Link ex-dc"]


def test_names_from_input_are_escaped_in_the_figure():
    fig = network_map(small_nodes(), small_links(), lang="zh", title=EVIL_IMG)
    texts = json.dumps([tr.hovertext for tr in fig.data if tr.hovertext], ensure_ascii=False)
    assert EVIL_IMG not in texts and "&lt;img src=x onerror=alert(1)&gt;" in texts
    assert fig.layout.title.text == "&lt;img src=x onerror=alert(1)&gt;"


def test_district_values_fill_their_outlines():
    scale = pcolors.get_colorscale("Blues")
    top = pcolors.sample_colorscale(scale, [1.0])[0]
    values = {"wanzhou": 10.0, "梁平区": 30.0, "两江新区": 99.0}
    fig = network_map(small_nodes(), small_links(), lang="en", district_values=values)
    fills = [tr for tr in fig.data if tr.fill == "toself"]
    assert len(fills) == 2  # 两江新区 has no outline of its own
    assert {tr.name for tr in fills} == {"万州区", "梁平县"}
    (lp,) = [tr for tr in fills if tr.name == "梁平县"]
    assert lp.fillcolor.startswith(top.replace("rgb(", "rgba(").rstrip(")"))
    (bar,) = [tr for tr in fig.data if tr.marker.showscale]
    assert (bar.marker.cmin, bar.marker.cmax) == (10.0, 30.0)
    node_trace = next(tr for tr in fig.data if tr.name == "District node")
    assert any("District value: 30" in h for h in node_trace.hovertext)


def test_bad_map_inputs_are_reported_together():
    nodes = small_nodes()
    nodes[0] = {**nodes[0], "lat": "north"}
    nodes[1] = {**nodes[1], "kind": "router"}
    links = [*small_links(), {"id": "ex-wz", "a": "wanzhou", "b": "mars", "plane": "x"}]
    with pytest.raises(ValidationError) as info:
        network_map(nodes, links, link_values={"nope": 1.0}, district_values={"火星区": 1.0})
    fields = {p.field for p in info.value.problems}
    assert fields == {
        "nodes[0].lat",
        "nodes[1].kind",
        "links[6].id",
        "links[6].b",
        "links[6].plane",
        "link_values['nope']",
        "district_values['火星区']",
    }
    assert "unknown node 'mars'" in str(info.value)


def test_map_figure_is_deterministic_and_embeds_in_a_page():
    a = network_map(small_nodes(), small_links(), "zh", {"ex-wz": 0.5}, None, {"万州区": 1.0})
    b = network_map(small_nodes(), small_links(), "zh", {"ex-wz": 0.5}, None, {"万州区": 1.0})
    assert figure_json(a) == figure_json(b)
    page = render_page("map", [Section("m", "", [a])], "zh")
    assert EVIL_IMG not in page.replace(plotly_js(), "")
    (block,) = [json.loads(b) for a, b in parse(page).scripts if "data-netplan-figure" in a]
    hover = json.dumps([tr.get("hovertext") for tr in block["data"]], ensure_ascii=False)
    assert "&lt;img src=x onerror=alert(1)&gt;" in hover  # escaped for plotly's labels


def test_map_takes_topology_objects(small_dir):
    import netplan

    topo = netplan.load_topology(small_dir / "topology.yaml")
    fig = network_map(topo.nodes, topo.links, lang="zh")
    where = {n.id: (n.lon, n.lat) for n in topo.nodes}
    for link in topo.links:
        drawn = _line_points(fig, i18n.t(f"plane.{link.plane}", "zh"))
        assert where[link.a] in drawn and where[link.b] in drawn, link.id
    shown = [tr for tr in fig.data if tr.name == i18n.t("kind.district", "zh")]
    assert [h.split("</b>")[0] for h in shown[0].hovertext] == ["<b>一区", "<b>二区", "<b>三区"]
