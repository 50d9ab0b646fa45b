"""Per-link processor sharing of the elastic flows, for the pure-Python engine.

Each link gives its elastic flows equal shares of the capacity that streams leave free; a
flow's rate is the smallest share along its path (its bottleneck). :class:`ElasticSharing`
keeps those shares, finds each flow's bottleneck, and keeps one event on simpy's calendar
at (or before) the earliest completion. :mod:`netplan.sim.engines.python` owns the rest of
the replication and calls it whenever a link's free capacity or flow count changes.

How completions are found
-------------------------
Each link ``k`` has a virtual clock ``vt[k]``: the Mbit served so far to each flow limited
there, advancing at ``share[k]`` Mbit/s. A flow limited at ``k`` finishes when that clock
reaches its tag (clock value at its start, or at its last move, plus what it still has to
send). Per link a heap holds the tags of the flows limited there; a global heap holds the
time each link's first tag will be reached. Entries are never removed early: a version
number marks the stale ones, skipped when they come to the top.
"""

from __future__ import annotations

import itertools
from heapq import heapify, heappop, heappush

from simpy.events import Timeout

__all__ = ["ElasticSharing"]

_INF = float("inf")


class ElasticSharing:
    """The elastic flows of one replication and the bandwidth shares they get.

    A flow is the list ``[path, bottleneck link, tag, version, class, start time, owner,
    multi-link, id]``: ``owner`` is the request whose response it carries (None for a plain
    transfer); ``version`` changes when the flow moves to another bottleneck (-1 once
    detached, -2 once finished) so that its older heap entries are known to be stale.

    Parameters
    ----------
    env : simpy.Environment
        The replication's calendar.
    n_links : int
    free : list of int
        Kbit/s each link leaves free to elastic traffic (-1 while down); owned by the
        engine, read here.
    on_due : callable
        Calendar callback of the completion event; the event's value is the token that was
        current when it was scheduled (see :attr:`token`).
    """

    def __init__(self, env, n_links: int, free: list, on_due) -> None:
        self.env = env
        self.n_links = n_links
        self.free = free
        self.on_due = on_due
        self.flows: dict = {}  # id -> flow
        self.el_n = [0] * n_links  # flows on each link
        self.multi = [set() for _ in range(n_links)]  # ids of multi-link flows on each link
        self.foreign: list = [{} for _ in range(n_links)]  # bottleneck -> flows limited there
        self.at_paths: list = [{} for _ in range(n_links)]  # path -> flows limited here
        self.fmax = [0.0] * n_links  # upper bound of the rates of flows here limited elsewhere
        self.share = [0.0] * n_links  # Mbit/s each elastic flow on the link may take
        self.vt = [0.0] * n_links  # virtual clock value at vt_t
        self.vt_t = [0.0] * n_links
        self.lheap: list = [[] for _ in range(n_links)]  # (tag, version, id, flow) per link
        self.lver = [0] * n_links
        self.gheap: list = []  # (finish time, link version, link): next completion per link
        self.compact_at = 8 * n_links + 1024  # gheap entries that trigger a clean-up
        self.ids = itertools.count()
        self.token = 0  # value of the completion event that is current
        self.armed_at = _INF  # time of that event
        # the state above in one tuple: unpacked at once by the methods called per event
        self.state = (free, self.el_n, self.share, self.fmax, self.at_paths, self.foreign,
                      self.flows, self.vt, self.vt_t, self.lheap, self.lver, self.gheap,
                      self.multi)

    def before(self, links, t: float) -> None:
        """Bring the virtual clocks of ``links`` to ``t`` before their shares change."""
        vt, vt_t, share = self.vt, self.vt_t, self.share
        for k in links:
            vt[k] += share[k] * (t - vt_t[k])
            vt_t[k] = t

    def after(self, links, t: float, new=None) -> None:
        """New shares on ``links``; move flows whose bottleneck changed; re-arm.

        ``new`` is a flow just added to ``links`` (its tag still holds its size).
        """
        (free, el_n, share, fmax, at_paths, foreign, flows, vt, vt_t, lheap, lver, gheap,
         multi) = self.state
        register = self._register
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
                register(f, b, 1)
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
                for fid in list(multi[k]):
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
                        register(f, b, -1)
                        f[1] = nb
                        f[3] += 1
                        f[2] = vt[nb] + share[nb] * (t - vt_t[nb]) + remaining
                        register(f, nb, 1)
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
            self._arm_link(k, t)
        self.arm()

    def _arm_link(self, k: int, t: float) -> None:
        """Queue the time the first flow bottlenecked at link ``k`` will finish."""
        h = self.lheap[k]
        while h:
            top = h[0]
            g = top[3]
            if g[3] != top[1] or g[1] != k:
                heappop(h)
                continue
            break
        self.lver[k] += 1
        share = self.share
        if h and share[k] > 0.0:
            v_now = self.vt[k] + share[k] * (t - self.vt_t[k])
            heappush(self.gheap, (t + (h[0][0] - v_now) / share[k], self.lver[k], k))

    def arm(self) -> None:
        """Keep one calendar event at (or before) the earliest elastic completion."""
        gheap, lver = self.gheap, self.lver
        if len(gheap) > self.compact_at:  # drop superseded entries now and then
            gheap[:] = [e for e in gheap if e[1] == lver[e[2]]]
            heapify(gheap)
        while gheap:
            when, ver, k = gheap[0]
            if ver != lver[k]:
                heappop(gheap)
                continue
            if when < self.armed_at:
                self.armed_at = when
                self.token += 1
                env = self.env
                delay = when - env.now
                # a flow that is all but done can come out a rounding error in the past
                Timeout(env, delay if delay > 0.0 else 0.0, self.token).callbacks.append(
                    self.on_due
                )
            return

    def _register(self, f: list, b: int, d: int) -> None:
        """Count a multi-link flow in the bottleneck groups of its links (d = +1 or -1)."""
        path = f[0]
        fmax, share, at_paths, foreign = self.fmax, self.share, self.at_paths, self.foreign
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

    def detach(self, fid: int, f: list) -> None:
        """Take flow ``f`` off its links (the caller brackets it with before/after)."""
        del self.flows[fid]
        f[3] = -1  # its heap entries are now stale
        el_n = self.el_n
        for k in f[0]:
            el_n[k] -= 1
        if f[7]:
            self._register(f, f[1], -1)
            multi = self.multi
            for k in f[0]:
                multi[k].discard(fid)

    def start(self, c: int, path: tuple, t: float, size: float, t0: float, owner) -> None:
        """Start a flow of class ``c`` sending ``size`` Mbit over ``path`` at ``t``.

        ``t0`` is when its session began (for the response time); ``owner`` the request
        whose response it carries, or None.
        """
        fid = next(self.ids)
        multi = len(path) > 1
        f = [path, -1, size, 0, c, t0, owner, multi, fid]
        self.before(path, t)
        self.flows[fid] = f
        el_n = self.el_n
        for k in path:
            el_n[k] += 1
        if multi:
            for k in path:
                self.multi[k].add(fid)
        self.after(path, t, f)

    def complete(self, t: float) -> list:
        """Take off every flow due at ``t`` (the current completion event fired).

        Shares change once for all of them. Returns the flows finished, for the caller to
        count; with none (a later arrival pushed the completion back) the event is re-armed.
        """
        self.armed_at = _INF
        gheap, lver, lheap = self.gheap, self.lver, self.lheap
        vt, vt_t, share = self.vt, self.vt_t, self.share
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
            self.arm()
            return finished
        touched = finished[0][0] if len(finished) == 1 else {k for f in finished for k in f[0]}
        self.before(touched, t)
        for f in finished:
            self.detach(f[8], f)
        self.after(touched, t)
        return finished

    def link_mbps(self) -> list:
        """Elastic traffic on every link now, Mbit/s (each flow at its bottleneck's share)."""
        el_mbps = [0.0] * self.n_links
        share = self.share
        for f in self.flows.values():
            r = share[f[1]]
            for link in f[0]:
                el_mbps[link] += r
        return el_mbps
