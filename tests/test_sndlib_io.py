"""SNDlib native reader and solution writer."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from netplan.errors import ValidationError
from netplan.io.sndlib import (
    SndlibSolution,
    format_solution,
    parse_model,
    parse_network,
    parse_solution,
    read_model,
    read_network,
    read_solution,
    write_solution,
)

DATA = Path(__file__).parent / "data" / "sndlib"
HEADER = "?SNDlib native format; type: network; version: 1.0\n"
MODEL_HEADER = "?SNDlib native format; type: model; version: 1.0\n"


@pytest.mark.parametrize(
    ("name", "nodes", "links", "demands"),
    # Sizes as published by SNDlib for these instances.
    [
        ("france", 25, 45, 300),
        ("polska", 12, 18, 66),
        ("pdh", 11, 34, 24),
        ("atlanta", 15, 22, 210),
        ("abilene", 12, 15, 132),
    ],
)
def test_reads_instances(name, nodes, links, demands):
    net = read_network(DATA / name / f"{name}.txt")
    assert (len(net.nodes), len(net.links), len(net.demands)) == (nodes, links, demands)
    assert net.name == name
    ids = {n.id for n in net.nodes}
    assert all(lk.source in ids and lk.target in ids for lk in net.links)


def test_polska_values():
    net = read_network(DATA / "polska" / "polska.txt")
    lk = net.links[0]
    assert (lk.id, lk.source, lk.target) == ("Link_0_10", "Gdansk", "Warsaw")
    assert (lk.pre_capacity, lk.pre_cost, lk.routing_cost, lk.setup_cost) == (0, 0, 0, 156)
    assert lk.module_capacities == (155.0, 622.0)
    assert lk.module_costs == (156.0, 468.0)
    gdansk = net.nodes[0]
    assert (gdansk.id, gdansk.x, gdansk.y) == ("Gdansk", 18.6, 54.2)
    # polska lists admissible paths; SNDlib's all-path models ignore them.
    assert len(net.admissible_paths) == 66


def test_atlanta_preinstalled_and_routing_cost():
    net = read_network(DATA / "atlanta" / "atlanta.txt")
    lk = net.links[0]
    assert (lk.id, lk.pre_capacity, lk.routing_cost) == ("L1", 11000.0, 67.8)
    assert lk.module_capacities == (1000.0, 4000.0)
    d = net.demands[0]
    assert (d.id, d.source, d.target, d.volume, d.max_hops) == ("D1", "N1", "N2", 5981.0, None)


def test_models():
    m = read_model(DATA / "polska" / "U-U-M-N-C-A-N-U.txt")
    assert m.code == "U-U-M-N-C-A-N-U"
    assert m.survivability_model == "UNRESTRICTED_FLOW_RECONFIGURATION"
    assert read_model(DATA / "france" / "U-U-M-N-C-A-N-N.txt").code == "U-U-M-N-C-A-N-N"


def test_format_example():
    # SNDlib's own documentation example: options groups, attached parentheses
    # ("L_BC)"), hop limits, admissible paths, a tab before '='.
    net = read_network(DATA / "format-example" / "network.txt")
    assert [d.max_hops for d in net.demands] == [None, None, 2]
    assert net.demands[2].volume == 126.0
    assert net.admissible_paths["D_AB"] == (("P1", ("L_AB",)), ("P2", ("L_AC", "L_BC")))
    assert len(net.admissible_paths["D_EC"]) == 4
    m = read_model(DATA / "format-example" / "model.txt")
    assert m.code == "U-U-E-N-S-E-I-P"
    sol = read_solution(DATA / "format-example" / "solution.txt")
    assert sol.link_configurations["L_AB"] == ((63.0, 1.0), (252.0, 1.0))
    assert sol.link_configurations["L_AD"] == ()
    assert sol.routings["DEFAULT_BACKUP"]["D_EC"] == ((27.0, ("L_DE", "L_DC")),)


def test_unlimited_module_capacity():
    net = parse_network(
        HEADER + "NODES ( A ( 0 0 ) () () B ( 1 1 ) )\n"
        "LINKS ( L ( A B ) 0 0 0 2000 ( UNLIMITED 0 ) () )\n"
        "DEMANDS ( D ( A B ) 1 5 UNLIMITED () )\n"
    )
    assert net.links[0].module_capacities == (math.inf,)


def problems_of(text: str, parser=parse_network):
    with pytest.raises(ValidationError) as exc:
        parser(text, file="x.txt")
    return exc.value.problems


def test_header_is_required():
    (p,) = problems_of("NODES ( A ( 0 0 ) )")
    assert (p.file, p.field, p.line) == ("x.txt", "header", 1)
    (p,) = problems_of(MODEL_HEADER + "LINK_MODEL = UNDIRECTED")
    assert "expected a 'network' file" in p.message


def test_unbalanced_parentheses_name_the_line():
    (p,) = problems_of(HEADER + "NODES (\n  A ( 0 0 )\n  B ( 1 0 \n")
    assert p.line == 4 and "never closed" in p.message
    (p,) = problems_of(HEADER + "NODES ( A ( 0 0 ) ) )\n")
    assert p.line == 2 and "without a matching" in p.message


def test_every_problem_is_reported_with_line_and_field():
    text = (
        HEADER
        + "NODES (\n"  # 2
        + "  A ( 0 0 )\n"
        + "  A ( 1 1 )\n"  # 4: duplicate
        + "  B ( 1 x )\n"  # 5: bad coordinate
        + ")\n"
        + "LINKS (\n"  # 7
        + "  L1 ( A B ) 0 0 0 0 ( 10 )\n"  # 8: odd module list
        + "  L2 ( A Z ) 0 0 -1 0 ( 10 5 )\n"  # 9: negative routing cost (and Z unknown)
        + "  L3 ( A B ) 0 0 0 ( 10 5 )\n"  # 10: missing setup cost
        + ")\n"
        + "DEMANDS (\n"  # 12
        + "  D1 ( A B ) 0 5 UNLIMITED\n"  # 13: routing unit 0
        + "  D2 ( A B ) 1 5 1.5\n"  # 14: fractional hop limit
        + ")\n"
    )
    probs = problems_of(text)
    got = {(p.line, p.field) for p in probs}
    assert (4, "NODES[A].id") in got
    assert (5, "NODES[B].coordinates.y") in got
    assert (8, "LINKS[L1].modules") in got
    assert (9, "LINKS[L2].routing_cost") in got
    assert (10, "LINKS[L3].setup_cost") in got
    assert (13, "DEMANDS[D1].routing_unit") in got
    assert (14, "DEMANDS[D2].max_path_length") in got
    assert all(p.file == "x.txt" for p in probs)


def test_unknown_references():
    text = (
        HEADER + "NODES ( A ( 0 0 ) B ( 1 0 ) )\n"
        "LINKS ( L1 ( A C ) 0 0 0 0 ( 10 5 ) )\n"
        "DEMANDS ( D1 ( A Q ) 1 5 UNLIMITED )\n"
        "ADMISSIBLE_PATHS ( D1 ( P1 ( L9 ) ) D7 ( P1 ( L1 ) ) )\n"
    )
    msgs = {(p.field, p.message, p.line) for p in problems_of(text)}
    assert ("LINKS[L1].target", "unknown node 'C'", 3) in msgs
    assert ("DEMANDS[D1].target", "unknown node 'Q'", 4) in msgs
    assert ("ADMISSIBLE_PATHS[D1].P1", "unknown link 'L9'", 5) in msgs
    assert ("ADMISSIBLE_PATHS[D7]", "unknown demand", 5) in msgs


def test_path_must_connect_the_demand():
    text = (
        HEADER + "NODES ( A ( 0 0 ) B ( 1 0 ) C ( 2 0 ) )\n"
        "LINKS ( L1 ( A B ) 0 0 0 0 ( 10 5 ) L2 ( B C ) 0 0 0 0 ( 10 5 ) )\n"
        "DEMANDS ( D1 ( A C ) 1 5 UNLIMITED )\n"
        "ADMISSIBLE_PATHS ( D1 ( P1 ( L2 L1 ) ) )\n"
    )
    (p,) = problems_of(text)
    assert p.field == "ADMISSIBLE_PATHS[D1].P1" and "do not form a path" in p.message


def test_missing_and_unknown_sections():
    probs = problems_of(HEADER + "NODES ( A ( 0 0 ) )\nEDGES ( )\n")
    fields = {p.field for p in probs}
    assert {"EDGES", "LINKS", "DEMANDS"} <= fields


def test_model_errors():
    probs = problems_of(
        MODEL_HEADER + "LINK_MODEL = ROUND\nCOLOUR = RED\nno equals sign\n", parser=parse_model
    )
    got = {(p.field, p.line) for p in probs}
    assert ("LINK_MODEL", 2) in got and ("COLOUR", 3) in got and ("", 4) in got
    assert any(p.field == "ROUTING_MODEL" and "missing" in p.message for p in probs)


def test_missing_file_is_a_validation_error(tmp_path):
    with pytest.raises(ValidationError, match="cannot read"):
        read_network(tmp_path / "nope.txt")


def test_solution_round_trip(tmp_path):
    sol = SndlibSolution(
        {"L1": ((63.0, 1.0), (252.0, 2.0)), "L2": ()},
        {
            "NOS": {"D1": ((12.5, ("L1",)), (0.25, ("L2", "L1")))},
            "L1": {"D1": ((12.75, ("L2",)),)},
        },
        name="demo",
    )
    path = write_solution(tmp_path / "sol.txt", sol)
    back = read_solution(path)
    assert back.link_configurations == sol.link_configurations
    assert back.routings == sol.routings
    text = path.read_text()
    assert text.startswith("?SNDlib native format; type: solution; version: 1.0\n")
    assert "ROUTINGS L1 (" in text and "LINK-CONFIGURATIONS (" in text


def test_solution_floats_survive_the_round_trip():
    sol = SndlibSolution({"L1": ((1000.0, 3.0),)}, {"NOS": {"D": ((1 / 3, ("L1",)),)}})
    back = parse_solution(format_solution(sol))
    assert back.routings["NOS"]["D"][0][0] == pytest.approx(1 / 3, rel=1e-11)


def test_solution_errors():
    probs = problems_of(
        "?SNDlib native format; type: solution; version: 1.0\n"
        "LINK-CONFIGURATIONS ( L1 ( 63 ) )\n"
        "ROUTINGS NOS ( D1 ( x ( L1 ) ) )\n",
        parser=parse_solution,
    )
    got = {(p.field, p.line) for p in probs}
    assert ("LINK-CONFIGURATIONS[L1].modules", 2) in got
    assert ("ROUTINGS NOS[D1].flow", 3) in got
