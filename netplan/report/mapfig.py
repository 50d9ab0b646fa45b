"""The network on a map of Chongqing, as a plotly figure that works offline.

:func:`network_map` draws district outlines (shipped with the package), nodes by kind and links
by plane, optionally coloured by a value per link (e.g. worst utilisation) and with a
district fill (e.g. demand or cost per district). It only lays out what it is given: no
analysis runs inside it. It uses ``scattergeo`` with every base layer off, so plotly.js
never fetches its world topojson from the network; the outlines drawn are the package's own.

How the map is read
-------------------
- **Load** is a colour on one sequential hue ramp (:data:`LINK_COLOURSCALE`, light pink for
  idle to dark burgundy for full) with a colour bar. A ramp that only changes lightness reads
  the same for every kind of colour blindness, and no legend entry uses its colours.
- **Planes** are told apart by line style: the extranet solid, the intranet dashed. Every
  link runs on a dark grey casing of its own dash, which keeps light (idle) links visible on
  a light fill and is what the legend shows for each plane. Parallel links bend apart.
- **Links to look at** (``highlight_links``, e.g. over target) are drawn thicker and
  labelled with their id.
- **Names**: district names are written next to their nodes in the figure's language. Labels
  are placed greedily, most important first (``highlight_nodes``, e.g. districts at risk or
  buying, then the links to look at, then the other districts by area, largest first); each
  tries four places around its node (a link's id: places along the link, then beside its
  middle) and is left out when all of them overlap a label already placed, a node or the
  inset's box. The placement is worked out for the narrowest the figure is drawn, on a
  printed page (:data:`~netplan.report.map_style.PRINT_WIDTH_PX`): a wider screen only
  moves the labels apart, so labels that do not overlap in print overlap nowhere.

The central area: an inset, not a zoom button
---------------------------------------------
The main urban districts (Yuzhong, Jiangbei, Yubei, the cores and the data centres) lie within
about 25 km of each other: a few pixels on a map of the whole municipality. The figure adds
an inset, a second geo subplot (``geo2``) beside the municipality, zoomed on the box around
the nodes within :data:`CENTRAL_RADIUS_KM` of the cores (its rectangle is drawn on the main
map). An inset rather than a zoom button because the report is read as a page, printed to
PDF and passed around as screenshots: a button helps only a reader at a screen who thinks to
press it, and then hides the municipality; the inset shows both in every medium. The inset
repeats the main map's traces for what lies in its box, in the same legend groups, so one
legend click hides or shows a plane in both.

Examples
--------
>>> nodes = [
...     {"id": "core-1", "name": "Core 1", "name_zh": "核心一", "kind": "core",
...      "lat": 29.56, "lon": 106.55},
...     {"id": "wanzhou", "name": "Wanzhou", "name_zh": "万州区", "kind": "district",
...      "lat": 30.81, "lon": 108.41},
... ]
>>> links = [{"id": "ex-1", "a": "wanzhou", "b": "core-1", "plane": "extranet"},
...          {"id": "ex-2", "a": "wanzhou", "b": "core-1", "plane": "extranet"},
...          {"id": "in-1", "a": "wanzhou", "b": "core-1", "plane": "intranet"}]
>>> fig = network_map(nodes, links, lang="en", link_values={"ex-1": 0.95, "in-1": 0.18},
...                   link_hover={"ex-1": "n-1: loss of ex-2"}, value_range=(0, 1),
...                   district_values={"万州区": 120.0}, highlight_links=["ex-1"])
>>> fig.layout.geo.lonaxis.range, fig.layout.geo.showland
((105.2, 110.2), False)
>>> [tr.name for tr in fig.data if tr.showlegend is not False]  # doctest: +NORMALIZE_WHITESPACE
['District boundaries', 'Municipal boundary', 'Extranet', 'Over target (thick, labelled)',
 'Intranet', 'District node', 'Municipal core']
>>> [tr.text for tr in fig.data if tr.name == "Link ids"]
[('ex-1',)]
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netplan.errors import Problem, ValidationError
from netplan.report import geo
from netplan.report.html import plain_text
from netplan.report.i18n import check_lang, display_name, t
from netplan.report.map_style import (
    COLOUR_STEPS,
    FILL_ALPHA,
    KM_PER_DEG,
    LABEL_POSITIONS,
    PRINT_WIDTH_PX,
    SCREEN_WIDTH_PX,
    Box,
    bent_path,
    clip_segment,
    colour_sampler,
    fit_ranges,
    format_value,
    label_box,
    pixel_projector,
    place_labels,
    rings_to_lines,
    scale_fraction,
    scale_range,
    scattergeo,
    text_size_px,
    with_alpha,
)

log = logging.getLogger(__name__)

PLANES = ("extranet", "intranet")
#: Marker style per node kind: (plotly symbol, size in px, colour). The colours stay clear of
#: the load ramp (no pink, red or burgundy): a marker must not read as a load.
NODE_STYLE: Mapping[str, tuple[str, int, str]] = {
    "district": ("circle", 7, "#1d4e89"),
    "aggregation": ("circle-open", 10, "#1d4e89"),
    "core": ("diamond", 14, "#1f2933"),
    "data_centre": ("square", 12, "#117a65"),
    "internet_exit": ("triangle-up", 12, "#2471a3"),
    "national_uplink": ("star", 15, "#7d6608"),
}
#: Line dash per plane: the extranet solid, the intranet dashed.
PLANE_DASH: Mapping[str, str] = {"extranet": "solid", "intranet": "dash"}
#: The casing under every link, and the colour of the plane legend entries.
CASING_COLOUR = "#3e4c59"
#: Links when no value colours them.
PLAIN_LINK_COLOUR = "#9fb3c8"
NO_VALUE_COLOUR = "#b0b7bf"
#: One hue, light (low) to dark (high), for loads and utilisation.
LINK_COLOURSCALE = "Burg"
DISTRICT_COLOURSCALE = "Blues"
LINK_WIDTH_PX = 2.0
HIGHLIGHT_WIDTH_PX = 5.0
#: Links that only pass through the inset.
PASSING_WIDTH_PX = 1.0
PASSING_OPACITY = 0.45
#: How much wider the casing is than its link.
CASING_EXTRA_PX = 1.6
LABEL_FONT_PX = 11
HIGHLIGHT_FONT_PX = 12
#: The inset is a third of the width: a point smaller there fits the central names in.
INSET_FONT_PX = 10
LABEL_COLOUR = "#1f2933"
#: A white halo keeps labels legible over lines and fills.
LABEL_HALO = "0px 0px 2px #ffffff, 0px 0px 3px #ffffff"
#: Fonts with Chinese glyphs first, as in the report's other figures.
MAP_FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
#: Nodes this close to the cores (or to the densest node, without cores) make the inset.
CENTRAL_RADIUS_KM = 25.0
#: Fewer central nodes than this need no inset.
MIN_CENTRAL_NODES = 4
#: Room around the central nodes inside the inset.
INSET_MARGIN_KM = 3.0
#: Paper coordinates of the two panels and of the legend's allowance below them.
MAIN_DOMAIN_X = (0.0, 0.62)
INSET_DOMAIN_X = (0.645, 1.0)
INSET_DOMAIN_Y = (0.34, 0.95)
LEGEND_ALLOWANCE_PX = 56
#: Where along a link its id label may sit, in the order tried.
LINK_LABEL_FRACTIONS = (0.5, 0.38, 0.62, 0.27, 0.73, 0.16, 0.84)
#: The invisible marker that sets a link's id off its middle when it cannot sit on the link.
LINK_LABEL_MARKER_PX = 24


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


def _lonlat(node: Any) -> tuple[float, float]:
    return float(_get(node, "lon")), float(_get(node, "lat"))


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


def _check_references(
    name: str, keys: Collection[str], known: Collection[str], what: str, problems: list[Problem]
) -> None:
    """Add a problem for every key of ``keys`` that is not in ``known``."""
    for key in keys:
        if key not in known:
            problems.append(Problem("", f"{name}[{key!r}]", f"no {what} with this id"))


# ------------------------------------------------------------------------- the panels
@dataclass(frozen=True)
class _Panel:
    """One map panel: its plotly subplot, its lon/lat window and its size on the page."""

    subplot: str
    lon_range: tuple[float, float]
    lat_range: tuple[float, float]
    width_px: float
    height_px: float
    name_suffix: str = ""
    #: The main panel when an inset stands beside it (the colour bars go under the inset).
    beside_inset: bool = False

    @property
    def is_inset(self) -> bool:
        return self.subplot != "geo"

    @property
    def box(self) -> Box:
        """The window as ``(lon0, lat0, lon1, lat1)``."""
        return (self.lon_range[0], self.lat_range[0], self.lon_range[1], self.lat_range[1])

    def to_px(self, lon: float, lat: float) -> tuple[float, float]:
        return pixel_projector(self.lon_range, self.lat_range, self.width_px, self.height_px)(
            lon, lat
        )

    def window_px(self) -> Box:
        """Where the window lies in the panel, in px."""
        x0, y1 = self.to_px(self.lon_range[0], self.lat_range[0])
        x1, y0 = self.to_px(self.lon_range[1], self.lat_range[1])
        return (x0, y0, x1, y1)

    def name(self, name: str) -> str:
        return name + self.name_suffix

    def trace(self, **props: Any) -> dict[str, Any]:
        """A scattergeo trace in this panel (the inset's never in the legend)."""
        if self.is_inset:
            props["geo"] = self.subplot
            props["showlegend"] = False
        return scattergeo(**props)


def _inside(box: Box, lon: float, lat: float) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def central_box(
    nodes: Sequence[Any],
    radius_km: float = CENTRAL_RADIUS_KM,
    min_nodes: int = MIN_CENTRAL_NODES,
    margin_km: float = INSET_MARGIN_KM,
) -> Box | None:
    """The lon/lat box around the crowded centre of a network, or None when it has none.

    The centre is the mean position of the ``core`` nodes (without cores, the node with the
    most others within ``radius_km``). The box holds every node within ``radius_km`` of it,
    with ``margin_km`` to spare; there is none when fewer than ``min_nodes`` nodes are there.

    Parameters
    ----------
    nodes : sequence of records
        Mappings (or objects) with ``kind``, ``lat``, ``lon``.

    Returns
    -------
    (lon0, lat0, lon1, lat1) or None

    Examples
    --------
    >>> nodes = [{"kind": "core", "lon": 106.55, "lat": 29.56},
    ...          {"kind": "district", "lon": 106.57, "lat": 29.55},
    ...          {"kind": "district", "lon": 106.56, "lat": 29.52},
    ...          {"kind": "district", "lon": 106.57, "lat": 29.61},
    ...          {"kind": "district", "lon": 108.41, "lat": 30.81}]
    >>> [round(v, 3) for v in central_box(nodes, margin_km=0.0)]
    [106.55, 29.52, 106.57, 29.61]
    >>> central_box(nodes[:3]) is None
    True
    """
    points = [(_lonlat(n), _get(n, "kind")) for n in nodes]

    def km(a: tuple[float, float], b: tuple[float, float]) -> float:
        kx = KM_PER_DEG * math.cos(math.radians((a[1] + b[1]) / 2))
        return math.hypot((a[0] - b[0]) * kx, (a[1] - b[1]) * KM_PER_DEG)

    cores = [p for p, kind in points if kind == "core"]
    if cores:
        centre = (sum(p[0] for p in cores) / len(cores), sum(p[1] for p in cores) / len(cores))
    elif points:
        centre = max(
            (p for p, _ in points), key=lambda p: sum(km(p, q) <= radius_km for q, _ in points)
        )
    else:
        return None
    members = [p for p, _ in points if km(p, centre) <= radius_km]
    if len(members) < min_nodes:
        return None
    mid_lat = sum(p[1] for p in members) / len(members)
    pad_lon = margin_km / (KM_PER_DEG * math.cos(math.radians(mid_lat)))
    pad_lat = margin_km / KM_PER_DEG
    return (
        min(p[0] for p in members) - pad_lon,
        min(p[1] for p in members) - pad_lat,
        max(p[0] for p in members) + pad_lon,
        max(p[1] for p in members) + pad_lat,
    )


def _panels(
    nodes: Sequence[Any], height_px: int, top_px: int, inset: bool, lang: str
) -> tuple[_Panel, _Panel | None]:
    """The main panel and, when the network has a crowded centre, the inset, sized as on a
    printed page (where labels are placed); the inset's window has its panel's shape on a
    screen."""
    plot_height = height_px - top_px - 10 - LEGEND_ALLOWANCE_PX
    centre = central_box(nodes) if inset else None
    main_x = MAIN_DOMAIN_X if centre else (0.0, 1.0)

    def width(domain: tuple[float, float], page_px: int) -> float:
        return (page_px - 20) * (domain[1] - domain[0])

    main = _Panel(
        "geo",
        geo.CHONGQING_LON_RANGE,
        geo.CHONGQING_LAT_RANGE,
        width(main_x, PRINT_WIDTH_PX),
        plot_height,
        beside_inset=centre is not None,
    )
    if centre is None:
        return main, None
    inset_h = plot_height * (INSET_DOMAIN_Y[1] - INSET_DOMAIN_Y[0])
    lon_range, lat_range = fit_ranges(
        (centre[0], centre[2]), (centre[1], centre[3]),
        width(INSET_DOMAIN_X, SCREEN_WIDTH_PX), inset_h,
    )
    return main, _Panel(
        "geo2", lon_range, lat_range, width(INSET_DOMAIN_X, PRINT_WIDTH_PX), inset_h,
        f" — {t('map.inset', lang)}",
    )


# ----------------------------------------------------------------------------- links
@dataclass(frozen=True)
class _LinkDraw:
    """One link as drawn: its path, colour, emphasis and hover box."""

    lid: str
    plane: str
    lons: tuple[float, ...]
    lats: tuple[float, ...]
    mid: tuple[float, float]
    colour: str
    value: float
    highlighted: bool
    hover: str

    def visible_in(self, box: Box) -> tuple[float, float] | None:
        """The middle of the longest part of the path inside ``box``, or None."""
        best, best_len = None, -1.0
        for i in range(len(self.lons) - 1):
            a = (self.lons[i], self.lats[i])
            b = (self.lons[i + 1], self.lats[i + 1])
            part = clip_segment(a, b, box)
            if part is None:
                continue
            length = (part[1] - part[0]) * math.hypot(b[0] - a[0], b[1] - a[1])
            if length > best_len:
                f = (part[0] + part[1]) / 2
                best, best_len = (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])), length
        return best

    def ends_in(self, box: Box) -> bool:
        """True when both ends of the link lie in ``box``."""
        return _inside(box, self.lons[0], self.lats[0]) and _inside(box, self.lons[-1], self.lats[-1])

    def point_at(self, fraction: float) -> tuple[float, float]:
        """The point ``fraction`` of the way along the path (by lon/lat length)."""
        pieces = [
            math.hypot(self.lons[i + 1] - self.lons[i], self.lats[i + 1] - self.lats[i])
            for i in range(len(self.lons) - 1)
        ]
        goal = fraction * sum(pieces)
        for i, piece in enumerate(pieces):
            if goal <= piece or i == len(pieces) - 1:
                f = goal / piece if piece else 0.0
                return (
                    self.lons[i] + f * (self.lons[i + 1] - self.lons[i]),
                    self.lats[i] + f * (self.lats[i + 1] - self.lats[i]),
                )
            goal -= piece
        return self.mid


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


