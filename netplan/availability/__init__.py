"""Availability per district and plane, and the equity of service across districts.

* :mod:`~netplan.availability.rates`: the failure model (rates per cable type and length,
  per node kind, per shared-risk group; defaults with sources in
  ``topologies/data/failure_rates.csv``);
* :mod:`~netplan.availability.model` and :mod:`~netplan.availability.compute`: a plane as
  independent components, and the unavailability of a pair by path decomposition with a
  stated bound;
* :mod:`~netplan.availability.api`: :func:`availability`, :func:`prepare` and
  :class:`AvailabilityResult`;
* :mod:`~netplan.availability.equity`: per-district service figures and their spread;
* :mod:`~netplan.availability.simulated_year` and :mod:`~netplan.availability.reference`:
  a simulated year of failures and repairs, and the naive state enumeration, to check
  against.
"""

from netplan.availability.api import (
    AvailabilityModel,
    AvailabilityResult,
    availability,
    prepare,
)
from netplan.availability.equity import EquityResult, equity, spread

__all__ = ["AvailabilityModel", "AvailabilityResult", "EquityResult", "availability", "equity",
           "prepare", "spread"]
