"""The model flattened into plain Python lists and numpy tables for the event loop.

Scalar access to a Python list is several times faster than to a numpy array, so the
event loop works on lists; numpy is used where whole arrays are handled at once.
Stream bandwidths and link capacities are accounted in whole kbit/s, so admitting and
releasing sessions is exact integer arithmetic and never drifts.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from netplan.errors import Problem, ValidationError
from netplan.sim.arrivals import ArrivalSource, initial_streams
from netplan.sim.model import (
    LinkFailures,
    Reroute,
    ServerPool,
    SimNetwork,
    TrafficClass,
    check_model,
)

__all__ = ["KIND_CODE", "Compiled", "PathSet", "compile_model"]

KIND_CODE = {"stream": 0, "elastic": 1, "request": 2}


@dataclass(frozen=True)
class PathSet:
    """Current candidate paths of every class: tuples of link indices and cumulative probs.

    ``cum[c]`` is None for classes with a single path (no draw needed).
    """

    paths: list
    cum: list


def _cumulative(probs: Sequence[float]) -> list[float] | None:
    if len(probs) <= 1:
        return None
    acc = list(itertools.accumulate(float(p) for p in probs))
    total = acc[-1]
    acc = [v / total for v in acc]
    acc[-1] = 1.0
    return acc


@dataclass
class Compiled:
    """Everything the engines need, derived once per run from the frozen inputs."""

    network: SimNetwork
    classes: tuple
    pools: tuple
    failures: LinkFailures | None
    reroute: Reroute | None
    n_links: int
    n_classes: int
    n_pools: int
    class_ids: tuple
    kind: list
    bw_kbps: list
    mean_x: np.ndarray
    mean_y: np.ndarray
    deterministic: np.ndarray
    pool_of: list
    rate_per_s: np.ndarray
    traces: dict
    cap_kbps: list
    cap_mbps: list
    latency_s: list
    servers: list
    pool_service_s: list
    pool_routing: np.ndarray | None
    route_cum: list
    route_dest: list
    base: PathSet
    _cache: dict = field(default_factory=dict)

    def arrival_source(self, seed_seq: np.random.SeedSequence, start_hour: float, end_s: float,
                       batch_target: int, as_arrays: bool = False) -> ArrivalSource:
        """The sessions of one run, in time-ordered batches (every engine reads these)."""
        return ArrivalSource(
            self.rate_per_s,
            self.traces,
            self.mean_x,
            self.mean_y,
            self.deterministic,
            np.random.default_rng(seed_seq),
            start_hour,
            end_s,
            batch_target,
            as_arrays=as_arrays,
        )

    def initial_streams(self, seed_seq: np.random.SeedSequence, start_hour: float) -> tuple:
        """Stream sessions in progress at time 0 (see :func:`netplan.sim.arrivals.initial_streams`)."""
        return initial_streams(
            self.rate_per_s,
            self.mean_x,
            self.deterministic,
            np.asarray(self.kind) == KIND_CODE["stream"],
            np.random.default_rng(seed_seq),
            start_hour,
        )

    def paths_for(self, failed_mask: np.ndarray) -> PathSet:
        """Candidate paths in a failure state (``reroute`` or ECMP pruning), cached.

        Without a ``reroute`` callable the paths that avoid every failed link are kept
        and their probabilities renormalised, as ECMP does when a next hop disappears.
        A class left with no path is blocked until a repair.
        """
        mask = np.asarray(failed_mask, dtype=bool)
        if not mask.any():
            return self.base
        key = mask.tobytes()
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if self.reroute is None:
            failed = set(np.flatnonzero(mask).tolist())
            paths, cums = [], []
            for cls in self.classes:
                keep = [
                    (tuple(p.tolist()), float(q))
                    for p, q in zip(cls.paths, cls.path_probs, strict=True)
                    if not failed.intersection(p.tolist()) and q > 0
                ]
                paths.append([p for p, _ in keep])
                cums.append(_cumulative([q for _, q in keep]) if keep else None)
            result = PathSet(paths, cums)
        else:
            result = self._convert(self.reroute(mask.copy()))
        self._cache[key] = result
        return result

    def _convert(self, choice) -> PathSet:
        problems: list[Problem] = []
        if choice is None or len(choice) != self.n_classes:
            got = "None" if choice is None else len(choice)
            raise ValidationError(
                [Problem("", "reroute", f"must return {self.n_classes} entries, got {got}")]
            )
        paths, cums = [], []
        for c, entry in enumerate(choice):
            if entry is None or len(entry[0]) == 0:
                paths.append([])
                cums.append(None)
                continue
            plist, probs = entry
            tup = []
            for j, p in enumerate(plist):
                t = tuple(int(x) for x in p)
                if not t or min(t) < 0 or max(t) >= self.n_links:
                    problems.append(Problem("", f"reroute()[{c}].paths[{j}]", "bad link index"))
                tup.append(t)
            probs = [float(q) for q in probs]
            if len(probs) != len(tup) or any(q < 0 for q in probs) or sum(probs) <= 0:
                problems.append(Problem("", f"reroute()[{c}].probs", "one weight >= 0 per path"))
                probs = [1.0] * len(tup)
            paths.append(tup)
            cums.append(_cumulative(probs))
        if problems:
            raise ValidationError(problems)
        return PathSet(paths, cums)


def compile_model(
    network: SimNetwork,
    classes: Sequence[TrafficClass],
    pools: Sequence[ServerPool] = (),
    *,
    pool_routing=None,
    failures: LinkFailures | None = None,
    reroute: Reroute | None = None,
) -> Compiled:
    """Check the model and flatten it (see :class:`Compiled`).

    Examples
    --------
    >>> net = SimNetwork(("l0", "l1"), [10.0, 5.0])
    >>> c = TrafficClass("v", "stream", paths=[[0, 1]], arrival_rate_per_s=1.0,
    ...                  bandwidth_mbps=2.0, holding_s=1.0)
    >>> cm = compile_model(net, [c])
    >>> cm.cap_kbps, cm.bw_kbps, cm.base.paths
    ([10000, 5000], [2000], [[(0, 1)]])
    """
    classes = tuple(classes)
    pools = tuple(pools)
    routing = check_model(network, classes, pools, pool_routing, failures)
    n_c = len(classes)
    kind = [KIND_CODE[c.kind] for c in classes]
    bw = [int(round(c.bandwidth_mbps * 1000)) if c.kind == "stream" else 0 for c in classes]
    mean_x = np.zeros(n_c)
    mean_y = np.zeros(n_c)
    pool_of = [-1] * n_c
    for i, c in enumerate(classes):
        if c.kind == "stream":
            mean_x[i] = c.holding_s
        elif c.kind == "elastic":
            mean_x[i] = c.size_mbit
        else:
            pool_of[i] = int(c.pool)
            mean_x[i] = c.service_s if c.service_s is not None else pools[c.pool].service_s
            mean_y[i] = c.response_mbit
    det = np.array([c.dist == "deterministic" for c in classes], dtype=bool)
    rates = np.zeros((n_c, 24))
    traces = {}
    for i, c in enumerate(classes):
        if c.arrival_times_s is not None:
            traces[i] = c.arrival_times_s
        else:
            rates[i] = c.arrival_rate_per_s
    cap_mbps = network.capacity_mbps.tolist()
    cap_kbps = [int(np.floor(v * 1000 + 1e-6)) for v in cap_mbps]
    base_paths = [[tuple(p.tolist()) for p in c.paths] for c in classes]
    base_cum = [_cumulative(c.path_probs.tolist()) for c in classes]
    route_cum: list = [None] * len(pools)
    route_dest: list = [None] * len(pools)
    if routing is not None:
        for i in range(len(pools)):
            dest = np.flatnonzero(routing[i] > 0)
            if dest.size:
                route_dest[i] = dest.tolist()
                route_cum[i] = np.cumsum(routing[i, dest]).tolist()
    return Compiled(
        network=network,
        classes=classes,
        pools=pools,
        failures=failures,
        reroute=reroute,
        n_links=network.n_links,
        n_classes=n_c,
        n_pools=len(pools),
        class_ids=tuple(c.id for c in classes),
        kind=kind,
        bw_kbps=bw,
        mean_x=mean_x,
        mean_y=mean_y,
        deterministic=det,
        pool_of=pool_of,
        rate_per_s=rates,
        traces=traces,
        cap_kbps=cap_kbps,
        cap_mbps=cap_mbps,
        latency_s=(network.latency_ms / 1000.0).tolist(),
        servers=[p.servers for p in pools],
        pool_service_s=[p.service_s for p in pools],
        pool_routing=routing,
        route_cum=route_cum,
        route_dest=route_dest,
        base=PathSet(base_paths, base_cum),
    )