@dataclass(frozen=True)
class _LinkText:
    """What the hover boxes of links say, beyond their ends and plane."""

    lang: str
    values: Mapping[str, float] | None
    value_label: str
    value_format: str
    link_hover: Mapping[str, str] | None
    link_info: Mapping[str, Sequence[tuple[str, str]]] | None


def _link_hover_text(link: Any, by_id: Mapping[str, Any], text: _LinkText) -> str:
    """Hover box of one link: id, plane, ends, extra lines, then its value and cause."""
    lang = text.lang
    lid, a, b, plane = (_get(link, k) for k in ("id", "a", "b", "plane"))
    na, nb = by_id[a], by_id[b]
    lines = [
        f"<b>{plain_text(t('map.link', lang))} {plain_text(lid)}</b>",
        f"{plain_text(t('map.plane', lang))}: {plain_text(t('plane.' + plane, lang))}",
        f"{plain_text(display_name(_get(na, 'name'), _get(na, 'name_zh'), lang))} — "
        f"{plain_text(display_name(_get(nb, 'name'), _get(nb, 'name_zh'), lang))}",
    ]
    for label, value in (text.link_info or {}).get(lid, ()):
        lines.append(f"{plain_text(label)}: {plain_text(value)}")
    if text.values is not None:
        shown = (
            format_value(text.values[lid], text.value_format)
            if lid in text.values
            else t("map.no_value", lang)
        )
        lines.append(f"{plain_text(text.value_label)}: {plain_text(shown)}")
    if text.link_hover and text.link_hover.get(lid):
        lines.append(f"{plain_text(t('map.cause', lang))}: {plain_text(text.link_hover[lid])}")
    return "<br>".join(lines)


