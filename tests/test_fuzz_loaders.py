"""Fuzzing the loaders: any input either loads or raises a NetplanError, quickly.

Random bytes, random YAML-shaped documents and mutations of the small valid network are fed to
every reader and model builder. Anything other than success or a
:class:`netplan.errors.NetplanError` (a bare ``KeyError``, ``TypeError``, a recursion error, a
hang) fails the test. A SIGALRM guard turns a hang into a failure; it is a safety net, not a
timing assertion.
"""

from __future__ import annotations

import copy
import os
import signal
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netplan
from netplan.batch.spec import load_batch
from netplan.cli.file_kinds import validate_file
from netplan.errors import NetplanError, ValidationError
from netplan.io.repetita import read_repetita_demands, read_repetita_graph
from netplan.io.scenario_io import build_scenario, load_scenario
from netplan.io.sndlib import read_model, read_network
from netplan.io.topology_io import build_topology, load_topology
from netplan.io.topologyzoo import read_topology_zoo
from netplan.io.yamlfile import MAX_EXPANDED_NODES, MAX_FILE_BYTES, load_yaml
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology
from tests.conftest import SMALL, read_small_scenario, read_small_topology

HANG_GUARD_S = 30
FUZZ = settings(max_examples=int(os.environ.get("NETPLAN_FUZZ_EXAMPLES", "40")), deadline=None,
                derandomize=os.environ.get("NETPLAN_FUZZ_EXAMPLES") is None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
WORK = Path(tempfile.mkdtemp(prefix="netplan-fuzz-"))
SMALL_TOPOLOGY = load_topology(SMALL / "topology.yaml")
TINY_GRAPH = WORK / "tiny.graph"
TINY_GRAPH.write_text("NODES 2\nlabel x y\nA 0 0\nB 1 0\n\nEDGES 2\n"
                      "label src dest weight bw delay\ne0 0 1 1 1000 1\ne1 1 0 1 1000 1\n")


class Hang(Exception):
    pass


@contextmanager
def hang_guard(seconds: int = HANG_GUARD_S):
    def alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def loads_or_refuses(call: Callable[[], object]) -> object | NetplanError:
    """Run ``call``; return its result or the NetplanError it raised; anything else fails."""
    with hang_guard():
        try:
            return call()
        except NetplanError as exc:
            assert str(exc).strip(), "a NetplanError without a message"
            return exc


def _write(data: bytes, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(suffix=suffix, dir=WORK)
    with open(fd, "wb") as fh:
        fh.write(data)
    return Path(name)


def _copy_links_csv() -> None:
    # Mutated topologies are written next to a copy of links.csv, so "links: links.csv" works.
    (WORK / "links.csv").write_bytes((SMALL / "links.csv").read_bytes())


_copy_links_csv()

BYTE_READERS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "load_topology": (".yaml", load_topology),
    "load_scenario": (".yaml", lambda p: load_scenario(p, SMALL_TOPOLOGY)),
    "validate_file_yaml": (".yaml", validate_file),
    "validate_file_graphml": (".graphml", validate_file),
    "repetita_graph": (".graph", read_repetita_graph),
    "repetita_demands": (".demands",
                         lambda p: read_repetita_demands(p, read_repetita_graph(TINY_GRAPH))),
    "topology_zoo": (".graphml", read_topology_zoo),
    "sndlib_network": (".txt", read_network),
    "sndlib_model": (".txt", read_model),
    "load_batch": (".yaml", load_batch),
}


@pytest.mark.parametrize("reader", sorted(BYTE_READERS))
@FUZZ
@given(data=st.binary(max_size=600))
def test_random_bytes(reader, data):
    suffix, read = BYTE_READERS[reader]
    loads_or_refuses(lambda: read(_write(data, suffix)))


# Text that looks like each format: its keywords mixed with numbers, brackets and junk.
_TOKENS = {
    ".graph": ["NODES", "EDGES", "label", "x", "y", "src", "dest", "2", "1", "0", "-1", "nan",
               "1e9", "A", "\n", " ", "\n\n", "³"],
    ".demands": ["DEMANDS", "label", "src", "dest", "bw", "1", "0", "5", "-3", "inf", "\n", " "],
    ".txt": ["?SNDlib native format; type: network; version: 1.0\n", "NODES", "LINKS",
             "DEMANDS", "ADMISSIBLE_PATHS", "(", ")", "A", "B", "1", "0", "-2", "UNLIMITED", "\n",
             " ", "DEMAND_MODEL", "=", "UNDIRECTED", "#"],
    ".graphml": ['<graphml xmlns="http://graphml.graphdrawing.org/xmlns">', "</graphml>",
                 '<graph edgedefault="undirected">', "</graph>", '<node id="a"/>',
                 '<node id="b">', "</node>", '<edge source="a" target="b"/>', '<edge source="a"/>',
                 '<key id="d0" for="node" attr.name="Latitude" attr.type="double"/>',
                 '<data key="d0">', "</data>", "12.5", "abc", "&amp;"],
}
TOKEN_READERS = {
    ".graph": read_repetita_graph,
    ".demands": lambda p: read_repetita_demands(p, read_repetita_graph(TINY_GRAPH)),
    ".txt": read_network,
    ".graphml": read_topology_zoo,
}


@pytest.mark.parametrize("suffix", sorted(TOKEN_READERS))
@FUZZ
@given(data=st.data())
def test_format_shaped_text(suffix, data):
    tokens = data.draw(st.lists(st.sampled_from(_TOKENS[suffix]), max_size=60))
    path = _write(" ".join(tokens).encode(), suffix)
    loads_or_refuses(lambda: TOKEN_READERS[suffix](path))
    if suffix == ".graphml":
        loads_or_refuses(lambda: validate_file(path))


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["topology", "scenario", "batch", "core", "district", "extranet",
                     "intranet", "10G", "links.csv", "../links.csv", "d1", "core-1", "n-1"]),
)
_KEYS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["kind", "name", "nodes", "links", "tiers", "data_centres", "services",
                     "profiles", "topology", "extends", "id", "a", "b", "plane", "tier", "lat",
                     "lon", "scenario", "grid", "monte_carlo", "stage", "horizon_years"]),
)
_DOCS = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)), max_leaves=25)


