"""Independent replications and Student-t confidence intervals.

Each replication gets its own :class:`numpy.random.SeedSequence`, spawned from the one
seed the caller gives, so replications are statistically independent and the whole run
is repeatable. Every reported mean — blocking, response-time mean and percentiles,
utilisation, queue lengths — is the mean over replications of that replication's value,
with the interval

.. math:: \\bar x \\pm t_{1-α/2,\\,n-1}\\, s / \\sqrt{n}

(A. M. Law, *Simulation Modeling and Analysis*, 5th ed., McGraw-Hill (2015), §9.4.1).
Percentiles are computed inside each replication and then averaged the same way.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import numbers
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np
from scipy import stats as sps

from netplan.errors import Problem, ValidationError
from netplan.sim.engines import run_replication
from netplan.sim.engines.tables import compile_model
from netplan.sim.model import LinkFailures, Reroute, ServerPool, SimNetwork, TrafficClass
from netplan.sim.result import METRICS, Metric, SimResult

__all__ = ["mean_ci", "run_replications", "simulate", "summarise"]

log = logging.getLogger(__name__)


def mean_ci(samples, confidence: float = 0.99, bounds: tuple[float, float] = (-np.inf, np.inf)):
    """Mean and Student-t confidence interval along axis 0, ignoring NaN.

    Parameters
    ----------
    samples : array_like, shape (n, ...)
        One row per independent replication.
    confidence : float
        Two-sided confidence level.
    bounds : (float, float)
        The values the quantity can take (e.g. ``(0, 1)`` for a probability). The interval
        is cut to them: the true value lies inside, so the cut interval covers it as often,
        and a report never shows a negative time or a probability above one.

    Returns
    -------
    mean, low, high : numpy.ndarray
        NaN where fewer than two replications have a value.
    n : numpy.ndarray of int
        Replications with a value.

    Examples
    --------
    >>> m, lo, hi, n = mean_ci([1.0, 2.0, 3.0], 0.95)
    >>> float(m), round(float(hi - m), 4), int(n)
    (2.0, 2.4841, 3)
    >>> float(mean_ci([0.1, 0.9], 0.95, bounds=(0.0, 1.0))[1])
    0.0
    """
    x = np.asarray(samples, dtype=float)
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValidationError([Problem("", "samples", "needs at least one replication")])
    if not 0 < confidence < 1:
        raise ValidationError([Problem("", "confidence", "must be in (0, 1)")])
    ok = ~np.isnan(x)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(ok, x, 0.0).sum(axis=0)
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        dev = np.where(ok, x - mean, 0.0)
        var = (dev**2).sum(axis=0) / np.maximum(n - 1, 1)
        t = sps.t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1, 1))
        half = t * np.sqrt(var / np.maximum(n, 1))
    half = np.where(n >= 2, half, np.nan)
    low, high = bounds
    return mean, np.maximum(mean - half, low), np.minimum(mean + half, high), n


def summarise(
    runs: Sequence[dict],
    *,
    class_ids,
    link_ids,
    pool_ids,
    confidence: float,
    seed,
    warmup_s: float,
    duration_s: float,
) -> SimResult:
    """Combine per-replication outputs of the engine into a :class:`SimResult`.

    Examples
    --------
    >>> from netplan.sim.engines.tables import compile_model
    >>> from netplan.sim.engines import run_replication
    >>> from netplan.sim.model import SimNetwork, TrafficClass
    >>> net = SimNetwork(("l0",), [10.0])
    >>> cls = [TrafficClass("v", "stream", paths=[[0]], arrival_rate_per_s=2.0,
    ...                     bandwidth_mbps=1.0, holding_s=1.0)]
    >>> cm = compile_model(net, cls)
    >>> runs = [run_replication(cm, s, warmup_s=1.0, duration_s=50.0)
    ...         for s in np.random.SeedSequence(3).spawn(3)]
    >>> res = summarise(runs, class_ids=("v",), link_ids=("l0",), pool_ids=(),
    ...                 confidence=0.95, seed=3, warmup_s=1.0, duration_s=50.0)
    >>> res.replications, int(res["offered"].n[0])
    (3, 3)
    """
    metrics = {}
    raw = {}
    for name, (axis, unit, _) in METRICS.items():
        stack = np.stack([np.asarray(r[name], dtype=float) for r in runs])
        raw[name] = stack
        # every measure is >= 0; probabilities and fractions are also <= 1
        top = 1.0 if unit in ("probability", "fraction") else np.inf
        mean, lo, hi, n = mean_ci(stack, confidence, bounds=(0.0, top))
        metrics[name] = Metric(name, axis, unit, mean, lo, hi, n, "simulation")
    return SimResult(
        method="simulation",
        class_ids=tuple(class_ids),
        link_ids=tuple(link_ids),
        pool_ids=tuple(pool_ids),
        metrics=metrics,
        replications=len(runs),
        confidence=confidence,
        seed=seed,
        warmup_s=warmup_s,
        duration_s=duration_s,
        per_replication=raw,
        sessions=int(sum(r["_arrivals"] for r in runs)),
    )


def _check_run(seed, replications, warmup_s, duration_s, confidence, start_hour, workers) -> None:
    problems = []
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        problems.append(Problem("", "seed", "must be an integer >= 0"))
    if (
        isinstance(replications, bool)
        or not isinstance(replications, numbers.Integral)
        or replications < 2
    ):
        problems.append(Problem("", "replications", "needs at least 2 for a confidence interval"))
    if not (np.isfinite(warmup_s) and warmup_s >= 0):
        problems.append(Problem("", "warmup_s", "must be finite and >= 0"))
    if not (np.isfinite(duration_s) and duration_s > 0):
        problems.append(Problem("", "duration_s", "must be finite and > 0"))
    if not 0 < confidence < 1:
        problems.append(Problem("", "confidence", "must be in (0, 1)"))
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        problems.append(Problem("", "workers", "must be an integer >= 1"))
    if not (np.isfinite(start_hour) and 0 <= start_hour < 24):
        problems.append(Problem("", "start_hour", "must be in [0, 24)"))
    if problems:
        raise ValidationError(problems)


_SHARED: dict = {}


def _run_shared(child: np.random.SeedSequence) -> dict:
    return run_replication(_SHARED["cm"], child, **_SHARED["options"])


def run_replications(
    cm,
    children: Sequence[np.random.SeedSequence],
    options: dict,
    workers: int = 1,
    on_done: Callable[[int], None] | None = None,
) -> list[dict]:
    """Run one replication per seed, side by side in ``workers`` forked processes.

    Forking (rather than pickling the model) lets ``reroute`` be any callable, lambdas
    included. Without ``fork`` (or with one worker) they run one after another. The
    results come back in the order of ``children`` whatever order they finish in;
    ``on_done(k)`` is called as the ``k``-th one to finish does.
    """
    workers = min(int(workers), len(children))
    if workers > 1 and "fork" not in mp.get_all_start_methods():
        log.info("no fork start method here: running replications sequentially")
        workers = 1
    if workers <= 1:
        runs = []
        for child in children:
            runs.append(run_replication(cm, child, **options))
            if on_done:
                on_done(len(runs))
        return runs
    _SHARED["cm"], _SHARED["options"] = cm, options
    try:
        from netplan.batch.executors import end_with_parent

        ctx = mp.get_context("fork")
        # Workers end with this process: a killed run must not leave them holding memory.
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                   initializer=end_with_parent)
        try:
            futures = [pool.submit(_run_shared, child) for child in children]
            for k, _ in enumerate(as_completed(futures), start=1):
                if on_done:
                    on_done(k)
            runs = [f.result() for f in futures]
        except BaseException:
            # Ctrl-C or a failed replication: stop at once, not after every queued one.
            pool.shutdown(wait=False, cancel_futures=True)
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
            raise
        pool.shutdown()
        return runs
    finally:
        _SHARED.clear()


def simulate(
    network: SimNetwork,
    classes: Sequence[TrafficClass],
    pools: Sequence[ServerPool] = (),
    *,
    seed: int,
    replications: int = 30,
    warmup_s: float,
    duration_s: float,
    failures: LinkFailures | None = None,
    reroute: Reroute | None = None,
    pool_routing=None,
    start_hour: float = 0.0,
    sample_interval_s: float | None = None,
    confidence: float = 0.99,
    workers: int = 1,
    warm_start: bool = False,
    engine: str = "compiled",
) -> SimResult:
    """Simulate independent replications and report means with confidence intervals.

    Parameters
    ----------
    network : SimNetwork
    classes : sequence of TrafficClass
    pools : sequence of ServerPool
    seed : int
        Root seed; replication ``i`` uses ``SeedSequence(seed).spawn(replications)[i]``.
    replications : int
        Independent replications (>= 2; use >= 30 for validation).
    warmup_s : float
        Discarded start of each replication, s.
    duration_s : float
        Measured length of each replication, s.
    failures : LinkFailures, optional
        Random (MTBF/MTTR) and scripted link failures.
    reroute : callable, optional
        ``reroute(failed_links_mask) -> one (paths, probs) or None per class``, called at
        each new failure state (results are cached per state). Default: drop the paths
        that use a failed link and renormalise (ECMP).
    pool_routing : array_like, optional
        Routing between pools after service (see :func:`netplan.sim.model.check_model`).
    start_hour : float
        Hour of day at time 0, for hourly arrival rates.
    sample_interval_s : float, optional
        Sampling interval of link utilisation and queue lengths.
    confidence : float
        Level of the two-sided Student-t intervals.
    workers : int
        Processes that run replications side by side (Linux/macOS ``fork``; elsewhere 1).
        Results do not depend on it: each replication has its own seed. Scripts that use
        it need an ``if __name__ == "__main__":`` guard.
    warm_start : bool
        Start each replication with stream sessions already in progress (see
        :func:`netplan.sim.engines.run_replication`).
    engine : {"compiled", "python"}
        The numba session kernel under simpy's calendar (default), or every event on
        simpy's calendar in Python; see :func:`netplan.sim.engines.run_replication`.

    Returns
    -------
    SimResult

    Examples
    --------
    >>> from netplan.sim import SimNetwork, TrafficClass, erlang_b
    >>> net = SimNetwork(("l0",), [10.0])
    >>> video = TrafficClass("video", "stream", paths=[[0]], arrival_rate_per_s=5.0,
    ...                      bandwidth_mbps=1.0, holding_s=1.0)
    >>> res = simulate(net, [video], seed=7, replications=10, warmup_s=20, duration_s=400)
    >>> bool(res["blocking"].contains([erlang_b(10, 5.0)])[0])
    True
    """
    _check_run(seed, replications, warmup_s, duration_s, confidence, start_hour, workers)
    cm = compile_model(
        network, classes, pools, pool_routing=pool_routing, failures=failures, reroute=reroute
    )
    children = np.random.SeedSequence(int(seed)).spawn(int(replications))
    options = {
        "warmup_s": float(warmup_s),
        "duration_s": float(duration_s),
        "start_hour": float(start_hour),
        "sample_interval_s": sample_interval_s,
        "warm_start": warm_start,
        "engine": engine,
    }
    runs = run_replications(
        cm,
        children,
        options,
        workers,
        lambda k: log.debug("replication %d/%d done", k, replications),
    )
    return summarise(
        runs,
        class_ids=cm.class_ids,
        link_ids=network.link_ids,
        pool_ids=tuple(p.id for p in cm.pools),
        confidence=float(confidence),
        seed=int(seed),
        warmup_s=float(warmup_s),
        duration_s=float(duration_s),
    )
