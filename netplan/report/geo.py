"""Chongqing district outlines for offline maps.

The outlines ship with the package as plain GeoJSON in ``netplan/report/assets/``, decoded
once from ECharts' compact encoding (see :func:`decode_ring`) by :func:`build_assets`, so a
report needs no decoding and no network at run time. This module also holds the small amount
of planar geometry the report and its tests need: point-in-polygon, distance to a boundary,
area on the sphere and line simplification for display.

Coordinates are ``(lon, lat)`` in degrees, in the frame of the source data (GCJ-02, about
0.5 km from WGS-84 — the same frame as the district seats in the default topology).
"""

from __future__ import annotations

import copy
import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from netplan.errors import NetplanError

log = logging.getLogger(__name__)

#: Scale of the compact encoding: integer units per degree.
ENCODE_SCALE = 1024
#: Decimal places kept in the shipped assets (1e-4 degree is about 11 m).
ASSET_DECIMALS = 4
#: The map window that fits the municipality, degrees east and north.
CHONGQING_LON_RANGE = (105.2, 110.2)
CHONGQING_LAT_RANGE = (28.1, 32.2)

DISTRICTS_ASSET = "chongqing-districts.geojson"
OUTLINE_ASSET = "chongqing-outline.geojson"

#: Current names of districts whose outline carries the older county name.
FEATURE_NAME_OF = {"梁平区": "梁平县", "武隆区": "武隆县"}
#: Zones with no outline of their own, and the census-era features they lie in.
ZONES_WITHOUT_OUTLINE = {
    "两江新区": ("江北区", "渝北区"),
    "西部科学城重庆高新区": ("沙坪坝区", "九龙坡区"),
    "重庆高新区": ("沙坪坝区", "九龙坡区"),
    "万盛经济技术开发区": ("綦江区",),
    "万盛经开区": ("綦江区",),
}

_EARTH_RADIUS_KM = 6371.0088
_KM_PER_DEG = math.pi * _EARTH_RADIUS_KM / 180.0

Ring = list[tuple[float, float]]


# --------------------------------------------------------------------------- decoding
def _unzigzag(value: int) -> int:
    # zig-zag maps 0, -1, 1, -2, 2 ... onto 0, 1, 2, 3, 4 ...; this is the inverse.
    return (value >> 1) ^ -(value & 1)


def decode_ring(encoded: str, offset: Sequence[int], scale: int = ENCODE_SCALE) -> Ring:
    """Decode one ring of ECharts' compact (``UTF8Encoding``) geometry.

    Each point is a pair of characters. A character's code minus 64 is a zig-zag-encoded
    integer; decoded, it is the difference from the previous point (the first point's
    difference is taken from ``offset``). Integers are ``scale`` units per degree.

    Parameters
    ----------
    encoded : str
        The ring as stored in the feature's ``coordinates``.
    offset : sequence of two int
        The ring's ``encodeOffsets`` entry: the start ``[x, y]`` in integer units.
    scale : int
        Integer units per degree.

    Returns
    -------
    list of (float, float)
        ``(lon, lat)`` points in degrees.

    Raises
    ------
    NetplanError
        The string has an odd length or a character below ``'@'``.

    Examples
    --------
    ``'@@'`` is a zero step; ``'B'`` is +1 and ``'A'`` is -1:

    >>> decode_ring("@@BA", [1024, 2048])
    [(1.0, 2.0), (1.0009765625, 1.9990234375)]
    """
    if len(encoded) % 2:
        raise NetplanError(f"encoded ring has odd length {len(encoded)}: pairs expected")
    x, y = int(offset[0]), int(offset[1])
    points: Ring = []
    for i in range(0, len(encoded), 2):
        dx, dy = ord(encoded[i]) - 64, ord(encoded[i + 1]) - 64
        if dx < 0 or dy < 0:
            raise NetplanError(f"encoded ring: character at {i} is below '@'")
        x += _unzigzag(dx)
        y += _unzigzag(dy)
        points.append((x / scale, y / scale))
    return points