def _link_draws(
    links: Sequence[Any],
    by_id: Mapping[str, Any],
    link_values: Mapping[str, float | None] | None,
    value_range: tuple[float, float],
    highlight: Collection[str],
    text: _LinkText,
) -> list[_LinkDraw]:
    """Every link's path, colour and hover box."""
    link_colour = colour_sampler(LINK_COLOURSCALE, COLOUR_STEPS)
    values = text.values or {}
    low, high = value_range
    draws = []
    for link, slot in zip(links, _parallel_slots(links), strict=True):
        lid, a, b, plane = (_get(link, k) for k in ("id", "a", "b", "plane"))
        lons, lats, mid = bent_path(_lonlat(by_id[a]), _lonlat(by_id[b]), slot)
        if link_values is None:
            colour = PLAIN_LINK_COLOUR
        elif lid in values:
            colour = link_colour(scale_fraction(values[lid], low, high))
        else:
            colour = NO_VALUE_COLOUR
        draws.append(
            _LinkDraw(
                lid,
                plane,
                tuple(lons),
                tuple(lats),
                mid,
                colour,
                values.get(lid, math.nan),
                lid in highlight,
                _link_hover_text(link, by_id, text),
            )
        )
    return draws


def _joined(draws: Sequence[_LinkDraw]) -> tuple[list, list]:
    """The paths of several links as one lon list and one lat list, broken by ``None``."""
    lons: list[float | None] = []
    lats: list[float | None] = []
    for d in draws:
        if lons:
            lons.append(None)
            lats.append(None)
        lons.extend(d.lons)
        lats.extend(d.lats)
    return lons, lats


