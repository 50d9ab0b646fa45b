"""The network a measurement comes from, and its link × od routing matrix under ECMP.

A link counter measures the sum of every od's traffic that crosses the link in one direction.
Under the network's own routing (shortest paths with per-hop ECMP, as the analysis core
computes it) that sum is linear in the od demands: ``arc_load = R @ od_demand``, where
column *j* of ``R`` holds the fraction of od *j* each arc carries. Deduction inverts this.

The network may be a netplan topology (one routing matrix per plane), a Repetita ``.graph``
(directed arcs, each its own link), a Topology Zoo GraphML file or an SNDlib native network
(full-duplex links routed by hop count: SNDlib gives no IGP weights).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from netplan.analysis.routing import ecmp_routing
from netplan.errors import Problem, ValidationError
from netplan.model.plane_graph import PlaneGraph
from netplan.model.topology import Topology

__all__ = ["MeasuredNetwork", "PlaneRouting", "all_pairs", "load_network", "routing_matrix"]


@dataclass(frozen=True, eq=False)
class MeasuredNetwork:
    """The planes of a network whose links were measured.

    Attributes
    ----------
    name : str
    planes : dict of str to PlaneGraph
    source : str
        The file it was read from.
    kind : {"netplan", "repetita", "topologyzoo", "sndlib", "code"}
    topology : Topology or None
        The netplan topology, when it is one (calibration needs it).
    """

    name: str
    planes: dict[str, PlaneGraph]
    source: str = ""
    kind: str = "code"
    topology: Topology | None = None
    _arcs: dict = field(default_factory=dict, repr=False)

    def arc_of(self, link_id: str, from_node: str) -> tuple[str, int] | None:
        """The plane and arc index of ``link_id`` leaving ``from_node``; None when unknown.

        Examples
        --------
        >>> g = PlaneGraph.from_links("p", ["A", "B"], ["ab"], ["A"], ["B"], 10.0)
        >>> net = MeasuredNetwork("n", {"p": g})
        >>> net.arc_of("ab", "B"), net.arc_of("ab", "C")
        (('p', 1), None)
        """
        if not self._arcs:
            for plane, graph in self.planes.items():
                for arc in range(graph.n_arcs):
                    key = (graph.link_ids[graph.arc_link[arc]], graph.node_ids[graph.arc_src[arc]])
                    self._arcs[key] = (plane, arc)
        return self._arcs.get((link_id, from_node))

    def link_ends(self, link_id: str) -> tuple[str, ...] | None:
        """The nodes traffic can enter ``link_id`` at, or None when no plane has that link."""
        for graph in self.planes.values():
            index = graph.link_index.get(link_id)
            if index is not None:
                arcs = np.flatnonzero(graph.arc_link == index)
                return tuple(graph.node_ids[graph.arc_src[a]] for a in arcs)
        return None


@dataclass(frozen=True, eq=False)
class PlaneRouting:
    """The routing matrix of one plane.

    Attributes
    ----------
    plane : str
    graph : PlaneGraph
    od_src, od_dst : ndarray of int32
        Node indices of every od column.
    matrix : scipy.sparse.csr_matrix, shape (n_arcs, n_od)
        Fraction of each od's traffic on each arc.
    """

    plane: str
    graph: PlaneGraph
    od_src: np.ndarray
    od_dst: np.ndarray
    matrix: sp.csr_matrix

    @property
    def n_od(self) -> int:
        """Number of od columns."""
        return int(self.od_src.size)

    def od_labels(self) -> list[tuple[str, str]]:
        """(origin, destination) ids of every od column."""
        ids = self.graph.node_ids
        return [(ids[s], ids[d]) for s, d in zip(self.od_src, self.od_dst, strict=True)]

    def node_rows(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Node × od incidence: what each node originates, and what it terminates.

        Examples
        --------
        >>> g = PlaneGraph.from_links("p", list("ABC"), ["ab", "bc"], list("AB"), list("BC"), 1.0)
        >>> r = routing_matrix(g)
        >>> out, into = r.node_rows()
        >>> out.toarray()[0].tolist()  # A originates A>B and A>C
        [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
        """
        n, k = self.graph.n_nodes, self.n_od
        cols = np.arange(k)
        ones = np.ones(k)
        out = sp.csr_matrix((ones, (self.od_src, cols)), shape=(n, k))
        into = sp.csr_matrix((ones, (self.od_dst, cols)), shape=(n, k))
        return out, into


