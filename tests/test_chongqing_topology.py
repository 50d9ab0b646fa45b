"""The shipped Chongqing topologies: structure, survivability, sourced numbers, reproducibility.

Reads only files inside the repository: the topologies, their generator and the copied source
data in ``topologies/data`` (the external reference the values are checked against).
"""

from __future__ import annotations

import csv
import importlib.util
import math
import shutil
import sys
from pathlib import Path

import networkx as nx
import pytest

import netplan

REPO = Path(__file__).resolve().parents[1]
TOPOLOGIES = REPO / "topologies"
DATA = TOPOLOGIES / "data"
LAT_RANGE = (28.1, 32.2)
LON_RANGE = (105.2, 110.2)
REMOTE = ("渝东北", "渝东南")


def _haversine_km(lat1, lon1, lat2, lon2):
    # Independent of netplan's own implementation: spherical law of cosines, mean radius.
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.0088 * math.acos(min(1.0, c))


def _csv(name):
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def default():
    return netplan.load_topology(TOPOLOGIES / "chongqing.yaml")


@pytest.fixture(scope="module")
def variant():
    return netplan.load_topology(TOPOLOGIES / "chongqing-2025.yaml")


@pytest.fixture(scope="module")
def census():
    return _csv("chongqing_districts.csv")


def _districts(topo):
    return [n for n in topo.nodes if n.kind == "district"]


def _plane_multigraph(topo, plane, *, built_only=True):
    graph = nx.MultiGraph()
    graph.add_nodes_from(n.id for n in topo.nodes_of(plane))
    for link in topo.links_of(plane, built_only=built_only):
        graph.add_edge(link.a, link.b, key=link.id, srlg=frozenset(link.srlg))
    return graph


def _flow_network(graph):
    """Directed graph for max-flow: each link a unit of capacity in each direction."""
    flow = nx.DiGraph()
    for a, b, _key in graph.edges(keys=True):
        for u, v in ((a, b), (b, a)):
            cap = flow.get_edge_data(u, v, {"capacity": 0})["capacity"]
            flow.add_edge(u, v, capacity=cap + 1)
    return flow


def _disjoint_paths(graph, src, dst, flow=None):
    """Most link-disjoint paths between src and dst (Menger: the unit-capacity max flow)."""
    return nx.maximum_flow_value(flow if flow is not None else _flow_network(graph), src, dst)


def _srlg_disjoint_pair(graph, src, dst, cutoff=3):
    """True when two paths src→dst share no link and no shared-risk group (brute force).

    Paths of up to ``cutoff`` hops are tried (district → core → DC, or via the other core);
    a pair found proves the property, a miss fails the test rather than passing it wrongly.
    """
    seen: list[tuple[frozenset, frozenset]] = []
    for path in nx.all_simple_edge_paths(graph, src, dst, cutoff=cutoff):
        ids = frozenset(key for _a, _b, key in path)
        risks = frozenset().union(*(graph.edges[edge]["srlg"] for edge in path))
        for other_ids, other_risks in seen:
            if not ids & other_ids and not risks & other_risks:
                return True
        seen.append((ids, risks))
    return False


# --- loading and structure ---------------------------------------------------------------------


def test_both_files_load_and_are_topologies(default, variant):
    assert default.kind == variant.kind == "topology"
    assert "2025" in variant.description and "两江新区" in variant.description


def test_forty_district_nodes_from_the_census_units_and_two_zones(default, census):
    districts = _districts(default)
    assert len(districts) == 40
    census_units = {r["name_zh"] for r in census if r["adcode"]}
    assert len(census_units) == 38
    assert {n.name_zh for n in districts} == census_units | {"两江新区", "万盛经济技术开发区"}
    ids = {n.id for n in districts}
    assert {"wanzhou", "yuzhong", "liangjiang", "wansheng", "nanan", "zhongxian"} <= ids
    assert all(n.id.isascii() and n.id == n.id.lower() for n in districts)


def test_every_node_lies_inside_chongqing(default, variant):
    for topo in (default, variant):
        for node in topo.nodes:
            assert LAT_RANGE[0] <= node.lat <= LAT_RANGE[1], node.id
            assert LON_RANGE[0] <= node.lon <= LON_RANGE[1], node.id