def _link_line_traces(
    draws: Sequence[_LinkDraw], panel: _Panel, lang: str
) -> list[dict[str, Any]]:
    """Casings (one per plane and emphasis; the legend entries), then the coloured lines.

    The legend shows each plane by its casing, in grey, solid or dashed; links to look at
    have their own entry. Colours of load appear only on the lines, never in the legend.
    """
    casings: dict[tuple[str, bool], list[_LinkDraw]] = {}
    lines: dict[tuple[str, bool, str], list[_LinkDraw]] = {}
    for d in draws:
        casings.setdefault((d.plane, d.highlighted), []).append(d)
        lines.setdefault((d.plane, d.highlighted, d.colour), []).append(d)
    # legend group and name of each (plane, highlighted): the links to look at have their
    # own entry, unless they are all of their plane's links (the plane still needs one)
    groups: dict[tuple[str, bool], tuple[str, str]] = {}
    for plane in PLANES:
        groups[(plane, False)] = (plane, t("plane." + plane, lang))
        if (plane, False) in casings:
            groups[(plane, True)] = ("over_target", t("map.over_target", lang))
        else:
            groups[(plane, True)] = groups[(plane, False)]
    traces: list[dict[str, Any]] = []
    in_legend: set[str] = set()
    for plane in PLANES:
        for highlighted in (False, True):
            members = casings.get((plane, highlighted))
            if not members:
                continue
            group, name = groups[(plane, highlighted)]
            width = HIGHLIGHT_WIDTH_PX if highlighted else LINK_WIDTH_PX
            traces.append(_lines_trace(panel, members, width + CASING_EXTRA_PX, CASING_COLOUR,
                                       plane, name, group, group not in in_legend))
            in_legend.add(group)
    for (plane, highlighted, colour), members in lines.items():
        group, name = groups[(plane, highlighted)]
        width = HIGHLIGHT_WIDTH_PX if highlighted else LINK_WIDTH_PX
        traces.append(_lines_trace(panel, members, width, colour, plane, name, group, False))
    return traces


def _lines_trace(panel: _Panel, members, width_px: float, colour: str, plane: str, name: str,
                 group: str, in_legend: bool) -> dict[str, Any]:
    """One trace of joined link segments in a plane's dash, without hover."""
    lons, lats = _joined(members)
    return panel.trace(lon=lons, lat=lats, mode="lines",
                       line={"width": width_px, "color": colour, "dash": PLANE_DASH[plane]},
                       hoverinfo="skip", name=panel.name(name), legendgroup=group,
                       showlegend=in_legend)


def _passing_line_traces(
    draws: Sequence[_LinkDraw], panel: _Panel, lang: str
) -> list[dict[str, Any]]:
    """Links that only pass through the inset on their way out: thin and faint, so that the
    links within the central area stand out (the main map shows them whole, with their
    hover boxes and ids). Links to look at stay thicker than the others."""
    groups: dict[tuple[str, bool, str], list[_LinkDraw]] = {}
    for d in draws:
        groups.setdefault((d.plane, d.highlighted, d.colour), []).append(d)
    traces = []
    for (plane, highlighted, colour), members in groups.items():
        lons, lats = _joined(members)
        width = PASSING_WIDTH_PX * (3 if highlighted else 1)
        traces.append(
            panel.trace(
                lon=lons,
                lat=lats,
                mode="lines",
                line={"width": width, "color": colour, "dash": PLANE_DASH[plane]},
                opacity=PASSING_OPACITY,
                hoverinfo="skip",
                name=panel.name(t("plane." + plane, lang)),
                legendgroup=plane,
            )
        )
    return traces