def decode_geometry(geometry: Mapping[str, Any], scale: int = ENCODE_SCALE) -> dict[str, Any]:
    """Decode an encoded ``Polygon`` or ``MultiPolygon`` into plain GeoJSON.

    Examples
    --------
    >>> g = {"type": "Polygon", "coordinates": ["@@B@@B"], "encodeOffsets": [[0, 0]]}
    >>> decode_geometry(g)["coordinates"]
    [[[0.0, 0.0], [0.0009765625, 0.0], [0.0009765625, 0.0009765625]]]
    """
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    offsets = geometry.get("encodeOffsets")
    if kind == "Polygon":
        polygons, offsets = [coords], [offsets]
    elif kind == "MultiPolygon":
        polygons = coords
    else:
        raise NetplanError(f"cannot decode geometry of type {kind!r}")
    if not isinstance(polygons, list) or not isinstance(offsets, list):
        raise NetplanError("encoded geometry needs list 'coordinates' and 'encodeOffsets'")
    if len(polygons) != len(offsets):
        raise NetplanError("encoded geometry: 'coordinates' and 'encodeOffsets' differ in length")
    decoded = []
    for rings, ring_offsets in zip(polygons, offsets, strict=True):
        if len(rings) != len(ring_offsets):
            raise NetplanError("encoded geometry: a polygon's rings and offsets differ in length")
        decoded.append(
            [
                [list(p) for p in decode_ring(r, o, scale)]
                for r, o in zip(rings, ring_offsets, strict=True)
            ]
        )
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": decoded[0]}
    return {"type": "MultiPolygon", "coordinates": decoded}


def decode_feature_collection(data: Mapping[str, Any]) -> dict[str, Any]:
    """Decode an ECharts map (``"UTF8Encoding": true``) into plain GeoJSON.

    A collection without the flag is returned as a deep copy, unchanged.

    Examples
    --------
    >>> src = {"type": "FeatureCollection", "UTF8Encoding": True, "features": [
    ...     {"type": "Feature", "properties": {"name": "a"},
    ...      "geometry": {"type": "Polygon", "coordinates": ["@@B@@B"],
    ...                   "encodeOffsets": [[1024, 1024]]}}]}
    >>> decode_feature_collection(src)["features"][0]["geometry"]["coordinates"][0][0]
    [1.0, 1.0]
    """
    if data.get("type") != "FeatureCollection":
        raise NetplanError("expected a GeoJSON FeatureCollection")
    if not data.get("UTF8Encoding"):
        return copy.deepcopy(dict(data))
    scale = int(data.get("UTF8Scale", ENCODE_SCALE))
    features = []
    for feature in data.get("features", []):
        out = {k: copy.deepcopy(v) for k, v in feature.items() if k != "geometry"}
        out["type"] = "Feature"
        out["geometry"] = decode_geometry(feature["geometry"], scale)
        features.append(out)
    return {"type": "FeatureCollection", "features": features}


# ----------------------------------------------------------------------- asset build
def _round_ring(ring: Iterable[Sequence[float]], decimals: int) -> list[list[float]]:
    out: list[list[float]] = []
    for lon, lat in ring:
        point = [round(float(lon), decimals), round(float(lat), decimals)]
        if not out or out[-1] != point:
            out.append(point)
    if out and out[0] != out[-1]:
        out.append(list(out[0]))  # GeoJSON rings are closed
    return out


def compact_geometry(geometry: Mapping[str, Any], decimals: int = ASSET_DECIMALS) -> dict:
    """Round a plain GeoJSON (Multi)Polygon, drop repeated points and close every ring.

    Degenerate rings (fewer than three distinct points, or zero area) are dropped.

    Examples
    --------
    >>> g = {"type": "Polygon", "coordinates": [
    ...     [[1.00001, 2.0], [1.00002, 2.0], [1.5, 2.5], [1.0, 2.5]],
    ...     [[1.2, 2.3], [1.2, 2.3], [1.2, 2.3]]]}
    >>> compact_geometry(g)["coordinates"]
    [[[1.0, 2.0], [1.5, 2.5], [1.0, 2.5], [1.0, 2.0]]]
    """
    kind = geometry["type"]
    polygons = []
    for polygon in polygons_of(geometry):
        rings = [_round_ring(r, decimals) for r in polygon]
        if not rings or not _is_proper_ring(rings[0]):
            continue  # a degenerate outer ring takes its holes with it
        polygons.append([rings[0], *(r for r in rings[1:] if _is_proper_ring(r))])
    if not polygons:
        raise NetplanError("geometry has no polygon with a proper outer ring")
    if kind == "Polygon":
        return {"type": kind, "coordinates": polygons[0]}
    return {"type": kind, "coordinates": polygons}


