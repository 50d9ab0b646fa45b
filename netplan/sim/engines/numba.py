"""The compiled engine: simpy for the run's events, :mod:`netplan.sim.engines.kernel` for sessions.

The simpy calendar holds the events that shape the run: the end of the warm-up, the
utilisation samples, random and scripted link failures and repairs, and the end. Every
one of their callbacks ends by letting the kernel handle all session events (arrivals,
departures, completions, server completions) up to the calendar's next event. A failure
callback cuts what runs over the link and swaps in the paths of the new failure state,
in Python, between two kernel calls. This module owns the kernel's arrays
(:class:`KernelState`) and grows or refills them when the kernel asks.

Results, seeds and draws are those of the pure-Python engine
(:func:`netplan.sim.engines.python.run_replication_python`): the same arrivals, the same
uniform and exponential draws during the run, the same models. The two agree to rounding
(``tests/test_sim_kernel.py``).
"""

from __future__ import annotations

import logging

import numpy as np
import simpy
from simpy.events import Timeout

from netplan.sim.engines import kernel as K
from netplan.sim.engines.common import (
    DRAW_BLOCK,
    draw_generators,
    replication_results,
    schedule_failures,
    substreams,
)
from netplan.sim.engines.tables import Compiled, PathSet

__all__ = ["KernelState", "run_replication_compiled"]

log = logging.getLogger(__name__)


def _path_tables(ps: PathSet, n_classes: int) -> tuple:
    """A :class:`PathSet` as flat arrays: first path, count, cumulative probs, links, length."""
    first = np.zeros(n_classes, np.int64)
    count = np.zeros(n_classes, np.int64)
    flat: list = []
    cum: list = []
    for c in range(n_classes):
        paths = ps.paths[c]
        first[c] = len(flat)
        count[c] = len(paths)
        flat.extend(paths)
        probs = ps.cum[c]
        cum.extend(probs if probs is not None else [1.0] * len(paths))
    width = max((len(p) for p in flat), default=1)
    links = np.full((max(len(flat), 1), max(width, 1)), -1, np.int64)
    length = np.zeros(max(len(flat), 1), np.int64)
    for i, p in enumerate(flat):
        links[i, : len(p)] = p
        length[i] = len(p)
    return first, count, np.asarray(cum + [1.0], float), links, length


def _grown(arrays: tuple, size: int, width: int | None = None) -> tuple:
    """Copies of ``arrays`` with ``size`` rows (and 2-D ones ``width`` columns)."""
    out = []
    for a in arrays:
        shape = (size,) + ((width if width is not None else a.shape[1],) if a.ndim == 2 else ())
        b = np.zeros(shape, dtype=a.dtype)
        b[tuple(slice(0, n) for n in a.shape)] = a
        out.append(b)
    return tuple(out)


