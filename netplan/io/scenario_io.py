"""Read scenarios from YAML, resolving ``extends`` (a scenario built on another one)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from netplan.errors import Problem, ValidationError
from netplan.io.validate import located_findings, validate_model
from netplan.io.yamlfile import Located, dump_yaml, load_yaml
from netplan.model.checks import check_scenario
from netplan.model.scenario import Scenario
from netplan.model.topology import Topology

MAX_EXTENDS_DEPTH = 8


def merge(base: Any, override: Any) -> Any:
    """Deep-merge mappings; anything else in ``override`` replaces ``base``.

    Examples
    --------
    >>> merge({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"d": 4}, "e": [5]})
    {'a': 1, 'b': {'c': 2, 'd': 4}, 'e': [5]}
    """
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    return override


def resolve_extends(doc: Located, chain: tuple[str, ...]) -> Located:
    """``doc`` with the scenario it ``extends`` merged under it, recursively.

    ``chain`` holds the files already on the way (resolved paths), so a cycle is reported
    as bad input rather than followed for ever.
    """
    if not isinstance(doc.data, dict) or "extends" not in doc.data:
        return doc
    ref = doc.data["extends"]
    line = doc.where(("extends",))[1]
    if not isinstance(ref, str) or not ref:
        raise ValidationError([Problem(doc.file, "extends", "must be a scenario file name", line)])
    target = (Path(doc.file).parent / ref).resolve()
    if str(target) in chain:
        raise ValidationError(
            [Problem(doc.file, "extends", f"scenarios extend each other in a cycle via {ref!r}", line)]
        )
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise ValidationError([Problem(doc.file, "extends", "too many levels of extends", line)])
    if not target.exists():
        raise ValidationError(
            [Problem(doc.file, "extends", f"extended scenario {str(target)!r} does not exist", line)]
        )
    base = resolve_extends(load_yaml(target), (*chain, str(target)))
    if not isinstance(base.data, dict):
        raise ValidationError([Problem(base.file, "", "expected a mapping of fields at the top", 1)])
    own = {k: v for k, v in doc.data.items() if k != "extends"}
    lines = dict(base.lines)
    lines.update({path: where for path, where in doc.lines.items() if path[:1] != ("extends",)})
    # Fields given here are reported at this file's lines; inherited ones at the base's.
    return Located(data=merge(base.data, own), file=doc.file, lines=lines)


def scenario_from_document(doc: Located, topology: Topology | None = None) -> Scenario:
    """Validate a parsed scenario document (``extends`` resolved) and check its references."""
    if isinstance(doc.data, dict) and doc.data.get("kind", "scenario") != "scenario":
        raise ValidationError(
            [Problem(doc.file, "kind", f"this is a {doc.data.get('kind')!r} file, expected 'scenario'",
                     doc.where(("kind",))[1])]
        )
    doc = resolve_extends(doc, (str(Path(doc.file).resolve()),))
    scenario = validate_model(Scenario, doc)
    problems = located_findings(doc, check_scenario(scenario, topology))
    if problems:
        raise ValidationError(problems)
    return scenario


def load_scenario(path: str | os.PathLike, topology: Topology | None = None) -> Scenario:
    """Load and validate a scenario; check its references against ``topology`` when given.

    Examples
    --------
    >>> import netplan
    >>> s = netplan.load_scenario(netplan.default_scenario_path("growth-5y"))
    >>> s.horizon_years, s.years[-1] - s.years[0]
    (5, 5)
    """
    return scenario_from_document(load_yaml(path), topology)


def build_scenario(data: dict[str, Any], topology: Topology | None = None,
                   name: str = "<code>") -> Scenario:
    """Validate a scenario built in code (a dict as in the YAML)."""
    return scenario_from_document(Located(data=dict(data), file=name), topology)


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """Plain data for YAML or JSON, leaving out fields at their defaults."""
    return scenario.model_dump(mode="json", exclude_defaults=True) | {"kind": "scenario"}


def save_scenario(scenario: Scenario, path: str | os.PathLike) -> Path:
    """Write ``scenario`` as one self-contained YAML file (atomically)."""
    from netplan.io.atomic import write_text_atomic

    return write_text_atomic(path, dump_yaml(scenario_to_dict(scenario)))
