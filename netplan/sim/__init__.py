"""Flow-level simulation and closed-form queueing for capacity planning.

What users feel — blocking of video conferences, web response times, data-centre queues,
sessions cut by failures — estimated two ways that report in the same shape:

- :func:`simulate`: a discrete-event simulator (simpy calendar, array state) with
  independent replications and Student-t confidence intervals;
- :func:`analytic`: the closed-form fast path (Erlang-B/C, Kaufman-Roberts with the
  reduced-load fixed point, processor sharing, Jackson networks) for sweeps.

Both return a :class:`SimResult`; every metric says which method produced each number.
"""

from __future__ import annotations

from netplan.sim.closed_form import analytic
from netplan.sim.model import LinkFailures, ServerPool, SimNetwork, TrafficClass
from netplan.sim.queueing import (
    erlang_b,
    erlang_c,
    erlang_fixed_point,
    jackson_network,
    kaufman_roberts,
    mm1,
    mmc,
    processor_sharing,
)
from netplan.sim.replication import mean_ci, simulate
from netplan.sim.result import METRICS, Metric, SimResult

__all__ = [
    "METRICS",
    "analytic",
    "LinkFailures",
    "Metric",
    "ServerPool",
    "SimNetwork",
    "SimResult",
    "TrafficClass",
    "erlang_b",
    "erlang_c",
    "erlang_fixed_point",
    "jackson_network",
    "kaufman_roberts",
    "mean_ci",
    "mm1",
    "mmc",
    "processor_sharing",
    "simulate",
]
