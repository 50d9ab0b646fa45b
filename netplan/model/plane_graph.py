"""Array form of one network plane: the input of routing, failure sweeps and the LP.

A :class:`PlaneGraph` is a directed multigraph held as flat arrays. Every *arc* belongs to
one *link*: an undirected (full-duplex) link owns two arcs, arc ``2i`` from ``a`` to ``b``
and arc ``2i + 1`` back, each with the link's capacity; a directed network (Repetita) makes
every arc its own link. Failures act on links, loads and capacities live on arcs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from netplan.errors import Problem, ValidationError

__all__ = ["PlaneGraph"]


def _frozen(values, dtype) -> np.ndarray:
    out = np.array(values, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def _node_positions(
    values, node_index: dict[str, int], field_name: str, source: str, problems: list[Problem]
) -> np.ndarray:
    """Map node ids (or integer indices) to indices; unknown ones become -1 and a problem."""
    arr = np.asarray(values)
    n_nodes = len(node_index)
    if arr.ndim != 1:
        problems.append(Problem(source, field_name, "must be a one-dimensional sequence"))
        return np.zeros(0, dtype=np.int32)
    if arr.size and arr.dtype.kind in "iu":
        bad = np.flatnonzero((arr < 0) | (arr >= n_nodes))
        for i in bad:
            problems.append(
                Problem(source, f"{field_name}[{i}]", f"node index {arr[i]} is out of range")
            )
        return np.where((arr >= 0) & (arr < n_nodes), arr, -1).astype(np.int32)
    out = np.full(arr.size, -1, dtype=np.int32)
    for i, value in enumerate(arr.tolist()):
        idx = node_index.get(str(value))
        if idx is None:
            problems.append(Problem(source, f"{field_name}[{i}]", f"unknown node {value!r}"))
        else:
            out[i] = idx
    return out


def _numbers(
    values, n: int, field_name: str, source: str, problems: list[Problem], *, positive: bool
) -> np.ndarray:
    """Float array of length ``n``; each entry finite and > 0 (or >= 0)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        problems.append(Problem(source, field_name, "must be numbers"))
        return np.ones(n)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        problems.append(Problem(source, field_name, f"expected {n} values, got {arr.size}"))
        return np.ones(n)
    bound = "> 0" if positive else ">= 0"
    bad = ~np.isfinite(arr) | ((arr <= 0) if positive else (arr < 0))
    for i in np.flatnonzero(bad):
        problems.append(
            Problem(source, f"{field_name}[{i}]", f"must be finite and {bound}, got {arr[i]}")
        )
    return arr


def _unique_ids(ids, field_name: str, source: str, problems: list[Problem]) -> tuple[str, ...]:
    out = tuple(str(x) for x in ids)
    seen: dict[str, int] = {}
    for i, value in enumerate(out):
        if value in seen:
            problems.append(
                Problem(
                    source, f"{field_name}[{i}]", f"duplicate id {value!r} (first at {seen[value]})"
                )
            )
        else:
            seen[value] = i
    return out