def test_site_nodes_and_their_planes(default):
    kinds = {n.id: n.kind for n in default.nodes if n.kind != "district"}
    assert kinds == {
        "core-1": "core",
        "core-2": "core",
        "dc-cloud": "data_centre",
        "dc-dr": "data_centre",
        "internet-exit": "internet_exit",
        "national-uplink": "national_uplink",
    }
    assert default.node("internet-exit").planes == ("extranet",)
    assert default.node("national-uplink").planes == ("extranet",)
    c1, c2 = default.node("core-1"), default.node("core-2")
    assert 2 < _haversine_km(c1.lat, c1.lon, c2.lat, c2.lon) < 15  # different buildings
    ie = default.node("internet-exit")
    assert _haversine_km(ie.lat, ie.lon, c1.lat, c1.lon) < 2  # next to core-1
    for node in default.nodes:
        if node.kind != "district":
            assert {"lat", "lon"} <= set(node.estimate_fields), node.id


def test_two_planes_on_separate_links_without_internet_in_the_intranet(default):
    assert {link.plane for link in default.links} == {"extranet", "intranet"}
    intranet_nodes = {n.id for n in default.nodes_of("intranet")}
    kinds = {n.id: n.kind for n in default.nodes}
    assert not any(kinds[n] in ("internet_exit", "national_uplink") for n in intranet_nodes)
    extranet_ids = {link.id for link in default.links if link.plane == "extranet"}
    intranet_ids = {link.id for link in default.links if link.plane == "intranet"}
    assert extranet_ids and intranet_ids and not extranet_ids & intranet_ids
    for link in default.links_of("intranet", built_only=False):
        assert link.id.startswith("in-")
        assert kinds[link.a] != "internet_exit" and kinds[link.b] != "internet_exit"
    assert all(link.id.startswith("ex-") for link in default.links if link.plane == "extranet")


def test_every_district_is_dual_homed_in_both_planes(default, variant):
    for topo in (default, variant):
        for plane in ("extranet", "intranet"):
            for node in _districts(topo):
                homes = sorted(
                    (link.b if link.a == node.id else link.a)
                    for link in topo.links_of(plane)
                    if node.id in (link.a, link.b)
                )
                assert homes == ["core-1", "core-2"], (plane, node.id)


def test_dc_and_exits_joined_to_both_cores(default):
    for site in ("dc-cloud", "dc-dr", "internet-exit", "national-uplink"):
        far = sorted(
            (link.b if link.a == site else link.a)
            for link in default.links_of("extranet")
            if site in (link.a, link.b)
        )
        assert far == ["core-1", "core-2"], site
    cores = [
        link for link in default.links_of("extranet") if {link.a, link.b} == {"core-1", "core-2"}
    ]
    assert len(cores) == 2 and all(link.capacity_gbps >= 100 for link in cores)
    for dc in ("dc-cloud", "dc-dr"):
        far = sorted(
            (link.b if link.a == dc else link.a)
            for link in default.links_of("intranet")
            if dc in (link.a, link.b)
        )
        assert far == ["core-1", "core-2"], dc


# --- survivability -------------------------------------------------------------------------------


def test_srlg_checker_catches_a_shared_duct():
    graph = nx.MultiGraph()
    for key, a, b, risks in (
        ("h1", "d", "c1", {"duct-d"}),
        ("h2", "d", "c2", {"duct-d"}),
        ("u1", "c1", "dc", {"duct-u1"}),
        ("u2", "c2", "dc", {"duct-u2"}),
    ):
        graph.add_edge(a, b, key=key, srlg=frozenset(risks))
    assert _disjoint_paths(graph, "d", "dc") == 2
    assert not _srlg_disjoint_pair(graph, "d", "dc")
    graph.edges["d", "c2", "h2"]["srlg"] = frozenset({"duct-d2"})
    assert _srlg_disjoint_pair(graph, "d", "dc")


@pytest.mark.parametrize("which", ["chongqing", "chongqing-2025"])
@pytest.mark.parametrize("plane", ["extranet", "intranet"])
def test_two_link_and_srlg_disjoint_paths_to_each_data_centre(which, plane, default, variant):
    topo = default if which == "chongqing" else variant
    graph = _plane_multigraph(topo, plane)
    flow = _flow_network(graph)
    for node in _districts(topo):
        for dc in topo.data_centres:
            assert _disjoint_paths(graph, node.id, dc.node, flow) >= 2, (node.id, dc.id)
            assert _srlg_disjoint_pair(graph, node.id, dc.node), (node.id, dc.id)