def _is_proper_ring(ring: Sequence[Sequence[float]]) -> bool:
    # GeoJSON linear rings need four positions (three distinct points); the source also
    # holds collinear slivers of zero area, which only confuse renderers.
    return len(ring) >= 4 and _ring_area_km2(ring) > 1e-9


def compact_collection(
    data: Mapping[str, Any], keep: Sequence[str] = ("name", "cp"), decimals: int = ASSET_DECIMALS
) -> dict[str, Any]:
    """Plain, rounded GeoJSON keeping only the properties named in ``keep``.

    Examples
    --------
    >>> src = {"type": "FeatureCollection", "features": [{"type": "Feature",
    ...     "properties": {"name": "x", "cp": [1.123456, 2.0], "childNum": 1},
    ...     "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 1]]]}}]}
    >>> compact_collection(src)["features"][0]["properties"]
    {'name': 'x', 'cp': [1.1235, 2.0]}
    """
    plain = decode_feature_collection(data)
    features = []
    for feature in plain["features"]:
        props = feature.get("properties") or {}
        kept = {}
        for key in keep:
            if key in props:
                value = props[key]
                if key == "cp":
                    value = [round(float(v), decimals) for v in value]
                kept[key] = value
        features.append(
            {
                "type": "Feature",
                "properties": kept,
                "geometry": compact_geometry(feature["geometry"], decimals),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def dumps_compact(data: Any) -> str:
    """Deterministic, compact JSON text (UTF-8 names kept readable).

    Examples
    --------
    >>> dumps_compact({"name": "渝中区", "cp": [106.5, 29.5]})
    '{"name":"渝中区","cp":[106.5,29.5]}'
    """
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def build_assets(source_dir: str | Path, target_dir: str | Path | None = None) -> list[Path]:
    """Decode the source outlines once and write the compact assets the report inlines.

    Parameters
    ----------
    source_dir : path
        Folder holding ``chongqing-districts.geojson`` (ECharts encoding) and
        ``chongqing-outline.geojson`` (plain coordinates), as in the source package.
    target_dir : path, optional
        Where to write; defaults to this package's ``assets`` folder.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> src = pathlib.Path(tempfile.mkdtemp())
    >>> ring = {"type": "Polygon", "coordinates": ["@@B@@B"], "encodeOffsets": [[0, 0]]}
    >>> _ = (src / DISTRICTS_ASSET).write_text(json.dumps({"type": "FeatureCollection",
    ...     "UTF8Encoding": True, "features": [{"type": "Feature",
    ...     "properties": {"name": "a"}, "geometry": ring}]}))
    >>> _ = (src / OUTLINE_ASSET).write_text(json.dumps({"type": "FeatureCollection",
    ...     "features": [{"type": "Feature", "properties": {"name": "o"},
    ...     "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 1]]]}}]}))
    >>> [p.name for p in build_assets(src, src / "out")]
    ['chongqing-districts.geojson', 'chongqing-outline.geojson']
    """
    from netplan.io.atomic import write_text_atomic

    source = Path(source_dir)
    target = Path(target_dir) if target_dir is not None else Path(__file__).parent / "assets"
    written = []
    for name in (DISTRICTS_ASSET, OUTLINE_ASSET):
        raw = json.loads((source / name).read_text(encoding="utf-8"))
        text = dumps_compact(compact_collection(raw)) + "\n"
        path = write_text_atomic(target / name, text)
        path.chmod(0o644)  # shipped data: readable by everyone, like the rest of the package
        written.append(path)
        log.info("wrote %s (%d bytes)", target / name, len(text.encode("utf-8")))
    return written


# --------------------------------------------------------------------- shipped assets
@lru_cache(maxsize=4)
def _asset_text(name: str) -> str:
    return resources.files("netplan.report").joinpath("assets", name).read_text(encoding="utf-8")


def load_districts() -> dict[str, Any]:
    """The 38 census-era district and county outlines as plain GeoJSON (a fresh copy).

    Each feature has ``properties.name`` (Chinese; 梁平县 and 武隆县 keep their older county
    names) and ``properties.cp``, a label point ``[lon, lat]``.

    Examples
    --------
    >>> fc = load_districts()
    >>> len(fc["features"]), fc["features"][2]["properties"]["name"]
    (38, '渝中区')
    """
    return json.loads(_asset_text(DISTRICTS_ASSET))


def load_outline() -> dict[str, Any]:
    """The municipal outline of Chongqing as plain GeoJSON (a fresh copy).

    Examples
    --------
    >>> load_outline()["features"][0]["geometry"]["type"]
    'MultiPolygon'
    """
    return json.loads(_asset_text(OUTLINE_ASSET))


def feature_name(name_zh: str) -> str | None:
    """The outline feature that carries a district's name, or None for zones without one.

    Current names map to the older names the outlines use; zones that have no outline of
    their own (两江新区, 高新区, 万盛经开区) give None.

    Examples
    --------
    >>> feature_name("梁平区"), feature_name("渝中区"), feature_name("两江新区")
    ('梁平县', '渝中区', None)
    """
    if name_zh in ZONES_WITHOUT_OUTLINE:
        return None
    return FEATURE_NAME_OF.get(name_zh, name_zh)


# --------------------------------------------------------------------------- geometry
def polygons_of(geometry: Mapping[str, Any]) -> list[list[Sequence[Sequence[float]]]]:
    """The polygons of a Polygon or MultiPolygon, each a list of rings (outer first).

    Examples
    --------
    >>> len(polygons_of({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 1]]]}))
    1
    """
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise NetplanError(f"expected a Polygon or MultiPolygon, got {geometry['type']!r}")


def rings_of(geometry: Mapping[str, Any]) -> list[Sequence[Sequence[float]]]:
    """Every ring of a Polygon or MultiPolygon, in order."""
    return [ring for polygon in polygons_of(geometry) for ring in polygon]


def contains(geometry: Mapping[str, Any], lon: float, lat: float) -> bool:
    """True when ``(lon, lat)`` lies inside the (Multi)Polygon (even-odd rule, holes honoured).

    Examples
    --------
    >>> square = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]}
    >>> contains(square, 1, 1), contains(square, 3, 1)
    (True, False)
    """
    inside = False
    for ring in rings_of(geometry):
        n = len(ring)
        for i in range(n):
            x1, y1 = ring[i - 1][0], ring[i - 1][1]
            x2, y2 = ring[i][0], ring[i][1]
            # count edges crossed by a ray going east from the point
            if (y1 > lat) != (y2 > lat):
                x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
                if x_cross > lon:
                    inside = not inside
    return inside


def boundary_distance_km(geometry: Mapping[str, Any], lon: float, lat: float) -> float:
    """Distance in km from a point to the nearest boundary edge of a (Multi)Polygon.

    Uses a local equirectangular projection around the point: accurate to well under 1 %
    at the few-kilometre distances it is meant for.

    Examples
    --------
    One hundredth of a degree of latitude is about 1.11 km:

    >>> square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    >>> round(boundary_distance_km(square, 0.5, 0.99), 3)
    1.112
    """
    kx = _KM_PER_DEG * math.cos(math.radians(lat))
    ky = _KM_PER_DEG
    best = math.inf
    for ring in rings_of(geometry):
        for i in range(len(ring)):
            ax, ay = (ring[i - 1][0] - lon) * kx, (ring[i - 1][1] - lat) * ky
            bx, by = (ring[i][0] - lon) * kx, (ring[i][1] - lat) * ky
            dx, dy = bx - ax, by - ay
            seg2 = dx * dx + dy * dy
            t = 0.0 if seg2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / seg2))
            best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


