"""The drawing parts of the network map: colour scales, bent parallel links, geo traces.

:mod:`netplan.report.mapfig` composes the map from these; they hold no data of their own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

#: Light enough for links and labels to stay legible on the darkest fill.
FILL_ALPHA = 0.4
#: Bend of parallel links between the same two nodes: at most this far apart mid-way.
PARALLEL_OFFSET_KM = 2.5
KM_PER_DEG = 111.195
#: Colour levels for lines and fills (the colour bar itself stays continuous).
COLOUR_STEPS = 40


def scale_range(values: Sequence[float], fixed: tuple[float, float] | None) -> tuple[float, float]:
    """The colour scale's (low, high): ``fixed`` if given, else the values' range."""
    if fixed is not None:
        low, high = float(fixed[0]), float(fixed[1])
    elif values:
        low, high = min(values), max(values)
    else:
        low, high = 0.0, 1.0
    if not high > low:
        high = low + 1.0  # a flat range still needs a scale
    return low, high


def scale_fraction(value: float, low: float, high: float) -> float:
    """Where ``value`` lies between ``low`` and ``high``, clipped to [0, 1]."""
    return min(1.0, max(0.0, (value - low) / (high - low)))


def colour_sampler(name: str, steps: int) -> Any:
    """A function fraction -> colour, quantised to ``steps`` levels so that links of nearly
    equal value share one trace (the hover marker shows the exact colour and value)."""
    import plotly.colors as pcolors

    scale = pcolors.get_colorscale(name)
    levels = pcolors.sample_colorscale(scale, [i / steps for i in range(steps + 1)])
    return lambda fraction: levels[round(fraction * steps)]


def with_alpha(rgb: str, alpha: float) -> str:
    """``rgb(r, g, b)`` as ``rgba(r, g, b, alpha)``."""
    inner = rgb[rgb.index("(") + 1 : rgb.index(")")]
    return f"rgba({inner}, {alpha})"


def format_value(value: float, spec: str) -> str:
    """``value`` in the format ``spec`` (``".0%"``, ``".2f"`` …)."""
    return format(value, spec)


def bent_path(
    a: tuple[float, float], b: tuple[float, float], slot: float
) -> tuple[list[float], list[float], tuple[float, float]]:
    """Lon and lat lists for a link, bent sideways by ``slot`` offsets; and its mid-point."""
    (lon1, lat1), (lon2, lat2) = a, b
    mid_lon, mid_lat = (lon1 + lon2) / 2, (lat1 + lat2) / 2
    if slot == 0:
        return [lon1, lon2], [lat1, lat2], (mid_lon, mid_lat)
    kx = KM_PER_DEG * math.cos(math.radians(mid_lat))
    dx, dy = (lon2 - lon1) * kx, (lat2 - lat1) * KM_PER_DEG
    length_km = math.hypot(dx, dy)
    if length_km == 0:
        return [lon1, lon2], [lat1, lat2], (mid_lon, mid_lat)
    offset_km = slot * min(PARALLEL_OFFSET_KM, 0.15 * length_km)
    # the unit normal (-dy, dx) turned back into degrees
    mid_lon += -dy / length_km * offset_km / kx
    mid_lat += dx / length_km * offset_km / KM_PER_DEG
    return [lon1, mid_lon, lon2], [lat1, mid_lat, lat2], (mid_lon, mid_lat)


def scattergeo(**props: Any) -> dict[str, Any]:
    """A ``scattergeo`` trace as a plain dict."""
    # plain dicts: go.Figure validates each trace once (building go.Scattergeo first would
    # validate the long coordinate lists twice)
    return {"type": "scattergeo", **props}


def rings_to_lines(rings: Sequence[Sequence[tuple[float, float]]]) -> tuple[list, list]:
    """Polygon rings as one lon list and one lat list, broken by ``None`` between rings."""
    lons: list[float | None] = []
    lats: list[float | None] = []
    for ring in rings:
        if lons:
            lons.append(None)
            lats.append(None)
        lons.extend(p[0] for p in ring)
        lats.extend(p[1] for p in ring)
    return lons, lats


# ------------------------------------------------------------------ screen geometry
#: Width of the report's text column on a screen: the inset's window takes the shape of its
#: panel at this width.
SCREEN_WIDTH_PX = 1044
#: The narrowest the report draws a figure (printed on A4). Labels are placed for it: a
#: wider figure only moves them apart, so what does not overlap here overlaps nowhere.
PRINT_WIDTH_PX = 700
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in px, y downwards


def mercator_y(lat_deg: float) -> float:
    """The Mercator ordinate of a latitude, in radians of the equator.

    Examples
    --------
    >>> abs(mercator_y(0.0)) < 1e-12, round(mercator_y(45.0), 4)
    (True, 0.8814)
    """
    return math.log(math.tan(math.pi / 4 + math.radians(lat_deg) / 2))


def fit_ranges(
    lon_range: tuple[float, float],
    lat_range: tuple[float, float],
    width_px: float,
    height_px: float,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Widen the shorter side of a lon/lat window so that it fills a panel of this shape.

    plotly fits a map's window inside its panel keeping the projection's aspect, and leaves
    the rest of the panel blank; a window of the panel's own shape uses all of it.

    Examples
    --------
    A window one degree square at the equator in a panel twice as wide as it is high:

    >>> lon, lat = fit_ranges((0.0, 1.0), (-0.5, 0.5), 200, 100)
    >>> [round(v, 3) for v in lon], [round(v, 3) for v in lat]
    ([-0.5, 1.5], [-0.5, 0.5])
    """
    lon0, lon1 = lon_range
    y0, y1 = mercator_y(lat_range[0]), mercator_y(lat_range[1])
    dx, dy = math.radians(lon1 - lon0), y1 - y0
    if dx / dy < width_px / height_px:  # too narrow: widen the longitudes
        half = math.degrees(dy * width_px / height_px) / 2
        mid = (lon0 + lon1) / 2
        return (mid - half, mid + half), tuple(lat_range)
    half_y = dx * height_px / width_px / 2
    mid_y = (y0 + y1) / 2
    lat_of = lambda y: math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)  # noqa: E731
    return tuple(lon_range), (lat_of(mid_y - half_y), lat_of(mid_y + half_y))


