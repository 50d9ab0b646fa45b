"""Every validation rule: one bad file each; the message names the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

import netplan
from netplan.errors import ValidationError
from tests.conftest import write_yaml


def _node(data, node_id):
    return next(n for n in data["nodes"] if n["id"] == node_id)


def _link(data, link_id):
    return next(lk for lk in data["links"] if lk["id"] == link_id)


TOPOLOGY_CASES = {
    "unknown node": (
        lambda d: _link(d, "d1-c1").update(b="nowhere"),
        "links[4].b",
        "unknown node 'nowhere'",
    ),
    "duplicate node id": (
        lambda d: d["nodes"].append(dict(_node(d, "d1"))),
        "nodes[7].id",
        "duplicate id 'd1'",
    ),
    "duplicate link id": (
        lambda d: d["links"].append(dict(_link(d, "d1-c1"))),
        "links[16].id",
        "duplicate id 'd1-c1'",
    ),
    "link between planes": (
        lambda d: _link(d, "c1-exit").update(plane="intranet"),
        "links[3].plane",
        "intranet has no Internet edge",
    ),
    "node outside the plane": (
        lambda d: _node(d, "d3").update(planes=["extranet"]),
        "links[15].plane",
        "not in plane 'intranet'",
    ),
    "internet exit in intranet": (
        lambda d: _node(d, "exit").update(planes=["extranet", "intranet"]),
        "nodes[3].planes",
        "internet exit cannot be in the intranet",
    ),
    "disconnected plane": (
        lambda d: d.update(links=[lk for lk in d["links"] if lk["id"] not in ("d3-c1", "d3-c2")]),
        "links",
        "plane 'extranet' is disconnected",
    ),
    "unknown tier": (
        lambda d: _link(d, "d1-c1").update(tier="7G"),
        "links[4].tier",
        "unknown tier '7G'",
    ),
    "zero capacity": (
        lambda d: _link(d, "d1-c1").update(capacity_gbps=0),
        "links[4].capacity_gbps",
        "greater than 0",
    ),
    "negative capacity": (
        lambda d: d["tiers"][0].update(capacity_gbps=-1),
        "tiers[0].capacity_gbps",
        "greater than 0",
    ),
    "latitude out of range": (
        lambda d: _node(d, "d1").update(lat=95),
        "nodes[4].lat",
        "less than or equal to 90",
    ),
    "longitude out of range": (
        lambda d: _node(d, "d1").update(lon=-200),
        "nodes[4].lon",
        "greater than or equal to -180",
    ),
    "wrong type": (
        lambda d: _node(d, "d1").update(population="many"),
        "nodes[4].population",
        "valid integer",
    ),
    "unknown field": (
        lambda d: _node(d, "d1").update(colour="red"),
        "nodes[4].colour",
        "unknown field",
    ),
    "missing field": (
        lambda d: _node(d, "d1").pop("kind"),
        "nodes[4].kind",
        "required field is missing",
    ),
    "bad kind": (lambda d: _node(d, "d1").update(kind="town"), "nodes[4].kind", "'district'"),
    "self loop": (lambda d: _link(d, "d1-c1").update(b="d1"), "links[4].b", "to itself"),
    "racks over limit": (
        lambda d: d["data_centres"][0].update(racks=50),
        "data_centres[0].racks",
        "exceed racks_max",
    ),
    "dc on unknown node": (
        lambda d: d["data_centres"][0].update(node="ghost"),
        "data_centres[0].node",
        "unknown node 'ghost'",
    ),
    "nan": (lambda d: _node(d, "d1").update(lat=float("nan")), "nodes[4].lat", "finite number"),
}


@pytest.mark.parametrize("case", sorted(TOPOLOGY_CASES))
def test_each_topology_rule(case, small_topology_data, tmp_path: Path):
    mutate, field, words = TOPOLOGY_CASES[case]
    mutate(small_topology_data)
    path = write_yaml(tmp_path / "bad.yaml", small_topology_data)
    with pytest.raises(ValidationError) as err:
        netplan.load_topology(path)
    matching = [p for p in err.value.problems if p.field == field and words in p.message]
    assert matching, f"no problem at {field} saying {words!r}: {err.value}"
    assert all(p.file == str(path) for p in matching)
    assert all(p.line is not None for p in matching if p.field != "links")


def test_every_problem_reported_at_once(small_topology_data, tmp_path):
    _node(small_topology_data, "d1").update(lat=95)
    _link(small_topology_data, "d2-c1").update(tier="7G")
    _link(small_topology_data, "d3-c1").update(b="ghost")
    path = write_yaml(tmp_path / "bad.yaml", small_topology_data)
    with pytest.raises(ValidationError) as err:
        netplan.load_topology(path)
    fields = {p.field for p in err.value.problems}
    assert {"nodes[4].lat", "links[6].tier", "links[8].b"} <= fields


def test_line_numbers_point_at_the_field(tmp_path):
    text = (Path(__file__).parent / "data/small/topology.yaml").read_text(encoding="utf-8")
    text = text.replace("lat: 29.80", "lat: 129.80")
    path = tmp_path / "topology.yaml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "links.csv").write_text(
        (Path(__file__).parent / "data/small/links.csv").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as err:
        netplan.load_topology(path)
    (problem,) = err.value.problems
    assert problem.field == "nodes[5].lat"
    assert text.splitlines()[problem.line - 1].lstrip().startswith("- {id: d2")


def test_csv_table_problems_name_the_csv_row(small_dir):
    links = small_dir / "links.csv"
    rows = links.read_text(encoding="utf-8").splitlines()
    rows[5] = rows[5].replace(",10G,", ",9G,")
    links.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        netplan.load_topology(small_dir / "topology.yaml")
    (problem,) = err.value.problems
    assert problem.file == str(links) and problem.line == 6 and problem.field == "links[4].tier"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "file is empty"),
        (b"   \n\n", "file is empty"),
        (b"name: [unclosed\n", "YAML syntax error"),
        (b"- just\n- a list\n", "expected a mapping"),
        (b"\xff\xfename: x\n", "not UTF-8"),
        (b"kind: topology\nname: a\nname: b\n", "duplicate key"),
        (b"kind: topology\nname: x\nnodes: missing.csv\n", "does not exist"),
        (b"kind: topology\nname: x\nnodes: ../../etc/passwd.csv\n", "must be a path inside"),
    ],
)
def test_bad_files(tmp_path, content, words):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(ValidationError) as err:
        netplan.load_topology(path)
    assert any(words in p.message for p in err.value.problems), str(err.value)
    assert all(p.file.startswith(str(tmp_path)) for p in err.value.problems)


def test_missing_file(tmp_path):
    with pytest.raises(ValidationError, match="not found"):
        netplan.load_topology(tmp_path / "nope.yaml")


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValidationError, match="expands to more than"):
        netplan.load_topology(path)


def test_bom_and_windows_line_endings_are_fine(tmp_path, small_dir):
    path = small_dir / "topology.yaml"
    text = path.read_text(encoding="utf-8").replace("\n", "\r\n")
    path.write_bytes("\ufeff".encode() + text.encode("utf-8"))
    assert len(netplan.load_topology(path).nodes) == 7


SCENARIO_CASES = {
    "profile of 23 values": (
        lambda s: s["profiles"].update(flat=[1.0] * 23),
        "profiles.flat",
        "24 hourly values, got 23",
    ),
    "profile above 1": (
        lambda s: s["profiles"].update(flat=[2.0] * 24),
        "profiles.flat",
        "between 0 and 1",
    ),
    "unknown profile": (
        lambda s: s["services"][0].update(profile="night"),
        "services[0].profile",
        "unknown profile 'night'",
    ),
    "unknown far end": (
        lambda s: s["services"][0].update(far_end="mars"),
        "services[0].far_end",
        "unknown node or data centre 'mars'",
    ),
    "far end not in plane": (
        lambda s: s["services"][2].update(far_end="exit"),
        "services[2].far_end",
        "not in plane 'intranet'",
    ),
    "duplicate service": (
        lambda s: s["services"].append(dict(s["services"][0])),
        "services[3].id",
        "duplicate id 'oa'",
    ),
    "negative growth below -100 %": (
        lambda s: s["services"][0].update(growth_per_year=-1.5),
        "services[0].growth_per_year",
        "greater than -1",
    ),
    "unknown failure policy": (
        lambda s: s.update(failure_policy=["n-3"]),
        "failure_policy[0]",
        "'n-1'",
    ),
    "override of unknown link": (
        lambda s: s.update(overrides=[{"action": "remove_link", "link": "zz"}]),
        "overrides[0].link",
        "unknown link 'zz'",
    ),
    "override of unknown tier": (
        lambda s: s.update(overrides=[{"action": "set_tier", "link": "d1-c1", "tier": "3G"}]),
        "overrides[0].tier",
        "unknown tier '3G'",
    ),
    "unknown override action": (
        lambda s: s.update(overrides=[{"action": "explode"}]),
        "overrides[0]",
        "action",
    ),
    "scale unknown service": (
        lambda s: s.update(overrides=[{"action": "scale_service", "service": "tv", "factor": 2}]),
        "overrides[0].service",
        "unknown service 'tv'",
    ),
    "base year out of range": (
        lambda s: s.update(base_year=1900),
        "base_year",
        "greater than or equal to 2000",
    ),
    "stream without bandwidth": (
        lambda s: s["services"][0].update(session={"kind": "stream"}),
        "services[0].session.session_mbps",
        "needs session_mbps",
    ),
}


@pytest.mark.parametrize("case", sorted(SCENARIO_CASES))
def test_each_scenario_rule(case, small_scenario_data, small_dir):
    mutate, field, words = SCENARIO_CASES[case]
    mutate(small_scenario_data)
    path = write_yaml(small_dir / "bad-scenario.yaml", small_scenario_data)
    topology = netplan.load_topology(small_dir / "topology.yaml")
    with pytest.raises(ValidationError) as err:
        netplan.load_scenario(path, topology)
    matching = [p for p in err.value.problems if p.field == field and words in p.message]
    assert matching, f"no problem at {field} saying {words!r}: {err.value}"
    assert matching[0].file == str(path)


def test_extends_missing_and_cyclic(small_dir):
    (small_dir / "a.yaml").write_text("kind: scenario\nextends: b.yaml\n")
    (small_dir / "b.yaml").write_text("kind: scenario\nextends: a.yaml\n")
    with pytest.raises(ValidationError, match="cycle"):
        netplan.load_scenario(small_dir / "a.yaml")
    (small_dir / "c.yaml").write_text("kind: scenario\nextends: gone.yaml\n")
    with pytest.raises(ValidationError, match="does not exist") as err:
        netplan.load_scenario(small_dir / "c.yaml")
    assert err.value.problems[0].line == 2 and err.value.problems[0].field == "extends"


def test_extends_overrides_fields(small_dir):
    (small_dir / "grown.yaml").write_text(
        "kind: scenario\nextends: scenario.yaml\nname: grown\nhorizon_years: 5\n"
    )
    grown = netplan.load_scenario(small_dir / "grown.yaml")
    base = netplan.load_scenario(small_dir / "scenario.yaml")
    assert grown.horizon_years == 5 and grown.name == "grown"
    assert grown.services == base.services
