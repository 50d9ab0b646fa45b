"""The network on a map of Chongqing, as a plotly figure that works offline.

:func:`network_map` draws district outlines (shipped with the package), nodes by kind and links
by plane, optionally coloured by a value per link (e.g. worst utilisation) and with a
district fill (e.g. demand or cost per district). It only lays out what it is given: no
analysis runs inside it. It uses ``scattergeo`` with every base layer off, so plotly.js
never fetches its world topojson from the network; the outlines drawn are the package's own.

Examples
--------
>>> nodes = [
...     {"id": "core-1", "name": "Core 1", "name_zh": "核心一", "kind": "core",
...      "lat": 29.56, "lon": 106.55},
...     {"id": "wanzhou", "name": "Wanzhou", "name_zh": "万州区", "kind": "district",
...      "lat": 30.81, "lon": 108.41},
... ]
>>> links = [{"id": "ex-1", "a": "wanzhou", "b": "core-1", "plane": "extranet"},
...          {"id": "in-1", "a": "wanzhou", "b": "core-1", "plane": "intranet"}]
>>> fig = network_map(nodes, links, lang="en", link_values={"ex-1": 0.62, "in-1": 0.18},
...                   link_hover={"ex-1": "n-1: loss of ex-2"}, value_range=(0, 1),
...                   district_values={"万州区": 120.0})
>>> fig.layout.geo.lonaxis.range, fig.layout.geo.showland
((105.2, 110.2), False)
>>> [tr.name for tr in fig.data if tr.showlegend is not False]
['District boundaries', 'Municipal boundary', 'Extranet', 'Intranet', 'District node', 'Municipal core']
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from netplan.errors import Problem, ValidationError
from netplan.report import geo
from netplan.report.html import plain_text
from netplan.report.i18n import check_lang, display_name, t
from netplan.report.map_style import (
    COLOUR_STEPS,
    FILL_ALPHA,
    bent_path,
    colour_sampler,
    format_value,
    rings_to_lines,
    scale_fraction,
    scale_range,
    scattergeo,
    with_alpha,
)

log = logging.getLogger(__name__)

PLANES = ("extranet", "intranet")
#: Marker style per node kind: (plotly symbol, size in px, colour).
NODE_STYLE: Mapping[str, tuple[str, int, str]] = {
    "district": ("circle", 7, "#1d4e89"),
    "aggregation": ("circle-open", 10, "#6c3483"),
    "core": ("diamond", 14, "#b03a2e"),
    "data_centre": ("square", 12, "#117a65"),
    "internet_exit": ("triangle-up", 12, "#ca6f1e"),
    "national_uplink": ("star", 15, "#9a7d0a"),
}
#: Line dash per plane: the extranet solid, the intranet dashed.
PLANE_DASH: Mapping[str, str] = {"extranet": "solid", "intranet": "dash"}
PLANE_COLOUR: Mapping[str, str] = {"extranet": "#2e86c1", "intranet": "#af601a"}
NO_VALUE_COLOUR = "#b0b7bf"
#: Green (low) to red (high), for loads and utilisation.
LINK_COLOURSCALE = "RdYlGn_r"
DISTRICT_COLOURSCALE = "Blues"
def _get(record: Any, key: str, default: Any = None) -> Any:
    if isinstance(record, Mapping):
        return record.get(key, default)
    return getattr(record, key, default)


def _finite(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _check_inputs(
    nodes: Sequence[Any], links: Sequence[Any], link_values: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    by_id: dict[str, Any] = {}
    for i, node in enumerate(nodes):
        nid = _get(node, "id")
        if not isinstance(nid, str) or not nid:
            problems.append(Problem("", f"nodes[{i}].id", "missing or not a string"))
            continue
        if nid in by_id:
            problems.append(Problem("", f"nodes[{i}].id", f"duplicate node id {nid!r}"))
        kind = _get(node, "kind")
        if kind not in NODE_STYLE:
            problems.append(
                Problem("", f"nodes[{i}].kind", f"{kind!r} is not one of {', '.join(NODE_STYLE)}")
            )
        for key, low, high in (("lat", -90, 90), ("lon", -180, 180)):
            value = _get(node, key)
            if not _finite(value) or not low <= float(value) <= high:
                problems.append(
                    Problem(
                        "", f"nodes[{i}].{key}", f"{value!r} is not a number in [{low}, {high}]"
                    )
                )
        if not (_get(node, "name") or _get(node, "name_zh")):
            problems.append(Problem("", f"nodes[{i}].name", "a node needs name or name_zh"))
        by_id[nid] = node
    link_ids: set[str] = set()
    for i, link in enumerate(links):
        lid = _get(link, "id")
        if not isinstance(lid, str) or not lid:
            problems.append(Problem("", f"links[{i}].id", "missing or not a string"))
        elif lid in link_ids:
            problems.append(Problem("", f"links[{i}].id", f"duplicate link id {lid!r}"))
        else:
            link_ids.add(lid)
        for end in ("a", "b"):
            ref = _get(link, end)
            if ref not in by_id:
                problems.append(Problem("", f"links[{i}].{end}", f"unknown node {ref!r}"))
        plane = _get(link, "plane")
        if plane not in PLANES:
            problems.append(
                Problem("", f"links[{i}].plane", f"{plane!r} is not one of {', '.join(PLANES)}")
            )
    for key, value in (link_values or {}).items():
        if key not in link_ids:
            problems.append(Problem("", f"link_values[{key!r}]", "no link with this id"))
        elif value is not None and not _finite(value):
            if not (isinstance(value, float) and math.isnan(value)):
                problems.append(Problem("", f"link_values[{key!r}]", f"{value!r} is not a number"))
    return by_id, problems


def network_map(
    nodes: Sequence[Any],
    links: Sequence[Any],
    lang: str = "zh",
    link_values: Mapping[str, float | None] | None = None,
    link_hover: Mapping[str, str] | None = None,
    district_values: Mapping[str, float] | None = None,
    *,
    value_label: str | None = None,
    value_format: str = ".2f",
    value_range: tuple[float, float] | None = None,
    district_label: str | None = None,
    district_format: str = ",.0f",
    node_hover: Mapping[str, str] | None = None,
    title: str | None = None,
    height_px: int = 720,
) -> Any:
    """Draw the network on a map of Chongqing.

    Parameters
    ----------
    nodes : sequence of records
        Mappings (or objects) with ``id``, ``name``, ``name_zh``, ``kind``, ``lat``, ``lon``.
    links : sequence of records
        Mappings (or objects) with ``id``, ``a``, ``b``, ``plane`` (extranet | intranet).
    lang : {"zh", "en"}
        Language of labels and of node names (``name_zh`` for zh when present).
    link_values : mapping, optional
        Link id → value that colours the link (green low, red high), with a colour bar;
        links without a value are grey. Without it links take their plane's colour.
    link_hover : mapping, optional
        Link id → text added to the link's hover box, e.g. the failure that causes its
        worst load.
    district_values : mapping, optional
        District → value for a fill under the network. Keys are Chinese district names
        (current or as in the outlines, e.g. 梁平区 or 梁平县) or district node ids. Zones
        without an outline of their own (两江新区, 高新区, 万盛经开区) are not filled.
    value_label, district_label : str, optional
        Names of the two values for hover boxes and colour bars.
    value_format, district_format : str
        Python format specs for the values.
    value_range : (float, float), optional
        Colour-scale range for ``link_values`` (e.g. ``(0, 1)`` for utilisation);
        default: the values' own range.
    node_hover : mapping, optional
        Node id → extra text for the node's hover box.
    title : str, optional
        Figure title (shown as written).
    height_px : int
        Figure height.

    Returns
    -------
    plotly.graph_objects.Figure

    Raises
    ------
    ValidationError
        Records with missing or bad fields, links to unknown nodes, values for unknown links
        or districts — all reported at once.
    NetplanError
        Unknown language.

    Examples
    --------
    >>> fig = network_map(
    ...     [{"id": "n1", "name": "A", "name_zh": "甲", "kind": "core", "lat": 29.5, "lon": 106.5},
    ...      {"id": "n2", "name": "B", "name_zh": "乙", "kind": "district", "lat": 30.8,
    ...       "lon": 108.4}],
    ...     [{"id": "l1", "a": "n1", "b": "n2", "plane": "intranet"}], lang="zh")
    >>> [tr.line.dash for tr in fig.data if tr.name == "政务内网"]
    ['dash']
    """
    import plotly.graph_objects as go

    check_lang(lang)
    by_id, problems = _check_inputs(nodes, links, link_values)
    fill_values = _district_fill_values(district_values, by_id, problems)
    if problems:
        raise ValidationError(problems)

    value_label = value_label or t("map.value", lang)
    district_label = district_label or t("map.district_value", lang)
    traces: list[Any] = []
    traces += _district_fill_traces(nodes, fill_values, lang, district_label, district_format)
    traces += _outline_traces(lang)
    traces += _link_traces(
        links,
        by_id,
        lang,
        link_values,
        link_hover,
        value_label=value_label,
        value_format=value_format,
        value_range=value_range,
    )
    traces += _node_traces(nodes, lang, fill_values, district_label, district_format, node_hover)
    fig = go.Figure(data=traces)
    fig.update_layout(**_map_layout(title, height_px))
    return fig


def _district_fill_values(
    district_values: Mapping[str, float] | None,
    by_id: Mapping[str, Any],
    problems: list[Problem],
) -> dict[str, float]:
    """District values keyed by outline name; bad keys and values are added to ``problems``."""
    feature_names = {name for name, _ in geo.district_rings()}
    fill_values: dict[str, float] = {}
    for key, value in (district_values or {}).items():
        node = by_id.get(key)
        name_zh = _get(node, "name_zh") if node is not None else key
        fname = geo.feature_name(str(name_zh)) if name_zh else None
        if not _finite(value):
            problems.append(Problem("", f"district_values[{key!r}]", f"{value!r} is not a number"))
        elif fname is None and name_zh in geo.ZONES_WITHOUT_OUTLINE:
            log.debug("district value for %s not drawn: no outline of its own", name_zh)
        elif fname not in feature_names:
            problems.append(
                Problem("", f"district_values[{key!r}]", "no district outline with this name")
            )
        else:
            fill_values[fname] = float(value)
    return fill_values


def _district_fill_traces(
    nodes: Sequence[Any],
    fill_values: Mapping[str, float],
    lang: str,
    district_label: str,
    district_format: str,
) -> list[dict[str, Any]]:
    """The district fill (drawn under everything), its hover points and colour bar."""
    if not fill_values:
        return []
    district_colour = colour_sampler(DISTRICT_COLOURSCALE, COLOUR_STEPS)
    district_names: dict[str, str] = {}
    for node in nodes:
        fname = geo.feature_name(str(_get(node, "name_zh") or ""))
        if fname and _get(node, "kind") == "district":
            district_names[fname] = display_name(_get(node, "name"), fname, lang)
    traces: list[dict[str, Any]] = []
    d_low, d_high = scale_range(list(fill_values.values()), None)
    features = {f["properties"]["name"]: f for f in geo.load_districts()["features"]}
    hover_lon, hover_lat, hover_text, hover_val = [], [], [], []
    for name, rings in geo.district_rings():
        if name not in fill_values:
            continue
        value = fill_values[name]
        colour = district_colour(scale_fraction(value, d_low, d_high))
        lons, lats = rings_to_lines(rings)
        traces.append(
            scattergeo(
                lon=lons,
                lat=lats,
                mode="lines",
                fill="toself",
                fillcolor=with_alpha(colour, FILL_ALPHA),
                line={"width": 0.5, "color": "#7b8794"},
                hoverinfo="skip",
                showlegend=False,
                name=plain_text(name),
            )
        )
        label_point = features[name]["properties"].get("cp")
        if not label_point:  # the source gives no label point for some districts
            outer = max(rings, key=len)
            label_point = [
                sum(p[0] for p in outer) / len(outer),
                sum(p[1] for p in outer) / len(outer),
            ]
        hover_lon.append(label_point[0])
        hover_lat.append(label_point[1])
        hover_val.append(value)
        hover_text.append(
            f"<b>{plain_text(district_names.get(name, name))}</b><br>"
            f"{plain_text(district_label)}: {format_value(value, district_format)}"
        )
    traces.append(
        scattergeo(
            lon=hover_lon,
            lat=hover_lat,
            mode="markers",
            hovertext=hover_text,
            hoverinfo="text",
            showlegend=False,
            name=plain_text(district_label),
            marker={
                "size": 14,
                "opacity": 0,
                "color": hover_val,
                "colorscale": DISTRICT_COLOURSCALE,
                "cmin": d_low,
                "cmax": d_high,
                "showscale": True,
                "colorbar": {
                    "title": {"text": plain_text(district_label)},
                    "x": 1.0,
                    "y": 0.25,
                    "len": 0.45,
                    "thickness": 14,
                },
            },
        )
    )
    return traces


def _outline_traces(lang: str) -> list[dict[str, Any]]:
    """The district outlines and the municipal boundary, one legend group."""
    d_lons, d_lats = rings_to_lines([r for _, rings in geo.district_rings() for r in rings])
    m_lons, m_lats = rings_to_lines(geo.outline_rings())
    return [
        scattergeo(
            lon=d_lons,
            lat=d_lats,
            mode="lines",
            line={"width": 0.6, "color": "#9aa5b1"},
            hoverinfo="skip",
            name=t("map.districts", lang),
            legendgroup="outline",
        ),
        scattergeo(
            lon=m_lons,
            lat=m_lats,
            mode="lines",
            line={"width": 1.4, "color": "#52606d"},
            hoverinfo="skip",
            name=t("map.municipality", lang),
            legendgroup="outline",
        ),
    ]


def _parallel_slots(links: Sequence[Any]) -> list[float]:
    """Sideways offset of every link among the links joining the same two nodes (0 if alone)."""
    pair_count: dict[frozenset, int] = {}
    for link in links:
        pair = frozenset((_get(link, "a"), _get(link, "b")))
        pair_count[pair] = pair_count.get(pair, 0) + 1
    pair_seen: dict[frozenset, int] = {}
    slots = []
    for link in links:
        pair = frozenset((_get(link, "a"), _get(link, "b")))
        index = pair_seen.get(pair, 0)
        pair_seen[pair] = index + 1
        slots.append(index - (pair_count[pair] - 1) / 2)
    return slots


def _link_hover_text(
    link: Any,
    by_id: Mapping[str, Any],
    lang: str,
    values: Mapping[str, float] | None,
    link_hover: Mapping[str, str] | None,
    value_label: str,
    value_format: str,
) -> str:
    """Hover box of one link: id, ends, plane, then its value (if ``values``) and cause."""
    lid, a, b, plane = (_get(link, k) for k in ("id", "a", "b", "plane"))
    na, nb = by_id[a], by_id[b]
    lines = [
        f"<b>{plain_text(t('map.link', lang))} {plain_text(lid)}</b>",
        f"{plain_text(display_name(_get(na, 'name'), _get(na, 'name_zh'), lang))} — "
        f"{plain_text(display_name(_get(nb, 'name'), _get(nb, 'name_zh'), lang))}",
        f"{plain_text(t('map.plane', lang))}: {plain_text(t('plane.' + plane, lang))}",
    ]
    if values is not None:
        shown = format_value(values[lid], value_format) if lid in values else t("map.no_value", lang)
        lines.append(f"{plain_text(value_label)}: {plain_text(shown)}")
    if link_hover and link_hover.get(lid):
        lines.append(f"{plain_text(t('map.cause', lang))}: {plain_text(link_hover[lid])}")
    return "<br>".join(lines)


def _link_traces(
    links: Sequence[Any],
    by_id: Mapping[str, Any],
    lang: str,
    link_values: Mapping[str, float | None] | None,
    link_hover: Mapping[str, str] | None,
    *,
    value_label: str,
    value_format: str,
    value_range: tuple[float, float] | None,
) -> list[dict[str, Any]]:
    """Link lines grouped by (plane, colour), one trace per group, then mid-point markers."""
    link_colour = colour_sampler(LINK_COLOURSCALE, COLOUR_STEPS)
    values = {k: float(v) for k, v in (link_values or {}).items() if _finite(v)}
    low, high = scale_range(list(values.values()), value_range)
    groups: dict[tuple[str, str], tuple[list, list]] = {}
    mid_lon, mid_lat, mid_text, mid_colour = [], [], [], []
    for link, slot in zip(links, _parallel_slots(links), strict=True):
        lid, a, b, plane = (_get(link, k) for k in ("id", "a", "b", "plane"))
        na, nb = by_id[a], by_id[b]
        lons, lats, (mx, my) = bent_path(
            (float(_get(na, "lon")), float(_get(na, "lat"))),
            (float(_get(nb, "lon")), float(_get(nb, "lat"))),
            slot,
        )
        if link_values is None:
            colour = PLANE_COLOUR[plane]
        elif lid in values:
            colour = link_colour(scale_fraction(values[lid], low, high))
        else:
            colour = NO_VALUE_COLOUR
        group = groups.setdefault((plane, colour), ([], []))
        if group[0]:
            group[0].append(None)
            group[1].append(None)
        group[0].extend(lons)
        group[1].extend(lats)
        mid_lon.append(mx)
        mid_lat.append(my)
        mid_text.append(
            _link_hover_text(
                link,
                by_id,
                lang,
                values if link_values is not None else None,
                link_hover,
                value_label,
                value_format,
            )
        )
        mid_colour.append(values.get(lid, math.nan))

    traces: list[dict[str, Any]] = []
    legend_done: set[str] = set()
    for (plane, colour), (lons, lats) in groups.items():
        traces.append(
            scattergeo(
                lon=lons,
                lat=lats,
                mode="lines",
                line={"width": 2.2, "color": colour, "dash": PLANE_DASH[plane]},
                hoverinfo="skip",
                name=t("plane." + plane, lang),
                legendgroup=plane,
                showlegend=plane not in legend_done,
            )
        )
        legend_done.add(plane)
    # hover markers at the links' mid-points: those with a value carry the colour bar
    valued = [i for i, v in enumerate(mid_colour) if not math.isnan(v)]
    plain = [i for i, v in enumerate(mid_colour) if math.isnan(v)]
    for members, with_value in ((plain, False), (valued, True)):
        if not members:
            continue
        marker: dict[str, Any] = {"size": 7, "symbol": "circle", "line": {"width": 0}}
        if with_value:
            marker.update(
                color=[mid_colour[i] for i in members],
                colorscale=LINK_COLOURSCALE,
                cmin=low,
                cmax=high,
                showscale=True,
                opacity=0.9,
                colorbar={
                    "title": {"text": plain_text(value_label)},
                    "x": 1.0,
                    "y": 0.75,
                    "len": 0.45,
                    "thickness": 14,
                },
            )
        elif link_values is not None:
            marker.update(color=NO_VALUE_COLOUR, opacity=0.9)
        else:
            marker.update(color="#52606d", opacity=0.35, size=5)
        traces.append(
            scattergeo(
                lon=[mid_lon[i] for i in members],
                lat=[mid_lat[i] for i in members],
                mode="markers",
                marker=marker,
                hovertext=[mid_text[i] for i in members],
                hoverinfo="text",
                name=t("map.link", lang),
                showlegend=False,
            )
        )
    return traces


def _node_traces(
    nodes: Sequence[Any],
    lang: str,
    fill_values: Mapping[str, float],
    district_label: str,
    district_format: str,
    node_hover: Mapping[str, str] | None,
) -> list[dict[str, Any]]:
    """The nodes, one trace per kind (drawn on top), with their hover boxes."""
    traces: list[dict[str, Any]] = []
    for kind, (symbol, size, colour) in NODE_STYLE.items():
        members = [n for n in nodes if _get(n, "kind") == kind]
        if not members:
            continue
        texts = []
        for n in members:
            name = display_name(_get(n, "name"), _get(n, "name_zh"), lang)
            parts = [
                f"<b>{plain_text(name)}</b>",
                plain_text(t("kind." + kind, lang)),
                f"{plain_text(t('map.id', lang))}: {plain_text(_get(n, 'id'))}",
            ]
            fname = geo.feature_name(str(_get(n, "name_zh") or ""))
            if kind == "district" and fname in fill_values:
                parts.append(
                    f"{plain_text(district_label)}: {format_value(fill_values[fname], district_format)}"
                )
            if node_hover and node_hover.get(_get(n, "id")):
                parts.append(plain_text(node_hover[_get(n, "id")]))
            texts.append("<br>".join(parts))
        traces.append(
            scattergeo(
                lon=[float(_get(n, "lon")) for n in members],
                lat=[float(_get(n, "lat")) for n in members],
                mode="markers",
                hovertext=texts,
                hoverinfo="text",
                name=t("kind." + kind, lang),
                marker={
                    "symbol": symbol,
                    "size": size,
                    "color": colour,
                    "line": {"width": 1, "color": "white"},
                },
            )
        )
    return traces


def _map_layout(title: str | None, height_px: int) -> dict[str, Any]:
    """Figure layout: legend below, the Chongqing extent, every plotly base layer off."""
    return dict(
        template="plotly_white",
        height=height_px,
        margin={"l": 10, "r": 10, "t": 50 if title else 10, "b": 10},
        title={"text": plain_text(title)} if title else None,
        legend={"orientation": "h", "yanchor": "top", "y": -0.01, "x": 0.0},
        hoverlabel={"align": "left"},
        geo={
            "projection": {"type": "mercator"},
            "lonaxis": {"range": list(geo.CHONGQING_LON_RANGE), "showgrid": False},
            "lataxis": {"range": list(geo.CHONGQING_LAT_RANGE), "showgrid": False},
            # every base layer off: plotly.js then never fetches its topojson
            "visible": False,
            "showland": False,
            "showocean": False,
            "showlakes": False,
            "showrivers": False,
            "showcountries": False,
            "showcoastlines": False,
            "showsubunits": False,
            "showframe": False,
            "bgcolor": "rgba(0,0,0,0)",
        },
    )
