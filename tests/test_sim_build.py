"""The bridge from topology + scenario to simulator inputs, on tests/data/small/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import netplan
from netplan.analysis.routing import ecmp_routing
from netplan.demand import build_demand
from netplan.errors import ValidationError
from netplan.model.scenario import SessionModel
from netplan.sim.build import enumerate_paths, sim_inputs

SMALL = Path(__file__).parent / "data" / "small"
DISTRICTS = {"d1", "d2", "d3"}


@pytest.fixture(scope="module")
def small():
    topo = netplan.load_topology(SMALL / "topology.yaml")
    scen = netplan.load_scenario(SMALL / "scenario.yaml", topo)
    sessions = {
        "oa": SessionModel(kind="request", size_mbit=2.0, service_time_s=0.05),
        "web": SessionModel(kind="stream", session_mbps=2.0, holding_s=60.0),
        "secure": SessionModel(kind="elastic", size_mbit=4.0),
    }
    services = tuple(s.model_copy(update={"session": sessions[s.id]}) for s in scen.services)
    scen = scen.model_copy(update={"services": services})
    return topo, scen, build_demand(topo, scen)


def test_rates_follow_the_demand_arithmetic(small):
    topo, scen, demand = small
    net, classes, pools, _, labels = sim_inputs(topo, scen, demand=demand)
    year_i = len(scen.years) - 1
    assert labels.year == scen.years[-1]
    seen = {"stream": 0, "elastic": 0, "request": 0}
    for c, sid, o, d in zip(classes, labels.class_service, labels.class_origin,
                            labels.class_destination, strict=True):
        pd = demand.planes[labels.class_plane[classes.index(c)]]
        j = [k for k in range(pd.od_src.size)
             if pd.node_ids[pd.od_src[k]] == o and pd.node_ids[pd.od_dst[k]] == d][0]
        mbps = pd.gbps[pd.services.index(sid), year_i, :, j] * 1000.0
        assert c.id == f"{sid}:{o}>{d}"
        seen[c.kind] += 1
        if c.kind == "stream":  # Erlangs = demand / session bandwidth; rate = Erlangs / holding
            np.testing.assert_allclose(c.arrival_rate_per_s * 60.0, mbps / 2.0, rtol=1e-12)
        elif c.kind == "elastic":
            np.testing.assert_allclose(c.arrival_rate_per_s, mbps / 4.0, rtol=1e-12)
        else:  # responses from the data centre to the district
            assert o == "dc" and d in DISTRICTS
            np.testing.assert_allclose(c.arrival_rate_per_s, mbps / 2.0, rtol=1e-12)
            assert c.response_mbit == 2.0 and c.service_s == 0.05
    assert min(seen.values()) > 0
    # upstream halves of the request service are not simulated
    assert not any(s == "oa" and o in DISTRICTS for s, o in
                   zip(labels.class_service, labels.class_origin, strict=True))
    assert [p.id for p in pools] == ["dc-main"]
    assert pools[0].servers == 10 * 12  # racks x servers_per_rack
    g = topo.plane_graph("extranet")
    assert net.link_ids[0] == f"{g.link_ids[0]}>" and net.link_ids[1] == f"{g.link_ids[0]}<"
    assert net.capacity_mbps[0] == pytest.approx(g.arc_capacity_gbps[0] * 1000.0)


def test_paths_reproduce_the_ecmp_split(small):
    topo, scen, demand = small
    net, classes, _, _, labels = sim_inputs(topo, scen, demand=demand)
    offset = 0
    for plane in ("extranet", "intranet"):
        pd = demand.planes[plane]
        g = topo.plane_graph(plane)
        n_arcs = g.arc_link.size
        r = ecmp_routing(g, pd.od_src, pd.od_dst)
        od_mbps = pd.gbps[:, -1, 10, :].sum(axis=0) * 1000.0
        expected = r.split @ od_mbps  # arc loads from netplan.analysis.routing
        got = np.zeros(n_arcs)
        for c, cls in enumerate(classes):
            if labels.class_plane[c] != plane:
                continue
            assert cls.path_probs.sum() == pytest.approx(1.0)
            mbps = labels.class_demand_mbps[c, 10]
            for path, p in zip(cls.paths, cls.path_probs, strict=True):
                got[np.asarray(path) - offset] += p * mbps
        # requests carry only their response direction: add the upstream demand they skip
        skipped = np.zeros(pd.od_src.size)
        si = pd.services.index("oa") if "oa" in pd.services else None
        if si is not None:
            for j in range(pd.od_src.size):
                if pd.node_ids[pd.od_src[j]] in DISTRICTS:
                    skipped[j] = pd.gbps[si, -1, 10, j] * 1000.0
        np.testing.assert_allclose(got + r.split @ skipped, expected, rtol=1e-9, atol=1e-9)
        offset += n_arcs


def test_enumerate_paths_multiplies_per_hop_fractions():
    # diamond 0->1->3, 0->2->3, and 1 splits again over 1->3 and 1->4->3
    src = np.array([0, 0, 1, 2, 1, 4])
    dst = np.array([1, 2, 3, 3, 4, 3])
    col = {0: 0.5, 1: 0.5, 2: 0.25, 3: 0.5, 4: 0.25, 5: 0.25}
    paths, probs = enumerate_paths(src, dst, col, 0, 3)
    got = dict(zip(map(tuple, paths), probs, strict=True))
    assert got == {(0, 2): 0.25, (0, 4, 5): 0.25, (1, 3): 0.5}


def test_reroute_avoids_the_failed_link(small):
    topo, scen, demand = small
    net, classes, _, reroute, _ = sim_inputs(topo, scen, demand=demand)
    used = [k for k in range(net.n_links) if any(k in p for c in classes for p in c.paths)]
    k = used[0]
    mask = np.zeros(net.n_links, dtype=bool)
    mask[k] = True
    out = reroute(mask)
    twin = k + 1 if k % 2 == 0 else k - 1  # the other direction of the same link
    moved = 0
    for cls, entry in zip(classes, out, strict=True):
        if entry is None:
            continue
        paths, probs = entry
        assert sum(probs) == pytest.approx(1.0)
        for p in paths:
            assert k not in p and twin not in p
        moved += any(k in p for p in cls.paths)
    assert moved > 0
    assert reroute(np.zeros(net.n_links, bool))[0][0] == classes[0].paths


def test_a_sized_topology_gives_its_capacities_and_bad_year(small):
    topo, scen, demand = small
    lid = topo.plane_graph("extranet").link_ids[0]
    sized = topo.model_copy(update={"links": tuple(
        link.model_copy(update={"capacity_gbps": 40.0}) if link.id == lid else link
        for link in topo.links
    )})
    net, *_ = sim_inputs(sized, scen, demand=demand)
    assert net.capacity_mbps[0] == 40000.0 and net.capacity_mbps[1] == 40000.0
    again, *_ = sim_inputs(sized, scen)  # the demand of the unsized topology is the same
    np.testing.assert_array_equal(again.capacity_mbps, net.capacity_mbps)
    with pytest.raises(ValidationError, match="year"):
        sim_inputs(topo, scen, demand=demand, year=1990)
