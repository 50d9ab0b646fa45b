"""One plane as independent components: what fails together, and how often.

A plane's links, nodes and shared-risk groups become *components*, each up or down
independently with its steady-state unavailability ``q``. A link works when its own
component and those of all its groups are up; a node when its component is up.

Two exact simplifications keep the component count small: a group that holds only one of
the plane's links is merged into that link (the link fails when either fails, so
``q = 1 - (1 - q_link)(1 - q_group)``), and groups holding the same set of links are merged
into one. The merged component keeps the names of what it stands for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from netplan.availability.rates import Rate, RateTable, element_rates
from netplan.errors import Problem, ValidationError
from netplan.model.topology import Topology

__all__ = ["PlaneModel", "plane_model"]


@dataclass(frozen=True, eq=False)
class PlaneModel:
    """The components of one plane and how links and nodes depend on them.

    Attributes
    ----------
    plane : str
    node_ids, link_ids : tuple of str
    link_ends : tuple of (int, int)
        End node indices of every link.
    components : tuple of str
        ``node:<id>``, ``link:<id>`` or ``srlg:<group>`` (merged ones keep the first name).
    members : tuple of tuple of str
        The elements each component stands for (``link:l1``, ``srlg:duct-1`` …).
    q : numpy.ndarray
        Unavailability of every component.
    node_component : tuple of int
        Component of every node.
    link_components : tuple of tuple of int
        Components every link needs up (its own first).

    Examples
    --------
    >>> m = PlaneModel.from_arrays(["s", "t"], [("l1", "s", "t"), ("l2", "s", "t")],
    ...                            node_q=[0.0, 0.0], link_q=[0.1, 0.2],
    ...                            srlgs={"duct": (["l1", "l2"], 0.01)})
    >>> m.components, m.link_components
    (('node:s', 'node:t', 'link:l1', 'link:l2', 'srlg:duct'), ((2, 4), (3, 4)))
    """

    plane: str
    node_ids: tuple[str, ...]
    link_ids: tuple[str, ...]
    link_ends: tuple[tuple[int, int], ...]
    components: tuple[str, ...]
    members: tuple[tuple[str, ...], ...]
    q: np.ndarray
    node_component: tuple[int, ...]
    link_components: tuple[tuple[int, ...], ...]

    @property
    def n_components(self) -> int:
        """Number of independent components."""
        return len(self.components)

    @property
    def node_index(self) -> dict[str, int]:
        """Node id → index."""
        return {node: i for i, node in enumerate(self.node_ids)}

    @classmethod
    def from_arrays(cls, node_ids: Sequence[str], links: Sequence[tuple[str, str, str]], *,
                    node_q: Sequence[float], link_q: Sequence[float],
                    srlgs: dict[str, tuple[Sequence[str], float]] | None = None,
                    plane: str = "plane") -> PlaneModel:
        """A model from plain unavailabilities: nodes, ``(id, a, b)`` links and groups.

        ``srlgs`` maps a group name to ``(link ids, q)``. Groups are merged as described in
        the module docstring.
        """
        index = {node: i for i, node in enumerate(node_ids)}
        missing = sorted({end for _, a, b in links for end in (a, b)} - set(index))
        if missing:
            raise ValidationError([Problem("", "links", f"unknown node {missing[0]!r}")])
        names = [f"node:{n}" for n in node_ids] + [f"link:{lk[0]}" for lk in links]
        members = [(name,) for name in names]
        q = [float(x) for x in node_q] + [float(x) for x in link_q]
        link_comp: list[list[int]] = [[len(node_ids) + i] for i in range(len(links))]
        link_pos = {lk[0]: i for i, lk in enumerate(links)}
        by_set: dict[tuple[int, ...], int] = {}
        for group, (group_links, group_q) in (srlgs or {}).items():
            held = tuple(sorted({link_pos[lk] for lk in group_links if lk in link_pos}))
            if not held:
                continue
            if len(held) == 1:
                target = link_comp[held[0]][0]
            elif held in by_set:
                target = by_set[held]
            else:
                target = len(names)
                names.append(f"srlg:{group}")
                members.append(())
                q.append(0.0)
                by_set[held] = target
                for li in held:
                    link_comp[li].append(target)
            # Either failing takes the component down: combine the two as one.
            q[target] = 1.0 - (1.0 - q[target]) * (1.0 - float(group_q))
            members[target] = (*members[target], f"srlg:{group}")
        return cls(
            plane=plane,
            node_ids=tuple(node_ids),
            link_ids=tuple(lk[0] for lk in links),
            link_ends=tuple((index[a], index[b]) for _, a, b in links),
            components=tuple(names),
            members=tuple(tuple(dict.fromkeys(m)) for m in members),
            q=np.asarray(q, dtype=np.float64),
            node_component=tuple(range(len(node_ids))),
            link_components=tuple(tuple(c) for c in link_comp),
        )


def plane_model(topology: Topology, plane: str, *, built: Iterable[str] = (),
                rates: dict[str, dict[str, Rate]] | None = None,
                table: RateTable | None = None) -> PlaneModel:
    """The components of ``plane``: its built links (plus candidates named in ``built``).

    Parameters
    ----------
    topology : Topology
    plane : str
    built : iterable of str, optional
        Candidate link ids to count as built (a purchase under study).
    rates : dict, optional
        From :func:`~netplan.availability.rates.element_rates` (computed when absent).
    table : RateTable, optional
        The default rates (the shipped file when absent).

    Examples
    --------
    >>> import netplan
    >>> topo = netplan.load_topology(netplan.default_topology_path())
    >>> m = plane_model(topo, "extranet")
    >>> len(m.node_ids), len(m.link_ids), m.n_components
    (46, 90, 138)
    >>> plane_model(topo, "extranet", built=["ex-ring-kaizhou-wanzhou"]).n_components
    139
    """
    rates = rates if rates is not None else element_rates(topology, table)
    extra = set(built)
    unknown = sorted(extra - {lk.id for lk in topology.links_of(plane, built_only=False)})
    if unknown:
        raise ValidationError([Problem("", "built", f"no link {unknown[0]!r} in plane {plane}")])
    links = [lk for lk in topology.links_of(plane, built_only=False)
             if not lk.candidate or lk.id in extra]
    nodes = topology.nodes_of(plane)
    groups: dict[str, list[str]] = {}
    for link in links:
        for group in link.srlg:
            groups.setdefault(group, []).append(link.id)
    return PlaneModel.from_arrays(
        [node.id for node in nodes],
        [(link.id, link.a, link.b) for link in links],
        node_q=[rates["nodes"][node.id].unavailability for node in nodes],
        link_q=[rates["links"][link.id].unavailability for link in links],
        srlgs={g: (held, rates["srlgs"][g].unavailability) for g, held in groups.items()},
        plane=plane,
    )
