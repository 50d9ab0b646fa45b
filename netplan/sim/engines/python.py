"""The flow-level simulator: simpy's event calendar, callbacks and flat array state.

One replication runs on one :class:`simpy.Environment`. There are no simpy processes and
no per-session resources: the calendar holds timed events (a stream's departure, the next
elastic completion, a server finishing, a failure, a repair, a sample) and each event's
callback updates plain lists indexed by link, pool or class.

Arrivals are pre-generated with numpy in time-ordered batches (:mod:`netplan.sim.arrivals`)
and merged with the calendar: at the end of every callback, each pending arrival earlier
than the calendar's next event is handled, in time order. An arrival therefore costs no
calendar event, and the calendar still decides the order of everything.

The models
----------
stream
    Holds ``bandwidth_mbps`` on every link of its path for its holding time. Blocked (lost)
    when any link lacks room (a loss network); cut, and counted, when a link of its path
    fails. Bandwidth is accounted in whole kbit/s.
elastic
    A transfer shares bandwidth with the other transfers. Each link gives its elastic
    flows equal shares of the capacity that streams leave free; a flow's rate is the
    smallest share along its path, recomputed for the flows of every link whose state
    changes (an arrival, a departure, a stream admitted or released, a failure). This is
    per-link processor sharing bounded by the bottleneck, an approximation of max-min
    fairness that does not hand unused shares to the other flows; on a single link it is
    exactly M/G/1 processor sharing. Blocked only when its path is down.
request
    Queues FIFO for a server in its pool (c servers, unlimited queue), is served, may be
    routed to further pools (an open queueing network), and its response then travels
    back over the path as an elastic transfer. Response time = queueing + service +
    transfer + round-trip propagation over the response path.

Warm-up, counting and samples
-----------------------------
Counters (arrivals, blocked, cut, completed, failures) are snapshotted at the end of the
warm-up and differenced at the end. Response times are kept for sessions that arrive
after the warm-up and finish before the end. Pool occupancy is integrated exactly over
time after the warm-up; link utilisation and pool queue lengths are also sampled at a
fixed interval.
"""

from __future__ import annotations

import itertools
import logging
from bisect import bisect_right
from collections import deque
from heapq import heapify, heappop, heappush

import numpy as np
import simpy
from simpy.events import Timeout

from netplan.sim.engines.tables import Compiled

__all__ = ["run_replication"]

log = logging.getLogger(__name__)

_INF = float("inf")


class _Draws:
    """A buffered stream of uniform or unit-exponential draws from one generator."""

    __slots__ = ("_rng", "_buf", "_i", "_exp")

    def __init__(self, rng: np.random.Generator, exponential: bool) -> None:
        self._rng = rng
        self._exp = exponential
        self._buf: list = []
        self._i = 0

    def __call__(self) -> float:
        if self._i >= len(self._buf):
            n = DRAW_BLOCK
            arr = self._rng.standard_exponential(n) if self._exp else self._rng.random(n)
            self._buf = arr.tolist()
            self._i = 0
        v = self._buf[self._i]
        self._i += 1
        return v


def substreams(seed_seq: np.random.SeedSequence) -> tuple:
    """Arrival, failure, in-run and initial-state seeds of one replication.

    Derived from the sequence's entropy and spawn key without spawning, so calling this
    twice on one object (engine and reference on the same seed) gives the same streams.
    """
    return tuple(
        np.random.SeedSequence(seed_seq.entropy, spawn_key=(*seed_seq.spawn_key, k))
        for k in range(4)
    )


def draw_generators(ss_misc: np.random.SeedSequence) -> tuple:
    """Generators of the uniform and of the exponential draws made during a run.

    Two generators rather than one, so the values drawn do not depend on when each
    buffer is refilled: both engines see the same draws whatever their buffering.
    """
    return tuple(
        np.random.default_rng(
            np.random.SeedSequence(ss_misc.entropy, spawn_key=(*ss_misc.spawn_key, k))
        )
        for k in range(2)
    )


DRAW_BLOCK = 4096
"""Draws generated at a time by either engine."""


