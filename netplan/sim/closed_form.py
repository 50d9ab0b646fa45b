"""The closed-form fast path: the simulator's questions answered without simulating.

:func:`analytic` takes the same inputs as :func:`netplan.sim.simulate` and returns the same
:class:`netplan.sim.SimResult` shape, each number labelled with the formula behind it:

- stream blocking: the reduced-load fixed point over every (class, path) route, with
  Erlang-B links when all streams have one bandwidth and Kaufman-Roberts links otherwise
  (exact when routes do not share links; an approximation otherwise);
- link utilisation: carried stream load plus elastic and response traffic (flow balance);
- elastic transfer time: M/G/1 processor sharing on the path's bottleneck link, with the
  capacity the carried streams leave free (exact on a single link);
- pools: M/M/c per pool (Erlang-C), joined by the traffic equations of an open Jackson
  network when requests move between pools; a pool serving classes with different mean
  service times uses their arrival-weighted mean (an approximation);
- request response time: expected time through the pools, plus the response transfer
  and the round trip over the response path.

Rates are those of one hour of the day (the busiest by default).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from functools import reduce

import numpy as np

from netplan.errors import Problem, ValidationError
from netplan.sim.engines.tables import compile_model
from netplan.sim.model import Reroute, ServerPool, SimNetwork, TrafficClass
from netplan.sim.queueing.delay import mmc, processor_sharing
from netplan.sim.queueing.loss import erlang_fixed_point
from netplan.sim.result import METRICS, Metric, SimResult

__all__ = ["analytic", "class_rates"]

log = logging.getLogger(__name__)


def class_rates(classes: Sequence[TrafficClass], hour: int | None = None) -> tuple:
    """Arrival rate of every class in one hour, and that hour.

    With ``hour=None`` the busiest hour is used: the one with the most offered Mbit/s
    (stream bandwidth × Erlangs plus elastic and response volume per second). A trace
    class counts as Poisson at its average rate.

    Examples
    --------
    >>> c = TrafficClass("x", "elastic", paths=[[0]], size_mbit=1.0,
    ...                  arrival_rate_per_s=[1.0] * 10 + [3.0] + [1.0] * 13)
    >>> rates, h = class_rates([c])
    >>> h, float(rates[0])
    (10, 3.0)
    """
    n = len(classes)
    table = np.zeros((n, 24))
    weight = np.zeros(n)
    for i, c in enumerate(classes):
        if c.arrival_times_s is not None:
            tr = c.arrival_times_s
            span = float(tr[-1] - tr[0]) if tr.size > 1 else 0.0
            table[i] = (tr.size - 1) / span if span > 0 else 0.0
        else:
            table[i] = c.arrival_rate_per_s
        if c.kind == "stream":
            weight[i] = c.bandwidth_mbps * c.holding_s
        elif c.kind == "elastic":
            weight[i] = c.size_mbit
        else:
            weight[i] = c.response_mbit
    if hour is None:
        volume = weight @ table
        hour = int(np.argmax(volume)) if volume.any() else int(np.argmax(table.sum(axis=0)))
    if not 0 <= int(hour) < 24:
        raise ValidationError([Problem("", "hour", "must be in 0..23")])
    return table[:, int(hour)].copy(), int(hour)


def analytic(
    network: SimNetwork,
    classes: Sequence[TrafficClass],
    pools: Sequence[ServerPool] = (),
    *,
    pool_routing=None,
    hour: int | None = None,
    failed_links=None,
    reroute: Reroute | None = None,
    max_units: int = 100_000,
) -> SimResult:
    """Closed-form estimates in the shape of :func:`netplan.sim.simulate`'s result.

    Parameters
    ----------
    network, classes, pools, pool_routing, reroute
        As for :func:`netplan.sim.simulate`.
    hour : int, optional
        Hour of day whose rates are used (default: the busiest).
    failed_links : array_like of bool, optional
        Links that are down; paths come from ``reroute`` (or ECMP pruning).
    max_units : int
        Largest link size, in bandwidth units, for the Kaufman-Roberts recursion;
        bigger links use a coarser unit with stream bandwidths rounded up (conservative).

    Returns
    -------
    SimResult
        ``method="analytic"``; each metric element names its formula.

    Examples
    --------
    >>> net = SimNetwork(("l0",), [10.0])
    >>> video = TrafficClass("video", "stream", paths=[[0]], arrival_rate_per_s=5.0,
    ...                      bandwidth_mbps=1.0, holding_s=1.0)
    >>> res = analytic(net, [video])
    >>> round(float(res["blocking"].mean[0]), 6), res["blocking"].method[0]
    (0.018385, 'erlang_fixed_point')
    """
    cm = compile_model(network, classes, pools, pool_routing=pool_routing, reroute=reroute)
    rates, hour = class_rates(cm.classes, hour)
    n_l, n_c, n_p = cm.n_links, cm.n_classes, cm.n_pools
    mask = np.zeros(n_l, bool) if failed_links is None else np.asarray(failed_links, bool)
    if mask.shape != (n_l,):
        raise ValidationError([Problem("", "failed_links", f"needs {n_l} booleans")])
    ps = cm.paths_for(mask)
    cap = np.where(mask, 0.0, np.asarray(cm.cap_mbps))
    cap_kbps = np.where(mask, 0, np.asarray(cm.cap_kbps, dtype=np.int64))

    blocking = np.full(n_c, np.nan)
    blocking_m = ["none"] * n_c
    response = np.full(n_c, np.nan)
    response_m = ["none"] * n_c
    stream_mbps = np.zeros(n_l)
    elastic_mbps = np.zeros(n_l)
    _streams(cm, ps, rates, cap_kbps, max_units, blocking, blocking_m, stream_mbps)
    transfer_s = _elastic(cm, ps, rates, cap, stream_mbps, elastic_mbps)
    for c in range(n_c):
        if cm.kind[c] == 1:
            if ps.paths[c]:
                response[c], response_m[c] = transfer_s[c], "processor_sharing"
                blocking[c], blocking_m[c] = 0.0, "route_availability"
            else:
                blocking[c], blocking_m[c] = 1.0, "no_route"
    pool_metrics, pool_method = {}, None
    if n_p:
        pool_metrics, pool_method = _pools(cm, ps, rates, transfer_s, blocking, blocking_m,
                                           response, response_m)

    util = np.where(cap > 0, (stream_mbps + elastic_mbps) / np.where(cap > 0, cap, 1.0), 0.0)
    values = {
        "blocking": (blocking, blocking_m),
        "response_mean_s": (response, response_m),
        "link_utilisation_mean": (util, "flow_balance"),
    }
    for name, arr in pool_metrics.items():
        values[name] = (np.asarray(arr, dtype=float), pool_method)
    metrics = {}
    for name, (arr, method) in values.items():
        axis, unit, _ = METRICS[name]
        arr = np.asarray(arr, dtype=float)
        metrics[name] = Metric(name, axis, unit, arr, arr, arr, np.zeros(arr.size, int), method)
    log.debug("analytic estimates for hour %d", hour)
    return SimResult(
        method="analytic",
        class_ids=cm.class_ids,
        link_ids=network.link_ids,
        pool_ids=tuple(p.id for p in cm.pools),
        metrics=metrics,
    )


def _path_probs(ps, c: int) -> list[float]:
    """Probability of each path of class ``c`` in the path set ``ps``."""
    cum = ps.cum[c]
    if cum is None:
        return [1.0] * len(ps.paths[c])
    return np.diff([0.0, *cum]).tolist()


def _streams(cm, ps, rates, cap_kbps, max_units, blocking, blocking_m, stream_mbps) -> None:
    """Stream blocking by the reduced-load fixed point, one route per (class, path).

    Fills ``blocking`` and ``blocking_m`` of the stream classes and adds the carried stream
    traffic to ``stream_mbps``.
    """
    n_l, n_c = cm.n_links, cm.n_classes
    routes, r_cls, r_prob = [], [], []
    for c in range(n_c):
        if cm.kind[c] != 0:
            continue
        if not ps.paths[c]:
            blocking[c], blocking_m[c] = 1.0, "no_route"
            continue
        for p, q in zip(ps.paths[c], _path_probs(ps, c), strict=True):
            routes.append(p)
            r_cls.append(c)
            r_prob.append(q)
    if routes:
        bw_kbps = np.array([cm.bw_kbps[c] for c in r_cls], dtype=np.int64)
        offered = np.array(
            [rates[c] * cm.mean_x[c] * q for c, q in zip(r_cls, r_prob, strict=True)]
        )
        inc = np.zeros((len(routes), n_l))
        for r, p in enumerate(routes):
            inc[r, list(p)] = 1.0
        used = inc.any(axis=0)
        sub = inc[:, used]
        single_rate = np.unique(bw_kbps).size == 1
        unit = int(reduce(math.gcd, bw_kbps.tolist()))
        biggest = int(cap_kbps[used].max()) // unit
        if biggest > max_units:
            unit *= math.ceil(biggest / max_units)
        b_units = -(-bw_kbps // unit)
        c_units = cap_kbps[used] // unit
        if single_rate:
            fp = erlang_fixed_point(sub, offered, c_units // int(b_units[0]))
            method = "erlang_fixed_point"
        else:
            fp = erlang_fixed_point(sub, offered, c_units, b_units)
            method = "kaufman_roberts_fixed_point"
        route_b = fp.route_blocking
        for r, c in enumerate(r_cls):
            blocking[c] = (0.0 if np.isnan(blocking[c]) else blocking[c]) + r_prob[r] * route_b[r]
            blocking_m[c] = method
        carried = offered * (1.0 - route_b) * bw_kbps / 1000.0
        stream_mbps += carried @ inc


def _elastic(cm, ps, rates, cap, stream_mbps, elastic_mbps) -> np.ndarray:
    """Mean transfer time per class by processor sharing of the capacity streams leave.

    Adds the elastic volume (transfers and request responses) to ``elastic_mbps``.
    """
    n_c = cm.n_classes
    flows = []  # (class, path, prob, size)
    for c in range(n_c):
        size = cm.mean_x[c] if cm.kind[c] == 1 else cm.mean_y[c] if cm.kind[c] == 2 else 0.0
        if cm.kind[c] == 0 or not ps.paths[c]:
            continue
        for p, q in zip(ps.paths[c], _path_probs(ps, c), strict=True):
            elastic_mbps[list(p)] += rates[c] * q * size
            flows.append((c, p, q, size))
    residual = np.maximum(cap - stream_mbps, 0.0)
    transfer_s = np.zeros(n_c)
    for c, p, q, size in flows:
        if size <= 0:
            continue
        idx = list(p)
        res = residual[idx]
        if np.any(res <= 0):
            t = np.inf
        else:
            lam = elastic_mbps[idx] / np.maximum(size, 1e-300)
            t = float(np.max(processor_sharing(lam, size, res)))
        transfer_s[c] += q * t
    return transfer_s


def _pools(cm, ps, rates, transfer_s, blocking, blocking_m, response, response_m) -> tuple:
    """Pools as M/M/c queues in a Jackson network; request response times and blocking.

    Returns the pool metrics and the method's name; fills the request classes' entries
    of ``blocking``, ``blocking_m``, ``response`` and ``response_m``.
    """
    n_c, n_p = cm.n_classes, cm.n_pools
    ext = np.zeros(n_p)
    svc_weighted = np.zeros(n_p)
    for c in range(n_c):
        if cm.kind[c] == 2 and ps.paths[c]:
            ext[cm.pool_of[c]] += rates[c]
            svc_weighted[cm.pool_of[c]] += rates[c] * cm.mean_x[c]
    routing = cm.pool_routing if cm.pool_routing is not None else np.zeros((n_p, n_p))
    lam = np.linalg.solve(np.eye(n_p) - routing.T, ext)
    routed_in = lam - ext
    svc = np.array([s if s is not None else 0.0 for s in cm.pool_service_s])
    total_work = svc_weighted + routed_in * svc
    mean_svc = np.where(lam > 0, total_work / np.where(lam > 0, lam, 1.0), np.nan)
    mean_svc = np.where(np.isnan(mean_svc), np.where(svc > 0, svc, 1.0), mean_svc)
    m = mmc(np.maximum(lam, 0.0), 1.0 / mean_svc, cm.servers)
    pool_method = "jackson" if cm.pool_routing is not None else "erlang_c"
    pool_metrics = {
        "pool_mean_in_system": m.l,
        "pool_mean_queue_length": m.lq,
        "pool_utilisation": m.utilisation,
        "pool_mean_wait_s": m.wq_s,
        "pool_mean_sojourn_s": m.w_s,
    }
    # expected time from entering pool i until leaving the pool network
    through = np.linalg.solve(np.eye(n_p) - routing, m.w_s)
    lat = np.asarray(cm.latency_s)
    for c in range(n_c):
        if cm.kind[c] != 2:
            continue
        if not ps.paths[c]:
            blocking[c], blocking_m[c] = 1.0, "no_route"
            continue
        rtt = sum(
            q * 2.0 * lat[list(p)].sum()
            for p, q in zip(ps.paths[c], _path_probs(ps, c), strict=True)
        )
        response[c] = through[cm.pool_of[c]] + transfer_s[c] + rtt
        response_m[c] = pool_method + ("+processor_sharing" if cm.mean_y[c] > 0 else "")
        blocking[c], blocking_m[c] = 0.0, "route_availability"
    return pool_metrics, pool_method