def all_pairs(graph: PlaneGraph) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair of distinct nodes, origin-major.

    Examples
    --------
    >>> g = PlaneGraph.from_links("p", list("ABC"), ["ab", "bc"], list("AB"), list("BC"), 1.0)
    >>> [a.tolist() for a in all_pairs(g)]
    [[0, 0, 1, 1, 2, 2], [1, 2, 0, 2, 0, 1]]
    """
    n = graph.n_nodes
    src, dst = np.nonzero(~np.eye(n, dtype=bool))
    return src.astype(np.int32), dst.astype(np.int32)


def routing_matrix(graph: PlaneGraph, od_src=None, od_dst=None) -> PlaneRouting:
    """The arc × od ECMP routing matrix of ``graph`` (every ordered pair by default).

    Ods whose destination cannot be reached are left out: no counter can see them.

    Examples
    --------
    The square A-B-D, A-C-D: A's traffic to D splits half and half over both paths.

    >>> g = PlaneGraph.from_links("sq", list("ABCD"), ["ab", "bd", "ac", "cd"],
    ...                           list("ABAC"), list("BDCD"), capacity_gbps=10.0)
    >>> r = routing_matrix(g, ["A"], ["D"])
    >>> r.matrix.toarray()[:, 0].tolist()
    [0.5, 0.0, 0.5, 0.0, 0.5, 0.0, 0.5, 0.0]
    """
    if od_src is None:
        od_src, od_dst = all_pairs(graph)
    routing = ecmp_routing(graph, od_src, od_dst)
    keep = np.flatnonzero(routing.reachable)
    matrix = sp.csr_matrix(routing.split.tocsc()[:, keep])
    return PlaneRouting(
        plane=graph.name,
        graph=graph,
        od_src=np.asarray(routing.od_src[keep], dtype=np.int32),
        od_dst=np.asarray(routing.od_dst[keep], dtype=np.int32),
        matrix=matrix,
    )


def load_network(path: str | os.PathLike) -> MeasuredNetwork:
    """Read the network a measurement comes from, by the file's kind.

    ``.yaml``/``.yml``: a netplan topology (its built links, plane by plane); ``.graph``: a
    Repetita network; ``.graphml``: a Topology Zoo network; ``.txt``: an SNDlib native
    network (links routed by hop count).

    Examples
    --------
    >>> net = load_network("tests/data/repetita/Abilene.graph")
    >>> net.kind, list(net.planes), net.planes["Abilene"].n_arcs
    ('repetita', ['Abilene'], 28)
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml"):
        from netplan.io.topology_io import load_topology

        topo = load_topology(p)
        planes = {plane: topo.plane_graph(plane) for plane in ("extranet", "intranet")
                  if topo.links_of(plane)}
        return MeasuredNetwork(topo.name, planes, str(p), "netplan", topo)
    if suffix == ".graph":
        from netplan.io.repetita import read_repetita_graph

        graph = read_repetita_graph(p)
        return MeasuredNetwork(graph.name, {graph.name: graph}, str(p), "repetita")
    if suffix == ".graphml":
        from netplan.io.topologyzoo import read_topology_zoo

        graph = read_topology_zoo(p)
        return MeasuredNetwork(graph.name, {graph.name: graph}, str(p), "topologyzoo")
    if suffix == ".txt":
        graph = sndlib_graph(p)
        return MeasuredNetwork(graph.name, {graph.name: graph}, str(p), "sndlib")
    raise ValidationError([Problem(str(p), "", "unknown network file kind: give a netplan "
                                   "topology (.yaml), a Repetita .graph, a Topology Zoo "
                                   ".graphml or an SNDlib native network (.txt)")])


def sndlib_graph(path: str | os.PathLike) -> PlaneGraph:
    """An SNDlib native network as full-duplex links of unit weight (hop-count routing).

    Capacity is the link's pre-installed capacity plus its largest module, in the file's
    own unit read as Mbit/s (only the routing matters for deduction).

    Examples
    --------
    >>> g = sndlib_graph("tests/data/sndlib/abilene/abilene.txt")
    >>> g.n_nodes, g.n_links
    (12, 15)
    """
    from netplan.io.sndlib.network import read_network

    net = read_network(path)
    capacity = [max(1e-6, (link.pre_capacity + max(link.module_capacities, default=0.0)) / 1000.0)
                for link in net.links]
    return PlaneGraph.from_links(
        net.name, [n.id for n in net.nodes], [lk.id for lk in net.links],
        [lk.source for lk in net.links], [lk.target for lk in net.links],
        capacity_gbps=capacity, weight=np.ones(len(net.links)), source=str(path))
