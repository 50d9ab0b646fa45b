"""The drawing parts of the network map: colour scales, bent parallel links, geo traces.

:mod:`netplan.report.mapfig` composes the map from these; they hold no data of their own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

FILL_ALPHA = 0.55
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
