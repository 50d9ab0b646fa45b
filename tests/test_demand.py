"""Demand arithmetic, checked by hand against the scenario's own numbers."""

from __future__ import annotations

import numpy as np
import pytest

import netplan
from netplan.demand import build_demand
from netplan.model.whatif import apply_overrides
from tests.conftest import SMALL


@pytest.fixture
def small():
    topo = netplan.load_topology(SMALL / "topology.yaml")
    return topo, netplan.load_scenario(SMALL / "scenario.yaml", topo)


def _service_busy_total(pd, service, year_index=0):
    si = pd.services.index(service)
    return pd.gbps[si, year_index].sum(axis=-1).max()


def test_busy_hour_total_by_hand(small):
    topo, scenario = small
    pd = build_demand(topo, scenario).planes["extranet"]
    # oa: 10,000 staff × (0.02 + 0.08) Mbit/s = 1 Gbit/s at the profile's peak hour.
    assert _service_busy_total(pd, "oa") == pytest.approx(1.0)
    # web: 1.75 million residents × 0.001 Mbit/s down = 1.75 Gbit/s every hour (flat profile).
    assert _service_busy_total(pd, "web") == pytest.approx(1.75)


def test_staff_split_by_population(small):
    topo, scenario = small
    pd = build_demand(topo, scenario).planes["extranet"]
    si = pd.services.index("oa")
    d1, dc = pd.node_ids.index("d1"), pd.node_ids.index("dc")
    col = np.nonzero((pd.od_src == d1) & (pd.od_dst == dc))[0][0]
    # d1 holds 1.0 of 1.75 million residents: 10,000 × 1/1.75 staff × 0.02 Mbit/s up.
    assert pd.gbps[si, 0, 9, col] == pytest.approx(10_000 / 1.75 * 0.02 / 1000)


def test_growth_compounds_per_service(small):
    topo, scenario = small
    pd = build_demand(topo, scenario).planes["extranet"]
    for service, growth in (("oa", 0.25), ("web", 0.10)):
        si = pd.services.index(service)
        np.testing.assert_allclose(pd.gbps[si, 2], pd.gbps[si, 0] * (1 + growth) ** 2)


def test_five_year_growth_on_the_default_network():
    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path("growth-5y"), topo)
    demand = build_demand(topo, scenario)
    for pd in demand.planes.values():
        for si, service in enumerate(pd.services):
            g = scenario.service(service).growth_per_year
            np.testing.assert_allclose(pd.gbps[si, 5], pd.gbps[si, 0] * (1 + g) ** 5, rtol=1e-12)


def test_peak_hour_is_the_profile_peak():
    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    for row in build_demand(topo, scenario).busy_hour_totals():
        profile = scenario.profiles[scenario.service(row["service"]).profile]
        assert profile[row["busy_hour"]] == max(profile)


def test_scale_service_and_district(small):
    topo, scenario = small
    base = build_demand(topo, scenario).planes["extranet"]
    data = scenario.model_dump()
    data["overrides"] = [
        {"action": "scale_service", "service": "oa", "factor": 3},
        {"action": "scale_district", "node": "d3", "driver": "population", "factor": 2},
    ]
    scaled = netplan.build_scenario(data, topo)
    pd = build_demand(topo, scaled).planes["extranet"]
    si = pd.services.index("oa")
    np.testing.assert_allclose(pd.gbps[si], base.gbps[si] * 3)
    web = pd.services.index("web")
    d3 = pd.node_ids.index("d3")
    col = np.nonzero(pd.od_dst == d3)[0]
    np.testing.assert_allclose(pd.gbps[web][..., col], base.gbps[web][..., col] * 2)


def test_removed_link_is_gone_and_added_link_present(small):
    topo, scenario = small
    data = scenario.model_dump()
    data["overrides"] = [
        {"action": "remove_link", "link": "d1-c1"},
        {
            "action": "add_link",
            "link": {"id": "d1-dc", "a": "d1", "b": "dc", "plane": "extranet", "tier": "10G"},
        },
        {"action": "set_tier", "link": "d2-c1", "tier": "10G", "modules": 2},
    ]
    changed = apply_overrides(topo, netplan.build_scenario(data, topo)).topology
    ids = {link.id for link in changed.links}
    assert "d1-c1" not in ids and "d1-dc" in ids
    assert next(lk for lk in changed.links if lk.id == "d2-c1").capacity_gbps == 20
    assert next(lk for lk in changed.links if lk.id == "d1-dc").length_km > 0
    assert {link.id for link in topo.links} >= {"d1-c1"}  # the original is untouched


def test_dc_failover_moves_services():
    topo = netplan.load_topology(netplan.default_topology_path())
    base = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    outage = netplan.load_scenario(netplan.default_scenario_path("dc-outage"), topo)
    before = build_demand(topo, base).planes["extranet"]
    after = build_demand(topo, outage).planes["extranet"]
    dr = after.node_ids.index("dc-dr")
    cloud = after.node_ids.index("dc-cloud")
    assert not np.any(after.od_dst == cloud) and not np.any(after.od_src == cloud)
    si = after.services.index("citizen_services")
    moved = after.gbps[si][..., after.od_src == dr].sum()
    assert moved == pytest.approx(before.gbps[si][..., before.od_src == cloud].sum(), rel=1e-12)
    assert after.gbps[after.services.index("dc_replication")].sum() == 0


def test_gravity_model_shares_what_each_district_sends():
    topo = netplan.load_topology(netplan.default_topology_path())
    scenario = netplan.load_scenario(netplan.default_scenario_path("baseline"), topo)
    pd = build_demand(topo, scenario).planes["extranet"]
    si = pd.services.index("district_exchange")
    service = scenario.service("district_exchange")
    hour = 10
    sent = pd.gbps[si, 0, hour]
    staff_total = scenario.drivers.staff_total
    expected = staff_total * service.up_mbps_per_unit * service.active_fraction / 1000
    assert sent.sum() == pytest.approx(expected, rel=1e-9)


def test_demand_files_have_labelled_axes(small, tmp_path):
    topo, scenario = small
    demand = build_demand(topo, scenario)
    demand.save(tmp_path)
    with np.load(tmp_path / "demand.npz") as npz:
        assert list(npz["axes"]) == ["service", "year", "hour", "od"]
        assert npz["extranet__gbps"].shape == demand.planes["extranet"].gbps.shape
        assert list(npz["extranet__services"]) == ["oa", "web"]
    header = (tmp_path / "demand.csv").read_text().splitlines()[0]
    assert "estimate" in header
