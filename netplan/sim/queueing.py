"""Closed-form queueing and loss formulas, vectorised with numpy.

These are the fast path behind sweeps and the exact values the simulator is checked against.
Every function accepts arrays (one element per link, pool or class) and broadcasts like numpy.

Sources
-------
- Erlang-B and its recursion: A. K. Erlang (1917); V. B. Iversen, *Teletraffic Engineering
  and Network Planning*, DTU (2015), ch. 4.
- Erlang-C, M/M/c and M/M/1: L. Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley (1975),
  §3.5 and §3.2; D. Gross, C. M. Harris, *Fundamentals of Queueing Theory*, Wiley (1998), §2.3.
- Multi-rate loss link: J. S. Kaufman, "Blocking in a shared resource environment",
  IEEE Trans. Commun. 29(10) (1981) 1474-1481; J. W. Roberts, "A service system with
  heterogeneous user requirements", in *Performance of Data Communication Systems* (1981).
- Reduced-load (Erlang) fixed point: F. P. Kelly, "Blocking probabilities in large
  circuit-switched networks", Adv. Appl. Probab. 18 (1986) 473-505; K. W. Ross,
  *Multiservice Loss Models for Broadband Telecommunication Networks*, Springer (1995), ch. 5.
- Processor sharing: L. Kleinrock, *Queueing Systems, Vol. 2*, Wiley (1976), §4.4;
  M. Harchol-Balter, *Performance Modeling and Design of Computer Systems*, CUP (2013), ch. 22.
- Open Jackson networks: J. R. Jackson, "Jobshop-like queueing systems", Management Science
  10(1) (1963) 131-142; Gross & Harris (1998), §4.1.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from netplan.errors import Problem, ValidationError

__all__ = [
    "FixedPointResult",
    "JacksonMetrics",
    "MMcMetrics",
    "erlang_b",
    "erlang_c",
    "erlang_fixed_point",
    "jackson_network",
    "kaufman_roberts",
    "mm1",
    "mmc",
    "processor_sharing",
]

log = logging.getLogger(__name__)


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError([Problem("", field, message)])


def _nonneg(name: str, value: np.ndarray) -> None:
    if np.any(~np.isfinite(value)) or np.any(value < 0):
        raise _fail(name, "must be finite and >= 0")


def _servers(name: str, value) -> np.ndarray:
    arr = np.asarray(value)
    as_float = arr.astype(float)
    if np.any(~np.isfinite(as_float)) or np.any(as_float < 0) or np.any(as_float % 1 != 0):
        raise _fail(name, "must be whole numbers >= 0")
    return as_float.astype(np.int64)


def _out(x: np.ndarray):
    """Return a Python float for 0-d results, an array otherwise."""
    return float(x) if np.ndim(x) == 0 else x


def erlang_b(servers, offered_erlangs):
    r"""Blocking probability of an M/G/c/c loss system (Erlang-B).

    .. math:: E(c, a) = \frac{a^c / c!}{\sum_{k=0}^{c} a^k / k!}

    computed with the stable recursion :math:`E(0, a) = 1`,
    :math:`E(n, a) = a E(n-1, a) / (n + a E(n-1, a))` (Iversen 2015, §4.4), which neither
    overflows nor loses precision for thousands of servers. The result is insensitive to
    the holding-time distribution beyond its mean.

    Parameters
    ----------
    servers : int or array_like of int
        Number of circuits (servers), ``c``.
    offered_erlangs : float or array_like
        Offered traffic ``a`` = arrival rate × mean holding time, in Erlangs.

    Returns
    -------
    float or numpy.ndarray
        Blocking probability, broadcast over the inputs.

    Examples
    --------
    >>> round(erlang_b(10, 5.0), 6)
    0.018385
    >>> erlang_b([1, 2], [1.0, 1.0]).round(4)
    array([0.5, 0.2])
    """
    c = _servers("servers", servers)
    a = np.asarray(offered_erlangs, dtype=float)
    _nonneg("offered_erlangs", a)
    c, a = np.broadcast_arrays(c, a)
    b = np.ones(a.shape)
    top = int(c.max()) if c.size else 0
    for n in range(1, top + 1):
        step = a * b / (n + a * b)
        b = np.where(n <= c, step, b)
    return _out(b)


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
    c = _servers("servers", servers)
    if np.any(c < 1):
        raise _fail("servers", "an M/M/c queue needs at least one server")
    a = np.asarray(offered_erlangs, dtype=float)
    _nonneg("offered_erlangs", a)
    c, a = np.broadcast_arrays(c, a)
    b = np.asarray(erlang_b(c, a), dtype=float)
    stable = a < c
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(stable, c * b / (c - a * (1.0 - b)), 1.0)
    return _out(p)


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
    _nonneg("arrival_rate_per_s", lam)
    if np.any(~np.isfinite(mu)) or np.any(mu <= 0):
        raise _fail("service_rate_per_s", "must be finite and > 0")
    c = _servers("servers", servers)
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


def kaufman_roberts(capacity_units, bandwidth_units, offered_erlangs):
    r"""Per-class blocking on multi-rate loss links (Kaufman-Roberts recursion).

    A link of ``C`` capacity units carries classes ``k`` that each hold ``b_k`` units for a
    holding time with offered traffic ``a_k`` Erlangs (Poisson arrivals, complete sharing).
    The occupancy distribution ``q(j)`` of busy units obeys (Kaufman 1981; Roberts 1981)

    .. math::
       j\,q(j) = \sum_k a_k b_k\, q(j - b_k), \quad q(0) = 1, \quad q(j<0) = 0,

    and class ``k`` is blocked when fewer than ``b_k`` units are free:
    :math:`B_k = \sum_{j=C-b_k+1}^{C} q(j) / \sum_{j=0}^{C} q(j)`.
    Classes with equal ``b`` are pooled, so the work is O(C × distinct bandwidths) per link.
    Rows are rescaled as they grow, so large ``C`` does not overflow.

    Parameters
    ----------
    capacity_units : int or array_like of int, shape (L,)
        Capacity of each link in bandwidth units.
    bandwidth_units : array_like of int, shape (K,)
        Units held by one session of each class (>= 1).
    offered_erlangs : array_like, shape (K,) or (L, K)
        Offered traffic of each class (on each link).

    Returns
    -------
    numpy.ndarray
        Blocking probability, shape (K,) for a scalar capacity, (L, K) otherwise.

    Examples
    --------
    One class of width 1 is the Erlang-B formula:

    >>> round(float(kaufman_roberts(10, [1], [5.0])[0]), 6)
    0.018385

    Two classes on a 4-unit link: the wide class is blocked more often.

    >>> kaufman_roberts(4, [1, 2], [1.0, 0.5]).round(4)
    array([0.102 , 0.2653])
    """
    cap = _servers("capacity_units", capacity_units)
    scalar = cap.ndim == 0
    cap = np.atleast_1d(cap)
    b = _servers("bandwidth_units", bandwidth_units)
    b = np.atleast_1d(b)
    if b.ndim != 1 or np.any(b < 1):
        raise _fail("bandwidth_units", "must be a 1-D array of whole numbers >= 1")
    a = np.asarray(offered_erlangs, dtype=float)
    _nonneg("offered_erlangs", a)
    if a.ndim == 1:
        a = np.broadcast_to(a, (cap.size, b.size))
    if a.shape != (cap.size, b.size):
        raise _fail(
            "offered_erlangs",
            f"shape {a.shape} does not match {cap.size} links x {b.size} classes",
        )
    n_links = cap.size
    widths = np.unique(b)
    # pooled a*b per distinct width: (L, W)
    pooled = np.stack([(a[:, b == w]).sum(axis=1) * w for w in widths], axis=1)
    # Occupancy far above its mean is never reached: a link whose capacity lies more than
    # 20 standard deviations (plus 20 widest sessions) above the mean occupancy of the
    # unblocked system blocks with probability below 1e-40; its recursion stops there and
    # its blocking is reported as 0. This keeps 100 Gbit/s links in 2 Mbit/s units cheap.
    mean_units = pooled.sum(axis=1)
    sd_units = np.sqrt(pooled @ widths.astype(float))
    limit = np.ceil(mean_units + 20.0 * sd_units + 20.0 * float(widths.max()) + 10.0)
    negligible = limit + widths.max() < cap
    c_run = np.where(negligible, limit, cap).astype(np.int64)
    c_max = int(c_run.max()) if n_links else 0
    q = np.zeros((n_links, c_max + 1))
    q[:, 0] = 1.0
    active = np.ones(n_links, dtype=bool)
    for j in range(1, c_max + 1):
        acc = np.zeros(n_links)
        for wi, w in enumerate(widths):
            if w <= j:
                acc += pooled[:, wi] * q[:, j - w]
        acc /= j
        active = j <= c_run
        q[:, j] = np.where(active, acc, 0.0)
        big = q[:, j] > 1e250
        if big.any():
            q[big, : j + 1] /= q[big, j][:, None]
    cs = np.cumsum(q, axis=1)
    rows = np.arange(n_links)
    total = cs[rows, c_run]
    lower = np.minimum(cap[:, None] - b[None, :], c_run[:, None])
    below = np.where(lower >= 0, cs[rows[:, None], np.maximum(lower, 0)], 0.0)
    blocking = (total[:, None] - below) / total[:, None]
    blocking = np.clip(blocking, 0.0, 1.0)
    blocking[negligible] = 0.0
    return blocking[0] if scalar else blocking


@dataclass(frozen=True, eq=False)
class FixedPointResult:
    """Result of the reduced-load (Erlang) fixed point.

    Attributes
    ----------
    route_blocking : numpy.ndarray, shape (R,)
        Probability that a session offered to each route is blocked on some link.
    link_blocking : numpy.ndarray, shape (L,) or (L, R)
        Blocking of each link (single-rate), or of each route's class on each link
        (multi-rate; zero where the route does not use the link).
    link_offered_erlangs : numpy.ndarray, shape (L,) or (L, R)
        The thinned (reduced) load offered to each link at the fixed point.
    iterations : int
        Iterations used.
    converged : bool
        Whether the largest change fell below the tolerance.
    """

    route_blocking: np.ndarray
    link_blocking: np.ndarray
    link_offered_erlangs: np.ndarray
    iterations: int
    converged: bool


def erlang_fixed_point(
    incidence,
    offered_erlangs,
    capacity_units,
    bandwidth_units=None,
    *,
    tol: float = 1e-10,
    max_iter: int = 2000,
    damping: float = 0.5,
) -> FixedPointResult:
    r"""Route blocking in a loss network by the reduced-load (Erlang) fixed point.

    Each link is treated as blocking independently; the load a route offers to link ``l``
    is thinned by the blocking on its other links (Kelly 1986):

    .. math::
       ρ_l = \sum_r A_{rl}\, ν_r \prod_{k \in r,\, k \ne l} (1 - B_k), \quad
       B_l = E(C_l, ρ_l), \quad L_r = 1 - \prod_{l \in r} (1 - B_l).

    With ``bandwidth_units`` (multi-rate), each route is its own class, links use the
    Kaufman-Roberts recursion and the thinning uses the class's own blocking on the other
    links (Ross 1995, §5.6). Solved by damped repeated substitution. The approximation is
    exact for single-link routes and good when each link carries many routes.

    Parameters
    ----------
    incidence : array_like, shape (R, L)
        1 where route ``r`` uses link ``l``, 0 otherwise (dense or scipy.sparse).
    offered_erlangs : array_like, shape (R,)
        Traffic offered to each route.
    capacity_units : array_like of int, shape (L,)
        Link capacities in circuits (or bandwidth units).
    bandwidth_units : array_like of int, shape (R,), optional
        Units a session of each route holds; omit for single-rate (all 1) networks.
    tol : float
        Stop when no blocking value changes by more than this.
    max_iter : int
        Iteration limit; a warning is logged when it is reached.
    damping : float
        Weight of the new iterate, in (0, 1].

    Returns
    -------
    FixedPointResult

    Examples
    --------
    Two routes sharing nothing reduce to Erlang-B on their own links:

    >>> fp = erlang_fixed_point([[1, 0], [0, 1]], [5.0, 2.0], [10, 5])
    >>> fp.route_blocking.round(6)
    array([0.018385, 0.036697])

    A two-link route thinned by a busy single-link route on its first link:

    >>> fp = erlang_fixed_point([[1, 1], [1, 0]], [3.0, 4.0], [8, 8])
    >>> bool(fp.converged), fp.route_blocking.round(4)
    (True, array([0.1807, 0.1783]))
    """
    if hasattr(incidence, "toarray"):
        incidence = incidence.toarray()
    inc = np.asarray(incidence, dtype=float)
    if inc.ndim != 2 or np.any((inc != 0) & (inc != 1)):
        raise _fail("incidence", "must be a 2-D 0/1 array (routes x links)")
    n_routes, n_links = inc.shape
    nu = np.asarray(offered_erlangs, dtype=float).reshape(-1)
    _nonneg("offered_erlangs", nu)
    if nu.size != n_routes:
        raise _fail("offered_erlangs", f"needs {n_routes} values, got {nu.size}")
    cap = _servers("capacity_units", capacity_units).reshape(-1)
    if cap.size != n_links:
        raise _fail("capacity_units", f"needs {n_links} values, got {cap.size}")
    if not 0 < damping <= 1:
        raise _fail("damping", "must be in (0, 1]")
    uses = inc > 0
    eps = 1e-300
    if bandwidth_units is None:
        blk = np.zeros(n_links)
        converged = False
        it = 0
        loads = np.zeros(n_links)
        for it in range(1, max_iter + 1):  # noqa: B007 - reported after the loop
            log_pass = np.log(np.maximum(1.0 - blk, eps))
            route_log = inc @ log_pass
            # thinned load on l from r: ν_r * prod over the route's other links
            per = nu[:, None] * np.exp(route_log[:, None] - log_pass[None, :]) * inc
            loads = per.sum(axis=0)
            new = np.asarray(erlang_b(cap, loads), dtype=float)
            change = np.max(np.abs(new - blk)) if n_links else 0.0
            blk = blk + damping * (new - blk)
            if change < tol:
                converged = True
                break
        route = 1.0 - np.exp(inc @ np.log(np.maximum(1.0 - blk, eps)))
        if not converged:
            log.warning("Erlang fixed point did not converge in %d iterations", max_iter)
        return FixedPointResult(route, blk, loads, it, converged)

    bw = _servers("bandwidth_units", bandwidth_units).reshape(-1)
    if bw.size != n_routes or np.any(bw < 1):
        raise _fail("bandwidth_units", f"needs {n_routes} whole numbers >= 1")
    blk = np.zeros((n_links, n_routes))
    converged = False
    it = 0
    loads = np.zeros((n_links, n_routes))
    for it in range(1, max_iter + 1):  # noqa: B007 - reported after the loop
        log_pass = np.log(np.maximum(1.0 - blk, eps)) * uses.T  # (L, R)
        route_log = log_pass.sum(axis=0)  # (R,)
        loads = nu[None, :] * np.exp(route_log[None, :] - log_pass) * uses.T
        new = kaufman_roberts(cap, bw, loads) * uses.T
        change = np.max(np.abs(new - blk)) if blk.size else 0.0
        blk = blk + damping * (new - blk)
        if change < tol:
            converged = True
            break
    route = 1.0 - np.exp((np.log(np.maximum(1.0 - blk, eps)) * uses.T).sum(axis=0))
    if not converged:
        log.warning("multi-rate fixed point did not converge in %d iterations", max_iter)
    return FixedPointResult(route, blk, loads, it, converged)


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
    _nonneg("arrival_rate_per_s", lam)
    _nonneg("size_mbit", size)
    if np.any(~np.isfinite(cap)) or np.any(cap <= 0):
        raise _fail("capacity_mbps", "must be finite and > 0")
    service = size / cap
    rho = lam * service
    with np.errstate(divide="ignore"):
        t = np.where(rho < 1, service / (1.0 - rho), np.inf)
    return _out(t)


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
    _nonneg("external_arrival_rate_per_s", gamma)
    n = gamma.size
    p = np.asarray(routing, dtype=float)
    if p.shape != (n, n):
        raise _fail("routing", f"must be {n} x {n}, got {p.shape}")
    if np.any(p < 0) or np.any(p.sum(axis=1) > 1 + 1e-9):
        raise _fail("routing", "entries must be >= 0 and rows must sum to at most 1")
    try:
        lam = np.linalg.solve(np.eye(n) - p.T, gamma)
    except np.linalg.LinAlgError:
        raise _fail("routing", "customers never leave the network (I - P is singular)") from None
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