class KernelState:
    """The arrays the kernel works on, and how to grow them.

    Parameters
    ----------
    cm : Compiled
        The model.
    warm : float
        End of the warm-up, s.
    width : int
        Link columns of the stream and flow tables (widened by :meth:`set_paths`).
    """

    def __init__(self, cm: Compiled, warm: float, width: int) -> None:
        n_links, n_cls, n_pools = cm.n_links, cm.n_classes, cm.n_pools
        route_first = [0]
        route_cum: list = []
        route_dest: list = []
        for p in range(n_pools):
            if cm.route_cum[p] is not None:
                route_cum += cm.route_cum[p]
                route_dest += cm.route_dest[p]
            route_first.append(len(route_cum))
        self.model = (
            np.asarray(cm.kind, np.int64),
            np.asarray(cm.bw_kbps, np.int64),
            np.asarray(cm.pool_of, np.int64),
            np.asarray(cm.cap_kbps, np.int64),
            np.asarray(cm.latency_s, float),
            np.asarray(cm.servers, np.int64).reshape(n_pools),
            np.asarray(route_first, np.int64),
            np.asarray(route_cum + [1.0], float),
            np.asarray(route_dest + [0], np.int64),
            np.asarray(cm.pool_service_s, float).reshape(n_pools),
            np.asarray([p.dist == "deterministic" for p in cm.pools], np.bool_).reshape(n_pools),
        )
        self.links = (
            np.asarray(cm.cap_kbps, np.int64).copy(),
            np.ones(n_links, np.int8),
            np.zeros(n_links, np.int64),
            np.zeros(n_links),
        )
        self.counts = tuple(np.zeros(n_cls, np.int64) for _ in range(4))
        self.arrivals = (np.zeros(0), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0))
        self.heap = (np.zeros(1024), np.zeros(1024, np.int64), np.zeros(1024, np.int64))
        self.width = width
        # streams: class, kbit/s, links, path length, state (1 holding, 2 cut)
        self.streams = self._slots((np.int64, np.int64, "links", np.int64, np.int8), 256)
        # flows: links, path length, remaining Mbit, rate, as-of time, finish time, class,
        # start time, owning request (-1: none), and the list of active slots
        self.flows = self._slots(
            ("links", np.int64, float, float, float, float, np.int64, float, np.int64, np.int64),
            256,
        )
        # requests: class, arrival time, path draw, response Mbit, pool, time it entered
        # the pool, service time while queued, next in the queue
        self.reqs = self._slots(
            (np.int64, float, float, float, np.int64, float, float, np.int64), 256
        )
        self.pools = (
            np.zeros(n_pools, np.int64),  # busy servers
            np.full(n_pools, -1, np.int64),  # queue head
            np.full(n_pools, -1, np.int64),  # queue tail
            np.zeros(n_pools, np.int64),  # queue length
            np.zeros(n_pools),  # last touched
            np.zeros(n_pools),  # area: in system
            np.zeros(n_pools),  # area: queue
            np.zeros(n_pools),  # area: busy
            np.zeros(n_pools),  # waits, sum
            np.zeros(n_pools, np.int64),  # waits, count
            np.zeros(n_pools),  # sojourns, sum
            np.zeros(n_pools, np.int64),  # sojourns, count
        )
        self.resp = (np.zeros(4096, np.int64), np.zeros(4096))
        self.draws = (np.zeros(0), np.zeros(0))
        self.cur = np.zeros(K.N_CURSOR, np.int64)
        self.cur[K.C_STREAM_FREE] = len(self.streams[0])
        self.cur[K.C_FLOW_FREE] = len(self.flows[0])
        self.cur[K.C_REQ_FREE] = len(self.reqs[0])
        self.fcur = np.zeros(K.N_FCURSOR)
        self.fcur[K.F_EL_NEXT] = np.inf
        self.fcur[K.F_WARM] = warm
        self.paths: tuple = ()
        # the model caches one PathSet per failure state; flatten each only once
        self._tables: dict[int, tuple] = {}

    def _slots(self, dtypes: tuple, size: int) -> tuple:
        """A slot table: one array per field, plus the free-slot stack (all slots free)."""
        arrays = [
            np.full((size, self.width), -1, np.int64) if d == "links" else np.zeros(size, d)
            for d in dtypes
        ]
        return (*arrays, np.arange(size - 1, -1, -1, dtype=np.int64))

    def set_paths(self, ps: PathSet, n_classes: int) -> None:
        """Use the paths of ``ps`` from now on (widening the link columns if need be)."""
        key = id(ps)
        if key not in self._tables:
            # holding ps keeps its id from being reused by another object
            self._tables[key] = (ps, _path_tables(ps, n_classes))
        tables = self._tables[key][1]
        width = tables[3].shape[1]
        if width > self.width:
            self.width = width
            self.streams = _grown(self.streams, len(self.streams[0]), width)
            self.flows = _grown(self.flows, len(self.flows[1]), width)
        self.paths = tables

    def grow(self) -> None:
        """Double whatever table is full (the kernel asked for room)."""
        cur = self.cur
        if cur[K.C_STREAM_FREE] == 0:
            self.streams = self._grow_slots(self.streams, K.C_STREAM_FREE)
        if cur[K.C_FLOW_FREE] == 0:
            self.flows = self._grow_slots(self.flows, K.C_FLOW_FREE)
        if cur[K.C_REQ_FREE] == 0:
            self.reqs = self._grow_slots(self.reqs, K.C_REQ_FREE)
        if cur[K.C_HEAP_N] >= len(self.heap[0]) - 1:
            self.heap = _grown(self.heap, 2 * len(self.heap[0]))
        if cur[K.C_RESP_N] + cur[K.C_FLOWS] + 1 >= len(self.resp[1]):
            size = 2 * (len(self.resp[1]) + int(cur[K.C_FLOWS]))
            self.resp = _grown(self.resp, size)

    def make_room(self, streams: int, heap: int) -> None:
        """Grow the stream table and the calendar until they have this much room."""
        while self.cur[K.C_STREAM_FREE] < streams:
            self.streams = self._grow_slots(self.streams, K.C_STREAM_FREE)
        while len(self.heap[0]) - self.cur[K.C_HEAP_N] < heap + 2:
            self.heap = _grown(self.heap, 2 * len(self.heap[0]))

    def _grow_slots(self, table: tuple, free_at: int) -> tuple:
        old = len(table[-1])
        n_free = int(self.cur[free_at])
        fields = _grown(table[:-1], 2 * old)
        # the free stack keeps its slots and gains the new ones on top
        stack = np.zeros(2 * old, np.int64)
        stack[:n_free] = table[-1][:n_free]
        stack[n_free : n_free + old] = np.arange(2 * old - 1, old - 1, -1)
        self.cur[free_at] = n_free + old
        return (*fields, stack)


