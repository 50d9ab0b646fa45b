"""The result of a simulation or of the closed-form fast path: one shape for both.

A :class:`SimResult` holds labelled axes (class, link and pool ids) and a set of
:class:`Metric` objects, each a mean with a confidence interval per element and the
method that produced each value ("simulation", "erlang_b", "kaufman_roberts", ...), so a
report can say where every number came from.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from netplan.io.atomic import write_text_atomic

__all__ = ["METRICS", "Metric", "SimResult"]

#: name -> (axis, unit, description)
METRICS: dict[str, tuple[str, str, str]] = {
    "offered": ("class", "sessions", "sessions arriving after the warm-up"),
    "blocked": ("class", "sessions", "sessions refused (no room or no route)"),
    "blocking": ("class", "probability", "blocked / offered"),
    "dropped_by_failure": ("class", "sessions", "sessions cut by a link failure"),
    "completed": ("class", "sessions", "sessions that finished"),
    "response_mean_s": ("class", "s", "mean transfer or response time"),
    "response_p50_s": ("class", "s", "median transfer or response time"),
    "response_p95_s": ("class", "s", "95th percentile transfer or response time"),
    "response_p99_s": ("class", "s", "99th percentile transfer or response time"),
    "link_utilisation_mean": ("link", "fraction", "sampled mean carried / capacity"),
    "link_utilisation_max": ("link", "fraction", "largest sampled carried / capacity"),
    "link_down_fraction": ("link", "fraction", "share of the measured time a link was down"),
    "link_failures": ("link", "count", "failures during the measured time"),
    "pool_mean_in_system": ("pool", "requests", "time-average number queued or in service"),
    "pool_mean_queue_length": ("pool", "requests", "time-average number waiting"),
    "pool_utilisation": ("pool", "fraction", "time-average busy servers / servers"),
    "pool_mean_wait_s": ("pool", "s", "mean wait before service, per visit"),
    "pool_mean_sojourn_s": ("pool", "s", "mean wait + service, per visit"),
    "pool_queue_length_sampled_mean": ("pool", "requests", "sampled mean number waiting"),
    "pool_queue_length_sampled_max": ("pool", "requests", "largest sampled number waiting"),
}


def _frozen(arr) -> np.ndarray:
    out = np.array(arr, copy=True)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Metric:
    """One metric along one axis: mean and confidence interval per element.

    Attributes
    ----------
    name : str
    axis : {"class", "link", "pool"}
    unit : str
    mean, ci_low, ci_high : numpy.ndarray
        Estimate and interval bounds (equal to the mean for closed forms; NaN where
        there was nothing to measure).
    n : numpy.ndarray of int
        Replications that measured each element (0 for closed forms).
    method : tuple of str
        What produced each element.
    """

    name: str
    axis: str
    unit: str
    mean: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n: np.ndarray
    method: tuple

    def __post_init__(self) -> None:
        for f in ("mean", "ci_low", "ci_high", "n"):
            object.__setattr__(self, f, _frozen(getattr(self, f)))
        if isinstance(self.method, str):
            object.__setattr__(self, "method", (self.method,) * self.mean.size)
        object.__setattr__(self, "method", tuple(self.method))

    @property
    def half_width(self) -> np.ndarray:
        """Half the width of the confidence interval."""
        return (self.ci_high - self.ci_low) / 2.0

    def contains(self, value) -> np.ndarray:
        """Whether ``value`` lies inside the interval, element-wise.

        Examples
        --------
        >>> m = Metric("x", "class", "s", [1.0], [0.9], [1.1], [30], "simulation")
        >>> m.contains([1.05]).tolist(), m.contains([1.2]).tolist()
        ([True], [False])
        """
        v = np.asarray(value, dtype=float)
        return (self.ci_low <= v) & (v <= self.ci_high)


@dataclass(frozen=True, eq=False)
class SimResult:
    """Metrics of one run (simulation or closed forms) with their labelled axes.

    Attributes
    ----------
    method : {"simulation", "analytic"}
    class_ids, link_ids, pool_ids : tuple of str
    metrics : Mapping[str, Metric]
    replications : int
    confidence : float
    seed : int or None
    warmup_s, duration_s : float
    per_replication : Mapping[str, numpy.ndarray]
        Raw values, shape (replications, elements), for combined estimates.
    sessions : int
        Sessions generated over all replications (warm-up included).
    """

    method: str
    class_ids: tuple
    link_ids: tuple
    pool_ids: tuple
    metrics: Mapping
    replications: int = 0
    confidence: float = 0.99
    seed: int | None = None
    warmup_s: float = 0.0
    duration_s: float = 0.0
    per_replication: Mapping = field(default_factory=dict)
    sessions: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", MappingProxyType(dict(self.metrics)))
        raw = {k: _frozen(v) for k, v in dict(self.per_replication).items()}
        object.__setattr__(self, "per_replication", MappingProxyType(raw))

    def __getitem__(self, name: str) -> Metric:
        return self.metrics[name]

    def ids(self, axis: str) -> tuple:
        """The element ids along ``axis`` ("class", "link" or "pool")."""
        return {"class": self.class_ids, "link": self.link_ids, "pool": self.pool_ids}[axis]

    def to_records(self) -> list[dict]:
        """One dict per (metric, element): axis, id, metric, unit, mean, CI, n, method.

        Examples
        --------
        >>> m = Metric("blocking", "class", "probability", [0.02], [0.02], [0.02], [0],
        ...            "erlang_b")
        >>> r = SimResult("analytic", ("video",), (), (), {"blocking": m}).to_records()
        >>> r[0]["id"], r[0]["metric"], r[0]["method"]
        ('video', 'blocking', 'erlang_b')
        """
        out = []
        for name, m in self.metrics.items():
            ids = self.ids(m.axis)
            for i, ident in enumerate(ids):
                out.append(
                    {
                        "axis": m.axis,
                        "id": ident,
                        "metric": name,
                        "unit": m.unit,
                        "mean": _num(m.mean[i]),
                        "ci_low": _num(m.ci_low[i]),
                        "ci_high": _num(m.ci_high[i]),
                        "n": int(m.n[i]),
                        "method": m.method[i],
                        "confidence": self.confidence,
                    }
                )
        return out

    def to_csv(self, path=None) -> str:
        """The records as CSV text; written atomically to ``path`` when given.

        Examples
        --------
        >>> m = Metric("blocking", "class", "probability", [0.5], [0.5], [0.5], [0],
        ...            "erlang_b")
        >>> print(SimResult("analytic", ("x",), (), (), {"blocking": m}).to_csv().strip())
        axis,id,metric,unit,mean,ci_low,ci_high,n,method,confidence
        class,x,blocking,probability,0.5,0.5,0.5,0,erlang_b,0.99
        """
        buf = io.StringIO()
        fields = [
            "axis",
            "id",
            "metric",
            "unit",
            "mean",
            "ci_low",
            "ci_high",
            "n",
            "method",
            "confidence",
        ]
        w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for rec in self.to_records():
            w.writerow({k: ("" if _isnan(v) else v) for k, v in rec.items()})
        text = buf.getvalue()
        if path is not None:
            write_text_atomic(path, text)
        return text


def _num(x) -> float:
    return float(x)


def _isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)
