"""The default network's availability against two truths nobody here chose.

1. A Monte Carlo over component states, written here from scratch with networkx: draw every
   link, node and shared-risk group up or down independently, ask networkx whether each
   district still reaches the data centre, count.
2. A simulated year of failures and repairs (:mod:`netplan.availability.simulated_year`):
   the time each district is cut off, measured over many simulated years.

The computed value must lie inside each estimate's 99 % confidence interval; with 40
districts checked at once, each district's interval is widened by Bonferroni's correction
(99 % for all 40 together), and the mean over the districts is checked at 99 % on its own.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy import stats

import netplan
from netplan.availability import availability
from netplan.availability.simulated_year import simulate_downtime
from netplan.model.topology import SrlgRate

PLANE, DC = "extranet", "dc-cloud"


@pytest.fixture(scope="module")
def topology():
    return netplan.load_topology(netplan.default_topology_path())


def _districts(topo):
    return [n.id for n in topo.nodes_of(PLANE) if n.kind == "district"]


def _with_own_rates(topo):
    """Every element with explicit rates, chosen here: links by length, the rest fixed.

    Rates far above the defaults, so that double and triple failures matter and the
    network's structure (not only the end nodes) is what the check sees.
    """
    links = tuple(lk.model_copy(update={"mtbf_h": 200.0 + lk.length_km, "mttr_h": 10.0})
                  for lk in topo.links)
    nodes = tuple(n.model_copy(update={"mtbf_h": 2000.0, "mttr_h": 8.0}) for n in topo.nodes)
    groups = sorted({g for lk in topo.links for g in lk.srlg})
    srlgs = tuple(SrlgRate(group=g, mtbf_h=3000.0, mttr_h=6.0) for g in groups)
    return topo.model_copy(update={"links": links, "nodes": nodes, "srlg_rates": srlgs})


def _monte_carlo(topo, samples: int, seed: int) -> np.ndarray:
    """Share of sampled states in which each district cannot reach the data centre."""
    rng = np.random.default_rng(seed)
    nodes = [n for n in topo.nodes_of(PLANE)]
    links = [lk for lk in topo.links_of(PLANE)]
    groups = sorted({g for lk in links for g in lk.srlg})
    node_q = np.array([n.mttr_h / (n.mtbf_h + n.mttr_h) for n in nodes])
    link_q = np.array([lk.mttr_h / (lk.mtbf_h + lk.mttr_h) for lk in links])
    group_q = {r.group: r.mttr_h / (r.mtbf_h + r.mttr_h) for r in topo.srlg_rates}
    node_down = rng.random((samples, len(nodes))) < node_q
    link_down = rng.random((samples, len(links))) < link_q
    group_down = rng.random((samples, len(groups))) < np.array([group_q[g] for g in groups])
    group_at = {g: i for i, g in enumerate(groups)}
    districts = _districts(topo)
    cut = np.zeros(len(districts))
    for k in range(samples):
        g = nx.Graph()
        g.add_nodes_from(n.id for i, n in enumerate(nodes) if not node_down[k, i])
        for i, lk in enumerate(links):
            if link_down[k, i] or any(group_down[k, group_at[s]] for s in lk.srlg):
                continue
            if g.has_node(lk.a) and g.has_node(lk.b):
                g.add_edge(lk.a, lk.b)
        reach = nx.node_connected_component(g, DC) if g.has_node(DC) else set()
        cut += [d not in reach for d in districts]
    return cut / samples


def test_default_network_against_monte_carlo_over_component_states(topology):
    topo = _with_own_rates(topology)
    computed = availability(topo, destinations={PLANE: [DC]})
    u = np.array([1 - computed.row(d, PLANE, DC)["availability"] for d in _districts(topo)])
    assert max(r["neglected_probability"] for r in computed.rows) < 1e-9
    samples = 20_000
    measured = _monte_carlo(topo, samples, seed=20261205)
    n = len(u)
    z_each = stats.norm.ppf(1 - 0.01 / (2 * n))  # 99 % for all districts together
    half = z_each * np.sqrt(u * (1 - u) / samples)
    outside = np.flatnonzero(np.abs(measured - u) > half)
    assert outside.size == 0, [(_districts(topo)[i], u[i], measured[i]) for i in outside]
    # The mean over districts, at 99 % on its own. The districts' counts are correlated (a
    # core failure cuts many), but the variance of a mean is at most the mean variance.
    pooled_half = stats.norm.ppf(0.995) * np.sqrt(np.mean(u * (1 - u)) / samples)
    assert abs(measured.mean() - u.mean()) <= pooled_half
    # The network beyond the end nodes matters at these rates: the check sees it.
    ends = 2 * 8 / 2008
    assert u.min() > ends * 1.05


def test_default_network_against_a_simulated_year_of_failures(topology):
    districts = _districts(topology)
    computed = availability(topology, destinations={PLANE: [DC]})
    expected = np.array([computed.row(d, PLANE, DC)["downtime_min_per_year"] for d in districts])
    years = 300
    sim = simulate_downtime(topology, PLANE, [(d, DC) for d in districts], years=years,
                            seed=17, confidence=1 - 0.01 / len(districts))
    inside = np.abs(sim.mean - expected) <= sim.half_width
    assert inside.all(), [(d, e, m) for d, e, m, ok in zip(
        districts, expected, sim.mean, inside, strict=True) if not ok]
    pooled = sim.minutes_per_year.mean(axis=1)
    half = stats.t.ppf(0.995, years - 1) * pooled.std(ddof=1) / np.sqrt(years)
    assert abs(pooled.mean() - expected.mean()) <= half