def _pick(paths: list, cum: list | None, u: float):
    """The path a session with uniform draw ``u`` takes, or None when there is none."""
    if cum is None:
        return paths[0] if paths else None
    j = bisect_right(cum, u)
    return paths[j if j < len(paths) else -1]


def run_replication(
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
    engine: str = "compiled",
) -> dict:
    """Simulate one replication and return its raw per-class, per-link and per-pool values.

    Parameters
    ----------
    cm : Compiled
        The model (from :func:`netplan.sim.engines.tables.compile_model`).
    seed_seq : numpy.random.SeedSequence
        This replication's seed; it is split into independent streams for arrivals,
        failures and the draws made during the run.
    warmup_s, duration_s : float
        Length of the discarded warm-up and of the measured period, s.
    start_hour : float
        Hour of day at time 0 (selects the hourly arrival rates).
    sample_interval_s : float, optional
        Sampling interval of link utilisation and queue lengths (default: duration/400).
    batch_target : int
        Arrivals per pre-generated batch.
    keep_raw : bool
        Also return ``"_responses"`` (per class, the measured response times, s),
        ``"_link_samples"`` (samples x links utilisation) and ``"_queue_samples"``
        (samples x pools waiting), for aggregates over groups of classes and time series.
    warm_start : bool
        Start with stream sessions already in progress, drawn from their no-blocking
        equilibrium (:func:`netplan.sim.arrivals.initial_streams`), so long sessions do
        not need hours of warm-up. Their departures count as completions: use it with
        a warm-up.
    engine : {"compiled", "python"}
        ``compiled`` (default): simpy holds the run's events and the numba kernel of
        :mod:`netplan.sim.engines.kernel` the sessions' events (:mod:`netplan.sim.engines.numba`).
        ``python``: every event on simpy's calendar, handled in Python (this module) --
        the same models, draws and results to rounding, several times slower.

    Returns
    -------
    dict
        Metric name to numpy array (see :data:`netplan.sim.result.METRICS`), plus
        ``"_arrivals"``: sessions generated over the whole run (warm-up included).

    Examples
    --------
    >>> from netplan.sim.model import SimNetwork, TrafficClass
    >>> from netplan.sim.engines.tables import compile_model
    >>> net = SimNetwork(("l0",), [10.0])
    >>> c = TrafficClass("v", "stream", paths=[[0]], arrival_rate_per_s=5.0,
    ...                  bandwidth_mbps=1.0, holding_s=1.0)
    >>> out = run_replication(compile_model(net, [c]), np.random.SeedSequence(1),
    ...                       warmup_s=10.0, duration_s=200.0)
    >>> bool(0.0 < out["blocking"][0] < 0.06)
    True
    """
    options = {
        "warmup_s": warmup_s,
        "duration_s": duration_s,
        "start_hour": start_hour,
        "sample_interval_s": sample_interval_s,
        "batch_target": batch_target,
        "keep_raw": keep_raw,
        "warm_start": warm_start,
    }
    if engine == "compiled":
        from netplan.sim.engines.numba import run_replication_compiled

        return run_replication_compiled(cm, seed_seq, **options)
    if engine == "python":
        return _run_python(cm, seed_seq, **options)
    raise ValueError(f"engine must be 'compiled' or 'python', got {engine!r}")


