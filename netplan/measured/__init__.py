"""Measured traffic in: link counters, demand deduction, calibration, measured base year.

:mod:`~netplan.measured.counters` reads counter exports, :mod:`~netplan.measured.routing_matrix`
builds the link × od matrix under the network's routing, :mod:`~netplan.measured.deduce`
estimates the od matrix of every time slot, :mod:`~netplan.measured.calibrate` fits a
scenario's per-service scale factors to it and :mod:`~netplan.measured.base_demand` turns
deduced demand into the base year of a plan. docs/measured-traffic.md describes the flow.
"""
