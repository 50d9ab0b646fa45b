"""The validated, immutable model of topologies and scenarios."""
