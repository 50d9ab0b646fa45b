"""Failure states: which links and nodes are down together, by policy.

A policy names a family of states (every single link, every node, every shared-risk group,
every pair of links); :func:`failure_states` enumerates them for one plane, the no-failure
state first. The sweep (:mod:`netplan.analysis.failures`) evaluates them all at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from netplan.errors import Problem, ValidationError
from netplan.model.plane_graph import PlaneGraph

__all__ = ["FailureState", "POLICIES", "check_states", "failure_states"]

POLICIES = ("none", "n-1", "n-1-nodes", "srlg", "n-2")
"""Failure policies understood by :func:`failure_states`."""

@dataclass(frozen=True)
class FailureState:
    """One combination of failed links and nodes.

    Attributes
    ----------
    name : str
        ``"none"``, ``"link:<id>"``, ``"node:<id>"``, ``"srlg:<group>"`` or
        ``"links:<id>+<id>"``.
    kind : str
        ``"none"``, ``"link"``, ``"node"``, ``"srlg"`` or ``"link-pair"``.
    links, nodes : tuple of int
        Failed link and node indices.
    """

    name: str
    kind: str
    links: tuple[int, ...] = ()
    nodes: tuple[int, ...] = ()


def failure_states(graph: PlaneGraph, policy: str | Sequence[str]) -> tuple[FailureState, ...]:
    """Enumerate failure states; the no-failure state always comes first.

    Parameters
    ----------
    graph : PlaneGraph
    policy : str or sequence of str
        One of :data:`POLICIES`, or several to combine: ``"none"``, ``"n-1"`` (every single
        link), ``"n-1-nodes"`` (every single node), ``"srlg"`` (every shared-risk group),
        ``"n-2"`` (every pair of links). A state reached twice (an SRLG holding one link,
        say) is kept once, under its first name.

    Returns
    -------
    tuple of FailureState

    Examples
    --------
    >>> from netplan.model.plane_graph import PlaneGraph
    >>> g = PlaneGraph.from_links("t", list("ABC"), ["ab", "bc", "ca"], list("ABC"),
    ...                           list("BCA"), 1.0, srlgs=[["duct1"], ["duct1"], []])
    >>> [s.name for s in failure_states(g, ["n-1", "srlg"])]
    ['none', 'link:ab', 'link:bc', 'link:ca', 'srlg:duct1']
    >>> len(failure_states(g, "n-2"))
    4
    """
    policies = [policy] if isinstance(policy, str) else list(policy)
    bad = [p for p in policies if p not in POLICIES]
    if bad:
        raise ValidationError(
            [
                Problem(
                    graph.source,
                    "failure_policy",
                    f"unknown policy {p!r}; choose from {', '.join(POLICIES)}",
                )
                for p in bad
            ]
        )
    out = [FailureState("none", "none")]
    seen = {((), ())}

    def add(state: FailureState) -> None:
        key = (tuple(sorted(set(state.links))), tuple(sorted(set(state.nodes))))
        if key not in seen:
            seen.add(key)
            out.append(FailureState(state.name, state.kind, key[0], key[1]))

    lid, nid = graph.link_ids, graph.node_ids
    for p in policies:
        if p == "n-1":
            for i in range(graph.n_links):
                add(FailureState(f"link:{lid[i]}", "link", (i,)))
        elif p == "n-1-nodes":
            for i in range(graph.n_nodes):
                add(FailureState(f"node:{nid[i]}", "node", (), (i,)))
        elif p == "srlg":
            for group, links in graph.srlg_links.items():
                add(FailureState(f"srlg:{group}", "srlg", links))
        elif p == "n-2":
            for i, j in combinations(range(graph.n_links), 2):
                add(FailureState(f"links:{lid[i]}+{lid[j]}", "link-pair", (i, j)))
    return tuple(out)


def check_states(graph: PlaneGraph, states: Sequence[FailureState]) -> None:
    """Raise :class:`ValidationError` for states that are not states of ``graph``."""
    problems = []
    for i, s in enumerate(states):
        if not isinstance(s, FailureState):
            problems.append(Problem(graph.source, f"states[{i}]", "is not a FailureState"))
            continue
        if any(not 0 <= x < graph.n_links for x in s.links):
            problems.append(Problem(graph.source, f"states[{i}].links", "link index out of range"))
        if any(not 0 <= x < graph.n_nodes for x in s.nodes):
            problems.append(Problem(graph.source, f"states[{i}].nodes", "node index out of range"))
    if problems:
        raise ValidationError(problems)