def pixel_projector(
    lon_range: tuple[float, float],
    lat_range: tuple[float, float],
    width_px: float,
    height_px: float,
) -> Any:
    """A function ``(lon, lat) -> (x_px, y_px)`` placing points as plotly's Mercator map does.

    The window is fitted inside the panel keeping its aspect and centred; ``y`` grows
    downwards, as on screen.

    Examples
    --------
    A window about two degrees square near the equator fills the height of a panel twice
    as wide as it is high, centred:

    >>> to_px = pixel_projector((0.0, 2.0), (-1.0, 1.0), 400, 200)
    >>> [round(v, 1) + 0 for v in to_px(0.0, 0.0)], [round(v, 1) + 0 for v in to_px(2.0, 1.0)]
    ([100.0, 100.0], [300.0, 0.0])
    """
    lon0, lon1 = lon_range
    y0, y1 = mercator_y(lat_range[0]), mercator_y(lat_range[1])
    scale = min(width_px / math.radians(lon1 - lon0), height_px / (y1 - y0))
    mid_lon, mid_y = (lon0 + lon1) / 2, (y0 + y1) / 2

    def to_px(lon: float, lat: float) -> tuple[float, float]:
        return (
            width_px / 2 + math.radians(lon - mid_lon) * scale,
            height_px / 2 - (mercator_y(lat) - mid_y) * scale,
        )

    return to_px


def text_size_px(text: str, font_px: float) -> tuple[float, float]:
    """Rough width and height of one line of text: wide (CJK) characters one em, others 0.6.

    Examples
    --------
    >>> text_size_px("万州区", 12), text_size_px("Wanzhou", 10)
    ((36.0, 15.0), (42.0, 12.5))
    """
    import unicodedata

    ems = sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)
    return ems * font_px, 1.25 * font_px


#: Where a label may sit next to its point, in order of preference, as plotly names them.
LABEL_POSITIONS = (
    "middle right", "middle left", "top center", "bottom center",
    "top right", "bottom right", "top left", "bottom left",
)


def label_box(
    x: float, y: float, size: tuple[float, float], position: str, gap_px: float
) -> Box:
    """The box a label of ``size`` takes at ``position`` around the point ``(x, y)``.

    ``position`` is one of plotly's text positions (``"top left"`` … ``"bottom right"``);
    ``gap_px`` is the distance from the point to the label's near edges, as plotly keeps
    text off a marker; ``"middle center"`` centres the label on the point.

    Examples
    --------
    >>> label_box(100, 50, (40, 10), "middle right", 5)
    (105, 45.0, 145, 55.0)
    >>> label_box(100, 50, (40, 10), "top center", 5)
    (80.0, 35, 120.0, 45)
    >>> label_box(100, 50, (40, 10), "bottom left", 5)
    (55, 55, 95, 65)
    """
    w, h = size
    vertical, horizontal = position.split()
    if horizontal == "right":
        x0 = x + gap_px
    elif horizontal == "left":
        x0 = x - gap_px - w
    else:
        x0 = x - w / 2
    if vertical == "top":
        y0 = y - gap_px - h
    elif vertical == "bottom":
        y0 = y + gap_px
    else:
        y0 = y - h / 2
    return (x0, y0, x0 + w, y0 + h)