def _run_python(
    cm: Compiled,
    seed_seq: np.random.SeedSequence,
    *,
    warmup_s: float,
    duration_s: float,
    start_hour: float,
    sample_interval_s: float | None,
    batch_target: int,
    keep_raw: bool,
    warm_start: bool,
) -> dict:
    """One replication with every event on simpy's calendar (``engine="python"``)."""
    ss_arrivals, ss_failures, ss_misc, ss_initial = substreams(seed_seq)
    warm = float(warmup_s)
    end = warm + float(duration_s)
    if sample_interval_s is None:
        sample_interval_s = max(float(duration_s) / 400.0, 1e-9)
    env = simpy.Environment()

    n_links, n_cls, n_pools = cm.n_links, cm.n_classes, cm.n_pools
    kind = cm.kind
    bwk = cm.bw_kbps
    pool_of = cm.pool_of
    cap_kbps = cm.cap_kbps
    lat_s = cm.latency_s
    free = list(cap_kbps)  # kbit/s free for streams; -1 while the link is down
    up = [True] * n_links
    paths_now = cm.base.paths
    cum_now = cm.base.cum

    arrived = [0] * n_cls
    blocked = [0] * n_cls
    cut = [0] * n_cls
    done = [0] * n_cls
    failures_n = [0] * n_links
    resp: list[list[float]] = [[] for _ in range(n_cls)]

    # streams: session id -> (class, path, kbit/s), kept only when links can fail
    active: dict = {}
    tracking = cm.failures is not None
    sid_counter = itertools.count()

    # elastic flows: id -> [path, bottleneck link, tag, version, class, t0, owner, multi, id]
    # A flow is served at the share of its bottleneck link ``b``; ``tag`` is the value of
    # b's virtual clock (Mbit served to each of its flows) at which the flow finishes.
    flows: dict = {}
    el_n = [0] * n_links
    el_multi = [set() for _ in range(n_links)]
    foreign: list = [{} for _ in range(n_links)]  # bottleneck link -> flows here limited there
    at_paths: list = [{} for _ in range(n_links)]  # path -> flows limited at this link
    fmax = [0.0] * n_links  # upper bound of the rates of flows here limited elsewhere
    share = [0.0] * n_links  # Mbit/s each elastic flow on the link may take
    vt = [0.0] * n_links  # virtual clock value at vt_t
    vt_t = [0.0] * n_links
    lheap: list = [[] for _ in range(n_links)]  # (tag, version, id, flow) limited at the link
    lver = [0] * n_links
    gheap: list = []  # (finish time, link version, link): next completion per link
    fid_counter = itertools.count()
    el_token = 0
    el_at = _INF

    # pools
    servers = cm.servers
    busy = [0] * n_pools
    queues = [deque() for _ in range(n_pools)]
    p_last = [0.0] * n_pools
    area_sys = [0.0] * n_pools
    area_q = [0.0] * n_pools
    area_busy = [0.0] * n_pools
    wait_sum = [0.0] * n_pools
    wait_n = [0] * n_pools
    soj_sum = [0.0] * n_pools
    soj_n = [0] * n_pools
    route_cum = cm.route_cum
    route_dest = cm.route_dest
    pool_svc = cm.pool_service_s
    pool_det = [p.dist == "deterministic" for p in cm.pools]

    rng_uni, rng_exp = draw_generators(ss_misc)
    uni = _Draws(rng_uni, exponential=False)
    expo = _Draws(rng_exp, exponential=True)

    source = cm.arrival_source(ss_arrivals, start_hour, end, batch_target)
    f_t: list = []
    f_c: list = []
    f_u: list = []
    f_x: list = []
    f_y: list = []
    f_i = 0
    f_n = 0
    f_total = 0
    next_at = -_INF  # time of the next arrival not yet handled

    # ---------------------------------------------------------------- elastic sharing
    def el_before(links, t: float) -> None:
        """Bring the virtual clocks of ``links`` to ``t`` before their shares change."""
        for k in links:
            vt[k] += share[k] * (t - vt_t[k])
            vt_t[k] = t

    def el_after(links, t: float, new=None) -> None:
        """New shares on ``links``; move flows whose bottleneck changed; re-arm."""
        olds = []
        for k in links:
            n = el_n[k]
            old = share[k]
            olds.append(old)
            s_k = free[k] * 0.001 / n if n else 0.0
            share[k] = s_k
            if s_k > old:  # keep fmax an upper bound of the rates of flows limited at k
                for p in at_paths[k]:
                    for j in p:
                        if fmax[j] < s_k and j != k:
                            fmax[j] = s_k
        if new is not None:
            f = new
            b = -1
            sb = _INF
            for k in f[0]:
                if share[k] < sb:
                    sb = share[k]
                    b = k
            f[1] = b
            f[2] = vt[b] + f[2]  # f[2] held the size; vt[b] is current (b is in links)
            heappush(lheap[b], (f[2], 0, f[8], f))
            if f[7]:
                el_register(f, b, 1)
        moved: list = []
        for k, old in zip(links, olds, strict=True):
            s_k = share[k]
            # Only scan the flows of k when one could change bottleneck. A lower share can
            # only attract flows limited elsewhere at a higher rate (bounded by fmax[k]);
            # a higher share can only release flows limited here that have a slower
            # alternative. The groups checked are few; the flows may be many.
            scan = False
            if new is not None or s_k < old:
                if s_k < fmax[k]:
                    top = 0.0
                    for b in foreign[k]:
                        if share[b] > top:
                            top = share[b]
                    fmax[k] = top
                    scan = s_k < top
            elif s_k > old:
                for p in at_paths[k]:
                    for j in p:
                        if j != k and share[j] < s_k:
                            scan = True
                            break
                    if scan:
                        break
            if scan:
                for fid in list(el_multi[k]):
                    f = flows[fid]
                    b = f[1]
                    sb = share[b]
                    nb = b
                    for j in f[0]:
                        if share[j] < sb:
                            sb = share[j]
                            nb = j
                    if nb != b:
                        remaining = f[2] - (vt[b] + share[b] * (t - vt_t[b]))
                        el_register(f, b, -1)
                        f[1] = nb
                        f[3] += 1
                        f[2] = vt[nb] + share[nb] * (t - vt_t[nb]) + remaining
                        el_register(f, nb, 1)
                        heappush(lheap[nb], (f[2], f[3], fid, f))
                        moved.append(b)
                        moved.append(nb)
            # re-arm k: the time its first bottlenecked flow finishes
            h = lheap[k]
            while h:
                top_entry = h[0]
                g = top_entry[3]
                if g[3] != top_entry[1] or g[1] != k:
                    heappop(h)
                    continue
                break
            lver[k] += 1
            if h and s_k > 0.0:
                heappush(gheap, (t + (h[0][0] - vt[k]) / s_k, lver[k], k))
        for k in moved:
            link_arm(k, t)
        el_arm()

    def link_arm(k: int, t: float) -> None:
        """Queue the time the first flow bottlenecked at link ``k`` will finish."""
        h = lheap[k]
        while h:
            top = h[0]
            g = top[3]
            if g[3] != top[1] or g[1] != k:
                heappop(h)
                continue
            break
        lver[k] += 1
        if h and share[k] > 0.0:
            v_now = vt[k] + share[k] * (t - vt_t[k])
            heappush(gheap, (t + (h[0][0] - v_now) / share[k], lver[k], k))

    def el_arm() -> None:
        """Keep one calendar event at (or before) the earliest elastic completion."""
        nonlocal el_token, el_at
        if len(gheap) > 8 * n_links + 1024:  # drop superseded entries now and then
            gheap[:] = [e for e in gheap if e[1] == lver[e[2]]]
            heapify(gheap)
        while gheap:
            when, ver, k = gheap[0]
            if ver != lver[k]:
                heappop(gheap)
                continue
            if when < el_at:
                el_at = when
                el_token += 1
                delay = when - env.now
                # a flow that is all but done can come out a rounding error in the past
                Timeout(env, delay if delay > 0.0 else 0.0, el_token).callbacks.append(el_fire)
            return

    def el_register(f: list, b: int, d: int) -> None:
        """Count a multi-link flow in the bottleneck groups of its links (d = +1 or -1)."""
        path = f[0]
        for k in path:
            if k == b:
                groups, key = at_paths[k], path
            else:
                groups, key = foreign[k], b
            v = groups.get(key, 0) + d
            if v:
                groups[key] = v
            else:
                del groups[key]
            if d > 0 and k != b and fmax[k] < share[b]:
                fmax[k] = share[b]

    def el_detach(fid: int, f: list) -> None:
        del flows[fid]
        f[3] = -1  # its heap entries are now stale
        for k in f[0]:
            el_n[k] -= 1
        if f[7]:
            el_register(f, f[1], -1)
            for k in f[0]:
                el_multi[k].discard(fid)

    def el_start(c: int, path: tuple, t: float, size: float, t0: float, owner) -> None:
        fid = next(fid_counter)
        multi = len(path) > 1
        f = [path, -1, size, 0, c, t0, owner, multi, fid]
        el_before(path, t)
        flows[fid] = f
        for k in path:
            el_n[k] += 1
        if multi:
            for k in path:
                el_multi[k].add(fid)
        el_after(path, t, f)

    def el_fire(ev) -> None:
        nonlocal el_at
        if ev.value != el_token:
            if next_at < env.peek():
                drain()
            return
        el_at = _INF
        t = env.now
        limit = t + 1e-12 * (1.0 + t)
        finished: list = []
        while gheap and gheap[0][0] <= limit:
            _, ver, k = heappop(gheap)
            if ver != lver[k]:
                continue
            lver[k] += 1
            vt[k] += share[k] * (t - vt_t[k])
            vt_t[k] = t
            h = lheap[k]
            v_lim = vt[k] + 1e-9 * (1.0 + abs(vt[k]))
            first = True
            while h:
                tag, fver, fid, f = h[0]
                if f[3] != fver or f[1] != k:
                    heappop(h)
                    continue
                # the first valid flow is the one this event was scheduled for
                if not first and tag > v_lim:
                    break
                heappop(h)
                first = False
                finished.append(f)
                f[3] = -2  # finished: later heap entries are stale; detached below
        if not finished:
            el_arm()
            if next_at < env.peek():
                drain()
            return
        touched = finished[0][0] if len(finished) == 1 else {k for f in finished for k in f[0]}
        el_before(touched, t)
        for f in finished:
            el_detach(f[8], f)
        el_after(touched, t)
        for f in finished:
            owner = f[6]
            if owner is None:
                c = f[4]
                done[c] += 1
                if f[5] >= warm:
                    resp[c].append(t - f[5])
            else:
                request_done(owner, f[0], t)
        if next_at < env.peek():
            drain()

    # ---------------------------------------------------------------- streams
    def depart(ev) -> None:
        # with failures modelled the event carries a session id (a cut session is gone
        # from ``active``); without, it carries the session itself
        rec = active.pop(ev.value, None) if tracking else ev.value
        if rec is not None:
            c, path, bw = rec
            done[c] += 1
            if flows:
                busy_links = None
                for k in path:
                    if el_n[k]:
                        busy_links = [j for j in path if el_n[j]]
                        break
                if busy_links:
                    t = env.now
                    el_before(busy_links, t)
                    for k in path:
                        free[k] += bw
                    el_after(busy_links, t)
                    if next_at < env.peek():
                        drain()
                    return
            for k in path:
                free[k] += bw
        if next_at < env.peek():
            drain()

    # ---------------------------------------------------------------- pools
    def p_touch(p: int, t: float) -> None:
        last = p_last[p]
        if t > warm:
            dt = t - (last if last > warm else warm)
            q = len(queues[p])
            area_sys[p] += (busy[p] + q) * dt
            area_q[p] += q * dt
            area_busy[p] += busy[p] * dt
        p_last[p] = t

    def pool_enter(req: list, p: int, t: float, service: float) -> None:
        p_touch(p, t)
        req[4] = p
        req[5] = t
        if busy[p] < servers[p]:
            busy[p] += 1
            if t >= warm:
                wait_n[p] += 1
            Timeout(env, t + service - env.now, req).callbacks.append(served)
        else:
            queues[p].append((req, service))

    def served(ev) -> None:
        req = ev.value
        t = env.now
        p = req[4]
        p_touch(p, t)
        if req[5] >= warm:
            soj_sum[p] += t - req[5]
            soj_n[p] += 1
        q = queues[p]
        if q:
            nxt, service = q.popleft()
            if nxt[5] >= warm:
                wait_sum[p] += t - nxt[5]
                wait_n[p] += 1
            Timeout(env, service, nxt).callbacks.append(served)
        else:
            busy[p] -= 1
        cum = route_cum[p]
        if cum is not None:
            j = bisect_right(cum, uni())
            if j < len(cum):
                dest = route_dest[p][j]
                draw = 1.0 if pool_det[dest] else expo()
                pool_enter(req, dest, t, draw * pool_svc[dest])
                if next_at < env.peek():
                    drain()
                return
        respond(req, t)
        if next_at < env.peek():
            drain()

    def respond(req: list, t: float) -> None:
        c = req[0]
        path = _pick(paths_now[c], cum_now[c], req[2])
        if path is None or any(not up[k] for k in path):
            cut[c] += 1
            return
        if req[3] > 0.0:
            el_start(c, path, t, req[3], req[1], req)
        else:
            request_done(req, path, t)

    def request_done(req: list, path: tuple, t: float) -> None:
        c = req[0]
        done[c] += 1
        if req[1] >= warm:
            rtt = 0.0
            for k in path:
                rtt += lat_s[k]
            resp[c].append(t - req[1] + 2.0 * rtt)

    # ---------------------------------------------------------------- arrivals
    def load() -> bool:
        nonlocal f_t, f_c, f_u, f_x, f_y, f_i, f_n, f_total
        batch = next(source, None)
        f_i = 0
        if batch is None:
            f_n = 0
            return False
        f_t, f_c, f_u, f_x, f_y = batch.time_s, batch.cls, batch.u, batch.x, batch.y
        f_n = len(f_t)
        f_total += f_n
        return True

    def drain() -> None:
        """Handle every arrival earlier than the calendar's next event, in time order."""
        nonlocal f_i, next_at
        peek = env.peek
        nxt = peek()
        i = f_i
        times = f_t
        now = env.now
        while True:
            if i >= f_n:
                f_i = i
                if not load():
                    next_at = _INF
                    return
                i = 0
                times = f_t
            t = times[i]
            if t >= nxt:
                next_at = t
                break
            c = f_c[i]
            arrived[c] += 1
            k = kind[c]
            ps = paths_now[c]
            cum = cum_now[c]
            if cum is None:
                path = ps[0] if ps else None
            else:  # cum[-1] == 1.0 > u, so the index is always in range
                path = ps[bisect_right(cum, f_u[i])]
            if k == 0:
                bw = bwk[c]
                if path is None:
                    blocked[c] += 1
                else:
                    for link in path:
                        if free[link] < bw:
                            blocked[c] += 1
                            break
                    else:
                        leave = t + f_x[i]
                        if tracking:
                            s = next(sid_counter)
                            active[s] = (c, path, bw)
                            Timeout(env, leave - now, s).callbacks.append(depart)
                        else:
                            Timeout(env, leave - now, (c, path, bw)).callbacks.append(depart)
                        busy_links = None
                        if flows:
                            for link in path:
                                if el_n[link]:
                                    busy_links = [k for k in path if el_n[k]]
                                    break
                        if busy_links:
                            el_before(busy_links, t)
                            for link in path:
                                free[link] -= bw
                            el_after(busy_links, t)
                            nxt = peek()
                        else:
                            for link in path:
                                free[link] -= bw
                            if leave < nxt:
                                nxt = leave
            elif k == 1:
                if path is None or any(not up[link] for link in path):
                    blocked[c] += 1
                else:
                    el_start(c, path, t, f_x[i], t, None)
                    nxt = peek()
            else:
                if path is None:
                    blocked[c] += 1
                else:
                    req = [c, t, f_u[i], f_y[i], 0, t]
                    pool_enter(req, pool_of[c], t, f_x[i])
                    nxt = peek()
            i += 1
        f_i = i

    def kick(ev) -> None:
        drain()

    # ---------------------------------------------------------------- failures
    down_since = [0.0] * n_links
    down_total = [0.0] * n_links

    def set_paths(t: float) -> None:
        nonlocal paths_now, cum_now
        mask = np.array([not x for x in up], dtype=bool)
        ps = cm.paths_for(mask)
        paths_now, cum_now = ps.paths, ps.cum

    def link_down(link: int, t: float) -> None:
        if not up[link]:
            return
        up[link] = False
        failures_n[link] += 1
        down_since[link] = t
        hit = [(s, rec) for s, rec in active.items() if link in rec[1]]
        hit_flows = [(fid, f) for fid, f in flows.items() if link in f[0]]
        touched = {link}
        for _, (_, path, _) in hit:
            touched.update(path)
        for _, f in hit_flows:
            touched.update(f[0])
        el_before(touched, t)
        for s, (c, path, bw) in hit:
            del active[s]
            for other in path:
                if other != link:
                    free[other] += bw
            cut[c] += 1
        free[link] = -1
        for fid, f in hit_flows:
            el_detach(fid, f)
            cut[f[4]] += 1
        set_paths(t)
        el_after(touched, t)

    def link_up(link: int, t: float) -> None:
        if up[link]:
            return
        up[link] = True
        free[link] = cap_kbps[link]
        lo = max(down_since[link], warm)
        if t > lo:
            down_total[link] += t - lo
        set_paths(t)

    schedule_failures(env, cm, ss_failures, end, link_down, link_up, drain)

    # ---------------------------------------------------------------- warm-up, samples
    snap = {
        "arrived": [0] * n_cls,
        "blocked": [0] * n_cls,
        "cut": [0] * n_cls,
        "done": [0] * n_cls,
        "failures": [0] * n_links,
    }

    def warmed(ev) -> None:
        snap["arrived"] = list(arrived)
        snap["blocked"] = list(blocked)
        snap["cut"] = list(cut)
        snap["done"] = list(done)
        snap["failures"] = list(failures_n)
        drain()

    link_samples: list = []
    queue_samples: list = []
    cap_mbps = cm.cap_mbps

    def sample(ev) -> None:
        el_mbps = [0.0] * n_links
        for f in flows.values():
            r = share[f[1]]
            for link in f[0]:
                el_mbps[link] += r
        link_samples.append(
            [
                ((cap_kbps[k] - free[k]) * 0.001 + el_mbps[k]) / cap_mbps[k] if up[k] else 0.0
                for k in range(n_links)
            ]
        )
        queue_samples.append([len(q) for q in queues])
        t_next = env.now + sample_interval_s
        if t_next < end:
            Timeout(env, sample_interval_s, None).callbacks.append(sample)
        drain()

    if warm_start:
        for c, u, rest in zip(
            *(a.tolist() for a in cm.initial_streams(ss_initial, start_hour)),
            strict=True,
        ):
            path = _pick(paths_now[c], cum_now[c], u)
            bw = bwk[c]
            if path is None or any(free[link] < bw for link in path):
                continue
            for link in path:
                free[link] -= bw
            if tracking:
                s = next(sid_counter)
                active[s] = (c, path, bw)
                Timeout(env, rest, s).callbacks.append(depart)
            else:
                Timeout(env, rest, (c, path, bw)).callbacks.append(depart)

    Timeout(env, 0.0, None).callbacks.append(kick)
    if warm > 0:
        Timeout(env, warm, None).callbacks.append(warmed)
    if warm + sample_interval_s < end:
        Timeout(env, warm + sample_interval_s, None).callbacks.append(sample)

    env.run(until=end)

    # ---------------------------------------------------------------- results
    for p in range(n_pools):
        p_touch(p, end)
    for link in range(n_links):
        if not up[link]:
            lo = max(down_since[link], warm)
            if end > lo:
                down_total[link] += end - lo

    log.debug("replication done: %d arrivals, %d generated", sum(arrived), f_total)
    return replication_results(
        counters={"arrived": arrived, "blocked": blocked, "cut": cut, "done": done,
                  "failures": failures_n},
        snapshot=snap,
        responses=[np.asarray(r, dtype=float) for r in resp],
        link_samples=link_samples,
        queue_samples=queue_samples,
        down_total_s=down_total,
        pools={
            "servers": servers,
            "area_sys": area_sys,
            "area_q": area_q,
            "area_busy": area_busy,
            "wait_sum": wait_sum,
            "wait_n": wait_n,
            "soj_sum": soj_sum,
            "soj_n": soj_n,
        },
        n_links=n_links,
        n_pools=n_pools,
        duration_s=float(duration_s),
        keep_raw=keep_raw,
    )


