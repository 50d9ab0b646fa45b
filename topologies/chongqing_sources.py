"""Sourced facts and modelling constants of the Chongqing reference topologies.

The tables and constants that :mod:`topologies.make_chongqing` builds the networks from (every
figure is an estimate unless a source is named), and the readers of the copied source data in
``topologies/data/`` (see its PROVENANCE.md).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

# --- Modelling choices (estimates unless a source is named) --------------------------------

ROUTE_FACTOR = 1.3  # road-following fibre in mountain terrain over the straight line
FIBRE_LATENCY_MS_PER_KM = 0.005  # light in glass, ~5 us/km
REGION_ORDER = ("中心城区", "主城新区", "渝东北", "渝东南")
LARGE_UNIT_POPULATION = 1_000_000  # 主城新区 units at or above this get 10G homes
SPECIAL_ZONES_KEPT = ("两江新区", "万盛经济技术开发区")  # 高新区 is a functional zone only
CARRIER_OF_CORE = {"core-1": "carrier-a", "core-2": "carrier-b"}

# Extranet district homes by region (the design rule: 中心城区 10G, large 主城新区
# units 10G, other 主城新区 2.5G, the two remote regions 1G); intranet lower-volume.
EXTRANET_TIER = {"中心城区": "10G", "主城新区": "2.5G", "渝东北": "1G", "渝东南": "1G"}
INTRANET_TIER = {"中心城区": "2.5G", "主城新区": "1G", "渝东北": "1G", "渝东南": "1G"}

# name, capacity, capex per module, opex per module-year, opex per km-year.
TIERS = (
    ("1G", 1, 30_000, 60_000, 300),
    ("2.5G", 2.5, 60_000, 120_000, 500),
    ("10G", 10, 150_000, 250_000, 1_000),
    ("40G", 40, 500_000, 600_000, 2_500),
    ("100G", 100, 1_000_000, 1_000_000, 4_000),
)
TIER_MAX_MODULES = 4
TIER_SOURCE = (
    "estimate: capex = router ports, optics and installation per module; opex = leased-circuit "
    "rental per module-year plus a per-km part (see notes)"
)

# Sites that are not districts: coordinates and buildings are estimates (not published).
BEIJING_LAT, BEIJING_LON = 39.9042, 116.4074  # national extranet centre, Beijing (approx.)
SITES = (
    {
        "id": "core-1",
        "name": "Municipal core 1",
        "name_zh": "市级核心节点一",
        "kind": "core",
        "region": "中心城区",
        "lat": 29.5640,
        "lon": 106.5500,
        "source": "estimate: a central-city building in 渝中区 near the municipal government; "
        "the real site is not published",
    },
    {
        "id": "core-2",
        "name": "Municipal core 2",
        "name_zh": "市级核心节点二",
        "kind": "core",
        "region": "中心城区",
        "lat": 29.6110,
        "lon": 106.5230,
        "source": "estimate: a second building about 6 km north of core-1, across the Jialing "
        "river (新牌坊 area, 渝北区; in 两江新区 since 2025-11-06); the real site is not "
        "published",
    },
    {
        "id": "dc-cloud",
        "name": "Government cloud data centre (Liangjiang Shuitu)",
        "name_zh": "市政务云数据中心（两江水土）",
        "kind": "data_centre",
        "region": "中心城区",
        "lat": 29.7500,
        "lon": 106.4800,
        "source": "estimate: the 两江 水土 cloud park area (两江国际云计算产业园; the Pacific "
        "Telecom DC in 水土 is sourced, chongqing_facts_subset.csv); building ±3 km",
    },
    {
        "id": "dc-dr",
        "name": "Disaster-recovery data centre (Banan)",
        "name_zh": "市政务云灾备数据中心（巴南）",
        "kind": "data_centre",
        "region": "中心城区",
        "lat": 29.3900,
        "lon": 106.5600,
        "source": "estimate: a site in 巴南区 (the district of the sourced 腾龙 5G park plan, "
        "8,000 racks), about 40 km from dc-cloud across the Yangtze",
    },
    {
        "id": "internet-exit",
        "name": "Internet exit (security boundary)",
        "name_zh": "互联网出口（安全边界）",
        "kind": "internet_exit",
        "region": "中心城区",
        "lat": 29.5610,
        "lon": 106.5540,
        "planes": ("extranet",),
        "source": "estimate: next to core-1 behind the extranet security boundary; extranet "
        "only (the intranet has no Internet edge)",
    },
    {
        "id": "national-uplink",
        "name": "National extranet uplink",
        "name_zh": "国家电子政务外网上联",
        "kind": "national_uplink",
        "region": "中心城区",
        "lat": 29.5900,
        "lon": 106.5300,
        "planes": ("extranet",),
        "source": "estimate: stands for the national extranet centre in Beijing, drawn at its "
        "hand-off in the central city; its links carry the long-haul length to Beijing",
    },
)

# Government cloud data centres (figures derived in build_data_centres).
SERVERS_PER_RACK = 12
SERVER_KW = 0.5  # midpoint of the 0.4-0.6 kW estimate in traffic_classes_dc_subset.csv
FIT_OUT_CNY_PER_KW = 30_000  # estimate: rack share of power, cooling and building fit-out
SERVER_CNY = 50_000  # estimate: a 2-socket government-cloud server
ELECTRICITY_CNY_PER_KWH = 0.7  # estimate: Chongqing large-industry tariff, order of magnitude
SPACE_AND_UPKEEP_CNY_PER_RACK_YEAR = 20_000  # estimate
HEADROOM_YEARS = 4  # racks_max: growth room for this many years at the national target rate
DR_SHARE_OF_PRIMARY = 0.25  # estimate: replicas of the critical systems only
DR_MAX_SHARE_OF_PRIMARY = 0.3

# Candidate links the optimizer may build (none is built today).
RING_CAPEX_CNY_PER_KM = 40_000  # estimate: new duct and fibre along expressways, mountains
DC_LINK_CAPEX_CNY_PER_KM = 60_000  # estimate: urban duct and fibre, central city
# Each remote (渝东北 / 渝东南) district gets a candidate link to a neighbour that is larger or
# is the regional centre (万州, 黔江), along the expressway corridors; together they form the
# regional rings that give every remote district a third path.
RING_CANDIDATES = (
    ("chengkou", "kaizhou"),
    ("kaizhou", "wanzhou"),
    ("yunyang", "wanzhou"),
    ("fengjie", "yunyang"),
    ("wushan", "fengjie"),
    ("wuxi", "fengjie"),
    ("liangping", "wanzhou"),
    ("zhongxian", "wanzhou"),
    ("fengdu", "fuling"),
    ("dianjiang", "changshou"),
    ("shizhu", "zhongxian"),
    ("pengshui", "qianjiang"),
    ("youyang", "qianjiang"),
    ("xiushan", "youyang"),
    ("wulong", "fuling"),
)

# Post-2025 layout: 两江新区 absorbs 江北区 and 渝北区.
MERGED_INTO = "liangjiang"
MERGED_AWAY = ("jiangbei", "yubei")


# --- Reading the data ------------------------------------------------------------------------


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of one copied CSV file in ``topologies/data``."""
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def fact(rows: list[dict[str, str]], column: str, phrase: str) -> dict[str, str]:
    """The one row whose ``column`` contains ``phrase`` (fails loudly otherwise)."""
    found = [row for row in rows if phrase in row[column]]
    if len(found) != 1:
        raise SystemExit(f"expected one row with {phrase!r} in {column}, found {len(found)}")
    return found[0]


def first_number(text: str, pattern: str) -> float:
    """The number captured by ``pattern`` in ``text`` (fails loudly otherwise)."""
    match = re.search(pattern, text)
    if match is None:
        raise SystemExit(f"pattern {pattern!r} not found in {text!r}")
    return float(match.group(1))


def slug(name_en: str) -> str:
    """Node id from an English name: the name in brackets if any, else the first word."""
    inner = re.search(r"\(([^)]+)\)", name_en)
    word = inner.group(1) if inner else name_en.split()[0]
    return re.sub(r"[^a-z]", "", word.lower())
