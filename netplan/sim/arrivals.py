"""Session arrivals, pre-generated with numpy in time-ordered batches.

Both the event-calendar engine and the process-per-session reference read the same
batches, so for a given generator they see exactly the same sessions.

Poisson classes with an hourly rate profile form a piecewise-constant non-homogeneous
Poisson process. Batches never straddle an hour boundary, so within a batch every rate is
constant: the number of arrivals of each class is Poisson(rate × length) and, given the
count, the arrival times are independent and uniform on the batch (the order-statistics
property of the Poisson process). Trace classes contribute their recorded times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ArrivalBatch", "ArrivalSource", "expected_sessions"]


@dataclass(frozen=True)
class ArrivalBatch:
    """Arrivals in one window, sorted by time.

    Plain lists (fast scalar access from Python) or, with ``as_arrays``, numpy arrays
    (for the compiled kernel).

    ``u`` is a uniform draw that picks the path; ``x`` is the holding time (stream), size
    (elastic) or first service time (request); ``y`` is a request's response size.
    """

    time_s: Sequence[float]
    cls: Sequence[int]
    u: Sequence[float]
    x: Sequence[float]
    y: Sequence[float]


class ArrivalSource:
    """Iterator over :class:`ArrivalBatch` windows covering ``[0, end_s)``.

    Parameters
    ----------
    rate_per_s : numpy.ndarray, shape (K, 24)
        Hourly Poisson rates (rows of trace classes are zero).
    traces : dict of int to numpy.ndarray
        Recorded arrival times of trace classes.
    mean_x, mean_y : numpy.ndarray, shape (K,)
        Means of the per-session draws ``x`` and ``y``.
    deterministic : numpy.ndarray of bool, shape (K,)
        Classes whose draws equal their means instead of being exponential.
    rng : numpy.random.Generator
    start_hour : float
        Hour of day at simulation time 0.
    end_s : float
        End of the run.
    batch_target : int
        Roughly how many arrivals one batch holds.
    as_arrays : bool
        Return numpy arrays instead of lists (the draws are the same).

    Examples
    --------
    >>> src = ArrivalSource(np.full((1, 24), 2.0), {}, np.ones(1), np.zeros(1),
    ...                     np.zeros(1, bool), np.random.default_rng(1), 0.0, 100.0)
    >>> n = sum(len(b.time_s) for b in src)
    >>> 140 < n < 260
    True
    """

    def __init__(
        self,
        rate_per_s: np.ndarray,
        traces: dict,
        mean_x: np.ndarray,
        mean_y: np.ndarray,
        deterministic: np.ndarray,
        rng: np.random.Generator,
        start_hour: float,
        end_s: float,
        batch_target: int = 16384,
        as_arrays: bool = False,
    ) -> None:
        self._rate = np.asarray(rate_per_s, dtype=float)
        self._traces = {int(k): np.asarray(v, dtype=float) for k, v in traces.items()}
        self._mean_x = np.asarray(mean_x, dtype=float)
        self._mean_y = np.asarray(mean_y, dtype=float)
        self._det = np.asarray(deterministic, dtype=bool)
        self._rng = rng
        self._end = float(end_s)
        self._target = int(batch_target)
        start_s = float(start_hour) * 3600.0
        self._offset_s = start_s
        self._hour_no = int(np.floor(start_s / 3600.0))
        self._hour_end = (self._hour_no + 1) * 3600.0 - start_s
        self._a = 0.0
        self._as_arrays = bool(as_arrays)

    def __iter__(self):
        return self

    def __next__(self) -> ArrivalBatch:
        while self._a < self._end:
            batch = self._window()
            if batch is not None:
                return batch
        raise StopIteration

    def _window(self) -> ArrivalBatch | None:
        a = self._a
        rates = self._rate[:, self._hour_no % 24]
        total = float(rates.sum())
        width = self._target / total if total > 0 else np.inf
        b = min(a + width, self._hour_end, self._end)
        if b == self._hour_end:
            self._hour_no += 1
            self._hour_end += 3600.0
        self._a = b
        rng = self._rng
        dt = b - a
        counts = rng.poisson(rates * dt) if total > 0 else np.zeros(rates.size, np.int64)
        n_poisson = int(counts.sum())
        times = a + rng.random(n_poisson) * dt
        cls = np.repeat(np.arange(rates.size), counts)
        if self._traces:
            extra_t = []
            extra_c = []
            for k, tr in self._traces.items():
                lo, hi = np.searchsorted(tr, [a, b], side="left")
                if hi > lo:
                    extra_t.append(tr[lo:hi])
                    extra_c.append(np.full(hi - lo, k))
            if extra_t:
                times = np.concatenate([times, *extra_t])
                cls = np.concatenate([cls, *extra_c])
        n = times.size
        if n == 0:
            return None
        order = np.argsort(times, kind="stable")
        times = times[order]
        cls = cls[order]
        u = rng.random(n)
        x = rng.standard_exponential(n)
        y = rng.standard_exponential(n)
        det = self._det[cls]
        x = np.where(det, 1.0, x) * self._mean_x[cls]
        y = np.where(det, 1.0, y) * self._mean_y[cls]
        if self._as_arrays:
            return ArrivalBatch(times, cls.astype(np.int64), u, x, y)
        return ArrivalBatch(times.tolist(), cls.tolist(), u.tolist(), x.tolist(), y.tolist())


def initial_streams(
    rate_per_s: np.ndarray,
    holding_s: np.ndarray,
    deterministic: np.ndarray,
    is_stream: np.ndarray,
    rng: np.random.Generator,
    start_hour: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stream sessions already in progress at time 0, as if the run had long been going.

    A stream class offered ``rate × holding`` erlangs has, without blocking, a
    Poisson(``rate × holding``) number of sessions in progress (M/G/inf), and each one's
    remaining holding time follows the equilibrium residual law: exponential with the
    same mean for exponential holding times, uniform on [0, holding] for fixed ones.
    Starting from that state instead of an empty network removes most of the warm-up a
    long session class would otherwise need (an hour-long video conference needs hours
    to fill the network from empty); links that block are still settled by the warm-up.

    Returns
    -------
    classes, u, residual_s : numpy.ndarray
        Class of each session, its path draw and its remaining holding time, s.

    Examples
    --------
    >>> cls, u, rest = initial_streams(np.full((1, 24), 2.0), np.array([50.0]),
    ...                                np.zeros(1, bool), np.ones(1, bool),
    ...                                np.random.default_rng(1), 0.0)
    >>> 70 < cls.size < 130, bool(rest.min() > 0)
    (True, True)
    """
    hour = int(np.floor(start_hour)) % 24
    mean = np.where(is_stream, np.asarray(rate_per_s, float)[:, hour] * holding_s, 0.0)
    counts = rng.poisson(mean)
    cls = np.repeat(np.arange(mean.size), counts)
    u = rng.random(cls.size)
    fixed = np.asarray(deterministic, bool)[cls]
    shape = np.where(fixed, rng.random(cls.size), rng.standard_exponential(cls.size))
    return cls, u, shape * np.asarray(holding_s, float)[cls]


