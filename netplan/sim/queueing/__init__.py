"""Closed-form queueing and loss formulas, vectorised with numpy.

These are the fast path behind sweeps (:mod:`netplan.sim.closed_form`) and the exact
values the simulator is checked against. Two families:

- :mod:`netplan.sim.queueing.loss` -- loss systems, where a session that finds no room is
  blocked: Erlang-B, Kaufman-Roberts, the reduced-load (Erlang) fixed point;
- :mod:`netplan.sim.queueing.delay` -- delay systems, where it waits or shares: Erlang-C,
  M/M/c and M/M/1, M/G/1 processor sharing, open Jackson networks.

Every function accepts arrays and broadcasts like numpy; each module lists its sources.
"""

from __future__ import annotations

from netplan.sim.queueing.delay import (
    JacksonMetrics,
    MMcMetrics,
    erlang_c,
    jackson_network,
    mm1,
    mmc,
    processor_sharing,
)
from netplan.sim.queueing.loss import (
    FixedPointResult,
    erlang_b,
    erlang_fixed_point,
    kaufman_roberts,
)

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
