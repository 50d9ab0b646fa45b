"""Loss systems in closed form: Erlang-B, Kaufman-Roberts and the reduced-load fixed point.

A session that finds no room is lost (blocked); these give the blocking probabilities of
single links and of networks of links. Every function accepts arrays (one element per
link or class) and broadcasts like numpy.

Sources
-------
- Erlang-B and its recursion: A. K. Erlang (1917); V. B. Iversen, *Teletraffic Engineering
  and Network Planning*, DTU (2015), ch. 4.
- Multi-rate loss link: J. S. Kaufman, "Blocking in a shared resource environment",
  IEEE Trans. Commun. 29(10) (1981) 1474-1481; J. W. Roberts, "A service system with
  heterogeneous user requirements", in *Performance of Data Communication Systems* (1981).
- Reduced-load (Erlang) fixed point: F. P. Kelly, "Blocking probabilities in large
  circuit-switched networks", Adv. Appl. Probab. 18 (1986) 473-505; K. W. Ross,
  *Multiservice Loss Models for Broadband Telecommunication Networks*, Springer (1995), ch. 5.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from netplan.sim.queueing.inputs import (
    check_nonnegative,
    invalid,
    scalar_or_array,
    whole_numbers,
)

__all__ = ["FixedPointResult", "erlang_b", "erlang_fixed_point", "kaufman_roberts"]

log = logging.getLogger(__name__)


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
    c = whole_numbers("servers", servers)
    a = np.asarray(offered_erlangs, dtype=float)
    check_nonnegative("offered_erlangs", a)
    c, a = np.broadcast_arrays(c, a)
    b = np.ones(a.shape)
    top = int(c.max()) if c.size else 0
    for n in range(1, top + 1):
        step = a * b / (n + a * b)
        b = np.where(n <= c, step, b)
    return scalar_or_array(b)


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
    cap = whole_numbers("capacity_units", capacity_units)
    scalar = cap.ndim == 0
    cap = np.atleast_1d(cap)
    b = whole_numbers("bandwidth_units", bandwidth_units)
    b = np.atleast_1d(b)
    if b.ndim != 1 or np.any(b < 1):
        raise invalid("bandwidth_units", "must be a 1-D array of whole numbers >= 1")
    a = np.asarray(offered_erlangs, dtype=float)
    check_nonnegative("offered_erlangs", a)
    if a.ndim == 1:
        a = np.broadcast_to(a, (cap.size, b.size))
    if a.shape != (cap.size, b.size):
        raise invalid(
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
        raise invalid("incidence", "must be a 2-D 0/1 array (routes x links)")
    n_routes, n_links = inc.shape
    nu = np.asarray(offered_erlangs, dtype=float).reshape(-1)
    check_nonnegative("offered_erlangs", nu)
    if nu.size != n_routes:
        raise invalid("offered_erlangs", f"needs {n_routes} values, got {nu.size}")
    cap = whole_numbers("capacity_units", capacity_units).reshape(-1)
    if cap.size != n_links:
        raise invalid("capacity_units", f"needs {n_links} values, got {cap.size}")
    if not 0 < damping <= 1:
        raise invalid("damping", "must be in (0, 1]")
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

    bw = whole_numbers("bandwidth_units", bandwidth_units).reshape(-1)
    if bw.size != n_routes or np.any(bw < 1):
        raise invalid("bandwidth_units", f"needs {n_routes} whole numbers >= 1")
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