def expected_sessions(
    rate_per_s: np.ndarray,
    holding_s: np.ndarray,
    is_stream: np.ndarray,
    start_hour: float,
    span_s: float,
    warm_start: bool = False,
) -> float:
    """Mean number of sessions one run creates, before it runs.

    The Poisson arrivals of :class:`ArrivalSource` over ``[0, span_s)`` (the hourly rates
    integrated piece by piece from ``start_hour``) and, with ``warm_start``, the streams
    :func:`initial_streams` puts in progress at time 0. A rate too large to count gives
    ``inf``, never an error, so a caller can refuse the run.

    Parameters
    ----------
    rate_per_s : numpy.ndarray, shape (K, 24)
        Hourly Poisson rates of the classes.
    holding_s : numpy.ndarray, shape (K,)
        Mean holding time of each class (used for streams).
    is_stream : numpy.ndarray of bool, shape (K,)
    start_hour : float
        Hour of day at time 0.
    span_s : float
        Simulated time, warm-up included.
    warm_start : bool

    Returns
    -------
    float

    Examples
    --------
    Two sessions a second from 10:00, then one a second from 11:00: half an hour either
    side of 11:00 gives 3,600 + 1,800 sessions; a stream of 2 sessions a second held 50 s
    adds 100 in progress at the start.

    >>> rates = np.zeros((1, 24)); rates[0, 10], rates[0, 11] = 2.0, 1.0
    >>> expected_sessions(rates, np.array([50.0]), np.array([True]), 10.5, 3600.0)
    5400.0
    >>> expected_sessions(rates, np.array([50.0]), np.array([True]), 10.5, 3600.0, True)
    5500.0
    """
    with np.errstate(over="ignore", invalid="ignore"):
        per_hour = np.asarray(rate_per_s, dtype=float).reshape(-1, 24).sum(axis=0)
        days, rest = divmod(float(span_s), 86400.0)
        total = days * 3600.0 * float(per_hour.sum())
        clock, left = float(start_hour) * 3600.0, rest
        while left > 0:  # at most 25 hour pieces
            hour = int(clock // 3600.0)
            piece = min((hour + 1) * 3600.0 - clock, left)
            total += float(per_hour[hour % 24]) * piece
            clock, left = clock + piece, left - piece
        if warm_start:
            hour = int(np.floor(start_hour)) % 24
            rates = np.asarray(rate_per_s, dtype=float).reshape(-1, 24)[:, hour]
            streams = np.where(np.asarray(is_stream, bool), rates * np.asarray(holding_s, float), 0)
            total += float(streams.sum())
    return total if not np.isnan(total) else float("inf")