@FUZZ
@given(doc=_DOCS, kind=st.sampled_from(["topology", "scenario", "batch", None]))
def test_random_yaml_documents(doc, kind):
    if kind is not None and isinstance(doc, dict):
        doc = {"kind": kind, **doc}
    text = yaml.safe_dump(doc, allow_unicode=True)
    path = _write(text.encode("utf-8"), ".yaml")
    loads_or_refuses(lambda: validate_file(path))
    loads_or_refuses(lambda: load_topology(path))
    loads_or_refuses(lambda: load_scenario(path, SMALL_TOPOLOGY))
    loads_or_refuses(lambda: load_batch(path))
    if isinstance(doc, dict):
        loads_or_refuses(lambda: build_topology(doc))
        loads_or_refuses(lambda: build_scenario(doc, SMALL_TOPOLOGY))


# --- mutations of the small valid network ------------------------------------------------

def _paths(value, prefix=()):
    """Every (container path, key) in a nested document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield (*prefix, i)
            yield from _paths(item, (*prefix, i))


def _get(doc, path):
    for part in path:
        doc = doc[part]
    return doc


@st.composite
def mutated(draw, base: dict):
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = list(_paths(doc))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _get(doc, path[:-1])
        op = draw(st.sampled_from(["delete", "retype", "swap_ids", "duplicate"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "retype":
            parent[path[-1]] = draw(_SCALARS | st.lists(_SCALARS, max_size=3)
                                    | st.dictionaries(_KEYS, _SCALARS, max_size=2))
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        elif op == "swap_ids":
            items = [x for x in (doc.get("nodes") or doc.get("services") or [])
                     if isinstance(x, dict) and "id" in x]
            if len(items) >= 2:
                i, j = draw(st.permutations(range(len(items))))[:2]
                items[i]["id"], items[j]["id"] = items[j]["id"], items[i]["id"]
    return doc


SMALL_TOPOLOGY_DATA = read_small_topology()
SMALL_SCENARIO_DATA = read_small_scenario() | {"topology": str(SMALL / "topology.yaml")}


@FUZZ
@given(doc=mutated(SMALL_TOPOLOGY_DATA))
def test_mutated_topologies(doc):
    built = loads_or_refuses(lambda: build_topology(doc))
    assert isinstance(built, Topology | ValidationError)
    path = _write(yaml.safe_dump(doc, allow_unicode=True).encode(), ".yaml")
    loaded = loads_or_refuses(lambda: load_topology(path))
    # The file and the dict are the same document: both load, or both are refused.
    assert isinstance(loaded, Topology) == isinstance(built, Topology)


@FUZZ
@given(doc=mutated(SMALL_SCENARIO_DATA))
def test_mutated_scenarios(doc):
    built = loads_or_refuses(lambda: build_scenario(doc, SMALL_TOPOLOGY))
    assert isinstance(built, Scenario | ValidationError)
    path = _write(yaml.safe_dump(doc, allow_unicode=True).encode(), ".yaml")
    loads_or_refuses(lambda: validate_file(path))


# --- inputs that would blow up in size: refused with a message --------------------------

def _refused(call, fragment: str) -> None:
    result = loads_or_refuses(call)
    assert isinstance(result, NetplanError), f"accepted: {result!r}"
    assert fragment in str(result)


def test_alias_bomb_is_refused():
    levels = "".join(f"l{i + 1}: &l{i + 1} [" + ", ".join([f"*l{i}"] * 10) + "]\n"
                     for i in range(9))
    path = _write(("kind: topology\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n" + levels).encode(),
                  ".yaml")
    _refused(lambda: load_yaml(path), f"document expands to more than {MAX_EXPANDED_NODES}")


def test_wide_alias_fanout_is_refused():
    # Few levels but a wide fan-out: 3000 references to a 1000-item list.
    text = "base: &b [" + ", ".join(["1"] * 1000) + "]\nmany: [" + ", ".join(["*b"] * 3000) + "]\n"
    _refused(lambda: load_yaml(_write(text.encode(), ".yaml")), "document expands to more than")


@pytest.mark.parametrize("text", [
    "nodes: " + "[" * 50_000 + "]" * 50_000,
    "nodes: " + "{a: " * 20_000 + "1" + "}" * 20_000,
    "nodes:\n" + "".join(" " * i + "- \n" for i in range(1, 5000)),
    "".join(" " * i + f"k{i}:\n" for i in range(5000)) + " " * 5000 + "v\n",
], ids=["flow-lists", "flow-maps", "block-lists", "block-maps"])
def test_deep_nesting_is_refused(text):
    _refused(lambda: load_topology(_write(text.encode(), ".yaml")), "nesting")


def test_huge_file_is_refused_before_reading():
    path = WORK / "huge.yaml"
    with open(path, "wb") as fh:  # sparse: costs no disk space
        fh.truncate(MAX_FILE_BYTES + 1)
    _refused(lambda: load_topology(path), f"the limit is {MAX_FILE_BYTES} bytes")
    path.unlink()


@pytest.mark.parametrize("header", ["NODES 1000000000", "NODES 99999999999999999999999"])
def test_repetita_header_declaring_a_billion_nodes(header):
    path = _write(f"{header}\nlabel x y\nA 0 0\n\nEDGES 0\nlabel src dest weight bw delay\n"
                  .encode(), ".graph")
    _refused(lambda: read_repetita_graph(path), "header announces")


def test_repetita_edges_header_declaring_a_billion_edges():
    path = _write(b"NODES 2\nlabel x y\nA 0 0\nB 1 0\n\nEDGES 1000000000\n"
                  b"label src dest weight bw delay\ne0 0 1 1 10 1\n", ".graph")
    _refused(lambda: read_repetita_graph(path), "header announces 1000000000 rows, found 1")


def test_batch_grid_explosion_is_refused():
    ten = "[" + ", ".join(str(i) for i in range(10)) + "]"
    grid = ", ".join(f"scale.{s}: {ten}" for s in ("oa", "web", "secure"))
    grid += f", horizon_years: {ten}"
    grid += f", growth_per_year.oa: {ten}, growth_per_year.web: {ten}"
    text = (f"kind: batch\nname: big\nscenario: {SMALL / 'scenario.yaml'}\nstage: demand\n"
            f"grid: {{{grid}}}\n")
    _refused(lambda: load_batch(_write(text.encode(), ".yaml")), "variants; at most")


def test_sndlib_unclosed_parentheses_are_refused():
    text = "?SNDlib native format; type: network; version: 1.0\nNODES (\n" + "A ( " * 20_000
    _refused(lambda: read_network(_write(text.encode(), ".txt")), "never closed")


def test_default_network_still_loads():
    """The fuzz harness itself accepts valid input (a guard against a test that always refuses)."""
    assert isinstance(loads_or_refuses(lambda: load_topology(netplan.default_topology_path())),
                      Topology)
