"""A simulated year of random failures and repairs, to hold the computed availability to.

Every link, node and shared-risk group of a plane is a simpy process that alternates
between up (exponential, mean ``mtbf_h``) and down (exponential, mean ``mttr_h``); it
starts in its steady state (down with probability ``q``), so every moment of the year is
a fair sample. Whenever anything changes, the plane's connected parts are recomputed and
the time each (district, destination) pair spends cut off is added up. Each replication
is one year with its own random stream; the mean downtime over the years and its Student-t
confidence interval are what the decomposition's result must fall into.

Elements are simulated as they are in the topology (a duct and its one link are two
processes), so the check covers the merging of :mod:`netplan.availability.model` too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from netplan.availability.rates import HOURS_PER_YEAR, element_rates
from netplan.model.topology import Topology

__all__ = ["SimulatedDowntime", "simulate_downtime"]


@dataclass(frozen=True)
class SimulatedDowntime:
    """Downtime per pair over simulated years.

    Attributes
    ----------
    pairs : tuple of (str, str)
    minutes_per_year : numpy.ndarray, shape (years, pairs)
        Minutes each pair was cut off in each simulated year.
    confidence : float
    """

    pairs: tuple[tuple[str, str], ...]
    minutes_per_year: np.ndarray
    confidence: float

    @property
    def mean(self) -> np.ndarray:
        """Mean downtime minutes per year of every pair."""
        return self.minutes_per_year.mean(axis=0)

    @property
    def half_width(self) -> np.ndarray:
        """Half-width of the Student-t confidence interval of :attr:`mean`."""
        from scipy import stats

        years = self.minutes_per_year.shape[0]
        if years < 2:
            return np.full(len(self.pairs), np.inf)
        t = stats.t.ppf(0.5 + self.confidence / 2, years - 1)
        return t * self.minutes_per_year.std(axis=0, ddof=1) / np.sqrt(years)


class _Plane:
    """Up/down state of the plane's elements and the pairs' connectivity."""

    def __init__(self, topology: Topology, plane: str, pairs, built: set[str]):
        self.nodes = [n.id for n in topology.nodes_of(plane)]
        index = {node: i for i, node in enumerate(self.nodes)}
        self.links = [lk for lk in topology.links_of(plane, built_only=False)
                      if not lk.candidate or lk.id in built]
        self.ends = [(index[lk.a], index[lk.b]) for lk in self.links]
        self.src = np.array([index[a] for a, _ in pairs])
        self.dst = np.array([index[b] for _, b in pairs])
        self.node_down = np.zeros(len(self.nodes), dtype=bool)
        self.link_down = np.zeros(len(self.links), dtype=bool)
        self.group_down: dict[str, bool] = {g: False for lk in self.links for g in lk.srlg}
        self.groups = list(self.group_down)

    def separated(self) -> np.ndarray:
        """Which pairs are cut off right now (union-find over the working links)."""
        parent = list(range(len(self.nodes)))

        def root(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for e, (a, b) in enumerate(self.ends):
            if self.link_down[e] or self.node_down[a] or self.node_down[b]:
                continue
            if any(self.group_down[g] for g in self.links[e].srlg):
                continue
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[ra] = rb
        labels = np.array([root(v) for v in range(len(self.nodes))])
        return ((labels[self.src] != labels[self.dst]) | self.node_down[self.src]
                | self.node_down[self.dst])


def _year(topology: Topology, plane: str, pairs, built: set[str], rates: dict,
          rng: np.random.Generator) -> np.ndarray:
    """Minutes each pair is cut off in one simulated year."""
    import simpy

    env = simpy.Environment()
    state = _Plane(topology, plane, pairs, built)
    clock = {"last": 0.0, "separated": np.zeros(len(pairs), dtype=bool)}
    downtime_h = np.zeros(len(pairs))

    def changed() -> None:
        downtime_h[:] += clock["separated"] * (env.now - clock["last"])
        clock["last"] = env.now
        clock["separated"] = state.separated()

    def element(rate, set_down):
        # Start in the steady state; exponential times make the residual ones exponential too.
        down = bool(rng.random() < rate.unavailability)
        set_down(down)
        yield env.timeout(0)  # every element has its first state before the year starts
        while True:
            mean = rate.mttr_h if down else rate.mtbf_h
            yield env.timeout(rng.exponential(mean) if np.isfinite(mean) else 2 * HOURS_PER_YEAR)
            down = not down
            set_down(down)
            changed()

    def setter(array, i):
        def set_down(value: bool) -> None:
            array[i] = value
        return set_down

    def group_setter(group):
        def set_down(value: bool) -> None:
            state.group_down[group] = value
        return set_down

    for i, node in enumerate(state.nodes):
        env.process(element(rates["nodes"][node], setter(state.node_down, i)))
    for e, link in enumerate(state.links):
        env.process(element(rates["links"][link.id], setter(state.link_down, e)))
    for group in state.group_down:
        env.process(element(rates["srlgs"][group], group_setter(group)))
    env.run(until=1e-9)  # the first states set
    clock["separated"] = state.separated()
    env.run(until=HOURS_PER_YEAR)
    downtime_h += clock["separated"] * (HOURS_PER_YEAR - clock["last"])
    return downtime_h * 60.0


def simulate_downtime(topology: Topology, plane: str, pairs: Sequence[tuple[str, str]], *,
                      years: int, seed: int = 0, built: Iterable[str] = (),
                      confidence: float = 0.99) -> SimulatedDowntime:
    """Simulate ``years`` independent years of failures and repairs of one plane.

    Parameters
    ----------
    topology : Topology
    plane : str
    pairs : sequence of (str, str)
        (district, destination) node ids.
    years : int
        Replications, one year each.
    seed : int
    built : iterable of str, optional
        Candidate links to count as built.
    confidence : float, optional
        Level of the confidence interval (default 0.99).

    Returns
    -------
    SimulatedDowntime

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> sim = simulate_downtime(topo, "intranet", [("wanzhou", "dc-cloud")], years=3, seed=1)
    >>> sim.minutes_per_year.shape
    (3, 1)
    """
    rates = element_rates(topology)
    built = set(built)
    streams = np.random.SeedSequence(seed).spawn(years)
    rows = [_year(topology, plane, list(pairs), built, rates, np.random.default_rng(s))
            for s in streams]
    return SimulatedDowntime(tuple(tuple(p) for p in pairs), np.array(rows), confidence)
