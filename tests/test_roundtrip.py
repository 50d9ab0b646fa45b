"""Round trips: YAML → model → YAML / GraphML → model gives the identical model."""

from __future__ import annotations

import netplan
from netplan.io.topology_io import read_topology_graphml, topology_to_graphml
from tests.conftest import SMALL


def test_topology_yaml_round_trip(tmp_path):
    original = netplan.load_topology(SMALL / "topology.yaml")
    netplan.save_topology(original, tmp_path / "again.yaml")
    assert netplan.load_topology(tmp_path / "again.yaml") == original


def test_topology_graphml_round_trip(tmp_path):
    original = netplan.load_topology(SMALL / "topology.yaml")
    topology_to_graphml(original, tmp_path / "net.graphml")
    assert read_topology_graphml(tmp_path / "net.graphml") == original


def test_default_network_round_trips(tmp_path):
    original = netplan.load_topology(netplan.default_topology_path())
    netplan.save_topology(original, tmp_path / "cq.yaml")
    topology_to_graphml(original, tmp_path / "cq.graphml")
    assert netplan.load_topology(tmp_path / "cq.yaml") == original
    assert read_topology_graphml(tmp_path / "cq.graphml") == original


def test_scenario_yaml_round_trip(tmp_path):
    for name in ("baseline", "growth-5y", "video-surge", "dc-outage"):
        original = netplan.load_scenario(netplan.default_scenario_path(name))
        netplan.save_scenario(original, tmp_path / f"{name}.yaml")
        assert netplan.load_scenario(tmp_path / f"{name}.yaml") == original


def test_building_in_code_matches_the_file():
    from tests.conftest import read_small_topology

    built = netplan.build_topology(read_small_topology())
    assert built == netplan.load_topology(SMALL / "topology.yaml")
