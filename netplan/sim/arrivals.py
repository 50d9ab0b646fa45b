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

from dataclasses import dataclass

import numpy as np

__all__ = ["ArrivalBatch", "ArrivalSource"]


@dataclass(frozen=True)
class ArrivalBatch:
    """Arrivals in one window, sorted by time (plain lists for fast scalar access).

    ``u`` is a uniform draw that picks the path; ``x`` is the holding time (stream), size
    (elastic) or first service time (request); ``y`` is a request's response size.
    """

    time_s: list
    cls: list
    u: list
    x: list
    y: list


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
        return ArrivalBatch(times.tolist(), cls.tolist(), u.tolist(), x.tolist(), y.tolist())
