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
from netplan.io.safe_read import (
    OUTSIDE_REASON,
    InputFolders,
    Reference,
    allowing_outside,
    outside_allowed,
)
from netplan.io.scenario_io import resolve_extends, scenario_from_document
from netplan.io.topology_io import topology_from_document
from netplan.io.validate import validate_model
from netplan.io.yamlfile import Located, dump_yaml, format_path, load_reference, load_yaml
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



def load_batch(path: str | os.PathLike, *, allow_outside: bool | None = None) -> Batch:
    """Load and validate a ``kind: batch`` file and the topology and scenarios it names.

    The files it names (and those they name) must lie below the current folder, the folder
    above the batch's or netplan's shipped folders, unless ``allow_outside`` (default: as
    the command line's ``--allow-outside`` says, otherwise no).

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
    allow = outside_allowed() if allow_outside is None else allow_outside
    with allowing_outside(allow):
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
    # Files named in code count as named by the caller, like files on the command line.
    listed = data.get("scenarios") if isinstance(data.get("scenarios"), list) else []
    named = [ref for ref in (data.get("topology"), data.get("scenario"), *listed)
             if isinstance(ref, str)]
    folders = InputFolders.for_files([Path(base_dir) / ref for ref in [name, *named]])
    return batch_from_document(doc, base_dir=Path(base_dir), folders=folders)



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

    def reference(self, path: tuple, value: str, kind: str) -> Reference:
        """The file named by the field at ``path``, for reading it and reporting about it."""
        file, line = self.doc.where(path)
        return Reference(file, format_path(path), value, line, f"netplan {kind} file")


def batch_from_document(doc: Located, base_dir: Path | None = None, *,
                        folders: InputFolders | None = None) -> Batch:
    """Validate a parsed batch document (see :func:`load_batch`).

    Parameters
    ----------
    doc : Located
        The parsed YAML document, with the file it came from.
    base_dir : Path, optional
        Where relative paths start; default: the document's folder.
    folders : InputFolders, optional
        Where the files it names may lie; default: those of the document's file.

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
    folders = folders if folders is not None else InputFolders.for_file(doc.file)
    named = _input_paths(definition, base, problems, folders)
    topology_path, scenario_path = named.topology[0], named.scenario[0]
    for path, message in check_options(definition.stage, definition.options):
        problems.add(path, message)
    problems.raise_any()  # files to load are missing, or the stage is wrong: stop here

    topology = topology_from_document(load_reference(*named.topology, "topology"),
                                      folders=folders)
    scenario = _read_scenario(named.scenario, topology, folders) if scenario_path else None
    listed = tuple((str(item[0]), _read_scenario(item, topology, folders))
                   for item in named.listed if item[0] is not None)
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


@dataclass(frozen=True)
class _Named:
    """The files a batch names, resolved, each with the field that named it."""

    topology: tuple[Path | None, Reference | None]
    scenario: tuple[Path | None, Reference | None]
    listed: list[tuple[Path | None, Reference | None]]


def _read_scenario(item: tuple[Path | None, Reference | None], topology: Topology,
                   folders: InputFolders) -> Scenario:
    path, reference = item
    return scenario_from_document(load_reference(path, reference, "scenario"), topology,
                                  folders=folders)


def _input_paths(
    definition: BatchDefinition, base: Path, problems: _Problems, folders: InputFolders
) -> _Named:
    """The topology, scenario and scenario-list files, resolved; missing ones are problems."""

    def existing(ref: str, path: tuple, what: str) -> tuple[Path | None, Reference | None]:
        reference = problems.reference(path, ref, what)
        if not folders.admits(base / ref):
            problems.found.append(reference.problem(OUTSIDE_REASON))
            return None, None
        target = Path(os.path.realpath(base / ref))
        if not target.exists():
            problems.add(path, f"{what} file {str(target)!r} does not exist")
            return None, None
        return target, reference

    scenario = (
        existing(definition.scenario, ("scenario",), "scenario")
        if definition.scenario else (None, None)
    )
    listed = [
        existing(ref, ("scenarios", i), "scenario")
        for i, ref in enumerate(definition.scenarios or ())
    ]
    topology: tuple[Path | None, Reference | None] = (None, None)
    if definition.topology:
        topology = existing(definition.topology, ("topology",), "topology")
    else:
        first = scenario if scenario[0] else next((item for item in listed if item[0]), None)
        if first is not None:
            topology = _scenario_topology_path(*first, folders)
            if topology[0] is None:
                problems.add(
                    ("topology",), f"give a topology: the scenario {str(first[0])!r} names none"
                )
    return _Named(topology=topology, scenario=scenario, listed=listed)


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
        _check_grid_values(definition.grid, problems)
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


def _check_grid_values(grid: dict[str, list[Any]], problems: _Problems) -> None:
    """Every number of the grid is finite: NaN or infinity would reach a variant's results.

    A finite value the scenario refuses is that variant's own failure, recorded with the
    others' results (see :func:`netplan.batch.runner.run`).
    """
    for name, values in grid.items():
        for i, value in enumerate(values):
            if isinstance(value, float) and not math.isfinite(value):
                problems.add(("grid", name, i), f"{value} is not a finite number")


def _scenario_topology_path(
    scenario_path: Path, reference: Reference, folders: InputFolders
) -> tuple[Path | None, Reference | None]:
    # An extended scenario may inherit its topology from the base file.
    doc = resolve_extends(load_reference(scenario_path, reference, "scenario"),
                          (str(scenario_path),), folders=folders)
    ref = doc.data.get("topology") if isinstance(doc.data, dict) else None
    if not isinstance(ref, str) or not ref:
        return None, None
    origin, line = doc.where(("topology",))
    named = Reference(origin, "topology", ref, line, "netplan topology file")
    folders.check(Path(origin).parent / ref, named)
    target = Path(os.path.realpath(Path(origin).parent / ref))
    if not target.exists():
        raise ValidationError(
            [Problem(origin, "topology", f"topology file {str(target)!r} does not exist", line)]
        )
    return target, named


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
