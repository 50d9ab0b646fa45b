"""Run a batch on any ``concurrent.futures.Executor``: in-process, local processes, or Dask.

Each variant travels to a worker as a self-contained task — the stage, its options, the
topology (compressed JSON with its fingerprint; a worker validates it once and keeps it), the
resolved scenario as plain data, and the variant's seed — so workers need nothing but the
package. Results come back to this process, which alone writes the results store. A variant
that raises is recorded with its error and the others go on.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import logging
import math
import os
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from netplan.batch.spec import Batch, load_batch
from netplan.batch.stages import LabelledArray, Stage, get_stage
from netplan.batch.store import ResultsStore, VariantOutcome, render_files
from netplan.batch.variants import Variant
from netplan.errors import NetplanError, RunError
from netplan.io.tables import records_to_csv
from netplan.model.topology import Topology

log = logging.getLogger(__name__)

RESULTS_CSV = "results.csv"


# ---------------------------------------------------------------------- executors
class SerialExecutor(cf.Executor):
    """Runs every task at once, in this process (debugging, tiny batches, benchmarks).

    Examples
    --------
    >>> SerialExecutor().submit(pow, 2, 10).result()
    1024
    """

    def __init__(self) -> None:
        self._shutdown = False

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        if self._shutdown:
            raise RuntimeError("cannot submit after shutdown")
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True


@contextmanager
def dask_executor(
    scheduler: str | None = None, n_workers: int | None = None, threads_per_worker: int = 1
) -> Iterator[cf.Executor]:
    """A ``concurrent.futures`` executor on a Dask cluster (needs ``netplan[dask]``).

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). Without it a
        ``LocalCluster`` of ``n_workers`` processes is started and stopped with the block.
    n_workers : int, optional
        Workers of the local cluster (default: one per core).
    threads_per_worker : int
        Threads per local worker; 1 suits the numpy-heavy stages.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise RunError("Dask is not installed: pip install 'netplan[dask]'") from None
    if scheduler:
        client = Client(scheduler)
        cluster = None
    else:
        cluster = LocalCluster(
            n_workers=n_workers or os.cpu_count() or 1,
            threads_per_worker=threads_per_worker,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        # pure=False: two variants never share a result, even with equal inputs.
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class TopologyBlob:
    """A topology as compressed canonical JSON, with the SHA-256 of that JSON."""

    fingerprint: str
    data: bytes

    @classmethod
    def of(cls, topology: Topology) -> TopologyBlob:
        """Serialise ``topology``.

        Examples
        --------
        >>> import netplan
        >>> blob = TopologyBlob.of(netplan.load_topology(netplan.default_topology_path()))
        >>> len(blob.fingerprint), blob.topology().name.startswith("Chongqing")
        (64, True)
        """
        from netplan.io.topology_io import topology_to_dict

        text = canonical_json(topology_to_dict(topology))
        return cls(hashlib.sha256(text.encode()).hexdigest(), zlib.compress(text.encode(), 6))

    def topology(self) -> Topology:
        """The topology, validated once per process and kept by fingerprint."""
        with _CACHE_LOCK:
            cached = _TOPOLOGIES.get(self.fingerprint)
        if cached is not None:
            return cached
        from netplan.io.topology_io import build_topology

        topology = build_topology(json.loads(zlib.decompress(self.data)), name="<batch topology>")
        with _CACHE_LOCK:
            if len(_TOPOLOGIES) >= 8:
                _TOPOLOGIES.pop(next(iter(_TOPOLOGIES)))
            _TOPOLOGIES[self.fingerprint] = topology
        return topology


# Per-process cache of validated topologies, keyed by content hash (so it cannot go stale).
_TOPOLOGIES: dict[str, Topology] = {}
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class VariantTask:
    """Everything a worker needs to run one variant."""

    variant_id: str
    stage: Stage
    options: dict[str, Any]
    topology: TopologyBlob
    scenario: dict[str, Any]
    seed: int


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: equal data give equal text.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.5, None]})
    '{"a":[1.5,null],"b":1}'
    """
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def fingerprint(
    topology: TopologyBlob, scenario: dict[str, Any], stage: str, options: dict[str, Any], seed: int
) -> str:
    """SHA-256 of everything a variant's result depends on."""
    text = canonical_json(
        {
            "topology": topology.fingerprint,
            "scenario": scenario,
            "stage": stage,
            "options": options,
            "seed": seed,
        }
    )
    return hashlib.sha256(text.encode()).hexdigest()


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
    from netplan.io.scenario_io import scenario_to_dict
    from netplan.io.yamlfile import dump_yaml

    header = (
        f"# Batch variant {variant_id}: its scenario with every parameter applied.\n"
        "# Full report: egov-netplan plan TOPOLOGY.yaml scenario.yaml -o DIR\n"
    )
    return (header + dump_yaml(scenario_to_dict(scenario))).encode()


