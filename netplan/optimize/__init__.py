"""Optimisation kernels: network-design MILP, feasibility checks and tier sizing."""
