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
    # Beyond a few ten thousand circuits the recursion costs seconds per call (a 10 Gbit/s
    # link in 1 kbit/s circuits has 10^7): there, the Poisson form below is used instead.
    direct = (c > _RECURSION_MAX_SERVERS) & (a > 0)
    if direct.any():
        b[direct] = _erlang_b_poisson(c[direct], a[direct])
    recurse = ~direct | ~np.isfinite(b)
    b[recurse] = 1.0
    top = int(c[recurse].max()) if recurse.any() else 0
    for n in range(1, top + 1):
        step = a * b / (n + a * b)
        b = np.where(recurse & (n <= c), step, b)
    return scalar_or_array(b)


# Largest circuit count computed by the recursion; above it, the Poisson form.
_RECURSION_MAX_SERVERS = 20_000


def _erlang_b_poisson(c: np.ndarray, a: np.ndarray) -> np.ndarray:
    r"""Erlang-B as a Poisson ratio, :math:`E(c, a) = P(X = c) / P(X \le c)`, X ~ Poisson(a).

    ``P(X <= c)`` is the regularised upper incomplete gamma function ``Q(c + 1, a)`` and
    ``P(X = c)`` is taken in logs, so neither overflows; about 1e-10 relative for
    ``c`` near 10^5 (the log terms are large and nearly cancel). Where ``Q`` underflows (a
    far above c) the value is NaN and the caller falls back to the recursion.

    Examples
    --------
    >>> float(_erlang_b_poisson(np.array([10]), np.array([5.0]))[0]).__round__(6)
    0.018385
    """
    from scipy.special import gammaincc, gammaln

    cf = c.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = cf * np.log(a) - a - gammaln(cf + 1.0)
        log_cdf = np.log(gammaincc(cf + 1.0, a))
        value = np.exp(log_pmf - log_cdf)
    return np.where(np.isfinite(log_cdf) & (value <= 1.0), value, np.nan)


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
    for j in range(1, c_max + 1):
        acc = np.zeros(n_links)
        for wi, w in enumerate(widths):
            if w <= j:
                acc += pooled[:, wi] * q[:, j - w]
        acc /= j
        q[:, j] = np.where(j <= c_run, acc, 0.0)
        big = q[:, j] > 1e250
        if big.any():
            q[big, : j + 1] /= q[big, j][:, None]
    # Blocked mass is summed directly from the top states (smallest first) rather than as
    # total minus the unblocked mass, which cancels to nothing for blocking below ~1e-16.
    tail = np.zeros((n_links, c_max + 2))
    tail[:, : c_max + 1] = np.cumsum(q[:, ::-1], axis=1)[:, ::-1]
    rows = np.arange(n_links)
    first_blocked = np.clip(cap[:, None] - b[None, :] + 1, 0, c_max + 1)
    blocking = tail[rows[:, None], first_blocked] / tail[:, :1]
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
        (multi-rate; zero where the route does not use the link), computed from
        ``link_offered_erlangs``.
    link_offered_erlangs : numpy.ndarray, shape (L,) or (L, R)
        The thinned (reduced) load offered to each link at the fixed point.
    iterations : int
        Iterations used.
    converged : bool
        Whether every blocking value settled within the relative tolerance.
    """

    route_blocking: np.ndarray
    link_blocking: np.ndarray
    link_offered_erlangs: np.ndarray
    iterations: int
    converged: bool


# Blocking values closer than this count as equal whatever their size: a floor for values
# near the bottom of the double range (~1e-308), where relative changes mean nothing.
_BLOCKING_ATOL = 1e-300
# log of the pass probability of a link that blocks everything (keeps the thinning finite)
_LOG_PASS_FLOOR = float(np.log(1e-300))


def _log_pass(blocking: np.ndarray) -> np.ndarray:
    """log(1 - B), exact for tiny B (log1p) and floored for B = 1."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log1p(-np.minimum(blocking, 1.0)), _LOG_PASS_FLOOR)


def _settled(new: np.ndarray, old: np.ndarray, rtol: float) -> bool:
    """Whether every element of ``new`` lies within ``rtol`` (relative) of ``old``."""
    return bool(np.all(np.abs(new - old) <= rtol * np.abs(new) + _BLOCKING_ATOL))


