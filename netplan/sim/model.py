"""Inputs of the flow-level simulator and the closed-form fast path: plain arrays, frozen.

A :class:`SimNetwork` is a list of links with capacities; a :class:`TrafficClass` is one
service between two places (its arrival process, its candidate paths and what a session
needs); a :class:`ServerPool` is a group of identical servers in a data centre;
:class:`LinkFailures` says when links go down. Links are referred to by their index in
the network, pools by their index in the pool list.

Every constructor checks its own fields and raises :class:`netplan.errors.ValidationError`
listing every problem at once; :func:`check_model` adds the checks that need the whole
model (path indices, pool indices, routing between pools).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from netplan.errors import Problem, ValidationError

__all__ = [
    "KINDS",
    "DISTRIBUTIONS",
    "LinkFailures",
    "PathChoice",
    "Reroute",
    "ServerPool",
    "SimNetwork",
    "TrafficClass",
    "check_model",
]

KINDS = ("stream", "elastic", "request")
DISTRIBUTIONS = ("exponential", "deterministic")

#: What ``reroute`` returns for one class: (paths, probabilities). An empty path list
#: (or ``None`` in place of the pair) means the class has no route in that failure state.
PathChoice = tuple[Sequence[Sequence[int]], Sequence[float]]
#: ``reroute(failed_links_mask) -> one PathChoice (or None) per class``.
Reroute = Callable[[np.ndarray], Sequence["PathChoice | None"]]


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr, copy=True)
    arr.flags.writeable = False
    return arr


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(problems)


def _finite_positive(value) -> bool:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(v) and v > 0


@dataclass(frozen=True, eq=False)
class SimNetwork:
    """Links of the simulated network.

    Parameters
    ----------
    link_ids : sequence of str
        One unique id per link; paths refer to links by their position here.
    capacity_mbps : array_like of float
        Capacity of each link, Mbit/s (> 0).
    latency_ms : array_like of float, optional
        One-way propagation delay of each link, ms (default 0). A request's response time
        includes the round trip over its response path.

    Examples
    --------
    >>> net = SimNetwork(("a-b", "b-c"), [100.0, 40.0])
    >>> net.n_links, float(net.capacity_mbps[1])
    (2, 40.0)
    """

    link_ids: tuple[str, ...]
    capacity_mbps: np.ndarray
    latency_ms: np.ndarray | None = None

    def __post_init__(self) -> None:
        ids = tuple(str(x) for x in self.link_ids)
        cap = np.asarray(self.capacity_mbps, dtype=float).reshape(-1)
        problems: list[Problem] = []
        if len(set(ids)) != len(ids):
            problems.append(Problem("", "network.link_ids", "link ids must be unique"))
        if cap.size != len(ids):
            problems.append(
                Problem("", "network.capacity_mbps", f"needs {len(ids)} values, got {cap.size}")
            )
        bad = np.flatnonzero(~np.isfinite(cap) | (cap <= 0))
        for i in bad[:20]:
            problems.append(
                Problem("", f"network.capacity_mbps[{i}]", f"must be > 0, got {cap[i]}")
            )
        lat = np.zeros(cap.size) if self.latency_ms is None else self.latency_ms
        lat = np.asarray(lat, dtype=float).reshape(-1)
        if lat.size != cap.size:
            problems.append(
                Problem("", "network.latency_ms", f"needs {cap.size} values, got {lat.size}")
            )
        elif np.any(~np.isfinite(lat) | (lat < 0)):
            problems.append(Problem("", "network.latency_ms", "must be finite and >= 0"))
        _raise(problems)
        object.__setattr__(self, "link_ids", ids)
        object.__setattr__(self, "capacity_mbps", _readonly(cap))
        object.__setattr__(self, "latency_ms", _readonly(lat))

    @property
    def n_links(self) -> int:
        """Number of links."""
        return len(self.link_ids)


@dataclass(frozen=True, eq=False)
class TrafficClass:
    """One service's sessions between two places.

    Parameters
    ----------
    id : str
        Name used in results (e.g. ``"video:渝中->core1"``).
    kind : {"stream", "elastic", "request"}
        ``stream``: holds ``bandwidth_mbps`` on every link of its path for a holding time,
        or is blocked (video conference). ``elastic``: a transfer of ``size_mbit`` that
        shares link bandwidth with other transfers. ``request``: queues for a server in
        ``pool`` for ``service_s``, then the response of ``response_mbit`` travels back
        over the path as an elastic transfer.
    paths : sequence of sequences of int
        Candidate paths, each a list of link indices (for requests: the response path,
        from the data centre to the user).
    path_probs : sequence of float, optional
        Probability of each path (ECMP split); equal split by default.
    arrival_rate_per_s : float or sequence of 24 floats, optional
        Poisson arrival rate in sessions/s, constant or per hour of day (00:00-01:00 first).
    arrival_times_s : sequence of float, optional
        A trace of arrival times (s from the start of the run) used instead of a rate.
    bandwidth_mbps : float
        Stream bandwidth (streams only).
    holding_s : float
        Mean stream holding time (streams only).
    size_mbit : float
        Mean transfer size (elastic only).
    pool : int, optional
        Index of the server pool (requests only).
    service_s : float, optional
        Mean service time at ``pool``; defaults to the pool's ``service_s``.
    response_mbit : float
        Mean size of a request's response (0: no network transfer).
    dist : {"exponential", "deterministic"}
        Distribution of the holding time, size, service time and response size.

    Examples
    --------
    >>> video = TrafficClass("video", "stream", paths=[[0, 1]], arrival_rate_per_s=0.2,
    ...                      bandwidth_mbps=4.0, holding_s=1800.0)
    >>> video.arrival_rate_per_s.shape
    (24,)
    """

    id: str
    kind: str
    paths: tuple = ()
    path_probs: np.ndarray | None = None
    arrival_rate_per_s: np.ndarray | float | None = None
    arrival_times_s: np.ndarray | None = None
    bandwidth_mbps: float = 0.0
    holding_s: float = 0.0
    size_mbit: float = 0.0
    pool: int | None = None
    service_s: float | None = None
    response_mbit: float = 0.0
    dist: str = "exponential"

    def __post_init__(self) -> None:
        where = f"classes[{self.id!r}]"
        problems: list[Problem] = []

        def bad(name: str, message: str) -> None:
            problems.append(Problem("", f"{where}.{name}", message))

        if self.kind not in KINDS:
            bad("kind", f"must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.dist not in DISTRIBUTIONS:
            bad("dist", f"must be one of {', '.join(DISTRIBUTIONS)}, got {self.dist!r}")
        paths: list[np.ndarray] = []
        for j, p in enumerate(self.paths):
            arr = np.asarray(p)
            if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
                bad(f"paths[{j}]", "must be a non-empty list of link indices")
                continue
            if len(set(arr.tolist())) != arr.size:
                bad(f"paths[{j}]", "uses a link twice")
            paths.append(_readonly(arr.astype(np.int64)))
        if not self.paths:
            bad("paths", "needs at least one path")
        probs = self.path_probs
        if probs is None:
            probs = np.full(len(paths), 1.0 / max(len(paths), 1))
        probs = np.asarray(probs, dtype=float).reshape(-1)
        if probs.size != len(self.paths):
            bad("path_probs", f"needs {len(self.paths)} values, got {probs.size}")
        elif probs.size and (
            np.any(~np.isfinite(probs)) or np.any(probs < 0) or abs(probs.sum() - 1) > 1e-6
        ):
            bad("path_probs", "must be >= 0 and sum to 1")
        rate = self.arrival_rate_per_s
        trace = self.arrival_times_s
        if (rate is None) == (trace is None):
            bad("arrival_rate_per_s", "give exactly one of arrival_rate_per_s, arrival_times_s")
        if rate is not None:
            rate = np.asarray(rate, dtype=float)
            if rate.ndim == 0:
                rate = np.full(24, float(rate))
            if rate.shape != (24,):
                bad("arrival_rate_per_s", "must be one value or 24 hourly values")
            elif np.any(~np.isfinite(rate)) or np.any(rate < 0):
                bad("arrival_rate_per_s", "must be finite and >= 0")
            rate = _readonly(rate)
        if trace is not None:
            trace = np.asarray(trace, dtype=float).reshape(-1)
            if np.any(~np.isfinite(trace)) or np.any(trace < 0) or np.any(np.diff(trace) < 0):
                bad("arrival_times_s", "must be finite, >= 0 and sorted")
            trace = _readonly(trace)
        if self.kind == "stream":
            if not _finite_positive(self.bandwidth_mbps):
                bad("bandwidth_mbps", "a stream needs a bandwidth > 0")
            elif float(self.bandwidth_mbps) * 1000 < 0.5:
                bad("bandwidth_mbps", "below the 1 kbit/s accounting resolution")
            if not _finite_positive(self.holding_s):
                bad("holding_s", "a stream needs a mean holding time > 0")
        elif self.kind == "elastic":
            if not _finite_positive(self.size_mbit):
                bad("size_mbit", "an elastic transfer needs a mean size > 0")
        elif self.kind == "request":
            if (
                self.pool is None
                or isinstance(self.pool, bool)
                or not isinstance(self.pool, int | np.integer)
            ):
                bad("pool", "a request needs the index of its server pool")
            if self.service_s is not None and not _finite_positive(self.service_s):
                bad("service_s", "must be > 0")
            rm = self.response_mbit
            if not (isinstance(rm, int | float) and math.isfinite(rm) and rm >= 0):
                bad("response_mbit", "must be finite and >= 0")
        _raise(problems)
        object.__setattr__(self, "paths", tuple(paths))
        object.__setattr__(self, "path_probs", _readonly(probs))
        object.__setattr__(self, "arrival_rate_per_s", rate)
        object.__setattr__(self, "arrival_times_s", trace)


@dataclass(frozen=True, eq=False)
class ServerPool:
    """A group of identical servers that requests queue for (FIFO, unlimited queue).

    Parameters
    ----------
    id : str
        Name used in results.
    servers : int
        Number of servers (>= 1).
    service_s : float, optional
        Mean service time of a visit routed here from another pool (and the default for
        classes that target this pool without their own ``service_s``).
    dist : {"exponential", "deterministic"}
        Distribution of the service time of visits routed here from another pool (a class's
        first visit follows the class's ``dist``).

    Examples
    --------
    >>> ServerPool("cloud-web", servers=3, service_s=20.0).servers
    3
    """

    id: str
    servers: int
    service_s: float | None = None
    dist: str = "exponential"

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        if self.dist not in DISTRIBUTIONS:
            problems.append(
                Problem(
                    "", f"pools[{self.id!r}].dist", f"must be one of {', '.join(DISTRIBUTIONS)}"
                )
            )
        s = self.servers
        if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1:
            problems.append(Problem("", f"pools[{self.id!r}].servers", "must be an integer >= 1"))
        if self.service_s is not None and not _finite_positive(self.service_s):
            problems.append(Problem("", f"pools[{self.id!r}].service_s", "must be > 0"))
        _raise(problems)
        object.__setattr__(self, "servers", int(s))


@dataclass(frozen=True, eq=False)
class LinkFailures:
    """When links fail and come back.

    Parameters
    ----------
    mtbf_s : array_like of float, optional
        Mean time between failures of each link, s (``inf`` = never fails). Up and down
        times are exponential; every link starts up.
    mttr_s : array_like of float, optional
        Mean time to repair of each link, s.
    script : sequence of (time_s, link_index, "down" | "up")
        Scripted events, applied in addition to the random ones.

    Examples
    --------
    >>> f = LinkFailures(script=[(600.0, 3, "down"), (900.0, 3, "up")])
    >>> len(f.script)
    2
    """

    mtbf_s: np.ndarray | None = None
    mttr_s: np.ndarray | None = None
    script: tuple = field(default_factory=tuple)

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        if (self.mtbf_s is None) != (self.mttr_s is None):
            problems.append(Problem("", "failures.mttr_s", "give both mtbf_s and mttr_s"))
        mtbf = mttr = None
        if self.mtbf_s is not None and self.mttr_s is not None:
            mtbf = np.asarray(self.mtbf_s, dtype=float).reshape(-1)
            mttr = np.asarray(self.mttr_s, dtype=float).reshape(-1)
            if mtbf.shape != mttr.shape:
                problems.append(Problem("", "failures.mttr_s", "needs one value per link"))
            if np.any(np.isnan(mtbf)) or np.any(mtbf <= 0):
                problems.append(Problem("", "failures.mtbf_s", "must be > 0 (inf: never)"))
            if np.any(~np.isfinite(mttr)) or np.any(mttr <= 0):
                problems.append(Problem("", "failures.mttr_s", "must be finite and > 0"))
            mtbf, mttr = _readonly(mtbf), _readonly(mttr)
        script = []
        for i, ev in enumerate(self.script):
            try:
                t, link, action = ev
                t = float(t)
                ok = math.isfinite(t) and t >= 0 and action in ("down", "up")
                ok = ok and isinstance(link, int | np.integer) and not isinstance(link, bool)
            except (TypeError, ValueError):
                ok = False
            if not ok:
                problems.append(
                    Problem("", f"failures.script[{i}]", "must be (time_s >= 0, link, 'down'|'up')")
                )
                continue
            script.append((t, int(link), action))
        _raise(problems)
        object.__setattr__(self, "mtbf_s", mtbf)
        object.__setattr__(self, "mttr_s", mttr)
        object.__setattr__(self, "script", tuple(sorted(script, key=lambda e: e[0])))


def check_model(
    network: SimNetwork,
    classes: Sequence[TrafficClass],
    pools: Sequence[ServerPool] = (),
    pool_routing=None,
    failures: LinkFailures | None = None,
) -> np.ndarray | None:
    """Check that classes, pools and failures fit the network; return the pool routing.

    Parameters
    ----------
    network : SimNetwork
    classes : sequence of TrafficClass
    pools : sequence of ServerPool
    pool_routing : array_like, shape (P, P), optional
        ``pool_routing[i, j]``: probability that a request leaving pool ``i`` visits pool
        ``j`` next (rows sum to at most 1; the rest leaves with its response).
    failures : LinkFailures, optional

    Returns
    -------
    numpy.ndarray or None
        The routing matrix as floats, or None.

    Raises
    ------
    ValidationError
        Listing every problem found.

    Examples
    --------
    >>> net = SimNetwork(("l0",), [10.0])
    >>> c = TrafficClass("x", "elastic", paths=[[1]], arrival_rate_per_s=1.0, size_mbit=1.0)
    >>> check_model(net, [c])
    Traceback (most recent call last):
    ...
    netplan.errors.ValidationError: <input>: classes[0].paths[0]: link index 1 not in 0..0
    """
    problems: list[Problem] = []
    n_links = network.n_links
    n_pools = len(pools)
    ids = [c.id for c in classes]
    if len(set(ids)) != len(ids):
        problems.append(Problem("", "classes", "class ids must be unique"))
    if len({p.id for p in pools}) != n_pools:
        problems.append(Problem("", "pools", "pool ids must be unique"))
    for i, c in enumerate(classes):
        if not isinstance(c, TrafficClass):
            problems.append(Problem("", f"classes[{i}]", "must be a TrafficClass"))
            continue
        for j, p in enumerate(c.paths):
            if p.min() < 0 or p.max() >= n_links:
                worst = int(p.max()) if p.max() >= n_links else int(p.min())
                problems.append(
                    Problem(
                        "",
                        f"classes[{i}].paths[{j}]",
                        f"link index {worst} not in 0..{n_links - 1}",
                    )
                )
        if c.kind == "request" and c.pool is not None:
            if not 0 <= c.pool < n_pools:
                problems.append(
                    Problem("", f"classes[{i}].pool", f"pool {c.pool} not in 0..{n_pools - 1}")
                )
            elif c.service_s is None and pools[c.pool].service_s is None:
                problems.append(
                    Problem("", f"classes[{i}].service_s", "needs a service time (or the pool's)")
                )
    routing = None
    if pool_routing is not None:
        routing = np.asarray(pool_routing, dtype=float)
        if routing.shape != (n_pools, n_pools):
            problems.append(
                Problem("", "pool_routing", f"must be {n_pools} x {n_pools}, got {routing.shape}")
            )
        elif (
            np.any(~np.isfinite(routing))
            or np.any(routing < 0)
            or np.any(routing.sum(axis=1) > 1 + 1e-9)
        ):
            problems.append(
                Problem("", "pool_routing", "entries must be >= 0 with row sums at most 1")
            )
        else:
            for j in np.flatnonzero(routing.sum(axis=0) > 0):
                if pools[j].service_s is None:
                    problems.append(
                        Problem("", f"pools[{j}].service_s", "pool is routed to: needs service_s")
                    )
            if n_pools and np.linalg.matrix_rank(np.eye(n_pools) - routing) < n_pools:
                problems.append(Problem("", "pool_routing", "requests could never leave"))
    if failures is not None:
        if failures.mtbf_s is not None and failures.mtbf_s.size != n_links:
            problems.append(Problem("", "failures.mtbf_s", f"needs {n_links} values"))
        for k, (_, link, _) in enumerate(failures.script):
            if not 0 <= link < n_links:
                problems.append(
                    Problem("", f"failures.script[{k}]", f"link {link} not in 0..{n_links - 1}")
                )
    _raise(problems)
    return routing
