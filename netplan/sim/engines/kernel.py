"""The session-level calendar, compiled with numba.

Between two events of the simpy calendar (warm-up end, a sample, a failure, a repair, the
end of the run) the sessions' own events -- arrivals, stream departures, elastic
completions, server completions -- are handled here, in time order, on flat numpy
arrays. :mod:`netplan.sim.engines.numba` owns the arrays and the simpy environment and
calls :func:`advance` at every simpy event up to the next one.

The models are those of :mod:`netplan.sim.engines.python` (see its docstring), event for
event:

- a stream holds ``bw_kbps`` on every link of its path until it leaves; it is blocked
  when a link lacks room (``free_kbps < bw``; a failed link has ``free_kbps == -1``);
- an elastic flow's rate is the smallest per-link share on its path, where a link's
  share is the capacity streams leave free divided equally among its elastic flows;
  rates change only when a share on the path changes, so every flow keeps its remaining
  size as of its last rate change and the time it would finish at the current rate;
- a request queues FIFO for a server of its pool, may be routed on to further pools,
  and its response then travels back as an elastic flow.

State lives in tuples of arrays (built by :class:`netplan.sim.engines.numba.KernelState`);
every function here mutates them in place. Slot tables grow on demand: :func:`advance`
stops with a ``NEED_*`` code before an event that needs a free slot or a fresh random
draw, the caller grows or refills the arrays and calls again, so no event is ever
half-handled.

Why this is one module of a little over 600 lines
-------------------------------------------------
It is one algorithm: the event loop :func:`advance` and the helpers it is made of, each
small, each compiled with ``inline="always"`` into the loop (and into the three other
entry points). Inlining is for speed: passing dozens of arrays from call to call costs
more than the model work (1M sessions of the Chongqing busy hour: 3.5–3.9 s as calls,
1.9–2.2 s inlined, the same compile time). The helpers share the cursor layout, the heap
codes and the slot-table layouts defined at the top, and read as one piece with them;
split over modules they would still be one algorithm, with its invariants in two places.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "DONE",
    "NEED_ARRIVALS",
    "NEED_DRAWS",
    "NEED_ROOM",
    "admit_initial_streams",
    "advance",
    "cut_link",
    "elastic_link_mbps",
    "pool_touch",
]

# Return codes of advance()
DONE = 0
NEED_ARRIVALS = 1
NEED_DRAWS = 2
NEED_ROOM = 3

# Integer cursor (``cur``) positions
C_ARR = 0  # next arrival in the batch
C_ARR_N = 1  # arrivals in the batch
C_ARR_END = 2  # 1 once the source has no more batches
C_HEAP_N = 3  # calendar entries
C_SEQ = 4  # insertion counter: ties in time keep insertion order
C_STREAM_FREE = 5  # free stream slots (top of the free stack)
C_FLOW_FREE = 6
C_FLOWS = 7  # active elastic flows
C_REQ_FREE = 8
C_RESP_N = 9  # recorded response times
C_UNI = 10  # next uniform draw
C_EXP = 11  # next exponential draw
N_CURSOR = 12

# Float cursor (``fcur``) positions
F_EL_NEXT = 0  # time of the next elastic completion
F_WARM = 1  # end of the warm-up
N_FCURSOR = 2

_INF = np.inf


# ------------------------------------------------------------------ calendar heap
@njit(cache=True, inline="always")
def _heap_less(ht, hs, i, j):
    return ht[i] < ht[j] or (ht[i] == ht[j] and hs[i] < hs[j])


@njit(cache=True, inline="always")
def _heap_swap(ht, hs, hc, i, j):
    ht[i], ht[j] = ht[j], ht[i]
    hs[i], hs[j] = hs[j], hs[i]
    hc[i], hc[j] = hc[j], hc[i]


@njit(cache=True, inline="always")
def _heap_push(heap, cur, t, code):
    ht, hs, hc = heap
    i = cur[C_HEAP_N]
    ht[i] = t
    hs[i] = cur[C_SEQ]
    hc[i] = code
    cur[C_SEQ] += 1
    cur[C_HEAP_N] = i + 1
    while i > 0:
        parent = (i - 1) >> 1
        if _heap_less(ht, hs, i, parent):
            _heap_swap(ht, hs, hc, i, parent)
            i = parent
        else:
            break


@njit(cache=True, inline="always")
def _heap_pop(heap, cur):
    ht, hs, hc = heap
    code = hc[0]
    n = cur[C_HEAP_N] - 1
    cur[C_HEAP_N] = n
    if n > 0:
        ht[0], hs[0], hc[0] = ht[n], hs[n], hc[n]
        i = 0
        while True:
            left = 2 * i + 1
            if left >= n:
                break
            child = left
            if left + 1 < n and _heap_less(ht, hs, left + 1, left):
                child = left + 1
            if _heap_less(ht, hs, child, i):
                _heap_swap(ht, hs, hc, child, i)
                i = child
            else:
                break
    return code


# ------------------------------------------------------------------ paths
@njit(cache=True, inline="always")
def _pick(paths, c, u):
    """Index of the path class ``c`` takes for uniform draw ``u`` (-1 when none)."""
    first, count, cum, _, _ = paths
    n = count[c]
    if n == 0:
        return -1
    p0 = first[c]
    if n == 1:
        return p0
    for j in range(n - 1):
        if cum[p0 + j] > u:
            return p0 + j
    return p0 + n - 1


# ------------------------------------------------------------------ elastic sharing
@njit(cache=True, inline="always")
def _set_share(links, k):
    free, up, el_n, share = links
    n = el_n[k]
    share[k] = free[k] * 0.001 / n if n > 0 else 0.0


@njit(cache=True, inline="always")
def _update_rates(links, flows, cur, fcur, t):
    """Give every active flow its new rate after shares changed; find the next finish."""
    share = links[3]
    f_links, f_len, rem, rate, t_upd, fin, _, _, _, active, _ = flows
    nxt = _INF
    for a in range(cur[C_FLOWS]):
        f = active[a]
        r = _INF
        for j in range(f_len[f]):
            s = share[f_links[f, j]]
            if s < r:
                r = s
        if r != rate[f]:
            rem[f] -= rate[f] * (t - t_upd[f])
            t_upd[f] = t
            rate[f] = r
            fin[f] = t + rem[f] / r if r > 0.0 else _INF
        if fin[f] < nxt:
            nxt = fin[f]
    fcur[F_EL_NEXT] = nxt


@njit(cache=True, inline="always")
def _flow_start(links, flows, cur, fcur, path_links, path_len, c, t, size, t0, owner):
    el_n = links[2]
    f_links, f_len, rem, rate, t_upd, fin, f_cls, f_t0, f_owner, active, free_stack = flows
    cur[C_FLOW_FREE] -= 1
    f = free_stack[cur[C_FLOW_FREE]]
    for j in range(path_len):
        k = path_links[j]
        f_links[f, j] = k
        el_n[k] += 1
        _set_share(links, k)
    f_len[f] = path_len
    rem[f] = size
    rate[f] = 0.0
    t_upd[f] = t
    fin[f] = _INF
    f_cls[f] = c
    f_t0[f] = t0
    f_owner[f] = owner
    active[cur[C_FLOWS]] = f
    cur[C_FLOWS] += 1
    _update_rates(links, flows, cur, fcur, t)


@njit(cache=True, inline="always")
def _flow_remove(links, flows, cur, a):
    """Take the flow at position ``a`` of the active list off its links; return its slot."""
    el_n = links[2]
    f_links, f_len, _, _, _, _, _, _, _, active, free_stack = flows
    f = active[a]
    for j in range(f_len[f]):
        el_n[f_links[f, j]] -= 1
    last = cur[C_FLOWS] - 1
    active[a] = active[last]
    cur[C_FLOWS] = last
    free_stack[cur[C_FLOW_FREE]] = f
    cur[C_FLOW_FREE] += 1
    return f


@njit(cache=True, inline="always")
def _record(resp, cur, c, value):
    resp_cls, resp_s = resp
    i = cur[C_RESP_N]
    resp_cls[i] = c
    resp_s[i] = value
    cur[C_RESP_N] = i + 1


# ------------------------------------------------------------------ pools and requests
@njit(cache=True, inline="always")
def pool_touch(pools, p, t, warm):
    busy, q_head, q_tail, q_len, last, area_sys, area_q, area_busy = pools[:8]
    if t > warm:
        lo = last[p] if last[p] > warm else warm
        dt = t - lo
        q = q_len[p]
        area_sys[p] += (busy[p] + q) * dt
        area_q[p] += q * dt
        area_busy[p] += busy[p] * dt
    last[p] = t


@njit(cache=True, inline="always")
def _pool_enter(model, pools, reqs, heap, cur, r, p, t, service, warm):
    servers = model[5]
    busy, q_head, q_tail, q_len = pools[:4]
    wait_n = pools[9]
    r_pool, r_enter, r_service, r_next = reqs[4], reqs[5], reqs[6], reqs[7]
    pool_touch(pools, p, t, warm)
    r_pool[r] = p
    r_enter[r] = t
    if busy[p] < servers[p]:
        busy[p] += 1
        if t >= warm:
            wait_n[p] += 1
        _heap_push(heap, cur, t + service, 2 * r + 1)
    else:
        r_service[r] = service
        r_next[r] = -1
        if q_len[p] == 0:
            q_head[p] = r
        else:
            r_next[q_tail[p]] = r
        q_tail[p] = r
        q_len[p] += 1


@njit(cache=True, inline="always")
def _request_free(reqs, cur, r):
    reqs[8][cur[C_REQ_FREE]] = r
    cur[C_REQ_FREE] += 1


@njit(cache=True, inline="always")
def _request_done(model, counts, reqs, resp, cur, r, path_links, path_len, t, warm):
    latency_s = model[4]
    done = counts[3]
    c = reqs[0][r]
    t0 = reqs[1][r]
    done[c] += 1
    if t0 >= warm:
        rtt = 0.0
        for j in range(path_len):
            rtt += latency_s[path_links[j]]
        _record(resp, cur, c, t - t0 + 2.0 * rtt)
    _request_free(reqs, cur, r)


@njit(cache=True, inline="always")
def _respond(model, paths, links, counts, flows, reqs, resp, cur, fcur, r, t, warm):
    up = links[1]
    cut = counts[2]
    c = reqs[0][r]
    pi = _pick(paths, c, reqs[2][r])
    path_links, path_len = paths[3], paths[4]
    if pi < 0:
        cut[c] += 1
        _request_free(reqs, cur, r)
        return
    n = path_len[pi]
    for j in range(n):
        if up[path_links[pi, j]] == 0:
            cut[c] += 1
            _request_free(reqs, cur, r)
            return
    size = reqs[3][r]
    if size > 0.0:
        _flow_start(links, flows, cur, fcur, path_links[pi], n, c, t, size, reqs[1][r], r)
    else:
        _request_done(model, counts, reqs, resp, cur, r, path_links[pi], n, t, warm)


@njit(cache=True, inline="always")
def _served(model, paths, links, counts, heap, flows, reqs, pools, draws, resp, cur, fcur, r, t):
    warm = fcur[F_WARM]
    route_first, route_cum, route_dest, pool_service_s, pool_det = model[6:11]
    busy, q_head, q_len = pools[0], pools[1], pools[3]
    wait_sum, wait_n, soj_sum, soj_n = pools[8], pools[9], pools[10], pools[11]
    r_pool, r_enter, r_service, r_next = reqs[4], reqs[5], reqs[6], reqs[7]
    p = r_pool[r]
    pool_touch(pools, p, t, warm)
    if r_enter[r] >= warm:
        soj_sum[p] += t - r_enter[r]
        soj_n[p] += 1
    if q_len[p] > 0:
        nxt = q_head[p]
        q_head[p] = r_next[nxt]
        q_len[p] -= 1
        if r_enter[nxt] >= warm:
            wait_sum[p] += t - r_enter[nxt]
            wait_n[p] += 1
        _heap_push(heap, cur, t + r_service[nxt], 2 * nxt + 1)
    else:
        busy[p] -= 1
    lo, hi = route_first[p], route_first[p + 1]
    if hi > lo:
        uni, expo = draws
        u = uni[cur[C_UNI]]
        cur[C_UNI] += 1
        j = lo
        while j < hi and route_cum[j] <= u:
            j += 1
        if j < hi:
            dest = route_dest[j]
            if pool_det[dest]:
                draw = 1.0
            else:
                draw = expo[cur[C_EXP]]
                cur[C_EXP] += 1
            _pool_enter(model, pools, reqs, heap, cur, r, dest, t, draw * pool_service_s[dest], warm)
            return
    _respond(model, paths, links, counts, flows, reqs, resp, cur, fcur, r, t, warm)


# ------------------------------------------------------------------ streams
@njit(cache=True, inline="always")
def _fits(paths, links, pi, bw):
    """True when every link of path ``pi`` has ``bw`` kbit/s free."""
    free = links[0]
    path_links, path_len = paths[3], paths[4]
    for j in range(path_len[pi]):
        if free[path_links[pi, j]] < bw:
            return False
    return True


@njit(cache=True, inline="always")
def _hold(paths, links, heap, streams, cur, c, pi, bw, leave_t):
    """Put a stream of class ``c`` on path ``pi`` until ``leave_t``.

    Returns True when a link it takes had elastic flows (their shares changed).
    """
    free, el_n = links[0], links[2]
    path_links, path_len = paths[3], paths[4]
    s_cls, s_bw, s_links, s_len, s_state, s_free = streams
    n = path_len[pi]
    cur[C_STREAM_FREE] -= 1
    s = s_free[cur[C_STREAM_FREE]]
    s_cls[s] = c
    s_bw[s] = bw
    s_len[s] = n
    s_state[s] = 1
    shared = False
    for j in range(n):
        link = path_links[pi, j]
        s_links[s, j] = link
        free[link] -= bw
        if el_n[link] > 0:
            shared = True
            _set_share(links, link)
    _heap_push(heap, cur, leave_t, 2 * s)
    return shared


# ------------------------------------------------------------------ events
@njit(cache=True, inline="always")
def _arrival(model, paths, links, counts, arrivals, heap, streams, flows, reqs, pools, cur,
             fcur, i):
    kind, bw_kbps, pool_of = model[0], model[1], model[2]
    up = links[1]
    arrived, blocked = counts[0], counts[1]
    a_t, a_cls, a_u, a_x, a_y = arrivals
    path_links, path_len = paths[3], paths[4]
    warm = fcur[F_WARM]
    t = a_t[i]
    c = a_cls[i]
    arrived[c] += 1
    pi = _pick(paths, c, a_u[i])
    if pi < 0:
        blocked[c] += 1
        return
    n = path_len[pi]
    k = kind[c]
    if k == 0:
        bw = bw_kbps[c]
        if not _fits(paths, links, pi, bw):
            blocked[c] += 1
            return
        if _hold(paths, links, heap, streams, cur, c, pi, bw, t + a_x[i]):
            _update_rates(links, flows, cur, fcur, t)
    elif k == 1:
        for j in range(n):
            if up[path_links[pi, j]] == 0:
                blocked[c] += 1
                return
        _flow_start(links, flows, cur, fcur, path_links[pi], n, c, t, a_x[i], t, -1)
    else:
        r_cls, r_t0, r_u, r_y = reqs[0], reqs[1], reqs[2], reqs[3]
        cur[C_REQ_FREE] -= 1
        r = reqs[8][cur[C_REQ_FREE]]
        r_cls[r] = c
        r_t0[r] = t
        r_u[r] = a_u[i]
        r_y[r] = a_y[i]
        _pool_enter(model, pools, reqs, heap, cur, r, pool_of[c], t, a_x[i], warm)


@njit(cache=True, inline="always")
def _depart(links, counts, streams, flows, cur, fcur, s, t):
    free, el_n = links[0], links[2]
    done = counts[3]
    s_cls, s_bw, s_links, s_len, s_state, s_free = streams
    if s_state[s] == 1:  # not cut by a failure meanwhile
        done[s_cls[s]] += 1
        bw = s_bw[s]
        shared = False
        for j in range(s_len[s]):
            link = s_links[s, j]
            free[link] += bw
            if el_n[link] > 0:
                shared = True
                _set_share(links, link)
        if shared:
            _update_rates(links, flows, cur, fcur, t)
    s_state[s] = 0
    s_free[cur[C_STREAM_FREE]] = s
    cur[C_STREAM_FREE] += 1


@njit(cache=True, inline="always")
def _finish_flows(model, links, counts, flows, reqs, resp, cur, fcur, t, done_buf):
    """Complete every flow due at ``t``: shares change once, then each is counted."""
    done = counts[3]
    f_links, f_len, _, _, _, fin, f_cls, f_t0, f_owner, active, _ = flows
    warm = fcur[F_WARM]
    limit = t + 1e-12 * (1.0 + t)
    n_done = 0
    a = 0
    while a < cur[C_FLOWS]:
        f = active[a]
        if fin[f] <= limit:
            done_buf[n_done] = _flow_remove(links, flows, cur, a)
            n_done += 1
        else:
            a += 1
    for m in range(n_done):
        f = done_buf[m]
        for j in range(f_len[f]):
            _set_share(links, f_links[f, j])
    _update_rates(links, flows, cur, fcur, t)
    for m in range(n_done):
        f = done_buf[m]
        owner = f_owner[f]
        if owner < 0:
            c = f_cls[f]
            done[c] += 1
            if f_t0[f] >= warm:
                _record(resp, cur, c, t - f_t0[f])
        else:
            _request_done(model, counts, reqs, resp, cur, owner, f_links[f], f_len[f], t, warm)


@njit(cache=True)
def advance(until, model, paths, links, counts, arrivals, heap, streams, flows, reqs, pools,
            draws, resp, cur, fcur):
    """Handle every session event earlier than ``until``, in time order.

    Returns ``DONE`` when the next event is at or after ``until``, or a ``NEED_*`` code
    (before touching the event that needs it) when the arrival batch is used up, a
    random-draw buffer is empty, or a slot table, the calendar or the response buffer
    is full.
    """
    ht = heap[0]
    a_t = arrivals[0]
    uni, expo = draws
    done_buf = np.empty(flows[9].shape[0], np.int64)
    while True:
        if cur[C_ARR] >= cur[C_ARR_N] and cur[C_ARR_END] == 0:
            return NEED_ARRIVALS
        if cur[C_UNI] >= uni.shape[0] or cur[C_EXP] >= expo.shape[0]:
            return NEED_DRAWS
        # room for whatever the next event may add: one slot of each kind, one calendar
        # entry, and a response time per flow that can finish at once
        if (
            cur[C_STREAM_FREE] == 0
            or cur[C_FLOW_FREE] == 0
            or cur[C_REQ_FREE] == 0
            or cur[C_HEAP_N] >= ht.shape[0] - 1
            or cur[C_RESP_N] + cur[C_FLOWS] + 1 >= resp[1].shape[0]
        ):
            return NEED_ROOM
        t_el = fcur[F_EL_NEXT]
        t_heap = ht[0] if cur[C_HEAP_N] > 0 else _INF
        t_cal = t_heap if t_heap <= t_el else t_el
        i = cur[C_ARR]
        t_arr = a_t[i] if i < cur[C_ARR_N] else _INF
        if t_arr < t_cal:  # calendar events at the same time come first
            if t_arr >= until:
                return DONE
            cur[C_ARR] = i + 1
            _arrival(model, paths, links, counts, arrivals, heap, streams, flows, reqs, pools,
                     cur, fcur, i)
        else:
            if t_cal >= until or t_cal == _INF:
                return DONE
            if t_heap <= t_el:
                code = _heap_pop(heap, cur)
                slot = code >> 1
                if code & 1:
                    _served(model, paths, links, counts, heap, flows, reqs, pools, draws,
                            resp, cur, fcur, slot, t_heap)
                else:
                    _depart(links, counts, streams, flows, cur, fcur, slot, t_heap)
            else:
                _finish_flows(model, links, counts, flows, reqs, resp, cur, fcur, t_el,
                              done_buf)


@njit(cache=True)
def admit_initial_streams(model, paths, links, heap, streams, cur, cls, u, rest_s):
    """Put the sessions in progress at time 0 on their paths (without counting them).

    The caller has made room for all of them. One that does not fit is left out.
    """
    bw_kbps = model[1]
    for i in range(cls.shape[0]):
        c = cls[i]
        pi = _pick(paths, c, u[i])
        if pi >= 0 and _fits(paths, links, pi, bw_kbps[c]):
            _hold(paths, links, heap, streams, cur, c, pi, bw_kbps[c], rest_s[i])


@njit(cache=True)
def cut_link(links, counts, streams, flows, reqs, cur, fcur, link, t):
    """Fail ``link`` at ``t``: cut the streams and flows on it and mark it down."""
    free, up = links[0], links[1]
    cut = counts[2]
    s_cls, s_bw, s_links, s_len, s_state, _ = streams
    f_links, f_len, _, _, _, _, f_cls, _, f_owner, active, _ = flows
    up[link] = 0
    for s in range(s_state.shape[0]):
        if s_state[s] != 1:
            continue
        hit = False
        for j in range(s_len[s]):
            if s_links[s, j] == link:
                hit = True
        if hit:
            for j in range(s_len[s]):
                other = s_links[s, j]
                if other != link:
                    free[other] += s_bw[s]
            cut[s_cls[s]] += 1
            s_state[s] = 2  # its departure stays on the calendar and frees the slot
    free[link] = -1
    a = 0
    while a < cur[C_FLOWS]:
        f = active[a]
        hit = False
        for j in range(f_len[f]):
            if f_links[f, j] == link:
                hit = True
        if hit:
            c = f_cls[f]
            owner = f_owner[f]
            _flow_remove(links, flows, cur, a)
            cut[c] += 1
            if owner >= 0:
                _request_free(reqs, cur, owner)
        else:
            a += 1
    for k in range(free.shape[0]):
        _set_share(links, k)
    _update_rates(links, flows, cur, fcur, t)


@njit(cache=True)
def elastic_link_mbps(links, flows, cur):
    """Elastic traffic on every link now, Mbit/s (each flow at its current rate)."""
    out = np.zeros(links[0].shape[0])
    f_links, f_len, _, rate = flows[0], flows[1], flows[2], flows[3]
    active = flows[9]
    for a in range(cur[C_FLOWS]):
        f = active[a]
        for j in range(f_len[f]):
            out[f_links[f, j]] += rate[f]
    return out