def _link_hover_traces(
    draws: Sequence[_LinkDraw],
    panel: _Panel,
    lang: str,
    valued_map: bool,
    value_label: str,
    value_range: tuple[float, float],
) -> list[dict[str, Any]]:
    """Markers that carry the links' hover boxes (and, on the main map, the colour bar).

    On the main map they sit at the links' mid-points; in the inset, at the middle of the
    part of each link that the inset shows.
    """
    points = []
    for d in draws:
        where = d.visible_in(panel.box) if panel.is_inset else d.mid
        if where is not None:
            points.append((where, d))
    valued = [(w, d) for w, d in points if not math.isnan(d.value)]
    plain = [(w, d) for w, d in points if math.isnan(d.value)]
    traces: list[dict[str, Any]] = []
    for members, with_value in ((plain, False), (valued, True)):
        if not members:
            continue
        marker: dict[str, Any] = {"size": 6, "symbol": "circle", "line": {"width": 0}}
        if with_value:
            low, high = value_range
            marker.update(
                color=[d.value for _, d in members],
                colorscale=_colourscale(LINK_COLOURSCALE),
                cmin=low,
                cmax=high,
                opacity=0.9,
            )
            if not panel.is_inset:
                marker.update(
                    showscale=True, colorbar=_colour_bar(value_label, 0, panel.beside_inset)
                )
        elif valued_map:
            marker.update(color=NO_VALUE_COLOUR, opacity=0.9)
        else:
            marker.update(color=CASING_COLOUR, opacity=0.35, size=5)
        traces.append(
            panel.trace(
                lon=[w[0] for w, _ in members],
                lat=[w[1] for w, _ in members],
                mode="markers",
                marker=marker,
                hovertext=[d.hover for _, d in members],
                hoverinfo="text",
                name=panel.name(t("map.link", lang)),
                showlegend=False,
            )
        )
    return traces


def _colour_bar(title: str, index: int, beside_inset: bool) -> dict[str, Any]:
    """Colour bar ``index`` (0: links, 1: districts): vertical on the right without an
    inset, horizontal under the inset with one."""
    bar: dict[str, Any] = {"title": {"text": plain_text(title)}, "thickness": 14}
    if beside_inset:
        width = INSET_DOMAIN_X[1] - INSET_DOMAIN_X[0]
        bar.update(
            orientation="h",
            x=(INSET_DOMAIN_X[0] + INSET_DOMAIN_X[1]) / 2,
            xanchor="center",
            y=INSET_DOMAIN_Y[0] - 0.08 - 0.15 * index,
            yanchor="top",
            len=0.8 * width,
            thickness=12,
            title={"text": plain_text(title), "side": "top"},
        )
    else:
        bar.update(x=1.0, y=0.75 - 0.5 * index, len=0.45)
    return bar


# ------------------------------------------------------------------ districts and nodes
def _ring_crosses(ring: Sequence[tuple[float, float]], box: Box) -> bool:
    """True when a line along ``ring`` shows in ``box``."""
    return any(clip_segment(ring[i - 1], ring[i], box) is not None for i in range(1, len(ring)))


