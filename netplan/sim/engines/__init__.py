"""The simulation engines and the choice between them: :func:`run_replication`.

Two engines run one replication of a compiled model (:mod:`netplan.sim.engines.tables`)
with the same models, seeds and draws, and agree to rounding:

- ``compiled`` (:mod:`netplan.sim.engines.numba`): simpy holds the run's events and the
  numba kernel of :mod:`netplan.sim.engines.kernel` the sessions' events;
- ``python`` (:mod:`netplan.sim.engines.python`): every event on simpy's calendar, handled
  in Python -- the readable statement of the model, several times slower.

What both share (seed streams, draws, failure calendar, metrics) is in
:mod:`netplan.sim.engines.common`. Each engine is imported when first chosen, so a run
that never simulates never loads numba.
"""

from __future__ import annotations

import numpy as np

from netplan.sim.engines.tables import Compiled

__all__ = ["ENGINES", "run_replication"]

ENGINES = ("compiled", "python")
"""The engines :func:`run_replication` can run, default first."""


def run_replication(
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
    engine: str = "compiled",
) -> dict:
    """Simulate one replication and return its raw per-class, per-link and per-pool values.

    Parameters
    ----------
    cm : Compiled
        The model (from :func:`netplan.sim.engines.tables.compile_model`).
    seed_seq : numpy.random.SeedSequence
        This replication's seed; it is split into independent streams for arrivals,
        failures and the draws made during the run.
    warmup_s, duration_s : float
        Length of the discarded warm-up and of the measured period, s.
    start_hour : float
        Hour of day at time 0 (selects the hourly arrival rates).
    sample_interval_s : float, optional
        Sampling interval of link utilisation and queue lengths (default: duration/400).
    batch_target : int
        Arrivals per pre-generated batch.
    keep_raw : bool
        Also return ``"_responses"`` (per class, the measured response times, s),
        ``"_link_samples"`` (samples x links utilisation) and ``"_queue_samples"``
        (samples x pools waiting), for aggregates over groups of classes and time series.
    warm_start : bool
        Start with stream sessions already in progress, drawn from their no-blocking
        equilibrium (:func:`netplan.sim.arrivals.initial_streams`), so long sessions do
        not need hours of warm-up. Their departures count as completions: use it with
        a warm-up.
    engine : {"compiled", "python"}
        ``compiled`` (default): simpy holds the run's events and the numba kernel of
        :mod:`netplan.sim.engines.kernel` the sessions' events
        (:func:`netplan.sim.engines.numba.run_replication_compiled`).
        ``python``: every event on simpy's calendar, handled in Python
        (:func:`netplan.sim.engines.python.run_replication_python`) -- the same models,
        draws and results to rounding, several times slower.

    Returns
    -------
    dict
        Metric name to numpy array (see :data:`netplan.sim.result.METRICS`), plus
        ``"_arrivals"``: sessions generated over the whole run (warm-up included).

    Raises
    ------
    ValueError
        For an engine not in :data:`ENGINES`.

    Examples
    --------
    >>> from netplan.sim.model import SimNetwork, TrafficClass
    >>> from netplan.sim.engines.tables import compile_model
    >>> net = SimNetwork(("l0",), [10.0])
    >>> c = TrafficClass("v", "stream", paths=[[0]], arrival_rate_per_s=5.0,
    ...                  bandwidth_mbps=1.0, holding_s=1.0)
    >>> out = run_replication(compile_model(net, [c]), np.random.SeedSequence(1),
    ...                       warmup_s=10.0, duration_s=200.0)
    >>> bool(0.0 < out["blocking"][0] < 0.06)
    True
    """
    options = {
        "warmup_s": warmup_s,
        "duration_s": duration_s,
        "start_hour": start_hour,
        "sample_interval_s": sample_interval_s,
        "batch_target": batch_target,
        "keep_raw": keep_raw,
        "warm_start": warm_start,
    }
    if engine == "compiled":
        from netplan.sim.engines.numba import run_replication_compiled

        return run_replication_compiled(cm, seed_seq, **options)
    if engine == "python":
        from netplan.sim.engines.python import run_replication_python

        return run_replication_python(cm, seed_seq, **options)
    raise ValueError(f"engine must be 'compiled' or 'python', got {engine!r}")
