"""A run directory: the saved results of one ``egov-netplan plan`` run.

Everything a report needs is saved (``results.json`` with typed records, ``arrays.npz`` with
the arrays the figures draw), so ``egov-netplan report RUN_DIR`` and ``compare`` re-render
without recomputing. The CSV files beside them are for people and spreadsheets.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from netplan.errors import Problem, ValidationError
from netplan.io.safe_read import read_input_bytes

RESULTS_FILE = "results.json"
ARRAYS_FILE = "arrays.npz"
RUN_FORMAT = 2  # 2: verdict, costs object, rows with quantities bought
RUN_FILE_MAX_BYTES = 1024 * 1024 * 1024
"""Largest ``results.json`` or ``arrays.npz`` read back (saved runs are far smaller)."""


@dataclass(frozen=True)
class RunData:
    """The saved results of a run (see the module docstring)."""

    results: dict[str, Any]
    arrays: dict[str, np.ndarray]

    @property
    def inputs(self) -> dict[str, Any]:
        return self.results["inputs"]

    def save(self, directory: str | os.PathLike) -> list[Path]:
        """Write ``results.json`` and ``arrays.npz`` (atomically)."""
        from netplan.io.atomic import write_bytes_atomic, write_text_atomic

        directory = Path(directory)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **self.arrays)
        return [
            write_text_atomic(directory / RESULTS_FILE,
                              json.dumps(self.results, indent=1, ensure_ascii=False) + "\n"),
            write_bytes_atomic(directory / ARRAYS_FILE, buffer.getvalue()),
        ]


def load_run(directory: str | os.PathLike) -> RunData:
    """Read a run directory written by ``egov-netplan plan``.

    Raises
    ------
    ValidationError
        When the directory is missing or does not hold a complete run.
    """
    directory = Path(directory)
    results_path = directory / RESULTS_FILE
    arrays_path = directory / ARRAYS_FILE
    if not directory.is_dir():
        raise ValidationError([Problem(str(directory), "", "run directory not found")])
    if not results_path.exists() or not arrays_path.exists():
        raise ValidationError([Problem(str(directory), "", f"not a netplan run: {RESULTS_FILE} "
                                       f"or {ARRAYS_FILE} is missing")])
    raw = read_input_bytes(results_path, limit=RUN_FILE_MAX_BYTES)
    try:
        results = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError([Problem(str(results_path), "", f"not valid JSON: {exc}")]) from None
    if not isinstance(results, dict) or results.get("format") != RUN_FORMAT:
        raise ValidationError([Problem(str(results_path), "format",
                                       f"unsupported run format; expected {RUN_FORMAT}")])
    packed = io.BytesIO(read_input_bytes(arrays_path, limit=RUN_FILE_MAX_BYTES))
    try:
        with np.load(packed, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError) as exc:
        raise ValidationError([Problem(str(arrays_path), "", f"unreadable arrays: {exc}")]) from None
    return RunData(results=results, arrays=arrays)