def _rings_reach(rings: Sequence[Sequence[tuple[float, float]]], box: Box) -> bool:
    """True when a polygon given by its rings shows in ``box``: an edge crosses it, or the
    polygon holds it whole."""
    if any(_ring_crosses(ring, box) for ring in rings):
        return True
    centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    return geo.contains({"type": "Polygon", "coordinates": list(rings)}, *centre)


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
    panel: _Panel,
    district_range: tuple[float, float] | None = None,
) -> list[dict[str, Any]]:
    """The district fill (drawn under everything); on the main map also its hover points
    and colour bar."""
    if not fill_values:
        return []
    district_colour = colour_sampler(DISTRICT_COLOURSCALE, COLOUR_STEPS)
    district_names: dict[str, str] = {}
    for node in nodes:
        fname = geo.feature_name(str(_get(node, "name_zh") or ""))
        if fname and _get(node, "kind") == "district":
            district_names[fname] = display_name(_get(node, "name"), fname, lang)
    traces: list[dict[str, Any]] = []
    d_low, d_high = scale_range(list(fill_values.values()), district_range)
    features = {f["properties"]["name"]: f for f in geo.load_districts()["features"]}
    hover_lon, hover_lat, hover_text, hover_val = [], [], [], []
    for name, rings in geo.district_rings():
        if name not in fill_values or (panel.is_inset and not _rings_reach(rings, panel.box)):
            continue
        value = fill_values[name]
        colour = district_colour(scale_fraction(value, d_low, d_high))
        lons, lats = rings_to_lines(rings)
        traces.append(
            panel.trace(
                lon=lons,
                lat=lats,
                mode="lines",
                fill="toself",
                fillcolor=with_alpha(colour, FILL_ALPHA),
                line={"width": 0.5, "color": "#7b8794"},
                hoverinfo="skip",
                showlegend=False,
                name=plain_text(panel.name(name)),
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
    if panel.is_inset:
        return traces  # the district nodes' own hover boxes give the value there
    traces.append(
        panel.trace(
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
                "colorscale": _colourscale(DISTRICT_COLOURSCALE),
                "cmin": d_low,
                "cmax": d_high,
                "showscale": True,
                "colorbar": _colour_bar(district_label, 1, panel.beside_inset),
            },
        )
    )
    return traces


def _outline_traces(lang: str, panel: _Panel) -> list[dict[str, Any]]:
    """The district outlines and the municipal boundary, one legend group."""
    district = [r for _, rings in geo.district_rings() for r in rings]
    municipal = list(geo.outline_rings())
    if panel.is_inset:
        district = [r for r in district if _ring_crosses(r, panel.box)]
        municipal = [r for r in municipal if _ring_crosses(r, panel.box)]
    traces = []
    for rings, width, colour, key in (
        (district, 0.6, "#9aa5b1", "map.districts"),
        (municipal, 1.4, "#52606d", "map.municipality"),
    ):  # one legend group each: a group stacks its entries and breaks the legend's line
        if not rings:
            continue
        lons, lats = rings_to_lines(rings)
        traces.append(
            panel.trace(
                lon=lons,
                lat=lats,
                mode="lines",
                line={"width": width, "color": colour},
                hoverinfo="skip",
                name=panel.name(t(key, lang)),
                legendgroup=key,
            )
        )
    return traces


def _in_panel(panel: _Panel, inset: _Panel | None, lon: float, lat: float) -> bool:
    """True when a point is shown (and labelled) in ``panel``: the inset shows what is in
    its box, the main map the rest."""
    if panel.is_inset:
        return _inside(panel.box, lon, lat)
    return _inside(panel.box, lon, lat) and not (inset and _inside(inset.box, lon, lat))


def _node_traces(
    nodes: Sequence[Any],
    lang: str,
    fill_values: Mapping[str, float],
    district_label: str,
    district_format: str,
    node_hover: Mapping[str, str] | None,
    panel: _Panel,
) -> list[dict[str, Any]]:
    """The nodes, one trace per kind (drawn on top), with their hover boxes."""
    traces: list[dict[str, Any]] = []
    for kind, (symbol, size, colour) in NODE_STYLE.items():
        members = [n for n in nodes if _get(n, "kind") == kind]
        if panel.is_inset:
            members = [n for n in members if _inside(panel.box, *_lonlat(n))]
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
            panel.trace(
                lon=[_lonlat(n)[0] for n in members],
                lat=[_lonlat(n)[1] for n in members],
                mode="markers",
                hovertext=texts,
                hoverinfo="text",
                name=panel.name(t("kind." + kind, lang)),
                legendgroup="kind." + kind,
                marker={
                    "symbol": symbol,
                    "size": size,
                    "color": colour,
                    "line": {"width": 1, "color": "white"},
                },
            )
        )
    return traces


def _inset_area_trace(main: _Panel, inset: _Panel, lang: str) -> dict[str, Any]:
    """The inset's box drawn on the main map."""
    lon0, lat0, lon1, lat1 = inset.box
    return main.trace(
        lon=[lon0, lon1, lon1, lon0, lon0],
        lat=[lat0, lat0, lat1, lat1, lat0],
        mode="lines",
        line={"width": 1.4, "color": CASING_COLOUR, "dash": "dot"},
        hoverinfo="skip",
        name=t("map.inset_area", lang),
        legendgroup="inset",
    )


# ------------------------------------------------------------------------------ labels
_ADMIN_WORDS = ("District", "County", "Area", "Zone")


def short_name(name: str | None, name_zh: str | None, lang: str = "zh") -> str:
    """A district's name as labelled on the map (the hover box keeps the full name).

    Chinese names are kept but for the long autonomous counties (石柱县 for 石柱土家族自治县)
    and the development zone (万盛经开区); English names drop the administrative words
    (Wanzhou for Wanzhou District, Zhong for Zhong County (Zhongxian)).

    Examples
    --------
    >>> short_name("Shizhu Tujia Autonomous County", "石柱土家族自治县", "zh")
    '石柱县'
    >>> short_name("Zhong County (Zhongxian)", "忠县", "en"), short_name("Core 1", "核心一", "en")
    ('Zhong', 'Core 1')
    """
    if lang == "zh" and name_zh:
        if name_zh.endswith("自治县") and len(name_zh) > 5:
            return name_zh[:2] + "县"
        if name_zh.endswith("经济技术开发区"):
            return name_zh[: -len("经济技术开发区")] + "经开区"
        return name_zh
    full = display_name(name, name_zh, lang)
    words = full.split(" (")[0].split()
    if len(words) > 1 and words[-1] in _ADMIN_WORDS:
        return words[0]
    return full


@dataclass(frozen=True)
class _LabelRequest:
    """One label and the places it may take: (lon, lat, plotly text position) each."""

    text: str
    places: tuple[tuple[float, float, str], ...]
    gap_px: float
    font_px: int
    kind: str  # "node", "strong" (a highlighted node) or "link"
    marker_px: int = 0
    #: Places from here on are taken only when none before is free (a link's id beside it).
    fallback_from: int | None = None

    def tiers(self) -> list[int]:
        first = len(self.places) if self.fallback_from is None else self.fallback_from
        return [0 if i < first else 1 for i in range(len(self.places))]


def _node_gap_px(marker_px: int) -> float:
    # plotly sets text this far from a marker's centre: radius / 0.8 + 1
    return marker_px / 2 / 0.8 + 1


