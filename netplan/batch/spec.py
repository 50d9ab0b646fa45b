"""Load a batch: validate a ``kind: batch`` file and load the topology and scenarios it names.

:func:`load_batch` (from YAML) and :func:`build_batch` (from a dict) give a :class:`Batch`:
the definition (:mod:`netplan.batch.definition`) with absolute paths, its inputs loaded
and every parameter's target (:mod:`netplan.batch.targets`) checked against them.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netplan.batch.definition import MAX_VARIANTS, BatchDefinition
from netplan.batch.stages import check_options
from netplan.batch.targets import Target, failure_pool, parse_target
from netplan.batch.variants import Variant, expand
from netplan.errors import Problem, ValidationError
from netplan.io.scenario_io import load_scenario
from netplan.io.topology_io import load_topology
from netplan.io.validate import validate_model
from netplan.io.yamlfile import Located, dump_yaml, format_path, load_yaml
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology


@dataclass(frozen=True)
class Batch:
    """A validated batch, its paths resolved and its inputs loaded.

    Build one with :func:`load_batch` (from YAML) or :func:`build_batch` (from a dict).

    Attributes
    ----------
    definition : BatchDefinition
        The definition with absolute paths.
    source : str
        The file it was read from ("<code>" when built in code).
    topology : Topology
    scenario : Scenario or None
        The scenario the parameters vary (None for a ``scenarios`` list).
    scenarios : tuple of (str, Scenario)
        For a ``scenarios`` list: each file's path and scenario.
    targets : dict
        Parameter name → :class:`Target`.
    """

    definition: BatchDefinition
    source: str
    topology: Topology
    scenario: Scenario | None
    scenarios: tuple[tuple[str, Scenario], ...] = ()
    targets: dict[str, Target] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The batch's name."""
        return self.definition.name

    @property
    def stage(self) -> str:
        """The stage run on every variant."""
        return self.definition.stage

    @property
    def seed(self) -> int:
        """The batch seed every variant's seed derives from."""
        return self.definition.seed

    def variants(self) -> tuple[Variant, ...]:
        """Every variant of the batch, in order (see :func:`netplan.batch.variants.expand`)."""
        return expand(self)

    def to_yaml(self) -> str:
        """The resolved definition (absolute paths) as YAML, for the results store."""
        data = self.definition.model_dump(mode="json", exclude_defaults=True)
        return dump_yaml({"kind": "batch", **data})



def load_batch(path: str | os.PathLike) -> Batch:
    """Load and validate a ``kind: batch`` file and the topology and scenarios it names.

    Raises
    ------
    ValidationError
        Every problem found, with file, line and field: unknown fields, a bad
        distribution, an unknown parameter, a missing topology or scenario file.

    Examples
    --------
    >>> import netplan
    >>> batch = load_batch(netplan.default_scenario_path("growth-video").with_suffix(
    ...     ".batch.yaml"))
    >>> batch.stage, len(batch.variants())
    ('analyze', 9)
    """
    return batch_from_document(load_yaml(path))


def build_batch(
    data: dict[str, Any], base_dir: str | os.PathLike = ".", name: str = "<code>"
) -> Batch:
    """Validate a batch built in code (a dict as in the YAML; paths relative to ``base_dir``).

    Examples
    --------
    >>> import netplan
    >>> batch = build_batch({"name": "g", "scenario": str(netplan.default_scenario_path()),
    ...                      "stage": "demand", "grid": {"horizon_years": [0, 1, 2]}})
    >>> [v.parameters for v in batch.variants()]
    [{'horizon_years': 0}, {'horizon_years': 1}, {'horizon_years': 2}]
    """
    doc = Located(data=dict(data), file=str(Path(base_dir) / name))
    return batch_from_document(doc, base_dir=Path(base_dir))



class _Problems:
    """Problems found in one batch document, each with the file and line of its field."""

    def __init__(self, doc: Located) -> None:
        self.doc = doc
        self.found: list[Problem] = []

    def add(self, path: tuple, message: str) -> None:
        file, line = self.doc.where(path)
        self.found.append(Problem(file, format_path(path), message, line))

    def raise_any(self) -> None:
        if self.found:
            raise ValidationError(self.found)


def batch_from_document(doc: Located, base_dir: Path | None = None) -> Batch:
    """Validate a parsed batch document (see :func:`load_batch`).

    Parameters
    ----------
    doc : Located
        The parsed YAML document, with the file it came from.
    base_dir : Path, optional
        Where relative paths start; default: the document's folder.

    Returns
    -------
    Batch

    Raises
    ------
    ValidationError
        Every problem found, with file, line and field.
    """
    if isinstance(doc.data, dict) and doc.data.get("kind", "batch") != "batch":
        raise ValidationError(
            [
                Problem(
                    doc.file,
                    "kind",
                    f"this is a {doc.data.get('kind')!r} file, expected 'batch'",
                    doc.where(("kind",))[1],
                )
            ]
        )
    definition = validate_model(BatchDefinition, doc)
    base = base_dir if base_dir is not None else Path(doc.file).resolve().parent
    problems = _Problems(doc)
    topology_path, scenario_path, list_paths = _input_paths(definition, base, problems)
    for path, message in check_options(definition.stage, definition.options):
        problems.add(path, message)
    problems.raise_any()  # files to load are missing, or the stage is wrong: stop here

    topology = load_topology(topology_path)
    scenario = load_scenario(scenario_path, topology) if scenario_path else None
    listed = tuple((str(p), load_scenario(p, topology)) for p in list_paths if p is not None)
    targets = _checked_targets(definition, topology, scenario, problems)
    problems.raise_any()

    resolved = definition.model_copy(
        update={
            "topology": str(topology_path),
            "scenario": str(scenario_path) if scenario_path else None,
            "scenarios": [p for p, _ in listed] if definition.scenarios is not None else None,
        }
    )
    return Batch(
        definition=resolved,
        source=doc.file,
        topology=topology,
        scenario=scenario,
        scenarios=listed,
        targets=targets,
    )


