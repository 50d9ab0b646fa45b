"""What every engine shares: seed streams, draw generators, the failure calendar, the results.

Both engines (:mod:`netplan.sim.engines.python` and :mod:`netplan.sim.engines.numba`) and
the process-per-session reference (:mod:`netplan.sim.reference`) split a replication's seed
the same way, draw the same random numbers in the same order, put the same link failures on
simpy's calendar and turn their counters into the same metrics, so that for one seed they
simulate the same sessions and report in the same shape.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np
from simpy.events import Timeout

from netplan.sim.engines.tables import Compiled

__all__ = [
    "DRAW_BLOCK",
    "BufferedDraws",
    "draw_generators",
    "pick_path",
    "replication_results",
    "schedule_failures",
    "substreams",
]

DRAW_BLOCK = 4096
"""Draws generated at a time by either engine."""


def substreams(seed_seq: np.random.SeedSequence) -> tuple:
    """Arrival, failure, in-run and initial-state seeds of one replication.

    Derived from the sequence's entropy and spawn key without spawning, so calling this
    twice on one object (engine and reference on the same seed) gives the same streams.

    Parameters
    ----------
    seed_seq : numpy.random.SeedSequence
        The replication's seed.

    Returns
    -------
    tuple of numpy.random.SeedSequence
        Four sequences: arrivals, failures, draws during the run, initial streams.

    Examples
    --------
    >>> a = substreams(np.random.SeedSequence(1))
    >>> b = substreams(np.random.SeedSequence(1))
    >>> len(a), bool(a[2].generate_state(1)[0] == b[2].generate_state(1)[0])
    (4, True)
    """
    return tuple(
        np.random.SeedSequence(seed_seq.entropy, spawn_key=(*seed_seq.spawn_key, k))
        for k in range(4)
    )


def draw_generators(ss_misc: np.random.SeedSequence) -> tuple:
    """Generators of the uniform and of the exponential draws made during a run.

    Two generators rather than one, so the values drawn do not depend on when each
    buffer is refilled: both engines see the same draws whatever their buffering.

    Parameters
    ----------
    ss_misc : numpy.random.SeedSequence
        The in-run seed from :func:`substreams`.

    Returns
    -------
    tuple of numpy.random.Generator
        The uniform generator and the exponential one.
    """
    return tuple(
        np.random.default_rng(
            np.random.SeedSequence(ss_misc.entropy, spawn_key=(*ss_misc.spawn_key, k))
        )
        for k in range(2)
    )


class BufferedDraws:
    """A buffered stream of uniform or unit-exponential draws from one generator.

    Draws :data:`DRAW_BLOCK` values at a time, as the compiled engine does.

    Parameters
    ----------
    rng : numpy.random.Generator
        One of the generators of :func:`draw_generators`.
    exponential : bool
        Unit-exponential draws rather than uniform ones.

    Examples
    --------
    >>> uni, _ = draw_generators(np.random.SeedSequence(1))
    >>> draws = BufferedDraws(uni, exponential=False)
    >>> bool(0.0 <= draws() < 1.0)
    True
    """

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


def pick_path(paths: list, cum: list | None, u: float):
    """The path a session with uniform draw ``u`` takes, or None when there is none.

    Parameters
    ----------
    paths : list of tuple of int
        The class's paths now.
    cum : list of float or None
        Their cumulative probabilities (None: a single path, or none).
    u : float
        The session's uniform draw in [0, 1).

    Returns
    -------
    tuple of int or None

    Examples
    --------
    >>> pick_path([(0,), (1, 2)], [0.25, 1.0], 0.5)
    (1, 2)
    >>> pick_path([], None, 0.5) is None
    True
    """
    if cum is None:
        return paths[0] if paths else None
    j = bisect_right(cum, u)
    return paths[j if j < len(paths) else -1]


def schedule_failures(env, cm: Compiled, ss_failures, end: float, link_down, link_up,
                      after) -> None:
    """Put the model's random and scripted link failures on ``env``'s calendar.

    Random up and down times are exponential, drawn from ``ss_failures`` in the same order
    by either engine.

    Parameters
    ----------
    env : simpy.Environment
        The replication's calendar.
    cm : Compiled
        The model; nothing is scheduled when it has no failures.
    ss_failures : numpy.random.SeedSequence
        The failure seed from :func:`substreams`.
    end : float
        End of the run, s: scripted events at or after it are left out.
    link_down, link_up : callable
        ``link_down(link, t)`` and ``link_up(link, t)`` change the engine's state.
    after : callable
        ``after()`` ends every failure and repair callback (the engine catches up on its
        sessions).
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

    Both engines end here.

    Parameters
    ----------
    counters : dict
        ``arrived``, ``blocked``, ``cut``, ``done`` (per class) and ``failures`` (per
        link): totals since time 0.
    snapshot : dict
        The same counters at the end of the warm-up; the differences are what the
        measured period saw.
    responses : list of numpy.ndarray
        Per class, the measured response times, s.
    link_samples, queue_samples : list
        Sampled link utilisation (per link) and pool queue lengths (per pool).
    down_total_s : array_like
        Per link, time down during the measured period, s.
    pools : dict
        ``servers`` and the pool integrals and sums: ``area_sys``, ``area_q``,
        ``area_busy``, ``wait_sum``, ``wait_n``, ``soj_sum``, ``soj_n``.
    n_links, n_pools : int
    duration_s : float
        Length of the measured period, s.
    keep_raw : bool
        Also return ``_responses``, ``_link_samples`` and ``_queue_samples``.

    Returns
    -------
    dict
        Metric name to numpy array (see :data:`netplan.sim.result.METRICS`), plus
        ``"_arrivals"``: sessions generated over the whole run (warm-up included).
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
