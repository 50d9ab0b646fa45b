"""A rendered report opened in headless Chromium: offline, drawn, and safe.

The page is loaded as a ``file://`` URL with every request recorded (see ``browser.py``). The
reference for "offline" is the browser's own request log; for "drawn", the SVG plotly.js
leaves in the page; for "safe", the DOM (no ``img`` element, no dialog) and the visible text.
Two control pages show that the harness does see requests and errors when there are some.
"""

from __future__ import annotations

import csv
from pathlib import Path

import plotly.graph_objects as go
import pytest
from browser import browser_unavailable, open_in_browser

from netplan.report.html import Section, Table, render_page
from netplan.report.mapfig import network_map

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(browser_unavailable() is not None, reason=str(browser_unavailable())),
]

SEATS = Path(__file__).parent / "data" / "geo" / "district_seats.csv"
EVIL_IMG = "<img src=x onerror=alert(1)>"
EVIL_SCRIPT = "</script><script>alert(2)</script>"

# Hover the evil node and the link with the evil cause; report what the hover box shows.
HOVER_JS = """() => {
  const gd = document.getElementById('netplan-fig-1');
  function hoverText(needle) {
    for (let c = 0; c < gd.data.length; c++) {
      const texts = gd.data[c].hovertext || [];
      for (let p = 0; p < texts.length; p++) {
        if (String(texts[p]).includes(needle)) {
          Plotly.Fx.hover(gd, [{curveNumber: c, pointNumber: p}], 'geo');
          const box = gd.querySelector('.hoverlayer .hovertext');
          return box ? box.textContent : null;
        }
      }
    }
    return 'not found: ' + needle;
  }
  return {node: hoverText('onerror'), link: hoverText('alert(2)'),
          img_elements: document.querySelectorAll('img').length};
}"""