def _input_paths(
    definition: BatchDefinition, base: Path, problems: _Problems
) -> tuple[Path | None, Path | None, list[Path | None]]:
    """The topology, scenario and scenario-list files, resolved; missing ones are problems."""

    def existing(ref: str, path: tuple, what: str) -> Path | None:
        target = (base / ref).resolve()
        if not target.is_file():
            problems.add(path, f"{what} file {str(target)!r} does not exist")
            return None
        return target

    scenario_path = (
        existing(definition.scenario, ("scenario",), "scenario") if definition.scenario else None
    )
    list_paths = [
        existing(ref, ("scenarios", i), "scenario")
        for i, ref in enumerate(definition.scenarios or ())
    ]
    topology_path: Path | None = None
    if definition.topology:
        topology_path = existing(definition.topology, ("topology",), "topology")
    else:
        first = scenario_path or next((p for p in list_paths if p), None)
        if first is not None:
            topology_path = _scenario_topology_path(first)
            if topology_path is None:
                problems.add(
                    ("topology",), f"give a topology: the scenario {str(first)!r} names none"
                )
    return topology_path, scenario_path, list_paths


def _checked_targets(
    definition: BatchDefinition,
    topology: Topology,
    scenario: Scenario | None,
    problems: _Problems,
) -> dict[str, Target]:
    """Every parameter's target, and the problems of the parameters' values."""
    targets: dict[str, Target] = {}
    names: list[tuple[str, tuple]] = []
    if definition.grid is not None:
        names = [(n, ("grid", n)) for n in definition.grid]
    elif definition.monte_carlo is not None:
        names = [(n, ("monte_carlo", "parameters", n)) for n in definition.monte_carlo.parameters]
    for name, path in names:
        try:
            targets[name] = parse_target(name, scenario, topology)
        except ValueError as exc:
            problems.add(path, str(exc))
    if definition.grid is not None:
        count = math.prod(len(v) for v in definition.grid.values())
        if count > MAX_VARIANTS:
            problems.add(("grid",), f"{count} variants; at most {MAX_VARIANTS} per batch")
        if "remove_link" in targets:
            built = {lk.id for lk in topology.links if not lk.candidate}
            for i, value in enumerate(definition.grid["remove_link"]):
                if value is not None and value not in built:
                    problems.add(("grid", "remove_link", i), f"unknown built link {value!r}")
    mc = definition.monte_carlo
    if mc is not None and "remove_link" in targets:
        problems.add(
            ("monte_carlo", "parameters", "remove_link"),
            "use link_failures for random link removals",
        )
    if mc is not None and mc.link_failures is not None and scenario is not None:
        pool = failure_pool(topology, scenario, mc.link_failures.plane)
        if mc.link_failures.count > len(pool):
            problems.add(
                ("monte_carlo", "link_failures", "count"),
                f"{mc.link_failures.count} links to remove but only {len(pool)} built links",
            )
    return targets


def _scenario_topology_path(scenario_path: Path) -> Path | None:
    doc = load_yaml(scenario_path)
    ref = doc.data.get("topology") if isinstance(doc.data, dict) else None
    # An extended scenario may inherit its topology from the base file.
    while ref is None and isinstance(doc.data, dict) and isinstance(doc.data.get("extends"), str):
        scenario_path = (scenario_path.parent / doc.data["extends"]).resolve()
        if not scenario_path.is_file():
            return None
        doc = load_yaml(scenario_path)
        ref = doc.data.get("topology") if isinstance(doc.data, dict) else None
    if not isinstance(ref, str):
        return None
    target = (scenario_path.parent / ref).resolve()
    if not target.is_file():
        raise ValidationError(
            [
                Problem(
                    str(scenario_path),
                    "topology",
                    f"topology file {str(target)!r} does not exist",
                    doc.where(("topology",))[1],
                )
            ]
        )
    return target


def describe_batch_file(path: str | os.PathLike) -> str:
    """Validate a batch file and summarise it in one line (for ``egov-netplan validate``).

    Examples
    --------
    >>> import netplan
    >>> print(describe_batch_file(netplan.default_scenario_path("growth-video").with_suffix(
    ...     ".batch.yaml")))
    batch 'growth-video': 9 variants (grid), stage analyze
    """
    batch = load_batch(path)
    how = next(
        k for k in ("grid", "monte_carlo", "scenarios") if getattr(batch.definition, k) is not None
    )
    return f"batch {batch.name!r}: {len(batch.variants())} variants ({how}), stage {batch.stage}"
