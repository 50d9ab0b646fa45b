"""The rows of the Chongqing reference topologies: nodes, links, tiers and data centres.

Builds the census-era layout from the sourced tables of :mod:`topologies.chongqing_sources`,
and derives the post-2025 layout from it (:func:`merge_districts`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from netplan.model.derive import haversine_km
from topologies.chongqing_sources import (
    BEIJING_LAT,
    BEIJING_LON,
    CARRIER_OF_CORE,
    DC_LINK_CAPEX_CNY_PER_KM,
    DR_MAX_SHARE_OF_PRIMARY,
    DR_SHARE_OF_PRIMARY,
    ELECTRICITY_CNY_PER_KWH,
    EXTRANET_TIER,
    FIT_OUT_CNY_PER_KW,
    HEADROOM_YEARS,
    INTRANET_TIER,
    LARGE_UNIT_POPULATION,
    RING_CANDIDATES,
    RING_CAPEX_CNY_PER_KM,
    ROUTE_FACTOR,
    SERVER_CNY,
    SERVER_KW,
    SERVERS_PER_RACK,
    SITES,
    SPACE_AND_UPKEEP_CNY_PER_RACK_YEAR,
    SPECIAL_ZONES_KEPT,
    TIER_MAX_MODULES,
    TIER_SOURCE,
    TIERS,
    fact,
    first_number,
    slug,
)


@dataclass
class Network:
    """Plain rows of one layout before they are written."""

    nodes: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)

    def node(self, node_id: str) -> dict:
        """The node row with this id."""
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
    """A link row: one module of ``tier``, length derived by the loader; ``extra`` overrides."""
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
    """Tier of a district's home links in ``plane`` (by region; large 主城新区 units 10G)."""
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
    """A candidate extranet link (no modules built) in its own duct, priced per route km."""
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
    """The tier catalogue rows (all estimates)."""
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
