"""The routed planner: candidate paths, the path-based MILP per plane and year, its check."""