def _ring_area_km2(ring: Sequence[Sequence[float]]) -> float:
    # Area on the sphere of the ring's lon/lat trapezoids (exact for lines of constant
    # bearing in an equal-area cylindrical projection): R^2/2 * sum dlon * (sin a + sin b).
    total = 0.0
    for i in range(len(ring)):
        lon1, lat1 = ring[i - 1][0], ring[i - 1][1]
        lon2, lat2 = ring[i][0], ring[i][1]
        total += math.radians(lon2 - lon1) * (
            math.sin(math.radians(lat1)) + math.sin(math.radians(lat2))
        )
    return abs(total) * _EARTH_RADIUS_KM**2 / 2.0


def area_km2(geometry: Mapping[str, Any]) -> float:
    """Area of a (Multi)Polygon on the sphere, km² (holes subtracted).

    Examples
    --------
    A 1°×1° cell at the equator is about 12,364 km²:

    >>> cell = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    >>> round(area_km2(cell))
    12364
    """
    total = 0.0
    for polygon in polygons_of(geometry):
        outer, *holes = polygon
        total += _ring_area_km2(outer) - sum(_ring_area_km2(h) for h in holes)
    return total


def simplify_ring(ring: Sequence[Sequence[float]], tolerance_deg: float) -> Ring:
    """Drop points closer than ``tolerance_deg`` to the simplified line (Douglas–Peucker).

    The first and last points are kept, so closed rings stay closed.

    Examples
    --------
    >>> simplify_ring([(0, 0), (1, 0.001), (2, 0), (2, 2)], 0.01)
    [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0)]
    """
    pts = [(float(p[0]), float(p[1])) for p in ring]
    if len(pts) < 3 or tolerance_deg <= 0:
        return pts
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    tol2 = tolerance_deg * tolerance_deg
    while stack:
        first, last = stack.pop()
        ax, ay = pts[first]
        bx, by = pts[last]
        dx, dy = bx - ax, by - ay
        seg2 = dx * dx + dy * dy
        worst, worst_d2 = -1, tol2
        for i in range(first + 1, last):
            px, py = pts[i][0] - ax, pts[i][1] - ay
            # distance to the segment, not the infinite line: a ring doubling back on
            # itself must keep its far point
            t = 0.0 if seg2 == 0 else max(0.0, min(1.0, (px * dx + py * dy) / seg2))
            ex, ey = px - t * dx, py - t * dy
            d2 = ex * ex + ey * ey
            if d2 > worst_d2:
                worst, worst_d2 = i, d2
        if worst >= 0:
            keep[worst] = True
            stack.append((first, worst))
            stack.append((worst, last))
    return [p for p, k in zip(pts, keep, strict=True) if k]