def schedule_failures(env, cm: Compiled, ss_failures, end: float, link_down, link_up,
                      after) -> None:
    """Put the model's random and scripted link failures on ``env``'s calendar.

    ``link_down(link, t)`` and ``link_up(link, t)`` change the engine's state; ``after()``
    ends every failure and repair callback (the engine catches up on its sessions). Random
    up and down times are exponential, drawn from ``ss_failures`` in the same order by
    either engine.
    """
    fm = cm.failures
    if fm is None:
        return
    fail_rng = np.random.default_rng(ss_failures)

    def scripted(ev) -> None:
        link, action = ev.value
        (link_down if action == "down" else link_up)(link, env.now)
        after()

    if fm.mtbf_s is not None:
        mtbf, mttr = fm.mtbf_s.tolist(), fm.mttr_s.tolist()

        def random_fail(ev) -> None:
            link = ev.value
            link_down(link, env.now)
            Timeout(env, fail_rng.exponential(mttr[link]), link).callbacks.append(random_repair)
            after()

        def random_repair(ev) -> None:
            link = ev.value
            link_up(link, env.now)
            Timeout(env, fail_rng.exponential(mtbf[link]), link).callbacks.append(random_fail)
            after()

        for link in range(cm.n_links):
            if np.isfinite(mtbf[link]):
                Timeout(env, fail_rng.exponential(mtbf[link]), link).callbacks.append(random_fail)
    for t_s, link, action in fm.script:
        if t_s < end:
            Timeout(env, t_s, (link, action)).callbacks.append(scripted)


