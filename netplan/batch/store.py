"""The results store of a batch: one directory, written atomically, resumable.

Layout::

    DIR/batch.yaml                 the resolved definition (absolute paths)
    DIR/index.json                 per variant: id, parameters, seed, fingerprint, status, error
    DIR/timing.json                per variant: seconds and worker (kept apart so that the
                                   index of a resumed batch equals that of an uninterrupted one)
    DIR/variants/<id>/record.json  the index entry plus the stage's metrics
    DIR/variants/<id>/arrays.npz   the stage's arrays with their axes and labels
    DIR/variants/<id>/<table>.csv  the stage's tables
    DIR/variants/<id>/scenario.yaml  the variant's resolved scenario (ready for ``plan``)
    DIR/results.csv, summary files written when the batch ends

A variant's directory is built beside its final place and swapped in whole
(:func:`netplan.io.atomic.staged_output_dir`), so a batch killed at any moment leaves only
complete variants. Each ``record.json`` is the authority on its variant: the index is
rewritten atomically at most once a second while the batch runs (and when it ends), and a
resumed batch rebuilds it from the records.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from netplan.batch.stages.registry import LabelledArray
from netplan.errors import OutputExistsError, RunError
from netplan.io.atomic import staged_output_dir, write_text_atomic
from netplan.io.tables import records_to_csv

log = logging.getLogger(__name__)

FORMAT = "netplan-batch/1"
DEFINITION = "batch.yaml"
INDEX = "index.json"
TIMING = "timing.json"
VARIANTS = "variants"
RECORD = "record.json"
ARRAYS = "arrays.npz"
INDEX_FIELDS = ("id", "index", "parameters", "seed", "fingerprint", "status", "error")


@dataclass(frozen=True)
class VariantOutcome:
    """What running one variant gave: its status and the stage's output.

    ``status`` is ``"ok"`` or ``"error"`` (then ``error`` holds the message and the
    results are empty). ``files`` holds the variant's output files already rendered
    (``arrays.npz``, one CSV per table; see :func:`render_files`), so that the worker, not
    the process that writes the store, does the formatting. ``seconds`` and ``worker`` are
    timing facts, stored apart.
    """

    id: str
    status: str
    error: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, LabelledArray] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""

    @property
    def ok(self) -> bool:
        """True when the variant ran to the end."""
        return self.status == "ok"


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def is_batch_store(directory: str | os.PathLike) -> bool:
    """True when ``directory`` holds a batch's results (its definition or index)."""
    d = Path(directory)
    return (d / DEFINITION).is_file() or (d / INDEX).is_file()


def _json(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False, allow_nan=False) + "\n"


def arrays_to_npz(arrays: dict[str, LabelledArray]) -> bytes:
    """Arrays with their axes, labels and units as ``.npz`` bytes (see :func:`npz_to_arrays`).

    Label sets shared by several arrays (the link ids, the years) are stored once.
    """
    payload: dict[str, np.ndarray] = {}
    label_sets: dict[tuple, int] = {}
    for name, array in arrays.items():
        payload[name] = np.asarray(array.values)
        payload[f"{name}__axes"] = np.array(array.axes, dtype=str)
        payload[f"{name}__unit"] = np.array(array.unit)
        keys = []
        for labels in array.labels:
            key = (type(labels[0]).__name__ if labels else "", labels)
            if key not in label_sets:
                label_sets[key] = len(label_sets)
                payload[f"labels__{label_sets[key]}"] = np.array(labels)
            keys.append(label_sets[key])
        payload[f"{name}__labels"] = np.array(keys, dtype=np.int64)
    buffer = io.BytesIO()
    np.savez(buffer, **payload)
    return buffer.getvalue()


