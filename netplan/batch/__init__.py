"""Scenario batches: parameter sweeps and Monte Carlo on all local cores or a Dask cluster.

Run a batch from a script (see ``docs/batches.md``)::

    from netplan.batch import load_batch, run

    if __name__ == "__main__":
        result = run(load_batch("scenarios/growth-video.batch.yaml"), output_dir="out/grid")

- :mod:`netplan.batch.definition` — the fields of a ``kind: batch`` file (pydantic models);
- :mod:`netplan.batch.targets` — where a parameter's value goes in the scenario;
- :mod:`netplan.batch.variants` — grid, Monte Carlo and scenario-list expansion, seeds;
- :mod:`netplan.batch.spec` — :func:`load_batch`: the definition checked against its files;
- :mod:`netplan.batch.stages` — the stage registry and the stages (``demand``, ``analyze`` …);
- :mod:`netplan.batch.tasks` — what travels to a worker, and the inputs' fingerprints;
- :mod:`netplan.batch.executors` — :class:`SerialExecutor` and :func:`dask_executor`;
- :mod:`netplan.batch.runner` — :func:`run` on any ``concurrent.futures.Executor``;
- :mod:`netplan.batch.result` — :class:`BatchResult`, every variant's outputs;
- :mod:`netplan.batch.store` — the results store, its index and resume;
- :mod:`netplan.batch.summary` — distributions across variants, robust capacity, figures.

Scripts that use process pools or Dask must run under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

from netplan.batch.executors import SerialExecutor, dask_executor
from netplan.batch.result import BatchResult
from netplan.batch.runner import Progress, load_result, run
from netplan.batch.spec import Batch, build_batch, load_batch
from netplan.batch.stages import LabelledArray, StageOutput, available_stages, register_stage
from netplan.batch.variants import Variant

__all__ = [
    "Batch",
    "BatchResult",
    "LabelledArray",
    "Progress",
    "SerialExecutor",
    "StageOutput",
    "Variant",
    "available_stages",
    "build_batch",
    "dask_executor",
    "load_batch",
    "load_result",
    "register_stage",
    "run",
]