def test_each_link_has_its_own_duct_and_homes_use_two_carriers(default):
    ducts = [
        [r for r in link.srlg if r.startswith("duct-")]
        for link in default.links_of("extranet", built_only=False)
    ]
    assert all(len(d) == 1 for d in ducts)
    flat = [d[0] for d in ducts]
    assert len(flat) == len(set(flat))
    # Intranet links run in existing extranet ducts: sharing them is what the SRLGs model.
    intranet_ducts = {r for link in default.links_of("intranet") for r in link.srlg}
    assert {r for r in intranet_ducts if r.startswith("duct-")} <= set(flat)
    for node in _districts(default):
        carriers = [
            {r for r in link.srlg if r.startswith("carrier-")}
            for link in default.links_of("extranet")
            if node.id in (link.a, link.b)
        ]
        assert len(carriers) == 2 and all(len(c) == 1 for c in carriers)
        assert not carriers[0] & carriers[1], node.id


def test_ring_candidates_give_remote_districts_a_third_path(default):
    without = _flow_network(_plane_multigraph(default, "extranet"))
    with_candidates = _flow_network(_plane_multigraph(default, "extranet", built_only=False))
    remote = [n for n in _districts(default) if n.region in REMOTE]
    assert len(remote) == 17
    for node in remote:
        for dc in default.data_centres:
            assert _disjoint_paths(None, node.id, dc.node, without) == 2
            assert _disjoint_paths(None, node.id, dc.node, with_candidates) >= 3, node.id
    candidates = [link for link in default.links if link.candidate]
    assert any({link.a, link.b} == {"dc-cloud", "dc-dr"} for link in candidates)
    for link in candidates:
        assert link.modules == 0 and link.tier is not None and link.build_capex_cny > 0


# --- sourced values ------------------------------------------------------------------------------


def test_populations_and_regions_equal_the_csv(default, census):
    by_name = {n.name_zh: n for n in _districts(default)}
    for row in census:
        node = by_name.get(row["name_zh"])
        if row["adcode"]:
            assert node.population == int(row["pop_2020_census"]), row["name_zh"]
            assert node.adcode == row["adcode"]
            estimated = row["pop_source"].startswith("ESTIMATE")
            assert ("population" in node.estimate_fields) == estimated, row["name_zh"]
        if node is None:
            assert row["name_zh"] == "西部科学城重庆高新区"
            continue
        assert node.region == row["region_group"], row["name_zh"]
        assert (node.lat, node.lon) == (float(row["lat"]), float(row["lon"]))
    liangjiang = by_name["两江新区"]
    assert liangjiang.population == 2_210_000
    assert "2.21 million" in next(r for r in census if r["name_zh"] == "两江新区")["pop_source"]
    wansheng = by_name["万盛经济技术开发区"]
    assert wansheng.population == 255_776
    assert "255776" in next(r for r in census if r["name_zh"] == "万盛经济技术开发区")["pop_source"]
    assert "population" in liangjiang.estimate_fields and "population" in wansheng.estimate_fields
    assert (
        sum(n.kind == "district" and "population" in n.estimate_fields for n in default.nodes) == 6
    )


def test_census_units_add_up_to_the_municipal_total(default):
    total = int(
        next(
            r
            for r in _csv("chongqing_facts_subset.csv")
            if r["fact"] == "resident population 7th census"
        )["value"]
    )
    units = sum(n.population for n in _districts(default) if n.adcode)
    assert abs(units - total) <= 100  # four estimates were rounded to the thousand


def test_tiers_follow_the_regions(default):
    large_new_main_city = {"fuling", "jiangjin", "hechuan", "yongchuan", "qijiang"}
    for node in _districts(default):
        tiers = {link.tier for link in default.links_of("extranet") if node.id in (link.a, link.b)}
        if node.region == "中心城区" or node.id in large_new_main_city:
            expected = "10G"
        elif node.region == "主城新区":
            expected = "2.5G"
        else:
            expected = "1G"
        assert tiers == {expected}, node.id
        intranet = {
            link.tier for link in default.links_of("intranet") if node.id in (link.a, link.b)
        }
        assert intranet == {"2.5G" if node.region == "中心城区" else "1G"}, node.id


def test_tier_catalogue_is_a_labelled_estimate(default):
    expected = {  # capex per module, opex per module-year, opex per km-year
        "1G": (30_000, 60_000, 300),
        "2.5G": (60_000, 120_000, 500),
        "10G": (150_000, 250_000, 1_000),
        "40G": (500_000, 600_000, 2_500),
        "100G": (1_000_000, 1_000_000, 4_000),
    }
    assert {t.name for t in default.tiers} == set(expected)
    for tier in default.tiers:
        assert (tier.capex_cny, tier.opex_cny_per_year, tier.opex_cny_per_km_year) == expected[
            tier.name
        ]
        assert tier.capacity_gbps == float(tier.name.removesuffix("G"))
        assert tier.estimate and tier.source and tier.max_modules == 4