def replication_results(
    *,
    counters: dict,
    snapshot: dict,
    responses: list,
    link_samples: list,
    queue_samples: list,
    down_total_s,
    pools: dict,
    n_links: int,
    n_pools: int,
    duration_s: float,
    keep_raw: bool,
) -> dict:
    """One replication's metrics from its counters, response times, samples and integrals.

    ``counters`` hold totals since time 0 and ``snapshot`` their values at the end of the
    warm-up; the differences are what the measured period saw. Both engines end here.
    """

    def diff(key):
        return np.asarray(counters[key], dtype=float) - np.asarray(snapshot[key], dtype=float)

    n_cls = len(responses)
    offered = diff("arrived")
    n_blocked = diff("blocked")
    with np.errstate(invalid="ignore", divide="ignore"):
        blocking = np.where(offered > 0, n_blocked / np.where(offered > 0, offered, 1), np.nan)
    r_mean = np.full(n_cls, np.nan)
    r_q = np.full((3, n_cls), np.nan)
    for c, arr in enumerate(responses):
        if len(arr):
            r_mean[c] = arr.mean()
            r_q[:, c] = np.percentile(arr, [50.0, 95.0, 99.0])
    if link_samples:
        ls = np.asarray(link_samples, dtype=float)
        u_mean, u_max = ls.mean(axis=0), ls.max(axis=0)
    else:
        u_mean = u_max = np.full(n_links, np.nan)
    if queue_samples and n_pools:
        qs = np.asarray(queue_samples, dtype=float)
        q_mean, q_max = qs.mean(axis=0), qs.max(axis=0)
    else:
        q_mean = q_max = np.full(n_pools, np.nan)
    srv = np.asarray(pools["servers"], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        wait_mean = np.asarray(pools["wait_sum"]) / np.asarray(pools["wait_n"], dtype=float)
        soj_mean = np.asarray(pools["soj_sum"]) / np.asarray(pools["soj_n"], dtype=float)
    return {
        "offered": offered,
        "blocked": n_blocked,
        "blocking": blocking,
        "dropped_by_failure": diff("cut"),
        "completed": diff("done"),
        "response_mean_s": r_mean,
        "response_p50_s": r_q[0],
        "response_p95_s": r_q[1],
        "response_p99_s": r_q[2],
        "link_utilisation_mean": u_mean,
        "link_utilisation_max": u_max,
        "link_down_fraction": np.asarray(down_total_s, dtype=float) / duration_s,
        "link_failures": diff("failures"),
        "pool_mean_in_system": np.asarray(pools["area_sys"], dtype=float) / duration_s,
        "pool_mean_queue_length": np.asarray(pools["area_q"], dtype=float) / duration_s,
        "pool_utilisation": np.asarray(pools["area_busy"], dtype=float)
        / duration_s
        / np.maximum(srv, 1),
        "pool_mean_wait_s": wait_mean,
        "pool_mean_sojourn_s": soj_mean,
        "pool_queue_length_sampled_mean": q_mean,
        "pool_queue_length_sampled_max": q_max,
        "_arrivals": int(np.sum(counters["arrived"])),
        **(
            {
                "_responses": [np.asarray(r, dtype=float) for r in responses],
                "_link_samples": np.asarray(link_samples, dtype=float).reshape(-1, n_links),
                "_queue_samples": np.asarray(queue_samples, dtype=float).reshape(-1, n_pools),
            }
            if keep_raw
            else {}
        ),
    }
