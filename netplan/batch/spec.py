"""The batch definition (``kind: batch`` YAML): what to vary, over which scenario, by which stage.

A batch names one topology and one scenario (paths relative to the batch file), the stage
to run on every variant, a seed, and exactly one way of making variants:

``grid``
    each parameter a list of values; the variants are their Cartesian product.
``monte_carlo``
    ``draws`` variants, each parameter drawn from a distribution (uniform, normal truncated
    at optional bounds, triangular, lognormal, choice), plus optionally ``link_failures``
    removing ``count`` random built links per draw.
``scenarios``
    a list of scenario files, one variant each.

A parameter names where its value goes in the scenario (see :func:`parse_target`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from netplan.errors import Problem, ValidationError
from netplan.io.validate import validate_model
from netplan.io.yamlfile import Located, dump_yaml, format_path, load_yaml
from netplan.model.scenario import Scenario, ServiceTargets, SessionModel
from netplan.model.topology import Frozen, Identifier, Plane, Topology

MAX_VARIANTS = 99_999
"""Most variants one batch may hold (variant ids are ``v00000`` … ``v99999``)."""

DISTRIBUTIONS: tuple[str, ...] = ("uniform", "normal", "triangular", "lognormal", "choice")

# Scenario fields a parameter may set directly (``horizon_years``) or one level down
# (``targets.max_utilisation_normal``); services, growth and scaling have their own forms.
_TOP_FIELDS = (
    "horizon_years",
    "base_year",
    "budget_cny_per_year",
    "discount_rate",
    "failure_policy",
)
_NESTED_FIELDS = ("targets", "drivers", "simulation")
_SERVICE_SUBMODELS = {"targets": ServiceTargets, "session": SessionModel}


class Distribution(Frozen):
    """A parameter's distribution for Monte Carlo draws.

    ``uniform`` (``low``, ``high``); ``normal`` (``mean``, ``sd``, optional ``low`` and
    ``high``: truncated there); ``triangular`` (``low``, ``mode``, ``high``); ``lognormal``
    (``mu``, ``sigma`` of the underlying normal); ``choice`` (``values``, optional
    ``weights``).

    Examples
    --------
    >>> Distribution(dist="normal", mean=0.25, sd=0.05, low=0.0).dist
    'normal'
    """

    dist: Literal["uniform", "normal", "triangular", "lognormal", "choice"]
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = Field(None, gt=0)
    mode: float | None = None
    mu: float | None = None
    sigma: float | None = Field(None, gt=0)
    values: list[Any] | None = Field(None, min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _fields_fit_the_distribution(self) -> Distribution:
        needs = {
            "uniform": ("low", "high"),
            "normal": ("mean", "sd"),
            "triangular": ("low", "mode", "high"),
            "lognormal": ("mu", "sigma"),
            "choice": ("values",),
        }[self.dist]
        allowed = set(needs) | {"normal": {"low", "high"}, "choice": {"weights"}}.get(
            self.dist, set()
        )
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(missing)}")
        extra = [
            name
            for name in ("low", "high", "mean", "sd", "mode", "mu", "sigma", "values", "weights")
            if getattr(self, name) is not None and name not in allowed
        ]
        if extra:
            raise ValueError(f"a {self.dist} distribution takes no {', '.join(extra)}")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.dist == "triangular" and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode ({self.mode}) must lie between low and high")
        if self.dist == "normal" and (self.low is not None or self.high is not None):
            lo = -math.inf if self.low is None else self.low
            hi = math.inf if self.high is None else self.high
            # Truncation far in a tail leaves no probability mass to draw from.
            if (lo - self.mean) / self.sd > 8 or (hi - self.mean) / self.sd < -8:
                raise ValueError("the bounds leave (almost) no probability under this normal")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"{len(self.weights)} weights for {len(self.values)} values")
            if any(w < 0 or not math.isfinite(w) for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 and not all 0")
        return self


class LinkFailures(Frozen):
    """Remove ``count`` distinct built links, drawn at random for every Monte Carlo draw."""

    count: int = Field(ge=1, le=1000)
    plane: Plane | None = Field(None, description="Only this plane's links; both when absent.")


class MonteCarlo(Frozen):
    """Random draws: parameters with distributions and random link failures."""

    draws: int = Field(ge=1, le=MAX_VARIANTS)
    parameters: dict[str, Distribution] = Field(default_factory=dict)
    link_failures: LinkFailures | None = None

    @model_validator(mode="after")
    def _something_to_draw(self) -> MonteCarlo:
        if not self.parameters and self.link_failures is None:
            raise ValueError("give parameters, link_failures or both")
        return self


class BatchDefinition(Frozen):
    """The fields of a ``kind: batch`` file (paths as written, relative to the file)."""

    kind: Literal["batch"] = "batch"
    name: Identifier
    title: str = Field("", max_length=300)
    description: str = ""
    topology: str | None = Field(
        None, description="Topology file; default: the one the scenario names."
    )
    scenario: str | None = Field(None, description="Scenario the parameters vary.")
    stage: str = Field("analyze", description="demand | analyze | simulate | optimize | plan")
    options: dict[str, Any] = Field(default_factory=dict, description="Options of the stage.")
    seed: int = Field(0, ge=0, le=2**63 - 1)
    grid: dict[str, list[Any]] | None = None
    monte_carlo: MonteCarlo | None = None
    scenarios: list[str] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_way_to_vary(self) -> BatchDefinition:
        given = [k for k in ("grid", "monte_carlo", "scenarios") if getattr(self, k) is not None]
        if len(given) != 1:
            shown = ", ".join(given) if given else "none"
            raise ValueError(f"give exactly one of grid, monte_carlo, scenarios (got {shown})")
        if self.scenarios is None and self.scenario is None:
            raise ValueError("grid and monte_carlo batches need a scenario")
        if self.grid is not None:
            if not self.grid:
                raise ValueError("grid needs at least one parameter")
            empty = [name for name, values in self.grid.items() if not values]
            if empty:
                raise ValueError(f"grid parameter {empty[0]!r} has no values")
        return self


# ---------------------------------------------------------------------- targets
@dataclass(frozen=True)
class Target:
    """Where a parameter's value goes in the scenario.

    Attributes
    ----------
    kind : str
        ``growth`` (``growth_per_year.<service>``), ``service`` (``services.<id>.<field>``),
        ``scale`` (``scale.<service>``: appends a ``scale_service`` override),
        ``scale_district`` (``scale_district.<node>``), ``remove_link`` (a link id or null),
        or ``field`` (a scenario field such as ``horizon_years`` or ``targets.<field>``).
    path : tuple of str
        The rest of the name, split at dots.
    """

    name: str
    kind: str
    path: tuple[str, ...]


def parse_target(name: str, scenario: Scenario, topology: Topology | None = None) -> Target:
    """Check a parameter name against ``scenario`` and say where its value goes.

    Raises
    ------
    ValueError
        With the reason, when the name matches no known target.

    Examples
    --------
    >>> import netplan
    >>> s = netplan.load_scenario(netplan.default_scenario_path("baseline"))
    >>> parse_target("growth_per_year.internet_access", s).kind
    'growth'
    >>> parse_target("services.video_conference.active_fraction", s).path
    ('video_conference', 'active_fraction')
    >>> parse_target("scale.video_surveillance", s).kind
    'scale'
    >>> parse_target("services.nope.active_fraction", s)
    Traceback (most recent call last):
    ...
    ValueError: unknown service 'nope' in 'services.nope.active_fraction'; services: ...
    """
    from netplan.model.scenario import DriverTotals, Service, SimulationSettings, Targets

    parts = tuple(name.split("."))
    services = [s.id for s in scenario.services]

    def known_service(service_id: str) -> None:
        if service_id not in services:
            raise ValueError(
                f"unknown service {service_id!r} in {name!r}; services: {', '.join(services)}"
            )

    head = parts[0]
    if head == "growth_per_year" and len(parts) == 2:
        known_service(parts[1])
        return Target(name, "growth", parts[1:])
    if head == "scale" and len(parts) == 2:
        known_service(parts[1])
        return Target(name, "scale", parts[1:])
    if head == "scale_district" and len(parts) == 2:
        if topology is not None and parts[1] not in {n.id for n in topology.nodes}:
            raise ValueError(f"unknown node {parts[1]!r} in {name!r}")
        return Target(name, "scale_district", parts[1:])
    if name == "remove_link":
        return Target(name, "remove_link", ())
    if head == "services" and len(parts) in (3, 4):
        known_service(parts[1])
        fieldname = parts[2]
        if fieldname == "id" or fieldname not in Service.model_fields:
            raise ValueError(f"services have no field {fieldname!r} (in {name!r})")
        if len(parts) == 4:
            sub = _SERVICE_SUBMODELS.get(fieldname)
            if sub is None or parts[3] not in sub.model_fields:
                raise ValueError(f"no field {'.'.join(parts[2:])!r} in a service (in {name!r})")
        elif fieldname in _SERVICE_SUBMODELS:
            raise ValueError(f"name a field of {fieldname!r}, e.g. {name}.<field>")
        return Target(name, "service", parts[1:])
    if head in _TOP_FIELDS and len(parts) == 1:
        return Target(name, "field", parts)
    if head in _NESTED_FIELDS and len(parts) == 2:
        model = {"targets": Targets, "drivers": DriverTotals, "simulation": SimulationSettings}[
            head
        ]
        if parts[1] not in model.model_fields:
            raise ValueError(f"{head} has no field {parts[1]!r}")
        return Target(name, "field", parts)
    raise ValueError(
        f"unknown parameter {name!r}; use growth_per_year.<service>, "
        "services.<service>.<field>, scale.<service>, scale_district.<node>, remove_link, "
        f"{', '.join(_TOP_FIELDS)} or {'/'.join(_NESTED_FIELDS)}.<field>"
    )


# ---------------------------------------------------------------------- the loaded batch
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

    def variants(self):
        """Every variant of the batch, in order (see :func:`netplan.batch.variants.expand`)."""
        from netplan.batch.variants import expand

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


def batch_from_document(doc: Located, base_dir: Path | None = None) -> Batch:
    """Validate a parsed batch document (see :func:`load_batch`)."""
    from netplan.batch.stages import check_options

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
    problems: list[Problem] = []

    def problem(path: tuple, message: str) -> None:
        file, line = doc.where(path)
        problems.append(Problem(file, format_path(path), message, line))

    def existing(ref: str, path: tuple, what: str) -> Path | None:
        target = (base / ref).resolve()
        if not target.is_file():
            problem(path, f"{what} file {str(target)!r} does not exist")
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
                problem(("topology",), f"give a topology: the scenario {str(first)!r} names none")
    for path, message in check_options(definition.stage, definition.options):
        problem(path, message)
    if problems:  # files to load are missing, or the stage is wrong: stop here
        raise ValidationError(problems)

    from netplan.io.scenario_io import load_scenario
    from netplan.io.topology_io import load_topology

    topology = load_topology(topology_path)
    scenario = load_scenario(scenario_path, topology) if scenario_path else None
    listed = tuple((str(p), load_scenario(p, topology)) for p in list_paths if p is not None)

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
            problem(path, str(exc))
    if definition.grid is not None:
        count = math.prod(len(v) for v in definition.grid.values())
        if count > MAX_VARIANTS:
            problem(("grid",), f"{count} variants; at most {MAX_VARIANTS} per batch")
        if "remove_link" in targets:
            built = {lk.id for lk in topology.links if not lk.candidate}
            for i, value in enumerate(definition.grid["remove_link"]):
                if value is not None and value not in built:
                    problem(("grid", "remove_link", i), f"unknown built link {value!r}")
    mc = definition.monte_carlo
    if mc is not None and "remove_link" in targets:
        problem(
            ("monte_carlo", "parameters", "remove_link"),
            "use link_failures for random link removals",
        )
    if mc is not None and mc.link_failures is not None and scenario is not None:
        pool = failure_pool(topology, scenario, mc.link_failures.plane)
        if mc.link_failures.count > len(pool):
            problem(
                ("monte_carlo", "link_failures", "count"),
                f"{mc.link_failures.count} links to remove but only {len(pool)} built links",
            )
    if problems:
        raise ValidationError(problems)

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


def failure_pool(topology: Topology, scenario: Scenario, plane: str | None) -> list[str]:
    """Built links random link failures may remove: not candidates, not removed already."""
    removed = {o.link for o in scenario.overrides if o.action == "remove_link"}
    return [
        link.id
        for link in topology.links
        if not link.candidate and link.id not in removed and (plane is None or link.plane == plane)
    ]


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
