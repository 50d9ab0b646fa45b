"""Generate the Chongqing reference topologies from the copied source data.

Reads ``topologies/data/`` (copies of the sourced CSVs, see its PROVENANCE.md) and writes

- ``chongqing.yaml`` with ``chongqing/nodes.csv`` and ``chongqing/links.csv``: the census-era
  layout, 40 district nodes (38 districts/counties + 两江新区 + 万盛经开区);
- ``chongqing-2025.yaml`` with ``chongqing-2025/nodes.csv`` and ``chongqing-2025/links.csv``:
  the layout after 2025-11-06, when 两江新区 absorbed 江北区 and 渝北区 (38 district nodes);
- the generated tables inside ``docs/default-network.md`` (between the marker comments).

Every written file is validated by loading it with :func:`netplan.load_topology`. The output
is a pure function of the data folder: re-running reproduces the committed files byte for byte.

Usage::

    python topologies/make_chongqing.py                       # rewrite the committed files
    python topologies/make_chongqing.py --out-dir /tmp/x --docs /tmp/x/default-network.md
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # run as a plain script from any working directory
    sys.path.insert(0, str(REPO))

from netplan.io.atomic import write_text_atomic  # noqa: E402
from netplan.io.topology_io import load_topology  # noqa: E402
from netplan.io.yamlfile import dump_yaml  # noqa: E402
from netplan.model.derive import haversine_km  # noqa: E402

DATA = HERE / "data"
DOCS = REPO / "docs" / "default-network.md"
DOCS_BEGIN = "<!-- BEGIN GENERATED TABLES (topologies/make_chongqing.py) -->"
DOCS_END = "<!-- END GENERATED TABLES -->"

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

NODE_COLUMNS = (
    "id",
    "name",
    "name_zh",
    "kind",
    "region",
    "lat",
    "lon",
    "planes",
    "adcode",
    "population",
    "estimate_fields",
    "source",
)
LINK_COLUMNS = (
    "id",
    "a",
    "b",
    "plane",
    "tier",
    "modules",
    "length_km",
    "srlg",
    "candidate",
    "build_capex_cny",
)


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


@dataclass
class Network:
    """Plain rows of one layout before they are written."""

    nodes: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)

    def node(self, node_id: str) -> dict:
        return next(n for n in self.nodes if n["id"] == node_id)


def district_nodes(rows: list[dict[str, str]]) -> list[dict]:
    """The 40 district nodes: 38 census-era units plus 两江新区 and 万盛经开区."""
    nodes = []
    for row in rows:
        census = bool(row["adcode"])
        if not census and row["name_zh"] not in SPECIAL_ZONES_KEPT:
            continue
        estimates = []
        pop_text = row["pop_source"]
        if census:
            population = int(row["pop_2020_census"])
            if pop_text.startswith("ESTIMATE"):
                estimates.append("population")
            pop_note = pop_text
        elif row["name_zh"] == "两江新区":
            # Residents of the national new area before the merger; they overlap 江北/渝北/北碚.
            population = round(first_number(pop_text, r"pre-2025: ([\d.]+) million") * 1e6)
            estimates.append("population")
            pop_note = (
                "2.21 million residents of the national new area before the 2025 merger "
                "(how234.com); overlaps 江北区, 渝北区 and 北碚区"
            )
        else:
            # 万盛: 2010 census as 万盛区; in 2020 its residents are counted inside 綦江区.
            population = int(first_number(pop_text, r"\) (\d+) \("))
            estimates.append("population")
            pop_note = (
                "2010 census as 万盛区 (tjj.cq.gov.cn table 1-6); in 2020 counted inside 綦江区"
            )
        if row["coord_source"].startswith("APPROX"):
            estimates += ["lat", "lon"]
        where = f"adcode {row['adcode']}" if census else row["name_zh"]
        nodes.append(
            {
                "id": slug(row["name_en"]),
                "name": row["name_en"],
                "name_zh": row["name_zh"],
                "kind": "district",
                "region": row["region_group"],
                "lat": row["lat"],
                "lon": row["lon"],
                "planes": ("extranet", "intranet"),
                "adcode": row["adcode"],
                "population": population,
                "estimate_fields": tuple(estimates),
                "source": (
                    f"chongqing_districts.csv ({where}); seat {row['seat']}; "
                    f"coordinates: {row['coord_source']}, {row['coord_quality']}; "
                    f"population: {pop_note}"
                ),
            }
        )
    return nodes


def site_nodes() -> list[dict]:
    """Cores, data centres and exits; their sites are estimates."""
    nodes = []
    for site in SITES:
        nodes.append(
            {
                "id": site["id"],
                "name": site["name"],
                "name_zh": site["name_zh"],
                "kind": site["kind"],
                "region": site["region"],
                "lat": f"{site['lat']:.4f}",
                "lon": f"{site['lon']:.4f}",
                "planes": site.get("planes", ("extranet", "intranet")),
                "adcode": "",
                "population": "",
                "estimate_fields": ("lat", "lon"),
                "source": site["source"],
            }
        )
    return nodes


def route_km(a: dict, b: dict) -> float:
    """Route length as the loader derives it: haversine × route factor, at least 1 km."""
    km = haversine_km(float(a["lat"]), float(a["lon"]), float(b["lat"]), float(b["lon"]))
    return max(1.0, round(km * ROUTE_FACTOR, 3))


def link(
    link_id: str, a: str, b: str, plane: str, tier: str, srlg: tuple[str, ...], **extra
) -> dict:
    row = {
        "id": link_id,
        "a": a,
        "b": b,
        "plane": plane,
        "tier": tier,
        "modules": 1,
        "length_km": "",
        "srlg": srlg,
        "candidate": "",
        "build_capex_cny": "",
    }
    row.update(extra)
    return row


def home_tier(node: dict, plane: str) -> str:
    if plane == "intranet":
        return INTRANET_TIER[node["region"]]
    if node["region"] == "主城新区" and node["population"] >= LARGE_UNIT_POPULATION:
        return "10G"
    return EXTRANET_TIER[node["region"]]


def build_links(net: Network) -> list[dict]:
    """Both planes: dual homes, core and data-centre links, exits, then candidates."""
    links: list[dict] = []
    districts = [n for n in net.nodes if n["kind"] == "district"]
    for plane, prefix in (("extranet", "ex"), ("intranet", "in")):
        for node in districts:
            for k, core in ((1, "core-1"), (2, "core-2")):
                # The intranet runs in the same duct as the extranet home it follows.
                srlg = (f"duct-{node['id']}-{k}", CARRIER_OF_CORE[core])
                links.append(
                    link(
                        f"{prefix}-{node['id']}-{k}",
                        node["id"],
                        core,
                        plane,
                        home_tier(node, plane),
                        srlg,
                    )
                )
        core_tier = "100G" if plane == "extranet" else "10G"
        for k in (1, 2):
            carrier = CARRIER_OF_CORE[f"core-{k}"]
            links.append(
                link(
                    f"{prefix}-cores-{k}",
                    "core-1",
                    "core-2",
                    plane,
                    core_tier,
                    (f"duct-cores-{k}", carrier),
                )
            )
        for dc, ex_tier in (("dc-cloud", "100G"), ("dc-dr", "40G")):
            tier = ex_tier if plane == "extranet" else "10G"
            for k, core in ((1, "core-1"), (2, "core-2")):
                links.append(
                    link(
                        f"{prefix}-{dc}-{k}",
                        dc,
                        core,
                        plane,
                        tier,
                        (f"duct-{dc}-{k}", CARRIER_OF_CORE[core]),
                    )
                )
        if plane == "extranet":
            for k, core in ((1, "core-1"), (2, "core-2")):
                links.append(
                    link(
                        f"ex-internet-{k}",
                        "internet-exit",
                        core,
                        plane,
                        "10G",
                        (f"duct-internet-{k}", CARRIER_OF_CORE[core]),
                    )
                )
            for k, core in ((1, "core-1"), (2, "core-2")):
                c = net.node(core)
                km = haversine_km(float(c["lat"]), float(c["lon"]), BEIJING_LAT, BEIJING_LON)
                length = round(km * ROUTE_FACTOR, -1)
                links.append(
                    link(
                        f"ex-national-{k}",
                        "national-uplink",
                        core,
                        plane,
                        "10G",
                        (f"duct-national-{k}", CARRIER_OF_CORE[core]),
                        length_km=f"{length:.0f}",
                    )
                )
    links.append(
        candidate(
            "ex-dc-cloud-dc-dr",
            net.node("dc-cloud"),
            net.node("dc-dr"),
            "100G",
            DC_LINK_CAPEX_CNY_PER_KM,
        )
    )
    for a, b in RING_CANDIDATES:
        links.append(
            candidate(f"ex-ring-{a}-{b}", net.node(a), net.node(b), "1G", RING_CAPEX_CNY_PER_KM)
        )
    return links


def candidate(link_id: str, a: dict, b: dict, tier: str, cny_per_km: float) -> dict:
    capex = round(route_km(a, b) * cny_per_km, -4)
    duct = "duct-" + link_id.removeprefix("ex-").removeprefix("ring-")
    return link(
        link_id,
        a["id"],
        b["id"],
        "extranet",
        tier,
        (duct,),
        modules=0,
        candidate="true",
        build_capex_cny=f"{capex:.0f}",
    )


def build_tiers() -> list[dict]:
    return [
        {
            "name": name,
            "capacity_gbps": cap,
            "capex_cny": capex,
            "opex_cny_per_year": opex,
            "capex_cny_per_km": 0,
            "opex_cny_per_km_year": per_km,
            "max_modules": TIER_MAX_MODULES,
            "estimate": True,
            "source": TIER_SOURCE,
        }
        for name, cap, capex, opex, per_km in TIERS
    ]


def build_data_centres(facts: list[dict], dc_facts: list[dict]) -> list[dict]:
    """dc-cloud sized from the sourced server count; prices and dc-dr are estimates."""
    servers = int(
        first_number(fact(facts, "fact", "public-cloud servers")["value"], r"(\d+) servers")
    )
    utilisation = (
        first_number(fact(dc_facts, "parameter", "utilisation target")["value"], r"/ (\d+)") / 100
    )
    pue = float(fact(dc_facts, "parameter", "new large DC PUE target")["value"])
    growth = float(fact(dc_facts, "parameter", "national DC rack growth")["value"]) / 100
    racks = math.ceil(servers / SERVERS_PER_RACK)
    racks_max = math.ceil(racks * (1 + growth) ** HEADROOM_YEARS / 100) * 100
    kw = SERVERS_PER_RACK * SERVER_KW
    capex = kw * FIT_OUT_CNY_PER_KW + SERVERS_PER_RACK * SERVER_CNY
    opex = round(kw * 8760 * pue * ELECTRICITY_CNY_PER_KWH + SPACE_AND_UPKEEP_CNY_PER_RACK_YEAR, -2)
    common = {
        "kw_per_rack": kw,
        "servers_per_rack": SERVERS_PER_RACK,
        "rack_capex_cny": round(capex),
        "rack_opex_cny_per_year": round(opex),
        "target_utilisation": utilisation,
        "estimate": True,
    }
    pricing = (
        f"{SERVERS_PER_RACK} servers at {SERVER_KW} kW (estimate) = {kw:g} kW per rack, inside "
        f"the sourced 5-8 kW cost-optimal and 5-10 kW common densities; rack capex (estimate) = "
        f"{FIT_OUT_CNY_PER_KW:,} CNY/kW fit-out + {SERVERS_PER_RACK} servers × "
        f"{SERVER_CNY:,} CNY; rack opex (estimate) = rated power × 8760 h × PUE {pue:g} "
        f"(sourced target for new large DCs) × {ELECTRICITY_CNY_PER_KWH} CNY/kWh + "
        f"{SPACE_AND_UPKEEP_CNY_PER_RACK_YEAR:,} CNY space and upkeep; target utilisation "
        f"{utilisation:g} = the sourced national DC utilisation target for 2023"
    )
    dr_racks = math.ceil(racks * DR_SHARE_OF_PRIMARY / 10) * 10
    return [
        {
            "id": "dc-cloud",
            "node": "dc-cloud",
            "name": "Government cloud data centre (Liangjiang Shuitu)",
            "name_zh": "市政务云数据中心",
            "role": "primary",
            "racks": racks,
            "racks_max": racks_max,
            **common,
            "source": (
                f"racks = {servers:,} government public-cloud servers (sourced, 2023-10, "
                f"ceirp.cn) / {SERVERS_PER_RACK} per rack; racks_max (estimate) = room for "
                f"{HEADROOM_YEARS} years at the sourced {growth:.0%} national rack growth "
                f"target, rounded up to 100; {pricing}"
            ),
        },
        {
            "id": "dc-dr",
            "node": "dc-dr",
            "name": "Disaster-recovery data centre (Banan)",
            "name_zh": "市政务云灾备数据中心",
            "role": "disaster_recovery",
            "racks": dr_racks,
            "racks_max": round(racks_max * DR_MAX_SHARE_OF_PRIMARY),
            **common,
            "source": (
                f"estimate: racks = {DR_SHARE_OF_PRIMARY:.0%} of dc-cloud (replicas of the "
                f"critical systems), rounded up to 10; racks_max = "
                f"{DR_MAX_SHARE_OF_PRIMARY:.0%} of dc-cloud's; {pricing}"
            ),
        },
    ]


# --- The post-2025 layout --------------------------------------------------------------------


def merge_districts(
    net: Network, into: str, away: tuple[str, ...], population: int, beibei_population: int
) -> Network:
    """The layout after ``away`` are merged into ``into``.

    Links of an absorbed node are re-homed onto ``into``; a re-homed link that would repeat a
    link ``into`` already has (same plane, same far end) is retired, since ``into`` keeps its own
    ducts, and links inside the merged area vanish.
    """
    nodes = []
    for node in net.nodes:
        if node["id"] in away:
            continue
        node = dict(node)
        if node["id"] == into:
            node["population"] = population
            node["source"] = (
                node["source"].split("; population:")[0]
                + "; population: ~3.52 million after the 2025-11-06 merger of 江北区 and most of "
                "渝北区 (hk01.com / zyxdaj.cn 2025-11-06)"
            )
        if node["id"] == "beibei":
            node["population"] = beibei_population
            node["estimate_fields"] = tuple(sorted({*node["estimate_fields"], "population"}))
            node["source"] = (
                node["source"].split("; population:")[0]
                + "; population: ~60万 after 2025-11-06 (lost 水土/复兴/蔡家岗/施家梁/童家溪 to "
                "两江新区, gained 5 towns of 渝北区); chongqing_districts.csv status_2026, approx"
            )
        nodes.append(node)
    kept: list[dict] = []
    for row in net.links:
        ends = [into if end in away else end for end in (row["a"], row["b"])]
        if ends[0] == ends[1]:
            continue
        if ends != [row["a"], row["b"]]:
            other = ends[1] if ends[0] == into else ends[0]
            if any(
                k["plane"] == row["plane"]
                and {k["a"], k["b"]} == {into, other}
                and not k["candidate"]
                for k in net.links
            ):
                continue
            row = dict(row, a=ends[0], b=ends[1])
        kept.append(row)
    return Network(nodes=nodes, links=kept)


# --- Writing ----------------------------------------------------------------------------------


def cell(value) -> str:
    if isinstance(value, tuple):
        return ";".join(value)
    return str(value)


def csv_text(rows: list[dict], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row[c]) for c in columns])
    return buffer.getvalue()


NOTES = (
    "Coordinates of the district seats are GCJ-02 (the Chinese map datum, about 0.5 km from "
    "WGS-84) at seat level; 两江新区's point is approximate (±3 km). Cores, data centres and "
    "exits are estimated sites: their real buildings are not published.",
    "Populations: 2020 census for the 38 census-era units, except 忠县, 云阳, 巫溪 and 酉阳, "
    "which are estimates that add up to the census remainder. 两江新区 (2.21 million, "
    "pre-merger) overlaps 江北区, 渝北区 and 北碚区, and 万盛经开区 (2010 census, 255,776) is "
    "counted inside 綦江区 in 2020: both are marked estimates and double-count residents.",
    "Link lengths are haversine × route_factor (an estimate for road-following fibre in "
    "mountain terrain); the national uplink length is the long-haul route to Beijing, also "
    "haversine × route_factor.",
    "Tier prices are estimates of the order of magnitude of Chinese provincial leased-line "
    "prices: capex per module = router ports, optics and installation; opex per module-year = "
    "a fixed rental plus a per-km part. The carrier owns duct and fibre, so there is no per-km "
    "capex. Replace them with contract prices.",
    "Data centres: dc-cloud's rack count comes from the sourced 5,700 government-cloud "
    "servers (2023-10); servers per rack, power, prices, racks_max and all of dc-dr are "
    "estimates. target_utilisation 0.6 is the sourced national target.",
    "Ducts and carriers (SRLGs) are modelled, not surveyed: each home link has its own duct; "
    "links to core-1 lease from carrier-a and links to core-2 from carrier-b. Intranet links "
    "run in the same ducts as the extranet links they follow.",
    "Candidate links (ring links and the direct DC link) and their build_capex_cny are "
    "estimates; none exists today.",
)


def topology_yaml(
    name: str,
    description: str,
    folder: str,
    data_centres: list[dict],
    extra_notes: tuple[str, ...] = (),
) -> str:
    header = (
        "# Generated by topologies/make_chongqing.py from topologies/data/ (see its "
        "PROVENANCE.md).\n"
        "# Do not edit by hand: change the generator and re-run it. Every estimate is marked "
        "(notes,\n# estimate_fields, estimate: true, source).\n"
    )
    doc = {
        "kind": "topology",
        "name": name,
        "description": description,
        "route_factor": ROUTE_FACTOR,
        "fibre_latency_ms_per_km": FIBRE_LATENCY_MS_PER_KM,
        "nodes": f"{folder}/nodes.csv",
        "links": f"{folder}/links.csv",
        "tiers": build_tiers(),
        "data_centres": data_centres,
        "notes": list(NOTES + extra_notes),
    }
    return header + dump_yaml(doc)


DESCRIPTION = (
    "The default network: Chongqing's e-government extranet (政务外网) and intranet (政务内网) in "
    "the census-era layout. 40 district nodes (the 38 districts and counties of the 2020 census, "
    "两江新区 and 万盛经开区), two municipal cores, the government cloud data centre, a "
    "disaster-recovery data centre, an Internet exit and the national extranet uplink. Every "
    "district is dual-homed to both cores in each plane over diverse ducts and carriers."
)
DESCRIPTION_2025 = (
    "Chongqing's e-government networks after the reorganisation of 2025-11-06, when 两江新区 "
    "became an administrative district absorbing 江北区 and most of 渝北区 (37 county-level "
    "units + 万盛经开区 = 38 district nodes). Use it to plan the reorganisation: run the same "
    "scenarios on this file and on chongqing.yaml and compare what must be bought. Same cores, "
    "data centres, exits, tiers and candidates as the default network."
)


def build() -> dict[str, str]:
    """All generated files as ``relative path -> text`` (topologies only)."""
    rows = read_csv("chongqing_districts.csv")
    facts = read_csv("chongqing_facts_subset.csv")
    dc_facts = read_csv("traffic_classes_dc_subset.csv")
    net = Network(nodes=district_nodes(rows) + site_nodes())
    net.links = build_links(net)
    dcs = build_data_centres(facts, dc_facts)

    liangjiang = next(r for r in rows if r["name_zh"] == "两江新区")
    beibei = next(r for r in rows if r["name_zh"] == "北碚区")
    merged_population = round(
        first_number(liangjiang["pop_source"], r"~([\d.]+) million after") * 1e6
    )
    beibei_population = round(first_number(beibei["status_2026"], r"~(\d+)万 after") * 1e4)
    net25 = merge_districts(net, MERGED_INTO, MERGED_AWAY, merged_population, beibei_population)
    notes25 = (
        "Post-2025: 两江新区's population (~3.52 million) and 北碚区's (~600,000) are "
        "approximate post-merger figures (estimates). 江北区 and 渝北区 are gone; their home "
        "links would repeat 两江新区's own homes and are retired.",
    )
    files = {}
    for stem, network, description, notes in (
        ("chongqing", net, DESCRIPTION, ()),
        ("chongqing-2025", net25, DESCRIPTION_2025, notes25),
    ):
        title = (
            "Chongqing e-government networks (census-era layout, 40 district nodes)"
            if stem == "chongqing"
            else "Chongqing e-government networks (post-2025 layout, 38 district nodes)"
        )
        files[f"{stem}.yaml"] = topology_yaml(title, description, stem, dcs, notes)
        files[f"{stem}/nodes.csv"] = csv_text(network.nodes, NODE_COLUMNS)
        files[f"{stem}/links.csv"] = csv_text(network.links, LINK_COLUMNS)
    return files


# --- The generated part of the docs ----------------------------------------------------------


def _population_basis(node) -> str:
    if "population" in node.estimate_fields:
        return "estimate"
    return "census 2020"


def docs_tables(default, variant) -> str:
    """Markdown tables describing the loaded default topology (and the 2025 differences)."""
    out = []
    districts = [n for n in default.nodes if n.kind == "district"]
    out.append(f"### District nodes ({len(districts)})\n")
    out.append(
        "Coordinates: GCJ-02 seat points (sourced, ±0.5 km) unless marked *estimate*. "
        "Population: 2020 census unless marked *estimate* (see the notes above).\n"
    )
    out.append(
        "| id | 中文名 | English name | region | lat, lon | coords | population | "
        "population basis | adcode |"
    )
    out.append("|---|---|---|---|---|---|---:|---|---|")
    for region in REGION_ORDER:
        for n in districts:
            if n.region != region:
                continue
            coords = "estimate" if "lat" in n.estimate_fields else "sourced"
            out.append(
                f"| `{n.id}` | {n.name_zh} | {n.name} | {n.region} | {n.lat:.4f}, {n.lon:.4f} "
                f"| {coords} | {n.population:,} | {_population_basis(n)} | {n.adcode or '—'} |"
            )
    out.append("")
    others = [n for n in default.nodes if n.kind != "district"]
    out.append(f"### Other sites ({len(others)}; every site is an estimate)\n")
    out.append("| id | kind | 中文名 | English name | lat, lon | planes | basis |")
    out.append("|---|---|---|---|---|---|---|")
    for n in others:
        out.append(
            f"| `{n.id}` | {n.kind} | {n.name_zh} | {n.name} | {n.lat:.4f}, {n.lon:.4f} | "
            f"{', '.join(n.planes)} | {n.source} |"
        )
    out.append("")
    out.append("### Links per plane and tier\n")
    out.append(
        "Built links (candidates listed separately). Lengths are derived by the loader "
        "(haversine × route factor) except the two national-uplink links.\n"
    )
    out.append("| plane | tier | links | modules | total km | shortest km | longest km |")
    out.append("|---|---|---:|---:|---:|---:|---:|")
    for plane in ("extranet", "intranet"):
        for tier in default.tiers:
            chosen = [k for k in default.links_of(plane) if k.tier == tier.name]
            if not chosen:
                continue
            lengths = [k.length_km for k in chosen]
            out.append(
                f"| {plane} | {tier.name} | {len(chosen)} | {sum(k.modules for k in chosen)} | "
                f"{sum(lengths):,.1f} | {min(lengths):.1f} | {max(lengths):.1f} |"
            )
    out.append("")
    candidates = [k for k in default.links if k.candidate]
    out.append(f"### Candidate links ({len(candidates)}; the optimizer may build them)\n")
    out.append("| id | a | b | tier | length km | build capex CNY (estimate) |")
    out.append("|---|---|---|---|---:|---:|")
    for k in candidates:
        out.append(
            f"| `{k.id}` | {k.a} | {k.b} | {k.tier} | {k.length_km:.1f} | "
            f"{k.build_capex_cny:,.0f} |"
        )
    out.append("")
    out.append("### Data centres\n")
    out.append(
        "| id | role | racks | racks max | kW/rack | servers/rack | rack capex CNY | "
        "rack opex CNY/yr | target utilisation |"
    )
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for dc in default.data_centres:
        out.append(
            f"| `{dc.id}` | {dc.role} | {dc.racks:,} | {dc.racks_max:,} | {dc.kw_per_rack:g} | "
            f"{dc.servers_per_rack:g} | {dc.rack_capex_cny:,.0f} | "
            f"{dc.rack_opex_cny_per_year:,.0f} | {dc.target_utilisation:g} |"
        )
    out.append("")
    for dc in default.data_centres:
        out.append(f"- `{dc.id}`: {dc.source}.")
    out.append("")
    out.append("### Tier catalogue (all estimates)\n")
    out.append(
        "| tier | Gbit/s | capex CNY/module | opex CNY/module/yr | opex CNY/module-km/yr | "
        "max modules |"
    )
    out.append("|---|---:|---:|---:|---:|---:|")
    for t in default.tiers:
        out.append(
            f"| {t.name} | {t.capacity_gbps:g} | {t.capex_cny:,.0f} | "
            f"{t.opex_cny_per_year:,.0f} | {t.opex_cny_per_km_year:,.0f} | {t.max_modules} |"
        )
    out.append("")
    old = {n.id: n for n in default.nodes}
    new = {n.id: n for n in variant.nodes}
    out.append("### The post-2025 variant (`chongqing-2025.yaml`)\n")
    out.append(
        f"{sum(n.kind == 'district' for n in variant.nodes)} district nodes, "
        f"{len(variant.links)} links ({len(default.links)} in the default).\n"
    )
    out.append("| id | change |")
    out.append("|---|---|")
    for node_id in old:
        if node_id not in new:
            gone = [k.id for k in default.links if node_id in (k.a, k.b)]
            out.append(f"| `{node_id}` | removed with its links {', '.join(gone)} |")
        elif old[node_id].population != new[node_id].population:
            out.append(
                f"| `{node_id}` | population {old[node_id].population:,} → "
                f"{new[node_id].population:,} (estimate) |"
            )
    return "\n".join(out) + "\n"


def write_docs(docs_path: Path, tables: str) -> None:
    text = docs_path.read_text(encoding="utf-8")
    start = text.index(DOCS_BEGIN) + len(DOCS_BEGIN)
    end = text.index(DOCS_END)
    write_text_atomic(docs_path, text[:start] + "\n" + tables + text[end:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=HERE,
        help="where to write the topology files (default: topologies/)",
    )
    parser.add_argument(
        "--docs", type=Path, default=DOCS, help="docs page whose generated tables to refresh"
    )
    args = parser.parse_args(argv)
    files = build()
    for rel, text in files.items():
        write_text_atomic(args.out_dir / rel, text)
    default = load_topology(args.out_dir / "chongqing.yaml")
    variant = load_topology(args.out_dir / "chongqing-2025.yaml")
    write_docs(args.docs, docs_tables(default, variant))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