def run_replication_compiled(
    cm: Compiled,
    seed_seq: np.random.SeedSequence,
    *,
    warmup_s: float,
    duration_s: float,
    start_hour: float = 0.0,
    sample_interval_s: float | None = None,
    batch_target: int = 16384,
    keep_raw: bool = False,
    warm_start: bool = False,
) -> dict:
    """One replication on the compiled kernel (``engine="compiled"``).

    Parameters and results are those of :func:`netplan.sim.engines.run_replication`.

    Examples
    --------
    >>> from netplan.sim.model import SimNetwork, TrafficClass
    >>> from netplan.sim.engines.tables import compile_model
    >>> net = SimNetwork(("l0",), [10.0])
    >>> c = TrafficClass("v", "stream", paths=[[0]], arrival_rate_per_s=5.0,
    ...                  bandwidth_mbps=1.0, holding_s=1.0)
    >>> out = run_replication_compiled(compile_model(net, [c]), np.random.SeedSequence(1),
    ...                                warmup_s=10.0, duration_s=200.0)
    >>> bool(0.0 < out["blocking"][0] < 0.06)
    True
    """
    ss_arrivals, ss_failures, ss_misc, ss_initial = substreams(seed_seq)
    warm = float(warmup_s)
    end = warm + float(duration_s)
    if sample_interval_s is None:
        sample_interval_s = max(float(duration_s) / 400.0, 1e-9)
    env = simpy.Environment()
    n_links = cm.n_links
    st = KernelState(cm, warm, width=1)
    st.set_paths(cm.base, cm.n_classes)  # widens the link columns to the longest path
    rng_uni, rng_exp = draw_generators(ss_misc)
    source = cm.arrival_source(ss_arrivals, start_hour, end, batch_target, as_arrays=True)
    generated = 0

    def run_kernel(until: float) -> None:
        """Let the kernel handle every session event before ``until``."""
        nonlocal generated
        cur = st.cur
        while True:
            code = K.advance(
                until, st.model, st.paths, st.links, st.counts, st.arrivals, st.heap,
                st.streams, st.flows, st.reqs, st.pools, st.draws, st.resp, cur, st.fcur,
            )
            if code == K.DONE:
                return
            if code == K.NEED_ARRIVALS:
                batch = next(source, None)
                if batch is None:
                    cur[K.C_ARR_END] = 1
                    cur[K.C_ARR] = cur[K.C_ARR_N] = 0
                else:
                    st.arrivals = (batch.time_s, batch.cls, batch.u, batch.x, batch.y)
                    cur[K.C_ARR] = 0
                    cur[K.C_ARR_N] = len(batch.time_s)
                    generated += len(batch.time_s)
            elif code == K.NEED_DRAWS:
                if cur[K.C_UNI] >= len(st.draws[0]):
                    st.draws = (rng_uni.random(DRAW_BLOCK), st.draws[1])
                    cur[K.C_UNI] = 0
                if cur[K.C_EXP] >= len(st.draws[1]):
                    st.draws = (st.draws[0], rng_exp.standard_exponential(DRAW_BLOCK))
                    cur[K.C_EXP] = 0
            else:
                st.grow()

    def catch_up() -> None:
        """Handle the session events up to the calendar's next event."""
        run_kernel(env.peek())

    # ---------------------------------------------------------------- failures
    up = st.links[1]
    failures_n = np.zeros(n_links, np.int64)
    down_since = np.zeros(n_links)
    down_total = np.zeros(n_links)

    def set_paths() -> None:
        st.set_paths(cm.paths_for(up == 0), cm.n_classes)

    def link_down(link: int, t: float) -> None:
        if not up[link]:
            return
        failures_n[link] += 1
        down_since[link] = t
        K.cut_link(st.links, st.counts, st.streams, st.flows, st.reqs, st.cur, st.fcur, link, t)
        set_paths()

    def link_up(link: int, t: float) -> None:
        if up[link]:
            return
        up[link] = 1
        st.links[0][link] = cm.cap_kbps[link]
        lo = max(down_since[link], warm)
        if t > lo:
            down_total[link] += t - lo
        set_paths()

    schedule_failures(env, cm, ss_failures, end, link_down, link_up, catch_up)

    # ---------------------------------------------------------------- warm-up, samples
    snap: dict = {}

    def take_snapshot() -> None:
        arrived, blocked, cut, done = st.counts
        snap.update(
            arrived=arrived.copy(), blocked=blocked.copy(), cut=cut.copy(), done=done.copy(),
            failures=failures_n.copy(),
        )

    take_snapshot()

    def warmed(ev) -> None:
        take_snapshot()
        catch_up()

    link_samples: list = []
    queue_samples: list = []
    cap_kbps = np.asarray(cm.cap_kbps, float)
    cap_mbps = np.asarray(cm.cap_mbps, float)

    def sample(ev) -> None:
        el_mbps = K.elastic_link_mbps(st.links, st.flows, st.cur)
        stream_mbps = (cap_kbps - st.links[0]) * 0.001
        link_samples.append(np.where(up == 1, (stream_mbps + el_mbps) / cap_mbps, 0.0))
        queue_samples.append(st.pools[3].copy())
        if env.now + sample_interval_s < end:
            Timeout(env, sample_interval_s, None).callbacks.append(sample)
        catch_up()

    if warm_start:
        cls0, u0, rest0 = cm.initial_streams(ss_initial, start_hour)
        st.make_room(streams=len(cls0), heap=len(cls0))
        K.admit_initial_streams(st.model, st.paths, st.links, st.heap, st.streams, st.cur,
                                cls0, u0, rest0)

    Timeout(env, 0.0, None).callbacks.append(lambda ev: catch_up())
    if warm > 0:
        Timeout(env, warm, None).callbacks.append(warmed)
    if warm + sample_interval_s < end:
        Timeout(env, warm + sample_interval_s, None).callbacks.append(sample)

    env.run(until=end)
    run_kernel(end)

    return _results(cm, st, snap, link_samples, queue_samples, failures_n, down_since,
                    down_total, warm=warm, end=end, duration_s=float(duration_s),
                    keep_raw=keep_raw, generated=generated)


