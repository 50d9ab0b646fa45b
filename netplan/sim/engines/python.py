"""The pure-Python engine: simpy's event calendar, callbacks and flat array state.

One replication runs on one :class:`simpy.Environment`. There are no simpy processes and
no per-session resources: the calendar holds timed events (a stream's departure, the next
elastic completion, a server finishing, a failure, a repair, a sample) and each event's
callback -- one method of :class:`PythonReplication` per kind of event -- updates plain
lists indexed by link, pool or class.

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
    exactly M/G/1 processor sharing. Blocked only when its path is down. The sharing
    itself is :class:`netplan.sim.engines.sharing.ElasticSharing`.
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

import numpy as np
import simpy
from simpy.events import Timeout

from netplan.sim.engines.common import (
    BufferedDraws,
    draw_generators,
    pick_path,
    replication_results,
    schedule_failures,
    substreams,
)
from netplan.sim.engines.sharing import ElasticSharing
from netplan.sim.engines.tables import Compiled

__all__ = ["PythonReplication", "run_replication_python"]

log = logging.getLogger(__name__)

_INF = float("inf")


def run_replication_python(
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
    """One replication with every event on simpy's calendar (``engine="python"``).

    Parameters and results are those of :func:`netplan.sim.engines.run_replication`.

    Examples
    --------
    >>> from netplan.sim.model import SimNetwork, TrafficClass
    >>> from netplan.sim.engines.tables import compile_model
    >>> net = SimNetwork(("l0",), [10.0])
    >>> c = TrafficClass("v", "stream", paths=[[0]], arrival_rate_per_s=5.0,
    ...                  bandwidth_mbps=1.0, holding_s=1.0)
    >>> out = run_replication_python(compile_model(net, [c]), np.random.SeedSequence(1),
    ...                              warmup_s=10.0, duration_s=200.0)
    >>> bool(0.0 < out["blocking"][0] < 0.06)
    True
    """
    rep = PythonReplication(
        cm, seed_seq, warmup_s=warmup_s, duration_s=duration_s, start_hour=start_hour,
        sample_interval_s=sample_interval_s, batch_target=batch_target,
    )
    return rep.run(warm_start=warm_start, keep_raw=keep_raw)


class PythonReplication:
    """The state of one replication and one calendar callback per kind of event.

    Parameters
    ----------
    cm : Compiled
        The model.
    seed_seq : numpy.random.SeedSequence
        The replication's seed (split by :func:`netplan.sim.engines.common.substreams`).
    warmup_s, duration_s, start_hour, sample_interval_s, batch_target
        As for :func:`netplan.sim.engines.run_replication`.
    """

    def __init__(self, cm: Compiled, seed_seq: np.random.SeedSequence, *, warmup_s: float,
                 duration_s: float, start_hour: float, sample_interval_s: float | None,
                 batch_target: int) -> None:
        ss_arrivals, self.ss_failures, ss_misc, self.ss_initial = substreams(seed_seq)
        self.cm = cm
        self.start_hour = start_hour
        self.warm = float(warmup_s)
        self.duration = float(duration_s)
        self.end = self.warm + self.duration
        if sample_interval_s is None:
            sample_interval_s = max(float(duration_s) / 400.0, 1e-9)
        self.sample_interval_s = sample_interval_s
        self.env = simpy.Environment()
        n_links, n_cls, n_pools = cm.n_links, cm.n_classes, cm.n_pools

        # links and paths
        self.free = list(cm.cap_kbps)  # kbit/s free for streams; -1 while the link is down
        self.up = [True] * n_links
        self.paths_now = cm.base.paths
        self.cum_now = cm.base.cum
        self.failures_n = [0] * n_links
        self.down_since = [0.0] * n_links
        self.down_total = [0.0] * n_links

        # per-class counters and response times
        self.arrived = [0] * n_cls
        self.blocked = [0] * n_cls
        self.cut = [0] * n_cls
        self.done = [0] * n_cls
        self.resp: list[list[float]] = [[] for _ in range(n_cls)]

        # streams: session id -> (class, path, kbit/s), kept only when links can fail
        self.active: dict = {}
        self.tracking = cm.failures is not None
        self.sid_counter = itertools.count()

        self.elastic = ElasticSharing(self.env, n_links, self.free, self.elastic_due)

        # pools
        self.busy = [0] * n_pools
        self.queues = [deque() for _ in range(n_pools)]
        self.p_last = [0.0] * n_pools
        self.area_sys = [0.0] * n_pools
        self.area_q = [0.0] * n_pools
        self.area_busy = [0.0] * n_pools
        self.wait_sum = [0.0] * n_pools
        self.wait_n = [0] * n_pools
        self.soj_sum = [0.0] * n_pools
        self.soj_n = [0] * n_pools
        self.pool_det = [p.dist == "deterministic" for p in cm.pools]

        rng_uni, rng_exp = draw_generators(ss_misc)
        self.uni = BufferedDraws(rng_uni, exponential=False)
        self.expo = BufferedDraws(rng_exp, exponential=True)

        # pre-generated arrivals: the current batch's columns and the position in it
        self.source = cm.arrival_source(ss_arrivals, start_hour, self.end, batch_target)
        self.a_t: list = []
        self.a_c: list = []
        self.a_u: list = []
        self.a_x: list = []
        self.a_y: list = []
        self.a_i = 0
        self.a_n = 0
        self.generated = 0
        self.next_at = -_INF  # time of the next arrival not yet handled

        # counters at the end of the warm-up, and the samples
        self.snap = {
            "arrived": [0] * n_cls,
            "blocked": [0] * n_cls,
            "cut": [0] * n_cls,
            "done": [0] * n_cls,
            "failures": [0] * n_links,
        }
        self.link_samples: list = []
        self.queue_samples: list = []
        # what drain() reads on every call, in one tuple
        self.arrival_refs = (cm.kind, cm.bw_kbps, cm.pool_of, self.free, self.up, self.elastic,
                             self.elastic.flows, self.elastic.el_n, self.arrived, self.blocked,
                             self.tracking, self.active, self.depart)

    # ---------------------------------------------------------------- the run
    def run(self, *, warm_start: bool, keep_raw: bool) -> dict:
        """Put the run's events on the calendar, run it to the end, return the metrics."""
        env, warm, end = self.env, self.warm, self.end
        schedule_failures(env, self.cm, self.ss_failures, end, self.link_down, self.link_up,
                          self.drain)
        if warm_start:
            self.admit_initial_streams()
        Timeout(env, 0.0, None).callbacks.append(self.kick)
        if warm > 0:
            Timeout(env, warm, None).callbacks.append(self.warmed)
        if warm + self.sample_interval_s < end:
            Timeout(env, warm + self.sample_interval_s, None).callbacks.append(self.sample)
        env.run(until=end)
        return self.results(keep_raw)

    def results(self, keep_raw: bool) -> dict:
        """Close the pool integrals and down times at the end; the replication's metrics."""
        cm, warm, end = self.cm, self.warm, self.end
        for p in range(cm.n_pools):
            self.pool_touch(p, end)
        up, down_since, down_total = self.up, self.down_since, self.down_total
        for link in range(cm.n_links):
            if not up[link]:
                lo = max(down_since[link], warm)
                if end > lo:
                    down_total[link] += end - lo
        log.debug("replication done: %d arrivals, %d generated", sum(self.arrived),
                  self.generated)
        return replication_results(
            counters={"arrived": self.arrived, "blocked": self.blocked, "cut": self.cut,
                      "done": self.done, "failures": self.failures_n},
            snapshot=self.snap,
            responses=[np.asarray(r, dtype=float) for r in self.resp],
            link_samples=self.link_samples,
            queue_samples=self.queue_samples,
            down_total_s=down_total,
            pools={
                "servers": cm.servers,
                "area_sys": self.area_sys,
                "area_q": self.area_q,
                "area_busy": self.area_busy,
                "wait_sum": self.wait_sum,
                "wait_n": self.wait_n,
                "soj_sum": self.soj_sum,
                "soj_n": self.soj_n,
            },
            n_links=cm.n_links,
            n_pools=cm.n_pools,
            duration_s=self.duration,
            keep_raw=keep_raw,
        )

    def catch_up(self) -> None:
        """Handle the arrivals due before the calendar's next event, if any."""
        if self.next_at < self.env.peek():
            self.drain()

    # ---------------------------------------------------------------- arrivals
    def load(self) -> bool:
        """Take the next batch of arrivals; False when the source has none left."""
        batch = next(self.source, None)
        self.a_i = 0
        if batch is None:
            self.a_n = 0
            return False
        self.a_t, self.a_c, self.a_u = batch.time_s, batch.cls, batch.u
        self.a_x, self.a_y = batch.x, batch.y
        self.a_n = len(self.a_t)
        self.generated += self.a_n
        return True

    def drain(self) -> None:
        """Handle every arrival earlier than the calendar's next event, in time order."""
        env = self.env
        peek = env.peek
        nxt = peek()
        now = env.now
        (kind, bwk, pool_of, free, up, el, flows, el_n, arrived, blocked, tracking, active,
         depart) = self.arrival_refs
        paths_now, cum_now = self.paths_now, self.cum_now
        i = self.a_i
        times, a_c, a_u, a_x, a_y = self.a_t, self.a_c, self.a_u, self.a_x, self.a_y
        while True:
            if i >= self.a_n:
                self.a_i = i
                if not self.load():
                    self.next_at = _INF
                    return
                i = 0
                times, a_c, a_u, a_x, a_y = self.a_t, self.a_c, self.a_u, self.a_x, self.a_y
            t = times[i]
            if t >= nxt:
                self.next_at = t
                break
            c = a_c[i]
            arrived[c] += 1
            k = kind[c]
            ps = paths_now[c]
            cum = cum_now[c]
            if cum is None:
                path = ps[0] if ps else None
            else:  # cum[-1] == 1.0 > u, so the index is always in range
                path = ps[bisect_right(cum, a_u[i])]
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
                        leave = t + a_x[i]
                        if tracking:
                            s = next(self.sid_counter)
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
                            el.before(busy_links, t)
                            for link in path:
                                free[link] -= bw
                            el.after(busy_links, t)
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
                    el.start(c, path, t, a_x[i], t, None)
                    nxt = peek()
            else:
                if path is None:
                    blocked[c] += 1
                else:
                    req = [c, t, a_u[i], a_y[i], 0, t]
                    self.pool_enter(req, pool_of[c], t, a_x[i])
                    nxt = peek()
            i += 1
        self.a_i = i

    def kick(self, ev) -> None:
        """Time 0: handle the first arrivals."""
        self.drain()

    # ---------------------------------------------------------------- streams
    def admit_initial_streams(self) -> None:
        """Put the stream sessions in progress at time 0 on their paths (not counted)."""
        cm, env, free = self.cm, self.env, self.free
        bwk = cm.bw_kbps
        for c, u, rest in zip(
            *(a.tolist() for a in cm.initial_streams(self.ss_initial, self.start_hour)),
            strict=True,
        ):
            path = pick_path(self.paths_now[c], self.cum_now[c], u)
            bw = bwk[c]
            if path is None or any(free[link] < bw for link in path):
                continue
            for link in path:
                free[link] -= bw
            if self.tracking:
                s = next(self.sid_counter)
                self.active[s] = (c, path, bw)
                Timeout(env, rest, s).callbacks.append(self.depart)
            else:
                Timeout(env, rest, (c, path, bw)).callbacks.append(self.depart)

    def depart(self, ev) -> None:
        """A stream session ends and frees its bandwidth."""
        # with failures modelled the event carries a session id (a cut session is gone
        # from ``active``); without, it carries the session itself
        rec = self.active.pop(ev.value, None) if self.tracking else ev.value
        if rec is not None:
            c, path, bw = rec
            self.done[c] += 1
            free = self.free
            el = self.elastic
            if el.flows:
                el_n = el.el_n
                busy_links = None
                for k in path:
                    if el_n[k]:
                        busy_links = [j for j in path if el_n[j]]
                        break
                if busy_links:
                    t = self.env.now
                    el.before(busy_links, t)
                    for k in path:
                        free[k] += bw
                    el.after(busy_links, t)
                    self.catch_up()
                    return
            for k in path:
                free[k] += bw
        self.catch_up()

    # ---------------------------------------------------------------- elastic flows
    def elastic_due(self, ev) -> None:
        """The earliest elastic completion is due (unless a newer event superseded this)."""
        el, env = self.elastic, self.env
        if ev.value == el.token:
            t = env.now
            for f in el.complete(t):
                owner = f[6]
                if owner is None:
                    c = f[4]
                    self.done[c] += 1
                    if f[5] >= self.warm:
                        self.resp[c].append(t - f[5])
                else:
                    self.request_done(owner, f[0], t)
        if self.next_at < env.peek():
            self.drain()

    # ---------------------------------------------------------------- pools
    def pool_touch(self, p: int, t: float) -> None:
        """Integrate pool ``p``'s occupancy up to ``t`` (after the warm-up only)."""
        warm = self.warm
        last = self.p_last[p]
        if t > warm:
            dt = t - (last if last > warm else warm)
            q = len(self.queues[p])
            busy = self.busy[p]
            self.area_sys[p] += (busy + q) * dt
            self.area_q[p] += q * dt
            self.area_busy[p] += busy * dt
        self.p_last[p] = t

    def pool_enter(self, req: list, p: int, t: float, service: float) -> None:
        """Request ``req`` reaches pool ``p`` at ``t``: served now or queued."""
        self.pool_touch(p, t)
        req[4] = p
        req[5] = t
        if self.busy[p] < self.cm.servers[p]:
            self.busy[p] += 1
            if t >= self.warm:
                self.wait_n[p] += 1
            env = self.env
            Timeout(env, t + service - env.now, req).callbacks.append(self.served)
        else:
            self.queues[p].append((req, service))

    def served(self, ev) -> None:
        """A server finishes a request: start the next in line, route the request on."""
        req = ev.value
        env, warm = self.env, self.warm
        t = env.now
        p = req[4]
        self.pool_touch(p, t)
        if req[5] >= warm:
            self.soj_sum[p] += t - req[5]
            self.soj_n[p] += 1
        q = self.queues[p]
        if q:
            nxt, service = q.popleft()
            if nxt[5] >= warm:
                self.wait_sum[p] += t - nxt[5]
                self.wait_n[p] += 1
            Timeout(env, service, nxt).callbacks.append(self.served)
        else:
            self.busy[p] -= 1
        cm = self.cm
        cum = cm.route_cum[p]
        if cum is not None:
            j = bisect_right(cum, self.uni())
            if j < len(cum):
                dest = cm.route_dest[p][j]
                draw = 1.0 if self.pool_det[dest] else self.expo()
                self.pool_enter(req, dest, t, draw * cm.pool_service_s[dest])
                self.catch_up()
                return
        self.respond(req, t)
        self.catch_up()

    def respond(self, req: list, t: float) -> None:
        """Send the response of a served request back over its path (cut when it is down)."""
        c = req[0]
        path = pick_path(self.paths_now[c], self.cum_now[c], req[2])
        up = self.up
        if path is None or any(not up[k] for k in path):
            self.cut[c] += 1
            return
        if req[3] > 0.0:
            self.elastic.start(c, path, t, req[3], req[1], req)
        else:
            self.request_done(req, path, t)

    def request_done(self, req: list, path: tuple, t: float) -> None:
        """The response has arrived: count the request and record its response time."""
        c = req[0]
        self.done[c] += 1
        if req[1] >= self.warm:
            lat_s = self.cm.latency_s
            rtt = 0.0
            for k in path:
                rtt += lat_s[k]
            self.resp[c].append(t - req[1] + 2.0 * rtt)

    # ---------------------------------------------------------------- failures
    def set_paths(self) -> None:
        """Use the paths of the current failure state."""
        mask = np.array([not x for x in self.up], dtype=bool)
        ps = self.cm.paths_for(mask)
        self.paths_now, self.cum_now = ps.paths, ps.cum

    def link_down(self, link: int, t: float) -> None:
        """Fail ``link`` at ``t``: cut the streams and flows over it, re-route."""
        up = self.up
        if not up[link]:
            return
        up[link] = False
        self.failures_n[link] += 1
        self.down_since[link] = t
        el, free, active, cut = self.elastic, self.free, self.active, self.cut
        hit = [(s, rec) for s, rec in active.items() if link in rec[1]]
        hit_flows = [(fid, f) for fid, f in el.flows.items() if link in f[0]]
        touched = {link}
        for _, (_, path, _) in hit:
            touched.update(path)
        for _, f in hit_flows:
            touched.update(f[0])
        el.before(touched, t)
        for s, (c, path, bw) in hit:
            del active[s]
            for other in path:
                if other != link:
                    free[other] += bw
            cut[c] += 1
        free[link] = -1
        for fid, f in hit_flows:
            el.detach(fid, f)
            cut[f[4]] += 1
        self.set_paths()
        el.after(touched, t)

    def link_up(self, link: int, t: float) -> None:
        """Repair ``link`` at ``t`` and re-route."""
        if self.up[link]:
            return
        self.up[link] = True
        self.free[link] = self.cm.cap_kbps[link]
        lo = max(self.down_since[link], self.warm)
        if t > lo:
            self.down_total[link] += t - lo
        self.set_paths()

    # ---------------------------------------------------------------- warm-up, samples
    def warmed(self, ev) -> None:
        """End of the warm-up: snapshot the counters."""
        snap = self.snap
        snap["arrived"] = list(self.arrived)
        snap["blocked"] = list(self.blocked)
        snap["cut"] = list(self.cut)
        snap["done"] = list(self.done)
        snap["failures"] = list(self.failures_n)
        self.drain()

    def sample(self, ev) -> None:
        """Sample link utilisation and pool queue lengths; schedule the next sample."""
        cm, env = self.cm, self.env
        cap_kbps, cap_mbps = cm.cap_kbps, cm.cap_mbps
        free, up = self.free, self.up
        el_mbps = self.elastic.link_mbps()
        self.link_samples.append(
            [
                ((cap_kbps[k] - free[k]) * 0.001 + el_mbps[k]) / cap_mbps[k] if up[k] else 0.0
                for k in range(cm.n_links)
            ]
        )
        self.queue_samples.append([len(q) for q in self.queues])
        t_next = env.now + self.sample_interval_s
        if t_next < self.end:
            Timeout(env, self.sample_interval_s, None).callbacks.append(self.sample)
        self.drain()
