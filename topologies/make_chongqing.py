"""Generate the Chongqing reference topologies from the copied source data.

Reads ``topologies/data/`` (copies of the sourced CSVs, see its PROVENANCE.md) and writes

- ``chongqing.yaml`` with ``chongqing/nodes.csv`` and ``chongqing/links.csv``: the census-era
  layout, 40 district nodes (38 districts/counties + 两江新区 + 万盛经开区);
- ``chongqing-2025.yaml`` with ``chongqing-2025/nodes.csv`` and ``chongqing-2025/links.csv``:
  the layout after 2025-11-06, when 两江新区 absorbed 江北区 and 渝北区 (38 district nodes);
- the generated tables inside ``docs/default-network.md`` (between the marker comments).

Every written file is validated by loading it with :func:`netplan.load_topology`. The output
is a pure function of the data folder: re-running reproduces the committed files byte for byte.
The sourced tables and modelling constants live in ``chongqing_sources.py`` and the building of
the nodes, links and data centres in ``chongqing_layout.py`` beside this script; this script
writes the files and the docs tables.

Usage::

    python topologies/make_chongqing.py                       # rewrite the committed files
    python topologies/make_chongqing.py --out-dir /tmp/x --docs /tmp/x/default-network.md
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # run as a plain script from any working directory
    sys.path.insert(0, str(REPO))

from netplan.io.atomic import write_text_atomic  # noqa: E402
from netplan.io.topology_io import load_topology  # noqa: E402
from netplan.io.yamlfile import dump_yaml  # noqa: E402
from topologies.chongqing_layout import (  # noqa: E402
    Network,
    build_data_centres,
    build_links,
    build_tiers,
    district_nodes,
    merge_districts,
    site_nodes,
)
from topologies.chongqing_sources import (  # noqa: E402
    FIBRE_LATENCY_MS_PER_KM,
    MERGED_AWAY,
    MERGED_INTO,
    REGION_ORDER,
    ROUTE_FACTOR,
    first_number,
    read_csv,
)

DOCS = REPO / "docs" / "default-network.md"
DOCS_BEGIN = "<!-- BEGIN GENERATED TABLES (topologies/make_chongqing.py) -->"
DOCS_END = "<!-- END GENERATED TABLES -->"

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
NOTES_ZH = (  # NOTES in Chinese, one for one
    "区县坐标为驻地点位，采用 GCJ-02（国测局坐标系，与 WGS-84 相差约 0.5 km）；两江新区的点位为"
    "近似值（±3 km）。核心节点、数据中心和出口均为估算位置：其实际楼址未公开。",
    "人口：38 个普查时期区县单位采用 2020 年人口普查数据，忠县、云阳、巫溪和酉阳除外，这四地为估算值，"
    "四者之和等于普查总人口减去其余单位后的余数。两江新区（221 万人，合并前）与江北区、渝北区和北碚区"
    "范围重叠，万盛经开区（2010 年人口普查，255,776 人）在 2020 年计入綦江区：两者均标为估算，"
    "其常住人口被重复计算。",
    "链路长度 = 球面大圆距离 × 路由系数（对山区沿道路敷设光缆的估算）；国家政务外网上联的长度为至北京的"
    "长途路由，同样按球面大圆距离 × 路由系数计算。",
    "档位价格为按国内省级专线价格量级所作的估算：每模块建设投资 = 路由器端口、光模块及安装费用；"
    "每模块年运维费 = 固定租费加按公里计的部分。管道和光纤归运营商所有，因此不计按公里的建设投资。"
    "请以合同价格替换。",
    "数据中心：dc-cloud 的机柜数由有来源的 5,700 台政务云服务器（2023-10）推算；每柜服务器数、功率、"
    "价格、机柜上限以及 dc-dr 的全部数据均为估算。目标利用率 0.6 为有来源的国家目标值。",
    "管道和运营商（共享风险组）为建模所设，未经实地勘察：每条区县上联链路各用一条管道；至 core-1 的"
    "链路租用 carrier-a，至 core-2 的链路租用 carrier-b。政务内网链路与其所对应的政务外网链路同管道敷设。",
    "候选链路（环形链路和数据中心直连链路）及其新建费用均为估算；目前均未建成。",
)


def topology_yaml(
    name: tuple[str, str],
    description: str,
    folder: str,
    data_centres: list[dict],
    extra_notes: tuple[tuple[str, str], ...] = (),
) -> str:
    """The topology file; ``name`` and each extra note are ``(English, Chinese)`` pairs."""
    header = (
        "# Generated by topologies/make_chongqing.py from topologies/data/ (see its "
        "PROVENANCE.md).\n"
        "# Do not edit by hand: change the generator and re-run it. Every estimate is marked "
        "(notes,\n# estimate_fields, estimate: true, source).\n"
    )
    doc = {
        "kind": "topology",
        "name": name[0],
        "name_zh": name[1],
        "description": description,
        "route_factor": ROUTE_FACTOR,
        "fibre_latency_ms_per_km": FIBRE_LATENCY_MS_PER_KM,
        "nodes": f"{folder}/nodes.csv",
        "links": f"{folder}/links.csv",
        "tiers": build_tiers(),
        "data_centres": data_centres,
        "notes": list(NOTES) + [en for en, _zh in extra_notes],
        "notes_zh": list(NOTES_ZH) + [zh for _en, zh in extra_notes],
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
    notes25 = ((
        "Post-2025: 两江新区's population (~3.52 million) and 北碚区's (~600,000) are "
        "approximate post-merger figures (estimates). 江北区 and 渝北区 are gone; their home "
        "links would repeat 两江新区's own homes and are retired.",
        "2025 年区划调整后：两江新区人口（约 352 万）和北碚区人口（约 60 万）为合并后的近似值（估算）。"
        "江北区和渝北区已撤销；其上联链路与两江新区自身的上联重复，因此予以撤除。",
    ),)
    files = {}
    for stem, network, description, notes in (
        ("chongqing", net, DESCRIPTION, ()),
        ("chongqing-2025", net25, DESCRIPTION_2025, notes25),
    ):
        title = (
            ("Chongqing e-government networks (census-era layout, 40 district nodes)",
             "重庆市电子政务网络（普查时期区划，40 个区县节点）")
            if stem == "chongqing"
            else ("Chongqing e-government networks (post-2025 layout, 38 district nodes)",
                  "重庆市电子政务网络（2025 年区划调整后，38 个区县节点）")
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
