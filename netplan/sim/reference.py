"""The naive process-per-session simulator: a cross-check and the speed baseline.

Every session is a simpy process; every link is a :class:`simpy.Container` of kbit/s; every
server pool is a :class:`simpy.Resource`; every elastic transfer is a process that sleeps
until it would finish and is interrupted whenever its rate changes. This is how a model is
usually first written with simpy. It implements the same models as
:mod:`netplan.sim.engines.python` and reads the same pre-generated arrivals, so for one seed
both see identical sessions: streams are admitted or blocked identically, and transfer and
response times agree to rounding. It supports neither failures nor routing between pools.
"""

from __future__ import annotations

import numpy as np
import simpy

from netplan.errors import NetplanError
from netplan.sim.engines.common import pick_path, substreams
from netplan.sim.engines.tables import Compiled

__all__ = ["run_reference"]


def run_reference(
    cm: Compiled,
    seed_seq: np.random.SeedSequence,
    *,
    warmup_s: float,
    duration_s: float,
    start_hour: float = 0.0,
    batch_target: int = 16384,
) -> dict:
    """Simulate one replication the process-per-session way.

    Parameters and seeding match :func:`netplan.sim.engines.run_replication`.

    Returns
    -------
    dict
        ``offered``, ``blocked``, ``blocking``, ``completed`` (per class),
        ``response_times_s`` (list per class, sessions arriving after the warm-up) and
        ``_arrivals``.

    Examples
    --------
    >>> from netplan.sim.model import SimNetwork, TrafficClass
    >>> from netplan.sim.engines.tables import compile_model
    >>> net = SimNetwork(("l0",), [10.0])
    >>> c = TrafficClass("v", "stream", paths=[[0]], arrival_rate_per_s=5.0,
    ...                  bandwidth_mbps=1.0, holding_s=1.0)
    >>> out = run_reference(compile_model(net, [c]), np.random.SeedSequence(1),
    ...                     warmup_s=10.0, duration_s=200.0)
    >>> bool(0.0 < out["blocking"][0] < 0.06)
    True
    """
    if cm.failures is not None or cm.pool_routing is not None:
        raise NetplanError("the reference model supports neither failures nor pool routing")
    ss_arrivals = substreams(seed_seq)[0]
    warm = float(warmup_s)
    end = warm + float(duration_s)
    env = simpy.Environment()
    links = [simpy.Container(env, capacity=c, init=c) for c in cm.cap_kbps]
    pools = [simpy.Resource(env, capacity=s) for s in cm.servers]
    n_cls = cm.n_classes
    arrived = [0] * n_cls
    blocked = [0] * n_cls
    done = [0] * n_cls
    snap: dict = {}
    resp: list[list[float]] = [[] for _ in range(n_cls)]
    paths, cums = cm.base.paths, cm.base.cum

    # elastic transfers: each is a dict {path, rate, proc}; flows_on[link] = set of ids
    flows: dict = {}
    flows_on = [set() for _ in range(cm.n_links)]

    def rate_of(path) -> float:
        return max(min(links[k].level / len(flows_on[k]) for k in path) * 0.001, 0.0)

    def shares_changed(path) -> None:
        for k in path:
            for fid in list(flows_on[k]):
                f = flows[fid]
                if f["proc"] is not None and rate_of(f["path"]) != f["rate"]:
                    f["proc"].interrupt()

    def transfer(fid: int, path, size: float):
        remaining = size
        for k in path:
            flows_on[k].add(fid)
        flows[fid] = {"path": path, "rate": 0.0, "proc": None}
        shares_changed(path)
        flows[fid]["proc"] = env.active_process
        while True:
            rate = rate_of(path)
            flows[fid]["rate"] = rate
            started = env.now
            try:
                if rate > 0:
                    yield env.timeout(max(remaining, 0.0) / rate)
                    break
                yield env.event()  # stalled until a share changes
            except simpy.Interrupt:
                remaining -= rate * (env.now - started)
        del flows[fid]
        for k in path:
            flows_on[k].discard(fid)
        shares_changed(path)

    def stream(c: int, path, hold: float):
        bw = cm.bw_kbps[c]
        if path is None or any(links[k].level < bw for k in path):
            blocked[c] += 1
            return
        taken = [links[k].get(bw) for k in path]  # each succeeds at once: room was checked
        shares_changed(path)
        yield env.all_of(taken)
        yield env.timeout(hold)
        returned = [links[k].put(bw) for k in path]
        shares_changed(path)
        yield env.all_of(returned)
        done[c] += 1

    def elastic(fid: int, c: int, path, size: float, t0: float):
        if path is None:
            blocked[c] += 1
            return
        yield from transfer(fid, path, size)
        done[c] += 1
        if t0 >= warm:
            resp[c].append(env.now - t0)

    def request(fid: int, c: int, u: float, service: float, size: float, t0: float):
        if not paths[c]:
            blocked[c] += 1
            return
        with pools[cm.pool_of[c]].request() as slot:
            yield slot
            yield env.timeout(service)
        path = pick_path(paths[c], cums[c], u)
        if size > 0:
            yield from transfer(fid, path, size)
        done[c] += 1
        if t0 >= warm:
            rtt = 2.0 * sum(cm.latency_s[k] for k in path)
            resp[c].append(env.now - t0 + rtt)

    source = cm.arrival_source(ss_arrivals, start_hour, end, batch_target)

    def generator():
        fid = 0
        for batch in source:
            for t, c, u, x, y in zip(
                batch.time_s, batch.cls, batch.u, batch.x, batch.y, strict=True
            ):
                yield env.timeout(t - env.now)
                arrived[c] += 1
                kind = cm.kind[c]
                fid += 1
                if kind == 0:
                    env.process(stream(c, pick_path(paths[c], cums[c], u), x))
                elif kind == 1:
                    env.process(elastic(fid, c, pick_path(paths[c], cums[c], u), x, t))
                else:
                    env.process(request(fid, c, u, x, y, t))

    def warmed():
        yield env.timeout(warm)
        snap["arrived"], snap["blocked"], snap["done"] = list(arrived), list(blocked), list(done)

    env.process(generator())
    if warm > 0:
        env.process(warmed())
    else:
        snap["arrived"] = snap["blocked"] = snap["done"] = [0] * n_cls
    env.run(until=end)
    return _results(arrived, blocked, done, snap, resp)


def _results(arrived: list, blocked: list, done: list, snap: dict, resp: list) -> dict:
    """Per-class counts of the measured period (totals minus the warm-up's), blocking."""
    offered = np.asarray(arrived, float) - np.asarray(snap["arrived"], float)
    n_blocked = np.asarray(blocked, float) - np.asarray(snap["blocked"], float)
    with np.errstate(invalid="ignore", divide="ignore"):
        blocking = np.where(offered > 0, n_blocked / np.where(offered > 0, offered, 1), np.nan)
    return {
        "offered": offered,
        "blocked": n_blocked,
        "blocking": blocking,
        "completed": np.asarray(done, float) - np.asarray(snap["done"], float),
        "response_times_s": resp,
        "_arrivals": sum(arrived),
    }