def test_data_centres_from_the_sourced_server_count(default):
    dcs = {dc.id: dc for dc in default.data_centres}
    cloud, dr = dcs["dc-cloud"], dcs["dc-dr"]
    servers = 5_700  # chongqing_facts_subset.csv, 2023-10
    row = next(r for r in _csv("chongqing_facts_subset.csv") if "public-cloud servers" in r["fact"])
    assert row["value"].startswith(f"{servers} servers")
    assert cloud.role == "primary" and dr.role == "disaster_recovery"
    assert (
        (cloud.racks - 1) * cloud.servers_per_rack < servers <= cloud.racks * cloud.servers_per_rack
    )
    assert cloud.racks < cloud.racks_max and dr.racks < cloud.racks and dr.racks <= dr.racks_max
    assert 5 <= cloud.kw_per_rack <= 8  # the sourced cost-optimal density band
    # Power at PUE 1.35 and 0.7 CNY/kWh plus 20,000 CNY space and upkeep, per rack-year.
    power_cny = cloud.kw_per_rack * 8760 * 1.35 * 0.7
    assert cloud.rack_opex_cny_per_year == pytest.approx(power_cny + 20_000, abs=100)
    assert cloud.target_utilisation == dr.target_utilisation == 0.6
    a, b = default.node("dc-cloud"), default.node("dc-dr")
    assert _haversine_km(a.lat, a.lon, b.lat, b.lon) >= 30  # a real DR distance
    assert "5,700" in cloud.source and "estimate" in dr.source


def test_lengths_are_haversine_times_route_factor(default):
    assert default.route_factor == 1.3
    for link in default.links:
        a, b = default.node(link.a), default.node(link.b)
        if "national-uplink" in (link.a, link.b):
            core = b if link.a == "national-uplink" else a
            to_beijing = _haversine_km(core.lat, core.lon, 39.9042, 116.4074) * 1.3
            assert link.length_km == pytest.approx(to_beijing, abs=10)
            continue
        expected = max(1.0, _haversine_km(a.lat, a.lon, b.lat, b.lon) * 1.3)
        assert link.length_km == pytest.approx(expected, abs=0.01), link.id
        assert link.latency_ms == pytest.approx(link.length_km * 0.005, abs=1e-4)


def test_notes_name_the_estimates(default):
    text = " ".join(default.notes)
    for word in ("GCJ-02", "Populations", "Tier prices", "Data centres", "estimated sites"):
        assert word in text


# --- the post-2025 variant -------------------------------------------------------------------


def test_2025_variant_merges_jiangbei_and_yubei_into_liangjiang(default, variant, census):
    names = {n.name_zh for n in variant.nodes}
    ids = {n.id for n in variant.nodes}
    assert not {"江北区", "渝北区"} & names and not {"jiangbei", "yubei"} & ids
    assert not any({"jiangbei", "yubei"} & {link.a, link.b} for link in variant.links)
    assert len(_districts(variant)) == 38
    assert sum(1 for n in _districts(variant) if n.adcode or n.id == "liangjiang") == 37
    liangjiang = variant.node("liangjiang")
    assert liangjiang.population == 3_520_000 and "population" in liangjiang.estimate_fields
    row = next(r for r in census if r["name_zh"] == "两江新区")
    assert "~3.52 million after 2025 merger" in row["pop_source"]
    unchanged = {n.id for n in _districts(variant)} - {"liangjiang", "beibei"}
    for node_id in unchanged:
        assert variant.node(node_id) == default.node(node_id)
    assert variant.data_centres == default.data_centres


# --- reproducibility --------------------------------------------------------------------------


def test_generator_reproduces_the_committed_files(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "make_chongqing", TOPOLOGIES / "make_chongqing.py"
    )
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    docs = tmp_path / "default-network.md"
    shutil.copyfile(REPO / "docs" / "default-network.md", docs)
    assert module.main(["--out-dir", str(tmp_path), "--docs", str(docs)]) == 0
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    topology_files = [p for p in written if p.name != "default-network.md"]
    assert len(topology_files) == 6
    for rel in topology_files:
        assert (tmp_path / rel).read_bytes() == (TOPOLOGIES / rel).read_bytes(), rel
    assert docs.read_bytes() == (REPO / "docs" / "default-network.md").read_bytes()