def _label_requests(
    nodes: Sequence[Any],
    draws: Sequence[_LinkDraw],
    panel: _Panel,
    inset: _Panel | None,
    highlight_nodes: Collection[str],
    lang: str,
) -> list[_LabelRequest]:
    """The labels wanted in ``panel``, most important first."""
    areas = geo.district_areas_km2()

    def area(node: Any) -> float:
        return areas.get(geo.feature_name(str(_get(node, "name_zh") or "")) or "", 0.0)

    font_px = INSET_FONT_PX if panel.is_inset else LABEL_FONT_PX

    def node_request(node: Any, strong: bool) -> _LabelRequest:
        lon, lat = _lonlat(node)
        size = NODE_STYLE[_get(node, "kind")][1]
        return _LabelRequest(
            short_name(_get(node, "name"), _get(node, "name_zh"), lang),
            tuple((lon, lat, pos) for pos in LABEL_POSITIONS),
            _node_gap_px(size),
            font_px + (HIGHLIGHT_FONT_PX - LABEL_FONT_PX) * strong,
            "strong" if strong else "node",
            size,
        )

    shown = [n for n in nodes if _in_panel(panel, inset, *_lonlat(n))]
    by_area = sorted(shown, key=lambda n: -area(n))  # stable: ties keep the input order
    strong = [n for n in by_area if _get(n, "id") in highlight_nodes]
    rest = [n for n in by_area if _get(n, "kind") == "district" and n not in strong]
    requests = [node_request(n, True) for n in strong]
    for d in draws:
        if not d.highlighted:
            continue
        places = []
        for fraction in LINK_LABEL_FRACTIONS:
            lon, lat = d.point_at(fraction)
            if _in_panel(panel, inset, lon, lat):
                places.append((lon, lat, "middle center"))
        on_link = len(places)
        if _in_panel(panel, inset, *d.mid):
            # a link too short to carry its id (e.g. between two central sites) has it beside
            places += [(*d.mid, pos) for pos in LABEL_POSITIONS]
        if places:
            requests.append(
                _LabelRequest(
                    d.lid, tuple(places), _node_gap_px(LINK_LABEL_MARKER_PX), font_px,
                    "link", LINK_LABEL_MARKER_PX, on_link,
                )
            )
    requests += [node_request(n, False) for n in rest]
    return requests


def _label_traces(
    requests: Sequence[_LabelRequest],
    nodes: Sequence[Any],
    panel: _Panel,
    inset: _Panel | None,
    lang: str,
) -> list[dict[str, Any]]:
    """Place the labels greedily and draw those that found room: text traces, no hover."""
    obstacles: list[Box] = []
    for node in nodes:
        lon, lat = _lonlat(node)
        if _inside(panel.box, lon, lat):
            x, y = panel.to_px(lon, lat)
            half = NODE_STYLE[_get(node, "kind")][1] / 2
            obstacles.append((x - half, y - half, x + half, y + half))
    if inset is not None and not panel.is_inset:
        (x0, y1), (x1, y0) = (
            panel.to_px(inset.box[0], inset.box[1]),
            panel.to_px(inset.box[2], inset.box[3]),
        )
        obstacles.append((x0, y0, x1, y1))
    candidates = []
    for request in requests:
        size = text_size_px(request.text, request.font_px)
        candidates.append(
            [
                label_box(*panel.to_px(lon, lat), size, pos, request.gap_px)
                for lon, lat, pos in request.places
            ]
        )
    chosen = place_labels(
        candidates, obstacles, panel.window_px(), [r.tiers() for r in requests]
    )
    groups: dict[str, list[tuple[_LabelRequest, tuple[float, float, str]]]] = {}
    for request, pick in zip(requests, chosen, strict=True):
        if pick is not None:
            groups.setdefault(request.kind, []).append((request, request.places[pick]))
    traces = []
    for kind in ("node", "strong", "link"):
        members = groups.get(kind)
        if not members:
            continue
        font = {
            "size": members[0][0].font_px,
            "color": LABEL_COLOUR,
            "family": MAP_FONT,
            "shadow": LABEL_HALO,
        }
        if kind != "node":
            font["weight"] = "bold"
        props: dict[str, Any] = {
            "lon": [place[0] for _, place in members],
            "lat": [place[1] for _, place in members],
            "text": [plain_text(r.text) for r, _ in members],
            "textposition": [place[2] for _, place in members],
            "textfont": font,
            "hoverinfo": "skip",
            "showlegend": False,
            "name": panel.name(t("map.link_ids" if kind == "link" else "map.labels", lang)),
        }
        # invisible markers of the node's size make plotly set the text beside the node
        props["mode"] = "markers+text"
        props["marker"] = {"size": [r.marker_px for r, _ in members], "opacity": 0}
        traces.append(panel.trace(**props))
    return traces


