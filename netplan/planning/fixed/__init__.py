"""The fixed-routing planner: exact requirements, exact sizing, and its independent check."""
