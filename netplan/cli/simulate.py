"""Back end of ``egov-netplan simulate TOPOLOGY SCENARIO -o DIR``.

Loads the files, runs :func:`netplan.sim.scenario.simulate_scenario` and writes its
files into a staged output directory (swapped in only when everything is written).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from netplan.io.atomic import staged_output_dir
from netplan.io.scenario_io import load_scenario
from netplan.io.topology_io import load_topology
from netplan.sim.scenario import SimScenarioResult, simulate_scenario

__all__ = ["simulate_main"]

log = logging.getLogger(__name__)


def simulate_main(
    topology_path,
    scenario_path,
    output,
    overwrite: bool = False,
    method: str = "simulate",
    seed: int | None = None,
    replications: int | None = None,
    hours: Sequence[int] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    workers: int = 1,
) -> SimScenarioResult:
    """Simulate a scenario on a topology and write the results to ``output``.

    Parameters
    ----------
    topology_path, scenario_path : path-like
    output : path-like
        Directory to create: ``sim_summary.json``, ``sim_services.csv``,
        ``sim_link_utilisation.csv``, ``sim_pool_queue.csv``.
    overwrite : bool
        Replace an existing directory.
    method : {"simulate", "analytic"}
    seed, replications, hours : optional
        Override the scenario's ``seed`` and ``simulation`` settings.
    progress : callable, optional
        ``progress(done, total, message)`` after each replication (for a progress bar).
    workers : int
        Replications run side by side in forked processes.

    Returns
    -------
    SimScenarioResult

    Raises
    ------
    netplan.errors.NetplanError
        Bad files or settings (validation errors name file and field).

    Examples
    --------
    >>> import tempfile, pathlib, netplan
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "sim"
    >>> res = simulate_main(netplan.default_topology_path(),
    ...                     netplan.default_scenario_path("baseline"), out, method="analytic")
    >>> sorted(p.name for p in out.iterdir())[:2]
    ['sim_link_utilisation.csv', 'sim_pool_queue.csv']
    """
    topology = load_topology(topology_path)
    scenario = load_scenario(scenario_path, topology)
    result = simulate_scenario(
        topology, scenario, method=method, seed=seed, replications=replications,
        hours=hours, progress=progress, workers=workers,
    )
    with staged_output_dir(Path(output), overwrite=overwrite) as stage:
        result.save(stage)
    log.info("simulation of %s written to %s", scenario.name, output)
    return result
