"""The results of a batch: :class:`BatchResult`, every variant's parameters, status and outputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from netplan.batch.spec import Batch
from netplan.batch.stages.registry import LabelledArray
from netplan.batch.store import VariantOutcome
from netplan.batch.variants import Variant
from netplan.io.tables import records_to_csv


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
        return [index_entry(v, self.fingerprints[v.id], self.outcomes[v.id]) for v in self.variants]

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


def index_entry(variant: Variant, fp: str, outcome: VariantOutcome) -> dict[str, Any]:
    """A variant's entry in ``index.json``.

    Parameters
    ----------
    variant : Variant
    fp : str
        The fingerprint of the variant's inputs.
    outcome : VariantOutcome
        What running the variant gave.

    Returns
    -------
    dict
        ``id``, ``index``, ``parameters``, ``seed``, ``fingerprint``, ``status``, ``error``.
    """
    return {
        "id": variant.id,
        "index": variant.index,
        "parameters": variant.parameters,
        "seed": variant.seed,
        "fingerprint": fp,
        "status": outcome.status,
        "error": outcome.error,
    }
