"""Run a batch on any ``concurrent.futures.Executor``: in-process, local processes, or Dask.

Each variant travels to a worker as a self-contained task (:mod:`netplan.batch.tasks`), so
workers need nothing but the package. Results come back to this process, which alone writes
the results store. A variant that raises is recorded with its error and the others go on.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import math
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from netplan.batch.executors import SerialExecutor, process_pool
from netplan.batch.result import BatchResult, index_entry
from netplan.batch.spec import Batch, load_batch
from netplan.batch.stages import LabelledArray, Stage, get_stage
from netplan.batch.store import ResultsStore, VariantOutcome, render_files
from netplan.batch.summary import write_summary
from netplan.batch.tasks import TopologyBlob, VariantTask, fingerprint
from netplan.batch.variants import Variant
from netplan.errors import NetplanError, RunError
from netplan.io.scenario_io import build_scenario, scenario_to_dict
from netplan.io.yamlfile import dump_yaml

log = logging.getLogger(__name__)

RESULTS_CSV = "results.csv"


def _plain_metric(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


SCENARIO_FILE = "scenario.yaml"
"""The variant's resolved scenario, written beside its results."""


def _scenario_file(variant_id: str, scenario) -> bytes:
    """The variant's scenario as one self-contained YAML file, ready for ``egov-netplan plan``."""
    header = (
        f"# Batch variant {variant_id}: its scenario with every parameter applied.\n"
        "# Full report: egov-netplan plan TOPOLOGY.yaml scenario.yaml -o DIR\n"
    )
    return (header + dump_yaml(scenario_to_dict(scenario))).encode()


def run_variant(task: VariantTask) -> VariantOutcome:
    """Run one variant (in a worker); errors become an ``error`` outcome, never an exception."""
    start = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        topology = task.topology.topology()
        scenario = build_scenario(task.scenario, topology, name=f"variant {task.variant_id}")
        options = task.stage.parse_options(task.options)
        output = task.stage.function(topology, scenario, task.seed, options)
    except NetplanError as exc:
        return VariantOutcome(
            task.variant_id, "error", str(exc), seconds=time.perf_counter() - start, worker=worker
        )
    except Exception as exc:  # noqa: BLE001 - one failing variant must not stop the batch
        log.debug("variant %s failed", task.variant_id, exc_info=True)
        return VariantOutcome(
            task.variant_id,
            "error",
            f"{type(exc).__name__}: {exc}",
            seconds=time.perf_counter() - start,
            worker=worker,
        )
    metrics = {str(k): _plain_metric(v) for k, v in output.metrics.items()}
    arrays = {
        k: LabelledArray(
            np.asarray(v.values),
            tuple(v.axes),
            tuple(tuple(_plain_metric(x) for x in lab) for lab in v.labels),
            v.unit,
        )
        for k, v in output.arrays.items()
    }
    # Rendering the files here keeps the one process that writes the store from becoming
    # the bottleneck when many workers finish quickly.
    files = render_files(arrays, output.tables)
    files[SCENARIO_FILE] = _scenario_file(task.variant_id, scenario)
    return VariantOutcome(
        task.variant_id, "ok", "", metrics, arrays, files, time.perf_counter() - start, worker
    )


@dataclass(frozen=True)
class Progress:
    """Where a running batch stands, passed to the ``progress`` callback after each variant.

    ``done`` counts variants finished in this run (``failed`` of them with an error) out of
    ``total`` to run; ``skipped`` were complete already (resume). ``eta_s`` is the estimated
    time left (None before the first variant finishes).
    """

    done: int
    total: int
    failed: int
    skipped: int
    elapsed_s: float
    eta_s: float | None
    variant_id: str = ""
    status: str = ""



