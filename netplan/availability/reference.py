"""The naive reference: enumerate every state with at most k components down.

For each state it labels the connected parts of the plane (one sparse graph search) and adds
the state's probability to every pair it separates. The states with more than ``k``
components down are left out; their total probability is the bound. This is what the
decomposition of :mod:`netplan.availability.compute` is measured against
(``benchmarks/bench_availability.py``): it is simple and obviously right, and its work
grows as ``C(n, k)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from netplan.availability.model import PlaneModel

__all__ = ["NaiveResult", "naive_unavailability"]


@dataclass(frozen=True)
class NaiveResult:
    """Unavailability of each pair from the states with at most ``max_order`` failures.

    Attributes
    ----------
    unavailability : numpy.ndarray
        Per pair: probability of the enumerated states that separate it (a lower bound).
    neglected : float
        Probability of the states not enumerated (the same for every pair).
    states : int
        States enumerated.
    """

    unavailability: np.ndarray
    neglected: float
    states: int


def naive_unavailability(model: PlaneModel, pairs: Sequence[tuple[str, str]],
                         max_order: int = 2) -> NaiveResult:
    """Enumerate the states with at most ``max_order`` components down.

    Examples
    --------
    >>> from netplan.availability.model import PlaneModel
    >>> m = PlaneModel.from_arrays(["s", "t"], [("a", "s", "t"), ("b", "s", "t")],
    ...                            node_q=[0.0, 0.0], link_q=[0.1, 0.2])
    >>> r = naive_unavailability(m, [("s", "t")], max_order=4)
    >>> round(float(r.unavailability[0]), 12), r.neglected, r.states
    (0.02, 0.0, 16)
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    index = model.node_index
    src = np.array([index[a] for a, _ in pairs], dtype=np.int64)
    dst = np.array([index[b] for _, b in pairs], dtype=np.int64)
    q = np.asarray(model.q, dtype=np.float64)
    n_nodes = len(model.node_ids)
    ends = np.array(model.link_ends, dtype=np.int64).reshape(-1, 2)
    node_comp = np.array(model.node_component, dtype=np.int64)
    # link_needs[c] = links that fail when component c does.
    link_needs = [[] for _ in range(model.n_components)]
    for e, comps in enumerate(model.link_components):
        for c in comps:
            link_needs[c].append(e)
    if (q >= 1).any():
        raise ValueError("the enumeration needs every component up with some probability")
    base = float(np.prod(1.0 - q))
    ratio = q / (1.0 - q)  # a state's probability is base times this of each failed one
    total = np.zeros(len(pairs))
    covered = 0.0
    states = 0
    for order in range(max_order + 1):
        for failed in combinations(range(model.n_components), order):
            probability = base
            for c in failed:
                probability *= ratio[c]
            states += 1
            covered += probability
            alive_link = np.ones(len(ends), dtype=bool)
            alive_node = np.ones(n_nodes, dtype=bool)
            for c in failed:
                alive_link[link_needs[c]] = False
                alive_node[node_comp == c] = False
            use = alive_link & alive_node[ends[:, 0]] & alive_node[ends[:, 1]]
            graph = coo_matrix((np.ones(int(use.sum())), (ends[use, 0], ends[use, 1])),
                               shape=(n_nodes, n_nodes))
            _, labels = connected_components(graph, directed=False)
            separated = ((labels[src] != labels[dst]) | ~alive_node[src] | ~alive_node[dst])
            total[separated] += probability
    return NaiveResult(total, max(0.0, 1.0 - covered), states)