@lru_cache(maxsize=8)
def _display_rings(asset: str, tolerance_deg: float) -> tuple[tuple[str, tuple[Ring, ...]], ...]:
    data = json.loads(_asset_text(asset))
    out = []
    for feature in data["features"]:
        rings = []
        for polygon in polygons_of(feature["geometry"]):
            for index, ring in enumerate(polygon):
                simple = simplify_ring(ring, tolerance_deg)
                # rings smaller than the tolerance collapse; they would be invisible anyway
                if len(simple) < 4:
                    continue
                # d3-geo (which plotly.js draws maps with) takes a clockwise ring as the
                # area it encloses and a counter-clockwise one as the rest of the globe
                clockwise = signed_area_deg2(simple) < 0
                if clockwise != (index == 0):
                    simple.reverse()
                rings.append(simple)
        out.append((feature["properties"].get("name", ""), tuple(rings)))
    return tuple(out)


def signed_area_deg2(ring: Sequence[Sequence[float]]) -> float:
    """Shoelace area of a ring in the lon/lat plane: positive when counter-clockwise.

    Examples
    --------
    >>> signed_area_deg2([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)])
    1.0
    """
    total = 0.0
    for i in range(len(ring)):
        x1, y1 = ring[i - 1][0], ring[i - 1][1]
        x2, y2 = ring[i][0], ring[i][1]
        total += x1 * y2 - x2 * y1
    return total / 2.0


def district_rings(tolerance_deg: float = 0.002) -> tuple[tuple[str, tuple[Ring, ...]], ...]:
    """District outlines simplified for display: ``((name, (ring, ...)), ...)``.

    Outer rings run clockwise and holes counter-clockwise, the orientation plotly.js needs
    to fill them (``fill="toself"``) as the enclosed area.

    ``tolerance_deg`` = 0.002 (about 200 m) is well below a pixel on a map of the whole
    municipality and keeps about 40 % of the outline points.

    Examples
    --------
    >>> rings = district_rings()
    >>> len(rings), rings[0][0]
    (38, '万州区')
    """
    return _display_rings(DISTRICTS_ASSET, float(tolerance_deg))


def outline_rings(tolerance_deg: float = 0.002) -> tuple[Ring, ...]:
    """The municipal outline's rings, simplified for display.

    Examples
    --------
    >>> len(outline_rings()) >= 1
    True
    """
    return tuple(
        ring for _, rings in _display_rings(OUTLINE_ASSET, float(tolerance_deg)) for ring in rings
    )


@lru_cache(maxsize=1)
def _district_areas() -> tuple[tuple[str, float], ...]:
    return tuple(
        (f["properties"]["name"], area_km2(f["geometry"])) for f in load_districts()["features"]
    )


def district_areas_km2() -> dict[str, float]:
    """Area of every district outline on the sphere, km², by outline name.

    Examples
    --------
    >>> areas = district_areas_km2()
    >>> areas["巫溪县"] > 4000 > 100 > areas["渝中区"]
    True
    """
    return dict(_district_areas())
