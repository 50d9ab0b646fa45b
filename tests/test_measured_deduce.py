"""Demand deduction against closed forms and against matrices nobody here chose.

Truths: the Repetita Abilene matrix (synthetic, product form) and four hourly matrices of the
Abilene backbone measured on 2004-04-03 (SNDlib). Link loads are computed from the truth under
ECMP, deduced back, and compared with the truth and with the gravity estimate from the same
node totals.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from click.testing import CliRunner

from netplan.cli import cli
from netplan.io.repetita import read_repetita_demands
from netplan.measured.counters import LinkCounters, NodeTotals
from netplan.measured.deduce import deduce, determinacy, gravity, relative_l2
from netplan.measured.routing_matrix import MeasuredNetwork, load_network, routing_matrix
from netplan.measured.solvers import fit_least_squares, fit_min_divergence, fit_per_slot
from netplan.model.plane_graph import PlaneGraph

DATA = Path("tests/data")
SNDLIB_NS = "{http://sndlib.zib.de/network}"


def _counters(plane, loads, seen=None):
    seen = np.ones_like(loads, bool) if seen is None else seen
    slot, arc = np.nonzero(seen)
    n = loads.shape[0]
    return LinkCounters("c.csv", tuple(str(t) for t in range(n)), (None,) * n,
                        {plane: (slot, arc, loads[slot, arc])})


def _totals(plane, routing, truth):
    originates, terminates = routing.node_rows()
    into, out = (originates @ truth.T).T, (terminates @ truth.T).T
    slot, node = np.nonzero(np.ones_like(into, bool))
    return NodeTotals("n.csv", {plane: (slot, node, into[slot, node], out[slot, node])}), into, out


def _repetita():
    net = load_network(DATA / "repetita" / "Abilene.graph")
    graph = net.planes["Abilene"]
    routing = routing_matrix(graph)
    src, dst, bw = read_repetita_demands(DATA / "repetita" / "Abilene.0000.demands", graph)
    column = {od: j for j, od in enumerate(zip(routing.od_src.tolist(), routing.od_dst.tolist(),
                                                           strict=True))}
    truth = np.zeros(routing.n_od)
    for s, d, v in zip(src.tolist(), dst.tolist(), bw, strict=True):
        truth[column[(s, d)]] += v
    return net, routing, truth[None]


def _abilene_measured():
    net = load_network(DATA / "sndlib" / "abilene" / "abilene.txt")
    routing = routing_matrix(net.planes["abilene"])
    column = {od: j for j, od in enumerate(routing.od_labels())}
    files = sorted((DATA / "measured" / "abilene-2004-04-03").glob("*.xml"))
    truth = np.zeros((len(files), routing.n_od))
    for t, path in enumerate(files):
        for item in ET.parse(path).getroot().iter(SNDLIB_NS + "demand"):
            src, dst = item.find(SNDLIB_NS + "source").text, item.find(SNDLIB_NS + "target").text
            if src != dst:  # Mbit/s in the file
                truth[t, column[(src, dst)]] += float(item.find(SNDLIB_NS + "demandValue").text) / 1e3
    return net, routing, truth


def _max_rel(fitted, measured):
    big = measured > 1e-3 * measured.max()
    return float(np.max(np.abs(fitted[big] - measured[big]) / measured[big]))


# ---------------------------------------------------------------- closed forms
def test_gravity_shares_each_origin_by_what_the_others_terminate():
    into = np.array([[6.0, 0.0, 3.0]])
    out = np.array([[1.0, 2.0, 6.0]])
    src = np.array([0, 0, 1, 1, 2, 2])
    dst = np.array([1, 2, 0, 2, 0, 1])
    g = gravity(into, out, src, dst)[0]
    # node 0 sends 6: to 1 and 2 in the ratio 2:6; node 2 sends 3: to 0 and 1 as 1:2
    assert g.tolist() == pytest.approx([1.5, 4.5, 0.0, 0.0, 1.0, 2.0])


def test_determinacy_of_sums_and_singletons():
    rows = sp.csr_matrix(np.array([[1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]))
    rank, lev = determinacy(rows)
    assert rank == 2
    assert lev == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1.0])


def test_a_triangle_with_unit_weights_is_fully_determined():
    g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc", "ca"], list("ABC"), list("BCA"), 10.0)
    net = MeasuredNetwork("tri", {"t": g})
    routing = routing_matrix(g)
    truth = np.array([[1.0, 7.0, 2.0, 0.5, 3.0, 4.0]])
    loads = (routing.matrix @ truth.T).T
    d = deduce(net, _counters("t", loads), rel_error=1e-7)
    pd = d.planes["t"]
    assert pd.rank == 6 and pd.leverage == pytest.approx(np.ones(6))
    assert pd.gbps == pytest.approx(truth, rel=1e-5)
    assert not any(row["estimate"] for row in d.demand_rows())


def test_batched_fit_equals_the_per_slot_reference_and_least_squares_on_fixed_ods():
    rng = np.random.default_rng(7)
    a = sp.csr_matrix((rng.random((6, 15)) < 0.4).astype(float))
    truth = rng.random((5, 15)) * 3
    y = (a @ truth.T).T
    seen = rng.random(y.shape) > 0.2
    prior = np.full_like(truth, truth.mean())
    batched = fit_min_divergence(a, y, seen, prior, rel_error=1e-6)
    looped = fit_per_slot(a, y, seen, prior, rel_error=1e-6)
    assert batched.converged
    assert batched.gbps == pytest.approx(looped.gbps, rel=1e-5, abs=1e-8)
    fitted = (a @ batched.gbps.T).T
    assert fitted[seen] == pytest.approx(y[seen], rel=1e-4)
    # where one counter sees one od alone, every fit must give that od the counter's value
    lsq = fit_least_squares(a, y, seen, prior, rel_error=1e-6)
    alone = [(t, int(a[r].indices[0])) for t in range(5) for r in range(6)
             if seen[t, r] and a[r].nnz == 1]
    for t, j in alone:
        assert batched.gbps[t, j] == pytest.approx(truth[t, j], rel=1e-4)
        assert lsq.gbps[t, j] == pytest.approx(truth[t, j], rel=1e-3)


# ---------------------------------------------------------------- Repetita
def test_repetita_with_node_totals_reproduces_loads_and_beats_gravity():
    net, routing, truth = _repetita()
    loads = (routing.matrix @ truth.T).T
    totals, into, out = _totals("Abilene", routing, truth)
    pd = deduce(net, _counters("Abilene", loads), totals).planes["Abilene"]
    assert _max_rel(pd.fitted_gbps, loads) < 0.01
    gravity_error = relative_l2(gravity(into, out, routing.od_src, routing.od_dst), truth)
    assert 0.04 < gravity_error < 0.08  # Repetita's matrix is close to gravity
    # it is of product form, which the minimum-divergence fit to node totals recovers
    assert relative_l2(pd.gbps, truth) < gravity_error / 10
    assert pd.rank < routing.n_od  # 38 of 110: under-determined all the same


def test_repetita_without_node_totals_and_with_missing_counters():
    net, routing, truth = _repetita()
    loads = (routing.matrix @ truth.T).T
    seen = np.ones_like(loads, bool)
    seen[0, [0, 5, 11]] = False
    pd = deduce(net, _counters("Abilene", loads, seen)).planes["Abilene"]
    assert _max_rel(pd.fitted_gbps[seen], loads[seen]) < 0.01
    # the fit improves on the gravity built from the counters alone (its prior)
    assert relative_l2(pd.gbps, truth) < 0.9 * relative_l2(pd.prior, truth)
    assert pd.summary()["arcs_measured"] == routing.graph.n_arcs - 3


def test_cli_deduce_on_the_shipped_repetita_counters(tmp_path):
    net, routing, truth = _repetita()
    out = tmp_path / "ded"
    result = CliRunner().invoke(cli, [
        "deduce", str(DATA / "repetita" / "Abilene.graph"),
        str(DATA / "measured" / "abilene-counters.csv"),
        "--node-totals", str(DATA / "measured" / "abilene-nodes.csv"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    plane = summary["planes"]["Abilene"]
    assert plane["ods"] == 110 and plane["rank"] == 38 and plane["degrees_of_freedom"] == 72
    assert plane["link_fit"]["max_relative_error"] < 0.01
    with open(out / "demands.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) == {"plane", "src", "dst", "time", "gbps", "determinacy", "estimate"}
    ids = routing.graph.node_ids
    column = {(ids[s], ids[d]): j for j, (s, d) in
              enumerate(zip(routing.od_src, routing.od_dst, strict=True))}
    deduced = np.zeros(routing.n_od)
    for row in rows:
        deduced[column[(row["src"], row["dst"])]] = float(row["gbps"])
    assert relative_l2(deduced, truth[0]) < 0.01
    # the shipped counters are the Repetita matrix's loads (tests/data/measured/PROVENANCE.md)
    with open(out / "fit.csv", newline="") as f:
        fit = list(csv.DictReader(f))
    measured = np.array([float(r["measured_gbps"]) for r in fit])
    assert measured == pytest.approx((routing.matrix @ truth[0]), rel=1e-7)


# ---------------------------------------------------------------- measured matrices
def test_measured_abilene_hours_deduced_well_below_gravity():
    net, routing, truth = _abilene_measured()
    loads = (routing.matrix @ truth.T).T
    totals, into, out = _totals("abilene", routing, truth)
    pd = deduce(net, _counters("abilene", loads), totals).planes["abilene"]
    assert _max_rel(pd.fitted_gbps, loads) < 0.01
    grav = gravity(into, out, routing.od_src, routing.od_dst)
    for t in range(truth.shape[0]):
        assert relative_l2(pd.gbps[t], truth[t]) < 0.5 * relative_l2(grav[t], truth[t])
    assert pd.rank == 40 and routing.n_od == 132