def _network() -> tuple[list[dict], list[dict]]:
    with open(SEATS, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    nodes = [
        {
            "id": f"d{i:02d}",
            "name": row["name_en"],
            "name_zh": row["name_zh"],
            "kind": "district",
            "lat": float(row["lat"]),
            "lon": float(row["lon"]),
        }
        for i, row in enumerate(rows)
    ]
    nodes[5]["name_zh"] = nodes[5]["name"] = EVIL_IMG
    nodes += [
        {
            "id": "core-1",
            "name": "Core 1",
            "name_zh": "核心一",
            "kind": "core",
            "lat": 29.564,
            "lon": 106.55,
        },
        {
            "id": "core-2",
            "name": "Core 2",
            "name_zh": "核心二",
            "kind": "core",
            "lat": 29.611,
            "lon": 106.523,
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
            "name": "Internet exit",
            "name_zh": "互联网出口",
            "kind": "internet_exit",
            "lat": 29.561,
            "lon": 106.554,
        },
        {
            "id": "up",
            "name": "National uplink",
            "name_zh": "国家上联",
            "kind": "national_uplink",
            "lat": 29.59,
            "lon": 106.53,
        },
    ]
    links = []
    for node in nodes:
        if node["kind"] != "district":
            continue
        for core in ("core-1", "core-2"):
            links.append(
                {"id": f"ex-{node['id']}-{core}", "a": node["id"], "b": core, "plane": "extranet"}
            )
        links.append(
            {"id": f"in-{node['id']}", "a": node["id"], "b": "core-1", "plane": "intranet"}
        )
    for other in ("dc", "exit", "up", "core-2"):
        links.append({"id": f"ex-core-{other}", "a": "core-1", "b": other, "plane": "extranet"})
    return nodes, links


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    nodes, links = _network()
    # deterministic spread of utilisations over [0, 1.2]
    values = {link["id"]: (i * 37 % 61) / 50 for i, link in enumerate(links)}
    areas = {}
    with open(SEATS, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            areas[row["name_zh"]] = float(row["area_km2"])
    causes = {links[15]["id"]: EVIL_SCRIPT}
    map_fig = network_map(
        nodes,
        links,
        "zh",
        values,
        causes,
        areas,
        value_range=(0, 1),
        value_label="最高利用率",
        value_format=".0%",
    )
    bar = go.Figure(go.Bar(x=[n["name_zh"] for n in nodes[:8]], y=list(range(8))))
    line = go.Figure(go.Scatter(x=list(range(24)), y=[(h % 12) / 12 for h in range(24)]))
    page = render_page(
        "重庆电子政务网络 " + EVIL_SCRIPT,
        [
            Section("网络", ["节点 " + EVIL_IMG], [map_fig]),
            Section(
                "负载",
                "",
                [bar, (line, "24 h")],
                [Table([{"name": n["name_zh"], "lat": n["lat"]} for n in nodes[:8]])],
            ),
        ],
        "zh",
        "sha256:0123456789abcdef",
    )
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(page, encoding="utf-8")
    requests, errors, info = open_in_browser(path, evaluate=HOVER_JS)
    return {
        "path": path,
        "map": map_fig,
        "nodes": nodes,
        "requests": requests,
        "errors": errors,
        "info": info,
    }


def test_no_request_but_the_page_itself(report):
    assert report["requests"] == [report["path"].resolve().as_uri()]


def test_no_console_error_and_no_dialog(report):
    assert report["errors"] == []
    assert report["info"]["dialogs"] == []


def test_every_figure_is_drawn(report):
    info = report["info"]
    assert info["plot_slots"] == info["plotly_divs"] == 3
    (geo_plot,) = [p for p in info["plots"] if p["geo_subplots"]]
    fig = report["map"]
    assert geo_plot["traces"] == geo_plot["geo_traces"] == len(fig.data)
    line_traces = [tr for tr in fig.data if tr.mode == "lines"]
    assert geo_plot["geo_line_paths"] == len(line_traces)
    assert geo_plot["geo_points"] >= len(report["nodes"])
    assert geo_plot["geo_base_layers"] == []  # no land or coastline from plotly's topojson
    assert [p["traces"] for p in info["plots"] if not p["geo_subplots"]] == [1, 1]


def test_names_with_markup_show_as_text(report):
    info = report["info"]
    assert EVIL_IMG in info["text"] and EVIL_SCRIPT in info["text"]
    assert info["title"].endswith(EVIL_SCRIPT)
    assert info["img_elements"] == 0
    hovered = info["evaluated"]
    assert EVIL_IMG in hovered["node"]
    assert EVIL_SCRIPT in hovered["link"]
    assert hovered["img_elements"] == 0
    assert info["lang"] == "zh-CN"


# -------------------------------------------------------------------- controls
def test_harness_records_requests_and_errors(tmp_path):
    page = tmp_path / "leaky.html"
    page.write_text(
        '<!DOCTYPE html><html><body><p>x</p><img src="http://127.0.0.1:9/x.png">'
        '<script>console.error("boom")</script></body></html>',
        encoding="utf-8",
    )
    requests, errors, info = open_in_browser(page)
    assert "http://127.0.0.1:9/x.png" in requests
    assert any("boom" in e for e in errors)
    assert info["img_elements"] == 1


def test_a_base_layer_would_reach_for_the_network(tmp_path):
    # Control for the offline map: the same page machinery with plotly's land layer on
    # makes plotly.js request its topojson (blocked, but seen).
    fig = go.Figure(go.Scattergeo(lon=[106.5], lat=[29.5]))
    fig.update_geos(showland=True)
    page = tmp_path / "land.html"
    page.write_text(render_page("land", [Section("s", "", [fig])], "en"), encoding="utf-8")
    requests, errors, _ = open_in_browser(page)
    assert any("topojson" in e or "Content Security Policy" in e for e in errors)
    assert any(r.startswith("http") and r.endswith(".json") for r in requests)