def _results(cm: Compiled, st: KernelState, snap: dict, link_samples: list,
             queue_samples: list, failures_n, down_since, down_total, *, warm: float,
             end: float, duration_s: float, keep_raw: bool, generated: int) -> dict:
    """Close the pool integrals and down times at ``end``; the replication's metrics."""
    n_links, n_pools = cm.n_links, cm.n_pools
    pools, up = st.pools, st.links[1]
    for p in range(n_pools):
        K.pool_touch(pools, p, end, warm)
    for link in range(n_links):
        if not up[link]:
            lo = max(down_since[link], warm)
            if end > lo:
                down_total[link] += end - lo
    n_resp = int(st.cur[K.C_RESP_N])
    resp_cls, resp_s = st.resp[0][:n_resp], st.resp[1][:n_resp]
    order = np.argsort(resp_cls, kind="stable")
    bounds = np.searchsorted(resp_cls[order], np.arange(cm.n_classes + 1))
    sorted_s = resp_s[order]
    responses = [sorted_s[bounds[c] : bounds[c + 1]] for c in range(cm.n_classes)]
    arrived, blocked, cut, done = st.counts
    log.debug("replication done: %d arrivals, %d generated", int(arrived.sum()), generated)
    return replication_results(
        counters={"arrived": arrived, "blocked": blocked, "cut": cut, "done": done,
                  "failures": failures_n},
        snapshot=snap,
        responses=responses,
        link_samples=link_samples,
        queue_samples=queue_samples,
        down_total_s=down_total,
        pools={
            "servers": cm.servers,
            "area_sys": pools[5],
            "area_q": pools[6],
            "area_busy": pools[7],
            "wait_sum": pools[8],
            "wait_n": pools[9],
            "soj_sum": pools[10],
            "soj_n": pools[11],
        },
        n_links=n_links,
        n_pools=n_pools,
        duration_s=duration_s,
        keep_raw=keep_raw,
    )