def npz_to_arrays(data: bytes | os.PathLike) -> dict[str, LabelledArray]:
    """Inverse of :func:`arrays_to_npz`.

    Examples
    --------
    >>> a = LabelledArray(np.arange(4.0).reshape(2, 2), ("link", "year"),
    ...                   (("x", "y"), (2026, 2027)), "fraction")
    >>> b = npz_to_arrays(arrays_to_npz({"u": a, "v": a}))["v"]
    >>> b.labels, b.unit, np.array_equal(a.values, b.values)
    ((('x', 'y'), (2026, 2027)), 'fraction', True)
    """
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    out: dict[str, LabelledArray] = {}
    with np.load(source, allow_pickle=False) as npz:
        sets = {k: tuple(x.item() for x in npz[k]) for k in npz.files if k.startswith("labels__")}
        for name in (k for k in npz.files if "__" not in k):
            axes = tuple(str(a) for a in npz[f"{name}__axes"])
            labels = tuple(sets[f"labels__{int(k)}"] for k in npz[f"{name}__labels"])
            out[name] = LabelledArray(npz[name], axes, labels, str(npz[f"{name}__unit"]))
    return out


def render_files(
    arrays: dict[str, LabelledArray], tables: dict[str, list[dict[str, Any]]]
) -> dict[str, bytes]:
    """A variant's output files: ``arrays.npz`` and ``<table>.csv`` for each table.

    Tables are for reading and keep six significant digits; the arrays keep every digit.

    Examples
    --------
    >>> files = render_files({}, {"links": [{"link": "a", "load_gbps": 1 / 3}]})
    >>> files["links.csv"].decode()
    'link,load_gbps\\na,0.333333\\n'
    """
    files = {ARRAYS: arrays_to_npz(arrays)} if arrays else {}
    for name, rows in tables.items():
        files[f"{name}.csv"] = records_to_csv(rows, digits=6).encode()
    return files


