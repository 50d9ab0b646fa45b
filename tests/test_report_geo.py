"""District outlines: the decoder, the shipped assets and the geometry helpers.

References: the encoding as described in the source data's README (worked by hand below),
the source's own label points (``cp``), the district seats and areas from public sources
(``tests/data/geo/district_seats.csv``), the municipality's published area, and closed forms
for areas and distances on the sphere.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netplan.errors import NetplanError
from netplan.report import geo

DATA = Path(__file__).parent / "data" / "geo"
ASSETS = Path(geo.__file__).parent / "assets"
R_KM = 6371.0088
CHONGQING_AREA_KM2 = 82_400  # municipal government overview; see tests/data/geo/PROVENANCE.md


@pytest.fixture(scope="module")
def source() -> dict:
    return json.loads((DATA / "chongqing-districts.geojson").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def decoded(source) -> dict:
    return geo.decode_feature_collection(source)


@pytest.fixture(scope="module")
def by_name(decoded) -> dict:
    return {f["properties"]["name"]: f["geometry"] for f in decoded["features"]}


@pytest.fixture(scope="module")
def seats() -> list[dict]:
    with open(DATA / "district_seats.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------------ the encoding itself
def _encode_ring(points: list[tuple[int, int]]) -> tuple[str, list[int]]:
    """The encoding as the README describes it, written independently of the decoder."""
    out = []
    px, py = points[0]
    for x, y in points:
        for delta in (x - px, y - py):
            zz = 2 * delta if delta >= 0 else -2 * delta - 1
            out.append(chr(zz + 64))
        px, py = x, y
    return "".join(out), list(points[0])


def test_zigzag_characters_by_hand():
    # '@' = 0, 'A' = -1, 'B' = +1, 'C' = -2, 'D' = +2 (code - 64, zig-zag)
    ring = geo.decode_ring("@@ABCD", [2048, 1024])
    assert ring == [(2.0, 1.0), ((2048 - 1) / 1024, (1024 + 1) / 1024), (2045 / 1024, 1027 / 1024)]


def test_decode_hand_worked_square():
    # a 1/1024-degree square starting at (100, 30) degrees
    start = [100 * 1024, 30 * 1024]
    text = "@@" + "B@" + "@B" + "A@" + "@A"
    ring = geo.decode_ring(text, start)
    step = 1 / 1024
    assert ring == [
        (100.0, 30.0),
        (100.0 + step, 30.0),
        (100.0 + step, 30.0 + step),
        (100.0, 30.0 + step),
        (100.0, 30.0),
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(100_000, 115_000), st.integers(25_000, 35_000)),
        min_size=1,
        max_size=40,
    )
)
def test_decode_inverts_an_independent_encoder(points):
    text, offset = _encode_ring(points)
    assert geo.decode_ring(text, offset) == [(x / 1024, y / 1024) for x, y in points]


@pytest.mark.parametrize(("text", "offset"), [("@@A", [0, 0]), ("@?", [0, 0]), (" @", [0, 0])])
def test_decode_rejects_malformed_rings(text, offset):
    with pytest.raises(NetplanError):
        geo.decode_ring(text, offset)


def test_decode_rejects_unknown_geometry():
    with pytest.raises(NetplanError, match="LineString"):
        geo.decode_geometry({"type": "LineString", "coordinates": "@@", "encodeOffsets": [0, 0]})
    with pytest.raises(NetplanError, match="differ in length"):
        geo.decode_geometry({"type": "MultiPolygon", "coordinates": [["@@"]], "encodeOffsets": []})


# --------------------------------------------------------- decoded against references
def test_source_has_the_38_census_era_units(source, decoded):
    assert source["UTF8Encoding"] is True
    names = [f["properties"]["name"] for f in decoded["features"]]
    assert len(names) == len(set(names)) == 38
    census = {row["name_zh"] for row in _census_rows()}
    # the outlines use the older county names of two units
    expected = {geo.FEATURE_NAME_OF.get(n, n) for n in census}
    assert set(names) == expected


def _census_rows() -> list[dict]:
    with open(DATA / "district_seats.csv", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["adcode"]]


def test_label_points_fall_inside_their_own_polygon_only(decoded, by_name):
    without_cp = []
    for feature in decoded["features"]:
        name = feature["properties"]["name"]
        cp = feature["properties"].get("cp")
        if cp is None:
            without_cp.append(name)
            continue
        inside = [n for n, g in by_name.items() if geo.contains(g, cp[0], cp[1])]
        assert inside == [name], (name, inside)
    assert without_cp == ["开州区"]  # the source gives no label point for it


def test_seats_fall_inside_the_polygon_with_their_name(by_name, seats):
    census = [r for r in seats if r["adcode"]]
    assert len(census) == 38
    for row in census:
        lon, lat = float(row["lon"]), float(row["lat"])
        name = geo.feature_name(row["name_zh"])
        own = by_name[name]
        if not geo.contains(own, lon, lat):
            # seats are GCJ-02 street addresses: allow a few km at a boundary
            assert geo.boundary_distance_km(own, lon, lat) < 3.0, row["name_zh"]
        others = [n for n, g in by_name.items() if n != name and geo.contains(g, lon, lat)]
        assert others == [], (row["name_zh"], others)


def test_special_zones_fall_inside_the_units_they_belong_to(by_name, seats):
    zones = [r for r in seats if not r["adcode"]]
    assert {r["name_zh"] for r in zones} <= set(geo.ZONES_WITHOUT_OUTLINE)
    assert len(zones) == 3
    for row in zones:
        lon, lat = float(row["lon"]), float(row["lat"])
        parents = geo.ZONES_WITHOUT_OUTLINE[row["name_zh"]]
        assert geo.feature_name(row["name_zh"]) is None
        assert any(geo.contains(by_name[p], lon, lat) for p in parents), row["name_zh"]


def test_areas_match_published_areas(by_name, seats):
    checked = 0
    for row in seats:
        if not row["adcode"] or row["area_source"].upper().startswith("APPROX"):
            continue  # unverified areas are no reference
        area = geo.area_km2(by_name[geo.feature_name(row["name_zh"])])
        published = float(row["area_km2"])
        # the outlines have 1/1024-degree (~100 m) vertices: small districts lose most
        assert area == pytest.approx(published, rel=0.06), row["name_zh"]
        checked += 1
    assert checked >= 20


def test_districts_tile_the_municipality(by_name):
    outline = geo.load_outline()["features"][0]["geometry"]
    total = sum(geo.area_km2(g) for g in by_name.values())
    assert total == pytest.approx(geo.area_km2(outline), rel=0.005)
    assert geo.area_km2(outline) == pytest.approx(CHONGQING_AREA_KM2, rel=0.01)


# ------------------------------------------------------------------- shipped assets
def test_assets_rebuild_byte_for_byte(tmp_path):
    written = geo.build_assets(DATA, tmp_path)
    assert [p.name for p in written] == [geo.DISTRICTS_ASSET, geo.OUTLINE_ASSET]
    for path in written:
        assert path.read_bytes() == (ASSETS / path.name).read_bytes(), path.name


def test_assets_are_plain_compact_geojson():
    for name in (geo.DISTRICTS_ASSET, geo.OUTLINE_ASSET):
        text = (ASSETS / name).read_text(encoding="utf-8")
        data = json.loads(text)
        assert "UTF8Encoding" not in data and "encodeOffsets" not in text
        assert ": " not in text and len(text.splitlines()) == 1
        for feature in data["features"]:
            for ring in geo.rings_of(feature["geometry"]):
                assert len(ring) >= 4 and ring[0] == ring[-1]
                for lon, lat in ring:
                    assert 105.0 < lon < 110.5 and 28.0 < lat < 32.5
                    assert round(lon, 4) == lon and round(lat, 4) == lat
    assert (ASSETS / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert (ASSETS / "PROVENANCE.md").is_file()


def test_assets_stay_within_rounding_of_the_decoded_source(decoded):
    shipped = {f["properties"]["name"]: f for f in geo.load_districts()["features"]}
    for feature in decoded["features"]:
        name = feature["properties"]["name"]
        raw = geo.rings_of(feature["geometry"])
        kept = geo.rings_of(shipped[name]["geometry"])
        assert 1 <= len(kept) <= len(raw)
        # every shipped vertex is a source vertex rounded to 4 decimals
        source_points = {(round(x, 4), round(y, 4)) for ring in raw for x, y in ring}
        assert all((x, y) in source_points for ring in kept for x, y in ring), name
        assert geo.area_km2(shipped[name]["geometry"]) == pytest.approx(
            geo.area_km2(feature["geometry"]), rel=2e-3
        )


def test_loaders_return_fresh_copies():
    first = geo.load_districts()
    first["features"].clear()
    assert len(geo.load_districts()["features"]) == 38
    assert geo.load_outline()["features"][0]["properties"]["name"] == "重庆"


def test_feature_names_for_current_and_zone_names():
    assert geo.feature_name("梁平区") == "梁平县"
    assert geo.feature_name("武隆区") == "武隆县"
    assert geo.feature_name("开州区") == "开州区"
    for zone in ("两江新区", "西部科学城重庆高新区", "万盛经济技术开发区"):
        assert geo.feature_name(zone) is None


# --------------------------------------------------------------------- geometry helpers
def test_area_of_a_lat_lon_cell_matches_the_closed_form():
    lat1, lat2, lon1, lon2 = 30.0, 31.0, 106.0, 107.0
    cell = {
        "type": "Polygon",
        "coordinates": [[[lon1, lat1], [lon2, lat1], [lon2, lat2], [lon1, lat2], [lon1, lat1]]],
    }
    exact = (
        R_KM**2
        * math.radians(lon2 - lon1)
        * (math.sin(math.radians(lat2)) - math.sin(math.radians(lat1)))
    )
    assert geo.area_km2(cell) == pytest.approx(exact, rel=1e-12)
    holed = {"type": "Polygon", "coordinates": [*cell["coordinates"], cell["coordinates"][0]]}
    assert geo.area_km2(holed) == pytest.approx(0.0, abs=1e-6)


def test_contains_honours_holes_and_multipolygons():
    outer = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole = [[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]
    far = [[10, 10], [11, 10], [11, 11], [10, 10]]
    shape = {"type": "MultiPolygon", "coordinates": [[outer, hole], [far]]}
    assert geo.contains(shape, 0.5, 0.5)
    assert not geo.contains(shape, 2, 2)
    assert geo.contains(shape, 10.8, 10.2)
    assert not geo.contains(shape, 10.2, 10.8)


def test_boundary_distance_matches_great_circle_at_short_range():
    square = {"type": "Polygon", "coordinates": [[[106, 29], [107, 29], [107, 30], [106, 30]]]}
    # 0.02 degrees of latitude below the northern edge
    expected = R_KM * math.radians(0.02)
    assert geo.boundary_distance_km(square, 106.5, 29.98) == pytest.approx(expected, rel=1e-3)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1, allow_nan=False), st.floats(0, 1, allow_nan=False)),
        min_size=3,
        max_size=60,
    ),
    st.floats(0.001, 0.2),
)
def test_simplified_line_stays_within_tolerance(points, tolerance):
    simple = geo.simplify_ring(points, tolerance)
    assert simple[0] == points[0] and simple[-1] == points[-1]
    assert set(simple) <= {(float(x), float(y)) for x, y in points}
    for px, py in points:
        # distance to the nearest segment of the simplified line
        best = math.inf
        for (ax, ay), (bx, by) in zip(simple, simple[1:], strict=False):
            dx, dy = bx - ax, by - ay
            seg2 = dx * dx + dy * dy
            t = 0 if seg2 == 0 else max(0, min(1, ((px - ax) * dx + (py - ay) * dy) / seg2))
            best = min(best, math.hypot(px - ax - t * dx, py - ay - t * dy))
        if len(simple) == 1:
            best = math.hypot(px - simple[0][0], py - simple[0][1])
        assert best <= tolerance * (1 + 1e-9) + 1e-12


def test_display_rings_are_oriented_for_filling():
    rings = geo.district_rings()
    assert len(rings) == 38
    for name, feature_rings in rings:
        assert feature_rings, name
        # the districts have no holes, so every ring is an outer ring: clockwise
        assert all(geo.signed_area_deg2(r) < 0 for r in feature_rings), name
    full = sum(
        len(r) for f in geo.load_districts()["features"] for r in geo.rings_of(f["geometry"])
    )
    shown = sum(len(r) for _, feature_rings in rings for r in feature_rings)
    assert shown < full / 2  # the point of simplifying for display