# -------------------------------------------------------------------------- the figure
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
    district_range: tuple[float, float] | None = None,
    district_label: str | None = None,
    district_format: str = ",.0f",
    node_hover: Mapping[str, str] | None = None,
    link_info: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    highlight_links: Collection[str] = (),
    highlight_nodes: Collection[str] = (),
    labels: bool = True,
    inset: bool = True,
    title: str | None = None,
    height_px: int = 780,
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
        Link id → value that colours the link (light low, dark high), with a colour bar;
        links without a value are grey. Without it links are drawn in one plain colour.
    link_hover : mapping, optional
        Link id → the cause of its value, last in the link's hover box (e.g. the failure
        that causes its worst load).
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
    district_range : (float, float), optional
        Colour-scale range for ``district_values`` (e.g. from 0 for quantities whose ratios
        matter); default: the values' own range.
    node_hover : mapping, optional
        Node id → extra text for the node's hover box.
    link_info : mapping, optional
        Link id → ``(label, value)`` lines for its hover box, shown after its ends (e.g.
        capacity before and after a plan).
    highlight_links : collection of str
        Link ids drawn thicker and labelled with their id (e.g. links over target).
    highlight_nodes : collection of str
        Node ids labelled first and in bold (e.g. districts at risk or buying).
    labels : bool
        Write district names and the highlighted links' ids on the map.
    inset : bool
        Add the inset on the crowded centre, when the network has one (see the module).
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
        Records with missing or bad fields, links to unknown nodes, values or lines for
        unknown links or districts, highlights of unknown links or nodes — all reported at
        once.
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
    ['dash', 'dash']
    >>> [tr.text for tr in fig.data if tr.name == "名称"]
    [('乙',)]
    """
    import plotly.graph_objects as go

    check_lang(lang)
    by_id, problems = _check_inputs(nodes, links, link_values)
    link_ids = {_get(link, "id") for link in links}
    _check_references("link_info", link_info or {}, link_ids, "link", problems)
    _check_references("highlight_links", highlight_links, link_ids, "link", problems)
    _check_references("highlight_nodes", highlight_nodes, by_id, "node", problems)
    fill_values = _district_fill_values(district_values, by_id, problems)
    if problems:
        raise ValidationError(problems)

    value_label = value_label or t("map.value", lang)
    district_label = district_label or t("map.district_value", lang)
    values = {k: float(v) for k, v in (link_values or {}).items() if _finite(v)}
    scale = scale_range(list(values.values()), value_range)
    text = _LinkText(
        lang, values if link_values is not None else None, value_label, value_format,
        link_hover, link_info,
    )
    draws = _link_draws(links, by_id, link_values, scale, set(highlight_links), text)
    main, inset_panel = _panels(nodes, height_px, 50 if title else 10, inset, lang)
    traces: list[Any] = []
    for panel in (main, inset_panel):
        if panel is None:
            continue
        shown = draws
        if panel.is_inset:
            seen = [d for d in draws if d.visible_in(panel.box) is not None]
            shown = [d for d in seen if d.ends_in(panel.box)]
        traces += _district_fill_traces(
            nodes, fill_values, lang, district_label, district_format, panel, district_range
        )
        traces += _outline_traces(lang, panel)
        if panel.is_inset:
            traces += _passing_line_traces([d for d in seen if d not in shown], panel, lang)
        traces += _link_line_traces(shown, panel, lang)
        traces += _link_hover_traces(
            shown, panel, lang, link_values is not None, value_label, scale
        )
        traces += _node_traces(
            nodes, lang, fill_values, district_label, district_format, node_hover, panel
        )
        if inset_panel is not None and not panel.is_inset:
            traces.append(_inset_area_trace(main, inset_panel, lang))
        if labels:
            requests = _label_requests(
                nodes, shown, panel, inset_panel, set(highlight_nodes), lang
            )
            traces += _label_traces(requests, nodes, panel, inset_panel, lang)
    # Built from plain dicts without plotly's per-property validation, which took most of
    # the map's time (hundreds of traces); tests validate the same figure in full.
    fig = go.Figure(data=traces, layout=_map_layout(title, height_px, main, inset_panel, lang),
                    _validate=False)
    return fig


@functools.cache
def _colourscale(name: str) -> tuple[tuple[float, str], ...]:
    """A named plotly colour scale as (position, colour) pairs: the figure is built without
    plotly's validation, which is what would otherwise expand the name."""
    import plotly.colors as pcolors

    return tuple((float(at), colour) for at, colour in pcolors.get_colorscale(name))


@functools.cache
def _template(name: str) -> dict[str, Any]:
    """A named plotly template as the layout dict a validated figure would hold."""
    import plotly.io as pio

    return pio.templates[name].to_plotly_json()


def _base_geo() -> dict[str, Any]:
    return {
        "projection": {"type": "mercator"},
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
    }


def _map_layout(
    title: str | None, height_px: int, main: _Panel, inset: _Panel | None, lang: str
) -> dict[str, Any]:
    """Figure layout: legend below, the Chongqing extent, every plotly base layer off;
    with an inset, its panel framed and titled on the right."""
    main_x = MAIN_DOMAIN_X if inset else (0.0, 1.0)
    layout: dict[str, Any] = dict(
        template=_template("plotly_white"),
        height=height_px,
        font={"family": MAP_FONT},
        margin={"l": 10, "r": 10, "t": 50 if title else 10, "b": 10},
        title={"text": plain_text(title)} if title else None,
        legend={"orientation": "h", "yanchor": "top", "y": -0.01, "x": 0.0},
        hoverlabel={"align": "left"},
        geo={
            **_base_geo(),
            "domain": {"x": list(main_x), "y": [0.0, 1.0]},
            "lonaxis": {"range": list(main.lon_range), "showgrid": False},
            "lataxis": {"range": list(main.lat_range), "showgrid": False},
        },
    )
    if inset is None:
        return layout
    layout["geo2"] = {
        **_base_geo(),
        "domain": {"x": list(INSET_DOMAIN_X), "y": list(INSET_DOMAIN_Y)},
        "lonaxis": {"range": list(inset.lon_range), "showgrid": False},
        "lataxis": {"range": list(inset.lat_range), "showgrid": False},
    }
    layout["shapes"] = [
        {
            "type": "rect",
            "xref": "paper",
            "yref": "paper",
            "x0": INSET_DOMAIN_X[0],
            "x1": INSET_DOMAIN_X[1],
            "y0": INSET_DOMAIN_Y[0],
            "y1": INSET_DOMAIN_Y[1],
            "line": {"color": CASING_COLOUR, "width": 1, "dash": "dot"},
            "layer": "below",
        }
    ]
    layout["annotations"] = [
        {
            "text": plain_text(t("map.inset_title", lang)),
            "xref": "paper",
            "yref": "paper",
            "x": INSET_DOMAIN_X[0],
            "y": INSET_DOMAIN_Y[1],
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 13, "color": LABEL_COLOUR},
        }
    ]
    return layout