class ResultsStore:
    """A batch's results directory (see the module docstring for its layout)."""

    def __init__(self, directory: str | os.PathLike, index_interval_s: float = 1.0):
        self.directory = Path(directory)
        self.entries: dict[str, dict[str, Any]] = {}
        self.timing: dict[str, dict[str, Any]] = {}
        self.index_interval_s = index_interval_s
        self._index_written = -float("inf")
        self._index_dirty = False

    # --- opening -------------------------------------------------------------------
    @classmethod
    def create(cls, directory: str | os.PathLike, overwrite: bool = False) -> ResultsStore:
        """A fresh store in ``directory`` (created when missing).

        Raises
        ------
        OutputExistsError
            ``directory`` holds another batch and ``overwrite`` is false, or it holds
            other files (never deleted, even with ``overwrite``).
        """
        d = Path(directory)
        if d.exists() and not d.is_dir():
            raise OutputExistsError(f"{d}: output path exists and is not a directory")
        if d.is_dir() and any(d.iterdir()):
            if not is_batch_store(d):
                raise OutputExistsError(
                    f"{d}: directory is not empty and holds no batch results; choose a new "
                    "or empty directory"
                )
            if not overwrite:
                raise OutputExistsError(
                    f"{d}: directory holds another batch's results; pass --overwrite to "
                    "replace them or --resume to continue that batch"
                )
            log.info("removing the previous batch results in %s", d)
            shutil.rmtree(d)
        d.mkdir(parents=True, exist_ok=True)
        return cls(d)

    @classmethod
    def open(cls, directory: str | os.PathLike) -> ResultsStore:
        """An existing store, its index and timing read, for resuming."""
        d = Path(directory)
        if not is_batch_store(d):
            raise OutputExistsError(f"{d}: no batch results to resume here (no {DEFINITION})")
        store = cls(d)
        store._clean_staging()
        folder = d / VARIANTS
        for record in sorted(folder.glob(f"*/{RECORD}")) if folder.is_dir() else ():
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
                store.entries[data["id"]] = {k: data[k] for k in INDEX_FIELDS}
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("%s: unreadable; the variant will run again", record)
                shutil.rmtree(record.parent, ignore_errors=True)
        if (d / TIMING).is_file():
            try:
                timing = json.loads((d / TIMING).read_text(encoding="utf-8"))["variants"]
                store.timing = {k: v for k, v in timing.items() if k in store.entries}
            except (ValueError, KeyError, TypeError, AttributeError):
                store.timing = {}  # timing is informative only
        return store

    def _clean_staging(self) -> None:
        # Leftovers of variant directories a killed run was building.
        folder = self.directory / VARIANTS
        if folder.is_dir():
            for leftover in folder.glob(".*.staging.*"):
                shutil.rmtree(leftover, ignore_errors=True)
            for leftover in folder.glob(".*.old.*"):
                shutil.rmtree(leftover, ignore_errors=True)

    # --- writing -------------------------------------------------------------------
    def write_definition(self, text: str) -> None:
        """Write the resolved batch definition."""
        write_text_atomic(self.directory / DEFINITION, text)

    def variant_dir(self, variant_id: str) -> Path:
        """Directory of one variant's outputs."""
        return self.directory / VARIANTS / variant_id

    def record(self, entry: dict[str, Any], outcome: VariantOutcome) -> None:
        """Store one variant's outputs, then list it in the index."""
        entry = {k: entry[k] for k in INDEX_FIELDS}
        # The staging directory is swapped in whole, so its files need no temp-file dance
        # of their own; each is flushed to disk before the swap.
        with staged_output_dir(self.variant_dir(outcome.id), overwrite=True) as stage:
            _write_synced(stage / RECORD, _json({**entry, "metrics": outcome.metrics}).encode())
            for name, data in outcome.files.items():
                _write_synced(stage / name, data)
        self.entries[outcome.id] = entry
        self.timing[outcome.id] = {"seconds": round(outcome.seconds, 6), "worker": outcome.worker}
        self._index_dirty = True
        if time.monotonic() - self._index_written >= self.index_interval_s:
            self.write_index()

    def forget(self, variant_ids: list[str]) -> None:
        """Drop variants that are no longer part of the batch."""
        for variant_id in variant_ids:
            self.entries.pop(variant_id, None)
            self.timing.pop(variant_id, None)
            shutil.rmtree(self.variant_dir(variant_id), ignore_errors=True)
        self.write_index()

    def write_index(self) -> None:
        """Rewrite ``index.json`` (variants in batch order) and ``timing.json``."""
        ordered = sorted(self.entries.values(), key=lambda e: e["index"])
        document = {
            "format": FORMAT,
            "variants": ordered,
            "counts": {
                "ok": sum(e["status"] == "ok" for e in ordered),
                "error": sum(e["status"] == "error" for e in ordered),
            },
        }
        write_text_atomic(self.directory / INDEX, _json(document))
        timing = {k: self.timing[k] for k in sorted(self.timing)}
        write_text_atomic(self.directory / TIMING, _json({"variants": timing}))
        self._index_written = time.monotonic()
        self._index_dirty = False

    def flush(self) -> None:
        """Write the index if variants were recorded since it was last written."""
        if self._index_dirty:
            self.write_index()

    def write_text(self, name: str, text: str) -> Path:
        """Write a batch-level file (results.csv, summaries) atomically."""
        return write_text_atomic(self.directory / name, text)

    # --- reading -------------------------------------------------------------------
    def is_complete(self, variant_id: str, fingerprint: str) -> bool:
        """True when the variant finished ok with this fingerprint and its outputs exist."""
        entry = self.entries.get(variant_id)
        return (
            entry is not None
            and entry["status"] == "ok"
            and entry["fingerprint"] == fingerprint
            and (self.variant_dir(variant_id) / RECORD).is_file()
        )

    def load_outcome(self, variant_id: str) -> VariantOutcome:
        """A stored variant's outcome (tables are left on disk)."""
        folder = self.variant_dir(variant_id)
        try:
            record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
            arrays = npz_to_arrays(folder / ARRAYS) if (folder / ARRAYS).is_file() else {}
        except (OSError, ValueError, KeyError) as exc:
            raise RunError(
                f"{folder}: unreadable variant results ({exc}); rerun with --overwrite"
            ) from None
        timing = self.timing.get(variant_id, {})
        return VariantOutcome(
            id=variant_id,
            status=record["status"],
            error=record["error"],
            metrics=record.get("metrics", {}),
            arrays=arrays,
            seconds=float(timing.get("seconds", 0.0)),
            worker=str(timing.get("worker", "")),
        )
