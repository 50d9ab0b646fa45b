"""Delay systems in closed form: Erlang-C, M/M/c, processor sharing and Jackson networks.

A customer that finds the servers busy waits (or shares them); these give waiting
probabilities, queue lengths, and waiting, response and sojourn times. Every function
accepts arrays (one element per queue, pool or link) and broadcasts like numpy.

Sources
-------
- Erlang-C, M/M/c and M/M/1: L. Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley (1975),
  §3.5 and §3.2; D. Gross, C. M. Harris, *Fundamentals of Queueing Theory*, Wiley (1998), §2.3.
- Processor sharing: L. Kleinrock, *Queueing Systems, Vol. 2*, Wiley (1976), §4.4;
  M. Harchol-Balter, *Performance Modeling and Design of Computer Systems*, CUP (2013), ch. 22.
- Open Jackson networks: J. R. Jackson, "Jobshop-like queueing systems", Management Science
  10(1) (1963) 131-142; Gross & Harris (1998), §4.1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netplan.sim.queueing.inputs import (
    check_nonnegative,
    invalid,
    scalar_or_array,
    whole_numbers,
)
from netplan.sim.queueing.loss import erlang_b

__all__ = [
    "JacksonMetrics",
    "MMcMetrics",
    "erlang_c",
    "jackson_network",
    "mm1",
    "mmc",
    "processor_sharing",
]


def erlang_c(servers, offered_erlangs):
    r"""Probability that an arrival waits in an M/M/c queue (Erlang-C).

    .. math:: C(c, a) = \frac{c\,E(c, a)}{c - a\,(1 - E(c, a))}, \quad a < c

    with :math:`E` the Erlang-B formula (Kleinrock 1975, eq. 3.40; Iversen 2015, §9.2).
    For :math:`a \ge c` the queue is unstable and every arrival waits: the result is 1.

    Parameters
    ----------
    servers : int or array_like of int
        Number of servers ``c`` (>= 1).
    offered_erlangs : float or array_like
        Offered load ``a = λ/μ`` in Erlangs.

    Returns
    -------
    float or numpy.ndarray
        Probability of waiting.

    Examples
    --------
    >>> round(erlang_c(3, 2.0), 4)     # M/M/3, λ=0.1, μ=0.05
    0.4444
    >>> round(erlang_c(2, 1.0), 4)     # 2ρ²/(1+ρ) with ρ = 0.5
    0.3333
    """
    c = whole_numbers("servers", servers)
    if np.any(c < 1):
        raise invalid("servers", "an M/M/c queue needs at least one server")
    a = np.asarray(offered_erlangs, dtype=float)
    check_nonnegative("offered_erlangs", a)
    c, a = np.broadcast_arrays(c, a)
    b = np.asarray(erlang_b(c, a), dtype=float)
    stable = a < c
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(stable, c * b / (c - a * (1.0 - b)), 1.0)
    return scalar_or_array(p)


@dataclass(frozen=True, eq=False)
class MMcMetrics:
    """Steady-state metrics of M/M/c queues (one element per queue).

    Attributes
    ----------
    utilisation : numpy.ndarray
        ρ = λ / (c μ), the mean fraction of busy servers.
    p_wait : numpy.ndarray
        Erlang-C probability that an arrival waits.
    lq : numpy.ndarray
        Mean number waiting (not in service).
    l : numpy.ndarray
        Mean number in the system.
    wq_s : numpy.ndarray
        Mean wait in the queue, seconds.
    w_s : numpy.ndarray
        Mean time in the system (wait + service), seconds.
    """

    utilisation: np.ndarray
    p_wait: np.ndarray
    lq: np.ndarray
    l: np.ndarray  # noqa: E741 - the textbook name
    wq_s: np.ndarray
    w_s: np.ndarray


def mmc(arrival_rate_per_s, service_rate_per_s, servers) -> MMcMetrics:
    r"""Steady-state metrics of M/M/c FIFO queues.

    With :math:`a = λ/μ`, :math:`ρ = a/c` and :math:`C` the Erlang-C probability
    (Gross & Harris 1998, §2.3):

    .. math::
       L_q = C \frac{ρ}{1-ρ}, \quad W_q = \frac{L_q}{λ}, \quad W = W_q + \frac{1}{μ},
       \quad L = λ W

    Unstable queues (:math:`ρ \ge 1`) get infinite ``lq``, ``l``, ``wq_s`` and ``w_s``.

    Parameters
    ----------
    arrival_rate_per_s : float or array_like
        λ, arrivals per second.
    service_rate_per_s : float or array_like
        μ, services per second per server.
    servers : int or array_like of int
        c, servers per queue.

    Returns
    -------
    MMcMetrics

    Examples
    --------
    >>> m = mmc(0.1, 0.05, 3)
    >>> round(float(m.lq), 4), round(float(m.w_s), 3)
    (0.8889, 28.889)
    """
    lam = np.asarray(arrival_rate_per_s, dtype=float)
    mu = np.asarray(service_rate_per_s, dtype=float)
    check_nonnegative("arrival_rate_per_s", lam)
    if np.any(~np.isfinite(mu)) or np.any(mu <= 0):
        raise invalid("service_rate_per_s", "must be finite and > 0")
    c = whole_numbers("servers", servers)
    lam, mu, c = np.broadcast_arrays(lam, mu, c)
    a = lam / mu
    rho = a / np.maximum(c, 1)
    p_wait = np.asarray(erlang_c(c, a), dtype=float)
    stable = rho < 1
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = np.where(stable, p_wait * rho / (1.0 - rho), np.inf)
        wq = np.where(lam > 0, lq / np.where(lam > 0, lam, 1.0), 0.0)
        wq = np.where(stable, wq, np.inf)
    w = wq + 1.0 / mu
    l_sys = np.where(stable, lam * w, np.inf)
    return MMcMetrics(utilisation=rho, p_wait=p_wait, lq=lq, l=l_sys, wq_s=wq, w_s=w)


def mm1(arrival_rate_per_s, service_rate_per_s) -> MMcMetrics:
    r"""Steady-state metrics of M/M/1 queues: :func:`mmc` with one server.

    :math:`W_q = ρ/(μ - λ)`, :math:`W = 1/(μ - λ)`, :math:`L = ρ/(1-ρ)`
    (Kleinrock 1975, §3.2).

    Examples
    --------
    >>> m = mm1(3.0, 5.0)
    >>> round(float(m.wq_s), 6), round(float(m.w_s), 6)
    (0.3, 0.5)
    """
    return mmc(arrival_rate_per_s, service_rate_per_s, 1)


def processor_sharing(arrival_rate_per_s, size_mbit, capacity_mbps):
    r"""Mean response time of elastic transfers on an M/G/1 processor-sharing link.

    Flows arrive at rate λ with mean size :math:`E[X]` Mbit and share a link of capacity
    :math:`C` Mbit/s equally. With :math:`E[S] = E[X]/C` and :math:`ρ = λ E[S] < 1`,

    .. math:: E[T] = \frac{E[S]}{1 - ρ}, \qquad E[N] = \frac{ρ}{1 - ρ},

    insensitive to the size distribution beyond its mean (Kleinrock 1976, §4.4;
    Harchol-Balter 2013, ch. 22). Unstable links (ρ >= 1) return infinity.

    Parameters
    ----------
    arrival_rate_per_s : float or array_like
        Flow arrival rate λ.
    size_mbit : float or array_like
        Mean flow size, Mbit.
    capacity_mbps : float or array_like
        Link capacity, Mbit/s.

    Returns
    -------
    float or numpy.ndarray
        Mean transfer time in seconds.

    Examples
    --------
    >>> round(processor_sharing(7.0, 10.0, 100.0), 6)   # E[S] = 0.1 s, ρ = 0.7
    0.333333
    """
    lam = np.asarray(arrival_rate_per_s, dtype=float)
    size = np.asarray(size_mbit, dtype=float)
    cap = np.asarray(capacity_mbps, dtype=float)
    check_nonnegative("arrival_rate_per_s", lam)
    check_nonnegative("size_mbit", size)
    if np.any(~np.isfinite(cap)) or np.any(cap <= 0):
        raise invalid("capacity_mbps", "must be finite and > 0")
    service = size / cap
    rho = lam * service
    with np.errstate(divide="ignore"):
        t = np.where(rho < 1, service / (1.0 - rho), np.inf)
    return scalar_or_array(t)


@dataclass(frozen=True, eq=False)
class JacksonMetrics:
    """Steady-state metrics of an open Jackson network (one element per node).

    Attributes
    ----------
    arrival_rate_per_s : numpy.ndarray
        Total arrival rate at each node from the traffic equations.
    utilisation, lq, l, wq_s, w_s : numpy.ndarray
        Per-node M/M/c metrics (``w_s`` is the time per visit).
    mean_number_total : float
        Mean number of customers in the whole network.
    throughput_per_s : float
        Rate of customers entering (= leaving) the network.
    mean_sojourn_s : float
        Mean time from entering to leaving the network, by Little's law.
    """

    arrival_rate_per_s: np.ndarray
    utilisation: np.ndarray
    lq: np.ndarray
    l: np.ndarray  # noqa: E741 - the textbook name
    wq_s: np.ndarray
    w_s: np.ndarray
    mean_number_total: float
    throughput_per_s: float
    mean_sojourn_s: float


def jackson_network(
    external_arrival_rate_per_s, routing, service_rate_per_s, servers
) -> JacksonMetrics:
    r"""Open Jackson network: traffic equations, then each node as an M/M/c queue.

    With external arrivals γ and routing matrix :math:`P` (``P[i, j]`` = probability that
    a customer leaving node ``i`` goes to node ``j``; rows sum to at most 1), the node
    arrival rates solve :math:`λ = γ + P^T λ` and the stationary distribution is the product
    of the M/M/c marginals (Jackson 1963). The network sojourn time is
    :math:`\sum_i L_i / \sum_i γ_i`.

    Parameters
    ----------
    external_arrival_rate_per_s : array_like, shape (N,)
    routing : array_like, shape (N, N)
    service_rate_per_s : array_like, shape (N,)
        Per-server service rate at each node.
    servers : array_like of int, shape (N,)

    Returns
    -------
    JacksonMetrics

    Examples
    --------
    Ríos Insua et al. (2004), example 11.11:

    >>> m = jackson_network([8, 0, 6, 0], [[0, .2, .56, .24], [1, 0, 0, 0],
    ...                     [0, 0, 0, 0], [0, 0, 0, 0]], [14, 9, 17, 7], [1, 1, 1, 1])
    >>> m.arrival_rate_per_s.round(4)
    array([10. ,  2. , 11.6,  2.4])
    >>> m.l.round(4), round(m.mean_sojourn_s, 4)
    (array([2.5   , 0.2857, 2.1481, 0.5217]), 0.3897)
    """
    gamma = np.asarray(external_arrival_rate_per_s, dtype=float).reshape(-1)
    check_nonnegative("external_arrival_rate_per_s", gamma)
    n = gamma.size
    p = np.asarray(routing, dtype=float)
    if p.shape != (n, n):
        raise invalid("routing", f"must be {n} x {n}, got {p.shape}")
    if np.any(p < 0) or np.any(p.sum(axis=1) > 1 + 1e-9):
        raise invalid("routing", "entries must be >= 0 and rows must sum to at most 1")
    try:
        lam = np.linalg.solve(np.eye(n) - p.T, gamma)
    except np.linalg.LinAlgError:
        raise invalid("routing", "customers never leave the network (I - P is singular)") from None
    lam = np.maximum(lam, 0.0)
    m = mmc(lam, service_rate_per_s, servers)
    total_l = float(np.sum(m.l))
    throughput = float(gamma.sum())
    sojourn = total_l / throughput if throughput > 0 else 0.0
    return JacksonMetrics(
        arrival_rate_per_s=lam,
        utilisation=m.utilisation,
        lq=m.lq,
        l=m.l,
        wq_s=m.wq_s,
        w_s=m.w_s,
        mean_number_total=total_l,
        throughput_per_s=throughput,
        mean_sojourn_s=sojourn,
    )
