"""Reading link counters and node totals: formats, octet counters, bad input with file:line."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from netplan.cli import cli
from netplan.errors import ValidationError
from netplan.measured.counters import read_link_counters, read_node_totals
from netplan.measured.routing_matrix import MeasuredNetwork
from netplan.model.plane_graph import PlaneGraph


@pytest.fixture
def net():
    g = PlaneGraph.from_links("p", ["A", "B", "C"], ["ab", "bc"], ["A", "B"], ["B", "C"],
                              capacity_gbps=10.0)
    return MeasuredNetwork("n", {"p": g})


def _write(tmp_path, text, name="c.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(exc):
    return [(p.line, p.field, p.message) for p in exc.value.problems]


def test_hours_directions_duplicates_and_gaps(tmp_path, net):
    path = _write(tmp_path, "link,from,time,gbps,note\n"
                  "ab,A,10,1.5,x\n"
                  "ab,B,10,0.25,\n"
                  "# a comment line\n"
                  "\n"
                  "ab,A,9,1.0,\n"
                  "ab,A,10,1.5,again\n"
                  "bc,C,9,2.0,\n")
    c = read_link_counters(path, net)
    assert c.slots == ("9", "10") and c.slot_hours == (9, 10)
    gbps, seen = c.arrays("p", 4)  # arcs: A>B, B>A, B>C, C>B
    assert gbps.tolist() == [[1.0, 0.0, 0.0, 2.0], [1.5, 0.25, 0.0, 0.0]]
    assert seen.sum() == 4
    assert c.stats["duplicates"] == 1
    assert c.stats["gaps"] == 3 * 2 - 4  # three arcs measured at some time, two slots


def test_timestamps_sort_by_time_not_text(tmp_path, net):
    path = _write(tmp_path, "link,from,time,gbps\n"
                  "ab,A,2026-03-02T10:00:00+08:00,2\n"
                  "ab,A,2026-03-02T09:00:00+08:00,1\n"
                  "ab,A,2026-03-02T01:30:00Z,3\n")
    c = read_link_counters(path, net)
    # 01:30Z is 09:30 at +08:00: between the two others
    assert [c.arrays("p", 4)[0][t, 0] for t in range(3)] == [1.0, 3.0, 2.0]
    assert c.slot_hours == (9, 1, 10)


def test_octet_counters_give_rates_with_wraps_and_resets(tmp_path):
    g = PlaneGraph.from_links("p", ["A", "B", "C"], ["ab", "bc"], ["A", "B"], ["B", "C"],
                              capacity_gbps=[10.0, 0.2])
    net = MeasuredNetwork("n", {"p": g})
    top = 2**32
    # 300 s intervals. ab, a 32-bit counter: +37.5e6 octets = 1 Mbit/s, then a wrap of
    # +75e6 octets = 2 Mbit/s. bc, a 64-bit counter (it reads above 2^32): 0.1 Mbit/s, a
    # drop (a reset: the interval is a gap), then 0.05 Mbit/s.
    ab = [top - 100e6, top - 62.5e6, 12.5e6]
    bc = [5e9, 5e9 + 3.75e6, 1e6, 1e6 + 1.875e6]
    rows = "".join(f"ab,A,2026-03-02T10:{5 * k:02d}:00,{int(v)}\n" for k, v in enumerate(ab))
    rows += "".join(f"bc,B,2026-03-02T10:{5 * k:02d}:00,{int(v)}\n" for k, v in enumerate(bc))
    c = read_link_counters(_write(tmp_path, "link,from,time,octets\n" + rows), net)
    gbps, seen = c.arrays("p", 4)  # arcs A>B, B>A, B>C, C>B
    assert len(c.slots) == 3 and c.slots[0].endswith("10:00:00")
    assert seen[:, 0].tolist() == [True, True, False]
    assert seen[:, 2].tolist() == [True, False, True]
    assert gbps[:2, 0] == pytest.approx([1e-3, 2e-3])
    assert gbps[[0, 2], 2] == pytest.approx([1e-4, 5e-5])
    assert (c.stats["wraps"], c.stats["resets"]) == (1, 1)


def test_every_problem_is_named_with_its_line(tmp_path, net):
    path = _write(tmp_path, "link,from,time,gbps\n"
                  "ab,A,10,1\n"
                  "zz,A,10,1\n"
                  "ab,C,10,1\n"
                  "ab,B,24,1\n"
                  "bc,B,10,-1\n"
                  "bc,B,10,nan\n"
                  "ab,A,10,2\n"
                  "ab,B\n")
    with pytest.raises(ValidationError) as exc:
        read_link_counters(path, net)
    found = _problems(exc)
    assert (3, "link", "unknown link 'zz'") in found
    assert (4, "from", "traffic enters link 'ab' at 'A' or 'B', not 'C'") in found
    assert any(line == 5 and fld == "time" for line, fld, _ in found)
    assert any(line == 6 and fld == "gbps" for line, fld, _ in found)
    assert any(line == 7 and fld == "gbps" for line, fld, _ in found)
    assert any(line == 8 and "line 2" in msg for line, _, msg in found)
    assert any(line == 9 and "expected 4 cells" in msg for line, _, msg in found)
    assert all(p.file == str(path) for p in exc.value.problems)


def test_missing_columns_and_mixed_times(tmp_path, net):
    with pytest.raises(ValidationError) as exc:
        read_link_counters(_write(tmp_path, "link,time,gbps\nab,1,1\n"), net)
    assert _problems(exc)[0][0] == 1 and "from" in _problems(exc)[0][2]
    with pytest.raises(ValidationError) as exc:
        read_link_counters(_write(tmp_path, "link,from,time,gbps\nab,A,1,1\n"
                                  "ab,A,2026-01-01T00:00,1\n"), net)
    assert "mixes kinds of time" in str(exc.value)


def test_node_totals_by_plane(tmp_path):
    g1 = PlaneGraph.from_links("x", ["A", "B"], ["ab"], ["A"], ["B"], 1.0)
    g2 = PlaneGraph.from_links("y", ["A", "B"], ["ab2"], ["A"], ["B"], 1.0)
    net = MeasuredNetwork("n", {"x": g1, "y": g2})
    path = _write(tmp_path, "node,plane,time,in_gbps,out_gbps\nA,y,3,1.5,0.5\n", "n.csv")
    totals = read_node_totals(path, net, ("3",))
    into, out, seen = totals.arrays("y", 1, 2)
    assert into.tolist() == [[1.5, 0.0]] and out.tolist() == [[0.5, 0.0]]
    assert "x" not in totals.totals
    path = _write(tmp_path, "node,plane,time,in_gbps,out_gbps\nA,,3,1,1\nQ,y,3,1,1\nB,y,4,1,1\n",
                  "n.csv")
    with pytest.raises(ValidationError) as exc:
        read_node_totals(path, net, ("3",))
    found = _problems(exc)
    assert (2, "plane", "node 'A' is in planes x, y: add a plane column") in found
    assert (3, "node", "unknown node 'Q' in plane 'y'") in found
    assert (4, "time", "time '4' has no link counters") in found


def test_deduce_refuses_bad_counters_with_exit_2_and_file_line():
    result = CliRunner().invoke(cli, ["deduce", "topologies/chongqing.yaml",
                                      "tests/data/measured/bad-counters.csv", "-o",
                                      "out/never-written"])
    assert result.exit_code == 2
    assert "bad-counters.csv:3: link: unknown link 'ex-wanzhou-9'" in result.output
    assert "bad-counters.csv:4:" in result.output and "line 2" in result.output


def test_counter_arrays_of_an_unmeasured_plane_are_empty(net):
    from netplan.measured.counters import LinkCounters

    c = LinkCounters("f", ("",), (None,), {})
    gbps, seen = c.arrays("p", 4)
    assert not seen.any() and np.all(gbps == 0)