def _substitute(step, start: np.ndarray, *, rtol: float, max_iter: int, damping: float):
    """Solve ``B = T(B)`` by damped repeated substitution.

    ``step(B)`` returns ``(T(B), loads)``. The first step is taken in full, so iteration
    starts from the blocking of the unthinned loads; later steps are damped for stability.
    The map's value at the last iterate is returned rather than the damped iterate,
    which trails it: links whose routes use no other link then get their exact blocking.

    Returns
    -------
    tuple
        ``(T(B), loads, iterations, converged)``.
    """
    blk = start
    for it in range(1, max_iter + 1):
        new, loads = step(blk)
        if _settled(new, blk, rtol):
            return new, loads, it, True
        blk = new if it == 1 else blk + damping * (new - blk)
    return new, loads, max_iter, False


def _single_rate_step(inc: np.ndarray, nu: np.ndarray, cap: np.ndarray):
    """The map B -> Erlang-B of the loads thinned by B (links of 1-unit circuits)."""

    def step(blk):
        log_pass = _log_pass(blk)
        route_log = inc @ log_pass
        # thinned load on l from r: ν_r × pass probability of the route's other links
        per = nu[:, None] * np.exp(route_log[:, None] - log_pass[None, :]) * inc
        loads = per.sum(axis=0)
        return np.asarray(erlang_b(cap, loads), dtype=float), loads

    return step


def _multi_rate_step(uses_t: np.ndarray, nu: np.ndarray, cap: np.ndarray, bw: np.ndarray):
    """The map B -> Kaufman-Roberts blocking of the loads thinned by B, shape (L, R)."""

    def step(blk):
        log_pass = _log_pass(blk) * uses_t
        route_log = log_pass.sum(axis=0)
        loads = nu[None, :] * np.exp(route_log[None, :] - log_pass) * uses_t
        return kaufman_roberts(cap, bw, loads) * uses_t, loads

    return step


def erlang_fixed_point(
    incidence,
    offered_erlangs,
    capacity_units,
    bandwidth_units=None,
    *,
    rtol: float = 1e-10,
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
    links (Ross 1995, §5.6). Solved by damped repeated substitution, stopped on a relative
    change so that blocking of 1e-20 is resolved as finely as blocking of 0.1; the
    blocking reported is the map's value at the final loads. The approximation is exact
    for single-link routes and good when each link carries many routes.

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
    rtol : float
        Stop when every blocking value changes by at most this fraction of itself
        (values below 1e-300 count as zero).
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

    However small the blocking is:

    >>> fp = erlang_fixed_point([[1]], [140.0], [250])
    >>> bool(fp.link_blocking[0] == erlang_b(250, 140.0)), f"{fp.route_blocking[0]:.3e}"
    (True, '1.664e-17')

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
    if not 0 <= rtol < 1:
        raise invalid("rtol", "must be in [0, 1)")
    if max_iter < 1:
        raise invalid("max_iter", "must be at least 1")
    solve = {"rtol": rtol, "max_iter": max_iter, "damping": damping}
    if bandwidth_units is None:
        step = _single_rate_step(inc, nu, cap)
        blk, loads, it, converged = _substitute(step, np.zeros(n_links), **solve)
        route = -np.expm1(inc @ _log_pass(blk))
        if not converged:
            log.warning("Erlang fixed point did not converge in %d iterations", max_iter)
        return FixedPointResult(route, blk, loads, it, converged)

    bw = whole_numbers("bandwidth_units", bandwidth_units).reshape(-1)
    if bw.size != n_routes or np.any(bw < 1):
        raise invalid("bandwidth_units", f"needs {n_routes} whole numbers >= 1")
    uses_t = (inc > 0).T.astype(float)
    step = _multi_rate_step(uses_t, nu, cap, bw)
    blk, loads, it, converged = _substitute(step, np.zeros((n_links, n_routes)), **solve)
    route = -np.expm1((_log_pass(blk) * uses_t).sum(axis=0))
    if not converged:
        log.warning("multi-rate fixed point did not converge in %d iterations", max_iter)
    return FixedPointResult(route, blk, loads, it, converged)