@dataclass(frozen=True, eq=False)
class PlaneGraph:
    """One plane of the network as flat, read-only arrays.

    Build it with :meth:`from_links` (undirected, full-duplex links) or :meth:`from_arcs`
    (directed arcs, each its own link) rather than directly: they validate the input.

    Attributes
    ----------
    name : str
        Plane name, e.g. ``"extranet"``.
    node_ids, link_ids : tuple of str
        Identifiers; positions in these tuples are the node and link indices.
    arc_src, arc_dst, arc_link : ndarray of int32, shape (n_arcs,)
        Tail node, head node and owning link of every arc.
    arc_weight : ndarray of float64
        Routing metric (> 0) used for shortest paths.
    arc_latency_ms, arc_capacity_gbps : ndarray of float64
        One-way latency and capacity of every arc.
    link_srlgs : tuple of tuple of str
        Shared-risk groups of every link.
    node_lat, node_lon : ndarray of float64 or None
        Coordinates in degrees (NaN where unknown).

    Examples
    --------
    >>> g = PlaneGraph.from_links("x", ["A", "B", "C"], ["ab", "bc"], ["A", "B"], ["B", "C"],
    ...                           capacity_gbps=[10.0, 2.5], latency_ms=[1.0, 2.0])
    >>> g.n_nodes, g.n_links, g.n_arcs
    (3, 2, 4)
    >>> g.arc_src.tolist(), g.arc_dst.tolist(), g.arc_link.tolist()
    ([0, 1, 1, 2], [1, 0, 2, 1], [0, 0, 1, 1])
    >>> g.arc_weight.tolist()  # defaults to the latency
    [1.0, 1.0, 2.0, 2.0]
    """

    name: str
    node_ids: tuple[str, ...]
    link_ids: tuple[str, ...]
    arc_src: np.ndarray
    arc_dst: np.ndarray
    arc_link: np.ndarray
    arc_weight: np.ndarray
    arc_latency_ms: np.ndarray
    arc_capacity_gbps: np.ndarray
    link_srlgs: tuple[tuple[str, ...], ...]
    node_lat: np.ndarray | None = None
    node_lon: np.ndarray | None = None
    source: str = field(default="", repr=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_links(
        cls,
        name: str,
        node_ids: Sequence[str],
        link_ids: Sequence[str],
        a: Sequence,
        b: Sequence,
        capacity_gbps,
        weight=None,
        latency_ms=None,
        srlgs: Sequence[Sequence[str]] | None = None,
        node_lat=None,
        node_lon=None,
        *,
        source: str = "",
    ) -> PlaneGraph:
        """Build a plane from undirected, full-duplex links.

        Parameters
        ----------
        name : str
            Plane name.
        node_ids, link_ids : sequence of str
            Unique identifiers.
        a, b : sequence of str or int
            End nodes of every link, as node ids (or node indices).
        capacity_gbps : array_like
            Capacity of each direction of every link, > 0 (a scalar applies to all).
        weight : array_like, optional
            Routing metric, > 0. Defaults to ``latency_ms``, or 1 (hop count) when no
            latency is given either.
        latency_ms : array_like, optional
            One-way latency, >= 0; defaults to 0.
        srlgs : sequence of sequence of str, optional
            Shared-risk groups of every link.
        node_lat, node_lon : array_like, optional
            Node coordinates in degrees.
        source : str, optional
            File the data came from, named in error messages.

        Returns
        -------
        PlaneGraph
            Arc ``2i`` runs ``a[i] -> b[i]`` and arc ``2i + 1`` runs back.

        Raises
        ------
        ValidationError
            Listing every problem: unknown nodes, self-loops, duplicate ids, lengths that do
            not match, non-positive capacities or weights, negative latencies.

        Examples
        --------
        >>> g = PlaneGraph.from_links("p", ["A", "B"], ["ab"], ["A"], ["B"], 10.0)
        >>> g.arc_capacity_gbps.tolist(), g.arc_weight.tolist()
        ([10.0, 10.0], [1.0, 1.0])
        >>> PlaneGraph.from_links("p", ["A", "B"], ["ab"], ["A"], ["Z"], 10.0)
        Traceback (most recent call last):
        ...
        netplan.errors.ValidationError: <input>: b[0]: unknown node 'Z'
        """
        problems: list[Problem] = []
        nodes = _unique_ids(node_ids, "node_ids", source, problems)
        links = _unique_ids(link_ids, "link_ids", source, problems)
        node_index = {n: i for i, n in enumerate(nodes)}
        n_links = len(links)
        ia = _node_positions(a, node_index, "a", source, problems)
        ib = _node_positions(b, node_index, "b", source, problems)
        for label, arr in (("a", ia), ("b", ib)):
            if arr.size != n_links:
                problems.append(
                    Problem(source, label, f"expected {n_links} end nodes, got {arr.size}")
                )
        if ia.size == ib.size == n_links:
            for i in np.flatnonzero((ia == ib) & (ia >= 0)):
                problems.append(
                    Problem(source, f"links[{i}]", f"link {links[i]!r} joins a node to itself")
                )
        cap = _numbers(capacity_gbps, n_links, "capacity_gbps", source, problems, positive=True)
        lat = (
            np.zeros(n_links)
            if latency_ms is None
            else _numbers(latency_ms, n_links, "latency_ms", source, problems, positive=False)
        )
        if weight is None:
            wgt_in = np.ones(n_links) if latency_ms is None else lat
            wgt = _numbers(
                wgt_in, n_links, "weight (from latency_ms)", source, problems, positive=True
            )
        else:
            wgt = _numbers(weight, n_links, "weight", source, problems, positive=True)
        groups = cls._srlgs(srlgs, n_links, source, problems)
        lat_nodes, lon_nodes = cls._coords(node_lat, node_lon, len(nodes), source, problems)
        if problems:
            raise ValidationError(problems)
        arc_src = np.empty(2 * n_links, dtype=np.int32)
        arc_dst = np.empty(2 * n_links, dtype=np.int32)
        arc_src[0::2], arc_src[1::2] = ia, ib
        arc_dst[0::2], arc_dst[1::2] = ib, ia
        return cls(
            name=str(name),
            node_ids=nodes,
            link_ids=links,
            arc_src=_frozen(arc_src, np.int32),
            arc_dst=_frozen(arc_dst, np.int32),
            arc_link=_frozen(np.repeat(np.arange(n_links), 2), np.int32),
            arc_weight=_frozen(np.repeat(wgt, 2), np.float64),
            arc_latency_ms=_frozen(np.repeat(lat, 2), np.float64),
            arc_capacity_gbps=_frozen(np.repeat(cap, 2), np.float64),
            link_srlgs=groups,
            node_lat=lat_nodes,
            node_lon=lon_nodes,
            source=source,
        )

    @classmethod
    def from_arcs(
        cls,
        name: str,
        node_ids: Sequence[str],
        arc_ids: Sequence[str],
        src: Sequence,
        dst: Sequence,
        capacity_gbps,
        weight=None,
        latency_ms=None,
        srlgs: Sequence[Sequence[str]] | None = None,
        node_lat=None,
        node_lon=None,
        *,
        source: str = "",
    ) -> PlaneGraph:
        """Build a plane from directed arcs, each arc its own link.

        Parameters are those of :meth:`from_links`, per arc; ``arc_ids`` become the link
        ids. Failing a link therefore fails one direction only.

        Examples
        --------
        >>> g = PlaneGraph.from_arcs("d", ["A", "B"], ["e0", "e1"], [0, 1], [1, 0],
        ...                          capacity_gbps=[1.0, 2.0], weight=[1, 3])
        >>> g.n_links, g.arc_link.tolist(), g.arc_capacity_gbps.tolist()
        (2, [0, 1], [1.0, 2.0])
        """
        undirected = cls.from_links(
            name,
            node_ids,
            arc_ids,
            src,
            dst,
            capacity_gbps,
            weight,
            latency_ms,
            srlgs,
            node_lat,
            node_lon,
            source=source,
        )
        keep = np.arange(0, undirected.n_arcs, 2)
        return cls(
            name=undirected.name,
            node_ids=undirected.node_ids,
            link_ids=undirected.link_ids,
            arc_src=_frozen(undirected.arc_src[keep], np.int32),
            arc_dst=_frozen(undirected.arc_dst[keep], np.int32),
            arc_link=_frozen(np.arange(keep.size), np.int32),
            arc_weight=_frozen(undirected.arc_weight[keep], np.float64),
            arc_latency_ms=_frozen(undirected.arc_latency_ms[keep], np.float64),
            arc_capacity_gbps=_frozen(undirected.arc_capacity_gbps[keep], np.float64),
            link_srlgs=undirected.link_srlgs,
            node_lat=undirected.node_lat,
            node_lon=undirected.node_lon,
            source=source,
        )

    @staticmethod
    def _srlgs(srlgs, n_links: int, source: str, problems: list[Problem]):
        if srlgs is None:
            return tuple(() for _ in range(n_links))
        groups = []
        for i, item in enumerate(srlgs):
            if isinstance(item, str):
                problems.append(
                    Problem(source, f"srlgs[{i}]", "must be a list of group names, not a string")
                )
                groups.append(())
            else:
                groups.append(tuple(str(g) for g in item))
        if len(groups) != n_links:
            problems.append(
                Problem(source, "srlgs", f"expected {n_links} entries, got {len(groups)}")
            )
        return tuple(groups)

    @staticmethod
    def _coords(node_lat, node_lon, n_nodes: int, source: str, problems: list[Problem]):
        if node_lat is None and node_lon is None:
            return None, None
        if node_lat is None or node_lon is None:
            problems.append(Problem(source, "node_lat", "give both node_lat and node_lon"))
            return None, None
        out = []
        for label, values, limit in (("node_lat", node_lat, 90.0), ("node_lon", node_lon, 180.0)):
            arr = np.asarray(values, dtype=np.float64)
            if arr.shape != (n_nodes,):
                problems.append(Problem(source, label, f"expected {n_nodes} values"))
                arr = np.full(n_nodes, np.nan)
            for i in np.flatnonzero(np.abs(arr) > limit):
                problems.append(Problem(source, f"{label}[{i}]", f"{arr[i]} is out of range"))
            out.append(_frozen(arr, np.float64))
        return out[0], out[1]

    # ------------------------------------------------------------------ sizes and lookups
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_links(self) -> int:
        """Number of links."""
        return len(self.link_ids)

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return int(self.arc_src.size)

    @cached_property
    def node_index(self) -> dict[str, int]:
        """Map node id -> node index."""
        return {n: i for i, n in enumerate(self.node_ids)}

    @cached_property
    def link_index(self) -> dict[str, int]:
        """Map link id -> link index."""
        return {n: i for i, n in enumerate(self.link_ids)}

    @cached_property
    def link_capacity_gbps(self) -> np.ndarray:
        """Largest arc capacity of every link (both arcs of a full-duplex link are equal)."""
        return self.link_max(self.arc_capacity_gbps)

    @cached_property
    def srlg_links(self) -> dict[str, tuple[int, ...]]:
        """Map shared-risk group -> link indices in it, groups in sorted order."""
        groups: dict[str, list[int]] = {}
        for i, names in enumerate(self.link_srlgs):
            for g in names:
                groups.setdefault(g, []).append(i)
        return {g: tuple(groups[g]) for g in sorted(groups)}

    @cached_property
    def _link_order(self) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(self.arc_link, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(self.arc_link[order]) != 0])
        return order, starts

    def link_max(self, arc_values) -> np.ndarray:
        """Reduce per-arc values to per-link values by taking the maximum over each link's arcs.

        Parameters
        ----------
        arc_values : array_like, shape (..., n_arcs)

        Returns
        -------
        ndarray, shape (..., n_links)

        Examples
        --------
        >>> g = PlaneGraph.from_links("p", ["A", "B"], ["ab"], ["A"], ["B"], 10.0)
        >>> g.link_max([3.0, 5.0]).tolist()
        [5.0]
        """
        values = np.asarray(arc_values)
        if values.shape[-1] != self.n_arcs:
            raise ValueError(f"last axis must have {self.n_arcs} arcs, got {values.shape[-1]}")
        if self.n_arcs == 0:
            return values[..., :0]
        order, starts = self._link_order
        return np.maximum.reduceat(values[..., order], starts, axis=-1)

    def arcs_of_links(self, links) -> np.ndarray:
        """Sorted indices of the arcs belonging to the given link indices."""
        links = np.asarray(links, dtype=np.int64).ravel()
        return np.flatnonzero(np.isin(self.arc_link, links))

    def arcs_at_nodes(self, nodes) -> np.ndarray:
        """Sorted indices of the arcs that start or end at any of the given node indices."""
        nodes = np.asarray(nodes, dtype=np.int64).ravel()
        return np.flatnonzero(np.isin(self.arc_src, nodes) | np.isin(self.arc_dst, nodes))

    def node_positions(self, nodes, field_name: str = "nodes") -> np.ndarray:
        """Node indices (int32) from node ids or indices; unknown ones raise ValidationError.

        Examples
        --------
        >>> g = PlaneGraph.from_links("p", ["A", "B"], ["ab"], ["A"], ["B"], 10.0)
        >>> g.node_positions(["B", "A"]).tolist()
        [1, 0]
        """
        problems: list[Problem] = []
        out = _node_positions(nodes, self.node_index, field_name, self.source, problems)
        if problems:
            raise ValidationError(problems)
        return out

    def link_positions(self, links, field_name: str = "links") -> np.ndarray:
        """Link indices (int64) from link ids or indices; unknown ones raise ValidationError."""
        arr = np.asarray(links)
        if arr.ndim != 1:
            arr = arr.reshape(-1)
        problems: list[Problem] = []
        if arr.size and arr.dtype.kind in "iu":
            for i in np.flatnonzero((arr < 0) | (arr >= self.n_links)):
                problems.append(
                    Problem(
                        self.source, f"{field_name}[{i}]", f"link index {arr[i]} is out of range"
                    )
                )
            out = arr.astype(np.int64)
        else:
            out = np.zeros(arr.size, dtype=np.int64)
            for i, value in enumerate(arr.tolist()):
                idx = self.link_index.get(str(value))
                if idx is None:
                    problems.append(
                        Problem(self.source, f"{field_name}[{i}]", f"unknown link {value!r}")
                    )
                else:
                    out[i] = idx
        if problems:
            raise ValidationError(problems)
        return out

    def haversine_km(self, node_a: int, node_b: int) -> float:
        """Great-circle distance between two nodes (NaN without coordinates)."""
        if self.node_lat is None or self.node_lon is None:
            return math.nan
        return haversine_km(
            self.node_lat[node_a],
            self.node_lon[node_a],
            self.node_lat[node_b],
            self.node_lon[node_b],
        )


EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), used for great-circle lengths."""


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km between points given in degrees (broadcasts).

    Examples
    --------
    >>> round(haversine_km(0.0, 0.0, 0.0, 1.0), 3)  # one degree of the equator
    111.195
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    out = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(out) if np.ndim(out) == 0 else out