def boxes_overlap(a: Box, b: Box) -> bool:
    """True when two boxes share more than an edge.

    Examples
    --------
    >>> boxes_overlap((0, 0, 10, 10), (5, 5, 15, 15)), boxes_overlap((0, 0, 10, 10), (10, 0, 20, 10))
    (True, False)
    """
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(
    requests: Sequence[Sequence[Box]],
    obstacles: Sequence[Box] = (),
    bounds: Box | None = None,
    tiers: Sequence[Sequence[int]] | None = None,
) -> list[int | None]:
    """Greedy label placement: each label, most important first, takes a free candidate box.

    A candidate is free when it overlaps neither an obstacle nor a label placed before it,
    and lies inside ``bounds`` (if given). Of its free candidates (of the lowest tier that
    has one) a label takes the one that covers the fewest candidates of the labels still to
    come (the first on a tie), so that it leaves them room. A label with no free candidate
    is skipped.

    Parameters
    ----------
    requests : sequence of sequences of boxes
        For each label, its candidate boxes in order of preference.
    obstacles : sequence of boxes
        What no label may cover (e.g. node markers).
    bounds : box, optional
        The panel: labels must lie inside it.
    tiers : sequence of sequences of int, optional
        For each label, a tier per candidate: a candidate of a higher tier is taken only
        when none of a lower tier is free (default: all tier 0).

    Returns
    -------
    list of (int or None)
        For each label, the index of the candidate taken, or None when it is skipped.

    Examples
    --------
    The second label's first place is taken by the first label, so it takes its second;
    the third has no free place:

    >>> place_labels([[(0, 0, 10, 5)], [(5, 0, 15, 5), (0, 6, 10, 11)], [(2, 2, 4, 4)]])
    [0, 1, None]

    The first label leaves the place the second needs, unless that place is of a lower
    tier than its other one:

    >>> place_labels([[(0, 0, 10, 5), (0, 10, 10, 15)], [(0, 0, 10, 5)]])
    [1, 0]
    >>> place_labels([[(0, 0, 10, 5), (0, 10, 10, 15)], [(0, 0, 10, 5)]], tiers=[[0, 1], [0]])
    [0, None]
    """
    placed: list[Box] = list(obstacles)
    chosen: list[int | None] = []
    for number, candidates in enumerate(requests):
        later = [box for boxes in requests[number + 1 :] for box in boxes]
        levels = tiers[number] if tiers is not None else [0] * len(candidates)
        best, best_cost = None, (0, 0)
        for index, box in enumerate(candidates):
            inside = bounds is None or (
                box[0] >= bounds[0] and box[1] >= bounds[1]
                and box[2] <= bounds[2] and box[3] <= bounds[3]
            )
            if not inside or any(boxes_overlap(box, other) for other in placed):
                continue
            cost = (levels[index], sum(boxes_overlap(box, other) for other in later))
            if best is None or cost < best_cost:
                best, best_cost = index, cost
        chosen.append(best)
        if best is not None:
            placed.append(candidates[best])
    return chosen


def clip_segment(
    a: tuple[float, float], b: tuple[float, float], box: Box
) -> tuple[float, float] | None:
    """The part of segment ``a``–``b`` inside ``box`` as fractions ``(t0, t1)`` along it.

    Liang–Barsky clipping in the plane of the coordinates given (lon/lat here: the windows
    are small enough for segments to stay straight). None when the segment misses the box.

    Examples
    --------
    >>> clip_segment((-1.0, 0.5), (3.0, 0.5), (0.0, 0.0, 1.0, 1.0))
    (0.25, 0.5)
    >>> clip_segment((2.0, 2.0), (3.0, 3.0), (0.0, 0.0, 1.0, 1.0)) is None
    True
    """
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - box[0]), (dx, box[2] - a[0]), (-dy, a[1] - box[1]), (dy, box[3] - a[1])):
        if p == 0:
            if q < 0:
                return None
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return None
    return t0, t1