def run_variant(task: VariantTask) -> VariantOutcome:
    """Run one variant (in a worker); errors become an ``error`` outcome, never an exception."""
    from netplan.io.scenario_io import build_scenario

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


# ---------------------------------------------------------------------- progress
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


# ---------------------------------------------------------------------- the result
@dataclass(frozen=True)
class BatchResult:
    """Every variant's parameters, status and results.

    Attributes
    ----------
    batch : Batch
    variants : tuple of Variant
    outcomes : dict
        Variant id → :class:`~netplan.batch.store.VariantOutcome`.
    fingerprints : dict
        Variant id → fingerprint of its inputs.
    directory : Path or None
        The results store, when the batch was run with ``output_dir``.
    ran : tuple of str
        Variants run by this call (the others were complete already).
    """

    batch: Batch
    variants: tuple[Variant, ...]
    outcomes: dict[str, VariantOutcome]
    fingerprints: dict[str, str]
    directory: Path | None = None
    ran: tuple[str, ...] = ()

    @property
    def ok_ids(self) -> tuple[str, ...]:
        """Variants that finished without error, in batch order."""
        return tuple(v.id for v in self.variants if self.outcomes[v.id].ok)

    @property
    def failed(self) -> dict[str, str]:
        """Variant id → error message, for the variants that failed."""
        return {
            v.id: self.outcomes[v.id].error for v in self.variants if not self.outcomes[v.id].ok
        }

    def records(self) -> list[dict[str, Any]]:
        """One row per variant: id, status, error, seed, the parameters, then the metrics."""
        rows = []
        for v in self.variants:
            out = self.outcomes[v.id]
            rows.append(
                {
                    "variant": v.id,
                    "status": out.status,
                    "error": out.error,
                    "seed": v.seed,
                    **v.parameters,
                    **out.metrics,
                }
            )
        return rows

    def to_csv(self) -> str:
        """:meth:`records` as CSV text."""
        return records_to_csv(self.records())

    def index(self) -> list[dict[str, Any]]:
        """The index entries (as in ``index.json``), in batch order."""
        return [_entry(v, self.fingerprints[v.id], self.outcomes[v.id]) for v in self.variants]

    def array(self, name: str) -> LabelledArray:
        """The stage's array ``name`` of every successful variant, stacked: ``[variant, ...]``.

        Labels of the other axes are the union over the variants (links removed in a
        draw, or years beyond its horizon, are NaN there).
        """
        ids = [i for i in self.ok_ids if name in self.outcomes[i].arrays]
        if not ids:
            raise KeyError(f"no variant has an array {name!r}")
        parts = [self.outcomes[i].arrays[name] for i in ids]
        axes = parts[0].axes
        union: list[list[Any]] = [[] for _ in axes]
        seen: list[set] = [set() for _ in axes]
        for part in parts:
            for k, labels in enumerate(part.labels):
                for label in labels:
                    if label not in seen[k]:
                        seen[k].add(label)
                        union[k].append(label)
        for k, labels in enumerate(union):
            if labels and all(isinstance(x, int) for x in labels):
                union[k] = sorted(labels)
        positions = [{label: p for p, label in enumerate(labels)} for labels in union]
        values = np.full((len(parts), *(len(u) for u in union)), np.nan)
        for n, part in enumerate(parts):
            where = np.ix_(
                *[[positions[k][x] for x in labels] for k, labels in enumerate(part.labels)]
            )
            values[n][where] = part.values
        return LabelledArray(
            values, ("variant", *axes), (tuple(ids), *(tuple(u) for u in union)), parts[0].unit
        )


def _entry(variant: Variant, fp: str, outcome: VariantOutcome) -> dict[str, Any]:
    return {
        "id": variant.id,
        "index": variant.index,
        "parameters": variant.parameters,
        "seed": variant.seed,
        "fingerprint": fp,
        "status": outcome.status,
        "error": outcome.error,
    }


# ---------------------------------------------------------------------- run
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
            executor = cf.ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1)
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
        from netplan.batch.summary import write_summary

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
                    store.record(_entry(variant, prints[variant.id], outcome), outcome)
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