def run(
    batch: Batch | str | os.PathLike,
    executor: cf.Executor | None = None,
    output_dir: str | os.PathLike | None = None,
    resume: bool = False,
    progress: Callable[[Progress], None] | None = None,
    *,
    overwrite: bool = False,
    workers: int | None = None,
    max_in_flight: int | None = None,
    summary: bool = True,
) -> BatchResult:
    """Run every variant of a batch and gather the results.

    Parameters
    ----------
    batch : Batch or path
        A batch from :func:`~netplan.batch.spec.load_batch`, or the path of a batch file.
    executor : concurrent.futures.Executor, optional
        Where variants run: a ``ProcessPoolExecutor``, a Dask ``client.get_executor()``
        (see :func:`dask_executor`), :class:`SerialExecutor` … By default a process pool
        of ``workers`` processes (all cores), shut down at the end.
    output_dir : path, optional
        The results store. Without it results stay in memory.
    resume : bool
        Continue the batch stored in ``output_dir``: run only the variants that are
        missing, failed, or whose fingerprint changed.
    progress : callable, optional
        Called with a :class:`Progress` after every variant.
    overwrite : bool
        Replace another batch's results in ``output_dir``.
    workers : int, optional
        Processes of the default pool (default: every core).
    max_in_flight : int, optional
        Variants submitted and not yet finished at any time (default: 256, or four per
        worker if more), which bounds memory for very large batches.
    summary : bool
        Write ``results.csv`` and the summaries into ``output_dir`` at the end.

    Returns
    -------
    BatchResult

    Examples
    --------
    >>> import netplan
    >>> from netplan.batch.spec import build_batch
    >>> b = build_batch({"name": "g", "scenario": str(netplan.default_scenario_path()),
    ...                  "stage": "demand", "grid": {"horizon_years": [0, 2]}})
    >>> result = run(b, executor=SerialExecutor())
    >>> [r["status"] for r in result.records()]
    ['ok', 'ok']
    >>> result.array("busy_hour_gbps").axes
    ('variant', 'service', 'year')
    """
    if not isinstance(batch, Batch):
        batch = load_batch(batch)
    variants = batch.variants()
    stage = get_stage(batch.stage)
    options = batch.definition.options
    blob = TopologyBlob.of(batch.topology)
    prints = {v.id: fingerprint(blob, v.scenario, stage.name, options, v.seed) for v in variants}

    store: ResultsStore | None = None
    if output_dir is not None:
        store = (
            ResultsStore.open(output_dir)
            if resume
            else ResultsStore.create(output_dir, overwrite=overwrite)
        )
        store.write_definition(batch.to_yaml())
        stale = [i for i in store.entries if i not in prints]
        if stale:
            store.forget(stale)
    elif resume:
        raise RunError("resume needs the output directory of the batch to continue")

    pending = [v for v in variants if store is None or not store.is_complete(v.id, prints[v.id])]
    skipped = len(variants) - len(pending)
    log.info(
        "batch %s: %d variants, %d to run, %d complete already",
        batch.name,
        len(variants),
        len(pending),
        skipped,
    )
    outcomes: dict[str, VariantOutcome] = {}
    if pending:
        own = executor is None
        if own:
            executor = process_pool(workers or os.cpu_count() or 1)  # workers die with us
        try:
            outcomes = _execute(
                batch,
                stage,
                options,
                blob,
                pending,
                prints,
                executor,
                store,
                progress,
                skipped,
                max_in_flight,
                workers,
            )
        finally:
            if own:
                executor.shutdown(wait=True, cancel_futures=True)
    for v in variants:
        if v.id not in outcomes:
            outcomes[v.id] = store.load_outcome(v.id)
    result = BatchResult(
        batch,
        variants,
        outcomes,
        prints,
        store.directory if store else None,
        tuple(v.id for v in pending),
    )
    if store is not None and summary:
        store.write_text(RESULTS_CSV, result.to_csv())
        write_summary(result, store.directory)
    failed = len(result.failed)
    if failed:
        log.warning(
            "batch %s: %d of %d variants failed (see index.json)", batch.name, failed, len(variants)
        )
    return result


def _execute(
    batch: Batch,
    stage: Stage,
    options: dict[str, Any],
    blob: TopologyBlob,
    pending: list[Variant],
    prints: dict[str, str],
    executor: cf.Executor,
    store: ResultsStore | None,
    progress: Callable[[Progress], None] | None,
    skipped: int,
    max_in_flight: int | None,
    workers: int | None,
) -> dict[str, VariantOutcome]:
    if max_in_flight:
        window = max_in_flight
    elif isinstance(executor, SerialExecutor):
        window = 1  # it runs at submission: record each variant before starting the next
    else:
        # Enough to keep a large cluster busy; tasks are small (tens of kB), so memory holds.
        window = max(256, 4 * (workers or os.cpu_count() or 1))
    queue = iter(pending)
    by_future: dict[cf.Future, Variant] = {}
    outcomes: dict[str, VariantOutcome] = {}
    start = time.perf_counter()
    failed = 0

    def submit_next() -> bool:
        variant = next(queue, None)
        if variant is None:
            return False
        task = VariantTask(variant.id, stage, options, blob, variant.scenario, variant.seed)
        by_future[executor.submit(run_variant, task)] = variant
        return True

    try:
        while len(by_future) < window and submit_next():
            pass
        while by_future:
            done, _ = cf.wait(list(by_future), return_when=cf.FIRST_COMPLETED)
            for future in done:
                variant = by_future.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker fails one variant
                    outcome = VariantOutcome(
                        variant.id, "error", f"worker failed: {type(exc).__name__}: {exc}"
                    )
                outcomes[variant.id] = outcome
                failed += not outcome.ok
                if store is not None:
                    store.record(index_entry(variant, prints[variant.id], outcome), outcome)
                if progress is not None:
                    n = len(outcomes)
                    elapsed = time.perf_counter() - start
                    eta = elapsed / n * (len(pending) - n)
                    progress(
                        Progress(
                            n,
                            len(pending),
                            failed,
                            skipped,
                            elapsed,
                            eta,
                            variant.id,
                            outcome.status,
                        )
                    )
                submit_next()
    except BaseException:
        for future in by_future:
            future.cancel()
        raise
    finally:
        if store is not None:
            store.flush()
    return outcomes


def load_result(directory: str | os.PathLike) -> BatchResult:
    """The results of a finished (or partly finished) batch from its store, without running.

    Variants not run yet are reported with status ``pending``.
    """
    store = ResultsStore.open(directory)
    batch = load_batch(Path(directory) / "batch.yaml")
    variants = batch.variants()
    blob = TopologyBlob.of(batch.topology)
    options = batch.definition.options
    prints = {v.id: fingerprint(blob, v.scenario, batch.stage, options, v.seed) for v in variants}
    outcomes = {}
    for v in variants:
        if v.id in store.entries and (store.variant_dir(v.id) / "record.json").is_file():
            outcomes[v.id] = store.load_outcome(v.id)
        else:
            outcomes[v.id] = VariantOutcome(v.id, "pending", "not run yet")
    return BatchResult(batch, variants, outcomes, prints, store.directory, ())
